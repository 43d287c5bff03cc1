"""Reductions with ``axis`` (int, tuple or None) and ``keepdims``.

Kernels get ``axis`` as a sorted tuple of non-negative ints (``argmax``/``argmin``: one int
or ``None`` for the flattened array). Small integer and boolean inputs to ``sum`` and
``prod`` accumulate in ``int32`` (as JAX and Keras 3); floats keep their dtype.
"""

from __future__ import annotations

import builtins
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError, InvalidArgumentError
from ..shapes import normalize_axes, normalize_axis, reduced_shape
from ._dispatch import apply, convert_to_tensor, defop, is_tensor
from .elementwise import (
    add,
    cast,
    divide,
    equal,
    exp,
    isfinite,
    log,
    multiply,
    sqrt,
    stop_gradient,
    subtract,
    where,
)

__all__ = ["sum", "prod", "max", "min", "amax", "amin", "mean", "var", "std", "argmax",
           "argmin", "any", "all", "logsumexp", "count_nonzero"]


def _reduce_rule(name: str, kinds: str = "biuf", out: Any = None) -> Any:
    def rule(specs: list, axis: tuple, keepdims: bool) -> tuple:
        (x,) = specs
        if x.dtype.kind not in kinds:
            raise DTypeError(f"{name}: unsupported dtype {x.dtype}")
        for a in axis:
            if x.shape[a] == 0 and name in ("max", "min"):
                raise InvalidArgumentError(
                    f"{name}: zero-size axis {a} of shape {x.shape} has no identity")
        return reduced_shape(x.shape, axis, keepdims), out or x.dtype
    return rule


def _expand_back(g: Any, x: Any, axis: tuple, keepdims: bool) -> Any:
    from .shape import broadcast_to, expand_dims

    if not keepdims and axis:
        g = expand_dims(g, axis)
    if None in tuple(x.shape):
        # a dimension known only at run time: broadcast against x itself (a static
        # broadcast_to attribute would keep the None when the graph is specialised)
        from .creation import zeros_like

        return add(g, zeros_like(x, dtype=g.dtype))
    return broadcast_to(g, x.shape)


def _vjp_sum(g, out, x, axis, keepdims):  # noqa: ANN001, ANN202
    return (_expand_back(g, x, axis, keepdims),)


def _vjp_extreme(g, out, x, axis, keepdims):  # noqa: ANN001, ANN202
    # Ties share the gradient equally (as JAX and TF).
    out_b = _expand_back(out, x, axis, keepdims)
    mask = cast(equal(x, out_b), x.dtype)
    count = _expand_back(sum(mask, axis=axis, keepdims=keepdims), x, axis, keepdims)
    return (multiply(_expand_back(g, x, axis, keepdims), divide(mask, count)),)


def _vjp_prod(g, out, x, axis, keepdims):  # noqa: ANN001, ANN202
    # d prod / d x_i = the product of the other elements: prod / x_i where x_i != 0 (so
    # second derivatives still flow through prod), and for a zero x_i the product of the
    # non-zero rest when it is the only zero of its reduction (0 when there are more).
    zero = equal(x, 0)
    safe = where(zero, 1, x)
    rest = prod(safe, axis=axis, keepdims=True)
    n_zero = sum(cast(zero, _dt.int32), axis=axis, keepdims=True)
    others = where(zero, where(equal(n_zero, 1), rest, 0),
                   divide(_expand_back(out, x, axis, keepdims), safe))
    return (multiply(_expand_back(g, x, axis, keepdims), others),)


def _no_grad(g, out, *inputs, **_):  # noqa: ANN001, ANN202
    return tuple(None for _ in inputs)


SUM = defop("sum", _reduce_rule("sum", "iuf"), vjp=_vjp_sum, family="reduction")
PROD = defop("prod", _reduce_rule("prod", "iuf"), vjp=_vjp_prod, family="reduction")
MAX = defop("max", _reduce_rule("max"), vjp=_vjp_extreme, family="reduction")
MIN = defop("min", _reduce_rule("min"), vjp=_vjp_extreme, family="reduction")
ANY = defop("any", _reduce_rule("any", "b"), vjp=_no_grad, differentiable=False,
            family="reduction")
ALL = defop("all", _reduce_rule("all", "b"), vjp=_no_grad, differentiable=False,
            family="reduction")


def _arg_rule(name: str) -> Any:
    def rule(specs: list, axis: int | None, keepdims: bool) -> tuple:
        (x,) = specs
        if axis is None:
            if _size(x.shape) == 0:
                raise InvalidArgumentError(f"{name}: attempt to get {name} of an empty tensor")
            shape = (1,) * len(x.shape) if keepdims else ()
        else:
            if x.shape[axis] == 0:
                raise InvalidArgumentError(f"{name}: zero-size axis {axis}")
            shape = reduced_shape(x.shape, (axis,), keepdims)
        return shape, _dt.int32
    return rule


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d if d is not None else 1
    return n


ARGMAX = defop("argmax", _arg_rule("argmax"), vjp=_no_grad, differentiable=False,
               family="reduction", doc="Index of the first maximum (int32).")
ARGMIN = defop("argmin", _arg_rule("argmin"), vjp=_no_grad, differentiable=False,
               family="reduction", doc="Index of the first minimum (int32).")


def _prep(name: str, x: Any) -> Any:
    if not is_tensor(x):
        x = convert_to_tensor(x, where=name)
    return x


def _accumulate_dtype(x: Any) -> Any:
    d = x.dtype
    if d.kind == "b" or (d.kind in "iu" and d.bits < 32):
        return cast(x, _dt.int32)
    return x


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    x = _accumulate_dtype(_prep("sum", x))
    return apply(SUM, (x,), {"axis": normalize_axes("sum", axis, x.ndim),
                             "keepdims": bool(keepdims)})


def prod(x: Any, axis: Any = None, keepdims: bool = False, dtype: Any = None) -> Any:
    """Product over ``axis``; ``dtype`` casts the input first (as ``jnp.prod``)."""
    x = _prep("prod", x)
    if dtype is not None:
        x = cast(x, dtype)
    x = _accumulate_dtype(x)
    return apply(PROD, (x,), {"axis": normalize_axes("prod", axis, x.ndim),
                              "keepdims": bool(keepdims)})


def _extreme(name: str, op: Any, pick: Any, x: Any, axis: Any, keepdims: bool,
             initial: Any) -> Any:
    x = _prep(name, x)
    axes = normalize_axes(name, axis, x.ndim)
    if initial is None:
        return apply(op, (x,), {"axis": axes, "keepdims": bool(keepdims)})
    if builtins.any(x.shape[a] == 0 for a in axes):
        # an empty reduction with an initial value is that value (as NumPy and JAX)
        from .creation import full

        shape = reduced_shape(tuple(x.shape), axes, bool(keepdims))
        return full(shape, initial, x.dtype)
    out = apply(op, (x,), {"axis": axes, "keepdims": bool(keepdims)})
    return pick(out, initial)


def max(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None) -> Any:
    """Largest value over ``axis``; ``initial`` takes part in the maximum."""
    from .elementwise import maximum

    return _extreme("max", MAX, maximum, x, axis, keepdims, initial)


def min(x: Any, axis: Any = None, keepdims: bool = False,  # noqa: A001
        initial: Any = None) -> Any:
    """Smallest value over ``axis``; ``initial`` takes part in the minimum."""
    from .elementwise import minimum

    return _extreme("min", MIN, minimum, x, axis, keepdims, initial)


amax = max
amin = min


def any(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    x = _prep("any", x)
    if not x.dtype.is_bool:
        x = cast(x, _dt.bool_)
    return apply(ANY, (x,), {"axis": normalize_axes("any", axis, x.ndim),
                             "keepdims": bool(keepdims)})


def all(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    x = _prep("all", x)
    if not x.dtype.is_bool:
        x = cast(x, _dt.bool_)
    return apply(ALL, (x,), {"axis": normalize_axes("all", axis, x.ndim),
                             "keepdims": bool(keepdims)})


def argmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    x = _prep("argmax", x)
    ax = None if axis is None else normalize_axis("argmax", axis, x.ndim)
    return apply(ARGMAX, (x,), {"axis": ax, "keepdims": bool(keepdims)})


def argmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    x = _prep("argmin", x)
    ax = None if axis is None else normalize_axis("argmin", axis, x.ndim)
    return apply(ARGMIN, (x,), {"axis": ax, "keepdims": bool(keepdims)})


def count_nonzero(x: Any, axis: Any = None) -> Any:
    x = _prep("count_nonzero", x)
    return sum(cast(x, _dt.bool_), axis=axis)


# ---- composites -----------------------------------------------------------------------------
def _float_reduce_rule(name: str) -> Any:
    def rule(specs: list, axis: tuple, keepdims: bool) -> tuple:
        (x,) = specs
        if x.dtype.kind != "f":
            raise DTypeError(f"{name}: expected a float input, got {x.dtype}")
        return reduced_shape(x.shape, axis, keepdims), x.dtype
    return rule


def _count(x: Any, axis: tuple) -> int:
    n = 1
    for a in axis:
        n *= x.shape[a]
    return n


def _mean_impl(x: Any, axis: tuple, keepdims: bool) -> Any:
    if builtins.any(x.shape[a] is None for a in axis):
        # the count is known only at run time: count it with the graph
        from .creation import ones_like

        return divide(sum(x, axis=axis, keepdims=keepdims),
                      sum(ones_like(x), axis=axis, keepdims=keepdims))
    n = _count(x, axis)
    return divide(sum(x, axis=axis, keepdims=keepdims), float(n) if n else float("nan"))


def _var_impl(x: Any, axis: tuple, keepdims: bool) -> Any:
    m = _mean_impl(x, axis, True)
    d = subtract(x, m)
    return _mean_impl(multiply(d, d), axis, keepdims)


def _logsumexp_impl(x: Any, axis: tuple, keepdims: bool) -> Any:
    m = stop_gradient(max(x, axis=axis, keepdims=True))
    m = where(isfinite(m), m, 0.0)
    s = log(sum(exp(subtract(x, m)), axis=axis, keepdims=True))
    out = add(s, m)
    if not keepdims:
        from .shape import squeeze

        out = squeeze(out, axis=axis) if axis else out
    return out


MEAN = defop("mean", _float_reduce_rule("mean"), decompose=_mean_impl, family="reduction")
VAR = defop("var", _float_reduce_rule("var"), decompose=_var_impl, family="reduction",
            doc="Population variance (ddof=0), as Keras.")
LOGSUMEXP = defop("logsumexp", _float_reduce_rule("logsumexp"), decompose=_logsumexp_impl,
                  family="reduction", doc="log(sum(exp(x))) without overflow.")


def _float_input(name: str, x: Any) -> Any:
    x = _prep(name, x)
    return x if x.dtype.is_floating else cast(x, _dt.float32)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = _float_input("mean", x)
    return apply(MEAN, (x,), {"axis": normalize_axes("mean", axis, x.ndim),
                              "keepdims": bool(keepdims)})


def var(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = _float_input("var", x)
    return apply(VAR, (x,), {"axis": normalize_axes("var", axis, x.ndim),
                             "keepdims": bool(keepdims)})


def std(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return sqrt(var(x, axis=axis, keepdims=keepdims))


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    x = _float_input("logsumexp", x)
    return apply(LOGSUMEXP, (x,), {"axis": normalize_axes("logsumexp", axis, x.ndim),
                                   "keepdims": bool(keepdims)})
