"""Downloading and caching files: ``tw.utils.get_file`` (Keras's ``get_file``).

A file is downloaded once into ``$TENSORWEAVE_HOME/datasets`` (or ``cache_dir``), checked
against its SHA-256 (or MD5) while it streams into a temporary file in the same folder, and
only then renamed into place with ``os.replace``: an interrupted or corrupt download never
leaves a file under the final name. A cached file whose hash no longer matches is
downloaded again. When the download fails, the error names the URL and the exact path
where a copy fetched by hand can be put.

Nothing here imports NumPy, and ``urllib.request`` is imported only when a download starts.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError, TensorweaveError

__all__ = ["get_file", "hash_file", "validate_file", "DownloadError", "ChecksumError",
           "DatasetNotFoundError", "DatasetFormatError"]

_CHUNK = 1 << 20
_USER_AGENT = "tensorweave (+get_file)"


class DownloadError(TensorweaveError, OSError):
    """A file could not be downloaded (offline, proxy, TLS, HTTP error ...). ``url`` and
    ``reason`` say which URL failed and why."""

    url: str = ""
    reason: str = ""
    hint: str = ""


class ChecksumError(TensorweaveError, ValueError):
    """A downloaded or cached file does not have the expected SHA-256 / MD5."""


class DatasetNotFoundError(TensorweaveError, FileNotFoundError):
    """A data set's files are in none of the places searched, and were not downloaded."""


class DatasetFormatError(TensorweaveError, ValueError):
    """A data set file is truncated, corrupt or not in the expected format."""


# ---- hashing ------------------------------------------------------------------------------
def _algorithm_for(digest: str, algorithm: str = "auto") -> str:
    algorithm = algorithm.lower()
    if algorithm == "auto":
        return "md5" if len(digest) == 32 else "sha256"
    if algorithm not in ("sha256", "md5"):
        raise InvalidArgumentError(f"hash_algorithm: expected 'auto', 'sha256' or 'md5', got "
                                   f"{algorithm!r}")
    return algorithm


def _new_hash(algorithm: str) -> Any:
    if algorithm == "md5":
        try:  # MD5 here detects corruption only; FIPS builds need the flag
            return hashlib.md5(usedforsecurity=False)
        except TypeError:  # pragma: no cover - Python < 3.9
            return hashlib.md5()
    return hashlib.new(algorithm)


def hash_file(fpath: Any, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """Hex digest of a file (``"sha256"`` or ``"md5"``), read in chunks."""
    h = _new_hash("sha256" if algorithm == "auto" else _algorithm_for("", algorithm))
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def validate_file(fpath: Any, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = _CHUNK) -> bool:
    """Whether the file's hash equals ``file_hash`` (``"auto"``: 32 hex digits are MD5,
    anything else SHA-256), as Keras's ``validate_file``."""
    algo = _algorithm_for(file_hash, algorithm)
    return hash_file(fpath, algo, chunk_size) == file_hash.lower()


def _as_digests(file_hash: Any) -> tuple[str, ...]:
    if file_hash is None:
        return ()
    if isinstance(file_hash, str):
        return (file_hash.lower(),)
    return tuple(str(h).lower() for h in file_hash if h)


def _digests_of_stream(stream: Any, algorithms: Iterable[str]) -> dict[str, str]:
    hashes = {a: _new_hash(a) for a in algorithms}
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        for h in hashes.values():
            h.update(chunk)
    return {a: h.hexdigest() for a, h in hashes.items()}


def file_matches(path: Any, digests: Any, *, content: bool = True) -> bool:
    """Whether ``path`` matches one of ``digests`` (SHA-256 or MD5 hex strings).

    With ``content=True`` a gzip file also matches when the hash of its *decompressed*
    bytes is listed, so a re-compressed copy of the same data (a Linux distribution's
    package, say) passes. An empty ``digests`` matches everything (no check configured).
    """
    wanted = _as_digests(digests)
    if not wanted:
        return True
    algos = {_algorithm_for(d) for d in wanted}
    with open(path, "rb") as f:
        got = _digests_of_stream(f, algos)
    if any(got[_algorithm_for(d)] == d for d in wanted):
        return True
    if content and _is_gzip(path):
        import gzip

        try:
            with gzip.open(path, "rb") as f:
                got = _digests_of_stream(f, algos)
        except (OSError, EOFError):
            return False
        return any(got[_algorithm_for(d)] == d for d in wanted)
    return False


def _is_gzip(path: Any) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


# ---- downloading --------------------------------------------------------------------------
def _hint_for(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    low = text.lower()
    if "certificate" in low or "ssl" in low:
        return (" This is a TLS certificate problem: on macOS run the 'Install "
                "Certificates.command' that came with your Python; behind a proxy that "
                "inspects TLS, point the environment variable SSL_CERT_FILE at its CA bundle.")
    if "proxy" in low or "407" in low:
        return " Check the proxy settings (https_proxy / http_proxy / no_proxy)."
    return ""


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    code = getattr(exc, "code", None)
    if code is not None:
        return f"HTTP {code} {reason or ''}".strip()
    if reason is not None:
        return f"{type(exc).__name__}: {reason}"
    return f"{type(exc).__name__}: {exc}"


def download(url: str, dest: Any, *, file_hash: Any = None, timeout: float = 60.0,
             content_hash: bool = False, manual_hint: str = "", quiet: bool = False) -> Path:
    """Download ``url`` to ``dest`` atomically and return ``dest``.

    The bytes go to a temporary file in ``dest``'s folder; once complete they are checked
    against ``file_hash`` (a hex digest or a sequence of accepted digests; with
    ``content_hash`` the digest of the gunzipped bytes also counts), fsynced, and renamed
    to ``dest`` with ``os.replace``. Any failure removes the temporary file, so ``dest`` is
    either absent, the previous file, or the complete verified download.
    """
    import tempfile

    dest = Path(dest)
    folder = dest.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(
            f"cannot create the cache folder {str(folder)!r} ({exc.strerror or exc}); set "
            f"TENSORWEAVE_HOME (or pass cache_dir=) to a writable folder") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=folder)
    where = manual_hint or (f"download {url} on a machine with internet access and save it "
                            f"as {str(dest)!r}; it is then used without downloading")
    try:
        with os.fdopen(fd, "wb") as out:
            if not quiet:
                print(f"Downloading data from {url}", file=sys.stderr)
            import http.client
            import urllib.error
            import urllib.request

            request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    expected = response.headers.get("Content-Length")
                    got = 0
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        got += len(chunk)
                    if expected is not None and expected.isdigit() and got != int(expected):
                        # http.client returns a short body silently when the connection
                        # drops; never keep such a file
                        raise OSError(f"the connection closed after {got} of {expected} "
                                      f"bytes")
            except (urllib.error.URLError, http.client.HTTPException, OSError,
                    ValueError) as exc:
                err = DownloadError(
                    f"could not download {url} ({_reason(exc)}).{_hint_for(exc)} To install "
                    f"the file by hand: {where}.")
                err.url, err.reason, err.hint = url, _reason(exc), _hint_for(exc)
                raise err from exc
            out.flush()
            os.fsync(out.fileno())
        digests = _as_digests(file_hash)
        if digests and not file_matches(tmp, digests, content=content_hash):
            got = hash_file(tmp, _algorithm_for(digests[0]))
            raise ChecksumError(
                f"the file downloaded from {url} has {_algorithm_for(digests[0]).upper()} "
                f"{got}, expected {' or '.join(digests)}; it was discarded (a proxy or "
                f"captive portal may have sent an error page, or the download was cut). "
                f"Retry, or: {where}.")
        os.replace(tmp, dest)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return dest


# ---- extraction ---------------------------------------------------------------------------
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar",
                     ".zip")


def _stem(name: str) -> str:
    low = name.lower()
    for suffix in _ARCHIVE_SUFFIXES:
        if low.endswith(suffix):
            return name[: -len(suffix)]
    return name + "_extracted"


def _inside(root: Path, name: str) -> bool:
    target = (root / name).resolve()
    return target == root or root in target.parents


def _extract_tar(archive: Path, target: Path) -> None:
    import tarfile

    with tarfile.open(archive) as tar:
        root = target.resolve()
        members = []
        for m in tar.getmembers():
            if not (m.isfile() or m.isdir()):
                continue  # links, devices and fifos are never extracted
            if m.name.startswith(("/", "\\")) or not _inside(root, m.name):
                raise DatasetFormatError(f"archive {str(archive)!r}: member {m.name!r} would "
                                         f"be written outside the extraction folder; refused")
            members.append(m)
        if hasattr(tarfile, "data_filter"):
            tar.extractall(target, members=members, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            tar.extractall(target, members=members)


def _extract_zip(archive: Path, target: Path) -> None:
    import zipfile

    with zipfile.ZipFile(archive) as zf:
        root = target.resolve()
        for name in zf.namelist():
            if name.startswith(("/", "\\")) or not _inside(root, name):
                raise DatasetFormatError(f"archive {str(archive)!r}: member {name!r} would "
                                         f"be written outside the extraction folder; refused")
        zf.extractall(target)


def extract_archive(archive: Any, target: Any, archive_format: str = "auto") -> Path:
    """Extract a tar (any compression) or zip archive into the folder ``target``.

    Extraction goes to a temporary folder beside ``target`` that is renamed into place when
    complete. Members that would land outside ``target`` (absolute paths, ``..``) are
    refused; links and device files are skipped.
    """
    import shutil
    import tarfile
    import tempfile
    import zipfile

    archive, target = Path(archive), Path(target)
    fmt = archive_format
    if fmt == "auto":
        fmt = "tar" if tarfile.is_tarfile(archive) else "zip" if zipfile.is_zipfile(archive) \
            else ""
    if fmt not in ("tar", "zip"):
        raise DatasetFormatError(f"{str(archive)!r} is not a tar or zip archive (format "
                                 f"{archive_format!r}); pass extract=False to keep the file")
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        try:
            (_extract_tar if fmt == "tar" else _extract_zip)(archive, tmp)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            if isinstance(exc, DatasetFormatError):
                raise
            raise DatasetFormatError(f"cannot extract {str(archive)!r}: {exc}; the archive "
                                     f"is damaged: delete it and download it again") from exc
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


# ---- get_file -----------------------------------------------------------------------------
def default_cache_dir() -> Path:
    from ..config import home

    return home()


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: Any = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False, archive_format: str = "auto",
             cache_dir: Any = None, force_download: bool = False, *,
             timeout: float = 60.0) -> str:
    """Download a file from ``origin`` unless it is already cached; return its path.

    Keras's ``get_file``: the file lands in ``cache_dir/cache_subdir/fname`` (``cache_dir``
    defaults to ``$TENSORWEAVE_HOME``, i.e. ``~/.tensorweave``; an absolute ``fname`` is
    used as it is). With ``file_hash`` (SHA-256, or MD5 when 32 hex digits; a sequence
    accepts any of several) the download is verified before it is renamed into place, and
    a cached file that does not match is downloaded again. ``extract=True`` unpacks a
    tar/zip archive into a folder beside it (the archive name without its extension) and
    returns that folder. Raises :class:`DownloadError` (naming the URL and where to put a
    copy fetched by hand) or :class:`ChecksumError`.
    """
    if origin is None:
        raise InvalidArgumentError("get_file: argument 'origin' is required (the URL to "
                                   "download from)")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if not fname:
        from urllib.parse import urlsplit

        fname = os.path.basename(urlsplit(origin).path)
        if not fname:
            raise InvalidArgumentError(f"get_file: cannot derive a file name from {origin!r}; "
                                       f"pass fname=")
    digests = _as_digests(file_hash)
    if hash_algorithm != "auto":
        for d in digests:
            if _algorithm_for(d, hash_algorithm) == "md5" and len(d) != 32 or \
                    _algorithm_for(d, hash_algorithm) == "sha256" and len(d) != 64:
                raise InvalidArgumentError(f"get_file: file_hash {d!r} is not a "
                                           f"{hash_algorithm} digest")
    path = Path(os.path.expanduser(fname))
    if not path.is_absolute():
        base = Path(os.path.expanduser(str(cache_dir))) if cache_dir else default_cache_dir()
        path = base / cache_subdir / fname
    downloaded = False
    if force_download or not path.is_file():
        download(origin, path, file_hash=digests, timeout=timeout)
        downloaded = True
    elif digests and not file_matches(path, digests, content=False):
        print(f"The cached file {path} does not match its expected hash (corrupt or "
              f"outdated); downloading it again.", file=sys.stderr)
        download(origin, path, file_hash=digests, timeout=timeout)
        downloaded = True
    if extract or untar:
        target = path.parent / _stem(path.name)
        if downloaded or not target.is_dir():
            extract_archive(path, target, "tar" if untar and archive_format == "auto"
                            else archive_format)
        return str(target)
    return str(path)
