"""The pure-Python reference backend (``python``).

Slow on purpose and exact on purpose: arrays are flat Python lists (:class:`PyArray`),
every float result is computed in float64 and rounded *once* to its dtype (float16
directly, bfloat16 via float32), sums are exact before that rounding, and integers wrap
as in NumPy. Other backends are tested against it.

It needs nothing but the standard library: NumPy is imported only inside
:meth:`PythonBackend.to_numpy` and :meth:`PythonBackend.from_numpy`, whose callers
already hold NumPy arrays or asked for one.

Kernels (one module per op family, each with a ``KERNELS`` dict) return raw Python values;
:meth:`PythonBackend.prepare` rounds or wraps them to the output dtype fixed by the op's
shape rule and wraps them in a :class:`PyArray` of the output shape.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tensorweave.backend_api import Backend
from tensorweave.dtypes import DType

from . import creation, elementwise, indexing, linalg, nn, reduction, shape
from .array import PyArray, size_of
from .rounding import cast_values, coerce_python, rounder_for

__all__ = ["PythonBackend", "PyArray"]

# Ops whose kernels only move, compare or index values that are already representable in
# the output dtype (or round them themselves, as ``cast``): their results skip rounding.
_NO_ROUNDING = frozenset({
    "reshape", "transpose", "broadcast_to", "concatenate", "slice", "slice_update", "take",
    "copy", "where", "max", "min", "maximum", "minimum", "argmax", "argmin", "argsort",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isfinite",
    "bitwise_and", "bitwise_or", "bitwise_xor", "cast", "view",
})
# Ops exact on floats (a float's negation, absolute value, sign or integral part is a
# float of the same dtype) but that can overflow on integers (``-int8(-128)``).
_NO_ROUNDING_FOR_FLOATS = frozenset({"neg", "abs", "sign", "floor", "ceil", "round"})

_FAMILIES = (creation, elementwise, reduction, shape, indexing, linalg, nn)


class PythonBackend(Backend):
    """Reference backend over Python lists; see the module docstring."""

    name = "python"
    shares_host_memory = False

    def __init__(self) -> None:
        super().__init__()
        for family in _FAMILIES:
            self.kernels.update(family.KERNELS)

    def availability(self) -> tuple[bool, str]:
        return True, ""

    def device_description(self) -> str:
        return "cpu (pure Python reference)"

    # ---- kernels -----------------------------------------------------------------------
    def prepare(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Any],
                out_specs: Sequence[Any]) -> Callable[..., Any] | None:
        """Bind the kernel and the rounding of its result to the output dtype."""
        kernel = self.kernels.get(op_name)
        if kernel is None:
            return None
        bound = dict(attrs)
        finishers = [self._finisher(op_name, tuple(s[0]), s[1]) for s in out_specs]
        if len(finishers) != 1:
            def run_multi(*arrays: PyArray) -> tuple[PyArray, ...]:
                results = kernel(*arrays, **bound)
                return tuple(f(r) for f, r in zip(finishers, results))
            return run_multi
        finish = finishers[0]
        return lambda *arrays: finish(kernel(*arrays, **bound))

    @staticmethod
    def _finisher(op_name: str, shape: tuple, dtype: DType) -> Callable[[Any], PyArray]:
        """Turn a kernel's raw values into a ``PyArray`` of ``shape`` and ``dtype``."""
        exact = op_name in _NO_ROUNDING or (dtype.kind == "f"
                                            and op_name in _NO_ROUNDING_FOR_FLOATS)
        round_ = None if exact else rounder_for(dtype)
        n = None if None in shape else size_of(shape)

        def finish(result: Any) -> PyArray:
            values = result.data if isinstance(result, PyArray) else result
            if n is not None and len(values) != n:
                raise RuntimeError(f"python backend: kernel {op_name!r} returned "
                                   f"{len(values)} values for output shape {shape}")
            if round_ is not None:
                values = round_(values)
            return PyArray(values, shape, dtype)
        return finish

    # ---- data movement -----------------------------------------------------------------
    def from_flat(self, values: list, shape: tuple[int, ...], dtype: DType) -> PyArray:
        return PyArray(coerce_python(list(values), dtype), tuple(shape), dtype)

    def scalar(self, value: bool | int | float, dtype: DType) -> PyArray:
        return PyArray(coerce_python([value], dtype), (), dtype)

    def from_numpy(self, array: Any, dtype: DType) -> PyArray:
        """Values of a NumPy array converted to ``dtype`` like ``cast``. Kinds other than
        b/i/u/f (e.g. ml_dtypes' bfloat16, kind ``V``) go through float32, exactly."""
        kind = array.dtype.kind
        if kind not in "biuf":
            array, kind = array.astype("float32"), "f"
        values = array.ravel().tolist()
        return PyArray(cast_values(values, kind, dtype),
                       tuple(int(d) for d in array.shape), dtype)

    def to_numpy(self, array: PyArray, dtype: DType) -> Any:
        """A new NumPy array (NumPy has no bfloat16: those become float32, exactly)."""
        import numpy as np

        np_dtype = "float32" if dtype.name == "bfloat16" else dtype.name
        return np.array(array.data, dtype=np_dtype).reshape(array.shape)

    def to_list(self, array: PyArray, dtype: DType) -> list:
        return list(array.data)

    def is_native(self, obj: Any) -> bool:
        return isinstance(obj, PyArray)

    def from_native(self, obj: PyArray) -> tuple[PyArray, DType]:
        return obj, obj.dtype

    def shape_of(self, array: PyArray) -> tuple[int, ...]:
        return array.shape
