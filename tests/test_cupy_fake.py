"""The CuPy backend, run on the CPU against a strict fake CuPy (``tests/fakecupy``).

The fake is a NumPy-backed ``cupy`` whose namespace and signatures are a snapshot of real
CuPy 14.2 (``tests/fakecupy/cupy_api.json``), which refuses what CuPy refuses (implicit
conversion to NumPy, host arrays in kernels, ``sort(kind=...)``, atomicAdd dtypes ...),
counts host synchronisations, and interprets the C code of the fused ``ElementwiseKernel``s.
Everything runs in subprocesses with ``PYTHONPATH=tests/fakecupy``, so the fake never
shadows a real CuPy in this process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FAKE = ROOT / "tests" / "fakecupy"


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENSORWEAVE_", "FAKECUPY_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(FAKE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["TENSORWEAVE_HOME"] = str(ROOT / ".pytest_cache" / "twhome-fakecupy")
    env.update(extra)
    return env


def _run(args: list, timeout: int = 120, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env=_env(**env), cwd=ROOT, timeout=timeout)


def _py(code: str, **env: str) -> subprocess.CompletedProcess:
    return _run(["-c", textwrap.dedent(code)], **env)


@pytest.fixture(scope="module")
def checks() -> dict:
    out = _run([str(FAKE / "checks.py")])
    assert out.returncode == 0, out.stderr[-4000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ok(report: dict) -> None:
    assert report.get("ok"), json.dumps(report, indent=1, default=str)[:6000]


def test_conformance_values_and_gradients_on_fake_cupy():
    out = _run(["-m", "tensorweave", "conformance", "--backend", "cupy", "--grad", "--quiet"])
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "OK: cupy vs python" in out.stdout and "OK: cupy vs finite differences" in out.stdout


def test_fused_kernels_equal_unfused_bit_for_bit(checks):
    report = checks["fused_vs_unfused"]
    _ok(report)
    assert report["n_fused"] >= 40  # the interpreter really ran the generated C


def test_seeded_random_ops_under_jit_equal_numpy_bit_for_bit(checks):
    _ok(checks["random_jit_bit_identical"])


def test_model_fit_on_cupy_matches_numpy_and_weights_move_across(checks):
    _ok(checks["fit_matches_numpy"])


def test_compiled_steps_do_not_synchronise_with_the_host(checks):
    report = checks["host_syncs"]
    _ok(report)
    assert report["compiled_train_step_x5"] == 0
    assert report["jit_step_x5"] == 0
    assert report["fit_syncs_per_epoch"] <= 4  # the epoch's logs, not one per batch


def test_memory_pool_limit(checks):
    _ok(checks["memory_pool"])


@pytest.mark.parametrize("env, reason", [
    ({"FAKECUPY_DRIVER": "0"}, "no CUDA driver was found"),
    ({"FAKECUPY_DEVICES": "0"}, "no CUDA device is present"),
])
def test_availability_messages(env, reason):
    out = _py("""
        import tensorweave as tw
        info = next(i for i in tw.list_backends() if i.name == "cupy")
        print("AVAILABLE", info.available, "|", info.reason)
        try:
            with tw.backend_scope("cupy"):
                pass
        except tw.errors.BackendUnavailableError as e:
            print("ERR", e)
    """, **env)
    assert "AVAILABLE False" in out.stdout and reason in out.stdout, out.stdout + out.stderr
    assert "ERR backend 'cupy'" in out.stdout and "numpy" in out.stdout.split("ERR", 1)[1]
    info = _run(["-m", "tensorweave", "info"], **env)
    assert reason in info.stdout, info.stdout + info.stderr


def test_available_with_a_driver():
    out = _py("""
        import tensorweave as tw
        info = next(i for i in tw.list_backends() if i.name == "cupy")
        print(info.available, tw.get_backend("cupy").device_description())
    """)
    assert out.stdout.startswith("True cuda:0 (Fake CUDA Device"), out.stdout + out.stderr


def test_the_fake_is_strict_like_cupy():
    """The fake refuses what real CuPy 14.2 refuses (else the harness proves nothing)."""
    out = _py("""
        import numpy as np, cupy, cupyx

        def raises(exc, fn):
            try:
                fn()
            except exc as e:
                return str(e)
            raise AssertionError(f"{fn} did not raise {exc}")

        x = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
        assert "Implicit conversion" in raises(TypeError, lambda: np.asarray(x))
        raises(TypeError, lambda: np.sum(x))                 # __array_function__
        raises(TypeError, lambda: np.add(x, 1))              # __array_ufunc__
        raises(TypeError, lambda: cupy.add(x, np.ones(3)))   # host array in a ufunc
        raises(TypeError, lambda: cupy.concatenate([x, np.ones((2, 3))]))
        raises(NotImplementedError, lambda: cupy.argsort(x, kind="stable"))
        raises(TypeError, lambda: cupy.argsort(x, -1, None, "extra"))  # CuPy's signature
        raises(TypeError, lambda: cupy.bitwise_and(x, x))               # no float loop
        raises(TypeError, lambda: cupy.add.at(cupy.zeros(3, "int64"), cupy.arange(2), 1))
        raises(TypeError, lambda: cupyx.scatter_add(cupy.zeros(3, "int8"), cupy.arange(2), 1))
        for name in ("errstate", "bfloat16", "object_", "longdouble", "insert", "geomspace"):
            assert not hasattr(cupy, name), name
        assert cupy.float16 is np.float16 and cupy.__version__ == "14.2.0"
        assert not hasattr(x.flags, "writeable")
        s = x.sum()
        assert isinstance(s, cupy.ndarray) and s.shape == ()          # 0-d, not a scalar
        assert isinstance(x[0, 1], cupy.ndarray)
        # CuPy's float floor_divide is floor(x / y)
        assert float(cupy.floor_divide(cupy.asarray(1.0), 0.1)) == 10.0
        # out-of-range integer indices wrap
        assert cupy.take(cupy.arange(3), cupy.asarray([3]))[0].item() == 0
        # float -> int saturates, NaN -> 0 (CUDA cvt.rzi)
        v = cupy.asarray([np.nan, 1e20, -1e20, -1.5], dtype=cupy.float32).astype(cupy.int32)
        assert v.tolist() == [0, 2**31 - 1, -2**31, -1], v.tolist()
        # host syncs are counted
        cupy._fake_reset_counts()
        y = x * 2 + 1
        assert cupy._fake_sync_count() == 0
        float(y[0, 0]); y.get(); repr(y); cupy.cuda.Stream.null.synchronize()
        assert cupy._fake_sync_count() == 4, cupy._fake_sync_count()
        # ElementwiseKernel: C semantics, subset only
        K = cupy.ElementwiseKernel
        h = cupy.asarray([1.0, 2.0], dtype=cupy.float16)
        raises(Exception, lambda: K("float16 a", "float16 o", "o = a * 0.5;")(h))
        raises(Exception, lambda: K("float16 a", "float16 o", "o = a < 0 ? a : 0;")(h))
        r = K("float16 a", "float16 o", "float t = (float)a * 0.5f; o = (float16)t;")(h)
        assert r.dtype == np.float16 and r.tolist() == [0.5, 1.0]
        raises(Exception, lambda: K("float32 a", "float32 o", "o = frexp(a);"))
        raises(Exception, lambda: K("float32 a", "float32 o", "while (1) {}"))
        raises(TypeError, lambda: K("float32 a", "float32 o", "o = a;")(cupy.arange(2)))
        i8 = cupy.asarray([100], dtype=cupy.int8)
        r = K("int8 a", "int32 o", "int t = a + a; o = t;")(i8)     # promoted to int
        assert r.tolist() == [200]
        u = K("uint32 a, int32 b", "bool o", "o = a < b;")(cupy.asarray([1], "uint32"),
                                                           cupy.asarray([-1], "int32"))
        assert u.tolist() == [True]                                 # -1 becomes 4294967295
        print("STRICT-OK")
    """)
    assert "STRICT-OK" in out.stdout, out.stdout + out.stderr[-4000:]


def test_snapshot_names_are_real_cupy_names():
    api = json.loads((FAKE / "cupy_api.json").read_text())
    assert api["cupy_version"] == "14.2.0"
    names = api["modules"]["cupy"]
    assert "bfloat16" not in names and "errstate" not in names
    assert names["argsort"]["sig"] == "(a, axis=-1, kind=None)"
    assert names["add"]["kind"] == "ufunc" and "??->?" in names["add"]["types"]


_KERNELS_BUILT = """
    import numpy as np, cupy
    import tensorweave as tw
    from tensorweave import ops
    built = []
    _EK = cupy.ElementwiseKernel
    def recording(in_params, out_params, operation, name="kernel", **kw):
        built.append((name, operation))
        return _EK(in_params, out_params, operation, name=name, **kw)
    cupy.ElementwiseKernel = recording
    with tw.backend_scope("cupy"):
        i = ops.convert_to_tensor(np.array([-3, -1, 0, 2, 5], "int32"))
        f = ops.convert_to_tensor(np.array([0.5, 1.5, 2.0, 3.0, 4.0], "float32"))
        ri = tw.jit(lambda a: ops.power(a * 2, 3) + a)(i)
        rf = tw.jit(lambda a: ops.power(a * 2.0, 1.5) + a)(f)
    print("INT", ops.convert_to_numpy(ri).tolist())
    print("NAMES", sorted(n for n, _ in built))
    print("POW", [op for _, op in built if "pow(" in op])
"""


def test_fused_kernels_leave_integer_power_unfused_and_have_stable_names():
    outs = [_py(_KERNELS_BUILT, PYTHONHASHSEED=seed) for seed in ("1", "2")]
    for out in outs:
        assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    lines = [dict(ln.split(" ", 1) for ln in out.stdout.splitlines() if " " in ln)
             for out in outs]
    assert lines[0]["INT"] == str([(2 * v) ** 3 + v for v in (-3, -1, 0, 2, 5)])
    pows = eval(lines[0]["POW"])  # noqa: S307 - our own subprocess's output
    assert pows and all("int " not in op and "long long" not in op for op in pows), pows
    # the names depend on the kernel source only, not on the process's hash seed
    assert lines[0]["NAMES"] == lines[1]["NAMES"] and "tw_fused_" in lines[0]["NAMES"]


def test_compiled_plans_reuse_device_buffers(checks):
    report = checks["plan_buffers"]
    _ok(report)
    assert report["allocs_per_step"] < report["n_steps"]


def test_compiled_plans_on_cupy_keep_values_and_earlier_results():
    """tests/test_executor.py's backend-generic checks on cupy: random graphs with views
    and buffer reuse (results of one run survive the next), and every out-kernel case."""
    out = _run(["-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                str(ROOT / "tests" / "test_executor.py"), "-k", "cupy"], timeout=300)
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert "\n47 passed" in out.stdout, out.stdout[-2000:]  # cupy ran: not skipped


def test_backend_bfloat16_scalars_and_multi_output_kernels():
    out = _py("""
        import numpy as np, cupy
        import tensorweave as tw
        from tensorweave import dtypes
        from tensorweave.ops import TensorSpec
        be = tw.get_backend("cupy")
        s = be.scalar(1.00390625, dtypes.bfloat16)      # 1 + 2**-8: a tie, rounds to 1
        print("SCALAR", float(s), s.dtype)
        be.kernels["tw_test_two_outputs"] = lambda x: (x * 1.0, x + 0.0)
        spec_b, spec_f = TensorSpec((2,), dtypes.bfloat16), TensorSpec((2,), dtypes.float32)
        fn = be.prepare("tw_test_two_outputs", {}, [spec_f], [spec_b, spec_f])
        a, b = fn(cupy.asarray([1.00390625, 3.0], dtype="float32"))
        print("MULTI", a.tolist(), b.tolist())
    """)
    assert "SCALAR 1.0 float32" in out.stdout, out.stdout + out.stderr[-3000:]
    assert "MULTI [1.0, 3.0] [1.00390625, 3.0]" in out.stdout, out.stdout + out.stderr[-3000:]


@pytest.mark.parametrize("limit, expected", [("4GiB", 4 << 30), ("1.5G", 3 << 29),
                                             ("512 MiB", 512 << 20), ("2KB", 2048)])
def test_pool_limit_from_the_environment(limit, expected):
    out = _py("""
        import tensorweave as tw
        from tensorweave.backends.cupy import memory_info
        info = next(i for i in tw.list_backends() if i.name == "cupy")
        print("AVAILABLE", info.available, memory_info()["limit_bytes"])
    """, TENSORWEAVE_CUPY_POOL_LIMIT=limit)
    assert f"AVAILABLE True {expected}" in out.stdout, out.stdout + out.stderr[-3000:]


def test_bad_pool_limit_makes_the_backend_unavailable_with_the_reason():
    out = _py("""
        import tensorweave as tw
        info = next(i for i in tw.list_backends() if i.name == "cupy")
        print("AVAILABLE", info.available, "|", info.reason)
    """, TENSORWEAVE_CUPY_POOL_LIMIT="4 gigs")
    assert "AVAILABLE False" in out.stdout, out.stdout + out.stderr[-3000:]
    assert "TENSORWEAVE_CUPY_POOL_LIMIT" in out.stdout and "'4 gigs'" in out.stdout


def test_erf_and_float16_matmul_are_single_device_kernels():
    """erf is one ElementwiseKernel (not a ~1300-launch float64 series) and float16 matmul
    goes straight to cuBLAS (no float32 copies); values as on the numpy backend."""
    out = _py("""
        import numpy as np, cupy
        import tensorweave as tw
        from tensorweave import ops
        x = np.concatenate([np.linspace(-6, 6, 501), [np.nan, np.inf, -np.inf, -0.0, 1e-30]])
        rs = np.random.RandomState(0)
        a, b = rs.randn(16, 64), rs.randn(64, 8)
        for dt in ("float16", "float32", "float64"):
            res = {}
            for name in ("numpy", "cupy"):
                with tw.backend_scope(name):
                    t = ops.convert_to_tensor(x.astype(dt))
                    ta = ops.convert_to_tensor(a.astype(dt))
                    tb = ops.convert_to_tensor(b.astype(dt))
                    if name == "cupy":
                        cupy._fake_reset_counts()
                    e = ops.erf(t)
                    k_erf = cupy._fake_kernel_count()
                    if name == "cupy":
                        cupy._fake_reset_counts()
                    m = ops.matmul(ta, tb)
                    k_mm = cupy._fake_kernel_count()
                    res[name] = ops.convert_to_numpy(e), ops.convert_to_numpy(m)
            (e0, m0), (e1, m1) = res["numpy"], res["cupy"]
            np.testing.assert_allclose(e1, e0, rtol=0, atol=1e-14, equal_nan=True)
            np.testing.assert_allclose(m1.astype("f8"), m0.astype("f8"),
                                       rtol=2e-3 if dt == "float16" else 1e-6, atol=1e-2)
            print(dt, "KERNELS", k_erf, k_mm)
    """)
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    for dt in ("float16", "float32", "float64"):
        assert f"{dt} KERNELS 1 1" in out.stdout, out.stdout


def test_fit_evaluate_predict_accept_cupy_arrays():
    out = _py("""
        import numpy as np, cupy
        import tensorweave as tw
        from tensorweave import layers, ops
        rs = np.random.RandomState(0)
        x = rs.randn(64, 6).astype("float32")
        y = (x[:, 0] > 0).astype("int32")
        sw = np.ones(64, "float32")
        xc, yc, swc = cupy.asarray(x), cupy.asarray(y), cupy.asarray(sw)
        for name in ("cupy", "numpy"):
            res = {}
            for tag, (xx, yy, ww) in {"host": (x, y, sw), "device": (xc, yc, swc)}.items():
                with tw.backend_scope(name):
                    tw.utils.set_random_seed(0)
                    m = tw.Sequential([tw.Input((6,)), layers.Dense(4, activation="relu"),
                                       layers.Dense(2, activation="softmax")])
                    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
                    h = m.fit(xx, yy, sample_weight=ww, batch_size=16, epochs=2, verbose=0,
                              validation_split=0.25)
                    ev = m.evaluate(xx, yy, verbose=0)
                    p = m.predict(xx, verbose=0)
                    ds = tw.data.Dataset.from_tensor_slices((xx, yy)).batch(16)
                    ev_ds = m.evaluate(ds, verbose=0)
                    a, b = tw.utils.train_test_split(xx, test_size=0.25, random_state=0)
                    res[tag] = (h.history["loss"], ev, p, ev_ds, a, b,
                                ops.convert_to_numpy(xx))
            for u, v in zip(res["host"], res["device"]):
                np.testing.assert_allclose(np.asarray(v, dtype="f8"), np.asarray(u, dtype="f8"),
                                           rtol=1e-6)
            print("OK", name)
        with tw.backend_scope("cupy"):
            cupy._fake_reset_counts()
            t = ops.convert_to_tensor(xc)   # stays on the device: no transfer either way
            print("NATIVE", cupy._fake_sync_count(), cupy._fake_h2d_count())
    """)
    assert "OK cupy" in out.stdout and "OK numpy" in out.stdout, out.stdout + out.stderr[-4000:]
    assert "NATIVE 0 0" in out.stdout, out.stdout


def test_batch_logs_and_predictions_cost_one_transfer_each():
    """A live progress bar (or a batch-end callback) reads each batch's logs with one
    device->host copy, not one per key; predict copies its outputs out once."""
    out = _run([str(ROOT / "tests" / "fakecupy" / "sync_probe.py")])
    assert out.returncode == 0, out.stdout + out.stderr[-4000:]
    counts = json.loads(out.stdout.strip().splitlines()[-1])
    batches, epochs = 8, 2
    assert counts["fit_live_bar"] <= batches * epochs + epochs, counts
    assert counts["fit_batch_end_callback"] <= batches * epochs + epochs, counts
    assert counts["evaluate_live_bar"] <= batches + 1, counts
    assert counts["predict"] <= 1, counts
    assert counts["train_on_batch"] <= 1 and counts["test_on_batch"] <= 1, counts
