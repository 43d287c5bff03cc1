"""Name -> object tables filled by plugins (layers, losses, optimizers ...).

Registries are built lazily, the first time a name is looked up, by calling each plugin's
``register_<kind>`` hook on its own, so one plugin's failure cannot hide another's
contributions. Two plugins claiming one name is an error naming both (results never depend
on load order). Lookups accept Keras's identifiers: a name (``"adam"``, ``"Adam"``,
``"glorot_uniform"``, ``"GlorotUniform"`` all resolve), a ``{"class_name", "config"}`` dict,
or an object, passed through.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import DuplicateNameError, InvalidArgumentError

__all__ = ["Registry", "registry", "KINDS", "normalize_name", "custom_objects",
           "register_custom_object"]

KINDS = ("layers", "losses", "optimizers", "schedules", "metrics", "activations",
         "initializers", "regularizers", "constraints", "callbacks", "models", "ops")


_SINGULAR = {"layers": "layer", "losses": "loss", "optimizers": "optimizer",
             "schedules": "schedule", "metrics": "metric", "activations": "activation",
             "initializers": "initializer", "regularizers": "regularizer",
             "constraints": "constraint", "callbacks": "callback", "models": "model",
             "ops": "op"}


def normalize_name(name: str) -> str:
    """``GlorotUniform``, ``glorot_uniform`` and ``glorotuniform`` compare equal."""
    return re.sub(r"[_\s-]", "", name).lower()


class Registry:
    """One kind's table: exact names, plus a normalised index for Keras-style spellings."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.entries: dict[str, Any] = {}
        self.sources: dict[str, str] = {}
        self._norm: dict[str, str] = {}
        self._loaded = False

    # ---- filling ---------------------------------------------------------------------
    def add(self, obj: Any, name: str | None = None, source: str = "runtime",
            aliases: tuple[str, ...] = (), override: bool = False) -> None:
        names = [name or getattr(obj, "__name__", None)]
        if names[0] is None:
            raise InvalidArgumentError(f"register: cannot infer a name for {obj!r}; pass name=")
        names += list(aliases)
        for n in names:
            prev = self.entries.get(n)
            if prev is not None and prev is not obj and not override:
                raise DuplicateNameError(
                    f"{self.kind} name {n!r} is claimed twice: by plugin "
                    f"{self.sources[n]!r} and by plugin {source!r}")
            self.entries[n] = obj
            self.sources[n] = source
            norm = normalize_name(n)
            # a CamelCase class name and its snake_case function alias may share a
            # normalised form; the exact-name lookup decides between them
            self._norm.setdefault(norm, n)

    # ---- lookup ----------------------------------------------------------------------
    def _ensure(self) -> None:
        if not self._loaded:
            self._loaded = True
            from .plugin_manager import fill_registry

            fill_registry(self)

    def names(self) -> list[str]:
        self._ensure()
        return sorted(self.entries)

    def lookup(self, name: str) -> Any:
        self._ensure()
        if name in self.entries:
            return self.entries[name]
        custom = custom_objects.get(name)
        if custom is not None:
            return custom
        exact = self._norm.get(normalize_name(name))
        if exact is not None:
            return self.entries[exact]
        known = ", ".join(self.names())
        raise InvalidArgumentError(f"unknown {_SINGULAR.get(self.kind, self.kind)} {name!r}; "
                                   f"known: {known}")

    def __contains__(self, name: str) -> bool:
        self._ensure()
        return name in self.entries or normalize_name(name) in self._norm

    def get(self, identifier: Any, instantiate: bool = True) -> Any:
        """Resolve a Keras identifier: name, config dict, class or object."""
        if identifier is None:
            return None
        if isinstance(identifier, str):
            obj = self.lookup(identifier)
            if instantiate and isinstance(obj, type):
                return obj()
            return obj
        if isinstance(identifier, dict):
            if "class_name" not in identifier:
                raise InvalidArgumentError(f"{self.kind}: a config dict needs 'class_name', "
                                           f"got keys {sorted(identifier)}")
            cls = self.lookup(identifier["class_name"])
            config = identifier.get("config", {}) or {}
            if hasattr(cls, "from_config"):
                return cls.from_config(config)
            return cls(**config) if isinstance(cls, type) else cls
        return identifier

    def source_of(self, name: str) -> str:
        self._ensure()
        return self.sources.get(name, "?")


_registries: dict[str, Registry] = {}
custom_objects: dict[str, Any] = {}


def registry(kind: str) -> Registry:
    if kind not in KINDS:
        raise InvalidArgumentError(f"unknown registry kind {kind!r}; expected one of {KINDS}")
    reg = _registries.get(kind)
    if reg is None:
        reg = _registries[kind] = Registry(kind)
    return reg


def register_custom_object(name: str, obj: Any) -> None:
    prev = custom_objects.get(name)
    if prev is not None and prev is not obj:
        raise DuplicateNameError(f"custom object name {name!r} is already registered to "
                                 f"{prev!r}")
    custom_objects[name] = obj


def reset() -> None:
    """Forget every registry (they refill on next lookup); for tests and plugin reloads."""
    _registries.clear()
