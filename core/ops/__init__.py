"""``tw.ops``: every op, with names as in NumPy and ``keras.ops``.

Each op is defined once (see :mod:`._dispatch`); calling one on concrete data runs it now
on the data's backend, calling it on symbolic tensors records a graph node.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor, TensorBase
from . import arrays as arrays_ops
from . import (  # noqa: F401
    blocks,
    creation,
    elementwise,
    image,
    indexing,
    linalg,
    nn,
    numpy,
    reduction,
    segment,
    signal,
)
from . import functional as functional_ops
from . import shape as shape_ops
from ._dispatch import (  # noqa: F401  (public names, listed in __all__ below)
    OpDef,
    TensorSpec,
    all_ops,
    apply,
    convert_to_tensor,
    get_op,
    is_symbolic,
    is_tensor,
    wrap,
)
from .arrays import *  # noqa: F401,F403
from .blocks import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .functional import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .nn import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .segment import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .signal import *  # noqa: F401,F403

__all__ = sorted(
    set(creation.__all__) | set(elementwise.__all__) | set(indexing.__all__)
    | set(linalg.__all__) | set(nn.__all__) | set(reduction.__all__) | set(shape_ops.__all__)
    | set(segment.__all__) | set(signal.__all__) | set(blocks.__all__)
    | set(arrays_ops.__all__) | set(functional_ops.__all__)
    | {"convert_to_tensor", "convert_to_numpy", "to_backend", "primitives", "composites",
       "get_op", "all_ops", "apply", "is_tensor", "OpDef", "TensorSpec"})

# NumPy-style math, statistics and creation ops (keras.ops parity)
from . import creation_extra, elementwise_math, statistics  # noqa: E402
from .creation_extra import *  # noqa: E402,F401,F403
from .elementwise_math import *  # noqa: E402,F401,F403
from .statistics import *  # noqa: E402,F401,F403

__all__ = sorted(set(__all__) | set(creation_extra.__all__) | set(elementwise_math.__all__)
                 | set(statistics.__all__))


def convert_to_numpy(x: Any) -> Any:
    """A NumPy array of ``x``'s values (a view on the numpy backend, a copy elsewhere)."""
    import numpy as np

    if isinstance(x, Tensor):
        return x.numpy()
    if is_symbolic(x):
        raise TypeError("convert_to_numpy: a symbolic tensor has no values; run the graph")
    if hasattr(x, "__cuda_array_interface__") and hasattr(x, "get"):
        return x.get()  # a cupy.ndarray: np.asarray refuses it
    return np.asarray(x)


def to_backend(x: Any, backend: Any) -> Tensor:
    """Move a tensor to another backend explicitly (through DLPack or NumPy)."""
    from ..backend_registry import get_backend

    be = get_backend(backend)
    if not isinstance(x, Tensor):
        return convert_to_tensor(x, backend=be)
    if x._backend is be:
        return x
    moved = be.import_from(x._backend, x._data, x._dtype)
    if moved is None:
        if x._backend.shares_host_memory or x._backend.name != "python":
            moved = be.from_numpy(x._backend.to_numpy(x._data, x._dtype), x._dtype)
        else:
            moved = be.from_flat(x._backend.to_list(x._data, x._dtype), x._shape, x._dtype)
    return wrap(moved, x._shape, x._dtype, be)


def primitives() -> list[str]:
    """Ops every backend must implement (no decomposition)."""
    return sorted(n for n, op in all_ops().items() if op.primitive)


def composites() -> list[str]:
    """Ops with a decomposition; a backend may still give them a kernel."""
    return sorted(n for n, op in all_ops().items() if not op.primitive)


def _rebuild_tensor(values: Any, dtype: str, backend: str) -> Tensor:
    return convert_to_tensor(values, dtype, backend=backend)


# ---- Python operators on tensors (concrete and symbolic) ----------------------------------------
def _install_operators(cls: type) -> None:
    E = elementwise
    ops_map = {
        "__add__": E.add, "__sub__": E.subtract, "__mul__": E.multiply,
        "__truediv__": E.divide, "__floordiv__": E.floor_divide, "__mod__": E.mod,
        "__pow__": E.power, "__matmul__": linalg.matmul,
        "__and__": lambda a, b: E.logical_and(a, b) if a.dtype.is_bool else E.bitwise_and(a, b),
        "__or__": lambda a, b: E.logical_or(a, b) if a.dtype.is_bool else E.bitwise_or(a, b),
        "__xor__": lambda a, b: E.logical_xor(a, b) if a.dtype.is_bool else E.bitwise_xor(a, b),
        "__lshift__": E.left_shift, "__rshift__": E.right_shift,
        "__lt__": E.less, "__le__": E.less_equal, "__gt__": E.greater,
        "__ge__": E.greater_equal, "__eq__": E.equal, "__ne__": E.not_equal,
    }
    for name, fn in ops_map.items():
        setattr(cls, name, fn)
    for name, fn in [("__radd__", E.add), ("__rsub__", E.subtract), ("__rmul__", E.multiply),
                     ("__rtruediv__", E.divide), ("__rfloordiv__", E.floor_divide),
                     ("__rmod__", E.mod), ("__rpow__", E.power),
                     ("__rmatmul__", linalg.matmul)]:
        setattr(cls, name, (lambda f: lambda a, b: f(b, a))(fn))
    cls.__neg__ = E.neg  # type: ignore[attr-defined]
    cls.__pos__ = lambda a: a  # type: ignore[attr-defined]
    cls.__abs__ = E.abs  # type: ignore[attr-defined]
    cls.__invert__ = E.logical_not  # type: ignore[attr-defined]
    cls.__getitem__ = indexing.getitem  # type: ignore[attr-defined]
    cls.__hash__ = object.__hash__  # type: ignore[assignment]

    def _setitem(self: Any, key: Any, value: Any) -> None:
        raise TypeError("tensors are immutable; use tw.ops.slice_update(x, start, value) or "
                        "tw.ops.where(...) to build a new one")

    cls.__setitem__ = _setitem  # type: ignore[attr-defined]
    cls.T = property(lambda a: shape_ops.transpose(a))  # type: ignore[attr-defined]
    cls.reshape = lambda a, *s: shape_ops.reshape(  # type: ignore[attr-defined]
        a, s[0] if len(s) == 1 and not isinstance(s[0], int) else s)
    cls.astype = lambda a, dtype: E.cast(a, dtype)  # type: ignore[attr-defined]
    cls.transpose = lambda a, *axes: shape_ops.transpose(  # type: ignore[attr-defined]
        a, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None)
    for red in ("sum", "mean", "max", "min", "prod", "any", "all", "argmax", "argmin",
                "std", "var"):
        setattr(cls, red, getattr(reduction, red))


_install_operators(TensorBase)
