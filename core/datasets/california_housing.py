"""California housing prices (20,640 block groups, 1990 census):
``tw.datasets.california_housing.load_data()``, as Keras's loader.

Returns ``(x_train, y_train), (x_test, y_test)``: ``float32`` features of shape ``(n, 8)``
in the order of :data:`FEATURES` (Keras's order) and ``float32`` targets ``(n,)``, the
median house value in dollars. The rows are shuffled with ``seed`` and the last
``test_split`` fraction is the test set, as Keras does; ``version="small"`` keeps the
first 600 rows.

The data is read from a CSV (plain or gzipped) or from the StatLib archive
``cal_housing.tgz`` (its member ``CaliforniaHousing/cal_housing.data`` is a CSV without a
header). A CSV may have a header naming the columns (``longitude``, ``latitude``,
``housing_median_age`` ... ``median_house_value``, snake_case or camelCase; extra columns
such as ``ocean_proximity`` are ignored, rows with missing values are dropped), or no
header and the nine numeric columns in that order.

Sources, in order: ``path=`` (the file, or a folder holding it); the cache
``$TENSORWEAVE_DATASETS/california_housing/`` or
``$TENSORWEAVE_HOME/datasets/california_housing/`` (checked against :data:`FILE_HASHES`
when the name is listed there); else a download of :data:`URL` (environment variable
``TENSORWEAVE_CALIFORNIA_HOUSING_URL``, a full URL of a CSV or of the archive).
"""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidArgumentError
from ..utils.data_utils import DatasetFormatError
from . import _fetch

__all__ = ["load_data", "parse_csv", "URL", "FILE_HASHES", "FEATURES", "TARGET"]

NAME = "california_housing"
URL_ENV = "TENSORWEAVE_CALIFORNIA_HOUSING_URL"
#: The file downloaded when none is found (``TENSORWEAVE_CALIFORNIA_HOUSING_URL``
#: overrides it): the StatLib archive, as scikit-learn fetches it.
URL = "https://ndownloader.figshare.com/files/5976036"
#: The cache name of a download whose URL has no file name with an extension.
DEFAULT_FILE = "cal_housing.tgz"
#: Accepted digests by cached file name; names not listed are not checked.
FILE_HASHES: dict[str, Any] = {
    DEFAULT_FILE: ("aaa5c9a6afe2225cc2aed2723682ae403280c4a3695a2ddda4ffb5d8215ea681",),
}
FEATURES = ("longitude", "latitude", "housing_median_age", "total_rooms", "total_bedrooms",
            "population", "households", "median_income")
TARGET = "median_house_value"
_ARCHIVE_MEMBER = "cal_housing.data"
_MISSING = ("", "na", "nan", "null", "none", "?")


def _key(name: str) -> str:
    return name.strip().strip('"').lower().replace("_", "").replace(" ", "")


def parse_csv(text: str, source: str = "<csv>") -> tuple[Any, Any]:
    """``x`` ``(n, 8)`` and ``y`` ``(n,)`` (float32) from the CSV text."""
    import numpy as np

    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DatasetFormatError(f"{source}: the CSV is empty")
    first = [c.strip() for c in lines[0].split(",")]

    def is_number(c: str) -> bool:
        try:
            float(c)
            return True
        except ValueError:
            return False

    if all(is_number(c) for c in first):
        names = list(FEATURES) + [TARGET]
        if len(first) != len(names):
            raise DatasetFormatError(f"{source}: a CSV without a header needs {len(names)} "
                                     f"columns ({', '.join(names)}), got {len(first)}")
        cols = list(range(len(names)))
        body = lines
    else:
        header = [_key(c) for c in first]
        cols = []
        for name in list(FEATURES) + [TARGET]:
            if _key(name) not in header:
                raise DatasetFormatError(f"{source}: the header lacks the column {name!r} "
                                         f"(found {', '.join(first)})")
            cols.append(header.index(_key(name)))
        body = lines[1:]
    rows: list[list[float]] = []
    dropped = 0
    width = len(first)
    for i, ln in enumerate(body):
        cells = ln.split(",")
        if len(cells) != width:
            raise DatasetFormatError(f"{source}: row {i + 1} has {len(cells)} columns, the "
                                     f"first has {width}")
        values = []
        for c in cols:
            cell = cells[c].strip().strip('"')
            if cell.lower() in _MISSING:
                values = []
                break
            try:
                values.append(float(cell))
            except ValueError:
                raise DatasetFormatError(f"{source}: row {i + 1}, column {c + 1}: {cell!r} "
                                         f"is not a number") from None
        if values:
            rows.append(values)
        else:
            dropped += 1  # a row with a missing value
    if not rows:
        raise DatasetFormatError(f"{source}: no complete rows")
    if dropped:
        import warnings

        warnings.warn(f"{source}: dropped {dropped} row(s) with a missing value", stacklevel=3)
    table = np.asarray(rows, dtype=np.float64)
    keep = np.all(np.isfinite(table), axis=1)
    table = table[keep]
    return table[:, :-1].astype(np.float32), table[:, -1].astype(np.float32)


def read_file(path: Any) -> tuple[Any, Any]:
    """Parse a CSV, a gzipped CSV, or a tar archive holding ``cal_housing.data``."""
    path = Path(path)
    if tarfile.is_tarfile(path):
        try:
            with tarfile.open(path) as tar:
                for m in tar:
                    base = m.name.rsplit("/", 1)[-1]
                    if m.isfile() and (base == _ARCHIVE_MEMBER or base.endswith(".csv")):
                        f = tar.extractfile(m)
                        if f is not None:
                            return parse_csv(f.read().decode("utf-8"), f"{path}:{m.name}")
        except (tarfile.TarError, EOFError, OSError, UnicodeDecodeError) as exc:
            raise DatasetFormatError(f"{path}: cannot read the archive ({exc}); delete it and "
                                     f"download it again") from None
        raise DatasetFormatError(f"{path}: the archive holds no {_ARCHIVE_MEMBER} or .csv file")
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DatasetFormatError(f"{path}: corrupt gzip data ({exc}); delete it and "
                                     f"download it again") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DatasetFormatError(f"{path}: not a text CSV file") from None
    return parse_csv(text, str(path))


def _file_name(url: str) -> str:
    base = os.path.basename(urlsplit(url).path)
    return base if "." in base else DEFAULT_FILE


def _locate(path: Any) -> Path:
    url = _fetch.env_or(URL, URL_ENV)
    fname = _file_name(url)
    if path is not None:
        p = Path(path).expanduser()
        if p.is_file():
            return p
        if p.is_dir():
            for cand in (fname, DEFAULT_FILE, "california_housing.csv", "housing.csv",
                         "cal_housing.data"):
                if (p / cand).is_file():
                    return p / cand
            raise _fetch.DatasetNotFoundError(
                f"{NAME}: the folder {str(p)!r} (path=) holds none of {fname}, "
                f"california_housing.csv, housing.csv, cal_housing.data")
    spec = _fetch.Spec(name=NAME, files=(fname,), url_of=lambda f: url,
                       hashes={fname: FILE_HASHES.get(fname)}, url_env=URL_ENV)
    return _fetch.locate(spec, path)[fname]


def load_data(version: str = "large", path: Any = None, test_split: float = 0.2,
              seed: int = 113) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """``(x_train, y_train), (x_test, y_test)``; see the module docstring."""
    import numpy as np

    if not 0 <= test_split < 1:
        raise InvalidArgumentError(f"california_housing.load_data: test_split must be in "
                                   f"[0, 1), got {test_split!r}")
    if version not in ("large", "small"):
        raise InvalidArgumentError(f"california_housing.load_data: version must be 'large' or "
                                   f"'small', got {version!r}")
    x, y = read_file(_locate(path))
    if version == "small":
        x, y = x[:600], y[:600]
    rng = np.random.RandomState(seed)
    indices = np.arange(len(x))
    rng.shuffle(indices)
    x, y = x[indices], y[indices]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))

