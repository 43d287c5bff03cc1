"""Keras 3's cell API: SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells and RNN(cell).

Checked: one step of each cell against NumPy re-implementations of the Keras equations;
``RNN(LSTMCell(n))`` against ``LSTM(n)`` (same weights: values, parameter counts, weight
names); stacked cells against the same layers stacked; the ``MinimalRNNCell`` of Keras's
docs (functional API over sequences of unknown length, stacked, training); masks,
``initial_state``, ``go_backwards``, ``stateful`` + ``reset_states``, dropout (one mask
per sequence) and ``Bidirectional(RNN(cell))``; gradients against finite differences in
float64; config and file round trips (a built-in cell and a registered custom cell); and
errors that name the layer and the argument.
"""

from __future__ import annotations

import json

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
from test_layers_recurrent import gru_ref, lstm_ref, simple_rnn_ref

import tensorweave as tw
from tensorweave import layers as L
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, SerializationError, ShapeError


# ---- a user-written cell: the example of Keras's RNN docstring ---------------------------------
@tw.saving.register_keras_serializable(package="tw_test_rnn_cells")
class MinimalRNNCell(tw.layers.Layer):
    def __init__(self, units, **kwargs):  # noqa: ANN001, ANN003
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):  # noqa: ANN001
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):  # noqa: ANN001, ANN201
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


def minimal_ref(x, k, rk, h0=None, go_backwards=False):  # noqa: ANN001, ANN201
    n, steps, _ = x.shape
    h = np.zeros((n, rk.shape[0])) if h0 is None else h0
    seq = []
    for t in (reversed(range(steps)) if go_backwards else range(steps)):
        h = x[:, t] @ k + h @ rk
        seq.append(h)
    return np.stack(seq, 1), [h]


def masked_ref(step, x, mask, states, zero_output=False):  # noqa: ANN001, ANN201
    """Keras's masked loop in NumPy: a padded step keeps the states and repeats the last
    output (or gives zeros)."""
    seq, prev = [], None
    for t in range(x.shape[1]):
        out, new = step(x[:, t], states)
        keep = mask[:, t, None]
        states = [np.where(keep, a, b) for a, b in zip(new, states)]
        prev = np.zeros_like(out) if prev is None else prev
        out = np.where(keep, out, np.zeros_like(out) if zero_output else prev)
        prev = out
        seq.append(out)
    return np.stack(seq, 1), states


def randomize(layer, x, **call_kw):  # noqa: ANN001, ANN003, ANN201
    """Build ``layer`` on ``x`` and give it random trainable weights (biases included)."""
    layer(x, **call_kw)
    ws = [rand(*w.shape) * 0.5 for w in layer.trainable_weights]
    layer.set_weights(ws + [w.numpy() for w in layer.non_trainable_weights])
    return ws


CELLS = {
    "SimpleRNN": (lambda: L.SimpleRNNCell(3), lambda **kw: L.SimpleRNN(3, **kw),
                  simple_rnn_ref),
    "LSTM": (lambda: L.LSTMCell(3), lambda **kw: L.LSTM(3, **kw), lstm_ref),
    "GRU": (lambda: L.GRUCell(3), lambda **kw: L.GRU(3, **kw), gru_ref),
    "GRU-reset_before": (lambda: L.GRUCell(3, reset_after=False),
                         lambda **kw: L.GRU(3, reset_after=False, **kw),
                         lambda x, *w, **kw: gru_ref(x, *w, reset_after=False, **kw)),
}


# ---- the cells alone ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", list(CELLS))
def test_one_cell_step_matches_keras_equations(kind):  # noqa: ANN001
    make, _, ref = CELLS[kind]
    cell = make()
    x = rand(4, 5)
    n_states = 2 if kind == "LSTM" else 1
    states = [rand(4, 3) for _ in range(n_states)]
    out, new = cell(x, states)
    k, rk, b = [rand(*w.shape) * 0.5 for w in cell.weights]
    cell.set_weights([k, rk, b])
    out, new = cell(x, states)
    kw = {"h0": states[0]} if n_states == 1 else {"h0": states[0], "c0": states[1]}
    seq, want = ref(x[:, None, :], k, rk, b, **kw)
    assert isinstance(new, list) and len(new) == n_states
    np.testing.assert_allclose(as_np(out), seq[:, 0], rtol=1e-12, atol=1e-12)
    for got, w in zip(new, want):
        np.testing.assert_allclose(as_np(got), w, rtol=1e-12, atol=1e-12)
    assert cell.output_size == 3
    assert cell.state_size == ([3, 3] if kind == "LSTM" else 3)
    init = cell.get_initial_state(batch_size=4)
    assert [tuple(s.shape) for s in init] == [(4, 3)] * n_states
    if n_states == 1:  # a single state may be passed bare: it comes back bare (Keras)
        out1, h = cell(x, states[0])
        assert not isinstance(h, list)
        np.testing.assert_allclose(as_np(h), want[0], rtol=1e-12)


def test_cell_parameter_counts_and_weights_match_keras():
    cell = L.LSTMCell(128)
    cell.build((None, 1))
    assert cell.count_params() == 66560
    assert [w.name for w in cell.weights] == ["kernel", "recurrent_kernel", "bias"]
    np.testing.assert_array_equal(cell.bias.numpy()[128:256], np.ones(128))  # unit_forget_bias
    gru = L.GRUCell(32)
    gru.build((None, 8))
    assert gru.count_params() == 4032 and tuple(gru.bias.shape) == (2, 96)
    gru2 = L.GRUCell(32, reset_after=False)
    gru2.build((None, 8))
    assert gru2.count_params() == 3936 and tuple(gru2.bias.shape) == (96,)
    simple = L.SimpleRNNCell(16, use_bias=False)
    simple.build((None, 4))
    assert simple.count_params() == 320


# ---- RNN(cell) is the built-in layer ------------------------------------------------------------
@pytest.mark.parametrize("kind", list(CELLS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_of_a_cell_equals_the_layer(kind, go_backwards):  # noqa: ANN001
    make_cell, make_layer, ref = CELLS[kind]
    x = rand(2, 5, 4)
    kw = dict(return_sequences=True, return_state=True, go_backwards=go_backwards)
    rnn = L.RNN(make_cell(), **kw)
    layer = make_layer(**kw)
    w = randomize(rnn, x)
    layer(x)
    layer.set_weights(rnn.get_weights())
    assert rnn.count_params() == layer.count_params()
    assert [v.name for v in rnn.weights] == [v.name for v in layer.weights]
    got, want = rnn(x), layer(x)
    assert len(got) == len(want)
    for a, b in zip(got, want):
        np.testing.assert_allclose(as_np(a), as_np(b), rtol=1e-12, atol=1e-12)
    seq, states = ref(x, *w, go_backwards=go_backwards)
    np.testing.assert_allclose(as_np(got[0]), seq, rtol=1e-10, atol=1e-12)
    for a, b in zip(got[1:], states):
        np.testing.assert_allclose(as_np(a), b, rtol=1e-10, atol=1e-12)


def test_builtin_layers_are_rnn_layers_with_compatible_configs():
    lstm = L.LSTM(4, return_sequences=True, dropout=0.1, seed=3)
    assert isinstance(lstm, L.RNN) and isinstance(lstm.cell, L.LSTMCell)
    assert lstm.units == 4 and lstm.dropout == 0.1 and lstm.unit_forget_bias is True
    cfg = lstm.get_config()
    assert "cell" not in cfg and cfg["units"] == 4 and cfg["return_sequences"] is True
    lstm.build((None, 3, 2))
    assert [w.path for w in lstm.weights] == [f"{lstm.name}/kernel",
                                              f"{lstm.name}/recurrent_kernel",
                                              f"{lstm.name}/bias"]
    assert lstm.kernel is lstm.cell.kernel
    with pytest.raises(InvalidArgumentError) as e:
        L.GRU(3, no_such_argument=1)
    assert "GRU" in str(e.value) and "no_such_argument" in str(e.value)
    with pytest.raises(InvalidArgumentError) as e:
        L.LSTM(3, dropout=2.0, name="my_lstm")
    assert "LSTM 'my_lstm'" in str(e.value) and "dropout" in str(e.value)


def test_the_generic_loop_equals_the_projected_one():
    """A cell that is not a built-in one is called once per step; a one-cell stack goes
    that way and must give what the layer gives."""
    x = rand(3, 4, 2)
    layer = L.LSTM(3, return_sequences=True, return_state=True)
    randomize(layer, x)
    stacked = L.RNN([L.LSTMCell(3)], return_sequences=True, return_state=True)
    stacked(x)
    stacked.set_weights(layer.get_weights())
    got = stacked(x)
    assert len(got) == 2 and isinstance(got[1], list) and len(got[1]) == 2  # [out, [h, c]]
    want = layer(x)
    np.testing.assert_allclose(as_np(got[0]), as_np(want[0]), rtol=1e-12)
    np.testing.assert_allclose(as_np(got[1][1]), as_np(want[2]), rtol=1e-12)


# ---- stacked cells ------------------------------------------------------------------------------
def test_stacked_cells_equal_the_same_layers_stacked():
    x = rand(2, 5, 3)
    cells = [L.LSTMCell(4), L.GRUCell(3), L.SimpleRNNCell(2)]
    rnn = L.RNN(cells, return_sequences=True, return_state=True)
    assert isinstance(rnn.cell, L.StackedRNNCells)
    assert rnn.cell.state_size == [[4, 4], 3, 2] and rnn.cell.output_size == 2
    randomize(rnn, x)
    layers = [L.LSTM(4, return_sequences=True, return_state=True),
              L.GRU(3, return_sequences=True, return_state=True),
              L.SimpleRNN(2, return_sequences=True, return_state=True)]
    y, finals = x, []
    weights = rnn.get_weights()
    for layer in layers:
        out = layer(y)
        layer.set_weights(weights[:3])
        weights = weights[3:]
        out = layer(y)
        y = out[0]
        finals.append(out[1:])
    assert rnn.count_params() == sum(layer.count_params() for layer in layers)
    out = rnn(x)
    np.testing.assert_allclose(as_np(out[0]), as_np(y), rtol=1e-12)
    # the states in the cells' structure: [out, [h1, c1], h2, h3]
    assert len(out) == 4 and isinstance(out[1], list) and len(out[1]) == 2
    np.testing.assert_allclose(as_np(out[1][0]), as_np(finals[0][0]), rtol=1e-12)
    np.testing.assert_allclose(as_np(out[1][1]), as_np(finals[0][1]), rtol=1e-12)
    np.testing.assert_allclose(as_np(out[2]), as_np(finals[1][0]), rtol=1e-12)
    np.testing.assert_allclose(as_np(out[3]), as_np(finals[2][0]), rtol=1e-12)
    # initial_state: nested as the states come back, or flat
    init = [[rand(2, 4), rand(2, 4)], rand(2, 3), rand(2, 2)]
    flat = [init[0][0], init[0][1], init[1], init[2]]
    a = as_np(rnn(x, initial_state=init)[0])
    np.testing.assert_allclose(as_np(rnn(x, initial_state=flat)[0]), a, rtol=1e-12)
    want = layers[0](x, initial_state=init[0])[0]
    want = layers[1](want, initial_state=init[1])[0]
    want = layers[2](want, initial_state=init[2])[0]
    np.testing.assert_allclose(a, as_np(want), rtol=1e-12)


def test_stacked_cells_directly():
    cells = L.StackedRNNCells([L.SimpleRNNCell(3), L.LSTMCell(2)])
    x = rand(4, 5)
    out, new = cells(x, cells.get_initial_state(batch_size=4))
    assert tuple(out.shape) == (4, 2) and tuple(new[0].shape) == (4, 3) and len(new[1]) == 2
    with pytest.raises(InvalidArgumentError) as e:
        cells(x, [np.zeros((4, 3))])
    assert_names_layer(e.value, cells)
    assert "states" in str(e.value)


# ---- the MinimalRNNCell of Keras's docs ---------------------------------------------------------
def test_minimal_rnn_cell_example_from_keras_docs():
    cell = MinimalRNNCell(32)
    x = tw.Input((None, 5))
    layer = L.RNN(cell)
    y = layer(x)
    assert tuple(y.shape) == (None, 32)
    cells = [MinimalRNNCell(32), MinimalRNNCell(64)]
    x2 = tw.Input((None, 5))
    y2 = L.RNN(cells)(x2)
    assert tuple(y2.shape) == (None, 64)
    model = tw.Model(x2, y2)
    for steps in (3, 7):  # each length unrolls over its own steps
        assert model.predict(rand(2, steps, 5), verbose=0).shape == (2, 64)
    # the values: h_t = x_t @ K + h_{t-1} @ U
    data = rand(2, 4, 5)
    rnn = L.RNN(MinimalRNNCell(3), return_sequences=True, go_backwards=True)
    rnn(data)
    k, rk = rnn.get_weights()
    seq, _ = minimal_ref(data, k, rk, go_backwards=True)
    np.testing.assert_allclose(as_np(rnn(data)), seq, rtol=1e-12)
    assert rnn.weights[0].path == f"{rnn.name}/{rnn.cell.name}/kernel"


def _sine_windows(n: int = 64, window: int = 4) -> tuple[np.ndarray, np.ndarray]:
    s = np.sin(np.linspace(0, 8 * np.pi, n + window + 1))
    x = np.stack([s[i:i + window] for i in range(n)])[..., None]
    return x.astype("float32"), s[window:window + n, None].astype("float32")


@pytest.mark.parametrize("make", [lambda: MinimalRNNCell(8), lambda: L.GRUCell(8),
                                  lambda: [L.LSTMCell(6), MinimalRNNCell(4)]],
                         ids=["minimal", "GRUCell", "stacked"])
def test_models_with_rnn_of_cells_train(make):  # noqa: ANN001
    from tensorweave.plugins.layers.policy import set_global_policy

    set_global_policy("float32")
    tw.utils.set_random_seed(0)
    x, y = _sine_windows()
    model = tw.Sequential([tw.Input((4, 1)), L.RNN(make()), L.Dense(1)])
    model.compile(optimizer=tw.optimizers.Adam(0.02), loss="mse")
    hist = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses


# ---- masks, initial_state, go_backwards, stateful -----------------------------------------------
@pytest.mark.parametrize("zero_output", [False, True])
def test_masks_through_rnn_of_a_cell(zero_output):  # noqa: ANN001
    x = rand(3, 5, 2)
    mask = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 1, 1, 1, 1]], bool)
    custom = L.RNN(MinimalRNNCell(3), return_sequences=True, return_state=True,
                   zero_output_for_mask=zero_output)
    custom(x)
    k, rk = custom.get_weights()
    want_seq, want_states = masked_ref(lambda xt, st: (xt @ k + st[0] @ rk,
                                                       [xt @ k + st[0] @ rk]),
                                       x, mask, [np.zeros((3, 3))], zero_output)
    out = custom(x, mask=mask)
    np.testing.assert_allclose(as_np(out[0]), want_seq, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(as_np(out[1]), want_states[0], rtol=1e-12, atol=1e-14)
    lstm_cell = L.RNN(L.LSTMCell(3), return_sequences=True, zero_output_for_mask=zero_output)
    randomize(lstm_cell, x)
    lstm = L.LSTM(3, return_sequences=True, zero_output_for_mask=zero_output)
    lstm(x)
    lstm.set_weights(lstm_cell.get_weights())
    np.testing.assert_allclose(as_np(lstm_cell(x, mask=mask)), as_np(lstm(x, mask=mask)),
                               rtol=1e-12)
    # masks from Embedding(mask_zero=True) reach RNN(cell) and go on with the sequences
    ids = np.array([[3, 1, 0, 0], [2, 2, 2, 0]])
    emb = L.Embedding(5, 2, mask_zero=True)
    rnn = L.RNN(MinimalRNNCell(3), return_sequences=True)
    y = rnn(emb(ids))
    np.testing.assert_array_equal(as_np(y._keras_mask), ids != 0)
    np.testing.assert_allclose(as_np(y)[0, 2], as_np(y)[0, 1], rtol=1e-12)  # repeated


def test_initial_state_and_go_backwards_through_rnn_of_a_cell():
    x = rand(2, 4, 3)
    rnn = L.RNN(MinimalRNNCell(2), return_sequences=True, go_backwards=True)
    rnn(x)
    k, rk = rnn.get_weights()
    h0 = rand(2, 2)
    want, _ = minimal_ref(x, k, rk, h0=h0, go_backwards=True)
    np.testing.assert_allclose(as_np(rnn(x, initial_state=[h0])), want, rtol=1e-12)
    np.testing.assert_allclose(as_np(rnn(x, initial_state=h0)), want, rtol=1e-12)
    with pytest.raises(InvalidArgumentError) as e:
        rnn(x, initial_state=[h0, h0])
    assert_names_layer(e.value, rnn)
    assert "initial_state" in str(e.value)
    with pytest.raises(ShapeError) as e:
        rnn(x, initial_state=[rand(2, 5)])
    assert_names_layer(e.value, rnn)
    assert "initial_state" in str(e.value)
    # functional encoder-decoder: the states of one RNN(cell) start another
    enc_in, dec_in = tw.Input((5, 3)), tw.Input((2, 3))
    _, h, c = L.RNN(L.LSTMCell(4), return_state=True)(enc_in)
    dec = L.RNN(L.LSTMCell(4), return_sequences=True)(dec_in, initial_state=[h, c])
    model = tw.Model([enc_in, dec_in], L.Dense(1)(dec))
    assert model.predict([rand(2, 5, 3), rand(2, 2, 3)], verbose=0).shape == (2, 2, 1)


@pytest.mark.parametrize("make", [lambda: MinimalRNNCell(3), lambda: L.LSTMCell(3)],
                         ids=["minimal", "LSTMCell"])
def test_stateful_rnn_of_a_cell(make):  # noqa: ANN001
    x = rand(2, 6, 3)
    full = L.RNN(make(), return_state=True)
    w = randomize(full, x)
    layer = L.RNN(make(), stateful=True, batch_size=2)
    layer(x[:, :3])
    n_states = len(layer._state_vars)
    assert n_states == len(full(x)) - 1
    # the states are non-weight state (Keras): only the cell's weights are weights
    assert [v.trainable for v in layer.weights] == [True] * len(w)
    assert len(layer.variables) == len(w) + n_states
    layer.set_weights(w)
    assert layer.count_params() == full.count_params()
    layer.reset_states()
    layer(x[:, :3])
    second = as_np(layer(x[:, 3:]))
    np.testing.assert_allclose(second, as_np(full(x)[0]), rtol=1e-10)
    np.testing.assert_allclose(layer.states[0].numpy(), as_np(full(x)[1]), rtol=1e-10)
    layer.reset_states()
    assert not any(np.any(v.numpy()) for v in layer._state_vars)
    np.testing.assert_allclose(as_np(layer(x[:, :3])), as_np(full(x[:, :3])[0]), rtol=1e-10)
    with pytest.raises(ShapeError, match="batch size"):
        layer(x[:1, :3])
    # in a model: fit carries the states, model.reset_states() clears them
    model = tw.Sequential([tw.Input((3, 3), batch_size=2), L.RNN(make(), stateful=True),
                           L.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x[:, :3], rand(2, 1), epochs=1, batch_size=2, shuffle=False, verbose=0)
    assert np.any(model.layers[0].states[0].numpy())
    model.reset_states()
    assert not np.any(model.layers[0].states[0].numpy())


def test_dropout_in_cells_one_mask_per_sequence():
    # no recurrent weights and the same input at every step: with one input mask per
    # sequence every step gives the same output
    x = np.repeat(rand(4, 1, 6), 5, axis=1)
    for rnn in (L.RNN(L.SimpleRNNCell(8, dropout=0.5, seed=1), return_sequences=True),
                L.RNN([L.SimpleRNNCell(8, dropout=0.5, seed=1)], return_sequences=True)):
        rnn(x)
        k, _, b = rnn.get_weights()
        rnn.set_weights([k, np.zeros((8, 8)), b])
        y = as_np(rnn(x, training=True))
        assert not np.allclose(y, as_np(rnn(x)))
        np.testing.assert_allclose(y, np.repeat(y[:, :1], 5, axis=1), rtol=1e-12)
        np.testing.assert_allclose(as_np(rnn(x, training=False)), as_np(rnn(x)), rtol=1e-12)
    cell = L.LSTMCell(16, dropout=0.5, recurrent_dropout=0.5, seed=2)
    step = rand(8, 6)
    states = [np.ones((8, 16)), np.ones((8, 16))]
    a, _ = cell(step, states, training=True)
    b, _ = cell(step, states, training=True)
    assert not np.allclose(as_np(a), as_np(b))  # alone, each call draws its own masks
    model = tw.Sequential([tw.Input((5, 6)), L.RNN(L.GRUCell(3, dropout=0.2,
                                                             recurrent_dropout=0.2, seed=4)),
                           L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    hist = model.fit(x, rand(4, 1), epochs=2, batch_size=2, verbose=0)
    assert all(np.isfinite(v) for v in hist.history["loss"])


def test_sequences_of_unknown_length_and_shapes():
    layer = L.RNN([L.LSTMCell(4), MinimalRNNCell(5)], return_sequences=True,
                  return_state=True)
    shapes = layer.compute_output_shape((None, None, 2))
    assert tuple(shapes[0]) == (None, None, 5)
    assert [tuple(s) for s in shapes[1]] == [(None, 4), (None, 4)]
    assert tuple(shapes[2]) == (None, 5)
    inp = tw.Input((None, 2))
    out = L.RNN(L.GRUCell(3), return_sequences=True)(inp)
    out = L.RNN(MinimalRNNCell(2))(out)
    model = tw.Model(inp, out)
    for steps in (4, 9):
        x = rand(3, steps, 2)
        np.testing.assert_allclose(model.predict(x, verbose=0), as_np(model(x)), rtol=1e-6)
    check_shape(L.RNN(L.LSTMCell(3), return_sequences=True), rand(2, 4, 2))
    check_shape(L.RNN(MinimalRNNCell(3)), rand(2, 4, 2))


@pytest.mark.parametrize("make", [lambda: L.RNN(L.LSTMCell(3), return_sequences=True),
                                  lambda: L.RNN(MinimalRNNCell(3), return_sequences=True)],
                         ids=["LSTMCell", "minimal"])
def test_bidirectional_rnn_of_a_cell(make):  # noqa: ANN001
    x = rand(2, 4, 3)
    mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    bi = L.Bidirectional(make())
    bi(x)
    fwd, bwd = bi.forward_layer, bi.backward_layer
    assert isinstance(fwd.cell, type(make().cell)) and fwd.cell is not bwd.cell
    assert bwd.go_backwards and not fwd.go_backwards
    w = [rand(*v.shape) * 0.5 for v in bi.weights]
    bi.set_weights(w)
    n = len(w) // 2
    f_ref, b_ref = make(), make()
    b_ref.go_backwards = True
    b_ref.zero_output_for_mask = f_ref.zero_output_for_mask = True
    f_ref(x)
    b_ref(x)
    f_ref.set_weights(w[:n])
    b_ref.set_weights(w[n:])
    want = np.concatenate([as_np(f_ref(x, mask=mask)),
                           as_np(b_ref(x, mask=mask))[:, ::-1]], axis=-1)
    np.testing.assert_allclose(as_np(bi(x, mask=mask)), want, rtol=1e-12, atol=1e-14)
    states = L.Bidirectional(L.RNN(L.LSTMCell(2), return_state=True))(x)
    assert len(states) == 5 and all(tuple(s.shape) == (2, 2) for s in states[1:])
    inp = tw.Input((None, 3))
    model = tw.Model(inp, L.Bidirectional(make())(inp))
    assert model.predict(rand(2, 6, 3), verbose=0).shape == (2, 6, 6)


# ---- gradients ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: L.RNN(L.LSTMCell(2), return_sequences=True),
    lambda: L.RNN([L.GRUCell(2), L.SimpleRNNCell(2)], go_backwards=True),
    lambda: L.RNN(MinimalRNNCell(2), return_sequences=True),
], ids=["LSTMCell", "stacked", "minimal"])
def test_gradients_finite_differences(make):  # noqa: ANN001
    x = rand(2, 3, 2)
    layer = make()
    randomize(layer, x)
    check_grads(layer, x)
    masked = make()
    randomize(masked, x)
    check_grads(masked, x, call_kwargs={"mask": np.array([[1, 1, 0], [1, 0, 1]], bool)})


def test_gradient_through_a_cell_step():
    cell = L.GRUCell(2)
    x, h = rand(3, 2), rand(3, 2)
    cell(x, [h])
    proj = rand(3, 2, seed=5)

    def f(hv):  # noqa: ANN001, ANN202
        out, _ = cell(x, [hv])
        return tw.ops.sum(tw.ops.multiply(out, proj))

    from test_layers import fd_grad

    got = as_np(tw.grad(f)(h))
    want = fd_grad(lambda v: as_np(f(v)), h.copy())
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)


# ---- configs and files --------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: L.RNN(L.LSTMCell(3, unit_forget_bias=False), return_sequences=True,
                  go_backwards=True),
    lambda: L.RNN([L.GRUCell(2, reset_after=False), L.SimpleRNNCell(3)]),
    lambda: L.RNN(MinimalRNNCell(3), return_sequences=True),
    lambda: L.Bidirectional(L.RNN(L.GRUCell(2), return_sequences=True)),
], ids=["LSTMCell", "stacked", "minimal", "bidirectional"])
def test_config_round_trip(make):  # noqa: ANN001
    x = rand(2, 4, 3)
    layer = make()
    randomize(layer, x)
    check_roundtrip(layer, x)
    cfg = json.loads(json.dumps(tw.saving.serialize_layer(layer)))
    assert "cell" in cfg["config"] or "layer" in cfg["config"]


def test_cells_round_trip_and_are_registered():
    for cls in (L.SimpleRNNCell, L.LSTMCell, L.GRUCell, L.StackedRNNCells, L.RNN):
        assert getattr(tw.layers, cls.__name__) is cls
    cell = L.GRUCell(3, reset_after=False, recurrent_activation="hard_sigmoid")
    cell(rand(1, 2), rand(1, 3))
    clone = tw.saving.deserialize_layer(json.loads(json.dumps(
        tw.saving.serialize_layer(cell))))
    assert isinstance(clone, L.GRUCell) and clone.built and not clone.reset_after
    assert clone.count_params() == cell.count_params()
    cfg = tw.saving.serialize_layer(L.RNN(MinimalRNNCell(2)))
    assert cfg["config"]["cell"]["class_name"] == "tw_test_rnn_cells>MinimalRNNCell"


def test_models_with_rnn_of_cells_save_and_load(tmp_path):
    inp = tw.Input((None, 3))
    y = L.RNN(L.LSTMCell(4), return_sequences=True)(inp)
    y = L.RNN([MinimalRNNCell(3), L.GRUCell(2)])(y)
    model = tw.Model(inp, L.Dense(1)(y))
    x = rand(2, 5, 3)
    want = model.predict(x, verbose=0)
    model.save(tmp_path / "cells.tw")
    again = tw.models.load_model(tmp_path / "cells.tw")
    np.testing.assert_allclose(again.predict(x, verbose=0), want, rtol=1e-6)
    assert [w.path for w in again.weights] == [w.path for w in model.weights]
    stateful = tw.Sequential([tw.Input((3, 3), batch_size=2),
                              L.RNN(MinimalRNNCell(2), stateful=True)])
    stateful.predict(x[:, :3], verbose=0)
    stateful.save(tmp_path / "stateful.tw")
    back = tw.models.load_model(tmp_path / "stateful.tw")
    # as in Keras, the states are not saved: the loaded layer starts from zeros
    assert not np.any(back.layers[0].states[0].numpy())
    stateful.reset_states()
    np.testing.assert_allclose(back.predict(x[:, :3], verbose=0),
                               stateful.predict(x[:, :3], verbose=0), rtol=1e-12)


def test_an_unregistered_custom_cell_is_a_clear_load_error(tmp_path):
    class Unregistered(MinimalRNNCell):
        pass

    model = tw.Sequential([tw.Input((3, 2)), L.RNN(Unregistered(2))])
    model.save(tmp_path / "u.tw")
    with pytest.raises(SerializationError, match="Unregistered"):
        tw.models.load_model(tmp_path / "u.tw")
    again = tw.models.load_model(tmp_path / "u.tw",
                                 custom_objects={"Unregistered": Unregistered})
    x = rand(2, 3, 2)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


# ---- errors -------------------------------------------------------------------------------------
class _NoStateSize(tw.layers.Layer):
    def call(self, inputs, states):  # noqa: ANN001, ANN201
        return inputs, states


class _WrongStates(tw.layers.Layer):
    def __init__(self, how, **kwargs):  # noqa: ANN001, ANN003
        super().__init__(**kwargs)
        self.how = how
        self.state_size = 2

    def call(self, inputs, states):  # noqa: ANN001, ANN201
        if self.how == "count":
            return states[0], [states[0], states[0]]
        if self.how == "shape":
            return states[0], [ops.concatenate([states[0], states[0]], axis=-1)]
        return states[0]  # not (output, states)


def test_errors_name_the_layer_and_the_argument():
    with pytest.raises(InvalidArgumentError) as e:
        L.RNN(_NoStateSize(), name="no_size")
    assert "RNN 'no_size'" in str(e.value) and "'cell'" in str(e.value)
    assert "state_size" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="'cell'"):
        L.RNN(object())
    with pytest.raises(InvalidArgumentError, match=r"cell\[1\]"):
        L.RNN([L.LSTMCell(2), _NoStateSize()])
    odd = type("Odd", (), {"call": lambda self, inputs, states: None, "state_size": "big"})
    with pytest.raises(InvalidArgumentError, match="state_size"):
        L.RNN(odd())
    x = rand(2, 3, 4)
    for how, err in (("count", InvalidArgumentError), ("shape", ShapeError),
                     ("result", InvalidArgumentError)):
        rnn = L.RNN(_WrongStates(how))
        with pytest.raises(err) as e:
            rnn(x)
        assert_names_layer(e.value, rnn)
        assert "'cell'" in str(e.value)
    rnn = L.RNN(L.LSTMCell(2))
    with pytest.raises(ShapeError) as e:
        rnn(x, initial_state=[rand(2, 2), rand(2, 3)])
    assert_names_layer(e.value, rnn)
    assert "initial_state" in str(e.value)
    with pytest.raises(ShapeError) as e:
        rnn(rand(2, 4))
    assert_names_layer(e.value, rnn)
    cell = L.LSTMCell(2, name="bare")
    with pytest.raises(InvalidArgumentError) as e:
        cell(rand(2, 4), [rand(2, 2)])
    assert "LSTMCell 'bare'" in str(e.value) and "'states'" in str(e.value)
    with pytest.raises(ShapeError) as e:
        cell(rand(2, 4), [rand(2, 3), rand(2, 3)])
    assert "LSTMCell 'bare'" in str(e.value) and "'states'" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="units"):
        L.GRUCell(0)
    with pytest.raises(InvalidArgumentError, match="recurrent_dropout"):
        L.SimpleRNNCell(2, recurrent_dropout=1.0)
    with pytest.raises(InvalidArgumentError, match="stateful"):
        L.RNN(L.GRUCell(2), stateful=True).build((None, 3, 1))


def test_rnn_of_a_cell_on_python_backend():
    on_python_backend(lambda: L.RNN(L.GRUCell(2), return_sequences=True), rand(2, 3, 2))
    on_python_backend(lambda: L.RNN([L.SimpleRNNCell(2), L.LSTMCell(2)]), rand(2, 3, 2))
