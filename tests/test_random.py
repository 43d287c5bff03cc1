"""``tensorweave.random``: Philox known answers, bit-identical draws on every backend,
seed semantics (Keras 3), distributions, tracing and argument errors.

Bit-identity is the point of the module (random ops compare bit for bit, see DESIGN.md
section 6), so draws are compared as raw bytes between the ``numpy`` and the pure-Python
``python`` backend. Sizes stay at a few thousand values for the Python backend's sake.
Statistical checks use fixed seeds (deterministic, never flaky) and tolerances of about
five standard errors.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import random as twr
from tensorweave.errors import (
    DTypeError,
    InvalidArgumentError,
    ShapeError,
    TensorweaveError,
    TracingError,
)

ops = tw.ops
BACKENDS = ("numpy", "python")


def _on(backend, fn):
    """``fn()`` run with ``backend`` current, as a NumPy array (plus the tensor's dtype)."""
    with tw.backend_scope(backend):
        out = fn()
        assert out.backend == backend
        return out.numpy(), out.dtype


def _assert_bit_identical(fn):
    (a, da), (b, db) = (_on(name, fn) for name in BACKENDS)
    assert da is db
    assert a.shape == b.shape
    assert a.dtype == b.dtype
    if a.tobytes() != b.tobytes():
        bad = np.flatnonzero(a.ravel().view(np.uint8) != b.ravel().view(np.uint8))
        pytest.fail(f"numpy and python backends differ ({len(bad)} bytes), e.g. "
                    f"{a.ravel()[:4]} vs {b.ravel()[:4]}")
    return a


# ---- Philox4x32-10 known answers (Random123 kat_vectors) ------------------------------------
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_philox_known_answers(backend):
    with tw.backend_scope(backend):
        counters = ops.convert_to_tensor([list(c) for c, _, _ in KAT], "uint32")
        for i, (_, key, expected) in enumerate(KAT):
            out = twr.philox4x32(counters, ops.convert_to_tensor(list(key), "uint32"))
            assert out.dtype is tw.uint32 and out.shape == (3, 4)
            assert tuple(out.tolist()[i]) == expected


def test_philox_known_answers_pure_python_words():
    # the all-int path a SeedGenerator uses to advance a concrete key
    for counter, key, expected in KAT:
        assert twr._philox(*counter, *key) == expected


# ---- bit-identical on every backend ---------------------------------------------------------
X = np.linspace(-1.0, 1.0, 2400).reshape(24, 100)

DRAWS = {
    "uniform": lambda dt: twr.uniform((2000,), dtype=dt, seed=7),
    "uniform-range": lambda dt: twr.uniform((40, 50), -2.5, 7.25, dtype=dt, seed=-7),
    "normal": lambda dt: twr.normal((2001,), 1.5, 2.0, dtype=dt, seed=2**40 + 3),
    "truncated_normal": lambda dt: twr.truncated_normal((2000,), -1.0, 3.0, dtype=dt, seed=11),
    "dropout": lambda dt: twr.dropout(ops.convert_to_tensor(X, dt), 0.3, seed=7),
    "dropout-noise-shape": lambda dt: twr.dropout(ops.convert_to_tensor(X, dt), 0.5,
                                                  noise_shape=(None, 1), seed=8),
    "shuffle": lambda dt: twr.shuffle(ops.convert_to_tensor(X, dt), seed=7),
    "shuffle-axis1": lambda dt: twr.shuffle(ops.convert_to_tensor(X, dt), axis=1, seed=7),
    "categorical": lambda dt: twr.categorical(ops.convert_to_tensor(X[:4, :30], dt), 40,
                                              seed=7),
    "seed-generator": lambda dt: twr.normal((500,), dtype=dt, seed=_advanced_generator()),
    "tensor-key": lambda dt: twr.uniform((500,), dtype=dt,
                                         seed=ops.convert_to_tensor([12, 34], "uint32")),
}


def _advanced_generator():
    g = twr.SeedGenerator(99)
    g.next()
    return g


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DRAWS))
def test_draws_are_bit_identical_across_backends(name, dtype):
    out = _assert_bit_identical(lambda: DRAWS[name](dtype))
    if name not in ("categorical",):
        assert out.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_randint_bit_identical_across_backends(dtype):
    lo, hi = {"int32": (-100, 1000), "int64": (-(2**62), 2**62), "uint8": (0, 256)}[dtype]
    out = _assert_bit_identical(lambda: twr.randint((1500,), lo, hi, dtype=dtype, seed=5))
    assert out.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_precision_draws_identical_across_backends(dtype):
    # bfloat16 has no NumPy dtype: compare Python values (exact for these formats)
    for fn in (lambda: twr.uniform((1000,), -1, 3, dtype=dtype, seed=3),
               lambda: twr.normal((1000,), dtype=dtype, seed=3)):
        values = []
        for name in BACKENDS:
            with tw.backend_scope(name):
                t = fn()
                assert t.dtype == dtype
                values.append(t.tolist())
        assert values[0] == values[1]


# ---- seeds ----------------------------------------------------------------------------------
def test_same_int_seed_same_values_and_different_seeds_differ():
    a = twr.normal((100,), seed=42).numpy()
    assert np.array_equal(a, twr.normal((100,), seed=42).numpy())
    for other in (43, -42, 42 + 2**32):
        assert not np.array_equal(a, twr.normal((100,), seed=other).numpy())


def test_int_seed_to_key_mapping_is_the_documented_one():
    # key = (v & 0xFFFFFFFF, v >> 32) with v = seed mod 2**64
    assert twr.draw_key(5).tolist() == [5, 0]
    assert twr.draw_key(2**32 + 7).tolist() == [7, 1]
    assert twr.draw_key(-1).tolist() == [0xFFFFFFFF, 0xFFFFFFFF]
    assert twr.draw_key(3 + 2**64).tolist() == [3, 0]
    assert np.array_equal(twr.uniform((50,), seed=-1).numpy(),
                          twr.uniform((50,), seed=2**64 - 1).numpy())


def test_tensor_key_means_that_key():
    key = ops.convert_to_tensor([5, 0], "uint32")
    assert np.array_equal(twr.normal((64,), seed=key).numpy(), twr.normal((64,), seed=5).numpy())
    from tensorweave.variables import Variable

    var = Variable(key, dtype="uint32")
    assert np.array_equal(twr.normal((64,), seed=var).numpy(), twr.normal((64,), seed=5).numpy())
    # a tensor key is stateless: using it twice gives the same draw
    assert np.array_equal(twr.uniform((8,), seed=key).numpy(), twr.uniform((8,), seed=key).numpy())


def test_seed_generator_advances_and_is_reproducible():
    g1, g2 = twr.SeedGenerator(1234), twr.SeedGenerator(1234)
    seq1 = [twr.uniform((16,), seed=g1).numpy() for _ in range(3)]
    seq2 = [twr.uniform((16,), seed=g2).numpy() for _ in range(3)]
    for a, b in zip(seq1, seq2):
        assert np.array_equal(a, b)
    assert not np.array_equal(seq1[0], seq1[1])
    assert not np.array_equal(seq1[1], seq1[2])
    assert g1.state.dtype is tw.uint32 and g1.state.shape == (2,)
    assert g1.seed == 1234 and twr.SeedGenerator.from_config(g1.get_config()).seed == 1234


def test_seed_generator_first_draw_equals_int_seed_as_in_keras():
    g = twr.SeedGenerator(7)
    assert np.array_equal(twr.normal((32,), seed=g).numpy(), twr.normal((32,), seed=7).numpy())
    assert not np.array_equal(twr.normal((32,), seed=g).numpy(),
                              twr.normal((32,), seed=7).numpy())


def test_seed_generator_next_returns_key_and_moves_state():
    g = twr.SeedGenerator(3)
    k1 = g.next()
    assert k1.dtype is tw.uint32 and k1.tolist() == [3, 0]
    k2 = g.next()
    assert k2.tolist() != k1.tolist()
    assert g.state.numpy().tolist() != k2.tolist()


def test_seed_generator_sequence_is_the_same_on_every_backend():
    seqs = []
    for name in BACKENDS:
        with tw.backend_scope(name):
            g = twr.SeedGenerator(2024)
            seqs.append([g.next().tolist() for _ in range(4)])
    assert seqs[0] == seqs[1]


def test_global_seed_none_and_set_seed():
    a = twr.uniform((16,)).numpy()
    b = twr.uniform((16,)).numpy()
    assert not np.array_equal(a, b)  # each draw advances the global generator
    twr.set_seed(77)
    c = [twr.uniform((16,)).numpy(), twr.normal((16,)).numpy()]
    twr.set_seed(77)
    d = [twr.uniform((16,)).numpy(), twr.normal((16,)).numpy()]
    for x, y in zip(c, d):
        assert np.array_equal(x, y)
    assert np.array_equal(c[0], twr.uniform((16,), seed=77).numpy())
    twr.set_seed(None)  # back to an os.urandom seed


def test_global_generator_works_under_any_backend():
    twr.set_seed(5)
    with tw.backend_scope("python"):
        a = twr.uniform((10,)).numpy()
    twr.set_seed(5)
    assert np.array_equal(a, twr.uniform((10,)).numpy())
    twr.set_seed(None)


# ---- distributions ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_normal_statistics(dtype):
    z = twr.normal((10000,), dtype=dtype, seed=1).numpy()
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.035
    assert abs(((z > 1.0) | (z < -1.0)).mean() - 0.3173) < 0.025
    w = twr.normal((10000,), 3.0, 0.5, dtype=dtype, seed=2).numpy()
    assert abs(w.mean() - 3.0) < 0.025 and abs(w.std() - 0.5) < 0.02


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_truncated_normal_statistics_and_bounds(dtype):
    z = twr.truncated_normal((10000,), dtype=dtype, seed=3).numpy()
    assert z.min() >= -2.0 and z.max() <= 2.0
    assert abs(z.mean()) < 0.045 and abs(z.std() - 0.8796) < 0.03
    w = twr.truncated_normal((10000,), 5.0, 0.1, dtype=dtype, seed=4).numpy()
    assert w.min() >= 5.0 - 0.2 and w.max() <= 5.0 + 0.2


def test_transcendentals_are_accurate():
    x = np.exp(np.linspace(-40.0, 0.0, 3001))
    got = twr._log(ops.convert_to_tensor(x, "float64")).numpy()
    assert np.max(np.abs(got - np.log(x))) < 4e-15 * np.max(np.abs(np.log(x)))
    u = np.arange(4096) / 4096.0
    c, s = twr._cos_sin_2pi(ops.convert_to_tensor(u, "float64"))
    assert np.max(np.abs(c.numpy() - np.cos(2 * np.pi * u))) < 2e-15
    assert np.max(np.abs(s.numpy() - np.sin(2 * np.pi * u))) < 2e-15
    from statistics import NormalDist

    y = np.linspace(-twr._ERF_SQRT2, twr._ERF_SQRT2, 1001)
    ref = np.array([NormalDist().inv_cdf((v + 1) / 2) / math.sqrt(2) for v in y])
    got = twr._erfinv_central(ops.convert_to_tensor(y, "float64"), 2).numpy()
    assert np.max(np.abs(got - ref)) < 1e-14


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
@pytest.mark.parametrize("lo,hi", [(0.0, 1.0), (-3.0, -1.0), (-1.0, 0.0), (2.0, 2.5)])
def test_uniform_stays_in_half_open_range(dtype, lo, hi):
    u = np.array(twr.uniform((20000,), lo, hi, dtype=dtype, seed=1).tolist())
    assert u.min() >= lo and u.max() < hi
    assert abs(u.mean() - (lo + hi) / 2) < 0.03 * (hi - lo)


def test_uniform_statistics():
    u = twr.uniform((10000,), seed=9).numpy()
    assert u.dtype == np.float32
    assert abs(u.mean() - 0.5) < 0.015 and abs(u.var() - 1 / 12) < 0.006
    counts = np.histogram(u, bins=10, range=(0, 1))[0]
    assert counts.min() > 850 and counts.max() < 1150


def test_randint_range_and_uniformity():
    i = twr.randint((10000,), -5, 5, seed=3).numpy()
    assert i.dtype == np.int32 and i.min() == -5 and i.max() == 4
    counts = np.bincount(i + 5)
    assert counts.min() > 850 and counts.max() < 1150
    full = twr.randint((5000,), 0, 256, dtype="uint8", seed=1).numpy()
    assert full.dtype == np.uint8 and full.min() == 0 and full.max() == 255
    wide = twr.randint((1000,), -(2**62), 2**62, dtype="int64", seed=2).numpy()
    assert wide.min() >= -(2**62) and wide.max() < 2**62 and wide.min() < -(2**60)
    top = twr.randint((1000,), 2**64 - 10, 2**64, dtype="uint64", seed=2).numpy()
    assert int(top.min()) >= 2**64 - 10 and set(top.tolist()) == set(range(2**64 - 10, 2**64))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_rate_and_scaling(dtype):
    x = np.linspace(0.5, 1.5, 10000).astype(dtype)
    y = twr.dropout(ops.convert_to_tensor(x), 0.3, seed=2).numpy()
    assert y.dtype == np.dtype(dtype)
    dropped = y == 0
    assert abs(dropped.mean() - 0.3) < 0.023
    np.testing.assert_array_equal(y[~dropped], x[~dropped] / np.array(0.7, dtype=dtype))
    same = twr.dropout(ops.convert_to_tensor(x), 0.0, seed=2).numpy()
    np.testing.assert_array_equal(same, x)


def test_dropout_noise_shape_broadcasts_one_mask():
    x = ops.ones((50, 8))
    y = twr.dropout(x, 0.5, noise_shape=(1, 8), seed=4).numpy()
    assert (y == y[:1]).all()
    z = twr.dropout(x, 0.5, noise_shape=(None, 1), seed=4).numpy()
    assert (z == z[:, :1]).all() and 0 < (z[:, 0] == 0).sum() < 50


def test_shuffle_permutes_slices():
    x = np.arange(60).reshape(12, 5)
    y = twr.shuffle(x, seed=1).numpy()
    assert sorted(y[:, 0].tolist()) == x[:, 0].tolist()
    assert (y % 5 == np.arange(5)).all()  # rows moved whole
    assert not np.array_equal(x, y)
    z = twr.shuffle(x, axis=1, seed=1).numpy()
    assert (z - z[:, :1] == (z[0] - z[0, 0])).all()  # one permutation for all rows
    assert sorted(z[0].tolist()) == x[0].tolist()


def test_categorical_frequencies():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    logits = np.log(np.where(p > 0, p, 1.0)) + np.where(p > 0, 0.0, -np.inf)
    s = twr.categorical(logits.astype("float32"), 5000, seed=5).numpy()
    assert s.shape == (2, 5000) and s.dtype == np.int32
    for row, probs in zip(s, p):
        freq = np.bincount(row, minlength=3) / 5000
        assert np.abs(freq - probs).max() < 0.035
    assert not (s[1] == 2).any()


# ---- tracing -----------------------------------------------------------------------------------
def test_traced_draws_with_a_key_input_equal_eager_draws():
    from tensorweave.graph import jit

    def step(key, x):
        return (twr.normal((6,), seed=key), twr.dropout(x, 0.5, seed=key),
                twr.randint((5,), 0, 9, seed=key), twr.shuffle(x, seed=key))

    x = ops.linspace(0.0, 1.0, 8)
    traced = jit(step)(ops.convert_to_tensor([5, 0], "uint32"), x)
    eager = step(5, x)
    for a, b in zip(traced, eager):
        assert np.array_equal(a.numpy(), b.numpy())


def test_seed_generator_threads_through_a_traced_stateless_step():
    from tensorweave.graph import jit
    from tensorweave.variables import StatelessScope

    g = twr.SeedGenerator(21)

    def step(state, x):
        with StatelessScope({g.state: state}) as scope:
            a = twr.dropout(x, 0.5, seed=g)
            b = twr.normal((4,), seed=g)
            return a, b, scope.value_of(g.state)

    x = ops.linspace(1.0, 2.0, 16)
    compiled = jit(step)
    a1, b1, s1 = compiled(g.state.value, x)
    a2, b2, s2 = compiled(s1, x)
    ref = twr.SeedGenerator(21)
    for traced in (a1, b1, a2, b2):
        eager = (twr.dropout(x, 0.5, seed=ref) if traced.shape == (16,)
                 else twr.normal((4,), seed=ref))
        assert np.array_equal(traced.numpy(), eager.numpy())
    assert s2.tolist() == ref.state.numpy().tolist()
    assert g.state.numpy().tolist() == [21, 0]  # the variable itself is left to the trainer


def test_seed_generator_inside_a_trace_says_what_to_do():
    from tensorweave.graph import jit

    g = twr.SeedGenerator(1)
    with pytest.raises(TracingError,
                       match="SeedGenerator.next.*StatelessScope.*seed=<uint32 tensor"):
        jit(lambda x: twr.dropout(x, 0.5, seed=g))(ops.ones((4,)))
    assert g.state.numpy().tolist() == [1, 0]  # not advanced


# ---- errors ----------------------------------------------------------------------------------
ERRORS = {
    "dropout-rate-1": (lambda: twr.dropout(ops.ones((3,)), 1.0), InvalidArgumentError,
                       ["dropout", "'rate'", "[0, 1)", "1.0"]),
    "dropout-rate-neg": (lambda: twr.dropout(ops.ones((3,)), -0.1), InvalidArgumentError,
                         ["dropout", "'rate'", "-0.1"]),
    "dropout-int": (lambda: twr.dropout(ops.ones((3,), "int32"), 0.1), DTypeError,
                    ["dropout", "'inputs'", "float", "int32"]),
    "dropout-noise-shape": (lambda: twr.dropout(ops.ones((3, 4)), 0.1, noise_shape=(3, 2)),
                            ShapeError, ["dropout", "'noise_shape'", "(3, 4)", "(3, 2)"]),
    "uniform-min-max": (lambda: twr.uniform((3,), 1.0, 1.0), InvalidArgumentError,
                        ["uniform", "'maxval'", "above minval", "1.0"]),
    "uniform-int-dtype": (lambda: twr.uniform((3,), dtype="int32"), DTypeError,
                          ["uniform", "'dtype'", "float dtype", "int32"]),
    "uniform-bad-dtype": (lambda: twr.uniform((3,), dtype="float33"), DTypeError,
                          ["uniform", "'dtype'", "float33"]),
    "normal-int-dtype": (lambda: twr.normal((3,), dtype="int64"), DTypeError,
                         ["normal", "'dtype'", "int64"]),
    "truncated-int-dtype": (lambda: twr.truncated_normal((3,), dtype="uint8"), DTypeError,
                            ["truncated_normal", "'dtype'", "uint8"]),
    "randint-min-max": (lambda: twr.randint((3,), 5, 5), InvalidArgumentError,
                        ["randint", "'maxval'", "above minval (5)", "got 5"]),
    "randint-float-dtype": (lambda: twr.randint((3,), 0, 5, dtype="float32"), DTypeError,
                            ["randint", "'dtype'", "integer", "float32"]),
    "randint-out-of-dtype": (lambda: twr.randint((3,), -1, 5, dtype="uint8"),
                             InvalidArgumentError, ["randint", "uint8", "[-1, 5)"]),
    "randint-float-bound": (lambda: twr.randint((3,), 0, 2.5), InvalidArgumentError,
                            ["randint", "'maxval'", "an int", "2.5"]),
    "seed-str": (lambda: twr.normal((3,), seed="abc"), InvalidArgumentError,
                 ["normal", "'seed'", "SeedGenerator", "'abc'"]),
    "seed-float": (lambda: twr.normal((3,), seed=1.5), InvalidArgumentError,
                   ["normal", "'seed'", "1.5"]),
    "seed-bool": (lambda: twr.uniform((3,), seed=True), InvalidArgumentError,
                  ["uniform", "'seed'", "True"]),
    "seed-shape": (lambda: twr.uniform((3,), seed=ops.zeros((3,), "uint32")), ShapeError,
                   ["uniform", "'seed'", "(2,)", "(3,)"]),
    "seed-float-tensor": (lambda: twr.uniform((3,), seed=ops.zeros((2,))), DTypeError,
                          ["uniform", "'seed'", "uint32", "float32"]),
    "generator-seed": (lambda: twr.SeedGenerator("x"), InvalidArgumentError,
                       ["SeedGenerator", "'seed'", "'x'"]),
    "set-seed": (lambda: twr.set_seed(2.0), InvalidArgumentError, ["set_seed", "'seed'", "2.0"]),
    "unknown-shape": (lambda: twr.normal((None, 3)), InvalidArgumentError,
                      ["normal", "'shape'", "fully known", "(None, 3)"]),
    "negative-shape": (lambda: twr.normal((-1, 3)), InvalidArgumentError, ["normal", "shape"]),
    "categorical-1d": (lambda: twr.categorical(ops.zeros((3,)), 2), ShapeError,
                       ["categorical", "'logits'", "2-d", "(3,)"]),
    "categorical-samples": (lambda: twr.categorical(ops.zeros((2, 3)), -1),
                            InvalidArgumentError, ["categorical", "'num_samples'", "-1"]),
    "shuffle-0d": (lambda: twr.shuffle(ops.ones(())), ShapeError, ["shuffle", "'x'"]),
    "shuffle-axis": (lambda: twr.shuffle(ops.ones((3,)), axis=2), InvalidArgumentError,
                     ["shuffle", "'axis'", "2"]),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_name_function_argument_expected_and_got(case):
    thunk, exc, parts = ERRORS[case]
    with pytest.raises(exc) as info:
        thunk()
    assert isinstance(info.value, TensorweaveError)
    for part in parts:
        assert part in str(info.value), f"{part!r} not in {str(info.value)!r}"


def test_bad_arguments_do_not_consume_global_draws():
    twr.set_seed(11)
    with pytest.raises(DTypeError):
        twr.uniform((3,), dtype="int32")
    a = twr.uniform((4,)).numpy()
    twr.set_seed(11)
    assert np.array_equal(a, twr.uniform((4,)).numpy())
    twr.set_seed(None)


def test_import_stays_light():
    code = ("import sys, tensorweave as tw; import tensorweave.random; "
            "assert 'numpy' not in sys.modules, 'numpy imported'")
    subprocess.run([sys.executable, "-c", code], check=True)
