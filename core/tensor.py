"""Tensors: a concrete :class:`Tensor` wraps one backend's array.

``TensorBase`` carries the Python operators (``+``, ``@``, indexing ...) shared by concrete
tensors and the graph's symbolic tensors; ``tensorweave.ops`` installs them when it loads,
so this module stays free of import cycles.

On the NumPy backend ``np.asarray(t)`` returns the wrapped array itself (no copy). On
every backend ``t.numpy()`` returns a NumPy array and ``t.tolist()`` Python values.
"""

from __future__ import annotations

from typing import Any

from .dtypes import DType

__all__ = ["Tensor", "TensorBase"]


class TensorBase:
    """Operators common to concrete and symbolic tensors (installed by ``tensorweave.ops``)."""

    __slots__ = ()
    __array_priority__ = 1000  # NumPy defers ``ndarray + tensor`` to us

    @property
    def ndim(self) -> int:
        return len(self.shape)  # type: ignore[attr-defined]

    @property
    def size(self) -> int | None:
        n = 1
        for d in self.shape:  # type: ignore[attr-defined]
            if d is None:
                return None
            n *= d
        return n

    def __len__(self) -> int:
        shape = self.shape  # type: ignore[attr-defined]
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        if shape[0] is None:
            raise TypeError("len() of a tensor whose first dimension is unknown (None)")
        return shape[0]


class Tensor(TensorBase):
    """A concrete tensor: an array of one backend, with its shape and dtype."""

    __slots__ = ("_data", "_shape", "_dtype", "_backend", "_keras_mask", "__weakref__")

    _data: Any
    _shape: tuple[int, ...]
    _dtype: DType

    def __init__(self, data: Any, dtype: Any = None) -> None:
        from .ops import convert_to_tensor

        t = convert_to_tensor(data, dtype)
        self._data, self._shape, self._dtype, self._backend = (
            t._data, t._shape, t._dtype, t._backend)

    # ---- metadata -----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._shape

    @property
    def dtype(self) -> DType:
        return self._dtype

    @property
    def backend(self) -> str:
        """Name of the backend this tensor lives on."""
        return self._backend.name

    @property
    def data(self) -> Any:
        """The backend's own array (a ``numpy.ndarray`` on the numpy backend)."""
        return self._data

    # ---- conversion ---------------------------------------------------------------
    def numpy(self) -> Any:
        return self._backend.to_numpy(self._data, self._dtype)

    def tolist(self) -> Any:
        flat = self._backend.to_list(self._data, self._dtype)
        return _nest(flat, self._shape)

    def item(self) -> bool | int | float:
        if self.size != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self._shape}")
        return self._backend.to_list(self._data, self._dtype)[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        arr = self.numpy()
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> Any:
        return self._data.__dlpack_device__()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if not self._dtype.is_integer:
            raise TypeError(f"only integer tensors can be used as an index, got {self._dtype}")
        return int(self.item())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self._shape} is ambiguous; "
                "use tw.ops.any() or tw.ops.all()")
        return bool(self.item())

    def __iter__(self) -> Any:
        for i in range(len(self)):
            yield self[i]  # type: ignore[index]

    def __repr__(self) -> str:
        body = None
        if self._backend.shares_host_memory:  # NumPy is loaded already; print like it
            try:
                import numpy as np

                body = np.array2string(np.asarray(self.numpy()), separator=", ",
                                       prefix="Tensor(")
            except Exception:  # a backend whose to_numpy fails must still print
                body = None
        if body is None:
            body = repr(self.tolist())
        extra = "" if self._backend.name == "numpy" else f", backend={self._backend.name}"
        return f"Tensor({body}, shape={self._shape}, dtype={self._dtype}{extra})"

    def __reduce__(self) -> Any:
        # Copying or multiprocessing a tensor moves its values, never code.
        from .ops import _rebuild_tensor

        return (_rebuild_tensor, (self.tolist(), self._dtype.name, self._backend.name))

    def __deepcopy__(self, memo: Any) -> Tensor:
        from .ops import copy

        return copy(self)


def _nest(flat: list, shape: tuple[int, ...]) -> Any:
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [_nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]
