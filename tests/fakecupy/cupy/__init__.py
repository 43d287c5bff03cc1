"""A strict fake CuPy 14.2 on NumPy, for testing tensorweave's CuPy backend without a GPU.

Only importable with ``tests/fakecupy`` on ``sys.path`` (tests do that in subprocesses).
The namespace is generated from ``cupy_api.json`` (a snapshot of real CuPy 14.2's names,
signatures and ufunc loops, made by ``snapshot_api.py``): a name CuPy lacks does not exist
here, and a call whose arguments do not bind to CuPy's signature raises TypeError. See
``_core`` and ``_ufuncs`` for the CuPy behaviours that are mirrored, ``_elementwise`` for
the ``ElementwiseKernel`` interpreter.

Test hooks (not CuPy API): ``_fake_sync_count()``, ``_fake_h2d_count()``,
``_fake_kernel_count()``, ``_fake_reset_counts()``, ``_fake_sync_log()``.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as _np

from . import _core, _ufuncs
from ._core import API, make_function, ndarray, not_emulated, unwrap, wrap

__version__ = API["cupy_version"]
_FAKE = True


def _fake_sync_count() -> int:
    return _core._counts["sync"]


def _fake_h2d_count() -> int:
    return _core._counts["h2d"]


def _fake_kernel_count() -> int:
    return _core._counts["kernels"]


def _fake_reset_counts() -> None:
    for k in _core._counts:
        _core._counts[k] = 0
    _core._sync_log.clear()


def _fake_sync_log() -> list:
    return list(_core._sync_log)


ufunc = _ufuncs.ufunc


# ---- functions with CuPy-specific behaviour --------------------------------------------------
def _asarray(a: Any, dtype: Any = None, order: Any = None, *, copy: Any = None,
             blocking: bool = False) -> Any:
    if isinstance(a, ndarray):
        if dtype is None or _np.dtype(dtype) == a.dtype:
            return a.copy() if copy else a
        if copy is False:
            raise ValueError("a copy is needed to convert the dtype")
        return a.astype(dtype)
    _core.note_h2d()
    if isinstance(a, (list, tuple)) and any(isinstance(v, ndarray) for v in a):
        a = [v._a if isinstance(v, ndarray) else v for v in a]
    if copy is False:
        raise ValueError("copy=False is not possible for host data")
    return wrap(_np.array(a, dtype=dtype, order=order or "K", copy=True))


def _array(obj: Any, dtype: Any = None, copy: bool = True, order: str = "K",
           subok: bool = False, ndmin: int = 0, *, blocking: bool = False) -> Any:
    if isinstance(obj, ndarray):
        res = obj.astype(dtype if dtype is not None else obj.dtype, copy=copy)
        if ndmin > res.ndim:
            res = res.reshape((1,) * (ndmin - res.ndim) + res.shape)
        return res
    _core.note_h2d()
    return wrap(_np.array(obj, dtype=dtype, copy=True, order=order, ndmin=ndmin))


def _ascontiguousarray(a: Any, dtype: Any = None) -> Any:
    if not isinstance(a, ndarray):
        a = _asarray(a)
    if dtype is not None and _np.dtype(dtype) != a.dtype:
        a = a.astype(dtype)
    if a.flags.c_contiguous:
        return a
    return wrap(_np.ascontiguousarray(a._a))


def _asnumpy(a: Any, stream: Any = None, order: str = "C", out: Any = None, *,
             blocking: bool = True) -> Any:
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return _np.asarray(a, order=order)


def _from_dlpack(array: Any, *, device: Any = None, copy: Any = None) -> Any:
    if isinstance(array, ndarray):
        return ndarray(_array=array._a.view(), _base=_core.owner_of(array))
    dev = array.__dlpack_device__() if hasattr(array, "__dlpack_device__") else None
    if dev is not None and dev[0] == 1 and copy is not True:
        raise BufferError("fake cupy: a CPU DLPack tensor cannot be imported without "
                          "copy=True")
    _core.note_h2d()
    # its memory stays the producer's (a.data.mem is a DLPackMemory), base is None
    return ndarray(_array=_np.array(_np.from_dlpack(array), copy=True),
                   _base=_core.DLPACK_IMPORTED)


def _get_array_module(*args: Any) -> Any:
    if any(isinstance(a, ndarray) for a in args):
        return sys.modules[__name__]
    return _np


def _where(condition: Any, x: Any = None, y: Any = None) -> Any:
    if (x is None) != (y is None):
        raise ValueError("Must provide both 'x' and 'y' or neither.")
    if x is None:
        return nonzero(condition)  # noqa: F821 - generated below
    # CuPy: _where_ufunc(condition.astype('?'), x, y) -- condition must be a cupy array
    cond = condition.astype("?")
    for v in (x, y):
        if isinstance(v, _np.ndarray):
            raise TypeError(f"Unsupported type {type(v)}")
    xs = x._a if isinstance(x, ndarray) else x
    ys = y._a if isinstance(y, ndarray) else y
    return wrap(_np.where(cond._a, xs, ys))


def _copyto(dst: Any, src: Any, casting: str = "same_kind", where: Any = None) -> None:
    if not isinstance(dst, ndarray):
        raise TypeError("dst must be a cupy.ndarray")
    if isinstance(src, _np.ndarray):
        raise TypeError("fake cupy: copyto from a numpy.ndarray (STRICTER than CuPy)")
    s = src._a if isinstance(src, ndarray) else src
    w = unwrap(where, "copyto") if where is not None else True
    with _np.errstate(all="ignore"):
        if casting == "unsafe" and isinstance(s, _np.ndarray) and s.dtype.kind == "f" \
                and dst.dtype.kind in "iu":
            s = _core._astype(s, dst.dtype)
        _np.copyto(dst._a, s, casting=casting, where=w)


def _concatenate(tup: Any, axis: int = 0, out: Any = None, *, dtype: Any = None,
                 casting: str = "same_kind") -> Any:
    for a in tup:
        if not isinstance(a, ndarray):
            raise TypeError("Only cupy arrays can be concatenated")
    res = _np.concatenate([a._a for a in tup], axis=axis, dtype=dtype, casting=casting)
    if out is not None:
        _np.copyto(out._a, res)
        return out
    return wrap(res)


def _take(a: Any, indices: Any, axis: Any = None, out: Any = None) -> Any:
    # CuPy wraps out-of-range indices (no IndexError)
    if not isinstance(a, ndarray):
        raise TypeError("cupy.take needs a cupy.ndarray")
    idx = unwrap(indices, "take")
    res = _np.take(a._a, idx, axis=axis, mode="wrap")
    if out is not None:
        _np.copyto(out._a, res)
        return out
    return wrap(res)


def _sort(a: Any, axis: int = -1, kind: Any = None) -> Any:
    _core._check_kind(kind)
    return wrap(_np.sort(unwrap(a, "sort"), axis=axis, kind="stable"))


def _argsort(a: Any, axis: int = -1, kind: Any = None) -> Any:
    _core._check_kind(kind)
    return wrap(_np.argsort(unwrap(a, "argsort"), axis=axis, kind="stable"))


def _take_along_axis(a: Any, indices: Any, axis: Any) -> Any:
    if indices.dtype.kind not in "iu":
        raise IndexError("`indices` must be an integer array")
    if a.ndim != indices.ndim:
        raise ValueError("`indices` and `a` must have the same number of dimensions")
    ax = axis if axis >= 0 else axis + a.ndim
    idx = _np.mod(indices._a, a.shape[ax]) if a.shape[ax] else indices._a
    return wrap(_np.take_along_axis(a._a, idx, axis=axis))


def _as_strided(x: Any, shape: Any = None, strides: Any = None) -> Any:
    res = _np.lib.stride_tricks.as_strided(x._a, shape=shape, strides=strides)
    return ndarray(_array=res, _base=_core.owner_of(x))


def _get_default_memory_pool() -> Any:
    return cuda.memory._POOL


def _get_default_pinned_memory_pool() -> Any:
    return cuda.memory._PINNED


_OVERRIDES = {
    "cupy": {"asarray": _asarray, "array": _array, "asanyarray": _asarray,
             "ascontiguousarray": _ascontiguousarray, "asnumpy": _asnumpy,
             "from_dlpack": _from_dlpack, "get_array_module": _get_array_module,
             "where": _where, "copyto": _copyto, "concatenate": _concatenate, "take": _take,
             "sort": _sort, "argsort": _argsort, "take_along_axis": _take_along_axis,
             "get_default_memory_pool": _get_default_memory_pool,
             "get_default_pinned_memory_pool": _get_default_pinned_memory_pool},
    "cupy.lib.stride_tricks": {"as_strided": _as_strided},
}
_NUMPY_MODULE = {"cupy": _np, "cupy.linalg": _np.linalg, "cupy.fft": _np.fft,
                 "cupy.random": _np.random, "cupy.lib.stride_tricks": _np.lib.stride_tricks}
_NUMPY_CLASSES = {"dtype", "iinfo", "finfo", "generic", "number", "integer", "signedinteger",
                  "unsignedinteger", "floating", "complexfloating", "inexact", "bool"}


def _placeholder_class(qual: str) -> type:
    def __init__(self: Any, *a: Any, **k: Any) -> None:
        raise NotImplementedError(f"fake cupy: {qual} is not emulated")
    return type(qual.rsplit(".", 1)[-1], (), {"__init__": __init__})


def _populate(mod: Any, modname: str) -> None:
    np_mod = _NUMPY_MODULE.get(modname)
    overrides = _OVERRIDES.get(modname, {})
    for name, info in API["modules"][modname].items():
        if name in mod.__dict__ and not name.startswith("__"):
            continue
        kind = info["kind"]
        qual = f"{modname}.{name}"
        if name in overrides:
            val = overrides[name]
            sig = info.get("sig")
            if sig is not None:
                val = _checked(val, qual, sig)
        elif kind == "ufunc" and modname == "cupy":
            val = _ufuncs.UFUNCS.get(name) or not_emulated(qual)
        elif kind == "ufunc":
            val = _ufuncs.UFUNCS.get(name) or not_emulated(qual)
        elif kind == "scalar_type":
            val = getattr(_np, info["numpy"])
        elif kind == "constant":
            val = info["value"]
        elif kind == "class":
            if name in _NUMPY_CLASSES and hasattr(_np, name):
                val = getattr(_np, name)
            else:
                val = _placeholder_class(qual)
        elif kind == "module":
            continue  # submodules are set up below
        elif kind == "function":
            np_fn = getattr(np_mod, name, None) if np_mod is not None else None
            if callable(np_fn):
                val = make_function(modname, name, np_fn, info.get("sig"))
            else:
                val = not_emulated(qual)
        elif kind == "other" and np_mod is not None and hasattr(np_mod, name):
            val = getattr(np_mod, name)  # s_, r_, index_exp ...
        else:
            continue
        setattr(mod, name, val)


def _checked(fn: Any, qual: str, sig_text: str) -> Any:
    sig = _core._signature(sig_text)

    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{qual}(): {exc} (CuPy 14.2 signature {sig_text})") from None
        return fn(*args, **kwargs)
    checked.__name__ = qual.rsplit(".", 1)[-1]
    checked.__signature__ = sig  # type: ignore[attr-defined]
    return checked


def _submodule(name: str) -> Any:
    mod = sys.modules.get(name) or types.ModuleType(name)
    sys.modules[name] = mod
    return mod


_this = sys.modules[__name__]
from . import cuda  # noqa: E402
from ._elementwise import ElementwiseKernel  # noqa: E402,F401

_populate(_this, "cupy")
for _sub in ("cupy.linalg", "cupy.fft", "cupy.random", "cupy.lib.stride_tricks"):
    _m = _submodule(_sub)
    _populate(_m, _sub)
lib = _submodule("cupy.lib")
lib.stride_tricks = sys.modules["cupy.lib.stride_tricks"]  # type: ignore[attr-defined]
linalg = sys.modules["cupy.linalg"]
fft = sys.modules["cupy.fft"]
random = sys.modules["cupy.random"]
_populate(cuda, "cupy.cuda")
_populate(cuda.runtime, "cupy.cuda.runtime")
ndarray = _core.ndarray  # noqa: F811 - keep our class over the placeholder
ufunc = _ufuncs.ufunc  # noqa: F811
for _name, _info in API["ndarray"].items():  # methods CuPy has and NumPy provides
    if _info["kind"] != "method" or hasattr(ndarray, _name):
        continue
    if hasattr(_np.ndarray, _name):
        def _method(self: Any, *args: Any, _n: str = _name, **kwargs: Any) -> Any:
            a = [unwrap(v, f"ndarray.{_n}") for v in args]
            kw = {k: unwrap(v, f"ndarray.{_n}") for k, v in kwargs.items()}
            with _np.errstate(all="ignore"):
                return wrap(getattr(self._a, _n)(*a, **kw))
        _method.__name__ = _name
        setattr(ndarray, _name, _method)
for _name in [n for n in dir(_core.ndarray) if not n.startswith("_")]:
    if _name not in API["ndarray"] and _name not in ("get", "set"):
        raise AssertionError(f"fake cupy.ndarray.{_name} is not in CuPy's ndarray")
