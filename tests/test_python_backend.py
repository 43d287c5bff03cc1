"""The pure-Python reference backend: rounding helpers, every primitive kernel against
hand-computed values or NumPy (computed here, in float64, then rounded once), and the
promise that the backend runs without NumPy."""

from __future__ import annotations

import math
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.backends.python import PyArray, PythonBackend
from tensorweave.backends.python import rounding as R

o = tw.ops
NAN, INF = math.nan, math.inf


@pytest.fixture(autouse=True)
def _python_backend():
    with tw.backend_scope("python"):
        yield


def T(values, dtype=None):
    """A python-backend tensor from nested lists or a NumPy array."""
    return o.convert_to_tensor(values, dtype, backend="python")


def same(actual, expected, dtype=None):
    """Bit-for-bit equality (NaN equals NaN, and the dtype must match)."""
    a = actual.numpy() if hasattr(actual, "numpy") else np.asarray(actual)
    e = np.asarray(expected, dtype=dtype if dtype is not None else a.dtype)
    assert a.shape == e.shape, (a.shape, e.shape)
    assert a.dtype == e.dtype, (a.dtype, e.dtype)
    np.testing.assert_array_equal(a, e)


RNG = np.random.default_rng(0)


def _bf16_reference(values):
    """bfloat16 rounding computed with NumPy bit operations: float32, then nearest even."""
    f = np.asarray(values, dtype=np.float64).astype(np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    nan = np.isnan(f)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    out = r.view(np.float32).copy()
    out[nan] = np.nan
    return out


# ---- rounding helpers --------------------------------------------------------------------
def test_round_float32_ties_overflow_and_nan():
    ulp = 2.0 ** -23
    vals = [1 + ulp / 2, 1 + 3 * ulp / 2, -(1 + ulp / 2), 3.4028235677973366e38, 3.5e38,
            -1e300, 3.4028234663852886e38, 1e-46, 0.1, NAN, INF, -0.0]
    vals += RNG.standard_normal(200).tolist() + (RNG.standard_normal(50) * 1e38).tolist()
    got = R.round_float32(vals)
    with np.errstate(over="ignore"):
        exp = np.asarray(vals, dtype=np.float64).astype(np.float32).tolist()
    np.testing.assert_array_equal(np.array(got), np.array(exp))
    assert got[:6] == [1.0, 1 + 2 * ulp, -1.0, INF, INF, -INF]
    assert math.isnan(got[9]) and math.copysign(1, got[11]) == -1


def test_round_float16_ties_subnormals_and_overflow():
    vals = [65504.0, 65519.99, 65520.0, -65520.0, 1e10, 2.0 ** -25, 3 * 2.0 ** -25,
            1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 6e-8, NAN, -INF, 0.1]
    vals += (RNG.standard_normal(300) * 1000).tolist() + (RNG.standard_normal(50) * 1e-6).tolist()
    got = R.round_float16(vals)
    with np.errstate(over="ignore"):
        exp = np.asarray(vals, dtype=np.float64).astype(np.float16).astype(np.float64)
    np.testing.assert_array_equal(np.array(got), exp)
    assert got[:9] == [65504.0, 65504.0, INF, -INF, INF, 0.0, 2.0 ** -23, 1.0, 1 + 2.0 ** -9]


def test_round_bfloat16_nearest_even_via_float32():
    vals = [1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, -(1 + 2.0 ** -8), 3.4e38, 3.3895313892515355e38,
            -3.4e38, NAN, INF, 0.0, -0.0, 1e-40]
    got = R.round_bfloat16(vals)
    assert got[:6] == [1.0, 1 + 2.0 ** -6, -1.0, INF, 3.3895313892515355e38, -INF]
    assert math.isnan(got[6]) and got[7] == INF
    rand = (RNG.standard_normal(300) * 10.0 ** RNG.integers(-30, 30, 300)).tolist()
    np.testing.assert_array_equal(np.array(R.round_bfloat16(rand)), _bf16_reference(rand))


def test_round_bfloat16_double_rounding_through_float32():
    # v is just above a bf16 tie in float64 but rounds *onto* the tie in float32;
    # the contract is round_bf16(round_f32(v)), so the tie then goes to even (1.0)
    v = 1 + 2.0 ** -8 + 2.0 ** -40
    assert R.round_float32([v]) == [1 + 2.0 ** -8]
    assert R.round_bfloat16([v]) == [1.0]


def test_wrap_int():
    assert R.wrap_int([127, 128, -129, 255, 2 ** 31, -1], 8, True) == [127, -128, 127, -1, 0, -1]
    assert R.wrap_int([256, -1, 300], 8, False) == [0, 255, 44]
    assert R.wrap_int([2 ** 63, -(2 ** 63) - 1], 64, True) == [-(2 ** 63), 2 ** 63 - 1]
    assert R.wrap_int([2 ** 64 + 5], 64, False) == [5]
    assert R.wrap_int([2 ** 31], 32, True) == [-(2 ** 31)]


def test_rounder_for_each_dtype():
    assert R.rounder_for(tw.float64)([0.1]) == [0.1]
    assert R.rounder_for(tw.float32)([0.1]) == [float(np.float32(0.1))]
    assert R.rounder_for(tw.bool_)([0, 2, 0.0]) == [False, True, False]
    assert R.rounder_for(tw.uint16)([-1]) == [65535]


def test_exact_sum_round_to_odd_avoids_double_rounding():
    vals = [1.0, 2.0 ** -24, 2.0 ** -60]  # exact sum is just above a float32 tie
    assert R.exact_sum(vals) == 1 + 2.0 ** -24  # float64: the tie itself
    assert R.round_float32([R.exact_sum(vals, odd=True)]) == [1 + 2.0 ** -23]
    assert R.exact_sum([1e308, 1e308, -1e308]) == 1e308  # fsum overflows; exact fallback
    assert R.exact_sum([1e308, 1e308]) == INF
    assert math.isnan(R.exact_sum([INF, -INF]))
    assert R.exact_sum([INF, 1.0]) == INF
    assert math.isnan(R.exact_sum([NAN, INF]))


def test_int_to_float_rounds_once():
    v = 2 ** 60 + 2 ** 36 + 1  # int -> float64 -> float32 would round to 2**60 (a tie)
    assert R.cast_values([v], "i", tw.float32) == [float(2 ** 60 + 2 ** 37)]
    assert float(np.array([v], np.int64).astype(np.float32)[0]) == float(2 ** 60 + 2 ** 37)
    assert R.cast_values([2 ** 64 - 1], "u", tw.float16) == [INF]


# ---- the backend object -----------------------------------------------------------------
def test_backend_registered_and_complete():
    names = {b.name: b for b in tw.list_backends()}
    assert names["python"].available
    be = tw.get_backend("python")
    assert isinstance(be, PythonBackend) and be.name == "python"
    assert be.availability() == (True, "")
    assert be.device_description() == "cpu (pure Python reference)"
    missing = [p for p in o.primitives() if p not in be.kernels]
    assert missing == []


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8",
                                   "uint16", "uint32", "uint64", "float16", "bfloat16",
                                   "float32", "float64"])
def test_roundtrip_every_dtype(dtype):
    vals = [[0, 1, 1], [1, 0, 1]] if dtype == "bool" else [[0, 1, 2], [3, 4, 5]]
    x = T(vals, dtype)
    assert x.shape == (2, 3) and x.dtype == dtype and x.backend == "python"
    assert isinstance(x.data, PyArray) and x.data.dtype is x.dtype
    expected = [[bool(v) for v in r] for r in vals] if dtype == "bool" else vals
    assert x.tolist() == expected
    arr = x.numpy()
    assert arr.dtype == ("float32" if dtype == "bfloat16" else dtype)
    back = T(arr, dtype)
    assert back.tolist() == expected


def test_conversions_round_and_coerce():
    assert T([0.1], "float32").tolist() == [float(np.float32(0.1))]
    assert T(np.array([0.1]), "float32").tolist() == [float(np.float32(0.1))]
    assert T(np.array([1.7, -1.7, 300.0]), "int8").tolist() == [1, -1, 44]
    assert T(np.array([True, False]), "float64").tolist() == [1.0, 0.0]
    y = o.add(T([1.5], "float64"), 1)  # weak int scalar on a float tensor
    assert y.tolist() == [2.5] and type(o.multiply(T([2.0], "float64"), 1).tolist()[0]) is float
    z = o.add(T([1], "int32"), True)
    assert z.tolist() == [2] and type(z.tolist()[0]) is int
    b = T([1.0, 2.0], "bfloat16")
    assert b.numpy().dtype == np.float32
    x = T([[1, 2], [3, 4]], "int32")
    assert T(x.data).tolist() == [[1, 2], [3, 4]]  # from_native
    assert o.to_backend(x, "python") is x


def test_array_helpers():
    from tensorweave.backends.python import array as A

    assert A.strides_of((2, 3, 4)) == (12, 4, 1) and A.strides_of(()) == ()
    assert A.size_of((2, 0, 3)) == 0 and A.size_of(()) == 1
    assert A.broadcast_shape((3, 1), (4,), ()) == (3, 4)
    assert A.broadcast_flat([1, 2, 3], (3, 1), (2, 3, 2)) == [1, 1, 2, 2, 3, 3] * 2
    assert A.offsets((2, 2), (1, 2)) == [0, 2, 1, 3]  # a transposed 2x2 view
    assert A.transpose_flat([0, 1, 2, 3, 4, 5], (2, 3), (1, 0)) == [0, 3, 1, 4, 2, 5]
    assert list(A.index_iter((2, 2))) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert A.group_axes_last([0, 1, 2, 3, 4, 5], (2, 3), (0,)) == ([0, 3, 1, 4, 2, 5], 3, 2)
    a = PyArray([1.0, 2.0], (2,), tw.float32)
    assert a.ndim == 1 and a.size == 2 and len(a) == 2 and "float32" in repr(a)


def test_kernels_never_write_into_inputs():
    x = T(np.arange(6, dtype=np.float32).reshape(2, 3))
    before = list(x.data.data)
    o.strided_slice_update(x, T(np.ones((1, 3), np.float32)), (slice(0, 1),))
    o.scatter_add(x, T([[0, 1]], "int32"), T([5.0]))
    o.pad(x, 1)
    o.reshape(x, (3, 2))
    o.where(T([True, False, True]), x, 0.0)
    assert x.data.data == before


# ---- creation ----------------------------------------------------------------------------
def test_full_and_arange():
    same(o.full((2, 3), 0.1, "float32"), np.full((2, 3), 0.1, np.float32))
    same(o.full((0, 3), 7, "int32"), np.zeros((0, 3), np.int32))
    same(o.ones((), "bool"), np.array(True))
    same(o.arange(5), np.arange(5, dtype=np.int32))
    same(o.arange(10, 1, -3), np.arange(10, 1, -3, dtype=np.int32))
    same(o.arange(0.0, 1.0, 0.1), (np.arange(10) * 0.1).astype(np.float32))
    same(o.arange(3, 3), np.zeros((0,), np.int32))
    same(o.arange(-1.5, 1.0, 0.5, dtype="float64"), np.arange(-1.5, 1.0, 0.5))
    same(o.arange(250, 260, dtype="int8"), np.arange(250, 260).astype(np.int8))


# ---- elementwise -------------------------------------------------------------------------
SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1.0, -1.0, 3.7, -3.7, 100.0, -100.0, 1e30,
           -1e30, INF, -INF, NAN, 1e-3, 2.0 ** 53 + 2]

UNARY = {
    "neg": np.negative, "abs": np.abs, "sign": np.sign, "exp": np.exp, "log": np.log,
    "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos,
    "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil, "round": np.round,
}
EXACT_UNARY = {"neg", "abs", "sign", "floor", "ceil", "round", "sqrt"}


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_unary_float_vs_numpy(name, dtype):
    vals = SPECIAL + (RNG.standard_normal(40) * 3).tolist()
    x = T(vals, dtype)
    src = x.numpy().astype(np.float64)
    with np.errstate(all="ignore"):
        exp = UNARY[name](src).astype(dtype)
    got = getattr(o, name)(x)
    assert got.dtype == dtype
    if name in EXACT_UNARY:
        same(got, exp)
        # the sign of zero follows NumPy too (NaN's sign bit is not part of the contract)
        ok = ~np.isnan(exp)
        np.testing.assert_array_equal(np.signbit(got.numpy()[ok]), np.signbit(exp[ok]))
    else:
        np.testing.assert_allclose(got.numpy(), exp, rtol=2e-7 if dtype != "float16" else 1e-3,
                                   atol=0, equal_nan=True)


def test_erf():
    vals = [0.0, 0.5, -1.0, 3.0, INF, -INF, NAN]
    got = o.erf(T(vals, "float64")).tolist()
    assert got[:6] == [math.erf(v) for v in vals[:6]] and math.isnan(got[6])
    got32 = o.erf(T(vals, "float32")).tolist()
    assert got32[:6] == [float(np.float32(math.erf(v))) for v in vals[:6]]


def test_unary_domain_errors_do_not_raise():
    x = T([0.0, -1.0, 1000.0, -INF, NAN], "float32")
    lg = o.log(x).numpy()
    assert lg[0] == -INF and np.isnan(lg[1]) and np.isnan(lg[3]) and np.isnan(lg[4])
    assert o.exp(x).tolist()[2] == INF and o.exp(x).tolist()[3] == 0.0
    assert np.isnan(o.sqrt(x).numpy()[1])
    assert o.log1p(T([-1.0, -2.0], "float64")).numpy()[0] == -INF
    assert np.isnan(o.log1p(T([-2.0], "float64")).numpy()[0])
    assert o.expm1(T([1000.0, -INF], "float64")).tolist() == [INF, -1.0]
    assert np.isnan(o.sin(T([INF], "float64")).numpy()).all()
    assert np.isnan(o.cos(T([-INF], "float64")).numpy()).all()


def test_round_half_to_even():
    got = o.round(T([0.5, 1.5, 2.5, -0.5, -1.5, 3.5, 2.4999999], "float64")).tolist()
    assert got == [0.0, 2.0, 2.0, -0.0, -2.0, 4.0, 2.0]
    assert math.copysign(1, got[3]) == -1


def test_unary_integer_and_bool():
    same(o.neg(T([1, -128, 127], "int8")), np.array([-1, -128, -127], np.int8))
    same(o.abs(T([-128, -3], "int8")), np.array([-128, 3], np.int8))
    same(o.neg(T([0, 1], "uint8")), np.array([0, 255], np.uint8))
    same(o.sign(T([-5, 0, 7], "int32")), np.array([-1, 0, 1], np.int32))
    same(o.abs(T([True, False])), np.array([True, False]))
    same(o.logical_not(T([True, False])), np.array([False, True]))
    same(o.isnan(T([1, 2], "int32")), np.array([False, False]))
    same(o.isfinite(T([1, 2], "int32")), np.array([True, True]))
    same(o.isnan(T([1.0, NAN, INF])), np.array([False, True, False]))
    same(o.isfinite(T([1.0, NAN, -INF])), np.array([True, False, False]))


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
    "maximum": np.maximum, "minimum": np.minimum, "floor_divide": np.floor_divide,
    "mod": np.mod, "power": np.power,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_binary_float_vs_numpy_with_broadcasting(name, dtype):
    a = np.array(SPECIAL[:12], dtype=np.float64).reshape(3, 4, 1)
    b = np.array([2.0, -0.5, 0.0, 3.0, NAN, -INF], dtype=np.float64)
    if name == "power":
        a = np.abs(a)
    x, y = T(a, dtype), T(b, dtype)
    with np.errstate(all="ignore"):
        exp = BINARY[name](x.numpy().astype(np.float64), y.numpy().astype(np.float64))
        exp = exp.astype(dtype)
    got = getattr(o, name)(x, y)
    assert got.shape == (3, 4, 6) and got.dtype == dtype
    if name == "power":
        np.testing.assert_allclose(got.numpy(), exp, rtol=1e-6, equal_nan=True)
    else:
        same(got, exp)


@pytest.mark.parametrize("dtype", ["int8", "int32", "uint8", "int64", "uint64"])
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "maximum", "minimum",
                                  "floor_divide", "mod"])
def test_binary_int_vs_numpy_wraps(name, dtype):
    info = np.iinfo(dtype)
    a = np.array([info.min, info.max, 7, 0, 3, info.max // 2], dtype=dtype).reshape(6, 1)
    b = np.array([1, 2, 3, info.max, 5] + ([-3] if info.min < 0 else [9]), dtype=dtype)
    with np.errstate(all="ignore"):
        exp = BINARY[name](a, b)
    same(getattr(o, name)(T(a), T(b)), exp)


def test_integer_division_by_zero_and_mod_sign():
    same(o.floor_divide(T([7, -7, 0], "int32"), T([0, 0, 0], "int32")),
         np.zeros(3, np.int32))
    same(o.mod(T([7, -7], "int32"), T([0, 0], "int32")), np.zeros(2, np.int32))
    same(o.mod(T([7, -7, 7, -7], "int32"), T([3, 3, -3, -3], "int32")),
         np.array([1, 2, -2, -1], np.int32))
    same(o.floor_divide(T([-7], "int32"), T([2], "int32")), np.array([-4], np.int32))
    fl = o.floor_divide(T([1.0, -1.0, 0.0], "float32"), T([0.0, 0.0, 0.0], "float32")).numpy()
    assert fl[0] == INF and fl[1] == -INF and np.isnan(fl[2])
    assert np.isnan(o.mod(T([1.0], "float32"), T([0.0], "float32")).numpy()[0])
    same(o.mod(T([-1.0, 1.0], "float64"), T([3.0, -3.0], "float64")), np.array([2.0, -2.0]))
    dv = o.divide(T([1.0, -1.0, 0.0], "float32"), T([0.0, 0.0, 0.0], "float32")).numpy()
    assert dv[0] == INF and dv[1] == -INF and np.isnan(dv[2])
    assert o.divide(T([1.0], "float64"), T([-0.0], "float64")).tolist() == [-INF]


def test_integer_power_is_modular_and_exact():
    a = np.array([3, -3, 2, 0, 7], np.int32)
    b = np.array([40, 41, 31, 5, 0], np.int32)
    same(o.power(T(a), T(b)), np.power(a, b))
    same(o.power(T([2], "uint8"), T([9], "uint8")), np.array([0], np.uint8))
    assert o.power(T([2], "int32"), T([10 ** 9], "int32")).tolist() == [0]  # no huge ints


def test_float_power_special_values():
    got = o.power(T([-8.0, 0.0, -0.0, 10.0, -10.0, 2.0], "float64"),
                  T([1 / 3, -1.0, -1.0, 400.0, 401.0, -2000.0], "float64")).numpy()
    assert np.isnan(got[0]) and got[1] == INF and got[2] == -INF
    assert got[3] == INF and got[4] == -INF and got[5] == 0.0
    assert o.power(T([1e20], "float32"), T([3.0], "float32")).tolist() == [INF]


def test_maximum_minimum_propagate_nan():
    x, y = T([NAN, 1.0, 2.0], "float32"), T([1.0, NAN, 1.0], "float32")
    for f in (o.maximum, o.minimum):
        got = f(x, y).numpy()
        assert np.isnan(got[0]) and np.isnan(got[1])
    assert o.maximum(x, y).tolist()[2] == 2.0 and o.minimum(x, y).tolist()[2] == 1.0


@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_comparisons(name):
    a = np.array([[1.0, NAN, -0.0, INF]], np.float32).T
    b = np.array([1.0, NAN, 0.0, 2.0], np.float32)
    same(getattr(o, name)(T(a), T(b)), getattr(np, name)(a, b))
    ai, bi = np.array([1, 5, -3], np.int16), np.array([1, 4, 2], np.int16)
    same(getattr(o, name)(T(ai), T(bi)), getattr(np, name)(ai, bi))


def test_logical_and_bitwise():
    p = np.array([[True], [False]])
    q = np.array([True, False])
    for name in ("logical_and", "logical_or", "logical_xor"):
        same(getattr(o, name)(T(p), T(q)), getattr(np, name)(p, q))
    a = np.array([12, -7, 255], np.int16)
    b = np.array([10, 3, -1], np.int16)
    for name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        same(getattr(o, name)(T(a), T(b)), getattr(np, name)(a, b))
        same(getattr(o, name)(T(p), T(q)), getattr(np, name)(p, q))
    u = np.array([0xF0, 0x0F], np.uint8)
    same(o.bitwise_xor(T(u), T(np.array([0xFF, 0xFF], np.uint8))), u ^ np.uint8(0xFF))


def test_shifts_wrap_and_right_shift_is_arithmetic():
    same(o.left_shift(T([1, 3, -1], "int8"), T([7, 6, 1], "int8")),
         np.left_shift(np.array([1, 3, -1], np.int8), np.array([7, 6, 1], np.int8)))
    same(o.right_shift(T([-8, 8, -1], "int32"), T([1, 2, 5], "int32")),
         np.array([-4, 2, -1], np.int32))
    same(o.left_shift(T([200], "uint8"), T([1], "uint8")), np.array([144], np.uint8))
    same(o.right_shift(T([200], "uint8"), T([3], "uint8")), np.array([25], np.uint8))


def test_where_broadcasts_three_ways():
    c = np.array([[True], [False]])
    a = np.arange(3, dtype=np.float32)
    b = np.float32(-1.0)
    same(o.where(T(c), T(a), T(np.array(b))), np.where(c, a, b))


CAST_CASES = [
    ([1.7, -1.7, 0.0, -0.5, 300.5], "float32", "int8"),
    ([1.7, -1.7, 2e9, -2.5], "float64", "int32"),
    ([300, -1, 65535, 70000], "int32", "uint16"),
    ([300, -1, 127, -129], "int32", "int8"),
    ([0.0, -0.0, 2.0, NAN], "float32", "bool"),
    ([0, 3, -1], "int64", "bool"),
    ([True, False], "bool", "float16"),
    ([0.1, 1e40, -1e-50, 65519.0], "float64", "float32"),
    ([0.1, 70000.0, 65519.0, 1e-8], "float64", "float16"),
    ([2 ** 31 - 1, -(2 ** 31), 16777217], "int32", "float32"),
    ([1.0000001, 3.1, 0.5], "float32", "float64"),
    ([2.0 ** 64, 1.5, 255.9], "float64", "uint8"),
]


@pytest.mark.parametrize("vals,src,dst", CAST_CASES)
def test_cast_vs_numpy(vals, src, dst):
    x = T(vals, src)
    with np.errstate(all="ignore"):
        exp = x.numpy().astype(dst)
    got = o.cast(x, dst)
    if src in ("float32", "float64") and dst in ("int8", "uint8", "int32"):
        # out-of-range float -> int is platform-dependent in NumPy; compare in range only
        ok = np.abs(x.numpy()) < 2 ** 31
        np.testing.assert_array_equal(got.numpy()[ok], np.trunc(x.numpy()[ok]).astype(
            np.int64).astype(dst))
    else:
        same(got, exp)


def test_cast_to_bfloat16_and_back():
    x = T([1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 3.4e38, NAN, 0.1], "float64")
    got = o.cast(x, "bfloat16")
    assert got.dtype == "bfloat16"
    vals = got.tolist()
    assert vals[:3] == [1.0, 1 + 2.0 ** -6, INF] and math.isnan(vals[3])
    np.testing.assert_array_equal(got.numpy(), _bf16_reference(x.numpy()))
    same(o.cast(T([1.5, -2.75], "bfloat16"), "int32"), np.array([1, -2], np.int32))


def test_copy_is_new_array():
    x = T([1.0, 2.0])
    y = o.copy(x)
    assert y.tolist() == [1.0, 2.0] and y.data is not x.data and y.data.data is not x.data.data


def test_float16_arithmetic_rounds_once_from_float64():
    a = (RNG.standard_normal(64) * 100).astype(np.float16)
    b = (RNG.standard_normal(64) * 100).astype(np.float16)
    for name in ("add", "multiply", "divide", "subtract"):
        exp = BINARY[name](a.astype(np.float64), b.astype(np.float64)).astype(np.float16)
        same(getattr(o, name)(T(a), T(b)), exp)
    same(o.multiply(T(np.array([300.0], np.float16)), T(np.array([300.0], np.float16))),
         np.array([INF], np.float16))


# ---- reductions --------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, 2, (0, 2), (), -1])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "prod", "max", "min"])
def test_reductions_vs_numpy(name, axis, keepdims):
    a = (RNG.standard_normal((2, 3, 4)) * 2).astype(np.float32)
    ia = RNG.integers(-5, 6, (2, 3, 4)).astype(np.int32)
    for arr in (a, ia):
        got = getattr(o, name)(T(arr), axis=axis, keepdims=keepdims)
        npf = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min}[name]
        exp = npf(arr.astype(np.float64) if arr.dtype.kind == "f" else arr.astype(np.int64),
                  axis=axis, keepdims=keepdims).astype(arr.dtype)
        if name == "prod" and arr.dtype.kind == "f":
            np.testing.assert_allclose(got.numpy(), exp, rtol=1e-6)
        else:
            same(got, exp)


def test_sum_is_exact_then_rounded_once():
    x = T([1.0, 2.0 ** -24, 2.0 ** -60], "float32")
    assert o.sum(x).item() == 1 + 2.0 ** -23  # a float32 accumulation would give 1.0
    assert o.sum(T([1e20, 1.0, -1e20], "float64")).item() == 1.0
    assert o.sum(T([3e38, 3e38, -3e38], "float32")).item() == float(np.float32(3e38))
    same(o.sum(T(np.zeros((0, 3), np.float32)), axis=0), np.zeros(3, np.float32))
    same(o.prod(T(np.zeros((0, 3), np.float32)), axis=0), np.ones(3, np.float32))
    same(o.sum(T([2 ** 31 - 1, 1], "int32")), np.array(-(2 ** 31), np.int32))
    same(o.sum(T([True, True, False])), np.array(2, np.int32))  # core casts bools to int32


def test_max_min_propagate_nan_and_bool():
    x = T([[1.0, NAN, 3.0], [4.0, 5.0, -1.0]], "float32")
    mx, mn = o.max(x, axis=1).numpy(), o.min(x, axis=1).numpy()
    assert np.isnan(mx[0]) and mx[1] == 5.0 and np.isnan(mn[0]) and mn[1] == -1.0
    same(o.max(T([[True, False], [False, False]]), axis=1), np.array([True, False]))


def test_any_all():
    b = np.array([[True, False, True], [False, False, False]])
    for name in ("any", "all"):
        for axis in (None, 0, 1, ()):
            same(getattr(o, name)(T(b), axis=axis), getattr(np, name)(b, axis=axis))
    same(o.any(T(np.zeros((2, 0), bool)), axis=1), np.array([False, False]))
    same(o.all(T(np.zeros((2, 0), bool)), axis=1), np.array([True, True]))


def test_argmax_argmin_first_occurrence_and_nan():
    a = np.array([[1, 3, 3, 0], [2, 2, -1, -1]], np.int32)
    for axis in (None, 0, 1):
        same(o.argmax(T(a), axis=axis), np.argmax(a, axis=axis).astype(np.int32))
        same(o.argmin(T(a), axis=axis), np.argmin(a, axis=axis).astype(np.int32))
    f = np.array([1.0, NAN, 5.0, NAN], np.float32)
    assert o.argmax(T(f)).item() == 1 and o.argmin(T(f)).item() == 1
    k = o.argmax(T(a), axis=None, keepdims=True)
    assert k.shape == (1, 1) and k.tolist() == [[1]] and k.dtype == "int32"
    assert o.argmin(T(a), axis=1, keepdims=True).tolist() == [[3], [2]]


# ---- shape ops ---------------------------------------------------------------------------
def test_reshape_transpose_broadcast():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    same(o.reshape(T(a), (4, -1)), a.reshape(4, -1))
    same(o.reshape(T(a), (24,)), a.reshape(24))
    same(o.transpose(T(a), (2, 0, 1)), a.transpose(2, 0, 1))
    same(o.transpose(T(a)), a.T)
    b = np.arange(3, dtype=np.int8).reshape(3, 1)
    same(o.broadcast_to(T(b), (2, 3, 4)), np.broadcast_to(b, (2, 3, 4)))
    same(o.broadcast_to(T(np.array(5.0)), (2, 2)), np.full((2, 2), 5.0))


def test_concatenate():
    a = np.arange(6).reshape(2, 3).astype(np.int32)
    b = np.arange(4).reshape(2, 2).astype(np.int32)
    same(o.concatenate([T(a), T(b)], axis=1), np.concatenate([a, b], axis=1))
    same(o.concatenate([T(a), T(a), T(a)], axis=0), np.concatenate([a, a, a], axis=0))
    c = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    same(o.concatenate([T(c), T(c[:, :1])], axis=1), np.concatenate([c, c[:, :1]], axis=1))


@pytest.mark.parametrize("key", [
    (slice(None, None, -1),), (slice(1, None), slice(None, None, 2)),
    (slice(None, None, -2), slice(3, 0, -1)), (slice(2, 0, -1), slice(None, None, -1)),
    (slice(0, 0),), (1, slice(None, None, -1)), (Ellipsis, 2), (None, slice(1, 3)),
])
def test_slice_and_getitem(key):
    a = np.arange(20, dtype=np.float32).reshape(4, 5)
    same(T(a)[key], a[key])


def test_slice_primitive_negative_stride_through_zero():
    a = np.arange(5, dtype=np.int32)
    # the kernel's attrs are normalised bounds: end=-1 with a negative step means
    # "through index 0" (range semantics), not "the last element"
    got = o.apply(o.get_op("slice"), (T(a),), {"begin": (4,), "end": (-1,), "strides": (-1,)})
    same(got, a[::-1])
    got = o.apply(o.get_op("slice"), (T(a),), {"begin": (3,), "end": (0,), "strides": (-2,)})
    same(got, a[3:0:-2])


def test_slice_update():
    a = np.zeros((4, 5), np.float32)
    u = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    got = o.strided_slice_update(T(a), T(u), (slice(3, 0, -2), slice(0, 5, 2)))
    exp = a.copy()
    exp[3:0:-2, 0:5:2] = u
    same(got, exp)
    exp = a.copy()
    exp[1:2] = 7.0
    same(o.strided_slice_update(T(a), T(np.float32(7.0)), (slice(1, 2),)), exp)


def test_pad():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    same(o.pad(T(a), ((1, 0), (2, 1)), constant_values=0.1),
         np.pad(a, ((1, 0), (2, 1)), constant_values=np.float32(0.1)))
    same(o.pad(T(np.array([True])), 2), np.pad(np.array([True]), 2))
    same(o.pad(T(np.arange(3, dtype=np.int8)), ((1, 1),), constant_values=-3),
         np.pad(np.arange(3, dtype=np.int8), 1, constant_values=-3))


# ---- indexing ----------------------------------------------------------------------------
def test_take():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    idx = np.array([[1, -1], [0, -2]], np.int32)
    for axis in (0, 1, 2):
        same(o.take(T(a), T(idx), axis=axis), np.take(a, idx, axis=axis))
    same(o.take(T(a), T(np.array([-1, -3], np.int32)), axis=1), np.take(a, [-1, -3], axis=1))
    same(o.take(T(a), T(np.array([5, 23], np.int64))), np.take(a, [5, 23]))
    same(o.take(T(a), T(np.zeros((0,), np.int32)), axis=1), np.take(a, [], axis=1))
    with pytest.raises(tw.errors.InvalidArgumentError):
        o.take(T(a), T(np.array([3], np.int32)), axis=1)


def test_scatter_add_duplicates_and_negative_indices():
    x = np.zeros((3, 4), np.float32)
    idx = np.array([[0, 1], [2, -1], [0, 1], [-3, 1]], np.int32)
    upd = np.array([1.0, 2.0, 3.0, 0.5], np.float32)
    exp = x.copy()
    np.add.at(exp, (idx[:, 0], idx[:, 1]), upd)
    same(o.scatter_add(T(x), T(idx), T(upd)), exp)
    # k < ndim: whole rows
    rows = np.array([[1], [1], [-1]], np.int64)
    ru = np.arange(12, dtype=np.int32).reshape(3, 4)
    exp_i = np.zeros((3, 4), np.int32)
    np.add.at(exp_i, rows[:, 0], ru)
    same(o.scatter_add(T(np.zeros((3, 4), np.int32)), T(rows), T(ru)), exp_i)
    # accumulation is exact: 1 + 2**-24 + 2**-24 would round twice in float32
    got = o.scatter_add(T([1.0], "float32"), T([[0], [0]], "int32"),
                        T([2.0 ** -24, 2.0 ** -24], "float32"))
    assert got.tolist() == [1 + 2.0 ** -23]
    # int wrap
    same(o.scatter_add(T([120], "int8"), T([[0]], "int32"), T([10], "int8")),
         np.array([-126], np.int8))


def test_argsort_stable_and_descending():
    v = np.array([[3, 1, 2, 1, 3], [0, 0, 5, -1, 0]], np.int32)
    same(o.argsort(T(v), axis=1), np.argsort(v, axis=1, kind="stable").astype(np.int32))
    same(o.argsort(T(v), axis=0), np.argsort(v, axis=0, kind="stable").astype(np.int32))
    desc = [sorted(range(5), key=lambda i, r=r: -r[i]) for r in v.tolist()]
    same(o.argsort(T(v), axis=1, descending=True), np.array(desc, np.int32))
    f = np.array([2.0, NAN, -1.0, 2.0, NAN, 0.0], np.float32)
    same(o.argsort(T(f)), np.argsort(f, kind="stable").astype(np.int32))
    assert o.argsort(T(f), descending=True).tolist() == [1, 4, 0, 3, 5, 2]
    a3 = RNG.integers(0, 3, (3, 4, 2)).astype(np.float32)
    same(o.argsort(T(a3), axis=1), np.argsort(a3, axis=1, kind="stable").astype(np.int32))


# ---- linalg ------------------------------------------------------------------------------
def test_matmul_batched_broadcast():
    a = RNG.standard_normal((2, 1, 3, 4)).astype(np.float32)
    b = RNG.standard_normal((5, 4, 2)).astype(np.float32)
    exp = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32)
    same(o.matmul(T(a), T(b)), exp)
    same(o.matmul(T(a[0, 0]), T(b[0, :, 0])), exp[0, 0, :, 0])  # 2-d @ 1-d
    ia = RNG.integers(-100, 100, (3, 4)).astype(np.int8)
    ib = RNG.integers(-100, 100, (4, 2)).astype(np.int8)
    same(o.matmul(T(ia), T(ib)), (ia.astype(np.int64) @ ib.astype(np.int64)).astype(np.int8))
    same(o.matmul(T(np.zeros((2, 0), np.float32)), T(np.zeros((0, 3), np.float32))),
         np.zeros((2, 3), np.float32))


def test_matmul_is_exact():
    a = T([[1.0, 2.0 ** -24, 2.0 ** -60]], "float32")
    b = T([[1.0], [1.0], [1.0]], "float32")
    assert o.matmul(a, b).tolist() == [[1 + 2.0 ** -23]]


@pytest.mark.parametrize("sub,shapes", [
    ("ij,jk->ik", [(3, 4), (4, 2)]), ("ii->i", [(3, 3)]), ("ii->", [(4, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(2, 3)]), ("ij->", [(2, 3)]), ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("iij->ji", [(3, 3, 2)]), ("ab,bc,cd->ad", [(2, 3), (3, 4), (4, 2)]),
])
def test_einsum_vs_numpy(sub, shapes):
    xs = [RNG.standard_normal(s).astype(np.float32) for s in shapes]
    exp = np.einsum(sub, *[x.astype(np.float64) for x in xs]).astype(np.float32)
    got = o.einsum(sub, *[T(x) for x in xs])
    np.testing.assert_allclose(got.numpy(), exp, rtol=1e-6, atol=1e-6)
    assert got.dtype == "float32" and got.shape == exp.shape


def test_einsum_size_one_broadcast_and_ints():
    a = np.arange(3, dtype=np.int32).reshape(3, 1)
    b = np.arange(12, dtype=np.int32).reshape(3, 4)
    got = o.einsum("ij,ij->i", T(a), T(b))
    same(got, (np.broadcast_to(a, (3, 4)) * b).sum(1).astype(np.int32))
    same(o.einsum("i,i->", T([100, 100], "int8"), T([2, 1], "int8")), np.array(44, np.int8))


# ---- nn ----------------------------------------------------------------------------------
def _patches_ref(x, sizes, strides, dilation):
    n, c = x.shape[0], x.shape[-1]
    sp = x.shape[1:-1]
    out = [(d - dl * (k - 1) - 1) // s + 1 for d, k, s, dl in zip(sp, sizes, strides, dilation)]
    res = np.zeros((n, *out, int(np.prod(sizes)) * c), x.dtype)
    for b in range(n):
        for opos in np.ndindex(*out):
            cols = []
            for w in np.ndindex(*sizes):
                pos = tuple(p * s + q * dl for p, s, q, dl in zip(opos, strides, w, dilation))
                cols.append(x[(b, *pos)])
            res[(b, *opos)] = np.concatenate(cols)
    return res


def _patches_t_ref(p, sizes, strides, dilation, image_shape):
    img = np.zeros((p.shape[0], *image_shape), np.float64)
    c = image_shape[-1]
    for b in range(p.shape[0]):
        for opos in np.ndindex(*p.shape[1:-1]):
            for wi, w in enumerate(np.ndindex(*sizes)):
                pos = tuple(q * s + r * dl for q, s, r, dl in zip(opos, strides, w, dilation))
                img[(b, *pos)] += p[(b, *opos)][wi * c:(wi + 1) * c]
    return img


@pytest.mark.parametrize("shape,sizes,strides,dilation", [
    ((2, 5, 6, 3), (2, 3), (1, 2), (1, 1)),
    ((1, 7, 7, 2), (3, 2), (2, 1), (2, 3)),
    ((2, 9, 1), (3,), (2,), (2,)),
])
def test_extract_patches_and_adjoint(shape, sizes, strides, dilation):
    x = RNG.standard_normal(shape).astype(np.float32)
    p = o.extract_patches(T(x), sizes, strides, dilation)
    same(p, _patches_ref(x, sizes, strides, dilation))
    g = RNG.standard_normal(p.shape).astype(np.float32)
    back = o.patches_transpose(T(g), sizes, strides, dilation, shape[1:])
    exp = _patches_t_ref(g.astype(np.float64), sizes, strides, dilation, shape[1:])
    same(back, exp.astype(np.float32))


def test_patches_transpose_int_and_uncovered_cells():
    p = T(np.ones((1, 2, 2), np.int32))  # 1-d image of 5 cells, windows of 2, stride 3
    same(o.patches_transpose(p, (2,), (3,), (1,), (5, 1)),
         np.array([[[1], [1], [0], [1], [1]]], np.int32))


def test_conv_composite_vs_numpy():
    x = RNG.standard_normal((1, 6, 5, 2)).astype(np.float32)
    w = RNG.standard_normal((3, 2, 2, 4)).astype(np.float32)
    got = o.conv(T(x), T(w), strides=(2, 1), padding="same")
    # 'same': total padding 1 on both axes, all of it after (Keras/TF convention)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 1), (0, 1), (0, 0)))
    exp = np.zeros((1, 3, 5, 4))
    for i in range(3):
        for j in range(5):
            exp[0, i, j] = np.einsum("abc,abcd->d", xp[0, 2 * i:2 * i + 3, j:j + 2], w)
    np.testing.assert_allclose(got.numpy(), exp.astype(np.float32), rtol=1e-6, atol=1e-6)


def test_composites_run_on_primitives():
    x = T([[1.0, 2.0, 3.0], [-1.0, 0.0, 1000.0]])
    sm = o.softmax(x).numpy()
    np.testing.assert_allclose(sm.sum(-1), [1.0, 1.0], rtol=1e-6)
    assert o.mean(x).item() == pytest.approx((6 + 1000 - 1) / 6, rel=1e-6)
    same(o.one_hot(T([0, 2, 3], "int32"), 3), np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0]],
                                                       np.float32))
    vals, idx = o.top_k(T([3.0, 5.0, 1.0, 5.0]), 2)
    assert vals.tolist() == [5.0, 5.0] and idx.tolist() == [1, 3]


# ---- no NumPy ----------------------------------------------------------------------------
def test_runs_without_importing_numpy():
    code = ("import tensorweave as tw; import sys; "
            "x = tw.ops.add(tw.ops.ones((2,3)), 1.0); print(x.tolist()); "
            "y = tw.ops.matmul(tw.ops.reshape(tw.ops.arange(6.0), (2, 3)), tw.ops.ones((3, 2))); "
            "print(y.tolist()); print(tw.ops.sum(tw.ops.cast(x, 'bfloat16')).tolist()); "
            "assert 'numpy' not in sys.modules, 'numpy was imported'")
    env = dict(os.environ, TENSORWEAVE_BACKEND="python")
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "[[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]]"
    assert lines[1] == "[[3.0, 3.0], [12.0, 12.0]]"
    assert lines[2] == "12.0"


def test_backend_modules_do_not_import_numpy_at_module_level():
    import pathlib

    import tensorweave.backends.python as pkg

    for path in pathlib.Path(pkg.__file__).parent.glob("*.py"):
        for line in path.read_text().splitlines():
            if line.startswith(("import numpy", "from numpy")):
                raise AssertionError(f"{path.name}: module-level numpy import: {line}")


def test_struct_half_format_available():
    # the float16 rounding relies on struct's 'e' format
    assert struct.calcsize("e") == 2
