"""``tw.ops.image`` against ``keras.ops.image`` on the same images (numpy and python)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw


@pytest.fixture(params=["numpy", "python"])
def backend(request: Any) -> Any:
    with tw.backend_scope(request.param):
        yield request.param


def _img(rng: np.random.Generator, shape: tuple = (2, 7, 9, 3)) -> np.ndarray:
    return rng.random(shape).astype("float32")


def _both(keras: Any, name: str, *args: Any, **kw: Any) -> tuple[Any, Any]:
    ours = getattr(tw.ops.image, name)(*args, **kw)
    theirs = getattr(keras.ops.image, name)(*args, **kw)
    return ours, theirs


@pytest.mark.parametrize("fmt", ["channels_last", "channels_first"])
def test_colour_spaces(keras: Any, rng: Any, close: Any, backend: str, fmt: str) -> None:
    x = _img(rng)
    if fmt == "channels_first":
        x = np.moveaxis(x, -1, 1).copy()
    for name in ("rgb_to_grayscale", "rgb_to_hsv"):
        close(*_both(keras, name, x, data_format=fmt), what=name)
    hsv = np.asarray(keras.ops.image.rgb_to_hsv(x, data_format=fmt))
    close(*_both(keras, "hsv_to_rgb", hsv, data_format=fmt), what="hsv_to_rgb")
    close(*_both(keras, "rgb_to_grayscale", x[0], data_format=fmt), what="unbatched")
    ints = (x * 255).astype("uint8")
    close(*_both(keras, "rgb_to_grayscale", ints, data_format=fmt), what="uint8 grayscale")


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest", "bicubic", "lanczos3",
                                           "lanczos5"])
@pytest.mark.parametrize("size", [(4, 5), (11, 13)])
def test_resize(keras: Any, rng: Any, close: Any, backend: str, interpolation: str,
                size: tuple) -> None:
    x = _img(rng)
    for antialias in (False, True):
        close(*_both(keras, "resize", x, size, interpolation=interpolation,
                     antialias=antialias), rtol=1e-5, atol=2e-6,
              what=f"{interpolation} {size} antialias={antialias}")


def test_resize_aspect_and_layouts(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 6, 10, 3))
    close(*_both(keras, "resize", x, (5, 5), crop_to_aspect_ratio=True), what="crop")
    close(*_both(keras, "resize", x, (5, 5), pad_to_aspect_ratio=True, fill_value=0.5),
          what="pad")
    xf = np.moveaxis(x, -1, 1).copy()
    close(*_both(keras, "resize", xf, (3, 4), data_format="channels_first"), what="cf")
    close(*_both(keras, "resize", x[0], (3, 4)), what="unbatched")


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "wrap", "mirror", "reflect"])
def test_affine_transform(keras: Any, rng: Any, close: Any, backend: str, interpolation: str,
                          fill_mode: str) -> None:
    x = _img(rng, (2, 6, 7, 2))
    t = np.array([[0.9, 0.2, 1.3, -0.1, 1.1, -0.7, 0, 0],
                  [1.0, 0.0, -2.5, 0.0, 1.0, 1.5, 0, 0]], "float32")
    close(*_both(keras, "affine_transform", x, t, interpolation=interpolation,
                 fill_mode=fill_mode, fill_value=0.25), atol=1e-5,
          what=f"{interpolation}/{fill_mode}")


def test_map_coordinates(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = rng.random((5, 6)).astype("float32")
    coords = (rng.random((2, 4, 3)) * 9 - 2).astype("float32")
    for order in (0, 1):
        for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
            close(*_both(keras, "map_coordinates", x, coords, order, fill_mode=mode,
                         fill_value=-1.0), atol=1e-5, what=f"order {order} {mode}")
    ints = (x * 100).astype("int32")
    close(*_both(keras, "map_coordinates", ints, coords, 1), what="int32 input")
    half = np.array([[0.5, 1.5, -0.5, 2.5], [2.5, 0.5, 1.5, 3.5]], "float32")
    close(*_both(keras, "map_coordinates", x, half, 0), what="nearest at .5")


def test_crop_and_pad(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 8, 9, 3))
    close(*_both(keras, "crop_images", x, top_cropping=1, left_cropping=2, target_height=5,
                 target_width=4), what="crop target")
    close(*_both(keras, "crop_images", x, top_cropping=1, bottom_cropping=2, left_cropping=0,
                 right_cropping=3), what="crop margins")
    close(*_both(keras, "pad_images", x, top_padding=1, left_padding=2, target_height=12,
                 target_width=13), what="pad target")
    close(*_both(keras, "pad_images", x[0], bottom_padding=2, top_padding=0, right_padding=1,
                 left_padding=3), what="pad unbatched")


def test_patches(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 7, 8, 3))
    close(*_both(keras, "extract_patches", x, 3), what="3x3")
    close(*_both(keras, "extract_patches", x, (2, 3), strides=(1, 2), padding="same"),
          what="strided same")
    close(*_both(keras, "extract_patches", x, 2, strides=1, dilation_rate=2), what="dilated")
    v = rng.random((1, 5, 6, 4, 2)).astype("float32")
    close(*_both(keras, "extract_patches_3d", v, (2, 3, 2)), what="3d")


def test_filters(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 9, 8, 3))
    close(*_both(keras, "gaussian_blur", x, kernel_size=(3, 5), sigma=(1.0, 2.0),
                 data_format="channels_last"), atol=2e-6, what="gaussian_blur")
    close(*_both(keras, "sobel_edges", x), atol=2e-6, what="sobel_edges")
    y = np.clip(x + rng.normal(0, 0.1, x.shape).astype("float32"), 0, 1)
    x2 = _img(rng, (2, 16, 16, 3))
    y2 = np.clip(x2 + 0.05, 0, 1).astype("float32")
    close(*_both(keras, "ssim", x2, y2), atol=1e-5, what="ssim")
    assert y.shape == x.shape


def test_scale_and_translate(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 6, 7, 3))
    for method in ("linear", "cubic", "lanczos3"):
        for antialias in (True, False):
            close(*_both(keras, "scale_and_translate", x, (2, 9, 5, 3),
                         np.array([1.5, 0.7], "float32"), np.array([0.3, -1.0], "float32"),
                         (1, 2), method, antialias=antialias), atol=2e-6,
                  what=f"{method} antialias={antialias}")


def test_perspective_transform(keras: Any, rng: Any, close: Any, backend: str) -> None:
    x = _img(rng, (2, 8, 8, 2))
    start = np.array([[[0, 0], [7, 0], [0, 7], [7, 7]]] * 2, "float32")
    end = np.array([[[1, 0.5], [6, 1], [0, 6.5], [7.5, 7]],
                    [[0, 0], [7, 1], [1, 7], [6, 6]]], "float32")
    close(*_both(keras, "perspective_transform", x, start, end), atol=2e-5,
          what="perspective")


def test_elastic_transform_properties(backend: str, rng: Any) -> None:
    x = _img(rng, (2, 10, 12, 3))
    a = tw.ops.image.elastic_transform(x, alpha=5.0, sigma=2.0, seed=3)
    b = tw.ops.image.elastic_transform(x, alpha=5.0, sigma=2.0, seed=3)
    assert a.shape == x.shape and a.dtype == "float32"
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    same = tw.ops.image.elastic_transform(x, alpha=0.0, sigma=2.0, seed=3)
    np.testing.assert_allclose(same.numpy(), x, atol=1e-6)


def test_errors(backend: str) -> None:
    from tensorweave.errors import InvalidArgumentError, ShapeError, TensorweaveError

    assert issubclass(ShapeError, TensorweaveError)
    x = np.zeros((2, 4, 4, 3), "float32")
    with pytest.raises(InvalidArgumentError, match="resize: argument 'interpolation'"):
        tw.ops.image.resize(x, (2, 2), interpolation="cubicle")
    with pytest.raises(ShapeError, match="rgb_to_grayscale: argument 'images'"):
        tw.ops.image.rgb_to_grayscale(np.zeros((4, 4), "float32"))
    with pytest.raises(InvalidArgumentError, match="give exactly two of"):
        tw.ops.image.crop_images(x, top_cropping=1)
    with pytest.raises(InvalidArgumentError, match="map_coordinates: argument 'order'"):
        tw.ops.image.map_coordinates(np.zeros((3, 3)), np.zeros((2, 1)), 3)
