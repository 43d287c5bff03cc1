"""Callbacks that watch a metric: EarlyStopping, ModelCheckpoint, ReduceLROnPlateau.

Each validates ``monitor`` once, at ``on_train_begin``, against the keys the trainer
announced in ``params["metrics"]`` (an unknown key is an
:class:`~tensorweave.errors.InvalidArgumentError` listing the available ones; ``acc`` /
``val_acc`` resolve to the accuracy keys), and ``mode="auto"`` picks "max" for
accuracy-like names and "min" otherwise. A NaN metric is never an improvement.
"""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

from .base import Callback, MonitorMixin, _print, key_aliases, to_float

__all__ = ["EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"]


def _int_arg(owner: str, arg: str, value: Any, lo: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise InvalidArgumentError(describe(owner, arg, f"an integer >= {lo}", value))
    return value


def _float_arg(owner: str, arg: str, value: Any) -> float:
    f = None if isinstance(value, bool) else to_float(value)
    if f is None or math.isnan(f):
        raise InvalidArgumentError(describe(owner, arg, "a number", value))
    return f


class EarlyStopping(MonitorMixin, Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: the log key to watch (``"val_loss"``).
        min_delta: an improvement must beat the best value by more than this.
        patience: epochs without improvement before stopping (0: stop at the first one).
        verbose: 1 prints when it stops and when it restores weights.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        baseline: training stops unless the monitored value beats ``baseline`` within
            ``patience`` epochs: the counter resets only when the value beats both the
            best so far and the baseline, and an epoch that beats the best but not the
            baseline counts as one without improvement (user-needs D7, keras#13860).
        restore_best_weights: at the end of training the model gets the weights of the
            best epoch, **however training ended**: stopped by this callback, by the epoch
            limit, or by another callback (``model.stop_training``), so the weights
            returned always match the best reported metric (user-needs D7).
        start_from_epoch: epochs before this one are not monitored (warm-up).
    """

    _owner = "EarlyStopping"

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self._init_monitor(monitor, mode)
        self.min_delta = abs(_float_arg("EarlyStopping", "min_delta", min_delta))
        self.patience = _int_arg("EarlyStopping", "patience", patience)
        self.verbose = verbose
        self.baseline = None if baseline is None else _float_arg("EarlyStopping", "baseline",
                                                                 baseline)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = _int_arg("EarlyStopping", "start_from_epoch",
                                         start_from_epoch)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_weights: list[Any] | None = None
        self.best_epoch = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._validate_monitor()
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self._monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # until something beats them, the weights of the first monitored epoch are best
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._better(current, self.best, self.min_delta):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline, self.min_delta):
                self.wait = 0
                return
            # better than before but still not better than the baseline: it counts as
            # an epoch without improvement (Keras 3 returns here and so never stops
            # while the value creeps towards the baseline)
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print("Restoring model weights from the end of the best epoch: "
                       f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict | None) -> float | None:
        """Keras's accessor: the monitored value in ``logs`` (aliases resolved)."""
        return self._monitor_value(logs)


class _Logs(dict):
    """Logs for ``str.format``: Keras 2 key spellings resolve (``{val_acc:.2f}``)."""

    def __missing__(self, key: str) -> Any:
        for alt in key_aliases(key):
            if alt in self:
                return self[alt]
        raise KeyError(key)


class ModelCheckpoint(MonitorMixin, Callback):
    """Save the model (``model.save``) or its weights (``model.save_weights``).

    Args:
        filepath: a path, optionally a template filled from the epoch (1-based), the
            batch and the logs: ``"ckpt-{epoch:02d}-{val_loss:.2f}.tw"``. The template is
            checked against ``params["metrics"]`` at the start of training, so a typo
            fails at once, not at the end of the first epoch.
        monitor: the log key compared when ``save_best_only``.
        save_best_only: save only when ``monitor`` improves on the best value so far
            (NaN never improves); with a fixed filepath the file always holds the best
            model.
        save_weights_only: call ``model.save_weights(path)`` instead of ``model.save``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or an integer: save every that many batches.
        initial_value_threshold: the value to beat before the first save (with
            ``save_best_only``).

    The model writes each file atomically (temporary file, then rename), so an
    interrupted run never leaves a half-written checkpoint.
    """

    _owner = "ModelCheckpoint"

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self._init_monitor(monitor, mode)
        try:
            self.filepath = os.fspath(filepath)
        except TypeError:
            raise InvalidArgumentError(describe("ModelCheckpoint", "filepath",
                                                "a path (str or os.PathLike)",
                                                filepath)) from None
        if not isinstance(self.filepath, str):
            self.filepath = os.fsdecode(self.filepath)
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        if save_freq != "epoch" and (isinstance(save_freq, bool)
                                     or not isinstance(save_freq, int) or save_freq < 1):
            raise InvalidArgumentError(describe("ModelCheckpoint", "save_freq",
                                                "'epoch' or a positive integer (batches)",
                                                save_freq))
        self.save_freq = save_freq
        self.initial_value_threshold = (
            None if initial_value_threshold is None else
            _float_arg("ModelCheckpoint", "initial_value_threshold", initial_value_threshold))
        self.best: float | None = self.initial_value_threshold
        self._current_epoch = 0
        self._batches_since_save = 0
        self._last_batch_seen = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.save_best_only:
            self._validate_monitor()
        self._check_template()
        self.best = self.initial_value_threshold
        self._batches_since_save = 0
        self._last_batch_seen = 0

    def _check_template(self) -> None:
        keys = (self.params or {}).get("metrics")
        if keys is None:
            return
        probe = _Logs({k: 0.0 for k in keys})
        try:
            self.filepath.format_map(_ProbeLogs(probe))
        except KeyError as e:
            raise InvalidArgumentError(describe(
                "ModelCheckpoint", "filepath",
                f"placeholders among epoch, batch and the logged keys {list(keys)}",
                f"{self.filepath!r} (unknown placeholder {{{e.args[0]}}})")) from None
        except (ValueError, IndexError) as e:
            raise InvalidArgumentError(describe(
                "ModelCheckpoint", "filepath", "a valid str.format template "
                "('{epoch:02d}', '{val_loss:.2f}' ...)", f"{self.filepath!r} ({e})")) from None

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _implements_train_batch_hooks(self) -> bool:
        return self.save_freq != "epoch"

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch began
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_since_save += added
        self._last_batch_seen = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            return True
        return False

    def _file_path(self, epoch: int, batch: int | None, logs: dict | None) -> str:
        values = _Logs(logs or {})
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in (logs or {}):
            values["batch"] = batch + 1
        try:
            return self.filepath.format_map(values)
        except KeyError as e:
            raise InvalidArgumentError(describe(
                "ModelCheckpoint", "filepath", f"placeholders among the logged keys "
                f"{sorted(values)}", f"{self.filepath!r} (unknown placeholder "
                f"{{{e.args[0]}}})")) from None

    def _save(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        path = self._file_path(epoch, batch, logs)
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        where = f"Epoch {epoch + 1}" + ("" if batch is None else f", batch {batch + 1}")
        if self.save_best_only:
            current = self._monitor_value(logs)
            if current is None:
                return
            if self._better(current, self.best, 0.0):
                if self.verbose > 0:
                    prev = (("inf" if self._direction == "min" else "-inf")
                            if self.best is None else f"{self.best:.5f}")
                    _print(f"{where}: {self.monitor} improved from {prev} to "
                           f"{current:.5f}, saving model to {path}")
                self.best = current
                self._write(path)
            elif self.verbose > 0:
                best = "nan" if self.best is None else f"{self.best:.5f}"
                _print(f"{where}: {self.monitor} did not improve from {best}")
            return
        if self.verbose > 0:
            _print(f"{where}: saving model to {path}")
        self._write(path)

    def _write(self, path: str) -> None:
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class _ProbeLogs(dict):
    """Template check: any epoch/batch/log key formats; others raise KeyError."""

    def __init__(self, logs: _Logs) -> None:
        super().__init__()
        self._logs = logs

    def __missing__(self, key: str) -> Any:
        if key in ("epoch", "batch"):
            return 1
        return self._logs[key]


class ReduceLROnPlateau(MonitorMixin, Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stops improving.

    Arithmetic, stated because it is easy to get wrong (user-needs D9):

    * an epoch *improves* when the value beats the best so far by more than
      ``min_delta``; it resets the wait counter;
    * every other epoch adds one to the wait counter; when it reaches ``patience`` the
      rate becomes ``max(lr * factor, min_lr)`` and the counter resets (so the rate is
      cut once per ``patience`` bad epochs, never every epoch);
    * after a cut, the next ``cooldown`` epochs are not counted at all (improvements
      still update the best value); counting resumes after them, so the earliest next
      cut is ``cooldown + max(patience, 1)`` epochs later. (Keras 3 decrements the
      cooldown before testing it, so there ``cooldown=1`` has no effect; here
      ``cooldown=N`` skips exactly N epochs, as PyTorch's scheduler does.)
    * nothing happens once the rate is at ``min_lr``.

    The rate used in each epoch is written to ``logs["learning_rate"]`` (before any cut),
    so ``History`` records it. ``epsilon=`` (Keras 2) is accepted for ``min_delta``.
    """

    _owner = "ReduceLROnPlateau"

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs: Any) -> None:
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise InvalidArgumentError(describe("ReduceLROnPlateau", "kwargs",
                                                "no other arguments", sorted(kwargs)))
        self._init_monitor(monitor, mode)
        factor = _float_arg("ReduceLROnPlateau", "factor", factor)
        if not 0.0 <= factor < 1.0:
            raise InvalidArgumentError(describe("ReduceLROnPlateau", "factor",
                                                "a number in [0, 1)", factor))
        self.factor = factor
        self.patience = _int_arg("ReduceLROnPlateau", "patience", patience)
        self.verbose = verbose
        self.min_delta = abs(_float_arg("ReduceLROnPlateau", "min_delta", min_delta))
        self.cooldown = _int_arg("ReduceLROnPlateau", "cooldown", cooldown)
        min_lr = _float_arg("ReduceLROnPlateau", "min_lr", min_lr)
        if min_lr < 0:
            raise InvalidArgumentError(describe("ReduceLROnPlateau", "min_lr",
                                                "a number >= 0", min_lr))
        self.min_lr = min_lr
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.cooldown_counter = 0
        self.best: float | None = None

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _lr(self) -> float:
        opt = getattr(self.model, "optimizer", None)
        if opt is None or not hasattr(opt, "learning_rate"):
            raise InvalidArgumentError(describe(
                "ReduceLROnPlateau", "model.optimizer",
                "an optimizer with a learning_rate (compile the model first)", opt))
        lr = to_float(opt.learning_rate)
        if lr is None:
            raise InvalidArgumentError(describe(
                "ReduceLROnPlateau", "model.optimizer.learning_rate",
                "a float (an optimizer built with a learning-rate schedule cannot be "
                "reduced)", type(opt.learning_rate).__name__))
        return lr

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._validate_monitor()
        self._reset()
        lr = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        if lr is not None and not isinstance(lr, numbers.Real):
            # a tensor from a learning-rate schedule: fail now, not after `patience` epochs
            raise InvalidArgumentError(describe(
                "ReduceLROnPlateau", "model.optimizer.learning_rate",
                "a settable float (create the optimizer with a float learning_rate, not a "
                "schedule)", f"a {type(lr).__name__}"))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is None:
            logs = {}
        old_lr = self._lr()
        logs["learning_rate"] = old_lr
        current = self._monitor_value(logs)
        if current is None:
            return
        improved = self._better(current, self.best, self.min_delta)
        if improved:
            self.best = current
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
            return
        if improved:
            self.wait = 0
            return
        self.wait += 1
        if self.wait < self.patience or old_lr <= self.min_lr:
            return
        new_lr = max(old_lr * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_lr
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                   f"{new_lr:.6g}.")
        self.cooldown_counter = self.cooldown
        self.wait = 0
