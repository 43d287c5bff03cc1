"""``tw.optimizers``: optimizer classes registered by plugins; ``schedules`` too."""

from __future__ import annotations

from typing import Any

from . import schedules  # noqa: F401
from ._namespace import make_get, namespace
from ._serial import deserialize_with

__getattr__, __dir__ = namespace("optimizers", globals())
_get = make_get("optimizers", instantiate=True)


def get(identifier: Any) -> Any:
    """``"adam"`` -> ``Adam()``; an optimizer object passes through."""
    return _get(identifier)


def serialize(optimizer: Any) -> Any:
    """``{"class_name", "config"}`` of an optimizer."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """The optimizer back from :func:`serialize`'s output (``custom_objects`` first)."""
    return deserialize_with(get, config, custom_objects)
