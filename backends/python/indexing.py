"""Indexing kernels: ``take`` (gather along one axis), ``scatter_add`` (N-d scatter with
accumulation) and ``argsort`` (stable).

Indices count from the end when negative, as NumPy; an index out of range raises
``InvalidArgumentError`` (NumPy raises ``IndexError``) instead of silently wrapping.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tensorweave.errors import InvalidArgumentError

from .array import PyArray, group_axes_last, size_of, transpose_flat
from .rounding import exact_sum

__all__ = ["KERNELS"]


def _normalize_index(op: str, i: int, n: int, axis: int) -> int:
    if i < 0:
        i += n
    if not 0 <= i < n:
        raise InvalidArgumentError(f"{op}: index {i if i >= 0 else i - n} is out of bounds "
                                   f"for axis {axis} with size {n}")
    return i


def _take(x: PyArray, indices: PyArray, *, axis: int) -> list:
    """``numpy.take``: for each index of the axes before ``axis``, the rows
    ``x[..., i, ...]`` for every ``i`` in ``indices`` (flattened)."""
    shape, data = x.shape, x.data
    n = shape[axis]
    outer = size_of(shape[:axis])
    inner = size_of(shape[axis + 1:])
    idx = [_normalize_index("take", i, n, axis) for i in indices.data]
    out: list = []
    for o in range(outer):
        base = o * n
        if inner == 1:
            out.extend([data[base + i] for i in idx])
        else:
            for i in idx:
                start = (base + i) * inner
                out.extend(data[start:start + inner])
    return out


def _scatter_add(x: PyArray, indices: PyArray, updates: PyArray) -> list:
    """``out[tuple(indices[r])] += updates[r]`` for every row ``r``.

    Float cells collect their contributions and are summed exactly once (so duplicates
    accumulate without intermediate rounding); integer cells add exactly (the backend
    wraps); bool cells add as logical or (``True + True`` is truthy)."""
    shape = x.shape
    k = indices.shape[-1]
    inner = size_of(shape[k:])
    rows = size_of(indices.shape[:-1])
    idx, upd = indices.data, updates.data
    out = list(x.data)
    is_float = x.dtype.kind == "f"
    acc: dict[int, list] = {}
    for r in range(rows):
        lin = 0
        for j in range(k):
            lin = lin * shape[j] + _normalize_index("scatter_add", idx[r * k + j], shape[j], j)
        base = lin * inner
        for j in range(inner):
            cell, v = base + j, upd[r * inner + j]
            if is_float:
                got = acc.get(cell)
                if got is None:
                    acc[cell] = [out[cell], v]
                else:
                    got.append(v)
            else:
                out[cell] = out[cell] + v
    odd = x.dtype.name != "float64"
    for cell, values in acc.items():
        out[cell] = exact_sum(values, odd)
    return out


def _argsort(x: PyArray, *, axis: int, descending: bool) -> list:
    """Stable sort of each line along ``axis``. NaN sorts after every number (as NumPy);
    ``descending`` is the reverse order with ties still in ascending index order (Python's
    ``sorted(reverse=True)`` keeps stability), so NaNs come first there."""
    values, n_lines, g = group_axes_last(x.data, x.shape, (axis,))
    is_float = x.dtype.kind == "f"
    out: list = []
    for line_no in range(n_lines):
        line = values[line_no * g:(line_no + 1) * g]
        key: Callable[[int], Any] = line.__getitem__
        if is_float and any(v != v for v in line):
            nan_key = [(v != v, v if v == v else 0.0) for v in line]
            key = nan_key.__getitem__
        out.extend(sorted(range(g), key=key, reverse=descending))
    ndim = len(x.shape)
    if axis == ndim - 1:
        return out
    perm = [i for i in range(ndim) if i != axis] + [axis]
    inverse = [perm.index(i) for i in range(ndim)]
    return transpose_flat(out, [x.shape[p] for p in perm], inverse)


KERNELS: dict[str, Callable[..., Any]] = {
    "take": _take,
    "scatter_add": _scatter_add,
    "argsort": _argsort,
}
