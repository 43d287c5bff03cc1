"""Model and layer configs as plain JSON data, and the classes they may name.

A config names classes only by registered name (``"Dense"``, ``"my_pkg>MyLayer"``); the
loader finds them in the plugin registries or in ``custom_objects`` and never imports a
module or evaluates anything named by the file. A name that looks like a module path
(``"os.system"``, ``"keras.src.engine.functional.Functional"``) is refused outright.

``safe_mode`` and ``custom_objects`` of the running :func:`~tensorweave.saving.load_model`
reach nested configs (a ``Sequential`` inside a functional model ...) through context
variables, so a nested ``from_config`` cannot lose them; nothing read from the file can
change either.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidArgumentError, SerializationError, TensorweaveError
from ..registries import custom_objects as _registered_custom
from ..registries import register_custom_object, registry

__all__ = ["serialize_keras_object", "deserialize_keras_object", "get_custom_objects",
           "get_registered_name", "register_keras_serializable",
           "register_serializable", "serialize_layer",
           "deserialize_layer", "functional_config", "functional_from_config",
           "serialize_model", "deserialize_model", "registered_name", "get_registered_object",
           "custom_object_scope", "CustomObjectScope", "safe_mode_scope", "in_safe_mode"]

_names_by_class: dict[Any, str] = {}
_NAMED_KINDS = ("layers", "models", "losses", "metrics", "optimizers", "schedules",
                "initializers", "regularizers", "constraints", "activations")

# the caller's choices while a load runs (never set from file contents)
_UNSAFE: contextvars.ContextVar[bool] = contextvars.ContextVar("tw_unsafe_load", default=False)
_SCOPED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tw_custom_objects",
                                                                     default=None)


class _ScopedObjects:
    """``get()`` the custom objects of the enclosing ``custom_object_scope`` blocks."""

    @staticmethod
    def get() -> dict:
        return _SCOPED.get() or {}

    @staticmethod
    def set(value: dict) -> contextvars.Token:
        return _SCOPED.set(value)

    @staticmethod
    def reset(token: contextvars.Token) -> None:
        _SCOPED.reset(token)


_SCOPED_OBJECTS = _ScopedObjects()


def in_safe_mode() -> bool:
    """True unless a ``load_model(..., safe_mode=False)`` (or ``safe_mode_scope(False)``)
    is running."""
    return not _UNSAFE.get()


@contextlib.contextmanager
def safe_mode_scope(safe_mode: Any = True) -> Iterator[None]:
    """Run loads with ``safe_mode``. Only the literal ``False`` turns safety off; any
    other value (``None`` included) keeps it on: the switch fails closed."""
    token = _UNSAFE.set(safe_mode is False)
    try:
        yield
    finally:
        _UNSAFE.reset(token)


@contextlib.contextmanager
def custom_object_scope(*objects: dict) -> Iterator[None]:
    """Keras's ``custom_object_scope``: names visible to every load inside the block."""
    merged = dict(_SCOPED_OBJECTS.get())
    for d in objects:
        if d:
            if not isinstance(d, dict):
                raise InvalidArgumentError(f"custom_object_scope: expected dicts of name -> "
                                           f"object, got {type(d).__name__}")
            merged.update(d)
    token = _SCOPED_OBJECTS.set(merged)
    try:
        yield
    finally:
        _SCOPED_OBJECTS.reset(token)


CustomObjectScope = custom_object_scope


def register_serializable(package: str = "Custom", name: str | None = None) -> Any:
    """Class (or function) decorator: file a custom object so saved models can name it.

    The object is stored under ``"package>Name"`` in the same registry the plugins fill.
    Registration is needed only to load a model from a file, never to train.
    """
    if not isinstance(package, str) or (name is not None and not isinstance(name, str)):
        raise InvalidArgumentError("register_keras_serializable: package and name must be "
                                   f"strings, got package={package!r}, name={name!r}")

    def decorator(cls: Any) -> Any:
        key = f"{package}>{name or cls.__name__}"
        register_custom_object(key, cls)
        _names_by_class[cls] = key
        return cls

    return decorator


register_keras_serializable = register_serializable


def get_custom_objects() -> dict:
    """The global registry of custom objects (``name -> object``); adding to it makes a
    name loadable, as Keras's ``get_custom_objects()`` dict does."""
    from ..registries import custom_objects

    return custom_objects


def get_registered_name(obj: Any) -> str:
    """The name ``obj`` is saved under (``"package>Name"`` when registered)."""
    return registered_name(obj)


def registered_name(obj: Any) -> str:
    """The name a file stores for ``obj``: ``"package>Name"`` when registered, else the
    class (or function) name."""
    try:
        if obj in _names_by_class:  # a registered class or function
            return _names_by_class[obj]
    except TypeError:  # unhashable
        pass
    is_function = not isinstance(obj, type) and callable(obj) and hasattr(obj, "__name__") \
        and not hasattr(obj, "get_config")
    target = obj if is_function or isinstance(obj, type) else type(obj)
    if target in _names_by_class:
        return _names_by_class[target]
    for kind in _NAMED_KINDS:  # a plugin may file a class under another name than __name__
        try:
            name = registry(kind).name_of(target)
        except (TensorweaveError, AttributeError):
            name = None
        if name is not None:
            return name
    return target.__name__


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise SerializationError(f"a saved config names a class with {name!r}; expected a "
                                 "registered name (a non-empty string)")
    if "." in name or ":" in name or "/" in name or "\\" in name:
        raise SerializationError(
            f"the saved config names {name!r}, which looks like a module path; tensorweave "
            "never imports modules named by a file. Use registered names (register the class "
            "with @tw.saving.register_keras_serializable) or pass custom_objects={...}")
    return name


def get_registered_object(name: str, custom_objects: dict | None = None,
                          module_objects: dict | None = None,
                          kinds: tuple[str, ...] = ("layers", "models")) -> Any:
    """The class a config names: ``custom_objects``, then the custom-object scope, then
    ``module_objects``, then the registered custom objects, then the plugin registries of
    ``kinds``. Never an import; an unknown name raises (Keras returns None)."""
    name = _check_name(name)
    short = name.split(">", 1)[-1]
    for table in (custom_objects or {}, _SCOPED_OBJECTS.get(), module_objects or {}):
        if name in table:
            return table[name]
        if short in table:
            return table[short]
    if name in _registered_custom:
        return _registered_custom[name]
    for kind in kinds:
        reg = registry(kind)
        if name in reg.entries or name in reg.names():
            return reg.entries[name]
    raise SerializationError(
        f"unknown class {name!r} in the saved config (no plugin, registered custom object "
        "or custom_objects entry has that name): register it with "
        "@tw.saving.register_keras_serializable(package=..., name=...) or pass "
        f"custom_objects={{{short!r}: {short}}} to load_model")


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


def _resolve_safe(safe_mode: Any) -> bool:
    """An explicit argument wins; ``None`` (the default) inherits the running load's
    choice, which is safe unless the caller passed ``safe_mode=False``."""
    if safe_mode is None:
        return in_safe_mode()
    return safe_mode is not False


def deserialize_layer(config: dict, custom_objects: dict | None = None,
                      safe_mode: bool | None = None) -> Any:
    """Rebuild a layer (or nested model) from ``{"class_name", "config"}``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise SerializationError(f"a layer config must be a dict with 'class_name', got "
                                 f"{str(config)[:80]!r}")
    name = _check_name(config["class_name"])
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise SerializationError(f"the config of layer class {name!r} is not a JSON object")
    inner = dict(inner)
    if name == "Lambda" or name.endswith(">Lambda"):
        inner = _lambda_config(inner, custom_objects, _resolve_safe(safe_mode))
    cls = get_registered_object(name, custom_objects)
    if not isinstance(cls, type):
        raise SerializationError(f"the saved config names {name!r}, which is not a class")
    if _resolve_safe(safe_mode) is False:
        ctx: Any = safe_mode_scope(False)
    elif safe_mode is not None:
        ctx = safe_mode_scope(True)
    else:
        ctx = contextlib.nullcontext()
    try:
        with ctx:
            from_config = getattr(cls, "from_config", None)
            if from_config is not None:
                code = getattr(getattr(from_config, "__func__", from_config), "__code__", None)
                if code is not None and "custom_objects" in \
                        code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
                    return from_config(inner, custom_objects=custom_objects)
                return from_config(inner)
            return cls(**inner)
    except SerializationError:
        raise
    except RecursionError:
        raise SerializationError(f"the config of layer {name!r} is nested too deeply") from None
    except Exception as exc:
        raise SerializationError(f"cannot rebuild layer {name!r} from its config: "
                                 f"{type(exc).__name__}: {exc}") from exc


def _lambda_config(inner: dict, custom_objects: dict | None, safe: bool) -> dict:
    """A Lambda's function can never come from the file: in safe mode the layer is
    refused; with ``safe_mode=False`` the file may only *name* a function that the caller
    passes in ``custom_objects`` (nothing is unpickled, evaluated or imported)."""
    if safe:
        raise SerializationError(
            "the file contains a Lambda layer; loading one would run code, so it is refused "
            "in safe mode. If you trust the file, pass safe_mode=False together with the "
            "function: load_model(path, safe_mode=False, custom_objects={'name': fn})")
    table = {**_SCOPED_OBJECTS.get(), **(custom_objects or {})}
    for key in ("function", "output_shape", "mask"):
        ref = inner.get(key)
        if isinstance(ref, dict) and "class_name" in ref:  # a Keras-style reference
            ref = ref.get("config") if isinstance(ref.get("config"), str) else \
                ref.get("class_name")
        if isinstance(ref, str):
            if ref not in table or not callable(table[ref]):
                raise SerializationError(
                    f"the file's Lambda layer names its {key} {ref!r}; pass that function in "
                    f"custom_objects={{{ref!r}: fn}} (tensorweave never loads code from a file)")
            inner[key] = table[ref]
        elif ref is not None and key == "function" or isinstance(ref, dict):
            raise SerializationError(
                f"the file's Lambda layer holds its {key} as {type(ref).__name__} data "
                "(e.g. marshalled bytecode), which tensorweave never runs; name the function "
                "and pass it in custom_objects")
    return inner


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
                           safe_mode: bool | None = None) -> Any:
    from tensorweave.plugins.layers.base import InputLayer
    from tensorweave.plugins.models.model import Functional

    if not isinstance(config, dict):
        raise SerializationError("malformed functional model config: not a JSON object")
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
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise SerializationError(f"malformed functional model config: {type(exc).__name__}: "
                                 f"{exc}") from exc
    except TensorweaveError as exc:
        raise SerializationError(f"the functional model config does not rebuild: "
                                 f"{type(exc).__name__}: {exc}") from exc
    try:
        return Functional(inputs, outputs, name=config.get("name"),
                          trainable=config.get("trainable", True))
    except TensorweaveError as exc:
        raise SerializationError(f"the functional model config does not rebuild: "
                                 f"{type(exc).__name__}: {exc}") from exc


def serialize_model(model: Any) -> dict:
    """``{"class_name", "config"}`` of a model, plus ``"build_config"`` (the input specs
    it was built with) for a subclassed model, whose layers exist only once it is called."""
    out = {"class_name": registered_name(model), "config": model.get_config()}
    if type(model).__name__ not in ("Functional", "Sequential"):
        specs = _input_specs(model)
        if specs is not None:
            out["build_config"] = {"input_specs": specs}
    return out


def _spec_json(tree: Any) -> Any:
    """``(shape, dtype)`` leaves -> ``{"__spec__": [shape, dtype]}``; batch dim -> None."""
    if isinstance(tree, tuple) and len(tree) == 2 and isinstance(tree[0], tuple) and \
            all(d is None or isinstance(d, int) for d in tree[0]) and \
            not isinstance(tree[1], (tuple, list, dict)):
        shape, dtype = tree
        return {"__spec__": [[None] + [None if d is None else int(d) for d in shape[1:]],
                             getattr(dtype, "name", str(dtype))]}
    if isinstance(tree, (list, tuple)):
        return [_spec_json(t) for t in tree]
    if isinstance(tree, dict):
        return {str(k): _spec_json(v) for k, v in tree.items()}
    raise SerializationError(f"cannot record the model's input spec {tree!r}")


def _input_specs(model: Any) -> Any:
    """The input specs a subclassed model was built with: its recorded build shape, else
    the inputs of the steps ``fit``/``predict`` compiled for it."""
    shape = getattr(model, "_build_shape", None)
    if shape is not None:
        def leafify(s: Any) -> Any:
            if isinstance(s, tuple):
                return (s, "float32")
            if isinstance(s, list):
                return [leafify(v) for v in s]
            if isinstance(s, dict):
                return {k: leafify(v) for k, v in s.items()}
            return s

        return _spec_json(leafify(shape))
    from tensorweave.graph.tracing import tree_unflatten

    for key in list(getattr(model, "_steps", {}) or {}):
        try:
            _kind, tree, specs = key
            x_specs = tree_unflatten(tree, list(specs))[0]
            return _spec_json(x_specs)
        except Exception:  # noqa: BLE001 - an unexpected key shape: try the next one
            continue
    return None


def _spec_placeholders(spec: Any) -> Any:
    from tensorweave.graph.tracing import placeholder

    if isinstance(spec, dict) and "__spec__" in spec:
        shape, dtype = spec["__spec__"]
        if not isinstance(shape, list) or not all(d is None or (isinstance(d, int) and
                                                                not isinstance(d, bool) and
                                                                0 <= d < 2**31)
                                                  for d in shape):
            raise SerializationError(f"malformed build_config input shape {shape!r}")
        return placeholder(tuple(shape), str(dtype))
    if isinstance(spec, list):
        return [_spec_placeholders(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _spec_placeholders(v) for k, v in spec.items()}
    raise SerializationError(f"malformed build_config entry {spec!r}")


def build_from_config(model: Any, build_config: Any) -> None:
    """Create a subclassed model's variables by calling it on symbolic inputs."""
    if not build_config or getattr(model, "built", False) and model.weights:
        return
    if not isinstance(build_config, dict) or "input_specs" not in build_config:
        raise SerializationError(f"malformed build_config {str(build_config)[:80]!r}")
    inputs = _spec_placeholders(build_config["input_specs"])
    try:
        model(inputs, training=False) if "training" in model._call_params() else model(inputs)
    except TensorweaveError as exc:
        raise SerializationError(f"cannot build the loaded model {model.name!r} from its "
                                 f"build_config: {type(exc).__name__}: {exc}") from exc
    model.built = True


def deserialize_model(config: dict, custom_objects: dict | None = None,
                      safe_mode: bool | None = None) -> Any:
    """Rebuild a model from :func:`serialize_model`'s output (layers only: weights and
    compile settings are the caller's)."""
    if not isinstance(config, dict):
        raise SerializationError("a model config must be a JSON object")
    with safe_mode_scope(_resolve_safe(safe_mode) if safe_mode is not None
                         else in_safe_mode()), custom_object_scope(custom_objects or {}):
        name = config.get("class_name")
        if name == "Functional":
            model = functional_from_config(config.get("config", {}), custom_objects)
        else:
            model = deserialize_layer(config, custom_objects)
        if config.get("build_config"):
            build_from_config(model, config["build_config"])
    return model


# ---- Keras's generic object format ----------------------------------------------------------
_KERAS_MODULES = {"layers": "keras.layers", "models": "keras", "losses": "keras.losses",
                  "metrics": "keras.metrics", "optimizers": "keras.optimizers",
                  "schedules": "keras.optimizers.schedules",
                  "initializers": "keras.initializers", "regularizers": "keras.regularizers",
                  "constraints": "keras.constraints", "activations": "keras.activations"}


def _kind_of(target: Any) -> str | None:
    for kind in _NAMED_KINDS:
        try:
            if registry(kind).name_of(target) is not None:
                return kind
        except (TensorweaveError, AttributeError):
            continue
    return None


def serialize_keras_object(obj: Any) -> Any:
    """Keras's dict for ``obj``: ``{"module", "class_name", "config", "registered_name"}``
    for objects with ``get_config`` (nested objects in the config serialized the same
    way), ``{"module": "builtins", "class_name": "function", "config": name, ...}`` for
    functions; None, numbers, strings and containers of them as they are."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return type(obj)(serialize_keras_object(o) for o in obj)
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "dtype") and hasattr(obj, "shape") and hasattr(obj, "tolist"):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(),
                                                      "dtype": str(obj.dtype)}}
    custom = _names_by_class.get(obj if isinstance(obj, type) or not hasattr(obj, "get_config")
                                 else type(obj))
    if not isinstance(obj, type) and callable(obj) and not hasattr(obj, "get_config"):
        name = getattr(obj, "__name__", None)
        if name is None:
            raise SerializationError(f"serialize_keras_object: cannot serialize {obj!r}")
        return {"module": "builtins", "class_name": "function",
                "config": custom or name, "registered_name": "function"}
    if isinstance(obj, type):
        raise SerializationError(f"serialize_keras_object: expected an instance, got the "
                                 f"class {obj.__name__}")
    if not hasattr(obj, "get_config"):
        raise SerializationError(f"serialize_keras_object: {type(obj).__name__} has no "
                                 "get_config()")
    cls = type(obj)
    kind = _kind_of(cls)
    module = _KERAS_MODULES.get(kind or "", cls.__module__)
    return {"module": module, "class_name": cls.__name__,
            "config": serialize_keras_object(obj.get_config()),
            "registered_name": custom}


def deserialize_keras_object(config: Any, custom_objects: dict | None = None,
                             safe_mode: bool = True, **kwargs: Any) -> Any:
    """The object a :func:`serialize_keras_object` dict (or Keras's) describes, looked up
    by registered name or class name in ``custom_objects``, the custom-object scope and
    the registries (never an import); plain values come back as they are."""
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        return config
    if isinstance(config, (list, tuple)):
        return type(config)(deserialize_keras_object(c, custom_objects, safe_mode)
                            for c in config)
    if not isinstance(config, dict):
        raise SerializationError(f"deserialize_keras_object: expected a dict, got "
                                 f"{type(config).__name__}")
    if "class_name" not in config:
        return {k: deserialize_keras_object(v, custom_objects, safe_mode)
                for k, v in config.items()}
    class_name = config["class_name"]
    inner = config.get("config")
    if class_name == "__numpy__":
        import numpy as np

        return np.asarray(inner["value"], dtype=inner["dtype"])
    if class_name in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        # a layer's dtype policy (Keras's config form): its name is what layers accept
        return (inner or {}).get("name")
    kinds = _NAMED_KINDS
    module = config.get("module") or ""
    for kind, mod in _KERAS_MODULES.items():
        if module == mod:
            kinds = (kind,) + tuple(k for k in _NAMED_KINDS if k != kind)
            break
    if class_name == "function":
        return get_registered_object(str(inner), custom_objects, kinds=kinds)
    name = config.get("registered_name") or class_name
    try:
        cls = get_registered_object(name, custom_objects, kinds=kinds)
    except SerializationError:
        cls = get_registered_object(class_name, custom_objects, kinds=kinds)
    cfg = inner or {}
    if isinstance(cfg, dict):
        cfg = {k: deserialize_keras_object(v, custom_objects, safe_mode)
               if isinstance(v, dict) and "class_name" in v else v for k, v in cfg.items()}
    with safe_mode_scope(safe_mode):
        if hasattr(cls, "from_config"):
            return cls.from_config(cfg)
        return cls(**cfg)
