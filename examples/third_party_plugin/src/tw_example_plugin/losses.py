"""Focal cross-entropy (Lin et al., "Focal Loss for Dense Object Detection", 2017).

``-sum(t * (1 - p) ** gamma * log(p), axis=-1)``: the categorical cross-entropy with each
class's term down-weighted by ``(1 - p) ** gamma``, so examples the model already gets
right (``p`` near 1) count less and training focuses on the hard ones. ``gamma=0`` is
exactly the categorical cross-entropy.

Labels may be integer class ids (``(batch,)`` or ``(batch, 1)``, as for
``sparse_categorical_crossentropy``) or one-hot / probability vectors of ``y_pred``'s
shape (as for ``categorical_crossentropy``); which one is decided from the static shapes.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.losses import LossFunctionWrapper

__all__ = ["focal_crossentropy", "FocalCrossentropy"]

EPSILON = 1e-7


def _tensor(x: Any) -> Any:
    return x if ops.is_tensor(x) else ops.convert_to_tensor(x)


def _gamma(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidArgumentError(f"focal_crossentropy: argument 'gamma': expected a "
                                   f"number >= 0, got {value!r}")
    return float(value)


def _targets(y_true: Any, y_pred: Any) -> Any:
    """One-hot (or probability) targets of ``y_pred``'s shape and dtype."""
    pred_shape, true_shape = tuple(y_pred.shape), tuple(y_true.shape)
    n = pred_shape[-1]
    if len(true_shape) == len(pred_shape) and true_shape[-1] == n and n != 1:
        return ops.cast(y_true, y_pred.dtype)  # already one-hot / probabilities
    labels = y_true
    if len(true_shape) == len(pred_shape) and true_shape[-1] == 1:
        labels = ops.squeeze(labels, -1)
    if len(labels.shape) != len(pred_shape) - 1:
        raise ShapeError(f"focal_crossentropy: argument 'y_true': expected integer labels "
                         f"of shape {pred_shape[:-1]} or one-hot targets of shape "
                         f"{pred_shape}, got shape {true_shape}")
    if labels.dtype.is_floating:
        labels = ops.round(labels)
    if not labels.dtype.is_integer:
        labels = ops.cast(labels, "int32")
    return ops.one_hot(ops.cast(labels, "int32"), n, dtype=y_pred.dtype)


def focal_crossentropy(y_true: Any, y_pred: Any, gamma: float = 2.0,
                       from_logits: bool = False) -> Any:
    """Per-sample focal cross-entropy, shape ``y_pred.shape[:-1]``.

    Args:
        y_true: integer class ids, or one-hot / probability targets.
        y_pred: probabilities (``from_logits=False``; they are renormalised to sum to 1
            and clipped to ``[1e-7, 1 - 1e-7]``) or logits (``from_logits=True``).
        gamma: the focusing exponent (``>= 0``; 0 gives the cross-entropy).
        from_logits: whether ``y_pred`` holds logits.
    """
    gamma = _gamma(gamma)
    y_pred = _tensor(y_pred)
    if not y_pred.dtype.is_floating:
        y_pred = ops.cast(y_pred, "float32")
    if len(y_pred.shape) == 0:
        raise ShapeError("focal_crossentropy: argument 'y_pred': expected at least one "
                         "dimension (the classes), got a scalar")
    targets = _targets(_tensor(y_true), y_pred)
    if from_logits:
        logp = ops.log_softmax(y_pred, axis=-1)
    else:
        probs = ops.divide(y_pred, ops.sum(y_pred, axis=-1, keepdims=True))
        logp = ops.log(ops.clip(probs, EPSILON, 1.0 - EPSILON))
    terms = ops.multiply(targets, logp)
    if gamma != 0.0:
        p = ops.exp(logp)
        weight = ops.power(ops.maximum(ops.subtract(1.0, p), 0.0), gamma)
        terms = ops.multiply(terms, weight)
    return ops.negative(ops.sum(terms, axis=-1))


class FocalCrossentropy(LossFunctionWrapper):
    """The loss object of :func:`focal_crossentropy` (weights and reduction as every
    tensorweave loss: ``reduction="sum_over_batch_size"`` by default)."""

    def __init__(self, gamma: float = 2.0, from_logits: bool = False,
                 reduction: Any = "sum_over_batch_size", name: str = "focal_crossentropy",
                 dtype: Any = None) -> None:
        super().__init__(focal_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         gamma=_gamma(gamma), from_logits=bool(from_logits))
        self.gamma = float(gamma)
        self.from_logits = bool(from_logits)
