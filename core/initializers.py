"""``tw.initializers``: the initializers registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("initializers", globals())
get = make_get("initializers", instantiate=True)


def serialize(obj: object) -> object:
    """Keras-style config of an object (its name when it is a registered function)."""
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", obj)


def deserialize(config: object) -> object:
    return get(config)
