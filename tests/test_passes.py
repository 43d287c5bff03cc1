"""The graph optimisation passes (``tensorweave.graph.passes``).

Each pass is checked the same way: the op nodes of the graph before and after (their op
names, in order, so a failure shows both lists), and the values: the graph before and the
graph after give identical results on the ``numpy`` and on the ``python`` backend.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.backend_registry import get_backend
from tensorweave.backends.numpy import NumpyBackend
from tensorweave.graph import Graph, compile_graph, constant, interpret, placeholder
from tensorweave.graph.passes import (
    FusionGroup,
    cse,
    dce,
    fold_constants,
    fuse_elementwise,
    fusion_groups,
    optimize,
    simplify,
)
from tensorweave.graph.tracing import tracing_scope
from tensorweave.ops._dispatch import apply, get_op

o = tw.ops
BACKENDS = ["numpy", "python"]


# ---- helpers --------------------------------------------------------------------------------
def op(name: str, *inputs, **attrs):
    """Record one op node exactly as given (bypassing the public functions' shortcuts)."""
    return apply(get_op(name), list(inputs), attrs)


def build(fn, *specs) -> Graph:
    """A graph of ``fn`` over placeholders of the given (shape, dtype) specs."""
    with tracing_scope():
        phs = [placeholder(shape, dtype) for shape, dtype in specs]
        outs = fn(*phs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        return Graph(phs, outs)


def ops_of(g: Graph) -> list[str]:
    return [n.op.name for n in g.op_nodes]


def run(g: Graph, arrays, backend: str) -> list[np.ndarray]:
    be = get_backend(backend)
    plan = compile_graph(g, be, optimize=False)
    ins = [o.convert_to_tensor(a, backend=be)._data for a in arrays]
    return [np.asarray(be.to_numpy(r, s[1])) for r, s in zip(plan.run(ins), plan.output_specs)]


def assert_same_values(before: Graph, after: Graph, arrays, backends=BACKENDS) -> None:
    for backend in backends:
        want = run(before, arrays, backend)
        got = run(after, arrays, backend)
        assert len(want) == len(got)
        for w, g in zip(want, got):
            assert w.shape == g.shape and w.dtype == g.dtype, backend
            np.testing.assert_array_equal(g, w, err_msg=f"backend {backend}")


rng = np.random.default_rng(0)


def f32(*shape) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


# ---- dead-code elimination ------------------------------------------------------------------
def test_dce_drops_unreachable_nodes_and_keeps_the_rest():
    with tracing_scope():
        x = placeholder((3,), "float32")
        live = o.exp(x)
        dead = o.sin(live)
        g = Graph([x], [live])
        assert ops_of(g) == ["exp"]           # construction already dropped `sin`
        assert dce(g) is g                    # nothing to do: the same graph object
        g.nodes.append(dead.node)             # a node list a pass left stale
        assert ops_of(g) == ["exp", "sin"]
        after = dce(g)
    assert ops_of(after) == ["exp"]
    assert_same_values(g, after, [f32(3)])


# ---- constant folding ---------------------------------------------------------------------
def test_fold_evaluates_all_constant_ops_once():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)

    def f(x):
        c = o.exp(o.multiply(constant(a), 0.5))  # an all-constant subtree, recorded
        return o.add(x, o.transpose(c))

    for backend in BACKENDS:
        with tw.backend_scope(backend):
            g = build(f, ((3, 2), "float32"))
        assert ops_of(g) == ["multiply", "exp", "transpose", "add"]
        after = fold_constants(g, get_backend(backend))
        assert ops_of(after) == ["add"], backend
        consts = [n for n in after.nodes if n.kind == "const"]
        assert len(consts) == 1 and consts[0].outputs[0].shape == (3, 2)
        # folded with that backend's own kernels: bit-identical to its run-time values
        # (NumPy's float32 exp and the reference backend's differ in the last bit)
        assert_same_values(g, after, [f32(3, 2)], [backend])
    assert ops_of(fold_constants(g)) == ["add"]  # no backend: evaluated eagerly


def test_fold_full_like_depends_only_on_shape():
    g = build(lambda x: o.add(x, o.ones_like(x)), ((2, 2), "float32"))
    assert "full_like" in ops_of(g) or "full" in ops_of(g)
    after = fold_constants(g, get_backend("numpy"))
    assert ops_of(after) == ["add"]
    assert_same_values(g, after, [f32(2, 2)])


def test_fold_skips_huge_results_and_failing_ops():
    g = build(lambda x: o.add(x, o.exp(constant(np.zeros((4, 4), np.float32)))),
              ((4, 4), "float32"))
    assert ops_of(fold_constants(g, get_backend("numpy"), limit=8)) == ["exp", "add"]
    assert ops_of(fold_constants(g, get_backend("numpy"), limit=16)) == ["add"]

    def bad(x):  # integer to a negative power raises in NumPy: left for run time
        return o.add(x, o.power(constant(np.array([2, 3], np.int32)),
                                constant(np.array([-1, 2], np.int32))))

    g2 = build(bad, ((2,), "int32"))
    assert ops_of(fold_constants(g2, get_backend("numpy"))) == ["power", "add"]


# ---- algebraic simplification ---------------------------------------------------------------
SIMPLIFY_CASES = [
    # (name, fn, input specs, ops before, ops after with the numpy backend)
    ("x*1", lambda x: o.exp(o.multiply(x, 1.0)), [((3,), "float32")], ["multiply", "exp"], ["exp"]),
    ("1*x", lambda x: o.exp(o.multiply(1.0, x)), [((3,), "float32")], ["multiply", "exp"], ["exp"]),
    ("x+0", lambda x: o.exp(o.add(x, 0.0)), [((3,), "float32")], ["add", "exp"], ["exp"]),
    ("0+x", lambda x: o.neg(o.add(0, x)), [((3,), "int32")], ["add", "neg"], ["neg"]),
    ("x-0", lambda x: o.exp(o.subtract(x, 0.0)), [((3,), "float32")], ["subtract", "exp"], ["exp"]),
    ("x/1", lambda x: o.exp(o.divide(x, 1.0)), [((3,), "float32")], ["divide", "exp"], ["exp"]),
    ("x**1", lambda x: o.exp(o.power(x, 1.0)), [((3,), "float32")], ["power", "exp"], ["exp"]),
    ("x**2", lambda x: o.power(x, 2.0), [((3,), "float32")], ["power"], ["square"]),
    ("x*True", lambda x: o.logical_not(op("multiply", x, o.convert_to_tensor(True))),
     [((3,), "bool")], ["multiply", "logical_not"], ["logical_not"]),
    ("T(T(x)) identity", lambda x: o.exp(o.transpose(o.transpose(x, (1, 2, 0)), (2, 0, 1))),
     [((2, 3, 4), "float32")], ["transpose", "transpose", "exp"], ["exp"]),
    ("T(T(x)) composed", lambda x: o.transpose(o.transpose(x, (1, 2, 0)), (1, 0, 2)),
     [((2, 3, 4), "float32")], ["transpose", "transpose"], ["transpose"]),
    ("T(x, identity)", lambda x: o.exp(op("transpose", x, axes=(0, 1))),
     [((2, 3), "float32")], ["transpose", "exp"], ["exp"]),
    ("reshape(reshape)", lambda x: o.reshape(o.reshape(x, (6, 4)), (4, 6)),
     [((2, 3, 4), "float32")], ["reshape", "reshape"], ["reshape"]),
    ("reshape(reshape) back", lambda x: o.exp(o.reshape(o.reshape(x, (6, 4)), (2, 3, 4))),
     [((2, 3, 4), "float32")], ["reshape", "reshape", "exp"], ["exp"]),
    ("reshape same", lambda x: o.exp(op("reshape", x, shape=(2, 3))),
     [((2, 3), "float32")], ["reshape", "exp"], ["exp"]),
    ("cast same", lambda x: o.exp(op("cast", x, dtype=tw.dtypes.float32)),
     [((3,), "float32")], ["cast", "exp"], ["exp"]),
    ("broadcast_to same", lambda x: o.exp(op("broadcast_to", x, shape=(2, 3))),
     [((2, 3), "float32")], ["broadcast_to", "exp"], ["exp"]),
    ("neg(neg)", lambda x: o.exp(o.neg(o.neg(x))), [((3,), "float32")], ["neg", "neg", "exp"],
     ["exp"]),
    # kept: the constant broadcasts x up, promotes it, or is not the identity
    ("x*ones broadcast", lambda x: o.multiply(x, o.ones((2, 3))), [((3,), "float32")],
     ["multiply"], ["multiply"]),
    ("x*2", lambda x: o.multiply(x, 2.0), [((3,), "float32")], ["multiply"], ["multiply"]),
    ("int x + 0.5", lambda x: o.add(x, 0.5), [((3,), "int32")], ["cast", "add"],
     ["cast", "add"]),
]


@pytest.mark.parametrize("case", SIMPLIFY_CASES, ids=[c[0] for c in SIMPLIFY_CASES])
def test_simplify_patterns(case):
    _, fn, specs, before_ops, after_ops = case
    g = build(fn, *specs)
    assert ops_of(g) == before_ops
    after = simplify(g, get_backend("numpy"))
    assert ops_of(after) == after_ops
    for n, m in zip(g.outputs, after.outputs):
        assert (n.shape, n.dtype) == (m.shape, m.dtype)
    arrays = [rng.standard_normal(s).astype(d) if d != "bool" else rng.random(s) > 0.5
              for s, d in specs]
    if specs[0][1] == "int32":
        arrays = [rng.integers(-3, 4, s).astype(np.int32) for s, _ in specs]
    assert_same_values(g, after, arrays)


def test_simplify_square_on_a_backend_without_square_kernel():
    g = build(lambda x: o.power(x, 2.0), ((3,), "float32"))
    assert not get_backend("python").has_kernel("square")
    assert ops_of(simplify(g, get_backend("python"))) == ["multiply"]


def test_simplify_returns_the_same_graph_when_nothing_matches():
    g = build(lambda x: o.exp(o.add(x, 1.0)), ((3,), "float32"))
    assert simplify(g) is g


# ---- common-subexpression elimination -------------------------------------------------------
def test_cse_merges_duplicate_nodes():
    g = build(lambda x: o.add(o.exp(x), o.exp(x)), ((3,), "float32"))
    assert ops_of(g) == ["exp", "exp", "add"]
    after = cse(g)
    assert ops_of(after) == ["exp", "add"]
    assert after.op_nodes[1].inputs[0] is after.op_nodes[1].inputs[1]
    assert_same_values(g, after, [f32(3)])


def test_cse_merges_small_constants_by_exact_value():
    def f(x):
        return (o.add(o.multiply(x, 3.0), o.multiply(x, 3.0)),
                o.add(x, 0.0), o.add(x, -0.0),
                o.add(x, float("nan")), o.add(x, float("nan")))

    g = build(f, ((3,), "float32"))
    after = cse(g)
    consts = [n for n in after.nodes if n.kind == "const"]
    # 3.0 once, 0.0 and -0.0 apart, the two NaNs never merged
    assert len(consts) == 5
    assert ops_of(after) == ["multiply", "add", "add", "add", "add", "add"]
    assert_same_values(g, after, [np.array([-0.0, 1.0, 2.0], np.float32)])


# ---- elementwise fusion grouping -----------------------------------------------------------
def test_fusion_groups_are_maximal_single_consumer_trees():
    def f(x, y):
        a = o.exp(x)                  # -> group 1
        b = o.multiply(a, y)          # -> group 1
        s = o.sum(b, axis=0)          # not elementwise: ends group 1 (root b)
        c = o.tanh(s)                 # -> group 2
        d = o.add(c, 1.0)             # root of group 2: used twice below
        return o.matmul(o.expand_dims(d, 0), o.expand_dims(d, 1)), o.neg(d)

    g = build(f, ((4, 3), "float32"), ((4, 3), "float32"))
    groups = fusion_groups(g)
    assert [[n.op.name for n in grp] for grp in groups] == [["exp", "multiply"], ["tanh", "add"]]
    after = fuse_elementwise(g)
    assert ops_of(after) == ops_of(g)                 # the pass only annotates
    assert all("fusion_group" not in n.meta for n in g.op_nodes)  # original untouched
    marked = [n for n in after.op_nodes if "fusion_group" in n.meta]
    assert [n.op.name for n in marked] == ["exp", "multiply", "tanh", "add"]
    grp = marked[0].meta["fusion_group"]
    assert isinstance(grp, FusionGroup) and grp.nodes == marked[:2]
    assert [t.shape for t in grp.inputs] == [(4, 3), (4, 3)]
    assert grp.output is marked[1].outputs[0]
    assert grp.expression() == (("exp", (), (("in", 0),)),
                                ("multiply", (), (("node", 0), ("in", 1))))
    assert hash(grp.key)
    sub = grp.subgraph()
    assert ops_of(sub) == ["exp", "multiply"] and len(sub.inputs) == 2
    assert_same_values(g, after, [f32(4, 3), f32(4, 3)])


def test_values_used_outside_or_returned_end_a_group():
    def f(x):
        a = o.exp(x)
        b = o.sin(a)
        return o.add(b, a), b       # `a` has two readers, `b` is an output

    g = build(f, ((3,), "float32"))
    assert fusion_groups(g) == []
    assert fuse_elementwise(g) is g


class FusingBackend(NumpyBackend):
    """A fake backend that runs each fusion group as one kernel (interpreting it with the
    NumPy kernels) and records the groups it was given."""

    name = "numpy"

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[FusionGroup] = []
        self.calls = 0

    def fused_kernel(self, group):
        self.groups.append(group)
        fns = []
        for node in group.nodes:
            specs = [(t.shape, t.dtype) for t in node.inputs]
            from tensorweave.ops._dispatch import TensorSpec

            fns.append(self.prepare(node.op.name, node.attrs,
                                    [TensorSpec(*s) for s in specs],
                                    [TensorSpec(t.shape, t.dtype) for t in node.outputs]))
        expr = group.expression()

        def fused(*arrays):
            self.calls += 1
            vals = []
            for fn, (_, _, args) in zip(fns, expr):
                vals.append(fn(*[arrays[k] if kind == "in" else vals[k] for kind, k in args]))
            return vals[-1]
        return fused


def test_fused_kernel_hook_runs_groups_as_one_step():
    def f(x, y):
        h = o.relu(o.add(o.matmul(x, y), 1.0))
        return o.sum(o.multiply(o.exp(o.neg(h)), 2.0))

    x, y = f32(4, 5), f32(5, 3)
    g = build(f, ((4, 5), "float32"), ((5, 3), "float32"))
    numpy_be = get_backend("numpy")
    fake = FusingBackend()
    plain = compile_graph(g, numpy_be)
    fused = compile_graph(g, fake)
    assert [[n.op.name for n in grp.nodes] for grp in fake.groups] == [
        ["add", "relu", "neg", "exp", "multiply"]]
    assert len(fused.steps) == len(plain.steps) - 4
    assert "fused" in fused.describe()
    want = plain.run([x, y])
    got = fused.run([x, y])
    assert fake.calls == 1
    np.testing.assert_array_equal(got[0], want[0])


def test_backend_without_fused_kernel_runs_members_and_skips_grouping():
    be = get_backend("numpy")
    g = build(lambda x: o.exp(o.neg(x)), ((3,), "float32"))
    assert be.fused_kernel(FusionGroup(fusion_groups(g)[0])) is None
    assert ops_of(optimize(g, be)) == ["neg", "exp"]
    assert all("fusion_group" not in n.meta for n in optimize(g, be).op_nodes)
    assert any("fusion_group" in n.meta for n in optimize(g, FusingBackend()).op_nodes)


# ---- the whole pipeline -------------------------------------------------------------------
def test_optimize_mlp_training_step_keeps_values_and_shrinks_the_graph():
    def loss(w1, b1, w2, x, y):
        h = o.relu(o.add(o.matmul(x, w1), b1))
        logits = o.multiply(o.matmul(h, w2), 1.0)
        lp = o.log_softmax(logits, axis=-1)
        return o.neg(o.mean(o.take_along_axis(lp, o.expand_dims(y, -1), axis=-1)))

    def step(w1, b1, w2, x, y):
        value, grads = tw.value_and_grad(loss, argnums=(0, 1, 2))(w1, b1, w2, x, y)
        return [value] + [o.subtract(p, o.multiply(0.1, gp))
                          for p, gp in zip((w1, b1, w2), grads)]

    specs = [((6, 5), "float32"), ((5,), "float32"), ((5, 3), "float32"), ((4, 6), "float32"),
             ((4,), "int32")]
    arrays = [f32(6, 5), f32(5), f32(5, 3), f32(4, 6), np.array([0, 2, 1, 2], np.int32)]
    for backend in BACKENDS:
        be = get_backend(backend)
        from tensorweave.graph import lower

        g = lower(build(step, *specs), be)
        after = optimize(g, be)
        assert len(after.op_nodes) < len(g.op_nodes)
        assert "full_like" not in ops_of(after)
        consts = [n for n in after.nodes if n.kind == "const"]
        keys = [(n.outputs[0].dtype, n.outputs[0].shape, str(n.value.tolist())) for n in consts]
        assert len(keys) == len(set(keys))        # no duplicate small constants left
        want = run(g, arrays, backend)
        got = run(after, arrays, backend)
        for w, v in zip(want, got):
            np.testing.assert_array_equal(v, w)
    # and the numpy plan agrees with eager interpretation (traced on numpy: eager ops
    # refuse the constants of another default backend)
    with tw.backend_scope("numpy"):
        g = build(step, *specs)
    be = get_backend("numpy")
    eager = interpret(g, [o.convert_to_tensor(a, backend=be) for a in arrays])
    got = compile_graph(g, be).run(arrays)
    for e, v in zip(eager, got):
        np.testing.assert_array_equal(np.asarray(v), e.numpy())
