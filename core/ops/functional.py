"""Keras's core function ops: ``dtype``, ``custom_gradient``, ``jvp``, ``vectorize`` and
``vectorized_map``.

``custom_gradient`` and ``jvp`` live with the other transforms in
:mod:`tensorweave.graph.transforms` (imported on first use, so ``import tensorweave``
stays light); ``vectorize`` and ``vectorized_map`` are Python loops over the mapped axes
whose results are stacked, so they work on every backend and on symbolic tensors, at the
cost of one call of the function per mapped element (and as many recorded ops).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, ShapeError
from ._dispatch import convert_to_tensor, is_tensor

__all__ = ["dtype", "custom_gradient", "jvp", "vectorize", "vectorized_map"]


def dtype(x: Any) -> str:
    """The name of ``x``'s dtype (``"float32"``, ``"int64"`` ...)."""
    d = getattr(x, "dtype", None)
    if d is None:
        return convert_to_tensor(x, where="dtype").dtype.name
    if isinstance(d, _dt.DType):
        return d.name
    return _dt.canonicalize(getattr(d, "name", d)).name


def custom_gradient(f: Callable) -> Callable:
    """Decorate ``f`` (returning ``(output, grad_fn)``) to use ``grad_fn`` as its gradient."""
    from ..graph.transforms import custom_gradient as _cg

    return _cg(f)


def jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple:
    """Forward-mode product ``(fun(*primals), J @ tangents)`` (plus ``aux``)."""
    from ..graph.transforms import jvp as _jvp

    return _jvp(fun, primals, tangents, has_aux)


# ---- vectorized_map --------------------------------------------------------------------------
def _stack_tree(results: list) -> Any:
    from ..graph.tracing import tree_flatten, tree_unflatten
    from .shape import stack

    flat0, tree = tree_flatten(results[0])
    columns = [tree_flatten(r)[0] for r in results]
    stacked = [stack([c[i] for c in columns], axis=0) for i in range(len(flat0))]
    return tree_unflatten(tree, stacked)


def vectorized_map(function: Callable, elements: Any) -> Any:
    """``stack([function(e) for e in unstack(elements)])``, over the first axis.

    ``elements`` may be a tensor or a nested list/tuple/dict of tensors of one leading
    length; outputs may be nested too. A Python loop: ``function`` runs once per element.
    """
    from ..graph.tracing import tree_flatten, tree_unflatten
    from .arrays import unstack

    leaves, tree = tree_flatten(elements)
    if not leaves:
        raise InvalidArgumentError("vectorized_map: argument 'elements': expected tensors, "
                                   "got none")
    leaves = [x if is_tensor(x) else convert_to_tensor(x, where="vectorized_map")
              for x in leaves]
    n = leaves[0].shape[0] if leaves[0].ndim else None
    for x in leaves:
        if x.ndim == 0 or x.shape[0] != n or n is None:
            raise ShapeError("vectorized_map: argument 'elements': every tensor needs the same "
                             f"known first axis, got shapes {[tuple(t.shape) for t in leaves]}")
    if n == 0:
        raise ShapeError("vectorized_map: cannot map over an empty first axis")
    columns = [unstack(x, axis=0) for x in leaves]
    results = [function(tree_unflatten(tree, [c[i] for c in columns])) for i in range(n)]
    return _stack_tree(results)


# ---- vectorize --------------------------------------------------------------------------------
_ARG = r"\((\w*(?:,\s*\w+)*)\)"


def _parse_signature(signature: str) -> tuple[list, list]:
    m = re.fullmatch(rf"\s*({_ARG}(?:\s*,\s*{_ARG})*)?\s*->\s*({_ARG}(?:\s*,\s*{_ARG})*)\s*",
                     signature)
    if not m:
        raise InvalidArgumentError(f"vectorize: argument 'signature': not a valid gufunc "
                                   f"signature: {signature!r}")
    ins, outs = signature.split("->")

    def groups(s: str) -> list:
        return [tuple(d.strip() for d in g.split(",") if d.strip())
                for g in re.findall(r"\(([^)]*)\)", s)]

    return groups(ins), groups(outs)


def vectorize(pyfunc: Callable, *, excluded: Any = None, signature: str | None = None
              ) -> Callable:
    """A function that maps ``pyfunc`` over the broadcast leading (loop) axes of its inputs.

    As ``numpy.vectorize``: ``signature`` (e.g. ``"(n),(n)->()"``) names the core axes
    each call sees; without it every call gets scalars. ``excluded`` positions or keyword
    names pass through untouched. A Python loop: ``pyfunc`` runs once per loop element.
    """
    excluded = set(excluded or ())
    in_core, out_core = _parse_signature(signature) if signature else (None, None)

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from ..shapes import broadcast_shapes
        from .shape import broadcast_to, reshape

        pos = [i for i in range(len(args)) if i not in excluded]
        keys = [k for k in kwargs if k not in excluded]
        tensors = [args[i] if is_tensor(args[i]) else convert_to_tensor(args[i],
                   where="vectorize") for i in pos]
        tensors += [kwargs[k] if is_tensor(kwargs[k]) else convert_to_tensor(
            kwargs[k], where="vectorize") for k in keys]
        cores = in_core if in_core is not None else [()] * len(tensors)
        if len(cores) != len(tensors):
            raise InvalidArgumentError(f"vectorize: the signature names {len(cores)} inputs, "
                                       f"got {len(tensors)}")
        loop_shape: tuple = ()
        for t, core in zip(tensors, cores):
            if t.ndim < len(core):
                raise ShapeError(f"vectorize: an input of shape {tuple(t.shape)} has fewer "
                                 f"dims than its core axes {core}")
            loop_shape = broadcast_shapes("vectorize", loop_shape,
                                          tuple(t.shape[:t.ndim - len(core)]))
        if None in loop_shape:
            raise ShapeError(f"vectorize: the loop axes {loop_shape} need known sizes")
        flat_n = 1
        for d in loop_shape:
            flat_n *= d
        views = []
        for t, core in zip(tensors, cores):
            core_shape = tuple(t.shape[t.ndim - len(core):])
            full = broadcast_to(t, loop_shape + core_shape)
            views.append(reshape(full, (flat_n,) + core_shape) if loop_shape else
                         reshape(full, (1,) + core_shape))

        def call(i: int) -> Any:
            from .shape import _axis_slice, squeeze

            parts = [squeeze(_axis_slice(v, 0, i, i + 1), 0) for v in views]
            a = list(args)
            for j, p in zip(pos, parts[:len(pos)]):
                a[j] = p
            kw = dict(kwargs)
            for k, p in zip(keys, parts[len(pos):]):
                kw[k] = p
            r = pyfunc(*a, **kw)
            if isinstance(r, tuple):
                return tuple(x if is_tensor(x) else convert_to_tensor(x) for x in r)
            return r if is_tensor(r) else convert_to_tensor(r)

        count = flat_n if loop_shape else 1
        if count == 0:
            raise ShapeError("vectorize: cannot map over empty loop axes")
        out = _stack_tree([call(i) for i in range(count)])

        def unflat(t: Any) -> Any:
            return reshape(t, loop_shape + tuple(t.shape[1:]))

        if isinstance(out, tuple):
            if out_core is not None and len(out_core) != len(out):
                raise InvalidArgumentError(f"vectorize: the signature names {len(out_core)} "
                                           f"outputs, the function returned {len(out)}")
            return tuple(unflat(t) for t in out)
        return unflat(out)

    return wrapped
