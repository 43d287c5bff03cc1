"""Affine image transforms in NumPy (no SciPy), with Keras 2's conventions.

An image is a 3-D array; ``row_axis``, ``col_axis`` and ``channel_axis`` say which axis is
which (Keras's defaults here are channels *first*: ``row_axis=1, col_axis=2,
channel_axis=0``; ``ImageDataGenerator`` passes the right ones for its ``data_format``).

The transform follows ``keras_preprocessing.image.apply_affine_transform`` (the SciPy
version of Keras 2): the matrix maps an *output* pixel ``(row, col)`` to the *input*
position it samples, composed as ``rotation @ shift @ shear @ zoom`` and taken about the
image centre ``((h - 1) / 2, (w - 1) / 2)``. ``tx`` moves along rows (a height shift),
``ty`` along columns (a width shift): ``out[r, c] = in[r + tx, c + ty]``.

Sampling is bilinear (``order=1``, Keras's default) or nearest (``order=0``). Each of the
neighbours that bilinear sampling reads is looked up through ``fill_mode`` when it lies
outside the image:

* ``"nearest"``  ``aaaaaaaa|abcd|dddddddd``
* ``"reflect"``  ``abcddcba|abcd|dcbaabcd`` (half-sample symmetric)
* ``"wrap"``     ``abcdabcd|abcd|abcdabcd`` (period = the image size)
* ``"constant"`` ``kkkkkkkk|abcd|kkkkkkkk`` with ``k = cval``

so a whole-pixel shift equals ``np.roll`` with the uncovered band filled, exactly.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidArgumentError, ShapeError, describe

__all__ = ["apply_affine_transform", "transform_matrix_offset_center", "flip_axis",
           "apply_channel_shift", "apply_brightness_shift", "random_rotation",
           "random_shift", "random_shear", "random_zoom", "random_channel_shift",
           "random_brightness", "FILL_MODES"]

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


def flip_axis(x: Any, axis: int) -> np.ndarray:
    """``x`` reversed along ``axis`` (Keras's ``flip_axis``)."""
    return np.flip(np.asarray(x), axis)


def transform_matrix_offset_center(matrix: Any, x: int, y: int) -> np.ndarray:
    """``matrix`` (3x3, on ``(row, col, 1)``) conjugated so that it acts about the centre of
    an image with ``x`` rows and ``y`` columns."""
    o_x = float(x) / 2 - 0.5
    o_y = float(y) / 2 - 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]], dtype=np.float64)
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]], dtype=np.float64)
    return offset @ np.asarray(matrix, dtype=np.float64) @ reset


def _affine_matrix(theta: float, tx: float, ty: float, shear: float, zx: float,
                   zy: float) -> np.ndarray | None:
    m = None
    if theta != 0:
        t = np.deg2rad(theta)
        m = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        s = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=np.float64)
        m = s if m is None else m @ s
    if shear != 0:
        sh = np.deg2rad(shear)
        s = np.array([[1, -np.sin(sh), 0], [0, np.cos(sh), 0], [0, 0, 1]])
        m = s if m is None else m @ s
    if zx != 1 or zy != 1:
        s = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]], dtype=np.float64)
        m = s if m is None else m @ s
    return m


def _lookup(idx: np.ndarray, n: int, mode: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer sample positions mapped into ``[0, n)`` by the fill mode; for ``constant``
    also the mask of positions inside the image (the rest read ``cval``)."""
    if mode == "nearest":
        return np.clip(idx, 0, n - 1), None
    if mode == "wrap":
        return np.mod(idx, n), None
    if mode == "reflect":
        m = np.mod(idx, 2 * n)
        return np.where(m >= n, 2 * n - 1 - m, m), None
    inside = (idx >= 0) & (idx < n)
    return np.clip(idx, 0, n - 1), inside


def _sample(img: np.ndarray, rows: np.ndarray, cols: np.ndarray, order: int, mode: str,
            cval: float) -> np.ndarray:
    """``img`` (h, w, c) read at float positions ``rows``/``cols`` (each (H, W))."""
    h, w = img.shape[0], img.shape[1]
    work = img.astype(np.float64, copy=False)

    def read(ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
        r, rin = _lookup(ri, h, mode)
        c, cin = _lookup(ci, w, mode)
        v = work[r, c]
        if rin is not None:
            v = np.where((rin & cin)[..., None], v, cval)
        return v

    if order == 0:
        return read(np.floor(rows + 0.5).astype(np.int64), np.floor(cols + 0.5).astype(np.int64))
    r0 = np.floor(rows)
    c0 = np.floor(cols)
    fr = (rows - r0)[..., None]
    fc = (cols - c0)[..., None]
    r0 = r0.astype(np.int64)
    c0 = c0.astype(np.int64)
    top = read(r0, c0) * (1 - fc) + read(r0, c0 + 1) * fc
    bottom = read(r0 + 1, c0) * (1 - fc) + read(r0 + 1, c0 + 1) * fc
    return top * (1 - fr) + bottom * fr


def _check_axes(x: np.ndarray, row_axis: int, col_axis: int, channel_axis: int) -> None:
    if x.ndim != 3:
        raise ShapeError(describe("apply_affine_transform", "x",
                                  "a 3-d image (rows, columns and channels)",
                                  f"shape {x.shape}"))
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise InvalidArgumentError(describe(
            "apply_affine_transform", "row_axis/col_axis/channel_axis",
            "three distinct axes among 0, 1, 2", (row_axis, col_axis, channel_axis)))


def apply_affine_transform(x: Any, theta: float = 0, tx: float = 0, ty: float = 0,
                           shear: float = 0, zx: float = 1, zy: float = 1, row_axis: int = 1,
                           col_axis: int = 2, channel_axis: int = 0,
                           fill_mode: str = "nearest", cval: float = 0.0,
                           order: int = 1) -> np.ndarray:
    """Rotate by ``theta`` degrees, shift by ``tx`` rows and ``ty`` columns, shear by
    ``shear`` degrees and zoom by ``zx`` (rows) / ``zy`` (columns), as Keras 2 does.

    A zoom factor above 1 samples a larger area (the content shrinks), as in Keras. The
    result has ``x``'s shape and dtype; ``x`` is returned unchanged when the transform is
    the identity.
    """
    x = np.asarray(x)
    _check_axes(x, row_axis, col_axis, channel_axis)
    if fill_mode not in FILL_MODES:
        raise InvalidArgumentError(describe("apply_affine_transform", "fill_mode",
                                            f"one of {FILL_MODES}", repr(fill_mode)))
    if order not in (0, 1):
        raise InvalidArgumentError(describe("apply_affine_transform", "order",
                                            "0 (nearest) or 1 (bilinear)", order))
    m = _affine_matrix(theta, tx, ty, shear, zx, zy)
    if m is None:
        return x
    h, w = x.shape[row_axis], x.shape[col_axis]
    m = transform_matrix_offset_center(m, h, w)
    img = np.moveaxis(x, (row_axis, col_axis, channel_axis), (0, 1, 2))
    r, c = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                       indexing="ij")
    rows = m[0, 0] * r + m[0, 1] * c + m[0, 2]
    cols = m[1, 0] * r + m[1, 1] * c + m[1, 2]
    out = _sample(img, rows, cols, order, fill_mode, float(cval))
    if np.issubdtype(x.dtype, np.integer):
        info = np.iinfo(x.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    out = out.astype(x.dtype, copy=False)
    return np.moveaxis(out, (0, 1, 2), (row_axis, col_axis, channel_axis))


def apply_channel_shift(x: Any, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Add ``intensity`` to every channel, clipped to the image's own min and max."""
    x = np.asarray(x)
    lo, hi = np.min(x), np.max(x)
    return np.clip(x + intensity, lo, hi)


def apply_brightness_shift(x: Any, brightness: float, scale: bool = True) -> np.ndarray:
    """Pillow's ``ImageEnhance.Brightness(img).enhance(brightness)`` on an array, as Keras.

    The image goes through 8-bit values, as in Keras: with ``scale=True`` it is first
    stretched to ``[0, 255]`` (Keras's ``array_to_img`` scaling); with ``scale=False``
    (what ``ImageDataGenerator`` uses) values already in ``[0, 255]`` keep their range, and
    others are mapped to ``[0, 255]`` and back.
    """
    x = np.asarray(x, dtype=np.float64)
    x_min, x_max = float(np.min(x)), float(np.max(x))
    local_scale = x_min < 0 or x_max > 255
    v = x
    if local_scale or scale:
        v = v + max(-x_min, 0.0)
        top = float(np.max(v))
        if top != 0:
            v = v / top
        v = v * 255
    v = v.astype(np.uint8).astype(np.float32)  # Pillow's 8-bit image (truncation)
    out = np.clip(v * np.float32(brightness), 0, 255)
    out = np.floor(out).astype(np.float32)  # Image.blend truncates to 8 bits
    if not scale and local_scale:
        out = out / 255 * (x_max - x_min) + x_min
    return out


def random_rotation(x: Any, rg: float, row_axis: int = 1, col_axis: int = 2,
                    channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                    interpolation_order: int = 1) -> np.ndarray:
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shift(x: Any, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                 interpolation_order: int = 1) -> np.ndarray:
    x = np.asarray(x)
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_shear(x: Any, intensity: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                 interpolation_order: int = 1) -> np.ndarray:
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_zoom(x: Any, zoom_range: Any, row_axis: int = 1, col_axis: int = 2,
                channel_axis: int = 0, fill_mode: str = "nearest", cval: float = 0.0,
                interpolation_order: int = 1) -> np.ndarray:
    if len(zoom_range) != 2:
        raise InvalidArgumentError(describe("random_zoom", "zoom_range",
                                            "a tuple or list of two floats", zoom_range))
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1.0, 1.0
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval,
                                  order=interpolation_order)


def random_channel_shift(x: Any, intensity_range: float, channel_axis: int = 0) -> np.ndarray:
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis)


def random_brightness(x: Any, brightness_range: Any, scale: bool = True) -> np.ndarray:
    if len(brightness_range) != 2:
        raise InvalidArgumentError(describe("random_brightness", "brightness_range",
                                            "a tuple or list of two floats", brightness_range))
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u, scale)
