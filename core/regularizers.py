"""``tw.regularizers``: the regularizers registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("regularizers", globals())
get = make_get("regularizers", instantiate=True)
serialize, deserialize = make_serializers("regularizers", get)
