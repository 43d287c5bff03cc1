"""Wrappers (TimeDistributed, Bidirectional), activation layers with parameters, noise and
regularization layers, and preprocessing layers inside the model.

Oracles: NumPy formulas; for the wrappers, the wrapped layer run step by step or on the
reversed sequence; gradients by central finite differences (float64 layers)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_layers import as_np, check_grads, check_roundtrip, check_shape, rand

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, ShapeError

L = tw.layers


@pytest.fixture(autouse=True)
def float64_layers():
    from tensorweave.plugins.layers.policy import global_policy, set_global_policy

    old = global_policy()
    set_global_policy("float64")
    try:
        yield
    finally:
        set_global_policy(old)


# ---- TimeDistributed ----------------------------------------------------------------------
def test_time_distributed_dense_is_the_same_dense_at_every_step():
    x = rand(2, 5, 3)
    td = L.TimeDistributed(L.Dense(4, activation="tanh"))
    y = check_shape(td, x)
    k, b = td.layer.kernel.numpy(), td.layer.bias.numpy()
    np.testing.assert_allclose(y, np.tanh(x @ k + b), rtol=1e-12)
    assert td.count_params() == 3 * 4 + 4
    check_grads(td, x)
    check_roundtrip(td, x)


def test_time_distributed_conv2d_per_frame():
    x = rand(2, 3, 6, 6, 1)
    td = L.TimeDistributed(L.Conv2D(2, 3))
    y = as_np(td(x))
    frames = [as_np(td.layer(x[:, t])) for t in range(3)]
    np.testing.assert_allclose(y, np.stack(frames, axis=1), rtol=1e-12)
    assert y.shape == (2, 3, 4, 4, 2)


def test_time_distributed_in_a_trained_model():
    tw.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(32, 4, 3)).astype("float32")
    y = x.sum(-1, keepdims=True)
    m = tw.Sequential([tw.Input((4, 3)), L.TimeDistributed(L.Dense(1, dtype="float32"))])
    m.compile(loss="mse", optimizer=tw.optimizers.Adam(0.05))
    hist = m.fit(x, y, epochs=30, batch_size=8, verbose=0).history["loss"]
    assert hist[-1] < 0.05 * hist[0]


def test_time_distributed_errors_name_the_layer():
    with pytest.raises(InvalidArgumentError, match="TimeDistributed.*'layer'.*Layer"):
        L.TimeDistributed("dense")
    td = L.TimeDistributed(L.Dense(2), name="td")
    with pytest.raises(ShapeError, match="TimeDistributed 'td'.*3 dimensions"):
        td(rand(2, 3))


# ---- Bidirectional ------------------------------------------------------------------------
def _np_lstm(x, kernel, rec, bias, reverse=False):
    """Keras's LSTM equations (gates i, f, c, o), returning every step's h."""
    n = rec.shape[0]
    h = np.zeros((x.shape[0], n))
    c = np.zeros((x.shape[0], n))
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    out = []
    for t in steps:
        z = x[:, t] @ kernel + h @ rec + bias
        i, f, g, o = sig(z[:, :n]), sig(z[:, n:2 * n]), np.tanh(z[:, 2 * n:3 * n]), \
            sig(z[:, 3 * n:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, axis=1)


def test_bidirectional_parameter_count_matches_keras():
    m = tw.Sequential([tw.Input((10, 128)), L.Bidirectional(L.LSTM(64))])
    assert m.count_params() == 98816  # Keras: 2 * 4 * 64 * (128 + 64 + 1)
    names = [w.path for w in m.weights]
    assert names[0].startswith("forward_lstm") and names[-1].startswith("backward_lstm")


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "ave", "mul", None])
def test_bidirectional_values_against_numpy_lstms(merge_mode):
    x = rand(2, 4, 3)
    bi = L.Bidirectional(L.LSTM(5, return_sequences=True), merge_mode=merge_mode)
    out = bi(x)
    wf = [w.numpy() for w in bi.forward_layer.weights]
    wb = [w.numpy() for w in bi.backward_layer.weights]
    f = _np_lstm(x, *wf)
    b = _np_lstm(x, *wb, reverse=True)[:, ::-1]  # step t of both refers to input t
    want = {"concat": np.concatenate([f, b], -1), "sum": f + b, "ave": (f + b) / 2,
            "mul": f * b}
    if merge_mode is None:
        np.testing.assert_allclose(as_np(out[0]), f, rtol=1e-10)
        np.testing.assert_allclose(as_np(out[1]), b, rtol=1e-10)
    else:
        np.testing.assert_allclose(as_np(out), want[merge_mode], rtol=1e-10)


def test_bidirectional_last_output_states_gradients_and_config():
    x = rand(2, 3, 2)
    bi = L.Bidirectional(L.GRU(3, return_state=True))
    out = bi(x)
    assert len(out) == 3  # merged output, forward h, backward h
    np.testing.assert_allclose(as_np(out[0]), np.concatenate([as_np(out[1]), as_np(out[2])],
                                                             -1))
    bi2 = L.Bidirectional(L.SimpleRNN(3))
    check_shape(bi2, x)
    check_grads(bi2, x)
    check_roundtrip(bi2, x)
    cfg = json.loads(json.dumps(tw.saving.serialize_layer(bi2)))
    assert cfg["config"]["layer"]["config"]["name"].startswith("forward_")


def test_bidirectional_trains_to_read_the_end_of_a_sequence():
    """The label is the sign of the first step: a backward pass sees it last."""
    tw.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6, 1)).astype("float32")
    y = (x[:, 0, 0] > 0).astype("float32")
    m = tw.Sequential([tw.Input((6, 1)), L.Bidirectional(L.LSTM(8, dtype="float32")),
                       L.Dense(1, activation="sigmoid", dtype="float32")])
    m.compile(loss="binary_crossentropy", optimizer=tw.optimizers.Adam(0.02),
              metrics=["accuracy"])
    m.fit(x, y, epochs=25, batch_size=32, verbose=0)
    assert m.evaluate(x, y, verbose=0)[1] > 0.9


def test_bidirectional_errors():
    with pytest.raises(InvalidArgumentError, match="merge_mode"):
        L.Bidirectional(L.LSTM(2), merge_mode="max")
    with pytest.raises(InvalidArgumentError, match="recurrent layer"):
        L.Bidirectional(L.Dense(2))
    with pytest.raises(InvalidArgumentError, match="go_backwards"):
        L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2))


# ---- activation layers ----------------------------------------------------------------------
def test_activation_layers_values():
    x = np.array([[-3.0, -0.5, 0.0, 0.5, 8.0]])
    np.testing.assert_allclose(as_np(L.ReLU(max_value=6.0)(x)), np.clip(x, 0, 6))
    np.testing.assert_allclose(as_np(L.ReLU(negative_slope=0.1, threshold=1.0)(x)),
                               np.where(x > 1.0, x, 0.1 * (x - 1.0)))
    np.testing.assert_allclose(as_np(L.LeakyReLU()(x)), np.where(x > 0, x, 0.3 * x))
    leaky = L.LeakyReLU(alpha=0.2)  # Keras 2's argument name
    np.testing.assert_allclose(as_np(leaky(x)), np.where(x > 0, x, 0.2 * x))
    assert leaky.get_config()["negative_slope"] == 0.2 and "alpha" not in leaky.get_config()
    np.testing.assert_allclose(as_np(L.ELU(alpha=0.5)(x)),
                               np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-12)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(as_np(L.Softmax()(x)), e / e.sum(), rtol=1e-12)
    mask = np.array([[True, False, True, True, False]])
    got = as_np(L.Softmax()(x, mask=mask))
    e = np.where(mask, np.exp(x), 0)
    np.testing.assert_allclose(got, e / e.sum(), rtol=1e-9, atol=1e-12)
    with pytest.raises(InvalidArgumentError, match="ReLU.*'max_value'"):
        L.ReLU(max_value=-1.0)


def test_prelu_learns_slopes_with_shared_axes():
    x = rand(2, 3, 3, 4)
    p = L.PReLU(alpha_initializer=tw.initializers.Constant(0.25), shared_axes=[1, 2])
    y = check_shape(p, x)
    assert tuple(p.alpha.shape) == (1, 1, 4)
    np.testing.assert_allclose(y, np.where(x > 0, x, 0.25 * x), rtol=1e-12)
    p2 = L.PReLU(alpha_initializer=tw.initializers.Constant(0.1))
    check_grads(p2, rand(2, 3) + 0.05)
    check_roundtrip(p, x)
    with pytest.raises(InvalidArgumentError, match="PReLU.*shared_axes"):
        L.PReLU(shared_axes=[0])(x)


# ---- noise and regularization ---------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: L.GaussianNoise(0.5, seed=1),
                                  lambda: L.GaussianDropout(0.3, seed=1),
                                  lambda: L.AlphaDropout(0.3, seed=1),
                                  lambda: L.SpatialDropout1D(0.5, seed=1)])
def test_noise_layers_are_the_identity_at_inference(make):
    x = rand(4, 5, 6)
    np.testing.assert_array_equal(as_np(make()(x)), x)
    np.testing.assert_array_equal(as_np(make()(x, training=False)), x)
    assert not np.array_equal(as_np(make()(x, training=True)), x)


def test_gaussian_noise_and_dropout_statistics():
    x = np.ones((200, 500))
    noise = as_np(L.GaussianNoise(0.5, seed=3)(x, training=True)) - 1
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    mult = as_np(L.GaussianDropout(0.2, seed=3)(x, training=True))
    assert abs(mult.mean() - 1) < 0.01 and abs(mult.var() - 0.2 / 0.8) < 0.01


def test_alpha_dropout_keeps_standard_normal_moments():
    x = np.random.default_rng(0).normal(size=(400, 500))
    y = as_np(L.AlphaDropout(0.2, seed=5)(x, training=True))
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1.0) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped_value = a * alpha_p - a * alpha_p * 0.2
    assert abs(np.mean(np.isclose(y, dropped_value, rtol=1e-12)) - 0.2) < 0.01


def test_spatial_dropout_drops_whole_channels():
    x = rand(8, 5, 5, 16) + 10.0  # no zeros in the input
    y = as_np(L.SpatialDropout2D(0.5, seed=2)(x, training=True))
    dropped = (y == 0).all(axis=(1, 2))
    kept = np.isclose(y, x / 0.5).all(axis=(1, 2))
    assert (dropped | kept).all() and dropped.any() and kept.any()
    y1 = as_np(L.SpatialDropout1D(0.5, seed=2)(rand(4, 7, 9) + 10.0, training=True))
    assert ((y1 == 0).all(axis=1) | (y1 != 0).all(axis=1)).all()


def test_seeded_noise_is_identical_on_numpy_and_python_backends():
    x = rand(3, 4)
    want = as_np(L.GaussianNoise(0.3, seed=7)(x, training=True))
    with tw.backend_scope("python"):
        got = as_np(L.GaussianNoise(0.3, seed=7)(x, training=True))
    np.testing.assert_array_equal(got, want)


def test_activity_regularization_adds_its_penalty():
    x = rand(3, 4)
    layer = L.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(as_np(layer(x)), x)
    assert float(layer.losses[0]) == pytest.approx(0.1 * np.abs(x).sum() + 0.01 *
                                                   np.square(x).sum(), rel=1e-6)
    cfg = layer.get_config()
    assert cfg["l1"] == 0.1 and "activity_regularizer" not in cfg
    assert isinstance(L.ActivityRegularization.from_config(cfg), L.ActivityRegularization)


# ---- preprocessing inside the model ---------------------------------------------------------
def test_rescaling_and_identity():
    img = np.array([[0, 128, 255]], np.uint8)
    out = L.Rescaling(1 / 255.0, dtype="float32")(img)
    assert str(out.dtype) == "float32"
    np.testing.assert_allclose(as_np(out), img / 255.0, rtol=1e-6)
    np.testing.assert_allclose(as_np(L.Rescaling(2.0, offset=-1.0)(img / 255.0)),
                               img / 255.0 * 2 - 1, rtol=1e-12)
    x = rand(2, 3)
    np.testing.assert_array_equal(as_np(L.Identity()(x)), x)


def test_normalization_adapt_matches_numpy_and_is_saved(tmp_path):
    data = np.random.default_rng(0).normal(loc=[1, -2, 30], scale=[1, 3, 10],
                                           size=(100, 3))
    norm = L.Normalization()
    norm.adapt(data)
    np.testing.assert_allclose(norm.mean.numpy().ravel(), data.mean(0), rtol=1e-10)
    np.testing.assert_allclose(norm.variance.numpy().ravel(), data.var(0), rtol=1e-9)
    np.testing.assert_allclose(as_np(norm(data)), (data - data.mean(0)) / data.std(0),
                               rtol=1e-9, atol=1e-12)
    batched = L.Normalization()
    batched.adapt(tw.data.Dataset.from_tensor_slices(data).batch(7))
    np.testing.assert_allclose(batched.mean.numpy(), norm.mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(batched.variance.numpy(), norm.variance.numpy(), rtol=1e-6)
    whole = L.Normalization(axis=None)
    whole.adapt(data)
    assert float(whole.mean.numpy().ravel()[0]) == pytest.approx(data.mean())
    inv = L.Normalization(mean=data.mean(0), variance=data.var(0), invert=True)
    np.testing.assert_allclose(as_np(inv(as_np(norm(data)))), data, rtol=1e-9)

    m = tw.Sequential([tw.Input((3,)), norm, L.Dense(1)])
    m.compile(loss="mse", optimizer="sgd")
    m.save(tmp_path / "n.tw")
    m2 = tw.models.load_model(tmp_path / "n.tw")
    np.testing.assert_allclose(m2.predict(data, verbose=0), m.predict(data, verbose=0),
                               rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="Normalization.*'mean' and 'variance'"):
        L.Normalization(mean=[0.0])
    with pytest.raises(InvalidArgumentError, match="adapt.*at least one sample"):
        L.Normalization().adapt([])


def test_new_layers_are_registered_under_keras_names():
    for name in ["TimeDistributed", "Bidirectional", "ReLU", "LeakyReLU", "PReLU", "ELU",
                 "Softmax", "GaussianNoise", "GaussianDropout", "AlphaDropout",
                 "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                 "ActivityRegularization", "Identity", "Rescaling", "Normalization"]:
        assert getattr(L, name).__name__ == name


def test_conv_lstm_stateful_dropout_and_errors():
    """ConvLSTM2D: training dropout changes the output and not inference; a stateful layer
    carries (h, c) between calls, not as weights; bad input names the layer."""
    import numpy as np

    import tensorweave as tw
    from tensorweave.errors import ShapeError

    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4, 2)).astype("float32")
    layer = tw.layers.ConvLSTM2D(3, 2, padding="same", dropout=0.5, recurrent_dropout=0.5,
                                 seed=1)
    inference = np.asarray(layer(x))
    np.testing.assert_allclose(np.asarray(layer(x)), inference)
    assert not np.allclose(np.asarray(layer(x, training=True)), inference)
    stateful = tw.layers.ConvLSTM2D(3, 2, stateful=True)
    first = np.asarray(stateful(x))
    assert len(stateful.get_weights()) == 3 and len(stateful.variables) == 5
    assert not np.allclose(np.asarray(stateful(x)), first)
    stateful.reset_states()
    np.testing.assert_allclose(np.asarray(stateful(x)), first, rtol=1e-6)
    import pytest

    with pytest.raises(ShapeError, match="conv_lstm2d"):
        tw.layers.ConvLSTM2D(3, 2)(x[:, 0])
