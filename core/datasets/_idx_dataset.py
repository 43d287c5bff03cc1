"""The loader shared by ``mnist`` and ``fashion_mnist`` (four IDX files)."""

from __future__ import annotations

import types
from typing import Any

from . import _fetch
from .idx import load_image_label_pair

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def _local_names(f: str) -> tuple[str, ...]:
    return (f, f[:-3])


def spec_of(module: types.ModuleType) -> _fetch.Spec:
    base = _fetch.env_or(module.BASE_URL, module.URL_ENV)
    return _fetch.Spec(
        name=module.NAME, files=FILES, url_of=lambda f: _fetch.join_url(base, f),
        hashes=dict(module.FILE_HASHES), url_env=module.URL_ENV, local_names=_local_names,
        system_dirs=tuple(module.SYSTEM_DIRS), install_hints=tuple(module.INSTALL_HINTS))


def load(module: types.ModuleType, path: Any = None) -> tuple[tuple[Any, Any],
                                                              tuple[Any, Any]]:
    files = _fetch.locate(spec_of(module), path)
    train = load_image_label_pair(files[FILES[0]], files[FILES[1]])
    test = load_image_label_pair(files[FILES[2]], files[FILES[3]])
    return train, test
