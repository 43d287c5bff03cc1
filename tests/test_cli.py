"""The ``tensorweave`` command: ``info`` and ``conformance``, run in fresh interpreters
(the console script, ``python -m tensorweave`` and scripts that register a broken
backend first) with a clean environment and an empty ``TENSORWEAVE_HOME``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tensorweave as tw


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("TENSORWEAVE_")}
    e["TENSORWEAVE_HOME"] = str(tmp_path / "home")
    e["PYTHONWARNINGS"] = "ignore"
    return e


def _run(args: list[str], env: dict[str, str], timeout: float = 180) -> \
        subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tensorweave", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def _script(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=180)


# a NumPy backend whose ``add`` is off by one and which has no ``sin`` kernel
BROKEN = """
    import numpy as np
    from tensorweave.backend_registry import register_backend
    from tensorweave.backends.numpy import NumpyBackend

    class Broken(NumpyBackend):
        name = "broken"
        def __init__(self):
            super().__init__()
            self.kernels["add"] = lambda x, y: np.asarray(np.add(x, y) + 1).astype(x.dtype)
            del self.kernels["sin"]

    register_backend("broken", Broken)
"""


# ---- info ----------------------------------------------------------------------------------------
def test_info_lists_versions_backends_and_the_selection(env: dict[str, str]) -> None:
    out = _run(["info"], env)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert f"tensorweave {tw.__version__}" in text
    assert "Python 3." in text
    assert "numpy      available    device: cpu (NumPy" in text
    assert "python     available    device: cpu" in text
    assert "missing primitive kernels: 0 of" in text
    assert "cupy" in text  # listed even where it cannot run (with the reason)
    assert "current backend: numpy (chosen by: default)" in text
    assert "plugins" in text


def test_info_reports_where_the_backend_choice_came_from(env: dict[str, str]) -> None:
    env["TENSORWEAVE_BACKEND"] = "python"
    out = _run(["info"], env)
    assert out.returncode == 0, out.stderr
    assert ("current backend: python (chosen by: environment variable TENSORWEAVE_BACKEND)"
            in out.stdout)


def test_info_survives_broken_and_incomplete_backends(env: dict[str, str]) -> None:
    out = _script(BROKEN + """
    from tensorweave.backend_registry import register_backend
    def explode():
        raise RuntimeError("driver missing")
    register_backend("exploding", explode)
    from tensorweave.cli import main
    raise SystemExit(main(["info"]))
    """, env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    broken = lines.index(next(line for line in lines if line.strip().startswith("broken")))
    assert "missing primitive kernels: 1 of" in lines[broken + 1]
    assert "(sin)" in lines[broken + 1]
    assert any("exploding" in line and "unavailable: failed to load: RuntimeError: driver "
               "missing" in line for line in lines)


def test_info_without_plugins_info(env: dict[str, str]) -> None:
    out = _script("""
    import tensorweave
    tensorweave.__dict__.pop("plugins_info", None)
    tensorweave._LAZY_ATTRS.pop("plugins_info", None)
    from tensorweave.cli import main
    raise SystemExit(main(["info"]))
    """, env)
    assert out.returncode == 0, out.stderr
    assert "plugins: none loaded" in out.stdout


def test_console_script_is_installed(env: dict[str, str]) -> None:
    exe = shutil.which("tensorweave", path=str(Path(sys.executable).parent)) or \
        shutil.which("tensorweave")
    if exe is None:
        pytest.skip("the tensorweave console script is not on PATH in this environment")
    out = subprocess.run([exe, "info"], env=env, capture_output=True, text=True,
                         timeout=180)
    assert out.returncode == 0 and "tensorweave" in out.stdout, out.stderr


def test_no_command_prints_help_and_fails(env: dict[str, str]) -> None:
    out = _run([], env)
    assert out.returncode == 2
    assert "conformance" in out.stdout and "info" in out.stdout


# ---- conformance ---------------------------------------------------------------------------------
def test_conformance_json_for_numpy(env: dict[str, str], known_failures) -> None:  # noqa: ANN001
    out = _run(["conformance", "--backend", "numpy", "--ops", "add,sum", "--json"], env)
    data = json.loads(out.stdout)
    assert data["backend"] == "numpy" and data["reference"] == "python"
    assert sorted(o["op"] for o in data["ops"]) == ["add", "sum"]
    for row in data["ops"]:
        assert row["kind"] == "primitive" and row["kernel"] == "kernel"
        assert row["cases"] >= 20 and row["passed"] + row["failed"] + row["errors"] == \
            row["cases"]
        assert isinstance(row["max_abs_error"], float)
        for f in row["failures"]:
            assert any(k.matches("numpy", f["case"], f["message"]) for k in known_failures), f
    assert out.returncode == (0 if data["ok"] else 1), out.stderr
    assert data["summary"]["cases"] == sum(o["cases"] for o in data["ops"])


def test_conformance_table_for_numpy(env: dict[str, str]) -> None:
    out = _run(["conformance", "--backend", "numpy", "--ops", "matmul,conv,softmax"], env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "conformance of backend 'numpy' against reference 'python'" in out.stdout
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("op "))
    assert header.split() == ["op", "status", "cases", "kernel", "max", "abs", "err", "max",
                              "rel", "err"]
    assert any(line.startswith("conv ") and "no kernel (uses decomposition)" in line
               for line in lines)
    assert lines[-1].startswith("OK: numpy vs python: 3/3 ops pass")


def test_conformance_fails_and_names_the_broken_ops(env: dict[str, str]) -> None:
    out = _script(BROKEN + """
    from tensorweave.cli import main
    raise SystemExit(main(["conformance", "--backend", "broken", "--ops",
                           "add,sin,multiply"]))
    """, env)
    assert out.returncode == 1, out.stdout + out.stderr
    rows = {line.split()[0]: line for line in out.stdout.splitlines()
            if line.split() and line.split()[0] in ("add", "sin", "multiply")}
    assert "FAIL" in rows["add"]
    assert "missing kernel" in rows["sin"] and "MISSING KERNEL" in rows["sin"]
    assert "add/float32" in out.stdout and "values differ" in out.stdout
    assert "sin: backend 'broken' has no kernel for this primitive op" in out.stdout
    assert "FAILED: broken vs python" in out.stdout


def test_conformance_json_of_a_broken_backend(env: dict[str, str]) -> None:
    out = _script(BROKEN + """
    from tensorweave.cli import main
    raise SystemExit(main(["conformance", "--backend", "broken", "--ops", "add,sin",
                           "--json"]))
    """, env)
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is False
    assert data["failed_ops"] == ["add", "sin"]
    assert data["missing_kernels"] == ["sin"]


def test_conformance_of_an_unknown_backend_is_a_usage_error(env: dict[str, str]) -> None:
    out = _run(["conformance", "--backend", "nope"], env)
    assert out.returncode == 2
    assert "backend 'nope' is not installed" in out.stderr
    # cupy joins the list where it can run (a GPU, or the fake CuPy of tests/fakecupy)
    assert re.search(r"Backends that can run here: (cupy, )?numpy, python", out.stderr)
    js = _run(["conformance", "--backend", "nope", "--json"], env)
    assert js.returncode == 2
    data = json.loads(js.stdout)
    assert data["ok"] is False and "not installed" in data["error"]


def test_conformance_of_an_unknown_op_is_a_usage_error(env: dict[str, str]) -> None:
    out = _run(["conformance", "--backend", "numpy", "--ops", "add,frobnicate"], env)
    assert out.returncode == 2
    assert "no conformance cases for frobnicate" in out.stderr


def test_conformance_requires_a_backend(env: dict[str, str]) -> None:
    out = _run(["conformance"], env)
    assert out.returncode == 2
    assert "--backend" in out.stderr


# ---- the pytest plugin ---------------------------------------------------------------------------
def test_pytest_plugin_parametrizes_and_skips_with_a_reason(tmp_path: Path,
                                                            env: dict[str, str]) -> None:
    test = tmp_path / "test_uses_fixture.py"
    test.write_text(textwrap.dedent("""
        import tensorweave as tw

        def test_backend_is_current(tw_backend):
            assert tw.backend_registry.backend() == tw_backend
            assert tw.ops.ones((2,)).backend == tw_backend
    """))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", str(test), "-rs", "-q", "-p", "no:cacheprovider",
         "--tw-backend", "numpy,python", "--tw-backend", "cupy", "--tw-backend",
         "no_such"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    text = out.stdout
    assert out.returncode == 0, text + out.stderr
    assert "2 passed, 2 skipped" in text
    assert "tensorweave backend 'cupy' is unavailable" in text
    assert "tensorweave backend 'no_such' is not installed" in text
    default = subprocess.run(
        [sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider",
         "--collect-only"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=180)
    assert "test_backend_is_current[numpy]" in default.stdout
    assert "test_backend_is_current[python]" in default.stdout
