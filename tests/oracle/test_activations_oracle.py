"""Every ``keras.activations`` function against ``tw.activations`` on shared inputs.

The list of functions comes from Keras itself (``dir(keras.activations)``), so a new Keras
activation fails here until tensorweave has it; each is called with its defaults and with
non-default arguments where it has any, on the numpy and python backends.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorweave as tw

NOT_FUNCTIONS = {"get", "serialize", "deserialize"}

#: Non-default arguments tried besides the defaults (Keras's names).
EXTRA: dict[str, list[dict]] = {
    "relu": [{"negative_slope": 0.1}, {"max_value": 1.5}, {"threshold": 0.5},
             {"negative_slope": 0.2, "max_value": 2.0, "threshold": -0.5}],
    "leaky_relu": [{"negative_slope": 0.05}], "elu": [{"alpha": 0.5}],
    "gelu": [{"approximate": True}], "celu": [{"alpha": 2.0}], "glu": [{"axis": 0}],
    "hard_shrink": [{"threshold": 1.2}], "soft_shrink": [{"threshold": 0.1}],
    "squareplus": [{"b": 1.0}], "softmax": [{"axis": 0}], "log_softmax": [{"axis": 1}],
}
#: Keras 3.15's sparsemax is not a projection onto the simplex (its rows do not sum to 1);
#: tests/oracle/test_ops_nn_oracle.py checks ours against the published formula instead.
NOT_KERAS = {"sparsemax"}
REQUIRED: dict[str, dict] = {"threshold": {"threshold": 0.3, "default_value": -1.0}}


def _activation_names(keras: Any) -> list[str]:
    return sorted(n for n in dir(keras.activations)
                  if not n.startswith("_") and n not in NOT_FUNCTIONS
                  and inspect.isfunction(getattr(keras.activations, n)))


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_every_keras_activation_matches(keras: Any, close: Callable, backend: str) -> None:
    x = np.random.default_rng(0).normal(scale=2.0, size=(4, 6)).astype("float32")
    x[0, :4] = [-1.0, 1.0, 0.0, 0.5]  # the kinks of the piecewise activations
    names = _activation_names(keras)
    assert len(names) >= 32, names
    failures = []
    with tw.backend_scope(backend):
        for name in (n for n in names if n not in NOT_KERAS):
            for kw in [{}] + EXTRA.get(name, []):
                kw = {**REQUIRED.get(name, {}), **kw}
                theirs = np.asarray(getattr(keras.activations, name)(x, **kw))
                try:
                    ours = getattr(tw.activations, name)(x, **kw)
                    close(ours, theirs, rtol=1e-5, atol=1e-6, what=f"{name}{kw} [{backend}]")
                except Exception as exc:  # noqa: BLE001  (collect all, then fail)
                    failures.append(f"{name}{kw}: {type(exc).__name__}: {str(exc)[:200]}")
    assert not failures, "\n".join(failures)


def test_activations_resolve_by_keras_names(keras: Any) -> None:
    """``get``/``serialize``/``deserialize`` round-trip every Keras activation name."""
    for name in _activation_names(keras):
        fn = tw.activations.get(name)
        assert callable(fn), name
        assert tw.activations.deserialize(tw.activations.serialize(fn)) is fn, name
        assert keras.activations.serialize(keras.activations.get(name)) in (
            name, tw.activations.serialize(fn)), name
    mine = lambda x: x  # noqa: E731
    assert tw.activations.deserialize("mine", custom_objects={"mine": mine}) is mine


def test_new_activation_gradients_match_jax(keras: Any, close: Callable) -> None:
    import jax

    x = np.random.default_rng(3).normal(size=(4, 6)).astype("float32")
    w = np.arange(24, dtype="float32").reshape(4, 6)[:, :3] / 10
    for name in ["glu", "sparse_plus", "soft_shrink", "hard_shrink", "sparse_sigmoid",
                 "celu", "squareplus", "tanh_shrink", "threshold"]:
        kw = REQUIRED.get(name, {})
        ww = w if name == "glu" else np.arange(24, dtype="float32").reshape(4, 6) / 10
        kf, tf = getattr(keras.activations, name), getattr(tw.activations, name)
        theirs = jax.jit(jax.grad(
            lambda a, f=kf, kw=kw, ww=ww: keras.ops.sum(f(a, **kw) * ww)))(x)
        ours = tw.grad(lambda a, f=tf, kw=kw, ww=ww: tw.ops.sum(f(a, **kw) * ww))(x)
        close(ours, np.asarray(theirs), rtol=1e-5, atol=1e-6, what=f"grad {name}")
