"""The built-in optimizers, each one's update rule exactly as Keras 3 writes it.

Each ``update_step`` reads its slots and writes them with ``assign`` in Keras's order,
because the order is part of the rule (Adam's bias correction uses the *updated* moments,
Adadelta's delta uses the *old* accumulated delta). Hyperparameters are Python numbers
fixed at construction, so the ``if``\\ s below select a formula once, at trace time.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops

from .base import Optimizer, _check_number

__all__ = ["SGD", "Adam", "AdamW", "Nadam", "RMSprop", "Adagrad", "Adadelta", "Adamax"]


def _local_step(opt: Optimizer, dtype: Any, offset: int = 1) -> Any:
    """``iterations + offset`` as a float tensor of ``dtype`` (the 1-based step ``t``)."""
    return ops.cast(ops.add(opt.iterations, offset), dtype)


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum.

    ``momentum == 0``: ``w -= lr * g``. Otherwise ``v = momentum * v - lr * g`` and
    ``w += v``, or with ``nesterov=True`` ``w += momentum * v - lr * g``.
    """

    default_name = "SGD"

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.momentum = float(_check_number("SGD", "momentum", momentum, lo=0.0, hi=1.0))
        self.nesterov = bool(nesterov)
        self.momentums: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums = (self.add_optimizer_variables(self._trainable_variables, "momentum")
                          if self.momentum != 0 else [])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        if self.momentum == 0:
            variable.assign(ops.subtract(variable, ops.multiply(gradient, lr)))
            return
        m = self.momentums[self.variable_index(variable)]
        mom = ops.cast(self.momentum, variable.dtype)
        m.assign(ops.subtract(ops.multiply(m, mom), ops.multiply(gradient, lr)))
        if self.nesterov:
            variable.assign(ops.add(variable, ops.subtract(ops.multiply(m, mom),
                                                           ops.multiply(gradient, lr))))
        else:
            variable.assign(ops.add(variable, m))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


class Adam(Optimizer):
    """Adam: ``m += (g - m)(1 - beta_1)``, ``v += (g^2 - v)(1 - beta_2)``,
    ``w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)``;
    ``amsgrad=True`` uses the running maximum of ``v``."""

    default_name = "adam"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        cls = type(self).__name__
        self.beta_1 = _check_number(cls, "beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _check_number(cls, "beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _check_number(cls, "epsilon", epsilon, lo=0.0)
        self.amsgrad = bool(amsgrad)
        self._momentums: list[Any] = []
        self._velocities: list[Any] = []
        self._velocity_hats: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        tv = self._trainable_variables
        self._momentums, self._velocities = self.add_optimizer_variables(
            tv, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(tv, "velocity_hat")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _local_step(self, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), t)
        beta_2_power = ops.power(ops.cast(self.beta_2, dtype), t)
        i = self.variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1.0, beta_2_power))),
                           ops.subtract(1.0, beta_1_power))
        m.assign(ops.add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - self.beta_1)))
        v.assign(ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v),
                                         1.0 - self.beta_2)))
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            v_hat.assign(ops.maximum(v_hat, v))
            v = v_hat
        variable.assign(ops.subtract(variable, ops.divide(
            ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon))))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2,
                       "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config


class AdamW(Adam):
    """Adam with decoupled weight decay (``weight_decay`` defaults to 0.004 and may not
    be ``None``): ``w -= lr * weight_decay * w`` before each Adam step."""

    default_name = "adamw"

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        if weight_decay is None:
            from tensorweave.errors import InvalidArgumentError, describe

            raise InvalidArgumentError(describe("AdamW", "weight_decay", "a float", None))
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)


class Nadam(Optimizer):
    """Adam with Nesterov momentum and Dozat's momentum schedule
    ``u_t = beta_1 * (1 - 0.5 * 0.96^t)`` (its running product is a slot variable)."""

    default_name = "nadam"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.beta_1 = _check_number("Nadam", "beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _check_number("Nadam", "beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _check_number("Nadam", "epsilon", epsilon, lo=0.0)
        self._momentums: list[Any] = []
        self._velocities: list[Any] = []
        self._u_product: Any = None

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        tv = self._trainable_variables
        self._momentums, self._velocities = self.add_optimizer_variables(
            tv, ["momentum", "velocity"])
        dtype = tv[0].dtype if tv else "float32"
        self._u_product = self.add_variable((), 1.0, dtype, "u_product",
                                            like=tv[0] if tv else None)

    def _backend_update_step(self, grads: Any, variables: Any, learning_rate: Any) -> None:
        # one u_product update per step, shared by all variables (as Keras)
        up = self._u_product
        dtype = up.dtype
        u_t = ops.multiply(self.beta_1, ops.subtract(
            1.0, ops.multiply(0.5, ops.power(ops.cast(0.96, dtype), _local_step(self, dtype)))))
        up.assign(ops.multiply(up, u_t))
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _local_step(self, dtype, 1)
        t_next = _local_step(self, dtype, 2)
        decay = ops.cast(0.96, dtype)
        beta_1 = ops.cast(self.beta_1, dtype)
        beta_2 = ops.cast(self.beta_2, dtype)
        u_t = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay, t))))
        u_t_1 = ops.multiply(beta_1, ops.subtract(1.0, ops.multiply(0.5, ops.power(decay,
                                                                                   t_next))))
        u_product_t = ops.cast(self._u_product, dtype)
        u_product_t_1 = ops.multiply(u_product_t, u_t_1)
        beta_2_power = ops.power(beta_2, t)
        i = self.variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign(ops.add(m, ops.multiply(ops.subtract(gradient, m), ops.subtract(1.0, beta_1))))
        v.assign(ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v),
                                         ops.subtract(1.0, beta_2))))
        m_hat = ops.add(
            ops.divide(ops.multiply(u_t_1, m), ops.subtract(1.0, u_product_t_1)),
            ops.divide(ops.multiply(ops.subtract(1.0, u_t), gradient),
                       ops.subtract(1.0, u_product_t)))
        v_hat = ops.divide(v, ops.subtract(1.0, beta_2_power))
        variable.assign(ops.subtract(variable, ops.divide(
            ops.multiply(m_hat, lr), ops.add(ops.sqrt(v_hat), self.epsilon))))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


class RMSprop(Optimizer):
    """``v = rho v + (1 - rho) g^2``; ``w -= lr g / sqrt(v + epsilon)`` (``centered``:
    ``sqrt(v - mean_g^2 + epsilon)``); with ``momentum`` the increment feeds a velocity
    ``mom = momentum * mom + increment`` and ``w -= mom``."""

    default_name = "rmsprop"

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.rho = _check_number("RMSprop", "rho", rho, lo=0.0, hi=1.0)
        self.momentum = _check_number("RMSprop", "momentum", momentum, lo=0.0, hi=1.0)
        self.epsilon = _check_number("RMSprop", "epsilon", epsilon, lo=0.0)
        self.centered = bool(centered)
        self._velocities: list[Any] = []
        self._momentums: list[Any] = []
        self._average_gradients: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        tv = self._trainable_variables
        self._velocities = self.add_optimizer_variables(tv, "velocity")
        self._momentums = (self.add_optimizer_variables(tv, "momentum")
                           if self.momentum > 0 else [])
        self._average_gradients = (self.add_optimizer_variables(tv, "average_gradient")
                                   if self.centered else [])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        i = self.variable_index(variable)
        velocity = self._velocities[i]
        rho = self.rho
        velocity.assign(ops.add(ops.multiply(rho, velocity),
                                ops.multiply(1.0 - rho, ops.square(gradient))))
        if self.centered:
            avg = self._average_gradients[i]
            avg.assign(ops.add(ops.multiply(rho, avg), ops.multiply(1.0 - rho, gradient)))
            denominator = ops.add(ops.subtract(velocity, ops.square(avg)), self.epsilon)
        else:
            denominator = ops.add(velocity, self.epsilon)
        increment = ops.divide(ops.multiply(lr, gradient), ops.sqrt(denominator))
        if self.momentum > 0:
            mom = self._momentums[i]
            mom.assign(ops.add(ops.multiply(self.momentum, mom), increment))
            variable.assign(ops.subtract(variable, mom))
        else:
            variable.assign(ops.subtract(variable, increment))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


class Adagrad(Optimizer):
    """``acc += g^2``; ``w -= lr g / sqrt(acc + epsilon)``; accumulators start at
    ``initial_accumulator_value``."""

    default_name = "adagrad"

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.initial_accumulator_value = _check_number(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, lo=0.0)
        self.epsilon = _check_number("Adagrad", "epsilon", epsilon, lo=0.0)
        self._accumulators: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            self._trainable_variables, "accumulator",
            initializer=float(self.initial_accumulator_value))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        acc = self._accumulators[self.variable_index(variable)]
        acc.assign(ops.add(acc, ops.square(gradient)))
        variable.assign(ops.subtract(variable, ops.divide(
            ops.multiply(lr, gradient), ops.sqrt(ops.add(acc, self.epsilon)))))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


class Adadelta(Optimizer):
    """``Eg = rho Eg + (1 - rho) g^2``; ``d = -sqrt(Ed + eps) / sqrt(Eg + eps) * g``;
    ``Ed = rho Ed + (1 - rho) d^2``; ``w += lr * d``."""

    default_name = "adadelta"

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.rho = _check_number("Adadelta", "rho", rho, lo=0.0, hi=1.0)
        self.epsilon = _check_number("Adadelta", "epsilon", epsilon, lo=0.0)
        self._accumulated_grads: list[Any] = []
        self._accumulated_delta_vars: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        tv = self._trainable_variables
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            tv, ["accumulated_grad", "accumulated_delta_var"])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        rho = self.rho
        i = self.variable_index(variable)
        acc_g, acc_d = self._accumulated_grads[i], self._accumulated_delta_vars[i]

        def rms(x: Any) -> Any:
            return ops.sqrt(ops.add(x, self.epsilon))

        acc_g.assign(ops.add(ops.multiply(rho, acc_g),
                             ops.multiply(1.0 - rho, ops.square(gradient))))
        delta = ops.negative(ops.divide(ops.multiply(rms(acc_d), gradient), rms(acc_g)))
        acc_d.assign(ops.add(ops.multiply(rho, acc_d),
                             ops.multiply(1.0 - rho, ops.square(delta))))
        variable.assign(ops.add(variable, ops.multiply(lr, delta)))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config


class Adamax(Optimizer):
    """Adam over the infinity norm: ``m += (g - m)(1 - beta_1)``,
    ``u = max(beta_2 u, |g|)``, ``w -= lr m / ((1 - beta_1^t)(u + epsilon))``."""

    default_name = "adamax"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None,
                 name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         clipnorm=clipnorm, clipvalue=clipvalue,
                         global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum,
                         ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps,
                         name=name, **kwargs)
        self.beta_1 = _check_number("Adamax", "beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _check_number("Adamax", "beta_2", beta_2, lo=0.0, hi=1.0)
        self.epsilon = _check_number("Adamax", "epsilon", epsilon, lo=0.0)
        self._m: list[Any] = []
        self._u: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        tv = self._trainable_variables
        self._m, self._u = self.add_optimizer_variables(tv, ["momentum", "norm"])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        beta_1_power = ops.power(ops.cast(self.beta_1, dtype), _local_step(self, dtype))
        i = self.variable_index(variable)
        m, u = self._m[i], self._u[i]
        m.assign(ops.add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - self.beta_1)))
        u.assign(ops.maximum(ops.multiply(self.beta_2, u), ops.abs(gradient)))
        variable.assign(ops.subtract(variable, ops.divide(
            ops.multiply(lr, m),
            ops.multiply(ops.subtract(1.0, beta_1_power), ops.add(u, self.epsilon)))))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config
