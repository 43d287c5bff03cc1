"""Elementwise fusion grouping.

Adjacent elementwise nodes (``op.elementwise``) form a fusion group when every member but
the last feeds exactly one consumer node, which is in the group: the group is a tree whose
root's value may be used anywhere, while the members' intermediate values are used only
inside it. Groups are maximal and hold at least two nodes.

The pass does not change what is computed: it copies the graph and records each group in
``node.meta["fusion_group"]`` of its members (the same :class:`FusionGroup` object for
all of them). When the plan is built, a backend may implement a group with one kernel
(:meth:`tensorweave.backend_api.Backend.fused_kernel`); when it does not, the members run
one by one as usual.
"""

from __future__ import annotations

from typing import Any

from ..ir import Graph, Node, SymbolicTensor
from .rewrite import clone, uses

__all__ = ["FusionGroup", "fuse_elementwise", "fusion_groups"]


class FusionGroup:
    """A tree of elementwise nodes the backend may run as one kernel.

    ``nodes``: the members in topological order, the root last; ``inputs``: the values the
    group reads from outside (each once, in order of first use); ``output``: the root's
    value, the only one used outside the group.
    """

    __slots__ = ("nodes", "inputs", "output", "_key")

    def __init__(self, nodes: list[Node]) -> None:
        self.nodes = nodes
        members = {id(t) for n in nodes for t in n.outputs}
        inputs: list[SymbolicTensor] = []
        seen: set[int] = set()
        for n in nodes:
            for t in n.inputs:
                if id(t) not in members and id(t) not in seen:
                    seen.add(id(t))
                    inputs.append(t)
        self.inputs = inputs
        self.output = nodes[-1].outputs[0]
        self._key: Any = None

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<FusionGroup {' -> '.join(n.op.name for n in self.nodes)}>"

    def expression(self) -> tuple:
        """The group as data: one ``(op_name, attrs_items, args)`` per member in order,
        where each arg is ``("in", k)`` (``self.inputs[k]``) or ``("node", j)`` (the
        value of member ``j``). The last entry is the root."""
        pos = {id(t): ("in", k) for k, t in enumerate(self.inputs)}
        for j, n in enumerate(self.nodes):
            pos[id(n.outputs[0])] = ("node", j)
        return tuple((n.op.name, tuple(sorted(n.attrs.items())),
                      tuple(pos[id(t)] for t in n.inputs)) for n in self.nodes)

    @property
    def key(self) -> tuple:
        """A hashable key: the expression plus the input and output shapes and dtypes
        (equal keys mean the same kernel, e.g. for memoising compiled kernels)."""
        if self._key is None:
            self._key = (self.expression(),
                         tuple((tuple(t.shape), t.dtype.name) for t in self.inputs),
                         (tuple(self.output.shape), self.output.dtype.name))
        return self._key

    def subgraph(self) -> Graph:
        """The members as a small graph over fresh placeholders (one per input)."""
        from ...ops._dispatch import apply
        from ..tracing import placeholder, tracing_scope

        with tracing_scope():
            phs = [placeholder(t.shape, t.dtype) for t in self.inputs]
            env: dict[int, Any] = {id(t): p for t, p in zip(self.inputs, phs)}
            for n in self.nodes:
                env[id(n.outputs[0])] = apply(n.op, [env[id(t)] for t in n.inputs], n.attrs)
            return Graph(phs, [env[id(self.output)]], name="fusion_group")


def _fusable(n: Node) -> bool:
    return n.kind == "op" and n.op.elementwise and not n.op.multi_output


def fusion_groups(graph: Graph) -> list[list[Node]]:
    """The maximal elementwise trees of ``graph`` (node lists, topological, root last)."""
    users = uses(graph)
    out_ids = {id(t) for t in graph.outputs}
    parent: dict[int, Node] = {}  # member -> the consumer it merges into
    for n in graph.nodes:
        if not _fusable(n):
            continue
        t = n.outputs[0]
        if id(t) in out_ids:
            continue
        readers = users.get(id(t), [])
        if not readers or any(r is not readers[0] for r in readers):
            continue
        if _fusable(readers[0]):
            parent[id(n)] = readers[0]

    def root_of(n: Node) -> Node:
        while id(n) in parent:
            n = parent[id(n)]
        return n

    groups: dict[int, list[Node]] = {}
    for n in graph.nodes:
        if id(n) in parent:
            groups.setdefault(id(root_of(n)), []).append(n)
    result = []
    for n in graph.nodes:
        members = groups.get(id(n))
        if members:
            result.append(members + [n])
    return result


def fuse_elementwise(graph: Graph) -> Graph:
    """A copy of ``graph`` whose fusion-group members carry ``meta["fusion_group"]``
    (``graph`` itself when there is no group)."""
    found = fusion_groups(graph)
    if not found:
        return graph
    g, copies = clone(graph)
    for m in copies.values():
        m.meta.pop("fusion_group", None)
    for members in found:
        group = FusionGroup([copies[id(n)] for n in members])
        for m in group.nodes:
            m.meta["fusion_group"] = group
    return g
