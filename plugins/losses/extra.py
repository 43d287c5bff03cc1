"""Keras 3's newer losses: focal cross-entropies, Dice, Tversky, Circle, generalized
cross-entropy and CTC (functions and :class:`Loss` classes), written with
:mod:`tensorweave.ops` so they run on every backend and differentiate.

Formulas follow ``keras/src/losses/losses.py`` exactly (including where Keras clips,
and that ``dice``/``tversky`` reduce over *all* axes by default), so the numbers match.
"""

from __future__ import annotations

import warnings
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe

from ._utils import EPSILON, as_float, as_tensor

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky",
           "circle", "categorical_generalized_cross_entropy", "ctc"]


def _number(where: str, arg: str, value: Any, low: float | None = None,
            high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidArgumentError(describe(where, arg, f"a number in [{low}, {high}]", value))
    return float(value)


def _clipped_bce(t: Any, p: Any) -> Any:
    """Keras's ``ops.binary_crossentropy`` on probabilities: clip to ``[eps, 1 - eps]``."""
    p = ops.clip(p, EPSILON, 1.0 - EPSILON)
    return ops.negative(ops.add(ops.multiply(t, ops.log(p)),
                                ops.multiply(ops.subtract(1.0, t),
                                             ops.log(ops.subtract(1.0, p)))))


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Any:
    """Binary cross-entropy scaled by ``(1 - p_t) ** gamma`` (Lin et al., 2017), so easy,
    well-classified examples weigh less; with ``apply_class_balancing`` also by ``alpha``
    for positives and ``1 - alpha`` for negatives. Mean over ``axis``."""
    where = "binary_focal_crossentropy"
    s = _number(where, "label_smoothing", label_smoothing, 0.0, 1.0)
    gamma = _number(where, "gamma", gamma, 0.0)
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    if s:
        y_true = ops.add(ops.multiply(y_true, 1.0 - s), 0.5 * s)
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _clipped_bce(y_true, y_pred)
    p_t = ops.add(ops.multiply(y_true, y_pred),
                  ops.multiply(ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)))
    focal = ops.multiply(ops.power(ops.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        a = _number(where, "alpha", alpha, 0.0, 1.0)
        focal = ops.multiply(ops.add(ops.multiply(y_true, a),
                                     ops.multiply(ops.subtract(1.0, y_true), 1.0 - a)), focal)
    return ops.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, alpha: float = 0.25,
                                   gamma: float = 2.0, from_logits: bool = False,
                                   label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """Categorical cross-entropy with each class term scaled by
    ``alpha * (1 - p) ** gamma``: focuses training on the hard, misclassified examples
    (one-hot or soft targets)."""
    where = "categorical_focal_crossentropy"
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidArgumentError(describe(where, "axis", "an int", repr(axis)))
    s = _number(where, "label_smoothing", label_smoothing, 0.0, 1.0)
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    if y_pred.shape and y_pred.shape[-1] == 1:
        warnings.warn(f"{where}: y_pred has shape {tuple(y_pred.shape)}, a single class; use "
                      "binary_focal_crossentropy for two classes.", SyntaxWarning, stacklevel=2)
    if s:
        y_true = ops.add(ops.multiply(y_true, 1.0 - s), s / float(y_true.shape[-1]))
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)
    out = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    out = ops.clip(out, EPSILON, 1.0 - EPSILON)
    cce = ops.negative(ops.multiply(y_true, ops.log(out)))
    weight = ops.multiply(ops.power(ops.subtract(1.0, out), float(gamma)), float(alpha))
    return ops.sum(ops.multiply(weight, cce), axis=axis)


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Any:
    """``1 - 2 |y_true * y_pred| / (|y_true| + |y_pred| + eps)`` (sums over ``axis``;
    all axes by default, as Keras): an overlap loss for segmentation masks."""
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    inter = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    denom = ops.add(ops.add(ops.sum(y_true, axis=axis), ops.sum(y_pred, axis=axis)), EPSILON)
    return ops.subtract(1.0, ops.divide(ops.multiply(inter, 2.0), denom))


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5,
            axis: Any = None) -> Any:
    """``1 - TP / (TP + alpha FP + beta FN + eps)``: Dice with separate weights for false
    positives and false negatives (``alpha = beta = 0.5`` is Dice)."""
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    tp = ops.sum(ops.multiply(y_true, y_pred), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, y_pred), y_true), axis=axis)
    fn = ops.sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)), axis=axis)
    denom = ops.add(ops.add(ops.add(tp, ops.multiply(fp, float(alpha))),
                            ops.multiply(fn, float(beta))), EPSILON)
    return ops.subtract(1.0, ops.divide(tp, denom))


def _pos_neg_masks(query: Any, keys: Any, remove_diagonal: bool) -> tuple[Any, Any]:
    q = ops.reshape(query, (-1, 1))
    k = ops.reshape(keys, (1, -1))
    pos = ops.equal(q, k)
    neg = ops.logical_not(pos)
    if remove_diagonal:
        eye = ops.cast(ops.eye(q.shape[0], k.shape[1]), "bool")
        pos = ops.logical_and(pos, ops.logical_not(eye))
    return pos, neg


def _masked_logsumexp(x: Any, mask: Any) -> Any:
    """``logsumexp`` over axis 1 of the entries where ``mask`` holds (``-inf`` when none)."""
    big = ops.where(mask, x, ops.full_like(x, -3.0e38))
    m = ops.max(big, axis=1, keepdims=True)
    s = ops.sum(ops.where(mask, ops.exp(ops.subtract(big, m)), ops.zeros_like(x)), axis=1)
    any_ = ops.any(mask, axis=1)
    safe = ops.where(any_, s, ops.ones_like(s))
    out = ops.add(ops.log(safe), ops.squeeze(m, 1))
    return ops.where(any_, out, ops.full_like(out, float("-inf")))


def circle(y_true: Any, y_pred: Any, ref_labels: Any = None, ref_embeddings: Any = None,
           remove_diagonal: bool = True, gamma: float = 80, margin: float = 0.4) -> Any:
    """Circle loss (Sun et al., 2020) for metric learning: ``y_true`` integer labels
    ``(batch,)``, ``y_pred`` L2-normalised embeddings ``(batch, dim)``; pairs of the same
    label are pulled together, others pushed apart, each weighted by how far it is from
    its optimum. Per-sample values (0 where a sample has no positive pair)."""
    y_pred = as_float(y_pred)
    labels = ops.cast(as_tensor(y_true), "int32")
    ref_emb = y_pred if ref_embeddings is None else as_float(ref_embeddings, y_pred.dtype)
    ref_lab = labels if ref_labels is None else ops.cast(as_tensor(ref_labels), "int32")
    dist = ops.maximum(ops.subtract(1.0, ops.matmul(y_pred, ops.transpose(ref_emb))), 0.0)
    pos, neg = _pos_neg_masks(labels, ref_lab, remove_diagonal)
    posf, negf = ops.cast(pos, dist.dtype), ops.cast(neg, dist.dtype)
    m = float(margin)
    pos_w = ops.maximum(ops.multiply(ops.add(dist, m), posf), 0.0)
    neg_w = ops.maximum(ops.multiply(ops.subtract(1.0 + m, dist), negf), 0.0)
    pos_d = ops.multiply(ops.multiply(pos_w, ops.subtract(m, dist)), -float(gamma))
    neg_d = ops.multiply(ops.multiply(neg_w, ops.subtract(1.0 - m, dist)), float(gamma))
    total = ops.add(_masked_logsumexp(pos_d, pos), _masked_logsumexp(neg_d, neg))
    # softplus(-inf) = 0 for samples without a positive pair
    finite = ops.isfinite(total)
    safe = ops.where(finite, total, ops.zeros_like(total))
    return ops.where(finite, ops.softplus(safe), ops.zeros_like(total))


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Any:
    """``(1 - p_true ** q) / q`` for integer labels and class probabilities (Zhang &
    Sabuncu, 2018): between cross-entropy (``q -> 0``) and MAE (``q -> 1``), robust to
    noisy labels."""
    where = "categorical_generalized_cross_entropy"
    q = _number(where, "q", q)
    if not 0.0 < q < 1.0:
        raise InvalidArgumentError(describe(where, "q", "a number in (0, 1)", q))
    y_pred = as_float(y_pred)
    labels = ops.cast(as_tensor(y_true), "int32")
    onehot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = ops.sum(ops.multiply(y_pred, onehot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(p, q)), q)


def ctc(y_true: Any, y_pred: Any) -> Any:
    """Connectionist Temporal Classification loss: ``y_true`` integer labels
    ``(batch, max_label_length)`` padded with 0 (class 0 is the blank), ``y_pred``
    logits ``(batch, time, classes)``. The negative log-likelihood of each label sequence
    summed over all its alignments (forward algorithm in log space), per sample."""
    where = "ctc"
    y_pred = as_float(y_pred)
    labels = as_tensor(y_true)
    if len(labels.shape) != 2:
        raise ShapeError(describe(where, "y_true", "integer labels (batch, max_length)",
                                  tuple(labels.shape)))
    if len(y_pred.shape) != 3:
        raise ShapeError(describe(where, "y_pred", "logits (batch, time, classes)",
                                  tuple(y_pred.shape)))
    labels = ops.cast(labels, "int32")
    if hasattr(ops, "ctc_loss"):  # the op, when the ops package has it
        b, t = y_pred.shape[0], y_pred.shape[1]
        label_length = ops.sum(ops.cast(ops.not_equal(labels, 0), "int32"), axis=-1)
        input_length = ops.full((b,), t, dtype="int32")
        return ops.ctc_loss(labels, y_pred, label_length, input_length, mask_index=0)
    return _ctc_forward(labels, y_pred)


def _ctc_forward(labels: Any, logits: Any) -> Any:
    """The forward (alpha) recursion over the blank-extended label ``z`` of length
    ``2 L + 1``; the time loop is static (``T`` steps), every step is tensor ops."""
    n_batch, n_time, n_cls = logits.shape
    n_lab = labels.shape[1]
    s_len = 2 * n_lab + 1
    logp = ops.log_softmax(logits, axis=-1)
    # z: blanks at even positions, the labels at odd ones
    z = ops.reshape(ops.stack([ops.zeros_like(labels), labels], axis=-1), (n_batch, 2 * n_lab))
    z = ops.concatenate([z, ops.zeros((n_batch, 1), dtype="int32")], axis=1)
    emit = ops.einsum("btc,bsc->bts", logp, ops.one_hot(z, n_cls, dtype=logp.dtype))
    neg = -1.0e30
    z_prev2 = ops.concatenate([ops.full((n_batch, 2), -1, dtype="int32"), z[:, :-2]], axis=1)
    skip = ops.logical_and(ops.not_equal(z, 0), ops.not_equal(z, z_prev2))
    start = ops.less(ops.arange(s_len), 2)
    alpha = ops.where(start, emit[:, 0, :], ops.full((n_batch, s_len), neg, dtype=logp.dtype))
    pad1 = ops.full((n_batch, 1), neg, dtype=logp.dtype)
    pad2 = ops.full((n_batch, 2), neg, dtype=logp.dtype)
    for t in range(1, n_time):
        a1 = ops.concatenate([pad1, alpha[:, :-1]], axis=1)
        a2 = ops.where(skip, ops.concatenate([pad2, alpha[:, :-2]], axis=1),
                       ops.full_like(alpha, neg))
        alpha = ops.add(ops.logsumexp(ops.stack([alpha, a1, a2], axis=0), axis=0),
                        emit[:, t, :])
    length = ops.sum(ops.cast(ops.not_equal(labels, 0), "int32"), axis=-1)
    last = ops.multiply(length, 2)  # index of the final blank
    pos = ops.arange(s_len)[None, :]
    final = ops.logical_or(ops.equal(pos, last[:, None]), ops.equal(pos, (last - 1)[:, None]))
    final = ops.logical_and(final, ops.greater_equal(pos, 0))
    ll = _masked_logsumexp(alpha, final)
    return ops.negative(ll)


