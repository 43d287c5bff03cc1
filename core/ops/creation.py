"""Creation ops: ``full``, ``arange`` (primitives) and what is built from them.

Creation ops with no tensor input run on the current backend. ``zeros_like`` and friends
take their shape from a tensor, so they also work on symbolic tensors.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import InvalidArgumentError
from ..shapes import check_shape
from ._dispatch import apply, convert_to_tensor, defop, is_tensor

__all__ = ["full", "zeros", "ones", "empty", "arange", "eye", "identity", "linspace",
           "zeros_like", "ones_like", "full_like", "tri", "tril", "triu"]


def _fill_value(value: Any, dtype: Any) -> Any:
    if dtype.is_floating:
        return float(value)
    if dtype.is_bool:
        return bool(value)
    v = int(value)
    if not dtype.min <= v <= dtype.max:
        raise InvalidArgumentError(f"full: fill value {value} is out of bounds for {dtype}")
    return v


FULL = defop("full", lambda specs, shape, value, dtype: (shape, dtype), family="creation",
             differentiable=False, doc="A tensor of `shape` filled with `value`.")


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Any:
    shape = check_shape("full", shape)
    if dtype is None:
        dtype = _dt.scalar_dtype(fill_value) if isinstance(fill_value, (bool, int, float)) \
            else _dt.float32
    dtype = _dt.canonicalize(dtype)
    return apply(FULL, (), {"shape": shape, "value": _fill_value(fill_value, dtype),
                            "dtype": dtype})


def _floatx(dtype: Any) -> Any:
    """``dtype``, or the default float type (floatx) when it is None (as Keras)."""
    if dtype is None:
        from ..backend import floatx

        return floatx()
    return dtype


def zeros(shape: Any, dtype: Any = None) -> Any:
    return full(shape, 0, _floatx(dtype))


def ones(shape: Any, dtype: Any = None) -> Any:
    return full(shape, 1, _floatx(dtype))


def empty(shape: Any, dtype: Any = None) -> Any:
    """An uninitialised tensor in Keras; here always zeros (deterministic)."""
    return full(shape, 0, _floatx(dtype))


def _like_rule(specs: list, value: Any, dtype: Any) -> tuple:
    return specs[0].shape, dtype or specs[0].dtype


def _full_like_impl(x: Any, value: Any, dtype: Any) -> Any:
    return full(x.shape, value, dtype or x.dtype)


FULL_LIKE = defop("full_like", _like_rule, decompose=_full_like_impl, family="creation",
                  differentiable=False, vjp=lambda g, out, x, value, dtype: (None,))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    x = x if is_tensor(x) else convert_to_tensor(x, where="full_like")
    d = _dt.canonicalize(dtype) if dtype is not None else x.dtype
    return apply(FULL_LIKE, (x,), {"value": _fill_value(fill_value, d), "dtype": d})


def zeros_like(x: Any, dtype: Any = None) -> Any:
    return full_like(x, 0, dtype)


def ones_like(x: Any, dtype: Any = None) -> Any:
    return full_like(x, 1, dtype)


def _arange_rule(specs: list, start: Any, stop: Any, step: Any, dtype: Any) -> tuple:
    n = max(0, math.ceil((stop - start) / step))
    return (n,), dtype


ARANGE = defop("arange", _arange_rule, family="creation", differentiable=False,
               doc="start + step * i for i in range(n); n = ceil((stop - start) / step).")


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> Any:
    """``start, start + step, ...`` below ``stop``; int32 for ints, floatx for floats."""
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    if step == 0:
        raise InvalidArgumentError("arange: argument 'step': must not be 0")
    if dtype is None:
        is_f = any(isinstance(v, float) for v in (start, stop, step))
        dtype = _floatx(None) if is_f else _dt.int32
    dtype = _dt.canonicalize(dtype)
    conv = float if dtype.is_floating else int
    return apply(ARANGE, (), {"start": conv(start), "stop": conv(stop), "step": conv(step),
                              "dtype": dtype})


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced samples from ``start`` to ``stop``.

    ``start``/``stop`` may be tensors (broadcast together); the samples then run along
    ``axis`` of the result. ``retstep=True`` also returns the spacing.
    """
    from .elementwise import add, cast, divide, multiply, subtract
    from .shape import moveaxis, reshape

    num = int(num)
    if num < 0:
        raise InvalidArgumentError(f"linspace: argument 'num': must be >= 0, got {num}")
    dtype = _dt.canonicalize(_floatx(dtype))
    scalar = not is_tensor(start) and not is_tensor(stop) \
        and isinstance(start, (int, float)) and isinstance(stop, (int, float))
    div = (num - 1) if endpoint else num
    if scalar:
        step: Any = (stop - start) / div if div > 0 else float("nan")
        r = arange(num, dtype=_dt.float64) if num else zeros((0,), _dt.float64)
        out = cast(add(multiply(r, 0.0 if div <= 0 else step), float(start)), dtype)
        if endpoint and num > 1:
            from .shape import concatenate

            out = concatenate([out[:-1], cast(convert_to_tensor([float(stop)]), dtype)], 0)
        return (out, cast(convert_to_tensor(step), dtype)) if retstep else out
    start = cast(start if is_tensor(start) else convert_to_tensor(start), _dt.float64
                 if dtype is _dt.float64 else _dt.float32)
    stop = cast(stop if is_tensor(stop) else convert_to_tensor(stop), start.dtype)
    delta = subtract(stop, start)
    step = divide(delta, float(div)) if div > 0 else multiply(delta, float("nan"))
    r = cast(arange(num, dtype=_dt.int32), start.dtype) if num else zeros((0,), start.dtype)
    nd = len(delta.shape)
    r = reshape(r, (num,) + (1,) * nd)
    out = add(multiply(r, step if div > 0 else 0.0), start)
    ax = axis if axis >= 0 else axis + nd + 1
    if ax != 0:
        out = moveaxis(out, 0, ax)
    out = cast(out, dtype)
    return (out, cast(step, dtype)) if retstep else out


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    from .elementwise import cast, equal, subtract
    from .shape import reshape

    M = N if M is None else M
    rows = reshape(arange(N, dtype=_dt.int32), (N, 1))
    cols = reshape(arange(M, dtype=_dt.int32), (1, M))
    return cast(equal(subtract(cols, rows), k), _floatx(dtype))


def identity(n: int, dtype: Any = None) -> Any:
    return eye(n, dtype=dtype)


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Any:
    from .elementwise import cast, less_equal, subtract
    from .shape import reshape

    M = N if M is None else M
    rows = reshape(arange(N, dtype=_dt.int32), (N, 1))
    cols = reshape(arange(M, dtype=_dt.int32), (1, M))
    return cast(less_equal(subtract(cols, rows), k), _floatx(dtype))


def tril(x: Any, k: int = 0) -> Any:
    from .elementwise import where

    n, m = x.shape[-2], x.shape[-1]
    return where(tri(n, m, k, dtype="bool"), x, 0)


def triu(x: Any, k: int = 0) -> Any:
    from .elementwise import where

    n, m = x.shape[-2], x.shape[-1]
    return where(tri(n, m, k - 1, dtype="bool"), 0, x)
