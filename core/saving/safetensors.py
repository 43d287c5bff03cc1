"""The safetensors format, read and written directly (no pickle, no dependency).

Layout: 8-byte little-endian header length, a JSON header mapping each name to
``{"dtype", "shape", "data_offsets"}`` (plus an optional ``"__metadata__"`` of strings),
then the raw little-endian bytes. Files written here load with the ``safetensors``
package and vice versa. Every field is checked on read: a truncated or corrupted file
raises :class:`~tensorweave.errors.SerializationError`, never a crash.

Integrity: :func:`dumps` stores, in the metadata under ``"tensorweave_sha256"``, a SHA-256
of the tensor entries (canonical JSON) and of the data bytes. :func:`loads` checks it when
present, so a bit flip in a header or in tensor data is an error, not silently different
weights. Files from other writers have no such entry and are read unchecked (the
``safetensors`` package ignores the entry).
"""

from __future__ import annotations

import hashlib
import json
import struct
from typing import Any

from ..errors import SerializationError

_CODES = {"bool": "BOOL", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
          "uint8": "U8", "uint16": "U16", "uint32": "U32", "uint64": "U64",
          "float16": "F16", "float32": "F32", "float64": "F64", "bfloat16": "BF16"}
_NAMES = {v: k for k, v in _CODES.items()}
_MAX_HEADER = 100 * 1024 * 1024
CHECKSUM_KEY = "tensorweave_sha256"


def _digest(entries: dict[str, Any], body: Any) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode("utf-8"))
    h.update(body)
    return h.hexdigest()


def dumps(tensors: dict[str, Any], metadata: dict[str, str] | None = None,
          checksum: bool = True) -> bytes:
    """Serialize NumPy arrays (a ``"bfloat16"`` entry may be given as ``(uint16_array,
    "bfloat16")``); ``checksum`` adds the integrity digest to the metadata."""
    import numpy as np

    header: dict[str, Any] = {}
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        dtype_name = None
        if isinstance(arr, tuple):
            arr, dtype_name = arr
        a = np.asarray(arr)
        if not a.flags.c_contiguous:  # (ascontiguousarray would turn 0-d into 1-d)
            a = a.copy(order="C")
        if a.dtype.byteorder == ">":
            a = a.astype(a.dtype.newbyteorder("<"))
        dtype_name = dtype_name or a.dtype.name
        if dtype_name not in _CODES:
            raise SerializationError(f"cannot save tensor {name!r} of dtype {dtype_name}")
        raw = a.tobytes()
        header[name] = {"dtype": _CODES[dtype_name], "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    body = b"".join(blobs)
    if checksum:
        meta[CHECKSUM_KEY] = _digest(header, body)
    if meta:
        header = {"__metadata__": meta, **header}
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    head += b" " * (-len(head) % 8)
    return struct.pack("<Q", len(head)) + head + body


def loads(data: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse bytes into ``({name: numpy array}, metadata)``; bfloat16 comes back as
    float32 values."""
    import numpy as np

    if len(data) < 8:
        raise SerializationError("weights file is truncated (no header)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise SerializationError("weights file is truncated or corrupt (bad header length)")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise SerializationError(f"weights file header is corrupt: {exc}") from None
    if not isinstance(header, dict):
        raise SerializationError("weights file header is not a JSON object")
    meta = header.pop("__metadata__", None) or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise SerializationError("weights file metadata is malformed (not a dict of strings)")
    body = memoryview(data)[8 + n:]
    expected = meta.get(CHECKSUM_KEY)
    if expected is not None and _digest(header, body) != expected:
        raise SerializationError("weights file is corrupt: its checksum does not match its "
                                 "contents (a damaged copy, or a truncated or edited file)")
    out: dict[str, Any] = {}
    for name, info in header.items():
        try:
            code = info["dtype"]
            shape = [_int(d) for d in info["shape"]]
            start, end = (_int(v) for v in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise SerializationError(f"weights file entry {name!r} is malformed") from None
        if code not in _NAMES:
            raise SerializationError(f"weights file entry {name!r} has unknown dtype {code!r}")
        dname = _NAMES[code]
        np_dtype = np.dtype("uint16") if dname == "bfloat16" else np.dtype(dname)
        count = 1
        for d in shape:
            if d < 0:
                raise SerializationError(f"weights file entry {name!r} has a negative dim")
            count *= d
        if not 0 <= start <= end <= len(body) or end - start != count * np_dtype.itemsize:
            raise SerializationError(f"weights file entry {name!r} is truncated or its "
                                     "offsets are corrupt")
        arr = np.frombuffer(body[start:end], dtype=np_dtype.newbyteorder("<")).reshape(shape)
        if dname == "bfloat16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[name] = arr.copy()
    return out, {str(k): str(v) for k, v in meta.items()}


def _int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"expected an integer, got {v!r}")
    return v
