"""Creation kernels: ``full`` and ``arange`` (no tensor input; attributes only)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .array import size_of

__all__ = ["KERNELS"]


def _full(*, shape: tuple, value: Any, dtype: Any) -> list:
    """``value`` is already of the dtype's kind (the op's public function checks it)."""
    return [value] * size_of(shape)


def _arange(*, start: Any, stop: Any, step: Any, dtype: Any) -> list:
    """``start + step * i``: exact for integers, float64 for floats (then rounded once to
    ``dtype`` by the backend). ``n`` uses the shape rule's own formula, so the length
    always matches the declared output shape."""
    n = max(0, math.ceil((stop - start) / step))
    if dtype.kind == "f":
        start, step = float(start), float(step)
    return [start + step * i for i in range(n)]


KERNELS: dict[str, Callable[..., Any]] = {
    "full": _full,
    "arange": _arange,
}
