"""More elementwise math, as ``keras.ops``: inverse trigonometric and hyperbolic functions,
``arctan2``, ``hypot``, ``erfc``/``erfinv``, ``i0``, NaN-aware ``fmax``/``fmin``, integer
``gcd``/``lcm``, bit inversion, closeness tests and the complex-number accessors.

Every op here is a composite of the primitives in :mod:`.elementwise` (so it runs on every
backend and is differentiable where Keras's is). A few carry their own backward rule
(``arctan2``, ``hypot``, ``erfinv``): the decomposition picks branches with ``where``, whose
derivative at a branch switch would otherwise be that of one branch only.

tensorweave has no complex dtypes: ``real``, ``imag``, ``conj``/``conjugate``, ``angle`` and
``isreal`` give what Keras gives for real input (``x``, zeros, ``x``, ``0`` or ``pi``, all
True).
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError
from ._dispatch import apply, coerce_pair, convert_to_tensor, defop, is_tensor
from .elementwise import (
    _bcast,
    _to_float,
    _unary_rule,
    abs,
    add,
    arctan,
    bitwise_xor,
    cast,
    ceil,
    divide,
    equal,
    erf,
    exp,
    floor,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    left_shift,
    less,
    less_equal,
    log,
    log1p,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    mod,
    multiply,
    neg,
    not_equal,
    power,
    right_shift,
    sign,
    sin,
    sqrt,
    subtract,
    unbroadcast,
    where,
)

__all__ = [
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan2", "arctanh", "cbrt", "deg2rad",
    "rad2deg", "exp2", "fabs", "fmax", "fmin", "fmod", "gcd", "lcm", "heaviside", "hypot",
    "i0", "ldexp", "logaddexp2", "nextafter", "signbit", "sinc", "trunc", "erfc", "erfinv",
    "divide_no_nan", "bitwise_invert", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "isclose", "allclose", "isin", "isneginf", "isposinf", "isreal",
    "angle", "conj", "conjugate", "real", "imag",
]

_LN2 = math.log(2.0)


def _t(x: Any, name: str) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _float_pair(name: str, x1: Any, x2: Any) -> tuple:
    """Promote two inputs together; non-float results become float32 (as Keras)."""
    x1, x2 = coerce_pair(name, x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = cast(x1, _dt.float32), cast(x2, _dt.float32)
    return x1, x2


# ---- arctan2 and the inverse trigonometric functions ------------------------------------
def _signbit_float(x: Any) -> Any:
    # -0.0 < 0 is False, but 1 / -0.0 == -inf
    return logical_or(less(x, 0), logical_and(equal(x, 0), less(divide(1.0, x), 0)))


def _arctan2_impl(y: Any, x: Any) -> Any:
    ay, ax = abs(y), abs(x)
    big, small = maximum(ay, ax), minimum(ay, ax)
    both_inf = logical_and(isinf(ay), isinf(ax))
    ratio = where(both_inf, 1.0, divide(small, where(equal(big, 0), 1.0, big)))
    r = arctan(ratio)  # in [0, pi/4]
    r = where(greater(ay, ax), subtract(math.pi / 2, r), r)
    r = where(_signbit_float(x), subtract(math.pi, r), r)
    r = where(_signbit_float(y), neg(r), r)
    return where(logical_or(isnan(x), isnan(y)), float("nan"), r)


def _vjp_arctan2(g, out, y, x):  # noqa: ANN001, ANN202
    d = add(multiply(x, x), multiply(y, y))
    return (unbroadcast(multiply(g, divide(x, d)), y.shape),
            unbroadcast(multiply(g, divide(neg(y), d)), x.shape))


ARCTAN2 = defop("arctan2", _bcast("arctan2", kinds="f"), decompose=_arctan2_impl,
                vjp=_vjp_arctan2, elementwise=True, family="elementwise",
                doc="Angle of the point (x2, x1), in [-pi, pi], signs of zeros honoured.")


def arctan2(x1: Any, x2: Any) -> Any:
    """Element-wise arc tangent of ``x1 / x2`` choosing the quadrant correctly."""
    x1, x2 = _float_pair("arctan2", x1, x2)
    return apply(ARCTAN2, (x1, x2))


def _one_minus_sq(x: Any) -> Any:
    return multiply(subtract(1.0, x), add(1.0, x))


def arcsin(x: Any) -> Any:
    """Inverse sine; NaN outside [-1, 1]."""
    x = _to_float(x, "arcsin")
    return arctan2(x, sqrt(_one_minus_sq(x)))


def arccos(x: Any) -> Any:
    """Inverse cosine; NaN outside [-1, 1]."""
    x = _to_float(x, "arccos")
    return arctan2(sqrt(_one_minus_sq(x)), x)


def arcsinh(x: Any) -> Any:
    """Inverse hyperbolic sine, accurate near 0 and without overflow for large |x|."""
    x = _to_float(x, "arcsinh")
    a = abs(x)
    big = greater(a, 1e8)
    s = minimum(a, 1e8)  # keeps the unused branch (and its gradient) finite
    small = log1p(add(s, divide(multiply(s, s), add(1.0, sqrt(add(1.0, multiply(s, s)))))))
    large = add(log(where(big, a, 1.0)), _LN2)
    return multiply(sign(x), where(big, large, small))


def arccosh(x: Any) -> Any:
    """Inverse hyperbolic cosine; NaN below 1."""
    x = _to_float(x, "arccosh")
    t = subtract(x, 1.0)
    big = greater(x, 1e8)
    s = minimum(t, 1e8)
    small = log1p(add(s, sqrt(multiply(s, add(s, 2.0)))))
    large = add(log(where(big, x, 1.0)), _LN2)
    return where(less(x, 1.0), float("nan"), where(big, large, small))


def arctanh(x: Any) -> Any:
    """Inverse hyperbolic tangent; +-inf at +-1, NaN outside [-1, 1]."""
    x = _to_float(x, "arctanh")
    return multiply(log1p(divide(multiply(x, 2.0), subtract(1.0, x))), 0.5)


# ---- simple float functions --------------------------------------------------------------
def cbrt(x: Any) -> Any:
    """Real cube root (negative for negative input)."""
    x = _to_float(x, "cbrt")
    return multiply(sign(x), power(abs(x), 1.0 / 3.0))


def deg2rad(x: Any) -> Any:
    return multiply(_to_float(x, "deg2rad"), math.pi / 180.0)


def rad2deg(x: Any) -> Any:
    return multiply(_to_float(x, "rad2deg"), 180.0 / math.pi)


def exp2(x: Any) -> Any:
    """``2 ** x``."""
    return power(2.0, _to_float(x, "exp2"))


def fabs(x: Any) -> Any:
    """Absolute value as a float (integers become float32, as Keras)."""
    return abs(_to_float(x, "fabs"))


def sinc(x: Any) -> Any:
    """Normalised sinc: ``sin(pi x) / (pi x)``, 1 at 0."""
    x = _to_float(x, "sinc")
    zero = equal(x, 0)
    px = multiply(where(zero, 1.0, x), math.pi)
    return where(zero, 1.0, divide(sin(px), px))


def trunc(x: Any) -> Any:
    """Round toward zero; integers and booleans are returned unchanged."""
    x = _t(x, "trunc")
    if not x.dtype.is_floating:
        return x
    return where(less(x, 0), ceil(x), floor(x))


def signbit(x: Any) -> Any:
    """True where the sign bit is set (``-0.0`` included; NaN's sign is not visible here)."""
    x = _t(x, "signbit")
    if x.dtype.is_bool or x.dtype.kind == "u":
        return not_equal(x, x) if x.dtype.is_bool else less(x, 0)
    if not x.dtype.is_floating:
        return less(x, 0)
    return _signbit_float(x)


def heaviside(x1: Any, x2: Any) -> Any:
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``."""
    x1, x2 = _float_pair("heaviside", x1, x2)
    out = where(less(x1, 0), 0.0, where(greater(x1, 0), 1.0, x2))
    return where(isnan(x1), x1, out)


def _hypot_impl(x: Any, y: Any) -> Any:
    a, b = abs(x), abs(y)
    big, small = maximum(a, b), minimum(a, b)
    safe = where(equal(big, 0), 1.0, big)
    r = divide(small, safe)
    h = multiply(big, sqrt(add(1.0, multiply(r, r))))
    h = where(equal(big, 0), 0.0, h)
    return where(logical_or(isinf(a), isinf(b)), float("inf"), h)


def _vjp_hypot(g, out, x, y):  # noqa: ANN001, ANN202
    safe = where(equal(out, 0), 1.0, out)
    return (unbroadcast(multiply(g, divide(x, safe)), x.shape),
            unbroadcast(multiply(g, divide(y, safe)), y.shape))


HYPOT = defop("hypot", _bcast("hypot", kinds="f"), decompose=_hypot_impl, vjp=_vjp_hypot,
              elementwise=True, family="elementwise",
              doc="sqrt(x1**2 + x2**2) without overflow or underflow.")


def hypot(x1: Any, x2: Any) -> Any:
    """``sqrt(x1**2 + x2**2)``, scaled so it neither overflows nor underflows."""
    x1, x2 = _float_pair("hypot", x1, x2)
    return apply(HYPOT, (x1, x2))


def ldexp(x1: Any, x2: Any) -> Any:
    """``x1 * 2 ** x2``; ``x2`` must be an integer tensor (as Keras)."""
    x2 = _t(x2, "ldexp")
    if not x2.dtype.is_integer:
        raise DTypeError(f"ldexp: argument 'x2': expected an integer dtype, got {x2.dtype}")
    x1 = _to_float(x1, "ldexp")
    return multiply(x1, power(2.0, cast(x2, x1.dtype)))


def logaddexp2(x1: Any, x2: Any) -> Any:
    """``log2(2 ** x1 + 2 ** x2)`` without overflow."""
    x1, x2 = _float_pair("logaddexp2", x1, x2)
    return divide(logaddexp(multiply(x1, _LN2), multiply(x2, _LN2)), _LN2)


def divide_no_nan(x1: Any, x2: Any) -> Any:
    """``x1 / x2``, and 0 where ``x2 == 0`` (the gradient there is 0 too)."""
    x1, x2 = _float_pair("divide_no_nan", x1, x2)
    zero = equal(x2, 0)
    return where(zero, 0.0, divide(x1, where(zero, 1.0, x2)))


# ---- NaN-aware extremes, fmod ---------------------------------------------------------------
def fmax(x1: Any, x2: Any) -> Any:
    """Element-wise maximum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = coerce_pair("fmax", x1, x2)
    if not x1.dtype.is_floating:
        return maximum(x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, maximum(x1, x2)))


def fmin(x1: Any, x2: Any) -> Any:
    """Element-wise minimum that ignores NaN (NaN only where both are NaN)."""
    x1, x2 = coerce_pair("fmin", x1, x2)
    if not x1.dtype.is_floating:
        return minimum(x1, x2)
    return where(isnan(x1), x2, where(isnan(x2), x1, minimum(x1, x2)))


def fmod(x1: Any, x2: Any) -> Any:
    """C remainder: the sign of the dividend ``x1`` (``mod`` takes the divisor's)."""
    x1, x2 = coerce_pair("fmod", x1, x2)
    if x1.dtype.is_bool:
        x1, x2 = cast(x1, _dt.int32), cast(x2, _dt.int32)
    r = mod(x1, x2)
    flip = logical_and(not_equal(r, 0), not_equal(less(r, 0), less(x1, 0)))
    return where(flip, subtract(r, x2), r)


# ---- integer functions -----------------------------------------------------------------------
def _int_pair(name: str, x1: Any, x2: Any) -> tuple:
    x1, x2 = coerce_pair(name, x1, x2)
    if not x1.dtype.is_integer:
        raise DTypeError(f"{name}: expected integer inputs, got {x1.dtype}")
    return x1, x2


def gcd(x1: Any, x2: Any) -> Any:
    """Greatest common divisor of ``|x1|`` and ``|x2|`` (0 for two zeros).

    Euclid's algorithm, unrolled to its worst case for the dtype's width (consecutive
    Fibonacci numbers), so it is one fixed graph on every backend.
    """
    x1, x2 = _int_pair("gcd", x1, x2)
    a, b = abs(x1), abs(x2)
    a, b = maximum(a, b), minimum(a, b)
    steps = int(1.45 * x1.dtype.bits) + 2
    for _ in range(steps):
        done = equal(b, 0)
        r = mod(a, where(done, 1, b))
        a, b = where(done, a, b), where(done, 0, r)
    return a


def lcm(x1: Any, x2: Any) -> Any:
    """Least common multiple of ``|x1|`` and ``|x2|`` (0 if either is 0)."""
    x1, x2 = _int_pair("lcm", x1, x2)
    g = gcd(x1, x2)
    zero = equal(g, 0)
    from .elementwise import floor_divide

    return where(zero, 0, multiply(floor_divide(abs(x1), where(zero, 1, g)), abs(x2)))


def bitwise_invert(x: Any) -> Any:
    """Flip every bit (``~x``); for booleans, logical not."""
    x = _t(x, "bitwise_invert")
    if x.dtype.is_bool:
        return logical_not(x)
    if not x.dtype.is_integer:
        raise DTypeError(f"bitwise_invert: expected an integer or bool input, got {x.dtype}")
    from .creation import full_like

    ones = -1 if x.dtype.kind == "i" else int(x.dtype.max)
    return bitwise_xor(x, full_like(x, ones))


bitwise_not = bitwise_invert


def bitwise_left_shift(x: Any, y: Any) -> Any:
    """``x << y`` (alias of ``left_shift``)."""
    return left_shift(x, y)


def bitwise_right_shift(x: Any, y: Any) -> Any:
    """``x >> y`` (alias of ``right_shift``)."""
    return right_shift(x, y)


# ---- special functions ---------------------------------------------------------------------
def _erfc_cf(x: Any) -> Any:
    # erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))
    # for x >= 2; the continued fraction, evaluated from its tail, needs few terms there
    f: Any = x
    for k in range(40, 0, -1):
        f = add(x, divide(k / 2.0, f))
    return divide(exp(neg(multiply(x, x))), multiply(f, math.sqrt(math.pi)))


def erfc(x: Any) -> Any:
    """``1 - erf(x)``, accurate also where it is tiny (large positive ``x``)."""
    x = _to_float(x, "erfc")
    a = abs(x)
    far = greater_equal(a, 2.0)
    tail = _erfc_cf(maximum(a, 2.0))
    tail = where(less(x, 0), subtract(2.0, tail), tail)
    return where(far, tail, subtract(1.0, erf(x)))


def _erfinv_impl(x: Any) -> Any:
    # Giles' single-precision approximation, then two Newton steps on erf(y) = x
    w = neg(log(multiply(subtract(1.0, x), add(1.0, x))))
    central = less(w, 5.0)
    wc = subtract(where(central, w, 5.0), 2.5)
    pc: Any = 2.81022636e-08
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
              -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
        pc = add(multiply(pc, wc), c)
    wt = subtract(sqrt(where(central, 5.0, w)), 3.0)
    pt: Any = -0.000200214257
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
              -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
        pt = add(multiply(pt, wt), c)
    y = multiply(where(central, pc, pt), x)
    finite = logical_and(isfinite(y), less(abs(x), 1.0))
    ys = where(finite, y, 0.0)
    for _ in range(2):
        step = divide(subtract(erf(ys), x),
                      multiply(2.0 / math.sqrt(math.pi), exp(neg(multiply(ys, ys)))))
        ys = subtract(ys, where(finite, step, 0.0))
    from .creation import full_like

    # a tensor of x's dtype (two Python floats would make a float32 tensor)
    edge = where(equal(x, 1.0), float("inf"), where(equal(x, -1.0), float("-inf"),
                                                    full_like(x, float("nan"))))
    return where(finite, ys, edge)


def _vjp_erfinv(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, multiply(math.sqrt(math.pi) / 2.0, exp(multiply(out, out)))),)


ERFINV = defop("erfinv", _unary_rule("erfinv", "f"), decompose=_erfinv_impl,
               vjp=_vjp_erfinv, elementwise=True, family="elementwise",
               doc="Inverse error function on (-1, 1); +-inf at +-1, NaN outside.")


def erfinv(x: Any) -> Any:
    """Inverse of ``erf``."""
    return apply(ERFINV, (_to_float(x, "erfinv"),))


def i0(x: Any) -> Any:
    """Modified Bessel function of the first kind, order 0 (used by the Kaiser window).

    The power series ``sum ((x/2)^(2k) / k!^2)`` up to ``|x| = 15`` (45 terms reach float64
    precision there); beyond it the asymptotic series of ``exp(|x|) / sqrt(2 pi |x|)``.
    """
    x = _to_float(x, "i0")
    a = abs(x)
    near = less_equal(a, 15.0)
    s = minimum(a, 15.0)
    q = multiply(multiply(s, s), 0.25)
    term: Any = 1.0
    total: Any = 1.0
    for k in range(1, 46):
        term = multiply(term, divide(q, float(k * k)))
        total = add(total, term)
    big = maximum(a, 15.0)
    inv8 = divide(1.0, multiply(big, 8.0))
    series: Any = 1.0
    coef = 1.0
    t: Any = 1.0
    for k in range(1, 12):
        coef *= (2 * k - 1) ** 2 / k
        t = multiply(t, inv8)
        series = add(series, multiply(t, coef))
    asym = divide(multiply(exp(big), series), sqrt(multiply(big, 2.0 * math.pi)))
    return where(near, total, asym)


def nextafter(x1: Any, x2: Any) -> Any:
    """The next representable float after ``x1`` toward ``x2``.

    Computed arithmetically (there is no bit-cast op): the spacing of floats at ``x1`` is a
    power of two found from the exponent of ``|x1|``, halved when stepping down from an
    exact power of two, never below the smallest subnormal.
    """
    x1, x2 = _float_pair("nextafter", x1, x2)
    d = x1.dtype
    mant = {16: 10, 32: 23, 64: 52}[d.bits] if d is not _dt.bfloat16 else 7
    emin = {16: -14, 32: -126, 64: -1022}[d.bits] if d is not _dt.bfloat16 else -126
    tiny = 2.0 ** (emin - mant)
    a = abs(x1)
    safe = where(logical_and(isfinite(a), greater(a, 0)), a, 1.0)
    e = floor(divide(log(safe), _LN2))
    # correct log2's rounding: 2^e <= |x1| < 2^(e+1)
    e = where(greater(power(2.0, e), safe), subtract(e, 1.0), e)
    e = where(less_equal(power(2.0, add(e, 1.0)), safe), add(e, 1.0), e)
    e = maximum(e, float(emin))
    ulp = power(2.0, subtract(e, float(mant)))
    up = greater(x2, x1)  # toward +inf
    toward_zero = logical_or(logical_and(up, less(x1, 0)),
                             logical_and(logical_not(up), greater(x1, 0)))
    exact_pow2 = logical_and(equal(power(2.0, e), safe), greater(e, float(emin)))
    step = where(logical_and(toward_zero, exact_pow2), multiply(ulp, 0.5), ulp)
    out = where(up, add(x1, step), subtract(x1, step))
    from .creation import full_like

    # constants as tensors of x1's dtype (a Python float would pass through float32)
    emax = {16: 15, 32: 127, 64: 1023}[d.bits] if d is not _dt.bfloat16 else 127
    fmax_ = (2.0 - 2.0 ** -mant) * 2.0 ** emax
    tiny_t, big_t = full_like(x1, tiny), full_like(x1, fmax_)
    out = where(equal(x1, 0), where(up, tiny_t, neg(tiny_t)), out)
    out = where(isinf(x1), where(greater(x1, 0), big_t, neg(big_t)), out)
    out = where(equal(x1, x2), x2, out)
    return where(logical_or(isnan(x1), isnan(x2)), float("nan"), out)


# ---- closeness and membership -----------------------------------------------------------
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Any:
    """``|x1 - x2| <= atol + rtol * |x2|``; infinities are close only to themselves."""
    x1, x2 = coerce_pair("isclose", x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = cast(x1, _dt.float32), cast(x2, _dt.float32)
    both_finite = logical_and(isfinite(x1), isfinite(x2))
    diff = abs(subtract(x1, where(both_finite, x2, 0.0)))
    near = less_equal(diff, add(atol, multiply(rtol, abs(x2))))
    out = logical_or(equal(x1, x2), logical_and(both_finite, near))
    if equal_nan:
        out = logical_or(out, logical_and(isnan(x1), isnan(x2)))
    return out


def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> Any:
    """Whether every element pair is ``isclose`` (a scalar bool tensor)."""
    from .reduction import all as _all

    return _all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Any:
    """Whether each element of ``x1`` occurs in ``x2`` (``x1``'s shape)."""
    from .reduction import any as _any
    from .shape import expand_dims, reshape

    x1, x2 = coerce_pair("isin", _t(x1, "isin"), x2)
    flat = reshape(x2, (-1,))
    found = _any(equal(expand_dims(x1, -1), flat), axis=-1)
    return logical_not(found) if invert else found


def isneginf(x: Any) -> Any:
    x = _t(x, "isneginf")
    return logical_and(isinf(x), less(x, 0)) if x.dtype.is_floating else not_equal(x, x)


def isposinf(x: Any) -> Any:
    x = _t(x, "isposinf")
    return logical_and(isinf(x), greater(x, 0)) if x.dtype.is_floating else not_equal(x, x)


# ---- complex accessors on real tensors -------------------------------------------------
def isreal(x: Any) -> Any:
    """All True: tensorweave has no complex dtypes."""
    x = _t(x, "isreal")
    return equal(x, x) if not x.dtype.is_floating else logical_or(equal(x, x), isnan(x))


def real(x: Any) -> Any:
    """The real part: ``x`` itself for real tensors."""
    return _t(x, "real")


def imag(x: Any) -> Any:
    """The imaginary part: zeros of ``x``'s dtype for real tensors."""
    from .creation import zeros_like

    return zeros_like(_t(x, "imag"))


def conj(x: Any) -> Any:
    """The complex conjugate: ``x`` itself for real tensors."""
    return _t(x, "conj")


conjugate = conj


def angle(x: Any) -> Any:
    """The argument: ``pi`` where the sign bit is set, else 0 (NaN stays NaN)."""
    x = _to_float(x, "angle")
    return arctan2(where(isnan(x), x, 0.0), x)
