"""Tensor helpers shared by the losses and metrics plugins.

Everything here is written with :mod:`tensorweave.ops` and decides only on *static*
information (ranks, known dimensions, dtypes), never on tensor values: losses and metric
updates run inside traced, jitted training steps where values are symbolic.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe

__all__ = ["EPSILON", "REDUCTIONS", "as_tensor", "as_float", "squeeze_or_expand_to_same_rank",
           "divide_no_nan", "standardize_reduction", "align_weights", "reduce_values",
           "reduce_weighted_values", "softplus"]

#: Keras's ``backend.epsilon()``: the clip applied to probabilities and denominators.
EPSILON = 1e-7

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def as_tensor(x: Any, dtype: Any = None) -> Any:
    """``x`` as a tensor (concrete or symbolic), cast to ``dtype`` when given.

    Unlike ``ops.convert_to_tensor`` this accepts symbolic tensors and variables whose
    value is symbolic (inside a trace), which losses and metrics meet all the time.
    """
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x) if dtype is None else ops.convert_to_tensor(x, dtype)
    else:
        get = getattr(x, "_tw_tensor", None)
        if get is not None:  # a Variable: read its (possibly substituted) value
            x = get()
    if dtype is not None and x.dtype is not dtype:
        x = ops.cast(x, dtype)
    return x


def as_float(x: Any, dtype: Any = None) -> Any:
    """A float tensor: ``dtype`` when given, else ``x``'s own float dtype or float32."""
    x = as_tensor(x)
    if dtype is not None:
        return ops.cast(x, dtype)
    return x if x.dtype.is_floating else ops.cast(x, "float32")


def squeeze_or_expand_to_same_rank(x1: Any, x2: Any, expand_rank_1: bool = True
                                   ) -> tuple[Any, Any]:
    """Make ranks equal when they differ by one trailing size-1 axis (Keras's rule):
    ``(batch, 1)`` labels against ``(batch,)`` predictions and the like."""
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, overflow-free, with the exact gradient ``sigmoid(x)`` everywhere.

    ``ops.softplus`` (``relu(x) + log1p(exp(-|x|))``) has gradient 0 instead of 0.5 at
    exactly ``x == 0`` (the subgradients of ``relu`` and ``abs`` are both taken as 0
    there), which makes the gradient of a logits cross-entropy vanish at zero logits and
    that of ``log_cosh`` wrong at a perfect prediction. Here each ``where`` branch only
    sees inputs on which it cannot overflow, so no NaN leaks into the other's gradient.
    """
    pos = ops.greater(x, 0.0)
    xp = ops.where(pos, x, 0.0)  # >= 0: exp(-xp) <= 1
    xn = ops.where(pos, 0.0, x)  # <= 0: exp(xn) <= 1
    return ops.where(pos, ops.add(xp, ops.log1p(ops.exp(ops.negative(xp)))),
                     ops.log1p(ops.exp(xn)))


def divide_no_nan(a: Any, b: Any) -> Any:
    """``a / b``, and 0 where ``b == 0`` (no NaN, and no NaN gradient either: the
    denominator is replaced by 1 before dividing)."""
    a, b = as_tensor(a), as_tensor(b)
    zero = ops.equal(b, 0)
    q = ops.divide(a, ops.where(zero, ops.ones_like(b), b))
    return ops.where(zero, ops.zeros_like(q), q)


def standardize_reduction(where: str, reduction: Any) -> Any:
    if reduction not in REDUCTIONS:
        raise InvalidArgumentError(describe(where, "reduction", f"one of {REDUCTIONS}",
                                            repr(reduction)))
    return reduction


def _prod(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def align_weights(where: str, values: Any, weights: Any) -> tuple[Any, Any]:
    """Broadcast per-sample (or per-element) weights against ``values``.

    After Keras's squeeze/expand rule, weights of lower rank get trailing size-1 axes so
    that ``(batch,)`` weights apply to every element of a sample (tf.keras's behaviour),
    and surplus trailing size-1 axes are dropped. Anything that still does not broadcast is
    a :class:`ShapeError` naming both shapes.
    """
    values, weights = squeeze_or_expand_to_same_rank(values, weights)
    while len(weights.shape) > len(values.shape) and weights.shape[-1] == 1:
        weights = ops.squeeze(weights, -1)
    while len(weights.shape) < len(values.shape):
        weights = ops.expand_dims(weights, -1)
    ok = len(weights.shape) == len(values.shape) and all(
        w == 1 or v is None or w is None or w == v for w, v in zip(weights.shape, values.shape))
    if not ok:
        raise ShapeError(describe(where, "sample_weight",
                                  f"a shape broadcastable to the per-sample values' shape "
                                  f"{tuple(values.shape)} (e.g. (batch,))",
                                  tuple(weights.shape)))
    return values, weights


def reduce_values(values: Any, reduction: Any, weights: Any = None) -> Any:
    """Apply ``reduction`` to already-weighted ``values``.

    ``sum_over_batch_size`` and ``mean`` divide by the number of elements (weights
    included or not, as Keras 3); ``mean_with_sample_weight`` by the sum of the weights.
    """
    if reduction is None or reduction == "none" or tuple(values.shape) == ():
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        denom = ops.sum(ops.multiply(ops.broadcast_to(weights, values.shape),
                                     ops.ones_like(values)))
        return divide_no_nan(total, denom)
    n = _prod(tuple(values.shape))
    if n == 0:
        return ops.zeros((), dtype=values.dtype)
    return ops.divide(total, float(n))


def reduce_weighted_values(where: str, values: Any, sample_weight: Any = None,
                           mask: Any = None, reduction: Any = "sum_over_batch_size") -> Any:
    """Weight per-sample loss ``values`` by ``sample_weight`` and ``mask``, then reduce.

    A mask (e.g. ``ignore_class``) takes masked entries out of the average as well as the
    sum: for the mean reductions the valid entries are re-weighted by
    ``total / valid`` so the result is ``sum(valid losses) / valid`` (Keras's rule).
    """
    reduction = standardize_reduction(where, reduction)
    values = as_float(values)
    if mask is not None:
        m = ops.cast(mask, values.dtype)
        if reduction in ("mean", "sum_over_batch_size"):
            total = float(_prod(tuple(m.shape)))
            m = ops.multiply(m, ops.divide(total, ops.add(ops.sum(m), EPSILON)))
        if sample_weight is not None:
            sw = as_float(sample_weight, values.dtype)
            m, sw = align_weights(where, m, sw)
            sample_weight = ops.multiply(sw, m)
        else:
            sample_weight = m
    if sample_weight is not None:
        sw = as_float(sample_weight, values.dtype)
        values, sw = align_weights(where, values, sw)
        values = ops.multiply(values, sw)
        return reduce_values(values, reduction, sw)
    return reduce_values(values, reduction)
