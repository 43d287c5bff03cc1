"""Host (NumPy) copies of user data, whatever array type it comes as."""

from __future__ import annotations

from typing import Any

__all__ = ["to_host"]


def to_host(x: Any) -> Any:
    """``x`` as a NumPy array: NumPy arrays as they are, tensors through ``.numpy()``, and
    device arrays exposing ``__cuda_array_interface__`` (a ``cupy.ndarray``) through
    ``.get()``, one device-to-host copy (``np.asarray`` refuses them: CuPy forbids the
    implicit conversion)."""
    import numpy as np

    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "__cuda_array_interface__") and hasattr(x, "get"):
        return x.get()
    if hasattr(x, "numpy"):
        x = x.numpy()
    return np.asarray(x)
