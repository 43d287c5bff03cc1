"""Signature-specialised kernels that avoid NumPy's Python-level wrappers.

Between the GEMMs of a training step the CPU caches hold the GEMMs' operands, not the
interpreter's code and data, so every Python-level function NumPy runs there is slow:
``np.expand_dims`` or ``np.take_along_axis`` cost 25-80 us in a compiled MLP step against
3-10 us in a warm loop. When the shapes are known (every compiled plan, every cached eager
signature), these kernels call C entry points directly (``ndarray.reshape``,
``ndarray.transpose``, fancy indexing with precomputed index grids) and give exactly the
values of the generic kernels.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

__all__ = ["prepare_fast"]


def _known(specs: Any) -> bool:
    return all(d is not None for s in specs for d in s.shape)


def _reshape(xp: Any, attrs: dict, in_specs: Any, out_specs: Any) -> Any:
    return operator.methodcaller("reshape", tuple(out_specs[0].shape))


def _transpose(xp: Any, attrs: dict, in_specs: Any, out_specs: Any) -> Any:
    return operator.methodcaller("transpose", tuple(attrs["axes"]))


def _take_along_axis(xp: Any, attrs: dict, in_specs: Any, out_specs: Any) -> Any:
    x_shape, i_shape = in_specs[0].shape, in_specs[1].shape
    if len(x_shape) != len(i_shape):
        return None
    axis = attrs["axis"]
    n = x_shape[axis]
    nd = len(x_shape)
    # index grids for the other axes, shaped to broadcast against the indices
    before, after = [], []
    for d in range(nd):
        if d == axis:
            continue
        shape = [1] * nd
        shape[d] = x_shape[d]
        grid = xp.arange(x_shape[d]).reshape(shape)
        (before if d < axis else after).append(grid)
    before_t, after_t = tuple(before), tuple(after)
    less, add, where = xp.less, xp.add, xp.where

    def take_along_axis(x: Any, indices: Any) -> Any:
        # negative indices count from the end; fancy indexing broadcasts the indices
        # against the grids (the other axes) and raises IndexError out of range
        idx = where(less(indices, 0), add(indices, n), indices)
        return x[before_t + (idx,) + after_t]
    return take_along_axis


_BUILDERS: dict[str, Callable[..., Any]] = {
    "reshape": _reshape,
    "expand_dims": _reshape,
    "squeeze": _reshape,
    "transpose": _transpose,
    "take_along_axis": _take_along_axis,
}


def prepare_fast(xp: Any, op_name: str, attrs: dict, in_specs: Any, out_specs: Any) -> Any:
    """A specialised kernel for this signature, or ``None`` (use the generic one)."""
    builder = _BUILDERS.get(op_name)
    if builder is None or xp.__name__ != "numpy" or len(out_specs) != 1 or \
            not _known(in_specs) or not _known(out_specs):
        return None
    return builder(xp, attrs, in_specs, out_specs)
