"""The ``Layer`` base class, ``InputLayer`` and ``Input`` (Keras 3 semantics).

A layer owns variables (``add_weight``), builds them lazily from the first input shape,
and computes with ``tensorweave.ops`` in ``call`` — so the same layer runs eagerly, inside
a traced training step, and on every backend. Calling a layer on the symbolic tensors of
``tw.Input`` records a node (the functional API); calling it on concrete data runs it.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import re
import weakref
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.graph.tracing import placeholder, tree_flatten, tree_unflatten
from tensorweave.variables import Variable, autocast

__all__ = ["Layer", "InputLayer", "Input", "KerasNode", "training_scope", "current_training",
           "snake_case", "unique_name", "clear_session"]

_name_counters: dict[str, itertools.count] = {}
_training: ContextVar[bool | None] = ContextVar("tw_training", default=None)
# True inside a layer's ``__call__``: only the outermost call clears the losses that the
# previous call added (``add_loss``, activity regularizers), as Keras does
_in_call: ContextVar[bool] = ContextVar("tw_in_layer_call", default=False)
# True while a layer is called only to learn output shapes: on ``tw.Input`` tensors (the
# functional API records the call and runs the layer again on data) or in
# ``compute_output_shape``. Layers that need a size only data gives (the number of
# timesteps a recurrent layer unrolls) may then return outputs of the right shape.
_shape_only: ContextVar[bool] = ContextVar("tw_shape_only", default=False)
# layers holding add_loss terms of their last call (so clearing is free when none do)
_with_call_losses: weakref.WeakSet = weakref.WeakSet()


def in_shape_inference(x: Any = None) -> bool:
    """Whether the current layer call only infers shapes (see ``_shape_only``): inside a
    functional-API call or ``compute_output_shape``, or on a symbolic ``x`` outside any
    trace (a placeholder that no compiled graph will run, as ``summary`` uses)."""
    if _shape_only.get():
        return True
    if x is None or not ops.is_symbolic(x):
        return False
    from tensorweave.graph.tracing import _var_nodes

    return _var_nodes.get() is None
_node_ids = itertools.count()


def snake_case(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()
    return s.replace("__", "_")


def unique_name(base: str) -> str:
    counter = _name_counters.setdefault(base, itertools.count())
    i = next(counter)
    return base if i == 0 else f"{base}_{i}"


def clear_session() -> None:
    """Reset automatic layer names (``dense``, ``dense_1`` ...), as Keras does."""
    _name_counters.clear()


@contextlib.contextmanager
def training_scope(training: bool | None) -> Iterator[None]:
    token = _training.set(training)
    try:
        yield
    finally:
        _training.reset(token)


def current_training() -> bool | None:
    return _training.get()


def _mask_leaves(x: Any) -> list:
    """Flatten nested lists/tuples keeping ``None`` entries (masks may be missing)."""
    if isinstance(x, (list, tuple)):
        return [leaf for item in x for leaf in _mask_leaves(item)]
    return [x]


def _input_masks(leaves: list, tree: Any) -> Any:
    """The masks carried by the input tensors: one mask for one input, a list (with
    ``None`` for unmasked inputs) for several, ``None`` when no input has one."""
    if len(leaves) == 1:
        return getattr(leaves[0], "_keras_mask", None)
    masks = [getattr(t, "_keras_mask", None) for t in leaves]
    return None if all(m is None for m in masks) else masks


class KerasNode:
    """One call of a layer on symbolic tensors (the functional API's connectivity)."""

    __slots__ = ("layer", "args", "kwargs", "outputs", "id")

    def __init__(self, layer: Layer, args: tuple, kwargs: dict, outputs: Any) -> None:
        self.layer = layer
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs
        self.id = next(_node_ids)

    @property
    def input_tensors(self) -> list:
        leaves, _ = tree_flatten([self.args, self.kwargs])
        return [t for t in leaves if ops.is_symbolic(t)]


def _shape_of(tree: Any) -> Any:
    """Input shape(s) in the structure Keras passes to ``build``."""
    if isinstance(tree, (list, tuple)):
        return [_shape_of(t) for t in tree]
    if isinstance(tree, dict):
        return {k: _shape_of(v) for k, v in tree.items()}
    return tuple(tree.shape)


_LEGACY_SHAPE_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size",
                        "input_length")


class Layer:
    """Base class of all layers. Subclasses implement ``build`` (optional) and ``call``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Layer:
        obj = super().__new__(cls)
        # Keras's auto-config: remember constructor arguments for get_config()
        obj._init_args = (args, dict(kwargs))
        return obj

    #: whether ``call`` handles an input mask (then the mask is passed on by default)
    supports_masking = False

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True,
                 dtype: Any = None, autocast: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        legacy = {k: kwargs.pop(k) for k in _LEGACY_SHAPE_KWARGS if k in kwargs}
        kwargs.pop("input_spec", None)
        if kwargs:
            raise InvalidArgumentError(f"{type(self).__name__}: unexpected keyword argument(s) "
                                       f"{sorted(kwargs)}")
        object.__setattr__(self, "_layers", [])
        self._tracked_weights: list[Variable] = []
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        self.built = False
        self._set_dtype_policy(dtype)
        self.autocast = autocast
        self._losses: list[Any] = []        # zero-argument callables (weight regularizers)
        self._call_losses: list[Any] = []   # tensors added by the last call
        self.activity_regularizer = activity_regularizer
        self._inbound_nodes: list[KerasNode] = []
        self.supports_masking = False
        self._build_shape: Any = None
        self._input_shape_arg = _legacy_input_shape(type(self).__name__, legacy)
        self._batch_size_arg = legacy.get("batch_size") or (
            legacy["batch_input_shape"][0] if legacy.get("batch_input_shape") else None)

    # ---- dtype policy ------------------------------------------------------------------
    def _set_dtype_policy(self, dtype: Any) -> None:
        from tensorweave.plugins.layers.policy import DTypePolicy

        policy = dtype if isinstance(dtype, DTypePolicy) else DTypePolicy(
            None if dtype is None else dtype)
        self._dtype_policy = policy

    @property
    def dtype_policy(self) -> Any:
        """The layer's ``DTypePolicy`` (it compares equal to its name)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self._set_dtype_policy(value)

    @property
    def compute_dtype(self) -> Any:
        """The dtype ``call`` computes in (float16 under ``mixed_float16``)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self) -> Any:
        """The dtype of the layer's weights (float32 under a mixed policy)."""
        return self._dtype_policy.variable_dtype

    @property
    def dtype(self) -> Any:
        return self.variable_dtype

    @property
    def input_dtype(self) -> Any:
        """The dtype floating inputs are cast to before ``call`` (the compute dtype)."""
        return self.__dict__.get("_input_dtype") or self.compute_dtype

    @input_dtype.setter
    def input_dtype(self, value: Any) -> None:
        self.__dict__["_input_dtype"] = _dt.canonicalize(value)

    @property
    def input_spec(self) -> Any:
        """An ``InputSpec`` (or a list of them) the inputs are checked against before
        ``call``; ``None`` (the default) checks nothing."""
        return self.__dict__.get("_input_spec")

    @input_spec.setter
    def input_spec(self, value: Any) -> None:
        self.__dict__["_input_spec"] = value

    @property
    def path(self) -> str:
        """The layer's path (its name; variables are ``<path>/<variable name>``)."""
        return self.__dict__.get("_path") or self.name

    @property
    def input(self) -> Any:
        """The symbolic input(s) of the layer's first functional-API call."""
        return self._first_node("input").args[0]

    @property
    def output(self) -> Any:
        """The symbolic output(s) of the layer's first functional-API call."""
        return self._first_node("output").outputs

    def _first_node(self, what: str) -> KerasNode:
        if not self._inbound_nodes:
            raise InvalidArgumentError(
                f"{type(self).__name__} {self.name!r}: the layer has never been called on "
                f"symbolic inputs (tw.Input), so it has no defined {what}")
        return self._inbound_nodes[0]

    # ---- tracking ---------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Layer) and name != "_outer":
            self._track_layer(value)
        elif isinstance(value, (list, tuple)) and value and all(
                isinstance(v, Layer) for v in value):
            for v in value:
                self._track_layer(v)
        object.__setattr__(self, name, value)

    def _track_layer(self, layer: Layer) -> None:
        layers = self.__dict__.setdefault("_layers", [])
        if not any(layer is l for l in layers):
            layers.append(layer)

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._layers:
            layer.trainable = value

    def _flatten_layers(self, include_self: bool = True) -> list[Layer]:
        out: list[Layer] = [self] if include_self else []
        seen = {id(self)}
        stack = list(reversed(self._layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            stack.extend(reversed(layer._layers))
        return out

    # ---- weights ---------------------------------------------------------------------
    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None,
                   trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                   constraint: Any = None, aggregation: str = "none",
                   overwrite_with_gradient: bool = False, name: str | None = None,
                   **_: Any) -> Variable:
        """A weight of the layer (Keras's arguments). ``initializer=None`` means
        ``"glorot_uniform"`` for floating dtypes and ``"zeros"`` otherwise, as in Keras;
        ``aggregation`` is kept on the variable (one device: nothing to aggregate)."""
        import tensorweave.constraints as _constraints
        import tensorweave.initializers as _initializers
        import tensorweave.regularizers as _regularizers

        shape = tuple(int(d) for d in (shape or ()))
        dtype = _dt.canonicalize(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            initializer = "glorot_uniform" if dtype.is_floating else "zeros"
        init = _initializers.get(initializer)
        if init is None:
            init = _initializers.get("zeros")
        value = init(shape, dtype=dtype)
        var = Variable(value, dtype=dtype, trainable=trainable,
                       name=name or f"variable_{len(self._tracked_weights)}")
        var.path = f"{self.name}/{var.name}"
        var.aggregation = aggregation
        var.constraint = _constraints.get(constraint)
        reg = _regularizers.get(regularizer)
        if reg is not None:
            self._losses.append(lambda v=var, r=reg: r(v.value))
        self._tracked_weights.append(var)
        return var

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None,
                     trainable: bool = True, autocast: bool = True, regularizer: Any = None,
                     constraint: Any = None, name: str | None = None) -> Variable:
        """Keras's alias of :meth:`add_weight` (shape and initializer required)."""
        return self.add_weight(shape, initializer, dtype=dtype, trainable=trainable,
                               autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    def _add_state_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                            name: str | None = None) -> Variable:
        """A non-trainable variable that is layer *state*, not a weight (a stateful RNN's
        states, as in Keras): in :attr:`variables` (so a compiled step carries it) but not
        in :attr:`weights` / ``get_weights()`` / saved weight files."""
        import tensorweave.initializers as _initializers

        shape = tuple(int(d) for d in (shape or ()))
        dtype = _dt.canonicalize(dtype) if dtype is not None else self.variable_dtype
        init = _initializers.get(initializer) or _initializers.get("zeros")
        var = Variable(init(shape, dtype=dtype), dtype=dtype, trainable=False,
                       name=name or f"state_{len(self._state_variables)}")
        var.path = f"{self.name}/{var.name}"
        self._state_variables.append(var)
        return var

    @property
    def _state_variables(self) -> list[Variable]:
        return self.__dict__.setdefault("_state_variables_list", [])

    @property
    def weights(self) -> list[Variable]:
        """This layer's weights, then its sub-layers' (a variable two layers share is
        listed once, where it first appears, as in Keras)."""
        return _unique([w for layer in self._flatten_layers() for w in layer._tracked_weights])

    @property
    def variables(self) -> list[Variable]:
        """Every variable of the layer: its weights, then its non-weight state (a stateful
        RNN's states), as Keras's ``variables`` extends ``weights``."""
        return self.weights + [v for layer in self._flatten_layers()
                               for v in layer._state_variables]

    @property
    def non_trainable_variables(self) -> list[Variable]:
        """The non-trainable weights and the non-weight state variables."""
        return self.non_trainable_weights + [v for layer in self._flatten_layers()
                                             for v in layer._state_variables]

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        out = []
        for layer in self._flatten_layers():
            if layer.trainable:
                out += [w for w in layer._tracked_weights if w.trainable]
        return _unique(out)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self) -> list[Variable]:
        train = {id(w) for w in self.trainable_weights}
        return [w for w in self.weights if id(w) not in train]


    def get_weights(self) -> list:
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights: list) -> None:
        params = self.weights
        if len(weights) != len(params):
            raise InvalidArgumentError(
                f"{self.name}: set_weights expected {len(params)} arrays, got {len(weights)}")
        for var, w in zip(params, weights):
            shape = tuple(getattr(w, "shape", ()))
            if shape != tuple(var.shape):
                raise ShapeError(f"{self.name}: weight {var.path} has shape {var.shape}, "
                                 f"got an array of shape {shape}")
        for var, w in zip(params, weights):
            var.assign(w)

    def count_params(self) -> int:
        n = 0
        for w in self.weights:
            k = 1
            for d in w.shape:
                k *= d
            n += k
        return n

    @property
    def activity_regularizer(self) -> Any:
        """A regularizer applied to the layer's outputs: its value on each call's outputs
        is added to :attr:`losses` (and so to the training loss), as Keras 3 does (the sum
        over the batch, not divided by the batch size as Keras 2 did)."""
        return self.__dict__.get("_activity_regularizer")

    @activity_regularizer.setter
    def activity_regularizer(self, value: Any) -> None:
        import tensorweave.regularizers as _regularizers

        self.__dict__["_activity_regularizer"] = _regularizers.get(value)

    def add_loss(self, loss: Any) -> None:
        """Add a term to the training loss.

        A tensor computed in ``call`` (e.g. a KL term from the layer's inputs) counts for
        that call only: the next outermost call starts afresh, so a compiled training step
        sees exactly the terms of its own forward pass. A zero-argument callable (Keras 2
        style, e.g. a penalty on a weight) is kept and evaluated whenever :attr:`losses`
        is read."""
        if callable(loss) and not ops.is_tensor(loss):
            self._losses.append(loss)
            return
        if _shape_only.get():
            return  # a call for shapes only: the call on data adds the real term
        if not ops.is_tensor(loss):
            loss = ops.convert_to_tensor(loss, dtype="float32")
        if tuple(loss.shape) != ():
            loss = ops.sum(loss)
        self._call_losses.append(loss)
        _with_call_losses.add(self)

    @property
    def losses(self) -> list:
        """The extra loss terms of this layer and every layer inside it: weight
        regularization, activity regularization and :meth:`add_loss` terms of the last
        call."""
        out = []
        for layer in self._flatten_layers():
            for item in layer._losses:
                out.append(item() if callable(item) else item)
            out.extend(layer._call_losses)
        return out

    def _clear_call_losses(self) -> None:
        if not _with_call_losses:  # the common case: no layer anywhere added a term
            return
        for layer in self._flatten_layers():
            if layer._call_losses:
                layer._call_losses.clear()
                _with_call_losses.discard(layer)

    # ---- building and calling -------------------------------------------------------------
    def build(self, input_shape: Any) -> None:
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement call()")

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        shape = _shape_of(inputs)
        self._build_shape = shape
        sig = inspect.signature(self.build)
        if len(sig.parameters) == 0:
            self.build()  # type: ignore[call-arg]
        else:
            self.build(shape)
        self.built = True

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        leaves, tree = tree_flatten(inputs)
        converted = [x if ops.is_tensor(x) or isinstance(x, Variable)
                     else ops.convert_to_tensor(x) for x in leaves]
        inputs = tree_unflatten(tree, converted)
        raw_inputs = inputs
        if self.autocast:
            inputs = self._autocast_inputs(inputs)
        spec = self.__dict__.get("_input_spec")
        if spec is not None:
            from .input_spec import assert_input_compatibility

            assert_input_compatibility(spec, inputs, f"{type(self).__name__} {self.name!r}")
        self._maybe_build(inputs)
        params = self._call_params()
        accepts_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        # Keras masks: an explicit ``mask=`` wins; otherwise the masks the inputs carry
        # (set by Embedding(mask_zero=True), Masking ...) are passed to a ``call`` that
        # takes ``mask`` and are propagated by ``compute_mask``
        explicit_mask = "mask" in kwargs
        previous_mask = kwargs.get("mask") if explicit_mask else _input_masks(converted, tree)
        if not explicit_mask and previous_mask is not None and "mask" in params:
            kwargs["mask"] = previous_mask
        if "training" in params:
            if kwargs.get("training") is None:
                # Keras: the explicit argument, else the outer call's, else the default of
                # this layer's ``call`` (True for the augmentation layers called directly)
                training = current_training()
                default = params["training"].default
                if training is None and default is not inspect.Parameter.empty:
                    training = default
                kwargs["training"] = training
            training = kwargs.get("training")
        else:
            # Keras passes `training` only to calls that take it; the scope still carries it
            training = kwargs.pop("training", None) if not accepts_any else \
                kwargs.get("training")
        ctx = training_scope(training) if training is not None else contextlib.nullcontext()
        # each layer reads its variables in its own compute dtype: a float32 layer inside a
        # mixed-precision model must not see the outer layer's float16 autocast
        cast_ctx = autocast(self.compute_dtype if self.compute_dtype is not
                            self.variable_dtype else None)
        outermost = not _in_call.get()
        if outermost:
            self._clear_call_losses()
        symbolic = any(getattr(t, "_keras_history", None) is not None for t in converted)
        token = _in_call.set(True)
        shape_token = _shape_only.set(True) if symbolic else None
        try:
            with ctx, cast_ctx:
                outputs = self.call(inputs, *args, **kwargs)
            if self.activity_regularizer is not None:
                for out in tree_flatten(outputs)[0]:
                    if ops.is_tensor(out) and out.dtype.is_floating:
                        self.add_loss(ops.cast(self.activity_regularizer(out), "float32"))
        finally:
            if shape_token is not None:
                _shape_only.reset(shape_token)
            _in_call.reset(token)
        if symbolic:
            outputs = self._fresh_symbolic_outputs(outputs)
        self._set_output_masks(inputs, outputs, previous_mask)
        if symbolic:
            if not explicit_mask:
                kwargs.pop("mask", None)  # recomputed from the inputs when the model runs
            self._record_node((raw_inputs, *args), kwargs, outputs)
        return outputs

    def compute_mask(self, inputs: Any, previous_mask: Any) -> Any:
        """The mask of the outputs: the input mask for a layer that ``supports_masking``
        (it keeps the time axis), else ``None``. Layers that make or consume masks
        (Embedding, Masking, recurrent layers, pooling over time) override it."""
        if not self.supports_masking:
            return None
        return previous_mask

    def _set_output_masks(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        if type(self).compute_mask is Layer.compute_mask and (
                previous_mask is None or not self.supports_masking):
            return  # the default rule: nothing to propagate
        out_leaves = _mask_leaves(outputs)
        if all(getattr(t, "_keras_mask", None) is not None for t in out_leaves):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        for t, m in zip(out_leaves, _mask_leaves(masks)):
            if m is not None and getattr(t, "_keras_mask", None) is None:
                try:
                    t._keras_mask = m
                except AttributeError:  # not a tensor (e.g. a Python number)
                    pass

    @staticmethod
    def _fresh_symbolic_outputs(outputs: Any) -> Any:
        """A layer that returns a tensor some layer already produced (an identity layer
        returning its input) gets a new tensor for it: recording this layer's node on the
        old one would rewrite where that tensor came from and cut the layer out of the
        functional graph."""
        leaves, tree = tree_flatten(outputs)
        if not any(getattr(t, "_keras_history", None) is not None for t in leaves):
            return outputs
        return tree_unflatten(tree, [
            ops.copy(t) if getattr(t, "_keras_history", None) is not None else t
            for t in leaves])

    def _autocast_inputs(self, inputs: Any) -> Any:
        target = self.compute_dtype
        leaves, tree = tree_flatten(inputs)
        changed = False
        out = []
        for x in leaves:
            if ops.is_tensor(x) and x.dtype.is_floating and x.dtype is not target:
                cast = ops.cast(x, target)
                mask = getattr(x, "_keras_mask", None)
                if mask is not None:  # the cast is the same sequence: keep its mask
                    cast._keras_mask = mask
                out.append(cast)
                changed = True
            else:
                out.append(x)
        return tree_unflatten(tree, out) if changed else inputs

    def _call_params(self) -> dict:
        cache = type(self).__dict__.get("_tw_call_params")
        if cache is None:
            cache = dict(inspect.signature(self.call).parameters)
            type.__setattr__(type(self), "_tw_call_params", cache)
        return cache

    def _record_node(self, args: tuple, kwargs: dict, outputs: Any) -> None:
        node = KerasNode(self, args, {k: v for k, v in kwargs.items() if k != "training"},
                         outputs)
        self._inbound_nodes.append(node)
        leaves, _ = tree_flatten(outputs)
        for i, t in enumerate(leaves):
            if ops.is_symbolic(t):
                t._keras_history = (self, node, i)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) from a symbolic call (no computation runs)."""
        def make(s: Any) -> Any:
            if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)):
                return [make(x) for x in s]
            if isinstance(s, dict):
                return {k: make(v) for k, v in s.items()}
            return placeholder(tuple(s), self.compute_dtype)

        token = _shape_only.set(True)
        try:
            out = self.call_for_shape(make(input_shape))
        finally:
            _shape_only.reset(token)
        leaves, tree = tree_flatten(out)
        shapes = [tuple(t.shape) for t in leaves]
        return tree_unflatten(tree, shapes)

    def call_for_shape(self, symbolic_inputs: Any) -> Any:
        return self(symbolic_inputs)

    def compute_output_spec(self, inputs: Any) -> Any:
        return self(inputs)

    # ---- Keras 3 Layer API: build config, own variables, stateless and symbolic calls ------
    def get_build_config(self) -> dict | None:
        """``{"input_shape": ...}``: the shape the layer was built with (what
        :meth:`build_from_config` needs to create the variables before loading them)."""
        if self._build_shape is None:
            return None
        return {"input_shape": _listify(self._build_shape)}

    def build_from_config(self, config: dict | None) -> None:
        """Create the layer's variables from :meth:`get_build_config`'s dict."""
        if config and "input_shape" in config and not self.built:
            self._maybe_build_from_shape(config["input_shape"])
            if not self.built:  # a layer whose call cannot run on placeholders
                self.build(config["input_shape"])
                self._build_shape = config["input_shape"]
                self.built = True

    def _own_variables(self) -> list[Variable]:
        return list(self._tracked_weights)

    def save_own_variables(self, store: dict) -> None:
        """Write this layer's own variables (not its sub-layers') into ``store`` under
        the keys ``"0"``, ``"1"`` ... (Keras's format)."""
        for i, v in enumerate(self._own_variables()):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Read this layer's own variables from ``store`` (as :meth:`save_own_variables`
        wrote them); the count and shapes must match."""
        own = self._own_variables()
        if len(store.keys()) != len(own):
            raise InvalidArgumentError(
                f"{type(self).__name__} {self.name!r}: load_own_variables expected "
                f"{len(own)} variables, got {len(store.keys())}")
        for i, v in enumerate(own):
            value = store[str(i)]
            if tuple(getattr(value, "shape", ())) != tuple(v.shape):
                raise ShapeError(f"{type(self).__name__} {self.name!r}: variable {v.path} "
                                 f"has shape {tuple(v.shape)}, got {tuple(value.shape)}")
            v.assign(value)

    def stateless_call(self, trainable_variables: list, non_trainable_variables: list,
                       *args: Any, return_losses: bool = False, **kwargs: Any) -> Any:
        """Call the layer with the given values in place of its variables, changing none
        of them: returns ``(outputs, new non-trainable values)`` (and the losses with
        ``return_losses=True``), as Keras's functional-style call."""
        from tensorweave.variables import StatelessScope

        t_vars, n_vars = self.trainable_variables, self.non_trainable_variables
        for arg, given, want in (("trainable_variables", trainable_variables, t_vars),
                                 ("non_trainable_variables", non_trainable_variables,
                                  n_vars)):
            if len(given) != len(want):
                raise InvalidArgumentError(
                    f"{type(self).__name__} {self.name!r}.stateless_call: argument {arg!r}: "
                    f"expected {len(want)} values, got {len(given)}")
        mapping = dict(zip(t_vars, [ops.convert_to_tensor(v) for v in trainable_variables]))
        mapping.update(zip(n_vars, [ops.convert_to_tensor(v)
                                    for v in non_trainable_variables]))
        with StatelessScope(mapping) as scope:
            outputs = self(*args, **kwargs)
            new_non_trainable = [scope.value_of(v) for v in n_vars]
            losses = list(self.losses) if return_losses else None
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    def symbolic_call(self, *args: Any, **kwargs: Any) -> Any:
        """Call the layer on symbolic inputs (``tw.Input`` tensors): outputs with shapes
        and dtypes, recorded for the functional API."""
        return self(*args, **kwargs)

    def rematerialized_call(self, layer_call: Any, *args: Any, **kwargs: Any) -> Any:
        """Keras's gradient-checkpointing wrapper of ``layer_call``. tensorweave's compiled
        graphs keep the forward values the backward pass needs, so this returns
        ``layer_call`` itself: the same outputs and gradients, without the memory
        trade-off."""
        return layer_call

    def add_metric(self, *args: Any, **kwargs: Any) -> None:
        """Removed in Keras 3 (it raises there too): create metrics in ``__init__`` /
        ``build`` and call ``update_state``, or pass them to ``Model.compile``."""
        raise InvalidArgumentError(
            f"{type(self).__name__}.add_metric() was removed in Keras 3: add the metric in "
            "Model.compile(metrics=[...]), or create metric objects in __init__()/build() "
            "and call metric.update_state() in call()")

    @property
    def metrics(self) -> list:
        """The metric objects held as attributes of this layer and its sub-layers."""
        out: list = []
        seen: set[int] = set()
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                items = value if isinstance(value, (list, tuple)) else (value,)
                for m in items:
                    if _is_metric(m) and id(m) not in seen:
                        seen.add(id(m))
                        out.append(m)
        return out

    @property
    def metrics_variables(self) -> list:
        """The variables of :attr:`metrics` (their running totals)."""
        return [v for m in self.metrics for v in getattr(m, "variables", [])]

    # ---- config ---------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras's config: name, trainable, dtype (its ``DTypePolicy`` config) and every
        constructor argument, defaults included; initializers, regularizers and
        constraints serialized as Keras does, activations by name (``None`` as
        ``"linear"``). A value the layer normalized (``kernel_size=3`` -> ``(3, 3)``) is
        read from the attribute of the same name when that holds plain data."""
        base = {"name": self.name, "trainable": self.trainable,
                "dtype": _policy_config(self.dtype_policy)}
        args, kwargs = getattr(self, "_init_args", ((), {}))
        var_kw = "kwargs"
        try:
            sig = inspect.signature(type(self).__init__)
            bound_args = sig.bind_partial(self, *args, **kwargs)
            bound_args.apply_defaults()
            bound = dict(bound_args.arguments)
            # ``**kw`` / ``*a`` whatever their names (a subclass may write ``**kw``)
            variadic = {n: p.kind for n, p in sig.parameters.items()
                        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
            var_kw = next((n for n, k in variadic.items()
                           if k is inspect.Parameter.VAR_KEYWORD), "kwargs")
        except TypeError:
            bound = dict(kwargs)
            variadic = {}
        for k, v in bound.items():
            if k in ("self", "kwargs", "args", "name", "trainable", "dtype") or k in variadic:
                continue
            base[k] = self._config_value(k, v)
        extra = bound.get(var_kw) or {}
        for k, v in extra.items():
            if k in ("name", "trainable", "dtype"):
                continue
            base.setdefault(k, self._config_value(k, v))
        if self._build_shape is not None:
            base.setdefault("build_input_shape", _listify(self._build_shape))
        return base

    def _config_value(self, key: str, value: Any) -> Any:
        """One constructor argument as Keras's config holds it."""
        where = f"{type(self).__name__}.{key}"
        attr = self.__dict__.get(key, _MISSING)
        if key.endswith(("_initializer", "_regularizer", "_constraint")):
            if attr is not _MISSING and not isinstance(attr, Layer):
                value = attr
            return _serialize_object(key.rsplit("_", 1)[1] + "s", value, where)
        if key in ("activation", "recurrent_activation"):
            if attr is not _MISSING and not isinstance(attr, Layer):
                value = attr
            return _serialize_activation(value, where)
        # a built-in layer's normalized attribute (kernel_size=3 -> (3, 3)), as Keras's
        # get_config reports it; a user's layer keeps the argument it was given (its
        # attribute of the same name may mean something else)
        if attr is not _MISSING and _is_plain(attr) and _is_plain(value) and \
                type(self).__module__.startswith("tensorweave."):
            value = attr
        return _jsonable(value, where)

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        config = dict(config)
        build_shape = config.pop("build_input_shape", None)
        layer = cls(**config)
        if build_shape is not None and not layer.built:
            layer._maybe_build_from_shape(build_shape)
        return layer

    def _maybe_build_from_shape(self, shape: Any) -> None:
        def make(s: Any) -> Any:
            if isinstance(s, dict):
                return {k: make(v) for k, v in s.items()}
            if isinstance(s, list) and s and isinstance(s[0], (list, tuple)):
                return [make(x) for x in s]
            return placeholder(tuple(s), self.compute_dtype)

        try:
            self.call_for_shape(make(shape))
        except Exception:  # building from config is best effort; call() builds later
            pass

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}, built={self.built}>"


_MISSING = object()


def _unique(variables: list) -> list:
    seen: set[int] = set()
    out = []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _is_metric(obj: Any) -> bool:
    return not isinstance(obj, (Layer, type)) and all(
        callable(getattr(obj, n, None)) for n in ("update_state", "result", "reset_state"))


def _is_plain(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    if isinstance(v, (list, tuple)):
        return all(_is_plain(x) for x in v)
    return False


def _policy_config(policy: Any) -> dict:
    """A dtype policy as Keras 3 serializes it in a layer config."""
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": str(getattr(policy, "name", policy))},
            "registered_name": None}


def _serialize_object(kind: str, value: Any, where: str) -> Any:
    """An initializer / regularizer / constraint as Keras serializes it:
    ``{"module": "keras.<kind>", "class_name": ..., "config": ..., "registered_name":
    None}`` (``None`` stays ``None``)."""
    import importlib

    if value is None:
        return None
    if isinstance(value, dict) and "class_name" in value and "module" in value:
        return value
    try:
        module = importlib.import_module(f"tensorweave.{kind}")
        obj = module.get(value)
    except Exception:
        return _jsonable(value, where)
    if obj is None:
        return None
    if not hasattr(obj, "get_config"):
        return _jsonable(obj, where)
    from tensorweave.registries import registry

    try:
        name = registry(kind).name_of(type(obj)) or type(obj).__name__
    except Exception:
        name = type(obj).__name__
    return {"module": f"keras.{kind}", "class_name": name,
            "config": _jsonable(obj.get_config(), where), "registered_name": None}


def _serialize_activation(value: Any, where: str) -> Any:
    """An activation as Keras serializes it: its name, ``"linear"`` for ``None``."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        import tensorweave.activations as _activations

        try:
            value = _activations.get(value)
        except Exception:
            return value
    if hasattr(value, "get_config") and not callable(getattr(value, "__name__", None)):
        return _jsonable(value, where)
    name = getattr(value, "__name__", None)
    if name and name != "<lambda>":
        return name
    return _jsonable(value, where)


def _listify(shape: Any) -> Any:
    if isinstance(shape, tuple):
        return list(shape)
    if isinstance(shape, list):
        return [_listify(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _listify(v) for k, v in shape.items()}
    return shape


def _jsonable(v: Any, where: str) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return [_jsonable(x, where) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x, where) for k, x in v.items()}
    if isinstance(v, _dt.DType):
        return v.name
    if hasattr(v, "get_config") and not isinstance(v, Layer):
        return {"class_name": type(v).__name__, "config": v.get_config()}
    if isinstance(v, Layer):
        return {"class_name": type(v).__name__, "config": v.get_config()}
    if callable(v) and getattr(v, "__name__", "<lambda>") != "<lambda>":
        return v.__name__
    return _Unserializable(where, v)


class _Unserializable:
    """Marker for a config value that cannot be saved (a lambda, an object)."""

    def __init__(self, where: str, value: Any) -> None:
        self.where = where
        self.value = value

    def __repr__(self) -> str:
        return f"<unserializable {self.where}: {self.value!r}>"


def _legacy_input_shape(where: str, legacy: dict) -> tuple | None:
    """Keras-2 first-layer spellings: input_shape, input_dim, batch_input_shape."""
    if legacy.get("batch_input_shape") is not None:
        return tuple(legacy["batch_input_shape"][1:])
    if legacy.get("input_shape") is not None:
        s = legacy["input_shape"]
        return (s,) if isinstance(s, int) else tuple(s)
    if legacy.get("input_dim") is not None:
        if legacy.get("input_length") is not None:
            return (legacy["input_length"],)
        return (int(legacy["input_dim"]),)
    if legacy.get("input_length") is not None:
        return (legacy["input_length"],)
    return None


class InputLayer(Layer):
    """The layer behind ``tw.Input``: it only holds the model's input placeholder."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 sparse: bool | None = None, ragged: bool | None = None,
                 batch_shape: Any = None, input_tensor: Any = None, optional: bool = False,
                 name: str | None = None, **kwargs: Any) -> None:
        _no_sparse_ragged_optional(sparse, ragged, optional)
        self.optional = False
        if shape is None and batch_shape is None:
            legacy = kwargs.pop("input_shape", None) or kwargs.pop("batch_input_shape", None)
            if legacy is not None:
                shape = legacy
        super().__init__(name=name or unique_name("input_layer"), dtype=dtype or "float32",
                         **{k: v for k, v in kwargs.items() if k in ("trainable",)})
        if batch_shape is not None:
            full = tuple(batch_shape)
        else:
            if shape is None:
                raise InvalidArgumentError("Input: argument 'shape' is required "
                                           "(e.g. Input((784,)))")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            full = (batch_size,) + shape
        self.batch_shape = full
        self.input_dtype = _dt.canonicalize(dtype or "float32")
        self.built = True
        t = input_tensor if input_tensor is not None else \
            placeholder(full, self.input_dtype, name=self.name)
        t._keras_history = (self, None, 0)
        self._output_tensor = t

    @property
    def output(self) -> Any:
        """The model input placeholder this layer holds."""
        return self._output_tensor

    @property
    def input(self) -> Any:
        return self._output_tensor

    def call(self, inputs: Any) -> Any:
        return inputs

    def get_config(self) -> dict:
        return {"batch_shape": list(self.batch_shape), "dtype": self.input_dtype.name,
                "sparse": False, "ragged": False, "name": self.name,
                "optional": self.optional}


def _no_sparse_ragged_optional(sparse: Any, ragged: Any, optional: Any) -> None:
    for arg, v, why in (("sparse", sparse, "tensorweave has no sparse tensors"),
                        ("ragged", ragged, "tensorweave has no ragged tensors"),
                        ("optional", optional, "a functional model's inputs are all "
                         "required in tensorweave")):
        if v:
            raise InvalidArgumentError(f"Input: argument {arg!r}: {why}; got {v!r} "
                                       "(expected False or None)")


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802
          sparse: bool | None = None, ragged: bool | None = None, batch_shape: Any = None,
          name: str | None = None, tensor: Any = None, optional: bool = False,
          **kwargs: Any) -> Any:
    """A symbolic model input (``tw.Input((784,))``); the batch dimension is ``None``."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       ragged=ragged, name=name, batch_shape=batch_shape,
                       input_tensor=tensor, optional=optional, **kwargs)
    return layer.output
