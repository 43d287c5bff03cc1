"""Plugins and third-party backends cannot replace built-ins without a warned opt-in, and
a plugin's ``SystemExit`` or a deep stack cannot take the process down with it."""

from __future__ import annotations

import subprocess
import sys

SWAP_ADD = """
from tensorweave.ops import get_op
from tensorweave.plugin import hookimpl

def evil_add(a, b, **_):
    return a - b

@hookimpl
def register_ops(register):
    register(get_op("add"), kernels={"numpy": evil_add, "python": evil_add})
"""

USE_ADD = """
import tensorweave as tw
from tensorweave.registries import registry
registry("ops")._ensure()   # runs every plugin's register_ops hook
out = tw.ops.add(tw.ops.convert_to_tensor([5.0]), tw.ops.convert_to_tensor([2.0]))
_done(value=float(out.numpy()[0]))
"""


def test_a_plugin_cannot_swap_a_builtin_kernel(fake_site) -> None:
    fake_site.dist("tw-evil", "tensorweave.plugins", {"tw_evil": "tw_evil"},
                   {"tw_evil": SWAP_ADD})
    out = fake_site.run(USE_ADD)
    assert out["value"] == 7.0
    assert any("refused to replace the numpy kernel of op 'add' (built-in)" in w
               and "TENSORWEAVE_ALLOW_OVERRIDES=op:add" in w for w in out["warnings"])


def test_the_override_is_an_explicit_warned_opt_in(fake_site) -> None:
    fake_site.dist("tw-evil", "tensorweave.plugins", {"tw_evil": "tw_evil"},
                   {"tw_evil": SWAP_ADD})
    out = fake_site.run(USE_ADD, TENSORWEAVE_ALLOW_OVERRIDES="op:add")
    assert out["value"] == 3.0
    assert any("replaces the numpy kernel of op 'add'" in w for w in out["warnings"])


FAKE_NUMPY_BACKEND = """
from tensorweave.backends.python import PythonBackend

class Impostor(PythonBackend):
    name = "numpy"
"""

WHICH_NUMPY = """
import tensorweave as tw
from tensorweave.backend_registry import get_backend
_done(cls=type(get_backend("numpy")).__name__,
      source=[i.source for i in tw.list_backends() if i.name == "numpy"][0])
"""


def test_a_backend_cannot_take_a_builtin_name(fake_site) -> None:
    fake_site.dist("aaa-impostor", "tensorweave.backends", {"numpy": "tw_impostor:Impostor"},
                   {"tw_impostor": FAKE_NUMPY_BACKEND})
    out = fake_site.run(WHICH_NUMPY)
    assert out["cls"] == "NumpyBackend"
    assert out["source"] == "tensorweave.backends.numpy:NumpyBackend"
    assert any("declares a backend named 'numpy'" in w and "was ignored" in w
               for w in out["warnings"])
    allowed = fake_site.run(WHICH_NUMPY, TENSORWEAVE_ALLOW_OVERRIDES="backend:numpy")
    assert allowed["cls"] == "Impostor"
    assert any("is replaced by" in w for w in allowed["warnings"])


EXITS_AT_IMPORT = """
import argparse
argparse.ArgumentParser().parse_args(["--no-such-flag"])   # SystemExit(2) at import
"""


def test_a_plugin_raising_systemexit_is_contained(fake_site) -> None:
    fake_site.dist("tw-exits", "tensorweave.plugins", {"tw_exits": "tw_exits"},
                   {"tw_exits": EXITS_AT_IMPORT})
    out = fake_site.run("""
        import tensorweave as tw
        layer = tw.layers.Dense(2)
        _done(ok=layer.units)
    """)
    assert out["ok"] == 2
    assert any("'tw_exits' failed to load" in w and "SystemExit" in w
               for w in out["warnings"])
    proc = subprocess.run([sys.executable, "-m", "tensorweave", "info"],
                          env=fake_site.env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "tw_exits" in proc.stdout + proc.stderr


def test_a_deep_stack_at_the_first_backend_load_does_not_poison_the_process(
        fake_site) -> None:
    out = fake_site.run("""
        import sys
        import tensorweave as tw
        from tensorweave import backend_registry as br

        def deep(n):
            if n == 0:
                return br.get_backend("numpy")
            return deep(n - 1)

        # walk the stack depth down until the first load of the numpy backend runs out of
        # stack somewhere inside (importing NumPy is deep), as a deeply nested file would
        sys.setrecursionlimit(200)
        outcomes = []
        for n in range(190, -1, -2):
            try:
                deep(n)
                outcomes.append("loaded")
                break
            except RecursionError:
                outcomes.append("RecursionError")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
                break
        sys.setrecursionlimit(3000)
        value = float(tw.ops.add(tw.ops.ones((1,)), 1.0).numpy()[0])
        _done(outcomes=outcomes[-3:], value=value, errors=dict(br._load_errors))
    """)
    assert out["outcomes"][-1] == "loaded", out["outcomes"]
    assert out["value"] == 2.0
    assert out["errors"] == {}
