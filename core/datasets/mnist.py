"""MNIST handwritten digits: ``tw.datasets.mnist.load_data()``.

Returns ``(x_train, y_train), (x_test, y_test)`` like Keras: ``uint8`` images of shape
``(60000, 28, 28)`` / ``(10000, 28, 28)`` with values 0..255 and ``uint8`` labels 0..9.

The four standard IDX files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``, gzipped or not) are looked
for, in order, in:

1. the folder ``path=`` (only there, when given);
2. the cache ``$TENSORWEAVE_DATASETS/mnist/``, or ``$TENSORWEAVE_HOME/datasets/mnist/``
   (default ``~/.tensorweave/datasets/mnist/``), each file checked against
   :data:`FILE_HASHES`;
3. else they are downloaded into the cache from :data:`BASE_URL` (or the environment
   variable ``TENSORWEAVE_MNIST_URL``), verified, and renamed into place.

No pickle is read (Keras's ``mnist.npz`` is not used).
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["load_data", "BASE_URL", "FILE_HASHES"]

NAME = "mnist"
URL_ENV = "TENSORWEAVE_MNIST_URL"
#: Where the IDX files are downloaded from (``TENSORWEAVE_MNIST_URL`` overrides it).
BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
#: Accepted digests per file: SHA-256 of the published .gz, SHA-256 of the decompressed
#: IDX bytes, and the publisher's MD5 of the .gz. Set an entry to ``()`` to skip the check
#: (a private mirror with different files), or replace it.
FILE_HASHES: dict[str, Any] = {
    "train-images-idx3-ubyte.gz": (
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    "train-labels-idx1-ubyte.gz": (
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "d53e105ee54ea40749a09fcbcd1e9432"),
    "t10k-images-idx3-ubyte.gz": (
        "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "9fb629c4189551a2d022fa330f9573f3"),
    "t10k-labels-idx1-ubyte.gz": (
        "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        "ec29112dd5afa0611ce80d1b7f02629c"),
}
#: Folders that system packages install the files into (none is known for MNIST).
SYSTEM_DIRS: tuple[str, ...] = ()
INSTALL_HINTS: tuple[str, ...] = ()


def load_data(path: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring for the sources."""
    from . import _idx_dataset

    return _idx_dataset.load(sys.modules[__name__], path)
