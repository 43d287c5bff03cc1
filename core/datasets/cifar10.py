"""CIFAR-10 (60,000 32x32 colour images, 10 classes): ``tw.datasets.cifar10.load_data()``.

Returns ``(x_train, y_train), (x_test, y_test)`` like Keras: ``uint8`` images of shape
``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels last) and ``uint8`` labels of
shape ``(n, 1)`` with values 0..9 (see :data:`CLASS_NAMES`).

It reads the **binary version**, ``cifar-10-binary.tar.gz``, whose batches are plain
records of 1 label byte and 3,072 pixel bytes (1,024 red, then green, then blue, row by
row). The "python version" holds pickles and is never read: unpickling runs code. The
archive is read in place (members are not extracted to disk).

Sources, in order: ``path=`` (the archive, the ``cifar-10-batches-bin`` folder, or a
folder holding either); the cache ``$TENSORWEAVE_DATASETS/cifar10/`` or
``$TENSORWEAVE_HOME/datasets/cifar10/`` (the archive is checked against
:data:`FILE_HASHES`); else a download from :data:`BASE_URL` (environment variable
``TENSORWEAVE_CIFAR10_URL``) into the cache, verified, then renamed into place.
"""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from ..utils.data_utils import DatasetFormatError
from . import _fetch

__all__ = ["load_data", "parse_batch", "BASE_URL", "FILE_HASHES", "CLASS_NAMES"]

NAME = "cifar10"
URL_ENV = "TENSORWEAVE_CIFAR10_URL"
ARCHIVE = "cifar-10-binary.tar.gz"
FOLDER = "cifar-10-batches-bin"
#: Where the archive is downloaded from (``TENSORWEAVE_CIFAR10_URL`` overrides it).
BASE_URL = "https://www.cs.toronto.edu/~kriz/"
#: Accepted digests of the archive: SHA-256 and the publisher's MD5. ``()`` skips the check.
FILE_HASHES: dict[str, Any] = {
    ARCHIVE: ("c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
              "c32a1d4ab5d03f1284b67883e8d87530"),
}
TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCHES = ("test_batch.bin",)
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")
RECORD = 1 + 32 * 32 * 3


def parse_batch(data: bytes, source: str = "<bytes>") -> tuple[Any, Any]:
    """Images ``(n, 32, 32, 3)`` and labels ``(n, 1)`` from one binary batch file."""
    import numpy as np

    if not data or len(data) % RECORD:
        raise DatasetFormatError(f"{source}: {len(data)} bytes is not a whole number of "
                                 f"{RECORD}-byte CIFAR-10 records (truncated or not a CIFAR-10 "
                                 f"binary batch); delete it and download it again")
    rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    y = rec[:, :1].copy()
    if int(y.max()) > 9:
        raise DatasetFormatError(f"{source}: label byte {int(y.max())} is out of range 0..9; "
                                 f"this is not a CIFAR-10 binary batch (CIFAR-100's binary "
                                 f"format has 2 label bytes)")
    x = rec[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return x, y


def _read_members(archive: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(archive) as tar:
            for m in tar:
                base = m.name.rsplit("/", 1)[-1]
                if base in names and m.isfile() and base not in out:
                    f = tar.extractfile(m)
                    if f is not None:
                        out[base] = f.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetFormatError(f"{archive}: cannot read the archive ({exc}); it is damaged "
                                 f"or incomplete: delete it and download it again") from None
    missing = [n for n in names if n not in out]
    if missing:
        raise DatasetFormatError(f"{archive}: the archive lacks {', '.join(missing)}; is it "
                                 f"the binary version ({ARCHIVE})?")
    return out


def _read_folder(folder: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetFormatError(f"{folder}: lacks {', '.join(missing)}")
    return {n: (folder / n).read_bytes() for n in names}


def _source(path: Any) -> Path:
    if path is not None:
        p = Path(path).expanduser()
        if p.is_dir() and (p / TRAIN_BATCHES[0]).exists():
            return p
    spec = _fetch.Spec(
        name=NAME, files=(ARCHIVE,),
        url_of=lambda f: _fetch.join_url(_fetch.env_or(BASE_URL, URL_ENV), f),
        hashes=dict(FILE_HASHES), url_env=URL_ENV, local_names=lambda f: (f, FOLDER))
    return _fetch.locate(spec, path)[ARCHIVE]


def load_data(path: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring for the sources."""
    import numpy as np

    src = _source(path)
    names = TRAIN_BATCHES + TEST_BATCHES
    raw = _read_folder(src, names) if src.is_dir() else _read_members(src, names)
    parts = {n: parse_batch(raw.pop(n), f"{src}:{n}") for n in names}
    x_train = np.concatenate([parts[n][0] for n in TRAIN_BATCHES])
    y_train = np.concatenate([parts[n][1] for n in TRAIN_BATCHES])
    x_test, y_test = parts[TEST_BATCHES[0]]
    return (x_train, y_train), (x_test, y_test)
