"""Function transforms: ``grad``, ``value_and_grad``, ``vjp`` and ``jit``.

Each one traces the Python function into a graph. Called on concrete arrays, the result is
compiled once per input signature (tree structure, shapes, dtypes, backend) and the
compiled plan runs on later calls; called on symbolic tensors (inside another trace, e.g.
``grad(grad(f))``), it records into the enclosing graph instead, which is how transforms
compose.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from ..backend_registry import current
from ..errors import NotDifferentiableError, ShapeError, TensorweaveError
from ..ops import _dispatch
from ..ops._dispatch import convert_to_tensor, is_symbolic, wrap
from ..tensor import Tensor
from .autodiff import Cotangents, backward, nodes_between
from .executor import compile_graph
from .tracing import constant, leaf_spec, trace, tree_flatten, tree_unflatten

__all__ = ["grad", "value_and_grad", "vjp", "jit", "Jitted"]


def _norm_argnums(argnums: int | Sequence[int], nargs: int) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -nargs <= a < nargs:
            raise TensorweaveError(f"argnums {a} is out of range for {nargs} arguments")
    return tuple(a % nargs for a in nums), single


def _any_symbolic(tree: Any) -> bool:
    leaves, _ = tree_flatten(tree)
    return any(is_symbolic(x) or (hasattr(x, "_tw_tensor") and is_symbolic(x._tw_tensor()))
               for x in leaves)


# ---- value_and_grad ---------------------------------------------------------------------------
def _symbolic_value_and_grad(fn: Callable, args: tuple, argnums: tuple[int, ...], single: bool,
                             has_aux: bool) -> Any:
    """Trace ``fn`` inline and append its backward pass (args hold symbolic leaves)."""
    from ..ops import ones_like, zeros_like

    args = list(args)
    wrt_trees = []
    for a in argnums:
        leaves, tree = tree_flatten(args[a])
        syms = [x if is_symbolic(x) else constant(x) for x in leaves]
        args[a] = tree_unflatten(tree, syms)
        wrt_trees.append((syms, tree))
    out = fn(*args)
    aux = None
    if has_aux:
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TensorweaveError("value_and_grad(has_aux=True): the function must return "
                                   "(value, aux)")
        out, aux = out
    if not _dispatch.is_tensor(out):
        out = convert_to_tensor(out)
    if tuple(out.shape) != ():
        raise ShapeError(f"grad: the function must return a scalar (shape ()), got shape "
                         f"{tuple(out.shape)}; reduce it (e.g. tw.ops.mean) first")
    if not out.dtype.is_floating:
        raise NotDifferentiableError(f"grad: the function returned dtype {out.dtype}; only "
                                     "float outputs can be differentiated")
    all_wrt = [s for syms, _ in wrt_trees for s in syms]
    cots = Cotangents()
    if is_symbolic(out):
        cots[id(out)] = ones_like(out)
        backward(nodes_between(all_wrt, [out]), cots)
    grads = []
    for syms, tree in wrt_trees:
        gl = []
        for s in syms:
            if not s.dtype.is_floating:
                gl.append(None)
                continue
            g = cots.get(id(s))
            gl.append(g if g is not None else zeros_like(s))
        grads.append(tree_unflatten(tree, gl))
    for a, (syms, _) in zip(argnums, wrt_trees):
        if len(syms) == 1 and not syms[0].dtype.is_floating and \
                not isinstance(args[a], (list, tuple, dict)):
            raise NotDifferentiableError(
                f"grad: argument {a} has dtype {syms[0].dtype}; integer and boolean inputs "
                "have no gradient (use argnums to pick float inputs)")
    g_out = grads[0] if single else tuple(grads)
    return ((out, aux), g_out) if has_aux else (out, g_out)


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Callable:
    """``f -> (f(x), df/dx)`` as in JAX. ``f`` must return a float scalar (or
    ``(scalar, aux)`` with ``has_aux=True``); ``argnums`` picks the arguments (nested
    lists / tuples / dicts of arrays are fine) to differentiate."""

    def inner(*args: Any) -> Any:
        nums, single = _norm_argnums(argnums, len(args))
        return _symbolic_value_and_grad(fn, args, nums, single, has_aux)

    compiled = jit(inner, name=f"value_and_grad({getattr(fn, '__name__', 'f')})")

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        _norm_argnums(argnums, len(args))
        return compiled(*args)

    return wrapped


def grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """``f -> df/dx``; with ``has_aux=True`` returns ``(grads, aux)``."""
    vg = value_and_grad(fn, argnums, has_aux)

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        value, g = vg(*args)
        return (g, value[1]) if has_aux else g

    return wrapped


def vjp(fn: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(fn(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` gives one cotangent per primal."""
    out = fn(*primals)

    def vjp_fn(cot: Any) -> tuple:
        from ..ops import multiply
        from ..ops import sum as _sum

        def scalar(*xs: Any) -> Any:
            return _sum(multiply(fn(*xs), cot))

        return value_and_grad(scalar, argnums=tuple(range(len(primals))))(*primals)[1]

    return out, vjp_fn


# ---- jit --------------------------------------------------------------------------------
class Jitted:
    """A function compiled per input signature; see :func:`jit`."""

    def __init__(self, fn: Callable, static_argnums: Sequence[int] = (),
                 name: str | None = None, donate_argnums: Sequence[int] = ()) -> None:
        self.fn = fn
        self.static_argnums = tuple(static_argnums)
        self.donate_argnums = tuple(donate_argnums)
        self.name = name or getattr(fn, "__name__", "jitted")
        self._cache: dict[Any, Any] = {}
        functools.update_wrapper(self, fn)

    def _split(self, args: tuple) -> tuple[list, Any, tuple]:
        dyn = [a for i, a in enumerate(args) if i not in self.static_argnums]
        static = tuple((i, args[i]) for i in self.static_argnums if i < len(args))
        leaves, tree = tree_flatten(dyn)
        return leaves, tree, static

    def trace(self, *args: Any) -> Any:
        """The graph ``fn`` records for these arguments (for printing and inspection)."""
        leaves, tree, static = self._split(args)
        return self._trace(args, leaves, tree, static)

    def _trace(self, args: tuple, leaves: list, tree: Any, static: tuple) -> Any:
        static_map = dict(static)

        def flat_fn(*dyn_args: Any) -> Any:
            it = iter(dyn_args)
            full = [static_map[i] if i in static_map else next(it) for i in range(len(args))]
            return self.fn(*full)

        dyn = [a for i, a in enumerate(args) if i not in static_map]
        return trace(flat_fn, *dyn, name=self.name)

    def __call__(self, *args: Any) -> Any:
        if _any_symbolic(args):
            return self.fn(*args)  # inside another trace: record inline
        leaves, tree, static = self._split(args)
        backend = None
        for x in leaves:
            if isinstance(x, Tensor):
                backend = x._backend
                break
            if hasattr(x, "_tw_tensor"):
                backend = x._tw_tensor()._backend
                break
        backend = backend or current()
        specs = tuple(leaf_spec(x) for x in leaves)
        key = (tree, static, specs, backend.name)
        entry = self._cache.get(key)
        if entry is None:
            graph = self._trace(args, leaves, tree, static)
            plan = compile_graph(graph, backend, donate=self._donated_positions(args))
            entry = (graph, plan)
            self._cache[key] = entry
        graph, plan = entry
        arrays = []
        for x in leaves:
            if isinstance(x, Tensor) and x._backend is backend:
                arrays.append(x._data)
            else:
                arrays.append(convert_to_tensor(x, backend=backend)._data)
        outs = plan.run(arrays)
        tensors = [wrap(o, s, d, backend) for o, (s, d) in zip(outs, plan.output_specs)]
        return tree_unflatten(graph.out_tree, tensors)

    def _donated_positions(self, args: tuple) -> tuple[int, ...]:
        """Flattened leaf positions of the ``donate_argnums`` arguments."""
        if not self.donate_argnums:
            return ()
        positions: list[int] = []
        pos = 0
        for i, a in enumerate(args):
            if i in self.static_argnums:
                continue
            n = len(tree_flatten(a)[0])
            if i in self.donate_argnums:
                positions.extend(range(pos, pos + n))
            pos += n
        return tuple(positions)

    def clear_cache(self) -> None:
        self._cache.clear()


def jit(fn: Callable | None = None, *, static_argnums: int | Sequence[int] = (),
        donate_argnums: int | Sequence[int] = (), name: str | None = None) -> Any:
    """Compile ``fn``: trace per input signature, optimise, run a compiled plan.

    Array arguments (nested lists / tuples / dicts too) are traced; Python numbers and
    ``static_argnums`` arguments are static (a new value means a new trace). Variables the
    function reads are read afresh at every call; it must not assign them (return new
    values instead). ``donate_argnums`` (as in JAX): the arrays of those arguments may be
    overwritten by the call (e.g. parameters updated in place) — don't use them after.
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(donate_argnums, int):
        donate_argnums = (donate_argnums,)
    if fn is None:
        return lambda f: Jitted(f, static_argnums, name, donate_argnums)
    return Jitted(fn, static_argnums, name, donate_argnums)


