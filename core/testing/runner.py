"""Run the conformance cases against one backend and tabulate the outcome per op.

:func:`run_case` builds the case's inputs on the reference backend and on the backend
under test (identical values; strided layouts on the tested backend where it has them),
runs the op on each inside ``backend_scope`` and compares the results
(:mod:`tensorweave.testing.compare`). It never raises for a backend's fault: an exception
from the tested backend, a wrong shape or dtype, a kernel that writes into its inputs, or
a missing kernel all become a failed :class:`CaseResult` with a message.

:func:`run_conformance` runs many cases and returns a :class:`Report` with one
:class:`OpRow` per op: cases run, passed/failed, the largest absolute and relative
errors, and whether the backend has a kernel for it, falls back on the decomposition
(composite ops) or lacks a kernel it must have (primitive ops: always a failure, listed
in ``Report.missing_kernels``).
"""

from __future__ import annotations

import contextlib
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .case import Case, case_values, default_scale
from .compare import Comparison, compare_results, compare_values
from .inputs import flat_values, make_tensor
from .tolerances import Tolerance, tolerance

__all__ = ["CaseResult", "OpRow", "Report", "run_case", "run_conformance", "select_cases",
           "run_gradient_conformance"]

DEFAULT_REFERENCE = "python"


@dataclass
class CaseResult:
    """Outcome of one case. ``status``: ``pass``, ``fail`` (the tested backend is wrong or
    raised) or ``error`` (the reference itself failed, so nothing could be judged)."""

    case: str
    op: str
    status: str
    max_abs: float = 0.0
    max_rel: float = 0.0
    message: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "pass"


@dataclass
class OpRow:
    """One line of the conformance table."""

    op: str
    kind: str  # "primitive", "composite" or "function" (a public function built from ops)
    kernel: str  # "kernel", "decomposition", "missing" or "-" (functions)
    cases: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    failures: list[CaseResult] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.kernel == "missing":
            return "missing kernel"
        if self.failed:
            return "FAIL"
        if self.errors:
            return "ref error"
        if not self.cases:
            return "no cases"
        return "pass"

    @property
    def ok(self) -> bool:
        return self.status in ("pass", "no cases")

    def add(self, r: CaseResult) -> None:
        self.cases += 1
        if r.status == "pass":
            self.passed += 1
        elif r.status == "fail":
            self.failed += 1
            self.failures.append(r)
        else:
            self.errors += 1
            self.failures.append(r)
        if r.status != "error":
            self.max_abs = max(self.max_abs, r.max_abs)
            self.max_rel = max(self.max_rel, r.max_rel)


def _num(v: float) -> float | str:
    return v if math.isfinite(v) else str(v)


@dataclass
class Report:
    """Everything one conformance run found; ``ok`` is False on any failure."""

    backend: str
    reference: str
    rows: list[OpRow]
    results: list[CaseResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def failed_ops(self) -> list[str]:
        return [r.op for r in self.rows if not r.ok]

    @property
    def missing_kernels(self) -> list[str]:
        return [r.op for r in self.rows if r.kernel == "missing"]

    @property
    def decomposed_ops(self) -> list[str]:
        return [r.op for r in self.rows if r.kernel == "decomposition"]

    @property
    def uncovered_ops(self) -> list[str]:
        return [r.op for r in self.rows if r.cases == 0 and r.kind != "function"]

    def summary(self) -> str:
        n_cases = len(self.results)
        n_pass = sum(1 for r in self.results if r.ok)
        bad = self.failed_ops
        parts = [f"{self.backend} vs {self.reference}: {len(self.rows) - len(bad)}/"
                 f"{len(self.rows)} ops pass, {n_pass}/{n_cases} cases pass"]
        if self.missing_kernels:
            parts.append(f"{len(self.missing_kernels)} missing kernels")
        if self.decomposed_ops:
            parts.append(f"{len(self.decomposed_ops)} composites via decomposition")
        if self.uncovered_ops:
            parts.append(f"{len(self.uncovered_ops)} ops without cases")
        parts.append(f"{self.seconds:.1f}s")
        head = "OK" if self.ok else "FAILED"
        return f"{head}: " + ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready report (strict JSON: an infinite error is the string ``"inf"``)."""
        from .. import __version__

        return {
            "tensorweave": __version__,
            "backend": self.backend,
            "reference": self.reference,
            "ok": self.ok,
            "summary": {
                "ops": len(self.rows),
                "ops_failed": len(self.failed_ops),
                "cases": len(self.results),
                "cases_passed": sum(1 for r in self.results if r.ok),
                "seconds": round(self.seconds, 3),
            },
            "failed_ops": self.failed_ops,
            "missing_kernels": self.missing_kernels,
            "decomposed_ops": self.decomposed_ops,
            "uncovered_ops": self.uncovered_ops,
            "ops": [
                {
                    "op": r.op, "kind": r.kind, "kernel": r.kernel, "status": r.status,
                    "cases": r.cases, "passed": r.passed, "failed": r.failed,
                    "errors": r.errors, "max_abs_error": _num(r.max_abs),
                    "max_rel_error": _num(r.max_rel),
                    "failures": [{"case": f.case, "status": f.status, "message": f.message}
                                 for f in r.failures],
                }
                for r in self.rows
            ],
        }

    def format_table(self, failures: bool = True) -> str:
        """The per-op table, the failing cases, and the summary line."""
        head = ("op", "status", "cases", "kernel", "max abs err", "max rel err")
        lines = []
        body = [(r.op, r.status, f"{r.passed}/{r.cases}", _kernel_text(r), _err(r.max_abs),
                 _err(r.max_rel)) for r in self.rows]
        widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines.append(fmt.format(*head))
        lines.append(fmt.format(*("-" * w for w in widths)))
        lines += [fmt.format(*row) for row in body]
        if failures:
            bad = [(r, f) for r in self.rows for f in r.failures]
            missing = [r for r in self.rows if r.kernel == "missing"]
            if missing or bad:
                lines.append("")
                lines.append("failures:")
            for r in missing:
                lines.append(f"  {r.op}: backend {self.backend!r} has no kernel for this "
                             "primitive op")
            for _, f in bad:
                lines.append(f"  {f.case} [{f.status}]: {f.message}")
        lines.append("")
        lines.append(self.summary())
        return "\n".join(lines)


def _kernel_text(r: OpRow) -> str:
    return {"kernel": "kernel", "decomposition": "no kernel (uses decomposition)",
            "missing": "MISSING KERNEL", "-": "-"}.get(r.kernel, r.kernel)


def _err(v: float) -> str:
    if v == 0.0:
        return "0"
    return f"{v:.2e}" if math.isfinite(v) else str(v)


# ---- running one case ---------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet() -> Any:
    """Backends may warn on NaN/inf arithmetic (NumPy's RuntimeWarnings); results, not
    warnings, are the contract, so the kit's output stays readable."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _describe_exc(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"


def _inputs_unchanged(tensors: list, values: list[list], args: Sequence[Any]) -> str | None:
    for i, (t, vals, arg) in enumerate(zip(tensors, values, args)):
        try:
            now = flat_values(t)
        except Exception as exc:  # noqa: BLE001
            return f"reading input {i} back raised {_describe_exc(exc)}"
        cmp = compare_values(now, vals, tuple(arg.shape), arg.dtype.startswith(("float",
                                                                                "bfloat")),
                             Tolerance())
        if not cmp.ok:
            return f"input {i} ({arg.describe()}) was modified by the op: {cmp.problems[0]}"
    return None


def _build_inputs(case: Case, values: list[list], backend: str, contiguous: bool) -> list:
    out = []
    for arg, vals in zip(case.args, values):
        a = replace(arg, layout="contiguous") if contiguous else arg
        out.append(make_tensor(a, vals, backend))
    return out


def run_case(case: Case, backend: str, reference: str = DEFAULT_REFERENCE) -> CaseResult:
    """Run one case on ``backend`` and ``reference`` and compare; never raises for a
    backend's fault (it becomes a failed result with a message)."""
    from ..backend_registry import backend_scope

    start = time.perf_counter()

    def done(status: str, message: str = "", cmp: Comparison | None = None) -> CaseResult:
        return CaseResult(case.name, case.op, status,
                          cmp.max_abs if cmp else 0.0, cmp.max_rel if cmp else 0.0,
                          message, time.perf_counter() - start)

    values = case_values(case)
    # the reference: contiguous inputs, its own result
    try:
        ref_inputs = _build_inputs(case, values, reference, contiguous=True)
        with backend_scope(reference), _quiet():
            expected = case.call(ref_inputs)
    except Exception as exc:  # noqa: BLE001
        return done("error", f"reference backend {reference!r} raised {_describe_exc(exc)}")
    # the backend under test
    try:
        inputs = _build_inputs(case, values, backend, contiguous=False)
    except Exception as exc:  # noqa: BLE001
        return done("fail", f"creating the inputs raised {_describe_exc(exc)}")
    for i, (t, vals, arg) in enumerate(zip(inputs, values, case.args)):
        try:
            held = flat_values(t)
        except Exception as exc:  # noqa: BLE001
            return done("fail", f"reading input {i} back raised {_describe_exc(exc)}")
        cmp = compare_values(held, vals, tuple(arg.shape),
                             arg.dtype.startswith(("float", "bfloat")), Tolerance())
        if not cmp.ok:
            return done("fail", f"input {i} ({arg.describe()}) does not hold the values it "
                                f"was created from: {cmp.problems[0]}")
    try:
        with backend_scope(backend), _quiet():
            actual = case.call(inputs)
    except Exception as exc:  # noqa: BLE001
        return done("fail", f"raised {_describe_exc(exc)}")
    scale = case.scale if case.scale is not None else default_scale(case, values)

    def tol_for(dtype_name: str) -> Tolerance:
        return tolerance(case.op, dtype_name, n=case.n, scale=scale, family=case.family,
                         factor=case.tol_factor)

    try:
        cmp = compare_results(actual, expected, tol_for)
    except Exception as exc:  # noqa: BLE001
        return done("fail", f"comparing the results raised {_describe_exc(exc)}")
    if cmp.ok:
        mutated = _inputs_unchanged(inputs, values, case.args)
        if mutated:
            cmp.fail(mutated)
    if not cmp.ok:
        return done("fail", "; ".join(cmp.problems), cmp)
    return done("pass", "", cmp)


# ---- running many ------------------------------------------------------------------------------
def select_cases(ops: Iterable[str] | None = None, cases: Iterable[Case] | None = None
                 ) -> list[Case]:
    """The cases of the named ops/functions (all cases when ``ops`` is None); raises
    ``InvalidArgumentError`` naming any op that has no cases."""
    from ..errors import InvalidArgumentError
    from .cases import all_cases

    pool = list(all_cases() if cases is None else cases)
    if ops is None:
        return pool
    wanted = [o for o in ops]
    known = {c.op for c in pool}
    unknown = [o for o in wanted if o not in known]
    if unknown:
        raise InvalidArgumentError(
            f"no conformance cases for {', '.join(unknown)}; ops with cases: "
            f"{', '.join(sorted(known))}")
    return [c for c in pool if c.op in set(wanted)]


def _kernel_status(op: str, be: Any) -> tuple[str, str]:
    from ..ops import all_ops

    opdef = all_ops().get(op)
    if opdef is None:
        return "function", "-"
    kind = "primitive" if opdef.primitive else "composite"
    try:
        has = bool(be.has_kernel(op))
    except Exception:  # noqa: BLE001 - a broken has_kernel counts as no kernel
        has = False
    if has:
        return kind, "kernel"
    return kind, "missing" if opdef.primitive else "decomposition"


def run_conformance(backend: str, reference: str = DEFAULT_REFERENCE,
                    ops: Iterable[str] | None = None, cases: Iterable[Case] | None = None,
                    progress: Callable[[CaseResult], None] | None = None) -> Report:
    """Run the cases (all, or those of ``ops``) on ``backend`` against ``reference``.

    Raises ``BackendUnavailableError`` when either backend cannot run here (before any
    case runs); everything that goes wrong inside a case is recorded, never raised.
    """
    from ..backend_registry import get_backend
    from ..ops import all_ops

    be = get_backend(backend)
    get_backend(reference)
    start = time.perf_counter()
    selected = select_cases(ops, cases)
    rows: dict[str, OpRow] = {}
    order: list[str] = []
    if ops is None and cases is None:
        order = sorted(all_ops())  # every op gets a row, even one without cases
    for c in selected:
        if c.op not in order:
            order.append(c.op)
    for op in order:
        kind, kernel = _kernel_status(op, be)
        rows[op] = OpRow(op, kind, kernel)
    results = []
    for c in selected:
        r = run_case(c, backend, reference)
        rows[c.op].add(r)
        results.append(r)
        if progress is not None:
            progress(r)
    ordered = sorted(rows.values(), key=lambda r: ({"primitive": 0, "composite": 1,
                                                    "function": 2}[r.kind], r.op))
    return Report(be.name, reference, ordered, results, time.perf_counter() - start)


def run_gradient_conformance(backend: str, ops: Iterable[str] | None = None,
                             transforms: bool = True,
                             progress: Callable[[CaseResult], None] | None = None) -> Report:
    """Gradients of every differentiable op (or those of ``ops``) on ``backend`` against
    central finite differences in float64, plus the ``jit`` and graph-JSON rows; see
    :mod:`tensorweave.testing.gradcheck`. The report's reference is the string
    ``"finite differences (float64)"``."""
    from .gradcheck import run_gradient_conformance as _run

    return _run(backend, ops=ops, transforms=transforms, progress=progress)
