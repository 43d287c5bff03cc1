"""Loading plugins with pluggy: built-ins first, then third-party entry points.

Built-in plugins (``tensorweave.plugins.DEFAULT_PLUGINS``) register through the same
hooks as third-party ones. Third-party plugins come from the entry-point group
``tensorweave.plugins`` and are loaded one at a time, in name order, each inside its own
error handling (pluggy's ``load_setuptools_entrypoints`` stops at the first broken
plugin): a failure is reported in a :class:`PluginWarning` naming the plugin and the
error, and everything else keeps working. What is reported:

* the plugin module fails to import (any exception);
* a hook implementation pluggy rejects (an argument the hook spec does not have:
  ``pluggy.PluginValidationError``) -- the plugin is then not registered at all;
* a hook that raises while registering -- none of that hook's names are kept (a hook
  contributes all its names or none), the plugin's other hooks still count;
* a name claimed twice (see :mod:`tensorweave.registries`);
* a hook name that no spec declares (a typo such as ``register_layer``), which pluggy
  would otherwise ignore silently -- a warning only;
* two distributions declaring one entry-point name: the second is skipped.

Environment:

* ``TENSORWEAVE_PLUGINS``: unset loads every installed plugin; empty loads none; a comma
  list loads only those entry-point names (packagers and test suites use it; also the way
  out when two plugins claim one name, or a broken plugin must be left out).
* ``TENSORWEAVE_STRICT_PLUGINS=1``: every problem above raises instead
  (:class:`PluginLoadError`, or :class:`DuplicateNameError` for a name claimed twice).

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

from . import registries
from .errors import DuplicateNameError, InvalidArgumentError, PluginLoadError

__all__ = ["plugin_manager", "plugins_info", "failures", "PluginWarning", "register_plugin",
           "unregister_plugin", "PluginInfo", "GROUP"]

GROUP = "tensorweave.plugins"
BUILTIN_PREFIX = "tensorweave."


class PluginWarning(UserWarning):
    """A plugin failed to load or to register; the rest of tensorweave still works."""


@dataclass
class PluginInfo:
    """One plugin as ``tensorweave info`` shows it."""

    name: str
    builtin: bool
    version: str = ""
    #: registry kind -> the names this plugin contributes (filled as registries fill)
    contributions: dict[str, list[str]] = field(default_factory=dict)
    #: problems that did not stop the plugin (unknown hooks, refused names ...)
    warnings: list[str] = field(default_factory=list)


_pm: Any = None
_failures: dict[str, str] = {}
_info: dict[str, PluginInfo] = {}
#: plugins whose module was still being imported when its entry point was loaded (the
#: user imported the plugin first and the plugin looked a name up at import time): they
#: are registered as soon as their import has finished
_deferred: list[tuple[str, Any, str]] = []


def _strict() -> bool:
    return os.environ.get("TENSORWEAVE_STRICT_PLUGINS", "").strip().lower() not in (
        "", "0", "false", "no", "off")


def _fail(name: str, what: str, exc: BaseException) -> None:
    """A plugin failed: record it, then warn (or raise in strict mode)."""
    msg = f"{type(exc).__name__}: {exc}"
    entry = f"failed {what}: {msg}"
    previous = _failures.get(name)
    if previous and entry not in previous.split("; "):
        entry = f"{previous}; {entry}"  # one plugin may fail in several hooks
    _failures[name] = entry
    if _strict():
        raise PluginLoadError(f"tensorweave plugin {name!r} failed {what}: {msg}") from exc
    warnings.warn(f"tensorweave plugin {name!r} failed {what} and was skipped: {msg} "
                  f"(the rest of tensorweave works; TENSORWEAVE_PLUGINS selects the "
                  f"plugins to load)", PluginWarning, stacklevel=5)


def _reraise_interrupt(exc: BaseException) -> None:
    """A plugin's errors are contained, ``SystemExit`` included; Ctrl-C is the user's."""
    if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
        raise exc


def overrides_allowed(kind: str, name: str) -> bool:
    """Whether the user opted in to a plugin replacing the built-in ``kind`` ``name``:
    ``TENSORWEAVE_ALLOW_OVERRIDES="op:add,backend:numpy"`` (``op:*`` for every op)."""
    raw = os.environ.get("TENSORWEAVE_ALLOW_OVERRIDES", "")
    wanted = {item.strip() for item in raw.split(",") if item.strip()}
    return f"{kind}:{name}" in wanted or f"{kind}:*" in wanted


def _warn(name: str, message: str, exc_type: type[Exception] = PluginLoadError) -> None:
    """A problem that does not stop the plugin: warn (or raise in strict mode)."""
    info = _info.get(name)
    if info is not None and message not in info.warnings:
        info.warnings.append(message)
    if _strict():
        raise exc_type(f"tensorweave plugin {name!r}: {message}")
    warnings.warn(f"tensorweave plugin {name!r}: {message}", PluginWarning, stacklevel=5)


def plugin_manager() -> Any:
    """The process-wide pluggy manager, built on first call (built-ins, then entry points).

    In strict mode a failing plugin raises here, and again on every later call."""
    global _pm
    if _pm is not None:
        return _pm
    with registries._lock:
        if _pm is not None:
            return _pm
        import pluggy

        from . import hookspecs

        pm = pluggy.PluginManager("tensorweave")
        pm.add_hookspecs(hookspecs)
        # Set before importing any plugin module: a plugin may look names up while it is
        # imported (``class SignSGD(tw.optimizers.Optimizer)``); registries filled
        # during loading are reset once everything is registered.
        _pm = pm
        try:
            from tensorweave.plugins import DEFAULT_PLUGINS

            for mod_name in DEFAULT_PLUGINS:
                mod = importlib.import_module(mod_name)
                short = BUILTIN_PREFIX + mod_name.rsplit(".", 1)[-1]
                pm.register(mod, name=short)
                _info[short] = PluginInfo(short, True)
            _load_entry_points(pm)
        except BaseException:
            _pm = None
            _info.clear()
            _deferred.clear()
            registries._pending_plugins = False
            registries.reset()
            raise
        registries.reset()
    return _pm


def _allowed() -> set[str] | None:
    allowed = os.environ.get("TENSORWEAVE_PLUGINS")
    if allowed is None:
        return None
    return {a.strip() for a in allowed.split(",") if a.strip()}


def _dist_label(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ""
    try:
        return f"{dist.metadata['Name']} {dist.version}"
    except Exception:  # noqa: BLE001 - a broken METADATA must not stop loading
        return ""


def _load_entry_points(pm: Any) -> None:
    allow = _allowed()
    seen: dict[str, str] = {}
    eps = sorted(metadata.entry_points(group=GROUP), key=lambda e: (e.name, e.value))
    for ep in eps:
        if allow is not None and ep.name not in allow:
            continue
        label = _dist_label(ep)
        if ep.name in seen or pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            if ep.name in seen and seen[ep.name] != label:
                _warn(ep.name, f"entry point {ep.name!r} of {label or ep.value!r} was "
                               f"skipped: the name is already used by {seen[ep.name]!r}")
            continue
        seen[ep.name] = label or ep.value
        try:
            plugin = ep.load()
        except BaseException as exc:  # SystemExit from argparse at import included
            _reraise_interrupt(exc)
            _fail(ep.name, f"to load (import of {ep.value!r})", exc)
            continue
        if _initializing(plugin):
            _deferred.append((ep.name, plugin, label))
            registries._pending_plugins = True
            continue
        _register(pm, plugin, ep.name, label)


def _initializing(module: Any) -> bool:
    """True while ``module`` is still being imported (higher up this very stack)."""
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def register_deferred() -> None:
    """Register the plugins whose import has now finished (called by registry lookups)."""
    with registries._lock:
        try:
            if _pm is not None and _deferred and _register_deferred(_pm):
                registries.reset()
        finally:
            registries._pending_plugins = bool(_deferred)


def _register_deferred(pm: Any) -> bool:
    """Register the deferred plugins whose import has finished; True if any was."""
    import sys

    done = False
    for item in list(_deferred):
        name, plugin, label = item
        if _initializing(plugin):
            continue
        _deferred.remove(item)
        mod_name = getattr(plugin, "__name__", None)
        if mod_name is not None and sys.modules.get(mod_name) is not plugin:
            _failures[name] = "failed to load: its import raised (see the traceback of " \
                              "the import of " + repr(mod_name) + ")"
            _warn(name, _failures[name])
            continue
        done = _register(pm, plugin, name, label) or done
    return done


def _register(pm: Any, plugin: Any, name: str, version: str) -> bool:
    """Register one third-party plugin object; report problems. True when registered."""
    import pluggy

    try:
        pm.register(plugin, name=name)
    except pluggy.PluginValidationError as exc:
        _fail(name, "to register: an invalid hook implementation (hooks and their "
                    "arguments are listed in tensorweave.hookspecs)", exc)
        return False
    except BaseException as exc:
        _reraise_interrupt(exc)
        _fail(name, "to register", exc)
        return False
    _info[name] = PluginInfo(name, False, version)
    _check_unknown_hooks(pm, plugin, name)
    return True


def _check_unknown_hooks(pm: Any, plugin: Any, name: str) -> None:
    """pluggy accepts a hook implementation no spec declares; say so instead."""
    unknown = sorted(c.name for c in pm.get_hookcallers(plugin) or ()
                     if getattr(c, "spec", None) is None)
    if unknown:
        from . import hookspecs

        known = sorted(n for n in vars(hookspecs) if n.startswith("register_"))
        _warn(name, f"implements unknown hook(s) {', '.join(unknown)}, which are never "
                    f"called; the hooks are: {', '.join(known)}")


def register_plugin(plugin: Any, name: str) -> None:
    """Register a plugin object at runtime (notebooks, tests); registries refill.

    Raises :class:`PluginLoadError` when pluggy rejects it (an invalid hook argument,
    a name already in use)."""
    import pluggy

    pm = plugin_manager()
    if not isinstance(name, str) or not name:
        raise InvalidArgumentError(f"register_plugin: argument 'name': expected a non-empty "
                                   f"string, got {name!r}")
    with registries._lock:
        if pm.get_plugin(name) is not None:
            raise PluginLoadError(f"register_plugin: a plugin named {name!r} is already "
                                  "registered; unregister_plugin(name) first or pick another "
                                  "name")
        try:
            pm.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginLoadError(f"tensorweave plugin {name!r} cannot be registered: "
                                  f"{type(exc).__name__}: {exc}") from exc
        _failures.pop(name, None)
        _info[name] = PluginInfo(name, False, "registered at runtime")
        try:
            _check_unknown_hooks(pm, plugin, name)
        except BaseException:
            pm.unregister(plugin)
            _info.pop(name, None)
            raise
        registries.reset()


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered at runtime (or any plugin); registries refill."""
    pm = plugin_manager()
    with registries._lock:
        plugin = pm.get_plugin(name)
        if plugin is not None:
            pm.unregister(plugin)
        _info.pop(name, None)
        _failures.pop(name, None)
        registries.reset()


def _is_builtin(plugin_name: str) -> bool:
    info = _info.get(plugin_name)
    return bool(info is not None and info.builtin)


def fill_registry(reg: Any) -> None:
    """Call every plugin's ``register_<kind>`` hook, each on its own.

    Built-ins run first, then third-party plugins in name order (never pluggy's LIFO
    order), and a hook's names are kept only if the whole hook ran without error."""
    pm = plugin_manager()
    hook = getattr(pm.hook, f"register_{reg.kind}")
    reg.clear()
    for info in _info.values():
        info.contributions.pop(reg.kind, None)
    impls = sorted(hook.get_hookimpls(),
                   key=lambda i: (not _is_builtin(i.plugin_name), i.plugin_name))
    builtins = {i.plugin_name for i in impls if _is_builtin(i.plugin_name)}
    for impl in impls:
        source = impl.plugin_name
        pending: list[tuple[Any, str | None, Any, dict]] = []

        def register(obj: Any, name: str | None = None, aliases: Any = (),
                     _pending: list = pending, **extra: Any) -> Any:
            if extra and reg.kind != "ops":
                raise InvalidArgumentError(
                    f"register_{reg.kind}: unexpected keyword argument(s) {sorted(extra)}; "
                    "accepted: register(obj, name=None, aliases=())")
            if obj is None:
                raise InvalidArgumentError(f"register_{reg.kind}: expected an object to "
                                           "register, got None")
            _pending.append((obj, name, aliases, extra))
            return obj

        try:
            impl.function(register=register)
        except BaseException as exc:
            _reraise_interrupt(exc)
            _fail(source, f"to register {reg.kind} (hook register_{reg.kind} raised)", exc)
            continue
        _commit(reg, source, pending, builtins)


def _commit(reg: Any, source: str, pending: list, builtins: set[str]) -> None:
    info = _info.get(source)
    for obj, name, aliases, extra in pending:
        if reg.kind == "ops":
            try:
                _register_op(obj, source, **extra)
            except Exception as exc:
                _fail(source, "to register ops", exc)
            continue
        try:
            problems = reg.claim(obj, name, source, aliases, protected=builtins)
        except InvalidArgumentError as exc:
            _fail(source, f"to register {reg.kind}", exc)
            continue
        for problem in problems:
            _warn(source, problem, DuplicateNameError)
        primary = name or getattr(obj, "__name__", "?")
        if info is not None and reg.entries.get(primary) is obj:
            info.contributions.setdefault(reg.kind, []).append(primary)


#: (backend, op) -> the plugin that set that kernel (built-in kernels have no entry)
_kernel_owners: dict[tuple[str, str], str] = {}


def _register_op(opdef: Any, source: str, kernels: dict | None = None) -> Any:
    """A plugin's new op: the OpDef is already defined; attach its kernels per backend."""
    from .backend_registry import get_backend, list_backends

    for be_name, fn in (kernels or {}).items():
        if not any(i.name == be_name and i.available for i in list_backends()):
            continue
        table = get_backend(be_name).kernels
        owner = _kernel_owners.get((be_name, opdef.name))
        if opdef.name in table and table[opdef.name] is not fn and owner != source:
            what = (f"the {be_name} kernel of op {opdef.name!r} "
                    f"({'built-in' if owner is None else f'from plugin {owner!r}'})")
            if not overrides_allowed("op", opdef.name):
                _warn(source, f"refused to replace {what}; set "
                              f"TENSORWEAVE_ALLOW_OVERRIDES=op:{opdef.name} to allow it",
                      DuplicateNameError)
                continue
            _warn(source, f"replaces {what} (allowed by TENSORWEAVE_ALLOW_OVERRIDES)")
        table[opdef.name] = fn
        _kernel_owners[(be_name, opdef.name)] = source
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
