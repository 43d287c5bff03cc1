"""Regularization layers active only while training: GaussianNoise, GaussianDropout,
AlphaDropout, SpatialDropout1D/2D/3D, and ActivityRegularization (always).

Their randomness comes from a per-layer ``SeedGenerator``, so a seeded layer draws the
same noise on every backend (the random ops are bit-identical across backends).
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError

from .base import Layer
from .reshaping import layer_label, normalize_data_format

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
           "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization"]


def _rate(layer: Layer, arg: str, value: Any, *, upper: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0.0 <= value < upper:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected a "
                                   f"number in [0, {upper}), got {value!r}")
    return float(value)


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` while training."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = _rate(self, "stddev", stddev, upper=math.inf)
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not training or self.stddev == 0:
            return inputs
        noise = _random.normal(tuple(inputs.shape), stddev=self.stddev, dtype=inputs.dtype,
                               seed=self.seed_generator)
        return ops.add(inputs, noise)


class GaussianDropout(Layer):
    """Multiplies by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` while
    training."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _rate(self, "rate", rate)
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        noise = _random.normal(tuple(inputs.shape), mean=1.0, stddev=stddev,
                               dtype=inputs.dtype, seed=self.seed_generator)
        return ops.multiply(inputs, noise)


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations: dropped values are
    set to SELU's negative saturation ``-alpha * scale`` and the result is rescaled by
    ``a * x + b`` (Klambauer et al., 2017; Keras's AlphaDropout)."""

    _ALPHA = 1.6732632423543772848170429916717
    _SCALE = 1.0507009873554804934193349852946

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _rate(self, "rate", rate)
        self.noise_shape = noise_shape
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        if not training or self.rate == 0:
            return inputs
        shape = tuple(inputs.shape) if self.noise_shape is None else tuple(
            d if d is not None else s for d, s in zip(self.noise_shape, inputs.shape))
        alpha_p = -self._ALPHA * self._SCALE
        p = self.rate
        a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * p
        u = _random.uniform(shape, dtype=inputs.dtype, seed=self.seed_generator)
        keep = ops.cast(ops.greater_equal(u, p), inputs.dtype)
        x = ops.add(ops.multiply(inputs, keep), ops.multiply(ops.subtract(1.0, keep), alpha_p))
        return ops.add(ops.multiply(x, a), b)


class _SpatialDropout(Layer):
    """Dropout of whole feature maps: one draw per (sample, channel), broadcast over the
    spatial axes, so neighbouring, correlated activations are dropped together."""

    _rank = 1

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = _rate(self, "rate", rate)
        self.data_format = normalize_data_format(layer_label(self), data_format) \
            if self._rank > 1 else "channels_last"
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)
        self.supports_masking = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        if inputs.ndim != self._rank + 2:
            raise InvalidArgumentError(
                f"{layer_label(self)}: argument 'inputs': expected {self._rank + 2} "
                f"dimensions (batch, {'spatial, ' * self._rank}channels), got shape "
                f"{tuple(inputs.shape)}")
        if not training or self.rate == 0:
            return inputs
        batch = inputs.shape[0]
        if self.data_format == "channels_first":
            noise_shape = (batch, inputs.shape[1]) + (1,) * self._rank
        else:
            noise_shape = (batch,) + (1,) * self._rank + (inputs.shape[-1],)
        return _random.dropout(inputs, self.rate, noise_shape=noise_shape,
                               seed=self.seed_generator)


class SpatialDropout1D(_SpatialDropout):
    _rank = 1

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    _rank = 2

    def __init__(self, rate: float, data_format: str | None = None, seed: int | None = None,
                 name: str | None = None, dtype: Any = None, **kwargs: Any) -> None:
        super().__init__(rate, data_format=data_format, seed=seed, name=name, dtype=dtype,
                         **kwargs)


class SpatialDropout3D(SpatialDropout2D):
    _rank = 3


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x^2)`` to the loss."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        import tensorweave.regularizers as _regularizers

        super().__init__(activity_regularizer=_regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = float(l1)
        self.l2 = float(l2)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return config
