"""Losses against real Keras 3: every loss function and class on the same inputs, with
and without ``sample_weight``, every reduction, and the from_logits / label_smoothing /
axis variants; ``get_config`` compared key by key."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]


def _inputs(kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(y_true, y_pred) of shape (4, 5) suited to the loss family."""
    if kind == "reg":
        return (rng.normal(size=(4, 5)).astype("float32"),
                rng.normal(size=(4, 5)).astype("float32"))
    if kind == "pos":
        return (rng.uniform(0.0, 3.0, (4, 5)).astype("float32"),
                rng.uniform(0.1, 3.0, (4, 5)).astype("float32"))
    if kind == "binary":
        return (rng.integers(0, 2, (4, 5)).astype("float32"),
                rng.uniform(0.02, 0.98, (4, 5)).astype("float32"))
    if kind == "logits":
        return (rng.integers(0, 2, (4, 5)).astype("float32"),
                rng.normal(scale=3.0, size=(4, 5)).astype("float32"))
    if kind == "probs":
        p = rng.uniform(0.05, 1.0, (4, 5)).astype("float32")
        return (np.eye(5, dtype="float32")[rng.integers(0, 5, 4)], p / p.sum(-1, keepdims=True))
    if kind == "onehot_logits":
        return (np.eye(5, dtype="float32")[rng.integers(0, 5, 4)],
                rng.normal(scale=2.0, size=(4, 5)).astype("float32"))
    if kind == "pm1":
        return (rng.choice([-1.0, 1.0], (4, 5)).astype("float32"),
                rng.normal(size=(4, 5)).astype("float32"))
    raise AssertionError(kind)


# (function name, input kind, extra kwargs)
FUNCTIONS = [
    ("mean_squared_error", "reg", {}),
    ("mean_absolute_error", "reg", {}),
    ("mean_absolute_percentage_error", "reg", {}),
    ("mean_squared_logarithmic_error", "pos", {}),
    ("huber", "reg", {}),
    ("huber", "reg", {"delta": 0.3}),
    ("log_cosh", "reg", {}),
    ("binary_crossentropy", "binary", {}),
    ("binary_crossentropy", "binary", {"label_smoothing": 0.2}),
    ("binary_crossentropy", "logits", {"from_logits": True}),
    ("binary_crossentropy", "logits", {"from_logits": True, "label_smoothing": 0.1}),
    ("binary_crossentropy", "binary", {"axis": 0}),
    ("categorical_crossentropy", "probs", {}),
    ("categorical_crossentropy", "probs", {"label_smoothing": 0.3}),
    ("categorical_crossentropy", "onehot_logits", {"from_logits": True}),
    ("categorical_crossentropy", "onehot_logits", {"from_logits": True, "label_smoothing": 0.1}),
    ("categorical_crossentropy", "probs", {"axis": 0}),
    ("kl_divergence", "probs", {}),
    ("poisson", "pos", {}),
    ("hinge", "pm1", {}),
    ("hinge", "binary", {}),
    ("squared_hinge", "pm1", {}),
    ("squared_hinge", "binary", {}),
    ("categorical_hinge", "probs", {}),
    ("cosine_similarity", "reg", {}),
    ("cosine_similarity", "reg", {"axis": 0}),
]

CLASSES = [
    ("MeanSquaredError", "reg", {}),
    ("MeanAbsoluteError", "reg", {}),
    ("MeanAbsolutePercentageError", "reg", {}),
    ("MeanSquaredLogarithmicError", "pos", {}),
    ("Huber", "reg", {"delta": 0.5}),
    ("LogCosh", "reg", {}),
    ("BinaryCrossentropy", "binary", {"label_smoothing": 0.1}),
    ("BinaryCrossentropy", "logits", {"from_logits": True}),
    ("CategoricalCrossentropy", "probs", {}),
    ("CategoricalCrossentropy", "onehot_logits", {"from_logits": True, "label_smoothing": 0.2}),
    ("KLDivergence", "probs", {}),
    ("Poisson", "pos", {}),
    ("Hinge", "pm1", {}),
    ("SquaredHinge", "binary", {}),
    ("CategoricalHinge", "probs", {}),
    ("CosineSimilarity", "reg", {}),
    ("CosineSimilarity", "reg", {"axis": 0}),
]


def _ids(cases: list) -> list[str]:
    return [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, _, kw in cases]


@pytest.mark.parametrize("name,kind,kwargs", FUNCTIONS, ids=_ids(FUNCTIONS))
def test_loss_function(keras: Any, rng: np.random.Generator, close: Any, name: str, kind: str,
                       kwargs: dict) -> None:
    yt, yp = _inputs(kind, rng)
    ours = getattr(tw.losses, name)(yt, yp, **kwargs)
    theirs = getattr(keras.losses, name)(yt, yp, **kwargs)
    close(ours, theirs, rtol=1e-5, atol=1e-6, what=f"{name}{kwargs}")


@pytest.mark.parametrize("name,kind,kwargs", CLASSES, ids=_ids(CLASSES))
def test_loss_class(keras: Any, rng: np.random.Generator, close: Any, name: str, kind: str,
                    kwargs: dict) -> None:
    yt, yp = _inputs(kind, rng)
    sw_batch = rng.uniform(0.0, 2.0, (4,)).astype("float32")
    for reduction in REDUCTIONS:
        ours_l = getattr(tw.losses, name)(reduction=reduction, **kwargs)
        theirs_l = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        for sw in ((None,) if kwargs.get("axis") == 0 else (None, sw_batch)):
            what = f"{name}{kwargs} reduction={reduction} sw={None if sw is None else sw.shape}"
            close(ours_l(yt, yp, sample_weight=sw), theirs_l(yt, yp, sample_weight=sw),
                  rtol=1e-5, atol=1e-6, what=what)
    _same_config(ours_l.get_config(), theirs_l.get_config(), name)


#: keys Keras's get_config drops (so its round trip loses them); ours keeps them
EXTRA_KEYS = {"Huber": {"delta"}, "CosineSimilarity": {"axis"}}


def _same_config(ours: dict, theirs: dict, name: str) -> None:
    extra = EXTRA_KEYS.get(name, set())
    assert {k: v for k, v in ours.items() if k not in extra} == theirs, name


@pytest.mark.parametrize("name", sorted({c[0] for c in CLASSES}))
def test_loss_default_config(keras: Any, name: str) -> None:
    _same_config(getattr(tw.losses, name)().get_config(),
                 getattr(keras.losses, name)().get_config(), name)


def test_sparse_categorical_crossentropy(keras: Any, rng: np.random.Generator, close: Any) -> None:
    labels = np.array([0, 3, 1, 4, 2, 2], dtype="int32")
    logits = rng.normal(scale=2.0, size=(6, 5)).astype("float32")
    p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for kw, y in (({}, p), ({"from_logits": True}, logits),
                  ({"from_logits": True, "ignore_class": 2}, logits), ({"ignore_class": 1}, p)):
        close(tw.losses.sparse_categorical_crossentropy(labels, y, **kw),
              keras.losses.sparse_categorical_crossentropy(labels, y, **kw), what=str(kw))
        sw = rng.uniform(0.5, 2.0, (6,)).astype("float32")
        for reduction in REDUCTIONS:
            o = tw.losses.SparseCategoricalCrossentropy(reduction=reduction, **kw)
            k = keras.losses.SparseCategoricalCrossentropy(reduction=reduction, **kw)
            for s in (None, sw):
                close(o(labels, y, sample_weight=s), k(labels, y, sample_weight=s),
                      what=f"{kw} {reduction} sw={s is not None}")
                close(o(labels[:, None], y, sample_weight=s), k(labels[:, None], y,
                                                                 sample_weight=s),
                      what=f"(n,1) labels {kw} {reduction}")
        assert o.get_config() == k.get_config()
    # rank-3 logits (per-timestep labels)
    yt = rng.integers(0, 5, (3, 4)).astype("int32")
    lg = rng.normal(size=(3, 4, 5)).astype("float32")
    close(tw.losses.sparse_categorical_crossentropy(yt, lg, from_logits=True),
          keras.losses.sparse_categorical_crossentropy(yt, lg, from_logits=True))


def test_rank3_and_broadcast_weights(keras: Any, rng: np.random.Generator, close: Any) -> None:
    """Per-timestep losses of a (batch, time, features) output, weights (batch, time)
    and (batch, time, 1)."""
    yt = rng.normal(size=(3, 4, 2)).astype("float32")
    yp = rng.normal(size=(3, 4, 2)).astype("float32")
    for sw in (None, rng.uniform(size=(3, 4)).astype("float32"),
               rng.uniform(size=(3, 4, 1)).astype("float32")):
        for reduction in REDUCTIONS:
            close(tw.losses.MeanSquaredError(reduction=reduction)(yt, yp, sample_weight=sw),
                  keras.losses.MeanSquaredError(reduction=reduction)(yt, yp, sample_weight=sw),
                  what=f"mse rank3 {reduction} sw={None if sw is None else sw.shape}")


def test_serialize_roundtrip(keras: Any) -> None:
    for name in ("MeanSquaredError", "BinaryCrossentropy", "Huber"):
        ours = tw.losses.serialize(getattr(tw.losses, name)())
        theirs = keras.losses.serialize(getattr(keras.losses, name)())
        assert ours["class_name"] == theirs["class_name"]
        _same_config(ours["config"], theirs["config"], name)
        back = tw.losses.deserialize(ours)
        assert type(back).__name__ == name


NEW_FUNCTIONS = [
    ("binary_focal_crossentropy", "binary", {}),
    ("binary_focal_crossentropy", "binary", {"apply_class_balancing": True, "alpha": 0.3,
                                             "gamma": 1.5}),
    ("binary_focal_crossentropy", "binary", {"label_smoothing": 0.1}),
    ("binary_focal_crossentropy", "logits", {"from_logits": True}),
    ("binary_focal_crossentropy", "binary", {"axis": 0}),
    ("categorical_focal_crossentropy", "probs", {}),
    ("categorical_focal_crossentropy", "probs", {"alpha": 0.5, "gamma": 1.0,
                                                 "label_smoothing": 0.2}),
    ("categorical_focal_crossentropy", "onehot_logits", {"from_logits": True}),
    ("dice", "binary", {}),
    ("dice", "binary", {"axis": -1}),
    ("tversky", "binary", {}),
    ("tversky", "binary", {"alpha": 0.3, "beta": 0.7, "axis": 1}),
]

NEW_CLASSES = [
    ("BinaryFocalCrossentropy", "binary", {"apply_class_balancing": True}),
    ("BinaryFocalCrossentropy", "logits", {"from_logits": True, "gamma": 3.0}),
    ("CategoricalFocalCrossentropy", "probs", {"alpha": 0.4}),
    ("CategoricalFocalCrossentropy", "onehot_logits", {"from_logits": True}),
    ("Dice", "binary", {"axis": -1}),
    ("Tversky", "binary", {"alpha": 0.2, "beta": 0.8, "axis": -1}),
]


@pytest.mark.parametrize("name,kind,kwargs", NEW_FUNCTIONS, ids=_ids(NEW_FUNCTIONS))
def test_new_loss_function(keras: Any, rng: np.random.Generator, close: Any, name: str,
                           kind: str, kwargs: dict) -> None:
    yt, yp = _inputs(kind, rng)
    close(getattr(tw.losses, name)(yt, yp, **kwargs),
          getattr(keras.losses, name)(yt, yp, **kwargs), rtol=1e-5, atol=1e-6,
          what=f"{name}{kwargs}")


@pytest.mark.parametrize("name,kind,kwargs", NEW_CLASSES, ids=_ids(NEW_CLASSES))
def test_new_loss_class(keras: Any, rng: np.random.Generator, close: Any, name: str, kind: str,
                        kwargs: dict) -> None:
    yt, yp = _inputs(kind, rng)
    sw = rng.uniform(0.0, 2.0, (4,)).astype("float32")
    for reduction in REDUCTIONS:
        ours_l = getattr(tw.losses, name)(reduction=reduction, **kwargs)
        theirs_l = getattr(keras.losses, name)(reduction=reduction, **kwargs)
        for s in (None, sw):
            close(ours_l(yt, yp, sample_weight=s), theirs_l(yt, yp, sample_weight=s),
                  what=f"{name}{kwargs} {reduction} sw={s is not None}")
    assert ours_l.get_config() == theirs_l.get_config()
    assert getattr(tw.losses, name)().get_config() == getattr(keras.losses, name)().get_config()


def test_circle(keras: Any, rng: np.random.Generator, close: Any) -> None:
    labels = np.array([0, 1, 0, 2, 1, 3], dtype="int32")  # 2 and 3 have no positive pair
    emb = rng.normal(size=(6, 4)).astype("float32")
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    ref = rng.normal(size=(5, 4)).astype("float32")
    ref /= np.linalg.norm(ref, axis=1, keepdims=True)
    ref_labels = np.array([0, 1, 2, 3, 3], dtype="int32")
    for kw in ({}, {"gamma": 10.0, "margin": 0.25}):
        close(tw.losses.circle(labels, emb, **kw), keras.losses.circle(labels, emb, **kw),
              rtol=1e-5, atol=1e-4, what=f"circle {kw}")
    close(tw.losses.circle(labels, emb, ref_labels=ref_labels, ref_embeddings=ref,
                           remove_diagonal=False),
          keras.losses.circle(labels, emb, ref_labels=ref_labels, ref_embeddings=ref,
                              remove_diagonal=False), rtol=1e-5, atol=1e-4, what="circle ref")
    for reduction in ("sum_over_batch_size", "sum", "none"):
        o = tw.losses.Circle(gamma=20.0, reduction=reduction)
        k = keras.losses.Circle(gamma=20.0, reduction=reduction)
        close(o(labels, emb), k(labels, emb), rtol=1e-5, atol=1e-4, what=f"Circle {reduction}")
    assert o.get_config() == k.get_config()


def test_categorical_generalized_cross_entropy(keras: Any, rng: np.random.Generator,
                                               close: Any) -> None:
    labels = rng.integers(0, 4, (6,)).astype("int32")
    p = rng.uniform(0.05, 1.0, (6, 4)).astype("float32")
    p /= p.sum(-1, keepdims=True)
    for q in (0.3, 0.7, 0.95):
        close(tw.losses.categorical_generalized_cross_entropy(labels, p, q),
              keras.losses.categorical_generalized_cross_entropy(labels, p, q), what=f"q={q}")
        o, k = tw.losses.CategoricalGeneralizedCrossEntropy(q=q), \
            keras.losses.CategoricalGeneralizedCrossEntropy(q=q)
        close(o(labels, p), k(labels, p), what=f"class q={q}")
        assert o.get_config() == k.get_config()


def test_ctc(keras: Any, rng: np.random.Generator, close: Any) -> None:
    """Labels padded with 0 (the blank), repeated labels (which need a blank between)."""
    labels = np.array([[1, 2, 2, 0], [3, 1, 0, 0], [2, 0, 0, 0], [1, 1, 1, 3]], dtype="int32")
    logits = rng.normal(size=(4, 9, 5)).astype("float32")
    close(tw.losses.ctc(labels, logits), keras.losses.ctc(labels, logits), rtol=1e-5,
          atol=1e-5, what="ctc")
    sw = rng.uniform(size=(4,)).astype("float32")
    close(tw.losses.CTC()(labels, logits, sample_weight=sw),
          keras.losses.CTC()(labels, logits, sample_weight=sw), rtol=1e-5, atol=1e-5)
    assert tw.losses.CTC().get_config() == keras.losses.CTC().get_config()
