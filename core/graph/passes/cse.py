"""Common-subexpression elimination: two nodes with the same op, the same inputs and the
same attributes compute the same value; keep the first.

Small constants (up to :data:`CONST_LIMIT` elements) are merged by value (dtype, shape and
exact bit-level values: ``0.0`` and ``-0.0`` stay apart, NaNs are never merged); larger ones
by identity of their tensor. Ops are pure (random numbers are computed from explicit keys),
so any duplicate can go.
"""

from __future__ import annotations

import math
from typing import Any

from ..ir import Graph, SymbolicTensor
from .rewrite import rebuild

__all__ = ["cse", "CONST_LIMIT"]

#: Constants with at most this many elements are merged by value.
CONST_LIMIT = 64


def _attr_key(attrs: dict) -> tuple:
    try:
        key = tuple(sorted(attrs.items()))
        hash(key)
        return key
    except TypeError:
        return (id(attrs),)


def _value_key(v: Any) -> Any:
    if isinstance(v, float):
        if math.isnan(v):
            return None
        return ("f", v.hex())
    return (type(v).__name__, v)


def const_key(t: SymbolicTensor) -> Any:
    """A hashable key of a small constant's exact value, or ``None``."""
    value = t.node.value
    n = 1
    for d in t.shape:
        n *= d
    if n > CONST_LIMIT:
        return None
    try:
        values = value._backend.to_list(value._data, value._dtype)
    except Exception:
        return None
    keys = tuple(_value_key(v) for v in values)
    if any(k is None for k in keys):
        return None
    return ("const", t.dtype, tuple(t.shape), value._backend.name, keys)


def cse(graph: Graph) -> Graph:
    seen: dict[Any, list[SymbolicTensor]] = {}
    replace: dict[int, SymbolicTensor] = {}
    for n in graph.nodes:
        if n.kind == "const":
            key = const_key(n.outputs[0])
            if key is None:
                continue
            prev = seen.get(key)
            if prev is None:
                seen[key] = n.outputs
            else:
                replace[id(n.outputs[0])] = prev[0]
            continue
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
