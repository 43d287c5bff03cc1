"""Pooling layers: Max/AveragePooling1D/2D/3D and GlobalMax/GlobalAveragePooling1D/2D/3D.

Window pooling runs the channels-last ``max_pool``/``avg_pool`` ops (``avg`` with
``"same"`` padding divides by the number of real cells, as Keras does); channels_first
inputs are transposed around them. Global pooling is a plain reduction over the spatial
axes, so it needs no transpose in either layout.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops

from .base import Layer
from .reshaping import (
    check_rank,
    from_channels_last,
    layer_label,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    to_channels_last,
)

__all__ = ["MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
           "AveragePooling2D", "AveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "GlobalMaxPooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "GlobalAveragePooling3D"]

_SPATIAL = {1: "steps", 2: "height, width", 3: "d1, d2, d3"}


def _layout(rank: int, data_format: str) -> str:
    sp = _SPATIAL[rank]
    return f"(batch, {sp}, channels)" if data_format == "channels_last" else \
        f"(batch, channels, {sp})"


class _Pooling(Layer):
    rank = 2
    _mode = "max"

    def __init__(self, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        self.pool_size = normalize_tuple(where, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else \
            normalize_tuple(where, "strides", strides, self.rank)
        self.padding = normalize_padding(where, padding)
        self.data_format = normalize_data_format(where, data_format)

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, self.rank + 2, _layout(self.rank, self.data_format))
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, _layout(self.rank, self.data_format))
        x = to_channels_last(inputs, self.data_format)
        pool = ops.max_pool if self._mode == "max" else ops.avg_pool
        y = pool(x, self.pool_size, self.strides, self.padding, "channels_last")
        return from_channels_last(y, self.data_format)


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps (``strides`` default to ``pool_size``)."""

    rank = 1
    _mode = "max"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling2D(_Pooling):
    """Max over ``pool_size`` windows of images; halves height and width by default."""

    rank = 2
    _mode = "max"

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class MaxPooling3D(_Pooling):
    """Max over 3-D windows."""

    rank = 3
    _mode = "max"

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps; with ``"same"`` padding the padded
    cells are not counted."""

    rank = 1
    _mode = "avg"

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling2D(_Pooling):
    """Mean over ``pool_size`` windows of images; with ``"same"`` padding the
    padded cells are not counted."""

    rank = 2
    _mode = "avg"

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class AveragePooling3D(_Pooling):
    """Mean over 3-D windows."""

    rank = 3
    _mode = "avg"

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, data_format, name=name, **kwargs)


class _GlobalPooling(Layer):
    rank = 2
    _mode = "max"

    def __init__(self, data_format: str | None = None, keepdims: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(layer_label(self), data_format)
        self.keepdims = bool(keepdims)

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, self.rank + 2, _layout(self.rank, self.data_format))
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, _layout(self.rank, self.data_format))
        first = 1 if self.data_format == "channels_last" else 2
        axes = tuple(range(first, first + self.rank))
        if self._mode == "max":
            return ops.max(inputs, axis=axes, keepdims=self.keepdims)
        return ops.mean(inputs, axis=axes, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps axis: ``(batch, steps, c) -> (batch, c)``."""

    rank = 1
    _mode = "max"


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width: ``(batch, h, w, c) -> (batch, c)``."""

    rank = 2
    _mode = "max"


class GlobalMaxPooling3D(_GlobalPooling):
    """Max over the three spatial axes."""

    rank = 3
    _mode = "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis; with a mask (``Embedding(mask_zero=True)``), the mean
    over the unmasked steps only (Keras)."""

    rank = 1
    _mode = "avg"

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return super().call(inputs)
        check_rank(self, inputs.shape, 3, _layout(1, self.data_format))
        steps_axis = 1 if self.data_format == "channels_last" else 2
        m = ops.cast(mask, inputs.dtype)
        m = ops.expand_dims(m, 2 if self.data_format == "channels_last" else 1)
        total = ops.sum(ops.multiply(inputs, m), axis=steps_axis, keepdims=self.keepdims)
        count = ops.sum(m, axis=steps_axis, keepdims=self.keepdims)
        return ops.divide(total, ops.maximum(count, 1.0))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width (the usual classifier head of a CNN)."""

    rank = 2
    _mode = "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    """Mean over the three spatial axes."""

    rank = 3
    _mode = "avg"
