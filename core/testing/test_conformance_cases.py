"""Every declarative conformance case as one pytest test, per selected backend.

``pytest --pyargs tensorweave.testing --tw-backend NAME`` runs them against the
reference backend (``--tw-reference``, default ``python``); a failure message names the
case, its inputs and the worst values. Running the reference against itself is a cheap
sanity check of the kit.
"""

from __future__ import annotations

import pytest

from tensorweave.testing.case import Case
from tensorweave.testing.cases import all_cases
from tensorweave.testing.runner import run_case

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tw_backend: str, tw_reference: str) -> None:
    result = run_case(case, tw_backend, tw_reference)
    if result.status == "error":
        pytest.fail(f"{case.describe()}: the reference could not run it: {result.message}")
    assert result.ok, f"{case.describe()} on {tw_backend}: {result.message}"


def test_every_op_has_cases() -> None:
    """Each built-in op in ``tensorweave.ops.all_ops()`` is covered by at least one case
    (ops that plugins add bring their own tests)."""
    import sys

    from tensorweave.ops import all_ops

    plugin_ops: set[str] = set()
    pm = sys.modules.get("tensorweave.plugin_manager")
    for info in (getattr(pm, "_info", {}) or {}).values() if pm else ():
        plugin_ops.update(getattr(info, "contributions", {}).get("ops", []))
    covered = {c.op for c in CASES}
    missing = sorted(set(all_ops()) - covered - plugin_ops)
    assert not missing, f"ops without conformance cases: {', '.join(missing)}"
