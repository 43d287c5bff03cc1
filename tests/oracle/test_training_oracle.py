"""Training semantics checked against real Keras 3: the same model, the same starting
weights and the same data in both; after ``fit`` (one epoch, ``shuffle=False``) the weights,
the History, ``metrics_names`` and ``evaluate``/``predict`` must agree. Targets, sample
weights and class weights are matched with outputs by name as Keras does, whatever form
the data takes (arrays, lists, dicts, ``PyDataset``, ``tw.data.Dataset``, generators), and
where Keras refuses an argument combination we refuse it too (with our error types)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError

RTOL, ATOL = 2e-4, 2e-5


def _copy_weights(ours: Any, theirs: Any) -> None:
    """Keras's initial weights into ours (same layer order, same variable order)."""
    ws = [np.asarray(w) for w in theirs.get_weights()]
    assert [tuple(w.shape) for w in ours.get_weights()] == [w.shape for w in ws]
    ours.set_weights(ws)


def _same_weights(close: Any, ours: Any, theirs: Any, what: str) -> None:
    for i, (a, b) in enumerate(zip(ours.get_weights(), theirs.get_weights())):
        close(a, np.asarray(b), rtol=RTOL, atol=ATOL, what=f"{what}: weight {i}")


def _same_history(close: Any, h_ours: Any, h_theirs: Any, what: str) -> None:
    assert sorted(h_ours.history) == sorted(h_theirs.history), what
    for k in h_theirs.history:
        close(np.asarray(h_ours.history[k], "float64"),
              np.asarray(h_theirs.history[k], "float64"), rtol=RTOL, atol=ATOL,
              what=f"{what}: History[{k!r}]")


def _pair(keras: Any, build: Any) -> tuple[Any, Any]:
    """``build(lib)`` for both libraries (``lib`` has ``Input``, ``Model``, ``Sequential`` and
    ``layers``), Keras's weights copied into ours."""
    keras.utils.set_random_seed(0)
    theirs = build(keras, keras.layers)
    ours = build(tw, L)
    _copy_weights(ours, theirs)
    return ours, theirs


def _evaluate(model: Any, args: tuple, **kw: Any) -> Any:
    sw = args[2] if len(args) > 2 else None
    return model.evaluate(args[0], args[1], sample_weight=sw, verbose=0, **kw)


def _run(model: Any, lib: Any, compile_kw: Any, fit_kw: dict, eval_args: tuple,
         x_pred: Any) -> dict:
    """Compile, fit one epoch unshuffled, evaluate (dict and list) and predict."""
    model.compile(**compile_kw(lib))
    h = model.fit(**fit_kw, epochs=1, shuffle=False, verbose=0)
    pred = model.predict(x_pred, verbose=0)
    return {"weights": [np.asarray(w) for w in model.get_weights()], "history": h.history,
            "names": list(model.metrics_names),
            "eval": _evaluate(model, eval_args, return_dict=True),
            "eval_list": _evaluate(model, eval_args),
            "pred": [np.asarray(p) for p in (
                [pred[k] for k in sorted(pred)] if isinstance(pred, dict) else
                pred if isinstance(pred, list) else [pred])]}


def _check(close: Any, ours: dict, theirs: dict, what: str) -> None:
    for i, (a, b) in enumerate(zip(ours["weights"], theirs["weights"])):
        close(a, b, rtol=RTOL, atol=ATOL, what=f"{what}: weight {i}")
    assert sorted(ours["history"]) == sorted(theirs["history"]), what
    for k, v in theirs["history"].items():
        close(np.asarray(ours["history"][k], "float64"), np.asarray(v, "float64"),
              rtol=RTOL, atol=ATOL, what=f"{what}: History[{k!r}]")
    assert ours["names"] == theirs["names"], what
    assert sorted(ours["eval"]) == sorted(theirs["eval"]), what
    for k, v in theirs["eval"].items():
        close(np.float64(ours["eval"][k]), np.float64(v), rtol=RTOL, atol=ATOL,
              what=f"{what}: evaluate[{k!r}]")
    close(np.asarray(ours["eval_list"], "float64"), np.asarray(theirs["eval_list"], "float64"),
          rtol=RTOL, atol=ATOL, what=f"{what}: evaluate's list (its order)")
    for a, b in zip(ours["pred"], theirs["pred"], strict=True):
        close(a, b, rtol=RTOL, atol=ATOL, what=f"{what}: predict")


def _compare_fit(close: Any, ours: Any, theirs: Any, what: str, fit_kw: dict,
                 eval_args: tuple, x_pred: Any, compile_kw: Any) -> None:
    import keras

    _check(close, _run(ours, tw, compile_kw, fit_kw, eval_args, x_pred),
           _run(theirs, keras, compile_kw, fit_kw, eval_args, x_pred), what)


def test_mlp_cnn_lstm_fit_evaluate_predict(keras: Any, rng: Any, close: Any) -> None:
    """Three model kinds, SGD with momentum and Adam, metrics and sample weights."""
    # sample counts divisible by the batch sizes: one Keras (XLA) compile per step kind
    x = rng.normal(size=(48, 6)).astype("float32")
    y = rng.integers(0, 3, size=(48,))
    sw = rng.uniform(0.2, 2.0, size=(48,)).astype("float32")
    cases = []

    def mlp(lib: Any, layers: Any) -> Any:
        return lib.Sequential([lib.Input((6,)), layers.Dense(8, activation="relu"),
                               layers.Dense(3, activation="softmax")])

    cases.append(("mlp", mlp, {"x": x, "y": y, "batch_size": 16, "sample_weight": sw},
                  (x, y), x[:5],
                  lambda lib: {"optimizer": lib.optimizers.SGD(0.1, momentum=0.9),
                               "loss": "sparse_categorical_crossentropy",
                               "metrics": ["accuracy"]}))

    xi = rng.normal(size=(10, 8, 8, 2)).astype("float32")
    yi = np.eye(4, dtype="float32")[rng.integers(0, 4, size=10)]

    def cnn(lib: Any, layers: Any) -> Any:
        return lib.Sequential([lib.Input((8, 8, 2)), layers.Conv2D(3, 3, activation="relu"),
                               layers.MaxPooling2D(), layers.Flatten(),
                               layers.Dense(4, activation="softmax")])

    cases.append(("cnn", cnn, {"x": xi, "y": yi, "batch_size": 5}, (xi, yi), xi[:3],
                  lambda lib: {"optimizer": lib.optimizers.Adam(0.01),
                               "loss": "categorical_crossentropy",
                               "metrics": ["accuracy", "mae"]}))

    xs = rng.normal(size=(8, 5, 3)).astype("float32")
    ys = rng.normal(size=(8, 2)).astype("float32")

    def lstm(lib: Any, layers: Any) -> Any:
        return lib.Sequential([lib.Input((5, 3)), layers.LSTM(4), layers.Dense(2)])

    cases.append(("lstm", lstm, {"x": xs, "y": ys, "batch_size": 4}, (xs, ys), xs[:2],
                  lambda lib: {"optimizer": lib.optimizers.RMSprop(0.01), "loss": "mse",
                               "metrics": ["mae"]}))
    for what, build, fit_kw, eval_args, x_pred, compile_kw in cases:
        ours, theirs = _pair(keras, build)
        _compare_fit(close, ours, theirs, what, fit_kw, eval_args, x_pred, compile_kw)


def _two_outputs(lib: Any, layers: Any) -> Any:
    """Outputs declared [zeta, alpha]: sorted key order is the reverse of output order."""
    inp = lib.Input((4,), name="features")
    h = layers.Dense(5, activation="tanh", name="hidden")(inp)
    zeta = layers.Dense(1, name="zeta")(h)
    alpha = layers.Dense(3, activation="softmax", name="alpha")(h)
    return lib.Model(inp, [zeta, alpha])


def _multi_compile(lib: Any) -> dict:
    return {"optimizer": lib.optimizers.SGD(0.05),
            "loss": {"alpha": "categorical_crossentropy", "zeta": "mse"},
            "loss_weights": {"zeta": 0.5, "alpha": 2.0},
            "metrics": {"alpha": ["accuracy"], "zeta": ["mae"]}}


def _multi_data(rng: Any) -> tuple:
    x = rng.normal(size=(24, 4)).astype("float32")
    yz = rng.normal(size=(24, 1)).astype("float32")
    ya = np.eye(3, dtype="float32")[rng.integers(0, 3, size=24)]
    swz = rng.uniform(0.1, 2.0, size=(24,)).astype("float32")
    swa = rng.uniform(0.1, 2.0, size=(24,)).astype("float32")
    return x, yz, ya, swz, swa


def test_multi_output_targets_matched_by_name(keras: Any, rng: Any, close: Any) -> None:
    """Dict targets/sample weights keyed by output name (in an order unlike the outputs'),
    list targets in output order, and dict loss/metrics/loss_weights: all by name."""
    x, yz, ya, swz, swa = _multi_data(rng)
    # (Keras form, our forms): ours must train exactly as Keras on its form. Keras indexes
    # a dict of sample weights by output position (a KeyError for list outputs); we match
    # it by name, so Keras's reference for it is the same weights as a list.
    forms = [
        (((x, [yz, ya]), {"y": [yz, ya]}),
         [("dict y", (x, {"alpha": ya, "zeta": yz}), {"y": {"alpha": ya, "zeta": yz}}),
          ("list y", (x, [yz, ya]), {"y": [yz, ya]})]),
        (((x, [yz, ya], [swz, swa]), {"y": [yz, ya], "sample_weight": [swz, swa]}),
         [("dict y + dict sw", (x, {"alpha": ya, "zeta": yz}, {"alpha": swa, "zeta": swz}),
           {"y": {"alpha": ya, "zeta": yz}, "sample_weight": {"alpha": swa, "zeta": swz}}),
          ("list y + list sw", (x, [yz, ya], [swz, swa]),
           {"y": [yz, ya], "sample_weight": [swz, swa]})]),
        (((x, [yz, ya], swz), {"y": [yz, ya], "sample_weight": swz}),
         [("list y + one sw", (x, {"zeta": yz, "alpha": ya}, swz),
           {"y": {"zeta": yz, "alpha": ya}, "sample_weight": swz})]),
    ]
    for (k_eval, k_fit), ours_forms in forms:
        _, theirs = _pair(keras, _two_outputs)
        ref = _run(theirs, keras, _multi_compile, {"x": x, "batch_size": 8, **k_fit}, k_eval,
                   x[:4])
        for what, eval_args, fit_kw in ours_forms:
            ours, _ = _pair(keras, _two_outputs)
            _check(close, _run(ours, tw, _multi_compile, {"x": x, "batch_size": 8, **fit_kw},
                               eval_args, x[:4]), ref, what)


def test_dict_outputs_matched_by_key(keras: Any, rng: Any, close: Any) -> None:
    """A model whose outputs are a dict: losses, metrics, targets and log names by key."""
    x, yz, ya, swz, _ = _multi_data(rng)

    def build(lib: Any, layers: Any) -> Any:
        inp = lib.Input((4,))
        h = layers.Dense(5, activation="tanh", name="hidden")(inp)
        return lib.Model(inp, {"zz": layers.Dense(1, name="d1")(h),
                               "aa": layers.Dense(3, activation="softmax", name="d2")(h)})

    def comp(lib: Any) -> dict:
        return {"optimizer": lib.optimizers.SGD(0.05),
                "loss": {"zz": "mse", "aa": "categorical_crossentropy"},
                "loss_weights": {"zz": 2.0, "aa": 0.5},
                "metrics": {"aa": ["accuracy"], "zz": ["mae"]}}

    keras.utils.set_random_seed(0)
    theirs, ours = build(keras, keras.layers), build(tw, L)
    for layer in theirs.layers:  # by name: the two list a dict's output layers differently
        if not layer.get_weights():
            continue  # the input layer: its automatic name depends on earlier tests
        ours.get_layer(layer.name).set_weights([np.asarray(w) for w in layer.get_weights()])
    fit = {"x": x, "y": {"zz": yz, "aa": ya}, "batch_size": 8,
           "sample_weight": {"zz": swz, "aa": swz}}
    args = (x, {"aa": ya, "zz": yz})
    r_ours = _run(ours, tw, comp, fit, args, x[:4])
    r_theirs = _run(theirs, keras, comp, fit, args, x[:4])
    by_name = {layer.name: layer for layer in ours.layers}
    r_ours["weights"] = [np.asarray(w) for layer in theirs.layers if layer.get_weights()
                         for w in by_name[layer.name].get_weights()]
    _check(close, r_ours, r_theirs, "dict outputs")


class _Seq:
    """A PyDataset-like batch source built for either library."""

    @staticmethod
    def make(base: type, batches: list) -> Any:
        class Source(base):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()

            def __len__(self) -> int:
                return len(batches)

            def __getitem__(self, i: int) -> Any:
                return batches[i]

        return Source()


def test_class_weight_and_sample_weight_in_every_data_form(keras: Any, rng: Any,
                                                           close: Any) -> None:
    """class_weight applies to arrays and PyDatasets (Keras) and to tw.data.Dataset (as
    Keras's tf.data adapter); per-batch sample weights from a PyDataset or generator; dict
    targets from a PyDataset and a generator matched by name."""
    x = rng.normal(size=(24, 6)).astype("float32")
    y = rng.integers(0, 3, size=(24,))
    cw = {0: 0.5, 1: 3.0, 2: 1.5}
    sw = rng.uniform(0.2, 2.0, size=(24,)).astype("float32")
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 24, 8)]
    wbatches = [(x[i:i + 8], y[i:i + 8], sw[i:i + 8]) for i in range(0, 24, 8)]

    def mlp(lib: Any, layers: Any) -> Any:
        return lib.Sequential([lib.Input((6,)), layers.Dense(5, activation="relu"),
                               layers.Dense(3, activation="softmax")])

    def comp(lib: Any) -> dict:
        return {"optimizer": lib.optimizers.SGD(0.1),
                "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}

    # Keras fitting arrays with class_weight is the reference for the iterable forms
    ref_o, ref_t = _pair(keras, mlp)
    ref_o.compile(**comp(tw))
    ref_t.compile(**comp(keras))
    h_t = ref_t.fit(x, y, batch_size=8, class_weight=cw, shuffle=False, verbose=0)
    h_o = ref_o.fit(x, y, batch_size=8, class_weight=cw, shuffle=False, verbose=0)
    _same_weights(close, ref_o, ref_t, "arrays + class_weight")
    _same_history(close, h_o, h_t, "arrays + class_weight")

    # PyDataset + class_weight: both libraries
    ours, theirs = _pair(keras, mlp)
    ours.compile(**comp(tw))
    theirs.compile(**comp(keras))
    theirs.fit(_Seq.make(keras.utils.PyDataset, batches), class_weight=cw, verbose=0,
               shuffle=False)
    ours.fit(_Seq.make(tw.utils.PyDataset, batches), class_weight=cw, verbose=0,
             shuffle=False)
    _same_weights(close, ours, theirs, "PyDataset + class_weight")
    _same_weights(close, ours, ref_t, "PyDataset + class_weight vs arrays")

    # tw.data.Dataset + class_weight: Keras's tf.data adapter semantics (same as arrays)
    ours, _ = _pair(keras, mlp)
    ours.compile(**comp(tw))
    ours.fit(tw.data.Dataset.from_tensor_slices((x, y)).batch(8), class_weight=cw, verbose=0)
    _same_weights(close, ours, ref_t, "tw.data.Dataset + class_weight")

    # per-batch sample weights from a PyDataset and from a generator
    ours, theirs = _pair(keras, mlp)
    ours.compile(**comp(tw))
    theirs.compile(**comp(keras))
    theirs.fit(_Seq.make(keras.utils.PyDataset, wbatches), verbose=0, shuffle=False)
    ours.fit(_Seq.make(tw.utils.PyDataset, wbatches), verbose=0, shuffle=False)
    _same_weights(close, ours, theirs, "PyDataset (x, y, sw)")
    ours, _ = _pair(keras, mlp)  # a generator: the same batches, the same Keras result
    ours.compile(**comp(tw))
    ours.fit((b for b in wbatches), steps_per_epoch=3, verbose=0)
    _same_weights(close, ours, theirs, "generator (x, y, sw)")

    # dict targets keyed by output name from a PyDataset and a generator
    xm, yz, ya, swz, swa = _multi_data(rng)
    mb = [(xm[i:i + 8], {"alpha": ya[i:i + 8], "zeta": yz[i:i + 8]},
           {"zeta": swz[i:i + 8], "alpha": swa[i:i + 8]}) for i in range(0, 24, 8)]
    # Keras indexes a dict of sample weights by output position (a KeyError for list
    # outputs); we match it by name, so Keras gets the same weights as a list
    mb_keras = [(bx, by, [bsw["zeta"], bsw["alpha"]]) for bx, by, bsw in mb]
    _, theirs = _pair(keras, _two_outputs)
    theirs.compile(**_multi_compile(keras))
    theirs.fit(_Seq.make(keras.utils.PyDataset, mb_keras), verbose=0, shuffle=False)
    for form in ("PyDataset", "generator", "tw.data.Dataset"):
        ours, _ = _pair(keras, _two_outputs)
        ours.compile(**_multi_compile(tw))
        if form == "PyDataset":
            data: Any = _Seq.make(tw.utils.PyDataset, mb)
            ours.fit(data, verbose=0, shuffle=False)
        elif form == "generator":
            ours.fit((b for b in mb), steps_per_epoch=3, verbose=0)
        else:
            data = tw.data.Dataset.from_tensor_slices(
                (xm, {"alpha": ya, "zeta": yz}, {"zeta": swz, "alpha": swa})).batch(8)
            ours.fit(data, verbose=0)
        _same_weights(close, ours, theirs, f"{form} with dict targets")


def test_refusals_match_keras(keras: Any, rng: Any) -> None:
    """Where Keras raises ValueError we raise InvalidArgumentError (a ValueError)."""
    x = rng.normal(size=(8, 4)).astype("float32")
    y = rng.integers(0, 3, size=(8,))
    sw = np.ones(8, "float32")
    cw = {0: 1.0, 1: 2.0}

    def mlp(lib: Any, layers: Any) -> Any:
        return lib.Sequential([lib.Input((4,)), layers.Dense(3, activation="softmax")])

    def multi(lib: Any, layers: Any) -> Any:
        return _two_outputs(lib, layers)

    calls = [
        ("class_weight + sample_weight", mlp,
         lambda m: m.fit(x, y, sample_weight=sw, class_weight=cw, verbose=0)),
        ("class_weight with a generator", mlp,
         lambda m: m.fit(((x, y) for _ in range(2)), class_weight=cw, steps_per_epoch=1,
                         verbose=0)),
        ("class_weight with several outputs", multi,
         lambda m: m.fit(x, [x[:, :1], np.eye(3, dtype="float32")[y]], class_weight=cw,
                         verbose=0)),
    ]
    for what, build, call in calls:
        for lib, layers, err in ((keras, keras.layers, ValueError),
                                 (tw, L, InvalidArgumentError)):
            m = build(lib, layers)
            m.compile("sgd", "sparse_categorical_crossentropy" if build is mlp else "mse")
            with pytest.raises(err):
                call(m)
                pytest.fail(f"{lib.__name__}: {what} was accepted")


def test_dataset_elements_have_numpy(rng: Any) -> None:
    """``for x, y in ds.take(1): x.numpy()`` as tf.data tutorials write it."""
    x = rng.normal(size=(6, 3)).astype("float32")
    y = np.arange(6)
    ds = tw.data.Dataset.from_tensor_slices((x, y)).batch(4)
    for bx, by in ds.take(1):
        np.testing.assert_array_equal(bx.numpy(), x[:4])
        assert type(bx.numpy()) is np.ndarray and bx.shape == (4, 3)
        np.testing.assert_array_equal(by.numpy(), y[:4])
    first = next(iter(tw.data.Dataset.from_tensor_slices({"a": x}).take(1)))
    np.testing.assert_array_equal(first["a"].numpy(), x[0])
    assert type(next(ds.as_numpy_iterator())[0]) is np.ndarray


def test_overridden_train_step_trains_as_keras_fit(keras: Any, rng: Any, close: Any) -> None:
    """A subclass overriding train_step/test_step Keras's TF/torch way (tw.value_and_grad
    instead of a GradientTape) trains exactly as Keras's built-in fit, and its returned
    logs are what fit/evaluate report."""

    class Custom(tw.Sequential):
        traced = 0

        def train_step(self, data: Any) -> dict:
            Custom.traced += 1
            x, y, sw = tw.utils.unpack_x_y_sample_weight(data)
            params = self.trainable_variables

            def loss_fn(values: Any) -> Any:
                y_pred = self(x, training=True)
                return self.compute_loss(x, y, y_pred, sw), y_pred

            (loss, y_pred), grads = tw.value_and_grad(loss_fn, has_aux=True)(
                [v.value for v in params])
            self.optimizer.apply(grads, params)
            for m in self.metrics:
                if m.name == "loss":
                    m.update_state(loss)
            return self.compute_metrics(x, y, y_pred, sw)

        def test_step(self, data: Any) -> dict:
            x, y, _ = tw.utils.unpack_x_y_sample_weight(data)
            y_pred = self(x, training=False)
            return {"sq": tw.ops.mean(tw.ops.square(y_pred - y))}

    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.normal(size=(32, 2)).astype("float32")
    keras.utils.set_random_seed(0)
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu"),
                               keras.layers.Dense(2)])
    ours = Custom([tw.Input((5,)), L.Dense(4, activation="relu"), L.Dense(2)])
    _copy_weights(ours, theirs)
    theirs.compile(keras.optimizers.Adam(0.01), "mse", metrics=["mae"])
    ours.compile(tw.optimizers.Adam(0.01), "mse", metrics=["mae"])
    h_t = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_o = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    _same_weights(close, ours, theirs, "custom train_step")
    close(np.asarray(h_o.history["mae"]), np.asarray(h_t.history["mae"]), rtol=RTOL,
          atol=ATOL, what="custom train_step: mae")
    assert Custom.traced == 1  # traced once, replayed for every batch
    sq = float(np.mean((np.asarray(theirs.predict(x, verbose=0)) - y) ** 2))
    close(np.float64(ours.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)["sq"]),
          np.float64(sq), rtol=RTOL, atol=ATOL, what="custom test_step")
