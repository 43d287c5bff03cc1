"""Matrix-product and factorization kernels over an array module ``xp``."""

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

    import numpy

    # CuPy reports failures with NumPy's exception (or NaNs); look it up once
    lin_alg_error = getattr(xp.linalg, "LinAlgError", numpy.linalg.LinAlgError)

    def work(a: Any) -> Any:
        # LAPACK has no half precision: float16 (and bfloat16, stored as float32) work in
        # float32, the result is cast back by the caller
        return a if a.dtype in (xp.float32, xp.float64) else a.astype(xp.float32)

    def cholesky(a: Any) -> Any:
        w = work(a)
        try:
            out = xp.linalg.cholesky(w)
        except lin_alg_error:  # as JAX: NaN for a matrix that is not SPD
            out = xp.empty_like(w)
            flat_in, flat_out = w.reshape((-1,) + w.shape[-2:]), out.reshape(
                (-1,) + w.shape[-2:])
            for i in range(flat_in.shape[0]):
                try:
                    flat_out[i] = xp.linalg.cholesky(flat_in[i])
                except lin_alg_error:
                    flat_out[i] = xp.nan
        return out.astype(a.dtype, copy=False)

    def lu_factor(a: Any) -> tuple:
        lu = work(a).astype(xp.float64 if a.dtype == xp.float64 else xp.float32, copy=True)
        *batch, m, n = lu.shape
        lu = lu.reshape((-1, m, n))
        k = min(m, n)
        piv = xp.zeros((lu.shape[0], k), dtype=xp.int32)
        rows = xp.arange(lu.shape[0])
        for j in range(k):
            p = j + xp.argmax(xp.abs(lu[:, j:, j]), axis=1)
            piv[:, j] = p
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
            pivot = lu[:, j, j]
            safe = xp.where(pivot == 0, 1, pivot)
            f = xp.where((pivot == 0)[:, None], 0, lu[:, j + 1:, j] / safe[:, None])
            lu[:, j + 1:, j] = f
            lu[:, j + 1:, j + 1:] -= f[:, :, None] * lu[:, j, None, j + 1:]
        return (lu.reshape((*batch, m, n)).astype(a.dtype, copy=False),
                piv.reshape((*batch, k)))

    def solve(a: Any, b: Any) -> Any:
        try:
            return xp.linalg.solve(work(a), work(b)).astype(a.dtype, copy=False)
        except lin_alg_error:
            from tensorweave.errors import InvalidArgumentError

            raise InvalidArgumentError("solve: argument 'a': the matrix is singular") from None

    def slogdet(a: Any) -> tuple:
        sign, logdet = xp.linalg.slogdet(work(a))  # NumPy scalars for one matrix
        return xp.asarray(sign, dtype=a.dtype), xp.asarray(logdet, dtype=a.dtype)

    def eigh(a: Any) -> tuple:
        w, v = xp.linalg.eigh(work(a))
        return w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)

    def svd(a: Any, full_matrices: bool) -> tuple:
        u, s, vh = xp.linalg.svd(work(a), full_matrices=full_matrices)
        return tuple(r.astype(a.dtype, copy=False) for r in (u, s, vh))

    def qr(a: Any, mode: str) -> tuple:
        q, r = xp.linalg.qr(work(a), mode=mode)
        return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)

    def rfft(x: Any, fft_length: int) -> tuple:
        # NumPy's pocketfft works in float64 (or complex64 for float32 in NumPy 2): one
        # rounding to x's dtype at the end
        y = xp.fft.rfft(x, n=fft_length, axis=-1)
        return y.real.astype(x.dtype), y.imag.astype(x.dtype)

    return {"matmul": matmul, "einsum": einsum, "rfft": rfft, "cholesky": cholesky,
            "lu_factor": lu_factor,
            "solve": solve, "slogdet": slogdet, "eigh": eigh, "svd": svd, "qr": qr}
