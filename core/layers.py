"""``tw.layers``: the layers registered by plugins (built-in and third-party)."""

from __future__ import annotations

from typing import Any

from ._namespace import make_get, namespace

__getattr__, __dir__ = namespace("layers", globals())
get = make_get("layers", instantiate=True)


def serialize(layer: Any) -> Any:
    """A layer's ``{"class_name": ..., "config": ...}`` (Keras's ``keras.layers.serialize``)."""
    from tensorweave.saving import serialize_layer

    return serialize_layer(layer)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """The layer a :func:`serialize` dict describes; ``custom_objects`` maps names of
    classes of your own to the classes."""
    from tensorweave.saving import deserialize_layer

    return deserialize_layer(config, custom_objects)
