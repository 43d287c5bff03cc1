"""Array manipulation of ``keras.ops``: stacking, splitting, diagonals, rolls, rearranging.

Every op here is a composite written with the shape and indexing primitives
(``strided_slice``, ``concatenate``, ``reshape``, ``transpose``, ``take``, ``pad`` ...), so
it runs on every backend, works on symbolic tensors and is differentiable wherever those
are. Semantics, names and defaults follow ``keras.ops`` (NumPy's where Keras defers to it).
"""

from __future__ import annotations

import builtins
import re
import struct
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..shapes import normalize_axis
from ._dispatch import apply, convert_to_tensor, defop, is_symbolic, is_tensor
from .shape import (
    _axis_slice,
    concatenate,
    expand_dims,
    flip,
    moveaxis,
    pad,
    ravel,
    reshape,
    split,
    squeeze,
    transpose,
)

__all__ = ["append", "array_split", "diag", "diagflat", "diagonal", "diff", "dsplit",
           "dstack", "hsplit", "hstack", "vsplit", "vstack", "fliplr", "flipud", "rot90",
           "roll", "kron", "cross", "unstack", "rearrange", "saturate_cast", "view"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _static_int(where: str, arg: str, v: Any) -> int:
    if is_tensor(v) and not is_symbolic(v) and v.ndim == 0 and v.dtype.is_integer:
        return int(v.item())
    if type(v).__module__ == "numpy" and getattr(v, "ndim", 1) == 0:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, int):
        raise InvalidArgumentError(f"{where}: argument '{arg}': expected an int, got {v!r}")
    return v


# ---- joining -----------------------------------------------------------------------------------
def append(x1: Any, x2: Any, axis: int | None = None) -> Any:
    """``x2`` appended to ``x1`` along ``axis`` (both flattened when ``axis`` is None)."""
    a, b = _prep("append", x1), _prep("append", x2)
    if axis is None:
        return concatenate([ravel(a), ravel(b)], axis=0)
    return concatenate([a, b], axis=axis)


def _atleast(x: Any, n: int) -> Any:
    """NumPy's atleast_2d / atleast_3d placement of the new axes."""
    if x.ndim >= n:
        return x
    if x.ndim == 0:
        return reshape(x, (1,) * n)
    if n == 2:
        return expand_dims(x, 0)
    if x.ndim == 1:  # atleast_3d: (N,) -> (1, N, 1)
        return expand_dims(expand_dims(x, 0), -1)
    return expand_dims(x, -1)  # (M, N) -> (M, N, 1)


def _seq(where: str, xs: Any) -> list:
    if is_tensor(xs):
        raise InvalidArgumentError(f"{where}: argument 'xs': expected a list or tuple of "
                                   f"tensors, got a single tensor")
    items = [_prep(where, t) for t in xs]
    if not items:
        raise InvalidArgumentError(f"{where}: argument 'xs': expected at least one tensor")
    return items


def hstack(xs: Any) -> Any:
    """Join along the second axis (the first for 1-d tensors), as ``numpy.hstack``."""
    items = [t if t.ndim else reshape(t, (1,)) for t in _seq("hstack", xs)]
    return concatenate(items, axis=0 if items[0].ndim == 1 else 1)


def vstack(xs: Any) -> Any:
    """Join along the first axis after making each tensor at least 2-d."""
    return concatenate([_atleast(t, 2) for t in _seq("vstack", xs)], axis=0)


def dstack(xs: Any) -> Any:
    """Join along the third axis after making each tensor at least 3-d."""
    return concatenate([_atleast(t, 3) for t in _seq("dstack", xs)], axis=2)


# ---- splitting -----------------------------------------------------------------------------
def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into ``n`` nearly equal parts, the first ``len % n`` one longer (an int only,
    as Keras)."""
    x = _prep("array_split", x)
    ax = normalize_axis("array_split", axis, x.ndim)
    k = _static_int("array_split", "indices_or_sections", indices_or_sections)
    if k <= 0:
        raise InvalidArgumentError(f"array_split: argument 'indices_or_sections': expected "
                                   f"a positive number of sections, got {k}")
    n = x.shape[ax]
    if n is None:
        raise ShapeError(f"array_split: axis {ax} of {tuple(x.shape)} has unknown size")
    q, r = divmod(n, k)
    bounds = [0]
    for i in range(k):
        bounds.append(bounds[-1] + q + (1 if i < r else 0))
    return [_axis_slice(x, ax, a, b) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_at(where: str, x: Any, ios: Any, axis: int, min_ndim: int) -> list:
    x = _prep(where, x)
    if x.ndim < min_ndim:
        raise ShapeError(f"{where}: expected a tensor of at least {min_ndim} dims, got shape "
                         f"{tuple(x.shape)}")
    return split(x, ios if isinstance(ios, (list, tuple)) else _static_int(
        where, "indices_or_sections", ios), axis=axis)


def hsplit(x: Any, indices_or_sections: Any) -> list:
    """Split along the second axis (the first for 1-d tensors)."""
    x = _prep("hsplit", x)
    return _split_at("hsplit", x, indices_or_sections, 1 if x.ndim > 1 else 0, 1)


def vsplit(x: Any, indices_or_sections: Any) -> list:
    """Split along the first axis of a tensor of at least 2 dims."""
    return _split_at("vsplit", x, indices_or_sections, 0, 2)


def dsplit(x: Any, indices_or_sections: Any) -> list:
    """Split along the third axis of a tensor of at least 3 dims."""
    return _split_at("dsplit", x, indices_or_sections, 2, 3)


def unstack(x: Any, num: int | None = None, axis: int = 0) -> list:
    """The slices of ``x`` along ``axis``, each without that axis."""
    x = _prep("unstack", x)
    ax = normalize_axis("unstack", axis, x.ndim)
    n = x.shape[ax]
    if n is None:
        if num is None:
            raise ShapeError(f"unstack: axis {ax} of {tuple(x.shape)} has unknown size; "
                             f"pass num")
        raise ShapeError(f"unstack: axis {ax} of {tuple(x.shape)} has unknown size; slices "
                         f"of an unknown axis cannot be taken")
    if num is not None and num != n:
        raise InvalidArgumentError(f"unstack: argument 'num': axis {ax} has {n} slices, got "
                                   f"num={num}")
    return [squeeze(_axis_slice(x, ax, i, i + 1), ax) for i in range(n)]


# ---- flips and rotations ------------------------------------------------------------------------
def fliplr(x: Any) -> Any:
    """Reverse the second axis (columns)."""
    x = _prep("fliplr", x)
    if x.ndim < 2:
        raise ShapeError(f"fliplr: expected at least 2 dims, got shape {tuple(x.shape)}")
    return flip(x, 1)


def flipud(x: Any) -> Any:
    """Reverse the first axis (rows)."""
    x = _prep("flipud", x)
    if x.ndim < 1:
        raise ShapeError("fliplr: expected at least 1 dim, got a 0-d tensor")
    return flip(x, 0)


def rot90(array: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (first toward second)."""
    x = _prep("rot90", array)
    axes = tuple(axes)
    if len(axes) != 2:
        raise InvalidArgumentError(f"rot90: argument 'axes': expected 2 axes, got {axes}")
    if x.ndim < 2:
        raise ShapeError(f"rot90: expected at least 2 dims, got shape {tuple(x.shape)}")
    a0 = normalize_axis("rot90", axes[0], x.ndim, "axes")
    a1 = normalize_axis("rot90", axes[1], x.ndim, "axes")
    if a0 == a1:
        raise InvalidArgumentError(f"rot90: argument 'axes': expected two different axes, "
                                   f"got {axes}")
    k = _static_int("rot90", "k", k) % 4
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(x, a1), tuple(perm))
    return flip(transpose(x, tuple(perm)), a1)


def roll(x: Any, shift: Any, axis: Any = None) -> Any:
    """Shift elements along ``axis`` cyclically (the flattened tensor when None)."""
    x = _prep("roll", x)
    shifts = [_static_int("roll", "shift", s) for s in
              (shift if isinstance(shift, (list, tuple)) else [shift])]
    if axis is None:
        if len(shifts) != 1:
            raise InvalidArgumentError("roll: argument 'shift': expected one shift when "
                                       f"axis is None, got {shifts}")
        return reshape(roll(ravel(x), shifts[0], 0), tuple(
            -1 if d is None else d for d in x.shape) if x.ndim else ())
    axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise InvalidArgumentError(f"roll: arguments 'shift' and 'axis' must have the same "
                                   f"length, got {shifts} and {axes}")
    total: dict[int, int] = {}
    for s, a in zip(shifts, axes):
        ax = normalize_axis("roll", a, x.ndim)
        total[ax] = total.get(ax, 0) + s
    y = x
    for ax, s in total.items():
        n = y.shape[ax]
        if n is None:
            raise ShapeError(f"roll: axis {ax} of {tuple(x.shape)} has unknown size")
        if n == 0 or s % n == 0:
            continue
        s %= n
        y = concatenate([_axis_slice(y, ax, n - s, n), _axis_slice(y, ax, 0, n - s)], axis=ax)
    return y


# ---- diagonals ------------------------------------------------------------------------------
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The ``offset`` diagonal of the planes ``(axis1, axis2)``, as the last axis."""
    from .indexing import take

    x = _prep("diagonal", x)
    if x.ndim < 2:
        raise ShapeError(f"diagonal: expected at least 2 dims, got shape {tuple(x.shape)}")
    a1 = normalize_axis("diagonal", axis1, x.ndim, "axis1")
    a2 = normalize_axis("diagonal", axis2, x.ndim, "axis2")
    if a1 == a2:
        raise InvalidArgumentError(f"diagonal: axis1 and axis2 must differ, got {a1} and {a2}")
    offset = _static_int("diagonal", "offset", offset)
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    y = transpose(x, (*rest, a1, a2))
    n1, n2 = y.shape[-2], y.shape[-1]
    if n1 is None or n2 is None:
        raise ShapeError(f"diagonal: axes {a1} and {a2} of {tuple(x.shape)} need known sizes")
    if offset >= 0:
        y = _axis_slice(y, y.ndim - 1, builtins.min(offset, n2), n2)
    else:
        y = _axis_slice(y, y.ndim - 2, builtins.min(-offset, n1), n1)
    m1, m2 = y.shape[-2], y.shape[-1]
    length = builtins.max(0, builtins.min(m1, m2))
    lead = tuple(y.shape[:-2])
    flat = reshape(y, tuple(-1 if d is None else d for d in lead) + (m1 * m2,)) \
        if builtins.sum(d is None for d in lead) <= 1 else None
    if flat is None:
        raise ShapeError(f"diagonal: at most one other axis may have unknown size, got "
                         f"{tuple(x.shape)}")
    idx = convert_to_tensor([i * m2 + i for i in range(length)], _dt.int32,
                            backend=None if is_symbolic(flat) else flat._backend)
    return take(flat, idx, axis=flat.ndim - 1)


def diag(x: Any, k: int = 0) -> Any:
    """A 1-d ``x`` on the ``k``-th diagonal of a square matrix, or a 2-d ``x``'s diagonal."""
    from .creation import eye
    from .elementwise import multiply

    x = _prep("diag", x)
    k = _static_int("diag", "k", k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ShapeError(f"diag: expected a 1-d or 2-d tensor, got shape {tuple(x.shape)}")
    m = x.shape[0]
    if m is None:
        raise ShapeError("diag: the input's length must be known")
    square = multiply(expand_dims(x, 1), eye(m, dtype=x.dtype)) if not x.dtype.is_bool else \
        _bool_diag(x, m)
    if k == 0:
        return square
    a = builtins.abs(k)
    return pad(square, ((0, a), (a, 0)) if k > 0 else ((a, 0), (0, a)))


def _bool_diag(x: Any, m: int) -> Any:
    from .creation import eye
    from .elementwise import cast, logical_and

    return logical_and(expand_dims(x, 1), cast(eye(m, dtype="int32"), "bool"))


def diagflat(x: Any, k: int = 0) -> Any:
    """The flattened ``x`` on the ``k``-th diagonal of a square matrix."""
    return diag(ravel(_prep("diagflat", x)), k)


# ---- differences, products ----------------------------------------------------------------------
def diff(a: Any, n: int = 1, axis: int = -1) -> Any:
    """The ``n``-th discrete difference along ``axis`` (``not_equal`` for booleans)."""
    from .elementwise import not_equal, subtract

    x = _prep("diff", a)
    n = _static_int("diff", "n", n)
    if n < 0:
        raise InvalidArgumentError(f"diff: argument 'n': expected n >= 0, got {n}")
    if x.ndim == 0:
        raise ShapeError("diff: expected at least 1 dim, got a 0-d tensor")
    ax = normalize_axis("diff", axis, x.ndim)
    for _ in range(n):
        d = x.shape[ax]
        if d is None:
            raise ShapeError(f"diff: axis {ax} of {tuple(x.shape)} has unknown size")
        if d == 0:
            break
        hi, lo = _axis_slice(x, ax, 1, d), _axis_slice(x, ax, 0, d - 1)
        x = not_equal(hi, lo) if x.dtype.is_bool else subtract(hi, lo)
    return x


def kron(x1: Any, x2: Any) -> Any:
    """The Kronecker product (block ``x1[i] * x2``), as ``numpy.kron``."""
    from .elementwise import multiply

    a, b = _prep("kron", x1), _prep("kron", x2)
    nd = builtins.max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape)) if a.ndim < nd else a
    b = reshape(b, (1,) * (nd - b.ndim) + tuple(b.shape)) if b.ndim < nd else b
    if None in a.shape or None in b.shape:
        raise ShapeError(f"kron: needs known shapes, got {tuple(a.shape)} and "
                         f"{tuple(b.shape)}")
    ia, ib = [], []
    for da, db in zip(a.shape, b.shape):
        ia += [da, 1]
        ib += [1, db]
    prod = multiply(reshape(a, tuple(ia)), reshape(b, tuple(ib)))
    return reshape(prod, tuple(da * db for da, db in zip(a.shape, b.shape)))


def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1,
          axis: int | None = None) -> Any:
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (``axis`` sets all three)."""
    from .elementwise import multiply, subtract
    from .shape import stack

    a, b = _prep("cross", x1), _prep("cross", x2)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, normalize_axis("cross", axisa, a.ndim, "axisa"), -1)
    b = moveaxis(b, normalize_axis("cross", axisb, b.ndim, "axisb"), -1)
    na, nb = a.shape[-1], b.shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ShapeError(f"cross: incompatible dimensions for cross product (dimension must "
                         f"be 2 or 3), got {na} and {nb}")

    def comps(t: Any, n: int) -> list:
        parts = [squeeze(_axis_slice(t, t.ndim - 1, i, i + 1), t.ndim - 1) for i in range(n)]
        return parts + [None] * (3 - n)

    a0, a1, a2 = comps(a, na)
    b0, b1, b2 = comps(b, nb)
    z = multiply(a0, b1), multiply(a1, b0)
    if na == 2 and nb == 2:
        return subtract(*z)

    def mul(p: Any, q: Any) -> Any:
        return None if p is None or q is None else multiply(p, q)

    def sub(p: Any, q: Any, like: Any) -> Any:
        from .elementwise import neg

        if p is None and q is None:
            return multiply(like, 0)
        if q is None:
            return p
        if p is None:
            return neg(q)
        return subtract(p, q)

    like = z[0]
    c0 = sub(mul(a1, b2), mul(a2, b1), like)
    c1 = sub(mul(a2, b0), mul(a0, b2), like)
    c2 = subtract(*z)
    from .shape import broadcast_to

    shape = tuple(c2.shape)
    c = stack([broadcast_to(c0, shape), broadcast_to(c1, shape), c2], axis=-1)
    return moveaxis(c, -1, normalize_axis("cross", axisc, c.ndim, "axisc"))


# ---- rearrange ---------------------------------------------------------------------------------
_TOKEN = re.compile(r"\(|\)|[A-Za-z_][A-Za-z0-9_]*|\S")


def _parse_side(where: str, side: str) -> list:
    groups: list = []
    current: list | None = None
    for tok in _TOKEN.findall(side):
        if tok == "(":
            if current is not None:
                raise InvalidArgumentError(f"{where}: argument 'pattern': nested parentheses "
                                           f"in {side!r}")
            current = []
        elif tok == ")":
            if current is None:
                raise InvalidArgumentError(f"{where}: argument 'pattern': unbalanced ')' in "
                                           f"{side!r}")
            groups.append(current)
            current = None
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", tok):
            if current is None:
                groups.append([tok])
            else:
                current.append(tok)
        else:
            raise InvalidArgumentError(f"{where}: argument 'pattern': unexpected {tok!r} in "
                                       f"{side!r} (axis names, spaces and parentheses only)")
    if current is not None:
        raise InvalidArgumentError(f"{where}: argument 'pattern': unbalanced '(' in {side!r}")
    return groups


def rearrange(tensor: Any, pattern: str, **axes_lengths: int) -> Any:
    """Reorder, merge and split axes with an einops pattern such as ``"b (h w) c -> b h w c"``.

    Axis lengths that a split cannot infer come from ``axes_lengths``. Only a reshape, a
    transpose and a reshape are recorded.
    """
    x = _prep("rearrange", tensor)
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise InvalidArgumentError(f"rearrange: argument 'pattern': expected 'input -> "
                                   f"output', got {pattern!r}")
    left, right = (s.strip() for s in pattern.split("->"))
    lg, rg = _parse_side("rearrange", left), _parse_side("rearrange", right)
    lnames = [a for g in lg for a in g]
    rnames = [a for g in rg for a in g]
    for names, side in ((lnames, "input"), (rnames, "output")):
        if len(set(names)) != len(names):
            raise InvalidArgumentError(f"rearrange: argument 'pattern': an axis name is "
                                       f"repeated on the {side} side of {pattern!r}")
    if set(lnames) != set(rnames):
        raise InvalidArgumentError(f"rearrange: argument 'pattern': both sides must name the "
                                   f"same axes, got {sorted(set(lnames))} and "
                                   f"{sorted(set(rnames))}")
    if len(lg) != x.ndim:
        raise ShapeError(f"rearrange: pattern {left!r} has {len(lg)} axes, the tensor has "
                         f"shape {tuple(x.shape)}")
    sizes: dict[str, Any] = {}
    for group, dim in zip(lg, x.shape):
        if len(group) == 1:
            name = group[0]
            if name in axes_lengths and dim is not None and axes_lengths[name] != dim:
                raise ShapeError(f"rearrange: axis {name!r} has length {dim}, got "
                                 f"{name}={axes_lengths[name]}")
            sizes[name] = dim
            continue
        unknown = [a for a in group if a not in axes_lengths]
        known = 1
        for a in group:
            if a in axes_lengths:
                known *= int(axes_lengths[a])
        if len(unknown) > 1:
            raise InvalidArgumentError(f"rearrange: cannot infer the lengths of {unknown} in "
                                       f"({' '.join(group)}); pass them as keywords")
        if dim is None:
            raise ShapeError(f"rearrange: the split axis ({' '.join(group)}) needs a known "
                             f"length")
        if unknown:
            if known == 0 or dim % known:
                raise ShapeError(f"rearrange: axis of length {dim} cannot be split into "
                                 f"({' '.join(group)}) with {axes_lengths}")
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ShapeError(f"rearrange: ({' '.join(group)}) has length {known}, the axis "
                             f"has {dim}")
        for a in group:
            if a in axes_lengths:
                sizes[a] = int(axes_lengths[a])

    def target(shape: list) -> tuple:
        n_unknown = builtins.sum(d is None for d in shape)
        if n_unknown > 1:
            raise ShapeError(f"rearrange: at most one axis of unknown length may be "
                             f"reshaped, got {shape}")
        return tuple(-1 if d is None else d for d in shape)

    y = x
    if any(len(g) != 1 for g in lg):
        y = reshape(y, target([sizes[a] for a in lnames]))
    perm = tuple(lnames.index(a) for a in rnames)
    y = transpose(y, perm)
    if any(len(g) != 1 for g in rg):
        out = []
        for g in rg:
            d: Any = 1
            for a in g:
                d = None if d is None or sizes[a] is None else d * sizes[a]
            out.append(d)
        y = reshape(y, target(out))
    return y


# ---- saturate_cast --------------------------------------------------------------------------
def _round_to(value: float, dtype: Any) -> float:
    """``value`` as the nearest number of the float ``dtype`` (round to nearest even)."""
    name = dtype.name
    if name == "float64":
        return float(value)
    if name == "float32":
        return struct.unpack("<f", struct.pack("<f", value))[0]
    if name == "float16":
        return struct.unpack("<e", struct.pack("<e", value))[0]
    bits = struct.unpack("<I", struct.pack("<f", value))[0]  # bfloat16: round float32 bits
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def _toward_zero(value: float, dtype: Any) -> float:
    """The next ``dtype`` float after ``value`` toward zero."""
    name = dtype.name
    if name == "float64":
        import math

        return math.nextafter(value, 0.0)
    fmt, ifmt, step = {"float32": ("<f", "<I", 1), "float16": ("<e", "<H", 1),
                       "bfloat16": ("<f", "<I", 1 << 16)}[name]
    bits = struct.unpack(ifmt, struct.pack(fmt, value))[0]
    return struct.unpack(fmt, struct.pack(ifmt, bits - step))[0]


def _limits(dtype: Any) -> tuple:
    if dtype.is_bool:
        return 0, 1
    if dtype.is_integer:
        return dtype.min, dtype.max
    return -_dt_float_max(dtype), _dt_float_max(dtype)


def _dt_float_max(dtype: Any) -> float:
    return {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
            "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}[dtype.name]


def saturate_cast(x: Any, dtype: Any) -> Any:
    """Cast with values clipped to the target dtype's range first (no integer wrap-around)."""
    from .elementwise import cast, clip

    x = _prep("saturate_cast", x)
    try:
        out = _dt.canonicalize(dtype)
    except Exception as exc:  # noqa: BLE001
        raise DTypeError(f"saturate_cast: argument 'dtype': expected a dtype, got "
                         f"{dtype!r}") from exc
    src = x.dtype
    in_lo, in_hi = _limits(src)
    out_lo, out_hi = _limits(out)
    lo, hi = builtins.max(in_lo, out_lo), builtins.min(in_hi, out_hi)
    if src.is_floating:
        lo, hi = _round_to(float(lo), src), _round_to(float(hi), src)
        if lo < out_lo:
            lo = _toward_zero(lo, src)
        if hi > out_hi:
            hi = _toward_zero(hi, src)
    elif src.is_bool:
        lo, hi = bool(lo), bool(hi)
    top = None
    if src.is_floating and not out.is_floating and out_hi < in_hi and \
            _round_to(float(out_hi), src) > out_hi:
        # out_hi itself is not a src float: the clip stops one float below it, and the
        # values at or past it saturate to out_hi (as XLA's float -> int conversion)
        top = _round_to(float(out_hi), src)
    raw = x
    if not src.is_bool:  # always, as Keras: it also turns +-inf into the finite limits
        x = clip(x, lo, hi)
    y = cast(x, out)
    if top is not None:
        from .elementwise import greater_equal, isnan, where

        y = where(greater_equal(raw, top), out_hi, y)
        y = where(isnan(raw), 0, y)
    elif src.is_floating and not out.is_floating and not out.is_bool:
        from .elementwise import isnan, where

        y = where(isnan(raw), 0, y)
    return y


# ---- view: reinterpret the bits -------------------------------------------------------------
def _view_rule(specs: list, dtype: str, src: str) -> tuple:
    s = specs[0]
    new = _dt.canonicalize(dtype)
    old = s.dtype
    shape = list(s.shape)
    if new.itemsize != old.itemsize:
        if not shape:
            raise ShapeError(f"view: cannot view a 0-d {old} tensor as {new} (item sizes "
                             f"{old.itemsize} and {new.itemsize} differ)")
        last = shape[-1]
        if last is not None:
            if (last * old.itemsize) % new.itemsize:
                raise ShapeError(f"view: cannot view shape {tuple(s.shape)} of {old} as "
                                 f"{new}: the last axis's {last * old.itemsize} bytes are "
                                 f"not a multiple of {new.itemsize}")
            shape[-1] = last * old.itemsize // new.itemsize
    return tuple(shape), new


VIEW = defop("view", _view_rule, differentiable=False, family="shape",
             vjp=lambda g, out, x, dtype, src: (None,),
             doc="The same bytes read as another dtype (the last axis rescales when the "
                 "item sizes differ), as numpy's ndarray.view.")


def view(x: Any, dtype: Any = None) -> Any:
    """``x``'s bytes reinterpreted as ``dtype`` (``None``: unchanged), as Keras's ``view``."""
    x = _prep("view", x)
    if dtype is None:
        return x
    try:
        new = _dt.canonicalize(dtype)
    except Exception as exc:  # noqa: BLE001
        raise DTypeError(f"view: argument 'dtype': expected a dtype, got {dtype!r}") from exc
    if new is x.dtype:
        return x
    return apply(VIEW, (x,), {"dtype": new.name, "src": x.dtype.name})
