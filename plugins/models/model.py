"""``Model``, ``Sequential`` and the functional API (Keras 3 semantics).

``Model(inputs, outputs)`` builds a functional model; subclassing ``Model`` and writing
``call`` gives a subclassed one; ``Sequential([...])`` stacks layers. All three are layers
themselves (they nest) and get ``compile``/``fit``/``evaluate``/``predict`` from
:class:`~tensorweave.plugins.models.trainer.Trainer`.
"""

from __future__ import annotations

import json
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError
from tensorweave.graph.tracing import placeholder, tree_flatten, tree_unflatten

from ..layers.base import InputLayer, Layer, _shape_of, unique_name
from .functional import collect_nodes, run_nodes
from .trainer import Trainer

__all__ = ["Model", "Sequential", "Functional"]


class Model(Trainer, Layer):
    """A layer with a training API. ``Model(inputs, outputs)`` is the functional form."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is Model and (args or "inputs" in kwargs):
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _functional_args(args, kwargs) and not isinstance(self, Functional):
            # ``class CustomModel(tw.Model)`` built as ``CustomModel(inputs, outputs)`` (the
            # Keras guide to customizing ``fit``): the subclass becomes functional, as Keras
            # does it, by putting Functional in place of Model among its bases
            _inject_functional(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        name = kwargs.pop("name", None)
        trainable = kwargs.pop("trainable", True)
        dtype = kwargs.pop("dtype", None)
        super().__init__(name=name or unique_name(_snake(type(self).__name__)),
                         trainable=trainable, dtype=dtype)
        self.compiled = False
        self.optimizer = None
        self.history = None
        self._reset_compiled_state()

    # ---- building ---------------------------------------------------------------------
    def _build_from_batch(self, x: Any) -> None:
        """Build every layer from one batch's shapes, without computing anything."""
        leaves, tree = tree_flatten(x)
        phs = [placeholder((None,) + tuple(t.shape[1:]), t.dtype) for t in leaves]
        self(tree_unflatten(tree, phs))
        self.built = True

    def _maybe_build(self, inputs: Any) -> None:
        # a model builds its layers by running call() itself; remember the input shape so
        # a subclassed model can be rebuilt from its config when loaded
        if not self.built and self._build_shape is None:
            self._build_shape = _shape_of(inputs)
        self.built = True

    def build(self, input_shape: Any = None) -> None:
        if input_shape is not None and not self.built:
            def make(s: Any) -> Any:
                if isinstance(s, dict):
                    return {k: make(v) for k, v in s.items()}
                if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple)):
                    return [make(v) for v in s]
                return placeholder(tuple(s), "float32")

            Layer.__call__(self, make(input_shape))
        self.built = True

    def compute_output_spec_for(self, x: Any) -> Any:
        leaves, tree = tree_flatten(x)
        phs = [placeholder(tuple(t.shape), t.dtype) for t in leaves]
        return self(tree_unflatten(tree, phs), training=False)

    @property
    def layers(self) -> list[Layer]:
        return list(self._layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise InvalidArgumentError(f"get_layer: index {index} out of range for "
                                           f"{len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise InvalidArgumentError(f"get_layer: no layer named {name!r}; layers are "
                                   f"{[l.name for l in self.layers]}")

    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, expand_nested: bool = False,
                show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print the layer table (Keras's options: column ``positions``, nested models'
        layers with ``expand_nested``, a Trainable column with ``show_trainable``, the rows
        between two layer names with ``layer_range``)."""
        from .summary import _rows, summary_text

        if layer_range is not None:
            names = [r[0].name for r in _rows(self, {}, expand_nested, 0)]
            if len(layer_range) != 2 or any(n not in names for n in layer_range) or \
                    names.index(layer_range[0]) > names.index(layer_range[1]):
                raise InvalidArgumentError(f"summary: argument 'layer_range': expected two "
                                           f"layer names of {names} in order, got "
                                           f"{layer_range!r}")
        text = summary_text(self, line_length or 80, positions, expand_nested, show_trainable,
                            layer_range)
        (print_fn or print)(text)

    # ---- saving (implemented in tensorweave.saving) -------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, zipped: bool | None = None,
             **kwargs: Any) -> None:
        from tensorweave.saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True,
                     max_shard_size: Any = None) -> None:
        from tensorweave.saving import save_weights

        save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False) -> None:
        from tensorweave.saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs: Any) -> str:
        from tensorweave.saving import serialize_model

        return json.dumps(serialize_model(self), **kwargs)

    def reset_states(self) -> None:
        """Reset every stateful layer's states to zero (Keras's ``model.reset_states()``)."""
        for layer in self._flatten_layers(include_self=False):
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    def get_compile_config(self) -> dict | None:
        return getattr(self, "_compile_config", None) if self.compiled else None

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return Layer.__call__(self, inputs, *args, **kwargs)


def _snake(name: str) -> str:
    from ..layers.base import snake_case

    return snake_case(name)


class Functional(Model):
    """A model defined by its input and output tensors (``Model(inputs, outputs)``)."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None,
                 trainable: bool = True, **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        in_leaves, _ = tree_flatten(inputs)
        out_leaves, _ = tree_flatten(outputs)
        for t in in_leaves:
            if not ops.is_symbolic(t) or getattr(t, "_keras_history", None) is None:
                raise InvalidArgumentError("Model: every input must be a tw.Input tensor, got "
                                           f"{t!r}")
        self.inputs = in_leaves
        self.outputs = out_leaves
        self._nodes, layers = collect_nodes(in_leaves, out_leaves)
        for layer in layers:
            self._track_layer(layer)
        self.built = True
        self.input_names = [t._keras_history[0].name for t in in_leaves]
        self.output_names = [t._keras_history[0].name for t in out_leaves]

    @property
    def input(self) -> Any:
        """The model's input tensor(s), as given to ``Model(inputs, ...)``."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The model's output tensor(s), as given to ``Model(..., outputs)``."""
        return self._outputs_struct

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        in_leaves = _match_inputs(self, inputs)
        return run_nodes(self._nodes, self.inputs, in_leaves, self._outputs_struct)

    def _build_from_batch(self, x: Any) -> None:
        self.built = True

    def get_config(self) -> dict:
        from tensorweave.saving import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Functional:
        from tensorweave.saving import functional_from_config

        return functional_from_config(config, custom_objects)


def _functional_args(args: tuple, kwargs: dict) -> bool:
    """Keras's test for ``Model(inputs, outputs)`` in any of its spellings."""
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls: type) -> type:
    """``cls`` with ``Functional`` in place of ``Model`` in its bases (recursively)."""
    if cls is Model:
        return Functional
    if issubclass(cls, Functional) or not issubclass(cls, Model) or issubclass(cls, Sequential):
        return cls
    cls.__bases__ = tuple(_inject_functional(b) for b in cls.__bases__)
    return cls


def _match_inputs(model: Functional, inputs: Any) -> list:
    n = len(model.inputs)
    if isinstance(inputs, dict):
        missing = [k for k in model.input_names if k not in inputs]
        if missing:
            raise InvalidArgumentError(f"{model.name}: missing inputs {missing}; expected "
                                       f"{model.input_names}")
        return [inputs[k] for k in model.input_names]
    leaves, _ = tree_flatten(inputs)
    if len(leaves) != n:
        raise InvalidArgumentError(f"{model.name}: expected {n} inputs "
                                   f"{model.input_names}, got {len(leaves)}")
    return leaves


class Sequential(Model):
    """A linear stack of layers: ``Sequential([Dense(64), Dense(10)])`` or ``add()``."""

    def __init__(self, layers: Any = None, trainable: bool = True, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, trainable=trainable)
        self._input_shape: tuple | None = None
        self._input_dtype: Any = "float32"
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_known()

    def add(self, layer: Any, rebuild: bool = True) -> None:
        if ops.is_symbolic(layer) and isinstance(getattr(layer, "_keras_history", (None,))[0],
                                                 InputLayer):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise InvalidArgumentError(f"Sequential.add: expected a layer, got {layer!r}")
        if isinstance(layer, InputLayer):
            if self._layers:
                raise InvalidArgumentError("Sequential: an Input must be the first layer")
            self._input_shape = tuple(layer.batch_shape)
            self._input_dtype = layer.input_dtype
            return
        if not self._layers and self._input_shape is None:
            legacy = getattr(layer, "_input_shape_arg", None)
            if legacy is not None:
                self._input_shape = (getattr(layer, "_batch_size_arg", None),) + tuple(legacy)
        self._track_layer(layer)
        self.built = False
        self._reset_compiled_state_if_any()
        if rebuild:
            self._maybe_build_known()

    def _reset_compiled_state_if_any(self) -> None:
        self._steps = {}
        self._state_vars = None

    def pop(self) -> Layer:
        if not self._layers:
            raise InvalidArgumentError("Sequential.pop: there are no layers to remove")
        layer = self._layers.pop()
        self.built = False
        self._reset_compiled_state_if_any()
        self._maybe_build_known()
        return layer

    def _maybe_build_known(self) -> None:
        if self._input_shape is not None and self._layers:
            from ..layers.base import _shape_only

            token = _shape_only.set(True)  # building from shapes; data comes later
            try:
                Layer.__call__(self, placeholder(self._input_shape, self._input_dtype))
            finally:
                _shape_only.reset(token)
            self.built = True

    def _build_from_batch(self, x: Any) -> None:
        if self._input_shape is None:
            leaves, _ = tree_flatten(x)
            self._input_shape = (None,) + tuple(leaves[0].shape[1:])
            self._input_dtype = leaves[0].dtype
        self._maybe_build_known()

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        x = inputs
        for layer in self._layers:
            x = layer(x, training=training) if "training" in layer._call_params() else layer(x)
        return x

    @property
    def inputs(self) -> list:
        if self._input_shape is None:
            return []
        return [placeholder(self._input_shape, self._input_dtype)]

    @property
    def input_shape(self) -> tuple | None:
        return self._input_shape

    @property
    def output_shape(self) -> tuple | None:
        if self._input_shape is None:
            return None
        out = self.compute_output_shape(self._input_shape)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        x = placeholder(tuple(input_shape), self._input_dtype)
        return tuple(self(x).shape)

    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        return {"name": self.name, "trainable": self.trainable,
                "build_input_shape": list(self._input_shape) if self._input_shape else None,
                "input_dtype": getattr(self._input_dtype, "name", str(self._input_dtype)),
                "layers": [serialize_layer(l) for l in self._layers]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from tensorweave.saving import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        shape = config.get("build_input_shape")
        if shape:
            model._input_shape = tuple(shape)
            model._input_dtype = config.get("input_dtype", "float32")
        for lc in config.get("layers", []):
            model.add(deserialize_layer(lc, custom_objects), rebuild=False)
        model._maybe_build_known()
        return model

