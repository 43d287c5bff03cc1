"""``tw.random`` against real Keras 3: the draws cannot equal Keras's (another generator),
so each distribution is compared by its moments, against Keras's own sample and the
closed-form values; and the seeded draws are bit-identical on the numpy and python
backends and repeat for an int seed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

N = 20000

CASES = [
    ("gamma", {"alpha": 2.5}, 2.5, 2.5),
    ("gamma", {"alpha": 0.4}, 0.4, 0.4),
    ("gamma", {"alpha": 9.0}, 9.0, 9.0),
    ("beta", {"alpha": 2.0, "beta": 5.0}, 2 / 7, 10 / (49 * 8)),
    ("beta", {"alpha": 0.5, "beta": 0.5}, 0.5, 0.25 / 2.0),
    ("binomial", {"counts": 10, "probabilities": 0.3}, 3.0, 2.1),
    ("binomial", {"counts": 40, "probabilities": 0.9}, 36.0, 3.6),
    ("normal", {"mean": 1.0, "stddev": 2.0}, 1.0, 4.0),
    ("uniform", {"minval": -1.0, "maxval": 3.0}, 1.0, 16 / 12),
]


@pytest.mark.parametrize("name,kwargs,mean,var", CASES,
                         ids=[f"{n}{k}" for n, k, _, _ in CASES])
def test_moments(name: str, kwargs: dict, mean: float, var: float) -> None:
    ours = np.asarray(getattr(tw.random, name)((N,), seed=11, **kwargs).numpy())
    assert ours.dtype == np.float32 and ours.shape == (N,)
    assert abs(ours.mean() - mean) < 5 * np.sqrt(var / N) + 1e-6, (ours.mean(), mean)
    assert abs(ours.var() - var) < 0.06 * var, (ours.var(), var)


def test_keras_samples_agree(keras: Any) -> None:
    """One Keras draw per new distribution (each costs Keras seconds of compilation):
    the same dtype and shape, and moments within sampling error of ours."""
    for name, kwargs, _, var in CASES[:1] + CASES[3:4] + CASES[5:6]:
        ours = np.asarray(getattr(tw.random, name)((N,), seed=11, **kwargs).numpy())
        theirs = np.asarray(getattr(keras.random, name)((N,), seed=11, **kwargs))
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, name
        assert abs(ours.mean() - theirs.mean()) < 7 * np.sqrt(var / N), name
        assert abs(ours.var() - theirs.var()) < 0.08 * var, name
        assert ours.min() >= 0.0 and theirs.min() >= 0.0


def test_tensor_parameters() -> None:
    """Per-element shape parameters broadcast to ``shape`` (as Keras)."""
    alpha = np.array([0.5, 2.0, 8.0], dtype="float32")
    ours = tw.random.gamma((N, 3), alpha, seed=3).numpy()
    np.testing.assert_allclose(ours.mean(0), alpha, rtol=0.05)
    counts = np.array([[5.0], [20.0]], dtype="float32")
    b = tw.random.binomial((2, N), counts, 0.5, seed=4).numpy()
    np.testing.assert_allclose(b.mean(1), [2.5, 10.0], rtol=0.03)


@pytest.mark.parametrize("name,kwargs", [("gamma", {"alpha": 0.7}), ("gamma", {"alpha": 3.0}),
                                         ("beta", {"alpha": 0.5, "beta": 2.0}),
                                         ("binomial", {"counts": 7, "probabilities": 0.4})])
def test_bit_identical_across_backends(name: str, kwargs: dict) -> None:
    fn = getattr(tw.random, name)
    a = np.asarray(fn((64,), seed=5, **kwargs).numpy())
    with tw.backend_scope("python"):
        b = np.asarray(fn((64,), seed=5, **kwargs).numpy())
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, np.asarray(fn((64,), seed=5, **kwargs).numpy()))
    gen = tw.random.SeedGenerator(5)
    first = np.asarray(fn((64,), seed=gen, **kwargs).numpy())
    np.testing.assert_array_equal(first, a)  # a generator's first key is the int seed's
    assert not np.array_equal(first, np.asarray(fn((64,), seed=gen, **kwargs).numpy()))


def test_bad_arguments() -> None:
    with pytest.raises(tw.errors.InvalidArgumentError, match="gamma.*alpha"):
        tw.random.gamma((3,), -1.0)
    with pytest.raises(tw.errors.InvalidArgumentError, match="binomial.*probabilities"):
        tw.random.binomial((3,), 4, 1.5)
    with pytest.raises(tw.errors.InvalidArgumentError, match="binomial.*counts"):
        tw.random.binomial((3,), 2.5, 0.5)
