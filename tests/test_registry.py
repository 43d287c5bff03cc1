"""The backend registry: discovery through entry points, selection precedence, scoping,
clear errors, and explicit data movement between backends.

Cases that depend on the environment or on installed distributions run in a fresh
interpreter (``_run``) with a temporary ``TENSORWEAVE_HOME``, so this process's state and
the user's real config never leak in.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import backend_registry
from tensorweave.errors import BackendMismatchError, BackendUnavailableError

ops = tw.ops
HERE = Path(__file__).resolve().parent
FAKE_PKG = HERE / "fake_backend"

needs_python = pytest.mark.skipif(
    not any(i.name == "python" and i.available for i in tw.list_backends()),
    reason="the python backend cannot run here (see tw.list_backends())")


# ---- helpers --------------------------------------------------------------------------------
def _env(tmp_path: Path, **extra: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TENSORWEAVE_BACKEND", None)
    env["TENSORWEAVE_HOME"] = str(tmp_path / "twhome")
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(code: str, env: dict[str, str], cwd: Path | None = None) -> dict:
    """Run ``code`` in a fresh interpreter; it must print one JSON object last."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120,
                          cwd=str(cwd) if cwd else None)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _write_config(tmp_path: Path, data: object | str) -> None:
    home = tmp_path / "twhome"
    home.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data)
    (home / "config.json").write_text(text, encoding="utf-8")


def _dist(site: Path, name: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
    """A minimal installed distribution: ``<name>-0.0.dist-info`` plus its modules."""
    info = site / f"{name}-0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0\n")
    lines = ["[tensorweave.backends]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for mod, source in modules.items():
        (site / f"{mod}.py").write_text(source)


def _pythonpath(*paths: Path) -> str:
    parts = [str(p) for p in paths]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


@pytest.fixture
def restore_global_backend():
    """Undo any ``tw.set_backend`` a test makes."""
    previous = backend_registry._global
    yield
    backend_registry.set_backend(previous.name if previous is not None else None)


def _default_name() -> str:
    # What the process uses when nothing is set in code (env/config/default).
    return backend_registry._default_name()[0]


def _other_than(name: str) -> str:
    return "python" if name != "python" else "numpy"


# ---- listing --------------------------------------------------------------------------------
def test_list_backends_shows_the_builtin_ones():
    infos = {i.name: i for i in tw.list_backends()}
    assert {"numpy", "python", "cupy"} <= set(infos)
    numpy_info = infos["numpy"]
    assert numpy_info.available and numpy_info.reason == ""
    assert numpy_info.source == "tensorweave.backends.numpy:NumpyBackend"
    assert str(numpy_info) == "numpy (available)"
    assert infos["python"].source == "tensorweave.backends.python:PythonBackend"


@needs_python
def test_python_backend_is_available():
    infos = {i.name: i for i in tw.list_backends()}
    assert infos["python"].available, infos["python"].reason


def _cupy_can_run() -> bool:
    return any(i.name == "cupy" and i.available for i in tw.list_backends())


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None and _cupy_can_run(),
                    reason="cupy is installed and a GPU is present")
def test_cupy_is_listed_unavailable_with_a_reason():
    info = {i.name: i for i in tw.list_backends()}["cupy"]
    assert info.available is False
    assert info.reason.strip()
    assert str(info) == f"cupy (unavailable: {info.reason})"


@pytest.mark.skipif(_cupy_can_run(), reason="cupy can run here")
def test_selecting_cupy_without_gpu_says_why_and_what_can_run():
    before = tw.backend()
    with pytest.raises(BackendUnavailableError) as info:
        tw.set_backend("cupy")
    msg = str(info.value)
    assert "backend 'cupy'" in msg
    assert "Backends that can run here: " in msg and "numpy" in msg
    assert "pip install tensorweave[cupy]" in msg
    assert tw.backend() == before  # a failed set_backend changes nothing


# ---- unknown / unavailable -------------------------------------------------------------------
@pytest.mark.parametrize("select", [
    tw.get_backend, tw.set_backend, lambda n: tw.backend_scope(n).__enter__(),
], ids=["get_backend", "set_backend", "backend_scope"])
def test_unknown_backend_error_lists_what_can_run(select):
    before = tw.backend()
    with pytest.raises(BackendUnavailableError) as info:
        select("no-such-backend")
    msg = str(info.value)
    assert msg.startswith("backend 'no-such-backend' is not installed")
    assert "tensorweave.backends" in msg
    runnable = msg.split("Backends that can run here: ")[1].split(".")[0].split(", ")
    assert "numpy" in runnable
    expected = sorted(i.name for i in tw.list_backends() if i.available)
    assert sorted(runnable) == expected
    assert tw.backend() == before


def test_backend_name_must_be_a_string():
    with pytest.raises(BackendUnavailableError, match="backend name must be a str, got 3"):
        tw.get_backend(3)


def test_get_backend_returns_one_instance_per_name():
    assert tw.get_backend("numpy") is tw.get_backend("numpy")
    assert tw.get_backend("numpy").name == "numpy"


# ---- selection precedence (fresh interpreters) -----------------------------------------------
_REPORT = """
import json
import tensorweave as tw
from tensorweave import backend_registry as br
x = tw.ops.ones((2,))
print(json.dumps({"backend": tw.backend(), "source": br.selection_source(),
                  "tensor": x.backend}))
"""


@needs_python
@pytest.mark.parametrize(("env", "config", "expected", "source"), [
    (None, None, "numpy", "default"),
    (None, {"backend": "python"}, "python", "config file"),
    ("python", None, "python", "environment variable TENSORWEAVE_BACKEND"),
    ("numpy", {"backend": "python"}, "numpy", "environment variable TENSORWEAVE_BACKEND"),
    ("python", {"backend": "numpy"}, "python", "environment variable TENSORWEAVE_BACKEND"),
], ids=["default", "config", "env", "env-beats-config", "env-beats-config-2"])
def test_env_config_default_precedence(tmp_path, env, config, expected, source):
    if config is not None:
        _write_config(tmp_path, config)
    got = _run(_REPORT, _env(tmp_path, TENSORWEAVE_BACKEND=env))
    assert got == {"backend": expected, "source": source, "tensor": expected}


@needs_python
def test_scope_beats_set_backend_beats_env_and_config(tmp_path):
    _write_config(tmp_path, {"backend": "numpy"})
    code = """
    import json
    import tensorweave as tw
    from tensorweave import backend_registry as br
    seen = []
    def note():
        seen.append([tw.backend(), br.selection_source(), tw.ops.ones(1).backend])
    note()                                  # env: python
    tw.set_backend("numpy"); note()         # set_backend beats env
    with tw.backend_scope("python"):
        note()                              # scope beats set_backend
        with tw.backend_scope("numpy"):
            note()                          # scopes nest
        note()
    note()                                  # back to set_backend
    tw.set_backend(None); note()            # back to env
    print(json.dumps(seen))
    """
    seen = _run(code, _env(tmp_path, TENSORWEAVE_BACKEND="python"))
    env_src = "environment variable TENSORWEAVE_BACKEND"
    assert seen == [
        ["python", env_src, "python"],
        ["numpy", "set_backend()", "numpy"],
        ["python", "backend_scope()", "python"],
        ["numpy", "backend_scope()", "numpy"],
        ["python", "backend_scope()", "python"],
        ["numpy", "set_backend()", "numpy"],
        ["python", env_src, "python"],
    ]


def test_unknown_backend_in_env_fails_on_first_use_not_at_import(tmp_path):
    code = """
    import json
    import tensorweave as tw
    import tensorweave.ops
    from tensorweave.errors import BackendUnavailableError
    try:
        tw.ops.ones((2,))
    except BackendUnavailableError as exc:
        print(json.dumps({"error": str(exc)}))
    else:
        print(json.dumps({"error": None}))
    """
    got = _run(code, _env(tmp_path, TENSORWEAVE_BACKEND="no-such-backend"))
    assert got["error"] is not None
    assert "backend 'no-such-backend' is not installed" in got["error"]
    assert "numpy" in got["error"]


def test_invalid_config_file_is_a_clear_error(tmp_path):
    _write_config(tmp_path, "{not json")
    code = """
    import json
    import tensorweave as tw
    from tensorweave.errors import InvalidArgumentError
    try:
        tw.backend()
    except InvalidArgumentError as exc:
        print(json.dumps({"error": str(exc)}))
    """
    got = _run(code, _env(tmp_path))
    assert "config.json" in got["error"]
    assert "not valid JSON" in got["error"]


def test_config_file_must_hold_an_object(tmp_path):
    _write_config(tmp_path, "[1, 2]")
    code = """
    import json
    import tensorweave as tw
    from tensorweave.errors import InvalidArgumentError
    try:
        tw.backend()
    except InvalidArgumentError as exc:
        print(json.dumps({"error": str(exc)}))
    """
    assert "expected a JSON object" in _run(code, _env(tmp_path))["error"]


def test_import_and_use_write_no_files(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    code = """
    import json
    import tensorweave as tw
    import tensorweave.ops
    infos = [str(i) for i in tw.list_backends()]
    y = (tw.ops.arange(4) * 2).tolist()
    print(json.dumps({"y": y, "backend": tw.backend()}))
    """
    for tw_home in (None, str(home)):  # default ~/.tensorweave, then an explicit one
        env = _env(tmp_path, HOME=str(home), TENSORWEAVE_HOME=tw_home,
                   XDG_CACHE_HOME=None, XDG_CONFIG_HOME=None, XDG_DATA_HOME=None)
        got = _run(code, env, cwd=home)
        assert got == {"y": [0, 2, 4, 6], "backend": "numpy"}
        assert [str(p) for p in home.rglob("*")] == []


# ---- switching and scoping in this process ---------------------------------------------------
@needs_python
def test_switching_backends_needs_no_reimport(restore_global_backend):
    modules = dict(sys.modules)
    base = _default_name()
    other = _other_than(base)
    a = ops.ones((2,))
    tw.set_backend(other)
    b = ops.ones((2,))
    assert (a.backend, b.backend) == (base, other)
    # Old tensors keep their backend and still compute there.
    assert (a + a).backend == base and (b + b).backend == other
    assert (b + b).tolist() == [2.0, 2.0]
    tw.set_backend(None)
    assert ops.ones((1,)).backend == base
    # Nothing was imported again: every module loaded before is the same object.
    assert [k for k, m in modules.items() if sys.modules.get(k) is not m] == []


@needs_python
def test_backend_scope_is_per_thread():
    base = tw.backend()
    other = _other_than(base)
    entered, checked, done = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, str] = {}

    def worker():
        seen["thread-start"] = tw.backend()
        with tw.backend_scope(other):
            seen["thread-scoped"] = ops.ones(1).backend
            entered.set()
            checked.wait(10)
            seen["thread-after-main-checked"] = tw.backend()
        seen["thread-end"] = tw.backend()
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    assert entered.wait(10)
    seen["main-while-thread-scoped"] = tw.backend()
    checked.set()
    assert done.wait(10)
    t.join()
    assert seen == {"thread-start": base, "thread-scoped": other,
                    "main-while-thread-scoped": base, "thread-after-main-checked": other,
                    "thread-end": base}


@needs_python
def test_scope_in_main_thread_does_not_leak_into_new_threads():
    base = tw.backend()
    other = _other_than(base)
    seen = []
    with tw.backend_scope(other):
        t = threading.Thread(target=lambda: seen.append(tw.backend()))
        t.start()
        t.join()
        assert tw.backend() == other
    assert seen == [base]


@needs_python
def test_backend_scope_is_per_asyncio_task():
    base = tw.backend()
    other = _other_than(base)

    async def task(name, log):
        with tw.backend_scope(name):
            for _ in range(3):
                log.append((name, tw.backend()))
                await asyncio.sleep(0)

    async def main():
        log: list = []
        await asyncio.gather(task(base, log), task(other, log))
        return log

    log = asyncio.run(main())
    assert len(log) == 6
    assert all(want == got for want, got in log)


def test_scope_is_restored_after_an_exception():
    base = tw.backend()
    with pytest.raises(RuntimeError, match="inside"):
        with tw.backend_scope("numpy"):
            raise RuntimeError("inside")
    assert tw.backend() == base
    assert backend_registry.selection_source() != "backend_scope()"


# ---- mixing and moving -----------------------------------------------------------------------
@needs_python
@pytest.mark.parametrize(("name", "call"), [
    ("add", lambda a, b: a + b),
    ("multiply", lambda a, b: ops.multiply(b, a)),
    ("matmul", lambda a, b: ops.matmul(ops.reshape(a, (1, 2)), ops.reshape(b, (2, 1)))),
    ("concatenate", lambda a, b: ops.concatenate([a, b])),
    ("where", lambda a, b: ops.where(ops.greater(a, 0.0), a, b)),
])
def test_mixing_backends_in_one_op_is_an_error(name, call):
    with tw.backend_scope("numpy"):
        a = ops.ones((2,))
    with tw.backend_scope("python"):
        b = ops.ones((2,))
    with pytest.raises(BackendMismatchError) as info:
        call(a, b)
    msg = str(info.value)
    assert msg.startswith(f"{name}: inputs live on different backends")
    assert "numpy" in msg and "python" in msg
    assert "tw.ops.to_backend" in msg


@needs_python
@pytest.mark.parametrize(("values", "dtype"), [
    ([[1.5, -2.25], [3.0, 2.0**-10]], "float32"),
    ([1.0 / 3.0, 2.0**-30], "float64"),
    ([0.5, 65504.0, -1.5], "float16"),
    ([1.0, 3.140625, -0.0078125], "bfloat16"),
    ([2**40, -(2**40), 7], "int64"),
    ([0, 255, 17], "uint8"),
    ([-128, 127], "int8"),
    ([True, False, True], "bool"),
    ([], "float32"),
])
@pytest.mark.parametrize(("src", "dst"), [("numpy", "python"), ("python", "numpy")])
def test_to_backend_moves_values_and_keeps_dtype(values, dtype, src, dst):
    x = ops.convert_to_tensor(values, dtype, backend=src)
    y = tw.to_backend(x, dst)
    assert (x.backend, y.backend) == (src, dst)
    assert y.dtype is x.dtype is tw.dtypes.canonicalize(dtype)
    assert y.shape == x.shape
    assert y.tolist() == x.tolist() == values
    np.testing.assert_array_equal(ops.convert_to_numpy(y), ops.convert_to_numpy(x))


@needs_python
def test_moved_tensor_can_meet_the_other_backend():
    with tw.backend_scope("numpy"):
        a = ops.arange(3, dtype="float32")
    with tw.backend_scope("python"):
        b = ops.arange(3, dtype="float32")
    c = a + tw.to_backend(b, "numpy")
    d = tw.to_backend(a, "python") + b
    assert (c.backend, d.backend) == ("numpy", "python")
    assert c.tolist() == d.tolist() == [0.0, 2.0, 4.0]


def test_to_backend_same_backend_is_identity_and_unknown_is_an_error():
    x = ops.convert_to_tensor([1.0, 2.0], backend="numpy")
    assert tw.to_backend(x, "numpy") is x
    with pytest.raises(BackendUnavailableError, match="no-such-backend"):
        tw.to_backend(x, "no-such-backend")


@needs_python
def test_to_backend_of_plain_data():
    y = tw.to_backend([[1, 2], [3, 4]], "python")
    assert y.backend == "python" and y.dtype is tw.int32 and y.tolist() == [[1, 2], [3, 4]]


# ---- third-party backends through entry points -----------------------------------------------
_FAKE_REPORT = """
import json
import tensorweave as tw
import tensorweave.ops
infos = {i.name: [i.available, i.reason, i.source] for i in tw.list_backends()}
x = tw.ops.arange(4, dtype="float32")
y = x * 2 + 1
be = tw.get_backend("fake")
print(json.dumps({"infos": infos, "backend": tw.backend(), "x": x.backend, "y": y.tolist(),
                  "dtype": str(y.dtype), "cls": type(be).__module__ + "." + type(be).__name__,
                  "data": type(y.data).__module__ + "." + type(y.data).__name__}))
"""


def _check_fake_report(got: dict) -> None:
    assert got["infos"]["fake"] == [True, "", "tw_fake_backend:FakeBackend"]
    assert got["infos"]["numpy"][0] is True
    assert got["backend"] == got["x"] == "fake"
    assert got["y"] == [1.0, 3.0, 5.0, 7.0]
    assert got["dtype"] == "float32"
    assert got["cls"] == "tw_fake_backend.FakeBackend"
    assert got["data"] == "numpy.ndarray"


def test_entry_point_backend_from_a_dist_info(tmp_path):
    site = tmp_path / "site"
    _dist(site, "tw_fake_backend", {"fake": "tw_fake_backend:FakeBackend"},
          {"tw_fake_backend": (FAKE_PKG / "tw_fake_backend.py").read_text()})
    env = _env(tmp_path, TENSORWEAVE_BACKEND="fake", PYTHONPATH=_pythonpath(site))
    _check_fake_report(_run(_FAKE_REPORT, env))


def test_fake_backend_package_declares_the_entry_point():
    # The dist-info test above copies the module; this keeps it honest about the package.
    text = (FAKE_PKG / "pyproject.toml").read_text()
    assert '[project.entry-points."tensorweave.backends"]' in text
    assert 'fake = "tw_fake_backend:FakeBackend"' in text


_NETWORK_SIGNS = ("Could not find a version", "No matching distribution",
                  "NewConnectionError", "Temporary failure in name resolution",
                  "Network is unreachable", "Max retries exceeded", "ConnectTimeout",
                  "ReadTimeout", "Failed to establish a new connection")


def test_pip_installed_fake_backend_is_found(tmp_path):
    if importlib.util.find_spec("pip") is None:
        pytest.skip("pip is not installed in this interpreter")
    src = tmp_path / "src"
    shutil.copytree(FAKE_PKG, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__"))  # builds happen in the copy, not the tree
    target = tmp_path / "target"
    cmd = [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
           "--disable-pip-version-check", "--target", str(target), str(src)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("pip install timed out (no network for the build backend?)")
    if proc.returncode != 0:
        out = proc.stdout + proc.stderr
        if any(sign in out for sign in _NETWORK_SIGNS):
            pytest.skip(f"pip could not fetch the build backend: {out.strip()[-300:]}")
        pytest.fail(f"pip install of tests/fake_backend failed:\n{out}")
    assert (target / "tw_fake_backend.py").exists()
    env = _env(tmp_path, TENSORWEAVE_BACKEND="fake", PYTHONPATH=_pythonpath(target))
    _check_fake_report(_run(_FAKE_REPORT, env))


_BROKEN_MODULE = '''
from tensorweave.backend_api import Backend


class BrokenBackend(Backend):
    name = "broken"

    def __init__(self):
        raise RuntimeError("no driver for the fake accelerator")


class UnavailableBackend(Backend):
    name = "unavail"

    def availability(self):
        return False, "needs a device that is not here"


class RaisingAvailability(Backend):
    name = "raising"

    def availability(self):
        raise OSError("probe crashed")


def NotABackend():
    return object()
'''

_BROKEN_EPS = {
    "broken": "tw_broken_backend:BrokenBackend",
    "unavail": "tw_broken_backend:UnavailableBackend",
    "raising": "tw_broken_backend:RaisingAvailability",
    "notabackend": "tw_broken_backend:NotABackend",
    "empty": "tw_empty_backend:EmptyBackend",
    "ghost": "tw_no_such_module_anywhere:GhostBackend",
}


def _broken_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    _dist(site, "tw_broken_backends", _BROKEN_EPS,
          {"tw_broken_backend": _BROKEN_MODULE, "tw_empty_backend": ""})
    return site


def test_broken_backends_are_reported_not_raised(tmp_path):
    code = """
    import json
    import tensorweave as tw
    import tensorweave.ops
    infos = {i.name: [i.available, i.reason] for i in tw.list_backends()}
    y = (tw.ops.ones((2,)) + 1).tolist()
    print(json.dumps({"infos": infos, "y": y, "backend": tw.backend()}))
    """
    env = _env(tmp_path, PYTHONPATH=_pythonpath(_broken_site(tmp_path)))
    got = _run(code, env)
    assert got["y"] == [2.0, 2.0] and got["backend"] == "numpy"
    infos = got["infos"]
    assert infos["numpy"] == [True, ""]
    assert infos["broken"] == [False, "failed to load: RuntimeError: no driver for the fake "
                                      "accelerator"]
    assert infos["unavail"] == [False, "needs a device that is not here"]
    assert infos["raising"] == [False, "availability check raised OSError: probe crashed"]
    assert infos["notabackend"] == [False, "failed to load: TypeError: entry point produced "
                                           "object, not a Backend"]
    assert infos["empty"][0] is False
    assert infos["empty"][1].startswith("failed to load: AttributeError")
    assert "EmptyBackend" in infos["empty"][1]
    assert infos["ghost"][0] is False
    assert infos["ghost"][1].startswith("failed to load: ModuleNotFoundError")
    assert "tw_no_such_module_anywhere" in infos["ghost"][1]


@pytest.mark.parametrize(("name", "why"), [
    ("broken", "failed to load: RuntimeError: no driver for the fake accelerator"),
    ("unavail", "is unavailable: needs a device that is not here"),
    ("ghost", "failed to load: ModuleNotFoundError"),
])
def test_selecting_a_broken_backend_says_why(tmp_path, name, why):
    code = """
    import json
    import tensorweave as tw
    from tensorweave.errors import BackendUnavailableError
    try:
        tw.ops.ones((2,))
    except BackendUnavailableError as exc:
        print(json.dumps({"error": str(exc)}))
    """
    env = _env(tmp_path, TENSORWEAVE_BACKEND=name,
               PYTHONPATH=_pythonpath(_broken_site(tmp_path)))
    msg = _run(code, env)["error"]
    first = msg.splitlines()[0]
    assert first.startswith(f"backend {name!r} {why}")
    runnable = msg.split("Backends that can run here: ")[1].split(".")[0].split(", ")
    assert "numpy" in runnable and name not in runnable
    # every unavailable backend is listed with its reason
    assert "  broken: failed to load: RuntimeError" in msg
    assert "  unavail: needs a device that is not here" in msg


def test_register_backend_at_runtime():
    from tensorweave.backends.numpy import NumpyBackend

    class Renamed(NumpyBackend):
        name = "tw-test-runtime"

    backend_registry.register_backend("tw-test-runtime", Renamed)
    try:
        infos = {i.name: i for i in tw.list_backends()}
        assert infos["tw-test-runtime"].available
        assert infos["tw-test-runtime"].source == "registered at runtime"
        with tw.backend_scope("tw-test-runtime"):
            x = ops.arange(3) + 1
        assert x.backend == "tw-test-runtime" and x.tolist() == [1, 2, 3]
    finally:
        backend_registry._manual.pop("tw-test-runtime", None)
        backend_registry._instances.pop("tw-test-runtime", None)
