"""Keras's files both ways, with real Keras 3 as the oracle.

Models built in Keras and saved by Keras (``.keras``, legacy ``.h5``, ``.weights.h5``) load
in tensorweave and predict the same; models built in tensorweave and saved as ``.keras`` /
``.h5`` / ``.weights.h5`` load in Keras and predict the same. Hostile Keras files (a Lambda,
a module path, a huge declared shape, a truncated HDF5) are refused with
``SerializationError`` and leave the model unchanged.
"""

from __future__ import annotations

import json
import sys
import zipfile

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import SerializationError

pytest.importorskip("h5py")


# ---- the same architectures in either library (``k`` is keras or tensorweave) ----------------
def _mlp(k):
    L = k.layers
    return k.Sequential([k.Input((6,)), L.Dense(5, activation="relu"),
                         L.Dense(3, activation="softmax")], name="mlp")


def _cnn(k):
    L = k.layers
    return k.Sequential([k.Input((8, 8, 3)), L.Conv2D(4, 3, activation="relu"),
                         L.BatchNormalization(), L.MaxPooling2D(), L.Flatten(),
                         L.Dropout(0.3), L.Dense(2)], name="cnn")


def _rnn(k):
    L = k.layers
    return k.Sequential([k.Input((5,), dtype="int32"), L.Embedding(12, 4, mask_zero=True),
                         L.Bidirectional(L.LSTM(3, return_sequences=True)),
                         L.GRU(3, dropout=0.1, kernel_regularizer=k.regularizers.L2(0.02)),
                         L.Dense(2)], name="rnn")


def _multi(k):
    L = k.layers
    a = k.Input((5,), name="a")
    b = k.Input((3,), name="b")
    inner = k.Sequential([k.Input((5,)), L.Dense(4, activation="tanh"),
                          L.BatchNormalization()], name="inner")
    h = inner(a)
    c = L.Concatenate()([h, b])
    o1 = L.Dense(2, name="o1")(L.Dense(6, activation="relu", name="d1")(c))
    o2 = L.Dense(1, activation="sigmoid", name="o2")(h)
    return k.Model([a, b], [o1, o2], name="multi")


def _attn(k):
    """A shared layer (two nodes), MultiHeadAttention (Keras keeps its weights in
    sublayers) and a residual Add."""
    L = k.layers
    q = k.Input((5, 8), name="q")
    v = k.Input((3, 8), name="v")
    shared = L.Dense(8, name="shared")
    qs, vs = shared(q), shared(v)
    h = L.Add()([L.MultiHeadAttention(2, 4, name="mha")(qs, vs), qs])
    return k.Model([q, v], L.Dense(2)(L.GlobalAveragePooling1D()(h)), name="attn")


_CASES = {"mlp": _mlp, "cnn": _cnn, "rnn": _rnn, "multi": _multi, "attn": _attn}


def _inputs(case, rng):
    if case == "mlp":
        return rng.normal(size=(4, 6)).astype("float32")
    if case == "cnn":
        return rng.normal(size=(4, 8, 8, 3)).astype("float32")
    if case == "rnn":
        x = rng.integers(1, 12, size=(4, 5)).astype("int32")
        x[0, 3:] = 0  # padding: the mask matters
        x[2, 1:] = 0
        return x
    if case == "attn":
        return [rng.normal(size=(4, 5, 8)).astype("float32"),
                rng.normal(size=(4, 3, 8)).astype("float32")]
    return [rng.normal(size=(4, 5)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")]


def _randomize(weights, rng):
    """Non-trivial values everywhere (a fresh BatchNormalization is the identity)."""
    out = []
    for w in weights:
        shape = tuple(w.shape)
        path = str(getattr(w, "path", "") or w.name)
        v = rng.normal(scale=0.5, size=shape).astype("float32")
        if "variance" in path:
            v = np.abs(v) + 0.5
        out.append(v)
    return out


def _outputs(model, x, keras_side):
    y = model(x, training=False) if keras_side else model.predict(x, verbose=0)
    ys = y if isinstance(y, (list, tuple)) else [y]
    return [np.asarray(v) for v in ys]


def _same(close, ours, theirs, what):
    assert len(ours) == len(theirs), what
    for i, (a, b) in enumerate(zip(ours, theirs)):
        close(a, b, rtol=1e-4, atol=1e-5, what=f"{what}[{i}]", check_dtype=False)


@pytest.mark.parametrize("case", sorted(_CASES))
def test_keras_files_load_in_tensorweave(keras, rng, close, tmp_path, case):
    km = _CASES[case](keras)
    km.set_weights(_randomize(km.weights, rng))
    x = _inputs(case, rng)
    want = _outputs(km, x, True)
    km.save(tmp_path / "k.keras")
    km.save(tmp_path / "k.h5")
    km.save_weights(tmp_path / "k.weights.h5")

    got = tw.models.load_model(tmp_path / "k.keras")
    _same(close, _outputs(got, x, False), want, f"{case} .keras")
    assert [l.name for l in got.layers if l.weights] == [l.name for l in km.layers if l.weights]
    if case == "rnn":  # constructor arguments carry over, not only the weights
        gru = got.layers[-2]
        assert gru.get_config()["dropout"] == 0.1
        assert len(gru.losses) == 1  # the L2 kernel regularizer
    got = tw.models.load_model(tmp_path / "k.h5")
    _same(close, _outputs(got, x, False), want, f"{case} legacy .h5")
    fresh = _CASES[case](tw)
    fresh.load_weights(tmp_path / "k.weights.h5")
    _same(close, _outputs(fresh, x, False), want, f"{case} .weights.h5")
    fresh = _CASES[case](tw)
    fresh.load_weights(tmp_path / "k.h5")  # the weights of a legacy whole-model file
    _same(close, _outputs(fresh, x, False), want, f"{case} weights of legacy .h5")


@pytest.mark.parametrize("case", sorted(_CASES))
def test_tensorweave_files_load_in_keras(keras, rng, close, tmp_path, case):
    tm = _CASES[case](tw)
    tm.set_weights(_randomize(tm.weights, rng))
    x = _inputs(case, rng)
    want = _outputs(tm, x, False)
    tm.save(tmp_path / "t.keras")
    tm.save(tmp_path / "t.h5")
    tm.save_weights(tmp_path / "t.weights.h5")
    tm.save_weights(tmp_path / "t_legacy.h5")

    km = keras.saving.load_model(tmp_path / "t.keras")
    _same(close, want, _outputs(km, x, True), f"{case} .keras read by Keras")
    if case == "rnn":
        gru = km.layers[-2]
        assert gru.dropout == 0.1 and gru.cell.kernel_regularizer.l2 == pytest.approx(0.02)
    # the other files: Keras must load the very same numbers into the same architecture
    # (comparing weights, not predictions, spares three more JAX compiles per case)
    reference = [np.asarray(w) for w in km.get_weights()]
    k_h5 = keras.saving.load_model(tmp_path / "t.h5")
    assert [l.__class__.__name__ for l in k_h5.layers] == \
        [l.__class__.__name__ for l in km.layers]
    loaded = {"legacy .h5 model": k_h5}
    for name in ("t.weights.h5", "t_legacy.h5"):
        loaded[name] = _CASES[case](keras)
        loaded[name].load_weights(tmp_path / name)
    for what, model in loaded.items():
        got = [np.asarray(w) for w in model.get_weights()]
        assert len(got) == len(reference), what
        for i, (g, r) in enumerate(zip(got, reference)):
            np.testing.assert_array_equal(g, r, err_msg=f"{case} {what} weight {i}")
    again = tw.models.load_model(tmp_path / "t.keras")  # and back into tensorweave
    _same(close, _outputs(again, x, False), want, f"{case} .keras read by tensorweave")


def test_keras_compile_config_carries_over(keras, tmp_path):
    km = _mlp(keras)
    km.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
               loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    km.save(tmp_path / "c.keras")
    tm = tw.models.load_model(tmp_path / "c.keras")
    assert tm.compiled and type(tm.optimizer).__name__ == "Adam"
    assert float(np.asarray(tm.optimizer.learning_rate)) == pytest.approx(0.003)
    x = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    history = tm.fit(x, np.arange(8) % 3, epochs=1, verbose=0)  # trains as compiled
    assert set(history.history) == {"loss", "accuracy"}
    assert not tw.models.load_model(tmp_path / "c.keras", compile=False).compiled


# ---- hostile files ------------------------------------------------------------------------------
def _rewrite(src, dst, member, data):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == member else
                          zin.read(info.filename))


def test_keras_lambda_is_refused_in_safe_mode_and_its_bytecode_never_runs(keras, tmp_path):
    L = keras.layers
    km = keras.Sequential([keras.Input((3,)), L.Lambda(lambda t: t * 2.0), L.Dense(2)])
    km.save(tmp_path / "lam.keras")
    with pytest.raises(SerializationError, match="Lambda.*safe mode"):
        tw.models.load_model(tmp_path / "lam.keras")
    # unsafe mode still never runs the file's marshalled bytecode
    with pytest.raises(SerializationError, match="Lambda"):
        tw.models.load_model(tmp_path / "lam.keras", safe_mode=False)


def test_keras_lambda_loads_with_safe_mode_false_and_the_named_function(keras, tmp_path):
    km = _mlp(keras)
    km.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        cfg = json.loads(z.read("config.json"))
    cfg["config"]["layers"].insert(1, {"module": "keras.layers", "class_name": "Lambda",
                                       "config": {"name": "double", "function": "double"},
                                       "registered_name": None})
    _rewrite(tmp_path / "m.keras", tmp_path / "n.keras", "config.json", json.dumps(cfg))
    with pytest.raises(SerializationError, match="safe mode"):
        tw.models.load_model(tmp_path / "n.keras", custom_objects={"double": lambda t: t * 2})
    model = tw.models.load_model(tmp_path / "n.keras", safe_mode=False,
                                 custom_objects={"double": lambda t: t * 2})
    x = np.ones((2, 6), "float32")
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               np.asarray(km(x * 2, training=False)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("edit", ["class", "registered", "module"])
def test_module_paths_in_a_keras_config_are_never_imported(keras, tmp_path, monkeypatch, edit):
    evil = tmp_path / "tw_evil_keras_mod.py"
    evil.write_text("raise SystemExit('imported!')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    km = _mlp(keras)
    km.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        cfg = json.loads(z.read("config.json"))
    dense = cfg["config"]["layers"][1]
    if edit == "class":
        dense["class_name"] = "tw_evil_keras_mod.Dense"
    elif edit == "registered":
        dense["registered_name"] = "tw_evil_keras_mod>Evil"
    else:
        dense["module"] = "tw_evil_keras_mod"
        dense["class_name"] = "Evil"
    _rewrite(tmp_path / "m.keras", tmp_path / "e.keras", "config.json", json.dumps(cfg))
    with pytest.raises(SerializationError):
        tw.models.load_model(tmp_path / "e.keras")
    assert "tw_evil_keras_mod" not in sys.modules


def test_huge_declared_shapes_are_refused_before_reading(keras, tmp_path):
    import h5py

    km = _mlp(keras)
    km.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/dense/vars/0"]
        # 4e12 floats declared (16 TB): only the header exists; reading it would allocate
        f["layers/dense/vars"].create_dataset("0", shape=(2_000_000, 2_000_000),
                                              dtype="float32", chunks=(1, 1))
    model = _mlp(tw)
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(SerializationError, match=r"shape \(2000000, 2000000\)"):
        model.load_weights(tmp_path / "w.weights.h5")
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, w.numpy())


def test_truncated_and_damaged_keras_files(keras, tmp_path):
    km = _mlp(keras)
    km.save_weights(tmp_path / "w.weights.h5")
    km.save(tmp_path / "m.keras")
    km.save(tmp_path / "m.h5")
    model = _mlp(tw)
    before = [w.numpy().copy() for w in model.weights]
    data = (tmp_path / "w.weights.h5").read_bytes()
    for cut in (len(data) // 2, len(data) - 100, 600):
        (tmp_path / "t.weights.h5").write_bytes(data[:cut])
        with pytest.raises(SerializationError):
            model.load_weights(tmp_path / "t.weights.h5")
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, w.numpy())
    legacy = (tmp_path / "m.h5").read_bytes()
    (tmp_path / "t.h5").write_bytes(legacy[: len(legacy) // 2])
    with pytest.raises(SerializationError):
        tw.models.load_model(tmp_path / "t.h5")
    archive = (tmp_path / "m.keras").read_bytes()
    (tmp_path / "t.keras").write_bytes(archive[: len(archive) - 300])
    with pytest.raises(SerializationError):
        tw.models.load_model(tmp_path / "t.keras")
    # weights for another architecture: refused, nothing assigned
    other = keras.Sequential([keras.Input((6,)), keras.layers.Dense(7), keras.layers.Dense(3)])
    other.save_weights(tmp_path / "o.weights.h5")
    with pytest.raises(SerializationError, match="shape"):
        model.load_weights(tmp_path / "o.weights.h5")
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, w.numpy())


def test_keras_config_keys_tensorweave_cannot_honour_are_refused(keras, tmp_path):
    km = _cnn(keras)
    km.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        cfg = json.loads(z.read("config.json"))
    bn = next(l for l in cfg["config"]["layers"] if l["class_name"] == "BatchNormalization")
    bn["config"]["renorm"] = True  # would compute something else
    _rewrite(tmp_path / "m.keras", tmp_path / "r.keras", "config.json", json.dumps(cfg))
    with pytest.raises(SerializationError, match="renorm"):
        tw.models.load_model(tmp_path / "r.keras")



def test_keras2_style_legacy_h5_loads(keras, rng, close, tmp_path):
    """Keras 2 wrote functional graphs as ``[[name, node, tensor, kwargs], ...]`` lists,
    ``batch_input_shape`` and plain dtype strings: the same file in Keras 2's spelling."""
    import h5py

    L = keras.layers
    a = keras.Input((5,), name="input_1")
    b = keras.Input((3,), name="input_2")
    h = L.Dense(4, activation="relu", name="dense")(a)
    out = L.Dense(2, name="dense_1")(L.Concatenate(name="concatenate")([h, b]))
    km = keras.Model([a, b], out, name="model")
    km.set_weights(_randomize(km.weights, rng))
    km.save(tmp_path / "k3.h5")

    def keras2(v):
        if isinstance(v, dict):
            if v.get("class_name") == "DTypePolicy":
                return v["config"]["name"]
            return {k: keras2(x) for k, x in v.items() if k not in ("module", "registered_name")}
        if isinstance(v, list):
            return [keras2(x) for x in v]
        return v

    with h5py.File(tmp_path / "k3.h5", "r+") as f:
        cfg = json.loads(f.attrs["model_config"])
        for layer in cfg["config"]["layers"]:
            conf = layer["config"]
            if layer["class_name"] == "InputLayer":
                conf["batch_input_shape"] = conf.pop("batch_shape")
            nodes = []
            for node in layer.get("inbound_nodes", []):
                args = node["args"][0]
                refs = args if isinstance(args, list) else [args]
                nodes.append([[*r["config"]["keras_history"], {}] for r in refs])
            layer["inbound_nodes"] = nodes
        cfg["class_name"] = "Model"
        f.attrs["model_config"] = json.dumps(keras2(cfg))
    x = [rng.normal(size=(3, 5)).astype("float32"), rng.normal(size=(3, 3)).astype("float32")]
    got = tw.models.load_model(tmp_path / "k3.h5")
    _same(close, _outputs(got, x, False), _outputs(km, x, True), "Keras 2 style .h5")


@pytest.mark.parametrize("link", ["soft", "external"])
def test_hdf5_links_are_not_followed(keras, tmp_path, link):
    import h5py

    km = _mlp(keras)
    km.save_weights(tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5", "a") as f:
        del f["layers/dense/vars"]
        f["layers/dense"]["vars"] = h5py.SoftLink("/layers/dense_1/vars") if link == "soft" \
            else h5py.ExternalLink(str(tmp_path / "elsewhere.h5"), "/secret")
    model = _mlp(tw)
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(SerializationError, match="Link"):
        model.load_weights(tmp_path / "w.weights.h5")
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, w.numpy())


@pytest.mark.parametrize("where", ["units", "input"])
def test_huge_sizes_in_a_keras_config_are_refused_before_building(keras, tmp_path, where):
    km = _mlp(keras)
    km.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        cfg = json.loads(z.read("config.json"))
    if where == "units":
        cfg["config"]["layers"][1]["config"]["units"] = 10**12  # a 6e12-float kernel
    else:
        cfg["config"]["layers"][0]["config"]["batch_shape"] = [None, 2**40]
    _rewrite(tmp_path / "m.keras", tmp_path / "h.keras", "config.json", json.dumps(cfg))
    with pytest.raises(SerializationError, match="beyond"):
        tw.models.load_model(tmp_path / "h.keras")


def test_custom_registered_layer_both_ways(keras, rng, close, tmp_path):
    """A class registered under the same name on both sides (``tw_oracle>Scale``) maps onto
    its counterpart, config and weights (Keras names weight groups after the class, so the
    Keras class is ``Scale``; tensorweave's goes by its registered name)."""

    @keras.saving.register_keras_serializable(package="tw_oracle", name="Scale")
    class Scale(keras.layers.Layer):  # Keras's groups: class name
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    @tw.saving.register_keras_serializable(package="tw_oracle", name="Scale")
    class TScale(tw.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, shape):
            self.w = self.add_weight(shape=(shape[-1],), initializer="ones", name="w")

        def call(self, x):
            return x * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    x = rng.normal(size=(3, 4)).astype("float32")
    km = keras.Sequential([keras.Input((4,)), Scale(3.0), keras.layers.Dense(2)])
    km.set_weights(_randomize(km.weights, rng))
    km.save(tmp_path / "k.keras")
    tm = tw.models.load_model(tmp_path / "k.keras")
    assert isinstance(tm.layers[0], TScale) and tm.layers[0].factor == 3.0
    _same(close, _outputs(tm, x, False), _outputs(km, x, True), "custom layer Keras -> tw")
    tm.set_weights(_randomize(tm.weights, rng))
    tm.save(tmp_path / "t.keras")
    back = keras.saving.load_model(tmp_path / "t.keras")
    assert isinstance(back.layers[0], Scale)
    _same(close, _outputs(tm, x, False), _outputs(back, x, True), "custom layer tw -> Keras")
