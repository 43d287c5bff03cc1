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

__all__ = ["grad", "value_and_grad", "vjp", "jit", "Jitted", "custom_gradient", "jvp"]


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




# ---- custom_gradient ------------------------------------------------------------------------
def _custom_rule(specs: list, grad_fn: Any, n_in: int) -> list:
    return [(s.shape, s.dtype) for s in specs[n_in:]]


def _custom_vjp(gs: tuple, outs: tuple, *inputs: Any, grad_fn: Any, n_in: int) -> tuple:
    res = grad_fn(*gs)
    if _dispatch.is_tensor(res) or not isinstance(res, (list, tuple)):
        res = (res,)
    res = tuple(res)
    if len(res) != n_in:
        raise NotDifferentiableError(f"custom_gradient: the gradient function returned "
                                     f"{len(res)} gradients for {n_in} tensor inputs")
    from ..ops import broadcast_to

    cots = []
    for g, x in zip(res, inputs[:n_in]):
        if g is None:
            cots.append(None)
            continue
        if not _dispatch.is_tensor(g):
            g = convert_to_tensor(g, x.dtype)
        if tuple(g.shape) != tuple(x.shape):
            g = broadcast_to(g, tuple(x.shape))
        cots.append(g)
    return (*cots, *[None] * (len(inputs) - n_in))


CUSTOM_GRADIENT = _dispatch.defop(
    "custom_gradient", _custom_rule, vjp=_custom_vjp, multi_output=True, family="core",
    decompose=lambda *xs, grad_fn, n_in: tuple(xs[n_in:]),
    doc="Identity on the outputs of a custom_gradient function; its VJP is the user's.")


def custom_gradient(f: Callable) -> Callable:
    """Give ``f`` a gradient of your own, as ``keras.ops.custom_gradient``.

    ``f(*args)`` returns ``(output, grad_fn)``; ``grad_fn(upstream)`` returns the gradient
    of each tensor argument (one value, or a tuple with one entry per tensor argument).
    Under ``grad``/``value_and_grad``/``jit`` the output is recorded as a node whose VJP
    calls ``grad_fn`` (the graph then holds a Python function, so it cannot be saved as
    JSON); called on concrete data ``f`` just runs.
    """

    @functools.wraps(f)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        res = f(*args, **kwargs)
        if not (isinstance(res, (tuple, list)) and len(res) == 2 and callable(res[1])):
            raise TensorweaveError("custom_gradient: the function must return "
                                   "(output, grad_fn)")
        out, grad_fn = res
        tensors = [a for a in (_dispatch._unwrap(a) for a in args) if _dispatch.is_tensor(a)]
        if not any(is_symbolic(t) for t in tensors):
            return out
        leaves, tree = tree_flatten(out)
        outs = [x if _dispatch.is_tensor(x) else convert_to_tensor(x) for x in leaves]
        recorded = _dispatch.apply(CUSTOM_GRADIENT, (*tensors, *outs),
                                   {"grad_fn": grad_fn, "n_in": len(tensors)})
        return tree_unflatten(tree, list(recorded))

    return wrapped


# ---- jvp (forward mode by transposing the VJP twice) ------------------------------------------
def jvp(fun: Callable, primals: Sequence[Any], tangents: Sequence[Any],
        has_aux: bool = False) -> tuple:
    """``(fun(*primals), J @ tangents)`` (and ``aux`` with ``has_aux``), as Keras's ``jvp``.

    The VJP ``u -> J^T u`` is linear in ``u``; differentiating ``<J^T u, t>`` with respect
    to ``u`` gives ``J t``. This costs a forward pass, a backward pass and the backward
    pass's own backward pass, and works on every backend and inside traces.
    """
    from ..ops import multiply, zeros_like
    from ..ops import sum as _sum

    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise TensorweaveError(f"jvp: expected one tangent per primal, got {len(primals)} "
                               f"primals and {len(tangents)} tangents")
    n = len(primals)

    def as_tensors(tree: Any) -> Any:
        leaves, struct = tree_flatten(tree)
        return tree_unflatten(struct, [x if _dispatch.is_tensor(x) or hasattr(x, "_tw_tensor")
                                       else convert_to_tensor(x) for x in leaves])

    primals, tangents = as_tensors(primals), as_tensors(tangents)
    res = fun(*primals)
    if has_aux:
        if not (isinstance(res, (tuple, list)) and len(res) == 2):
            raise TensorweaveError("jvp(has_aux=True): the function must return (output, aux)")
        out, aux = res
    else:
        out, aux = res, None
    flat_out, out_tree = tree_flatten(out)
    flat_out = [x if _dispatch.is_tensor(x) else convert_to_tensor(x) for x in flat_out]
    for o in flat_out:
        if not o.dtype.is_floating:
            raise NotDifferentiableError(f"jvp: the function returned dtype {o.dtype}; only "
                                         "float outputs have tangents")
    m = len(flat_out)

    def value(*xs: Any) -> Any:
        r = fun(*xs)
        return tree_flatten(r[0] if has_aux else r)[0]

    def pullback_dot(*args: Any) -> Any:
        us, xs, ts = args[:m], args[m:m + n], args[m + n:]

        def scalar(*xs2: Any) -> Any:
            total = None
            for o, u in zip(value(*xs2), us):
                term = _sum(multiply(o, u))
                total = term if total is None else total + term
            return total

        gx = grad(scalar, argnums=tuple(range(n)))(*xs)
        total = None
        for g, t in zip(gx, ts):
            g_leaves, _ = tree_flatten(g)
            t_leaves, _ = tree_flatten(t)
            for gl, tl in zip(g_leaves, t_leaves):
                if gl is None:
                    continue
                term = _sum(multiply(gl, tl))
                total = term if total is None else total + term
        return total

    t_out = grad(pullback_dot, argnums=tuple(range(m)))(
        *[zeros_like(o) for o in flat_out], *primals, *tangents)
    tangent_out = tree_unflatten(out_tree, list(t_out))
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)
