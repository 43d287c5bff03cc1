"""``tensorweave.testing``: the conformance kit every backend must pass.

The kit ships inside the package (no clone needed) and checks a backend op by op against
the pure-Python reference backend, which sums exactly and rounds once per dtype::

    tensorweave conformance --backend mybackend          # the per-op table
    pytest --pyargs tensorweave.testing --tw-backend mybackend

or from Python::

    from tensorweave.testing import run_conformance
    report = run_conformance("numpy")              # against "python"
    print(report.format_table())
    grads = run_gradient_conformance("numpy")      # against finite differences

Parts: :mod:`.inputs` (deterministic inputs, no NumPy), :mod:`.cases` (the declarative
cases), :mod:`.gradcheck` and :mod:`.catalog_gradients` (gradients against finite
differences, ``jit`` and graph-JSON checks), :mod:`.tolerances` (the one tolerance
table, and why), :mod:`.compare`,
:mod:`.runner`, :mod:`.strategies` (hypothesis) and :mod:`.pytest_plugin` (the
``--tw-backend`` option and the ``tw_backend`` fixture).

Importing this package is cheap: the names below load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Arg": ("tensorweave.testing.inputs", "Arg"),
    "Case": ("tensorweave.testing.case", "Case"),
    "all_cases": ("tensorweave.testing.cases", "all_cases"),
    "cases_for": ("tensorweave.testing.cases", "cases_for"),
    "run_case": ("tensorweave.testing.runner", "run_case"),
    "run_conformance": ("tensorweave.testing.runner", "run_conformance"),
    "run_gradient_conformance": ("tensorweave.testing.runner", "run_gradient_conformance"),
    "GradCase": ("tensorweave.testing.gradcheck", "GradCase"),
    "run_grad_case": ("tensorweave.testing.gradcheck", "run_grad_case"),
    "Report": ("tensorweave.testing.runner", "Report"),
    "OpRow": ("tensorweave.testing.runner", "OpRow"),
    "CaseResult": ("tensorweave.testing.runner", "CaseResult"),
    "Tolerance": ("tensorweave.testing.tolerances", "Tolerance"),
    "tolerance": ("tensorweave.testing.tolerances", "tolerance"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tensorweave.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
