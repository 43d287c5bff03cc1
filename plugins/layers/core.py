"""Core layers: Dense, Activation, Dropout, Flatten."""

from __future__ import annotations

from typing import Any

import tensorweave.activations as _activations
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Masking"]


class Dense(Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis."""

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, v in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                       ("quantization_config", quantization_config)):
            if v is not None:
                raise InvalidArgumentError(
                    f"Dense: argument {arg!r}: LoRA and quantization are not supported, "
                    f"got {v!r} (expected None)")
        if not isinstance(units, int) or units <= 0:
            raise InvalidArgumentError(f"Dense: argument 'units': expected a positive int, "
                                       f"got {units!r}")
        self.units = units
        self.activation = _activations.get(activation) if activation is not None else None
        self.use_bias = use_bias
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.supports_masking = True

    def get_config(self) -> dict:
        config = super().get_config()
        for k in ("lora_rank", "lora_alpha", "quantization_config"):  # Keras: only when set
            config.pop(k, None)
        return config

    def build(self, input_shape: Any) -> None:
        last = input_shape[-1]
        if last is None:
            raise ShapeError(f"Dense {self.name!r}: the last input dimension must be known, "
                             f"got input shape {tuple(input_shape)}")
        self.kernel = self.add_weight((last, self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self.add_weight((self.units,), self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        self.built = True

    def call(self, inputs: Any) -> Any:
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ShapeError(f"Dense {self.name!r}: argument 'inputs': expected last "
                             f"dimension {self.kernel.shape[0]}, got shape {tuple(inputs.shape)}")
        y = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        if self.activation is not None:
            y = self.activation(y)
        return y


class Activation(Layer):
    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = _activations.get(activation)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)


class Dropout(Layer):
    """Zeroes a fraction ``rate`` of inputs while training, scaling the rest by
    ``1 / (1 - rate)``; the identity at inference."""

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise InvalidArgumentError(f"Dropout: argument 'rate': expected a value in [0, 1), "
                                       f"got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        return _random.dropout(inputs, self.rate, noise_shape=self.noise_shape,
                               seed=self.seed_generator)


class Flatten(Layer):
    """``(batch, ...) -> (batch, features)``. With ``data_format="channels_first"`` the
    channel axis is moved last first, so the feature order is the same in both layouts
    (a model converted between layouts keeps its Dense weights), as in Keras."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        from .reshaping import layer_label, normalize_data_format

        self.data_format = normalize_data_format(layer_label(self), data_format)

    def call(self, inputs: Any) -> Any:
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        rest = 1
        for d in inputs.shape[1:]:
            if d is None:
                raise ShapeError(f"Flatten {self.name!r}: non-batch dims must be known, got "
                                 f"{tuple(inputs.shape)}")
            rest *= d
        if inputs.shape[0] is None:
            return ops.reshape(inputs, (-1, rest))
        return ops.reshape(inputs, (inputs.shape[0], rest))


class Masking(Layer):
    """Marks the timesteps whose features all equal ``mask_value`` as padding: they are
    zeroed and carry a mask that later layers (recurrent layers, pooling over time, the
    loss) skip (Keras's Masking)."""

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float)):
            raise InvalidArgumentError(f"Masking: argument 'mask_value': expected a number, "
                                       f"got {mask_value!r}")
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.multiply(inputs, ops.cast(keep, inputs.dtype))
