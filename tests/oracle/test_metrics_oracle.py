"""Metrics against real Keras 3: each metric fed the same batches through several
``update_state`` calls (with and without ``sample_weight``), ``result`` after each, then
``reset_state``; metric functions on the same inputs; ``get_config`` key by key."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw


def _batches(kind: str, rng: np.random.Generator, n: int = 3) -> list[tuple]:
    out = []
    for _ in range(n):
        if kind == "reg":
            yt, yp = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
        elif kind == "pos":
            yt, yp = rng.uniform(0, 3, (4, 3)), rng.uniform(0.1, 3, (4, 3))
        elif kind == "binary":
            yt, yp = rng.integers(0, 2, (6, 1)), rng.uniform(0, 1, (6, 1))
        elif kind == "multilabel":
            yt, yp = rng.integers(0, 2, (4, 3)), rng.uniform(0, 1, (4, 3))
        elif kind == "probs":
            p = rng.uniform(0.05, 1.0, (4, 5))
            yt, yp = np.eye(5)[rng.integers(0, 5, 4)], p / p.sum(-1, keepdims=True)
        elif kind == "sparse":
            p = rng.uniform(0.05, 1.0, (4, 5))
            yt, yp = rng.integers(0, 5, (4,)), p / p.sum(-1, keepdims=True)
        elif kind == "pm1":
            yt, yp = rng.choice([-1.0, 1.0], (4, 3)), rng.normal(size=(4, 3))
        elif kind == "same":
            yt = rng.integers(0, 3, (6,))
            yp = np.where(rng.uniform(size=6) < 0.5, yt, rng.integers(0, 3, (6,)))
        elif kind == "values":
            yt, yp = None, rng.normal(size=(4,))
        else:
            raise AssertionError(kind)
        sw = rng.uniform(0.0, 2.0, (yp.shape[0],))
        out.append((None if yt is None else np.asarray(yt, "float32"),
                    np.asarray(yp, "float32"), sw.astype("float32")))
    return out


CLASSES = [
    ("Accuracy", "same", {}),
    ("BinaryAccuracy", "binary", {}),
    ("BinaryAccuracy", "binary", {"threshold": 0.3}),
    ("CategoricalAccuracy", "probs", {}),
    ("SparseCategoricalAccuracy", "sparse", {}),
    ("TopKCategoricalAccuracy", "probs", {"k": 2}),
    ("SparseTopKCategoricalAccuracy", "sparse", {"k": 2}),
    ("MeanSquaredError", "reg", {}),
    ("MeanAbsoluteError", "reg", {}),
    ("MeanAbsolutePercentageError", "reg", {}),
    ("MeanSquaredLogarithmicError", "pos", {}),
    ("LogCoshError", "reg", {}),
    ("CosineSimilarity", "reg", {}),
    ("RootMeanSquaredError", "reg", {}),
    ("BinaryCrossentropy", "binary", {}),
    ("BinaryCrossentropy", "binary", {"label_smoothing": 0.1}),
    ("CategoricalCrossentropy", "probs", {}),
    ("SparseCategoricalCrossentropy", "sparse", {}),
    ("KLDivergence", "probs", {}),
    ("Poisson", "pos", {}),
    ("Hinge", "pm1", {}),
    ("SquaredHinge", "pm1", {}),
    ("CategoricalHinge", "probs", {}),
    ("Precision", "binary", {}),
    ("Precision", "multilabel", {"thresholds": [0.3, 0.6]}),
    ("Precision", "multilabel", {"top_k": 2}),
    ("Precision", "multilabel", {"class_id": 1}),
    ("Recall", "binary", {}),
    ("Recall", "multilabel", {"thresholds": 0.7}),
    ("TruePositives", "binary", {}),
    ("FalsePositives", "binary", {"thresholds": [0.2, 0.8]}),
    ("TrueNegatives", "binary", {}),
    ("FalseNegatives", "binary", {}),
    ("AUC", "binary", {}),
    ("AUC", "binary", {"curve": "PR"}),
    ("AUC", "binary", {"num_thresholds": 50, "summation_method": "minoring"}),
    ("AUC", "binary", {"summation_method": "majoring"}),
    ("AUC", "multilabel", {"multi_label": True}),
    ("AUC", "multilabel", {"multi_label": True, "curve": "PR"}),
]


def _ids(cases: list) -> list[str]:
    return [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, _, kw in cases]


def _run(metric: Any, batches: list, weighted: bool) -> list:
    out = []
    for yt, yp, sw in batches:
        if weighted:
            metric.update_state(yt, yp, sample_weight=sw)
        else:
            metric.update_state(yt, yp)
        out.append(np.asarray(metric.result()))
    return out


@pytest.mark.parametrize("name,kind,kwargs", CLASSES, ids=_ids(CLASSES))
def test_metric_class(keras: Any, rng: np.random.Generator, close: Any, name: str, kind: str,
                      kwargs: dict) -> None:
    batches = _batches(kind, rng)
    ours = getattr(tw.metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for weighted in (False, True):
        for i, (a, b) in enumerate(zip(_run(ours, batches, weighted),
                                       _run(theirs, batches, weighted))):
            close(a, b, rtol=2e-5, atol=2e-6, what=f"{name}{kwargs} weighted={weighted} step {i}")
        ours.reset_state()
        theirs.reset_state()
        close(ours.result(), theirs.result(), what=f"{name} after reset_state")
    _same_config(ours.get_config(), theirs.get_config(), name)


def _same_config(ours: dict, theirs: dict, name: str) -> None:
    """Equal configs; Keras numbers repeated default names (``precision_1``), so only
    the base of the name is compared."""
    ours, theirs = dict(ours), dict(theirs)
    on, kn = ours.pop("name"), theirs.pop("name")
    assert on == kn.rstrip("0123456789").rstrip("_") or on == kn, (name, on, kn)
    for key in EXTRA_KEYS.get(name, ()):
        ours.pop(key)
    assert ours == theirs, name


#: keys Keras's get_config drops (its round trip loses them); ours keeps them
EXTRA_KEYS = {"CosineSimilarity": ("axis",)}


@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_reduction_metrics(keras: Any, rng: np.random.Generator, close: Any, name: str) -> None:
    ours, theirs = getattr(tw.metrics, name)(), getattr(keras.metrics, name)()
    for _, v, sw in _batches("values", rng):
        ours.update_state(v, sample_weight=sw)
        theirs.update_state(v, sample_weight=sw)
        close(ours.result(), theirs.result(), what=name)
    m2 = rng.normal(size=(3, 2)).astype("float32")
    ours.update_state(m2)
    theirs.update_state(m2)
    close(ours.result(), theirs.result(), what=f"{name} 2-D values")
    assert ours.get_config() == theirs.get_config()


FUNCTIONS = [
    ("binary_accuracy", "binary", {}),
    ("categorical_accuracy", "probs", {}),
    ("sparse_categorical_accuracy", "sparse", {}),
    ("top_k_categorical_accuracy", "probs", {"k": 2}),
    ("sparse_top_k_categorical_accuracy", "sparse", {"k": 3}),
    ("mean_squared_error", "reg", {}),
    ("mean_absolute_error", "reg", {}),
    ("mean_absolute_percentage_error", "reg", {}),
    ("mean_squared_logarithmic_error", "pos", {}),
    ("log_cosh", "reg", {}),
    ("binary_crossentropy", "binary", {}),
    ("categorical_crossentropy", "probs", {}),
    ("sparse_categorical_crossentropy", "sparse", {}),
    ("kl_divergence", "probs", {}),
    ("poisson", "pos", {}),
    ("hinge", "pm1", {}),
    ("squared_hinge", "pm1", {}),
    ("categorical_hinge", "probs", {}),
]


@pytest.mark.parametrize("name,kind,kwargs", FUNCTIONS, ids=_ids(FUNCTIONS))
def test_metric_function(keras: Any, rng: np.random.Generator, close: Any, name: str,
                         kind: str, kwargs: dict) -> None:
    yt, yp, _ = _batches(kind, rng, 1)[0]
    close(getattr(tw.metrics, name)(yt, yp, **kwargs),
          getattr(keras.metrics, name)(yt, yp, **kwargs), what=f"{name}{kwargs}")


def _multiclass(rng: np.random.Generator, n: int = 3) -> list[tuple]:
    """(one-hot y_true, scores, weights) batches of 6 samples x 4 classes."""
    out = []
    for _ in range(n):
        yt = np.eye(4, dtype="float32")[rng.integers(0, 4, 6)]
        yp = rng.uniform(0.0, 1.0, (6, 4)).astype("float32")
        out.append((yt, yp, rng.uniform(0.2, 2.0, (6,)).astype("float32")))
    return out


NEW_CLASSES = [
    ("F1Score", {}),
    ("F1Score", {"average": "micro"}),
    ("F1Score", {"average": "macro", "threshold": 0.5}),
    ("F1Score", {"average": "weighted"}),
    ("FBetaScore", {"beta": 2.0}),
    ("FBetaScore", {"beta": 0.5, "average": "macro", "threshold": 0.4}),
    ("R2Score", {}),
    ("R2Score", {"class_aggregation": "variance_weighted_average"}),
    ("R2Score", {"class_aggregation": None}),
    ("R2Score", {"num_regressors": 2}),
    ("PearsonCorrelation", {}),
    ("ConcordanceCorrelation", {}),
]


@pytest.mark.parametrize("name,kwargs", NEW_CLASSES, ids=[f"{n}{k}" for n, k in NEW_CLASSES])
def test_new_metric_class(keras: Any, rng: np.random.Generator, close: Any, name: str,
                          kwargs: dict) -> None:
    batches = _multiclass(rng)
    if name in ("R2Score", "PearsonCorrelation", "ConcordanceCorrelation"):
        batches = [(rng.normal(size=(6, 4)).astype("float32"), yp, sw)
                   for _, yp, sw in batches]
    ours = getattr(tw.metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for weighted in (False, True):
        for i, (a, b) in enumerate(zip(_run(ours, batches, weighted),
                                       _run(theirs, batches, weighted))):
            close(a, b, rtol=2e-5, atol=2e-6, what=f"{name}{kwargs} weighted={weighted} {i}")
        ours.reset_state()
        theirs.reset_state()
    _same_config(ours.get_config(), theirs.get_config(), name)


IOU_CASES = [
    ("IoU", {"num_classes": 4, "target_class_ids": [0, 2]}, "sparse"),
    ("IoU", {"num_classes": 4, "target_class_ids": [1], "ignore_class": 3}, "sparse"),
    ("MeanIoU", {"num_classes": 4}, "sparse"),
    ("MeanIoU", {"num_classes": 4, "sparse_y_pred": False}, "scores"),
    ("OneHotIoU", {"num_classes": 4, "target_class_ids": [0, 1, 3]}, "onehot"),
    ("OneHotMeanIoU", {"num_classes": 4}, "onehot"),
    ("BinaryIoU", {}, "binary"),
    ("BinaryIoU", {"target_class_ids": [1], "threshold": 0.3}, "binary"),
]


@pytest.mark.parametrize("name,kwargs,kind", IOU_CASES,
                         ids=[f"{n}{k}" for n, k, _ in IOU_CASES])
def test_iou(keras: Any, rng: np.random.Generator, close: Any, name: str, kwargs: dict,
             kind: str) -> None:
    batches = []
    for _ in range(3):
        labels = rng.integers(0, 4, (8,))
        scores = rng.uniform(size=(8, 4)).astype("float32")
        sw = rng.integers(0, 3, (8,)).astype("float32")  # integer weights (int state)
        if kind == "sparse":
            batches.append((labels.astype("int32"), rng.integers(0, 4, (8,)).astype("int32"), sw))
        elif kind == "scores":
            batches.append((labels.astype("int32"), scores, sw))
        elif kind == "onehot":
            batches.append((np.eye(4, dtype="float32")[labels], scores, sw))
        else:
            batches.append((rng.integers(0, 2, (8,)).astype("float32"),
                            rng.uniform(size=(8,)).astype("float32"), sw))
    ours = getattr(tw.metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for weighted in (False, True):
        for i, (a, b) in enumerate(zip(_run(ours, batches, weighted),
                                       _run(theirs, batches, weighted))):
            close(a, b, rtol=1e-5, atol=1e-6, what=f"{name}{kwargs} weighted={weighted} {i}")
        ours.reset_state()
        theirs.reset_state()
    _same_config(ours.get_config(), theirs.get_config(), name)


AT_CASES = [
    ("SensitivityAtSpecificity", {"specificity": 0.6}),
    ("SpecificityAtSensitivity", {"sensitivity": 0.7, "num_thresholds": 50}),
    ("PrecisionAtRecall", {"recall": 0.5}),
    ("RecallAtPrecision", {"precision": 0.6, "num_thresholds": 1}),
    ("RecallAtPrecision", {"precision": 0.4, "class_id": 2}),
]


@pytest.mark.parametrize("name,kwargs", AT_CASES, ids=[f"{n}{k}" for n, k in AT_CASES])
def test_at_metrics(keras: Any, rng: np.random.Generator, close: Any, name: str,
                    kwargs: dict) -> None:
    if "class_id" in kwargs:
        batches = _multiclass(rng)
    else:
        batches = [(rng.integers(0, 2, (20,)).astype("float32"),
                    rng.uniform(size=(20,)).astype("float32"),
                    rng.uniform(0.2, 2.0, (20,)).astype("float32")) for _ in range(3)]
    ours = getattr(tw.metrics, name)(**kwargs)
    theirs = getattr(keras.metrics, name)(**kwargs)
    for weighted in (False, True):
        for i, (a, b) in enumerate(zip(_run(ours, batches, weighted),
                                       _run(theirs, batches, weighted))):
            close(a, b, rtol=1e-5, atol=1e-6, what=f"{name}{kwargs} weighted={weighted} {i}")
        ours.reset_state()
        theirs.reset_state()
    _same_config(ours.get_config(), theirs.get_config(), name)


@pytest.mark.parametrize("name,kwargs", [
    ("pearson_correlation", {}), ("pearson_correlation", {"axis": 0}),
    ("concordance_correlation", {}), ("concordance_correlation", {"axis": 0}),
    ("binary_focal_crossentropy", {"gamma": 1.0}), ("categorical_focal_crossentropy", {}),
    ("huber", {"delta": 0.5})])
def test_new_metric_function(keras: Any, rng: np.random.Generator, close: Any, name: str,
                             kwargs: dict) -> None:
    yt = rng.uniform(size=(5, 4)).astype("float32")
    yp = rng.uniform(0.05, 0.95, (5, 4)).astype("float32")
    close(getattr(tw.metrics, name)(yt, yp, **kwargs),
          getattr(keras.metrics, name)(yt, yp, **kwargs), rtol=1e-5, atol=1e-6, what=name)
