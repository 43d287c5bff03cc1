"""Keras 3's colour/mixing/geometric augmentation layers against real Keras.

Random layers cannot share Keras's random bits, so values are compared at the settings
that make a layer deterministic (a factor range of one point, a probability of 0 or 1),
and the configs are compared key by key; the rest is checked by properties that hold
whatever the draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

#: (class name, constructor kwargs) whose output is deterministic in both libraries.
DETERMINISTIC = [
    ("AutoContrast", {}),
    ("AutoContrast", {"value_range": (0, 1)}),
    ("Equalization", {}),
    ("Equalization", {"bins": 64, "value_range": (0, 1)}),
    ("Solarization", {}),
    ("Solarization", {"value_range": (0, 1)}),
    ("RandomInvert", {"factor": (1.0, 1.0)}),
    ("RandomInvert", {"factor": (0.0, 0.0)}),
    ("RandomGrayscale", {"factor": 1.0}),
    ("RandomGrayscale", {"factor": 0.0}),
    ("RandomPosterization", {"factor": (4, 4)}),
    ("RandomPosterization", {"factor": 1}),
    ("RandomColorDegeneration", {"factor": (0.3, 0.3)}),
    ("RandomSaturation", {"factor": (0.3, 0.3)}),
    ("RandomSaturation", {"factor": (0.5, 0.5)}),
    ("RandomSharpness", {"factor": (0.2, 0.2)}),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "sigma": (0.5, 0.5)}),
    ("RandomGaussianBlur", {"factor": (1.0, 1.0), "kernel_size": 5, "sigma": (0.8, 0.8)}),
    ("RandomHue", {"factor": (0.0, 0.0)}),
    ("RandomErasing", {"factor": (0.0, 0.0)}),
    ("RandomPerspective", {"factor": (1.0, 1.0), "scale": 0.0}),
    ("RandomColorJitter", {"saturation_factor": (0.4, 0.4)}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (3, 2)}),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"clip_limit": 0.0,
                                                      "tile_grid_size": (2, 4)}),
    ("RandAugment", {"num_ops": 0}),
]


def _images(rng: np.random.Generator, scale: float = 255.0) -> np.ndarray:
    x = rng.random((2, 8, 9, 3)) * scale
    x[1, :, :, 2] = 0.25 * scale  # a constant channel
    return x.astype("float32")


@pytest.mark.parametrize("name,kwargs", DETERMINISTIC,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(DETERMINISTIC)])
def test_deterministic_outputs_and_configs(keras: Any, rng: Any, close: Any, name: str,
                                           kwargs: dict) -> None:
    scale = 1.0 if kwargs.get("value_range") == (0, 1) else 255.0
    x = _images(rng, scale)
    ours = getattr(tw.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    close(ours(x), theirs(x), rtol=1e-5, atol=1e-4 * scale, what=name)
    close(ours(x, training=False), theirs(x, training=False), what=f"{name} inference")
    _same_config(ours.get_config(), theirs.get_config(), name)


def _plain(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_plain(u) for u in v]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _same_config(ours: dict, theirs: dict, name: str) -> None:
    for key, value in theirs.items():
        if key in ("name", "dtype", "trainable", "data_format"):
            continue
        assert key in ours, f"{name}: config key {key!r} missing (Keras: {value!r})"
        assert _plain(ours[key]) == _plain(value), (
            f"{name}.{key}: ours {ours[key]!r}, Keras {value!r}")


CONFIG_ONLY = [
    ("RandomShear", {"x_factor": 0.3, "y_factor": (0.1, 0.2)}),
    ("RandomErasing", {"scale": (0.1, 0.3), "fill_value": 7.0}),
    ("MixUp", {"alpha": 0.4, "seed": 3}),
    ("CutMix", {"factor": 0.5, "seed": 3}),
    ("RandomElasticTransform", {"factor": 0.5, "scale": 0.3}),
    ("RandomColorJitter", {"brightness_factor": 0.2, "contrast_factor": 0.3,
                           "hue_factor": 0.1, "seed": 2}),
    ("RandomHue", {"factor": 0.3}),
    ("RandomPerspective", {"factor": 0.5, "scale": 0.4, "fill_value": 1.0}),
    ("RandAugment", {"num_ops": 3, "factor": 0.4, "seed": 1}),
    ("AugMix", {"num_chains": 2, "chain_depth": 2, "alpha": 0.5, "all_ops": False}),
    ("MaxNumBoundingBoxes", {"max_number": 3, "fill_value": -2,
                             "bounding_box_format": "xyxy"}),
]


def test_max_num_bounding_boxes(keras: Any, rng: Any, close: Any) -> None:
    data = {"images": _images(rng),
            "bounding_boxes": {"boxes": rng.random((2, 5, 4)).astype("float32"),
                               "labels": np.arange(10, dtype="int32").reshape(2, 5)}}
    for m in (3, 7):
        ours = tw.layers.MaxNumBoundingBoxes(m, bounding_box_format="xyxy")(dict(data))
        theirs = keras.layers.MaxNumBoundingBoxes(m, bounding_box_format="xyxy")(dict(data))
        for key in ("boxes", "labels"):
            close(ours["bounding_boxes"][key], theirs["bounding_boxes"][key], what=key)
        close(ours["images"], theirs["images"], what="images")


@pytest.mark.parametrize("name", ["RandAugment", "AugMix"])
def test_policies_stay_in_range_and_repeat(name: str, rng: Any) -> None:
    x = _images(rng)
    layer = getattr(tw.layers, name)(seed=4)
    a = np.asarray(layer(x))
    b = np.asarray(getattr(tw.layers, name)(seed=4)(x))
    assert a.shape == x.shape and np.isfinite(a).all()
    assert a.min() >= 0 and a.max() <= 255
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, x)


@pytest.mark.parametrize("name,kwargs", CONFIG_ONLY, ids=[n for n, _ in CONFIG_ONLY])
def test_configs_of_random_settings(keras: Any, name: str, kwargs: dict) -> None:
    ours = getattr(tw.layers, name)(**kwargs)
    theirs = getattr(keras.layers, name)(**kwargs)
    _same_config(ours.get_config(), theirs.get_config(), name)
    again = type(ours).from_config(ours.get_config())
    assert again.get_config() == ours.get_config()


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_mixing_properties(backend: str, rng: Any) -> None:
    x = _images(rng)[:, :6, :5]
    x = np.concatenate([x, x[::-1] * 0.5], axis=0)
    with tw.backend_scope(backend):
        mixed = np.asarray(tw.layers.MixUp(alpha=0.4, seed=1)(x))
        cut = np.asarray(tw.layers.CutMix(seed=1)(x))
        erased = np.asarray(tw.layers.RandomErasing(factor=(1.0, 1.0), fill_value=-1.0,
                                                    value_range=(-1, 255), seed=1)(x))
    # MixUp: each image is a convex combination of itself and one other image
    for i in range(len(x)):
        ok = False
        for j in range(len(x)):
            d = x[i] - x[j]
            if np.abs(d).max() == 0:
                ok = ok or np.allclose(mixed[i], x[i], atol=1e-3)
                continue
            w = float(np.sum((mixed[i] - x[j]) * d) / np.sum(d * d))
            ok = ok or (-1e-4 <= w <= 1 + 1e-4
                        and np.allclose(mixed[i], w * x[i] + (1 - w) * x[j], atol=1e-3))
        assert ok, f"MixUp image {i} is not a mix of two images"
    # CutMix: every pixel comes from the image itself or from one other image
    for i in range(len(x)):
        own = np.all(cut[i] == x[i], axis=-1)
        if own.all():
            continue
        donors = [j for j in range(len(x))
                  if np.array_equal(cut[i][~own], x[j][~own])]
        assert donors, f"CutMix image {i}: pasted pixels match no image"
    # RandomErasing: a rectangle of -1 in each image, the rest untouched
    for i in range(len(x)):
        hit = np.all(erased[i] == -1.0, axis=-1)
        assert hit.any()
        rows, cols = np.where(hit)
        box = hit[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all()
        np.testing.assert_array_equal(erased[i][~hit], x[i][~hit])


def test_random_layers_run_in_fit_and_are_identity_in_predict(rng: Any) -> None:
    x = _images(rng)
    y = np.array([0, 1])
    layers = [tw.layers.RandomHue(0.2, seed=1), tw.layers.RandomSaturation(0.3, seed=2),
              tw.layers.RandomShear(0.2, 0.2, seed=3), tw.layers.RandomPerspective(seed=4),
              tw.layers.RandomGaussianBlur(seed=5), tw.layers.RandomErasing(seed=6),
              tw.layers.RandomElasticTransform(seed=7), tw.layers.CutMix(seed=8),
              tw.layers.MixUp(seed=9), tw.layers.RandomColorJitter(
                  brightness_factor=0.1, contrast_factor=0.2, seed=10)]
    model = tw.Sequential([tw.Input((8, 9, 3)), *layers, tw.layers.Flatten(),
                           tw.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    head = tw.Sequential([tw.Input((8, 9, 3)), tw.layers.Flatten(), model.layers[-1]])
    np.testing.assert_allclose(model.predict(x, verbose=0), head.predict(x, verbose=0),
                               rtol=1e-6)


def test_direct_calls_augment_as_in_keras(keras: Any, rng: Any) -> None:
    x = _images(rng)
    for name in ("RandomFlip", "RandomContrast"):
        arg = () if name == "RandomFlip" else (0.5,)
        theirs = np.asarray(getattr(keras.layers, name)(*arg, seed=1)(x))
        ours = np.asarray(getattr(tw.layers, name)(*arg, seed=1)(x))
        assert not np.allclose(theirs, x) and not np.allclose(ours, x), name
