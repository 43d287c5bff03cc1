"""Image preprocessing and augmentation layers (Resizing, CenterCrop, RandomCrop,
RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
RandomBrightness).

Oracles are NumPy, written here: ``np.rot90`` and ``np.flip`` for exact rotations and
flips, shifted ``np.pad`` arrays for integer translations (``symmetric``/``wrap``/``edge``/
``constant`` are the layers' ``reflect``/``wrap``/``nearest``/``constant``), a padded-array
bilinear sampler for arbitrary angles, the half-pixel bilinear formula for Resizing, and
the contrast and brightness formulas. The random draws an oracle needs are re-drawn with
``tw.random.uniform`` and the layer's seed (a layer's first draw is the seed's first draw).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError

L = tw.layers
RNG = np.random.default_rng(7)


def as_np(t) -> np.ndarray:  # noqa: ANN001
    return np.asarray(tw.convert_to_numpy(t))


def images(*shape: int) -> np.ndarray:
    return RNG.uniform(0, 255, size=shape)


def first_draw(seed: int, n: int, lower: float, upper: float) -> np.ndarray:
    """What a layer seeded with ``seed`` draws first for ``n`` samples."""
    u = as_np(tw.random.uniform((n,), dtype="float64", seed=seed))
    return u * (upper - lower) + lower


_PAD_MODE = {"reflect": "symmetric", "wrap": "wrap", "nearest": "edge",
             "constant": "constant"}


def np_sample(img: np.ndarray, x: np.ndarray, y: np.ndarray, fill_mode: str,
              fill_value: float = 0.0, nearest: bool = False) -> np.ndarray:
    """Sample one ``(h, w, c)`` image at float coordinates (column ``x``, row ``y``) with
    bilinear (or nearest) interpolation from a padded copy of the image."""
    h, w, _ = img.shape
    p = 2 * max(h, w)
    kw = {"constant_values": fill_value} if fill_mode == "constant" else {}
    padded = np.pad(img, ((p, p), (p, p), (0, 0)), mode=_PAD_MODE[fill_mode], **kw)
    if nearest:
        return padded[np.round(y).astype(int) + p, np.round(x).astype(int) + p]
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = (x - x0)[..., None], (y - y0)[..., None]
    xi, yi = x0.astype(int) + p, y0.astype(int) + p
    return (padded[yi, xi] * (1 - fx) * (1 - fy) + padded[yi, xi + 1] * fx * (1 - fy)
            + padded[yi + 1, xi] * (1 - fx) * fy + padded[yi + 1, xi + 1] * fx * fy)


# ---- rotation ------------------------------------------------------------------------------
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("turn,k", [(0.25, 1), (-0.25, -1), (0.5, 2)])
def test_quarter_turns_are_rot90(interpolation, turn, k):
    x = images(3, 6, 6, 2)
    layer = L.RandomRotation((turn, turn), interpolation=interpolation, dtype="float64")
    y = as_np(layer(x, training=True))
    np.testing.assert_array_equal(y, np.rot90(x, k=k, axes=(1, 2)))


def test_rotation_channels_first_and_unbatched():
    x = images(2, 3, 5, 5)  # channels first
    y = as_np(L.RandomRotation((0.25, 0.25), data_format="channels_first",
                               dtype="float64")(x, training=True))
    np.testing.assert_array_equal(y, np.rot90(x, k=1, axes=(2, 3)))
    single = images(5, 5, 3)
    y1 = as_np(L.RandomRotation((0.25, 0.25), dtype="float64")(single, training=True))
    np.testing.assert_array_equal(y1, np.rot90(single, k=1, axes=(0, 1)))


@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "nearest", "constant"])
def test_random_angles_against_a_numpy_bilinear_sampler(fill_mode):
    x = images(4, 7, 9, 2)
    layer = L.RandomRotation(0.3, fill_mode=fill_mode, fill_value=-5.0, seed=11,
                             dtype="float64")
    y = as_np(layer(x, training=True))
    theta = 2 * np.pi * first_draw(11, 4, -0.3, 0.3)
    h, w = 7, 9
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    for i in range(4):
        c, s = np.cos(theta[i]), np.sin(theta[i])
        # rotate the output grid about the centre to find where each pixel reads from
        xs = c * (cols - (w - 1) / 2) - s * (rows - (h - 1) / 2) + (w - 1) / 2
        ys = s * (cols - (w - 1) / 2) + c * (rows - (h - 1) / 2) + (h - 1) / 2
        want = np_sample(x[i], xs, ys, fill_mode, -5.0)
        np.testing.assert_allclose(y[i], want, rtol=1e-9, atol=1e-9)
    # every sample got its own angle
    assert len({round(t, 12) for t in theta}) == 4


# ---- translation and zoom ------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode", ["reflect", "wrap", "nearest", "constant"])
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_integer_translations_are_shifted_padded_arrays(fill_mode, interpolation):
    x = images(2, 5, 10, 3)
    # height 5 * 0.4 = 2 rows down, width 10 * -0.3 = 3 columns left
    layer = L.RandomTranslation((0.4, 0.4), (-0.3, -0.3), fill_mode=fill_mode,
                                interpolation=interpolation, fill_value=9.0,
                                dtype="float64")
    y = as_np(layer(x, training=True))
    p = 10
    kw = {"constant_values": 9.0} if fill_mode == "constant" else {}
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), mode=_PAD_MODE[fill_mode], **kw)
    want = padded[:, p - 2:p - 2 + 5, p + 3:p + 3 + 10]
    np.testing.assert_array_equal(y, want)


def test_translation_channels_first_matches_channels_last():
    x = images(3, 6, 6, 2)
    last = L.RandomTranslation(0.3, 0.3, seed=4, dtype="float64")(x, training=True)
    first = L.RandomTranslation(0.3, 0.3, seed=4, data_format="channels_first",
                                dtype="float64")(np.moveaxis(x, -1, 1), training=True)
    np.testing.assert_allclose(np.moveaxis(as_np(first), 1, -1), as_np(last), rtol=1e-12)


def test_zoom_factor_zero_is_identity_and_zoom_matches_the_sampler():
    x = images(2, 6, 8, 3)
    np.testing.assert_array_equal(as_np(L.RandomZoom(0.0, dtype="float64")(x, training=True)),
                                  x)
    layer = L.RandomZoom((-0.5, 0.4), (0.1, 0.2), fill_mode="constant", seed=3,
                         dtype="float64")
    y = as_np(layer(x, training=True))
    gen = tw.random.SeedGenerator(3)
    zy = 1 + (as_np(tw.random.uniform((2,), dtype="float64", seed=gen)) * 0.9 - 0.5)
    zx = 1 + (as_np(tw.random.uniform((2,), dtype="float64", seed=gen)) * 0.1 + 0.1)
    rows, cols = np.meshgrid(np.arange(6), np.arange(8), indexing="ij")
    for i in range(2):
        xs = zx[i] * (cols - 3.5) + 3.5
        ys = zy[i] * (rows - 2.5) + 2.5
        np.testing.assert_allclose(y[i], np_sample(x[i], xs, ys, "constant"), rtol=1e-9,
                                   atol=1e-9)
    # width_factor=None zooms both axes by the same draw: a 2x zoom-in keeps the centre
    sq = images(1, 4, 4, 1)
    z = as_np(L.RandomZoom((-0.5, -0.5), interpolation="nearest",
                           dtype="float64")(sq, training=True))
    rows, cols = np.meshgrid(np.arange(4), np.arange(4), indexing="ij")
    want = np_sample(sq[0], 0.5 * cols + 0.75, 0.5 * rows + 0.75, "reflect", nearest=True)
    np.testing.assert_array_equal(z[0], want)


# ---- flips ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode,axes", [("horizontal", [(2,)]), ("vertical", [(1,)]),
                                       ("horizontal_and_vertical",
                                        [(1,), (2,), (1, 2)])])
def test_flips_are_np_flip_per_sample(mode, axes):
    x = images(24, 4, 5, 2)
    y = as_np(L.RandomFlip(mode, seed=5, dtype="float64")(x, training=True))
    seen = set()
    for i in range(len(x)):
        options = {(): x[i]} | {a: np.flip(x[i], axis=tuple(d - 1 for d in a)) for a in axes}
        match = [a for a, v in options.items() if np.array_equal(y[i], v)]
        assert match, i
        seen.add(match[0])
    assert seen == {()} | set(axes)  # both outcomes occur in a batch of 24


# ---- identity at inference, seeds, backends ------------------------------------------------
RANDOM_LAYERS = [
    lambda **k: L.RandomFlip(seed=1, **k),
    lambda **k: L.RandomRotation(0.2, seed=1, **k),
    lambda **k: L.RandomZoom(0.3, seed=1, **k),
    lambda **k: L.RandomTranslation(0.2, 0.3, seed=1, **k),
    lambda **k: L.RandomContrast(0.5, seed=1, **k),
    lambda **k: L.RandomBrightness(0.3, seed=1, **k),
]


@pytest.mark.parametrize("make", RANDOM_LAYERS)
def test_random_layers_are_the_identity_at_inference(make):
    x = images(3, 6, 6, 2)
    np.testing.assert_array_equal(as_np(make(dtype="float64")(x, training=False)), x)
    assert not np.allclose(as_np(make(dtype="float64")(x, training=True)), x)
    # as in Keras 3 (checked in tests/oracle): a direct call augments (call's training
    # defaults to True), and so does a direct model call; predict does not
    assert not np.allclose(as_np(make(dtype="float64")(x)), x)
    model = tw.Sequential([tw.Input((6, 6, 2)), make(dtype="float64")])
    assert not np.allclose(as_np(model(x)), x)
    # (the model's Input is float32)
    np.testing.assert_array_equal(model.predict(x, verbose=0), x.astype("float32"))


@pytest.mark.parametrize("make", RANDOM_LAYERS + [lambda **k: L.RandomCrop(4, 3, seed=1, **k)])
def test_seeded_layers_repeat_and_match_on_the_python_backend(make):
    x = images(6, 5, 6, 2)
    layer = make(dtype="float64")
    first = as_np(layer(x, training=True))
    second = as_np(layer(x, training=True))
    assert not np.array_equal(first, second)  # the generator moves on
    np.testing.assert_array_equal(as_np(make(dtype="float64")(x, training=True)), first)
    with tw.backend_scope("python"):
        got = as_np(make(dtype="float64")(x, training=True))
    if isinstance(layer, L.RandomContrast):  # a mean: the summation order may differ
        np.testing.assert_allclose(got, first, rtol=1e-12, atol=1e-9)
    else:
        np.testing.assert_array_equal(got, first)


# ---- resizing and crops --------------------------------------------------------------------
def np_resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Half-pixel bilinear resize of a batch ``(b, h, w, c)``, coordinate by coordinate."""
    b, h, w, c = img.shape
    out = np.zeros((b, out_h, out_w, c))
    for i in range(out_h):
        for j in range(out_w):
            sy = min(max((i + 0.5) * h / out_h - 0.5, 0), h - 1)
            sx = min(max((j + 0.5) * w / out_w - 0.5, 0), w - 1)
            y0, x0 = int(np.floor(sy)), int(np.floor(sx))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            fy, fx = sy - y0, sx - x0
            out[:, i, j] = (img[:, y0, x0] * (1 - fy) * (1 - fx) + img[:, y0, x1] * (1 - fy) * fx
                            + img[:, y1, x0] * fy * (1 - fx) + img[:, y1, x1] * fy * fx)
    return out


@pytest.mark.parametrize("size", [(9, 13), (3, 2), (5, 7)])
def test_resizing_bilinear_against_the_half_pixel_formula(size):
    x = images(2, 5, 7, 3)
    y = as_np(L.Resizing(*size, dtype="float64")(x))
    np.testing.assert_allclose(y, np_resize_bilinear(x, *size), rtol=1e-12, atol=1e-9)
    # channels first and unbatched give the same numbers
    cf = as_np(L.Resizing(*size, data_format="channels_first",
                          dtype="float64")(np.moveaxis(x, -1, 1)))
    np.testing.assert_allclose(np.moveaxis(cf, 1, -1), y, rtol=1e-12)
    np.testing.assert_allclose(as_np(L.Resizing(*size, dtype="float64")(x[0])), y[0],
                               rtol=1e-12)


def test_resizing_nearest_and_crop_to_aspect_ratio():
    x = images(1, 4, 6, 1)
    y = as_np(L.Resizing(8, 3, interpolation="nearest", dtype="float64")(x))
    rows = np.minimum(np.floor((np.arange(8) + 0.5) * 4 / 8), 3).astype(int)
    cols = np.minimum(np.floor((np.arange(3) + 0.5) * 6 / 3), 5).astype(int)
    np.testing.assert_array_equal(y, x[:, rows][:, :, cols])
    # a 4x6 image to a square: crop the central 4x4, then resize
    sq = as_np(L.Resizing(2, 2, crop_to_aspect_ratio=True, dtype="float64")(x))
    np.testing.assert_allclose(sq, np_resize_bilinear(x[:, :, 1:5], 2, 2), rtol=1e-12)
    # the model's output shape is known without data
    inp = tw.Input((4, 6, 1))
    assert tuple(L.Resizing(8, 3)(inp).shape) == (None, 8, 3, 1)


def test_center_crop():
    x = images(2, 7, 8, 3)
    y = as_np(L.CenterCrop(3, 4, dtype="float64")(x))
    np.testing.assert_array_equal(y, x[:, 2:5, 2:6])
    y1 = as_np(L.CenterCrop(3, 4, data_format="channels_first",
                            dtype="float64")(np.moveaxis(x, -1, 1)))
    np.testing.assert_array_equal(np.moveaxis(y1, 1, -1), y)
    up = as_np(L.CenterCrop(10, 10, dtype="float64")(x))  # larger: resized instead
    np.testing.assert_allclose(up, np_resize_bilinear(x[:, :, 0:7], 10, 10), rtol=1e-12)


def test_random_crop_windows_per_sample_and_centre_at_inference():
    x = images(6, 8, 9, 2)
    layer = L.RandomCrop(4, 5, seed=2, dtype="float64")
    y = as_np(layer(x, training=True))
    assert y.shape == (6, 4, 5, 2)
    offsets = []
    for i in range(6):
        hits = [(t, s) for t in range(5) for s in range(5)
                if np.array_equal(y[i], x[i, t:t + 4, s:s + 5])]
        assert len(hits) == 1, i
        offsets.append(hits[0])
    assert len(set(offsets)) > 1
    tops = np.floor(first_draw(2, 6, 0.0, 5.0)).astype(int)
    assert [t for t, _ in offsets] == list(tops)
    # inference: the central 4:5 window (7 x 9 of the 8 x 9 image), resized
    np.testing.assert_allclose(as_np(layer(x, training=False)),
                               np_resize_bilinear(x[:, 0:7], 4, 5),
                               rtol=1e-12)
    # unbatched and smaller than the target
    single = as_np(layer(x[0], training=True))
    assert single.shape == (4, 5, 2)
    assert as_np(L.RandomCrop(10, 10, seed=1)(x, training=True)).shape == (6, 10, 10, 2)


# ---- colour --------------------------------------------------------------------------------
def test_contrast_formula():
    x = images(4, 5, 6, 3)
    layer = L.RandomContrast((0.2, 0.5), value_range=(-1e6, 1e6), seed=8, dtype="float64")
    y = as_np(layer(x, training=True))
    f = first_draw(8, 4, 1 - 0.2, 1 + 0.5)
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) * f[:, None, None, None] + mean, rtol=1e-12)
    clipped = as_np(L.RandomContrast(0.9, seed=8, dtype="float64")(x, training=True))
    assert clipped.min() >= 0 and clipped.max() <= 255
    cf = as_np(L.RandomContrast((0.2, 0.5), value_range=(-1e6, 1e6), seed=8,
                                data_format="channels_first",
                                dtype="float64")(np.moveaxis(x, -1, 1), training=True))
    np.testing.assert_allclose(np.moveaxis(cf, 1, -1), y, rtol=1e-12)


def test_brightness_formula():
    x = RNG.uniform(0.2, 0.8, size=(5, 4, 4, 3))
    layer = L.RandomBrightness((-0.1, 0.15), value_range=(0, 1), seed=9, dtype="float64")
    y = as_np(layer(x, training=True))
    delta = first_draw(9, 5, -0.1, 0.15)
    np.testing.assert_allclose(y, x + delta[:, None, None, None], rtol=1e-12)
    big = as_np(L.RandomBrightness((0.9, 1.0), value_range=(0, 1), seed=9,
                                   dtype="float64")(x, training=True))
    np.testing.assert_array_equal(big, np.ones_like(x))  # clipped to the range
    one = as_np(L.RandomBrightness(0.5, seed=9, dtype="float64")(x[0] * 255, training=True))
    assert one.shape == (4, 4, 3)


# ---- inside a model, configs, errors -------------------------------------------------------
def test_augmentation_trains_inside_fit():
    tw.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, size=(32, 8, 8, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 127.5).astype("int32")
    model = tw.Sequential([
        tw.Input((8, 8, 1)),
        L.RandomFlip(seed=1),
        L.RandomRotation(0.1, seed=2),
        L.Rescaling(1 / 255.0),
        L.Conv2D(4, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(2),
    ])
    model.compile(loss=tw.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tw.optimizers.Adam(0.05))
    state = model.layers[0].seed_generator.state.numpy().copy()
    hist = model.fit(x, y, epochs=4, batch_size=8, verbose=0).history["loss"]
    assert np.isfinite(hist).all() and hist[-1] < hist[0]
    assert not np.array_equal(model.layers[0].seed_generator.state.numpy(), state)
    # predict runs the augmentation as the identity: deterministic
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


ALL_LAYERS = [
    lambda: L.Resizing(4, 3, interpolation="nearest", crop_to_aspect_ratio=True),
    lambda: L.CenterCrop(3, 3),
    lambda: L.RandomCrop(3, 4, seed=3),
    lambda: L.RandomFlip("vertical", seed=3),
    lambda: L.RandomRotation((-0.1, 0.2), fill_mode="constant", fill_value=1.0, seed=3),
    lambda: L.RandomZoom(0.2, (-0.1, 0.3), interpolation="nearest", seed=3),
    lambda: L.RandomTranslation(0.1, 0.2, fill_mode="wrap", seed=3),
    lambda: L.RandomContrast(0.3, value_range=(0, 1), seed=3),
    lambda: L.RandomBrightness([-0.2, 0.1], value_range=(0, 1), seed=3),
]


@pytest.mark.parametrize("make", ALL_LAYERS)
def test_config_round_trips(make):
    x = RNG.uniform(0, 1, size=(2, 5, 6, 3)).astype("float32")
    layer = make()
    cfg = json.loads(json.dumps(tw.saving.serialize_layer(layer)))
    clone = tw.saving.deserialize_layer(cfg)
    assert type(clone) is type(layer)
    np.testing.assert_array_equal(as_np(clone(x, training=True)),
                                  as_np(make()(x, training=True)))
    out_shape = layer.compute_output_shape((None, 5, 6, 3))
    assert tuple(out_shape) == (None, *as_np(layer(x)).shape[1:])
    assert type(getattr(L, type(layer).__name__)) is type


@pytest.mark.parametrize("make,match", [
    (lambda: L.RandomRotation(1.5, name="bad"), "RandomRotation 'bad'.*'factor'"),
    (lambda: L.RandomRotation((0.1, 0.2, 0.3), name="bad"), "RandomRotation 'bad'.*'factor'"),
    (lambda: L.RandomRotation("big", name="bad"), "RandomRotation 'bad'.*'factor'"),
    (lambda: L.RandomRotation(0.1, fill_mode="mirror", name="bad"),
     "RandomRotation 'bad'.*'fill_mode'"),
    (lambda: L.RandomZoom(0.1, interpolation="bicubic", name="bad"),
     "RandomZoom 'bad'.*'interpolation'"),
    (lambda: L.RandomZoom(0.1, width_factor=-2, name="bad"), "RandomZoom 'bad'.*'width_factor'"),
    (lambda: L.RandomTranslation(0.1, [0.5, 1.5], name="bad"),
     "RandomTranslation 'bad'.*'width_factor'"),
    (lambda: L.RandomFlip("diagonal", name="bad"), "RandomFlip 'bad'.*'mode'"),
    (lambda: L.RandomContrast(-0.1, name="bad"), "RandomContrast 'bad'.*'factor'"),
    (lambda: L.RandomContrast(0.1, value_range=(1, 1), name="bad"),
     "RandomContrast 'bad'.*'value_range'"),
    (lambda: L.RandomBrightness(True, name="bad"), "RandomBrightness 'bad'.*'factor'"),
    (lambda: L.Resizing(0, 3, name="bad"), "Resizing 'bad'.*'height'"),
    (lambda: L.Resizing(3, 3, interpolation="cubicle", name="bad"),
     "Resizing 'bad'.*'interpolation'"),
    (lambda: L.CenterCrop(3, 2.5, name="bad"), "CenterCrop 'bad'.*'width'"),
    (lambda: L.RandomCrop(3, 3, data_format="nhwc", name="bad"),
     "RandomCrop 'bad'.*'data_format'"),
])
def test_bad_arguments_name_the_layer_and_argument(make, match):
    with pytest.raises(InvalidArgumentError, match=match):
        make()


def test_inputs_of_the_wrong_rank_are_rejected():
    with pytest.raises(InvalidArgumentError, match="RandomFlip.*'inputs'.*3 dimensions"):
        L.RandomFlip()(np.zeros((2, 3)), training=True)
    with pytest.raises(InvalidArgumentError, match="Resizing.*'inputs'"):
        L.Resizing(2, 2)(np.zeros((1, 2, 3, 4, 5)))


def test_gradients_through_resizing_and_cropping():
    from test_layers import check_grads

    x = RNG.standard_normal((1, 3, 4, 2))
    check_grads(L.Resizing(5, 3, dtype="float64"), x)
    check_grads(L.CenterCrop(2, 2, dtype="float64"), x)
