"""The rest of ``keras.ops.nn``: activations, normalizations, losses, attention, pooling.

Every op here is a composite of existing ``tw.ops`` (no new primitive), so it runs on every
backend (numpy, the pure-Python reference, cupy) and is differentiable through its parts.
Semantics, defaults and argument order follow Keras 3 (its JAX backend where the backends
differ, e.g. ``binary_crossentropy(from_logits=True)`` in log-sigmoid form).
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, ShapeError
from ._dispatch import convert_to_tensor, is_tensor
from .creation import full_like, ones_like, zeros_like

__all__ = ["celu", "glu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink",
           "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink",
           "threshold", "batch_normalization", "layer_normalization", "rms_normalization",
           "normalize", "moments", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "multi_hot", "psnr", "dot_product_attention",
           "depth_to_space", "space_to_depth", "unfold", "fold", "adaptive_average_pool",
           "adaptive_max_pool", "ctc_loss", "ctc_decode"]


def _t(where: str, x: Any, dtype: Any = None) -> Any:
    from .elementwise import cast

    x = x if is_tensor(x) else convert_to_tensor(x, where=where)
    return x if dtype is None or x.dtype == _dt.canonicalize(dtype) else cast(x, dtype)


def _f(where: str, x: Any) -> Any:
    """A float tensor (ints and bools become float32, as Keras's activations do)."""
    x = _t(where, x)
    return x if x.dtype.is_floating else _t(where, x, "float32")


def _epsilon() -> float:
    from ..backend import epsilon

    return float(epsilon())


def _axis(where: str, axis: int, ndim: int) -> int:
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise InvalidArgumentError(f"{where}: argument 'axis': expected an int in "
                                   f"[{-ndim}, {ndim}), got {axis!r}")
    return axis % ndim


# ---- activations ---------------------------------------------------------------------------
def celu(x: Any, alpha: float = 1.0) -> Any:
    """max(x, 0) + alpha * expm1(min(x, 0) / alpha): a C1-continuous ELU."""
    from .elementwise import add, divide, expm1, maximum, minimum, multiply

    x = _f("celu", x)
    return add(maximum(x, 0.0), multiply(expm1(divide(minimum(x, 0.0), alpha)), alpha))


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second."""
    from .elementwise import multiply, sigmoid
    from .shape import split

    x = _f("glu", x)
    ax = _axis("glu", axis, x.ndim)
    n = x.shape[ax]
    if n is not None and n % 2:
        raise ShapeError(f"glu: axis {axis} must have an even size, got shape {x.shape}")
    a, b = split(x, 2, axis=ax)
    return multiply(a, sigmoid(b))


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """x where |x| > threshold, else 0."""
    from .elementwise import abs as _abs
    from .elementwise import greater, where

    x = _f("hard_shrink", x)
    return where(greater(_abs(x), threshold), x, zeros_like(x))


def hard_tanh(x: Any) -> Any:
    """clip(x, -1, 1)."""
    from .elementwise import clip

    return clip(_f("hard_tanh", x), -1.0, 1.0)


def hard_swish(x: Any) -> Any:
    """x * relu6(x + 3) / 6 (Keras's alias of ``hard_silu``)."""
    from .nn import hard_silu

    return hard_silu(_f("hard_swish", x))


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """x - threshold above it, x + threshold below -threshold, 0 between."""
    from .elementwise import add, greater, less, subtract, where

    x = _f("soft_shrink", x)
    return where(greater(x, threshold), subtract(x, threshold),
                 where(less(x, -threshold), add(x, threshold), zeros_like(x)))


def sparse_plus(x: Any) -> Any:
    """0 for x <= -1, (x + 1)^2 / 4 on (-1, 1), x from 1 on: a smooth sparse ReLU."""
    from .elementwise import add, less, less_equal, multiply, square, where

    x = _f("sparse_plus", x)
    mid = multiply(square(add(x, 1.0)), 0.25)
    return where(less_equal(x, -1.0), zeros_like(x), where(less(x, 1.0), mid, x))


def sparse_sigmoid(x: Any) -> Any:
    """0 for x <= -1, (x + 1) / 2 on (-1, 1), 1 from 1 on."""
    from .elementwise import add, greater_equal, less_equal, multiply, where

    x = _f("sparse_sigmoid", x)
    return where(less_equal(x, -1.0), zeros_like(x),
                 where(greater_equal(x, 1.0), ones_like(x), multiply(add(x, 1.0), 0.5)))


def _cumsum(x: Any, axis: int) -> Any:
    """Cumulative sum along ``axis`` as a matmul with an upper-triangular ones matrix."""
    from .creation import ones, triu
    from .linalg import matmul
    from .shape import moveaxis

    n = x.shape[axis]
    tri = triu(ones((n, n), dtype=x.dtype))
    return moveaxis(matmul(moveaxis(x, axis, -1), tri), -1, axis)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Euclidean projection onto the simplex (Martins & Astudillo 2016): sparse softmax."""
    from .creation import arange
    from .elementwise import cast, divide, greater, maximum, subtract
    from .indexing import sort
    from .reduction import sum as _sum
    from .shape import reshape

    x = _f("sparsemax", x)
    ax = _axis("sparsemax", axis, x.ndim)
    srt = sort(x, axis=ax, descending=True)
    csum = _cumsum(srt, ax)
    shape = [1] * x.ndim
    shape[ax] = -1
    r = reshape(arange(1, x.shape[ax] + 1, dtype=x.dtype), tuple(shape))
    support = greater(subtract(srt, divide(subtract(csum, 1.0), r)), 0.0)
    k = _sum(cast(support, x.dtype), axis=ax, keepdims=True)
    # tau = (sum of the k largest - 1) / k: the cumulative sum *at* k. (Keras 3.15 sums the
    # cumulative sums over the support instead, so its outputs do not sum to 1; ours are
    # the projection, checked against a NumPy reference in tests/oracle.)
    from .indexing import take_along_axis

    at_k = take_along_axis(csum, subtract(cast(k, "int32"), 1), axis=ax)
    tau = divide(subtract(at_k, 1.0), k)
    return maximum(subtract(x, tau), 0.0)


def squareplus(x: Any, b: float = 4) -> Any:
    """(x + sqrt(x^2 + b)) / 2: a smooth, algebraic ReLU."""
    from .elementwise import add, multiply, sqrt, square

    x = _f("squareplus", x)
    return multiply(add(x, sqrt(add(square(x), b))), 0.5)


def tanh_shrink(x: Any) -> Any:
    """x - tanh(x)."""
    from .elementwise import subtract, tanh

    x = _f("tanh_shrink", x)
    return subtract(x, tanh(x))


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """x where x > threshold, else ``default_value``."""
    from .elementwise import greater, where

    x = _t("threshold", x)
    return where(greater(x, threshold), x, full_like(x, default_value))


# ---- normalizations --------------------------------------------------------------------------
def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> Any:
    """``(mean, variance)`` over ``axes``; half precision is computed in float32."""
    from .elementwise import cast, clip
    from .reduction import mean, var

    if synchronized:
        raise InvalidArgumentError("moments: argument 'synchronized': True needs a "
                                   "distributed strategy, which tensorweave does not have")
    x = _t("moments", x)
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else axes
    orig = x.dtype
    half = orig.name in ("float16", "bfloat16")
    if half:
        x = cast(x, _dt.float32)
    m = mean(x, axis=axes, keepdims=keepdims)
    v = var(x, axis=axes, keepdims=keepdims)
    if half:
        lim = 65504.0
        m, v = cast(clip(m, -lim, lim), orig), cast(clip(v, -lim, lim), orig)
    return m, v


def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None,
                        scale: Any = None, epsilon: float = 1e-3) -> Any:
    """(x - mean) / sqrt(variance + epsilon) * scale + offset, the stats 1-d along ``axis``."""
    from .elementwise import add, multiply, neg, rsqrt
    from .shape import reshape

    x = _t("batch_normalization", x)
    ax = _axis("batch_normalization", axis, x.ndim)
    mean = _t("batch_normalization", mean)
    if mean.ndim != 1 or mean.shape[0] != x.shape[ax]:
        raise ShapeError(f"batch_normalization: argument 'mean': expected shape "
                         f"({x.shape[ax]},) (x's axis {axis}), got {mean.shape}")
    shape = [1] * x.ndim
    shape[ax] = mean.shape[0]
    shape = tuple(shape)
    inv = rsqrt(add(reshape(_t("batch_normalization", variance), shape), epsilon))
    if scale is not None:
        inv = multiply(inv, reshape(_t("batch_normalization", scale), shape))
    res = neg(multiply(reshape(mean, shape), inv))
    if offset is not None:
        res = add(res, reshape(_t("batch_normalization", offset), shape))
    return add(multiply(x, inv), res)


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1,
                        epsilon: float | None = None, **kwargs: Any) -> Any:
    """Normalize over ``axis`` (int or list), then ``* gamma + beta``; computed in >= float32.

    ``rms_scaling=True`` (keyword) divides by sqrt(variance + epsilon) only, as Keras does.
    """
    from .elementwise import add, cast, multiply, neg, rsqrt
    from .reduction import var
    from .shape import reshape

    rms_scaling = bool(kwargs.pop("rms_scaling", False))
    if kwargs:
        raise InvalidArgumentError(f"layer_normalization: unexpected arguments "
                                   f"{sorted(kwargs)}")
    eps = _epsilon() if epsilon is None else epsilon
    x = _t("layer_normalization", x)
    orig = x.dtype
    comp = _dt.result_type(orig, _dt.float32) if orig.is_floating else _dt.float32
    x = cast(x, comp) if orig != comp else x
    nd = x.ndim
    axes = sorted(_axis("layer_normalization", a, nd)
                  for a in ([axis] if isinstance(axis, int) else list(axis)))
    bshape = tuple(x.shape[d] if d in axes else 1 for d in range(nd))

    def bcast(v: Any) -> Any:
        if v is None:
            return None
        v = _t("layer_normalization", v, comp)
        if v.ndim != nd and axes != [nd - 1]:
            v = reshape(v, bshape)
        return v

    if rms_scaling:
        out = multiply(x, rsqrt(add(var(x, axis=tuple(axes), keepdims=True), eps)))
        if gamma is not None:
            out = multiply(out, bcast(gamma))
    else:
        m, v = moments(x, axes=axes, keepdims=True)
        inv = rsqrt(add(v, eps))
        if gamma is not None:
            inv = multiply(inv, bcast(gamma))
        res = neg(multiply(m, inv))
        if beta is not None:
            res = add(res, bcast(beta))
        out = add(multiply(x, inv), res)
    return cast(out, orig) if orig != comp else out


def rms_normalization(x: Any, scale: Any = None, axis: Any = -1,
                      epsilon: float | None = None) -> Any:
    """x / sqrt(mean(x^2 over axis) + epsilon) * scale (computed in >= float32)."""
    from .elementwise import add, cast, multiply, rsqrt, square
    from .reduction import mean
    from .shape import expand_dims

    eps = _epsilon() if epsilon is None else epsilon
    x = _t("rms_normalization", x)
    orig = x.dtype
    comp = _dt.result_type(orig, _dt.float32) if orig.is_floating else _dt.float32
    x = cast(x, comp) if orig != comp else x
    if x.ndim == 0:
        x = expand_dims(x, 0)
    ax = tuple(sorted(axis)) if isinstance(axis, (list, tuple)) else axis
    out = multiply(x, rsqrt(add(mean(square(x), axis=ax, keepdims=True), eps)))
    if scale is not None:
        out = multiply(out, _t("rms_normalization", scale, comp))
    return cast(out, orig) if orig != comp else out


def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: float | None = None) -> Any:
    """x divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    from .elementwise import abs as _abs
    from .elementwise import divide, maximum, minimum, multiply, power, rsqrt, square
    from .reduction import sum as _sum
    from .shape import expand_dims

    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise InvalidArgumentError(f"normalize: argument 'order': expected an int >= 1, "
                                   f"got {order!r}")
    x = _f("normalize", x)
    if x.ndim == 0:
        x = expand_dims(x, 0)
    eps = _epsilon() if epsilon is None else epsilon
    if order == 2:
        inv = minimum(rsqrt(_sum(square(x), axis=axis, keepdims=True)), 1.0 / eps)
        return multiply(x, inv)
    if not isinstance(axis, int):
        raise InvalidArgumentError(f"normalize: order {order} over several axes would be a "
                                   f"matrix norm; tensorweave supports an int axis here, "
                                   f"got {axis!r}")
    a = _abs(x)
    norm = _sum(a, axis=axis, keepdims=True) if order == 1 else power(
        _sum(power(a, float(order)), axis=axis, keepdims=True), 1.0 / order)
    return divide(x, maximum(norm, eps))


# ---- losses and metrics ----------------------------------------------------------------------
def _same_shape(where: str, t: Any, o: Any) -> None:
    if tuple(t.shape) != tuple(o.shape):
        raise ShapeError(f"{where}: arguments 'target' and 'output' must have the same "
                         f"shape, got {t.shape} and {o.shape}")


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Elementwise binary cross-entropy (no reduction), as ``keras.ops.binary_crossentropy``."""
    from .elementwise import clip, log, multiply, neg, softplus, subtract

    output = _f("binary_crossentropy", output)
    target = _t("binary_crossentropy", target, output.dtype)
    _same_shape("binary_crossentropy", target, output)
    if from_logits:
        # -t log sigmoid(o) - (1 - t) log sigmoid(-o) = t softplus(-o) + (1 - t) softplus(o)
        return subtract(multiply(target, softplus(neg(output))),
                        multiply(subtract(target, 1.0), softplus(output)))
    eps = _epsilon()
    o = clip(output, eps, 1.0 - eps)
    return neg(subtract(multiply(target, log(o)),
                        multiply(subtract(target, 1.0), log(subtract(1.0, o)))))


def _log_probs(where: str, output: Any, from_logits: bool, axis: int) -> Any:
    from .elementwise import clip, divide, log
    from .nn import log_softmax
    from .reduction import sum as _sum

    if from_logits:
        return log_softmax(output, axis=axis)
    eps = _epsilon()
    p = divide(output, _sum(output, axis=axis, keepdims=True))
    return log(clip(p, eps, 1.0 - eps))


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> Any:
    """-sum(target * log p) over ``axis``; ``output`` probabilities are renormalized first."""
    from .elementwise import multiply, neg
    from .reduction import sum as _sum

    output = _f("categorical_crossentropy", output)
    target = _t("categorical_crossentropy", target, output.dtype)
    _same_shape("categorical_crossentropy", target, output)
    if output.ndim < 1:
        raise ShapeError("categorical_crossentropy: 'target' and 'output' must be at least "
                         "rank 1, got scalars")
    ax = _axis("categorical_crossentropy", axis, output.ndim)
    lp = _log_probs("categorical_crossentropy", output, from_logits, ax)
    return neg(_sum(multiply(target, lp), axis=ax))


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    """Categorical cross-entropy with integer class ids as ``target``."""
    from .elementwise import multiply, neg
    from .indexing import one_hot
    from .reduction import sum as _sum
    from .shape import squeeze

    output = _f("sparse_categorical_crossentropy", output)
    target = _t("sparse_categorical_crossentropy", target, "int32")
    if output.ndim < 1:
        raise ShapeError("sparse_categorical_crossentropy: argument 'output' must be at "
                         "least rank 1, got a scalar")
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = squeeze(target, axis=-1)
    if tuple(target.shape) != tuple(output.shape[:-1]):
        raise ShapeError(f"sparse_categorical_crossentropy: 'target' must have the shape of "
                         f"'output' up to its last axis, got {target.shape} and "
                         f"{output.shape}")
    ax = _axis("sparse_categorical_crossentropy", axis, output.ndim)
    lp = _log_probs("sparse_categorical_crossentropy", output, from_logits, ax)
    oh = one_hot(target, output.shape[ax], axis=ax, dtype=output.dtype)
    return neg(_sum(multiply(oh, lp), axis=ax))


def multi_hot(inputs: Any, num_classes: int | None = None, axis: int = -1, dtype: Any = None,
              sparse: bool = False, **kwargs: Any) -> Any:
    """Multi-hot vectors of integer labels (one_hot, then max over the label axis)."""
    from .indexing import one_hot
    from .reduction import max as _max

    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise InvalidArgumentError(f"multi_hot: unexpected arguments {sorted(kwargs)}")
    if num_classes is None:
        raise InvalidArgumentError("multi_hot: argument 'num_classes' must be given")
    if sparse:
        raise InvalidArgumentError("multi_hot: argument 'sparse': tensorweave has no sparse "
                                   "tensors; pass sparse=False")
    x = _t("multi_hot", inputs, "int32")
    dt = _dt.default_float() if dtype is None else dtype
    red = 1 if x.ndim > 1 else 0
    return _max(one_hot(x, int(num_classes), axis=axis, dtype=dt), axis=red)


def psnr(x1: Any, x2: Any, max_val: Any) -> Any:
    """Peak signal-to-noise ratio: 20 log10(max_val) - 10 log10(mean((x1 - x2)^2))."""
    from .elementwise import log10, multiply, square, subtract
    from .reduction import mean

    x1, x2 = _f("psnr", x1), _f("psnr", x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ShapeError(f"psnr: 'x1' and 'x2' must have the same shape, got {x1.shape} "
                         f"and {x2.shape}")
    mse = mean(square(subtract(x1, x2)))
    mv = _t("psnr", max_val, x2.dtype)
    return subtract(multiply(log10(mv), 20.0), multiply(log10(mse), 10.0))


# ---- attention --------------------------------------------------------------------------------
def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: float | None = None, is_causal: bool = False,
                          flash_attention: bool | None = None,
                          attn_logits_soft_cap: float | None = None) -> Any:
    """softmax(q k^T * scale + bias, masked) v in Keras's layout ``(batch, seq, heads, dim)``.

    Key/value may have fewer heads ``K`` dividing the query's ``N`` (grouped-query
    attention). There is no flash-attention kernel here: ``flash_attention=None`` or False
    compute the plain formula, True raises. ``attn_logits_soft_cap`` is TPU-only in Keras
    and raises here as it does in Keras off TPU. The softmax runs in float32 or wider.
    """
    from .creation import ones, tril
    from .elementwise import add, cast, logical_and, multiply, where
    from .linalg import einsum
    from .nn import softmax
    from .shape import repeat

    where_ = "dot_product_attention"
    if flash_attention:
        raise InvalidArgumentError(f"{where_}: argument 'flash_attention': tensorweave has no "
                                   f"flash-attention kernel; pass None or False")
    if attn_logits_soft_cap is not None:
        raise InvalidArgumentError(f"{where_}: argument 'attn_logits_soft_cap' is only "
                                   f"supported by Keras for JAX on TPU; pass None")
    q, k, v = _t(where_, query), _t(where_, key), _t(where_, value)
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim != 4:
            raise ShapeError(f"{where_}: argument '{name}': expected a 4-d (batch, seq, heads,"
                             f" dim) tensor, got shape {t.shape}")
    ct = _dt.result_type(q.dtype, k.dtype, v.dtype)
    if not ct.is_floating:
        ct = _dt.float32
    q, k, v = (t if t.dtype == ct else cast(t, ct) for t in (q, k, v))
    n, kh = q.shape[2], k.shape[2]
    if tuple(k.shape) != tuple(v.shape):
        raise ShapeError(f"{where_}: 'key' and 'value' must have the same shape, got "
                         f"{k.shape} and {v.shape}")
    if n % kh:
        raise ShapeError(f"{where_}: the query's {n} heads must be a multiple of the key's "
                         f"{kh} heads")
    if n != kh:
        k, v = repeat(k, n // kh, axis=2), repeat(v, n // kh, axis=2)
    h = k.shape[-1]
    sc = 1.0 / math.sqrt(h) if scale is None else float(scale)
    lt = _dt.result_type(ct, _dt.float32)
    logits = einsum("btnh,bsnh->bnts", q, k)
    logits = multiply(cast(logits, lt) if logits.dtype != lt else logits, sc)
    if bias is not None:
        logits = add(logits, _t(where_, bias, ct))
        if logits.dtype != lt:
            logits = cast(logits, lt)
    if mask is not None or is_causal:
        keep = None if mask is None else _t(where_, mask, "bool")
        if is_causal:
            t_, s_ = logits.shape[2], logits.shape[3]
            causal = cast(tril(ones((t_, s_), dtype=_dt.float32)), _dt.bool_)
            keep = causal if keep is None else logical_and(keep, causal)
        big = -0.7 * (65500.0 if lt.name == "float16" else 3.38953e38)
        logits = where(keep, logits, full_like(logits, big))
    if logits.dtype != _dt.float32 and logits.dtype.bits < 32:
        logits = cast(logits, _dt.float32)
    probs = softmax(logits, axis=-1)
    if probs.dtype != ct:
        probs = cast(probs, ct)
    return einsum("bnts,bsnh->btnh", probs, v)


# ---- space/depth, fold/unfold -----------------------------------------------------------------
def _block(where: str, block_size: Any) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise InvalidArgumentError(f"{where}: argument 'block_size': expected a positive int,"
                                   f" got {block_size!r}")
    return block_size


def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Move channel blocks into ``block_size`` x ``block_size`` spatial tiles (4-d input)."""
    from .nn import _data_format
    from .shape import reshape, transpose

    b = _block("depth_to_space", block_size)
    x = _t("depth_to_space", x)
    df = _data_format("depth_to_space", data_format)
    if x.ndim != 4:
        raise ShapeError(f"depth_to_space: expected a 4-d input, got shape {x.shape}")
    if df == "channels_last":
        n, hh, ww, c = x.shape
        if c % (b * b):
            raise ShapeError(f"depth_to_space: channels {c} not divisible by "
                             f"block_size^2 = {b * b}")
        y = transpose(reshape(x, (n, hh, ww, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, hh * b, ww * b, c // (b * b)))
    n, c, hh, ww = x.shape
    if c % (b * b):
        raise ShapeError(f"depth_to_space: channels {c} not divisible by block_size^2 = "
                         f"{b * b}")
    # channel-major (new_c, bh, bw) as PyTorch's pixel shuffle
    y = transpose(reshape(x, (n, c // (b * b), b, b, hh, ww)), (0, 1, 4, 2, 5, 3))
    return reshape(y, (n, c // (b * b), hh * b, ww * b))


def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Any:
    """Move ``block_size`` x ``block_size`` spatial tiles into channels (4-d input)."""
    from .nn import _data_format
    from .shape import reshape, transpose

    b = _block("space_to_depth", block_size)
    x = _t("space_to_depth", x)
    df = _data_format("space_to_depth", data_format)
    if x.ndim != 4:
        raise ShapeError(f"space_to_depth: expected a 4-d input, got shape {x.shape}")
    if df == "channels_last":
        n, hh, ww, c = x.shape
        if hh % b or ww % b:
            raise ShapeError(f"space_to_depth: spatial size {(hh, ww)} not divisible by "
                             f"block_size {b}")
        y = transpose(reshape(x, (n, hh // b, b, ww // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(y, (n, hh // b, ww // b, b * b * c))
    n, c, hh, ww = x.shape
    if hh % b or ww % b:
        raise ShapeError(f"space_to_depth: spatial size {(hh, ww)} not divisible by "
                         f"block_size {b}")
    y = transpose(reshape(x, (n, c, hh // b, b, ww // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(y, (n, b * b * c, hh // b, ww // b))


# unfold / fold: one implementation, in blocks.py (re-exported by tw.ops.nn)
from .blocks import fold, unfold  # noqa: E402,F401


def _adaptive_axis(x: Any, axis: int, out: int, mode: str) -> Any:
    """Pool one axis into ``out`` bins [floor(i L / out), ceil((i + 1) L / out))."""
    from .reduction import max as _max
    from .reduction import mean
    from .shape import concatenate

    n = x.shape[axis]
    if n == out:
        return x
    import builtins

    parts = []
    for i in range(out):
        lo, hi = (i * n) // out, -((-(i + 1) * n) // out)
        sl = [builtins.slice(None)] * x.ndim
        sl[axis] = builtins.slice(lo, hi)
        w = x[tuple(sl)]
        parts.append(mean(w, axis=axis, keepdims=True) if mode == "average"
                     else _max(w, axis=axis, keepdims=True))
    return parts[0] if len(parts) == 1 else concatenate(parts, axis=axis)


def _adaptive(where: str, inputs: Any, output_size: Any, data_format: Any, mode: str) -> Any:
    from .elementwise import cast
    from .nn import _data_format

    x = _t(where, inputs)
    nsp = x.ndim - 2
    if nsp not in (1, 2, 3):
        raise ShapeError(f"{where}: expected a 3-, 4- or 5-d input (batch, *spatial, "
                         f"channels), got shape {x.shape}")
    sizes = (output_size,) * nsp if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != nsp or any(not isinstance(s, int) or s < 1 for s in sizes):
        raise InvalidArgumentError(f"{where}: argument 'output_size': expected a positive "
                                   f"int or {nsp} of them, got {output_size!r}")
    first = _data_format(where, data_format) == "channels_first"
    axes = range(2, nsp + 2) if first else range(1, nsp + 1)
    if mode == "average" and not x.dtype.is_floating:
        x = cast(x, _dt.float32)
    for ax, s in zip(axes, sizes):
        if x.shape[ax] is None:
            raise ShapeError(f"{where}: spatial sizes must be known, got shape {x.shape}")
        x = _adaptive_axis(x, ax, s, mode)
    return x


def adaptive_average_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Mean over PyTorch-style adaptive bins so the spatial shape becomes ``output_size``."""
    return _adaptive("adaptive_average_pool", inputs, output_size, data_format, "average")


def adaptive_max_pool(inputs: Any, output_size: Any, data_format: str | None = None) -> Any:
    """Max over PyTorch-style adaptive bins so the spatial shape becomes ``output_size``."""
    return _adaptive("adaptive_max_pool", inputs, output_size, data_format, "max")


# ---- CTC --------------------------------------------------------------------------------------
_LOG_EPS = -1e5  # "log 0" of the CTC recursions, finite so that 0 * it stays 0


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any,
             mask_index: int = 0) -> Any:
    """Per-sequence CTC negative log-likelihood, as ``keras.ops.ctc_loss``.

    ``target`` (batch, max_label) ints, ``output`` (batch, time, classes) *logits* (a
    log-softmax is applied), lengths (batch,), ``mask_index`` the blank class. The forward
    (alpha) recursion in log space is unrolled over the static time axis with tw ops, so it
    runs on every backend and differentiates like any composite.
    """
    from .creation import arange, zeros
    from .elementwise import add, cast, equal, greater_equal, logaddexp, multiply, neg, subtract
    from .indexing import one_hot
    from .linalg import einsum
    from .nn import log_softmax
    from .reduction import sum as _sum
    from .shape import concatenate, expand_dims

    w = "ctc_loss"
    out = _f(w, output)
    if out.dtype.bits < 32:
        out = cast(out, _dt.float32)
    tgt = _t(w, target, "int32")
    tl, ol = _t(w, target_length, "int32"), _t(w, output_length, "int32")
    if out.ndim != 3 or tgt.ndim != 2:
        raise ShapeError(f"{w}: expected 'output' (batch, time, classes) and 'target' "
                         f"(batch, max_label_length), got {out.shape} and {tgt.shape}")
    b, t_max, c = out.shape
    n = tgt.shape[1]
    if not 0 <= mask_index < c:
        raise InvalidArgumentError(f"{w}: argument 'mask_index': expected a class in "
                                   f"[0, {c}), got {mask_index!r}")
    ft = out.dtype
    tpad = cast(greater_equal(expand_dims(arange(n, dtype="int32"), 0), expand_dims(tl, 1)),
                ft)
    opad = cast(greater_equal(expand_dims(arange(t_max, dtype="int32"), 0),
                              expand_dims(ol, 1)), ft)
    logp = log_softmax(out, axis=-1)
    label_len = cast(subtract(float(n), _sum(tpad, axis=1)), "int32")
    rep = cast(equal(tgt[:, :-1], tgt[:, 1:]), ft)
    rep = concatenate([rep, zeros((b, 1), dtype=ft)], axis=1)
    lp_phi = logp[:, :, mask_index:mask_index + 1]                       # (B, T, 1)
    lp_emit = einsum("btk,bnk->btn", logp, one_hot(tgt, c, dtype=ft))   # (B, T, N)

    def upd(phi: Any, added: Any) -> Any:
        return concatenate([phi[:, :1], logaddexp(phi[:, 1:], added)], axis=-1)

    first = one_hot(zeros((b,), dtype="int32"), n + 1, dtype=ft)
    phi = multiply(subtract(1.0, first), _LOG_EPS)                      # [0, eps, ...]
    emit = add(zeros((b, n), dtype=ft), _LOG_EPS)
    for step in range(t_max):
        e_t, p_t, pad = lp_emit[:, step], lp_phi[:, step], opad[:, step:step + 1]
        phi_orig = phi
        phi = upd(phi, add(emit, multiply(rep, _LOG_EPS)))
        next_emit = logaddexp(add(phi[:, :-1], e_t), add(emit, e_t))
        next_phi = upd(add(phi, p_t), add(add(emit, p_t), multiply(subtract(1.0, rep),
                                                                   _LOG_EPS)))
        keep = subtract(1.0, pad)
        emit = add(multiply(pad, emit), multiply(keep, next_emit))
        phi = add(multiply(pad, phi_orig), multiply(keep, next_phi))
    last = upd(phi, emit)
    return neg(_sum(multiply(last, one_hot(label_len, n + 1, dtype=ft)), axis=1))


def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy",
               beam_width: int = 100, top_paths: int = 1, merge_repeated: bool = True,
               mask_index: int = 0) -> Any:
    """Decode CTC outputs ``(batch, time, classes)``: ``(paths, scores)`` as Keras.

    ``paths`` is ``(top_paths, batch, time)`` int32 with labels first and -1 after them;
    ``scores`` is ``(batch, top_paths)``. ``"greedy"`` (best class per step, repeats merged,
    blanks dropped; score = -sum of the max inputs) is a composite of tw ops.
    ``"beam_search"`` (prefix beam search over log-softmax probabilities, ``beam_width``
    prefixes kept per step, the ``top_paths`` best returned) is a host-side loop over the
    values: it needs concrete inputs and has no gradient (neither has Keras's).
    """
    w = "ctc_decode"
    x = _f(w, inputs)
    if x.dtype.bits < 32:
        x = _t(w, x, "float32")
    if x.ndim != 3:
        raise ShapeError(f"{w}: expected 'inputs' (batch, time, classes), got {x.shape}")
    if strategy == "greedy":
        return _ctc_greedy(x, _t(w, sequence_lengths, "int32"), merge_repeated, mask_index)
    if strategy == "beam_search":
        return _ctc_beam(x, sequence_lengths, int(beam_width), int(top_paths), mask_index)
    raise InvalidArgumentError(f"{w}: argument 'strategy': expected 'greedy' or "
                               f"'beam_search', got {strategy!r}")


def _ctc_greedy(x: Any, lengths: Any, merge_repeated: bool, mask_index: Any) -> Any:
    from .creation import arange, full_like, zeros
    from .elementwise import equal, greater_equal, neg, where
    from .indexing import argsort, take_along_axis
    from .reduction import argmax
    from .reduction import max as _max
    from .reduction import sum as _sum
    from .shape import broadcast_to, concatenate, expand_dims

    b, t, c = x.shape
    blank = c - 1 if mask_index is None else int(mask_index)
    idx = argmax(x, axis=-1)
    idx = idx if idx.dtype == _dt.int32 else _t("ctc_decode", idx, "int32")
    scores = _max(x, axis=-1)
    beyond = greater_equal(expand_dims(arange(t, dtype="int32"), 0), expand_dims(lengths, 1))
    idx = where(beyond, full_like(idx, blank), idx)
    scores = where(beyond, zeros((b, t), dtype=scores.dtype), scores)
    if merge_repeated and t > 1:
        rep = equal(idx[:, 1:], idx[:, :-1])
        rep = concatenate([zeros((b, 1), dtype="bool"), rep], axis=1)
        idx = where(rep, full_like(idx, blank), idx)
    invalid = equal(idx, blank)
    idx = where(invalid, full_like(idx, -1), idx)
    order = where(invalid, full_like(idx, t),
                  broadcast_to(expand_dims(arange(t, dtype="int32"), 0), (b, t)))
    order = argsort(order, axis=-1)
    idx = take_along_axis(idx, order, axis=-1)
    return expand_dims(idx, 0), expand_dims(neg(_sum(scores, axis=1)), 1)


def _ctc_beam(x: Any, lengths: Any, beam_width: int, top_paths: int, mask_index: Any) -> Any:
    """Prefix beam search on the host (one Python loop per sequence)."""
    import numpy as np

    from . import convert_to_numpy
    from ._dispatch import is_symbolic

    w = "ctc_decode"
    if is_symbolic(x) or is_symbolic(lengths):
        raise InvalidArgumentError(f"{w}: strategy='beam_search' runs on the host and needs "
                                   f"concrete tensors, got a symbolic one")
    if beam_width < 1 or top_paths < 1 or top_paths > beam_width:
        raise InvalidArgumentError(f"{w}: expected 1 <= top_paths <= beam_width, got "
                                   f"top_paths={top_paths}, beam_width={beam_width}")
    from .nn import log_softmax

    lp = convert_to_numpy(log_softmax(x, axis=-1)).astype(np.float64)
    lens = np.asarray(convert_to_numpy(lengths)).astype(np.int64).reshape(-1)
    b, t, c = lp.shape
    blank = c - 1 if mask_index is None else int(mask_index)
    neg_inf = -np.inf
    all_paths = np.full((top_paths, b, t), -1, dtype=np.int32)
    all_scores = np.full((b, top_paths), neg_inf, dtype=np.float64)
    for bi in range(b):
        # prefix -> (log p ending in blank, log p ending in a label)
        beams: dict[tuple, list] = {(): [0.0, neg_inf]}
        for step in range(t):
            if step > 0 and step >= lens[bi]:
                break
            row = lp[bi, step]
            nxt: dict[tuple, list] = {}

            def acc(prefix: tuple, slot: int, val: float, nxt: dict = nxt) -> None:
                cur = nxt.setdefault(prefix, [neg_inf, neg_inf])
                cur[slot] = np.logaddexp(cur[slot], val)

            for prefix, (pb, pe) in beams.items():
                total = np.logaddexp(pb, pe)
                tail = prefix[-1] if prefix else None
                for k in range(c):
                    if k == blank:
                        acc(prefix, 0, total + row[k])
                    elif k == tail:
                        acc(prefix, 1, pe + row[k])           # a repeat merges
                        acc(prefix + (k,), 1, pb + row[k])    # a blank separates
                    else:
                        acc(prefix + (k,), 1, total + row[k])
            ranked = sorted(nxt.items(), key=lambda kv: -np.logaddexp(*kv[1]))
            beams = dict(ranked[:beam_width])
        ranked = sorted(beams.items(), key=lambda kv: -np.logaddexp(*kv[1]))[:top_paths]
        for j, (prefix, (pb, pe)) in enumerate(ranked):
            all_paths[j, bi, :len(prefix)] = prefix
            all_scores[bi, j] = np.logaddexp(pb, pe)
    be = x._backend if hasattr(x, "_backend") else None
    paths = convert_to_tensor(all_paths, "int32", backend=be)
    scores = convert_to_tensor(all_scores.astype(x.dtype.name), x.dtype.name, backend=be)
    return paths, scores
