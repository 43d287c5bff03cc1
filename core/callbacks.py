"""``tw.callbacks``: the callbacks registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("callbacks", globals())
get = make_get("callbacks", instantiate=True)
serialize, deserialize = make_serializers("callbacks", get)
