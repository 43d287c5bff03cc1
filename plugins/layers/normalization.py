"""Normalization layers: BatchNormalization and LayerNormalization (Keras 3 semantics).

BatchNormalization keeps ``moving_mean`` / ``moving_variance`` as non-trainable variables
and updates them with ``assign`` when called with ``training=True``. Eagerly the update is
applied at once; inside a traced training step (a ``StatelessScope``) it is recorded and the
trainer writes it back after the compiled step, so the same ``call`` serves both. Half
precision inputs are normalised in float32 (their variance would lose too much otherwise)
and the parameters are read unrounded, as Keras does.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.variables import autocast

from .base import Layer
from .reshaping import layer_label

__all__ = ["BatchNormalization", "LayerNormalization", "GroupNormalization",
           "UnitNormalization"]

_HALF = ("float16", "bfloat16")


def _to_float32(x: Any) -> tuple[Any, Any]:
    """(x in a dtype fit for statistics, the dtype to return)."""
    if x.dtype.name in _HALF:
        return ops.cast(x, "float32"), x.dtype
    if not x.dtype.is_floating:
        return ops.cast(x, "float32"), None
    return x, x.dtype


def _read(var: Any, dtype: Any) -> Any:
    """A variable's value in ``dtype``, bypassing mixed-precision autocast."""
    with autocast(None):
        value = var.value
    return value if value.dtype is dtype else ops.cast(value, dtype)


def _check_axis(layer: Layer, axis: int, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{layer_label(layer)}: argument 'axis': {axis} is out of range for "
                         f"an input of rank {ndim}")
    return axis % ndim


def _check_epsilon(where: str, epsilon: Any) -> None:
    if float(epsilon) <= 0:
        raise InvalidArgumentError(f"{where}: argument 'epsilon': expected a positive "
                                   f"float, got {epsilon!r}")


def _scale_shift(layer: Layer, y: Any, dt: Any, bshape: tuple, out_dtype: Any) -> Any:
    """``y * gamma + beta`` (each when the layer has it, shaped ``bshape``), back in the
    input's dtype: the shared tail of Layer- and GroupNormalization."""
    if layer.gamma is not None:
        y = ops.multiply(y, ops.reshape(_read(layer.gamma, dt), bshape))
    if layer.beta is not None:
        y = ops.add(y, ops.reshape(_read(layer.beta, dt), bshape))
    if out_dtype is not None and out_dtype is not y.dtype:
        y = ops.cast(y, out_dtype)
    return y


class BatchNormalization(Layer):
    """Normalise each feature over the batch (and other non-``axis`` axes).

    Training (``training=True`` and the layer trainable): use the batch's mean and
    (biased) variance and update ``moving = moving * momentum + batch * (1 - momentum)``.
    Inference, or a frozen layer (``trainable=False``, as in Keras 3): use the moving
    statistics. Output ``gamma * (x - mean) / sqrt(var + epsilon) + beta``.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False,
                 renorm_clipping: dict | None = None, renorm_momentum: float = 0.99,
                 synchronized: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if renorm:
            raise InvalidArgumentError(
                f"{where}: argument 'renorm': batch renormalization is not implemented, "
                f"got renorm={renorm!r} (expected False)")
        self.renorm = False
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise InvalidArgumentError(f"{where}: argument 'axis': expected an int, got "
                                       f"{axis!r}")
        if not 0.0 <= float(momentum) <= 1.0:
            raise InvalidArgumentError(f"{where}: argument 'momentum': expected a value in "
                                       f"[0, 1], got {momentum!r}")
        _check_epsilon(where, epsilon)
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.synchronized = synchronized  # single device: nothing to synchronise
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axis = _check_axis(self, self.axis, ndim)
        n = input_shape[axis]
        if n is None:
            raise ShapeError(f"{layer_label(self)}: the normalised axis {self.axis} must have "
                             f"a known size, got input shape {tuple(input_shape)}")
        shape = (int(n),)
        self.gamma = self.add_weight(shape, self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if self.center else None
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer,
                                           trainable=False, name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self.built = True

    def call(self, inputs: Any, training: Any = None) -> Any:
        ndim = inputs.ndim
        axis = _check_axis(self, self.axis, ndim)
        n = self.moving_mean.shape[0]
        if inputs.shape[axis] != n:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected size {n} on "
                             f"axis {self.axis} (the layer was built for it), got input shape "
                             f"{tuple(inputs.shape)}")
        x, out_dtype = _to_float32(inputs)
        dt = x.dtype
        bshape = tuple(n if i == axis else 1 for i in range(ndim))
        reduce_axes = tuple(i for i in range(ndim) if i != axis)
        if training and self.trainable:
            mean = ops.mean(x, axis=reduce_axes)
            variance = ops.var(x, axis=reduce_axes)
            self._update_moving(mean, variance)
        else:
            mean = _read(self.moving_mean, dt)
            variance = _read(self.moving_variance, dt)
        inv = ops.rsqrt(ops.add(variance, self.epsilon))
        if self.gamma is not None:
            inv = ops.multiply(inv, _read(self.gamma, dt))
        shift = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            shift = ops.add(shift, _read(self.beta, dt))
        y = ops.add(ops.multiply(x, ops.reshape(inv, bshape)), ops.reshape(shift, bshape))
        if out_dtype is not None and out_dtype is not y.dtype:
            y = ops.cast(y, out_dtype)
        return y

    def _update_moving(self, mean: Any, variance: Any) -> None:
        m = self.momentum
        for var, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            dt = var.stored_dtype  # the statistics stay float32 under mixed precision
            old = _read(var, dt)
            batch = ops.stop_gradient(ops.cast(batch, dt) if batch.dtype is not dt else batch)
            var.assign(ops.add(ops.multiply(old, m), ops.multiply(batch, 1.0 - m)))


class LayerNormalization(Layer):
    """Normalise each sample over ``axis`` (the features), independently of the batch.

    ``(x - mean) / sqrt(var + epsilon) * gamma + beta`` with statistics over ``axis``;
    with ``rms_scaling=True`` only ``x / sqrt(mean(x**2) + epsilon) * gamma`` (RMSNorm,
    no centring and no beta).
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        # Keras 3 keeps ``rms_scaling`` only as a deprecated keyword (RMSNormalization
        # is the real RMS norm): x / sqrt(var(x) + epsilon) * gamma, no centring, no beta
        rms_scaling = kwargs.pop("rms_scaling", False)
        super().__init__(**kwargs)
        where = layer_label(self)
        if isinstance(axis, (list, tuple)):
            axes = list(axis)
        else:
            axes = [axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise InvalidArgumentError(f"{where}: argument 'axis': expected an int or a list "
                                       f"of ints, got {axis!r}")
        _check_epsilon(where, epsilon)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self._axes = axes
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = list(self._axes)  # Keras: a list once built
        config["rms_scaling"] = self.rms_scaling
        return config

    def _norm_axes(self, ndim: int) -> tuple[int, ...]:
        axes = sorted({_check_axis(self, a, ndim) for a in self._axes})
        if len(axes) != len(self._axes):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'axis': duplicate axes "
                                       f"in {self.axis!r}")
        return tuple(axes)

    def build(self, input_shape: Any) -> None:
        axes = self._norm_axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ShapeError(f"{layer_label(self)}: the normalised axes {self.axis} must have "
                             f"known sizes, got input shape {tuple(input_shape)}")
        self.gamma = self.add_weight(shape, self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if (self.scale or self.rms_scaling) else None
        self.beta = self.add_weight(shape, self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if (self.center and
                                                     not self.rms_scaling) else None
        self._param_shape = shape
        self.built = True

    def call(self, inputs: Any) -> Any:
        ndim = inputs.ndim
        axes = self._norm_axes(ndim)
        shape = tuple(inputs.shape[a] for a in axes)
        if shape != self._param_shape:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected sizes "
                             f"{self._param_shape} on axes {self.axis} (the layer was built "
                             f"for them), got input shape {tuple(inputs.shape)}")
        x, out_dtype = _to_float32(inputs)
        dt = x.dtype
        bshape = tuple(inputs.shape[i] if i in axes else 1 for i in range(ndim))
        if self.rms_scaling:  # Keras's deprecated rms_scaling: scales by the variance
            mean = ops.mean(x, axis=axes, keepdims=True)
            var = ops.mean(ops.square(ops.subtract(x, mean)), axis=axes, keepdims=True)
            y = ops.multiply(x, ops.rsqrt(ops.add(var, self.epsilon)))
        else:
            mean = ops.mean(x, axis=axes, keepdims=True)
            centred = ops.subtract(x, mean)
            variance = ops.mean(ops.square(centred), axis=axes, keepdims=True)
            y = ops.multiply(centred, ops.rsqrt(ops.add(variance, self.epsilon)))
        return _scale_shift(self, y, dt, bshape, out_dtype)


class GroupNormalization(Layer):
    """Normalise each sample over groups of channels (Wu & He, 2018): the ``axis``
    channels are split into ``groups`` groups and each group is normalised over its
    channels and every non-batch axis; ``gamma`` / ``beta`` are per channel. With
    ``groups=1`` it is LayerNormalization over all non-batch axes with per-channel
    parameters; with ``groups=channels``, instance normalisation (Keras 3 semantics)."""

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
            raise InvalidArgumentError(f"{where}: argument 'groups': expected a positive int, "
                                       f"got {groups!r}")
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise InvalidArgumentError(f"{where}: argument 'axis': expected an int, got "
                                       f"{axis!r}")
        _check_epsilon(where, epsilon)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = beta_initializer
        self.gamma_initializer = gamma_initializer
        self.beta_regularizer = beta_regularizer
        self.gamma_regularizer = gamma_regularizer
        self.beta_constraint = beta_constraint
        self.gamma_constraint = gamma_constraint
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axis = _check_axis(self, self.axis, ndim)
        if axis == 0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'axis': the channel "
                                       "axis cannot be the batch axis (0)")
        channels = input_shape[axis]
        if channels is None:
            raise ShapeError(f"{layer_label(self)}: the channel axis {self.axis} must have a "
                             f"known size, got input shape {tuple(input_shape)}")
        if channels % self.groups:
            raise InvalidArgumentError(
                f"{layer_label(self)}: argument 'groups': expected a divisor of the "
                f"{channels} channels, got {self.groups}")
        self.gamma = self.add_weight((channels,), self.gamma_initializer,
                                     regularizer=self.gamma_regularizer,
                                     constraint=self.gamma_constraint,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight((channels,), self.beta_initializer,
                                    regularizer=self.beta_regularizer,
                                    constraint=self.beta_constraint,
                                    name="beta") if self.center else None
        self._channels = channels
        self.built = True

    def call(self, inputs: Any) -> Any:
        ndim = inputs.ndim
        axis = _check_axis(self, self.axis, ndim)
        shape = tuple(inputs.shape)
        if shape[axis] != self._channels:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected "
                             f"{self._channels} channels on axis {self.axis}, got shape "
                             f"{shape}")
        x, out_dtype = _to_float32(inputs)
        dt = x.dtype
        g = self.groups
        # (batch, ..., groups, channels/groups, ...): statistics over all but batch and group
        grouped = shape[:axis] + (g, self._channels // g) + shape[axis + 1:]
        grouped = (-1 if grouped[0] is None else grouped[0],) + grouped[1:]
        xg = ops.reshape(x, grouped)
        reduce_axes = tuple(i for i in range(1, ndim + 1) if i != axis)
        mean = ops.mean(xg, axis=reduce_axes, keepdims=True)
        centred = ops.subtract(xg, mean)
        variance = ops.mean(ops.square(centred), axis=reduce_axes, keepdims=True)
        y = ops.multiply(centred, ops.rsqrt(ops.add(variance, self.epsilon)))
        y = ops.reshape(y, (-1 if shape[0] is None else shape[0],) + shape[1:])
        bshape = tuple(self._channels if i == axis else 1 for i in range(ndim))
        return _scale_shift(self, y, dt, bshape, out_dtype)


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / sqrt(max(sum(x**2),
    1e-12))`` (Keras 3's UnitNormalization)."""

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'axis': expected an "
                                       f"int or a list of ints, got {axis!r}")
        self.axis = axis if isinstance(axis, int) else list(axis)
        self._axes = axes
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        axes = tuple(sorted({_check_axis(self, a, inputs.ndim) for a in self._axes}))
        x, out_dtype = _to_float32(inputs)
        sq = ops.sum(ops.square(x), axis=axes, keepdims=True)
        y = ops.multiply(x, ops.rsqrt(ops.maximum(sq, 1e-12)))
        if out_dtype is not None and out_dtype is not y.dtype:
            y = ops.cast(y, out_dtype)
        return y


class RMSNormalization(Layer):
    """Root-mean-square normalisation (Zhang & Sennrich, 2019):
    ``x / sqrt(mean(x**2 over axis) + epsilon) * scale`` with a learned ``scale`` over
    ``axis``; no centring and no offset (Keras 3's ``keras.layers.RMSNormalization``)."""

    def __init__(self, axis: Any = -1, epsilon: float = 1e-6, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        where = layer_label(self)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise InvalidArgumentError(f"{where}: argument 'axis': expected an int or a list "
                                       f"of ints, got {axis!r}")
        _check_epsilon(where, epsilon)
        self.axis = axis if isinstance(axis, int) else list(axis)
        self._axes = axes
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        ndim = len(input_shape)
        axes = sorted({_check_axis(self, a, ndim) for a in self._axes})
        shape = tuple(input_shape[a] for a in axes)
        if None in shape:
            raise ShapeError(f"{layer_label(self)}: the normalised axes {self.axis} must have "
                             f"known sizes, got input shape {tuple(input_shape)}")
        self.scale = self.add_weight(shape, "ones", name="scale")
        self.built = True

    def call(self, inputs: Any) -> Any:
        ndim = inputs.ndim
        axes = tuple(sorted({_check_axis(self, a, ndim) for a in self._axes}))
        x, out_dtype = _to_float32(inputs)
        dt = x.dtype
        ms = ops.mean(ops.square(x), axis=axes, keepdims=True)
        y = ops.multiply(x, ops.rsqrt(ops.add(ms, self.epsilon)))
        bshape = tuple(inputs.shape[i] if i in axes else 1 for i in range(ndim))
        y = ops.multiply(y, ops.reshape(_read(self.scale, dt), bshape))
        if out_dtype is not None and out_dtype is not y.dtype:
            y = ops.cast(y, out_dtype)
        return y

    def get_config(self) -> dict:
        config = super().get_config()
        config["axis"] = list(self._axes)  # Keras: a list once built
        return config
