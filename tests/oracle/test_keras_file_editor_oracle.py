"""``tw.saving.KerasFileEditor`` against ``keras.saving.KerasFileEditor``.

Both editors open the same files (written by Keras and by tensorweave) and must see the
same weight tree; the same edits made by each give files that real Keras loads into the
same model with the same predictions; a file edited by ours loads in Keras, and a file
edited by Keras's loads in tensorweave, predicting what Keras predicts; ``compare`` agrees
with Keras on compatible and incompatible models; bad arguments raise ``ValueError``
(``InvalidArgumentError``) where Keras's editor does.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import tensorweave as tw

pytest.importorskip("h5py")


def _mlp(k, second=2, name="mlp"):
    L = k.layers
    return k.Sequential([k.Input((4,)), L.Dense(3, activation="relu"), L.Dense(second)],
                        name=name)


def _tree(d):
    """A weights_dict as plain nested dicts of arrays (Keras's uses OrderedDicts)."""
    return {k: _tree(v) if isinstance(v, dict) else np.asarray(v) for k, v in d.items()}


def _assert_same_tree(a, b, where=""):
    assert list(a) == list(b), f"{where}: keys {list(a)} vs {list(b)}"
    for k in a:
        if isinstance(a[k], dict):
            _assert_same_tree(a[k], b[k], f"{where}/{k}")
        else:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{where}/{k}")
            assert a[k].dtype == b[k].dtype, f"{where}/{k}"


def _quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def _edits(editor, new_kernel, new_bias):
    """The same edits, applied to either editor: replace the second Dense by a wider one,
    through delete/add/rename/delete_weight/add_weights."""
    editor.rename_object("layers/dense_1", "old_head")
    editor.delete_object("old_head")
    editor.add_object("layers/dense_1", weights={"0": new_kernel})
    editor.add_weights("dense_1", {"1": np.zeros((5,), "float32")})
    editor.delete_weight("layers/dense_1", "1")
    editor.add_weights("layers/dense_1", {"1": new_bias})


def test_editor_reads_edits_and_resaves_like_keras(keras, tmp_path, rng, close):
    x = rng.standard_normal((6, 4)).astype("float32")
    new_kernel = rng.standard_normal((3, 5)).astype("float32")
    new_bias = rng.standard_normal((5,)).astype("float32")

    # a file written by Keras, and one written by tensorweave, of the same model
    km = _mlp(keras)
    km.predict(x, verbose=0)
    kfile = tmp_path / "keras_made.keras"
    km.save(kfile)
    tm = _mlp(tw)
    tm.set_weights([np.asarray(w) for w in km.get_weights()])
    tfile = tmp_path / "tw_made.keras"
    tm.save(tfile)
    kweights = tmp_path / "keras_made.weights.h5"
    km.save_weights(kweights)

    for src in (kfile, tfile, kweights):
        ours = _quiet(tw.saving.KerasFileEditor, str(src))
        theirs = _quiet(keras.saving.KerasFileEditor, str(src))
        _assert_same_tree(_tree(ours.weights_dict), _tree(theirs.weights_dict), src.name)
        assert (ours.metadata is None) == (theirs.metadata is None)
        if src.suffix == ".keras":
            assert ours.config == theirs.config
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            ours.summary()
        text = out.getvalue()
        assert "Weights structure" in text and "shape=(4, 3)" in text and "dense_1" in text

        # the same edits by both editors, saved by each: Keras loads both into the wider
        # model and predicts the same; tensorweave loads both and predicts what Keras does
        _edits(ours, new_kernel, new_bias)
        _edits(theirs, new_kernel, new_bias)
        _assert_same_tree(_tree(ours.weights_dict), _tree(theirs.weights_dict),
                          f"{src.name} edited")
        ours_out = tmp_path / f"ours_{src.stem}.weights.h5"
        theirs_out = tmp_path / f"theirs_{src.stem}.weights.h5"
        _quiet(ours.save, str(ours_out))
        _quiet(theirs.resave_weights, str(theirs_out))
        want = None
        for path in (ours_out, theirs_out):
            kwide = _mlp(keras, second=5, name="wide")
            kwide.load_weights(str(path))
            got_k = np.asarray(kwide.predict(x, verbose=0))
            np.testing.assert_array_equal(np.asarray(kwide.layers[1].kernel), new_kernel)
            want = got_k if want is None else want
            np.testing.assert_array_equal(got_k, want)
            twide = _mlp(tw, second=5, name="wide")
            twide.load_weights(path)
            close(twide.predict(x, verbose=0), got_k, what=f"{path.name} in tensorweave")
        # re-opening our output in Keras's editor gives the edited tree back
        again = _quiet(keras.saving.KerasFileEditor, str(ours_out))
        _assert_same_tree(_tree(again.weights_dict), _tree(ours.weights_dict), "reopened")


def test_compare_agrees_with_keras(keras, tmp_path):
    km = _mlp(keras)
    kfile = tmp_path / "m.keras"
    km.save(kfile)
    ours = _quiet(tw.saving.KerasFileEditor, str(kfile))
    theirs = _quiet(keras.saving.KerasFileEditor, str(kfile))
    for second, extra in ((2, False), (5, False), (2, True)):
        def build(k, second=second, extra=extra):
            L = k.layers
            layers = [k.Input((4,)), L.Dense(3, activation="relu"), L.Dense(second)]
            return k.Sequential(layers + ([L.Dense(1)] if extra else []))

        mine = _quiet(ours.compare, build(tw))
        ref = _quiet(theirs.compare, build(keras))
        assert mine["status"] == ref["status"], (second, extra, mine, ref)
        assert (mine["error_count"] == 0) == (ref["error_count"] == 0)
    ok = _quiet(ours.compare, _mlp(tw))
    assert ok == {"status": "success", "error_count": 0, "match_count": 4}
    bad = _quiet(ours.compare, _mlp(tw, second=5))
    assert bad["status"] == "error" and bad["error_count"] == 2  # kernel and bias shapes


def test_bad_arguments_raise_where_keras_raises(keras, tmp_path):
    km = _mlp(keras)
    kfile = tmp_path / "m.keras"
    km.save(kfile)
    ours = _quiet(tw.saving.KerasFileEditor, str(kfile))
    theirs = _quiet(keras.saving.KerasFileEditor, str(kfile))
    calls = [("rename_object", ("dense", "a/b")), ("delete_object", ("nowhere",)),
             ("delete_object", ("layers/nowhere",)), ("delete_weight", ("dense", "7")),
             ("add_object", ("nowhere/dense_9", {"0": np.zeros(2)})),
             ("add_weights", ("dense", [np.zeros(2)])), ("save", (str(tmp_path / "x.h5"),))]
    for name, args in calls:
        with pytest.raises(ValueError):
            _quiet(getattr(theirs, name), *args)
        with pytest.raises(ValueError):
            _quiet(getattr(ours, name), *args)
    for path in (tmp_path / "m.h5", tmp_path / "m.tw"):
        path.write_bytes(b"")
        with pytest.raises(ValueError):
            _quiet(keras.saving.KerasFileEditor, str(path))
        with pytest.raises(ValueError):
            _quiet(tw.saving.KerasFileEditor, str(path))


def test_nested_objects_survive_a_resave(keras, tmp_path, rng, close):
    # an LSTM keeps its weights in a sub-object (layers/lstm/cell) next to an empty
    # layers/lstm/vars group; Keras 3.15's own editor drops such an object on reading, ours
    # keeps it, so the resaved file still loads in Keras and predicts as the original
    x = rng.standard_normal((3, 5, 2)).astype("float32")

    def build(k, units=4):
        return k.Sequential([k.Input((5, 2)), k.layers.LSTM(units), k.layers.Dense(2)])

    km = build(keras)
    want = np.asarray(km.predict(x, verbose=0))
    src = tmp_path / "lstm.keras"
    km.save(src)
    ours = _quiet(tw.saving.KerasFileEditor, str(src))
    assert sorted(ours.weights_dict["layers"]["lstm"]["cell"]) == ["0", "1", "2"]
    assert _quiet(ours.compare, build(tw))["status"] == "success"
    assert _quiet(ours.compare, build(tw, units=3))["status"] == "error"
    out = tmp_path / "lstm.weights.h5"
    _quiet(ours.save, str(out))
    again = build(keras)
    again.load_weights(str(out))
    close(again.predict(x, verbose=0), want, what="Keras after our resave")
    tm = build(tw)
    tm.load_weights(out)
    close(tm.predict(x, verbose=0), want, rtol=1e-4, atol=1e-5, what="tensorweave")


def test_bfloat16_weights_resave_as_keras_writes_them(keras, tmp_path):
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)

    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype="bfloat16")])

    km = build()
    want = np.asarray(km.predict(x, verbose=0)).astype("float32")
    src = tmp_path / "bf16.weights.h5"
    km.save_weights(str(src))
    ours = _quiet(tw.saving.KerasFileEditor, str(src))
    kernel = ours.weights_dict["layers"]["dense"]["0"]
    np.testing.assert_array_equal(np.asarray(kernel, "float32"),
                                  np.asarray(km.layers[0].kernel, "float32"))
    out = tmp_path / "bf16_out.weights.h5"
    _quiet(ours.save, str(out))
    again = build()
    again.load_weights(str(out))
    np.testing.assert_array_equal(np.asarray(again.predict(x, verbose=0)).astype("float32"),
                                  want)
