"""Shared pieces of the adversarial tests: fake installed distributions and a fresh
interpreter to load them in (entry points are read once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

_PRELUDE = """
import json, sys, warnings
_caught = warnings.catch_warnings(record=True)
_w = _caught.__enter__()
warnings.simplefilter("always")

def _done(**out):
    out["warnings"] = [f"{x.category.__name__}: {x.message}" for x in _w]
    print(json.dumps(out))
"""


class FakeSite:
    """A folder of fake installed distributions, put on ``PYTHONPATH`` of a subprocess."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def dist(self, name: str, group: str, entry_points: dict[str, str],
             modules: dict[str, str]) -> None:
        info = self.root / f"{name}-0.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0\n")
        lines = [f"[{group}]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for mod, source in modules.items():
            (self.root / f"{mod}.py").write_text(textwrap.dedent(source))

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENSORWEAVE_")}
        env["TENSORWEAVE_HOME"] = str(self.root / "twhome")
        parts = [str(self.root)] + ([os.environ["PYTHONPATH"]]
                                    if os.environ.get("PYTHONPATH") else [])
        env["PYTHONPATH"] = os.pathsep.join(parts)
        env.update(extra)
        return env

    def run(self, code: str, timeout: float = 120, **extra: str) -> dict[str, Any]:
        """Run ``code`` (ending in ``_done(...)``) in a fresh interpreter; its JSON."""
        proc = subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(code)],
                              env=self.env(**extra), capture_output=True, text=True,
                              timeout=timeout)
        assert proc.returncode == 0, f"subprocess failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def fake_site(tmp_path: Path) -> FakeSite:
    return FakeSite(tmp_path / "site")
