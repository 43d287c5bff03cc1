"""Elementwise kernels, written once over an array module ``xp`` (NumPy or CuPy)."""

from __future__ import annotations

import math
from typing import Any


def _quiet(xp: Any, fn: Any) -> Any:
    """Wrap a kernel that may warn (log(0), x/0 ...): results follow IEEE, warnings are noise."""
    errstate = getattr(xp, "errstate", None)
    if errstate is None:
        return fn

    def quiet(*args: Any) -> Any:
        with errstate(all="ignore"):
            return fn(*args)
    return quiet


def _erf(xp: Any) -> Any:
    """erf in float64 from a Taylor series (|x| < 2.5) and a continued fraction for erfc.

    NumPy has no erf; this keeps the NumPy backend free of SciPy. Accurate to ~1e-15.
    """
    two_over_sqrt_pi = 2.0 / math.sqrt(math.pi)

    def erf(x: Any) -> Any:
        dt = x.dtype
        v = x.astype(xp.float64)
        a = xp.abs(v)
        # series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
        small = xp.minimum(a, 2.5)
        term = small.copy()
        total = small.copy()
        x2 = small * small
        for n in range(1, 60):
            term = term * (-x2) / n
            total = total + term / (2 * n + 1)
        series = two_over_sqrt_pi * total
        # continued fraction (modified Lentz) for erfc, x >= 2.5
        big = xp.maximum(a, 2.5)
        tiny = 1e-300
        f = big.copy()
        c = big.copy()
        d = xp.zeros_like(big)
        for k in range(1, 80):
            an = k / 2.0
            d = big + an * d
            d = xp.where(xp.abs(d) < tiny, tiny, d)
            c = big + an / c
            c = xp.where(xp.abs(c) < tiny, tiny, c)
            d = 1.0 / d
            f = f * c * d
        erfc = xp.exp(-big * big) / (f * math.sqrt(math.pi))
        res = xp.where(a < 2.5, series, 1.0 - erfc)
        res = xp.where(xp.isinf(v), 1.0, res)  # the continued fraction gives inf/inf there
        res = xp.where(xp.isnan(v), v, xp.copysign(res, v))
        return res.astype(dt)
    return erf


def _erf_device(xp: Any) -> Any:
    """erf on CuPy: one ``ElementwiseKernel`` per dtype computing CUDA's double-precision
    ``erf`` and rounding it once to the dtype (the series in :func:`_erf` would cost
    about 1300 kernel launches per call on a GPU)."""
    compiled: dict = {}
    read = {"float16": "(double)(float)x", "float32": "(double)x", "float64": "x"}
    ctype = {"float16": "float16", "float32": "float", "float64": "double"}

    def erf(x: Any) -> Any:
        name = x.dtype.name
        kern = compiled.get(name)
        if kern is None:
            if name not in read:
                return _erf(xp)(x)
            kern = compiled[name] = xp.ElementwiseKernel(
                f"{name} x", f"{name} y", f"y = ({ctype[name]})erf({read[name]});",
                name=f"tw_erf_{name}")
        return kern(x)
    return erf


def _py_divmod(xp: Any, x: Any, y: Any) -> tuple:
    """Float floor division and remainder with NumPy's exact results (``npy_divmod``),
    for array modules whose own differ: CuPy's float ``floor_divide`` is ``floor(x / y)``
    and its ``remainder`` is ``x - floor(x / y) * y`` (cupy/_core/include/cupy/carray.cuh
    ``_floor_divide``), so 1.0 // 0.1 is 10.0 there (9.0 in NumPy and Python) and the
    remainder is off by rounding. float16 is computed in float32, as NumPy does."""
    dt = x.dtype
    if dt == xp.float16:
        x, y = x.astype(xp.float32), y.astype(xp.float32)
    mod = xp.fmod(x, y)
    div = (x - mod) / y
    fix = (mod != 0) & ((y < 0) != (mod < 0))
    mod = xp.where(fix, mod + y, mod)
    div = xp.where(fix, div - 1, div)
    zero = xp.zeros_like(y)
    mod = xp.where(mod == 0, xp.copysign(zero, y), mod)
    floordiv = xp.floor(div)
    floordiv = xp.where(div - floordiv > 0.5, floordiv + 1, floordiv)
    floordiv = xp.where(div == 0, xp.copysign(zero, x / y), floordiv)
    by_zero = y == 0  # NumPy: x / 0 and fmod(x, 0)
    floordiv = xp.where(by_zero, x / y, floordiv)
    mod = xp.where(by_zero, xp.fmod(x, y), mod)
    return floordiv.astype(dt, copy=False), mod.astype(dt, copy=False)


def kernels(xp: Any, np_dtype: Any) -> dict:
    q = lambda fn: _quiet(xp, fn)  # noqa: E731
    exact_divmod = xp.__name__ == "numpy"  # else _py_divmod

    def cast(x: Any, dtype: Any) -> Any:
        with _errstate(xp):
            return xp.asarray(x).astype(np_dtype(dtype))

    def floor_divide(x: Any, y: Any) -> Any:
        if x.dtype.kind in "iu":
            with _errstate(xp):
                out = xp.floor_divide(x, y)
            return xp.where(y == 0, 0, out).astype(x.dtype)
        if not exact_divmod:
            return _py_divmod(xp, x, y)[0]
        with _errstate(xp):
            return xp.floor_divide(x, y)

    def mod(x: Any, y: Any) -> Any:
        if not exact_divmod and x.dtype.kind == "f":
            return _py_divmod(xp, x, y)[1]
        with _errstate(xp):
            out = xp.mod(x, y)
        if x.dtype.kind in "iu":
            return xp.where(y == 0, 0, out).astype(x.dtype)
        return out

    def isnan(x: Any) -> Any:
        if x.dtype.kind in "biu":
            return xp.zeros(x.shape, dtype=xp.bool_)
        return xp.isnan(x)

    def isfinite(x: Any) -> Any:
        if x.dtype.kind in "biu":
            return xp.ones(x.shape, dtype=xp.bool_)
        return xp.isfinite(x)

    def sign(x: Any) -> Any:
        return xp.sign(x)

    return {
        "cast": cast,
        "copy": lambda x: xp.array(x, copy=True),
        "neg": xp.negative,
        "abs": xp.abs,
        "sign": sign,
        "exp": q(xp.exp),
        "log": q(xp.log),
        "log1p": q(xp.log1p),
        "expm1": q(xp.expm1),
        "sqrt": q(xp.sqrt),
        "sin": xp.sin,
        "cos": xp.cos,
        "tanh": xp.tanh,
        "erf": _erf(xp) if xp.__name__ == "numpy" else _erf_device(xp),
        "floor": xp.floor,
        "ceil": xp.ceil,
        "round": xp.rint,
        "logical_not": xp.logical_not,
        "isnan": isnan,
        "isfinite": isfinite,
        "add": xp.add,
        "subtract": xp.subtract,
        "multiply": xp.multiply,
        "divide": q(xp.true_divide),
        "floor_divide": floor_divide,
        "mod": mod,
        "power": q(xp.power),
        "maximum": xp.maximum,
        "minimum": xp.minimum,
        "equal": xp.equal,
        "not_equal": xp.not_equal,
        "less": xp.less,
        "less_equal": xp.less_equal,
        "greater": xp.greater,
        "greater_equal": xp.greater_equal,
        "logical_and": xp.logical_and,
        "logical_or": xp.logical_or,
        "logical_xor": xp.logical_xor,
        "bitwise_and": xp.bitwise_and,
        "bitwise_or": xp.bitwise_or,
        "bitwise_xor": xp.bitwise_xor,
        "left_shift": xp.left_shift,
        "right_shift": xp.right_shift,
        "where": xp.where,
        # composites with a direct kernel (faster than the decomposition)
        "relu": lambda x: xp.maximum(x, 0).astype(x.dtype, copy=False),
        "square": xp.square,
        "sigmoid": lambda x: (xp.tanh(x * 0.5) * 0.5 + 0.5).astype(x.dtype, copy=False),
    }


def _errstate(xp: Any) -> Any:
    """NumPy's errstate(all="ignore"); array modules without one (CuPy) never warn."""
    errstate = getattr(xp, "errstate", None)
    return errstate(all="ignore") if errstate is not None else _null()


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None
