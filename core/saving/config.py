"""Model and layer configs as plain JSON data, and the classes they may name.

A config names classes only by registered name (``"Dense"``, ``"my_pkg>MyLayer"``); the
loader finds them in the plugin registries or in ``custom_objects`` and never imports a
module or evaluates anything named by the file.
"""

from __future__ import annotations

from typing import Any

from ..errors import SerializationError
from ..registries import custom_objects as _registered_custom
from ..registries import register_custom_object, registry

__all__ = ["register_keras_serializable", "register_serializable", "serialize_layer",
           "deserialize_layer", "functional_config", "functional_from_config",
           "serialize_model", "deserialize_model", "registered_name", "get_registered_object"]

_names_by_class: dict[type, str] = {}


def register_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Class decorator: file a custom class so saved models can name it on load.

    The class is stored under ``"package>Name"`` in the same registry the plugins fill.
    Registration is needed only to load a model from a file, never to train.
    """

    def decorator(cls: Any) -> Any:
        key = f"{package}>{name or cls.__name__}"
        register_custom_object(key, cls)
        _names_by_class[cls] = key
        return cls

    return decorator


register_keras_serializable = register_serializable


def registered_name(obj: Any) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return _names_by_class.get(cls, cls.__name__)


def get_registered_object(name: str, custom_objects: dict | None = None,
                          kinds: tuple[str, ...] = ("layers", "models")) -> Any:
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _registered_custom:
        return _registered_custom[name]
    short = name.split(">", 1)[-1]
    if custom_objects and short in custom_objects:
        return custom_objects[short]
    for kind in kinds:
        reg = registry(kind)
        if name in reg.entries or name in reg.names():
            return reg.entries[name]
    raise SerializationError(
        f"unknown class {name!r} in the saved config: register it with "
        "@tw.saving.register_keras_serializable(package=..., name=...) or pass "
        "custom_objects={...} to load_model")


# ---- layers -------------------------------------------------------------------------------
def serialize_layer(layer: Any) -> dict:
    from tensorweave.plugins.layers.base import _Unserializable

    cfg = layer.get_config()
    bad = _find_unserializable(cfg, _Unserializable)
    if bad is not None:
        raise SerializationError(
            f"layer {layer.name!r} ({type(layer).__name__}) cannot be saved: {bad.where} holds "
            f"{bad.value!r}, which is code, not data. Lambda layers and lambdas in configs are "
            "not serializable to a file; write a custom layer class instead")
    return {"class_name": registered_name(layer), "config": cfg}


def _find_unserializable(cfg: Any, marker: type) -> Any:
    if isinstance(cfg, marker):
        return cfg
    if isinstance(cfg, dict):
        for v in cfg.values():
            found = _find_unserializable(v, marker)
            if found is not None:
                return found
    if isinstance(cfg, list):
        for v in cfg:
            found = _find_unserializable(v, marker)
            if found is not None:
                return found
    return None


def deserialize_layer(config: dict, custom_objects: dict | None = None,
                      safe_mode: bool = True) -> Any:
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(f"a layer config must be a dict with 'class_name', got "
                                 f"{str(config)[:80]!r}")
    name = config["class_name"]
    if name == "Lambda" and safe_mode:
        raise SerializationError("the file contains a Lambda layer; loading it would run "
                                 "code. Pass safe_mode=False (and the function through "
                                 "custom_objects) only if you trust the file")
    cls = get_registered_object(name, custom_objects)
    inner = dict(config.get("config") or {})
    try:
        if hasattr(cls, "from_config"):
            if "custom_objects" in getattr(cls.from_config, "__code__",
                                           type("x", (), {"co_varnames": ()})).co_varnames:
                return cls.from_config(inner, custom_objects)
            return cls.from_config(inner)
        return cls(**inner)
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"cannot rebuild layer {name!r} from its config: "
                                 f"{type(exc).__name__}: {exc}") from exc


# ---- functional models ---------------------------------------------------------------------
def functional_config(model: Any) -> dict:
    from tensorweave.graph.tracing import tree_flatten

    node_index = {id(n): i for i, n in enumerate(model._nodes)}
    input_pos = {id(t): i for i, t in enumerate(model.inputs)}

    def ref(x: Any) -> Any:
        from tensorweave.ops import is_symbolic

        if is_symbolic(x):
            if id(x) in input_pos:
                return {"__input__": input_pos[id(x)]}
            layer, node, i = x._keras_history
            return {"__node__": node_index[id(node)], "index": i}
        if isinstance(x, (list, tuple)):
            return [ref(v) for v in x]
        if isinstance(x, dict):
            return {"__dict__": {k: ref(v) for k, v in x.items()}}
        if x is None or isinstance(x, (bool, int, float, str)):
            return x
        raise SerializationError(f"cannot serialize a call argument {x!r}")

    layers = []
    seen = set()
    for layer in model.layers:
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        layers.append({"name": layer.name, **serialize_layer(layer)})
    nodes = [{"layer": n.layer.name, "args": ref(list(n.args)), "kwargs": ref(dict(n.kwargs))}
             for n in model._nodes]
    out_leaves, _ = tree_flatten(model._outputs_struct)
    del out_leaves
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "nodes": nodes, "inputs": [t._keras_history[0].name for t in model.inputs],
            "outputs": ref(model._outputs_struct)}


def functional_from_config(config: dict, custom_objects: dict | None = None,
                           safe_mode: bool = True) -> Any:
    from tensorweave.plugins.layers.base import InputLayer
    from tensorweave.plugins.models.model import Functional

    try:
        by_name = {}
        for lc in config["layers"]:
            by_name[lc["name"]] = deserialize_layer(lc, custom_objects, safe_mode)
        inputs = []
        for n in config["inputs"]:
            layer = by_name[n]
            if not isinstance(layer, InputLayer):
                raise SerializationError(f"model input {n!r} is not an InputLayer")
            inputs.append(layer.output)
        produced: list[Any] = []

        def deref(x: Any) -> Any:
            if isinstance(x, dict):
                if "__input__" in x:
                    return inputs[x["__input__"]]
                if "__node__" in x:
                    out = produced[x["__node__"]]
                    from tensorweave.graph.tracing import tree_flatten

                    leaves, _ = tree_flatten(out)
                    return leaves[x.get("index", 0)]
                if "__dict__" in x:
                    return {k: deref(v) for k, v in x["__dict__"].items()}
            if isinstance(x, list):
                return [deref(v) for v in x]
            return x

        for node in config["nodes"]:
            layer = by_name[node["layer"]]
            args = deref(node["args"])
            kwargs = deref(node["kwargs"])
            produced.append(layer(*args, **kwargs))
        outputs = deref(config["outputs"])
    except SerializationError:
        raise
    except (KeyError, IndexError, TypeError) as exc:
        raise SerializationError(f"malformed functional model config: {type(exc).__name__}: "
                                 f"{exc}") from exc
    return Functional(inputs, outputs, name=config.get("name"),
                      trainable=config.get("trainable", True))


def serialize_model(model: Any) -> dict:
    return {"class_name": registered_name(model), "config": model.get_config()}


def deserialize_model(config: dict, custom_objects: dict | None = None,
                      safe_mode: bool = True) -> Any:
    if config.get("class_name") == "Functional":
        return functional_from_config(config.get("config", {}), custom_objects, safe_mode)
    if config.get("class_name") == "Sequential":
        from tensorweave.plugins.models.model import Sequential

        inner = config.get("config", {})
        for lc in inner.get("layers", []):
            if lc.get("class_name") == "Lambda" and safe_mode:
                deserialize_layer(lc, custom_objects, safe_mode)  # raises
        return Sequential.from_config(inner, custom_objects)
    return deserialize_layer(config, custom_objects, safe_mode)
