"""Errors: raised when an op is called (before any kernel runs), of the right class, with a
message that names the op and says what was expected and what came.

The tables below are run on every backend of the run (``tw_backend``), once more on a
spying NumPy backend that records every kernel call (none may happen), and once on symbolic
inputs (no kernel exists there at all).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import errors
from tensorweave.backends.numpy import NumpyBackend
from tensorweave.errors import (
    DTypeError,
    InvalidArgumentError,
    ShapeError,
    TensorweaveError,
    UnknownOpError,
)

ops = tw.ops


def _t(shape, dtype="float32"):
    return ops.ones(shape, dtype)


# Each case: id -> (setup, exception, substrings). ``setup()`` builds the inputs (kernels may
# run there) and returns the failing call as a thunk. The inputs of one call share a dtype, so
# no promotion cast is needed before the check.
SHAPE_CASES = {
    "add": (lambda: (lambda a, b: lambda: ops.add(a, b))(_t((3, 4)), _t((5,))),
            ShapeError, ["add", "(3, 4)", "(5,)"]),
    "add-operator": (lambda: (lambda a, b: lambda: a + b)(_t((3, 4)), _t((5,))),
                     ShapeError, ["add", "(3, 4)", "(5,)"]),
    "multiply-operator": (lambda: (lambda a, b: lambda: a * b)(_t((2, 3)), _t((3, 2))),
                          ShapeError, ["multiply", "(2, 3)", "(3, 2)"]),
    "maximum": (lambda: (lambda a, b: lambda: ops.maximum(a, b))(_t((4,)), _t((3,))),
                ShapeError, ["maximum", "(4,)", "(3,)"]),
    "where": (lambda: (lambda c, x: lambda: ops.where(c, x, x))(_t((3,), "bool"), _t((2,))),
              ShapeError, ["where", "(3,)", "(2,)"]),
    "matmul": (lambda: (lambda a, b: lambda: ops.matmul(a, b))(_t((2, 3)), _t((4, 5))),
               ShapeError, ["matmul", "(2, 3)", "(4, 5)", "x2"]),
    "matmul-operator": (lambda: (lambda a, b: lambda: a @ b)(_t((2, 3)), _t((4, 5))),
                        ShapeError, ["matmul", "(2, 3)", "(4, 5)"]),
    "matmul-batch": (lambda: (lambda a, b: lambda: ops.matmul(a, b))(_t((2, 3, 4)),
                                                                     _t((5, 4, 6))),
                     ShapeError, ["matmul", "(2,)", "(5,)"]),
    "matmul-scalar": (lambda: (lambda a: lambda: ops.matmul(a, 2.0))(_t((3,))),
                      ShapeError, ["matmul", "scalar"]),
    "reshape": (lambda: (lambda a: lambda: ops.reshape(a, (5,)))(_t((3, 4))),
                ShapeError, ["reshape", "(3, 4)", "12", "(5,)"]),
    "reshape-inferred": (lambda: (lambda a: lambda: a.reshape(-1, 5))(_t((3, 4))),
                         ShapeError, ["reshape", "(3, 4)", "(-1, 5)"]),
    "concatenate": (lambda: (lambda a, b: lambda: ops.concatenate([a, b], axis=0))(
        _t((2, 3)), _t((4, 5))), ShapeError, ["concatenate", "(2, 3)", "(4, 5)", "axis 0"]),
    "concatenate-ndim": (lambda: (lambda a, b: lambda: ops.concatenate([a, b]))(
        _t((2, 3)), _t((3,))), ShapeError, ["concatenate", "input 1", "1 dims", "2"]),
    "stack": (lambda: (lambda a, b: lambda: ops.stack([a, b]))(_t((2,)), _t((3,))),
              ShapeError, ["stack", "(2,)", "(3,)"]),
    "broadcast_to": (lambda: (lambda a: lambda: ops.broadcast_to(a, (2, 4)))(_t((3,))),
                     ShapeError, ["broadcast_to", "(3,)", "(2, 4)"]),
    "squeeze": (lambda: (lambda a: lambda: ops.squeeze(a, 0))(_t((3, 1))),
                ShapeError, ["squeeze", "axis 0", "3"]),
    "einsum": (lambda: (lambda a, b: lambda: ops.einsum("ij,jk->ik", a, b))(
        _t((2, 3)), _t((4, 5))), ShapeError, ["einsum", "'j'", "3", "4"]),
    "scatter_add": (lambda: (lambda x, i, u: lambda: ops.scatter_add(x, i, u))(
        _t((4,)), ops.convert_to_tensor([[1], [2]]), _t((3,))),
        ShapeError, ["scatter_add", "updates", "(2,)", "(3,)"]),
    "take_along_axis": (lambda: (lambda x, i: lambda: ops.take_along_axis(x, i, 0))(
        _t((2, 3)), ops.convert_to_tensor([0, 1])),
        ShapeError, ["take_along_axis", "2 dims", "got 1"]),
}

AXIS_CASES = {
    "sum-axis-too-big": (lambda: (lambda a: lambda: ops.sum(a, axis=2))(_t((3, 4))),
                         InvalidArgumentError, ["sum", "'axis'", "[-2, 1]", "got 2"]),
    "mean-axis-too-small": (lambda: (lambda a: lambda: ops.mean(a, axis=-3))(_t((3, 4))),
                            InvalidArgumentError, ["mean", "'axis'", "got -3"]),
    "argmax-axis": (lambda: (lambda a: lambda: ops.argmax(a, axis=5))(_t((3, 4))),
                    InvalidArgumentError, ["argmax", "'axis'", "got 5"]),
    "softmax-axis": (lambda: (lambda a: lambda: ops.softmax(a, axis=3))(_t((3, 4))),
                     InvalidArgumentError, ["softmax", "'axis'", "got 3"]),
    "concatenate-axis": (lambda: (lambda a: lambda: ops.concatenate([a, a], axis=2))(
        _t((3, 4))), InvalidArgumentError, ["concatenate", "'axis'", "got 2"]),
    "expand_dims-axis": (lambda: (lambda a: lambda: ops.expand_dims(a, 4))(_t((3, 4))),
                         InvalidArgumentError, ["expand_dims", "'axis'", "got 4"]),
    "repeated-axis": (lambda: (lambda a: lambda: ops.sum(a, axis=(0, 0)))(_t((3, 4))),
                      InvalidArgumentError, ["sum", "repeated axis", "(0, 0)"]),
    "axis-not-int": (lambda: (lambda a: lambda: ops.max(a, axis="0"))(_t((3, 4))),
                     InvalidArgumentError, ["max", "'axis'", "expected an int", "'0'"]),
    "axis-bool": (lambda: (lambda a: lambda: ops.sum(a, axis=True))(_t((3, 4))),
                  InvalidArgumentError, ["sum", "'axis'", "True"]),
    "transpose-perm": (lambda: (lambda a: lambda: ops.transpose(a, (0, 0)))(_t((3, 4))),
                       InvalidArgumentError, ["transpose", "'axes'", "permutation", "(0, 0)"]),
    "reshape-two-minus-one": (lambda: (lambda a: lambda: ops.reshape(a, (-1, -1)))(
        _t((3, 4))), InvalidArgumentError, ["reshape", "'shape'", "-1"]),
    "split-unequal": (lambda: (lambda a: lambda: ops.split(a, 2))(_t((5,))),
                      InvalidArgumentError, ["split", "size 5", "2 equal sections"]),
    "getitem-out-of-bounds": (lambda: (lambda a: lambda: a[5])(_t((3, 4))),
                              InvalidArgumentError, ["getitem", "index 5", "size 3"]),
    "getitem-too-many": (lambda: (lambda a: lambda: a[1, 2, 3])(_t((3, 4))),
                         InvalidArgumentError, ["getitem", "too many indices", "2-d"]),
    "pad-mode": (lambda: (lambda a: lambda: ops.pad(a, 1, mode="bogus"))(_t((3,))),
                 InvalidArgumentError, ["pad", "'mode'", "'bogus'"]),
    "one_hot-classes": (lambda: (lambda i: lambda: ops.one_hot(i, 0))(
        ops.convert_to_tensor([1])), InvalidArgumentError, ["one_hot", "num_classes", "0"]),
    "full-negative-shape": (lambda: lambda: ops.full((-1, 2), 0.0),
                            InvalidArgumentError, ["full", "'shape'", "(-1, 2)"]),
    "arange-step-zero": (lambda: lambda: ops.arange(0, 5, 0),
                         InvalidArgumentError, ["arange", "'step'", "0"]),
}

DTYPE_CASES = {
    "bitwise_and-float": (lambda: (lambda a: lambda: ops.bitwise_and(a, a))(_t((2,))),
                          DTypeError, ["bitwise_and", "float32"]),
    "bitwise_or-float": (lambda: (lambda a: lambda: ops.bitwise_or(a, a))(_t((2,), "float64")),
                         DTypeError, ["bitwise_or", "float64"]),
    "bitwise_xor-float": (lambda: (lambda a: lambda: ops.bitwise_xor(a, a))(_t((2,))),
                          DTypeError, ["bitwise_xor", "float32"]),
    "and-operator-float": (lambda: (lambda a: lambda: a & a)(_t((2,))),
                           DTypeError, ["bitwise_and", "float32"]),
    "left_shift-float": (lambda: (lambda a: lambda: ops.left_shift(a, a))(_t((2,))),
                         DTypeError, ["left_shift", "float32"]),
    "right_shift-operator-float": (lambda: (lambda a: lambda: a >> a)(_t((2,))),
                                   DTypeError, ["right_shift", "float32"]),
    "subtract-bool": (lambda: (lambda a: lambda: a - a)(_t((2,), "bool")),
                      DTypeError, ["subtract", "bool"]),
    "neg-bool": (lambda: (lambda a: lambda: -a)(_t((2,), "bool")),
                 DTypeError, ["neg", "bool"]),
    "matmul-bool": (lambda: (lambda a: lambda: ops.matmul(a, a))(_t((2, 2), "bool")),
                    DTypeError, ["matmul", "bool"]),
    "take-float-indices": (lambda: (lambda a, i: lambda: ops.take(a, i))(_t((3,)), _t((2,))),
                           DTypeError, ["take", "'indices'", "float32"]),
    "weak-int-out-of-bounds": (lambda: (lambda a: lambda: a + 300)(_t((2,), "int8")),
                               DTypeError, ["300", "int8", "out of bounds"]),
    "weak-negative-unsigned": (lambda: (lambda a: lambda: a * -1)(_t((2,), "uint8")),
                               DTypeError, ["-1", "uint8", "out of bounds"]),
    "cast-unknown-dtype": (lambda: (lambda a: lambda: ops.cast(a, "complex64"))(_t((2,))),
                           DTypeError, ["unknown dtype", "complex64"]),
}

ALL_CASES = {**SHAPE_CASES, **AXIS_CASES, **DTYPE_CASES}


def _check(exc_info, exc_type, substrings):
    err = exc_info.value
    assert type(err) is exc_type, f"{type(err).__name__}: {err}"
    msg = str(err)
    for s in substrings:
        assert s in msg, f"{s!r} not in {msg!r}"


@pytest.mark.parametrize("case", list(ALL_CASES))
def test_error_class_and_message(tw_backend, case):
    setup, exc_type, substrings = ALL_CASES[case]
    call = setup()
    with pytest.raises(exc_type) as info:
        call()
    _check(info, exc_type, substrings)


class SpyBackend(NumpyBackend):
    """The NumPy backend, recording the name of every kernel it runs."""

    name = "numpy-spy"

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

        def spy(op_name, kernel):
            def run(*args, **kwargs):
                self.calls.append(op_name)
                return kernel(*args, **kwargs)
            return run

        self.kernels = {n: spy(n, k) for n, k in self.kernels.items()}


@pytest.fixture
def spy():
    backend = SpyBackend()
    with tw.backend_scope(backend):
        yield backend


def test_spy_backend_sees_kernel_calls(spy):
    # The spy must see kernels run, otherwise the "no kernel ran" tests prove nothing.
    a = _t((2,))
    assert spy.calls == ["full"]
    spy.calls.clear()
    b = a + a
    assert spy.calls == ["add"]
    assert b.backend == "numpy-spy"
    assert b.tolist() == [2.0, 2.0]


@pytest.mark.parametrize("case", list(ALL_CASES))
def test_no_kernel_runs_before_the_error(spy, case):
    setup, exc_type, substrings = ALL_CASES[case]
    call = setup()
    spy.calls.clear()
    with pytest.raises(exc_type) as info:
        call()
    _check(info, exc_type, substrings)
    assert spy.calls == [], f"kernels ran before the error: {spy.calls}"


def test_no_cast_runs_before_a_shape_error_with_mixed_dtypes(spy):
    a, b = _t((3, 4), "int32"), _t((5,), "float32")
    spy.calls.clear()
    with pytest.raises(ShapeError, match=r"add: .*\(3, 4\).*\(5,\)"):
        a + b
    assert spy.calls == []


SYMBOLIC_CASES = {
    "add": (lambda: ops.add(tw.placeholder((None, 4)), tw.placeholder((5,))),
            ShapeError, ["add", "(None, 4)", "(5,)"]),
    "matmul": (lambda: ops.matmul(tw.placeholder((None, 3)), tw.placeholder((4, 2))),
               ShapeError, ["matmul", "(None, 3)", "(4, 2)"]),
    "reshape": (lambda: ops.reshape(tw.placeholder((3, 4)), (5,)),
                ShapeError, ["reshape", "(3, 4)", "(5,)"]),
    "concatenate": (lambda: ops.concatenate([tw.placeholder((None, 3)),
                                             tw.placeholder((None, 4))], axis=0),
                    ShapeError, ["concatenate", "(None, 3)", "(None, 4)"]),
    "bitwise": (lambda: ops.bitwise_and(tw.placeholder((2,)), tw.placeholder((2,))),
                DTypeError, ["bitwise_and", "float32"]),
    "axis": (lambda: ops.sum(tw.placeholder((None, 2)), axis=2),
             InvalidArgumentError, ["sum", "'axis'", "got 2"]),
}


@pytest.mark.parametrize("case", list(SYMBOLIC_CASES))
def test_errors_at_graph_build_time(case):
    call, exc_type, substrings = SYMBOLIC_CASES[case]
    with pytest.raises(exc_type) as info:
        call()
    _check(info, exc_type, substrings)


def test_matmul_1d_mismatch_names_the_shapes_given(tw_backend):
    with pytest.raises(ShapeError) as info:
        ops.matmul(_t((3,)), _t((4,)))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg


# ---- non-numeric input -----------------------------------------------------------------------
NON_NUMERIC = {
    "str": ("abc", DTypeError, ["convert_to_tensor", "str"]),
    "list-of-str": (["a", "b"], DTypeError, ["convert_to_tensor", "str", "'a'"]),
    "mixed-list": ([1, "a"], DTypeError, ["convert_to_tensor", "str", "'a'"]),
    "object": (object(), DTypeError, ["convert_to_tensor", "object"]),
    "dict": ({"a": 1}, DTypeError, ["convert_to_tensor", "dict"]),
    "none": (None, DTypeError, ["convert_to_tensor", "NoneType"]),
    "list-with-none": ([None, 1], DTypeError, ["convert_to_tensor", "NoneType"]),
    "complex": (1j, DTypeError, ["convert_to_tensor", "complex"]),
    "list-of-complex": ([1j], DTypeError, ["convert_to_tensor", "complex"]),
    "ragged-lengths": ([[1, 2], [3]], ShapeError, ["convert_to_tensor", "ragged"]),
    "ragged-depth": ([[1, 2], 3], ShapeError, ["convert_to_tensor", "ragged"]),
    "ragged-depth-late": ([1, [2, 3]], ShapeError, ["convert_to_tensor", "ragged"]),
    "numpy-str": (np.array(["a"]), DTypeError, ["numeric", "<U1"]),
    "numpy-object": (np.array([1, None], dtype=object), DTypeError, ["numeric", "object"]),
    "numpy-complex": (np.array([1j]), DTypeError, ["numeric", "complex128"]),
}


@pytest.mark.parametrize("case", list(NON_NUMERIC))
def test_non_numeric_input_is_rejected_clearly(tw_backend, case):
    data, exc_type, substrings = NON_NUMERIC[case]
    with pytest.raises(exc_type) as info:
        ops.convert_to_tensor(data)
    _check(info, exc_type, substrings)


@pytest.mark.parametrize(("call", "exc_type", "substrings"), [
    (lambda: ops.add(_t((2,)), "x"), DTypeError, ["add", "str"]),
    (lambda: _t((2,)) + None, DTypeError, ["add", "NoneType"]),
    (lambda: _t((2,)) * object(), DTypeError, ["multiply", "object"]),
    (lambda: ops.exp("a"), DTypeError, ["exp", "str"]),
    (lambda: ops.sum([[1, 2], [3]]), ShapeError, ["sum", "ragged"]),
    (lambda: ops.matmul([["a"]], [[1.0]]), DTypeError, ["matmul", "str"]),
    (lambda: ops.concatenate([_t((2,)), ["x", "y"]]), DTypeError, ["concatenate", "str"]),
], ids=["add-str", "add-none", "mul-object", "exp-str", "sum-ragged", "matmul-str",
        "concatenate-str"])
def test_non_numeric_operand_names_the_op(tw_backend, call, exc_type, substrings):
    with pytest.raises(exc_type) as info:
        call()
    _check(info, exc_type, substrings)


def test_numpy_string_array_next_to_a_tensor_names_the_op(tw_backend):
    with pytest.raises(DTypeError) as info:
        ops.add(_t((1,)), np.array(["a"]))
    assert "add" in str(info.value)
    assert "<U1" in str(info.value)


# ---- the hierarchy ---------------------------------------------------------------------------
BUILTIN_OF = {
    "ShapeError": ValueError,
    "DTypeError": TypeError,
    "InvalidArgumentError": ValueError,
    "BackendUnavailableError": RuntimeError,
    "BackendMismatchError": ValueError,
    "UnknownOpError": KeyError,
    "NotImplementedKernelError": NotImplementedError,
    "NotDifferentiableError": TypeError,
    "TracingError": TypeError,
    "PluginLoadError": ImportError,
    "MissingDependencyError": ImportError,
    "DuplicateNameError": ValueError,
    "SerializationError": ValueError,
}


def _error_classes():
    return {name: obj for name, obj in vars(errors).items()
            if inspect.isclass(obj) and issubclass(obj, BaseException)}


def test_every_error_class_is_covered_here():
    # A new error class must be added to BUILTIN_OF (and so be checked below).
    assert set(_error_classes()) == set(BUILTIN_OF) | {"TensorweaveError"}
    assert set(errors.__all__) - {"describe"} == set(_error_classes())


@pytest.mark.parametrize("name", sorted(BUILTIN_OF))
def test_error_derives_from_base_and_matching_builtin(name):
    cls = getattr(errors, name)
    assert issubclass(cls, TensorweaveError)
    assert issubclass(cls, BUILTIN_OF[name])
    err = cls("boom")
    # Code written for NumPy/Keras that catches the builtin keeps working.
    with pytest.raises(BUILTIN_OF[name]):
        raise err
    assert str(err) == "boom"  # no KeyError-style quoting


def test_base_error_is_an_exception_and_reexported():
    assert issubclass(TensorweaveError, Exception)
    assert tw.errors is errors


def test_unknown_op_error_message_is_not_quoted():
    with pytest.raises(UnknownOpError) as info:
        ops.get_op("no_such_op")
    assert str(info.value) == "unknown op 'no_such_op'"
    assert isinstance(info.value, KeyError)


def test_describe_formats_the_common_message():
    assert errors.describe("add", "y", "a shape broadcastable with (3, 4)", (5,)) == \
        "add: argument 'y': expected a shape broadcastable with (3, 4), got (5,)"
    assert errors.describe("Dense", None, "a 2-d input", "shape (3,)") == \
        "Dense: expected a 2-d input, got shape (3,)"


def test_shape_error_is_caught_as_value_error(tw_backend):
    # What user code written for NumPy does.
    try:
        ops.add(_t((3, 4)), _t((5,)))
    except ValueError as exc:
        assert isinstance(exc, ShapeError)
    else:
        pytest.fail("no error raised")
