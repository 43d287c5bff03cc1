"""The new callbacks against real Keras 3: ``RemoteMonitor`` posts the same request body
as Keras's to a local HTTP server (both formats); ``BackupAndRestore`` driven through the
same hook sequence writes the same metadata and restores the same epoch as Keras's;
``SwapEMAWeights`` swaps the optimizer's averages in and out around evaluation."""

from __future__ import annotations

import http.server
import json
import os
import threading
from typing import Any

import numpy as np
import pytest

import tensorweave as tw


class _Recorder(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802  (http.server's name)
        n = int(self.headers.get("Content-Length", 0))
        _Recorder.received.append((self.path, self.headers.get("Content-Type"),
                                   self.rfile.read(n)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Any:
    _Recorder.received = []
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("send_as_json", [False, True])
def test_remote_monitor_posts_what_keras_posts(keras: Any, server: str,
                                               send_as_json: bool) -> None:
    pytest.importorskip("requests")  # Keras's RemoteMonitor needs it
    logs = {"loss": 0.25, "accuracy": np.float32(0.5), "val_loss": np.array(0.75)}
    for lib in (tw, keras):
        cb = lib.callbacks.RemoteMonitor(root=server, path="/epoch/", field="payload",
                                         send_as_json=send_as_json)
        cb.on_epoch_end(3, dict(logs))
    (p1, t1, b1), (p2, t2, b2) = _Recorder.received
    assert p1 == p2 == "/epoch/"
    assert t1.split(";")[0] == t2.split(";")[0]
    if send_as_json:
        assert json.loads(b1) == json.loads(b2)
    else:
        from urllib.parse import parse_qs

        q1, q2 = parse_qs(b1.decode()), parse_qs(b2.decode())
        assert list(q1) == list(q2) == ["payload"]
        assert json.loads(q1["payload"][0]) == json.loads(q2["payload"][0]) == {
            "epoch": 3, "loss": 0.25, "accuracy": 0.5, "val_loss": 0.75}


def test_remote_monitor_unreachable_warns() -> None:
    cb = tw.callbacks.RemoteMonitor(root="http://127.0.0.1:9", path="/x")
    with pytest.warns(UserWarning, match="Could not reach"):
        cb.on_epoch_end(0, {"loss": 1.0})


class _FakeModel:
    """The model interface BackupAndRestore uses (both libraries)."""

    def __init__(self) -> None:
        self.built = True
        self.optimizer = None
        self.w = 0.0
        self._initial_epoch = None

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        with open(filepath, "w") as f:
            f.write(str(self.w))

    def load_weights(self, filepath: str, **kwargs: Any) -> None:
        with open(filepath) as f:
            self.w = float(f.read())


def _drive(cb: Any, model: _FakeModel, epochs: int, steps: int, stop_at: int | None) -> None:
    cb.set_model(model)
    cb.set_params({"epochs": epochs, "steps": steps})
    cb.on_train_begin()
    for epoch in range(model._initial_epoch or 0, epochs):
        cb.on_epoch_begin(epoch)
        for b in range(steps):
            model.w = epoch * 10 + b
            cb.on_train_batch_end(b, {"loss": 1.0})
        if epoch == stop_at:
            return  # interrupted: no on_epoch_end, no on_train_end
        cb.on_epoch_end(epoch, {"loss": 1.0})
    cb.on_train_end()


@pytest.mark.parametrize("kwargs", [{}, {"save_freq": 2}, {"double_checkpoint": True}])
def test_backup_and_restore_matches_keras(keras: Any, tmp_path: Any, kwargs: dict) -> None:
    results = []
    for lib in (tw, keras):
        d = str(tmp_path / lib.__name__)
        model = _FakeModel()
        _drive(lib.callbacks.BackupAndRestore(d, **kwargs), model, 4, 3, stop_at=2)
        meta = json.load(open(os.path.join(d, "training_metadata.json")))
        files = sorted(os.listdir(d))
        resumed = _FakeModel()
        lib.callbacks.BackupAndRestore(d, **kwargs).set_model(resumed)
        cb = lib.callbacks.BackupAndRestore(d, **kwargs)
        cb.set_model(resumed)
        cb.on_train_begin()
        results.append((meta, files, resumed.w, resumed._initial_epoch))
        cb.on_train_end()
        assert not os.path.exists(d)  # delete_checkpoint
    assert results[0] == results[1]


def test_swap_ema_weights_evaluates_with_the_averages() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = rng.normal(size=(32, 1)).astype("float32")
    model = tw.models.Sequential([tw.layers.Input((3,)), tw.layers.Dense(1)])
    model.compile(optimizer=tw.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.5),
                  loss="mse")
    # train_on_batch, not fit: fit ends by writing the averages into the model (Keras's
    # finalize_variable_values), which would leave nothing to swap
    for i in range(0, 32, 8):
        model.train_on_batch(x[i:i + 8], y[i:i + 8])
    opt = model.optimizer
    live = [v.numpy().copy() for v in model.trainable_variables]
    avg = [v.numpy().copy() for v in opt._model_variables_moving_average]
    assert not all(np.allclose(a, b) for a, b in zip(live, avg))
    cb = tw.callbacks.SwapEMAWeights()
    cb.set_model(model)
    cb.on_test_begin()
    for v, a in zip(model.trainable_variables, avg):
        np.testing.assert_array_equal(v.numpy(), a)
    cb.on_test_end()
    for v, w in zip(model.trainable_variables, live):
        np.testing.assert_array_equal(v.numpy(), w)
    with pytest.raises(tw.errors.InvalidArgumentError, match="use_ema"):
        m2 = tw.models.Sequential([tw.layers.Input((3,)), tw.layers.Dense(1)])
        m2.compile(optimizer="sgd", loss="mse")
        cb2 = tw.callbacks.SwapEMAWeights()
        cb2.set_model(m2)
        cb2.on_test_begin()
