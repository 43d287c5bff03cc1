"""``tw.optimizers``: optimizer classes registered by plugins; ``schedules`` too."""

from __future__ import annotations

from typing import Any

from . import schedules  # noqa: F401
from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("optimizers", globals())
_get = make_get("optimizers", instantiate=True)


def get(identifier: Any) -> Any:
    """``"adam"`` -> ``Adam()``; an optimizer object passes through."""
    return _get(identifier)


def serialize(obj: Any) -> Any:
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def deserialize(config: Any) -> Any:
    return get(config)
