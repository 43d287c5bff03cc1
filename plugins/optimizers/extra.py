"""Keras 3's further optimizers: Lion, Lamb, Adafactor and Ftrl, each update rule as
``keras/src/optimizers`` writes it (the order of the ``assign``\\ s included), on the
shared :class:`~.base.Optimizer` machinery (clipping, weight decay, EMA, gradient
accumulation, state saving)."""

from __future__ import annotations

from typing import Any

from tensorweave import ops

from .base import Optimizer, _check_number

__all__ = ["Lion", "Lamb", "Adafactor", "Ftrl"]

_BASE = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
         "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps", "name")


def _base(args: dict[str, Any]) -> dict[str, Any]:
    """The base-optimizer keyword arguments out of a constructor's ``locals()``."""
    out = {k: args[k] for k in _BASE}
    out["learning_rate"] = args["learning_rate"]
    out.update(args.get("kwargs") or {})
    return out


def _step(opt: Optimizer, dtype: Any) -> Any:
    return ops.cast(ops.add(opt.iterations, 1), dtype)


class Lion(Optimizer):
    """Lion (Chen et al., 2023): ``w -= lr * sign(beta_1 m + (1 - beta_1) g)``, then
    ``m = beta_2 m + (1 - beta_2) g``; a sign update, so use a learning rate 3-10x smaller
    than Adam's."""

    default_name = "lion"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        self.beta_1 = _check_number("Lion", "beta_1", beta_1, lo=0.0, hi=1.0, lo_open=True)
        self.beta_2 = _check_number("Lion", "beta_2", beta_2, lo=0.0, hi=1.0)
        self._momentums: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(self._trainable_variables, "momentum")

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        m = self._momentums[self.variable_index(variable)]
        direction = ops.sign(ops.add(ops.multiply(m, self.beta_1),
                                     ops.multiply(gradient, 1.0 - self.beta_1)))
        variable.assign(ops.subtract(variable, ops.multiply(lr, direction)))
        m.assign(ops.add(ops.multiply(m, self.beta_2), ops.multiply(gradient, 1.0 - self.beta_2)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


class Lamb(Optimizer):
    """LAMB (You et al., 2019): Adam's bias-corrected step rescaled per variable by the
    trust ratio ``||w|| / ||update||`` (1 when either is 0), for large-batch training."""

    default_name = "lamb"

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        self.beta_1 = _check_number("Lamb", "beta_1", beta_1, lo=0.0, hi=1.0, hi_open=True)
        self.beta_2 = _check_number("Lamb", "beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _check_number("Lamb", "epsilon", epsilon, lo=0.0)
        self._momentums: list[Any] = []
        self._velocities: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _step(self, dtype)
        b1p = ops.power(ops.cast(self.beta_1, dtype), t)
        b2p = ops.power(ops.cast(self.beta_2, dtype), t)
        i = self.variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign(ops.add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - self.beta_1)))
        v.assign(ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v),
                                         1.0 - self.beta_2)))
        m_hat = ops.divide(m, ops.subtract(1.0, b1p))
        v_sqrt = ops.add(ops.sqrt(ops.divide(v, ops.subtract(1.0, b2p))), self.epsilon)
        update = ops.divide(m_hat, v_sqrt)
        w_norm = ops.sqrt(ops.sum(ops.square(variable)))
        g_norm = ops.sqrt(ops.sum(ops.square(update)))
        one = ops.ones((), dtype)
        safe_g = ops.where(ops.greater(g_norm, 0), g_norm, one)
        ratio = ops.where(ops.greater(w_norm, 0),
                          ops.where(ops.greater(g_norm, 0), ops.divide(w_norm, safe_g), one),
                          one)
        variable.assign(ops.subtract(variable, ops.multiply(ops.multiply(ratio, lr), update)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): the second moment of a matrix is kept factored
    as row and column means (memory ``O(n + m)`` instead of ``O(n m)``); steps are
    relative to the variable's RMS and the update is clipped to RMS ``clip_threshold``."""

    default_name = "adafactor"

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8,
                 epsilon_1: float = 1e-30, epsilon_2: float = 1e-3,
                 clip_threshold: float = 1.0, relative_step: bool = True,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        self.beta_2_decay = _check_number("Adafactor", "beta_2_decay", beta_2_decay)
        self.epsilon_1 = _check_number("Adafactor", "epsilon_1", epsilon_1, lo=0.0)
        self.epsilon_2 = _check_number("Adafactor", "epsilon_2", epsilon_2, lo=0.0)
        self.clip_threshold = _check_number("Adafactor", "clip_threshold", clip_threshold,
                                            lo=0.0, lo_open=True)
        self.relative_step = bool(relative_step)
        self._r: list[Any] = []
        self._c: list[Any] = []
        self._v: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        for var in self._trainable_variables:
            shape = tuple(var.shape)
            if len(shape) < 2:  # unfactored: r and c are unused scalars (Keras keeps them)
                self._r.append(self.add_variable((), 0.0, "float32", "r", like=var))
                self._c.append(self.add_variable((), 0.0, "float32", "c", like=var))
            else:
                self._r.append(self.add_variable(shape[:-1], 0.0, var.dtype, "r", like=var))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], 0.0, var.dtype,
                                                 "c", like=var))
            self._v.append(self.add_variable_from_reference(var, "velocity"))

    @staticmethod
    def _rms(x: Any) -> Any:
        return ops.sqrt(ops.mean(ops.square(x)))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _step(self, dtype)
        inv_sqrt_t = ops.divide(1.0, ops.sqrt(t))
        if self._lr_python is not None and self.relative_step:  # a numeric rate, as Keras
            lr = ops.minimum(lr, inv_sqrt_t)
        i = self.variable_index(variable)
        r, c, v = self._r[i], self._c[i], self._v[i]
        rho = ops.minimum(lr, inv_sqrt_t)
        alpha = ops.multiply(ops.maximum(ops.cast(self.epsilon_2, dtype), self._rms(variable)),
                             rho)
        g2 = ops.add(ops.square(gradient), self.epsilon_1)
        beta_2_t = ops.subtract(1.0, ops.power(t, self.beta_2_decay))
        if len(variable.shape) >= 2:
            r.assign(ops.add(ops.multiply(beta_2_t, r),
                             ops.multiply(ops.subtract(1.0, beta_2_t), ops.mean(g2, axis=-1))))
            c.assign(ops.add(ops.multiply(beta_2_t, c),
                             ops.multiply(ops.subtract(1.0, beta_2_t), ops.mean(g2, axis=-2))))
            v.assign(ops.multiply(
                ops.expand_dims(ops.divide(r, ops.mean(r, axis=-1, keepdims=True)), -1),
                ops.expand_dims(c, -2)))
        else:
            v.assign(ops.add(ops.multiply(beta_2_t, v),
                             ops.multiply(ops.subtract(1.0, beta_2_t), g2)))
        u = ops.divide(gradient, ops.sqrt(v))
        u_hat = ops.divide(u, ops.maximum(ops.ones((), dtype),
                                          ops.divide(self._rms(u), self.clip_threshold)))
        variable.assign(ops.subtract(variable, ops.multiply(alpha, u_hat)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), the online-learning optimizer for wide,
    sparse models: per-coordinate rates from an accumulator of squared gradients, with
    L1 (which gives exact zeros), L2 and L2-shrinkage regularisation."""

    default_name = "ftrl"

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        c = "Ftrl"
        self.learning_rate_power = _check_number(c, "learning_rate_power",
                                                 learning_rate_power, hi=0.0)
        self.initial_accumulator_value = _check_number(c, "initial_accumulator_value",
                                                       initial_accumulator_value, lo=0.0)
        self.l1_regularization_strength = _check_number(c, "l1_regularization_strength",
                                                        l1_regularization_strength, lo=0.0)
        self.l2_regularization_strength = _check_number(c, "l2_regularization_strength",
                                                        l2_regularization_strength, lo=0.0)
        self.l2_shrinkage_regularization_strength = _check_number(
            c, "l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
            lo=0.0)
        self.beta = _check_number(c, "beta", beta)
        self._accumulators: list[Any] = []
        self._linears: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators, self._linears = self.add_optimizer_variables(
            self._trainable_variables, ["accumulator", "linear"],
            initializer=[float(self.initial_accumulator_value), 0.0])

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        lr = ops.cast(learning_rate, variable.dtype)
        i = self.variable_index(variable)
        accum, linear = self._accumulators[i], self._linears[i]
        p = -self.learning_rate_power
        l2 = ops.add(self.l2_regularization_strength,
                     ops.divide(self.beta, ops.multiply(2.0, lr)))
        g = ops.add(gradient, ops.multiply(2.0 * self.l2_shrinkage_regularization_strength,
                                           variable))
        new_accum = ops.add(accum, ops.square(gradient))
        sigma = ops.divide(ops.subtract(ops.power(new_accum, p), ops.power(accum, p)), lr)
        linear.assign(ops.add(linear, ops.subtract(g, ops.multiply(sigma, variable))))
        quadratic = ops.add(ops.divide(ops.power(new_accum, p), lr), ops.multiply(l2, 2.0))
        l1 = self.l1_regularization_strength
        clipped = ops.clip(linear, -l1, l1)
        variable.assign(ops.divide(ops.subtract(clipped, linear), quadratic))
        accum.assign(new_accum)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
