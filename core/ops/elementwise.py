"""Elementwise ops: unary math, binary arithmetic with broadcasting, comparisons, logic,
bitwise ops, ``where``, ``clip`` and ``cast``.

Kernels of binary ops always receive inputs of one dtype: the public functions here apply
the promotion rules of :mod:`tensorweave.dtypes` (weak Python scalars included) first.
Functions that only make sense on floats (``exp``, ``sqrt`` ...) turn integer and boolean
input into ``float32`` first, as Keras 3 does.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..dtypes import DType
from ..errors import DTypeError, InvalidArgumentError
from ..shapes import broadcast_shapes, unbroadcast_axes
from ._dispatch import (
    apply,
    binary,
    coerce_pair,
    convert_to_tensor,
    defop,
    is_tensor,
    unary,
)

__all__ = [
    "cast", "neg", "negative", "abs", "absolute", "sign", "exp", "log", "log1p", "expm1",
    "sqrt", "rsqrt", "square", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "erf", "floor",
    "ceil", "round", "logical_not", "isnan", "isfinite", "isinf", "reciprocal", "log2",
    "log10", "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod",
    "power", "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "bitwise_and",
    "bitwise_or", "bitwise_xor", "left_shift", "right_shift", "where", "clip",
    "unbroadcast", "stop_gradient", "copy", "sinh", "cosh", "arctan", "softplus",
    "logaddexp", "nan_to_num",
]


def _spec_same(specs: list, **_: Any) -> tuple:
    return specs[0].shape, specs[0].dtype


def _spec_bool(specs: list, **_: Any) -> tuple:
    return specs[0].shape, _dt.bool_


def _bcast(name: str, out: DType | None = None, kinds: str = "biuf") -> Any:
    def rule(specs: list, **_: Any) -> tuple:
        a, b = specs
        if a.dtype is not b.dtype:
            raise DTypeError(f"{name}: inputs must share a dtype after promotion, got "
                             f"{a.dtype} and {b.dtype}")
        if a.dtype.kind not in kinds:
            raise DTypeError(f"{name}: expected {_kind_names(kinds)} inputs, got {a.dtype}")
        return broadcast_shapes(name, a.shape, b.shape), out or a.dtype
    return rule


def _kind_names(kinds: str) -> str:
    names = {"b": "bool", "i": "signed int", "u": "unsigned int", "f": "float"}
    return "/".join(names[k] for k in kinds)


def _unary_rule(name: str, kinds: str = "biuf") -> Any:
    def rule(specs: list, **_: Any) -> tuple:
        (a,) = specs
        if a.dtype.kind not in kinds:
            raise DTypeError(f"{name}: expected {_kind_names(kinds)} input, got {a.dtype}")
        return a.shape, a.dtype
    return rule


# ---- gradient helpers -------------------------------------------------------------------
def unbroadcast(g: Any, shape: tuple) -> Any:
    """Sum a cotangent over the axes that broadcasting added, back to ``shape``."""
    from .reduction import sum as _sum
    from .shape import reshape

    gshape = tuple(g.shape)
    if gshape == tuple(shape):
        return g
    axes, lead = unbroadcast_axes(tuple(shape), gshape)
    if axes:
        g = _sum(g, axis=axes, keepdims=True)
    if lead:
        g = reshape(g, tuple(-1 if d is None else d for d in shape)
                    if sum(d is None for d in shape) <= 1 else g.shape[lead:])
    return g


def _zero_grad(g: Any, out: Any, *inputs: Any, **_: Any) -> tuple:
    from .creation import zeros_like

    return tuple(zeros_like(x) if x.dtype.is_floating else None for x in inputs)


def _no_grad(g: Any, out: Any, *inputs: Any, **_: Any) -> tuple:
    return tuple(None for _ in inputs)


# ---- cast -------------------------------------------------------------------------------
def _cast_rule(specs: list, dtype: DType) -> tuple:
    return specs[0].shape, dtype


def _cast_vjp(g: Any, out: Any, x: Any, dtype: DType) -> tuple:
    if not x.dtype.is_floating or not dtype.is_floating:
        return (None,)
    return (cast(g, x.dtype),)


CAST = defop("cast", _cast_rule, vjp=_cast_vjp, elementwise=True, family="elementwise",
             doc="Convert to another dtype (float to int truncates toward zero; int "
                 "overflow wraps as in NumPy; to bool tests != 0).")


def cast(x: Any, dtype: Any) -> Any:
    from ._dispatch import _unwrap

    dtype = _dt.canonicalize(dtype)
    x = _unwrap(x)
    if not is_tensor(x):
        x = convert_to_tensor(x, where="cast")
    if x.dtype is dtype:
        return x
    return apply(CAST, (x,), {"dtype": dtype})


def _to_float(x: Any, name: str) -> Any:
    if not is_tensor(x):
        x = convert_to_tensor(x, where=name)
    if x.dtype.kind != "f":
        x = cast(x, _dt.float32)
    return x


def _to_bool(x: Any, name: str) -> Any:
    if not is_tensor(x):
        x = convert_to_tensor(x, where=name)
    if x.dtype.kind != "b":
        x = cast(x, _dt.bool_)
    return x


# ---- unary primitives -------------------------------------------------------------------
def _vjp_neg(g, out, x):  # noqa: ANN001, ANN202
    return (neg(g),)


def _vjp_abs(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, sign(x)),)


def _vjp_exp(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, out),)


def _vjp_log(g, out, x):  # noqa: ANN001, ANN202
    return (divide(g, x),)


def _vjp_log1p(g, out, x):  # noqa: ANN001, ANN202
    return (divide(g, add(x, 1.0)),)


def _vjp_expm1(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, add(out, 1.0)),)


def _vjp_sqrt(g, out, x):  # noqa: ANN001, ANN202
    return (divide(multiply(g, 0.5), out),)


def _vjp_sin(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, cos(x)),)


def _vjp_cos(g, out, x):  # noqa: ANN001, ANN202
    return (neg(multiply(g, sin(x))),)


def _vjp_tanh(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, subtract(1.0, multiply(out, out))),)


def _vjp_erf(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, multiply(2.0 / math.sqrt(math.pi), exp(neg(multiply(x, x))))),)


NEG = defop("neg", _unary_rule("neg", "iuf"), vjp=_vjp_neg, elementwise=True,
            family="elementwise")
ABS = defop("abs", _spec_same, vjp=_vjp_abs, elementwise=True, family="elementwise")
SIGN = defop("sign", _unary_rule("sign", "iuf"), vjp=_zero_grad, elementwise=True,
             family="elementwise")
EXP = defop("exp", _unary_rule("exp", "f"), vjp=_vjp_exp, elementwise=True,
            family="elementwise")
LOG = defop("log", _unary_rule("log", "f"), vjp=_vjp_log, elementwise=True,
            family="elementwise")
LOG1P = defop("log1p", _unary_rule("log1p", "f"), vjp=_vjp_log1p, elementwise=True,
              family="elementwise")
EXPM1 = defop("expm1", _unary_rule("expm1", "f"), vjp=_vjp_expm1, elementwise=True,
              family="elementwise")
SQRT = defop("sqrt", _unary_rule("sqrt", "f"), vjp=_vjp_sqrt, elementwise=True,
             family="elementwise")
SIN = defop("sin", _unary_rule("sin", "f"), vjp=_vjp_sin, elementwise=True,
            family="elementwise")
COS = defop("cos", _unary_rule("cos", "f"), vjp=_vjp_cos, elementwise=True,
            family="elementwise")
TANH = defop("tanh", _unary_rule("tanh", "f"), vjp=_vjp_tanh, elementwise=True,
             family="elementwise")
ERF = defop("erf", _unary_rule("erf", "f"), vjp=_vjp_erf, elementwise=True,
            family="elementwise")
FLOOR = defop("floor", _unary_rule("floor", "f"), vjp=_zero_grad, elementwise=True,
              family="elementwise")
CEIL = defop("ceil", _unary_rule("ceil", "f"), vjp=_zero_grad, elementwise=True,
             family="elementwise")
ROUND = defop("round", _unary_rule("round", "f"), vjp=_zero_grad, elementwise=True,
              family="elementwise", doc="Round half to even, as NumPy.")
LOGICAL_NOT = defop("logical_not", _unary_rule("logical_not", "b"), vjp=_no_grad,
                    differentiable=False, elementwise=True, family="elementwise")
ISNAN = defop("isnan", _spec_bool, vjp=_no_grad, differentiable=False, elementwise=True,
              family="elementwise")
ISFINITE = defop("isfinite", _spec_bool, vjp=_no_grad, differentiable=False,
                 elementwise=True, family="elementwise")


def neg(x: Any) -> Any:
    """``-x``."""
    return unary(NEG, x)


negative = neg


def abs(x: Any) -> Any:  # noqa: A001
    return unary(ABS, x)


absolute = abs


def sign(x: Any) -> Any:
    return unary(SIGN, x)


def exp(x: Any) -> Any:
    return unary(EXP, _to_float(x, "exp"))


def log(x: Any) -> Any:
    return unary(LOG, _to_float(x, "log"))


def log1p(x: Any) -> Any:
    return unary(LOG1P, _to_float(x, "log1p"))


def expm1(x: Any) -> Any:
    return unary(EXPM1, _to_float(x, "expm1"))


def sqrt(x: Any) -> Any:
    return unary(SQRT, _to_float(x, "sqrt"))


def sin(x: Any) -> Any:
    return unary(SIN, _to_float(x, "sin"))


def cos(x: Any) -> Any:
    return unary(COS, _to_float(x, "cos"))


def tanh(x: Any) -> Any:
    return unary(TANH, _to_float(x, "tanh"))


def erf(x: Any) -> Any:
    return unary(ERF, _to_float(x, "erf"))


def floor(x: Any) -> Any:
    return unary(FLOOR, _to_float(x, "floor"))


def ceil(x: Any) -> Any:
    return unary(CEIL, _to_float(x, "ceil"))


def round(x: Any, decimals: int = 0) -> Any:  # noqa: A001
    """Round half to even to ``decimals`` places (negative: to tens, hundreds ...).

    Integers stay integers (as Keras 3); with ``decimals < 0`` they round through floatx.
    """
    if not is_tensor(x):
        x = convert_to_tensor(x, where="round")
    decimals = int(decimals)
    if x.dtype.kind in "biu":
        if decimals >= 0:
            return x
        from ..backend import floatx

        factor = 10.0 ** decimals
        y = unary(ROUND, multiply(cast(x, floatx()), factor))
        return cast(divide(y, factor), x.dtype)
    if decimals == 0:
        return unary(ROUND, x)
    if decimals > 0:
        factor = 10.0 ** decimals
        return divide(unary(ROUND, multiply(x, factor)), factor)
    factor = 10.0 ** -decimals
    return multiply(unary(ROUND, divide(x, factor)), factor)


def logical_not(x: Any) -> Any:
    return unary(LOGICAL_NOT, _to_bool(x, "logical_not"))


def isnan(x: Any) -> Any:
    return unary(ISNAN, x)


def isfinite(x: Any) -> Any:
    return unary(ISFINITE, x)


def isinf(x: Any) -> Any:
    return logical_and(logical_not(isfinite(x)), logical_not(isnan(x)))


# ---- unary composites -------------------------------------------------------------------
def _vjp_rsqrt(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, multiply(-0.5, multiply(out, multiply(out, out)))),)


def _vjp_sigmoid(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, multiply(out, subtract(1.0, out))),)


def _vjp_relu(g, out, x):  # noqa: ANN001, ANN202
    return (where(greater(x, 0), g, 0),)


def _vjp_square(g, out, x):  # noqa: ANN001, ANN202
    return (multiply(g, multiply(2, x)),)


RSQRT = defop("rsqrt", _unary_rule("rsqrt", "f"), vjp=_vjp_rsqrt, elementwise=True,
              family="elementwise", decompose=lambda x: divide(1.0, sqrt(x)))
SQUARE = defop("square", _unary_rule("square", "iuf"), vjp=_vjp_square, elementwise=True,
               family="elementwise", decompose=lambda x: multiply(x, x))
SIGMOID = defop("sigmoid", _unary_rule("sigmoid", "f"), vjp=_vjp_sigmoid, elementwise=True,
                family="elementwise",
                # 0.5 * tanh(x / 2) + 0.5 never overflows, unlike 1 / (1 + exp(-x))
                decompose=lambda x: add(multiply(tanh(multiply(x, 0.5)), 0.5), 0.5))
RELU = defop("relu", _unary_rule("relu", "iuf"), vjp=_vjp_relu, elementwise=True,
             family="elementwise", decompose=lambda x: maximum(x, 0))


def rsqrt(x: Any) -> Any:
    return unary(RSQRT, _to_float(x, "rsqrt"))


def square(x: Any) -> Any:
    if is_tensor(x) and x.dtype.is_bool:
        x = cast(x, _dt.int32)
    return unary(SQUARE, x)


def sigmoid(x: Any) -> Any:
    return unary(SIGMOID, _to_float(x, "sigmoid"))


def relu(x: Any) -> Any:
    return unary(RELU, x)


def reciprocal(x: Any) -> Any:
    return divide(1.0, _to_float(x, "reciprocal"))


def tan(x: Any) -> Any:
    x = _to_float(x, "tan")
    return divide(sin(x), cos(x))


def sinh(x: Any) -> Any:
    x = _to_float(x, "sinh")
    return multiply(subtract(exp(x), exp(neg(x))), 0.5)


def cosh(x: Any) -> Any:
    x = _to_float(x, "cosh")
    return multiply(add(exp(x), exp(neg(x))), 0.5)


def arctan(x: Any) -> Any:
    """arctan from basic arithmetic (so it is bit-identical on every backend).

    Two half-angle steps ``t -> t / (1 + sqrt(1 + t^2))`` bring ``|t|`` below
    tan(pi/16) ~ 0.2, where 12 terms of the odd series reach float64 precision.
    """
    x = _to_float(x, "arctan")
    t = divide(x, add(1.0, sqrt(add(1.0, multiply(x, x)))))
    t = divide(t, add(1.0, sqrt(add(1.0, multiply(t, t)))))
    t2 = multiply(t, t)
    s: Any = (-1) ** 11 / 23.0
    for k in range(10, -1, -1):
        s = add(multiply(t2, s), (-1) ** k / (2 * k + 1))
    return multiply(multiply(t, s), 4.0)


def log2(x: Any) -> Any:
    return divide(log(x), math.log(2.0))


def log10(x: Any) -> Any:
    return divide(log(x), math.log(10.0))


def _softplus_impl(x: Any) -> Any:
    return add(relu(x), log1p(exp(neg(abs(x)))))


SOFTPLUS = defop("softplus", _unary_rule("softplus", "f"), elementwise=True,
                 family="elementwise", decompose=_softplus_impl,
                 # d/dx log(1 + e^x) = sigmoid(x), also at 0 where |x| has a kink
                 vjp=lambda g, out, x: (multiply(g, sigmoid(x)),))


def softplus(x: Any) -> Any:
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return unary(SOFTPLUS, _to_float(x, "softplus"))


def _logaddexp_impl(x: Any, y: Any) -> Any:
    return add(maximum(x, y), log1p(exp(neg(abs(subtract(x, y))))))


def _vjp_logaddexp(g, out, x, y):  # noqa: ANN001, ANN202
    return (unbroadcast(multiply(g, exp(subtract(x, out))), x.shape),
            unbroadcast(multiply(g, exp(subtract(y, out))), y.shape))


LOGADDEXP = defop("logaddexp", _bcast("logaddexp", kinds="f"), elementwise=True,
                  family="elementwise", decompose=_logaddexp_impl, vjp=_vjp_logaddexp)


def logaddexp(x1: Any, x2: Any) -> Any:
    x1, x2 = coerce_pair("logaddexp", x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = cast(x1, _dt.float32), cast(x2, _dt.float32)
    return apply(LOGADDEXP, (x1, x2))


def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    from ._dispatch import _unwrap

    x = _unwrap(x)
    if not is_tensor(x):  # a NumPy array or a list (found by the PyTorch oracle)
        x = convert_to_tensor(x, where="nan_to_num")
    if not x.dtype.is_floating:
        return x
    big = {16: 65504.0, 32: 3.4028234663852886e38, 64: 1.7976931348623157e308}[x.dtype.bits]
    if x.dtype is _dt.bfloat16:
        big = 3.3895313892515355e38
    x = where(isnan(x), nan, x)
    x = where(logical_and(isinf(x), greater(x, 0)), big if posinf is None else posinf, x)
    return where(logical_and(isinf(x), less(x, 0)), -big if neginf is None else neginf, x)


# ---- binary -------------------------------------------------------------------------------
def _vjp_add(g, out, x, y):  # noqa: ANN001, ANN202
    return unbroadcast(g, x.shape), unbroadcast(g, y.shape)


def _vjp_subtract(g, out, x, y):  # noqa: ANN001, ANN202
    return unbroadcast(g, x.shape), unbroadcast(neg(g), y.shape)


def _vjp_multiply(g, out, x, y):  # noqa: ANN001, ANN202
    return unbroadcast(multiply(g, y), x.shape), unbroadcast(multiply(g, x), y.shape)


def _vjp_divide(g, out, x, y):  # noqa: ANN001, ANN202
    gx = divide(g, y)
    return unbroadcast(gx, x.shape), unbroadcast(neg(multiply(gx, out)), y.shape)


def _vjp_mod(g, out, x, y):  # noqa: ANN001, ANN202
    return (unbroadcast(g, x.shape),
            unbroadcast(neg(multiply(g, floor(divide(x, y)))), y.shape))


def _vjp_power(g, out, x, y):  # noqa: ANN001, ANN202
    # y * x**(y-1), with the y == 0 case exact (0, not 0 * inf = NaN at x == 0)
    base = where(equal(y, 0), 1, x)
    gx = multiply(g, multiply(y, power(base, subtract(y, 1))))
    safe_log = log(where(greater(x, 0), x, 1))
    gy = multiply(g, multiply(out, safe_log))
    return unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)


def _vjp_maximum(g, out, x, y):  # noqa: ANN001, ANN202
    pick_x = greater_equal(x, y)
    return (unbroadcast(where(pick_x, g, 0), x.shape),
            unbroadcast(where(pick_x, 0, g), y.shape))


def _vjp_minimum(g, out, x, y):  # noqa: ANN001, ANN202
    pick_x = less_equal(x, y)
    return (unbroadcast(where(pick_x, g, 0), x.shape),
            unbroadcast(where(pick_x, 0, g), y.shape))


def _defbin(name: str, vjp: Any, out: DType | None = None, kinds: str = "biuf",
            differentiable: bool = True) -> Any:
    return defop(name, _bcast(name, out, kinds), vjp=vjp, elementwise=True,
                 differentiable=differentiable, family="elementwise")


ADD = _defbin("add", _vjp_add)
SUBTRACT = _defbin("subtract", _vjp_subtract, kinds="iuf")
MULTIPLY = _defbin("multiply", _vjp_multiply)
DIVIDE = _defbin("divide", _vjp_divide, kinds="f")
FLOOR_DIVIDE = _defbin("floor_divide", _zero_grad, kinds="iuf")
MOD = _defbin("mod", _vjp_mod, kinds="iuf")
POWER = _defbin("power", _vjp_power, kinds="iuf")
MAXIMUM = _defbin("maximum", _vjp_maximum)
MINIMUM = _defbin("minimum", _vjp_minimum)
EQUAL = _defbin("equal", _no_grad, _dt.bool_, differentiable=False)
NOT_EQUAL = _defbin("not_equal", _no_grad, _dt.bool_, differentiable=False)
LESS = _defbin("less", _no_grad, _dt.bool_, differentiable=False)
LESS_EQUAL = _defbin("less_equal", _no_grad, _dt.bool_, differentiable=False)
GREATER = _defbin("greater", _no_grad, _dt.bool_, differentiable=False)
GREATER_EQUAL = _defbin("greater_equal", _no_grad, _dt.bool_, differentiable=False)
LOGICAL_AND = _defbin("logical_and", _no_grad, kinds="b", differentiable=False)
LOGICAL_OR = _defbin("logical_or", _no_grad, kinds="b", differentiable=False)
LOGICAL_XOR = _defbin("logical_xor", _no_grad, kinds="b", differentiable=False)
BITWISE_AND = _defbin("bitwise_and", _no_grad, kinds="biu", differentiable=False)
BITWISE_OR = _defbin("bitwise_or", _no_grad, kinds="biu", differentiable=False)
BITWISE_XOR = _defbin("bitwise_xor", _no_grad, kinds="biu", differentiable=False)
LEFT_SHIFT = _defbin("left_shift", _no_grad, kinds="iu", differentiable=False)
RIGHT_SHIFT = _defbin("right_shift", _no_grad, kinds="iu", differentiable=False)


def add(x1: Any, x2: Any) -> Any:
    return binary(ADD, x1, x2)


def subtract(x1: Any, x2: Any) -> Any:
    return binary(SUBTRACT, x1, x2)


def multiply(x1: Any, x2: Any) -> Any:
    return binary(MULTIPLY, x1, x2)


def divide(x1: Any, x2: Any) -> Any:
    """True division; integer and boolean inputs give ``float32`` (as Keras 3)."""
    x1, x2 = coerce_pair("divide", x1, x2)
    if not x1.dtype.is_floating:
        x1, x2 = cast(x1, _dt.float32), cast(x2, _dt.float32)
    return apply(DIVIDE, (x1, x2))


true_divide = divide


def _int_or_float(name: str, op: Any, x: Any, y: Any) -> Any:
    x, y = coerce_pair(name, x, y)
    if x.dtype.is_bool:
        x, y = cast(x, _dt.int32), cast(y, _dt.int32)
    return apply(op, (x, y))


def floor_divide(x1: Any, x2: Any) -> Any:
    """Floor of the quotient; integer division by zero gives 0 (as NumPy, without a warning)."""
    return _int_or_float("floor_divide", FLOOR_DIVIDE, x1, x2)


def mod(x1: Any, x2: Any) -> Any:
    """Remainder with the sign of the divisor (Python / NumPy convention)."""
    return _int_or_float("mod", MOD, x1, x2)


def power(x1: Any, x2: Any) -> Any:
    return _int_or_float("power", POWER, x1, x2)


def maximum(x1: Any, x2: Any) -> Any:
    return binary(MAXIMUM, x1, x2)


def minimum(x1: Any, x2: Any) -> Any:
    return binary(MINIMUM, x1, x2)


def equal(x1: Any, x2: Any) -> Any:
    return binary(EQUAL, x1, x2)


def not_equal(x1: Any, x2: Any) -> Any:
    return binary(NOT_EQUAL, x1, x2)


def less(x1: Any, x2: Any) -> Any:
    return binary(LESS, x1, x2)


def less_equal(x1: Any, x2: Any) -> Any:
    return binary(LESS_EQUAL, x1, x2)


def greater(x1: Any, x2: Any) -> Any:
    return binary(GREATER, x1, x2)


def greater_equal(x1: Any, x2: Any) -> Any:
    return binary(GREATER_EQUAL, x1, x2)


def _logical(name: str, op: Any, x: Any, y: Any) -> Any:
    x, y = coerce_pair(name, x, y, promote=False)
    return apply(op, (_to_bool(x, name), _to_bool(y, name)))


def logical_and(x1: Any, x2: Any) -> Any:
    return _logical("logical_and", LOGICAL_AND, x1, x2)


def logical_or(x1: Any, x2: Any) -> Any:
    return _logical("logical_or", LOGICAL_OR, x1, x2)


def logical_xor(x1: Any, x2: Any) -> Any:
    return _logical("logical_xor", LOGICAL_XOR, x1, x2)


def bitwise_and(x: Any, y: Any) -> Any:
    return binary(BITWISE_AND, x, y)


def bitwise_or(x: Any, y: Any) -> Any:
    return binary(BITWISE_OR, x, y)


def bitwise_xor(x: Any, y: Any) -> Any:
    return binary(BITWISE_XOR, x, y)


def left_shift(x: Any, y: Any) -> Any:
    """Shift left; bits shifted past the width are lost (results wrap)."""
    return binary(LEFT_SHIFT, x, y)


def right_shift(x: Any, y: Any) -> Any:
    """Shift right (arithmetic for signed types, logical for unsigned)."""
    return binary(RIGHT_SHIFT, x, y)


# ---- where, clip, stop_gradient -----------------------------------------------------------
def _where_rule(specs: list, **_: Any) -> tuple:
    c, a, b = specs
    if c.dtype is not _dt.bool_:
        raise DTypeError(f"where: argument 'condition': expected bool, got {c.dtype}")
    if a.dtype is not b.dtype:
        raise DTypeError(f"where: x and y must share a dtype after promotion, got "
                         f"{a.dtype} and {b.dtype}")
    return broadcast_shapes("where", c.shape, a.shape, b.shape), a.dtype


def _vjp_where(g, out, c, x, y):  # noqa: ANN001, ANN202
    return (None, unbroadcast(where(c, g, 0), x.shape), unbroadcast(where(c, 0, g), y.shape))


WHERE = defop("where", _where_rule, vjp=_vjp_where, elementwise=True, family="elementwise")


def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` holds, else ``x2`` (broadcast together).

    With neither ``x1`` nor ``x2`` it is ``nonzero(condition)``, as Keras.
    """
    if x1 is None and x2 is None:
        from .. import ops as _ops

        if not hasattr(_ops, "nonzero"):
            raise InvalidArgumentError("where: arguments 'x1' and 'x2': both are None, "
                                       "which means nonzero(condition); pass both instead")
        return _ops.nonzero(condition)
    if x1 is None or x2 is None:
        raise InvalidArgumentError("where: arguments 'x1' and 'x2': pass both or neither, "
                                   f"got x1={'None' if x1 is None else 'a value'}, "
                                   f"x2={'None' if x2 is None else 'a value'}")
    if not is_tensor(condition):
        condition = convert_to_tensor(condition, where="where")
    condition = _to_bool(condition, "where")
    if not is_tensor(x1) and not is_tensor(x2):
        x1 = convert_to_tensor(x1, where="where")
    x1, x2 = coerce_pair("where", x1, x2)
    return apply(WHERE, (condition, x1, x2))


def clip(x: Any, x_min: Any, x_max: Any) -> Any:
    """Clamp into ``[x_min, x_max]``; the gradient passes only inside the interval."""
    if not is_tensor(x):
        x = convert_to_tensor(x, where="clip")
    return minimum(maximum(x, x_min), x_max)


def _vjp_stop(g, out, x):  # noqa: ANN001, ANN202
    return (None,)


STOP_GRADIENT = defop("stop_gradient", _spec_same, vjp=_vjp_stop, elementwise=True,
                      family="elementwise", decompose=lambda x: x,
                      doc="Identity whose gradient is zero.")


def stop_gradient(variable: Any) -> Any:
    """Identity in the forward pass; blocks gradients in the backward pass."""
    return unary(STOP_GRADIENT, variable)


COPY = defop("copy", _spec_same, vjp=lambda g, out, x: (g,), elementwise=True,
             family="elementwise", doc="A new tensor with the same values.")


def copy(x: Any) -> Any:
    return unary(COPY, x)
