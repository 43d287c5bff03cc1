"""``tw.ops.nn`` against real ``keras.ops.nn`` on shared inputs (numpy and python backends).

Each case calls the same op name with the same arguments on both sides; gradients are
compared with JAX's (through Keras's ops) and, for a few ops, with float64 finite
differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorweave as tw

BACKENDS = ["numpy", "python"]


def _cases(r: np.random.Generator) -> list[tuple[str, tuple, dict, dict]]:
    """(op name, args, kwargs, tolerances) cases shared by both libraries."""
    f = lambda *s: r.normal(size=s).astype("float32")  # noqa: E731
    x = f(2, 3, 6)
    img = f(2, 5, 6, 3)
    p = r.uniform(0.05, 1.0, size=(3, 5)).astype("float32")
    t_prob = np.eye(5, dtype="float32")[[0, 3, 4]]
    t_bin = (r.uniform(size=(3, 5)) > 0.5).astype("float32")
    q, k, v = f(2, 4, 4, 3), f(2, 5, 2, 3), f(2, 5, 2, 3)
    mask = r.uniform(size=(2, 1, 4, 5)) > 0.3
    mask[..., 0] = True
    ctc_o = f(3, 7, 5)
    ctc_t = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [3, 3, 3, 1]], "int32")
    cases: list[tuple[str, tuple, dict, dict]] = []
    for name in ["celu", "hard_shrink", "hard_tanh", "hard_swish", "soft_shrink", "sparse_plus",
                 "sparse_sigmoid", "squareplus", "tanh_shrink", "relu", "relu6", "sigmoid",
                 "softplus", "softsign", "silu", "swish", "log_sigmoid", "hard_sigmoid",
                 "hard_silu", "selu", "elu", "gelu", "leaky_relu", "softmax", "log_softmax",
                 "glu"]:
        cases.append((name, (x * 2,), {}, {}))
    cases += [
        ("celu", (x,), {"alpha": 0.5}, {}), ("glu", (x,), {"axis": 0}, {}),
        ("hard_shrink", (x,), {"threshold": 1.0}, {}),
        ("soft_shrink", (x,), {"threshold": 0.2}, {}), ("squareplus", (x,), {"b": 2}, {}),
        ("threshold", (x, 0.3, -2.0), {}, {}),
        ("gelu", (x,), {"approximate": False}, {}), ("elu", (x,), {"alpha": 0.3}, {}),
        ("leaky_relu", (x,), {"negative_slope": 0.1}, {}),
        ("softmax", (x,), {"axis": 1}, {}), ("log_softmax", (x,), {"axis": 0}, {}),
        ("moments", (x, [0, 2]), {}, {}), ("moments", (x, [1]), {"keepdims": True}, {}),
        ("batch_normalization", (x, f(6), np.abs(f(6)) + 0.1, -1),
         {"offset": f(6), "scale": f(6)}, {}),
        ("batch_normalization", (x, f(3), np.abs(f(3)) + 0.1, 1), {"epsilon": 0.01}, {}),
        ("layer_normalization", (x,), {}, {"atol": 1e-5}),
        ("layer_normalization", (x, f(6), f(6)), {"epsilon": 1e-3}, {"atol": 1e-5}),
        ("layer_normalization", (x, f(3, 6)), {"axis": [1, 2]}, {"atol": 1e-5}),
        ("layer_normalization", (x, f(6)), {"rms_scaling": True}, {"atol": 1e-5}),
        ("rms_normalization", (x,), {}, {}), ("rms_normalization", (x, f(6)), {}, {}),
        ("rms_normalization", (x,), {"axis": [1, 2], "epsilon": 0.1}, {}),
        ("normalize", (x,), {}, {}), ("normalize", (x,), {"axis": 1, "order": 1}, {}),
        ("normalize", (x,), {"order": 3, "epsilon": 1e-3}, {}),
        ("binary_crossentropy", (t_bin, p), {}, {}),
        ("binary_crossentropy", (t_bin, p * 8 - 4), {"from_logits": True}, {}),
        ("categorical_crossentropy", (t_prob, p), {}, {}),
        ("categorical_crossentropy", (t_prob, p * 5), {"from_logits": True}, {}),
        ("categorical_crossentropy", (t_prob.T.copy(), p.T.copy()), {"axis": 0}, {}),
        ("sparse_categorical_crossentropy", (np.array([0, 3, 4]), p), {}, {}),
        ("sparse_categorical_crossentropy", (np.array([[1], [2], [0]]), p * 3),
         {"from_logits": True}, {}),
        ("multi_hot", (np.array([[0, 2, 2], [1, 4, 0]]),), {"num_classes": 5}, {}),
        ("multi_hot", (np.array([0, 3]), 4), {"dtype": "int32"}, {}),
        ("one_hot", (np.array([0, 3, -1]), 4), {}, {}),
        ("psnr", (p, p * 0.9, 1.0), {}, {"rtol": 1e-4}),
        ("dot_product_attention", (q, k, v), {}, {}),
        ("dot_product_attention", (q, k, v), {"is_causal": True, "scale": 0.3}, {}),
        ("dot_product_attention", (q, k, v), {"mask": mask, "bias": f(1, 4, 1, 5)}, {}),
        ("dot_product_attention", (q, q, q), {"mask": mask[..., :4], "is_causal": True}, {}),
        ("depth_to_space", (f(2, 2, 3, 8), 2), {}, {}),
        ("depth_to_space", (f(2, 8, 2, 3), 2), {"data_format": "channels_first"}, {}),
        ("space_to_depth", (f(2, 4, 6, 3), 2), {}, {}),
        ("space_to_depth", (f(2, 3, 4, 6), 2), {"data_format": "channels_first"}, {}),
        ("unfold", (f(2, 3, 5, 6), 2), {}, {}),
        ("unfold", (f(1, 2, 6, 7), (2, 3)), {"dilation": (1, 2), "padding": 1, "stride": 2}, {}),
        ("fold", (f(2, 12, 20), (5, 6), 2), {}, {}),
        ("fold", (f(1, 12, 12), (6, 7), (2, 3)), {"dilation": (1, 2), "padding": 1,
                                                    "stride": 2}, {}),
        ("adaptive_average_pool", (f(2, 7, 3), 3), {}, {}),
        ("adaptive_max_pool", (f(2, 7, 3), 4), {}, {}),
        ("adaptive_average_pool", (img, (2, 4)), {}, {}),
        ("adaptive_max_pool", (img, (3, 4)), {}, {}),
        ("adaptive_average_pool", (f(1, 3, 5, 6), (2, 4)),
         {"data_format": "channels_first"}, {}),
        ("adaptive_max_pool", (f(1, 5, 4, 6, 2), (2, 3, 4)), {}, {}),
        ("adaptive_average_pool", (f(1, 5, 4, 6, 2), 3), {}, {}),
        # conv-family ops with Keras's positional order (data_format before dilation_rate)
        ("conv", (img, f(3, 3, 3, 4), 1, "same", "channels_last", 2), {}, {"atol": 1e-5}),
        ("conv", (f(2, 3, 7, 6), f(2, 2, 3, 4), (2, 1), "valid", "channels_first"), {},
         {"atol": 1e-5}),
        ("conv", (f(2, 9, 3), f(3, 3, 2), 1, "valid", None, 2), {}, {"atol": 1e-5}),
        ("depthwise_conv", (img, f(3, 3, 3, 2), 1, "same", "channels_last", 2), {},
         {"atol": 1e-5}),
        ("depthwise_conv", (f(2, 3, 6, 5), f(2, 2, 3, 2), 2, "valid", "channels_first"), {},
         {"atol": 1e-5}),
        ("separable_conv", (img, f(3, 3, 3, 2), f(1, 1, 6, 4), 1, "same"), {}, {"atol": 1e-5}),
        ("separable_conv", (f(2, 3, 6, 5), f(2, 2, 3, 2), f(1, 1, 6, 4), 1, "valid",
                            "channels_first"), {}, {"atol": 1e-5}),
        ("conv_transpose", (img, f(3, 3, 4, 3), 2, "same"), {}, {"atol": 1e-5}),
        ("conv_transpose", (img, f(3, 3, 4, 3), 2, "valid", 1), {}, {"atol": 1e-5}),
        ("conv_transpose", (f(2, 3, 5, 6), f(2, 2, 4, 3), 1, "valid", None, "channels_first",
                            2), {}, {"atol": 1e-5}),
        ("ctc_loss", (ctc_t, ctc_o, np.array([4, 2, 3]), np.array([7, 5, 6])), {}, {}),
        ("ctc_loss", (ctc_t, ctc_o, np.array([3, 1, 3]), np.array([7, 7, 4])),
         {"mask_index": 4}, {}),
        ("ctc_decode", (ctc_o, np.array([7, 5, 6])), {}, {}),
        ("ctc_decode", (ctc_o, np.array([7, 7, 3])), {"merge_repeated": False}, {}),
        ("ctc_decode", (ctc_o, np.array([6, 5, 7])), {"mask_index": 2}, {}),
        ("max_pool", (img, 2, 2), {}, {}), ("max_pool", (img, 3, 2, "same"), {}, {}),
        ("max_pool", (f(2, 3, 5, 6), (2, 2), 2, "valid", "channels_first"), {}, {}),
        ("average_pool", (img, 2, (1, 1)), {}, {}), ("average_pool", (img, 3, 2, "same"), {}, {}),
        ("average_pool", (f(2, 3, 5, 6), (2, 3), 1, "same", "channels_first"), {}, {}),
    ]
    return cases


def _both(out: Any) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


@pytest.fixture(scope="module")
def keras_results(keras: Any) -> list:
    """Keras's answers, computed once for both backends (JAX compiles each op once)."""
    import jax

    def run(name: str, args: tuple, kw: dict) -> list:
        # one jit per case: an XLA compile of the whole op beats eager op-by-op compiles
        arr = [i for i, a in enumerate(args) if isinstance(a, np.ndarray)]
        kar = {k: v for k, v in kw.items() if isinstance(v, np.ndarray)}

        def fn(arrays: list, karrays: dict) -> Any:
            full = list(args)
            for i, a in zip(arr, arrays):
                full[i] = a
            return getattr(keras.ops.nn, name)(*full, **{**kw, **karrays})

        out = jax.jit(fn)([args[i] for i in arr], kar)
        return [np.asarray(t) for t in _both(out)]

    return [run(name, args, kw) for name, args, kw, _ in _cases(np.random.default_rng(0))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_ops_nn_values_match_keras(keras_results: list, close: Callable, backend: str) -> None:
    cases = list(zip(_cases(np.random.default_rng(0)), keras_results))
    if backend == "python":  # the pure-Python reference is slow: every other case
        cases = cases[::2]
    failures = []
    with tw.backend_scope(backend):
        for i, ((name, args, kw, tol), theirs) in enumerate(cases):
            what = f"{name}#{i}{kw}"
            try:
                ours = _both(getattr(tw.ops.nn, name)(*args, **kw))
                assert len(ours) == len(theirs), what
                for a, b in zip(ours, theirs):
                    close(a, b, rtol=tol.get("rtol", 1e-5), atol=tol.get("atol", 1e-6),
                          what=f"{what} [{backend}]")
            except Exception as exc:  # noqa: BLE001  (collect every mismatch, then fail)
                failures.append(f"{what}: {type(exc).__name__}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)


def test_ops_nn_names_reach_tw_ops(keras: Any) -> None:
    """Every keras.ops.nn name is importable from tw.ops.nn and, if keras.ops has it, tw.ops."""
    import keras_exclusions as excl

    skip = set(excl.NAMES.get("ops.nn", {}))
    for name in dir(keras.ops.nn):
        if name.startswith("_") or name in skip:
            continue
        assert hasattr(tw.ops.nn, name), name
        if hasattr(keras.ops, name):
            assert hasattr(tw.ops, name), name


GRAD_CASES: list[tuple[str, Callable, Callable]] = [
    ("sparse_plus", lambda o, x: o.sum(o.nn.sparse_plus(x * 2)), None),
    ("celu", lambda o, x: o.sum(o.nn.celu(x, 0.7)), None),
    ("glu", lambda o, x: o.sum(o.nn.glu(x) ** 2), None),
    ("squareplus", lambda o, x: o.sum(o.nn.squareplus(x)), None),
    ("tanh_shrink", lambda o, x: o.sum(o.nn.tanh_shrink(x)), None),
    ("soft_shrink", lambda o, x: o.sum(o.nn.soft_shrink(x, 0.3) * x), None),
    ("layer_normalization", lambda o, x: o.sum(o.nn.layer_normalization(x) * o.arange(6.0)),
     None),
    ("rms_normalization", lambda o, x: o.sum(o.nn.rms_normalization(x) * o.arange(6.0)), None),
    ("normalize", lambda o, x: o.sum(o.nn.normalize(x) * o.arange(6.0)), None),
    ("categorical_crossentropy",
     lambda o, x: o.sum(o.nn.categorical_crossentropy(o.nn.softmax(x * 0.0 + 1.0), x,
                                                      from_logits=True)), None),
    ("binary_crossentropy",
     lambda o, x: o.sum(o.nn.binary_crossentropy(o.nn.sigmoid(x * 0.0 + 0.5), x,
                                                 from_logits=True)), None),
    ("dot_product_attention",
     lambda o, x: o.sum(o.nn.dot_product_attention(
         o.reshape(x, (1, 3, 2, 6)), o.reshape(x, (1, 3, 2, 6)) * 0.5,
         o.reshape(x, (1, 3, 2, 6)), is_causal=True) ** 2), None),
    ("adaptive_average_pool",
     lambda o, x: o.sum(o.nn.adaptive_average_pool(o.reshape(x, (1, 6, 6)), 4) ** 2), None),
    ("adaptive_max_pool",
     lambda o, x: o.sum(o.nn.adaptive_max_pool(o.reshape(x, (1, 6, 6)), 4) ** 2), None),
    ("moments", lambda o, x: o.sum(o.nn.moments(x, [0])[1] * o.arange(6.0)), None),
]


def test_ops_nn_gradients_match_jax(keras: Any, close: Callable) -> None:
    import jax

    x = np.random.default_rng(1).normal(size=(6, 6)).astype("float32")
    for name, fn, _ in GRAD_CASES:
        theirs = jax.jit(jax.grad(lambda a, fn=fn: fn(keras.ops, a)))(x)
        ours = tw.grad(lambda a, fn=fn: fn(tw.ops, a))(x)
        close(ours, np.asarray(theirs), rtol=1e-4, atol=1e-5, what=f"grad {name}")


def _sparsemax_reference(z: np.ndarray) -> np.ndarray:
    """Martins & Astudillo (2016), one row: the Euclidean projection onto the simplex."""
    zs = np.sort(z)[::-1]
    cs = np.cumsum(zs)
    r = np.arange(1, len(z) + 1)
    k = r[1 + r * zs > cs].max()
    return np.maximum(z - (cs[k - 1] - 1) / k, 0)


def test_sparsemax_is_the_simplex_projection(keras: Any) -> None:
    """Here Keras is not the oracle: Keras 3.15's sparsemax sums the cumulative sums over
    the support instead of taking the one at k, so its rows do not sum to 1 (checked
    below, so the test notices when Keras fixes it). Ours is the published projection."""
    x = np.random.default_rng(4).normal(size=(5, 7)) * 2
    x[0] = [1.0, 0.9, 0.2, -1.0, 0.0, 0.5, -0.3]
    for axis in (-1, 0):
        for backend in ("numpy", "python"):
            with tw.backend_scope(backend):
                ours = tw.ops.convert_to_numpy(tw.ops.nn.sparsemax(x, axis=axis))
            want = np.apply_along_axis(_sparsemax_reference, axis, x)
            np.testing.assert_allclose(ours, want, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(ours.sum(axis=axis), 1.0, rtol=1e-12)
    theirs = np.asarray(keras.ops.sparsemax(x[:1].astype("float32")))
    assert abs(theirs.sum() - 1.0) > 1e-3, "Keras's sparsemax now sums to 1: compare again"
    assert tw.activations.sparsemax is not None
    np.testing.assert_allclose(
        tw.ops.convert_to_numpy(tw.activations.sparsemax(x[:1])), _sparsemax_reference(x[0])[None])


@pytest.mark.parametrize("name", ["sparsemax", "dot_product_attention",
                                  "layer_normalization", "adaptive_average_pool"])
def test_ops_nn_gradients_finite_differences(name: str) -> None:
    """float64 central differences against tw.grad (independent of both libraries)."""
    fn = dict((n, f) for n, f, _ in GRAD_CASES)
    fn["sparsemax"] = lambda o, x: o.sum(o.nn.sparsemax(x) * o.arange(6.0))
    f = fn[name]
    x = np.random.default_rng(2).normal(size=(6, 6))
    g = tw.ops.convert_to_numpy(tw.grad(lambda a: f(tw.ops, a))(x))
    num = np.zeros_like(x)
    h = 1e-6
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        num[idx] = (float(tw.ops.convert_to_numpy(f(tw.ops, x + e)))
                    - float(tw.ops.convert_to_numpy(f(tw.ops, x - e)))) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("call, err", [
    (lambda: tw.ops.nn.glu(np.ones((2, 3), "float32")), "glu"),
    (lambda: tw.ops.nn.dot_product_attention(*[np.ones((2, 3, 4), "float32")] * 3),
     "dot_product_attention"),
    (lambda: tw.ops.nn.dot_product_attention(*[np.ones((1, 2, 2, 4), "float32")] * 3,
                                             flash_attention=True), "flash_attention"),
    (lambda: tw.ops.nn.normalize(np.ones((2, 3), "float32"), order=0), "order"),
    (lambda: tw.ops.nn.binary_crossentropy(np.ones((2, 3)), np.ones((3, 2))), "same shape"),
    (lambda: tw.ops.nn.conv(np.ones((1, 4, 4, 2), "float32"), np.ones((2, 2, 2, 1), "float32"),
                            1, "valid", "channels_middle"), "data_format"),
    (lambda: tw.ops.nn.adaptive_max_pool(np.ones((1, 4, 4, 2), "float32"), (2, 2, 2)),
     "output_size"),
])
def test_ops_nn_bad_input_raises(call: Callable, err: str) -> None:
    from tensorweave.errors import TensorweaveError

    with pytest.raises(TensorweaveError, match=err):
        call()


@pytest.mark.parametrize("cls, shape, size, fmt", [
    ("AdaptiveAveragePooling1D", (2, 9, 3), 4, None),
    ("AdaptiveMaxPooling1D", (2, 3, 10), 3, "channels_first"),
    ("AdaptiveAveragePooling2D", (2, 7, 5, 3), (3, 2), None),
    ("AdaptiveMaxPooling2D", (2, 3, 7, 5), 4, "channels_first"),
    ("AdaptiveAveragePooling3D", (1, 5, 4, 7, 2), (2, 3, 4), None),
    ("AdaptiveMaxPooling3D", (1, 5, 4, 7, 2), 3, None),
])
def test_adaptive_pooling_layers_match_keras(keras: Any, close: Callable, cls: str,
                                             shape: tuple, size: Any, fmt: Any) -> None:
    x = np.random.default_rng(4).normal(size=shape).astype("float32")
    kl = getattr(keras.layers, cls)(size, data_format=fmt)
    tl = getattr(tw.layers, cls)(size, data_format=fmt)
    close(tl(x), np.asarray(kl(x)), what=cls)
    kc, tc = kl.get_config(), tl.get_config()
    for key in ("output_size", "data_format"):
        assert tuple(np.atleast_1d(tc[key])) == tuple(np.atleast_1d(kc[key])), (key, tc, kc)
    assert tl.compute_output_shape(shape) == tuple(kl.compute_output_shape(shape))
    again = getattr(tw.layers, cls).from_config(tc)
    close(again(x), np.asarray(kl(x)), what=f"{cls} from_config")


def test_ctc_beam_search_matches_keras(keras: Any, close: Callable) -> None:
    r = np.random.default_rng(5)
    x = r.normal(scale=2.0, size=(2, 7, 5)).astype("float32")
    lengths = np.array([7, 5])
    import jax

    kws = [{"beam_width": 3, "top_paths": 2}, {"beam_width": 4, "top_paths": 3, "mask_index": 4}]
    # Keras's beam search (jitted once per setting: eager JAX compiles op by op)
    want = [jax.jit(lambda a, b, kw=kw: keras.ops.nn.ctc_decode(
        a, b, strategy="beam_search", **kw))(x, lengths) for kw in kws]
    for backend in BACKENDS:
        with tw.backend_scope(backend):
            for kw, (kp, ks) in zip(kws, want):
                tp, ts = tw.ops.nn.ctc_decode(x, lengths, strategy="beam_search", **kw)
                close(tp, np.asarray(kp), what=f"beam paths {kw} [{backend}]")
                close(ts, np.asarray(ks), rtol=1e-5, atol=1e-5,
                      what=f"beam scores {kw} [{backend}]")


def test_ctc_loss_gradient_matches_jax(keras: Any, close: Callable) -> None:
    import jax

    r = np.random.default_rng(6)
    out = r.normal(size=(2, 6, 4)).astype("float32")
    tgt = np.array([[1, 2, 2], [3, 1, 0]], "int32")
    tl, ol = np.array([3, 2]), np.array([6, 4])
    theirs = jax.jit(jax.grad(lambda o: keras.ops.sum(
        keras.ops.nn.ctc_loss(tgt, o, tl, ol))))(out)
    ours = tw.grad(lambda o: tw.ops.sum(tw.ops.nn.ctc_loss(tgt, o, tl, ol)))(out)
    close(ours, np.asarray(theirs), rtol=1e-4, atol=1e-5, what="grad ctc_loss")
