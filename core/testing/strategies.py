"""Hypothesis strategies for conformance checks: shapes, broadcastable shape sets, values
of every dtype (already rounded to it), elementwise operand sets and reductions.

They produce :class:`~tensorweave.testing.inputs.Arg` objects with explicit ``values``,
so a drawn example becomes a :class:`~tensorweave.testing.case.Case` and runs through the
same runner, comparison and tolerance table as the declarative cases. No NumPy is needed
(``hypothesis.extra.numpy`` would import it): the shapes are drawn here.

This module imports hypothesis at the top, so only test code imports it; ``import
tensorweave`` and the pytest plugin never do.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

from .. import dtypes as _dt
from .cases import FLOATS, INTS, NUMERIC
from .inputs import Arg, round_value

__all__ = ["shapes", "broadcastable_shapes", "values", "arrays", "elementwise_args",
           "reduction_args", "axes_for", "FLOATS", "INTS", "NUMERIC"]

#: elements per tensor stay small: the reference backend is pure Python
MAX_SIDE = 4


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
           max_side: int = MAX_SIDE) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes with ``min_dims..max_dims`` axes of ``min_side..max_side`` elements."""
    return st.lists(st.integers(min_side, max_side), min_size=min_dims,
                    max_size=max_dims).map(tuple)


@st.composite
def broadcastable_shapes(draw: Any, n: int = 2, max_dims: int = 3, min_side: int = 0,
                         max_side: int = MAX_SIDE) -> tuple[tuple[int, ...], ...]:
    """``n`` shapes that broadcast together (NumPy rules): each is a suffix of a common
    shape with some axes set to 1."""
    base = draw(shapes(0, max_dims, min_side, max_side))
    out = []
    for _ in range(n):
        k = draw(st.integers(0, len(base)))
        suffix = base[len(base) - k:]
        out.append(tuple(1 if draw(st.booleans()) else d for d in suffix))
    return tuple(out)


def _elements(dtype: str, low: float | None, high: float | None, allow_nan: bool,
              allow_infinity: bool) -> st.SearchStrategy[Any]:
    dt = _dt.canonicalize(dtype)
    if dt.kind == "b":
        return st.booleans()
    if dt.kind in "iu":
        lo = int(dt.min) if low is None else max(int(low), int(dt.min))
        hi = int(dt.max) if high is None else min(int(high), int(dt.max))
        return st.integers(lo, hi)
    finite_max = {"float16": 65504.0, "bfloat16": 3.0e38, "float32": 3.0e38}.get(dtype, 1e300)
    flo = -finite_max if low is None else float(low)
    fhi = finite_max if high is None else float(high)
    base = st.floats(flo, fhi, allow_nan=False, allow_infinity=False)
    extra: list[Any] = []
    if allow_nan:
        extra.append(math.nan)
    if allow_infinity:
        extra += [math.inf, -math.inf]
    strat = st.one_of(base, st.sampled_from(extra)) if extra else base
    return strat.map(lambda v: round_value(v, dt))


def values(dtype: str, n: int, low: float | None = None, high: float | None = None,
           allow_nan: bool = False, allow_infinity: bool = False) -> st.SearchStrategy[list]:
    """``n`` values of ``dtype``, rounded to it (ints within ``[low, high]`` and the
    dtype's range)."""
    return st.lists(_elements(dtype, low, high, allow_nan, allow_infinity), min_size=n,
                    max_size=n)


@st.composite
def arrays(draw: Any, dtype: str, shape: tuple[int, ...], **kw: Any) -> Arg:
    """An :class:`Arg` of ``shape`` and ``dtype`` with drawn values (see :func:`values`)."""
    vals = draw(values(dtype, math.prod(shape), **kw))
    return Arg(tuple(shape), dtype, values=tuple(vals))


@st.composite
def elementwise_args(draw: Any, n_args: int = 2, dtypes: Any = NUMERIC,
                     **value_kw: Any) -> tuple[str, list[Arg]]:
    """``(dtype, args)``: ``n_args`` operands of one dtype with broadcastable shapes."""
    dtype = draw(st.sampled_from(tuple(dtypes)))
    kw = dict(value_kw)
    if dtype not in FLOATS:
        kw.pop("allow_nan", None)
        kw.pop("allow_infinity", None)
    shp = draw(broadcastable_shapes(n_args))
    return dtype, [draw(arrays(dtype, s, **kw)) for s in shp]


def axes_for(ndim: int) -> st.SearchStrategy[Any]:
    """``None``, one axis (possibly negative) or a tuple of distinct axes."""
    if ndim == 0:
        return st.sampled_from([None, ()])
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), unique=True, max_size=ndim).map(tuple)
    return st.one_of(st.none(), one, several)


@st.composite
def reduction_args(draw: Any, dtypes: Any = FLOATS, min_side: int = 0, **value_kw: Any
                   ) -> tuple[Arg, Any, bool, int]:
    """``(arg, axis, keepdims, n)``: an operand, the axes to reduce and the reduction
    length ``n`` (for the tolerance)."""
    dtype = draw(st.sampled_from(tuple(dtypes)))
    shape = draw(shapes(0, 3, min_side))
    kw = dict(value_kw)
    if dtype not in FLOATS:
        kw.pop("allow_nan", None)
        kw.pop("allow_infinity", None)
    arg = draw(arrays(dtype, shape, **kw))
    axis = draw(axes_for(len(shape)))
    keepdims = draw(st.booleans())
    if axis is None:
        n = math.prod(shape)
    else:
        axs = (axis,) if isinstance(axis, int) else axis
        n = math.prod(shape[a] for a in axs)
    return arg, axis, keepdims, max(n, 1)

