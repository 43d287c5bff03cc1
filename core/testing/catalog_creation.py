"""Conformance cases: creation ops (full, arange, full_like) and the functions built from
them (zeros, ones, eye, identity, linspace, tri, tril, triu, zeros_like, ones_like).
Ops without tensor inputs run on the current backend, which the runner sets with
``backend_scope``."""

from __future__ import annotations

from .cases import ALL_DTYPES, FLOATS, A, CaseList


def _full_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        value = 1 if dt == "bool" else (-3 if dt.startswith("int") else
                                        (7 if dt.startswith("uint") else 2.7))
        cl.add("full", dt, extra=((2, 3), value), kwargs={"dtype": dt})
    cl.add("full", "float32/scalar", extra=((), 1.5))
    cl.add("full", "float32/empty", extra=((0, 4), 3.0))
    cl.add("full", "int64/large", extra=((2,), 2**40), kwargs={"dtype": "int64"})
    cl.add("full", "float32/nan", extra=((3,), float("nan")), kwargs={"dtype": "float32"})
    cl.add("full", "float16/rounds", extra=((2,), 0.1), kwargs={"dtype": "float16"})
    for op, dt in (("zeros", "float32"), ("zeros", "int8"), ("ones", "bfloat16"),
                   ("ones", "bool")):
        cl.add(op, dt, extra=((2, 3),), kwargs={"dtype": dt})


def _arange_cases(cl: CaseList) -> None:
    cl.add("arange", "int32/stop", extra=(7,))
    cl.add("arange", "int32/start_stop_step", extra=(-3, 10, 4))
    cl.add("arange", "int32/negative_step", extra=(5, -6, -2))
    cl.add("arange", "int32/empty", extra=(5, 2))
    cl.add("arange", "float32/step", extra=(0.0, 1.0, 0.1),
           note="start + step*i computed in float64, then rounded")
    cl.add("arange", "float32/negative_step", extra=(2.5, -1.0, -0.3))
    for dt in ("float16", "bfloat16", "float64", "int8", "int64", "uint8", "uint64",
               "int16"):
        cl.add("arange", dt, extra=(1, 9, 2), kwargs={"dtype": dt})
    cl.add("arange", "float64/fractional", extra=(-1.0, 1.0, 0.125),
           kwargs={"dtype": "float64"})


def _like_cases(cl: CaseList) -> None:
    for dt in ("float32", "int32", "bool", "float16"):
        cl.add("full_like", dt, A((2, 3), dt), extra=(1,))
    cl.add("full_like", "float32->int8", A((2, 3)), extra=(-5,), kwargs={"dtype": "int8"})
    cl.add("full_like", "float32/empty", A((0, 2)), extra=(2.0,))
    cl.add("zeros_like", "int16", A((3,), "int16"))
    cl.add("ones_like", "float32->bfloat16", A((2, 2)), kwargs={"dtype": "bfloat16"})


def _matrix_cases(cl: CaseList) -> None:
    cl.add("eye", "float32", extra=(3,))
    cl.add("eye", "int32/rect_k1", extra=(3, 5, 1), kwargs={"dtype": "int32"})
    cl.add("eye", "bool/rect_kneg", extra=(4, 2, -1), kwargs={"dtype": "bool"})
    cl.add("eye", "float16/k_outside", extra=(2, 3, 5), kwargs={"dtype": "float16"})
    cl.add("identity", "float64", extra=(4,), kwargs={"dtype": "float64"})
    cl.add("tri", "float32", extra=(3, 4))
    cl.add("tri", "int8/k", extra=(4, 3, -1), kwargs={"dtype": "int8"})
    for dt in ("float32", "int32", "bool"):
        cl.add("tril", dt, A((3, 4), dt))
        cl.add("triu", dt, A((4, 3), dt))
    cl.add("tril", "float32/k1", A((3, 4)), kwargs={"k": 1})
    cl.add("triu", "float32/kneg", A((4, 4)), kwargs={"k": -1})


def _linspace_cases(cl: CaseList) -> None:
    cl.add("linspace", "float32", extra=(0.0, 1.0, 7))
    cl.add("linspace", "float32/no_endpoint", extra=(-2.0, 3.0, 6),
           kwargs={"endpoint": False})
    cl.add("linspace", "float32/one", extra=(4.0, 9.0, 1))
    cl.add("linspace", "float32/empty", extra=(0.0, 1.0, 0))
    cl.add("linspace", "float32/reversed", extra=(5.0, -5.0, 11))
    for dt in FLOATS:
        if dt != "float32":
            cl.add("linspace", dt, extra=(-1.0, 1.0, 9), kwargs={"dtype": dt})
    cl.add("linspace", "int32", extra=(0.0, 10.0, 4), kwargs={"dtype": "int32"},
           note="truncation of 3.333.. and 6.666..: exact in float64 on any backend")


def build(cl: CaseList) -> None:
    _full_cases(cl)
    _arange_cases(cl)
    _like_cases(cl)
    _matrix_cases(cl)
    _linspace_cases(cl)
