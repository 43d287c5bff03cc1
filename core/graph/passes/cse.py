"""Common-subexpression elimination: two nodes with the same op, the same inputs and the
same attributes compute the same value; keep the first.

Constants are merged by identity of their tensor. Ops are pure (random numbers are
computed from explicit keys), so any duplicate can go.
"""

from __future__ import annotations

from ..ir import Graph, SymbolicTensor
from .rewrite import rebuild


def _attr_key(attrs: dict) -> tuple:
    try:
        key = tuple(sorted(attrs.items()))
        hash(key)
        return key
    except TypeError:
        return (id(attrs),)


def cse(graph: Graph) -> Graph:
    seen: dict[tuple, list[SymbolicTensor]] = {}
    replace: dict[int, SymbolicTensor] = {}
    for n in graph.nodes:
        if n.kind != "op":
            continue
        ins = tuple(id(replace.get(id(t), t)) for t in n.inputs)
        key = (n.op.name, ins, _attr_key(n.attrs))
        prev = seen.get(key)
        if prev is None:
            seen[key] = n.outputs
        else:
            for old, new in zip(n.outputs, prev):
                replace[id(old)] = new
    if not replace:
        return graph
    return rebuild(graph, replace)
