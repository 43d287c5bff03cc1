"""``ScaledDense``: a dense layer with a learned scale per output unit.

``activation((inputs @ kernel) * scale + bias)``. The scale lets the layer change the size
of each unit's output without changing the direction of its weights (a simple form of
weight normalisation). Three weights: ``kernel`` ``(in, units)``, ``scale`` ``(units,)``
and ``bias`` ``(units,)``.

Everything is written with ``tensorweave.ops``, so the layer runs eagerly, inside traced
and compiled training steps, and on every backend, with no backend-specific code.
"""

from __future__ import annotations

from typing import Any

import tensorweave as tw
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.layers import Layer

__all__ = ["ScaledDense"]


class ScaledDense(Layer):
    """``activation((inputs @ kernel) * scale + bias)`` on the last axis.

    Args:
        units: the number of output units (a positive int).
        activation: an activation name (``"relu"``, ``"squared_relu"`` ...) or function.
        use_bias: add a bias after scaling.
        kernel_initializer, scale_initializer, bias_initializer: initializer identifiers.
        **kwargs: the base-layer arguments (``name``, ``dtype``, ``trainable``,
            ``input_shape`` ...).
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", scale_initializer: Any = "ones",
                 bias_initializer: Any = "zeros", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise InvalidArgumentError(f"ScaledDense: argument 'units': expected a positive "
                                       f"int, got {units!r}")
        self.units = units
        self.activation = tw.activations.get(activation) if activation is not None else None
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.scale_initializer = scale_initializer
        self.bias_initializer = bias_initializer

    def build(self, input_shape: Any) -> None:
        last = input_shape[-1]
        if last is None:
            raise ShapeError(f"ScaledDense {self.name!r}: the last input dimension must be "
                             f"known, got input shape {tuple(input_shape)}")
        self.kernel = self.add_weight((last, self.units), self.kernel_initializer,
                                      name="kernel")
        self.scale = self.add_weight((self.units,), self.scale_initializer, name="scale")
        self.bias = (self.add_weight((self.units,), self.bias_initializer, name="bias")
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs: Any) -> Any:
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ShapeError(f"ScaledDense {self.name!r}: argument 'inputs': expected last "
                             f"dimension {self.kernel.shape[0]}, got shape "
                             f"{tuple(inputs.shape)}")
        y = ops.multiply(ops.matmul(inputs, self.kernel), self.scale)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """Plain data only: the activation is saved by its registered name."""
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": (None if self.activation is None
                           else tw.activations.serialize(self.activation)),
            "use_bias": self.use_bias,
            "kernel_initializer": _identifier(self.kernel_initializer),
            "scale_initializer": _identifier(self.scale_initializer),
            "bias_initializer": _identifier(self.bias_initializer),
        })
        return config


def _identifier(obj: Any) -> Any:
    """An initializer as data: its name, or ``{"class_name", "config"}``."""
    if obj is None or isinstance(obj, (str, dict)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", obj)
