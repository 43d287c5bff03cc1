"""Windowed kernels (im2col / col2im) over an array module ``xp``.

``extract_patches`` builds a strided view of every window and copies it once into the
GEMM-ready layout; ``patches_transpose`` adds each window position back with one
vectorised slice-add per kernel offset (a loop over the kernel, never over pixels or
batch items).
"""

from __future__ import annotations

import math
from typing import Any


def _as_strided(xp: Any) -> Any:
    try:
        return xp.lib.stride_tricks.as_strided
    except AttributeError:  # pragma: no cover - cupy
        from cupy.lib.stride_tricks import as_strided  # type: ignore[import-not-found]

        return as_strided


def kernels(xp: Any, np_dtype: Any) -> dict:
    as_strided = _as_strided(xp)

    def extract_patches(x: Any, sizes: tuple, strides: tuple, dilation: tuple) -> Any:
        x = xp.ascontiguousarray(x)
        n = len(sizes)
        spatial = x.shape[1:-1]
        out = tuple((d - dl * (k - 1) - 1) // s + 1
                    for d, k, s, dl in zip(spatial, sizes, strides, dilation))
        st = x.strides
        view = as_strided(
            x,
            shape=(x.shape[0], *out, *sizes, x.shape[-1]),
            strides=(st[0], *[st[1 + i] * strides[i] for i in range(n)],
                     *[st[1 + i] * dilation[i] for i in range(n)], st[-1]),
            writeable=False,
        ) if xp.__name__ == "numpy" else as_strided(
            x, shape=(x.shape[0], *out, *sizes, x.shape[-1]),
            strides=(st[0], *[st[1 + i] * strides[i] for i in range(n)],
                     *[st[1 + i] * dilation[i] for i in range(n)], st[-1]))
        return xp.reshape(view, (x.shape[0], *out, math.prod(sizes) * x.shape[-1]))

    def patches_transpose(p: Any, sizes: tuple, strides: tuple, dilation: tuple,
                          image_shape: tuple) -> Any:
        n = len(sizes)
        N = p.shape[0]
        out_sp = p.shape[1:-1]
        c = image_shape[-1]
        img = xp.zeros((N, *image_shape), dtype=p.dtype)
        pw = xp.reshape(p, (N, *out_sp, *sizes, c))
        for offset in _offsets(sizes):
            target = [slice(None)]
            for i in range(n):
                start = offset[i] * dilation[i]
                stop = start + strides[i] * (out_sp[i] - 1) + 1
                target.append(slice(start, stop, strides[i]))
            src = (slice(None),) * (1 + n) + tuple(offset) + (slice(None),)
            img[tuple(target)] += pw[src]
        return img

    return {"extract_patches": extract_patches, "patches_transpose": patches_transpose}


def _offsets(sizes: tuple) -> list:
    out: list[tuple] = [()]
    for k in sizes:
        out = [o + (i,) for o in out for i in range(k)]
    return out
