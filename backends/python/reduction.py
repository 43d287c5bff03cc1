"""Reductions over a sorted tuple of axes (``sum prod max min any all``) and
``argmax``/``argmin``.

Every reduction first regroups the input so that the reduced axes come last
(:func:`group_axes_last`); each output element is then one function of one contiguous
group. Float sums are exact (:func:`exact_sum`, rounded once to the output dtype); integer
sums and products are exact Python ints, wrapped once by the backend.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .array import PyArray, group_axes_last
from .rounding import exact_sum

__all__ = ["KERNELS"]

_NAN = math.nan


def _groups(x: PyArray, axis: tuple) -> list[list]:
    """One list per output element, holding the values reduced into it."""
    values, n, g = group_axes_last(x.data, x.shape, axis)
    if g == 1:
        return [[v] for v in values]
    return [values[i * g:(i + 1) * g] for i in range(n)]


def _reduction(fn_float: Callable[[list, bool], Any],
               fn_other: Callable[[list], Any]) -> Callable[..., list]:
    """A reduction kernel; an empty ``axis`` is the identity (as NumPy, ``-0.0`` kept)."""
    def kernel(x: PyArray, *, axis: tuple, keepdims: bool) -> list:
        if not axis:
            return list(x.data)
        groups = _groups(x, axis)
        if x.dtype.kind == "f":
            odd = x.dtype.name != "float64"
            return [fn_float(g, odd) for g in groups]
        return list(map(fn_other, groups))
    return kernel


def _sum_float(g: list, odd: bool) -> float:
    return exact_sum(g, odd)


def _prod_float(g: list, odd: bool) -> float:
    return math.prod(g, start=1.0)  # float64 products; overflow gives inf, never raises


def _first_nan(g: list) -> Any:
    for v in g:
        if v != v:
            return v
    return None


def _max_float(g: list, odd: bool) -> float:
    nan = _first_nan(g)
    return max(g) if nan is None else nan


def _min_float(g: list, odd: bool) -> float:
    nan = _first_nan(g)
    return min(g) if nan is None else nan


def _arg_kernel(pick: Callable[[list], Any]) -> Callable[..., list]:
    """``argmax``/``argmin``: index of the first extreme; a NaN counts as the extreme
    (its first occurrence wins), as NumPy."""
    def index_of(g: list, is_float: bool) -> int:
        if is_float:
            for i, v in enumerate(g):
                if v != v:
                    return i
        return g.index(pick(g))

    def kernel(x: PyArray, *, axis: Any, keepdims: bool) -> list:
        is_float = x.dtype.kind == "f"
        groups = [x.data] if axis is None else _groups(x, (axis,))
        return [index_of(g, is_float) for g in groups]
    return kernel


KERNELS: dict[str, Callable[..., Any]] = {
    "sum": _reduction(_sum_float, sum),
    "prod": _reduction(_prod_float, math.prod),
    "max": _reduction(_max_float, max),
    "min": _reduction(_min_float, min),
    "any": _reduction(lambda g, odd: any(g), any),
    "all": _reduction(lambda g, odd: all(g), all),
    "argmax": _arg_kernel(max),
    "argmin": _arg_kernel(min),
}
