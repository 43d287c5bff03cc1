"""Keras 3's further optimizers: Lion, Lamb, Adafactor and Ftrl, each update rule as
``keras/src/optimizers`` writes it (the order of the ``assign``\\ s included), on the
shared :class:`~.base.Optimizer` machinery (clipping, weight decay, EMA, gradient
accumulation, state saving)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from tensorweave import ops

from .base import Optimizer, _check_number

__all__ = ["Lion", "Lamb", "Adafactor", "Ftrl", "ScheduleFreeAdamW", "Muon",
           "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"]

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


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW (Defazio et al., 2024): no learning-rate schedule needed. It
    keeps the Adam iterate ``z`` (the ``momentum`` slot, starting at the variable) and an
    equal-weight average ``x`` of it; the model's variable holds their interpolation
    ``y = (1 - beta_1) z + beta_1 x``, recovered and updated each step. An optional
    linear ``warmup_steps``."""

    default_name = "schedule_free_adamw"

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-8, warmup_steps: int = 0,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        c = "ScheduleFreeAdamW"
        self.beta_1 = _check_number(c, "beta_1", beta_1, lo=0.0, hi=1.0, lo_open=True,
                                    hi_open=True)
        self.beta_2 = _check_number(c, "beta_2", beta_2, lo=0.0, hi=1.0, hi_open=True)
        self.epsilon = _check_number(c, "epsilon", epsilon, lo=0.0)
        self.warmup_steps = int(_check_number(c, "warmup_steps", warmup_steps, lo=0))
        self._momentums: list[Any] = []
        self._velocities: list[Any] = []

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._trainable_variables, ["momentum", "velocity"])
        for z, var in zip(self._momentums, self._trainable_variables):
            z.assign(ops.copy(var.value if hasattr(var, "value") else var))

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        from .base import as_value

        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _step(self, dtype)
        if self.warmup_steps > 0:
            lr = ops.multiply(lr, ops.minimum(ops.divide(t, float(self.warmup_steps)), 1.0))
        i = self.variable_index(variable)
        z, v = self._momentums[i], self._velocities[i]
        z_old = as_value(z)
        b1 = self.beta_1
        bc2 = ops.subtract(1.0, ops.power(ops.cast(self.beta_2, dtype), t))
        v.assign(ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v),
                                         1.0 - self.beta_2)))
        denom = ops.add(ops.sqrt(ops.divide(v, bc2)), self.epsilon)
        z.assign(ops.subtract(z, ops.divide(ops.multiply(lr, gradient), denom)))
        weight = ops.divide(1.0, t)
        x_old = ops.divide(ops.subtract(as_value(variable), ops.multiply(z_old, 1.0 - b1)), b1)
        x_new = ops.add(ops.multiply(ops.subtract(1.0, weight), x_old),
                        ops.multiply(weight, z))
        variable.assign(ops.add(ops.multiply(z, 1.0 - b1), ops.multiply(x_new, b1)))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}


class Muon(Optimizer):
    """Muon (Jordan et al., 2024): 2-d weights take a momentum step orthogonalised by
    ``ns_steps`` Newton-Schulz iterations (coefficients ``muon_a/b/c``) and scaled by
    ``rms_rate * sqrt(max(rows, cols))``; other variables (not 2-d, embeddings unless
    ``exclude_embeddings=False``, paths matching ``exclude_layers``) take AdamW steps at
    ``learning_rate * adam_lr_ratio`` with ``adam_weight_decay``."""

    default_name = "muon"

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9,
                 adam_beta_2: float = 0.999, adam_weight_decay: float = 0.004,
                 epsilon: float = 1e-7, weight_decay: float | None = 0.004,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 exclude_layers: Any = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.775, muon_c: float = 2.0315,
                 adam_lr_ratio: float = 1, momentum: float = 0.95, ns_steps: int = 5,
                 nesterov: bool = True, rms_rate: float | None = 0.2, **kwargs: Any) -> None:
        super().__init__(**_base(locals()))
        c = "Muon"
        self.adam_beta_1 = _check_number(c, "adam_beta_1", adam_beta_1, lo=0.0, hi=1.0,
                                         hi_open=True)
        self.adam_beta_2 = _check_number(c, "adam_beta_2", adam_beta_2, lo=0.0, hi=1.0,
                                         hi_open=True)
        self.adam_weight_decay = _check_number(c, "adam_weight_decay", adam_weight_decay,
                                               lo=0.0, allow_none=True)
        self.epsilon = _check_number(c, "epsilon", epsilon, lo=0.0)
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = _check_number(c, "momentum", momentum, lo=0.0, hi=1.0)
        self.ns_steps = int(_check_number(c, "ns_steps", ns_steps, lo=0))
        self.nesterov = bool(nesterov)
        self.exclude_embeddings = bool(exclude_embeddings)
        self.exclude_layers = list(exclude_layers or [])
        self.rms_rate = rms_rate
        self.momentums: list[Any] = []
        self.adam_velocities: list[Any] = []

    def _should_use_adamw(self, variable: Any) -> bool:
        import re

        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", getattr(variable, "name", "")))
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(k, path) for k in self.exclude_layers)

    def build(self, variables: Any) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums, self.adam_velocities = [], []
        for var in self._trainable_variables:
            self.momentums.append(self.add_variable_from_reference(var, "momentum"))
            self.adam_velocities.append(self.add_variable_from_reference(var, "velocity")
                                        if self._should_use_adamw(var) else None)

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        i = self.variable_index(variable)
        m, v = self.momentums[i], self.adam_velocities[i]
        if v is not None:
            self._adamw_step(gradient, variable, ops.multiply(learning_rate,
                                                              self.adam_lr_ratio), m, v)
        else:
            self._muon_step(gradient, variable, learning_rate, m)

    def _muon_step(self, gradient: Any, variable: Any, lr: Any, m: Any) -> None:
        m.assign(ops.add(m, ops.add(gradient, ops.multiply(m, self.momentum - 1.0))))
        g = ops.add(gradient, ops.multiply(m, self.momentum)) if self.nesterov else m
        update = ops.multiply(ops.cast(lr, variable.dtype),
                              self._newton_schulz5(g, self.ns_steps))
        if self.rms_rate is not None:
            rows, cols = update.shape[0], update.shape[1]
            update = ops.multiply(update, float(max(rows, cols)) ** 0.5 * self.rms_rate)
        variable.assign(ops.subtract(variable, update))

    def _adamw_step(self, gradient: Any, variable: Any, learning_rate: Any, m: Any,
                    v: Any) -> None:
        dtype = variable.dtype
        lr = ops.cast(learning_rate, dtype)
        t = _step(self, dtype)
        b1p = ops.power(ops.cast(self.adam_beta_1, dtype), t)
        b2p = ops.power(ops.cast(self.adam_beta_2, dtype), t)
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1.0, b2p))),
                           ops.subtract(1.0, b1p))
        m.assign(ops.add(m, ops.multiply(ops.subtract(gradient, m), 1.0 - self.adam_beta_1)))
        v.assign(ops.add(v, ops.multiply(ops.subtract(ops.square(gradient), v),
                                         1.0 - self.adam_beta_2)))
        variable.assign(ops.subtract(variable, ops.divide(ops.multiply(m, alpha),
                                                          ops.add(ops.sqrt(v), self.epsilon))))

    @staticmethod
    def _t(x: Any) -> Any:
        order = list(range(len(x.shape)))
        order[-2], order[-1] = order[-1], order[-2]
        return ops.transpose(x, order)

    def _newton_schulz5(self, x: Any, steps: int) -> Any:
        """The quintic Newton-Schulz iteration towards the orthogonal factor of ``x``."""
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = self._t(x)
        norm = ops.sqrt(ops.sum(ops.square(x), axis=(-2, -1), keepdims=True))
        x = ops.divide(x, ops.add(norm, 1e-7))
        for _ in range(steps):
            xxt = ops.matmul(x, self._t(x))
            poly = ops.add(ops.multiply(xxt, b), ops.multiply(ops.matmul(xxt, xxt), c))
            x = ops.add(ops.multiply(x, a), ops.matmul(poly, x))
        return self._t(x) if tall else x

    def _apply_weight_decay(self, variables: Any, lr: Any) -> None:
        for var in variables:
            if not self._use_weight_decay(var):
                continue
            wd = self.adam_weight_decay if self._should_use_adamw(var) else self.weight_decay
            if wd is None:
                continue
            var.assign(ops.subtract(var, ops.multiply(ops.multiply(var, float(wd)),
                                                      ops.cast(lr, var.dtype))))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}


class LossScaleOptimizer(Optimizer):
    """Dynamic loss scaling around ``inner_optimizer`` (for float16 training): the loss
    is multiplied by ``dynamic_scale`` (:meth:`scale_loss`) and the gradients divided by
    it; a step with a non-finite gradient is skipped and halves the scale, and
    ``dynamic_growth_steps`` finite steps in a row double it.

    Branch-free, as every update here: the inner step is computed, then kept or undone
    per variable with ``where`` on the finiteness of the gradients, so it also runs
    inside a traced training step.
    """

    default_name = "loss_scale_optimizer"

    def __init__(self, inner_optimizer: Any, initial_scale: float = 2.0 ** 15,
                 dynamic_growth_steps: int = 2000, name: str | None = None,
                 **kwargs: Any) -> None:
        from tensorweave.errors import InvalidArgumentError, describe

        where = "LossScaleOptimizer"
        if not kwargs.pop("dynamic", True):
            raise InvalidArgumentError(describe(where, "dynamic", "True (for a fixed scale "
                                                "set loss_scale_factor on the inner "
                                                "optimizer)", False))
        defaults = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                    "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None, "loss_scale_factor": None,
                    "gradient_accumulation_steps": None}
        for key, default in defaults.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise InvalidArgumentError(describe(where, key, f"{default!r} (set {key} on "
                                                    "the inner_optimizer)", "another value"))
        if kwargs:
            raise InvalidArgumentError(f"{where}: unsupported argument(s) {sorted(kwargs)}")
        if not isinstance(inner_optimizer, Optimizer):
            raise InvalidArgumentError(describe(where, "inner_optimizer", "an Optimizer",
                                                type(inner_optimizer).__name__))
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = _check_number(where, "initial_scale", initial_scale, lo=0.0,
                                           lo_open=True)
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps,
                                                                      int) \
                or dynamic_growth_steps < 1:
            raise InvalidArgumentError(describe(where, "dynamic_growth_steps",
                                                "a positive int", repr(dynamic_growth_steps)))
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, variables: Any) -> None:
        if self.built:
            return
        variables = list(variables)
        self.step_counter = self.add_variable((), 0, "int32", "step_counter")
        self.dynamic_scale = self.add_variable((), float(self.initial_scale), "float32",
                                               "dynamic_scale")
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self) -> list[Any]:
        return list(self._variables) + list(self.inner_optimizer.variables)

    @property
    def learning_rate(self) -> Any:
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if getattr(self, "inner_optimizer", None) is None:  # the base's own initial 0.0
            Optimizer.learning_rate.fset(self, value)  # type: ignore[attr-defined]
            return
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self) -> Any:
        return self.inner_optimizer.iterations

    def check_finite(self, grads: Any) -> Any:
        """Whether every gradient entry is finite (a boolean scalar tensor)."""
        flags = [ops.all(ops.isfinite(g)) for g in grads if g is not None]
        return ops.all(ops.stack(flags)) if flags else ops.convert_to_tensor(True)

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        from .base import as_value

        grads = list(grads)
        if not grads:
            return
        if not self.built:
            if trainable_variables is None:
                from tensorweave.errors import InvalidArgumentError

                raise InvalidArgumentError("LossScaleOptimizer.apply: build the optimizer "
                                           "first or pass trainable_variables")
            self.build(trainable_variables)
        tvs = list(trainable_variables) if trainable_variables is not None else \
            list(self._trainable_variables)
        grads = [None if g is None else (g if ops.is_tensor(g) else ops.convert_to_tensor(g))
                 for g in grads]
        finite = self.check_finite(grads)
        touched = tvs + list(self.inner_optimizer.variables)
        before = [ops.copy(as_value(v)) for v in touched]
        scale = as_value(self.dynamic_scale)
        self.inner_optimizer.apply(
            [None if g is None else ops.divide(g, ops.cast(scale, g.dtype)) for g in grads],
            trainable_variables=trainable_variables)
        for v, old in zip(touched, before):
            v.assign(ops.where(finite, as_value(v), old))
        step = as_value(self.step_counter)
        grow = ops.equal(step, self.dynamic_growth_steps - 1)
        new_step = ops.where(ops.logical_and(finite, ops.logical_not(grow)),
                             ops.add(step, 1), ops.zeros_like(step))
        factor = ops.where(finite, ops.where(grow, 2.0, 1.0), 0.5)
        self.step_counter.assign(new_step)
        self.dynamic_scale.assign(ops.multiply(scale, ops.cast(factor, scale.dtype)))

    def scale_loss(self, loss: Any) -> Any:
        """``loss * dynamic_scale`` (the initial scale before the first build)."""
        from .base import as_value

        scale = as_value(self.dynamic_scale) if self.built else self.initial_scale
        return ops.multiply(loss, scale)

    def finalize_variable_values(self, var_list: Any) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name,
                "inner_optimizer": {"class_name": type(self.inner_optimizer).__name__,
                                    "config": self.inner_optimizer.get_config()},
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        from tensorweave._serial import deserialize_with
        from tensorweave.registries import registry

        config = dict(config)
        inner = deserialize_with(lambda c: registry("optimizers").get(c, instantiate=True),
                                 config.pop("inner_optimizer"), custom_objects)
        return cls(inner, **config)


class OptimizerMap(MutableMapping):
    """Which optimizer trains which variable: keys are variable paths or regular
    expressions matched in full against them (``"dense_1/.*"``); a variable no key
    matches gets ``default_optimizer``. Calling the map with a variable gives its
    optimizer (what :class:`MultiOptimizer` does)."""

    def __init__(self, default_optimizer: Any, optimizer_map: dict | None = None) -> None:
        from tensorweave.errors import InvalidArgumentError, describe

        if not isinstance(default_optimizer, Optimizer):
            raise InvalidArgumentError(describe("OptimizerMap", "default_optimizer",
                                                "an Optimizer",
                                                type(default_optimizer).__name__))
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise InvalidArgumentError(describe("OptimizerMap", "optimizer_map",
                                                "a dict of path pattern -> Optimizer",
                                                type(optimizer_map).__name__))
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Any] = {}
        for key, opt in (optimizer_map or {}).items():
            self[key] = opt

    @property
    def default_optimizer(self) -> Any:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Any:
        import re

        if key in self._optimizer_map:
            return self._optimizer_map[key]
        hits = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(hits) > 1:
            from tensorweave.errors import InvalidArgumentError

            raise InvalidArgumentError(f"OptimizerMap: variable {key!r} matches several "
                                       f"patterns {hits}; exactly one may match")
        return self._optimizer_map[hits[0]] if hits else self._default_optimizer

    def __setitem__(self, key: str, optimizer: Any) -> None:
        from tensorweave.errors import InvalidArgumentError, describe

        if key in self._optimizer_map:
            raise InvalidArgumentError(describe("OptimizerMap", "key", "a new key",
                                                f"{key!r}, already mapped"))
        if not isinstance(key, str):
            raise InvalidArgumentError(describe("OptimizerMap", "key", "a string",
                                                repr(key)))
        if not isinstance(optimizer, Optimizer) or isinstance(
                optimizer, (LossScaleOptimizer, MultiOptimizer)):
            raise InvalidArgumentError(describe(
                "OptimizerMap", "optimizer",
                "an Optimizer (not a LossScaleOptimizer or MultiOptimizer)",
                type(optimizer).__name__))
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Any:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Any:
        return self[str(getattr(variable, "path", getattr(variable, "name", "")))]

    def get_config(self) -> dict[str, Any]:
        def ser(o: Any) -> dict[str, Any]:
            return {"class_name": type(o).__name__, "config": o.get_config()}

        return {"default_optimizer": ser(self._default_optimizer),
                "optimizer_map": {k: ser(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> OptimizerMap:
        from tensorweave._serial import deserialize_with
        from tensorweave.registries import registry

        def de(c: Any) -> Any:
            return deserialize_with(lambda x: registry("optimizers").get(x), c,
                                    custom_objects)

        return cls(de(config["default_optimizer"]),
                   {k: de(v) for k, v in (config.get("optimizer_map") or {}).items()})


class MultiOptimizer(Optimizer):
    """Train different variables with different optimizers: ``optimizer_map`` (an
    :class:`OptimizerMap`, or any callable ``variable -> Optimizer``) picks each
    variable's optimizer; each inner optimizer is built on and updates its own
    variables. ``variables`` are this optimizer's own (iterations, learning rate) then
    each inner optimizer's, in order."""

    default_name = "multi_optimizer"

    def __init__(self, optimizer_map: Any, loss_scale_factor: float | None = None,
                 name: str | None = None) -> None:
        self._inner_optimizers: list[Any] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        if hasattr(optimizer_map, "values"):
            for opt in optimizer_map.values():
                if not any(opt is o for o in self._inner_optimizers):
                    opt.loss_scale_factor = loss_scale_factor
                    self._inner_optimizers.append(opt)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None and not any(default is o for o in self._inner_optimizers):
            default.loss_scale_factor = loss_scale_factor
            self._inner_optimizers.append(default)

    @property
    def loss_scale_factor(self) -> Any:
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Any) -> None:
        self._loss_scale_factor = value
        for opt in getattr(self, "_inner_optimizers", ()):
            opt.loss_scale_factor = value

    def build(self, variables: Any) -> None:
        from tensorweave.errors import InvalidArgumentError, describe

        if self.built:
            return
        variables = list(variables)
        self._var_to_optimizer_idx: dict[int, int] = {}
        groups: list[list[Any]] = [[] for _ in self._inner_optimizers]
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer) or isinstance(opt, (LossScaleOptimizer,
                                                                  MultiOptimizer)):
                raise InvalidArgumentError(describe(
                    "MultiOptimizer", "optimizer_map",
                    "an Optimizer (not a LossScaleOptimizer or MultiOptimizer) for every "
                    "variable", f"{type(opt).__name__} for {getattr(var, 'path', var)!r}"))
            idx = next((i for i, o in enumerate(self._inner_optimizers) if o is opt), None)
            if idx is None:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
                groups.append([])
                idx = len(self._inner_optimizers) - 1
            self._var_to_optimizer_idx[id(var)] = idx
            groups[idx].append(var)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.build(group)
        super().build(variables)

    @property
    def optimizers(self) -> list[Any]:
        return list(self._inner_optimizers)

    @property
    def variables(self) -> list[Any]:
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self) -> Any:
        raise AttributeError("MultiOptimizer has no single learning rate; use those of its "
                             "optimizers (multi_optimizer.optimizers)")

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if not getattr(self, "_inner_optimizers", None) and self._learning_rate is None:
            Optimizer.learning_rate.fset(self, value)  # type: ignore[attr-defined]
            return
        raise AttributeError("MultiOptimizer has no single learning rate; set those of its "
                             "optimizers (multi_optimizer.optimizers)")

    def apply(self, grads: Any, trainable_variables: Any = None) -> None:
        from tensorweave.errors import InvalidArgumentError

        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise InvalidArgumentError("MultiOptimizer.apply: build the optimizer first "
                                           "or pass trainable_variables")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables):
            raise InvalidArgumentError(f"MultiOptimizer.apply: {len(grads)} gradients for "
                                       f"{len(self._trainable_variables)} variables")
        groups: list[list[tuple[Any, Any]]] = [[] for _ in self._inner_optimizers]
        for g, v in zip(grads, trainable_variables):
            groups[self._var_to_optimizer_idx[id(v)]].append((g, v))
        for opt, pairs in zip(self._inner_optimizers, groups):
            if pairs:
                opt.apply([g for g, _ in pairs], [v for _, v in pairs])
        self._iterations.assign(ops.add(self._iterations, 1))

    def finalize_variable_values(self, var_list: Any) -> None:
        groups: list[list[Any]] = [[] for _ in self._inner_optimizers]
        for v in var_list:
            groups[self._var_to_optimizer_idx[id(v)]].append(v)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.finalize_variable_values(group)

    def save_own_variables(self, store: dict) -> None:
        for i, v in enumerate(self.variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: dict) -> None:
        from tensorweave.errors import SerializationError

        variables = self.variables
        if len(store) != len(variables):
            raise SerializationError(f"MultiOptimizer {self.name!r}: the store holds "
                                     f"{len(store)} variables, the optimizer "
                                     f"{len(variables)} (build it first)")
        for i, v in enumerate(variables):
            v.assign(store[str(i)])

    def get_weights(self) -> list[Any]:
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights: Any) -> None:
        self.load_own_variables({str(i): w for i, w in enumerate(weights)})

    def get_config(self) -> dict[str, Any]:
        om = self._optimizer_map
        om_cfg = ({"class_name": "OptimizerMap", "config": om.get_config()}
                  if isinstance(om, OptimizerMap) else None)
        return {"optimizer_map": om_cfg, "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Any:
        config = dict(config)
        om = config.pop("optimizer_map")
        if isinstance(om, dict):
            om = OptimizerMap.from_config(om.get("config", om), custom_objects)
        return cls(om, **config)
