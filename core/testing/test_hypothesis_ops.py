"""Property checks with hypothesis: random shapes, broadcasting, values (NaN and
infinities included) and axes, each compared with the reference backend.

Run with ``pytest --pyargs tensorweave.testing --tw-backend NAME``. Examples are
derandomized (the same on every run, so nothing is flaky) and few (25 per test): the
reference backend is pure Python.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tensorweave.testing.case import Case
from tensorweave.testing.runner import run_case
from tensorweave.testing.strategies import (
    FLOATS,
    INTS,
    NUMERIC,
    elementwise_args,
    reduction_args,
)

SETTINGS = settings(max_examples=25, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _check(case: Case, backend: str, reference: str) -> None:
    result = run_case(case, backend, reference)
    if result.status == "error":
        pytest.fail(f"{case.describe()}: {result.message}")
    assert result.ok, f"{case.describe()} on {backend}: {result.message}"


# op -> (dtypes, value bounds): domains where the result is defined for every dtype
_UNARY: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "neg": (NUMERIC, {"low": -100, "high": 100}),
    "abs": (NUMERIC, {"low": -100, "high": 100}),
    "exp": (FLOATS, {"low": -8.0, "high": 8.0, "allow_nan": True, "allow_infinity": True}),
    "log": (FLOATS, {"low": -1.0, "high": 1e4, "allow_nan": True, "allow_infinity": True}),
    "sqrt": (FLOATS, {"low": 0.0, "high": 1e4, "allow_infinity": True}),
    "tanh": (FLOATS, {"low": -20.0, "high": 20.0, "allow_nan": True}),
    "sin": (FLOATS, {"low": -10.0, "high": 10.0}),
    "floor": (FLOATS, {"low": -1e4, "high": 1e4, "allow_nan": True, "allow_infinity": True}),
    "round": (FLOATS, {"low": -1e4, "high": 1e4, "allow_nan": True}),
    "sigmoid": (FLOATS, {"low": -30.0, "high": 30.0}),
    "isfinite": (NUMERIC, {"allow_nan": True, "allow_infinity": True}),
}


@SETTINGS
@given(data=st.data())
def test_unary_elementwise(tw_backend: str, tw_reference: str, data: Any) -> None:
    op = data.draw(st.sampled_from(sorted(_UNARY)), label="op")
    dtypes, kw = _UNARY[op]
    dtype, (arg,) = data.draw(elementwise_args(1, dtypes, **kw), label="input")
    _check(Case(f"hypothesis/{op}", op, (arg,)), tw_backend, tw_reference)


_BINARY = ("add", "subtract", "multiply", "maximum", "minimum", "equal", "less",
           "greater_equal")


@SETTINGS
@given(data=st.data())
def test_binary_broadcasting(tw_backend: str, tw_reference: str, data: Any) -> None:
    op = data.draw(st.sampled_from(_BINARY), label="op")
    dtype, args = data.draw(elementwise_args(2, NUMERIC, low=-1e4, high=1e4,
                                             allow_nan=True, allow_infinity=True),
                            label="inputs")
    _check(Case(f"hypothesis/{op}", op, tuple(args)), tw_backend, tw_reference)


@SETTINGS
@given(data=st.data())
def test_integer_division_and_shifts(tw_backend: str, tw_reference: str, data: Any) -> None:
    op = data.draw(st.sampled_from(("floor_divide", "mod", "left_shift", "right_shift",
                                    "bitwise_xor")), label="op")
    dtype, (x, y) = data.draw(elementwise_args(2, INTS, low=-1000, high=1000),
                              label="inputs")
    if op in ("left_shift", "right_shift"):
        bits = int("".join(c for c in dtype if c.isdigit()))
        y = y.__class__(y.shape, dtype, values=tuple(abs(v) % bits for v in y.values or ()))
    if op in ("floor_divide", "mod") and dtype.startswith("int"):
        lo = -(1 << (int("".join(c for c in dtype if c.isdigit())) - 1))
        # INT_MIN // -1 overflows: undefined in kernels.md
        x = x.__class__(x.shape, dtype, values=tuple(v if v != lo else lo + 1
                                                     for v in x.values or ()))
    _check(Case(f"hypothesis/{op}", op, (x, y)), tw_backend, tw_reference)


@SETTINGS
@given(data=st.data())
def test_where_broadcasting(tw_backend: str, tw_reference: str, data: Any) -> None:
    dtype, (c, x, y) = data.draw(elementwise_args(3, ("bool",) + NUMERIC), label="inputs")
    cond = c.__class__(c.shape, "bool", values=tuple(bool(v) for v in c.values or ()))
    _check(Case("hypothesis/where", "where", (cond, x, y)), tw_backend, tw_reference)


_REDUCTIONS = {
    "sum": FLOATS + ("int32", "int64", "uint32"),
    "prod": ("float32", "float64", "int32"),
    "max": NUMERIC,
    "min": NUMERIC,
    "mean": FLOATS,
    "logsumexp": ("float32", "float64"),
}


@SETTINGS
@given(data=st.data())
def test_reductions(tw_backend: str, tw_reference: str, data: Any) -> None:
    op = data.draw(st.sampled_from(sorted(_REDUCTIONS)), label="op")
    nonempty = op in ("max", "min", "logsumexp")  # no identity for an empty max
    low, high = (0.5, 1.5) if op == "prod" else (-100.0, 100.0)
    arg, axis, keepdims, n = data.draw(
        reduction_args(_REDUCTIONS[op], min_side=1 if nonempty else 0, low=low, high=high,
                       allow_nan=op != "prod"), label="input")
    if op == "prod" and arg.dtype == "int32":
        arg = arg.__class__(arg.shape, "int32", values=tuple(int(v) % 5 - 2
                                                             for v in arg.values or ()))
    case = Case(f"hypothesis/{op}", op, (arg,), kwargs={"axis": axis, "keepdims": keepdims},
                n=n)
    _check(case, tw_backend, tw_reference)


@SETTINGS
@given(data=st.data())
def test_argmax_argmin(tw_backend: str, tw_reference: str, data: Any) -> None:
    op = data.draw(st.sampled_from(("argmax", "argmin")), label="op")
    arg, axis, keepdims, _ = data.draw(reduction_args(NUMERIC, min_side=1, low=-3, high=3),
                                       label="input")
    if isinstance(axis, tuple):  # argmax takes one axis or None
        axis = axis[0] if axis else None
    _check(Case(f"hypothesis/{op}", op, (arg,), kwargs={"axis": axis,
                                                       "keepdims": keepdims}),
           tw_backend, tw_reference)
