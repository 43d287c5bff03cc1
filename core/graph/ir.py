"""The graph IR: nodes are ops, edges are symbolic tensors.

A :class:`Node` records one op application (or an input, a constant, a variable read);
a :class:`SymbolicTensor` is one output of a node, with a static shape (``None`` for a
dimension known only at run time) and dtype. Nodes point at their inputs, so a graph is
simply what is reachable backwards from its outputs, as in Keras's functional API; nodes
get increasing ids when created, and since inputs always exist before their users, sorting
by id is a topological order (no recursion, any depth).

A :class:`Graph` freezes such a DAG: named inputs, outputs, the nodes in order. It prints
one node per line (in the manner of a jaxpr or torch.fx), exports Graphviz DOT, and
round-trips through JSON holding only op names, plain attributes and constant values, so
loading a graph never runs code from the file.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from .. import dtypes as _dt
from ..errors import TracingError
from ..tensor import TensorBase

__all__ = ["Node", "SymbolicTensor", "Graph"]

_ids = itertools.count()


class Node:
    """One step of a graph.

    ``kind`` is ``"op"`` (``op`` is an :class:`~tensorweave.ops.OpDef`), ``"input"`` (a
    placeholder), ``"const"`` (``value`` holds a concrete tensor) or ``"variable"``
    (``value`` holds a :class:`~tensorweave.variables.Variable` read at run time).
    """

    __slots__ = ("id", "kind", "op", "inputs", "attrs", "outputs", "name", "value", "meta")

    def __init__(self, kind: str, op: Any = None, inputs: Sequence[SymbolicTensor] = (),
                 attrs: dict | None = None, name: str | None = None, value: Any = None) -> None:
        self.id = next(_ids)
        self.kind = kind
        self.op = op
        self.inputs = list(inputs)
        self.attrs = attrs or {}
        self.outputs: list[SymbolicTensor] = []
        self.name = name
        self.value = value
        self.meta: dict[str, Any] = {}

    @property
    def op_name(self) -> str:
        return self.op.name if self.op is not None else self.kind

    def __repr__(self) -> str:
        return f"<Node {self.id} {self.op_name}>"


class SymbolicTensor(TensorBase):
    """A tensor inside a graph: shape and dtype known, values not (yet)."""

    __slots__ = ("node", "index", "shape", "dtype", "_keras_history", "_keras_mask",
                 "__weakref__")

    def __init__(self, node: Node, index: int, shape: tuple, dtype: Any) -> None:
        self.node = node
        self.index = index
        self.shape = tuple(shape)
        self.dtype = dtype
        self._keras_history = None

    @property
    def name(self) -> str:
        return self.node.name or f"%{self.node.id}" + (f".{self.index}" if self.index else "")

    def __repr__(self) -> str:
        return f"<SymbolicTensor {self.name} shape={self.shape} dtype={self.dtype}>"

    def _no_value(self, what: str) -> Any:
        raise TracingError(
            f"{what} of a symbolic tensor ({self.name}, shape {self.shape}) is not known while "
            "tracing a graph: Python control flow cannot depend on tensor values. Use "
            "tw.ops.where for data-dependent choices, or pass the value as a static argument.")

    def __bool__(self) -> bool:
        return self._no_value("the truth value")

    def __float__(self) -> float:
        return self._no_value("the float value")

    def __int__(self) -> int:
        return self._no_value("the int value")

    def __index__(self) -> int:
        return self._no_value("the index value")

    def __iter__(self) -> Any:
        if not self.shape or self.shape[0] is None:
            self._no_value("iteration")
        return (self[i] for i in range(self.shape[0]))  # type: ignore[index]

    def __array__(self, *a: Any, **k: Any) -> Any:
        return self._no_value("the array value")

    def numpy(self) -> Any:
        return self._no_value("the array value")


def _spec_str(t: SymbolicTensor) -> str:
    dims = ",".join("?" if d is None else str(d) for d in t.shape)
    return f"{t.dtype}[{dims}]"


def _attr_str(v: Any) -> str:
    if isinstance(v, _dt.DType):
        return v.name
    return repr(v)


class Graph:
    """A frozen DAG with ordered inputs and outputs.

    Build one from symbolic tensors (``Graph(inputs, outputs)``) or by tracing a function
    (:func:`tensorweave.trace`). Call it with concrete arrays to run it on the current
    backend, or ``graph.run(*xs, backend="python")``.
    """

    def __init__(self, inputs: Sequence[SymbolicTensor], outputs: Sequence[Any],
                 name: str = "graph") -> None:
        from ..ops import is_symbolic

        self.name = name
        self.inputs = list(inputs)
        outs = []
        for o in outputs:
            if not is_symbolic(o):
                from .tracing import constant

                o = constant(o)
            outs.append(o)
        self.outputs: list[SymbolicTensor] = outs
        self.nodes: list[Node] = _collect(self.inputs, self.outputs)
        self._plans: dict[Any, Any] = {}
        self.in_tree: Any = None   # structures for tw.trace / jit
        self.out_tree: Any = None

    # ---- structure --------------------------------------------------------------------
    @property
    def op_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "op"]

    def variables(self) -> list[Any]:
        return [n.value for n in self.nodes if n.kind == "variable"]

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return self.to_text()

    def to_text(self) -> str:
        """One line per node, e.g. ``%5: f32[32,10] = matmul(%3, %4)``."""
        names = _names(self)
        lines = []
        ins = ", ".join(f"{names[id(t)]}: {_spec_str(t)}" for t in self.inputs)
        lines.append(f"{self.name}({ins}) {{")
        for n in self.nodes:
            if n.kind == "input":
                continue
            outs = ", ".join(f"{names[id(t)]}: {_spec_str(t)}" for t in n.outputs)
            if n.kind == "const":
                shown = _const_preview(n.value)
                lines.append(f"  {outs} = const {shown}")
            elif n.kind == "variable":
                lines.append(f"  {outs} = variable {n.value.name!r}")
            else:
                args = ", ".join(names[id(t)] for t in n.inputs)
                attrs = "".join(f", {k}={_attr_str(v)}" for k, v in n.attrs.items())
                lines.append(f"  {outs} = {n.op.name}({args}{attrs})")
        outs = ", ".join(names[id(t)] for t in self.outputs)
        lines.append(f"  return {outs}")
        lines.append("}")
        return "\n".join(lines)

    def to_dot(self) -> str:
        """Graphviz DOT text of the graph (one box per op, edges labelled with specs)."""
        names = _names(self)
        out = [f'digraph "{self.name}" {{', "  rankdir=TB;",
               '  node [shape=box, fontname="monospace"];']
        for n in self.nodes:
            label = {"input": f"input {names[id(n.outputs[0])]}",
                     "const": "const", "variable": f"variable {getattr(n.value, 'name', '')}"}
            text = label.get(n.kind) or n.op.name
            shape = "ellipse" if n.kind != "op" else "box"
            out.append(f'  n{n.id} [label="{text}", shape={shape}];')
            for t in n.inputs:
                out.append(f'  n{t.node.id} -> n{n.id} [label="{_spec_str(t)}"];')
        for i, t in enumerate(self.outputs):
            out.append(f'  out{i} [label="output {i}", shape=ellipse];')
            out.append(f'  n{t.node.id} -> out{i} [label="{_spec_str(t)}"];')
        out.append("}")
        return "\n".join(out)

    # ---- running ----------------------------------------------------------------------
    def __call__(self, *inputs: Any) -> Any:
        return self.run(*inputs)

    def run(self, *inputs: Any, backend: Any = None) -> Any:
        """Run on ``backend`` (default: the current one); returns one tensor or a list."""
        from .executor import run_graph

        outs = run_graph(self, inputs, backend)
        return outs[0] if len(outs) == 1 else outs

    # ---- serialization ------------------------------------------------------------------
    def to_json(self) -> str:
        from .serialize import graph_to_json

        return graph_to_json(self)

    @classmethod
    def from_json(cls, text: str) -> Graph:
        from .serialize import graph_from_json

        return graph_from_json(text)


def _const_preview(t: Any) -> str:
    try:
        if t.size is not None and t.size <= 4:
            return repr(t.tolist())
    except Exception:
        pass
    return f"<{t.dtype}{list(t.shape)}>"


def _names(g: Graph) -> dict[int, str]:
    names: dict[int, str] = {}
    for i, t in enumerate(g.inputs):
        names[id(t)] = t.node.name or f"%in{i}"
    k = 0
    for n in g.nodes:
        for t in n.outputs:
            if id(t) not in names:
                names[id(t)] = f"%{k}"
                k += 1
    return names


def _collect(inputs: Iterable[SymbolicTensor], outputs: Iterable[SymbolicTensor]) -> list[Node]:
    """Nodes reachable backwards from ``outputs``, stopping at ``inputs``, in id order."""
    input_nodes = {id(t.node) for t in inputs}
    seen: dict[int, Node] = {}
    stack = [t.node for t in outputs]
    for t in inputs:
        seen[id(t.node)] = t.node
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen[id(n)] = n
        if n.kind == "input" and id(n) not in input_nodes:
            raise TracingError(
                f"the graph's outputs depend on placeholder {n.name or '%' + str(n.id)} "
                "which is not one of its inputs")
        for t in n.inputs:
            if id(t.node) not in seen:
                stack.append(t.node)
    return sorted(seen.values(), key=lambda node: node.id)
