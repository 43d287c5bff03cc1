"""Variables: named, mutable holders of a tensor (layer weights, optimizer slots, seeds).

Ops accept a :class:`Variable` wherever they accept a tensor and read its current value.
Tracing a training step must not bake the values in: inside :func:`substitute`, reading
``var.value`` returns the tensor given for that variable (a symbolic input of the traced
graph), the idea behind Keras 3's ``StatelessScope``. After the compiled step runs, the
trainer writes the new values back with :meth:`Variable.assign`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from . import dtypes as _dt
from .errors import ShapeError
from .tensor import TensorBase

__all__ = ["Variable", "substitute", "current_substitution", "StatelessScope"]

_subst: ContextVar[Any] = ContextVar("tw_var_subst", default=None)
_reads: ContextVar[list | None] = ContextVar("tw_var_reads", default=None)
# Set by the graph tracer: while tracing, reading a variable records a variable node.
_trace_hook: ContextVar[Any] = ContextVar("tw_var_trace", default=None)
# Set by a layer running under a mixed-precision policy: float variables read as this dtype.
_autocast: ContextVar[Any] = ContextVar("tw_autocast", default=None)
_counter = itertools.count()


class Variable(TensorBase):
    """A mutable tensor with a name; ``trainable`` ones get gradients in ``fit``."""

    __slots__ = ("_value", "name", "trainable", "_uid", "aggregation", "constraint",
                 "__weakref__", "path")

    def __init__(self, initializer: Any, shape: Any = None, dtype: Any = None,
                 trainable: bool = True, name: str | None = None) -> None:
        from .ops import convert_to_tensor

        if callable(initializer) and not isinstance(initializer, TensorBase):
            value = initializer(shape, dtype=dtype or _dt.float32)
        else:
            value = initializer
        value = convert_to_tensor(value, dtype)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ShapeError(f"Variable {name!r}: initial value has shape {value.shape}, "
                             f"expected {tuple(shape)}")
        self._value = value
        self.name = name or f"variable_{next(_counter)}"
        self.path = self.name
        self.trainable = bool(trainable)
        self._uid = next(_counter)
        self.constraint = None

    # ---- value -----------------------------------------------------------------------
    @property
    def value(self) -> Any:
        out = self._read()
        cast_to = _autocast.get()
        if cast_to is not None and out.dtype is not cast_to and out.dtype.is_floating:
            from .ops import cast

            out = cast(out, cast_to)
        return out

    def _read(self) -> Any:
        sub = _subst.get()
        if sub is not None:
            found = sub.get(id(self))
            if found is not None:
                return found
        hook = _trace_hook.get()
        if hook is not None:
            return hook(self)
        reads = _reads.get()
        if reads is not None:
            reads.append(self)
        return self._value

    def _tw_tensor(self) -> Any:
        return self.value

    def assign(self, value: Any) -> Variable:
        from .ops import cast, convert_to_tensor, is_symbolic

        scope = _subst.get()
        if isinstance(scope, StatelessScope):
            scope.record(self, value)
            return self
        if _trace_hook.get() is not None:
            from .errors import TracingError

            raise TracingError(f"Variable {self.name!r}: cannot assign inside a traced "
                               "function (tw.jit / tw.grad): the assignment would happen once, "
                               "at trace time; return the new value and assign it outside")
        if is_symbolic(value):
            from .errors import TracingError

            raise TracingError(f"Variable {self.name!r}: cannot assign a symbolic tensor; "
                            "return new values from the traced function instead")
        value = convert_to_tensor(value, backend=self._value._backend)
        if value.dtype is not self._value.dtype:
            value = cast(value, self._value.dtype)
        if tuple(value.shape) != tuple(self._value.shape):
            raise ShapeError(f"Variable {self.name!r}: cannot assign shape {value.shape} to "
                             f"a variable of shape {self._value.shape}")
        self._value = value
        return self

    def assign_add(self, delta: Any) -> Variable:
        from .ops import add

        return self.assign(add(self._read(), delta))

    def assign_sub(self, delta: Any) -> Variable:
        from .ops import subtract

        return self.assign(subtract(self._read(), delta))

    # ---- metadata ---------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self._value.shape

    @property
    def dtype(self) -> Any:
        """The dtype a read gives: inside an autocast scope (a mixed-precision layer's
        call) a float variable reads as the compute dtype, so ops that look at dtypes
        before reading (promotion, matmul's check) see what they will get (Keras 3)."""
        dtype = self._value.dtype
        cast_to = _autocast.get()
        if cast_to is not None and dtype.is_floating:
            return cast_to
        return dtype

    @property
    def stored_dtype(self) -> Any:
        """The dtype the value is kept in, whatever autocast scope is active."""
        return self._value.dtype

    def numpy(self) -> Any:
        return self._value.numpy()

    def tolist(self) -> Any:
        return self._value.tolist()

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return self._value.__array__(dtype)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)

    def __repr__(self) -> str:
        return f"<Variable {self.name!r} shape={self.shape} dtype={self.dtype}>"


class StatelessScope(dict):
    """Variables read as given values, and assignments recorded instead of applied.

    This is how a training step is traced: every variable the step touches maps to a graph
    input, ``assign`` inside the step (optimizer updates, BatchNorm statistics, metric
    totals) records the new value, and the trainer returns those values from the compiled
    step and writes them back afterwards (Keras 3's ``StatelessScope`` idea).
    """

    def __init__(self, mapping: Mapping[Variable, Any] = ()) -> None:  # type: ignore[assignment]
        super().__init__()
        self.variables: dict[int, Variable] = {}
        self.assigned: dict[int, Variable] = {}
        for var, value in dict(mapping).items():
            self[id(var)] = value
            self.variables[id(var)] = var

    def record(self, var: Variable, value: Any) -> None:
        from .ops import cast, convert_to_tensor, is_tensor

        if isinstance(value, Variable):  # store its value, never the variable itself
            value = value.value
        dtype = var.stored_dtype
        if not is_tensor(value):
            value = convert_to_tensor(value, dtype)
        if value.dtype is not dtype:
            value = cast(value, dtype)
        if tuple(value.shape) != tuple(var.shape):
            raise ShapeError(f"Variable {var.name!r}: cannot assign shape {tuple(value.shape)} "
                             f"to a variable of shape {tuple(var.shape)}")
        self[id(var)] = value
        self.variables[id(var)] = var
        self.assigned[id(var)] = var

    def value_of(self, var: Variable) -> Any:  # noqa: D102
        return self.get(id(var), var._value)

    def __enter__(self) -> StatelessScope:
        self._token = _subst.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _subst.reset(self._token)


@contextlib.contextmanager
def substitute(mapping: Mapping[Variable, Any]) -> Iterator[None]:
    """Inside the block, ``var.value`` returns ``mapping[var]`` (used when tracing)."""
    ids = {id(v): t for v, t in mapping.items()}
    prev = _subst.get()
    merged = {**prev, **ids} if prev else ids
    token = _subst.set(merged)  # a plain dict: reads only
    try:
        yield
    finally:
        _subst.reset(token)


def current_substitution() -> Mapping[int, Any] | None:
    return _subst.get()


@contextlib.contextmanager
def record_reads() -> Iterator[list]:
    """Collect the variables whose value is read inside the block (not substituted ones)."""
    reads: list = []
    token = _reads.set(reads)
    try:
        yield reads
    finally:
        _reads.reset(token)


@contextlib.contextmanager
def autocast(dtype: Any) -> Iterator[None]:
    """Float variables read inside the block come out as ``dtype`` (mixed precision)."""
    token = _autocast.set(dtype)
    try:
        yield
    finally:
        _autocast.reset(token)
