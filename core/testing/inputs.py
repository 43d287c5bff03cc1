"""Deterministic case inputs, built without NumPy, and tensors made from them.

Every input of a case is described by an :class:`Arg` (shape, dtype, which values, and
the memory layout to use where a backend has strided arrays). Values come from Python's
``random.Random`` seeded by the case name, so they are the same on every machine and in
every process, and are rounded in Python to the input dtype *before* any backend sees
them: the reference and the backend under test start from bit-identical inputs.

Layouts matter because fast backends have code paths for non-contiguous arrays that a
contiguous input never reaches. ``"transposed"``, ``"strided"`` (every other element),
``"offset"`` (a view that starts one element in) and ``"broadcast"`` (a zero-stride,
read-only view) are built from the backend's own array with its own view operations
(``.transpose()``, slicing, ``broadcast_to``); a backend whose arrays have no strides
(the ``python`` reference) simply gets the contiguous tensor with the same values.
"""

from __future__ import annotations

import math
import random
import struct
import sys
import zlib
from dataclasses import dataclass
from typing import Any

from .. import dtypes as _dt
from ..dtypes import DType

__all__ = ["Arg", "GENERATORS", "LAYOUTS", "seed_for", "generate", "round_value",
           "make_tensor", "nest", "flat_values"]

LAYOUTS = ("contiguous", "transposed", "strided", "offset", "broadcast")


@dataclass(frozen=True)
class Arg:
    """One tensor input of a case.

    ``gen`` names a generator in :data:`GENERATORS`; ``low``/``high`` bound the values it
    draws (defaults depend on the generator and dtype); ``values`` gives the row-major
    values explicitly instead (they are still rounded to ``dtype``). ``layout`` is one of
    :data:`LAYOUTS`.
    """

    shape: tuple[int, ...]
    dtype: str = "float32"
    gen: str = "uniform"
    low: float | None = None
    high: float | None = None
    values: tuple | None = None
    layout: str = "contiguous"

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def describe(self) -> str:
        extra = "" if self.layout == "contiguous" else f" {self.layout}"
        return f"{self.dtype}{list(self.shape)}{extra}"


def seed_for(name: str) -> int:
    """A stable seed from a case name (``hash()`` is salted per process; CRC32 is not)."""
    return zlib.crc32(name.encode("utf-8"))


# ---- rounding Python floats to a dtype ------------------------------------------------------
def _round_f32(v: float) -> float:
    try:
        return struct.unpack("<f", struct.pack("<f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def _round_f16(v: float) -> float:
    try:
        return struct.unpack("<e", struct.pack("<e", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def _round_bf16(v: float) -> float:
    f = _round_f32(v)
    if math.isnan(f) or math.isinf(f):
        return f
    (u,) = struct.unpack("<I", struct.pack("<f", f))
    u = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000) & 0xFFFFFFFF
    return struct.unpack("<f", struct.pack("<I", u))[0]


def _wrap_int(v: int, dtype: DType) -> int:
    bits = dtype.bits
    v &= (1 << bits) - 1
    if dtype.kind == "i" and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


def round_value(v: Any, dtype: DType) -> bool | int | float:
    """``v`` as a value of ``dtype``: floats rounded to nearest even, ints wrapped."""
    if dtype.kind == "b":
        return bool(v)
    if dtype.kind in "iu":
        return _wrap_int(int(v), dtype)
    v = float(v)
    if dtype is _dt.float64 or math.isnan(v) or math.isinf(v):
        return v
    if dtype is _dt.float32:
        return _round_f32(v)
    if dtype is _dt.float16:
        return _round_f16(v)
    return _round_bf16(v)


# ---- generators -------------------------------------------------------------------------------
_SPECIAL_FLOATS = (math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0)


def _int_bounds(dtype: DType, low: float | None, high: float | None,
                lo_default: int, hi_default: int) -> tuple[int, int]:
    lo = lo_default if low is None else int(low)
    hi = hi_default if high is None else int(high)
    return max(lo, int(dtype.min)), min(hi, int(dtype.max))


def _gen_uniform(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Floats uniform in [low, high] (default [-3, 3]); ints in [-20, 20] (unsigned
    [0, 40]); bools fair coins."""
    if dtype.kind == "b":
        return [rng.random() < 0.5 for _ in range(n)]
    if dtype.kind in "iu":
        lo, hi = _int_bounds(dtype, low, high, -20 if dtype.kind == "i" else 0,
                             20 if dtype.kind == "i" else 40)
        return [rng.randint(lo, hi) for _ in range(n)]
    flo = -3.0 if low is None else float(low)
    fhi = 3.0 if high is None else float(high)
    return [rng.uniform(flo, fhi) for _ in range(n)]


def _gen_positive(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Strictly positive values: floats in [0.1, 3], ints in [1, 9]."""
    if dtype.kind == "b":
        return [True] * n
    if dtype.kind in "iu":
        lo, hi = _int_bounds(dtype, low, high, 1, 9)
        return [rng.randint(lo, hi) for _ in range(n)]
    flo = 0.1 if low is None else float(low)
    fhi = 3.0 if high is None else float(high)
    return [rng.uniform(flo, fhi) for _ in range(n)]


def _gen_special(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Edge values first (NaN, +-inf, +-0, ... for floats; min, max, 0, -1 for ints),
    then uniform ones, shuffled deterministically."""
    if dtype.kind == "b":
        return [bool(i % 2) for i in range(n)]
    if dtype.kind in "iu":
        edges = [int(dtype.min), int(dtype.max), 0, 1]
        if dtype.kind == "i":
            edges += [-1, int(dtype.min) + 1]
        base = edges + _gen_uniform(rng, max(n - len(edges), 0), dtype, low, high)
    else:
        base = list(_SPECIAL_FLOATS) + _gen_uniform(rng, max(n - len(_SPECIAL_FLOATS), 0),
                                                    dtype, low, high)
    base = base[:n]
    rng.shuffle(base)
    return base


def _gen_full_range(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Integers anywhere in the dtype's range (for wrap-around); floats as uniform."""
    if dtype.kind in "iu":
        return [rng.randint(int(dtype.min), int(dtype.max)) for _ in range(n)]
    return _gen_uniform(rng, n, dtype, low, high)


def _gen_ties(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Few distinct values (0..3, or -1.5..1.5 in halves) so that ties are frequent."""
    if dtype.kind == "b":
        return [rng.random() < 0.5 for _ in range(n)]
    if dtype.kind in "iu":
        return [rng.randint(0, 3) for _ in range(n)]
    return [rng.randint(-3, 3) * 0.5 for _ in range(n)]


def _gen_distinct(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Distinct values, exactly representable in every dtype (a shuffled grid)."""
    if dtype.kind == "b":
        return [bool(i % 2) for i in range(n)]
    if dtype.kind in "iu":
        start = 0 if dtype.kind == "u" else -(n // 2)
        vals: list[Any] = list(range(start, start + n))
    else:
        vals = [(i - n // 2) * 0.25 for i in range(n)]
    rng.shuffle(vals)
    return vals


def _gen_halves(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Multiples of 0.5 in [-5, 5] (ties for round-half-to-even), plus near misses."""
    out = []
    for _ in range(n):
        k = rng.randint(-10, 10) * 0.5
        if rng.random() < 0.25:
            k += rng.choice((-0.125, 0.125))
        out.append(k)
    return out


def _gen_indices(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """Integers in [low, high] (inclusive), e.g. valid (and negative) indices."""
    lo = 0 if low is None else int(low)
    hi = 1 if high is None else int(high)
    return [rng.randint(lo, hi) for _ in range(n)]


def _gen_arange(rng: random.Random, n: int, dtype: DType, low: Any, high: Any) -> list:
    """0, 1, 2, ... (readable data for shape ops)."""
    start = 0 if low is None else int(low)
    if dtype.kind == "b":
        return [bool(i % 3) for i in range(n)]
    return [start + i for i in range(n)]


GENERATORS = {
    "uniform": _gen_uniform,
    "positive": _gen_positive,
    "special": _gen_special,
    "full_range": _gen_full_range,
    "ties": _gen_ties,
    "distinct": _gen_distinct,
    "halves": _gen_halves,
    "indices": _gen_indices,
    "arange": _gen_arange,
}


def generate(arg: Arg, rng: random.Random) -> list:
    """Row-major values of ``arg``, already rounded to its dtype."""
    dtype = _dt.canonicalize(arg.dtype)
    n = arg.size
    if arg.values is not None:
        raw = list(arg.values)
        if len(raw) != n:
            raise ValueError(f"Arg values: {len(raw)} values for shape {arg.shape}")
    else:
        try:
            gen = GENERATORS[arg.gen]
        except KeyError:
            raise ValueError(f"unknown generator {arg.gen!r}; expected one of "
                             f"{', '.join(GENERATORS)}") from None
        raw = gen(rng, n, dtype, arg.low, arg.high)
    return [round_value(v, dtype) for v in raw]


# ---- nesting and layouts ----------------------------------------------------------------------
def nest(flat: list, shape: tuple[int, ...]) -> Any:
    """Row-major values as nested lists of ``shape`` (a bare scalar for shape ``()``)."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = len(flat) // shape[0] if shape[0] else 0
    return [nest(flat[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def _strides(shape: tuple[int, ...]) -> list[int]:
    out = [1] * len(shape)
    acc = 1
    for i in range(len(shape) - 1, -1, -1):
        out[i] = acc
        acc *= shape[i]
    return out


def _index_iter(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    idx: list[tuple[int, ...]] = [()]
    for d in shape:
        idx = [i + (k,) for i in idx for k in range(d)]
    return idx


def _transpose_values(flat: list, shape: tuple[int, ...]) -> list:
    """Values of ``x.T`` (all axes reversed) for row-major ``flat`` of ``shape``."""
    st = _strides(shape)
    rshape = tuple(reversed(shape))
    return [flat[sum(i * s for i, s in zip(reversed(idx), st))] for idx in _index_iter(rshape)]


def _filler(dtype: DType) -> Any:
    """A value that must never show up in a result (it sits in the gaps of a view)."""
    if dtype.kind == "b":
        return True
    if dtype.kind in "iu":
        return int(dtype.max)
    return math.nan


def _wrap(data: Any, shape: tuple, dtype: DType, be: Any) -> Any:
    from ..ops._dispatch import wrap

    return wrap(data, tuple(shape), dtype, be)


def _array_module(data: Any) -> Any:
    root = type(data).__module__.split(".")[0]
    return sys.modules.get(root)


def _tensor_from_flat(flat: list, shape: tuple[int, ...], dtype: DType, be: Any) -> Any:
    from ..ops import convert_to_tensor

    if 0 in shape:  # nested lists cannot say (0, 3): go through the backend directly
        return _wrap(be.from_flat([], tuple(shape), dtype), shape, dtype, be)
    return convert_to_tensor(nest(flat, shape), dtype, backend=be)


def make_tensor(arg: Arg, flat: list, backend: Any) -> Any:
    """A tensor of ``arg``'s shape and dtype holding ``flat`` on ``backend`` (a name or a
    Backend), laid out as ``arg.layout`` when the backend's arrays are strided."""
    from ..backend_registry import get_backend

    be = get_backend(backend)
    dtype = _dt.canonicalize(arg.dtype)
    shape = tuple(arg.shape)
    layout = arg.layout
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    if layout == "contiguous" or 0 in shape or not shape:
        return _tensor_from_flat(flat, shape, dtype, be)
    probe = _tensor_from_flat(flat[:1], (1,), dtype, be)._data
    if not (hasattr(probe, "strides") and hasattr(probe, "transpose")):
        return _tensor_from_flat(flat, shape, dtype, be)  # no views on this backend
    try:
        view = _make_view(layout, flat, shape, dtype, be)
    except Exception:  # a backend whose arrays look strided but cannot do this view
        return _tensor_from_flat(flat, shape, dtype, be)
    return _wrap(view, shape, dtype, be)


def _make_view(layout: str, flat: list, shape: tuple, dtype: DType, be: Any) -> Any:
    if layout == "transposed":
        base_shape = tuple(reversed(shape))
        base = _tensor_from_flat(_transpose_values(flat, shape), base_shape, dtype, be)._data
        return base.transpose()
    if layout in ("strided", "offset"):
        # strided: the last axis doubled, real values at even positions;
        # offset: one extra leading element along axis 0 (a view not at the buffer start)
        if layout == "strided":
            base_shape = tuple(shape[:-1]) + (2 * shape[-1],)
            fill = _filler(dtype)
            base_flat: list = []
            for k in range(len(flat)):
                base_flat += [flat[k], fill]
            base = _tensor_from_flat(base_flat, base_shape, dtype, be)._data
            return base[(slice(None),) * (len(shape) - 1) + (slice(None, None, 2),)]
        row = math.prod(shape[1:])
        base_shape = (shape[0] + 1,) + tuple(shape[1:])
        base = _tensor_from_flat([_filler(dtype)] * row + list(flat), base_shape, dtype,
                                 be)._data
        return base[1:]
    # broadcast: only valid when every row along axis 0 is equal; case_values()
    # arranges that by generating one row and repeating it
    row = math.prod(shape[1:])
    base = _tensor_from_flat(flat[:row], (1,) + tuple(shape[1:]), dtype, be)._data
    xp = _array_module(base)
    return xp.broadcast_to(base, shape)


def flat_values(t: Any) -> list:
    """Row-major Python values of a concrete tensor, straight from its backend."""
    return t._backend.to_list(t._data, t._dtype)
