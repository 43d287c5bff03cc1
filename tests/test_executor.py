"""The compiled plan (``tensorweave.graph.executor.Plan``): static schedule, buffer reuse by
liveness, in-place updates, donation.

The oracle is eager interpretation of the same graph (``interpret``: one op at a time with
the backend's allocating kernels). Buffer reuse must never change a value: random graphs
mixing elementwise ops, reductions, matmuls and view ops (reshape, transpose,
broadcast_to, slice, expand_dims, squeeze — NumPy returns views for them, which keep
their base buffer alive) are run both ways and must agree bit for bit. Inputs must never
be written, outputs of one run must survive the next run, and a steady-state training
step with donated parameters must allocate almost nothing (a behaviour bound, not a
timing).

The plans run on NumPy here (``np.shares_memory``, read-only flags, tracemalloc): an
autouse fixture makes numpy the default backend, so the graphs' constants and variables
are created where the plans run, whatever ``TENSORWEAVE_BACKEND`` says. The
backend-generic checks (random graphs, out-kernels) also run on every other backend with
out-kernels that can run here (``cupy``; ``tests/test_cupy_fake.py`` runs them on the
fake CuPy).
"""

from __future__ import annotations

import threading
import tracemalloc

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.backend_registry import get_backend
from tensorweave.backends.numpy import NumpyBackend
from tensorweave.graph import Graph, compile_graph, interpret, placeholder
from tensorweave.graph.passes.memory import StepInfo, plan_memory
from tensorweave.graph.tracing import tracing_scope
from tensorweave.ops._dispatch import OpDef, apply, wrap
from tensorweave.testing.pytest_plugin import backend_skip_reason

o = tw.ops
NP = get_backend("numpy")
# backends whose plans use out-kernels and buffers: numpy, plus cupy where it can run
PLAN_BACKENDS = ["numpy"] + [n for n in ("cupy",) if backend_skip_reason(n) is None]


@pytest.fixture(autouse=True)
def _numpy_default():
    with tw.backend_scope("numpy"):
        yield


def build(fn, *specs) -> Graph:
    with tracing_scope():
        phs = [placeholder(shape, dtype) for shape, dtype in specs]
        outs = fn(*phs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        return Graph(phs, outs)


def eager(g: Graph, arrays, backend=NP) -> list[np.ndarray]:
    ts = [o.convert_to_tensor(a, backend=backend) for a in arrays]
    return [np.asarray(t.numpy()) for t in interpret(g, ts)]


def to_device(a: np.ndarray, backend) -> object:
    """``a`` as an array of ``backend`` (on numpy: ``a`` itself, not a copy)."""
    return o.convert_to_tensor(a, backend=backend)._data


def to_host(x, backend=NP) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else np.asarray(backend.to_numpy(x, None))


def plan_results(plan, outs) -> list[np.ndarray]:
    """A plan's output arrays on the host, converted as ``eager`` converts its tensors."""
    return [np.asarray(wrap(x, s, d, plan.backend).numpy())
            for x, (s, d) in zip(outs, plan.output_specs)]


def assert_bitwise(got, want) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)


# ---- random graphs with views and reuse ---------------------------------------------------
SHAPES = [(4, 6), (6, 4), (6,), (4, 1), (24,), (2, 12)]


def random_graph(seed: int) -> tuple[Graph, list[np.ndarray]]:
    r = np.random.default_rng(seed)
    in_shapes = [(4, 6), (6, 4), (6,)][: 2 + seed % 2]

    def fn(*xs):
        vals = list(xs)

        def pick(pred=lambda v: True):
            cands = [v for v in vals if pred(v)]
            return cands[r.integers(len(cands))] if cands else None

        for _ in range(int(r.integers(6, 16))):
            kind = r.integers(12)
            x = pick()
            shape = tuple(x.shape)
            if kind == 0:
                v = [o.tanh, o.neg, o.relu, o.square, o.sigmoid, o.abs, o.exp][r.integers(7)](
                    o.tanh(x) if kind == 0 and r.integers(2) else x)
            elif kind in (1, 2):
                y = pick(lambda v, s=shape: tuple(v.shape) == s or (
                    len(s) == 2 and tuple(v.shape) in ((s[1],), (s[0], 1))))
                f = [o.add, o.subtract, o.multiply, o.maximum][r.integers(4)]
                v = f(x, y) if r.integers(2) else f(y, x) if tuple(y.shape) == shape else f(x, y)
            elif kind == 3:
                y = pick(lambda v, s=shape: tuple(v.shape) == s)
                z = pick(lambda v, s=shape: tuple(v.shape) == s)
                v = o.where(o.greater(y, 0.0), x, z if r.integers(2) else 0.0)
            elif kind == 4 and len(shape) == 2:
                v = o.transpose(x)
            elif kind == 5:
                n = int(np.prod(shape))
                targets = [s for s in SHAPES if int(np.prod(s)) == n and s != shape]
                v = o.reshape(x, targets[r.integers(len(targets))]) if targets else o.neg(x)
            elif kind == 6 and len(shape) == 1:
                v = o.broadcast_to(x, (4, shape[0]))
            elif kind == 7 and len(shape) == 2 and shape[0] >= 3:
                v = x[1:3]
            elif kind == 8:
                v = o.squeeze(o.expand_dims(x, 0), 0) if r.integers(2) else o.expand_dims(x, -1)
                if len(v.shape) > 2:
                    v = o.sum(v, axis=-1)
            elif kind == 9 and len(shape) == 2:
                v = o.sum(x, axis=int(r.integers(2)), keepdims=bool(r.integers(2)))
            elif kind == 10 and len(shape) == 2:
                y = pick(lambda v, s=shape: len(v.shape) == 2 and v.shape[0] == s[1])
                v = o.matmul(x, y) if y is not None else o.transpose(x)
            else:
                v = o.copy(x) if r.integers(2) else o.multiply(x, 0.5)
            vals.append(v)
        outs = [vals[-1]] + [vals[i] for i in r.integers(0, len(vals), size=int(r.integers(0, 3)))]
        return outs

    g = build(fn, *[(s, "float32") for s in in_shapes])
    arrays = [r.standard_normal(s).astype(np.float32) for s in in_shapes]
    return g, arrays


@pytest.mark.parametrize("backend", PLAN_BACKENDS)
@pytest.mark.parametrize("seed", range(40))
def test_buffer_reuse_never_changes_results(seed, backend):
    be = get_backend(backend)
    with tw.backend_scope(backend):  # the graph's constants live on the plan's backend
        g, arrays = random_graph(seed)
    originals = [a.copy() for a in arrays]
    want = eager(g, arrays, be)
    plan = compile_graph(g, be)
    ins = [to_device(a, be) for a in arrays]
    first = plan.run(ins)
    assert_bitwise(plan_results(plan, first), want)
    assert_bitwise([to_host(a, be) for a in ins], originals)  # inputs never written
    kept = [np.array(a, copy=True) for a in plan_results(plan, first)]
    # a second run on other inputs: results right, and the first results untouched
    others = [np.random.default_rng(seed + 100).standard_normal(a.shape).astype(np.float32)
              for a in arrays]
    second = plan.run([to_device(a, be) for a in others])
    assert_bitwise(plan_results(plan, second), eager(g, others, be))
    assert_bitwise(plan_results(plan, first), kept)
    # donating every input: same values, the caller's arrays may be reused
    donating = compile_graph(g, be, donate=range(len(arrays)))
    for _ in range(2):
        donated = [to_device(a.copy(), be) for a in arrays]
        assert_bitwise(plan_results(donating, donating.run(donated)), want)


def test_random_graphs_actually_reuse_buffers_and_write_in_place():
    reused = in_place = 0
    for seed in range(40):
        g, _ = random_graph(seed)
        plan = compile_graph(g, NP)
        writes = [w for w in plan.step_storage if w.startswith("buffer")]
        reused += len(writes) - len(plan.buffers)
        in_place += sum("(in place)" in w for w in writes)
    assert reused > 20 and in_place > 10


# ---- out-kernels give the allocating kernels' values ------------------------------------
def _conv_step(x, w):
    y = o.conv(x, w, padding="same")
    gx, gw = tw.grad(lambda x, w: o.sum(o.square(o.conv(x, w))), argnums=(0, 1))(x, w)
    return o.sum(o.square(y)), gx, gw


OUT_KERNEL_CASES = [
    ("float16 reductions, matmul", lambda x: (o.sum(x, axis=0), o.max(x, axis=1),
                                             o.matmul(x, o.transpose(x)), o.prod(x, axis=0)),
     [((3, 4), "float16")]),
    ("int arithmetic", lambda x, y: (o.floor_divide(x, y), o.mod(x, y), o.add(x, y),
                                     o.sum(x, axis=1), o.right_shift(x, 1), o.isnan(x),
                                     o.isfinite(x), o.cast(x, "float32"), o.abs(x)),
     [((3, 4), "int32"), ((3, 4), "int32")]),
    ("float edge values", lambda x: (o.log(x), o.sqrt(x), o.divide(1.0, x), o.isnan(x),
                                     o.isfinite(x), o.cast(x, "int32"), o.cast(x, "bool"),
                                     o.floor_divide(x, 0.5), o.mod(x, -0.75), o.sign(x),
                                     o.round(x), o.sigmoid(x), o.relu(x), o.power(x, 3.0)),
     [((12,), "float32")]),
    ("where variants", lambda c, x, y: (o.where(c, x, y), o.where(c, x, 0.0),
                                        o.where(c, -0.0, x), o.where(c, x, x),
                                        o.where(c, o.add(x, 1.0), 2.5)),
     [((12,), "bool"), ((12,), "float32"), ((12,), "float32")]),
    ("bool and bfloat16", lambda c, x: (o.logical_and(c, o.logical_not(c)),
                                        o.where(c, c, o.logical_not(c)),
                                        o.add(o.cast(x, "bfloat16"), 1.0), o.any(c),
                                        o.all(c, axis=0)),
     [((12,), "bool"), ((12,), "float32")]),
    ("shape ops", lambda x, i: (o.pad(x, ((1, 0), (0, 2)), constant_values=1.5),
                                o.concatenate([x, o.exp(x)], axis=1),
                                o.strided_slice_update(o.exp(x), o.ones((1, 2)), (1, 1), (2, 3)),
                                o.take(o.exp(x), i, axis=1),
                                o.scatter_add(o.exp(x), o.stack([i, i], axis=-1)[:, :2],
                                              o.ones((3,))),
                                o.zeros_like(o.exp(x)), o.copy(o.exp(x))),
     [((3, 4), "float32"), ((3,), "int32")]),
    ("conv forward and backward", _conv_step, [((2, 6, 6, 3), "float32"),
                                               ((3, 3, 3, 4), "float32")]),
]


def _sample(shape, dtype, r):
    if dtype == "bool":
        return r.random(shape) > 0.5
    if dtype == "int32":
        return r.integers(-9, 10, shape).astype(np.int32)
    a = r.standard_normal(shape) * 3
    if dtype == "float32" and shape == (12,):
        a[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, -2.0]
    return a.astype(dtype)


@pytest.mark.parametrize("backend", PLAN_BACKENDS)
@pytest.mark.parametrize("case", OUT_KERNEL_CASES, ids=[c[0] for c in OUT_KERNEL_CASES])
def test_out_kernels_match_allocating_kernels(case, backend):
    _, fn, specs = case
    be = get_backend(backend)
    with tw.backend_scope(backend):  # the graph's constants live on the plan's backend
        g = build(fn, *specs)
    r = np.random.default_rng(7)
    arrays = [_sample(s, d, r) for s, d in specs]
    if case[0] == "shape ops":
        arrays[1] = np.array([0, 2, -1], np.int32)
    plan = compile_graph(g, be)
    assert any(w.startswith(("buffer", "fresh")) for w in plan.step_storage)
    with np.errstate(all="ignore"):
        want = eager(g, arrays, be)
        got = plan.run([to_device(a, be) for a in arrays])
    assert_bitwise(plan_results(plan, got), want)


# ---- targeted cases -----------------------------------------------------------------------
def test_a_view_keeps_its_base_buffer_alive():
    def f(x, y):
        a = o.exp(x)                 # buffer A
        v = o.transpose(a)           # a view of A: A must stay alive while v is
        b = o.exp(y)                 # same shape as a: must not take A
        c = o.tanh(o.transpose(b))   # a dead by direct reads here, v still alive
        return o.add(v, c)

    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((4, 6)).astype(np.float32)
    g = build(f, ((4, 6), "float32"), ((4, 6), "float32"))
    plan = compile_graph(g, NP)
    where = dict(zip([n.op.name + str(i) for i, n in enumerate(plan.step_nodes)],
                     plan.step_storage))
    assert where["exp0"].split()[:2] != where["exp2"].split()[:2]
    assert_bitwise(plan.run([x, y]), eager(g, [x, y]))


def test_elementwise_chains_run_in_place_and_outputs_are_fresh():
    g = build(lambda x: o.tanh(o.exp(o.neg(o.multiply(x, 2.0)))), ((8, 8), "float32"))
    plan = compile_graph(g, NP)
    assert plan.step_storage[0].startswith("buffer")
    assert all("(in place)" in w for w in plan.step_storage[1:-1])
    assert plan.step_storage[-1].startswith("fresh")      # the output: a new array per run
    assert len(plan.buffers) == 1
    x = np.ones((8, 8), np.float32)
    r1 = plan.run([x])[0]
    r2 = plan.run([x * 2])[0]
    assert r1 is not r2 and not np.shares_memory(r1, r2)
    assert not any(np.shares_memory(r1, b) for b in plan.buffers)
    np.testing.assert_array_equal(r1, np.tanh(np.exp(-(x * 2))))


def test_output_arrays_are_recycled_only_when_nobody_holds_them():
    g = build(lambda x: o.tanh(o.exp(x)), ((64,), "float32"))
    plan = compile_graph(g, NP)
    xs = [np.full((64,), i, np.float32) / 10 for i in range(8)]
    want = [np.tanh(np.exp(x)) for x in xs]
    held = plan.run([xs[0]])[0]
    view = plan.run([xs[1]])[0][10:20]        # only a view of the second result is kept
    cell = [plan.run([xs[2]])[0]]             # a container holding the third
    for i in range(3, 8):                     # results dropped at once: may be recycled
        np.testing.assert_array_equal(plan.run([xs[i]])[0], want[i])
    np.testing.assert_array_equal(held, want[0])
    np.testing.assert_array_equal(view, want[1][10:20])
    np.testing.assert_array_equal(cell[0], want[2])
    a = plan.run([xs[3]])[0]
    b = plan.run([xs[4]])[0]
    assert not np.shares_memory(a, b)          # both held: two distinct arrays
    np.testing.assert_array_equal(a, want[3])


def test_outputs_may_be_inputs_or_views_of_them_and_are_never_written():
    g = build(lambda x, y: (x, o.transpose(x), o.add(x, y), o.reshape(y, (24,))),
              ((4, 6), "float32"), ((4, 6), "float32"))
    x = np.arange(24, dtype=np.float32).reshape(4, 6)
    y = np.ones((4, 6), np.float32)
    for donate in ((), (0,), (0, 1)):
        xs, ys = x.copy(), y.copy()
        out = compile_graph(g, NP, donate=donate).run([xs, ys])
        assert_bitwise(out, eager(g, [x, y]))
        assert_bitwise([xs, ys], [x, y])  # returned (or viewed) inputs are not overwritten


def test_python_backend_plans_run_plain_kernels():
    py = get_backend("python")
    g = build(lambda x: o.sum(o.multiply(o.exp(x), o.transpose(x))), ((3, 3), "float32"))
    plan = compile_graph(g, py)
    assert plan.buffers == [] and set(plan.step_storage) == {"kernel"}
    x = np.arange(9, dtype=np.float32).reshape(3, 3) / 9
    got = plan.run([o.convert_to_tensor(x, backend=py)._data])
    want = [t.numpy() for t in interpret(g, [o.convert_to_tensor(x, backend=py)])]
    np.testing.assert_array_equal(py.to_numpy(got[0], tw.dtypes.float32), want[0])


def test_errors_name_the_node_that_failed():
    g = build(lambda x, y: o.add(o.power(x, y), 1), ((2,), "int32"), ((2,), "int32"))
    plan = compile_graph(g, NP)
    with pytest.raises(ValueError, match="while executing node power"):
        plan.run([np.array([2, 3], np.int32), np.array([-1, 2], np.int32)])


def test_errors_name_the_node_that_failed_after_variable_reads():
    v = tw.Variable(np.ones((2,), np.int32), name="v")
    g = build(lambda x, y: o.add(o.power(o.add(x, v), y), 1), ((2,), "int32"), ((2,), "int32"))
    plan = compile_graph(g, NP)
    with pytest.raises(ValueError, match="while executing node power"):
        plan.run([np.array([2, 3], np.int32), np.array([-1, 2], np.int32)])


def test_variables_are_read_at_every_run_and_never_written():
    v = tw.Variable(np.ones((2, 2), np.float32), name="v")
    g = build(lambda x: o.exp(o.add(x, v)), ((2, 2), "float32"))
    plan = compile_graph(g, NP, donate=(0,))
    x = np.zeros((2, 2), np.float32)
    np.testing.assert_array_equal(plan.run([x.copy()])[0], np.exp(np.ones((2, 2), np.float32)))
    v.assign(np.full((2, 2), 2.0, np.float32))
    held = v.numpy().copy()
    np.testing.assert_array_equal(plan.run([x.copy()])[0], np.exp(held))
    np.testing.assert_array_equal(v.numpy(), held)


def test_a_variable_on_another_backend_is_refused_by_name():
    with tw.backend_scope("python"):
        v = tw.Variable(np.ones((2,), np.float32), name="elsewhere")
    g = build(lambda x: o.add(x, v), ((2,), "float32"))
    plan = compile_graph(g, NP)
    with pytest.raises(tw.errors.BackendMismatchError, match="'elsewhere'.*'python'.*'numpy'"):
        plan.run([np.zeros((2,), np.float32)])


# ---- donation -------------------------------------------------------------------------------
def _sgd_graph():
    def step(w, b, x):
        def loss(w, b):
            return o.mean(o.square(o.add(o.matmul(x, w), b)))

        value, (gw, gb) = tw.value_and_grad(loss, argnums=(0, 1))(w, b)
        return value, o.subtract(w, o.multiply(0.1, gw)), o.subtract(b, o.multiply(0.1, gb))

    return build(step, ((5, 3), "float32"), ((3,), "float32"), ((4, 5), "float32"))


def test_donated_parameters_are_updated_in_place():
    g = _sgd_graph()
    r = np.random.default_rng(3)
    w, b, x = (r.standard_normal(s).astype(np.float32) for s in ((5, 3), (3,), (4, 5)))
    want = eager(g, [w, b, x])
    plan = compile_graph(g, NP, donate=(0, 1))
    assert plan.step_storage[-1].startswith("donated")
    ws, bs, xs = w.copy(), b.copy(), x.copy()
    out = plan.run([ws, bs, xs])
    assert out[1] is ws and out[2] is bs                   # updated in place, returned
    assert_bitwise(out, want)
    np.testing.assert_array_equal(xs, x)                    # not donated: untouched
    # the next step feeds the outputs back in
    want2 = eager(g, [want[1], want[2], x])
    assert_bitwise(plan.run([out[1], out[2], xs]), want2)


def test_donated_arrays_that_cannot_be_overwritten_are_copied():
    g = _sgd_graph()
    r = np.random.default_rng(4)
    w, b, x = (r.standard_normal(s).astype(np.float32) for s in ((5, 3), (3,), (4, 5)))
    want = eager(g, [w, b, x])
    plan = compile_graph(g, NP, donate=(0, 1))
    big = np.zeros((10, 3), np.float32)
    big[:5] = w
    view = big[:5]                                          # a view: not overwritable
    ro = b.copy()
    ro.flags.writeable = False                              # read-only
    out = plan.run([view, ro, x])
    assert_bitwise(out, want)
    np.testing.assert_array_equal(big[:5], w)
    np.testing.assert_array_equal(ro, b)
    assert out[1] is not view and out[2] is not ro


def test_a_donated_array_also_passed_elsewhere_is_copied():
    g = build(lambda a, c: (o.add(a, 1.0), o.multiply(c, 2.0)), ((3,), "float32"),
              ((3,), "float32"))
    plan = compile_graph(g, NP, donate=(0,))
    a = np.arange(3, dtype=np.float32)
    out = plan.run([a, a])                                  # the same array twice
    np.testing.assert_array_equal(out[0], [1, 2, 3])
    np.testing.assert_array_equal(out[1], [0, 2, 4])
    np.testing.assert_array_equal(a, [0, 1, 2])             # copied, not overwritten


def test_donate_positions_are_checked():
    g = build(lambda a: o.neg(a), ((3,), "float32"))
    with pytest.raises(tw.errors.TensorweaveError, match="donate"):
        compile_graph(g, NP, donate=(1,))


# ---- memory planner on its own --------------------------------------------------------------
def test_plan_memory_reuses_dead_buffers_and_respects_aliases():
    spec = ((4,), "f32")
    specs = {i: spec for i in range(8)}
    steps = [
        StepInfo((0,), (1,), True, (0,)),   # 1 = f(0)        -> buffer
        StepInfo((1,), (2,), True, (0,)),   # 2 = g(1)        -> in place into 1's buffer
        StepInfo((2,), (3,)),               # 3 = view(2)     (plain kernel: may alias 2)
        StepInfo((0,), (4,), True, ()),     # 4 = h(0)        -> needs a second buffer
        StepInfo((3, 4), (5,), True, (1,)), # 5 = k(3, 4)     -> in place into 4's buffer
        StepInfo((5,), (6,), True, (0,)),   # 6 = m(5)        -> output: fresh
    ]
    mp = plan_memory(steps, specs, inputs=[0], donated=set(), readonly=set(), outputs=[6])
    assert mp.kinds[mp.step_storage[0]] == "buffer"
    assert mp.step_storage[1] == mp.step_storage[0] and mp.in_place[1]
    assert mp.step_storage[3] != mp.step_storage[0]         # 2's buffer is viewed by 3
    assert mp.step_storage[4] == mp.step_storage[3] and mp.in_place[4]
    assert mp.kinds[mp.step_storage[5]] == "fresh"
    assert len(mp.buffers) == 2
    donated = plan_memory(steps, specs, inputs=[0], donated={0}, readonly=set(), outputs=[6])
    assert donated.kinds[donated.step_storage[3]] in ("buffer", "donated")


# ---- multi-output ops (plain kernels that return views) ------------------------------------
SPLIT2 = OpDef("tw_test_split2", lambda specs: [((specs[0].shape[0] // 2,), specs[0].dtype)] * 2,
               multi_output=True, differentiable=False)


class SplitBackend(NumpyBackend):
    name = "numpy"

    def __init__(self) -> None:
        super().__init__()
        self.kernels["tw_test_split2"] = lambda x: (x[: x.shape[0] // 2], x[x.shape[0] // 2:])


def test_multi_output_plain_kernels_alias_their_inputs():
    be = SplitBackend()

    def f(x):
        e = o.exp(x)
        lo, hi = apply(SPLIT2, [e], {})
        return o.add(o.tanh(lo), o.neg(hi)), o.multiply(hi, 3.0)

    g = build(f, ((8,), "float32"))
    plan = compile_graph(g, be)
    x = np.linspace(-1, 1, 8).astype(np.float32)
    e = np.exp(x)
    got = plan.run([x])
    np.testing.assert_array_equal(got[0], np.tanh(e[:4]) + -e[4:])
    np.testing.assert_array_equal(got[1], e[4:] * np.float32(3.0))


# ---- threads and steady-state allocations ------------------------------------------------
def test_plans_with_buffers_serialise_concurrent_runs():
    g = build(lambda x: o.sum(o.tanh(o.matmul(x, o.transpose(x)))), ((64, 64), "float32"))
    plan = compile_graph(g, NP)
    xs = [np.random.default_rng(i).standard_normal((64, 64)).astype(np.float32)
          for i in range(4)]
    want = [eager(g, [x])[0] for x in xs]
    results: dict[int, list] = {i: [] for i in range(4)}

    def work(i):
        for _ in range(20):
            results[i].append(plan.run([xs[i]])[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(4):
        for r in results[i]:
            np.testing.assert_array_equal(r, want[i])


def _mlp_step_graph(sizes, batch):
    def loss(params, x, y):
        h = x
        for i, (w, b) in enumerate(params):
            h = o.add(o.matmul(h, w), b)
            if i < len(params) - 1:
                h = o.relu(h)
        lp = o.log_softmax(h, axis=-1)
        return o.neg(o.mean(o.take_along_axis(lp, o.expand_dims(y, -1), axis=-1)))

    def step(params, x, y):
        value, grads = tw.value_and_grad(loss)(params, x, y)
        return value, [(o.subtract(w, o.multiply(0.01, gw)), o.subtract(b, o.multiply(0.01, gb)))
                       for (w, b), (gw, gb) in zip(params, grads)]

    r = np.random.default_rng(0)
    params = [(r.standard_normal((a, b)).astype(np.float32) * np.float32(0.1),
               np.zeros(b, np.float32)) for a, b in zip(sizes[:-1], sizes[1:])]
    x = r.standard_normal((batch, sizes[0])).astype(np.float32)
    y = r.integers(0, sizes[-1], batch).astype(np.int32)
    graph = tw.jit(step).trace(params, x, y)
    flat = [a for wb in params for a in wb] + [x, y]
    return graph, flat


def test_steady_state_training_step_allocates_almost_nothing():
    graph, flat = _mlp_step_graph([196, 256, 256, 10], 64)
    n_params = len(flat) - 2
    plan = compile_graph(graph, NP, donate=range(n_params))
    reference = compile_graph(graph, NP)
    arrays = [a.copy() for a in flat]
    want = reference.run(flat)
    outs = plan.run(arrays)
    assert_bitwise(outs, want)
    assert all(o_ is a for o_, a in zip(outs[1:], arrays[:n_params]))  # updated in place
    for _ in range(3):
        arrays[:n_params] = plan.run(arrays)[1:]
    tracemalloc.start()
    try:
        plan.run(arrays)  # warm tracemalloc's own tables
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        arrays[:n_params] = plan.run(arrays)[1:]
        donated_peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        reference.run(flat)
        fresh_peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    param_bytes = sum(a.nbytes for a in flat[:n_params])
    assert donated_peak < 256 * 1024, donated_peak
    assert fresh_peak > param_bytes  # without donation the new parameters are new arrays
