"""Training callbacks (the built-in ``callbacks`` plugin), driven without a real model.

A :class:`FakeModel` implements exactly the interface callbacks may use
(``stop_training``, ``get_weights`` / ``set_weights``, ``save`` / ``save_weights``,
``optimizer.learning_rate``) and :func:`fit` plays the trainer's part: it calls the hooks
in Keras's order with synthetic logs, marks the weights with the epoch that produced
them, and stops when ``model.stop_training`` is set (after the batch, or after the
epoch). Each callback's end-of-training behaviour is checked (user-needs D7-D10).
"""

from __future__ import annotations

import io
import json
import math
import pickle
import re
import sys

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError, TensorweaveError
from tensorweave.plugins.callbacks import (
    Callback,
    CallbackList,
    CSVLogger,
    EarlyStopping,
    History,
    HistoryKeyError,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

NAN = float("nan")


class FakeOptimizer:
    def __init__(self, lr=1.0):
        self.learning_rate = lr


class FakeModel:
    """Exactly the model interface callbacks are allowed to use."""

    def __init__(self, lr=1.0):
        self.stop_training = False
        self.weights = [np.array([-1.0]), np.zeros((2, 2))]
        self.optimizer = FakeOptimizer(lr)
        self.saved: list[tuple[str, str]] = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, copy=True) for w in weights]

    def save(self, path):
        self.saved.append(("model", path))
        with open(path, "w") as f:
            f.write(f"model {self.weights[0][0]}")

    def save_weights(self, path):
        self.saved.append(("weights", path))
        with open(path, "w") as f:
            f.write(f"weights {self.weights[0][0]}")

    @property
    def marker(self):
        """The epoch whose training produced the current weights (-1: untrained)."""
        return int(self.weights[0][0])


def fit(model, callbacks, epoch_logs, steps=3, verbose=0, metrics=None, batch_logs=None,
        add_history=True, add_progbar=False):
    """Play the trainer: hooks in Keras's order, weights marked by epoch, stop honoured."""
    if metrics is None:
        metrics = list(dict.fromkeys(k for logs in epoch_logs for k in logs))
    cbl = CallbackList(callbacks, add_history=add_history, add_progbar=add_progbar,
                       model=model, epochs=len(epoch_logs), steps=steps, verbose=verbose,
                       metrics=metrics)
    model.stop_training = False
    cbl.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cbl.on_epoch_begin(epoch)
        for b in range(steps):
            cbl.on_train_batch_begin(b)
            model.weights = [np.array([float(epoch)]), np.full((2, 2), epoch + b / 10)]
            blogs = {"loss": (batch_logs or {}).get((epoch, b), 0.5)}
            cbl.on_train_batch_end(b, blogs)
            if model.stop_training:
                break
        cbl.on_epoch_end(epoch, dict(logs))
        if model.stop_training:
            break
    cbl.on_train_end()
    assert cbl.history is cbl._history
    return cbl.history


def val_losses(values):
    return [{"loss": 1.0, "val_loss": v} for v in values]


def epochs_run(history):
    return len(history.epoch)


# ---- EarlyStopping ---------------------------------------------------------------------------
def test_early_stopping_patience_counts_epochs_without_improvement():
    model = FakeModel()
    es = EarlyStopping(patience=2)
    h = fit(model, [es], val_losses([1.0, 0.8, 0.9, 0.85, 0.95, 0.1]))
    assert epochs_run(h) == 4  # best at epoch 1; epochs 2 and 3 do not improve
    assert es.stopped_epoch == 3 and es.best == 0.8 and es.best_epoch == 1


def test_early_stopping_patience_zero_stops_at_first_bad_epoch():
    es = EarlyStopping(patience=0)
    h = fit(FakeModel(), [es], val_losses([1.0, 0.9, 0.95, 0.1]))
    assert epochs_run(h) == 3


def test_restore_best_weights_when_stopped_by_patience(capsys):
    model = FakeModel()
    es = EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    fit(model, [es], val_losses([1.0, 0.8, 0.9, 0.85, 0.95]))
    assert model.marker == 1
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out
    assert "best epoch: 2" in out


def test_restore_best_weights_when_the_epoch_limit_ends_training():
    model = FakeModel()
    es = EarlyStopping(patience=10, restore_best_weights=True)
    fit(model, [es], val_losses([1.0, 0.5, 0.7, 0.9]))
    assert es.stopped_epoch == 0  # it did not stop training itself
    assert model.marker == 1


def test_restore_best_weights_when_another_callback_stops_training():
    model = FakeModel()
    es = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    stopper = LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(
        model, "stop_training", epoch == 3))
    h = fit(model, [stopper, es], val_losses([1.0, 0.4, 0.6, 0.7, 0.2]))
    assert epochs_run(h) == 4
    assert model.marker == 1


def test_restore_best_weights_after_terminate_on_nan(capsys):
    model = FakeModel()
    es = EarlyStopping(patience=5, restore_best_weights=True)
    logs = val_losses([1.0, 0.3, 0.5, 0.2])
    logs[2]["val_loss"] = NAN
    h = fit(model, [TerminateOnNaN(), es], logs, batch_logs={(2, 1): NAN})
    assert epochs_run(h) == 3
    assert model.marker == 1  # NaN epoch is never best
    assert "batch 1" in capsys.readouterr().out


def test_early_stopping_mode_auto_accuracy_and_keras2_alias():
    es = EarlyStopping(monitor="val_acc", patience=1, restore_best_weights=True)
    assert es._direction == "max"
    model = FakeModel()
    logs = [{"loss": 1.0, "accuracy": a, "val_loss": 1.0, "val_accuracy": a}
            for a in (0.5, 0.7, 0.6, 0.65, 0.9)]
    h = fit(model, [es], logs)
    assert epochs_run(h) == 3 and model.marker == 1 and es.best == 0.7


@pytest.mark.parametrize(("name", "mode"), [
    ("loss", "min"), ("val_loss", "min"), ("val_mae", "min"), ("mean_squared_error", "min"),
    ("accuracy", "max"), ("val_accuracy", "max"), ("acc", "max"), ("val_acc", "max"),
    ("categorical_accuracy", "max"), ("sparse_top_k_categorical_accuracy", "max"),
    ("val_auc", "max"), ("precision", "max"), ("val_recall_1", "max"), ("f1_score", "max"),
    ("mean_io_u", "max"), ("val_cross_entropy", "min"), ("accumulated_loss", "min"),
])
def test_mode_auto_inference(name, mode):
    assert EarlyStopping(monitor=name)._direction == mode


def test_min_delta_requires_a_large_enough_improvement():
    es = EarlyStopping(patience=1, min_delta=0.1)
    h = fit(FakeModel(), [es], val_losses([1.0, 0.95, 0.8, 0.79, 0.3]))
    assert epochs_run(h) == 2  # 0.95 is not an improvement of more than 0.1


def test_baseline_must_be_beaten_within_patience():
    es = EarlyStopping(patience=2, baseline=0.5)
    h = fit(FakeModel(), [es], val_losses([0.9, 0.8, 0.7, 0.6, 0.4]))
    assert epochs_run(h) == 2  # improving, but never below the baseline
    es2 = EarlyStopping(patience=2, baseline=0.5)
    h2 = fit(FakeModel(), [es2], val_losses([0.9, 0.4, 0.45, 0.46, 0.47, 0.3]))
    assert epochs_run(h2) == 4  # beat the baseline at epoch 1, then patience applies


def test_start_from_epoch_ignores_warmup_epochs():
    model = FakeModel()
    es = EarlyStopping(patience=1, start_from_epoch=2, restore_best_weights=True)
    h = fit(model, [es], val_losses([0.1, 0.2, 0.9, 0.8, 0.85, 0.7]))
    assert epochs_run(h) == 5
    assert model.marker == 3


def test_unknown_monitor_is_one_error_listing_available_keys():
    es = EarlyStopping(monitor="val_accuracy")
    with pytest.raises(InvalidArgumentError) as info:
        fit(FakeModel(), [es], [{"loss": 1.0, "accuracy": 0.5}])
    msg = str(info.value)
    assert "EarlyStopping" in msg and "val_accuracy" in msg and "'accuracy'" in msg
    assert "validation" in msg  # the hint: no validation data


def test_monitor_typo_is_rejected_even_with_validation():
    with pytest.raises(InvalidArgumentError, match=r"val_los.*|.*val_los"):
        fit(FakeModel(), [EarlyStopping(monitor="val_los")], val_losses([1.0]))


def test_without_a_metrics_list_a_missing_key_warns_once():
    es = EarlyStopping(monitor="val_loss")
    es.set_model(FakeModel())
    es.set_params({"epochs": 3})
    es.on_train_begin()
    with pytest.warns(UserWarning, match="val_loss") as record:
        es.on_epoch_end(0, {"loss": 1.0})
        es.on_epoch_end(1, {"loss": 1.0})
    assert len(record) == 1


def test_invalid_arguments():
    with pytest.raises(InvalidArgumentError, match="mode"):
        EarlyStopping(mode="maximum")
    with pytest.raises(InvalidArgumentError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(InvalidArgumentError, match="factor"):
        ReduceLROnPlateau(factor=1.0)
    with pytest.raises(InvalidArgumentError, match="save_freq"):
        ModelCheckpoint("x.tw", save_freq=0)


# ---- ReduceLROnPlateau ----------------------------------------------------------------------
def lr_trace(history):
    return [round(v, 10) for v in history.history["learning_rate"]]


def test_reduce_lr_patience_arithmetic():
    model = FakeModel(lr=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    h = fit(model, [cb], val_losses([1.0] * 8))
    # epoch 0 improves on +inf; then one cut per 2 bad epochs (never every epoch)
    assert lr_trace(h) == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    assert model.optimizer.learning_rate == 0.125  # epoch 7 is the first of two bad ones


def test_reduce_lr_improvement_resets_the_wait():
    model = FakeModel(lr=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    h = fit(model, [cb], val_losses([1.0, 1.0, 0.9, 0.9, 0.8, 0.8, 0.8]))
    assert lr_trace(h) == [1.0] * 7
    assert model.optimizer.learning_rate == 0.5  # the last two bad epochs cut once


@pytest.mark.parametrize(("cooldown", "cuts"), [(0, [1, 2, 3, 4, 5, 6, 7]),
                                                (1, [1, 3, 5, 7]),
                                                (2, [1, 4, 7])])
def test_reduce_lr_cooldown_skips_exactly_cooldown_epochs(cooldown, cuts):
    model = FakeModel(lr=1.0)
    cb = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=cooldown)
    h = fit(model, [cb], val_losses([1.0] * 8) + [{"loss": 1.0, "val_loss": 1.0}])
    lrs = lr_trace(h)
    got = [e for e in range(len(lrs) - 1) if lrs[e + 1] < lrs[e]]
    assert got == cuts


def test_reduce_lr_improvements_during_cooldown_update_best():
    cb = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    fit(FakeModel(), [cb], val_losses([1.0, 1.0, 0.5, 0.6]))
    assert cb.best == 0.5


def test_reduce_lr_respects_min_lr(capsys):
    model = FakeModel(lr=0.1)
    cb = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.005, verbose=1)
    h = fit(model, [cb], val_losses([1.0] * 6))
    assert lr_trace(h) == [0.1, 0.1, 0.01, 0.005, 0.005, 0.005]
    out = capsys.readouterr().out
    assert out.count("ReduceLROnPlateau reducing learning rate") == 2
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.01." in out


def test_reduce_lr_max_mode_and_min_delta():
    model = FakeModel(lr=1.0)
    cb = ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1, min_delta=0.05)
    logs = [{"loss": 1.0, "val_accuracy": a} for a in (0.5, 0.52, 0.7, 0.71)]
    h = fit(model, [cb], logs, metrics=["loss", "val_accuracy"])
    assert lr_trace(h) == [1.0, 1.0, 0.5, 0.5]
    assert model.optimizer.learning_rate == 0.25


def test_reduce_lr_learning_rate_reaches_history_under_both_names():
    h = fit(FakeModel(lr=0.3), [ReduceLROnPlateau()], val_losses([1.0, 0.5]))
    assert h.history["learning_rate"] == [0.3, 0.3]
    assert h.history["lr"] == [0.3, 0.3]  # Keras 2 key


def test_reduce_lr_drives_a_real_optimizer():
    opt = tw.optimizers.SGD(learning_rate=0.1)
    model = FakeModel()
    model.optimizer = opt
    fit(model, [ReduceLROnPlateau(factor=0.5, patience=1)], val_losses([1.0, 1.0, 1.0]))
    assert opt.learning_rate == pytest.approx(0.025)
    assert float(opt._learning_rate.numpy()) == pytest.approx(0.025)


def test_reduce_lr_refuses_a_schedule_at_train_begin():
    model = FakeModel()
    model.optimizer = tw.optimizers.SGD(
        learning_rate=tw.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(InvalidArgumentError, match="schedule"):
        fit(model, [ReduceLROnPlateau()], val_losses([1.0]))


# ---- ModelCheckpoint ---------------------------------------------------------------------------
def test_checkpoint_every_epoch_with_formatted_names(tmp_path):
    model = FakeModel()
    tpl = str(tmp_path / "ckpt" / "m-{epoch:02d}-{val_loss:.2f}.tw")
    fit(model, [ModelCheckpoint(tpl)], val_losses([1.0, 0.25, 0.125]))
    names = sorted(p.name for p in (tmp_path / "ckpt").iterdir())
    assert names == ["m-01-1.00.tw", "m-02-0.25.tw", "m-03-0.12.tw"]
    assert [kind for kind, _ in model.saved] == ["model"] * 3


def test_checkpoint_best_only_writes_only_on_improvement(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "best.tw")
    cb = ModelCheckpoint(path, save_best_only=True, verbose=1)
    fit(model, [cb], val_losses([1.0, 0.8, 0.9, NAN, 0.7, 0.75]))
    assert len(model.saved) == 3  # epochs 1, 2 and 5 (1-based)
    assert open(path).read() == "model 4.0"  # the file holds the best epoch
    out = capsys.readouterr().out
    assert "Epoch 3: val_loss did not improve from 0.80000" in out
    assert "Epoch 5: val_loss improved from 0.80000 to 0.70000" in out


def test_checkpoint_best_only_max_mode_with_keras2_names(tmp_path):
    model = FakeModel()
    tpl = str(tmp_path / "w-{epoch}-{val_acc:.2f}.tw")
    cb = ModelCheckpoint(tpl, monitor="val_acc", save_best_only=True,
                         save_weights_only=True)
    logs = [{"loss": 1.0, "val_loss": 1.0, "val_accuracy": a} for a in (0.5, 0.4, 0.75)]
    fit(model, [cb], logs)
    assert model.saved == [("weights", str(tmp_path / "w-1-0.50.tw")),
                           ("weights", str(tmp_path / "w-3-0.75.tw"))]


def test_checkpoint_initial_value_threshold(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "b.tw"), save_best_only=True,
                         initial_value_threshold=0.6)
    fit(model, [cb], val_losses([1.0, 0.7, 0.5]))
    assert len(model.saved) == 1


def test_checkpoint_every_n_batches(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "e{epoch}-b{batch}.tw"), save_freq=2)
    fit(model, [cb], val_losses([1.0, 1.0]), steps=3)
    assert [p.rsplit("/", 1)[-1] for _, p in model.saved] == ["e1-b2.tw", "e2-b1.tw",
                                                               "e2-b3.tw"]


def test_checkpoint_template_is_checked_at_train_begin(tmp_path):
    model = FakeModel()
    cb = ModelCheckpoint(str(tmp_path / "m-{val_los:.2f}.tw"))
    with pytest.raises(InvalidArgumentError, match=r"val_los") as info:
        fit(model, [cb], val_losses([1.0]))
    assert "val_loss" in str(info.value)
    assert model.saved == []
    with pytest.raises(InvalidArgumentError, match="template"):
        fit(model, [ModelCheckpoint(str(tmp_path / "m-{val_loss:d}.tw"))], val_losses([1.0]))


def test_checkpoint_monitor_checked_only_with_save_best_only(tmp_path):
    model = FakeModel()
    fit(model, [ModelCheckpoint(str(tmp_path / "a.tw"))], [{"loss": 1.0}])  # no val_loss: ok
    assert len(model.saved) == 1
    with pytest.raises(InvalidArgumentError, match="val_loss"):
        fit(model, [ModelCheckpoint(str(tmp_path / "a.tw"), save_best_only=True)],
            [{"loss": 1.0}])


# ---- TerminateOnNaN ----------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [NAN, math.inf, -math.inf])
def test_terminate_on_nan_stops_at_the_batch(bad, capsys):
    model = FakeModel()
    seen = []
    spy = LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))
    h = fit(model, [TerminateOnNaN(), spy], val_losses([1.0, 1.0, 1.0]), steps=4,
            batch_logs={(1, 2): bad})
    assert model.stop_training is True
    assert epochs_run(h) == 2
    assert seen == [0, 1, 2, 3, 0, 1, 2]  # nothing after the bad batch
    assert "Epoch 2, batch 2: invalid loss" in capsys.readouterr().out


def test_terminate_on_nan_accepts_tensor_losses():
    model = FakeModel()
    cb = TerminateOnNaN()
    cbl = CallbackList([cb], model=model)
    cbl.on_train_batch_end(0, {"loss": tw.ops.convert_to_tensor(np.float32(np.nan))})
    assert model.stop_training is True


# ---- LearningRateScheduler ---------------------------------------------------------------------
def test_learning_rate_scheduler_sets_the_rate_each_epoch(capsys):
    model = FakeModel(lr=1.0)
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch > 0 else lr

    h = fit(model, [LearningRateScheduler(schedule, verbose=1)], val_losses([1.0] * 3))
    assert seen == [(0, 1.0), (1, 1.0), (2, 0.5)]
    assert h.history["learning_rate"] == [1.0, 0.5, 0.25]
    assert "Epoch 3: LearningRateScheduler setting learning rate to 0.25." in (
        capsys.readouterr().out)


def test_learning_rate_scheduler_one_argument_and_errors():
    model = FakeModel()
    fit(model, [LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))], val_losses([1.0] * 2))
    assert model.optimizer.learning_rate == pytest.approx(0.05)
    with pytest.raises(InvalidArgumentError, match="return a number"):
        fit(FakeModel(), [LearningRateScheduler(lambda e, lr: "fast")], val_losses([1.0]))

    def broken(epoch, lr):
        raise TypeError("bug inside the schedule")

    with pytest.raises(TypeError, match="bug inside"):  # not swallowed
        fit(FakeModel(), [LearningRateScheduler(broken)], val_losses([1.0]))


def test_learning_rate_scheduler_with_a_real_optimizer():
    opt = tw.optimizers.Adam(learning_rate=0.01)
    model = FakeModel()
    model.optimizer = opt
    fit(model, [LearningRateScheduler(lambda e, lr: 0.01 * 0.1 ** e)], val_losses([1.0] * 3))
    assert opt.learning_rate == pytest.approx(1e-4)


# ---- CSVLogger ---------------------------------------------------------------------------------
def read_csv(path, sep=","):
    with open(path, newline="") as f:
        return [line.rstrip("\r\n").split(sep) for line in f]


def test_csv_logger_rows(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.75, "val_loss": 0.625, "val_accuracy": 0.5},
            {"loss": 0.25, "accuracy": 1.0, "val_loss": 0.5, "val_accuracy": 0.75}]
    fit(FakeModel(), [CSVLogger(path)], logs)
    rows = read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1] == ["0", "0.75", "0.5", "0.5", "0.625"]
    assert rows[2] == ["1", "1.0", "0.25", "0.75", "0.5"]


def test_csv_logger_separator_missing_values_and_append(tmp_path):
    path = tmp_path / "log.tsv"
    logs = [{"loss": 0.5}, {"loss": 0.25, "val_loss": 0.125}]
    fit(FakeModel(), [CSVLogger(path, separator="\t")], logs,
        metrics=["loss", "val_loss"])
    assert read_csv(path, "\t") == [["epoch", "loss", "val_loss"], ["0", "0.5", "NA"],
                                    ["1", "0.25", "0.125"]]
    fit(FakeModel(), [CSVLogger(path, separator="\t", append=True)],
        [{"val_loss": 0.0625, "loss": 0.125}])
    rows = read_csv(path, "\t")
    assert len(rows) == 4 and rows[3] == ["0", "0.125", "0.0625"]


# ---- History -----------------------------------------------------------------------------------
def test_history_records_epochs_and_sets_model_history():
    model = FakeModel()
    logs = [{"loss": 0.5, "accuracy": 0.6, "val_loss": 0.7, "val_accuracy": 0.55},
            {"loss": 0.4, "accuracy": 0.7, "val_loss": 0.6, "val_accuracy": 0.65}]
    h = fit(model, [], logs)
    assert model.history is h
    assert h.epoch == [0, 1]
    assert h.history == {"loss": [0.5, 0.4], "accuracy": [0.6, 0.7],
                         "val_loss": [0.7, 0.6], "val_accuracy": [0.55, 0.65]}


def test_history_accepts_keras2_keys():
    h = fit(FakeModel(), [], [{"loss": 0.5, "accuracy": 0.6, "val_accuracy": 0.5}])
    hist = h.history
    assert hist["acc"] == [0.6] and hist["val_acc"] == [0.5]
    assert hist.get("acc") == [0.6] and hist.get("val_acc") == [0.5]
    assert "acc" in hist and "val_acc" in hist and "val_loss" not in hist
    assert hist.get("nope", 7) == 7
    assert sorted(hist) == ["accuracy", "loss", "val_accuracy"]  # no alias duplicates
    assert isinstance(hist, dict)
    with pytest.raises(KeyError, match="available keys"):
        hist["val_loss"]
    with pytest.raises(HistoryKeyError):
        hist["precision"]
    assert json.loads(json.dumps(hist)) == dict(hist)
    again = pickle.loads(pickle.dumps(hist))
    assert again["acc"] == [0.6]


def test_history_keras2_name_logged_resolves_from_keras3_name():
    h = fit(FakeModel(), [], [{"loss": 0.5, "acc": 0.6}])
    assert h.history["accuracy"] == [0.6]


def test_history_converts_tensor_logs_to_floats():
    h = History()
    cbl = CallbackList([h], model=FakeModel())
    cbl.on_train_begin()
    cbl.on_epoch_end(0, {"loss": tw.ops.convert_to_tensor(np.float32(0.25))})
    assert h.history["loss"] == [0.25] and type(h.history["loss"][0]) is float


# ---- ProgbarLogger -----------------------------------------------------------------------------
class FakeTTY(io.StringIO):
    def isatty(self):
        return True


LOGS3 = [{"loss": 0.5, "accuracy": 0.9, "val_loss": 0.25, "val_accuracy": 0.96},
         {"loss": 0.1234, "accuracy": 0.96, "val_loss": 0.2, "val_accuracy": 0.94},
         {"loss": 0.00005, "accuracy": 1.0, "val_loss": 0.3, "val_accuracy": 0.9}]
LINE = re.compile(r"^Epoch (\d+)/3 - \d+s - loss: \S+ - accuracy: \S+ - val_loss: \S+ - "
                  r"val_accuracy: \S+$")


def test_progbar_verbose2_one_line_per_epoch(capsys):
    fit(FakeModel(), [ProgbarLogger()], LOGS3, verbose=2)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 3 and "\r" not in out
    assert all(LINE.match(line) for line in lines), lines
    assert lines[1].endswith("- loss: 0.1234 - accuracy: 0.9600 - val_loss: 0.2000 - "
                             "val_accuracy: 0.9400")
    assert "loss: 5.0000e-05" in lines[2]  # small values do not print as 0.0000


def test_progbar_verbose1_without_a_terminal_is_also_one_line_per_epoch(capsys):
    fit(FakeModel(), [ProgbarLogger()], LOGS3, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and len(out.splitlines()) == 3
    assert all(LINE.match(line) for line in out.splitlines())


def test_progbar_verbose1_on_a_terminal_draws_a_live_bar(monkeypatch):
    tty = FakeTTY()
    monkeypatch.setattr(sys, "stdout", tty)
    fit(FakeModel(), [ProgbarLogger(interval=0.0)], LOGS3[:2], verbose=1, steps=4,
        batch_logs={(0, b): 0.5 - b / 10 for b in range(4)})
    out = tty.getvalue()
    assert out.startswith("Epoch 1/2\n")
    assert "\r1/4 [=======>......................] - ETA: " in out
    assert "loss: 0.4000" in out  # the running batch metrics
    final = out.split("\n")[1].split("\r")[-1]
    assert re.match(r"^4/4 \[=+\] - \d+s \d+[mu]?s/step - loss: 0.5000 - accuracy: 0.9000 "
                    r"- val_loss: 0.2500 - val_accuracy: 0.9600", final), final
    assert "Epoch 2/2\n" in out


def test_progbar_verbose0_is_silent(capsys):
    fit(FakeModel(), [ProgbarLogger()], LOGS3, verbose=0)
    assert capsys.readouterr().out == ""


def test_progbar_writes_to_stdout_at_call_time(monkeypatch):
    pb = ProgbarLogger()
    cbl = CallbackList([pb], model=FakeModel(), epochs=1, steps=1, verbose=2,
                       metrics=["loss"])
    cbl.on_train_begin()
    cbl.on_epoch_begin(0)
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)  # replaced after the callback was made
    cbl.on_epoch_end(0, {"loss": 0.5})
    assert buf.getvalue().startswith("Epoch 1/1 - ")


def test_progbar_in_evaluate_and_predict(capsys):
    pb = ProgbarLogger()
    cbl = CallbackList([pb], model=FakeModel(), epochs=1, steps=2, verbose=2)
    cbl.on_test_begin()
    cbl.on_test_batch_end(0, {"loss": 0.5})
    cbl.on_test_batch_end(1, {"loss": 0.25})
    cbl.on_test_end({"loss": 0.25, "accuracy": 0.5})
    cbl.on_predict_begin()
    cbl.on_predict_batch_end(0, {"outputs": np.zeros((2, 3))})
    cbl.on_predict_batch_end(1, {"outputs": np.zeros((2, 3))})
    cbl.on_predict_end()
    lines = capsys.readouterr().out.splitlines()
    assert re.match(r"^2/2 - \d+s - loss: 0.2500 - accuracy: 0.5000$", lines[0])
    assert re.match(r"^2/2 - \d+s$", lines[1])


def test_progbar_is_quiet_during_validation_inside_fit(capsys):
    pb = ProgbarLogger()
    cbl = CallbackList([pb], model=FakeModel(), epochs=1, steps=1, verbose=2)
    cbl.on_train_begin()
    cbl.on_epoch_begin(0)
    cbl.on_train_batch_end(0, {"loss": 1.0})
    cbl.on_test_begin()
    cbl.on_test_batch_end(0, {"loss": 2.0})
    cbl.on_test_end({"loss": 2.0})
    cbl.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    cbl.on_train_end()
    assert len(capsys.readouterr().out.splitlines()) == 1


# ---- LambdaCallback and CallbackList -------------------------------------------------------
def test_lambda_callback_hooks():
    calls = []
    cb = LambdaCallback(on_train_begin=lambda logs: calls.append("begin"),
                        on_epoch_end=lambda e, logs: calls.append(("epoch", e, logs["loss"])),
                        on_batch_end=lambda b, logs: calls.append(("batch", b)),
                        on_train_end=lambda logs: calls.append("end"),
                        on_test_begin=lambda logs: calls.append("test"))
    fit(FakeModel(), [cb], [{"loss": 0.5}], steps=2)
    assert calls == ["begin", ("batch", 0), ("batch", 1), ("epoch", 0, 0.5), "end"]
    cb.on_test_begin({})
    assert calls[-1] == "test"
    with pytest.raises(InvalidArgumentError, match="on_epoch_ends"):
        LambdaCallback(on_epoch_ends=print)


def test_keras2_style_custom_callback():
    class LossHistory(Callback):  # the seed tutorial's callback
        def on_train_begin(self, logs=None):
            self.losses = []

        def on_batch_end(self, batch, logs=None):
            self.losses.append(logs.get("loss"))

    cb = LossHistory()
    fit(FakeModel(), [cb], [{"loss": 1.0}] * 2, steps=3)
    assert cb.losses == [0.5] * 6


def test_callback_list_shares_logs_and_skips_idle_batch_hooks():
    class Idle(Callback):
        pass

    class Adder(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    cbl = CallbackList([Adder(), Idle()], add_history=True, add_progbar=True)
    assert isinstance(cbl.callbacks[-2], History) and isinstance(cbl.callbacks[-1],
                                                                  ProgbarLogger)
    assert cbl._listeners("on_train_batch_end") == [cbl.callbacks[-1]]
    h = fit(FakeModel(), [Adder(), Idle()], [{"loss": 1.0}])
    assert h.history["extra"] == [1.0]


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(InvalidArgumentError, match="instance"):
        CallbackList([EarlyStopping])
    with pytest.raises(TensorweaveError):
        CallbackList([]).append("nope")


def test_registered_in_the_callbacks_namespace():
    for name in ("Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
                 "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
                 "TerminateOnNaN", "LambdaCallback"):
        assert getattr(tw.callbacks, name).__name__ == name
    assert isinstance(tw.callbacks.get("EarlyStopping"), EarlyStopping)


def test_backup_and_restore_resumes_fit_at_the_restored_epoch(tmp_path):
    """An interrupted fit restarted with the same callback trains only the remaining
    epochs (fit reads model._initial_epoch, as Keras's trainers do) and ends with the
    weights of an uninterrupted run."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 4)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    init = None

    def make():
        nonlocal init
        model = tw.Sequential([tw.Input((4,)), tw.layers.Dense(3, activation="tanh"),
                               tw.layers.Dense(2)])
        if init is None:
            init = [w.copy() for w in model.get_weights()]
        model.set_weights(init)
        model.compile(tw.optimizers.SGD(0.1), "mse")
        return model

    class Interrupt(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.epoch == 2 and batch == 1:
                raise RuntimeError("interrupted")

    fit = dict(batch_size=8, epochs=5, shuffle=False, verbose=0)
    model = make()
    cb = tw.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="interrupted"):
        model.fit(x, y, callbacks=[cb, Interrupt()], **fit)
    hist = model.fit(x, y, callbacks=[cb], **fit)
    assert hist.epoch == [2, 3, 4] and len(hist.history["loss"]) == 3
    assert not (tmp_path / "backup").exists()
    straight = make()
    straight_hist = straight.fit(x, y, **fit)
    for a, b in zip(model.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hist.history["loss"], straight_hist.history["loss"][2:],
                               rtol=1e-6)
    # the next fit without a backup starts at 0 again
    assert model.fit(x, y, **fit).epoch == [0, 1, 2, 3, 4]
