"""Confusion-matrix metrics: ``Precision``, ``Recall``, ``AUC`` and the four raw counts.

All of them keep, per decision threshold, the (weighted) counts of true/false
positives/negatives in variables of shape ``(num_thresholds,)`` (``(num_thresholds,
num_labels)`` for a multi-label AUC). An update compares the predictions with every
threshold at once: ``y_pred > threshold`` gives a ``(num_thresholds, n)`` boolean table,
and the counts are sums over it. That is branch-free tensor code, so it runs inside a
traced training step, and it gives exactly the counts of the definition (Keras's faster
bucketing path for evenly spaced thresholds is a different way to the same numbers, up to
float rounding of predictions that sit exactly on a threshold).

Labels are positive when non-zero. ``AUC`` follows Keras: thresholds ``i / (n - 1)`` for
``i = 1 .. n - 2`` plus ``-1e-7`` and ``1 + 1e-7``, a Riemann sum over the ROC or PR curve
with ``summation_method="interpolation"`` by default (for PR, the Davis & Goadrich
interpolation), ``"minoring"`` or ``"majoring"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe
from tensorweave.plugins.losses._utils import (
    EPSILON,
    as_float,
    as_tensor,
    divide_no_nan,
    squeeze_or_expand_to_same_rank,
)

from .base import Metric

__all__ = ["Precision", "Recall", "AUC", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives"]

#: the "minus infinity" threshold Keras uses with ``top_k`` (every kept score passes it)
NEG_INF = -1e10


def _thresholds(where: str, thresholds: Any, default: float) -> list[float]:
    if thresholds is None:
        return [default]
    values = list(thresholds) if isinstance(thresholds, (list, tuple)) else [thresholds]
    if not values:
        raise InvalidArgumentError(describe(where, "thresholds", "at least one threshold", []))
    out = []
    for t in values:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0.0 <= t <= 1.0:
            raise InvalidArgumentError(describe(where, "thresholds",
                                                "numbers in [0, 1]", repr(thresholds)))
        out.append(float(t))
    return out


def _filter_top_k(x: Any, k: int) -> Any:
    """Keep the ``k`` largest scores along the last axis; the others become ``NEG_INF``."""
    _, idx = ops.top_k(x, k)
    keep = ops.sum(ops.one_hot(idx, x.shape[-1], dtype=x.dtype), axis=-2)
    return ops.add(ops.multiply(x, keep), ops.multiply(ops.subtract(1.0, keep), NEG_INF))


def update_confusion_matrix(where: str, variables: dict[str, Any], y_true: Any, y_pred: Any,
                            thresholds: Sequence[float], dtype: Any,
                            sample_weight: Any = None, top_k: int | None = None,
                            class_id: int | None = None, multi_label: bool = False,
                            label_weights: Any = None) -> None:
    """Add this batch's weighted counts to ``variables`` (keys ``tp``, ``fp``, ``tn``,
    ``fn``; any subset)."""
    y_pred = as_float(y_pred, dtype)
    y_true = as_tensor(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if len(y_true.shape) != len(y_pred.shape) or any(
            a is not None and b is not None and a != b
            for a, b in zip(y_true.shape, y_pred.shape)):
        raise ShapeError(describe(where, "y_true", f"the shape of y_pred {tuple(y_pred.shape)}",
                                  tuple(y_true.shape)))
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        n = y_pred.shape[-1] if len(y_pred.shape) else None
        if n is not None and not 0 <= class_id < n:
            raise InvalidArgumentError(describe(where, "class_id", f"an int in [0, {n})",
                                                class_id))
        y_true = ops.take(y_true, class_id, axis=-1)
        y_pred = ops.take(y_pred, class_id, axis=-1)
    labels = ops.not_equal(y_true, 0)
    weights = None
    if sample_weight is not None:
        sw = as_float(sample_weight, y_pred.dtype)
        _, sw = squeeze_or_expand_to_same_rank(y_pred, sw)
        while len(sw.shape) < len(y_pred.shape):
            sw = ops.expand_dims(sw, -1)
        try:
            weights = ops.broadcast_to(sw, tuple(y_pred.shape))
        except ShapeError:
            raise ShapeError(describe(where, "sample_weight",
                                      f"a shape broadcastable to {tuple(y_pred.shape)}",
                                      tuple(sw.shape))) from None
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(as_float(label_weights, y_pred.dtype), tuple(y_pred.shape))
        weights = lw if weights is None else ops.multiply(weights, lw)
    thr = ops.convert_to_tensor([float(t) for t in thresholds], y_pred.dtype)
    if multi_label:
        preds = ops.expand_dims(y_pred, 0)                      # (1, N, L)
        labels = ops.expand_dims(labels, 0)
        thr = ops.reshape(thr, (len(thresholds), 1, 1))
        if weights is not None:
            weights = ops.expand_dims(weights, 0)
    else:
        preds = ops.reshape(y_pred, (1, -1))                    # (1, N)
        labels = ops.reshape(labels, (1, -1))
        thr = ops.reshape(thr, (len(thresholds), 1))
        if weights is not None:
            weights = ops.reshape(weights, (1, -1))
    pred_pos = ops.greater(preds, thr)                          # (T, N[, L])
    pred_neg = ops.logical_not(pred_pos)
    label_neg = ops.logical_not(labels)
    tables = {"tp": (labels, pred_pos), "fp": (label_neg, pred_pos),
              "tn": (label_neg, pred_neg), "fn": (labels, pred_neg)}
    for key, var in variables.items():
        lab, prd = tables[key]
        hit = ops.cast(ops.logical_and(lab, prd), var.dtype)
        if weights is not None:
            hit = ops.multiply(hit, ops.cast(weights, var.dtype))
        var.assign_add(ops.sum(hit, axis=1))


class _ThresholdMetric(Metric):
    """Shared state handling of Precision, Recall and the raw counts."""

    _kinds: tuple[str, ...] = ()

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        for arg, v in (("top_k", top_k), ("class_id", class_id)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0
                                  or (arg == "top_k" and v == 0)):
                raise InvalidArgumentError(describe(where, arg, "a non-negative int or None"
                                                    if arg == "class_id" else
                                                    "a positive int or None", repr(v)))
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = _thresholds(where, thresholds, default)
        n = len(self.thresholds)
        names = {"tp": "true_positives", "fp": "false_positives", "tn": "true_negatives",
                 "fn": "false_negatives"}
        self._vars = {k: self.add_variable((n,), "zeros", name=names[k]) for k in self._kinds}

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix(self.name, self._vars, y_true, y_pred, self.thresholds,
                                self._dtype, sample_weight, self.top_k, self.class_id)

    def _squeeze(self, r: Any) -> Any:
        return ops.reshape(r, ()) if len(self.thresholds) == 1 else r

    def get_config(self) -> dict[str, Any]:
        return {"thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id, **super().get_config()}


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)``: the fraction of predicted positives that are positive
    (``y_pred > threshold``, default 0.5; a scalar for one threshold, a vector for a list)."""

    _kinds = ("tp", "fp")

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self.true_positives = self._vars["tp"]
        self.false_positives = self._vars["fp"]

    def result(self) -> Any:
        tp = as_tensor(self.true_positives)
        return self._squeeze(divide_no_nan(tp, ops.add(tp, as_tensor(self.false_positives))))


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)``: the fraction of positives that are predicted positive."""

    _kinds = ("tp", "fn")

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(thresholds, top_k, class_id, name, dtype)
        self.true_positives = self._vars["tp"]
        self.false_negatives = self._vars["fn"]

    def result(self) -> Any:
        tp = as_tensor(self.true_positives)
        return self._squeeze(divide_no_nan(tp, ops.add(tp, as_tensor(self.false_negatives))))


class _Count(_ThresholdMetric):
    """One raw (weighted) count per threshold."""

    def __init__(self, thresholds: Any = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(thresholds, None, None, name, dtype)
        self.accumulator = self._vars[self._kinds[0]]

    def result(self) -> Any:
        return self._squeeze(as_tensor(self.accumulator))

    def get_config(self) -> dict[str, Any]:
        return {"thresholds": self.init_thresholds, "name": self.name, "dtype": self.dtype}


class TruePositives(_Count):
    """Weighted count of positives predicted positive."""

    _kinds = ("tp",)


class FalsePositives(_Count):
    """Weighted count of negatives predicted positive."""

    _kinds = ("fp",)


class TrueNegatives(_Count):
    """Weighted count of negatives predicted negative."""

    _kinds = ("tn",)


class FalseNegatives(_Count):
    """Weighted count of positives predicted negative."""

    _kinds = ("fn",)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at ``num_thresholds``
    thresholds (Keras 3's arguments and defaults).

    ``multi_label=True`` keeps one curve per label (last axis of ``y_pred``) and averages
    the areas (weighted by ``label_weights`` if given); without ``num_labels`` the state
    is created at the first ``update_state``, which must then run eagerly.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False) -> None:
        super().__init__(name=name or "auc", dtype=dtype)
        where = "AUC"
        if not isinstance(curve, str) or curve.upper() not in ("ROC", "PR"):
            raise InvalidArgumentError(describe(where, "curve", "'ROC' or 'PR'", repr(curve)))
        methods = ("interpolation", "minoring", "majoring")
        if not isinstance(summation_method, str) or summation_method.lower() not in methods:
            raise InvalidArgumentError(describe(where, "summation_method", f"one of {methods}",
                                                repr(summation_method)))
        self.curve = curve.upper()
        self.summation_method = summation_method.lower()
        self._init_thresholds = None if thresholds is None else list(
            thresholds if isinstance(thresholds, (list, tuple)) else [thresholds])
        if thresholds is not None:
            inner = sorted(_thresholds(where, thresholds, 0.5))
            self.num_thresholds = len(inner) + 2
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or \
                    num_thresholds <= 1:
                raise InvalidArgumentError(describe(where, "num_thresholds", "an int > 1",
                                                    repr(num_thresholds)))
            self.num_thresholds = num_thresholds
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - EPSILON] + inner + [1.0 + EPSILON]
        self.multi_label = bool(multi_label)
        if num_labels is not None and (isinstance(num_labels, bool)
                                       or not isinstance(num_labels, int) or num_labels < 1):
            raise InvalidArgumentError(describe(where, "num_labels", "a positive int or None",
                                                repr(num_labels)))
        self.num_labels = num_labels
        self._init_num_labels = num_labels  # the config keeps the argument, as Keras
        if label_weights is not None:
            if ops.is_tensor(label_weights):
                label_weights = label_weights.tolist()
            label_weights = [float(w) for w in label_weights]
            if any(w < 0 or not math.isfinite(w) for w in label_weights):
                raise InvalidArgumentError(describe(where, "label_weights",
                                                    "non-negative finite numbers",
                                                    label_weights))
        self.label_weights = label_weights
        self.from_logits = bool(from_logits)
        self._built = False
        if not self.multi_label:
            self._build(None)
        elif num_labels is not None:
            self._build(num_labels)

    def _build(self, num_labels: int | None) -> None:
        shape = (self.num_thresholds,) if num_labels is None else (self.num_thresholds,
                                                                   num_labels)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape, "zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        if num_labels is not None:
            self.num_labels = num_labels
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = as_float(y_pred, self._dtype)
        if not self._built:
            n = y_pred.shape[-1] if len(y_pred.shape) >= 2 else None
            if n is None:
                raise ShapeError(describe(self.name, "y_pred", "shape (batch, num_labels) with "
                                          "a known num_labels (multi_label=True)",
                                          tuple(y_pred.shape)))
            self._build(n)
        if self.from_logits:
            y_pred = ops.sigmoid(y_pred)
        variables = {"tp": self.true_positives, "fp": self.false_positives,
                     "tn": self.true_negatives, "fn": self.false_negatives}
        update_confusion_matrix(self.name, variables, y_true, y_pred, self.thresholds,
                                self._dtype, sample_weight, multi_label=self.multi_label,
                                label_weights=None if self.multi_label else self.label_weights)

    def _average(self, by_label: Any) -> Any:
        if not self.multi_label:
            return ops.sum(by_label)
        per_label = ops.sum(by_label, axis=0)
        if self.label_weights is None:
            return ops.mean(per_label)
        lw = ops.convert_to_tensor(self.label_weights, per_label.dtype)
        return divide_no_nan(ops.sum(ops.multiply(per_label, lw)), ops.sum(lw))

    def _interpolate_pr_auc(self, tp: Any, fp: Any, fn: Any) -> Any:
        """PR-AUC with precision interpolated between thresholds as Davis & Goadrich
        (2006): within a step, precision is ``(tp0 + slope * dp) / p`` in closed form."""
        t = self.num_thresholds
        dtp = ops.subtract(tp[: t - 1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[: t - 1], p[1:])
        slope = divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(slope, p[1:]))
        both = ops.logical_and(ops.greater(p[: t - 1], 0.0), ops.greater(p[1:], 0.0))
        ratio = ops.where(both, divide_no_nan(p[: t - 1], ops.maximum(p[1:], 0.0)),
                          ops.ones_like(p[1:]))
        inc = divide_no_nan(
            ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0))
        return self._average(inc)

    def result(self) -> Any:
        if not self._built:
            return ops.zeros((), dtype=self._dtype)
        tp = as_tensor(self.true_positives)
        fp = as_tensor(self.false_positives)
        tn = as_tensor(self.true_negatives)
        fn = as_tensor(self.false_negatives)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, ops.add(fp, tn)), recall
        else:
            x, y = recall, divide_no_nan(tp, ops.add(tp, fp))
        t = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[: t - 1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: t - 1], y[1:])
        else:
            heights = ops.maximum(y[: t - 1], y[1:])
        return self._average(ops.multiply(ops.subtract(x[: t - 1], x[1:]), heights))

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "multi_label": self.multi_label,
                  "num_labels": self._init_num_labels, "label_weights": self.label_weights,
                  "from_logits": self.from_logits}
        if self._init_thresholds is not None:  # Keras: the inner thresholds, only if given
            config["thresholds"] = self.thresholds[1:-1]
        return {**super().get_config(), **config}
