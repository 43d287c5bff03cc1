"""Recurrent cells (Keras 3's cell API): SimpleRNNCell, LSTMCell, GRUCell and
StackedRNNCells.

A cell computes *one* timestep: ``cell(inputs, states, training=None) -> (output,
new_states)`` with ``inputs`` of shape ``(batch, features)`` and one ``(batch, size)``
tensor per state. It declares ``state_size`` (an int, or a list with one size per state:
``[units, units]`` for LSTMCell) and ``output_size``, and may define
``get_initial_state(batch_size)``. ``tw.layers.RNN(cell)`` runs any object with this
protocol over a sequence (a user cell subclassing ``tw.layers.Layer`` included), and a list
of cells (or ``StackedRNNCells``) runs them stacked, each step feeding the next cell.

The built-in cells hold the weights and the step equations of SimpleRNN / LSTM / GRU
(those layers are ``RNN(cell)`` layers); see ``recurrent.py`` for the equations. They
compute a step as two halves: ``_project`` (``x @ kernel + input bias``, with the input
dropout mask) and ``_recur`` (the recurrent matmul and the gates). A cell called alone does
both; the RNN layer projects every timestep at once and then runs ``_recur`` per step.

Dropout follows Keras 3: inside one RNN call each cell draws one input mask and one
recurrent mask and uses them at every timestep (only when training); a cell called alone
draws fresh masks on each call.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

import tensorweave.activations as _activations
import tensorweave.initializers as _initializers
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer
from .reshaping import layer_label

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


# ---- argument checks (shared with the RNN layers) -----------------------------------------
def check_units(where: str, units: Any) -> int:
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise InvalidArgumentError(f"{where}: argument 'units': expected a positive int, "
                                   f"got {units!r}")
    return int(units)


def check_rate(where: str, name: str, value: Any) -> float:
    try:
        r = float(value)
    except (TypeError, ValueError):
        r = -1.0
    if isinstance(value, bool) or not 0.0 <= r < 1.0:
        raise InvalidArgumentError(f"{where}: argument {name!r}: expected a value in [0, 1), "
                                   f"got {value!r}")
    return r


def accepts_training(fn: Any) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "training" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD
                                       for p in params.values())


def call_cell(cell: Any, inputs: Any, states: Any, training: Any) -> Any:
    """One step of any cell: a Layer through ``__call__`` (building, dtype policy,
    ``training`` only if its ``call`` takes it), another object through ``__call__`` or
    ``call`` (as Keras)."""
    if isinstance(cell, Layer):
        return cell(inputs, states, training=training)
    fn = cell if callable(cell) else cell.call
    if accepts_training(getattr(cell, "call", fn)):
        return fn(inputs, states, training=training)
    return fn(inputs, states)


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


# ---- the built-in cells -------------------------------------------------------------------
class _Cell(Layer):
    """Weights, dropout and the two step halves of the built-in cells. Subclasses define
    ``_n_gates``, ``_state_names``, ``_bias_shape``, ``_bias_init`` and ``_step``."""

    _n_gates = 1
    _state_names: tuple[str, ...] = ("h",)

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        self.units = check_units(where, units)
        self.activation = _activations.get(activation) if activation is not None else None
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer
        self.recurrent_initializer = recurrent_initializer
        self.bias_initializer = bias_initializer
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
        n = len(self._state_names)
        self.state_size: Any = self.units if n == 1 else [self.units] * n
        self.output_size = self.units
        # set by the RNN layer for one call: the dropout masks drawn once per sequence
        self._dropout_cache: dict | None = None

    # ---- weights -----------------------------------------------------------------------
    def _bias_shape(self) -> tuple[int, ...]:
        return (self._n_gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        feat = tuple(input_shape)[-1] if input_shape else None
        if feat is None:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': the features dimension "
                             f"must be known, got input shape {tuple(input_shape or ())}")
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
        self.built = True

    def _maybe_build_from_shape(self, shape: Any) -> None:
        if not self.built:
            self._build_shape = tuple(shape)
            self.build(tuple(shape))

    def _read_weights(self) -> tuple:
        """``(kernel, recurrent_kernel, bias)`` read once (``.value`` applies the
        mixed-precision autocast)."""
        b = self.bias.value if self.bias is not None else None
        return self.kernel.value, self.recurrent_kernel.value, b

    def get_initial_state(self, batch_size: Any = None) -> list:
        return [ops.zeros((batch_size, self.units), dtype=self.compute_dtype)
                for _ in self._state_names]

    # ---- dropout -----------------------------------------------------------------------
    def _mask(self, kind: str, like: Any, rate: float, training: Any) -> Any:
        if not training or rate <= 0:
            return None
        cache = self._dropout_cache
        if cache is not None and kind in cache:
            return cache[kind]
        mask = _random.dropout(ops.ones_like(like), rate, seed=self.seed_generator)
        if cache is not None:
            cache[kind] = mask
        return mask

    # ---- the step ----------------------------------------------------------------------
    def _project(self, x: Any, weights: tuple, training: Any) -> Any:
        """``x @ kernel (+ input bias)`` for ``x`` of shape ``(batch, features)`` or, for all
        timesteps at once, ``(batch, T, features)`` (one input dropout mask for every
        step)."""
        k, _, b = weights
        seq = x.ndim == 3
        mask = self._mask("inputs", x[:, 0, :] if seq else x, self.dropout, training)
        if mask is not None:
            x = ops.multiply(x, ops.expand_dims(mask, 1) if seq else mask)
        z = ops.matmul(x, k)
        if b is not None:
            z = ops.add(z, self._input_bias(b))
        return z

    def _input_bias(self, b: Any) -> Any:
        return b

    def _recur(self, xz: Any, states: list, weights: tuple, training: Any
               ) -> tuple[Any, list]:
        """The rest of the step from the projected inputs ``xz`` and the state list."""
        _, rk, b = weights
        rec_mask = self._mask("recurrent", states[0], self.recurrent_dropout, training)
        return self._step(xz, states, rec_mask, rk, b)

    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        raise NotImplementedError

    def _act(self, z: Any) -> Any:
        return self.activation(z) if self.activation is not None else z

    @staticmethod
    def _rec_h(h: Any, rec_mask: Any) -> Any:
        return ops.multiply(h, rec_mask) if rec_mask is not None else h

    def call(self, inputs: Any, states: Any, training: Any = None) -> Any:
        where = layer_label(self)
        n = len(self._state_names)
        nested = isinstance(states, (list, tuple))
        flat = list(states) if nested else [states]
        if len(flat) != n:
            raise InvalidArgumentError(f"{where}: argument 'states': expected {n} state "
                                       f"tensor(s) of shape (batch, {self.units}), got "
                                       f"{len(flat)}")
        if inputs.ndim != 2:
            raise ShapeError(f"{where}: argument 'inputs': expected shape (batch, features) "
                             f"(one timestep), got {tuple(inputs.shape)}")
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ShapeError(f"{where}: argument 'inputs': expected {self.kernel.shape[0]} "
                             f"features (the cell was built for them), got shape "
                             f"{tuple(inputs.shape)}")
        for s in flat:
            if len(s.shape) != 2 or s.shape[-1] != self.units:
                raise ShapeError(f"{where}: argument 'states': expected tensors of shape "
                                 f"(batch, {self.units}), got {tuple(s.shape)}")
        if not inputs.dtype.is_floating:
            inputs = ops.cast(inputs, self.compute_dtype)
        flat = [s if s.dtype is inputs.dtype else ops.cast(s, inputs.dtype) for s in flat]
        weights = self._read_weights()
        out, new = self._recur(self._project(inputs, weights, training), flat, weights,
                               training)
        if n == 1 and not nested:
            return out, new[0]
        return out, new


class SimpleRNNCell(_Cell):
    """The step of SimpleRNN: ``h = activation(x @ kernel + h_prev @ recurrent_kernel +
    bias)``; ``state_size = output_size = units``."""

    def _step(self, xz: Any, states: list, rec_mask: Any, rk: Any,
              b: Any) -> tuple[Any, list]:
        h = self._rec_h(states[0], rec_mask)
        h = self._act(ops.add(xz, ops.matmul(h, rk)))
        return h, [h]


class LSTMCell(_Cell):
    """The step of LSTM (gates i, f, c, o); ``state_size = [units, units]`` (``h``,
    ``c``)."""

    _n_gates = 4
    _state_names = ("h", "c")

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True,
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
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


class GRUCell(_Cell):
    """The step of GRU (gates z, r, h); ``reset_after=True`` (default) has a ``(2, 3u)``
    bias (input bias, recurrent bias); ``state_size = output_size = units``."""

    _n_gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 reset_after: bool = True, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed, **kwargs)
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


# ---- stacking ------------------------------------------------------------------------------
def check_cell(where: str, arg: str, cell: Any) -> None:
    """Keras's cell protocol: a ``call`` method and a ``state_size`` (an int or a list of
    them, nested for stacked cells)."""
    if not callable(getattr(cell, "call", None)):
        raise InvalidArgumentError(f"{where}: argument {arg!r}: expected an RNN cell (an "
                                   f"object with a call(inputs, states) method), got "
                                   f"{type(cell).__name__} {cell!r}")
    size = getattr(cell, "state_size", None)
    if size is None:
        raise InvalidArgumentError(
            f"{where}: argument {arg!r}: the cell {type(cell).__name__} has no state_size "
            "(set self.state_size in its __init__: an int, or a list of ints with one size "
            "per state)")
    if not _valid_size(size):
        raise InvalidArgumentError(f"{where}: argument {arg!r}: the state_size of "
                                   f"{type(cell).__name__} must be a positive int or a list "
                                   f"of them, got {size!r}")


def _valid_size(size: Any) -> bool:
    if isinstance(size, (list, tuple)):
        return len(size) > 0 and all(_valid_size(s) for s in size)
    return isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size > 0


def cell_output_size(cell: Any) -> int:
    """``output_size``, else the first state size (as Keras)."""
    out = getattr(cell, "output_size", None)
    if out is not None:
        return int(out)
    size = cell.state_size
    while isinstance(size, (list, tuple)):
        size = size[0]
    return int(size)


def build_cell(cell: Any, input_shape: tuple) -> None:
    """Build a Layer cell for ``(batch, features)`` step inputs (nothing for other
    objects)."""
    if not isinstance(cell, Layer) or cell.built:
        return
    cell._build_shape = tuple(input_shape)
    if len(inspect.signature(cell.build).parameters) == 0:
        cell.build()  # type: ignore[call-arg]
    else:
        cell.build(tuple(input_shape))
    cell.built = True


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the inputs through the cells in order
    (the output of one is the input of the next). ``state_size`` is the list of the cells'
    state sizes, and the states are passed as that nested list (``[[h1, c1], [h2, c2]]``
    for two LSTMCells, ``[h1, h2]`` for two SimpleRNNCells); ``output_size`` is the last
    cell's. ``RNN([cell1, cell2])`` builds one of these."""

    def __init__(self, cells: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if not isinstance(cells, (list, tuple)) or not cells:
            raise InvalidArgumentError(f"{where}: argument 'cells': expected a non-empty "
                                       f"list of RNN cells, got {cells!r}")
        for i, cell in enumerate(cells):
            check_cell(where, f"cells[{i}]", cell)
        self.cells = list(cells)
        self.supports_masking = True

    @property
    def state_size(self) -> list:
        return [c.state_size for c in self.cells]

    @property
    def output_size(self) -> int:
        return cell_output_size(self.cells[-1])

    def get_initial_state(self, batch_size: Any = None) -> list:
        out: list = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                init = fn(batch_size=batch_size)
                if not isinstance(cell.state_size, (list, tuple)) and \
                        isinstance(init, (list, tuple)) and len(init) == 1:
                    init = init[0]  # one state: bare, in the structure of state_size
                out.append(init)
            elif isinstance(cell.state_size, (list, tuple)):
                out.append([ops.zeros((batch_size, d), dtype=self.compute_dtype)
                            for d in cell.state_size])
            else:
                out.append(ops.zeros((batch_size, cell.state_size), dtype=self.compute_dtype))
        return out

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            build_cell(cell, shape)
            shape = (shape[0], cell_output_size(cell))
        self.built = True

    def _maybe_build_from_shape(self, shape: Any) -> None:
        if not self.built:
            self._build_shape = tuple(shape)
            self.build(tuple(shape))

    def call(self, inputs: Any, states: Any, training: Any = None) -> Any:
        where = layer_label(self)
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            got = len(states) if isinstance(states, (list, tuple)) else 1
            raise InvalidArgumentError(f"{where}: argument 'states': expected one entry per "
                                       f"cell ({len(self.cells)}), got {got}")
        new_states = []
        for cell, st in zip(self.cells, states):
            was_list = isinstance(st, (list, tuple))
            st = list(st) if was_list else [st]
            inputs, st = call_cell(cell, inputs, st, training)
            if not isinstance(st, (list, tuple)):
                st = [st]
            if len(st) == 1 and not was_list:
                st = st[0]
            new_states.append(st)
        return inputs, new_states

    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        config = super().get_config()
        config["cells"] = [serialize_layer(c) for c in self.cells]
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> StackedRNNCells:
        from tensorweave.saving import deserialize_layer

        config = dict(config)
        build_shape = config.pop("build_input_shape", None)
        cells = [deserialize_layer(c, custom_objects) for c in config.pop("cells")]
        obj = cls(cells, **config)
        if build_shape is not None:
            obj._maybe_build_from_shape(build_shape)
        return obj
