"""CIFAR-100 (60,000 32x32 colour images, 100 classes in 20 superclasses):
``tw.datasets.cifar100.load_data(label_mode="fine")``.

Returns ``(x_train, y_train), (x_test, y_test)`` like Keras: ``uint8`` images of shape
``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` (channels last) and ``int64`` labels of
shape ``(n, 1)``: with ``label_mode="fine"`` the 100 classes (0..99), with
``label_mode="coarse"`` the 20 superclasses (0..19). :func:`get_label_names` gives their
names, read from the archive.

It reads the **binary version**, ``cifar-100-binary.tar.gz``, whose files ``train.bin``
and ``test.bin`` are plain records of 2 label bytes (coarse, then fine) and 3,072 pixel
bytes (1,024 red, then green, then blue, row by row), beside ``coarse_label_names.txt``
and ``fine_label_names.txt`` (one name per line, line ``i`` naming label ``i``). The
"python version" holds pickles and is never read: unpickling runs code. The archive is
read in place (members are not extracted to disk), by the code shared with
:mod:`.cifar10` (``_cifar``).

Sources, in order: ``path=`` (the archive, the ``cifar-100-binary`` folder, or a folder
holding either); the cache ``$TENSORWEAVE_DATASETS/cifar100/`` or
``$TENSORWEAVE_HOME/datasets/cifar100/`` (the archive is checked against
:data:`FILE_HASHES`); else a download from :data:`BASE_URL` (environment variable
``TENSORWEAVE_CIFAR100_URL``) into the cache, verified, then renamed into place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from ..utils.data_utils import DatasetFormatError
from . import _cifar

__all__ = ["load_data", "get_label_names", "parse_file", "BASE_URL", "FILE_HASHES",
           "LABEL_MODES"]

NAME = "cifar100"
URL_ENV = "TENSORWEAVE_CIFAR100_URL"
ARCHIVE = "cifar-100-binary.tar.gz"
FOLDER = "cifar-100-binary"
#: Where the archive is downloaded from (``TENSORWEAVE_CIFAR100_URL`` overrides it).
BASE_URL = "https://www.cs.toronto.edu/~kriz/"
#: Accepted digests of the archive: the MD5 the publisher lists on
#: https://www.cs.toronto.edu/~kriz/cifar.html (no SHA-256 is published). ``()`` skips
#: the check.
FILE_HASHES: dict[str, Any] = {
    ARCHIVE: ("03b5dce01913d631647c71ecec9e9cb8",),
}
TRAIN_FILE = "train.bin"
TEST_FILE = "test.bin"
#: ``label_mode`` -> (column of the label byte in a record, number of classes, name file).
LABEL_MODES: dict[str, tuple[int, int, str]] = {
    "coarse": (0, 20, "coarse_label_names.txt"),
    "fine": (1, 100, "fine_label_names.txt"),
}
RECORD = 2 + _cifar.PIXELS


def _check_mode(label_mode: Any, where: str) -> tuple[int, int, str]:
    if not isinstance(label_mode, str) or label_mode not in LABEL_MODES:
        raise InvalidArgumentError(f"cifar100.{where}: argument 'label_mode': expected 'fine' "
                                   f"(100 classes) or 'coarse' (20 superclasses), got "
                                   f"{label_mode!r}")
    return LABEL_MODES[label_mode]


def parse_file(data: bytes, source: str = "<bytes>") -> tuple[Any, Any]:
    """Images ``(n, 32, 32, 3)`` and labels ``(n, 2)`` (coarse, fine; ``uint8``) from
    ``train.bin`` or ``test.bin``."""
    return _cifar.parse_records(
        data, label_bytes=2, label_limits=(20, 100),
        label_names=("coarse label", "fine label"), what="CIFAR-100 binary file",
        other="CIFAR-10's binary format has 1 label byte", source=source)


def _source(path: Any) -> Path:
    return _cifar.source(path, name=NAME, archive=ARCHIVE, folder=FOLDER, marker=TRAIN_FILE,
                         base_url=BASE_URL, url_env=URL_ENV, hashes=FILE_HASHES)


def load_data(label_mode: str = "fine",
              path: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)`` with the ``label_mode`` labels (``"fine"``:
    0..99, ``"coarse"``: 0..19) as ``int64`` ``(n, 1)``; see the module docstring for the
    sources."""
    import numpy as np

    column = _check_mode(label_mode, "load_data")[0]
    src = _source(path)
    raw = _cifar.read(src, (TRAIN_FILE, TEST_FILE), ARCHIVE)
    out = []
    for name in (TRAIN_FILE, TEST_FILE):
        x, labels = parse_file(raw.pop(name), f"{src}:{name}")
        out.append((x, labels[:, column:column + 1].astype(np.int64)))
    return out[0], out[1]


def get_label_names(label_mode: str = "fine", path: Any = None) -> tuple[str, ...]:
    """The 100 class names (``"fine"``) or 20 superclass names (``"coarse"``), in label
    order, from the archive's ``fine_label_names.txt`` / ``coarse_label_names.txt``:
    ``get_label_names(mode)[y]`` names label ``y`` of ``load_data(mode)``. The names are
    the publisher's (``"aquarium_fish"``, ``"vehicles_1"`` ...). ``path=`` as in
    :func:`load_data`; otherwise the archive is found or downloaded the same way."""
    _, n_classes, file = _check_mode(label_mode, "get_label_names")
    src = _source(path)
    data = _cifar.read(src, (file,), ARCHIVE)[file]
    where = f"{src}:{file}"
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise DatasetFormatError(f"{where}: not a text file of label names") from None
    names = tuple(s.strip() for s in text.splitlines() if s.strip())
    if len(names) != n_classes:
        raise DatasetFormatError(f"{where}: {len(names)} names, expected {n_classes} "
                                 f"({label_mode} labels)")
    return names
