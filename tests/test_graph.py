"""The graph IR: placeholders, symbolic tensors, tracing, printing, DOT, JSON.

Values are checked against an independent oracle (NumPy on the same inputs, or the same
function run eagerly) on every backend of the ``tw_backend`` fixture; the python backend
gets tiny shapes.
"""

from __future__ import annotations

import builtins
import json
import math
import pickle
from collections import namedtuple

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import ops
from tensorweave.errors import SerializationError, ShapeError, TracingError
from tensorweave.graph.serialize import graph_from_json, graph_to_json


def _np(t):  # noqa: ANN001, ANN202
    return np.asarray(t.tolist()) if hasattr(t, "tolist") else np.asarray(t)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(actual, expected, rtol=1e-5, atol=1e-6) -> None:  # noqa: ANN001
    np.testing.assert_allclose(_np(actual), np.asarray(expected), rtol=rtol, atol=atol)


# ---- placeholders and unknown batch dims -------------------------------------------------------
def test_placeholder_specs() -> None:
    x = tw.placeholder((None, 3), "float64", name="x")
    assert x.shape == (None, 3) and x.dtype is tw.float64 and x.ndim == 2
    assert x.name == "x" and "shape=(None, 3)" in repr(x)
    y = tw.placeholder((2,))
    assert y.dtype is tw.float32


@pytest.mark.parametrize("batch", [1, 2, 5])
def test_none_batch_dim_runs_with_any_batch_size(tw_backend: str, batch: int) -> None:
    x = tw.placeholder((None, 4), name="x")
    w = tw.placeholder((4, 3), name="w")
    b = tw.placeholder((3,), name="b")
    h = ops.softmax(ops.tanh(x @ w + b))
    out = [h, ops.sum(h * h, axis=1), ops.mean(h), ops.max(x, axis=0)]
    g = tw.Graph([x, w, b], out, name="dense")
    assert h.shape == (None, 3) and out[1].shape == (None,) and out[2].shape == ()
    rng = _rng(batch)
    X = rng.standard_normal((batch, 4)).astype("float32")
    W = rng.standard_normal((4, 3)).astype("float32")
    B = rng.standard_normal(3).astype("float32")
    z = np.tanh(X @ W + B)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    res = g(X, W, B)
    assert tuple(res[0].shape) == (batch, 3)
    _close(res[0], p)
    _close(res[1], (p * p).sum(1))
    _close(res[2], p.mean())
    _close(res[3], X.max(0))


def test_a_graph_runs_with_several_batch_sizes_in_turn(tw_backend: str) -> None:
    x = tw.placeholder((None, 2))
    g = tw.Graph([x], [ops.sum(x * 2.0, axis=1)])
    for n in (3, 1, 4, 3):
        X = np.arange(2 * n, dtype="float32").reshape(n, 2)
        _close(g(X), (X * 2).sum(1))


def test_wrong_input_shapes_are_rejected() -> None:
    x = tw.placeholder((None, 3))
    g = tw.Graph([x], [x + 1.0])
    with pytest.raises(ShapeError, match=r"expected shape \(None, 3\), got \(2, 4\)"):
        g(np.zeros((2, 4), "float32"))
    with pytest.raises(tw.errors.TensorweaveError, match="takes 1 inputs, got 2"):
        g(np.zeros((2, 3), "float32"), np.zeros((2, 3), "float32"))


def test_graph_needs_all_its_placeholders() -> None:
    x = tw.placeholder((2,))
    y = tw.placeholder((2,), name="y")
    with pytest.raises(TracingError, match="placeholder y"):
        tw.Graph([x], [x + y])


# ---- symbolic tensor operators -------------------------------------------------------------------
_BINARY = [
    ("+", lambda a, b: a + b), ("-", lambda a, b: a - b), ("*", lambda a, b: a * b),
    ("/", lambda a, b: a / b), ("//", lambda a, b: a // b), ("%", lambda a, b: a % b),
    ("**", lambda a, b: abs(a) ** b), ("<", lambda a, b: a < b), ("<=", lambda a, b: a <= b),
    (">", lambda a, b: a > b), (">=", lambda a, b: a >= b), ("==", lambda a, b: a == b),
    ("!=", lambda a, b: a != b), ("radd", lambda a, b: 2.0 + a), ("rsub", lambda a, b: 1.0 - b),
    ("rmul", lambda a, b: 3 * a), ("rtruediv", lambda a, b: 1.0 / b),
    ("rpow", lambda a, b: 2.0 ** a), ("neg", lambda a, b: -a), ("abs", lambda a, b: abs(b)),
]


@pytest.mark.parametrize("name,fn", _BINARY, ids=[n for n, _ in _BINARY])
def test_symbolic_operators(tw_backend: str, name: str, fn) -> None:  # noqa: ANN001
    rng = _rng(1)
    A = rng.uniform(-2, 2, (2, 3)).astype("float64")
    Bv = rng.uniform(0.5, 2, (3,)).astype("float64")
    a = tw.placeholder((None, 3), "float64")
    b = tw.placeholder((3,), "float64")
    out = fn(a, b)
    assert isinstance(out, tw.SymbolicTensor)
    g = tw.Graph([a, b], [out])
    expected = fn(A, Bv)
    got = g(A, Bv)
    assert got.dtype.name == np.asarray(expected).dtype.name
    _close(got, expected, rtol=1e-12, atol=1e-12)


def test_matmul_operator_and_attributes(tw_backend: str) -> None:
    a = tw.placeholder((None, 3))
    w = tw.placeholder((3, 2))
    y = a @ w
    assert y.shape == (None, 2) and y.dtype is tw.float32 and y.ndim == 2
    assert w.T.shape == (2, 3) and a.reshape((-1,)).shape == (None,)
    assert a.reshape(3, -1).shape == (3, None)
    A = np.arange(6, dtype="float32").reshape(2, 3)
    W = np.arange(6, dtype="float32").reshape(3, 2) / 4
    g = tw.Graph([a, w], [y, w.T, w.reshape((6,)), a.astype("int32")])
    r = g(A, W)
    _close(r[0], A @ W)
    _close(r[1], W.T)
    _close(r[2], W.reshape(6))
    assert r[3].dtype is tw.int32


def test_symbolic_indexing_and_slicing(tw_backend: str) -> None:
    x = tw.placeholder((3, 4, 2), "float64")
    X = np.arange(24, dtype="float64").reshape(3, 4, 2)
    idx = np.array([2, 0, 2], dtype="int32")
    outs = [x[1], x[:, 1:3], x[::-1, ::2, 1], x[..., 0], x[None, 0, :, None],
            x[-1, -2], x[idx], x[:, [3, 0]]]
    expected = [X[1], X[:, 1:3], X[::-1, ::2, 1], X[..., 0], X[None, 0, :, None],
                X[-1, -2], X[idx], X[:, [3, 0]]]
    g = tw.Graph([x], outs)
    for o, e, r in zip(outs, expected, g(X)):
        assert o.shape == e.shape
        _close(r, e, 0, 0)


def test_iterating_a_known_leading_dim_unrolls() -> None:
    x = tw.placeholder((3, 2))
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    g = tw.Graph([x], [rows[2] - rows[0]])
    X = np.arange(6, dtype="float32").reshape(3, 2)
    _close(g(X), X[2] - X[0])


# ---- every op family on symbolic inputs ----------------------------------------------------------
def _families():  # noqa: ANN202
    img_k = np.linspace(-1, 1, 3 * 3 * 1 * 2).reshape(3, 3, 1, 2).astype("float32")
    idx = np.array([[1, 0, 2, 3], [0, 0, 1, 2], [3, 2, 1, 0]], dtype="int32")
    return {
        "elementwise": lambda x, y: [
            ops.exp(x) - ops.log1p(ops.abs(y)), ops.where(x > y, x, y), ops.clip(x, -0.5, 0.5),
            ops.cast(x, "float64"), ops.sigmoid(x), ops.maximum(x, 0.2), ops.sqrt(ops.square(y)),
            ops.floor(x * 3), ops.power(ops.abs(x) + 1, y), ops.isnan(x / y),
            ops.logical_and(x > 0, y > 0), ops.sign(y), ops.erf(x), ops.gelu(x)],
        "reduction": lambda x, y: [
            ops.sum(x, axis=0), ops.mean(x), ops.max(y, axis=1, keepdims=True),
            ops.argmax(x, axis=1), ops.var(x, axis=(0, 1)), ops.logsumexp(y, axis=-1),
            ops.prod(x, axis=1), ops.any(x > 0, axis=0), ops.min(x), ops.std(y, axis=0),
            ops.count_nonzero(x > 0)],
        "shape": lambda x, y: [
            ops.reshape(x, (4, 3)), ops.transpose(x), ops.concatenate([x, y], axis=1),
            ops.stack([x, y]), *ops.split(x, 2, axis=1), ops.pad(x, ((1, 0), (0, 2))),
            ops.tile(y, (2, 1)), ops.flip(x, 0), ops.expand_dims(x, 1),
            ops.squeeze(ops.reshape(x, (3, 1, 4))), ops.broadcast_to(y[:1], (2, 3, 4)),
            ops.strided_slice(x, (0, 1), (2, 4)),
            ops.strided_slice_update(x, y[:1, :2], (1, 1), (2, 3)),
            ops.repeat(x, 2, axis=0), ops.moveaxis(ops.expand_dims(x, 0), 0, 2), ops.ravel(y)],
        "indexing": lambda x, y: [
            ops.take(x, np.array([2, 0], "int32"), axis=0),
            ops.take_along_axis(x, idx, axis=1), ops.one_hot(ops.argmax(y, axis=1), 4),
            ops.scatter_add(x, np.array([[0], [2], [0]], "int32"), y),
            ops.gather_nd(x, np.array([[0, 1], [2, 3]], "int32")), ops.sort(y),
            ops.argsort(x, axis=0), *ops.top_k(x, 2)],
        "linalg": lambda x, y: [
            x @ ops.transpose(y), ops.einsum("ij,kj->ik", x, y), ops.dot(x, ops.transpose(y)),
            ops.outer(x[0], y[1]), ops.tensordot(x, y, axes=([1], [1])),
            ops.trace(x[:, :3]), ops.vdot(x, y)],
        "nn": lambda x, y: [
            ops.conv(ops.reshape(x, (1, 3, 4, 1)), img_k, padding="same"),
            ops.conv_transpose(ops.reshape(y, (1, 3, 4, 1)), np.ones((2, 2, 1, 1), "float32"),
                               strides=2),
            ops.depthwise_conv(ops.reshape(x, (1, 3, 4, 1)), np.ones((2, 2, 1, 2), "float32")),
            ops.max_pool(ops.reshape(x, (1, 3, 4, 1)), 2, padding="same"),
            ops.avg_pool(ops.reshape(y, (1, 3, 4, 1)), (1, 2)),
            ops.softmax(x, axis=0), ops.log_softmax(y), ops.relu6(x * 4), ops.silu(y),
            ops.extract_patches(ops.reshape(x, (1, 3, 4, 1)), (2, 2))],
        "creation": lambda x, y: [
            ops.zeros_like(x), ops.ones_like(y, dtype="int32"), ops.full_like(x, 2.5),
            x + ops.eye(3, 4), y * ops.arange(4, dtype="float32"), ops.tril(x), ops.triu(y, 1)],
    }


@pytest.mark.parametrize("family", sorted(_families()))
def test_every_op_family_on_symbolic_inputs(tw_backend: str, family: str) -> None:
    """Recording then running a graph gives what the ops give eagerly."""
    fn = _families()[family]
    rng = _rng(3)
    X = rng.uniform(-2, 2, (3, 4)).astype("float32")
    Y = rng.uniform(0.5, 2, (3, 4)).astype("float32")
    x, y = tw.placeholder((3, 4)), tw.placeholder((3, 4))
    sym = fn(x, y)
    assert all(isinstance(s, tw.SymbolicTensor) for s in sym)
    g = tw.Graph([x, y], sym, name=family)
    got = g(X, Y)
    eager = fn(ops.convert_to_tensor(X), ops.convert_to_tensor(Y))
    assert len(got) == len(eager)
    for k, (s, r, e) in enumerate(zip(sym, got, eager)):
        assert tuple(s.shape) == tuple(e.shape) == tuple(r.shape), (family, k)
        assert s.dtype is e.dtype is r.dtype, (family, k)
        _close(r, _np(e), rtol=2e-6, atol=2e-6)


def test_same_graph_same_results_on_numpy_and_python() -> None:
    x = tw.placeholder((None, 4))
    k = tw.placeholder((2, 2, 1, 3))
    img = ops.reshape(x, (-1, 2, 2, 1))
    y = ops.conv(img, k, padding="same")
    z = ops.softmax(ops.reshape(y, (-1, 12)))
    out = [z, ops.logsumexp(z * 3.0, axis=1), ops.argmax(z, axis=1), ops.max_pool(y, 2)]
    g = tw.Graph([x, k], out)
    rng = _rng(4)
    X = rng.standard_normal((2, 4)).astype("float32")
    K = rng.standard_normal((2, 2, 1, 3)).astype("float32")
    a = g.run(X, K, backend="numpy")
    b = g.run(X, K, backend="python")
    assert [r.backend for r in a] == ["numpy"] * 4 and [r.backend for r in b] == ["python"] * 4
    for u, v in zip(a, b):
        assert u.dtype is v.dtype and tuple(u.shape) == tuple(v.shape)
        _close(u, _np(v), rtol=1e-6, atol=1e-6)


# ---- printing and DOT ----------------------------------------------------------------------------
def _small_graph() -> tw.Graph:
    x = tw.placeholder((None, 3), name="x")
    w = tw.placeholder((3, 2), name="w")
    y = ops.relu(x @ w + 1.0)
    return tw.Graph([x, w], [ops.sum(y, axis=1)], name="small")


def test_print_graph_one_line_per_node(capsys) -> None:  # noqa: ANN001
    g = _small_graph()
    print(g)
    assert capsys.readouterr().out == (
        "small(x: float32[?,3], w: float32[3,2]) {\n"
        "  %0: float32[?,2] = matmul(x, w)\n"
        "  %1: float32[] = const 1.0\n"
        "  %2: float32[?,2] = add(%0, %1)\n"
        "  %3: float32[?,2] = relu(%2)\n"
        "  %4: float32[?] = sum(%3, axis=(1,), keepdims=False)\n"
        "  return %4\n"
        "}\n")
    assert repr(g) == g.to_text() and len(g) == 7 and len(g.op_nodes) == 4


def test_print_shows_dtype_attrs_and_variables() -> None:
    v = tw.Variable(np.ones(2, "float32"), name="scale")
    g = tw.trace(lambda a: ops.cast(a, "float64") * v, np.zeros(2, "float32"))
    text = g.to_text().splitlines()
    assert text[1] == "  %0: float64[2] = cast(%in0, dtype=float64)"
    assert "= variable 'scale'" in text[2]


def test_to_dot_lists_nodes_and_edges() -> None:
    g = _small_graph()
    dot = g.to_dot()
    assert dot.startswith('digraph "small" {') and dot.rstrip().endswith("}")
    ids = {n.op_name: n.id for n in g.nodes if n.kind == "op"}
    inputs = [t.node.id for t in g.inputs]
    assert f'n{inputs[0]} [label="input x", shape=ellipse];' in dot
    for op in ("matmul", "add", "relu", "sum"):
        assert f'n{ids[op]} [label="{op}", shape=box];' in dot
    assert f'n{inputs[0]} -> n{ids["matmul"]} [label="float32[?,3]"];' in dot
    assert f'n{ids["matmul"]} -> n{ids["add"]} [label="float32[?,2]"];' in dot
    assert f'n{ids["sum"]} -> out0 [label="float32[?]"];' in dot
    assert dot.count("->") == 7  # 6 edges between nodes and one to the output


# ---- Python control flow and shape errors --------------------------------------------------------
@pytest.mark.parametrize("what", ["if", "float", "int", "index", "numpy", "asarray", "iter"])
def test_python_control_flow_on_symbolic_values_raises(what: str) -> None:
    def f(x):  # noqa: ANN001, ANN202
        if what == "if":
            if ops.sum(x) > 0:
                return x
            return -x
        if what == "float":
            return float(ops.sum(x))
        if what == "int":
            return int(ops.sum(x))
        if what == "index":
            return [1, 2, 3][ops.argmax(x)]
        if what == "numpy":
            return x.numpy()
        if what == "asarray":
            return np.asarray(x)
        return [r for r in x]

    with pytest.raises(TracingError) as info:
        if what == "iter":
            f(tw.placeholder((None, 3)))
        else:
            tw.trace(f, np.ones(3, "float32"))
    msg = str(info.value)
    assert "symbolic tensor" in msg and "not known while tracing" in msg
    assert "tw.ops.where" in msg and "static argument" in msg


@pytest.mark.parametrize("build,op", [
    (lambda: tw.placeholder((None, 3)) + tw.placeholder((4,)), "add"),
    (lambda: tw.placeholder((None, 3)) @ tw.placeholder((4, 2)), "matmul"),
    (lambda: ops.reshape(tw.placeholder((2, 3)), (4,)), "reshape"),
    (lambda: ops.concatenate([tw.placeholder((2, 3)), tw.placeholder((2, 4))]), "concatenate"),
    (lambda: ops.conv(tw.placeholder((1, 4, 4, 2)), tw.placeholder((3, 3, 3, 1))), "conv"),
    (lambda: ops.where(tw.placeholder((2,), "bool"), tw.placeholder((3,)), 0.0), "where"),
    (lambda: ops.broadcast_to(tw.placeholder((3,)), (2, 4)), "broadcast_to"),
])
def test_shape_errors_at_build_time_name_the_op(build, op: str) -> None:  # noqa: ANN001
    with pytest.raises(ShapeError) as info:
        build()
    assert op in str(info.value)


# ---- tw.trace over nested structures -------------------------------------------------------------
def test_trace_nested_lists_tuples_dicts_with_static_leaves(tw_backend: str) -> None:
    calls = []

    def f(params, batch, scale, mode):  # noqa: ANN001, ANN202
        calls.append((scale, mode))
        x, (y, k) = batch
        h = x @ params["w"] + params["b"]
        h = ops.relu(h) if mode == "relu" else ops.tanh(h)
        return {"out": h * scale, "aux": [ops.sum((h - y) ** 2), k]}

    rng = _rng(5)
    W = rng.standard_normal((3, 2)).astype("float32")
    B = rng.standard_normal(2).astype("float32")
    X = rng.standard_normal((4, 3)).astype("float32")
    Y = rng.standard_normal((4, 2)).astype("float32")
    g = tw.trace(f, {"w": W, "b": B}, [X, (Y, 7)], 2.0, "relu")
    assert calls == [(2.0, "relu")]
    assert len(g.inputs) == 4 and len(g.outputs) == 2  # array leaves only
    assert [tuple(t.shape) for t in g.inputs] == [(2,), (3, 2), (4, 3), (4, 2)]  # b < w
    outs = g(B, W, X, Y)
    tree = tw.graph.tree_unflatten(g.out_tree, outs)
    assert set(tree) == {"out", "aux"} and tree["aux"][1] == 7
    h = np.maximum(X @ W + B, 0)
    _close(tree["out"], h * 2.0)
    _close(tree["aux"][0], ((h - Y) ** 2).sum(), rtol=1e-5)
    assert calls == [(2.0, "relu")]  # running does not call f again
    leaves, structure = tw.graph.tree_flatten({"b": B, "w": W})
    assert len(leaves) == 2 and tw.graph.tree_unflatten(structure, leaves)["w"] is W


def test_trace_rejects_unhashable_static_leaves() -> None:
    with pytest.raises(TypeError, match="cannot trace through a set"):
        tw.trace(lambda x, s: x, np.ones(2), {1, 2})


# ---- JSON ----------------------------------------------------------------------------------------
def _strict_loads(text: str) -> dict:
    def bad(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=bad)


def _rich_graph() -> tw.Graph:
    x = tw.placeholder((None, 3), name="x")
    k = tw.placeholder((2, 2, 1, 2), "float64")
    idx = tw.placeholder((2,), "int32", name="idx")
    c_special = ops.convert_to_tensor([[math.inf, -math.inf, -0.0]], "float32")
    c_nan = ops.convert_to_tensor([math.nan, 1.5], "float64")
    big = ops.convert_to_tensor([2**62, -(2**63)], "int64")
    flags = ops.convert_to_tensor([True, False, True], "bool")
    empty = ops.zeros((0, 3), "float32")
    small = ops.convert_to_tensor([255, 0, 7], "uint8")
    half = ops.convert_to_tensor([0.5, 65504.0, -2.0], "float16")
    bf = ops.convert_to_tensor([1.0, 2.0**100, -0.0078125], "bfloat16")
    y = ops.where(flags, x + c_special, ops.full_like(x, math.inf))
    y = ops.clip(y, -1e4, 1e4) + ops.cast(small, "float32") + ops.cast(half, "float32")
    y = ops.concatenate([y, empty], axis=0) * ops.cast(bf, "float32")
    img = ops.reshape(ops.cast(x, "float64"), (-1, 3, 1, 1))
    conv = ops.conv_transpose(ops.pad(img, ((0, 0), (1, 0), (0, 1), (0, 0))), k[..., :1],
                              strides=(1, 2), padding="same")
    x64 = ops.cast(x, "float64")
    e = ops.einsum("ij,ij->i", x64[:, :2], ops.maximum(x64[:, :2], c_nan))  # NaN propagates
    t = ops.take(ops.cast(big, "float64"), idx % 2)
    return tw.Graph([x, k, idx], [y, conv, e, t, ops.mean(y, axis=(0, 1), keepdims=True)],
                    name="rich")


def test_json_round_trip_keeps_text_and_values(tw_backend: str) -> None:
    g = _rich_graph()
    text = g.to_json()
    doc = _strict_loads(text)
    assert doc["format"] == "tensorweave.graph" and doc["version"] == 1
    kinds = [n["kind"] for n in doc["nodes"]]
    assert kinds.count("input") == 3 and "variable" not in kinds
    g2 = tw.Graph.from_json(text)
    assert g2.to_text() == g.to_text()
    assert g2.to_json() == text
    assert [t.shape for t in g2.inputs] == [(None, 3), (2, 2, 1, 2), (2,)]
    rng = _rng(6)
    X = rng.standard_normal((2, 3)).astype("float32")
    K = rng.standard_normal((2, 2, 1, 2))
    I = np.array([1, 0], "int32")  # noqa: E741
    for a, b in zip(g.run(X, K, I), g2.run(X, K, I)):
        assert a.dtype is b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(_np(a), _np(b))
    # the loaded graph gives the same on the other backend too
    other = "python" if tw_backend != "python" else "numpy"
    for a, b in zip(g.run(X, K, I), g2.run(X, K, I, backend=other)):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-6, atol=1e-6)


def test_json_constants_attrs_and_specials_are_plain_data() -> None:
    g = _rich_graph()
    doc = _strict_loads(g.to_json())
    consts = [n for n in doc["nodes"] if n["kind"] == "const"]
    values = [c["value"] for c in consts]
    assert [["inf", "-inf", -0.0]] in values and ["nan", 1.5] in values
    assert [2**62, -(2**63)] in values and [True, False, True] in values
    assert any(c["shape"] == [0, 3] and c["value"] == [] for c in consts)
    ops_ = {n["op"]: n for n in doc["nodes"] if n["kind"] == "op"}
    assert ops_["cast"]["attrs"]["dtype"] in ({"dtype": "float32"}, {"dtype": "float64"})
    assert ops_["full_like"]["attrs"]["value"] == {"float": "inf"}
    assert ops_["pad"]["attrs"]["pad_width"] == [[0, 0], [1, 0], [0, 1], [0, 0]]
    assert ops_["conv_transpose"]["attrs"]["padding"] == "same"
    assert ops_["conv_transpose"]["attrs"]["output_padding"] is None
    assert ops_["einsum"]["attrs"]["subscripts"] == "ij,ij->i"
    g2 = tw.Graph.from_json(g.to_json())
    node = next(n for n in g2.op_nodes if n.op_name == "pad")
    assert node.attrs["pad_width"] == ((0, 0), (1, 0), (0, 1), (0, 0))  # tuples again
    cast = next(n for n in g2.op_nodes if n.op_name == "cast")
    assert isinstance(cast.attrs["dtype"], tw.dtypes.DType)
    full = next(n for n in g2.op_nodes if n.op_name == "full_like")
    assert full.attrs["value"] == math.inf


def test_json_keeps_trees_and_drops_namedtuples() -> None:
    def f(d, pair):  # noqa: ANN001, ANN202
        return [d["a"] + pair[0], (pair[1] * 2.0, "tag", None)]

    g = tw.trace(f, {"a": np.ones(2, "float32")}, (np.ones(2, "float32"), np.ones(2, "float32")))
    g2 = tw.Graph.from_json(g.to_json())
    assert g2.in_tree == g.in_tree and g2.out_tree == g.out_tree
    out = tw.graph.tree_unflatten(g2.out_tree, g2(*[np.ones(2, "float32")] * 3))
    assert out[1][1:] == ("tag", None)
    P = namedtuple("P", "u v")
    g3 = tw.trace(lambda p: p.u * p.v, P(np.ones(2, "float32"), np.ones(2, "float32")))
    g4 = tw.Graph.from_json(g3.to_json())
    assert g4.in_tree is None and g4.out_tree == g3.out_tree
    assert g4.to_text() == g3.to_text()


def test_json_variables_are_refused_unless_bound() -> None:
    v = tw.Variable(np.array([1.0, 2.0], "float32"), name="v")
    g = tw.trace(lambda a: a * v, np.ones(2, "float32"))
    text = g.to_json()
    doc = _strict_loads(text)
    var = [n for n in doc["nodes"] if n["kind"] == "variable"]
    assert var == [{"kind": "variable", "name": "v", "shape": [2], "dtype": "float32"}]
    assert "1.0" not in text and "2.0" not in text  # no values: state is not structure
    with pytest.raises(SerializationError, match=r"variable\(s\) 'v'.*variables="):
        tw.Graph.from_json(text)
    # bind to a live variable: read afresh at every run
    w = tw.Variable(np.array([3.0, 4.0], "float32"), name="v")
    g2 = graph_from_json(text, variables={"v": w})
    _close(g2(np.ones(2, "float32")), [3.0, 4.0])
    w.assign(np.array([5.0, 6.0], "float32"))
    _close(g2(np.ones(2, "float32")), [5.0, 6.0])
    assert g2.variables() == [w]
    _close(graph_from_json(text, variables=[w])(np.ones(2, "float32")), [5.0, 6.0])
    # or as extra trailing inputs
    g3 = graph_from_json(text, variables="inputs")
    assert g3.variable_inputs == ["v"] and len(g3.inputs) == 2
    _close(g3(np.ones(2, "float32"), np.array([7.0, 8.0], "float32")), [7.0, 8.0])
    with pytest.raises(SerializationError, match="'v' is not among"):
        graph_from_json(text, variables={"other": w})
    bad = tw.Variable(np.zeros(3, "float32"), name="v")
    with pytest.raises(SerializationError, match="has shape"):
        graph_from_json(text, variables={"v": bad})


def test_json_model_variables_bind_by_path() -> None:
    from tensorweave import layers

    model = tw.Sequential([tw.Input((4,)), layers.Dense(3, activation="relu"),
                           layers.Dense(2)])
    X = _rng(8).standard_normal((2, 4)).astype("float32")
    g = tw.trace(lambda x: model(x), X)
    text = g.to_json()
    var_nodes = [n for n in _strict_loads(text)["nodes"] if n["kind"] == "variable"]
    paths = [n.get("path") for n in var_nodes]
    assert [n["name"] for n in var_nodes] == ["kernel", "bias", "kernel", "bias"]
    assert len(set(paths)) == 4 and all("/" in p for p in paths)  # names repeat, paths not
    g2 = graph_from_json(text, variables=model.weights)
    assert g2.to_text() == g.to_text()
    _close(g2(X), _np(model(X)))
    k = model.weights[0]
    k.assign(np.zeros(k.shape, "float32"))  # the loaded graph reads the live variables
    _close(g2(X), _np(model(X)))
    g3 = graph_from_json(text, variables="inputs")
    assert g3.variable_inputs == paths and len(g3.inputs) == 5


def test_json_refuses_two_variables_with_one_name() -> None:
    a = tw.Variable(np.ones(2, "float32"), name="same")
    b = tw.Variable(np.ones(2, "float32"), name="same")
    g = tw.trace(lambda x: x * a + b, np.ones(2, "float32"))
    with pytest.raises(SerializationError, match="both named 'same'"):
        graph_to_json(g)


def _doc() -> dict:
    x = tw.placeholder((None, 3), name="x")
    return json.loads(tw.Graph([x], [ops.sum(x * 2.0, axis=1)]).to_json())


def _mutate(fn) -> str:  # noqa: ANN001
    d = _doc()
    fn(d)
    return json.dumps(d)


@pytest.mark.parametrize("text,match", [
    ("{not json", "malformed JSON"),
    ('{"a": NaN}', "NaN is not valid JSON"),
    ("[1, 2]", "expected an object"),
    (_mutate(lambda d: d.update(format="other")), "'format' must be"),
    (_mutate(lambda d: d.update(version=2)), "version 2 is not supported"),
    (_mutate(lambda d: d.update(version="1")), "'version' must be an integer"),
    (_mutate(lambda d: d.pop("nodes")), "missing key 'nodes'"),
    (_mutate(lambda d: d["nodes"][3].update(op="no_such_op")), "unknown op 'no_such_op'"),
    (_mutate(lambda d: d["nodes"][3].update(op="__import__('os').system")), "unknown op"),
    (_mutate(lambda d: d["nodes"][2].update(inputs=[[0, 0], [9, 0]])), "not an earlier node"),
    (_mutate(lambda d: d["nodes"][2].update(inputs=[[0, 0], [2, 0]])), "not an earlier node"),
    (_mutate(lambda d: d["nodes"][2].update(inputs=[[0, 0], [1, 3]])), "output 3 of node 1"),
    (_mutate(lambda d: d["nodes"][2].update(inputs=[[0, 0], "1"])), "must be [node, output]"),
    (_mutate(lambda d: d.update(outputs=[[7, 0]])), "not an earlier node"),
    (_mutate(lambda d: d["nodes"][0].update(shape=["3"])), "non-negative integers"),
    (_mutate(lambda d: d["nodes"][0].update(shape=[-1, 3])), "non-negative integers"),
    (_mutate(lambda d: d["nodes"][0].update(dtype="float128")), "unknown dtype 'float128'"),
    (_mutate(lambda d: d["nodes"][0].update(kind="python")), "unknown node kind 'python'"),
    (_mutate(lambda d: d["nodes"].__setitem__(1, 5)), "node 1: expected an object"),
    (_mutate(lambda d: d["nodes"][1].update(value=[1.0])), "0-d constant"),
    (_mutate(lambda d: d["nodes"][1].update(value="abc")), "not a valid float32 element"),
    (_mutate(lambda d: d["nodes"][1].update(value=True)), "not a valid float32 element"),
    ('{"n": ' + "9" * 5000 + "}", "malformed JSON"),
    ('{"format": "tensorweave.graph", "nodes": ' + "[" * 100000 + "]" * 100000 + "}",
     "nested too deeply"),
    (_mutate(lambda d: d["nodes"][1].update(shape=[2], value=[1.0])), "does not have shape"),
    (_mutate(lambda d: d["nodes"][1].update(dtype="int8", value=300)), "out of range"),
    (_mutate(lambda d: d["nodes"][1].update(dtype="int32", value=1.5)), "not a valid int32"),
    (_mutate(lambda d: d["nodes"][3]["attrs"].update(axis={"eval": "1"})), "attribute object"),
    (_mutate(lambda d: d["nodes"][3]["attrs"].update(axis=[7])), "rejects its inputs"),
    (_mutate(lambda d: d["nodes"][3]["attrs"].update(bogus=1)), "rejects its inputs"),
    (_mutate(lambda d: d["nodes"][3]["attrs"].update(axis=[0])), "the file says shape"),
    (_mutate(lambda d: d["nodes"][2]["outputs"][0].update(dtype="float64")), "file says"),
    (_mutate(lambda d: d.update(inputs=[0, 0])), "listed twice"),
    (_mutate(lambda d: d.update(inputs=[2])), "not an input"),
    (_mutate(lambda d: d.update(inputs=[])), "placeholder"),
    (_mutate(lambda d: d.update(in_tree={"t": "list", "items": []})), "0 array leaves"),
    (_mutate(lambda d: d.update(in_tree={"t": "pickle", "items": []})), "unknown tree tag"),
])
def test_json_errors_are_serialization_errors(text: str, match: str) -> None:
    with pytest.raises(SerializationError) as info:
        tw.Graph.from_json(text)
    assert match in str(info.value)


def test_json_rejects_unwritable_attributes() -> None:
    from tensorweave.graph.ir import Graph, Node, SymbolicTensor

    x = tw.placeholder((2,))
    node = Node("op", tw.ops.get_op("neg"), [x], {"weird": {1: 2}})
    node.outputs = [SymbolicTensor(node, 0, (2,), tw.float32)]
    with pytest.raises(SerializationError, match="attribute 'weird'"):
        Graph([x], node.outputs).to_json()


def test_loading_runs_no_code(monkeypatch) -> None:  # noqa: ANN001
    def forbidden(*a, **k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("loading a graph must not eval or unpickle")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "load", forbidden)
    g = _rich_graph()
    g2 = tw.Graph.from_json(g.to_json().encode("utf-8"))  # bytes are fine too
    assert g2.to_text() == g.to_text()
