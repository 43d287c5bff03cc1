"""An example third-party tensorweave plugin.

It adds one layer (:class:`ScaledDense`), one loss (:func:`focal_crossentropy` and the
class :class:`FocalCrossentropy`), one optimizer (:class:`SignSGD`, also ``"signsgd"``)
and one activation (:func:`squared_relu`). tensorweave finds this module through the
entry point declared in ``pyproject.toml``::

    [project.entry-points."tensorweave.plugins"]
    example = "tw_example_plugin"

and calls the ``register_*`` hooks below, exactly as it calls those of its own built-in
plugins. After ``pip install``, ``tw.layers.ScaledDense``, ``compile(loss=
"focal_crossentropy", optimizer="signsgd")`` and ``Dense(8, activation="squared_relu")``
work, and models using them load from a file without ``custom_objects``.
"""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from .activations import squared_relu
from .layers import ScaledDense
from .losses import FocalCrossentropy, focal_crossentropy
from .optimizers import SignSGD

__version__ = "0.1.0"
__all__ = ["ScaledDense", "focal_crossentropy", "FocalCrossentropy", "SignSGD",
           "squared_relu"]


@hookimpl
def register_layers(register: Any) -> None:
    register(ScaledDense)


@hookimpl
def register_losses(register: Any) -> None:
    register(focal_crossentropy)
    register(FocalCrossentropy)


@hookimpl
def register_optimizers(register: Any) -> None:
    register(SignSGD, aliases=("signsgd",))


@hookimpl
def register_activations(register: Any) -> None:
    register(squared_relu)
