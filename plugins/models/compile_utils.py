"""What ``compile(loss=..., metrics=..., loss_weights=...)`` turns into.

Losses and metrics are resolved per output (a single value, a list in output order, or a
dict keyed by output name). ``"accuracy"`` resolves deterministically (Keras #2412,
TF #41361): sparse accuracy with a sparse cross-entropy loss, binary accuracy with a binary
cross-entropy loss, categorical accuracy with a categorical one; otherwise from the
shapes (one output unit: binary; labels of lower rank than predictions: sparse).
"""

from __future__ import annotations

from typing import Any

import tensorweave.losses as _losses
import tensorweave.metrics as _metrics
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError

ACCURACY_NAMES = ("accuracy", "acc")


def per_output(value: Any, names: list[str], what: str) -> list[Any]:
    """Spread a compile argument over the outputs."""
    n = len(names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise InvalidArgumentError(f"compile: argument '{what}': unknown output names "
                                       f"{unknown}; outputs are {names}")
        return [value.get(k) for k in names]
    if isinstance(value, (list, tuple)) and n > 1 and what == "loss":
        if len(value) != n:
            raise InvalidArgumentError(f"compile: argument 'loss': expected {n} losses (one "
                                       f"per output), got {len(value)}")
        return list(value)
    if isinstance(value, (list, tuple)) and what == "loss_weights":
        if len(value) != n:
            raise InvalidArgumentError(f"compile: argument 'loss_weights': expected {n} "
                                       f"weights, got {len(value)}")
        return list(value)
    return [value] * n


def loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    return getattr(loss, "name", None) or getattr(loss, "__name__", type(loss).__name__)


class LossEntry:
    """One output's loss, called as ``(y_true, y_pred, sample_weight) -> scalar``."""

    def __init__(self, identifier: Any) -> None:
        self.identifier = identifier
        obj = _losses.get(identifier)
        if isinstance(obj, type):
            obj = obj()
        self.fn = obj
        self.name = loss_name(identifier)
        self.is_object = hasattr(obj, "reduction") or hasattr(obj, "get_config") and \
            not callable(getattr(obj, "__wrapped__", None)) and not _is_plain_function(obj)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        if _is_plain_function(self.fn):
            per_sample = self.fn(y_true, y_pred)
            mask = getattr(y_pred, "_keras_mask", None)
            if mask is not None:  # padded steps leave the average, as Keras's losses do
                from tensorweave.plugins.losses._utils import reduce_weighted_values

                return reduce_weighted_values(self.name, per_sample, sample_weight, mask)
            return reduce_weighted(per_sample, sample_weight)
        return self.fn(y_true, y_pred, sample_weight=sample_weight)

    def kind(self) -> str:
        """'sparse', 'binary', 'categorical' or '' for accuracy resolution."""
        name = self.name if isinstance(self.identifier, str) else type(self.fn).__name__
        if not isinstance(self.identifier, str) and _is_plain_function(self.fn):
            name = self.fn.__name__
        low = name.lower().replace("_", "")
        if "sparsecategorical" in low:
            return "sparse"
        if "binary" in low:
            return "binary"
        if "categorical" in low:
            return "categorical"
        return ""


def _is_plain_function(obj: Any) -> bool:
    import types

    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType))


def reduce_weighted(values: Any, sample_weight: Any) -> Any:
    """Keras's "sum_over_batch_size": sum(values * weights) / number of values."""
    if sample_weight is not None:
        sw = sample_weight
        while sw.ndim < values.ndim:
            sw = ops.expand_dims(sw, -1)
        while sw.ndim > values.ndim:
            sw = ops.squeeze(sw, -1)
        values = ops.multiply(values, ops.cast(sw, values.dtype))
    return ops.mean(values)


def resolve_metric(identifier: Any, loss: LossEntry | None, y_true_shape: tuple,
                   y_pred_shape: tuple) -> Any:
    """A metric object for one identifier given the output's loss and shapes."""
    if isinstance(identifier, str) and identifier.lower() in ACCURACY_NAMES + (
            "crossentropy", "ce"):
        kind = loss.kind() if loss is not None else ""
        if identifier.lower() in ("crossentropy", "ce"):
            name_map = {"sparse": "SparseCategoricalCrossentropy",
                        "binary": "BinaryCrossentropy"}
            cls = _metrics.get(name_map.get(kind, "CategoricalCrossentropy"))
            return cls(name=identifier) if isinstance(cls, type) else cls
        if not kind:
            if y_pred_shape and y_pred_shape[-1] == 1:
                kind = "binary"
            elif len(y_true_shape) < len(y_pred_shape) or (
                    y_true_shape and y_true_shape[-1] == 1 and y_pred_shape[-1] != 1):
                kind = "sparse"
            else:
                kind = "categorical"
        cls = {"sparse": "SparseCategoricalAccuracy", "binary": "BinaryAccuracy",
               "categorical": "CategoricalAccuracy"}[kind]
        return _metrics.get(cls)(name="accuracy")
    if isinstance(identifier, str):
        obj = _metrics.get(identifier)
        if isinstance(obj, type):
            try:
                return obj(name=identifier)
            except TypeError:
                return obj()
        return _wrap_fn(obj, identifier)
    if isinstance(identifier, type):
        return identifier()
    if hasattr(identifier, "update_state"):
        return identifier
    if callable(identifier):
        return _wrap_fn(identifier, getattr(identifier, "__name__", "metric"))
    raise InvalidArgumentError(f"compile: argument 'metrics': cannot use {identifier!r} as a "
                               "metric")


def _wrap_fn(fn: Any, name: str) -> Any:
    wrapper = _metrics.get("MeanMetricWrapper")
    return wrapper(fn, name=name)
