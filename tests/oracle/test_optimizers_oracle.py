"""Optimizers and learning-rate schedules against real Keras 3: the same variables, the
same gradient sequence, several steps, compared after every step (variables and the
optimizer's own variables); weight decay, the three clippings, EMA, gradient
accumulation, loss scaling and schedules included; ``get_config`` key by key."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

STEPS = 4

CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True, "learning_rate": 0.01}),
    ("Adam", {"clipnorm": 0.5}),
    ("Adam", {"global_clipnorm": 0.5}),
    ("Adam", {"clipvalue": 0.1}),
    ("Adam", {"use_ema": True, "ema_momentum": 0.9}),
    ("Adam", {"use_ema": True, "ema_overwrite_frequency": 2}),
    ("Adam", {"gradient_accumulation_steps": 2}),
    ("Adam", {"loss_scale_factor": 4.0}),
    ("AdamW", {}),
    ("AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("Nadam", {}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adamax", {"weight_decay": 0.05}),
    ("Lion", {}),
    ("Lion", {"beta_1": 0.8, "beta_2": 0.95, "weight_decay": 0.1}),
    ("Lamb", {}),
    ("Lamb", {"learning_rate": 0.01, "weight_decay": 0.01, "clipnorm": 1.0}),
    ("Adafactor", {}),
    ("Adafactor", {"learning_rate": 0.5, "relative_step": False, "clip_threshold": 0.5}),
    ("Ftrl", {}),
    ("Ftrl", {"learning_rate": 0.1, "l1_regularization_strength": 0.01,
              "l2_regularization_strength": 0.02, "l2_shrinkage_regularization_strength": 0.01,
              "beta": 0.1, "learning_rate_power": -0.7}),
    ("ScheduleFreeAdamW", {}),
    ("ScheduleFreeAdamW", {"warmup_steps": 3, "weight_decay": 0.01, "learning_rate": 0.01}),
    ("Muon", {}),
    ("Muon", {"nesterov": False, "rms_rate": None, "adam_lr_ratio": 0.5, "ns_steps": 3,
              "weight_decay": None}),
]


def _ids(cases: list) -> list[str]:
    return [f"{n}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for n, kw in cases]


def _run(lib: Any, name: str, kwargs: dict, init: list, grads: list) -> tuple[list, list, Any]:
    is_keras = lib.__name__ == "keras"
    variables = [lib.Variable(v, name=f"v{i}") if is_keras else tw.Variable(v, name=f"v{i}")
                 for i, v in enumerate(init)]
    opt = getattr(lib.optimizers, name)(**kwargs)
    history = []
    for step in grads:
        opt.apply([np.asarray(g) for g in step], variables)
        history.append([np.asarray(v.numpy() if not is_keras else v.value) for v in variables])
    return history, [np.asarray(v.numpy() if not is_keras else v.value)
                     for v in opt.variables], opt


@pytest.mark.parametrize("name,kwargs", CASES, ids=_ids(CASES))
def test_optimizer_steps(keras: Any, rng: np.random.Generator, close: Any, name: str,
                         kwargs: dict) -> None:
    init = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    grads = [[rng.normal(size=v.shape).astype("float32") for v in init] for _ in range(STEPS)]
    ours, ours_state, o = _run(tw, name, kwargs, init, grads)
    theirs, theirs_state, k = _run(keras, name, kwargs, init, grads)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, rtol=1e-5, atol=1e-6, what=f"{name}{kwargs} step {step} var {i}")
    assert len(ours_state) == len(theirs_state), "number of optimizer variables"
    for i, (x, y) in enumerate(zip(ours_state, theirs_state)):
        close(x, y, rtol=1e-5, atol=1e-6, what=f"{name}{kwargs} optimizer variable {i}",
              check_dtype=False)
    if kwargs.get("use_ema"):
        o.finalize_variable_values(o._trainable_variables)
        k.finalize_variable_values(k._trainable_variables)
        for x, y in zip(o._trainable_variables, k._trainable_variables):
            close(x.numpy(), np.asarray(y.value), what=f"{name} finalize_variable_values")
    _same_config(o.get_config(), k.get_config())


def _same_config(ours: dict, theirs: dict) -> None:
    """Equal configs, but: Keras numbers repeated names (``adam_1``) and snake-cases
    them (``sgd``, ``adam_w``), and reports a numeric rate as its float32 value (ours is
    the float given)."""
    ours, theirs = dict(ours), dict(theirs)
    on, kn = ours.pop("name"), theirs.pop("name")
    base = kn.rstrip("0123456789").rstrip("_").lower().replace("_", "")
    assert on.lower().replace("_", "") == base or on == kn, (on, kn)
    lo, lk = ours.pop("learning_rate"), theirs.pop("learning_rate")
    if isinstance(lo, float):
        assert float(np.float32(lo)) == lk, (lo, lk)
    else:  # a schedule: Keras adds its module and registered_name
        assert (lo["class_name"], lo["config"]) == (lk["class_name"], lk["config"])
    assert ours == theirs


@pytest.mark.parametrize("name", sorted({c[0] for c in CASES}))
def test_default_config(keras: Any, name: str) -> None:
    _same_config(getattr(tw.optimizers, name)().get_config(),
                 getattr(keras.optimizers, name)().get_config())


SCHEDULES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 3, "decay_rate": 0.5,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [2, 5], "values": [0.1, 0.05, 0.01]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 6}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 4,
                         "end_learning_rate": 0.01, "power": 2.0, "cycle": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5,
                          "staircase": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 6}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 6, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 6, "warmup_target": 0.1,
                     "warmup_steps": 3}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 3}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 4,
                             "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.2, "first_decay_steps": 2,
                             "t_mul": 1.5, "m_mul": 0.8}),
]


@pytest.mark.parametrize("name,kwargs", SCHEDULES, ids=_ids(SCHEDULES))
def test_schedule(keras: Any, close: Any, name: str, kwargs: dict) -> None:
    ours = getattr(tw.optimizers.schedules, name)(**kwargs)
    theirs = getattr(keras.optimizers.schedules, name)(**kwargs)
    for step in (0, 1, 2, 3, 5, 7, 10, 20):
        close(ours(step), theirs(step), rtol=1e-5, atol=1e-7, what=f"{name} step {step}",
              check_dtype=False)
    assert ours.get_config() == theirs.get_config()


def test_schedule_serialize(keras: Any) -> None:
    for name, kwargs in SCHEDULES:
        ours = tw.optimizers.schedules.serialize(getattr(tw.optimizers.schedules, name)(
            **kwargs))
        theirs = keras.optimizers.schedules.serialize(getattr(keras.optimizers.schedules,
                                                              name)(**kwargs))
        assert (ours["class_name"], ours["config"]) == (theirs["class_name"], theirs["config"])
        back = tw.optimizers.schedules.deserialize(theirs)
        assert type(back).__name__ == name and back.get_config() == theirs["config"]


def test_schedule_in_optimizer(keras: Any, rng: np.random.Generator, close: Any) -> None:
    init = [rng.normal(size=(4,)).astype("float32")]
    grads = [[rng.normal(size=(4,)).astype("float32")] for _ in range(STEPS)]
    sched = {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}
    ours, _, o = _run(tw, "SGD", {"learning_rate": tw.optimizers.schedules.ExponentialDecay(
        **sched), "momentum": 0.5}, init, grads)
    theirs, _, k = _run(keras, "SGD", {"learning_rate": keras.optimizers.schedules.
                                       ExponentialDecay(**sched), "momentum": 0.5}, init, grads)
    for a, b in zip(ours, theirs):
        close(a[0], b[0])
    _same_config(o.get_config(), k.get_config())


@pytest.mark.parametrize("inner,kwargs", [("SGD", {"momentum": 0.9}), ("Adam", {})])
def test_loss_scale_optimizer(keras: Any, rng: np.random.Generator, close: Any, inner: str,
                              kwargs: dict) -> None:
    """Finite steps grow the scale every ``dynamic_growth_steps``; a step with an inf
    gradient is skipped and halves it; the state matches Keras's after every step."""
    init = [rng.normal(size=(3, 2)).astype("float32"), rng.normal(size=(2,)).astype("float32")]
    grads = [[rng.normal(size=v.shape).astype("float32") * 100 for v in init]
             for _ in range(6)]
    grads[2][1][0] = np.inf
    grads[4][0][1, 1] = np.nan
    o = tw.optimizers.LossScaleOptimizer(getattr(tw.optimizers, inner)(**kwargs),
                                         initial_scale=8.0, dynamic_growth_steps=2)
    variables = [tw.Variable(v) for v in init]
    ours = []
    for step in grads:
        o.apply([np.asarray(g) for g in step], variables)
        ours.append([v.numpy() for v in list(variables) + list(o.variables)])
    # Keras's eager JAX apply leaks a tracer out of its cond: use its stateless form
    k = keras.optimizers.LossScaleOptimizer(getattr(keras.optimizers, inner)(**kwargs),
                                            initial_scale=8.0, dynamic_growth_steps=2)
    kvars = [keras.Variable(v) for v in init]
    k.build(kvars)
    tv = [v.value for v in kvars]
    ov = [v.value for v in k.variables]
    theirs = []
    for step in grads:
        tv, ov = k.stateless_apply(ov, [np.asarray(g) for g in step], tv)
        theirs.append([np.asarray(x) for x in list(tv) + list(ov)])
    for var, value in zip(k.variables, ov):
        var.assign(value)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert len(a) == len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, rtol=1e-5, atol=1e-6, what=f"LSO({inner}) step {step} var {i}",
                  check_dtype=False)
    close(o.scale_loss(np.float32(2.0)), k.scale_loss(np.float32(2.0)), check_dtype=False)
    ours_cfg, theirs_cfg = o.get_config(), k.get_config()
    oi, ki = ours_cfg.pop("inner_optimizer"), theirs_cfg.pop("inner_optimizer")
    assert oi["class_name"] == ki["class_name"]
    _same_config(oi["config"], ki["config"])
    ours_cfg.pop("name"), theirs_cfg.pop("name")
    assert ours_cfg == theirs_cfg
    back = tw.optimizers.LossScaleOptimizer.from_config(o.get_config())
    assert type(back.inner_optimizer).__name__ == inner


def test_multi_optimizer(keras: Any, rng: np.random.Generator, close: Any) -> None:
    """Variables routed by path pattern to their optimizers; state and config as Keras."""
    init = {"dense/kernel": rng.normal(size=(3, 2)).astype("float32"),
            "dense/bias": rng.normal(size=(2,)).astype("float32"),
            "head/kernel": rng.normal(size=(2, 2)).astype("float32")}
    grads = [[rng.normal(size=v.shape).astype("float32") for v in init.values()]
             for _ in range(STEPS)]
    results = []
    for lib in (tw, keras):
        variables = [lib.Variable(v, name=k.split("/")[1]) for k, v in init.items()]
        for var, path in zip(variables, init):
            if lib is tw:
                var.path = path
            else:
                var._path = path
        omap = lib.optimizers.OptimizerMap(lib.optimizers.SGD(0.1, momentum=0.5),
                                           {"head/.*": lib.optimizers.Adam(0.01)})
        opt = lib.optimizers.MultiOptimizer(omap)
        hist = []
        for step in grads:
            opt.apply([np.asarray(g) for g in step], variables)
            hist.append([np.asarray(v.numpy() if lib is tw else v.value)
                         for v in list(variables) + list(opt.variables)])
        results.append((hist, opt))
    (ours, o), (theirs, k) = results
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert len(a) == len(b)
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, rtol=1e-5, atol=1e-6, what=f"MultiOptimizer step {step} var {i}",
                  check_dtype=False)
    assert [type(x).__name__ for x in o.optimizers] == [type(x).__name__ for x in k.optimizers]
    back = tw.optimizers.MultiOptimizer.from_config(o.get_config())
    assert [type(x).__name__ for x in back.optimizers] == ["Adam", "SGD"]
    with pytest.raises(AttributeError):
        o.learning_rate  # noqa: B018  (the access itself must fail, as in Keras)
