"""Recurrent layers: SimpleRNN, LSTM and GRU (Keras 3 semantics).

Inputs are ``(batch, timesteps, features)`` with a known number of timesteps. The time loop
is unrolled in Python with ``tensorweave.ops`` (every step is recorded into the traced
training graph), which suits the sequence lengths of the tutorials. The input projection
``x @ kernel (+ bias)`` is computed once for all timesteps; each step then adds
``h @ recurrent_kernel`` and applies the gates.

Weights are named and shaped as in Keras, so ``count_params`` and ``set_weights`` with
Keras arrays agree:

* ``SimpleRNN``: kernel ``(F, u)``, recurrent_kernel ``(u, u)``, bias ``(u,)``;
  ``h = activation(x @ W + h_prev @ U + b)``.
* ``LSTM``: kernel ``(F, 4u)``, recurrent_kernel ``(u, 4u)``, bias ``(4u,)``, gates in the
  order i, f, c, o; ``c = f * c_prev + i * activation(c_)``, ``h = o * activation(c)``;
  states ``[h, c]``. ``unit_forget_bias=True`` starts the forget-gate bias at one.
* ``GRU``: kernel ``(F, 3u)``, recurrent_kernel ``(u, 3u)``, gates z, r, h;
  ``reset_after=True`` (the Keras 3 default) has a bias of shape ``(2, 3u)`` (input bias,
  recurrent bias) and applies the reset gate after the recurrent matmul;
  ``h = z * h_prev + (1 - z) * hh``.

``stateful=True`` keeps the final states of each call in non-trainable variables (the
batch size must be fixed: ``batch_input_shape`` / ``batch_size`` on the layer, or
``tw.Input(..., batch_size=...)``, or the first batch the layer sees) and starts the next
call from them; ``reset_states()`` sets them back to zero. The update is an ``assign``, so
inside a traced training step (a ``StatelessScope``) it is recorded and written back by
the trainer, like BatchNormalization's moving statistics.

``dropout`` / ``recurrent_dropout`` follow Keras 3: one mask per call (the same for every
timestep), on the inputs and on the previous ``h``, only when training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorweave.activations as _activations
import tensorweave.initializers as _initializers
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.variables import StatelessScope, current_substitution

from .base import Layer, in_shape_inference
from .reshaping import layer_label

__all__ = ["SimpleRNN", "LSTM", "GRU"]


class _UnitForgetBias:
    """LSTM bias initializer: ``bias_initializer`` everywhere except ones on the forget
    gate (``[init(u), ones(u), init(2u)]``), as Keras's ``unit_forget_bias``."""

    def __init__(self, base: Any, units: int) -> None:
        self.base = base
        self.units = units

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        u = self.units
        parts = [self.base((u,), dtype=dtype), ops.ones((u,), dtype=dtype),
                 self.base((2 * u,), dtype=dtype)]
        return ops.concatenate(parts, axis=0)


def _check_rate(where: str, name: str, value: Any) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        r = -1.0
    if isinstance(value, bool) or not 0.0 <= r < 1.0:
        raise InvalidArgumentError(f"{where}: argument {name!r}: expected a value in [0, 1), "
                                   f"got {value!r}")
    return r


class _RNN(Layer):
    """Shared machinery of SimpleRNN / LSTM / GRU: arguments, the unrolled time loop,
    initial and stateful states. Subclasses define ``_n_gates``, ``_state_names``,
    ``_bias_shape``, ``_bias_init`` and ``_step``."""

    _n_gates = 1
    _state_names: tuple[str, ...] = ("h",)

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", zero_output_for_mask: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise InvalidArgumentError(f"{where}: argument 'units': expected a positive int, "
                                       f"got {units!r}")
        self.units = int(units)
        self.activation = _activations.get(activation) if activation is not None else None
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.recurrent_regularizer = recurrent_regularizer
        self.bias_regularizer = bias_regularizer
        self.activity_regularizer = activity_regularizer
        self.kernel_constraint = kernel_constraint
        self.recurrent_constraint = recurrent_constraint
        self.bias_constraint = bias_constraint
        self.dropout = _check_rate(where, "dropout", dropout)
        self.recurrent_dropout = _check_rate(where, "recurrent_dropout", recurrent_dropout)
        self.seed = seed
        if self.dropout > 0 or self.recurrent_dropout > 0:
            self.seed_generator = _random.SeedGenerator(seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # the loop is always unrolled
        self.use_cudnn = use_cudnn
        # a masked step repeats the previous output (Keras's default) or gives zeros
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.states: list[Any] = [None] * len(self._state_names)
        self._state_vars: list[Any] = []

    # ---- weights -----------------------------------------------------------------------
    def _bias_shape(self) -> tuple[int, ...]:
        return (self._n_gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        where = layer_label(self)
        if len(input_shape) != 3:
            raise ShapeError(f"{where}: expected inputs of shape (batch, timesteps, features), "
                             f"got {tuple(input_shape)}")
        feat = input_shape[-1]
        if feat is None:
            raise ShapeError(f"{where}: the features dimension must be known, got input shape "
                             f"{tuple(input_shape)}")
        g = self._n_gates * self.units
        self.kernel = self.add_weight((feat, g), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint, name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, g), self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint,
                                                name="recurrent_kernel")
        self.bias = self.add_weight(self._bias_shape(), self._bias_init(),
                                    regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint,
                                    name="bias") if self.use_bias else None
        if self.stateful:
            batch = input_shape[0] if input_shape[0] is not None else self._batch_size_arg
            if batch is None:
                raise InvalidArgumentError(
                    f"{where}: stateful=True needs a fixed batch size: pass "
                    "batch_input_shape=(batch, timesteps, features) or batch_size= to the "
                    "layer, or use tw.Input(shape, batch_size=...)")
            self._state_vars = [self.add_weight((int(batch), self.units), "zeros",
                                                trainable=False, name=f"state_{n}")
                                for n in self._state_names]
            self.states = list(self._state_vars)
        self.built = True

    def count_params(self) -> int:
        """As Keras: the stateful layers' state variables are not parameters."""
        state = {id(v) for v in self._state_vars}
        return sum(int(np.prod(w.shape)) for w in self.weights if id(w) not in state)

    # ---- states ------------------------------------------------------------------------
    def reset_states(self, states: Any = None) -> None:
        """Set the stateful layer's states to zero (or to ``states``, one array per state:
        ``[h]`` or ``[h, c]`` for LSTM)."""
        where = layer_label(self)
        if not self.stateful:
            raise InvalidArgumentError(f"{where}: reset_states() needs a stateful layer "
                                       "(stateful=True)")
        if not self.built:
            return  # the states are created (as zeros) when the layer is built
        if states is None:
            for v in self._state_vars:
                v.assign(np.zeros(v.shape, dtype=v.dtype.name))
            return
        if not isinstance(states, (list, tuple)):
            states = [states]
        if len(states) != len(self._state_vars):
            raise InvalidArgumentError(f"{where}: reset_states expected {len(self._state_vars)} "
                                       f"state array(s), got {len(states)}")
        for v, s in zip(self._state_vars, states):
            v.assign(s)

    reset_state = reset_states

    def get_initial_state(self, batch_size: int) -> list:
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
                for _ in self._state_names]

    def _zeros_like_state(self, x0: Any) -> Any:
        # (batch, units) zeros that also work for an unknown (symbolic) batch size
        return ops.add(ops.zeros_like(x0[:, :1]),
                       ops.zeros((self.units,), dtype=x0.dtype))

    def _initial_states(self, inputs: Any, initial_state: Any) -> list:
        where = layer_label(self)
        n = len(self._state_names)
        batch = inputs.shape[0]
        if initial_state is not None:
            states = list(initial_state) if isinstance(initial_state, (list, tuple)) else \
                [initial_state]
            if len(states) != n:
                raise InvalidArgumentError(f"{where}: argument 'initial_state': expected {n} "
                                           f"state tensor(s), got {len(states)}")
            out = []
            for s in states:
                s = s if ops.is_tensor(s) else ops.convert_to_tensor(s)
                if s.dtype is not inputs.dtype:
                    s = ops.cast(s, inputs.dtype)
                shape = tuple(s.shape)
                if len(shape) != 2 or shape[1] != self.units or (
                        None not in (shape[0], batch) and shape[0] != batch):
                    raise ShapeError(f"{where}: argument 'initial_state': expected shape "
                                     f"({batch}, {self.units}), got {shape}")
                out.append(s)
            return out
        if self.stateful and self._state_vars:
            vb = self._state_vars[0].shape[0]
            if batch is None and ops.is_symbolic(inputs):
                return [self._zeros_like_state(inputs[:, 0, :]) for _ in range(n)]
            if batch != vb:
                raise ShapeError(f"{where}: a stateful layer was built for batch size {vb}, "
                                 f"got inputs of shape {tuple(inputs.shape)} (keep the batch "
                                 "size fixed, e.g. fit(..., batch_size=N, shuffle=False) with "
                                 "a sample count divisible by N)")
            values = [v.value for v in self._state_vars]
            return [s if s.dtype is inputs.dtype else ops.cast(s, inputs.dtype)
                    for s in values]
        return [self._zeros_like_state(inputs[:, 0, :]) for _ in range(n)]

    def _save_states(self, states: list) -> None:
        scope = current_substitution()
        traced_scope = isinstance(scope, StatelessScope)
        if not traced_scope and any(ops.is_symbolic(s) for s in states):
            return  # a symbolic call (functional API, shape inference): nothing to keep
        for v, s in zip(self._state_vars, states):
            v.assign(ops.stop_gradient(s))

    # ---- the loop ----------------------------------------------------------------------
    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        raise NotImplementedError

    def _input_projection(self, x: Any, k: Any, b: Any) -> Any:
        """``x @ kernel (+ input bias)`` for all timesteps: ``(batch, T, gates * units)``."""
        z = ops.matmul(x, k)
        if b is not None:
            z = ops.add(z, self._input_bias(b))
        return z

    def _input_bias(self, b: Any) -> Any:
        return b

    def call(self, inputs: Any, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        where = layer_label(self)
        if inputs.ndim != 3:
            raise ShapeError(f"{where}: argument 'inputs': expected shape (batch, timesteps, "
                             f"features), got {tuple(inputs.shape)}")
        steps = inputs.shape[1]
        if steps is None and in_shape_inference(inputs):
            return self._shape_only_outputs(inputs)
        if steps is None or steps == 0:
            raise ShapeError(f"{where}: argument 'inputs': the number of timesteps must be "
                             f"known and positive (the time loop is unrolled), got shape "
                             f"{tuple(inputs.shape)}")
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ShapeError(f"{where}: argument 'inputs': expected {self.kernel.shape[0]} "
                             f"features (the layer was built for them), got shape "
                             f"{tuple(inputs.shape)}")
        x = inputs
        if not x.dtype.is_floating:
            x = ops.cast(x, self.compute_dtype)
        states = self._initial_states(x, initial_state)
        rec_mask = None
        if training and self.dropout > 0:
            mask_in = _random.dropout(ops.ones_like(x[:, 0, :]), self.dropout,
                                      seed=self.seed_generator)
            x = ops.multiply(x, ops.expand_dims(mask_in, 1))
        if training and self.recurrent_dropout > 0:
            rec_mask = _random.dropout(ops.ones_like(states[0]), self.recurrent_dropout,
                                       seed=self.seed_generator)
        # read each weight once (``.value`` applies the mixed-precision autocast)
        k, rk = self.kernel.value, self.recurrent_kernel.value
        b = self.bias.value if self.bias is not None else None
        xz = self._input_projection(x, k, b)
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        step_mask = self._step_mask(mask, inputs.shape)
        outputs = []
        prev_out = None
        for t in order:
            new_out, new_states = self._step(xz[:, t, :], states, rec_mask, rk, b)
            if step_mask is None:
                out, states = new_out, new_states
            else:
                # a masked step (padding) leaves the states as they were
                keep = step_mask[:, t, :]
                states = [ops.where(keep, n, o) for n, o in zip(new_states, states)]
                if prev_out is None:
                    prev_out = ops.zeros_like(new_out)
                fallback = ops.zeros_like(new_out) if self.zero_output_for_mask else prev_out
                out = ops.where(keep, new_out, fallback)
                prev_out = out
            if self.return_sequences:
                outputs.append(out)
        if self.stateful:
            self._save_states(states)
        output = ops.stack(outputs, axis=1) if self.return_sequences else out
        if self.return_state:
            return [output, *states]
        return output

    def _shape_only_outputs(self, inputs: Any) -> Any:
        """Outputs of the right shapes for a sequence of unknown length (``Input((None,
        features))``): the functional API and ``compute_output_shape`` only need shapes;
        the layer unrolls over the real number of steps when it runs on data."""
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected "
                             f"{self.kernel.shape[0]} features, got shape "
                             f"{tuple(inputs.shape)}")
        x = inputs if inputs.dtype.is_floating else ops.cast(inputs, self.compute_dtype)
        seq = ops.matmul(x, self.kernel.value[:, :self.units])  # (batch, None, units)
        last = ops.sum(seq, axis=1)
        output = seq if self.return_sequences else last
        if self.return_state:
            return [output, *[last for _ in self._state_names]]
        return output

    def _step_mask(self, mask: Any, shape: tuple) -> Any:
        """The ``(batch, timesteps)`` mask as booleans of shape ``(batch, timesteps, 1)``."""
        if mask is None:
            return None
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
            if mask is None:
                return None
        if not ops.is_tensor(mask):
            mask = ops.convert_to_tensor(mask)
        if tuple(mask.shape) != tuple(shape[:2]) and not (
                len(mask.shape) == 2 and mask.shape[1] == shape[1]):
            raise ShapeError(f"{layer_label(self)}: argument 'mask': expected shape "
                             f"(batch, timesteps) = {tuple(shape[:2])}, got "
                             f"{tuple(mask.shape)}")
        if not mask.dtype.is_bool:
            mask = ops.not_equal(mask, 0)
        return ops.expand_dims(mask, -1)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The time mask goes on with the sequence output; a last output or a state has
        no time axis, so no mask (Keras)."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        if self.return_state:
            return [out_mask] + [None] * len(self._state_names)
        return out_mask

    def _act(self, z: Any) -> Any:
        return self.activation(z) if self.activation is not None else z

    def _rec_h(self, h: Any, rec_mask: Any) -> Any:
        return ops.multiply(h, rec_mask) if rec_mask is not None else h


class SimpleRNN(_RNN):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)``; the output is ``h``."""

    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        h = self._rec_h(states[0], rec_mask)
        h = self._act(ops.add(xz, ops.matmul(h, rk)))
        return h, [h]


class LSTM(_RNN):
    """Long Short-Term Memory (Hochreiter & Schmidhuber, 1997), Keras's gate order i, f, c,
    o; states ``[h, c]``."""

    _n_gates = 4
    _state_names = ("h", "c")

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = _initializers.get(self.bias_initializer) or _initializers.get("zeros")
        return _UnitForgetBias(base, self.units)

    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        h_prev, c_prev = states
        z = ops.add(xz, ops.matmul(self._rec_h(h_prev, rec_mask), rk))
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        ra = self.recurrent_activation
        i, f, o = ra(zi), ra(zf), ra(zo)
        c = ops.add(ops.multiply(f, c_prev), ops.multiply(i, self._act(zc)))
        h = ops.multiply(o, self._act(c))
        return h, [h, c]


class GRU(_RNN):
    """Gated Recurrent Unit (Cho et al., 2014), Keras's gate order z, r, h.

    ``reset_after=True`` (default, as Keras 3 / cuDNN): ``hh = activation(x_h + r *
    (h_prev @ U_h + b_rh))`` with a ``(2, 3u)`` bias; ``reset_after=False``: ``hh =
    activation(x_h + (r * h_prev) @ U_h)`` with a ``(3u,)`` bias."""

    _n_gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, **kwargs)
        self.recurrent_activation = _activations.get(recurrent_activation)
        self.reset_after = bool(reset_after)

    def _bias_shape(self) -> tuple[int, ...]:
        g = 3 * self.units
        return (2, g) if self.reset_after else (g,)

    def _input_bias(self, b: Any) -> Any:
        return b[0] if self.reset_after else b

    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        h_prev = states[0]
        hr = self._rec_h(h_prev, rec_mask)
        u = self.units
        ra = self.recurrent_activation
        x_z, x_r, x_h = ops.split(xz, 3, axis=-1)
        if self.reset_after:
            inner = ops.matmul(hr, rk)
            if b is not None:
                inner = ops.add(inner, b[1])
            r_z, r_r, r_h = ops.split(inner, 3, axis=-1)
            z = ra(ops.add(x_z, r_z))
            r = ra(ops.add(x_r, r_r))
            hh = self._act(ops.add(x_h, ops.multiply(r, r_h)))
        else:
            inner = ops.matmul(hr, rk[:, :2 * u])
            r_z, r_r = ops.split(inner, 2, axis=-1)
            z = ra(ops.add(x_z, r_z))
            r = ra(ops.add(x_r, r_r))
            hh = self._act(ops.add(x_h, ops.matmul(ops.multiply(r, hr), rk[:, 2 * u:])))
        h = ops.add(ops.multiply(z, h_prev), ops.multiply(ops.subtract(1.0, z), hh))
        return h, [h]
