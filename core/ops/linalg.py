"""Matrix products: ``matmul`` (batched, broadcasting batch dims) and ``einsum``.

Both are primitives. ``matmul`` kernels see inputs of at least two dims (the public
function handles NumPy's 1-d rules by reshaping). ``einsum`` kernels see explicit
subscripts such as ``"bij,bjk->bik"`` (no ellipsis, no implicit output): the public
function rewrites the user's form first.
"""

from __future__ import annotations

import string
from typing import Any

from ..errors import (
    DTypeError,
    InvalidArgumentError,
    NotDifferentiableError,
    ShapeError,
)
from ..shapes import broadcast_shapes
from ._dispatch import apply, convert_to_tensor, defop, is_symbolic, is_tensor

__all__ = ["matmul", "einsum", "dot", "outer", "tensordot", "inner", "vdot", "trace",
           "cholesky", "cholesky_inverse", "det", "eigh", "inv", "lstsq", "lu_factor",
           "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd", "slogdet",
           "logdet", "cdist"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _matmul_rule(specs: list) -> tuple:
    a, b = specs
    if a.dtype is not b.dtype:
        raise DTypeError(f"matmul: inputs must share a dtype, got {a.dtype} and {b.dtype}")
    if a.dtype.is_bool:
        raise DTypeError("matmul: boolean inputs are not supported")
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise ShapeError(f"matmul: kernels need >= 2-d inputs, got {a.shape} and {b.shape}")
    n, k1 = a.shape[-2:]
    k2, m = b.shape[-2:]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ShapeError(f"matmul: argument 'x2': expected {k1} rows to match x1 of shape "
                         f"{a.shape}, got shape {b.shape}")
    batch = broadcast_shapes("matmul", a.shape[:-2], b.shape[:-2])
    return tuple(batch) + (n, m), a.dtype


def _vjp_matmul(g, out, a, b):  # noqa: ANN001, ANN202
    from .elementwise import unbroadcast
    from .shape import swapaxes

    ga = matmul(g, swapaxes(b, -1, -2))
    gb = matmul(swapaxes(a, -1, -2), g)
    return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)


MATMUL = defop("matmul", _matmul_rule, vjp=_vjp_matmul, family="linalg")


def matmul(x1: Any, x2: Any) -> Any:
    """Matrix product with NumPy semantics (1-d operands are promoted then squeezed)."""
    from .dispatch_helpers import promote_pair
    from .shape import reshape

    a, b = promote_pair("matmul", _prep("matmul", x1), _prep("matmul", x2))
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError("matmul: scalars are not allowed; use multiply")
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] is not None and k_b is not None and a.shape[-1] != k_b:
        raise ShapeError(f"matmul: argument 'x2': expected {a.shape[-1]} rows to match x1 of "
                         f"shape {tuple(a.shape)}, got shape {tuple(b.shape)}")
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b
    out = apply(MATMUL, (a2, b2))
    if a.ndim == 1 and b.ndim == 1:
        return reshape(out, ())
    if a.ndim == 1:
        return reshape(out, tuple(out.shape[:-2]) + (out.shape[-1],))
    if b.ndim == 1:
        return reshape(out, tuple(out.shape[:-1]))
    return out


# ---- einsum -------------------------------------------------------------------------------
def _parse_einsum(subscripts: str, ndims: list[int]) -> tuple[list[str], str]:
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, out = s.split("->")
    else:
        lhs, out = s, None
    terms = lhs.split(",")
    if len(terms) != len(ndims):
        raise InvalidArgumentError(f"einsum: {len(terms)} operand terms in {subscripts!r} but "
                                   f"{len(ndims)} operands")
    used = set(c for c in s if c.isalpha())
    free = [c for c in string.ascii_letters if c not in used]
    ell_len = 0
    for t, n in zip(terms, ndims):
        if "..." in t:
            ell_len = max(ell_len, n - (len(t) - 3))
    ell = "".join(free[:ell_len])
    fixed = []
    for t, n in zip(terms, ndims):
        if "..." in t:
            k = n - (len(t) - 3)
            t = t.replace("...", ell[ell_len - k:])
        if len(t) != n:
            raise ShapeError(f"einsum: term {t!r} has {len(t)} indices for an operand with "
                             f"{n} dims")
        fixed.append(t)
    if out is None:
        counts: dict[str, int] = {}
        for t in fixed:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    return fixed, out


def _einsum_rule(specs: list, subscripts: str) -> tuple:
    lhs, out = subscripts.split("->")
    terms = lhs.split(",")
    sizes: dict[str, Any] = {}
    for t, s in zip(terms, specs):
        for c, d in zip(t, s.shape):
            prev = sizes.get(c)
            if prev is None or prev == 1:
                sizes[c] = d
            elif d is not None and d != prev and d != 1:
                raise ShapeError(f"einsum: index {c!r} has sizes {prev} and {d} in "
                                 f"{subscripts!r}")
    for c in out:
        if c not in sizes:
            raise InvalidArgumentError(f"einsum: output index {c!r} is not in any input")
    dt = specs[0].dtype
    for s in specs:
        if s.dtype is not dt:
            raise DTypeError("einsum: operands must share a dtype")
    return tuple(sizes[c] for c in out), dt


def _vjp_einsum(g, out, *xs, subscripts):  # noqa: ANN001, ANN202
    lhs, out_s = subscripts.split("->")
    terms = lhs.split(",")
    grads = []
    for i, (t, x) in enumerate(zip(terms, xs)):
        others = [terms[j] for j in range(len(xs)) if j != i]
        rest = [xs[j] for j in range(len(xs)) if j != i]
        uniq = "".join(dict.fromkeys(t))
        shape = tuple(x.shape[t.index(c)] for c in uniq)
        gi = _einsum_operand_grad(g, out_s, others, rest, uniq, shape)
        if uniq != t:
            gi = _onto_diagonal(gi, uniq, t, tuple(x.shape))
        grads.append(gi)
    return tuple(grads)


def _einsum_operand_grad(g: Any, out_s: str, others: list, rest: list, t: str,
                         shape: tuple) -> Any:
    """The cotangent of one operand with distinct indices ``t`` and shape ``shape``."""
    from .shape import broadcast_to

    avail = set(out_s).union(*others) if others else set(out_s)
    keep = "".join(c for c in t if c in avail)
    gi = einsum(",".join([out_s] + others) + "->" + keep, g, *rest)
    # an index of size 1 in x that broadcast against a longer one elsewhere: sum it
    red = tuple(k for k, c in enumerate(keep) if shape[t.index(c)] == 1 and gi.shape[k] != 1)
    if red:
        from .reduction import sum as _sum

        gi = _sum(gi, axis=red, keepdims=True)
    if keep != t:
        from .shape import reshape

        gi = reshape(gi, tuple(gi.shape[keep.index(c)] if c in keep else 1 for c in t))
    if tuple(gi.shape) != tuple(shape):  # indices x has but the cotangent lacks
        gi = broadcast_to(gi, shape)
    return gi


def _onto_diagonal(gd: Any, uniq: str, t: str, shape: tuple) -> Any:
    """Place the cotangent of a diagonal (``uniq``, the distinct indices of ``t``) back
    onto the diagonal of an operand written ``t`` (``ii->i``: ``gd`` times the identity):
    each repeated occurrence gets a fresh index tied to the first by an identity."""
    from .creation import eye

    free = [c for c in string.ascii_letters if c not in t]
    renamed, ties, operands = [], [], []
    seen: set[str] = set()
    for pos, c in enumerate(t):
        if c in seen:
            fresh = free.pop(0)
            renamed.append(fresh)
            ties.append(c + fresh)
            operands.append(eye(shape[pos], dtype=gd.dtype))
        else:
            seen.add(c)
            renamed.append(c)
    return einsum(",".join([uniq] + ties) + "->" + "".join(renamed), gd, *operands)


EINSUM = defop("einsum", _einsum_rule, vjp=_vjp_einsum, family="linalg")


def einsum(subscripts: str, *operands: Any) -> Any:
    """Einstein summation, as ``numpy.einsum`` (ellipsis and implicit output allowed)."""
    from .dispatch_helpers import promote_all

    xs = promote_all("einsum", [_prep("einsum", x) for x in operands])
    terms, out = _parse_einsum(subscripts, [x.ndim for x in xs])
    return apply(EINSUM, tuple(xs), {"subscripts": ",".join(terms) + "->" + out})


def dot(x1: Any, x2: Any) -> Any:
    from .elementwise import multiply

    a, b = _prep("dot", x1), _prep("dot", x2)
    if a.ndim == 0 or b.ndim == 0:
        return multiply(a, b)
    if b.ndim <= 2:
        return matmul(a, b)
    # NumPy: sum over the last axis of a and the second-to-last of b
    la = string.ascii_lowercase[:a.ndim]
    lb = string.ascii_lowercase[a.ndim:a.ndim + b.ndim - 1]
    lb = lb[:-1] + la[-1] + lb[-1]
    return einsum(f"{la},{lb}->{la[:-1]}{lb[:-2]}{lb[-1]}", a, b)


def outer(x1: Any, x2: Any) -> Any:
    from .shape import ravel

    return einsum("i,j->ij", ravel(_prep("outer", x1)), ravel(_prep("outer", x2)))


def inner(x1: Any, x2: Any) -> Any:
    return einsum("...i,...i->...", x1, x2) if _prep("inner", x1).ndim <= 1 else \
        tensordot(x1, x2, axes=([-1], [-1]))


def vdot(x1: Any, x2: Any) -> Any:
    from .shape import ravel

    return einsum("i,i->", ravel(_prep("vdot", x1)), ravel(_prep("vdot", x2)))


def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Any:
    a, b = _prep("tensordot", x1), _prep("tensordot", x2)
    if isinstance(axes, int):
        ax_a = list(range(a.ndim - axes, a.ndim))
        ax_b = list(range(axes))
    else:
        ax_a = [x % a.ndim for x in ([axes[0]] if isinstance(axes[0], int) else axes[0])]
        ax_b = [x % b.ndim for x in ([axes[1]] if isinstance(axes[1], int) else axes[1])]
    letters = iter(string.ascii_letters)
    ta = [next(letters) for _ in range(a.ndim)]
    tb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(ax_a, ax_b):
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in ax_a] + \
        [c for j, c in enumerate(tb) if j not in ax_b]
    return einsum(f"{''.join(ta)},{''.join(tb)}->{''.join(out)}", a, b)


def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """Sum along a diagonal (``offset`` above the main one) of the planes ``axis1, axis2``."""
    from .creation import eye
    from .elementwise import multiply
    from .reduction import sum as _sum
    from .shape import moveaxis

    x = _prep("trace", x)
    if x.ndim < 2:
        raise ShapeError(f"trace: argument 'x': expected at least 2 dims, got shape {x.shape}")
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    if a1 == a2:
        raise InvalidArgumentError(f"trace: axis1 and axis2 must differ, got {axis1}, {axis2}")
    x = moveaxis(moveaxis(x, a1, -1), a2 - (a2 > a1), -1)  # (..., axis1, axis2)
    mask = eye(x.shape[-2], x.shape[-1], k=int(offset), dtype=x.dtype)
    return _sum(multiply(x, mask), axis=(-2, -1))


# ---- factorizations ------------------------------------------------------------------------
# Seven primitives (NumPy's LAPACK on numpy/cupy, pure-Python kernels on ``python``); the
# rest of ``keras.ops.linalg`` is written with them and other ops, so it differentiates.
def _float(name: str, x: Any) -> Any:
    """``x`` as a float tensor (integers and bools become floatx, as Keras does)."""
    from ..backend import floatx
    from .elementwise import cast

    x = _prep(name, x)
    return x if x.dtype.is_floating else cast(x, floatx())


def _square(name: str, x: Any, arg: str = "x") -> None:
    if x.ndim < 2:
        raise ShapeError(f"{name}: argument '{arg}': expected a matrix (at least 2 dims), got "
                         f"shape {tuple(x.shape)}")
    n, m = x.shape[-2:]
    if n is not None and m is not None and n != m:
        raise ShapeError(f"{name}: argument '{arg}': expected square matrices, got shape "
                         f"{tuple(x.shape)}")


def _mT(x: Any) -> Any:
    from .shape import swapaxes

    return swapaxes(x, -1, -2)


def _eye_like(x: Any, n: int | None = None) -> Any:
    from .creation import eye

    n = x.shape[-1] if n is None else n
    return eye(n, dtype=x.dtype)


def _sym(x: Any) -> Any:
    from .elementwise import add, multiply

    return multiply(add(x, _mT(x)), 0.5)


def _mat_rule(name: str) -> Any:
    def rule(specs: list, **attrs: Any) -> tuple:
        (x,) = specs
        if len(x.shape) < 2:
            raise ShapeError(f"{name}: expected at least 2 dims, got shape {x.shape}")
        return tuple(x.shape), x.dtype
    return rule


def _vjp_cholesky(g, out, x):  # noqa: ANN001, ANN202
    # L = chol(A): dL = L phi(L^-1 dA L^-T), phi = lower triangle with half the diagonal;
    # its adjoint gives  A_bar = L^-T phi(L^T G) L^-1  (then symmetrized by the caller)
    from .creation import tril
    from .elementwise import multiply, subtract

    low = out
    p = tril(matmul(_mT(low), g))
    p = subtract(p, multiply(multiply(p, _eye_like(p)), 0.5))
    left = solve_triangular(_mT(low), p, lower=False)           # L^-T P
    return (_mT(solve_triangular(_mT(low), _mT(left), lower=False)),)  # (L^-T (L^-T P)^T)^T


CHOLESKY = defop("cholesky", _mat_rule("cholesky"), vjp=_vjp_cholesky, family="linalg",
                 doc="Lower Cholesky factor of a symmetric positive-definite matrix.")


def _lu_rule(specs: list) -> list:
    (x,) = specs
    if len(x.shape) < 2:
        raise ShapeError(f"lu_factor: expected at least 2 dims, got shape {x.shape}")
    m, n = x.shape[-2:]
    k = None if m is None or n is None else min(m, n)
    from .. import dtypes as _dt

    return [(tuple(x.shape), x.dtype), (tuple(x.shape[:-2]) + (k,), _dt.int32)]


def _vjp_lu_factor(g, out, x):  # noqa: ANN001, ANN202
    # not a zero gradient (JAX and PyTorch differentiate the packed factors): say so
    raise NotDifferentiableError("lu_factor: the packed LU factors have no gradient rule "
                                 "yet; differentiate solve, inv, det or slogdet instead")


LU_FACTOR = defop("lu_factor", _lu_rule, multi_output=True, vjp=_vjp_lu_factor,
                  family="linalg", doc="Packed LU with partial pivoting and 0-based pivots.")


def _solve_rule(specs: list) -> tuple:
    a, b = specs
    if a.dtype is not b.dtype:
        raise DTypeError(f"solve: inputs must share a dtype, got {a.dtype} and {b.dtype}")
    if tuple(a.shape[:-2]) != tuple(b.shape[:-2]) or (
            a.shape[-1] is not None and b.shape[-2] is not None and a.shape[-1] != b.shape[-2]):
        raise ShapeError(f"solve: shapes {a.shape} and {b.shape} do not match")
    return tuple(b.shape), a.dtype


def _vjp_solve(g, out, a, b):  # noqa: ANN001, ANN202
    from .elementwise import neg

    gb = solve(_mT(a), g)
    return neg(matmul(gb, _mT(out))), gb


SOLVE = defop("solve", _solve_rule, vjp=_vjp_solve, family="linalg",
              doc="A^-1 B for (..., n, n) A and (..., n, k) B of the same batch.")


def _slogdet_rule(specs: list) -> list:
    (x,) = specs
    return [(tuple(x.shape[:-2]), x.dtype)] * 2


def _vjp_slogdet(g, out, x):  # noqa: ANN001, ANN202
    from .elementwise import multiply
    from .shape import expand_dims

    gl = expand_dims(g[1], (-1, -2))
    return (multiply(gl, _mT(inv(x))),)


SLOGDET = defop("slogdet", _slogdet_rule, vjp=_vjp_slogdet, multi_output=True,
                family="linalg", doc="Sign and log of the absolute determinant.")


def _eigh_rule(specs: list) -> list:
    (x,) = specs
    return [(tuple(x.shape[:-1]), x.dtype), (tuple(x.shape), x.dtype)]


def _offdiag_inverse_gaps(w: Any, square: bool = False) -> Any:
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (``w`` squared first when
    ``square``)."""
    from .elementwise import divide, multiply, subtract, where
    from .shape import expand_dims

    if square:
        w = multiply(w, w)
    diff = subtract(expand_dims(w, -2), expand_dims(w, -1))
    eye = _eye_like(diff)
    safe = where(eye > 0, 1.0, diff)
    return where(eye > 0, 0.0, divide(1.0, safe))


def _vjp_eigh(g, out, x):  # noqa: ANN001, ANN202
    # A = V diag(w) V^T:  A_bar = V (diag(w_bar) + F * (V^T V_bar)) V^T
    from .elementwise import add, multiply
    from .shape import expand_dims

    gw, gv = g
    w, v = out
    inner = add(multiply(expand_dims(gw, -1), _eye_like(v)),
                multiply(_offdiag_inverse_gaps(w), matmul(_mT(v), gv)))
    return (matmul(matmul(v, inner), _mT(v)),)


EIGH = defop("eigh", _eigh_rule, vjp=_vjp_eigh, multi_output=True, family="linalg",
             doc="Ascending eigenvalues and eigenvectors of a symmetric matrix.")


def _svd_rule(specs: list, full_matrices: bool) -> list:
    (x,) = specs
    *batch, m, n = x.shape
    k = None if m is None or n is None else min(m, n)
    b = tuple(batch)
    if full_matrices:
        return [(b + (m, m), x.dtype), (b + (k,), x.dtype), (b + (n, n), x.dtype)]
    return [(b + (m, k), x.dtype), (b + (k,), x.dtype), (b + (k, n), x.dtype)]


def _vjp_svd(g, out, x, full_matrices):  # noqa: ANN001, ANN202
    # reduced SVD A = U S V^T (Townsend 2016, real case)
    from .elementwise import add, divide, multiply, subtract
    from .shape import expand_dims

    m, n = x.shape[-2:]
    if full_matrices and m != n:
        raise NotDifferentiableError("svd: the gradient needs full_matrices=False for a "
                                     "non-square matrix (the extra singular vectors are not "
                                     "unique)")
    gu, gs, gvh = g
    u, s, vh = out
    v, gv = _mT(vh), _mT(gvh)
    f = _offdiag_inverse_gaps(s, square=True)
    ut_gu = matmul(_mT(u), gu)
    vt_gv = matmul(_mT(v), gv)
    s_row = expand_dims(s, -2)
    s_col = expand_dims(s, -1)
    j = multiply(f, subtract(ut_gu, _mT(ut_gu)))
    k = multiply(f, subtract(vt_gv, _mT(vt_gv)))
    core = add(add(multiply(expand_dims(gs, -1), _eye_like(u, s.shape[-1])),
                   multiply(j, s_row)), multiply(s_col, k))
    ga = matmul(matmul(u, core), vh)
    if m > n:  # (I - U U^T) G_U S^-1 V^T
        proj = subtract(gu, matmul(u, ut_gu))
        ga = add(ga, matmul(divide(proj, s_row), vh))
    if n > m:  # U S^-1 G_V^T (I - V V^T)
        proj = subtract(gv, matmul(v, vt_gv))
        ga = add(ga, matmul(divide(u, s_row), _mT(proj)))
    return (ga,)


SVD = defop("svd", _svd_rule, vjp=_vjp_svd, multi_output=True, family="linalg",
            doc="U, singular values (descending) and V^H.")


def _qr_rule(specs: list, mode: str) -> list:
    (x,) = specs
    *batch, m, n = x.shape
    k = None if m is None or n is None else min(m, n)
    b = tuple(batch)
    if mode == "complete":
        return [(b + (m, m), x.dtype), (b + (m, n), x.dtype)]
    return [(b + (m, k), x.dtype), (b + (k, n), x.dtype)]


def _vjp_qr(g, out, x, mode):  # noqa: ANN001, ANN202
    # reduced QR with m >= n: M = R R_bar^T - Q_bar^T Q,
    # A_bar = (Q_bar + Q copyltu(M)) R^-T, copyltu(M) = tril(M) + tril(M, -1)^T
    from .creation import tril
    from .elementwise import add, subtract

    m, n = x.shape[-2:]
    if m < n or (mode == "complete" and m != n):
        raise NotDifferentiableError("qr: the gradient needs a matrix with at least as many "
                                     "rows as columns (and mode='reduced' unless square)")
    gq, gr = g
    q, r = out
    mm = subtract(matmul(r, _mT(gr)), matmul(_mT(gq), q))
    copyltu = add(tril(mm), _mT(tril(mm, -1)))
    b = add(gq, matmul(q, copyltu))
    # B R^-T = (R^-1 B^T)^T
    return (_mT(solve_triangular(r, _mT(b), lower=False)),)


QR = defop("qr", _qr_rule, vjp=_vjp_qr, multi_output=True, family="linalg",
           doc="Householder QR (LAPACK's signs).")


def cholesky(x: Any, upper: bool = False) -> Any:
    """Cholesky factor of a symmetric positive-definite matrix (of ``(x + x^T) / 2``, as
    JAX reads it), lower unless ``upper``. Eagerly, a matrix that is not positive definite
    raises."""
    x = _float("cholesky", x)
    _square("cholesky", x)
    low = apply(CHOLESKY, (_sym(x),))
    if not is_symbolic(low):
        from .elementwise import isnan
        from .reduction import any as _any

        if bool(_any(isnan(low)).numpy()) and not bool(_any(isnan(x)).numpy()):
            raise InvalidArgumentError("cholesky: argument 'x': the matrix is not positive "
                                       "definite")
    return _mT(low) if upper else low


def cholesky_inverse(x: Any, upper: bool = False) -> Any:
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = L L^T`` or ``U^T U``)."""
    x = _float("cholesky_inverse", x)
    _square("cholesky_inverse", x)
    inv_f = solve_triangular(x, _eye_like(x), lower=not upper)
    return matmul(inv_f, _mT(inv_f)) if upper else matmul(_mT(inv_f), inv_f)


def lu_factor(x: Any) -> tuple:
    """LU decomposition with partial pivoting: ``(lu, pivots)`` as ``scipy.linalg.lu_factor``
    (``L`` unit lower and ``U`` packed in ``lu``; row ``i`` was swapped with ``pivots[i]``)."""
    x = _float("lu_factor", x)
    if x.ndim < 2:
        raise ShapeError(f"lu_factor: argument 'x': expected a matrix, got shape {x.shape}")
    return tuple(apply(LU_FACTOR, (x,)))


def _broadcast_batch(name: str, a: Any, b: Any) -> tuple:
    """``a`` and ``b`` with one batch shape (broadcast; works for unknown sizes too: adding
    zeros of the other's batch shape)."""
    from .creation import zeros_like
    from .elementwise import add
    from .indexing import getitem

    if tuple(a.shape[:-2]) == tuple(b.shape[:-2]) and None not in a.shape[:-2]:
        return a, b
    broadcast_shapes(name, a.shape[:-2], b.shape[:-2])  # a clear error when they clash
    corner = (Ellipsis, slice(0, 1), slice(0, 1))
    a_zeros, b_zeros = zeros_like(getitem(a, corner)), zeros_like(getitem(b, corner))
    return add(a, b_zeros), add(b, a_zeros)


def _ab(name: str, a: Any, b: Any) -> tuple:
    from .dispatch_helpers import promote_pair

    a, b = _float(name, a), _float(name, b)
    a, b = promote_pair(name, a, b)
    _square(name, a, "a")
    return a, b


def solve(a: Any, b: Any) -> Any:
    """Solve ``a @ x = b`` (``b`` a vector when 1-d, else ``(..., n, k)``; batches
    broadcast)."""
    from .shape import expand_dims, squeeze

    a, b = _ab("solve", a, b)
    vec = b.ndim == 1
    if vec:
        b = expand_dims(b, -1)
    if a.shape[-1] is not None and b.shape[-2] is not None and a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"solve: argument 'b': expected {a.shape[-1]} rows to match 'a' of "
                         f"shape {tuple(a.shape)}, got shape {tuple(b.shape)}")
    a, b = _broadcast_batch("solve", a, b)
    out = apply(SOLVE, (a, b))
    return squeeze(out, -1) if vec else out


def solve_triangular(a: Any, b: Any, lower: bool = False) -> Any:
    """Solve ``a @ x = b`` reading only the lower (``lower=True``) or upper triangle of ``a``."""
    from .creation import tril, triu

    a, b = _ab("solve_triangular", a, b)
    return solve(tril(a) if lower else triu(a), b)


def inv(x: Any) -> Any:
    """Matrix inverse."""
    x = _float("inv", x)
    _square("inv", x)
    return solve(x, _eye_like(x))


def slogdet(x: Any) -> tuple:
    """``(sign, log|det|)`` of square matrices (sign 0 and log -inf when singular)."""
    x = _float("slogdet", x)
    _square("slogdet", x)
    return tuple(apply(SLOGDET, (x,)))


def logdet(x: Any) -> Any:
    """``log|det(x)|`` (the log of the determinant of a positive-definite matrix)."""
    return slogdet(x)[1]


def det(x: Any) -> Any:
    """Determinant, as ``sign * exp(log|det|)`` (differentiable where it is not 0)."""
    from .elementwise import exp, multiply

    sign, logabs = slogdet(x)
    return multiply(sign, exp(logabs))


def eigh(x: Any) -> tuple:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix; like JAX,
    ``(x + x^T) / 2`` is decomposed."""
    x = _float("eigh", x)
    _square("eigh", x)
    return tuple(apply(EIGH, (_sym(x),)))


def svd(x: Any, full_matrices: bool = True, compute_uv: bool = True) -> Any:
    """Singular value decomposition ``(u, s, vh)`` (``s`` descending); only ``s`` when
    ``compute_uv`` is False."""
    x = _float("svd", x)
    if x.ndim < 2:
        raise ShapeError(f"svd: argument 'x': expected a matrix, got shape {x.shape}")
    u, s, vh = apply(SVD, (x,), {"full_matrices": bool(full_matrices and compute_uv)})
    return (u, s, vh) if compute_uv else s


def qr(x: Any, mode: str = "reduced") -> tuple:
    """QR decomposition ``(q, r)``, ``mode`` "reduced" or "complete"."""
    if mode not in ("reduced", "complete"):
        raise InvalidArgumentError(f"qr: argument 'mode': expected 'reduced' or 'complete', "
                                   f"got {mode!r}")
    x = _float("qr", x)
    if x.ndim < 2:
        raise ShapeError(f"qr: argument 'x': expected a matrix, got shape {x.shape}")
    return tuple(apply(QR, (x,), {"mode": mode}))


def _eps(dtype: Any) -> float:
    return {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
            "float64": 2.0 ** -52}[dtype.name]


def pinv(x: Any, rcond: Any = None) -> Any:
    """Moore-Penrose pseudo-inverse; singular values ``<= rcond * max(s)`` count as 0
    (default ``rcond = 10 * max(m, n) * eps``, JAX's)."""
    from .elementwise import divide, greater, multiply, where
    from .reduction import max as _max
    from .shape import expand_dims

    x = _float("pinv", x)
    if x.ndim < 2:
        raise ShapeError(f"pinv: argument 'x': expected a matrix, got shape {x.shape}")
    if rcond is None:
        rcond = 10.0 * max(x.shape[-2:]) * _eps(x.dtype)
    u, s, vh = svd(x, full_matrices=False)
    cutoff = multiply(_max(s, axis=-1, keepdims=True), rcond)
    keep = greater(s, cutoff)
    s_inv = where(keep, divide(1.0, where(keep, s, 1.0)), 0.0)
    return matmul(_mT(vh), multiply(expand_dims(s_inv, -1), _mT(u)))


def lstsq(a: Any, b: Any, rcond: Any = None) -> Any:
    """Least-squares solution of ``a @ x = b`` for a 2-d ``a`` (through the SVD; singular
    values below ``rcond * max(s)`` are dropped, default ``eps * max(m, n)``)."""
    from .dispatch_helpers import promote_pair
    from .elementwise import divide, greater, greater_equal, logical_and, multiply, where
    from .shape import expand_dims, squeeze

    a, b = promote_pair("lstsq", _float("lstsq", a), _float("lstsq", b))
    if a.ndim != 2:
        raise ShapeError(f"lstsq: argument 'a': expected rank 2, got shape {a.shape}")
    if b.ndim not in (1, 2):
        raise ShapeError(f"lstsq: argument 'b': expected rank 1 or 2, got shape {b.shape}")
    if b.shape[0] != a.shape[0]:
        raise ShapeError(f"lstsq: argument 'b': expected {a.shape[0]} rows to match 'a', got "
                         f"shape {b.shape}")
    vec = b.ndim == 1
    if vec:
        b = expand_dims(b, -1)
    if rcond is None:
        rcond = _eps(a.dtype) * max(a.shape)
    u, s, vh = svd(a, full_matrices=False)
    keep = logical_and(greater(s, 0.0), greater_equal(s, multiply(s[0], rcond)))
    s_inv = where(keep, divide(1.0, where(keep, s, 1.0)), 0.0)
    x = matmul(_mT(vh), multiply(expand_dims(s_inv, -1), matmul(_mT(u), b)))
    return squeeze(x, -1) if vec else x


def matrix_rank(x: Any, tol: Any = None) -> Any:
    """Number of singular values above ``tol`` (default ``max(s) * max(m, n) * eps``), as
    int32."""
    from .elementwise import cast, greater, multiply
    from .reduction import max as _max
    from .reduction import sum as _sum

    x = _float("matrix_rank", x)
    if x.ndim < 2:
        raise ShapeError(f"matrix_rank: argument 'x': expected rank >= 2, got shape {x.shape}")
    s = svd(x, compute_uv=False)
    if tol is None:
        tol = multiply(_max(s, axis=-1, keepdims=True), max(x.shape[-2:]) * _eps(x.dtype))
    return _sum(cast(greater(s, tol), "int32"), axis=-1)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A002
    """Vector or matrix norm, as ``numpy.linalg.norm`` (``ord`` None, "fro", "nuc", inf,
    -inf, 0, 1, -1, 2, -2 or any real power for vectors)."""
    from .. import dtypes as _dt
    from .elementwise import abs as _abs
    from .elementwise import cast, multiply, not_equal, power, sqrt
    from .reduction import max as _max
    from .reduction import min as _min
    from .reduction import sum as _sum
    from .shape import expand_dims, reshape

    inf = float("inf")
    if isinstance(ord, str) and ord not in ("fro", "nuc"):
        raise InvalidArgumentError(f"norm: argument 'ord': expected 'fro' or 'nuc' as a "
                                   f"string, got {ord!r}")
    x = _prep("norm", x)
    if x.dtype is _dt.int64 or not x.dtype.is_floating:
        from ..backend import floatx

        x = cast(x, floatx())
    nd = x.ndim
    if axis is None:
        if ord is None:
            out = sqrt(_sum(multiply(x, x)))
            return reshape(out, (1,) * nd) if keepdims else out
        axes = tuple(range(nd))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = tuple(a % nd for a in axes)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise InvalidArgumentError(f"norm: argument 'ord': {ord!r} is a matrix norm, "
                                       "but one axis was given")
        ax = axes[0]
        ax_ = _abs(x)
        if ord is None or ord == 2:
            return sqrt(_sum(multiply(x, x), axis=ax, keepdims=keepdims))
        if ord == inf:
            return _max(ax_, axis=ax, keepdims=keepdims)
        if ord == -inf:
            return _min(ax_, axis=ax, keepdims=keepdims)
        if ord == 0:
            return _sum(cast(not_equal(x, 0), x.dtype), axis=ax, keepdims=keepdims)
        if ord == 1:
            return _sum(ax_, axis=ax, keepdims=keepdims)
        p = float(ord)
        return power(_sum(power(ax_, p), axis=ax, keepdims=keepdims), 1.0 / p)
    if len(axes) != 2:
        raise InvalidArgumentError(f"norm: argument 'axis': expected 1 or 2 axes, got {axis!r}")
    r, c = axes
    if r == c:
        raise InvalidArgumentError(f"norm: argument 'axis': duplicate axes {axis!r}")
    if ord is None or ord == "fro":
        out = sqrt(_sum(multiply(x, x), axis=axes, keepdims=keepdims))
        return out
    if ord in (1, -1, inf, -inf):
        # 1: max column sum (sum over rows r), inf: max row sum (sum over columns c)
        sum_axis, red_axis = (r, c) if ord in (1, -1) else (c, r)
        sums = _sum(_abs(x), axis=sum_axis, keepdims=True)
        red = _max if ord in (1, inf) else _min
        out = red(sums, axis=red_axis, keepdims=True)
        return out if keepdims else reshape(
            out, tuple(d for i, d in enumerate(out.shape) if i not in axes))
    if ord in (2, -2, "nuc"):
        s = svd(_rows_cols_last(x, r, c), compute_uv=False)
        out = (_max(s, axis=-1) if ord == 2 else _min(s, axis=-1) if ord == -2
               else _sum(s, axis=-1))
        if keepdims:
            for a in sorted(axes):
                out = expand_dims(out, a)
        return out
    raise InvalidArgumentError(f"norm: argument 'ord': {ord!r} is not a matrix norm")


def _rows_cols_last(x: Any, r: int, c: int) -> Any:
    from .shape import transpose

    rest = [i for i in range(x.ndim) if i not in (r, c)]
    return transpose(x, tuple(rest + [r, c]))


def cdist(x: Any, y: Any) -> Any:
    """Euclidean distances between the rows of ``x`` (..., n, d) and ``y`` (..., m, d)."""
    from .elementwise import multiply, sqrt, subtract
    from .reduction import sum as _sum
    from .shape import expand_dims

    x, y = _prep("cdist", x), _prep("cdist", y)
    if x.ndim < 2 or y.ndim < 2:
        raise ShapeError(f"cdist: inputs must have rank >= 2, got shapes {x.shape} and "
                         f"{y.shape}")
    if x.shape[-1] != y.shape[-1]:
        raise ShapeError(f"cdist: argument 'y': last dimension {y.shape[-1]} does not match "
                         f"x's {x.shape[-1]}")
    d = subtract(expand_dims(x, -2), expand_dims(y, -3))
    return sqrt(_sum(multiply(d, d), axis=-1))


def __getattr__(name: str) -> Any:
    # keras.ops.linalg.jvp: re-exported once tensorweave has it (tw.ops.jvp)
    if name == "jvp":
        from .. import ops

        fn = getattr(ops, "jvp", None)
        if fn is not None:
            return fn
    raise AttributeError(f"module 'tensorweave.ops.linalg' has no attribute {name!r}")
