"""Loss terms added by layers: ``activity_regularizer`` and ``Layer.add_loss``.

Oracles: the same loss written in float64 NumPy, and its gradient by central
differences, so the compiled training step is checked against an independent computation.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw

L = tw.layers
o = tw.ops
RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 4)).astype(np.float32)
Y = RNG.normal(size=(8, 2)).astype(np.float32)


def _model(reg=0.1):
    tw.utils.set_random_seed(0)
    return tw.models.Sequential([
        tw.Input((4,)),
        L.Dense(3, activity_regularizer=tw.regularizers.L2(reg)),
        L.Dense(2),
    ])


def _np_loss(w1, b1, w2, b2, reg=0.1):
    h = X.astype(np.float64) @ w1 + b1
    pred = h @ w2 + b2
    return np.mean((pred - Y) ** 2) + reg * np.sum(h ** 2)


def test_activity_regularizer_adds_the_l2_of_the_outputs_to_the_loss():
    m = _model()
    m.compile(loss="mse", optimizer="sgd")
    w = [v.numpy().astype(np.float64) for v in m.weights]
    assert m.evaluate(X, Y, verbose=0) == pytest.approx(_np_loss(*w), rel=1e-5)
    m(X)
    assert len(m.losses) == 1
    h = X @ m.layers[0].kernel.numpy() + m.layers[0].bias.numpy()
    assert float(m.losses[0]) == pytest.approx(0.1 * np.sum(h.astype(np.float64) ** 2),
                                               rel=1e-5)


def test_activity_regularizer_gradient_matches_finite_differences():
    m = _model()
    m.compile(loss="mse", optimizer=tw.optimizers.SGD(learning_rate=1.0))
    w = [v.numpy().astype(np.float64) for v in m.weights]
    m.train_on_batch(X, Y)
    step = [a - b.numpy() for a, b in zip(w, m.weights)]  # = the gradient (lr 1)
    eps = 1e-6
    for k in range(len(w)):
        fd = np.zeros_like(w[k])
        for idx in np.ndindex(w[k].shape):
            plus = [a.copy() for a in w]
            minus = [a.copy() for a in w]
            plus[k][idx] += eps
            minus[k][idx] -= eps
            fd[idx] = (_np_loss(*plus) - _np_loss(*minus)) / (2 * eps)
        np.testing.assert_allclose(step[k], fd, rtol=1e-3, atol=1e-4,
                                   err_msg=f"weight {k}")


def test_activity_regularizer_survives_the_config_round_trip(tmp_path):
    m = _model(0.25)
    cfg = m.get_config()
    assert cfg["layers"][0]["config"]["activity_regularizer"] == {  # as Keras serializes it
        "module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.25},
        "registered_name": None}
    m.save(tmp_path / "m.tw")
    m2 = tw.models.load_model(tmp_path / "m.tw")
    reg = m2.layers[0].activity_regularizer
    assert isinstance(reg, tw.regularizers.L2) and reg.l2 == pytest.approx(0.25)
    assert isinstance(L.Dense(2, activity_regularizer="l1").activity_regularizer,
                      tw.regularizers.L1)
    assert isinstance(L.Activation("relu", activity_regularizer="l2").activity_regularizer,
                      tw.regularizers.L2)


class _KLish(L.Layer):
    """Adds ``0.5 * mean(x^2)`` of its inputs, as a VAE's sampling layer adds its KL term."""

    def call(self, inputs):
        self.add_loss(o.multiply(0.5, o.mean(o.square(inputs))))
        return inputs


def test_add_loss_counts_once_per_call_and_enters_the_training_loss():
    tw.utils.set_random_seed(0)
    inp = tw.Input((4,))
    out = L.Dense(2)(_KLish()(inp))
    m = tw.Model(inp, out)
    m(X)
    m(X)
    assert len(m.losses) == 1  # the second call replaced the first call's term
    assert float(m.losses[0]) == pytest.approx(0.5 * np.mean(X.astype(np.float64) ** 2),
                                               rel=1e-6)
    m.compile(loss="mse", optimizer="sgd")
    pred = m.predict(X, verbose=0)
    expected = np.mean((pred - Y) ** 2) + 0.5 * np.mean(X.astype(np.float64) ** 2)
    assert m.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-5)
    hist = m.fit(X, Y, epochs=3, batch_size=8, verbose=0).history["loss"]
    assert all(h > 0.5 * np.mean(X ** 2) for h in hist)  # the term is in every step's loss


def test_add_loss_of_a_callable_is_kept_and_evaluated_on_read():
    layer = L.Dense(2)
    layer.build((None, 3))
    layer.add_loss(lambda: o.sum(o.abs(layer.kernel)))
    expected = np.sum(np.abs(layer.kernel.numpy()))
    assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-6)
    layer(X[:, :3])
    assert len(layer.losses) == 1


def test_add_loss_of_a_vector_is_summed():
    layer = L.Layer()
    layer.add_loss(np.array([1.0, 2.0], np.float32))
    assert float(layer.losses[0]) == 3.0


def test_no_symbolic_terms_are_left_in_losses_after_building_or_fitting():
    tw.utils.set_random_seed(0)
    inp = tw.Input((4,))
    dense = L.Dense(3, activity_regularizer="l2")
    model = tw.Model(inp, L.Dense(2)(dense(inp)))
    assert model.losses == []  # built on tw.Input: no term until it runs on data
    model.compile(loss="mse", optimizer="sgd")
    model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    assert model.losses == []  # the traced step's terms stay in its graph
    model(X)
    h = X @ dense.kernel.numpy() + dense.bias.numpy()
    assert [float(t) for t in model.losses] == pytest.approx(
        [0.01 * np.sum(h.astype(np.float64) ** 2)], rel=1e-5)


def test_config_of_a_layer_whose_init_takes_kw():
    class Tagged(L.Layer):
        def __init__(self, tag="a", **kw):
            super().__init__(**kw)
            self.tag = tag

        def call(self, x):
            return x

    layer = Tagged(tag="b", name="tagged", activity_regularizer="l1")
    cfg = layer.get_config()
    assert "kw" not in cfg and cfg["tag"] == "b"
    assert cfg["activity_regularizer"]["class_name"] == "L1"  # Keras's serialized form
    clone = Tagged.from_config(cfg)
    assert clone.tag == "b" and isinstance(clone.activity_regularizer, tw.regularizers.L1)
