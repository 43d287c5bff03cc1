"""The built-in initializers plugin.

Oracles: Keras's scale rules written out here (fans, limits, standard deviations) checked
on the empirical distribution of large draws; exact values for the deterministic
initializers; NumPy linear algebra for the orthogonality of ``Orthogonal``; and the
numpy backend against the python backend (and every backend ``tw_backend`` selects), bit
for bit, for every seeded initializer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import DTypeError, InvalidArgumentError, ShapeError, TensorweaveError

I = tw.initializers


def _np(t):
    return np.asarray(t.numpy())


# ---- registry --------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls"), [
    ("zeros", "Zeros"), ("ones", "Ones"), ("constant", "Constant"),
    ("random_uniform", "RandomUniform"), ("uniform", "RandomUniform"),
    ("random_normal", "RandomNormal"), ("normal", "RandomNormal"),
    ("truncated_normal", "TruncatedNormal"), ("variance_scaling", "VarianceScaling"),
    ("glorot_uniform", "GlorotUniform"), ("glorot_normal", "GlorotNormal"),
    ("he_uniform", "HeUniform"), ("he_normal", "HeNormal"),
    ("lecun_uniform", "LecunUniform"), ("lecun_normal", "LecunNormal"),
    ("orthogonal", "Orthogonal"), ("identity", "Identity"), ("GlorotUniform", "GlorotUniform"),
])
def test_get_by_keras_name_returns_an_instance(name, cls):
    obj = I.get(name)
    assert type(obj).__name__ == cls
    assert getattr(I, cls) is type(obj)


def test_get_config_dict_and_unknown_name():
    obj = I.get({"class_name": "VarianceScaling",
                 "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform",
                            "seed": 3}})
    assert (obj.scale, obj.mode, obj.distribution, obj.seed) == (2.0, "fan_out", "uniform", 3)
    with pytest.raises(TensorweaveError, match="glorot_unifrom"):
        I.get("glorot_unifrom")


# ---- deterministic initializers --------------------------------------------------------------
def test_zeros_ones_constant_values_and_dtypes():
    z = I.Zeros()((2, 3))
    assert z.dtype == tw.float32 and z.shape == (2, 3) and not _np(z).any()
    o = I.Ones()((4,), dtype="int32")
    assert o.dtype == tw.int32 and _np(o).tolist() == [1, 1, 1, 1]
    c = I.Constant(2.5)(3)
    assert c.shape == (3,) and _np(c).tolist() == [2.5, 2.5, 2.5]
    row = I.Constant([1.0, 2.0])((3, 2))
    assert _np(row).tolist() == [[1.0, 2.0]] * 3
    with pytest.raises(ShapeError, match="Constant"):
        I.Constant([1.0, 2.0, 3.0])((3, 2))


def test_identity_and_gain():
    np.testing.assert_array_equal(_np(I.Identity()((3, 3))), np.eye(3))
    np.testing.assert_array_equal(_np(I.Identity(gain=2.0)((2, 3))), 2 * np.eye(2, 3))
    with pytest.raises(ShapeError, match="Identity.*2-d"):
        I.Identity()((2, 2, 2))


def test_compute_fans():
    from tensorweave.plugins.initializers import compute_fans

    assert compute_fans(()) == (1, 1)
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans((3, 5)) == (3, 5)
    assert compute_fans((3, 3, 16, 32)) == (144, 288)  # 3*3*16, 3*3*32


# ---- distributions ---------------------------------------------------------------------------
SHAPE = (200, 300)  # fan_in 200, fan_out 300: 60 000 draws


@pytest.mark.parametrize(("cls", "limit"), [
    ("GlorotUniform", math.sqrt(6.0 / 500)),
    ("HeUniform", math.sqrt(6.0 / 200)),
    ("LecunUniform", math.sqrt(3.0 / 200)),
])
def test_uniform_presets_limits_and_spread(cls, limit):
    w = _np(getattr(I, cls)(seed=1)(SHAPE))
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert w.min() >= -limit and w.max() < limit
    assert w.min() < -0.99 * limit and w.max() > 0.99 * limit
    assert abs(w.std() - limit / math.sqrt(3.0)) < 0.02 * limit
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize(("cls", "std"), [
    ("GlorotNormal", math.sqrt(2.0 / 500)),
    ("HeNormal", math.sqrt(2.0 / 200)),
    ("LecunNormal", math.sqrt(1.0 / 200)),
])
def test_truncated_normal_presets_keep_the_target_variance(cls, std):
    w = _np(getattr(I, cls)(seed=2)(SHAPE))
    # the truncated unit normal has stddev 0.8796; Keras divides by it, so the draws keep
    # variance scale/fan and never exceed 2 * std / 0.8796
    bound = 2.0 * std / 0.87962566103423978
    assert np.abs(w).max() <= bound * (1 + 1e-6)
    assert abs(w.std() - std) < 0.02 * std


def test_variance_scaling_modes_and_untruncated_normal():
    shape = (3, 3, 16, 32)  # fan_in 144, fan_out 288
    for mode, n in (("fan_in", 144), ("fan_out", 288), ("fan_avg", 216)):
        w = _np(I.VarianceScaling(scale=3.0, mode=mode, distribution="untruncated_normal",
                                  seed=5)(shape))
        assert abs(w.std() - math.sqrt(3.0 / n)) < 0.04 * math.sqrt(3.0 / n), mode
    w = _np(I.VarianceScaling(distribution="normal", seed=1)((400, 100)))  # = truncated
    assert np.abs(w).max() <= 2.0 * math.sqrt(1 / 400) / 0.87962566103423978 * (1 + 1e-6)


def test_random_uniform_normal_truncated_arguments():
    u = _np(I.RandomUniform(minval=2.0, maxval=3.0, seed=1)((100, 100)))
    assert u.min() >= 2.0 and u.max() < 3.0 and abs(u.mean() - 2.5) < 0.01
    n = _np(I.RandomNormal(mean=1.0, stddev=2.0, seed=1)((100, 100)))
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    t = _np(I.TruncatedNormal(mean=-1.0, stddev=0.5, seed=1)((100, 100)))
    assert t.min() >= -2.0 and t.max() <= 0.0
    assert _np(I.RandomNormal(seed=1)((4,), dtype="float64")).dtype == np.float64


# ---- seeds -----------------------------------------------------------------------------------
def test_int_seed_repeats_and_different_seeds_differ():
    a = _np(I.GlorotUniform(seed=7)((5, 4)))
    b = _np(I.GlorotUniform(seed=7)((5, 4)))
    init = I.GlorotUniform(seed=7)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_np(init((5, 4))), _np(init((5, 4))))  # Keras 3 semantics
    assert not np.array_equal(a, _np(I.GlorotUniform(seed=8)((5, 4))))


def test_seed_generator_advances_and_none_uses_the_global_generator():
    from tensorweave import random

    init = I.RandomNormal(seed=random.SeedGenerator(3))
    first, second = _np(init((6,))), _np(init((6,)))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, _np(I.RandomNormal(seed=3)((6,))))
    unseeded = I.HeNormal()
    assert not np.array_equal(_np(unseeded((6,))), _np(unseeded((6,))))
    random.set_seed(11)
    x1 = _np(I.HeNormal()((6,)))
    random.set_seed(11)
    np.testing.assert_array_equal(x1, _np(I.HeNormal()((6,))))


SEEDED = [
    ("RandomUniform", lambda: I.RandomUniform(seed=1), (7, 5)),
    ("RandomNormal", lambda: I.RandomNormal(seed=2), (7, 5)),
    ("TruncatedNormal", lambda: I.TruncatedNormal(seed=3), (7, 5)),
    ("GlorotUniform", lambda: I.GlorotUniform(seed=4), (3, 3, 2, 4)),
    ("GlorotNormal", lambda: I.GlorotNormal(seed=5), (7, 5)),
    ("HeUniform", lambda: I.HeUniform(seed=6), (7, 5)),
    ("HeNormal", lambda: I.HeNormal(seed=7), (7, 5)),
    ("LecunUniform", lambda: I.LecunUniform(seed=8), (7, 5)),
    ("LecunNormal", lambda: I.LecunNormal(seed=9), (7, 5)),
    ("VarianceScaling", lambda: I.VarianceScaling(2.0, "fan_out", "untruncated_normal",
                                                  seed=10), (7, 5)),
    ("Orthogonal", lambda: I.Orthogonal(gain=1.5, seed=11), (6, 9)),
    ("Orthogonal-tall", lambda: I.Orthogonal(seed=12), (2, 5, 3)),
]


@pytest.mark.parametrize(("label", "make", "shape"), SEEDED, ids=[s[0] for s in SEEDED])
def test_same_seed_is_bit_identical_on_numpy_and_python(label, make, shape):
    with tw.backend_scope("numpy"):
        ref = make()(shape)
    assert ref.backend == "numpy"
    with tw.backend_scope("python"):
        out = make()(shape)
        assert out.backend == "python"
        assert out.shape == ref.shape and out.dtype == ref.dtype
        values = out.tolist()
    assert values == ref.tolist()  # exact equality of every float


@pytest.mark.parametrize(("label", "make", "shape"), SEEDED, ids=[s[0] for s in SEEDED])
def test_same_seed_is_bit_identical_on_every_backend(label, make, shape, tw_backend):
    out = make()(shape)                    # on tw_backend
    assert out.backend == tw_backend
    with tw.backend_scope("numpy"):
        ref = make()(shape)
    assert out.shape == ref.shape and out.dtype == ref.dtype
    got = tw.ops.convert_to_numpy(out)
    assert got.tobytes() == _np(ref).tobytes()  # every bit


# ---- orthogonal ------------------------------------------------------------------------------
def test_orthogonal_is_orthogonal_in_both_orientations():
    tall = _np(I.Orthogonal(seed=1)((40, 10))).astype(np.float64)
    np.testing.assert_allclose(tall.T @ tall, np.eye(10), atol=2e-6)
    wide = _np(I.Orthogonal(gain=2.0, seed=1)((10, 40))).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, 4.0 * np.eye(10), atol=1e-5)
    square = _np(I.Orthogonal(seed=3)((16, 16))).astype(np.float64)
    np.testing.assert_allclose(square @ square.T, np.eye(16), atol=2e-6)
    conv = _np(I.Orthogonal(seed=2)((3, 3, 4, 8))).reshape(-1, 8).astype(np.float64)
    np.testing.assert_allclose(conv.T @ conv, np.eye(8), atol=2e-6)
    with pytest.raises(ShapeError, match="Orthogonal.*2 dimensions"):
        I.Orthogonal()((5,))


# ---- config and errors -----------------------------------------------------------------------
@pytest.mark.parametrize("obj", [
    I.Zeros(), I.Constant(0.3), I.RandomUniform(-1.0, 2.0, seed=3), I.RandomNormal(0.5, 2.0),
    I.TruncatedNormal(seed=1), I.VarianceScaling(2.0, "fan_avg", "uniform", seed=4),
    I.GlorotUniform(seed=9), I.HeNormal(), I.Orthogonal(gain=0.5, seed=2), I.Identity(3.0),
], ids=lambda o: type(o).__name__)
def test_config_round_trip(obj):
    config = obj.get_config()
    again = type(obj).from_config(config)
    assert again.get_config() == config
    assert I.get({"class_name": type(obj).__name__, "config": config}).get_config() == config


def test_preset_config_is_seed_only():
    assert I.GlorotUniform(seed=4).get_config() == {"seed": 4, "input_axes": None,
                                                    "output_axes": None}
    assert I.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None,
        "input_axes": None, "output_axes": None}


def test_invalid_arguments_raise_named_errors():
    with pytest.raises(InvalidArgumentError, match="VarianceScaling.*mode"):
        I.VarianceScaling(mode="fan_sideways")
    with pytest.raises(InvalidArgumentError, match="VarianceScaling.*distribution"):
        I.VarianceScaling(distribution="cauchy")
    with pytest.raises(InvalidArgumentError, match="VarianceScaling.*scale"):
        I.VarianceScaling(scale=0.0)
    with pytest.raises(InvalidArgumentError, match="GlorotUniform.*seed"):
        I.GlorotUniform(seed="abc")
    with pytest.raises(InvalidArgumentError, match="RandomUniform.*maxval"):
        I.RandomUniform(minval=1.0, maxval=1.0)
    with pytest.raises(DTypeError, match="RandomNormal.*dtype"):
        I.RandomNormal()((2,), dtype="int32")
    with pytest.raises(ShapeError, match="Zeros.*shape"):
        I.Zeros()((2, None))


def test_variable_from_registry_initializer():
    v = tw.Variable(I.get("glorot_uniform"), shape=(4, 3))
    assert v.shape == (4, 3) and v.dtype == tw.float32
