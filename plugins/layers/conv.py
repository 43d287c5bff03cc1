"""Convolution layers: Conv1D/2D/3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D,
SeparableConv1D/2D (Keras 3 arguments, defaults and weight layouts).

Kernels are stored as Keras stores them, so ``set_weights`` with Keras weights gives
Keras's outputs: ``Conv`` ``(*kernel_size, in_channels // groups, filters)``, transposed
``(*kernel_size, filters, in_channels)``, depthwise ``(*kernel_size, in_channels,
depth_multiplier)``, pointwise ``(1, ..., in_channels * depth_multiplier, filters)``.
The ops are channels-last; ``data_format="channels_first"`` transposes on the way in and
out, which keeps one code path (and one set of gradients) for both layouts.
"""

from __future__ import annotations

import math
from typing import Any

import tensorweave.activations as _activations
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

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

__all__ = ["Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
           "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D"]

_SPATIAL = {1: "steps", 2: "height, width", 3: "d1, d2, d3"}


class _ConvBase(Layer):
    """Arguments, validation, bias/activation and channels_first handling of all convs."""

    rank = 2
    _paddings: tuple[str, ...] = ("valid", "same")

    def _setup(self, kernel_size: Any, strides: Any, padding: str, data_format: str | None,
               dilation_rate: Any, activation: Any, use_bias: bool,
               bias_initializer: Any, bias_regularizer: Any, bias_constraint: Any) -> None:
        where = layer_label(self)
        self.kernel_size = normalize_tuple(where, "kernel_size", kernel_size, self.rank)
        self.strides = normalize_tuple(where, "strides", strides, self.rank)
        self.dilation_rate = normalize_tuple(where, "dilation_rate", dilation_rate, self.rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise InvalidArgumentError(f"{where}: arguments 'strides' and 'dilation_rate': "
                                       f"strides > 1 together with dilation_rate > 1 is not "
                                       f"supported (as in Keras), got strides="
                                       f"{self.strides}, dilation_rate={self.dilation_rate}")
        self.padding = normalize_padding(where, padding, self._paddings)
        self.data_format = normalize_data_format(where, data_format)
        self.activation = _activations.get(activation) if activation is not None else None
        self.use_bias = bool(use_bias)
        self.bias_initializer = bias_initializer
        self.bias_regularizer = bias_regularizer
        self.bias_constraint = bias_constraint

    # ---- shapes --------------------------------------------------------------------------
    def _layout(self) -> str:
        sp = _SPATIAL[self.rank]
        return f"(batch, {sp}, channels)" if self.data_format == "channels_last" else \
            f"(batch, channels, {sp})"

    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _in_channels(self, input_shape: Any) -> int:
        check_rank(self, input_shape, self.rank + 2, self._layout())
        c = input_shape[self._channel_axis()]
        if c is None:
            raise ShapeError(f"{layer_label(self)}: the channel dimension of the input must be "
                             f"known, got input shape {tuple(input_shape)}")
        return int(c)

    def _check_call(self, inputs: Any, expected_channels: int) -> None:
        c = self._in_channels(tuple(inputs.shape))
        if c != expected_channels:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected "
                             f"{expected_channels} input channels (the layer was built for "
                             f"them), got input shape {tuple(inputs.shape)}")

    def _prepare(self, inputs: Any) -> tuple[Any, str]:
        """Channels-last input and the padding to give the ops.

        Symbolic inputs may have unknown spatial sizes (``tw.Input((None, 3))``). "valid"
        and "causal" need no size; "same" with stride 1 pads ``dilation * (kernel - 1)``
        whatever the size, so it is applied here explicitly and the op runs "valid".
        "same" with a larger stride depends on the size, and is refused with a clear error.
        """
        x = to_channels_last(inputs, self.data_format)
        if self.padding != "same" or None not in tuple(x.shape[1:-1]):
            return x, self.padding
        if max(self.strides) > 1:
            raise ShapeError(f"{layer_label(self)}: padding='same' with strides "
                             f"{self.strides} needs known spatial sizes, got input shape "
                             f"{tuple(inputs.shape)}")
        pads = []
        for k, d in zip(self.kernel_size, self.dilation_rate):
            total = d * (k - 1)
            pads.append((total // 2, total - total // 2))
        return ops.pad(x, ((0, 0), *pads, (0, 0))), "valid"

    def _block_conv(self, x: Any, kernel: Any, groups: int, padding: str) -> Any:
        """Grouped convolution as one ordinary convolution with a block-diagonal kernel.

        ``kernel`` is ``(*window, in // groups, out)``; group ``g`` maps input channels
        ``g*cg:(g+1)*cg`` to output channels ``g*fg:(g+1)*fg``. It costs ``groups`` times
        the arithmetic, so it only serves inputs whose spatial sizes are unknown (the
        im2col path reshapes with them); depthwise is the case ``cg = 1``.
        """
        win = tuple(kernel.shape[:-2])
        cg, f = kernel.shape[-2], kernel.shape[-1]
        fg = f // groups
        w = ops.reshape(kernel, (*win, cg, groups, fg))
        eye = ops.eye(groups, dtype=w.dtype)
        letters = "abcde"[:len(win)]
        w = ops.einsum(f"{letters}cgf,hg->{letters}hcgf", w, eye)
        w = ops.reshape(w, (*win, groups * cg, f))
        return ops.conv(x, w, self.strides, padding, "channels_last",
                        self.dilation_rate)

    def _depthwise(self, x: Any, kernel: Any, padding: str) -> Any:
        if None in tuple(x.shape[1:-1]):
            c, m = kernel.shape[-2], kernel.shape[-1]
            flat = ops.reshape(kernel, (*kernel.shape[:-2], 1, c * m))
            return self._block_conv(x, flat, c, padding)
        return ops.depthwise_conv(x, kernel, self.strides, padding, "channels_last",
                                  self.dilation_rate)

    def _add_bias(self, size: int) -> None:
        self.bias = self.add_weight((size,), self.bias_initializer,
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None

    def _finish(self, y: Any) -> Any:
        """Bias and activation on the channels-last result, then back to the data format."""
        if self.bias is not None:
            y = ops.add(y, self.bias)
        if self.activation is not None:
            y = self.activation(y)
        return from_channels_last(y, self.data_format)


# ---- Conv ----------------------------------------------------------------------------------------
class _Conv(_ConvBase):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise InvalidArgumentError(f"{where}: argument 'filters': expected a positive int, "
                                       f"got {filters!r}")
        if not isinstance(groups, int) or groups <= 0 or filters % groups:
            raise InvalidArgumentError(f"{where}: argument 'groups': expected a positive int "
                                       f"dividing filters={filters}, got {groups!r}")
        self.filters = filters
        self.groups = groups
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = kernel_regularizer
        self.kernel_constraint = kernel_constraint
        self.activity_regularizer = activity_regularizer

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        if cin % self.groups:
            raise ShapeError(f"{layer_label(self)}: the number of input channels must be "
                             f"divisible by groups={self.groups}, got input shape "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight(self.kernel_size + (cin // self.groups, self.filters),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs: Any) -> Any:
        cin = self.kernel.shape[-2] * self.groups
        self._check_call(inputs, cin)
        x, padding = self._prepare(inputs)
        if self.groups == 1:
            y = ops.conv(x, self.kernel, self.strides, padding, "channels_last",
                         self.dilation_rate)
        elif None in tuple(x.shape[1:-1]):
            y = self._block_conv(x, self.kernel, self.groups, padding)
        else:
            y = self._grouped(x, padding)
        return self._finish(y)

    def _grouped(self, x: Any, padding: str) -> Any:
        """Grouped convolution without slicing: windows (im2col) split into groups, one
        einsum contracting each group's window with its own kernel slice."""
        g = self.groups
        k = math.prod(self.kernel_size)
        cg = x.shape[-1] // g
        fg = self.filters // g
        pads = ops.compute_padding(layer_label(self), padding, tuple(x.shape[1:-1]),
                                   self.kernel_size, self.strides, self.dilation_rate)
        if any(a or b for a, b in pads):
            x = ops.pad(x, ((0, 0), *pads, (0, 0)))
        p = ops.extract_patches(x, self.kernel_size, self.strides, self.dilation_rate)
        out_sp = tuple(p.shape[1:-1])
        p = ops.reshape(p, (-1, k, g, cg))
        w = ops.reshape(self.kernel, (k, cg, g, fg))
        y = ops.einsum("nkgc,kcgf->ngf", p, w)
        return ops.reshape(y, (-1, *out_sp, self.filters))


class Conv1D(_Conv):
    """1-D convolution over ``(batch, steps, channels)``; ``padding`` may also be
    ``"causal"`` (output step t sees inputs up to t only)."""

    rank = 1
    _paddings = ("valid", "same", "causal")

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv2D(_Conv):
    """2-D convolution over images ``(batch, height, width, channels)``."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


class Conv3D(_Conv):
    rank = 3

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1, 1), groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, **kwargs)


# ---- transposed convolution -------------------------------------------------------------------
class _ConvTranspose(_ConvBase):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise InvalidArgumentError(f"{where}: argument 'filters': expected a positive int, "
                                       f"got {filters!r}")
        self.filters = filters
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        if output_padding is None:
            self.output_padding = None
        else:
            self.output_padding = normalize_tuple(where, "output_padding", output_padding,
                                                  self.rank, allow_zero=True)
            if any(op >= s for op, s in zip(self.output_padding, self.strides)):
                raise InvalidArgumentError(
                    f"{where}: argument 'output_padding': expected values smaller than the "
                    f"strides {self.strides}, got {output_padding!r}")
        self.kernel_initializer = kernel_initializer
        self.kernel_regularizer = kernel_regularizer
        self.kernel_constraint = kernel_constraint
        self.activity_regularizer = activity_regularizer

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.filters, cin),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs: Any) -> Any:
        self._check_call(inputs, self.kernel.shape[-1])
        x = to_channels_last(inputs, self.data_format)
        if any(x.shape[1 + i] is None for i in range(self.rank)):
            raise ShapeError(f"{layer_label(self)}: spatial sizes must be known, got "
                             f"input shape {tuple(inputs.shape)}")
        # the op applies Keras's length and window rule (tw.ops.nn.convT_pads)
        y = ops.conv_transpose(x, self.kernel, self.strides, self.padding,
                               self.output_padding, "channels_last", self.dilation_rate)
        return self._finish(y)


class Conv1DTranspose(_ConvTranspose):
    """Transposed 1-D convolution (the gradient of Conv1D w.r.t. its input); kernel
    ``(kernel_size, filters, in_channels)``."""

    rank = 1

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv2DTranspose(_ConvTranspose):
    """Transposed 2-D convolution ("deconvolution"), used to upsample feature maps."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", output_padding: Any = None,
                 data_format: str | None = None, dilation_rate: Any = (1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


class Conv3DTranspose(_ConvTranspose):
    rank = 3

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 output_padding: Any = None, dilation_rate: Any = (1, 1, 1),
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, output_padding, data_format,
                         dilation_rate, activation, use_bias, kernel_initializer,
                         bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, kernel_constraint, bias_constraint, **kwargs)


# ---- depthwise ----------------------------------------------------------------------------------
class _DepthwiseConv(_ConvBase):
    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise InvalidArgumentError(f"{where}: argument 'depth_multiplier': expected a "
                                       f"positive int, got {depth_multiplier!r}")
        self.depth_multiplier = depth_multiplier
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = depthwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.activity_regularizer = activity_regularizer

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (cin, self.depth_multiplier),
                                      self.depthwise_initializer,
                                      regularizer=self.depthwise_regularizer,
                                      constraint=self.depthwise_constraint, name="kernel")
        self._add_bias(cin * self.depth_multiplier)
        self.built = True

    @property
    def depthwise_kernel(self) -> Any:
        return self.kernel

    def call(self, inputs: Any) -> Any:
        self._check_call(inputs, self.kernel.shape[-2])
        x, padding = self._prepare(inputs)
        return self._finish(self._depthwise(x, self.kernel, padding))


class DepthwiseConv1D(_DepthwiseConv):
    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Each input channel convolved with its own ``depth_multiplier`` filters; output
    channel ``c * depth_multiplier + m`` (Keras's order)."""

    rank = 2

    def __init__(self, kernel_size: Any, strides: Any = (1, 1), padding: str = "valid",
                 depth_multiplier: int = 1, data_format: str | None = None,
                 dilation_rate: Any = (1, 1), activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format,
                         dilation_rate, activation, use_bias, depthwise_initializer,
                         bias_initializer, depthwise_regularizer, bias_regularizer,
                         activity_regularizer, depthwise_constraint, bias_constraint, **kwargs)


# ---- separable ----------------------------------------------------------------------------------
class _SeparableConv(_ConvBase):
    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, depth_multiplier: int = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise InvalidArgumentError(f"{where}: argument 'filters': expected a positive int, "
                                       f"got {filters!r}")
        if not isinstance(depth_multiplier, int) or depth_multiplier <= 0:
            raise InvalidArgumentError(f"{where}: argument 'depth_multiplier': expected a "
                                       f"positive int, got {depth_multiplier!r}")
        self.filters = filters
        self.depth_multiplier = depth_multiplier
        self._setup(kernel_size, strides, padding, data_format, dilation_rate, activation,
                    use_bias, bias_initializer, bias_regularizer, bias_constraint)
        self.depthwise_initializer = depthwise_initializer
        self.pointwise_initializer = pointwise_initializer
        self.depthwise_regularizer = depthwise_regularizer
        self.pointwise_regularizer = pointwise_regularizer
        self.depthwise_constraint = depthwise_constraint
        self.pointwise_constraint = pointwise_constraint
        self.activity_regularizer = activity_regularizer

    def build(self, input_shape: Any) -> None:
        cin = self._in_channels(input_shape)
        self.depthwise_kernel = self.add_weight(
            self.kernel_size + (cin, self.depth_multiplier), self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint,
            name="depthwise_kernel")
        self.pointwise_kernel = self.add_weight(
            (1,) * self.rank + (cin * self.depth_multiplier, self.filters),
            self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel")
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs: Any) -> Any:
        self._check_call(inputs, self.depthwise_kernel.shape[-2])
        x, padding = self._prepare(inputs)
        y = self._depthwise(x, self.depthwise_kernel, padding)
        y = ops.conv(y, self.pointwise_kernel, 1, "valid", "channels_last")
        return self._finish(y)


class SeparableConv1D(_SeparableConv):
    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise convolution followed by a 1x1 (pointwise) convolution: far fewer
    parameters than a full Conv2D with the same receptive field."""

    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = (1, 1), depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate,
                         depth_multiplier, activation, use_bias, depthwise_initializer,
                         pointwise_initializer, bias_initializer, depthwise_regularizer,
                         pointwise_regularizer, bias_regularizer, activity_regularizer,
                         depthwise_constraint, pointwise_constraint, bias_constraint, **kwargs)
