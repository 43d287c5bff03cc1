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
           "getitem", "gather_nd", "get_item", "nonzero", "unique", "unravel_index",
           "argpartition", "select", "scatter", "scatter_update"]


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


# ---- Keras's indexing, set and sorting ops ---------------------------------------------------
def get_item(x: Any, key: Any) -> Any:
    """``x[key]`` (Keras's name for Python indexing)."""
    return getitem(x, key)


def _eager_values(where: str, x: Any, hint: str) -> Any:
    x = _prep(where, x)
    if is_symbolic(x):
        raise InvalidArgumentError(f"{where}: the result's shape depends on the values, so it "
                                   f"cannot be traced on a symbolic tensor; {hint}")
    return x


def _flat_list(t: Any) -> list:
    vals = t.tolist() if t.ndim else [t.item()]
    for _ in range(builtins.max(t.ndim - 1, 0)):
        vals = [v for row in vals for v in row]
    return vals


def nonzero(x: Any) -> tuple:
    """The indices of the non-zero elements, one int32 tensor per axis (eager only)."""
    x = _eager_values("nonzero", x, "use tw.ops.where with a mask instead")
    if x.ndim == 0:
        raise ShapeError("nonzero: expected at least 1 dim, got a 0-d tensor")
    flat = _flat_list(x)
    picks = [i for i, v in enumerate(flat) if v]
    out = []
    be = x._backend
    for ax in range(x.ndim):
        stride = 1
        for d in x.shape[ax + 1:]:
            stride *= d
        out.append(convert_to_tensor([(p // stride) % x.shape[ax] for p in picks], _dt.int32,
                                     backend=be))
    return tuple(out)


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and v != v


def unique(x: Any, sorted: bool = True, return_index: bool = False,  # noqa: A002
           return_inverse: bool = False, return_counts: bool = False, axis: int | None = None,
           size: int | None = None, fill_value: Any = None) -> Any:
    """The sorted unique elements (or slices along ``axis``), as Keras on JAX.

    Optionally also the first index of each, the inverse (for each element, the position
    of its value among the uniques; ``x``'s shape when ``axis`` is None) and the counts,
    all int32. NaNs are all distinct. ``size`` pads (with ``fill_value``, default the
    smallest unique; index with the first index, counts with 0) or truncates the result to
    a fixed length. The result depends on the values: eager tensors only.
    """
    from .shape import moveaxis, reshape

    del sorted  # Keras on JAX always sorts
    x = _prep("unique", x)
    if is_symbolic(x) and size is not None and axis is None:
        return _unique_static(x, int(size), fill_value, return_index, return_inverse,
                              return_counts)
    x = _eager_values("unique", x, "pass size= (with axis=None) for a traceable unique")
    be = x._backend
    if axis is None:
        items = _flat_list(x)
        keys = items
    else:
        if x.ndim == 0:
            raise InvalidArgumentError("unique: argument 'axis': a 0-d tensor has no axes")
        ax = normalize_axis("unique", axis, x.ndim)
        moved = moveaxis(x, ax, 0)
        n = moved.shape[0]
        flat = _flat_list(moved)
        w = len(flat) // n if n else 0
        items = [tuple(flat[i * w:(i + 1) * w]) for i in range(n)]
        keys = items

    def sort_key(i: int) -> Any:
        k = keys[i]
        if isinstance(k, tuple):
            return tuple((1, 0.0) if _is_nan(v) else (0, v) for v in k)
        return (1, 0.0) if _is_nan(k) else (0, k)

    order = builtins.sorted(range(len(items)), key=sort_key)
    groups: list[list[int]] = []
    for i in order:
        k = keys[i]
        nan = any(_is_nan(v) for v in k) if isinstance(k, tuple) else _is_nan(k)
        if groups and not nan and keys[groups[-1][0]] == k:
            groups[-1].append(i)
        else:
            groups.append([i])
    index = [g[0] for g in groups]
    counts = [len(g) for g in groups]
    inverse = [0] * len(items)
    for gi, g in enumerate(groups):
        for i in g:
            inverse[i] = gi
    uniq_pos = list(index)
    if size is not None:
        size = int(size)
        if size < 0:
            raise InvalidArgumentError(f"unique: argument 'size': expected >= 0, got {size}")
        if len(uniq_pos) >= size:
            uniq_pos, index, counts = uniq_pos[:size], index[:size], counts[:size]
            pad_n = 0
        else:
            pad_n = size - len(uniq_pos)
            index = index + [index[0] if index else 0] * pad_n
            counts = counts + [0] * pad_n
    else:
        pad_n = 0
    idx_t = convert_to_tensor(uniq_pos, _dt.int32, backend=be)
    if axis is None:
        values = take(reshape(x, (-1,)), idx_t, axis=0)
    else:
        values = take(x, idx_t, axis=ax)
    if pad_n:
        from .creation import full
        from .shape import concatenate

        if fill_value is None:
            filler = take(values, convert_to_tensor([0] * pad_n, _dt.int32, backend=be),
                          axis=0 if axis is None else ax) if uniq_pos else None
        else:
            shape = list(values.shape)
            shape[0 if axis is None else ax] = pad_n
            filler = full(tuple(shape), fill_value, dtype=x.dtype)
        if filler is None:
            shape = list(values.shape)
            shape[0 if axis is None else ax] = pad_n
            filler = full(tuple(shape), 0, dtype=x.dtype)
        values = concatenate([values, filler], axis=0 if axis is None else ax)
    extras = []
    if return_index:
        extras.append(convert_to_tensor(index, _dt.int32, backend=be))
    if return_inverse:
        inv = convert_to_tensor(inverse, _dt.int32, backend=be)
        extras.append(reshape(inv, tuple(x.shape)) if axis is None else inv)
    if return_counts:
        extras.append(convert_to_tensor(counts, _dt.int32, backend=be))
    return (values, *extras) if extras else values


def _unique_static(x: Any, size: int, fill_value: Any, return_index: bool,
                   return_inverse: bool, return_counts: bool) -> Any:
    """``unique(..., size=size)`` with ops only (traceable): a sort, a neighbour test, a
    running group number (a triangular matmul: O(n^2) for n elements) and ``(size, n)``
    one-hot selections."""
    from .creation import arange, full, ones
    from .elementwise import cast, equal, logical_and, not_equal, where
    from .linalg import matmul
    from .reduction import any as _any
    from .reduction import sum as _sum
    from .shape import concatenate, expand_dims, reshape
    from .shape import strided_slice as _slice

    if size < 0:
        raise InvalidArgumentError(f"unique: argument 'size': expected >= 0, got {size}")
    if None in x.shape:
        raise ShapeError(f"unique: a traced unique needs a known shape, got {tuple(x.shape)}")
    flat = reshape(x, (-1,))
    n = flat.shape[0]
    if n == 0:
        raise ShapeError("unique: a traced unique needs at least one element")
    order = argsort(flat)
    srt = take(flat, order)
    first = concatenate([ones((1,), dtype="bool"), not_equal(
        _slice(srt, (builtins.slice(1, None),)), _slice(srt, (builtins.slice(0, n - 1),)))])
    # group[j] = (number of group starts at or before j) - 1
    from .creation import tri

    upto = tri(n, dtype="int32")                                   # [j, i] = i <= j
    group = matmul(upto, cast(first, _dt.int32)) - 1               # (n,)
    rows = expand_dims(arange(size, dtype=_dt.int32), 1)           # (size, 1)
    member = equal(rows, expand_dims(group, 0))                    # (size, n)
    head = logical_and(member, expand_dims(first, 0))              # the first of each group
    present = _any(head, axis=1)
    picked = _sum(where(head, expand_dims(srt, 0), 0), axis=1)
    if picked.dtype is not x.dtype:
        picked = cast(picked, x.dtype)
    default = take(srt, convert_to_tensor([0], _dt.int32)) if fill_value is None else \
        full((1,), fill_value, dtype=x.dtype)
    values = where(present, picked, default)
    extras = []
    if return_index:
        first_idx = _sum(where(head, expand_dims(order, 0), 0), axis=1)
        extras.append(where(present, first_idx, take(order, convert_to_tensor([0], _dt.int32))))
    if return_inverse:
        inv = scatter_add(full((n,), 0, dtype=_dt.int32), reshape(order, (n, 1)),
                          cast(group, _dt.int32))
        extras.append(reshape(inv, tuple(x.shape)))
    if return_counts:
        extras.append(_sum(cast(member, _dt.int32), axis=1))
    return (values, *extras) if extras else values


def unravel_index(indices: Any, shape: Any) -> tuple:
    """The coordinates of flat ``indices`` in an array of ``shape`` (out-of-range indices
    are clipped and negative ones count from the end, as JAX)."""
    from .elementwise import add, clip, floor_divide, less, mod, where

    idx = _int_indices("unravel_index", indices)
    dims = [int(d) for d in shape]
    total = 1
    for d in dims:
        total *= d
    if total == 0:
        raise InvalidArgumentError(f"unravel_index: argument 'shape': {tuple(dims)} has no "
                                   f"elements")
    idx = clip(idx, -total, total - 1)
    idx = where(less(idx, 0), add(idx, total), idx)
    out = []
    for d in reversed(dims):
        out.append(mod(idx, d))
        idx = floor_divide(idx, d)
    return tuple(reversed(out))


def argpartition(x: Any, kth: int, axis: int | None = -1) -> Any:
    """Indices that partition ``x`` around its ``kth`` smallest element along ``axis``.

    As Keras on JAX: the first ``kth + 1`` indices are those of the smallest values in
    ascending order (ties by position), the rest follow in their original order.
    """
    from .elementwise import cast
    from .shape import moveaxis, ravel
    from .shape import strided_slice as _slice

    x = _prep("argpartition", x)
    if axis is None:
        x, axis = ravel(x), 0
    if x.ndim == 0:
        raise ShapeError("argpartition: expected at least 1 dim, got a 0-d tensor")
    ax = normalize_axis("argpartition", axis, x.ndim)
    n = x.shape[ax]
    if isinstance(kth, bool) or not isinstance(kth, int):
        raise InvalidArgumentError(f"argpartition: argument 'kth': expected an int, got "
                                   f"{kth!r}")
    k = kth + n if kth < 0 else kth
    if not 0 <= k < n:
        raise InvalidArgumentError(f"argpartition: argument 'kth': {kth} is out of bounds "
                                   f"for an axis of size {n}")
    y = moveaxis(x, ax, -1)
    lead = (builtins.slice(None),) * (y.ndim - 1)
    bottom = _slice(argsort(y, -1), lead + (builtins.slice(0, k + 1),))
    in_bottom = _membership(bottom, n)
    rest = _slice(argsort(cast(in_bottom, _dt.int32), -1),
                  lead + (builtins.slice(0, n - k - 1),))
    from .shape import concatenate

    return moveaxis(concatenate([bottom, rest], axis=-1), -1, ax)


def _membership(positions: Any, n: int) -> Any:
    """Bool ``(..., n)``: True where the last-axis position is listed in ``positions``."""
    from .creation import arange
    from .elementwise import equal
    from .reduction import any as _any
    from .shape import expand_dims

    hits = equal(expand_dims(positions, -1), arange(n, dtype=positions.dtype))
    return _any(hits, axis=-2)


def select(condlist: Any, choicelist: Any, default: Any = 0) -> Any:
    """Elementwise: the choice of the first true condition, else ``default``."""
    from .elementwise import where

    conds = list(condlist)
    choices = list(choicelist)
    if len(conds) != len(choices):
        raise InvalidArgumentError(f"select: arguments 'condlist' and 'choicelist' must have "
                                   f"the same length, got {len(conds)} and {len(choices)}")
    if not conds:
        raise InvalidArgumentError("select: argument 'condlist': expected at least one "
                                   "condition")
    conds = [_prep("select", c) for c in conds]
    for i, c in enumerate(conds):
        if not c.dtype.is_bool:
            raise DTypeError(f"select: argument 'condlist': condition {i} has dtype "
                             f"{c.dtype}, expected bool")
    choices = [c if is_tensor(c) else convert_to_tensor(c, where="select") for c in choices]
    target = _dt.result_type(*[c.dtype for c in choices])
    out = default
    for c, ch in zip(reversed(conds), reversed(choices)):
        out = where(c, ch, out)
    if not is_tensor(out) or out.dtype is not target:
        from .elementwise import cast

        out = cast(out, _dt.result_type(target, out.dtype) if is_tensor(out) else target)
    from ..shapes import broadcast_shapes
    from .shape import broadcast_to

    shape = tuple(out.shape)
    for t in [*conds, *choices]:
        shape = broadcast_shapes("select", shape, tuple(t.shape))
    return broadcast_to(out, shape) if tuple(out.shape) != shape else out


def scatter(indices: Any, values: Any, shape: Any) -> Any:
    """A zero tensor of ``shape`` with ``values`` added at ``indices`` (``(..., k)``)."""
    from .creation import zeros

    values = _prep("scatter", values)
    target = tuple(int(d) for d in shape)
    return scatter_add(zeros(target, dtype=values.dtype), indices, values)


def _linear_index(idx: Any, shape: tuple) -> Any:
    """Row-major positions of the ``(N, k)`` indices into the first ``k`` axes."""
    from .elementwise import add, less, multiply, where
    from .shape import reshape
    from .shape import strided_slice as _slice

    k = idx.shape[-1]
    lin = None
    for i in range(k):
        col = reshape(_slice(idx, (builtins.slice(None), builtins.slice(i, i + 1))), (-1,))
        col = where(less(col, 0), add(col, shape[i]), col)
        lin = col if lin is None else add(multiply(lin, shape[i]), col)
    return lin


_REDUCTIONS = (None, "add", "max", "min", "mul")


def scatter_update(inputs: Any, indices: Any, updates: Any, reduction: str | None = None) -> Any:
    """``inputs`` with ``updates`` written at the ``(N, k)`` ``indices``.

    ``reduction``: None (set; of duplicate indices the last update wins), ``"add"``,
    ``"max"``, ``"min"`` or ``"mul"`` (combine with the current value, duplicates
    included). The max/min/mul forms build an ``(N, positions)`` one-hot, so their cost
    grows with ``N`` times the number of addressed positions.
    """
    from .creation import arange, zeros_like
    from .elementwise import (
        cast,
        equal,
        logical_and,
        logical_not,
        maximum,
        minimum,
        multiply,
        where,
    )
    from .reduction import any as _any
    from .reduction import max as _max
    from .reduction import min as _min
    from .reduction import prod as _prod
    from .shape import expand_dims, reshape

    if reduction not in _REDUCTIONS:
        raise InvalidArgumentError(f"scatter_update: argument 'reduction': expected one of "
                                   f"{_REDUCTIONS}, got {reduction!r}")
    x = _prep("scatter_update", inputs)
    idx = _int_indices("scatter_update", indices)
    upd = _prep("scatter_update", updates)
    if upd.dtype is not x.dtype:
        upd = cast(upd, x.dtype)
    if idx.ndim != 2:
        raise ShapeError(f"scatter_update: argument 'indices': expected shape (N, k), got "
                         f"{tuple(idx.shape)}")
    k = idx.shape[-1]
    if k is None or k > x.ndim or None in x.shape[:k]:
        raise ShapeError(f"scatter_update: indices of shape {tuple(idx.shape)} do not address "
                         f"inputs of shape {tuple(x.shape)}")
    if reduction == "add":
        return scatter_add(x, idx, upd)
    lead = x.shape[:k]
    positions = 1
    for d in lead:
        positions *= d
    rest = tuple(x.shape[k:])
    lin = _linear_index(idx, lead)                            # (N,)
    onehot = equal(expand_dims(lin, 1), arange(positions, dtype=lin.dtype))  # (N, P)
    if reduction is None:
        # of duplicates keep the last: drop update i when a later j hits the same position
        same = equal(expand_dims(lin, 1), expand_dims(lin, 0))  # (N, N)
        n = lin.shape[0]
        later = arange(n, dtype=lin.dtype)
        later = logical_and(same, _less_mat(later))
        keep = logical_not(_any(later, axis=1))                 # (N,)
        keep_u = reshape(keep, (-1,) + (1,) * len(rest))
        written = scatter_add(zeros_like(x), idx, where(keep_u, upd, zeros_like(upd)))
        hit = _any(logical_and(onehot, expand_dims(keep, 1)), axis=0)   # (P,)
        return where(reshape(hit, tuple(lead) + (1,) * len(rest)), written, x)
    # max / min / mul: combine every update addressed to a position
    flat_x = reshape(x, (positions,) + rest)
    oh = reshape(onehot, tuple(onehot.shape) + (1,) * len(rest))   # (N, P, 1...)
    u = expand_dims(upd, 1)                                         # (N, 1, rest)
    if reduction == "mul":
        red = _prod(where(oh, u, 1), axis=0)
        out = multiply(flat_x, red)
    else:
        fill = _extreme(x.dtype, reduction == "max")
        red = (_max if reduction == "max" else _min)(where(oh, u, fill), axis=0)
        got = reshape(_any(onehot, axis=0), (positions,) + (1,) * len(rest))
        comb = maximum(flat_x, red) if reduction == "max" else minimum(flat_x, red)
        out = where(got, comb, flat_x)
    return reshape(out, tuple(x.shape))


def _less_mat(r: Any) -> Any:
    """``(N, N)`` bool: ``i < j``."""
    from .elementwise import less
    from .shape import expand_dims

    return less(expand_dims(r, 1), expand_dims(r, 0))


def _extreme(dtype: Any, for_max: bool) -> Any:
    if dtype.is_bool:
        return not for_max
    if dtype.is_integer:
        return dtype.min if for_max else dtype.max
    return float("-inf") if for_max else float("inf")
