"""``PyArray``, the array of the pure-Python reference backend, and index arithmetic.

A ``PyArray`` is a flat, row-major Python ``list`` of ``bool``/``int``/``float`` plus a
shape and a tensorweave dtype. Nothing is vectorised: clarity and exactness are the point
of this backend. Every kernel that moves data (transpose, broadcast, slice, patches ...)
is written as *one* gather: the list of source offsets of every output element, built by
:func:`offsets` from per-axis strides. Building that list costs one list comprehension per
axis, so the whole gather stays linear in the output size.

Invariant kept by the backend: the values of a ``PyArray`` are always representable in
its dtype (floats already rounded, integers already wrapped, bools are ``bool``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["PyArray", "size_of", "strides_of", "offsets", "axis_offsets", "broadcast_shape",
           "broadcast_flat", "broadcast_strides", "transpose_flat", "index_iter",
           "group_axes_last"]


class PyArray:
    """A flat row-major list of Python scalars with a shape and a dtype (immutable by
    convention: kernels always build new lists, so two arrays may share one list)."""

    __slots__ = ("data", "shape", "dtype")

    def __init__(self, data: list, shape: tuple, dtype: Any) -> None:
        self.data = data
        self.shape = tuple(shape)
        self.dtype = dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.data)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d PyArray")
        return self.shape[0]

    def __repr__(self) -> str:
        shown = self.data if len(self.data) <= 8 else [*self.data[:8], "..."]
        return f"PyArray({shown}, shape={self.shape}, dtype={self.dtype})"


# ---- shapes and strides -------------------------------------------------------------------
def size_of(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def strides_of(shape: Sequence[int]) -> tuple[int, ...]:
    """Row-major element strides (the last axis has stride 1)."""
    out = [1] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        out[i] = acc
        acc *= shape[i]
    return tuple(out)


def axis_offsets(per_axis: Sequence[Sequence[int]], base: int = 0) -> list[int]:
    """All sums ``base + p0 + p1 + ...`` with ``p_i`` from ``per_axis[i]``, in row-major
    order (axis 0 slowest). This is the core of every gather: ``per_axis[i]`` holds the
    source offset contributed by each index along output axis ``i``."""
    offs = [base]
    for steps in per_axis:
        if len(steps) == 1:
            k = steps[0]
            if k:
                offs = [o + k for o in offs]
            continue
        offs = [o + k for o in offs for k in steps]
    return offs


def offsets(shape: Sequence[int], strides: Sequence[int], base: int = 0) -> list[int]:
    """Source offsets of every element of a strided view of ``shape`` (row-major order)."""
    return axis_offsets([[i * s for i in range(d)] for d, s in zip(shape, strides)], base)


def index_iter(shape: Sequence[int]) -> Iterator[tuple[int, ...]]:
    """Every multi-index of ``shape`` in row-major order."""
    return itertools.product(*[range(d) for d in shape])


# ---- broadcasting ---------------------------------------------------------------------------
def broadcast_shape(*shapes: Sequence[int]) -> tuple[int, ...]:
    """NumPy broadcasting of concrete shapes (the op's shape rule already validated them)."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(ndim):
        dim = 1
        for s in shapes:
            j = i - (ndim - len(s))
            if j >= 0 and s[j] != 1:
                dim = s[j]
        out.append(dim)
    return tuple(out)


def broadcast_strides(shape: Sequence[int], target: Sequence[int]) -> tuple[int, ...]:
    """Strides that read an array of ``shape`` as if it had ``target`` shape: broadcast
    (size-1 or missing leading) axes get stride 0."""
    lead = len(target) - len(shape)
    own = strides_of(shape)
    out = [0] * len(target)
    for i, d in enumerate(shape):
        out[lead + i] = own[i] if d != 1 or target[lead + i] == 1 else 0
    return tuple(out)


def broadcast_flat(data: list, shape: Sequence[int], target: Sequence[int]) -> list:
    """``data`` (of ``shape``) broadcast to ``target``, as a new flat list. Returns
    ``data`` itself when nothing changes, so callers must not mutate the result."""
    if tuple(shape) == tuple(target):
        return data
    n = size_of(target)
    if len(data) == 1:
        return data * n
    return [data[o] for o in offsets(target, broadcast_strides(shape, target))]


# ---- axis permutations -------------------------------------------------------------------
def transpose_flat(data: list, shape: Sequence[int], perm: Sequence[int]) -> list:
    """Row-major values of ``transpose(x, perm)``."""
    st = strides_of(shape)
    return [data[o] for o in offsets([shape[p] for p in perm], [st[p] for p in perm])]


def group_axes_last(data: list, shape: Sequence[int],
                    axes: Sequence[int]) -> tuple[list, int, int]:
    """Reorder so that ``axes`` come last: returns ``(values, n_groups, group_size)``;
    group ``g`` is ``values[g * group_size:(g + 1) * group_size]`` and groups follow the
    row-major order of the remaining axes (that is, the order of a reduction's output)."""
    axes = tuple(axes)
    kept = [i for i in range(len(shape)) if i not in axes]
    perm = kept + list(axes)
    values = data if perm == sorted(perm) else transpose_flat(data, shape, perm)
    group = size_of([shape[a] for a in axes])
    return values, size_of([shape[k] for k in kept]), group
