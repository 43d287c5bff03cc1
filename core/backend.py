"""``tw.backend``: the current backend's name, and Keras 2's ``backend as K`` functions.

``tw.backend()`` returns the name of the current backend (as ``keras.config.backend()``).
The module is also what 2017-era Keras code imports as ``from keras import backend as K``:
``K.argmax``, ``K.cast``, ``K.sum``, ``K.epsilon()``, ``K.get_value`` /
``K.set_value`` ... with Keras 2's argument names and defaults (``argmax`` over the last
axis, ``concatenate`` on the last axis), so custom metrics and callbacks from those
tutorials run unchanged on every backend. Each function is a thin wrapper over
``tw.ops``; any other ``tw.ops`` name is reachable here too (``K.matmul``).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Sequence
from typing import Any

from .errors import InvalidArgumentError

__all__ = [
    "backend", "epsilon", "floatx", "image_data_format", "clear_session", "int_shape", "ndim",
    "dtype", "shape", "cast", "variable", "constant", "get_value", "set_value",
    "batch_get_value", "eval", "sum", "mean", "max", "min", "prod", "std", "var", "any",
    "all", "argmax", "argmin", "concatenate", "clip", "dot", "switch", "relu", "softmax",
    "sigmoid", "tanh", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "binary_crossentropy", "one_hot", "flatten", "batch_flatten", "expand_dims", "squeeze",
    "permute_dimensions", "gather", "zeros", "ones", "random_normal", "random_uniform",
    "count_params",
]

_EPSILON = 1e-7


def _ops() -> Any:
    from . import ops

    return ops


def backend() -> str:
    """The name of the current backend (``"numpy"``, ``"python"``, ``"cupy"`` ...)."""
    from .backend_registry import current

    return current().name


def epsilon() -> float:
    """The fuzz factor losses and metrics add to denominators (``1e-7``, as Keras)."""
    return _EPSILON


def floatx() -> str:
    """The default float type: ``"float32"`` unless the config file says otherwise."""
    from .config import config_value

    return str(config_value("floatx", "float32"))


def image_data_format() -> str:
    """``"channels_last"`` unless the config file says ``image_data_format``."""
    from .config import config_value

    return str(config_value("image_data_format", "channels_last"))


def clear_session() -> None:
    """Reset automatic layer names (as ``keras.backend.clear_session``)."""
    from .utils import clear_session as _clear

    _clear()


# ---- tensors and variables --------------------------------------------------------------
def int_shape(x: Any) -> tuple:
    """The static shape as a tuple (``None`` for unknown dimensions)."""
    return tuple(_ops().convert_to_tensor(x).shape if not hasattr(x, "shape") else x.shape)


def ndim(x: Any) -> int:
    return len(int_shape(x))


def dtype(x: Any) -> str:
    """The dtype's name (``"float32"``)."""
    return str(getattr(x, "dtype", _ops().convert_to_tensor(x).dtype))


def shape(x: Any) -> Any:
    return _ops().shape(x)


def cast(x: Any, dtype: Any) -> Any:
    return _ops().cast(x, dtype)


def variable(value: Any, dtype: Any = None, name: str | None = None) -> Any:
    """A :class:`~tensorweave.Variable` holding ``value``."""
    from .variables import Variable

    return Variable(value, dtype=dtype or floatx(), name=name)


def constant(value: Any, dtype: Any = None, shape: Sequence[int] | None = None,
             name: str | None = None) -> Any:
    ops = _ops()
    if shape is not None:
        return ops.full(tuple(shape), value, dtype=dtype or floatx())
    return ops.convert_to_tensor(value, dtype=dtype)


def get_value(x: Any) -> Any:
    """A NumPy value of a Variable or tensor; a Python number stays a number."""
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x) if isinstance(x, float) else x
    return _ops().convert_to_numpy(x)


def batch_get_value(xs: Sequence[Any]) -> list:
    return [get_value(x) for x in xs]


eval = get_value  # noqa: A001  (Keras 2's name)


def set_value(x: Any, value: Any) -> None:
    """Write ``value`` into a Variable; ``K.set_value(model.optimizer.lr, 0.01)`` sets the
    optimizer's learning rate."""
    from .variables import Variable

    owner = getattr(x, "_tw_optimizer", None)
    if owner is not None:
        owner.learning_rate = value
        return
    if isinstance(x, Variable):
        x.assign(value)
        return
    raise InvalidArgumentError(
        f"backend.set_value: argument 'x': expected a Variable (or optimizer.lr), got "
        f"{type(x).__name__} {x!r}; a plain number cannot be updated in place")


def count_params(x: Any) -> int:
    n = 1
    for d in int_shape(x):
        n *= int(d)
    return n


# ---- math with Keras 2's defaults ------------------------------------------------------
def _reduction(name: str) -> Any:
    def reduce(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return getattr(_ops(), name)(x, axis=axis, keepdims=keepdims)

    reduce.__name__ = reduce.__qualname__ = name
    reduce.__doc__ = f"``ops.{name}(x, axis, keepdims)``."
    return reduce


sum = _reduction("sum")  # noqa: A001
mean = _reduction("mean")
max = _reduction("max")  # noqa: A001
min = _reduction("min")  # noqa: A001
prod = _reduction("prod")
std = _reduction("std")
var = _reduction("var")
any = _reduction("any")  # noqa: A001
all = _reduction("all")  # noqa: A001


def argmax(x: Any, axis: int = -1) -> Any:
    """Index of the largest value over ``axis`` (Keras 2: the last axis by default)."""
    return _ops().argmax(x, axis=axis)


def argmin(x: Any, axis: int = -1) -> Any:
    return _ops().argmin(x, axis=axis)


def concatenate(tensors: Sequence[Any], axis: int = -1) -> Any:
    """Join along ``axis`` (Keras 2: the last axis by default)."""
    return _ops().concatenate(list(tensors), axis=axis)


def clip(x: Any, min_value: Any, max_value: Any) -> Any:
    return _ops().clip(x, min_value, max_value)


def dot(x: Any, y: Any) -> Any:
    return _ops().matmul(x, y)


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Any:
    """Elementwise choice (``where``); callables are called first, as Keras 2 allowed."""
    then = then_expression() if callable(then_expression) else then_expression
    other = else_expression() if callable(else_expression) else else_expression
    return _ops().where(condition, then, other)


def relu(x: Any, alpha: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Any:
    from .activations import relu as _relu

    return _relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def softmax(x: Any, axis: int = -1) -> Any:
    return _ops().softmax(x, axis=axis)


def sigmoid(x: Any) -> Any:
    return _ops().sigmoid(x)


def tanh(x: Any) -> Any:
    return _ops().tanh(x)


def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                             axis: int = -1) -> Any:
    from .losses import categorical_crossentropy as _cce

    return _cce(target, output, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False,
                                    axis: int = -1) -> Any:
    from .losses import sparse_categorical_crossentropy as _scce

    return _scce(target, output, from_logits=from_logits, axis=axis)


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Any:
    """Elementwise binary cross-entropy (Keras 2's backend form: no mean over the last
    axis)."""
    ops = _ops()
    if from_logits:
        return ops.subtract(ops.add(ops.relu(output), ops.log1p(ops.exp(ops.negative(
            ops.abs(output))))), ops.multiply(output, target))
    p = ops.clip(output, _EPSILON, 1.0 - _EPSILON)
    return ops.negative(ops.add(ops.multiply(target, ops.log(p)),
                                ops.multiply(ops.subtract(1.0, target),
                                             ops.log(ops.subtract(1.0, p)))))


def one_hot(indices: Any, num_classes: int) -> Any:
    return _ops().one_hot(indices, num_classes)


def flatten(x: Any) -> Any:
    return _ops().reshape(x, (-1,))


def batch_flatten(x: Any) -> Any:
    return _ops().reshape(x, (int_shape(x)[0] if int_shape(x)[0] is not None else -1, -1))


def expand_dims(x: Any, axis: int = -1) -> Any:
    return _ops().expand_dims(x, axis)


def squeeze(x: Any, axis: int) -> Any:
    return _ops().squeeze(x, axis)


def permute_dimensions(x: Any, pattern: Sequence[int]) -> Any:
    return _ops().transpose(x, tuple(pattern))


def gather(reference: Any, indices: Any) -> Any:
    return _ops().take(reference, indices, axis=0)


def zeros(shape: Sequence[int], dtype: Any = None, name: str | None = None) -> Any:
    return _ops().zeros(tuple(shape), dtype=dtype or floatx())


def ones(shape: Sequence[int], dtype: Any = None, name: str | None = None) -> Any:
    return _ops().ones(tuple(shape), dtype=dtype or floatx())


def random_normal(shape: Sequence[int], mean: float = 0.0, stddev: float = 1.0,
                  dtype: Any = None, seed: int | None = None) -> Any:
    from . import random

    return random.normal(tuple(shape), mean=mean, stddev=stddev, dtype=dtype or floatx(),
                         seed=seed)


def random_uniform(shape: Sequence[int], minval: float = 0.0, maxval: float = 1.0,
                   dtype: Any = None, seed: int | None = None) -> Any:
    from . import random

    return random.uniform(tuple(shape), minval=minval, maxval=maxval,
                          dtype=dtype or floatx(), seed=seed)


def __getattr__(name: str) -> Any:
    """Any other ``tw.ops`` function (``K.square``, ``K.equal``, ``K.maximum`` ...)."""
    if not name.startswith("_"):
        ops = _ops()
        if hasattr(ops, name):
            return getattr(ops, name)
    raise AttributeError(f"module 'tensorweave.backend' has no attribute {name!r} (it "
                         "holds Keras 2's backend functions and every tw.ops function)")


class _CallableModule(types.ModuleType):
    """``tw.backend()`` keeps meaning "the current backend's name"."""

    def __call__(self) -> str:
        return backend()


sys.modules[__name__].__class__ = _CallableModule
