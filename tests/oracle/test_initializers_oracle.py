"""Initializers, regularizers and constraints against real Keras 3.

Random initializers cannot match Keras's values (another generator), so they are
compared by shape, dtype, bounds and moments; the deterministic ones (Zeros, Ones,
Constant, Identity) value by value, Orthogonal by its defining property. Regularizer
penalties and constraint projections are deterministic and compared value by value.
Every class's ``get_config`` is compared key by key."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw


def _np(x: Any) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


DETERMINISTIC = [
    ("Zeros", {}, (3, 4)),
    ("Ones", {}, (2, 5)),
    ("Constant", {"value": 0.7}, (4, 2)),
    ("Identity", {}, (3, 3)),
    ("Identity", {"gain": 2.5}, (3, 5)),
    ("Identity", {}, (5, 2)),
]


@pytest.mark.parametrize("name,kwargs,shape", DETERMINISTIC,
                         ids=[f"{n}{k}{s}" for n, k, s in DETERMINISTIC])
def test_deterministic_initializer(keras: Any, close: Any, name: str, kwargs: dict,
                                   shape: tuple) -> None:
    ours = getattr(tw.initializers, name)(**kwargs)
    theirs = getattr(keras.initializers, name)(**kwargs)
    close(ours(shape), theirs(shape), what=name)
    config = ours.get_config()
    if name == "Identity":  # Keras's config drops gain (its round trip loses it); ours keeps it
        config.pop("gain")
    assert config == theirs.get_config()


RANDOM = [
    ("RandomUniform", {"minval": -0.2, "maxval": 0.3}),
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2}),
    ("TruncatedNormal", {"mean": -0.1, "stddev": 0.3}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"mode": "fan_in", "distribution": "truncated_normal"}),
    ("GlorotUniform", {}),
    ("GlorotNormal", {}),
    ("HeUniform", {}),
    ("HeNormal", {}),
    ("LecunUniform", {}),
    ("LecunNormal", {}),
    ("Orthogonal", {"gain": 1.5}),
]


@pytest.mark.parametrize("name,kwargs", RANDOM, ids=[f"{n}{k}" for n, k in RANDOM])
def test_random_initializer_statistics(keras: Any, name: str, kwargs: dict) -> None:
    shape = (120, 80)
    ours = _np(getattr(tw.initializers, name)(seed=3, **kwargs)(shape))
    theirs = np.asarray(getattr(keras.initializers, name)(seed=3, **kwargs)(shape))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    # bounded distributions: the same bounds; all: the first two moments agree within
    # sampling error (9600 draws)
    if "Uniform" in name or "Truncated" in name or kwargs.get("distribution") in (
            "uniform", "truncated_normal") or (name == "VarianceScaling" and not kwargs.get(
                "distribution")) or name[-6:] == "Normal" and name[:-6] in ("Glorot", "He",
                                                                           "Lecun"):
        span = theirs.max() - theirs.min()
        assert ours.min() >= theirs.min() - 0.02 * span
        assert ours.max() <= theirs.max() + 0.02 * span
    sd = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.05 * sd + 1e-3, (ours.mean(), theirs.mean())
    assert abs(ours.std() - sd) < 0.05 * sd, (ours.std(), sd)
    _same_config(getattr(tw.initializers, name)(seed=3, **kwargs).get_config(),
                 getattr(keras.initializers, name)(seed=3, **kwargs).get_config())


def _same_config(ours: dict, theirs: dict) -> None:
    """Equal keys; numbers equal as float32 (Keras stores some as float32 values)."""
    assert sorted(ours) == sorted(theirs), (ours, theirs)
    for key, value in ours.items():
        if isinstance(value, float):
            assert np.float32(value) == np.float32(theirs[key]), (key, value, theirs[key])
        else:
            assert value == theirs[key], (key, value, theirs[key])


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5)])
def test_orthogonal_is_orthogonal(keras: Any, shape: tuple) -> None:
    w = _np(tw.initializers.Orthogonal(gain=2.0, seed=1)(shape)).reshape(-1, shape[-1])
    k = np.asarray(keras.initializers.Orthogonal(gain=2.0, seed=1)(shape)).reshape(-1, shape[-1])
    small = min(w.shape)
    gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
    kgram = k.T @ k if k.shape[0] >= k.shape[1] else k @ k.T
    np.testing.assert_allclose(gram, kgram, atol=1e-4)
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-4)


def test_variance_scaling_axes(keras: Any) -> None:
    """input_axes/output_axes choose the fans (an EinsumDense kernel)."""
    shape = (40, 6, 50)
    kw = {"scale": 1.0, "mode": "fan_in", "distribution": "uniform",
          "input_axes": [0], "output_axes": [1, 2]}
    ours = _np(tw.initializers.VarianceScaling(seed=1, **kw)(shape))
    theirs = np.asarray(keras.initializers.VarianceScaling(seed=1, **kw)(shape))
    np.testing.assert_allclose(ours.max(), theirs.max(), rtol=0.02)
    assert tw.initializers.VarianceScaling(**kw).get_config() == \
        keras.initializers.VarianceScaling(**kw).get_config()


REGULARIZERS = [
    ("L1", {"l1": 0.03}),
    ("L2", {"l2": 0.02}),
    ("L1L2", {"l1": 0.01, "l2": 0.04}),
    ("L1L2", {}),
    ("OrthogonalRegularizer", {"factor": 0.05, "mode": "rows"}),
    ("OrthogonalRegularizer", {"factor": 0.02, "mode": "columns"}),
]


@pytest.mark.parametrize("name,kwargs", REGULARIZERS, ids=[f"{n}{k}" for n, k in REGULARIZERS])
def test_regularizer(keras: Any, rng: np.random.Generator, close: Any, name: str,
                     kwargs: dict) -> None:
    w = rng.normal(size=(5, 4)).astype("float32")
    ours = getattr(tw.regularizers, name)(**kwargs)
    theirs = getattr(keras.regularizers, name)(**kwargs)
    # a Keras tensor: Keras's NumPy path of normalize ignores axis=0
    close(ours(w), theirs(keras.ops.convert_to_tensor(w)), rtol=1e-5, atol=1e-6, what=name)
    _same_config(ours.get_config(), theirs.get_config())


CONSTRAINTS = [
    ("MaxNorm", {"max_value": 1.5}),
    ("MaxNorm", {"max_value": 0.5, "axis": 1}),
    ("NonNeg", {}),
    ("UnitNorm", {}),
    ("UnitNorm", {"axis": 1}),
    ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.2, "rate": 0.7}),
    ("MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "axis": 1}),
]


@pytest.mark.parametrize("name,kwargs", CONSTRAINTS, ids=[f"{n}{k}" for n, k in CONSTRAINTS])
def test_constraint(keras: Any, rng: np.random.Generator, close: Any, name: str,
                    kwargs: dict) -> None:
    w = rng.normal(size=(6, 3)).astype("float32") * 2.0
    ours = getattr(tw.constraints, name)(**kwargs)
    theirs = getattr(keras.constraints, name)(**kwargs)
    close(ours(w), theirs(w), rtol=1e-5, atol=1e-6, what=name)
    _same_config(ours.get_config(), theirs.get_config())


@pytest.mark.parametrize("module", ["initializers", "regularizers", "constraints"])
def test_get_by_name(keras: Any, module: str) -> None:
    """Every lowercase alias Keras's ``get`` resolves resolves here to the same class."""
    km, tm = getattr(keras, module), getattr(tw, module)
    for name in dir(km):
        if name.startswith("_") or not name.islower() or name in ("get", "serialize",
                                                                    "deserialize", "stft"):
            continue
        try:
            theirs = km.get(name)
        except Exception:  # noqa: BLE001  (Keras cannot resolve it either: nothing to match)
            continue
        assert type(tm.get(name)).__name__ == type(theirs).__name__, name
