"""Windowed kernels: ``extract_patches`` (im2col) and its adjoint ``patches_transpose``
(col2im).

Both rest on one offset list: the image offset read by every entry of the patches array.
Viewing the patches array ``(N, *out, prod(sizes) * C)`` as ``(N, *out, *sizes, C)``, the
entry ``(n, o..., w..., c)`` reads image cell ``(n, o*stride + w*dilation ..., c)``, a
plain strided view, so :func:`offsets` builds the list in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .array import PyArray, offsets, size_of, strides_of
from .rounding import exact_sum

__all__ = ["KERNELS", "patch_offsets"]


def patch_offsets(image_shape: tuple, out_spatial: tuple, sizes: tuple, strides: tuple,
                  dilation: tuple) -> list[int]:
    """Image offset of each patches entry, in the patches array's row-major order."""
    st = strides_of(image_shape)
    spatial_st = st[1:-1]
    view_shape = (image_shape[0], *out_spatial, *sizes, image_shape[-1])
    view_strides = (st[0], *[s * a for s, a in zip(strides, spatial_st)],
                    *[d * a for d, a in zip(dilation, spatial_st)], 1)
    return offsets(view_shape, view_strides)


def _extract_patches(x: PyArray, *, sizes: tuple, strides: tuple, dilation: tuple) -> list:
    out_spatial = tuple((n - d * (k - 1) - 1) // s + 1
                        for n, k, s, d in zip(x.shape[1:-1], sizes, strides, dilation))
    data = x.data
    return [data[o] for o in patch_offsets(x.shape, out_spatial, sizes, strides, dilation)]


def _patches_transpose(p: PyArray, *, sizes: tuple, strides: tuple, dilation: tuple,
                       image_shape: tuple) -> list:
    """Each patches entry added into the image cell it was read from. Float cells sum
    their contributions exactly (one rounding); cells no window covers are zero."""
    full_shape = (p.shape[0], *image_shape)
    offs = patch_offsets(full_shape, tuple(p.shape[1:-1]), sizes, strides, dilation)
    n = size_of(full_shape)
    if p.dtype.kind != "f":
        acc = [0] * n
        for o, v in zip(offs, p.data):
            acc[o] += v
        return acc
    buckets: list = [None] * n
    for o, v in zip(offs, p.data):
        b = buckets[o]
        if b is None:
            buckets[o] = [v]
        else:
            b.append(v)
    odd = p.dtype.name != "float64"
    return [0.0 if b is None else b[0] if len(b) == 1 else exact_sum(b, odd)
            for b in buckets]


KERNELS: dict[str, Callable[..., Any]] = {
    "extract_patches": _extract_patches,
    "patches_transpose": _patches_transpose,
}
