"""``tw.models``: ``Sequential``, ``Model`` (registered by the model-API plugin),
``load_model`` and ``model_from_json``."""

from __future__ import annotations

from typing import Any

from ._namespace import namespace

__getattr__, __dir__ = namespace("models", globals())


def load_model(filepath: Any, custom_objects: dict | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:  # noqa: A002
    """Load a model saved with ``model.save(path)``, or Keras's ``.keras`` / ``.h5`` file
    (never unpickles, imports or evaluates code)."""
    from .saving import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile,
                 safe_mode=safe_mode)


def save_model(model: Any, filepath: Any, overwrite: bool = True, zipped: bool | None = None,
               **kwargs: Any) -> None:
    """``model.save(filepath)``: ``.keras`` / ``.h5`` in Keras's formats, else ``.tw``."""
    from .saving import save_model as _save

    _save(model, filepath, overwrite=overwrite, zipped=zipped, **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None,
                    safe_mode: bool = True) -> Any:
    from .saving import model_from_json as _from_json

    return _from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


def clone_model(model: Any, input_tensors: Any = None, clone_function: Any = None,
                call_function: Any = None, recursive: bool = False, **kwargs: Any) -> Any:
    """A new model with the same architecture and fresh weights (from its config).

    ``clone_function`` (layer -> new layer) is applied to each layer of a ``Sequential``;
    ``input_tensors``, ``call_function`` and a ``clone_function`` for other models are
    refused with a clear error (they rebuild a functional graph, not supported yet)."""
    from .errors import InvalidArgumentError

    if kwargs:
        raise InvalidArgumentError(f"clone_model: unexpected keyword argument(s) "
                                   f"{sorted(kwargs)}")
    if input_tensors is not None or call_function is not None:
        raise InvalidArgumentError("clone_model: arguments 'input_tensors' and "
                                   "'call_function' are not supported; clone with the "
                                   "defaults and rebuild the graph yourself")
    if clone_function is not None:
        if type(model).__name__ != "Sequential":
            raise InvalidArgumentError("clone_model: argument 'clone_function' is supported "
                                       f"for Sequential models only, got {type(model).__name__}")
        if recursive and any(hasattr(layer, "layers") for layer in model.layers):
            raise InvalidArgumentError("clone_model: recursive=True into nested models is "
                                       "not supported; clone the nested models yourself")
        new_layers = [clone_function(layer) for layer in model.layers]
        clone = type(model)(name=model.name, trainable=model.trainable)
        if model._input_shape is not None:
            from .plugins.layers.base import InputLayer

            clone.add(InputLayer(batch_shape=model._input_shape, dtype=model._input_dtype),
                      rebuild=False)
        for layer in new_layers:
            clone.add(layer, rebuild=False)
        clone._maybe_build_known()
        return clone
    return type(model).from_config(model.get_config())
