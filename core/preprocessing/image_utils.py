"""Reading and writing images: ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img`` (Keras 2's ``keras.preprocessing.image`` / ``keras.utils`` functions).

Decoding uses Pillow, imported only when an image is read or written; without it the
error says to ``pip install tensorweave[image]``.
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError, MissingDependencyError, ShapeError, describe

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "pil_image",
           "PIL_INTERPOLATIONS", "COLOR_MODES"]

COLOR_MODES = ("grayscale", "rgb", "rgba")
# Keras 2's names for Pillow's resampling filters.
PIL_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image(feature: str = "reading images") -> Any:
    """``PIL.Image``, imported on first use; a clear error when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError as e:
        raise MissingDependencyError(
            f"{feature} needs Pillow, which is not installed; install it with "
            f"`pip install tensorweave[image]` (or `pip install pillow`)") from e
    return Image


def _resample(name: str, where: str) -> Any:
    image = pil_image()
    resampling = getattr(image, "Resampling", image)
    table = {"nearest": resampling.NEAREST, "bilinear": resampling.BILINEAR,
             "bicubic": resampling.BICUBIC, "hamming": resampling.HAMMING,
             "box": resampling.BOX, "lanczos": resampling.LANCZOS}
    if name not in table:
        raise InvalidArgumentError(describe(where, "interpolation",
                                            f"one of {tuple(table)}", repr(name)))
    return table[name]


def _data_format(data_format: str | None, where: str) -> str:
    if data_format is None:
        from ..config import config_value

        data_format = str(config_value("image_data_format", "channels_last"))
    if data_format not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(describe(where, "data_format",
                                            "'channels_last' or 'channels_first'",
                                            repr(data_format)))
    return data_format


def check_color_mode(color_mode: Any, where: str) -> str:
    if color_mode not in COLOR_MODES:
        raise InvalidArgumentError(describe(where, "color_mode", f"one of {COLOR_MODES}",
                                            repr(color_mode)))
    return color_mode


def check_target_size(target_size: Any, where: str, arg: str = "target_size") -> tuple:
    ok = isinstance(target_size, (tuple, list)) and len(target_size) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0
        for v in target_size)
    if not ok:
        raise InvalidArgumentError(describe(where, arg, "a (height, width) pair of "
                                            "positive integers", repr(target_size)))
    return (int(target_size[0]), int(target_size[1]))


def _crop_to_aspect(img: Any, height: int, width: int) -> Any:
    """The largest centred window of ``img`` with the aspect ratio ``width / height``."""
    w, h = img.size
    crop_h = min(h, (w * height) // width)
    crop_w = min(w, (h * width) // height)
    top = (h - crop_h) // 2
    left = (w - crop_w) // 2
    return img.crop((left, top, left + crop_w, top + crop_h))


def load_img(path: Any, color_mode: str = "rgb", target_size: Any = None,
             interpolation: str = "nearest", keep_aspect_ratio: bool = False, *,
             grayscale: bool = False) -> Any:
    """Load an image file (a path or a binary file object) as a Pillow image.

    ``color_mode`` is ``"rgb"`` (default), ``"grayscale"`` or ``"rgba"``;
    ``target_size=(height, width)`` resizes with ``interpolation`` (``"nearest"``,
    ``"bilinear"``, ``"bicubic"``, ``"lanczos"``, ``"box"`` or ``"hamming"``) when the
    size differs. ``keep_aspect_ratio=True`` first crops the largest centred window with
    the target's aspect ratio. The arguments are Keras 3's, in its order;
    ``grayscale=True`` (keyword only) is Keras 2's deprecated spelling of
    ``color_mode="grayscale"``.
    """
    if grayscale is True:
        warnings.warn('load_img: grayscale is deprecated; use color_mode="grayscale"',
                      DeprecationWarning, stacklevel=2)
        color_mode = "grayscale"
    check_color_mode(color_mode, "load_img")
    if target_size is not None:
        target_size = check_target_size(target_size, "load_img")
        resample = _resample(interpolation, "load_img")
    image = pil_image()
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as f:  # read at once: no file handle stays open
            img = image.open(io.BytesIO(f.read()))
    elif hasattr(path, "read"):
        img = image.open(io.BytesIO(path.read()))
    else:
        raise InvalidArgumentError(describe("load_img", "path", "a path or a binary file "
                                            "object", type(path).__name__))
    mode = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}[color_mode]
    if img.mode != mode:
        if color_mode == "grayscale" and img.mode in ("I;16", "I;16B", "I;16L", "I"):
            img = img.convert("I")  # keep 16-bit grey levels
        else:
            img = img.convert(mode)
    if target_size is not None:
        height, width = target_size
        if img.size != (width, height):
            if keep_aspect_ratio:
                img = _crop_to_aspect(img, height, width)
            img = img.resize((width, height), resample)
    return img


def img_to_array(img: Any, data_format: str | None = None, dtype: Any = None) -> np.ndarray:
    """A Pillow image (or array) as a 3-D NumPy array, ``(height, width, channels)`` for
    ``channels_last`` (a grayscale image gets one channel), ``float32`` by default."""
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    elif x.ndim == 2:
        x = x.reshape((1,) + x.shape) if data_format == "channels_first" else \
            x.reshape(x.shape + (1,))
    else:
        raise ShapeError(describe("img_to_array", "img", "a 2-d or 3-d image",
                                  f"shape {x.shape}"))
    return x


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True,
                 dtype: Any = None) -> Any:
    """A 3-D array as a Pillow image (1 channel: ``L``, 3: ``RGB``, 4: ``RGBA``).

    ``scale=True`` (Keras's default) shifts the values so the minimum is at least 0 and
    stretches them so the maximum is 255; ``scale=False`` takes them as 0..255 values.
    """
    data_format = _data_format(data_format, "array_to_img")
    image = pil_image("array_to_img")
    x = np.array(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ShapeError(describe("array_to_img", "x", "a 3-d image (a single image)",
                                  f"shape {x.shape}"))
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        x_max = np.max(x)
        if x_max != 0:
            x = x / x_max
        x = x * 255
    channels = x.shape[2]
    if channels == 4:
        return image.fromarray(x.astype("uint8"), "RGBA")
    if channels == 3:
        return image.fromarray(x.astype("uint8"), "RGB")
    if channels == 1:
        if np.max(x) > 255:  # 16-bit grey levels
            return image.fromarray(x[:, :, 0].astype("int32"), "I")
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ShapeError(describe("array_to_img", "x", "1, 3 or 4 channels",
                              f"{channels} (shape {x.shape}, data_format {data_format})"))


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Save a 3-D array as an image file; the format comes from the file name unless
    ``file_format`` is given (needed for file objects). Extra keyword arguments go to
    Pillow's ``Image.save``."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    fmt = file_format
    if fmt is None and isinstance(path, (str, os.PathLike)):
        fmt = os.path.splitext(os.fspath(path))[1].lstrip(".") or None
    if img.mode == "RGBA" and fmt is not None and fmt.lower() in ("jpg", "jpeg"):
        warnings.warn("save_img: JPEG cannot store RGBA images; converting to RGB",
                      stacklevel=2)
        img = img.convert("RGB")
    if file_format is not None and file_format.lower() == "jpg":
        file_format = "jpeg"
    img.save(path, format=file_format, **kwargs)
