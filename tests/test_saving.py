"""Whole-model files and weight files (``tw.saving``): the user workflow, safety and damage.

What is checked, by behaviour:

* ``model.save(path)`` writes one ZIP (config JSON + safetensors weights + optimizer state)
  whatever the file name; ``tw.models.load_model`` rebuilds Sequential, functional
  (multi-input/output, shared layers, nested) and registered subclassed models, compiled
  as they were, and training continues;
* loading never unpickles, evaluates or imports: module-path names, pickles, HDF5 and
  Lambda layers are refused (Lambda unless ``safe_mode=False`` and the caller gives the
  function);
* writes are atomic: an exception half-way or a ``kill -9`` leaves the previous file;
* damaged files (truncated, bit flips, edited configs, another architecture) raise
  ``SerializationError`` or load identical values, and never change the model passed to
  ``load_weights``;
* a file moves between the numpy and python backends; a resumed run equals an
  uninterrupted one (Adam moments and iterations restored).
"""

from __future__ import annotations

import ast
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import SerializationError, TensorweaveError

SAVING_DIR = Path(tw.saving.__file__).resolve().parent


# ---- helpers and registered custom objects --------------------------------------------------
@tw.saving.register_keras_serializable(package="test_saving")
class Scale(L.Layer):
    """A custom layer with a weight and a constructor argument."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor


@tw.saving.register_keras_serializable(package="test_saving")
class TwoLayerNet(tw.Model):
    """A subclassed model (layers exist only once it is called)."""

    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = L.Dense(units, activation="relu")
        self.scale = Scale(0.5)
        self.out = L.Dense(2, activation="softmax")

    def call(self, x):
        return self.out(self.scale(self.hidden(x)))


@tw.saving.register_keras_serializable(package="test_saving")
def doubled_mse(y_true, y_pred):
    return 2.0 * tw.ops.mean(tw.ops.square(y_true - y_pred), axis=-1)


class Unregistered(L.Layer):
    def call(self, x):
        return x * 3.0


def _data(n=32, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x, y


def _mlp(d=4, compiled=True, seed=3):
    tw.utils.set_random_seed(seed)
    model = tw.Sequential([tw.Input((d,)), L.Dense(8, activation="relu"),
                           L.Dense(2, activation="softmax")])
    if compiled:
        model.compile(optimizer=tw.optimizers.Adam(0.01),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _trained_mlp():
    model = _mlp()
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    return model


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _assert_same_weights(a, b):
    wa, wb = _weights(a) if not isinstance(a, list) else a, \
        _weights(b) if not isinstance(b, list) else b
    assert len(wa) == len(wb)
    for p, q in zip(wa, wb):
        np.testing.assert_array_equal(p, q)


def _opt_state(model):
    return [np.array(v.numpy()) for v in model.optimizer.variables]


def _as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _rewrite_member(src: Path, dst: Path, name: str, data: bytes) -> None:
    """Copy a model ZIP, replacing one member (a well-formed file with edited contents)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == name else zin.read(info))


def _edit_config(src: Path, dst: Path, edit) -> None:
    with zipfile.ZipFile(src) as z:
        cfg = json.loads(z.read("config.json"))
    edit(cfg)
    _rewrite_member(src, dst, "config.json", json.dumps(cfg).encode())


# ---- the file ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["model.tw", "model", "model.bin"])
def test_save_writes_one_zip_whatever_the_name(tmp_path, name):
    model = _trained_mlp()
    path = tmp_path / name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no suffix note any more: .keras/.h5 are Keras's
        model.save(path)
    assert sorted(os.listdir(tmp_path)) == [name]  # one file, no leftovers
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert names == ["metadata.json", "config.json", "model.weights.safetensors",
                         "optimizer.safetensors"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        meta = json.loads(z.read("metadata.json"))
        config = json.loads(z.read("config.json"))
    assert meta["format"] == "tensorweave-model" and meta["format_version"] == 1
    assert config["class_name"] == "Sequential"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    x, _ = _data()
    loaded = tw.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["m.keras", "m.h5", "m.hdf5"])
def test_keras_suffixes_write_keras_formats_that_load_back(tmp_path, name):
    """.keras is Keras 3's archive, .h5 legacy Keras HDF5 (tests/oracle checks Keras reads
    them); both load back here with the same predictions and compile settings."""
    pytest.importorskip("h5py")
    model = _trained_mlp()
    model.save(tmp_path / name)
    assert sorted(os.listdir(tmp_path)) == [name]  # atomic: no leftovers
    data = (tmp_path / name).read_bytes()
    if name.endswith(".keras"):
        with zipfile.ZipFile(tmp_path / name) as z:
            assert sorted(z.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
            config = json.loads(z.read("config.json"))
        assert config["class_name"] == "Sequential" and config["module"] == "keras"
        assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    else:
        assert data[:8] == b"\x89HDF\r\n\x1a\n"
    x, _ = _data()
    loaded = tw.models.load_model(tmp_path / name)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    fresh = _mlp(compiled=False, seed=9)  # the weights of the whole-model file
    fresh.load_weights(tmp_path / name)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["w.weights.h5", "w.h5"])
def test_keras_weights_files_round_trip_and_fail_closed(tmp_path, name):
    pytest.importorskip("h5py")
    model = _trained_mlp()
    model.save_weights(tmp_path / name)
    x, _ = _data()
    fresh = _mlp(compiled=False)
    fresh.load_weights(tmp_path / name)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    other = _mlp(d=5, compiled=False)
    before = [w.numpy().copy() for w in other.weights]
    with pytest.raises(SerializationError, match="shape"):
        other.load_weights(tmp_path / name)
    for b, w in zip(before, other.weights):
        np.testing.assert_array_equal(b, w.numpy())
    with pytest.warns(UserWarning, match="skip_mismatch"):  # Keras's per-layer skipping
        other.load_weights(tmp_path / name, skip_mismatch=True)
    np.testing.assert_array_equal(other.weights[0].numpy(), before[0])  # (5, h): skipped
    for got, want in zip(other.weights[2:], model.weights[2:]):  # the next layer: loaded
        np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_keras_formats_without_h5py_name_the_extra(tmp_path, monkeypatch):
    from tensorweave.errors import MissingDependencyError

    pytest.importorskip("h5py")
    model = _mlp(compiled=False)
    model.save(tmp_path / "m.keras")
    monkeypatch.setitem(sys.modules, "h5py", None)  # import h5py now raises ImportError
    for call in (lambda: model.save(tmp_path / "n.keras"),
                 lambda: model.save_weights(tmp_path / "n.weights.h5"),
                 lambda: tw.models.load_model(tmp_path / "m.keras"),
                 lambda: model.load_weights(tmp_path / "m.keras")):
        with pytest.raises(MissingDependencyError, match=r"tensorweave\[h5\]"):
            call()
    assert not (tmp_path / "n.keras").exists()


def test_subclassed_model_cannot_be_a_keras_file(tmp_path):
    pytest.importorskip("h5py")

    class Sub(tw.Model):
        def __init__(self):
            super().__init__()
            self.d = L.Dense(2)

        def call(self, x):
            return self.d(x)

    m = Sub()
    m(np.ones((1, 3), "float32"))
    with pytest.raises(SerializationError, match="subclassed"):
        m.save(tmp_path / "s.keras")
    assert not (tmp_path / "s.keras").exists()
    m.save_weights(tmp_path / "s.weights.h5")  # the weights are fine
    n = Sub()
    n(np.ones((1, 3), "float32"))
    n.load_weights(tmp_path / "s.weights.h5")
    np.testing.assert_array_equal(n.d.kernel.numpy(), m.d.kernel.numpy())


def test_saved_file_is_readable_by_others(tmp_path):
    """The temporary file's private 0o600 mode must not leak into the model file."""
    umask = os.umask(0o022)
    os.umask(umask)
    path = tmp_path / "m.tw"
    _mlp(compiled=False).save(path)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    os.chmod(path, 0o640)
    _mlp(compiled=False).save(path)  # overwriting keeps the file's mode
    assert path.stat().st_mode & 0o777 == 0o640


def test_overwrite_false_and_bad_targets(tmp_path):
    model = _mlp(compiled=False)
    path = tmp_path / "m.tw"
    model.save(path)
    with pytest.raises(SerializationError, match="overwrite=False"):
        model.save(path, overwrite=False)
    with pytest.raises(SerializationError, match="folder"):
        model.save(tmp_path)
    with pytest.raises(SerializationError, match="no file"):
        tw.models.load_model(tmp_path / "missing.tw")
    with pytest.raises(SerializationError, match="folder"):
        tw.models.load_model(tmp_path)


# ---- rebuilding every kind of model ---------------------------------------------------------
def test_sequential_round_trip_compiled_and_training_continues(tmp_path):
    model = _trained_mlp()
    x, y = _data()
    model.optimizer.learning_rate = 0.005  # e.g. set by ReduceLROnPlateau
    path = tmp_path / "m.tw"
    model.save(path)
    loaded = tw.models.load_model(path)
    assert type(loaded) is tw.Sequential and loaded.compiled
    assert type(loaded.optimizer).__name__ == "Adam"
    assert loaded.optimizer.learning_rate == pytest.approx(0.005)
    _assert_same_weights(model, loaded)
    for a, b in zip(_opt_state(model), _opt_state(loaded)):
        np.testing.assert_array_equal(a, b)
    # same loss and metrics
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    # training continues identically
    h1 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert h1.history == h2.history
    _assert_same_weights(model, loaded)


def test_compile_false_gives_an_uncompiled_model(tmp_path):
    model = _trained_mlp()
    model.save(tmp_path / "m.tw")
    loaded = tw.models.load_model(tmp_path / "m.tw", compile=False)
    assert not loaded.compiled
    _assert_same_weights(model, loaded)


def test_uncompiled_and_unbuilt_optimizer_states(tmp_path):
    """A model compiled but never trained has no Adam slots yet: it still round-trips."""
    model = _mlp()
    model.save(tmp_path / "m.tw")
    loaded = tw.models.load_model(tmp_path / "m.tw")
    x, y = _data()
    h1 = model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    h2 = loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    assert h1.history == h2.history


def _multi_io_model():
    a = tw.Input((3,), name="in_a")
    b = tw.Input((3,), name="in_b")
    shared = L.Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)  # one layer, two calls
    reg = L.Dense(1, name="reg")(L.Concatenate()([ha, hb]))
    cls = L.Dense(2, activation="softmax", name="cls")(Scale(1.5)(hb))
    return tw.Model([a, b], [reg, cls])


def test_functional_multi_input_output_shared_layers(tmp_path):
    model = _multi_io_model()
    rng = np.random.default_rng(1)
    x = [rng.standard_normal((8, 3)).astype("float32") for _ in range(2)]
    y = [rng.standard_normal((8, 1)).astype("float32"), np.arange(8) % 2]
    model.compile(optimizer="rmsprop", loss=["mse", "sparse_categorical_crossentropy"],
                  loss_weights=[0.5, 1.0], metrics=[["mae"], ["accuracy"]])
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    model.save(tmp_path / "f.tw")
    loaded = tw.models.load_model(tmp_path / "f.tw")
    assert loaded.input_names == ["in_a", "in_b"] and loaded.output_names == ["reg", "cls"]
    assert len(loaded.weights) == len(model.weights) == 7  # the shared Dense counted once
    for p, q in zip(_as_list(model.predict(x, verbose=0)), _as_list(loaded.predict(x, verbose=0))):
        np.testing.assert_array_equal(p, q)
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    h1 = model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    h2 = loaded.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    assert h1.history == h2.history


def test_nested_models(tmp_path):
    inner_seq = tw.Sequential([tw.Input((3,)), L.Dense(4, activation="relu")], name="inner_seq")
    i0 = tw.Input((4,))
    inner_fn = tw.Model(i0, L.Dense(4)(i0), name="inner_fn")
    inp = tw.Input((3,))
    h = inner_fn(inner_fn(inner_seq(inp)))  # a nested functional model called twice
    model = tw.Model(inp, L.Dense(2)(h))
    x = np.random.default_rng(2).standard_normal((5, 3)).astype("float32")
    model.save(tmp_path / "n.tw")
    loaded = tw.models.load_model(tmp_path / "n.tw")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == \
        [type(layer).__name__ for layer in model.layers]


def test_subclassed_registered_model_round_trip_and_keeps_training(tmp_path):
    model = TwoLayerNet(6)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _data()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "s.tw")
    loaded = tw.models.load_model(tmp_path / "s.tw")  # registered: no custom_objects
    assert type(loaded) is TwoLayerNet and loaded.units == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    h1 = model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    h2 = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    assert h1.history == h2.history


def test_registered_custom_loss_function_restores_compile(tmp_path):
    model = _mlp()
    model.compile(optimizer="sgd", loss=doubled_mse, metrics=["mae"])
    x = _data()[0]
    y = np.random.default_rng(0).random((32, 2)).astype("float32")
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    model.save(tmp_path / "c.tw")
    with zipfile.ZipFile(tmp_path / "c.tw") as z:
        assert json.loads(z.read("config.json"))["compile_config"]["loss"] == \
            "test_saving>doubled_mse"
    loaded = tw.models.load_model(tmp_path / "c.tw")
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)


def test_unregistered_class_needs_custom_objects(tmp_path):
    inp = tw.Input((3,))
    model = tw.Model(inp, L.Dense(2)(Unregistered()(inp)))
    model.save(tmp_path / "u.tw")
    with pytest.raises(SerializationError, match=r"'Unregistered'.*custom_objects"):
        tw.models.load_model(tmp_path / "u.tw")
    x = np.ones((2, 3), "float32")
    loaded = tw.models.load_model(tmp_path / "u.tw", custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with tw.saving.custom_object_scope({"Unregistered": Unregistered}):
        tw.models.load_model(tmp_path / "u.tw")


def test_to_json_and_model_from_json():
    model = _multi_io_model()
    clone = tw.models.model_from_json(model.to_json()) if hasattr(tw.models, "model_from_json") \
        else tw.saving.model_from_json(model.to_json())
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]


# ---- safety: nothing in the file runs ------------------------------------------------------
def test_loader_source_never_unpickles_evaluates_or_imports():
    """h5py (for Keras's HDF5 weights) is imported in h5.py alone, which reads datasets of
    numbers and never h5py's object/pickle features."""
    banned_modules = {"pickle", "cPickle", "_pickle", "marshal", "dill", "cloudpickle", "shelve",
                      "joblib", "importlib", "runpy", "h5py", "yaml"}
    banned_calls = {"eval", "exec", "compile", "__import__", "import_module", "loads_pickle"}
    files = sorted(SAVING_DIR.glob("*.py"))
    assert files
    for f in files:
        tree = ast.parse(f.read_text(), str(f))
        banned = banned_modules - {"h5py"} if f.name == "h5.py" else banned_modules
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & banned, f
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] not in banned_modules, f
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.id if isinstance(fn, ast.Name) else \
                    fn.attr if isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name) \
                    and fn.value.id in ("builtins", "importlib") else None
                assert name not in banned_calls, f"{f.name}:{node.lineno} calls {name}"


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """An importable module that leaves a marker file if anything imports it."""
    marker = tmp_path / "IMPORTED"
    (tmp_path / "tw_evil_mod.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Evil:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop("tw_evil_mod", None)


@pytest.mark.parametrize("edit", [
    lambda c: c["config"]["layers"][0].update(class_name="tw_evil_mod.Evil"),
    lambda c: c["config"]["layers"][0].update(class_name="tw_evil_mod:Evil",
                                              module="tw_evil_mod"),
    lambda c: c["config"]["layers"][0].update(module="tw_evil_mod", class_name="Evil",
                                              registered_name="tw_evil_mod.Evil"),
    lambda c: c.update(class_name="keras.src.models.sequential.Sequential"),
    lambda c: c["compile_config"].update(loss="tw_evil_mod.Evil"),
    lambda c: c["compile_config"].update(optimizer={"class_name": "tw_evil_mod.Evil",
                                                    "module": "tw_evil_mod", "config": {}}),
])
def test_module_paths_in_the_config_are_refused_and_never_imported(tmp_path, evil_module, edit):
    src = tmp_path / "m.tw"
    _mlp().save(src)
    bad = tmp_path / "bad.tw"
    _edit_config(src, bad, edit)
    with pytest.raises(SerializationError):
        tw.models.load_model(bad)
    assert not evil_module.exists() and "tw_evil_mod" not in sys.modules


def test_pickles_and_hdf5_are_refused_without_being_read(tmp_path):
    import pickle

    marker = tmp_path / "UNPICKLED"

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    blob = pickle.dumps(Payload())
    (tmp_path / "p.h5").write_bytes(blob)
    with pytest.raises(SerializationError, match="pickle"):
        tw.models.load_model(tmp_path / "p.h5")
    with pytest.raises(SerializationError, match="pickle"):
        _mlp(compiled=False).load_weights(tmp_path / "p.h5")
    # a pickle where the weights should be, inside a well-formed model ZIP
    good = tmp_path / "m.tw"
    _mlp(compiled=False).save(good)
    _rewrite_member(good, tmp_path / "pk.tw", "model.weights.safetensors", blob)
    with pytest.raises(SerializationError):
        tw.models.load_model(tmp_path / "pk.tw")
    assert not marker.exists()
    (tmp_path / "k2.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(SerializationError, match="HDF5"):
        tw.models.load_model(tmp_path / "k2.h5")


def test_lambda_save_says_why_and_load_needs_safe_mode_false_and_the_function(tmp_path):
    model = tw.Sequential([tw.Input((3,)), L.Lambda(lambda t: t * 2.0), L.Dense(2)])
    with pytest.raises(SerializationError, match=r"Lambda.*not serializable"):
        model.save(tmp_path / "l.tw")
    assert not (tmp_path / "l.tw").exists()
    # a file that names a Lambda's function (as Keras files do)
    src = tmp_path / "m.tw"
    tw.Sequential([tw.Input((3,)), L.Dense(2)]).save(src)
    lam = {"class_name": "Lambda", "config": {"name": "lam", "function": "times_two"}}
    bad = tmp_path / "lam.tw"
    _edit_config(src, bad, lambda c: c["config"]["layers"].insert(0, lam))
    for safe in (True, None, 0, "False"):  # only the literal False turns safety off
        with pytest.raises(SerializationError, match="Lambda"):
            tw.models.load_model(bad, safe_mode=safe)
    with pytest.raises(SerializationError, match="custom_objects"):
        tw.models.load_model(bad, safe_mode=False)

    def times_two(t):
        return t * 2.0

    loaded = tw.models.load_model(bad, safe_mode=False, custom_objects={"times_two": times_two})
    x = np.ones((1, 3), "float32")
    dense = loaded.layers[-1]
    np.testing.assert_allclose(loaded.predict(x, verbose=0),
                               2.0 * x @ dense.kernel.numpy() + dense.bias.numpy(), rtol=1e-6)
    # bytecode-like data where the function should be is never run, even when unsafe
    code = tmp_path / "code.tw"
    lam_code = {"class_name": "Lambda", "config": {"name": "lam", "function": ["4wEAAAAA", None]}}
    _edit_config(src, code, lambda c: c["config"]["layers"].insert(0, lam_code))
    with pytest.raises(SerializationError, match="never runs"):
        tw.models.load_model(code, safe_mode=False)
    # a file cannot switch safe mode off for itself
    selfish = tmp_path / "selfish.tw"
    _edit_config(src, selfish, lambda c: (c.update(safe_mode=False),
                                          c["config"]["layers"].insert(0, lam)))
    with pytest.raises(SerializationError, match="Lambda"):
        tw.models.load_model(selfish, custom_objects={"times_two": times_two})


def test_nested_lambda_is_refused_too(tmp_path):
    inner = {"class_name": "Sequential", "config": {
        "name": "inner", "layers": [{"class_name": "Lambda",
                                     "config": {"name": "l", "function": "f"}}],
        "build_input_shape": [None, 3]}}
    src = tmp_path / "m.tw"
    tw.Sequential([tw.Input((3,)), L.Dense(2)]).save(src)
    bad = tmp_path / "nested.tw"
    _edit_config(src, bad, lambda c: c["config"]["layers"].insert(0, inner))
    with pytest.raises(SerializationError, match="Lambda"):
        tw.models.load_model(bad)
    with pytest.raises(SerializationError, match="Lambda"):
        tw.saving.model_from_json(json.dumps({"class_name": "Sequential", "config": {
            "name": "s", "layers": [inner], "build_input_shape": [None, 3]}}))


def test_newer_format_version_is_refused(tmp_path):
    src = tmp_path / "m.tw"
    _mlp(compiled=False).save(src)
    with zipfile.ZipFile(src) as z:
        meta = json.loads(z.read("metadata.json"))
    meta["format_version"] = 99
    _rewrite_member(src, tmp_path / "new.tw", "metadata.json", json.dumps(meta).encode())
    with pytest.raises(SerializationError, match="version 99"):
        tw.models.load_model(tmp_path / "new.tw")


# ---- weights files ------------------------------------------------------------------------
def test_save_weights_load_weights(tmp_path):
    model = _trained_mlp()
    model.save_weights(tmp_path / "w.safetensors")
    other = _mlp(seed=99)
    assert any(np.any(a != b) for a, b in zip(_weights(model), _weights(other)))
    other.load_weights(tmp_path / "w.safetensors")
    _assert_same_weights(model, other)
    # the weights of a whole-model file too
    model.save(tmp_path / "m.tw")
    third = _mlp(seed=98)
    third.load_weights(tmp_path / "m.tw")
    _assert_same_weights(model, third)


def test_load_weights_needs_a_built_model(tmp_path):
    _trained_mlp().save_weights(tmp_path / "w.safetensors")
    with pytest.raises(SerializationError, match="build it first"):
        TwoLayerNet().load_weights(tmp_path / "w.safetensors")


def test_load_weights_of_another_architecture_changes_nothing(tmp_path):
    small = _mlp()
    big = tw.Sequential([tw.Input((4,)), L.Dense(16), L.Dense(2)])
    big.save(tmp_path / "big.tw")
    big.save_weights(tmp_path / "big.safetensors")
    deeper = tw.Sequential([tw.Input((4,)), L.Dense(8), L.Dense(8), L.Dense(2)])
    deeper.save_weights(tmp_path / "deeper.safetensors")
    before = _weights(small)
    for f, msg in (("big.tw", "shape"), ("big.safetensors", "shape"),
                   ("deeper.safetensors", "6 weights")):
        with pytest.raises(SerializationError, match=msg):
            small.load_weights(tmp_path / f)
        _assert_same_weights(before, small)
    with pytest.warns(UserWarning, match="skipped"):
        small.load_weights(tmp_path / "big.safetensors", skip_mismatch=True)


def test_weight_files_interoperate_with_the_safetensors_package(tmp_path):
    st = pytest.importorskip("safetensors.numpy", reason="the safetensors package is optional")
    model = _trained_mlp()
    model.save_weights(tmp_path / "w.safetensors")
    theirs = st.load_file(str(tmp_path / "w.safetensors"))
    assert sorted(theirs) == [f"weights/{i:05d}" for i in range(4)]
    for i, w in enumerate(_weights(model)):
        np.testing.assert_array_equal(theirs[f"weights/{i:05d}"], w)
    with zipfile.ZipFile(_save(model, tmp_path / "m.tw")) as z:
        opt = st.load(z.read("optimizer.safetensors"))
    assert int(opt["optimizer/00000"]) == int(model.optimizer.iterations.numpy())
    # and a file written by the safetensors package loads here
    other = _mlp(seed=5)
    st.save_file({k: v * 2 for k, v in theirs.items()}, str(tmp_path / "theirs.safetensors"))
    other.load_weights(tmp_path / "theirs.safetensors")
    for a, b in zip(_weights(other), _weights(model)):
        np.testing.assert_array_equal(a, 2 * b)


def _save(model, path):
    model.save(path)
    return path


# ---- atomic writes --------------------------------------------------------------------------
def test_failed_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.tw"
    old = _trained_mlp()
    old.save(path)
    new = _mlp(seed=11)

    def boom(*args, **kwargs):
        raise OSError(5, "I/O error (injected)")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(SerializationError, match="injected"):
        new.save(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["m.tw"]  # the temporary file is gone
    _assert_same_weights(old, tw.models.load_model(path))


def test_write_that_fails_half_way_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.safetensors"
    old = _trained_mlp()
    old.save_weights(path)
    import tensorweave.saving.atomic as atomic

    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            raise OSError(28, "No space left on device (injected)")

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    with pytest.raises(SerializationError, match="No space"):
        _mlp(seed=12).save_weights(path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["w.safetensors"]
    fresh = _mlp(seed=13)
    fresh.load_weights(path)
    _assert_same_weights(old, fresh)


_SAVER = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorweave as tw
    path = sys.argv[1]
    model = tw.Sequential([tw.Input((1000,)), tw.layers.Dense(2000), tw.layers.Dense(10)])
    i = 0
    while True:
        i += 1
        for v in model.weights:
            v.assign(np.full(tuple(v.shape), float(i), "float32"))
        model.save(path)
        print(i, flush=True)
""")


def test_kill_9_while_saving_leaves_a_loadable_file(tmp_path):
    """A process killed at a random moment of a save loop: the file on disk is always a
    whole model (every weight holds one save's value), never a mix or a torn file."""
    path = tmp_path / "big.tw"
    rng = np.random.default_rng(0)
    last_seen = 0
    for round_ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", _SAVER, str(path)],
                                stdout=subprocess.PIPE, text=True)
        try:
            for _ in range(2):  # at least two complete saves this round
                line = proc.stdout.readline()
                assert line, "the saver died"
            time.sleep(float(rng.uniform(0.0, 0.15)))
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        model = tw.models.load_model(path)
        values = {float(np.unique(w)[0]) for w in _weights(model)}
        assert all(np.unique(w).size == 1 for w in _weights(model))
        assert len(values) == 1, f"round {round_}: a mix of saves {values}"
        last_seen = max(last_seen, int(values.pop()))
    assert last_seen >= 2


# ---- damaged files ------------------------------------------------------------------------
def _member_spans(data: bytes) -> dict[str, tuple[int, int]]:
    spans = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            h = info.header_offset
            name_len = int.from_bytes(data[h + 26:h + 28], "little")
            extra_len = int.from_bytes(data[h + 28:h + 30], "little")
            start = h + 30 + name_len + extra_len
            spans[info.filename] = (start, start + info.compress_size)
    return spans


def _flip_positions(data: bytes, rng) -> list[int]:
    spans = _member_spans(data)
    pos = list(rng.integers(0, len(data), 60))
    for member, count in (("config.json", 20), ("metadata.json", 5),
                          ("model.weights.safetensors", 40), ("optimizer.safetensors", 15)):
        a, b = spans[member]
        if member.endswith("safetensors"):
            n = int.from_bytes(data[a:a + 8], "little")
            pos += list(rng.integers(a, a + 8 + n, count // 2))  # length + JSON header
            pos += list(rng.integers(a + 8 + n, b, count - count // 2))  # tensor bytes
        else:
            pos += list(rng.integers(a, b, count))
    return sorted(set(int(p) for p in pos))


def test_fuzzed_model_files_fail_cleanly_or_load_identical_values(tmp_path):
    model = _trained_mlp()
    good = tmp_path / "good.tw"
    model.save(good)
    data = good.read_bytes()
    x, _ = _data()
    want = model.predict(x, verbose=0)
    want_opt = _opt_state(model)
    target = _mlp(seed=21)  # the model load_weights must never damage
    target_before = _weights(target)
    rng = np.random.default_rng(2024)
    cases = [("trunc", n, data[:n]) for n in
             sorted(set(np.linspace(0, len(data) - 1, 40).astype(int)) |
                    {s for span in _member_spans(data).values() for s in span
                     if s < len(data)})]
    for p in _flip_positions(data, rng):
        bit = 1 << int(rng.integers(0, 8))
        flipped = bytearray(data)
        flipped[p] ^= bit
        cases.append(("flip", p, bytes(flipped)))
    bad = tmp_path / "bad.tw"
    outcomes = {"error": 0, "identical": 0}
    for kind, where, blob in cases:
        bad.write_bytes(blob)
        try:
            loaded = tw.models.load_model(bad)
        except SerializationError as exc:
            assert str(exc), (kind, where)
            outcomes["error"] += 1
        else:
            assert kind == "flip", f"a file truncated at {where} loaded"
            np.testing.assert_array_equal(loaded.predict(x, verbose=0), want,
                                          err_msg=f"{kind} at {where}")
            for a, b in zip(_opt_state(loaded), want_opt):
                np.testing.assert_array_equal(a, b, err_msg=f"{kind} at {where}")
            outcomes["identical"] += 1
        try:
            target.load_weights(bad)
        except SerializationError:
            _assert_same_weights(target_before, target)
        else:
            _assert_same_weights(model, target)
            target.set_weights(target_before)
    assert outcomes["error"] > 100  # most damage is detected, the rest changes nothing


def test_fuzzed_weight_files_fail_cleanly_or_load_identical_values(tmp_path):
    model = _trained_mlp()
    good = tmp_path / "good.safetensors"
    model.save_weights(good)
    data = good.read_bytes()
    target = _mlp(seed=22)
    before = _weights(target)
    rng = np.random.default_rng(7)
    n = int.from_bytes(data[:8], "little")
    positions = sorted(set(rng.integers(0, 8 + n, 60).tolist()) |
                       set(rng.integers(8 + n, len(data), 60).tolist()))
    blobs = [data[:k] for k in range(0, len(data), max(1, len(data) // 40))]
    for p in positions:
        b = bytearray(data)
        b[p] ^= 1 << int(rng.integers(0, 8))
        blobs.append(bytes(b))
    bad = tmp_path / "bad.safetensors"
    for blob in blobs:
        bad.write_bytes(blob)
        try:
            target.load_weights(bad)
        except SerializationError:
            _assert_same_weights(before, target)
        else:
            _assert_same_weights(model, target)  # the flip hit header padding
            target.set_weights(before)


@pytest.mark.parametrize("edit,match", [
    (lambda c: c["config"]["layers"].pop(0), "weights|shape"),
    (lambda c: c["config"]["layers"][0]["config"].update(units=9), "shape"),
    (lambda c: c["config"]["layers"][0].update(class_name="NoSuchLayer"), "NoSuchLayer"),
    (lambda c: c["config"]["layers"][0].update(config=[1, 2]), "not a JSON object"),
    (lambda c: c["config"].update(layers="oops"), "config"),
    (lambda c: c.update(class_name=None), "class"),
    (lambda c: c["compile_config"].update(loss="no_such_loss"), "re-compile"),
    (lambda c: c["compile_config"].update(optimizer={"class_name": "Adam",
                                                     "config": {"beta_9": 1}}), "re-compile"),
])
def test_wrong_configs_give_a_clear_error(tmp_path, edit, match):
    src = tmp_path / "m.tw"
    _trained_mlp().save(src)
    bad = tmp_path / "bad.tw"
    _edit_config(src, bad, edit)
    with pytest.raises(SerializationError, match=match):
        tw.models.load_model(bad)


def test_optimizer_state_of_another_model_is_refused(tmp_path):
    a, b = tmp_path / "a.tw", tmp_path / "b.tw"
    _trained_mlp().save(a)
    other = tw.Sequential([tw.Input((4,)), L.Dense(3), L.Dense(2, activation="softmax")])
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    other.fit(*_data(), epochs=1, verbose=0)
    other.save(b)
    with zipfile.ZipFile(b) as z:
        opt = z.read("optimizer.safetensors")
    _rewrite_member(a, tmp_path / "mixed.tw", "optimizer.safetensors", opt)
    with pytest.raises(SerializationError, match="optimizer"):
        tw.models.load_model(tmp_path / "mixed.tw")


def test_not_a_model_file(tmp_path):
    (tmp_path / "empty.tw").write_bytes(b"")
    (tmp_path / "text.tw").write_text("hello")
    _mlp().save_weights(tmp_path / "w.safetensors")
    zipfile.ZipFile(tmp_path / "other.zip", "w").writestr("readme.txt", "hi")
    for f, msg in (("empty.tw", "empty"), ("text.tw", "not a tensorweave"),
                   ("w.safetensors", "load_weights"), ("other.zip", "not a tensorweave")):
        with pytest.raises(SerializationError, match=msg):
            tw.models.load_model(tmp_path / f)


# ---- across backends, and resuming training -------------------------------------------------
def _small_model():
    tw.utils.set_random_seed(4)
    m = tw.Sequential([tw.Input((3,)), L.Dense(5, activation="tanh"),
                       L.Dense(2, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return m


@pytest.mark.parametrize("src,dst", [("numpy", "python"), ("python", "numpy")])
def test_file_moves_between_backends(tmp_path, src, dst):
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    y = np.array([0, 1, 0, 1])
    with tw.backend_scope(src):
        model = _small_model()
        model.fit(x, y, epochs=1, verbose=0)
        want = model.predict(x, verbose=0)
        model.save(tmp_path / "m.tw")
    with tw.backend_scope(dst):
        loaded = tw.models.load_model(tmp_path / "m.tw")
        assert loaded.weights[0]._value._backend.name == dst
        np.testing.assert_allclose(loaded.predict(x, verbose=0), want, rtol=1e-5, atol=1e-6)
        loaded.fit(x, y, epochs=1, verbose=0)  # optimizer state lives on dst too


def test_resumed_training_equals_an_uninterrupted_run(tmp_path):
    x, y = _data(48)
    fit = dict(batch_size=8, verbose=0, shuffle=False)
    straight = _mlp()
    h_straight = straight.fit(x, y, epochs=5, **fit)
    # the same run, checkpointed each epoch by ModelCheckpoint (which calls model.save)
    ckpt = tw.callbacks.ModelCheckpoint(str(tmp_path / "ck-{epoch}.tw"))
    _mlp().fit(x, y, epochs=2, callbacks=[ckpt], **fit)
    resumed = tw.models.load_model(tmp_path / "ck-2.tw")
    assert int(resumed.optimizer.iterations.numpy()) == 2 * 6
    h_resumed = resumed.fit(x, y, epochs=5, initial_epoch=2, **fit)
    assert h_resumed.epoch == [2, 3, 4]
    assert h_resumed.history["loss"] == h_straight.history["loss"][2:]
    _assert_same_weights(straight, resumed)
    for a, b in zip(_opt_state(straight), _opt_state(resumed)):  # iterations, lr, moments
        np.testing.assert_array_equal(a, b)
    assert int(resumed.optimizer.iterations.numpy()) == 5 * 6


def test_errors_are_tensorweave_errors():
    assert issubclass(SerializationError, TensorweaveError)


def test_subclassed_model_of_unknown_input_shape_keeps_its_weights(tmp_path):
    """Built by a direct call, a subclassed model's input shape is not recorded (see the
    report on Model._maybe_build): saving warns, the weights are kept, and load_model
    says how to get them back."""
    model = TwoLayerNet()
    x = np.ones((2, 4), "float32")
    model(x)
    if getattr(model, "_build_shape", None) is not None:  # Model records it: a full rebuild
        model.save(tmp_path / "s.tw")
        _assert_same_weights(model, tw.models.load_model(tmp_path / "s.tw"))
        return
    with pytest.warns(UserWarning, match="load_weights"):
        model.save(tmp_path / "s.tw")
    with pytest.raises(SerializationError, match="load_weights"):
        tw.models.load_model(tmp_path / "s.tw")
    other = TwoLayerNet()
    other(x)
    other.load_weights(tmp_path / "s.tw")
    _assert_same_weights(model, other)


# ---- the archive's member list ------------------------------------------------------------------
def _central_name_offset(data: bytes, member: str) -> int:
    """The offset of ``member``'s name in the ZIP central directory (not the local header)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        z.getinfo(member)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        n = int.from_bytes(data[pos + 28:pos + 30], "little")
        if data[pos + 46:pos + 46 + n] == member.encode():
            return pos + 46
        pos = data.find(b"PK\x01\x02", pos + 4)
    raise AssertionError(f"{member} not in the central directory")


def _without_member_list(data: bytes) -> bytes:
    """The same archive as written before the member list was recorded in metadata.json."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            blob = zin.read(info)
            if info.filename == "metadata.json":
                meta = json.loads(blob)
                meta.pop("members")
                blob = json.dumps(meta).encode()
            zout.writestr(info.filename, blob)
    return out.getvalue()


@pytest.mark.parametrize("old_file", [False, True], ids=["members-recorded", "older-file"])
def test_damaged_member_name_never_drops_optimizer_state(tmp_path, old_file):
    # the fuzz case that once loaded a model without its optimizer state: one bit of the
    # central-directory name of optimizer.safetensors flipped ('o' -> 'm')
    model = _trained_mlp()
    good = tmp_path / "good.tw"
    model.save(good)
    data = good.read_bytes()
    if old_file:
        data = _without_member_list(data)
        (tmp_path / "old.tw").write_bytes(data)
        loaded = tw.models.load_model(tmp_path / "old.tw")  # an intact older file still loads
        for a, b in zip(_opt_state(loaded), _opt_state(model), strict=True):
            np.testing.assert_array_equal(a, b)
    at = _central_name_offset(data, "optimizer.safetensors")
    damaged = bytearray(data)
    damaged[at] ^= 0x02
    bad = tmp_path / "bad.tw"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(SerializationError, match="mptimizer.safetensors"):
        tw.models.load_model(bad)
    target = _mlp(seed=21)
    before = _weights(target)
    with pytest.raises(SerializationError):
        target.load_weights(bad)
    _assert_same_weights(before, target)


def test_extra_duplicated_or_missing_members_are_refused(tmp_path):
    model = _trained_mlp()
    good = tmp_path / "good.tw"
    model.save(good)

    def rewrite(name, edit):
        dst = tmp_path / name
        with zipfile.ZipFile(good) as zin, warnings.catch_warnings(), \
                zipfile.ZipFile(dst, "w") as zout:
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate we write
            edit(zin, zout)
        return dst

    def extra(zin, zout):
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("notes.txt", b"hello")

    def duplicate(zin, zout):
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        zout.writestr("model.weights.safetensors",
                      tw.saving.__dict__["_tensor_bytes"](model.weights, "weights"))

    def missing(zin, zout):
        for info in zin.infolist():
            if info.filename != "optimizer.safetensors":
                zout.writestr(info.filename, zin.read(info))

    for name, edit, msg in (("extra.tw", extra, "notes.txt"),
                            ("dup.tw", duplicate, "more than once"),
                            ("missing.tw", missing, "missing: .'optimizer.safetensors'.")):
        with pytest.raises(SerializationError, match=msg):
            tw.models.load_model(rewrite(name, edit))
    # saved without optimizer state on purpose: loads, compiled, with fresh optimizer state
    model.save(tmp_path / "noopt.tw", include_optimizer=False)
    loaded = tw.models.load_model(tmp_path / "noopt.tw")
    assert loaded.compiled


# ---- files written while stateful RNN states were weights ---------------------------------------
def _old_weights_bytes(model, rnn) -> bytes:
    """The weights member as written before the states stopped being weights: the RNN
    layer's states (``<layer>/state_h`` [, ``<layer>/state_c``]) right after its
    kernel, recurrent_kernel and bias (7 arrays for LSTM + Dense)."""
    tensors, paths = {}, []
    entries = [(w.path, np.asarray(w.numpy())) for w in model.weights]
    names = ["h", "c"] if isinstance(rnn, L.LSTM) else ["h"]
    at = [i for i, (p, _) in enumerate(entries) if p.startswith(rnn.name + "/")][-1] + 1
    states = [(f"{rnn.name}/state_{n}", np.asarray(s.numpy()))
              for n, s in zip(names, rnn.states if isinstance(rnn.states, list)
                              else [rnn.states])]
    for i, (p, a) in enumerate(entries[:at] + states + entries[at:]):
        tensors[f"weights/{i:05d}"] = a
        paths.append(p)
    return tw.saving.safetensors.dumps(tensors, {"paths": json.dumps(paths),
                                                 "format": "tensorweave-model",
                                                 "count": str(len(paths))})


def _stateful_model(layer_cls, batch=4, seed=5):
    tw.utils.set_random_seed(seed)
    rnn = layer_cls(5, stateful=True)
    model = tw.Sequential([tw.Input((3, 2), batch_size=batch), rnn, L.Dense(2)])
    model.compile(optimizer=tw.optimizers.Adam(0.01), loss="mse")
    return model, rnn


@pytest.mark.parametrize("layer_cls", [L.LSTM, L.GRU, L.SimpleRNN])
def test_stateful_rnn_files_written_with_states_as_weights_still_load(tmp_path, layer_cls):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 2)).astype("float32")
    y = rng.standard_normal((4, 2)).astype("float32")
    model, rnn = _stateful_model(layer_cls)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0, shuffle=False)
    model.predict(x, verbose=0)  # non-zero states
    assert len(model.get_weights()) == 5  # states are not weights (as in Keras)
    states = [np.array(s.numpy()) for s in (rnn.states if isinstance(rnn.states, list)
                                             else [rnn.states])]
    assert all(np.abs(s).sum() > 0 for s in states)
    new = tmp_path / "new.tw"
    model.save(new)
    old_weights = _old_weights_bytes(model, rnn)
    assert int(tw.saving.safetensors.loads(old_weights)[1]["count"]) == \
        len(model.weights) + len(states)
    old = tmp_path / "old.tw"
    _rewrite_member(new, old, "model.weights.safetensors", old_weights)
    want_opt = _opt_state(model)

    loaded = tw.models.load_model(old)  # the saved states are restored
    loaded_rnn = loaded.layers[0]
    got = [np.array(s.numpy()) for s in (loaded_rnn.states if isinstance(loaded_rnn.states,
                                                                         list)
                                          else [loaded_rnn.states])]
    for a, b in zip(got, states, strict=True):
        np.testing.assert_array_equal(a, b)
    _assert_same_weights(model, loaded)
    for a, b in zip(_opt_state(loaded), want_opt, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

    # save_weights / load_weights: the same old layout in a bare safetensors file
    old_st = tmp_path / "old.safetensors"
    old_st.write_bytes(old_weights)
    same, same_rnn = _stateful_model(layer_cls, seed=9)
    same.load_weights(old_st)
    _assert_same_weights(loaded, same)
    for a, b in zip(same_rnn.states if isinstance(same_rnn.states, list)
                    else [same_rnn.states], states, strict=True):
        np.testing.assert_array_equal(np.array(a.numpy()), b)
    # a copy for another batch size takes the weights; the states do not fit and are ignored
    one, one_rnn = _stateful_model(layer_cls, batch=1, seed=9)
    with pytest.warns(UserWarning, match="ignored"):
        one.load_weights(old_st)
    _assert_same_weights(loaded, one)
    for s in one_rnn.states if isinstance(one_rnn.states, list) else [one_rnn.states]:
        assert not np.asarray(s.numpy()).any()
    # another architecture is still refused, the model unchanged
    other = _stateful_model(L.SimpleRNN if layer_cls is L.LSTM else L.LSTM)[0]
    before = _weights(other)
    with pytest.raises(SerializationError, match="weights"):
        other.load_weights(old_st)
    _assert_same_weights(before, other)


def test_optimizer_state_in_the_older_grouped_slot_order_still_loads(tmp_path):
    # before the optimizers took Keras's order, Adam's slots were written grouped by kind
    # (iteration, learning_rate, every momentum, then every velocity)
    model = _trained_mlp()
    new = tmp_path / "new.tw"
    model.save(new)
    variables = list(model.optimizer.variables)
    paths = [v.path for v in variables]
    assert paths[2].endswith("_momentum") and paths[3].endswith("_velocity")  # interleaved
    order = [0, 1] + [i for i, p in enumerate(paths) if p.endswith("_momentum")] + \
        [i for i, p in enumerate(paths) if p.endswith("_velocity")]
    assert len(order) == len(paths)
    grouped = tw.saving.safetensors.dumps(
        {f"optimizer/{k:05d}": np.asarray(variables[i].numpy()) for k, i in enumerate(order)},
        {"paths": json.dumps([paths[i] for i in order]), "format": "tensorweave-model",
         "count": str(len(order))})
    old = tmp_path / "old.tw"
    _rewrite_member(new, old, "optimizer.safetensors", grouped)
    loaded = tw.models.load_model(old)
    for a, b in zip(_opt_state(loaded), _opt_state(model), strict=True):
        np.testing.assert_array_equal(a, b)
