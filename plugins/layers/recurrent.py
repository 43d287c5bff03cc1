"""Recurrent layers: RNN (runs any cell), SimpleRNN, LSTM and GRU (Keras 3 semantics).

Inputs are ``(batch, timesteps, features)`` with a known number of timesteps. The time loop
is unrolled in Python with ``tensorweave.ops`` (every step is recorded into the traced
training graph), which suits the sequence lengths of the tutorials.

``RNN(cell)`` runs any object with Keras's cell protocol (see ``recurrent_cells.py``):
``call(inputs, states, training=None) -> (output, new_states)``, ``state_size`` (an int or
a list of ints), optional ``output_size`` and ``get_initial_state(batch_size)``; a list of
cells runs them stacked (``StackedRNNCells``). ``SimpleRNN``, ``LSTM`` and ``GRU`` are
``RNN`` layers over ``SimpleRNNCell`` / ``LSTMCell`` / ``GRUCell`` (``layer.cell``). With a
built-in cell the input projection ``x @ kernel (+ bias)`` is computed once for all
timesteps; each step then adds ``h @ recurrent_kernel`` and applies the gates. Any other
cell is called once per step.

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

The weights live in the cell; the layer's ``weights`` are the cell's (``kernel``,
``recurrent_kernel``, ``bias``). A stateful layer's states are non-weight state, as in
Keras: in ``variables`` but not in ``weights`` / ``get_weights()`` / saved weights, so
weights trained with batch size N load into a batch-1 copy of the model. With
``return_state`` the states follow the output in the cell's structure: ``[out, h, c]`` for
an LSTM cell, ``[out, [h1, c1], [h2, c2]]`` for two stacked LSTM cells (Keras 3);
``initial_state`` takes that structure or the flat list of state tensors.

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

import inspect
from typing import Any

import numpy as np

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.variables import StatelessScope, current_substitution

from .base import Layer, _Unserializable, in_shape_inference
from .recurrent_cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    _Cell,
    build_cell,
    call_cell,
    cell_output_size,
    check_cell,
    check_rate,
    check_units,
)
from .reshaping import layer_label

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU"]


def _flatten(tree: Any) -> list:
    """Lists and tuples flattened (any nesting); anything else is one leaf."""
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flatten(item)]
    return [tree]


class RNN(Layer):
    """Runs a recurrent cell over the timesteps of ``(batch, timesteps, features)`` inputs
    (Keras 3's ``keras.layers.RNN``).

    ``cell``: an object with ``call(inputs, states, training=None) -> (output,
    new_states)`` and ``state_size`` (``output_size`` and ``get_initial_state(batch_size)``
    are optional), e.g. ``LSTMCell(32)`` or a ``tw.layers.Layer`` subclass of your own; a
    list of cells is run stacked (``StackedRNNCells``). ``return_sequences``,
    ``return_state``, ``go_backwards``, ``stateful`` and ``zero_output_for_mask`` mean what
    they mean for ``LSTM``; ``unroll`` is accepted for Keras compatibility (the loop is
    always unrolled). Call with ``initial_state=``, ``mask=`` and ``training=`` as the
    built-in recurrent layers."""

    def __init__(self, cell: Any, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if isinstance(cell, (list, tuple)):
            if not cell:
                raise InvalidArgumentError(f"{where}: argument 'cell': expected a cell or a "
                                           "non-empty list of cells, got []")
            for i, c in enumerate(cell):
                check_cell(where, f"cell[{i}]", c)
            cell = StackedRNNCells(list(cell))
        check_cell(where, "cell", cell)
        self._setup(cell, return_sequences=return_sequences, return_state=return_state,
                    go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                    zero_output_for_mask=zero_output_for_mask)

    def _setup(self, cell: Any, return_sequences: bool, return_state: bool,
               go_backwards: bool, stateful: bool, unroll: bool,
               zero_output_for_mask: bool) -> None:
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)  # the loop is always unrolled
        # a masked step repeats the previous output (Keras's default) or gives zeros
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        size = cell.state_size
        self.single_state = not isinstance(size, (list, tuple))
        #: one entry per top-level state (Keras): an int, or a list for a stacked cell
        self.state_size = [size] if self.single_state else list(size)
        self._flat_sizes = [int(s) for s in _flatten(self.state_size)]
        self.states: list[Any] = [None] * len(self.state_size)
        self._state_vars: list[Any] = []
        self._n_features: int | None = None

    # ---- structure of the states -------------------------------------------------------
    @property
    def _state_names(self) -> tuple[str, ...]:
        """One name per (flat) state: ``h`` / ``c`` for the built-in cells, else its
        index."""
        if isinstance(self.cell, _Cell):
            return self.cell._state_names
        return tuple(str(i) for i in range(len(self._flat_sizes)))

    def _pack(self, flat: list) -> list:
        """The flat state list in the cell's structure (one entry per ``state_size``
        entry, nested like it)."""
        it = iter(flat)

        def take(size: Any) -> Any:
            if isinstance(size, (list, tuple)):
                return [take(s) for s in size]
            return next(it)

        return [take(s) for s in self.state_size]

    # ---- weights -----------------------------------------------------------------------
    def _cell_weight_path(self, var: Any) -> str:
        return f"{self.name}/{var.path}"  # Keras: rnn/minimal_rnn_cell/kernel

    def build(self, input_shape: Any) -> None:
        where = layer_label(self)
        if len(input_shape) != 3:
            raise ShapeError(f"{where}: expected inputs of shape (batch, timesteps, features), "
                             f"got {tuple(input_shape)}")
        feat = input_shape[-1]
        if feat is None:
            raise ShapeError(f"{where}: the features dimension must be known, got input shape "
                             f"{tuple(input_shape)}")
        self._n_features = int(feat)
        if isinstance(self.cell, Layer):
            build_cell(self.cell, (input_shape[0], int(feat)))
            for var in self.cell.weights:
                if not var.path.startswith(f"{self.name}/"):
                    var.path = self._cell_weight_path(var)
        if self.stateful:
            batch = input_shape[0] if input_shape[0] is not None else self._batch_size_arg
            if batch is None:
                raise InvalidArgumentError(
                    f"{where}: stateful=True needs a fixed batch size: pass "
                    "batch_input_shape=(batch, timesteps, features) or batch_size= to the "
                    "layer, or use tw.Input(shape, batch_size=...)")
            # non-weight state (Keras): not in weights/get_weights, so the weights of a
            # model trained with batch N load into a batch-1 copy for generation
            self._state_vars = [self._add_state_variable((int(batch), size), "zeros",
                                                         name=f"state_{n}")
                                for n, size in zip(self._state_names, self._flat_sizes)]
            self.states = self._pack(self._state_vars)
        self.built = True

    # ---- states ------------------------------------------------------------------------
    def reset_states(self, states: Any = None) -> None:
        """Set the stateful layer's states to zero (or to ``states``, one array per state:
        ``[h]`` or ``[h, c]`` for LSTM; nested as the cell's states, or flat)."""
        where = layer_label(self)
        if not self.stateful:
            raise InvalidArgumentError(f"{where}: reset_states() needs a stateful layer "
                                       "(stateful=True)")
        if not self.built:
            return  # the states are created (as zeros) when the layer is built
        if states is None:
            for v in self._state_vars:
                v.assign(np.zeros(v.shape, dtype=v.stored_dtype.name))
            return
        flat = _flatten(states)
        if len(flat) != len(self._state_vars):
            raise InvalidArgumentError(f"{where}: reset_states expected {len(self._state_vars)} "
                                       f"state array(s), got {len(flat)}")
        for v, s in zip(self._state_vars, flat):
            v.assign(s)

    reset_state = reset_states

    def get_initial_state(self, batch_size: int) -> list:
        """The states a call starts from without ``initial_state`` (zeros unless the cell
        defines ``get_initial_state``), in the cell's structure."""
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None:
            init = fn(batch_size=batch_size)
            return list(init) if isinstance(init, (list, tuple)) else [init]
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        return self._pack([ops.zeros((batch_size, s), dtype=dtype) for s in self._flat_sizes])

    @staticmethod
    def _zeros_like_state(x0: Any, size: int) -> Any:
        # (batch, size) zeros that also work for an unknown (symbolic) batch size
        return ops.add(ops.zeros_like(x0[:, :1]), ops.zeros((size,), dtype=x0.dtype))

    def _check_state(self, s: Any, size: int, batch: Any, arg: str, what: str) -> Any:
        s = s if ops.is_tensor(s) else ops.convert_to_tensor(s)
        shape = tuple(s.shape)
        if len(shape) != 2 or shape[1] != size or (
                None not in (shape[0], batch) and shape[0] != batch):
            raise ShapeError(f"{layer_label(self)}: argument {arg!r}: expected {what}shape "
                             f"({batch}, {size}), got {shape}")
        return s

    def _initial_states(self, inputs: Any, initial_state: Any) -> list:
        """The flat list of the states the loop starts from."""
        where = layer_label(self)
        n = len(self._flat_sizes)
        batch = inputs.shape[0]

        def cast(s: Any) -> Any:
            return s if s.dtype is inputs.dtype else ops.cast(s, inputs.dtype)

        if initial_state is not None:
            states = _flatten(initial_state)
            if len(states) != n:
                raise InvalidArgumentError(f"{where}: argument 'initial_state': expected {n} "
                                           f"state tensor(s), got {len(states)}")
            return [cast(self._check_state(s, size, batch, "initial_state", ""))
                    for s, size in zip(states, self._flat_sizes)]
        if self.stateful and self._state_vars:
            vb = self._state_vars[0].shape[0]
            if batch is None and ops.is_symbolic(inputs):
                return [self._zeros_like_state(inputs[:, 0, :], s) for s in self._flat_sizes]
            if batch != vb:
                raise ShapeError(f"{where}: a stateful layer was built for batch size {vb}, "
                                 f"got inputs of shape {tuple(inputs.shape)} (keep the batch "
                                 "size fixed, e.g. fit(..., batch_size=N, shuffle=False) with "
                                 "a sample count divisible by N)")
            return [cast(v.value) for v in self._state_vars]
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is not None and batch is not None and not isinstance(self.cell, _Cell):
            states = _flatten(fn(batch_size=batch))
            if len(states) != n:
                raise InvalidArgumentError(
                    f"{where}: argument 'cell': {type(self.cell).__name__}.get_initial_state "
                    f"returned {len(states)} state tensor(s), its state_size "
                    f"{self.cell.state_size!r} declares {n}")
            return [cast(self._check_state(s, size, batch, "cell",
                                           "get_initial_state to return tensors of "))
                    for s, size in zip(states, self._flat_sizes)]
        return [self._zeros_like_state(inputs[:, 0, :], s) for s in self._flat_sizes]

    def _save_states(self, states: list) -> None:
        scope = current_substitution()
        traced_scope = isinstance(scope, StatelessScope)
        if not traced_scope and any(ops.is_symbolic(s) for s in states):
            return  # a symbolic call (functional API, shape inference): nothing to keep
        for v, s in zip(self._state_vars, states):
            v.assign(ops.stop_gradient(s))

    # ---- the loop ----------------------------------------------------------------------
    def _cell_step(self, x_t: Any, flat: list, training: Any, check: bool
                   ) -> tuple[Any, list]:
        """One call of a cell that is not a built-in one, with its result checked on the
        first step (the number of states and their shapes)."""
        where = layer_label(self)
        cell = self.cell
        name = type(cell).__name__
        res = call_cell(cell, x_t, self._pack(flat), training)
        if not isinstance(res, (list, tuple)) or len(res) != 2:
            raise InvalidArgumentError(f"{where}: argument 'cell': {name}.call must return "
                                       f"(output, new_states), got {type(res).__name__}")
        out, new = res
        new_flat = _flatten(new)
        if check:
            if len(new_flat) != len(flat):
                raise InvalidArgumentError(
                    f"{where}: argument 'cell': {name}.call returned {len(new_flat)} state "
                    f"tensor(s), its state_size {cell.state_size!r} declares {len(flat)}")
            for s, size in zip(new_flat, self._flat_sizes):
                shape = tuple(getattr(s, "shape", ()))
                if len(shape) != 2 or shape[1] != size:
                    raise ShapeError(f"{where}: argument 'cell': {name}.call returned a state "
                                     f"of shape {shape}, expected (batch, {size}) from its "
                                     f"state_size {cell.state_size!r}")
            declared = getattr(cell, "output_size", None)
            shape = tuple(getattr(out, "shape", ()))
            if declared is not None and (len(shape) != 2 or shape[1] != declared):
                raise ShapeError(f"{where}: argument 'cell': {name}.call returned an output of "
                                 f"shape {shape}, expected (batch, {declared}) from its "
                                 "output_size")
        return out, new_flat

    def _dropout_cells(self) -> list:
        if not isinstance(self.cell, Layer):
            return []
        return [c for c in self.cell._flatten_layers() if isinstance(c, _Cell)]

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
        if inputs.shape[-1] != self._n_features:
            raise ShapeError(f"{where}: argument 'inputs': expected {self._n_features} "
                             f"features (the layer was built for them), got shape "
                             f"{tuple(inputs.shape)}")
        x = inputs
        if not x.dtype.is_floating:
            x = ops.cast(x, self.compute_dtype)
        states = self._initial_states(x, initial_state)
        step_mask = self._step_mask(mask, inputs.shape)
        # inside this call every built-in cell draws its dropout masks once
        cells = self._dropout_cells()
        for c in cells:
            c._dropout_cache = {}
        try:
            output, states = self._loop(x, states, step_mask, training)
        finally:
            for c in cells:
                c._dropout_cache = None
        if self.stateful:
            self._save_states(states)
        if self.return_state:
            return [output, *self._pack(states)]
        return output

    def _loop(self, x: Any, states: list, step_mask: Any, training: Any
              ) -> tuple[Any, list]:
        steps = x.shape[1]
        cell = self.cell
        if isinstance(cell, _Cell):
            # a built-in cell: project every timestep at once, then only the recurrent half
            weights = cell._read_weights()
            xz = cell._project(x, weights, training)

            def step(t: int, st: list, first: bool) -> tuple[Any, list]:
                return cell._recur(xz[:, t, :], st, weights, training)
        else:
            def step(t: int, st: list, first: bool) -> tuple[Any, list]:
                return self._cell_step(x[:, t, :], st, training, first)

        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs = []
        prev_out = None
        out = None
        for i, t in enumerate(order):
            new_out, new_states = step(t, states, i == 0)
            if step_mask is None:
                out, states = new_out, list(new_states)
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
        output = ops.stack(outputs, axis=1) if self.return_sequences else out
        return output, states

    def _shape_only_outputs(self, inputs: Any) -> Any:
        """Outputs of the right shapes for a sequence of unknown length (``Input((None,
        features))``): the functional API and ``compute_output_shape`` only need shapes;
        the layer unrolls over the real number of steps when it runs on data."""
        if inputs.shape[-1] != self._n_features:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected "
                             f"{self._n_features} features, got shape "
                             f"{tuple(inputs.shape)}")
        x = inputs if inputs.dtype.is_floating else ops.cast(inputs, self.compute_dtype)

        def seq_of(size: int) -> Any:  # (batch, None, size)
            return ops.matmul(x, ops.zeros((self._n_features, size), dtype=x.dtype))

        seq = seq_of(cell_output_size(self.cell))
        output = seq if self.return_sequences else ops.sum(seq, axis=1)
        if self.return_state:
            return [output, *self._pack([ops.sum(seq_of(s), axis=1)
                                         for s in self._flat_sizes])]
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
            return [out_mask] + [None] * len(self._flat_sizes)
        return out_mask

    # ---- config ------------------------------------------------------------------------
    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
        if isinstance(self.cell, Layer) or hasattr(self.cell, "get_config"):
            config["cell"] = serialize_layer(self.cell)
        else:
            config["cell"] = _Unserializable(f"{type(self).__name__}.cell", self.cell)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> RNN:
        from tensorweave.saving import deserialize_layer

        config = dict(config)
        build_shape = config.pop("build_input_shape", None)
        cell = config.pop("cell")
        if isinstance(cell, list):
            cell = [deserialize_layer(c, custom_objects) for c in cell]
        else:
            cell = deserialize_layer(cell, custom_objects)
        layer = cls(cell, **config)
        if build_shape is not None:
            layer._maybe_build_from_shape(build_shape)
        return layer


# ---- SimpleRNN / LSTM / GRU: RNN layers over the built-in cells ---------------------------
_LOOP_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll",
              "zero_output_for_mask")


def _cell_params(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is Layer or not issubclass(klass, Layer):
            break
        init = klass.__dict__.get("__init__")
        if init is not None:
            names |= {p for p in inspect.signature(init).parameters
                      if p not in ("self", "kwargs")}
    return names


def _from_cell(name: str, doc: str = "") -> property:
    return property(lambda self: getattr(self.cell, name),
                    doc=doc or f"The cell's ``{name}``.")


class _CellLayer(RNN):
    """An RNN layer that makes its own built-in cell from its arguments (Keras 3's
    ``LSTM(RNN)``). Its config is its arguments (as before the cells existed), not a
    serialized cell."""

    _cell_class: type = _Cell
    _cell_name = "cell"

    def __init__(self, units: int, **kwargs: Any) -> None:
        loop = {k: kwargs.pop(k) for k in _LOOP_ARGS if k in kwargs}
        use_cudnn = kwargs.pop("use_cudnn", "auto")
        cell_args = _cell_params(self._cell_class)
        cell_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in cell_args}
        Layer.__init__(self, **kwargs)
        where = layer_label(self)
        # errors name this layer rather than its cell
        check_units(where, units)
        for arg in ("dropout", "recurrent_dropout"):
            if arg in cell_kw:
                check_rate(where, arg, cell_kw[arg])
        cell = self._cell_class(units, name=self._cell_name, dtype=self.dtype_policy,
                                trainable=self.trainable, **cell_kw)
        self.use_cudnn = use_cudnn
        self._setup(cell, **{k: loop.get(k, False) for k in _LOOP_ARGS})

    def _cell_weight_path(self, var: Any) -> str:
        return f"{self.name}/{var.name}"  # as before the cells: lstm/kernel

    def get_config(self) -> dict:
        config = Layer.get_config(self)
        config.pop("use_cudnn", None)  # Keras leaves it out (a backend choice)
        config["zero_output_for_mask"] = self.zero_output_for_mask
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> RNN:
        return Layer.from_config.__func__(cls, config)  # type: ignore[attr-defined]

    units = _from_cell("units")
    activation = _from_cell("activation")
    use_bias = _from_cell("use_bias")
    kernel_initializer = _from_cell("kernel_initializer")
    recurrent_initializer = _from_cell("recurrent_initializer")
    bias_initializer = _from_cell("bias_initializer")
    kernel_regularizer = _from_cell("kernel_regularizer")
    recurrent_regularizer = _from_cell("recurrent_regularizer")
    bias_regularizer = _from_cell("bias_regularizer")
    kernel_constraint = _from_cell("kernel_constraint")
    recurrent_constraint = _from_cell("recurrent_constraint")
    bias_constraint = _from_cell("bias_constraint")
    dropout = _from_cell("dropout")
    recurrent_dropout = _from_cell("recurrent_dropout")
    seed = _from_cell("seed")
    kernel = _from_cell("kernel", "The cell's input kernel ``(features, gates * units)``.")
    recurrent_kernel = _from_cell("recurrent_kernel",
                                  "The cell's recurrent kernel ``(units, gates * units)``.")
    bias = _from_cell("bias", "The cell's bias (``None`` with ``use_bias=False``).")


class SimpleRNN(_CellLayer):
    """Fully connected RNN: ``h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel +
    bias)``; the output is ``h``. ``RNN(SimpleRNNCell(units, ...))`` with the cell's
    arguments and the RNN's arguments in one call."""

    _cell_class = SimpleRNNCell
    _cell_name = "simple_rnn_cell"

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0,
                 return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)


class LSTM(_CellLayer):
    """Long Short-Term Memory (Hochreiter & Schmidhuber, 1997), Keras's gate order i, f, c,
    o; states ``[h, c]``. ``RNN(LSTMCell(units, ...))`` with the cell's arguments and the
    RNN's arguments in one call."""

    _cell_class = LSTMCell
    _cell_name = "lstm_cell"

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True,
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0,
                 seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", **kwargs: Any) -> None:
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer,
                         unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, **kwargs)

    recurrent_activation = _from_cell("recurrent_activation")
    unit_forget_bias = _from_cell("unit_forget_bias")


class GRU(_CellLayer):
    """Gated Recurrent Unit (Cho et al., 2014), Keras's gate order z, r, h.

    ``reset_after=True`` (default, as Keras 3 / cuDNN): ``hh = activation(x_h + r *
    (h_prev @ U_h + b_rh))`` with a ``(2, 3u)`` bias; ``reset_after=False``: ``hh =
    activation(x_h + (r * h_prev) @ U_h)`` with a ``(3u,)`` bias. ``RNN(GRUCell(units,
    ...))`` with the cell's arguments and the RNN's arguments in one call."""

    _cell_class = GRUCell
    _cell_name = "gru_cell"

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0,
                 seed: int | None = None, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False,
                 stateful: bool = False, unroll: bool = False,
                 reset_after: bool = True, use_cudnn: Any = "auto", **kwargs: Any) -> None:
        super().__init__(units, activation=activation,
                         recurrent_activation=recurrent_activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, reset_after=reset_after,
                         kernel_regularizer=kernel_regularizer,
                         recurrent_regularizer=recurrent_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint,
                         recurrent_constraint=recurrent_constraint,
                         bias_constraint=bias_constraint, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, seed=seed,
                         return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         use_cudnn=use_cudnn, **kwargs)

    recurrent_activation = _from_cell("recurrent_activation")
    reset_after = _from_cell("reset_after")
