"""Conformance cases: shape ops (reshape, transpose, broadcast_to, concatenate, slice,
slice_update, pad, expand_dims, squeeze) and the functions built from them (stack, split,
tile, repeat, flip, moveaxis, swapaxes, ravel, ``x[...]``). All are exact."""

from __future__ import annotations

from typing import Any

from .cases import ALL_DTYPES, A, CaseList

S = slice
E = Ellipsis


def _ops() -> Any:
    from .. import ops

    return ops


def _reshape_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("reshape", dt, A((2, 3, 4), dt), extra=((4, -1),))
    cl.add("reshape", "float32/to_2d", A((6,)), extra=((2, 3),))
    cl.add("reshape", "float32/to_scalar", A((1, 1)), extra=((),))
    cl.add("reshape", "float32/from_scalar", A(()), extra=((1, 1, 1),))
    cl.add("reshape", "float32/empty", A((0, 3)), extra=((3, 0),))
    cl.add("reshape", "float32/transposed", A((4, 3), layout="transposed"), extra=((12,),))
    cl.add("reshape", "int32/strided", A((3, 4), "int32", layout="strided"),
           extra=((2, 6),))
    cl.add("reshape", "float32/offset", A((3, 4), layout="offset"), extra=((-1, 2),))
    cl.add("reshape", "float32/bcast_view", A((3, 4), layout="broadcast"), extra=((4, 3),))
    cl.add("ravel", "float32/transposed", A((3, 4), layout="transposed"))
    cl.add("ravel", "int8", A((2, 3, 2), "int8"))


def _transpose_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("transpose", dt, A((2, 3), dt))
    cl.add("transpose", "float32/perm3", A((2, 3, 4)), extra=((1, 2, 0),))
    cl.add("transpose", "float32/perm4", A((2, 1, 3, 2)), extra=((3, 0, 2, 1),))
    cl.add("transpose", "float32/neg_axes", A((2, 3, 4)), extra=((-1, 0, -2),))
    cl.add("transpose", "float32/empty", A((0, 3)))
    cl.add("transpose", "float32/transposed", A((3, 4), layout="transposed"))
    cl.add("transpose", "int16/strided", A((2, 3, 2), "int16", layout="strided"),
           extra=((2, 0, 1),))
    cl.add("moveaxis", "float32", A((2, 3, 4)), extra=(0, -1))
    cl.add("moveaxis", "int32", A((2, 3, 4), "int32"), extra=(2, 0))
    cl.add("swapaxes", "float32", A((2, 3, 4)), extra=(0, 2))
    cl.add("swapaxes", "bool", A((2, 3), "bool"), extra=(-1, 0))


def _broadcast_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("broadcast_to", dt, A((4,), dt), extra=((3, 4),))
    cl.add("broadcast_to", "float32/insert_dims", A((3, 1)), extra=((2, 3, 4),))
    cl.add("broadcast_to", "float32/scalar", A(()), extra=((2, 2),))
    cl.add("broadcast_to", "float32/to_empty", A((1,)), extra=((0,),))
    cl.add("broadcast_to", "float32/transposed", A((3, 1), layout="transposed"),
           extra=((2, 3, 4),))
    cl.add("broadcast_to", "int32/strided", A((2, 1, 3), "int32", layout="strided"),
           extra=((2, 4, 3),))


def _concat_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("concatenate", dt, A((2, 3), dt), A((1, 3), dt), pack=True)
    cl.add("concatenate", "float32/axis1", A((2, 3)), A((2, 1)), A((2, 2)), pack=True,
           kwargs={"axis": 1})
    cl.add("concatenate", "float32/neg_axis", A((2, 2, 3)), A((2, 2, 1)), pack=True,
           kwargs={"axis": -1})
    cl.add("concatenate", "float32/empty_piece", A((0, 3)), A((2, 3)), pack=True)
    cl.add("concatenate", "mixed_dtypes", A((2, 3), "int8"), A((1, 3), "float16"),
           A((1, 3), "uint8"), pack=True)
    cl.add("concatenate", "float32/layouts", A((3, 4), layout="transposed"),
           A((3, 4), layout="strided"), A((3, 4), layout="broadcast"), pack=True,
           kwargs={"axis": 1})
    cl.add("concatenate", "float32/scalars_as_1d", A((1,)), A((1,)), A((1,)), pack=True)
    cl.add("stack", "float32", A((2, 3)), A((2, 3)), A((2, 3)), pack=True)
    cl.add("stack", "int32/last_axis", A((2, 3), "int32"), A((2, 3), "int32"), pack=True,
           kwargs={"axis": -1})
    cl.add("stack", "float32/scalars", A(()), A(()), pack=True)
    cl.add("split", "float32/sections", A((6, 4)), extra=(3,))
    cl.add("split", "int32/indices_axis1", A((2, 6), "int32"), extra=([1, 4],),
           kwargs={"axis": 1})
    cl.add("split", "float32/indices_clamped", A((5,)), extra=([2, 9],))


def _slice_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("slice", dt, A((4, 5), dt), fn="strided_slice", extra=((S(1, 3), S(None, None, 2)),))
    cl.add("slice", "float32/begin_end_strides", A((5, 6)), fn="strided_slice",
           extra=((0, 1), (5, 6), (2, 3)))
    cl.add("slice", "float32/reverse", A((5, 4)), fn="strided_slice", extra=((S(None, None, -1),),))
    cl.add("slice", "float32/reverse_step2", A((6, 5)),
           fn="strided_slice", extra=((S(None, None, -2), S(4, 0, -3)),))
    cl.add("slice", "float32/reverse_to_zero", A((7,)), fn="strided_slice",
           extra=((S(5, None, -2),),),
           note="normalised end is -1: 'through index 0' (range semantics)")
    cl.add("slice", "float32/clamped", A((7,)), fn="strided_slice", extra=((S(10, -10, -3),),))
    cl.add("slice", "float32/empty_result", A((4, 3)), fn="strided_slice",
           extra=((S(2, 2), S(None)),))
    cl.add("slice", "float32/transposed", A((4, 5), layout="transposed"),
           fn="strided_slice", extra=((S(None, None, -1), S(1, None, 2)),))
    cl.add("slice", "int8/strided", A((4, 6), "int8", layout="strided"),
           fn="strided_slice", extra=((S(1, None), S(None, None, -2)),))
    flip_axes = (("all", None), ("axis0", 0), ("axes02", (0, 2)))
    for variant, axis in flip_axes:
        cl.add("flip", f"float32/{variant}", A((2, 3, 4)), kwargs={"axis": axis})
    cl.add("flip", "bool/axis1", A((3, 4), "bool"), kwargs={"axis": 1})


def _slice_update_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("slice_update", dt, A((4, 5), dt), A((2, 3), dt),
               fn="strided_slice_update", extra=((S(1, 3), S(None, None, 2)),))
    cl.add("slice_update", "float32/begin_end_strides", A((5, 6)), A((3, 2)),
           fn="strided_slice_update", extra=((0, 1), (5, 6), (2, 3)))
    cl.add("slice_update", "float32/reverse", A((5, 4)), A((3, 4)),
           fn="strided_slice_update", extra=((S(None, None, -2),),))
    cl.add("slice_update", "float32/reverse_to_zero", A((7,)), A((3,)),
           fn="strided_slice_update", extra=((S(5, None, -2),),))
    cl.add("slice_update", "float32/broadcast_update", A((4, 5)), A(()),
           fn="strided_slice_update", extra=((S(1, None), S(0, 5, 2)),))
    cl.add("slice_update", "float32/cast_update", A((3, 4)), A((3, 2), "int32"),
           fn="strided_slice_update", extra=((S(None), S(1, 3)),))
    cl.add("slice_update", "float32/empty_region", A((3, 4)), A((0, 4)),
           fn="strided_slice_update", extra=((S(2, 2),),))
    cl.add("slice_update", "float32/layouts", A((4, 5), layout="transposed"),
           A((2, 5), layout="strided"), fn="strided_slice_update", extra=((S(0, 4, 2),),))


def _pad_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("pad", dt, A((2, 3), dt), extra=(((1, 2), (0, 3)),))
    cl.add("pad", "float32/int_width", A((2, 3)), extra=(1,))
    cl.add("pad", "float32/constant", A((2, 3)), extra=(((1, 0), (2, 1)),),
           kwargs={"constant_values": 2.5})
    cl.add("pad", "int8/constant", A((3,), "int8"), extra=(((2, 1),),),
           kwargs={"constant_values": -7})
    cl.add("pad", "bool/constant", A((2, 2), "bool"), extra=(1,),
           kwargs={"constant_values": True})
    cl.add("pad", "float32/rank3", A((2, 1, 2)), extra=(((0, 1), (2, 0), (1, 1)),))
    cl.add("pad", "float32/empty", A((0, 2)), extra=(((1, 1), (0, 1)),))
    cl.add("pad", "float32/scalar_one_pair", A((3, 2)), extra=(((1, 2),),))
    cl.add("pad", "float32/transposed", A((3, 4), layout="transposed"),
           extra=(((1, 1), (2, 0)),))


def _dims_cases(cl: CaseList) -> None:
    for dt in ("float32", "int8", "bool", "bfloat16"):
        cl.add("expand_dims", dt, A((2, 3), dt), extra=(0,))
    cl.add("expand_dims", "float32/last", A((2, 3)), extra=(-1,))
    cl.add("expand_dims", "float32/several", A((2, 3)), extra=((0, 3),))
    cl.add("expand_dims", "float32/scalar", A(()), extra=(0,))
    cl.add("expand_dims", "float32/strided", A((2, 3), layout="strided"), extra=(1,))
    for dt in ("float32", "int64", "bool", "float16"):
        cl.add("squeeze", dt, A((1, 3, 1), dt))
    cl.add("squeeze", "float32/axis0", A((1, 3, 1)), kwargs={"axis": 0})
    cl.add("squeeze", "float32/neg_axis", A((2, 1)), kwargs={"axis": -1})
    cl.add("squeeze", "float32/to_scalar", A((1, 1)))
    cl.add("squeeze", "float32/transposed", A((3, 1), layout="transposed"),
           kwargs={"axis": 1})


def _tile_cases(cl: CaseList) -> None:
    cl.add("tile", "float32", A((2, 3)), extra=((2, 1),))
    cl.add("tile", "int32/int_reps", A((3,), "int32"), extra=(3,))
    cl.add("tile", "float32/more_reps", A((2, 3)), extra=((2, 1, 2),))
    cl.add("tile", "bool/fewer_reps", A((2, 2), "bool"), extra=((3,),))
    cl.add("tile", "float32/transposed", A((2, 3), layout="transposed"), extra=((1, 2),))
    cl.add("repeat", "float32/axis0", A((2, 3)), extra=(2,), kwargs={"axis": 0})
    cl.add("repeat", "int8/axis1", A((2, 3), "int8"), extra=(3,), kwargs={"axis": 1})
    cl.add("repeat", "float32/flat", A((2, 3)), extra=(2,))


def _getitem_cases(cl: CaseList) -> None:
    keys = (
        ("step2", (5, 4), (S(None, None, 2),)),
        ("reverse", (5, 4), (S(None, None, -1),)),
        ("steps_both_axes", (6, 5), (S(1, -1, 2), S(None, None, -2))),
        ("ellipsis_newaxis", (2, 3), (E, None)),
        ("int", (3, 4), 0),
        ("neg_int_and_slice", (3, 4), (-1, S(1, None))),
        ("newaxis_int", (3, 4), (None, 1)),
        ("reverse_step_int", (6, 4), (S(4, 0, -2), 2)),
        ("clamped", (7,), (S(10, -10, -3),)),
        ("empty", (4, 3), (S(2, 2),)),
        ("ellipsis_int", (2, 3, 4), (E, 1)),
        ("int_ellipsis_step", (2, 3, 4), (1, E, S(None, None, 3))),
        ("scalar_all", (), (E,)),
    )
    for variant, shape, key in keys:
        cl.add("getitem", f"float32/{variant}", A(shape), extra=(key,))
    cl.add("getitem", "int32/steps", A((4, 6), "int32"), extra=((S(None, None, 3),
                                                                  S(5, 0, -2)),))
    cl.add("getitem", "bool/steps", A((5,), "bool"), extra=((S(None, None, -2),),))
    cl.add("getitem", "float32/transposed", A((4, 5), layout="transposed"),
           extra=((S(1, None, 2), S(None, None, -1)),))
    cl.add("getitem", "float32/index_array", A((5, 3)), A((2, 2), "int32", "indices", -5, 4),
           fn=lambda x, i: x[i])
    cl.add("getitem", "float32/index_array_axis1", A((3, 4)),
           A((3,), "int64", "indices", -4, 3), fn=lambda x, i: x[:, i])
    cl.add("getitem", "float32/bool_mask", A((3, 4)), A((3, 4), "bool"),
           fn=lambda x, m: x[m])
    cl.add("getitem", "float32/bool_mask_rows", A((4, 3)), A((4,), "bool"),
           fn=lambda x, m: x[m])


def _view_cases(cl: CaseList) -> None:
    # the bytes of every numeric dtype read as one of each item size (bfloat16 included)
    for dt in ALL_DTYPES:
        for target in ("uint8", "int16", "float32", "uint64"):
            if target != dt:
                cl.add("view", f"{dt}_as_{target}", A((2, 8), dt), kwargs={"dtype": target})
    cl.add("view", "int16_as_bfloat16", A((3, 4), "int16"), kwargs={"dtype": "bfloat16"})
    cl.add("view", "float16_as_bool", A((2, 3), "float16"), kwargs={"dtype": "bool"},
           note="nonzero bytes read as True")


def _custom_square(x: Any) -> Any:
    """x * x through custom_gradient, traced so the custom_gradient node itself runs."""
    from .. import jit, ops

    @ops.custom_gradient
    def f(t: Any) -> Any:
        return ops.multiply(t, t), lambda up: up * 2.0 * t

    return jit(f)(x)


def _custom_gradient_cases(cl: CaseList) -> None:
    for dt in ("float32", "float64", "int32"):
        cl.add("custom_gradient", f"{dt}/jit_identity_on_outputs", A((3, 4), dt),
               fn=_custom_square)


def build(cl: CaseList) -> None:
    _reshape_cases(cl)
    _transpose_cases(cl)
    _broadcast_cases(cl)
    _concat_cases(cl)
    _slice_cases(cl)
    _slice_update_cases(cl)
    _pad_cases(cl)
    _view_cases(cl)
    _custom_gradient_cases(cl)
    _dims_cases(cl)
    _tile_cases(cl)
    _getitem_cases(cl)
