"""The metric base class and the reduction metrics (``Mean``, ``Sum``, ``MeanMetricWrapper``).

A metric is state plus two pure functions of it. The state lives in
:class:`tensorweave.variables.Variable` objects made by :meth:`Metric.add_variable`, and
:meth:`Metric.update_state` changes it **only** through ``var.assign`` / ``assign_add``
with values computed by :mod:`tensorweave.ops`, deciding on static shapes only. That is
what lets the trainer run ``update_state`` inside a traced, jitted step under a
:class:`~tensorweave.variables.StatelessScope`: variables read as graph inputs,
assignments are recorded and returned, and the same code runs eagerly too. The
``stateless_*`` methods (Keras 3's names) package that pattern for callers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from tensorweave import dtypes as _dt
from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError, describe
from tensorweave.plugins.losses._utils import (
    as_float,
    divide_no_nan,
    squeeze_or_expand_to_same_rank,
)
from tensorweave.variables import StatelessScope, Variable

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "reduce_to_samplewise_values"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class Metric:
    """Base class of stateful metrics (Keras 3 API).

    Subclasses create their state in ``__init__`` with :meth:`add_variable` and implement
    :meth:`update_state` and :meth:`result`. ``metric(y_true, y_pred)`` updates and
    returns the result. :meth:`reset_state` restores every variable to its initial value.
    """

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentError(describe(type(self).__name__, "name", "a string or None",
                                                repr(name)))
        self.name = name or _snake(type(self).__name__)
        self._dtype = _dt.default_float() if dtype is None else _dt.canonicalize(dtype)
        self._variables: list[Variable] = []
        self._initial_values: list[Any] = []

    # ---- state -----------------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self._dtype.name

    @property
    def variables(self) -> list[Variable]:
        """The state variables, in creation order (the order the stateless methods use)."""
        return list(self._variables)

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """A non-trainable state variable; ``initializer`` is a name, an initializer or a
        callable ``(shape, dtype) -> tensor``."""
        from tensorweave import initializers

        init = initializers.get(initializer)
        if not callable(init):
            raise InvalidArgumentError(describe(f"{self.name}.add_variable", "initializer",
                                                "an initializer name or callable",
                                                repr(initializer)))
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        var = Variable(init, shape=shape, dtype=self._dtype if dtype is None else dtype,
                       trainable=False, name=name or f"variable_{len(self._variables)}")
        var.path = f"{self.name}/{var.name}"
        var.aggregation = aggregation
        self._variables.append(var)
        self._initial_values.append(var._value)
        return var

    def add_weight(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                   name: str | None = None) -> Variable:
        """Alias of :meth:`add_variable` (Keras keeps both)."""
        return self.add_variable(shape, initializer=initializer, dtype=dtype, name=name)

    def reset_state(self) -> None:
        """Put every variable back to its initial value (works under a StatelessScope)."""
        for var, init in zip(self._variables, self._initial_values):
            var.assign(init)

    # ---- the API subclasses implement --------------------------------------------------------
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    # ---- stateless forms (for traced training steps) -----------------------------------------
    def _scope(self, metric_variables: Sequence[Any]) -> StatelessScope:
        values = list(metric_variables)
        if len(values) != len(self._variables):
            raise InvalidArgumentError(describe(f"{self.name}.stateless", "metric_variables",
                                                f"{len(self._variables)} values",
                                                f"{len(values)} values"))
        return StatelessScope(dict(zip(self._variables, values)))

    def stateless_update_state(self, metric_variables: Sequence[Any], *args: Any,
                               **kwargs: Any) -> list[Any]:
        """New values of :attr:`variables` after ``update_state(*args)``, starting from
        ``metric_variables``; the variables themselves are left untouched."""
        with self._scope(metric_variables) as scope:
            self.update_state(*args, **kwargs)
        return [scope.value_of(v) for v in self._variables]

    def stateless_result(self, metric_variables: Sequence[Any]) -> Any:
        """:meth:`result` computed from ``metric_variables`` instead of the variables."""
        with self._scope(metric_variables):
            return self.result()

    def stateless_reset_state(self) -> list[Any]:
        """The initial values of :attr:`variables`."""
        return list(self._initial_values)

    # ---- config --------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def reduce_to_samplewise_values(where: str, values: Any, sample_weight: Any,
                                reduce_fn: Callable[..., Any], dtype: Any
                                ) -> tuple[Any, Any]:
    """Weight ``values`` and reduce them to one value per sample (axis 0), as Keras.

    Values with more axes than the weights are first reduced (``reduce_fn``) over the
    extra trailing axes; weights with more than one axis are reduced the same way, so
    ``sum(values) / sum(weights)`` stays the weighted mean.
    """
    values = as_float(values, dtype)
    if sample_weight is not None:
        sw = as_float(sample_weight, dtype)
        values, sw = squeeze_or_expand_to_same_rank(values, sw)
        wn, vn = len(sw.shape), len(values.shape)
        if vn > wn:
            values = reduce_fn(values, axis=tuple(range(wn, vn)))
        ok = len(sw.shape) == len(values.shape) and all(
            a == 1 or b is None or a is None or a == b for a, b in zip(sw.shape, values.shape))
        if not ok:
            hint = "" if vn else (" (the values were reduced to a single number: give y_true "
                                  "and y_pred a trailing axis, e.g. shape (batch, 1))")
            raise ShapeError(describe(where, "sample_weight",
                                      f"a shape broadcastable to the values' shape "
                                      f"{tuple(values.shape)}{hint}", tuple(sw.shape)))
        if tuple(sw.shape) != tuple(values.shape):
            sw = ops.broadcast_to(sw, tuple(values.shape))
        values = ops.multiply(values, sw)
        if wn > 1:
            sw = reduce_fn(sw, axis=tuple(range(1, wn)))
        sample_weight = sw
    vn = len(values.shape)
    if vn > 1:
        values = reduce_fn(values, axis=tuple(range(1, vn)))
    return values, sample_weight


class Mean(Metric):
    """The (weighted) mean of the values seen: ``total / count``."""

    def __init__(self, name: str = "mean", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, sw = reduce_to_samplewise_values(self.name, values, sample_weight, ops.mean,
                                                 self._dtype)
        self.total.assign_add(ops.sum(values))
        if sw is not None:
            n: Any = ops.sum(sw)
        elif len(values.shape) >= 1:
            b = values.shape[0]
            n = float(b) if b is not None else ops.sum(ops.ones_like(values))
        else:
            n = 1.0
        self.count.assign_add(n)

    def result(self) -> Any:
        return divide_no_nan(self.total, self.count)


class Sum(Metric):
    """The (weighted) sum of the values seen."""

    def __init__(self, name: str = "sum", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(self.name, values, sample_weight, ops.sum,
                                                self._dtype)
        self.total.assign_add(ops.sum(values))

    def result(self) -> Any:
        return self.total.value  # a tensor, not the variable itself


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``: how
    ``metrics=["mae", my_fn]`` become stateful metrics (named after the function)."""

    def __init__(self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None,
                 **kwargs: Any) -> None:
        if isinstance(fn, str):
            from tensorweave.registries import registry

            fn = registry("metrics").lookup(fn)
        if not callable(fn):
            raise InvalidArgumentError(describe("MeanMetricWrapper", "fn",
                                                "a callable (y_true, y_pred) -> values",
                                                repr(fn)))
        super().__init__(name=name or getattr(fn, "__name__", None) or "mean_metric_wrapper",
                         dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true: Any, y_pred: Any,  # type: ignore[override]
                     sample_weight: Any = None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", None)
        config.update(self._fn_kwargs)
        return config
