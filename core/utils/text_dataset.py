"""``text_dataset_from_directory``: Keras's text-folder loader on ``tw.data.Dataset``."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["text_dataset_from_directory", "index_directory"]

_WHERE = "text_dataset_from_directory"


def check_split(where: str, directory: Any, validation_split: Any, subset: Any,
                shuffle: bool, seed: Any) -> int:
    """The checks Keras's ``*_dataset_from_directory`` loaders share (the folder, the
    split and its subset); returns the seed to shuffle with (a random one when None)."""
    import numpy as np

    if validation_split is not None and not 0 < validation_split < 1:
        raise InvalidArgumentError(f"{where}: argument 'validation_split': expected a value "
                                   f"in (0, 1), got {validation_split!r}")
    if bool(validation_split) != bool(subset):
        raise InvalidArgumentError(f"{where}: give both validation_split and subset, or "
                                   "neither")
    if subset not in ("training", "validation", "both", None):
        raise InvalidArgumentError(f"{where}: argument 'subset': expected 'training', "
                                   f"'validation', 'both' or None, got {subset!r}")
    if validation_split and shuffle and seed is None:
        raise InvalidArgumentError(f"{where}: with validation_split and shuffle=True, give a "
                                   "seed so that the two subsets do not overlap")
    if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
        raise InvalidArgumentError(f"{where}: argument 'directory': expected an existing "
                                   f"folder, got {directory!r}")
    return int(np.random.randint(1_000_000)) if seed is None else seed


def split_and_encode(where: str, kind: str, allowed: str, directory: Any, paths: list,
                     labs: Any, which: str | None, validation_split: Any, label_mode: Any,
                     num_classes: int, verbose: bool) -> tuple[list, Any]:
    """The files of one subset (``"training"`` takes the first ``1 - validation_split``,
    ``"validation"`` the rest, None everything) and their labels in ``label_mode``'s
    encoding; shared by the text and audio directory loaders."""
    import numpy as np

    p, y = paths, labs
    if which:
        cut = len(paths) - int(validation_split * len(paths))
        p, y = (paths[:cut], None if labs is None else labs[:cut]) if which == "training" \
            else (paths[cut:], None if labs is None else labs[cut:])
        if verbose:
            print(f"Using {len(p)} files for {which}.")
    if not p:
        raise InvalidArgumentError(f"{where}: no {which + ' ' if which else ''}{kind} files "
                                   f"found in directory {directory!r}. Allowed format: {allowed}")
    if y is not None:
        if label_mode == "binary":
            y = y.astype("float32").reshape(-1, 1)
        elif label_mode == "categorical":
            onehot = np.zeros((len(y), num_classes), dtype="float32")
            onehot[np.arange(len(y)), y] = 1.0
            y = onehot
    return p, y


def index_directory(directory: str, labels: Any, formats: tuple, class_names: Any = None,
                    shuffle: bool = True, seed: int | None = None, follow_links: bool = False,
                    where: str = _WHERE) -> tuple[list, Any, list | None]:
    """Keras's ``index_directory``: files with an extension in ``formats`` under one
    sub-folder per class (sorted names; files sorted within each folder walk), their
    labels, the class names; shuffled with ``np.random.RandomState(seed)``."""
    import numpy as np

    if labels == "inferred":
        subdirs = [d for d in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, d))]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise InvalidArgumentError(f"{where}: argument 'class_names': expected names "
                                           f"of the directory's sub-folders ({subdirs}), got "
                                           f"{list(class_names)}")
            subdirs = list(class_names)
    else:
        subdirs = [""]
    paths: list[str] = []
    found: list[int] = []
    low = tuple(f.lower() for f in formats)
    for k, sub in enumerate(subdirs):
        root_dir = os.path.join(directory, sub)
        walk = sorted(os.walk(root_dir, followlinks=follow_links), key=lambda t: t[0])
        for root, _, files in walk:
            for fname in sorted(files):
                if fname.lower().endswith(low):
                    paths.append(os.path.join(root, fname))
                    found.append(k)
    if labels == "inferred":
        labs: Any = np.asarray(found, dtype="int32")
        names: list | None = subdirs
    elif labels is None:
        labs, names = None, None
    else:
        if len(labels) != len(paths):
            raise InvalidArgumentError(f"{where}: argument 'labels': expected one label per "
                                       f"file ({len(paths)} found in {directory!r}, sorted "
                                       f"by path), got {len(labels)}")
        labs = np.asarray(labels, dtype="int32")
        names = [str(v) for v in sorted(set(labs.tolist()))]
    if shuffle:
        seed = int(np.random.randint(1_000_000)) if seed is None else seed
        perm = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in perm]
        if labs is not None:
            labs = labs[perm]
    return paths, labs, names


def text_dataset_from_directory(directory: Any, labels: Any = "inferred",
                                label_mode: str | None = "int", class_names: Any = None,
                                batch_size: int | None = 32, max_length: int | None = None,
                                shuffle: bool = True, seed: int | None = None,
                                validation_split: float | None = None,
                                subset: str | None = None, follow_links: bool = False,
                                format: str = "tf", verbose: bool = True) -> Any:  # noqa: A002
    """A ``tw.data.Dataset`` of ``(texts, labels)`` batches from ``.txt`` files in one
    sub-folder per class, as Keras 3's loader.

    ``format="tf"`` gives the texts as ``bytes`` (TensorFlow's string tensors hold bytes;
    ``max_length`` cuts bytes); ``format="grain"`` gives ``str`` (``max_length`` cuts
    characters), as Keras's two paths do. Texts come in NumPy object arrays. Labels per
    ``label_mode``: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"``
    (float32 ``(batch, 1)``, two classes) or None. The files are shuffled once with
    ``seed`` before ``validation_split`` keeps the last fraction for validation
    (``subset`` "training", "validation" or "both"); a shuffled dataset is reshuffled
    every pass (buffer ``8 * batch_size``)."""
    import numpy as np

    from ..data import Dataset

    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise InvalidArgumentError(f"{_WHERE}: argument 'labels': expected 'inferred', None or "
                                   f"a list of integer labels, got {labels!r}")
    if class_names is not None and labels != "inferred":
        raise InvalidArgumentError(f"{_WHERE}: argument 'class_names': only with "
                                   "labels='inferred'")
    if label_mode not in ("int", "categorical", "binary", None):
        raise InvalidArgumentError(f"{_WHERE}: argument 'label_mode': expected 'int', "
                                   f"'categorical', 'binary' or None, got {label_mode!r}")
    if format not in ("tf", "grain"):
        raise InvalidArgumentError(f"{_WHERE}: argument 'format': expected 'tf' or 'grain', "
                                   f"got {format!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    seed = check_split(_WHERE, directory, validation_split, subset, shuffle, seed)
    paths, labs, names = index_directory(os.fspath(directory), labels, (".txt",), class_names,
                                         shuffle, seed, follow_links)
    if verbose:
        print(f"Found {len(paths)} files" + ("." if names is None or labs is None else
                                              f" belonging to {len(names)} classes."))
    if label_mode == "binary" and len(names or []) != 2:
        raise InvalidArgumentError(f"{_WHERE}: label_mode='binary' needs exactly 2 classes, "
                                   f"got class_names={names}")
    num_classes = len(names) if names else 0

    def read(path: str) -> Any:
        if format == "grain":
            with open(path, encoding="utf-8") as f:
                text: Any = f.read()
        else:
            with open(path, "rb") as f:
                text = f.read()
        return text if max_length is None else text[:max_length]

    def build(which: str | None, shuffle_it: bool) -> Any:
        p, y = split_and_encode(_WHERE, "text", ".txt", directory, paths, labs, which,
                                validation_split, label_mode, num_classes, verbose)
        items = list(range(len(p)))

        def gen() -> Any:
            for i in items:
                text = np.empty((), dtype=object)
                text[()] = read(p[i])
                yield text if y is None else (text, y[i])

        ds = Dataset(gen, len(p))
        if shuffle_it:
            ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
        if batch_size is not None:
            ds = ds.batch(batch_size)
        ds.class_names = names
        ds.file_paths = list(p)
        return ds

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset if validation_split else None, shuffle)
