"""Out-kernels: the NumPy kernels' values written into a preallocated buffer.

A compiled plan (``tw.jit``) preallocates one buffer per live value and reuses buffers by
liveness; for that it needs kernels of the form ``f(*arrays, out=buffer) -> buffer`` (see
:meth:`tensorweave.backend_api.Backend.prepare_out`). They are written over an array module
``xp`` like the other kernel families, so the CuPy backend can build the same table with
``xp = cupy``.

Every out-kernel gives exactly the values of the allocating kernel of the same op (same
ufunc, same accumulation dtype, same NaN rules). Signatures that need special handling
(float16 reductions and products, bfloat16 outputs, integer ``floor_divide`` / ``mod``,
``erf``, ...) get no out-kernel: the plan then runs the allocating kernel.

``f.inplace`` lists the input positions whose array may be ``out`` itself.

``where`` selects with integer arithmetic on the bit patterns, ``y + (x - y) * cond`` in
unsigned integers of the element size: it is exact for every value (NaN payloads, signed
zeros, infinities) and, unlike ``numpy.where`` / ``copyto(where=)``, has no data-dependent
branches (those cost 10-20x more on random masks, e.g. ReLU gradients).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tensorweave import dtypes as _dt

__all__ = ["prepare_out"]

# op name -> (ufunc name, quiet): one ufunc call with out=
_UFUNCS = {
    "neg": ("negative", False), "abs": ("absolute", False), "sign": ("sign", False),
    "exp": ("exp", True), "log": ("log", True), "log1p": ("log1p", True),
    "expm1": ("expm1", True), "sqrt": ("sqrt", True), "sin": ("sin", False),
    "cos": ("cos", False), "tanh": ("tanh", False), "floor": ("floor", False),
    "ceil": ("ceil", False), "round": ("rint", False), "logical_not": ("logical_not", False),
    "square": ("square", False),
    "add": ("add", False), "subtract": ("subtract", False), "multiply": ("multiply", False),
    "divide": ("true_divide", True), "power": ("power", True), "maximum": ("maximum", False),
    "minimum": ("minimum", False), "equal": ("equal", False), "not_equal": ("not_equal", False),
    "less": ("less", False), "less_equal": ("less_equal", False), "greater": ("greater", False),
    "greater_equal": ("greater_equal", False), "logical_and": ("logical_and", False),
    "logical_or": ("logical_or", False), "logical_xor": ("logical_xor", False),
    "bitwise_and": ("bitwise_and", False), "bitwise_or": ("bitwise_or", False),
    "bitwise_xor": ("bitwise_xor", False), "left_shift": ("left_shift", False),
    "right_shift": ("right_shift", False),
}

_UINT = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def _mark(fn: Any, inplace: tuple = ()) -> Any:
    """A callable that can carry the ``inplace`` attribute (ufuncs cannot)."""
    if not hasattr(fn, "__dict__"):
        fn = functools.partial(fn)
    fn.inplace = inplace
    return fn


def _quiet(xp: Any, fn: Callable[..., Any]) -> Callable[..., Any]:
    errstate = getattr(xp, "errstate", None)
    if errstate is None:
        return fn

    def quiet(*args: Any, out: Any) -> Any:
        with errstate(all="ignore"):
            return fn(*args, out=out)
    return quiet


def _known(specs: Any) -> bool:
    return all(d is not None for s in specs for d in s.shape)


def _elementwise(xp: Any, name: str, in_specs: Any, out_spec: Any) -> Any:
    ufunc_name, quiet = _UFUNCS[name]
    ufunc = getattr(xp, ufunc_name)
    fn = _quiet(xp, ufunc) if quiet else ufunc
    return _mark(fn, tuple(range(len(in_specs))))


def _where(xp: Any, in_specs: Any, out_spec: Any) -> Any:
    itemsize = xp.dtype(_np_dtype_of(xp, out_spec)).itemsize
    uint = getattr(xp, _UINT[itemsize])

    subtract, multiply, add = xp.subtract, xp.multiply, xp.add
    host = xp.__name__ == "numpy"  # testing y == 0 on a GPU array would synchronise

    def where(c: Any, x: Any, y: Any, out: Any) -> Any:
        # x and y have out's dtype (the op's rule); arrays and NumPy scalars both view
        if y is out:  # only as the same value as x (in place is offered for x only)
            if x is out:
                return out  # where(c, x, x) == x
            xp.copyto(out, xp.where(c, x, y))
            return out
        ob = out.view(uint)
        xb = x.view(uint)
        yb = y.view(uint)
        if host and yb.ndim == 0 and not yb:
            # y is +0 (or False, or 0): one pass, out = x * cond
            multiply(xb, c, out=ob)
            return out
        # out = y + (x - y) * cond, wrapping in unsigned integers: exact bit patterns
        subtract(xb, yb, out=ob)
        multiply(ob, c, out=ob)
        add(ob, yb, out=ob)
        return out
    return _mark(where, (1,))


def _np_dtype_of(xp: Any, spec: Any) -> Any:
    from .dtypes import dtype_map

    return dtype_map(xp)[spec.dtype]


def prepare_out(xp: Any, np_dtype: Callable[[Any], Any], op_name: str, attrs: dict,
                in_specs: Any, out_specs: Any) -> Any:
    """The out-kernel of ``op_name`` for this signature, or ``None``."""
    if len(out_specs) != 1:
        return None
    out_spec = out_specs[0]
    if out_spec.dtype is _dt.bfloat16 or not _known(in_specs) or not _known(out_specs):
        return None
    name = op_name
    if name in _UFUNCS:
        return _elementwise(xp, name, in_specs, out_spec)
    builder = _BUILDERS.get(name)
    if builder is None:
        return None
    return builder(xp, np_dtype, attrs, in_specs, out_spec)


# ---- builders for the other ops -------------------------------------------------------------
def _b_where(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    return _where(xp, in_specs, out_spec)


def _b_relu(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    maximum = xp.maximum

    def relu(x: Any, out: Any) -> Any:
        return maximum(x, 0, out=out)
    return _mark(relu, (0,))


def _b_sigmoid(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    multiply, tanh, add = xp.multiply, xp.tanh, xp.add

    def sigmoid(x: Any, out: Any) -> Any:
        multiply(x, 0.5, out=out)
        tanh(out, out=out)
        multiply(out, 0.5, out=out)
        return add(out, 0.5, out=out)
    return _mark(sigmoid, (0,))


def _b_cast(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    copyto = xp.copyto
    errstate = getattr(xp, "errstate", None)

    def cast(x: Any, out: Any) -> Any:
        if errstate is None:
            copyto(out, x, casting="unsafe")
        else:
            with errstate(all="ignore"):
                copyto(out, x, casting="unsafe")
        return out
    return _mark(cast, (0,) if in_specs[0].dtype is out_spec.dtype else ())


def _b_copy(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    copyto = xp.copyto

    def copy(x: Any, out: Any) -> Any:
        if x is not out:
            copyto(out, x)
        return out
    return _mark(copy, (0,))


def _b_isnan(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    if in_specs[0].dtype.kind in "biu":
        return _mark(lambda x, out: _filled(out, False))
    return _mark(xp.isnan)


def _b_isfinite(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    if in_specs[0].dtype.kind in "biu":
        return _mark(lambda x, out: _filled(out, True))
    return _mark(xp.isfinite)


def _filled(out: Any, value: Any) -> Any:
    out.fill(value)
    return out


def _b_floor_divide(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    if in_specs[0].dtype.kind in "iu" or xp.__name__ != "numpy":  # see elementwise._py_divmod
        return None
    return _mark(_quiet(xp, xp.floor_divide), (0, 1))


def _b_mod(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    if in_specs[0].dtype.kind in "iu" or xp.__name__ != "numpy":  # see elementwise._py_divmod
        return None
    return _mark(_quiet(xp, xp.mod), (0, 1))


def _reduction(fn_name: str, ufunc_name: str, quiet: bool = False,
               accumulate: bool = False) -> Any:
    def build(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
        if in_specs[0].dtype is _dt.float16 and accumulate:
            return None  # float16 accumulates in float32, then rounds once
        # ``np.sum`` & co. are Python wrappers around ``ufunc.reduce``: call the C one
        # (NumPy only; CuPy keeps its own reductions)
        fn = getattr(xp, fn_name)
        if xp.__name__ == "numpy":
            fn = getattr(getattr(xp, ufunc_name), "reduce", None) or fn
        axis, keepdims = attrs["axis"], attrs["keepdims"]
        kw: dict = {"axis": axis, "keepdims": keepdims}
        if accumulate:
            kw["dtype"] = np_dtype(in_specs[0].dtype)
        bound = functools.partial(fn, **kw)
        if quiet:
            return _mark(_quiet(xp, bound))
        return _mark(bound)
    return build


def _b_matmul(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    if in_specs[0].dtype is _dt.float16:
        return None
    return _mark(xp.matmul)


def _b_full(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    value = attrs["value"]
    return _mark(lambda *xs, out: _filled(out, value))


def _b_concatenate(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    axis = attrs["axis"]
    concatenate = xp.concatenate

    def concat(*xs: Any, out: Any) -> Any:
        return concatenate(xs, axis=axis, out=out)
    return _mark(concat)


def _b_pad(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    pad_width, value = attrs["pad_width"], attrs["constant_value"]
    inner = tuple(slice(lo, lo + d) for d, (lo, _) in zip(in_specs[0].shape, pad_width))

    def pad(x: Any, out: Any) -> Any:
        out.fill(value)
        out[inner] = x
        return out
    return _mark(pad)


def _b_slice_update(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    from .shape import _slices

    region = _slices(attrs["begin"], attrs["end"], attrs["strides"])
    copyto = xp.copyto

    def slice_update(x: Any, update: Any, out: Any) -> Any:
        if x is not out:
            copyto(out, x)
        out[region] = update
        return out
    return _mark(slice_update, (0,))


def _b_scatter_add(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    add_at = getattr(xp.add, "at", None)
    if add_at is None:
        return None
    if xp.__name__ != "numpy":
        from .indexing import _ATOMIC_ADD

        if out_spec.dtype.name not in _ATOMIC_ADD:
            return None  # CuPy's atomicAdd lacks it: the allocating kernel handles it
    copyto = xp.copyto

    def scatter_add(x: Any, indices: Any, updates: Any, out: Any) -> Any:
        if x is not out:
            copyto(out, x)
        k = indices.shape[-1]
        add_at(out, tuple(indices[..., i] for i in range(k)), updates)
        return out
    return _mark(scatter_add, (0,))


def _b_take(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any, out_spec: Any) -> Any:
    axis = attrs["axis"]
    take = xp.take

    def take_out(x: Any, indices: Any, out: Any) -> Any:
        return take(x, indices, axis=axis, out=out)
    return _mark(take_out)


def _b_extract_patches(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any,
                       out_spec: Any) -> Any:
    if xp.__name__ != "numpy":
        return None
    from .nn import _as_strided

    as_strided = _as_strided(xp)
    sizes, strides, dilation = attrs["sizes"], attrs["strides"], attrs["dilation"]
    n = len(sizes)
    x_shape = in_specs[0].shape
    spatial = x_shape[1:-1]
    out_sp = tuple((d - dl * (k - 1) - 1) // s + 1
                   for d, k, s, dl in zip(spatial, sizes, strides, dilation))
    window_shape = (x_shape[0], *out_sp, *sizes, x_shape[-1])
    copyto = xp.copyto

    def extract_patches(x: Any, out: Any) -> Any:
        x = xp.ascontiguousarray(x)
        st = x.strides
        view = as_strided(
            x, shape=window_shape,
            strides=(st[0], *[st[1 + i] * strides[i] for i in range(n)],
                     *[st[1 + i] * dilation[i] for i in range(n)], st[-1]),
            writeable=False)
        copyto(out.reshape(window_shape), view)
        return out
    return _mark(extract_patches)


def _b_patches_transpose(xp: Any, np_dtype: Any, attrs: dict, in_specs: Any,
                         out_spec: Any) -> Any:
    from .nn import _offsets

    sizes, strides, dilation = attrs["sizes"], attrs["strides"], attrs["dilation"]
    n = len(sizes)
    p_shape = in_specs[0].shape
    N, out_sp, c = p_shape[0], p_shape[1:-1], attrs["image_shape"][-1]
    plan = []
    for offset in _offsets(sizes):
        target = [slice(None)]
        for i in range(n):
            start = offset[i] * dilation[i]
            stop = start + strides[i] * (out_sp[i] - 1) + 1
            target.append(slice(start, stop, strides[i]))
        src = (slice(None),) * (1 + n) + tuple(offset) + (slice(None),)
        plan.append((tuple(target), src))
    window_shape = (N, *out_sp, *sizes, c)

    def patches_transpose(p: Any, out: Any) -> Any:
        out.fill(0)
        pw = xp.reshape(p, window_shape)
        for target, src in plan:
            out[target] += pw[src]
        return out
    return _mark(patches_transpose)


_BUILDERS: dict[str, Callable[..., Any]] = {
    "where": _b_where,
    "relu": _b_relu,
    "sigmoid": _b_sigmoid,
    "cast": _b_cast,
    "copy": _b_copy,
    "isnan": _b_isnan,
    "isfinite": _b_isfinite,
    "floor_divide": _b_floor_divide,
    "mod": _b_mod,
    "sum": _reduction("sum", "add", accumulate=True),
    "prod": _reduction("prod", "multiply", quiet=True, accumulate=True),
    "max": _reduction("max", "maximum"),
    "min": _reduction("min", "minimum"),
    "any": _reduction("any", "logical_or"),
    "all": _reduction("all", "logical_and"),
    "matmul": _b_matmul,
    "full": _b_full,
    "full_like": _b_full,
    "concatenate": _b_concatenate,
    "pad": _b_pad,
    "slice_update": _b_slice_update,
    "scatter_add": _b_scatter_add,
    "take": _b_take,
    "extract_patches": _b_extract_patches,
    "patches_transpose": _b_patches_transpose,
}
