"""Shape ops: reshape, transpose, broadcast, concatenate, strided slicing, padding ...

Primitives: ``reshape`` (attr ``shape``, may hold one ``-1``), ``transpose`` (``axes``),
``broadcast_to`` (``shape``), ``concatenate`` (``axis``), ``slice`` (``begin``, ``end``,
``strides``: one entry per axis, normalised like Python's ``slice.indices``, so the axis
length is ``len(range(b, e, s))``), ``slice_update`` (same attrs: write ``update`` into
that region of ``x``) and ``pad`` (``pad_width`` pairs and a ``constant_value``). The
rest (``expand_dims``, ``squeeze``, ``flip``, ``stack``, ``tile`` ...) is built from them.
"""

from __future__ import annotations

import builtins
from typing import Any

from ..errors import InvalidArgumentError, ShapeError
from ..shapes import broadcast_shapes, check_shape, normalize_axes, normalize_axis, size_of
from ._dispatch import apply, convert_to_tensor, defop, is_symbolic, is_tensor

__all__ = ["reshape", "transpose", "broadcast_to", "concatenate", "slice", "slice_update",
           "strided_slice", "strided_slice_update",
           "pad", "expand_dims", "squeeze", "stack", "split", "tile", "flip", "repeat",
           "moveaxis", "swapaxes", "ravel", "flatten", "shape", "ndim", "size"]


def _prep(name: str, x: Any) -> Any:
    return x if is_tensor(x) else convert_to_tensor(x, where=name)


def shape(x: Any) -> tuple:
    return tuple(_prep("shape", x).shape)


def ndim(x: Any) -> int:
    return len(shape(x))


def size(x: Any) -> int | None:
    return size_of(shape(x))


# ---- reshape ----------------------------------------------------------------------------
def _resolve_shape(where: str, in_shape: tuple, target: tuple) -> tuple:
    if builtins.sum(1 for d in target if d == -1) > 1:
        raise InvalidArgumentError(f"{where}: argument 'shape': at most one -1, got {target}")
    for d in target:
        if d is not None and (not isinstance(d, int) or d < -1):
            raise InvalidArgumentError(f"{where}: argument 'shape': expected ints >= -1, "
                                       f"got {target}")
    total = size_of(in_shape)
    known = 1
    for d in target:
        if d not in (-1, None):
            known *= d
    if total is None or None in target:
        return tuple(None if d in (-1, None) else d for d in target)
    if -1 in target:
        if known == 0 or total % known:
            raise ShapeError(f"{where}: cannot reshape {in_shape} ({total} elements) "
                             f"into {target}")
        return tuple(total // known if d == -1 else d for d in target)
    if known != total:
        raise ShapeError(f"{where}: cannot reshape {in_shape} ({total} elements) "
                         f"into {target} ({known} elements)")
    return target


def _reshape_rule(specs: list, shape: tuple) -> tuple:
    return _resolve_shape("reshape", specs[0].shape, shape), specs[0].dtype


def _vjp_reshape(g, out, x, shape):  # noqa: ANN001, ANN202
    return (reshape(g, _as_target(x.shape)),)


def _as_target(s: tuple) -> tuple:
    if builtins.sum(1 for d in s if d is None) == 1:
        return tuple(-1 if d is None else d for d in s)
    return tuple(s)


RESHAPE = defop("reshape", _reshape_rule, vjp=_vjp_reshape, family="shape")


def reshape(x: Any, newshape: Any) -> Any:
    """Reshape (row-major); one dimension may be ``-1``."""
    x = _prep("reshape", x)
    if isinstance(newshape, int):
        newshape = (newshape,)
    target = tuple(int(d) if d is not None else None for d in newshape)
    if None not in x.shape and None not in target:
        target = _resolve_shape("reshape", x.shape, target)
        if target == x.shape:
            return x
    return apply(RESHAPE, (x,), {"shape": target})


def ravel(x: Any) -> Any:
    return reshape(x, (-1,))


flatten = ravel


def _expand_rule(specs: list, axis: tuple) -> tuple:
    out = list(specs[0].shape)
    for a in axis:
        out.insert(a, 1)
    return tuple(out), specs[0].dtype


def _squeeze_rule(specs: list, axis: tuple) -> tuple:
    s = specs[0].shape
    for a in axis:
        if s[a] not in (1, None):
            raise ShapeError(f"squeeze: cannot squeeze axis {a} of size {s[a]} in {s}")
    return tuple(d for i, d in enumerate(s) if i not in axis), specs[0].dtype


EXPAND_DIMS = defop(
    "expand_dims", _expand_rule, family="shape",
    vjp=lambda g, out, x, axis: (squeeze(g, axis),),
    decompose=lambda x, axis: reshape(x, _expand_rule([x], axis)[0]))
SQUEEZE = defop(
    "squeeze", _squeeze_rule, family="shape",
    vjp=lambda g, out, x, axis: (expand_dims(g, axis),),
    decompose=lambda x, axis: reshape(x, _squeeze_rule([x], axis)[0]))


def expand_dims(x: Any, axis: Any) -> Any:
    x = _prep("expand_dims", x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out_ndim = x.ndim + len(axes)
    norm = normalize_axes("expand_dims", axes, out_ndim)
    return apply(EXPAND_DIMS, (x,), {"axis": norm})


def squeeze(x: Any, axis: Any = None) -> Any:
    x = _prep("squeeze", x)
    if axis is None:
        norm = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        norm = normalize_axes("squeeze", axis, x.ndim)
    if not norm:
        return x
    return apply(SQUEEZE, (x,), {"axis": norm})


# ---- transpose ---------------------------------------------------------------------------
def _transpose_rule(specs: list, axes: tuple) -> tuple:
    s = specs[0].shape
    if sorted(axes) != list(range(len(s))):
        raise InvalidArgumentError(f"transpose: argument 'axes': expected a permutation of "
                                   f"{tuple(range(len(s)))}, got {axes}")
    return tuple(s[a] for a in axes), specs[0].dtype


def _vjp_transpose(g, out, x, axes):  # noqa: ANN001, ANN202
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a] = i
    return (transpose(g, tuple(inv)),)


TRANSPOSE = defop("transpose", _transpose_rule, vjp=_vjp_transpose, family="shape")


def transpose(x: Any, axes: Any = None) -> Any:
    x = _prep("transpose", x)
    n = x.ndim
    perm = tuple(reversed(range(n))) if axes is None else tuple(
        normalize_axis("transpose", a, n, "axes") for a in axes)
    if perm == tuple(range(n)):
        return x
    return apply(TRANSPOSE, (x,), {"axes": perm})


def moveaxis(x: Any, source: int, destination: int) -> Any:
    x = _prep("moveaxis", x)
    n = x.ndim
    s = normalize_axis("moveaxis", source, n, "source")
    d = normalize_axis("moveaxis", destination, n, "destination")
    order = [i for i in range(n) if i != s]
    order.insert(d, s)
    return transpose(x, tuple(order))


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    x = _prep("swapaxes", x)
    n = x.ndim
    a = normalize_axis("swapaxes", axis1, n, "axis1")
    b = normalize_axis("swapaxes", axis2, n, "axis2")
    order = list(range(n))
    order[a], order[b] = order[b], order[a]
    return transpose(x, tuple(order))


# ---- broadcast_to ----------------------------------------------------------------------------
def _broadcast_rule(specs: list, shape: tuple) -> tuple:
    s = specs[0].shape
    if len(s) > len(shape):
        raise ShapeError(f"broadcast_to: cannot broadcast {s} to {shape} (fewer dims)")
    out = broadcast_shapes("broadcast_to", s, shape)
    if tuple(d for d in out) != tuple(shape) and None not in shape:
        raise ShapeError(f"broadcast_to: cannot broadcast {s} to {shape}")
    return tuple(shape), specs[0].dtype


def _vjp_broadcast(g, out, x, shape):  # noqa: ANN001, ANN202
    from .elementwise import unbroadcast

    return (unbroadcast(g, x.shape),)


BROADCAST_TO = defop("broadcast_to", _broadcast_rule, vjp=_vjp_broadcast, family="shape")


def broadcast_to(x: Any, shape: Any) -> Any:
    x = _prep("broadcast_to", x)
    target = check_shape("broadcast_to", shape)
    if tuple(x.shape) == target:
        return x
    return apply(BROADCAST_TO, (x,), {"shape": target})


# ---- concatenate / stack / split ------------------------------------------------------------
def _concat_rule(specs: list, axis: int) -> tuple:
    first = specs[0]
    total: int | None = 0
    for i, s in enumerate(specs):
        if len(s.shape) != len(first.shape):
            raise ShapeError(f"concatenate: input {i} has {len(s.shape)} dims, input 0 has "
                             f"{len(first.shape)}")
        if s.dtype is not first.dtype:
            raise ShapeError(f"concatenate: input {i} has dtype {s.dtype}, input 0 has "
                             f"{first.dtype}")
        for j, (a, b) in enumerate(zip(s.shape, first.shape)):
            if j != axis and a is not None and b is not None and a != b:
                raise ShapeError(f"concatenate: input {i} has shape {s.shape}, input 0 has "
                                 f"{first.shape}; they must match except on axis {axis}")
        d = s.shape[axis]
        total = None if d is None or total is None else total + d
    out = list(first.shape)
    out[axis] = total
    return tuple(out), first.dtype


def _vjp_concat(g, out, *xs, axis):  # noqa: ANN001, ANN202
    grads = []
    start = 0
    for x in xs:
        n = x.shape[axis]
        grads.append(_axis_slice(g, axis, start, start + n))
        start += n
    return tuple(grads)


CONCATENATE = defop("concatenate", _concat_rule, vjp=_vjp_concat, family="shape")


def concatenate(xs: Any, axis: int = 0) -> Any:
    from .. import dtypes as _dt
    from .elementwise import cast

    xs = [_prep("concatenate", x) for x in xs]
    if not xs:
        raise InvalidArgumentError("concatenate: expected at least one tensor, got none")
    ax = normalize_axis("concatenate", axis, xs[0].ndim)
    target = _dt.result_type(*[x.dtype for x in xs])
    xs = [x if x.dtype is target else cast(x, target) for x in xs]
    if len(xs) == 1:
        return xs[0]
    return apply(CONCATENATE, tuple(xs), {"axis": ax})


def stack(x: Any, axis: int = 0) -> Any:
    """Join same-shape tensors along a new ``axis``."""
    xs = [_prep("stack", t) for t in x]
    if not xs:
        raise InvalidArgumentError("stack: expected at least one tensor, got none")
    ax = normalize_axis("stack", axis, xs[0].ndim + 1)
    for i, t in enumerate(xs):
        if t.shape != xs[0].shape:
            raise ShapeError(f"stack: input {i} has shape {t.shape}, input 0 has "
                             f"{xs[0].shape}; all must match")
    return concatenate([expand_dims(t, ax) for t in xs], axis=ax)


def split(x: Any, indices_or_sections: Any, axis: int = 0) -> list:
    """Split into equal sections (an int) or at the given indices (a list), as NumPy."""
    x = _prep("split", x)
    ax = normalize_axis("split", axis, x.ndim)
    n = x.shape[ax]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0 or n % k:
            raise InvalidArgumentError(f"split: axis {ax} of size {n} cannot be split into "
                                       f"{k} equal sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0, *[int(i) for i in indices_or_sections], n]
    return [_axis_slice(x, ax, builtins.min(max(a, 0), n), builtins.min(max(b, a, 0), n))
            for a, b in zip(bounds[:-1], bounds[1:])]


# ---- strided slicing -------------------------------------------------------------------------
def _slice_rule(specs: list, begin: tuple, end: tuple, strides: tuple) -> tuple:
    s = specs[0].shape
    if not len(begin) == len(end) == len(strides) == len(s):
        raise InvalidArgumentError(f"slice: begin/end/strides need one entry per axis of {s}")
    out = []
    for d, b, e, st in zip(s, begin, end, strides):
        if st == 0:
            raise InvalidArgumentError("slice: a step of 0 is not allowed")
        if e is None:  # full slice of an axis unknown when recorded
            out.append(d)
            continue
        out.append(len(range(b, e, st)) if d is not None else None)
    return tuple(out), specs[0].dtype


def _vjp_slice(g, out, x, begin, end, strides):  # noqa: ANN001, ANN202
    from .creation import zeros_like

    # The attrs are already normalised (a negative step may end at -1, meaning "before
    # index 0"); the public slice_update would read that -1 as "the last element".
    attrs = {"begin": begin, "end": end, "strides": strides}
    return (apply(SLICE_UPDATE, (zeros_like(x), g), attrs),)


SLICE = defop("slice", _slice_rule, vjp=_vjp_slice, family="shape",
              doc="Strided slice x[b0:e0:s0, b1:e1:s1, ...] (normalised bounds).")


def _slice_update_rule(specs: list, begin: tuple, end: tuple, strides: tuple) -> tuple:
    x, u = specs
    region, _ = _slice_rule([x], begin, end, strides)
    if tuple(u.shape) != tuple(region):
        raise ShapeError(f"slice_update: update has shape {u.shape}, the region has {region}")
    if u.dtype is not x.dtype:
        raise ShapeError(f"slice_update: update dtype {u.dtype} differs from {x.dtype}")
    return x.shape, x.dtype


def _vjp_slice_update(g, out, x, u, begin, end, strides):  # noqa: ANN001, ANN202
    from .creation import zeros_like

    attrs = {"begin": begin, "end": end, "strides": strides}  # normalised: see _vjp_slice
    gu = apply(SLICE, (g,), attrs)
    return apply(SLICE_UPDATE, (g, zeros_like(gu)), attrs), gu


SLICE_UPDATE = defop("slice_update", _slice_update_rule, vjp=_vjp_slice_update,
                     family="shape", doc="x with the strided region replaced by update.")


def _normalize_slices(where: str, shape: tuple, slices: Any) -> tuple:
    begin, end, strides = [], [], []
    for d, sl in zip(shape, slices):
        if d is None:
            if sl == builtins.slice(None):  # a full slice of an unknown axis keeps it
                begin.append(0)
                end.append(None)
                strides.append(1)
                continue
            raise ShapeError(f"{where}: cannot slice an axis of unknown size with {sl}")
        b, e, st = sl.indices(d)
        begin.append(b)
        end.append(e)
        strides.append(st)
    return tuple(begin), tuple(end), tuple(strides)


def strided_slice(x: Any, begin: Any, end: Any = None, strides: Any = None) -> Any:
    """``x[begin[0]:end[0]:strides[0], ...]``; ``begin`` may also be a tuple of slices.

    tensorweave's strided slice (the ``slice`` primitive). Keras's ``ops.slice`` takes a
    start and a *shape* instead: see :func:`slice`.
    """
    x = _prep("strided_slice", x)
    if end is None and strides is None and all(isinstance(s, builtins.slice) for s in begin):
        sls = list(begin) + [builtins.slice(None)] * (x.ndim - len(begin))
    else:
        n = x.ndim
        strides = strides or (1,) * n
        end = end if end is not None else tuple(None for _ in range(n))
        sls = [builtins.slice(b, e, s) for b, e, s in zip(begin, end, strides)]
    b, e, s = _normalize_slices("strided_slice", x.shape, sls)
    if all(st == 1 and bb == 0 and (ee == d or ee is None)
           for bb, ee, st, d in zip(b, e, s, x.shape)):
        return x
    return apply(SLICE, (x,), {"begin": b, "end": e, "strides": s})


def strided_slice_update(x: Any, update: Any, begin: Any, end: Any = None,
                         strides: Any = None) -> Any:
    """A copy of ``x`` whose strided region ``[begin:end:strides]`` holds ``update``.

    tensorweave's strided update (the ``slice_update`` primitive). Keras's
    ``ops.slice_update`` takes a start and the updates only: see :func:`slice_update`.
    """
    from .elementwise import cast

    x = _prep("strided_slice_update", x)
    update = _prep("strided_slice_update", update)
    if update.dtype is not x.dtype:
        update = cast(update, x.dtype)
    n = x.ndim
    if end is None and strides is None and all(isinstance(s, builtins.slice) for s in begin):
        sls = list(begin) + [builtins.slice(None)] * (n - len(begin))
    else:
        strides = strides or (1,) * n
        if end is None:  # the region starts at `begin` and has update's shape
            end = tuple(b + d * st for b, d, st in zip(begin, update.shape, strides))
        sls = [builtins.slice(b, e, s) for b, e, s in zip(begin, end, strides)]
    b, e, s = _normalize_slices("strided_slice_update", x.shape, sls)
    region = _slice_rule([x], b, e, s)[0]
    if tuple(update.shape) != region:
        update = broadcast_to(update, region)
    return apply(SLICE_UPDATE, (x, update), {"begin": b, "end": e, "strides": s})


# ---- Keras's slice / slice_update: a start and a size per axis ----------------------------------
def _start_list(where: str, start_indices: Any, n: int) -> list:
    """One start per axis: Python ints, or 0-d int tensors where a start is symbolic."""
    if is_tensor(start_indices):
        if is_symbolic(start_indices):
            if start_indices.ndim != 1 or start_indices.shape[0] not in (n, None):
                raise InvalidArgumentError(f"{where}: argument 'start_indices': expected "
                                           f"{n} starts, got a tensor of shape "
                                           f"{start_indices.shape}")
            return [reshape(strided_slice(start_indices, (builtins.slice(i, i + 1),)), ())
                    for i in range(n)]
        start_indices = start_indices.tolist()
    if isinstance(start_indices, int) or not hasattr(start_indices, "__len__"):
        start_indices = [start_indices]
    starts = list(start_indices)
    if len(starts) != n:
        raise InvalidArgumentError(f"{where}: argument 'start_indices': expected {n} starts "
                                   f"(one per axis), got {len(starts)}")
    out: list = []
    for st in starts:
        if is_symbolic(st):
            if not st.dtype.is_integer:
                raise InvalidArgumentError(f"{where}: argument 'start_indices': expected "
                                           f"integers, got {st.dtype}")
            out.append(reshape(st, ()))
            continue
        if is_tensor(st) or type(st).__module__ == "numpy":
            st = st.item() if hasattr(st, "item") else st.tolist()
        if isinstance(st, bool) or not isinstance(st, int):
            raise InvalidArgumentError(f"{where}: argument 'start_indices': expected "
                                       f"integers, got {start_indices!r}")
        out.append(int(st))
    return out


def _clamped_start(st: Any, d: int, size: int) -> Any:
    """A start made non-negative (from the end) and clamped so ``size`` fits, as XLA."""
    from .elementwise import add, clip, less, where

    if isinstance(st, int):
        st = st + d if st < 0 else st
        return builtins.max(0, builtins.min(st, d - size))
    st = where(less(st, 0), add(st, d), st)
    return clip(st, 0, d - size)


def _window_index(start: Any, size: int) -> Any:
    from .creation import arange
    from .elementwise import add, cast

    r = arange(size, dtype="int32")
    return add(r, cast(start, "int32") if start.dtype.name != "int32" else start)


def slice(inputs: Any, start_indices: Any, shape: Any) -> Any:  # noqa: A001
    """Keras's slice: the block of ``inputs`` that starts at ``start_indices`` with ``shape``.

    A size of ``-1`` takes the rest of the axis. Starts that would run past the end are
    clamped so the block fits (as ``jax.lax.dynamic_slice``); negative starts count from
    the end. Starts may be symbolic tensors (the block is then gathered).
    """
    from .indexing import take

    x = _prep("slice", inputs)
    n = x.ndim
    sizes = [shape] if isinstance(shape, int) else list(shape)
    if len(sizes) != n:
        raise InvalidArgumentError(f"slice: argument 'shape': expected {n} sizes (one per "
                                   f"axis), got {len(sizes)}")
    starts = _start_list("slice", start_indices, n)
    dynamic = any(not isinstance(st, int) for st in starts)
    sls = []
    for ax, (st, sz, d) in enumerate(zip(starts, sizes, x.shape)):
        sz = int(sz)
        if sz == -1:
            if not isinstance(st, int):
                raise InvalidArgumentError("slice: argument 'shape': a size of -1 needs a "
                                           "static start on that axis")
            if d is None:
                if st != 0:
                    raise ShapeError(f"slice: axis {ax} has unknown size; only a start of 0 "
                                     f"with size -1 keeps it")
                sls.append(builtins.slice(None))
                continue
            sz = d - (st + d if st < 0 else st)
        if sz < 0 or (d is not None and sz > d):
            raise ShapeError(f"slice: argument 'shape': size {sz} does not fit axis {ax} of "
                             f"{tuple(x.shape)}")
        if d is None:
            if not isinstance(st, int) or st < 0:
                raise ShapeError(f"slice: axis {ax} has unknown size: only a static start "
                                 f">= 0 can be sliced there")
            sls.append(builtins.slice(st, st + sz))
            continue
        sls.append((ax, _clamped_start(st, d, sz), sz))
    partial_unknown = any(isinstance(e, builtins.slice) and e != builtins.slice(None)
                          for e in sls)
    if not dynamic and not partial_unknown:
        return strided_slice(x, tuple(
            e if isinstance(e, builtins.slice) else builtins.slice(e[1], e[1] + e[2])
            for e in sls))
    from .creation import arange

    y = x
    for ax, e in enumerate(sls):
        if isinstance(e, builtins.slice):
            if e != builtins.slice(None):  # an axis of unknown size: gather the window
                y = take(y, arange(e.start, e.stop, dtype="int32"), axis=ax)
            continue
        _, st, sz = e
        y = _axis_slice(y, ax, st, st + sz) if isinstance(st, int) else \
            take(y, _window_index(st, sz), axis=ax)
    return y


def slice_update(inputs: Any, start_indices: Any, updates: Any) -> Any:
    """Keras's slice_update: ``inputs`` with ``updates`` written from ``start_indices`` on.

    The block has the shape of ``updates``; starts are clamped so it fits (as
    ``jax.lax.dynamic_update_slice``), negative starts count from the end, and starts
    may be symbolic tensors.
    """
    from .elementwise import cast, clip, greater_equal, less, logical_and, subtract, where
    from .indexing import take

    x = _prep("slice_update", inputs)
    u = _prep("slice_update", updates)
    if u.dtype is not x.dtype:
        u = cast(u, x.dtype)
    n = x.ndim
    if u.ndim != n:
        raise ShapeError(f"slice_update: argument 'updates': expected {n} dims like inputs "
                         f"{tuple(x.shape)}, got shape {tuple(u.shape)}")
    starts = _start_list("slice_update", start_indices, n)
    for ax, (d, sz) in enumerate(zip(x.shape, u.shape)):
        if d is None or sz is None:
            raise ShapeError(f"slice_update: axis {ax} of inputs {tuple(x.shape)} or updates "
                             f"{tuple(u.shape)} has unknown size")
        if sz > d:
            raise ShapeError(f"slice_update: argument 'updates': shape {tuple(u.shape)} does "
                             f"not fit in inputs {tuple(x.shape)}")
    if 0 in u.shape:
        return x
    starts = [_clamped_start(st, d, sz) for st, d, sz in zip(starts, x.shape, u.shape)]
    if all(isinstance(st, int) for st in starts):
        return strided_slice_update(x, u, tuple(builtins.slice(st, st + sz)
                                                for st, sz in zip(starts, u.shape)))
    # symbolic starts: gather the updates onto x's grid and select inside the window
    from .creation import arange

    y = u
    mask = None
    for ax, (st, d, sz) in enumerate(zip(starts, x.shape, u.shape)):
        pos = arange(d, dtype="int32")
        if not isinstance(st, int) and st.dtype.name != "int32":
            st = cast(st, "int32")
        local = subtract(pos, st)
        inside = logical_and(greater_equal(local, 0), less(local, sz))
        y = take(y, clip(local, 0, builtins.max(sz - 1, 0)), axis=ax)
        view = [1] * n
        view[ax] = d
        inside = reshape(inside, tuple(view))
        mask = inside if mask is None else logical_and(mask, inside)
    return where(mask, y, x)


def _axis_slice(x: Any, axis: int, start: int, stop: int, step: int = 1) -> Any:
    sls = [builtins.slice(None)] * x.ndim
    sls[axis] = builtins.slice(start, stop, step)
    return strided_slice(x, tuple(sls))


def flip(x: Any, axis: Any = None) -> Any:
    x = _prep("flip", x)
    axes = normalize_axes("flip", axis, x.ndim)
    sls = tuple(builtins.slice(None, None, -1) if i in axes else builtins.slice(None)
                for i in range(x.ndim))
    return strided_slice(x, sls)


# ---- pad -----------------------------------------------------------------------------------
def _pad_rule(specs: list, pad_width: tuple, constant_value: Any) -> tuple:
    s = specs[0].shape
    if len(pad_width) != len(s):
        raise InvalidArgumentError(f"pad: argument 'pad_width': expected {len(s)} pairs, got "
                                   f"{len(pad_width)}")
    return tuple(None if d is None else d + lo + hi for d, (lo, hi) in zip(s, pad_width)), \
        specs[0].dtype


def _vjp_pad(g, out, x, pad_width, constant_value):  # noqa: ANN001, ANN202
    # an unpadded axis of unknown size (a batch axis) is kept whole
    sls = tuple(builtins.slice(None) if d is None and lo == hi == 0 else
                builtins.slice(lo, lo + d) for d, (lo, hi) in zip(x.shape, pad_width))
    return (strided_slice(g, sls),)


PAD = defop("pad", _pad_rule, vjp=_vjp_pad, family="shape",
            doc="Constant padding; pad_width is one (before, after) pair per axis.")


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum",
              "mean", "median", "linear_ramp", "empty")


def _pad_source_index(mode: str, p: int, n: int) -> int:
    """The source index of padded position ``p`` (``0 <= p < n`` is x itself)."""
    if mode == "edge":
        return builtins.min(builtins.max(p, 0), n - 1)
    if mode == "wrap":
        return p % n
    if mode == "reflect":
        if n == 1:
            return 0
        m = p % (2 * (n - 1))
        return m if m < n else 2 * (n - 1) - m
    m = p % (2 * n)  # symmetric
    return m if m < n else 2 * n - 1 - m


def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Any:
    """Pad ``x`` (as ``numpy.pad``). ``pad_width``: an int, one pair, or one pair per axis.

    Modes: ``constant`` (``constant_values``, default 0), ``edge``, ``reflect``,
    ``symmetric``, ``wrap``, ``maximum``, ``minimum``, ``mean`` and ``median`` (rounded for
    integers), ``linear_ramp`` (to 0) and ``empty`` (zeros, as JAX). Axes are padded one
    after the other, so corners use the already padded axes, as NumPy.
    """
    x = _prep("pad", x)
    if mode not in _PAD_MODES:
        raise InvalidArgumentError(f"pad: argument 'mode': expected one of {_PAD_MODES}, "
                                   f"got {mode!r}")
    if constant_values is not None and mode != "constant":
        raise InvalidArgumentError(f"pad: argument 'constant_values' can only be given with "
                                   f"mode='constant', got mode={mode!r}")
    n = x.ndim
    if isinstance(pad_width, int):
        pw = ((pad_width, pad_width),) * n
    else:
        items = list(pad_width)
        if len(items) == 2 and all(isinstance(p, int) for p in items):
            pw_list = [(items[0], items[1])] * n  # NumPy: one (before, after) for every axis
        else:
            pw_list = [tuple(p) if not isinstance(p, int) else (p, p) for p in items]
            pw_list = [p * 2 if len(p) == 1 else p for p in pw_list]
            if len(pw_list) == 1 and n != 1:
                pw_list = pw_list * n
        if len(pw_list) != n:
            raise InvalidArgumentError(f"pad: argument 'pad_width': expected {n} pairs (one "
                                       f"per axis of {tuple(x.shape)}), got {len(pw_list)}")
        pw = tuple((int(a), int(b)) for a, b in pw_list)
    if any(a < 0 or b < 0 for a, b in pw):
        raise InvalidArgumentError(f"pad: argument 'pad_width': expected non-negative pads, "
                                   f"got {pw}")
    if all(a == 0 and b == 0 for a, b in pw):
        return x
    if mode in ("constant", "empty"):
        cv = 0 if constant_values is None else constant_values
        if is_tensor(cv) or hasattr(cv, "item"):
            cv = cv.item()
        if x.dtype.is_floating:
            cv = float(cv)
        elif x.dtype.is_bool:
            cv = bool(cv)
        else:
            cv = int(cv)
        return apply(PAD, (x,), {"pad_width": pw, "constant_value": cv})
    return _pad_modes(x, pw, mode)


def _pad_stat(y: Any, ax: int, mode: str) -> Any:
    """The statistic of ``mode`` along ``ax`` (kept as a length-1 axis), in y's dtype."""
    from .. import ops as _ops

    if mode == "maximum":
        return _ops.max(y, axis=ax, keepdims=True)
    if mode == "minimum":
        return _ops.min(y, axis=ax, keepdims=True)
    f = y if y.dtype.is_floating else _ops.cast(y, "float32")
    if mode == "mean":
        stat = _ops.mean(f, axis=ax, keepdims=True)
    else:  # median: the middle of the sorted axis (the mean of the two middles if even)
        d = y.shape[ax]
        srt = _ops.sort(f, axis=ax)
        lo_mid = _axis_slice(srt, ax, (d - 1) // 2, (d - 1) // 2 + 1)
        hi_mid = _axis_slice(srt, ax, d // 2, d // 2 + 1)
        stat = lo_mid if d % 2 else _ops.divide(_ops.add(lo_mid, hi_mid), 2.0)
    if not y.dtype.is_floating:
        stat = _ops.cast(_ops.round(stat), y.dtype)
    return stat


def _pad_fill(y: Any, ax: int, k: int, mode: str, side: int) -> Any:
    """The ``k`` padded slices before (side 0) or after (side 1) ``y`` along ``ax``."""
    from .. import ops as _ops

    if k == 0:
        return None
    tgt = list(y.shape)
    tgt[ax] = k
    if mode != "linear_ramp":
        return broadcast_to(_pad_stat(y, ax, mode), tuple(tgt))
    d = y.shape[ax]
    edge = _axis_slice(y, ax, 0, 1) if side == 0 else _axis_slice(y, ax, d - 1, d)
    f = edge if edge.dtype.is_floating else _ops.cast(edge, "float32")
    weights = [j / k for j in range(k)] if side == 0 else [1.0 - j / k for j in range(1, k + 1)]
    view = [1] * y.ndim
    view[ax] = k
    w = reshape(convert_to_tensor(weights, f.dtype, backend=None if is_symbolic(f)
                                  else f._backend), tuple(view))
    ramp = _ops.multiply(f, w)
    if not y.dtype.is_floating:  # integer ramps round down, as JAX's integer linspace
        ramp = _ops.floor(ramp)
    return ramp if ramp.dtype is y.dtype else _ops.cast(ramp, y.dtype)


def _pad_modes(x: Any, pw: tuple, mode: str) -> Any:
    from .indexing import take

    y = x
    for ax, (lo, hi) in enumerate(pw):
        if lo == 0 and hi == 0:
            continue
        d = y.shape[ax]
        if d is None or d == 0:
            raise ShapeError(f"pad: mode {mode!r} needs a known, non-empty axis {ax}, got "
                             f"shape {tuple(y.shape)}")
        if mode in ("maximum", "minimum", "mean", "median", "linear_ramp"):
            parts = [_pad_fill(y, ax, k, mode, side) for k, side in ((lo, 0), (hi, 1))]
            y = concatenate([p for p in (parts[0], y, parts[1]) if p is not None], axis=ax)
            continue
        idx = [_pad_source_index(mode, p, d) for p in range(-lo, d + hi)]
        y = take(y, convert_to_tensor(idx, "int32", backend=None if is_symbolic(y)
                                      else y._backend), axis=ax)
    return y


# ---- tile / repeat -----------------------------------------------------------------------------
def tile(x: Any, repeats: Any) -> Any:
    x = _prep("tile", x)
    reps = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    if len(reps) < x.ndim:
        reps = (1,) * (x.ndim - len(reps)) + reps
    if len(reps) > x.ndim:
        x = reshape(x, (1,) * (len(reps) - x.ndim) + tuple(x.shape))
    # (r0, d0, r1, d1, ...) broadcast, then merge each pair
    inter = []
    for d in x.shape:
        inter += [1, d]
    y = reshape(x, tuple(inter))
    full = []
    for r, d in zip(reps, x.shape):
        full += [r, d]
    y = broadcast_to(y, tuple(full))
    return reshape(y, tuple(r * d for r, d in zip(reps, x.shape)))


def repeat(x: Any, repeats: int, axis: int | None = None) -> Any:
    x = _prep("repeat", x)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = normalize_axis("repeat", axis, x.ndim)
    if not isinstance(repeats, int):
        raise InvalidArgumentError("repeat: only an int number of repeats is supported")
    y = expand_dims(x, ax + 1)
    target = list(y.shape)
    target[ax + 1] = repeats
    y = broadcast_to(y, tuple(target))
    out = list(x.shape)
    out[ax] = None if out[ax] is None else out[ax] * repeats
    return reshape(y, tuple(-1 if d is None else d for d in out)
                   if sum(d is None for d in out) == 1 else tuple(out))
