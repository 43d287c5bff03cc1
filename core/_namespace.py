"""Module-level ``__getattr__`` for the plugin-backed namespaces (``tw.layers`` ...).

``tw.layers.Dense`` and ``from tensorweave.layers import Dense`` resolve through the
layers registry, so a third-party plugin's names appear there too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def namespace(kind: str, module_globals: dict) -> tuple[Callable[[str], Any], Callable[[], list]]:
    def __getattr__(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        from .registries import registry

        reg = registry(kind)
        if name in reg.entries or name in reg.names():
            return reg.entries[name]
        raise AttributeError(f"module 'tensorweave.{kind}' has no attribute {name!r} "
                             f"(no plugin registers it; known: {', '.join(reg.names())})")

    def __dir__() -> list:
        from .registries import registry

        return sorted(set(module_globals) | set(registry(kind).names()))

    return __getattr__, __dir__


def make_get(kind: str, instantiate: bool = True) -> Callable[[Any], Any]:
    def get(identifier: Any) -> Any:
        """Resolve a Keras identifier (name, config dict, class or object)."""
        from .registries import registry

        return registry(kind).get(identifier, instantiate=instantiate)

    return get
