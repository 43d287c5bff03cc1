"""``tw.losses``: the losses registered by plugins (built-in and third-party)."""

from __future__ import annotations

from typing import Any

from ._namespace import make_get, make_serializers, namespace
from ._serial import deserialize_with

__getattr__, __dir__ = namespace("losses", globals())
get = make_get("losses", instantiate=False)
_serialize = make_serializers("losses", get)[0]


def serialize(loss: Any) -> Any:
    """``{"class_name", "config"}`` of an object; a plain function's registered name."""
    return _serialize(loss)


def deserialize(name: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object back from :func:`serialize`'s output (or a name); ``custom_objects``
    maps names to user classes/functions and is consulted first."""
    return deserialize_with(get, name, custom_objects)
