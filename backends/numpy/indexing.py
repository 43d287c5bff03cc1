"""Gather and scatter kernels over an array module ``xp``."""

from __future__ import annotations

from typing import Any

# the dtypes of CUDA's atomicAdd: the only ones cupy.add.at / cupyx.scatter_add accept
# (cupy/_core/_routines_indexing.pyx ``_scatter_op``: "scatter_add only supports int32,
# float16, float32, float64, uint32, uint64, as data type")
_ATOMIC_ADD = ("int32", "uint32", "uint64", "float16", "float32", "float64")


def _add_at(xp: Any) -> Any:
    """``xp.add.at``; on CuPy also for the dtypes its atomicAdd lacks, with equal results."""
    add_at = xp.add.at
    if xp.__name__ == "numpy":
        return add_at

    def add_at_device(out: Any, index: Any, updates: Any) -> None:
        name = out.dtype.name
        if name in _ATOMIC_ADD:
            add_at(out, index, updates)
        elif name == "int64":
            # two's complement: int64 addition is uint64 addition, bit for bit
            add_at(out.view(xp.uint64), index,
                   xp.ascontiguousarray(updates.astype(out.dtype, copy=False)).view(xp.uint64))
        else:
            # bool and 8/16-bit integers: accumulate in int32, then cast back (the sum
            # modulo 2**bits is the same; for bool, nonzero is "any True", as NumPy's add)
            acc = out.astype(xp.int32)
            add_at(acc, index, updates.astype(xp.int32))
            out[...] = acc != 0 if name == "bool" else acc.astype(out.dtype)
    return add_at_device


def kernels(xp: Any, np_dtype: Any) -> dict:
    def take(x: Any, indices: Any, axis: int) -> Any:
        return xp.take(x, indices, axis=axis)

    add_at = _add_at(xp)

    def scatter_add(x: Any, indices: Any, updates: Any) -> Any:
        out = xp.array(x, copy=True)
        k = indices.shape[-1]
        add_at(out, tuple(indices[..., i] for i in range(k)), updates)
        return out

    def take_along_axis(x: Any, indices: Any, axis: int) -> Any:
        n = x.shape[axis]
        idx = xp.where(indices < 0, indices + n, indices)
        shape = list(x.shape)
        shape[axis] = indices.shape[axis]
        return xp.take_along_axis(x, xp.broadcast_to(idx, tuple(shape)), axis=axis)

    return {"take": take, "scatter_add": scatter_add, "take_along_axis": take_along_axis}
