"""The CuPy backend: availability reporting on machines without a GPU, and (when a GPU is
present) the same checks the CPU backends pass."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.backends.cupy import probe
from tensorweave.errors import BackendUnavailableError


class _CudaError(RuntimeError):
    pass


def _fake_cupy(driver: int = 12090, devices: int | Exception = 1,
               kernels_fail: Exception | None = None) -> types.SimpleNamespace:
    def device_count() -> int:
        if isinstance(devices, Exception):
            raise devices
        return devices

    class Arr:
        def __add__(self, other: object) -> Arr:
            if kernels_fail is not None:
                raise kernels_fail
            return self

        def sum(self) -> int:
            return 9

        def __int__(self) -> int:
            return 9

    runtime = types.SimpleNamespace(driverGetVersion=lambda: driver,
                                    getDeviceCount=device_count)
    return types.SimpleNamespace(cuda=types.SimpleNamespace(runtime=runtime),
                                 arange=lambda n: Arr())


def test_probe_reports_missing_driver():
    ok, reason = probe(_fake_cupy(driver=0))
    assert not ok and "no CUDA driver" in reason


def test_probe_reports_device_query_error_with_the_underlying_message():
    err = _CudaError("cudaErrorInsufficientDriver: CUDA driver version is insufficient")
    ok, reason = probe(_fake_cupy(devices=err))
    assert not ok and "cudaErrorInsufficientDriver" in reason


def test_probe_reports_no_device():
    ok, reason = probe(_fake_cupy(devices=0))
    assert not ok and "no CUDA device" in reason


def test_probe_reports_kernel_compilation_failure():
    ok, reason = probe(_fake_cupy(kernels_fail=RuntimeError("NVRTC unavailable")))
    assert not ok and "NVRTC unavailable" in reason


def test_probe_accepts_a_working_gpu():
    assert probe(_fake_cupy()) == (True, "")


def _cupy_info() -> tw.backend_registry.BackendInfo:  # type: ignore[name-defined]
    return next(i for i in tw.list_backends() if i.name == "cupy")


def test_cupy_is_listed_with_a_reason_when_it_cannot_run():
    info = _cupy_info()
    if info.available:
        pytest.skip("a GPU is present: the unavailable path is not reachable here")
    assert info.reason  # e.g. "CuPy is not installed ..." or "no CUDA driver ..."
    with pytest.raises(BackendUnavailableError) as exc:
        with tw.backend_scope("cupy"):
            pass
    msg = str(exc.value)
    assert "cupy" in msg and info.reason.split(";")[0] in msg
    assert "numpy" in msg  # lists what can run


def test_selecting_cupy_from_the_environment_fails_clearly():
    info = _cupy_info()
    if info.available:
        pytest.skip("a GPU is present")
    code = textwrap.dedent("""
        import tensorweave as tw
        try:
            tw.ops.ones((2,))
        except tw.errors.BackendUnavailableError as e:
            print("ERR", e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"TENSORWEAVE_BACKEND": "cupy", "PATH": "/usr/bin:/bin"},
                         timeout=120)
    assert "ERR backend 'cupy'" in out.stdout, out.stderr


def _gpu_or_skip() -> None:
    info = _cupy_info()
    if not info.available:
        pytest.skip(f"cupy backend unavailable: {info.reason}")


def test_gpu_conformance_and_transfers():
    _gpu_or_skip()
    from tensorweave.testing.runner import run_conformance

    report = run_conformance("cupy")
    assert report.ok, report
    x = tw.ops.convert_to_tensor(np.arange(6, dtype="float32").reshape(2, 3), backend="cupy")
    back = tw.to_backend(x, "numpy")
    np.testing.assert_array_equal(back.numpy(), np.arange(6, dtype="float32").reshape(2, 3))


def test_gpu_model_trained_on_one_backend_predicts_on_the_other():
    _gpu_or_skip()
    from tensorweave import layers

    x = np.random.RandomState(0).randn(64, 4).astype("float32")
    y = (x.sum(1) > 0).astype("int32")
    with tw.backend_scope("cupy"):
        tw.utils.set_random_seed(0)
        model = tw.Sequential([tw.Input((4,)), layers.Dense(8, activation="relu"),
                               layers.Dense(2, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, verbose=0)
        gpu_pred = model.predict(x)
        weights = model.get_weights()
    with tw.backend_scope("numpy"):
        cpu = tw.Sequential([tw.Input((4,)), layers.Dense(8, activation="relu"),
                             layers.Dense(2, activation="softmax")])
        cpu.set_weights(weights)
        np.testing.assert_allclose(cpu.predict(x), gpu_pred, rtol=1e-4, atol=1e-5)


def _groups(fn, *specs):
    from tensorweave.graph.passes.fuse import fuse_elementwise

    g = fuse_elementwise(tw.trace(fn, *[np.zeros(s, d) for s, d in specs]))
    found: list = []
    for n in g.nodes:
        grp = n.meta.get("fusion_group")
        if grp is not None and not any(grp is f for f in found):
            found.append(grp)
    return found


def test_fused_kernel_source_for_bias_relu_and_where():
    """The CUDA code generated for a fusion group (checked on the CPU: no GPU needed)."""
    from tensorweave.backends.cupy.fused import kernel_source

    groups = _groups(lambda x, b: tw.ops.relu(tw.ops.add(x, b) * 2.0),
                     ((4, 3), "float32"), ((3,), "float32"))
    assert groups, "the fusion pass found no group"
    in_params, out_params, body = kernel_source(groups[0])
    assert in_params.startswith("float32 in0, float32 in1")
    assert out_params == "float32 out"
    assert "(in0 + in1)" in body and "out = t" in body
    assert body.count(";") == len(groups[0].nodes) + 1  # one statement per member + out


def test_fused_kernel_source_declines_unknown_ops():
    from tensorweave.backends.cupy.fused import kernel_source

    class FakeNode:
        def __init__(self, dtype):
            self.outputs = [types.SimpleNamespace(dtype=dtype)]

    class FakeGroup:
        inputs = [types.SimpleNamespace(dtype=tw.float32)]
        output = types.SimpleNamespace(dtype=tw.float32, shape=(2,))
        nodes = [FakeNode(tw.float32)]

        def expression(self):
            return (("some_new_op", (), (("in", 0),)),)

    assert kernel_source(FakeGroup()) is None


def test_gpu_fused_kernels_match_unfused_bit_for_bit():
    _gpu_or_skip()
    from tensorweave.graph.executor import compile_graph

    def f(x, b):
        return tw.ops.sigmoid(tw.ops.maximum(x * 3.0 + b, 0.1)) - x

    x = np.random.RandomState(0).randn(64, 33).astype("float32")
    b = np.random.RandomState(1).randn(33).astype("float32")
    g = tw.trace(f, x, b)
    be = tw.get_backend("cupy")
    xs = [tw.ops.convert_to_tensor(a, backend="cupy")._data for a in (x, b)]
    fused = compile_graph(g, be).run(xs)[0]
    plain = compile_graph(g, be, optimize=False).run(xs)[0]
    np.testing.assert_array_equal(be.to_numpy(fused, tw.float32), be.to_numpy(plain, tw.float32))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NumPy proxy warns; CuPy would not
def test_shared_kernels_run_over_an_array_module_without_errstate():
    """CuPy has no ``errstate``: the kernel table built over such a module must still run
    the ops that silence NumPy warnings (checked here with a NumPy proxy, on the CPU)."""
    from tensorweave.backends.numpy import make_kernels
    from tensorweave.backends.numpy.dtypes import dtype_map

    class NoErrstate(types.ModuleType):
        def __getattr__(self, name):
            if name == "errstate":
                raise AttributeError(name)
            return getattr(np, name)

    xp = NoErrstate("fakecupy")
    xp.__name__ = "fakecupy"
    kernels = make_kernels(xp, dtype_map(np).__getitem__)
    a = np.array([1, 7, -3], "int32")
    b = np.array([2, 0, 2], "int32")
    np.testing.assert_array_equal(kernels["floor_divide"](a, b), [0, 0, -2])
    np.testing.assert_array_equal(kernels["mod"](a, b), [1, 0, 1])
    np.testing.assert_array_equal(kernels["cast"](np.array([1.7, -1.7]), dtype=tw.int32), [1, -1])
    np.testing.assert_allclose(kernels["prod"](np.array([2.0, 3.0]), axis=(0,), keepdims=False),
                               6.0)
    np.testing.assert_allclose(kernels["log"](np.array([1.0, 0.0])), [0.0, -np.inf])
