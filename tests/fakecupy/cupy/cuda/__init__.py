"""``cupy.cuda`` of the fake: a driver, one device, streams and the memory pool.

``FAKECUPY_DRIVER`` (default 12090) and ``FAKECUPY_DEVICES`` (default 1) set what
``runtime.driverGetVersion`` / ``runtime.getDeviceCount`` report, so availability
messages can be tested.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

from .. import _core


class CUDARuntimeError(RuntimeError):
    pass


def _driver_version() -> int:
    return int(os.environ.get("FAKECUPY_DRIVER", "12090"))


def _device_count() -> int:
    if not _driver_version():
        raise CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is "
                               "insufficient for CUDA runtime version")
    return int(os.environ.get("FAKECUPY_DEVICES", "1"))


def _device_properties(device: int) -> dict:
    return {"name": b"Fake CUDA Device (tests/fakecupy)", "totalGlobalMem":
            _core.POOL.total_device, "major": 9, "minor": 0}


runtime = types.ModuleType("cupy.cuda.runtime")
runtime.driverGetVersion = _driver_version  # type: ignore[attr-defined]
runtime.runtimeGetVersion = lambda: 12090  # type: ignore[attr-defined]
runtime.getDeviceCount = _device_count  # type: ignore[attr-defined]
runtime.getDeviceProperties = _device_properties  # type: ignore[attr-defined]
runtime.getDevice = lambda: 0  # type: ignore[attr-defined]
runtime.CUDARuntimeError = CUDARuntimeError  # type: ignore[attr-defined]


def _device_synchronize() -> None:
    _core.note_sync("cupy.cuda.runtime.deviceSynchronize")


runtime.deviceSynchronize = _device_synchronize  # type: ignore[attr-defined]
sys.modules["cupy.cuda.runtime"] = runtime


class Device:
    def __init__(self, device: Any = None) -> None:
        self.id = 0 if device is None else int(getattr(device, "id", device))
        if self.id >= _device_count():
            raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")

    def synchronize(self) -> None:
        _core.note_sync("Device.synchronize")

    def use(self) -> None:
        pass

    @property
    def compute_capability(self) -> str:
        return "90"

    @property
    def mem_info(self) -> tuple:
        return (_core.POOL.total_device - _core.POOL.held, _core.POOL.total_device)

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"<CUDA Device {self.id}>"


class Stream:
    null: Stream

    def __init__(self, null: bool = False, non_blocking: bool = False, ptds: bool = False,
                 priority: Any = None) -> None:
        pass

    def synchronize(self) -> None:
        _core.note_sync("Stream.synchronize")

    def use(self) -> Stream:
        return self

    @property
    def done(self) -> bool:
        _core.note_sync("Stream.done")
        return True

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


Stream.null = Stream(null=True)


def get_current_stream(device_id: int = -1) -> Stream:
    return Stream.null


def is_available() -> bool:
    try:
        return _device_count() > 0
    except CUDARuntimeError:
        return False


from . import memory  # noqa: E402,F401
from .memory import MemoryPointer, MemoryPool, PinnedMemoryPool  # noqa: E402,F401

stream = types.ModuleType("cupy.cuda.stream")
stream.Stream = Stream  # type: ignore[attr-defined]
stream.get_current_stream = get_current_stream  # type: ignore[attr-defined]
sys.modules["cupy.cuda.stream"] = stream
device = types.ModuleType("cupy.cuda.device")
device.Device = Device  # type: ignore[attr-defined]
sys.modules["cupy.cuda.device"] = device
