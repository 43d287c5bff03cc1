"""The dtype objects and the one promotion table (``tensorweave.dtypes``).

Every rule of the module docstring has a test here. NumPy 2 is the oracle wherever the
docstring says "as NumPy"; where tensorweave deliberately differs (integer with float gives
the float type, never a silent float64; bfloat16) the expected value is written out.
"""

from __future__ import annotations

import copy
import itertools
import pickle

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import dtypes as dt
from tensorweave.errors import DTypeError, TensorweaveError

ALL = list(dt.ALL)
INTS = [d for d in ALL if d.kind in "iu"]
FLOATS = [d for d in ALL if d.kind == "f"]
NUMPY_NATIVE = [d for d in ALL if d is not dt.bfloat16]


def _pairs(dtypes):
    return list(itertools.product(dtypes, dtypes))


# ---- the table -------------------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b"), _pairs(ALL), ids=lambda d: d.name)
def test_table_is_symmetric(a, b):
    assert dt.result_type(a, b) is dt.result_type(b, a)


@pytest.mark.parametrize("a", ALL, ids=lambda d: d.name)
def test_same_dtype_promotes_to_itself(a):
    assert dt.result_type(a, a) is a
    assert dt.result_type(a) is a


@pytest.mark.parametrize("a", ALL, ids=lambda d: d.name)
def test_bool_joins_any_type_as_that_type(a):
    assert dt.result_type(dt.bool_, a) is a


@pytest.mark.parametrize(
    ("a", "b"),
    [(a, b) for a, b in _pairs(NUMPY_NATIVE)
     if not ({a.kind, b.kind} & {"i", "u"} and {a.kind, b.kind} & {"f"})],
    ids=lambda d: d.name)
def test_matches_numpy_within_kinds_and_signed_unsigned(a, b):
    # "Two arrays of one kind promote within the kind ... as in NumPy 2", signed/unsigned
    # meet in the smallest signed type holding both, uint64 + signed -> float64 "(as NumPy)".
    expected = np.result_type(np.dtype(a.name), np.dtype(b.name)).name
    assert dt.result_type(a, b).name == expected


@pytest.mark.parametrize(("a", "b", "out"), [
    ("int8", "int32", "int32"),
    ("float16", "float32", "float32"),
    ("float16", "bfloat16", "float32"),
    ("bfloat16", "float32", "float32"),
    ("bfloat16", "float64", "float64"),
    ("uint8", "int8", "int16"),
    ("uint16", "int16", "int32"),
    ("uint32", "int32", "int64"),
    ("uint8", "int16", "int16"),
    ("uint8", "int64", "int64"),
    ("uint64", "int8", "float64"),
    ("uint64", "int64", "float64"),
    ("uint8", "uint64", "uint64"),
])
def test_documented_examples(a, b, out):
    assert dt.result_type(dt.canonicalize(a), dt.canonicalize(b)) is dt.canonicalize(out)


@pytest.mark.parametrize(("i", "f"), list(itertools.product(INTS, FLOATS)),
                         ids=lambda d: d.name)
def test_int_with_float_gives_the_float_type(i, f):
    # JAX / Keras 3: int32 + float16 -> float16, never a silent float64 (NumPy differs).
    assert dt.result_type(i, f) is f
    assert dt.result_type(f, i) is f


def test_int_with_float_differs_from_numpy_on_purpose():
    assert dt.result_type(dt.int32, dt.float16) is dt.float16
    assert np.result_type(np.int32, np.float16) == np.float64


def test_result_type_of_many_folds_pairwise():
    assert dt.result_type(dt.bool_, dt.int8, dt.uint8) is dt.int16
    assert dt.result_type(dt.int8, dt.uint8, dt.float16) is dt.float16
    assert dt.result_type(dt.float16, dt.bfloat16, dt.int64) is dt.float32


# ---- weak Python scalars ---------------------------------------------------------------------
@pytest.mark.parametrize("a", ALL, ids=lambda d: d.name)
def test_weak_bool_scalar_keeps_array_dtype(a):
    assert dt.weak_result(a, True) is a


@pytest.mark.parametrize("a", INTS + FLOATS, ids=lambda d: d.name)
def test_weak_int_scalar_keeps_int_and_float_dtypes(a):
    assert dt.weak_result(a, 1) is a
    assert dt.weak_result(a, 0) is a


def test_weak_int_scalar_with_bool_array_gives_default_int():
    assert dt.weak_result(dt.bool_, 1) is dt.int32
    assert dt.default_int() is dt.int32


@pytest.mark.parametrize("a", FLOATS, ids=lambda d: d.name)
def test_weak_float_scalar_keeps_float_dtype(a):
    assert dt.weak_result(a, 0.5) is a


@pytest.mark.parametrize("a", [dt.bool_, *INTS], ids=lambda d: d.name)
def test_weak_float_scalar_with_int_or_bool_gives_default_float(a):
    assert dt.weak_result(a, 0.5) is dt.float32
    assert dt.default_float() is dt.float32


@pytest.mark.parametrize("a", INTS, ids=lambda d: d.name)
def test_weak_int_scalar_bounds_are_inclusive(a):
    assert dt.weak_result(a, a.max) is a
    assert dt.weak_result(a, a.min) is a


@pytest.mark.parametrize("a", INTS, ids=lambda d: d.name)
@pytest.mark.parametrize("side", ["above", "below"])
def test_out_of_bounds_int_scalar_is_an_error(a, side):
    value = a.max + 1 if side == "above" else a.min - 1
    with pytest.raises(DTypeError) as info:
        dt.weak_result(a, value)
    msg = str(info.value)
    assert str(value) in msg
    assert a.name in msg
    assert "out of bounds" in msg


def test_weak_result_rejects_non_scalars():
    with pytest.raises(DTypeError, match="expected a Python bool, int or float, got str"):
        dt.weak_result(dt.float32, "1")


@pytest.mark.parametrize(("value", "expected"), [
    (True, dt.bool_), (False, dt.bool_), (0, dt.int32), (2**31 - 1, dt.int32),
    (-(2**31), dt.int32), (2**31, dt.int64), (-(2**31) - 1, dt.int64), (1.0, dt.float32),
    (float("inf"), dt.float32),
])
def test_lone_scalar_defaults(value, expected):
    assert dt.scalar_dtype(value) is expected


# ---- canonicalize ----------------------------------------------------------------------------
@pytest.mark.parametrize("d", ALL, ids=lambda d: d.name)
def test_canonicalize_names_and_dtypes_are_identity(d):
    assert dt.canonicalize(d) is d
    assert dt.canonicalize(d.name) is d


@pytest.mark.parametrize("d", NUMPY_NATIVE, ids=lambda d: d.name)
def test_canonicalize_numpy_dtypes_and_scalar_types(d):
    np_dtype = np.dtype(d.name)
    assert dt.canonicalize(np_dtype) is d
    assert dt.canonicalize(np_dtype.type) is d  # np.float32, np.int64 ...


@pytest.mark.parametrize(("given", "expected"), [
    (float, dt.float32), (int, dt.int32), (bool, dt.bool_), (None, dt.float32),
    ("float", dt.float32), ("int", dt.int32), ("double", dt.float64), ("single", dt.float32),
    ("half", dt.float16), ("bool_", dt.bool_), (np.bool_, dt.bool_),
])
def test_canonicalize_python_types_and_aliases(given, expected):
    assert dt.canonicalize(given) is expected


@pytest.mark.parametrize("bad", ["complex64", "float128", "foo", "", np.dtype("complex64"),
                                 np.str_, 3, object()])
def test_unknown_dtype_error_names_it_and_lists_the_known_ones(bad):
    with pytest.raises(DTypeError) as info:
        dt.canonicalize(bad)
    msg = str(info.value)
    assert msg.startswith(f"unknown dtype {bad!r}")
    for d in ALL:
        assert d.name in msg
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, TensorweaveError)


def test_unknown_dtype_through_a_public_op():
    with pytest.raises(DTypeError, match=r"unknown dtype 'complex64'"):
        tw.ops.zeros((2,), dtype="complex64")


# ---- the DType objects -----------------------------------------------------------------------
@pytest.mark.parametrize("d", ALL, ids=lambda d: d.name)
def test_dtypes_are_singletons_under_copy_and_pickle(d):
    assert copy.copy(d) is d
    assert copy.deepcopy(d) is d
    assert pickle.loads(pickle.dumps(d)) is d


@pytest.mark.parametrize("d", NUMPY_NATIVE, ids=lambda d: d.name)
def test_equality_with_names_and_numpy(d):
    assert d == d.name
    assert d == np.dtype(d.name)
    assert d == np.dtype(d.name).type
    others = [o for o in ALL if o is not d]
    assert all(d != o for o in others)
    assert all(d != o.name for o in others)
    assert hash(d) == hash(d.name)


@pytest.mark.parametrize("d", NUMPY_NATIVE, ids=lambda d: d.name)
def test_bits_bounds_and_kind_match_numpy(d):
    np_dtype = np.dtype(d.name)
    assert d.bits == np_dtype.itemsize * 8
    assert d.itemsize == np_dtype.itemsize
    assert d.kind == np_dtype.kind
    if d.kind in "iu":
        info = np.iinfo(np_dtype)
        assert (d.min, d.max) == (int(info.min), int(info.max))
    elif d.kind == "f":
        assert (d.min, d.max) == (float("-inf"), float("inf"))
    assert d.is_floating == (d.kind == "f")
    assert d.is_integer == (d.kind in "iu")
    assert d.is_bool == (d.kind == "b")


def test_bfloat16_is_a_16_bit_float():
    assert (dt.bfloat16.kind, dt.bfloat16.bits, dt.bfloat16.itemsize) == ("f", 16, 2)
    assert dt.bfloat16 != dt.float16
    assert repr(dt.bfloat16) == str(dt.bfloat16) == "bfloat16"


def test_top_level_names_are_the_same_objects():
    for d in ALL:
        attr = "bool_" if d is dt.bool_ else d.name
        assert getattr(tw, attr) is d
