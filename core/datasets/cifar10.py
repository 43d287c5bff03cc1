"""CIFAR-10 (60,000 32x32 colour images, 10 classes): ``tw.datasets.cifar10.load_data()``.

Returns ``(x_train, y_train), (x_test, y_test)`` like Keras: ``uint8`` images of shape
``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels last) and ``uint8`` labels of
shape ``(n, 1)`` with values 0..9 (see :data:`CLASS_NAMES`).

It reads the **binary version**, ``cifar-10-binary.tar.gz``, whose batches are plain
records of 1 label byte and 3,072 pixel bytes (1,024 red, then green, then blue, row by
row). The "python version" holds pickles and is never read: unpickling runs code. The
archive is read in place (members are not extracted to disk). The record format and the
archive handling are shared with :mod:`.cifar100` (``_cifar``).

Sources, in order: ``path=`` (the archive, the ``cifar-10-batches-bin`` folder, or a
folder holding either); the cache ``$TENSORWEAVE_DATASETS/cifar10/`` or
``$TENSORWEAVE_HOME/datasets/cifar10/`` (the archive is checked against
:data:`FILE_HASHES`); else a download from :data:`BASE_URL` (environment variable
``TENSORWEAVE_CIFAR10_URL``) into the cache, verified, then renamed into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import _cifar

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
RECORD = 1 + _cifar.PIXELS


def parse_batch(data: bytes, source: str = "<bytes>") -> tuple[Any, Any]:
    """Images ``(n, 32, 32, 3)`` and labels ``(n, 1)`` from one binary batch file."""
    return _cifar.parse_records(
        data, label_bytes=1, label_limits=(10,), label_names=("label",),
        what="CIFAR-10 binary batch", other="CIFAR-100's binary format has 2 label bytes",
        source=source)


def _source(path: Any) -> Path:
    return _cifar.source(path, name=NAME, archive=ARCHIVE, folder=FOLDER,
                         marker=TRAIN_BATCHES[0], base_url=BASE_URL, url_env=URL_ENV,
                         hashes=FILE_HASHES)


def load_data(path: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring for the sources."""
    import numpy as np

    src = _source(path)
    names = TRAIN_BATCHES + TEST_BATCHES
    raw = _cifar.read(src, names, ARCHIVE)
    parts = {n: parse_batch(raw.pop(n), f"{src}:{n}") for n in names}
    x_train = np.concatenate([parts[n][0] for n in TRAIN_BATCHES])
    y_train = np.concatenate([parts[n][1] for n in TRAIN_BATCHES])
    x_test, y_test = parts[TEST_BATCHES[0]]
    return (x_train, y_train), (x_test, y_test)
