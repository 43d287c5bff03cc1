"""Keras 3's colour, mixing and extra geometric augmentation layers.

AutoContrast, Equalization, Solarization, RandomInvert, RandomGrayscale,
RandomPosterization, RandomColorDegeneration, RandomSaturation, RandomHue,
RandomSharpness, RandomGaussianBlur, RandomColorJitter, RandomErasing, MixUp, CutMix,
RandomShear, RandomPerspective and RandomElasticTransform.

Each follows the Keras 3 layer of the same name: its arguments, how ``factor`` is read
(``_keras_range``), the per-image draws and the formula (the oracle tests compare the
deterministic settings with real Keras). As in Keras, a layer called directly
(``layer(images)``) augments, since its ``call`` defaults to ``training=True``; inside a
model, ``predict``/``evaluate`` pass ``training=False`` and the random layers return their
input. AutoContrast and Equalization are deterministic and always active.

Draws come from the layer's seeded ``SeedGenerator`` through :mod:`tensorweave.random`,
so a seeded layer gives the same images on every backend (not Keras's JAX bits).
Everything is ``tw.ops``: the layers run eagerly, inside a compiled step and on every
backend. Images are ``(batch, height, width, channels)`` (or unbatched, or channels
first).
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave import random as _random
from tensorweave.errors import InvalidArgumentError

from .image_augmentation import _FILL_MODES, _INTERPOLATIONS, _choice, _RandomImageLayer
from .reshaping import layer_label

__all__ = ["AutoContrast", "Equalization", "Solarization", "RandomInvert", "RandomGrayscale",
           "RandomPosterization", "RandomColorDegeneration", "RandomSaturation", "RandomHue",
           "RandomSharpness", "RandomGaussianBlur", "RandomColorJitter", "RandomErasing",
           "MixUp", "CutMix", "RandomShear", "RandomPerspective", "RandomElasticTransform",
           "RandAugment", "AugMix", "ContrastLimitedAdaptiveHistogramEqualization",
           "MaxNumBoundingBoxes"]

_EPSILON = 1e-7  # keras.config.epsilon()


# ==== argument helpers =========================================================================
def _keras_range(layer: Any, arg: str, value: Any, bounds: tuple[float, float],
                 symmetric: bool = True) -> tuple[float, float]:
    """Keras's reading of a ``factor``: a pair is sorted; one number ``f`` means
    ``(max(-f, low), f)`` (``(-f, f)`` when ``symmetric`` and the bounds allow it)."""
    lo_b, hi_b = bounds
    err = (f"{layer_label(layer)}: argument {arg!r}: expected a number or a pair of numbers "
           f"in [{lo_b}, {hi_b}], got {value!r}")
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(_number(v) for v in value):
            raise InvalidArgumentError(err)
        if value[0] > hi_b or value[1] < lo_b:
            raise InvalidArgumentError(err)
        lower, upper = sorted(float(v) for v in value)
    elif _number(value):
        if value < lo_b or value > hi_b:
            raise InvalidArgumentError(err)
        f = abs(float(value))
        lower, upper = (max(-f, lo_b) if symmetric else lo_b), f
    else:
        raise InvalidArgumentError(err)
    return lower, upper


def _number(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)


def _value_range(layer: Any, value: Any, sort: bool = True) -> tuple[float, float]:
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(_number(v) for v in value)):
        raise InvalidArgumentError(f"{layer_label(layer)}: argument 'value_range': expected "
                                   f"(low, high), got {value!r}")
    lo, hi = (sorted(value) if sort else value)
    return (lo, hi)


def _rescale(x: Any, src: tuple[float, float], dst: tuple[float, float]) -> Any:
    """Keras's ``_transform_value_range``: ``(x - src_lo) / (src_hi - src_lo)`` scaled to
    ``dst``."""
    if src[0] == dst[0] and src[1] == dst[1]:
        return x
    unit = ops.divide(ops.subtract(x, float(src[0])), float(src[1] - src[0]))
    return ops.add(ops.multiply(unit, float(dst[1] - dst[0])), float(dst[0]))


class _ColorLayer(_RandomImageLayer):
    """A random colour layer: ``value_range``, per-image draws, channels-last maths."""

    #: the attributes written to the config as Keras writes them (factors as read pairs)
    _CONFIG_KEYS: tuple[str, ...] = ()

    def get_config(self) -> dict:
        config = super().get_config()
        for key in self._CONFIG_KEYS:
            value = getattr(self, key)
            config[key] = list(value) if isinstance(value, tuple) else value
        return config

    def _draw(self, b: int, lower: float, upper: float, dtype: Any) -> Any:
        """``b`` draws on ``[lower, upper)`` in ``dtype``, shaped ``(b, 1, 1, 1)``."""
        return ops.reshape(ops.cast(self._uniform(b, lower, upper), dtype), (b, 1, 1, 1))

    def _apply(self, x4: Any) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = self._cast(inputs)
        if not self._active(x, training):
            return x
        x4, unbatched = self._static_batch(x)
        return self._finish(self._apply(x4), unbatched)


# ==== deterministic ============================================================================
class AutoContrast(_ColorLayer):
    """Stretch each channel of each image over the whole ``value_range`` (its minimum to
    the low end, its maximum to the high end); a constant channel is left as it is.
    Deterministic, active in training and inference."""

    _CONFIG_KEYS = ("value_range",)

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = _value_range(self, value_range)

    def _active(self, x: Any, training: Any) -> bool:
        return True

    def _needs_static(self, x: Any) -> None:
        return None

    def _apply(self, x4: Any) -> Any:
        x = _rescale(x4, self.value_range, (0, 255))
        low = ops.min(x, axis=(1, 2), keepdims=True)
        high = ops.max(x, axis=(1, 2), keepdims=True)
        spread = ops.subtract(high, low)
        safe = ops.where(ops.greater(spread, 0.0), spread, 1.0)
        scale = ops.divide(255.0, safe)
        out = ops.clip(ops.subtract(ops.multiply(x, scale), ops.multiply(low, scale)),
                       0.0, 255.0)
        out = _rescale(out, (0, 255), self.value_range)
        return ops.where(ops.greater(spread, 0.0), out, x4)


class Equalization(_ColorLayer):
    """Histogram equalisation of each channel (``bins`` bins over ``value_range``): pixel
    values are remapped through the channel's normalised cumulative histogram. Keras
    applies it while ``training`` (the default of a direct call)."""

    _CONFIG_KEYS = ("value_range", "bins")

    def __init__(self, value_range: Any = (0, 255), bins: int = 256,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'bins': expected an "
                                       f"int >= 2, got {bins!r}")
        self.bins = bins
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        # as Keras: one histogram per channel over the whole batch (not per image)
        b, h, w, c = (int(d) for d in x4.shape)
        x = _rescale(x4, self.value_range, (0, 255))
        n = self.bins
        idx = ops.clip(ops.cast(ops.divide(ops.multiply(ops.cast(x, _dt.float32), n - 1),
                                           255.0), _dt.int32), 0, n - 1)
        flat = ops.reshape(ops.transpose(idx, (3, 0, 1, 2)), (c, b * h * w))
        hist = ops.sum(ops.one_hot(flat, n, dtype="int32"), axis=1)          # (c, n)
        cdf = ops.cumsum(hist, axis=1)
        first = ops.argmax(ops.greater(cdf, 0), axis=1)
        cdf_min = ops.take_along_axis(cdf, ops.expand_dims(first, 1), axis=1)  # (c, 1)
        total = cdf[:, n - 1:n]
        denom = ops.subtract(total, cdf_min)
        denom = ops.where(ops.equal(denom, 0), 1, denom)
        lut = ops.divide(ops.multiply(ops.cast(ops.subtract(cdf, cdf_min), _dt.float32), 255.0),
                         ops.cast(denom, _dt.float32))
        lut = ops.clip(ops.round(lut), 0.0, 255.0)
        nonzero = ops.sum(ops.cast(ops.greater(hist, 0), _dt.int32), axis=1, keepdims=True)
        xs = ops.reshape(ops.transpose(x, (3, 0, 1, 2)), (c, b * h * w))
        pos = ops.cast(ops.clip(ops.multiply(ops.divide(xs, 255.0), float(n - 1)), 0.0,
                                float(n - 1)), _dt.int32)
        mapped = ops.cast(ops.take_along_axis(lut, pos, axis=1), xs.dtype)
        eq = ops.where(ops.less_equal(nonzero, 1), xs, mapped)
        eq = ops.transpose(ops.reshape(eq, (c, b, h, w)), (1, 2, 3, 0))
        return ops.cast(_rescale(eq, (0, 255), self.value_range), x4.dtype)


# ==== random colour ============================================================================
class Solarization(_ColorLayer):
    """Add a random amount (``addition_factor`` of 255) and invert every value above a
    random threshold (``threshold_factor`` of 255), on the 0-255 scale. With the default
    factors of 0 every image is inverted."""

    _CONFIG_KEYS = ("addition_factor", "threshold_factor", "value_range", "seed")

    def __init__(self, addition_factor: Any = 0.0, threshold_factor: Any = 0.0,
                 value_range: Any = (0, 255), seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = _keras_range(self, "addition_factor", addition_factor, (0, 1),
                                            symmetric=False)
        self.threshold_factor = _keras_range(self, "threshold_factor", threshold_factor,
                                             (0, 1), symmetric=False)
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        dt = x4.dtype
        add = self._draw(b, self.addition_factor[0], self.addition_factor[1] * 255, dt)
        thr = self._draw(b, self.threshold_factor[0], self.threshold_factor[1] * 255, dt)
        x = _rescale(x4, self.value_range, (0, 255))
        out = ops.clip(ops.add(x, add), 0.0, 255.0)
        out = ops.where(ops.less(out, thr), out, ops.subtract(255.0, out))
        return _rescale(out, (0, 255), self.value_range)


class _ProbabilityLayer(_ColorLayer):
    """Applied to each image with a probability drawn from ``factor`` (Keras: a random
    threshold below a random probability)."""

    def _chosen(self, b: int) -> Any:
        p = self._uniform(b, self.factor[0], self.factor[1])
        u = self._uniform(b, 0.0, 1.0)
        return ops.reshape(ops.less(u, p), (b, 1, 1, 1))


class RandomInvert(_ProbabilityLayer):
    """Replace ``x`` by ``value_range[1] - x`` in a random subset of the images (each with
    a probability drawn from ``factor``)."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any = 1.0, value_range: Any = (0, 255),
                 seed: int | None = None, data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.value_range = _value_range(self, value_range, sort=False)

    def _apply(self, x4: Any) -> Any:
        chosen = self._chosen(int(x4.shape[0]))
        return ops.where(chosen, ops.subtract(float(self.value_range[1]), x4), x4)


class RandomGrayscale(_ColorLayer):
    """Turn each image to grayscale (kept as 3 equal channels) with probability
    ``factor``."""

    _CONFIG_KEYS = ("factor",)

    def __init__(self, factor: float = 0.5, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _number(factor) or not 0 <= factor <= 1:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'factor': expected a "
                                       f"number in [0, 1], got {factor!r}")
        self.factor = factor

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        chosen = ops.reshape(ops.less(self._uniform(b, 0.0, 1.0), float(self.factor)),
                             (b, 1, 1, 1))
        gray = ops.image.rgb_to_grayscale(x4, data_format="channels_last")
        return ops.where(chosen, gray, x4)


class RandomPosterization(_ColorLayer):
    """Keep only the top ``bits`` bits of each 8-bit value, ``bits`` drawn per image from
    ``factor`` (in [1, 8]; an upper bound is exclusive unless both bounds are equal)."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = tuple(int(v) for v in _keras_range(self, "factor", factor, (1, 8)))
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        lo, hi = self.factor
        if lo != hi:
            bits = _random.randint((b,), lo, hi, dtype="int32", seed=self.seed_generator)
        else:
            bits = ops.full((b,), lo, dtype="int32")
        shift = ops.reshape(ops.subtract(8, bits), (b, 1, 1, 1))
        x = ops.cast(_rescale(x4, self.value_range, (0, 255)), _dt.uint8)
        x = ops.cast(x, _dt.int32)
        step = ops.power(2, shift)
        x = ops.multiply(ops.floor_divide(x, step), step)
        return _rescale(ops.cast(x, x4.dtype), (0, 255), self.value_range)


class RandomColorDegeneration(_ColorLayer):
    """Blend each image with its grayscale version by a random ``factor`` (Keras's
    ``images + f * (gray - images)``), clipped to ``value_range``."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (-1, 1))
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        f = self._draw(int(x4.shape[0]), *self.factor, x4.dtype)
        gray = ops.image.rgb_to_grayscale(x4, data_format="channels_last")
        out = ops.add(x4, ops.multiply(f, ops.subtract(gray, x4)))
        return ops.clip(out, *self.value_range)


class RandomSaturation(_ColorLayer):
    """Scale the HSV saturation by ``f / (1 - f + epsilon)``, ``f`` drawn per image from
    ``factor`` (0.5 keeps it, 0 greys out, 1 saturates fully). As in Keras, the HSV
    conversion reads the values as they come."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (-1, 1))
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        f = self._uniform(b, *self.factor)
        f = ops.reshape(ops.cast(ops.divide(f, ops.add(ops.subtract(1.0, f), _EPSILON)),
                                 x4.dtype), (b, 1, 1))
        hsv = ops.image.rgb_to_hsv(x4, data_format="channels_last")
        s = ops.clip(ops.multiply(hsv[..., 1], f), *self.value_range)
        hsv = ops.stack([hsv[..., 0], s, hsv[..., 2]], axis=-1)
        return ops.image.hsv_to_rgb(hsv, data_format="channels_last")


class RandomHue(_ColorLayer):
    """Rotate the hue by ``±f / 2`` of the colour circle (sign and ``f`` drawn per image;
    ``factor`` in [0, 1])."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.value_range = _value_range(self, value_range, sort=False)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        sign = ops.where(ops.greater(self._uniform(b, 0.0, 1.0), 0.5), -1.0, 1.0)
        f = ops.multiply(ops.multiply(sign, self._uniform(b, *self.factor)), 0.5)
        f = ops.reshape(ops.cast(f, x4.dtype), (b, 1, 1))
        x = _rescale(x4, self.value_range, (0, 1))
        hsv = ops.image.rgb_to_hsv(x, data_format="channels_last")
        h = ops.add(hsv[..., 0], f)
        h = ops.where(ops.greater(h, 1.0), ops.subtract(h, 1.0), h)
        h = ops.where(ops.less(h, 0.0), ops.add(h, 1.0), h)
        rgb = ops.image.hsv_to_rgb(ops.stack([h, hsv[..., 1], hsv[..., 2]], axis=-1),
                                   data_format="channels_last")
        return _rescale(ops.clip(rgb, 0.0, 1.0), (0, 1), self.value_range)


def _depthwise3(x4: Any, kernel: list) -> Any:
    c = int(x4.shape[-1])
    k = ops.convert_to_tensor(kernel, x4.dtype)
    k = ops.tile(ops.reshape(k, (3, 3, 1, 1)), (1, 1, c, 1))
    return ops.depthwise_conv(x4, k, strides=1, padding="same")


class RandomSharpness(_ColorLayer):
    """Blend each image with a smoothed copy (PIL's sharpness): ``x + (1 - 2f)(smooth -
    x)``, ``f`` drawn per image from ``factor`` in [0, 1] (0.5 keeps the image)."""

    _CONFIG_KEYS = ("factor", "value_range", "seed")

    def __init__(self, factor: Any, value_range: Any = (0, 255),
                 data_format: str | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.value_range = _value_range(self, value_range)

    def _apply(self, x4: Any) -> Any:
        f = ops.multiply(self._draw(int(x4.shape[0]), *self.factor, x4.dtype), 2.0)
        a, b = 1.0 / 13.0, 5.0 / 13.0
        smooth = _depthwise3(x4, [[a, a, a], [a, b, a], [a, a, a]])
        out = ops.add(x4, ops.multiply(ops.subtract(1.0, f), ops.subtract(smooth, x4)))
        return ops.clip(out, *self.value_range)


def _odd_pair(layer: Any, arg: str, value: Any) -> tuple[int, int]:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                                 and v % 2 == 1 for v in pair):
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected an odd "
                                   f"positive int or a pair of them, got {value!r}")
    return pair  # type: ignore[return-value]


class RandomGaussianBlur(_ProbabilityLayer):
    """Blur a random subset of the images (probability drawn from ``factor``) with a
    Gaussian of ``kernel_size`` whose two sigmas are drawn from ``sigma`` (one draw per
    batch, as Keras)."""

    _CONFIG_KEYS = ("factor", "kernel_size", "sigma", "value_range", "seed")

    def __init__(self, factor: Any = 1.0, kernel_size: Any = 3, sigma: Any = 1.0,
                 value_range: Any = (0, 255), data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.kernel_size = _odd_pair(self, "kernel_size", kernel_size)
        self.sigma = _keras_range(self, "sigma", sigma, (0, 1))
        self.value_range = _value_range(self, value_range, sort=False)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        chosen = self._chosen(b)
        sig = ops.cast(ops.add(self._uniform(2, *self.sigma), 1e-6), x4.dtype)
        blurred = ops.image.gaussian_blur(x4, kernel_size=self.kernel_size, sigma=sig,
                                          data_format="channels_last")
        return ops.clip(ops.where(chosen, blurred, x4), *self.value_range)


class RandomColorJitter(_ColorLayer):
    """Random brightness, contrast, saturation and hue, in that order, each when its
    factor is given (Keras's RandomColorJitter)."""

    _CONFIG_KEYS = ("value_range", "brightness_factor", "contrast_factor",
                    "saturation_factor", "hue_factor", "seed")

    def __init__(self, value_range: Any = (0, 255), brightness_factor: Any = None,
                 contrast_factor: Any = None, saturation_factor: Any = None,
                 hue_factor: Any = None, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        from .image_augmentation import RandomBrightness, RandomContrast

        self.value_range = _value_range(self, value_range, sort=False)
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        vr = self.value_range
        self._steps = [
            layer for layer in (
                RandomBrightness(brightness_factor, value_range=vr, seed=seed)
                if brightness_factor is not None else None,
                RandomContrast(contrast_factor, value_range=vr, seed=seed)
                if contrast_factor is not None else None,
                RandomSaturation(saturation_factor, value_range=vr, seed=seed)
                if saturation_factor is not None else None,
                RandomHue(hue_factor, value_range=vr, seed=seed)
                if hue_factor is not None else None)
            if layer is not None]
        for step in self._steps:
            step.seed_generator = self.seed_generator

    def _apply(self, x4: Any) -> Any:
        for step in self._steps:
            x4 = step(x4, training=True)
        return x4


# ==== erasing and mixing =======================================================================
def _box_mask(layer: _ColorLayer, b: int, h: int, w: int, ratio_x: Any, ratio_y: Any,
              dtype: Any) -> tuple[Any, Any]:
    """Per-image boxes of sides ``ratio * size`` at uniform positions: the ``(b, h, w, 1)``
    inside mask and the box areas ``(b,)`` (Keras's crop-bound arithmetic)."""
    def bounds(ratio: Any, n: int) -> tuple[Any, Any]:
        length = ops.multiply(ratio, float(n))
        start = ops.multiply(ops.cast(layer._uniform(b, 0.0, 1.0), dtype),
                             ops.subtract(float(n), length))
        return start, ops.add(start, length)

    x0, x1 = bounds(ops.cast(ratio_x, dtype), w)
    y0, y1 = bounds(ops.cast(ratio_y, dtype), h)
    gx = ops.reshape(ops.arange(w, dtype=dtype), (1, 1, w, 1))
    gy = ops.reshape(ops.arange(h, dtype=dtype), (1, h, 1, 1))

    def col(v: Any) -> Any:
        return ops.reshape(v, (b, 1, 1, 1))

    inside = ops.logical_and(
        ops.logical_and(ops.greater_equal(gx, col(x0)), ops.less(gx, col(x1))),
        ops.logical_and(ops.greater_equal(gy, col(y0)), ops.less(gy, col(y1))))
    area = ops.multiply(ops.subtract(x1, x0), ops.subtract(y1, y0))
    return inside, area


class RandomErasing(_ProbabilityLayer):
    """Erase a random box (area fraction drawn from ``scale``) in a random subset of the
    images, filling it with ``fill_value`` (a number or one per channel) or, when None,
    with Gaussian noise scaled by ``value_range[1]``, clipped to ``value_range``."""

    _CONFIG_KEYS = ("factor", "scale", "fill_value", "value_range", "seed")

    def __init__(self, factor: Any = 1.0, scale: Any = (0.02, 0.33), fill_value: Any = None,
                 value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.scale = _keras_range(self, "scale", scale, (0, 1))
        if fill_value is not None and not _number(fill_value) and not (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3
                and all(_number(v) for v in fill_value)):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'fill_value': expected "
                                       f"None, a number or three numbers, got {fill_value!r}")
        self.fill_value = fill_value
        self.value_range = _value_range(self, value_range, sort=False)

    def _apply(self, x4: Any) -> Any:
        b, h, w, _ = (int(d) for d in x4.shape)
        dt = x4.dtype
        ratios = ops.sqrt(ops.cast(_random.uniform((b, 2), self.scale[0], self.scale[1],
                                                   dtype="float64",
                                                   seed=self.seed_generator), dt))
        inside, _ = _box_mask(self, b, h, w, ratios[:, 0], ratios[:, 1], dt)
        chosen = self._chosen(b)
        if self.fill_value is None:
            fill = ops.multiply(_random.normal(tuple(x4.shape), dtype=dt,
                                               seed=self.seed_generator),
                                float(self.value_range[1]))
        else:
            fill = ops.multiply(ops.ones_like(x4),
                                ops.convert_to_tensor(self.fill_value, dt))
        fill = ops.clip(fill, *self.value_range)
        erased = ops.where(inside, fill, x4)
        return ops.where(chosen, erased, x4)


class MixUp(_ColorLayer):
    """Mix each image with another of the batch (a random permutation), weights drawn from
    Beta(``alpha``, ``alpha``): ``w x + (1 - w) x[perm]`` (Zhang et al., 2018). Labels are
    not mixed by this call (Keras mixes them only in its dict-input form)."""

    _CONFIG_KEYS = ("alpha", "seed")

    def __init__(self, alpha: float = 0.2, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not _number(alpha) or alpha <= 0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'alpha': expected a "
                                       f"positive number, got {alpha!r}")
        self.alpha = alpha

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        perm = _random.shuffle(ops.arange(b, dtype="int32"), seed=self.seed_generator)
        wgt = _random.beta((b,), self.alpha, self.alpha, seed=self.seed_generator)
        wgt = ops.reshape(ops.cast(wgt, x4.dtype), (b, 1, 1, 1))
        other = ops.take(x4, perm, axis=0)
        return ops.add(ops.multiply(wgt, x4), ops.multiply(ops.subtract(1.0, wgt), other))


class CutMix(_ColorLayer):
    """Paste a random box from another image of the batch into each image (Yun et al.,
    2019): the box covers a ``1 - w`` fraction, ``w`` from Beta(a, a) with ``a`` drawn from
    ``factor``. An unbatched image is returned as is."""

    _CONFIG_KEYS = ("factor", "seed")

    def __init__(self, factor: Any = 1.0, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))

    def call(self, inputs: Any, training: Any = True) -> Any:
        if inputs.ndim == 3:
            return self._cast(inputs)
        return super().call(inputs, training=training)

    def _apply(self, x4: Any) -> Any:
        b, h, w, _ = (int(d) for d in x4.shape)
        dt = x4.dtype
        a = ops.add(self._uniform(1, *self.factor), 1e-6)
        wgt = ops.cast(_random.beta((b,), a, a, seed=self.seed_generator), dt)
        ratio = ops.sqrt(ops.subtract(1.0, wgt))
        inside, _ = _box_mask(self, b, h, w, ratio, ratio, dt)
        perm = _random.shuffle(ops.arange(b, dtype="int32"), seed=self.seed_generator)
        return ops.where(inside, ops.take(x4, perm, axis=0), x4)


# ==== geometric ================================================================================
class RandomShear(_ColorLayer):
    """Shear each image along x and y by amounts drawn from ``x_factor``/``y_factor``
    (each in [0, 1]; a number ``f`` means ``(-f, f)``), one random sign per image."""

    _CONFIG_KEYS = ("x_factor", "y_factor", "fill_mode", "interpolation", "seed", "fill_value")

    def __init__(self, x_factor: Any = 0.0, y_factor: Any = 0.0,
                 interpolation: str = "bilinear", fill_mode: str = "reflect",
                 fill_value: float = 0.0, data_format: str | None = None,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.x_factor = _keras_range(self, "x_factor", x_factor, (0, 1), symmetric=True)
        self.y_factor = _keras_range(self, "y_factor", y_factor, (0, 1), symmetric=True)
        if isinstance(x_factor, (int, float)):
            self.x_factor = (-abs(float(x_factor)), abs(float(x_factor)))
        if isinstance(y_factor, (int, float)):
            self.y_factor = (-abs(float(y_factor)), abs(float(y_factor)))
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_mode = _choice(self, "fill_mode", fill_mode, _FILL_MODES)
        self.fill_value = float(fill_value)

    def _apply(self, x4: Any) -> Any:
        b = int(x4.shape[0])
        sign = ops.where(ops.greater(self._uniform(b, 0.0, 1.0), 0.5), -1.0, 1.0)
        sy = ops.multiply(self._uniform(b, *self.y_factor), sign)
        sx = ops.multiply(self._uniform(b, *self.x_factor), sign)
        one, zero = ops.ones_like(sx), ops.zeros_like(sx)
        t = ops.stack([one, sx, zero, sy, one, zero, zero, zero], axis=1)
        return ops.image.affine_transform(x4, ops.cast(t, x4.dtype), self.interpolation,
                                          self.fill_mode, self.fill_value,
                                          data_format="channels_last")


class RandomPerspective(_ProbabilityLayer):
    """Move each corner of a random subset of the images by up to ``scale / 2`` of the
    image size and warp the image accordingly (probability drawn from ``factor``)."""

    _CONFIG_KEYS = ("factor", "scale", "interpolation", "fill_value", "seed")

    def __init__(self, factor: Any = 1.0, scale: float = 1.0, interpolation: str = "bilinear",
                 fill_value: float = 0.0, seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        if not _number(scale) or not 0.0 <= scale <= 1.0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'scale': expected a "
                                       f"number in [0, 1], got {scale!r}")
        self.scale = scale
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_value = float(fill_value)

    def _apply(self, x4: Any) -> Any:
        b, h, w, _ = (int(d) for d in x4.shape)
        chosen = self._chosen(b)
        jitter = ops.cast(_random.uniform((b, 4, 2), -0.5 * self.scale, 0.5 * self.scale,
                                          dtype="float64", seed=self.seed_generator),
                          "float32") if self.scale > 0 else ops.zeros((b, 4, 2))
        start = ops.convert_to_tensor([[[0.0, 0.0], [w - 1.0, 0.0], [0.0, h - 1.0],
                                        [w - 1.0, h - 1.0]]], "float32")
        start = ops.tile(start, (b, 1, 1))
        end = ops.add(start, ops.multiply(start, jitter))
        warped = ops.image.perspective_transform(x4, start, end,
                                                 interpolation=self.interpolation,
                                                 fill_value=self.fill_value,
                                                 data_format="channels_last")
        return ops.where(chosen, warped, x4)


class RandomElasticTransform(_ProbabilityLayer):
    """Elastic distortion (:func:`tensorweave.ops.image.elastic_transform`) of a random
    subset of the images, with ``alpha = 0.1 s max(h, w)`` and ``sigma = 0.05 s min(h,
    w)`` for a distortion ``s`` drawn from ``scale``; clipped to ``value_range``."""

    _CONFIG_KEYS = ("factor", "scale", "interpolation", "fill_mode", "fill_value",
                    "value_range", "seed")

    def __init__(self, factor: Any = 1.0, scale: Any = 1.0, interpolation: str = "bilinear",
                 fill_mode: str = "reflect", fill_value: float = 0.0,
                 value_range: Any = (0, 255), seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.scale = _keras_range(self, "scale", scale, (0, 1))
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        self.fill_mode = _choice(self, "fill_mode", fill_mode, _FILL_MODES)
        self.fill_value = float(fill_value)
        self.value_range = _value_range(self, value_range, sort=False)

    def _apply(self, x4: Any) -> Any:
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x4
        b, h, w, _ = (int(d) for d in x4.shape)
        chosen = self._chosen(b)
        from tensorweave.ops.image import _elastic

        s = ops.cast(self._uniform(1, *self.scale)[0], x4.dtype)
        alpha = ops.multiply(s, max(h, w) * 0.1)
        sigma = ops.maximum(ops.multiply(s, min(h, w) * 0.05), 1e-6)
        ksize = int(6 * min(h, w) * 0.05 * self.scale[1]) | 1  # static: the largest sigma's
        warped = _elastic(x4, alpha, sigma, ksize, self.interpolation, self.fill_mode,
                          self.fill_value, self.seed_generator, "channels_last")
        return ops.clip(ops.where(chosen, warped, x4), *self.value_range)


# ==== policies ==================================================================================
def _policy_layers(layer: Any, names: tuple[str, ...], value_range: Any, interpolation: str,
                   data_format: Any) -> dict:
    """The sub-layers RandAugment and AugMix choose from (Keras's list and settings), all
    drawing from ``layer``'s seed generator."""
    from .image_augmentation import (
        RandomBrightness,
        RandomContrast,
        RandomRotation,
        RandomTranslation,
    )

    f = layer.factor
    vr = value_range
    make = {
        "random_shear": lambda: RandomShear(x_factor=f, y_factor=f,
                                            interpolation=interpolation),
        "random_translation": lambda: RandomTranslation(f, f, interpolation=interpolation),
        "random_rotation": lambda: RandomRotation(f, interpolation=interpolation),
        "random_brightness": lambda: RandomBrightness(f, value_range=vr),
        "random_color_degeneration": lambda: RandomColorDegeneration(f, value_range=vr),
        "random_contrast": lambda: RandomContrast(f, value_range=vr),
        "random_sharpness": lambda: RandomSharpness(f, value_range=vr),
        "random_posterization": lambda: RandomPosterization(max(1, int(8 * f[1])),
                                                            value_range=vr),
        "solarization": lambda: Solarization(addition_factor=f, threshold_factor=f,
                                             value_range=vr),
        "auto_contrast": lambda: AutoContrast(value_range=vr),
        "equalization": lambda: Equalization(value_range=vr),
    }
    subs = {}
    for name in names:
        sub = make[name]()
        if hasattr(sub, "seed_generator"):
            sub.seed_generator = layer.seed_generator
        subs[name] = sub
    return subs


_RAND_AUGMENT_OPS = ("random_shear", "random_translation", "random_rotation",
                     "random_brightness", "random_color_degeneration", "random_contrast",
                     "random_sharpness", "random_posterization", "solarization",
                     "auto_contrast", "equalization")
_AUG_MIX_OPS = ("random_shear", "random_translation", "random_rotation",
                "random_posterization", "solarization", "auto_contrast", "equalization")
_AUG_MIX_ALL_OPS = _AUG_MIX_OPS + ("random_brightness", "random_color_degeneration",
                                   "random_contrast", "random_sharpness")


def _int_range(layer: Any, arg: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected an int "
                                   f">= {low}, got {value!r}")
    return value


class RandAugment(_ColorLayer):
    """RandAugment (Cubuk et al., 2019): ``num_ops`` times, one augmentation chosen at
    random for the batch from Keras's eleven (shear, translation, rotation, brightness,
    colour degeneration, contrast, sharpness, posterization, solarization, auto contrast,
    equalization), each at strength ``factor``."""

    _CONFIG_KEYS = ("value_range", "num_ops", "factor", "interpolation", "seed")

    def __init__(self, value_range: Any = (0, 255), num_ops: int = 2, factor: Any = 0.5,
                 interpolation: str = "bilinear", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(self, value_range, sort=False)
        self.num_ops = _int_range(self, "num_ops", num_ops, 0)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        self._ops = _policy_layers(self, _RAND_AUGMENT_OPS, self.value_range,
                                   self.interpolation, data_format)

    def _apply(self, x4: Any) -> Any:
        if self.num_ops == 0:
            return x4
        picks = _random.randint((self.num_ops,), 0, len(_RAND_AUGMENT_OPS), dtype="int32",
                                seed=self.seed_generator)
        for i in range(self.num_ops):
            out = x4
            for k, name in enumerate(_RAND_AUGMENT_OPS):
                candidate = self._ops[name](x4, training=True)
                out = ops.where(ops.equal(picks[i], k), candidate, out)
            x4 = out
        return x4


class AugMix(_ColorLayer):
    """AugMix (Hendrycks et al., 2020): ``num_chains`` chains of up to ``chain_depth``
    random augmentations, mixed with Dirichlet(``alpha``) weights, then mixed with the
    original image with a Beta(``alpha``, ``alpha``) weight; clipped to ``value_range``.
    Each chain step picks one augmentation or none (as Keras, which picks on the host;
    here the pick is a seeded draw, so it varies per step of a compiled ``fit``)."""

    _CONFIG_KEYS = ("value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops",
                    "interpolation", "seed")

    def __init__(self, value_range: Any = (0, 255), num_chains: int = 3, chain_depth: int = 3,
                 factor: Any = 0.3, alpha: float = 1.0, all_ops: bool = True,
                 interpolation: str = "bilinear", seed: int | None = None,
                 data_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(self, value_range, sort=False)
        self.num_chains = _int_range(self, "num_chains", num_chains, 1)
        self.chain_depth = _int_range(self, "chain_depth", chain_depth, 1)
        self.factor = _keras_range(self, "factor", factor, (0, 1))
        if not _number(alpha) or alpha <= 0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'alpha': expected a "
                                       f"positive number, got {alpha!r}")
        self.alpha = alpha
        self.all_ops = bool(all_ops)
        self.interpolation = _choice(self, "interpolation", interpolation, _INTERPOLATIONS)
        self._names = _AUG_MIX_ALL_OPS if self.all_ops else _AUG_MIX_OPS
        self._ops = _policy_layers(self, self._names, self.value_range, self.interpolation,
                                   data_format)

    def _apply(self, x4: Any) -> Any:
        dt = x4.dtype
        gam = _random.gamma((self.num_chains,), self.alpha, seed=self.seed_generator)
        mixing = ops.cast(ops.divide(gam, ops.sum(gam)), dt)
        weight = ops.cast(_random.beta((), self.alpha, self.alpha, seed=self.seed_generator),
                          dt)
        n = len(self._names)
        picks = _random.randint((self.num_chains, self.chain_depth), 0, n + 1, dtype="int32",
                                seed=self.seed_generator)  # n means: no augmentation
        mixed = ops.zeros_like(x4)
        for c in range(self.num_chains):
            img = x4
            for d in range(self.chain_depth):
                out = img
                for k, name in enumerate(self._names):
                    out = ops.where(ops.equal(picks[c, d], k), self._ops[name](img, training=True),
                                    out)
                img = out
            mixed = ops.add(mixed, ops.multiply(img, mixing[c]))
        out = ops.add(ops.multiply(weight, x4), ops.multiply(ops.subtract(1.0, weight), mixed))
        return ops.clip(out, *self.value_range)


class ContrastLimitedAdaptiveHistogramEqualization(_ColorLayer):
    """CLAHE: histogram equalisation per tile of a ``tile_grid_size`` grid, each tile's
    histogram clipped at ``clip_limit`` times the mean bin count (the excess spread over
    all bins), the tiles' mappings interpolated bilinearly between tile centres (Keras's
    algorithm, on the 0-255 scale). Deterministic, always active."""

    _CONFIG_KEYS = ("value_range", "clip_limit", "tile_grid_size")

    def __init__(self, value_range: Any = (0, 255), clip_limit: float = 4.0,
                 tile_grid_size: Any = (8, 8), data_format: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = _value_range(self, value_range, sort=False)
        if not _number(clip_limit) or clip_limit < 0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'clip_limit': expected "
                                       f"a number >= 0, got {clip_limit!r}")
        self.clip_limit = clip_limit
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or not all(isinstance(g, int) and g > 0 for g in grid):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'tile_grid_size': "
                                       f"expected two positive ints, got {tile_grid_size!r}")
        self.tile_grid_size = grid

    def _active(self, x: Any, training: Any) -> bool:
        return True

    def _apply(self, x4: Any) -> Any:
        dtype = x4.dtype
        x = _rescale(ops.cast(x4, "float32"), self.value_range, (0, 255))
        b, h, w, c = (int(d) for d in x.shape)
        gh, gw = self.tile_grid_size
        th, tw_ = -(-h // gh), -(-w // gw)
        hp, wp = th * gh, tw_ * gw
        if hp != h:  # symmetric padding (edge pixels repeated mirror-wise)
            x = ops.take(x, ops.convert_to_tensor([i if i < h else 2 * h - 1 - i
                                                   for i in range(hp)], "int32"), axis=1)
        if wp != w:
            x = ops.take(x, ops.convert_to_tensor([j if j < w else 2 * w - 1 - j
                                                   for j in range(wp)], "int32"), axis=2)
        tiles = ops.reshape(x, (b, gh, th, gw, tw_, c))
        tiles = ops.reshape(ops.transpose(tiles, (0, 1, 3, 5, 2, 4)), (b, gh, gw, c, th * tw_))
        levels = ops.clip(ops.cast(tiles, "int32"), 0, 255)
        hists = ops.sum(ops.one_hot(levels, 256, dtype="float32"), axis=-2)  # (b,gh,gw,c,256)
        if self.clip_limit > 0:
            limit = self.clip_limit * (th * tw_) / 256.0
            clipped = ops.clip(hists, 0.0, limit)
            excess = ops.sum(ops.subtract(hists, clipped), axis=-1, keepdims=True)
            hists = ops.add(clipped, ops.divide(excess, 256.0))
        cdf = ops.cumsum(hists, axis=-1)
        cdf_min = ops.min(cdf, axis=-1, keepdims=True)
        denom = ops.subtract(float(th * tw_), cdf_min)
        denom = ops.where(ops.equal(denom, 0.0), 1.0, denom)
        lut = ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0), denom),
                       0.0, 255.0)
        # one ring of edge tiles around the grid, then bilinear between tile centres
        lut = ops.concatenate([lut[:, :1], lut, lut[:, -1:]], axis=1)
        lut = ops.concatenate([lut[:, :, :1], lut, lut[:, :, -1:]], axis=2)
        flat = ops.reshape(lut, (-1,))

        def axis_weights(n: int, t: int, g: int) -> tuple[list, list, list]:
            pos = [(i - t / 2.0) / t + 1.0 for i in range(n)]
            lo = [math.floor(p) for p in pos]
            wgt = [p - q for p, q in zip(pos, lo)]
            i0 = [min(max(q, 0), g + 1) for q in lo]
            i1 = [min(max(q + 1, 0), g + 1) for q in lo]
            return i0, i1, wgt

        y0, y1, wy = axis_weights(hp, th, gh)
        x0, x1, wx = axis_weights(wp, tw_, gw)
        s_c, s_x = 256, 256 * c
        s_y = s_x * (gw + 2)
        s_b = s_y * (gh + 2)
        pix = ops.cast(ops.clip(x, 0.0, 255.0), "int32")
        base = ops.add(ops.reshape(ops.arange(b, dtype="int32") * s_b, (b, 1, 1, 1)),
                       ops.add(ops.reshape(ops.arange(c, dtype="int32") * s_c, (1, 1, 1, c)),
                               pix))

        def const(values: list, shape: tuple, dt: str) -> Any:
            return ops.reshape(ops.convert_to_tensor(values, dt), shape)

        ys0, ys1 = const([v * s_y for v in y0], (1, hp, 1, 1), "int32"), \
            const([v * s_y for v in y1], (1, hp, 1, 1), "int32")
        xs0, xs1 = const([v * s_x for v in x0], (1, 1, wp, 1), "int32"), \
            const([v * s_x for v in x1], (1, 1, wp, 1), "int32")
        wye = const(wy, (1, hp, 1, 1), "float32")
        wxe = const(wx, (1, 1, wp, 1), "float32")

        def read(ys: Any, xs: Any) -> Any:
            return ops.take(flat, ops.add(base, ops.add(ys, xs)))

        top = ops.add(ops.multiply(read(ys0, xs0), ops.subtract(1.0, wxe)),
                      ops.multiply(read(ys0, xs1), wxe))
        bottom = ops.add(ops.multiply(read(ys1, xs0), ops.subtract(1.0, wxe)),
                         ops.multiply(read(ys1, xs1), wxe))
        out = ops.add(ops.multiply(top, ops.subtract(1.0, wye)), ops.multiply(bottom, wye))
        out = out[:, :h, :w, :]
        return ops.cast(_rescale(out, (0, 255), self.value_range), dtype)


class MaxNumBoundingBoxes(_ColorLayer):
    """Pad (with ``fill_value``) or truncate the bounding boxes of a batch to
    ``max_number`` per image, so batches stack: for dict inputs ``{"images": ...,
    "bounding_boxes": {"boxes": (batch, n, 4), "labels": (batch, n)}}``; images pass
    through unchanged."""

    _CONFIG_KEYS = ("max_number", "fill_value", "bounding_box_format")

    def __init__(self, max_number: int, fill_value: int = -1,
                 bounding_box_format: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.max_number = _int_range(self, "max_number", int(max_number)
                                     if _number(max_number) else max_number, 1)
        self.fill_value = int(fill_value)

    def call(self, inputs: Any, training: Any = True) -> Any:
        if not isinstance(inputs, dict):
            return inputs
        out = dict(inputs)
        boxes_in = inputs.get("bounding_boxes")
        if boxes_in is None:
            return out
        if self.bounding_box_format is None:
            raise InvalidArgumentError(
                f"{layer_label(self)}: the input has 'bounding_boxes' but the layer has no "
                "'bounding_box_format'; pass one, e.g. bounding_box_format='xyxy'")
        boxes = ops.convert_to_tensor(boxes_in["boxes"]) \
            if not ops.is_tensor(boxes_in["boxes"]) else boxes_in["boxes"]
        labels = ops.convert_to_tensor(boxes_in["labels"]) \
            if not ops.is_tensor(boxes_in["labels"]) else boxes_in["labels"]
        n = int(boxes.shape[1])
        m = self.max_number
        boxes = boxes[:, :m]
        labels = labels[:, :m]
        if n < m:
            boxes = ops.pad(boxes, ((0, 0), (0, m - n), (0, 0)),
                            constant_values=self.fill_value)
            labels = ops.pad(labels, ((0, 0), (0, m - n)), constant_values=self.fill_value)
        out["bounding_boxes"] = {**boxes_in, "boxes": boxes, "labels": labels}
        return out
