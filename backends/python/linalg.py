"""``matmul`` and ``einsum`` (sums of products, summed exactly) and the factorizations.

Float products are taken in float64 (exact for float16/bfloat16/float32 inputs, whose
products need at most 48 bits; for float64 inputs each product is rounded once) and each
output's products are summed with :func:`exact_sum`, then rounded once to the output
dtype. Integer sums of products are exact Python ints, wrapped once by the backend.
"""

from __future__ import annotations

import math
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


# ---- factorizations (float64 arithmetic; the backend rounds each result once) ------------------
def _matrices(x: PyArray) -> tuple[tuple, int, int, list[list[list[float]]]]:
    """Batch shape, rows, columns and the matrices of ``x`` as lists of float rows."""
    *batch, m, n = x.shape
    d = x.data
    mats = []
    for b in range(size_of(tuple(batch))):
        base = b * m * n
        mats.append([[float(v) for v in d[base + i * n:base + (i + 1) * n]] for i in range(m)])
    return tuple(batch), m, n, mats


def _flat(mats: list) -> list:
    return [v for mat in mats for row in mat for v in row]


def _cholesky_one(a: list) -> list:
    n = len(a)
    low = [[0.0] * n for _ in range(n)]
    for j in range(n):
        s = a[j][j] - math.fsum(low[j][k] * low[j][k] for k in range(j))
        if not s > 0.0:
            return [[math.nan] * n for _ in range(n)]
        d = math.sqrt(s)
        low[j][j] = d
        for i in range(j + 1, n):
            low[i][j] = (a[i][j] - math.fsum(low[i][k] * low[j][k] for k in range(j))) / d
    return low


def _cholesky(x: PyArray) -> list:
    return _flat([_cholesky_one(a) for a in _matrices(x)[3]])


def _lu_one(a: list) -> tuple[list, list[int], int]:
    """LU with partial pivoting (LAPACK's getrf): packed LU, 0-based pivots, swap count."""
    m, n = len(a), len(a[0]) if a else 0
    lu = [row[:] for row in a]
    piv = []
    swaps = 0
    for k in range(min(m, n)):
        p = max(range(k, m), key=lambda i: (abs(lu[i][k]), -i))
        piv.append(p)
        if p != k:
            lu[k], lu[p] = lu[p], lu[k]
            swaps += 1
        pivot = lu[k][k]
        if pivot == 0.0:
            continue
        for i in range(k + 1, m):
            f = lu[i][k] / pivot
            lu[i][k] = f
            if f != 0.0:
                rk, ri = lu[k], lu[i]
                for j in range(k + 1, n):
                    ri[j] -= f * rk[j]
    return lu, piv, swaps


def _lu_factor(x: PyArray) -> tuple[list, list]:
    lus, pivs = [], []
    for a in _matrices(x)[3]:
        lu, piv, _ = _lu_one(a)
        lus.append(lu)
        pivs.extend(piv)
    return _flat(lus), pivs


def _solve(a: PyArray, b: PyArray) -> list:
    from tensorweave.errors import InvalidArgumentError

    _, n, _, amats = _matrices(a)
    _, _, k, bmats = _matrices(b)
    out = []
    for am, bm in zip(amats, bmats):
        lu, piv, _ = _lu_one(am)
        if any(lu[i][i] == 0.0 for i in range(n)):
            raise InvalidArgumentError("solve: argument 'a': the matrix is singular")
        y = [row[:] for row in bm]
        for i, p in enumerate(piv):
            y[i], y[p] = y[p], y[i]
        for i in range(n):
            for r in range(i):
                f = lu[i][r]
                if f != 0.0:
                    y[i] = [u - f * v for u, v in zip(y[i], y[r])]
        for i in range(n - 1, -1, -1):
            for r in range(i + 1, n):
                f = lu[i][r]
                if f != 0.0:
                    y[i] = [u - f * v for u, v in zip(y[i], y[r])]
            y[i] = [u / lu[i][i] for u in y[i]]
        out.append(y)
    return _flat(out)


def _slogdet(x: PyArray) -> tuple[list, list]:
    signs, logs = [], []
    for a in _matrices(x)[3]:
        lu, _, swaps = _lu_one(a)
        diag = [lu[i][i] for i in range(len(lu))]
        if any(d == 0.0 for d in diag):
            signs.append(0.0)
            logs.append(-math.inf)
            continue
        neg = swaps + sum(1 for d in diag if d < 0)
        signs.append(-1.0 if neg % 2 else 1.0)
        logs.append(math.fsum(math.log(abs(d)) for d in diag))
    return signs, logs


def _jacobi_eigh(a: list) -> tuple[list[float], list]:
    """Cyclic Jacobi: ascending eigenvalues and the eigenvectors as columns."""
    n = len(a)
    s = [row[:] for row in a]
    v = [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]
    for _ in range(100):
        off = math.fsum(s[i][j] ** 2 for i in range(n) for j in range(n) if i != j)
        scale = math.fsum(s[i][i] ** 2 for i in range(n))
        if off <= 1e-30 * max(scale, 1e-300):
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                if s[p][q] == 0.0:
                    continue
                theta = (s[q][q] - s[p][p]) / (2.0 * s[p][q])
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1.0))
                c = 1.0 / math.sqrt(t * t + 1.0)
                sn = t * c
                for k in range(n):  # columns p, q
                    skp, skq = s[k][p], s[k][q]
                    s[k][p], s[k][q] = c * skp - sn * skq, sn * skp + c * skq
                for k in range(n):  # rows p, q
                    spk, sqk = s[p][k], s[q][k]
                    s[p][k], s[q][k] = c * spk - sn * sqk, sn * spk + c * sqk
                for k in range(n):
                    vkp, vkq = v[k][p], v[k][q]
                    v[k][p], v[k][q] = c * vkp - sn * vkq, sn * vkp + c * vkq
    order = sorted(range(n), key=lambda i: s[i][i])
    w = [s[i][i] for i in order]
    vecs = [[v[r][i] for i in order] for r in range(n)]
    return w, vecs


def _eigh(x: PyArray) -> tuple[list, list]:
    ws, vs = [], []
    for a in _matrices(x)[3]:
        w, v = _jacobi_eigh(a)
        ws.extend(w)
        vs.append(v)
    return ws, _flat(vs)


def _complete_basis(cols: list[list[float]], m: int, want: int) -> list[list[float]]:
    """``cols`` (unit or zero columns of length ``m``) with each zero column replaced, and
    more appended up to ``want``, by unit vectors orthogonal to the others (Gram-Schmidt,
    twice, over the standard basis)."""
    out: list = [c if math.fsum(v * v for v in c) > 0.5 else None for c in cols]
    filled = [c for c in out if c is not None]

    def fresh() -> list[float]:
        for j in range(m):
            u = [1.0 if i == j else 0.0 for i in range(m)]
            for _ in range(2):
                for f in filled:
                    d = math.fsum(a * b for a, b in zip(u, f))
                    u = [a - d * b for a, b in zip(u, f)]
            nrm = math.sqrt(math.fsum(v * v for v in u))
            if nrm > 1e-6:
                u = [v / nrm for v in u]
                filled.append(u)
                return u
        raise RuntimeError("svd: no vector left to complete the basis")

    out = [c if c is not None else fresh() for c in out]
    while len(out) < want:
        out.append(fresh())
    return out


def _svd_tall(a: list) -> tuple[list, list[float], list]:
    """One-sided Jacobi SVD of an m x n matrix with m >= n: U (m x n columns), s, V."""
    m, n = len(a), len(a[0])
    u = [[a[i][j] for i in range(m)] for j in range(n)]  # columns
    v = [[1.0 if i == j else 0.0 for i in range(n)] for j in range(n)]  # columns of V
    for _ in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha = math.fsum(x * x for x in u[p])
                beta = math.fsum(x * x for x in u[q])
                gamma = math.fsum(x * y for x, y in zip(u[p], u[q]))
                if gamma == 0.0 or abs(gamma) <= 1e-15 * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                t = math.copysign(1.0, zeta) / (abs(zeta) + math.sqrt(1.0 + zeta * zeta))
                c = 1.0 / math.sqrt(1.0 + t * t)
                sn = c * t
                up, uq = u[p], u[q]
                u[p] = [c * x - sn * y for x, y in zip(up, uq)]
                u[q] = [sn * x + c * y for x, y in zip(up, uq)]
                vp, vq = v[p], v[q]
                v[p] = [c * x - sn * y for x, y in zip(vp, vq)]
                v[q] = [sn * x + c * y for x, y in zip(vp, vq)]
        if not rotated:
            break
    s = [math.sqrt(math.fsum(x * x for x in col)) for col in u]
    order = sorted(range(n), key=lambda j: -s[j])
    s = [s[j] for j in order]
    ucols = [[x / s_j for x in u[j]] if s_j > 0.0 else [0.0] * m
             for j, s_j in zip(order, s)]
    vcols = [v[j] for j in order]
    return ucols, s, vcols


def _svd(x: PyArray, full_matrices: bool) -> tuple[list, list, list]:
    us, ss, vhs = [], [], []
    _, m, n, mats = _matrices(x)
    for a in mats:
        tall = m >= n
        work = a if tall else [[a[i][j] for i in range(m)] for j in range(n)]
        rows = max(m, n)
        ucols, s, vcols = _svd_tall(work)
        ucols = _complete_basis(ucols, rows, rows if full_matrices else len(ucols))
        if not tall:  # A^T = U S V^T, so A = V S U^T
            ucols, vcols = vcols, ucols
        uu = [[col[i] for col in ucols] for i in range(m)]
        vh = [col[:] for col in vcols]
        us.append(uu)
        ss.extend(s)
        vhs.append(vh)
    return _flat(us), ss, _flat(vhs)


def _qr(x: PyArray, mode: str) -> tuple[list, list]:
    """Householder QR with LAPACK's sign convention (``beta = -sign(alpha) * norm``)."""
    qs, rs = [], []
    _, m, n, mats = _matrices(x)
    k = min(m, n)
    for a in mats:
        r = [row[:] for row in a]
        q = [[1.0 if i == j else 0.0 for j in range(m)] for i in range(m)]
        for j in range(k):
            alpha = r[j][j]
            xnorm = math.sqrt(math.fsum(r[i][j] ** 2 for i in range(j + 1, m)))
            if xnorm == 0.0:
                continue
            beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
            tau = (beta - alpha) / beta
            v = [1.0] + [r[i][j] / (alpha - beta) for i in range(j + 1, m)]
            for c in range(j, n):  # R <- H R
                d = tau * math.fsum(v[i - j] * r[i][c] for i in range(j, m))
                for i in range(j, m):
                    r[i][c] -= d * v[i - j]
            for row in q:  # Q <- Q H
                d = tau * math.fsum(row[i] * v[i - j] for i in range(j, m))
                for i in range(j, m):
                    row[i] -= d * v[i - j]
            for i in range(j + 1, m):
                r[i][j] = 0.0
        if mode == "complete":
            qs.append(q)
            rs.append(r)
        else:
            qs.append([row[:k] for row in q])
            rs.append(r[:k])
    return _flat(qs), _flat(rs)


KERNELS: dict[str, Callable[..., Any]] = {
    "matmul": _matmul,
    "einsum": _einsum,
    "cholesky": _cholesky,
    "lu_factor": _lu_factor,
    "solve": _solve,
    "slogdet": _slogdet,
    "eigh": _eigh,
    "svd": _svd,
    "qr": _qr,
}
