"""Built-in regularizers plugin: ``L1``, ``L2``, ``L1L2`` and ``OrthogonalRegularizer``.

A regularizer maps a weight tensor to a scalar penalty that the trainer adds to the loss.
It is written with :mod:`tensorweave.ops` only, because it runs inside the traced,
differentiated training step: the penalty's gradient comes from the ops' own rules, on
every backend. The coefficients are plain Python floats kept in ``get_config`` so a saved
model rebuilds the same penalty (Keras's config keys: ``l1``, ``l2``, ``factor``, ``mode``).

Names follow Keras 3: the classes, plus the aliases ``l1``, ``l2``, ``l1_l2`` and
``orthogonal_regularizer``. ``tw.regularizers.get("l2")`` returns ``L2()`` (``l2=0.01``).
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe
from tensorweave.plugin import hookimpl

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer"]


def _coefficient(where: str, arg: str, value: Any) -> float:
    """A non-negative, finite Python float (``None`` means 0, as Keras's ``L1L2``)."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a non-negative Python float",
                                            repr(value)))
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise InvalidArgumentError(describe(where, arg, "a non-negative finite float", value))
    return value


def _tensor(x: Any) -> Any:
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x)
    return x if x.dtype.is_floating else ops.cast(x, "float32")


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty; configs round-trip."""

    def __call__(self, x: Any) -> Any:
        return ops.convert_to_tensor(0.0)

    def get_config(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and \
            other.get_config() == self.get_config()  # type: ignore[attr-defined]

    __hash__ = object.__hash__


class L1(Regularizer):
    """``l1 * sum(|x|)``: drives weights to exactly zero (sparse models)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _coefficient("L1", "l1", l1)

    def __call__(self, x: Any) -> Any:
        return ops.multiply(ops.sum(ops.abs(_tensor(x))), self.l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x**2)`` (weight decay folded into the loss)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _coefficient("L2", "l2", l2)

    def __call__(self, x: Any) -> Any:
        return ops.multiply(ops.sum(ops.square(_tensor(x))), self.l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)``; both default to 0 as in Keras 3."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _coefficient("L1L2", "l1", l1)
        self.l2 = _coefficient("L1L2", "l2", l2)

    def __call__(self, x: Any) -> Any:
        x = _tensor(x)
        # zero terms are left out of the graph entirely (the coefficients are static)
        total = ops.zeros((), dtype=x.dtype)
        if self.l1:
            total = ops.add(total, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            total = ops.add(total, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return total

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns of a 2-d kernel towards orthogonality:
    ``factor * 0.5 * sum(|offdiag(N N^T)|) / (n (n - 1) / 2)`` with ``N`` the
    L2-normalised rows (columns), as Keras 3 (each pair appears twice in the sum, hence
    the 0.5: the mean absolute cosine over the pairs)."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = _coefficient("OrthogonalRegularizer", "factor", factor)
        if mode not in ("rows", "columns"):
            raise InvalidArgumentError(describe("OrthogonalRegularizer", "mode",
                                                "'rows' or 'columns'", repr(mode)))
        self.mode = mode

    def __call__(self, x: Any) -> Any:
        x = _tensor(x)
        if len(x.shape) != 2:
            raise ShapeError(describe("OrthogonalRegularizer", "x", "a 2-d kernel",
                                      f"shape {tuple(x.shape)}"))
        if self.mode == "columns":
            x = ops.transpose(x)
        n = x.shape[0]
        if n is None or n < 2:
            return ops.zeros((), dtype=x.dtype)
        sq = ops.sum(ops.square(x), axis=1, keepdims=True)
        xn = ops.divide(x, ops.sqrt(ops.maximum(sq, 1e-14)))
        prod = ops.matmul(xn, ops.transpose(xn))
        off = ops.multiply(prod, ops.subtract(1.0, ops.eye(n, dtype=x.dtype)))
        size = n * (n - 1) / 2.0
        return ops.multiply(ops.sum(ops.abs(off)), 0.5 * self.factor / size)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


@hookimpl
def register_regularizers(register: Any) -> None:
    """Register the built-in regularizers under Keras 3's names and aliases."""
    register(Regularizer)
    register(L1, aliases=("l1",))
    register(L2, aliases=("l2",))
    register(L1L2, aliases=("l1_l2",))
    register(OrthogonalRegularizer, aliases=("orthogonal_regularizer",))
