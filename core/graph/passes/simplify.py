"""Algebraic simplification: rewrite patterns that leave values unchanged.

* ``x * 1``, ``1 * x``, ``x + 0``, ``0 + x``, ``x - 0``, ``x / 1``, ``x ** 1`` -> ``x``
  (only where the result has ``x``'s shape and dtype, i.e. the constant does not
  broadcast ``x`` up or promote it; ``x + 0.0`` turns ``-0.0`` into ``+0.0`` in IEEE
  arithmetic, so like XLA we accept that one sign-of-zero difference);
* ``x ** 2`` -> ``square(x)`` (``multiply(x, x)`` on a backend without a ``square`` kernel);
* ``transpose(transpose(x, a), b)`` -> ``transpose(x, a∘b)``, or ``x`` when that is the
  identity; ``transpose(x, identity)`` -> ``x``;
* ``reshape(reshape(x, s1), s2)`` -> ``reshape(x, s2)``; ``reshape`` to ``x``'s own shape
  -> ``x``;
* ``cast`` to ``x``'s own dtype, ``broadcast_to`` ``x``'s own shape -> ``x``;
* ``neg(neg(x))`` -> ``x``.

Constants are recognised when every element has one value (scalars and small splats).
"""

from __future__ import annotations

from typing import Any

from ...ops._dispatch import get_op
from ..ir import Graph, Node, SymbolicTensor
from .rewrite import make_node, rewrite

__all__ = ["simplify"]

_SPLAT_LIMIT = 4096


def _splat(t: SymbolicTensor) -> Any:
    """The single value of a constant whose elements are all equal, else ``None``."""
    if t.node.kind != "const":
        return None
    n = 1
    for d in t.shape:
        n *= d
    if n == 0 or n > _SPLAT_LIMIT:
        return None
    value = t.node.value
    try:
        values = value._backend.to_list(value._data, value._dtype)
    except Exception:
        return None
    first = values[0]
    if isinstance(first, float) and first != first:
        return None
    for v in values:
        if v != first:
            return None
    return first


def _is(t: SymbolicTensor, value: int) -> bool:
    """True when ``t`` is a constant whose every element equals ``value`` (0 or 1 for
    booleans: ``x * True``, ``x + False``)."""
    v = _splat(t)
    if v is None:
        return False
    if isinstance(v, bool):
        return value in (0, 1) and v == bool(value)
    return v == value


def _same(x: SymbolicTensor, out: SymbolicTensor) -> bool:
    return tuple(x.shape) == tuple(out.shape) and x.dtype is out.dtype and \
        all(d is not None for d in x.shape)


def simplify(graph: Graph, backend: Any = None) -> Graph:
    """``graph`` with the patterns above rewritten (the same object if none matched)."""
    has_square = backend is None or backend.has_kernel("square")

    def rule(n: Node, ins: list[SymbolicTensor]) -> list[SymbolicTensor] | None:
        name = n.op.name
        out = n.outputs[0]
        if name == "multiply":
            x, y = ins
            if _is(y, 1) and _same(x, out):
                return [x]
            if _is(x, 1) and _same(y, out):
                return [y]
        elif name == "add":
            x, y = ins
            if _is(y, 0) and _same(x, out):
                return [x]
            if _is(x, 0) and _same(y, out):
                return [y]
        elif name == "subtract":
            x, y = ins
            if _is(y, 0) and _same(x, out):
                return [x]
        elif name == "divide":
            x, y = ins
            if _is(y, 1) and _same(x, out):
                return [x]
        elif name == "power":
            x, y = ins
            if _same(x, out):
                if _is(y, 1):
                    return [x]
                if _is(y, 2):
                    if has_square:
                        return [make_node(get_op("square"), [x], {}, n).outputs[0]]
                    return [make_node(get_op("multiply"), [x, x], {}, n).outputs[0]]
        elif name == "transpose":
            x = ins[0]
            axes = tuple(n.attrs["axes"])
            if axes == tuple(range(len(axes))):
                return [x]
            inner = x.node
            if inner.kind == "op" and inner.op.name == "transpose":
                a = tuple(inner.attrs["axes"])
                composed = tuple(a[b] for b in axes)
                src = inner.inputs[0]
                if composed == tuple(range(len(composed))):
                    return [src]
                return [make_node(n.op, [src], {"axes": composed}, n).outputs[0]]
        elif name == "reshape":
            x = ins[0]
            if any(d is None for d in out.shape):
                return None
            if tuple(x.shape) == tuple(out.shape):
                return [x]
            inner = x.node
            if inner.kind == "op" and inner.op.name == "reshape":
                src = inner.inputs[0]
                if tuple(src.shape) == tuple(out.shape):
                    return [src]
                return [make_node(n.op, [src], {"shape": tuple(out.shape)}, n).outputs[0]]
        elif name == "cast":
            x = ins[0]
            if x.dtype is out.dtype:
                return [x]
        elif name == "broadcast_to":
            x = ins[0]
            if _same(x, out):
                return [x]
        elif name == "neg":
            x = ins[0]
            if x.node.kind == "op" and x.node.op.name == "neg":
                return [x.node.inputs[0]]
        return None

    return rewrite(graph, rule)
