"""IMDB movie-review sentiment (25,000 train + 25,000 test reviews):
``tw.datasets.imdb.load_data()``, with Keras's arguments and encoding.

Two sources, chosen with ``source=``:

* ``"keras"``: Keras's own ``imdb.npz`` (and ``imdb_word_index.json`` for
  :func:`get_word_index`), so the word indices are exactly Keras's. The reviews are an
  object array stored as a pickle stream; tensorweave reads it with its own whitelist
  interpreter (:mod:`._safe_pickle`), so nothing in the file is unpickled or run. The
  arguments are applied as Keras 2 and 3 apply them, and the result is element for element
  Keras's.
* ``"text"``: the original text archive ``aclImdb_v1.tar.gz`` (Maas et al., 2011),
  tokenized by tensorweave, so the indices differ from Keras's (see below).
* ``"auto"`` (the default): ``"keras"`` when ``imdb.npz`` is found or can be downloaded;
  else, with a warning, the text archive when it is already here (in ``path=`` or the
  cache). With ``path=``, the kind of file or folder given decides.

The text tokenizer:

* lower-cases a review, turns ``<br />`` tags into spaces and keeps runs of letters and
  digits, with inner apostrophes (``"don't"`` is one word);
* words are ranked by frequency over all 50,000 labelled reviews (ties alphabetically);
  rank 1 is the most frequent word, and :func:`get_word_index` returns ``{word: rank}``;
* a review becomes ``[start_char] + [rank + index_from ...]``, then words with an index
  ``>= num_words`` or ``< skip_top`` become ``oov_char``, as in Keras (0 is padding, 1 the
  start, 2 out-of-vocabulary, real words from 3 on); reviews of ``maxlen`` or more
  indices are dropped; the train and test sets are shuffled with ``seed`` exactly as
  Keras does.

The tokenized result is cached as ``imdb_tokens_v1.npz`` (integer arrays only, read with
``allow_pickle=False``) beside the archive, so only the first load reads the text.

Either way ``x_*`` are object arrays of Python ``list`` of ``int`` and ``y_*`` are
``int64`` 0 (negative) / 1 (positive). Use ``tw.utils.pad_sequences`` to make them one
array.

Sources, in order: ``path=`` (``imdb.npz``, or a folder holding it; the text archive, the
``aclImdb`` folder, or a folder holding either); the cache ``$TENSORWEAVE_DATASETS/imdb/``
or ``$TENSORWEAVE_HOME/datasets/imdb/`` (downloads are checked against
:data:`FILE_HASHES` and :data:`KERAS_FILE_HASHES`); else a download from
:data:`KERAS_BASE_URL` (environment variable ``TENSORWEAVE_IMDB_NPZ_URL``) or, for the
text, :data:`BASE_URL` (``TENSORWEAVE_IMDB_URL``) into the cache.
"""

from __future__ import annotations

import os
import re
import tarfile
import tempfile
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from ..utils.data_utils import DatasetFormatError, DatasetNotFoundError
from . import _fetch, reuters

__all__ = ["load_data", "get_word_index", "tokenize", "BASE_URL", "FILE_HASHES",
           "KERAS_BASE_URL", "KERAS_FILE_HASHES", "SOURCES"]

NAME = "imdb"
URL_ENV = "TENSORWEAVE_IMDB_URL"
ARCHIVE = "aclImdb_v1.tar.gz"
FOLDER = "aclImdb"
#: Where the archive is downloaded from (``TENSORWEAVE_IMDB_URL`` overrides it).
BASE_URL = "https://ai.stanford.edu/~amaas/data/sentiment/"
#: Accepted digests of the archive: SHA-256 and the publisher's MD5. ``()`` skips the check.
FILE_HASHES: dict[str, Any] = {
    ARCHIVE: ("c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
              "7c2ac02c03563afcf9b574c7e56c153a"),
}
#: Keras's files: the reviews as word indices, and the word index.
NPZ = "imdb.npz"
WORD_INDEX = "imdb_word_index.json"
KERAS_URL_ENV = "TENSORWEAVE_IMDB_NPZ_URL"
#: Where Keras's files are downloaded from (``TENSORWEAVE_IMDB_NPZ_URL`` overrides it).
KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: As published in Keras's source: the SHA-256 of ``imdb.npz`` and the MD5 of
#: ``imdb_word_index.json`` (Keras publishes no SHA-256 for it; it is only read as JSON).
KERAS_FILE_HASHES: dict[str, Any] = {
    NPZ: ("69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",),
    WORD_INDEX: ("bfafd718b763782e994055a2d397834f",),
}
SOURCES = ("auto", "keras", "text")
TOKENIZER_VERSION = 1
_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_MEMBER = re.compile(r"(?:^|/)(train|test)/(pos|neg)/(\d+)_\d+\.txt$")


def tokenize(text: str) -> list[str]:
    """The words of one review, as the loader splits them."""
    text = re.sub(r"<br\s*/?>", " ", text.lower())
    return _TOKEN.findall(text)


# ---- reading the text ---------------------------------------------------------------------
def _reviews_from_tar(archive: Path) -> list[tuple[str, int, int, str]]:
    out = []
    try:
        with tarfile.open(archive) as tar:
            for m in tar:
                match = _MEMBER.search(m.name)
                if match is None or not m.isfile():
                    continue
                f = tar.extractfile(m)
                if f is None:
                    continue
                split, label, num = match.group(1), match.group(2), int(match.group(3))
                out.append((split, int(label == "pos"), num,
                            f.read().decode("utf-8", errors="replace")))
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetFormatError(f"{archive}: cannot read the archive ({exc}); it is damaged "
                                 f"or incomplete: delete it and download it again") from None
    return out


def _reviews_from_folder(folder: Path) -> list[tuple[str, int, int, str]]:
    out = []
    for split in ("train", "test"):
        for label in ("neg", "pos"):
            d = folder / split / label
            if not d.is_dir():
                continue
            for p in d.iterdir():
                match = _MEMBER.search(f"{split}/{label}/{p.name}")
                if match is not None and p.is_file():
                    out.append((split, int(label == "pos"), int(match.group(3)),
                                p.read_bytes().decode("utf-8", errors="replace")))
    return out


def _build(source: Path) -> dict[str, Any]:
    import numpy as np

    reviews = _reviews_from_folder(source) if source.is_dir() else _reviews_from_tar(source)
    reviews.sort(key=lambda r: (r[0] != "train", r[1], r[2]))
    for split in ("train", "test"):
        if not any(r[0] == split for r in reviews):
            raise DatasetFormatError(f"{source}: no {split}/pos or {split}/neg reviews found; "
                                     f"is it the aclImdb archive ({ARCHIVE})?")
    tokens = [tokenize(r[3]) for r in reviews]
    counts: Counter = Counter()
    for t in tokens:
        counts.update(t)
    vocab = sorted(counts, key=lambda w: (-counts[w], w))
    rank = {w: i + 1 for i, w in enumerate(vocab)}
    arrays: dict[str, Any] = {}
    for split in ("train", "test"):
        idx = [i for i, r in enumerate(reviews) if r[0] == split]
        arrays[f"{split}_tokens"] = np.fromiter(
            (rank[w] for i in idx for w in tokens[i]), dtype=np.int32)
        arrays[f"{split}_lengths"] = np.asarray([len(tokens[i]) for i in idx], dtype=np.int64)
        arrays[f"{split}_labels"] = np.asarray([reviews[i][1] for i in idx], dtype=np.int64)
    arrays["vocab"] = np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8)
    return arrays


def _signature(source: Path) -> str:
    st = source.stat()
    return f"v{TOKENIZER_VERSION}|{source.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def _load_tokens(path: Any) -> dict[str, Any]:
    import numpy as np

    source = _source(path)
    sig = _signature(source)
    cache = _fetch.cache_dir(NAME) / f"imdb_tokens_v{TOKENIZER_VERSION}.npz"
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                if bytes(z["source"]).decode("utf-8") == sig:
                    return {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError):
            pass  # a damaged token cache is rebuilt
    arrays = _build(source)
    arrays["source"] = np.frombuffer(sig.encode("utf-8"), dtype=np.uint8)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{cache.name}.", suffix=".tmp", dir=cache.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, cache)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # a read-only cache folder: tokenize again next time
    return arrays


def _source(path: Any) -> Path:
    if path is not None:
        p = Path(path).expanduser()
        if p.is_dir() and (p / "train").is_dir():
            return p
    spec = _fetch.Spec(
        name=NAME, files=(ARCHIVE,),
        url_of=lambda f: _fetch.join_url(_fetch.env_or(BASE_URL, URL_ENV), f),
        hashes=dict(FILE_HASHES), url_env=URL_ENV, local_names=lambda f: (f, FOLDER))
    return _fetch.locate(spec, path)[ARCHIVE]


# ---- which source --------------------------------------------------------------------------
def _text_here(path: Any) -> bool:
    """Whether the text archive or folder is already on this machine (no download)."""
    if path is not None:
        p = Path(path).expanduser()
        return p.is_file() or (p.is_dir() and any(
            (p / n).exists() for n in (ARCHIVE, FOLDER, "train")))
    cache = _fetch.cache_dir(NAME)
    return (cache / ARCHIVE).is_file() or (cache / FOLDER).is_dir()


def _keras_file(default: str, path: Any) -> Path:
    return reuters.locate_keras_file(NAME, default, path, KERAS_BASE_URL, KERAS_URL_ENV,
                                     KERAS_FILE_HASHES)


def _check_source(source: str, where: str) -> str:
    if source == "npz":
        return "keras"
    if source not in SOURCES:
        raise InvalidArgumentError(f"imdb.{where}: argument 'source': expected one of "
                                   f"{', '.join(map(repr, SOURCES))}, got {source!r}")
    return source


def _fallback_warning(what: str, exc: BaseException) -> None:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    warnings.warn(
        f"imdb.{what}: Keras's {NPZ} is not available ({first}); using the text archive "
        f"{ARCHIVE} found here instead, whose word indices differ from Keras's. Pass "
        f"source='text' to choose it explicitly, or put {NPZ} and {WORD_INDEX} in "
        f"{_fetch.cache_dir(NAME)} for Keras's indices.", stacklevel=3)


def _auto_path_kind(path: Any, keras_names: tuple[str, ...]) -> str:
    """For ``source='auto'`` with a ``path=``: ``'keras'`` or ``'text'``, from what the
    path is or holds (Keras's files win)."""
    p = Path(path).expanduser()
    if p.is_file():
        return "keras" if p.suffix in (".npz", ".json") else "text"
    if p.is_dir():
        if any((p / n).is_file() for n in keras_names):
            return "keras"
        return "text" if _text_here(p) else "keras"
    return "keras" if p.suffix in (".npz", ".json") else "text"


# ---- the Keras API ------------------------------------------------------------------------
def get_word_index(path: Any = None, source: str = "auto") -> dict[str, int]:
    """``{word: rank}`` (rank 1 = most frequent); index in a sequence = rank + index_from.

    ``source="keras"`` reads Keras's ``imdb_word_index.json`` (``path=``: the file, a folder
    holding it, or ``imdb.npz`` beside it); ``"text"`` gives the tokenizer's ranks of the
    text archive; ``"auto"`` matches what :func:`load_data` uses (it never pairs the text
    ranks with Keras's ``imdb.npz``)."""
    source = _check_source(source, "get_word_index")
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file() and p.suffix == ".npz":
            path = p.parent  # the word index beside Keras's imdb.npz
        if source == "auto":
            source = _auto_path_kind(path, (NPZ, WORD_INDEX))
    if source == "keras":
        return reuters.read_word_index(_keras_file(WORD_INDEX, path))
    if source == "auto":
        try:
            return reuters.read_word_index(_keras_file(WORD_INDEX, None))
        except DatasetNotFoundError as exc:
            if (_fetch.cache_dir(NAME) / NPZ).is_file() or not _text_here(None):
                raise
            _fallback_warning("get_word_index", exc)
    vocab = bytes(_load_tokens(path)["vocab"]).decode("utf-8")
    return {w: i + 1 for i, w in enumerate(vocab.split("\n"))} if vocab else {}


def load_data(path: Any = None, num_words: int | None = None, skip_top: int = 0,
              maxlen: int | None = None, seed: int = 113, start_char: int | None = 1,
              oov_char: int | None = 2, index_from: int = 3, source: str = "auto",
              **kwargs: Any) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)`` with Keras's arguments: keep the
    ``num_words`` most frequent words (others become ``oov_char``, or are dropped when
    ``oov_char=None``), skip the ``skip_top`` most frequent, drop reviews of ``maxlen`` or
    more indices, shuffle with ``seed``. ``source`` is ``"auto"``, ``"keras"`` (Keras's
    ``imdb.npz``, Keras's indices) or ``"text"`` (the aclImdb archive, tensorweave's
    tokenizer); see the module docstring."""
    if kwargs:
        raise InvalidArgumentError(f"imdb.load_data: unexpected argument(s) {sorted(kwargs)}")
    source = _check_source(source, "load_data")
    args = (num_words, skip_top, maxlen, seed, start_char, oov_char, index_from)
    if source == "auto" and path is not None:
        source = _auto_path_kind(path, (NPZ,))
    if source == "keras":
        return _load_keras(_keras_file(NPZ, path), *args)
    if source == "auto":
        try:
            file = _keras_file(NPZ, None)
        except DatasetNotFoundError as exc:
            if not _text_here(None):
                raise DatasetNotFoundError(
                    f"{exc}\n  (or, for tensorweave's own tokenization of the text archive, "
                    f"pass source='text' to download {ARCHIVE} from "
                    f"{_fetch.env_or(BASE_URL, URL_ENV)})") from exc
            _fallback_warning("load_data", exc)
        else:
            return _load_keras(file, *args)
    return _load_text(path, *args)


def _load_keras(file: Path, num_words: int | None, skip_top: int, maxlen: int | None,
                seed: int, start_char: int | None, oov_char: int | None,
                index_from: int) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Keras's ``imdb.load_data`` on Keras's ``imdb.npz``, step for step."""
    import numpy as np

    arrays = reuters.read_npz(file, ("x_train", "y_train", "x_test", "y_test"))
    rng = np.random.RandomState(seed)
    parts = {}
    for split in ("train", "test"):  # one generator: train first, then test, as Keras
        xs, labels = arrays[f"x_{split}"], np.asarray(arrays[f"y_{split}"])
        if xs.ndim != 1 or labels.shape != (len(xs),):
            raise DatasetFormatError(f"{file}: x_{split} has shape {xs.shape} and y_{split} "
                                     f"{labels.shape}; expected one label per review")
        order = np.arange(len(xs))
        rng.shuffle(order)
        parts[split] = (reuters.encode(xs[order], start_char, index_from), labels[order])
    if maxlen:
        for split in parts:
            parts[split] = reuters.remove_long(maxlen, *parts[split])
        if not parts["train"][0] or not parts["test"][0]:
            raise InvalidArgumentError(f"imdb.load_data: after filtering for sequences "
                                       f"shorter than maxlen={maxlen}, no sequence was kept; "
                                       f"increase maxlen")
    n = len(parts["train"][0])
    xs = reuters.limit_words(parts["train"][0] + parts["test"][0], num_words, skip_top,
                             oov_char)
    return ((reuters.object_array(xs[:n]), parts["train"][1]),
            (reuters.object_array(xs[n:]), parts["test"][1]))


def _object_array(seqs: list) -> Any:
    import numpy as np

    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def _load_text(path: Any, num_words: int | None, skip_top: int, maxlen: int | None,
               seed: int, start_char: int | None, oov_char: int | None,
               index_from: int) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    import numpy as np

    arrays = _load_tokens(path)
    rng = np.random.RandomState(seed)
    parts = {}
    for split in ("train", "test"):
        flat = arrays[f"{split}_tokens"].astype(np.int64)
        seqs = np.split(flat, np.cumsum(arrays[f"{split}_lengths"])[:-1]) \
            if len(arrays[f"{split}_lengths"]) else []
        labels = arrays[f"{split}_labels"]
        order = np.arange(len(seqs))
        rng.shuffle(order)
        seqs = [seqs[i] for i in order]
        labels = labels[order]
        if start_char is not None:
            seqs = [np.concatenate([[start_char], s + index_from]) for s in seqs]
        elif index_from:
            seqs = [s + index_from for s in seqs]
        if maxlen:
            keep = [i for i, s in enumerate(seqs) if len(s) < maxlen]
            seqs = [seqs[i] for i in keep]
            labels = labels[keep]
        parts[split] = (seqs, labels)
    if maxlen and (not parts["train"][0] or not parts["test"][0]):
        raise InvalidArgumentError(f"imdb.load_data: after filtering for sequences shorter "
                                   f"than maxlen={maxlen}, no sequence was kept; increase "
                                   f"maxlen")
    xs = parts["train"][0] + parts["test"][0]
    if not num_words:
        num_words = max((int(s.max()) for s in xs if len(s)), default=0)
    out = []
    for s in xs:
        ok = (s >= skip_top) & (s < num_words)
        if oov_char is not None:
            s = np.where(ok, s, oov_char)
        else:
            s = s[ok]
        out.append(s.tolist())
    n = len(parts["train"][0])
    return ((_object_array(out[:n]), parts["train"][1]),
            (_object_array(out[n:]), parts["test"][1]))
