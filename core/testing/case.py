"""The :class:`Case`: one declarative conformance check of one op.

A case says *what* to compute (an op or public function of ``tensorweave.ops`` with its
attributes), on *which* inputs (:class:`~tensorweave.testing.inputs.Arg` descriptors,
turned into identical tensors on both backends) and *how close* the backend must come to
the reference (the op's tolerance family, the reduction length ``n`` and, rarely, a
widening factor with its reason). The runner does the rest, so adding a case is one line.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .inputs import Arg, generate, seed_for

__all__ = ["Case", "case_values"]


@dataclass(frozen=True, eq=False)
class Case:
    """One check: ``fn(*lead, *tensors, *extra, **kwargs)`` on both backends.

    ``op`` is the row of the report the case counts for: an op name from
    ``tensorweave.ops.all_ops()`` or the name of a public function built from ops
    (``one_hot``, ``getitem``, ``linspace`` ...). ``fn`` is the name of a function in
    ``tensorweave.ops`` (default: ``op``) or a callable taking the tensors. With
    ``pack=True`` the tensors are passed as one list (``concatenate``, ``stack``).
    ``n`` is the reduction length used by the tolerance (terms summed per output
    element), ``scale`` the magnitude of one term (default: from the inputs), ``family``
    overrides the op's tolerance family and ``tol_factor`` widens the tolerance (say why
    in ``note``).
    """

    name: str
    op: str
    args: tuple[Arg, ...] = ()
    fn: str | Callable[..., Any] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    lead: tuple = ()
    extra: tuple = ()
    pack: bool = False
    n: int = 1
    scale: float | None = None
    family: str | None = None
    tol_factor: float = 1.0
    note: str = ""

    def function(self) -> Callable[..., Any]:
        if callable(self.fn):
            return self.fn
        from .. import ops

        name = self.fn or self.op
        try:
            return getattr(ops, name)
        except AttributeError:
            raise AttributeError(f"case {self.name}: tensorweave.ops has no function "
                                 f"{name!r}") from None

    def call(self, tensors: list) -> Any:
        f = self.function()
        if self.pack:
            return f(*self.lead, list(tensors), *self.extra, **self.kwargs)
        return f(*self.lead, *tensors, *self.extra, **self.kwargs)

    def describe(self) -> str:
        ins = ", ".join(a.describe() for a in self.args) or "no tensor inputs"
        attrs = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"{self.name}: ({ins})" + (f" {attrs}" if attrs else "")

    def with_args(self, *args: Arg, name: str | None = None) -> Case:
        return replace(self, args=tuple(args), name=name or self.name)


def case_values(case: Case) -> list[list]:
    """The row-major input values of a case (deterministic: seeded by its name)."""
    rng = random.Random(seed_for(case.name))
    out = []
    for arg in case.args:
        if arg.layout == "broadcast" and arg.shape and arg.values is None:
            # a zero-stride view repeats one row: generate a row, repeat it
            row_arg = replace(arg, shape=(1,) + tuple(arg.shape[1:]))
            row = generate(row_arg, rng)
            out.append(row * arg.shape[0])
        else:
            out.append(generate(arg, rng))
    return out


def default_scale(case: Case, values: list[list]) -> float:
    """The magnitude of one term of a reduction: the product, over float inputs, of the
    largest finite absolute value (1.0 when there is no float input)."""
    scale = 1.0
    seen = False
    for arg, vals in zip(case.args, values):
        if not arg.dtype.startswith(("float", "bfloat")):
            continue
        finite = [abs(v) for v in vals if math.isfinite(v)]
        if finite:
            scale *= max(finite)
            seen = True
    return scale if seen else 1.0
