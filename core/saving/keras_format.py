"""Keras's own files: ``.keras`` archives, ``.weights.h5`` and legacy ``.h5`` models.

Reading maps Keras's configs (``{"module", "class_name", "config", "registered_name"}``,
functional graphs with ``inbound_nodes``, ``Sequential``, nested models) onto tensorweave's
registered classes, and assigns the weights by Keras's layer paths (Keras 3:
``layers/<snake_case class name, deduplicated>/.../vars/<i>``) or by layer name and order
(legacy h5: ``model_weights/<layer name>`` with ``weight_names``). Writing produces what Keras
3 itself writes, so ``keras.saving.load_model`` and ``model.load_weights`` read it back.

Safety is tensorweave's: ``module`` paths in a config are never imported (classes come only
from the registries, registered custom objects and ``custom_objects``); a ``Lambda`` layer is
refused unless the caller passes ``safe_mode=False`` and the function itself; every dataset's
declared shape is checked against its variable before it is read; any damage raises
:class:`~tensorweave.errors.SerializationError` and leaves the model unchanged.
"""

from __future__ import annotations

import datetime
import inspect
import io
import json
import re
import warnings
import zipfile
from typing import Any

from ..errors import SerializationError, TensorweaveError
from . import h5
from .config import (
    _check_name,
    _lambda_config,
    custom_object_scope,
    get_registered_object,
    in_safe_mode,
    registered_name,
    safe_mode_scope,
)

_MAX_JSON = 64 * 1024 * 1024
_MAX_DEPTH = 64

# Keras config keys tensorweave's layers may not take yet, and the values under which
# dropping them changes nothing about the model's outputs (``_ANY``: any value).
_ANY = object()
_HARMLESS: dict[str, tuple] = {
    "quantization_config": (None,), "lora_rank": (None, 0), "lora_alpha": _ANY,
    "lora_enabled": (False,), "optional": (False,), "ragged": (False,), "sparse": (False,),
    "synchronized": (False,), "renorm": (False,), "renorm_clipping": (None, {}),
    "renorm_momentum": _ANY, "seed": _ANY, "autocast": _ANY, "input_axes": _ANY,
    "output_axes": _ANY, "build_config": _ANY, "compile_config": _ANY,
    "shared_object_id": _ANY, "input_dtype": _ANY, "build_input_shape": _ANY,
    "trainable": _ANY, "activity_regularizer": (None,), "zero_output_for_mask": _ANY,
    "unroll": (False,), "use_gate": (False,), "sliding_window": (None,),
    "kernel_regularizer": (None,), "bias_regularizer": (None,),
    "kernel_constraint": (None,), "bias_constraint": (None,), "gamma_regularizer": (None,),
    "beta_regularizer": (None,), "gamma_constraint": (None,), "beta_constraint": (None,),
    "embeddings_regularizer": (None,), "embeddings_constraint": (None,),
    "recurrent_regularizer": (None,), "recurrent_constraint": (None,),
    "depthwise_regularizer": (None,), "depthwise_constraint": (None,),
    "pointwise_regularizer": (None,), "pointwise_constraint": (None,),
    "dropout": (0, 0.0), "recurrent_dropout": (0, 0.0), "noise_shape": (None,),
    # Keras 2 (legacy .h5) spellings of the same layers
    "time_major": (False,), "implementation": _ANY, "fused": _ANY,
    "virtual_batch_size": (None,), "adjustment": (None,), "groups": (1,),
    # optimizers
    "use_ema": (False,), "ema_momentum": _ANY, "ema_overwrite_frequency": _ANY,
    "loss_scale_factor": (None,), "gradient_accumulation_steps": (None,),
    "weight_decay": (None,), "clipnorm": (None,), "global_clipnorm": (None,),
    "clipvalue": (None,), "name": _ANY,
}
# initializers only shape fresh weights, which the file's weights replace
_INIT_KEYS = re.compile(r".*_initializer$")


def _snake(name: str) -> str:
    """Keras's ``naming.to_snake_case``."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


# ==== Keras config -> tensorweave objects ========================================================
def _accepted(cls: type) -> set[str] | None:
    """Keyword arguments ``cls(...)`` takes along its ``__init__`` chain (``None``: any)."""
    from tensorweave.layers import Layer

    names: set[str] = set()
    cell = getattr(cls, "_cell_class", None)  # LSTM(...) passes the cell's arguments on
    if isinstance(cell, type) and cell is not cls:
        names |= (_accepted(cell) or set()) | {"use_cudnn"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        more = False
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                more = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                names.add(p.name)
        if not more:
            return names
        if klass is Layer:
            names.add("activity_regularizer")
            return names
    return names if names else None


def _filter_kwargs(cls: type, cfg: dict, what: str) -> dict:
    ok = _accepted(cls)
    out = {}
    for key, value in cfg.items():
        if ok is None or key in ok:
            out[key] = value
            continue
        allowed = _HARMLESS.get(key)
        if allowed is _ANY or (allowed is not None and value in allowed) or \
                _INIT_KEYS.match(key):
            continue
        raise SerializationError(
            f"{what}: the Keras config sets {key}={str(value)[:80]}, which tensorweave's "
            f"{cls.__name__} does not support (the model would compute something else)")
    return out


def _object_name(cfg: dict) -> str:
    name = cfg.get("registered_name") or cfg.get("class_name")
    if isinstance(name, str) and ">" not in name and cfg.get("class_name"):
        name = cfg["class_name"]  # built-in Keras objects: their class name
    return _check_name(name)


class _Reader:
    """Builds tensorweave objects from one Keras config (one load)."""

    def __init__(self, custom_objects: dict | None, where: str) -> None:
        self.custom = custom_objects or {}
        self.where = where
        self.depth = 0

    # ---- values ---------------------------------------------------------------------
    def value(self, key: str, v: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > _MAX_DEPTH:
                raise SerializationError(f"{self.where}: the config is nested too deeply")
            if isinstance(v, list):
                return [self.value(key, x) for x in v]
            if not isinstance(v, dict):
                return v
            cname = v.get("class_name")
            if cname is None:
                return {k: self.value(k, x) for k, x in v.items()}
            if cname == "__tuple__":
                return tuple(self.value(key, x) for x in (v.get("config") or {}).get("value", []))
            if cname in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
                inner = v.get("config") or {}
                return inner.get("name", "float32") if isinstance(inner, dict) else "float32"
            if cname in ("__keras_tensor__", "__lambda__", "__bytes__", "__numpy__",
                         "__typespec__", "__tensor__", "__slice__", "__ellipsis__"):
                raise SerializationError(f"{self.where}: {key} holds a {cname} object, which "
                                         "tensorweave does not load from a file")
            if key in ("layer", "backward_layer", "cell", "cells", "layers") or \
                    str(v.get("module") or "").startswith(("keras.layers", "keras.src.layers",
                                                           "keras.models", "keras.src.models")):
                return self.layer(v)
            return self.nested_object(key, v)
        finally:
            self.depth -= 1

    def nested_object(self, key: str, v: dict) -> Any:
        """An initializer, regularizer, constraint, activation, loss, metric ... object."""
        kind = ("initializers" if key.endswith("initializer") else
                "regularizers" if key.endswith("regularizer") else
                "constraints" if key.endswith("constraint") else
                "activations" if key.endswith("activation") else
                "optimizers" if key == "optimizer" else
                "schedules" if key == "learning_rate" else
                "losses" if key.startswith("loss") else
                "metrics" if "metric" in key else None)
        name = _object_name(v)
        kinds = (kind,) if kind else ("initializers", "regularizers", "constraints",
                                      "activations", "losses", "metrics")
        try:
            cls = get_registered_object(name, self.custom, kinds=kinds)
        except SerializationError as exc:
            raise SerializationError(f"{self.where}: {key}: {exc}") from None
        cfg = v.get("config")
        if not isinstance(cls, type):
            return cls  # a registered function (activation ...)
        if not isinstance(cfg, dict):
            cfg = {}
        cfg = {k: self.value(k, x) for k, x in cfg.items()}
        if kind == "initializers":  # seed / axes hints only shape fresh weights
            ok = _accepted(cls)
            cfg = {k: x for k, x in cfg.items() if ok is None or k in ok}
        else:
            cfg = _filter_kwargs(cls, cfg, f"{self.where}: {key} {name}")
        try:
            return cls(**cfg)
        except TensorweaveError as exc:
            raise SerializationError(f"{self.where}: cannot rebuild {key} {name}: {exc}") \
                from None
        except Exception as exc:
            raise SerializationError(f"{self.where}: cannot rebuild {key} {name}: "
                                     f"{type(exc).__name__}: {exc}") from exc

    # ---- layers ---------------------------------------------------------------------
    def layer(self, entry: Any) -> Any:
        if not isinstance(entry, dict) or not isinstance(entry.get("config", {}), dict):
            raise SerializationError(f"{self.where}: a layer entry is not a JSON object")
        name = _object_name(entry)
        cfg = dict(entry.get("config") or {})
        if name in ("Sequential",):
            return self.sequential(cfg)
        if name in ("Functional", "Model"):
            return self.functional(cfg)
        if name == "InputLayer":
            return self.input_layer(cfg)
        if name == "Lambda" or name.endswith(">Lambda"):
            cfg = _lambda_config(cfg, self.custom, in_safe_mode())
        try:
            cls = get_registered_object(name, self.custom, kinds=("layers", "models"))
        except SerializationError as exc:
            raise SerializationError(f"{self.where}: {exc}") from None
        if not isinstance(cls, type):
            raise SerializationError(f"{self.where}: {name!r} is not a class")
        label = f"{self.where}: layer {cfg.get('name', '?')!r} ({name})"
        if ">" in name:  # a custom class: its own from_config reads its own config
            cfg = {k: self.value(k, x) for k, x in cfg.items()}
            try:
                return cls.from_config(cfg) if hasattr(cls, "from_config") else cls(**cfg)
            except Exception as exc:
                raise SerializationError(f"{label}: {type(exc).__name__}: {exc}") from exc
        kwargs = {}
        for k, x in cfg.items():
            if name == "Lambda" and k in ("function", "mask", "output_shape"):
                kwargs[k] = x  # already resolved to the caller's functions
            else:
                kwargs[k] = self.value(k, x)
        kwargs = _filter_kwargs(cls, kwargs, label)
        try:
            return cls(**kwargs)
        except TensorweaveError as exc:
            raise SerializationError(f"{label}: {exc}") from None
        except Exception as exc:
            raise SerializationError(f"{label}: {type(exc).__name__}: {exc}") from exc

    def input_layer(self, cfg: dict) -> Any:
        from tensorweave.layers import InputLayer

        shape = cfg.get("batch_shape", cfg.get("batch_input_shape"))
        _check_shape(shape, self.where)
        if cfg.get("sparse") or cfg.get("ragged"):
            raise SerializationError(f"{self.where}: sparse/ragged inputs are not supported")
        return InputLayer(batch_shape=tuple(shape), dtype=self.value("dtype", cfg.get("dtype")),
                          name=cfg.get("name"))

    def sequential(self, cfg: dict) -> Any:
        from tensorweave.layers import InputLayer
        from tensorweave.models import Sequential

        entries = cfg.get("layers")
        if not isinstance(entries, list):
            raise SerializationError(f"{self.where}: a Sequential config without layers")
        built = [self.layer(e) for e in entries]
        if built and not isinstance(built[0], InputLayer) and cfg.get("build_input_shape"):
            shape = cfg["build_input_shape"]
            _check_shape(shape, self.where)
            built.insert(0, InputLayer(batch_shape=tuple(shape)))
        try:
            return Sequential(built, name=cfg.get("name"), trainable=cfg.get("trainable", True))
        except TensorweaveError as exc:
            raise SerializationError(f"{self.where}: the Sequential model does not rebuild: "
                                     f"{exc}") from None

    def functional(self, cfg: dict) -> Any:
        from tensorweave.graph.tracing import tree_flatten
        from tensorweave.layers import InputLayer
        from tensorweave.models import Functional

        entries = cfg.get("layers")
        if not isinstance(entries, list):
            raise SerializationError(f"{self.where}: a functional config without layers")
        layers: dict[str, Any] = {}
        pending: list[tuple[str, int, Any]] = []
        for e in entries:
            if not isinstance(e, dict):
                raise SerializationError(f"{self.where}: a layer entry is not a JSON object")
            lname = e.get("name") or (e.get("config") or {}).get("name")
            if not isinstance(lname, str) or lname in layers:
                raise SerializationError(f"{self.where}: missing or repeated layer name "
                                         f"{lname!r}")
            layers[lname] = self.layer(e)
            nodes = e.get("inbound_nodes") or []
            if not isinstance(nodes, list):
                raise SerializationError(f"{self.where}: malformed inbound_nodes of {lname!r}")
            for i, node in enumerate(nodes):
                pending.append((lname, i, node))
        outputs: dict[tuple[str, int], list] = {}
        for lname, layer in layers.items():
            if isinstance(layer, InputLayer):
                outputs[(lname, 0)] = [layer.output]

        def deref(x: Any) -> Any:
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                hist = (x.get("config") or {}).get("keras_history")
                return lookup(hist)
            if isinstance(x, dict) and x.get("class_name") == "__tuple__":
                return tuple(deref(v) for v in (x.get("config") or {}).get("value", []))
            if isinstance(x, dict):
                return {k: deref(v) for k, v in x.items()}
            if isinstance(x, list):
                return [deref(v) for v in x]
            return x

        def lookup(hist: Any) -> Any:
            if not (isinstance(hist, (list, tuple)) and len(hist) >= 3
                    and isinstance(hist[0], str)):
                raise SerializationError(f"{self.where}: malformed keras_history {hist!r}")
            key = (hist[0], hist[1])
            if key not in outputs:
                raise _NotYet()
            leaves = outputs[key]
            if not isinstance(hist[2], int) or not 0 <= hist[2] < len(leaves):
                raise SerializationError(f"{self.where}: keras_history {hist!r} names a "
                                         "missing output")
            return leaves[hist[2]]

        def call_args(node: Any) -> tuple[list, dict]:
            if isinstance(node, dict):  # Keras 3
                args = node.get("args", [])
                kwargs = node.get("kwargs", {})
                if not isinstance(args, list) or not isinstance(kwargs, dict):
                    raise SerializationError(f"{self.where}: malformed inbound node")
                return deref(args), {k: v for k, v in deref(kwargs).items()
                                     if not (k == "mask" and v is None)}
            if isinstance(node, list):  # Keras 2: [[name, node, tensor, kwargs], ...]
                tensors = [lookup(ref[:3]) for ref in node]
                kw = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3],
                                                                             dict) else {}
                return [tensors[0] if len(tensors) == 1 else tensors], deref(kw)
            raise SerializationError(f"{self.where}: malformed inbound node")

        while pending:
            progress = []
            for item in pending:
                lname, i, node = item
                try:
                    args, kwargs = call_args(node)
                except _NotYet:
                    continue
                try:
                    out = layers[lname](*args, **kwargs)
                except TensorweaveError as exc:
                    raise SerializationError(f"{self.where}: calling layer {lname!r} as the "
                                             f"file's graph says fails: {exc}") from None
                leaves, _ = tree_flatten(out)
                outputs[(lname, i)] = leaves
                progress.append(item)
            if not progress:
                raise SerializationError(f"{self.where}: the functional graph refers to "
                                         "layer outputs that are never produced")
            pending = [p for p in pending if p not in progress]

        def ends(spec: Any) -> Any:
            if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
                return lookup_final(spec)
            if isinstance(spec, list):
                return [ends(s) for s in spec]
            if isinstance(spec, dict):
                return {k: ends(s) for k, s in spec.items()}
            raise SerializationError(f"{self.where}: malformed input/output layers {spec!r}")

        def lookup_final(spec: list) -> Any:
            try:
                return lookup(spec)
            except _NotYet:
                raise SerializationError(f"{self.where}: model input/output {spec!r} is not "
                                         "produced by the graph") from None

        inputs = ends(cfg.get("input_layers"))
        outs = ends(cfg.get("output_layers"))
        try:
            return Functional(inputs, outs, name=cfg.get("name"),
                              trainable=cfg.get("trainable", True))
        except TensorweaveError as exc:
            raise SerializationError(f"{self.where}: the functional model does not rebuild: "
                                     f"{exc}") from None


class _NotYet(Exception):
    """A node's input is not produced yet (processed in a later pass)."""


def _check_shape(shape: Any, where: str) -> None:
    if not isinstance(shape, (list, tuple)) or len(shape) > 32 or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and 0 <= d < 2**31)
            for d in shape):
        raise SerializationError(f"{where}: malformed input shape {str(shape)[:80]}")


_MAX_CONFIG_INT = 2**24  # units, filters, input_dim, shapes ...: weights are built from them
_BIG_INT_KEYS = {"seed", "shared_object_id", "steps_per_execution", "max_tokens", "hash_seed"}


def _check_sizes(tree: Any, where: str, key: str = "", depth: int = 0) -> None:
    """Refuse a config whose sizes (``units``, ``filters``, input shapes ...) exceed
    ``2**24``: building the model allocates weights from them before any weight is read,
    so a hostile file could otherwise ask for terabytes."""
    if depth > _MAX_DEPTH:
        raise SerializationError(f"{where}: the config is nested too deeply")
    if isinstance(tree, bool) or key in _BIG_INT_KEYS:
        return
    if isinstance(tree, int) and abs(tree) > _MAX_CONFIG_INT:
        raise SerializationError(f"{where}: the config sets {key or 'a size'}={tree}, beyond "
                                 f"the {_MAX_CONFIG_INT} tensorweave accepts from a file")
    if isinstance(tree, dict):
        for k, v in tree.items():
            _check_sizes(v, where, str(k), depth + 1)
    elif isinstance(tree, list):
        for v in tree:
            _check_sizes(v, where, key, depth + 1)


def model_from_keras_config(config: Any, custom_objects: dict | None, where: str) -> Any:
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(f"{where}: the model config is not a Keras config object")
    _check_sizes(config, where)
    with custom_object_scope(custom_objects or {}):
        try:
            return _Reader(custom_objects, where).layer(config)
        except RecursionError:
            raise SerializationError(f"{where}: the config is nested too deeply") from None
        except MemoryError:
            raise SerializationError(f"{where}: the model the config describes does not fit "
                                     "in memory") from None


# ==== Keras's weight paths over a tensorweave model ===============================================
def keras_layer_order(model: Any) -> list:
    """``model.layers`` in the order Keras's ``Functional`` holds them (by depth from the
    outputs, ties by first DFS visit): the order that names their weight groups."""
    from tensorweave.graph.tracing import tree_flatten
    from tensorweave.models import Functional

    if not isinstance(model, Functional):
        return list(model._layers)
    input_ids = {id(t) for t in model.inputs}

    def node_of(t: Any) -> Any:
        layer, node, _ = t._keras_history
        return ("input", id(layer), layer) if node is None else node

    def parents(node: Any) -> list:
        if isinstance(node, tuple):
            return []
        return [t for t in node.input_tensors if getattr(t, "_keras_history", None)]

    def layer_of(node: Any) -> Any:
        return node[2] if isinstance(node, tuple) else node.layer

    def key(node: Any) -> Any:
        return node[:2] if isinstance(node, tuple) else id(node)

    finished: set = set()
    order: list = []  # nodes from inputs to outputs
    first_index: dict[int, int] = {}

    def visit(t: Any) -> None:
        node = node_of(t)
        if key(node) in finished:
            return
        if id(t) in input_ids and not isinstance(node, tuple):
            finished.add(key(node))
            return
        layer = layer_of(node)
        first_index.setdefault(id(layer), len(first_index))
        if id(t) not in input_ids:
            for p in parents(node):
                visit(p)
        finished.add(key(node))
        order.append(node)

    outs, _ = tree_flatten(model._outputs_struct)
    for t in outs:
        visit(t)
    node_depth: dict = {}
    layer_depth: dict[int, int] = {}
    layers_by_id: dict[int, Any] = {}
    in_graph = {key(n) for n in order}
    for node in reversed(order):
        depth = node_depth.setdefault(key(node), 0)
        layer = layer_of(node)
        layers_by_id[id(layer)] = layer
        depth = max(depth, layer_depth.get(id(layer), 0))
        layer_depth[id(layer)] = depth
        node_depth[key(node)] = depth
        if id(node) not in input_ids:
            for p in parents(node):
                pk = key(node_of(p))
                if pk in in_graph:
                    node_depth[pk] = max(depth + 1, node_depth.get(pk, 0))
    for t in model.inputs:
        layer = t._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            first_index[id(layer)] = -1
            layers_by_id[id(layer)] = layer
    return sorted(layers_by_id.values(),
                  key=lambda l: (-layer_depth[id(l)], first_index[id(l)]))


# layers whose weights Keras keeps in sublayers (weight-name prefix -> Keras attribute)
_SUBLAYER_VARS = {
    "MultiHeadAttention": {"query": "query_dense", "key": "key_dense", "value": "value_dense",
                           "attention_output": "output_dense"},
}
# layers whose Keras build() takes several named shapes: no single-input build_config
_NO_BUILD_CONFIG = {"MultiHeadAttention", "GroupedQueryAttention"}

_SKIP_ATTRS = {"_layers", "_outer", "_inbound_nodes", "optimizer", "loss", "_loss_arg",
               "compiled_loss", "compiled_metrics"}


def keras_weight_paths(obj: Any, path: str = "", visited: set | None = None,
                       out: list | None = None) -> list[tuple[str, Any, list]]:
    """``[(path, object, own variables)]`` in the order and with the paths Keras 3's
    ``saving_lib`` gives them (``layers/dense_1``, ``layers/lstm/cell`` ...)."""
    from tensorweave.layers import Layer
    from tensorweave.models import Functional, Sequential

    visited = set() if visited is None else visited
    out = [] if out is None else out
    if id(obj) in visited:
        return out
    visited.add(id(obj))
    own = list(getattr(obj, "_tracked_weights", []))
    own = [w for w in own if w.trainable] + [w for w in own if not w.trainable]

    def join(a: str, b: str) -> str:
        return f"{a}/{b}" if a else b

    split = _SUBLAYER_VARS.get(type(obj).__name__)
    if split is not None and own:  # Keras keeps these in sublayers; tensorweave in one
        groups: dict[str, list] = {}
        for w in own:
            prefix = str(w.name).split("/", 1)[0]
            if prefix not in split:
                raise SerializationError(f"{type(obj).__name__} {obj.name!r}: weight "
                                         f"{w.name!r} has no Keras counterpart")
            groups.setdefault(split[prefix], []).append(w)
        out.append((path, obj, []))
        for sub, ws in groups.items():
            out.append((join(path, sub), obj, ws))
    else:
        out.append((path, obj, own))

    def container(items: list, where: str) -> None:
        used: dict[str, int] = {}
        for item in items:
            if isinstance(item, Layer):
                # Keras names the group after the class; a registered class goes by its
                # registered name, which is what a Keras counterpart shares with it
                base = _snake(registered_name(type(item)).split(">")[-1])
                n = used.get(base, 0)
                used[base] = n + 1
                keras_weight_paths(item, join(where, base if n == 0 else f"{base}_{n}"),
                                   visited, out)

    if isinstance(obj, (Functional, Sequential)):
        container(keras_layer_order(obj), join(path, "layers"))
    attrs = sorted(vars(obj), key=lambda a: f"~{a}" if a.startswith("_") else a)
    for attr in attrs:
        if attr.startswith("__") or attr in _SKIP_ATTRS:
            continue
        value = vars(obj)[attr]
        if isinstance(value, Layer):
            keras_weight_paths(value, join(path, attr), visited, out)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer)
                                                               for v in value):
            container(list(value), join(path, attr))
    return out


def read_keras3_weights(f: Any, model: Any, where: str, skip_mismatch: bool = False) -> list:
    """``[(variable, array)]`` for every variable of ``model`` from a Keras 3 weights file
    (everything checked and read; nothing assigned). ``skip_mismatch``: a layer whose
    weights are missing or of other shapes is left as it is, with a warning (Keras's
    ``load_weights(..., skip_mismatch=True)``)."""
    pairs = []
    consumed: set[str] = set()
    for path, _obj, own in keras_weight_paths(model):
        gpath = f"{path}/vars" if path else "vars"
        if not own:
            continue
        try:
            pairs += _read_group(f, gpath, path, own, where)
        except SerializationError as exc:
            if not skip_mismatch:
                raise
            _skip_warning(exc)
        consumed.add(gpath)
    if not skip_mismatch:
        _check_nothing_left(f, consumed, where)
    return pairs


def _skip_warning(exc: Exception) -> None:
    warnings.warn(f"{exc}; skipped (skip_mismatch=True)", UserWarning, stacklevel=5)


def _read_group(f: Any, gpath: str, path: str, own: list, where: str) -> list:
    group = _resolve_group(f, gpath, where)
    if group is None:
        raise SerializationError(f"{where}: the file has no weights for {path or 'the model'}"
                                 f" (expected {len(own)} under {gpath}); a different "
                                 "architecture?")
    names = h5.keys(group, where)
    if sorted(names) != sorted(str(i) for i in range(len(own))):
        raise SerializationError(f"{where}: {gpath} holds {len(names)} weights, the model's "
                                 f"layer has {len(own)} (a different architecture?)")
    out = []
    for i, var in enumerate(own):
        ds = h5.get(group, str(i), "dataset", where)
        arr = h5.read_dataset(ds, tuple(var.shape), f"{where}: {gpath}/{i} "
                              f"({getattr(var, 'path', var.name)})")
        out.append((var, arr))
    return out


def _resolve_group(f: Any, gpath: str, where: str) -> Any:
    node = f
    for part in gpath.split("/"):
        node = h5.get(node, part, "group", where)
        if node is None:
            return None
    return node


def _check_nothing_left(f: Any, consumed: set[str], where: str) -> None:
    """Refuse a file with weights the model has no place for (other than optimizer state):
    loading it would silently drop them."""
    left: list[str] = []
    h5py = h5.require_h5py(where)

    def walk(node: Any, prefix: str, depth: int) -> None:
        if depth > _MAX_DEPTH or len(left) > 3:
            return
        for k in h5.keys(node, where):
            p = f"{prefix}/{k}" if prefix else k
            if p in ("optimizer", "metrics") or p.startswith("_") or not prefix and \
                    k not in ("layers", "vars"):
                continue
            child = node.get(k, getlink=True)
            if not isinstance(child, h5py.HardLink):
                continue
            obj = node[k]
            if isinstance(obj, h5py.Group):
                if k == "vars" and p not in consumed and len(obj) > 0:
                    left.append(p)
                else:
                    walk(obj, p, depth + 1)

    walk(f, "", 0)
    if left:
        raise SerializationError(f"{where}: the file holds weights the model has no place "
                                 f"for: {left[:3]} (a different architecture?)")


def read_legacy_weights(f: Any, model: Any, where: str, skip_mismatch: bool = False) -> list:
    """``[(variable, array)]`` from a legacy (Keras 2 / ``.h5``) weights group: layers by name
    (``layer_names``), each layer's weights in ``weight_names`` order."""
    group = h5.get(f, "model_weights", "group", where) if h5.has(f, "model_weights", where) \
        else f
    names = h5.list_attr(group, "layer_names", where)
    if not names:
        raise SerializationError(f"{where}: not a Keras weights file (no layer_names)")
    from tensorweave.layers import InputLayer

    layers = [l for l in model._layers if not isinstance(l, InputLayer)] if hasattr(
        model, "_layers") else []
    with_weights = [l for l in layers if l.weights]
    by_name = {l.name: l for l in layers}
    file_layers = []
    for n in names:
        g = h5.get(group, n, "group", where)
        if g is None:
            raise SerializationError(f"{where}: layer_names lists {n!r}, which is missing")
        wn = h5.list_attr(g, "weight_names", where)
        if wn:
            file_layers.append((n, g, wn))
    if all(n in by_name for n, _g, _w in file_layers):
        targets = [by_name[n] for n, _g, _w in file_layers]
        missing = [l.name for l in with_weights if l not in targets]
        if missing:
            raise SerializationError(f"{where}: the file has no weights for layers {missing}")
    elif len(file_layers) == len(with_weights):
        targets = with_weights  # Keras matches by order when the names differ
    else:
        raise SerializationError(f"{where}: the file holds weights for {len(file_layers)} "
                                 f"layers, the model has {len(with_weights)} with weights")
    pairs = []
    for (n, g, wn), layer in zip(file_layers, targets):
        variables = _legacy_order(layer)
        try:
            if len(wn) != len(variables):
                raise SerializationError(f"{where}: layer {n!r} has {len(wn)} weights in the "
                                         f"file, the model's has {len(variables)}")
            pairs += [(var, h5.read_dataset(_resolve_dataset(g, wname, where), tuple(var.shape),
                                            f"{where}: {n}/{wname}"))
                      for wname, var in zip(wn, variables)]
        except SerializationError as exc:
            if not skip_mismatch:
                raise
            _skip_warning(exc)
    return pairs


def _legacy_order(layer: Any) -> list:
    """Keras's legacy ``layer.weights``: trainable first, then non-trainable."""
    ws = list(layer.weights)
    return [w for w in ws if w.trainable] + [w for w in ws if not w.trainable]


def _resolve_dataset(g: Any, path: str, where: str) -> Any:
    node = g
    parts = [p for p in path.split("/") if p]
    for i, part in enumerate(parts):
        node = h5.get(node, part, "dataset" if i == len(parts) - 1 else "group", where)
        if node is None:
            raise SerializationError(f"{where}: weight {path!r} is missing from the file")
    return node


# ==== loading entry points ====================================================================
def _zip_members(data: bytes, where: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = {i.filename: i for i in zf.infolist()}
            for name in ("config.json", "model.weights.h5"):
                if name not in infos:
                    raise SerializationError(f"{where}: not a Keras .keras archive (no {name}"
                                             "; sharded Keras weights are not supported)")
            assets = [n for n, i in infos.items() if n.startswith("assets/") and not i.is_dir()]
            if assets:
                raise SerializationError(f"{where}: the archive holds Keras assets ({assets[0]} "
                                         "...: vocabularies of lookup layers), which "
                                         "tensorweave does not read")
            out = {}
            for name in ("config.json", "metadata.json", "model.weights.h5"):
                info = infos.get(name)
                if info is None:
                    continue
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise SerializationError(f"{where}: member {name!r} uses compression "
                                             f"method {info.compress_type}")
                limit = _MAX_JSON if name.endswith(".json") else \
                    max(len(data), 1) * (200 if info.compress_type else 1) + 4096
                if info.file_size > limit:
                    raise SerializationError(f"{where}: member {name!r} declares an "
                                             f"implausible size ({info.file_size} bytes)")
                out[name] = zf.read(name)
            return out
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"{where}: the archive is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None


def _json(data: bytes, what: str, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SerializationError(f"{where}: {what} is not valid JSON: {exc}") from None


def _assign(pairs: list, where: str) -> None:
    from . import _assign_all

    _assign_all(pairs, where)


def _compile(model: Any, cfg: Any, custom_objects: dict | None, where: str) -> None:
    if not isinstance(cfg, dict) or not cfg:
        return
    reader = _Reader(custom_objects, where)
    try:
        args: dict[str, Any] = {}
        for key in ("optimizer", "loss", "metrics", "weighted_metrics", "loss_weights"):
            if cfg.get(key) is not None:
                args[key] = reader.value(key, cfg[key])
        model.compile(**args)
    except (TensorweaveError, TypeError, ValueError) as exc:
        warnings.warn(f"{where}: the model loaded but its Keras compile settings do not map "
                      f"onto tensorweave ({exc}); compile it yourself", UserWarning,
                      stacklevel=4)


def load_keras_archive(data: bytes, custom_objects: dict | None, compile: bool,  # noqa: A002
                       safe_mode: Any, where: str) -> Any:
    """A tensorweave model from the bytes of a Keras 3 ``.keras`` archive."""
    members = _zip_members(data, where)
    config = _json(members["config.json"], "config.json", where)
    with safe_mode_scope(safe_mode):
        model = model_from_keras_config(config, custom_objects, where)
    with h5.open_h5(members["model.weights.h5"], where) as f:
        pairs = read_keras3_weights(f, model, where)
    _assign(pairs, where)
    if compile and isinstance(config, dict):
        _compile(model, config.get("compile_config"), custom_objects, where)
    return model


def load_legacy_h5(data: bytes, custom_objects: dict | None, compile: bool,  # noqa: A002
                   safe_mode: Any, where: str) -> Any:
    """A tensorweave model from a legacy Keras ``.h5`` file (``model_config`` attribute and
    ``model_weights`` groups)."""
    with h5.open_h5(data, where) as f:
        text = h5.text_attr(f, "model_config", where)
        if text is None:
            raise SerializationError(f"{where}: an HDF5 file without model_config: a weights "
                                     "file? Use model.load_weights(path)")
        config = _json(text.encode("utf-8"), "model_config", where)
        with safe_mode_scope(safe_mode):
            model = model_from_keras_config(config, custom_objects, where)
        pairs = read_legacy_weights(f, model, where)
        training = h5.text_attr(f, "training_config", where)
    _assign(pairs, where)
    if compile and training:
        tc = _json(training.encode("utf-8"), "training_config", where)
        if isinstance(tc, dict):
            cfg = {k: tc.get(k) for k in ("loss", "metrics", "weighted_metrics",
                                          "loss_weights")}
            cfg["optimizer"] = tc.get("optimizer_config")
            _compile(model, cfg, custom_objects, where)
    return model


def load_h5_weights(model: Any, data: bytes, where: str, skip_mismatch: bool = False) -> None:
    """``model.load_weights`` of a Keras ``.weights.h5`` (Keras 3 layout) or legacy h5."""
    with h5.open_h5(data, where) as f:
        if h5.has(f, "layers", where) or (h5.has(f, "vars", where) and
                                         not h5.has(f, "model_weights", where) and
                                         not h5.list_attr(f, "layer_names", where)):
            pairs = read_keras3_weights(f, model, where, skip_mismatch)
        else:
            pairs = read_legacy_weights(f, model, where, skip_mismatch)
    _assign(pairs, where)


# ==== writing Keras's format ==================================================================
_KIND_MODULES = {"layers": "keras.layers", "initializers": "keras.initializers",
                 "regularizers": "keras.regularizers", "constraints": "keras.constraints",
                 "optimizers": "keras.optimizers", "losses": "keras.losses",
                 "metrics": "keras.metrics", "activations": "keras.activations"}


def _to_keras_value(key: str, v: Any, where: str) -> Any:
    """A tensorweave config value in Keras's serialized form."""
    if isinstance(v, tuple):
        return [_to_keras_value(key, x, where) for x in v]
    if isinstance(v, list):
        return [_to_keras_value(key, x, where) for x in v]
    if isinstance(v, dict):
        if "class_name" in v and "config" in v:
            name = v["class_name"]
            kind = _kind_for(key, name)
            if kind == "layers":
                return _layer_entry_from_config(name, v["config"], where)
            inner = v["config"] if isinstance(v["config"], dict) else {}
            # a value already in Keras's form (a layer's DTypePolicy) keeps its module
            module = _KIND_MODULES.get(kind) or v.get("module")
            return {"module": module, "class_name": name.split(">")[-1],
                    "config": {k: _to_keras_value(k, x, where) for k, x in inner.items()},
                    "registered_name": name if ">" in name else None}
        return {k: _to_keras_value(k, x, where) for k, x in v.items()}
    if hasattr(v, "get_config") and not isinstance(v, type):
        return _to_keras_value(key, {"class_name": registered_name(v),
                                     "config": v.get_config()}, where)
    if callable(v) and hasattr(v, "__name__"):
        return registered_name(v)
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (TypeError, ValueError):
            pass
    if hasattr(v, "name") and type(v).__name__ in ("DType", "DTypePolicy"):
        return v.name
    return v


def _kind_for(key: str, name: str) -> str | None:
    if key in ("layer", "backward_layer", "cell", "cells", "layers"):
        return "layers"
    for suffix, kind in (("initializer", "initializers"), ("regularizer", "regularizers"),
                         ("constraint", "constraints"), ("activation", "activations")):
        if key.endswith(suffix):
            return kind
    from ..registries import registry

    return "layers" if name in registry("layers") else None


# keys tensorweave's layer configs carry that Keras's layer constructors do not take
_TW_ONLY_KEYS = {"build_input_shape", "input_dtype"}


def _layer_entry_from_config(name: str, cfg: Any, where: str) -> dict:
    cfg = cfg if isinstance(cfg, dict) else {}
    return {"module": "keras.layers", "class_name": name.split(">")[-1],
            "config": {k: _to_keras_value(k, x, where) for k, x in cfg.items()
                       if k not in _TW_ONLY_KEYS},
            "registered_name": name if ">" in name else None}


def _shape_list(s: Any) -> Any:
    if isinstance(s, dict):
        return {k: _shape_list(v) for k, v in s.items()}
    if isinstance(s, (list, tuple)) and s and isinstance(s[0], (list, tuple, dict)):
        return [_shape_list(v) for v in s]
    return [None if d is None else int(d) for d in s]


def keras_layer_entry(layer: Any, where: str) -> dict:
    """``{"module", "class_name", "config", "registered_name", "build_config"}`` of a layer
    (or nested model) as Keras 3 writes it."""
    from tensorweave.layers import InputLayer
    from tensorweave.models import Functional, Sequential

    from .config import serialize_layer

    if isinstance(layer, Sequential):
        return {"module": "keras", "class_name": "Sequential",
                "config": _sequential_config(layer, where), "registered_name": None,
                **_build(layer)}
    if isinstance(layer, Functional):
        return {"module": "keras.src.models.functional", "class_name": "Functional",
                "config": functional_keras_config(layer, where), "registered_name": None}
    if isinstance(layer, InputLayer):
        return {"module": "keras.layers", "class_name": "InputLayer",
                "config": {"batch_shape": list(layer.batch_shape),
                           "dtype": layer.input_dtype.name, "sparse": False,
                           "ragged": False, "name": layer.name},
                "registered_name": None}
    try:
        ser = serialize_layer(layer)
    except SerializationError as exc:
        raise SerializationError(f"{where}: {exc}") from None
    entry = _layer_entry_from_config(ser["class_name"], ser["config"], where)
    entry.update(_build(layer))
    return entry


def _build(layer: Any) -> dict:
    """Keras's ``build_config`` for a single-input layer. Layers with several inputs
    (``MultiHeadAttention(query, value)`` ...) get none: Keras's ``build`` takes those as
    named shapes, and a model with inputs builds them by calling them anyway."""
    shape = getattr(layer, "_build_shape", None)
    if type(layer).__name__ in _NO_BUILD_CONFIG or \
            not isinstance(shape, (tuple, list)) or not all(
            d is None or isinstance(d, int) for d in shape):
        return {}
    try:
        return {"build_config": {"input_shape": _shape_list(shape)}}
    except (TypeError, ValueError):
        return {}


def _sequential_config(model: Any, where: str) -> dict:
    entries = []
    if model._input_shape is not None:
        entries.append({"module": "keras.layers", "class_name": "InputLayer",
                        "config": {"batch_shape": list(model._input_shape),
                                   "dtype": getattr(model._input_dtype, "name",
                                                    str(model._input_dtype)),
                                   "sparse": False, "ragged": False,
                                   "name": f"{model.name}_input"},
                        "registered_name": None})
    entries += [keras_layer_entry(l, where) for l in model._layers]
    cfg = {"name": model.name, "trainable": model.trainable, "dtype": "float32",
           "layers": entries}
    if model._input_shape is not None:
        cfg["build_input_shape"] = list(model._input_shape)
    return cfg


def functional_keras_config(model: Any, where: str) -> dict:
    from tensorweave.ops import is_symbolic

    order = keras_layer_order(model)
    node_ids = {id(n) for n in model._nodes}
    per_layer: dict[int, list] = {}
    for n in model._nodes:
        per_layer.setdefault(id(n.layer), []).append(n)
    index_of = {id(n): i for lst in per_layer.values() for i, n in enumerate(lst)}

    def hist(t: Any) -> list:
        layer, node, i = t._keras_history
        if node is None or id(node) not in node_ids:
            return [layer.name, 0, 0]
        return [layer.name, index_of[id(node)], i]

    def ref(x: Any) -> Any:
        if is_symbolic(x):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": [None if d is None else int(d) for d in x.shape],
                               "dtype": getattr(x.dtype, "name", str(x.dtype)),
                               "keras_history": hist(x)}}
        if isinstance(x, (list, tuple)):
            return [ref(v) for v in x]
        if isinstance(x, dict):
            return {k: ref(v) for k, v in x.items()}
        return _to_keras_value("arg", x, where)

    layers = []
    for layer in order:
        entry = keras_layer_entry(layer, where)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [{"args": ref(list(n.args)), "kwargs": ref(dict(n.kwargs))}
                                  for n in per_layer.get(id(layer), [])]
        layers.append(entry)

    def ends(struct: Any) -> Any:
        if is_symbolic(struct):
            return hist(struct)
        if isinstance(struct, dict):
            return {k: ends(v) for k, v in struct.items()}
        return [ends(v) for v in struct]

    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": ends(model._inputs_struct) if not is_symbolic(model._inputs_struct)
            else [hist(model._inputs_struct)],
            "output_layers": ends(model._outputs_struct)}


def keras_model_config(model: Any, where: str) -> dict:
    from tensorweave.models import Functional, Sequential

    if not isinstance(model, (Functional, Sequential)):
        raise SerializationError(f"{where}: only Sequential and functional models can be "
                                 "written as Keras files (a subclassed model's code is not in "
                                 "the file); save it as .tw, or save_weights to .weights.h5")
    entry = keras_layer_entry(model, where)
    entry["compile_config"] = _keras_compile_config(model, where)
    return entry


def _keras_compile_config(model: Any, where: str) -> dict | None:
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    from . import _compile_config

    cfg = _compile_config(model) or {}
    out = {}
    for k, v in cfg.items():
        if k == "optimizer" and isinstance(v, dict):
            out[k] = {"module": "keras.optimizers", "class_name": v["class_name"],
                      "config": {ck: _to_keras_value(ck, cv, where)
                                 for ck, cv in (v.get("config") or {}).items()},
                      "registered_name": None}
        else:
            out[k] = _to_keras_value(k, v, where)
    out.setdefault("loss_weights", None)
    out.setdefault("metrics", None)
    out.setdefault("weighted_metrics", None)
    out.update({"run_eagerly": False, "steps_per_execution": 1, "jit_compile": False})
    return out


def write_keras3_weights(model: Any, where: str) -> bytes:
    """The bytes of a Keras 3 ``.weights.h5`` for ``model``."""
    import numpy as np

    h5py = h5.require_h5py(where)
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        for path, obj, own in keras_weight_paths(model):
            group = f.create_group(f"{path}/vars" if path else "vars")
            group.attrs["name"] = str(getattr(obj, "name", ""))
            for i, var in enumerate(own):
                arr = np.asarray(var.numpy())
                if getattr(var.dtype, "name", "") == "bfloat16":
                    bits = (arr.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
                    ds = group.create_dataset(str(i), data=bits.view("V2"))
                    ds.attrs["dtype"] = "bfloat16"
                else:
                    group.create_dataset(str(i), data=arr)
    return buf.getvalue()


def write_keras_archive(model: Any, where: str) -> bytes:
    from .. import __version__
    from . import _json_bytes

    config = keras_model_config(model, where)
    weights = write_keras3_weights(model, where)
    meta = {"keras_version": "3.0.0", "saved_by": f"tensorweave {__version__}",
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", _json_bytes(meta, "metadata"))
        zf.writestr("config.json", _json_bytes(config, "model config"))
        zf.writestr("model.weights.h5", weights)
    return buf.getvalue()


def _write_legacy_group(h5py: Any, group: Any, model: Any) -> None:
    """Keras's legacy weights layout: ``layer_names``, then per layer ``weight_names`` and
    the datasets in ``trainable + non_trainable`` order (what Keras matches by)."""
    import numpy as np

    layers = keras_layer_order(model)
    group.attrs["layer_names"] = np.array([l.name.encode("utf-8") for l in layers])
    group.attrs["backend"] = "tensorweave"
    group.attrs["keras_version"] = "3.0.0"
    for layer in layers:
        lg = group.create_group(layer.name)
        names: list[str] = []
        for i, var in enumerate(_legacy_order(layer)):
            name = f"{layer.name}/{getattr(var, 'path', None) or var.name}"
            if name in names:
                name = f"{name}_{i}"
            names.append(name)
            lg.create_dataset(name, data=np.asarray(var.numpy()))
        lg.attrs["weight_names"] = np.array([n.encode("utf-8") for n in names])
    top = group.create_group("top_level_model_weights")
    top.attrs["weight_names"] = np.array([], dtype="S1")


def write_legacy_h5(model: Any, where: str, include_model: bool = True) -> bytes:
    """A legacy Keras ``.h5``: the model config as the ``model_config`` attribute and the
    weights under ``model_weights`` (or, ``include_model=False``, a weights-only file)."""
    h5py = h5.require_h5py(where)
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        if include_model:
            from . import _json_bytes

            config = keras_model_config(model, where)
            compile_config = config.pop("compile_config", None)
            f.attrs["model_config"] = _json_bytes(config, "model config").decode("utf-8")
            f.attrs["backend"] = "tensorweave"
            f.attrs["keras_version"] = "3.0.0"
            if compile_config:
                training = {k: compile_config.get(k) for k in
                            ("loss", "metrics", "weighted_metrics", "loss_weights")}
                training["optimizer_config"] = compile_config.get("optimizer")
                f.attrs["training_config"] = _json_bytes(training, "compile config") \
                    .decode("utf-8")
            _write_legacy_group(h5py, f.create_group("model_weights"), model)
        else:
            _write_legacy_group(h5py, f, model)
    return buf.getvalue()
