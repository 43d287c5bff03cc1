"""``fit`` and the optimizer's trainer hooks against real Keras 3.

Three things Keras's ``fit`` does with the optimizer and callbacks that tensorweave's
must do the same way:

* the loss is multiplied by ``optimizer.scale_loss`` before differentiation
  (``loss_scale_factor``, ``LossScaleOptimizer``'s dynamic scale), since ``apply``
  divides the gradients by that scale again: without it SGD's updates shrink by the scale;
* ``optimizer.finalize_variable_values`` writes the EMA weights (``use_ema``) into the
  model after the last epoch;
* ``BackupAndRestore`` resumes an interrupted run at the epoch it reached
  (``model._initial_epoch``).

Each case trains the same small model from the same initial weights in both libraries,
with ``shuffle=False``, and compares the weights (and the History epochs).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

import tensorweave as tw

EPOCHS_RESUME = 5


def _data(n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = rng.normal(size=(n, 2)).astype("float32")
    return x, y


def _tw_model() -> Any:
    return tw.Sequential([tw.Input((4,)), tw.layers.Dense(3, activation="tanh"),
                          tw.layers.Dense(2)])


def _keras_model(keras: Any, weights: list) -> Any:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"),
                              keras.layers.Dense(2)])
    model.set_weights(weights)
    return model


def _initial_weights() -> list:
    """Fixed initial weights (the same for every run of a test)."""
    rng = np.random.default_rng(1)
    return [rng.normal(scale=0.5, size=w.shape).astype("float32")
            for w in _tw_model().get_weights()]


def _fit_both(keras: Any, tw_opt: Any, k_opt: Any, epochs: int = 1) -> tuple[list, list, list]:
    """Train tensorweave and Keras from the same weights; returns (initial, ours, theirs)."""
    x, y = _data()
    model = _tw_model()
    initial = _initial_weights()
    model.set_weights(initial)
    model.compile(optimizer=tw_opt, loss="mse")
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    kmodel = _keras_model(keras, initial)
    kmodel.compile(optimizer=k_opt, loss="mse")
    kmodel.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return initial, model.get_weights(), [np.asarray(w) for w in kmodel.get_weights()]


def _assert_weights(close: Any, ours: list, theirs: list, what: str) -> None:
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        close(a, b, rtol=1e-5, atol=1e-6, what=f"{what}: weight {i}")


def test_loss_scaling_in_fit_matches_keras_and_plain_sgd(keras: Any, close: Any) -> None:
    """SGD(loss_scale_factor=128) and LossScaleOptimizer(SGD) update as plain SGD does
    (the scaled loss's gradients divided by the same scale), in both libraries."""
    _, plain, k_plain = _fit_both(keras, tw.optimizers.SGD(0.1), keras.optimizers.SGD(0.1))
    _assert_weights(close, plain, k_plain, "plain SGD")
    cases = [
        ("SGD(loss_scale_factor=128)",
         tw.optimizers.SGD(0.1, loss_scale_factor=128.0),
         keras.optimizers.SGD(0.1, loss_scale_factor=128.0)),
        ("LossScaleOptimizer(SGD)",
         tw.optimizers.LossScaleOptimizer(tw.optimizers.SGD(0.1)),
         keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))),
    ]
    for what, ours_opt, their_opt in cases:
        _, ours, theirs = _fit_both(keras, ours_opt, their_opt)
        _assert_weights(close, ours, theirs, what)
        _assert_weights(close, ours, plain, f"{what} vs plain SGD")


def test_overridden_train_step_with_compute_loss_and_updates_scales_like_keras(
        keras: Any, close: Any) -> None:
    """A custom ``train_step`` written with the stateless helper (Keras's JAX guide form):
    ``compute_loss_and_updates(..., training=True)`` returns the scaled loss to
    differentiate and the unscaled one for the logs, as Keras's does."""
    import jax

    class KerasCustom(keras.Sequential):
        def train_step(self, state: Any, data: Any) -> Any:
            tv, ntv, ov, mv = state
            x, y = data[0], data[1]
            grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
            (_, (unscaled, _, ntv, mv)), grads = grad_fn(
                tv, ntv, mv, x, y, None, training=True, optimizer_variables=ov)
            tv, ov = self.optimizer.stateless_apply(ov, grads, tv)
            return {"batch_loss": unscaled}, (tv, ntv, ov, mv)

    class TwCustom(tw.Sequential):
        def train_step(self, data: Any) -> Any:
            x, y, sw = tw.utils.unpack_x_y_sample_weight(data)
            values = ([v.value for v in self.trainable_variables],
                      [v.value for v in self.non_trainable_variables],
                      [v.value for v in self.metrics_variables])
            opt_values = [v.value for v in self.optimizer.variables]
            (_, (unscaled, _, _, _)), grads = tw.value_and_grad(
                self.compute_loss_and_updates, has_aux=True)(
                    *values, x, y, sw, True, opt_values)
            self.optimizer.apply(grads, self.trainable_variables)
            return {"batch_loss": unscaled}

    x, y = _data()
    model = TwCustom([tw.Input((4,)), tw.layers.Dense(3, activation="tanh"),
                      tw.layers.Dense(2)])
    initial = _initial_weights()
    model.set_weights(initial)
    model.compile(optimizer=tw.optimizers.SGD(0.1, loss_scale_factor=128.0), loss="mse")
    hist = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)

    kmodel = KerasCustom([keras.Input((4,)), keras.layers.Dense(3, activation="tanh"),
                          keras.layers.Dense(2)])
    kmodel.set_weights(initial)
    kmodel.compile(optimizer=keras.optimizers.SGD(0.1, loss_scale_factor=128.0), loss="mse")
    khist = kmodel.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    _assert_weights(close, model.get_weights(), [np.asarray(w) for w in kmodel.get_weights()],
                    "custom train_step with loss_scale_factor")
    # the logged loss is the unscaled one (the last batch's, in both libraries)
    close(np.float32(hist.history["batch_loss"][-1]),
          np.float32(khist.history["batch_loss"][-1]), rtol=1e-5,
          what="custom train_step logged loss")


def test_use_ema_weights_are_written_at_the_end_of_fit_as_keras(
        keras: Any, close: Any) -> None:
    initial, ours, theirs = _fit_both(
        keras, tw.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9),
        keras.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9), epochs=2)
    _assert_weights(close, ours, theirs, "SGD(use_ema=True)")
    # and they are the averages, not the last SGD iterate
    _, plain, _ = _fit_both(keras, tw.optimizers.SGD(0.1), keras.optimizers.SGD(0.1), epochs=2)
    assert not all(np.allclose(a, b) for a, b in zip(ours, plain))


def _interrupter(lib: Any) -> Any:
    class Interrupt(lib.callbacks.Callback):
        """Raise in the middle of epoch 2 (after its second batch)."""

        def __init__(self) -> None:
            super().__init__()
            self.epoch = -1

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if self.epoch == 2 and batch == 1:
                raise RuntimeError("interrupted")

    return Interrupt()


def _resumed_run(lib: Any, model: Any, opt: Any, backup_dir: str) -> tuple[list, Any]:
    """Fit 5 epochs, interrupted in epoch 2, then restarted with the same callback."""
    x, y = _data()
    model.compile(optimizer=opt, loss="mse")
    cb = lib.callbacks.BackupAndRestore(backup_dir)
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, batch_size=8, epochs=EPOCHS_RESUME, shuffle=False, verbose=0,
                  callbacks=[cb, _interrupter(lib)])
    assert os.path.exists(backup_dir)
    hist = model.fit(x, y, batch_size=8, epochs=EPOCHS_RESUME, shuffle=False, verbose=0,
                     callbacks=[cb])
    return [np.asarray(w) for w in model.get_weights()], hist


def test_backup_and_restore_resumes_at_the_restored_epoch_as_keras(
        keras: Any, close: Any, tmp_path: Any) -> None:
    x, y = _data()
    model = _tw_model()
    initial = _initial_weights()
    model.set_weights(initial)
    ours, hist = _resumed_run(tw, model, tw.optimizers.SGD(0.1), str(tmp_path / "tw"))
    assert hist.epoch == [2, 3, 4]
    assert len(hist.history["loss"]) == 3

    straight = _tw_model()
    straight.set_weights(initial)
    straight.compile(optimizer=tw.optimizers.SGD(0.1), loss="mse")
    straight.fit(x, y, batch_size=8, epochs=EPOCHS_RESUME, shuffle=False, verbose=0)
    _assert_weights(close, ours, straight.get_weights(), "resumed vs uninterrupted run")

    kmodel = _keras_model(keras, initial)
    theirs, khist = _resumed_run(keras, kmodel, keras.optimizers.SGD(0.1),
                                 str(tmp_path / "keras"))
    assert hist.epoch == khist.epoch
    _assert_weights(close, ours, theirs, "resumed run vs Keras")
    for a, b in zip(hist.history["loss"], khist.history["loss"]):
        close(np.float32(a), np.float32(b), rtol=1e-5, what="resumed run's epoch losses")
