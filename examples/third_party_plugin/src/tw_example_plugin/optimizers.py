"""``SignSGD``: step against the *sign* of the gradient (Bernstein et al., 2018).

``w -= learning_rate * sign(g)``, or with ``momentum`` (the "Signum" variant)
``m = momentum * m + (1 - momentum) * g`` and ``w -= learning_rate * sign(m)``. Every
weight moves by exactly ``learning_rate`` per step (or not at all where the gradient is
0), whatever the gradient's scale.

It follows the optimizer contract of ``tw.optimizers.Optimizer``:

* ``__init__`` passes the common arguments (``weight_decay``, clipping, ``name`` ...) to
  the base class and validates its own;
* ``build(variables)`` calls ``super().build(variables)`` and creates the slot variables
  (one momentum per trainable variable) with ``add_optimizer_variables``; the base class
  applies an optimizer state loaded from a file before the slots existed, and ignores a
  second ``build``;
* ``update_step(gradient, variable, learning_rate)`` writes new values with ``assign``
  only, and never branches on tensor values: the same code runs eagerly and inside the
  compiled training step;
* ``get_config`` adds its hyperparameters, so ``model.save`` stores it and
  ``load_model`` rebuilds it by its registered name.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError
from tensorweave.optimizers import Optimizer

__all__ = ["SignSGD"]


class SignSGD(Optimizer):
    """Sign gradient descent; ``momentum > 0`` gives Signum.

    Args:
        learning_rate: the step size (a float or a learning-rate schedule).
        momentum: in ``[0, 1)``; the momentum of the gradient average whose sign is used.
        **kwargs: the base optimizer's arguments (``weight_decay``, ``clipnorm``,
            ``clipvalue``, ``global_clipnorm``, ``name`` ...).
    """

    default_name = "signsgd"

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, name=name, **kwargs)
        if (isinstance(momentum, bool) or not isinstance(momentum, (int, float))
                or not 0.0 <= momentum < 1.0):
            raise InvalidArgumentError(f"SignSGD: argument 'momentum': expected a number in "
                                       f"[0, 1), got {momentum!r}")
        self.momentum = float(momentum)
        self.momentums: list[Any] = []

    def build(self, variables: Any) -> None:
        variables = list(variables)
        super().build(variables)
        if self.momentum:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        direction = gradient
        if self.momentum:
            m = self.momentums[self.variable_index(variable)]
            beta = ops.cast(self.momentum, variable.dtype)
            new_m = ops.add(ops.multiply(m, beta),
                            ops.multiply(gradient, ops.subtract(1.0, beta)))
            m.assign(new_m)
            direction = new_m
        variable.assign(ops.subtract(variable, ops.multiply(ops.sign(direction), lr)))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["momentum"] = self.momentum
        return config
