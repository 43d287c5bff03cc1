"""Built-in initializers plugin: Keras 3's weight initializers, reproducible on every backend.

An initializer is a callable ``(shape, dtype=None) -> tensor`` with ``get_config`` /
``from_config``. The random ones draw from :mod:`tensorweave.random`, whose generator is
built from exact ``tensorweave.ops`` arithmetic, so **the same seed gives bit-identical
weights on the numpy, python and any other backend**: a model initialised on one backend
can be replayed on the reference one.

Seeds follow Keras 3:

* ``seed=<int>``: every call returns the same values (an initializer reused for two
  layers gives both the same weights, as in Keras);
* ``seed=SeedGenerator(...)``: every call advances the generator;
* ``seed=None``: draws from tensorweave's global generator, so one
  ``tw.random.set_seed(s)`` makes a whole model's initialisation repeatable.

The scale rules (fan computation, ``VarianceScaling``'s truncated-normal correction
``0.8796...``) are Keras's, so weights have the same distribution as in Keras. All scale
arithmetic happens on Python floats before the draw, so it cannot differ between backends.

:class:`Orthogonal` needs a QR decomposition. Backends' linear algebra does not round the
same way, so the orthogonalisation runs as modified Gram-Schmidt in Python floats
(``math.fsum`` dot products, correctly rounded, hence deterministic everywhere) on the
normal draws, and only the result is converted to a tensor. Gram-Schmidt yields exactly
Keras's ``Q * sign(diag(R))``: the Q factor with a positive diagonal of R. Its cost is
``max(rows, cols) * min(rows, cols)**2 / 2`` multiply-adds in Python: about 0.4 s for a (128, 512)
LSTM recurrent kernel, 7 s for (512, 512) and some 25 s for (512, 2048) on the 2-core
development machine. (Written with ops instead, using sums in a fixed pairwise order of
correctly rounded elementwise additions, it would be just as exact and much faster on
numpy, at the price of being much slower on the python backend.)
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import DTypeError, InvalidArgumentError, ShapeError, describe
from tensorweave.plugin import hookimpl
from tensorweave.shapes import check_shape

__all__ = [
    "Initializer", "Zeros", "Ones", "Constant", "RandomUniform", "RandomNormal",
    "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
    "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal", "Identity", "compute_fans",
]


# ---- helpers ---------------------------------------------------------------------------------
def _shape(where: str, shape: Any) -> tuple[int, ...]:
    """A fully known shape (an int is a 1-d shape, as Keras accepts)."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    s = check_shape(where, shape)
    if any(d is None for d in s):
        raise ShapeError(describe(where, "shape", "a fully known shape (no None)", s))
    return tuple(int(d) for d in s)


def _dtype(where: str, dtype: Any, float_only: bool) -> Any:
    d = _dt.default_float() if dtype is None else _dt.canonicalize(dtype)
    if float_only and not d.is_floating:
        raise DTypeError(describe(where, "dtype", "a float dtype", str(d)))
    return d


def _float(where: str, arg: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))
    value = float(value)
    if not math.isfinite(value):
        raise InvalidArgumentError(describe(where, arg, "a finite number", value))
    return value


def _seed(where: str, seed: Any) -> Any:
    """Validate a Keras seed: ``None``, an int, a ``SeedGenerator`` or its config dict."""
    from tensorweave.random import SeedGenerator

    if seed is None or isinstance(seed, SeedGenerator):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    if isinstance(seed, dict):
        config = seed.get("config", seed)
        return SeedGenerator.from_config(dict(config))
    raise InvalidArgumentError(describe(where, "seed", "None, an int or a SeedGenerator",
                                        repr(seed)))


def _seed_config(seed: Any) -> Any:
    from tensorweave.random import SeedGenerator

    if isinstance(seed, SeedGenerator):
        return {"class_name": "SeedGenerator", "config": seed.get_config()}
    return seed


def compute_fans(shape: tuple[int, ...], input_axes: Any = None,
                 output_axes: Any = None) -> tuple[int, int]:
    """``(fan_in, fan_out)`` as Keras: a Dense kernel ``(in, out)``; a conv kernel
    ``(*window, in, out)`` multiplies both by the window size; 1-d shapes use their
    length for both and scalars 1. With both ``input_axes`` and ``output_axes`` given
    (e.g. an EinsumDense kernel), the fans are the products of those axes' sizes."""
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        try:
            fan_in = math.prod(shape[a] for a in input_axes)
            fan_out = math.prod(shape[a] for a in output_axes)
        except (IndexError, TypeError):
            raise InvalidArgumentError(describe(
                "compute_fans", "input_axes/output_axes",
                f"lists of axes of the shape {shape}",
                f"{input_axes!r}, {output_axes!r}")) from None
        return int(fan_in), int(fan_out)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive = 1
    for d in shape[:-2]:
        receptive *= d
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


# ---- base ------------------------------------------------------------------------------------
class Initializer:
    """Base class: ``__call__(shape, dtype=None)`` returns a tensor on the current backend."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype)")

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros (any dtype): Keras's default for biases."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return ops.zeros(_shape("Zeros", shape), dtype=_dtype("Zeros", dtype, False))


class Ones(Initializer):
    """All ones (any dtype): e.g. BatchNormalization's gamma."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return ops.ones(_shape("Ones", shape), dtype=_dtype("Ones", dtype, False))


class Constant(Initializer):
    """A constant ``value`` (a number, or nested lists broadcastable to the shape)."""

    def __init__(self, value: Any = 0.0) -> None:
        if ops.is_tensor(value):
            value = value.tolist()
        if isinstance(value, (list, tuple)):
            value = [v for v in value]  # keep it JSON-able
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidArgumentError(describe("Constant", "value",
                                                "a number or nested lists of numbers",
                                                repr(value)))
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        s = _shape("Constant", shape)
        d = _dtype("Constant", dtype, False)
        if isinstance(self.value, (int, float)):
            return ops.full(s, self.value, dtype=d)
        v = ops.convert_to_tensor(self.value, d)
        try:
            return ops.broadcast_to(v, s)
        except ShapeError:
            raise ShapeError(describe("Constant", "shape", "a shape the value "
                                      f"(shape {tuple(v.shape)}) broadcasts to", s)) from None

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


# ---- random ----------------------------------------------------------------------------------
class _RandomInitializer(Initializer):
    """Holds the seed (see the module docstring for its Keras semantics)."""

    def __init__(self, seed: Any = None) -> None:
        self.seed = _seed(type(self).__name__, seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": _seed_config(self.seed)}


class RandomUniform(_RandomInitializer):
    """Uniform on ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        self.minval = _float("RandomUniform", "minval", minval)
        self.maxval = _float("RandomUniform", "maxval", maxval)
        if not self.minval < self.maxval:
            raise InvalidArgumentError(describe("RandomUniform", "maxval",
                                                f"a value above minval ({self.minval})",
                                                self.maxval))

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from tensorweave import random

        return random.uniform(_shape("RandomUniform", shape), minval=self.minval,
                              maxval=self.maxval,
                              dtype=_dtype("RandomUniform", dtype, True), seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class RandomNormal(_RandomInitializer):
    """Normal with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        self.mean = _float("RandomNormal", "mean", mean)
        self.stddev = _float("RandomNormal", "stddev", stddev)
        if self.stddev < 0:
            raise InvalidArgumentError(describe("RandomNormal", "stddev", "a value >= 0",
                                                self.stddev))

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from tensorweave import random

        return random.normal(_shape("RandomNormal", shape), mean=self.mean,
                             stddev=self.stddev, dtype=_dtype("RandomNormal", dtype, True),
                             seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(_RandomInitializer):
    """Normal restricted to ``mean +- 2 stddev`` (values beyond are never produced)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Any = None) -> None:
        super().__init__(seed)
        self.mean = _float("TruncatedNormal", "mean", mean)
        self.stddev = _float("TruncatedNormal", "stddev", stddev)
        if self.stddev < 0:
            raise InvalidArgumentError(describe("TruncatedNormal", "stddev", "a value >= 0",
                                                self.stddev))

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from tensorweave import random

        return random.truncated_normal(_shape("TruncatedNormal", shape), mean=self.mean,
                                       stddev=self.stddev,
                                       dtype=_dtype("TruncatedNormal", dtype, True),
                                       seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


#: stddev of a unit normal truncated to [-2, 2]; dividing by it restores the variance
_TRUNC_STD = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")


class VarianceScaling(_RandomInitializer):
    """Draws with variance ``scale / n``, ``n`` the fan-in, fan-out or their mean.

    The base of Glorot (``fan_avg``, scale 1), He (``fan_in``, scale 2) and LeCun
    (``fan_in``, scale 1): weights whose variance keeps activations from exploding or
    vanishing with depth.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in",
                 distribution: str = "truncated_normal", seed: Any = None,
                 input_axes: Any = None, output_axes: Any = None) -> None:
        super().__init__(seed)
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        where = type(self).__name__
        self.scale = _float(where, "scale", scale)
        if self.scale <= 0:
            raise InvalidArgumentError(describe(where, "scale", "a positive float", self.scale))
        if mode not in _MODES:
            raise InvalidArgumentError(describe(where, "mode", f"one of {_MODES}", repr(mode)))
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        if dist == "normal":
            dist = "truncated_normal"
        if dist not in _DISTRIBUTIONS:
            raise InvalidArgumentError(describe(where, "distribution",
                                                f"one of {_DISTRIBUTIONS} or 'normal'",
                                                repr(distribution)))
        self.mode = mode
        self.distribution = dist

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from tensorweave import random

        where = type(self).__name__
        s = _shape(where, shape)
        d = _dtype(where, dtype, True)
        fan_in, fan_out = compute_fans(s, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            scale = self.scale / max(1.0, fan_in)
        elif self.mode == "fan_out":
            scale = self.scale / max(1.0, fan_out)
        else:
            scale = self.scale / max(1.0, (fan_in + fan_out) / 2.0)
        if self.distribution == "truncated_normal":
            return random.truncated_normal(s, mean=0.0, stddev=math.sqrt(scale) / _TRUNC_STD,
                                           dtype=d, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random.normal(s, mean=0.0, stddev=math.sqrt(scale), dtype=d, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random.uniform(s, minval=-limit, maxval=limit, dtype=d, seed=self.seed)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling preset: its config is the seed only (as Keras)."""

    _preset: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: Any = None, input_axes: Any = None,
                 output_axes: Any = None) -> None:
        scale, mode, dist = self._preset
        super().__init__(scale=scale, mode=mode, distribution=dist, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": _seed_config(self.seed), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio, 2010); Keras's
    default kernel initializer."""

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))``."""

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / fan_in)`` (He et al., 2015), for ReLU networks."""

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(2 / fan_in)``."""

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(3 / fan_in)`` (LeCun, 1998), for SELU networks."""

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal with stddev ``sqrt(1 / fan_in)``."""

    _preset = (1.0, "fan_in", "truncated_normal")


# ---- orthogonal / identity -------------------------------------------------------------------
def _gram_schmidt(columns: list[list[float]]) -> list[list[float]]:
    """Orthonormalise ``columns`` (each a list of equal length >= their count) by modified
    Gram-Schmidt in Python floats: deterministic on every machine (``math.fsum`` is
    correctly rounded), and the R factor it implies has a positive diagonal."""
    q: list[list[float]] = []
    n = len(columns[0]) if columns else 0
    mul, sub, repeat = operator.mul, operator.sub, itertools.repeat

    def basis() -> Any:
        for b in range(n):
            yield [1.0 if i == b else 0.0 for i in range(n)]

    for col in columns:
        # a (measure-zero) draw in the span of the previous columns is replaced by the
        # first basis vector outside it, so the result is always orthonormal
        for cand in itertools.chain([col], basis()):
            v = list(cand)
            size = math.sqrt(math.fsum(vi * vi for vi in v))
            for qk in q:
                r = math.fsum(map(mul, qk, v))
                v = list(map(sub, v, map(mul, repeat(r), qk)))
            norm = math.sqrt(math.fsum(vi * vi for vi in v))
            if size > 0.0 and norm > 1e-8 * size:
                break
        q.append([vi / norm for vi in v])
    return q


class Orthogonal(_RandomInitializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014); shapes with more than
    two dimensions are flattened to ``(prod(shape[:-1]), shape[-1])``. Keras's default
    recurrent-kernel initializer."""

    def __init__(self, gain: float = 1.0, seed: Any = None) -> None:
        super().__init__(seed)
        self.gain = _float("Orthogonal", "gain", gain)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from tensorweave import random

        s = _shape("Orthogonal", shape)
        d = _dtype("Orthogonal", dtype, True)
        if len(s) < 2:
            raise ShapeError(describe("Orthogonal", "shape", "at least 2 dimensions", s))
        rows = 1
        for dim in s[:-1]:
            rows *= dim
        cols = s[-1]
        if rows == 0 or cols == 0:
            return ops.zeros(s, dtype=d)
        big, small = max(rows, cols), min(rows, cols)
        draw_dtype = _dt.float64 if d is _dt.float64 else _dt.float32
        a = random.normal((small, big), dtype=draw_dtype, seed=self.seed).tolist()
        # a's rows are the columns of Keras's (big, small) draw; q[k] is column k of Q
        q = _gram_schmidt(a)
        g = self.gain
        if rows >= cols:  # result (rows, cols) = Q: row-major element (i, k) = q[k][i]
            flat = [g * q[k][i] for i in range(big) for k in range(small)]
        else:  # result = Q^T: element (k, i) = q[k][i]
            flat = [g * v for qk in q for v in qk]
        return ops.reshape(ops.convert_to_tensor(flat, d), s)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


class Identity(Initializer):
    """``gain`` times the identity matrix (2-d shapes only; non-square gives ``eye(n, m)``)."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = _float("Identity", "gain", gain)

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        s = _shape("Identity", shape)
        d = _dtype("Identity", dtype, False)
        if len(s) != 2:
            raise ShapeError(describe("Identity", "shape", "a 2-d shape", s))
        eye = ops.eye(s[0], s[1], dtype=d)
        return eye if self.gain == 1.0 else ops.cast(ops.multiply(eye, self.gain), d)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


@hookimpl
def register_initializers(register: Any) -> None:
    """Register the built-in initializers under Keras 3's class names and aliases."""
    register(Initializer)
    register(Zeros, aliases=("zeros", "zero"))
    register(Ones, aliases=("ones", "one"))
    register(Constant, aliases=("constant",))
    register(RandomUniform, aliases=("random_uniform", "uniform"))
    register(RandomNormal, aliases=("random_normal", "normal"))
    register(TruncatedNormal, aliases=("truncated_normal",))
    register(VarianceScaling, aliases=("variance_scaling",))
    register(GlorotUniform, aliases=("glorot_uniform",))
    register(GlorotNormal, aliases=("glorot_normal",))
    register(HeUniform, aliases=("he_uniform",))
    register(HeNormal, aliases=("he_normal",))
    register(LecunUniform, aliases=("lecun_uniform",))
    register(LecunNormal, aliases=("lecun_normal",))
    register(Orthogonal, aliases=("orthogonal", "OrthogonalInitializer"))
    register(Identity, aliases=("identity", "IdentityInitializer"))
    from .stft import STFT  # needs Initializer above

    register(STFT, aliases=("STFTInitializer", "stft"))
