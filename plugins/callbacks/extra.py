"""Keras 3's ``BackupAndRestore``, ``SwapEMAWeights`` and ``RemoteMonitor`` callbacks."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
import warnings
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

from .base import Callback, to_float

__all__ = ["BackupAndRestore", "SwapEMAWeights", "RemoteMonitor"]


class BackupAndRestore(Callback):
    """Back up the model's weights (and the epoch reached) to ``backup_dir`` every epoch
    (or every ``save_freq`` batches), and restore them at the start of the next ``fit``,
    so an interrupted run resumes instead of starting over. The backup is deleted when
    training ends normally (unless ``delete_checkpoint=False``); with
    ``double_checkpoint=True`` the previous backup is kept too and used when the latest
    one cannot be read.

    The epoch to resume from is left in ``model._initial_epoch`` (Keras's attribute),
    which the trainer reads in place of ``initial_epoch``.
    """

    def __init__(self, backup_dir: str, save_freq: Any = "epoch",
                 double_checkpoint: bool = False, delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise InvalidArgumentError(describe("BackupAndRestore", "backup_dir",
                                                "a directory path", repr(backup_dir)))
        if save_freq != "epoch" and (isinstance(save_freq, bool)
                                     or not isinstance(save_freq, int) or save_freq < 1):
            raise InvalidArgumentError(describe("BackupAndRestore", "save_freq",
                                                "'epoch' or a positive int", repr(save_freq)))
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = self._weights_path + ".bkp"
        self._prev_training_metadata_path = self._training_metadata_path + ".bkp"

    def on_train_begin(self, logs: dict | None = None) -> None:
        try:
            self._load_model()
        except Exception:
            if not os.path.exists(self._prev_weights_path):
                raise
            shutil.copyfile(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                shutil.copyfile(self._prev_training_metadata_path,
                                self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self) -> None:
        model = self.model
        if os.path.exists(self._weights_path):
            opt = getattr(model, "optimizer", None)
            if opt is not None and not getattr(opt, "built", True):
                opt.build(model.trainable_variables)
            model.load_weights(self._weights_path)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path, encoding="utf-8") as f:
                meta = json.load(f)
            self._current_epoch = int(meta["epoch"])
            model._initial_epoch = self._current_epoch

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model()

    def _save_model(self) -> None:
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            shutil.copyfile(self._weights_path, self._prev_weights_path)
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            shutil.copyfile(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._training_metadata_path, "w", encoding="utf-8") as f:
            json.dump({"epoch": self._current_epoch, "batch": self._last_batch_seen}, f)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        added = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def on_train_end(self, logs: dict | None = None) -> None:
        if getattr(self.model, "_initial_epoch", None) is not None:
            self.model._initial_epoch = None
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


class SwapEMAWeights(Callback):
    """Evaluate (and predict) with the optimizer's exponential moving average of the
    weights (``use_ema=True``): swap them into the model for ``evaluate``/``predict``
    and back afterwards; with ``swap_on_epoch=True`` also at each epoch end, so
    checkpoints written then hold the averages."""

    def __init__(self, swap_on_epoch: bool = False) -> None:
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._ema_weights_in_model = False

    def _optimizers(self) -> list[Any]:
        opt = self.model.optimizer
        opt = getattr(opt, "inner_optimizer", opt)  # a LossScaleOptimizer
        inner = getattr(opt, "optimizers", None)
        opts = list(inner) if inner is not None else [opt]
        with_ema = [o for o in opts if getattr(o, "use_ema", False)]
        if not with_ema:
            raise InvalidArgumentError(describe("SwapEMAWeights", "model.optimizer",
                                                "an optimizer with use_ema=True",
                                                type(opt).__name__ + " without EMA"))
        return with_ema

    def _swap_variables(self) -> None:
        for opt in self._optimizers():
            for var, avg in zip(opt._trainable_variables, opt._model_variables_moving_average):
                tmp = var.numpy()
                var.assign(avg.numpy())
                avg.assign(tmp)

    def _finalize_ema_values(self) -> None:
        for opt in self._optimizers():
            for var, avg in zip(opt._trainable_variables, opt._model_variables_moving_average):
                avg.assign(var.numpy())

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch and self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap_on_epoch and not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True
            # fit's finalize_variable_values writes the averages into the model at the
            # end: make the averages the (already swapped-in) EMA weights
            if epoch == self.params.get("epochs", 0) - 1:
                self._finalize_ema_values()

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = True

    def on_test_end(self, logs: dict | None = None) -> None:
        if self._ema_weights_in_model:
            self._swap_variables()
            self._ema_weights_in_model = False

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self.on_test_begin(logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        # Keras 3.15 tests ``not self._ema_weights_in_model`` here and so leaves the
        # averages in the model after predict; restoring them is the documented intent
        self.on_test_end(logs)


class RemoteMonitor(Callback):
    """POST the epoch's logs to ``root + path`` at the end of every epoch: as a JSON
    body with ``send_as_json=True``, else form-encoded with the JSON in ``field``
    (Keras's two formats). A server that cannot be reached gives a warning, not an
    error, so monitoring never stops training. Uses only the standard library."""

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: dict[str, str] | None = None,
                 send_as_json: bool = False) -> None:
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = bool(send_as_json)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        send: dict[str, Any] = {"epoch": epoch}
        for k, v in (logs or {}).items():
            f = to_float(v)
            send[k] = f if f is not None else v
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
