"""``matmul`` and ``einsum``: sums of products, summed exactly.

Float products are taken in float64 (exact for float16/bfloat16/float32 inputs, whose
products need at most 48 bits; for float64 inputs each product is rounded once) and each
output's products are summed with :func:`exact_sum`, then rounded once to the output
dtype. Integer sums of products are exact Python ints, wrapped once by the backend.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from .array import PyArray, broadcast_shape, broadcast_strides, offsets, size_of, strides_of
from .rounding import exact_sum

__all__ = ["KERNELS"]


def _summer(dtype: Any) -> Callable[[list], Any]:
    """The sum of one output's terms: exact for floats, plain (exact) for ints and bools
    (bool products and sums give ints; the backend turns them into ``!= 0``)."""
    if dtype.kind == "f":
        odd = dtype.name != "float64"
        return lambda terms: exact_sum(terms, odd)
    return sum


def _batch_offsets(batch_shape: tuple, target: tuple, matrix_size: int) -> list[int]:
    """Start offset of each (broadcast) batch matrix, in the output's batch order."""
    st = broadcast_strides(batch_shape, target)
    return offsets(target, [s * matrix_size for s in st])


def _matmul(a: PyArray, b: PyArray) -> list:
    """Batched ``(..., n, k) @ (..., k, m)``: one exact sum of ``k`` products per output."""
    *ba, n, k = a.shape
    *bb, _, m = b.shape
    batch = broadcast_shape(tuple(ba), tuple(bb))
    a_starts = _batch_offsets(tuple(ba), batch, n * k)
    b_starts = _batch_offsets(tuple(bb), batch, k * m)
    ad, bd = a.data, b.data
    total = _summer(a.dtype)
    mul = operator.mul
    out: list = []
    for ao, bo in zip(a_starts, b_starts):
        rows = [ad[ao + i * k:ao + (i + 1) * k] for i in range(n)]
        cols = [bd[bo + j:bo + k * m:m] for j in range(m)]
        for row in rows:
            out.extend([total(list(map(mul, row, col))) for col in cols])
    return out


def _einsum(*xs: PyArray, subscripts: str) -> list:
    """Explicit ``"ab,bc->ac"`` einsum.

    Each letter gets one size (a size-1 axis broadcasts against a larger one, as the shape
    rule allows) and, per operand, one stride: the sum of the strides of the axes that
    carry it (so a letter repeated in one term walks the diagonal) or 0 when the operand
    broadcasts along it. Output letters and summed letters then give two offset lists
    per operand, and each output is an exact sum over the summed offsets."""
    lhs, out_letters = subscripts.split("->")
    terms = lhs.split(",")
    sizes: dict[str, int] = {}
    for term, x in zip(terms, xs):
        for c, d in zip(term, x.shape):
            if sizes.get(c, 1) == 1:
                sizes[c] = d
    summed = [c for c in dict.fromkeys(lhs.replace(",", "")) if c not in out_letters]
    out_shape = [sizes[c] for c in out_letters]
    sum_shape = [sizes[c] for c in summed]
    plans = []
    for term, x in zip(terms, xs):
        letter_stride: dict[str, int] = {}
        for c, d, s in zip(term, x.shape, strides_of(x.shape)):
            if d == 1 and sizes[c] != 1:
                continue  # broadcast along this letter
            letter_stride[c] = letter_stride.get(c, 0) + s
        plans.append((x.data,
                      offsets(out_shape, [letter_stride.get(c, 0) for c in out_letters]),
                      offsets(sum_shape, [letter_stride.get(c, 0) for c in summed])))
    total = _summer(xs[0].dtype)
    out: list = []
    for pos in range(size_of(out_shape)):
        data, out_offs, sum_offs = plans[0]
        base = out_offs[pos]
        terms_ = [data[base + s] for s in sum_offs]
        for data, out_offs, sum_offs in plans[1:]:
            base = out_offs[pos]
            terms_ = [t * data[base + s] for t, s in zip(terms_, sum_offs)]
        out.append(total(terms_))
    return out


KERNELS: dict[str, Callable[..., Any]] = {
    "matmul": _matmul,
    "einsum": _einsum,
}
