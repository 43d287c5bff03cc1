"""SimpleRNN, LSTM and GRU against NumPy re-implementations of the Keras 3 equations.

Checked: outputs (return_sequences / return_state / go_backwards / initial_state),
gradients through ``tw.grad`` against finite differences in float64, Keras's parameter
counts, the config round trip, training a small model, stateful layers (states carried
between calls and between the batches of ``fit``, ``reset_states`` on the layer and the
model) and one run on the pure-Python backend.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_layers import (  # noqa: F401  (float64_layers is an autouse fixture)
    as_np,
    assert_names_layer,
    check_grads,
    check_roundtrip,
    check_shape,
    float64_layers,
    on_python_backend,
    rand,
)

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError, ShapeError


# ---- NumPy oracles (Keras 3 equations) ---------------------------------------------------------
def sigmoid(z):  # noqa: ANN001, ANN201
    return 1.0 / (1.0 + np.exp(-z))


def simple_rnn_ref(x, k, rk, b, h0=None, go_backwards=False):  # noqa: ANN001, ANN201
    n, steps, _ = x.shape
    h = np.zeros((n, rk.shape[0])) if h0 is None else h0
    seq = []
    for t in (reversed(range(steps)) if go_backwards else range(steps)):
        h = np.tanh(x[:, t] @ k + h @ rk + b)
        seq.append(h)
    return np.stack(seq, 1), [h]


def lstm_ref(x, k, rk, b, h0=None, c0=None, go_backwards=False):  # noqa: ANN001, ANN201
    n, steps, _ = x.shape
    u = rk.shape[0]
    h = np.zeros((n, u)) if h0 is None else h0
    c = np.zeros((n, u)) if c0 is None else c0
    seq = []
    for t in (reversed(range(steps)) if go_backwards else range(steps)):
        z = x[:, t] @ k + h @ rk + b
        i, f, cc, o = (z[:, j * u:(j + 1) * u] for j in range(4))
        i, f, o = sigmoid(i), sigmoid(f), sigmoid(o)
        c = f * c + i * np.tanh(cc)
        h = o * np.tanh(c)
        seq.append(h)
    return np.stack(seq, 1), [h, c]


def gru_ref(x, k, rk, b, h0=None, reset_after=True, go_backwards=False):  # noqa: ANN001, ANN201
    n, steps, _ = x.shape
    u = rk.shape[0]
    h = np.zeros((n, u)) if h0 is None else h0
    seq = []
    for t in (reversed(range(steps)) if go_backwards else range(steps)):
        if reset_after:
            mx = x[:, t] @ k + b[0]
            mi = h @ rk + b[1]
            z = sigmoid(mx[:, :u] + mi[:, :u])
            r = sigmoid(mx[:, u:2 * u] + mi[:, u:2 * u])
            hh = np.tanh(mx[:, 2 * u:] + r * mi[:, 2 * u:])
        else:
            mx = x[:, t] @ k + b
            z = sigmoid(mx[:, :u] + h @ rk[:, :u])
            r = sigmoid(mx[:, u:2 * u] + h @ rk[:, u:2 * u])
            hh = np.tanh(mx[:, 2 * u:] + (r * h) @ rk[:, 2 * u:])
        h = z * h + (1 - z) * hh
        seq.append(h)
    return np.stack(seq, 1), [h]


def _weights(layer, x):  # noqa: ANN001, ANN202
    """Build the layer and give it random weights (the bias too, to exercise it)."""
    layer(x)
    ws = [rand(*w.shape) * 0.5 for w in layer.trainable_weights]
    layer.set_weights(ws + [w.numpy() for w in layer.non_trainable_weights])
    return ws


CASES = [
    (lambda **kw: L.SimpleRNN(3, **kw), lambda x, w, **kw: simple_rnn_ref(x, *w, **kw)),
    (lambda **kw: L.LSTM(3, **kw), lambda x, w, **kw: lstm_ref(x, *w, **kw)),
    (lambda **kw: L.GRU(3, **kw), lambda x, w, **kw: gru_ref(x, *w, **kw)),
    (lambda **kw: L.GRU(3, reset_after=False, **kw),
     lambda x, w, **kw: gru_ref(x, *w, reset_after=False, **kw)),
]
IDS = ["SimpleRNN", "LSTM", "GRU", "GRU-reset_before"]


@pytest.mark.parametrize("make,ref", CASES, ids=IDS)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_outputs_match_keras_equations(make, ref, go_backwards):  # noqa: ANN001
    x = rand(2, 5, 4)
    layer = make(return_sequences=True, return_state=True, go_backwards=go_backwards)
    w = _weights(layer, x)
    seq_want, states_want = ref(x, w, go_backwards=go_backwards)
    out = layer(x)
    assert isinstance(out, list) and len(out) == 1 + len(states_want)
    np.testing.assert_allclose(as_np(out[0]), seq_want, rtol=1e-10, atol=1e-12)
    for got, want in zip(out[1:], states_want):
        np.testing.assert_allclose(as_np(got), want, rtol=1e-10, atol=1e-12)
    # the last output alone (return_sequences=False, no states)
    last = make(go_backwards=go_backwards)
    last(x)
    last.set_weights(layer.get_weights())
    np.testing.assert_allclose(as_np(last(x)), seq_want[:, -1], rtol=1e-10, atol=1e-12)
    # shapes from a symbolic batch agree
    check_shape(make(return_sequences=True), x)
    check_shape(make(), x)


@pytest.mark.parametrize("make,ref", CASES, ids=IDS)
def test_initial_state(make, ref):  # noqa: ANN001
    x = rand(2, 4, 3)
    layer = make(return_sequences=True)
    w = _weights(layer, x)
    n_states = 2 if isinstance(layer, L.LSTM) else 1
    init = [rand(2, 3) for _ in range(n_states)]
    if isinstance(layer, L.LSTM):
        want, _ = ref(x, w, h0=init[0], c0=init[1])
    else:
        want, _ = ref(x, w, h0=init[0])
    np.testing.assert_allclose(as_np(layer(x, initial_state=init)), want, rtol=1e-10)
    with pytest.raises(InvalidArgumentError) as e:
        layer(x, initial_state=init * 2)
    assert_names_layer(e.value, layer)
    with pytest.raises(ShapeError):
        layer(x, initial_state=[rand(2, 5)] * n_states)


@pytest.mark.parametrize("make", [c[0] for c in CASES], ids=IDS)
def test_gradients_finite_differences(make):  # noqa: ANN001
    x = rand(2, 3, 2)
    layer = make(return_sequences=True)
    _weights(layer, x)
    check_grads(layer, x)
    back = make(go_backwards=True)
    _weights(back, x)
    check_grads(back, x)


def test_gradient_through_initial_state():
    x = rand(2, 3, 2)
    layer = L.LSTM(2)
    _weights(layer, x)
    h0, c0 = rand(2, 2), rand(2, 2)
    proj = rand(2, 2, seed=5)

    def f(c):  # noqa: ANN001, ANN202
        return tw.ops.sum(tw.ops.multiply(layer(x, initial_state=[h0, c]), proj))

    from test_layers import fd_grad

    got = as_np(tw.grad(f)(c0))
    want = fd_grad(lambda v: as_np(f(v)), c0.copy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


def test_count_params_match_keras():
    lstm = L.LSTM(128)
    lstm.build((None, 10, 1))
    assert lstm.count_params() == 66560
    assert [w.name for w in lstm.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert [tuple(w.shape) for w in lstm.weights] == [(1, 512), (128, 512), (512,)]
    gru = L.GRU(32)
    gru.build((None, 10, 8))
    assert gru.count_params() == 4032
    assert tuple(gru.bias.shape) == (2, 96)
    gru2 = L.GRU(32, reset_after=False)
    gru2.build((None, 10, 8))
    assert gru2.count_params() == 3936 and tuple(gru2.bias.shape) == (96,)
    rnn = L.SimpleRNN(16)
    rnn.build((None, 10, 4))
    assert rnn.count_params() == 336
    nobias = L.SimpleRNN(16, use_bias=False)
    nobias.build((None, 10, 4))
    assert nobias.count_params() == 320


def test_lstm_unit_forget_bias_and_initializers():
    layer = L.LSTM(4)
    layer.build((None, 3, 2))
    b = layer.bias.numpy()
    np.testing.assert_array_equal(b, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    rk = layer.recurrent_kernel.numpy()  # orthogonal (4, 16): orthonormal rows
    np.testing.assert_allclose(rk @ rk.T, np.eye(4), atol=1e-6)
    off = L.LSTM(4, unit_forget_bias=False)
    off.build((None, 3, 2))
    np.testing.assert_array_equal(off.bias.numpy(), np.zeros(16))


@pytest.mark.parametrize("make", [c[0] for c in CASES], ids=IDS)
def test_config_round_trip(make):  # noqa: ANN001
    x = rand(2, 4, 3)
    layer = make(return_sequences=True, go_backwards=True)
    _weights(layer, x)
    check_roundtrip(layer, x)
    cfg = layer.get_config()
    assert cfg["units"] == 3 and cfg["return_sequences"] is True and cfg["go_backwards"] is True


def test_argument_errors():
    with pytest.raises(InvalidArgumentError, match="units"):
        L.LSTM(0)
    with pytest.raises(InvalidArgumentError, match="dropout"):
        L.GRU(3, dropout=1.5)
    with pytest.raises(InvalidArgumentError, match="recurrent_dropout"):
        L.SimpleRNN(3, recurrent_dropout=-0.1)
    layer = L.LSTM(2)
    with pytest.raises(ShapeError) as e:
        layer(rand(2, 3))
    assert_names_layer(e.value, layer)
    ok = L.LSTM(2)
    ok(rand(2, 3, 4))
    with pytest.raises(ShapeError, match="features"):
        ok(rand(2, 3, 5))
    with pytest.raises(InvalidArgumentError, match="stateful"):
        L.LSTM(2).reset_states()
    stateful = L.LSTM(2, stateful=True)
    with pytest.raises(InvalidArgumentError, match="fixed batch size"):
        stateful.build((None, 3, 1))


def test_dropout_only_while_training():
    x = rand(4, 5, 3)
    plain = L.LSTM(3)
    drop = L.LSTM(3, dropout=0.5, recurrent_dropout=0.5, seed=1)
    plain(x)
    drop(x)
    drop.set_weights(plain.get_weights())
    np.testing.assert_allclose(as_np(drop(x, training=False)), as_np(plain(x)), rtol=1e-12)
    y = as_np(drop(x, training=True))
    assert np.all(np.isfinite(y)) and not np.allclose(y, as_np(plain(x)))
    model = tw.Sequential([tw.Input((5, 3)), L.GRU(3, dropout=0.2, recurrent_dropout=0.2,
                                                    seed=2), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x, rand(4, 1), epochs=2, batch_size=2, verbose=0)
    assert all(np.isfinite(v) for v in hist.history["loss"])


def test_an_all_true_mask_changes_nothing():
    layer = L.SimpleRNN(2, return_sequences=True)
    x = rand(1, 3, 2)
    np.testing.assert_allclose(as_np(layer(x, mask=np.ones((1, 3), bool))),
                               as_np(layer(x)), rtol=1e-12)


# ---- models -------------------------------------------------------------------------------------
def _sine_windows(n: int = 64, window: int = 4) -> tuple[np.ndarray, np.ndarray]:
    s = np.sin(np.linspace(0, 8 * np.pi, n + window + 1))
    x = np.stack([s[i:i + window] for i in range(n)])[..., None]
    y = s[window:window + n, None]
    return x.astype("float32"), y.astype("float32")


def test_lstm_regression_fit_reduces_loss():
    tw.utils.set_random_seed(0)
    x, y = _sine_windows()
    model = tw.Sequential([tw.Input((4, 1)), L.LSTM(8), L.Dense(1)])
    model.compile(optimizer=tw.optimizers.Adam(0.02), loss="mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses
    assert model.predict(x, verbose=0).shape == (64, 1)


def test_functional_encoder_decoder_with_initial_state():
    enc_in = tw.Input((5, 3))
    _, h, c = L.LSTM(4, return_state=True)(enc_in)
    dec_in = tw.Input((2, 3))
    dec = L.LSTM(4, return_sequences=True)(dec_in, initial_state=[h, c])
    out = L.Dense(1)(dec)
    model = tw.Model([enc_in, dec_in], out)
    a, b = rand(2, 5, 3), rand(2, 2, 3)
    assert model.predict([a, b], verbose=0).shape == (2, 2, 1)
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit([a, b], rand(2, 2, 1), epochs=2, verbose=0)
    assert np.isfinite(hist.history["loss"][-1])


# ---- stateful -----------------------------------------------------------------------------------
def test_stateful_layer_carries_states_between_calls():
    x = rand(2, 6, 3)
    full = L.LSTM(3, return_state=True)
    w = _weights(full, x)
    layer = L.LSTM(3, stateful=True, batch_size=2)
    layer(x[:, :3])
    layer.set_weights(w)  # the states are not weights (Keras)
    layer.reset_states()
    assert len(layer.states) == 2 and layer.count_params() == full.count_params()
    layer(x[:, :3])
    second = as_np(layer(x[:, 3:]))
    np.testing.assert_allclose(second, as_np(full(x)[0]), rtol=1e-10)
    _, (h, c) = lstm_ref(x, *w)
    np.testing.assert_allclose(layer.states[0].numpy(), h, rtol=1e-10)
    np.testing.assert_allclose(layer.states[1].numpy(), c, rtol=1e-10)
    layer.reset_states()
    assert not np.any(layer.states[0].numpy()) and not np.any(layer.states[1].numpy())
    np.testing.assert_allclose(as_np(layer(x[:, :3])), as_np(full(x[:, :3])[0]), rtol=1e-10)
    with pytest.raises(ShapeError, match="batch size"):
        layer(x[:1, :3])
    layer.reset_states([np.ones((2, 3)), np.zeros((2, 3))])
    np.testing.assert_array_equal(layer.states[0].numpy(), np.ones((2, 3)))


def test_stateful_states_are_not_weights_so_batch_n_weights_load_into_batch_1():
    """Train with batch N, copy the weights into a batch-1 model to generate (the Keras
    recipe): a stateful layer's states are state, not weights."""
    def make(batch: int) -> tw.Sequential:
        return tw.Sequential([tw.Input((4, 1), batch_size=batch),
                              L.LSTM(3, stateful=True), L.Dense(1)])

    train, gen = make(8), make(1)
    assert len(train.get_weights()) == 5 and len(train.layers[0].weights) == 3
    assert len(train.variables) == 7 and len(train.layers[0].non_trainable_variables) == 2
    gen.set_weights(train.get_weights())
    x = rand(1, 4, 1)
    ref = tw.Sequential([tw.Input((4, 1), batch_size=1), L.LSTM(3), L.Dense(1)])
    ref.set_weights(train.get_weights())
    np.testing.assert_allclose(as_np(gen(x)), as_np(ref(x)), rtol=1e-6)
    assert train.layers[0].count_params() == ref.layers[0].count_params()


def test_stateful_states_written_back_by_fit():
    """With a zero learning rate, fit over batches of one sample carries the state from
    batch to batch exactly as eager calls do (the assignment made in the traced step is
    written back after each step)."""
    x, y = _sine_windows(n=5)
    model = tw.Sequential([L.LSTM(3, batch_input_shape=(1, 4, 1), stateful=True),
                           L.Dense(1)])
    model.compile(optimizer=tw.optimizers.SGD(0.0), loss="mse")
    lstm = model.layers[0]
    ref = L.LSTM(3, stateful=True, batch_size=1)
    ref(x[:1])
    ref.set_weights(lstm.get_weights())
    ref.reset_states()
    for i in range(5):
        ref(x[i:i + 1].astype(np.float64))
    model.fit(x, y, epochs=1, batch_size=1, shuffle=False, verbose=0)
    for a, b in zip(lstm.states, ref.states):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    assert np.any(lstm.states[0].numpy())
    model.reset_states()
    assert not np.any(lstm.states[0].numpy()) and not np.any(lstm.states[1].numpy())


def test_stateful_tutorial_loop():
    """The seed tutorial: a stateful LSTM trained one epoch at a time, resetting states."""
    tw.utils.set_random_seed(1)
    x, y = _sine_windows(n=12)
    model = tw.Sequential()
    model.add(L.LSTM(4, batch_input_shape=(1, 4, 1), stateful=True))
    model.add(L.Dense(1))
    model.compile(loss="mean_squared_error", optimizer="adam")
    losses = []
    for _ in range(3):
        hist = model.fit(x, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
        losses.append(hist.history["loss"][0])
        model.reset_states()
    assert all(np.isfinite(losses))
    pred = model.predict(x, batch_size=1, verbose=0)
    assert pred.shape == (12, 1) and np.all(np.isfinite(pred))
    # tw.Input with a fixed batch size works the same way
    m2 = tw.Sequential([tw.Input((4, 1), batch_size=2), L.GRU(2, stateful=True),
                        L.Dense(1)])
    m2.compile(loss="mse", optimizer="adam")
    m2.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    m2.reset_states()


# ---- python backend -----------------------------------------------------------------------------
def test_simple_rnn_on_python_backend():
    x = rand(2, 3, 2)
    on_python_backend(lambda: L.SimpleRNN(2, return_sequences=True), x)


def test_mixed_precision_and_return_state_shapes():
    from tensorweave.plugins.layers.policy import set_global_policy

    set_global_policy("mixed_float16")
    try:
        x = rand(2, 4, 1, dtype="float32")
        for cls in (L.SimpleRNN, L.LSTM, L.GRU):
            layer = cls(3, stateful=True, batch_size=2, return_sequences=True)
            layer(x)
            y = layer(x)
            assert y.dtype.name == "float16" and layer.kernel.dtype.name == "float32"
            assert layer.states[0].dtype.name == "float32" and np.any(layer.states[0].numpy())
        model = tw.Sequential([tw.Input((4, 1)), L.LSTM(4), L.Dense(1)])
        model.compile(optimizer="adam", loss="mse")
        assert np.isfinite(model.fit(x, np.ones((2, 1)), verbose=0).history["loss"][0])
    finally:
        set_global_policy("float64")
    shapes = L.LSTM(5, return_state=True, return_sequences=True).compute_output_shape(
        (None, 7, 2))
    assert [tuple(s) for s in shapes] == [(None, 7, 5), (None, 5), (None, 5)]


def test_float32_layer_inside_a_mixed_precision_model_reads_float32_weights():
    tw.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = tw.Sequential([tw.Input((4,)), tw.layers.Dense(4),
                               tw.layers.Dense(1, dtype="float32")])
    finally:
        tw.mixed_precision.set_global_policy("float32")
    assert model.layers[0].compute_dtype == "float16"
    out = model(np.ones((2, 4), "float32"))
    assert out.dtype == "float32"
    model.compile("adam", "mse")
    hist = model.fit(np.ones((8, 4), "float32"), np.ones((8, 1), "float32"), epochs=1,
                     verbose=0)
    assert np.isfinite(hist.history["loss"][0])


def test_predict_advances_stateful_states_like_keras():
    layer = tw.layers.LSTM(3, stateful=True)
    model = tw.Sequential([tw.Input((4, 1), batch_size=1), layer])
    x = np.linspace(0, 1, 4, dtype="float32").reshape(1, 4, 1)
    first = model.predict(x, verbose=0)
    second = model.predict(x, verbose=0)
    assert not np.allclose(first, second)  # the state carried over
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)


# ---- sequences of unknown length (Input((None, features))) ------------------------------------
def test_models_over_sequences_of_unknown_length(tmp_path):
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((None, 2)), L.LSTM(4, return_sequences=True),
                           L.TimeDistributed(L.Dense(3)), L.GRU(5), L.Dense(1)])
    shapes = [tuple(layer.compute_output_shape((None, None, 2)))
              for layer in model.layers[:1]]
    assert shapes == [(None, None, 4)]
    assert tuple(model.compute_output_shape((None, None, 2))) == (None, 1)
    model.compile(loss="mse", optimizer="sgd")
    x10, x15 = rand(6, 10, 2), rand(3, 15, 2)
    model.fit(x10, x10.sum((1, 2))[:, None], epochs=1, verbose=0)
    for x in (x10, x15):  # each length unrolls over its own steps
        want = as_np(model(x))
        np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
    model.save(tmp_path / "m.tw")
    again = tw.models.load_model(tmp_path / "m.tw")
    np.testing.assert_allclose(again.predict(x15, verbose=0), model.predict(x15, verbose=0),
                               rtol=1e-6)
    inp = tw.Input((None, 2))
    bi = tw.Model(inp, L.Bidirectional(L.SimpleRNN(3, return_sequences=True))(inp))
    assert bi.predict(x15, verbose=0).shape == (3, 15, 6)


def test_tracing_over_an_unknown_number_of_steps_is_a_clear_error():
    layer = L.SimpleRNN(2)
    layer(rand(1, 3, 2))
    with pytest.raises(ShapeError, match="timesteps must be known"):
        tw.trace(layer, tw.placeholder((None, None, 2), "float64"))


def test_custom_layer_and_cell_using_variables_directly_under_mixed_precision():
    """``ops.matmul(x, self.kernel)`` in a mixed_float16 layer reads the kernel as float16
    (a variable's dtype follows the autocast scope, as in Keras 3), while it is stored,
    updated and saved in float32."""
    seen = {}

    class Scale(L.Layer):
        def build(self, shape):
            self.kernel = self.add_weight((shape[-1], 2), name="kernel")

        def call(self, x):
            seen["dtype"], seen["stored"] = self.kernel.dtype, self.kernel.stored_dtype
            return tw.ops.add(tw.ops.matmul(x, self.kernel), tw.ops.sum(self.kernel))

    class MinimalCell(L.Layer):
        def __init__(self, units, **kw):
            super().__init__(**kw)
            self.units = self.state_size = units

        def build(self, shape):
            self.kernel = self.add_weight((shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight((self.units, self.units), name="rk")

        def call(self, x, states):
            h = tw.ops.add(tw.ops.matmul(x, self.kernel),
                           tw.ops.matmul(states[0], self.recurrent_kernel))
            return h, [h]

    tw.mixed_precision.set_global_policy("mixed_float16")
    try:
        scale = Scale()
        out = scale(np.ones((2, 3), "float32"))
        assert out.dtype == "float16" and seen == {"dtype": tw.float16,
                                                   "stored": tw.float32}
        assert scale.kernel.dtype == "float32"  # outside the layer's call
        model = tw.Sequential([tw.Input((5, 2)), L.RNN(MinimalCell(4)),
                               L.Dense(1, dtype="float32")])
    finally:
        tw.mixed_precision.set_global_policy("float64")
    model.compile("adam", "mse")
    x = np.random.default_rng(0).normal(size=(8, 5, 2)).astype("float32")
    hist = model.fit(x, x.sum((1, 2))[:, None], epochs=3, verbose=0).history["loss"]
    assert np.all(np.isfinite(hist)) and hist[-1] < hist[0]
    assert all(w.dtype == "float32" for w in model.weights)
