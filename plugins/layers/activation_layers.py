"""Activation layers with parameters (Keras 3): ReLU, LeakyReLU, PReLU, ELU, Softmax.

They exist as layers (not only as ``activation=`` strings) because their parameters are
part of the model's config, and PReLU learns its slopes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorweave.activations as _activations
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError

from .base import Layer
from .reshaping import layer_label

__all__ = ["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "mask_logits"]


def _number(layer: Layer, arg: str, value: Any, *, minimum: float | None = None,
            allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected a "
                                   f"number, got {value!r}")
    if minimum is not None and value < minimum:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected a "
                                   f"value >= {minimum}, got {value!r}")
    return float(value)


def mask_logits(logits: Any, keep: Any) -> Any:
    """``logits`` with Keras's "large negative number" (-1e9, or -3e4 where float16 would
    overflow) added where ``keep`` is False, so a softmax gives those positions ~0 (and a
    fully masked row stays uniform, as in Keras)."""
    big = 3e4 if logits.dtype.name == "float16" else 1e9
    return ops.subtract(logits, ops.multiply(ops.cast(ops.logical_not(ops.cast(keep, "bool")),
                                                      logits.dtype), big))


class ReLU(Layer):
    """``relu`` with ``max_value``, ``negative_slope`` and ``threshold`` (Keras's ReLU)."""

    def __init__(self, max_value: float | None = None, negative_slope: float = 0.0,
                 threshold: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_value = _number(self, "max_value", max_value, minimum=0.0, allow_none=True)
        self.negative_slope = _number(self, "negative_slope", negative_slope, minimum=0.0)
        self.threshold = _number(self, "threshold", threshold)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return _activations.relu(inputs, negative_slope=self.negative_slope,
                                 max_value=self.max_value, threshold=self.threshold)


class LeakyReLU(Layer):
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise. The default slope is Keras's
    0.3; ``alpha=`` (Keras 2's name, as in ``LeakyReLU(alpha=0.2)`` of GAN tutorials) is
    accepted too."""

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = _number(self, "negative_slope", negative_slope, minimum=0.0)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("alpha", None)
        config["negative_slope"] = self.negative_slope
        return config


class ELU(Layer):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = _number(self, "alpha", alpha)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return ops.elu(inputs, alpha=self.alpha)


class Softmax(Layer):
    """Softmax over ``axis``; with a boolean ``mask`` of the input's rank (``True`` =
    keep), masked positions get probability 0 (Keras adds a large negative number to their
    logits). A mask of lower rank is a sequence mask propagated from earlier layers (e.g.
    ``Embedding(mask_zero=True)`` before a ``(batch, steps, vocabulary)`` head): it marks
    whole steps, not logits, so it is passed on to the output and the loss instead of
    being applied (Keras would broadcast it onto the wrong axes)."""

    def __init__(self, axis: int | Sequence[int] = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else tuple(axis)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None and not (ops.is_tensor(mask) or ops.is_symbolic(mask)):
            mask = ops.convert_to_tensor(mask)
        if mask is not None and mask.ndim == inputs.ndim:
            inputs = mask_logits(inputs, mask)
        if isinstance(self.axis, tuple):
            return ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=self.axis,
                                                              keepdims=True)))
        return ops.softmax(inputs, axis=self.axis)


class PReLU(Layer):
    """Parametric ReLU: ``x`` for ``x > 0``, ``alpha * x`` otherwise, with ``alpha`` learned
    per element of the non-batch shape (or shared along ``shared_axes``, e.g. ``[1, 2]``
    for one slope per channel of an image)."""

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None,
                 alpha_constraint: Any = None, shared_axes: Sequence[int] | int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha_initializer = alpha_initializer
        self.alpha_regularizer = alpha_regularizer
        self.alpha_constraint = alpha_constraint
        if shared_axes is None:
            self.shared_axes: tuple[int, ...] = ()
        elif isinstance(shared_axes, int):
            self.shared_axes = (shared_axes,)
        else:
            self.shared_axes = tuple(int(a) for a in shared_axes)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        shape = list(input_shape[1:])
        for axis in self.shared_axes:
            if not 1 <= axis < len(input_shape):
                raise InvalidArgumentError(
                    f"{layer_label(self)}: argument 'shared_axes': expected axes in "
                    f"[1, {len(input_shape) - 1}] (axis 0 is the batch), got "
                    f"{list(self.shared_axes)}")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise InvalidArgumentError(
                f"{layer_label(self)}: every non-batch input dimension must be known or "
                f"shared (shared_axes), got input shape {tuple(input_shape)}")
        self.alpha = self.add_weight(tuple(shape), self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint, name="alpha")
        self.built = True

    def get_config(self) -> dict:
        config = super().get_config()
        # Keras keeps None, else a list of the axes
        config["shared_axes"] = list(self.shared_axes) if self.shared_axes else None
        return config

    def call(self, inputs: Any) -> Any:
        pos = ops.relu(inputs)
        neg = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(pos, neg)
