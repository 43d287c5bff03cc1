"""Reshaping layers: Reshape, Permute, RepeatVector, Lambda, ZeroPadding, UpSampling, Cropping.

Also the small helpers the convolution and pooling layers share (argument normalisation,
``data_format`` handling, cropping that still works on symbolic tensors whose batch size
is unknown). They live here because they are shape manipulations; every one computes with
``tensorweave.ops`` only, so the layers run on every backend and inside traced graphs.
"""

from __future__ import annotations

import builtins
import inspect
import math
from collections.abc import Mapping
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, SerializationError, ShapeError

from .base import Layer, _Unserializable

__all__ = ["Reshape", "Permute", "RepeatVector", "Lambda", "ZeroPadding1D", "ZeroPadding2D",
           "ZeroPadding3D", "UpSampling1D", "UpSampling2D", "UpSampling3D", "Cropping1D",
           "Cropping2D", "Cropping3D"]


# ---- shared helpers ----------------------------------------------------------------------------
def layer_label(layer: Layer) -> str:
    """``Conv2D 'conv2d'``: how every error message names the layer."""
    return f"{type(layer).__name__} {layer.name!r}"


def normalize_tuple(where: str, arg: str, value: Any, n: int, *, allow_zero: bool = False
                    ) -> tuple[int, ...]:
    """Keras's ``standardize_tuple``: an int means the same value on every axis."""
    if isinstance(value, bool):
        raise InvalidArgumentError(f"{where}: argument {arg!r}: expected an int or {n} ints, "
                                   f"got {value!r}")
    if isinstance(value, int):
        out: tuple[int, ...] = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise InvalidArgumentError(f"{where}: argument {arg!r}: expected an int or {n} "
                                       f"ints, got {value!r}") from None
        if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool)
                                    for v in out):
            raise InvalidArgumentError(f"{where}: argument {arg!r}: expected an int or {n} "
                                       f"ints, got {value!r}")
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        kind = "non-negative" if allow_zero else "positive"
        raise InvalidArgumentError(f"{where}: argument {arg!r}: expected {kind} values, got "
                                   f"{value!r}")
    return out


def normalize_data_format(where: str, value: str | None) -> str:
    """``None`` means the configured ``image_data_format`` (``channels_last`` by default)."""
    if value is None:
        from tensorweave.config import config_value

        value = config_value("image_data_format", "channels_last")
    value = str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(f"{where}: argument 'data_format': expected "
                                   f"'channels_last' or 'channels_first', got {value!r}")
    return value


def normalize_padding(where: str, value: Any, allowed: tuple[str, ...] = ("valid", "same")
                      ) -> str:
    v = value.lower() if isinstance(value, str) else value
    if v not in allowed:
        raise InvalidArgumentError(f"{where}: argument 'padding': expected one of "
                                   f"{', '.join(repr(a) for a in allowed)}, got {value!r}")
    return v


def check_rank(layer: Layer, shape: Any, rank: int, layout: str) -> None:
    """ShapeError naming the layer when an input does not have ``rank`` dimensions."""
    if isinstance(shape, list) and shape and isinstance(shape[0], (list, tuple)):
        raise ShapeError(f"{layer_label(layer)}: argument 'inputs': expected one tensor, got "
                         f"a list of {len(shape)}")
    if len(shape) != rank:
        raise ShapeError(f"{layer_label(layer)}: argument 'inputs': expected a {rank}-d input "
                         f"{layout}, got shape {tuple(shape)}")


def to_channels_last(x: Any, data_format: str) -> Any:
    """Move the channel axis last (the ops are channels-last); identity for channels_last."""
    if data_format == "channels_last" or x.ndim < 3:
        return x
    return ops.transpose(x, (0, *range(2, x.ndim), 1))


def from_channels_last(y: Any, data_format: str) -> Any:
    if data_format == "channels_last" or y.ndim < 3:
        return y
    return ops.transpose(y, (0, y.ndim - 1, *range(1, y.ndim - 1)))


def crop_axis(x: Any, axis: int, start: int, stop: int) -> Any:
    """``x`` restricted to ``start:stop`` on one axis.

    A strided ``slice`` needs every dimension known; a symbolic tensor with an unknown
    batch size (``tw.Input``) goes through ``take`` with constant indices instead, which
    gives the same values and shape. Concrete calls always take the cheap ``slice``.
    """
    if start == 0 and stop == x.shape[axis]:
        return x
    if None not in tuple(x.shape):
        sls = tuple(builtins.slice(start, stop) if i == axis else builtins.slice(None)
                    for i in range(x.ndim))
        return ops.strided_slice(x, sls)
    return ops.take(x, ops.arange(start, stop, dtype="int32"), axis=axis)


def constant_like(values: Any, dtype: Any, like: Any) -> Any:
    """A constant tensor living on the backend of the concrete tensor ``like``."""
    from tensorweave.tensor import Tensor

    backend = like._backend if isinstance(like, Tensor) else None
    return ops.convert_to_tensor(values, dtype, backend=backend)


# ---- Reshape / Permute / RepeatVector ----------------------------------------------------------
class Reshape(Layer):
    """Reshape the non-batch dimensions to ``target_shape`` (one entry may be ``-1``).

    The batch dimension is kept as ``-1`` in the op so one layer serves every batch size.
    """

    def __init__(self, target_shape: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_shape, int):
            target_shape = (target_shape,)
        try:
            target = tuple(int(d) for d in target_shape)
        except (TypeError, ValueError):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'target_shape': "
                                       f"expected a tuple of ints, got {target_shape!r}") from None
        if sum(1 for d in target if d == -1) > 1 or any(d < -1 or d == 0 for d in target):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'target_shape': "
                                       f"expected positive ints and at most one -1, got "
                                       f"{target_shape!r}")
        self.target_shape = target

    def _resolve(self, input_shape: tuple) -> tuple:
        rest = tuple(input_shape[1:])
        if None in rest:
            return self.target_shape
        total = math.prod(rest)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or total % known:
                raise ShapeError(f"{layer_label(self)}: cannot reshape input of shape "
                                 f"{tuple(input_shape)} to target_shape {self.target_shape}: "
                                 f"{total} values per sample do not divide by {known}")
            return tuple(total // known if d == -1 else d for d in self.target_shape)
        if known != total:
            raise ShapeError(f"{layer_label(self)}: cannot reshape input of shape "
                             f"{tuple(input_shape)} ({total} values per sample) to "
                             f"target_shape {self.target_shape} ({known} values)")
        return self.target_shape

    def build(self, input_shape: Any) -> None:
        self._resolve(tuple(input_shape))
        self.built = True

    def call(self, inputs: Any) -> Any:
        target = self._resolve(tuple(inputs.shape))
        batch = inputs.shape[0]
        if -1 in target:
            if batch is None:
                raise ShapeError(f"{layer_label(self)}: target_shape {self.target_shape} "
                                 f"with -1 needs known non-batch dims, got "
                                 f"{tuple(inputs.shape)}")
            return ops.reshape(inputs, (batch, *target))
        return ops.reshape(inputs, (-1, *target))


class Permute(Layer):
    """Permute the non-batch axes; ``dims`` is 1-indexed (``(2, 1)`` swaps the two axes)."""

    def __init__(self, dims: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'dims': expected a "
                                       f"permutation of 1..{len(dims)} (the batch axis 0 "
                                       f"stays), got {dims!r}")
        self.dims = dims

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, len(self.dims) + 1, "(batch, ...)")
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, len(self.dims) + 1, "(batch, ...)")
        return ops.transpose(inputs, (0, *self.dims))


class RepeatVector(Layer):
    """``(batch, features) -> (batch, n, features)``: the input repeated ``n`` times."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'n': expected a "
                                       f"positive int, got {n!r}")
        self.n = n

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, 2, "(batch, features)")
        self.built = True

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, 2, "(batch, features)")
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)


# ---- Lambda -------------------------------------------------------------------------------------
class Lambda(Layer):
    """Wrap a Python function of tensors as a layer (it must use ``tw.ops`` only).

    A Lambda's config holds code, not data, so it cannot be written to a model file:
    ``get_config`` marks the function as unserializable and ``tw.saving`` then raises a
    :class:`SerializationError` saying so (Keras's bytecode pickling is deliberately not
    offered: loading it would run code from the file). Subclass ``Layer`` instead.
    """

    def __init__(self, function: Any, output_shape: Any = None, mask: Any = None,
                 arguments: dict | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'function': expected a "
                                       f"callable, got {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.mask = mask
        self.arguments = dict(arguments or {})
        params: Mapping[str, inspect.Parameter]
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_takes_training = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())

    def call(self, inputs: Any, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._fn_takes_training and "training" not in kwargs:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape
        while isinstance(first, (list, tuple)) and first and isinstance(first[0],
                                                                          (list, tuple)):
            first = first[0]
        batch = first[0] if first else None
        return (batch, *tuple(self._output_shape))

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg["function"] = _Unserializable("Lambda.function", self.function)
        if callable(self._output_shape):
            cfg["output_shape"] = _Unserializable("Lambda.output_shape", self._output_shape)
        return cfg

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        fn = config.get("function")
        if not callable(fn):
            raise SerializationError(
                "Lambda.from_config: a Lambda layer's function cannot be restored from a "
                f"config (got {fn!r}); write a custom Layer subclass and register it")
        return super().from_config(config)


# ---- ZeroPadding ------------------------------------------------------------------------------
def _pairs(where: str, arg: str, value: Any, n: int) -> tuple[tuple[int, int], ...]:
    """Keras padding/cropping spellings: int, n ints (symmetric), or n (before, after)."""
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * n
    else:
        try:
            items = tuple(value)
        except TypeError:
            items = ()
        if n == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
            pairs = ((items[0], items[1]),)
        elif len(items) == n and all(isinstance(v, int) for v in items):
            pairs = tuple((v, v) for v in items)
        elif len(items) == n and all(not isinstance(v, int) and len(tuple(v)) == 2
                                     for v in items):
            pairs = tuple((tuple(v)[0], tuple(v)[1]) for v in items)
        else:
            raise InvalidArgumentError(
                f"{where}: argument {arg!r}: expected an int, {n} ints or {n} (before, after) "
                f"pairs, got {value!r}")
    if any(not isinstance(a, int) or a < 0 for p in pairs for a in p):
        raise InvalidArgumentError(f"{where}: argument {arg!r}: expected non-negative ints, "
                                   f"got {value!r}")
    return tuple((int(a), int(b)) for a, b in pairs)


class _SpatialLayer(Layer):
    """Common rank/data_format handling of the spatial reshaping layers."""

    rank = 1

    def _init_format(self, data_format: str | None) -> None:
        self.data_format = normalize_data_format(layer_label(self), data_format)

    def _layout(self) -> str:
        sp = ", ".join(["steps"] if self.rank == 1 else
                       ["height", "width"] if self.rank == 2 else ["d1", "d2", "d3"])
        return f"(batch, {sp}, channels)" if self.data_format == "channels_last" else \
            f"(batch, channels, {sp})"

    def build(self, input_shape: Any) -> None:
        check_rank(self, input_shape, self.rank + 2, self._layout())
        self.built = True

    def _spatial_axes(self) -> list[int]:
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))


class _ZeroPadding(_SpatialLayer):
    def _setup(self, padding: Any, data_format: str | None) -> None:
        self._init_format(data_format)
        self.padding = _pairs(layer_label(self), "padding", padding, self.rank)

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, self._layout())
        widths = [(0, 0)] * inputs.ndim
        for ax, p in zip(self._spatial_axes(), self.padding):
            widths[ax] = p
        return ops.pad(inputs, tuple(widths))


class ZeroPadding1D(_ZeroPadding):
    """Zeros added at the start and end of the steps axis of ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self._setup(padding, data_format)

    def get_config(self) -> dict:
        config = super().get_config()
        config["padding"] = list(self.padding[0])  # Keras: one (start, end) pair
        return config


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around images: ``padding`` int, ``(h, w)`` or
    ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self._setup(padding, data_format)


class ZeroPadding3D(_ZeroPadding):
    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(padding, data_format)


# ---- Cropping ---------------------------------------------------------------------------------
class _Cropping(_SpatialLayer):
    def _setup(self, cropping: Any, data_format: str | None) -> None:
        self._init_format(data_format)
        self.cropping = _pairs(layer_label(self), "cropping", cropping, self.rank)

    def _check(self, shape: tuple) -> None:
        for ax, (a, b) in zip(self._spatial_axes(), self.cropping):
            n = shape[ax]
            if n is not None and a + b >= n:
                raise ShapeError(f"{layer_label(self)}: argument 'cropping': {(a, b)} removes "
                                 f"{a + b} of the {n} entries on axis {ax} of input shape "
                                 f"{tuple(shape)}; it must leave at least one")

    def build(self, input_shape: Any) -> None:
        super().build(input_shape)
        self._check(tuple(input_shape))

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, self._layout())
        self._check(tuple(inputs.shape))
        y = inputs
        for ax, (a, b) in zip(self._spatial_axes(), self.cropping):
            n = y.shape[ax]
            if n is None:
                raise ShapeError(f"{layer_label(self)}: cropping needs a known size on axis "
                                 f"{ax}, got input shape {tuple(inputs.shape)}")
            y = crop_axis(y, ax, a, n - b)
        return y


class Cropping1D(_Cropping):
    """Remove ``cropping = (start, end)`` steps from ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(cropping, "channels_last")

    def get_config(self) -> dict:
        config = super().get_config()
        config["cropping"] = list(self.cropping[0])  # Keras: one (start, end) pair
        return config


class Cropping2D(_Cropping):
    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(cropping, data_format)


class Cropping3D(_Cropping):
    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)),
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(cropping, data_format)


# ---- UpSampling -------------------------------------------------------------------------------
def _bilinear_matrix(n: int, scale: int) -> list[list[float]]:
    """Rows: output positions; columns: input positions. Half-pixel centres, edge-clamped
    (what ``keras.ops.image.resize(..., "bilinear")`` does when upsampling)."""
    rows = []
    for i in range(n * scale):
        src = (i + 0.5) / scale - 0.5
        src = min(max(src, 0.0), n - 1.0)
        lo = int(math.floor(src))
        hi = min(lo + 1, n - 1)
        frac = src - lo
        row = [0.0] * n
        row[lo] += 1.0 - frac
        row[hi] += frac
        rows.append(row)
    return rows


class _UpSampling(_SpatialLayer):
    def _setup(self, size: Any, data_format: str | None, interpolation: str) -> None:
        self._init_format(data_format)
        self.size = normalize_tuple(layer_label(self), "size", size, self.rank)
        interpolation = str(interpolation).lower()
        if interpolation not in ("nearest", "bilinear"):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'interpolation': "
                                       f"expected 'nearest' or 'bilinear', got "
                                       f"{interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs: Any) -> Any:
        check_rank(self, inputs.shape, self.rank + 2, self._layout())
        y = inputs
        for ax, s in zip(self._spatial_axes(), self.size):
            if s == 1:
                continue
            if self.interpolation == "nearest":
                y = ops.repeat(y, s, axis=ax)
            else:
                n = y.shape[ax]
                if n is None:
                    raise ShapeError(f"{layer_label(self)}: bilinear upsampling needs known "
                                     f"spatial sizes, got {tuple(inputs.shape)}")
                dtype = y.dtype if y.dtype.is_floating else "float32"
                if not y.dtype.is_floating:
                    y = ops.cast(y, dtype)
                m = constant_like(_bilinear_matrix(n, s), dtype, inputs)
                # contract axis `ax` with the (n*s, n) interpolation matrix, keep the order
                y = ops.moveaxis(ops.tensordot(y, m, axes=([ax], [1])), -1, ax)
        return y


class UpSampling1D(_UpSampling):
    """Repeat each step ``size`` times along the steps axis."""

    rank = 1

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(size, "channels_last", "nearest")

    def get_config(self) -> dict:
        config = super().get_config()
        config["size"] = int(self.size[0])  # Keras: one int
        return config


class UpSampling2D(_UpSampling):
    """Upsample rows and columns by ``size``; ``interpolation`` ``"nearest"`` (repeat) or
    ``"bilinear"``."""

    rank = 2

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(size, data_format, interpolation)


class UpSampling3D(_UpSampling):
    rank = 3

    def __init__(self, size: Any = (2, 2, 2), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(size, data_format, "nearest")
