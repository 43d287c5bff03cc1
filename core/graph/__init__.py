"""``tw.graph``: the dataflow-graph half of tensorweave (IR, tracing, autodiff, jit)."""

from __future__ import annotations

from .executor import Plan, compile_graph, interpret, lower, retrace, run_graph
from .ir import Graph, Node, SymbolicTensor
from .tracing import constant, placeholder, trace, tree_flatten, tree_unflatten
from .transforms import Jitted, grad, jit, value_and_grad, vjp

__all__ = ["Graph", "Node", "SymbolicTensor", "Plan", "placeholder", "constant", "trace",
           "grad", "value_and_grad", "vjp", "jit", "Jitted", "compile_graph", "interpret",
           "lower", "retrace", "run_graph", "tree_flatten", "tree_unflatten"]
