"""``tw.layers``: the layers registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("layers", globals())
get = make_get("layers", instantiate=True)
serialize, deserialize = make_serializers("layers", get)
