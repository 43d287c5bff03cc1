"""``tw.activations``: the activations registered by plugins (built-in and third-party)."""

from __future__ import annotations

from typing import Any

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("activations", globals())
get = make_get("activations", instantiate=False)
_serialize, _deserialize = make_serializers("activations", get)


def serialize(activation: Any) -> Any:
    """The config of an activation: its registered name for a plain function (as Keras)."""
    return _serialize(activation)


def deserialize(config: Any, custom_objects: dict | None = None) -> Any:
    """The activation a config names; ``custom_objects`` (name -> callable) is looked up
    first, as in Keras, then the registered activations."""
    if custom_objects:
        name = config.get("class_name") if isinstance(config, dict) else config
        if isinstance(name, str) and name in custom_objects:
            return custom_objects[name]
    return _deserialize(config)
