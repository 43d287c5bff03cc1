"""``import tensorweave`` stays light: no NumPy, no pluggy, no backend, until one is used.

Each case runs in a fresh interpreter (this process has long imported NumPy), with a
temporary ``TENSORWEAVE_HOME`` so no user config can select a backend.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import tensorweave as tw


def _run(code: str, tmp_path, backend: str | None) -> dict:
    env = dict(os.environ)
    env.pop("TENSORWEAVE_BACKEND", None)
    env["TENSORWEAVE_HOME"] = str(tmp_path / "twhome")
    if backend is not None:
        env["TENSORWEAVE_BACKEND"] = backend
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


_LOADED = """
def loaded():
    return sorted(m for m in sys.modules
                  if m.split(".")[0] in ("numpy", "pluggy")
                  or m.startswith("tensorweave.backends."))
"""


@pytest.mark.parametrize("backend", [None, "numpy", "python"])
def test_import_tensorweave_loads_no_numpy_nor_pluggy_nor_backend(tmp_path, backend):
    code = "import json, sys\n" + _LOADED + """
import tensorweave
print(json.dumps({"loaded": loaded()}))
"""
    assert _run(code, tmp_path, backend) == {"loaded": []}


def test_import_tensorweave_ops_with_default_backend_loads_no_numpy(tmp_path):
    code = "import json, sys\n" + _LOADED + """
import tensorweave as tw
import tensorweave.ops
print(json.dumps({"loaded": loaded()}))
"""
    assert _run(code, tmp_path, None) == {"loaded": []}


def test_control_numpy_backend_does_load_numpy(tmp_path):
    # Guards the checks here: the probe sees NumPy as soon as something imports it.
    code = "import json, sys\n" + _LOADED + """
import tensorweave as tw
x = tw.ops.ones((2,)) + 1
print(json.dumps({"loaded": loaded(), "backend": x.backend}))
"""
    got = _run(code, tmp_path, None)
    assert got["backend"] == "numpy"
    assert "numpy" in got["loaded"] and "tensorweave.backends.numpy" in got["loaded"]


@pytest.mark.skipif(
    not any(i.name == "python" and i.available for i in tw.list_backends()),
    reason="the python backend cannot run here (see tw.list_backends())")
def test_python_backend_ops_never_import_numpy(tmp_path):
    code = "import json, sys\n" + _LOADED + """
import tensorweave as tw
import tensorweave.ops as ops
x = ops.convert_to_tensor([[1.5, -2.0], [3.0, 4.0]])
outs = [x + 1, x * x, ops.exp(x), ops.mean(x, axis=1), ops.argmax(x, axis=0), x @ x,
        ops.concatenate([x, x]), ops.take(x, ops.convert_to_tensor([1, 0])),
        ops.cast(x, "bfloat16"), ops.one_hot(ops.convert_to_tensor([1, 0]), 3),
        ops.logsumexp(x), ops.where(x > 0, x, 0.0), ops.softmax(x), x[:, ::-1], x.T]
print(json.dumps({"loaded": loaded(), "backend": tw.backend(),
                  "backends": sorted({t.backend for t in outs}),
                  "y": (x @ x).tolist(), "w": x[:, ::-1].tolist(), "repr": repr(x)}))
"""
    got = _run(code, tmp_path, "python")
    assert got["backend"] == "python" and got["backends"] == ["python"]
    assert got["y"] == [[-3.75, -11.0], [16.5, 10.0]]
    assert got["w"] == [[-2.0, 1.5], [4.0, 3.0]]
    assert "backend=python" in got["repr"]
    assert got["loaded"] == ["tensorweave.backends.python"] + sorted(
        m for m in got["loaded"] if m.startswith("tensorweave.backends.python."))
