"""The conformance kit: the NumPy backend against the reference on every case, the
reference against itself, and the kit's own parts (tolerances, inputs, comparison,
runner) including that it catches deliberately broken backends without crashing.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.backend_registry import register_backend
from tensorweave.backends.numpy import NumpyBackend
from tensorweave.errors import BackendUnavailableError, InvalidArgumentError
from tensorweave.testing import all_cases, cases_for, run_case, run_conformance
from tensorweave.testing.case import Case, case_values
from tensorweave.testing.cases import A
from tensorweave.testing.compare import compare_values
from tensorweave.testing.inputs import make_tensor, round_value
from tensorweave.testing.tolerances import EPS, Tolerance, family_of, tolerance


def _unexpected(report, known):  # noqa: ANN001, ANN202
    """Failed case results not covered by a known failure, and known ones that passed."""
    bad = [r for r in report.results if not r.ok
           and not any(k.matches(report.backend, r.case, r.message) for k in known)]
    return bad


# ---- whole runs --------------------------------------------------------------------------------
def test_numpy_backend_conforms_to_the_reference(known_failures) -> None:  # noqa: ANN001
    report = run_conformance("numpy", reference="python")
    bad = _unexpected(report, known_failures)
    assert not bad, "numpy disagrees with the reference:\n" + "\n".join(
        f"  {r.case} [{r.status}]: {r.message}" for r in bad)
    assert report.missing_kernels == []
    assert report.uncovered_ops == [], "ops without conformance cases"
    # every known failure still happens (delete an entry once its fix lands)
    for k in known_failures:
        if k.backend in ("numpy", "*"):
            hit = [r for r in report.results
                   if not r.ok and k.matches("numpy", r.case, r.message)]
            assert hit, f"known failure {k.case!r} ({k.reason}) no longer fails: remove it " \
                        "from KNOWN_FAILURES in tests/conftest.py"


def test_reference_against_itself_is_exact(known_failures) -> None:  # noqa: ANN001
    """A sanity check of the kit: the same backend twice gives identical results."""
    ops = ["add", "sum", "matmul", "conv", "cast", "argsort", "softmax", "slice",
           "scatter_add", "getitem", "linspace"]
    report = run_conformance("python", reference="python", ops=ops)
    assert sorted(r.op for r in report.rows) == sorted(ops)
    bad = _unexpected(report, known_failures)
    assert not bad, "\n".join(f"{r.case}: {r.message}" for r in bad)
    for row in report.rows:
        assert (row.max_abs, row.max_rel) == (0.0, 0.0), row.op


def test_every_op_has_cases() -> None:
    from tensorweave.ops import all_ops

    plugin_ops: set[str] = set()
    pm = sys.modules.get("tensorweave.plugin_manager")
    for info in getattr(pm, "_info", {}).values() if pm else ():
        plugin_ops.update(info.contributions.get("ops", []))
    covered = {c.op for c in all_cases()}
    missing = sorted(set(all_ops()) - covered - plugin_ops)
    assert not missing, f"ops without conformance cases: {missing}"


def test_case_names_are_unique_and_cases_are_small() -> None:
    cases = all_cases()
    names = [c.name for c in cases]
    assert len(names) == len(set(names))
    for c in cases:
        assert sum(math.prod(a.shape) for a in c.args) <= 400, c.name


# ---- tolerances --------------------------------------------------------------------------------
def test_integer_and_bool_results_are_always_exact() -> None:
    for dt in ("int8", "uint64", "bool"):
        assert tolerance("sum", dt, n=1000).exact
        assert tolerance("exp", dt).exact


def test_exact_ops_have_zero_tolerance_in_every_float_dtype() -> None:
    for op in ("reshape", "transpose", "slice", "less", "take", "max", "cast"):
        assert family_of(op) == "exact"
        assert tolerance(op, "float16").exact


def test_reduction_tolerance_grows_with_sqrt_n_and_term_size() -> None:
    t1 = tolerance("sum", "float32", n=1)
    t100 = tolerance("sum", "float32", n=100, scale=3.0)
    assert t100.rtol == pytest.approx(10 * t1.rtol)
    assert t100.atol == pytest.approx(30 * t1.atol)
    assert t1.rtol == pytest.approx(4 * EPS["float32"])


def test_transcendentals_are_looser_in_half_precision() -> None:
    f32 = tolerance("exp", "float32")
    f16 = tolerance("exp", "float16")
    assert f16.rtol / EPS["float16"] > f32.rtol / EPS["float32"]
    assert tolerance("add", "float32").rtol == EPS["float32"]


def test_overrides_and_unknown_family() -> None:
    assert tolerance("erf", "float64").rtol == 1e-13
    with pytest.raises(KeyError, match="unknown tolerance family 'nope'"):
        tolerance("add", "float32", family="nope")


# ---- comparison ----------------------------------------------------------------------------------
def test_nan_positions_must_match() -> None:
    cmp = compare_values([1.0, math.nan], [math.nan, 1.0], (2,), True, Tolerance(1.0, 1.0))
    assert not cmp.ok
    assert "NaN positions differ" in cmp.problems[0] and "at (0,)" in cmp.problems[0]
    same = compare_values([math.nan, 2.0], [math.nan, 2.0], (2,), True, Tolerance())
    assert same.ok


def test_infinities_must_match_exactly_and_signed_zeros_are_equal() -> None:
    assert not compare_values([math.inf], [-math.inf], (1,), True, Tolerance(1, 1)).ok
    assert not compare_values([1e300], [math.inf], (1,), True, Tolerance(1, 1)).ok
    assert compare_values([-0.0], [0.0], (1,), True, Tolerance()).ok


def test_tolerance_is_applied_and_errors_reported() -> None:
    tol = Tolerance(rtol=1e-3, atol=0.0)
    assert compare_values([1.0005], [1.0], (1,), True, tol).ok
    cmp = compare_values([1.0, 1.01], [1.0, 1.0], (1, 2), True, tol)
    assert not cmp.ok and "at (0, 1): got 1.01, expected 1" in cmp.problems[0]
    assert cmp.max_abs == pytest.approx(0.01) and cmp.max_rel == pytest.approx(0.01)
    ints = compare_values([1, 2], [1, 3], (2,), False, Tolerance(1.0, 1.0))
    assert not ints.ok  # ints ignore the float tolerance


# ---- inputs --------------------------------------------------------------------------------------
def test_values_are_rounded_to_the_dtype_in_python() -> None:
    assert round_value(0.1, tw.float16) == 0.0999755859375
    assert round_value(1.0 + 2.0 ** -8, tw.bfloat16) == 1.0  # tie to even
    assert round_value(1.0 + 3 * 2.0 ** -8, tw.bfloat16) == 1.015625
    assert round_value(70000.0, tw.float16) == math.inf
    assert round_value(200, tw.int8) == -56
    assert round_value(-1, tw.uint16) == 65535


def test_inputs_are_deterministic_and_rounded() -> None:
    case = cases_for("add")[0]
    assert case_values(case) == case_values(case)
    for c in all_cases()[:50]:
        for arg, vals in zip(c.args, case_values(c)):
            assert len(vals) == math.prod(arg.shape)
            dt = tw.dtypes.canonicalize(arg.dtype)
            assert all(round_value(v, dt) == v or v != v for v in vals)


def test_the_kit_builds_inputs_without_numpy() -> None:
    code = textwrap.dedent("""
        import sys
        from tensorweave.testing.cases import all_cases
        from tensorweave.testing.case import case_values
        n = sum(len(v) for c in all_cases() for v in case_values(c))
        assert n > 1000
        assert "numpy" not in sys.modules, "the kit imported numpy"
        assert "hypothesis" not in sys.modules
        print("ok")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr


@pytest.mark.parametrize("layout", ["transposed", "strided", "offset", "broadcast"])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "int16", "bool"])
def test_layouts_are_views_with_the_same_values(layout: str, dtype: str) -> None:
    case = Case(f"layout/{layout}/{dtype}", "copy", (A((3, 4), dtype, layout=layout),))
    (vals,) = case_values(case)
    t = make_tensor(case.args[0], vals, "numpy")
    ref = make_tensor(A((3, 4), dtype), vals, "python")
    assert t.shape == (3, 4) and t.dtype == dtype
    assert t.tolist() == ref.tolist()
    if layout != "offset":
        assert not t.data.flags["C_CONTIGUOUS"]
    else:
        assert t.data.base is not None
    # the reference backend has no strides: same values, plain list
    assert make_tensor(case.args[0], vals, "python").tolist() == ref.tolist()


# ---- the runner against broken backends ----------------------------------------------------------
def _mutant(name: str, patch) -> str:  # noqa: ANN001
    """A NumPy backend with some kernels replaced, registered as ``name``. Results are
    passed through ``np.asarray`` so that only the patched kernels can fail."""

    class Mutant(NumpyBackend):
        def __init__(self) -> None:
            super().__init__()
            patch(self.kernels)

        def prepare(self, op_name, attrs, in_specs, out_specs):  # noqa: ANN001, ANN201
            fn = super().prepare(op_name, attrs, in_specs, out_specs)
            if fn is None or len(out_specs) != 1:
                return fn
            return lambda *arrays: np.asarray(fn(*arrays))

    Mutant.name = name
    register_backend(name, Mutant)
    return name


def _set(op, fn):  # noqa: ANN001, ANN202
    return lambda k: k.__setitem__(op, fn)


def test_a_wrong_kernel_fails_and_is_named() -> None:
    be = _mutant("conf_mutant_add", _set("add", lambda x, y: np.add(x, y) + (x.dtype.kind == "f")
                                        * np.asarray(1e-3, x.dtype)))
    report = run_conformance(be, ops=["add", "multiply"])
    assert report.failed_ops == ["add"]
    row = next(r for r in report.rows if r.op == "add")
    assert row.status == "FAIL" and row.failed > 0
    assert "values differ" in row.failures[0].message
    assert not report.ok


def test_one_ulp_in_a_transcendental_is_accepted_eight_are_not() -> None:
    def scaled(ulps):  # noqa: ANN001, ANN202
        return lambda x: np.asarray(np.exp(x) * (1 + ulps * np.finfo(x.dtype).eps)
                                    if x.dtype != np.float16 else np.exp(x), x.dtype)
    near = run_case(cases_for("exp")[2], _mutant("conf_exp_1ulp", _set("exp", scaled(1))))
    far = run_case(cases_for("exp")[2], _mutant("conf_exp_8ulp", _set("exp", scaled(8))))
    assert cases_for("exp")[2].name == "exp/float32"
    assert near.ok, near.message
    assert not far.ok and "exp/float32" == far.case


def test_unstable_argsort_and_rounding_away_from_zero_are_caught() -> None:
    be = _mutant("conf_mutant_sorts", lambda k: k.update({
        "argsort": lambda x, axis, descending: np.argsort(
            x if not descending else -x.astype(np.float64), axis=axis,
            kind="quicksort").astype(np.int32),
        "round": lambda x: np.asarray(np.sign(x) * np.floor(np.abs(x) + 0.5), x.dtype)}))
    report = run_conformance(be, ops=["argsort", "round"])
    assert {r.op for r in report.rows if r.status == "FAIL"} == {"argsort", "round"}


def test_missing_primitive_kernel_is_a_listed_failure_not_a_crash() -> None:
    be = _mutant("conf_mutant_nosin", lambda k: k.pop("sin"))
    report = run_conformance(be, ops=["sin", "tan", "cos"])
    assert report.missing_kernels == ["sin"]
    rows = {r.op: r for r in report.rows}
    assert rows["sin"].status == "missing kernel" and rows["cos"].status != "missing kernel"
    assert rows["tan"].status == "FAIL"  # tan = sin / cos
    assert "NotImplementedKernelError" in rows["sin"].failures[0].message
    table = report.format_table()
    assert "MISSING KERNEL" in table and "has no kernel for this primitive op" in table


def test_composite_without_kernel_uses_the_decomposition() -> None:
    be = _mutant("conf_mutant_nosigmoid", lambda k: k.pop("sigmoid"))
    report = run_conformance(be, ops=["sigmoid"])
    (row,) = report.rows
    assert row.kernel == "decomposition" and row.status == "pass"
    assert "no kernel (uses decomposition)" in report.format_table()


def test_kernels_that_raise_write_into_inputs_or_lie_about_dtype() -> None:
    def inplace(k):  # noqa: ANN001, ANN202
        def neg(x):  # noqa: ANN001, ANN202
            np.negative(x, out=x) if x.flags.writeable else None
            return x
        k["neg"] = neg

    be = _mutant("conf_mutant_misc", lambda k: (
        inplace(k),
        k.__setitem__("floor", lambda x: (_ for _ in ()).throw(RuntimeError("boom"))),
        k.__setitem__("ceil", lambda x: np.ceil(x).astype(np.float64)),
        k.__setitem__("sqrt", lambda x: np.sqrt(x).reshape(-1))))
    report = run_conformance(be, ops=["neg", "floor", "ceil", "sqrt"])
    msgs = {r.op: r.failures[0].message for r in report.rows if r.failures}
    assert "was modified by the op" in msgs["neg"]
    assert msgs["floor"].startswith("raised RuntimeError: boom")
    assert "dtype float64" in msgs["ceil"]
    assert "shape" in msgs["sqrt"]


def test_reference_failures_are_errors_not_passes() -> None:
    be = _mutant("conf_mutant_ref", lambda k: k.pop("exp"))
    result = run_case(cases_for("exp")[0], "numpy", reference=be)
    assert result.status == "error" and "reference backend" in result.message


def test_unknown_ops_and_backends_are_clear_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="no conformance cases for nope"):
        run_conformance("numpy", ops=["nope"])
    with pytest.raises(BackendUnavailableError, match="not installed"):
        run_conformance("no_such_backend")


def test_report_json_is_strict_json() -> None:
    be = _mutant("conf_mutant_json", _set("exp", lambda x: np.full_like(x, np.nan)))
    report = run_conformance(be, ops=["exp", "add"])
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["ok"] is False and data["failed_ops"] == ["exp"]
    exp = next(o for o in data["ops"] if o["op"] == "exp")
    assert exp["kind"] == "primitive" and exp["kernel"] == "kernel"
    assert exp["failures"] and {"case", "status", "message"} <= set(exp["failures"][0])
