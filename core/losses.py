"""``tw.losses``: the losses registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("losses", globals())
get = make_get("losses", instantiate=False)


def serialize(obj: object) -> object:
    """Keras-style config of an object (its name when it is a registered function)."""
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", obj)


def deserialize(config: object) -> object:
    return get(config)
