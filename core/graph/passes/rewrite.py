"""Rebuilding a graph with some values replaced by others (shared by the passes)."""

from __future__ import annotations

from ..ir import Graph, Node, SymbolicTensor


def rebuild(graph: Graph, replace: dict[int, SymbolicTensor]) -> Graph:
    """A new graph where every use of a replaced value reads its replacement.

    Nodes are copied (graphs are immutable once built); unreachable ones disappear.
    """
    new_of: dict[int, SymbolicTensor] = {}

    def resolve(t: SymbolicTensor) -> SymbolicTensor:
        seen = 0
        while id(t) in replace and seen < 1000:
            t = replace[id(t)]
            seen += 1
        return new_of.get(id(t), t)

    for n in graph.nodes:
        if n.kind != "op":
            continue
        ins = [resolve(t) for t in n.inputs]
        if all(a is b for a, b in zip(ins, n.inputs)):
            continue
        m = Node("op", n.op, ins, n.attrs, n.name)
        m.meta = dict(n.meta)
        m.outputs = [SymbolicTensor(m, i, t.shape, t.dtype) for i, t in enumerate(n.outputs)]
        m.id = n.id  # keep the topological position
        for old, new in zip(n.outputs, m.outputs):
            new_of[id(old)] = new
    outs = [resolve(t) for t in graph.outputs]
    g = Graph(graph.inputs, outs, name=graph.name)
    g.in_tree, g.out_tree = graph.in_tree, graph.out_tree
    return g
