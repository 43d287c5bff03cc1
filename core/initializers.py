"""``tw.initializers``: the initializers registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("initializers", globals())
get = make_get("initializers", instantiate=True)
serialize, deserialize = make_serializers("initializers", get)
