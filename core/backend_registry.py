"""Finding, choosing and scoping backends.

Backends are found through the entry-point group ``tensorweave.backends`` (the built-in
ones are declared there too, in ``pyproject.toml``), loaded on first use and kept as one
instance each. The current backend is resolved, highest first, from

1. :func:`backend_scope` (a context manager, held in a ``ContextVar``, so it is per thread
   and per asyncio task) and :func:`set_backend` (process wide);
2. the environment variable ``TENSORWEAVE_BACKEND``;
3. ``"backend"`` in ``$TENSORWEAVE_HOME/config.json``;
4. the default, ``numpy``.

Switching never re-imports anything: tensors remember the backend they live on, and only
creation ops consult the current backend.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from .backend_api import Backend
from .errors import BackendUnavailableError

__all__ = ["get_backend", "current", "set_backend", "backend_scope", "list_backends",
           "BackendInfo", "backend", "register_backend", "selection_source"]

GROUP = "tensorweave.backends"
DEFAULT = "numpy"

_scoped: ContextVar[Backend | None] = ContextVar("tensorweave_backend", default=None)
_global: Backend | None = None
_instances: dict[str, Backend] = {}
_entry_points: dict[str, Any] | None = None
_manual: dict[str, Any] = {}
_load_errors: dict[str, str] = {}


@dataclass(frozen=True)
class BackendInfo:
    name: str
    available: bool
    reason: str
    source: str  # the entry point value, or "registered at runtime"

    def __str__(self) -> str:
        status = "available" if self.available else f"unavailable: {self.reason}"
        return f"{self.name} ({status})"


#: The backends tensorweave itself ships; another distribution cannot take their names.
BUILTIN = ("numpy", "python", "cupy")


def _dist_name(ep: Any) -> str:
    dist = getattr(ep, "dist", None)
    return (getattr(dist, "name", None) or "").lower().replace("_", "-")


def _discover() -> dict[str, Any]:
    global _entry_points
    if _entry_points is None:
        found: dict[str, Any] = {}
        eps = sorted(metadata.entry_points(group=GROUP),
                     key=lambda e: (_dist_name(e) != "tensorweave", _dist_name(e), e.value))
        for ep in eps:
            if ep.name in BUILTIN and _dist_name(ep) not in ("tensorweave", ""):
                _foreign_builtin(ep, found)
                continue
            found.setdefault(ep.name, ep)
        _entry_points = found
    return {**_entry_points, **_manual}


def _foreign_builtin(ep: Any, found: dict[str, Any]) -> None:
    """Another package declares a backend under a built-in name: ignored with a warning,
    or used (still warned) when ``TENSORWEAVE_ALLOW_OVERRIDES`` says ``backend:NAME``."""
    import warnings

    from .plugin_manager import PluginWarning, overrides_allowed

    who = _dist_name(ep) or ep.value
    if overrides_allowed("backend", ep.name):
        warnings.warn(f"backend {ep.name!r} is replaced by {ep.value!r} of {who!r} "
                      "(allowed by TENSORWEAVE_ALLOW_OVERRIDES)", PluginWarning, stacklevel=4)
        found[ep.name] = ep
        return
    warnings.warn(f"package {who!r} declares a backend named {ep.name!r} ({ep.value}), the "
                  "name of a built-in backend; it was ignored (set "
                  f"TENSORWEAVE_ALLOW_OVERRIDES=backend:{ep.name} to use it)",
                  PluginWarning, stacklevel=4)


def register_backend(name: str, factory: Any) -> None:
    """Make a backend known without an entry point (tests, notebooks)."""
    _manual[name] = factory
    _instances.pop(name, None)
    _load_errors.pop(name, None)


def _refresh() -> None:
    """Forget cached entry points (after ``pip install`` of a backend in this process)."""
    global _entry_points
    _entry_points = None
    _load_errors.clear()


@contextlib.contextmanager
def _stack_headroom(frames: int = 2000) -> Iterator[None]:
    """Room on the stack for loading a backend, whatever the caller's depth.

    The first op of a process may run deep inside a caller's recursion (a nested model
    config being loaded); importing NumPy there could run out of stack half-way, and a
    half-imported NumPy cannot be imported again in that process. The limit is raised
    for the load only."""
    import sys

    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    if depth + frames <= limit:
        yield
        return
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def _instantiate(name: str) -> Backend | None:
    inst = _instances.get(name)
    if inst is not None:
        return inst
    if name in _load_errors:
        return None
    found = _discover().get(name)
    if found is None:
        return None
    try:
        with _stack_headroom():
            factory = found.load() if hasattr(found, "load") else found
            inst = factory() if callable(factory) else factory
        if not isinstance(inst, Backend):
            raise TypeError(f"entry point produced {type(inst).__name__}, not a Backend")
    except (RecursionError, MemoryError):
        # the caller's stack or memory ran out, not the backend's fault: nothing is
        # remembered, so the next call (with a normal stack) loads it
        raise
    except BaseException as exc:  # a broken third-party backend must not break the library
        if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
            raise
        _load_errors[name] = f"failed to load: {type(exc).__name__}: {exc}"
        return None
    _instances[name] = inst
    return inst


def list_backends() -> list[BackendInfo]:
    """Every backend found, with whether it can run here and why not."""
    out = []
    for name, found in sorted(_discover().items()):
        source = getattr(found, "value", None) or "registered at runtime"
        inst = _instantiate(name)
        if inst is None:
            out.append(BackendInfo(name, False, _load_errors.get(name, "failed to load"), source))
            continue
        try:
            ok, reason = inst.availability()
        except Exception as exc:
            ok, reason = False, f"availability check raised {type(exc).__name__}: {exc}"
        out.append(BackendInfo(name, bool(ok), reason, source))
    return out


def _unavailable(name: str, why: str) -> BackendUnavailableError:
    lines = [f"backend {name!r} {why}."]
    infos = list_backends()
    runnable = [i.name for i in infos if i.available]
    lines.append("Backends that can run here: " + (", ".join(runnable) or "none") + ".")
    for i in infos:
        if not i.available:
            lines.append(f"  {i.name}: {i.reason}")
    if name == "cupy":
        lines.append("The cupy backend needs `pip install tensorweave[cupy]` and a CUDA GPU.")
    return BackendUnavailableError("\n".join(lines))


def get_backend(name: str | Backend) -> Backend:
    """The backend instance called ``name``; raises one clear error if it cannot run."""
    if isinstance(name, Backend):
        return name
    if not isinstance(name, str):
        raise BackendUnavailableError(f"backend name must be a str, got {name!r}")
    inst = _instances.get(name)
    if inst is not None and inst._tw_checked:  # type: ignore[attr-defined]
        return inst
    if name not in _discover():
        raise _unavailable(name, "is not installed (no entry point in group "
                                 f"'{GROUP}')")
    inst = _instantiate(name)
    if inst is None:
        raise _unavailable(name, _load_errors.get(name, "failed to load"))
    ok, reason = inst.availability()
    if not ok:
        raise _unavailable(name, f"is unavailable: {reason}")
    inst._tw_checked = True  # type: ignore[attr-defined]
    return inst


Backend._tw_checked = False  # type: ignore[attr-defined]


_default_cache: dict[str, Any] = {"key": None, "value": None, "checked": 0.0}


def _default_name() -> tuple[str, str]:
    """Backend name from the environment, then the config file, then the default.

    Called for every creation op, so the answer is cached: the environment is read each
    time (cheap), the config file is stat-ed at most once a second.
    """
    import time

    env = os.environ.get("TENSORWEAVE_BACKEND")
    if env:
        return env, "environment variable TENSORWEAVE_BACKEND"
    now = time.monotonic()
    cache = _default_cache
    if cache["value"] is not None and now - cache["checked"] < 1.0:
        return cache["value"]
    from .config import config_value

    name = config_value("backend")
    value = (str(name), "config file") if name else (DEFAULT, "default")
    cache["value"], cache["checked"] = value, now
    return value


def current() -> Backend:
    """The backend new tensors are created on."""
    inst = _scoped.get()
    if inst is not None:
        return inst
    if _global is not None:
        return _global
    return get_backend(_default_name()[0])


def selection_source() -> str:
    """Where the current backend choice comes from (for ``tensorweave info``)."""
    if _scoped.get() is not None:
        return "backend_scope()"
    if _global is not None:
        return "set_backend()"
    return _default_name()[1]


def backend() -> str:
    """Name of the current backend."""
    return current().name


def set_backend(name: str | None) -> None:
    """Choose the backend for the whole process (``None`` goes back to env/config/default)."""
    global _global
    _global = None if name is None else get_backend(name)


@contextlib.contextmanager
def backend_scope(name: str) -> Iterator[Backend]:
    """Use ``name`` as the current backend inside a ``with`` block (this thread/task only)."""
    token = _scoped.set(get_backend(name))
    try:
        yield _scoped.get()  # type: ignore[misc]
    finally:
        _scoped.reset(token)
