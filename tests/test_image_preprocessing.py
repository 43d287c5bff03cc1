"""``tw.preprocessing.image`` (Keras 2's ImageDataGenerator & co) and
``tw.utils.image_dataset_from_directory``, on small PNG folders drawn here with Pillow.

Each transform is checked against an independent oracle (``np.rot90``, ``np.roll``,
``np.flip``, a scalar per-pixel reference, Pillow's own ``ImageEnhance``), and the
iterators against what Keras documents (sorted classes and files, validation = the first
fraction of each class folder, seeded streams repeat).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image, ImageDraw, ImageEnhance  # noqa: E402

import tensorweave as tw  # noqa: E402
from tensorweave import layers  # noqa: E402
from tensorweave.errors import (  # noqa: E402
    DTypeError,
    InvalidArgumentError,
    MissingDependencyError,
    ShapeError,
    TensorweaveError,
)
from tensorweave.preprocessing.image import (  # noqa: E402
    ImageDataGenerator,
    apply_affine_transform,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)

CLASSES = ("circle", "rectangle", "triangle")


def draw_shapes(root, per_class: int, seed: int, size: int = 24) -> None:
    """One folder per class of ``size``x``size`` white PNGs with a black outlined shape of
    random centre and radius (the CNN tutorial's hand-drawn shapes)."""
    rng = np.random.RandomState(seed)
    for cls in CLASSES:
        folder = os.path.join(root, cls)
        os.makedirs(folder, exist_ok=True)
        for i in range(per_class):
            img = Image.new("RGB", (size, size), "white")
            pen = ImageDraw.Draw(img)
            cx, cy = rng.uniform(0.38 * size, 0.62 * size, 2)
            r = rng.uniform(0.2 * size, 0.33 * size)
            box = [cx - r, cy - r, cx + r, cy + r]
            if cls == "circle":
                pen.ellipse(box, outline="black", width=2)
            elif cls == "rectangle":
                pen.rectangle(box, outline="black", width=2)
            else:
                pen.polygon([(cx, cy - r), (cx - r, cy + r), (cx + r, cy + r)],
                            outline="black", width=2)
            img.save(os.path.join(folder, f"{cls}_{i:02d}.png"))


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    draw_shapes(root / "train", 20, seed=0)
    draw_shapes(root / "test", 8, seed=1)
    # a non-image file is skipped; an image in a nested folder belongs to its class
    (root / "train" / "circle" / "notes.txt").write_text("not an image")
    os.makedirs(root / "train" / "circle" / "more")
    Image.new("RGBA", (30, 20), (255, 0, 0, 128)).save(root / "train" / "circle" / "more" /
                                                       "z.png")
    return root


def _gen(**kw) -> ImageDataGenerator:
    return ImageDataGenerator(**kw)


# ---- folders -----------------------------------------------------------------------------------
def test_flow_from_directory_attributes_follow_keras(shapes, capsys):
    it = _gen().flow_from_directory(shapes / "train", target_size=(24, 24), batch_size=7)
    assert "Found 61 images belonging to 3 classes." in capsys.readouterr().out
    assert it.class_indices == {"circle": 0, "rectangle": 1, "triangle": 2}
    assert it.num_classes == 3 and it.samples == it.n == 61 and it.batch_size == 7
    assert len(it) == math.ceil(61 / 7)
    names = [f"circle/circle_{i:02d}.png" for i in range(20)] + \
        [os.path.join("circle", "more", "z.png")] + \
        [f"{c}/{c}_{i:02d}.png" for c in CLASSES[1:] for i in range(20)]
    assert it.filenames == [n.replace("/", os.sep) for n in names]
    assert it.classes.dtype == np.int32
    assert it.classes.tolist() == [0] * 21 + [1] * 20 + [2] * 20
    assert it.filepaths[0] == os.path.join(str(shapes / "train"), it.filenames[0])
    assert it.image_shape == (24, 24, 3)
    assert isinstance(it, tw.utils.PyDataset) and isinstance(it, tw.utils.Sequence)


def test_classes_argument_picks_and_orders_folders(shapes):
    it = _gen().flow_from_directory(shapes / "train", classes=["triangle", "circle"],
                                    target_size=(24, 24))
    assert it.class_indices == {"triangle": 0, "circle": 1}
    assert it.classes.tolist() == [0] * 20 + [1] * 21


@pytest.mark.parametrize("class_mode", ["categorical", "sparse", "binary", "input", None])
def test_class_modes_give_keras_labels(shapes, class_mode):
    classes = ["circle", "triangle"] if class_mode == "binary" else None
    it = _gen(rescale=1 / 255).flow_from_directory(
        shapes / "train", target_size=(24, 24), batch_size=8, shuffle=False,
        classes=classes, class_mode=class_mode)
    batch = it[0]
    if class_mode is None:
        assert isinstance(batch, np.ndarray) and batch.shape == (8, 24, 24, 3)
        return
    x, y = batch
    assert x.shape == (8, 24, 24, 3) and x.dtype == np.float32
    expect = it.classes[:8]
    if class_mode == "categorical":
        assert y.shape == (8, it.num_classes) and y.dtype == np.float32
        np.testing.assert_array_equal(y, np.eye(it.num_classes, dtype=np.float32)[expect])
    elif class_mode in ("sparse", "binary"):
        assert y.shape == (8,) and y.dtype == np.float32
        np.testing.assert_array_equal(y, expect.astype(np.float32))
    else:
        np.testing.assert_array_equal(y, x)
    if class_mode == "binary":
        assert set(it.classes.tolist()) == {0, 1}


@pytest.mark.parametrize("color_mode,mode,channels", [("grayscale", "L", 1), ("rgb", "RGB", 3),
                                                      ("rgba", "RGBA", 4)])
def test_color_modes_and_rescale_match_pillow(shapes, color_mode, mode, channels):
    it = _gen(rescale=1.0 / 255).flow_from_directory(
        shapes / "train", target_size=(24, 24), color_mode=color_mode, batch_size=4,
        shuffle=False, class_mode="sparse")
    x, _ = it[0]
    assert x.shape == (4, 24, 24, channels) and x.dtype == np.float32
    for i in range(4):
        raw = np.asarray(Image.open(it.filepaths[i]).convert(mode), dtype=np.float32)
        np.testing.assert_allclose(x[i], raw.reshape(24, 24, channels) * np.float32(1 / 255),
                                   rtol=1e-6)


def test_target_size_resizes_with_the_named_filter(shapes):
    it = _gen().flow_from_directory(shapes / "train", target_size=(12, 16), batch_size=2,
                                    shuffle=False, interpolation="bilinear")
    x, _ = it[0]
    assert x.shape == (2, 12, 16, 3)
    want = Image.open(it.filepaths[0]).convert("RGB").resize((16, 12), Image.BILINEAR)
    np.testing.assert_array_equal(x[0], np.asarray(want, dtype=np.float32))
    # an image of another size (the nested 30x20 one) is resized too
    k = it.filenames.index(os.path.join("circle", "more", "z.png"))
    assert it[k // 2][0][k % 2].shape == (12, 16, 3)


def test_channels_first(shapes):
    gen = _gen(data_format="channels_first", rotation_range=10)
    it = gen.flow_from_directory(shapes / "train", target_size=(24, 24), batch_size=2,
                                 color_mode="grayscale", seed=0)
    assert it.image_shape == (1, 24, 24)
    assert it[0][0].shape == (2, 1, 24, 24)


def test_validation_split_subsets_are_disjoint_and_cover_each_class(shapes):
    gen = _gen(validation_split=0.25)
    train = gen.flow_from_directory(shapes / "train", target_size=(24, 24), subset="training")
    val = gen.flow_from_directory(shapes / "train", target_size=(24, 24),
                                  subset="validation")
    full = _gen().flow_from_directory(shapes / "train", target_size=(24, 24))
    assert not set(train.filenames) & set(val.filenames)
    assert sorted(train.filenames + val.filenames) == sorted(full.filenames)
    # Keras: the validation part is the first int(0.25 * k) files of each class folder
    assert val.filenames[:5] == full.filenames[:5] and val.samples == 5 + 5 + 5
    assert train.samples == 61 - 15
    assert val.class_indices == train.class_indices == full.class_indices


def test_flow_validation_split_takes_the_first_fraction():
    x = np.random.RandomState(0).rand(20, 4, 4, 1).astype("float32")
    y = np.tile([0, 1], 10)
    gen = _gen(validation_split=0.2)
    val = gen.flow(x, y, subset="validation", shuffle=False, batch_size=100)
    train = gen.flow(x, y, subset="training", shuffle=False, batch_size=100)
    np.testing.assert_array_equal(val[0][0], x[:4])
    np.testing.assert_array_equal(train[0][0], x[4:])
    with pytest.raises(InvalidArgumentError, match="different classes"):
        gen.flow(x, np.sort(y), subset="training")


# ---- iteration, shuffling, seeds -------------------------------------------------------------
def _stream(it, k):
    return [next(it) for _ in range(k)]


def test_seeded_iterators_repeat_and_differ_by_seed(shapes):
    kw = dict(target_size=(24, 24), batch_size=5, class_mode="sparse")
    gen = _gen(rotation_range=30, zoom_range=0.2, horizontal_flip=True)
    a = _stream(gen.flow_from_directory(shapes / "train", seed=3, **kw), 15)
    b = _stream(gen.flow_from_directory(shapes / "train", seed=3, **kw), 15)
    c = _stream(gen.flow_from_directory(shapes / "train", seed=4, **kw), 15)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert any(not np.array_equal(xa, xc) for (xa, _), (xc, _) in zip(a, c))
    # indexing is reproducible too
    i1 = gen.flow_from_directory(shapes / "train", seed=9, **kw)
    i2 = gen.flow_from_directory(shapes / "train", seed=9, **kw)
    for i in (0, 3, 1):
        np.testing.assert_array_equal(i1[i][0], i2[i][0])


def test_next_visits_every_sample_once_per_epoch_then_reshuffles():
    x = np.arange(10, dtype="float32").reshape(10, 1, 1, 1)
    it = _gen().flow(x, np.arange(10), batch_size=4, seed=1)
    assert len(it) == 3
    epochs = []
    for _ in range(3):
        ys = np.concatenate([next(it)[1] for _ in range(len(it))])
        assert sorted(ys.tolist()) == list(range(10))  # every sample exactly once
        epochs.append(ys.tolist())
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]  # a new order per epoch
    # batch sizes follow Keras: full batches, then the remainder
    it.reset()
    assert [len(next(it)[1]) for _ in range(4)] == [4, 4, 2, 4]


def test_unshuffled_order_and_getitem_and_on_epoch_end():
    x = np.arange(7, dtype="float32").reshape(7, 1, 1, 1)
    it = _gen().flow(x, np.arange(7), batch_size=3, shuffle=False)
    assert [it[i][1].tolist() for i in range(len(it))] == [[0, 1, 2], [3, 4, 5], [6]]
    it2 = _gen().flow(x, np.arange(7), batch_size=7, shuffle=True, seed=0)
    first = it2[0][1].tolist()
    assert sorted(first) == list(range(7))
    orders = {tuple(first)}
    for _ in range(5):
        it2.on_epoch_end()
        orders.add(tuple(it2[0][1].tolist()))
    assert len(orders) > 1
    with pytest.raises(InvalidArgumentError, match="batch 3"):
        it[3]


def test_flow_outputs_sample_weight_and_extra_inputs():
    x = np.random.RandomState(0).rand(6, 4, 4, 3)
    y = np.arange(6)
    w = np.linspace(0.5, 1.0, 6)
    it = _gen().flow(x, y, sample_weight=w, batch_size=4, shuffle=False)
    bx, by, bw = it[0]
    assert bx.dtype == np.float32
    np.testing.assert_allclose(bx, x[:4].astype("float32"))
    np.testing.assert_array_equal(by, y[:4])
    np.testing.assert_array_equal(bw, w[:4])
    only_x = _gen().flow(x, batch_size=4, shuffle=False)[1]
    assert isinstance(only_x, np.ndarray) and only_x.shape == (2, 4, 4, 3)
    extra = np.arange(12).reshape(6, 2)
    (img, misc), by = _gen().flow((x, extra), y, batch_size=3, shuffle=False)[1]
    np.testing.assert_array_equal(misc, extra[3:])


# ---- transforms against independent oracles -----------------------------------------------
def _img(h=7, w=7, c=2, seed=0):
    return np.random.RandomState(seed).rand(h, w, c).astype("float32") * 255


def test_rotation_by_90_degrees_is_rot90():
    x = _img()
    out = _gen().apply_transform(x, {"theta": 90})
    # Keras's matrix rotates (row, col) coordinates; +90 degrees turns the picture clockwise
    np.testing.assert_allclose(out, np.rot90(x, k=-1, axes=(0, 1)), atol=1e-3)
    np.testing.assert_allclose(_gen().apply_transform(x, {"theta": -90}),
                               np.rot90(x, k=1, axes=(0, 1)), atol=1e-3)
    np.testing.assert_allclose(_gen().apply_transform(x, {"theta": 180}),
                               x[::-1, ::-1], atol=1e-3)
    xc = np.moveaxis(x, -1, 0)  # channels_first gives the same picture
    outc = _gen(data_format="channels_first").apply_transform(xc, {"theta": 90})
    np.testing.assert_allclose(np.moveaxis(outc, 0, -1), out, atol=1e-3)


@pytest.mark.parametrize("fill_mode", ["constant", "nearest", "reflect", "wrap"])
def test_whole_pixel_shifts_are_rolls_with_fill(fill_mode):
    x = _img(6, 8, 1)
    gen = _gen(fill_mode=fill_mode, cval=-5.0)
    # ty shifts columns (the width), tx rows (the height): out[r, c] = in[r + tx, c + ty]
    out = gen.apply_transform(x, {"ty": -3})
    np.testing.assert_allclose(out[:, 3:], x[:, :5], atol=1e-4)
    left = {"constant": np.full((6, 3, 1), -5.0), "nearest": np.repeat(x[:, :1], 3, axis=1),
            "reflect": x[:, 2::-1], "wrap": x[:, 5:]}[fill_mode]
    np.testing.assert_allclose(out[:, :3], left, atol=1e-4)
    out = gen.apply_transform(x, {"tx": 2})
    np.testing.assert_allclose(out[:4], x[2:], atol=1e-4)
    if fill_mode == "wrap":
        np.testing.assert_allclose(out, np.roll(x, -2, axis=0), atol=1e-4)


def test_fill_modes_on_a_known_pattern():
    # one row a b c d, shifted by its whole width: Keras's documented fill patterns
    row = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32").reshape(1, 4, 1)
    want = {"constant": [9, 9, 9, 9], "nearest": [1, 1, 1, 1], "reflect": [4, 3, 2, 1],
            "wrap": [1, 2, 3, 4]}
    for mode, expect in want.items():
        out = apply_affine_transform(row, ty=-4, row_axis=0, col_axis=1, channel_axis=2,
                                     fill_mode=mode, cval=9.0)
        np.testing.assert_allclose(out[0, :, 0], expect, atol=1e-5, err_msg=mode)


def test_width_shift_range_moves_columns_and_height_shift_range_rows():
    x = np.zeros((8, 12, 1), "float32")
    x[:, 6] = 255.0  # a vertical line: survives any vertical shift (fill nearest)
    wide = _gen(width_shift_range=0.25)
    p = wide.get_random_transform(x.shape, seed=0)
    assert p["tx"] == 0 and 0 < abs(p["ty"]) <= 3
    tall = _gen(height_shift_range=2)  # an int: whole pixels in {-1, 0, 1}
    draws = {tall.get_random_transform(x.shape, seed=s)["tx"] for s in range(40)}
    assert draws == {-1, 0, 1}
    out = tall.apply_transform(x, {"tx": 1})
    np.testing.assert_array_equal(out, x)  # vertical shift leaves a vertical line alone
    out = wide.apply_transform(x, {"ty": 2})
    assert out[:, 4].min() == 255.0 and out[:, 6].max() == 0.0


def test_flips_are_np_flip():
    x = _img(5, 6, 3)
    gen = _gen()
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}),
                                  np.flip(x, axis=1))
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}),
                                  np.flip(x, axis=0))
    seen = set()
    both = _gen(horizontal_flip=True, vertical_flip=True)
    for s in range(20):
        out = both.random_transform(x, seed=s)
        ok = [k for k, f in enumerate([x, x[:, ::-1], x[::-1], x[::-1, ::-1]])
              if np.array_equal(out, f)]
        assert len(ok) == 1
        seen.add(ok[0])
    assert seen == {0, 1, 2, 3}


def test_zoom_one_is_identity_and_zoom_two_samples_every_other_pixel():
    x = _img(5, 5, 1)
    np.testing.assert_array_equal(_gen(zoom_range=0.0).random_transform(x, seed=0), x)
    np.testing.assert_array_equal(_gen(zoom_range=[1, 1]).random_transform(x, seed=0), x)
    # zx = zy = 2 about the centre (2, 2): out[r, c] = in[2r - 2, 2c - 2], constant fill
    out = _gen(fill_mode="constant", cval=-1).apply_transform(x, {"zx": 2, "zy": 2})
    want = np.full_like(x, -1.0)
    for r in range(5):
        for c in range(5):
            if 0 <= 2 * r - 2 < 5 and 0 <= 2 * c - 2 < 5:
                want[r, c] = x[2 * r - 2, 2 * c - 2]
    np.testing.assert_allclose(out, want, atol=1e-4)


def _reference_affine(x, theta, tx, ty, shear, zx, zy):
    """Scalar per-pixel reference: Keras's matrix, bilinear, 'nearest' edges."""
    h, w, ch = x.shape
    t, s = math.radians(theta), math.radians(shear)
    rot = np.array([[math.cos(t), -math.sin(t), 0], [math.sin(t), math.cos(t), 0],
                    [0, 0, 1]])
    m = rot @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]) @ \
        np.array([[1, -math.sin(s), 0], [0, math.cos(s), 0], [0, 0, 1]]) @ \
        np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    oy, ox = (h - 1) / 2, (w - 1) / 2
    out = np.zeros_like(x, dtype=np.float64)
    for r in range(h):
        for c in range(w):
            rr, cc = r - oy, c - ox
            src_r = m[0, 0] * rr + m[0, 1] * cc + m[0, 2] + oy
            src_c = m[1, 0] * rr + m[1, 1] * cc + m[1, 2] + ox
            r0, c0 = math.floor(src_r), math.floor(src_c)
            acc = np.zeros(ch)
            for dr, wr in ((0, 1 - (src_r - r0)), (1, src_r - r0)):
                for dc, wc in ((0, 1 - (src_c - c0)), (1, src_c - c0)):
                    pr = min(max(r0 + dr, 0), h - 1)
                    pc = min(max(c0 + dc, 0), w - 1)
                    acc += wr * wc * x[pr, pc]
            out[r, c] = acc
    return out


def test_general_transform_matches_a_scalar_reference():
    x = _img(9, 11, 2, seed=3)
    params = {"theta": 23.0, "tx": 1.3, "ty": -0.6, "shear": 12.0, "zx": 0.9, "zy": 1.15}
    out = _gen().apply_transform(x, params)
    np.testing.assert_allclose(out, _reference_affine(x, **params), rtol=1e-4, atol=1e-3)
    # order 0 picks the nearest pixel: every output value is an input value
    near = _gen(interpolation_order=0).apply_transform(x, params)
    assert np.isin(near, x).all()


def test_channel_shift_and_brightness():
    x = _img(6, 6, 3, seed=1)
    out = _gen().apply_transform(x, {"channel_shift_intensity": 40.0})
    np.testing.assert_allclose(out, np.clip(x + 40.0, x.min(), x.max()), rtol=1e-6)
    u8 = np.floor(x)
    for b in (0.4, 1.0, 1.7):
        out = _gen().apply_transform(u8, {"brightness": b})
        pil = ImageEnhance.Brightness(Image.fromarray(u8.astype("uint8"))).enhance(b)
        np.testing.assert_array_equal(out, np.asarray(pil, dtype="float32"))
    gen = _gen(brightness_range=(0.5, 1.5), channel_shift_range=10.0)
    p = gen.get_random_transform(x.shape, seed=0)
    assert 0.5 <= p["brightness"] <= 1.5 and -10 <= p["channel_shift_intensity"] <= 10


def test_random_transform_parameters_stay_in_their_ranges():
    gen = _gen(rotation_range=20, shear_range=15, zoom_range=[0.8, 1.2],
               width_shift_range=[-2, 0, 2])
    for s in range(30):
        p = gen.get_random_transform((10, 10, 3), seed=s)
        assert -20 <= p["theta"] <= 20 and -15 <= p["shear"] <= 15
        assert 0.8 <= p["zx"] <= 1.2 and 0.8 <= p["zy"] <= 1.2
        assert p["ty"] in (-2, 0, 2) and p["tx"] == 0
        assert p["flip_horizontal"] is False and p["brightness"] is None
    assert gen.get_random_transform((10, 10, 3), seed=5) == \
        gen.get_random_transform((10, 10, 3), seed=5)


# ---- normalisation -----------------------------------------------------------------------------
def test_featurewise_statistics_equal_numpy():
    x = np.random.RandomState(0).rand(16, 5, 6, 3).astype("float32") * 10
    with pytest.warns(UserWarning, match="featurewise_center"):
        gen = _gen(featurewise_std_normalization=True)
    assert gen.featurewise_center
    gen.fit(x)
    np.testing.assert_allclose(gen.mean.reshape(-1), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(gen.std.reshape(-1), x.std(axis=(0, 1, 2)), rtol=1e-4)
    assert gen.mean.shape == (1, 1, 3)
    batch = gen.flow(x, batch_size=16, shuffle=False)[0]
    np.testing.assert_allclose(batch.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(batch.std(axis=(0, 1, 2)), 1, atol=1e-3)
    cf = _gen(featurewise_center=True, data_format="channels_first")
    cf.fit(np.moveaxis(x, -1, 1))
    assert cf.mean.shape == (3, 1, 1)
    np.testing.assert_allclose(cf.mean.reshape(-1), x.mean(axis=(0, 1, 2)), rtol=1e-5)


def test_unfitted_featurewise_warns():
    with pytest.warns(UserWarning, match="hasn't been fit"):
        _gen(featurewise_center=True).standardize(np.ones((2, 2, 1), "float32"))


def test_samplewise_and_preprocessing_function_order():
    x = np.random.RandomState(0).rand(4, 5, 5, 1).astype("float32") * 255
    out = _gen(samplewise_center=True, samplewise_std_normalization=True).flow(
        x, batch_size=4, shuffle=False)[0]
    for img in out:
        assert abs(img.mean()) < 1e-4 and abs(img.std() - 1) < 1e-3
    # preprocessing_function runs before rescale (Keras 2)
    gen = _gen(preprocessing_function=lambda a: a + 255.0, rescale=0.5)
    np.testing.assert_allclose(gen.standardize(x[0].copy()), (x[0] + 255) * 0.5, rtol=1e-6)


# ---- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,arg", [
    ({"zca_whitening": True}, InvalidArgumentError, "zca_whitening"),
    ({"fill_mode": "mirror"}, InvalidArgumentError, "fill_mode"),
    ({"data_format": "channels_middle"}, InvalidArgumentError, "data_format"),
    ({"zoom_range": [0.5, 1, 2]}, InvalidArgumentError, "zoom_range"),
    ({"brightness_range": 0.5}, InvalidArgumentError, "brightness_range"),
    ({"validation_split": 1.5}, InvalidArgumentError, "validation_split"),
    ({"rotation_range": "30"}, DTypeError, "rotation_range"),
    ({"width_shift_range": "wide"}, DTypeError, "width_shift_range"),
    ({"rescale": "1/255"}, DTypeError, "rescale"),
    ({"preprocessing_function": 3}, DTypeError, "preprocessing_function"),
    ({"interpolation_order": 3}, InvalidArgumentError, "interpolation_order"),
])
def test_generator_argument_errors(kwargs, exc, arg):
    with pytest.raises(exc, match=arg) as info:
        ImageDataGenerator(**kwargs)
    assert isinstance(info.value, TensorweaveError)


@pytest.mark.parametrize("kwargs,arg", [
    ({"class_mode": "onehot"}, "class_mode"),
    ({"color_mode": "cmyk"}, "color_mode"),
    ({"target_size": (24,)}, "target_size"),
    ({"interpolation": "cubic"}, "interpolation"),
    ({"batch_size": 0}, "batch_size"),
    ({"subset": "validation"}, "subset"),
    ({"classes": ["circle", "hexagon"]}, "classes"),
    ({"class_mode": "binary"}, "class_mode"),  # three classes
])
def test_flow_from_directory_argument_errors(shapes, kwargs, arg):
    with pytest.raises(InvalidArgumentError, match=arg):
        _gen().flow_from_directory(shapes / "train", **kwargs)


def test_other_argument_errors(tmp_path):
    with pytest.raises(InvalidArgumentError, match="directory"):
        _gen().flow_from_directory(tmp_path / "missing")
    with pytest.raises(ShapeError, match="rank-4"):
        _gen().flow(np.zeros((3, 4, 4)))
    with pytest.raises(ShapeError, match="'y'"):
        _gen().flow(np.zeros((3, 4, 4, 1)), np.zeros(2))
    with pytest.raises(InvalidArgumentError, match="subset"):
        _gen(validation_split=0.5).flow(np.zeros((4, 2, 2, 1)), subset="test")
    with pytest.raises(ShapeError, match="rank-4"):
        _gen(featurewise_center=True).fit(np.zeros((4, 4, 1)))
    with pytest.raises(InvalidArgumentError, match="fill_mode"):
        apply_affine_transform(np.zeros((3, 3, 1)), theta=5, fill_mode="edge")


def test_missing_pillow_gives_a_clear_error(monkeypatch, tmp_path):
    path = tmp_path / "a.png"
    Image.new("RGB", (4, 4)).save(path)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingDependencyError, match=r"pip install tensorweave\[image\]") \
            as info:
        load_img(path)
    assert isinstance(info.value, ImportError) and isinstance(info.value, TensorweaveError)
    with pytest.raises(MissingDependencyError):
        array_to_img(np.zeros((2, 2, 3)))


def test_import_loads_no_pillow(tmp_path):
    code = textwrap.dedent("""
        import json, sys
        import tensorweave as tw
        light = "PIL" in sys.modules
        gen = tw.preprocessing.image.ImageDataGenerator(rotation_range=10)
        gen.random_transform(__import__("numpy").zeros((4, 4, 1)))
        print(json.dumps({"after_import": light, "after_generator": "PIL" in sys.modules}))
    """)
    env = {**os.environ, "TENSORWEAVE_HOME": str(tmp_path)}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {"after_import": False,
                                                             "after_generator": False}


# ---- load_img & co -----------------------------------------------------------------------------
def test_image_file_helpers_round_trip(tmp_path):
    assert tw.utils.load_img is load_img and tw.utils.save_img is save_img
    assert tw.utils.img_to_array is img_to_array and tw.utils.array_to_img is array_to_img
    x = (np.random.RandomState(0).rand(6, 9, 3) * 255).astype("uint8").astype("float32")
    save_img(tmp_path / "a.png", x, scale=False)
    img = load_img(tmp_path / "a.png")
    assert img.size == (9, 6) and img.mode == "RGB"
    np.testing.assert_array_equal(img_to_array(img), x)
    assert img_to_array(img).dtype == np.float32
    assert img_to_array(img, data_format="channels_first").shape == (3, 6, 9)
    gray = img_to_array(load_img(tmp_path / "a.png", color_mode="grayscale"))
    assert gray.shape == (6, 9, 1)
    assert img_to_array(load_img(tmp_path / "a.png", color_mode="rgba")).shape == (6, 9, 4)
    small = load_img(tmp_path / "a.png", target_size=(3, 4), interpolation="bicubic")
    assert small.size == (4, 3)
    square = load_img(tmp_path / "a.png", target_size=(6, 6), keep_aspect_ratio=True)
    np.testing.assert_array_equal(img_to_array(square), x[:, 1:7])  # the centred crop
    with open(tmp_path / "a.png", "rb") as f:  # a file object works too
        assert load_img(f).size == (9, 6)
    # array_to_img scales to 0..255 by default, as Keras
    scaled = np.asarray(array_to_img(np.linspace(0, 1, 12).reshape(2, 2, 3)))
    assert scaled.dtype == np.uint8 and scaled.max() == 255 and scaled.min() == 0
    assert array_to_img(np.zeros((2, 3, 1))).mode == "L"
    with pytest.raises(ShapeError, match="3-d"):
        array_to_img(np.zeros((2, 3)))
    with pytest.raises(InvalidArgumentError, match="interpolation"):
        load_img(tmp_path / "a.png", target_size=(2, 2), interpolation="spline")


# ---- image_dataset_from_directory -----------------------------------------------------------
@pytest.mark.parametrize("label_mode", ["int", "categorical", "binary", None])
def test_image_dataset_from_directory(shapes, label_mode, capsys):
    class_names = ["circle", "triangle"] if label_mode == "binary" else None
    ds = tw.utils.image_dataset_from_directory(
        shapes / "test", label_mode=label_mode, class_names=class_names, image_size=(24, 24),
        batch_size=5, seed=0)
    names = class_names or list(CLASSES)
    assert ds.class_names == (names if label_mode else None)
    assert isinstance(ds, tw.data.Dataset)
    n = 8 * len(names)
    assert f"Found {n} files" in capsys.readouterr().out
    batches = list(ds)
    assert len(batches) == len(ds) == math.ceil(n / 5)
    if label_mode is None:
        assert batches[0].shape == (5, 24, 24, 3) and batches[0].dtype == np.float32
        return
    x, y = batches[0]
    assert x.shape == (5, 24, 24, 3) and x.dtype == np.float32 and x.max() > 1
    labels = np.concatenate([b[1] for b in batches])
    if label_mode == "int":
        assert y.dtype == np.int32 and y.shape == (5,)
        assert sorted(labels.tolist()) == sorted([0] * 8 + [1] * 8 + [2] * 8)
    elif label_mode == "categorical":
        assert y.dtype == np.float32 and y.shape == (5, 3) and (y.sum(axis=1) == 1).all()
    else:
        assert y.dtype == np.float32 and y.shape == (5, 1)
        assert set(labels.ravel().tolist()) == {0.0, 1.0}
    # every label matches the folder of its file
    by_path = {p: names.index(os.path.basename(os.path.dirname(p))) for p in ds.file_paths}
    assert len(by_path) == n


def test_image_dataset_split_both_is_disjoint_covering_and_seeded(shapes):
    kw = dict(image_size=(24, 24), batch_size=4, validation_split=0.25, seed=7,
              color_mode="grayscale")
    train, val = tw.utils.image_dataset_from_directory(shapes / "test", subset="both", **kw)
    assert not set(train.file_paths) & set(val.file_paths)
    assert len(train.file_paths) + len(val.file_paths) == 24 and len(val.file_paths) == 6
    again = tw.utils.image_dataset_from_directory(shapes / "test", subset="training", **kw)
    assert again.file_paths == train.file_paths
    xb, yb = next(iter(val))
    assert xb.shape == (4, 24, 24, 1)
    first = [b[1].tolist() for b in again]
    assert first == [b[1].tolist() for b in tw.utils.image_dataset_from_directory(
        shapes / "test", subset="training", **kw)]
    unshuffled = tw.utils.image_dataset_from_directory(shapes / "test", shuffle=False,
                                                       image_size=(24, 24))
    assert unshuffled.file_paths == sorted(unshuffled.file_paths)


@pytest.mark.parametrize("kwargs,arg", [
    ({"validation_split": 0.2, "subset": "training"}, "seed"),
    ({"validation_split": 0.2}, "subset"),
    ({"label_mode": "binary"}, "label_mode"),
    ({"interpolation": "gaussian"}, "interpolation"),
    ({"label_mode": "sparse"}, "label_mode"),
    ({"color_mode": "hsv"}, "color_mode"),
    ({"labels": [0, 1], "class_names": ["a"]}, "class_names"),
    ({"labels": [0, 1]}, "labels"),
    ({"class_names": ["circle", "hexagon"]}, "class_names"),
])
def test_image_dataset_argument_errors(shapes, kwargs, arg):
    with pytest.raises(InvalidArgumentError, match=arg):
        tw.utils.image_dataset_from_directory(shapes / "test", image_size=(24, 24), **kwargs)


# ---- training end to end ----------------------------------------------------------------------
def _small_cnn(channels=1):
    model = tw.Sequential([
        tw.Input((24, 24, channels)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=tw.optimizers.Adam(3e-3),
                  metrics=["accuracy"])
    return model


@pytest.mark.slow
def test_tutorial_cnn_on_shape_folders(tmp_path):
    """The CNN getting-started post: flow_from_directory + fit_generator /
    evaluate_generator / predict_generator on folders of drawn shapes."""
    draw_shapes(tmp_path / "train", 20, seed=0)
    draw_shapes(tmp_path / "test", 8, seed=1)
    tw.utils.set_random_seed(0)
    train_generator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        tmp_path / "train", target_size=(24, 24), batch_size=6, color_mode="grayscale",
        class_mode="categorical", seed=0)
    test_generator = ImageDataGenerator(rescale=1.0 / 255).flow_from_directory(
        tmp_path / "test", target_size=(24, 24), batch_size=6, color_mode="grayscale",
        class_mode="categorical", shuffle=False)
    model = _small_cnn()
    history = model.fit_generator(train_generator, steps_per_epoch=10, epochs=12,
                                  validation_data=test_generator, validation_steps=4,
                                  verbose=0)
    assert len(history.history["loss"]) == 12
    loss, acc = model.evaluate_generator(test_generator, steps=4, verbose=0)
    assert acc >= 0.9, history.history["val_accuracy"]
    test_generator.reset()
    probs = model.predict_generator(test_generator, steps=4, verbose=0)
    assert probs.shape == (24, 3)
    assert (probs.argmax(axis=1) == test_generator.classes).mean() >= 0.9


def test_fit_without_steps_takes_len_batches_per_epoch(shapes):
    seen = []

    class Count(tw.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    gen = ImageDataGenerator(rescale=1.0 / 255, rotation_range=10)
    train = gen.flow_from_directory(shapes / "test", target_size=(24, 24), batch_size=5,
                                    color_mode="grayscale", seed=0)
    model = _small_cnn()
    model.fit(train, epochs=2, callbacks=[Count()], verbose=0)
    assert len(seen) == 2 * len(train) == 10
    assert len(model.evaluate(train, verbose=0, return_dict=True)) >= 2
    assert model.predict(train, verbose=0).shape == (24, 3)
    ds = tw.utils.image_dataset_from_directory(shapes / "test", image_size=(24, 24),
                                               color_mode="grayscale", label_mode="categorical",
                                               batch_size=8, seed=0)
    model.fit(ds.map(lambda x, y: (x / 255.0, y)), epochs=1, verbose=0)
