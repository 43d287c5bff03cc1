"""What a plugin author imports: ``from tensorweave.plugin import hookimpl``."""

from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("tensorweave")

__all__ = ["hookimpl"]
