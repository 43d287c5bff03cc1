"""Built-in activations plugin: Keras 3's activation functions, by Keras's names.

Every activation is a plain function ``x -> tensor`` written with :mod:`tensorweave.ops`,
so it runs eagerly on any backend, records graph nodes under tracing and differentiates
through the ops' own gradient rules. Most are thin wrappers over ops that already exist
(``tw.ops.relu``, ``tw.ops.gelu`` ...): an activation only fixes Keras's *activation*
signature and defaults, which sometimes differ from the op's (``activations.gelu``
defaults to the exact erf form, ``ops.gelu`` to the tanh approximation;
``activations.leaky_relu`` has ``negative_slope=0.2``), so the two layers of API stay
independent without duplicating any maths.

Registration happens through the ``register_activations`` hook, exactly like a
third-party plugin; ``tw.activations.get("relu")`` then returns :func:`relu`.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, describe
from tensorweave.plugin import hookimpl

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "softplus",
    "softsign", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "tanh", "softmax",
    "log_softmax", "linear", "exponential", "mish", "log_sigmoid", "celu", "hard_tanh",
    "tanh_shrink", "squareplus", "glu", "hard_shrink", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "threshold",
]


def _float(x: Any) -> Any:
    """A float tensor of ``x`` (ints become float32), without converting symbolic ones."""
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x)
    return x if x.dtype.is_floating else ops.cast(x, "float32")


def _number(where: str, arg: str, value: Any) -> float:
    """Activation hyper-parameters are Python numbers: they are attributes, not inputs."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgumentError(describe(where, arg, "a Python number", repr(value)))
    return float(value)


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None,
         threshold: float = 0.0) -> Any:
    """Rectified linear unit with Keras's options.

    ``x`` where ``x > threshold``, ``negative_slope * (x - threshold)`` below it, capped at
    ``max_value``. The plain case (no options) is the ``relu`` op, so graphs of ordinary
    models keep the one-node form that backends and fusion passes know.
    """
    slope = _number("relu", "negative_slope", negative_slope)
    cap = None if max_value is None else _number("relu", "max_value", max_value)
    thr = _number("relu", "threshold", threshold)
    if slope < 0:
        raise InvalidArgumentError(describe("relu", "negative_slope", "a value >= 0", slope))
    if cap is not None and cap < 0:
        raise InvalidArgumentError(describe("relu", "max_value", "a value >= 0 or None", cap))
    x = _float(x)
    if slope == 0.0 and thr == 0.0:
        if cap is None:
            return ops.relu(x)
        if cap == 6.0:
            return ops.relu6(x)
        return ops.clip(ops.relu(x), 0.0, cap)
    if thr != 0.0:
        pos = ops.where(ops.greater(x, thr), x, 0.0)
    else:
        pos = ops.relu(x)
    if cap is not None:
        pos = ops.clip(pos, 0.0, cap)
    if slope != 0.0:
        # below the threshold: slope * (x - threshold) (Keras: x - slope * relu(thr - x))
        neg = ops.multiply(ops.relu(ops.subtract(thr, x)), slope)
        return ops.subtract(pos, neg)
    return pos


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``: bounded ReLU of MobileNet (Keras ``activations.relu6``)."""
    return ops.relu6(_float(x))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """``x`` for ``x > 0``, ``negative_slope * x`` otherwise (Keras default slope 0.2)."""
    return ops.leaky_relu(x, negative_slope=_number("leaky_relu", "negative_slope",
                                                    negative_slope))


def elu(x: Any, alpha: float = 1.0) -> Any:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return ops.elu(x, alpha=_number("elu", "alpha", alpha))


def selu(x: Any) -> Any:
    """Scaled ELU with the self-normalising constants of Klambauer et al. (2017)."""
    return ops.selu(x)


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit; exact (erf) by default, as Keras's *activation*
    (the tanh form with ``approximate=True``)."""
    return ops.gelu(x, approximate=bool(approximate))


def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (Swish with beta 1); registered as ``silu`` and ``swish``."""
    return ops.silu(x)


swish = silu


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))`` in its overflow-free form."""
    return ops.softplus(x)


def softsign(x: Any) -> Any:
    """``x / (|x| + 1)``."""
    return ops.softsign(x)


def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(_float(x))


def hard_sigmoid(x: Any) -> Any:
    """Keras 3's piecewise-linear sigmoid ``relu6(x + 3) / 6`` (Keras 2 used 0.2x + 0.5)."""
    return ops.hard_sigmoid(x)


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (MobileNetV3's hard swish); also ``hard_swish``."""
    return ops.hard_silu(_float(x))


hard_swish = hard_silu


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ops.tanh(_float(x))


def softmax(x: Any, axis: int = -1) -> Any:
    """Normalised exponentials along ``axis`` (max-shifted, so it cannot overflow)."""
    return ops.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x, axis)``: the log of :func:`softmax`, without its underflow."""
    return ops.log_softmax(x, axis=axis)


def linear(x: Any) -> Any:
    """The identity (Keras's ``activation=None``): returns ``x`` unchanged."""
    return x


def exponential(x: Any) -> Any:
    """``exp(x)``."""
    return ops.exp(_float(x))


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    x = _float(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large negative ``x``."""
    return ops.log_sigmoid(x)


def celu(x: Any, alpha: float = 1.0) -> Any:
    """Continuously differentiable ELU: ``max(x, 0) + min(0, alpha * (exp(x/alpha) - 1))``."""
    a = _number("celu", "alpha", alpha)
    if a == 0:
        raise InvalidArgumentError(describe("celu", "alpha", "a non-zero number", a))
    x = _float(x)
    neg = ops.multiply(ops.expm1(ops.divide(ops.minimum(x, 0.0), a)), a)
    return ops.where(ops.greater(x, 0.0), x, neg)


def hard_tanh(x: Any) -> Any:
    """``clip(x, -1, 1)``."""
    return ops.clip(_float(x), -1.0, 1.0)


def tanh_shrink(x: Any) -> Any:
    """``x - tanh(x)``."""
    x = _float(x)
    return ops.subtract(x, ops.tanh(x))


def squareplus(x: Any, b: float = 4.0) -> Any:
    """``(x + sqrt(x**2 + b)) / 2``, a smooth ReLU with an algebraic (cheap) form."""
    bb = _number("squareplus", "b", b)
    if bb < 0:
        raise InvalidArgumentError(describe("squareplus", "b", "a value >= 0", bb))
    x = _float(x)
    return ops.multiply(ops.add(x, ops.sqrt(ops.add(ops.square(x), bb))), 0.5)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: first half of ``axis`` times the sigmoid of the second half."""
    return ops.nn.glu(x, axis=axis)


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """``x`` where ``|x| > threshold``, else 0."""
    return ops.nn.hard_shrink(x, _number("hard_shrink", "threshold", threshold))


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """``x`` moved ``threshold`` towards 0, and 0 within ``[-threshold, threshold]``."""
    return ops.nn.soft_shrink(x, _number("soft_shrink", "threshold", threshold))


def sparse_plus(x: Any) -> Any:
    """0 below -1, ``(x + 1)^2 / 4`` on (-1, 1), ``x`` above: a smooth sparse ReLU."""
    return ops.nn.sparse_plus(x)


def sparse_sigmoid(x: Any) -> Any:
    """0 below -1, ``(x + 1) / 2`` on (-1, 1), 1 above: a piecewise-linear sigmoid."""
    return ops.nn.sparse_sigmoid(x)


def sparsemax(x: Any, axis: int = -1) -> Any:
    """Sparse probabilities: the Euclidean projection onto the simplex along ``axis``."""
    return ops.nn.sparsemax(x, axis=axis)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``."""
    return ops.nn.threshold(x, _number("threshold", "threshold", threshold),
                            _number("threshold", "default_value", default_value))


@hookimpl
def register_activations(register: Any) -> None:
    """Register every built-in activation under its Keras name (and Keras's aliases)."""
    register(relu)
    register(relu6)
    register(leaky_relu)
    register(elu)
    register(selu)
    register(gelu)
    register(silu, aliases=("swish",))
    register(softplus)
    register(softsign)
    register(sigmoid)
    register(hard_sigmoid)
    register(hard_silu, aliases=("hard_swish",))
    register(tanh)
    register(softmax)
    register(log_softmax)
    register(linear)
    register(exponential)
    register(mish)
    register(log_sigmoid)
    register(celu)
    register(hard_tanh)
    register(tanh_shrink)
    register(squareplus)
    register(glu)
    register(hard_shrink)
    register(soft_shrink)
    register(sparse_plus)
    register(sparse_sigmoid)
    register(sparsemax)
    register(threshold)
