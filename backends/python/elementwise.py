"""Elementwise kernels: unary math, binary arithmetic with broadcasting, comparisons,
logic, bitwise ops, ``where``, ``cast`` and ``copy``.

Each kernel maps a scalar function over flat lists and returns raw Python values: floats
are computed in float64 and the backend's ``prepare`` rounds them to the output dtype;
integers are exact and ``prepare`` wraps them. The scalar functions follow NumPy and never
raise: where ``math`` raises (``log(0)``, ``exp(1000)``, ``sqrt(-1)``, division by zero
...) they return the IEEE result NumPy gives (``-inf``, ``inf``, ``nan`` ...).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

from .array import PyArray, broadcast_flat, broadcast_shape
from .rounding import cast_values

__all__ = ["KERNELS"]

_INF = math.inf
_NAN = math.nan
_INTEGRAL = 2.0 ** 52  # every float at least this large is an integer


# ---- broadcasting helpers ---------------------------------------------------------------
def _operands(*arrays: PyArray) -> list[list]:
    """The flat data of each array, broadcast to the common shape."""
    first = arrays[0].shape
    if all(a.shape == first for a in arrays):
        return [a.data for a in arrays]
    shape = broadcast_shape(*[a.shape for a in arrays])
    return [broadcast_flat(a.data, a.shape, shape) for a in arrays]


def _unary(fn: Callable[[Any], Any]) -> Callable[[PyArray], list]:
    def kernel(x: PyArray) -> list:
        return list(map(fn, x.data))
    return kernel


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[[PyArray, PyArray], list]:
    def kernel(x: PyArray, y: PyArray) -> list:
        a, b = _operands(x, y)
        return list(map(fn, a, b))
    return kernel


def _by_kind(float_fn: Callable, int_fn: Callable) -> Callable[[PyArray, PyArray], list]:
    """A binary kernel whose scalar function depends on the input kind (float or not)."""
    f_kernel, i_kernel = _binary(float_fn), _binary(int_fn)

    def kernel(x: PyArray, y: PyArray) -> list:
        return (f_kernel if x.dtype.kind == "f" else i_kernel)(x, y)
    return kernel


# ---- unary scalar functions (float64, NumPy's special values) -------------------------------
def _exp(v: float) -> float:
    try:
        return math.exp(v)
    except OverflowError:
        return _INF


def _expm1(v: float) -> float:
    try:
        return math.expm1(v)
    except OverflowError:
        return _INF


def _log(v: float) -> float:
    if v > 0:
        return math.log(v)
    return -_INF if v == 0 else _NAN  # log(0) = -inf; negatives, -inf and NaN give NaN


def _log1p(v: float) -> float:
    if v > -1:
        return math.log1p(v)
    return -_INF if v == -1 else _NAN


def _sqrt(v: float) -> float:
    return math.sqrt(v) if v >= 0 else _NAN  # sqrt(-0.0) = -0.0 as IEEE


def _sin(v: float) -> float:
    return math.sin(v) if math.isfinite(v) else _NAN


def _cos(v: float) -> float:
    return math.cos(v) if math.isfinite(v) else _NAN


def _floor(v: float) -> float:
    if not -_INTEGRAL < v < _INTEGRAL or v == 0:  # NaN, inf, big values, +-0 unchanged
        return v
    return float(math.floor(v))


def _ceil(v: float) -> float:
    if not -_INTEGRAL < v < _INTEGRAL or v == 0:
        return v
    r = float(math.ceil(v))
    return -0.0 if r == 0 and v < 0 else r  # ceil(-0.5) = -0.0, as NumPy


def _round(v: float) -> float:
    # round(v, 0) is correctly rounded, ties to even, keeps the sign of zero and returns
    # inf and NaN unchanged
    return round(v, 0)


def _sign_float(v: float) -> float:
    if v > 0:
        return 1.0
    if v < 0:
        return -1.0
    return v if v != v else 0.0


def _sign_int(v: int) -> int:
    return (v > 0) - (v < 0)


def _isnan(x: PyArray) -> list:
    if x.dtype.kind != "f":
        return [False] * len(x.data)
    return [v != v for v in x.data]


def _isfinite(x: PyArray) -> list:
    if x.dtype.kind != "f":
        return [True] * len(x.data)
    return list(map(math.isfinite, x.data))


def _abs(x: PyArray) -> list:
    if x.dtype.kind == "b":
        return list(x.data)
    return list(map(abs, x.data))  # int8 abs(-128) = 128 wraps back to -128, as NumPy


def _sign(x: PyArray) -> list:
    return list(map(_sign_float if x.dtype.kind == "f" else _sign_int, x.data))


def _logical_not(x: PyArray) -> list:
    return [not v for v in x.data]


# ---- binary scalar functions -------------------------------------------------------------
def _div(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _floordiv_float(a: float, b: float) -> float:
    # Python's float // is NumPy's npy_divmod (fmod, then fix the sign and round)
    try:
        return a // b
    except ZeroDivisionError:
        return _div(a, b)  # NumPy: a / b, so 1 // 0 = inf and 0 // 0 = nan


def _floordiv_int(a: int, b: int) -> int:
    return a // b if b else 0


def _mod_float(a: float, b: float) -> float:
    try:
        return a % b  # the sign of the divisor, as NumPy
    except ZeroDivisionError:
        return _NAN


def _mod_int(a: int, b: int) -> int:
    return a % b if b else 0


def _is_odd_integer(b: float) -> bool:
    return math.isfinite(b) and b == int(b) and int(b) % 2 == 1


def _pow_float(a: float, b: float) -> float:
    """C ``pow`` as NumPy gives it: overflow is inf, ``0 ** -1`` is inf, a negative base
    with a non-integer exponent is NaN."""
    try:
        return math.pow(a, b)
    except OverflowError:
        return -_INF if a < 0 and _is_odd_integer(b) else _INF
    except ValueError:
        if a == 0:  # zero to a negative power
            return -_INF if math.copysign(1.0, a) < 0 and _is_odd_integer(b) else _INF
        return _NAN


def _power(x: PyArray, y: PyArray) -> list:
    """Integer power is exact modulo 2**bits (``pow(a, b, m)`` never builds huge ints).
    NumPy raises for negative integer exponents; here ``a ** -n`` is the truncated
    quotient ``1 / a ** n`` (1 for a = 1, +-1 for a = -1, else 0), as C would give."""
    a, b = _operands(x, y)
    if x.dtype.kind == "f":
        return list(map(_pow_float, a, b))
    m = 1 << x.dtype.bits

    def ipow(p: int, q: int) -> int:
        if q >= 0:
            return pow(p, q, m)
        if p == 1:
            return 1
        if p == -1:
            return -1 if q % 2 else 1
        return 0

    return list(map(ipow, a, b))


def _maximum(a: Any, b: Any) -> Any:
    # NumPy's rule: a when a > b or a is NaN, else b (so a NaN in b propagates too)
    return a if a > b or a != a else b


def _minimum(a: Any, b: Any) -> Any:
    return a if a < b or a != a else b


def _shift_kernel(left: bool) -> Callable[[PyArray, PyArray], list]:
    """Shifts by a count outside ``[0, bits)`` give what NumPy gives for too-large counts
    (0, or -1 for a right shift of a negative value) instead of a huge or invalid shift."""
    def kernel(x: PyArray, y: PyArray) -> list:
        a, b = _operands(x, y)
        bits = x.dtype.bits
        if left:
            return [p << q if 0 <= q < bits else 0 for p, q in zip(a, b)]
        return [p >> q if 0 <= q < bits else (-1 if p < 0 else 0) for p, q in zip(a, b)]
    return kernel


def _where(cond: PyArray, x: PyArray, y: PyArray) -> list:
    c, a, b = _operands(cond, x, y)
    return [p if t else q for t, p, q in zip(c, a, b)]


def _cast(x: PyArray, dtype: Any) -> list:
    """Already rounded to ``dtype`` (the backend skips its rounding for ``cast``)."""
    return cast_values(x.data, x.dtype.kind, dtype)


def _copy(x: PyArray) -> list:
    return list(x.data)


KERNELS: dict[str, Callable[..., Any]] = {
    # unary
    "neg": _unary(operator.neg),
    "abs": _abs,
    "sign": _sign,
    "exp": _unary(_exp),
    "log": _unary(_log),
    "log1p": _unary(_log1p),
    "expm1": _unary(_expm1),
    "sqrt": _unary(_sqrt),
    "sin": _unary(_sin),
    "cos": _unary(_cos),
    "tanh": _unary(math.tanh),
    "erf": _unary(math.erf),
    "floor": _unary(_floor),
    "ceil": _unary(_ceil),
    "round": _unary(_round),
    "logical_not": _logical_not,
    "isnan": _isnan,
    "isfinite": _isfinite,
    # binary arithmetic
    "add": _binary(operator.add),
    "subtract": _binary(operator.sub),
    "multiply": _binary(operator.mul),
    "divide": _binary(_div),
    "floor_divide": _by_kind(_floordiv_float, _floordiv_int),
    "mod": _by_kind(_mod_float, _mod_int),
    "power": _power,
    "maximum": _binary(_maximum),
    "minimum": _binary(_minimum),
    # comparisons (IEEE: NaN compares unequal to everything)
    "equal": _binary(operator.eq),
    "not_equal": _binary(operator.ne),
    "less": _binary(operator.lt),
    "less_equal": _binary(operator.le),
    "greater": _binary(operator.gt),
    "greater_equal": _binary(operator.ge),
    # logic and bits (``&``, ``|``, ``^`` of two bools is a bool)
    "logical_and": _binary(operator.and_),
    "logical_or": _binary(operator.or_),
    "logical_xor": _binary(operator.xor),
    "bitwise_and": _binary(operator.and_),
    "bitwise_or": _binary(operator.or_),
    "bitwise_xor": _binary(operator.xor),
    "left_shift": _shift_kernel(left=True),
    "right_shift": _shift_kernel(left=False),
    # selection and conversion
    "where": _where,
    "cast": _cast,
    "copy": _copy,
}
