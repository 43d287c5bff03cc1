"""Gather and scatter kernels over an array module ``xp``."""

from __future__ import annotations

from typing import Any


def kernels(xp: Any, np_dtype: Any) -> dict:
    def take(x: Any, indices: Any, axis: int) -> Any:
        return xp.take(x, indices, axis=axis)

    def scatter_add(x: Any, indices: Any, updates: Any) -> Any:
        out = xp.array(x, copy=True)
        k = indices.shape[-1]
        index = tuple(indices[..., i] for i in range(k))
        add_at = xp.add.at if hasattr(xp.add, "at") else None
        if add_at is not None:
            add_at(out, index, updates)
        else:  # cupyx.scatter_add
            import cupyx  # type: ignore[import-not-found]

            cupyx.scatter_add(out, index, updates)
        return out

    def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
        n = x.shape[axis]
        idx = xp.where(indices < 0, indices + n, indices)
        shape = list(x.shape)
        shape[axis] = indices.shape[axis]
        return xp.take_along_axis(x, xp.broadcast_to(idx, tuple(shape)), axis=axis)

    return {"take": take, "scatter_add": scatter_add, "take_along_axis": take_along_axis}
