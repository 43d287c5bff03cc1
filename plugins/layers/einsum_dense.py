"""``EinsumDense``: a dense layer whose kernel contraction is an einsum equation (Keras 3's
``keras.layers.EinsumDense``), e.g. ``"abc,cde->abde"`` projects each step of a sequence
to ``(heads, head_dim)`` as multi-head attention does."""

from __future__ import annotations

import re
from typing import Any

import tensorweave.activations as _activations
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer, _serialize_object
from .reshaping import layer_label

__all__ = ["EinsumDense"]


def _analyze(where: str, equation: str, bias_axes: str | None, input_shape: tuple,
             output_shape: tuple) -> tuple[list, list | None, list]:
    """(kernel shape, bias shape or None, full output shape) of ``equation`` on
    ``input_shape``, with Keras's rules: ``output_shape`` gives the output's non-batch
    sizes (``None`` = taken from the input), ``...`` stands for elided axes on the left
    of every operand or on the right of the input and output."""
    eq = re.sub(r"\.\.\.", "0", equation)
    left = False
    m = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", eq)
    if m is None:
        m = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", eq)
        left = m is not None
    if m is None:
        m = re.fullmatch(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", eq)
    if m is None:
        raise InvalidArgumentError(
            f"{where}: argument 'equation': expected the form 'X,Y->Z', '...X,Y->...Z' or "
            f"'X...,Y->Z...', got {equation!r}")
    in_spec, w_spec, out_spec = m.group(1), m.group(2), m.group(3)
    elided = len(input_shape) - len(in_spec)
    out = list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    if left:
        in_map = {d: (i + elided) - len(input_shape) for i, d in enumerate(in_spec)}
        out_map = {d: i + elided for i, d in enumerate(out_spec)}
    else:
        in_map = {d: i for i, d in enumerate(in_spec)}
        out_map = {d: i for i, d in enumerate(out_spec)}
    if len(out) != len(out_spec) + (elided if elided > 0 else 0):
        raise InvalidArgumentError(
            f"{where}: argument 'output_shape': {tuple(output_shape)} does not match the "
            f"output {out_spec!r} of {equation!r} (the batch axis is not included)")
    for d in in_spec:
        if d in out_map:
            o = out[out_map[d]]
            if o is not None and o != input_shape[in_map[d]]:
                raise ShapeError(f"{where}: input and output shapes differ on the shared axis "
                                 f"{d!r}: input {input_shape[in_map[d]]}, output {o}")
    for d in out_spec:
        if d not in in_spec and d not in w_spec:
            raise InvalidArgumentError(f"{where}: output axis {d!r} of {equation!r} is in "
                                       "neither the input nor the weight")
    kernel = []
    for d in w_spec:
        if d in out_map:
            kernel.append(out[out_map[d]])
        elif d in in_map:
            kernel.append(input_shape[in_map[d]])
        else:
            raise InvalidArgumentError(f"{where}: weight axis {d!r} of {equation!r} is in "
                                       "neither the input nor the output")
    if any(k is None for k in kernel):
        raise ShapeError(f"{where}: the kernel shape {kernel} needs known sizes (input shape "
                         f"{tuple(input_shape)}, output_shape {tuple(output_shape)})")
    bias = None
    if bias_axes is not None:
        n_left = elided if left else 0
        sizes = {c: out[i + n_left] for i, c in enumerate(out_spec)}
        for c in bias_axes:
            if c not in out_spec:
                raise InvalidArgumentError(f"{where}: argument 'bias_axes': {c!r} is not an "
                                           f"output axis of {equation!r}")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [sizes[c] if c in bias_axes else 1 for c in out_spec[first:]]
        if not left:
            bias.extend([1] * max(elided, 0))
    return kernel, bias, out


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``.

    ``output_shape``: the output's sizes without the batch axis (an int for one axis;
    ``None`` entries are taken from the input); ``bias_axes``: the output letters the bias
    spans (``None``: no bias). The kernel's shape follows from the equation."""

    def __init__(self, equation: str, output_shape: Any, activation: Any = None,
                 bias_axes: str | None = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, gptq_unpacked_column_size: Any = None,
                 quantization_config: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        for arg, v in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                       ("gptq_unpacked_column_size", gptq_unpacked_column_size),
                       ("quantization_config", quantization_config)):
            if v is not None:
                raise InvalidArgumentError(f"{where}: argument {arg!r}: LoRA and quantization "
                                           f"are not supported, got {v!r} (expected None)")
        if not isinstance(equation, str):
            raise InvalidArgumentError(f"{where}: argument 'equation': expected a str, got "
                                       f"{equation!r}")
        self.equation = equation
        self.output_shape = (output_shape,) if isinstance(output_shape, int) else \
            tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = _activations.get(activation) if activation is not None else None
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint

    @property
    def partial_output_shape(self) -> tuple:
        return self.output_shape

    def build(self, input_shape: Any) -> None:
        kernel, bias, _ = _analyze(layer_label(self), self.equation, self.bias_axes,
                                   tuple(input_shape), self.output_shape)
        self.kernel = self.add_weight(tuple(kernel), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.bias = self.add_weight(tuple(bias), self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint,
                                    name="bias") if bias is not None else None
        self.built = True

    def call(self, inputs: Any) -> Any:
        y = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        if self.activation is not None:
            y = self.activation(y)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        for k in ("lora_rank", "lora_alpha", "gptq_unpacked_column_size",
                  "quantization_config"):  # Keras: only when set
            config.pop(k, None)
        config["activity_regularizer"] = _serialize_object(
            "regularizers", self.activity_regularizer, "EinsumDense.activity_regularizer")
        return config
