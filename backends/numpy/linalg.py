"""Matrix-product kernels over an array module ``xp``."""

from __future__ import annotations

from typing import Any


def kernels(xp: Any, np_dtype: Any) -> dict:
    # NumPy has no half-precision BLAS: float16 is computed in float32 and rounded once.
    # CuPy's float16 matmul is cuBLAS's (float16 storage, float32 accumulation, one
    # rounding of each output): the same contract without the two conversion passes.
    upcast_half = xp.__name__ == "numpy"

    def matmul(a: Any, b: Any) -> Any:
        if upcast_half and a.dtype == xp.float16:
            return xp.matmul(a.astype(xp.float32), b.astype(xp.float32)).astype(xp.float16)
        return xp.matmul(a, b)

    def einsum(*operands: Any, subscripts: str) -> Any:
        big = sum(int(o.size) for o in operands) > 4096
        if operands[0].dtype == xp.float16:
            ops32 = [o.astype(xp.float32) for o in operands]
            return xp.einsum(subscripts, *ops32, optimize=big).astype(xp.float16)
        return xp.einsum(subscripts, *operands, optimize=big)

    return {"matmul": matmul, "einsum": einsum}
