"""The built-in activations plugin: Keras names resolve, and every activation matches its
formula evaluated independently here with NumPy / ``math`` in float64 (hand-computed values
for the option combinations of ``relu``)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, TensorweaveError

A = tw.activations
X = np.array([-6.0, -3.0, -1.5, -0.5, -0.1, 0.0, 0.1, 0.5, 1.5, 3.0, 6.0, 9.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


REFERENCE = {
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "gelu": lambda x: np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x]),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "tanh": np.tanh,
    "linear": lambda x: x,
    "exponential": np.exp,
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "log_sigmoid": lambda x: -_softplus(-x),
    "celu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "squareplus": lambda x: (x + np.sqrt(x * x + 4.0)) / 2.0,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_matches_formula(name):
    fn = A.get(name)
    out = fn(tw.ops.convert_to_tensor(X.astype(np.float32)))
    assert out.dtype == tw.float32
    np.testing.assert_allclose(out.numpy(), REFERENCE[name](X), rtol=2e-6, atol=2e-6)


def test_keras_names_and_aliases_resolve():
    assert A.get("swish") is A.get("silu") is A.silu
    assert A.get("hard_swish") is A.get("hard_silu")
    for name in ("relu", "gelu", "silu", "swish", "elu", "selu", "leaky_relu", "softplus",
                 "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "sigmoid", "tanh",
                 "softmax", "log_softmax", "linear", "exponential", "relu6", "mish"):
        assert callable(A.get(name)), name
    assert A.get("Relu") is A.relu  # Keras-style spellings normalise
    with pytest.raises(TensorweaveError, match="nonexistent"):
        A.get("nonexistent")


def test_relu_options_hand_computed():
    x = tw.ops.convert_to_tensor([-3.0, -1.0, 0.0, 1.0, 5.0, 8.0])
    # negative_slope 0.1 below the threshold 0.5: 0.1 * (x - 0.5); above: x, capped at 6
    out = A.relu(x, negative_slope=0.1, max_value=6.0, threshold=0.5)
    np.testing.assert_allclose(out.numpy(), [-0.35, -0.15, -0.05, 1.0, 5.0, 6.0], rtol=1e-6)
    np.testing.assert_allclose(A.relu(x, max_value=4.0).numpy(), [0, 0, 0, 1, 4, 4])
    np.testing.assert_allclose(A.relu(x, max_value=6).numpy(), [0, 0, 0, 1, 5, 6])
    np.testing.assert_allclose(A.relu(x, threshold=1.0).numpy(), [0, 0, 0, 0, 5, 8])
    np.testing.assert_allclose(A.relu(x, negative_slope=0.5).numpy(),
                               [-1.5, -0.5, 0, 1, 5, 8])


def test_gelu_default_is_exact_and_approximate_is_tanh_form():
    x = np.array([-2.0, -0.7, 0.3, 1.9])
    t = tw.ops.convert_to_tensor(x.astype(np.float32))
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(A.gelu(t, approximate=True).numpy(), tanh_form, rtol=1e-6)
    assert not np.allclose(A.gelu(t).numpy(), tanh_form, rtol=1e-6, atol=0)


def test_leaky_relu_elu_celu_arguments():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    t = tw.ops.convert_to_tensor(x.astype(np.float32))
    np.testing.assert_allclose(A.leaky_relu(t, negative_slope=0.01).numpy(),
                               np.where(x > 0, x, 0.01 * x), rtol=1e-6)
    np.testing.assert_allclose(A.elu(t, alpha=0.5).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-6)
    np.testing.assert_allclose(A.celu(t, alpha=2.0).numpy(),
                               np.where(x > 0, x, 2.0 * np.expm1(x / 2.0)), rtol=1e-6)


def test_softmax_and_log_softmax_axis():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1000.0]])
    t = tw.ops.convert_to_tensor(x.astype(np.float32))
    e = np.exp(x - x.max(-1, keepdims=True))
    ref = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(A.softmax(t).numpy(), ref, rtol=1e-6, atol=1e-7)
    e0 = np.exp(x - x.max(0, keepdims=True))
    np.testing.assert_allclose(A.softmax(t, axis=0).numpy(), e0 / e0.sum(0, keepdims=True),
                               rtol=1e-6, atol=1e-7)
    lse = x.max(-1, keepdims=True) + np.log(np.exp(x - x.max(-1, keepdims=True)).sum(
        -1, keepdims=True))
    out = A.log_softmax(t).numpy()
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, x - lse, rtol=1e-6, atol=1e-5)


def test_int_inputs_become_float32():
    out = A.sigmoid(tw.ops.convert_to_tensor([0, 1]))
    assert out.dtype == tw.float32
    np.testing.assert_allclose(out.numpy(), _sigmoid(np.array([0.0, 1.0])), rtol=1e-6)


def test_bad_arguments_name_the_activation():
    x = tw.ops.convert_to_tensor([1.0])
    with pytest.raises(InvalidArgumentError, match="relu.*negative_slope"):
        A.relu(x, negative_slope="big")
    with pytest.raises(InvalidArgumentError, match="relu.*max_value"):
        A.relu(x, max_value=-1.0)
    with pytest.raises(InvalidArgumentError, match="celu.*alpha"):
        A.celu(x, alpha=0.0)


def test_activations_trace_and_differentiate():
    x = tw.ops.convert_to_tensor(np.array([-2.0, -0.5, 0.5, 2.0], dtype=np.float32))
    jitted = tw.jit(lambda v: A.get("mish")(v))
    np.testing.assert_allclose(jitted(x).numpy(), A.mish(x).numpy(), rtol=1e-6)
    g = tw.grad(lambda v: tw.ops.sum(A.silu(v)))(x).numpy()
    xv = x.numpy().astype(np.float64)
    s = _sigmoid(xv)
    np.testing.assert_allclose(g, s * (1 + xv * (1 - s)), rtol=1e-5)


@pytest.mark.parametrize("name", ["relu", "gelu", "softmax", "mish", "hard_silu", "selu"])
def test_python_backend_agrees(name):
    x = X.astype(np.float32)
    expected = A.get(name)(tw.ops.convert_to_tensor(x)).numpy()
    with tw.backend_scope("python"):
        out = A.get(name)(tw.ops.convert_to_tensor(x))
        assert out.backend == "python"
        np.testing.assert_allclose(np.asarray(out.tolist(), np.float32), expected, rtol=2e-6,
                                   atol=1e-7)
