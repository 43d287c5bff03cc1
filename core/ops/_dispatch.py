"""The op table and the dispatcher: one definition per op, run eagerly or recorded in a graph.

An :class:`OpDef` holds everything tensorweave knows about an op, declared next to it (as
in JAX's ``lax.py``): its shape/dtype rule (``infer``), its vector-Jacobian rule (``vjp``,
written with ``tensorweave.ops`` so it works on every backend and can itself be
differentiated) and, for a composite op, its decomposition into other ops.

:func:`apply` is the one entry point. On concrete tensors it runs the op at once on their
backend; when any input is symbolic it hands the call to the graph builder. The eager path
is kept thin (design lesson from Keras #22561): one dict lookup per call keyed by the op,
the input shapes and dtypes and the attributes; the shape rule, the kernel lookup and
attribute binding happen once per signature, on a cache miss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .. import dtypes as _dt
from ..backend_api import Backend
from ..backend_registry import current
from ..dtypes import DType
from ..errors import (
    BackendMismatchError,
    DTypeError,
    InvalidArgumentError,
    NotImplementedKernelError,
    ShapeError,
    UnknownOpError,
)
from ..tensor import Tensor, TensorBase

__all__ = ["OpDef", "TensorSpec", "defop", "get_op", "all_ops", "apply", "unary", "binary",
           "wrap", "convert_to_tensor", "is_tensor", "is_symbolic"]


class TensorSpec(NamedTuple):
    """Static description of a tensor: shape (``None`` for unknown dims) and dtype."""

    shape: tuple
    dtype: DType


VJP = Callable[..., Sequence[Any]]


class OpDef:
    """One op: name, shape/dtype rule, gradient rule, optional decomposition.

    ``infer(specs, **attrs)`` gets the inputs' :class:`TensorSpec` list and returns the
    output spec (a list of specs when ``multi_output``), raising ``ShapeError`` or
    ``DTypeError`` that name the op. ``vjp(g, out, *inputs, **attrs)`` returns one
    cotangent per input (``None`` where an input gets no gradient). A *primitive* op has no
    ``decompose`` and needs a kernel on every backend; a composite may have a kernel.
    """

    __slots__ = ("name", "infer", "vjp", "decompose", "differentiable", "elementwise",
                 "multi_output", "doc", "family", "nondiff_argnums")

    def __init__(self, name: str, infer: Callable[..., Any], *, vjp: VJP | None = None,
                 decompose: Callable[..., Any] | None = None, differentiable: bool = True,
                 elementwise: bool = False, multi_output: bool = False, doc: str = "",
                 family: str = "", nondiff_argnums: tuple[int, ...] = ()) -> None:
        self.name = name
        self.infer = infer
        self.vjp = vjp
        self.decompose = decompose
        self.differentiable = differentiable
        self.elementwise = elementwise
        self.multi_output = multi_output
        self.doc = doc
        self.family = family
        self.nondiff_argnums = nondiff_argnums

    @property
    def primitive(self) -> bool:
        return self.decompose is None

    def __repr__(self) -> str:
        kind = "primitive" if self.primitive else "composite"
        return f"<op {self.name} ({kind})>"


_OPS: dict[str, OpDef] = {}


def defop(name: str, infer: Callable[..., Any], **kwargs: Any) -> OpDef:
    """Register an op. Names are unique: a second registration is an error."""
    if name in _OPS:
        from ..errors import DuplicateNameError

        raise DuplicateNameError(f"op {name!r} is already defined")
    op = OpDef(name, infer, **kwargs)
    _OPS[name] = op
    return op


def get_op(name: str) -> OpDef:
    try:
        return _OPS[name]
    except KeyError:
        raise UnknownOpError(f"unknown op {name!r}") from None


def all_ops() -> dict[str, OpDef]:
    return dict(_OPS)


# ---- symbolic hand-off (filled in by tensorweave.graph) ---------------------------------
class _SymbolicHook:
    types: tuple[type, ...] = ()
    apply: Callable[..., Any] | None = None


symbolic_hook = _SymbolicHook()


def is_symbolic(x: Any) -> bool:
    return bool(symbolic_hook.types) and isinstance(x, symbolic_hook.types)


def is_tensor(x: Any) -> bool:
    return isinstance(x, TensorBase)


def _unwrap(x: Any) -> Any:
    """A Variable (or anything with ``_tw_tensor``) read as its current tensor."""
    get = getattr(x, "_tw_tensor", None)
    return get() if get is not None else x


# ---- wrapping ---------------------------------------------------------------------------
_new = object.__new__


def wrap(data: Any, shape: tuple, dtype: DType, backend: Backend) -> Tensor:
    t = _new(Tensor)
    t._data = data
    t._shape = shape
    t._dtype = dtype
    t._backend = backend
    return t


# ---- conversion -------------------------------------------------------------------------
def _scan_python(data: Any, where: str) -> tuple[tuple[int, ...], list, DType]:
    """Shape, row-major values and inferred dtype of nested lists/tuples of scalars."""
    if isinstance(data, (bool, int, float)):
        return (), [data], _dt.scalar_dtype(data)
    shape: list[int] = []
    level: list[Any] = [data]
    while level and isinstance(level[0], (list, tuple)):
        n = len(level[0])
        for item in level:
            if not isinstance(item, (list, tuple)) or len(item) != n:
                raise ShapeError(f"{where}: ragged nested sequence: rows of different "
                                 f"lengths or depths at depth {len(shape)}")
        shape.append(n)
        level = [v for item in level for v in item]
    kinds = set()
    for v in level:
        if isinstance(v, (list, tuple)):
            raise ShapeError(f"{where}: ragged nested sequence (mixed depths)")
        if isinstance(v, bool):
            kinds.add("b")
        elif isinstance(v, int):
            kinds.add("i")
        elif isinstance(v, float):
            kinds.add("f")
        elif hasattr(v, "dtype") and hasattr(v, "item") and getattr(v, "shape", ()) == ():
            v_item = v.item()
            kinds.add("f" if isinstance(v_item, float) else "b" if isinstance(v_item, bool)
                      else "i")
        else:
            raise DTypeError(f"{where}: expected numbers (bool, int, float), got "
                             f"{type(v).__name__} {v!r}")
    if any(not isinstance(v, (bool, int, float)) for v in level):
        level = [v.item() if hasattr(v, "item") else v for v in level]
    if "f" in kinds:
        dtype = _dt.float32
    elif "i" in kinds:
        big = any(not isinstance(v, bool) and not (-(2**31) <= v < 2**31) for v in level)
        dtype = _dt.int64 if big else _dt.int32
    elif "b" in kinds:
        dtype = _dt.bool_
    else:
        dtype = _dt.float32  # empty list, as NumPy gives float
    return tuple(shape), level, dtype


def _fit_values(values: list, dtype: DType, where: str) -> list:
    """Convert Python values to the kind of ``dtype`` (range-checked for integers)."""
    if dtype.kind == "f":
        return [float(v) for v in values]
    if dtype.kind == "b":
        return [bool(v) for v in values]
    out = []
    lo, hi = dtype.min, dtype.max
    for v in values:
        if isinstance(v, float):
            if v != v or v in (float("inf"), float("-inf")):
                raise DTypeError(f"{where}: cannot convert {v} to {dtype}")
            v = int(v)
        v = int(v)
        if not lo <= v <= hi:
            raise DTypeError(f"{where}: value {v} is out of bounds for {dtype}")
        out.append(v)
    return out


def _is_numpy_array(data: Any) -> bool:
    return type(data).__module__ == "numpy" and hasattr(data, "dtype")


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None,
                      ragged: bool | None = None, *, backend: Backend | str | None = None,
                      where: str = "convert_to_tensor") -> Tensor:
    """Make a concrete tensor from a tensor, a NumPy array, a scalar or nested lists.

    Data of another backend's tensor is never moved implicitly: pass ``backend=`` to
    :func:`tensorweave.ops.to_backend` instead. ``sparse``/``ragged`` (Keras's) may only
    be ``None``/``False``: tensorweave tensors are dense.
    """
    if sparse or ragged:
        raise InvalidArgumentError(
            f"{where}: argument '{'sparse' if sparse else 'ragged'}': tensorweave has only "
            f"dense tensors; expected None or False, got True")
    data = x
    target = None if dtype is None else _dt.canonicalize(dtype)
    data = _unwrap(data)
    if isinstance(data, Tensor):
        if target is None or target is data._dtype:
            return data
        from . import cast

        return cast(data, target)
    if is_symbolic(data):
        raise DTypeError(f"{where}: expected concrete data, got a symbolic tensor; "
                         "run the graph or use tw.ops on it")
    be = current() if backend is None else _get_backend(backend)
    if _is_numpy_array(data) and data.dtype.kind not in "biuf":
        raise DTypeError(f"{where}: expected numeric data, got a NumPy array of dtype "
                         f"{data.dtype}")
    if be.is_native(data):
        arr, src = be.from_native(data)
        t = wrap(arr, be.shape_of(arr), src, be)
        return t if target is None or target is src else convert_to_tensor(t, target)
    if _is_numpy_array(data):
        kind = data.dtype.kind
        if kind not in "biuf":
            raise DTypeError(f"{where}: expected numeric data, got a NumPy array of dtype "
                             f"{data.dtype}")
        src = _dt.canonicalize(data.dtype.name)
        out_dtype = target or src
        arr = be.from_numpy(data, out_dtype)
        return wrap(arr, tuple(int(d) for d in data.shape), out_dtype, be)
    if isinstance(data, (bool, int, float, list, tuple)):
        shape, values, inferred = _scan_python(data, where)
        out_dtype = target or inferred
        return wrap(be.from_flat(_fit_values(values, out_dtype, where), shape, out_dtype),
                    shape, out_dtype, be)
    if hasattr(data, "__cuda_array_interface__") and hasattr(data, "get"):
        # a device array of another backend (a cupy.ndarray on the numpy backend):
        # np.asarray refuses it, .get() copies it to the host once
        return convert_to_tensor(data.get(), dtype, backend=be, where=where)
    if hasattr(data, "__array__") or hasattr(data, "__array_interface__"):
        import numpy as np

        return convert_to_tensor(np.asarray(data), dtype, backend=be, where=where)
    raise DTypeError(f"{where}: expected a tensor, array, number or nested list of numbers, "
                     f"got {type(data).__name__}")


def _get_backend(b: Backend | str) -> Backend:
    from ..backend_registry import get_backend

    return get_backend(b)


def _backend_of(inputs: Sequence[Any], op: OpDef) -> Backend:
    backend = None
    for x in inputs:
        b = x._backend
        if backend is None:
            backend = b
        elif b is not backend:
            raise BackendMismatchError(
                f"{op.name}: inputs live on different backends ({backend.name} and {b.name}); "
                "move one explicitly with tw.ops.to_backend(x, name)")
    return backend if backend is not None else current()


# ---- dispatch ---------------------------------------------------------------------------
def apply(op: OpDef, inputs: Sequence[Any], attrs: dict[str, Any] | None = None) -> Any:
    """Run ``op`` on concrete tensors now, or record it when an input is symbolic.

    Inputs must already be tensors of a common dtype where the op needs it (the public
    functions in ``tensorweave.ops`` convert and promote); ``attrs`` must be hashable and
    normalised.
    """
    attrs = attrs or {}
    for x in inputs:
        if type(x) is not Tensor:
            inputs = [_unwrap(i) for i in inputs]
            if any(is_symbolic(i) for i in inputs):
                return symbolic_hook.apply(op, tuple(inputs), attrs)  # type: ignore[misc]
            for i in inputs:
                if type(i) is not Tensor:
                    raise DTypeError(f"{op.name}: expected tensors, got {type(i).__name__}")
            break
    backend = _backend_of(inputs, op)
    key = (op, tuple(attrs.items()), *[(x._shape, x._dtype) for x in inputs])
    entry = backend.eager_cache.get(key)
    if entry is None:
        entry = _build_entry(op, backend, [TensorSpec(x._shape, x._dtype) for x in inputs],
                             attrs)
        backend.eager_cache[key] = entry
    return entry(*inputs)


def infer(op: OpDef, specs: Sequence[TensorSpec], attrs: dict[str, Any]) -> Any:
    """Run the op's shape rule and return TensorSpec(s)."""
    out = op.infer(list(specs), **attrs)
    if op.multi_output:
        return [TensorSpec(tuple(s[0]), s[1]) for s in out]
    return TensorSpec(tuple(out[0]), out[1])


def _build_entry(op: OpDef, backend: Backend, specs: list[TensorSpec],
                 attrs: dict[str, Any]) -> Callable[..., Any]:
    out = infer(op, specs, attrs)
    out_specs = out if op.multi_output else [out]
    fn = backend.prepare(op.name, attrs, specs, out_specs)
    if fn is None:
        decompose = op.decompose
        if decompose is None:
            raise NotImplementedKernelError(
                f"backend {backend.name!r} has no kernel for primitive op {op.name!r}; "
                f"run `tensorweave conformance --backend {backend.name}` to list missing ops")
        bound = dict(attrs)
        return lambda *inputs: decompose(*inputs, **bound)
    if op.multi_output:
        def run_multi(*inputs: Tensor) -> tuple[Tensor, ...]:
            res = fn(*[x._data for x in inputs])
            return tuple(wrap(r, s.shape, s.dtype, backend) for r, s in zip(res, out_specs))
        return run_multi
    shape, dtype = out
    n = len(specs)
    if n == 1:
        return lambda x: wrap(fn(x._data), shape, dtype, backend)
    if n == 2:
        return lambda x, y: wrap(fn(x._data, y._data), shape, dtype, backend)
    return lambda *inputs: wrap(fn(*[x._data for x in inputs]), shape, dtype, backend)


# ---- fast paths for elementwise ops -------------------------------------------------------
def unary(op: OpDef, x: Any) -> Any:
    if type(x) is Tensor:
        entry = x._backend.eager_cache.get((op, (), (x._shape, x._dtype)))
        if entry is not None:
            return entry(x)
        return apply(op, (x,))
    x = _unwrap(x)
    if is_tensor(x):
        return apply(op, (x,))
    return apply(op, (convert_to_tensor(x, where=op.name),))


_SCALARS = (bool, int, float)


def binary(op: OpDef, x: Any, y: Any, promote: bool = True) -> Any:
    """Elementwise binary op with NumPy broadcasting, weak Python scalars and promotion."""
    if type(x) is Tensor and type(y) is Tensor:
        entry = x._backend.eager_cache.get(
            (op, (), (x._shape, x._dtype), (y._shape, y._dtype)))
        if entry is not None and y._backend is x._backend:
            return entry(x, y)
    x, y = coerce_pair(op.name, x, y, promote)
    return apply(op, (x, y))


def coerce_pair(where: str, x: Any, y: Any, promote: bool = True) -> tuple[Any, Any]:
    """Turn two operands into tensors of one dtype (scalars weakly typed)."""
    x, y = _unwrap(x), _unwrap(y)
    xt, yt = is_tensor(x), is_tensor(y)
    if not xt and not yt:
        x = convert_to_tensor(x, where=where)
        xt = True
    if xt and not yt:
        y = _as_partner(y, x, where)
    elif yt and not xt:
        x = _as_partner(x, y, where)
    if promote and x.dtype is not y.dtype:
        from ..shapes import broadcast_shapes
        from . import cast

        broadcast_shapes(where, x.shape, y.shape)  # shape errors before any kernel runs

        target = _dt.result_type(x.dtype, y.dtype)
        if x.dtype is not target:
            x = cast(x, target)
        if y.dtype is not target:
            y = cast(y, target)
    return x, y


def _as_partner(value: Any, partner: Any, where: str) -> Any:
    """Convert a non-tensor operand next to a tensor: Python scalars are weak."""
    if isinstance(value, _SCALARS) or (_is_numpy_array(value) and value.shape == ()
                                       and not hasattr(value, "__len__")):
        if not isinstance(value, _SCALARS):
            value = value.item()
        dtype = _dt.weak_result(partner.dtype, value)
        return scalar(value, dtype, partner)
    backend = None if is_symbolic(partner) else partner._backend
    return convert_to_tensor(value, backend=backend, where=where)


def scalar(value: bool | int | float, dtype: DType, like: Any = None) -> Tensor:
    """A 0-d tensor on the backend of ``like`` (or the current one)."""
    backend = like._backend if type(like) is Tensor else current()
    if dtype.kind in "iu":
        value = int(value)
        if not dtype.min <= value <= dtype.max:
            raise DTypeError(f"value {value} is out of bounds for {dtype}")
    elif dtype.kind == "f":
        value = float(value)
    else:
        value = bool(value)
    return wrap(backend.scalar(value, dtype), (), dtype, backend)
