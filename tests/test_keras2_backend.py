"""``from tensorweave import backend as K``: Keras 2's backend functions, as the 2017
tutorials use them (custom metrics from ``K.argmax``/``K.equal``/``K.cast``/``K.sum``,
``K.set_value(model.optimizer.lr, ...)``). Oracles: NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import backend as K
from tensorweave.errors import InvalidArgumentError

Y = np.eye(3, dtype=np.float32)[[0, 1, 2, 1, 0, 2]]
P = np.array([[.8, .1, .1], [.2, .7, .1], [.3, .3, .4], [.6, .3, .1], [.1, .8, .1],
              [.2, .2, .6]], np.float32)


def test_backend_is_still_the_current_backends_name(tw_backend):
    assert tw.backend() == tw_backend == K.backend()
    import tensorweave.backend as module

    assert module is K


def test_keras2_defaults_and_values(tw_backend):
    np.testing.assert_array_equal(K.argmax(P).numpy(), P.argmax(-1))  # last axis
    np.testing.assert_array_equal(K.argmin(P).numpy(), P.argmin(-1))
    assert K.concatenate([P, P]).shape == (6, 6)  # last axis
    np.testing.assert_allclose(K.sum(P, axis=1).numpy(), P.sum(1), rtol=1e-6)
    np.testing.assert_allclose(K.mean(P, keepdims=True).numpy(), P.mean(keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(K.std(P, axis=0).numpy(), P.std(0), rtol=1e-5)
    np.testing.assert_allclose(K.switch(K.greater(P, 0.5), P, K.zeros_like(P)).numpy(),
                               np.where(P > 0.5, P, 0))
    np.testing.assert_allclose(K.categorical_crossentropy(Y, P).numpy(),
                               -np.log((Y * P).sum(-1)), rtol=1e-5)
    eps = K.epsilon()
    q = np.clip(P, eps, 1 - eps)
    np.testing.assert_allclose(K.binary_crossentropy(Y, P).numpy(),
                               -(Y * np.log(q) + (1 - Y) * np.log(1 - q)), rtol=1e-5)
    z = np.array([[-2.0, 0.5, 3.0]], np.float32)
    np.testing.assert_allclose(K.binary_crossentropy(Y[:1], z, from_logits=True).numpy(),
                               np.maximum(z, 0) - z * Y[:1] + np.log1p(np.exp(-np.abs(z))),
                               rtol=1e-5)
    assert K.int_shape(P) == (6, 3) and K.ndim(P) == 2 and K.dtype(K.cast(P, "int32")) == \
        "int32"
    assert K.square is tw.ops.square  # every tw.ops function is reachable
    assert K.epsilon() == 1e-7 and K.floatx() == "float32"
    assert K.image_data_format() == "channels_last"
    with pytest.raises(AttributeError, match="tensorweave.backend.*no_such"):
        _ = K.no_such


def _class_precision(class_id):
    """The tutorial's per-class precision metric, written with K only."""
    def prec(y_true, y_pred):
        class_id_true = K.argmax(y_true, axis=-1)
        class_id_pred = K.argmax(y_pred, axis=-1)
        mask = K.cast(K.equal(class_id_pred, class_id), "int32")
        hits = K.cast(K.equal(class_id_true, class_id_pred), "int32") * mask
        return K.cast(K.sum(hits), "float32") / K.cast(K.maximum(K.sum(mask), 1), "float32")
    prec.__name__ = f"prec_{class_id}"
    return prec


def test_custom_metric_from_backend_functions_in_fit_and_evaluate(tw_backend):
    tw.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[np.random.default_rng(1).integers(0, 3, 30)]
    model = tw.Sequential([tw.Input((4,)), tw.layers.Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer="sgd",
                  metrics=["accuracy", _class_precision(0), _class_precision(1)])
    hist = model.fit(x, y, epochs=2, batch_size=10, verbose=0)
    assert {"prec_0", "prec_1"} <= set(hist.history)
    result = model.evaluate(x, y, batch_size=30, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0).argmax(-1)
    true = y.argmax(-1)
    for c in (0, 1):
        expected = np.sum((pred == c) & (true == c)) / max(np.sum(pred == c), 1)
        assert result[f"prec_{c}"] == pytest.approx(expected, abs=1e-6)


def test_get_and_set_value_of_the_learning_rate_and_variables():
    opt = tw.optimizers.Adam(0.01)
    assert K.get_value(opt.lr) == pytest.approx(0.01)
    K.set_value(opt.lr, 0.001)
    assert opt.learning_rate == pytest.approx(0.001)
    assert opt.lr == pytest.approx(0.001) and repr(opt.lr) == "0.001"
    v = K.variable(np.ones(3))
    K.set_value(v, np.zeros(3))
    np.testing.assert_array_equal(K.get_value(v), np.zeros(3))
    assert K.get_value(v).dtype == np.float32
    with pytest.raises(InvalidArgumentError, match="set_value.*'x'.*Variable"):
        K.set_value(0.5, 1.0)
