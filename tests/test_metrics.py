"""The built-in metrics plugin.

Oracles: hand-computed values (the worked examples of the Keras documentation, recomputed
by hand in the comments), NumPy re-implementations of the definitions written here
(confusion counts per threshold, trapezoidal ROC areas, a numerically integrated
interpolated PR curve) and eager runs compared with runs of ``update_state`` traced and
jitted under a ``StatelessScope``.
"""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.variables import StatelessScope

M = tw.metrics
RNG = np.random.default_rng(7)


def _t(x, dtype="float32"):
    return tw.ops.convert_to_tensor(np.asarray(x, dtype=dtype))


def _r(metric):
    return float(metric.result())


# ---- Metric base, Mean, Sum ------------------------------------------------------------------
def test_mean_weighted_multiple_updates_and_reset():
    m = M.Mean()
    assert m.name == "mean" and [v.name for v in m.variables] == ["total", "count"]
    assert _r(m) == 0.0  # no data yet: 0, not NaN
    m.update_state([1.0, 3.0, 5.0, 7.0])
    assert _r(m) == pytest.approx(4.0)
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    assert _r(m) == pytest.approx((16 + 4) / 6)
    m.update_state(10.0)  # a scalar counts as one value
    assert _r(m) == pytest.approx(30 / 7)
    m.reset_state()
    assert _r(m) == 0.0 and float(m.count) == 0.0
    # values (batch, 2) are reduced per sample first: sample means 1.5 and 5.5
    m.update_state([[1.0, 2.0], [5.0, 6.0]], sample_weight=[3.0, 1.0])
    assert _r(m) == pytest.approx((1.5 * 3 + 5.5) / 4)


def test_sum_and_call_and_stateless_reset():
    s = M.Sum()
    assert float(s([1.0, 2.0, 3.0])) == pytest.approx(6.0)
    s.update_state([[1.0, 1.0], [2.0, 2.0]], sample_weight=[0.5, 2.0])
    assert _r(s) == pytest.approx(6.0 + 1.0 + 8.0)
    assert [float(v) for v in s.stateless_reset_state()] == [0.0]


def test_mean_metric_wrapper_custom_function():
    def abs_diff(y_true, y_pred):
        return tw.ops.mean(tw.ops.abs(tw.ops.subtract(y_true, y_pred)), axis=-1)

    m = M.MeanMetricWrapper(abs_diff)
    assert m.name == "abs_diff"
    m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 3.0]], sample_weight=[1.0, 3.0])
    assert _r(m) == pytest.approx((0.5 + 3 * 1.0) / 4)
    assert M.MeanMetricWrapper("mae").name == "mean_absolute_error"  # named after fn


# ---- accuracy ------------------------------------------------------------------------------------
def test_accuracy_family_keras_examples():
    m = M.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert _r(m) == pytest.approx(0.75)  # 3 of 4 equal
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert _r(m) == pytest.approx(0.5)  # (0 + 1) / 2

    m = M.BinaryAccuracy()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    assert _r(m) == pytest.approx(0.75)  # 0.6 > 0.5 is wrong for label 0
    m.reset_state()
    m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1])
    assert _r(m) == pytest.approx(0.5)
    assert _r(M.BinaryAccuracy(threshold=0.7)) == 0.0

    pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    m = M.CategoricalAccuracy()
    m.update_state([[0, 0, 1], [0, 1, 0]], pred, sample_weight=[0.7, 0.3])
    assert _r(m) == pytest.approx(0.3)  # only the second sample is right
    m = M.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], pred, sample_weight=[0.7, 0.3])
    assert _r(m) == pytest.approx(0.3)
    m.update_state([2.0, 1.0], pred)  # float labels holding ints, shape (batch,)
    assert _r(m) == pytest.approx((0.3 + 1.0) / 3)


def test_top_k_accuracy_and_ties():
    pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0.0]]
    m = M.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], pred)
    assert _r(m) == pytest.approx(0.5)
    m = M.SparseTopKCategoricalAccuracy(k=2)
    m.update_state([2, 2], pred, sample_weight=[0.7, 0.3])
    assert _r(m) == pytest.approx(0.7)  # class 2 is 2nd in row 0 (in), 3rd in row 1 (out)
    # a tie at the k-th place counts as in (TF's in_top_k): 0.5 ties with 0.5
    tie = M.sparse_top_k_categorical_accuracy([2], _t([[0.5, 0.1, 0.5, 0.4]]), k=1)
    assert tie.numpy().tolist() == [1.0]
    assert M.SparseTopKCategoricalAccuracy().get_config()["k"] == 5


def test_accuracy_against_numpy_random():
    logits = RNG.normal(size=(50, 6))
    labels = RNG.integers(0, 6, size=50)
    w = RNG.uniform(size=50)
    hits = (logits.argmax(-1) == labels).astype(np.float64)
    m = M.SparseCategoricalAccuracy()
    m.update_state(labels.astype(np.int32), _t(logits), sample_weight=_t(w))
    assert _r(m) == pytest.approx((hits * w).sum() / w.sum(), rel=1e-5)
    rank = (logits > logits[np.arange(50), labels][:, None]).sum(-1)
    m = M.TopKCategoricalAccuracy(k=3)
    m.update_state(_t(np.eye(6)[labels]), _t(logits))
    assert _r(m) == pytest.approx((rank < 3).mean(), rel=1e-6)


# ---- regression -----------------------------------------------------------------------------
def test_regression_metrics_hand_computed():
    t = [[0.0, 1.0], [0.0, 0.0]]
    p = [[1.0, 1.0], [0.0, 0.0]]
    assert float(M.MeanSquaredError()(t, p)) == pytest.approx(0.25)
    assert float(M.MeanAbsoluteError()(t, p)) == pytest.approx(0.25)
    rmse = M.RootMeanSquaredError()
    rmse.update_state(t, p)
    assert _r(rmse) == pytest.approx(0.5)
    rmse.reset_state()
    rmse.update_state(t, p, sample_weight=[1.0, 0.0])
    assert _r(rmse) == pytest.approx(np.sqrt(0.5))
    cos = M.CosineSimilarity()
    cos.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    assert _r(cos) == pytest.approx(0.5, rel=1e-6)  # (0 + 1) / 2: the metric is positive
    lc = M.LogCoshError()
    lc.update_state(t, p)
    assert _r(lc) == pytest.approx(np.log(np.cosh(1.0)) / 4, rel=1e-6)


def test_probabilistic_metrics_are_means_of_the_losses():
    yt = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    yp = np.array([[0.3, 0.7], [0.6, 0.4], [0.2, 0.8]])
    w = np.array([1.0, 2.0, 0.5])
    for cls, fn in [("BinaryCrossentropy", "binary_crossentropy"),
                    ("CategoricalCrossentropy", "categorical_crossentropy"),
                    ("KLDivergence", "kl_divergence"), ("Poisson", "poisson"),
                    ("Hinge", "hinge"), ("SquaredHinge", "squared_hinge"),
                    ("CategoricalHinge", "categorical_hinge"),
                    ("MeanAbsolutePercentageError", "mean_absolute_percentage_error"),
                    ("MeanSquaredLogarithmicError", "mean_squared_logarithmic_error")]:
        per = tw.losses.get(fn)(_t(yt), _t(yp)).numpy().astype(np.float64)
        m = getattr(M, cls)()
        m.update_state(_t(yt), _t(yp), sample_weight=_t(w))
        assert _r(m) == pytest.approx((per * w).sum() / w.sum(), rel=1e-5), cls
    m = M.SparseCategoricalCrossentropy(from_logits=True)
    logits = np.array([[2.0, -1.0], [0.5, 0.5]])
    m.update_state([0, 1], _t(logits))
    ref = -(logits - np.log(np.exp(logits).sum(-1, keepdims=True)))[[0, 1], [0, 1]]
    assert _r(m) == pytest.approx(ref.mean(), rel=1e-5)


# ---- confusion metrics ------------------------------------------------------------------------
def _counts(y_true, y_pred, thresholds, w=None):
    y_true = np.asarray(y_true, np.float64).ravel() != 0
    y_pred = np.asarray(y_pred, np.float32).ravel()
    w = np.ones_like(y_pred, np.float64) if w is None else np.asarray(w, np.float64).ravel()
    thr = np.asarray(thresholds, np.float32)[:, None]
    pos = y_pred[None, :] > thr
    return {"tp": ((pos & y_true) * w).sum(1), "fp": ((pos & ~y_true) * w).sum(1),
            "tn": ((~pos & ~y_true) * w).sum(1), "fn": ((~pos & y_true) * w).sum(1)}


def test_precision_recall_keras_examples():
    m = M.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert _r(m) == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert _r(m) == pytest.approx(1.0)
    m = M.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert _r(m) == pytest.approx(0.0)  # the first two (both negative) are the top 2
    m = M.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert _r(m) == pytest.approx(2 / 3)


def test_precision_recall_thresholds_and_class_id_against_numpy():
    y_true = (RNG.uniform(size=(30, 3)) > 0.6).astype(np.float32)
    y_pred = RNG.uniform(size=(30, 3)).astype(np.float32)
    w = RNG.uniform(size=30)
    thresholds = [0.1, 0.35, 0.5, 0.9]
    c = _counts(y_true, y_pred, thresholds, np.repeat(w[:, None], 3, 1))
    p = M.Precision(thresholds=thresholds)
    r = M.Recall(thresholds=thresholds)
    for m in (p, r):
        m.update_state(_t(y_true[:10]), _t(y_pred[:10]), sample_weight=_t(w[:10]))
        m.update_state(_t(y_true[10:]), _t(y_pred[10:]), sample_weight=_t(w[10:]))
    np.testing.assert_allclose(p.result().numpy(), c["tp"] / (c["tp"] + c["fp"]), rtol=1e-5)
    np.testing.assert_allclose(r.result().numpy(), c["tp"] / (c["tp"] + c["fn"]), rtol=1e-5)
    c1 = _counts(y_true[:, 1], y_pred[:, 1], [0.5])
    p1 = M.Precision(class_id=1)
    p1.update_state(_t(y_true), _t(y_pred))
    assert _r(p1) == pytest.approx(c1["tp"][0] / (c1["tp"][0] + c1["fp"][0]), rel=1e-6)
    for cls, key in (("TruePositives", "tp"), ("FalsePositives", "fp"),
                     ("TrueNegatives", "tn"), ("FalseNegatives", "fn")):
        m = getattr(M, cls)()
        m.update_state(_t(y_true[:, 0]), _t(y_pred[:, 0]))
        assert _r(m) == _counts(y_true[:, 0], y_pred[:, 0], [0.5])[key][0], cls


def _auc_thresholds(n):
    return [-1e-7] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + 1e-7]


def test_auc_keras_example_by_hand():
    # thresholds [-1e-7, 0.5, 1 + 1e-7]: tp [2, 1, 0], fp [2, 0, 0], fn [0, 1, 2], tn [0, 2, 2]
    # tpr [1, 0.5, 0], fpr [1, 0, 0]: area = (1 - 0) * (1 + 0.5) / 2 + 0 = 0.75
    m = M.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert _r(m) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert _r(m) == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["interpolation", "minoring", "majoring"])
def test_roc_auc_against_numpy(method):
    y_true = (RNG.uniform(size=200) > 0.5).astype(np.float32)
    y_pred = np.clip(0.35 * y_true + RNG.uniform(size=200) * 0.65, 0, 1).astype(np.float32)
    w = RNG.uniform(0.5, 2.0, size=200)
    n = 50
    c = _counts(y_true, y_pred, _auc_thresholds(n), w)
    tpr = c["tp"] / (c["tp"] + c["fn"])
    fpr = c["fp"] / (c["fp"] + c["tn"])
    h = {"interpolation": (tpr[:-1] + tpr[1:]) / 2, "minoring": np.minimum(tpr[:-1], tpr[1:]),
         "majoring": np.maximum(tpr[:-1], tpr[1:])}[method]
    expected = ((fpr[:-1] - fpr[1:]) * h).sum()
    m = M.AUC(num_thresholds=n, summation_method=method)
    m.update_state(_t(y_true[:120]), _t(y_pred[:120]), sample_weight=_t(w[:120]))
    m.update_state(_t(y_true[120:]), _t(y_pred[120:]), sample_weight=_t(w[120:]))
    assert _r(m) == pytest.approx(expected, rel=1e-5)
    if method == "interpolation":  # with many thresholds: the exact (Mann-Whitney) AUC
        fine = M.AUC(num_thresholds=2000)
        fine.update_state(_t(y_true), _t(y_pred))
        pos, neg = y_pred[y_true == 1], y_pred[y_true == 0]
        exact = ((pos[:, None] > neg[None, :]).mean()
                 + 0.5 * (pos[:, None] == neg[None, :]).mean())
        assert _r(fine) == pytest.approx(exact, abs=2e-3)


def test_pr_auc_interpolation_against_numerical_integration():
    y_true = (RNG.uniform(size=120) > 0.6).astype(np.float32)
    y_pred = np.clip(0.3 * y_true + RNG.uniform(size=120) * 0.7, 0, 1).astype(np.float32)
    n = 20
    c = _counts(y_true, y_pred, _auc_thresholds(n))
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    total_pos = tp[0] + fn[0]
    area = 0.0
    for i in range(n - 1):  # tp and fp move linearly between thresholds i and i + 1
        s = np.linspace(0.0, 1.0, 20001)
        tps = tp[i + 1] + s * (tp[i] - tp[i + 1])
        ps = tps + fp[i + 1] + s * (fp[i] - fp[i + 1])
        prec = np.where(ps > 0, tps / np.where(ps > 0, ps, 1), 0.0)
        d_recall = (tp[i] - tp[i + 1]) / total_pos
        area += np.trapezoid(prec, s) * d_recall if hasattr(np, "trapezoid") else \
            np.trapz(prec, s) * d_recall
    m = M.AUC(num_thresholds=n, curve="PR")
    m.update_state(_t(y_true), _t(y_pred))
    assert _r(m) == pytest.approx(area, rel=1e-4)
    majoring = M.AUC(num_thresholds=n, curve="pr", summation_method="majoring")
    majoring.update_state(_t(y_true), _t(y_pred))
    rec = tp / (tp + fn)
    prec = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1e-300), 0)
    assert _r(majoring) == pytest.approx(((rec[:-1] - rec[1:]) * np.maximum(prec[:-1],
                                                                           prec[1:])).sum(),
                                         rel=1e-5)


def test_auc_multi_label_label_weights_and_logits():
    y_true = (RNG.uniform(size=(40, 3)) > 0.5).astype(np.float32)
    y_pred = RNG.uniform(size=(40, 3)).astype(np.float32)
    per_label = []
    for j in range(3):
        single = M.AUC(num_thresholds=30)
        single.update_state(_t(y_true[:, j]), _t(y_pred[:, j]))
        per_label.append(_r(single))
    multi = M.AUC(num_thresholds=30, multi_label=True, num_labels=3)
    multi.update_state(_t(y_true), _t(y_pred))
    assert _r(multi) == pytest.approx(np.mean(per_label), rel=1e-5)
    lw = [1.0, 2.0, 0.0]
    weighted = M.AUC(num_thresholds=30, multi_label=True, label_weights=lw)  # lazy build
    weighted.update_state(_t(y_true), _t(y_pred))
    assert weighted.variables[0].shape == (30, 3)
    assert _r(weighted) == pytest.approx(np.dot(per_label, lw) / 3.0, rel=1e-5)
    logits = np.log(y_pred / (1 - y_pred)).astype(np.float32)
    a = M.AUC(num_thresholds=30, from_logits=True)
    a.update_state(_t(y_true[:, 0]), _t(logits[:, 0]))
    assert _r(a) == pytest.approx(per_label[0], abs=1e-6)


# ---- traced, jitted updates -------------------------------------------------------------------
CASES = [
    ("Mean", lambda: M.Mean(), lambda: (_t([1.0, 2.0, 4.0]),), True),
    ("Sum", lambda: M.Sum(), lambda: (_t([[1.0, 2.0], [3.0, 4.0]]),), True),
    ("BinaryAccuracy", lambda: M.BinaryAccuracy(),
     lambda: (_t([[1.0], [0.0], [1.0]]), _t([[0.7], [0.6], [0.2]])), True),
    ("SparseCategoricalAccuracy", lambda: M.SparseCategoricalAccuracy(),
     lambda: (_t([2, 0, 1], "int32"), _t([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.6, 0.3, 0.1]])),
     True),
    ("TopK", lambda: M.TopKCategoricalAccuracy(k=2),
     lambda: (_t(np.eye(3)[[2, 0, 1]]), _t([[0.1, 0.2, 0.7], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])),
     True),
    ("RMSE", lambda: M.RootMeanSquaredError(),
     lambda: (_t([[1.0, 2.0], [0.0, 1.0]]), _t([[1.5, 2.0], [1.0, 1.0]])), True),
    ("Precision", lambda: M.Precision(thresholds=[0.3, 0.6]),
     lambda: (_t([1.0, 0.0, 1.0, 1.0]), _t([0.7, 0.4, 0.2, 0.9])), True),
    ("Recall", lambda: M.Recall(),
     lambda: (_t([1.0, 0.0, 1.0, 1.0]), _t([0.7, 0.4, 0.2, 0.9])), True),
    ("AUC", lambda: M.AUC(num_thresholds=11),
     lambda: (_t([1.0, 0.0, 1.0, 0.0]), _t([0.7, 0.4, 0.2, 0.9])), True),
    ("AUC-PR", lambda: M.AUC(num_thresholds=11, curve="PR"),
     lambda: (_t([1.0, 0.0, 1.0, 0.0]), _t([0.7, 0.4, 0.2, 0.9])), True),
    ("CCE", lambda: M.CategoricalCrossentropy(from_logits=True),
     lambda: (_t(np.eye(3)[[0, 2]]), _t([[2.0, 1.0, -1.0], [0.0, 0.5, 3.0]])), True),
]


@pytest.mark.parametrize(("label", "make", "data", "weighted"), CASES,
                         ids=[c[0] for c in CASES])
def test_jitted_stateless_update_matches_eager(label, make, data, weighted):
    args = data()
    n = args[0].shape[0]
    sw = _t(np.linspace(0.5, 2.0, n))
    eager = make()
    for _ in range(3):
        eager.update_state(*args, sample_weight=sw)

    traced = make()

    def step(values, sw, *args):
        # the trainer's pattern: variables read as inputs, assignments recorded
        with StatelessScope(dict(zip(traced.variables, values))) as scope:
            traced.update_state(*args, sample_weight=sw)
        return [scope.value_of(v) for v in traced.variables]

    jitted = tw.jit(step)
    values = [v.value for v in traced.variables]
    for _ in range(3):
        values = jitted(values, sw, *args)
    assert all(float(tw.ops.sum(v.value)) == 0.0 for v in traced.variables)  # untouched
    for v, new in zip(traced.variables, values):
        v.assign(new)
    np.testing.assert_allclose(np.asarray(traced.result().numpy()),
                               np.asarray(eager.result().numpy()), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(traced.stateless_result(values).numpy()),
                               np.asarray(eager.result().numpy()), rtol=1e-6)


def test_stateless_update_state_api_inside_jit():
    m = M.Mean()
    jitted = tw.jit(lambda vals, x: m.stateless_update_state(vals, x))
    vals = m.stateless_reset_state()
    vals = jitted(vals, _t([2.0, 4.0]))
    vals = jitted(vals, _t([6.0, 8.0]))
    assert float(m.stateless_result(vals)) == pytest.approx(5.0)
    assert float(m.result()) == 0.0


def test_update_state_with_variables_read_inside_the_trace():
    m = M.Accuracy()

    def step(y, p):
        with StatelessScope() as scope:  # no mapping: variables become graph inputs
            m.update_state(y, p)
        return [scope.value_of(v) for v in m.variables]

    new = tw.jit(step)(_t([1.0, 2.0, 3.0]), _t([1.0, 0.0, 3.0]))
    for v, n in zip(m.variables, new):
        v.assign(n)
    assert float(m.result()) == pytest.approx(2 / 3)


# ---- API ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("accuracy", "Accuracy"), ("acc", "Accuracy"), ("auc", "AUC"), ("precision", "Precision"),
    ("recall", "Recall"), ("BinaryAccuracy", "BinaryAccuracy"), ("Mean", "Mean"),
    ("mse", "mean_squared_error"), ("mae", "mean_absolute_error"),
    ("binary_accuracy", "binary_accuracy"), ("categorical_accuracy", "categorical_accuracy"),
    ("sparse_categorical_accuracy", "sparse_categorical_accuracy"),
    ("top_k_categorical_accuracy", "top_k_categorical_accuracy"),
])
def test_registry_names(name, expected):
    assert M.get(name).__name__ == expected


def test_configs_round_trip():
    objs = [M.Mean(name="m"), M.Accuracy(), M.BinaryAccuracy(threshold=0.3),
            M.TopKCategoricalAccuracy(k=3), M.Precision(thresholds=[0.2, 0.4], class_id=1),
            M.Recall(top_k=2), M.AUC(num_thresholds=17, curve="PR", multi_label=True,
                                     num_labels=2),
            M.AUC(thresholds=[0.3, 0.6]), M.RootMeanSquaredError(),
            M.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)]
    for obj in objs:
        config = obj.get_config()
        again = M.get({"class_name": type(obj).__name__, "config": config})
        assert type(again) is type(obj) and again.get_config() == config
    assert M.AUC(thresholds=[0.3, 0.6]).num_thresholds == 4


def test_errors_name_metric_argument_and_values():
    with pytest.raises(InvalidArgumentError, match="BinaryAccuracy.*threshold"):
        M.BinaryAccuracy(threshold=1.5)
    with pytest.raises(InvalidArgumentError, match="Precision.*thresholds"):
        M.Precision(thresholds=[0.5, 2.0])
    with pytest.raises(InvalidArgumentError, match="AUC.*curve"):
        M.AUC(curve="DET")
    with pytest.raises(InvalidArgumentError, match="AUC.*num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ShapeError, match="mean.*sample_weight"):
        M.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="categorical_accuracy.*y_true"):
        M.CategoricalAccuracy().update_state([1, 2], [[0.1, 0.9], [0.8, 0.2]])
    with pytest.raises(InvalidArgumentError, match="k"):
        M.TopKCategoricalAccuracy(k=0)


def test_python_backend_agrees():
    y_true = [[1.0], [0.0], [1.0], [1.0], [0.0]]
    y_pred = [[0.8], [0.3], [0.4], [0.9], [0.6]]
    w = [1.0, 2.0, 1.0, 0.5, 1.0]
    expected = []
    for m in (M.AUC(num_thresholds=9), M.BinaryAccuracy(), M.Precision()):
        m.update_state(_t(y_true), _t(y_pred), sample_weight=_t(w))
        expected.append(_r(m))
    with tw.backend_scope("python"):
        for m, e in zip((M.AUC(num_thresholds=9), M.BinaryAccuracy(), M.Precision()), expected):
            m.update_state(y_true, y_pred, sample_weight=w)
            out = m.result()
            assert out.backend == "python"
            assert float(out) == pytest.approx(e, rel=1e-6)
