"""Checks of the CuPy backend on the fake CuPy, run in a subprocess by tests/test_cupy_fake.py:

    PYTHONPATH=tests/fakecupy python tests/fakecupy/checks.py [names...]

Prints one JSON object: {check name: {"ok": bool, "detail": ...}}.
"""

from __future__ import annotations

import json
import sys
import traceback

import cupy
import numpy as np

import tensorweave as tw
from tensorweave import layers, ops

assert getattr(cupy, "_FAKE", False), "this script must run on the fake CuPy"

SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 0.5, 1e-30, 65504.0]


def _data(shape, dtype, seed):
    rs = np.random.RandomState(seed)
    if dtype in ("float16", "bfloat16", "float32", "float64"):
        a = (rs.randn(*shape) * 2).astype("float64")
        flat = a.reshape(-1)
        flat[: len(SPECIAL)] = SPECIAL[: flat.size]
        return a.astype("float32" if dtype == "bfloat16" else dtype)
    if dtype == "bool":
        return rs.rand(*shape) > 0.5
    info = np.iinfo(dtype)
    return rs.randint(max(info.min, -100), min(info.max, 100), size=shape).astype(dtype)


FLOAT_EXPRS = {
    "bias_relu": lambda x, b: ops.relu(x * 2.0 + b),
    "sigmoid_max": lambda x, b: ops.sigmoid(ops.maximum(x * 3.0 + b, 0.1)) - x,
    "abs_sign_square": lambda x, b: ops.abs(x) + ops.sign(x) * ops.square(b),
    "elu_like": lambda x, b: ops.where(x > 0, ops.exp(x), ops.expm1(x)) + b,
    "tanh_log1p": lambda x, b: ops.tanh(x) * 0.5 + ops.log1p(ops.abs(b)),
    "sqrt_div": lambda x, b: ops.sqrt(ops.abs(x)) / (b * b + 1.0),
    "rsqrt": lambda x, b: ops.rsqrt(ops.abs(x) + 1.0) * b,
    "rounding": lambda x, b: ops.floor(x) + ops.ceil(b) - ops.round(x * 1.5),
    "min_max": lambda x, b: ops.minimum(x, 0.5) + ops.maximum(b, -0.5) - ops.maximum(x, b),
    "nan_fix": lambda x, b: ops.where(ops.isnan(x), 0.0, x) + ops.cast(ops.isfinite(b),
                                                                           x.dtype),
    "power": lambda x, b: ops.power(ops.abs(x), 1.5) + b,
    "logic": lambda x, b: ops.cast(ops.logical_and(x > 0, b < 1.0), x.dtype) * x + b,
    "divmod": lambda x, b: ops.floor_divide(x, 0.3) + ops.mod(b, 0.7) * x,
    "erf": lambda x, b: ops.erf(x) * b + 1.0,
    "neg_sub": lambda x, b: -(x - b) * (b - x),
    "sign_of_neg": lambda x, b: ops.sign(-x),  # sign(-0.0) is +0.0
    "to_int_and_back": lambda x, b: ops.cast(ops.cast(ops.clip(x * 3.0, -50.0, 50.0),
                                                      "int32") + 1, x.dtype) + b,
}
INT_EXPRS = {
    "int_arith": lambda i, j: (i * 3 + j) - i * j,
    "int_bits": lambda i, j: ops.bitwise_xor(ops.bitwise_and(i, j) + 1, ops.bitwise_or(i, 5)),
    "int_minmax_where": lambda i, j: ops.where(i > j, ops.maximum(i, j), ops.minimum(i, 2)),
    "int_abs_sign": lambda i, j: ops.abs(i) * ops.sign(j) + ops.square(i),
    "int_power": lambda i, j: ops.power(i, 2) + j,
    "int_to_float": lambda i, j: ops.cast(i, "float32") * 0.5 + ops.cast(j, "float32"),
}


def _bits_differ(a, c):
    """Elementwise: the bit patterns differ (NaNs of any sign/payload count as equal:
    CUDA and x86 set NaN signs differently, and no op promises a NaN's bits)."""
    ua, uc = a.view(f"u{a.itemsize}"), c.view(f"u{c.itemsize}")
    both_nan = np.isnan(a) & np.isnan(c) if a.dtype.kind == "f" else False
    return (ua != uc) & ~both_nan


def _bits_equal(a, c):
    return a.dtype == c.dtype and a.shape == c.shape and not np.any(_bits_differ(a, c))


def _plans(fn, arrays):
    from tensorweave.graph.executor import compile_graph

    g = tw.trace(fn, *arrays)
    be = tw.get_backend("cupy")
    xs = [ops.convert_to_tensor(a, backend="cupy")._data for a in arrays]
    fused = compile_graph(g, be)
    plain = compile_graph(g, be, optimize=False)
    return be, fused, plain, xs


def check_fused_vs_unfused() -> dict:
    """Each fusion group runs through the ElementwiseKernel interpreter; its result must
    equal the unfused ops' bit for bit."""
    results, failures, n_fused = {}, [], 0
    cases = [(n, f, d) for n, f in FLOAT_EXPRS.items()
             for d in ("float32", "float64", "float16", "bfloat16")]
    cases += [(n, f, d) for n, f in INT_EXPRS.items()
              for d in ("int32", "int8", "uint8", "int64", "uint32")]
    for name, fn, dtype in cases:
        key = f"{name}/{dtype}"
        try:
            x = ops.convert_to_tensor(_data((7, 33), dtype, 0), dtype)
            b = ops.convert_to_tensor(_data((33,), dtype, 1), dtype)
            xa, ba = ops.convert_to_numpy(x), ops.convert_to_numpy(b)
            be, fused, plain, xs = _plans(fn, [xa, ba])
            xs = [ops.convert_to_tensor(a, dtype, backend="cupy")._data for a in (xa, ba)]
            kinds = fused.step_storage if hasattr(fused, "step_storage") else []
            nf = sum(1 for k in kinds if k == "fused")
            n_fused += nf
            r1 = [cupy.asnumpy(o) for o in fused.run(xs)]
            r2 = [cupy.asnumpy(o) for o in plain.run(xs)]
            same = all(_bits_equal(a, c) for a, c in zip(r1, r2))
            results[key] = {"fused_steps": nf, "bit_identical": same}
            if not same:
                d = next((np.argwhere(_bits_differ(a, c)) for a, c in zip(r1, r2)), None)
                i = tuple(d[0]) if d is not None and len(d) else ()
                failures.append(f"{key}: fused {r1[0][i]!r} != unfused {r2[0][i]!r} at {i} "
                                f"({0 if d is None else len(d)} elements differ)")
        except Exception as exc:
            failures.append(f"{key}: {type(exc).__name__}: {exc}")
            results[key] = {"error": f"{type(exc).__name__}: {exc}"}
    return {"ok": not failures and n_fused > 0, "failures": failures, "n_fused": n_fused,
            "cases": len(cases)}


def check_random_jit_bit_identical() -> dict:
    """Seeded random ops (and a fused chain around them) under tw.jit on cupy equal eager
    cupy and the numpy backend bit for bit (the repo's claim for tw.random)."""
    def f(x):
        z = tw.random.normal((64, 16), seed=42)
        u = tw.random.uniform((64, 16), seed=7)
        d = tw.random.dropout(x, 0.3, seed=3)
        return z * 2.0 + u, d, tw.random.truncated_normal((5,), seed=1)

    x = np.random.RandomState(0).randn(64, 16).astype("float32")
    out = {}
    for name in ("numpy", "cupy"):
        with tw.backend_scope(name):
            xt = ops.convert_to_tensor(x)
            eager = [ops.convert_to_numpy(t) for t in f(xt)]
            jitted = [ops.convert_to_numpy(t) for t in tw.jit(f)(xt)]
            out[name] = (eager, jitted)
    failures = []
    ref = out["numpy"][0]
    for name, (eager, jitted) in out.items():
        for i, (a, e, j) in enumerate(zip(ref, eager, jitted)):
            if a.tobytes() != e.tobytes():
                failures.append(f"{name} eager output {i} != numpy eager")
            if a.tobytes() != j.tobytes():
                failures.append(f"{name} jit output {i} != numpy eager")
    return {"ok": not failures, "failures": failures}


def _model():
    return tw.Sequential([tw.Input((6,)), layers.Dense(16, activation="relu"),
                          layers.Dense(8, activation="tanh"),
                          layers.Dense(3, activation="softmax")])


def _xy(n=96):
    rs = np.random.RandomState(0)
    x = rs.randn(n, 6).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32") + (x[:, 2] > 1).astype("int32")
    return x, y


def check_fit_matches_numpy() -> dict:
    x, y = _xy()
    res = {}
    for name in ("numpy", "cupy"):
        with tw.backend_scope(name):
            tw.utils.set_random_seed(0)
            m = _model()
            m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
            h = m.fit(x, y, batch_size=16, epochs=3, verbose=0)
            res[name] = (h.history["loss"], m.predict(x, verbose=0), m.get_weights())
    failures = []
    np.testing.assert_allclose(res["cupy"][0], res["numpy"][0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(res["cupy"][1], res["numpy"][1], rtol=1e-4, atol=1e-5)
    for a, b in zip(res["cupy"][2], res["numpy"][2]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # trained on one backend, predicts on the other
    for src, dst in (("numpy", "cupy"), ("cupy", "numpy")):
        with tw.backend_scope(dst):
            m = _model()
            m.set_weights(res[src][2])
            p = m.predict(x, verbose=0)
        if not isinstance(p, np.ndarray):
            failures.append(f"predict on {dst} returned {type(p)}")
        np.testing.assert_allclose(p, res[src][1], rtol=1e-4, atol=1e-5)
    return {"ok": not failures, "failures": failures,
            "loss": {k: v[0] for k, v in res.items()}}


def check_host_syncs() -> dict:
    x, y = _xy(128)
    out: dict = {}
    with tw.backend_scope("cupy"):
        tw.utils.set_random_seed(0)
        m = _model()
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        bx, by = x[:32], y[:32]
        m.train_on_batch(bx, by)  # compiles
        m._execute("train", bx, by, None)
        cupy._fake_reset_counts()
        for _ in range(5):
            m._execute("train", bx, by, None)
        out["compiled_train_step_x5"] = cupy._fake_sync_count()
        out["compiled_train_step_x5_h2d"] = cupy._fake_h2d_count()
        cupy._fake_reset_counts()
        logs = m.train_on_batch(bx, by, return_dict=True)
        out["train_on_batch_syncs"] = cupy._fake_sync_count()
        out["train_on_batch_log_values"] = len(logs)

        # a tw.jit training step over explicit arrays
        w = ops.convert_to_tensor(np.random.RandomState(1).randn(6, 3).astype("float32"))
        xt, yt = ops.convert_to_tensor(bx), ops.convert_to_tensor(
            np.eye(3, dtype="float32")[by])

        def loss_fn(w, xb, yb):
            p = ops.softmax(ops.matmul(xb, w))
            return ops.mean(ops.square(p - yb))

        grad = tw.value_and_grad(loss_fn)

        @tw.jit
        def step(w, xb, yb):
            loss, g = grad(w, xb, yb)
            return w - 0.1 * g, loss

        w, _ = step(w, xt, yt)  # compiles
        w, _ = step(w, xt, yt)
        cupy._fake_reset_counts()
        for _ in range(5):
            w, loss = step(w, xt, yt)
        out["jit_step_x5"] = cupy._fake_sync_count()

        # fit: syncs per epoch (after a warm-up fit compiled the batch-16 step)
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)
        for epochs in (1, 3):
            cupy._fake_reset_counts()
            m.fit(x, y, batch_size=16, epochs=epochs, verbose=0)
            out[f"fit_{epochs}_epochs_8_batches"] = cupy._fake_sync_count()
    per_epoch = (out["fit_3_epochs_8_batches"] - out["fit_1_epochs_8_batches"]) / 2
    out["fit_syncs_per_epoch"] = per_epoch
    ok = (out["compiled_train_step_x5"] == 0 and out["jit_step_x5"] == 0
          and 0 <= per_epoch <= 4 and out["fit_1_epochs_8_batches"] <= 8
          and out["train_on_batch_syncs"] <= out["train_on_batch_log_values"])
    return {"ok": ok, **out}


def check_memory_pool() -> dict:
    from tensorweave.backends.cupy import memory_info, set_memory_limit

    set_memory_limit("50%")
    lim = memory_info()["limit_bytes"]
    set_memory_limit("1MB")
    info = memory_info()
    failures = []
    if info["limit_bytes"] != 1 << 20 or lim != (16 << 30) // 2:
        failures.append(f"limits {lim}, {info}")
    try:
        with tw.backend_scope("cupy"):
            ops.zeros((1024, 1024), "float32")
        failures.append("a 4 MB array fit under a 1 MB limit")
    except MemoryError:
        pass
    set_memory_limit(0)
    return {"ok": not failures, "failures": failures}


def check_plan_buffers() -> dict:
    """Compiled plans on cupy use the out-kernels: buffers preallocated once and reused
    (fewer pool allocations per step than there are steps, a flat pool), parameters
    donated and updated in place, with the same values as eager cupy and as numpy."""
    from cupy import _core

    rs = np.random.RandomState(0)
    arrays = [rs.randn(64, 32).astype("float32"), rs.randn(128, 64).astype("float32"),
              rs.randn(128, 32).astype("float32")]

    def loss_fn(w, x, y):
        h = ops.tanh(ops.matmul(x, w))
        return ops.mean(ops.square(ops.sigmoid(h) * 2.0 - y))

    grad = tw.value_and_grad(loss_fn)

    def step(w, x, y):
        loss, g = grad(w, x, y)
        return w - 0.1 * g, loss

    n_alloc = [0]
    alloc = _core.POOL.alloc

    def counting(nbytes):
        n_alloc[0] += 1
        return alloc(nbytes)

    res, out = {}, {}
    for name in ("numpy", "cupy"):
        with tw.backend_scope(name):
            w, x, y = (ops.convert_to_tensor(a) for a in arrays)
            jitted = tw.jit(step)
            eager = step(w, x, y)
            w2, loss = jitted(w, x, y)
            w2, loss = jitted(w2, x, y)
            pool = cupy.get_default_memory_pool()
            used = []
            _core.POOL.alloc = counting
            n_alloc[0] = 0
            try:
                for _ in range(5):
                    w2, loss = jitted(w2, x, y)
                    used.append(pool.used_bytes())
            finally:
                _core.POOL.alloc = alloc
            if name == "cupy":
                out["allocs_per_step"] = n_alloc[0] / 5
                out["used_bytes"] = used
            res[name] = ([ops.convert_to_numpy(t) for t in eager],
                         [ops.convert_to_numpy(w2), ops.convert_to_numpy(loss)])
    failures = []
    for a, b in zip(res["numpy"][0] + res["numpy"][1], res["cupy"][0] + res["cupy"][1]):
        if not _bits_equal(a, b):
            failures.append(f"cupy {b.ravel()[:3]} != numpy {a.ravel()[:3]}")
    with tw.backend_scope("cupy"):
        from tensorweave.graph.executor import compile_graph

        plan = compile_graph(tw.trace(step, *arrays), tw.get_backend("cupy"))
        out["buffer_steps"] = sum(1 for k in plan.step_storage if k.startswith("buffer"))
        out["n_steps"] = len(plan.step_storage)
        be = tw.get_backend("cupy")
        a = cupy.zeros((4, 4), "float32")
        imported = cupy.from_dlpack(np.zeros((4, 4), "float32"), copy=True)
        out["can_overwrite"] = [be.can_overwrite(a), be.can_overwrite(a[1:]),
                                be.can_overwrite(a.T), be.can_overwrite(imported),
                                be.can_overwrite(np.zeros(3))]
    if out["can_overwrite"] != [True, False, False, False, False]:
        failures.append(f"can_overwrite {out['can_overwrite']}")
    if not out["buffer_steps"] or out["allocs_per_step"] >= out["n_steps"]:
        failures.append("plan buffers are not used")
    if len(set(out["used_bytes"])) != 1:
        failures.append(f"pool grows: {out['used_bytes']}")
    return {"ok": not failures, "failures": failures, **out}


CHECKS = {n[len("check_"):]: f for n, f in dict(globals()).items() if n.startswith("check_")}


def main(names: list) -> None:
    report = {}
    for name in names or list(CHECKS):
        try:
            report[name] = CHECKS[name]()
        except Exception as exc:
            report[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                            "traceback": traceback.format_exc()}
    print(json.dumps(report, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
