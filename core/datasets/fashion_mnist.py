"""Fashion-MNIST (Zalando, MIT licence): ``tw.datasets.fashion_mnist.load_data()``.

Returns ``(x_train, y_train), (x_test, y_test)`` like Keras: ``uint8`` images of shape
``(60000, 28, 28)`` / ``(10000, 28, 28)`` and ``uint8`` labels 0..9 (see
:data:`CLASS_NAMES`).

The four standard IDX files (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``,
``t10k-images-idx3-ubyte.gz``, ``t10k-labels-idx1-ubyte.gz``, gzipped or not) are looked
for, in order, in:

1. the folder ``path=`` (only there, when given);
2. the cache ``$TENSORWEAVE_DATASETS/fashion_mnist/``, or
   ``$TENSORWEAVE_HOME/datasets/fashion_mnist/`` (default
   ``~/.tensorweave/datasets/fashion_mnist/``), each file checked against
   :data:`FILE_HASHES`;
3. ``/usr/share/datasets/fashion-mnist``, where Debian's and Ubuntu's package
   ``dataset-fashion-mnist`` installs them (``apt-get install dataset-fashion-mnist``);
4. else they are downloaded into the cache from :data:`BASE_URL` (or the environment
   variable ``TENSORWEAVE_FASHION_MNIST_URL``), verified, and renamed into place.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["load_data", "BASE_URL", "FILE_HASHES", "SYSTEM_DIRS", "CLASS_NAMES"]

NAME = "fashion_mnist"
URL_ENV = "TENSORWEAVE_FASHION_MNIST_URL"
#: Where the IDX files are downloaded from (``TENSORWEAVE_FASHION_MNIST_URL`` overrides it).
BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
#: Accepted digests per file: SHA-256 of the published .gz, SHA-256 of the decompressed
#: IDX bytes (so Debian's re-compressed files match too), and Zalando's MD5 of the .gz.
#: Set an entry to ``()`` to skip the check, or replace it.
FILE_HASHES: dict[str, Any] = {
    "train-images-idx3-ubyte.gz": (
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    "train-labels-idx1-ubyte.gz": (
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "25c81989df183df01b3e8a0aad5dffbe"),
    "t10k-images-idx3-ubyte.gz": (
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "bef4ecab320f06d8554ea6380940ec79"),
    "t10k-labels-idx1-ubyte.gz": (
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        "bb300cfdad3c16e7a12a480ee83cd310"),
}
#: Folders that system packages install the files into, searched after the cache.
SYSTEM_DIRS: tuple[str, ...] = ("/usr/share/datasets/fashion-mnist",)
INSTALL_HINTS: tuple[str, ...] = (
    "on Debian/Ubuntu install the package: apt-get install dataset-fashion-mnist "
    "(it puts the files in /usr/share/datasets/fashion-mnist)",)
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")


def load_data(path: Any = None) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring for the sources."""
    from . import _idx_dataset

    return _idx_dataset.load(sys.modules[__name__], path)
