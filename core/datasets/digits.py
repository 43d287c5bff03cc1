"""The 8x8 handwritten digits (1,797 images, bundled; licence in data/DIGITS_LICENSE.txt).

``load_data()`` returns ``(x_train, y_train), (x_test, y_test)`` like
``keras.datasets.mnist.load_data()``: ``uint8`` images of shape ``(n, 8, 8)`` with
values 0..16 and ``uint8`` labels 0..9, split 80/20 per class with a fixed seed (1,438
training and 359 test images), the same split on every machine.
"""

from __future__ import annotations

import gzip
from importlib import resources
from typing import Any

__all__ = ["load_data", "load_arrays"]


def load_arrays() -> tuple[Any, Any]:
    """All 1,797 images ``(n, 8, 8)`` and labels, in file order."""
    import numpy as np

    raw = resources.files("tensorweave.datasets").joinpath("data/digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",",
                       dtype=np.float64)
    x = table[:, :-1].astype(np.uint8).reshape(-1, 8, 8)
    y = table[:, -1].astype(np.uint8)
    return x, y


def load_data(test_fraction: float = 0.2, seed: int = 0) -> tuple[tuple[Any, Any],
                                                                  tuple[Any, Any]]:
    import numpy as np

    x, y = load_arrays()
    rng = np.random.RandomState(seed)
    train_idx, test_idx = [], []
    for c in range(10):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        n_test = int(round(len(idx) * test_fraction))
        test_idx.append(idx[:n_test])
        train_idx.append(idx[n_test:])
    tr = np.concatenate(train_idx)
    te = np.concatenate(test_idx)
    rng.shuffle(tr)
    rng.shuffle(te)
    return (x[tr], y[tr]), (x[te], y[te])
