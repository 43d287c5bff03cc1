"""``History``: the per-epoch logs that ``fit`` returns.

``history.history`` is a :class:`HistoryDict`: a plain ``dict`` of lists (it prints,
pickles and JSON-dumps as one) whose lookups also accept the Keras 2 spellings that
2017-era tutorials and plotting scripts use, ``hist.history['acc']`` /
``['val_acc']`` / ``['lr']``, resolving them to ``accuracy`` / ``val_accuracy`` /
``learning_rate`` (user-needs D2, D21). Iteration and ``keys()`` show only the real
keys, so loops over the history do not see duplicates.
"""

from __future__ import annotations

from typing import Any

from tensorweave.errors import TensorweaveError

from .base import Callback, key_aliases, to_float

__all__ = ["History", "HistoryDict", "HistoryKeyError"]


class HistoryKeyError(TensorweaveError, KeyError):
    """A key that is not in the history; the message lists the keys that are."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class HistoryDict(dict):
    """``dict`` of metric lists that also answers Keras 2 key spellings."""

    def _resolve(self, key: Any) -> Any:
        if dict.__contains__(self, key) or not isinstance(key, str):
            return key
        for alt in key_aliases(key):
            if dict.__contains__(self, alt):
                return alt
        return key

    def __getitem__(self, key: Any) -> Any:
        real = self._resolve(key)
        try:
            return dict.__getitem__(self, real)
        except KeyError:
            raise HistoryKeyError(
                f"History has no key {key!r}; available keys: {sorted(self)}") from None

    def get(self, key: Any, default: Any = None) -> Any:
        return dict.get(self, self._resolve(key), default)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, self._resolve(key))

    def __reduce__(self) -> Any:  # pickles as itself, without instance state
        return (HistoryDict, (dict(self),))


class History(Callback):
    """Records the ``logs`` of every epoch: ``history.history[key]`` is the list of values
    and ``history.epoch`` the epoch indices (from ``initial_epoch``). ``fit`` returns it
    and sets ``model.history`` to it."""

    def __init__(self) -> None:
        super().__init__()
        self.history: HistoryDict = HistoryDict()
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        self.epoch.append(epoch)
        for k, v in logs.items():
            f = to_float(v)
            self.history.setdefault(k, []).append(v if f is None else f)
        if self.model is not None:
            try:
                self.model.history = self
            except AttributeError:
                pass
