"""``Callback``, ``CallbackList`` and the monitor-key helpers the built-in callbacks share.

The trainer talks to callbacks through a :class:`CallbackList` and promises them a small
model interface: ``model.stop_training`` (a bool), ``model.get_weights()`` /
``model.set_weights(list)``, ``model.save(path)`` / ``model.save_weights(path)`` and
``model.optimizer.learning_rate`` (a settable float). ``params`` holds ``epochs``,
``steps``, ``verbose`` and ``metrics`` (the log keys the trainer will produce, e.g.
``["loss", "accuracy", "val_loss", "val_accuracy"]``).

Why the monitor helpers exist (user-needs D7–D10): callbacks that watch a metric used to
warn *every epoch* about a misspelt key (``val_acc`` after Keras renamed it
``val_accuracy``) and silently did nothing. Here a monitored key is checked once, at
``on_train_begin``, against ``params["metrics"]``; an unknown key raises
:class:`~tensorweave.errors.InvalidArgumentError` listing the keys that exist, and the
Keras 2 spellings ``acc`` / ``val_acc`` / ``lr`` resolve to ``accuracy`` /
``val_accuracy`` / ``learning_rate``.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

__all__ = ["Callback", "CallbackList", "resolve_key", "infer_mode", "to_float",
           "pythonify_logs", "MonitorMixin"]

# Keras 2 log-key spellings and their Keras 3 names (both directions: a model may log
# either, depending on how the metric was named in compile)
_ALIASES = {"acc": "accuracy", "accuracy": "acc", "lr": "learning_rate",
            "learning_rate": "lr"}


def key_aliases(key: str) -> list[str]:
    """Other spellings of a log key: ``val_acc`` -> ``["val_accuracy"]``."""
    prefix = "val_" if key.startswith("val_") else ""
    base = key[len(prefix):]
    alt = _ALIASES.get(base)
    return [prefix + alt] if alt is not None else []


def resolve_key(key: str, available: Iterable[str]) -> str | None:
    """The key of ``available`` that ``key`` names (itself or an alias), else ``None``."""
    keys = available if isinstance(available, (set, frozenset, dict)) else list(available)
    if key in keys:
        return key
    for alt in key_aliases(key):
        if alt in keys:
            return alt
    return None


_MAX_PATTERN = re.compile(
    r"(^|_)(acc|accuracy|auc|prc|precision|recall|sensitivity|specificity|f1|fbeta|iou|"
    r"io_u|r2|top_\d+|true_positives|true_negatives)(_|$|\d)")


def infer_mode(monitor: str) -> str:
    """``"max"`` for accuracy-, AUC-, precision-, recall-, F-score- and IoU-like names,
    ``"min"`` otherwise (losses and errors)."""
    name = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if _MAX_PATTERN.search(name.lower()) else "min"


def to_float(value: Any) -> float | None:
    """A log value as a Python float (``None`` when it is not a scalar number)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    shape = getattr(value, "shape", None)
    if shape is not None and tuple(shape) != ():
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def pythonify_logs(logs: dict | None) -> dict:
    """Turn 0-d tensors / NumPy scalars in ``logs`` into Python floats, *in place* (the
    same dict is shared by all callbacks, so one callback's additions such as
    ``learning_rate`` reach the ones after it, e.g. History)."""
    if logs is None:
        return {}
    for k, v in logs.items():
        if isinstance(v, (int, float, str)) or v is None:
            continue
        f = to_float(v)
        if f is not None:
            logs[k] = f
    return logs


def _print(msg: str) -> None:
    """Write a line to the *current* ``sys.stdout`` (so tests and notebooks capture it)."""
    out = sys.stdout
    out.write(msg + "\n")
    out.flush()


class Callback:
    """Base class of training callbacks (Keras 3 API).

    Override any ``on_*`` hook; ``logs`` is a dict of Python floats. ``self.model`` is
    the model being trained and ``self.params`` the trainer's parameters. The Keras 2
    hooks ``on_batch_begin`` / ``on_batch_end`` are called by the default
    ``on_train_batch_begin`` / ``on_train_batch_end``, so old callbacks keep working.
    """

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}
        self._model: Any = None

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    # Keras 2 batch hooks
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Keras 2 name of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Keras 2 name of :meth:`on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Start of an epoch (``epoch`` counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """End of an epoch; ``logs`` holds the epoch's metrics and ``val_*`` ones."""

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Start of a batch in ``evaluate`` (and in validation during ``fit``)."""

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """End of a batch in ``evaluate`` (and in validation during ``fit``)."""

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Start of a batch in ``predict``."""

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """End of a batch in ``predict``."""

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Start of ``fit``: validate arguments against ``self.params`` here."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """End of ``fit``, however it ended (epoch limit, ``stop_training``)."""

    def on_test_begin(self, logs: dict | None = None) -> None:
        """Start of ``evaluate`` / of a validation pass."""

    def on_test_end(self, logs: dict | None = None) -> None:
        """End of ``evaluate`` / of a validation pass."""

    def on_predict_begin(self, logs: dict | None = None) -> None:
        """Start of ``predict``."""

    def on_predict_end(self, logs: dict | None = None) -> None:
        """End of ``predict``."""

    def _implements(self, *names: str) -> bool:
        """Whether this class overrides any of the hooks ``names`` (the trainer can skip
        per-batch calls nobody listens to)."""
        cls = type(self)
        return any(getattr(cls, n) is not getattr(Callback, n) for n in names)

    def _implements_train_batch_hooks(self) -> bool:
        return self._implements("on_batch_begin", "on_batch_end", "on_train_batch_begin",
                                "on_train_batch_end")

    def _implements_test_batch_hooks(self) -> bool:
        return self._implements("on_test_batch_begin", "on_test_batch_end")

    def _implements_predict_batch_hooks(self) -> bool:
        return self._implements("on_predict_batch_begin", "on_predict_batch_end")


_BATCH_GROUPS = {
    "on_train_batch_begin": "_implements_train_batch_hooks",
    "on_train_batch_end": "_implements_train_batch_hooks",
    "on_test_batch_begin": "_implements_test_batch_hooks",
    "on_test_batch_end": "_implements_test_batch_hooks",
    "on_predict_batch_begin": "_implements_predict_batch_hooks",
    "on_predict_batch_end": "_implements_predict_batch_hooks",
}


class CallbackList(Callback):
    """Calls every callback's hook in order with one shared ``logs`` dict.

    With ``add_history`` / ``add_progbar`` a :class:`History` / :class:`ProgbarLogger` is
    appended when the user gave none, *after* the user's callbacks (so they see keys such
    as ``learning_rate`` that ReduceLROnPlateau adds). Per-batch hooks skip callbacks
    that do not override them, so an idle callback costs nothing per batch.
    """

    def __init__(self, callbacks: Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        super().__init__()
        self.callbacks: list[Callback] = []
        for cb in _flatten(callbacks):
            self._check(cb)
            self.callbacks.append(cb)
        self._batch_cache: dict[str, list[Callback]] = {}
        self._history: Any = None
        self._progbar: Any = None
        self._add_default_callbacks(add_history, add_progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    @staticmethod
    def _check(cb: Any) -> None:
        if not isinstance(cb, Callback):
            raise InvalidArgumentError(describe(
                "CallbackList", "callbacks", "instances of tw.callbacks.Callback (did you pass "
                "the class instead of an instance?)", f"{type(cb).__name__} {cb!r}"))

    def _add_default_callbacks(self, add_history: bool, add_progbar: bool) -> None:
        from .history import History
        from .progbar import ProgbarLogger

        for cb in self.callbacks:
            if isinstance(cb, History):
                self._history = cb
            elif isinstance(cb, ProgbarLogger):
                self._progbar = cb
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    @property
    def history(self) -> Any:
        """The :class:`History` in the list (the one ``fit`` returns), or ``None``."""
        return self._history

    def append(self, callback: Callback) -> None:
        self._check(callback)
        self.callbacks.append(callback)
        self._batch_cache.clear()

    def __iter__(self) -> Any:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        if self._history is not None and model is not None:
            try:
                model.history = self._history
            except AttributeError:  # a model that forbids new attributes
                pass
        for cb in self.callbacks:
            cb.set_model(model)

    def _listeners(self, hook: str) -> list[Callback]:
        found = self._batch_cache.get(hook)
        if found is None:
            check = _BATCH_GROUPS[hook]
            found = [cb for cb in self.callbacks if getattr(cb, check)()]
            self._batch_cache[hook] = found
        return found

    def _call_batch(self, hook: str, batch: int, logs: dict | None) -> None:
        listeners = self._listeners(hook)
        if not listeners:
            return
        logs = pythonify_logs(logs)
        for cb in listeners:
            getattr(cb, hook)(batch, logs)

    def _call(self, hook: str, *args: Any, logs: dict | None = None) -> None:
        logs = pythonify_logs(logs)
        for cb in self.callbacks:
            getattr(cb, hook)(*args, logs)

    # Keras 2 aliases
    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_end", batch, logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call_batch("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", logs=logs)

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        self._call("on_test_end", logs=logs)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._call("on_predict_end", logs=logs)

    def _implements_train_batch_hooks(self) -> bool:
        return bool(self._listeners("on_train_batch_end")) or bool(
            self._listeners("on_train_batch_begin"))

    def _implements_test_batch_hooks(self) -> bool:
        return bool(self._listeners("on_test_batch_end")) or bool(
            self._listeners("on_test_batch_begin"))

    def _implements_predict_batch_hooks(self) -> bool:
        return bool(self._listeners("on_predict_batch_end")) or bool(
            self._listeners("on_predict_batch_begin"))


def _flatten(callbacks: Any) -> list[Any]:
    if callbacks is None:
        return []
    if isinstance(callbacks, CallbackList):
        return list(callbacks.callbacks)
    if isinstance(callbacks, Callback):
        return [callbacks]
    out: list[Any] = []
    for cb in callbacks:
        out.extend(_flatten(cb) if isinstance(cb, (list, tuple, CallbackList)) else [cb])
    return out


class MonitorMixin:
    """Shared ``monitor`` / ``mode`` handling for EarlyStopping, ModelCheckpoint and
    ReduceLROnPlateau: key validation at train begin (once), alias resolution, direction."""

    monitor: str
    mode: str
    params: dict[str, Any]
    _owner: str = "callback"

    def _init_monitor(self, monitor: str, mode: str) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise InvalidArgumentError(describe(self._owner, "monitor", "a log key such as "
                                                "'val_loss'", monitor))
        if mode not in ("auto", "min", "max"):
            raise InvalidArgumentError(describe(self._owner, "mode",
                                                "one of 'auto', 'min', 'max'", mode))
        self.monitor = monitor
        self.mode = mode
        self._direction = infer_mode(monitor) if mode == "auto" else mode
        self._monitor_checked = False
        self._missing_warned = False

    def _validate_monitor(self) -> None:
        """At ``on_train_begin``: the monitored key must be one the trainer produces."""
        keys = (self.params or {}).get("metrics")
        if keys is None:
            self._monitor_checked = False  # nothing to check against; check on first logs
            return
        keys = list(keys)
        if resolve_key(self.monitor, keys) is None:
            hint = ""
            if self.monitor.startswith("val_") and not any(k.startswith("val_") for k in keys):
                hint = " (no validation data was given: pass validation_data or " \
                       "validation_split to fit, or monitor a training key)"
            raise InvalidArgumentError(describe(
                self._owner, "monitor", f"one of the logged keys {keys}",
                f"{self.monitor!r}{hint}"))
        self._monitor_checked = True

    def _monitor_value(self, logs: Mapping[str, Any] | None) -> float | None:
        logs = logs or {}
        key = resolve_key(self.monitor, logs)
        if key is None:
            if not self._monitor_checked and not self._missing_warned:
                import warnings

                self._missing_warned = True
                warnings.warn(f"{self._owner}: monitored key {self.monitor!r} is not in the "
                              f"logs (available: {sorted(logs)}); it is skipped until it "
                              "appears", stacklevel=3)
            return None
        return to_float(logs[key])

    def _better(self, current: float, reference: float | None, min_delta: float) -> bool:
        """Whether ``current`` improves on ``reference`` by more than ``min_delta``
        (NaN never improves)."""
        if math.isnan(current):
            return False
        if reference is None:
            return True
        if self._direction == "min":
            return current < reference - min_delta
        return current > reference + min_delta
