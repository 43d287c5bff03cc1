"""Built-in losses plugin: Keras 3's loss functions and loss classes.

Two forms, as in Keras:

* **functions** ``fn(y_true, y_pred, **options) -> per-sample values``: the loss reduced
  over the last axis only (shape ``(batch,)`` for ``(batch, d)`` inputs), never over the
  batch. They are what ``compile(loss="mse")`` resolves to and what metrics reuse.
* **classes** :class:`Loss` subclasses with ``__call__(y_true, y_pred, sample_weight=None)``
  that weight the per-sample values and reduce them to a scalar: ``"sum_over_batch_size"``
  (the default; also ``"mean"``: the sum divided by the number of elements),
  ``"sum"``, ``"mean_with_sample_weight"`` (divided by the total weight) or
  ``"none"``/``None`` (per-sample values).

Everything is written with :mod:`tensorweave.ops` and looks only at static shapes, so
losses run eagerly on any backend and inside traced, differentiated training steps.
Cross-entropies on logits use ``log_softmax`` / ``softplus`` forms, stable for logits of
any size (finite values and gradients even at +-1e4); on probabilities they clip to
``[1e-7, 1 - 1e-7]`` like Keras, so ``log(0)`` never happens.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe
from tensorweave.plugin import hookimpl

from ._utils import (
    EPSILON,
    as_float,
    as_tensor,
    reduce_weighted_values,
    softplus,
    squeeze_or_expand_to_same_rank,
    standardize_reduction,
)
from .extra import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    circle,
    ctc,
    dice,
    tversky,
)

__all__ = [
    "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Huber", "LogCosh",
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge", "CosineSimilarity",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "binary_crossentropy",
    "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence", "poisson",
    "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity",
    "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky", "Circle",
    "CategoricalGeneralizedCrossEntropy", "CTC", "binary_focal_crossentropy",
    "categorical_focal_crossentropy", "dice", "tversky", "circle",
    "categorical_generalized_cross_entropy", "ctc",
]


# ---- argument helpers ------------------------------------------------------------------------
def _pair(where: str, y_true: Any, y_pred: Any) -> tuple[Any, Any]:
    """``y_pred`` as float, ``y_true`` cast to its dtype, ranks reconciled (Keras's
    trailing-1 rule) and shapes checked, so a mistake such as sparse labels given to a
    dense loss is an error naming both shapes instead of a silent broadcast."""
    y_pred = as_float(y_pred)
    y_true = as_tensor(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    st, sp = tuple(y_true.shape), tuple(y_pred.shape)
    if len(st) != len(sp) or any(a is not None and b is not None and a != b
                                 for a, b in zip(st, sp)):
        raise ShapeError(describe(where, "y_true", f"the shape of y_pred {sp}", st))
    return y_true, y_pred


def _number(where: str, arg: str, value: Any, low: float | None = None,
            high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))
    value = float(value)
    if not math.isfinite(value) or (low is not None and value < low) or \
            (high is not None and value > high):
        rng = f"a number in [{low}, {high}]" if high is not None else f"a number >= {low}"
        raise InvalidArgumentError(describe(where, arg, rng, value))
    return value


def _axis(where: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise InvalidArgumentError(describe(where, "axis", "an int", repr(axis)))
    if not -ndim <= axis < ndim:
        raise InvalidArgumentError(describe(where, "axis",
                                            f"an axis in [{-ndim}, {ndim - 1}]", axis))
    return axis % ndim


def _mean_last(x: Any) -> Any:
    return ops.mean(x, axis=-1) if len(x.shape) else x


# ---- regression losses -----------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((y_true - y_pred)**2, axis=-1)``."""
    y_true, y_pred = _pair("mean_squared_error", y_true, y_pred)
    return _mean_last(ops.square(ops.subtract(y_true, y_pred)))


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(|y_true - y_pred|, axis=-1)``."""
    y_true, y_pred = _pair("mean_absolute_error", y_true, y_pred)
    return _mean_last(ops.abs(ops.subtract(y_true, y_pred)))


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7), axis=-1)``."""
    y_true, y_pred = _pair("mean_absolute_percentage_error", y_true, y_pred)
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred),
                              ops.maximum(ops.abs(y_true), EPSILON)))
    return ops.multiply(_mean_last(diff), 100.0)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))**2, axis=-1)``."""
    y_true, y_pred = _pair("mean_squared_logarithmic_error", y_true, y_pred)
    a = ops.log1p(ops.maximum(y_pred, EPSILON))
    b = ops.log1p(ops.maximum(y_true, EPSILON))
    return _mean_last(ops.square(ops.subtract(a, b)))


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Quadratic for errors up to ``delta``, linear beyond (robust to outliers):
    ``0.5 e**2`` if ``|e| <= delta`` else ``delta |e| - 0.5 delta**2``, mean over the
    last axis."""
    d = _number("huber", "delta", delta, low=0.0)
    y_true, y_pred = _pair("huber", y_true, y_pred)
    err = ops.subtract(y_pred, y_true)
    abs_err = ops.abs(err)
    quad = ops.multiply(ops.square(err), 0.5)
    lin = ops.subtract(ops.multiply(abs_err, d), 0.5 * d * d)
    return _mean_last(ops.where(ops.less_equal(abs_err, d), quad, lin))


def log_cosh(y_true: Any, y_pred: Any) -> Any:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)`` in the overflow-free form
    ``x + softplus(-2x) - log 2``."""
    y_true, y_pred = _pair("log_cosh", y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    v = ops.subtract(ops.add(x, softplus(ops.multiply(x, -2.0))), math.log(2.0))
    return _mean_last(v)


# ---- probabilistic losses --------------------------------------------------------------------
def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """Binary cross-entropy, averaged over ``axis``.

    On logits: ``t * softplus(-x) + (1 - t) * softplus(x)`` (exact and finite for any
    ``x``). On probabilities: clipped to ``[eps, 1 - eps]`` first. ``label_smoothing``
    moves the targets towards 0.5: ``t * (1 - s) + s / 2``.
    """
    where = "binary_crossentropy"
    s = _number(where, "label_smoothing", label_smoothing, 0.0, 1.0)
    y_true, y_pred = _pair(where, y_true, y_pred)
    if s:
        y_true = ops.add(ops.multiply(y_true, 1.0 - s), 0.5 * s)
    if from_logits:
        bce = ops.add(ops.multiply(y_true, softplus(ops.negative(y_pred))),
                      ops.multiply(ops.subtract(1.0, y_true), softplus(y_pred)))
    else:
        p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
        bce = ops.negative(ops.add(ops.multiply(y_true, ops.log(p)),
                                   ops.multiply(ops.subtract(1.0, y_true),
                                                ops.log(ops.subtract(1.0, p)))))
    if not len(bce.shape):
        return bce
    return ops.mean(bce, axis=_axis(where, axis, len(bce.shape)))


def _log_probs(where: str, y_pred: Any, from_logits: bool, axis: int) -> Any:
    if from_logits:
        return ops.log_softmax(y_pred, axis=axis)
    p = ops.divide(y_pred, ops.sum(y_pred, axis=axis, keepdims=True))
    return ops.log(ops.clip(p, EPSILON, 1.0 - EPSILON))


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Any:
    """``-sum(y_true * log(softmax))`` over ``axis`` for one-hot (or soft) targets.

    Logits go through ``log_softmax``; probabilities are renormalised to sum to 1 and
    clipped to ``[eps, 1 - eps]``, as Keras. ``label_smoothing`` mixes the targets with
    the uniform distribution: ``t * (1 - s) + s / num_classes``.
    """
    where = "categorical_crossentropy"
    if isinstance(axis, bool):
        raise InvalidArgumentError(describe(where, "axis", "an int", repr(axis)))
    s = _number(where, "label_smoothing", label_smoothing, 0.0, 1.0)
    y_true, y_pred = _pair(where, y_true, y_pred)
    if not len(y_pred.shape):
        raise ShapeError(describe(where, "y_pred", "at least 1 dimension (classes)", "a scalar"))
    ax = _axis(where, axis, len(y_pred.shape))
    n = y_pred.shape[ax]
    if n == 1:
        warnings.warn(f"{where}: y_pred has shape {tuple(y_pred.shape)}, a single class; the "
                      "loss is then always 0. Use binary_crossentropy for two classes.",
                      SyntaxWarning, stacklevel=3)
    if s:
        y_true = ops.add(ops.multiply(y_true, 1.0 - s), s / float(n))
    logp = _log_probs(where, y_pred, bool(from_logits), ax)
    return ops.negative(ops.sum(ops.multiply(y_true, logp), axis=ax))


def _sparse_labels(where: str, y_true: Any, y_pred: Any, axis: int) -> tuple[Any, Any, int]:
    """Integer labels of shape ``y_pred.shape`` minus the class axis (a trailing size-1
    axis is dropped); the class axis is moved last."""
    y_pred = as_float(y_pred)
    if not len(y_pred.shape):
        raise ShapeError(describe(where, "y_pred", "at least 1 dimension (classes)", "a scalar"))
    ax = _axis(where, axis, len(y_pred.shape))
    if ax != len(y_pred.shape) - 1:
        y_pred = ops.moveaxis(y_pred, ax, -1)
    y_true = as_tensor(y_true)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    want = tuple(y_pred.shape[:-1])
    got = tuple(y_true.shape)
    if len(got) != len(want) or any(a is not None and b is not None and a != b
                                    for a, b in zip(got, want)):
        raise ShapeError(describe(where, "y_true", f"integer labels of shape {want} (or "
                                  f"{want + (1,)}) for y_pred of shape {tuple(y_pred.shape)}",
                                  got))
    if not y_true.dtype.is_integer:
        if y_true.dtype.is_floating:
            y_true = ops.cast(ops.round(y_true), _dt.int32)
        else:
            y_true = ops.cast(y_true, _dt.int32)
    return y_true, y_pred, y_pred.shape[-1]


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    ignore_class: int | None = None, axis: int = -1) -> Any:
    """Categorical cross-entropy with integer labels (``(batch,)`` or ``(batch, 1)``;
    floats holding integers are accepted).

    Entries whose label is ``ignore_class`` get loss 0 (the :class:`Loss` class also takes
    them out of the average). A label outside ``[0, num_classes)`` gives ``NaN``: traced
    code cannot raise on values, and a NaN loss is noticed where a silent 0 would not be.
    """
    where = "sparse_categorical_crossentropy"
    labels, y_pred, n = _sparse_labels(where, y_true, y_pred, axis)
    if ignore_class is not None:
        valid = ops.not_equal(labels, int(ignore_class))
        labels = ops.where(valid, labels, 0)
    logp = _log_probs(where, y_pred, bool(from_logits), -1)
    onehot = ops.one_hot(labels, n, dtype=y_pred.dtype)
    loss = ops.negative(ops.sum(ops.multiply(onehot, logp), axis=-1))
    in_range = ops.logical_and(ops.greater_equal(labels, 0), ops.less(labels, n))
    loss = ops.where(in_range, loss, float("nan"))
    if ignore_class is not None:
        loss = ops.where(valid, loss, 0.0)
    return loss


def kl_divergence(y_true: Any, y_pred: Any) -> Any:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]``."""
    y_true, y_pred = _pair("kl_divergence", y_true, y_pred)
    t = ops.clip(y_true, EPSILON, 1.0)
    p = ops.clip(y_pred, EPSILON, 1.0)
    v = ops.multiply(t, ops.log(ops.divide(t, p)))
    return ops.sum(v, axis=-1) if len(v.shape) else v


def poisson(y_true: Any, y_pred: Any) -> Any:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)`` (Poisson negative
    log-likelihood up to a constant)."""
    y_true, y_pred = _pair("poisson", y_true, y_pred)
    return _mean_last(ops.subtract(y_pred, ops.multiply(y_true, ops.log(ops.add(y_pred,
                                                                                EPSILON)))))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Any:
    """``-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``: -1 for parallel
    vectors, so minimising it aligns them (the *loss*; the metric of the same name is
    its negation)."""
    y_true, y_pred = _pair("cosine_similarity", y_true, y_pred)
    ax = _axis("cosine_similarity", axis, max(len(y_pred.shape), 1))
    return ops.negative(ops.sum(ops.multiply(l2_normalize(y_true, ax),
                                             l2_normalize(y_pred, ax)), axis=ax))


def l2_normalize(x: Any, axis: int = -1) -> Any:
    """``x / max(||x||, eps)`` along ``axis``; the max is taken on the squared norm so
    the gradient stays finite for a zero vector."""
    sq = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(sq, EPSILON * EPSILON)))


# ---- hinge losses ----------------------------------------------------------------------------
def _hinge_labels(y_true: Any) -> Any:
    """Map {0, 1} labels to {-1, 1}; labels already in {-1, 1} (or anything else) pass
    unchanged. Decided with ``where`` on the whole tensor, not Python control flow."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, ops.subtract(ops.multiply(y_true, 2.0), 1.0), y_true)


def hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - t * y_pred, 0), axis=-1)`` with labels ``t`` in {-1, 1}
    (0/1 labels are converted)."""
    y_true, y_pred = _pair("hinge", y_true, y_pred)
    t = _hinge_labels(y_true)
    return _mean_last(ops.maximum(ops.subtract(1.0, ops.multiply(t, y_pred)), 0.0))


def squared_hinge(y_true: Any, y_pred: Any) -> Any:
    """``mean(max(1 - t * y_pred, 0)**2, axis=-1)`` (0/1 labels are converted)."""
    y_true, y_pred = _pair("squared_hinge", y_true, y_pred)
    t = _hinge_labels(y_true)
    return _mean_last(ops.square(ops.maximum(ops.subtract(1.0, ops.multiply(t, y_pred)), 0.0)))


def categorical_hinge(y_true: Any, y_pred: Any) -> Any:
    """``max(max((1 - t) * y_pred) - sum(t * y_pred) + 1, 0)`` for one-hot ``t``."""
    y_true, y_pred = _pair("categorical_hinge", y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


# ---- loss classes ----------------------------------------------------------------------------
def _snake(name: str) -> str:
    import re

    return re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class Loss:
    """Base class of the loss objects (Keras 3 API).

    Subclasses implement :meth:`call` returning per-sample values; ``__call__`` converts
    the inputs (``y_pred`` to the loss dtype, default float32), weights the values by
    ``sample_weight`` (shape ``(batch,)``, ``(batch, 1)`` or the values' shape; lower
    ranks broadcast over the trailing axes) and a mask (see :meth:`compute_mask`), and
    applies ``reduction``.
    """

    def __init__(self, name: str | None = None, reduction: Any = "sum_over_batch_size",
                 dtype: Any = None) -> None:
        self.name = name or _snake(type(self).__name__)
        self.reduction = standardize_reduction(self.name, reduction)
        self.dtype = _dt.canonicalize(dtype).name if dtype is not None else None

    def call(self, y_true: Any, y_pred: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement call(y_true, y_pred)")

    def compute_mask(self, y_true: Any, y_pred: Any) -> Any:
        """A boolean mask of the per-sample values to leave out, or ``None``."""
        return None

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        dtype = _dt.canonicalize(self.dtype) if self.dtype else _dt.default_float()
        keras_mask = getattr(y_pred, "_keras_mask", None)  # padded steps of a sequence
        y_pred = as_float(y_pred, dtype)
        y_true = as_tensor(y_true)
        values = self.call(y_true, y_pred)
        mask = self.compute_mask(y_true, y_pred)
        if keras_mask is not None:
            mask = keras_mask if mask is None else ops.logical_and(mask, keras_mask)
        return reduce_weighted_values(self.name, values, sample_weight, mask, self.reduction)

    def get_config(self) -> dict[str, Any]:
        """Keras's keys (``name``, ``reduction``); ``dtype`` only when one was set (Keras
        leaves it out, which loses it on a round trip)."""
        config: dict[str, Any] = {"name": self.name, "reduction": self.reduction}
        if self.dtype is not None:
            config["dtype"] = self.dtype
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A :class:`Loss` around a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn: Any, reduction: Any = "sum_over_batch_size", name: str | None = None,
                 dtype: Any = None, **kwargs: Any) -> None:
        if isinstance(fn, str):
            from tensorweave.registries import registry

            fn = registry("losses").lookup(fn)
        if not callable(fn):
            raise InvalidArgumentError(describe("LossFunctionWrapper", "fn",
                                                "a callable (y_true, y_pred) -> values",
                                                repr(fn)))
        super().__init__(name=name or getattr(fn, "__name__", None), reduction=reduction,
                         dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Any, y_pred: Any) -> Any:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if type(self) is LossFunctionWrapper:
            config["fn"] = getattr(self.fn, "__name__", None)
        config.update(self._fn_kwargs)
        return config


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (see :func:`mean_squared_error`)."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (see :func:`mean_absolute_error`)."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """See :func:`mean_absolute_percentage_error`."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name,
                         dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """See :func:`mean_squared_logarithmic_error`."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name,
                         dtype=dtype)


class Huber(LossFunctionWrapper):
    """See :func:`huber`."""

    def __init__(self, delta: float = 1.0, reduction: Any = "sum_over_batch_size",
                 name: str = "huber_loss", dtype: Any = None) -> None:
        delta = _number("Huber", "delta", delta, low=0.0)
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """See :func:`log_cosh`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "log_cosh",
                 dtype: Any = None) -> None:
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """See :func:`binary_crossentropy`."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size", name: str = "binary_crossentropy",
                 dtype: Any = None) -> None:
        label_smoothing = _number("BinaryCrossentropy", "label_smoothing", label_smoothing,
                                  0.0, 1.0)
        super().__init__(binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits = bool(from_logits)
        self.label_smoothing = label_smoothing
        self.axis = axis


class CategoricalCrossentropy(LossFunctionWrapper):
    """See :func:`categorical_crossentropy`."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_crossentropy", dtype: Any = None) -> None:
        label_smoothing = _number("CategoricalCrossentropy", "label_smoothing",
                                  label_smoothing, 0.0, 1.0)
        super().__init__(categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=bool(from_logits), label_smoothing=label_smoothing,
                         axis=axis)
        self.from_logits = bool(from_logits)
        self.label_smoothing = label_smoothing
        self.axis = axis


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """See :func:`sparse_categorical_crossentropy`. With ``ignore_class``, the ignored
    entries are left out of the mean too (the loss is averaged over the valid ones)."""

    def __init__(self, from_logits: bool = False, ignore_class: int | None = None,
                 reduction: Any = "sum_over_batch_size", axis: int = -1,
                 name: str = "sparse_categorical_crossentropy", dtype: Any = None) -> None:
        if ignore_class is not None and (isinstance(ignore_class, bool)
                                         or not isinstance(ignore_class, int)):
            raise InvalidArgumentError(describe("SparseCategoricalCrossentropy",
                                                "ignore_class", "an int or None",
                                                repr(ignore_class)))
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, from_logits=bool(from_logits), ignore_class=ignore_class,
                         axis=axis)
        self.from_logits = bool(from_logits)
        self.ignore_class = ignore_class
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.axis == -1:  # Keras's config has no axis; keep a non-default one
            config.pop("axis")
        return config

    def compute_mask(self, y_true: Any, y_pred: Any) -> Any:
        if self.ignore_class is None:
            return None
        labels, _, _ = _sparse_labels(self.name, y_true, y_pred, self.axis)
        return ops.not_equal(labels, int(self.ignore_class))


class KLDivergence(LossFunctionWrapper):
    """See :func:`kl_divergence`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "kl_divergence",
                 dtype: Any = None) -> None:
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """See :func:`poisson`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "poisson",
                 dtype: Any = None) -> None:
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)


class Hinge(LossFunctionWrapper):
    """See :func:`hinge`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "hinge",
                 dtype: Any = None) -> None:
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """See :func:`squared_hinge`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "squared_hinge",
                 dtype: Any = None) -> None:
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """See :func:`categorical_hinge`."""

    def __init__(self, reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_hinge", dtype: Any = None) -> None:
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """See :func:`cosine_similarity`."""

    def __init__(self, axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "cosine_similarity", dtype: Any = None) -> None:
        super().__init__(cosine_similarity, reduction=reduction, name=name, dtype=dtype,
                         axis=axis)
        self.axis = axis


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.binary_focal_crossentropy`."""

    def __init__(self, apply_class_balancing: bool = False, alpha: float = 0.25,
                 gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                 axis: int = -1, reduction: Any = "sum_over_batch_size",
                 name: str = "binary_focal_crossentropy", dtype: Any = None) -> None:
        label_smoothing = _number("BinaryFocalCrossentropy", "label_smoothing",
                                  label_smoothing, 0.0, 1.0)
        super().__init__(binary_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, apply_class_balancing=bool(apply_class_balancing),
                         alpha=alpha, gamma=gamma, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "apply_class_balancing": self.apply_class_balancing, "alpha": self.alpha,
                "gamma": self.gamma}


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.categorical_focal_crossentropy`."""

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 label_smoothing: float = 0.0, axis: int = -1,
                 reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_focal_crossentropy", dtype: Any = None) -> None:
        label_smoothing = _number("CategoricalFocalCrossentropy", "label_smoothing",
                                  label_smoothing, 0.0, 1.0)
        super().__init__(categorical_focal_crossentropy, reduction=reduction, name=name,
                         dtype=dtype, alpha=alpha, gamma=gamma, from_logits=bool(from_logits),
                         label_smoothing=label_smoothing, axis=axis)
        self.alpha, self.gamma = alpha, gamma
        self.from_logits, self.label_smoothing, self.axis = bool(from_logits), label_smoothing, axis

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing, "axis": self.axis,
                "alpha": self.alpha, "gamma": self.gamma}


class Dice(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.dice`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "dice",
                 axis: Any = None, dtype: Any = None) -> None:
        super().__init__(dice, reduction=reduction, name=name, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "axis": self.axis}


class Tversky(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.tversky`."""

    def __init__(self, alpha: float = 0.5, beta: float = 0.5,
                 reduction: Any = "sum_over_batch_size", name: str = "tversky",
                 axis: Any = None, dtype: Any = None) -> None:
        super().__init__(tversky, reduction=reduction, name=name, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)
        self.alpha, self.beta, self.axis = alpha, beta, axis

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "alpha": self.alpha, "beta": self.beta,
                "axis": self.axis}


class Circle(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.circle`. Samples whose loss is 0 (no
    positive pair) are left out of the mean, as Keras's mask does."""

    def __init__(self, gamma: float = 80.0, margin: float = 0.4, remove_diagonal: bool = True,
                 reduction: Any = "sum_over_batch_size", name: str = "circle",
                 dtype: Any = None) -> None:
        super().__init__(circle, reduction=reduction, name=name, dtype=dtype, gamma=gamma,
                         margin=margin, remove_diagonal=bool(remove_diagonal))
        self.gamma, self.margin, self.remove_diagonal = gamma, margin, bool(remove_diagonal)

    def compute_mask(self, y_true: Any, y_pred: Any) -> Any:
        return ops.greater(self.call(y_true, y_pred), 0.0)

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "gamma": self.gamma, "margin": self.margin,
                "remove_diagonal": self.remove_diagonal}


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.categorical_generalized_cross_entropy`."""

    def __init__(self, q: float = 0.5, reduction: Any = "sum_over_batch_size",
                 name: str = "categorical_generalized_cross_entropy", dtype: Any = None) -> None:
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0.0 < q < 1.0:
            raise InvalidArgumentError(describe("CategoricalGeneralizedCrossEntropy", "q",
                                                "a number in (0, 1)", repr(q)))
        super().__init__(categorical_generalized_cross_entropy, reduction=reduction,
                         name=name, dtype=dtype, q=q)
        self.q = q

    def get_config(self) -> dict[str, Any]:
        return {**Loss.get_config(self), "q": self.q}


class CTC(LossFunctionWrapper):
    """See :func:`~tensorweave.plugins.losses.extra.ctc`."""

    def __init__(self, reduction: Any = "sum_over_batch_size", name: str = "ctc",
                 dtype: Any = None) -> None:
        super().__init__(ctc, reduction=reduction, name=name, dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        return Loss.get_config(self)


@hookimpl
def register_losses(register: Any) -> None:
    """Register the loss functions and classes under Keras 3's names and aliases."""
    register(mean_squared_error, aliases=("mse", "MSE"))
    register(mean_absolute_error, aliases=("mae", "MAE"))
    register(mean_absolute_percentage_error, aliases=("mape", "MAPE"))
    register(mean_squared_logarithmic_error, aliases=("msle", "MSLE"))
    register(huber, aliases=("huber_loss",))
    register(log_cosh, aliases=("logcosh",))
    register(binary_crossentropy, aliases=("bce", "BCE"))
    register(categorical_crossentropy)
    register(sparse_categorical_crossentropy)
    register(kl_divergence, aliases=("kld", "KLD", "kullback_leibler_divergence"))
    register(poisson)
    register(hinge)
    register(squared_hinge)
    register(categorical_hinge)
    register(cosine_similarity)
    for fn in (binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky,
               circle, categorical_generalized_cross_entropy, ctc):
        register(fn)
    for cls in (BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky, Circle,
                CategoricalGeneralizedCrossEntropy, CTC):
        register(cls)
    for cls in (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
                MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh,
                BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
                KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge,
                CosineSimilarity):
        register(cls)
