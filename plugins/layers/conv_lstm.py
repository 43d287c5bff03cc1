"""Convolutional LSTM layers: ``ConvLSTM1D`` / ``ConvLSTM2D`` / ``ConvLSTM3D`` (Shi et
al., 2015; Keras 3 semantics and weights).

Inputs are sequences of images, ``(batch, time, *spatial, channels)`` (or
``(batch, time, channels, *spatial)`` with ``channels_first``). Each step is an LSTM
step whose matrix products are convolutions: the input convolution uses ``strides``,
``padding`` and ``dilation_rate``; the recurrent one is a ``"same"`` convolution of the
previous output. Gates i, f, c, o as in ``LSTM``; weights ``kernel`` ``(*kernel_size,
channels, 4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters, 4 * filters)``
and ``bias`` ``(4 * filters,)``. The time loop is unrolled like the other recurrent
layers; masks are not supported.
"""

from __future__ import annotations

from typing import Any

import tensorweave.activations as _activations
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer
from .recurrent_cells import _UnitForgetBias, check_rate
from .reshaping import layer_label, normalize_data_format, normalize_padding, normalize_tuple

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]


class _ConvLSTM(Layer):
    rank = 2

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: str | None = None,
                 dilation_rate: Any = 1, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, **kwargs: Any) -> None:
        # RNN arguments Keras's config carries: the loop is always unrolled here, and
        # masks are not supported, so both keep their defaults' meaning
        self.unroll = bool(kwargs.pop("unroll", False))
        self.zero_output_for_mask = bool(kwargs.pop("zero_output_for_mask", False))
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        where = layer_label(self)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise InvalidArgumentError(f"{where}: argument 'filters': expected a positive "
                                       f"int, got {filters!r}")
        n = self.rank
        self.filters = filters
        self.kernel_size = normalize_tuple(where, "kernel_size", kernel_size, n)
        self.strides = normalize_tuple(where, "strides", strides, n)
        self.padding = normalize_padding(where, padding)
        self.data_format = normalize_data_format(where, data_format)
        self.dilation_rate = normalize_tuple(where, "dilation_rate", dilation_rate, n)
        self.activation = _activations.get(activation)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = kernel_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = check_rate(where, "dropout", dropout)
        self.recurrent_dropout = check_rate(where, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        if self.dropout > 0 or self.recurrent_dropout > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self._state_vars: list = []

    # ---- weights -----------------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        where = layer_label(self)
        if len(input_shape) != self.rank + 3:
            raise ShapeError(f"{where}: expected inputs of rank {self.rank + 3} (batch, time, "
                             f"{'spatial..., ' * 1}channels), got shape {tuple(input_shape)}")
        frame = tuple(input_shape[2:])
        channels = frame[0] if self.data_format == "channels_first" else frame[-1]
        spatial = frame[1:] if self.data_format == "channels_first" else frame[:-1]
        if channels is None or None in spatial:
            raise ShapeError(f"{where}: the channels and spatial sizes must be known, got "
                             f"input shape {tuple(input_shape)}")
        f4 = 4 * self.filters
        self.kernel = self.add_weight((*self.kernel_size, int(channels), f4),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight(
            (*self.kernel_size, self.filters, f4), self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
            name="recurrent_kernel")
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                import tensorweave.initializers as _initializers

                init = _UnitForgetBias(_initializers.get(init), self.filters)
            self.bias = self.add_weight((f4,), init, regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        else:
            self.bias = None
        if self.stateful:
            batch = input_shape[0] if input_shape[0] is not None else self._batch_size_arg
            if batch is None:
                raise InvalidArgumentError(f"{where}: stateful=True needs a fixed batch size")
            out = self._out_spatial(spatial)
            self._state_vars = [self._add_state_variable((int(batch), *out, self.filters),
                                                         "zeros", name=f"state_{n}")
                                for n in ("h", "c")]
        self.built = True

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
        return config

    def _out_spatial(self, spatial: tuple) -> tuple:
        out = []
        for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate):
            eff = (k - 1) * d + 1
            out.append(-(-n // s) if self.padding == "same" else (n - eff) // s + 1)
        return tuple(out)

    def reset_states(self, states: Any = None) -> None:
        """Zero the states of a stateful layer (or set them to ``[h, c]``)."""
        if not self.stateful:
            raise InvalidArgumentError(f"{layer_label(self)}: reset_states() needs "
                                       "stateful=True")
        for v, s in zip(self._state_vars, states or [None, None]):
            v.assign(ops.zeros(v.shape, dtype=v.dtype) if s is None else s)

    reset_state = reset_states

    # ---- the loop ----------------------------------------------------------------------
    def _frames_last(self, x: Any) -> Any:
        """Channels-first frames ``(n, c, *spatial)`` to channels-last."""
        if self.data_format == "channels_last":
            return x
        return ops.transpose(x, (0, *range(2, x.ndim), 1))

    def _frames_back(self, y: Any) -> Any:
        if self.data_format == "channels_last":
            return y
        return ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))

    def _conv(self, x: Any, kernel: Any, recurrent: bool) -> Any:
        if recurrent:
            return ops.conv(x, kernel, 1, "same", "channels_last")
        return ops.conv(x, kernel, self.strides, self.padding, "channels_last",
                        self.dilation_rate)

    def call(self, inputs: Any, initial_state: Any = None, training: Any = None) -> Any:
        shape = tuple(inputs.shape)
        if len(shape) != self.rank + 3 or shape[1] is None:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected shape (batch, "
                             f"time, ...) of rank {self.rank + 3} with a known time axis, got "
                             f"{shape}")
        b, steps = shape[0], shape[1]
        bn = -1 if b is None else b
        frames = self._frames_last(ops.reshape(inputs, (-1, *shape[2:])))
        dt = frames.dtype
        kernel = ops.cast(self.kernel, dt)
        rkernel = ops.cast(self.recurrent_kernel, dt)
        drop_in = training and self.dropout > 0
        drop_rec = training and self.recurrent_dropout > 0
        xs: list = []
        if drop_in:  # one mask per gate, the same for every step (Keras)
            ones = ops.ones_like(ops.reshape(frames, (bn, steps, *frames.shape[1:]))[:, 0])
            in_masks = [_random.dropout(ones, self.dropout, seed=self.seed_generator)
                        for _ in range(4)]
            seq = ops.reshape(frames, (bn, steps, *frames.shape[1:]))
            kparts = ops.split(kernel, 4, axis=-1)
            for t in range(steps):
                xs.append(ops.concatenate(
                    [self._conv(ops.multiply(seq[:, t], m), k, False)
                     for m, k in zip(in_masks, kparts)], axis=-1))
        else:
            z = self._conv(frames, kernel, False)
            z = ops.reshape(z, (bn, steps, *z.shape[1:]))
            xs = [z[:, t] for t in range(steps)]
        if self.bias is not None:
            bias = ops.cast(self.bias, dt)
            xs = [ops.add(x, bias) for x in xs]
        state_shape = tuple(xs[0].shape[1:-1]) + (self.filters,)
        if initial_state is not None:
            h, c = [self._frames_last(ops.convert_to_tensor(s)) for s in initial_state]
        elif self.stateful and self._state_vars:
            h, c = [ops.cast(v.value, dt) for v in self._state_vars]
        else:
            zero = ops.zeros_like(ops.sum(xs[0], axis=-1, keepdims=True))
            h = c = ops.add(zero, ops.zeros(state_shape[-1:], dtype=dt))
        rec_masks = None
        if drop_rec:
            ones = ops.ones_like(h)
            rec_masks = [_random.dropout(ones, self.recurrent_dropout,
                                         seed=self.seed_generator) for _ in range(4)]
        rparts = ops.split(rkernel, 4, axis=-1) if rec_masks is not None else None
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outs = []
        for t in order:
            if rec_masks is None:
                hz = self._conv(h, rkernel, True)
            else:
                hz = ops.concatenate([self._conv(ops.multiply(h, m), k, True)
                                      for m, k in zip(rec_masks, rparts)], axis=-1)
            zi, zf, zc, zo = ops.split(ops.add(xs[t], hz), 4, axis=-1)
            i, f = self.recurrent_activation(zi), self.recurrent_activation(zf)
            o = self.recurrent_activation(zo)
            c = ops.add(ops.multiply(f, c), ops.multiply(i, self.activation(zc)))
            h = ops.multiply(o, self.activation(c))
            outs.append(h)
        if self.stateful and self._state_vars and not ops.is_symbolic(h):
            for v, s in zip(self._state_vars, (h, c)):
                v.assign(ops.stop_gradient(s))
        if self.return_sequences:
            seq = ops.stack(outs, axis=1)
            flat = self._frames_back(ops.reshape(seq, (-1, *seq.shape[2:])))
            out = ops.reshape(flat, (bn, steps, *flat.shape[1:]))
        else:
            out = self._frames_back(h)
        if self.return_state:
            return [out, self._frames_back(h), self._frames_back(c)]
        return out


class ConvLSTM1D(_ConvLSTM):
    """ConvLSTM over sequences of 1-D signals ``(batch, time, steps, channels)``."""

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """ConvLSTM over sequences of images ``(batch, time, rows, cols, channels)``."""

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """ConvLSTM over sequences of volumes ``(batch, time, d1, d2, d3, channels)``."""

    rank = 3
