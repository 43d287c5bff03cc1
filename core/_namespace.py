"""Module-level ``__getattr__`` for the plugin-backed namespaces (``tw.layers`` ...).

``tw.layers.Dense`` and ``from tensorweave.layers import Dense`` resolve through the
layers registry, so a third-party plugin's names appear there too; so do ``dir()`` and
``from tensorweave.layers import *``. A name two plugins claim raises
:class:`~tensorweave.errors.DuplicateNameError`; an unknown one an ``AttributeError``
that lists the known names. Private names (``_x``, ``__x__``) never load plugins.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any


def namespace(kind: str, module_globals: dict) -> tuple[Callable[[str], Any], Callable[[], list]]:
    def __getattr__(name: str) -> Any:
        from .registries import registry

        if name == "__all__":  # ``from tensorweave.layers import *``
            names = registry(kind).names()
            return sorted(set(names) | set(_own_public(module_globals)))
        # private and dunder probes (pickle, doctest, IDEs) never load plugins
        if name.startswith("_"):
            raise AttributeError(f"module 'tensorweave.{kind}' has no attribute {name!r}")
        reg = registry(kind)
        reg._ensure()  # fills the registry on first use
        if name in reg.entries:
            return reg.entries[name]
        if name in reg.conflicts:
            raise reg.conflict_error(name)
        raise AttributeError(f"module 'tensorweave.{kind}' has no attribute {name!r}: "
                             f"{reg.unknown_message(name)}")

    def __dir__() -> list:
        from .registries import registry

        return sorted(set(module_globals) | set(registry(kind).names()))

    return __getattr__, __dir__


def _own_public(module_globals: dict) -> list[str]:
    """The module's own public names: what it defines, the ``tensorweave`` modules it
    exposes (``tw.optimizers.schedules``), not what it merely imports (``Any``, helpers)."""
    own = module_globals.get("__name__", "")
    out = []
    for n, obj in module_globals.items():
        if n.startswith("_"):
            continue
        if isinstance(obj, type(sys)):
            if obj.__name__.startswith("tensorweave."):
                out.append(n)
        elif getattr(obj, "__module__", None) == own or n in ("get", "serialize",
                                                                  "deserialize"):
            out.append(n)
    return out


def make_get(kind: str, instantiate: bool = True) -> Callable[[Any], Any]:
    def get(identifier: Any) -> Any:
        """Resolve a Keras identifier (name, config dict, class or object)."""
        from .registries import registry

        return registry(kind).get(identifier, instantiate=instantiate)

    return get


def make_serializers(kind: str, get: Callable[[Any], Any]) -> tuple[Callable, Callable]:
    """Keras-style ``serialize`` / ``deserialize`` for one namespace."""

    def serialize(obj: Any) -> Any:
        """Config of an object (its registered name when it is a plain function)."""
        if hasattr(obj, "get_config"):
            from .registries import registry

            name = registry(kind).name_of(type(obj)) or type(obj).__name__
            return {"class_name": name, "config": obj.get_config()}
        return getattr(obj, "__name__", obj)

    def deserialize(config: Any) -> Any:
        return get(config)

    return serialize, deserialize
