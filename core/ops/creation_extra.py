"""More creation ops, as ``keras.ops``: ``array``, ``empty_like``, ``geomspace``,
``logspace``, ``meshgrid``, ``vander`` and the window functions ``bartlett``, ``blackman``,
``hamming``, ``hanning`` and ``kaiser``.

All are composites of ``arange``/``linspace`` and elementwise ops, so they run on every
backend; the windows return floatx (float32 by default), as Keras.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, ShapeError
from ._dispatch import convert_to_tensor, is_tensor
from .creation import _floatx, arange, linspace, zeros, zeros_like
from .elementwise import (
    abs,
    add,
    cast,
    cos,
    divide,
    exp,
    log,
    maximum,
    multiply,
    power,
    sign,
    sqrt,
    subtract,
)

__all__ = ["array", "empty_like", "geomspace", "logspace", "meshgrid", "vander",
           "bartlett", "blackman", "hamming", "hanning", "kaiser"]


def array(x: Any, dtype: Any = None) -> Any:
    """A tensor of ``x`` (as ``convert_to_tensor``)."""
    return convert_to_tensor(x, dtype)


def empty_like(x: Any, dtype: Any = None) -> Any:
    """A tensor shaped like ``x``; uninitialised in Keras, zeros here (deterministic)."""
    return zeros_like(x if is_tensor(x) else convert_to_tensor(x), dtype)


def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10,
             dtype: Any = None, axis: int = 0) -> Any:
    """``base ** linspace(start, stop, num)``."""
    lin = linspace(start, stop, num, endpoint=endpoint, axis=axis,
                   dtype=_dt.float64 if _floatx(dtype) in ("float64", _dt.float64)
                   else _dt.float32)
    out = power(cast(base, lin.dtype) if is_tensor(base) else float(base), lin)
    return cast(out, _floatx(dtype))


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Any:
    """``num`` samples evenly spaced on a log scale from ``start`` to ``stop`` (same sign)."""
    from .shape import expand_dims

    if isinstance(start, (int, float)) and isinstance(stop, (int, float)) \
            and (start == 0 or stop == 0):
        raise InvalidArgumentError("geomspace: arguments 'start' and 'stop' must not be 0")
    work = _dt.float64 if _floatx(dtype) in ("float64", _dt.float64) else _dt.float32
    s0 = cast(start if is_tensor(start) else convert_to_tensor(start), work)
    s1 = cast(stop if is_tensor(stop) else convert_to_tensor(stop), work)
    sgn = sign(s0)
    # log(stop * sign(start)): NaN when the signs differ, as jnp.geomspace
    out = exp(linspace(log(abs(s0)), log(multiply(s1, sgn)), num, endpoint=endpoint,
                       dtype=work, axis=axis))
    if sgn.ndim:
        ax = axis if axis >= 0 else axis + out.ndim
        sgn = expand_dims(sgn, ax)
    return cast(multiply(out, sgn), _floatx(dtype))


def meshgrid(*x: Any, indexing: str = "xy") -> list:
    """Coordinate grids from 1-D coordinate vectors (``"xy"``: Cartesian, ``"ij"``: matrix
    indexing)."""
    from .shape import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise InvalidArgumentError(f"meshgrid: argument 'indexing': expected 'xy' or 'ij', "
                                   f"got {indexing!r}")
    xs = [v if is_tensor(v) else convert_to_tensor(v) for v in x]
    for i, v in enumerate(xs):
        if v.ndim != 1:
            xs[i] = reshape(v, (-1,))
    n = len(xs)
    sizes = [v.shape[0] for v in xs]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, v in enumerate(xs):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        shape = tuple(-1 if j == pos else 1 for j in range(n))
        out.append(broadcast_to(reshape(v, shape), tuple(sizes)))
    return out


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix of 1-D ``x``: columns ``x ** (N-1) ... x ** 0``."""
    from .shape import reshape

    x = x if is_tensor(x) else convert_to_tensor(x)
    if x.ndim != 1:
        raise ShapeError(f"vander: argument 'x': expected a 1-D tensor, got shape "
                         f"{tuple(x.shape)}")
    N = x.shape[0] if N is None else int(N)
    if N < 0:
        raise InvalidArgumentError(f"vander: argument 'N': must be >= 0, got {N}")
    if x.dtype.is_bool:
        x = cast(x, _dt.int32)
    exps = arange(N, dtype=_dt.int32) if increasing else arange(N - 1, -1, -1, dtype=_dt.int32)
    return power(reshape(x, (-1, 1)), reshape(cast(exps, x.dtype), (1, N)))


# ---- windows ---------------------------------------------------------------------------
def _window_len(name: str, x: Any) -> int:
    try:
        m = int(x)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name}: argument 'x': expected the window length (an "
                                   f"int), got {x!r}") from None
    return m


def _symmetric(name: str, x: Any, fn: Any) -> Any:
    m = _window_len(name, x)
    if m < 1:
        return zeros((0,), _floatx(None))
    if m == 1:
        return cast(convert_to_tensor([1.0]), _floatx(None))
    n = cast(arange(1 - m, m, 2, dtype=_dt.int32), _dt.float32)
    return cast(fn(n, float(m - 1)), _floatx(None))


def bartlett(x: Any) -> Any:
    """The triangular (Bartlett) window of length ``x``."""
    return _symmetric("bartlett", x, lambda n, d: subtract(1.0, divide(abs(n), d)))


def blackman(x: Any) -> Any:
    """The Blackman window of length ``x``."""
    def fn(n: Any, d: Any) -> Any:
        t = divide(multiply(n, math.pi), d)
        return add(add(0.42, multiply(cos(t), 0.5)), multiply(cos(multiply(t, 2.0)), 0.08))
    return _symmetric("blackman", x, fn)


def hamming(x: Any) -> Any:
    """The Hamming window of length ``x``."""
    return _symmetric("hamming", x, lambda n, d: add(
        0.54, multiply(cos(divide(multiply(n, math.pi), d)), 0.46)))


def hanning(x: Any) -> Any:
    """The Hann window of length ``x``."""
    return _symmetric("hanning", x, lambda n, d: add(
        0.5, multiply(cos(divide(multiply(n, math.pi), d)), 0.5)))


def kaiser(x: Any, beta: Any) -> Any:
    """The Kaiser window of length ``x`` with shape parameter ``beta``."""
    from .elementwise_math import i0

    m = _window_len("kaiser", x)
    if m < 1:
        return zeros((0,), _floatx(None))
    if m == 1:
        return cast(convert_to_tensor([1.0]), _floatx(None))
    n = cast(arange(m, dtype=_dt.int32), _dt.float32)
    alpha = (m - 1) / 2.0
    r = divide(subtract(n, alpha), alpha)
    b = cast(beta, _dt.float32) if is_tensor(beta) else float(beta)
    arg = multiply(b, sqrt(maximum(subtract(1.0, multiply(r, r)), 0.0)))
    return cast(divide(i0(arg), i0(b if is_tensor(b) else convert_to_tensor(b))),
                _floatx(None))
