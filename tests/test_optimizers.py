"""Optimizers and learning-rate schedules (the built-in ``optimizers`` plugin).

The oracle is an independent NumPy re-implementation of each update rule, written from
the Keras 3 formulas (``keras/src/optimizers/*.py``) in float32, run next to tensorweave on
a small quadratic. Every trajectory is checked twice: eagerly, and inside ``tw.jit`` with a
:class:`StatelessScope` that maps every variable to a traced input (the way the trainer
compiles a training step); both must match the oracle and each other, and changing the
learning rate between compiled steps must not retrace.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, SerializationError, TensorweaveError
from tensorweave.plugins.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateNotSettableError,
    Nadam,
    PiecewiseConstantDecay,
    PolynomialDecay,
    RMSprop,
)
from tensorweave.variables import StatelessScope, Variable

o = tw.ops
f32 = np.float32
RTOL, ATOL = 2e-6, 1e-6
STEPS = 5

# the quadratic: loss = sum(0.5 * A * w^2 + B * w), so grad = A * w + B
W0 = [np.array([1.0, -2.0, 3.0], f32), np.array([[0.5, -0.25], [2.0, -1.5]], f32)]
A = [np.array([2.0, 0.5, 1.0], f32), np.array([[1.0, 3.0], [0.2, 4.0]], f32)]
B = [np.array([0.1, -0.3, 0.0], f32), np.array([[0.0, 0.5], [-1.0, 0.25]], f32)]


def np_grads(ws):
    return [a * w + b for a, w, b in zip(A, ws, B)]


def tw_grad(i, var):
    return o.add(o.multiply(var, A[i]), B[i])


# ---- the NumPy oracle --------------------------------------------------------------------------
class Oracle:
    """Keras 3's rules in float32 NumPy: clip -> weight decay -> update -> t += 1."""

    def __init__(self, kind, lr=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 weight_decay=None, decay=0.0, schedule=None, **hp):
        self.kind, self.hp = kind, hp
        self.lr = f32(lr) if lr is not None else None
        self.schedule = schedule
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.wd, self.decay = weight_decay, decay
        self.t = 0
        self.s: dict = {}
        self.u_product = f32(1.0)

    def slot(self, name, i, like, init=0.0):
        return self.s.setdefault((name, i), np.full_like(like, f32(init)))

    def current_lr(self):
        lr = f32(self.schedule(self.t)) if self.schedule else self.lr
        if self.decay:
            lr = f32(lr / (f32(1) + f32(self.decay) * f32(self.t)))
        return lr

    def clip(self, gs):
        if self.clipnorm:
            c = f32(self.clipnorm)
            return [g * c / max(f32(np.sqrt(np.sum(g * g))), c) for g in gs]
        if self.global_clipnorm:
            c = f32(self.global_clipnorm)
            n = f32(np.sqrt(sum(np.sum(g * g) for g in gs)))
            return [g * (c / max(n, c)) for g in gs]
        if self.clipvalue:
            return [np.clip(g, -f32(self.clipvalue), f32(self.clipvalue)) for g in gs]
        return gs

    def step(self, ws, gs):
        lr = self.current_lr()
        gs = self.clip([g.astype(f32) for g in gs])
        if self.wd is not None:
            ws = [w - w * f32(self.wd) * lr for w in ws]
        t = f32(self.t + 1)
        if self.kind == "nadam":
            b1 = f32(self.hp.get("beta_1", 0.9))
            self.u_product = self.u_product * (b1 * (f32(1) - f32(0.5) * f32(0.96) ** t))
        ws = [getattr(self, "_" + self.kind)(i, w, g, lr, t) for i, (w, g) in
              enumerate(zip(ws, gs))]
        self.t += 1
        return ws

    def _sgd(self, i, w, g, lr, t):
        mom = f32(self.hp.get("momentum", 0.0))
        if mom == 0:
            return w - g * lr
        m = self.slot("m", i, w)
        m = m * mom - g * lr
        self.s[("m", i)] = m
        if self.hp.get("nesterov"):
            return w + (m * mom - g * lr)
        return w + m

    def _adam(self, i, w, g, lr, t):
        b1p, b2p = self.hp.get("beta_1", 0.9), self.hp.get("beta_2", 0.999)
        b1, b2 = f32(b1p), f32(b2p)
        eps = f32(self.hp.get("epsilon", 1e-7))
        m, v = self.slot("m", i, w), self.slot("v", i, w)
        alpha = lr * np.sqrt(f32(1) - b2 ** t) / (f32(1) - b1 ** t)
        # Keras writes ``1 - self.beta_1`` on Python floats, then rounds to float32
        m = m + (g - m) * f32(1 - b1p)
        v = v + (g * g - v) * f32(1 - b2p)
        self.s[("m", i)], self.s[("v", i)] = m, v
        if self.hp.get("amsgrad"):
            vh = np.maximum(self.slot("vh", i, w), v)
            self.s[("vh", i)] = vh
            v = vh
        return w - m * alpha / (np.sqrt(v) + eps)

    _adamw = _adam

    def _nadam(self, i, w, g, lr, t):
        b1, b2 = f32(self.hp.get("beta_1", 0.9)), f32(self.hp.get("beta_2", 0.999))
        eps = f32(self.hp.get("epsilon", 1e-7))
        u_t = b1 * (f32(1) - f32(0.5) * f32(0.96) ** t)
        u_t1 = b1 * (f32(1) - f32(0.5) * f32(0.96) ** (t + f32(1)))
        up_t = self.u_product
        up_t1 = up_t * u_t1
        m, v = self.slot("m", i, w), self.slot("v", i, w)
        m = m + (g - m) * (f32(1) - b1)
        v = v + (g * g - v) * (f32(1) - b2)
        self.s[("m", i)], self.s[("v", i)] = m, v
        m_hat = u_t1 * m / (f32(1) - up_t1) + (f32(1) - u_t) * g / (f32(1) - up_t)
        v_hat = v / (f32(1) - b2 ** t)
        return w - m_hat * lr / (np.sqrt(v_hat) + eps)

    def _rmsprop(self, i, w, g, lr, t):
        rhop = self.hp.get("rho", 0.9)
        rho, mom = f32(rhop), f32(self.hp.get("momentum", 0.0))
        eps = f32(self.hp.get("epsilon", 1e-7))
        v = rho * self.slot("v", i, w) + f32(1 - rhop) * (g * g)
        self.s[("v", i)] = v
        if self.hp.get("centered"):
            a = rho * self.slot("a", i, w) + f32(1 - rhop) * g
            self.s[("a", i)] = a
            den = v - a * a + eps
        else:
            den = v + eps
        inc = lr * g / np.sqrt(den)
        if mom > 0:
            mm = mom * self.slot("mom", i, w) + inc
            self.s[("mom", i)] = mm
            return w - mm
        return w - inc

    def _adagrad(self, i, w, g, lr, t):
        eps = f32(self.hp.get("epsilon", 1e-7))
        acc = self.slot("acc", i, w, self.hp.get("initial_accumulator_value", 0.1)) + g * g
        self.s[("acc", i)] = acc
        return w - lr * g / np.sqrt(acc + eps)

    def _adadelta(self, i, w, g, lr, t):
        rhop = self.hp.get("rho", 0.95)
        rho, eps = f32(rhop), f32(self.hp.get("epsilon", 1e-7))
        eg = rho * self.slot("eg", i, w) + f32(1 - rhop) * (g * g)
        ed = self.slot("ed", i, w)
        d = -(np.sqrt(ed + eps) * g / np.sqrt(eg + eps))
        self.s[("eg", i)] = eg
        self.s[("ed", i)] = rho * ed + f32(1 - rhop) * (d * d)
        return w + lr * d

    def _adamax(self, i, w, g, lr, t):
        b1p = self.hp.get("beta_1", 0.9)
        b1, b2 = f32(b1p), f32(self.hp.get("beta_2", 0.999))
        eps = f32(self.hp.get("epsilon", 1e-7))
        m = self.slot("m", i, w) + (g - self.slot("m", i, w)) * f32(1 - b1p)
        u = np.maximum(b2 * self.slot("u", i, w), np.abs(g))
        self.s[("m", i)], self.s[("u", i)] = m, u
        return w - lr * m / ((f32(1) - b1 ** t) * (u + eps))


def oracle_trajectory(kind, steps=STEPS, **kw):
    orc = Oracle(kind, **kw)
    ws = [w.copy() for w in W0]
    out = []
    for _ in range(steps):
        ws = orc.step(ws, np_grads(ws))
        out.append([w.copy() for w in ws])
    return out


# ---- running tensorweave eagerly and compiled -------------------------------------------------
def make_vars():
    return [Variable(w.copy(), name=n) for w, n in zip(W0, ("dense/kernel", "dense/bias"))]


def run_eager(opt, variables, steps=STEPS):
    out = []
    for _ in range(steps):
        opt.apply([tw_grad(i, v) for i, v in enumerate(variables)], variables)
        out.append([v.numpy().copy() for v in variables])
    return out


class CompiledStep:
    """A training step as the trainer compiles it: every variable mapped to a traced input
    in a StatelessScope, the new values returned and written back after the call."""

    def __init__(self, opt, variables):
        opt.build(variables)
        self.opt, self.variables = opt, variables
        self.all_vars = list(variables) + opt.variables
        self.fn = tw.jit(self._step)

    def _step(self, values):
        with StatelessScope(dict(zip(self.all_vars, values))) as scope:
            grads = [tw_grad(i, v) for i, v in enumerate(self.variables)]
            self.opt.apply(grads, self.variables)
        return [scope.value_of(v) for v in self.all_vars]

    def __call__(self):
        new = self.fn([v.value for v in self.all_vars])
        for v, n in zip(self.all_vars, new):
            v.assign(n)

    @property
    def traces(self):
        return len(self.fn._cache)


def run_jit(opt, variables, steps=STEPS):
    step = CompiledStep(opt, variables)
    out = []
    for _ in range(steps):
        step()
        out.append([v.numpy().copy() for v in variables])
    assert step.traces == 1, "the compiled step was retraced"
    return out


def assert_trajectories(actual, expected):
    assert len(actual) == len(expected)
    for k, (a_ws, e_ws) in enumerate(zip(actual, expected)):
        for a, e in zip(a_ws, e_ws):
            np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL,
                                       err_msg=f"step {k + 1}")


CASES = {
    "sgd": (SGD, "sgd", dict(learning_rate=0.1)),
    "sgd_momentum": (SGD, "sgd", dict(learning_rate=0.1, momentum=0.9)),
    "sgd_nesterov": (SGD, "sgd", dict(learning_rate=0.1, momentum=0.9, nesterov=True)),
    "adam": (Adam, "adam", dict(learning_rate=0.1)),
    "adam_amsgrad": (Adam, "adam", dict(learning_rate=0.1, amsgrad=True, beta_2=0.9)),
    "adamw": (AdamW, "adamw", dict(learning_rate=0.1, weight_decay=0.05)),
    "nadam": (Nadam, "nadam", dict(learning_rate=0.1)),
    "rmsprop": (RMSprop, "rmsprop", dict(learning_rate=0.05)),
    "rmsprop_centered_momentum": (RMSprop, "rmsprop",
                                  dict(learning_rate=0.05, centered=True, momentum=0.5)),
    "adagrad": (Adagrad, "adagrad", dict(learning_rate=0.5)),
    "adadelta": (Adadelta, "adadelta", dict(learning_rate=1.0)),
    "adamax": (Adamax, "adamax", dict(learning_rate=0.1)),
    "sgd_clipnorm": (SGD, "sgd", dict(learning_rate=0.1, momentum=0.5, clipnorm=0.5)),
    "sgd_clipvalue": (SGD, "sgd", dict(learning_rate=0.1, clipvalue=0.4)),
    "sgd_global_clipnorm": (SGD, "sgd", dict(learning_rate=0.1, global_clipnorm=1.0)),
    "sgd_weight_decay": (SGD, "sgd", dict(learning_rate=0.1, weight_decay=0.1)),
    "adam_clipnorm_wd": (Adam, "adam", dict(learning_rate=0.1, clipnorm=1.0,
                                            weight_decay=0.02)),
    "rmsprop_global_clipnorm": (RMSprop, "rmsprop", dict(learning_rate=0.05,
                                                         global_clipnorm=0.7)),
}


@pytest.mark.parametrize("mode", ["eager", "jit"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_trajectory_matches_numpy_oracle(tw_backend, case, mode):
    cls, kind, kw = CASES[case]
    expected = oracle_trajectory(kind, lr=kw["learning_rate"],
                                 **{k: v for k, v in kw.items() if k != "learning_rate"})
    variables = make_vars()
    opt = cls(**kw)
    actual = (run_eager if mode == "eager" else run_jit)(opt, variables)
    assert_trajectories(actual, expected)
    assert int(opt.iterations) == STEPS


@pytest.mark.parametrize("case", ["adam_amsgrad", "nadam", "rmsprop_centered_momentum",
                                  "adam_clipnorm_wd"])
def test_eager_and_compiled_give_the_same_state(case):
    cls, _, kw = CASES[case]
    v1, v2 = make_vars(), make_vars()
    o1, o2 = cls(**kw), cls(**kw)
    run_eager(o1, v1)
    run_jit(o2, v2)
    for a, b in zip(v1 + o1.variables, v2 + o2.variables):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=RTOL, atol=ATOL)


def test_clipping_never_makes_nan_from_a_zero_gradient():
    w = Variable(np.array([1.0, 2.0], f32))
    for opt in (SGD(0.1, clipnorm=1.0), SGD(0.1, global_clipnorm=1.0)):
        opt.apply([o.zeros((2,))], [w])
        np.testing.assert_array_equal(w.numpy(), [1.0, 2.0])


# ---- the learning rate ---------------------------------------------------------------------
def test_learning_rate_is_a_settable_float_that_does_not_retrace():
    variables = make_vars()
    opt = SGD(learning_rate=0.1, momentum=0.9)
    assert opt.learning_rate == 0.1 and isinstance(opt.learning_rate, float)
    step = CompiledStep(opt, variables)
    orc = Oracle("sgd", lr=0.1, momentum=0.9)
    ws = [w.copy() for w in W0]
    for k in range(6):
        if k == 3:  # what ReduceLROnPlateau does between epochs
            opt.learning_rate = 0.01
            orc.lr = f32(0.01)
        step()
        ws = orc.step(ws, np_grads(ws))
    assert step.traces == 1
    assert opt.learning_rate == 0.01
    for v, w in zip(variables, ws):
        np.testing.assert_allclose(v.numpy(), w, rtol=RTOL, atol=ATOL)


def test_lr_attribute_and_keras2_lr_argument():
    with pytest.warns(DeprecationWarning, match="lr"):
        opt = SGD(lr=0.05)
    assert opt.learning_rate == 0.05
    assert opt.lr == 0.05
    opt.lr = 0.2
    assert opt.learning_rate == 0.2
    opt.learning_rate = np.float32(0.5)  # NumPy scalars are numbers too
    assert opt.learning_rate == 0.5


def test_learning_rate_rejects_bad_values():
    opt = Adam()
    with pytest.raises(InvalidArgumentError, match="learning_rate"):
        opt.learning_rate = "fast"
    with pytest.raises(InvalidArgumentError, match="learning_rate"):
        opt.learning_rate = -1.0
    with pytest.raises(InvalidArgumentError, match="learning_rate"):
        Adam(learning_rate=None)


def test_keras2_decay_is_honoured(tw_backend):
    with pytest.warns(DeprecationWarning, match="decay"):
        opt = SGD(learning_rate=0.1, momentum=0.9, decay=0.5)
    expected = oracle_trajectory("sgd", lr=0.1, momentum=0.9, decay=0.5)
    assert_trajectories(run_jit(opt, make_vars()), expected)
    assert opt.learning_rate == 0.1  # the base rate; the decay applies inside the update
    assert opt.get_config()["decay"] == 0.5


def test_schedule_as_learning_rate_eager_and_compiled(tw_backend):
    sched = ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    expected = oracle_trajectory("adam", lr=None,
                                 schedule=lambda t: 0.1 * 0.5 ** (t / 2))
    assert_trajectories(run_eager(Adam(sched), make_vars()), expected)
    assert_trajectories(run_jit(Adam(sched), make_vars()), expected)


def test_schedule_learning_rate_is_a_tensor_and_not_settable():
    opt = SGD(learning_rate=PiecewiseConstantDecay([2], [1.0, 0.5]))
    assert float(opt.learning_rate) == 1.0
    w = Variable(np.zeros(2, f32))
    for _ in range(3):
        opt.apply([o.ones((2,))], [w])
    assert float(opt.learning_rate) == 0.5
    with pytest.raises(LearningRateNotSettableError, match="schedule|PiecewiseConstantDecay"):
        opt.learning_rate = 0.1
    assert isinstance(LearningRateNotSettableError("x"), TypeError)
    # no learning-rate Variable, and plain SGD has no slots
    assert len(opt.variables) == 1 and opt.variables[0] is opt.iterations


def test_replacing_a_float_rate_with_a_schedule_untracks_the_variable():
    opt = SGD(0.1)
    assert len(opt.variables) == 2
    opt.learning_rate = InverseTimeDecay(0.1, 1, 1.0)
    assert len(opt.variables) == 1
    assert float(opt.learning_rate) == pytest.approx(0.1)


def test_callable_learning_rate():
    opt = SGD(learning_rate=lambda: 0.25)
    w = Variable(np.zeros(1, f32))
    opt.apply([o.ones((1,))], [w])
    np.testing.assert_allclose(w.numpy(), [-0.25])
    with pytest.raises(SerializationError, match="learning_rate"):
        opt.get_config()


# ---- schedules -------------------------------------------------------------------------------
def _cosine(step, init, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    if warmup_target is None:
        s = min(step, decay_steps)
        return init * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
    s = min(step, decay_steps + warmup_steps)
    if s < warmup_steps:
        return (warmup_target - init) * s / warmup_steps + init
    s -= warmup_steps
    return warmup_target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps))
                            + alpha)


def _piecewise(step, boundaries, values):
    for b, v in zip(boundaries, values):
        if step <= b:
            return v
    return values[-1]


SCHEDULES = {
    "exp": (ExponentialDecay(0.1, 10, 0.5), lambda s: 0.1 * 0.5 ** (s / 10)),
    "exp_staircase": (ExponentialDecay(0.1, 10, 0.5, staircase=True),
                      lambda s: 0.1 * 0.5 ** (s // 10)),
    "piecewise": (PiecewiseConstantDecay([5, 15], [1.0, 0.5, 0.1]),
                  lambda s: _piecewise(s, [5, 15], [1.0, 0.5, 0.1])),
    "inverse_time": (InverseTimeDecay(0.1, 5, 0.5), lambda s: 0.1 / (1 + 0.5 * s / 5)),
    "inverse_time_staircase": (InverseTimeDecay(0.1, 5, 0.5, staircase=True),
                               lambda s: 0.1 / (1 + 0.5 * (s // 5))),
    "cosine": (CosineDecay(0.1, 20), lambda s: _cosine(s, 0.1, 20)),
    "cosine_alpha": (CosineDecay(0.1, 20, alpha=0.1), lambda s: _cosine(s, 0.1, 20, 0.1)),
    "cosine_warmup": (CosineDecay(0.0, 20, warmup_target=0.1, warmup_steps=5),
                      lambda s: _cosine(s, 0.0, 20, 0.0, 0.1, 5)),
    "cosine_warmup_zero_steps": (CosineDecay(0.05, 20, warmup_target=0.1, warmup_steps=0),
                                 lambda s: _cosine(s, 0.05, 20, 0.0, 0.1, 0)),
    "polynomial": (PolynomialDecay(0.1, 10, 0.01, power=2.0),
                   lambda s: (0.1 - 0.01) * (1 - min(s, 10) / 10) ** 2 + 0.01),
    "polynomial_cycle": (PolynomialDecay(0.1, 10, 0.01, cycle=True),
                         lambda s: (0.1 - 0.01) * (1 - s / (10 * max(1, math.ceil(s / 10))))
                         + 0.01),
}
STEPS_TO_CHECK = [0, 1, 4, 5, 6, 10, 14, 15, 16, 24, 25, 40]


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_values_match_closed_form(tw_backend, name):
    sched, closed = SCHEDULES[name]
    got_eager = [float(sched(s)) for s in STEPS_TO_CHECK]
    step_var = Variable(0, dtype="int64", trainable=False)
    compiled = tw.jit(lambda: sched(step_var))  # the step is a traced variable read
    got_jit = []
    for s in STEPS_TO_CHECK:
        step_var.assign(s)
        got_jit.append(float(compiled()))
    expected = [closed(s) for s in STEPS_TO_CHECK]
    np.testing.assert_allclose(got_eager, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got_jit, expected, rtol=1e-6, atol=1e-7)
    assert len(compiled._cache) == 1


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_config_round_trip(name):
    sched, _ = SCHEDULES[name]
    again = type(sched).from_config(sched.get_config())
    assert again.get_config() == sched.get_config()
    via_registry = tw.optimizers.schedules.get(
        {"class_name": type(sched).__name__, "config": sched.get_config()})
    assert float(via_registry(7)) == pytest.approx(float(sched(7)))


def test_schedules_are_in_the_registry_namespace():
    ns = tw.optimizers.schedules
    assert ns.ExponentialDecay is ExponentialDecay
    assert ns.CosineDecay is CosineDecay
    assert ns.PiecewiseConstantDecay is PiecewiseConstantDecay
    assert ns.InverseTimeDecay is InverseTimeDecay


def test_schedule_argument_errors():
    with pytest.raises(InvalidArgumentError, match="decay_steps"):
        ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(InvalidArgumentError, match="values"):
        PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(InvalidArgumentError, match="increasing"):
        PiecewiseConstantDecay([5, 2], [1.0, 0.5, 0.1])


def test_piecewise_is_exact_for_large_integer_steps():
    sched = PiecewiseConstantDecay([2**25 + 1], [1.0, 0.5])
    assert float(sched(o.convert_to_tensor(2**25 + 1, "int64"))) == 1.0
    assert float(sched(o.convert_to_tensor(2**25 + 2, "int64"))) == 0.5


# ---- config --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(CASES))
def test_get_config_round_trip(case):
    cls, _, kw = CASES[case]
    opt = cls(**kw)
    config = opt.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    assert config["learning_rate"] == kw["learning_rate"]  # stored as the float given
    via = tw.optimizers.deserialize(tw.optimizers.serialize(opt))
    assert type(via) is cls and via.get_config() == config


def test_config_with_a_schedule_round_trips():
    opt = SGD(learning_rate=CosineDecay(0.1, 100, warmup_target=0.2, warmup_steps=10),
              momentum=0.5)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    again = SGD.from_config(config)
    assert isinstance(again._learning_rate, CosineDecay)
    assert again.get_config() == config


def test_keras_config_keys_at_their_off_value_load():
    opt = Adam.from_config({"learning_rate": 0.01, "use_ema": False, "ema_momentum": 0.99,
                            "ema_overwrite_frequency": None, "loss_scale_factor": None,
                            "gradient_accumulation_steps": None, "name": "adam"})
    assert opt.learning_rate == 0.01
    with pytest.raises(InvalidArgumentError, match="ema_momentum"):
        Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(InvalidArgumentError, match="gradient_accumulation_steps"):
        Adam(gradient_accumulation_steps=1)


# ---- registry and errors ---------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), [("SGD", SGD), ("sgd", SGD), ("Adam", Adam),
                                           ("adam", Adam), ("adamw", AdamW), ("nadam", Nadam),
                                           ("rmsprop", RMSprop), ("adagrad", Adagrad),
                                           ("adadelta", Adadelta), ("adamax", Adamax)])
def test_registered_names(name, cls):
    opt = tw.optimizers.get(name)
    assert type(opt) is cls
    assert getattr(tw.optimizers, cls.__name__) is cls


def test_keras_default_hyperparameters():
    assert SGD().learning_rate == 0.01
    assert Adam().get_config()["epsilon"] == 1e-7
    assert AdamW().weight_decay == 0.004
    assert Adagrad().initial_accumulator_value == 0.1
    assert Adadelta().learning_rate == 0.001 and Adadelta().rho == 0.95
    r = RMSprop()
    assert (r.learning_rate, r.rho, r.momentum, r.epsilon, r.centered) == (0.001, 0.9, 0.0,
                                                                           1e-7, False)


def test_unknown_optimizer_name_lists_known_names():
    with pytest.raises(InvalidArgumentError) as info:
        tw.optimizers.get("adamm")
    msg = str(info.value)
    assert "adamm" in msg
    for known in ("adam", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "adamw"):
        assert known in msg


def test_argument_errors_name_the_optimizer_and_argument():
    with pytest.raises(InvalidArgumentError, match=r"SGD.*momentum"):
        SGD(momentum=1.5)
    with pytest.raises(InvalidArgumentError, match=r"Adam.*unknown argument.*beta1"):
        Adam(beta1=0.9)
    with pytest.raises(InvalidArgumentError, match="at most one"):
        SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(InvalidArgumentError, match="weight_decay"):
        AdamW(weight_decay=None)
    with pytest.raises(InvalidArgumentError, match="clipnorm"):
        SGD(clipnorm=-1.0)
    with pytest.raises(TensorweaveError):
        Adam(beta_1=1.0)


def test_apply_errors():
    w, u = make_vars()
    opt = SGD()
    with pytest.raises(InvalidArgumentError, match="built"):
        opt.apply([o.ones((3,))])
    opt.apply([o.ones((3,))], [w])
    with pytest.raises(InvalidArgumentError, match="unknown variable"):
        opt.apply([o.ones((2, 2))], [u])
    with pytest.raises(TensorweaveError, match="shape"):
        opt.apply([o.ones((4,))], [w])
    with pytest.raises(InvalidArgumentError, match="at least one gradient"):
        opt.apply([None], [w])


def test_none_gradients_are_skipped_with_a_warning():
    w, u = make_vars()
    opt = SGD(0.1)
    with pytest.warns(UserWarning, match="dense/bias"):
        opt.apply([o.ones((3,)), None], [w, u])
    np.testing.assert_allclose(u.numpy(), W0[1])
    np.testing.assert_allclose(w.numpy(), W0[0] - 0.1)


# ---- state -----------------------------------------------------------------------------------
def test_variables_order_iterations_first():
    variables = make_vars()
    opt = Adam(amsgrad=True)
    opt.build(variables)
    vs = opt.variables
    assert vs[0] is opt.iterations and vs[0].dtype == tw.int64
    assert vs[1] is opt._learning_rate and vs[1].dtype == tw.float32
    assert len(vs) == 2 + 3 * len(variables)
    # Keras's order: momentum and velocity interleaved per variable, then velocity_hat
    assert [tuple(v.shape) for v in vs[2:]] == [(3,), (3,), (2, 2), (2, 2), (3,), (2, 2)]
    assert all(not v.trainable for v in vs)
    assert all(a is b for a, b in zip(opt.variables, vs))  # stable


@pytest.mark.parametrize("case", ["adam_amsgrad", "nadam", "rmsprop_centered_momentum",
                                  "adadelta", "sgd_nesterov"])
def test_state_save_and_restore_continues_identically(case):
    cls, _, kw = CASES[case]
    variables = make_vars()
    opt = cls(**kw)
    run_eager(opt, variables, 3)
    store: dict = {}
    opt.save_own_variables(store)
    assert sorted(store, key=int) == [str(i) for i in range(len(opt.variables))]
    weights = [v.numpy().copy() for v in variables]
    reference = run_eager(opt, variables, 2)

    # restored before build (as a loader may do): the slots wait for build
    v2 = [Variable(w) for w in weights]
    opt2 = cls(**kw)
    opt2.load_own_variables(store)
    assert int(opt2.iterations) == 3
    assert_trajectories(run_eager(opt2, v2, 2), reference)

    # restored after build, running compiled
    v3 = [Variable(w) for w in weights]
    opt3 = cls(**kw)
    opt3.build(v3)
    opt3.load_own_variables(store)
    assert_trajectories(run_jit(opt3, v3, 2), reference)


class _HeavyBall(tw.optimizers.Optimizer):
    """A user-written optimizer using only the public subclass API (Keras 3's shape: no
    built-guard, no private calls): ``v = 0.5 v + g; w -= lr v``."""

    def build(self, variables):
        variables = list(variables)
        super().build(variables)
        self.velocities = self.add_optimizer_variables(variables, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        v = self.velocities[self.variable_index(variable)]
        v.assign(o.add(o.multiply(v, 0.5), gradient))
        variable.assign(o.subtract(variable, o.multiply(v, o.cast(learning_rate, "float32"))))


def _heavy_ball_oracle(ws, steps, lr=0.1):
    ws = [w.copy() for w in ws]
    vs = [np.zeros_like(w) for w in ws]
    out = []
    for _ in range(steps):
        for i, g in enumerate(np_grads(ws)):
            vs[i] = vs[i] * f32(0.5) + g
            ws[i] = ws[i] - vs[i] * f32(lr)
        out.append([w.copy() for w in ws])
    return out


def test_user_optimizer_with_public_api_builds_once_and_restores_state():
    variables = make_vars()
    opt = _HeavyBall(learning_rate=0.1)
    assert_trajectories(run_eager(opt, variables, 3), _heavy_ball_oracle(W0, 3))
    n_vars = len(opt.variables)
    opt.build(variables)  # a second build creates no new slots
    assert len(opt.variables) == n_vars == 2 + len(variables)
    store: dict = {}
    opt.save_own_variables(store)
    weights = [v.numpy().copy() for v in variables]
    reference = run_eager(opt, variables, 2)

    # loaded before build: the base class applies the slots when the subclass built them
    v2 = [Variable(w) for w in weights]
    opt2 = _HeavyBall(learning_rate=0.1)
    opt2.load_own_variables(store)
    assert_trajectories(run_jit(opt2, v2, 2), reference)
    assert int(opt2.iterations) == 5


def test_variable_index_of_an_unknown_variable_names_the_optimizer():
    opt = _HeavyBall(learning_rate=0.1)
    opt.build(make_vars())
    with pytest.raises(InvalidArgumentError, match=r"_HeavyBall.variable_index.*'stranger'"):
        opt.variable_index(Variable(np.zeros(2, f32), name="stranger"))


def test_restored_learning_rate_follows_the_store():
    opt = SGD(0.1)
    opt.learning_rate = 0.03
    store: dict = {}
    opt.save_own_variables(store)
    opt2 = SGD(0.1)
    opt2.load_own_variables(store)
    assert opt2.learning_rate == pytest.approx(0.03)


def test_load_mismatch_is_a_clear_error():
    variables = make_vars()
    opt = Adam()
    opt.build(variables)
    with pytest.raises(SerializationError, match=r"adam.*saved variables"):
        opt.load_own_variables({"0": np.array(1)})
    store: dict = {}
    opt.save_own_variables(store)
    store["2"] = np.zeros(5, f32)
    with pytest.raises(SerializationError, match="shape"):
        opt.load_own_variables(store)


# ---- extras ----------------------------------------------------------------------------------
def test_exclude_from_weight_decay_by_name():
    w, u = make_vars()
    opt = SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([o.zeros((3,)), o.zeros((2, 2))], [w, u])
    np.testing.assert_allclose(w.numpy(), W0[0] - W0[0] * f32(0.5) * f32(0.1), rtol=RTOL)
    np.testing.assert_array_equal(u.numpy(), W0[1])
    with pytest.raises(InvalidArgumentError, match="before"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_apply_gradients_zip_and_constraint():
    w = Variable(np.array([1.0, -1.0], f32))
    w.constraint = lambda x: o.maximum(x, 0.0)
    opt = SGD(1.0)
    it = opt.apply_gradients(zip([o.convert_to_tensor(np.array([0.5, 0.5], f32))], [w]))
    assert it is opt.iterations and int(it) == 1
    np.testing.assert_array_equal(w.numpy(), [0.5, 0.0])


def test_stateless_apply_leaves_variables_untouched():
    variables = make_vars()
    opt = Adam(0.1)
    opt.build(variables)
    before = [v.numpy().copy() for v in variables + opt.variables]
    grads = [o.convert_to_tensor(g) for g in np_grads(W0)]
    new_w, new_o = opt.stateless_apply([v.value for v in opt.variables], grads,
                                       [v.value for v in variables])
    after = [v.numpy() for v in variables + opt.variables]
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)
    expected = oracle_trajectory("adam", steps=1, lr=0.1)[0]
    for a, e in zip(new_w, expected):
        np.testing.assert_allclose(a.numpy(), e, rtol=RTOL, atol=ATOL)
    assert int(new_o[0].numpy()) == 1


def test_loss_scale_factor_divides_gradients():
    w = Variable(np.zeros(2, f32))
    opt = SGD(1.0, loss_scale_factor=4.0)
    assert float(opt.scale_loss(o.convert_to_tensor(2.0))) == 8.0
    opt.apply([o.convert_to_tensor(np.array([4.0, 8.0], f32))], [w])
    np.testing.assert_array_equal(w.numpy(), [-1.0, -2.0])


def test_optimizer_state_follows_the_model_backend():
    """An optimizer created under numpy, used on python-backend variables, moves its
    counters there instead of mixing backends."""
    with tw.backend_scope("numpy"):
        opt = Adam(0.1)
    assert opt.iterations.value.backend == "numpy"
    with tw.backend_scope("python"):
        variables = make_vars()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            run_eager(opt, variables, 2)
        assert all(v.value.backend == "python" for v in opt.variables)
        assert_trajectories(run_eager(opt, variables, 1),
                            oracle_trajectory("adam", steps=3, lr=0.1)[2:])


def test_float64_variables_keep_their_dtype():
    w = Variable(np.array([1.0, 2.0], np.float64))
    opt = Adam(0.1)
    opt.apply([o.convert_to_tensor(np.array([1.0, 1.0], f32))], [w])
    assert w.dtype == tw.float64
    assert opt.variables[2].dtype == tw.float64
