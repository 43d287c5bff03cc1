"""``tw.datasets``: Keras-style ``tw.datasets.<name>.load_data()``.

``digits`` is bundled and always available offline; it is the data of the quickstart and
the tests. ``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters`` and
``california_housing`` read the publishers' (or Keras's) files from a ``path=``, the cache
(``$TENSORWEAVE_DATASETS`` or ``$TENSORWEAVE_HOME/datasets``) or a system package, else
download them once with checksums (see :mod:`tensorweave.datasets._fetch`). ``simulate``
makes seeded synthetic data (``make_blobs``, ``make_spirals`` ...), also reachable as
``tw.datasets.make_*``.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = ("digits", "mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters",
            "california_housing", "boston_housing", "simulate", "idx")
_SIMULATE = ("make_regression", "make_classification", "make_blobs", "make_spirals",
             "make_sine_sequences", "make_moons", "make_circles")


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"tensorweave.datasets.{name}")
    if name in _SIMULATE:
        return getattr(importlib.import_module("tensorweave.datasets.simulate"), name)
    raise AttributeError(f"module 'tensorweave.datasets' has no attribute {name!r}")
