"""Data types and the single source of type promotion for every backend.

No NumPy here: the pure-Python backend must run without it. Backends map these
:class:`DType` objects to their own.

Promotion rules (written once, used by every op and every backend)
-----------------------------------------------------------------
* Two arrays of one kind promote within the kind to the wider type, as in NumPy 2:
  ``int8 + int32 -> int32``, ``float16 + float32 -> float32``,
  ``float16 + bfloat16 -> float32``.
* ``bool`` joins any other type as that type.
* Signed and unsigned integers meet in the smallest signed type holding both
  (``uint8 + int8 -> int16``, ``uint32 + int32 -> int64``); ``uint64`` with a signed type
  gives ``float64`` (as NumPy).
* Integer with float gives the float type (as JAX and Keras 3: ``int32 + float16 ->
  float16``), never a silent ``float64``.
* Python scalars are *weak* (NumPy 2 / array API): ``x + 1`` and ``x * 0.5`` keep the
  dtype of ``x`` when its kind can hold the scalar's kind; a float scalar with an integer
  or boolean array gives the default float (``float32``); an int scalar with a bool array
  gives the default int (``int32``). An int scalar that does not fit the array's integer
  type is an error, as in NumPy 2.
* Defaults: Python floats become ``float32`` and Python ints ``int32`` (Keras 3).
"""

from __future__ import annotations

from typing import Any

from .errors import DTypeError

__all__ = [
    "DType", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "bfloat16", "float32", "float64", "ALL", "FLOATS", "INTEGERS",
    "result_type", "canonicalize", "default_float", "default_int", "is_float", "is_int",
    "weak_result",
]


class DType:
    """A dtype: a name, a kind (``b`` bool, ``i`` signed, ``u`` unsigned, ``f`` float) and
    a bit width. Instances are singletons, so ``is`` and ``==`` agree."""

    __slots__ = ("name", "kind", "bits", "itemsize", "_rank")

    def __init__(self, name: str, kind: str, bits: int, rank: int) -> None:
        self.name = name
        self.kind = kind
        self.bits = bits
        self.itemsize = max(1, bits // 8)
        self._rank = rank

    def __repr__(self) -> str:
        return self.name

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self is other
        if isinstance(other, str):
            return _BY_NAME.get(other) is self
        name = getattr(other, "name", None)  # numpy dtypes and scalar types
        if name is None:
            name = getattr(other, "__name__", None)
        return isinstance(name, str) and _BY_NAME.get(name) is self

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> Any:  # copy/deepcopy keep the singleton
        return (canonicalize, (self.name,))

    @property
    def is_floating(self) -> bool:
        return self.kind == "f"

    @property
    def is_integer(self) -> bool:
        return self.kind in "iu"

    @property
    def is_bool(self) -> bool:
        return self.kind == "b"

    @property
    def min(self) -> int | float:
        """Smallest finite value (for integers) or -inf (for floats)."""
        if self.kind == "i":
            return -(1 << (self.bits - 1))
        if self.kind == "u" or self.kind == "b":
            return 0
        return float("-inf")

    @property
    def max(self) -> int | float:
        if self.kind == "i":
            return (1 << (self.bits - 1)) - 1
        if self.kind == "u":
            return (1 << self.bits) - 1
        if self.kind == "b":
            return 1
        return float("inf")


bool_ = DType("bool", "b", 8, 0)
int8 = DType("int8", "i", 8, 1)
int16 = DType("int16", "i", 16, 2)
int32 = DType("int32", "i", 32, 3)
int64 = DType("int64", "i", 64, 4)
uint8 = DType("uint8", "u", 8, 1)
uint16 = DType("uint16", "u", 16, 2)
uint32 = DType("uint32", "u", 32, 3)
uint64 = DType("uint64", "u", 64, 4)
float16 = DType("float16", "f", 16, 1)
bfloat16 = DType("bfloat16", "f", 16, 1)
float32 = DType("float32", "f", 32, 2)
float64 = DType("float64", "f", 64, 3)

ALL: tuple[DType, ...] = (
    bool_, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
    float16, bfloat16, float32, float64,
)
FLOATS: tuple[DType, ...] = (float16, bfloat16, float32, float64)
INTEGERS: tuple[DType, ...] = (int8, int16, int32, int64, uint8, uint16, uint32, uint64)

_BY_NAME: dict[str, DType] = {d.name: d for d in ALL}
_BY_NAME.update({"bool_": bool_, "bool8": bool_, "float": float32, "int": int32,
                 "half": float16, "single": float32, "double": float64})
_SIGNED_BY_BITS = {8: int8, 16: int16, 32: int32, 64: int64}
_FLOAT_BY_RANK = {1: float16, 2: float32, 3: float64}


def default_float() -> DType:
    return float32


def default_int() -> DType:
    return int32


def is_float(d: DType) -> bool:
    return d.kind == "f"


def is_int(d: DType) -> bool:
    return d.kind in "iu"


def canonicalize(dtype: Any) -> DType:
    """Turn a name, a NumPy dtype, a Python type or a :class:`DType` into a :class:`DType`."""
    if isinstance(dtype, DType):
        return dtype
    if dtype is None:
        return float32
    if dtype is float:
        return float32
    if dtype is int:
        return int32
    if dtype is bool:
        return bool_
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
    if name is None:
        name = getattr(dtype, "__name__", None)
    if isinstance(name, str):
        found = _BY_NAME.get(name)
        if found is not None:
            return found
    raise DTypeError(
        f"unknown dtype {dtype!r}; expected one of {', '.join(d.name for d in ALL)}"
    )


def _promote_pair(a: DType, b: DType) -> DType:
    if a is b:
        return a
    if a.kind == "b":
        return b
    if b.kind == "b":
        return a
    if a.kind == "f" or b.kind == "f":
        if a.kind != "f":
            return b
        if b.kind != "f":
            return a
        if {a, b} == {float16, bfloat16}:
            return float32
        return a if a._rank >= b._rank else b
    if a.kind == b.kind:
        return a if a.bits >= b.bits else b
    signed, unsigned = (a, b) if a.kind == "i" else (b, a)
    if unsigned.bits < signed.bits:
        return signed
    if unsigned.bits == 64:
        return float64
    return _SIGNED_BY_BITS[unsigned.bits * 2]


_TABLE: dict[tuple[DType, DType], DType] = {(a, b): _promote_pair(a, b) for a in ALL for b in ALL}


def result_type(*dtypes: DType) -> DType:
    """Promote array dtypes (not Python scalars) pairwise with the table above."""
    out = dtypes[0]
    for d in dtypes[1:]:
        out = _TABLE[out, d]
    return out


def weak_result(array_dtype: DType, scalar: bool | int | float) -> DType:
    """Result dtype of an array of ``array_dtype`` meeting a Python scalar (weak typing)."""
    if isinstance(scalar, bool):
        return array_dtype
    if isinstance(scalar, int):
        if array_dtype.kind == "b":
            return int32
        if array_dtype.kind in "iu" and not (array_dtype.min <= scalar <= array_dtype.max):
            raise DTypeError(
                f"Python int {scalar} is out of bounds for {array_dtype.name}; "
                f"cast the array first (e.g. to int64 or float32)"
            )
        return array_dtype
    if isinstance(scalar, float):
        return array_dtype if array_dtype.kind == "f" else float32
    raise DTypeError(f"expected a Python bool, int or float, got {type(scalar).__name__}")


def scalar_dtype(value: bool | int | float) -> DType:
    """Dtype a lone Python scalar gets when it becomes a tensor."""
    if isinstance(value, bool):
        return bool_
    if isinstance(value, int):
        return int32 if -(2**31) <= value < 2**31 else int64
    return float32
