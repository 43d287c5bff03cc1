"""Linear algebra, FFT/STFT and segment ops against real Keras 3 (``keras.ops``, JAX).

Every case feeds the same NumPy inputs to ``tw.ops`` (on the numpy and the pure-Python
backend) and to ``keras.ops`` and compares values, shapes and dtypes. Eigen- and singular
vectors are compared where both libraries define them: up to the sign of each vector.
Gradients are compared with JAX's ``jax.grad`` of the Keras op.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import ops as T
from tensorweave.errors import TensorweaveError

BACKENDS = ["numpy", "python"]

#: Keras's results by case, computed once for both tensorweave backends (each new Keras
#: call compiles under JAX, which dominates the run time)
_THEIRS: dict[str, Any] = {}


class _Keras:
    """``keras.ops`` with each call's result remembered by its arguments' text."""

    def __init__(self, keras: Any) -> None:
        self._ops = keras.ops

    def __getattr__(self, name: str) -> Any:
        fn = getattr(self._ops, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            key = f"{name}{_key(args)}{_key(sorted(kwargs.items()))}"
            if key not in _THEIRS:
                _THEIRS[key] = fn(*args, **kwargs)
            return _THEIRS[key]
        return call


def _key(obj: Any) -> str:
    if isinstance(obj, np.ndarray):
        return f"a{obj.shape}{obj.dtype}{hash(obj.tobytes())}"
    if isinstance(obj, (list, tuple)):
        return "(" + ",".join(_key(o) for o in obj) + ")"
    return repr(obj)


def _np(x: Any) -> np.ndarray:
    return np.asarray(T.convert_to_numpy(x)) if hasattr(x, "_backend") else np.asarray(x)


def _sign_fix(v: np.ndarray, axis: int) -> np.ndarray:
    """Each vector (along ``axis``) multiplied by the sign of its largest entry."""
    idx = np.argmax(np.abs(v), axis=axis)
    big = np.take_along_axis(v, np.expand_dims(idx, axis), axis)
    return v * np.sign(big)


def _inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    f = lambda *s: rng.normal(size=s).astype("float32")  # noqa: E731
    a = f(2, 3, 3) + 3 * np.eye(3, dtype="float32")
    m = f(3, 3)
    return {
        "sq": a, "sq2": a[0], "spd": (m @ m.T + 3 * np.eye(3)).astype("float32"),
        "bspd": np.einsum("bij,bkj->bik", a, a).astype("float32"),
        "b": f(2, 3, 2), "bv": f(3), "tall": f(4, 3), "wide": f(3, 5), "bt": f(2, 4, 3),
        "rankdef": np.array([[1, 2, 3], [2, 4, 6], [1, 0, 1]], "float32"),
        "x3": f(2, 3, 4), "ints": np.arange(12, dtype="int32").reshape(3, 4) - 5,
    }


@pytest.mark.parametrize("be", BACKENDS)
def test_decompositions_and_solvers(keras: Any, rng: np.random.Generator, close: Any,
                                    be: str) -> None:
    K = _Keras(keras)
    d = _inputs(rng)
    with tw.backend_scope(be):
        tol = {"rtol": 2e-4, "atol": 2e-5}
        for upper in (False, True):
            close(T.cholesky(d["spd"], upper), K.cholesky(d["spd"], upper),
                  what=f"cholesky upper={upper}", **tol)
            close(T.cholesky(d["bspd"], upper=upper), K.cholesky(d["bspd"], upper=upper),
                  what="cholesky batched", **tol)
            low = np.asarray(K.cholesky(d["spd"], upper))
            close(T.cholesky_inverse(low, upper), K.cholesky_inverse(low, upper),
                  what="cholesky_inverse", **tol)
        close(T.det(d["sq"]), K.det(d["sq"]), what="det", **tol)
        close(T.inv(d["sq"]), K.inv(d["sq"]), what="inv", **tol)
        close(T.solve(d["sq"], d["b"]), K.solve(d["sq"], d["b"]), what="solve", **tol)
        close(T.solve(d["sq2"], d["bv"]), K.solve(d["sq2"], d["bv"]), what="solve vector",
              **tol)
        for lower in (False, True):
            close(T.solve_triangular(d["sq"], d["b"], lower),
                  K.solve_triangular(d["sq"], d["b"], lower), what=f"solve_triangular {lower}",
                  **tol)
        for ours, theirs in zip(T.slogdet(d["sq"]), K.slogdet(d["sq"])):
            close(ours, theirs, what="slogdet", **tol)
        close(T.logdet(d["bspd"]), K.logdet(d["bspd"]), what="logdet", **tol)
        for b in (d["tall"][:, 0], d["tall"][:, :2]):
            close(T.lstsq(d["tall"], b), K.lstsq(d["tall"], b), what="lstsq", **tol)
        close(T.lstsq(d["rankdef"], d["bv"]), K.lstsq(d["rankdef"], d["bv"]),
              what="lstsq rank-deficient", rtol=1e-3, atol=1e-4)
        for ours, theirs in zip(T.lu_factor(d["sq"]), K.lu_factor(d["sq"])):
            close(ours, theirs, what="lu_factor", **tol)
        for x in ("sq", "rankdef", "wide"):
            close(T.matrix_rank(d[x]), K.matrix_rank(d[x]), what=f"matrix_rank {x}")
        close(T.matrix_rank(d["sq2"], tol=3.5), K.matrix_rank(d["sq2"], tol=3.5),
              what="matrix_rank tol")
        for x in ("tall", "wide", "bt"):
            close(T.pinv(d[x]), K.pinv(d[x]), what=f"pinv {x}", **tol)
        close(T.pinv(d["rankdef"], rcond=1e-3), K.pinv(d["rankdef"], rcond=1e-3),
              what="pinv rcond", rtol=1e-3, atol=1e-4)
        close(T.cdist(d["bt"], d["x3"][:, :, :3]), K.cdist(d["bt"], d["x3"][:, :, :3]),
              what="cdist", **tol)
        for kw in ({}, {"offset": 1}, {"offset": -1, "axis1": 2, "axis2": 0}):
            close(T.trace(d["x3"], **kw), K.trace(d["x3"], **kw), what=f"trace {kw}", **tol)
        close(T.trace(d["ints"]), K.trace(d["ints"]), what="trace int")


@pytest.mark.parametrize("be", BACKENDS)
def test_qr_svd_eigh(keras: Any, rng: np.random.Generator, close: Any, be: str) -> None:
    K = _Keras(keras)
    d = _inputs(rng)
    tol = {"rtol": 2e-4, "atol": 2e-5}
    with tw.backend_scope(be):
        for x in ("tall", "wide", "sq"):
            for mode in ("reduced", "complete"):
                q, r = T.qr(d[x], mode=mode)
                kq, kr = K.qr(d[x], mode=mode)
                # both follow LAPACK's Householder signs
                close(q, kq, what=f"qr q {x} {mode}", **tol)
                close(r, kr, what=f"qr r {x} {mode}", **tol)
            for full in (True, False):
                u, s, vh = T.svd(d[x], full_matrices=full)
                ku, ks, kvh = K.svd(d[x], full_matrices=full)
                k = min(d[x].shape[-2:])
                close(s, ks, what=f"svd s {x}", **tol)
                assert _np(u).shape == tuple(ku.shape) and _np(vh).shape == tuple(kvh.shape)
                close(_sign_fix(_np(u)[..., :k], -2), _sign_fix(np.asarray(ku)[..., :k], -2),
                      what=f"svd u {x} full={full}", rtol=1e-3, atol=1e-4)
                close(_sign_fix(_np(vh)[..., :k, :], -1),
                      _sign_fix(np.asarray(kvh)[..., :k, :], -1),
                      what=f"svd vh {x} full={full}", rtol=1e-3, atol=1e-4)
                if full:  # the completed bases are orthonormal
                    for mat in (_np(u), _np(vh)):
                        gram = np.swapaxes(mat, -1, -2) @ mat
                        np.testing.assert_allclose(
                            gram, np.broadcast_to(np.eye(mat.shape[-1]), gram.shape),
                            atol=1e-5)
            close(T.svd(d[x], compute_uv=False), K.svd(d[x], compute_uv=False),
                  what="svd values", **tol)
        for x in ("spd", "bspd", "sq"):  # "sq" is not symmetric: both read (x + x^T) / 2
            w, v = T.eigh(d[x])
            kw_, kv = K.eigh(d[x])
            close(w, kw_, what=f"eigh w {x}", rtol=1e-4, atol=1e-4)
            close(_sign_fix(_np(v), -2), _sign_fix(np.asarray(kv), -2), what=f"eigh v {x}",
                  rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("be", BACKENDS)
def test_norm(keras: Any, rng: np.random.Generator, close: Any, be: str) -> None:
    K = _Keras(keras)
    d = _inputs(rng)
    inf = float("inf")
    cases = [
        ("x3", {}), ("x3", {"keepdims": True}), ("sq2", {"ord": "fro"}),
        ("sq2", {"ord": "nuc"}), ("x3", {"ord": 2, "axis": (1, 2)}),
        ("x3", {"ord": -2, "axis": (2, 1), "keepdims": True}),
        ("x3", {"ord": 1, "axis": (0, 2)}), ("x3", {"ord": -1, "axis": (1, 2)}),
        ("x3", {"ord": inf, "axis": (1, 2), "keepdims": True}), ("sq2", {"ord": -inf}),
        ("x3", {"axis": -1}), ("x3", {"ord": 1, "axis": 1}), ("x3", {"ord": 0, "axis": 0}),
        ("x3", {"ord": 3, "axis": -1, "keepdims": True}), ("x3", {"ord": inf, "axis": 2}),
        ("x3", {"ord": -inf, "axis": 1}), ("bv", {"ord": 2}), ("ints", {}),
        ("ints", {"ord": 1, "axis": 0}), ("x3", {"ord": "nuc", "axis": (0, 2)}),
    ]
    with tw.backend_scope(be):
        for x, kw in cases:
            close(T.norm(d[x], **kw), K.norm(d[x], **kw), what=f"norm {x} {kw}", rtol=2e-5,
                  atol=2e-5)


@pytest.mark.parametrize("be", BACKENDS)
def test_fft_family(keras: Any, rng: np.random.Generator, close: Any, be: str) -> None:
    K = _Keras(keras)
    re, im = rng.normal(size=(2, 3, 8)).astype("float32"), rng.normal(size=(2, 3, 8)).astype(
        "float32")
    sig = rng.normal(size=(2, 40)).astype("float32")
    tol = {"rtol": 1e-4, "atol": 5e-6 * 16}
    with tw.backend_scope(be):
        for name in ("fft", "fft2", "ifft2"):
            for ours, theirs in zip(getattr(T, name)((re, im)), getattr(K, name)((re, im))):
                close(ours, theirs, what=name, **tol)
        for n in (None, 5, 11):
            for ours, theirs in zip(T.rfft(re, n), K.rfft(re, n)):
                close(ours, theirs, what=f"rfft {n}", **tol)
        spec = tuple(np.asarray(t) for t in K.rfft(re))
        for n in (None, 7, 12):
            close(T.irfft(spec, n), K.irfft(spec, n), what=f"irfft {n}", **tol)
        for seq, step in ((8, 3), (40, 1)):
            close(T.extract_sequences(sig, seq, step), K.extract_sequences(sig, seq, step),
                  what="extract_sequences")
        win = rng.uniform(size=(10,)).astype("float32")
        for seq, step, nfft, window, center in ((16, 4, 16, "hann", True),
                                                 (10, 4, 12, win, False)):
            what = f"stft {seq} {step} {nfft} {center}"
            ours = T.stft(sig, seq, step, nfft, window, center)
            theirs = K.stft(sig, seq, step, nfft, window, center)
            for o, t in zip(ours, theirs):
                close(o, t, what=what, **tol)
            spec = tuple(np.asarray(t) for t in theirs)
            # window=None: Keras divides by the stride, not by the window's sum
            for length, win_i in ((None, window), (30, None)):
                close(T.istft(spec, seq, step, nfft, length, win_i, center),
                      K.istft(spec, seq, step, nfft, length, win_i, center),
                      what=f"i{what} length={length} window={win_i is not None}",
                      rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("be", BACKENDS)
def test_unfold_fold(keras: Any, rng: np.random.Generator, close: Any, be: str) -> None:
    K = _Keras(keras)
    x = rng.normal(size=(2, 3, 7, 6)).astype("float32")
    with tw.backend_scope(be):
        for kw in ({"kernel_size": 2}, {"kernel_size": (3, 2), "dilation": (1, 2),
                                        "padding": 1, "stride": (2, 1)}):
            cols = K.unfold(x, **kw)
            close(T.unfold(x, **kw), cols, what=f"unfold {kw}")
            cols = np.asarray(cols)
            close(T.fold(cols, (7, 6), **kw), K.fold(cols, (7, 6), **kw), what=f"fold {kw}",
                  rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("be", BACKENDS)
def test_segment_ops(keras: Any, rng: np.random.Generator, close: Any, be: str) -> None:
    K = _Keras(keras)
    data = rng.normal(size=(7, 2, 3)).astype("float32")
    ints = rng.integers(-5, 5, size=(7, 3)).astype("int32")
    ids = np.array([0, 0, 3, 1, 3, 3, 1], "int32")
    with tw.backend_scope(be):
        for name in ("segment_sum", "segment_max", "segment_min", "segment_prod"):
            for x in (data, ints):
                # 5 segments: segments 2 and 4 are empty (the reduction's identity)
                close(getattr(T, name)(x, ids, 5), getattr(K, name)(x, ids, 5),
                      what=f"{name} {x.dtype}", rtol=1e-5, atol=1e-6)
                close(getattr(T, name)(x, ids, num_segments=None, sorted=False),
                      getattr(K, name)(x, ids, 4), what=f"{name} inferred num_segments")


@pytest.mark.parametrize("be", BACKENDS)
def test_gradients_match_jax(keras: Any, rng: np.random.Generator, close: Any,
                             be: str) -> None:
    import jax

    K = keras.ops
    d = _inputs(rng)
    c33 = rng.normal(size=(3, 3)).astype("float32")
    c32 = rng.normal(size=(2, 3, 2)).astype("float32")
    cases = [
        ("inv", lambda o, a: o.sum(o.inv(a) * c33), [d["sq2"]]),
        ("det", lambda o, a: o.det(a), [d["sq2"]]),
        ("logdet", lambda o, a: o.slogdet(a)[1], [d["sq2"]]),
        ("solve", lambda o, a, b: o.sum(o.solve(a, b) * c32), [d["sq"], d["b"]]),
        ("cholesky", lambda o, a: o.sum(o.cholesky(a) * c33), [d["spd"]]),
        ("eigh", lambda o, a: o.sum(o.eigh(a)[0] * c33[0]), [d["spd"]]),
        ("svd", lambda o, a: o.sum(o.svd(a, compute_uv=False) * c33[0]), [d["tall"]]),
        ("norm nuc", lambda o, a: o.norm(a, ord="nuc"), [d["tall"]]),
        ("norm fro", lambda o, a: o.norm(a), [d["x3"]]),
        ("rfft", lambda o, a: o.sum(o.rfft(a)[1] * c33[0, :1]), [d["x3"]]),
        ("segment_max", lambda o, a: o.sum(o.segment_max(a, np.array([0, 1, 0], "int32"), 2)
                                           * c33[:2, :1]), [d["sq2"]]),
    ]
    with tw.backend_scope(be):
        for what, fn, xs in cases:
            argnums = tuple(range(len(xs)))
            ours = tw.grad(lambda *a, fn=fn: fn(T, *a), argnums=argnums)(*xs)
            if f"grad {what}" not in _THEIRS:
                _THEIRS[f"grad {what}"] = jax.grad(lambda *a, fn=fn: fn(K, *a),
                                                   argnums=argnums)(*xs)
            theirs = _THEIRS[f"grad {what}"]
            for o, t in zip(ours, theirs):
                close(o, t, what=f"grad {what}", rtol=2e-3, atol=2e-4)


@pytest.mark.parametrize("be", BACKENDS)
def test_bad_input_is_a_tensorweave_error(be: str) -> None:
    sq = np.eye(3, dtype="float32")
    with tw.backend_scope(be):
        bad = [
            lambda: T.inv(np.ones((2, 3), "float32")),
            lambda: T.solve(sq, np.ones((4, 1), "float32")),
            lambda: T.solve(np.zeros((2, 2), "float32"), np.ones((2,), "float32")),
            lambda: T.cholesky(-sq),
            lambda: T.qr(sq, mode="r"),
            lambda: T.norm(sq, ord="bad"),
            lambda: T.norm(sq[0], ord="fro", axis=0),
            lambda: T.fft(sq),
            lambda: T.fft((sq, sq[:2])),
            lambda: T.stft(sq[0].astype("int32"), 2, 1, 2),
            lambda: T.stft(sq[0], 3, 1, 2),
            lambda: T.segment_sum(sq, np.array([0, 1], "int32")),
            lambda: T.segment_sum(sq, np.array([0.0, 1.0, 1.0], "float32")),
            lambda: T.lstsq(sq, np.ones((2,), "float32")),
        ]
        for i, f in enumerate(bad):
            with pytest.raises(TensorweaveError):
                f()
                pytest.fail(f"case {i} did not raise")


@pytest.mark.parametrize("be", BACKENDS)
def test_stft_initializer(keras: Any, close: Any, be: str) -> None:
    configs = [{}, {"side": "imag", "window": "hamming", "scaling": "spectrum",
                    "periodic": True},
               {"window": None, "scaling": None}, {"window": "blackman"},
               {"window": "bartlett", "periodic": True},
               {"window": [0.1 * i for i in range(16)], "side": "imag"}]
    with tw.backend_scope(be):
        for kw in configs:
            # Keras builds its angles in float32 (t * k / n * pi): about 1e-6 apart
            close(tw.initializers.STFT(**kw)((16, 1, 9)),
                  keras.initializers.STFT(**kw)((16, 1, 9)), what=f"STFT {kw}", atol=3e-6)
        assert tw.initializers.get("stft").get_config() == \
            keras.initializers.get("stft").get_config()
        assert tw.initializers.STFTInitializer is tw.initializers.STFT


@pytest.mark.parametrize("be", BACKENDS)
def test_spectrogram_layers(keras: Any, rng: np.random.Generator, close: Any,
                            be: str) -> None:
    x = rng.normal(size=(2, 48, 2)).astype("float32")
    sig = rng.normal(size=(2, 300)).astype("float32")
    stft_cases = [
        ("log", {}),
        ("magnitude", {"expand_dims": True, "padding": "same", "frame_step": 5,
                       "fft_length": 32, "window": "hamming", "periodic": True,
                       "scaling": "spectrum"}),
        ("psd", {"data_format": "channels_first"}),
        ("angle", {}),
        ("stft", {"data_format": "channels_first", "expand_dims": True, "window": None,
                  "scaling": None}),
    ]
    mel_cases = [
        {"fft_length": 64, "sequence_stride": 16, "num_mel_bins": 20, "sampling_rate": 8000},
        {"fft_length": 64, "sequence_stride": 32, "sequence_length": 48, "num_mel_bins": 10,
         "power_to_db": False, "mag_exp": 1.0, "window": "hamming", "max_freq": 3000,
         "min_freq": 100.0},
    ]
    with tw.backend_scope(be):
        for mode, kw in stft_cases:
            xi = x.transpose(0, 2, 1).copy() if kw.get("data_format") == "channels_first" \
                else x
            key = f"STFTSpectrogram {mode} {kw}"
            if key not in _THEIRS:
                _THEIRS[key] = keras.layers.STFTSpectrogram(mode=mode, frame_length=16,
                                                            **kw)(xi)
            ours = tw.layers.STFTSpectrogram(mode=mode, frame_length=16, **kw)(xi)
            theirs = np.asarray(_THEIRS[key])
            if mode == "angle":  # +-pi on the negative real axis are the same angle
                diff = np.abs(_np(ours) - theirs)
                assert np.minimum(diff, 2 * np.pi - diff).max() < 1e-3, key
            else:
                close(ours, theirs, what=key, rtol=1e-4, atol=1e-4)
        for kw in mel_cases:
            key = f"MelSpectrogram {kw}"
            if key not in _THEIRS:
                _THEIRS[key] = keras.layers.MelSpectrogram(**kw)(sig)
            close(tw.layers.MelSpectrogram(**kw)(sig), _THEIRS[key], what=key, rtol=1e-4,
                  atol=1e-4)


def test_unknown_batch_size_in_a_functional_model(keras: Any, rng: np.random.Generator,
                                                   close: Any) -> None:
    """Symbolic inputs with an unknown batch size (broadcasting against a fixed operand)."""
    K = _Keras(keras)
    x = rng.normal(size=(2, 3, 3)).astype("float32") + 3 * np.eye(3, dtype="float32")
    rhs = np.ones((3, 2), "float32")
    cases = [
        ("inv", T.inv, lambda a: K.inv(a)),
        ("solve", lambda a: T.solve(a, rhs), lambda a: K.solve(a, np.broadcast_to(rhs, (2, 3, 2)))),
        ("det", T.det, lambda a: K.det(a)),
        ("stft", lambda a: T.stft(T.reshape(a, (-1, 9)), 4, 2, 4)[0],
         lambda a: K.stft(a.reshape(2, 9), 4, 2, 4)[0]),
    ]
    for what, ours, theirs in cases:
        inp = tw.layers.Input((3, 3))
        model = tw.Model(inp, tw.layers.Lambda(ours)(inp))
        close(model.predict(x, verbose=0), theirs(x), what=what, rtol=1e-4, atol=1e-5)
