"""``tw.activations``: the activations registered by plugins (built-in and third-party)."""

from __future__ import annotations

from ._namespace import make_get, make_serializers, namespace

__getattr__, __dir__ = namespace("activations", globals())
get = make_get("activations", instantiate=False)
serialize, deserialize = make_serializers("activations", get)
