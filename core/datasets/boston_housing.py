"""Boston housing prices (506 houses, 13 features): ``tw.datasets.boston_housing.load_data()``,
as Keras's loader.

Returns ``(x_train, y_train), (x_test, y_test)`` from Keras's ``boston_housing.npz``
(arrays ``x`` ``(506, 13)`` and ``y`` ``(506,)``), rows shuffled with
``np.random.RandomState(seed)`` and the last ``test_split`` fraction as the test set,
exactly as Keras does (same URL, same checksum, same order, the file's dtypes).

Sources, in order: ``path`` when it is an existing file or a folder holding
``boston_housing.npz``; the cache ``$TENSORWEAVE_DATASETS/boston_housing/`` or
``$TENSORWEAVE_HOME/datasets/boston_housing/``; else a download of :data:`URL`
(``TENSORWEAVE_BOSTON_HOUSING_URL`` overrides it), checked against :data:`FILE_HASHES`.
The file is read with ``allow_pickle=False``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from ..utils.data_utils import DatasetFormatError
from . import _fetch

__all__ = ["load_data", "URL", "FILE_HASHES"]

NAME = "boston_housing"
URL_ENV = "TENSORWEAVE_BOSTON_HOUSING_URL"
FILE = "boston_housing.npz"
#: Keras's origin of the file.
URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"
#: Keras's SHA-256 of the file.
FILE_HASHES: dict[str, Any] = {
    FILE: ("f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",),
}


def _locate(path: Any) -> Path:
    p = Path(os.path.expanduser(str(path)))
    if p.is_file():
        return p
    spec = _fetch.Spec(name=NAME, files=(FILE,), url_of=lambda f: _fetch.env_or(URL, URL_ENV),
                       hashes={FILE: FILE_HASHES[FILE]}, url_env=URL_ENV)
    return _fetch.locate(spec, p if p.is_dir() else None)[FILE]


def load_data(path: Any = "boston_housing.npz", test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring."""
    import numpy as np

    if not 0 <= test_split < 1:
        raise InvalidArgumentError(f"boston_housing.load_data: argument 'test_split': expected "
                                   f"a value in [0, 1), got {test_split!r}")
    file = _locate(path)
    try:
        with np.load(file, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
    except (KeyError, ValueError, OSError) as exc:
        raise DatasetFormatError(f"{file}: not Keras's boston_housing.npz (arrays 'x' and "
                                 f"'y'): {exc}") from None
    if len(x) != len(y):
        raise DatasetFormatError(f"{file}: {len(x)} rows of x but {len(y)} targets")
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))
