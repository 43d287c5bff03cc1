"""``tw.optimizers.schedules``: learning-rate schedules registered by plugins."""

from __future__ import annotations

from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("schedules", globals())
get = make_get("schedules", instantiate=False)
