"""The fake's array type, host-sync accounting and NumPy-backed function wrappers.

Fidelity rules (each mirrors real CuPy 14.2 unless marked STRICTER):

* ``ndarray.__array__`` raises TypeError (CuPy: cupy/_core/core.pyx ``__array__``:
  "Implicit conversion to a NumPy array is not allowed. Please use `.get()` ...").
* STRICTER: ``__array_function__`` / ``__array_ufunc__`` raise TypeError (CuPy dispatches
  NumPy calls to itself); backend code must call ``xp.`` functions.
* CuPy functions and ufuncs reject ``numpy.ndarray`` arguments (ufuncs: "Unsupported type
  <class 'numpy.ndarray'>", cupy/_core/_kernel.pyx ``_preprocess_args``); only the
  conversion functions (asarray, array, ...) accept host arrays.
* Results are always arrays: CuPy returns 0-d arrays where NumPy returns scalars.
* Ufunc dtype loops are CuPy's (``types`` from the snapshot): e.g. ``isnan`` has no integer
  loop, ``true_divide`` only ``qq->d`` for integers.
* No ``errstate`` in ``cupy`` (only ``cupyx.errstate``); no bfloat16, object or string dtypes.
* Integer-array indexing and ``take`` wrap out-of-range indices instead of raising
  (CuPy docs, "Differences between CuPy and NumPy": out-of-bounds integer array indices).
* float -> integer casts saturate and map NaN to 0, as CUDA's ``cvt.rzi`` does (NumPy
  on x86 gives INT_MIN); see ``_astype``.
* ``ndarray.flags`` has only c_contiguous / f_contiguous / owndata (cupy/_core/flags.pyx).
* ``sort`` / ``argsort`` accept only ``kind=None`` ("Unlike in NumPy any other options are
  not accepted here", cupy/_sorting/sort.py).
"""

from __future__ import annotations

import inspect
import json
import os
import weakref
from pathlib import Path
from typing import Any

import numpy as np

API = json.loads((Path(__file__).resolve().parent.parent / "cupy_api.json").read_text())

# ---- host synchronisation accounting --------------------------------------------------------
_counts = {"sync": 0, "h2d": 0, "kernels": 0}
_sync_log: list = []


def note_sync(what: str) -> None:
    _counts["sync"] += 1
    if os.environ.get("FAKECUPY_TRACE_SYNC"):
        import traceback

        _sync_log.append((what, "".join(traceback.format_stack(limit=12)[:-1])))


def note_h2d() -> None:
    _counts["h2d"] += 1


class FakeCupyError(TypeError):
    """Something real CuPy would reject (or that the fake refuses, being stricter)."""


_SUPPORTED_KINDS = "biufc"


def _check_dtype(dt: Any) -> None:
    if dt.kind not in _SUPPORTED_KINDS:
        raise FakeCupyError(f"Unsupported dtype {dt}")


# ---- memory pool accounting -----------------------------------------------------------------
class _Pool:
    total_device = 16 << 30

    def __init__(self) -> None:
        self.used = 0
        self.held = 0
        self.limit = 0

    def alloc(self, nbytes: int) -> None:
        from .cuda.memory import OutOfMemoryError

        limit = self.limit or self.total_device
        if self.used + nbytes > limit:
            raise OutOfMemoryError(nbytes, self.used, limit)
        self.used += nbytes
        self.held = max(self.held, self.used)

    def free(self, nbytes: int) -> None:
        self.used -= nbytes


POOL = _Pool()


# ---- the array type -------------------------------------------------------------------------
class Flags:
    __slots__ = ("c_contiguous", "f_contiguous", "owndata")

    def __init__(self, a: np.ndarray) -> None:
        self.c_contiguous = bool(a.flags.c_contiguous)
        self.f_contiguous = bool(a.flags.f_contiguous)
        self.owndata = a.base is None

    def __getitem__(self, name: str) -> bool:
        return getattr(self, {"C_CONTIGUOUS": "c_contiguous", "F_CONTIGUOUS": "f_contiguous",
                              "OWNDATA": "owndata"}[name])


class ndarray:  # noqa: N801 - CuPy's name
    __slots__ = ("_a", "_base", "__weakref__")
    __array_priority__ = 100
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, shape: Any = None, dtype: Any = float, memptr: Any = None,
                 strides: Any = None, order: str = "C", *, _array: Any = None,
                 _base: Any = None) -> None:
        if _array is None:
            _array = np.empty(shape, dtype=dtype, order=order)
        _check_dtype(_array.dtype)
        self._a = _array
        self._base = _base
        if _array.base is None and _array.nbytes:
            POOL.alloc(_array.nbytes)
            weakref.finalize(self, POOL.free, _array.nbytes)

    # -- host transfers (each one a synchronisation) --
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        raise TypeError(f"fake cupy: NumPy function numpy.{func.__name__} called on a "
                        "cupy.ndarray (call the cupy function instead)")

    def __array_ufunc__(self, ufunc: Any, method: Any, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"fake cupy: NumPy ufunc numpy.{ufunc.__name__} called on a "
                        "cupy.ndarray (call the cupy ufunc instead)")

    def get(self, stream: Any = None, order: str = "C", out: Any = None,
            blocking: bool = True) -> np.ndarray:
        note_sync("ndarray.get")
        if out is not None:
            np.copyto(out, self._a)
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr: Any, stream: Any = None) -> None:
        note_h2d()
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape/dtype mismatch")
        np.copyto(self._a, arr)

    def item(self) -> Any:
        note_sync("ndarray.item")
        return self._a.item()

    def tolist(self) -> Any:
        note_sync("ndarray.tolist")
        return self._a.tolist()

    def tobytes(self, order: str = "C") -> bytes:
        note_sync("ndarray.tobytes")
        return self._a.tobytes(order)

    def __float__(self) -> float:
        note_sync("ndarray.__float__")
        return float(self._scalar_only())

    def __int__(self) -> int:
        note_sync("ndarray.__int__")
        return int(self._scalar_only())

    def __complex__(self) -> complex:
        note_sync("ndarray.__complex__")
        return complex(self._scalar_only())

    def __bool__(self) -> bool:
        note_sync("ndarray.__bool__")
        return bool(self._scalar_only())

    # CuPy's ndarray has no __index__ (it is not in dir(cupy.ndarray)): range(x) fails.

    def _scalar_only(self) -> Any:
        if self._a.size != 1:
            raise TypeError("only length-1 arrays can be converted to Python scalars")
        return self._a.reshape(()).item()

    def __repr__(self) -> str:
        note_sync("ndarray.__repr__")
        return repr(self._a).replace("array(", "array(", 1)

    def __str__(self) -> str:
        note_sync("ndarray.__str__")
        return str(self._a)

    def __format__(self, spec: str) -> str:
        note_sync("ndarray.__format__")
        return format(self._a.item() if self._a.ndim == 0 else self._a, spec)

    # -- DLPack --
    def __dlpack_device__(self) -> tuple:
        return (2, 0)  # kDLCUDA, device 0

    def __dlpack__(self, *, stream: Any = None, max_version: Any = None, dl_device: Any = None,
                   copy: Any = None) -> Any:
        if dl_device is not None and tuple(dl_device)[0] == 1:
            if copy is False:
                raise BufferError("device memory cannot be exported to the CPU without a copy")
            note_sync("ndarray.__dlpack__(cpu)")
            return np.array(self._a, copy=True).__dlpack__()
        raise BufferError("fake cupy: device arrays can be imported only by cupy.from_dlpack")

    def toDlpack(self) -> Any:  # noqa: N802 - CuPy's name
        raise BufferError("fake cupy: toDlpack capsules are not emulated")

    # -- attributes --
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: Flags(self._a))

    @property
    def base(self) -> Any:
        if self._a.base is None:
            return None
        return self._base if self._base is not None else _Opaque()

    @property
    def device(self) -> Any:
        from .cuda import Device

        return Device(0)

    @property
    def data(self) -> Any:
        from .cuda.memory import MemoryPointer

        return MemoryPointer(self)

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self.dtype.str, "version": 3,
                "data": (self._a.__array_interface__["data"][0], False),
                "strides": None if self._a.flags.c_contiguous else self.strides}

    @property
    def T(self) -> ndarray:  # noqa: N802
        return _view(self, self._a.T)

    @property
    def mT(self) -> ndarray:  # noqa: N802
        return _view(self, self._a.mT)

    @property
    def real(self) -> ndarray:
        return _view(self, self._a.real)

    @property
    def imag(self) -> ndarray:
        return _view(self, self._a.imag) if self._a.dtype.kind == "c" else wrap(
            np.zeros_like(self._a))

    # -- shape --
    def __len__(self) -> int:
        if self._a.ndim == 0:
            raise TypeError("len() of unsized object")
        return len(self._a)

    def __iter__(self) -> Any:
        if self._a.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._a.shape[0]):
            yield self[i]

    def view(self, dtype: Any = None, type: Any = None) -> ndarray:  # noqa: A002
        if dtype is None:
            return _view(self, self._a.view())
        _check_dtype(np.dtype(dtype))
        return _view(self, self._a.view(dtype))

    def reshape(self, *shape: Any, order: str = "C", copy: Any = None) -> ndarray:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if copy:
            return wrap(np.array(self._a.reshape(shape, order=order), copy=True))
        res = self._a.reshape(shape, order=order)
        return _view(self, res) if res.base is not None else wrap(res)

    def transpose(self, *axes: Any) -> ndarray:
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _view(self, self._a.transpose(axes) if axes else self._a.transpose())

    def swapaxes(self, axis1: int, axis2: int) -> ndarray:
        return _view(self, self._a.swapaxes(axis1, axis2))

    def ravel(self, order: str = "C") -> ndarray:
        res = self._a.ravel(order)
        return _view(self, res) if res.base is not None else wrap(res)

    def flatten(self, order: str = "C") -> ndarray:
        return wrap(self._a.flatten(order))

    def squeeze(self, axis: Any = None) -> ndarray:
        return _view(self, self._a.squeeze(axis))

    def copy(self, order: str = "C") -> ndarray:
        return wrap(np.array(self._a, order=order, copy=True))

    def __copy__(self) -> ndarray:
        return self.copy()

    def __deepcopy__(self, memo: Any) -> ndarray:
        return self.copy()

    def astype(self, dtype: Any, order: str = "K", casting: Any = None, subok: Any = None,
               copy: bool = True) -> ndarray:
        dt = np.dtype(dtype)
        _check_dtype(dt)
        if not copy and dt == self._a.dtype:
            return self
        return wrap(_astype(self._a, dt, order))

    def fill(self, value: Any) -> None:
        if isinstance(value, ndarray):
            value = value._a
        elif isinstance(value, np.ndarray):
            raise TypeError("fake cupy: fill() with a numpy.ndarray")
        self._a.fill(value)

    def sort(self, axis: int = -1, kind: Any = None) -> None:
        _check_kind(kind)
        self._a.sort(axis=axis, kind="stable")

    def argsort(self, axis: int = -1, kind: Any = None) -> ndarray:
        _check_kind(kind)
        return wrap(self._a.argsort(axis=axis, kind="stable"))

    def scatter_add(self, slices: Any, value: Any) -> None:
        from cupyx import scatter_add

        scatter_add(self, slices, value)

    # -- indexing --
    def __getitem__(self, key: Any) -> ndarray:
        k = _index_key(key, self._a.shape)
        res = self._a[k]
        if isinstance(res, np.generic):  # CuPy gives a 0-d view, NumPy a scalar
            kt = k if isinstance(k, tuple) else (k,)
            res = self._a[kt + (Ellipsis,)]
        if res.base is not None and _shares(res, self._a):
            return _view(self, res)
        return wrap(res)

    def __setitem__(self, key: Any, value: Any) -> None:
        k = _index_key(key, self._a.shape)
        if isinstance(value, ndarray):
            value = value._a
        elif isinstance(value, np.ndarray):
            note_h2d()
        self._a[k] = value

    def __delitem__(self, key: Any) -> None:
        raise ValueError("cannot delete array elements")

    # -- operators (through the fake ufuncs, so CuPy's dtype loops apply) --
    def _bin(self, name: str, other: Any, reflected: bool = False) -> Any:
        from . import _ufuncs

        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        if not isinstance(other, (ndarray, int, float, bool, complex, np.generic)):
            return NotImplemented
        u = _ufuncs.UFUNCS[name]
        return u(other, self) if reflected else u(self, other)

    def _inplace(self, name: str, other: Any) -> ndarray:
        from . import _ufuncs

        if isinstance(other, np.ndarray):
            raise TypeError(f"Unsupported type {type(other)}")
        _ufuncs.UFUNCS[name](self, other, out=self)
        return self

    def __neg__(self) -> ndarray:
        from . import _ufuncs

        return _ufuncs.UFUNCS["negative"](self)

    def __pos__(self) -> ndarray:
        return self.copy()

    def __abs__(self) -> ndarray:
        from . import _ufuncs

        return _ufuncs.UFUNCS["absolute"](self)

    def __invert__(self) -> ndarray:
        from . import _ufuncs

        return _ufuncs.UFUNCS["invert"](self)

    def __matmul__(self, other: Any) -> Any:
        from . import matmul

        return matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        from . import matmul

        return matmul(other, self)

    def __getstate__(self) -> Any:
        note_sync("pickle")
        return self._a

    def __setstate__(self, state: Any) -> None:
        self._a = state
        self._base = None

    def __reduce__(self) -> Any:
        note_sync("pickle")
        return (_unpickle, (np.array(self._a),))


def _unpickle(a: np.ndarray) -> ndarray:
    return wrap(a)


_OPS = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
        "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "and": "bitwise_and",
        "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "left_shift",
        "rshift": "right_shift"}
for _op, _uf in _OPS.items():
    setattr(ndarray, f"__{_op}__", lambda self, o, _u=_uf: self._bin(_u, o))
    setattr(ndarray, f"__r{_op}__", lambda self, o, _u=_uf: self._bin(_u, o, True))
    setattr(ndarray, f"__i{_op}__", lambda self, o, _u=_uf: self._inplace(_u, o))
for _op, _uf in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                 "gt": "greater", "ge": "greater_equal"}.items():
    setattr(ndarray, f"__{_op}__", lambda self, o, _u=_uf: self._bin(_u, o))


DLPACK_IMPORTED = object()  # ndarray._base of an array imported through DLPack (base None)


class _Opaque:
    """The base of a view whose owner is not a fake array (only ``is not None`` matters)."""


def _shares(res: np.ndarray, a: np.ndarray) -> bool:
    b = res
    while b is not None and isinstance(b, np.ndarray):
        if b is a or b is a.base:
            return True
        b = b.base
    return a.base is not None and res.base is a.base


def owner_of(a: ndarray) -> ndarray:
    """The array a view of ``a`` has as its base (CuPy: the array owning the memory)."""
    return a._base if a._base is not None and a._base is not DLPACK_IMPORTED else a


def _view(owner: ndarray, arr: np.ndarray) -> ndarray:
    base = owner_of(owner)
    return ndarray(_array=arr, _base=base)


def _check_kind(kind: Any) -> None:
    if kind is not None:
        raise NotImplementedError("Sorting with kind other than None is not supported "
                                  "(fake cupy mirrors cupy/_sorting/sort.py)")


def _astype(a: np.ndarray, dt: np.dtype, order: str = "K") -> np.ndarray:
    """NumPy's astype, except float -> integer: CUDA's cvt.rzi saturates and maps NaN to 0."""
    if a.dtype.kind == "f" and dt.kind in "iu":
        info = np.iinfo(dt)
        with np.errstate(invalid="ignore"):
            v = np.trunc(a.astype(np.float64))
            v = np.where(np.isnan(v), 0.0, v)
            lo, hi = float(info.min), float(info.max)
            over = v >= hi
            v = np.clip(v, lo, hi)
            out = v.astype(dt)
            out[over] = info.max
        return out
    with np.errstate(all="ignore"):
        return a.astype(dt, order=order)


def _index_key(key: Any, shape: tuple) -> Any:
    """Unwrap fake arrays in an index and wrap out-of-range integer-array indices (CuPy)."""
    items = key if isinstance(key, tuple) else (key,)
    out = []
    has_array = False
    for k in items:
        if isinstance(k, ndarray):
            k = k._a
        elif isinstance(k, np.ndarray):
            note_h2d()
        elif isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, np.ndarray) and k.dtype.kind in "iu":
            has_array = True
        out.append(k)
    if has_array:
        # position of each item along the array's axes
        n_consumed = sum(k.ndim if isinstance(k, np.ndarray) and k.dtype == bool else
                         (0 if k is None or k is Ellipsis else 1) for k in out)
        axis = 0
        for i, k in enumerate(out):
            if k is Ellipsis:
                axis += len(shape) - n_consumed
            elif k is None:
                continue
            elif isinstance(k, np.ndarray) and k.dtype == bool:
                axis += k.ndim
            else:
                if isinstance(k, np.ndarray) and k.dtype.kind in "iu" and axis < len(shape) \
                        and shape[axis] > 0:
                    out[i] = np.mod(k, shape[axis])
                axis += 1
    return tuple(out) if isinstance(key, tuple) else out[0]


# ---- wrapping -------------------------------------------------------------------------------
def wrap(res: Any) -> Any:
    if isinstance(res, np.ndarray):
        return ndarray(_array=res)
    if isinstance(res, np.generic):
        return ndarray(_array=np.asarray(res))
    if isinstance(res, tuple):
        return tuple(wrap(r) for r in res)
    if isinstance(res, list):
        return [wrap(r) for r in res]
    return res


def unwrap(x: Any, fname: str, host_ok: bool = False) -> Any:
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        if host_ok:
            note_h2d()
            return x
        raise TypeError(f"fake cupy: cupy.{fname}() got a numpy.ndarray; CuPy accepts only "
                        "cupy arrays (and scalars) here")
    if isinstance(x, (tuple, list)):
        return type(x)(unwrap(v, fname, host_ok) for v in x)
    return x


# ---- NumPy-backed functions with CuPy's signatures -------------------------------------------
def _signature(text: Any) -> Any:
    if text is None:
        return None
    ns: dict = {}
    exec(f"def _f{text}: pass", {}, ns)
    return inspect.signature(ns["_f"])


def make_function(modname: str, name: str, impl: Any, sig_text: Any,
                  host_ok: bool = False) -> Any:
    sig = _signature(sig_text)
    qual = f"{modname}.{name}"

    def fn(*args: Any, **kwargs: Any) -> Any:
        if sig is not None:
            try:
                sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{qual}(): {exc} (CuPy 14.2 signature {sig_text})") from None
        a = [unwrap(v, qual, host_ok) for v in args]
        kw = {k: unwrap(v, qual, host_ok) for k, v in kwargs.items()}
        _counts["kernels"] += 1
        with np.errstate(all="ignore"):
            res = impl(*a, **kw)
        if isinstance(res, np.ndarray) and res.base is not None:
            # a view of an argument (cupy.reshape, cupy.transpose, cupy.broadcast_to ...):
            # as in CuPy, its base is the array owning the memory, so it keeps that array
            # alive (and referenced) as long as the view lives
            for v in (*args, *kwargs.values()):
                if isinstance(v, ndarray) and _shares(res, v._a):
                    return _view(v, res)
        return wrap(res)
    fn.__name__ = name
    fn.__qualname__ = qual
    fn.__signature__ = sig  # type: ignore[attr-defined]
    return fn


def not_emulated(qual: str) -> Any:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"fake cupy: {qual} exists in CuPy 14.2 but is not emulated")
    fn.__name__ = qual.rsplit(".", 1)[-1]
    return fn
