"""``tw.datasets``: Keras-style ``tw.datasets.<name>.load_data()``.

``digits`` is bundled and always available offline; it is the data of the quickstart and
the tests.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = ("digits",)


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f"tensorweave.datasets.{name}")
    raise AttributeError(f"module 'tensorweave.datasets' has no attribute {name!r}")
