"""Getting data into and out of tensors: lists, scalars, NumPy arrays and scalars, zero-size
data, bfloat16, and moving between backends. NumPy is the oracle for values; expected
dtypes follow the rules in ``tensorweave.dtypes`` (Python floats -> float32, ints -> int32,
or int64 when they do not fit)."""

from __future__ import annotations

import copy
import pickle
import struct

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import DTypeError

ops = tw.ops


def f32(v: float) -> float:
    """``v`` rounded to the nearest float32 (round half to even)."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


# ---- Python data -----------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "dtype", "shape"), [
    ([True, False], "bool", (2,)),
    ([1, 2, 3], "int32", (3,)),
    ([[1, 2], [3, 4]], "int32", (2, 2)),
    ([2**31 - 1, -(2**31)], "int32", (2,)),
    ([1, 2**31], "int64", (2,)),
    ([-(2**31) - 1], "int64", (1,)),
    ([[2**40], [1]], "int64", (2, 1)),
    ([1.5, 2.0], "float32", (2,)),
    ([1, 2.5], "float32", (2,)),
    ([True, 1], "int32", (2,)),
    ([True, 1.0], "float32", (2,)),
    ((1, 2), "int32", (2,)),
    ([(1, 2), [3, 4]], "int32", (2, 2)),
    ([[[1.0]]], "float32", (1, 1, 1)),
])
def test_dtype_and_shape_inference_from_lists(tw_backend, data, dtype, shape):
    t = ops.convert_to_tensor(data)
    assert t.dtype is tw.dtypes.canonicalize(dtype)
    assert t.shape == shape
    assert t.backend == tw_backend
    np.testing.assert_array_equal(ops.convert_to_numpy(t), np.array(data, dtype=dtype))


@pytest.mark.parametrize(("value", "dtype", "pytype"), [
    (True, "bool", bool), (3, "int32", int), (-(2**40), "int64", int), (2.5, "float32", float),
])
def test_python_scalars_become_0d_tensors(tw_backend, value, dtype, pytype):
    t = ops.convert_to_tensor(value)
    assert (t.shape, t.dtype, t.ndim, t.size) == ((), tw.dtypes.canonicalize(dtype), 0, 1)
    assert t.item() == value and type(t.item()) is pytype
    assert t.tolist() == value


def test_int_too_big_for_int64_is_an_error(tw_backend):
    with pytest.raises(DTypeError, match=r"convert_to_tensor: value 9223372036854775808 is out "
                                         r"of bounds for int64"):
        ops.convert_to_tensor([1, 2**63])


def test_float32_values_are_rounded(tw_backend):
    t = ops.convert_to_tensor([0.1, 1 / 3, 1e-40])
    assert t.tolist() == [f32(0.1), f32(1 / 3), f32(1e-40)]
    assert t.tolist()[0] != 0.1


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize(("data", "dtype", "expected"), [
    ([1.5, -2.7, 0.99], "int32", [1, -2, 0]),  # truncation toward zero
    ([1, 2], "float64", [1.0, 2.0]),
    ([0, 3, -1], "bool", [False, True, True]),
    ([1e10, -1e10, 0.1], "float16", [float("inf"), float("-inf"), 0.0999755859375]),
    ([255, 0], "uint8", [255, 0]),
])
def test_explicit_dtype(tw_backend, data, dtype, expected):
    t = ops.convert_to_tensor(data, dtype)
    assert t.dtype is tw.dtypes.canonicalize(dtype)
    assert t.tolist() == expected
    assert [type(v) for v in t.tolist()] == [type(v) for v in expected]


@pytest.mark.parametrize(("data", "dtype"), [([300], "int8"), ([-1], "uint8"),
                                             ([2**31], "int32"), ([float("nan")], "int32")])
def test_explicit_int_dtype_rejects_values_that_do_not_fit(tw_backend, data, dtype):
    with pytest.raises(DTypeError, match=f"convert_to_tensor: .* {dtype}"):
        ops.convert_to_tensor(data, dtype)


def test_tensor_constructor(tw_backend):
    t = tw.Tensor([[1, 2]])
    assert (t.shape, t.dtype, t.backend) == ((1, 2), tw.int32, tw_backend)
    assert tw.Tensor([1, 2], "float64").dtype is tw.float64


# ---- NumPy arrays ----------------------------------------------------------------------------
NUMPY_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float16", "float32", "float64"]


@pytest.mark.parametrize("dtype", NUMPY_DTYPES)
def test_numpy_array_keeps_its_dtype_and_values(tw_backend, dtype):
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    if dtype.startswith("int"):
        a[0, 0] = np.iinfo(dtype).min
    t = ops.convert_to_tensor(a)
    assert t.dtype == dtype and t.dtype is tw.dtypes.canonicalize(dtype)
    assert t.shape == (3, 4)
    out = ops.convert_to_numpy(t)
    assert isinstance(out, np.ndarray) and out.dtype == a.dtype
    np.testing.assert_array_equal(out, a)
    assert t.tolist() == a.tolist()


def test_float64_array_is_not_downcast(tw_backend):
    a = np.array([1 / 3, 1e300])
    t = ops.convert_to_tensor(a)
    assert t.dtype is tw.float64
    assert t.tolist() == [1 / 3, 1e300]


def test_non_contiguous_numpy_input(tw_backend):
    a = np.arange(24, dtype=np.float32).reshape(4, 6)[::2, ::-3]
    t = ops.convert_to_tensor(a)
    np.testing.assert_array_equal(ops.convert_to_numpy(t), a)


def test_numpy_array_with_explicit_dtype_is_cast(tw_backend):
    t = ops.convert_to_tensor(np.array([1.7, -1.7]), "int32")
    assert t.dtype is tw.int32 and t.tolist() == [1, -1]


def test_numpy_backend_wraps_without_copy():
    with tw.backend_scope("numpy"):
        a = np.arange(6, dtype=np.float32).reshape(2, 3)
        t = ops.convert_to_tensor(a)
        assert np.shares_memory(t.data, a)
        assert np.shares_memory(np.asarray(t), a)
        assert np.shares_memory(t.numpy(), a)
        assert np.shares_memory(ops.convert_to_numpy(t), a)
        view = a[:, ::2]
        assert np.shares_memory(ops.convert_to_tensor(view).data, a)


def test_numpy_backend_asarray_of_op_result_is_the_data():
    with tw.backend_scope("numpy"):
        t = ops.arange(4, dtype="float32") * 2.0
        assert np.asarray(t) is t.data
        assert np.asarray(t, dtype=np.float64).dtype == np.float64


def test_python_backend_asarray_copies_values():
    with tw.backend_scope("python"):
        t = ops.convert_to_tensor([[1.5, 2.0]], "float64")
        assert not isinstance(t.data, np.ndarray)
        a = np.asarray(t)
        assert a.dtype == np.float64 and a.tolist() == [[1.5, 2.0]]


def test_convert_to_tensor_of_a_tensor_is_identity_or_cast(tw_backend):
    t = ops.convert_to_tensor([1, 2])
    assert ops.convert_to_tensor(t) is t
    assert ops.convert_to_tensor(t, "int32") is t
    c = ops.convert_to_tensor(t, "float32")
    assert c.dtype is tw.float32 and c.tolist() == [1.0, 2.0]


# ---- NumPy scalars ---------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "dtype"), [
    (np.float32(1.5), "float32"), (np.float64(1 / 3), "float64"), (np.float16(0.5), "float16"),
    (np.int64(-3), "int64"), (np.int8(7), "int8"), (np.uint16(9), "uint16"),
    (np.bool_(True), "bool"),
])
def test_numpy_scalars_keep_their_dtype(tw_backend, value, dtype):
    t = ops.convert_to_tensor(value)
    assert t.shape == () and t.dtype is tw.dtypes.canonicalize(dtype)
    assert t.item() == value.item()


def test_list_of_numpy_scalars(tw_backend):
    t = ops.convert_to_tensor([np.float64(1.0), np.float64(2.5)])
    assert t.dtype.is_floating and t.tolist() == [1.0, 2.5]
    t = ops.convert_to_tensor([np.int32(1), np.int64(2)])
    assert t.dtype.is_integer and t.tolist() == [1, 2]


def test_numpy_scalar_next_to_a_tensor_is_weak(tw_backend):
    x = ops.ones((2,), "float16")
    assert (x + np.float64(2.0)).dtype is tw.float16
    assert (x + np.float64(2.0)).tolist() == [3.0, 3.0]


# ---- getting data out ------------------------------------------------------------------------
def test_tolist_and_item_give_python_values(tw_backend):
    t = ops.convert_to_tensor([[1, 2], [3, 4]])
    assert t.tolist() == [[1, 2], [3, 4]]
    assert all(type(v) is int for row in t.tolist() for v in row)
    b = ops.convert_to_tensor([[True], [False]])
    assert b.tolist() == [[True], [False]] and type(b.tolist()[0][0]) is bool
    f = ops.convert_to_tensor([[0.5]], "float64")
    assert f.item() == 0.5 and type(f.item()) is float
    assert ops.convert_to_tensor([[7]]).item() == 7


def test_item_and_truth_of_many_elements_are_errors(tw_backend):
    t = ops.convert_to_tensor([1, 2])
    with pytest.raises(ValueError, match=r"item\(\) needs a tensor of one element, got shape "
                                         r"\(2,\)"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)


def test_python_number_protocols(tw_backend):
    assert float(ops.convert_to_tensor(2.5)) == 2.5
    assert int(ops.convert_to_tensor([[3]])) == 3
    assert bool(ops.convert_to_tensor(0)) is False
    assert [1, 2, 3][ops.convert_to_tensor(1)] == 2  # __index__
    with pytest.raises(TypeError, match="only integer tensors can be used as an index"):
        [1, 2][ops.convert_to_tensor(1.0)]
    assert [v.item() for v in ops.convert_to_tensor([4, 5])] == [4, 5]  # __iter__
    assert len(ops.convert_to_tensor([[1], [2], [3]])) == 3


@pytest.mark.parametrize("dtype", NUMPY_DTYPES + ["bfloat16"])
def test_convert_to_numpy_on_every_backend(tw_backend, dtype):
    t = ops.convert_to_tensor([[0, 1, 1]], dtype)
    out = ops.convert_to_numpy(t)
    assert isinstance(out, np.ndarray)
    assert out.dtype == (np.float32 if dtype == "bfloat16" else np.dtype(dtype))
    np.testing.assert_array_equal(out, np.array([[0, 1, 1]]).astype(out.dtype))
    np.testing.assert_array_equal(np.asarray(t), out)


def test_convert_to_numpy_of_plain_data():
    out = ops.convert_to_numpy([1.0, 2.0])
    assert isinstance(out, np.ndarray) and out.tolist() == [1.0, 2.0]


# ---- zero-size -------------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "shape", "nested"), [
    ([], (0,), []),
    ([[]], (1, 0), [[]]),
    ([[], []], (2, 0), [[], []]),
    (np.zeros((2, 0), np.float32), (2, 0), [[], []]),
    (np.zeros((0, 3), np.int64), (0, 3), []),
])
def test_zero_size(tw_backend, data, shape, nested):
    t = ops.convert_to_tensor(data)
    assert t.shape == shape and t.size == 0
    assert t.tolist() == nested
    assert ops.convert_to_numpy(t).shape == shape
    assert ops.sum(t).item() == 0
    assert ops.zeros(shape).shape == shape


def test_empty_list_is_float32(tw_backend):
    assert ops.convert_to_tensor([]).dtype is tw.float32


# ---- bfloat16 --------------------------------------------------------------------------------
# (value, value rounded to bfloat16 with round-to-nearest-even), worked out by hand:
# bfloat16 keeps 8 significant bits, so numbers in [1, 2) are multiples of 2**-7.
BF16 = [
    (1.0, 1.0),
    (1.00390625, 1.0),          # 1 + 2**-8: a tie, rounds to the even 1.0
    (1.01171875, 1.015625),     # 1 + 3 * 2**-8: a tie, rounds to the even 1 + 2**-6
    (1.005, 1.0078125),         # above the tie: rounds up to 1 + 2**-7
    (3.14159, 3.140625),
    (-2.0**-20, -2.0**-20),     # powers of two are exact
    (65504.0, 65536.0),
    (1e30, 202 * 2.0**92),       # 1e30 / 2**92 = 201.95 -> 202
]


def test_bfloat16_round_trip_rounds_values(tw_backend):
    values = [v for v, _ in BF16]
    expected = [r for _, r in BF16]
    for data in (values, np.array(values, np.float64), np.array(values, np.float32)):
        t = ops.convert_to_tensor(data, "bfloat16")
        assert t.dtype is tw.bfloat16
        assert t.tolist() == expected
        out = ops.convert_to_numpy(t)
        assert out.dtype == np.float32 and out.tolist() == expected
        back = ops.convert_to_tensor(out, "bfloat16")
        assert back.tolist() == expected  # already bfloat16 values: stable


def test_bfloat16_op_results_are_rounded(tw_backend):
    x = ops.convert_to_tensor([1.0], "bfloat16")
    y = x + ops.convert_to_tensor([2.0**-8], "bfloat16")  # 1 + 2**-8 is a tie -> 1.0
    assert y.dtype is tw.bfloat16 and y.tolist() == [1.0]
    z = x * 3.14159  # weak scalar: stays bfloat16
    assert z.dtype is tw.bfloat16 and z.tolist() == [3.140625]


# ---- other backends --------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["numpy", "python"])
def test_convert_to_a_named_backend(tw_backend, target):
    t = ops.convert_to_tensor([[1.5, 2.5]], backend=target)
    assert t.backend == target and t.tolist() == [[1.5, 2.5]]
    moved = tw.to_backend(ops.convert_to_tensor([1, 2], "int64"), target)
    assert moved.backend == target and moved.dtype is tw.int64 and moved.tolist() == [1, 2]


def test_copy_and_pickle_keep_values_dtype_and_backend(tw_backend):
    t = ops.convert_to_tensor([[1.5, -2.0]], "float64")
    for other in (copy.deepcopy(t), pickle.loads(pickle.dumps(t))):
        assert other is not t
        assert (other.tolist(), other.dtype, other.backend) == (t.tolist(), t.dtype, tw_backend)
