"""BatchNormalization and LayerNormalization against the Keras formulas.

BatchNormalization is checked in both modes: inference (moving statistics, nothing
changes) and training (batch statistics; ``moving = moving * momentum + batch * (1 -
momentum)`` with the biased variance), eagerly, under a ``StatelessScope`` (the update is
recorded, not applied) and inside a traced, jitted step.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_layers import (  # noqa: F401  (float64_layers is an autouse fixture)
    as_np,
    assert_names_layer,
    check_grads,
    check_roundtrip,
    check_shape,
    float64_layers,
    on_python_backend,
    rand,
)

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.variables import StatelessScope, current_substitution


def bn_ref(x, gamma, beta, mean, var, eps, axis=-1):  # noqa: ANN001, ANN201
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    r = lambda v: np.broadcast_to(v, (x.shape[axis],)).reshape(shape)  # noqa: E731
    return r(gamma) * (x - r(mean)) / np.sqrt(r(var) + eps) + r(beta)


def _randomise(bn, n, seed=0):  # noqa: ANN001, ANN202
    rng = np.random.default_rng(seed)
    w = [rng.uniform(0.5, 2, n), rng.standard_normal(n), rng.standard_normal(n),
         rng.uniform(0.5, 2, n)]
    bn.set_weights(w)
    return w


class TrainingCall:
    """A BatchNormalization called with ``training=True`` inside a StatelessScope that
    keeps the enclosing variable substitutions, so ``tw.grad`` can trace it (the moving
    statistics update is recorded, as in a compiled training step)."""

    def __init__(self, layer) -> None:  # noqa: ANN001
        self.layer = layer
        self.name = layer.name

    @property
    def trainable_weights(self) -> list:
        return self.layer.trainable_weights

    def __call__(self, x):  # noqa: ANN001, ANN204
        scope = StatelessScope()
        scope.update(current_substitution() or {})
        with scope:
            return self.layer(x, training=True)


# ---- BatchNormalization -----------------------------------------------------------------------
def test_bn_inference_uses_moving_statistics():
    x = rand(4, 3)
    bn = L.BatchNormalization()
    np.testing.assert_allclose(check_shape(bn, x), x / np.sqrt(1 + 1e-3), rtol=1e-12)
    g, b, m, v = _randomise(bn, 3)
    before = bn.get_weights()
    np.testing.assert_allclose(as_np(bn(x)), bn_ref(x, g, b, m, v, 1e-3), rtol=1e-12)
    np.testing.assert_allclose(as_np(bn(x, training=False)), bn_ref(x, g, b, m, v, 1e-3),
                               rtol=1e-12)
    for a, c in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, c)


def test_bn_training_uses_batch_statistics_and_updates_moving():
    x = rand(5, 2, 3) * 3 + 1
    bn = L.BatchNormalization(momentum=0.9, epsilon=1e-2)
    bn(x)
    g, b, m, v = _randomise(bn, 3)
    y = as_np(bn(x, training=True))
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(y, bn_ref(x, g, b, mean, var, 1e-2), rtol=1e-10)
    _, _, m1, v1 = bn.get_weights()
    np.testing.assert_allclose(m1, m * 0.9 + mean * 0.1, rtol=1e-12)
    np.testing.assert_allclose(v1, v * 0.9 + var * 0.1, rtol=1e-12)
    # a second training call moves them again, from the new values
    bn(x, training=True)
    np.testing.assert_allclose(bn.get_weights()[2], m1 * 0.9 + mean * 0.1, rtol=1e-12)
    # training through the ambient training flag (what fit() sets)
    from tensorweave.plugins.layers.base import training_scope

    with training_scope(True):
        bn(x)
    np.testing.assert_allclose(bn.get_weights()[2],
                               (m1 * 0.9 + mean * 0.1) * 0.9 + mean * 0.1, rtol=1e-12)


def test_bn_frozen_layer_runs_in_inference_mode():
    x = rand(4, 3)
    bn = L.BatchNormalization()
    bn(x)
    g, b, m, v = _randomise(bn, 3)
    bn.trainable = False
    np.testing.assert_allclose(as_np(bn(x, training=True)), bn_ref(x, g, b, m, v, 1e-3),
                               rtol=1e-12)
    np.testing.assert_array_equal(bn.get_weights()[2], m)
    assert bn.trainable_weights == []


def test_bn_channels_first_axis_and_no_center_scale():
    x = rand(3, 2, 4, 4)
    bn = L.BatchNormalization(axis=1, center=False, scale=False)
    y = check_shape(bn, x)
    assert [w.shape for w in bn.get_weights()] == [(2,), (2,)]
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-12)
    yt = as_np(bn(x, training=True))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(yt, bn_ref(x, 1, 0, mean, var, 1e-3, axis=1), rtol=1e-10)


def test_bn_stateless_scope_records_instead_of_assigning():
    x = rand(4, 3)
    bn = L.BatchNormalization(momentum=0.5)
    bn(x)
    with StatelessScope() as scope:
        bn(x, training=True)
        recorded = as_np(scope.value_of(bn.moving_mean))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))
    np.testing.assert_allclose(recorded, 0.5 * x.mean(axis=0), rtol=1e-12)


def test_bn_inside_a_traced_jitted_step():
    x = rand(6, 3)
    bn = L.BatchNormalization(momentum=0.8)
    bn(x)

    def step(xx):  # noqa: ANN001, ANN202
        with StatelessScope() as scope:
            y = bn(xx, training=True)
            return y, scope.value_of(bn.moving_mean), scope.value_of(bn.moving_variance)

    y, mm, mv = tw.jit(step)(x)
    np.testing.assert_allclose(as_np(mm), 0.2 * x.mean(0), rtol=1e-12)
    np.testing.assert_allclose(as_np(mv), 0.8 + 0.2 * x.var(0), rtol=1e-12)
    np.testing.assert_allclose(as_np(y), bn_ref(x, 1, 0, x.mean(0), x.var(0), 1e-3),
                               rtol=1e-10)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(3))  # not applied


def test_bn_gradients_both_modes():
    bn = L.BatchNormalization()
    x = rand(4, 2)
    bn(x)
    _randomise(bn, 2)
    check_grads(bn, x)  # inference: an affine map
    bn2 = L.BatchNormalization(epsilon=0.1)
    bn2(x)
    _randomise(bn2, 2, seed=3)
    check_grads(TrainingCall(bn2), rand(4, 2), rtol=1e-5, atol=1e-7)


def test_bn_counts_config_errors_and_mixed_precision():
    bn = L.BatchNormalization()
    bn.build((None, 10))
    assert bn.count_params() == 40
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean",
                                            "moving_variance"]
    cfg = L.BatchNormalization().get_config()
    assert cfg["name"].startswith("batch_normalization")
    x = rand(4, 3)
    b2 = L.BatchNormalization(momentum=0.9, epsilon=1e-2, axis=-1)
    b2(x)
    _randomise(b2, 3)
    check_roundtrip(b2, x)
    bad = L.BatchNormalization(axis=3)
    with pytest.raises(ShapeError) as e:
        bad(x)
    assert_names_layer(e.value, bad)
    assert "axis" in str(e.value)
    b2_in = L.BatchNormalization()
    b2_in(x)
    with pytest.raises(ShapeError) as e:
        b2_in(rand(4, 5))
    assert_names_layer(e.value, b2_in)
    with pytest.raises(InvalidArgumentError, match="momentum"):
        L.BatchNormalization(momentum=1.5)
    mp = L.BatchNormalization(dtype="mixed_float16")
    y = mp(x.astype("float16"), training=True)
    assert y.dtype == tw.float16
    assert mp.moving_mean.dtype == tw.float32
    np.testing.assert_allclose(mp.moving_mean.numpy(), 0.01 * x.astype("float16").astype(
        "float32").mean(0), rtol=1e-5)


def test_bn_on_python_backend():
    x = rand(4, 3, dtype="float32")

    def make():  # noqa: ANN202
        return L.BatchNormalization(dtype="float32")

    on_python_backend(make, x)
    on_python_backend(make, x, training=True)
    ref = make()
    ref(x, training=True)
    with tw.backend_scope("python"):
        bn = make()
        bn(x, training=True)
        np.testing.assert_allclose(bn.moving_variance.numpy(), ref.moving_variance.numpy(),
                                   rtol=1e-6)


# ---- LayerNormalization ------------------------------------------------------------------------
def ln_ref(x, axes, gamma=1.0, beta=0.0, eps=1e-3):  # noqa: ANN001, ANN201
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_ln_values():
    x = rand(3, 4, 5) * 2 + 1
    ln = L.LayerNormalization()
    y = check_shape(ln, x)
    np.testing.assert_allclose(y, ln_ref(x, -1), rtol=1e-10)
    g, b = rand(5), rand(5)
    ln.set_weights([g, b])
    np.testing.assert_allclose(as_np(ln(x)), ln_ref(x, -1, g, b), rtol=1e-10)
    # training does not change anything: per-sample statistics
    np.testing.assert_allclose(as_np(ln(x, training=True)), ln_ref(x, -1, g, b), rtol=1e-10)
    ln2 = L.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    ln2(x)
    g2, b2 = rand(4, 5), rand(4, 5)
    ln2.set_weights([g2, b2])
    np.testing.assert_allclose(as_np(ln2(x)), ln_ref(x, (1, 2), g2, b2, 1e-5), rtol=1e-10)
    ln3 = L.LayerNormalization(axis=1, center=False, scale=False)
    np.testing.assert_allclose(as_np(ln3(x)), ln_ref(x, 1), rtol=1e-10)
    assert ln3.get_weights() == []
    rms = L.LayerNormalization(rms_scaling=True)
    rms(x)
    assert [w.name for w in rms.weights] == ["gamma"]
    g3 = rand(5)
    rms.set_weights([g3])
    # Keras 3's deprecated rms_scaling divides by sqrt(variance), not the RMS
    want = x / np.sqrt(x.var(-1, keepdims=True) + 1e-3) * g3
    np.testing.assert_allclose(as_np(rms(x)), want, rtol=1e-10)


def test_ln_grads_counts_roundtrip_errors():
    ln = L.LayerNormalization(epsilon=0.1)
    x = rand(2, 3)
    ln(x)
    ln.set_weights([rand(3), rand(3)])
    check_grads(ln, x)
    check_grads(L.LayerNormalization(axis=[1, 2]), rand(1, 2, 2))
    l10 = L.LayerNormalization()
    l10.build((None, 7, 10))
    assert l10.count_params() == 20
    check_roundtrip(ln, x)
    check_roundtrip(L.LayerNormalization(axis=[1, 2], rms_scaling=True), rand(2, 3, 2))
    bad = L.LayerNormalization(axis=2)
    with pytest.raises(ShapeError) as e:
        bad(x)
    assert_names_layer(e.value, bad)
    built = L.LayerNormalization()
    built(x)
    with pytest.raises(ShapeError) as e:
        built(rand(2, 4))
    assert_names_layer(e.value, built)
    with pytest.raises(InvalidArgumentError, match="axis"):
        L.LayerNormalization(axis="last")


def test_ln_on_python_backend():
    x = rand(2, 3, 4, dtype="float32")
    on_python_backend(lambda: L.LayerNormalization(dtype="float32"), x)
    on_python_backend(lambda: L.LayerNormalization(axis=[1, 2], dtype="float32"), x)


# ---- GroupNormalization / UnitNormalization ----------------------------------------------------
def _np_group_norm(x, groups, gamma, beta, eps):
    n, *spatial, c = x.shape
    xg = x.reshape(n, *spatial, groups, c // groups)
    axes = tuple(range(1, xg.ndim - 2)) + (xg.ndim - 1,)
    mean = xg.mean(axis=axes, keepdims=True)
    var = xg.var(axis=axes, keepdims=True)
    return ((xg - mean) / np.sqrt(var + eps)).reshape(x.shape) * gamma + beta


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_normalization_against_numpy(groups):
    x = rand(2, 3, 3, 4)
    gn = L.GroupNormalization(groups=groups, epsilon=1e-3)
    gn(x)
    rng = np.random.default_rng(groups)
    gamma, beta = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    gn.set_weights([gamma, beta])
    np.testing.assert_allclose(as_np(gn(x)), _np_group_norm(x, groups, gamma, beta, 1e-3),
                               rtol=1e-10, atol=1e-12)
    check_grads(gn, x)
    check_roundtrip(gn, x)


def test_group_normalization_channels_first_and_errors():
    x = rand(2, 4, 5)
    gn = L.GroupNormalization(groups=2, axis=1)
    y = as_np(gn(x))
    want = _np_group_norm(np.moveaxis(x, 1, -1), 2, 1.0, 0.0, 1e-3)
    np.testing.assert_allclose(y, np.moveaxis(want, -1, 1), rtol=1e-10, atol=1e-12)
    bad = L.GroupNormalization(groups=3)
    with pytest.raises(InvalidArgumentError, match="GroupNormalization.*'groups'.*divisor"):
        bad(rand(2, 4))
    with pytest.raises(InvalidArgumentError, match="'groups'"):
        L.GroupNormalization(groups=0)


def test_unit_normalization():
    x = rand(3, 4)
    y = as_np(L.UnitNormalization()(x))
    np.testing.assert_allclose(y, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-12)
    x3 = rand(2, 3, 4)
    y3 = as_np(L.UnitNormalization(axis=[1, 2])(x3))
    np.testing.assert_allclose(np.sqrt((y3 ** 2).sum((1, 2))), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(as_np(L.UnitNormalization()(np.zeros((1, 3)))), 0.0)
    check_grads(L.UnitNormalization(), x)
