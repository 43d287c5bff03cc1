"""Where a data set's files come from: a ``path=`` argument, the cache, system folders
(Linux distribution packages), else a download with checksums. Shared by the loaders.

The cache folder of data set ``NAME`` is ``$TENSORWEAVE_DATASETS/NAME`` when that
environment variable is set, else ``$TENSORWEAVE_HOME/datasets/NAME`` (by default
``~/.tensorweave/datasets/NAME``). Downloads go there through a temporary file that is
verified and then renamed into place (``tw.utils.data_utils.download``). Every file in
the cache is checked against the data set's table of digests on each load (a gzip file
also passes when its decompressed bytes match, so re-compressed copies are fine), and one
that does not match is downloaded again. Files found through ``path=`` or in system
folders (installed by a package manager) are not hash-checked: the strict parsers of each
format check them instead (gzip's CRC, sizes, magic numbers).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..utils.data_utils import DatasetNotFoundError, DownloadError, download, file_matches

DATASETS_ENV = "TENSORWEAVE_DATASETS"


def datasets_root() -> Path:
    """``$TENSORWEAVE_DATASETS``, else ``$TENSORWEAVE_HOME/datasets``."""
    env = os.environ.get(DATASETS_ENV)
    if env:
        return Path(os.path.expanduser(env))
    from ..config import home

    return home() / "datasets"


def cache_dir(name: str) -> Path:
    return datasets_root() / name


@dataclass
class Spec:
    """What one data set needs and where it may be found.

    ``files`` are the names as downloaded; ``local_names(f)`` lists the names that stand
    for ``f`` in a folder (e.g. the gzipped and the plain IDX file, or an archive and the
    folder it unpacks to). ``url_of(f)`` is the download URL; ``hashes[f]`` the accepted
    digests of the download (SHA-256 or MD5; the digest of the gunzipped bytes also
    counts), empty or ``None`` for no check.
    """

    name: str
    files: Sequence[str]
    url_of: Callable[[str], str]
    hashes: dict[str, Any]
    url_env: str
    local_names: Callable[[str], Sequence[str]] = lambda f: (f,)
    system_dirs: Sequence[str] = ()
    install_hints: Sequence[str] = ()
    extra: dict = field(default_factory=dict)


def env_or(default: str, env_name: str) -> str:
    return os.environ.get(env_name) or default


def join_url(base: str, fname: str) -> str:
    return base if base.endswith(fname) and not base.endswith("/") else \
        base.rstrip("/") + "/" + fname


def _scan(folder: Path, spec: Spec) -> tuple[dict[str, Path], list[str]]:
    found: dict[str, Path] = {}
    missing: list[str] = []
    for f in spec.files:
        for alt in spec.local_names(f):
            p = folder / alt
            if p.exists():
                found[f] = p
                break
        else:
            missing.append(f)
    return found, missing


def _manual_hint(spec: Spec, folder: Path, files: Sequence[str]) -> str:
    lines = [f"download {', '.join(files)} (from {spec.url_of(files[0]).rsplit('/', 1)[0]}/ "
             f"or any mirror) on a machine with internet access and put them in "
             f"{str(folder)!r} (or pass load_data(path=FOLDER), or set {DATASETS_ENV} to a "
             f"folder that has a {spec.name}/ subfolder)"]
    lines += list(spec.install_hints)
    lines.append(f"set the environment variable {spec.url_env} to a mirror that serves them")
    return "; or ".join(lines)


def locate(spec: Spec, path: Any = None, quiet: bool = False) -> dict[str, Path]:
    """The local path of each of ``spec.files``, downloading what is missing.

    Raises :class:`DatasetNotFoundError` (what was searched, what failed, how to install)
    when a file is nowhere and cannot be downloaded, or :class:`ChecksumError` when a
    download does not match its checksum.
    """
    if path is not None:
        folder = Path(os.path.expanduser(str(path)))
        if folder.is_file() and len(spec.files) == 1:
            return {spec.files[0]: folder}
        if not folder.is_dir():
            raise DatasetNotFoundError(
                f"{spec.name}: path={str(path)!r} is not a folder; pass the folder that holds "
                f"{', '.join(spec.files)}")
        found, missing = _scan(folder, spec)
        if missing:
            raise DatasetNotFoundError(
                f"{spec.name}: the folder {str(folder)!r} (path=) lacks "
                f"{', '.join(missing)}; it needs "
                f"{', '.join(' or '.join(spec.local_names(f)) for f in spec.files)}")
        return found

    searched: list[str] = []
    cache = cache_dir(spec.name)
    found, missing = _scan(cache, spec)
    corrupt: list[str] = []
    for f, p in list(found.items()):
        if p.is_file() and not file_matches(p, spec.hashes.get(f)):
            corrupt.append(f)  # a download gone bad (or replaced): fetch it again
            del found[f]
    if not missing and not corrupt:
        return found
    searched.append(f"{cache} (" + "; ".join(
        ([f"missing {', '.join(missing)}"] if missing else []) +
        ([f"checksum mismatch: {', '.join(corrupt)}"] if corrupt else [])) + ")")
    for d in spec.system_dirs:
        sys_found, sys_missing = _scan(Path(d), spec)
        if not sys_missing:
            return sys_found
        searched.append(f"{d} (" + ("not found" if not Path(d).is_dir() else
                                    f"missing {', '.join(sys_missing)}") + ")")
    todo = [f for f in spec.files if f not in found]
    hint = _manual_hint(spec, cache, todo)
    if corrupt and not quiet:
        import sys

        print(f"{spec.name}: cached {', '.join(corrupt)} in {cache} do not match their "
              f"checksums; downloading them again.", file=sys.stderr)
    for f in todo:
        url = spec.url_of(f)
        try:
            found[f] = download(url, cache / f, file_hash=spec.hashes.get(f),
                                content_hash=True, manual_hint=hint, quiet=quiet)
        except DownloadError as exc:
            raise DatasetNotFoundError(
                f"{spec.name}: the data set files are not available here and the download "
                f"failed.\n  download: could not download {exc.url or url} "
                f"({exc.reason or exc}).{exc.hint}\n  searched: {'; '.join(searched)}\n  to fix: "
                f"{hint}.") from exc
    return found
