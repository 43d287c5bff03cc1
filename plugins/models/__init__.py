"""Built-in model-API plugin: ``Model``, ``Sequential`` and ``Functional``."""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from .model import Functional, Model, Sequential


@hookimpl
def register_models(register: Any) -> None:
    register(Model)
    register(Sequential)
    register(Functional)
