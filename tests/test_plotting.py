"""``tw.utils.plot_history``, ``model_to_dot`` and ``plot_model``.

Drawing tests need matplotlib (the ``plot`` extra) and are skipped without it; rendering
tests need Graphviz's ``dot`` program (``apt-get install graphviz``) and are skipped
without it. The DOT text and the fallbacks are tested everywhere.
"""

from __future__ import annotations

import shutil
import sys
import warnings

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError, TensorweaveError
from tensorweave.utils import plotting

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz 'dot' is not installed "
                                                  "(apt-get install graphviz)")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _history():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((4,)), L.Dense(8, activation="relu"),
                           L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, epochs=4, batch_size=10, validation_split=0.25, verbose=0)


def _functional():
    a = tw.Input((3,), name="in_a")
    b = tw.Input((3,), name="in_b")
    shared = L.Dense(4, name="shared")
    h = L.Concatenate(name="cat")([shared(a), shared(b)])
    return tw.Model([a, b], L.Dense(1, activation="sigmoid", name="out")(h))


# ---- plot_history ------------------------------------------------------------------------
def test_plot_history_draws_train_and_validation_curves_to_png(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is optional (tensorweave[plot])")
    pyplot_before = "matplotlib.pyplot" in sys.modules
    hist = _history()
    path = tmp_path / "curves.png"
    fig = tw.utils.plot_history(hist, path)
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 5000
    from matplotlib.image import imread

    img = imread(str(path))
    assert img.shape[0] > 200 and img.shape[1] > 400  # two panels side by side
    assert img[..., :3].std() > 0.05  # not a blank picture
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in axes] == ["loss", "accuracy"]
    for ax, key in zip(axes, ["loss", "accuracy"]):
        lines = {ln.get_label(): ln for ln in ax.get_lines()}
        assert set(lines) == {"training", "validation"}
        np.testing.assert_allclose(lines["training"].get_ydata(), hist.history[key])
        np.testing.assert_allclose(lines["validation"].get_ydata(), hist.history[f"val_{key}"])
        np.testing.assert_array_equal(lines["training"].get_xdata(), [1, 2, 3, 4])
    # drawn with the Agg canvas directly: pyplot (and its global state) is not touched
    assert ("matplotlib.pyplot" in sys.modules) == pyplot_before


def test_plot_history_accepts_dicts_formats_and_metric_choice(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is optional (tensorweave[plot])")
    h = {"loss": [1.0, 0.5, 0.25], "mae": [0.9, 0.6, 0.4], "val_mae": [1.0, 0.7, 0.5],
         "learning_rate": [0.1, 0.1, 0.05]}
    fig = tw.utils.plot_history(h, tmp_path / "c.svg", metrics=["mae"])
    assert (tmp_path / "c.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert [ax.get_title() for ax in fig.axes if ax.get_visible()] == ["mae"]
    fig = tw.utils.plot_history(h)  # no file: the figure only
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles[0] == "loss" and titles[-1] == "learning rate"
    assert list(tmp_path.iterdir()) == [tmp_path / "c.svg"]


def test_plot_history_errors_name_the_problem(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is optional (tensorweave[plot])")
    with pytest.raises(InvalidArgumentError, match=r"'acc'\].*logged keys"):
        tw.utils.plot_history({"loss": [1.0]}, metrics=["acc"])
    with pytest.raises(InvalidArgumentError, match="empty"):
        tw.utils.plot_history({})
    with pytest.raises(InvalidArgumentError, match="History"):
        tw.utils.plot_history([1, 2, 3])
    with pytest.raises(InvalidArgumentError, match="format"):
        tw.utils.plot_history({"loss": [1.0, 0.5]}, tmp_path / "c.nosuchformat")


def test_plot_history_without_matplotlib_says_which_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(plotting.OptionalDependencyError,
                       match=r"pip install 'tensorweave\[plot\]'") as info:
        tw.utils.plot_history({"loss": [1.0, 0.5]}, "x.png")
    assert isinstance(info.value, TensorweaveError) and isinstance(info.value, ImportError)


# ---- model_to_dot ------------------------------------------------------------------------
def test_model_to_dot_sequential_records_with_shapes():
    model = tw.Sequential([tw.Input((4,)), L.Dense(8, activation="relu", name="hidden"),
                           L.Dense(2, name="logits")], name="mlp")
    dot = tw.utils.model_to_dot(model, show_shapes=True)
    assert dot.startswith('digraph "mlp" {') and dot.rstrip().endswith("}")
    assert "shape=record" in dot
    assert 'label="hidden: Dense|{input:|output:}|{{(None, 4)}|{(None, 8)}}"' in dot
    assert 'label="logits: Dense|{input:|output:}|{{(None, 8)}|{(None, 2)}}"' in dot
    assert dot.count("->") == 2  # input -> hidden -> logits
    plain = tw.utils.model_to_dot(model)
    assert "(None, 8)" not in plain and "hidden: Dense" in plain


def test_model_to_dot_functional_edges_follow_the_graph():
    dot = tw.utils.model_to_dot(_functional(), show_shapes=True, show_dtype=True,
                                show_trainable=True, rankdir="LR")
    ids = {}
    for line in dot.splitlines():
        if "[label=" in line:
            node_id = line.split()[0]
            ids[line.split('label="')[1].split(":")[0]] = node_id
    assert set(ids) == {"in_a", "in_b", "shared", "cat", "out"}
    edges = {tuple(line.strip(" ;").split(" -> ")) for line in dot.splitlines() if "->" in line}
    assert edges == {(ids["in_a"], ids["shared"]), (ids["in_b"], ids["shared"]),
                     (ids["shared"], ids["cat"]), (ids["cat"], ids["out"])}
    assert "[(None, 4), (None, 4)]" in dot and "dtype: float32" in dot and "rankdir=LR" in dot


def test_model_to_dot_subclassed_lists_layers_without_edges():
    class Net(tw.Model):
        def __init__(self):
            super().__init__()
            self.a = L.Dense(3)
            self.b = L.Dense(1)

        def call(self, x):
            return self.b(self.a(x))

    net = Net()
    net(np.ones((2, 4), "float32"))
    dot = tw.utils.model_to_dot(net)
    assert dot.count("[label=") == 2 and "->" not in dot


def test_model_to_dot_rejects_bad_arguments():
    model = _functional()
    with pytest.raises(InvalidArgumentError, match="rankdir"):
        tw.utils.model_to_dot(model, rankdir="XY")
    with pytest.raises(InvalidArgumentError, match="expand_nested"):
        tw.utils.model_to_dot(model, expand_nested=True)
    with pytest.raises(InvalidArgumentError, match="model"):
        tw.utils.model_to_dot(42)


# ---- plot_model --------------------------------------------------------------------------
def test_plot_model_without_graphviz_writes_dot_text_and_warns(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting.shutil, "which", lambda name: None)
    model = _functional()
    with pytest.warns(plotting.GraphvizNotFoundWarning, match=r"apt-get install graphviz"):
        written = tw.utils.plot_model(model, tmp_path / "model.png", show_shapes=True)
    assert written == tmp_path / "model.dot"
    assert not (tmp_path / "model.png").exists()
    # plot_model shows no layer names by default (Keras), model_to_dot does
    assert written.read_text() == tw.utils.model_to_dot(model, show_shapes=True,
                                                        show_layer_names=False)


def test_plot_model_dot_suffix_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting.shutil, "which", lambda name: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = tw.utils.plot_model(_functional(), tmp_path / "g.gv")
    assert out.read_text().startswith("digraph")
    with pytest.raises(InvalidArgumentError, match="suffix"):
        tw.utils.plot_model(_functional(), tmp_path / "noformat")


@needs_dot
def test_plot_model_renders_png_and_svg_with_graphviz(tmp_path):
    model = _functional()
    png = tw.utils.plot_model(model, tmp_path / "model.png", show_shapes=True, dpi=96)
    assert png == tmp_path / "model.png" and png.read_bytes().startswith(PNG_MAGIC)
    # Keras 3 leaves layer names out by default (show_layer_names=False); ask for them
    svg = tw.utils.plot_model(model, tmp_path / "model.svg", show_shapes=True,
                              show_layer_names=True)
    text = svg.read_text()
    assert "<svg" in text
    for name in ("in_a", "in_b", "shared", "cat", "out", "(None, 4)"):
        assert name in text
    assert text.count('class="edge"') == 4


@needs_dot
def test_plot_model_unknown_format_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidArgumentError, match="could not draw format"):
        tw.utils.plot_model(_functional(), tmp_path / "model.nosuchformat")
