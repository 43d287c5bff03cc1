"""``tw.optimizers.schedules``: learning-rate schedules registered by plugins."""

from __future__ import annotations

from typing import Any

from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("schedules", globals())
get = make_get("schedules", instantiate=False)


def serialize(learning_rate_schedule: Any) -> Any:
    """``{"class_name", "config"}`` of a schedule."""
    from tensorweave.plugins.optimizers.schedules import serialize as _serialize

    return _serialize(learning_rate_schedule)


def deserialize(config: Any, custom_objects: dict[str, Any] | None = None) -> Any:
    """A schedule back from :func:`serialize`'s output (``custom_objects`` first)."""
    from tensorweave.plugins.optimizers.schedules import deserialize as _deserialize

    return _deserialize(config, custom_objects)
