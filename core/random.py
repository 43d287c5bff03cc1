"""``tensorweave.random``: Keras-3 random functions, bit for bit the same on every backend.

Why it is built this way
------------------------
A backend's own RNG (``numpy.random``, ``cupy.random``, Python's ``random``) gives other
numbers on every backend, so a model initialised or trained with dropout on NumPy could not
be replayed on the reference backend. Here every random function is a *composition of
``tensorweave.ops`` calls* whose results are exact, so every backend computes the same
bits:

* **Bits.** A counter-based generator, Philox4x32-10 (Salmon et al., SC'11; the
  generator of JAX, cuRAND and Random123). Block ``j`` (counter
  ``(j mod 2**32, 0, 0, 0)``) under a 64-bit key gives four ``uint32`` words. It uses only
  ``uint32``/``uint64`` integer ops: a 32x32-bit product is exact in ``uint64``; its high
  word is ``>> 32`` and its low word a wrapping ``cast`` to ``uint32``. ``n`` words are
  the words of blocks ``0 .. m-1`` (``m = ceil(n / 4)``), word ``i`` of every block in turn:
  ``w0(0..m-1), w1(0..m-1), w2(...), w3(...)``, cut to ``n``.
* **Bits to floats.** Integer to float64 conversions of values below ``2**53`` and scaling
  by powers of two are exact. ``float32``/``float16``/``bfloat16`` draws use 24 random bits
  per value (``(w >> 8) * 2**-24``), ``float64`` draws 53 bits from two words.
* **Transcendentals.** ``log``, ``sin``/``cos`` and ``erfinv`` are *not* taken from the
  backend: NumPy's SIMD libm and Python's ``math`` differ in the last bit. They are
  written here with ``+ - * /``, ``sqrt``, comparisons, ``where`` and ``floor`` in
  float64, which IEEE 754 rounds correctly on every platform (the kernel contract, see
  ``docs/kernels.md``). Results are rounded to the requested dtype once, at the end,
  with ``cast``.

Because everything is ``tw.ops``, the functions also work on symbolic tensors: under
tracing they record graph nodes like any other op.

Seeds (as ``keras.random``)
---------------------------
``seed`` may be

* an ``int``: stateless, the same numbers at every call. The 64-bit Philox key is
  ``v = seed mod 2**64`` (so negative seeds are their two's complement, and ints that
  differ by a multiple of ``2**64`` give the same key), ``key = (v & 0xFFFFFFFF, v >> 32)``.
  A small non-negative seed ``s`` gives the key ``(s, 0)``, as Keras turns ``seed=s``
  into ``[s, 0]``;
* a :class:`SeedGenerator`: each draw uses the generator's current key and advances it,
  so two draws differ, and two generators made with the same seed give the same
  sequence. Its first key is the int seed's key, so ``normal(s, seed=SeedGenerator(7))``
  equals ``normal(s, seed=7)`` for the first draw (as in Keras);
* a ``uint32`` tensor of shape ``(2,)`` (or a :class:`~tensorweave.variables.Variable`):
  that key itself; traced code passes keys this way;
* ``None``: the global generator, seeded from ``os.urandom`` unless :func:`set_seed`
  was called.
"""

from __future__ import annotations

import math
import numbers
import os
import struct
import threading
from collections.abc import Sequence
from typing import Any

from . import dtypes as _dt
from . import ops
from .dtypes import DType
from .errors import DTypeError, InvalidArgumentError, ShapeError, TracingError, describe
from .shapes import check_shape, normalize_axis

__all__ = [
    "SeedGenerator", "set_seed", "global_seed_generator", "draw_key", "philox4x32",
    "uniform", "normal", "truncated_normal", "randint", "dropout", "shuffle", "categorical",
    "gamma", "beta", "binomial",
]

#: A Philox word: a Python int (the same for every element; the arithmetic then runs in
#: Python) or a ``uint32`` tensor (0-d for a traced key, 1-d for per-block words).
Word = Any

_M32 = 0xFFFFFFFF
_PHILOX_M0 = 0xD2511F53
_PHILOX_M1 = 0xCD9E8D57
_PHILOX_W0 = 0x9E3779B9  # golden ratio
_PHILOX_W1 = 0xBB67AE85  # sqrt(3) - 1
_ROUNDS = 10
#: counter word 3 of the block that derives a SeedGenerator's next key; draws use 0, so
#: key material never appears among drawn numbers.
_ADVANCE_TAG = 0x5EED


# ==== Philox4x32-10 on words ===============================================================
def _xor(a: Word, b: Word) -> Word:
    if isinstance(a, int) and isinstance(b, int):
        return a ^ b
    if isinstance(a, int):
        a, b = b, a
    if isinstance(b, int) and b == 0:
        return a
    return ops.bitwise_xor(a, b)


def _mulhilo(m: int, a: Word) -> tuple[Word, Word]:
    """High and low 32-bit words of ``m * a`` (exact: the product is below ``2**64``)."""
    if isinstance(a, int):
        p = m * a
        return p >> 32, p & _M32
    p = ops.multiply(ops.cast(a, _dt.uint64), m)
    return ops.cast(ops.right_shift(p, 32), _dt.uint32), ops.cast(p, _dt.uint32)


def _kadd(k: Word, c: int) -> Word:
    if isinstance(k, int):
        return (k + c) & _M32
    return ops.add(k, c)  # uint32 wraps


def _philox(c0: Word, c1: Word, c2: Word, c3: Word, k0: Word, k1: Word
            ) -> tuple[Word, Word, Word, Word]:
    """Philox4x32 with 10 rounds, as Random123's ``philox4x32_R(10, ctr, key)``.

    Words that are Python ints stay ints while they can, so the constant counter words
    (1, 2, 3) of a draw cost nothing in the first rounds, and an all-int call (a
    SeedGenerator advancing a concrete key) runs in plain Python.
    """
    for r in range(_ROUNDS):
        if r:
            k0 = _kadd(k0, _PHILOX_W0)
            k1 = _kadd(k1, _PHILOX_W1)
        hi0, lo0 = _mulhilo(_PHILOX_M0, c0)
        hi1, lo1 = _mulhilo(_PHILOX_M1, c2)
        c0, c1, c2, c3 = _xor(_xor(hi1, c1), k0), lo1, _xor(_xor(hi0, c3), k1), lo0
    return c0, c1, c2, c3


def philox4x32(counter: Any, key: Any) -> Any:
    """Philox4x32-10 of ``counter`` (``uint32``, shape ``(..., 4)``) under ``key``
    (``uint32``, shape ``(2,)``): a ``uint32`` tensor of the counter's shape.

    The building block of every function here, public so that its known-answer tests
    (Random123's ``kat_vectors``) can be run against any backend.
    """
    c = counter if ops.is_tensor(counter) else ops.convert_to_tensor(
        counter, _dt.uint32, where="philox4x32")
    if c.dtype is not _dt.uint32:
        raise DTypeError(describe("philox4x32", "counter", "uint32", str(c.dtype)))
    if c.ndim < 1 or c.shape[-1] != 4:
        raise ShapeError(describe("philox4x32", "counter", "a shape (..., 4)", c.shape))
    k0, k1 = _key_from_tensor(key, "philox4x32", "key")
    lead = (slice(None),) * (c.ndim - 1)
    words = [ops.reshape(ops.strided_slice(c, lead + (slice(i, i + 1),)), c.shape[:-1])
             for i in range(4)]
    out = _philox(words[0], words[1], words[2], words[3], k0, k1)
    return ops.stack([_as_tensor(w, c.shape[:-1]) for w in out], axis=-1)


def _as_tensor(w: Word, shape: tuple) -> Any:
    if isinstance(w, int):
        return ops.full(shape, w, _dt.uint32)
    if tuple(w.shape) != tuple(shape):
        return ops.broadcast_to(w, shape)
    return w


# ==== keys and seeds ========================================================================
def _int_key(seed: int) -> tuple[int, int]:
    """The documented mapping of an int seed to a Philox key: ``v = seed mod 2**64``."""
    v = seed % (1 << 64)
    return v & _M32, v >> 32


def _advance(k0: Word, k1: Word) -> tuple[Word, Word]:
    """The key after ``(k0, k1)`` in a SeedGenerator: Philox of a counter draws never use."""
    n0, n1, _, _ = _philox(0, 0, 0, _ADVANCE_TAG, k0, k1)
    return n0, n1


def _key_from_tensor(key: Any, where: str, arg: str) -> tuple[Word, Word]:
    """Two key words from a ``(2,)`` integer tensor: ints when concrete, 0-d when symbolic."""
    get = getattr(key, "_tw_tensor", None)
    if get is not None:
        key = get()
    if ops.is_symbolic(key):
        if tuple(key.shape) != (2,):
            raise ShapeError(describe(where, arg, "a key of shape (2,)", key.shape))
        if not key.dtype.is_integer:
            raise DTypeError(describe(where, arg, "an integer key (uint32)", str(key.dtype)))
        if key.dtype is not _dt.uint32:
            key = ops.cast(key, _dt.uint32)
        return (ops.reshape(ops.strided_slice(key, (slice(0, 1),)), ()),
                ops.reshape(ops.strided_slice(key, (slice(1, 2),)), ()))
    if not ops.is_tensor(key):
        try:
            key = ops.convert_to_tensor(key, where=where)
        except Exception:  # noqa: BLE001 - any unconvertible object is the caller's error
            raise InvalidArgumentError(describe(
                where, arg, "an int, a SeedGenerator, a uint32 tensor of shape (2,) or None",
                type(key).__name__)) from None
    if tuple(key.shape) != (2,):
        raise ShapeError(describe(where, arg, "a key of shape (2,)", key.shape))
    if not key.dtype.is_integer:
        raise DTypeError(describe(where, arg, "an integer key (uint32)", str(key.dtype)))
    a, b = key.tolist()
    return int(a) & _M32, int(b) & _M32


class SeedGenerator:
    """A stateful source of keys, as ``keras.random.SeedGenerator``.

    The state is a ``uint32`` :class:`~tensorweave.variables.Variable` of shape ``(2,)``
    holding the next key (so a traced training step can take it as an input and return
    the advanced one). :meth:`next` returns the current key and advances the state to the
    first two words of ``Philox4x32-10(counter=(0, 0, 0, 0x5EED), key=state)`` (a counter no
    draw uses). Same seed, same sequence, on every backend; ``seed=None`` seeds from
    ``os.urandom``.
    """

    def __init__(self, seed: int | None = None, name: str | None = None) -> None:
        from .variables import Variable

        if seed is None:
            seed = int.from_bytes(os.urandom(8), "little")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidArgumentError(describe("SeedGenerator", "seed", "an int or None",
                                                repr(seed)))
        self._initial_seed = seed
        self._lock = threading.Lock()
        k0, k1 = _int_key(seed)
        self.state = Variable(ops.convert_to_tensor([k0, k1], _dt.uint32), dtype=_dt.uint32,
                              trainable=False, name=name or "seed_generator_state")

    def next(self, ordered: bool = True) -> Any:
        """The current key (``uint32``, shape ``(2,)``); the state moves on to the next.

        ``ordered`` is accepted for Keras compatibility; the sequence is always the same.
        """
        with self._lock:
            state = self.state.value
            k0, k1 = _key_from_tensor(state, "SeedGenerator.next", "state")
            n0, n1 = _advance(k0, k1)
            if isinstance(n0, int):
                new = ops.convert_to_tensor([n0, n1], _dt.uint32, backend=state._backend)
            else:
                new = ops.stack([n0, n1])
            try:
                # inside a StatelessScope (a traced training step) this records the new
                # state, which the step returns; eagerly it writes the variable
                self.state.assign(new)
            except TypeError as exc:  # traced outside a StatelessScope: nowhere to put it
                raise TracingError(
                    "SeedGenerator.next: argument 'state': expected a concrete key or a "
                    "StatelessScope to record the new one, got a symbolic key with no scope; "
                    "trace inside tensorweave.variables.StatelessScope, or pass the key as "
                    "a traced input: seed=<uint32 tensor of shape (2,)>") from exc
            return state

    def _next_words(self) -> tuple[Word, Word]:
        return _key_from_tensor(self.next(), "SeedGenerator.next", "state")

    @property
    def seed(self) -> int:
        """The seed this generator was made with."""
        return self._initial_seed

    def get_config(self) -> dict[str, Any]:
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SeedGenerator:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator seed={self._initial_seed}>"


_global_lock = threading.Lock()
_global_generator: SeedGenerator | None = None


def global_seed_generator() -> SeedGenerator:
    """The generator that ``seed=None`` draws from (made on first use)."""
    global _global_generator
    with _global_lock:
        if _global_generator is None:
            _global_generator = SeedGenerator(None, name="global_seed_generator_state")
        return _global_generator


def set_seed(seed: int | None) -> None:
    """Reseed the global generator, so that draws with ``seed=None`` repeat from here.

    ``None`` reseeds it from ``os.urandom``. (Keras's ``set_random_seed`` also seeds
    Python's and NumPy's RNGs; tensorweave's functions never use those.)
    """
    global _global_generator
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgumentError(describe("set_seed", "seed", "an int or None", repr(seed)))
    gen = SeedGenerator(seed, name="global_seed_generator_state")
    with _global_lock:
        _global_generator = gen


def draw_key(seed: Any = None, where: str = "draw_key") -> Any:
    """The key a draw with ``seed`` would use, as a ``uint32`` tensor of shape ``(2,)``
    (advancing a SeedGenerator, as a draw does)."""
    k0, k1 = _draw_words(seed, where)
    if isinstance(k0, int):
        return ops.convert_to_tensor([k0, k1], _dt.uint32)
    return ops.stack([k0, k1])


def _draw_words(seed: Any, where: str) -> tuple[Word, Word]:
    if seed is None:
        return global_seed_generator()._next_words()
    if isinstance(seed, SeedGenerator):
        return seed._next_words()
    if isinstance(seed, bool):
        raise InvalidArgumentError(describe(
            where, "seed", "an int, a SeedGenerator, a uint32 tensor of shape (2,) or None",
            repr(seed)))
    if isinstance(seed, int):
        return _int_key(seed)
    if isinstance(seed, float) or isinstance(seed, str):
        raise InvalidArgumentError(describe(
            where, "seed", "an int, a SeedGenerator, a uint32 tensor of shape (2,) or None",
            repr(seed)))
    return _key_from_tensor(seed, where, "seed")


# ==== argument checks ==========================================================================
def _float_dtype(dtype: Any, where: str) -> DType:
    d = _dt.default_float() if dtype is None else _canon(dtype, where)
    if not d.is_floating:
        raise DTypeError(describe(where, "dtype", "a float dtype (float16, bfloat16, float32, "
                                  "float64)", str(d)))
    return d


def _canon(dtype: Any, where: str) -> DType:
    try:
        return _dt.canonicalize(dtype)
    except DTypeError:
        raise DTypeError(describe(where, "dtype", "a dtype name such as 'float32'",
                                  repr(dtype))) from None


def _static_shape(shape: Any, where: str) -> tuple[int, ...]:
    s = check_shape(where, shape)
    if any(d is None for d in s):
        raise InvalidArgumentError(describe(
            where, "shape", "a fully known shape (the number of draws fixes the random "
                            "numbers)", s))
    return s


def _number(value: Any, where: str, arg: str) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)  # Python and NumPy scalars
    if ops.is_tensor(value) and not ops.is_symbolic(value) and value.shape == ():
        return float(value)
    raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


# ==== bits and unit floats =====================================================================
def _words(key: tuple[Word, Word], n: int, where: str) -> Any:
    """``n`` random ``uint32`` words (a 1-d tensor) under ``key`` (see the module doc)."""
    m = -(-n // 4)
    if m > (1 << 32):
        raise InvalidArgumentError(describe(where, "shape", "fewer than 2**34 random words",
                                            f"{n} words"))
    j = ops.arange(m, dtype=_dt.uint32)
    w = _philox(j, 0, 0, 0, key[0], key[1])
    flat = ops.concatenate([_as_tensor(x, (m,)) for x in w])
    return flat if 4 * m == n else ops.strided_slice(flat, (slice(0, n),))


def _unit(key: tuple[Word, Word], n: int, bits: int, where: str) -> Any:
    """``n`` float64 values ``k * 2**-bits`` in ``[0, 1)``, ``k`` uniform on
    ``[0, 2**bits)``; ``bits`` is 24 or 32 (one word each) or 53 (two words each)."""
    if bits <= 32:
        w = _words(key, n, where)
        if bits < 32:
            w = ops.right_shift(w, 32 - bits)
        return ops.multiply(ops.cast(w, _dt.float64), 2.0 ** -bits)
    w = _words(key, 2 * n, where)
    hi = ops.cast(ops.right_shift(ops.strided_slice(w, (slice(0, n),)), 5), _dt.float64)
    lo = ops.cast(ops.right_shift(ops.strided_slice(w, (slice(n, 2 * n),)), 6), _dt.float64)
    return ops.multiply(ops.add(ops.multiply(hi, 2.0 ** 26), lo), 2.0 ** -53)


def _bits_for(dtype: DType) -> int:
    return 53 if dtype is _dt.float64 else 24


# ==== exact float64 transcendentals ==============================================================
_LN2_HI = 6.93147180369123816490e-01  # fdlibm: ln 2 rounded to 32 significant bits
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_SQRT2 = math.sqrt(2.0)
_ATANH_COEFFS = tuple(1.0 / (2 * k + 1) for k in range(12))  # t^(2k) / (2k + 1)
_SIN_COEFFS = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(9))
_COS_COEFFS = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(10))
_STEPS = (32, 16, 8, 4, 2, 1)


def _horner(t: Any, coeffs: Sequence[float]) -> Any:
    """``sum(coeffs[k] * t**k)`` with Horner's rule (fixed order: same rounding everywhere)."""
    p = ops.add(ops.multiply(t, coeffs[-1]), coeffs[-2])
    for c in reversed(coeffs[:-2]):
        p = ops.add(ops.multiply(p, t), c)
    return p


def _log(x: Any, up: Sequence[int] = (), down: Sequence[int] = _STEPS) -> Any:
    """Natural log of float64 ``x > 0`` from exact arithmetic, to about 1 ulp.

    ``x = 2**e * m``: ``e`` is found by comparisons, halving or doubling by powers of two
    (exact). The ``up`` steps bring any ``x < 2**(sum(up) + 1)`` below 2, the ``down``
    steps any ``x >= 2**-sum(down)`` to 1 or above; callers pass only the steps their
    range needs (each costs five elementwise ops). With ``m`` in ``[sqrt(1/2), sqrt(2))``,
    ``log m = 2 atanh(t)``, ``t = (m - 1) / (m + 1)``, ``|t| < 0.172``: twelve terms of the
    odd series reach float64 precision. ``e log 2`` uses a two-part ``log 2`` whose high
    part has 32 bits, so ``e * _LN2_HI`` is exact.
    """
    e = ops.zeros_like(x)
    for s in up:
        c = ops.greater_equal(x, 2.0 ** s)
        x = ops.where(c, ops.multiply(x, 2.0 ** -s), x)
        e = ops.where(c, ops.add(e, float(s)), e)
    for s in down:
        c = ops.less(x, 2.0 ** (1 - s))
        x = ops.where(c, ops.multiply(x, 2.0 ** s), x)
        e = ops.where(c, ops.subtract(e, float(s)), e)
    c = ops.greater(x, _SQRT2)
    x = ops.where(c, ops.multiply(x, 0.5), x)
    e = ops.where(c, ops.add(e, 1.0), e)
    t = ops.divide(ops.subtract(x, 1.0), ops.add(x, 1.0))
    log_m = ops.multiply(ops.multiply(t, 2.0), _horner(ops.multiply(t, t), _ATANH_COEFFS))
    return ops.add(ops.multiply(e, _LN2_HI), ops.add(ops.multiply(e, _LN2_LO), log_m))


def _cos_sin_2pi(u: Any) -> tuple[Any, Any]:
    """``cos(2 pi u)`` and ``sin(2 pi u)`` for float64 ``u`` in ``[0, 1)`` (``u`` a
    multiple of ``2**-53``).

    The octant ``o = floor(8u)`` and the fraction ``f = 8u - o`` are exact; odd octants
    are reflected (``1 - f``, exact), so the polynomials only see ``phi = f * pi/4`` in
    ``[0, pi/4]``, where Taylor series of 9 and 10 terms are below float64 rounding. The
    quadrant then swaps and negates the pair.
    """
    y = ops.multiply(u, 8.0)
    o = ops.floor(y)
    f = ops.subtract(y, o)
    oi = ops.cast(o, _dt.int32)
    odd = ops.equal(ops.bitwise_and(oi, 1), 1)
    f = ops.where(odd, ops.subtract(1.0, f), f)
    phi = ops.multiply(f, math.pi / 4.0)
    p2 = ops.multiply(phi, phi)
    c = _horner(p2, _COS_COEFFS)
    s = ops.multiply(phi, _horner(p2, _SIN_COEFFS))
    s = ops.where(odd, ops.neg(s), s)  # sin(-phi): odd octants are q*pi/2 - phi
    q = ops.bitwise_and(ops.right_shift(ops.add(oi, 1), 1), 3)
    swap = ops.equal(ops.bitwise_and(q, 1), 1)
    neg_cos = ops.equal(ops.bitwise_and(ops.right_shift(ops.add(q, 1), 1), 1), 1)
    neg_sin = ops.equal(ops.right_shift(q, 1), 1)
    cos_out = ops.where(swap, s, c)
    sin_out = ops.where(swap, c, s)
    return (ops.where(neg_cos, ops.neg(cos_out), cos_out),
            ops.where(neg_sin, ops.neg(sin_out), sin_out))


def _std_normal(key: tuple[Word, Word], n: int, bits: int, where: str) -> Any:
    """``n`` float64 standard normals by Box-Muller: each pair of uniforms gives two."""
    m = -(-n // 2)
    u = _unit(key, 2 * m, bits, where)
    u1 = ops.subtract(1.0, ops.strided_slice(u, (slice(0, m),)))  # (0, 1], exact
    u2 = ops.strided_slice(u, (slice(m, 2 * m),))
    r = ops.sqrt(ops.multiply(_log(u1), -2.0))
    c, s = _cos_sin_2pi(u2)
    z = ops.concatenate([ops.multiply(r, c), ops.multiply(r, s)])
    return z if 2 * m == n else ops.strided_slice(z, (slice(0, n),))


# erfinv: M. Giles, "Approximating the erfinv function" (GPU Gems 4, 2010), single
# precision, central branch (w < 5; truncated normals need w < 2.43), refined by Newton.
_GILES = (1.50140941, 0.246640727, -0.00417768164, -0.00125372503, 0.00021858087,
          -4.39150654e-06, -3.5233877e-06, 3.43273939e-07, 2.81022636e-08)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_ERF_COEFFS = tuple(_TWO_OVER_SQRT_PI * (-1.0) ** k / (math.factorial(k) * (2 * k + 1))
                    for k in range(27))
_EXP_COEFFS = tuple(1.0 / math.factorial(k) for k in range(22))
# erf(sqrt 2) = 0.95449973610364158559...: a literal, not math.erf (libm-dependent)
_ERF_SQRT2 = 0.9544997361036416


def _erfinv_central(y: Any, newton_steps: int) -> Any:
    """``erfinv(y)`` for float64 ``|y| <= erf(sqrt 2)`` (so ``|x| <= sqrt 2``).

    Giles' polynomial (relative error ~1e-7) and Newton steps on ``erf(x) - y``: ``erf`` by
    its Taylor series (27 terms for ``x**2 <= 2``), the derivative ``2/sqrt(pi) exp(-x**2)``
    with ``exp(-a) = 1 / exp(a)`` from a positive series (only its first digits matter).
    """
    w = ops.neg(_log(ops.multiply(ops.subtract(1.0, y), ops.add(1.0, y)), down=(4, 2, 1)))
    x = ops.multiply(_horner(ops.subtract(w, 2.5), _GILES), y)
    for _ in range(newton_steps):
        x2 = ops.multiply(x, x)
        err = ops.subtract(ops.multiply(x, _horner(x2, _ERF_COEFFS)), y)
        deriv = ops.divide(_TWO_OVER_SQRT_PI, _horner(x2, _EXP_COEFFS))
        x = ops.subtract(x, ops.divide(err, deriv))
    return x


def _finish(z: Any, shape: tuple[int, ...], loc: float, scale: float, dtype: DType) -> Any:
    """``loc + scale * z`` in float64, reshaped, rounded once to ``dtype``."""
    if scale != 1.0:
        z = ops.multiply(z, scale)
    if loc != 0.0:
        z = ops.add(z, loc)
    return ops.cast(ops.reshape(z, shape), dtype)


def _below(value: float, dtype: DType) -> float:
    """The largest ``dtype`` value below ``value`` (``value`` itself representable)."""
    if dtype is _dt.float64:
        return math.nextafter(value, -math.inf)
    if dtype is _dt.bfloat16:
        bits = struct.unpack("<I", struct.pack("<f", value))[0] >> 16
        step = -1 if value > 0 else 1
        if value == 0:
            return -struct.unpack("<f", struct.pack("<I", 1 << 16))[0]
        return struct.unpack("<f", struct.pack("<I", ((bits + step) & 0xFFFF) << 16))[0]
    fmt, ufmt = ("<f", "<I") if dtype is _dt.float32 else ("<e", "<H")
    if value == 0:
        return -struct.unpack(fmt, struct.pack(ufmt, 1))[0]
    bits = struct.unpack(ufmt, struct.pack(fmt, value))[0]
    return struct.unpack(fmt, struct.pack(ufmt, bits - 1 if value > 0 else bits + 1))[0]


def _round_to(value: float, dtype: DType) -> float:
    """``value`` rounded to ``dtype`` (nearest even), as ``cast`` does."""
    if dtype is _dt.float64:
        return value
    if dtype is _dt.float16:
        return struct.unpack("<e", struct.pack("<e", value))[0]
    f32 = struct.unpack("<f", struct.pack("<f", value))[0]
    if dtype is _dt.float32:
        return f32
    bits = struct.unpack("<I", struct.pack("<f", f32))[0]
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


# ==== public draws ============================================================================
def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
            seed: Any = None) -> Any:
    """Floats uniform on ``[minval, maxval)`` (``float32`` unless ``dtype`` says).

    ``minval + (maxval - minval) * u`` in float64 with ``u`` of 24 bits (53 for float64),
    rounded to ``dtype``; a value that rounds up to ``maxval`` becomes the largest
    ``dtype`` value below it, so ``maxval`` is never produced.
    """
    where = "uniform"
    dtype = _float_dtype(dtype, where)
    shape = _static_shape(shape, where)
    lo, hi = _number(minval, where, "minval"), _number(maxval, where, "maxval")
    if not lo < hi or not math.isfinite(lo) or not math.isfinite(hi):
        raise InvalidArgumentError(describe(where, "maxval", f"a finite value above minval "
                                            f"({lo})", hi))
    key = _draw_words(seed, where)
    n = _size(shape)
    if n == 0:
        return ops.zeros(shape, dtype)
    out = _finish(_unit(key, n, _bits_for(dtype), where), shape, lo, hi - lo, dtype)
    if lo == 0.0 and hi == 1.0 and dtype in (_dt.float32, _dt.float64):
        return out  # u <= 1 - 2**-bits is a float32/float64 value below 1: no clamp needed
    top = _round_to(hi, dtype)
    if top < hi:
        return out  # rounding is monotonic: values below hi round to at most top < hi
    return ops.where(ops.greater_equal(out, top), _below(top, dtype), out)


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
           seed: Any = None) -> Any:
    """Normal draws (Box-Muller with this module's exact ``log``/``cos``/``sin``)."""
    where = "normal"
    dtype = _float_dtype(dtype, where)
    shape = _static_shape(shape, where)
    mu, sigma = _number(mean, where, "mean"), _number(stddev, where, "stddev")
    key = _draw_words(seed, where)
    n = _size(shape)
    if n == 0:
        return ops.zeros(shape, dtype)
    return _finish(_std_normal(key, n, _bits_for(dtype), where), shape, mu, sigma, dtype)


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Any:
    """Normal draws conditioned on lying within 2 ``stddev`` of ``mean`` (Keras semantics:
    values beyond are never produced).

    By inversion, one uniform per value: ``z = sqrt(2) erfinv(erf(sqrt 2) (2u - 1))``
    (``u`` of 24 bits, 53 for float64), clipped to ``[-2, 2]`` against the last-bit
    error of the approximation.
    """
    where = "truncated_normal"
    dtype = _float_dtype(dtype, where)
    shape = _static_shape(shape, where)
    mu, sigma = _number(mean, where, "mean"), _number(stddev, where, "stddev")
    key = _draw_words(seed, where)
    n = _size(shape)
    if n == 0:
        return ops.zeros(shape, dtype)
    bits = _bits_for(dtype)
    v = ops.subtract(ops.multiply(_unit(key, n, bits, where), 2.0), 1.0)  # [-1, 1), exact
    x = _erfinv_central(ops.multiply(v, _ERF_SQRT2), 2 if bits == 53 else 1)
    z = ops.clip(ops.multiply(x, _SQRT2), -2.0, 2.0)
    return _finish(z, shape, mu, sigma, dtype)


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32",
            seed: Any = None) -> Any:
    """Integers uniform on ``[minval, maxval)``.

    For a range up to ``2**32``: ``(w * range) >> 32`` on a 32-bit word ``w`` in ``uint64``
    (Lemire's multiply-high; bias below ``range / 2**32``). Wider ranges (64-bit dtypes):
    a 64-bit word modulo the range.
    """
    where = "randint"
    d = _canon(dtype, where)
    if not d.is_integer:
        raise DTypeError(describe(where, "dtype", "an integer dtype", str(d)))
    shape = _static_shape(shape, where)
    lo, hi = _int_arg(minval, where, "minval"), _int_arg(maxval, where, "maxval")
    if not lo < hi:
        raise InvalidArgumentError(describe(where, "maxval", f"a value above minval ({lo})",
                                            hi))
    if lo < d.min or hi - 1 > d.max:
        raise InvalidArgumentError(describe(
            where, "minval/maxval", f"a range within {d} [{d.min}, {d.max}]",
            f"[{lo}, {hi})"))
    key = _draw_words(seed, where)
    n = _size(shape)
    if n == 0:
        return ops.zeros(shape, d)
    span = hi - lo
    if span <= (1 << 32):
        w = ops.cast(_words(key, n, where), _dt.uint64)
        off = ops.right_shift(ops.multiply(w, span), 32)
    else:
        w = ops.cast(_words(key, 2 * n, where), _dt.uint64)
        b64 = ops.bitwise_or(ops.left_shift(ops.strided_slice(w, (slice(0, n),)), 32),
                             ops.strided_slice(w, (slice(n, 2 * n),)))
        off = b64 if span == (1 << 64) else ops.mod(b64, span)
    if lo % (1 << 64):
        off = ops.add(off, lo % (1 << 64))  # uint64 wraps; the true value fits ``d``
    return ops.cast(ops.reshape(off, shape), d)


def _int_arg(value: Any, where: str, arg: str) -> int:
    if isinstance(value, bool):
        raise InvalidArgumentError(describe(where, arg, "an int", repr(value)))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if ops.is_tensor(value) and not ops.is_symbolic(value) and value.shape == () \
            and value.dtype.is_integer:
        return int(value)
    try:
        return value.__index__()
    except (AttributeError, TypeError):
        raise InvalidArgumentError(describe(where, arg, "an int", repr(value))) from None


def _on_backend_of(x: Any) -> Any:
    """A scope making new tensors (counters) live where the concrete ``x`` lives."""
    import contextlib

    from .backend_registry import backend_scope
    from .tensor import Tensor

    if isinstance(x, Tensor):
        return backend_scope(x._backend.name)
    return contextlib.nullcontext()


def _tensor_arg(x: Any, where: str) -> Any:
    get = getattr(x, "_tw_tensor", None)
    if get is not None:
        x = get()
    return x if ops.is_tensor(x) else ops.convert_to_tensor(x, where=where)


def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Any:
    """Zero each value with probability ``rate``; scale the kept ones by ``1 / (1 - rate)``.

    Keep where ``u >= rate`` (``u`` of 24 bits; 53 for float64 inputs). ``noise_shape``
    (``None`` entries taken from ``inputs``) draws one mask that broadcasts, as Keras.
    """
    where = "dropout"
    x = _tensor_arg(inputs, where)
    if not x.dtype.is_floating:
        raise DTypeError(describe(where, "inputs", "a float tensor", str(x.dtype)))
    r = _number(rate, where, "rate")
    if not 0.0 <= r < 1.0:
        raise InvalidArgumentError(describe(where, "rate", "a value in [0, 1)", rate))
    xs = tuple(x.shape)
    if noise_shape is None:
        ns = xs
    else:
        ns = check_shape(where, noise_shape, "noise_shape")
        if len(ns) != len(xs):
            raise ShapeError(describe(where, "noise_shape", f"{len(xs)} dims (inputs have "
                                      f"shape {xs})", ns))
        ns = tuple(xd if nd is None else nd for nd, xd in zip(ns, xs))
        for nd, xd in zip(ns, xs):
            if nd != 1 and xd is not None and nd != xd:
                raise ShapeError(describe(where, "noise_shape",
                                          f"a shape that broadcasts to {xs}", ns))
    ns = _static_shape(ns, where)
    key = _draw_words(seed, where)
    n = _size(ns)
    if n == 0:
        return x
    with _on_backend_of(x):
        u = ops.reshape(_unit(key, n, _bits_for(x.dtype), where), ns)
        keep = ops.greater_equal(u, r)
        return ops.where(keep, ops.divide(x, 1.0 - r), ops.zeros((), x.dtype))


def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Any:
    """The slices of ``x`` along ``axis`` in a random order (one permutation for all).

    The permutation is the stable argsort of 64-bit random keys (ties, of probability
    ``~n**2 / 2**65``, keep index order).
    """
    where = "shuffle"
    t = _tensor_arg(x, where)
    if t.ndim == 0:
        raise ShapeError(describe(where, "x", "a tensor with at least one dim", t.shape))
    ax = normalize_axis(where, axis, t.ndim)
    n = t.shape[ax]
    if n is None:
        raise InvalidArgumentError(describe(where, "x", f"a known size along axis {ax}",
                                            t.shape))
    key = _draw_words(seed, where)
    if n <= 1:
        return t
    with _on_backend_of(t):
        w = ops.cast(_words(key, 2 * n, where), _dt.uint64)
        k64 = ops.bitwise_or(ops.left_shift(ops.strided_slice(w, (slice(0, n),)), 32),
                             ops.strided_slice(w, (slice(n, 2 * n),)))
        return ops.take(t, ops.argsort(k64, axis=0), axis=ax)


def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Any:
    """``num_samples`` class indices per row of ``logits`` (``(batch, classes)``), drawn
    with probabilities ``softmax(logits)``: shape ``(batch, num_samples)``.

    Gumbel-max: ``argmax(logits + g)``, ``g = -log(-log u)`` with this module's ``log``
    and ``u = (k + 1/2) * 2**-32`` in ``(0, 1)``; first index on ties.
    """
    where = "categorical"
    lg = _tensor_arg(logits, where)
    d = _canon(dtype, where)
    if not d.is_integer:
        raise DTypeError(describe(where, "dtype", "an integer dtype", str(d)))
    if not lg.dtype.is_floating:
        lg = ops.cast(lg, _dt.float32)
    if lg.ndim != 2:
        raise ShapeError(describe(where, "logits", "a 2-d tensor (batch, classes)", lg.shape))
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 0:
        raise InvalidArgumentError(describe(where, "num_samples", "a non-negative int",
                                            repr(num_samples)))
    b, k = _static_shape(lg.shape, where)
    key = _draw_words(seed, where)
    shape = (b, num_samples, k)
    n = _size(shape)
    if n == 0:
        return ops.zeros((b, num_samples), d)
    with _on_backend_of(lg):
        u = ops.add(_unit(key, n, 32, where), 2.0 ** -33)  # (0, 1), exact
        e = ops.neg(_log(u))  # in [2**-34, 23]
        g = ops.neg(_log(e, up=(4, 2, 1), down=_STEPS))
        scores = ops.add(ops.reshape(g, shape),
                         ops.reshape(ops.cast(lg, _dt.float64), (b, 1, k)))
        return ops.cast(ops.argmax(scores, axis=-1), d)


# ==== gamma, beta, binomial ====================================================================
#: Marsaglia-Tsang proposals per gamma draw: each is accepted with probability >= 0.95
#: (shape >= 1), so all ten fail with probability < 1e-13; the draw is then the mean.
_GAMMA_ROUNDS = 10
_INV_LN2 = 1.0 / math.log(2.0)


def _exp(x: Any) -> Any:
    """``exp`` of float64 ``x <= 0`` from exact arithmetic: ``x = k ln 2 + r`` with
    ``|r| <= ln2 / 2`` (two-part ``ln 2``), ``exp(r)`` by its Taylor series and ``2**k``
    as a product of exact powers of two chosen by the bits of ``-k`` (down to 2**-1100,
    below which the result is 0)."""
    k = ops.floor(ops.add(ops.multiply(x, _INV_LN2), 0.5))
    k = ops.maximum(k, -1100.0)
    r = ops.subtract(ops.subtract(x, ops.multiply(k, _LN2_HI)), ops.multiply(k, _LN2_LO))
    er = _horner(r, _EXP_COEFFS)
    m = ops.neg(k)  # 0 .. 1100
    p = ops.ones_like(x)
    for b in range(11):
        q = ops.floor(ops.multiply(m, 2.0 ** -b))
        bit = ops.subtract(q, ops.multiply(ops.floor(ops.multiply(q, 0.5)), 2.0))
        p = ops.where(ops.equal(bit, 1.0), ops.multiply(p, 2.0 ** -(2 ** b)), p)
    return ops.where(ops.less(x, -745.2), ops.zeros_like(x), ops.multiply(er, p))


def _positive_param(value: Any, shape: tuple[int, ...], where: str, arg: str) -> Any:
    """A Python number or a concrete tensor broadcastable to ``shape``, all > 0, as a flat
    float64 tensor of ``prod(shape)`` values."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not value > 0 or not math.isfinite(value):
            raise InvalidArgumentError(describe(where, arg, "a finite number > 0", value))
        return ops.full((_size(shape),), float(value), _dt.float64)
    t = _tensor_arg(value, where)
    try:
        t = ops.broadcast_to(ops.cast(t, _dt.float64), shape)
    except Exception:  # noqa: BLE001  (any broadcast failure is this argument's error)
        raise ShapeError(describe(where, arg, f"a shape broadcastable to {shape}",
                                  tuple(t.shape))) from None
    if ops.is_symbolic(t):
        # inside a traced step (CutMix draws its Beta parameter per batch): the values
        # are only known when the step runs, so they are not checked here
        return ops.reshape(t, (-1,))
    if not bool(ops.all(ops.greater(t, 0.0))):
        raise InvalidArgumentError(describe(where, arg, "values > 0", "some <= 0"))
    return ops.reshape(t, (-1,))


def _std_gamma(key: tuple[Word, Word], alpha: Any, where: str) -> Any:
    """Gamma(alpha, 1) draws for a flat float64 ``alpha`` (Marsaglia & Tsang, 2000).

    ``d = a - 1/3``, ``c = 1/sqrt(9d)``; a proposal ``d (1 + c z)**3`` (``z`` normal) is
    accepted when ``log u < z**2/2 + d - d v + d log v``. Each value gets a fixed number of
    proposals and keeps the first accepted one (no data-dependent loop, so every backend
    computes the same bits). Shapes ``a < 1`` draw Gamma(a + 1) and multiply by
    ``u**(1/a)``."""
    n = alpha.shape[0]
    rounds = _GAMMA_ROUNDS
    small = ops.less(alpha, 1.0)
    a = ops.where(small, ops.add(alpha, 1.0), alpha)
    d = ops.subtract(a, 1.0 / 3.0)
    c = ops.divide(1.0, ops.sqrt(ops.multiply(d, 9.0)))
    k1 = _advance(*key)
    k2 = _advance(*k1)
    z = ops.reshape(_std_normal(key, rounds * n, 53, where), (rounds, n))
    u = ops.subtract(1.0, ops.reshape(_unit(k1, rounds * n, 53, where), (rounds, n)))
    w = ops.add(1.0, ops.multiply(c, z))
    v = ops.multiply(ops.multiply(w, w), w)
    pos = ops.greater(v, 0.0)
    log_v = _log(ops.where(pos, v, ops.ones_like(v)), up=(4, 2, 1))
    rhs = ops.add(ops.add(ops.multiply(ops.multiply(z, z), 0.5), d),
                  ops.multiply(d, ops.subtract(log_v, v)))
    ok = ops.logical_and(pos, ops.less(_log(u), rhs))
    first = ops.argmax(ops.cast(ok, _dt.int32), axis=0)
    dv = ops.multiply(d, v)
    picked = ops.squeeze(ops.take_along_axis(dv, ops.expand_dims(first, 0), axis=0), 0)
    any_ok = ops.any(ok, axis=0)
    g = ops.where(any_ok, picked, a)
    u3 = ops.subtract(1.0, _unit(k2, n, 53, where))  # (0, 1]
    boost = _exp(ops.divide(_log(u3), ops.where(small, alpha, ops.ones_like(alpha))))
    return ops.where(small, ops.multiply(g, boost), g)


def gamma(shape: Any, alpha: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Gamma draws of shape ``alpha`` (scale 1); ``alpha`` a number or a tensor
    broadcastable to ``shape``. Mean ``alpha``, variance ``alpha``."""
    where = "gamma"
    dtype = _float_dtype(dtype, where)
    shape = _static_shape(shape, where)
    a = _positive_param(alpha, shape, where, "alpha")
    key = _draw_words(seed, where)
    if _size(shape) == 0:
        return ops.zeros(shape, dtype)
    with _on_backend_of(a):
        return ops.cast(ops.reshape(_std_gamma(key, a, where), shape), dtype)


def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Any:
    """Beta(``alpha``, ``beta``) draws in ``[0, 1]`` as ``X / (X + Y)`` of two independent
    gamma draws (``X`` of shape ``alpha``, ``Y`` of shape ``beta``)."""
    where = "beta"
    dtype = _float_dtype(dtype, where)
    shape = _static_shape(shape, where)
    a = _positive_param(alpha, shape, where, "alpha")
    b = _positive_param(beta, shape, where, "beta")
    key = _draw_words(seed, where)
    if _size(shape) == 0:
        return ops.zeros(shape, dtype)
    key_y = _advance(*_advance(*_advance(*key)))  # past the keys X's draw uses
    with _on_backend_of(a):
        x = _std_gamma(key, a, where)
        y = _std_gamma(key_y, b, where)
        return ops.cast(ops.reshape(ops.divide(x, ops.add(x, y)), shape), dtype)


#: the largest ``counts`` :func:`binomial` draws (it sums one Bernoulli per trial)
MAX_BINOMIAL_COUNT = 1 << 14


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None,
             seed: Any = None) -> Any:
    """Binomial draws: the number of successes in ``counts`` trials of success
    probability ``probabilities`` (numbers or tensors broadcastable to ``shape``),
    returned as ``dtype`` (float32 by default, as Keras).

    Exact: the sum of ``counts`` Bernoulli trials, each ``u < p`` with ``u`` of 32 random
    bits; the work is ``prod(shape) * max(counts)``, so counts are limited to
    :data:`MAX_BINOMIAL_COUNT`."""
    where = "binomial"
    d = _float_dtype(dtype, where) if dtype is None or _canon(dtype, where).is_floating \
        else _canon(dtype, where)
    shape = _static_shape(shape, where)
    n_el = _size(shape)

    def flat(value: Any, arg: str) -> Any:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return ops.full((n_el,), float(value), _dt.float64)
        t = _tensor_arg(value, where)
        if ops.is_symbolic(t):
            raise InvalidArgumentError(describe(where, arg, "a number or a concrete tensor",
                                                "a symbolic tensor"))
        try:
            return ops.reshape(ops.broadcast_to(ops.cast(t, _dt.float64), shape), (-1,))
        except Exception:  # noqa: BLE001
            raise ShapeError(describe(where, arg, f"a shape broadcastable to {shape}",
                                      tuple(t.shape))) from None

    cnt = flat(counts, "counts")
    p = flat(probabilities, "probabilities")
    key = _draw_words(seed, where)
    if n_el == 0:
        return ops.zeros(shape, d)
    if not bool(ops.all(ops.logical_and(ops.greater_equal(p, 0.0), ops.less_equal(p, 1.0)))):
        raise InvalidArgumentError(describe(where, "probabilities", "values in [0, 1]",
                                            "some outside"))
    if not bool(ops.all(ops.logical_and(ops.greater_equal(cnt, 0.0),
                                        ops.equal(ops.floor(cnt), cnt)))):
        raise InvalidArgumentError(describe(where, "counts", "non-negative integers",
                                            "other values"))
    top = int(float(ops.max(cnt)))
    if top > MAX_BINOMIAL_COUNT:
        raise InvalidArgumentError(describe(where, "counts",
                                            f"at most {MAX_BINOMIAL_COUNT} trials", top))
    if top == 0:
        return ops.zeros(shape, d)
    with _on_backend_of(cnt):
        u = ops.reshape(_unit(key, top * n_el, 32, where), (top, n_el))
        trial = ops.reshape(ops.arange(top, dtype=_dt.float64), (top, 1))
        hit = ops.logical_and(ops.less(u, p), ops.less(trial, cnt))
        total = ops.sum(ops.cast(hit, _dt.float64), axis=0)
        return ops.cast(ops.reshape(total, shape), d)
