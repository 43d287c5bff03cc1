"""Compiling a graph for one backend and running it.

``compile_graph`` specialises a graph to concrete input shapes, lowers it for the backend
(composite ops the backend has no kernel for are replaced by their decompositions), runs
the optimisation passes (:mod:`tensorweave.graph.passes`), and builds a :class:`Plan`: a
static schedule of steps, each a prepared kernel with the slots it reads and writes, plus
the slots to free after it (values are dropped at their last use, as torch.fx's
Interpreter does). Where the backend has out-kernels, results are written into buffers
preallocated once and reused by liveness (:mod:`tensorweave.graph.passes.memory`), so a
steady-state run allocates almost nothing. The schedule is turned into one generated
Python function (as torch.fx's code generation does), so running a plan costs one Python
call per kernel. An error inside a step is re-raised with the node it came from.
"""

from __future__ import annotations

import functools
import platform
import sys
import threading
from collections.abc import Sequence
from typing import Any

from ..backend_api import Backend
from ..backend_registry import current, get_backend
from ..errors import BackendMismatchError, ShapeError, TensorweaveError
from ..ops._dispatch import TensorSpec, apply, convert_to_tensor, is_symbolic, wrap
from ..tensor import Tensor
from .ir import Graph, Node, SymbolicTensor
from .tracing import constant, lowering, placeholder, tracing_scope

__all__ = ["interpret", "retrace", "lower", "compile_graph", "Plan", "run_graph"]


def interpret(graph: Graph, inputs: Sequence[Any], *, symbolic_consts: bool = False) -> list[Any]:
    """Evaluate the graph op by op with :func:`tensorweave.ops.apply` (concrete inputs run
    eagerly, symbolic inputs re-record the graph). With ``symbolic_consts`` (inside a
    tracing scope), constants enter as constant nodes, so ops on constants only are
    re-recorded too instead of being evaluated on the constants' backend."""
    env: dict[int, Any] = {}
    for ph, x in zip(graph.inputs, inputs):
        env[id(ph)] = x
    for n in graph.nodes:
        if n.kind == "input":
            if id(n.outputs[0]) not in env:
                raise TensorweaveError(f"graph input {n.name or n.id} was not given")
            continue
        if n.kind == "const":
            env[id(n.outputs[0])] = constant(n.value) if symbolic_consts else n.value
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
    composite ops expanded where ``expand(op)`` is true. Ops on constants are re-recorded
    as well (constant folding is a pass, run with the target backend's kernels)."""
    specs = specs or [TensorSpec(t.shape, t.dtype) for t in graph.inputs]
    with tracing_scope():
        phs = [placeholder(s.shape, s.dtype, name=ph.node.name)
               for s, ph in zip(specs, graph.inputs)]
        if expand is not None:
            with lowering(expand):
                outs = interpret(graph, phs, symbolic_consts=True)
        else:
            outs = interpret(graph, phs, symbolic_consts=True)
        outs = [o if is_symbolic(o) else constant(o) for o in outs]
        g = Graph(phs, outs, name=graph.name)
    g.in_tree, g.out_tree = graph.in_tree, graph.out_tree
    return g


def lower(graph: Graph, backend: Backend, specs: Sequence[TensorSpec] | None = None) -> Graph:
    """Specialise to ``specs`` and expand every composite the backend has no kernel for."""
    return retrace(graph, specs, expand=lambda op: not backend.has_kernel(op.name))


class _Step:
    """One step of a plan while it is being built."""

    __slots__ = ("node", "fn", "out_fn", "ins", "outs", "multi", "fused")

    def __init__(self, node: Node, fn: Any, out_fn: Any, ins: tuple, outs: tuple,
                 multi: bool, fused: bool = False) -> None:
        self.node, self.fn, self.out_fn = node, fn, out_fn
        self.ins, self.outs, self.multi, self.fused = ins, outs, multi, fused


class _Recycler:
    """Fresh output arrays for one output of a plan, recycled when nobody holds them.

    An output must not be a buffer the next run overwrites, so each run returns a new
    array. Allocating it costs page faults on large arrays, though; so the plan keeps the
    arrays of its last two runs and hands one out again when its only references are the
    recycler's own (the caller dropped it: a training loop ``params = step(params)`` holds
    the previous run's outputs, not the ones before). References are counted by CPython
    (``sys.getrefcount``): any view, Tensor, buffer export or container holding the array
    keeps it out of reuse. Elsewhere than CPython every run allocates.
    """

    __slots__ = ("empty", "a", "b")

    def __init__(self, empty: Any) -> None:
        self.empty = empty
        self.a: Any = None  # the newer one
        self.b: Any = None

    def __call__(self) -> Any:
        b = self.b
        # references: self.b, the local `b`, getrefcount's argument
        if b is not None and _getrefcount(b) == 3:
            self.b, self.a = self.a, b
            return b
        a = self.a
        if a is not None and _getrefcount(a) == 3:
            return a
        new = self.empty()
        self.b, self.a = self.a, new
        return new


def _no_refcount(obj: Any) -> int:
    return -1


_getrefcount = sys.getrefcount if platform.python_implementation() == "CPython" \
    else _no_refcount


def _known(t: SymbolicTensor) -> bool:
    return all(d is not None for d in t.shape)


class Plan:
    """A graph lowered for one backend: a static schedule of prepared kernel calls.

    Building a plan resolves every kernel once, asks the backend for fused kernels of the
    graph's fusion groups (:meth:`~tensorweave.backend_api.Backend.fused_kernel`) and for
    out-kernels (:meth:`~tensorweave.backend_api.Backend.prepare_out`), plans memory with
    :func:`tensorweave.graph.passes.memory.plan_memory` (buffers preallocated once and
    reused by liveness, elementwise updates in place) and generates one Python function
    running the steps in order (:attr:`source`), so a run costs one call per kernel.

    Guarantees: inputs that are not donated, constants and variables are never written;
    outputs are never plan-owned buffers (each run returns new arrays, or the caller's
    donated arrays), so a later run does not overwrite earlier results.

    ``donate``: input positions whose arrays the caller gives up. The plan may write into
    them (their contents afterwards are unspecified) and may return them as outputs; this
    is how a jitted training step returning new parameters updates them in place. A
    donated array the backend cannot overwrite (:meth:`Backend.can_overwrite`: a view,
    read-only, not contiguous) or that shares memory with another input is copied first.

    A plan holding buffers runs one call at a time (a lock serialises threads).
    """

    def __init__(self, graph: Graph, backend: Backend, donate: Any = ()) -> None:
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
        n_in = len(graph.inputs)
        self.donate = frozenset(int(p) for p in (donate or ()))
        for p in self.donate:
            if not 0 <= p < n_in:
                raise TensorweaveError(f"donate: input position {p} is out of range for a "
                                       f"graph with {n_in} inputs")
        self.const_slots: list[tuple[int, Any]] = []
        self.var_slots: list[tuple[int, Any]] = []
        specs: dict[int, Any] = {}
        for n in graph.nodes:
            for t in n.outputs:
                specs[slot[id(t)]] = (tuple(t.shape), t.dtype)
        steps = self._build_steps(graph, backend, slot)
        self.step_nodes = [st.node for st in steps]
        # ---- memory plan --------------------------------------------------------------
        from .passes.memory import BUFFER, DONATED, FRESH, StepInfo, plan_memory

        infos = []
        for st in steps:
            if st.out_fn is not None:
                infos.append(StepInfo(st.ins, st.outs, True,
                                      tuple(getattr(st.out_fn, "inplace", ()))))
            else:
                infos.append(StepInfo(st.ins, st.outs))
        donated_slots = {self.input_slots[p] for p in self.donate}
        readonly = {s for s, _ in self.const_slots} | {s for s, _ in self.var_slots}
        mp = plan_memory(infos, specs, self.input_slots, donated_slots, readonly,
                         self.output_slots)
        self.memory = mp
        pos_of_slot = {s: p for p, s in enumerate(self.input_slots)}
        self._donated_written = tuple(sorted(pos_of_slot[s] for s in mp.donated_written))
        self.buffers = [backend.empty(*mp.specs[b]) for b in mp.buffers]
        self.buffer_specs = [mp.specs[b] for b in mp.buffers]
        buf_index = {b: j for j, b in enumerate(mp.buffers)}
        # ---- liveness of names (frees) ---------------------------------------------
        keep = set(self.output_slots)
        frees: list[list[int]] = [[] for _ in steps]
        for s, i in mp.last_read.items():
            if s not in keep and 0 <= i < len(steps):
                frees[i].append(s)
        # ---- code generation ------------------------------------------------------------
        ns: dict[str, Any] = {}
        name: dict[int, str] = {}
        args = []
        for p, s in enumerate(self.input_slots):
            name[s] = f"a{p}"
            args.append(f"a{p}")
        for s, arr in self.const_slots:
            name[s] = f"c{s}"
            ns[f"c{s}"] = arr
        body: list[str] = []
        if self.var_slots:
            ns["BE"] = backend
            ns["_moved"] = _variable_elsewhere
        for j, (s, var) in enumerate(self.var_slots):
            ns[f"V{j}"] = var
            name[s] = f"v{s}"
            # a variable's value is read at every run, and must live on the plan's backend
            # (data never moves implicitly: as an eager op, say so instead of handing one
            # backend's array to another backend's kernels)
            body.append(f"v{s} = V{j}._value")
            body.append(f"if v{s}._backend is not BE: _moved(V{j}, BE)")
            body.append(f"v{s} = v{s}._data")
        for j, arr in enumerate(self.buffers):
            ns[f"B{j}"] = arr
        line_step: dict[int, int] = {}
        self.steps = []
        self.step_storage: list[str] = []
        for i, st in enumerate(steps):
            k = f"k{i}"
            argstr = ", ".join(name[u] for u in st.ins)
            store = mp.step_storage[i]
            if store is None:
                ns[k] = st.fn
                if st.multi:
                    body.append(f"_r = {k}({argstr})")
                    line_step[1 + len(body)] = i  # line 1 is the def
                    for j, v in enumerate(st.outs):
                        name[v] = f"v{v}"
                        body.append(f"v{v} = _r[{j}]")
                    body.append("_r = None")
                else:
                    v = st.outs[0]
                    name[v] = f"v{v}"
                    body.append(f"v{v} = {k}({argstr})")
                    line_step[1 + len(body)] = i  # line 1 is the def
                self.step_storage.append("fused" if st.fused else "kernel")
            else:
                ns[k] = st.out_fn
                v = st.outs[0]
                kind = mp.kinds[store]
                sep = ", " if argstr else ""
                if kind == BUFFER:
                    target = f"B{buf_index[store]}"
                    body.append(f"{k}({argstr}{sep}out={target})")
                    name[v] = target
                elif kind == DONATED:
                    target = f"a{pos_of_slot[mp.owner[store]]}"
                    body.append(f"{k}({argstr}{sep}out={target})")
                    name[v] = target
                else:
                    assert kind == FRESH
                    e = f"e{i}"
                    shape, dtype = mp.specs[store]
                    ns[e] = _Recycler(functools.partial(backend.empty, shape, dtype))
                    target = f"v{v}"
                    # the value is the recycler's array itself, never what the kernel
                    # returns: an out-kernel may return another array object over the
                    # same memory (a view, a new wrapper), which the recycler's reference
                    # count would not see, and the next run would overwrite a result the
                    # caller still holds (as BUFFER and DONATED steps, the kernel's
                    # return value is ignored)
                    body.append(f"v{v} = {e}()")
                    body.append(f"{k}({argstr}{sep}out=v{v})")
                    name[v] = target
                line_step[1 + len(body)] = i  # line 1 is the def
                self.step_storage.append(
                    f"{kind} {target}" + (" (in place)" if mp.in_place[i] else ""))
            dead = [name[s] for s in frees[i] if name.get(s, "").startswith("v")]
            if dead:
                body.append("del " + ", ".join(dead))
            self.steps.append((st.fn, st.ins, st.outs if st.multi else st.outs[0],
                               tuple(frees[i])))
        outs = ", ".join(name[s] for s in self.output_slots)
        body.append(f"return [{outs}]")
        defaults = [f"{key}={key}" for key in ns]
        sig = ", ".join(args + (["*"] + defaults if defaults else []))
        src = f"def _plan_run({sig}):\n" + "".join(f"    {line}\n" for line in body)
        self.source = src
        self._filename = f"<tensorweave plan {graph.name} {id(self):x}>"
        code = compile(src, self._filename, "exec")
        scope: dict[str, Any] = dict(ns)
        exec(code, scope)  # noqa: S102 - source generated above from slot numbers only
        self._fn = scope["_plan_run"]
        self._line_step = line_step
        self._lock = threading.Lock() if self.buffers or any(
            isinstance(v, _Recycler) for v in ns.values()) else None
        self._copy = None
        if self._donated_written:
            self._check = self._donation_checks()

    # ---- building ---------------------------------------------------------------------
    def _build_steps(self, graph: Graph, backend: Backend, slot: dict[int, int]) -> list[_Step]:
        steps: list[_Step] = []
        fused_fns: dict[int, Any] = {}
        fused_kernel = getattr(backend, "fused_kernel", None)
        prepare_out = getattr(backend, "prepare_out", None)
        for n in graph.nodes:
            if n.kind == "const":
                arr = _to_backend_array(n.value, backend)
                self.const_slots.append((slot[id(n.outputs[0])], arr))
                continue
            if n.kind == "variable":
                self.var_slots.append((slot[id(n.outputs[0])], n.value))
                continue
            if n.kind != "op":
                continue
            group = n.meta.get("fusion_group")
            if group is not None and fused_kernel is not None:
                key = id(group)
                if key not in fused_fns:
                    fused_fns[key] = fused_kernel(group)
                fn = fused_fns[key]
                if fn is not None:
                    if n is group.nodes[-1]:
                        steps.append(_Step(n, fn, None, tuple(slot[id(t)] for t in group.inputs),
                                           (slot[id(group.output)],), False, fused=True))
                    continue
            in_specs = [TensorSpec(t.shape, t.dtype) for t in n.inputs]
            out_specs = [TensorSpec(t.shape, t.dtype) for t in n.outputs]
            fn = backend.prepare(n.op.name, n.attrs, in_specs, out_specs)
            if fn is None:
                raise TensorweaveError(f"backend {backend.name!r} has no kernel for "
                                       f"{n.op.name!r} and the graph was not lowered")
            out_fn = None
            if prepare_out is not None and not n.op.multi_output and \
                    all(_known(t) for t in n.inputs) and _known(n.outputs[0]):
                out_fn = prepare_out(n.op.name, n.attrs, in_specs, out_specs)
            steps.append(_Step(n, fn, out_fn, tuple(slot[id(t)] for t in n.inputs),
                               tuple(slot[id(t)] for t in n.outputs), n.op.multi_output))
        return steps

    def _donation_checks(self) -> Any:
        positions = self._donated_written
        n_in = len(self.input_slots)
        can_overwrite = self.backend.can_overwrite
        var_slots = self.var_slots

        def check(arrays: Sequence[Any]) -> Sequence[Any]:
            fixed = None
            for p in positions:
                a = (fixed or arrays)[p]
                ok = can_overwrite(a)
                if ok:
                    src = fixed or arrays
                    for q in range(n_in):
                        if q != p:
                            b = src[q]
                            if b is a or getattr(b, "base", None) is a:
                                ok = False
                                break
                    if ok:
                        for _s, var in var_slots:
                            d = var._value._data
                            if d is a or getattr(d, "base", None) is a:
                                ok = False
                                break
                if not ok:
                    if fixed is None:
                        fixed = list(arrays)
                    fixed[p] = self._copy_of(p, a)
            return arrays if fixed is None else fixed
        return check

    def _copy_of(self, p: int, a: Any) -> Any:
        t = self.graph.inputs[p]
        spec = TensorSpec(tuple(t.shape), t.dtype)
        return self.backend.prepare("copy", {}, [spec], [spec])(a)

    # ---- running ----------------------------------------------------------------------
    def run(self, arrays: Sequence[Any]) -> list[Any]:
        """Run on backend arrays (one per graph input); returns one array per output."""
        if len(arrays) != len(self.input_slots):
            raise TensorweaveError(f"plan of graph {self.graph.name!r} takes "
                                   f"{len(self.input_slots)} input arrays, got {len(arrays)}")
        try:
            if self._donated_written:
                arrays = self._check(arrays)
            lock = self._lock
            if lock is None:
                return self._fn(*arrays)
            with lock:
                return self._fn(*arrays)
        except TensorweaveError:
            raise
        except Exception as exc:
            raise self._located(exc) from exc

    def _located(self, exc: Exception) -> Exception:
        i = None
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self._filename:
                i = self._line_step.get(tb.tb_lineno)
            tb = tb.tb_next
        if i is None:
            return exc
        node = self.step_nodes[i]
        try:
            return type(exc)(f"{exc}\n  while executing node {node.op.name} "
                             f"(inputs {[t.shape for t in node.inputs]}) on backend "
                             f"{self.backend.name!r}")
        except Exception:
            return exc

    def describe(self) -> str:
        """One line per step: the node and where its result lives (buffer reuse, in-place
        updates, fresh output arrays, plain kernels)."""
        lines = []
        for node, where in zip(self.step_nodes, self.step_storage):
            lines.append(f"{node.op.name:>16s} -> {where}")
        return "\n".join(lines)


def _variable_elsewhere(var: Any, backend: Backend) -> None:
    raise BackendMismatchError(
        f"variable {var.name!r} lives on backend {var._value._backend.name!r}, but this plan "
        f"runs on {backend.name!r}; create it under that backend (tw.backend_scope) or move "
        "its value explicitly")


def _to_backend_array(t: Tensor, backend: Backend) -> Any:
    if t._backend is backend:
        return t._data
    from ..ops import to_backend

    return to_backend(t, backend)._data


def compile_graph(graph: Graph, backend: Backend, specs: Sequence[TensorSpec] | None = None,
                  optimize: bool = True, donate: Any = ()) -> Plan:
    """Lower, optimise and plan ``graph`` for ``backend``.

    ``donate``: positions of graph inputs whose arrays the caller gives up at every run;
    the plan may overwrite them and return them as outputs (see :class:`Plan`).
    """
    g = lower(graph, backend, specs)
    if optimize:
        from .passes import optimize as run_passes

        g = run_passes(g, backend)
    return Plan(g, backend, donate=donate)


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
