"""Dead-code elimination: keep only the nodes the outputs depend on.

A :class:`~tensorweave.graph.Graph` is built by walking backwards from its outputs, so it
never holds unreachable nodes; this pass makes that explicit (and drops whatever became
unreachable inside a pass that kept a node list). Every op is pure — random numbers come
from explicit keys — so nothing needs keeping for its side effects.
"""

from __future__ import annotations

from ..ir import Graph, _collect
from .rewrite import finish

__all__ = ["dce"]


def dce(graph: Graph) -> Graph:
    """``graph`` without nodes its outputs do not depend on (the same object if none)."""
    live = _collect(graph.inputs, graph.outputs)
    if len(live) == len(graph.nodes):
        return graph
    return finish(graph, graph.outputs)
