"""``unfold`` / ``fold``: PyTorch-style im2col and col2im on channels-first images.

``unfold`` lays every ``kernel_size`` window of an ``(N, C, H, W)`` image out as a column
of ``(N, C * kH * kW, L)`` (channel-major, then kernel row, then kernel column; ``L``
windows in row-major order); ``fold`` is its adjoint, summing overlapping windows back
into ``(N, C, oH, oW)``. Both are the ``extract_patches`` / ``patches_transpose``
primitives (channels-last, window-major) with transposes around them, so they run on
every backend and differentiate.
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError, ShapeError
from ._dispatch import convert_to_tensor, is_tensor

__all__ = ["unfold", "fold"]


def _pair(where: str, arg: str, v: Any, low: int = 1) -> tuple[int, int]:
    t = (v, v) if isinstance(v, int) else tuple(v)
    if len(t) != 2 or any(not isinstance(a, int) or a < low for a in t):
        raise InvalidArgumentError(f"{where}: argument '{arg}': expected an int or two ints "
                                   f">= {low}, got {v!r}")
    return int(t[0]), int(t[1])


def _out(n: int, k: int, d: int, p: int, s: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Any:
    """Sliding ``kernel_size`` blocks of a ``(N, C, H, W)`` image as ``(N, C*kH*kW, L)``."""
    from .nn import extract_patches
    from .shape import pad, reshape, transpose

    x = x if is_tensor(x) else convert_to_tensor(x, where="unfold")
    if x.ndim != 4:
        raise ShapeError(f"unfold: argument 'x': expected a 4-d (N, C, H, W) tensor, got "
                         f"shape {tuple(x.shape)}")
    k = _pair("unfold", "kernel_size", kernel_size)
    d = _pair("unfold", "dilation", dilation)
    p = _pair("unfold", "padding", padding, low=0)
    s = _pair("unfold", "stride", stride)
    n, c, h, w = x.shape
    if any(_out(size, kk, dd, pp, 1) < 1 for size, kk, dd, pp in zip((h, w), k, d, p)):
        raise ShapeError(f"unfold: the dilated kernel {k} does not fit the padded image "
                         f"{(h + 2 * p[0], w + 2 * p[1])}")
    if p != (0, 0):
        x = pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    patches = extract_patches(transpose(x, (0, 2, 3, 1)), k, s, d)  # (N, oH, oW, kk*C)
    oh, ow = patches.shape[1:3]
    kk = k[0] * k[1]
    cols = reshape(patches, (n, oh * ow, kk, c))
    return reshape(transpose(cols, (0, 3, 2, 1)), (n, c * kk, oh * ow))


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Any:
    """Sum ``(N, C*kH*kW, L)`` blocks back into a ``(N, C, oH, oW)`` image (the adjoint of
    :func:`unfold`)."""
    from .nn import patches_transpose
    from .shape import reshape, transpose
    from .shape import slice as _slice

    x = x if is_tensor(x) else convert_to_tensor(x, where="fold")
    if x.ndim != 3:
        raise ShapeError(f"fold: argument 'x': expected a 3-d (N, C*kH*kW, L) tensor, got "
                         f"shape {tuple(x.shape)}")
    oh, ow = _pair("fold", "output_size", output_size)
    k = _pair("fold", "kernel_size", kernel_size)
    d = _pair("fold", "dilation", dilation)
    p = _pair("fold", "padding", padding, low=0)
    s = _pair("fold", "stride", stride)
    n, ckk, length = x.shape
    kk = k[0] * k[1]
    nh, nw = _out(oh, k[0], d[0], p[0], s[0]), _out(ow, k[1], d[1], p[1], s[1])
    if ckk % kk or nh * nw != length:
        raise ShapeError(f"fold: argument 'x': shape {tuple(x.shape)} does not hold "
                         f"C * {kk} rows and {nh} * {nw} blocks for output_size "
                         f"{(oh, ow)}")
    c = ckk // kk
    cols = transpose(reshape(x, (n, c, kk, length)), (0, 3, 2, 1))  # (N, L, kk, C)
    img = patches_transpose(reshape(cols, (n, nh, nw, kk * c)), k, s, d,
                            (oh + 2 * p[0], ow + 2 * p[1], c))
    img = _slice(img, (0, p[0], p[1], 0), (n, oh, ow, c))  # slice takes sizes, not ends
    return transpose(img, (0, 3, 1, 2))
