"""``tw.constraints``: the constraints registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("constraints", globals())
get = make_get("constraints", instantiate=True)
serialize, deserialize = make_serializers("constraints", get)
