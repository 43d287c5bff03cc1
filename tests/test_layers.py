"""Layers: core, reshaping, embedding, merging, Lambda, registration and saving.

Every layer is checked the same way (helpers below, shared with ``test_layers_conv.py``
and ``test_layers_norm.py``): outputs against a NumPy re-implementation written in the
test, output shapes against ``compute_output_shape`` on a symbolic batch, parameter counts
against Keras's numbers, a ``get_config``/``from_config`` round trip that reproduces the
outputs after ``set_weights``, and gradients through ``tw.grad`` against central finite
differences in float64 on tiny shapes. Each layer family also runs once on the pure-Python
``python`` backend, and error messages must name the layer and the argument.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import (
    InvalidArgumentError,
    SerializationError,
    ShapeError,
    TensorweaveError,
)
from tensorweave.variables import substitute

RNG = np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def float64_layers():
    """Layers made in these tests compute in float64 (exact oracles, finite differences);
    a layer given ``dtype=`` explicitly keeps it."""
    from tensorweave.plugins.layers.policy import global_policy, set_global_policy

    old = global_policy()
    set_global_policy("float64")
    try:
        yield
    finally:
        set_global_policy(old)


# ---- shared helpers ------------------------------------------------------------------------
def rand(*shape: int, dtype: str = "float64", seed: int | None = None) -> np.ndarray:
    rng = RNG if seed is None else np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype)


def as_np(t) -> np.ndarray:  # noqa: ANN001
    return np.asarray(tw.convert_to_numpy(t))


def fd_grad(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:  # noqa: ANN001
    """Central finite differences of the scalar function ``f`` at ``x`` (float64)."""
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gf = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = float(f(x))
        flat[i] = old - eps
        lo = float(f(x))
        flat[i] = old
        gf[i] = (hi - lo) / (2 * eps)
    return g


def check_grads(layer, inputs, *, wrt_inputs: bool = True, rtol: float = 1e-5,  # noqa: ANN001
                atol: float = 1e-7, call_kwargs: dict | None = None) -> None:
    """``tw.grad`` of ``sum(layer(x) * R)`` w.r.t. the input(s) and every trainable weight
    equals central finite differences (the layer and the data must be float64)."""
    kw = call_kwargs or {}
    multi = isinstance(inputs, list)
    xs = [np.array(x, dtype=np.float64) for x in (inputs if multi else [inputs])]
    out = as_np(layer(xs if multi else xs[0], **kw))
    proj = rand(*out.shape, seed=99)

    def loss_of(xs_in):  # noqa: ANN001, ANN202
        y = layer(list(xs_in) if multi else xs_in[0], **kw)
        return tw.ops.sum(tw.ops.multiply(y, proj))

    if wrt_inputs:
        for i in range(len(xs)):
            def f_i(xi, i=i):  # noqa: ANN001, ANN202
                args = list(xs)
                args[i] = xi
                return loss_of(args)

            got = as_np(tw.grad(f_i)(xs[i]))
            want = fd_grad(lambda v: as_np(f_i(v)), xs[i].copy())
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                       err_msg=f"{layer.name}: d/d input {i}")
    for var in layer.trainable_weights:
        w0 = var.numpy().astype(np.float64)

        def f_w(w, var=var):  # noqa: ANN001, ANN202
            with substitute({var: w}):
                return loss_of(xs)

        got = as_np(tw.grad(f_w)(w0))
        want = fd_grad(lambda v: as_np(f_w(tw.convert_to_tensor(v))), w0.copy())
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol,
                                   err_msg=f"{layer.name}: d/d {var.name}")


def check_shape(layer, x) -> np.ndarray:  # noqa: ANN001
    """Call on data, and ``compute_output_shape`` with an unknown batch must agree."""
    y = as_np(layer(x))
    if isinstance(x, list):
        sym = layer.compute_output_shape([(None, *np.shape(v)[1:]) for v in x])
    else:
        sym = layer.compute_output_shape((None, *np.shape(x)[1:]))
    assert tuple(sym) == (None, *y.shape[1:]), (layer.name, sym, y.shape)
    return y


def check_roundtrip(layer, x) -> None:  # noqa: ANN001
    """get_config -> JSON -> from_config, set_weights: the same outputs."""
    y = as_np(layer(x))
    cfg = tw.saving.serialize_layer(layer)
    cfg = json.loads(json.dumps(cfg))
    clone = tw.saving.deserialize_layer(cfg)
    assert type(clone) is type(layer)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(as_np(clone(x)), y, rtol=1e-6, atol=1e-6)
    assert clone.count_params() == layer.count_params()


def on_python_backend(make_layer, x, **call_kw) -> None:  # noqa: ANN001
    """The same layer (same weights) on the numpy and the pure-Python backend agree."""
    ref = make_layer()
    want = as_np(ref(x, **call_kw))
    with tw.backend_scope("python"):
        layer = make_layer()
        layer(x, **call_kw)
        layer.set_weights(ref.get_weights())
        out = layer(x, **call_kw)
        got = as_np(out)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def assert_names_layer(exc: Exception, layer) -> None:  # noqa: ANN001
    msg = str(exc)
    assert type(layer).__name__ in msg and repr(layer.name) in msg, msg


# ---- Dense / Activation / Dropout / Flatten ----------------------------------------------------
def test_dense_values_grads_roundtrip():
    x = rand(3, 4)
    d = L.Dense(2, activation="tanh")
    k, b = rand(4, 2), rand(2)
    d(x)
    d.set_weights([k, b])
    np.testing.assert_allclose(as_np(d(x)), np.tanh(x @ k + b), rtol=1e-12)
    check_grads(d, x)
    check_roundtrip(d, x)
    dd = L.Dense(10)
    dd.build((None, 784))
    assert dd.count_params() == 7850


def test_flatten_channels_first_matches_channels_last_order():
    x = rand(2, 3, 4, 5)
    last = as_np(L.Flatten()(x))
    np.testing.assert_array_equal(last, x.reshape(2, -1))
    first = as_np(L.Flatten(data_format="channels_first")(x.transpose(0, 3, 1, 2)))
    np.testing.assert_array_equal(first, last)
    assert L.Flatten().compute_output_shape((None, 3, 4, 5)) == (None, 60)


# ---- reshaping ---------------------------------------------------------------------------------
def test_reshape():
    x = rand(2, 3, 4)
    np.testing.assert_array_equal(check_shape(L.Reshape((4, 3)), x), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(check_shape(L.Reshape((-1, 2)), x), x.reshape(2, 6, 2))
    assert L.Reshape((2, -1)).compute_output_shape((None, 3, 4)) == (None, 2, 6)
    check_roundtrip(L.Reshape((12,)), x)
    layer = L.Reshape((5, 5))
    with pytest.raises(ShapeError) as e:
        layer(x)
    assert_names_layer(e.value, layer)
    assert "target_shape" in str(e.value)
    with pytest.raises(InvalidArgumentError):
        L.Reshape((-1, -1))
    check_grads(L.Reshape((6, 2)), rand(2, 3, 4))


def test_permute_and_repeat_vector():
    x = rand(2, 3, 4, 5)
    np.testing.assert_array_equal(check_shape(L.Permute((3, 1, 2)), x),
                                  x.transpose(0, 3, 1, 2))
    with pytest.raises(InvalidArgumentError, match="dims"):
        L.Permute((0, 1))
    v = rand(2, 3)
    y = check_shape(L.RepeatVector(4), v)
    np.testing.assert_array_equal(y, np.repeat(v[:, None, :], 4, axis=1))
    rv = L.RepeatVector(2)
    with pytest.raises(ShapeError) as e:
        rv(x)
    assert_names_layer(e.value, rv)
    check_grads(L.Permute((2, 1)), rand(2, 3, 2))
    check_grads(L.RepeatVector(3), rand(2, 2))
    check_roundtrip(L.Permute((2, 1)), rand(2, 3, 2))


def test_zero_padding():
    x = rand(2, 3, 4, 2)
    y = check_shape(L.ZeroPadding2D(((1, 2), (0, 1))), x)
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (1, 2), (0, 1), (0, 0))))
    y = check_shape(L.ZeroPadding2D(1, data_format="channels_first"), x)
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))))
    s = rand(2, 5, 3)
    np.testing.assert_array_equal(check_shape(L.ZeroPadding1D((2, 1)), s),
                                  np.pad(s, ((0, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(check_shape(L.ZeroPadding1D(1), s),
                                  np.pad(s, ((0, 0), (1, 1), (0, 0))))
    with pytest.raises(InvalidArgumentError, match="padding"):
        L.ZeroPadding2D((1, 2, 3))
    zp = L.ZeroPadding2D(1)
    with pytest.raises(ShapeError) as e:
        zp(s)
    assert_names_layer(e.value, zp)
    check_grads(L.ZeroPadding2D(((1, 0), (0, 1))), rand(1, 2, 2, 1))
    check_roundtrip(L.ZeroPadding2D(((1, 0), (2, 1))), x)


def test_cropping():
    x = rand(2, 5, 6, 2)
    y = check_shape(L.Cropping2D(((1, 2), (0, 3))), x)
    np.testing.assert_array_equal(y, x[:, 1:3, 0:3])
    y = check_shape(L.Cropping2D(((1, 0), (0, 1)), data_format="channels_first"), x)
    np.testing.assert_array_equal(y, x[:, :, 1:, 0:1])
    s = rand(2, 6, 3)
    np.testing.assert_array_equal(check_shape(L.Cropping1D((2, 1)), s), s[:, 2:5])
    c = L.Cropping1D((3, 3))
    with pytest.raises(ShapeError) as e:
        c(s)
    assert_names_layer(e.value, c)
    assert "cropping" in str(e.value)
    check_grads(L.Cropping1D((1, 1)), rand(1, 4, 2))
    check_roundtrip(L.Cropping2D(((1, 1), (2, 0))), x)
    # symbolic inputs (unknown batch size) work too
    inp = tw.Input((5, 6, 2))
    assert tuple(L.Cropping2D(((1, 1), (1, 1)))(inp).shape) == (None, 3, 4, 2)


def test_upsampling_nearest():
    s = rand(2, 3, 2)
    np.testing.assert_array_equal(check_shape(L.UpSampling1D(3), s), np.repeat(s, 3, axis=1))
    x = rand(2, 2, 3, 2)
    want = np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)
    np.testing.assert_array_equal(check_shape(L.UpSampling2D((2, 3)), x), want)
    y = check_shape(L.UpSampling2D((2, 3), data_format="channels_first"), x)
    np.testing.assert_array_equal(y, np.repeat(np.repeat(x, 2, axis=2), 3, axis=3))
    check_grads(L.UpSampling2D(2), rand(1, 2, 2, 1))
    with pytest.raises(InvalidArgumentError, match="interpolation"):
        L.UpSampling2D(interpolation="cubic-ish")


def test_upsampling_bilinear_known_answer():
    # half-pixel centres, clamped at the edges: the values tf.image.resize / jax give
    x = np.array([0.0, 1.0, 2.0]).reshape(1, 3, 1, 1)
    y = as_np(L.UpSampling2D((2, 1), interpolation="bilinear")(x)).reshape(-1)
    np.testing.assert_allclose(y, [0.0, 0.25, 0.75, 1.25, 1.75, 2.0], atol=1e-12)
    # separable: a rank-one image stays the outer product of the two 1-D resizes
    a, b = rand(3), rand(4)
    img = np.outer(a, b).reshape(1, 3, 4, 1)
    up = as_np(L.UpSampling2D(2, interpolation="bilinear")(img))[0, :, :, 0]
    ua = as_np(L.UpSampling2D((2, 1), interpolation="bilinear")(a.reshape(1, 3, 1, 1)))
    ub = as_np(L.UpSampling2D((1, 2), interpolation="bilinear")(b.reshape(1, 1, 4, 1)))
    np.testing.assert_allclose(up, np.outer(ua.reshape(-1), ub.reshape(-1)), atol=1e-12)
    check_grads(L.UpSampling2D(2, interpolation="bilinear"), rand(1, 2, 2, 1))


def test_reshaping_on_python_backend():
    x = rand(1, 3, 2, 2, dtype="float32")
    for make in (lambda: L.ZeroPadding2D(1), lambda: L.Cropping2D(((1, 0), (0, 1))),
                 lambda: L.UpSampling2D(2, interpolation="bilinear"),
                 lambda: L.Permute((2, 1, 3)), lambda: L.Reshape((-1,))):
        on_python_backend(make, x)


# ---- Lambda -----------------------------------------------------------------------------------
def test_lambda_calls_and_shapes():
    x = rand(2, 3)
    lam = L.Lambda(lambda t: tw.ops.square(t))
    np.testing.assert_allclose(check_shape(lam, x), x ** 2)
    lam2 = L.Lambda(lambda t, k: tw.ops.multiply(t, k), arguments={"k": 3.0},
                    output_shape=(3,))
    np.testing.assert_allclose(as_np(lam2(x)), 3 * x)
    assert lam2.compute_output_shape((None, 3)) == (None, 3)
    lam3 = L.Lambda(lambda t: t, output_shape=lambda s: (s[0], 7))
    assert lam3.compute_output_shape((None, 3)) == (None, 7)
    check_grads(L.Lambda(lambda t: tw.ops.sin(t)), rand(2, 2))


def test_lambda_cannot_be_saved():
    with pytest.raises(SerializationError, match="Lambda"):
        tw.saving.serialize_layer(L.Lambda(lambda x: x))
    # a named function is code too: never written as a name that loads something else
    with pytest.raises(SerializationError):
        tw.saving.serialize_layer(L.Lambda(tw.ops.relu))
    with pytest.raises(InvalidArgumentError, match="function"):
        L.Lambda(3)


# ---- Embedding ----------------------------------------------------------------------------------
def test_embedding_values_and_grads():
    ids = np.array([[1, 4, 0], [3, 3, 2]])
    emb = L.Embedding(5, 3)
    y = check_shape(emb, ids)
    table = emb.get_weights()[0]
    np.testing.assert_array_equal(y, table[ids])
    assert np.all(np.abs(table) <= 0.05)  # Keras's "uniform": RandomUniform(-0.05, 0.05)
    # float ids (a default tw.Input) are cast to int
    np.testing.assert_array_equal(as_np(emb(ids.astype("float32"))), table[ids])
    # gradient w.r.t. the table: repeated ids accumulate
    check_grads(emb, ids, wrt_inputs=False)
    big = L.Embedding(1000, 64)
    big.build((None, 10))
    assert big.count_params() == 64000
    check_roundtrip(emb, ids)


def test_embedding_keras2_arguments_and_weights():
    w = rand(6, 2)
    emb = L.Embedding(6, 2, input_length=4, weights=[w], mask_zero=True)
    np.testing.assert_array_equal(as_np(emb(np.array([[5, 0]]))), w[[[5, 0]]])
    assert emb.get_config()["mask_zero"] is True
    assert "weights" not in emb.get_config()
    with pytest.raises(InvalidArgumentError) as e:
        L.Embedding(0, 3)
    assert "input_dim" in str(e.value)
    on_python_backend(lambda: L.Embedding(5, 2), np.array([[1, 2, 4]]))


# ---- merging -------------------------------------------------------------------------------------
MERGES = [
    (L.Add, lambda a, b: a + b),
    (L.Subtract, lambda a, b: a - b),
    (L.Multiply, lambda a, b: a * b),
    (L.Average, lambda a, b: (a + b) / 2),
    (L.Maximum, np.maximum),
    (L.Minimum, np.minimum),
]


@pytest.mark.parametrize("cls,fn", MERGES, ids=[c.__name__ for c, _ in MERGES])
def test_elementwise_merges(cls, fn):
    a, b = rand(2, 3, 4), rand(2, 3, 4)
    np.testing.assert_allclose(check_shape(cls(), [a, b]), fn(a, b), rtol=1e-12)
    check_grads(cls(), [rand(2, 3), rand(2, 3)])
    check_roundtrip(cls(), [a, b])


def test_merge_three_inputs_broadcast_and_rank_expansion():
    a, b, c = rand(2, 3), rand(2, 3), rand(2, 3)
    np.testing.assert_allclose(as_np(L.Add()([a, b, c])), a + b + c, rtol=1e-12)
    np.testing.assert_allclose(as_np(L.Average()([a, b, c])), (a + b + c) / 3, rtol=1e-12)
    np.testing.assert_allclose(as_np(L.Maximum()([a, b, c])), np.maximum(np.maximum(a, b), c))
    # (batch, 3) against (batch, 4, 3): Keras inserts the missing axis at position 1
    d = rand(2, 4, 3)
    np.testing.assert_allclose(as_np(L.Multiply()([a, d])), a[:, None, :] * d, rtol=1e-12)
    # broadcast of size-1 axes
    e = rand(2, 1, 3)
    np.testing.assert_allclose(as_np(L.Add()([d, e])), d + e, rtol=1e-12)
    assert tw.layers.add([a, b]).shape == (2, 3)


def test_merge_errors_name_the_layer():
    add = L.Add()
    with pytest.raises(InvalidArgumentError) as e:
        add(rand(2, 3))
    assert_names_layer(e.value, add)
    assert "list" in str(e.value)
    sub = L.Subtract()
    with pytest.raises(InvalidArgumentError) as e:
        sub([rand(2, 3)] * 3)
    assert_names_layer(e.value, sub)
    mul = L.Multiply()
    with pytest.raises(ShapeError) as e:
        mul([rand(2, 3), rand(2, 4)])
    assert_names_layer(e.value, mul)
    cat = L.Concatenate(axis=1)
    with pytest.raises(ShapeError) as e:
        cat([rand(2, 3, 4), rand(2, 3, 5)])
    assert_names_layer(e.value, cat)


def test_concatenate():
    a, b = rand(2, 3, 4), rand(2, 5, 4)
    np.testing.assert_array_equal(check_shape(L.Concatenate(axis=1), [a, b]),
                                  np.concatenate([a, b], axis=1))
    c = rand(2, 3, 2)
    np.testing.assert_array_equal(check_shape(L.Concatenate(), [a, c]),
                                  np.concatenate([a, c], axis=-1))
    check_grads(L.Concatenate(axis=1), [rand(1, 2, 2), rand(1, 1, 2)])
    check_roundtrip(L.Concatenate(axis=1), [a, b])
    inp1, inp2 = tw.Input((3, 4)), tw.Input((5, 4))
    assert tuple(L.Concatenate(axis=1)([inp1, inp2]).shape) == (None, 8, 4)


def test_dot():
    a, b = rand(2, 4), rand(2, 4)
    y = check_shape(L.Dot(axes=1), [a, b])
    np.testing.assert_allclose(y, np.sum(a * b, axis=1, keepdims=True), rtol=1e-12)
    x1, x2 = rand(2, 3, 4), rand(2, 5, 4)
    np.testing.assert_allclose(check_shape(L.Dot(axes=2), [x1, x2]),
                               np.einsum("bik,bjk->bij", x1, x2), rtol=1e-12)
    x3 = rand(2, 4, 5)
    np.testing.assert_allclose(check_shape(L.Dot(axes=(2, 1)), [x1, x3]),
                               np.einsum("bik,bkj->bij", x1, x3), rtol=1e-12)
    np.testing.assert_allclose(as_np(L.Dot(axes=-1)([x1, x2])),
                               np.einsum("bik,bjk->bij", x1, x2), rtol=1e-12)
    cos = as_np(L.Dot(axes=1, normalize=True)([a, b]))
    want = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos.reshape(-1), want, rtol=1e-10)
    check_grads(L.Dot(axes=1, normalize=True), [rand(2, 3), rand(2, 3)])
    check_grads(L.Dot(axes=(2, 1)), [rand(1, 2, 3), rand(1, 3, 2)])
    check_roundtrip(L.Dot(axes=(2, 1)), [x1, x3])
    bad = L.Dot(axes=1)
    with pytest.raises(ShapeError) as e:
        bad([rand(2, 3), rand(2, 4)])
    assert_names_layer(e.value, bad)
    with pytest.raises(ShapeError, match="batch"):
        L.Dot(axes=0)([a, b])


def test_merging_on_python_backend():
    a, b = rand(2, 3, dtype="float32"), rand(2, 3, dtype="float32")
    for make in (L.Add, L.Subtract, L.Average, L.Maximum, lambda: L.Concatenate(axis=0),
                 lambda: L.Dot(axes=1, normalize=True)):
        on_python_backend(make, [a, b])


# ---- registry, functional use, saving ---------------------------------------------------------
def test_layers_registered_with_keras_names_and_aliases():
    names = ["Reshape", "Permute", "RepeatVector", "Lambda", "Conv1D", "Conv2D",
             "Conv2DTranspose", "Conv1DTranspose", "DepthwiseConv2D", "SeparableConv2D",
             "MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D",
             "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
             "GlobalMaxPooling2D", "ZeroPadding1D", "ZeroPadding2D", "UpSampling1D",
             "UpSampling2D", "Cropping1D", "Cropping2D", "BatchNormalization",
             "LayerNormalization", "Embedding", "Add", "Subtract", "Multiply", "Average",
             "Maximum", "Minimum", "Concatenate", "Dot"]
    for n in names:
        assert isinstance(getattr(tw.layers, n), type), n
    assert tw.layers.MaxPool2D is tw.layers.MaxPooling2D
    assert tw.layers.Convolution2D is tw.layers.Conv2D
    assert tw.layers.GlobalAvgPool2D is tw.layers.GlobalAveragePooling2D
    from tensorweave.layers import Conv2D, MaxPooling2D  # noqa: F401


def test_functional_graph_of_new_layers():
    inp = tw.Input((8, 8, 1))
    h = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
    h = L.BatchNormalization()(h)
    h = L.MaxPooling2D()(h)
    skip = L.Conv2D(4, 1)(h)
    h = L.Add()([h, skip])
    h = L.GlobalAveragePooling2D()(h)
    out = L.Dense(3)(h)
    assert tuple(out.shape) == (None, 3)
    emb_in = tw.Input((5,), dtype="int32")
    e = L.Embedding(20, 4)(emb_in)
    e = L.Conv1D(6, 3)(e)
    assert tuple(L.GlobalMaxPooling1D()(e).shape) == (None, 6)


def test_all_errors_are_tensorweave_errors():
    for make in (lambda: L.Conv2D(0, 3), lambda: L.Conv2D(4, 3, padding="full"),
                 lambda: L.MaxPooling2D(pool_size=(2, 2, 2)),
                 lambda: L.BatchNormalization(axis=[1, 2]),
                 lambda: L.Dot(axes="x"), lambda: L.UpSampling2D(size=0)):
        with pytest.raises(TensorweaveError):
            make()


# ---- the layers inside models (Sequential / functional, fit, save and load) --------------------
@pytest.fixture
def float32_layers():
    """Model tests run with the default float32 policy (tw.Input is float32)."""
    from tensorweave.plugins.layers.policy import set_global_policy

    set_global_policy("float32")  # float64_layers (autouse) restores the old policy


def _every_family_model():  # noqa: ANN202
    inp = tw.Input((6, 6, 2))
    a = L.Conv2D(4, 3, padding="same", activation="relu")(inp)
    b = L.SeparableConv2D(4, 3, padding="same")(inp)
    h = L.Add()([a, b])
    h = L.BatchNormalization()(h)
    h = L.Conv2DTranspose(2, 3, strides=2, padding="same")(h)
    h = L.AveragePooling2D()(h)
    h = L.UpSampling2D()(h)
    h = L.Cropping2D(((1, 1), (1, 1)))(h)
    h = L.ZeroPadding2D(1)(h)
    h = L.Concatenate()([h, L.LayerNormalization()(h)])
    h = L.DepthwiseConv2D(3)(h)
    g = L.GlobalAveragePooling2D()(h)
    r = L.Reshape((-1,))(L.Permute((2, 1))(L.RepeatVector(2)(g)))
    return tw.Model(inp, L.Dense(3, activation="softmax")(r))


def test_sequential_cnn_fits_and_updates_batchnorm(float32_layers):
    x = rand(16, 6, 6, 1, dtype="float32", seed=5)
    y = np.arange(16) % 3
    model = tw.Sequential([tw.Input((6, 6, 1)), L.Conv2D(4, 3, activation="relu"),
                           L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(),
                           L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    bn = model.layers[1]
    assert isinstance(bn, L.BatchNormalization)
    hist = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert all(np.isfinite(v) for v in hist.history["loss"])
    assert np.any(bn.moving_mean.numpy() != 0)  # updated by the traced training step
    assert np.any(bn.moving_variance.numpy() != 1)
    assert model.predict(x[:3], verbose=0).shape == (3, 3)
    assert model.count_params() == 40 + 16 + (16 * 3 + 3)


def test_functional_model_of_every_family_saves_and_loads(tmp_path, float32_layers):
    model = _every_family_model()
    x = rand(4, 6, 6, 2, dtype="float32", seed=6)
    want = model.predict(x, verbose=0)
    path = tmp_path / "every_family.tw"
    model.save(path)
    loaded = tw.models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-6, atol=1e-7)
    assert loaded.count_params() == model.count_params()


def test_functional_model_of_every_family_fits(float32_layers):
    model = _every_family_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rand(8, 6, 6, 2, dtype="float32", seed=7)
    hist = model.fit(x, np.arange(8) % 3, epochs=1, batch_size=4, verbose=0)
    assert np.isfinite(hist.history["loss"][-1])


def test_text_model_with_embedding_fits(float32_layers):
    ids = tw.Input((5,), dtype="int32")
    h = L.Embedding(10, 4)(ids)
    h = L.Conv1D(3, 2, padding="causal", activation="relu")(h)
    h = L.MaxPooling1D()(h)
    h = L.GlobalMaxPooling1D()(h)
    model = tw.Model(ids, L.Dense(1)(h))
    model.compile(optimizer="sgd", loss="mse")
    emb = model.layers[1]
    before = emb.get_weights()[0].copy()
    x = np.random.default_rng(8).integers(0, 10, (8, 5))
    model.fit(x, np.ones((8, 1), "float32"), epochs=1, batch_size=8, verbose=0)
    after = emb.get_weights()[0]
    used = np.unique(x)
    assert np.any(after[used] != before[used])  # rows of seen ids trained


def test_functional_model_with_autocast_layer(float32_layers):
    inp = tw.Input((4,))
    model = tw.Model(inp, L.Dense(2, dtype="float64")(inp))
    assert model.predict(np.ones((1, 4), "float32"), verbose=0).shape == (1, 2)


def test_config_has_keras_defaults_and_keeps_a_user_layers_arguments():
    """Keras's get_config: every constructor argument with its default (Dense(3) has
    activation 'linear'), objects serialized as Keras does; a user's layer reports the
    arguments it was given even where an attribute of the same name differs."""
    import tensorweave as tw

    cfg = tw.layers.Dense(3).get_config()
    assert cfg["activation"] == "linear" and cfg["kernel_regularizer"] is None
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"
    assert cfg["kernel_initializer"]["module"] == "keras.initializers"
    assert cfg["dtype"]["config"]["name"] == tw.layers.Dense(3).dtype_policy.name
    lstm = tw.layers.LSTM(4).get_config()
    assert lstm["recurrent_initializer"]["class_name"] == "Orthogonal"
    assert lstm["dropout"] == 0.0 and lstm["return_sequences"] is False

    class Doubler(tw.layers.Layer):
        def __init__(self, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units * 2

        def call(self, x):
            return x

    assert Doubler(3).get_config()["units"] == 3
    assert Doubler.from_config(Doubler(3).get_config()).units == 6
