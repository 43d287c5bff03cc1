"""Keras 3's newer metrics: F-scores, R², the IoU family, correlations and the
"X at fixed Y" confusion metrics, with their formulas from ``keras/src/metrics``.

State lives in Variables updated only through ``assign`` with tensor ops, as every
metric here (see :mod:`.base`); F-scores and R² create their per-class state at the
first ``update_state`` (the number of classes comes from ``y_pred``), which must then run
eagerly, as Keras's.
"""

from __future__ import annotations

import warnings
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

from .base import MeanMetricWrapper, Metric
from .confusion import update_confusion_matrix

__all__ = ["FBetaScore", "F1Score", "R2Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU",
           "OneHotMeanIoU", "PearsonCorrelation", "ConcordanceCorrelation",
           "pearson_correlation", "concordance_correlation", "SensitivityAtSpecificity",
           "SpecificityAtSensitivity", "PrecisionAtRecall", "RecallAtPrecision"]


def _two_d(where: str, y_true: Any, y_pred: Any) -> None:
    if len(y_pred.shape) != 2 or len(y_true.shape) != 2 or y_pred.shape[-1] is None:
        raise ShapeError(describe(where, "y_true/y_pred",
                                  "2-d inputs (batch_size, output_dim) with a known output_dim",
                                  f"{tuple(y_true.shape)} and {tuple(y_pred.shape)}"))


# ---- F-scores --------------------------------------------------------------------------------
class FBetaScore(Metric):
    """F-beta score ``(1 + b²) P R / (b² P + R)`` per class from running counts;
    ``average``: ``None`` (per class), ``"micro"`` (global counts), ``"macro"`` (mean of
    the classes) or ``"weighted"`` (by the support of each class). Predictions are
    binarised at ``threshold``, or, when it is ``None``, the top score of each row."""

    def __init__(self, average: str | None = None, beta: float = 1.0,
                 threshold: float | None = None, name: str = "fbeta_score",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if average not in (None, "micro", "macro", "weighted"):
            raise InvalidArgumentError(describe(where, "average",
                                                "one of None, 'micro', 'macro', 'weighted'",
                                                repr(average)))
        if not isinstance(beta, float) or beta <= 0.0:
            raise InvalidArgumentError(describe(where, "beta", "a Python float > 0",
                                                repr(beta)))
        if threshold is not None and (not isinstance(threshold, float)
                                      or not 0.0 < threshold <= 1.0):
            raise InvalidArgumentError(describe(where, "threshold",
                                                "None or a Python float in (0, 1]",
                                                repr(threshold)))
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, num_classes: int) -> None:
        shape = () if self.average == "micro" else (num_classes,)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        self.false_positives = self.add_variable(shape, "zeros", name="false_positives")
        self.false_negatives = self.add_variable(shape, "zeros", name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, "zeros",
                                                      name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_float(y_true, self._dtype)
        y_pred = as_float(y_pred, self._dtype)
        _two_d(self.name, y_true, y_pred)
        if not self._built:
            self._build(y_pred.shape[-1])
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            pred = ops.logical_and(ops.greater_equal(y_pred, top),
                                   ops.greater(ops.abs(y_pred), 1e-9))
        else:
            pred = ops.greater(y_pred, self.threshold)
        pred = ops.cast(pred, self._dtype)
        sw = None if sample_weight is None else ops.expand_dims(
            as_float(sample_weight, self._dtype), 1)

        def wsum(v: Any) -> Any:
            if sw is not None:
                v = ops.multiply(v, sw)
            return ops.sum(v, axis=self.axis)

        self.true_positives.assign_add(wsum(ops.multiply(pred, y_true)))
        self.false_positives.assign_add(wsum(ops.multiply(pred, ops.subtract(1.0, y_true))))
        self.false_negatives.assign_add(wsum(ops.multiply(ops.subtract(1.0, pred), y_true)))
        self.intermediate_weights.assign_add(wsum(y_true))

    def result(self) -> Any:
        if not self._built:
            return ops.zeros((), dtype=self._dtype)
        tp = as_tensor(self.true_positives)
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives), EPSILON))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives), EPSILON))
        b2 = self.beta ** 2
        f = ops.multiply(ops.divide(ops.multiply(precision, recall),
                                    ops.add(ops.add(ops.multiply(precision, b2), recall),
                                            EPSILON)), 1.0 + b2)
        if self.average == "weighted":
            w = as_tensor(self.intermediate_weights)
            return ops.sum(ops.multiply(f, ops.divide(w, ops.add(ops.sum(w), EPSILON))))
        if self.average is not None:
            return ops.mean(f)
        return f

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F-beta score with ``beta = 1``: the harmonic mean of precision and recall."""

    def __init__(self, average: str | None = None, threshold: float | None = None,
                 name: str = "f1_score", dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name,
                         dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        del config["beta"]
        return config


# ---- R² --------------------------------------------------------------------------------------
class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output from running sums,
    aggregated ``"uniform_average"`` / ``"variance_weighted_average"`` / ``None``; with
    ``num_regressors = p`` the adjusted R² ``1 - (1 - R²)(n - 1) / (n - p - 1)`` (the
    plain R² when ``n - 1 <= p``, with a warning as Keras, checked eagerly)."""

    def __init__(self, class_aggregation: str | None = "uniform_average",
                 num_regressors: int = 0, name: str = "r2_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise InvalidArgumentError(describe("R2Score", "class_aggregation",
                                                f"one of {valid}", repr(class_aggregation)))
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, int) or \
                num_regressors < 0:
            raise InvalidArgumentError(describe("R2Score", "num_regressors", "an int >= 0",
                                                repr(num_regressors)))
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, n: int) -> None:
        self.squared_sum = self.add_variable((n,), "zeros", name="squared_sum")
        self.sum = self.add_variable((n,), "zeros", name="sum")
        self.total_mse = self.add_variable((n,), "zeros", name="residual")
        self.count = self.add_variable((n,), "zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_float(y_true, self._dtype)
        y_pred = as_float(y_pred, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        _two_d(self.name, y_true, y_pred)
        if not self._built:
            self._build(y_pred.shape[-1])
        sw = ops.ones((), self._dtype) if sample_weight is None else \
            as_float(sample_weight, self._dtype)
        if len(sw.shape) == 1:
            sw = ops.expand_dims(sw, 1)
        sw = ops.broadcast_to(sw, tuple(y_true.shape))
        wy = ops.multiply(y_true, sw)
        self.sum.assign_add(ops.sum(wy, axis=0))
        self.squared_sum.assign_add(ops.sum(ops.multiply(y_true, wy), axis=0))
        self.total_mse.assign_add(ops.sum(ops.multiply(ops.square(ops.subtract(y_true, y_pred)),
                                                       sw), axis=0))
        self.count.assign_add(ops.sum(sw, axis=0))
        n = 1
        for d in y_true.shape:
            n *= d
        self.num_samples.assign_add(float(n))

    def result(self) -> Any:
        if not self._built:
            return ops.zeros((), dtype=self._dtype)
        s = as_tensor(self.sum)
        mean = ops.divide(s, self.count)
        total = ops.subtract(self.squared_sum, ops.multiply(s, mean))
        raw = ops.subtract(1.0, ops.divide(self.total_mse, total))
        raw = ops.where(ops.isinf(raw), ops.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = ops.divide(ops.sum(ops.multiply(total, raw)), ops.sum(total))
        else:
            r2 = raw
        if self.num_regressors:
            n = as_tensor(self.num_samples)
            p = float(self.num_regressors)
            try:  # Keras decides (and warns) on the concrete count
                n_value = float(n)
            except Exception:  # noqa: BLE001  (symbolic: no warning, same formula below)
                n_value = None
            if n_value is not None and p >= n_value - 1:
                warnings.warn("R2Score: more independent predictors than data points (or "
                              "division by zero) in the adjusted R2 score; falling back to "
                              "the standard R2 score.", stacklevel=2)
            adjusted = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(1.0, r2),
                                                                 ops.subtract(n, 1.0)),
                                                    ops.subtract(ops.subtract(n, p), 1.0)))
            r2 = ops.where(ops.less(p, ops.subtract(n, 1.0)), adjusted, r2)
        return r2

    def reset_state(self) -> None:
        for v in self.variables:
            v.assign(ops.zeros(tuple(v.shape), dtype=v.dtype))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# ---- IoU -------------------------------------------------------------------------------------
class _IoUBase(Metric):
    """A running ``(num_classes, num_classes)`` confusion matrix (rows: true class). Its
    dtype is ``int32`` by default, as Keras's, so float sample weights are truncated."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype or "int32")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or \
                num_classes < 1:
            raise InvalidArgumentError(describe(type(self).__name__, "num_classes",
                                                "a positive int", repr(num_classes)))
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        self.axis = axis
        self.total_cm = self.add_variable((num_classes, num_classes), "zeros",
                                          dtype=self._dtype, name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = as_tensor(y_true), as_tensor(y_pred)
        if not self.sparse_y_true:
            y_true = ops.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(y_pred, axis=self.axis)
        y_true = ops.reshape(ops.cast(y_true, self._dtype), (-1,))
        y_pred = ops.reshape(ops.cast(y_pred, self._dtype), (-1,))
        if sample_weight is None:
            sw = ops.ones_like(y_true)
        else:
            sw = ops.reshape(ops.cast(as_tensor(sample_weight), self._dtype), (-1,))
            sw = ops.broadcast_to(sw, tuple(y_true.shape))
        n = self.num_classes
        ok = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, n)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, n)))
        if self.ignore_class is not None:
            ok = ops.logical_and(ok, ops.not_equal(y_true, self.ignore_class))
        zero = ops.zeros_like(y_true)
        y_true = ops.where(ok, y_true, zero)
        y_pred = ops.where(ok, y_pred, zero)
        sw = ops.where(ok, sw, ops.zeros_like(sw))
        t = ops.one_hot(y_true, n, dtype="float32")
        p = ops.multiply(ops.one_hot(y_pred, n, dtype="float32"),
                         ops.expand_dims(ops.cast(sw, "float32"), 1))
        cm = ops.matmul(ops.transpose(t), p)
        self.total_cm.assign_add(ops.cast(cm, self._dtype))

    def reset_state(self) -> None:
        self.total_cm.assign(ops.zeros((self.num_classes, self.num_classes), self._dtype))


class IoU(_IoUBase):
    """Intersection over union ``TP / (TP + FP + FN)`` of the ``target_class_ids``,
    averaged over those with a non-empty union (semantic segmentation's metric)."""

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis)
        ids = list(target_class_ids)
        if not ids or max(ids) >= num_classes or min(ids) < 0:
            raise InvalidArgumentError(describe(type(self).__name__, "target_class_ids",
                                                f"class ids in [0, {num_classes})", ids))
        self.target_class_ids = ids

    def result(self) -> Any:
        cm = ops.cast(as_tensor(self.total_cm), "float32")
        tp_all = ops.sum(ops.multiply(cm, ops.eye(self.num_classes)), axis=1)
        denom_all = ops.subtract(ops.add(ops.sum(cm, axis=0), ops.sum(cm, axis=1)), tp_all)
        ids = ops.convert_to_tensor(self.target_class_ids, dtype="int32")
        tp = ops.take(tp_all, ids)
        denom = ops.take(denom_all, ids)
        valid = ops.greater(denom, 1e-9)
        iou = ops.where(valid, ops.divide(tp, ops.add(denom, EPSILON)), ops.zeros_like(tp))
        return ops.divide(ops.sum(iou), ops.add(ops.sum(ops.cast(valid, "float32")), EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1."""

    def __init__(self, target_class_ids: Any = (0, 1), threshold: float = 0.5,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name,
                         dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        pred = ops.cast(ops.greater_equal(as_float(y_pred, "float32"), self.threshold),
                        self._dtype)
        super().update_state(as_tensor(y_true), pred, sample_weight)

    def get_config(self) -> dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """IoU averaged over all ``num_classes`` classes."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=list(range(num_classes)),
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """IoU with one-hot ``y_true`` (and scores ``y_pred`` unless ``sparse_y_pred``)."""

    def __init__(self, num_classes: int, target_class_ids: Any, name: str | None = None,
                 dtype: Any = None, ignore_class: int | None = None,
                 sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids,
                         name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """Mean IoU with one-hot ``y_true`` (and scores ``y_pred`` unless ``sparse_y_pred``)."""

    def __init__(self, num_classes: int, name: str | None = None, dtype: Any = None,
                 ignore_class: int | None = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


# ---- correlations ----------------------------------------------------------------------------
def _pair(y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    y_pred = as_float(y_pred)
    y_true = as_float(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Pearson's correlation coefficient along ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred)
    t = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    p = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    t = ops.divide(t, ops.std(t, axis=axis, keepdims=True))
    p = ops.divide(p, ops.std(p, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(t, p), axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """Lin's concordance correlation along ``axis``, in Keras 3's form (whose covariance
    term centres ``y_true`` on the mean of ``y_pred``; kept so the numbers match)."""
    y_true, y_pred = _pair(y_true, y_pred)
    mt = ops.mean(y_true, axis=axis, keepdims=True)
    mp = ops.mean(y_pred, axis=axis, keepdims=True)
    vt = ops.var(ops.subtract(y_true, mt), axis=axis, keepdims=True)
    vp = ops.var(ops.subtract(y_pred, mp), axis=axis, keepdims=True)
    covar = ops.multiply(ops.subtract(y_true, mp), ops.subtract(y_pred, mp))
    norm = ops.add(ops.add(vt, vp), ops.square(ops.subtract(mt, mp)))
    return ops.mean(ops.divide(ops.multiply(covar, 2.0), ops.add(norm, EPSILON)), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of :func:`pearson_correlation`."""

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of :func:`concordance_correlation`."""

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


# ---- X at fixed Y ----------------------------------------------------------------------------
class _SensitivitySpecificityBase(Metric):
    """Counts at ``num_thresholds`` thresholds ``0, 1/(n-1), ..., 1`` (``[0.5]`` for one);
    the result is the best ``dependent`` value among thresholds whose ``constrained`` value
    reaches ``value``."""

    _value_name = "value"

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        where = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                not 0.0 <= value <= 1.0:
            raise InvalidArgumentError(describe(where, self._value_name, "a number in [0, 1]",
                                                repr(value)))
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or \
                num_thresholds <= 0:
            raise InvalidArgumentError(describe(where, "num_thresholds", "an int > 0",
                                                repr(num_thresholds)))
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            self.thresholds = [0.0] + [(i + 1) * 1.0 / (num_thresholds - 1)
                                       for i in range(num_thresholds - 2)] + [1.0]
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), "zeros", name="true_positives")
        self.false_positives = self.add_variable((n,), "zeros", name="false_positives")
        self.true_negatives = self.add_variable((n,), "zeros", name="true_negatives")
        self.false_negatives = self.add_variable((n,), "zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix(self.name, {"tp": self.true_positives,
                                            "fp": self.false_positives,
                                            "tn": self.true_negatives,
                                            "fn": self.false_negatives},
                                y_true, y_pred, self.thresholds, self._dtype, sample_weight,
                                class_id=self.class_id)

    def _rates(self) -> dict[str, Any]:
        tp, fp = as_tensor(self.true_positives), as_tensor(self.false_positives)
        tn, fn = as_tensor(self.true_negatives), as_tensor(self.false_negatives)
        return {"sensitivity": divide_no_nan(tp, ops.add(tp, fn)),
                "specificity": divide_no_nan(tn, ops.add(tn, fp)),
                "precision": divide_no_nan(tp, ops.add(tp, fp))}

    def _max_under_constraint(self, constrained: Any, dependent: Any) -> Any:
        feasible = ops.greater_equal(constrained, self.value)
        return ops.maximum(ops.max(ops.where(feasible, dependent, ops.zeros_like(dependent))),
                           0.0)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._value_name: self.value}


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity (recall) among thresholds with specificity >= ``specificity``."""

    _value_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(specificity, num_thresholds, class_id, name, dtype)
        self.specificity = specificity

    def result(self) -> Any:
        r = self._rates()
        return self._max_under_constraint(r["specificity"], r["sensitivity"])


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity among thresholds with sensitivity >= ``sensitivity``."""

    _value_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)
        self.sensitivity = sensitivity

    def result(self) -> Any:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["specificity"])


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision among thresholds with recall >= ``recall``."""

    _value_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None) -> None:
        super().__init__(recall, num_thresholds, class_id, name, dtype)
        self.recall = recall

    def result(self) -> Any:
        r = self._rates()
        return self._max_under_constraint(r["sensitivity"], r["precision"])


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall among thresholds with precision >= ``precision``."""

    _value_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200,
                 class_id: int | None = None, name: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(precision, num_thresholds, class_id, name, dtype)
        self.precision = precision

    def result(self) -> Any:
        r = self._rates()
        return self._max_under_constraint(r["precision"], r["sensitivity"])
