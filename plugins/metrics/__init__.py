"""Built-in metrics plugin: Keras 3's stateful metrics and metric functions.

* :mod:`.base` — :class:`Metric` (state in variables, updated only by ``assign``), and the
  reduction metrics :class:`Mean`, :class:`Sum`, :class:`MeanMetricWrapper`;
* this module — accuracy functions and classes, regression and probabilistic metrics
  (running means of per-sample functions, most shared with the losses plugin);
* :mod:`.confusion` — :class:`Precision`, :class:`Recall`, :class:`AUC` and raw counts.

Every update is pure tensor code deciding on static shapes only, so it runs eagerly and
inside the trainer's traced, jitted step under a ``StatelessScope``.

``"accuracy"``/``"acc"`` resolve here to :class:`Accuracy` (exact equality); choosing
binary / categorical / sparse accuracy from the loss is the trainer's job, as in Keras.
"""

from __future__ import annotations

from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe
from tensorweave.plugin import hookimpl
from tensorweave.plugins.losses import (
    _sparse_labels,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    l2_normalize,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from tensorweave.plugins.losses._utils import as_float, as_tensor, squeeze_or_expand_to_same_rank

from .base import Mean, MeanMetricWrapper, Metric, Sum, reduce_to_samplewise_values
from .confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from .extra import (
    BinaryIoU,
    ConcordanceCorrelation,
    F1Score,
    FBetaScore,
    IoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PearsonCorrelation,
    PrecisionAtRecall,
    R2Score,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
    concordance_correlation,
    pearson_correlation,
)

__all__ = [
    "FBetaScore", "F1Score", "R2Score", "IoU", "BinaryIoU", "MeanIoU", "OneHotIoU",
    "OneHotMeanIoU", "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation",
    "concordance_correlation", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
    "PrecisionAtRecall", "RecallAtPrecision",
    "Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "Precision", "Recall", "AUC", "TruePositives",
    "FalsePositives", "TrueNegatives", "FalseNegatives", "MeanSquaredError",
    "MeanAbsoluteError", "RootMeanSquaredError", "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError", "LogCoshError", "CosineSimilarity", "BinaryCrossentropy",
    "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson",
    "Hinge", "SquaredHinge", "CategoricalHinge", "accuracy", "binary_accuracy",
    "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy", "cosine_similarity", "reduce_to_samplewise_values",
]

_FLOAT = _dt.float32


def _same_shape(where: str, y_true: Any, y_pred: Any) -> None:
    st, sp = tuple(y_true.shape), tuple(y_pred.shape)
    if len(st) != len(sp) or any(a is not None and b is not None and a != b
                                 for a, b in zip(st, sp)):
        raise ShapeError(describe(where, "y_true", f"the shape of y_pred {sp}", st))


# ---- accuracy functions ----------------------------------------------------------------------
def accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where ``y_pred == y_true`` exactly, element by element (Keras does not average
    here: the metric's mean does, so every element counts once)."""
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _same_shape("accuracy", y_true, y_pred)
    return ops.cast(ops.equal(y_true, y_pred), _FLOAT)


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """1 where ``(y_pred > threshold) == y_true`` (labels 0/1), element by element."""
    y_pred = as_float(y_pred)
    y_true = as_float(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _same_shape("binary_accuracy", y_true, y_pred)
    pred = ops.cast(ops.greater(y_pred, float(threshold)), y_true.dtype)
    return ops.cast(ops.equal(y_true, pred), _FLOAT)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where ``argmax(y_pred) == argmax(y_true)`` (one-hot labels); per sample."""
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true)
    _same_shape("categorical_accuracy", y_true, y_pred)
    return ops.cast(ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1)),
                    _FLOAT)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Any:
    """1 where ``argmax(y_pred) == y_true`` (integer labels ``(batch,)`` or ``(batch, 1)``)."""
    labels, y_pred, _ = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred, -1)
    pred = ops.cast(ops.argmax(y_pred, axis=-1), labels.dtype)
    return ops.cast(ops.equal(labels, pred), _FLOAT)


def _in_top_k(labels: Any, scores: Any, k: int) -> Any:
    """Whether each label's score is among the ``k`` largest; ties at the boundary count
    as in (TF's ``in_top_k``): fewer than ``k`` scores are strictly greater."""
    n = scores.shape[-1]
    hit = ops.equal(ops.expand_dims(labels, -1),
                    ops.reshape(ops.arange(n, dtype=labels.dtype), (1,) * len(labels.shape)
                                + (n,)))
    target = ops.sum(ops.where(hit, scores, 0.0), axis=-1, keepdims=True)
    greater = ops.sum(ops.cast(ops.greater(scores, target), _dt.int32), axis=-1)
    in_range = ops.logical_and(ops.greater_equal(labels, 0), ops.less(labels, n))
    return ops.logical_and(in_range, ops.less(greater, k))


def _k(where: str, k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgumentError(describe(where, "k", "a positive int", repr(k)))
    return k


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Any:
    """1 where the true class (argmax of one-hot ``y_true``) is among the ``k`` highest
    scores."""
    k = _k("top_k_categorical_accuracy", k)
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true)
    _same_shape("top_k_categorical_accuracy", y_true, y_pred)
    labels = ops.cast(ops.argmax(y_true, axis=-1), _dt.int32)
    return ops.cast(_in_top_k(labels, y_pred, k), _FLOAT)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5,
                                      from_sorted_ids: bool = False) -> Any:
    """1 where the integer label is among the ``k`` highest scores. With
    ``from_sorted_ids=True``, ``y_pred`` holds category ids sorted by decreasing score
    (e.g. from a retrieval layer) and the label is looked for among its first ``k``."""
    where = "sparse_top_k_categorical_accuracy"
    k = _k(where, k)
    if not from_sorted_ids:
        labels, y_pred, _ = _sparse_labels(where, y_true, y_pred, -1)
        return ops.cast(_in_top_k(labels, y_pred, k), _FLOAT)
    y_pred = as_tensor(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ShapeError(describe(where, "y_true", f"labels of shape {tuple(y_pred.shape[:-1])} "
                                  f"for sorted ids of shape {tuple(y_pred.shape)}",
                                  tuple(y_true.shape)))
    top = y_pred[..., :k]
    return ops.cast(ops.any(ops.equal(ops.expand_dims(y_true, -1), top), axis=-1), _FLOAT)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """``sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: +1 for parallel vectors
    (the *metric*; the loss of the same name is its negation)."""
    y_pred = as_float(y_pred)
    y_true = as_float(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    _same_shape("cosine_similarity", y_true, y_pred)
    return ops.sum(ops.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis)),
                   axis=axis)


# ---- accuracy classes ------------------------------------------------------------------------
class Accuracy(MeanMetricWrapper):
    """How often ``y_pred`` equals ``y_true`` exactly."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None,
                 threshold: float = 0.5) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or \
                not 0.0 < threshold < 1.0:
            raise InvalidArgumentError(describe("BinaryAccuracy", "threshold",
                                                "a number in the open interval (0, 1)",
                                                repr(threshold)))
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=float(threshold))
        self.threshold = float(threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches one-hot labels."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches integer labels."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target is in the top ``k`` predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy",
                 dtype: Any = None) -> None:
        k = _k("TopKCategoricalAccuracy", k)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target is in the top ``k`` predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None, from_sorted_ids: bool = False) -> None:
        k = _k("SparseTopKCategoricalAccuracy", k)
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=bool(from_sorted_ids))
        self.k = k
        self.from_sorted_ids = bool(from_sorted_ids)

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:  # as Keras: the key only when set
            config["from_sorted_ids"] = True
        return config


# ---- regression metrics ----------------------------------------------------------------------
class MeanSquaredError(MeanMetricWrapper):
    """Running mean of :func:`~tensorweave.plugins.losses.mean_squared_error`."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Running mean of the absolute error."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Running mean of the absolute percentage error."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Running mean of the squared logarithmic error."""

    def __init__(self, name: str = "mean_squared_logarithmic_error",
                 dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Running mean of ``log(cosh(error))``."""

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(log_cosh, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity (+1 = same direction)."""

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None,
                 axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running (weighted) mean of squared errors over all elements seen:
    the square root is taken at ``result()``, not per batch."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                     sample_weight: Any = None) -> None:
        y_pred = as_float(y_pred, self._dtype)
        y_true = as_float(y_true, self._dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        _same_shape(self.name, y_true, y_pred)
        super().update_state(ops.square(ops.subtract(y_pred, y_true)),
                             sample_weight=sample_weight)

    def result(self) -> Any:
        return ops.sqrt(super().result())


# ---- probabilistic and hinge metrics ---------------------------------------------------------
class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of the binary cross-entropy."""

    def __init__(self, name: str = "binary_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        super().__init__(binary_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the categorical cross-entropy."""

    def __init__(self, name: str = "categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1) -> None:
        super().__init__(categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the sparse categorical cross-entropy."""

    def __init__(self, name: str = "sparse_categorical_crossentropy", dtype: Any = None,
                 from_logits: bool = False, ignore_class: int | None = None,
                 axis: int = -1) -> None:
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=bool(from_logits), ignore_class=ignore_class, axis=axis)


class KLDivergence(MeanMetricWrapper):
    """Running mean of the Kullback-Leibler divergence."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None) -> None:
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Running mean of the Poisson loss."""

    def __init__(self, name: str = "poisson", dtype: Any = None) -> None:
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Running mean of the hinge loss."""

    def __init__(self, name: str = "hinge", dtype: Any = None) -> None:
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Running mean of the squared hinge loss."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None) -> None:
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Running mean of the categorical hinge loss."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(categorical_hinge, name=name, dtype=dtype)


@hookimpl
def register_metrics(register: Any) -> None:
    """Register the metric classes and functions under Keras 3's names and aliases."""
    register(Metric)
    register(Mean)
    register(Sum)
    register(MeanMetricWrapper)
    register(Accuracy, aliases=("accuracy", "acc", "ACC"))
    register(BinaryAccuracy)
    register(CategoricalAccuracy)
    register(SparseCategoricalAccuracy)
    register(TopKCategoricalAccuracy)
    register(SparseTopKCategoricalAccuracy)
    register(Precision, aliases=("precision",))
    register(Recall, aliases=("recall",))
    register(AUC, aliases=("auc",))
    for cls in (TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
                MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError,
                MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError,
                CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
                SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge,
                CategoricalHinge):
        register(cls)
    register(binary_accuracy)
    register(categorical_accuracy)
    register(sparse_categorical_accuracy)
    register(top_k_categorical_accuracy)
    register(sparse_top_k_categorical_accuracy)
    register(mean_squared_error, aliases=("mse", "MSE"))
    register(mean_absolute_error, aliases=("mae", "MAE"))
    register(mean_absolute_percentage_error, aliases=("mape", "MAPE"))
    register(mean_squared_logarithmic_error, aliases=("msle", "MSLE"))
    register(log_cosh, aliases=("logcosh",))
    register(cosine_similarity)
    register(binary_crossentropy)
    register(categorical_crossentropy)
    register(sparse_categorical_crossentropy)
    register(kl_divergence, aliases=("kld", "KLD"))
    register(poisson)
    register(hinge)
    register(squared_hinge)
    register(categorical_hinge)
    for fn in (binary_focal_crossentropy, categorical_focal_crossentropy, huber,
               pearson_correlation, concordance_correlation):
        register(fn)
    for cls in (FBetaScore, F1Score, R2Score, IoU, BinaryIoU, MeanIoU, OneHotIoU,
                OneHotMeanIoU, PearsonCorrelation, ConcordanceCorrelation,
                SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall,
                RecallAtPrecision):
        register(cls)
