"""``cupy.cuda.memory`` of the fake: a pool that accounts the bytes of live fake arrays."""

from __future__ import annotations

from typing import Any

from .. import _core


class OutOfMemoryError(MemoryError):
    def __init__(self, size: int, total: int, limit: int = 0) -> None:
        super().__init__(f"Out of memory allocating {size:,} bytes "
                         f"(allocated so far: {total:,} bytes, limit set to: {limit:,} bytes).")


class DLPackMemory:
    """Stands for ``cupy._core.dlpack.DLPackMemory``: the memory of an array imported
    through DLPack, owned by its producer (real CuPy: ``a.data.mem`` of such an array)."""


class MemoryPointer:
    def __init__(self, arr: Any) -> None:
        self.ptr = arr._a.__array_interface__["data"][0]
        self.mem = DLPackMemory() if arr._base is _core.DLPACK_IMPORTED else None


class MemoryPool:
    def __init__(self, allocator: Any = None) -> None:
        self._p = _core.POOL

    def used_bytes(self) -> int:
        return self._p.used

    def total_bytes(self) -> int:
        return self._p.held

    def free_bytes(self) -> int:
        return self._p.held - self._p.used

    def free_all_blocks(self, stream: Any = None) -> None:
        self._p.held = self._p.used

    def set_limit(self, size: Any = None, fraction: Any = None) -> None:
        if size is not None and fraction is not None:
            raise ValueError("size and fraction cannot be specified at the same time")
        if fraction is not None:
            if not 0 <= fraction <= 1:
                raise ValueError(f"memory limit fraction out of range: {fraction}")
            self._p.limit = int(self._p.total_device * fraction)
        elif size is not None:
            if size < 0:
                raise ValueError(f"memory limit must be non-negative: {size}")
            self._p.limit = int(size)
        else:
            self._p.limit = 0

    def get_limit(self) -> int:
        return self._p.limit


class PinnedMemoryPool:
    def free_all_blocks(self) -> None:
        pass

    def n_free_blocks(self) -> int:
        return 0


_POOL = MemoryPool()
_PINNED = PinnedMemoryPool()
