"""Name -> object tables filled by plugins (layers, losses, optimizers ...).

Registries are built lazily, the first time a name is looked up, by calling each plugin's
``register_<kind>`` hook on its own, so one plugin's failure cannot hide another's
contributions. Results never depend on load order:

* a third-party plugin claiming a name a built-in plugin already has is refused (the
  built-in keeps it) and reported, naming both plugins;
* two third-party plugins claiming one name make that name *ambiguous*: looking it up
  raises :class:`~tensorweave.errors.DuplicateNameError` naming both plugins and how to
  choose (``TENSORWEAVE_PLUGINS``), while every other name keeps working. With
  ``TENSORWEAVE_STRICT_PLUGINS=1`` either case raises at once.

Lookups accept Keras's identifiers: a name (``"adam"``, ``"Adam"``, ``"glorot_uniform"``,
``"GlorotUniform"`` all resolve), a ``{"class_name", "config"}`` dict, or an object, passed
through.
"""

from __future__ import annotations

import difflib
import re
import threading
from typing import Any

from .errors import DuplicateNameError, InvalidArgumentError

__all__ = ["Registry", "registry", "KINDS", "normalize_name", "custom_objects",
           "register_custom_object", "reset"]

KINDS = ("layers", "losses", "optimizers", "schedules", "metrics", "activations",
         "initializers", "regularizers", "constraints", "callbacks", "models", "ops")

#: one lock for building the plugin manager and filling registries (re-entrant: a
#: plugin module may look names up while it is imported)
_lock = threading.RLock()
#: set by the plugin manager while a plugin waits for its own import to finish
_pending_plugins = False


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
        #: ambiguous names: name -> the plugins that claim it (lookups raise)
        self.conflicts: dict[str, list[str]] = {}
        self._norm: dict[str, str] = {}
        #: id(obj) -> the first name it was filed under (what a saved file should store)
        self._primary: dict[int, str] = {}
        self._loaded = False
        self._filling = False

    @property
    def singular(self) -> str:
        return _SINGULAR.get(self.kind, self.kind)

    # ---- filling ---------------------------------------------------------------------
    def clear(self) -> None:
        self.entries.clear()
        self.sources.clear()
        self.conflicts.clear()
        self._norm.clear()
        self._primary.clear()

    def add(self, obj: Any, name: str | None = None, source: str = "runtime",
            aliases: tuple[str, ...] = (), override: bool = False) -> None:
        """File ``obj`` under ``name`` (default: its ``__name__``) and ``aliases``.

        A name already held by another object raises :class:`DuplicateNameError` naming
        both plugins, unless ``override``. (Plugin hooks go through :meth:`claim`.)"""
        for n in self._names_for(obj, name, aliases):
            prev = self.entries.get(n)
            if prev is not None and prev is not obj and not override:
                raise DuplicateNameError(self._duplicate_message(n, self.sources[n], source))
            self._put(n, obj, source)

    def claim(self, obj: Any, name: str | None, source: str, aliases: tuple[str, ...],
              protected: frozenset[str] | set[str] = frozenset()) -> list[str]:
        """File ``obj`` for plugin ``source``; return one message per refused name.

        A name held by a plugin in ``protected`` (the built-ins) stays theirs; a name held
        by another plugin becomes ambiguous (removed; looking it up raises)."""
        problems = []
        for n in self._names_for(obj, name, aliases):
            if n in self.conflicts:
                if source not in self.conflicts[n]:
                    self.conflicts[n].append(source)
                problems.append(self._duplicate_message(n, *self.conflicts[n]))
                continue
            prev = self.entries.get(n)
            if prev is None or prev is obj:
                self._put(n, obj, self.sources.get(n, source) if prev is obj else source)
                continue
            owner = self.sources[n]
            msg = self._duplicate_message(n, owner, source)
            if owner in protected and source not in protected:
                problems.append(msg + f"; the built-in one is kept and plugin {source!r}'s "
                                "is ignored")
                continue
            # neither wins: the name is refused until one plugin is left out
            del self.entries[n]
            del self.sources[n]
            self.conflicts[n] = [owner, source]
            problems.append(msg + "; the name is unusable until one of them is left out")
        return problems

    def _names_for(self, obj: Any, name: str | None, aliases: Any) -> list[str]:
        first = name or getattr(obj, "__name__", None)
        if not isinstance(first, str) or not first:
            raise InvalidArgumentError(
                f"register_{self.kind}: cannot infer a name for {obj!r}; pass name=")
        if isinstance(aliases, str):
            aliases = (aliases,)
        names = [first]
        for a in aliases or ():
            if not isinstance(a, str) or not a:
                raise InvalidArgumentError(
                    f"register_{self.kind}: argument 'aliases': expected a tuple of "
                    f"non-empty strings, got {aliases!r}")
            if a not in names:
                names.append(a)
        return names

    def _put(self, n: str, obj: Any, source: str) -> None:
        self.entries[n] = obj
        self.sources[n] = source
        self._primary.setdefault(id(obj), n)
        # a CamelCase class name and its snake_case function alias may share a
        # normalised form; the exact-name lookup decides between them
        self._norm.setdefault(normalize_name(n), n)

    def _duplicate_message(self, name: str, *plugins: str) -> str:
        who = " and ".join(f"plugin {p!r}" for p in dict.fromkeys(plugins))
        if len(set(plugins)) == 1:
            who = f"plugin {plugins[0]!r} twice (two different objects)"
        return f"{self.singular} name {name!r} is claimed by {who}"

    def conflict_error(self, name: str) -> DuplicateNameError:
        plugins = self.conflicts[name]
        return DuplicateNameError(
            f"{self._duplicate_message(name, *plugins)}, so tensorweave refuses to pick one "
            f"(results must not depend on load order). Load only one of them, e.g. "
            f"TENSORWEAVE_PLUGINS={plugins[0]} (a comma list of the plugins to load), or "
            "uninstall the other")

    # ---- lookup ----------------------------------------------------------------------
    def _ensure(self) -> None:
        if _pending_plugins and not self._filling:
            from .plugin_manager import register_deferred

            register_deferred()  # may reset(): every registry then refills
        if self._loaded or self._filling:
            return
        with _lock:
            from .plugin_manager import fill_registry, plugin_manager

            # Build the manager first: plugin modules may look names up while they are
            # imported, which fills registries (then resets them) before we fill this one.
            plugin_manager()
            if self._loaded or self._filling:
                return
            self._filling = True
            try:
                fill_registry(self)
                self._loaded = True
            finally:
                self._filling = False

    def names(self) -> list[str]:
        self._ensure()
        return sorted(self.entries)

    def lookup(self, name: str) -> Any:
        self._ensure()
        if name in self.entries:
            return self.entries[name]
        if name in self.conflicts:
            raise self.conflict_error(name)
        custom = custom_objects.get(name)
        if custom is not None:
            return custom
        exact = self._norm.get(normalize_name(name))
        if exact is not None:
            if exact in self.conflicts:
                raise self.conflict_error(exact)
            if exact in self.entries:
                return self.entries[exact]
        raise InvalidArgumentError(self.unknown_message(name))

    def unknown_message(self, name: Any) -> str:
        names = sorted(self.entries)
        close = difflib.get_close_matches(str(name), names, n=3, cutoff=0.7)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        return (f"unknown {self.singular} {name!r}{hint} (no plugin registers it); "
                f"known {self.kind}: {', '.join(names)}")

    def __contains__(self, name: str) -> bool:
        self._ensure()
        if name in self.entries:
            return True
        exact = self._norm.get(normalize_name(name))
        return exact is not None and exact in self.entries

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

    def name_of(self, obj: Any) -> str | None:
        """The name ``obj`` is registered under (its first one), or ``None``: what a saved
        config should store, since a plugin may file a class under another name than its
        ``__name__`` (``register(_Impl, name="PublicName")``)."""
        self._ensure()
        n = self._primary.get(id(obj))
        return n if n is not None and self.entries.get(n) is obj else None

    def source_of(self, name: str) -> str:
        """The plugin that registered ``name`` (``"?"`` when none did)."""
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
    """File ``obj`` under ``name`` (``"package>Name"``) for loading saved models.

    Registering a *redefinition* (same module and qualified name, as when a notebook cell
    runs again) replaces the old object; another object under a taken name is an error."""
    prev = custom_objects.get(name)
    if prev is not None and prev is not obj and not _same_definition(prev, obj):
        raise DuplicateNameError(
            f"custom object name {name!r} is already registered to "
            f"{_qualname(prev)}; got {_qualname(obj)}. Choose another package= or name=")
    custom_objects[name] = obj


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


def _same_definition(a: Any, b: Any) -> bool:
    return (getattr(a, "__qualname__", None) is not None
            and _qualname(a) == _qualname(b))


def reset() -> None:
    """Forget what every registry holds (they refill on next lookup); for plugin changes
    and tests. The registry objects stay, so references to them stay valid."""
    with _lock:
        for reg in _registries.values():
            reg._loaded = False
