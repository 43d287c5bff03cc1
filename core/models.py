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


def clone_model(model: Any) -> Any:
    return type(model).from_config(model.get_config())
