"""Conformance cases: gathers and scatters (take, take_along_axis, scatter_add,
gather_nd, one_hot)."""

from __future__ import annotations

from .cases import ALL_DTYPES, FLOATS, A, CaseList


def _take_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("take", dt, A((4, 3), dt), A((5,), "int32", "indices", -4, 3),
               kwargs={"axis": 0})
    cl.add("take", "float32/axis1_2d_indices", A((3, 5)),
           A((2, 3), "int32", "indices", -5, 4), kwargs={"axis": 1})
    cl.add("take", "float32/flat", A((3, 4)), A((6,), "int64", "indices", -12, 11))
    cl.add("take", "float32/scalar_index", A((4, 3)), A((), "int32", "indices", 0, 3),
           kwargs={"axis": 0})
    for idt in ("int8", "uint8", "int16", "int64", "uint32"):
        low = 0 if idt.startswith("u") else -3
        cl.add("take", f"indices_{idt}", A((3, 4)), A((4,), idt, "indices", low, 2),
               kwargs={"axis": 0})
    cl.add("take", "float32/empty_indices", A((4, 3)), A((0,), "int32"), kwargs={"axis": 0})
    cl.add("take", "float32/transposed", A((4, 3), layout="transposed"),
           A((3,), "int32", "indices", -3, 2), kwargs={"axis": 1})
    cl.add("take", "int32/strided_indices", A((5, 2), "int32"),
           A((2, 3), "int32", "indices", 0, 4, layout="strided"), kwargs={"axis": 0})
    cl.add("take", "float32/rank3_axis2", A((2, 3, 4)), A((3,), "int32", "indices", -4, 3),
           kwargs={"axis": 2})


def _take_along_cases(cl: CaseList) -> None:
    for dt in ("float32", "int32", "bool", "float16", "uint8"):
        cl.add("take_along_axis", dt, A((3, 4), dt), A((3, 2), "int32", "indices", -4, 3),
               kwargs={"axis": 1})
    cl.add("take_along_axis", "float32/axis0", A((3, 4)),
           A((5, 4), "int64", "indices", -3, 2), kwargs={"axis": 0})
    cl.add("take_along_axis", "float32/broadcast_indices", A((3, 4)),
           A((1, 4), "int32", "indices", 0, 2), kwargs={"axis": 0})
    cl.add("take_along_axis", "float32/rank3", A((2, 3, 4)),
           A((2, 3, 2), "int32", "indices", -4, 3), kwargs={"axis": -1})
    cl.add("take_along_axis", "float32/transposed", A((3, 4), layout="transposed"),
           A((3, 4), "int32", "indices", 0, 3, layout="transposed"), kwargs={"axis": 1})


def _scatter_cases(cl: CaseList) -> None:
    for dt in ("float32", "float64", "float16", "bfloat16", "int32", "int64", "int8",
               "uint8"):
        cl.add("scatter_add", dt, A((5, 3), dt), A((6, 1), "int32", "indices", -5, 4),
               A((6, 3), dt), n=7, scale=3.0,
               note="duplicate indices accumulate: up to 7 terms per element")
    cl.add("scatter_add", "float32/full_index", A((3, 4)),
           A((5, 2), "int64", "indices", -3, 2), A((5,)), n=6, scale=3.0)
    cl.add("scatter_add", "float32/all_same", A((4,)),
           A((6, 1), "int32", values=[2] * 6), A((6,)), n=7, scale=3.0)
    cl.add("scatter_add", "float32/batched_indices", A((4, 2)),
           A((2, 3, 1), "int32", "indices", 0, 3), A((2, 3, 2)), n=7, scale=3.0)
    cl.add("scatter_add", "float32/empty_updates", A((4, 2)), A((0, 1), "int32"),
           A((0, 2)))
    cl.add("scatter_add", "float32/layouts", A((5, 3), layout="transposed"),
           A((4, 1), "int32", "indices", 0, 4), A((4, 3), layout="strided"), n=5, scale=3.0)
    for dt in ("float32", "int32"):
        cl.add("gather_nd", dt, A((3, 4, 2), dt), A((5, 2), "int32", "indices", -3, 2))
    cl.add("gather_nd", "float32/full_index", A((3, 4)),
           A((2, 3, 2), "int32", "indices", 0, 2))


def _one_hot_cases(cl: CaseList) -> None:
    cl.add("one_hot", "float32", A((5,), "int32", "indices", -1, 4), extra=(4,),
           note="-1 and 4 are out of range: all-zero rows (as Keras)")
    cl.add("one_hot", "int32_out_axis0", A((2, 3), "int64", "indices", 0, 3), extra=(4,),
           kwargs={"axis": 0, "dtype": "int32"})
    cl.add("one_hot", "bool_out", A((3,), "uint8", "indices", 0, 2), extra=(3,),
           kwargs={"dtype": "bool"})
    for dt in FLOATS:
        if dt != "float32":
            cl.add("one_hot", dt, A((2, 2), "int32", "indices", 0, 2), extra=(3,),
                   kwargs={"dtype": dt})


def build(cl: CaseList) -> None:
    _take_cases(cl)
    _take_along_cases(cl)
    _scatter_cases(cl)
    _one_hot_cases(cl)
