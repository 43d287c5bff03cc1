"""Image preprocessing and augmentation layers (Keras 3): Resizing, CenterCrop, RandomCrop,
RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast and
RandomBrightness.

Inputs are images, batched ``(batch, height, width, channels)`` or unbatched
``(height, width, channels)`` (``channels_first`` puts the channels before the rows).
Resizing and CenterCrop always run; the random layers transform only while training
(``training=True``, as inside ``fit``) and are the identity at inference, except
RandomCrop, which then crops the centre (Keras's ``crop_to_aspect_ratio`` resize) so the
output shape does not depend on the mode. Each sample of a batch gets its own random
transform.

Everything is ``tensorweave.ops``, so the layers run eagerly, inside a compiled training
step and on every backend. Randomness comes from the layer's ``SeedGenerator``; the draws
are float64 uniforms turned into transforms with exact elementwise arithmetic (rotation
angles through the exact ``cos``/``sin`` of :mod:`tensorweave.random`), so a seeded layer
gives the same bits on every backend. Only RandomContrast takes a mean (a reduction whose
summation order a backend may choose).

Geometric layers share :func:`affine_transform`: each output pixel ``(x, y)`` (column,
row; pixel centres at integers) reads the input at
``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``, for the
eight parameters ``[a0, a1, a2, b0, b1, b2, c0, c1]`` of its sample (Keras's and
TensorFlow's projective-transform convention), with nearest or bilinear interpolation.
Points outside the image follow ``fill_mode``, applied to the integer index of every
interpolation corner: ``reflect`` (``d c b a | a b c d | d c b a``), ``wrap``
(``a b c d | a b c d``), ``nearest`` (``a a | a b c d | d d``) or ``constant``
(``fill_value``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.random import _cos_sin_2pi

from .base import Layer, in_shape_inference
from .reshaping import constant_like, layer_label, normalize_data_format

__all__ = ["Resizing", "CenterCrop", "RandomCrop", "RandomFlip", "RandomRotation",
           "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness",
           "affine_transform", "resize_images"]

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("bilinear", "nearest")
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")
_F64 = _dt.float64


# ==== argument checks ==========================================================================
def _is_number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def _factor(layer: Layer, arg: str, value: Any, bounds: tuple[float, float], *,
            single: str = "symmetric") -> tuple[float, float]:
    """Keras's factor convention: a pair ``(lower, upper)`` (sorted), or one number ``f``
    meaning ``(-|f|, |f|)`` (``single="symmetric"``) or ``(f, f)`` (``"same"``)."""
    lo, hi = bounds
    expected = f"a number or a pair of numbers in [{lo:g}, {hi:g}]"
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or not all(_is_number(v) and lo <= v <= hi for v in value):
            raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected "
                                       f"{expected}, got {value!r}")
        a, b = sorted(float(v) for v in value)
        return a, b
    if not _is_number(value) or not lo <= value <= hi:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected "
                                   f"{expected}, got {value!r}")
    f = abs(float(value))
    return (-f, f) if single == "symmetric" else (f, f)


def _choice(layer: Layer, arg: str, value: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected one of "
                                   f"{', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value.lower()


def _size(layer: Layer, arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected a "
                                   f"positive int, got {value!r}")
    return int(value)


def _value_range(layer: Layer, value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2 \
            or not all(_is_number(v) for v in value) or value[0] == value[1]:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument 'value_range': expected "
                                   f"two different numbers (low, high), got {value!r}")
    a, b = sorted(float(v) for v in value)
    return a, b


# ==== the shared image machinery (tw.ops.image) ================================================
def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0.0,
                     data_format: str = "channels_last") -> Any:
    """:func:`tensorweave.ops.image.affine_transform` (kept here for the layers' callers)."""
    return ops.image.affine_transform(images, transform, interpolation, fill_mode, fill_value,
                                      data_format)


def resize_images(images: Any, height: int, width: int, interpolation: str = "bilinear",
                  crop_to_aspect_ratio: bool = False) -> Any:
    """Resize batched channels-last ``images`` (:func:`tensorweave.ops.image.resize`)."""
    return ops.image.resize(images, (height, width), interpolation=interpolation,
                            crop_to_aspect_ratio=crop_to_aspect_ratio,
                            data_format="channels_last")


class _ImageLayer(Layer):
    """Shared plumbing: input checks, the data format, batching and float casting."""

    def __init__(self, data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(layer_label(self), data_format)

    def _prepare(self, inputs: Any) -> tuple[Any, bool]:
        """The images as a float batch in channels_last order, and whether the input was
        a single image."""
        return self._to_batch(self._cast(inputs))

    def _to_batch(self, x: Any) -> tuple[Any, bool]:
        """``x`` (already in the compute dtype) as a channels_last batch."""
        unbatched = x.ndim == 3
        if unbatched:
            x = ops.expand_dims(x, 0)
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 2, 3, 1))
        return x, unbatched

    def _finish(self, x: Any, unbatched: bool) -> Any:
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 3, 1, 2))
        return ops.squeeze(x, 0) if unbatched else x

    def _cast(self, inputs: Any) -> Any:
        """``inputs`` in the compute dtype, after checking they are images."""
        if inputs.ndim not in (3, 4):
            raise InvalidArgumentError(
                f"{layer_label(self)}: argument 'inputs': expected an image (3 dimensions) "
                f"or a batch of images (4 dimensions), got shape {tuple(inputs.shape)}")
        return inputs if inputs.dtype == self.compute_dtype else ops.cast(inputs,
                                                                           self.compute_dtype)

    def _static_batch(self, x: Any) -> tuple[Any, bool]:
        """:meth:`_to_batch` of ``x``, whose every dimension must be known (one transform
        is drawn per image)."""
        x4, unbatched = self._to_batch(x)
        self._needs_static(x4)
        return x4, unbatched

    def _needs_static(self, x: Any) -> None:
        if any(d is None for d in x.shape):
            raise ShapeError(f"{layer_label(self)}: needs a fully known input shape to draw "
                             f"per-image transforms, got {tuple(x.shape)}")


class _RandomImageLayer(_ImageLayer):
    """A random augmentation: a seeded generator, active only while training."""

    def __init__(self, seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.seed_generator = _random.SeedGenerator(seed)

    def _uniform(self, n: int, lower: float, upper: float) -> Any:
        """``n`` float64 draws on ``[lower, upper)`` (``lower`` itself when they are
        equal); one draw of the generator either way, so the sequence does not depend on
        the factor."""
        u = _random.uniform((n,), dtype=_F64, seed=self.seed_generator)
        return ops.add(ops.multiply(u, upper - lower), lower)

    def _active(self, x: Any, training: Any) -> bool:
        return bool(training) and not in_shape_inference(x)


class _AffineLayer(_RandomImageLayer):
    """Random geometric transforms through :func:`affine_transform`."""

    def _setup_sampling(self, fill_mode: str, interpolation: str, fill_value: float) -> None:
        self.fill_mode = _choice(self, "fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        if not _is_number(fill_value):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'fill_value': expected "
                                       f"a number, got {fill_value!r}")
        self.fill_value = float(fill_value)

    def _transform(self, b: int, h: int, w: int) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = self._cast(inputs)
        if not self._active(x, training):
            return x
        x4, unbatched = self._static_batch(x)
        b, h, w, _ = (int(d) for d in x4.shape)
        out = affine_transform(x4, self._transform(b, h, w), self.interpolation,
                               self.fill_mode, self.fill_value)
        return self._finish(out, unbatched)


def _stack8(params: list) -> Any:
    """``(batch, 8)`` from eight ``(batch,)`` float64 tensors or Python numbers."""
    ref = next(p for p in params if not isinstance(p, (int, float)))
    cols = [p if not isinstance(p, (int, float)) else ops.full_like(ref, float(p))
            for p in params]
    return ops.stack(cols, axis=1)


# ==== deterministic layers =====================================================================
class Resizing(_ImageLayer):
    """Resize images to ``(height, width)`` with :func:`tensorweave.ops.image.resize`
    (``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"``, ``"lanczos5"`` or
    ``"area"``; half-pixel centres as Keras). ``crop_to_aspect_ratio=True`` first crops the
    largest centred window of the target aspect ratio, ``pad_to_aspect_ratio=True`` pads
    with ``fill_value`` instead, so the image is not distorted. Always active."""

    def __init__(self, height: int, width: int, interpolation: str = "bilinear",
                 crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
                 fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _size(self, "height", height)
        self.width = _size(self, "width", width)
        self.interpolation = _choice(self, "interpolation", interpolation,
                                     _RESIZE_INTERPOLATIONS)
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        if self.crop_to_aspect_ratio and self.pad_to_aspect_ratio:
            raise InvalidArgumentError(f"{layer_label(self)}: only one of "
                                       "'crop_to_aspect_ratio' and 'pad_to_aspect_ratio' "
                                       "can be True")
        self.fill_mode = _choice(self, "fill_mode", fill_mode, ("constant",))
        if not _is_number(fill_value):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'fill_value': expected "
                                       f"a finite number, got {fill_value!r}")
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)

    def call(self, inputs: Any) -> Any:
        x, unbatched = self._prepare(inputs)
        if x.shape[1] is None or x.shape[2] is None:
            raise ShapeError(f"{layer_label(self)}: the height and width of the input must "
                             f"be known, got shape {tuple(inputs.shape)}")
        out = ops.image.resize(x, (self.height, self.width), interpolation=self.interpolation,
                               antialias=self.antialias,
                               crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                               pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                               fill_value=self.fill_value, data_format="channels_last")
        return self._finish(out, unbatched)


class CenterCrop(_ImageLayer):
    """Crop the central ``(height, width)`` window (top/left offset ``(size - target) //
    2``). An image smaller than the target is resized instead (after cropping it to the
    target aspect ratio), as Keras does. Always active."""

    def __init__(self, height: int, width: int, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _size(self, "height", height)
        self.width = _size(self, "width", width)

    def call(self, inputs: Any) -> Any:
        x, unbatched = self._prepare(inputs)
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            raise ShapeError(f"{layer_label(self)}: the height and width of the input must "
                             f"be known, got shape {tuple(inputs.shape)}")
        if h >= self.height and w >= self.width:
            top, left = (h - self.height) // 2, (w - self.width) // 2
            out = x[:, top:top + self.height, left:left + self.width, :]
        else:
            out = resize_images(x, self.height, self.width, "bilinear", True)
        return self._finish(out, unbatched)


# ==== random layers ============================================================================
class RandomCrop(_RandomImageLayer):
    """While training, crop a random ``(height, width)`` window of each image (a
    different window per sample). At inference, and for images smaller than the target,
    resize to the target after cropping the centre to its aspect ratio (Keras's
    inference path), so the output shape is always ``(height, width)``."""

    def __init__(self, height: int, width: int, seed: int | None = None,
                 data_format: str | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height = _size(self, "height", height)
        self.width = _size(self, "width", width)

    def call(self, inputs: Any, training: Any = True) -> Any:
        x, unbatched = self._prepare(inputs)
        h, w = x.shape[1], x.shape[2]
        if h is None or w is None:
            raise ShapeError(f"{layer_label(self)}: the height and width of the input must "
                             f"be known, got shape {tuple(inputs.shape)}")
        th, tw = self.height, self.width
        if not self._active(x, training) or h < th or w < tw:
            return self._finish(resize_images(x, th, tw, "bilinear", True), unbatched)
        self._needs_static(x)
        b, c = int(x.shape[0]), int(x.shape[3])
        top = ops.floor(self._uniform(b, 0.0, float(h - th + 1)))
        left = ops.floor(self._uniform(b, 0.0, float(w - tw + 1)))
        top = ops.minimum(top, float(h - th))   # u < 1, but keep the window inside anyway
        left = ops.minimum(left, float(w - tw))
        rows = ops.add(ops.reshape(top, (b, 1, 1)),
                       constant_like(np.arange(th, dtype=np.float64).reshape(1, th, 1),
                                     _F64, x))
        cols = ops.add(ops.reshape(left, (b, 1, 1)),
                       constant_like(np.arange(tw, dtype=np.float64).reshape(1, 1, tw),
                                     _F64, x))
        base = constant_like((np.arange(b, dtype=np.float64) * (h * w)).reshape(b, 1, 1),
                             _F64, x)
        idx = ops.cast(ops.add(ops.add(ops.multiply(rows, float(w)), cols), base), _dt.int32)
        out = ops.take(ops.reshape(x, (b * h * w, c)), idx, axis=0)  # (b, th, tw, c)
        return self._finish(out, unbatched)


class RandomFlip(_RandomImageLayer):
    """While training, flip each image left-right (``"horizontal"``), upside down
    (``"vertical"``) or both independently (``"horizontal_and_vertical"``), each with
    probability 1/2."""

    _MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = _choice(self, "mode", mode, self._MODES)

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = self._cast(inputs)
        if not self._active(x, training):
            return x
        x4, unbatched = self._static_batch(x)
        b = int(x4.shape[0])
        axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (2, 1)}
        for axis in axes[self.mode]:
            flip = ops.less(self._uniform(b, 0.0, 1.0), 0.5)
            x4 = ops.where(ops.reshape(flip, (b, 1, 1, 1)), ops.flip(x4, axis=axis), x4)
        return self._finish(x4, unbatched)


class RandomRotation(_AffineLayer):
    """While training, rotate each image about its centre by a random angle of
    ``factor * 2 pi``: ``factor`` is a pair ``(lower, upper)`` of fractions of a full
    turn, or one number ``f`` for ``(-f, f)``; positive angles turn counter-clockwise."""

    def __init__(self, factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = _factor(self, "factor", factor, (-1.0, 1.0))
        self._setup_sampling(fill_mode, interpolation, fill_value)

    def _transform(self, b: int, h: int, w: int) -> Any:
        turns = self._uniform(b, self.lower, self.upper)
        cos, sin = _cos_sin_2pi(ops.subtract(turns, ops.floor(turns)))  # exact everywhere
        wm, hm = float(w - 1), float(h - 1)
        x_off = ops.multiply(ops.subtract(wm, ops.subtract(ops.multiply(cos, wm),
                                                            ops.multiply(sin, hm))), 0.5)
        y_off = ops.multiply(ops.subtract(hm, ops.add(ops.multiply(sin, wm),
                                                       ops.multiply(cos, hm))), 0.5)
        return _stack8([cos, ops.neg(sin), x_off, sin, cos, y_off, 0.0, 0.0])


class RandomZoom(_AffineLayer):
    """While training, zoom each image about its centre: the sampled window is ``1 + f``
    times the image per axis, ``f`` drawn from ``height_factor`` (and ``width_factor``;
    ``None`` keeps the aspect ratio). Positive factors zoom out, negative ones zoom in."""

    def __init__(self, height_factor: Any, width_factor: Any = None,
                 fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = _factor(self, "height_factor", height_factor,
                                                       (-1.0, 1.0))
        if width_factor is not None:
            self.width_lower, self.width_upper = _factor(self, "width_factor", width_factor,
                                                         (-1.0, 1.0))
        self._setup_sampling(fill_mode, interpolation, fill_value)

    def _transform(self, b: int, h: int, w: int) -> Any:
        zy = self._uniform(b, 1.0 + self.height_lower, 1.0 + self.height_upper)
        zx = zy if self.width_factor is None else \
            self._uniform(b, 1.0 + self.width_lower, 1.0 + self.width_upper)
        x_off = ops.multiply(ops.subtract(1.0, zx), (w - 1) / 2.0)
        y_off = ops.multiply(ops.subtract(1.0, zy), (h - 1) / 2.0)
        return _stack8([zx, 0.0, x_off, 0.0, zy, y_off, 0.0, 0.0])


class RandomTranslation(_AffineLayer):
    """While training, shift each image by a random fraction of its height
    (``height_factor``) and width (``width_factor``); positive shifts move the content
    down and right."""

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self.height_lower, self.height_upper = _factor(self, "height_factor", height_factor,
                                                       (-1.0, 1.0))
        self.width_lower, self.width_upper = _factor(self, "width_factor", width_factor,
                                                     (-1.0, 1.0))
        self._setup_sampling(fill_mode, interpolation, fill_value)

    def _transform(self, b: int, h: int, w: int) -> Any:
        dy = ops.multiply(self._uniform(b, self.height_lower, self.height_upper), float(h))
        dx = ops.multiply(self._uniform(b, self.width_lower, self.width_upper), float(w))
        return _stack8([1.0, 0.0, ops.neg(dx), 0.0, 1.0, ops.neg(dy), 0.0, 0.0])


class RandomContrast(_RandomImageLayer):
    """While training, scale each image's deviations from its per-channel mean by a
    random factor in ``[1 - lower, 1 + upper]`` (``factor``: one number in [0, 1] for both
    bounds, or a pair), then clip to ``value_range``."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = _factor(self, "factor", factor, (0.0, 1.0), single="same")
        self.value_range = _value_range(self, value_range)

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = self._cast(inputs)
        if not self._active(x, training):
            return x
        x4, unbatched = self._static_batch(x)
        b = int(x4.shape[0])
        f = ops.cast(self._uniform(b, 1.0 - self.lower, 1.0 + self.upper), x4.dtype)
        f = ops.reshape(f, (b, 1, 1, 1))
        mean = ops.mean(x4, axis=(1, 2), keepdims=True)
        out = ops.add(ops.multiply(ops.subtract(x4, mean), f), mean)
        out = ops.clip(out, self.value_range[0], self.value_range[1])
        return self._finish(out, unbatched)


class RandomBrightness(_RandomImageLayer):
    """While training, add ``delta * (high - low)`` to each image, ``delta`` drawn from
    ``factor`` (one number ``f`` in [-1, 1] for ``(-f, f)``, or a pair), then clip to
    ``value_range = (low, high)``."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor
        self.lower, self.upper = _factor(self, "factor", factor, (-1.0, 1.0))
        self.value_range = _value_range(self, value_range)

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = self._cast(inputs)
        if not self._active(x, training):
            return x
        x4, unbatched = self._static_batch(x)
        b = int(x4.shape[0])
        low, high = self.value_range
        delta = ops.multiply(self._uniform(b, self.lower, self.upper), high - low)
        delta = ops.reshape(ops.cast(delta, x4.dtype), (b, 1, 1, 1))
        out = ops.clip(ops.add(x4, delta), low, high)
        return self._finish(out, unbatched)
