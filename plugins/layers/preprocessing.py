"""Preprocessing layers that belong inside the model: Rescaling and Normalization.

Putting them in the model means the saved file carries the preprocessing (the scale, or
the mean and variance learned by :meth:`Normalization.adapt`), so ``predict`` on raw data
gives the same answers after loading.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer
from .reshaping import layer_label

__all__ = ["Rescaling", "Normalization", "Identity"]


class Identity(Layer):
    """Returns its input unchanged (a placeholder in a model, as Keras's Identity)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        return inputs


class Rescaling(Layer):
    """``inputs * scale + offset``, computed in the layer's float dtype (``1/255`` turns
    uint8 pixels into [0, 1] floats)."""

    def __init__(self, scale: float, offset: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for arg, value in (("scale", scale), ("offset", offset)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise InvalidArgumentError(f"{layer_label(self)}: argument {arg!r}: expected "
                                           f"a number, got {value!r}")
        self.scale = float(scale)
        self.offset = float(offset)
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        x = inputs if inputs.dtype == self.compute_dtype else ops.cast(inputs,
                                                                        self.compute_dtype)
        y = ops.multiply(x, self.scale)
        return ops.add(y, self.offset) if self.offset else y


class Normalization(Layer):
    """``(inputs - mean) / sqrt(variance)`` per feature of ``axis`` (the last by default).

    ``mean`` and ``variance`` are given (constants, as in Keras: no weights), or learned
    from data with :meth:`adapt` (before training) into non-trainable weights, saved with
    the model. ``invert=True``
    maps normalized values back.
    """

    def __init__(self, axis: int | Sequence[int] | None = -1, mean: Any = None,
                 variance: Any = None, invert: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if axis is None:
            self.axis: tuple[int, ...] = ()
        elif isinstance(axis, int):
            self.axis = (axis,)
        else:
            self.axis = tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise InvalidArgumentError(f"{layer_label(self)}: arguments 'mean' and "
                                       "'variance': expected both or neither, got one")
        self.input_mean = None if mean is None else np.asarray(mean, np.float64).tolist()
        self.input_variance = None if variance is None else \
            np.asarray(variance, np.float64).tolist()
        self.invert = bool(invert)

    def _kept_axes(self, ndim: int) -> tuple[int, ...]:
        axes = []
        for a in self.axis:
            if not -ndim <= a < ndim or a % ndim == 0:
                raise InvalidArgumentError(
                    f"{layer_label(self)}: argument 'axis': expected non-batch axes of a "
                    f"rank-{ndim} input, got {list(self.axis)}")
            axes.append(a % ndim)
        return tuple(sorted(axes))

    def _param_shape(self, input_shape: Sequence[Any]) -> tuple[int, ...]:
        """The broadcastable shape of mean and variance: 1 on every reduced axis."""
        kept = self._kept_axes(len(input_shape))
        shape = []
        for i, d in enumerate(input_shape):
            if i not in kept:
                shape.append(1)
            elif d is None:
                raise ShapeError(f"{layer_label(self)}: the size of axis {i} must be known, "
                                 f"got input shape {tuple(input_shape)}")
            else:
                shape.append(int(d))
        return tuple(shape)

    def build(self, input_shape: Any) -> None:
        shape = self._param_shape(tuple(input_shape))
        if self.input_mean is not None:
            dt = self.compute_dtype.name
            self.mean = ops.convert_to_tensor(
                np.broadcast_to(np.asarray(self.input_mean), shape).astype(dt))
            self.variance = ops.convert_to_tensor(
                np.broadcast_to(np.asarray(self.input_variance), shape).astype(dt))
        else:
            self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
            self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
        self.built = True

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None
              ) -> None:
        """Learn the mean and variance of ``data`` (an array or tensor of samples, or a
        :class:`tw.data.Dataset` / iterable of batches), per feature of ``axis``. Sums
        run in float64 over all batches, so the result does not depend on the batching."""
        if self.input_mean is not None:
            raise InvalidArgumentError(f"{layer_label(self)}.adapt: the layer was given "
                                       "'mean' and 'variance'; adapt() learns them only "
                                       "when they are not given")
        count = 0
        mean = m2 = None  # running mean and sum of squared deviations (Chan et al.)
        shape: tuple[int, ...] | None = None
        for arr in _batches(data, steps):
            if arr.ndim < 1:
                raise InvalidArgumentError(f"{layer_label(self)}.adapt: argument 'data': "
                                           "expected samples along axis 0, got a scalar")
            if arr.shape[0] == 0:
                continue
            if shape is None:
                shape = self._param_shape((None, *arr.shape[1:]))
            kept = self._kept_axes(arr.ndim)
            reduce_axes = tuple(i for i in range(arr.ndim) if i not in kept)
            n = arr.size // max(int(np.prod([arr.shape[i] for i in kept])), 1)
            if n == 0:
                continue
            b_mean = arr.mean(axis=reduce_axes, keepdims=True)
            b_m2 = np.square(arr - b_mean).sum(axis=reduce_axes, keepdims=True)
            if mean is None:
                mean, m2 = b_mean, b_m2
            else:
                delta = b_mean - mean
                total = count + n
                mean = mean + delta * (n / total)
                m2 = m2 + b_m2 + np.square(delta) * (count * n / total)
            count += n
        if shape is None or count == 0:
            raise InvalidArgumentError(f"{layer_label(self)}.adapt: argument 'data': "
                                       "expected at least one sample, got none")
        var = m2 / count
        if not self.built:
            self._build_shape = (None, *shape[1:])
            self.build(self._build_shape)
        self.mean.assign(np.broadcast_to(mean, tuple(self.mean.shape)))
        self.variance.assign(np.broadcast_to(var, tuple(self.variance.shape)))

    def call(self, inputs: Any) -> Any:
        x = inputs if inputs.dtype == self.compute_dtype else ops.cast(inputs,
                                                                        self.compute_dtype)
        std = ops.maximum(ops.sqrt(self.variance), 1e-7)  # Keras's epsilon floor
        if self.invert:
            return ops.add(ops.multiply(x, std), self.mean)
        return ops.divide(ops.subtract(x, self.mean), std)

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = list(self.axis) if self.axis else None  # Keras: a tuple
        config["mean"] = self.input_mean
        config["variance"] = self.input_variance
        return config


def _batches(data: Any, steps: int | None) -> Iterator[np.ndarray]:
    """float64 NumPy batches from an array or tensor (one batch) or an iterable of batches
    (a Dataset yields ``(x, y)`` tuples: ``x`` is used)."""
    if ops.is_tensor(data) or isinstance(data, np.ndarray):
        yield np.asarray(ops.convert_to_numpy(data), dtype=np.float64)
        return
    if isinstance(data, (list, tuple)):
        try:
            arr = np.asarray(data, dtype=np.float64)
        except (ValueError, TypeError):
            arr = None
        if arr is not None:
            yield arr
            return
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):
            batch = batch[0]
        yield np.asarray(ops.convert_to_numpy(batch) if ops.is_tensor(batch) else batch,
                         dtype=np.float64)
