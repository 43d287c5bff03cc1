"""The built-in losses plugin.

Oracles: each loss's formula evaluated here with NumPy in float64 (the Keras definitions,
clipping with 1e-7 where Keras clips), hand-computed values for the reductions and
weights, and analytic gradients (``sigmoid(x) - t``, ``softmax(x) - t``) for the logits
forms, including extreme logits where a naive formula overflows.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, ShapeError, TensorweaveError

L = tw.losses
EPS = 1e-7
RNG = np.random.default_rng(1)

YT = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
YP = np.array([[0.2, 0.7, 0.1], [0.5, 0.3, 0.2], [0.05, 0.15, 0.8], [0.6, 0.3, 0.1]])
REG_T = np.array([[1.0, -2.0], [0.5, 3.0], [0.0, 1.0]])
REG_P = np.array([[1.5, -1.0], [0.4, 0.0], [2.5, 1.0]])


def _t(x, dtype="float32"):
    return tw.ops.convert_to_tensor(np.asarray(x, dtype=dtype))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


# ---- per-sample functions against NumPy -------------------------------------------------------
def _bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _cce(t, p):
    p = p / p.sum(-1, keepdims=True)
    return -(t * np.log(np.clip(p, EPS, 1 - EPS))).sum(-1)


def _huber(t, p, d=1.0):
    e = np.abs(p - t)
    return np.where(e <= d, 0.5 * e ** 2, d * e - 0.5 * d ** 2).mean(-1)


def _hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _unit(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


FUNCTIONS = {
    "mean_squared_error": (REG_T, REG_P, lambda t, p: ((t - p) ** 2).mean(-1)),
    "mean_absolute_error": (REG_T, REG_P, lambda t, p: np.abs(t - p).mean(-1)),
    "mean_absolute_percentage_error": (
        REG_T, REG_P, lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "mean_squared_logarithmic_error": (
        np.abs(REG_T), np.abs(REG_P),
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
                      ).mean(-1)),
    "huber": (REG_T, REG_P, _huber),
    "log_cosh": (REG_T, REG_P, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "binary_crossentropy": (YT, YP, _bce),
    "categorical_crossentropy": (YT, YP, _cce),
    "kl_divergence": (YT, YP, lambda t, p: (np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1)),
    "poisson": (YT, YP, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "hinge": (YT, np.array([[0.5, -1.5, 2.0], [-0.2, 0.3, 1.1], [0.9, -0.4, 0.0],
                            [1.2, 0.8, -2.0]]),
              lambda t, p: np.maximum(1 - _hinge_t(t) * p, 0).mean(-1)),
    "squared_hinge": (YT, YP - 0.5, lambda t, p: (np.maximum(1 - _hinge_t(t) * p, 0) ** 2
                                                   ).mean(-1)),
    "categorical_hinge": (YT, YP, lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    "cosine_similarity": (REG_T, REG_P, lambda t, p: -(_unit(t) * _unit(p)).sum(-1)),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_matches_numpy(name):
    t, p, ref = FUNCTIONS[name]
    out = L.get(name)(_t(t), _t(p))
    assert out.shape == (t.shape[0],)
    expected = ref(t.astype(np.float32).astype(np.float64), p.astype(np.float32).astype(
        np.float64))
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=1e-6)


def test_hinge_keeps_minus_one_one_labels():
    t = np.array([[-1.0, 1.0], [1.0, 1.0]])
    p = np.array([[0.3, 0.2], [-0.5, 2.0]])
    expected = np.maximum(1 - t * p, 0).mean(-1)  # labels used as they are
    np.testing.assert_allclose(L.hinge(_t(t), _t(p)).numpy(), expected, rtol=1e-6)


def test_sparse_categorical_crossentropy_label_forms():
    labels = np.array([1, 0, 2, 1])
    expected = -np.log(YP[np.arange(4), labels] / YP.sum(-1))
    for y in (labels, labels.reshape(4, 1), labels.astype(np.float32)):
        out = L.sparse_categorical_crossentropy(tw.ops.convert_to_tensor(y), _t(YP))
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)
    logits = RNG.normal(size=(4, 3)) * 3
    out = L.sparse_categorical_crossentropy(labels.tolist(), _t(logits), from_logits=True)
    ref = -_log_softmax(logits.astype(np.float32).astype(np.float64))[np.arange(4), labels]
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5)


def test_sparse_out_of_range_label_is_nan_and_axis_argument():
    out = L.sparse_categorical_crossentropy([0, 3], _t(YP[:2])).numpy()
    assert np.isfinite(out[0]) and np.isnan(out[1])
    # class axis first: y_pred (3, 4) with classes on axis 0
    labels = [1, 0, 2, 1]
    a = L.sparse_categorical_crossentropy(labels, _t(YP.T), axis=0).numpy()
    b = L.sparse_categorical_crossentropy(labels, _t(YP)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_logits_forms_equal_probability_forms():
    x = RNG.normal(size=(5, 4))
    t = (RNG.uniform(size=(5, 4)) > 0.5).astype(np.float64)
    sig = 1 / (1 + np.exp(-x))
    bce_logits = (t * _softplus(-x) + (1 - t) * _softplus(x)).mean(-1)
    np.testing.assert_allclose(L.binary_crossentropy(_t(t), _t(x), from_logits=True).numpy(),
                               bce_logits, rtol=1e-5)
    np.testing.assert_allclose(L.binary_crossentropy(_t(t), _t(sig)).numpy(), bce_logits,
                               rtol=1e-4)
    onehot = np.eye(4)[[0, 3, 1, 2, 2]]
    cce_logits = -(onehot * _log_softmax(x)).sum(-1)
    np.testing.assert_allclose(
        L.categorical_crossentropy(_t(onehot), _t(x), from_logits=True).numpy(), cce_logits,
        rtol=1e-5)


def test_label_smoothing():
    t = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.1, 0.7, 0.2]])
    s = 0.2
    ts = t * (1 - s) + s / 3
    expected = -(ts * np.log(p)).sum(-1)
    out = L.categorical_crossentropy(_t(t), _t(p), label_smoothing=s)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)
    tb = t * (1 - s) + 0.5 * s
    out = L.BinaryCrossentropy(label_smoothing=s)(_t(t), _t(p))
    np.testing.assert_allclose(float(out), _bce(tb, p).mean(), rtol=1e-5)


# ---- reductions and weights ------------------------------------------------------------------
def test_reductions_hand_computed():
    t = [[0.0, 1.0], [0.0, 0.0]]
    p = [[1.0, 1.0], [1.0, 0.0]]
    # per-sample MSE: [0.5, 0.5]
    assert float(L.MeanSquaredError()(t, p)) == pytest.approx(0.5)
    assert float(L.MeanSquaredError(reduction="sum")(t, p)) == pytest.approx(1.0)
    assert float(L.MeanSquaredError(reduction="mean")(t, p)) == pytest.approx(0.5)
    for r in ("none", None):
        np.testing.assert_allclose(L.MeanSquaredError(reduction=r)(t, p).numpy(), [0.5, 0.5])
    # weights [2, 0]: values [1, 0]; sum_over_batch_size divides by 2, mean_with_sw by 2
    assert float(L.MeanSquaredError()(t, p, sample_weight=[2.0, 0.0])) == pytest.approx(0.5)
    assert float(L.MeanSquaredError(reduction="sum")(t, p, sample_weight=[2.0, 0.0])) == \
        pytest.approx(1.0)
    assert float(L.MeanSquaredError(reduction="mean_with_sample_weight")(
        t, p, sample_weight=[3.0, 1.0])) == pytest.approx(0.5)


def test_sample_weight_shapes_broadcast():
    t = np.array([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])
    p = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 3.0]])
    per = ((t - p) ** 2).mean(-1)  # [0.5, 2, 2]
    w = np.array([1.0, 0.5, 2.0])
    expected = (per * w).sum() / 3
    loss = L.MeanSquaredError()
    for sw in (w, w.reshape(3, 1)):
        assert float(loss(_t(t), _t(p), sample_weight=_t(sw))) == pytest.approx(expected)
    # sequence losses (batch, time) with per-sample weights: each row gets its weight
    seq = L.MeanSquaredError(reduction="none")
    vals = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out = L.MeanAbsoluteError(reduction="none")(_t(np.zeros((3, 2, 1))),
                                                 _t(vals.reshape(3, 2, 1)), sample_weight=w)
    np.testing.assert_allclose(out.numpy(), vals * w[:, None])
    with pytest.raises(ShapeError, match="mean_squared_error.*sample_weight"):
        seq(_t(t), _t(p), sample_weight=[1.0, 2.0])


def test_ignore_class_is_left_out_of_the_mean():
    labels = [1, -1, 2, -1]
    loss = L.SparseCategoricalCrossentropy(ignore_class=-1)
    full = -np.log(YP / YP.sum(-1, keepdims=True))
    expected = (full[0, 1] + full[2, 2]) / 2  # two valid entries
    assert float(loss(labels, _t(YP))) == pytest.approx(expected, rel=1e-5)
    per = L.SparseCategoricalCrossentropy(ignore_class=-1, reduction=None)(labels, _t(YP))
    np.testing.assert_allclose(per.numpy(), [full[0, 1], 0.0, full[2, 2], 0.0], rtol=1e-5)
    weighted = loss(labels, _t(YP), sample_weight=[2.0, 5.0, 0.0, 5.0])
    assert float(weighted) == pytest.approx(2 * full[0, 1] / 2, rel=1e-5)


def test_sum_over_batch_size_of_sequence_losses():
    # values of shape (2, 3): the mean over all six entries
    t = np.zeros((2, 3, 1))
    p = np.arange(6, dtype=np.float64).reshape(2, 3, 1)
    assert float(L.MeanAbsoluteError()(_t(t), _t(p))) == pytest.approx(2.5)


# ---- numerics and gradients ------------------------------------------------------------------
def test_extreme_logits_give_finite_values_and_gradients():
    x = _t([[1e4, -1e4, 0.0, 88.0, -104.0]])
    t = _t([[0.0, 1.0, 1.0, 1.0, 0.0]])
    bce = L.BinaryCrossentropy(from_logits=True)
    val = float(bce(t, x))
    assert val == pytest.approx((1e4 + 1e4 + math.log(2)) / 5, rel=1e-5)
    g = tw.grad(lambda z: bce(t, z))(x).numpy()
    sig = 0.5 * (1 + np.tanh(np.array([1e4, -1e4, 0.0, 88.0, -104.0]) / 2))
    np.testing.assert_allclose(g, (sig - t.numpy()) / 5, atol=1e-7)

    logits = _t([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]])
    onehot = _t([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    for loss, y in ((L.CategoricalCrossentropy(from_logits=True), onehot),
                    (L.SparseCategoricalCrossentropy(from_logits=True), [1, 0])):
        assert math.isfinite(float(loss(y, logits)))
        g = tw.grad(lambda z, loss=loss, y=y: loss(y, z))(logits).numpy()
        assert np.all(np.isfinite(g))
        sm = np.exp(_log_softmax(logits.numpy().astype(np.float64)))
        np.testing.assert_allclose(g, (sm - onehot.numpy()) / 2, atol=1e-6)


def test_zero_logits_and_perfect_predictions_have_exact_gradients():
    # d/dx BCE(t, x) = (sigmoid(x) - t) / n: at x = 0 it is (0.5 - t) / n, not 0
    x = _t([[0.0, 0.0]])
    g = tw.grad(lambda z: L.BinaryCrossentropy(from_logits=True)([[1.0, 0.0]], z))(x)
    np.testing.assert_allclose(g.numpy(), [[-0.25, 0.25]], atol=1e-7)
    # d/dp log_cosh(p - t) = tanh(p - t): zero at a perfect prediction
    p = _t([[1.0, 2.0]])
    g = tw.grad(lambda z: L.LogCosh()(_t([[1.0, 1.0]]), z))(p).numpy()
    np.testing.assert_allclose(g, [[0.0, math.tanh(1.0) / 2]], rtol=1e-5, atol=1e-7)


def test_probabilities_at_zero_and_one_are_clipped():
    p = _t([[0.0, 1.0, 0.0]])
    t = _t([[1.0, 0.0, 0.0]])
    assert float(L.CategoricalCrossentropy()(t, p)) == pytest.approx(-math.log(EPS), rel=1e-3)
    g = tw.grad(lambda z: L.BinaryCrossentropy()(t, z))(p).numpy()
    assert np.all(np.isfinite(g))


def test_jit_matches_eager():
    loss = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    x = _t(RNG.normal(size=(6, 4)))
    y = _t(np.eye(4)[[0, 1, 2, 3, 0, 1]])
    w = _t(RNG.uniform(size=(6,)))
    eager = float(loss(y, x, sample_weight=w))
    jitted = float(tw.jit(lambda a, b, c: loss(a, b, sample_weight=c))(y, x, w))
    assert jitted == pytest.approx(eager, rel=1e-6)


# ---- API ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("alias", "fn"), [
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"), ("mae", "mean_absolute_error"),
    ("mape", "mean_absolute_percentage_error"), ("msle", "mean_squared_logarithmic_error"),
    ("kld", "kl_divergence"), ("kl_divergence", "kl_divergence"), ("huber", "huber"),
    ("log_cosh", "log_cosh"), ("logcosh", "log_cosh"),
    ("binary_crossentropy", "binary_crossentropy"),
    ("categorical_crossentropy", "categorical_crossentropy"),
    ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
])
def test_function_aliases(alias, fn):
    assert L.get(alias) is getattr(L, fn)


def test_classes_and_configs():
    assert L.get("MeanSquaredError") is L.MeanSquaredError
    objs = [L.MeanSquaredError(), L.Huber(delta=2.0, reduction="sum"),
            L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1),
            L.CategoricalCrossentropy(label_smoothing=0.2),
            L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
            L.CosineSimilarity(axis=-1, name="cos"), L.KLDivergence(), L.Poisson(),
            L.Hinge(), L.SquaredHinge(), L.CategoricalHinge(), L.LogCosh(),
            L.MeanAbsolutePercentageError(), L.MeanSquaredLogarithmicError(),
            L.MeanAbsoluteError(reduction=None)]
    for obj in objs:
        config = obj.get_config()
        again = L.get({"class_name": type(obj).__name__, "config": config})
        assert type(again) is type(obj) and again.get_config() == config
    assert L.Huber().name == "huber_loss" and L.LogCosh().name == "log_cosh"
    assert L.BinaryCrossentropy().get_config()["from_logits"] is False
    wrapper = L.LossFunctionWrapper(L.mean_absolute_error, reduction="sum")
    assert float(wrapper([[0.0, 2.0]], [[1.0, 0.0]])) == pytest.approx(1.5)
    assert L.LossFunctionWrapper.from_config(wrapper.get_config()).fn is L.mean_absolute_error


def test_errors_name_loss_argument_and_values():
    with pytest.raises(InvalidArgumentError, match="reduction"):
        L.MeanSquaredError(reduction="average")
    with pytest.raises(ShapeError, match=r"mean_squared_error.*y_true.*\(2, 3\)"):
        L.mean_squared_error(_t(np.zeros((2, 2))), _t(np.zeros((2, 3))))
    with pytest.raises(ShapeError, match="sparse_categorical_crossentropy.*y_true"):
        L.sparse_categorical_crossentropy(_t(np.zeros((2, 3))), _t(np.zeros((2, 3))))
    with pytest.raises(InvalidArgumentError, match="label_smoothing"):
        L.BinaryCrossentropy(label_smoothing=1.5)
    with pytest.raises(InvalidArgumentError, match="ignore_class"):
        L.SparseCategoricalCrossentropy(ignore_class=1.5)
    with pytest.raises(TensorweaveError):
        L.huber([[1.0]], [[1.0]], delta="one")


def test_python_backend_agrees():
    t, p = YT.astype(np.float32), YP.astype(np.float32)
    expected = [float(L.CategoricalCrossentropy(label_smoothing=0.1)(_t(t), _t(p))),
                float(L.SparseCategoricalCrossentropy(from_logits=True)([1, 0, 2, 1], _t(p))),
                float(L.Huber()(_t(t), _t(p), sample_weight=_t([1.0, 2.0, 0.0, 1.0])))]
    with tw.backend_scope("python"):
        tt, pp = tw.ops.convert_to_tensor(t.tolist()), tw.ops.convert_to_tensor(p.tolist())
        got = [L.CategoricalCrossentropy(label_smoothing=0.1)(tt, pp),
               L.SparseCategoricalCrossentropy(from_logits=True)([1, 0, 2, 1], pp),
               L.Huber()(tt, pp, sample_weight=[1.0, 2.0, 0.0, 1.0])]
        assert all(g.backend == "python" for g in got)
        np.testing.assert_allclose([float(g) for g in got], expected, rtol=1e-6)
