"""Conformance cases: reductions (sum, prod, max, min, any, all, argmax, argmin, argsort)
and the composites mean, var, std, logsumexp, count_nonzero."""

from __future__ import annotations

import math
from typing import Any

from .cases import ALL_DTYPES, FLOATS, INTS, A, CaseList
from .catalog_elementwise import SPECIAL

#: (variant, shape, axis, keepdims)
AXES = (
    ("all", (3, 4), None, False),
    ("axis0", (3, 4), 0, False),
    ("axis1_keep", (3, 4), 1, True),
    ("axes02", (2, 3, 4), (0, 2), False),
    ("neg_axis_keep", (2, 3, 4), -1, True),
    ("noaxes", (2, 3), (), False),
    ("scalar", (), None, False),
    ("long", (2, 64), 1, False),
)


def _n(shape: tuple, axis: Any) -> int:
    """Terms per output element (the reduction length the tolerance grows with)."""
    if axis is None:
        return max(math.prod(shape), 1)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return max(math.prod(shape[a] for a in axes), 1)


def _sum_like(cl: CaseList, op: str, dtypes: tuple, gen: str = "uniform",
              low: float | None = None, high: float | None = None) -> None:
    for dt in dtypes:
        lo, hi = (low, high) if dt in FLOATS else (None, None)
        cl.add(op, dt, A((3, 4), dt, gen, lo, hi), kwargs={"axis": 1}, n=4)
    for variant, shape, axis, keep in AXES:
        cl.add(op, f"float32/{variant}", A(shape, "float32", gen, low, high),
               kwargs={"axis": axis, "keepdims": keep}, n=_n(shape, axis))
    cl.add(op, "float32/transposed", A((4, 3), "float32", gen, low, high,
                                       layout="transposed"),
           kwargs={"axis": 0}, n=4)
    cl.add(op, "float32/strided", A((3, 4), "float32", gen, low, high, layout="strided"),
           kwargs={"axis": None}, n=12)


def _sum_cases(cl: CaseList) -> None:
    # sum/prod accept int32/int64/uint32/uint64/floats; smaller ints and bools are
    # accumulated in int32 by the public function (as JAX and Keras 3)
    _sum_like(cl, "sum", FLOATS + INTS + ("bool",))
    for dt in ("float16", "bfloat16", "float64"):
        cl.add("sum", f"{dt}/long", A((2, 64), dt), kwargs={"axis": 1}, n=64)
    cl.add("sum", "int32/wrap", A((3, 4), "int32", "full_range"), kwargs={"axis": 0})
    cl.add("sum", "uint64/wrap", A((3, 4), "uint64", "full_range"), kwargs={"axis": None})
    cl.add("sum", "float32/empty_axis", A((0, 3)), kwargs={"axis": 0})
    cl.add("sum", "float32/empty_all", A((2, 0)), kwargs={"axis": None})
    cl.add("sum", "float32/special", A((10,), values=SPECIAL), kwargs={"axis": 0}, n=10)
    cl.add("sum", "float32/cancellation", A((8,), values=(
        1e8, 1.0, -1e8, 1.0, 3.0, -2.0, 1e-3, 2.0 ** -20)), kwargs={"axis": 0}, n=8,
        note="exact sum 3.00100095; float32 addition may lose the 1.0s next to 1e8 "
        "(allowed: the absolute tolerance scales with the largest term)")
    cl.add("sum", "int8/promotes", A((3, 4), "int8", "full_range"), kwargs={"axis": 1})
    # prod: factors near 1 so that float results neither overflow nor underflow
    _sum_like(cl, "prod", FLOATS + INTS, "uniform", 0.5, 1.5)
    cl.add("prod", "int32/wrap", A((3, 4), "int32", "full_range"), kwargs={"axis": 0})
    cl.add("prod", "int16/promotes", A((3, 4), "int16", "uniform", -3, 3),
           kwargs={"axis": None})
    cl.add("prod", "float32/empty_axis", A((0, 3)), kwargs={"axis": 0})
    cl.add("prod", "float32/special", A((10,), values=SPECIAL), kwargs={"axis": 0}, n=10)


def _extreme_cases(cl: CaseList) -> None:
    for op in ("max", "min"):
        for dt in ALL_DTYPES:
            cl.add(op, dt, A((3, 4), dt, "full_range" if dt in INTS else "uniform"),
                   kwargs={"axis": 1})
        for variant, shape, axis, keep in AXES:
            cl.add(op, f"float32/{variant}", A(shape), kwargs={"axis": axis,
                                                                 "keepdims": keep})
        cl.add(op, "float32/nan", A((2, 5), values=SPECIAL), kwargs={"axis": 1})
        cl.add(op, "float16/nan_all", A((10,), "float16", values=SPECIAL))
        cl.add(op, "int8/transposed", A((4, 3), "int8", layout="transposed"),
               kwargs={"axis": 0})
        cl.add(op, "float32/strided", A((3, 4), layout="strided"), kwargs={"axis": 1})
        cl.add(op, "float32/empty_other_axis", A((0, 3)), kwargs={"axis": 1})


def _logical_cases(cl: CaseList) -> None:
    for op in ("any", "all"):
        for variant, shape, axis, keep in AXES:
            cl.add(op, f"bool/{variant}", A(shape, "bool"),
                   kwargs={"axis": axis, "keepdims": keep})
        cl.add(op, "bool/empty", A((0, 3), "bool"), kwargs={"axis": 0})
        cl.add(op, "bool/all_true", A((3, 4), "bool", values=[True] * 12),
               kwargs={"axis": 1})
        cl.add(op, "bool/strided", A((3, 4), "bool", layout="strided"), kwargs={"axis": 1})
        cl.add(op, "int32_input", A((3, 4), "int32", "ties"), kwargs={"axis": 0})
        cl.add(op, "float32_input", A((10,), "float32", values=SPECIAL))


def _arg_cases(cl: CaseList) -> None:
    for op in ("argmax", "argmin"):
        for dt in ALL_DTYPES:
            cl.add(op, dt, A((3, 5), dt, "ties"), kwargs={"axis": 1})
        cl.add(op, "float32/flat", A((3, 4), "float32", "ties"))
        cl.add(op, "float32/flat_keepdims", A((2, 3, 2), "float32", "ties"),
               kwargs={"axis": None, "keepdims": True})
        cl.add(op, "float32/axis0_keepdims", A((4, 3), "float32", "ties"),
               kwargs={"axis": 0, "keepdims": True})
        cl.add(op, "float32/neg_axis", A((2, 3, 4), "float32", "distinct"),
               kwargs={"axis": -2})
        cl.add(op, "float32/inf", A((2, 4), values=(1.0, math.inf, 2.0, math.inf,
                                                     -math.inf, -1.0, -math.inf, 0.0)),
               kwargs={"axis": 1})
        cl.add(op, "int32/transposed", A((5, 3), "int32", "ties", layout="transposed"),
               kwargs={"axis": 1})
        cl.add(op, "float32/scalar", A(()), kwargs={"axis": None})


def _argsort_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("argsort", dt, A((3, 6), dt, "ties"))
        cl.add("argsort", f"{dt}/descending", A((3, 6), dt, "ties"),
               kwargs={"descending": True})
    cl.add("argsort", "float32/axis0", A((5, 3), "float32", "ties"), kwargs={"axis": 0})
    cl.add("argsort", "float32/axis0_desc", A((5, 3), "float32", "ties"),
           kwargs={"axis": 0, "descending": True})
    cl.add("argsort", "float32/distinct", A((2, 3, 4), "float32", "distinct"),
           kwargs={"axis": 1})
    cl.add("argsort", "float32/inf", A((6,), values=(1.0, math.inf, -math.inf, 0.5,
                                                    math.inf, -2.0)))
    cl.add("argsort", "int64/strided", A((3, 5), "int64", "ties", layout="strided"))
    cl.add("argsort", "float32/scalar", A(()))
    cl.add("argsort", "float32/empty", A((2, 0)))
    cl.add("argsort", "float32/long", A((1, 40), "float32", "ties"),
           kwargs={"descending": True})
    for dt in ("float32", "int32", "bool"):
        cl.add("sort", dt, A((3, 6), dt, "ties"))
    cl.add("sort", "float32/descending_axis0", A((5, 3), "float32", "uniform"),
           kwargs={"axis": 0, "descending": True})
    cl.add("top_k", "float32", A((3, 7), "float32", "ties"), extra=(3,))
    cl.add("top_k", "int16", A((2, 5), "int16", "distinct"), extra=(5,))


def _composite_cases(cl: CaseList) -> None:
    for op in ("mean", "var", "std", "logsumexp"):
        for dt in FLOATS:
            cl.add(op, dt, A((3, 8), dt), kwargs={"axis": 1}, n=8)
        for variant, shape, axis, keep in AXES:
            if variant == "scalar" and op == "logsumexp":
                continue
            cl.add(op, f"float32/{variant}", A(shape), kwargs={"axis": axis,
                                                                 "keepdims": keep},
                   n=_n(shape, axis))
        cl.add(op, "int32_input", A((3, 4), "int32"), kwargs={"axis": 0}, n=3)
        cl.add(op, "float32/transposed", A((4, 3), layout="transposed"),
               kwargs={"axis": 1}, n=3)
        cl.add(op, "float32/special", A((2, 5), values=SPECIAL), kwargs={"axis": 1}, n=5)
    cl.add("mean", "float32/empty_axis", A((0, 3)), kwargs={"axis": 0})
    cl.add("logsumexp", "float32/large", A((2, 3), values=(1000.0, 1000.0, -1000.0,
                                                           -math.inf, -math.inf, -math.inf)),
           kwargs={"axis": 1}, n=3)
    cl.add("logsumexp", "float64/wide", A((3, 6), "float64", "uniform", -50.0, 50.0),
           kwargs={"axis": 1}, n=6)
    for dt in ("float32", "int32", "bool", "uint8"):
        cl.add("count_nonzero", dt, A((3, 4), dt, "ties"), kwargs={"axis": 1})
    cl.add("count_nonzero", "float32/all", A((10,), values=SPECIAL))


def build(cl: CaseList) -> None:
    _sum_cases(cl)
    _extreme_cases(cl)
    _logical_cases(cl)
    _arg_cases(cl)
    _argsort_cases(cl)
    _composite_cases(cl)
