"""Keras masks: Embedding(mask_zero=True) and Masking make them, Dense/Dropout/... pass
them on, recurrent layers skip masked steps, GlobalAveragePooling1D averages valid steps
only, merges combine them, and the loss leaves padded steps out.

Oracle: the same layer (same weights) run on the sequence with the padding cut off."""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import ShapeError

L = tw.layers


def _np(t):
    return np.asarray(tw.convert_to_numpy(t))




@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
@pytest.mark.parametrize("padding", ["pre", "post"])
def test_masked_steps_are_skipped_by_recurrent_layers(cls, padding):
    tw.utils.set_random_seed(0)
    emb = L.Embedding(10, 3, mask_zero=True)
    rnn = cls(4)
    ids = np.array([[0, 0, 3, 4, 5], [0, 1, 2, 5, 7]]) if padding == "pre" else \
        np.array([[3, 4, 5, 0, 0], [1, 2, 5, 7, 0]])
    out = _np(rnn(emb(ids)))
    for row, valid in enumerate([[3, 4, 5], [1, 2, 5, 7]]):
        alone = _np(rnn(emb(np.array([valid]))))  # no padding, no mask needed
        np.testing.assert_allclose(out[row], alone[0], rtol=1e-5, atol=1e-6)


def test_sequence_outputs_repeat_or_zero_at_masked_steps_and_keep_the_mask():
    tw.utils.set_random_seed(0)
    emb = L.Embedding(10, 3, mask_zero=True)
    ids = np.array([[3, 4, 0, 0]])
    x = emb(ids)
    seq = L.LSTM(2, return_sequences=True)(x)
    y = _np(seq)
    np.testing.assert_array_equal(y[0, 2], y[0, 1])  # repeats the last valid output
    np.testing.assert_array_equal(y[0, 3], y[0, 1])
    np.testing.assert_array_equal(_np(seq._keras_mask), [[True, True, False, False]])
    zero = L.LSTM(2, return_sequences=True, zero_output_for_mask=True)(x)
    np.testing.assert_array_equal(_np(zero)[0, 2:], 0.0)
    last = L.LSTM(2)(x)
    assert getattr(last, "_keras_mask", None) is None  # no time axis left


def test_global_average_pooling_over_valid_steps_only():
    x = np.arange(24, dtype=np.float32).reshape(2, 4, 3)
    mask = np.array([[True, True, False, False], [True, True, True, True]])
    got = _np(L.GlobalAveragePooling1D()(x, mask=mask))
    np.testing.assert_allclose(got[0], x[0, :2].mean(0))
    np.testing.assert_allclose(got[1], x[1].mean(0))


def test_masking_layer_zeroes_and_masks_padded_steps():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]]], np.float32)
    masked = L.Masking(0.0)(x)
    np.testing.assert_array_equal(_np(masked._keras_mask), [[True, False, True]])
    tw.utils.set_random_seed(0)
    rnn = L.SimpleRNN(3)
    got = _np(rnn(masked))
    want = _np(rnn(x[:, [0, 2]]))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    masked7 = L.Masking(mask_value=7.0)(np.full((1, 2, 2), 7.0, np.float32))
    np.testing.assert_array_equal(_np(masked7), 0.0)


def test_masks_pass_through_dense_and_dropout_and_merges():
    tw.utils.set_random_seed(0)
    ids = np.array([[1, 2, 0]])
    a = L.Embedding(5, 4, mask_zero=True)(ids)
    b = L.Dropout(0.5)(L.Dense(4)(a))
    np.testing.assert_array_equal(_np(b._keras_mask), [[True, True, False]])
    other = L.Embedding(5, 4, mask_zero=True)(np.array([[1, 0, 3]]))
    np.testing.assert_array_equal(_np(L.Add()([a, other])._keras_mask),
                                  [[True, False, False]])
    np.testing.assert_array_equal(_np(L.Concatenate()([a, other])._keras_mask),
                                  [[True, False, False]])
    plain = tw.convert_to_tensor(np.ones((1, 3, 4), np.float32))
    joined = L.Concatenate(axis=1)([a, plain])
    np.testing.assert_array_equal(_np(joined._keras_mask), [[True, True, False] + [True] * 3])
    assert getattr(L.Flatten()(a), "_keras_mask", None) is None  # drops the time axis


def test_bidirectional_with_mask_matches_the_cut_sequences():
    tw.utils.set_random_seed(0)
    emb = L.Embedding(10, 3, mask_zero=True)
    bi = L.Bidirectional(L.LSTM(2))
    out = _np(bi(emb(np.array([[0, 3, 4, 5]]))))
    want = _np(bi(emb(np.array([[3, 4, 5]]))))
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-6)
    seq = bi.__class__(L.LSTM(2, return_sequences=True))(emb(np.array([[3, 4, 0]])))
    np.testing.assert_array_equal(_np(seq)[0, 2], 0.0)  # padded step: zeros both ways


def test_loss_leaves_padded_steps_out_in_a_compiled_training_step():
    tw.utils.set_random_seed(0)
    inp = tw.Input((4,), dtype="int32")
    h = L.Embedding(6, 3, mask_zero=True)(inp)
    h = L.LSTM(5, return_sequences=True)(h)
    out = L.Dense(1)(h)
    model = tw.Model(inp, out)
    model.compile(loss="mse", optimizer="sgd")
    ids = np.array([[1, 2, 0, 0], [3, 4, 5, 1]])
    y = np.random.default_rng(0).normal(size=(2, 4, 1)).astype(np.float32)
    pred = model.predict(ids, verbose=0)
    valid = ids != 0
    want = np.mean(((pred - y)[..., 0] ** 2)[valid])
    assert model.evaluate(ids, y, verbose=0) == pytest.approx(want, rel=1e-5)
    # the target at padded steps cannot change the loss or the update
    y2 = y.copy()
    y2[0, 2:] = 1000.0
    assert model.evaluate(ids, y2, verbose=0) == pytest.approx(want, rel=1e-5)
    w0 = [w.numpy().copy() for w in model.weights]
    model.train_on_batch(ids, y)
    step1 = [w.numpy().copy() for w in model.weights]
    model.set_weights(w0)
    model.train_on_batch(ids, y2)
    for a, b in zip(step1, model.weights):
        np.testing.assert_allclose(b.numpy(), a, rtol=1e-6, atol=1e-7)


def test_masked_text_classifier_learns_with_pre_padding():
    """The signal is the first real token; long pre-padding must not wash it out."""
    tw.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n, steps = 256, 12
    ids = np.zeros((n, steps), np.int32)
    labels = rng.integers(0, 2, n)
    for i in range(n):
        length = rng.integers(2, 5)
        ids[i, steps - length:] = rng.integers(3, 10, length)
        ids[i, steps - length] = 1 + labels[i]
    model = tw.Sequential([tw.Input((steps,), dtype="int32"),
                           L.Embedding(10, 8, mask_zero=True), L.GRU(8),
                           L.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=tw.optimizers.Adam(0.02),
                  metrics=["accuracy"])
    model.fit(ids, labels, epochs=15, batch_size=32, verbose=0)
    assert model.evaluate(ids, labels, verbose=0)[1] > 0.95


def test_mask_shape_is_checked():
    with pytest.raises(ShapeError, match="LSTM.*'mask'.*timesteps"):
        L.LSTM(2)(np.ones((2, 3, 1), np.float32), mask=np.ones((2, 5), bool))


def test_softmax_head_keeps_a_sequence_mask_for_the_loss_instead_of_applying_it():
    """Embedding(mask_zero) -> Dense(V) -> Softmax: the (batch, steps) mask marks steps,
    not vocabulary entries, even when batch == steps == V."""
    tw.utils.set_random_seed(0)
    ids = np.array([[1, 2, 0, 0, 0], [3, 1, 4, 0, 0], [1, 1, 1, 1, 0], [2, 0, 0, 0, 0],
                    [4, 3, 2, 1, 1]])
    h = L.Dense(5)(L.Embedding(6, 4, mask_zero=True)(ids))
    probs = L.Softmax()(h)
    logits = _np(h)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(_np(probs), e / e.sum(-1, keepdims=True), rtol=1e-6)
    np.testing.assert_array_equal(_np(probs._keras_mask), ids != 0)
