"""Rounding Python values to a dtype, and exact sums.

The reference backend computes every result in float64 (or exact Python ints) and rounds
once, here, to the output dtype:

* ``float32``: ``array('f', values)`` converts each double with the C cast, which rounds
  to nearest even and overflows to ``inf`` (fast: one C loop);
* ``float16``: ``struct``'s ``'e'`` format rounds to nearest even but *raises*
  ``OverflowError`` for values whose magnitude rounds past 65504: those become ``±inf``;
* ``bfloat16``: round to float32 first, then to 8 mantissa bits, nearest even, on the
  float32 bit pattern (NaN stays NaN);
* ``float64``: unchanged;
* integers wrap to their width (two's complement for signed, modulo for unsigned), as
  NumPy's integer overflow does;
* ``bool``: ``bool(v)``.

:func:`exact_sum` is the one summation used by ``sum``, ``matmul``, ``einsum``,
``scatter_add`` and ``patches_transpose``: ``math.fsum`` (exact, then one rounding to
float64), made "round to odd" when a narrower dtype will round the result again, so the
final value is the exact sum rounded once to that dtype.
"""

from __future__ import annotations

import math
import struct
from array import array
from collections.abc import Callable
from fractions import Fraction
from typing import Any

__all__ = ["round_float32", "round_float16", "round_bfloat16", "wrap_int", "to_bool",
           "rounder_for", "round_values", "exact_sum", "int_to_float", "cast_values",
           "coerce_python"]

_INF = math.inf
_NAN = math.nan

# a 4-byte unsigned typecode, to reinterpret float32 bit patterns
_U32 = "I" if array("I").itemsize == 4 else "L"


def round_float32(values: list) -> list:
    """Each value rounded to the nearest float32 (ties to even); overflow gives ``±inf``."""
    return array("f", values).tolist()


def _f16_one(v: float) -> float:
    try:
        return struct.unpack("<e", struct.pack("<e", v))[0]
    except OverflowError:  # the magnitude rounds past 65504
        return math.copysign(_INF, v)


def round_float16(values: list) -> list:
    """Each value rounded to the nearest float16 (ties to even); overflow gives ``±inf``.

    One ``struct`` call packs the whole list; only when it overflows do we go element by
    element to find which values become infinite."""
    n = len(values)
    fmt = f"<{n}e"
    try:
        return list(struct.unpack(fmt, struct.pack(fmt, *values)))
    except OverflowError:
        return [_f16_one(v) for v in values]


def _bf16_bits(u: int) -> int:
    """Round a float32 bit pattern to bfloat16 (kept in the high 16 bits)."""
    if (u & 0x7F800000) == 0x7F800000 and (u & 0x007FFFFF):
        return (u | 0x00400000) & 0xFFFF0000  # NaN: keep it a (quiet) NaN
    return (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000


def round_bfloat16(values: list) -> list:
    """Each value rounded to float32, then to bfloat16 (8 mantissa bits, ties to even)."""
    bits = array(_U32, array("f", values).tobytes())
    out = array(_U32, [_bf16_bits(u) for u in bits])
    return array("f", out.tobytes()).tolist()


def wrap_int(values: list, bits: int, signed: bool) -> list:
    """Integers reduced to ``bits`` bits (two's complement when ``signed``). Values
    already in range are returned as they are (the common case, checked in one pass)."""
    mask = (1 << bits) - 1
    if signed:
        lo, hi = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
        half = 1 << (bits - 1)
        if all(lo <= v <= hi for v in values):
            return values
        return [((v + half) & mask) - half for v in values]
    if all(0 <= v <= mask for v in values):
        return values
    return [v & mask for v in values]


def to_bool(values: list) -> list:
    return list(map(bool, values))


def _identity(values: list) -> list:
    return values


def rounder_for(dtype: Any) -> Callable[[list], list]:
    """The function that rounds (or wraps) a list of raw Python values to ``dtype``."""
    name = dtype.name
    if name == "float32":
        return round_float32
    if name == "float64":
        return _identity
    if name == "float16":
        return round_float16
    if name == "bfloat16":
        return round_bfloat16
    if name == "bool":
        return to_bool
    bits, signed = dtype.bits, dtype.kind == "i"
    return lambda values: wrap_int(values, bits, signed)


def round_values(values: list, dtype: Any) -> list:
    return rounder_for(dtype)(values)


# ---- conversions ------------------------------------------------------------------------------
def _round_int_to_bits(v: int, p: int) -> int:
    """The integer ``v`` rounded to ``p`` significant bits, ties to even (exact)."""
    a = -v if v < 0 else v
    extra = a.bit_length() - p
    if extra <= 0:
        return v
    q, r = a >> extra, a & ((1 << extra) - 1)
    half = 1 << (extra - 1)
    if r > half or (r == half and q & 1):
        q += 1
    a = q << extra
    return -a if v < 0 else a


_PRECISION = {"float16": 11, "bfloat16": 24, "float32": 24, "float64": 53}
_EXACT_INT = 1 << 53  # every int up to this magnitude is a float64


def _int_to_float_one(v: int, p: int) -> float:
    if -_EXACT_INT <= v <= _EXACT_INT:
        return float(v)
    v = _round_int_to_bits(v, p)
    try:
        return float(v)
    except OverflowError:  # beyond float64 (only for ints of more than 1024 bits)
        return _INF if v > 0 else -_INF


def int_to_float(values: list, dtype: Any) -> list:
    """Integers as floats of ``dtype`` with a single rounding (as NumPy's direct int ->
    float32 conversion), not int -> float64 -> float32 (which can round twice for ints
    above 2**53). bfloat16 goes through float32 by definition. The caller still applies
    :func:`rounder_for` (exact here, or the float16/float32 overflow to inf)."""
    p = _PRECISION[dtype.name]
    return [_int_to_float_one(int(v), p) for v in values]


def _float_to_int(v: float) -> int:
    """Truncation toward zero; NaN and +-inf give 0 (NumPy's result is platform-dependent
    there: it warns and returns e.g. INT_MIN on x86)."""
    try:
        return int(v)
    except (ValueError, OverflowError):
        return 0


def cast_values(values: list, src_kind: str, dtype: Any) -> list:
    """``values`` of a dtype of kind ``src_kind`` (``b``, ``i``, ``u``, ``f``) converted to
    ``dtype`` with the semantics of the ``cast`` op: float -> int truncates toward zero,
    int -> int wraps, -> bool is ``!= 0`` (NaN is true), floats round to nearest even."""
    kind = dtype.kind
    if kind == "b":
        return [v != 0 for v in values]
    if kind == "f":
        if src_kind == "f":
            raw = values
        elif src_kind == "b":
            raw = [1.0 if v else 0.0 for v in values]
        else:
            raw = int_to_float(values, dtype)
        return rounder_for(dtype)(raw)
    if src_kind == "f":
        raw = [_float_to_int(v) for v in values]
    elif src_kind == "b":
        raw = [1 if v else 0 for v in values]
    else:
        raw = values
    return wrap_int(raw, dtype.bits, kind == "i")


def coerce_python(values: list, dtype: Any) -> list:
    """Python scalars of any kind (``from_flat``, ``scalar``: e.g. the weak scalar ``1`` in
    ``x_float + 1``) as values of ``dtype``: right Python type, rounded or wrapped."""
    kind = dtype.kind
    if kind == "b":
        return [bool(v) for v in values]
    if kind == "f":
        p = _PRECISION[dtype.name]
        raw = [v if type(v) is float else
               _int_to_float_one(int(v), p) if isinstance(v, int) else float(v)
               for v in values]
        return rounder_for(dtype)(raw)
    raw = [v if type(v) is int else _float_to_int(v) if isinstance(v, float) else int(v)
           for v in values]
    return wrap_int(raw, dtype.bits, kind == "i")


# ---- exact sums ---------------------------------------------------------------------------------
def _fsum_fallback(values: list) -> float:
    """``fsum`` raised: ``inf - inf`` (gives NaN) or an intermediate overflow (sum exactly
    with fractions, then round once; too large for a float gives ``±inf``)."""
    if any(v != v for v in values):
        return _NAN
    infs = {v for v in values if v in (_INF, -_INF)}
    if infs:
        return _NAN if len(infs) == 2 else infs.pop()
    total = sum(map(Fraction, values), Fraction(0))
    try:
        return float(total)
    except OverflowError:
        return _INF if total > 0 else -_INF


def _bits64(x: float) -> int:
    return struct.unpack("<q", struct.pack("<d", x))[0]


def exact_sum(values: list, odd: bool = False) -> float:
    """The exact sum of floats rounded to float64.

    With ``odd=True`` the result is rounded *to odd* instead (when it is inexact and
    its last bit is even, step one ulp toward the exact sum): rounding that value again
    to float32/float16 then gives the exact sum correctly rounded, with no double-rounding
    error. Only results whose 28 low mantissa bits are zero can be a tie for a narrower
    format, so only those pay for the residual computation."""
    try:
        s = math.fsum(values)
    except (OverflowError, ValueError):
        return _fsum_fallback(values)
    if not odd or s == 0.0 or s != s or s in (_INF, -_INF):
        return s
    if _bits64(s) & 0x0FFFFFFF:
        return s
    try:
        r = math.fsum([*values, -s])
    except (OverflowError, ValueError):
        return s
    if r == 0.0:
        return s
    return math.nextafter(s, _INF if r > 0 else -_INF)
