"""Built-in layers plugin: registers every layer class through ``register_layers``."""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from .base import Input, InputLayer, Layer
from .core import Activation, Dense, Dropout, Flatten

LAYERS = [Layer, InputLayer, Dense, Activation, Dropout, Flatten]


@hookimpl
def register_layers(register: Any) -> None:
    for cls in LAYERS:
        register(cls)
    register(Input, name="Input")
