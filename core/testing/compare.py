"""Comparing one backend's result with the reference's, value by value, in pure Python.

Results are read back with the backend's own ``to_list`` (so the comparison needs no
NumPy and works for any backend), then checked for: the same structure (a tensor, or a
list/tuple of tensors), the same shape and dtype, a storage array that agrees with both
(a kernel returning the wrong shape or dtype is hidden by the wrapper otherwise), NaN in
the same positions, identical infinities, and finite values within the tolerance from
:mod:`tensorweave.testing.tolerances`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .tolerances import Tolerance

__all__ = ["Comparison", "compare_values", "compare_results", "storage_problem"]


@dataclass
class Comparison:
    """Outcome of comparing one case's results: ``ok`` plus the worst errors seen."""

    ok: bool = True
    max_abs: float = 0.0
    max_rel: float = 0.0
    problems: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.ok = False
        self.problems.append(message)

    def merge(self, other: Comparison, prefix: str = "") -> None:
        self.ok = self.ok and other.ok
        self.max_abs = max(self.max_abs, other.max_abs)
        self.max_rel = max(self.max_rel, other.max_rel)
        self.problems += [prefix + p for p in other.problems]


def _fmt(v: Any) -> str:
    return repr(v) if not isinstance(v, float) else f"{v:.9g}"


def _index_of(k: int, shape: tuple) -> tuple:
    idx = []
    for d in reversed(shape):
        if d:
            idx.append(k % d)
            k //= d
    return tuple(reversed(idx))


def compare_values(actual: list, expected: list, shape: tuple, is_float: bool,
                   tol: Tolerance, max_reports: int = 3) -> Comparison:
    """Compare two row-major value lists of one shape (exact unless ``is_float``)."""
    out = Comparison()
    if len(actual) != len(expected):
        out.fail(f"{len(actual)} values, expected {len(expected)}")
        return out
    bad: list[str] = []
    n_bad = 0
    for k, (a, e) in enumerate(zip(actual, expected)):
        if not is_float:
            if a != e:
                n_bad += 1
                if len(bad) < max_reports:
                    bad.append(f"at {_index_of(k, shape)}: got {_fmt(a)}, expected {_fmt(e)}")
                if isinstance(a, (int, float)) and isinstance(e, (int, float)):
                    out.max_abs = max(out.max_abs, abs(float(a) - float(e)))
            continue
        a = float(a)
        e = float(e)
        a_nan, e_nan = math.isnan(a), math.isnan(e)
        if a_nan or e_nan:
            if a_nan != e_nan:
                n_bad += 1
                out.max_abs = math.inf
                if len(bad) < max_reports:
                    bad.append(f"at {_index_of(k, shape)}: got {_fmt(a)}, expected "
                               f"{_fmt(e)} (NaN positions differ)")
            continue
        if math.isinf(a) or math.isinf(e):
            if a != e:
                n_bad += 1
                out.max_abs = math.inf
                if len(bad) < max_reports:
                    bad.append(f"at {_index_of(k, shape)}: got {_fmt(a)}, expected {_fmt(e)}")
            continue
        err = abs(a - e)
        out.max_abs = max(out.max_abs, err)
        if e != 0.0:  # relative error is measured where the expected value is not 0
            out.max_rel = max(out.max_rel, err / abs(e))
        if err and not tol.allows(a, e):
            n_bad += 1
            if len(bad) < max_reports:
                bad.append(f"at {_index_of(k, shape)}: got {_fmt(a)}, expected {_fmt(e)} "
                           f"(|diff| {err:.3g}, allowed {tol.atol + tol.rtol * abs(e):.3g})")
    if n_bad:
        more = f" (and {n_bad - len(bad)} more)" if n_bad > len(bad) else ""
        out.fail(f"{n_bad} of {len(expected)} values differ beyond {tol}: "
                 + "; ".join(bad) + more)
    return out


def storage_problem(t: Any) -> str | None:
    """Why a tensor's backend array disagrees with the tensor's shape/dtype, or ``None``."""
    from ..backend_api import Backend

    be = t._backend
    if type(be).is_native is not Backend.is_native:  # the backend can tell its arrays
        try:
            native = be.is_native(t._data)
        except Exception as exc:  # noqa: BLE001
            return f"is_native() on the result raised {type(exc).__name__}: {exc}"
        if not native:
            kind = type(t._data)
            return (f"the kernel returned a {kind.__module__}.{kind.__qualname__}, not one "
                    f"of the backend's own arrays (is_native() is False)")
    try:
        native_shape = tuple(be.shape_of(t._data))
    except Exception as exc:  # noqa: BLE001 - any failure is the backend's problem
        return f"shape_of() on the result raised {type(exc).__name__}: {exc}"
    if native_shape != tuple(t._shape):
        return (f"the kernel returned an array of shape {native_shape}, but the op's shape "
                f"rule says {tuple(t._shape)}")
    name = getattr(getattr(t._data, "dtype", None), "name", None)
    if isinstance(name, str):
        want = t._dtype.name
        allowed = {want, "float32"} if want == "bfloat16" else {want}
        if name not in allowed:
            return (f"the kernel returned an array of dtype {name}, but the op's dtype "
                    f"rule says {want}")
    return None


def _flat(t: Any) -> list:
    return t._backend.to_list(t._data, t._dtype)


def compare_results(actual: Any, expected: Any, tol_for: Any) -> Comparison:
    """Compare results (a tensor or a list/tuple of tensors); ``tol_for(dtype_name)``
    gives the tolerance of an output of that dtype."""
    from ..tensor import Tensor

    out = Comparison()
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            got = len(actual) if isinstance(actual, (list, tuple)) else type(actual).__name__
            out.fail(f"expected {len(expected)} results, got {got}")
            return out
        for i, (a, e) in enumerate(zip(actual, expected)):
            out.merge(compare_results(a, e, tol_for), prefix=f"result {i}: ")
        return out
    if not isinstance(actual, Tensor):
        out.fail(f"expected a Tensor, got {type(actual).__name__}")
        return out
    if tuple(actual.shape) != tuple(expected.shape):
        out.fail(f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
        return out
    if actual.dtype is not expected.dtype:
        out.fail(f"dtype {actual.dtype}, expected {expected.dtype}")
        return out
    problem = storage_problem(actual)
    if problem:
        out.fail(problem)
        return out
    try:
        a_vals = _flat(actual)
    except Exception as exc:  # noqa: BLE001
        out.fail(f"reading the result back raised {type(exc).__name__}: {exc}")
        return out
    e_vals = _flat(expected)
    dt = expected.dtype
    out.merge(compare_values(a_vals, e_vals, tuple(expected.shape), dt.is_floating,
                             tol_for(dt.name)))
    return out
