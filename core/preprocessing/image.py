"""``tw.preprocessing.image``: Keras 2's image preprocessing.

``ImageDataGenerator`` (real-time augmentation and normalisation) with its ``flow`` and
``flow_from_directory`` iterators, the affine transforms it uses (in NumPy, see
:mod:`.affine`) and ``load_img`` / ``img_to_array`` / ``array_to_img`` / ``save_img``.

The semantics follow ``keras_preprocessing`` (Keras 2.x): the same arguments and
defaults, the same order of random draws per image, the same class and file order
(sorted), ``validation_split`` taking the *first* fraction of each class folder (or of
the arrays) as validation data. The iterators are ``tw.utils.PyDataset``s (``len``,
``[i]``, ``on_epoch_end``) and endless Python iterators, as in Keras; ``fit``,
``evaluate``, ``predict`` and their ``*_generator`` spellings take them directly.

Where tensorweave differs from Keras 2, it raises instead of failing later: an unknown
``fill_mode`` or ``interpolation`` is refused when the generator or iterator is made;
``class_mode="binary"`` needs exactly two classes; ``subset`` needs ``validation_split``;
``zca_whitening`` is not implemented. Seeds never touch NumPy's global generator: a
seeded iterator draws from its own ``RandomState`` (an unseeded one from the global
generator, which ``tw.utils.set_random_seed`` seeds).
"""

from __future__ import annotations

import numbers
import os
import threading
import warnings
from typing import Any

import numpy as np

from ..errors import DTypeError, InvalidArgumentError, ShapeError, describe
from ..utils import PyDataset
from .affine import (
    FILL_MODES,
    apply_affine_transform,
    apply_brightness_shift,
    apply_channel_shift,
    flip_axis,
    random_brightness,
    random_channel_shift,
    random_rotation,
    random_shear,
    random_shift,
    random_zoom,
    transform_matrix_offset_center,
)
from .image_dataset import image_dataset_from_directory
from .image_utils import (
    PIL_INTERPOLATIONS,
    array_to_img,
    check_color_mode,
    check_target_size,
    img_to_array,
    load_img,
    save_img,
)

__all__ = ["ImageDataGenerator", "Iterator", "NumpyArrayIterator", "DirectoryIterator",
           "load_img", "img_to_array", "array_to_img", "save_img", "apply_affine_transform",
           "apply_brightness_shift", "apply_channel_shift", "flip_axis", "random_rotation",
           "random_shift", "random_shear", "random_zoom", "random_channel_shift",
           "random_brightness", "transform_matrix_offset_center",
           "image_dataset_from_directory"]

_CLASS_MODES = ("categorical", "binary", "sparse", "input", None)


# ---- argument checks -----------------------------------------------------------------------
def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _number(where: str, arg: str, v: Any, allow_none: bool = False) -> Any:
    if v is None and allow_none:
        return v
    if not _is_number(v):
        raise DTypeError(describe(where, arg, "a number" + (" or None" if allow_none else ""),
                                  f"{v!r} ({type(v).__name__})"))
    return v


def _shift_range(where: str, arg: str, v: Any) -> Any:
    """A float (fraction if < 1, pixels otherwise), an int (whole pixels) or a 1-D list of
    pixel offsets, as Keras."""
    if _is_number(v):
        return v
    try:
        a = np.asarray(v)
    except Exception:  # noqa: BLE001
        a = None
    if a is None or a.ndim != 1 or a.size == 0 or not np.issubdtype(a.dtype, np.number):
        raise DTypeError(describe(where, arg, "a float, an int or a 1-d list of numbers",
                                  f"{v!r} ({type(v).__name__})"))
    return v


def _batch_size(where: str, v: Any) -> int:
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
        raise InvalidArgumentError(describe(where, "batch_size", "a positive integer", repr(v)))
    return int(v)


# ---- ImageDataGenerator --------------------------------------------------------------------
class ImageDataGenerator:
    """Batches of image data with real-time augmentation, as Keras 2's
    ``ImageDataGenerator``.

    Per image, in this order: the random affine transform (rotation, shift, shear, zoom
    about the image centre, bilinear, points outside filled per ``fill_mode``), the
    channel shift, the flips, the brightness change; then ``standardize``:
    ``preprocessing_function``, ``rescale``, sample-wise then feature-wise centring and
    scaling.

    Arguments are Keras's: ``rotation_range`` (degrees), ``width_shift_range`` /
    ``height_shift_range`` (a fraction of the width/height if < 1, else pixels; an int
    ``n`` draws whole pixels in ``(-n, n)``; a list draws from its values),
    ``shear_range`` (degrees, counter-clockwise), ``zoom_range`` (``z`` means
    ``[1 - z, 1 + z]``, or a ``[lower, upper]`` pair), ``channel_shift_range``,
    ``brightness_range`` (a pair), ``horizontal_flip``, ``vertical_flip``,
    ``fill_mode`` (``"nearest"``, ``"constant"``, ``"reflect"``, ``"wrap"``), ``cval``,
    ``rescale``, ``preprocessing_function``, ``featurewise_center`` /
    ``featurewise_std_normalization`` (statistics from :meth:`fit`),
    ``samplewise_center`` / ``samplewise_std_normalization``, ``data_format``
    (``"channels_last"`` by default), ``validation_split``, ``interpolation_order``
    (1: bilinear, 0: nearest) and ``dtype``.
    """

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False,
                 samplewise_std_normalization: bool = False, zca_whitening: bool = False,
                 zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Any = 0.0, height_shift_range: Any = 0.0,
                 brightness_range: Any = None, shear_range: float = 0.0,
                 zoom_range: Any = 0.0, channel_shift_range: float = 0.0,
                 fill_mode: str = "nearest", cval: float = 0.0,
                 horizontal_flip: bool = False, vertical_flip: bool = False,
                 rescale: float | None = None, preprocessing_function: Any = None,
                 data_format: str | None = None, validation_split: float = 0.0,
                 interpolation_order: int = 1, dtype: Any = None) -> None:
        where = "ImageDataGenerator"
        if zca_whitening:
            raise InvalidArgumentError(describe(
                where, "zca_whitening", "False (ZCA whitening is not implemented in "
                "tensorweave; use featurewise_center/featurewise_std_normalization)",
                zca_whitening))
        self.featurewise_center = bool(featurewise_center)
        self.samplewise_center = bool(samplewise_center)
        self.featurewise_std_normalization = bool(featurewise_std_normalization)
        self.samplewise_std_normalization = bool(samplewise_std_normalization)
        self.zca_whitening = False
        self.zca_epsilon = zca_epsilon
        self.rotation_range = _number(where, "rotation_range", rotation_range)
        self.width_shift_range = _shift_range(where, "width_shift_range", width_shift_range)
        self.height_shift_range = _shift_range(where, "height_shift_range", height_shift_range)
        self.shear_range = _number(where, "shear_range", shear_range)
        self.channel_shift_range = _number(where, "channel_shift_range", channel_shift_range)
        if fill_mode not in FILL_MODES:
            raise InvalidArgumentError(describe(where, "fill_mode", f"one of {FILL_MODES}",
                                                repr(fill_mode)))
        self.fill_mode = fill_mode
        self.cval = _number(where, "cval", cval)
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = _number(where, "rescale", rescale, allow_none=True)
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise DTypeError(describe(where, "preprocessing_function", "a callable or None",
                                      type(preprocessing_function).__name__))
        self.preprocessing_function = preprocessing_function
        if interpolation_order not in (0, 1):
            raise InvalidArgumentError(describe(where, "interpolation_order",
                                                "0 (nearest) or 1 (bilinear)",
                                                interpolation_order))
        self.interpolation_order = interpolation_order
        if dtype is None:
            from ..config import config_value

            dtype = config_value("floatx", "float32")
        self.dtype = np.dtype(dtype).name
        if data_format is None:
            from ..config import config_value

            data_format = str(config_value("image_data_format", "channels_last"))
        if data_format not in ("channels_last", "channels_first"):
            raise InvalidArgumentError(describe(
                where, "data_format", "'channels_last' (channels after rows and columns) "
                "or 'channels_first'", repr(data_format)))
        self.data_format = data_format
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        _number(where, "validation_split", validation_split)
        if validation_split and not 0 < validation_split < 1:
            raise InvalidArgumentError(describe(where, "validation_split",
                                                "a value strictly between 0 and 1",
                                                validation_split))
        self._validation_split = validation_split
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.principal_components = None
        if _is_number(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif isinstance(zoom_range, (tuple, list, np.ndarray)) and len(zoom_range) == 2 and \
                all(_is_number(z) or isinstance(z, np.number) for z in zoom_range):
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise InvalidArgumentError(describe(where, "zoom_range",
                                                "a float or a tuple or list of two floats",
                                                repr(zoom_range)))
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.", stacklevel=2)
        if brightness_range is not None:
            if not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2:
                raise InvalidArgumentError(describe(where, "brightness_range",
                                                    "a tuple or list of two floats",
                                                    repr(brightness_range)))
        self.brightness_range = brightness_range

    # ---- iterators ---------------------------------------------------------------------------
    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             sample_weight: Any = None, seed: int | None = None, save_to_dir: Any = None,
             save_prefix: str = "", save_format: str = "png",
             subset: str | None = None) -> NumpyArrayIterator:
        """An iterator over ``(x, y)`` (or ``x`` alone, or ``(x, y, sample_weight)``)
        batches of augmented images from the rank-4 array ``x``. ``x`` may also be a
        tuple ``(images, other)`` whose second part (an array or a list of arrays) is
        passed through unchanged next to the images."""
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory: Any, target_size: Any = (256, 256),
                            color_mode: str = "rgb", classes: Any = None,
                            class_mode: str | None = "categorical", batch_size: int = 32,
                            shuffle: bool = True, seed: int | None = None,
                            save_to_dir: Any = None, save_prefix: str = "",
                            save_format: str = "png", follow_links: bool = False,
                            subset: str | None = None, interpolation: str = "nearest",
                            keep_aspect_ratio: bool = False) -> DirectoryIterator:
        """An iterator over batches of augmented images read from ``directory``, which
        holds one sub-folder per class (PNG, JPEG, BMP, PPM or TIFF files, searched
        recursively). Classes are the sorted sub-folder names unless ``classes`` lists
        them; ``class_indices`` maps each name to its label.

        ``class_mode``: ``"categorical"`` (one-hot rows), ``"binary"`` (0/1 floats),
        ``"sparse"`` (integer labels as floats), ``"input"`` (the images themselves, for
        autoencoders) or ``None`` (images only, for ``predict``). Images are resized to
        ``target_size=(height, width)`` with ``interpolation`` (Keras's default
        ``"nearest"``)."""
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links,
                                 subset=subset, interpolation=interpolation,
                                 keep_aspect_ratio=keep_aspect_ratio, dtype=self.dtype)

    # ---- normalisation -------------------------------------------------------------------------
    def standardize(self, x: Any) -> np.ndarray:
        """Apply ``preprocessing_function``, ``rescale`` and the centring/scaling options to
        ``x`` (one image, or a batch: sample-wise statistics are then over the whole
        batch, as in Keras). Like Keras, a floating-point ``x`` is changed in place."""
        if not (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.floating)):
            x = np.asarray(x, dtype=self.dtype)
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn("This ImageDataGenerator specifies "
                              "`featurewise_std_normalization`, but it hasn't been fit on "
                              "any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
        return x

    # ---- random transforms -----------------------------------------------------------------------
    def get_random_transform(self, img_shape: Any, seed: int | None = None) -> dict:
        """Draw the parameters of one random transform for an image of ``img_shape`` (a
        dict: ``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy``, ``flip_horizontal``,
        ``flip_vertical``, ``channel_shift_intensity``, ``brightness``). With ``seed``
        the draw comes from ``RandomState(seed)``, else from NumPy's global
        generator."""
        rng = np.random if seed is None else np.random.RandomState(seed)
        return self._draw_transform(img_shape, rng)

    def _draw_shift(self, rng: Any, rg: Any, size: int) -> float:
        if not (rg if _is_number(rg) else len(rg)):
            return 0
        if _is_number(rg) and not isinstance(rg, (int, np.integer)):
            t = rng.uniform(-rg, rg)  # a float: a fraction (< 1) or pixels
        else:  # an int n: whole pixels in (-n, n); a list: one of its values
            t = rng.choice(rg)
            t = t * rng.choice([-1, 1])
        if np.max(rg) < 1:
            t = t * size
        return t

    def _draw_transform(self, img_shape: Any, rng: Any) -> dict:
        row, col = self.row_axis - 1, self.col_axis - 1
        theta = rng.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = self._draw_shift(rng, self.height_shift_range, img_shape[row])
        ty = self._draw_shift(rng, self.width_shift_range, img_shape[col])
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(rng.random_sample() < 0.5) and bool(self.horizontal_flip)
        flip_vertical = bool(rng.random_sample() < 0.5) and bool(self.vertical_flip)
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = rng.uniform(-self.channel_shift_range,
                                                  self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift_intensity,
                "brightness": brightness}

    def apply_transform(self, x: Any, transform_parameters: dict) -> np.ndarray:
        """Apply a transform (a dict as :meth:`get_random_transform` returns; missing keys
        mean "no change") to one 3-D image."""
        p = transform_parameters
        row, col, ch = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   row_axis=row, col_axis=col, channel_axis=ch,
                                   fill_mode=self.fill_mode, cval=self.cval,
                                   order=self.interpolation_order)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], ch)
        if p.get("flip_horizontal", False):
            x = flip_axis(x, col)
        if p.get("flip_vertical", False):
            x = flip_axis(x, row)
        if p.get("brightness") is not None:
            x = apply_brightness_shift(x, p["brightness"], False)
        return x

    def random_transform(self, x: Any, seed: int | None = None) -> np.ndarray:
        """One image, randomly transformed (see :meth:`get_random_transform`)."""
        x = np.asarray(x)
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1,
            seed: int | None = None) -> None:
        """Compute the feature-wise mean and std (per channel, over samples, rows and
        columns) that ``featurewise_center`` / ``featurewise_std_normalization`` use.
        With ``augment=True`` the statistics are taken over ``rounds`` randomly
        transformed copies of ``x``."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ShapeError(describe("ImageDataGenerator.fit", "x", "a rank-4 array of "
                                      "images", f"shape {x.shape}"))
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(f"ImageDataGenerator.fit: expected 1, 3 or 4 channels on axis "
                          f"{self.channel_axis} ({self.data_format}), got an array of shape "
                          f"{x.shape}", stacklevel=2)
        rng = np.random if seed is None else np.random.RandomState(seed)
        x = np.copy(x)
        if augment:
            ax = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for r in range(rounds):
                for i in range(x.shape[0]):
                    params = self._draw_transform(x[i].shape, rng)
                    ax[i + r * x.shape[0]] = self.apply_transform(x[i], params)
            x = ax
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), shape)
            x /= self.std + 1e-6


# ---- iterators -----------------------------------------------------------------------------------
class Iterator(PyDataset):
    """Base of the image iterators: a ``tw.utils.PyDataset`` of ``len(self)`` batches and
    an endless Python iterator, as Keras's ``Iterator``.

    ``it[i]`` is batch ``i`` of the current epoch's order; ``on_epoch_end()`` draws a new
    order (when ``shuffle``). ``next(it)`` runs on without end, reshuffling each time it
    wraps around; ``reset()`` restarts that stream at a new epoch. With a ``seed``, the
    order and the random transforms of each batch come from
    ``RandomState(seed + total_batches_seen)``, so the same calls give the same batches.
    Subclasses implement ``_get_batches_of_transformed_samples(index_array)``.
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None) -> None:
        super().__init__()
        self.n = int(n)
        self.batch_size = _batch_size(type(self).__name__, batch_size)
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise DTypeError(describe(type(self).__name__, "seed", "an int or None",
                                      repr(seed)))
        self.seed = seed
        self.shuffle = bool(shuffle)
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array: np.ndarray | None = None
        self._rng: Any = np.random
        self.index_generator = self._flow_index()

    def _batch_rng(self) -> Any:
        if self.seed is None:
            return np.random
        return np.random.RandomState((int(self.seed) + self.total_batches_seen) % (2**32))

    def _set_index_array(self, rng: Any = None) -> None:
        rng = rng if rng is not None else self._batch_rng()
        self.index_array = rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx: int) -> Any:
        if not isinstance(idx, (int, np.integer)):
            raise DTypeError(describe(type(self).__name__, "index", "an int", repr(idx)))
        if idx >= len(self) or idx < 0:
            raise InvalidArgumentError(f"{type(self).__name__}: asked to retrieve batch "
                                       f"{idx}, but there are {len(self)} batches")
        rng = self._batch_rng()
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array(rng)
        assert self.index_array is not None
        self._rng = rng
        bs = self.batch_size
        return self._get_batches_of_transformed_samples(self.index_array[bs * idx:
                                                                         bs * (idx + 1)])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def _flow_index(self) -> Any:
        self.reset()
        while True:
            rng = self._batch_rng()
            if self.batch_index == 0:
                self._set_index_array(rng)
            current = (self.batch_index * self.batch_size) % self.n
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            assert self.index_array is not None
            yield self.index_array[current:current + self.batch_size], rng

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        return self.next()

    def next(self) -> Any:
        """The next batch of the endless stream."""
        if self.n == 0:
            raise InvalidArgumentError(f"{type(self).__name__}: there are no samples to "
                                       f"iterate over")
        with self.lock:
            index_array, rng = next(self.index_generator)
            self._rng = rng
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        raise NotImplementedError

    def _transform(self, x: np.ndarray) -> np.ndarray:
        gen = self.image_data_generator  # type: ignore[attr-defined]
        params = gen._draw_transform(x.shape, self._rng)
        x = gen.apply_transform(x, params)
        return gen.standardize(x)

    def _save_batch(self, batch_x: np.ndarray, index_array: np.ndarray) -> None:
        me: Any = self
        for i, j in enumerate(index_array):
            img = array_to_img(batch_x[i], me.data_format, scale=True)
            fname = f"{me.save_prefix}_{j}_{self._rng.randint(10**7)}.{me.save_format}"
            img.save(os.path.join(me.save_to_dir, fname))


class NumpyArrayIterator(Iterator):
    """Batches of augmented images from an array (what ``ImageDataGenerator.flow``
    returns)."""

    def __init__(self, x: Any, y: Any, image_data_generator: ImageDataGenerator,
                 batch_size: int = 32, shuffle: bool = False, sample_weight: Any = None,
                 seed: int | None = None, data_format: str = "channels_last",
                 save_to_dir: Any = None, save_prefix: str = "", save_format: str = "png",
                 subset: str | None = None, dtype: Any = "float32") -> None:
        where = "ImageDataGenerator.flow"
        self.dtype = np.dtype(dtype).name
        if isinstance(x, (tuple, list)):
            x_misc = [np.asarray(x[1])] if not isinstance(x[1], list) else \
                [np.asarray(xx) for xx in x[1]]
            x = x[0]
            for xx in x_misc:
                if len(x) != len(xx):
                    raise ShapeError(describe(where, "x", "arrays of the same length",
                                              f"lengths {len(x)} and {len(xx)}"))
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ShapeError(describe(where, "y", f"{len(x)} labels (one per image in x)",
                                      f"{len(y)}"))
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ShapeError(describe(where, "sample_weight",
                                      f"{len(x)} weights (one per image in x)",
                                      f"{len(sample_weight)}"))
        if subset is not None:
            if subset not in ("training", "validation"):
                raise InvalidArgumentError(describe(where, "subset",
                                                    "'training', 'validation' or None",
                                                    repr(subset)))
            vs = image_data_generator._validation_split
            if not vs:
                raise InvalidArgumentError(describe(
                    where, "subset", "None unless the ImageDataGenerator has a "
                    "validation_split", repr(subset)))
            split = int(len(x) * vs)
            if y is not None and not np.array_equal(np.unique(np.asarray(y)[:split]),
                                                    np.unique(np.asarray(y)[split:])):
                raise InvalidArgumentError(
                    f"{where}: the training and validation subsets have different classes "
                    f"after the split (the validation part is the first {split} samples); "
                    f"if your arrays are sorted by label, shuffle them first")
            sl = slice(None, split) if subset == "validation" else slice(split, None)
            x = x[sl]
            x_misc = [np.asarray(xx[sl]) for xx in x_misc]
            if y is not None:
                y = y[sl]
            if sample_weight is not None:
                sample_weight = sample_weight[sl]
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        if self.x.ndim != 4:
            raise ShapeError(describe(where, "x", "a rank-4 array of images",
                                      f"shape {self.x.shape}"))
        channels_axis = 3 if data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f"{where}: expected 1, 3 or 4 channels on axis {channels_axis} "
                          f"({data_format}), got an array of shape {self.x.shape}",
                          stacklevel=3)
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(self.x.shape[0], batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transform(self.x[j].astype(self.dtype))
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        misc = [xx[index_array] for xx in self.x_misc]
        first = batch_x if not misc else [batch_x] + misc
        if self.y is None:
            return first
        out: tuple = (first, self.y[index_array])
        if self.sample_weight is not None:
            out += (self.sample_weight[index_array],)
        return out


def _files_in(directory: str, formats: tuple, follow_links: bool) -> list:
    """``(root, file)`` pairs under ``directory`` (recursively), sorted as Keras does."""
    out = []
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links),
                                 key=lambda t: t[0]):
        for fname in sorted(files):
            if os.path.splitext(fname)[1].lstrip(".").lower() in formats:
                out.append((root, fname))
    return out


class DirectoryIterator(Iterator):
    """Batches of augmented images read from class sub-folders (what
    ``ImageDataGenerator.flow_from_directory`` returns).

    Attributes as Keras: ``class_indices`` (name -> label), ``classes`` (the label of each
    file, ``int32``), ``filenames`` (paths relative to ``directory``, ``class/file.png``),
    ``filepaths``, ``samples`` (= ``n``), ``num_classes``, ``image_shape``,
    ``batch_size``.
    """

    allowed_class_modes = set(_CLASS_MODES)

    def __init__(self, directory: Any, image_data_generator: ImageDataGenerator | None,
                 target_size: Any = (256, 256), color_mode: str = "rgb", classes: Any = None,
                 class_mode: str | None = "categorical", batch_size: int = 32,
                 shuffle: bool = True, seed: int | None = None,
                 data_format: str = "channels_last", save_to_dir: Any = None,
                 save_prefix: str = "", save_format: str = "png", follow_links: bool = False,
                 subset: str | None = None, interpolation: str = "nearest",
                 keep_aspect_ratio: bool = False, dtype: Any = "float32") -> None:
        where = "flow_from_directory"
        self.image_data_generator = image_data_generator
        self.target_size = check_target_size(target_size, where)
        self.color_mode = check_color_mode(color_mode, where)
        if class_mode not in _CLASS_MODES:
            raise InvalidArgumentError(describe(where, "class_mode", f"one of {_CLASS_MODES}",
                                                repr(class_mode)))
        if interpolation not in PIL_INTERPOLATIONS:
            raise InvalidArgumentError(describe(where, "interpolation",
                                                f"one of {PIL_INTERPOLATIONS}",
                                                repr(interpolation)))
        if data_format not in ("channels_last", "channels_first"):
            raise InvalidArgumentError(describe(where, "data_format",
                                                "'channels_last' or 'channels_first'",
                                                repr(data_format)))
        self.data_format = data_format
        self.class_mode = class_mode
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio
        self.dtype = np.dtype(dtype).name
        channels = {"rgba": 4, "rgb": 3, "grayscale": 1}[color_mode]
        self.image_shape = self.target_size + (channels,) if data_format == "channels_last" \
            else (channels,) + self.target_size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        split = None
        if subset is not None:
            if subset not in ("training", "validation"):
                raise InvalidArgumentError(describe(where, "subset",
                                                    "'training', 'validation' or None",
                                                    repr(subset)))
            vs = image_data_generator._validation_split if image_data_generator else 0
            if not vs:
                raise InvalidArgumentError(describe(
                    where, "subset", "None unless the ImageDataGenerator has a "
                    "validation_split", repr(subset)))
            split = (0.0, vs) if subset == "validation" else (vs, 1.0)
        self.split = split
        self.subset = subset
        if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
            raise InvalidArgumentError(describe(where, "directory",
                                                "an existing folder with one sub-folder per "
                                                "class", repr(directory)))
        self.directory = os.fspath(directory)
        if not classes:
            classes = [d for d in sorted(os.listdir(self.directory))
                       if os.path.isdir(os.path.join(self.directory, d))]
        else:
            classes = list(classes)
            missing = [c for c in classes
                       if not os.path.isdir(os.path.join(self.directory, str(c)))]
            if missing:
                raise InvalidArgumentError(describe(where, "classes", "names of sub-folders "
                                                    f"of {self.directory!r}",
                                                    f"{classes} ({missing} missing)"))
        self.num_classes = len(classes)
        self.class_indices = {c: i for i, c in enumerate(classes)}
        if class_mode == "binary" and self.num_classes != 2:
            raise InvalidArgumentError(describe(where, "class_mode",
                                                "'categorical' or 'sparse' unless there are "
                                                "exactly 2 classes ('binary' gives 0/1 labels)",
                                                f"'binary' with {self.num_classes} classes "
                                                f"{classes}"))
        self.filenames: list[str] = []
        labels: list[int] = []
        for c in classes:
            sub = os.path.join(self.directory, c)
            files = _files_in(sub, self.white_list_formats, follow_links)
            if split is not None:
                k = len(files)
                files = files[int(split[0] * k):int(split[1] * k)]
            for root, fname in files:
                self.filenames.append(os.path.join(c, os.path.relpath(os.path.join(root, fname),
                                                                      sub)))
                labels.append(self.class_indices[c])
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(self.directory, f) for f in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self) -> list:
        return self._filepaths

    @property
    def labels(self) -> np.ndarray:
        return self.classes

    @property
    def sample_weight(self) -> None:
        return None

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(self._filepaths[j], color_mode=self.color_mode,
                           target_size=self.target_size, interpolation=self.interpolation,
                           keep_aspect_ratio=self.keep_aspect_ratio)
            x = img_to_array(img, data_format=self.data_format, dtype=self.dtype)
            img.close()
            if self.image_data_generator is not None:
                x = self._transform(x)
            batch_x[i] = x
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = self.classes[index_array].astype(self.dtype)
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.0
        else:
            return batch_x
        return batch_x, batch_y
