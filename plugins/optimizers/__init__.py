"""Built-in plugin: the optimizers and learning-rate schedules.

It registers through the same hooks a third-party plugin uses, so ``tw.optimizers.Adam``,
``compile(optimizer="adam")`` and ``tw.optimizers.schedules.CosineDecay`` all resolve
through the registries. Names are Keras 3's class names plus the lowercase strings Keras
accepts in ``compile`` (``"sgd"``, ``"adam"``, ``"adamw"``, ``"nadam"``, ``"rmsprop"``,
``"adagrad"``, ``"adadelta"``, ``"adamax"``).
"""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from .algorithms import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from .base import LearningRateNotSettableError, Optimizer
from .extra import (
    Adafactor,
    Ftrl,
    Lamb,
    Lion,
    LossScaleOptimizer,
    MultiOptimizer,
    Muon,
    OptimizerMap,
    ScheduleFreeAdamW,
)
from .schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Nadam", "RMSprop", "Adagrad", "Adadelta",
           "Adamax", "Lion", "Lamb", "Adafactor", "Ftrl", "LossScaleOptimizer",
           "ScheduleFreeAdamW", "Muon", "MultiOptimizer", "OptimizerMap",
           "LearningRateSchedule",
           "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "LearningRateNotSettableError"]

_OPTIMIZERS = (SGD, Adam, AdamW, Nadam, RMSprop, Adagrad, Adadelta, Adamax, Lion, Lamb,
               Adafactor, Ftrl, ScheduleFreeAdamW, Muon)
_SCHEDULES = (LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay,
              InverseTimeDecay, CosineDecay, CosineDecayRestarts)


@hookimpl
def register_optimizers(register: Any) -> None:
    register(Optimizer)
    register(LossScaleOptimizer)
    register(MultiOptimizer)
    register(OptimizerMap)
    for cls in _OPTIMIZERS:
        register(cls, aliases=(cls.__name__.lower(),))


@hookimpl
def register_schedules(register: Any) -> None:
    for cls in _SCHEDULES:
        register(cls)
