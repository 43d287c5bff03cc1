"""Compiling a graph for one backend and running it.

``compile_graph`` specialises a graph to concrete input shapes, lowers it for the backend
(composite ops the backend has no kernel for are replaced by their decompositions), runs
the optimisation passes, and builds a :class:`Plan`: a flat list of steps, each a prepared
kernel with the slots it reads and writes, plus the slots to free after it (values are
dropped at their last use, as torch.fx's Interpreter does). An error inside a step is
re-raised with the node it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..backend_api import Backend
from ..backend_registry import current, get_backend
from ..errors import ShapeError, TensorweaveError
from ..ops._dispatch import TensorSpec, apply, convert_to_tensor, is_symbolic, wrap
from ..tensor import Tensor
from .ir import Graph, Node, SymbolicTensor
from .tracing import constant, lowering, placeholder, tracing_scope

__all__ = ["interpret", "retrace", "lower", "compile_graph", "Plan", "run_graph"]


def interpret(graph: Graph, inputs: Sequence[Any]) -> list[Any]:
    """Evaluate the graph op by op with :func:`tensorweave.ops.apply` (concrete inputs run
    eagerly, symbolic inputs re-record the graph)."""
    env: dict[int, Any] = {}
    for ph, x in zip(graph.inputs, inputs):
        env[id(ph)] = x
    for n in graph.nodes:
        if n.kind == "input":
            if id(n.outputs[0]) not in env:
                raise TensorweaveError(f"graph input {n.name or n.id} was not given")
            continue
        if n.kind == "const":
            env[id(n.outputs[0])] = n.value
            continue
        if n.kind == "variable":
            env[id(n.outputs[0])] = n.value.value
            continue
        args = [env[id(t)] for t in n.inputs]
        res = apply(n.op, args, n.attrs)
        if n.op.multi_output:
            for t, r in zip(n.outputs, res):
                env[id(t)] = r
        else:
            env[id(n.outputs[0])] = res
    return [env[id(t)] for t in graph.outputs]


def retrace(graph: Graph, specs: Sequence[TensorSpec] | None = None,
            expand: Any = None) -> Graph:
    """A copy of ``graph`` re-recorded for new input specs (shape rules run again), with
    composite ops expanded where ``expand(op)`` is true."""
    specs = specs or [TensorSpec(t.shape, t.dtype) for t in graph.inputs]
    with tracing_scope():
        phs = [placeholder(s.shape, s.dtype, name=ph.node.name)
               for s, ph in zip(specs, graph.inputs)]
        if expand is not None:
            with lowering(expand):
                outs = interpret(graph, phs)
        else:
            outs = interpret(graph, phs)
        outs = [o if is_symbolic(o) else constant(o) for o in outs]
        g = Graph(phs, outs, name=graph.name)
    g.in_tree, g.out_tree = graph.in_tree, graph.out_tree
    return g


def lower(graph: Graph, backend: Backend, specs: Sequence[TensorSpec] | None = None) -> Graph:
    """Specialise to ``specs`` and expand every composite the backend has no kernel for."""
    return retrace(graph, specs, expand=lambda op: not backend.has_kernel(op.name))


class Plan:
    """A graph lowered for one backend, as a list of prepared kernel calls."""

    def __init__(self, graph: Graph, backend: Backend) -> None:
        self.graph = graph
        self.backend = backend
        slot: dict[int, int] = {}
        for n in graph.nodes:
            for t in n.outputs:
                slot[id(t)] = len(slot)
        self.n_slots = len(slot)
        self.input_slots = [slot[id(t)] for t in graph.inputs]
        self.output_slots = [slot[id(t)] for t in graph.outputs]
        self.output_specs = [(t.shape, t.dtype) for t in graph.outputs]
        self.const_slots: list[tuple[int, Any]] = []
        self.var_slots: list[tuple[int, Any]] = []
        steps: list[tuple] = []
        step_nodes: list[Node] = []
        for n in graph.nodes:
            if n.kind == "const":
                arr = _to_backend_array(n.value, backend)
                self.const_slots.append((slot[id(n.outputs[0])], arr))
            elif n.kind == "variable":
                self.var_slots.append((slot[id(n.outputs[0])], n.value))
            elif n.kind == "op":
                specs = [TensorSpec(t.shape, t.dtype) for t in n.inputs]
                outs = [TensorSpec(t.shape, t.dtype) for t in n.outputs]
                fn = backend.prepare(n.op.name, n.attrs, specs, outs)
                if fn is None:
                    raise TensorweaveError(f"backend {backend.name!r} has no kernel for "
                                           f"{n.op.name!r} and the graph was not lowered")
                out_slots = tuple(slot[id(t)] for t in n.outputs)
                steps.append((fn, tuple(slot[id(t)] for t in n.inputs),
                              out_slots if n.op.multi_output else out_slots[0]))
                step_nodes.append(n)
        # liveness: free each slot after its last reader (outputs stay)
        last: dict[int, int] = {}
        for i, (_, ins, _o) in enumerate(steps):
            for s in ins:
                last[s] = i
        keep = set(self.output_slots)
        frees: list[list[int]] = [[] for _ in steps]
        for s, i in last.items():
            if s not in keep:
                frees[i].append(s)
        self.steps = [(fn, ins, out, tuple(fr)) for (fn, ins, out), fr in zip(steps, frees)]
        self.step_nodes = step_nodes

    def run(self, arrays: Sequence[Any]) -> list[Any]:
        env: list[Any] = [None] * self.n_slots
        for s, a in zip(self.input_slots, arrays):
            env[s] = a
        for s, a in self.const_slots:
            env[s] = a
        for s, var in self.var_slots:
            env[s] = var._value._data
        i = 0
        try:
            for i, (fn, ins, out, frees) in enumerate(self.steps):  # noqa: B007
                if type(out) is int:
                    env[out] = fn(*[env[k] for k in ins])
                else:
                    for k, r in zip(out, fn(*[env[k] for k in ins])):
                        env[k] = r
                for k in frees:
                    env[k] = None
        except TensorweaveError:
            raise
        except Exception as exc:
            node = self.step_nodes[i]
            raise type(exc)(f"{exc}\n  while executing node {node.op.name} "
                            f"(inputs {[t.shape for t in node.inputs]}) on backend "
                            f"{self.backend.name!r}") from exc
        return [env[s] for s in self.output_slots]


def _to_backend_array(t: Tensor, backend: Backend) -> Any:
    if t._backend is backend:
        return t._data
    from ..ops import to_backend

    return to_backend(t, backend)._data


def compile_graph(graph: Graph, backend: Backend, specs: Sequence[TensorSpec] | None = None,
                  optimize: bool = True) -> Plan:
    """Lower, optimise and plan ``graph`` for ``backend``."""
    g = lower(graph, backend, specs)
    if optimize:
        from .passes import optimize as run_passes

        g = run_passes(g, backend)
    return Plan(g, backend)


def _input_spec(ph: SymbolicTensor, x: Tensor, i: int) -> TensorSpec:
    if len(ph.shape) != len(x.shape) or any(
            d is not None and d != e for d, e in zip(ph.shape, x.shape)):
        raise ShapeError(f"graph input {i} ({ph.name}): expected shape {ph.shape}, got "
                         f"{tuple(x.shape)}")
    return TensorSpec(tuple(x.shape), ph.dtype)


def run_graph(graph: Graph, inputs: Sequence[Any], backend: Any = None) -> list[Tensor]:
    be = current() if backend is None else get_backend(backend)
    if len(inputs) != len(graph.inputs):
        raise TensorweaveError(f"graph {graph.name!r} takes {len(graph.inputs)} inputs, got "
                               f"{len(inputs)}")
    xs = []
    for ph, x in zip(graph.inputs, inputs):
        t = convert_to_tensor(x, backend=be) if not isinstance(x, Tensor) else x
        if t._backend is not be:
            from ..ops import to_backend

            t = to_backend(t, be)
        if t.dtype is not ph.dtype:
            from ..ops import cast

            t = cast(t, ph.dtype)
        xs.append(t)
    specs = [_input_spec(ph, x, i) for i, (ph, x) in enumerate(zip(graph.inputs, xs))]
    key = (be.name, tuple(specs))
    plan = graph._plans.get(key)
    if plan is None:
        plan = compile_graph(graph, be, specs)
        graph._plans[key] = plan
    outs = plan.run([x._data for x in xs])
    return [wrap(o, s, d, be) for o, (s, d) in zip(outs, plan.output_specs)]
