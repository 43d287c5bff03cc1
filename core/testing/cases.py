"""The conformance cases: every op of ``tensorweave.ops.all_ops()`` and the public
functions built from them, over shapes, dtypes, layouts and attributes.

The catalog lives in the ``catalog_*`` modules, one per op family; each fills a
:class:`CaseList` with one-line declarations such as::

    cl.add("add", "float32/bcast_row", A((3, 4)), A((4,)))
    cl.add("conv", "2d/same/stride2", A((1, 5, 5, 2)), A((3, 3, 2, 3)),
           fn="conv2d", kwargs={"strides": 2, "padding": "same"}, n=18)

What the cases avoid, on purpose (``docs/kernels.md`` leaves it undefined): shift counts
at or beyond the bit width, float-to-int casts of NaN, infinities or out-of-range values,
negative integer powers, ``INT_MIN // -1``, NaN inside ``argmax``/``argsort`` and
``-0.0`` next to ``0.0`` in sorts. Everything else that has a defined answer (NaN from
``log`` of negatives, wrap-around of integer overflow, division by zero) is tested.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .case import Case
from .inputs import Arg

__all__ = ["A", "CaseList", "all_cases", "cases_for", "FLOATS", "SINTS", "UINTS", "INTS",
           "ALL_DTYPES", "NUMERIC"]

FLOATS = ("float16", "bfloat16", "float32", "float64")
SINTS = ("int8", "int16", "int32", "int64")
UINTS = ("uint8", "uint16", "uint32", "uint64")
INTS = SINTS + UINTS
NUMERIC = INTS + FLOATS
ALL_DTYPES = ("bool",) + NUMERIC


def A(shape: Any = (3, 4), dtype: str = "float32", gen: str = "uniform",
      low: float | None = None, high: float | None = None, values: Any = None,
      layout: str = "contiguous") -> Arg:
    """Shorthand for :class:`~tensorweave.testing.inputs.Arg`."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Arg(shape, dtype, gen, low, high, None if values is None else tuple(values),
               layout)


class CaseList:
    """Collects cases; names (``op/variant``) must be unique."""

    def __init__(self) -> None:
        self.items: list[Case] = []
        self._names: set[str] = set()

    def add(self, op: str, variant: str, *args: Arg, **kw: Any) -> None:
        name = f"{op}/{variant}"
        if name in self._names:
            raise ValueError(f"duplicate conformance case name {name!r}")
        self._names.add(name)
        self.items.append(Case(name, op, tuple(args), **kw))


@lru_cache(maxsize=1)
def _catalog() -> tuple[Case, ...]:
    from . import (
        catalog_creation,
        catalog_elementwise,
        catalog_indexing,
        catalog_linalg_nn,
        catalog_random,
        catalog_reduction,
        catalog_shape,
    )

    cl = CaseList()
    for mod in (catalog_elementwise, catalog_reduction, catalog_shape, catalog_indexing,
                catalog_creation, catalog_linalg_nn, catalog_random):
        mod.build(cl)
    return tuple(cl.items)


def all_cases() -> list[Case]:
    """Every conformance case, in a stable order."""
    return list(_catalog())


def cases_for(op: str) -> list[Case]:
    """The cases that count for one op or public function."""
    return [c for c in _catalog() if c.op == op]
