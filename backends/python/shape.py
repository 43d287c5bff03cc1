"""Shape kernels: ``reshape``, ``transpose``, ``broadcast_to``, ``concatenate``, ``slice``,
``slice_update`` and ``pad``.

All of them are gathers or scatters of whole values: nothing is rounded, only moved.
Offsets come from :func:`axis_offsets` (one list of per-index offsets per axis).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .array import (
    PyArray,
    axis_offsets,
    broadcast_flat,
    size_of,
    strides_of,
    transpose_flat,
)

__all__ = ["KERNELS", "region_offsets"]


def region_offsets(shape: tuple, begin: tuple, end: tuple, strides: tuple) -> list[int]:
    """Flat offsets, in row-major order, of ``x[b0:e0:s0, ...]`` for ``x`` of ``shape``.

    Bounds are already normalised (``slice.indices``), so each axis is exactly
    ``range(b, e, s)``; with a negative step ``e`` may be -1, meaning "through index 0"."""
    st = strides_of(shape)
    return axis_offsets([[i * s for i in range(b, e, step)]
                         for b, e, step, s in zip(begin, end, strides, st)])


def _reshape(x: PyArray, *, shape: tuple) -> list:
    return x.data  # row-major data does not change; arrays never mutate, so share it


def _transpose(x: PyArray, *, axes: tuple) -> list:
    return transpose_flat(x.data, x.shape, axes)


def _broadcast_to(x: PyArray, *, shape: tuple) -> list:
    return broadcast_flat(x.data, x.shape, shape)


def _concatenate(*xs: PyArray, axis: int) -> list:
    """For each index of the axes before ``axis``, one contiguous chunk of every input."""
    shape = xs[0].shape
    outer = size_of(shape[:axis])
    inner = size_of(shape[axis + 1:])
    parts = [(x.data, x.shape[axis] * inner) for x in xs]
    if outer == 1:
        return [v for data, _ in parts for v in data]
    out: list = []
    for o in range(outer):
        for data, chunk in parts:
            out.extend(data[o * chunk:(o + 1) * chunk])
    return out


def _resolve_end(shape: tuple, end: tuple) -> tuple:
    # ``None`` marks a full slice of an axis whose size was unknown when recorded
    return tuple(d if e is None else e for d, e in zip(shape, end))


def _slice(x: PyArray, *, begin: tuple, end: tuple, strides: tuple) -> list:
    end = _resolve_end(x.shape, end)
    data = x.data
    return [data[o] for o in region_offsets(x.shape, begin, end, strides)]


def _slice_update(x: PyArray, update: PyArray, *, begin: tuple, end: tuple,
                  strides: tuple) -> list:
    end = _resolve_end(x.shape, end)
    out = list(x.data)
    for o, v in zip(region_offsets(x.shape, begin, end, strides), update.data):
        out[o] = v
    return out


def _pad(x: PyArray, *, pad_width: tuple, constant_value: Any) -> list:
    """A constant-filled output, with ``x`` scattered into its interior."""
    out_shape = [d + lo + hi for d, (lo, hi) in zip(x.shape, pad_width)]
    st = strides_of(out_shape)
    out = [constant_value] * size_of(out_shape)
    inside = axis_offsets([[(lo + i) * s for i in range(d)]
                           for d, (lo, _), s in zip(x.shape, pad_width, st)])
    for o, v in zip(inside, x.data):
        out[o] = v
    return out


_FORMATS = {"bool": "?", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H",
            "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "float16": "e",
            "float32": "f", "float64": "d", "bfloat16": "f"}


def _view(x: PyArray, *, dtype: str, src: str) -> list:
    """The little-endian bytes of ``x``'s values read back as ``dtype``."""
    import struct

    n = len(x.data)
    raw = struct.pack(f"<{n}{_FORMATS[src]}", *x.data)
    if src == "bfloat16":  # the high two bytes of each float32
        raw = b"".join(raw[i + 2:i + 4] for i in range(0, len(raw), 4))
    if dtype == "bfloat16":
        raw = b"".join(b"\x00\x00" + raw[i:i + 2] for i in range(0, len(raw), 2))
    fmt = _FORMATS[dtype]
    if dtype == "bool":
        return [b != 0 for b in raw]
    return list(struct.unpack(f"<{len(raw) // struct.calcsize(fmt)}{fmt}", raw))


KERNELS: dict[str, Callable[..., Any]] = {
    "view": _view,
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_to": _broadcast_to,
    "concatenate": _concatenate,
    "slice": _slice,
    "slice_update": _slice_update,
    "pad": _pad,
}
