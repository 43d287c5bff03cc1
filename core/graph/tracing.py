"""Building graphs: placeholders, constants, tracing Python functions.

When any input of an op is a :class:`SymbolicTensor`, the dispatcher hands the call to
:func:`symbolic_apply`, which runs the op's shape rule (so shape errors surface while
building, naming the op) and records a :class:`Node`. Concrete tensors met on the way
become constant nodes; variables read while a trace is active become variable nodes whose
value is fed at run time.

:func:`trace` turns a Python function over nested lists / tuples / dicts of arrays into a
:class:`Graph`; non-tensor leaves (Python numbers, strings, None) are static and baked in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from .. import dtypes as _dt
from ..ops import _dispatch
from ..ops._dispatch import OpDef, convert_to_tensor, infer, is_symbolic
from ..tensor import Tensor, TensorBase
from .ir import Graph, Node, SymbolicTensor

__all__ = ["placeholder", "constant", "trace", "symbolic_apply", "tree_flatten",
           "tree_unflatten", "lowering", "tracing_scope"]


# ---- lowering: expand composites while recording --------------------------------------------
_expand: ContextVar[Callable[[OpDef], bool] | None] = ContextVar("tw_expand", default=None)


@contextlib.contextmanager
def lowering(should_expand: Callable[[OpDef], bool]) -> Iterator[None]:
    """Inside the block, composite ops for which ``should_expand(op)`` is true are recorded
    as their decomposition instead of as one node."""
    token = _expand.set(should_expand)
    try:
        yield
    finally:
        _expand.reset(token)


def symbolic_apply(op: OpDef, inputs: tuple, attrs: dict) -> Any:
    expand = _expand.get()
    if expand is not None and op.decompose is not None and expand(op):
        return op.decompose(*inputs, **attrs)
    args = [t if is_symbolic(t) else constant(t) for t in inputs]
    out = infer(op, [_dispatch.TensorSpec(t.shape, t.dtype) for t in args], attrs)
    node = Node("op", op, args, dict(attrs))
    specs = out if op.multi_output else [out]
    node.outputs = [SymbolicTensor(node, i, s.shape, s.dtype) for i, s in enumerate(specs)]
    return tuple(node.outputs) if op.multi_output else node.outputs[0]


_dispatch.symbolic_hook.types = (SymbolicTensor,)
_dispatch.symbolic_hook.apply = symbolic_apply


def placeholder(shape: Any, dtype: Any = "float32", name: str | None = None) -> SymbolicTensor:
    """A graph input of the given shape (``None`` for a dimension bound at run time)."""
    from ..shapes import check_shape

    node = Node("input", name=name)
    st = SymbolicTensor(node, 0, check_shape("placeholder", shape), _dt.canonicalize(dtype))
    node.outputs = [st]
    return st


def constant(value: Any) -> SymbolicTensor:
    """A constant node holding concrete data."""
    t = value if isinstance(value, Tensor) else convert_to_tensor(value)
    memo = _const_memo.get()
    if memo is not None and id(t) in memo:
        return memo[id(t)][1]
    node = Node("const", value=t)
    st = SymbolicTensor(node, 0, t.shape, t.dtype)
    node.outputs = [st]
    if memo is not None:
        memo[id(t)] = (t, st)  # keep t alive so its id stays unique during the trace
    return st


# ---- variables read while tracing -----------------------------------------------------------
_var_nodes: ContextVar[dict | None] = ContextVar("tw_var_nodes", default=None)
_const_memo: ContextVar[dict | None] = ContextVar("tw_const_memo", default=None)


def _variable_node(var: Any) -> SymbolicTensor:
    memo = _var_nodes.get()
    assert memo is not None
    found = memo.get(id(var))
    if found is None:
        node = Node("variable", value=var, name=var.name)
        val = var._value
        found = SymbolicTensor(node, 0, val.shape, val.dtype)
        node.outputs = [found]
        memo[id(var)] = found
    return found


@contextlib.contextmanager
def tracing_scope() -> Iterator[None]:
    """Variables read inside become variable nodes; constants are shared per trace."""
    from .. import variables

    if _var_nodes.get() is not None:
        yield
        return
    t1 = _var_nodes.set({})
    t2 = _const_memo.set({})
    t3 = variables._trace_hook.set(_variable_node)
    try:
        yield
    finally:
        variables._trace_hook.reset(t3)
        _const_memo.reset(t2)
        _var_nodes.reset(t1)


# ---- pytrees ------------------------------------------------------------------------------
class _Leaf:
    __slots__ = ()

    def __repr__(self) -> str:
        return "*"


LEAF = _Leaf()


def _is_array_leaf(x: Any) -> bool:
    return isinstance(x, TensorBase) or (type(x).__module__ == "numpy" and hasattr(x, "dtype")) or \
        hasattr(x, "__array_interface__") or hasattr(x, "__cuda_array_interface__")


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """Array leaves in order and a hashable structure (static leaves kept inside it)."""
    leaves: list = []
    return leaves, _walk(tree, leaves)


# Module-level recursion (not closures over themselves): a self-referencing closure is a
# reference cycle that would keep every traced call's arrays alive until the cycle
# collector runs.
def _walk(x: Any, leaves: list) -> Any:
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return (type(x).__name__, tuple(_walk(v, leaves) for v in x))
    if isinstance(x, tuple):  # namedtuple
        return ("namedtuple", type(x), tuple(_walk(v, leaves) for v in x))
    if isinstance(x, dict):
        keys = sorted(x, key=repr)
        return ("dict", tuple(keys), tuple(_walk(x[k], leaves) for k in keys))
    if _is_array_leaf(x):
        leaves.append(x)
        return LEAF
    try:
        hash(x)
    except TypeError:
        raise TypeError(f"cannot trace through a {type(x).__name__}; use arrays, "
                        "numbers, or lists/tuples/dicts of them") from None
    return ("static", x)


def tree_unflatten(structure: Any, leaves: list) -> Any:
    return _build(structure, iter(leaves))


def _build(s: Any, it: Any) -> Any:
    if s is LEAF:
        return next(it)
    tag = s[0]
    if tag == "list":
        return [_build(v, it) for v in s[1]]
    if tag == "tuple":
        return tuple(_build(v, it) for v in s[1])
    if tag == "namedtuple":
        return s[1](*[_build(v, it) for v in s[2]])
    if tag == "dict":
        return {k: _build(v, it) for k, v in zip(s[1], s[2])}
    return s[1]


def leaf_spec(x: Any) -> tuple:
    """(shape, dtype) of an array leaf without converting it."""
    if isinstance(x, Tensor) or is_symbolic(x):
        return tuple(x.shape), x.dtype
    if hasattr(x, "_tw_tensor"):
        v = x._tw_tensor()
        return tuple(v.shape), v.dtype
    return tuple(int(d) for d in x.shape), _dt.canonicalize(x.dtype.name)


# ---- trace --------------------------------------------------------------------------------
def trace(fn: Callable[..., Any], *example_args: Any, name: str | None = None) -> Graph:
    """Trace ``fn`` on the shapes and dtypes of ``example_args`` into a :class:`Graph`.

    Array leaves become graph inputs (in flattening order); Python scalars and other
    hashable leaves are static. ``graph.in_tree`` / ``graph.out_tree`` keep the nesting.
    """
    leaves, in_tree = tree_flatten(list(example_args))
    with tracing_scope():
        phs = [placeholder(*leaf_spec(x)) for x in leaves]
        args = tree_unflatten(in_tree, phs)
        result = fn(*args)
        out_leaves, out_tree = tree_flatten(result)
        outs = [o if is_symbolic(o) else constant(o) for o in out_leaves]
        g = Graph(phs, outs, name=name or getattr(fn, "__name__", "graph"))
    g.in_tree, g.out_tree = in_tree, out_tree
    return g
