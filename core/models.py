"""``tw.models``: ``Sequential``, ``Model`` (registered by the model-API plugin),
``load_model`` and ``model_from_json``."""

from __future__ import annotations

from typing import Any

from ._namespace import namespace

__getattr__, __dir__ = namespace("models", globals())


def load_model(path: Any, custom_objects: dict | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """Load a model saved with ``model.save(path)`` (never unpickles or evaluates code)."""
    from .saving import load_model as _load

    return _load(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string: str, custom_objects: dict | None = None,
                    safe_mode: bool = True) -> Any:
    from .saving import model_from_json as _from_json

    return _from_json(json_string, custom_objects=custom_objects, safe_mode=safe_mode)


def clone_model(model: Any) -> Any:
    return type(model).from_config(model.get_config())
