"""LearningRateScheduler, CSVLogger, TerminateOnNaN and LambdaCallback (Keras 3 API)."""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
from collections.abc import Callable
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

from .base import Callback, _print, to_float

__all__ = ["LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback"]


def _accepts_two_args(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes ``(epoch, lr)`` or only ``(epoch)`` (Keras 1 style); decided
    from the signature, so a ``TypeError`` raised *inside* the schedule is not mistaken
    for the one-argument form."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    positional = 0
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            return True
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, lr)``
    (``epoch`` from 0, ``lr`` the current rate; a one-argument ``schedule(epoch)`` is
    accepted too). The rate used is written to ``logs["learning_rate"]`` at epoch end."""

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0) -> None:
        super().__init__()
        if not callable(schedule):
            raise InvalidArgumentError(describe("LearningRateScheduler", "schedule",
                                                "a function (epoch, lr) -> lr", schedule))
        self.schedule = schedule
        self.verbose = verbose
        self._two_args = _accepts_two_args(schedule)

    def _optimizer(self) -> Any:
        opt = getattr(self.model, "optimizer", None)
        if opt is None or not hasattr(opt, "learning_rate"):
            raise InvalidArgumentError(describe(
                "LearningRateScheduler", "model.optimizer",
                "an optimizer with a learning_rate (compile the model first)", opt))
        return opt

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        opt = self._optimizer()
        if self._two_args:
            current = to_float(opt.learning_rate)
            new = self.schedule(epoch, current)
        else:
            new = self.schedule(epoch)
        f = None if isinstance(new, bool) or not isinstance(new, numbers.Real) \
            else float(new)
        if f is None or math.isnan(f) or f < 0:
            raise InvalidArgumentError(describe(
                "LearningRateScheduler", "schedule", "to return a number >= 0",
                f"{new!r} at epoch {epoch}"))
        opt.learning_rate = f
        if self.verbose > 0:
            _print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {f}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = to_float(self._optimizer().learning_rate)


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` then the log keys in sorted order.

    The columns are fixed at the first epoch from ``params["metrics"]`` plus the keys of
    the first logs, so ``val_*`` columns exist even when validation does not run every
    epoch (missing values are written as ``NA``). With ``append=True`` rows are added to
    an existing file under its existing header. Every row is flushed at once."""

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise InvalidArgumentError(describe("CSVLogger", "filename", "a path",
                                                filename)) from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise InvalidArgumentError(describe("CSVLogger", "separator",
                                                "a one-character string", separator))
        self.sep = separator
        self.append = bool(append)
        self.keys: list[str] | None = None
        self._file: Any = None
        self._writer: Any = None
        self._write_header = True

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.keys = None
        self._writer = None
        self._write_header = True
        mode = "w"
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            if header:
                self._write_header = False
                self.keys = [k for k in header if k != "epoch"]
            mode = "a"
        self._file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._file is None:  # used without on_train_begin
            self.on_train_begin()
        if self.keys is None:
            keys = set(logs) | set((self.params or {}).get("metrics") or ())
            if not any(k.startswith("val_") for k in keys):
                keys |= {"val_" + k for k in (self.params or {}).get("metrics") or ()}
            self.keys = sorted(keys)
        if self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.sep)
            if self._write_header:
                self._writer.writerow(["epoch", *self.keys])
        row = [epoch]
        for k in self.keys:
            v = logs.get(k, "NA")
            f = to_float(v)
            row.append(v if f is None else f)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite, printing the epoch
    and batch (user-needs D10). It sets ``model.stop_training``; the trainer checks it
    after every batch, so no further batch runs. With ``raise_error=True`` it raises a
    ``RuntimeError`` at once instead, so no other callback's ``on_train_end`` runs (a
    backup is kept as it was)."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = bool(raise_error)
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = to_float((logs or {}).get("loss"))
        if loss is not None and not math.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at epoch {self._epoch + 1}, "
                                   f"batch {batch}: loss {loss}. Terminating training "
                                   "immediately.")
            _print(f"Epoch {self._epoch + 1}, batch {batch}: invalid loss {loss}, "
                   "terminating training")
            self.model.stop_training = True


_LAMBDA_HOOKS = ("on_epoch_begin", "on_epoch_end", "on_train_begin", "on_train_end",
                 "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end",
                 "on_test_batch_begin", "on_test_batch_end", "on_predict_begin",
                 "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs:
    ...)``. Epoch and batch hooks take ``(index, logs)``, the others ``(logs)``. Keras 2's
    ``on_batch_begin`` / ``on_batch_end`` mean the train-batch hooks."""

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None,
                 on_train_batch_end: Callable | None = None, **kwargs: Any) -> None:
        super().__init__()
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end)
        for old, new in (("on_batch_begin", "on_train_batch_begin"),
                         ("on_batch_end", "on_train_batch_end")):
            if old in kwargs:
                given[new] = kwargs.pop(old)
        for name in list(kwargs):
            if name in _LAMBDA_HOOKS:
                given[name] = kwargs.pop(name)
        if kwargs:
            raise InvalidArgumentError(describe("LambdaCallback", "kwargs",
                                                f"hook names among {list(_LAMBDA_HOOKS)}",
                                                sorted(kwargs)))
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise InvalidArgumentError(describe("LambdaCallback", name, "a function", fn))
            setattr(self, name, _bind(name, fn))

    def _implements(self, *names: str) -> bool:
        # the hooks are instance attributes, not overrides in the class
        return any(n in self.__dict__ for n in names) or super()._implements(*names)


def _bind(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """Adapt a user function to the hook's call (``logs`` passed positionally)."""
    if "batch" in name or name.startswith("on_epoch"):
        return lambda index, logs=None: fn(index, logs)
    return lambda logs=None: fn(logs)
