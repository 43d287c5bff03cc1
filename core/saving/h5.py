"""HDF5 through the optional ``h5py`` package (``pip install tensorweave[h5]``).

Keras keeps weights in HDF5 (``model.weights.h5`` inside a ``.keras`` archive, ``.weights.h5``
files and legacy ``.h5`` models). ``h5py`` is imported only when such a file is read or
written, so ``import tensorweave`` stays light and works without it.

Reading is bounded: a dataset's declared shape and dtype are checked against the variable it
is meant for *before* its bytes are read, so a file that declares a huge shape allocates
nothing. Every h5py error of a damaged file becomes a
:class:`~tensorweave.errors.SerializationError`.
"""

from __future__ import annotations

import io
from typing import Any

from ..errors import MissingDependencyError, SerializationError

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_MAX_ATTR_BYTES = 64 * 1024 * 1024


def require_h5py(where: str) -> Any:
    """The ``h5py`` module, or a :class:`MissingDependencyError` naming the extra."""
    try:
        import h5py
    except ImportError as exc:
        raise MissingDependencyError(
            f"{where}: reading or writing Keras HDF5 files (.keras, .weights.h5, .h5) needs "
            "the h5py package: pip install 'tensorweave[h5]'") from exc
    return h5py


def open_h5(data: bytes, where: str) -> Any:
    """An ``h5py.File`` (read-only) over the bytes of a file."""
    h5py = require_h5py(where)
    if data[:8] != HDF5_MAGIC:
        raise SerializationError(f"{where}: not an HDF5 file")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except Exception as exc:  # h5py raises OSError / ValueError for damaged files
        raise SerializationError(f"{where}: the HDF5 file is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None


def get(node: Any, key: str, kind: str, where: str) -> Any:
    """``node[key]`` when it is a group (``kind="group"``) or dataset, else ``None``."""
    h5py = require_h5py(where)
    try:
        link = node.get(key, getlink=True)
        if link is None:
            return None
        if not isinstance(link, h5py.HardLink):  # soft/external links could point anywhere
            raise SerializationError(f"{where}: {key!r} is a {type(link).__name__}, which "
                                     "tensorweave does not follow")
        obj = node[key]
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"{where}: cannot read {key!r} in the HDF5 file: "
                                 f"{type(exc).__name__}: {exc}") from None
    want = h5py.Group if kind == "group" else h5py.Dataset
    if not isinstance(obj, want):
        raise SerializationError(f"{where}: {key!r} in the HDF5 file is not a {kind}")
    return obj


def has(node: Any, key: str, where: str) -> bool:
    """Whether ``node`` has a link ``key`` (without resolving it: ``key in group`` would
    follow an external link into another file)."""
    try:
        return node.get(key, getlink=True) is not None
    except Exception as exc:
        raise SerializationError(f"{where}: cannot read {key!r} in the HDF5 file: "
                                 f"{type(exc).__name__}: {exc}") from None


def keys(group: Any, where: str) -> list[str]:
    try:
        return list(group.keys())
    except Exception as exc:
        raise SerializationError(f"{where}: cannot list an HDF5 group: "
                                 f"{type(exc).__name__}: {exc}") from None


def read_dataset(ds: Any, shape: tuple, where: str) -> Any:
    """The array of dataset ``ds`` after checking (from its header) that it has ``shape``
    and a numeric dtype; ``bfloat16`` (Keras stores it as a ``dtype`` attribute) is widened
    to float32."""
    import numpy as np

    try:
        declared = tuple(int(d) for d in ds.shape) if ds.shape is not None else None
        dtype = ds.dtype
    except Exception as exc:
        raise SerializationError(f"{where}: unreadable dataset header: "
                                 f"{type(exc).__name__}: {exc}") from None
    if declared != tuple(shape):
        raise SerializationError(f"{where}: the file holds shape {declared}, the model "
                                 f"expects {tuple(shape)} (a different architecture?)")
    if dtype.kind not in "biuf" and not (dtype.kind == "V" and dtype.itemsize == 2):
        raise SerializationError(f"{where}: dtype {dtype} is not numeric")
    try:
        arr = ds[()]
        tag = ds.attrs.get("dtype")
    except Exception as exc:
        raise SerializationError(f"{where}: the data is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None
    arr = np.asarray(arr)
    if isinstance(tag, bytes):
        tag = tag.decode("ascii", "replace")
    if tag == "bfloat16" or arr.dtype.kind == "V":
        if arr.dtype.itemsize != 2:
            raise SerializationError(f"{where}: a bfloat16 dataset with {arr.dtype.itemsize}-"
                                     "byte items")
        arr = (arr.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    if arr.shape != tuple(shape):
        raise SerializationError(f"{where}: the data has shape {arr.shape}, expected {shape}")
    return arr


def text_attr(node: Any, name: str, where: str) -> str | None:
    """A string attribute (``model_config`` ...), bounded in size."""
    try:
        if name not in node.attrs:
            return None
        value = node.attrs[name]
    except Exception as exc:
        raise SerializationError(f"{where}: cannot read attribute {name!r}: "
                                 f"{type(exc).__name__}: {exc}") from None
    if isinstance(value, bytes):
        if len(value) > _MAX_ATTR_BYTES:
            raise SerializationError(f"{where}: attribute {name!r} is implausibly large")
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise SerializationError(f"{where}: attribute {name!r} is not text")
    return value


def list_attr(node: Any, name: str, where: str) -> list[str]:
    """A list-of-strings attribute (``layer_names``, ``weight_names``)."""
    import numpy as np

    try:
        value = node.attrs.get(name)
    except Exception as exc:
        raise SerializationError(f"{where}: cannot read attribute {name!r}: "
                                 f"{type(exc).__name__}: {exc}") from None
    if value is None:
        return []
    arr = np.asarray(value)
    if arr.size > 1_000_000:
        raise SerializationError(f"{where}: attribute {name!r} is implausibly large")
    out = []
    for v in arr.reshape(-1).tolist():
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if not isinstance(v, str):
            if arr.size == 0:
                break
            raise SerializationError(f"{where}: attribute {name!r} holds {v!r}, not text")
        out.append(v)
    return out
