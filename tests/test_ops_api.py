"""The public op surface, on every backend of the run (``tw_backend``), checked against NumPy.

Inputs are small and mostly exactly representable, so most comparisons are exact; the
transcendental ones use a float32 tolerance. Where tensorweave's dtype rules differ from
NumPy's (integer with float, Python floats -> float32) the oracle is computed in the dtype
tensorweave promises, and the result dtype is asserted separately.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import dtypes as dt

ops = tw.ops


def T(data, dtype=None):
    return ops.convert_to_tensor(data, dtype)


def check(t, expected, dtype=None, rtol=0.0, atol=0.0):
    """``t`` has ``expected``'s shape and values, and dtype ``dtype`` (default: expected's)."""
    assert isinstance(t, tw.Tensor), type(t)
    expected = np.asarray(expected)
    want = dt.canonicalize(dtype if dtype is not None else expected.dtype.name)
    assert t.dtype is want, f"dtype {t.dtype}, expected {want}"
    got = ops.convert_to_numpy(t)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    if rtol or atol:
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)
    else:
        np.testing.assert_array_equal(got, expected)


F32 = 2e-6  # float32 tolerance for transcendental functions (a few ulp)


# ---- the surface exists ----------------------------------------------------------------------
OPS_NAMES = """
zeros ones full empty arange eye identity linspace zeros_like ones_like full_like tri tril triu
cast neg abs sign exp log log1p expm1 sqrt rsqrt square sin cos tan tanh sigmoid relu erf floor
ceil round logical_not isnan isfinite isinf reciprocal add subtract multiply divide
floor_divide mod power maximum minimum equal not_equal less less_equal greater greater_equal
logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor left_shift right_shift
where clip stop_gradient copy
sum prod max min mean var std argmax argmin any all logsumexp count_nonzero
reshape transpose broadcast_to concatenate slice slice_update pad expand_dims squeeze stack
split tile flip repeat moveaxis swapaxes ravel flatten shape ndim size
take take_along_axis scatter_add one_hot argsort sort top_k gather_nd
matmul einsum dot outer tensordot
softmax log_softmax conv max_pool avg_pool
convert_to_tensor convert_to_numpy to_backend primitives composites
""".split()

TOP_LEVEL_NAMES = """
ops Tensor set_backend backend_scope backend list_backends get_backend convert_to_tensor
convert_to_numpy to_backend dtypes errors float32 int32 bool_ bfloat16
""".split()


@pytest.mark.parametrize("name", OPS_NAMES)
def test_ops_name_exists(name):
    assert callable(getattr(ops, name))
    assert name in ops.__all__


@pytest.mark.parametrize("name", TOP_LEVEL_NAMES)
def test_top_level_name_exists(name):
    assert getattr(tw, name) is not None
    assert name in tw.__all__


def test_primitives_and_composites_partition_the_ops():
    prims, comps = set(ops.primitives()), set(ops.composites())
    assert not prims & comps
    assert prims | comps == set(ops.all_ops())
    assert {"add", "matmul", "reshape", "sum", "take", "scatter_add", "full"} <= prims
    assert {"mean", "var", "logsumexp", "softmax"} <= comps


def test_every_primitive_has_a_kernel(tw_backend):
    backend = tw.get_backend(tw_backend)
    missing = [n for n in ops.primitives() if not backend.has_kernel(n)]
    assert missing == []


# ---- creation --------------------------------------------------------------------------------
def test_zeros_ones_full_empty(tw_backend):
    check(ops.zeros((2, 3)), np.zeros((2, 3), np.float32))
    check(ops.ones((4,), "int64"), np.ones(4, np.int64))
    check(ops.zeros(3, dtype="bool"), np.zeros(3, bool))
    check(ops.full((2, 2), 7), np.full((2, 2), 7, np.int32))
    check(ops.full((2,), 2.5), np.full(2, 2.5, np.float32))
    check(ops.full((1,), True), np.array([True]))
    check(ops.full((2,), 3, "float16"), np.full(2, 3, np.float16))
    check(ops.full((), 1.5), np.float32(1.5))
    assert ops.empty((0, 2)).shape == (0, 2)
    assert ops.zeros((2,)).backend == tw_backend


@pytest.mark.parametrize(("args", "kwargs", "expected"), [
    ((5,), {}, np.arange(5, dtype=np.int32)),
    ((1, 7, 2), {}, np.arange(1, 7, 2, dtype=np.int32)),
    ((5, 0, -1), {}, np.arange(5, 0, -1, dtype=np.int32)),
    ((0, 1, 0.25), {}, np.arange(0, 1, 0.25, dtype=np.float32)),
    ((0.5, 3), {}, np.arange(0.5, 3, dtype=np.float32)),
    ((3,), {"dtype": "float64"}, np.arange(3, dtype=np.float64)),
    ((4, 2), {}, np.arange(4, 2, dtype=np.int32)),
    ((-3, 3, 2), {"dtype": "int64"}, np.arange(-3, 3, 2, dtype=np.int64)),
])
def test_arange(tw_backend, args, kwargs, expected):
    check(ops.arange(*args, **kwargs), expected)


def test_eye_identity_tri(tw_backend):
    check(ops.eye(3), np.eye(3, dtype=np.float32))
    check(ops.eye(2, 4, k=1), np.eye(2, 4, k=1, dtype=np.float32))
    check(ops.eye(3, k=-1, dtype="int32"), np.eye(3, k=-1, dtype=np.int32))
    check(ops.identity(2), np.identity(2, dtype=np.float32))
    check(ops.tri(3, 4, k=1), np.tri(3, 4, k=1, dtype=np.float32))
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(ops.tril(T(x)), np.tril(x))
    check(ops.triu(T(x), k=1), np.triu(x, k=1))


def test_like_and_linspace(tw_backend):
    x = T([[1, 2, 3]], "int64")
    check(ops.zeros_like(x), np.zeros((1, 3), np.int64))
    check(ops.ones_like(x, dtype="float32"), np.ones((1, 3), np.float32))
    check(ops.full_like(x, 9), np.full((1, 3), 9, np.int64))
    check(ops.linspace(0.0, 1.0, 5), np.linspace(0, 1, 5, dtype=np.float32))
    check(ops.linspace(2.0, 3.0, 4, endpoint=False),
          np.linspace(2, 3, 4, endpoint=False).astype(np.float32), rtol=F32)


# ---- Python operators ------------------------------------------------------------------------
XF = np.array([[1.5, -2.0, 3.0], [0.5, 4.0, -7.25]], np.float32)
YF = np.array([[2.0, 0.5, -1.5], [4.0, -3.0, 2.0]], np.float32)
XI = np.array([[7, -7, 6], [0, 5, -9]], np.int32)
YI = np.array([[2, 2, -4], [3, -5, 4]], np.int32)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "<=",
                                ">", ">="])
@pytest.mark.parametrize("kind", ["float32", "int32"])
def test_binary_operators(tw_backend, op, kind):
    x, y = (XF, YF) if kind == "float32" else (XI, YI)
    if op == "**":
        y = np.abs(y) if kind == "int32" else np.array([[2, 0.5, 3], [0, 1, 2]], np.float32)
        x = np.abs(x) if kind == "float32" else x
    fn = eval(f"lambda a, b: a {op} b")  # noqa: S307 - a fixed operator from the list
    expected = fn(x, y)
    if op == "/" and kind == "int32":
        expected = expected.astype(np.float32)  # int / int -> float32 (Keras 3), not float64
    got = fn(T(x), T(y))
    check(got, expected, rtol=F32 if op in ("/", "**") else 0)
    assert got.backend == tw_backend


def test_reflected_operators_with_scalars(tw_backend):
    x = T(XF)
    check(2.0 - x, 2.0 - XF)
    check(3 * x, 3 * XF)
    check(1.0 / x, (1.0 / XF).astype(np.float32), rtol=F32)
    check(2.0 ** T([[0.0, 1.0, 3.0]]), np.array([[1.0, 2.0, 8.0]], np.float32))
    check(7 // T(YI), 7 // YI)
    check(7 % T(YI), 7 % YI)
    check(-x, -XF)
    check(+x, XF)
    check(abs(x), np.abs(XF))
    check(-T(XI), -XI)


def test_matmul_operator(tw_backend):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(T(a) @ T(b), a @ b)
    check(a @ T(b), a @ b)  # numpy array on the left defers to the tensor
    assert (a @ T(b)).backend == tw_backend


def test_integer_division_and_modulo_by_zero(tw_backend):
    x, z = T([7, -7, 0], "int32"), T([0, 0, 0], "int32")
    check(x // z, np.array([0, 0, 0], np.int32))
    check(x % z, np.array([0, 0, 0], np.int32))
    f = T([1.0, -1.0], "float32")
    check(ops.floor_divide(f, T([0.0, 0.0])), np.array([np.inf, -np.inf], np.float32))
    assert math.isnan(ops.mod(T([1.0]), T([0.0])).item())


def test_integer_overflow_wraps(tw_backend):
    check(T([127, -128], "int8") + T([1, -1], "int8"), np.array([-128, 127], np.int8))
    check(T([250], "uint8") * T([2], "uint8"), np.array([244], np.uint8))


def test_logical_and_bitwise_operators(tw_backend):
    a, b = T([True, True, False]), T([True, False, False])
    check(a & b, np.array([True, False, False]))
    check(a | b, np.array([True, True, False]))
    check(a ^ b, np.array([False, True, False]))
    check(~a, np.array([False, False, True]))
    i, j = T([12, 10, -1], "int32"), T([10, 6, 3], "int32")
    check(i & j, np.array([8, 2, 3], np.int32))
    check(i | j, np.array([14, 14, -1], np.int32))
    check(i ^ j, np.array([6, 12, -4], np.int32))
    check(i << T([1, 2, 3], "int32"), np.array([24, 40, -8], np.int32))
    check(i >> T([1, 2, 1], "int32"), np.array([6, 2, -1], np.int32))


def test_tensors_are_immutable(tw_backend):
    x = T([1.0, 2.0])
    with pytest.raises(TypeError, match="tensors are immutable"):
        x[0] = 5.0
    assert x.tolist() == [1.0, 2.0]


# ---- weak scalars and promotion --------------------------------------------------------------
@pytest.mark.parametrize(("dtype", "scalar", "out"), [
    ("int8", 1, "int8"), ("uint8", 252, "uint8"), ("int16", -3, "int16"),
    ("float16", 0.5, "float16"), ("bfloat16", 2.0, "bfloat16"), ("float16", 3, "float16"),
    ("float64", 1.5, "float64"), ("int32", 0.5, "float32"), ("int64", 2.5, "float32"),
    ("uint8", 1.5, "float32"), ("bool", 1, "int32"), ("bool", True, "bool"),
    ("bool", 1.5, "float32"), ("int8", True, "int8"),
])
def test_weak_scalar_dtype(tw_backend, dtype, scalar, out):
    x = ops.full((2,), 3, dtype)
    want_dtype = dt.canonicalize(out)
    for r in (x + scalar, scalar + x, x * scalar):
        assert r.dtype is want_dtype
    base = x.tolist()[0]  # 3, 3.0 or True
    want = base + scalar if out != "bool" else bool(base or scalar)
    assert (x + scalar).tolist() == [want, want]


def test_weak_int_scalar_out_of_range_is_an_error(tw_backend):
    with pytest.raises(tw.errors.DTypeError, match="Python int 128 is out of bounds for int8"):
        ops.ones((2,), "int8") + 128
    with pytest.raises(tw.errors.DTypeError, match="out of bounds for uint8"):
        ops.ones((2,), "uint8") - (-1)


@pytest.mark.parametrize(("a", "b", "out"), [
    ("int8", "int32", "int32"), ("uint8", "int8", "int16"), ("int32", "float16", "float16"),
    ("float16", "bfloat16", "float32"), ("bool", "float64", "float64"),
    ("uint64", "int64", "float64"),
])
def test_tensor_tensor_promotion(tw_backend, a, b, out):
    r = ops.ones((2,), a) + ops.ones((2,), b)
    assert r.dtype is dt.canonicalize(out)
    assert r.tolist() == [2, 2] if out != "bool" else True


def test_float_only_functions_turn_ints_into_float32(tw_backend):
    r = ops.exp(T([0, 1], "int32"))
    assert r.dtype is tw.float32
    np.testing.assert_allclose(r.tolist(), [1.0, math.e], rtol=F32)
    assert ops.sqrt(T([4], "int64")).dtype is tw.float32
    assert (T([1, 2]) / T([2, 4])).dtype is tw.float32


# ---- indexing --------------------------------------------------------------------------------
A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
V = np.arange(10, dtype=np.int32)


@pytest.mark.parametrize("key", [
    1, -1, (0, 2), (1, -1, 3), slice(None), (slice(None), 1), (..., 2), (0, ..., 1),
    (slice(None), slice(None, None, 2)), (slice(None), slice(None, None, -1)),
    (slice(None, None, -1), slice(2, 0, -1), slice(None, None, -2)), (None, 0),
    (slice(None), None, 1), (1, slice(1, None), slice(-2, None)), (slice(5, 1),),
], ids=repr)
def test_getitem_like_numpy(tw_backend, key):
    check(T(A)[key], A[key])


@pytest.mark.parametrize("key", [
    slice(2, 8), slice(None, None, 3), slice(None, None, -1), slice(None, None, -3),
    slice(8, 2, -2), slice(-3, None), slice(-1, -11, -1), slice(3, 3), slice(100, None),
    slice(-100, 2), slice(1, None, 4),
], ids=repr)
def test_1d_slices_with_steps(tw_backend, key):
    check(T(V)[key], V[key])


def test_integer_list_and_mask_indexing(tw_backend):
    check(T(V)[[0, 3, -1]], V[[0, 3, -1]])
    check(T(A)[:, [2, 0]], A[:, [2, 0]])
    check(T(V)[T(V) > 6], V[V > 6])
    check(T(A)[T(A[:, :, 0] > 5)], A[A[:, :, 0] > 5])
    check(T(V)[np.int64(4)], V[np.int64(4)])


@pytest.mark.parametrize("kind", ["tensor", "ndarray", "0-d tensor"])
def test_integer_tensor_or_array_index(tw_backend, kind):
    idx = np.array([[1, 2], [3, -4]]) if kind != "0-d tensor" else np.array(3)
    key = idx if kind == "ndarray" else T(idx)
    check(T(V)[key], V[idx])


def test_tensor_attributes_and_methods(tw_backend):
    x = T(A)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24 and len(x) == 2
    assert x.dtype is tw.float32 and x.backend == tw_backend
    check(x.T, A.T)
    check(x.reshape(4, 6), A.reshape(4, 6))
    check(x.reshape((6, -1)), A.reshape(6, -1))
    check(x.transpose(1, 0, 2), A.transpose(1, 0, 2))
    check(x.astype("int32"), A.astype(np.int32))
    check(x.sum(axis=1), A.sum(axis=1))
    check(x.mean(), np.float32(A.mean()))
    check(x.max(axis=(0, 2), keepdims=True), A.max(axis=(0, 2), keepdims=True))
    check(x.argmax(axis=-1), A.argmax(axis=-1).astype(np.int32))


# ---- shape ops -------------------------------------------------------------------------------
def test_split(tw_backend):
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    for got, want in zip(ops.split(T(x), 3), np.split(x, 3)):
        check(got, want)
    parts = ops.split(T(x), [1, 4], axis=0)
    assert len(parts) == 3
    for got, want in zip(parts, np.split(x, [1, 4])):
        check(got, want)
    for got, want in zip(ops.split(T(x), 2, axis=1), np.split(x, 2, axis=1)):
        check(got, want)


def test_stack_concatenate(tw_backend):
    a, b = np.arange(6).reshape(2, 3).astype(np.int32), np.ones((2, 3), np.int32)
    check(ops.stack([T(a), T(b)]), np.stack([a, b]))
    check(ops.stack([T(a), T(b)], axis=-1), np.stack([a, b], axis=-1))
    check(ops.concatenate([T(a), T(b)], axis=1), np.concatenate([a, b], axis=1))
    check(ops.concatenate([T(a), T(b, "float32")]),
          np.concatenate([a, b]).astype(np.float32))  # promoted


def test_tile_repeat_flip(tw_backend):
    a = np.array([[1, 2], [3, 4]], np.int32)
    check(ops.tile(T(a), 2), np.tile(a, 2))
    check(ops.tile(T(a), (2, 1)), np.tile(a, (2, 1)))
    check(ops.tile(T(a), (2, 1, 3)), np.tile(a, (2, 1, 3)))
    check(ops.repeat(T(a), 2, axis=0), np.repeat(a, 2, axis=0))
    check(ops.repeat(T(a), 3), np.repeat(a, 3))
    check(ops.flip(T(a)), np.flip(a))
    check(ops.flip(T(a), axis=1), np.flip(a, axis=1))


def test_pad(tw_backend):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    check(ops.pad(T(a), 1), np.pad(a, 1))
    check(ops.pad(T(a), ((0, 1), (2, 0)), constant_values=-1),
          np.pad(a, ((0, 1), (2, 0)), constant_values=-1))
    check(ops.pad(T(a), [(1, 2)]), np.pad(a, [(1, 2)]))


def test_squeeze_expand_dims_moveaxis(tw_backend):
    a = np.zeros((1, 3, 1, 2), np.float32)
    check(ops.squeeze(T(a)), np.squeeze(a))
    check(ops.squeeze(T(a), axis=2), np.squeeze(a, axis=2))
    check(ops.squeeze(T(a), axis=(0, -2)), np.squeeze(a, axis=(0, -2)))
    check(ops.expand_dims(T(a), 0), np.expand_dims(a, 0))
    check(ops.expand_dims(T(a), -1), np.expand_dims(a, -1))
    check(ops.expand_dims(T(a), (0, 2)), np.expand_dims(a, (0, 2)))
    b = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    check(ops.moveaxis(T(b), 0, -1), np.moveaxis(b, 0, -1))
    check(ops.swapaxes(T(b), 0, 2), np.swapaxes(b, 0, 2))
    check(ops.broadcast_to(T([1, 2, 3]), (2, 3)), np.broadcast_to(np.array([1, 2, 3],
                                                                           np.int32), (2, 3)))
    check(ops.ravel(T(b)), b.ravel())


# ---- gathers and scatters --------------------------------------------------------------------
def test_take(tw_backend):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(ops.take(T(x), T([2, 0, -1]), axis=0), np.take(x, [2, 0, -1], axis=0))
    check(ops.take(T(x), T([[1, 3]]), axis=1), np.take(x, [[1, 3]], axis=1))
    check(ops.take(T(x), T([5, 11])), np.take(x, [5, 11]))


def test_take_along_axis(tw_backend):
    x = np.array([[10, 30, 20], [60, 40, 50]], np.float32)
    idx = np.argsort(x, axis=1)
    check(ops.take_along_axis(T(x), T(idx.astype(np.int32)), axis=1),
          np.take_along_axis(x, idx, axis=1))
    idx0 = np.array([[1, 0, 1]])
    check(ops.take_along_axis(T(x), T(idx0), axis=0), np.take_along_axis(x, idx0, axis=0))
    check(ops.take_along_axis(T(x), T([[-1], [0]]), axis=1),
          np.take_along_axis(x, np.array([[2], [0]]), axis=1))


def test_one_hot(tw_backend):
    check(ops.one_hot(T([0, 2, 1]), 3), np.eye(3, dtype=np.float32)[[0, 2, 1]])
    check(ops.one_hot(T([3, -1]), 3), np.zeros((2, 3), np.float32))  # out of range: zeros
    check(ops.one_hot(T([[1], [0]]), 2, dtype="int32"),
          np.array([[[0, 1]], [[1, 0]]], np.int32))
    check(ops.one_hot(T([1, 0]), 2, axis=0), np.eye(2, dtype=np.float32)[[1, 0]].T)


def test_scatter_add_accumulates_duplicates(tw_backend):
    x = np.zeros((3, 2), np.float32)
    idx = np.array([[0], [2], [0], [-1]])
    upd = np.array([[1, 2], [3, 4], [5, 6], [7, 8]], np.float32)
    want = x.copy()
    np.add.at(want, idx[:, 0], upd)
    check(ops.scatter_add(T(x), T(idx), T(upd)), want)
    idx2 = np.array([[0, 1], [1, 0], [0, 1]])
    want2 = x.copy()
    np.add.at(want2, (idx2[:, 0], idx2[:, 1]), np.array([1.0, 2.0, 3.0], np.float32))
    check(ops.scatter_add(T(x), T(idx2), T([1.0, 2.0, 3.0])), want2)
    check(T(x), np.zeros((3, 2), np.float32))  # the input is not modified


def test_gather_nd_and_sorting(tw_backend):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    check(ops.gather_nd(T(x), T([[0, 1], [2, -1]])), np.array([1.0, 11.0], np.float32))
    v = np.array([3.0, 1.0, 2.0, 1.0, 3.0], np.float32)
    check(ops.argsort(T(v)), np.argsort(v, kind="stable").astype(np.int32))
    check(ops.argsort(T(v), descending=True), np.array([0, 4, 2, 1, 3], np.int32))
    check(ops.sort(T(v)), np.sort(v))
    vals, idx = ops.top_k(T(v), 2)
    check(vals, np.array([3.0, 3.0], np.float32))
    check(idx, np.array([0, 4], np.int32))


# ---- reductions ------------------------------------------------------------------------------
R = np.array([[[1.0, -2.0, 3.5], [4.0, 0.25, -6.0]], [[7.0, 8.0, -9.0], [0.5, 11.0, 12.0]]],
             np.float32)


@pytest.mark.parametrize("name", ["sum", "prod", "max", "min", "mean"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(tw_backend, name, axis, keepdims):
    got = getattr(ops, name)(T(R), axis=axis, keepdims=keepdims)
    want = getattr(np, name)(R, axis=axis, keepdims=keepdims).astype(np.float32)
    check(got, want, rtol=F32)


def test_integer_and_bool_reductions(tw_backend):
    i8 = np.array([100, 100, 100], np.int8)
    check(ops.sum(T(i8)), np.int32(300))  # small ints accumulate in int32
    check(ops.sum(T([True, False, True])), np.int32(2))
    check(ops.count_nonzero(T([[0, 1], [2, 0]]), axis=0), np.array([1, 1], np.int32))
    check(ops.any(T([[False, True], [False, False]]), axis=1), np.array([True, False]))
    check(ops.all(T([1, 2, 0])), np.bool_(False))
    check(ops.max(T([3, 9, -1], "int64")), np.int64(9))


def test_var_std(tw_backend):
    x = np.array([[1.0, 2.0, 4.0, 7.0], [-3.0, 0.5, 0.5, 10.0]], np.float32)
    for axis in (None, 0, 1):
        check(ops.var(T(x), axis=axis), np.var(x.astype(np.float64), axis=axis)
              .astype(np.float32), rtol=1e-5)
        check(ops.std(T(x), axis=axis, keepdims=True),
              np.std(x.astype(np.float64), axis=axis, keepdims=True).astype(np.float32),
              rtol=1e-5)
    check(ops.var(T([5.0, 5.0, 5.0])), np.float32(0.0))
    check(ops.var(T([1, 3], "int32")), np.float32(1.0))  # integer input -> float32


def test_logsumexp_is_stable(tw_backend):
    big = T([1000.0, 1000.0])
    check(ops.logsumexp(big), np.float32(1000.0 + math.log(2.0)), rtol=F32)
    check(ops.logsumexp(T([-1000.0, -1000.0])), np.float32(-1000.0 + math.log(2.0)), rtol=F32)
    x = np.array([[1e4, 1e4 - 1, -1e4], [-np.inf, 0.0, -np.inf]], np.float32)
    x64 = x.astype(np.float64)
    m = np.max(x64, axis=1, keepdims=True)
    want = (m + np.log(np.sum(np.exp(x64 - m), axis=1, keepdims=True))).astype(np.float32)
    check(ops.logsumexp(T(x), axis=1, keepdims=True), want, rtol=F32)
    check(ops.logsumexp(T([-np.inf, -np.inf])), np.float32(-np.inf))
    # exp(3e38) overflows; the result, 3e38 + log(2), is 3e38 in float32
    check(ops.logsumexp(T([3e38, 3e38])), np.float32(3e38))


def test_argmax_argmin_ties_pick_the_first(tw_backend):
    x = np.array([[1, 5, 5, 0], [2, 2, -1, -1], [7, 7, 7, 7]], np.float32)
    check(ops.argmax(T(x), axis=1), np.array([1, 0, 0], np.int32))
    check(ops.argmin(T(x), axis=1), np.array([3, 2, 0], np.int32))
    check(ops.argmax(T(x), axis=0), np.argmax(x, axis=0).astype(np.int32))
    check(ops.argmax(T(x)), np.int32(np.argmax(x)))
    check(ops.argmin(T(x), axis=1, keepdims=True), np.array([[3], [2], [0]], np.int32))
    check(ops.argmax(T(x), keepdims=True), np.array([[8]], np.int32))


# ---- linear algebra --------------------------------------------------------------------------
M = np.arange(1, 13, dtype=np.float32)


@pytest.mark.parametrize(("sa", "sb"), [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3,)),
    ((3,), (2, 3, 4)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 2), (2, 1)),
])
def test_matmul_shapes_like_numpy(tw_backend, sa, sb):
    a = (np.arange(int(np.prod(sa))) % 7 - 3).astype(np.float32).reshape(sa)
    b = (np.arange(int(np.prod(sb))) % 5 - 2).astype(np.float32).reshape(sb)
    check(ops.matmul(T(a), T(b)), np.matmul(a, b))


def test_matmul_int_and_promotion(tw_backend):
    a = np.array([[1, 2], [3, 4]], np.int32)
    check(ops.matmul(T(a), T(a)), a @ a)
    check(ops.matmul(T(a), T(a, "float16")), (a @ a).astype(np.float16))


@pytest.mark.parametrize(("subscripts", "shapes"), [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 2, 3), (2, 3, 2)]),
    ("...i,...i", [(2, 3), (2, 3)]),
    ("ij,ij,ij->i", [(2, 3), (2, 3), (2, 3)]),
    ("i j , j k -> i k", [(2, 3), (3, 1)]),
])
def test_einsum_like_numpy(tw_backend, subscripts, shapes):
    arrays = [(np.arange(int(np.prod(s))) % 5 - 1).astype(np.float32).reshape(s)
              for s in shapes]
    check(ops.einsum(subscripts, *[T(a) for a in arrays]), np.einsum(subscripts, *arrays))


def test_dot_outer_tensordot(tw_backend):
    a, b = M[:6].reshape(2, 3), M[:12].reshape(3, 4)
    check(ops.dot(T(a), T(b)), np.dot(a, b))
    check(ops.dot(T(M[:3]), T(M[3:6])), np.dot(M[:3], M[3:6]))
    check(ops.outer(T(M[:2]), T(M[:3])), np.outer(M[:2], M[:3]))
    c = M.reshape(2, 3, 2)
    check(ops.tensordot(T(c), T(b[:, :2].reshape(3, 2)), axes=([1, 2], [0, 1])),
          np.tensordot(c, b[:, :2].reshape(3, 2), axes=([1, 2], [0, 1])))


# ---- elementwise math ------------------------------------------------------------------------
U = np.array([0.0, 0.5, 1.0, 2.5, -0.5, -3.0], np.float32)


@pytest.mark.parametrize(("name", "fn", "data"), [
    ("exp", np.exp, U), ("log", np.log, np.abs(U) + 0.5), ("sqrt", np.sqrt, np.abs(U)),
    ("sin", np.sin, U), ("cos", np.cos, U), ("tanh", np.tanh, U), ("log1p", np.log1p, np.abs(U)),
    ("expm1", np.expm1, U), ("floor", np.floor, U), ("ceil", np.ceil, U),
    ("round", np.round, U), ("sign", np.sign, U), ("abs", np.abs, U),
    ("square", np.square, U), ("reciprocal", np.reciprocal, U[1:]),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v.astype(np.float64))), U),
    ("relu", lambda v: np.maximum(v, 0), U),
])
def test_unary_math(tw_backend, name, fn, data):
    check(getattr(ops, name)(T(data)), np.asarray(fn(data)).astype(np.float32), rtol=F32,
          atol=1e-7)


def test_nan_propagation_and_predicates(tw_backend):
    x = T([1.0, np.nan, -np.inf, np.inf])
    check(ops.isnan(x), np.array([False, True, False, False]))
    check(ops.isfinite(x), np.array([True, False, False, False]))
    check(ops.isinf(x), np.array([False, False, True, True]))
    check(ops.maximum(x, T([2.0, 0.0, 0.0, 0.0])), np.array([2.0, np.nan, 0.0, np.inf],
                                                             np.float32))
    check(ops.max(x), np.float32(np.nan))
    check(ops.isnan(T([1, 2])), np.array([False, False]))


def test_where_clip_softmax(tw_backend):
    x = np.array([[-2.0, 0.5], [3.0, -0.25]], np.float32)
    check(ops.where(T(x) > 0, T(x), 0.0), np.where(x > 0, x, 0.0).astype(np.float32))
    check(ops.where(T([True, False]), 1, 2), np.array([1, 2], np.int32))
    check(ops.clip(T(x), -1.0, 1.0), np.clip(x, -1.0, 1.0))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    check(ops.softmax(T(x)), (e / e.sum(axis=-1, keepdims=True)).astype(np.float32), rtol=F32)
    big = ops.softmax(T([1000.0, 1000.0]))
    check(big, np.array([0.5, 0.5], np.float32), rtol=F32)


def test_cast_rules(tw_backend):
    check(ops.cast(T([1.7, -1.7, 0.2]), "int32"), np.array([1, -1, 0], np.int32))
    check(ops.cast(T([300, -1], "int32"), "uint8"), np.array([44, 255], np.uint8))
    check(ops.cast(T([0.0, -2.5, np.nan]), "bool"), np.array([False, True, True]))
    check(ops.cast(T([1 / 3], "float64"), "float32"), np.array([1 / 3], np.float32))
    check(ops.cast(T([True, False]), "float16"), np.array([1.0, 0.0], np.float16))
