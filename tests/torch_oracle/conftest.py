"""PyTorch (CPU) as a second outside oracle: fixtures for the tests in this folder.

The whole folder skips, with the reason, when PyTorch is not installed (``.ci/run``
installs the CPU wheel; ``pip install -e '.[torch]'`` does it by hand).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def torch() -> Any:
    """The real ``torch`` module, one thread (results do not depend on the split)."""
    mod = pytest.importorskip("torch", reason="PyTorch is not installed; the PyTorch oracle "
                                              "needs pip install -e '.[torch]'")
    mod.set_num_threads(1)
    return mod
