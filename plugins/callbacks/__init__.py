"""Built-in plugin: the training callbacks (``tw.callbacks.*``), Keras 3 API.

Registered through the same ``register_callbacks`` hook a third-party plugin uses.
"""

from __future__ import annotations

from typing import Any

from tensorweave.plugin import hookimpl

from .base import Callback, CallbackList
from .extra import BackupAndRestore, RemoteMonitor, SwapEMAWeights
from .history import History, HistoryDict, HistoryKeyError
from .misc import CSVLogger, LambdaCallback, LearningRateScheduler, TerminateOnNaN
from .monitoring import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from .progbar import ProgbarLogger
from .tensorboard import TensorBoard

__all__ = ["Callback", "CallbackList", "History", "HistoryDict", "HistoryKeyError",
           "ProgbarLogger", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
           "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback",
           "TensorBoard", "BackupAndRestore", "SwapEMAWeights", "RemoteMonitor"]

_CALLBACKS = (Callback, CallbackList, History, ProgbarLogger, EarlyStopping, ModelCheckpoint,
              ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN,
              LambdaCallback, TensorBoard, BackupAndRestore, SwapEMAWeights, RemoteMonitor)


@hookimpl
def register_callbacks(register: Any) -> None:
    for cls in _CALLBACKS:
        register(cls)
