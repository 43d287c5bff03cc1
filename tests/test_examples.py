"""Every example script runs (small settings) and shows what it claims."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tensorweave as tw

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_quickstart_seven_steps(capsys):
    acc = _load("quickstart").main(epochs=30, verbose=0)
    out = capsys.readouterr().out
    assert acc >= 0.97
    assert "test accuracy" in out and "same predictions" in out


def test_ops_tour_runs():
    r = subprocess.run([sys.executable, str(EXAMPLES / "ops_tour.py")], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    # it runs on the default backend, which the environment it inherits may set
    assert f"ran on backend {tw.backend()!r}" in r.stdout


def test_functional_two_heads(capsys):
    results = _load("functional_two_heads").main(epochs=3, verbose=0)
    assert {"digit_accuracy", "ink_mae", "loss"} <= set(results)
    assert results["digit_accuracy"] > 0.5


def test_custom_layer(capsys):
    acc = _load("custom_layer").main(epochs=5, verbose=0)
    out = capsys.readouterr().out
    assert acc > 0.8 and "same predictions: True" in out


def test_switch_backends_in_one_process(capsys, monkeypatch):
    # with TENSORWEAVE_BACKEND set the example runs that one backend only (tested below)
    monkeypatch.delenv("TENSORWEAVE_BACKEND", raising=False)
    out = _load("switch_backends").main()
    assert set(out) == {"numpy", "python"}
    assert "identical initial weights: True" in capsys.readouterr().out


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_switch_backends_with_the_environment_variable(backend):
    env = {**os.environ, "TENSORWEAVE_BACKEND": backend}
    r = subprocess.run([sys.executable, str(EXAMPLES / "switch_backends.py")],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert f"backend {backend}:" in r.stdout


def test_conformance_run(capsys):
    assert _load("conformance_run").main("numpy", "add,matmul,softmax")
    assert "0 ops failing" in capsys.readouterr().out


def test_regression_on_simulated_data(capsys):
    mse = _load("regression_simulated").main(epochs=20, verbose=0)
    assert mse < 0.02  # targets have unit variance: far better than predicting the mean
    assert "noise floor" in capsys.readouterr().out


def test_cnn_shapes_folder_with_image_data_generator(capsys, tmp_path):
    pytest.importorskip("PIL")
    acc = _load("cnn_shapes_folder").main(epochs=15, per_class=20, verbose=0,
                                          workdir=str(tmp_path))
    out = capsys.readouterr().out
    assert acc >= 0.9
    assert "Found 60 images belonging to 3 classes." in out and "test accuracy" in out
    assert (tmp_path / "shapes" / "train" / "triangle" / "triangle_19.png").exists()


def test_text_sequences_with_masks_lstm_and_attention(capsys):
    results = _load("text_sequences").main(epochs=8, verbose=0)
    assert set(results) == {"bidirectional LSTM", "self-attention"}
    assert min(results.values()) > 0.9, results
    assert "test accuracy" in capsys.readouterr().out
