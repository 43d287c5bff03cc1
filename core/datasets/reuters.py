"""Reuters newswire topics (11,228 newswires, 46 topics): ``tw.datasets.reuters.load_data()``,
Keras's loader with Keras's file, arguments and word indices.

The data is Keras's ``reuters.npz``: ``x``, an object array of Python ``list`` of ``int``
(word ranks, 1 = the most frequent word), and ``y``, the topic of each newswire (0..45,
named by :func:`get_label_names`). The object array is stored as a pickle stream, which
tensorweave reads with its own whitelist interpreter (:mod:`._safe_pickle`): nothing in the
file is unpickled or run.

:func:`load_data` does what Keras 2 and 3 do, in the same order: shuffle the newswires and
their labels together with ``np.random.RandomState(seed)``; add ``index_from`` to every
word and put ``start_char`` first; drop the newswires of ``maxlen`` or more indices;
replace indices ``>= num_words`` or ``< skip_top`` with ``oov_char`` (or drop them when
``oov_char=None``); the first ``int(n * (1 - test_split))`` are the training set. So the
result is element for element Keras's. :func:`get_word_index` reads Keras's
``reuters_word_index.json`` (``{word: rank}``; the index in a sequence is
``rank + index_from``).

Sources, in order: ``path=`` (the ``.npz`` itself, or a folder holding ``reuters.npz``; a
bare file name such as the default ``"reuters.npz"`` that does not exist in the current
folder is the name in the cache, as in Keras); the cache ``$TENSORWEAVE_DATASETS/reuters/``
or ``$TENSORWEAVE_HOME/datasets/reuters/`` (checked against :data:`FILE_HASHES`); else a
download from :data:`BASE_URL` (environment variable ``TENSORWEAVE_REUTERS_URL``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from ..utils.data_utils import DatasetFormatError, DatasetNotFoundError
from . import _fetch, _safe_pickle

__all__ = ["load_data", "get_word_index", "get_label_names", "BASE_URL", "FILE_HASHES",
           "LABEL_NAMES"]

NAME = "reuters"
URL_ENV = "TENSORWEAVE_REUTERS_URL"
NPZ = "reuters.npz"
WORD_INDEX = "reuters_word_index.json"
#: Keras's download folder (``TENSORWEAVE_REUTERS_URL`` overrides it).
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Accepted digests, as published in Keras's source: the SHA-256 of ``reuters.npz`` and
#: the MD5 of ``reuters_word_index.json`` (Keras publishes no SHA-256 for it; the file is
#: only ever read as JSON). ``()`` skips the check.
FILE_HASHES: dict[str, Any] = {
    NPZ: ("d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",),
    WORD_INDEX: ("4d44cc38712099c9e383dc6e5f11a921",),
}
#: The 46 topics, indexed by label (Keras 3's ``get_label_names()``).
LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply",
    "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas",
    "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin",
    "strategic-metal", "livestock", "retail", "ipi", "iron-steel", "rubber", "heat", "jobs",
    "lei", "bop", "zinc", "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def locate_keras_file(name: str, default: str, path: Any, base_url: str, url_env: str,
                      hashes: dict[str, Any]) -> Path:
    """Find one of Keras's ``tf-keras-datasets`` files (``default``) for data set ``name``.

    ``path`` is the file, a folder holding ``default``, or (Keras's meaning) a bare file
    name in the cache; ``None`` is ``default`` in the cache. Shared with ``imdb``.
    """
    cache_name = default
    if path is not None:
        p = Path(os.path.expanduser(str(path)))
        if p.is_file():
            return p
        if p.is_dir():
            return _fetch.locate(_spec(name, default, default, base_url, url_env, hashes),
                                 p)[default]
        if p.name != str(path) or not p.name:
            raise DatasetNotFoundError(f"{name}: path={str(path)!r} is neither a file nor a "
                                       f"folder; pass Keras's {default}, a folder holding "
                                       f"it, or a bare file name for the cache")
        cache_name = p.name  # a bare name: the file's name in the cache, as in Keras
    spec = _spec(name, cache_name, default, base_url, url_env, hashes)
    return _fetch.locate(spec)[cache_name]


def _spec(name: str, cache_name: str, default: str, base_url: str, url_env: str,
          hashes: dict[str, Any]) -> _fetch.Spec:
    return _fetch.Spec(
        name=name, files=(cache_name,),
        url_of=lambda f: _fetch.join_url(_fetch.env_or(base_url, url_env), default),
        hashes={cache_name: hashes.get(default)}, url_env=url_env)


def read_word_index(file: Path) -> dict[str, int]:
    """``{word: rank}`` from a Keras word-index JSON file, checked to be just that."""
    try:
        index = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DatasetFormatError(f"{file}: not a word-index JSON file ({exc}); delete it and "
                                 f"download it again") from None
    if not isinstance(index, dict) or not all(
            isinstance(k, str) and type(v) is int for k, v in index.items()):
        raise DatasetFormatError(f"{file}: a word index maps words to int ranks; this JSON "
                                 f"holds something else")
    return index


def remove_long(maxlen: int, xs: list, labels: Any) -> tuple[list, Any]:
    """Keep the sequences shorter than ``maxlen`` (Keras's ``remove_long_seq``)."""
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], labels[keep]


def encode(xs: Any, start_char: int | None, index_from: int) -> list[list[int]]:
    """Keras's ``index_from`` shift and ``start_char``; every sequence a new ``list``."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def limit_words(xs: list, num_words: int | None, skip_top: int,
                oov_char: int | None) -> list[list[int]]:
    """Keras's ``num_words`` / ``skip_top`` cut: the rest become ``oov_char`` (or go)."""
    if not num_words:
        num_words = max((max(x) for x in xs if len(x)), default=0)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs: list) -> Any:
    """A 1-D object array of the lists (also when they all have one length)."""
    import numpy as np

    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def read_npz(file: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    arrays = _read_decoded(file)
    if arrays is None:
        arrays = _safe_pickle.load_npz(file)
        _write_decoded(file, arrays)
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise DatasetFormatError(f"{file}: lacks the array(s) {', '.join(missing)} (it has "
                                 f"{', '.join(sorted(arrays)) or 'none'}); is it Keras's "
                                 f"{file.name}?")
    return arrays


# ---- a decoded copy beside Keras's file ---------------------------------------------------
# Interpreting the pickle opcodes of imdb.npz in Python takes seconds; the first load also
# writes the same data as plain integer arrays (``<file>.decoded.npz``: each object array as
# its concatenated values and lengths), which ``np.load`` reads with ``allow_pickle=False``.
# The copy records the size and mtime of the file it came from and is ignored if they
# differ. Writing it is best effort (a read-only folder just means no copy).
_DECODED_VERSION = 1


def _decoded_path(file: Path) -> Path:
    return file.with_name(file.name + ".decoded.npz")


def _stamp(file: Path) -> Any:
    import numpy as np

    st = file.stat()
    return np.array([_DECODED_VERSION, st.st_size, st.st_mtime_ns], dtype=np.int64)


def _read_decoded(file: Path) -> dict[str, Any] | None:
    import numpy as np

    cached = _decoded_path(file)
    try:
        with np.load(cached, allow_pickle=False) as data:
            if not np.array_equal(data["__stamp__"], _stamp(file)):
                return None
            out: dict[str, Any] = {}
            for name in data.files:
                if name.endswith("__lengths"):
                    key = name[:-len("__lengths")]
                    lengths = data[name]
                    flat = data[f"{key}__values"].tolist()
                    seqs, start = [], 0
                    for n in lengths.tolist():
                        seqs.append(flat[start:start + n])
                        start += n
                    out[key] = object_array(seqs)
                elif not name.endswith("__values") and name != "__stamp__":
                    out[name] = data[name]
            return out
    except (OSError, KeyError, ValueError, EOFError):
        return None


def _write_decoded(file: Path, arrays: dict[str, Any]) -> None:
    import os
    import tempfile

    import numpy as np

    plain: dict[str, Any] = {"__stamp__": _stamp(file)}
    for key, arr in arrays.items():
        if getattr(arr, "dtype", None) is not None and arr.dtype == object:
            try:
                seqs = [np.asarray(x, dtype=np.int64).ravel() for x in arr]
            except (TypeError, ValueError):
                return  # not lists of ints: keep reading the original
            plain[f"{key}__lengths"] = np.array([len(x) for x in seqs], dtype=np.int64)
            plain[f"{key}__values"] = np.concatenate(seqs) if seqs else \
                np.zeros(0, np.int64)
        else:
            plain[key] = arr
    target = _decoded_path(file)
    try:
        fd, tmp = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                np.savez(fh, **plain)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def load_data(path: Any = NPZ, num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, test_split: float = 0.2, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2,
              index_from: int = 3) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)`` as Keras returns them: object arrays of
    ``list`` of ``int`` and ``int64`` labels 0..45; see the module docstring."""
    import numpy as np

    if not 0.0 <= float(test_split) <= 1.0:
        raise InvalidArgumentError(f"reuters.load_data: argument 'test_split': expected a "
                                   f"fraction in [0, 1], got {test_split!r}")
    file = locate_keras_file(NAME, NPZ, path, BASE_URL, URL_ENV, FILE_HASHES)
    arrays = read_npz(file, ("x", "y"))
    xs, labels = arrays["x"], np.asarray(arrays["y"])
    if xs.ndim != 1 or labels.shape != (len(xs),):
        raise DatasetFormatError(f"{file}: x has shape {xs.shape} and y {labels.shape}; "
                                 f"expected one label per sequence")

    rng = np.random.RandomState(seed)
    order = np.arange(len(xs))
    rng.shuffle(order)
    xs, labels = xs[order], labels[order]
    seqs = encode(xs, start_char, index_from)
    if maxlen:
        seqs, labels = remove_long(maxlen, seqs, labels)
    seqs = limit_words(seqs, num_words, skip_top, oov_char)
    n = int(len(seqs) * (1 - test_split))
    return ((object_array(seqs[:n]), labels[:n]), (object_array(seqs[n:]), labels[n:]))


def get_word_index(path: Any = WORD_INDEX) -> dict[str, int]:
    """``{word: rank}`` from Keras's ``reuters_word_index.json`` (rank 1 = most frequent;
    the index in a sequence is ``rank + index_from``)."""
    return read_word_index(locate_keras_file(NAME, WORD_INDEX, path, BASE_URL, URL_ENV,
                                             FILE_HASHES))


def get_label_names() -> tuple[str, ...]:
    """The names of the 46 topics; ``get_label_names()[y]`` is the topic of label ``y``."""
    return LABEL_NAMES
