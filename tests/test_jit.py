"""``tw.jit``: tracing per signature, static arguments, variables, composition with grad.

Trace counts come from a side effect in the Python function (it runs only while tracing);
values are checked against the eager function or NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import ops
from tensorweave.errors import TracingError


def _np(t):  # noqa: ANN001, ANN202
    return np.asarray(t.tolist())


def _close(actual, expected, rtol=1e-6, atol=1e-7) -> None:  # noqa: ANN001
    np.testing.assert_allclose(_np(actual), np.asarray(expected), rtol=rtol, atol=atol)


def _counted():  # noqa: ANN202
    traces: list = []

    def f(x, y):  # noqa: ANN001, ANN202
        traces.append((tuple(x.shape), x.dtype))
        return ops.tanh(x) * y + 1.0

    return f, traces


# ---- caching ----------------------------------------------------------------------------------
def test_same_signature_traces_once(tw_backend: str) -> None:
    f, traces = _counted()
    jf = tw.jit(f)
    x = np.ones((2, 3), "float32")
    for k in range(4):
        y = np.full((2, 3), float(k), "float32")
        _close(jf(x, y), np.tanh(x) * y + 1)
    assert len(traces) == 1
    # new values of the same shape and dtype: same plan
    jf(np.zeros((2, 3), "float32"), np.ones((2, 3), "float32"))
    assert len(traces) == 1


def test_shape_dtype_and_structure_changes_retrace(tw_backend: str) -> None:
    f, traces = _counted()
    jf = tw.jit(f)
    jf(np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))
    jf(np.ones((4, 3), "float32"), np.ones((4, 3), "float32"))  # shape
    assert len(traces) == 2
    jf(np.ones((2, 3), "float64"), np.ones((2, 3), "float64"))  # dtype
    assert len(traces) == 3 and traces[-1][1] is tw.float64
    jf(np.ones((2, 3), "float32"), np.ones((2, 3), "float32"))  # seen before
    assert len(traces) == 3
    jf(np.ones((2, 3), "float32"), np.ones((3,), "float32"))  # the second argument's shape
    assert len(traces) == 4

    g_traces = []

    @tw.jit
    def g(tree):  # noqa: ANN001, ANN202
        g_traces.append(1)
        return ops.sum(tree["a"]) + ops.sum(tree["b"][0])

    a = np.ones(2, "float32")
    g({"a": a, "b": [a]})
    g({"a": a, "b": [a]})
    g({"a": a, "b": (a,)})  # list -> tuple is another structure
    assert len(g_traces) == 2


def test_backend_change_retraces() -> None:
    f, traces = _counted()
    jf = tw.jit(f)
    x = np.array([0.5, -1.0], "float32")
    a = jf(tw.ops.convert_to_tensor(x, backend="numpy"),
           tw.ops.convert_to_tensor(x, backend="numpy"))
    b = jf(tw.ops.convert_to_tensor(x, backend="python"),
           tw.ops.convert_to_tensor(x, backend="python"))
    assert a.backend == "numpy" and b.backend == "python"
    assert len(traces) == 2
    _close(a, _np(b))
    with tw.backend_scope("python"):  # NumPy arrays go to the current backend
        c = jf(x, x)
    assert c.backend == "python" and len(traces) == 2


def test_clear_cache_retraces() -> None:
    f, traces = _counted()
    jf = tw.jit(f)
    x = np.ones(2, "float32")
    jf(x, x)
    jf.clear_cache()
    jf(x, x)
    assert len(traces) == 2


# ---- static arguments ---------------------------------------------------------------------------
def test_static_argnums(tw_backend: str) -> None:
    traces = []

    def f(x, n, mode):  # noqa: ANN001, ANN202
        traces.append((n, mode))
        for _ in range(n):  # Python control flow on static values is fine
            x = x * 2.0
        return ops.relu(x) if mode == "relu" else ops.abs(x)

    jf = tw.jit(f, static_argnums=(1, 2))
    x = np.array([-1.0, 2.0], "float32")
    _close(jf(x, 2, "relu"), [0.0, 8.0])
    _close(jf(x, 2, "relu"), [0.0, 8.0])
    assert traces == [(2, "relu")]
    _close(jf(x, 3, "relu"), [0.0, 16.0])
    _close(jf(x, 2, "abs"), [4.0, 8.0])
    assert traces == [(2, "relu"), (3, "relu"), (2, "abs")]
    single = tw.jit(f, static_argnums=1)  # an int is accepted too
    _close(single(x, 1, "abs"), [2.0, 4.0])

    @tw.jit(static_argnums=1)
    def g(x, axis):  # noqa: ANN001, ANN202
        return ops.sum(x, axis=axis)

    m = np.arange(6, dtype="float32").reshape(2, 3)
    _close(g(m, 0), m.sum(0))
    _close(g(m, 1), m.sum(1))


def test_python_scalars_are_static(tw_backend: str) -> None:
    traces = []

    @tw.jit
    def f(x, scale, flag):  # noqa: ANN001, ANN202
        traces.append((scale, flag))
        return x * scale if flag else x - scale

    x = np.array([1.0, 2.0], "float32")
    _close(f(x, 2.0, True), [2.0, 4.0])
    _close(f(x, 2.0, True), [2.0, 4.0])
    _close(f(x, 3.0, True), [3.0, 6.0])  # a new value is a new trace, not a stale one
    _close(f(x, 3.0, False), [-2.0, -1.0])
    assert traces == [(2.0, True), (3.0, True), (3.0, False)]
    assert f.trace(x, 5, True).inputs[0].shape == (2,) and len(f.trace(x, 5, True).inputs) == 1


# ---- jit equals eager ----------------------------------------------------------------------------
def _mlp(x, w, b):  # noqa: ANN001, ANN202
    return ops.softmax(ops.relu(x @ w + b))


def _norm(x, w, b):  # noqa: ANN001, ANN202
    m = ops.mean(x, axis=-1, keepdims=True)
    return (x - m) / ops.sqrt(ops.var(x, axis=-1, keepdims=True) + 1e-5) * ops.sum(w) + b[0]


def _index(x, w, b):  # noqa: ANN001, ANN202
    top, idx = ops.top_k(x, 2)
    return {"top": top, "idx": idx, "mix": ops.take(w, idx[:, 0], axis=0) + b[:3],
            "flip": x[::-1, 1:]}


@pytest.mark.parametrize("fn", [_mlp, _norm, _index], ids=["mlp", "norm", "index"])
def test_jit_equals_eager(tw_backend: str, fn) -> None:  # noqa: ANN001
    rng = np.random.default_rng(7)
    x = tw.ops.convert_to_tensor(rng.standard_normal((4, 3)).astype("float32"))
    w = tw.ops.convert_to_tensor(rng.standard_normal((3, 3)).astype("float32"))
    b = tw.ops.convert_to_tensor(rng.standard_normal((3,)).astype("float32"))
    eager = fn(x, w, b)
    jitted = tw.jit(fn)(x, w, b)
    e_leaves, e_tree = tw.graph.tree_flatten(eager)
    j_leaves, j_tree = tw.graph.tree_flatten(jitted)
    assert e_tree == j_tree
    for e, j in zip(e_leaves, j_leaves):
        assert e.dtype is j.dtype and tuple(e.shape) == tuple(j.shape)
        assert j.backend == tw_backend
        _close(j, _np(e), rtol=2e-6, atol=2e-6)


# ---- variables -----------------------------------------------------------------------------------
def test_variables_are_read_afresh_each_call(tw_backend: str) -> None:
    v = tw.Variable(np.array([1.0, 2.0], "float32"), name="v")
    traces = []

    @tw.jit
    def f(x):  # noqa: ANN001, ANN202
        traces.append(1)
        return x * v + ops.sum(v)

    x = np.array([1.0, 1.0], "float32")
    _close(f(x), [4.0, 5.0])
    v.assign(np.array([10.0, 20.0], "float32"))
    _close(f(x), [40.0, 50.0])
    v.assign_add(np.array([1.0, 1.0], "float32"))
    _close(f(x), [43.0, 53.0])
    assert len(traces) == 1
    assert "variable 'v'" in f.trace(x).to_text()


def test_assigning_a_variable_inside_jit_is_a_clear_error(tw_backend: str) -> None:
    v = tw.Variable(np.zeros(2, "float32"), name="counter")

    @tw.jit
    def step(x):  # noqa: ANN001, ANN202
        v.assign(v + x)
        return x

    with pytest.raises(TracingError, match="Variable 'counter': cannot assign inside a traced "
                                           "function"):
        step(np.ones(2, "float32"))

    @tw.jit
    def step_add(x):  # noqa: ANN001, ANN202
        v.assign_add(x)
        return x

    with pytest.raises(TracingError, match="cannot assign"):
        step_add(np.ones(2, "float32"))
    _close(v.value, [0.0, 0.0])


def test_assigning_a_concrete_value_inside_jit_is_an_error() -> None:
    v = tw.Variable(np.zeros(2, "float32"), name="c")

    @tw.jit
    def step(x):  # noqa: ANN001, ANN202
        v.assign(np.ones(2, "float32"))
        return x

    with pytest.raises(TracingError):
        step(np.ones(2, "float32"))


# ---- composition ---------------------------------------------------------------------------------
def test_jit_inside_grad_and_grad_inside_jit(tw_backend: str) -> None:
    X = np.array([0.3, -1.2, 2.0])
    inner_traces = []

    @tw.jit
    def inner(x):  # noqa: ANN001, ANN202
        inner_traces.append(1)
        return ops.sin(x) * x

    g = tw.grad(lambda x: ops.sum(inner(x)))(X)
    _close(g, np.cos(X) * X + np.sin(X), rtol=1e-12)
    _close(inner(X), np.sin(X) * X, rtol=1e-12)

    outer_traces = []

    @tw.jit
    def outer(x):  # noqa: ANN001, ANN202
        outer_traces.append(1)
        return tw.grad(lambda z: ops.sum(ops.exp(z) * z))(x)

    for _ in range(3):
        _close(outer(X), np.exp(X) * (X + 1), rtol=1e-12)
    assert len(outer_traces) == 1
    vg = tw.jit(tw.value_and_grad(lambda z: ops.sum(z ** 3)))
    v, d = vg(X)
    _close(v, (X ** 3).sum(), rtol=1e-12)
    _close(d, 3 * X ** 2, rtol=1e-12)
    hess_diag = tw.jit(tw.grad(lambda x: ops.sum(tw.jit(tw.grad(lambda z: ops.sum(z ** 3)))(x))))
    _close(hess_diag(X), 6 * X, rtol=1e-12)


def test_jitted_trace_returns_the_graph() -> None:
    @tw.jit
    def f(x, y):  # noqa: ANN001, ANN202
        return {"s": ops.sum(x * y), "p": x @ ops.transpose(y)}

    x = np.ones((2, 3), "float32")
    g = f.trace(x, x)
    assert isinstance(g, tw.Graph) and g.name == "f"
    assert [t.shape for t in g.inputs] == [(2, 3), (2, 3)]
    text = g.to_text()
    assert text.startswith("f(%in0: float32[2,3], %in1: float32[2,3]) {")
    assert "= matmul(" in text and "= sum(" in text
    out = tw.graph.tree_unflatten(g.out_tree, g(x, x))
    _close(out["s"], 6.0)
    _close(out["p"], np.full((2, 2), 3.0))
    assert f.__name__ == "f"


def test_donated_arguments_are_updated_in_place_and_results_match() -> None:
    def sgd(w, g):  # noqa: ANN001, ANN202
        return w - 0.5 * g

    w = np.ones((64, 32), "float32")
    g = np.full((64, 32), 2.0, "float32")
    expect = w - 0.5 * g
    plain = tw.jit(sgd)
    donating = tw.jit(sgd, donate_argnums=0)
    _close(plain(tw.ops.convert_to_tensor(w), g), expect)
    wt = tw.ops.convert_to_tensor(w.copy())
    out = donating(wt, g)
    _close(out, expect)
    out2 = donating(out, g)  # chaining donated outputs keeps working
    _close(out2, expect - 1.0)
