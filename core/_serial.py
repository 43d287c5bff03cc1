"""``deserialize(config, custom_objects=None)`` shared by the object namespaces
(``tw.losses``, ``tw.metrics`` ...): Keras's signature, with ``custom_objects`` consulted
before the registry so a user's own class or function named in a config loads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def deserialize_with(get: Callable[[Any], Any], config: Any,
                     custom_objects: dict[str, Any] | None = None) -> Any:
    """Resolve ``config`` (a name or ``{"class_name", "config"}``) through
    ``custom_objects`` first, then ``get`` (the namespace's registry lookup)."""
    if custom_objects:
        if isinstance(config, str) and config in custom_objects:
            return custom_objects[config]
        if isinstance(config, dict) and config.get("class_name") in custom_objects:
            cls = custom_objects[config["class_name"]]
            inner = config.get("config", {}) or {}
            if hasattr(cls, "from_config"):
                return cls.from_config(inner)
            return cls(**inner) if isinstance(cls, type) else cls
    return get(config)
