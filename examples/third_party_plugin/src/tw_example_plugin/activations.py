"""``squared_relu``: ``relu(x) ** 2`` (So et al., "Primer", 2021)."""

from __future__ import annotations

from typing import Any

from tensorweave import ops

__all__ = ["squared_relu"]


def squared_relu(x: Any) -> Any:
    """``max(x, 0) ** 2``: zero for negative inputs, a parabola above zero; its gradient
    ``2 * max(x, 0)`` is continuous (unlike relu's)."""
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x)
    if not x.dtype.is_floating:
        x = ops.cast(x, "float32")
    return ops.square(ops.relu(x))
