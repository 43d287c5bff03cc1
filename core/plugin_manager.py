"""Loading plugins with pluggy: built-ins first, then third-party entry points.

Built-in plugins (``tensorweave.plugins.DEFAULT_PLUGINS``) register through the same
hooks as third-party ones. Third-party plugins come from the entry-point group
``tensorweave.plugins`` and are loaded one at a time, each inside its own error handling
(pluggy's ``load_setuptools_entrypoints`` stops at the first broken plugin): a failure is
reported in a :class:`PluginWarning` naming the plugin and the error, and everything else
keeps working. Environment:

* ``TENSORWEAVE_PLUGINS``: unset loads every installed plugin; empty loads none; a comma
  list loads only those entry-point names (packagers and test suites use it).
* ``TENSORWEAVE_STRICT_PLUGINS=1``: a plugin failure raises :class:`PluginLoadError`.

Nothing here runs at ``import tensorweave``: the manager is built on first use of
``tw.layers`` and friends.
"""

from __future__ import annotations

import importlib
import os
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from .errors import DuplicateNameError, PluginLoadError

__all__ = ["plugin_manager", "plugins_info", "failures", "PluginWarning", "register_plugin",
           "PluginInfo"]

GROUP = "tensorweave.plugins"


class PluginWarning(UserWarning):
    """A plugin failed to load or to register; the rest of tensorweave still works."""


@dataclass
class PluginInfo:
    name: str
    builtin: bool
    version: str = ""
    contributions: dict[str, list[str]] = field(default_factory=dict)


_pm: Any = None
_failures: dict[str, str] = {}
_info: dict[str, PluginInfo] = {}


def _strict() -> bool:
    return os.environ.get("TENSORWEAVE_STRICT_PLUGINS", "") not in ("", "0", "false")


def _fail(name: str, what: str, exc: BaseException) -> None:
    msg = f"{type(exc).__name__}: {exc}"
    _failures[name] = f"{what}: {msg}"
    if _strict():
        raise PluginLoadError(f"tensorweave plugin {name!r} failed {what}: {msg}") from exc
    warnings.warn(f"tensorweave plugin {name!r} failed {what} and was skipped: {msg}",
                  PluginWarning, stacklevel=4)


def plugin_manager() -> Any:
    """The process-wide pluggy manager, built on first call."""
    global _pm
    if _pm is None:
        import pluggy

        from . import hookspecs

        pm = pluggy.PluginManager("tensorweave")
        pm.add_hookspecs(hookspecs)
        from tensorweave.plugins import DEFAULT_PLUGINS

        for mod_name in DEFAULT_PLUGINS:
            mod = importlib.import_module(mod_name)
            short = "tensorweave." + mod_name.rsplit(".", 1)[-1]
            pm.register(mod, name=short)
            _info[short] = PluginInfo(short, True)
        _pm = pm
        _load_entry_points(pm)
    return _pm


def _load_entry_points(pm: Any) -> None:
    allowed = os.environ.get("TENSORWEAVE_PLUGINS")
    allow = None if allowed is None else {a.strip() for a in allowed.split(",") if a.strip()}
    for ep in metadata.entry_points(group=GROUP):
        if allow is not None and ep.name not in allow:
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:
            _fail(ep.name, "to load", exc)
            continue
        version = ""
        if ep.dist is not None:
            version = f"{ep.dist.metadata['Name']} {ep.dist.version}"
        _info[ep.name] = PluginInfo(ep.name, False, version)


def register_plugin(plugin: Any, name: str) -> None:
    """Register a plugin object at runtime (notebooks, tests); registries refill."""
    from . import registries

    pm = plugin_manager()
    pm.register(plugin, name=name)
    _info[name] = PluginInfo(name, False, "registered at runtime")
    registries.reset()


def unregister_plugin(name: str) -> None:
    from . import registries

    pm = plugin_manager()
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin)
    _info.pop(name, None)
    registries.reset()


def fill_registry(reg: Any) -> None:
    """Call every plugin's ``register_<kind>`` hook, each on its own."""
    pm = plugin_manager()
    hook = getattr(pm.hook, f"register_{reg.kind}")
    impls = sorted(hook.get_hookimpls(), key=lambda i: (not i.plugin_name.startswith(
        "tensorweave."), i.plugin_name))
    for impl in impls:
        source = impl.plugin_name

        def register(obj: Any, name: str | None = None, aliases: tuple = (),
                     _src: str = source, **extra: Any) -> Any:
            if reg.kind == "ops":
                return _register_op(obj, _src, **extra)
            reg.add(obj, name, _src, tuple(aliases))
            info = _info.get(_src)
            if info is not None:
                info.contributions.setdefault(reg.kind, []).append(
                    name or getattr(obj, "__name__", "?"))
            return obj

        try:
            impl.function(register=register)
        except DuplicateNameError:
            if _strict():
                raise
            import sys

            _fail(source, f"to register {reg.kind}", sys.exc_info()[1])  # type: ignore[arg-type]
        except Exception as exc:
            _fail(source, f"to register {reg.kind}", exc)


def _register_op(opdef: Any, source: str, kernels: dict | None = None) -> Any:
    """A plugin's new op: the OpDef is already defined; attach its kernels per backend."""
    from .backend_registry import get_backend, list_backends

    for be_name, fn in (kernels or {}).items():
        if any(i.name == be_name and i.available for i in list_backends()):
            get_backend(be_name).kernels[opdef.name] = fn
    info = _info.get(source)
    if info is not None:
        info.contributions.setdefault("ops", []).append(opdef.name)
    return opdef


def plugins_info() -> list[PluginInfo]:
    """Every plugin with what it contributes (fills all registries)."""
    from .registries import KINDS, registry

    plugin_manager()
    for kind in KINDS:
        registry(kind).names()
    return list(_info.values())


def failures() -> dict[str, str]:
    """Plugins that failed, with the reason."""
    plugin_manager()
    return dict(_failures)
