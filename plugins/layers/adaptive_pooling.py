"""Adaptive pooling layers: AdaptiveAverage/MaxPooling1D/2D/3D (Keras 3).

They pool any spatial size down to a fixed ``output_size`` with PyTorch's bins (bin ``i``
of ``L`` cells covers ``[floor(i L / out), ceil((i + 1) L / out))``), through the
``adaptive_average_pool`` / ``adaptive_max_pool`` ops; channels_first inputs are handled
by the ops themselves. No weights.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError

from .base import Layer
from .reshaping import check_rank, layer_label, normalize_data_format

__all__ = ["AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]

_SPATIAL = {1: "length", 2: "height, width", 3: "depth, height, width"}


class _AdaptivePooling(Layer):
    rank = 2
    _mode = "average"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        sizes = (output_size,) * self.rank if isinstance(output_size, int) else output_size
        try:
            sizes = tuple(sizes)
        except TypeError:
            sizes = ()
        if len(sizes) != self.rank or any(isinstance(s, bool) or not isinstance(s, int)
                                          or s < 1 for s in sizes):
            raise InvalidArgumentError(f"{where}: argument 'output_size': expected a positive "
                                       f"int or {self.rank} of them, got {output_size!r}")
        self.output_size = sizes
        self.data_format = normalize_data_format(where, data_format)

    def _layout(self) -> str:
        sp = _SPATIAL[self.rank]
        return f"(batch, {sp}, channels)" if self.data_format == "channels_last" else \
            f"(batch, channels, {sp})"

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, self.rank + 2, self._layout())
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, self._layout())
        op = ops.nn.adaptive_average_pool if self._mode == "average" else \
            ops.nn.adaptive_max_pool
        return op(inputs, self.output_size, self.data_format)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if self.data_format == "channels_last":
            return (shape[0], *self.output_size, shape[-1])
        return (shape[0], shape[1], *self.output_size)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"output_size": self.output_size, "data_format": self.data_format})
        return config


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over adaptive bins so ``(batch, length, channels)`` gets ``output_size`` steps."""

    rank = 1
    _mode = "average"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over adaptive bins so images get ``output_size`` (height, width)."""

    rank = 2
    _mode = "average"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over adaptive bins so volumes get ``output_size`` (depth, height, width)."""

    rank = 3
    _mode = "average"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Max over adaptive bins so ``(batch, length, channels)`` gets ``output_size`` steps."""

    rank = 1
    _mode = "max"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Max over adaptive bins so images get ``output_size`` (height, width)."""

    rank = 2
    _mode = "max"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Max over adaptive bins so volumes get ``output_size`` (depth, height, width)."""

    rank = 3
    _mode = "max"

    def __init__(self, output_size: Any, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(output_size, data_format, **kwargs)
