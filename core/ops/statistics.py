"""Cumulative sums and products, order statistics (median, quantiles), NaN-ignoring
reductions and the small statistics of ``keras.ops`` (``average``, ``ptp``, ``corrcoef``,
``correlate``, ``histogram``, ``bincount``, ``digitize``, ``searchsorted``, ``trapezoid``).

All are composites of existing ops, so they run on every backend and differentiate where
Keras's do: ``cumsum``/``cumprod`` are a log-depth scan (Hillis-Steele: ``ceil(log2 n)``
shifted adds/multiplies), the quantiles gather from ``sort`` (whose gradient flows to the
picked elements), and the NaN reductions replace NaN by the identity with ``where`` (so
NaN positions get a zero gradient).
"""

from __future__ import annotations

import builtins
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..shapes import normalize_axes, normalize_axis
from ._dispatch import convert_to_tensor, is_symbolic, is_tensor
from .elementwise import (
    add,
    cast,
    divide,
    equal,
    floor,
    greater,
    greater_equal,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    maximum,
    minimum,
    multiply,
    sqrt,
    subtract,
    where,
)
from .reduction import all as _all
from .reduction import any as _any
from .reduction import argmax, argmin, mean, prod
from .reduction import max as _max
from .reduction import min as _min
from .reduction import sum as _sum

__all__ = [
    "cumsum", "cumprod", "nancumsum", "nancumprod", "median", "quantile", "percentile",
    "nanmedian", "nanquantile", "nanpercentile", "average", "ptp", "nanargmax",
    "nanargmin", "nanmax", "nanmin", "nanmean", "nanprod", "nanstd", "nansum", "nanvar",
    "corrcoef", "correlate", "histogram", "bincount", "digitize", "searchsorted",
    "trapezoid", "in_top_k",
]


def _t(x: Any, name: str) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _float(x: Any, name: str) -> Any:
    x = _t(x, name)
    return x if x.dtype.is_floating else cast(x, _dt.float32)


# ---- cumulative ops ------------------------------------------------------------------------
def _scan(name: str, x: Any, axis: Any, combine: Any, identity: Any) -> Any:
    from .shape import concatenate, moveaxis, reshape

    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    if x.ndim == 0:
        raise InvalidArgumentError(f"{name}: argument 'axis': a scalar has no axis {axis}; "
                                   f"pass axis=None")
    ax = normalize_axis(name, axis, x.ndim)
    n = x.shape[ax]
    if n is None:
        raise ShapeError(f"{name}: the scanned axis {axis} must have a known size, got "
                         f"shape {tuple(x.shape)}")
    y = moveaxis(x, ax, -1) if ax != x.ndim - 1 else x
    shift = 1
    while shift < n:
        pad = identity(y[..., :shift])
        y = combine(y, concatenate([pad, y[..., :n - shift]], -1))
        shift *= 2
    return moveaxis(y, -1, ax) if ax != x.ndim - 1 else y


def _scan_input(name: str, x: Any, dtype: Any) -> Any:
    x = _t(x, name)
    if dtype is not None:
        return cast(x, dtype)
    if x.dtype.is_bool:
        return cast(x, _dt.int32)
    return x


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """Running sum along ``axis`` (the flattened tensor when None)."""
    from .creation import zeros_like

    x = _scan_input("cumsum", x, dtype)
    return _scan("cumsum", x, axis, add, zeros_like)


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """Running product along ``axis`` (the flattened tensor when None)."""
    from .creation import ones_like

    x = _scan_input("cumprod", x, dtype)
    return _scan("cumprod", x, axis, multiply, ones_like)


def nancumsum(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """``cumsum`` treating NaN as 0."""
    x = _scan_input("nancumsum", x, dtype)
    return cumsum(where(isnan(x), 0, x) if x.dtype.is_floating else x, axis)


def nancumprod(x: Any, axis: int | None = None, dtype: Any = None) -> Any:
    """``cumprod`` treating NaN as 1."""
    x = _scan_input("nancumprod", x, dtype)
    return cumprod(where(isnan(x), 1, x) if x.dtype.is_floating else x, axis)


# ---- quantiles -----------------------------------------------------------------------------
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _rows(name: str, x: Any, axis: Any) -> tuple:
    """``x`` with the reduced axes flattened into one last axis, and the kept shape."""
    from .shape import reshape, transpose

    axes = normalize_axes(name, axis, x.ndim)
    keep = [a for a in range(x.ndim) if a not in axes]
    if list(axes) != list(range(x.ndim - len(axes), x.ndim)):
        x = transpose(x, tuple(keep) + tuple(axes))
    kept = tuple(x.shape[: len(keep)])
    n = 1
    for d in x.shape[len(keep):]:
        if d is None:
            raise ShapeError(f"{name}: reduced axes must have known sizes, got shape "
                             f"{tuple(x.shape)}")
        n *= d
    if None in kept:
        rows = reshape(x, (-1, n))
    else:
        rows = reshape(x, kept + (n,))
    return rows, axes, kept, n


def _quantile(name: str, x: Any, q: Any, axis: Any, method: str, keepdims: bool,
              nan_aware: bool) -> Any:
    from .indexing import sort, take_along_axis
    from .shape import moveaxis, reshape

    if method not in _METHODS:
        raise InvalidArgumentError(f"{name}: argument 'method': expected one of "
                                   f"{', '.join(_METHODS)}, got {method!r}")
    x = _float(x, name)
    # a Python/NumPy q is converted in x's dtype directly: through float32 first, 0.3
    # would become 0.30000001 and float64 quantiles would be off by ~1e-8
    q = cast(q, x.dtype) if is_tensor(q) else convert_to_tensor(q, dtype=x.dtype, where=name)
    if q.ndim > 1:
        raise ShapeError(f"{name}: argument 'q': expected a scalar or 1-D, got shape "
                         f"{tuple(q.shape)}")
    rows, axes, kept, n = _rows(name, x, axis)
    s = sort(rows, axis=-1)  # NaN sorts last
    nan_rows = _any(isnan(rows), axis=-1, keepdims=True)
    if nan_aware:
        count = _sum(cast(logical_not(isnan(rows)), x.dtype), axis=-1, keepdims=True)
    else:
        count = float(n)
    qv = reshape(q, (1,) * (rows.ndim - 1) + ((q.shape[0],) if q.ndim else (1,)))
    pos = multiply(qv, subtract(count, 1.0))
    lo_f = floor(pos)
    hi_f = minimum(add(lo_f, 1.0), maximum(subtract(count, 1.0), 0.0))

    def pick(p: Any) -> Any:
        idx = cast(minimum(maximum(p, 0.0), float(max(n - 1, 0))), _dt.int32)
        return take_along_axis(s, idx, -1)

    if method == "lower":
        out = pick(lo_f)
    elif method == "higher":
        out = pick(where(greater(pos, lo_f), hi_f, lo_f))
    elif method == "nearest":  # ties go down, as jnp.quantile
        out = pick(where(less_equal(subtract(pos, lo_f), 0.5), lo_f, hi_f))
    elif method == "midpoint":
        lo_v, hi_v = pick(lo_f), pick(where(greater(pos, lo_f), hi_f, lo_f))
        out = multiply(add(lo_v, hi_v), 0.5)
    else:
        lo_v, hi_v = pick(lo_f), pick(hi_f)
        frac = subtract(pos, lo_f)
        out = add(multiply(lo_v, subtract(1.0, frac)), multiply(hi_v, frac))
    if nan_aware:
        out = where(equal(count, 0.0), float("nan"), out)
    else:
        out = where(nan_rows, float("nan"), out)
    # out: kept + (Q,) or kept + (1,)
    nd = x.ndim
    if keepdims:
        shape = tuple(1 if a in axes else x.shape[a] for a in range(nd))
    else:
        shape = tuple(x.shape[a] for a in range(nd) if a not in axes)
    shape = tuple(-1 if d is None else d for d in shape)
    if q.ndim:
        out = moveaxis(out, -1, 0)
        return reshape(out, (q.shape[0],) + shape)
    return reshape(out, shape)


def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear",
             keepdims: bool = False) -> Any:
    """The ``q``-th quantiles (``q`` in [0, 1], scalar or 1-D: its axis comes first)."""
    return _quantile("quantile", x, q, axis, method, keepdims, False)


def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear",
               keepdims: bool = False) -> Any:
    """``quantile`` with ``q`` in percent."""
    return _quantile("percentile", x, _percent(q), axis, method, keepdims, False)


def median(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _quantile("median", x, 0.5, axis, "linear", keepdims, False)


def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear",
                keepdims: bool = False) -> Any:
    """``quantile`` over the non-NaN elements (NaN where there are none)."""
    return _quantile("nanquantile", x, q, axis, method, keepdims, True)


def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear",
                  keepdims: bool = False) -> Any:
    return _quantile("nanpercentile", x, _percent(q), axis, method, keepdims, True)


def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return _quantile("nanmedian", x, 0.5, axis, "linear", keepdims, True)


def _percent(q: Any) -> Any:
    if isinstance(q, (int, float)):
        return q / 100.0
    if isinstance(q, (list, tuple)):
        return [v / 100.0 for v in q]
    return divide(_float(q, "percentile"), 100.0)


# ---- NaN-ignoring reductions -----------------------------------------------------------------
def _nan_zeroed(name: str, x: Any, fill: Any) -> Any:
    x = _t(x, name)
    return where(isnan(x), fill, x) if x.dtype.is_floating else x


def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Sum treating NaN as 0."""
    return _sum(_nan_zeroed("nansum", x, 0), axis=axis, keepdims=keepdims)


def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Product treating NaN as 1."""
    return prod(_nan_zeroed("nanprod", x, 1), axis=axis, keepdims=keepdims)


def _nan_count(x: Any, axis: Any, keepdims: bool) -> Any:
    return _sum(cast(logical_not(isnan(x)), x.dtype), axis=axis, keepdims=keepdims)


def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Mean of the non-NaN elements (NaN where there are none)."""
    x = _float(x, "nanmean")
    return divide(nansum(x, axis=axis, keepdims=keepdims), _nan_count(x, axis, keepdims))


def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Population variance of the non-NaN elements."""
    x = _float(x, "nanvar")
    m = nanmean(x, axis=axis, keepdims=True)
    d = where(isnan(x), 0.0, subtract(x, m))
    return divide(_sum(multiply(d, d), axis=axis, keepdims=keepdims),
                  _nan_count(x, axis, keepdims))


def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def _nan_extreme(name: str, red: Any, fill: float, x: Any, axis: Any,
                 keepdims: bool) -> Any:
    x = _t(x, name)
    if not x.dtype.is_floating:
        return red(x, axis=axis, keepdims=keepdims)
    nan = isnan(x)
    out = red(where(nan, fill, x), axis=axis, keepdims=keepdims)
    return where(_all(nan, axis=axis, keepdims=keepdims), float("nan"), out)


def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Maximum ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme("nanmax", _max, float("-inf"), x, axis, keepdims)


def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Minimum ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme("nanmin", _min, float("inf"), x, axis, keepdims)


def _nan_arg(name: str, red: Any, fill: float, x: Any, axis: Any, keepdims: bool) -> Any:
    x = _t(x, name)
    if not x.dtype.is_floating:
        return red(x, axis=axis, keepdims=keepdims)
    nan = isnan(x)
    out = red(where(nan, fill, x), axis=axis, keepdims=keepdims)
    all_nan = _all(nan, axis=axis, keepdims=keepdims)
    return where(all_nan, -1, out)


def nanargmax(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the largest non-NaN element (-1 where all are NaN, as JAX)."""
    return _nan_arg("nanargmax", argmax, float("-inf"), x, axis, keepdims)


def nanargmin(x: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the smallest non-NaN element (-1 where all are NaN, as JAX)."""
    return _nan_arg("nanargmin", argmin, float("inf"), x, axis, keepdims)


# ---- small statistics ------------------------------------------------------------------------
def average(x: Any, axis: Any = None, weights: Any = None) -> Any:
    """Weighted mean; 1-D ``weights`` with an int ``axis`` weight that axis."""
    from .shape import reshape

    x = _t(x, "average")
    if weights is None:
        return mean(_float(x, "average"), axis=axis)
    w = _t(weights, "average")
    dt = _dt.result_type(x.dtype, w.dtype)
    dt = dt if dt.is_floating else _dt.float32
    x, w = cast(x, dt), cast(w, dt)
    if tuple(w.shape) != tuple(x.shape):
        if axis is None or not isinstance(axis, int) or w.ndim != 1:
            raise ShapeError("average: argument 'weights': must have x's shape, or be 1-D "
                             f"along an int axis; got {tuple(w.shape)} for x of shape "
                             f"{tuple(x.shape)} and axis={axis!r}")
        ax = normalize_axis("average", axis, x.ndim)
        if w.shape[0] != x.shape[ax]:
            raise ShapeError(f"average: argument 'weights': length {w.shape[0]} does not "
                             f"match axis {axis} of size {x.shape[ax]}")
        w = reshape(w, tuple(-1 if a == ax else 1 for a in range(x.ndim)))
        from .creation import zeros_like

        w = add(w, zeros_like(x))
    return divide(_sum(multiply(x, w), axis=axis), _sum(w, axis=axis))


def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Range (max - min) along ``axis``."""
    x = _t(x, "ptp")
    if x.dtype.is_bool:
        raise DTypeError("ptp: bool input has no subtraction; cast it first")
    return subtract(_max(x, axis=axis, keepdims=keepdims), _min(x, axis=axis,
                                                                   keepdims=keepdims))


def corrcoef(x: Any) -> Any:
    """Pearson correlation coefficients of the rows of ``x`` (variables in rows)."""
    from .creation import eye
    from .linalg import matmul
    from .shape import reshape, transpose

    x = _float(x, "corrcoef")
    if x.ndim > 2:
        raise ShapeError(f"corrcoef: expected a 1-D or 2-D input, got shape {tuple(x.shape)}")
    if x.ndim < 2:
        x = reshape(x, (1, -1))
    xc = subtract(x, mean(x, axis=1, keepdims=True))
    c = matmul(xc, transpose(xc))
    d = sqrt(_sum(multiply(c, eye(c.shape[0], dtype=c.dtype)), axis=1))
    out = divide(divide(c, reshape(d, (-1, 1))), reshape(d, (1, -1)))
    out = minimum(maximum(out, -1.0), 1.0)
    return reshape(out, ()) if out.shape == (1, 1) else out


def correlate(x1: Any, x2: Any, mode: str = "valid") -> Any:
    """Cross-correlation of two 1-D tensors: ``c[k] = sum_n x1[n + k] * x2[n]``."""
    from .creation import arange
    from .indexing import take
    from .shape import pad, reshape

    if mode not in ("valid", "same", "full"):
        raise InvalidArgumentError(f"correlate: argument 'mode': expected 'valid', 'same' "
                                   f"or 'full', got {mode!r}")
    a, v = _t(x1, "correlate"), _t(x2, "correlate")
    dt = _dt.result_type(a.dtype, v.dtype)
    dt = dt if dt.is_floating else _dt.float32
    a, v = cast(a, dt), cast(v, dt)
    if a.ndim != 1 or v.ndim != 1:
        raise ShapeError(f"correlate: expected two 1-D tensors, got shapes "
                         f"{tuple(a.shape)} and {tuple(v.shape)}")
    n1, n2 = a.shape[0], v.shape[0]
    if not n1 or not n2:
        raise ShapeError("correlate: inputs must not be empty")
    full = n1 + n2 - 1
    ap = pad(a, ((n2 - 1, n2 - 1),))
    idx = add(reshape(arange(full, dtype="int32"), (full, 1)),
              reshape(arange(n2, dtype="int32"), (1, n2)))
    out = _sum(multiply(take(ap, idx, axis=0), reshape(v, (1, n2))), axis=1)
    if mode == "full":
        return out
    if mode == "same":
        length = builtins.max(n1, n2)
        # NumPy swaps the inputs when x1 is the shorter one (and reverses the result)
        start = (n2 - 1) // 2 if n1 >= n2 else full - length - (n1 - 1) // 2
    else:
        start, length = builtins.min(n1, n2) - 1, abs(n1 - n2) + 1
    return out[start:start + length]


def _static_int(name: str, what: str, t: Any) -> int:
    if is_symbolic(t):
        raise InvalidArgumentError(f"{name}: the output length depends on {what}; pass "
                                   f"concrete tensors (not symbolic ones)")
    return int(t)


def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Any:
    """Occurrences of each value ``0..max(x)`` in a 1-D (or per row of a 2-D) int tensor."""
    from .creation import arange
    from .shape import expand_dims, reshape

    if sparse:
        raise InvalidArgumentError("bincount: argument 'sparse': tensorweave has no sparse "
                                   "tensors; pass sparse=False")
    x = _t(x, "bincount")
    if not x.dtype.is_integer:
        raise DTypeError(f"bincount: argument 'x': expected an integer tensor, got {x.dtype}")
    if x.ndim not in (1, 2):
        raise ShapeError(f"bincount: argument 'x': expected 1-D or 2-D, got shape "
                         f"{tuple(x.shape)}")
    top = _static_int("bincount", "max(x)", _max(x)) if _size(x) else -1
    if _size(x) and _static_int("bincount", "min(x)", _min(x)) < 0:
        raise InvalidArgumentError("bincount: argument 'x': values must be non-negative")
    length = builtins.max(top + 1, int(minlength))
    hit = equal(expand_dims(x, -1), reshape(arange(length, dtype=x.dtype),
                                            (1,) * x.ndim + (length,)))
    if weights is None:
        return _sum(cast(hit, _dt.int32), axis=-2)
    w = _t(weights, "bincount")
    if tuple(w.shape) != tuple(x.shape):
        raise ShapeError(f"bincount: argument 'weights': expected x's shape "
                         f"{tuple(x.shape)}, got {tuple(w.shape)}")
    wd = _dt.int32 if w.dtype.is_bool else w.dtype
    return _sum(where(hit, expand_dims(cast(w, wd), -1), 0), axis=-2)


def _size(x: Any) -> int:
    n = 1
    for d in x.shape:
        n *= d if d is not None else 1
    return n


def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Any:
    """Indices where ``values`` would be inserted to keep the 1-D sequence sorted."""
    from .shape import expand_dims

    if side not in ("left", "right"):
        raise InvalidArgumentError(f"searchsorted: argument 'side': expected 'left' or "
                                   f"'right', got {side!r}")
    seq = _t(sorted_sequence, "searchsorted")
    if seq.ndim != 1:
        raise ShapeError(f"searchsorted: argument 'sorted_sequence': expected 1-D, got "
                         f"shape {tuple(seq.shape)}")
    from ._dispatch import coerce_pair

    v, seq = coerce_pair("searchsorted", _t(values, "searchsorted"), seq)
    cmp = less if side == "left" else less_equal
    return _sum(cast(cmp(seq, expand_dims(v, -1)), _dt.int32), axis=-1)


def digitize(x: Any, bins: Any) -> Any:
    """Index of the bin of each ``x`` (``bins`` 1-D, increasing or decreasing)."""
    from .shape import expand_dims

    b = _t(bins, "digitize")
    if b.ndim != 1:
        raise ShapeError(f"digitize: argument 'bins': expected 1-D, got shape "
                         f"{tuple(b.shape)}")
    from ._dispatch import coerce_pair

    xv, b = coerce_pair("digitize", _t(x, "digitize"), b)
    xe = expand_dims(xv, -1)
    up = _sum(cast(less_equal(b, xe), _dt.int32), axis=-1)
    if b.shape[0] is not None and b.shape[0] < 2:
        return up
    down = _sum(cast(greater(b, xe), _dt.int32), axis=-1)
    return where(greater_equal(b[-1], b[0]), up, down)


def histogram(x: Any, bins: int = 10, range: Any = None) -> tuple:  # noqa: A002
    """Counts of ``x`` in ``bins`` equal bins over ``range`` (default: [min, max]).

    Bins are half-open ``[e_i, e_i+1)`` except the last, which includes its right edge;
    values outside the range are not counted. Returns ``(counts, bin_edges)``.
    """
    from .creation import arange
    from .shape import expand_dims, reshape

    if not isinstance(bins, int) or isinstance(bins, bool) or bins <= 0:
        raise InvalidArgumentError(f"histogram: argument 'bins': expected a positive int, "
                                   f"got {bins!r}")
    x = _float(x, "histogram")
    if x.ndim != 1:
        raise ShapeError(f"histogram: argument 'x': expected a 1-D tensor, got shape "
                         f"{tuple(x.shape)}")
    if range is None:
        lo, hi = _min(x), _max(x)
    else:
        if len(range) != 2 or range[0] > range[1]:
            raise InvalidArgumentError(f"histogram: argument 'range': expected (min, max) "
                                       f"with min <= max, got {range!r}")
        lo = convert_to_tensor(float(range[0]), x.dtype)
        hi = convert_to_tensor(float(range[1]), x.dtype)
    same = equal(lo, hi)
    lo, hi = where(same, subtract(lo, 0.5), lo), where(same, add(hi, 0.5), hi)
    frac = divide(cast(arange(bins + 1, dtype="int32"), x.dtype), float(bins))
    edges = add(lo, multiply(subtract(hi, lo), frac))
    inner = edges[1:-1]
    idx = _sum(cast(greater_equal(expand_dims(x, -1), reshape(inner, (1, -1))), _dt.int32),
               axis=-1)
    inside = logical_and(greater_equal(x, lo), less_equal(x, hi))
    hit = equal(expand_dims(idx, -1), reshape(arange(bins, dtype="int32"), (1, bins)))
    hit = logical_and(hit, expand_dims(inside, -1))
    counts = _sum(cast(hit, x.dtype), axis=0)
    return counts, edges


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Any:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule."""
    from .shape import moveaxis

    yv = _float(y, "trapezoid")
    ax = normalize_axis("trapezoid", axis, yv.ndim)
    ym = moveaxis(yv, ax, -1) if ax != yv.ndim - 1 else yv
    mid = multiply(add(ym[..., 1:], ym[..., :-1]), 0.5)
    if x is None:
        return multiply(_sum(mid, axis=-1), float(dx))
    xv = _t(x, "trapezoid")
    if not xv.dtype.is_floating:
        xv = cast(xv, yv.dtype)
    if xv.ndim == 1:
        d = subtract(xv[1:], xv[:-1])
    else:
        xm = moveaxis(xv, ax, -1) if ax != xv.ndim - 1 else xv
        d = subtract(xm[..., 1:], xm[..., :-1])
    return _sum(multiply(mid, d), axis=-1)


def in_top_k(targets: Any, predictions: Any, k: int) -> Any:
    """Whether each target class is among the ``k`` highest predictions of its row
    (Keras's rule: its rank is 1 + the number of strictly larger predictions, so ties
    count in its favour; a NaN prediction at the target ranks last)."""
    from .indexing import take_along_axis
    from .reduction import sum as _sum
    from .shape import expand_dims

    name = "in_top_k"
    t = targets if is_tensor(targets) or is_symbolic(targets) else \
        convert_to_tensor(targets, where=name)
    p = predictions if is_tensor(predictions) or is_symbolic(predictions) else \
        convert_to_tensor(predictions, where=name)
    if p.ndim != 2 or t.ndim != 1:
        raise ShapeError(f"{name}: expected targets (batch,) and predictions (batch, "
                         f"classes), got {tuple(t.shape)} and {tuple(p.shape)}")
    if t.dtype.kind not in "iu":
        raise DTypeError(f"{name}: argument 'targets': expected integer class ids, got "
                         f"{t.dtype}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgumentError(f"{name}: argument 'k': expected a positive int, got "
                                   f"{k!r}")
    at_label = take_along_axis(p, expand_dims(cast(t, "int32"), -1), axis=-1)
    at_label = where(isnan(at_label), float("-inf"), at_label)
    rank = add(_sum(cast(greater(p, at_label), "int32"), axis=-1), 1)
    return less(rank, k + 1)
