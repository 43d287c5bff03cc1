"""Built-in constraints plugin: ``MaxNorm``, ``NonNeg``, ``UnitNorm``, ``MinMaxNorm``.

A constraint maps a weight tensor to its projection onto an allowed set; the optimizer
applies it after each update (``w <- constraint(w)``). It is written with
:mod:`tensorweave.ops` only, because it runs inside the traced, jitted training step on
every backend. Norms are taken over ``axis`` (Keras's default ``0``: for a Dense kernel of
shape ``(in, out)``, the vector of weights feeding each unit), and divided with Keras's
``epsilon = 1e-7`` guard so that a zero column stays zero instead of becoming NaN.

Names follow Keras 3: the classes and ``max_norm``, ``non_neg``, ``unit_norm``,
``min_max_norm``.
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, describe
from tensorweave.plugin import hookimpl

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm"]

#: Keras's ``backend.epsilon()``: keeps the division defined for all-zero weights.
EPSILON = 1e-7


def _tensor(x: Any) -> Any:
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x)
    return x if x.dtype.is_floating else ops.cast(x, "float32")


def _axis(where: str, axis: Any) -> int | tuple[int, ...]:
    if isinstance(axis, bool) or not isinstance(axis, (int, list, tuple)):
        raise InvalidArgumentError(describe(where, "axis", "an int or a list of ints",
                                            repr(axis)))
    if isinstance(axis, (list, tuple)):
        if not all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            raise InvalidArgumentError(describe(where, "axis", "an int or a list of ints",
                                                repr(axis)))
        return tuple(axis)
    return axis


def _number(where: str, arg: str, value: Any, low: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))
    value = float(value)
    if not math.isfinite(value) or value < low:
        raise InvalidArgumentError(describe(where, arg, f"a finite number >= {low}", value))
    return value


def _norms(w: Any, axis: Any) -> Any:
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: the identity projection; configs round-trip."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescale slices whose L2 norm over ``axis`` exceeds ``max_value`` down to it
    (Srivastava et al.'s max-norm, used with dropout)."""

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value = _number("MaxNorm", "max_value", max_value)
        self.axis = _axis("MaxNorm", axis)

    def __call__(self, w: Any) -> Any:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0.0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(norms, EPSILON)))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zero out negative weights."""

    def __call__(self, w: Any) -> Any:
        w = _tensor(w)
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), w.dtype))


class UnitNorm(Constraint):
    """Scale every slice over ``axis`` to unit L2 norm."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = _axis("UnitNorm", axis)

    def __call__(self, w: Any) -> Any:
        w = _tensor(w)
        return ops.divide(w, ops.add(_norms(w, self.axis), EPSILON))

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keep slice norms in ``[min_value, max_value]``; ``rate`` < 1 moves them only part
    of the way each step (``rate * clip(n) + (1 - rate) * n``), as Keras."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis: Any = 0) -> None:
        self.min_value = _number("MinMaxNorm", "min_value", min_value)
        self.max_value = _number("MinMaxNorm", "max_value", max_value)
        if self.max_value < self.min_value:
            raise InvalidArgumentError(describe("MinMaxNorm", "max_value",
                                                f"a value >= min_value ({self.min_value})",
                                                self.max_value))
        self.rate = _number("MinMaxNorm", "rate", rate)
        if self.rate > 1.0:
            raise InvalidArgumentError(describe("MinMaxNorm", "rate", "a value in [0, 1]",
                                                self.rate))
        self.axis = _axis("MinMaxNorm", axis)

    def __call__(self, w: Any) -> Any:
        w = _tensor(w)
        norms = _norms(w, self.axis)
        clipped = ops.clip(norms, self.min_value, self.max_value)
        desired = ops.add(ops.multiply(clipped, self.rate),
                          ops.multiply(norms, 1.0 - self.rate))
        return ops.multiply(w, ops.divide(desired, ops.add(norms, EPSILON)))

    def get_config(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


@hookimpl
def register_constraints(register: Any) -> None:
    """Register the built-in constraints under Keras 3's names and aliases."""
    register(Constraint)
    register(MaxNorm, aliases=("max_norm",))
    register(NonNeg, aliases=("non_neg",))
    register(UnitNorm, aliases=("unit_norm",))
    register(MinMaxNorm, aliases=("min_max_norm",))
