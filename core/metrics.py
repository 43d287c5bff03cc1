"""``tw.metrics``: the metrics registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("metrics", globals())
get = make_get("metrics", instantiate=False)
serialize, deserialize = make_serializers("metrics", get)
