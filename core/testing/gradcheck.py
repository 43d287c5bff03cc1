"""Gradient conformance: ``tw.grad`` against central finite differences in float64.

A :class:`GradCase` names a function of ``tensorweave.ops`` and its (tiny) float64
inputs. :func:`run_grad_case` checks, on one backend:

1. the function runs; a random cotangent ``c`` (uniform in [-1, 1], seeded by the case
   name) is drawn for each float output, and ``L(x) = sum(f(x) * c)`` is the scalar
   checked (so every output element and every input element matter);
2. ``tw.grad(L, argnums=...)`` gives one gradient per float input, of the input's shape
   and dtype;
3. each element ``j`` of each float input is moved by ``h = step * max(1, |x_j|)``
   (``step`` 1e-6 by default) both ways, ``L`` is evaluated eagerly and summed exactly
   in Python (``math.fsum``), and the central difference ``(L+ - L-) / (2h)`` must match
   the gradient within ``atol * max(1, sum |f(x) * c|) + rtol * |numeric|``
   (``rtol`` 1e-5, ``atol`` 1e-7: finite-difference and rounding error are far below
   that, while a wrong rule is off by O(1));
4. **kinks**: the one-sided differences ``(L+ - L)/h`` and ``(L - L-)/h`` must agree; when
   they do not (an input next to 0 under ``relu``/``abs``, a tie under ``max``, a jump of
   ``floor``), the point is not differentiable there, and the inputs are drawn again with
   another seed (up to four times) instead of reporting a false failure.

:func:`run_jit_case` checks that ``jit(f)`` gives what eager ``f`` gives, and
:func:`run_json_case` that a traced graph survives ``to_json``/``from_json`` (same text,
bit-identical results). :func:`run_gradient_conformance` runs all of them and returns a
:class:`~tensorweave.testing.runner.Report`, one row per op (``tensorweave conformance
--grad`` prints it). The catalog lives in :mod:`.catalog_gradients`.
"""

from __future__ import annotations

import math
import random
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .inputs import Arg, flat_values, generate, make_tensor
from .runner import CaseResult, OpRow, Report, _describe_exc, _kernel_status, _quiet

__all__ = ["GradCase", "TransformCase", "run_grad_case", "run_jit_case", "run_json_case",
           "run_gradient_conformance", "grad_cases", "jit_cases", "json_cases",
           "select_grad_cases", "check_gradients"]

FD_REFERENCE = "finite differences (float64)"


@dataclass(frozen=True, eq=False)
class GradCase:
    """One gradient check: ``fn(*lead, *tensors, *extra, **kwargs)`` differentiated with
    respect to the float tensors (or those in ``wrt``).

    ``op`` is the report row (an op name or public function); ``fn`` the name of a
    function in ``tensorweave.ops`` (default ``op``) or a callable; ``pack=True`` passes
    the tensors as one list. ``step``, ``rtol`` and ``atol`` tune the finite differences
    for a documented reason in ``note`` (e.g. a cast to float32, whose rounding needs a
    larger step). ``zero_grad=True`` (``stop_gradient``) expects a gradient of exactly
    zero instead of the finite differences.
    """

    name: str
    op: str
    args: tuple[Arg, ...] = ()
    fn: str | Callable[..., Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    lead: tuple = ()
    extra: tuple = ()
    pack: bool = False
    wrt: tuple[int, ...] | None = None
    zero_grad: bool = False
    step: float = 1e-6
    rtol: float = 1e-5
    atol: float = 1e-7
    note: str = ""

    def function(self) -> Callable[..., Any]:
        if callable(self.fn):
            return self.fn
        from .. import ops

        name = self.fn or self.op
        try:
            return getattr(ops, name)
        except AttributeError:
            raise AttributeError(f"gradient case {self.name}: tensorweave.ops has no "
                                 f"function {name!r}") from None

    def call(self, tensors: list) -> Any:
        f = self.function()
        if self.pack:
            return f(*self.lead, list(tensors), *self.extra, **self.kwargs)
        return f(*self.lead, *tensors, *self.extra, **self.kwargs)

    def wrt_indices(self) -> tuple[int, ...]:
        if self.wrt is not None:
            return tuple(self.wrt)
        return tuple(i for i, a in enumerate(self.args) if _is_float(a.dtype))

    def describe(self) -> str:
        ins = ", ".join(a.describe() for a in self.args) or "no tensor inputs"
        attrs = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.name}: ({ins})" + (f" {attrs}" if attrs else "")


@dataclass(frozen=True, eq=False)
class TransformCase:
    """A composite function for the ``jit`` and graph-JSON checks: ``fn(*tensors)``
    (any nesting of outputs). ``n`` is the longest reduction inside, for the tolerance
    between jitted and eager results."""

    name: str
    fn: Callable[..., Any]
    args: tuple[Arg, ...]
    n: int = 16
    note: str = ""

    def describe(self) -> str:
        return f"{self.name}: ({', '.join(a.describe() for a in self.args)})"


def _is_float(dtype: str) -> bool:
    return dtype.startswith(("float", "bfloat"))


def _seed(name: str, attempt: int) -> int:
    return zlib.crc32(f"{name}#{attempt}".encode()) if attempt else zlib.crc32(name.encode())


def _leaves(out: Any) -> list:
    """Tensors of a result (a tensor, or nested lists / tuples / dicts of them)."""
    from ..tensor import TensorBase

    if isinstance(out, TensorBase):
        return [out]
    if isinstance(out, dict):
        return [t for k in sorted(out, key=repr) for t in _leaves(out[k])]
    if isinstance(out, (list, tuple)):
        return [t for o in out for t in _leaves(o)]
    return []


def _contiguous(args: Iterable[Arg]) -> list[Arg]:
    return [replace(a, layout="contiguous") for a in args]


class _Kink(Exception):
    """The sampled point is not differentiable (one-sided differences disagree)."""


# ---- the gradient check -----------------------------------------------------------------------
def check_gradients(case: GradCase, backend: str, values: list[list],
                    rng: random.Random) -> tuple[float, float, list[str]]:
    """Compare ``tw.grad`` with central differences at ``values``; returns
    ``(max_abs_err, max_rel_err, problems)`` and raises :class:`_Kink` at a kink."""
    from .. import ops
    from ..backend_registry import backend_scope
    from ..graph import grad

    args = _contiguous(case.args)
    tensors = [make_tensor(a, v, backend) for a, v in zip(args, values)]
    with backend_scope(backend), _quiet():
        outs = _leaves(case.call(tensors))
    float_outs = [o for o in outs if o.dtype.is_floating]
    if not float_outs:
        return 0.0, 0.0, ["the function has no float output to differentiate"]
    cots = [[rng.uniform(-1.0, 1.0) for _ in range(_size(o.shape))] for o in float_outs]
    cot_tensors = [make_tensor(Arg(tuple(o.shape), "float64"), c, backend)
                   for o, c in zip(float_outs, cots)]
    wrt = case.wrt_indices()
    if not wrt:
        return 0.0, 0.0, ["the case has no float input to differentiate"]

    def loss(*xs: Any) -> Any:
        total = None
        res = [o for o in _leaves(case.call(list(xs))) if o.dtype.is_floating]
        for o, c in zip(res, cot_tensors):
            term = ops.sum(ops.multiply(o, c))
            total = term if total is None else ops.add(total, term)
        return total

    with backend_scope(backend), _quiet():
        got = grad(loss, argnums=wrt)(*tensors)
    problems: list[str] = []
    for i, g in zip(wrt, got):
        arg = args[i]
        if g is None:
            problems.append(f"input {i}: tw.grad returned None")
            continue
        if tuple(g.shape) != tuple(arg.shape) or g.dtype.name != arg.dtype:
            problems.append(f"input {i}: gradient has shape {tuple(g.shape)} dtype {g.dtype}, "
                            f"the input {tuple(arg.shape)} {arg.dtype}")
    if problems:
        return 0.0, 0.0, problems
    if case.zero_grad:
        for i, g in zip(wrt, got):
            nonzero = [v for v in flat_values(g) if v != 0.0]
            if nonzero:
                problems.append(f"input {i}: expected a zero gradient, got {len(nonzero)} "
                                f"non-zero values (e.g. {nonzero[0]!r})")
        return 0.0, 0.0, problems

    def value_of(vals: list[list]) -> tuple[float, float]:
        ts = [make_tensor(a, v, backend) for a, v in zip(args, vals)]
        with backend_scope(backend), _quiet():
            res = [o for o in _leaves(case.call(ts)) if o.dtype.is_floating]
        terms = []
        for o, c in zip(res, cots):
            terms += [float(a) * b for a, b in zip(flat_values(o), c)]
        return math.fsum(terms), math.fsum(abs(t) for t in terms)

    l0, mag = value_of(values)
    if not math.isfinite(l0):
        return 0.0, 0.0, [f"the checked value sum(f(x) * c) is {l0} at the sampled inputs"]
    atol = case.atol * max(1.0, mag)
    max_abs = max_rel = 0.0
    n_bad = 0
    for i, g in zip(wrt, got):
        analytic = flat_values(g)
        base = values[i]
        for j, x in enumerate(base):
            h = case.step * max(1.0, abs(x))
            xp, xm = x + h, x - h
            plus = list(values)
            plus[i] = base[:j] + [xp] + base[j + 1:]
            minus = list(values)
            minus[i] = base[:j] + [xm] + base[j + 1:]
            lp, _ = value_of(plus)
            lm, _ = value_of(minus)
            d_plus, d_minus = (lp - l0) / (xp - x), (l0 - lm) / (x - xm)
            if not (math.isfinite(d_plus) and math.isfinite(d_minus)) or \
                    abs(d_plus - d_minus) > 1e-3 * (1.0 + abs(d_plus) + abs(d_minus)):
                raise _Kink(f"input {i} at {j}")
            numeric = (lp - lm) / (xp - xm)
            a = float(analytic[j])
            err = abs(a - numeric) if math.isfinite(a) else math.inf
            max_abs = max(max_abs, err)
            if numeric:
                max_rel = max(max_rel, err / abs(numeric))
            if not err <= atol + case.rtol * abs(numeric):
                n_bad += 1
                if len(problems) < 3:
                    problems.append(f"d/d input {i} at flat index {j} (x={x:.6g}): tw.grad "
                                    f"gives {a:.9g}, finite differences {numeric:.9g}")
    if n_bad > len(problems):
        problems.append(f"(and {n_bad - len(problems)} more)")
    return max_abs, max_rel, problems


def _size(shape: tuple) -> int:
    return math.prod(int(d) for d in shape)


def run_grad_case(case: GradCase, backend: str, attempts: int = 4) -> CaseResult:
    """Check one gradient case on ``backend``; never raises for the backend's fault."""
    start = time.perf_counter()

    def done(status: str, message: str = "", max_abs: float = 0.0,
             max_rel: float = 0.0) -> CaseResult:
        return CaseResult(case.name, case.op, status, max_abs, max_rel, message,
                          time.perf_counter() - start)

    kinks = []
    for attempt in range(attempts):
        rng = random.Random(_seed(case.name, attempt))
        try:
            values = [generate(a, rng) for a in case.args]
        except Exception as exc:  # noqa: BLE001 - a broken case declaration
            return done("error", f"generating the inputs raised {_describe_exc(exc)}")
        try:
            max_abs, max_rel, problems = check_gradients(case, backend, values, rng)
        except _Kink as k:
            kinks.append(str(k))
            continue
        except Exception as exc:  # noqa: BLE001
            return done("fail", f"raised {_describe_exc(exc)}")
        if problems:
            return done("fail", "; ".join(problems), max_abs, max_rel)
        return done("pass", "", max_abs, max_rel)
    return done("fail", f"every one of {attempts} samples of the inputs sat on a kink "
                        f"(one-sided differences disagree: {', '.join(kinks)}); the function "
                        "is not differentiable there or its values jump")


# ---- jit and JSON round trip ---------------------------------------------------------------------
def _transform_inputs(case: TransformCase, backend: str) -> list:
    rng = random.Random(_seed(case.name, 0))
    args = _contiguous(case.args)
    return [make_tensor(a, generate(a, rng), backend) for a in args]


def _same_structure(a: Any, b: Any) -> bool:
    from ..graph.tracing import tree_flatten

    return tree_flatten(a)[1] == tree_flatten(b)[1]


def _compare_leaves(actual: list, expected: list, tol_for: Callable[[str], Any]) -> Any:
    from .compare import Comparison, compare_results

    out = Comparison()
    if len(actual) != len(expected):
        out.fail(f"{len(actual)} results, expected {len(expected)}")
        return out
    for k, (a, e) in enumerate(zip(actual, expected)):
        out.merge(compare_results(a, e, tol_for), prefix=f"result {k}: ")
    return out


def run_jit_case(case: TransformCase, backend: str) -> CaseResult:
    """``jit(f)(*xs)`` against eager ``f(*xs)`` on one backend (composite tolerance)."""
    from ..backend_registry import backend_scope
    from ..graph import jit
    from .tolerances import tolerance

    start = time.perf_counter()
    name = f"jit/{case.name}"

    def done(status: str, message: str = "", cmp: Any = None) -> CaseResult:
        return CaseResult(name, "jit", status, cmp.max_abs if cmp else 0.0,
                          cmp.max_rel if cmp else 0.0, message, time.perf_counter() - start)

    try:
        xs = _transform_inputs(case, backend)
        with backend_scope(backend), _quiet():
            eager = case.fn(*xs)
    except Exception as exc:  # noqa: BLE001
        return done("error", f"eager call raised {_describe_exc(exc)}")
    try:
        with backend_scope(backend), _quiet():
            jitted = jit(case.fn)
            first = jitted(*xs)
            again = jitted(*xs)  # the cached plan
    except Exception as exc:  # noqa: BLE001
        return done("fail", f"jit raised {_describe_exc(exc)}")
    if not _same_structure(first, eager):
        return done("fail", "jit returned a different structure than the eager call")

    def tol_for(dtype: str) -> Any:
        return tolerance("softmax", dtype, n=case.n, scale=1.0, family="composite")

    cmp = _compare_leaves(_leaves(first), _leaves(eager), tol_for)
    cmp2 = _compare_leaves(_leaves(again), _leaves(first), lambda d: tolerance("add", d,
                                                                                family="exact"))
    cmp.merge(cmp2, prefix="second call: ")
    if not cmp.ok:
        return done("fail", "; ".join(cmp.problems), cmp)
    return done("pass", "", cmp)


def run_json_case(case: TransformCase, backend: str) -> CaseResult:
    """Trace ``f``, write the graph as JSON and read it back: the text must match and both
    graphs must give bit-identical results on ``backend``."""
    from ..backend_registry import backend_scope
    from ..graph import Graph, trace
    from .tolerances import tolerance

    start = time.perf_counter()
    name = f"graph_json/{case.name}"

    def done(status: str, message: str = "", cmp: Any = None) -> CaseResult:
        return CaseResult(name, "graph_json", status, cmp.max_abs if cmp else 0.0,
                          cmp.max_rel if cmp else 0.0, message, time.perf_counter() - start)

    try:
        xs = _transform_inputs(case, backend)
        with backend_scope(backend), _quiet():
            g = trace(case.fn, *xs)
            expected = g.run(*xs)
    except Exception as exc:  # noqa: BLE001
        return done("error", f"tracing or running the original graph raised "
                             f"{_describe_exc(exc)}")
    try:
        with backend_scope(backend), _quiet():
            text = g.to_json()
            g2 = Graph.from_json(text)
            actual = g2.run(*xs)
            text2 = g2.to_json()
    except Exception as exc:  # noqa: BLE001
        return done("fail", f"the round trip raised {_describe_exc(exc)}")
    if g2.to_text() != g.to_text():
        return done("fail", "to_text() differs after the round trip:\n" + g2.to_text())
    if text2 != text:
        return done("fail", "writing the loaded graph gives different JSON")
    if g2.in_tree != g.in_tree or g2.out_tree != g.out_tree:
        return done("fail", "in_tree/out_tree changed in the round trip")
    exp = expected if isinstance(expected, list) else [expected]
    act = actual if isinstance(actual, list) else [actual]
    cmp = _compare_leaves(act, exp, lambda d: tolerance("add", d, family="exact"))
    if not cmp.ok:
        return done("fail", "; ".join(cmp.problems), cmp)
    return done("pass", "", cmp)


# ---- catalogs and the report --------------------------------------------------------------------
def grad_cases() -> list[GradCase]:
    from .catalog_gradients import gradient_cases

    return list(gradient_cases())


def jit_cases() -> list[TransformCase]:
    from .catalog_gradients import transform_cases

    return list(transform_cases())


def json_cases() -> list[TransformCase]:
    from .catalog_gradients import transform_cases

    return list(transform_cases())


def select_grad_cases(ops: Iterable[str] | None = None) -> list[GradCase]:
    """The gradient cases of the named ops (all when ``None``); unknown names are ignored
    (an op may have value cases but no gradient)."""
    pool = grad_cases()
    if ops is None:
        return pool
    wanted = set(ops)
    return [c for c in pool if c.op in wanted]


def run_gradient_conformance(backend: str, ops: Iterable[str] | None = None,
                             transforms: bool = True,
                             progress: Callable[[CaseResult], None] | None = None) -> Report:
    """Every gradient case (or those of ``ops``) on ``backend``, plus the ``jit`` and
    graph-JSON cases (rows ``jit`` and ``graph_json``) when ``transforms`` is true and no
    op filter excludes them (name them in ``ops`` to keep them)."""
    from ..backend_registry import get_backend

    be = get_backend(backend)
    start = time.perf_counter()
    wanted = None if ops is None else list(ops)
    selected = select_grad_cases(wanted)
    rows: dict[str, OpRow] = {}
    results: list[CaseResult] = []

    def record(r: CaseResult, kind: str | None = None) -> None:
        row = rows.get(r.op)
        if row is None:
            k, kernel = ("function", "-") if kind else _kernel_status(r.op, be)
            row = rows[r.op] = OpRow(r.op, k, kernel)
        row.add(r)
        results.append(r)
        if progress is not None:
            progress(r)

    for c in selected:
        record(run_grad_case(c, backend))
    if transforms:
        for row_name, runner in (("jit", run_jit_case), ("graph_json", run_json_case)):
            if wanted is not None and row_name not in wanted:
                continue
            for tc in jit_cases():
                record(runner(tc, backend), kind="function")
    ordered = sorted(rows.values(), key=lambda r: ({"primitive": 0, "composite": 1,
                                                    "function": 2}[r.kind], r.op))
    return Report(be.name, FD_REFERENCE, ordered, results, time.perf_counter() - start)
