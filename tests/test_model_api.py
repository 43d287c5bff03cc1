"""The Keras-style model API: Sequential, functional and subclassed models, training."""

from __future__ import annotations

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import layers
from tensorweave.errors import InvalidArgumentError, ShapeError, TensorweaveError


def _toy(n=64, d=4, classes=3, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, d).astype("float32")
    w = rng.randn(d, classes)
    y = (x @ w).argmax(axis=1).astype("int32")
    return x, y


def test_sequential_builds_from_input_and_counts_params():
    model = tw.Sequential([tw.Input((64,)), layers.Dense(128, activation="relu"),
                           layers.Dense(10, activation="softmax")])
    assert model.built
    assert model.count_params() == 64 * 128 + 128 + 128 * 10 + 10
    assert [tuple(w.shape) for w in model.weights] == [(64, 128), (128,), (128, 10), (10,)]
    assert model.output_shape == (None, 10)


def test_sequential_keras2_input_dim_and_add_pop():
    model = tw.models.Sequential()
    model.add(layers.Dense(12, input_dim=8, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    assert model.built and model.input_shape == (None, 8)
    assert model.output_shape == (None, 1)
    popped = model.pop()
    assert isinstance(popped, layers.Dense) and model.output_shape == (None, 12)


def test_sequential_deferred_build_from_data():
    x, y = _toy()
    model = tw.Sequential([layers.Dense(8, activation="relu"), layers.Dense(3)])
    assert not model.built
    model.compile("sgd", loss=tw.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    assert model.built and len(model.weights) == 4


def test_summary_lists_layers_shapes_and_params(capsys):
    model = tw.Sequential([tw.Input((4,)), layers.Dense(5, name="hidden"),
                           layers.Dense(2, name="out")])
    model.summary()
    text = capsys.readouterr().out
    assert "hidden (Dense)" in text and "(None, 5)" in text and "25" in text
    assert "Total params: 37" in text


def test_fit_reduces_loss_and_history_keys():
    x, y = _toy(n=128)
    model = tw.Sequential([tw.Input((4,)), layers.Dense(16, activation="relu"),
                           layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=15, batch_size=16, validation_split=0.25, verbose=0)
    h = hist.history
    assert set(h) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h["loss"]) == 15
    assert h["loss"][-1] < h["loss"][0]
    assert h["acc"] == h["accuracy"]  # Keras-2 spelling still reads
    res = model.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 2 and 0.0 <= res[1] <= 1.0
    assert model.evaluate(x, y, verbose=0, return_dict=True).keys() >= {"loss", "accuracy"}


def test_predict_shapes_and_train_on_batch():
    x, y = _toy(n=40)
    model = tw.Sequential([tw.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    p = model.predict(x, batch_size=16)
    assert isinstance(p, np.ndarray) and p.shape == (40, 3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    loss0 = model.train_on_batch(x, y)[0]
    for _ in range(20):
        out = model.train_on_batch(x, y)
    assert out[0] < loss0
    assert np.asarray(model.predict_on_batch(x)).shape == (40, 3)
    assert model.test_on_batch(x, y)[0] == pytest.approx(model.evaluate(x, y, verbose=0)[0],
                                                          rel=1e-5)
    assert model.predict_classes(x).shape == (40,)


def test_functional_two_inputs_two_outputs():
    a = tw.Input((3,), name="a")
    b = tw.Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, activation="relu")(a), b]) \
        if hasattr(layers, "Concatenate") else None
    if h is None:
        pytest.skip("Concatenate layer not available yet")
    out1 = layers.Dense(1, name="reg")(h)
    out2 = layers.Dense(2, activation="softmax", name="cls")(h)
    model = tw.Model([a, b], [out1, out2])
    assert model.output_names == ["reg", "cls"]
    rng = np.random.RandomState(0)
    xa, xb = rng.randn(32, 3).astype("float32"), rng.randn(32, 2).astype("float32")
    y1 = rng.randn(32, 1).astype("float32")
    y2 = rng.randint(0, 2, 32)
    model.compile("adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 1.0, "cls": 0.5}, metrics={"cls": ["accuracy"]})
    h = model.fit([xa, xb], [y1, y2], epochs=2, batch_size=8, verbose=0)
    assert {"loss", "reg_loss", "cls_loss", "cls_accuracy"} <= set(h.history)
    p1, p2 = model.predict({"a": xa, "b": xb})
    assert p1.shape == (32, 1) and p2.shape == (32, 2)


def test_shared_layer_and_nested_model():
    inp = tw.Input((4,))
    shared = layers.Dense(4, activation="tanh")
    out = shared(shared(inp))
    inner = tw.Model(inp, out)
    outer = tw.Sequential([tw.Input((4,)), inner, layers.Dense(1)])
    assert len(inner.weights) == 2
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(np.asarray(outer(x)), outer.predict(x), rtol=1e-5)


def test_subclassed_model_trains():
    class MLP(tw.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(8, activation="relu")
            self.d2 = layers.Dense(3)

        def call(self, x):
            return self.d2(self.d1(x))

    x, y = _toy()
    model = MLP()
    model.compile("adam", tw.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = model.fit(x, y, epochs=5, verbose=0)
    assert len(model.trainable_weights) == 4
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_freezing_layer_keeps_its_weights():
    x, y = _toy()
    model = tw.Sequential([tw.Input((4,)), layers.Dense(8, name="frozen"), layers.Dense(3)])
    model.get_layer("frozen").trainable = False
    before = model.get_layer("frozen").get_weights()
    model.compile("sgd", tw.losses.SparseCategoricalCrossentropy(from_logits=True))
    model._reset_compiled_state()
    model.fit(x, y, epochs=2, verbose=0)
    after = model.get_layer("frozen").get_weights()
    for b, a in zip(before, after):
        np.testing.assert_array_equal(a, b)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_get_set_weights_and_errors():
    model = tw.Sequential([tw.Input((4,)), layers.Dense(2)])
    w = model.get_weights()
    w2 = [np.full_like(a, 0.5) for a in w]
    model.set_weights(w2)
    np.testing.assert_array_equal(model.get_weights()[0], w2[0])
    with pytest.raises(InvalidArgumentError, match="expected 2 arrays"):
        model.set_weights(w2[:1])
    with pytest.raises(ShapeError, match="shape"):
        model.set_weights([np.zeros((3, 2)), w2[1]])


def test_config_round_trip_sequential_and_json():
    model = tw.Sequential([tw.Input((4,)), layers.Dense(5, activation="relu"),
                           layers.Dense(2)])
    clone = tw.Sequential.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    x = np.random.RandomState(1).randn(3, 4).astype("float32")
    np.testing.assert_allclose(clone.predict(x), model.predict(x), rtol=1e-6)
    again = tw.models.model_from_json(model.to_json())
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x), model.predict(x), rtol=1e-6)


def test_uncompiled_fit_is_a_clear_error():
    model = tw.Sequential([tw.Input((4,)), layers.Dense(2)])
    with pytest.raises(TensorweaveError, match="compile"):
        model.fit(np.zeros((2, 4)), np.zeros((2, 2)))


def test_dense_wrong_input_dim_names_layer():
    model = tw.Sequential([tw.Input((4,)), layers.Dense(2, name="head")])
    with pytest.raises(ShapeError, match="head"):
        model(np.zeros((2, 5), "float32"))


def test_fit_generator_and_sequence_alias():
    x, y = _toy(n=32)

    class Batches(tw.utils.Sequence):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]

    model = tw.Sequential([tw.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc"])
    h = model.fit_generator(Batches(), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2
    assert len(model.evaluate_generator(Batches())) == 2
    assert model.predict_generator(Batches()).shape == (32, 3)


def test_dataset_pipeline_in_fit():
    x, y = _toy(n=48)
    ds = tw.data.Dataset.from_tensor_slices((x, y)).shuffle(48, seed=1).batch(16).prefetch(2)
    model = tw.Sequential([tw.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    h = model.fit(ds, epochs=3, verbose=0)
    assert len(h.history["loss"]) == 3


def test_identical_initial_weights_and_five_steps_across_backends():
    """Seeded models start equal on numpy and python and stay within float32 tolerance."""
    x, y = _toy(n=8, d=3, classes=2)
    results = {}
    for name in ("numpy", "python"):
        with tw.backend_scope(name):
            tw.utils.set_random_seed(7)
            tw.utils.clear_session()
            glorot = tw.initializers.GlorotUniform
            model = tw.Sequential([tw.Input((3,)),
                                   layers.Dense(4, activation="tanh",
                                                kernel_initializer=glorot(seed=3)),
                                   layers.Dense(2, kernel_initializer=glorot(seed=4))])
            init = model.get_weights()
            model.compile(tw.optimizers.SGD(0.1),
                          tw.losses.SparseCategoricalCrossentropy(from_logits=True))
            for _ in range(5):
                model.train_on_batch(x, y)
            results[name] = (init, model.get_weights())
    for a, b in zip(results["numpy"][0], results["python"][0]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(results["numpy"][1], results["python"][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_digits_mlp_reaches_97_percent():
    (xtr, ytr), (xte, yte) = tw.datasets.digits.load_data()
    xtr = xtr.reshape(-1, 64).astype("float32") / 16
    xte = xte.reshape(-1, 64).astype("float32") / 16
    tw.utils.set_random_seed(0)
    model = tw.Sequential([tw.Input((64,)), layers.Dense(128, activation="relu"),
                           layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(xtr, ytr, epochs=30, batch_size=32, verbose=0)
    _, acc = model.evaluate(xte, yte, verbose=0)
    assert acc >= 0.97


def test_functional_layer_returning_its_input_stays_in_the_graph():
    class Tap(tw.layers.Layer):
        """Returns its input unchanged (a logging or loss-adding layer)."""

        def call(self, inputs):
            return inputs

    inp = tw.Input((3,))
    tap = Tap()
    tapped = tap(inp)
    assert tapped is not inp and inp._keras_history[0] is not tap  # input history intact
    out = tw.layers.Dense(2)(tapped)
    m = tw.Model(inp, out)
    assert any(layer is tap for layer in m.layers)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(m.predict(x, verbose=0), m.layers[-1](x).numpy(), rtol=1e-6)


# ---- the Keras 3 Model API: overridable steps, stateless helpers, state trees -----------------
class _CountingStep(tw.Sequential):
    """A train_step override written as Keras's "customizing fit" guide does (without a
    GradientTape: tw.value_and_grad over the trainable values)."""

    def train_step(self, data):
        x, y, sw = tw.utils.unpack_x_y_sample_weight(data)
        params = self.trainable_variables

        def loss_fn(values):
            y_pred = self(x, training=True)
            return self.compute_loss(x, y, y_pred, sw), y_pred

        (loss, y_pred), grads = tw.value_and_grad(loss_fn, has_aux=True)(
            [v.value for v in params])
        self.optimizer.apply(grads, params)
        self.metrics[0].update_state(loss)
        logs = self.compute_metrics(x, y, y_pred, sw)
        logs["twice_loss"] = loss * 2.0
        return logs


def test_overridden_train_step_matches_the_built_in_step_on_every_backend(tw_backend):
    x, y = _toy(32)

    def build(cls):
        tw.utils.set_random_seed(1)
        model = cls([tw.Input((4,)), layers.Dense(3, activation="softmax")])
        model.compile(tw.optimizers.SGD(0.1), "sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        return model

    custom, plain = build(_CountingStep), build(tw.Sequential)
    plain.set_weights(custom.get_weights())
    h_c = custom.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    h_p = plain.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(custom.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_c.history["accuracy"], h_p.history["accuracy"])
    assert "twice_loss" in h_c.history


def test_make_functions_state_tree_and_stateless_helpers(tw_backend):
    x, y = _toy(16)
    model = tw.Sequential([tw.Input((4,)), layers.Dense(3), layers.BatchNormalization(),
                           layers.Softmax()])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    assert model.run_eagerly is False and model.jit_compile is True
    logs = model.make_train_function()((x, y))
    assert set(logs) == {"loss", "accuracy"}
    assert model.make_train_function() is model.train_function
    assert model.make_predict_function()(x).shape == (16, 3)
    tree = model.get_state_tree("numpy_array")
    assert set(tree) == {"trainable_variables", "non_trainable_variables",
                         "optimizer_variables", "metrics_variables"}
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, verbose=0)
    model.set_state_tree(tree)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(InvalidArgumentError):
        model.set_state_tree({"weights": {}})
    values = ([v.value for v in model.trainable_variables],
              [v.value for v in model.non_trainable_variables],
              [v.value for v in model.metrics_variables])
    (loss, (unscaled, y_pred, non_trainable, _)), grads = tw.value_and_grad(
        model.compute_loss_and_updates, has_aux=True)(*values, x, y, None, True)
    assert tuple(y_pred.shape) == (16, 3) and len(grads) == len(values[0])
    assert any(float(tw.ops.max(tw.ops.abs(g))) > 0 for g in grads)
    # the moving statistics moved in training mode, but no variable was assigned
    assert not np.allclose(tw.ops.convert_to_numpy(non_trainable[0]),
                           tw.ops.convert_to_numpy(values[1][0]))
    np.testing.assert_array_equal(model.get_weights()[2], before[2])
    eval_loss, _ = model.stateless_compute_loss(*values, x=x, y=y, y_pred=model(x))
    np.testing.assert_allclose(float(eval_loss),
                               model.evaluate(x, y, batch_size=16, verbose=0)[0], rtol=1e-5)
    config = model.get_compile_config()
    clone = tw.models.clone_model(model)
    clone.compile_from_config(config)
    assert type(clone.optimizer) is type(model.optimizer) and clone.compiled


def test_dict_targets_need_every_output_name_and_weights_match_targets():
    inp = tw.Input((3,))
    model = tw.Model(inp, [layers.Dense(1, name="b")(inp), layers.Dense(2, name="a")(inp)])
    model.compile("sgd", "mse")
    x = np.ones((4, 3), "float32")
    with pytest.raises(InvalidArgumentError, match="output names"):
        model.fit(x, {"a": np.ones((4, 2)), "c": np.ones((4, 1))}, verbose=0)
    with pytest.raises(InvalidArgumentError, match="sample_weight"):
        model.fit(x, {"a": np.ones((4, 2)), "b": np.ones((4, 1))},
                  sample_weight=[np.ones(4)] * 3, verbose=0)
    with pytest.raises(InvalidArgumentError, match="sample_weight"):
        model.fit(((x, [np.ones((4, 1)), np.ones((4, 2))]) for _ in range(2)),
                  sample_weight=np.ones(4), verbose=0)


def test_summary_keras_options(capsys):
    inner = tw.Sequential([tw.Input((4,)), layers.Dense(3, name="i1")], name="inner")
    model = tw.Sequential([tw.Input((5,)), layers.Dense(4, name="d0"), inner,
                           layers.Dense(1, name="out")])
    model.layers[0].trainable = False
    model.summary(expand_nested=True, show_trainable=True)
    text = capsys.readouterr().out
    assert "i1 (Dense)" in text and "Trainable" in text
    d0 = next(line for line in text.splitlines() if line.startswith("d0 "))
    assert d0.rstrip().endswith("N")
    model.summary(layer_range=["inner", "out"])
    text = capsys.readouterr().out
    assert "d0 (Dense)" not in text and "out (Dense)" in text
    with pytest.raises(InvalidArgumentError, match="layer_range"):
        model.summary(layer_range=["out", "d0"])


# ---- the optimizer's trainer hooks: scale_loss, finalize_variable_values ---------------------
def _regression_fit(optimizer, epochs=1, model_cls=None):
    rng = np.random.RandomState(3)
    x = rng.randn(32, 4).astype("float32")
    y = rng.randn(32, 2).astype("float32")
    cls = model_cls or tw.Sequential
    model = cls([tw.Input((4,)), layers.Dense(3, activation="tanh"), layers.Dense(2)])
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                       for w in model.get_weights()])
    model.compile(optimizer, "mse")
    model.fit(x, y, batch_size=8, epochs=epochs, shuffle=False, verbose=0)
    return model


class _ScaledDocStep(tw.Sequential):
    """docs/training.md's train_step override, differentiating the scaled loss."""

    def train_step(self, data):
        x, y, sw = tw.utils.unpack_x_y_sample_weight(data)
        params = self.trainable_variables

        def loss_fn(values):
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sw)
            return self.optimizer.scale_loss(loss), loss

        (_, loss), grads = tw.value_and_grad(loss_fn, has_aux=True)(
            [v.value for v in params])
        self.optimizer.apply(grads, params)
        return {"loss": loss}


def test_fit_differentiates_the_scaled_loss_so_updates_match_plain_sgd(tw_backend):
    """apply() divides the gradients by loss_scale_factor / the dynamic scale, so the
    step must differentiate optimizer.scale_loss(loss) (Keras's trainers do)."""
    plain = _regression_fit(tw.optimizers.SGD(0.1)).get_weights()
    for opt, cls in [(tw.optimizers.SGD(0.1, loss_scale_factor=128.0), None),
                     (tw.optimizers.LossScaleOptimizer(tw.optimizers.SGD(0.1)), None),
                     (tw.optimizers.SGD(0.1, loss_scale_factor=128.0), _ScaledDocStep)]:
        got = _regression_fit(opt, model_cls=cls).get_weights()
        for a, b in zip(got, plain):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_compute_loss_and_updates_returns_the_scaled_and_the_unscaled_loss(tw_backend):
    model = _regression_fit(tw.optimizers.SGD(0.1, loss_scale_factor=8.0))
    rng = np.random.RandomState(4)
    x = rng.randn(8, 4).astype("float32")
    y = rng.randn(8, 2).astype("float32")
    values = ([v.value for v in model.trainable_variables],
              [v.value for v in model.non_trainable_variables],
              [v.value for v in model.metrics_variables])
    loss, (unscaled, _, _, _) = model.compute_loss_and_updates(*values, x, y, None, True)
    np.testing.assert_allclose(float(loss), 8.0 * float(unscaled), rtol=1e-6)
    loss, (unscaled, _, _, _) = model.compute_loss_and_updates(*values, x, y, None, False)
    assert float(loss) == float(unscaled)


def test_fit_writes_the_ema_weights_into_the_model_at_the_end(tw_backend):
    opt = tw.optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9)
    model = _regression_fit(opt, epochs=2)
    averages = [tw.ops.convert_to_numpy(v.value) for v in opt._model_variables_moving_average]
    for w, avg in zip(model.get_weights(), averages):
        np.testing.assert_array_equal(w, avg)
    plain = _regression_fit(tw.optimizers.SGD(0.1), epochs=2).get_weights()
    assert not all(np.allclose(a, b) for a, b in zip(model.get_weights(), plain))


def test_a_model_subclass_built_functionally_overrides_train_step(tw_backend):
    """Keras's "customizing fit" guide: ``class CustomModel(keras.Model)`` with its own
    ``train_step``, built as ``CustomModel(inputs, outputs)`` (this raised
    NotImplementedError: CustomModel must implement call())."""
    calls = []

    class CustomModel(tw.Model):
        def train_step(self, data):
            calls.append(1)
            return super().train_step(data)

    inp = tw.Input((3,))
    out = tw.layers.Dense(1, kernel_initializer="ones")(inp)
    model = CustomModel(inp, out)
    assert isinstance(model, tw.models.Functional) and isinstance(model, CustomModel)
    model.compile("sgd", "mse")
    before = model.get_weights()[0].copy()
    model.fit(np.ones((8, 3), "float32"), np.zeros((8, 1), "float32"), epochs=1, verbose=0)
    assert calls and not np.allclose(model.get_weights()[0], before)
    assert model.predict(np.ones((2, 3), "float32"), verbose=0).shape == (2, 1)
    again = CustomModel(inputs=inp, outputs=out)  # keyword spelling too
    assert again.layers[-1] is model.layers[-1]
