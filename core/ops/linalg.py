"""Matrix products: ``matmul`` (batched, broadcasting batch dims) and ``einsum``.

Both are primitives. ``matmul`` kernels see inputs of at least two dims (the public
function handles NumPy's 1-d rules by reshaping). ``einsum`` kernels see explicit
subscripts such as ``"bij,bjk->bik"`` (no ellipsis, no implicit output): the public
function rewrites the user's form first.
"""

from __future__ import annotations

import string
from typing import Any

from ..errors import DTypeError, InvalidArgumentError, NotDifferentiableError, ShapeError
from ..shapes import broadcast_shapes
from ._dispatch import apply, convert_to_tensor, defop, is_tensor

__all__ = ["matmul", "einsum", "dot", "outer", "tensordot", "inner", "vdot", "trace"]


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
    from .shape import broadcast_to

    lhs, out_s = subscripts.split("->")
    terms = lhs.split(",")
    grads = []
    for i, (t, x) in enumerate(zip(terms, xs)):
        if len(set(t)) != len(t):
            raise NotDifferentiableError("einsum: gradient of a repeated index within one "
                                         "operand (a diagonal) is not supported")
        others = [terms[j] for j in range(len(xs)) if j != i]
        avail = set(out_s).union(*others) if others else set(out_s)
        keep = "".join(c for c in t if c in avail)
        sub = ",".join([out_s] + others) + "->" + keep
        gi = einsum(sub, g, *[xs[j] for j in range(len(xs)) if j != i])
        # an index of size 1 in x that broadcast against a longer one elsewhere: sum it
        red = tuple(k for k, c in enumerate(keep)
                    if x.shape[t.index(c)] == 1 and gi.shape[k] != 1)
        if red:
            from .reduction import sum as _sum

            gi = _sum(gi, axis=red, keepdims=True)
        if keep != t:
            from .shape import reshape

            gi = reshape(gi, tuple(gi.shape[keep.index(c)] if c in keep else 1 for c in t))
        if tuple(gi.shape) != tuple(x.shape):  # indices x has but the cotangent lacks
            gi = broadcast_to(gi, x.shape)
        grads.append(gi)
    return tuple(grads)


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


def trace(x: Any) -> Any:
    from .creation import eye
    from .elementwise import multiply
    from .reduction import sum as _sum

    x = _prep("trace", x)
    return _sum(multiply(x, eye(x.shape[-2], x.shape[-1], dtype=x.dtype)), axis=(-2, -1))
