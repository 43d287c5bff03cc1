"""Graph optimisation passes. Each pass is a function ``Graph -> Graph`` in its own module
(returning the same object when it changes nothing); :func:`optimize` runs them in a fixed
order:

1. :func:`dce` — dead-code elimination (explicit; graphs never hold unreachable nodes);
2. :func:`fold_constants`, :func:`simplify`, :func:`cse` — repeated (at most
   :data:`MAX_ROUNDS` times) until none of them changes the graph, since each can expose
   work for the others (a folded constant makes ``x * 1`` visible, a simplification makes
   two nodes identical ...);
3. :func:`dce` again;
4. :func:`fuse_elementwise` — marks elementwise fusion groups, only when the backend
   implements :meth:`~tensorweave.backend_api.Backend.fused_kernel` (or no backend is
   given).

Memory planning (buffer reuse by liveness, in-place updates, donation) is not a graph
rewrite: :func:`tensorweave.graph.passes.memory.plan_memory` runs when the
:class:`~tensorweave.graph.executor.Plan` is built from the optimised graph, once the
backend's kernels (and which of them can write into a given buffer) are known.
"""

from __future__ import annotations

from typing import Any

from ...backend_api import Backend
from ..ir import Graph
from .cse import cse
from .dce import dce
from .fold import fold_constants
from .fuse import FusionGroup, fuse_elementwise, fusion_groups
from .simplify import simplify

__all__ = ["optimize", "dce", "fold_constants", "simplify", "cse", "fuse_elementwise",
           "fusion_groups", "FusionGroup", "MAX_ROUNDS"]

#: Rounds of (fold, simplify, cse) at most.
MAX_ROUNDS = 4


def wants_fusion(backend: Any) -> bool:
    """True when ``backend`` overrides :meth:`Backend.fused_kernel` (or is ``None``)."""
    if backend is None:
        return True
    impl = getattr(type(backend), "fused_kernel", None)
    return impl is not None and impl is not Backend.fused_kernel


def optimize(graph: Graph, backend: Any = None) -> Graph:
    g = dce(graph)
    for _ in range(MAX_ROUNDS):
        before = g
        g = fold_constants(g, backend)
        g = simplify(g, backend)
        g = cse(g)
        if g is before:
            break
    g = dce(g)
    if wants_fusion(backend):
        g = fuse_elementwise(g)
    return g
