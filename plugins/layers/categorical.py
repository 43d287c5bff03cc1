"""Categorical preprocessing: ``CategoryEncoding`` (integer ids to one-hot / multi-hot /
count vectors) and ``Discretization`` (floats to bucket ids), as Keras 3's layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError

from .base import Layer
from .reshaping import layer_label

__all__ = ["CategoryEncoding", "Discretization"]

_MODES = ("one_hot", "multi_hot", "count")


def encode_categorical(x: Any, mode: str, depth: int, dtype: Any,
                       count_weights: Any = None) -> Any:
    """Keras's encoding of integer ids ``x`` (``0 <= id < depth``): ``"one_hot"`` adds an
    axis (replacing a trailing axis of size 1); ``"multi_hot"`` / ``"count"`` reduce the
    ids of each sample (axis 1 of a batch, axis 0 of a single sample) to one vector."""
    if x.ndim == 0:
        x = ops.expand_dims(x, -1)
    if mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = ops.squeeze(x, -1)
        return ops.one_hot(x, depth, dtype=dtype)
    axis = 1 if x.ndim > 1 else 0
    if count_weights is not None:
        dtype = count_weights.dtype
    hot = ops.one_hot(x, depth, dtype=dtype)
    if mode == "multi_hot":
        return ops.max(hot, axis=axis)
    if count_weights is not None:
        hot = ops.multiply(hot, ops.expand_dims(count_weights, -1))
    return ops.sum(hot, axis=axis)


class CategoryEncoding(Layer):
    """Integer ids in ``[0, num_tokens)`` to dense vectors of ``num_tokens``:
    ``"multi_hot"`` (default; ``"binary"`` is its old name), ``"one_hot"`` or ``"count"``
    (optionally weighted by ``count_weights``)."""

    def __init__(self, num_tokens: int | None = None, output_mode: str = "multi_hot",
                 sparse: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise InvalidArgumentError(f"{where}: argument 'output_mode': expected one of "
                                       f"{list(_MODES)}, got {output_mode!r}")
        if num_tokens is None or not isinstance(num_tokens, int) or num_tokens < 1:
            raise InvalidArgumentError(f"{where}: argument 'num_tokens': expected an int >= 1 "
                                       f"(use IntegerLookup when it is not known), got "
                                       f"{num_tokens!r}")
        if sparse:
            raise InvalidArgumentError(f"{where}: argument 'sparse': tensorweave has no "
                                       "sparse tensors; got True (expected False)")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False  # ids stay integers

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        if count_weights is not None:
            if self.output_mode != "count":
                raise InvalidArgumentError(
                    f"{layer_label(self)}: argument 'count_weights' is used only with "
                    f"output_mode='count', got output_mode={self.output_mode!r}")
            count_weights = ops.cast(ops.convert_to_tensor(count_weights), self.compute_dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens,
                                  self.compute_dtype, count_weights)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("sparse", None)  # Keras leaves it out
        return config


# ---- Discretization's quantile summary (Keras's algorithm, so adapt() agrees) -------------
def _summarize(values: np.ndarray, epsilon: float) -> np.ndarray:
    """Every ``step``-th sorted value with weight ``step`` (about ``1/epsilon`` of them)."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    picked = values[int(step - 1)::int(step)]
    return np.stack([picked, np.full(picked.shape, step, dtype=values.dtype)])


def _compress(summary: np.ndarray, epsilon: float) -> np.ndarray:
    """Re-bin a weighted summary at cumulative-weight fractions ``epsilon, 2 epsilon ...``
    (linear interpolation), keeping it about ``1/epsilon`` long."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cum = summary[1].cumsum()
    where = cum / cum[-1]
    bins = np.interp(fractions, where, summary[0])
    cum_new = np.interp(fractions, where, cum)
    weights = cum_new - np.concatenate(([0.0], cum_new[:-1]))
    return np.stack((bins, weights)).astype("float32")


class Discretization(Layer):
    """Floats to bucket ids: ``bin_boundaries=[0., 1., 2.]`` maps ``x < 0`` to 0,
    ``0 <= x < 1`` to 1 ... and ``x >= 2`` to 3; or ``num_bins`` boundaries learned by
    :meth:`adapt` (approximate quantiles within ``epsilon``, Keras's summary).
    ``output_mode`` ``"int"`` (the ids), ``"one_hot"``, ``"multi_hot"`` or ``"count"``."""

    def __init__(self, bin_boundaries: Any = None, num_bins: int | None = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False,
                 dtype: Any = None, name: str | None = None) -> None:
        super().__init__(name=name, dtype=dtype)
        where = layer_label(self)
        if output_mode not in ("int",) + _MODES:
            raise InvalidArgumentError(f"{where}: argument 'output_mode': expected one of "
                                       f"{['int', *_MODES]}, got {output_mode!r}")
        if sparse:
            raise InvalidArgumentError(f"{where}: argument 'sparse': tensorweave has no "
                                       "sparse tensors; got True (expected False)")
        if num_bins is not None and num_bins < 0:
            raise InvalidArgumentError(f"{where}: argument 'num_bins': expected >= 0, got "
                                       f"{num_bins!r}")
        if (num_bins is None) == (bin_boundaries is None):
            raise InvalidArgumentError(f"{where}: expected exactly one of 'num_bins' and "
                                       f"'bin_boundaries', got num_bins={num_bins!r} and "
                                       f"bin_boundaries={bin_boundaries!r}")
        self.bin_boundaries = None if bin_boundaries is None else \
            [float(b) for b in bin_boundaries]
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = False
        self.autocast = False
        self._summary = None if self.bin_boundaries else np.zeros((2, 0), "float32")

    def get_config(self) -> dict:
        config = super().get_config()
        # Keras's keys: no 'trainable' (its constructor takes none)
        return {k: config[k] for k in ("bin_boundaries", "num_bins", "epsilon",
                                       "output_mode", "sparse", "name", "dtype")}

    def adapt(self, data: Any, steps: int | None = None) -> None:
        """Learn ``num_bins`` quantile boundaries from ``data`` (an array, or an iterable
        of batches)."""
        if self.num_bins is None:
            raise InvalidArgumentError(f"{layer_label(self)}.adapt: the layer was given "
                                       "'bin_boundaries'; adapt() needs 'num_bins' instead")
        summary = np.zeros((2, 0), "float32")
        if isinstance(data, np.ndarray) or ops.is_tensor(data) or not hasattr(data,
                                                                              "__iter__"):
            batches: Any = [data]
        else:
            batches = data
        for i, batch in enumerate(batches):
            if steps is not None and i >= steps:
                break
            arr = np.asarray(batch.numpy() if hasattr(batch, "numpy") else batch,
                             dtype="float32")
            merged = np.concatenate((summary, _summarize(arr, self.epsilon)), axis=1)
            merged = np.take(merged, np.argsort(merged[0]), axis=1)
            summary = _compress(merged, self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs: Any) -> Any:
        if self.bin_boundaries is None:
            raise InvalidArgumentError(f"{layer_label(self)}: pass 'bin_boundaries' or call "
                                       "adapt(data) before using the layer")
        x = ops.convert_to_tensor(inputs)
        if not x.dtype.is_floating:
            x = ops.cast(x, self.compute_dtype)
        bounds = ops.convert_to_tensor(np.asarray(self.bin_boundaries, x.dtype.name))
        # digitize: the number of boundaries <= x
        ids = ops.sum(ops.cast(ops.greater_equal(ops.expand_dims(x, -1), bounds), "int32"),
                      axis=-1)
        if self.output_mode == "int":
            return ids
        return encode_categorical(ids, self.output_mode, len(self.bin_boundaries) + 1,
                                  self.compute_dtype)
