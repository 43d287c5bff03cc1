"""MultiHeadAttention, Attention and AdditiveAttention against NumPy written from the
papers' / Keras's formulas; masks against cut sequences; gradients by finite
differences (float64 layers)."""

from __future__ import annotations

import numpy as np
import pytest
from test_layers import as_np, check_grads, float64_layers, rand  # noqa: F401

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError

L = tw.layers


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_mha(layer, q, v, k=None, keep=None):
    k = v if k is None else k
    w = {p.path.split("/", 1)[1]: p.numpy() for p in layer.weights}

    def proj(x, name):  # (b, t, f) x (f, h, d) -> (b, h, t, d)
        return np.einsum("btf,fhd->bhtd", x, w[f"{name}/kernel"]) + \
            w[f"{name}/bias"][None, :, None, :]

    qp, kp, vp = proj(q, "query"), proj(k, "key"), proj(v, "value")
    scores = np.einsum("bhqd,bhkd->bhqk", qp / np.sqrt(layer.key_dim), kp)
    if keep is not None:
        scores = scores - 1e9 * (~keep[:, None])
    att = _softmax(scores)
    ctx = np.einsum("bhqk,bhkd->bqhd", att, vp)
    out = np.einsum("bqhd,hdo->bqo", ctx, w["attention_output/kernel"]) + \
        w["attention_output/bias"]
    return out, att


def test_mha_parameter_count_and_names_match_keras():
    inp = tw.Input((5, 8))
    m = tw.Model(inp, L.MultiHeadAttention(num_heads=2, key_dim=4)(inp, inp))
    assert m.count_params() == 288  # Keras: 4 * (8 * 2 * 4 + 2 * 4)
    mha = m.layers[-1]
    assert [tuple(w.shape) for w in mha.weights] == [(8, 2, 4), (2, 4)] * 3 + \
        [(2, 4, 8), (8,)]
    cross = L.MultiHeadAttention(3, 2, value_dim=5, output_shape=6)
    cross(rand(1, 4, 7), rand(1, 3, 9))
    assert cross.count_params() == (7 * 6 + 6) + (9 * 6 + 6) + (9 * 15 + 15) + (15 * 6 + 6)


def test_mha_values_and_scores_against_numpy():
    q, v = rand(2, 4, 6), rand(2, 3, 6)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = mha(q, v, return_attention_scores=True)
    want, att = _np_mha(mha, q, v)
    np.testing.assert_allclose(as_np(out), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(as_np(scores), att, rtol=1e-10, atol=1e-12)


def test_mha_causal_mask_and_value_padding():
    x = rand(1, 5, 4)
    mha = L.MultiHeadAttention(num_heads=1, key_dim=4)
    out = as_np(mha(x, x, use_causal_mask=True))
    keep = np.tril(np.ones((5, 5), bool))[None]
    np.testing.assert_allclose(out, _np_mha(mha, x, x, keep=keep)[0], rtol=1e-9)
    later = x.copy()
    later[:, 3:] += 5.0  # changing later steps cannot change earlier outputs
    np.testing.assert_allclose(as_np(mha(later, later, use_causal_mask=True))[:, :3],
                               out[:, :3], rtol=1e-12)
    # padded keys (a mask carried by the value) equal attending to the cut sequence
    tw.utils.set_random_seed(0)
    emb = L.Embedding(10, 4, mask_zero=True, dtype="float64")
    q = emb(np.array([[1, 2, 3]]))
    v_pad = emb(np.array([[4, 5, 0, 0]]))
    v_cut = emb(np.array([[4, 5]]))
    mha2 = L.MultiHeadAttention(num_heads=2, key_dim=2)
    np.testing.assert_allclose(as_np(mha2(q, v_pad)), as_np(mha2(q, v_cut)), rtol=1e-9)
    am = np.array([[[True, False, True]] * 3])
    np.testing.assert_allclose(as_np(mha2(q, q, attention_mask=am)),
                               _np_mha(mha2, as_np(q), as_np(q), keep=am)[0], rtol=1e-9)


def test_mha_gradients():
    q, v = rand(2, 3, 4), rand(2, 2, 4)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=2)
    mha(q, v)

    class Wrapped(L.Layer):  # check_grads calls layer(x): bind the value
        def __init__(self):
            super().__init__()
            self.inner = mha

        def call(self, x):
            return self.inner(x, v)

    check_grads(Wrapped(), q)


def test_transformer_block_classifier_trains():
    """Classify whether token 1 occurs in the sequence: attention must look at every
    step."""
    tw.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    ids = rng.integers(2, 8, size=(256, 6))
    labels = rng.integers(0, 2, 256)
    for i in np.flatnonzero(labels):
        ids[i, rng.integers(0, 6)] = 1
    inp = tw.Input((6,), dtype="int32")
    h = L.Embedding(8, 16, dtype="float32")(inp)
    att = L.MultiHeadAttention(2, 8, dtype="float32")(h, h)
    h = L.LayerNormalization(dtype="float32")(L.Add(dtype="float32")([h, att]))
    h = L.GlobalAveragePooling1D(dtype="float32")(h)
    out = L.Dense(1, activation="sigmoid", dtype="float32")(h)
    model = tw.Model(inp, out)
    model.compile(loss="binary_crossentropy", optimizer=tw.optimizers.Adam(0.01),
                  metrics=["accuracy"])
    model.fit(ids, labels, epochs=20, batch_size=32, verbose=0)
    assert model.evaluate(ids, labels, verbose=0)[1] > 0.95


@pytest.mark.parametrize("use_scale", [False, True])
def test_dot_attention_against_numpy(use_scale):
    q, v, k = rand(2, 3, 4), rand(2, 5, 4), rand(2, 5, 4)
    layer = L.Attention(use_scale=use_scale)
    out, weights = layer([q, v, k], return_attention_scores=True)
    scale = layer.scale.numpy() if use_scale else 1.0
    att = _softmax(scale * q @ k.transpose(0, 2, 1))
    np.testing.assert_allclose(as_np(weights), att, rtol=1e-10)
    np.testing.assert_allclose(as_np(out), att @ v, rtol=1e-10)
    v_mask = np.array([[True] * 3 + [False] * 2] * 2)
    q_mask = np.array([[True, True, False]] * 2)
    got = as_np(layer([q, v, k], mask=[q_mask, v_mask]))
    s = scale * q @ k.transpose(0, 2, 1) - 1e9 * (~v_mask[:, None, :])
    want = (_softmax(s) @ v) * q_mask[..., None]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    check_grads(L.Attention(use_scale=use_scale), [q, v])


def test_concat_and_additive_attention_against_numpy():
    q, v = rand(2, 3, 4), rand(2, 5, 4)
    concat = L.Attention(score_mode="concat")
    got = as_np(concat([q, v]))
    s = np.tanh(q[:, :, None, :] + v[:, None, :, :]).sum(-1)
    np.testing.assert_allclose(got, _softmax(s) @ v, rtol=1e-10)
    add = L.AdditiveAttention()
    got = as_np(add([q, v]))
    scale = add.scale.numpy()
    s = (scale * np.tanh(q[:, :, None, :] + v[:, None, :, :])).sum(-1)
    np.testing.assert_allclose(got, _softmax(s) @ v, rtol=1e-10)
    check_grads(L.AdditiveAttention(), [q, v])


def test_attention_config_round_trip_and_errors(tmp_path):
    inp = tw.Input((4, 6))
    out = L.MultiHeadAttention(2, 3, dropout=0.1)(inp, inp, use_causal_mask=True)
    m = tw.Model(inp, out)
    m.save(tmp_path / "m.tw")
    m2 = tw.models.load_model(tmp_path / "m.tw")
    x = rand(2, 4, 6).astype(np.float32)
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0),
                               rtol=1e-6)
    with pytest.raises(InvalidArgumentError, match="MultiHeadAttention.*'num_heads'"):
        L.MultiHeadAttention(0, 4)
    with pytest.raises(InvalidArgumentError, match="attention_axes"):
        L.MultiHeadAttention(2, 4, attention_axes=(1, 2))
    with pytest.raises(InvalidArgumentError, match="Attention.*\\[query, value\\]"):
        L.Attention()(rand(1, 2, 3))


def test_mha_value_mask_and_key_mask_both_apply():
    q, v = rand(1, 2, 4), rand(1, 3, 4)
    mha = L.MultiHeadAttention(1, 4)
    _, scores = mha(q, v, key=v, value_mask=np.array([[True, True, False]]),
                    key_mask=np.array([[True, True, True]]), return_attention_scores=True)
    np.testing.assert_array_equal(as_np(scores)[..., 2], 0.0)
    _, scores = mha(q, v, key=v, value_mask=np.array([[True, True, True]]),
                    key_mask=np.array([[False, True, True]]), return_attention_scores=True)
    np.testing.assert_array_equal(as_np(scores)[..., 0], 0.0)
