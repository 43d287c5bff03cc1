"""CuPy's ufuncs over NumPy's, restricted to CuPy's dtype loops (``types`` in the snapshot).

Deviations from NumPy mirrored here:

* float ``floor_divide`` is ``floor(x / y)`` and float ``remainder`` is
  ``x - floor(x / y) * y`` (cupy/_core/include/cupy/carray.cuh ``_floor_divide``;
  cupy/_core/_routines_math.pyx ``_remainder``), computed in float for float16
  (CuPy's float16 converts to float); NumPy uses fmod-based divmod (1.0 // 0.1 == 9.0
  in NumPy, 10.0 in CuPy). Integer ``remainder`` by zero is 0 (``* (in1 != 0)``).
* ``ufunc.at`` exists only for ufuncs with a scatter op (add, maximum, minimum, subtract)
  and, for ``add``, only for the dtypes of CUDA's atomicAdd: int32, uint32, uint64,
  float16, float32, float64 (cupy/_core/_routines_indexing.pyx ``_scatter_op``; CuPy's
  tests: ``testing.for_dtypes('iILQefd')`` in tests/cupyx_tests/test_scatter.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from ._core import API, ndarray, unwrap, wrap

_SCALARS = (bool, int, float, complex, np.generic)


def _cupy_floor_divide(x: Any, y: Any, **kw: Any) -> Any:
    dt = np.result_type(x, y)
    if dt.kind != "f":
        return np.floor_divide(x, y, **kw)
    work = np.float32 if dt == np.float16 else dt
    r = np.floor(np.true_divide(np.asarray(x, dtype=work), np.asarray(y, dtype=work)))
    return r.astype(dt, copy=False)


def _cupy_remainder(x: Any, y: Any, **kw: Any) -> Any:
    dt = np.result_type(x, y)
    if dt.kind != "f":
        return np.remainder(x, y, **kw)
    work = np.float32 if dt == np.float16 else dt
    xa, ya = np.asarray(x, dtype=work), np.asarray(y, dtype=work)
    r = xa - np.floor(np.true_divide(xa, ya)) * ya
    return np.asarray(r).astype(dt, copy=False)


def _cupy_max_min(is_max: bool) -> Any:
    np_fn = np.maximum if is_max else np.minimum

    def fn(x: Any, y: Any, **kw: Any) -> Any:
        r = np_fn(x, y, **kw)
        if np.asarray(r).dtype.kind != "f":
            return r
        from ._elementwise import _ptx_max_min

        nan = np.isnan(x) | np.isnan(y)
        z = _ptx_max_min(is_max, np.asarray(x, dtype=r.dtype), np.asarray(y, dtype=r.dtype))
        return np.where(nan, r, z).astype(r.dtype, copy=False)
    return fn


_DEVIATIONS = {"floor_divide": _cupy_floor_divide, "remainder": _cupy_remainder,
               "mod": _cupy_remainder,
               # CUDA max/min (cupy_maximum: max(in0, in1) after the NaN checks) order
               # -0.0 below +0.0; NumPy's float16 loop returns the first zero
               "maximum": _cupy_max_min(True), "minimum": _cupy_max_min(False)}

_ATOMIC_ADD = {np.dtype(t) for t in ("int32", "uint32", "uint64", "float16", "float32",
                                     "float64")}


class ufunc:  # noqa: N801 - CuPy's name
    def __init__(self, name: str, info: dict, np_ufunc: Any) -> None:
        self.__name__ = name
        self.name = f"cupy_{name}"
        self.nin = info["nin"]
        self.nout = info["nout"]
        self.nargs = self.nin + self.nout
        self.types = list(info["types"])
        self._scatter = info.get("scatter_op")
        self._np = np_ufunc
        self._impl = _DEVIATIONS.get(name, np_ufunc)
        self._loops = [(tuple(np.dtype(c) for c in t.split("->")[0]),
                        tuple(np.dtype(c) for c in t.split("->")[1])) for t in self.types]

    def __repr__(self) -> str:
        return f"<ufunc '{self.name}'>"

    def _args(self, args: Any) -> list:
        out = []
        for a in args:
            if isinstance(a, ndarray):
                out.append(a._a)
            elif isinstance(a, _SCALARS):
                out.append(a)
            else:
                raise TypeError(f"Unsupported type {type(a)}")
        return out

    def _check_loop(self, ins: list, res: Any) -> None:
        arr_dts = [(i, a.dtype) for i, a in enumerate(ins) if isinstance(a, np.ndarray)]
        res_dt = (res[0] if isinstance(res, tuple) else res).dtype
        for lin, lout in self._loops:
            if all(np.can_cast(d, lin[i], "safe") for i, d in arr_dts) and lout[0] == res_dt:
                return
        raise TypeError(f"Wrong type ({', '.join(str(d) for _, d in arr_dts)}) of arguments "
                        f"for {self.name} (fake cupy: no CuPy loop among {self.types} gives "
                        f"{res_dt})")

    def __call__(self, *args: Any, out: Any = None, dtype: Any = None, casting: Any = None,
                 where: Any = None, **kwargs: Any) -> Any:
        if kwargs:
            raise TypeError(f"Wrong arguments {kwargs}")
        if len(args) == self.nin + 1 and out is None:
            out, args = args[-1], args[:-1]
        if len(args) != self.nin:
            raise TypeError(f"Wrong number of arguments for {self.name}")
        ins = self._args(args)
        if out is not None and not isinstance(out, (ndarray, tuple)):
            raise TypeError("Output arguments must be cupy.ndarray")
        kw = {} if dtype is None else {"dtype": dtype}
        _core._counts["kernels"] += 1
        with np.errstate(all="ignore"):
            res = self._impl(*ins, **kw)
        if dtype is None:
            self._check_loop(ins, res)
        if out is None:
            return wrap(res)
        outs = out if isinstance(out, tuple) else (out,)
        ress = res if isinstance(res, tuple) else (res,)
        for o, r in zip(outs, ress):
            if not isinstance(o, ndarray):
                raise TypeError("Output arguments must be cupy.ndarray")
            np.copyto(o._a, np.broadcast_to(r, o.shape), casting=casting or "same_kind")
        return out

    def at(self, a: Any, indices: Any, b: Any = None) -> None:
        if self._scatter is None:
            raise NotImplementedError(f"`{self.name}.at` is not supported yet")
        if not isinstance(a, ndarray):
            raise TypeError("cupy.ufunc.at needs a cupy.ndarray")
        if self._scatter == "add" and a.dtype not in _ATOMIC_ADD:
            raise TypeError("scatter_add only supports int32, float16, float32, float64, "
                            f"uint32, uint64, as data type (got {a.dtype})")
        idx = _core._index_key(indices, a.shape)
        vals = unwrap(b, self.name)
        with np.errstate(all="ignore"):
            self._np.at(a._a, idx, vals)

    def reduce(self, array: Any, axis: Any = 0, dtype: Any = None, out: Any = None,
               keepdims: bool = False) -> Any:
        if not isinstance(array, ndarray):
            raise TypeError(f"Unsupported type {type(array)}")
        with np.errstate(all="ignore"):
            res = self._np.reduce(array._a, axis=axis, dtype=dtype, keepdims=keepdims)
        if out is not None:
            np.copyto(out._a, res)
            return out
        return wrap(res)

    def accumulate(self, array: Any, axis: int = 0, dtype: Any = None, out: Any = None) -> Any:
        res = self._np.accumulate(unwrap(array, self.name), axis=axis, dtype=dtype)
        return wrap(res)

    def outer(self, A: Any, B: Any, **kwargs: Any) -> Any:  # noqa: N803
        return wrap(self._np.outer(unwrap(A, self.name), unwrap(B, self.name)))


UFUNCS: dict = {}
for _name, _info in API["modules"]["cupy"].items():
    if _info["kind"] == "ufunc":
        _np_u = getattr(np, _name, None)
        if isinstance(_np_u, np.ufunc):
            UFUNCS[_name] = ufunc(_name, _info, _np_u)
