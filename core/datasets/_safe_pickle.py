"""Reading the ``.npy`` / ``.npz`` files of Keras's ragged data sets without unpickling.

Keras's ``imdb.npz`` and ``reuters.npz`` hold NumPy *object* arrays of Python ``list`` of
``int`` (one list per review or newswire). NumPy can store those only as a pickle stream
inside the ``.npy`` member, and ``pickle.load`` runs whatever code the stream names. So
tensorweave never calls it. :func:`loads_object_array` walks the stream with
:func:`pickletools.genops`, which only *parses* opcodes, and interprets a small whitelist
itself:

* the opcodes NumPy's arrays need under protocols 2 to 5 (``PROTO``, ``FRAME``, ``MARK``,
  the tuple and list opcodes, ``APPEND(S)``, ``NONE``, booleans, ``BININT*``, ``LONG1``,
  strings and bytes (also Python 2's ``BINSTRING``), the memo opcodes, ``GLOBAL`` /
  ``STACK_GLOBAL``, ``REDUCE``, ``BUILD`` and ``STOP``);
* the names ``numpy.ndarray``, ``numpy.dtype``, ``_reconstruct`` and ``scalar`` of
  ``numpy.core.multiarray`` (NumPy 1.x) or ``numpy._core.multiarray`` (NumPy 2.x),
  ``_frombuffer`` of ``numpy.core.numeric`` / ``numpy._core.numeric`` (protocol 5),
  ``_codecs.encode`` and ``builtins.bytes`` (how Python 3 writes bytes under protocol 2).
  None of them is ever called: each ``REDUCE`` checks its arguments against the exact
  form NumPy writes and builds the value itself (``np.empty``, ``np.frombuffer``);
* the result is a NumPy array: of ``object`` dtype whose elements are ``list`` of
  ``int``, ``int`` or numeric arrays, or of a plain numeric dtype.

Anything else (another global, a ``REDUCE`` of a whitelisted name with other arguments,
``INST`` / ``OBJ`` / ``NEWOBJ``, persistent ids, out-of-band buffers, floats, dicts ...)
raises :class:`UnsafePickleError`, which names the file, the byte offset and the refused
opcode or name. Members that are not object arrays are read by NumPy with
``allow_pickle=False``.
"""

from __future__ import annotations

import io
import math
import pickletools
import zipfile
from pathlib import Path
from typing import Any

from ..errors import SerializationError
from ..utils.data_utils import DatasetFormatError

__all__ = ["UnsafePickleError", "loads_object_array", "read_npy", "load_npz"]


class UnsafePickleError(DatasetFormatError, SerializationError):
    """A pickle stream inside a data set file holds something other than the NumPy object
    array of integer lists it should: it was refused, and nothing in it was run."""


_MULTIARRAY = ("numpy.core.multiarray", "numpy._core.multiarray")
_NUMERIC = ("numpy.core.numeric", "numpy._core.numeric")
_GLOBALS = {
    **{(m, "_reconstruct"): "reconstruct" for m in _MULTIARRAY},
    **{(m, "scalar"): "scalar" for m in _MULTIARRAY},
    **{(m, "_frombuffer"): "frombuffer" for m in _NUMERIC},
    ("numpy", "ndarray"): "ndarray",
    ("numpy", "dtype"): "dtype",
    ("_codecs", "encode"): "encode",
    ("builtins", "bytes"): "bytes",
    ("__builtin__", "bytes"): "bytes",
}
#: Type strings ``numpy.dtype`` is rebuilt from: objects and plain numbers only.
_DTYPES = frozenset({"O8", "O4", "b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8",
                     "f2", "f4", "f8"})
#: A member that unpacks to more than this, at over 100 times its stored size, is refused.
_BOMB_FLOOR = 1 << 32


class _Global:
    __slots__ = ("kind", "name")

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name


class _Py2Str(str):
    """A Python 2 ``str`` (``BINSTRING``): text, or raw bytes read as latin-1."""


class _PendingDtype:
    __slots__ = ("dtype", "built")

    def __init__(self, dtype: Any) -> None:
        self.dtype, self.built = dtype, False


class _PendingArray:
    __slots__ = ("array",)

    def __init__(self) -> None:
        self.array: Any = None


class _Refused(Exception):
    pass


def _text(v: Any, what: str) -> str:
    if type(v) in (str, _Py2Str):
        return str(v)
    raise _Refused(f"{what} is {_kind(v)}, not a string")


def _bytes(v: Any, what: str) -> bytes:
    if type(v) is bytes:
        return v
    if type(v) is bytearray:
        return bytes(v)
    if type(v) is _Py2Str:
        return v.encode("latin-1")
    raise _Refused(f"{what} is {_kind(v)}, not bytes")


def _flag(v: Any, what: str) -> bool:
    if type(v) in (bool, int) and v in (0, 1):
        return bool(v)
    raise _Refused(f"{what} is {_kind(v)}, not a flag")


def _short(v: Any, limit: int = 80) -> str:
    """A bounded ``repr``: a stream can build lists that hold the previous list twice
    (memo references), whose full repr doubles in size at every level, so error messages
    never print more than a few levels and items of what the file built."""
    import reprlib

    printer = reprlib.Repr()
    printer.maxlevel, printer.maxlist, printer.maxtuple = 3, 4, 4
    printer.maxstring = printer.maxother = printer.maxlong = limit
    return printer.repr(v)[:limit]


def _kind(v: Any) -> str:
    if isinstance(v, _Global):
        return f"the global {v.name}"
    if isinstance(v, (_PendingArray, _PendingDtype)):
        return "an array" if isinstance(v, _PendingArray) else "a dtype"
    return f"{type(v).__name__} {_short(v)}"[:80]


def _shape(v: Any, what: str) -> tuple[int, ...]:
    if type(v) is not tuple or not all(type(d) is int and d >= 0 for d in v):
        raise _Refused(f"{what} is {_kind(v)}, not a shape")
    return v


def _dtype_of(v: Any, what: str) -> Any:
    if not isinstance(v, _PendingDtype) or not v.built:
        raise _Refused(f"{what} is {_kind(v)}, not a complete numpy.dtype")
    return v.dtype


def _reduce(func: Any, args: Any) -> Any:
    import numpy as np

    if not isinstance(func, _Global):
        raise _Refused(f"REDUCE of {_kind(func)}")
    if type(args) is not tuple:
        raise _Refused(f"REDUCE of {func.name} with arguments {_kind(args)}")
    kind = func.kind
    if kind == "reconstruct":  # _reconstruct(ndarray, (0,), b'b'): an empty array to BUILD
        if (len(args) != 3 or not (isinstance(args[0], _Global) and args[0].kind == "ndarray")
                or _shape(args[1], "its shape") != (0,)
                or type(args[2]) not in (bytes, str, _Py2Str) or args[2] not in (b"b", "b")):
            raise _Refused(f"REDUCE of {func.name} with arguments other than (numpy.ndarray, "
                           f"(0,), b'b')")
        return _PendingArray()
    if kind == "dtype":  # dtype('i8', False, True), then BUILD with its state
        if len(args) != 3 or _text(args[0], "the dtype") not in _DTYPES \
                or _flag(args[1], "align") or not _flag(args[2], "copy"):
            raise _Refused(f"REDUCE of {func.name} with arguments {_short(args)}; only "
                           f"{', '.join(sorted(_DTYPES))} are read")
        return _PendingDtype(np.dtype(str(args[0])))
    if kind == "encode":  # _codecs.encode(str, 'latin1'): bytes under protocol 2
        if len(args) != 2 or type(args[0]) is not str or args[1] not in ("latin1", "latin-1"):
            raise _Refused(f"REDUCE of {func.name} with arguments other than (str, 'latin1')")
        return args[0].encode("latin-1")
    if kind == "bytes":  # bytes(): b'' under protocol 2
        if args:
            raise _Refused(f"REDUCE of {func.name} with arguments")
        return b""
    if kind == "frombuffer":  # _frombuffer(buffer, dtype, shape, order): protocol 5
        if len(args) != 4 or args[3] not in ("C", "F"):
            raise _Refused(f"REDUCE of {func.name} with arguments other than (buffer, dtype, "
                           f"shape, order)")
        done = _PendingArray()
        done.array = _numeric(_bytes(args[0], "the buffer"), _dtype_of(args[1], "the dtype"),
                              _shape(args[2], "the shape"), args[3] == "F")
        return done
    if kind == "scalar":  # scalar(dtype, bytes): a NumPy number
        if len(args) != 2:
            raise _Refused(f"REDUCE of {func.name} with {len(args)} arguments")
        dt = _dtype_of(args[0], "the dtype")
        data = _bytes(args[1], "the data")
        if dt.hasobject or len(data) != dt.itemsize:
            raise _Refused(f"REDUCE of {func.name} with a {dt} and {len(data)} bytes")
        return np.frombuffer(data, dtype=dt)[0]
    raise _Refused(f"REDUCE of {func.name}")  # ndarray, dtype itself


def _numeric(data: bytes, dt: Any, shape: tuple[int, ...], fortran: bool) -> Any:
    import numpy as np

    if dt.hasobject:
        raise _Refused("raw bytes for an object dtype")
    if len(data) != math.prod(shape) * dt.itemsize:
        raise _Refused(f"{len(data)} bytes for an array of shape {shape} and dtype {dt}")
    return np.frombuffer(data, dtype=dt).reshape(shape, order="F" if fortran else "C").copy()


def _element(v: Any) -> Any:
    import numpy as np

    if type(v) is list:
        if all(type(w) is int for w in v):
            return v
        bad = next(w for w in v if type(w) is not int)
        raise _Refused(f"a list element {_kind(bad)} (only lists of int are read)")
    if type(v) is int:
        return v
    if isinstance(v, _PendingArray) and v.array is not None and v.array.dtype != object:
        return v.array
    if isinstance(v, np.generic) and v.dtype.kind in "biu":
        return v
    raise _Refused(f"an array element {_kind(v)}")


def _build(obj: Any, state: Any) -> None:
    import numpy as np

    if isinstance(obj, _PendingDtype):
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
        if (obj.built or type(state) is not tuple or len(state) not in (8, 9)
                or state[0] not in (3, 4) or state[2:5] != (None, None, None)
                or state[5:7] != (-1, -1) or type(state[7]) is not int
                or (len(state) == 9 and state[8] is not None)):
            raise _Refused(f"BUILD of a numpy.dtype with the state {_short(state, 120)}")
        order = _text(state[1], "the byte order")
        if order not in ("<", ">", "|", "="):
            raise _Refused(f"BUILD of a numpy.dtype with the byte order {_short(order)}")
        if order in "<>" and obj.dtype.itemsize > 1 and not obj.dtype.hasobject:
            obj.dtype = obj.dtype.newbyteorder(order)
        obj.built = True
        return
    if isinstance(obj, _PendingArray):
        # (version, shape, dtype, is_fortran, data), or without the version
        if obj.array is not None or type(state) is not tuple or len(state) not in (4, 5) \
                or (len(state) == 5 and state[0] != 1):
            raise _Refused(f"BUILD of a numpy.ndarray with the state {_kind(state)}")
        shape, dt, fortran, data = state[-4:]
        shape = _shape(shape, "the shape")
        dt = _dtype_of(dt, "the dtype")
        fortran = _flag(fortran, "is_fortran")
        if not dt.hasobject:
            obj.array = _numeric(_bytes(data, "the data"), dt, shape, fortran)
            return
        n = math.prod(shape)
        if type(data) is not list or len(data) != n:
            raise _Refused(f"an object array of shape {shape} with data {_kind(data)}")
        out = np.empty(n, dtype=object)
        for i, v in enumerate(data):
            out[i] = _element(v)
        obj.array = out.reshape(shape, order="F" if fortran else "C")
        return
    raise _Refused(f"BUILD of {_kind(obj)}")


def loads_object_array(data: bytes, source: str = "<bytes>") -> Any:
    """The NumPy array pickled in ``data`` (a ``.npy`` member's body), read without
    unpickling; raises :class:`UnsafePickleError` for anything but an array of ints or
    of int lists, naming ``source``."""
    stack: list[Any] = []
    marks: list[list[Any]] = []
    memo: dict[int, Any] = {}
    pos: Any = 0
    name = "?"

    def pop_mark() -> list[Any]:
        nonlocal stack
        if not marks:
            raise _Refused("no MARK")
        items, stack = stack, marks.pop()
        return items

    try:
        for op, arg, pos in pickletools.genops(data):  # noqa: B007 (pos: in errors)
            name = op.name
            if name in ("BININT1", "BININT2", "BININT", "LONG1"):
                stack.append(arg)
            elif name == "APPENDS":
                items = pop_mark()
                if type(stack[-1]) is not list:
                    raise _Refused("APPENDS to something other than a list")
                stack[-1].extend(items)
            elif name == "APPEND":
                v = stack.pop()
                if type(stack[-1]) is not list:
                    raise _Refused("APPEND to something other than a list")
                stack[-1].append(v)
            elif name == "MARK":
                marks.append(stack)
                stack = []
            elif name == "EMPTY_LIST":
                stack.append([])
            elif name in ("BINPUT", "LONG_BINPUT"):
                memo[arg] = stack[-1]
            elif name == "MEMOIZE":
                memo[len(memo)] = stack[-1]
            elif name in ("BINGET", "LONG_BINGET"):
                if arg not in memo:
                    raise _Refused(f"memo entry {arg} is not set")
                stack.append(memo[arg])
            elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
                k = int(name[-1])
                if len(stack) < k:
                    raise _Refused("stack underflow")
                t = tuple(stack[-k:])
                del stack[-k:]
                stack.append(t)
            elif name == "TUPLE":
                items = pop_mark()
                stack.append(tuple(items))
            elif name == "EMPTY_TUPLE":
                stack.append(())
            elif name == "NONE":
                stack.append(None)
            elif name in ("NEWTRUE", "NEWFALSE"):
                stack.append(name == "NEWTRUE")
            elif name in ("BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8",
                          "SHORT_BINBYTES", "BINBYTES", "BINBYTES8", "BYTEARRAY8"):
                stack.append(arg)
            elif name in ("SHORT_BINSTRING", "BINSTRING"):
                stack.append(_Py2Str(arg))  # pickletools decodes them as latin-1
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "GLOBAL":
                    module, _, attr = str(arg).partition(" ")
                else:
                    if len(stack) < 2:
                        raise _Refused("stack underflow")
                    module = _text(stack[-2], "the module of STACK_GLOBAL")
                    attr = _text(stack[-1], "the name of STACK_GLOBAL")
                    del stack[-2:]
                kind = _GLOBALS.get((module, attr))
                if kind is None:
                    raise _Refused(f"{name} {module}.{attr}")
                stack.append(_Global(kind, f"{module}.{attr}"))
            elif name == "REDUCE":
                args = stack.pop()
                stack[-1] = _reduce(stack[-1], args)
            elif name == "BUILD":
                state = stack.pop()
                _build(stack[-1], state)
            elif name == "PROTO":
                if arg not in (2, 3, 4, 5):
                    raise _Refused(f"PROTO {arg} (NumPy writes protocols 2 to 5)")
            elif name == "FRAME":
                pass
            elif name == "STOP":
                if len(stack) != 1 or marks:
                    raise _Refused("STOP with a malformed stack")
                top = stack[0]
                if not isinstance(top, _PendingArray) or top.array is None:
                    raise _Refused(f"the stream holds {_kind(top)}, not a NumPy array")
                return top.array
            else:
                raise _Refused(f"opcode {name}")
        raise _Refused("the stream ends without STOP")
    except _Refused as exc:
        raise UnsafePickleError(
            f"{source}: refused to unpickle {exc} (at byte {pos}); tensorweave reads only the "
            f"pickle streams NumPy writes for arrays of integer lists, and never runs code "
            f"from a file") from None
    except IndexError:
        raise UnsafePickleError(f"{source}: malformed pickle stream (stack underflow at "
                                f"{name}, byte {pos})") from None
    except ValueError as exc:  # pickletools: truncated stream, bad opcode ...
        raise UnsafePickleError(f"{source}: malformed or truncated pickle stream ({exc}); "
                                f"delete the file and download it again") from None
    raise AssertionError("unreachable")


def read_npy(data: bytes, source: str = "<npy>") -> Any:
    """One ``.npy`` file's array: plain dtypes through NumPy with ``allow_pickle=False``,
    object arrays through :func:`loads_object_array`."""
    import numpy as np
    from numpy.lib import format as npy_format

    fp = io.BytesIO(data)
    try:
        version = npy_format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dt = npy_format.read_array_header_1_0(fp)
        elif version in ((2, 0), (3, 0)):  # 3.0 only differs in the header's encoding
            shape, fortran, dt = npy_format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except ValueError as exc:
        raise DatasetFormatError(f"{source}: not a .npy file ({exc})") from None
    if not dt.hasobject:
        # NumPy allocates what the header declares before reading: a header that claims
        # more than the file holds must not become a huge allocation
        declared = math.prod(shape) * dt.itemsize
        if declared > len(data) - fp.tell():
            raise DatasetFormatError(f"{source}: the header declares {declared} bytes of "
                                     f"{dt} data of shape {tuple(shape)}, the file holds "
                                     f"{len(data) - fp.tell()}; it is damaged")
        fp.seek(0)
        try:
            return npy_format.read_array(fp, allow_pickle=False)
        except ValueError as exc:
            raise DatasetFormatError(f"{source}: damaged .npy data ({exc})") from None
    if dt != np.dtype(object):
        raise UnsafePickleError(f"{source}: refused to unpickle a structured dtype with "
                                f"objects ({dt}); only object arrays of integer lists are read")
    arr = loads_object_array(data[fp.tell():], source)
    if arr.dtype != object or arr.shape != tuple(shape):
        raise DatasetFormatError(f"{source}: the header says an object array of shape "
                                 f"{tuple(shape)}, the data holds {arr.dtype} {arr.shape}")
    if fortran and arr.ndim > 1:
        arr = np.asfortranarray(arr)
    return arr


def load_npz(path: Any) -> dict[str, Any]:
    """``{name: array}`` of every ``.npy`` member of the ``.npz`` at ``path``, read with
    :func:`read_npy` (nothing is unpickled)."""
    path = Path(path)
    out: dict[str, Any] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy"):
                    continue
                if info.file_size > _BOMB_FLOOR and info.file_size > 100 * info.compress_size:
                    raise DatasetFormatError(
                        f"{path}: member {info.filename} declares {info.file_size} bytes but "
                        f"stores {info.compress_size}; refused as a decompression bomb")
                out[info.filename[:-4]] = read_npy(zf.read(info), f"{path}:{info.filename}")
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DatasetFormatError(f"{path}: cannot read the .npz archive ({exc}); it is damaged "
                                 f"or incomplete: delete it and download it again") from None
    return out
