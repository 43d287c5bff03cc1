"""keras.utils / saving / models / datasets names checked against real Keras 3 where Keras
runs without TensorFlow, and against a direct NumPy computation of Keras's documented
semantics where Keras itself needs TensorFlow (``timeseries_dataset_from_array`` and
``split_dataset`` raise ImportError without it: checked below)."""

from __future__ import annotations

import os
import random
from typing import Any

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import InvalidArgumentError


def test_pack_unpack_config_standardize_dtype(keras: Any, rng: Any) -> None:
    x = rng.normal(size=(4, 2)).astype("float32")
    y = np.arange(4)
    cases = [(x,), (x, y), (x, y, y), ([x, x],), ([x, x], y), ((x,), None)]
    for args in cases:
        ours = tw.utils.pack_x_y_sample_weight(*args)
        theirs = keras.utils.pack_x_y_sample_weight(*args)
        assert type(ours) is type(theirs) and len(ours if isinstance(ours, tuple) else [1]) \
            == len(theirs if isinstance(theirs, tuple) else [1]), args
    for data in [x, (x,), (x, y), [x, y], (x, y, y)]:
        ours = tw.utils.unpack_x_y_sample_weight(data)
        theirs = keras.utils.unpack_x_y_sample_weight(data)
        assert [o is t for o, t in zip(ours, theirs)] == [True] * 3
    with pytest.raises(InvalidArgumentError):
        tw.utils.unpack_x_y_sample_weight((x, y, y, y))
    with pytest.raises(ValueError):
        keras.utils.unpack_x_y_sample_weight((x, y, y, y))

    for lib in (keras, tw):
        c = lib.utils.Config(a=1)
        c.b = 2
        c["d"] = 3
        assert (c.as_dict(), len(c), c.to_json()) == ({"a": 1, "b": 2, "d": 3}, 3,
                                                      '{"a": 1, "b": 2, "d": 3}')
        c.freeze()
        with pytest.raises(ValueError):
            c.a = 5
        c.unfreeze()
        c.a = 5
        assert c["a"] == 5
    for d in (int, float, bool, None, np.float32, np.int64, np.dtype("int8"), "float16",
              "bfloat16", "uint8"):
        assert tw.utils.standardize_dtype(d) == keras.utils.standardize_dtype(d), d


def test_interactive_logging_and_keras_tensors(keras: Any) -> None:
    for lib in (keras, tw):
        assert lib.utils.is_interactive_logging_enabled()
        lib.utils.disable_interactive_logging()
        assert not lib.utils.is_interactive_logging_enabled()
        lib.utils.enable_interactive_logging()
        assert lib.utils.is_interactive_logging_enabled()

    def graph(lib: Any) -> tuple:
        a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
        out = lib.layers.Add()([lib.layers.Dense(3)(a), b])
        return a, b, out

    for lib in (keras, tw):
        a, b, out = graph(lib)
        assert lib.utils.is_keras_tensor(out) and not lib.utils.is_keras_tensor(np.ones(3))
        src = lib.utils.get_source_inputs(out)
        assert len(src) == 2 and all(any(s is t for t in (a, b)) for s in src)
        assert lib.utils.get_source_inputs(a)[0] is a


def _keras_timeseries(data: np.ndarray, targets: Any, length: int, stride: int, rate: int,
                      batch: Any, start: Any, end: Any) -> list:
    """Keras's documented windows, computed directly (its grain path, in NumPy)."""
    s = start or 0
    e = end if end is not None else len(data)
    num = e - s - (length - 1) * rate
    if targets is not None:
        num = min(num, len(targets))
    positions = np.arange(0, num, stride)
    seqs = [data[s:e][p + np.arange(0, length * rate, rate)] for p in positions]
    tgts = None if targets is None else [targets[s:][p] for p in positions]
    out = []
    step = batch or 1
    for i in range(0, len(seqs), step):
        xs = np.stack(seqs[i:i + step]) if batch else seqs[i]
        if tgts is None:
            out.append(xs)
        else:
            out.append((xs, np.stack(tgts[i:i + step]) if batch else tgts[i]))
    return out


def test_timeseries_dataset_from_array(keras: Any, close: Any) -> None:
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(20) * 10
    with pytest.raises(ImportError):  # Keras needs TensorFlow (format="tf") or grain
        keras.utils.timeseries_dataset_from_array(data, targets, 3)
    cases = [(targets, 4, 1, 1, 3, None, None), (targets, 3, 2, 2, 4, 2, 17),
             (None, 5, 3, 1, 2, None, None), (targets, 2, 1, 3, None, 1, None),
             (targets[:6], 3, 1, 1, 128, None, None)]
    for tg, length, stride, rate, batch, start, end in cases:
        ds = tw.utils.timeseries_dataset_from_array(
            data, tg, length, sequence_stride=stride, sampling_rate=rate, batch_size=batch,
            start_index=start, end_index=end)
        ours = list(ds.as_numpy_iterator())
        expected = _keras_timeseries(data, tg, length, stride, rate, batch, start, end)
        assert len(ours) == len(expected)
        for o, t in zip(ours, expected):
            if tg is None:
                close(o, t, what="windows")
            else:
                close(o[0], t[0], what="windows")
                close(o[1], np.asarray(t[1]), what="targets")
    shuffled = list(tw.utils.timeseries_dataset_from_array(
        data, targets, 3, batch_size=None, shuffle=True, seed=7).as_numpy_iterator())
    positions = np.arange(0, 18)
    np.random.RandomState(7).shuffle(positions)
    assert [int(t) for _, t in shuffled] == [int(targets[p]) for p in positions]
    with pytest.raises(InvalidArgumentError):
        tw.utils.timeseries_dataset_from_array(data, targets, 3, sampling_rate=0)


def test_split_dataset(keras: Any) -> None:
    x = np.arange(10)
    y = np.arange(10) * 2
    with pytest.raises(ImportError):  # Keras returns tf.data datasets: needs TensorFlow
        keras.utils.split_dataset(x, left_size=0.8)
    left, right = tw.utils.split_dataset((x, y), left_size=0.75)
    lx = [int(a) for a, _ in left.as_numpy_iterator()]
    assert lx == list(range(8)) and [int(b) for _, b in right.as_numpy_iterator()] == [16, 18]
    left, right = tw.utils.split_dataset(x, right_size=3, shuffle=True, seed=5)
    order = list(range(10))
    random.Random(5).shuffle(order)  # Keras: random.seed(seed); random.shuffle(list)
    assert [int(v) for v in left.as_numpy_iterator()] == order[:7]
    assert [int(v) for v in right.as_numpy_iterator()] == order[7:]
    ds = tw.data.Dataset.from_tensor_slices({"a": x})
    left, right = tw.utils.split_dataset(ds, left_size=4, right_size=2)
    assert (len(left), len(right)) == (4, 2)
    with pytest.raises(InvalidArgumentError):
        tw.utils.split_dataset(x)
    with pytest.raises(InvalidArgumentError):
        tw.utils.split_dataset(x, left_size=0.7, right_size=0.6)


def test_progbar_matches_keras_averages(keras: Any, capsys: Any) -> None:
    """Keras and ours print the same values (verbose=2): stateless values averaged over
    the steps until the final update, stateful ones as given."""
    def drive(lib: Any, finish: bool, **kw: Any) -> None:
        bar = lib.utils.Progbar(4, verbose=2, **kw)
        bar.update(1, [("loss", 4.0), ("acc", 0.5)])
        bar.update(3, [("loss", 2.0), ("acc", 0.7)])
        if finish:
            bar.add(1, [("loss", 1.0), ("acc", 0.9)])
        else:
            bar.update(3, [("loss", 2.0)], finalize=True)

    for finish in (True, False):
        for kw in ({"stateful_metrics": ["acc"]}, {"stateless_metrics": ["loss"]}, {}):
            for lib in (keras, tw):
                drive(lib, finish, **kw)
            theirs, ours = capsys.readouterr().out.strip().splitlines()
            assert theirs.split(" - ")[0] == ours.split(" - ")[0]
            assert theirs.split("step")[-1] == ours.split("step")[-1], (theirs, ours)


def test_saving_and_models_names(keras: Any, tmp_path: Any) -> None:
    assert tw.saving.get_registered_name(tw.layers.Dense) == \
        keras.saving.get_registered_name(keras.layers.Dense) == "Dense"

    @tw.saving.register_keras_serializable(package="Pkg", name="Twice")
    def twice(v: Any) -> Any:
        return v * 2

    @keras.saving.register_keras_serializable(package="Pkg", name="Twice")
    def twice_k(v: Any) -> Any:
        return v * 2

    assert tw.saving.get_registered_name(twice) == keras.saving.get_registered_name(twice_k)
    assert tw.saving.get_custom_objects()["Pkg>Twice"] is twice
    assert keras.saving.get_custom_objects()["Pkg>Twice"] is twice_k
    with tw.utils.custom_object_scope({"Mine": twice}):
        assert tw.saving.get_registered_object("Mine") is twice
    with keras.utils.custom_object_scope({"Mine": twice_k}):
        assert keras.saving.get_registered_object("Mine") is twice_k

    model = tw.Sequential([tw.Input((3,)), tw.layers.Dense(2)])
    path = tmp_path / "m.keras"
    tw.models.save_model(model, path)
    again = tw.models.load_model(path)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_boston_housing_split_as_keras(tmp_path: Any, monkeypatch: Any) -> None:
    """Keras's file format and split on a synthetic local file (no download)."""
    from tensorweave.datasets import boston_housing

    data_rng = np.random.default_rng(3)
    x = data_rng.normal(size=(30, 13))
    y = data_rng.normal(size=(30,))
    path = tmp_path / "boston_housing.npz"
    np.savez(path, x=x, y=y)
    (xt, yt), (xs, ys) = boston_housing.load_data(str(path), test_split=0.3, seed=11)
    idx = np.arange(30)
    np.random.RandomState(11).shuffle(idx)  # keras/src/datasets/boston_housing.py
    cut = int(30 * (1 - 0.3))
    np.testing.assert_array_equal(xt, x[idx][:cut])
    np.testing.assert_array_equal(ys, y[idx][cut:])
    assert xs.shape == (30 - cut, 13) and yt.dtype == y.dtype
    assert boston_housing.URL.endswith("tf-keras-datasets/boston_housing.npz")
    monkeypatch.setenv("TENSORWEAVE_DATASETS", str(tmp_path / "cache"))
    os.makedirs(tmp_path / "cache" / "boston_housing")
    os.replace(path, tmp_path / "cache" / "boston_housing" / "boston_housing.npz")
    with pytest.raises(tw.errors.TensorweaveError):  # cached, but not Keras's checksum
        boston_housing.load_data()
    with pytest.raises(InvalidArgumentError):
        boston_housing.load_data(str(tmp_path), test_split=1.0)


def test_serialize_keras_object_format(keras: Any) -> None:
    """Keras's envelope (module, class_name, registered_name) for layers, initializers,
    losses, optimizers, activations and plain values; Keras's own dicts load back."""
    pairs = [
        (lambda lib: lib.layers.Dense(2), "layers"),
        (lambda lib: lib.initializers.GlorotUniform(seed=1), "initializers"),
        (lambda lib: lib.losses.MeanSquaredError(), "losses"),
        (lambda lib: lib.optimizers.SGD(0.1), "optimizers"),
        (lambda lib: lib.activations.relu, "activations"),
        (lambda lib: [1, (2, 3), {"a": None}, "relu"], "values"),
    ]
    for make, what in pairs:
        theirs = keras.saving.serialize_keras_object(make(keras))
        ours = tw.saving.serialize_keras_object(make(tw))
        if isinstance(theirs, dict):
            for key in ("module", "class_name", "registered_name"):
                assert ours[key] == theirs[key], (what, key)
            assert isinstance(ours["config"], type(theirs["config"])), what
        else:
            assert ours == theirs, what
        back = tw.saving.deserialize_keras_object(ours)
        assert type(back) is type(make(tw)) or back is make(tw), what
    assert tw.utils.serialize_keras_object is tw.saving.serialize_keras_object
    # Keras's dicts (their configs) deserialize into our objects
    loaded = tw.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(keras.losses.MeanSquaredError()))
    assert isinstance(loaded, tw.losses.MeanSquaredError)
    fn = tw.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(keras.activations.relu))
    assert fn is tw.activations.relu
    opt = tw.saving.deserialize_keras_object(
        {"module": "keras.optimizers", "class_name": "SGD",
         "config": {"learning_rate": 0.25, "momentum": 0.5}, "registered_name": None})
    assert isinstance(opt, tw.optimizers.SGD) and abs(float(opt.learning_rate) - 0.25) < 1e-7
    with pytest.raises(tw.errors.SerializationError):
        tw.saving.deserialize_keras_object({"class_name": "os.system", "config": {}})


def test_text_dataset_from_directory(keras: Any, tmp_path: Any) -> None:
    """The files, their order after the seeded shuffle and their labels are Keras's own
    ``index_directory``'s (pure Python in Keras); texts are the files' bytes (format "tf")
    or str ("grain"), cut to max_length; Keras's validation split."""
    from keras.src.utils import dataset_utils

    for cls, n in (("neg", 4), ("pos", 3), ("zzz", 2)):
        (tmp_path / cls / "nested").mkdir(parents=True)
        for i in range(n):
            where = tmp_path / cls / ("nested" if i % 2 else "") / f"f{i}.txt"
            where.write_text(f"{cls} text {i} é", encoding="utf-8")
        (tmp_path / cls / "skip.md").write_text("not a txt")
    k_paths, k_labels, k_names = dataset_utils.index_directory(
        str(tmp_path), "inferred", formats=(".txt",), shuffle=True, seed=3)
    ds = tw.utils.text_dataset_from_directory(tmp_path, batch_size=None, shuffle=True, seed=3,
                                              verbose=False)
    assert ds.file_paths == list(k_paths) and ds.class_names == list(k_names)
    flat = tw.utils.text_dataset_from_directory(tmp_path, batch_size=4, shuffle=False,
                                                verbose=False, max_length=9)
    k_plain, k_plain_labels, _ = dataset_utils.index_directory(
        str(tmp_path), "inferred", formats=(".txt",), shuffle=False)
    texts = [t for x, _ in flat.as_numpy_iterator() for t in x]
    labels = [int(v) for _, y in flat.as_numpy_iterator() for v in y]
    assert texts == [open(p, "rb").read()[:9] for p in k_plain]
    assert labels == [int(v) for v in k_plain_labels]
    grain = tw.utils.text_dataset_from_directory(tmp_path, batch_size=None, shuffle=False,
                                                 format="grain", verbose=False, max_length=12)
    assert [str(x) for x, _ in grain.as_numpy_iterator()] == \
        [open(p, encoding="utf-8").read()[:12] for p in k_plain]
    train, val = tw.utils.text_dataset_from_directory(
        tmp_path, seed=3, validation_split=0.3, subset="both", verbose=False,
        label_mode="categorical")
    n_val = int(0.3 * len(k_paths))
    assert val.file_paths == list(k_paths[-n_val:]) and len(train.file_paths) == 9 - n_val
    with pytest.raises(InvalidArgumentError):
        tw.utils.text_dataset_from_directory(tmp_path, validation_split=0.2, subset="training")
    with pytest.raises(InvalidArgumentError):
        tw.utils.text_dataset_from_directory(tmp_path, label_mode="binary", verbose=False)


def _write_wav(path: Any, samples: np.ndarray, rate: int = 8000) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def test_audio_dataset_from_directory(keras: Any, tmp_path: Any) -> None:
    """Keras's file order (its index_directory) and tf.audio.decode_wav's scaling
    (int16 / 32768), zero-padding per batch (padded_batch) or to
    output_sequence_length; Keras itself needs TensorFlow to decode."""
    from keras.src.utils import dataset_utils

    data_rng = np.random.default_rng(5)
    arrays = {}
    for cls, lengths in (("dog", (5, 9, 7)), ("cat", (6, 4))):
        (tmp_path / cls).mkdir()
        for i, n in enumerate(lengths):
            a = data_rng.integers(-32768, 32767, size=(n, 2)).astype("int16")
            path = tmp_path / cls / f"w{i}.wav"
            _write_wav(path, a)
            arrays[str(path)] = a
    with pytest.raises(ImportError):
        keras.utils.audio_dataset_from_directory(str(tmp_path))
    k_paths, k_labels, k_names = dataset_utils.index_directory(
        str(tmp_path), "inferred", formats=(".wav",), shuffle=True, seed=2)
    ds = tw.utils.audio_dataset_from_directory(tmp_path, batch_size=2, seed=2, shuffle=False,
                                               verbose=False)
    plain, plain_labels, _ = dataset_utils.index_directory(
        str(tmp_path), "inferred", formats=(".wav",), shuffle=False)
    batches = list(ds.as_numpy_iterator())
    for b, (x, y) in enumerate(batches):
        group = plain[2 * b:2 * b + 2]
        longest = max(len(arrays[p]) for p in group)
        assert x.shape == (len(group), longest, 2) and x.dtype == np.float32
        for j, p in enumerate(group):
            a = arrays[p].astype("float32") / 32768.0
            np.testing.assert_array_equal(x[j, :len(a)], a)
            assert not x[j, len(a):].any()
        assert y.tolist() == [int(v) for v in plain_labels[2 * b:2 * b + 2]]
    shuffled = tw.utils.audio_dataset_from_directory(tmp_path, seed=2, verbose=False)
    assert shuffled.file_paths == list(k_paths) and shuffled.class_names == list(k_names)
    fixed = tw.utils.audio_dataset_from_directory(tmp_path, batch_size=None, shuffle=False,
                                                  output_sequence_length=6, verbose=False)
    for (x, _), p in zip(fixed.as_numpy_iterator(), plain, strict=True):
        a = arrays[p][:6].astype("float32") / 32768.0
        np.testing.assert_array_equal(x[:len(a)], a)
        assert x.shape == (6, 2)
    with pytest.raises(InvalidArgumentError):
        tw.utils.audio_dataset_from_directory(tmp_path, ragged=True, verbose=False)
    with pytest.raises(InvalidArgumentError):
        list(tw.utils.audio_dataset_from_directory(tmp_path, sampling_rate=16000,
                                                   verbose=False))
