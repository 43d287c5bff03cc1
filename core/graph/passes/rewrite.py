"""Rebuilding a graph with some values replaced by others (shared by the passes).

Graphs are immutable once built: a pass returns a new :class:`Graph` (or the same object
when it changed nothing), copying the nodes whose inputs changed. New and copied nodes
keep the id of the node they stand for, so sorting by id stays a topological order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..ir import Graph, Node, SymbolicTensor

__all__ = ["rebuild", "rewrite", "make_node", "make_const", "copy_node", "clone",
           "finish", "uses"]


def finish(graph: Graph, outputs: Sequence[SymbolicTensor]) -> Graph:
    """A new graph with ``graph``'s inputs, name and trees and the given outputs."""
    g = Graph(graph.inputs, list(outputs), name=graph.name)
    g.in_tree, g.out_tree = graph.in_tree, graph.out_tree
    return g


def copy_node(n: Node, inputs: Sequence[SymbolicTensor]) -> Node:
    """A copy of op node ``n`` reading ``inputs`` (same id, attrs, meta and output specs)."""
    m = Node("op", n.op, inputs, n.attrs, n.name)
    m.meta = dict(n.meta)
    m.outputs = [SymbolicTensor(m, i, t.shape, t.dtype) for i, t in enumerate(n.outputs)]
    m.id = n.id  # keep the topological position
    return m


def make_node(op: Any, inputs: Sequence[SymbolicTensor], attrs: dict, like: Node) -> Node:
    """A new node applying ``op`` with the output specs and id of ``like``."""
    m = Node("op", op, inputs, dict(attrs))
    m.outputs = [SymbolicTensor(m, i, t.shape, t.dtype) for i, t in enumerate(like.outputs)]
    m.id = like.id
    return m


def make_const(value: Any, like: SymbolicTensor) -> SymbolicTensor:
    """A const node holding ``value`` (a concrete Tensor) in place of ``like``'s node."""
    node = Node("const", value=value)
    st = SymbolicTensor(node, 0, like.shape, like.dtype)
    node.outputs = [st]
    node.id = like.node.id
    return st


def rewrite(graph: Graph,
            fn: Callable[[Node, list[SymbolicTensor]], Sequence[SymbolicTensor] | None]) -> Graph:
    """Walk the op nodes in order; ``fn(node, inputs)`` sees the node's inputs as already
    rewritten and returns ``None`` (keep the node, copied if its inputs changed) or the
    tensors that replace its outputs (built from ``inputs``, e.g. with :func:`make_node`).
    Returns ``graph`` itself when nothing changed."""
    env: dict[int, SymbolicTensor] = {}
    changed = False
    for n in graph.nodes:
        if n.kind != "op":
            continue
        ins = [env.get(id(t), t) for t in n.inputs]
        res = fn(n, ins)
        if res is not None:
            for old, new in zip(n.outputs, res):
                if new is not old:
                    env[id(old)] = new
                    changed = True
            continue
        if any(a is not b for a, b in zip(ins, n.inputs)):
            m = copy_node(n, ins)
            for old, new in zip(n.outputs, m.outputs):
                env[id(old)] = new
            changed = True
    if not changed:
        return graph
    return finish(graph, [env.get(id(t), t) for t in graph.outputs])


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
        m = copy_node(n, ins)
        for old, new in zip(n.outputs, m.outputs):
            new_of[id(old)] = new
    return finish(graph, [resolve(t) for t in graph.outputs])


def clone(graph: Graph) -> tuple[Graph, dict[int, Node]]:
    """A copy of ``graph`` with fresh op nodes (so a pass may annotate ``node.meta``
    without touching nodes shared with other graphs), and the map old node id -> copy."""
    env: dict[int, SymbolicTensor] = {}
    copies: dict[int, Node] = {}
    for n in graph.nodes:
        if n.kind != "op":
            continue
        m = copy_node(n, [env.get(id(t), t) for t in n.inputs])
        copies[id(n)] = m
        for old, new in zip(n.outputs, m.outputs):
            env[id(old)] = new
    return finish(graph, [env.get(id(t), t) for t in graph.outputs]), copies


def uses(graph: Graph) -> dict[int, list[Node]]:
    """For each value (``id`` of a symbolic tensor), the op nodes reading it (a node reading
    a value twice is listed twice)."""
    out: dict[int, list[Node]] = {}
    for n in graph.nodes:
        if n.kind == "op":
            for t in n.inputs:
                out.setdefault(id(t), []).append(n)
    return out
