"""The CuPy (CUDA GPU) backend.

It shares the NumPy backend's kernels — they are written once over an array module, and
here that module is ``cupy`` — and adds what only a GPU needs: CuPy's memory pool with a
configurable limit, fused elementwise kernels for the jit's fusion groups (see
:mod:`.fused`), and transfers through DLPack. Nothing here imports CuPy until the backend
is instantiated, and instantiation never fails: :meth:`CupyBackend.availability` says why
the backend cannot run (CuPy not installed, no driver, no device, kernels fail to compile).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave.backend_api import Backend
from tensorweave.dtypes import DType
from tensorweave.errors import InvalidArgumentError

__all__ = ["CupyBackend", "probe"]


def probe(cupy_module: Any = None) -> tuple[bool, str]:
    """``(True, "")`` when CuPy can run kernels on a GPU here, else ``(False, reason)``."""
    cp = cupy_module
    if cp is None:
        try:
            import cupy as cp  # type: ignore[import-not-found,no-redef]
        except ImportError as exc:
            return False, (f"CuPy is not installed ({exc}); install it with "
                           "`pip install tensorweave[cupy]`")
        except Exception as exc:  # a broken CuPy install must not break tensorweave
            return False, f"CuPy failed to import: {type(exc).__name__}: {exc}"
    try:
        driver = cp.cuda.runtime.driverGetVersion()
    except Exception as exc:
        return False, f"CuPy is installed but the CUDA driver cannot be queried: {exc}"
    if not driver:
        return False, ("CuPy is installed but no CUDA driver was found (driver version 0); "
                       "this machine has no usable NVIDIA GPU")
    try:
        count = cp.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy is installed with a driver but no device is usable: {exc}"
    if count < 1:
        return False, "CuPy is installed with a driver but no CUDA device is present"
    try:
        int((cp.arange(3) + 1).sum())  # proves NVRTC (elementwise kernel compilation) works
    except Exception as exc:
        return False, f"a CUDA device is present but CuPy kernels fail: {type(exc).__name__}: {exc}"
    return True, ""


class CupyBackend(Backend):
    name = "cupy"
    shares_host_memory = False

    def __init__(self) -> None:
        super().__init__()
        self._ok, self._reason = probe()
        self.xp: Any = None
        self._dtypes: dict = {}
        if not self._ok:
            return
        import cupy as cp  # type: ignore[import-not-found]

        from tensorweave.backends.numpy import make_kernels
        from tensorweave.backends.numpy.dtypes import dtype_map

        self.xp = cp
        self._dtypes = dtype_map(cp)
        self.kernels = make_kernels(cp, self._dtypes.__getitem__)
        limit = os.environ.get("TENSORWEAVE_CUPY_POOL_LIMIT")
        if limit:
            try:
                set_memory_limit(limit)
            except InvalidArgumentError as exc:
                # instantiation never fails: a bad limit makes the backend unavailable,
                # and availability() (tw.list_backends, `tensorweave info`) says why
                self._ok, self._reason = False, f"TENSORWEAVE_CUPY_POOL_LIMIT: {exc}"

    def availability(self) -> tuple[bool, str]:
        return self._ok, self._reason

    def device_description(self) -> str:
        if not self._ok:
            return "cuda (unavailable)"
        cp = self.xp
        dev = cp.cuda.Device()
        try:
            props = cp.cuda.runtime.getDeviceProperties(dev.id)
            name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
        except Exception:
            name = "CUDA device"
        return f"cuda:{dev.id} ({name}, CuPy {cp.__version__})"

    def prepare(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Any],
                out_specs: Sequence[Any]) -> Callable[..., Any] | None:
        fn = super().prepare(op_name, attrs, in_specs, out_specs)
        bf16 = [s.dtype is _dt.bfloat16 for s in out_specs]
        if fn is None or not any(bf16):
            return fn
        from tensorweave.backends.numpy.dtypes import round_bfloat16

        xp = self.xp
        if len(out_specs) == 1:
            return lambda *arrays: round_bfloat16(xp, fn(*arrays))
        return lambda *arrays: tuple(round_bfloat16(xp, r) if b else r
                                     for r, b in zip(fn(*arrays), bf16))

    # ---- compiled plans -----------------------------------------------------------------
    def prepare_out(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Any],
                    out_specs: Sequence[Any]) -> Callable[..., Any] | None:
        """The NumPy backend's out-kernels over ``cupy`` (see
        :mod:`tensorweave.backends.numpy.out_kernels`): a compiled plan writes into
        preallocated device buffers instead of allocating from the pool per op."""
        from tensorweave.backends.numpy import out_kernels

        return out_kernels.prepare_out(self.xp, self._dtypes.__getitem__, op_name, attrs,
                                       in_specs, out_specs)

    def empty(self, shape: tuple[int, ...], dtype: DType) -> Any:
        return self.xp.empty(shape, dtype=self._dtypes[dtype])

    def can_overwrite(self, array: Any) -> bool:
        # CuPy's flags have no ``writeable``: device arrays always are
        if type(array) is not self.xp.ndarray or array.base is not None \
                or not array.flags.c_contiguous:
            return False
        # memory imported through DLPack (or wrapped from a raw pointer) still belongs to
        # its producer (a torch tensor ...): never write into it
        mem = getattr(array.data, "mem", None)
        return type(mem).__name__ not in ("DLPackMemory", "UnownedMemory")

    def fused_kernel(self, group: Any) -> Any:
        from .fused import build_fused_kernel

        return build_fused_kernel(self, group)

    # ---- data movement ------------------------------------------------------------------
    def from_flat(self, values: list, shape: tuple[int, ...], dtype: DType) -> Any:
        import numpy as np

        # the dtype must be given here: np.array(values) alone makes uint64 values above
        # 2**63 float64 (and rounds them) before they ever reach the device
        return self.from_numpy(np.array(values, dtype=self._dtypes[dtype]).reshape(shape), dtype)

    def from_numpy(self, array: Any, dtype: DType) -> Any:
        from tensorweave.backends.numpy.dtypes import round_bfloat16

        arr = self.xp.asarray(array, dtype=self._dtypes[dtype])
        return round_bfloat16(self.xp, arr) if dtype is _dt.bfloat16 else arr

    def to_numpy(self, array: Any, dtype: DType) -> Any:
        return self.xp.asnumpy(array)

    def to_list(self, array: Any, dtype: DType) -> list:
        return self.xp.asnumpy(array).ravel().tolist()

    def scalar(self, value: bool | int | float, dtype: DType) -> Any:
        arr = self.xp.asarray(value, dtype=self._dtypes[dtype])
        if dtype is _dt.bfloat16:
            from tensorweave.backends.numpy.dtypes import round_bfloat16

            return round_bfloat16(self.xp, arr)
        return arr

    def is_native(self, obj: Any) -> bool:
        return self.xp is not None and isinstance(obj, self.xp.ndarray)

    def from_native(self, obj: Any) -> tuple[Any, DType]:
        return obj, _dt.canonicalize(obj.dtype.name)

    def import_from(self, other: Backend, array: Any, dtype: DType) -> Any:
        if hasattr(array, "__dlpack__"):
            try:
                return self.xp.from_dlpack(array)
            except Exception:
                return None
        return None


_SIZE_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20,
               "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
               "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}


def parse_memory_limit(limit: Any) -> tuple[str, float | int]:
    """``("fraction", f)`` or ``("size", bytes)`` for a pool limit: bytes (``1073741824``),
    a size with a binary unit (``"4GB"``, ``"4GiB"``, ``"1.5G"``, ``"512 MiB"``; K/M/G/T,
    with or without ``B``/``iB``, all powers of 1024) or a percentage of the device memory
    (``"50%"``). Raises :class:`~tensorweave.errors.InvalidArgumentError` on anything else."""
    text = str(limit).strip()
    try:
        if text.endswith("%"):
            fraction = float(text[:-1]) / 100.0
            if not 0.0 <= fraction <= 1.0:
                raise ValueError
            return "fraction", fraction
        number = text.rstrip("BbIiKkMmGgTt ")
        unit = text[len(number):].strip().upper()
        size = float(number) * _SIZE_UNITS[unit]
        if not 0 <= size < float(1 << 63):
            raise ValueError
        return "size", int(size)
    except (ValueError, KeyError):
        raise InvalidArgumentError(
            f"bad CuPy memory pool limit {limit!r}: give bytes (1073741824), a size with a "
            f"unit (4GiB, 4GB, 1.5G, 512MiB; powers of 1024) or a percentage of the device "
            f"memory (50%)") from None


def set_memory_limit(limit: Any) -> None:
    """Cap CuPy's memory pool (``cupy.get_default_memory_pool().set_limit``); ``limit`` as
    :func:`parse_memory_limit` reads it, ``0`` for no limit. The environment variable
    ``TENSORWEAVE_CUPY_POOL_LIMIT`` is applied when the backend is instantiated; a bad
    value there makes the backend unavailable, with the reason in ``availability()``."""
    kind, value = parse_memory_limit(limit)
    import cupy as cp  # type: ignore[import-not-found]

    pool = cp.get_default_memory_pool()
    if kind == "fraction":
        pool.set_limit(fraction=value)
    else:
        pool.set_limit(size=value)


def memory_info() -> dict[str, int]:
    """Bytes used by live arrays and bytes held by CuPy's pool (what ``nvidia-smi`` shows)."""
    import cupy as cp  # type: ignore[import-not-found]

    pool = cp.get_default_memory_pool()
    return {"used_bytes": int(pool.used_bytes()), "held_bytes": int(pool.total_bytes()),
            "limit_bytes": int(pool.get_limit())}


def free_cached_memory() -> None:
    """Return the pool's unused blocks to the driver."""
    import cupy as cp  # type: ignore[import-not-found]

    cp.get_default_memory_pool().free_all_blocks()
