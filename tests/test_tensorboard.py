"""The ``TensorBoard`` callback: real event files, read back with TensorBoard's own reader.

Writing needs tensorboardX (the ``tensorboard`` extra) and reading needs the ``tensorboard``
package; neither needs TensorFlow. Tests skip with the reason when one is missing; the
argument checks and the missing-dependency error are tested everywhere.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError, TensorweaveError


def _reader():
    pytest.importorskip("tensorboardX", reason="tensorboardX is optional "
                                               "(tensorweave[tensorboard])")
    mod = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator",
                              reason="the tensorboard package (to read event files) is "
                                     "not installed")

    def read(path):
        acc = mod.EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                             "tensors": 0})
        acc.Reload()
        return acc

    return read


def _model():
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((4,)), L.Dense(8, activation="relu", name="hidden"),
                           L.Dense(2, activation="softmax", name="probs")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(n=48):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, 4)).astype("float32")
    return x, (x[:, 0] > 0).astype("int32")


def _scalars(acc, tag):
    return [(e.step, e.value) for e in acc.Scalars(tag)]


def test_scalars_equal_history_for_every_key(tmp_path):
    read = _reader()
    x, y = _data()
    model = _model()
    cb = tw.callbacks.TensorBoard(tmp_path / "run")
    hist = model.fit(x, y, epochs=3, batch_size=12, validation_data=(x[:12], y[:12]),
                     callbacks=[cb], verbose=0)
    train, val = read(tmp_path / "run" / "train"), read(tmp_path / "run" / "validation")
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for key, values in hist.history.items():
        acc, tag = (val, f"epoch_{key[4:]}") if key.startswith("val_") else \
            (train, f"epoch_{key}")
        events = _scalars(acc, tag)
        assert [s for s, _ in events] == [0, 1, 2]
        np.testing.assert_array_equal([v for _, v in events],
                                      np.asarray(values, dtype=np.float32))
    lr = _scalars(train, "epoch_learning_rate")
    assert [s for s, _ in lr] == [0, 1, 2] and lr[0][1] == pytest.approx(0.001)
    assert train.Tags()["histograms"] == []  # histogram_freq=0


def test_histograms_every_n_epochs_and_graph_text(tmp_path):
    read = _reader()
    x, y = _data()
    model = _model()
    cb = tw.callbacks.TensorBoard(str(tmp_path), histogram_freq=2)
    model.fit(x, y, epochs=5, batch_size=16, callbacks=[cb], verbose=0)
    train = read(tmp_path / "train")
    tags = train.Tags()["histograms"]
    assert sorted(tags) == sorted(w.path for w in model.weights)
    kernel = train.Histograms("probs/kernel")
    assert [e.step for e in kernel] == [0, 2, 4]
    last = kernel[-1].histogram_value
    w = model.get_layer("probs").kernel.numpy()
    assert last.num == w.size
    assert last.min == pytest.approx(float(w.min()), rel=1e-6)
    assert last.max == pytest.approx(float(w.max()), rel=1e-6)
    texts = {t: train.Tensors(t)[0].tensor_proto.string_val[0].decode()
             for t in train.Tags()["tensors"]}
    summary = next(v for k, v in texts.items() if k.startswith("model/summary"))
    graph = next(v for k, v in texts.items() if k.startswith("model/graph_dot"))
    assert "hidden (Dense)" in summary and "Total params" in summary
    assert "digraph" in graph and "probs: Dense" in graph and "(None, 8)" in graph


def test_batch_updates_and_resumed_runs_continue_the_steps(tmp_path):
    read = _reader()
    x, y = _data(48)
    model = _model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[
        tw.callbacks.TensorBoard(tmp_path, update_freq="batch", write_graph=False)])
    model.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0,
              callbacks=[tw.callbacks.TensorBoard(tmp_path, update_freq=2,
                                                  write_graph=False)])
    train = read(tmp_path / "train")
    assert [s for s, _ in _scalars(train, "epoch_loss")] == [0, 1, 2, 3]
    # batch steps count optimizer updates: 3 per epoch, every batch, then every 2nd
    assert [s for s, _ in _scalars(train, "batch_loss")] == [1, 2, 3, 4, 5, 6, 8, 10, 12]
    assert len(os.listdir(tmp_path / "train")) == 2  # one event file per fit, none lost
    assert train.Tags()["tensors"] == []  # write_graph=False


def test_arguments_are_checked():
    pytest.importorskip("tensorboardX", reason="tensorboardX is optional")
    for kwargs, name in (({"histogram_freq": -1}, "histogram_freq"),
                         ({"update_freq": "sometimes"}, "update_freq"),
                         ({"update_freq": 0}, "update_freq"),
                         ({"profile_batch": 5}, "profile_batch"),
                         ({"write_images": True}, "write_images"),
                         ({"embeddings_freq": 1}, "embeddings_freq"),
                         ({"log_dir": 3}, "log_dir")):
        with pytest.raises(InvalidArgumentError, match=name):
            tw.callbacks.TensorBoard(**kwargs)


def test_without_tensorboardx_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    with pytest.raises(TensorweaveError, match=r"pip install 'tensorweave\[tensorboard\]'") \
            as info:
        tw.callbacks.TensorBoard("logs")
    assert isinstance(info.value, ImportError)
    assert not os.path.exists("logs/train")


def test_registered_through_the_callbacks_hook():
    from tensorweave.registries import registry

    assert registry("callbacks").lookup("TensorBoard") is tw.callbacks.TensorBoard
