"""``image_dataset_from_directory``: Keras 3's folder-of-images loader, returning a
``tw.data.Dataset``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError, describe
from .image_utils import check_color_mode, img_to_array, load_img, pil_image

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# Keras's interpolation names -> Pillow's filters. Pillow has no Gaussian, Mitchell-cubic
# or 5-lobe Lanczos filter.
_INTERPOLATIONS = {"bilinear": "bilinear", "nearest": "nearest", "bicubic": "bicubic",
                   "area": "box", "lanczos3": "lanczos"}
_WHERE = "image_dataset_from_directory"


def _index(directory: str, labels: Any, class_names: Any, follow_links: bool) -> tuple:
    """File paths (sorted per class, as Keras), their int labels and the class names."""
    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise InvalidArgumentError(describe(
                    _WHERE, "class_names", f"names of sub-folders of the directory "
                    f"({subdirs}, or a subset of them)", list(class_names)))
            subdirs = list(class_names)
    else:
        subdirs = [""]
    paths: list[str] = []
    found: list[int] = []
    for k, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        walk = sorted(os.walk(root_dir, followlinks=follow_links), key=lambda t: t[0])
        for root, _, files in walk:
            for fname in sorted(files):
                if fname.lower().endswith(ALLOWLIST_FORMATS):
                    paths.append(os.path.join(root, fname))
                    found.append(k)
    if labels == "inferred":
        return paths, np.asarray(found, dtype="int32"), subdirs
    if labels is None:
        return paths, None, None
    if len(labels) != len(paths):
        raise InvalidArgumentError(describe(
            _WHERE, "labels", f"one label per image file found ({len(paths)} in "
            f"{directory!r}, in the sorted order of their paths)", f"{len(labels)} labels"))
    arr = np.asarray(labels, dtype="int32")
    return paths, arr, [str(v) for v in sorted(set(arr.tolist()))]


def _check_split(validation_split: Any, subset: Any, shuffle: bool, seed: Any) -> None:
    if validation_split and not 0 < validation_split < 1:
        raise InvalidArgumentError(describe(_WHERE, "validation_split",
                                            "a value strictly between 0 and 1",
                                            validation_split))
    if (validation_split or subset) and not (validation_split and subset):
        raise InvalidArgumentError(f"{_WHERE}: if `subset` is set, `validation_split` must be "
                                   f"set, and inversely (got validation_split="
                                   f"{validation_split!r}, subset={subset!r})")
    if subset not in ("training", "validation", "both", None):
        raise InvalidArgumentError(describe(_WHERE, "subset",
                                            "'training', 'validation', 'both' or None",
                                            repr(subset)))
    if validation_split and shuffle and seed is None:
        raise InvalidArgumentError(f"{_WHERE}: when using `validation_split` and shuffling "
                                   f"the data, you must provide a `seed` argument, so that "
                                   f"the training and validation subsets do not overlap")


def _split(paths: list, labels: Any, validation_split: Any, subset: str,
           verbose: bool) -> tuple:
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    cut = len(paths) - n_val
    if subset == "training":
        if verbose:
            print(f"Using {cut} files for training.")
        return paths[:cut], None if labels is None else labels[:cut]
    if verbose:
        print(f"Using {n_val} files for validation.")
    return paths[cut:], None if labels is None else labels[cut:]


def _loader(image_size: tuple, color_mode: str, interpolation: str, crop: bool, pad: bool,
            data_format: str) -> Any:
    height, width = image_size
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]

    def load(path: Any) -> np.ndarray:
        image = pil_image()
        img = load_img(str(path), color_mode=color_mode)
        if pad:
            w, h = img.size
            pad_h = max(h, (w * height) // width)
            pad_w = max(w, (h * width) // height)
            if (pad_w, pad_h) != (w, h):
                canvas = image.new(img.mode, (pad_w, pad_h), 0)
                canvas.paste(img, ((pad_w - w) // 2, (pad_h - h) // 2))
                img = canvas
        if img.size != (width, height):
            img = _resize(img, height, width, interpolation, crop)
        x = img_to_array(img, data_format=data_format, dtype="float32")
        if x.shape[-1 if data_format == "channels_last" else 0] != channels:
            raise InvalidArgumentError(f"{_WHERE}: {path}: expected {channels} channels")
        return x

    return load


def _resize(img: Any, height: int, width: int, interpolation: str, crop: bool) -> Any:
    from .image_utils import _crop_to_aspect, _resample

    if crop:
        img = _crop_to_aspect(img, height, width)
    return img.resize((width, height), _resample(interpolation, _WHERE))


def _make_dataset(paths: list, labels: Any, label_mode: Any, num_classes: int,
                  load: Any, batch_size: Any, shuffle: bool, seed: Any) -> Any:
    from ..data import Dataset

    arr = np.asarray(paths, dtype=str)
    if label_mode is None or labels is None:
        ds = Dataset.from_tensor_slices(arr)
    else:
        if label_mode == "binary":
            y = labels.astype("float32").reshape(-1, 1)
        elif label_mode == "categorical":
            y = np.zeros((len(labels), num_classes), dtype="float32")
            y[np.arange(len(labels)), labels] = 1.0
        else:
            y = labels.astype("int32")
        ds = Dataset.from_tensor_slices((arr, y))
    if shuffle:
        buffer = batch_size * 8 if batch_size is not None else 1024
        ds = ds.shuffle(buffer, seed=seed)
    if label_mode is None or labels is None:
        ds = ds.map(load)
    else:
        ds = ds.map(lambda p, t: (load(p), t))
    if batch_size is not None:
        ds = ds.batch(batch_size)
    return ds


def image_dataset_from_directory(directory: Any, labels: Any = "inferred",
                                 label_mode: str | None = "int", class_names: Any = None,
                                 color_mode: str = "rgb", batch_size: int | None = 32,
                                 image_size: Any = (256, 256), shuffle: bool = True,
                                 seed: int | None = None, validation_split: float | None = None,
                                 subset: str | None = None, interpolation: str = "bilinear",
                                 follow_links: bool = False, crop_to_aspect_ratio: bool = False,
                                 pad_to_aspect_ratio: bool = False,
                                 data_format: str | None = None, format: str = "tf",  # noqa: A002
                                 verbose: bool = True) -> Any:
    """A ``tw.data.Dataset`` of ``(images, labels)`` batches from a folder with one
    sub-folder per class, as Keras 3's ``keras.utils.image_dataset_from_directory``.

    Images (``.bmp .gif .jpeg .jpg .png``, searched recursively) are ``float32`` with values
    0..255, shape ``(batch, height, width, channels)``, resized to ``image_size`` with
    ``interpolation`` (``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"area"`` or
    ``"lanczos3"``; Pillow's filters, which smooth when shrinking, unlike
    ``tf.image.resize``). Labels per ``label_mode``: ``"int"`` (``int32``),
    ``"categorical"`` (one-hot ``float32``), ``"binary"`` (``float32``, shape
    ``(batch, 1)``, exactly two classes) or ``None``. ``labels`` may also be a list of
    integer labels for the files in sorted path order, or ``None``.

    The files are shuffled once with ``seed`` before ``validation_split`` takes the last
    fraction as validation data (``subset="training"``, ``"validation"`` or ``"both"``
    for the pair); a shuffled dataset is shuffled again (buffer ``8 * batch_size``) on
    every pass. The dataset carries ``class_names`` and ``file_paths``. ``format``
    (Keras's ``"tf"`` for a ``tf.data.Dataset`` or ``"grain"``) is accepted for
    compatibility; either way the result is a ``tw.data.Dataset``.
    """
    if format not in ("tf", "grain"):
        raise InvalidArgumentError(describe(_WHERE, "format", "'tf' or 'grain'",
                                            repr(format)))
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple, np.ndarray)):
            raise InvalidArgumentError(describe(
                _WHERE, "labels", "'inferred', None or a list/tuple of integer labels (one "
                "per image file)", repr(labels)))
        if class_names:
            raise InvalidArgumentError(describe(_WHERE, "class_names",
                                                "None unless labels='inferred'",
                                                repr(class_names)))
    if label_mode not in ("int", "categorical", "binary", None):
        raise InvalidArgumentError(describe(_WHERE, "label_mode",
                                            "'int', 'categorical', 'binary' or None",
                                            repr(label_mode)))
    if labels is None or label_mode is None:
        labels = None
        label_mode = None
    check_color_mode(color_mode, _WHERE)
    if isinstance(image_size, int):
        image_size = (image_size, image_size)
    from .image_utils import check_target_size

    image_size = check_target_size(image_size, _WHERE, "image_size")
    if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
        raise InvalidArgumentError(describe(_WHERE, "interpolation",
                                            f"one of {tuple(_INTERPOLATIONS)}",
                                            repr(interpolation)))
    pil_interp = _INTERPOLATIONS[interpolation.lower()]
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise InvalidArgumentError(f"{_WHERE}: only one of crop_to_aspect_ratio and "
                                   f"pad_to_aspect_ratio can be True")
    if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                   or isinstance(batch_size, bool) or batch_size <= 0):
        raise InvalidArgumentError(describe(_WHERE, "batch_size", "a positive integer or None",
                                            repr(batch_size)))
    if data_format is None:
        from ..config import config_value

        data_format = str(config_value("image_data_format", "channels_last"))
    if data_format not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(describe(_WHERE, "data_format",
                                            "'channels_last' or 'channels_first'",
                                            repr(data_format)))
    _check_split(validation_split, subset, shuffle, seed)
    if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
        raise InvalidArgumentError(describe(_WHERE, "directory", "an existing folder",
                                            repr(directory)))
    directory = os.fspath(directory)
    if seed is None:
        seed = int(np.random.randint(1_000_000))
    paths, labs, names = _index(directory, labels, class_names, follow_links)
    if verbose:
        if labs is None:
            print(f"Found {len(paths)} files.")
        else:
            print(f"Found {len(paths)} files belonging to {len(names)} classes.")
    if shuffle:  # once, globally, before the split (as Keras)
        perm = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in perm]
        if labs is not None:
            labs = labs[perm]
    if label_mode == "binary" and len(names) != 2:
        raise InvalidArgumentError(describe(_WHERE, "label_mode",
                                            "'int' or 'categorical' unless there are exactly "
                                            "2 classes ('binary' gives 0/1 labels)",
                                            f"'binary' with class_names={names}"))
    load = _loader(image_size, color_mode, pil_interp, crop_to_aspect_ratio,
                   pad_to_aspect_ratio, data_format)
    num_classes = len(names) if names else 0

    def build(which: str | None, shuffle_it: bool) -> Any:
        p, y = _split(paths, labs, validation_split, which or "", verbose) \
            if which else (paths, labs)
        if not p:
            kind = f"{which} " if which else ""
            raise InvalidArgumentError(f"{_WHERE}: no {kind}images found in directory "
                                       f"{directory!r}. Allowed formats: {ALLOWLIST_FORMATS}")
        ds = _make_dataset(p, y, label_mode, num_classes, load, batch_size, shuffle_it, seed)
        ds.class_names = names
        ds.file_paths = p
        return ds

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset if validation_split else None, shuffle)
