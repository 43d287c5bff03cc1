"""The built-in regularizers and constraints plugins: hand-computed penalties and
projections (or NumPy formulas written out here), Keras names, configs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, ShapeError

R = tw.regularizers
C = tw.constraints
W = np.array([[1.0, -2.0, 0.0], [3.0, 0.5, -4.0]], dtype=np.float32)


def _t(x):
    return tw.ops.convert_to_tensor(np.asarray(x, dtype=np.float32))


# ---- regularizers ----------------------------------------------------------------------------
def test_l1_l2_l1l2_hand_computed():
    w = _t(W)
    # sum|w| = 1 + 2 + 0 + 3 + 0.5 + 4 = 10.5 ; sum w^2 = 1 + 4 + 0 + 9 + 0.25 + 16 = 30.25
    assert float(R.L1(0.1)(w)) == pytest.approx(1.05, rel=1e-6)
    assert float(R.L2(0.01)(w)) == pytest.approx(0.3025, rel=1e-6)
    assert float(R.L1L2(l1=0.1, l2=0.01)(w)) == pytest.approx(1.3525, rel=1e-6)
    assert float(R.L1L2()(w)) == 0.0
    assert R.L1(0.1)(w).shape == ()


def test_registry_names_and_keras_defaults():
    assert isinstance(R.get("l1"), R.L1) and R.get("l1").l1 == 0.01
    assert isinstance(R.get("l2"), R.L2) and R.get("l2").l2 == 0.01
    l1l2 = R.get("l1_l2")
    assert isinstance(l1l2, R.L1L2) and (l1l2.l1, l1l2.l2) == (0.0, 0.0)
    assert isinstance(R.get("L1L2"), R.L1L2)
    assert isinstance(R.get("orthogonal_regularizer"), R.OrthogonalRegularizer)
    got = R.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}})
    assert got.get_config() == {"l1": 0.5, "l2": 0.25}


@pytest.mark.parametrize("obj", [R.L1(0.3), R.L2(0.2), R.L1L2(0.1, 0.2),
                                 R.OrthogonalRegularizer(0.5, "columns")],
                         ids=lambda o: type(o).__name__)
def test_regularizer_config_round_trip(obj):
    again = type(obj).from_config(obj.get_config())
    assert again.get_config() == obj.get_config()
    assert float(again(_t(W))) == pytest.approx(float(obj(_t(W))), rel=1e-6)


def test_orthogonal_regularizer_against_numpy():
    x = np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, 2.0, 2.0]])
    for mode, m in (("rows", x), ("columns", x.T)):
        n = m / np.linalg.norm(m, axis=1, keepdims=True)
        g = n @ n.T
        off = np.abs(g - np.diag(np.diag(g))).sum()
        expected = 0.1 * 0.5 * off / (3 * 2 / 2)  # Keras 3: each pair counted once
        got = float(R.OrthogonalRegularizer(0.1, mode)(_t(x)))
        assert got == pytest.approx(expected, rel=1e-5), mode
    with pytest.raises(ShapeError, match="OrthogonalRegularizer"):
        R.OrthogonalRegularizer()(_t([1.0, 2.0]))


def test_regularizer_gradient_is_the_analytic_one():
    w = _t(W)
    g = tw.grad(lambda v: R.L1L2(l1=0.1, l2=0.01)(v))(w).numpy()
    np.testing.assert_allclose(g, 0.1 * np.sign(W) + 0.02 * W, rtol=1e-6)


def test_regularizer_errors():
    with pytest.raises(InvalidArgumentError, match="L1.*l1"):
        R.L1(-0.1)
    with pytest.raises(InvalidArgumentError, match="L2.*l2"):
        R.L2("0.1")
    with pytest.raises(InvalidArgumentError, match="OrthogonalRegularizer.*mode"):
        R.OrthogonalRegularizer(mode="diagonal")


def test_regularizers_on_python_backend():
    with tw.backend_scope("python"):
        w = tw.ops.convert_to_tensor(W.tolist())
        assert float(R.L1L2(l1=0.1, l2=0.01)(w)) == pytest.approx(1.3525, rel=1e-6)


# ---- constraints -----------------------------------------------------------------------------
EPS = 1e-7


def test_max_norm_against_numpy():
    w = np.array([[3.0, 0.1], [4.0, 0.2]], dtype=np.float32)  # column norms 5 and ~0.2236
    out = C.MaxNorm(max_value=2.0)(_t(w)).numpy()
    norms = np.sqrt((w.astype(np.float64) ** 2).sum(0, keepdims=True))
    expected = w * (np.clip(norms, 0, 2.0) / (norms + EPS))
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=0), [2.0, 0.2236068], rtol=1e-5)
    rows = C.MaxNorm(max_value=1.0, axis=1)(_t(w)).numpy()
    assert np.all(np.linalg.norm(rows, axis=1) <= 1.0 + 1e-6)


def test_non_neg_unit_norm_min_max_norm():
    np.testing.assert_array_equal(C.NonNeg()(_t(W)).numpy(), np.maximum(W, 0))
    u = C.UnitNorm()(_t(W)).numpy()
    np.testing.assert_allclose(np.linalg.norm(u, axis=0), [1.0, 1.0, 1.0], rtol=1e-6)
    w = np.array([[0.3, 6.0], [0.4, 8.0]], dtype=np.float32)  # column norms 0.5 and 10
    full = C.MinMaxNorm(min_value=1.0, max_value=2.0)(_t(w)).numpy()
    np.testing.assert_allclose(np.linalg.norm(full, axis=0), [1.0, 2.0], rtol=1e-5)
    half = C.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(_t(w)).numpy()
    # rate 0.5: desired = 0.5 * clip(n) + 0.5 * n -> 0.75 and 6
    np.testing.assert_allclose(np.linalg.norm(half, axis=0), [0.75, 6.0], rtol=1e-5)


def test_zero_column_stays_zero():
    w = _t([[0.0, 1.0], [0.0, 1.0]])
    for c in (C.MaxNorm(1.0), C.UnitNorm(), C.MinMaxNorm(0.5, 1.0)):
        out = c(w).numpy()
        assert np.all(np.isfinite(out)) and np.all(out[:, 0] == 0)


def test_constraint_names_configs_errors():
    assert isinstance(C.get("max_norm"), C.MaxNorm)
    assert C.get("max_norm").get_config() == {"max_value": 2.0, "axis": 0}
    assert isinstance(C.get("non_neg"), C.NonNeg)
    assert isinstance(C.get("unit_norm"), C.UnitNorm)
    assert isinstance(C.get("min_max_norm"), C.MinMaxNorm)
    c = C.MinMaxNorm(0.1, 3.0, 0.5, axis=[0, 1])
    assert C.get({"class_name": "MinMaxNorm", "config": c.get_config()}).get_config() == \
        c.get_config()
    with pytest.raises(InvalidArgumentError, match="MinMaxNorm.*max_value"):
        C.MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(InvalidArgumentError, match="MaxNorm.*axis"):
        C.MaxNorm(axis="rows")
    with pytest.raises(InvalidArgumentError, match="MinMaxNorm.*rate"):
        C.MinMaxNorm(rate=2.0)


def test_constraint_inside_jit_matches_eager():
    w = _t(W)
    c = C.MaxNorm(1.5)
    np.testing.assert_allclose(tw.jit(c)(w).numpy(), c(w).numpy(), rtol=1e-6)
