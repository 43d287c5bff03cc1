"""The NumPy backend: the default, and the fast CPU path.

Kernels are written once over an array module ``xp`` (see the family modules); the CuPy
backend builds its table from the same functions with ``xp = cupy``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tensorweave import dtypes as _dt
from tensorweave.backend_api import Backend
from tensorweave.dtypes import DType

from . import elementwise, indexing, linalg, nn, out_kernels, reduction, shape
from .dtypes import dtype_map, round_bfloat16
from .fast import prepare_fast

__all__ = ["NumpyBackend", "make_kernels"]


def make_kernels(xp: Any, np_dtype: Callable[[DType], Any]) -> dict:
    """The kernel table of an array module (shared by the NumPy and CuPy backends)."""
    table: dict = {}
    for family in (elementwise, reduction, shape, indexing, linalg, nn):
        table.update(family.kernels(xp, np_dtype))
    return table


class NumpyBackend(Backend):
    name = "numpy"
    shares_host_memory = True
    xp: Any = np

    def __init__(self) -> None:
        super().__init__()
        self._dtypes = dtype_map(self.xp)
        self.kernels = make_kernels(self.xp, self._dtypes.__getitem__)

    def device_description(self) -> str:
        return f"cpu (NumPy {np.__version__})"

    def np_dtype(self, dtype: DType) -> Any:
        return self._dtypes[dtype]

    def prepare(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Any],
                out_specs: Sequence[Any]) -> Callable[..., Any] | None:
        if op_name in self.kernels and not any(s.dtype is _dt.bfloat16 for s in out_specs):
            fast = prepare_fast(self.xp, op_name, attrs, in_specs, out_specs)
            if fast is not None:  # same values, C entry points only (see .fast)
                return fast
        fn = super().prepare(op_name, attrs, in_specs, out_specs)
        if fn is None:
            return None
        xp = self.xp
        if len(out_specs) == 1 and tuple(out_specs[0].shape) == ():
            # NumPy returns scalars (np.float32 ...) from 0-d results; keep arrays, so
            # Tensor.data is always an ndarray (DLPack, out=, views)
            inner = fn
            fn = lambda *arrays: xp.asarray(inner(*arrays))  # noqa: E731
        bf16 = [s.dtype is _dt.bfloat16 for s in out_specs]
        if not any(bf16):
            return fn
        if len(out_specs) == 1:
            return lambda *arrays: round_bfloat16(xp, fn(*arrays))
        return lambda *arrays: tuple(round_bfloat16(xp, r) if b else r
                                     for r, b in zip(fn(*arrays), bf16))

    # ---- compiled plans ---------------------------------------------------------------
    def prepare_out(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Any],
                    out_specs: Sequence[Any]) -> Callable[..., Any] | None:
        """Out-kernels for compiled plans (see :mod:`.out_kernels`)."""
        return out_kernels.prepare_out(self.xp, self._dtypes.__getitem__, op_name, attrs,
                                       in_specs, out_specs)

    def empty(self, shape: tuple[int, ...], dtype: DType) -> Any:
        return self.xp.empty(shape, dtype=self._dtypes[dtype])

    def can_overwrite(self, array: Any) -> bool:
        if type(array) is not self.xp.ndarray or array.base is not None:
            return False
        flags = array.flags
        return bool(flags.writeable and flags.c_contiguous)

    # ---- data movement --------------------------------------------------------------
    def from_flat(self, values: list, shape: tuple[int, ...], dtype: DType) -> Any:
        arr = np.array(values, dtype=self._dtypes[dtype]).reshape(shape)
        return round_bfloat16(np, arr) if dtype is _dt.bfloat16 else arr

    def from_numpy(self, array: Any, dtype: DType) -> Any:
        arr = np.asarray(array, dtype=self._dtypes[dtype])
        return round_bfloat16(np, arr) if dtype is _dt.bfloat16 else arr

    def to_numpy(self, array: Any, dtype: DType) -> Any:
        return np.asarray(array)

    def to_list(self, array: Any, dtype: DType) -> list:
        return np.asarray(array).ravel().tolist()

    def scalar(self, value: bool | int | float, dtype: DType) -> Any:
        arr = np.array(value, dtype=self._dtypes[dtype])
        return round_bfloat16(np, arr) if dtype is _dt.bfloat16 else arr

    def is_native(self, obj: Any) -> bool:
        return isinstance(obj, np.ndarray)

    def from_native(self, obj: Any) -> tuple[Any, DType]:
        kind = obj.dtype.kind
        if kind not in "biuf":
            from tensorweave.errors import DTypeError

            raise DTypeError(f"expected numeric data, got a NumPy array of dtype {obj.dtype}")
        return obj, _dt.canonicalize(obj.dtype.name)

    def import_from(self, other: Backend, array: Any, dtype: DType) -> Any:
        if hasattr(array, "__dlpack__") and other.shares_host_memory:
            try:
                return np.from_dlpack(array)
            except (TypeError, RuntimeError, BufferError):
                return None
        return None
