"""``tw.losses``: the losses registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("losses", globals())
get = make_get("losses", instantiate=False)
serialize, deserialize = make_serializers("losses", get)
