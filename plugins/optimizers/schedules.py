"""Learning-rate schedules (``tw.optimizers.schedules.*``), as in Keras 3.

A schedule maps the optimizer's iteration count to a learning rate. It is written with
``tw.ops`` on the *step tensor* (never ``int(step)`` or an ``if`` on its value) because the
optimizer calls it inside the traced training step, where the step is a graph input: the
compiled step then computes the rate itself and never needs retracing as training goes on.
Where Keras uses ``ops.cond`` (the warmup of :class:`CosineDecay`), both branches are
computed and ``where`` picks one; the branches are made safe so the unused one cannot
produce a division by zero.

Every schedule returns a float32 scalar tensor and round-trips through
``get_config`` / ``from_config``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, describe

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "serialize", "deserialize"]


def _number(owner: str, arg: str, value: Any, positive: bool = False,
            non_negative: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise InvalidArgumentError(describe(owner, arg, "a number", value))
    if positive and not value > 0:
        raise InvalidArgumentError(describe(owner, arg, "a number > 0", value))
    if non_negative and value < 0:
        raise InvalidArgumentError(describe(owner, arg, "a number >= 0", value))
    return value


def _step_as_float(step: Any) -> Any:
    """The step (a Python int, a Variable, a concrete or symbolic tensor) as float32."""
    if not ops.is_tensor(step):
        step = ops.convert_to_tensor(step)
    return ops.cast(step, "float32")


class LearningRateSchedule:
    """Base class: subclasses implement ``__call__(step)`` with ``tw.ops`` and
    ``get_config()``; ``from_config(config)`` is ``cls(**config)``."""

    def __call__(self, step: Any) -> Any:
        raise _AbstractScheduleError(
            f"learning rate schedule {type(self).__name__!r} must implement __call__(step)")

    def get_config(self) -> dict[str, Any]:
        raise _AbstractScheduleError(
            f"learning rate schedule {type(self).__name__!r} must implement get_config() "
            "to be saved")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except Exception:  # a user subclass without get_config
            args = ""
        return f"{type(self).__name__}({args})"


class _AbstractScheduleError(InvalidArgumentError, NotImplementedError):
    """A schedule subclass is missing a required method."""


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``; with
    ``staircase=True`` the exponent is floored (the rate drops every ``decay_steps``)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        self.initial_learning_rate = _number("ExponentialDecay", "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _number("ExponentialDecay", "decay_steps", decay_steps,
                                   positive=True)
        self.decay_rate = _number("ExponentialDecay", "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = ops.divide(_step_as_float(step), float(self.decay_steps))
        if self.staircase:
            p = ops.floor(p)
        return ops.multiply(float(self.initial_learning_rate),
                            ops.power(float(self.decay_rate), p))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]`` ... and ``values[-1]`` after the last
    boundary (Keras 3's convention: a boundary belongs to the interval below it)."""

    def __init__(self, boundaries: Sequence[float], values: Sequence[float],
                 name: str = "PiecewiseConstant") -> None:
        boundaries, values = list(boundaries), list(values)
        if len(boundaries) != len(values) - 1:
            raise InvalidArgumentError(describe(
                "PiecewiseConstantDecay", "values",
                f"one more value than boundaries ({len(boundaries) + 1})",
                f"{len(values)} values"))
        for i, b in enumerate(boundaries):
            _number("PiecewiseConstantDecay", f"boundaries[{i}]", b)
        for i, v in enumerate(values):
            _number("PiecewiseConstantDecay", f"values[{i}]", v)
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise InvalidArgumentError(describe("PiecewiseConstantDecay", "boundaries",
                                                "strictly increasing numbers", boundaries))
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Any:
        if not ops.is_tensor(step):
            step = ops.convert_to_tensor(step)
        exact = step.dtype.kind in "iu" and all(isinstance(b, int) for b in self.boundaries)
        # integer steps compare exactly with integer boundaries (float32 would round
        # steps above 2**24); anything else compares in float32
        s = step if exact else ops.cast(step, "float32")
        be = _backend(s)
        result = ops.convert_to_tensor(float(self.values[-1]), "float32", backend=be)
        for b, v in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            value = ops.convert_to_tensor(float(v), "float32", backend=be)
            result = ops.where(ops.less_equal(s, b), value, result)
        return result

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": list(self.boundaries), "values": list(self.values),
                "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``;
    with ``cycle=True`` the horizon grows to the next multiple of ``decay_steps``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = _number("PolynomialDecay", "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _number("PolynomialDecay", "decay_steps", decay_steps,
                                   positive=True)
        self.end_learning_rate = _number("PolynomialDecay", "end_learning_rate",
                                         end_learning_rate)
        self.power = _number("PolynomialDecay", "power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step: Any) -> Any:
        s = _step_as_float(step)
        steps = float(self.decay_steps)
        if self.cycle:
            mult = ops.where(ops.equal(s, 0.0), 1.0, ops.ceil(ops.divide(s, steps)))
            horizon = ops.multiply(mult, steps)
        else:
            s = ops.minimum(s, steps)
            horizon = ops.convert_to_tensor(steps, "float32", backend=_backend(s))
        p = ops.divide(s, horizon)
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return ops.add(ops.multiply(span, ops.power(ops.subtract(1.0, p), float(self.power))),
                       float(self.end_learning_rate))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the division
    floored with ``staircase=True``). Keras 2's ``decay=d`` is
    ``InverseTimeDecay(lr, 1, d)``."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        self.initial_learning_rate = _number("InverseTimeDecay", "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _number("InverseTimeDecay", "decay_steps", decay_steps,
                                   positive=True)
        self.decay_rate = _number("InverseTimeDecay", "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step: Any) -> Any:
        p = ops.divide(_step_as_float(step), float(self.decay_steps))
        if self.staircase:
            p = ops.floor(p)
        denom = ops.add(1.0, ops.multiply(float(self.decay_rate), p))
        return ops.divide(float(self.initial_learning_rate), denom)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay with optional linear warmup (Keras 3).

    Without ``warmup_target``: ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * t /
    decay_steps)) + alpha)`` with ``t = min(step, decay_steps)``. With it: a linear ramp
    from ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then the
    cosine decay from ``warmup_target`` over ``decay_steps``.
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        self.initial_learning_rate = _number("CosineDecay", "initial_learning_rate",
                                             initial_learning_rate)
        self.decay_steps = _number("CosineDecay", "decay_steps", decay_steps, positive=True)
        self.alpha = _number("CosineDecay", "alpha", alpha)
        self.name = name
        self.warmup_target = (None if warmup_target is None else
                              _number("CosineDecay", "warmup_target", warmup_target))
        self.warmup_steps = _number("CosineDecay", "warmup_steps", warmup_steps,
                                    non_negative=True)

    def _decay(self, t: Any, decay_from: Any) -> Any:
        frac = ops.divide(t, float(self.decay_steps))
        cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(math.pi, frac))))
        decayed = ops.add(ops.multiply(1.0 - float(self.alpha), cosine), float(self.alpha))
        return ops.multiply(decay_from, decayed)

    def __call__(self, step: Any) -> Any:
        s = _step_as_float(step)
        steps = float(self.decay_steps)
        if self.warmup_target is None:
            return self._decay(ops.minimum(s, steps), float(self.initial_learning_rate))
        warm = float(self.warmup_steps)
        s = ops.minimum(s, steps + warm)
        # max(warm, 1) keeps the unused warmup branch finite when warmup_steps == 0
        ramp = ops.add(ops.multiply(float(self.warmup_target) - float(self.initial_learning_rate),
                                    ops.divide(s, max(warm, 1.0))),
                       float(self.initial_learning_rate))
        decay = self._decay(ops.subtract(s, warm), float(self.warmup_target))
        return ops.where(ops.less(s, warm), ramp, decay)

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter, 2017): the first period
    lasts ``first_decay_steps``, each next one ``t_mul`` times longer and starting from
    ``m_mul`` times the previous peak; within a period the rate follows
    ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha)``."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int,
                 t_mul: float = 2.0, m_mul: float = 1.0, alpha: float = 0.0,
                 name: str = "SGDRDecay") -> None:
        where = "CosineDecayRestarts"
        self.initial_learning_rate = _number(where, "initial_learning_rate",
                                             initial_learning_rate)
        self.first_decay_steps = _number(where, "first_decay_steps", first_decay_steps,
                                         positive=True)
        self._t_mul = _number(where, "t_mul", t_mul, positive=True)
        self._m_mul = _number(where, "m_mul", m_mul, non_negative=True)
        self.alpha = _number(where, "alpha", alpha)
        self.name = name

    def __call__(self, step: Any) -> Any:
        frac = ops.divide(_step_as_float(step), float(self.first_decay_steps))
        t_mul = float(self._t_mul)
        if t_mul == 1.0:  # equal periods
            i_restart = ops.floor(frac)
            frac = ops.subtract(frac, i_restart)
        else:  # geometric periods: which one holds the step, and where in it
            i_restart = ops.floor(ops.divide(ops.log(ops.subtract(1.0, ops.multiply(
                frac, 1.0 - t_mul))), math.log(t_mul)))
            sum_r = ops.divide(ops.subtract(1.0, ops.power(t_mul, i_restart)), 1.0 - t_mul)
            frac = ops.divide(ops.subtract(frac, sum_r), ops.power(t_mul, i_restart))
        m_fac = ops.power(float(self._m_mul), i_restart)
        cosine = ops.multiply(ops.multiply(0.5, m_fac),
                              ops.add(1.0, ops.cos(ops.multiply(math.pi, frac))))
        alpha = float(self.alpha)
        return ops.multiply(float(self.initial_learning_rate),
                            ops.add(ops.multiply(1.0 - alpha, cosine), alpha))

    def get_config(self) -> dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


def _backend(t: Any) -> Any:
    """The backend of a concrete tensor, or ``None`` (the current one) for a symbolic one."""
    return getattr(t, "_backend", None)


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """``{"class_name": ..., "config": ...}`` (data only)."""
    return {"class_name": type(learning_rate_schedule).__name__,
            "config": learning_rate_schedule.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None
                ) -> LearningRateSchedule:
    """Rebuild a schedule through ``custom_objects``, then the ``schedules`` registry
    (third-party ones too)."""
    from tensorweave._serial import deserialize_with
    from tensorweave.registries import registry

    return deserialize_with(lambda c: registry("schedules").get(c, instantiate=False), config,
                            custom_objects)
