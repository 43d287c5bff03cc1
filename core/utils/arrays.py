"""Array helpers for preparing data (host-side NumPy, as in Keras)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError


def to_categorical(x: Any, num_classes: int | None = None, dtype: str = "float32") -> Any:
    """Class vector (ints) to a one-hot matrix, as ``keras.utils.to_categorical``."""
    import numpy as np

    y = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise InvalidArgumentError("to_categorical: labels must be whole numbers")
    y = y.astype("int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.ravel()
    if y.size and y.min() < 0:
        raise InvalidArgumentError(f"to_categorical: labels must be >= 0, got {y.min()}")
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    elif y.size and y.max() >= num_classes:
        raise InvalidArgumentError(f"to_categorical: label {int(y.max())} is out of range for "
                                   f"num_classes={num_classes}")
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scale to unit ``order``-norm along ``axis`` (zero vectors stay zero)."""
    import numpy as np

    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return (x / norm).astype(np.float32)
