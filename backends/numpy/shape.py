"""Shape and creation kernels over an array module ``xp``."""

from __future__ import annotations

from typing import Any

from tensorweave import dtypes as _dt


def _slices(begin: tuple, end: tuple, strides: tuple) -> tuple:
    # normalised bounds follow range() semantics; end == -1 with a negative step means
    # "through index 0", which Python slicing spells as None
    return tuple(slice(b, None if (s < 0 and e < 0) else e, s)
                 for b, e, s in zip(begin, end, strides))


def kernels(xp: Any, np_dtype: Any) -> dict:
    def full(shape: tuple, value: Any, dtype: Any) -> Any:
        return xp.full(shape, value, dtype=np_dtype(dtype))

    def arange(start: Any, stop: Any, step: Any, dtype: Any) -> Any:
        import math

        n = max(0, math.ceil((stop - start) / step))
        if dtype.is_floating:
            return (start + step * xp.arange(n, dtype=xp.float64)).astype(np_dtype(dtype))
        return (start + step * xp.arange(n, dtype=xp.int64)).astype(np_dtype(dtype))

    def reshape(x: Any, shape: tuple) -> Any:
        return xp.reshape(x, shape)

    def slice_(x: Any, begin: tuple, end: tuple, strides: tuple) -> Any:
        return x[_slices(begin, end, strides)]

    def slice_update(x: Any, update: Any, begin: tuple, end: tuple, strides: tuple) -> Any:
        out = xp.array(x, copy=True)
        out[_slices(begin, end, strides)] = update
        return out

    def pad(x: Any, pad_width: tuple, constant_value: Any) -> Any:
        shape = tuple(d + lo + hi for d, (lo, hi) in zip(x.shape, pad_width))
        out = xp.full(shape, constant_value, dtype=x.dtype)
        out[tuple(slice(lo, lo + d) for d, (lo, _) in zip(x.shape, pad_width))] = x
        return out

    def concatenate(*xs: Any, axis: int) -> Any:
        return xp.concatenate(xs, axis=axis)

    def view(x: Any, dtype: str, src: str) -> Any:
        # bfloat16 is stored as float32 here: its bits are the high half of those
        a = xp.ascontiguousarray(x)
        if src == "bfloat16":
            a = (a.view(xp.uint32) >> xp.uint32(16)).astype(xp.uint16)
        if dtype == "bfloat16":
            u16 = a.view(xp.uint16)
            return (u16.astype(xp.uint32) << xp.uint32(16)).view(xp.float32)
        return a.view(np_dtype(_dt.canonicalize(dtype)))

    return {
        "view": view,
        "full": full,
        "arange": arange,
        "reshape": reshape,
        "transpose": lambda x, axes: xp.transpose(x, axes),
        "broadcast_to": lambda x, shape: xp.broadcast_to(x, shape),
        "concatenate": concatenate,
        "slice": slice_,
        "slice_update": slice_update,
        "pad": pad,
        "expand_dims": lambda x, axis: xp.expand_dims(x, axis),
        "squeeze": lambda x, axis: xp.squeeze(x, axis),
        "full_like": lambda x, value, dtype: xp.full(x.shape, value, dtype=np_dtype(dtype)),
    }
