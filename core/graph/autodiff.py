"""Reverse-mode autodiff over recorded nodes.

:func:`backward` walks the nodes between some symbolic inputs and an output in reverse
order (a loop, never recursion over the graph, so depth is unlimited), calls each op's VJP
rule and sums the cotangents of values used more than once. VJP rules are written with
``tensorweave.ops``, so the backward pass is itself recorded as graph nodes: it runs on any
backend, and differentiating it again gives higher derivatives. A composite op without its
own rule is expanded into its decomposition on the spot and differentiated through that.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import NotDifferentiableError, ShapeError
from ..ops import _dispatch
from .ir import Node, SymbolicTensor

__all__ = ["backward", "nodes_between", "Cotangents"]


class Cotangents(dict):
    """Cotangents keyed by ``id`` of symbolic tensors, keeping those tensors alive.

    Ids are only unique among live objects: a temporary tensor made while expanding a
    composite could be freed and its id reused by a new tensor, which would then receive
    a stale gradient. Holding every keyed tensor for the duration of the pass prevents it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.keep: list = []


def nodes_between(inputs: Sequence[SymbolicTensor],
                  outputs: Sequence[SymbolicTensor]) -> list[Node]:
    """Op nodes on some path from ``inputs`` to ``outputs``, in topological order."""
    input_ids = {id(t) for t in inputs}
    seen: dict[int, Node] = {}
    stack = [t.node for t in outputs]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        stack.extend(t.node for t in n.inputs if id(t.node) not in seen)
    ordered = sorted(seen.values(), key=lambda n: n.id)
    # keep only nodes that depend on an input
    depends: set[int] = set(input_ids)
    out = []
    for n in ordered:
        if n.kind == "op" and any(id(t) in depends for t in n.inputs):
            out.append(n)
            depends.update(id(t) for t in n.outputs)
    return out


def _accumulate(cots: dict[int, Any], t: SymbolicTensor, g: Any) -> None:
    from ..ops import add

    prev = cots.get(id(t))
    cots[id(t)] = g if prev is None else add(prev, g)
    keep = getattr(cots, "keep", None)
    if keep is not None:
        keep.append(t)


def _fit(g: Any, x: SymbolicTensor, node: Node) -> Any:
    """Check a rule's cotangent against its primal (shape) and match its dtype."""
    from ..ops import cast

    if tuple(g.shape) != tuple(x.shape):
        raise ShapeError(f"gradient rule of {node.op.name}: cotangent shape {tuple(g.shape)} "
                         f"does not match input shape {tuple(x.shape)}")
    if g.dtype is not x.dtype:
        g = cast(g, x.dtype)
    return g


def backward(nodes: Sequence[Node], cots: dict[int, Any]) -> dict[int, Any]:
    """Propagate cotangents (keyed by ``id`` of symbolic tensors) back through ``nodes``."""
    for node in reversed(nodes):
        gs = [cots.get(id(t)) for t in node.outputs]
        if all(g is None for g in gs):
            continue
        op = node.op
        if not op.differentiable:
            continue
        if op.vjp is None:
            _backward_composite(node, gs, cots)
            continue
        if op.multi_output:
            from ..ops import zeros_like

            gs = [g if g is not None else zeros_like(t) for g, t in zip(gs, node.outputs)]
            g_arg: Any = tuple(gs)
            out_arg: Any = tuple(node.outputs)
        else:
            g_arg, out_arg = gs[0], node.outputs[0]
        in_cots = op.vjp(g_arg, out_arg, *node.inputs, **node.attrs)
        if len(in_cots) != len(node.inputs):
            raise NotDifferentiableError(f"gradient rule of {op.name} returned "
                                         f"{len(in_cots)} cotangents for {len(node.inputs)} inputs")
        for x, g in zip(node.inputs, in_cots):
            if g is None or not x.dtype.is_floating:
                continue
            _accumulate(cots, x, _fit(g, x, node))
    return cots


def _backward_composite(node: Node, gs: list, cots: dict[int, Any]) -> None:
    """Differentiate a composite through its decomposition, recorded next to it."""
    from .tracing import lowering

    with lowering(lambda op: op.vjp is None):
        outs = node.op.decompose(*node.inputs, **node.attrs)
    outs = list(outs) if node.op.multi_output else [outs]
    keep = getattr(cots, "keep", None)
    if keep is not None:
        keep.append(outs)
    inner = nodes_between(node.inputs, outs)
    if keep is not None:
        keep.append(inner)
    for o, g in zip(outs, gs):
        if g is not None:
            if not _dispatch.is_symbolic(o):
                continue
            _accumulate(cots, o, g)
    backward(inner, cots)
