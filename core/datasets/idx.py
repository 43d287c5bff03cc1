"""A strict reader of the IDX format of MNIST and Fashion-MNIST (gzipped or not).

An IDX file is a 4-byte magic number ``00 00 TT NN`` (``TT`` the element type, ``NN`` the
number of dimensions), ``NN`` big-endian 32-bit sizes, then the elements in C order,
big-endian. Everything is checked: the two zero bytes, a known type, the header length,
and that exactly ``prod(sizes)`` elements follow (a truncated file or one with trailing
bytes is refused). Errors are :class:`DatasetFormatError` naming the file.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path
from typing import Any

from ..utils.data_utils import DatasetFormatError

__all__ = ["parse_idx", "read_idx", "write_idx", "load_image_label_pair"]

_TYPES = {0x08: "u1", 0x09: "i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C, "float32": 0x0D,
          "float64": 0x0E}


def parse_idx(data: bytes, source: str = "<bytes>") -> Any:
    """The array stored in the IDX bytes ``data`` (native byte order, writable)."""
    import numpy as np

    if len(data) < 4:
        raise DatasetFormatError(f"{source}: {len(data)} bytes is too short for an IDX header "
                                 f"(the file is truncated or empty)")
    if data[0] != 0 or data[1] != 0:
        what = " (it looks like an HTML page, e.g. a proxy's error page)" \
            if data[:1] in (b"<", b"\n", b" ") else ""
        raise DatasetFormatError(f"{source}: bad magic number 0x{data[:4].hex()}: not an IDX "
                                 f"file{what}; delete it and download it again")
    code, ndim = data[2], data[3]
    if code not in _TYPES:
        raise DatasetFormatError(f"{source}: unknown IDX element type 0x{code:02x} (known: "
                                 f"{', '.join(f'0x{c:02x}' for c in _TYPES)})")
    if ndim == 0:
        raise DatasetFormatError(f"{source}: IDX header declares 0 dimensions")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetFormatError(f"{source}: truncated IDX header ({len(data)} bytes, "
                                 f"{header} needed for {ndim} dimensions)")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(_TYPES[code])
    count = 1
    for s in shape:
        count *= s
    expected = count * dtype.itemsize
    got = len(data) - header
    if got < expected:
        raise DatasetFormatError(f"{source}: truncated: the header declares shape {shape} "
                                 f"({expected} bytes of data) but only {got} bytes follow; "
                                 f"delete the file and download it again")
    if got > expected:
        raise DatasetFormatError(f"{source}: {got - expected} unexpected bytes after the "
                                 f"{expected} bytes of data declared for shape {shape}")
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_bytes(path: Any) -> bytes:
    """A file's bytes, gunzipped when it starts with the gzip magic number."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DatasetFormatError(f"{path}: corrupt or truncated gzip data ({exc}); delete the "
                                 f"file and download it again") from None


def read_idx(path: Any) -> Any:
    """The array in the IDX file ``path`` (gzipped or not, told by its content)."""
    return parse_idx(read_bytes(path), str(path))


def write_idx(path: Any, array: Any, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzipped when ``compress`` or the name ends in .gz)."""
    import numpy as np

    a = np.asarray(array)
    if a.dtype.name not in _CODES:
        raise DatasetFormatError(f"write_idx: IDX cannot store dtype {a.dtype}")
    if a.ndim == 0 or a.ndim > 255:
        raise DatasetFormatError(f"write_idx: IDX needs 1 to 255 dimensions, got {a.ndim}")
    body = bytes([0, 0, _CODES[a.dtype.name], a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) \
        + a.astype(a.dtype.newbyteorder(">")).tobytes()
    path = Path(path)
    if compress or (compress is None and path.name.endswith(".gz")):
        body = gzip.compress(body, mtime=0)
    path.write_bytes(body)


def load_image_label_pair(images_path: Any, labels_path: Any, *, image_shape: tuple = (28, 28),
                          num_classes: int = 10) -> tuple[Any, Any]:
    """Images ``(n, *image_shape)`` uint8 and labels ``(n,)`` uint8, cross-checked."""
    import numpy as np

    x = read_idx(images_path)
    y = read_idx(labels_path)
    if x.dtype != np.uint8 or x.ndim != 1 + len(image_shape) or x.shape[1:] != image_shape:
        raise DatasetFormatError(f"{images_path}: expected uint8 images of shape "
                                 f"(n, {', '.join(map(str, image_shape))}), got {x.dtype} "
                                 f"{x.shape}; is it the images file?")
    if y.dtype != np.uint8 or y.ndim != 1:
        raise DatasetFormatError(f"{labels_path}: expected uint8 labels of shape (n,), got "
                                 f"{y.dtype} {y.shape}; is it the labels file?")
    if x.shape[0] != y.shape[0]:
        raise DatasetFormatError(f"{images_path} holds {x.shape[0]} images but {labels_path} "
                                 f"holds {y.shape[0]} labels; the files do not belong together")
    if y.size and int(y.max()) >= num_classes:
        raise DatasetFormatError(f"{labels_path}: label {int(y.max())} is out of range "
                                 f"0..{num_classes - 1}")
    return x, y
