"""Segment reductions (``keras.ops.segment_sum`` ...) over the first axis of ``data``.

Each is a composite: a ``(num_segments, N)`` membership mask from ``segment_ids``, then a
masked reduction over ``N`` (a matmul-like ``einsum`` for the sum; ``max``/``min``/``prod``
over the mask broadcast against ``data``). Ids outside ``[0, num_segments)`` are dropped,
as JAX drops them; an empty segment gets the reduction's identity (0, -inf / the
integer minimum, +inf / the integer maximum, 1), as ``jax.ops.segment_*`` gives.
"""

from __future__ import annotations

from typing import Any

from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ._dispatch import convert_to_tensor, is_symbolic, is_tensor

__all__ = ["segment_sum", "segment_max", "segment_min", "segment_prod"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _setup(name: str, data: Any, segment_ids: Any, num_segments: Any) -> tuple:
    """``data``, the ``(num_segments, N)`` membership mask and ``num_segments``."""
    from .creation import arange
    from .elementwise import equal
    from .reduction import max as _max
    from .shape import expand_dims

    data, ids = _prep(name, data), _prep(name, segment_ids)
    if ids.dtype.is_floating or ids.dtype.is_bool:
        raise DTypeError(f"{name}: argument 'segment_ids': expected integers, got {ids.dtype}")
    if ids.ndim != 1:
        raise ShapeError(f"{name}: argument 'segment_ids': expected a 1-d tensor, got shape "
                         f"{tuple(ids.shape)}")
    if data.ndim < 1 or (data.shape[0] is not None and ids.shape[0] is not None
                         and data.shape[0] != ids.shape[0]):
        raise ShapeError(f"{name}: argument 'segment_ids': expected one id per row of data "
                         f"(shape {tuple(data.shape)}), got shape {tuple(ids.shape)}")
    if num_segments is None:
        if is_symbolic(ids):
            raise InvalidArgumentError(f"{name}: argument 'num_segments': needed when "
                                       "segment_ids is symbolic")
        num_segments = int(_max(ids).numpy()) + 1 if ids.shape[0] else 0
    num_segments = int(num_segments)
    if num_segments < 0:
        raise InvalidArgumentError(f"{name}: argument 'num_segments': expected >= 0, got "
                                   f"{num_segments}")
    seg = arange(num_segments, dtype=ids.dtype)
    mask = equal(expand_dims(seg, 1), expand_dims(ids, 0))  # (S, N)
    return data, mask, num_segments


def _masked(data: Any, mask: Any, fill: Any) -> Any:
    """``data`` broadcast to ``(S, N, ...)`` with ``fill`` outside each segment."""
    from .elementwise import where
    from .shape import expand_dims, reshape

    m = reshape(mask, tuple(mask.shape) + (1,) * (data.ndim - 1))
    return where(m, expand_dims(data, 0), fill)


def segment_sum(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Any:  # noqa: A002
    """Sum of the rows of ``data`` in each segment; ``sorted`` is only a hint."""
    from .elementwise import cast
    from .linalg import einsum

    data, mask, _ = _setup("segment_sum", data, segment_ids, num_segments)
    if data.dtype.is_bool:
        raise DTypeError("segment_sum: argument 'data': booleans are not supported")
    return einsum("sn,n...->s...", cast(mask, data.dtype), data)


def _identity(dtype: Any, for_max: bool) -> Any:
    if dtype.is_floating:
        return float("-inf") if for_max else float("inf")
    if dtype.is_bool:
        return not for_max
    return dtype.min if for_max else dtype.max


def segment_max(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Any:  # noqa: A002
    """Maximum of the rows of ``data`` in each segment (-inf, or the integer minimum,
    for an empty one)."""
    from .reduction import max as _max

    data, mask, _ = _setup("segment_max", data, segment_ids, num_segments)
    return _max(_masked(data, mask, _identity(data.dtype, True)), axis=1)


def segment_min(data: Any, segment_ids: Any, num_segments: int | None = None,
                sorted: bool = False) -> Any:  # noqa: A002
    """Minimum of the rows of ``data`` in each segment (+inf, or the integer maximum,
    for an empty one)."""
    from .reduction import min as _min

    data, mask, _ = _setup("segment_min", data, segment_ids, num_segments)
    return _min(_masked(data, mask, _identity(data.dtype, False)), axis=1)


def segment_prod(data: Any, segment_ids: Any, num_segments: int | None = None,
                 sorted: bool = False) -> Any:  # noqa: A002
    """Product of the rows of ``data`` in each segment (1 for an empty one)."""
    from .reduction import prod

    data, mask, _ = _setup("segment_prod", data, segment_ids, num_segments)
    return prod(_masked(data, mask, True if data.dtype.is_bool else 1), axis=1)
