"""Conformance cases: elementwise ops (unary, binary, comparisons, logic, bitwise, shifts,
``where``, ``cast``) and the public functions built from them."""

from __future__ import annotations

import math
from typing import Any

from .cases import ALL_DTYPES, FLOATS, INTS, NUMERIC, UINTS, A, CaseList

_NAN, _INF = math.nan, math.inf
#: every float edge value once, in a fixed order (crossed with itself for binary ops)
SPECIAL = (_NAN, _INF, -_INF, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0)
#: the same without infinities (floor_divide/mod: NumPy's answers for infinite operands
#: changed between releases, so kernels.md does not pin them down)
SPECIAL_FINITE = (_NAN, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 7.0, -0.75)

#: shape/layout variants run for float32 (and a few for int32) on every op
UNARY_VARIANTS = (
    ("scalar", (), "contiguous"),
    ("empty", (0, 3), "contiguous"),
    ("rank3", (2, 3, 2), "contiguous"),
    ("transposed", (4, 3), "transposed"),
    ("strided", (3, 4), "strided"),
    ("offset", (3, 4), "offset"),
)
BINARY_VARIANTS = (
    ("bcast_row", A((3, 4)), A((4,))),
    ("bcast_col", A((3, 1)), A((1, 4))),
    ("scalar_lhs", A(()), A((2, 3))),
    ("scalars", A(()), A(())),
    ("empty", A((0, 3)), A((1, 3))),
    ("rank3", A((2, 1, 3)), A((4, 1))),
    ("transposed", A((3, 4), layout="transposed"), A((3, 4))),
    ("strided", A((3, 4)), A((3, 4), layout="strided")),
    ("offset", A((3, 4), layout="offset"), A((3, 4), layout="offset")),
    ("bcast_view", A((3, 4), layout="broadcast"), A((3, 4), layout="transposed")),
)


def _arg(template: Any, dtype: str, gen: str, low: Any, high: Any) -> Any:
    return A(template.shape, dtype, gen, low, high, layout=template.layout)


# ---- unary ---------------------------------------------------------------------------------
# op -> (dtypes, generator, low, high, special_dtypes)
_UNARY: dict[str, tuple] = {
    "neg": (NUMERIC, "uniform", None, None, ("float32", "float16")),
    "abs": (ALL_DTYPES, "uniform", None, None, ("float32", "float16")),
    "sign": (NUMERIC, "uniform", None, None, ("float32",)),
    "exp": (FLOATS, "uniform", -4.0, 4.0, ("float32", "float16", "float64")),
    "log": (FLOATS, "positive", 0.01, 10.0, ("float32", "float16", "float64")),
    "log1p": (FLOATS, "uniform", -0.9, 4.0, ("float32", "float64")),
    "expm1": (FLOATS, "uniform", -3.0, 3.0, ("float32", "float64")),
    "sqrt": (FLOATS, "positive", 0.0, 9.0, ("float32", "float16", "float64")),
    "sin": (FLOATS, "uniform", -4.0, 4.0, ("float32", "float64")),
    "cos": (FLOATS, "uniform", -4.0, 4.0, ("float32", "float64")),
    "tanh": (FLOATS, "uniform", -4.0, 4.0, ("float32", "float16")),
    "erf": (FLOATS, "uniform", -4.0, 4.0, ("float32", "float64")),
    "floor": (FLOATS, "uniform", None, None, ("float32", "float16")),
    "ceil": (FLOATS, "uniform", None, None, ("float32", "float16")),
    "round": (FLOATS, "halves", None, None, ("float32", "float16")),
    "logical_not": (("bool",), "uniform", None, None, ()),
    "isnan": (ALL_DTYPES, "uniform", None, None, FLOATS),
    "isfinite": (ALL_DTYPES, "uniform", None, None, FLOATS),
    "copy": (ALL_DTYPES, "uniform", None, None, ("float32",)),
    # composites
    "rsqrt": (FLOATS, "positive", 0.05, 9.0, ("float32",)),
    "square": (NUMERIC, "uniform", None, None, ("float32",)),
    "sigmoid": (FLOATS, "uniform", -8.0, 8.0, ("float32", "float16")),
    "relu": (NUMERIC, "uniform", None, None, ("float32",)),
    "stop_gradient": (ALL_DTYPES, "uniform", None, None, ()),
    # public functions built from ops
    "tan": (FLOATS, "uniform", -1.4, 1.4, ()),
    "sinh": (FLOATS, "uniform", -3.0, 3.0, ()),
    "cosh": (FLOATS, "uniform", -3.0, 3.0, ()),
    "arctan": (FLOATS, "uniform", -6.0, 6.0, ("float32",)),
    "log2": (FLOATS, "positive", 0.01, 10.0, ("float32",)),
    "log10": (FLOATS, "positive", 0.01, 10.0, ("float32",)),
    "softplus": (FLOATS, "uniform", -6.0, 6.0, ("float32",)),
    "isinf": (ALL_DTYPES, "uniform", None, None, ("float32", "float16")),
    "reciprocal": (FLOATS, "positive", 0.1, 4.0, ("float32",)),
    "nan_to_num": (FLOATS, "uniform", None, None, FLOATS),
}

#: composite chains whose intermediates are larger than the inputs (exp(3) ~ 20): the
#: scale of the absolute tolerance
_SCALES = {"sinh": 20.0, "cosh": 20.0}


def _unary_cases(cl: CaseList) -> None:
    for op, (dtypes, gen, low, high, special) in _UNARY.items():
        scale = _SCALES.get(op)
        for dt in dtypes:
            g = gen
            if dt == "bool" or (dt in INTS and gen in ("halves",)):
                g = "uniform"
            lo, hi = (low, high) if dt in FLOATS else (None, None)
            if dt in UINTS and op in ("neg",):
                lo, hi = 0, 40  # -x wraps modulo 2**bits, as NumPy
            cl.add(op, dt, A((3, 4), dt, g, lo, hi), scale=scale)
        for dt in special:
            cl.add(op, f"{dt}/special", A((10,), dt, values=SPECIAL), scale=scale)
        if "float32" in dtypes:
            for variant, shape, layout in UNARY_VARIANTS:
                cl.add(op, f"float32/{variant}", A(shape, "float32", gen, low, high,
                                                   layout=layout), scale=scale)
        if "int32" in dtypes and op not in ("copy", "stop_gradient"):
            cl.add(op, "int32/transposed", A((4, 3), "int32", layout="transposed"))
        if "float32" in dtypes and "int32" not in dtypes and op not in (
                "logical_not", "nan_to_num"):
            # integer input: the public function computes in float32 (Keras 3)
            lo, hi = (1, 9) if gen == "positive" else (-3, 3)
            cl.add(op, "int32_input", A((2, 3), "int32", "uniform", lo, hi), scale=scale)
    cl.add("logical_not", "int8_input", A((3, 4), "int8", "ties"))
    cl.add("logical_not", "bool/strided", A((3, 4), "bool", layout="strided"))
    cl.add("nan_to_num", "float32/custom",
           A((10,), "float32", values=SPECIAL), kwargs={"nan": -7.0, "posinf": 9.0,
                                                         "neginf": -9.0})
    cl.add("nan_to_num", "int32", A((2, 3), "int32"))
    cl.add("round", "float32/large", A((6,), "float32", values=(
        2.5e6 + 0.5, -3.5e6 + 0.5, 8388607.5, 1.5e7, -0.5, 0.49999997)))
    # clip: Python-scalar bounds
    for dt in ("float32", "float16", "float64", "int32", "uint8", "int8"):
        lo, hi = (-1.5, 2.0) if dt in FLOATS else ((2, 30) if dt in UINTS else (-5, 7))
        cl.add("clip", dt, A((3, 4), dt), extra=(lo, hi))
    cl.add("clip", "float32/special", A((10,), "float32", values=SPECIAL), extra=(-1.0, 2.0))


# ---- binary --------------------------------------------------------------------------------
def _int_gen(op: str, dt: str, side: int) -> tuple[str, Any, Any]:
    """Generator of one operand of an integer binary op."""
    unsigned = dt in UINTS
    if op in ("add", "subtract", "multiply", "bitwise_and", "bitwise_or", "bitwise_xor"):
        return "full_range", None, None  # wrap-around on overflow
    if op in ("floor_divide", "mod"):
        if side == 0:
            return "uniform", None, None
        return ("uniform", 0, 5) if unsigned else ("uniform", -5, 5)  # zeros included
    if op == "power":
        if side == 0:
            return ("uniform", 0, 5) if unsigned else ("uniform", -4, 4)
        return "uniform", 0, 5  # negative integer powers are undefined
    if op in ("left_shift", "right_shift"):
        if side == 0:
            return "full_range", None, None
        bits = int("".join(c for c in dt if c.isdigit()))
        return "indices", 0, bits - 1  # counts >= the width are undefined
    if op in ("maximum", "minimum") or op in _COMPARISONS:
        return "ties", None, None  # many equal pairs
    return "uniform", None, None


def _float_gen(op: str, side: int) -> tuple[str, Any, Any]:
    if op == "power":
        return ("positive", 0.1, 3.0) if side == 0 else ("uniform", -2.0, 2.0)
    if op in ("maximum", "minimum") or op in _COMPARISONS:
        return "ties", None, None
    return "uniform", None, None


_COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")

# op -> dtypes it accepts (after the public function's own conversions)
_BINARY: dict[str, tuple] = {
    "add": ALL_DTYPES,
    "subtract": NUMERIC,
    "multiply": ALL_DTYPES,
    "divide": FLOATS,
    "floor_divide": NUMERIC,
    "mod": NUMERIC,
    "power": NUMERIC,
    "maximum": ALL_DTYPES,
    "minimum": ALL_DTYPES,
    **dict.fromkeys(_COMPARISONS, ALL_DTYPES),
    "logical_and": ("bool",),
    "logical_or": ("bool",),
    "logical_xor": ("bool",),
    "bitwise_and": ("bool",) + INTS,
    "bitwise_or": ("bool",) + INTS,
    "bitwise_xor": ("bool",) + INTS,
    "left_shift": INTS,
    "right_shift": INTS,
    "logaddexp": FLOATS,
}


def _binary_cases(cl: CaseList) -> None:
    for op, dtypes in _BINARY.items():
        for dt in dtypes:
            if dt in FLOATS:
                (g0, l0, h0), (g1, l1, h1) = _float_gen(op, 0), _float_gen(op, 1)
            elif dt == "bool":
                (g0, l0, h0), (g1, l1, h1) = ("uniform", None, None), ("uniform", None, None)
            else:
                (g0, l0, h0), (g1, l1, h1) = _int_gen(op, dt, 0), _int_gen(op, dt, 1)
            cl.add(op, dt, A((3, 4), dt, g0, l0, h0), A((3, 4), dt, g1, l1, h1))
        base = "float32" if "float32" in dtypes else dtypes[0]
        if base in FLOATS:
            (g0, l0, h0), (g1, l1, h1) = _float_gen(op, 0), _float_gen(op, 1)
        elif base == "bool":
            (g0, l0, h0), (g1, l1, h1) = ("uniform", None, None), ("uniform", None, None)
        else:
            (g0, l0, h0), (g1, l1, h1) = _int_gen(op, base, 0), _int_gen(op, base, 1)
        for variant, a0, a1 in BINARY_VARIANTS:
            cl.add(op, f"{base}/{variant}", _arg(a0, base, g0, l0, h0),
                   _arg(a1, base, g1, l1, h1))
        if base == "float32" and "int32" in dtypes:
            (g0, l0, h0), (g1, l1, h1) = _int_gen(op, "int32", 0), _int_gen(op, "int32", 1)
            cl.add(op, "int32/bcast_col", A((3, 1), "int32", g0, l0, h0),
                   A((1, 4), "int32", g1, l1, h1))
        # NaN, infinities and signed zeros crossed with each other (10 x 10 pairs)
        if "float32" in dtypes:
            special = SPECIAL_FINITE if op in ("floor_divide", "mod") else SPECIAL
            for dt in ("float32", "float16", "float64"):
                cl.add(op, f"{dt}/special", A((10, 1), dt, values=special),
                       A((1, 10), dt, values=special))
    # promotion through the public functions
    cl.add("divide", "int32_input", A((3, 4), "int32"), A((3, 4), "int32", "positive"))
    cl.add("add", "int8+float16", A((3, 4), "int8"), A((3, 4), "float16"))
    cl.add("add", "uint8+int8", A((3, 4), "uint8", "full_range"),
           A((3, 4), "int8", "full_range"))
    cl.add("multiply", "float16+bfloat16", A((3, 4), "float16"), A((3, 4), "bfloat16"))
    cl.add("floor_divide", "bool_input", A((2, 3), "bool"), A((2, 3), "bool", "positive"))
    cl.add("logical_and", "int32_input", A((3, 4), "int32", "ties"),
           A((3, 4), "int32", "ties"))
    cl.add("logical_or", "float32_input", A((3, 4), "float32", "ties"),
           A((3, 4), "float32", "ties"))
    # weak Python scalars keep the tensor's dtype
    cl.add("add", "int8+python_int", A((3, 4), "int8", "full_range"), extra=(100,))
    cl.add("multiply", "float16*python_float", A((3, 4), "float16"), extra=(0.3,))
    cl.add("subtract", "python_float-bfloat16", A((3, 4), "bfloat16"),
           fn=lambda x: _ops().subtract(1.5, x))
    cl.add("power", "float32**python_int", A((3, 4), "float32"), extra=(3,))
    cl.add("power", "float32/neg_base_int_exp", A((3, 4), "float32"),
           A((3, 4), "float32", "indices", -3, 3))
    cl.add("maximum", "float32/python_scalar", A((3, 4), "float32", "special"),
           extra=(0.0,))
    cl.add("greater", "int16/python_int", A((3, 4), "int16"), extra=(3,))


def _ops() -> Any:
    from .. import ops

    return ops


# ---- where -------------------------------------------------------------------------------------
def _where_cases(cl: CaseList) -> None:
    for dt in ALL_DTYPES:
        cl.add("where", dt, A((3, 4), "bool"), A((3, 4), dt), A((3, 4), dt))
    cl.add("where", "float32/broadcast", A((3, 1), "bool"), A((1, 4)), A(()))
    cl.add("where", "float32/special", A((10,), "bool"), A((10,), values=SPECIAL),
           A((10,), values=tuple(reversed(SPECIAL))))
    cl.add("where", "float32/empty", A((0, 4), "bool"), A((0, 4)), A((1, 4)))
    cl.add("where", "int32/layouts", A((3, 4), "bool", layout="transposed"),
           A((3, 4), "int32", layout="strided"), A((3, 4), "int32", layout="broadcast"))
    cl.add("where", "python_scalars", A((3, 4), "bool"), fn=lambda c: _ops().where(c, 1.5, -2.0))
    cl.add("where", "int_condition", A((3, 4), "int32", "ties"), A((3, 4)), A((3, 4)))
    cl.add("where", "mixed_dtypes", A((3, 4), "bool"), A((3, 4), "int8"),
           A((3, 4), "float16"))


# ---- cast --------------------------------------------------------------------------------------
_FMAX = {"float16": 65504.0, "bfloat16": 3.0e38, "float32": 3.0e38, "float64": 1.0e300}


def _int_range(dt: str) -> tuple[int, int]:
    bits = int("".join(c for c in dt if c.isdigit()))
    if dt in UINTS:
        return 0, (1 << bits) - 1
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def _cast_cases(cl: CaseList) -> None:
    for src in ALL_DTYPES:
        for dst in ALL_DTYPES:
            if src == dst:
                continue
            variant = f"{src}->{dst}"
            kw = {"kwargs": {"dtype": dst}}
            if src == "bool":
                cl.add("cast", variant, A((2, 5), src), **kw)
            elif src in INTS:
                # ints: anywhere in range (int->int wraps, ->float rounds to nearest even)
                cl.add("cast", variant, A((2, 5), src, "full_range"), **kw)
            elif dst in INTS:
                # float -> int truncates toward zero; only values that fit are defined
                lo, hi = _int_range(dst)
                wide = 0.9 * min(float(hi), _FMAX[src])
                low = 0.0 if dst in UINTS else -wide
                cl.add("cast", variant, A((2, 5), src, "uniform", low, wide), **kw)
                small_lo = 0.0 if dst in UINTS else -100.9
                cl.add("cast", f"{variant}/fraction", A((2, 5), src, "uniform", small_lo,
                                                        100.9), **kw)
            elif dst == "bool":
                cl.add("cast", variant, A((10,), src, values=SPECIAL), **kw)  # NaN -> True
            else:
                cl.add("cast", variant, A((2, 5), src, "uniform", -1e3, 1e3), **kw)
                cl.add("cast", f"{variant}/special", A((10,), src, values=SPECIAL), **kw)
    # narrowing that overflows to infinity, and round-to-nearest-even ties
    big = (7e4, -7e4, 65504.0, 65519.0, 65520.0, 1e-8, -1e-8, 3e-5, 2049.0, 2051.0)
    for src in ("float32", "float64"):
        cl.add("cast", f"{src}->float16/range", A((10,), src, values=big),
               kwargs={"dtype": "float16"})
    cl.add("cast", "float64->float32/range", A((6,), "float64", values=(
        1e39, -1e39, 1e-46, 16777217.0, 1.0 + 2.0 ** -24, 3.4028235677973366e38)),
        kwargs={"dtype": "float32"})
    cl.add("cast", "float64->bfloat16/ties", A((6,), "float64", values=(
        1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 1.0 + 2.0 ** -8 + 2.0 ** -30, 3.39e38, 1e-40,
        -257.0)), kwargs={"dtype": "bfloat16"})
    cl.add("cast", "float32->int32/layout", A((4, 3), "float32", layout="transposed"),
           kwargs={"dtype": "int32"})
    cl.add("cast", "float32->float16/strided", A((3, 4), "float32", layout="strided"),
           kwargs={"dtype": "float16"})
    cl.add("cast", "int64->int8/empty", A((0, 2), "int64"), kwargs={"dtype": "int8"})


def _math_cases(cl: CaseList) -> None:
    """The composites of ``elementwise_math`` that are ops of their own (own backward rule):
    ``erfinv``, ``arctan2``, ``hypot`` (chains of rounded ops: the composite tolerance)."""
    c = {"family": "composite"}
    for dt in ("float32", "float64"):
        cl.add("erfinv", dt, A((3, 4), dt, "uniform", -0.99, 0.99), **c)
        for op in ("arctan2", "hypot"):
            cl.add(op, dt, A((3, 4), dt), A((3, 4), dt), **c)
    cl.add("erfinv", "float32/special", A((10,), "float32", values=SPECIAL), **c)
    for op in ("arctan2", "hypot"):
        cl.add(op, "float32/special", A((10, 1), "float32", values=SPECIAL),
               A((1, 10), "float32", values=SPECIAL), **c)
        cl.add(op, "float32/bcast_row", A((3, 4)), A((4,)), **c)
        cl.add(op, "int32_input", A((2, 3), "int32"), A((2, 3), "int32"), **c)


def build(cl: CaseList) -> None:
    _unary_cases(cl)
    _binary_cases(cl)
    _where_cases(cl)
    _cast_cases(cl)
    _math_cases(cl)


__all__ = ["build", "SPECIAL", "SPECIAL_FINITE"]
