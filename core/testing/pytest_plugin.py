"""pytest integration: ``--tw-backend`` and the ``tw_backend`` fixture.

pytest loads this module in every environment where tensorweave is installed (it is the
``pytest11`` entry point ``tensorweave``), including runs that have nothing to do with
tensorweave. So it stays cheap: it imports neither NumPy nor any backend at load time,
and only looks backends up when a test actually asks for ``tw_backend``.

Usage::

    def test_add(tw_backend):              # runs once per selected backend
        x = tw.ops.ones((2,))               # created on tw_backend (backend_scope)
        ...

    pytest --tw-backend numpy               # one backend
    pytest --tw-backend numpy,python        # several (or repeat the option)

Without the option the fixture runs on ``numpy`` and ``python`` (reported as *skipped*,
with the reason from ``tw.list_backends()``, when one of them cannot run here, so a
missing backend is never silently ignored) plus ``cupy`` when it is available.
``--tw-reference`` names the oracle of the conformance tests (default ``python``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_BACKENDS = ("numpy", "python")
OPTIONAL_BACKENDS = ("cupy",)
DEFAULT_REFERENCE = "python"


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("tensorweave", "tensorweave backends")
    group.addoption(
        "--tw-backend", action="append", default=[], metavar="NAME",
        help="tensorweave backend(s) the tw_backend fixture runs on; repeatable or a comma "
             "list (default: numpy and python, plus cupy when it can run here)")
    group.addoption(
        "--tw-reference", default=DEFAULT_REFERENCE, metavar="NAME",
        help="reference backend the conformance cases compare with (default: python)")


def _split(values: list[str]) -> list[str]:
    names: list[str] = []
    for v in values:
        for part in v.split(","):
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names


def _availability() -> dict[str, tuple[bool, str]]:
    """``{name: (available, reason)}`` from ``tw.list_backends()`` (loads backends)."""
    from tensorweave.backend_registry import list_backends

    return {i.name: (i.available, i.reason) for i in list_backends()}


def selected_backends(config: Any) -> list[str]:
    """The backend names ``tw_backend`` is parametrized over for this run."""
    cached = getattr(config, "_tw_backends", None)
    if cached is not None:
        return list(cached)
    names = _split(config.getoption("tw_backend") or [])
    if not names:
        names = list(DEFAULT_BACKENDS)
        avail = _availability()
        names += [n for n in OPTIONAL_BACKENDS if avail.get(n, (False, ""))[0]]
    config._tw_backends = names
    return list(names)


def backend_skip_reason(name: str) -> str | None:
    """``None`` when backend ``name`` can run here, else why not (for ``pytest.skip``)."""
    info = _availability()
    if name not in info:
        known = ", ".join(sorted(info)) or "none"
        return (f"tensorweave backend {name!r} is not installed (no entry point in group "
                f"'tensorweave.backends'; known: {known})")
    ok, reason = info[name]
    if not ok:
        return f"tensorweave backend {name!r} is unavailable: {reason}"
    return None


def pytest_report_header(config: Any) -> str | None:
    names = _split(config.getoption("tw_backend") or [])
    shown = ", ".join(names) if names else "default (numpy, python, cupy if available)"
    return f"tensorweave backends: {shown}; reference: {config.getoption('tw_reference')}"


def pytest_generate_tests(metafunc: Any) -> None:
    if "tw_backend" in metafunc.fixturenames:
        names = selected_backends(metafunc.config)
        metafunc.parametrize("tw_backend", names, indirect=True, ids=names)


# ---- the kit's own test modules -------------------------------------------------------------
_KIT_DIR = Path(__file__).resolve().parent


class _KitModule(pytest.Module):
    """A test module of ``tensorweave.testing``, imported under its package name.

    In an editable install the package lives in ``core/testing/``; pytest's default import
    would call the module ``core.testing.test_...`` and import a second copy of the
    ``core`` package under that name. Importing ``tensorweave.testing.test_...`` instead
    keeps one copy of everything.
    """

    def _getobj(self) -> Any:
        return importlib.import_module(f"tensorweave.testing.{self.path.stem}")


def pytest_pycollect_makemodule(module_path: Path, parent: Any) -> Any:
    try:
        inside = module_path.resolve().parent == _KIT_DIR
    except OSError:
        return None
    if inside and module_path.name.startswith("test_"):
        return _KitModule.from_parent(parent, path=module_path)
    return None


@pytest.fixture
def tw_backend(request: Any) -> Iterator[str]:
    """The name of the backend under test; the test body runs inside ``backend_scope``."""
    name = getattr(request, "param", None)
    if name is None:  # requested without parametrization (e.g. via getfixturevalue)
        name = selected_backends(request.config)[0]
    reason = backend_skip_reason(name)
    if reason is not None:
        pytest.skip(reason)
    from tensorweave.backend_registry import backend_scope

    with backend_scope(name):
        yield name


@pytest.fixture
def tw_reference(request: Any) -> str:
    """The name of the reference backend (``--tw-reference``, default ``python``)."""
    name = request.config.getoption("tw_reference")
    reason = backend_skip_reason(name)
    if reason is not None:
        pytest.skip(f"reference {reason}")
    return name
