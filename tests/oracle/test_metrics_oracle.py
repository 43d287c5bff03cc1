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
