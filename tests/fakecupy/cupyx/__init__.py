"""``cupyx`` of the fake CuPy: ``scatter_add`` (same dtype rules as ``cupy.add.at``),
``errstate`` (CuPy keeps it here, not in ``cupy``), and ``rsqrt``."""

from __future__ import annotations

import contextlib
from typing import Any

import cupy
from cupy._core import API, not_emulated


def scatter_add(a: Any, slices: Any, value: Any) -> None:
    cupy.add.at(a, slices, value)


def scatter_max(a: Any, slices: Any, value: Any) -> None:
    cupy.maximum.at(a, slices, value)


def scatter_min(a: Any, slices: Any, value: Any) -> None:
    cupy.minimum.at(a, slices, value)


@contextlib.contextmanager
def errstate(*, divide: Any = None, over: Any = None, under: Any = None,
             invalid: Any = None, linalg: Any = None, fallback_mode: Any = None) -> Any:
    yield


def rsqrt(x: Any, out: Any = None, **kwargs: Any) -> Any:
    return cupy.true_divide(1, cupy.sqrt(x), out=out)


for _name in API["modules"]["cupyx"]:
    if _name not in globals():
        globals()[_name] = not_emulated(f"cupyx.{_name}")
