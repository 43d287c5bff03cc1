"""Graph optimisation passes. Each pass is a function ``Graph -> Graph`` in its own module;
:func:`optimize` runs them in a fixed order."""

from __future__ import annotations

from typing import Any

from ..ir import Graph
from .cse import cse

__all__ = ["optimize", "cse"]


def optimize(graph: Graph, backend: Any = None) -> Graph:
    # Graph construction already drops unreachable nodes (dead-code elimination).
    return cse(graph)
