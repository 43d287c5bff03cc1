"""Reduction and sorting kernels over an array module ``xp``."""

from __future__ import annotations

from typing import Any


def kernels(xp: Any, np_dtype: Any) -> dict:
    from .elementwise import _errstate

    def _acc(x: Any) -> Any:
        # float16 accumulates in float32 (NumPy would sum pairwise in float16)
        return xp.float32 if x.dtype == xp.float16 else x.dtype

    def sum_(x: Any, axis: tuple, keepdims: bool) -> Any:
        return xp.sum(x, axis=axis, keepdims=keepdims, dtype=_acc(x)).astype(x.dtype,
                                                                             copy=False)

    def prod(x: Any, axis: tuple, keepdims: bool) -> Any:
        with _errstate(xp):
            return xp.prod(x, axis=axis, keepdims=keepdims, dtype=_acc(x)).astype(
                x.dtype, copy=False)

    def max_(x: Any, axis: tuple, keepdims: bool) -> Any:
        return xp.max(x, axis=axis, keepdims=keepdims)

    def min_(x: Any, axis: tuple, keepdims: bool) -> Any:
        return xp.min(x, axis=axis, keepdims=keepdims)

    def any_(x: Any, axis: tuple, keepdims: bool) -> Any:
        return xp.any(x, axis=axis, keepdims=keepdims)

    def all_(x: Any, axis: tuple, keepdims: bool) -> Any:
        return xp.all(x, axis=axis, keepdims=keepdims)

    def argmax(x: Any, axis: Any, keepdims: bool) -> Any:
        return xp.argmax(x, axis=axis, keepdims=keepdims).astype(xp.int32)

    def argmin(x: Any, axis: Any, keepdims: bool) -> Any:
        return xp.argmin(x, axis=axis, keepdims=keepdims).astype(xp.int32)

    # CuPy's sorts are always stable and reject any ``kind`` but None
    # (cupy/_sorting/sort.py: "Unlike in NumPy any other options are not accepted here")
    stable = {"kind": "stable"} if xp.__name__ == "numpy" else {}

    def argsort(x: Any, axis: int, descending: bool) -> Any:
        if not descending:
            return xp.argsort(x, axis=axis, **stable).astype(xp.int32)
        # stable descending: sort the reversed array, reverse the order, map indices back
        n = x.shape[axis]
        rev = xp.flip(x, axis=axis)
        order = xp.flip(xp.argsort(rev, axis=axis, **stable), axis=axis)
        return (n - 1 - order).astype(xp.int32)

    return {"sum": sum_, "prod": prod, "max": max_, "min": min_, "any": any_, "all": all_,
            "argmax": argmax, "argmin": argmin, "argsort": argsort}
