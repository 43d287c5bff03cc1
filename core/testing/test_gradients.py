"""Gradient conformance, ``jit`` against eager, and graph JSON round trips, per backend.

``pytest --pyargs tensorweave.testing --tw-backend NAME`` runs every gradient case of
:mod:`tensorweave.testing.catalog_gradients` on that backend (``tw.grad`` against central
finite differences in float64), every composite function jitted and eager, and every
traced graph through ``to_json``/``from_json``. The last tests check the checker: a wrong
gradient rule, a kink and a wrong zero are each caught.
"""

from __future__ import annotations

import pytest

from tensorweave.testing.catalog_gradients import gradient_cases, transform_cases
from tensorweave.testing.gradcheck import (
    GradCase,
    TransformCase,
    run_grad_case,
    run_jit_case,
    run_json_case,
)

GRAD_CASES = gradient_cases()
TRANSFORM_CASES = transform_cases()


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.name for c in GRAD_CASES])
def test_gradient(case: GradCase, tw_backend: str) -> None:
    result = run_grad_case(case, tw_backend)
    assert result.ok, f"{case.describe()} on {tw_backend}: {result.message}"


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=[c.name for c in TRANSFORM_CASES])
def test_jit_equals_eager(case: TransformCase, tw_backend: str) -> None:
    result = run_jit_case(case, tw_backend)
    assert result.ok, f"{case.describe()} on {tw_backend}: {result.message}"


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=[c.name for c in TRANSFORM_CASES])
def test_graph_json_round_trip(case: TransformCase, tw_backend: str) -> None:
    result = run_json_case(case, tw_backend)
    assert result.ok, f"{case.describe()} on {tw_backend}: {result.message}"


def test_every_differentiable_op_has_gradient_cases() -> None:
    """Each built-in op with ``differentiable=True`` has at least one gradient case (ops
    that plugins add bring their own tests)."""
    import sys

    from tensorweave.ops import all_ops

    plugin_ops: set[str] = set()
    pm = sys.modules.get("tensorweave.plugin_manager")
    for info in (getattr(pm, "_info", {}) or {}).values() if pm else ():
        plugin_ops.update(getattr(info, "contributions", {}).get("ops", []))
    covered = {c.op for c in GRAD_CASES}
    wanted = {n for n, op in all_ops().items() if op.differentiable}
    missing = sorted(wanted - covered - plugin_ops)
    assert not missing, f"differentiable ops without gradient cases: {', '.join(missing)}"


def test_case_names_are_unique_and_inputs_are_float64_or_int() -> None:
    names = [c.name for c in GRAD_CASES]
    assert len(names) == len(set(names))
    for c in GRAD_CASES:
        for a in c.args:
            assert a.dtype in ("float64", "int32", "bool"), (c.name, a.dtype)
            assert a.size <= 64, f"{c.name}: keep gradient inputs tiny ({a.shape})"


# ---- the checker catches what it must ---------------------------------------------------------
def _bad_op(vjp):  # noqa: ANN001, ANN202
    """An unregistered composite op ``sin`` with the given gradient rule."""
    from tensorweave.ops import OpDef, elementwise

    return OpDef("test_bad_sin", lambda specs: (specs[0].shape, specs[0].dtype), vjp=vjp,
                 decompose=elementwise.sin)


def _apply(op):  # noqa: ANN001, ANN202
    from tensorweave.ops import apply

    return lambda x: apply(op, (x,))


def test_a_wrong_gradient_rule_is_caught(tw_backend: str) -> None:
    from tensorweave.ops import elementwise as E
    from tensorweave.testing.cases import A

    wrong = _bad_op(lambda g, out, x: (E.multiply(g, E.sin(x)),))  # d sin = sin: wrong
    case = GradCase("self/wrong_rule", "test_bad_sin", (A((2, 3), "float64"),),
                    fn=_apply(wrong))
    result = run_grad_case(case, tw_backend)
    assert result.status == "fail"
    assert "finite differences" in result.message and "tw.grad gives" in result.message

    right = _bad_op(lambda g, out, x: (E.multiply(g, E.cos(x)),))
    ok = run_grad_case(GradCase("self/right_rule", "test_bad_sin", (A((2, 3), "float64"),),
                                fn=_apply(right)), tw_backend)
    assert ok.ok, ok.message


def test_a_wrong_gradient_shape_is_caught(tw_backend: str) -> None:
    from tensorweave.ops import elementwise as E
    from tensorweave.ops import reduction as R
    from tensorweave.testing.cases import A

    op = _bad_op(lambda g, out, x: (R.sum(E.multiply(g, E.cos(x)), axis=0),))
    result = run_grad_case(GradCase("self/shape", "test_bad_sin", (A((2, 3), "float64"),),
                                    fn=_apply(op)), tw_backend)
    assert result.status == "fail" and "ShapeError" in result.message


def test_a_point_on_a_kink_is_not_judged(tw_backend: str) -> None:
    from tensorweave.testing.cases import A

    at_kink = GradCase("self/kink", "relu", (A((3,), "float64", values=(0.0, 1.0, -1.0)),))
    result = run_grad_case(at_kink, tw_backend, attempts=2)
    assert result.status == "fail" and "kink" in result.message
    jump = GradCase("self/jump", "floor", (A((2,), "float64", values=(2.0, -1.0)),))
    assert "kink" in run_grad_case(jump, tw_backend, attempts=1).message


def test_zero_gradient_expectation(tw_backend: str) -> None:
    from tensorweave.testing.cases import A

    ok = run_grad_case(GradCase("self/stop", "stop_gradient", (A((2,), "float64"),),
                                zero_grad=True), tw_backend)
    assert ok.ok, ok.message
    bad = run_grad_case(GradCase("self/not_zero", "exp", (A((2,), "float64"),),
                                 zero_grad=True), tw_backend)
    assert bad.status == "fail" and "expected a zero gradient" in bad.message


def test_report_rows_and_filter(tw_backend: str) -> None:
    from tensorweave.testing.runner import run_gradient_conformance

    report = run_gradient_conformance(tw_backend, ops=["sigmoid", "jit"])
    assert [r.op for r in report.rows] == ["sigmoid", "jit"]
    assert report.reference == "finite differences (float64)"
    assert report.ok, report.format_table()
    assert report.rows[0].cases == sum(1 for c in GRAD_CASES if c.op == "sigmoid")
    assert report.rows[1].cases == len(TRANSFORM_CASES)


# ---- the command line ----------------------------------------------------------------------------
def test_cli_grad_section(tw_backend: str, capsys) -> None:  # noqa: ANN001
    import json

    from tensorweave.cli import main

    assert main(["conformance", "--backend", tw_backend, "--ops", "sigmoid,jit", "--grad",
                 "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["ok"] is True
    assert [r["op"] for r in doc["ops"]] == ["sigmoid"]  # the value section, as before
    grads = doc["gradients"]
    assert grads["reference"] == "finite differences (float64)"
    assert [r["op"] for r in grads["ops"]] == ["sigmoid", "jit"]
    assert main(["conformance", "--backend", tw_backend, "--ops", "graph_json", "--grad"]) == 0
    out = capsys.readouterr().out
    assert "gradients of backend" in out and "graph_json" in out
    assert "conformance of backend" not in out  # no value cases were asked for
    assert main(["conformance", "--backend", tw_backend, "--ops", "no_such_op", "--grad"]) == 2
    assert "no conformance or gradient cases for no_such_op" in capsys.readouterr().err
