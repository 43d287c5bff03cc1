"""Read-only configuration: the environment and ``$TENSORWEAVE_HOME/config.json``.

Nothing here writes a file, at import or ever (Keras writes ``keras.json`` at import, which
broke read-only and shared home directories). The config file is optional JSON such as
``{"backend": "python", "floatx": "float32"}``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .errors import InvalidArgumentError

__all__ = ["home", "read_config", "config_value"]

_cache: dict[str, Any] = {}


def home() -> Path:
    """``$TENSORWEAVE_HOME``, default ``~/.tensorweave`` (it need not exist)."""
    env = os.environ.get("TENSORWEAVE_HOME")
    return Path(env) if env else Path.home() / ".tensorweave"


def read_config() -> dict[str, Any]:
    """The parsed config file, or ``{}`` when there is none. Cached per path and mtime."""
    path = home() / "config.json"
    try:
        stat = path.stat()
    except OSError:
        return {}
    key = f"{path}:{stat.st_mtime_ns}"
    if key not in _cache:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InvalidArgumentError(f"config file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise InvalidArgumentError(f"config file {path}: expected a JSON object")
        _cache.clear()
        _cache[key] = data
    return _cache[key]


def config_value(name: str, default: Any = None) -> Any:
    return read_config().get(name, default)
