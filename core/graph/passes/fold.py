"""Constant folding: an op whose inputs are all constants is computed once, at compile
time, and becomes a constant node.

The value is computed with the target backend's own kernel (so it is bit-identical to what
the plan would compute at run time), or eagerly with :func:`tensorweave.ops.apply` when no
backend is given. ``full_like`` depends only on its input's shape, so it folds whatever its
input is. Results with more than :data:`FOLD_LIMIT` elements are left to run time (a folded
constant is held by the plan for its whole life), and so is any op whose evaluation raises
(the error then surfaces when the plan runs, naming the node).
"""

from __future__ import annotations

import math
from typing import Any

from ...ops._dispatch import TensorSpec, apply, wrap
from ..ir import Graph, Node, SymbolicTensor
from .rewrite import make_const, rewrite

__all__ = ["fold_constants", "FOLD_LIMIT"]

#: Largest folded result, in elements.
FOLD_LIMIT = 1 << 16

# Ops whose value depends only on their inputs' shapes and dtypes.
_SHAPE_ONLY = frozenset({"full_like"})


def _size(shape: tuple) -> int | None:
    if any(d is None for d in shape):
        return None
    return math.prod(shape)


def _evaluate(n: Node, ins: list[SymbolicTensor], backend: Any) -> list[Any] | None:
    op = n.op
    if op.name in _SHAPE_ONLY:
        # full_like(x, value, dtype) == full(shape, value, dtype)
        from ...ops._dispatch import get_op

        out = n.outputs[0]
        op = get_op("full")
        attrs = {"shape": tuple(out.shape), "value": n.attrs["value"], "dtype": out.dtype}
        values: list[Any] = []
        specs: list[TensorSpec] = []
    else:
        attrs = n.attrs
        values = [t.node.value for t in ins]
        specs = [TensorSpec(t.shape, t.dtype) for t in ins]
    out_specs = [TensorSpec(t.shape, t.dtype) for t in n.outputs]
    try:
        if backend is None:
            res = apply(op, values, attrs)
            return list(res) if op.multi_output else [res]
        from ..executor import _to_backend_array

        arrays = [_to_backend_array(v, backend) for v in values]
        fn = backend.prepare(op.name, attrs, specs, out_specs)
        if fn is None:
            return None
        res = fn(*arrays)
        results = list(res) if op.multi_output else [res]
        return [wrap(r, s.shape, s.dtype, backend) for r, s in zip(results, out_specs)]
    except Exception:
        return None


def fold_constants(graph: Graph, backend: Any = None, limit: int | None = None) -> Graph:
    """``graph`` with every all-constant op (up to ``limit`` elements) replaced by a const."""
    limit = FOLD_LIMIT if limit is None else limit

    def fold(n: Node, ins: list[SymbolicTensor]) -> list[SymbolicTensor] | None:
        if n.op.name not in _SHAPE_ONLY and not all(t.node.kind == "const" for t in ins):
            return None
        for t in n.outputs:
            size = _size(t.shape)
            if size is None or size > limit:
                return None
        values = _evaluate(n, ins, backend)
        if values is None:
            return None
        return [make_const(v, t) for v, t in zip(values, n.outputs)]

    return rewrite(graph, fold)
