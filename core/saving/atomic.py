"""Atomic file writes: a temporary file in the same folder, fsync, then rename.

An interrupted save (an exception, a full disk, a ``kill -9``) therefore leaves the
previous file intact: ``os.replace`` is atomic on POSIX and Windows within one file
system, and the new bytes are on disk before the rename makes them visible. A process
killed mid-write may leave a ``.NAME.*.tmp`` file beside the target; it is never read.

The new file gets the permissions of the file it replaces, or those a plain ``open``
would give (``0o666`` less the umask) — not the private ``0o600`` of a temporary file, so
a model saved for a server running as another user stays readable.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def _default_mode() -> int:
    try:  # Linux: read the umask without changing it
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Any, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, whole."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except OSError:
        mode = _default_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.chmod(tmp, mode)
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        fd = os.open(folder, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
