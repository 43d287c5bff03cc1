"""Gathers, scatters, sorting and Python indexing (``x[...]``).

Primitives: ``take`` (gather along one axis; negative indices count from the end),
``scatter_add`` (``x`` plus ``updates`` added at N-d ``indices``, duplicates accumulate)
and ``argsort`` (stable). ``take_along_axis``, ``one_hot``, ``sort`` and ``top_k`` are
built from them. ``x[...]`` supports ints, slices with steps, ``None``, ``...``, one
integer-array index and (eagerly) a boolean mask.
"""

from __future__ import annotations

import builtins
from typing import Any

from .. import dtypes as _dt
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..shapes import normalize_axis
from ._dispatch import apply, convert_to_tensor, defop, is_symbolic, is_tensor

__all__ = ["take", "take_along_axis", "scatter_add", "one_hot", "argsort", "sort", "top_k",
           "getitem", "gather_nd"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def _int_indices(name: str, idx: Any) -> Any:
    idx = _prep(name, idx)
    if not idx.dtype.is_integer:
        raise DTypeError(f"{name}: argument 'indices': expected an integer dtype, got "
                         f"{idx.dtype}")
    return idx


# ---- take -----------------------------------------------------------------------------------
def _take_rule(specs: list, axis: int) -> tuple:
    x, idx = specs
    if not idx.dtype.is_integer:
        raise DTypeError(f"take: argument 'indices': expected an integer dtype, got {idx.dtype}")
    s = x.shape
    return tuple(s[:axis]) + tuple(idx.shape) + tuple(s[axis + 1:]), x.dtype


def _vjp_take(g, out, x, idx, axis):  # noqa: ANN001, ANN202
    from .creation import zeros_like
    from .elementwise import add, less, where
    from .shape import expand_dims, moveaxis, reshape

    n = x.shape[axis]
    idx = where(less(idx, 0), add(idx, n), idx)
    moved = moveaxis(x, axis, 0)  # (n, *other axes): the shape the cotangent sums into
    # g has axes x[:axis] + idx.shape + x[axis+1:]; bring the idx axes to the front
    k = idx.ndim
    order = list(range(axis, axis + k)) + list(range(axis)) + \
        list(range(axis + k, g.ndim))
    from .shape import transpose

    gm = transpose(g, tuple(order)) if order != list(range(g.ndim)) else g
    if k == 0:
        gm = expand_dims(gm, 0)
    elif k > 1:  # flatten the index axes (one reshape; not needed for 1-d indices, which
        # keeps the rule free of static sizes when another axis is unknown)
        gm = reshape(gm, (-1,) + tuple(moved.shape[1:]))
    flat_idx = reshape(idx, (-1, 1))
    acc = scatter_add(zeros_like(moved, dtype=g.dtype), flat_idx, gm)
    return moveaxis(acc, 0, axis), None


TAKE = defop("take", _take_rule, vjp=_vjp_take, family="indexing")


def take(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Gather along ``axis`` (the flattened array when ``None``), as ``numpy.take``."""
    from .shape import ravel

    x = _prep("take", x)
    indices = _int_indices("take", indices)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis("take", axis, x.ndim)
    return apply(TAKE, (x, indices), {"axis": ax})


# ---- scatter_add ------------------------------------------------------------------------------
def _scatter_rule(specs: list) -> tuple:
    x, idx, upd = specs
    if not idx.dtype.is_integer:
        raise DTypeError(f"scatter_add: argument 'indices': expected integers, got {idx.dtype}")
    if not idx.shape:
        raise ShapeError("scatter_add: argument 'indices': expected at least 1 dim, got 0-d")
    k = idx.shape[-1]
    if k is not None and k > len(x.shape):
        raise ShapeError(f"scatter_add: indices address {k} dims of a {len(x.shape)}-d tensor")
    want = tuple(idx.shape[:-1]) + tuple(x.shape[k:])
    if tuple(upd.shape) != want:
        raise ShapeError(f"scatter_add: argument 'updates': expected shape {want}, got "
                         f"{tuple(upd.shape)}")
    if upd.dtype is not x.dtype:
        raise DTypeError(f"scatter_add: updates dtype {upd.dtype} differs from {x.dtype}")
    return x.shape, x.dtype


def _vjp_scatter(g, out, x, idx, upd):  # noqa: ANN001, ANN202
    return g, None, gather_nd(g, idx)


SCATTER_ADD = defop("scatter_add", _scatter_rule, vjp=_vjp_scatter, family="indexing",
                    doc="out = x; out[indices[i]] += updates[i] (duplicates accumulate).")


def scatter_add(x: Any, indices: Any, updates: Any) -> Any:
    """``x`` with ``updates`` added at N-d ``indices`` (shape ``(..., k)``)."""
    from .elementwise import cast

    x = _prep("scatter_add", x)
    indices = _int_indices("scatter_add", indices)
    updates = _prep("scatter_add", updates)
    if updates.dtype is not x.dtype:
        updates = cast(updates, x.dtype)
    return apply(SCATTER_ADD, (x, indices, updates))


def gather_nd(x: Any, indices: Any) -> Any:
    """``out[i] = x[indices[i]]`` for N-d ``indices`` of shape ``(..., k)``."""
    from .elementwise import add, less, multiply, where
    from .shape import reshape
    from .shape import strided_slice as slice  # noqa: A004

    x = _prep("gather_nd", x)
    indices = _int_indices("gather_nd", indices)
    k = indices.shape[-1]
    lead = indices.shape[:-1]
    linear = None
    for i in range(k):
        col = reshape(slice(indices, (builtins.slice(None),) * (indices.ndim - 1) +
                            (builtins.slice(i, i + 1),)), lead)
        col = where(less(col, 0), add(col, x.shape[i]), col)
        linear = col if linear is None else add(multiply(linear, x.shape[i]), col)
    flat = reshape(x, (-1,) + tuple(x.shape[k:]))
    return take(flat, linear, axis=0)


# ---- take_along_axis / one_hot -------------------------------------------------------------------
def _iota(shape: tuple, axis: int) -> Any:
    from .creation import arange
    from .shape import broadcast_to, reshape

    r = arange(shape[axis], dtype=_dt.int32)
    view = [1] * len(shape)
    view[axis] = shape[axis]
    return broadcast_to(reshape(r, tuple(view)), shape)


def _take_along_impl(x: Any, idx: Any, axis: int) -> Any:
    from .elementwise import add, cast, less, multiply, where
    from .shape import broadcast_to, reshape

    out_shape = tuple(x.shape[i] if i != axis else idx.shape[i] for i in range(x.ndim))
    idx = broadcast_to(idx, out_shape)
    idx = cast(idx, _dt.int32) if idx.dtype is not _dt.int32 else idx
    idx = where(less(idx, 0), add(idx, x.shape[axis]), idx)
    linear = None
    for i in range(x.ndim):
        part = idx if i == axis else _iota(out_shape, i)
        linear = part if linear is None else add(multiply(linear, x.shape[i]), part)
    return take(reshape(x, (-1,)), linear, axis=0)


def _take_along_rule(specs: list, axis: int) -> tuple:
    x, idx = specs
    if len(idx.shape) != len(x.shape):
        raise ShapeError(f"take_along_axis: indices must have {len(x.shape)} dims like x, "
                         f"got {len(idx.shape)}")
    if not idx.dtype.is_integer:
        raise DTypeError(f"take_along_axis: indices must be integers, got {idx.dtype}")
    out = []
    for i, (a, b) in enumerate(zip(x.shape, idx.shape)):
        if i == axis:
            out.append(b)
        elif b in (1, a) or a is None or b is None:
            out.append(a if b == 1 else (a if a is not None else b))
        else:
            raise ShapeError(f"take_along_axis: indices shape {idx.shape} does not fit "
                             f"x shape {x.shape} outside axis {axis}")
    return tuple(out), x.dtype


TAKE_ALONG_AXIS = defop("take_along_axis", _take_along_rule, decompose=_take_along_impl,
                        family="indexing")


def take_along_axis(x: Any, indices: Any, axis: int | None = None) -> Any:
    """Pick values along ``axis`` at ``indices`` (same rank as ``x``; other axes
    broadcast), as ``numpy.take_along_axis``; ``axis=None`` works on the flattened ``x``.
    """
    from .shape import ravel

    x = _prep("take_along_axis", x)
    indices = _int_indices("take_along_axis", indices)
    if axis is None:
        if indices.ndim != 1:
            raise ShapeError(f"take_along_axis: argument 'indices': with axis=None expected "
                             f"1-d indices, got shape {tuple(indices.shape)}")
        x = ravel(x)
        axis = 0
    ax = normalize_axis("take_along_axis", axis, x.ndim)
    return apply(TAKE_ALONG_AXIS, (x, indices), {"axis": ax})


def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None,
            sparse: bool = False) -> Any:
    """One-hot encoding; out-of-range indices give an all-zero row (as Keras).

    ``dtype`` defaults to ``floatx()``; ``sparse=True`` is refused (no sparse tensors).
    """
    from ..backend import floatx
    from .creation import arange
    from .elementwise import cast, equal
    from .shape import expand_dims, moveaxis, reshape

    if sparse:
        raise InvalidArgumentError("one_hot: argument 'sparse': tensorweave has no sparse "
                                   "tensors; expected False, got True")
    indices = _int_indices("one_hot", x)
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes <= 0:
        raise InvalidArgumentError(f"one_hot: argument 'num_classes': expected a positive "
                                   f"int, got {num_classes!r}")
    if not isinstance(axis, int) or not -(indices.ndim + 1) <= axis <= indices.ndim:
        raise InvalidArgumentError(f"one_hot: argument 'axis': expected an int in "
                                   f"[{-(indices.ndim + 1)}, {indices.ndim}], got {axis!r}")
    classes = reshape(arange(num_classes, dtype=indices.dtype),
                      (1,) * indices.ndim + (num_classes,))
    out = cast(equal(expand_dims(indices, -1), classes), dtype or floatx())
    if axis != -1 and axis != indices.ndim:
        out = moveaxis(out, -1, axis)
    return out


# ---- sorting -------------------------------------------------------------------------------------
def _argsort_rule(specs: list, axis: int, descending: bool) -> tuple:
    return specs[0].shape, _dt.int32


ARGSORT = defop("argsort", _argsort_rule, differentiable=False, family="indexing",
                vjp=lambda g, out, x, axis, descending: (None,),
                doc="Stable argsort (ties keep their order); int32 indices.")


def argsort(x: Any, axis: int = -1, descending: bool = False) -> Any:
    x = _prep("argsort", x)
    if x.ndim == 0:
        from .shape import reshape

        x = reshape(x, (1,))
    ax = normalize_axis("argsort", axis, x.ndim)
    return apply(ARGSORT, (x,), {"axis": ax, "descending": bool(descending)})


def sort(x: Any, axis: int = -1, descending: bool = False) -> Any:
    x = _prep("sort", x)
    return take_along_axis(x, argsort(x, axis, descending), axis)


def top_k(x: Any, k: int, sorted: bool = True) -> tuple:  # noqa: A002
    """The ``k`` largest values along the last axis and their indices."""
    from .shape import strided_slice as _slice

    x = _prep("top_k", x)
    idx = argsort(x, -1, descending=True)
    idx = _slice(idx, (builtins.slice(None),) * (x.ndim - 1) + (builtins.slice(0, k),))
    return take_along_axis(x, idx, -1), idx


# ---- Python indexing ----------------------------------------------------------------------
def getitem(x: Any, key: Any) -> Any:
    """``x[key]`` with NumPy semantics for basic indexing and one advanced index."""
    from .shape import reshape
    from .shape import strided_slice as slice  # noqa: A004

    x = _prep("getitem", x)
    if not isinstance(key, tuple):
        key = (key,)
    # a boolean mask (eager only)
    if len(key) == 1 and _is_bool_mask(key[0]):
        return _mask_index(x, key[0])
    n_real = builtins.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > x.ndim:
        raise InvalidArgumentError(f"getitem: too many indices ({n_real}) for a "
                                   f"{x.ndim}-d tensor")
    if builtins.sum(1 for k in key if k is Ellipsis) > 1:  # identity, not ==
        raise InvalidArgumentError("getitem: an index can only have a single ellipsis")
    expanded: list[Any] = []
    for k in key:
        if k is Ellipsis:
            expanded += [builtins.slice(None)] * (x.ndim - n_real)
        else:
            expanded.append(k)
    if not any(k is Ellipsis for k in key):
        expanded += [builtins.slice(None)] * (x.ndim - n_real)
    slices: list[builtins.slice] = []
    out_shape: list[Any] = []
    advanced: tuple[int, Any] | None = None
    axis = 0
    for k in expanded:
        if k is None:
            out_shape.append(("new",))
            continue
        dim = x.shape[axis]
        if isinstance(k, builtins.slice):
            slices.append(k)
            out_shape.append(("keep", axis))
        elif _is_int(k):
            i = int(k)
            if dim is not None and not -dim <= i < dim:
                raise InvalidArgumentError(f"getitem: index {i} is out of bounds for axis "
                                           f"{axis} with size {dim}")
            i = i % dim if dim else i
            slices.append(builtins.slice(i, i + 1))
        else:
            if advanced is not None:
                raise InvalidArgumentError("getitem: only one integer-array index is "
                                           "supported; use take/gather_nd")
            slices.append(builtins.slice(None))
            advanced = (axis, k)
            out_shape.append(("adv", axis))
        axis += 1
    y = slice(x, tuple(slices))
    # drop integer-indexed axes and insert new ones
    kept = [e for e in out_shape if e[0] != "new"]
    target: list[Any] = []
    for e in out_shape:
        if e[0] == "new":
            target.append(1)
        else:
            target.append(y.shape[e[1]])
    if advanced is not None:
        adv_axis, adv_idx = advanced
        pos = [i for i, e in enumerate(kept) if e[0] != "new"]
        # squeeze away int axes first, keeping the advanced axis, then take
        ints_dropped = reshape(y, tuple(y.shape[e[1]] for e in kept)) \
            if len(kept) != y.ndim else y
        adv_pos = [i for i, e in enumerate(kept) if e[0] == "adv"][0]
        y2 = take(ints_dropped, adv_idx, axis=adv_pos)
        idx_shape = tuple(_prep("getitem", adv_idx).shape)
        if any(e[0] == "new" for e in out_shape):
            shape2: list[Any] = []
            for e in out_shape:
                if e[0] == "new":
                    shape2.append(1)
                elif e[0] == "adv":
                    shape2 += list(idx_shape)
                else:
                    shape2.append(y.shape[e[1]])
            y2 = reshape(y2, tuple(shape2))
        del pos
        return y2
    if tuple(target) != tuple(y.shape):
        y = reshape(y, tuple(target))
    return y


def _is_int(k: Any) -> bool:
    if isinstance(k, bool):
        return False
    if isinstance(k, int):
        return True
    if is_tensor(k) and not is_symbolic(k):
        return k.ndim == 0 and k.dtype.is_integer
    return type(k).__module__ == "numpy" and getattr(k, "ndim", 1) == 0 and \
        getattr(getattr(k, "dtype", None), "kind", "") in "iu"


def _is_bool_mask(k: Any) -> bool:
    if is_tensor(k):
        return k.dtype.is_bool
    if type(k).__module__ == "numpy":
        return getattr(getattr(k, "dtype", None), "kind", "") == "b"
    if isinstance(k, list) and k and all(isinstance(v, bool) for v in k):
        return True
    return False


def _mask_index(x: Any, mask: Any) -> Any:
    from .shape import reshape

    if is_symbolic(x) or is_symbolic(mask):
        raise InvalidArgumentError("getitem: boolean-mask indexing has a data-dependent shape "
                                   "and cannot be traced; use tw.ops.where instead")
    mask = _prep("getitem", mask)
    if tuple(mask.shape) != tuple(x.shape[:mask.ndim]):
        raise ShapeError(f"getitem: mask shape {mask.shape} does not match {x.shape}")
    flat = mask.tolist() if mask.ndim else [mask.item()]
    while flat and isinstance(flat[0], list):
        flat = [v for row in flat for v in row]
    picks = [i for i, v in enumerate(flat) if v]
    lead = 1
    for d in x.shape[:mask.ndim]:
        lead *= d
    xf = reshape(x, (lead,) + tuple(x.shape[mask.ndim:]))
    idx = convert_to_tensor(picks, _dt.int32, backend=x._backend)
    return take(xf, idx, axis=0)
