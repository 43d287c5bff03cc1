"""Neural-network ops: convolutions, pooling, softmax and activations (channels-last).

Two primitives carry all the windowed ops: ``extract_patches`` (im2col: every window of an
``(N, *spatial, C)`` input laid out as ``(N, *out_spatial, prod(sizes) * C)``, window
positions major, channels minor) and its adjoint ``patches_transpose`` (col2im: patches
summed back into an image). Convolution is patches @ reshaped kernel, pooling is a max or
mean over the window axis, the transposed convolution is a matmul followed by col2im. A
backend may register direct kernels for ``conv``, ``max_pool`` ... (they are composite ops).
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..shapes import normalize_axes
from ._dispatch import apply, convert_to_tensor, defop, is_tensor

__all__ = ["extract_patches", "patches_transpose", "conv", "conv1d", "conv2d",
           "conv_transpose", "conv1d_transpose", "conv2d_transpose", "depthwise_conv",
           "depthwise_conv2d", "separable_conv", "separable_conv2d", "max_pool", "average_pool",
           "avg_pool", "max_pool1d",
           "max_pool2d", "avg_pool1d", "avg_pool2d", "softmax", "log_softmax", "relu6",
           "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softsign", "hard_sigmoid",
           "hard_silu", "log_sigmoid", "compute_padding"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _tuple(where: str, arg: str, v: Any, n: int) -> tuple:
    if isinstance(v, int):
        return (v,) * n
    t = tuple(int(a) for a in v)
    if len(t) != n:
        raise InvalidArgumentError(f"{where}: argument '{arg}': expected {n} values, got {v!r}")
    if any(a <= 0 for a in t):
        raise InvalidArgumentError(f"{where}: argument '{arg}': expected positive ints, "
                                   f"got {v!r}")
    return t


def _out_len(n: int | None, k: int, s: int, d: int) -> int | None:
    if n is None:
        return None
    eff = d * (k - 1) + 1
    return max(0, (n - eff) // s + 1)


# ---- patches primitives ----------------------------------------------------------------------
def _patches_rule(specs: list, sizes: tuple, strides: tuple, dilation: tuple) -> tuple:
    (x,) = specs
    nsp = len(sizes)
    if len(x.shape) != nsp + 2:
        raise ShapeError(f"extract_patches: expected a {nsp + 2}-d (N, *spatial, C) input, "
                         f"got shape {x.shape}")
    spatial = x.shape[1:-1]
    out = []
    for n, k, s, d in zip(spatial, sizes, strides, dilation):
        o = _out_len(n, k, s, d)
        if o == 0:
            raise ShapeError(f"extract_patches: window {sizes} with dilation {dilation} does "
                             f"not fit the input's spatial shape {tuple(spatial)}")
        out.append(o)
    c = x.shape[-1]
    return (x.shape[0], *out, None if c is None else c * math.prod(sizes)), x.dtype


def _patchesT_rule(specs: list, sizes: tuple, strides: tuple, dilation: tuple,
                   image_shape: tuple) -> tuple:
    (p,) = specs
    return (p.shape[0], *image_shape), p.dtype


EXTRACT_PATCHES = defop(
    "extract_patches", _patches_rule, family="nn",
    vjp=lambda g, out, x, sizes, strides, dilation: (
        patches_transpose(g, sizes, strides, dilation, tuple(x.shape[1:])),),
    doc="im2col: windows of (N, *spatial, C) as (N, *out, prod(sizes)*C).")
PATCHES_TRANSPOSE = defop(
    "patches_transpose", _patchesT_rule, family="nn",
    vjp=lambda g, out, p, sizes, strides, dilation, image_shape: (
        extract_patches(g, sizes, strides, dilation),),
    doc="col2im, the adjoint of extract_patches: overlapping windows are summed.")


def extract_patches(x: Any, sizes: Any, strides: Any = 1, dilation: Any = 1) -> Any:
    x = _prep("extract_patches", x)
    n = x.ndim - 2
    if n < 1:
        raise ShapeError(f"extract_patches: expected (N, *spatial, C), got shape {x.shape}")
    return apply(EXTRACT_PATCHES, (x,), {
        "sizes": _tuple("extract_patches", "sizes", sizes, n),
        "strides": _tuple("extract_patches", "strides", strides, n),
        "dilation": _tuple("extract_patches", "dilation", dilation, n)})


def patches_transpose(p: Any, sizes: Any, strides: Any, dilation: Any,
                      image_shape: tuple) -> Any:
    p = _prep("patches_transpose", p)
    n = p.ndim - 2
    return apply(PATCHES_TRANSPOSE, (p,), {
        "sizes": _tuple("patches_transpose", "sizes", sizes, n),
        "strides": _tuple("patches_transpose", "strides", strides, n),
        "dilation": _tuple("patches_transpose", "dilation", dilation, n),
        "image_shape": tuple(int(d) for d in image_shape)})


# ---- padding ----------------------------------------------------------------------------------
def compute_padding(where: str, padding: str, spatial: tuple, sizes: tuple, strides: tuple,
                    dilation: tuple) -> tuple:
    """Explicit (before, after) pads for Keras's ``"valid"``, ``"same"`` and ``"causal"``."""
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding == "valid":
        return tuple((0, 0) for _ in sizes)
    if padding == "causal":
        return tuple(((k - 1) * d, 0) for k, d in zip(sizes, dilation))
    if padding != "same":
        raise InvalidArgumentError(f"{where}: argument 'padding': expected 'valid' or "
                                   f"'same', got {padding!r}")
    pads = []
    for n, k, s, d in zip(spatial, sizes, strides, dilation):
        if n is None:
            raise ShapeError(f"{where}: 'same' padding needs known spatial sizes")
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        pads.append((total // 2, total - total // 2))
    return tuple(pads)


def _pad_spatial(x: Any, pads: tuple, value: Any = 0) -> Any:
    from .shape import pad

    if all(a == 0 and b == 0 for a, b in pads):
        return x
    return pad(x, ((0, 0), *pads, (0, 0)), constant_values=value)


# ---- data format -------------------------------------------------------------------------------
def _data_format(where: str, data_format: str | None) -> str:
    """Keras's ``data_format``: None means the configured ``image_data_format``."""
    if data_format is None:
        from ..backend import image_data_format

        data_format = image_data_format()
    df = str(data_format).lower()
    if df not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(f"{where}: argument 'data_format': expected "
                                   f"'channels_last' or 'channels_first', got {data_format!r}")
    return df


def _to_last(x: Any) -> Any:
    from .shape import transpose

    return transpose(x, (0, *range(2, x.ndim), 1))


def _to_first(x: Any) -> Any:
    from .shape import transpose

    return transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1)))


# ---- convolution ------------------------------------------------------------------------------
def _conv_rule(specs: list, strides: tuple, pads: tuple, dilation: tuple) -> tuple:
    x, w = specs
    n = len(w.shape) - 2
    if len(x.shape) != n + 2:
        raise ShapeError(f"conv: a {len(w.shape)}-d kernel needs a {n + 2}-d input "
                         f"(N, *spatial, C), got shape {x.shape}")
    if x.dtype is not w.dtype:
        raise DTypeError(f"conv: input dtype {x.dtype} differs from kernel dtype {w.dtype}")
    cin = x.shape[-1]
    if cin is not None and w.shape[-2] != cin:
        raise ShapeError(f"conv: argument 'kernel': expected {cin} input channels "
                         f"(kernel shape (*window, {cin}, out)), got kernel shape {w.shape}")
    out = []
    for dim, k, s, d, (lo, hi) in zip(x.shape[1:-1], w.shape[:-2], strides, dilation, pads):
        o = _out_len(None if dim is None else dim + lo + hi, k, s, d)
        if o == 0:
            raise ShapeError(f"conv: kernel window {tuple(w.shape[:-2])} is larger than the "
                             f"padded input {tuple(x.shape[1:-1])}")
        out.append(o)
    return (x.shape[0], *out, w.shape[-1]), x.dtype


def _conv_impl(x: Any, w: Any, strides: tuple, pads: tuple, dilation: tuple) -> Any:
    from .linalg import matmul
    from .shape import reshape

    sizes = tuple(w.shape[:-2])
    xp = _pad_spatial(x, pads)
    p = extract_patches(xp, sizes, strides, dilation)
    cout = w.shape[-1]
    out_shape = tuple(p.shape[:-1]) + (cout,)
    y = matmul(reshape(p, (-1, p.shape[-1])), reshape(w, (-1, cout)))
    return reshape(y, out_shape)


CONV = defop("conv", _conv_rule, decompose=_conv_impl, family="nn",
             doc="N-d convolution (cross-correlation), channels-last; kernel "
                 "(*window, in, out); explicit pads.")


def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
         data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    """Convolution as in ``keras.ops.conv`` (1-, 2- or 3-d; kernel ``(*window, in, out)``).

    ``data_format`` precedes ``dilation_rate`` as in Keras, so positional callers agree.
    """
    from .dispatch_helpers import promote_pair

    x, w = promote_pair("conv", _prep("conv", inputs), _prep("conv", kernel))
    n = w.ndim - 2
    if n < 1:
        raise ShapeError(f"conv: kernel must have at least 3 dims, got shape {w.shape}")
    channels_first = _data_format("conv", data_format) == "channels_first"
    if channels_first:
        x = _to_last(x)
    st = _tuple("conv", "strides", strides, n)
    dil = _tuple("conv", "dilation_rate", dilation_rate, n)
    if x.ndim != n + 2:
        raise ShapeError(f"conv: a {w.ndim}-d kernel needs a {n + 2}-d input, got {x.shape}")
    pads = compute_padding("conv", padding, tuple(x.shape[1:-1]), tuple(w.shape[:-2]), st, dil)
    y = apply(CONV, (x, w), {"strides": st, "pads": pads, "dilation": dil})
    return _to_first(y) if channels_first else y


def conv1d(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
           data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate)


def conv2d(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
           data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    return conv(inputs, kernel, strides, padding, data_format, dilation_rate)


# ---- transposed convolution ---------------------------------------------------------------------
def _convT_rule(specs: list, strides: tuple, padding: str, dilation: tuple,
                output_padding: tuple | None) -> tuple:
    x, w = specs
    n = len(w.shape) - 2
    if len(x.shape) != n + 2:
        raise ShapeError(f"conv_transpose: expected a {n + 2}-d input, got {x.shape}")
    if x.shape[-1] is not None and w.shape[-1] != x.shape[-1]:
        raise ShapeError(f"conv_transpose: argument 'kernel': expected (*window, out, "
                         f"{x.shape[-1]}), got {w.shape}")
    out = []
    for i, (dim, k, s, d) in enumerate(zip(x.shape[1:-1], w.shape[:-2], strides, dilation)):
        op = None if output_padding is None else output_padding[i]
        out.append(_convT_len(dim, k, s, d, padding, op))
    return (x.shape[0], *out, w.shape[-2]), x.dtype


def convT_pads(k: int, s: int, d: int, padding: str, op: int | None) -> tuple[int, int]:
    """Keras's padding of a transposed convolution, as (left, right) on the stride-dilated
    input correlated with the flipped kernel (``keras.src.backend.common.backend_utils``'s
    ``_convert_conv_transpose_padding_args_from_keras_to_jax``). The op and the
    ``Conv*DTranspose`` layers share it: the full transposed convolution (every window
    scattered) corresponds to ``left = right = eff - 1``."""
    eff = d * (k - 1) + 1
    if padding == "valid":
        op = max(eff, s) - eff if op is None else op
        return eff - 1, eff - 1 + op
    pad_len = s + eff - 2 if op is None else eff + eff % 2 - 2 + op
    left = min(pad_len // 2 + pad_len % 2, eff - 1)
    return left, pad_len - left


def _convT_len(n: int | None, k: int, s: int, d: int, padding: str, op: int | None) -> Any:
    if n is None:
        return None
    eff = d * (k - 1) + 1
    left, right = convT_pads(k, s, d, padding, op)
    return (n - 1) * s + 1 + left + right - eff + 1


def _convT_impl(x: Any, w: Any, strides: tuple, padding: str, dilation: tuple,
                output_padding: tuple | None) -> Any:
    from .linalg import matmul
    from .shape import reshape, transpose
    from .shape import strided_slice as slice  # noqa: A004

    sizes = tuple(w.shape[:-2])
    n = len(sizes)
    cout, cin = w.shape[-2], w.shape[-1]
    wk = reshape(transpose(w, (n + 1, *range(n), n)), (cin, -1))  # (cin, K*cout)
    p = matmul(reshape(x, (-1, cin)), wk)
    p = reshape(p, tuple(x.shape[:-1]) + (math.prod(sizes) * cout,))
    full = tuple((dim - 1) * s + d * (k - 1) + 1
                 for dim, k, s, d in zip(x.shape[1:-1], sizes, strides, dilation))
    img = patches_transpose(p, sizes, strides, dilation, full + (cout,))
    target = _convT_rule([x, w], strides, padding, dilation, output_padding)[0][1:-1]
    # Keras's window of the full result: it starts eff - 1 - left entries in, and runs
    # past the end (zeros) when right > eff - 1
    begins = []
    for i in range(len(full)):
        op = None if output_padding is None else output_padding[i]
        left, _ = convT_pads(sizes[i], strides[i], dilation[i], padding, op)
        begins.append(dilation[i] * (sizes[i] - 1) - left)
    need = [max(0, b + t - f) for b, t, f in zip(begins, target, full)]
    if any(need):
        img = _pad_spatial(img, tuple((0, k) for k in need))
    import builtins

    sls = (builtins.slice(None),) + tuple(builtins.slice(b, b + t) for b, t in
                                          zip(begins, target)) + (builtins.slice(None),)
    return slice(img, sls)


CONV_TRANSPOSE = defop("conv_transpose", _convT_rule, decompose=_convT_impl, family="nn",
                       doc="Transposed convolution (gradient of conv w.r.t. its input); "
                           "kernel (*window, out, in) as Keras.")


def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   output_padding: Any = None, data_format: str | None = None,
                   dilation_rate: Any = 1) -> Any:
    """Transposed convolution as ``keras.ops.conv_transpose``; kernel ``(*window, out, in)``."""
    from .dispatch_helpers import promote_pair

    x, w = promote_pair("conv_transpose", _prep("conv_transpose", inputs),
                        _prep("conv_transpose", kernel))
    if _data_format("conv_transpose", data_format) == "channels_first":
        return _to_first(conv_transpose(_to_last(x), w, strides, padding, output_padding,
                                        "channels_last", dilation_rate))
    n = w.ndim - 2
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise InvalidArgumentError(f"conv_transpose: argument 'padding': expected 'valid' or "
                                   f"'same', got {padding!r}")
    op = None if output_padding is None else (
        (output_padding,) * n if isinstance(output_padding, int) else tuple(output_padding))
    return apply(CONV_TRANSPOSE, (x, w), {
        "strides": _tuple("conv_transpose", "strides", strides, n), "padding": padding,
        "dilation": _tuple("conv_transpose", "dilation_rate", dilation_rate, n),
        "output_padding": op})


conv1d_transpose = conv_transpose
conv2d_transpose = conv_transpose


# ---- depthwise / separable ---------------------------------------------------------------------
def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: str | None = None, dilation_rate: Any = 1) -> Any:
    """Depthwise convolution; kernel ``(*window, C, multiplier)`` as Keras."""
    from .dispatch_helpers import promote_pair
    from .linalg import einsum
    from .shape import reshape

    x, w = promote_pair("depthwise_conv", _prep("depthwise_conv", inputs),
                        _prep("depthwise_conv", kernel))
    if _data_format("depthwise_conv", data_format) == "channels_first":
        return _to_first(depthwise_conv(_to_last(x), w, strides, padding, "channels_last",
                                        dilation_rate))
    if x.ndim != w.ndim:
        raise ShapeError(f"depthwise_conv: a {w.ndim}-d kernel needs a {w.ndim}-d input, "
                         f"got shape {x.shape}")
    n = w.ndim - 2
    sizes = tuple(w.shape[:-2])
    c, mult = w.shape[-2], w.shape[-1]
    if x.shape[-1] != c:
        raise ShapeError(f"depthwise_conv: argument 'kernel': expected (*window, {x.shape[-1]},"
                         f" multiplier), got {w.shape}")
    st = _tuple("depthwise_conv", "strides", strides, n)
    dil = _tuple("depthwise_conv", "dilation_rate", dilation_rate, n)
    pads = compute_padding("depthwise_conv", padding, tuple(x.shape[1:-1]), sizes, st, dil)
    p = extract_patches(_pad_spatial(x, pads), sizes, st, dil)
    k = math.prod(sizes)
    p = reshape(p, (-1, k, c))
    y = einsum("bkc,kcm->bcm", p, reshape(w, (k, c, mult)))
    return reshape(y, tuple(_out_shape(x, pads, sizes, st, dil)) + (c * mult,))


def _out_shape(x: Any, pads: tuple, sizes: tuple, st: tuple, dil: tuple) -> list:
    out = [x.shape[0]]
    for dim, (lo, hi), k, s, d in zip(x.shape[1:-1], pads, sizes, st, dil):
        out.append(_out_len(dim + lo + hi, k, s, d))
    return out


depthwise_conv2d = depthwise_conv


def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any,
                   strides: Any = 1, padding: str = "valid", data_format: str | None = None,
                   dilation_rate: Any = 1) -> Any:
    """Depthwise then 1x1 pointwise convolution, as ``keras.ops.separable_conv``."""
    df = _data_format("separable_conv", data_format)
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, df, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", df)


separable_conv2d = separable_conv


# ---- pooling ---------------------------------------------------------------------------------
def _pool_args(where: str, x: Any, pool_size: Any, strides: Any, padding: str) -> tuple:
    n = x.ndim - 2
    if n < 1:
        raise ShapeError(f"{where}: expected (N, *spatial, C), got shape {x.shape}")
    sizes = _tuple(where, "pool_size", pool_size, n)
    st = sizes if strides is None else _tuple(where, "strides", strides, n)
    pads = compute_padding(where, padding, tuple(x.shape[1:-1]), sizes, st, (1,) * n)
    return sizes, st, pads


def _pool_rule(specs: list, sizes: tuple, strides: tuple, pads: tuple) -> tuple:
    (x,) = specs
    if len(x.shape) != len(sizes) + 2:
        raise ShapeError(f"pool: expected a {len(sizes) + 2}-d input, got {x.shape}")
    out = [x.shape[0]]
    for dim, k, s, (lo, hi) in zip(x.shape[1:-1], sizes, strides, pads):
        o = _out_len(None if dim is None else dim + lo + hi, k, s, 1)
        if o == 0:
            raise ShapeError(f"pool: window {sizes} is larger than the input {x.shape[1:-1]}")
        out.append(o)
    return (*out, x.shape[-1]), x.dtype


def _windows(x: Any, sizes: tuple, strides: tuple, pads: tuple, value: Any) -> Any:
    from .shape import reshape

    p = extract_patches(_pad_spatial(x, pads, value), sizes, strides)
    lead = tuple(-1 if d is None else d for d in p.shape[:-1])  # an unknown batch size
    return reshape(p, lead + (math.prod(sizes), x.shape[-1]))


def _max_pool_impl(x: Any, sizes: tuple, strides: tuple, pads: tuple) -> Any:
    from .reduction import max as _max

    low = x.dtype.min if not x.dtype.is_floating else float("-inf")
    return _max(_windows(x, sizes, strides, pads, low), axis=-2)


def _avg_pool_impl(x: Any, sizes: tuple, strides: tuple, pads: tuple) -> Any:
    from .creation import ones
    from .elementwise import divide
    from .reduction import sum as _sum

    total = _sum(_windows(x, sizes, strides, pads, 0), axis=-2)
    if all(a == 0 and b == 0 for a, b in pads):
        return divide(total, float(math.prod(sizes)))
    # 'same': divide by the number of real (unpadded) elements in each window
    ones_img = ones((1, *x.shape[1:-1], 1), dtype=x.dtype)
    counts = _sum(_windows(ones_img, sizes, strides, pads, 0), axis=-2)
    return divide(total, counts)


MAX_POOL = defop("max_pool", _pool_rule, decompose=_max_pool_impl, family="nn")
AVG_POOL = defop("avg_pool", _pool_rule, decompose=_avg_pool_impl, family="nn",
                 doc="Average pooling; with 'same' padding the padded cells are not counted.")


def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: str | None = None) -> Any:
    """Max over windows, as ``keras.ops.max_pool`` (``strides`` default to ``pool_size``)."""
    x = _prep("max_pool", inputs)
    if _data_format("max_pool", data_format) == "channels_first":
        return _to_first(max_pool(_to_last(x), pool_size, strides, padding, "channels_last"))
    sizes, st, pads = _pool_args("max_pool", x, pool_size, strides, padding)
    return apply(MAX_POOL, (x,), {"sizes": sizes, "strides": st, "pads": pads})


def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None) -> Any:
    """Mean over windows, as ``keras.ops.average_pool``; 'same' pads are not counted."""
    x = _prep("average_pool", inputs)
    if _data_format("average_pool", data_format) == "channels_first":
        return _to_first(average_pool(_to_last(x), pool_size, strides, padding,
                                      "channels_last"))
    if not x.dtype.is_floating:
        from .elementwise import cast

        x = cast(x, _dt.float32)
    sizes, st, pads = _pool_args("average_pool", x, pool_size, strides, padding)
    return apply(AVG_POOL, (x,), {"sizes": sizes, "strides": st, "pads": pads})


avg_pool = average_pool
max_pool1d = max_pool2d = max_pool
avg_pool1d = avg_pool2d = average_pool


# ---- softmax ------------------------------------------------------------------------------------
def _float_same(name: str) -> Any:
    def rule(specs: list, axis: tuple) -> tuple:
        if not specs[0].dtype.is_floating:
            raise DTypeError(f"{name}: expected a float input, got {specs[0].dtype}")
        return specs[0].shape, specs[0].dtype
    return rule


def _softmax_impl(x: Any, axis: tuple) -> Any:
    from .elementwise import divide, exp, stop_gradient, subtract
    from .reduction import max as _max
    from .reduction import sum as _sum

    e = exp(subtract(x, stop_gradient(_max(x, axis=axis, keepdims=True))))
    return divide(e, _sum(e, axis=axis, keepdims=True))


def _softmax_vjp(g, out, x, axis):  # noqa: ANN001, ANN202
    from .elementwise import multiply, subtract
    from .reduction import sum as _sum

    return (multiply(out, subtract(g, _sum(multiply(g, out), axis=axis, keepdims=True))),)


def _log_softmax_impl(x: Any, axis: tuple) -> Any:
    from .elementwise import subtract
    from .reduction import logsumexp

    return subtract(x, logsumexp(x, axis=axis, keepdims=True))


def _log_softmax_vjp(g, out, x, axis):  # noqa: ANN001, ANN202
    from .elementwise import exp, multiply, subtract
    from .reduction import sum as _sum

    return (subtract(g, multiply(exp(out), _sum(g, axis=axis, keepdims=True))),)


SOFTMAX = defop("softmax", _float_same("softmax"), decompose=_softmax_impl, vjp=_softmax_vjp,
                family="nn")
LOG_SOFTMAX = defop("log_softmax", _float_same("log_softmax"), decompose=_log_softmax_impl,
                    vjp=_log_softmax_vjp, family="nn")


def _float(name: str, x: Any) -> Any:
    from .elementwise import cast

    x = _prep(name, x)
    return x if x.dtype.is_floating else cast(x, _dt.float32)


def softmax(x: Any, axis: Any = -1) -> Any:
    x = _float("softmax", x)
    return apply(SOFTMAX, (x,), {"axis": normalize_axes("softmax", axis, x.ndim)})


def log_softmax(x: Any, axis: Any = -1) -> Any:
    x = _float("log_softmax", x)
    return apply(LOG_SOFTMAX, (x,), {"axis": normalize_axes("log_softmax", axis, x.ndim)})


# ---- activations (compositions; gradients follow) ------------------------------------------------
def relu6(x: Any) -> Any:
    from .elementwise import clip

    return clip(x, 0.0, 6.0)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    from .elementwise import greater, multiply, where

    x = _float("leaky_relu", x)
    return where(greater(x, 0), x, multiply(x, negative_slope))


def elu(x: Any, alpha: float = 1.0) -> Any:
    from .elementwise import expm1, greater, minimum, multiply, where

    x = _float("elu", x)
    return where(greater(x, 0), x, multiply(expm1(minimum(x, 0.0)), alpha))


def selu(x: Any) -> Any:
    from .elementwise import multiply

    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return multiply(elu(x, alpha), scale)


def gelu(x: Any, approximate: bool = True) -> Any:
    from .elementwise import add, erf, multiply, tanh

    x = _float("gelu", x)
    if approximate:
        inner = multiply(add(x, multiply(multiply(multiply(x, x), x), 0.044715)),
                         math.sqrt(2.0 / math.pi))
        return multiply(multiply(x, 0.5), add(tanh(inner), 1.0))
    return multiply(multiply(x, 0.5), add(erf(multiply(x, 1.0 / math.sqrt(2.0))), 1.0))


def silu(x: Any) -> Any:
    from .elementwise import multiply

    x = _float("silu", x)
    return multiply(x, sigmoid(x))


swish = silu


def softsign(x: Any) -> Any:
    from .elementwise import abs as _abs
    from .elementwise import add, divide

    x = _float("softsign", x)
    return divide(x, add(_abs(x), 1.0))


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, as Keras 3."""
    from .elementwise import add, divide

    return divide(relu6(add(_float("hard_sigmoid", x), 3.0)), 6.0)


def hard_silu(x: Any) -> Any:
    from .elementwise import multiply

    return multiply(x, hard_sigmoid(x))


def log_sigmoid(x: Any) -> Any:
    from .elementwise import neg

    return neg(softplus(neg(_float("log_sigmoid", x))))


# ---- the rest of keras.ops.nn ----------------------------------------------------------------
# Names keras.ops.nn shares with keras.ops that are defined in the family modules, importable
# from here as ``tw.ops.nn.relu`` (not re-exported through __all__: their home module does).
from .elementwise import relu, sigmoid, softplus  # noqa: E402,F401


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> Any:
    """One-hot vectors of integer ``x`` (negative ids give zeros), Keras's signature."""
    from .indexing import one_hot as _one_hot

    if sparse:
        raise InvalidArgumentError("one_hot: argument 'sparse': tensorweave has no sparse "
                                   "tensors; pass sparse=False")
    return _one_hot(x, num_classes, axis, _dt.default_float() if dtype is None else dtype)


from .nn_extra import *  # noqa: E402,F401,F403
from .nn_extra import __all__ as _extra_all  # noqa: E402

__all__ += _extra_all
