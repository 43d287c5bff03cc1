"""The hooks a tensorweave plugin implements (pluggy project name ``tensorweave``).

Every hook receives a ``register`` callback (the pattern of ``llm``'s hookspecs):
``register(obj)`` files ``obj`` under its ``__name__`` (classes, functions), or
``register(obj, name="alias")`` under another name; ``aliases=("a", "b")`` adds more
names. The built-in layers, losses ... are plugins registered through these same hooks.

A third-party package declares its module in the entry-point group
``tensorweave.plugins`` and decorates functions with :data:`hookimpl`::

    from tensorweave.plugin import hookimpl

    @hookimpl
    def register_layers(register):
        register(MyLayer)
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("tensorweave")


@hookspec
def register_layers(register: Any) -> None:
    """Register layer classes (subclasses of ``tw.layers.Layer``)."""


@hookspec
def register_losses(register: Any) -> None:
    """Register loss functions ``(y_true, y_pred) -> tensor`` and loss classes."""


@hookspec
def register_optimizers(register: Any) -> None:
    """Register optimizer classes (subclasses of ``tw.optimizers.Optimizer``)."""


@hookspec
def register_schedules(register: Any) -> None:
    """Register learning-rate schedule classes."""


@hookspec
def register_metrics(register: Any) -> None:
    """Register metric classes (stateful) and metric functions."""


@hookspec
def register_activations(register: Any) -> None:
    """Register activation functions ``x -> tensor``."""


@hookspec
def register_initializers(register: Any) -> None:
    """Register initializer classes (callables ``(shape, dtype) -> tensor``)."""


@hookspec
def register_regularizers(register: Any) -> None:
    """Register regularizer classes (callables ``weights -> scalar``)."""


@hookspec
def register_constraints(register: Any) -> None:
    """Register weight-constraint classes (callables ``weights -> weights``)."""


@hookspec
def register_callbacks(register: Any) -> None:
    """Register training-callback classes."""


@hookspec
def register_models(register: Any) -> None:
    """Register model classes (``Sequential``, ``Model`` ...)."""


@hookspec
def register_ops(register: Any) -> None:
    """Register new ops: ``register(opdef, kernels={"numpy": fn, "python": fn})``."""
