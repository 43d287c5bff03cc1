"""What ``cifar10`` and ``cifar100`` share: the publisher's *binary* record format, reading
the archive in place (members are never extracted to disk), and finding the archive.

A binary CIFAR file is a run of fixed-size records: ``label_bytes`` label bytes (CIFAR-10:
one; CIFAR-100: the coarse, then the fine label), then 3,072 pixel bytes (1,024 red, then
green, then blue, each plane row by row). Nothing here unpickles anything.
"""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..utils.data_utils import DatasetFormatError
from . import _fetch

PIXELS = 32 * 32 * 3


def parse_records(data: bytes, *, label_bytes: int, label_limits: Sequence[int],
                  label_names: Sequence[str], what: str, other: str,
                  source: str = "<bytes>") -> tuple[Any, Any]:
    """Images ``(n, 32, 32, 3)`` ``uint8`` (channels last) and the label bytes
    ``(n, label_bytes)`` ``uint8`` of one binary file.

    ``label_limits[i]`` is the number of classes of label byte ``i`` (named
    ``label_names[i]`` in errors); ``what`` names the format ("CIFAR-10 binary batch") and
    ``other`` says what a file of the wrong length or labels probably is.
    """
    import numpy as np

    record = label_bytes + PIXELS
    if not data or len(data) % record:
        raise DatasetFormatError(f"{source}: {len(data)} bytes is not a whole number of "
                                 f"{record}-byte {what.split()[0]} records (truncated or not a "
                                 f"{what}); delete it and download it again")
    rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, record)
    labels = rec[:, :label_bytes].copy()
    for i, (limit, name) in enumerate(zip(label_limits, label_names)):
        top = int(labels[:, i].max())
        if top >= limit:
            raise DatasetFormatError(f"{source}: {name} byte {top} is out of range "
                                     f"0..{limit - 1}; this is not a {what} ({other})")
    x = rec[:, label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
    return x, labels


def read_members(archive: Path, names: Sequence[str], archive_name: str) -> dict[str, bytes]:
    """The bytes of the members ``names`` (matched by base name) of a tar archive."""
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(archive) as tar:
            for m in tar:
                base = m.name.rsplit("/", 1)[-1]
                if base in names and m.isfile() and base not in out:
                    f = tar.extractfile(m)
                    if f is not None:
                        out[base] = f.read()
                    if len(out) == len(names):
                        break
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DatasetFormatError(f"{archive}: cannot read the archive ({exc}); it is damaged "
                                 f"or incomplete: delete it and download it again") from None
    missing = [n for n in names if n not in out]
    if missing:
        raise DatasetFormatError(f"{archive}: the archive lacks {', '.join(missing)}; is it "
                                 f"the binary version ({archive_name})?")
    return out


def read_folder(folder: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The bytes of the files ``names`` in an unpacked folder."""
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise DatasetFormatError(f"{folder}: lacks {', '.join(missing)}")
    return {n: (folder / n).read_bytes() for n in names}


def read(src: Path, names: Sequence[str], archive_name: str) -> dict[str, bytes]:
    """``names`` from ``src``: the unpacked folder or the archive."""
    return read_folder(src, names) if src.is_dir() else read_members(src, names, archive_name)


def source(path: Any, *, name: str, archive: str, folder: str, marker: str, base_url: str,
           url_env: str, hashes: dict[str, Any]) -> Path:
    """The archive or the unpacked folder: ``path=`` (the archive, the unpacked folder
    (recognised by its file ``marker``), or a folder holding either), else the cache, else a
    verified download from ``$url_env`` or ``base_url`` (see :mod:`._fetch`)."""
    if path is not None:
        p = Path(path).expanduser()
        if p.is_dir() and (p / marker).exists():
            return p
    spec = _fetch.Spec(
        name=name, files=(archive,),
        url_of=lambda f: _fetch.join_url(_fetch.env_or(base_url, url_env), f),
        hashes=dict(hashes), url_env=url_env, local_names=lambda f: (f, folder))
    return _fetch.locate(spec, path)[archive]
