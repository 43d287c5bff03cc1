"""Mapping of tensorweave dtypes to an array module's dtypes, and bfloat16 emulation.

NumPy has no bfloat16: it is stored as float32 whose values are rounded to bfloat16
(round-to-nearest-even on the bit pattern) after every op that produces it.
"""

from __future__ import annotations

from typing import Any

from tensorweave import dtypes as _dt


def dtype_map(xp: Any) -> dict:
    return {
        _dt.bool_: xp.bool_, _dt.int8: xp.int8, _dt.int16: xp.int16, _dt.int32: xp.int32,
        _dt.int64: xp.int64, _dt.uint8: xp.uint8, _dt.uint16: xp.uint16,
        _dt.uint32: xp.uint32, _dt.uint64: xp.uint64, _dt.float16: xp.float16,
        _dt.bfloat16: xp.float32, _dt.float32: xp.float32, _dt.float64: xp.float64,
    }


def round_bfloat16(xp: Any, a: Any) -> Any:
    """float32 values rounded to the nearest bfloat16 (ties to even), kept as float32."""
    a = xp.asarray(a, dtype=xp.float32)
    u = a.view(xp.uint32)
    rounded = (u + xp.uint32(0x7FFF) + ((u >> xp.uint32(16)) & xp.uint32(1))) \
        & xp.uint32(0xFFFF0000)
    out = rounded.view(xp.float32)
    return xp.where(xp.isnan(a), a, out)
