"""MLP training step: tensorweave's compiled step against hand-written NumPy and PyTorch.

The workload (from the project's performance notes): an MLP 784-512-512-10 with ReLU,
softmax cross-entropy (``log_softmax`` + ``take_along_axis``), plain SGD with lr 0.01,
batch 128, float32. Variants, each in its own worker process (so one library's threads
never disturb another's), timed round by round in a rotating order:

* ``tw jit, donated params`` — one jitted function, ``tw.value_and_grad(loss_fn)`` plus the
  update, returning the new parameters; the parameters are *donated*, so the plan updates
  them in place and a steady-state step allocates almost nothing. It uses
  ``tw.jit(step, donate_argnums=0)`` when ``tw.jit`` has that option, else the jitted
  function's graph (``jitted.trace``) compiled with
  ``tw.graph.compile_graph(graph, backend, donate=...)`` and called the way ``tw.jit``
  calls its plan;
* ``tw.jit, no donation`` — the same function through plain ``tw.jit`` (new parameter
  arrays every step);
* ``numpy hand-written`` — the same step written by hand with preallocated buffers and
  ``out=`` everywhere (the comparator for the 1.15x target);
* ``numpy GEMM-only`` — just the step's 8 GEMMs: the floor for anything built on NumPy;
* ``torch eager`` — ``nn.Sequential``, ``CrossEntropyLoss``, ``optim.SGD`` on CPU, when
  torch is importable (``--torch-python`` names an interpreter that has it).

Reported: medians over rounds of each round's median step time, and same-round ratios;
trace and compile time of the first call; tracemalloc bytes allocated (peak above the
baseline) by one steady-state step. Rounds are left out when the worker saw foreign CPU
load above 10% or the machine was in its slow regime (probe below), unless none remains.

Machine-regime probe: on this VM an elementwise op that reads data just written by a
2-thread GEMM sometimes costs ~15x more than usual (see the performance notes). Each
worker times ``W -= dW`` (1.6 MB) right after ``dW`` comes out of a GEMM, and again on a
copy written by its own core; ``penalty`` is the ratio. It reads 1.1-1.4 when the machine
is in its normal state and 1.5-2 or more when it is not (torch eager and the elementwise
ops then slow down by up to 2x); as in the notes, rounds with a penalty above 1.5 (before or
after any worker's measurement) are left out.

    python benchmarks/bench_mlp_step.py                  # 9 rounds, ~1.5 min
    python benchmarks/bench_mlp_step.py --quick          # 3 short rounds
    python benchmarks/bench_mlp_step.py --torch-python /path/to/venv/bin/python
    python benchmarks/bench_mlp_step.py --threads 1 --json out.json

Targets: tw (donated) <= 1.15x hand-written NumPy, <= 1.0x torch eager; trace + compile
< 100 ms; < 64 KiB allocated per steady-state step.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    FOREIGN_LOAD_LIMIT,
    LoadMeter,
    machine_summary,
    median,
    print_table,
    write_json,
)

SIZES = (784, 512, 512, 10)
BATCH = 128
LR = 0.01
SLOW_PENALTY = 1.5
TARGETS = {"vs_numpy": 1.15, "vs_torch": 1.0, "compile_ms": 100.0, "alloc_bytes": 64 * 1024}
VARIANTS = {
    "paired": "tw donated / numpy, one process, alternating steps",
    "tw_donated": "tw jit, donated params",
    "tw_jit": "tw.jit, no donation",
    "numpy": "numpy hand-written (prealloc, out=)",
    "gemm": "numpy GEMM-only (8 GEMMs)",
    "torch": "torch eager",
}


# ---- shared data ------------------------------------------------------------------------------
def make_data() -> tuple[list, Any, Any]:
    import numpy as np

    rng = np.random.default_rng(0)
    params = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        w = rng.standard_normal((a, b)).astype(np.float32) * np.float32(np.sqrt(2.0 / a))
        params.append((w, np.zeros(b, np.float32)))
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(np.int32)
    return params, x, y


def probe() -> float:
    """Slow-regime probe (see the module docstring): the penalty ratio."""
    import numpy as np

    rng = np.random.default_rng(1)
    a = rng.standard_normal((BATCH, 784)).astype(np.float32)
    b = rng.standard_normal((BATCH, 512)).astype(np.float32)
    dw = np.empty((784, 512), np.float32)
    local = np.empty_like(dw)
    w = np.zeros((784, 512), np.float32)
    after, mine = [], []
    for _ in range(7):
        np.matmul(a.T, b, out=dw)
        t0 = time.perf_counter()
        np.subtract(w, dw, out=w)
        after.append(time.perf_counter() - t0)
        np.copyto(local, dw)
        t0 = time.perf_counter()
        np.subtract(w, local, out=w)
        mine.append(time.perf_counter() - t0)
    return statistics.median(after) / max(statistics.median(mine), 1e-9)


def steady_alloc(step: Any, n: int = 5) -> int:
    """Median over ``n`` steps of tracemalloc's peak above the baseline during one step."""
    import tracemalloc

    tracemalloc.start()
    try:
        step()
        peaks = []
        for _ in range(n):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            step()
            peaks.append(tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()
    return int(statistics.median(peaks))


# ---- the variants ----------------------------------------------------------------------------
def setup_tw(kind: str) -> tuple[Any, dict]:
    import inspect

    import tensorweave as tw
    from tensorweave.graph import compile_graph
    from tensorweave.graph.tracing import tree_flatten, tree_unflatten
    from tensorweave.ops._dispatch import wrap

    ops = tw.ops
    params, x, y = make_data()
    be = tw.get_backend("numpy") if hasattr(tw, "get_backend") else None
    if be is None:
        from tensorweave.backend_registry import get_backend

        be = get_backend("numpy")

    def loss_fn(params: Any, x: Any, y: Any) -> Any:
        h = x
        for i, (w, b) in enumerate(params):
            h = ops.add(ops.matmul(h, w), b)
            if i < len(params) - 1:
                h = ops.relu(h)
        logp = ops.log_softmax(h, axis=-1)
        picked = ops.take_along_axis(logp, ops.expand_dims(y, -1), axis=-1)
        return ops.neg(ops.mean(picked))

    value_and_grad = tw.value_and_grad(loss_fn)

    def step(params: Any, x: Any, y: Any) -> Any:
        loss, grads = value_and_grad(params, x, y)
        new = [(ops.subtract(w, ops.multiply(LR, gw)), ops.subtract(b, ops.multiply(LR, gb)))
               for (w, b), (gw, gb) in zip(params, grads)]
        return loss, new

    with tw.backend_scope("numpy"):
        P = [(ops.convert_to_tensor(w.copy()), ops.convert_to_tensor(b.copy()))
             for w, b in params]
        X, Y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    info: dict[str, Any] = {}
    if kind == "tw_jit":
        # the first call as a user sees it: trace, compile and run, in a fresh process
        jitted = tw.jit(step)
        t0 = time.perf_counter()
        loss, P = jitted(P, X, Y)
        info["first_call_ms"] = (time.perf_counter() - t0) * 1e3
        check_loss, check_w = float(loss.numpy()), float(P[0][0].numpy().sum())
    # trace and compile timings, on a fresh jitted function (cold in the donated worker)
    t0 = time.perf_counter()
    graph = tw.jit(step).trace(P, X, Y)
    t1 = time.perf_counter()
    n_params = 2 * (len(SIZES) - 1)
    donate = range(n_params) if kind == "tw_donated" else ()
    plan = compile_graph(graph, be, donate=donate)
    t2 = time.perf_counter()
    info["trace_ms"] = (t1 - t0) * 1e3
    info["compile_ms"] = (t2 - t1) * 1e3
    info["plan_steps"] = len(plan.steps)
    info["plan_buffers"] = len(plan.buffers)
    info["plan_buffer_bytes"] = int(sum(b.nbytes for b in plan.buffers))

    if kind == "tw_jit":
        def run() -> Any:
            nonlocal P
            loss, P = jitted(P, X, Y)
            return loss
    else:
        if "donate_argnums" in inspect.signature(tw.jit).parameters:
            info["donation_via"] = "tw.jit(step, donate_argnums=0)"
            jitted = tw.jit(step, donate_argnums=0)
            t0 = time.perf_counter()
            loss, P = jitted(P, X, Y)
            info["first_call_ms"] = (time.perf_counter() - t0) * 1e3

            def run() -> Any:
                nonlocal P
                loss, P = jitted(P, X, Y)
                return loss
        else:
            info["donation_via"] = "compile_graph(jitted.trace(...), donate=params)"
            specs = plan.output_specs

            def call(*args: Any) -> Any:  # what tw.jit does around its plan
                leaves, _ = tree_flatten(list(args))
                outs = plan.run([t._data for t in leaves])
                tensors = [wrap(o, s, d, be) for o, (s, d) in zip(outs, specs)]
                return tree_unflatten(graph.out_tree, tensors)

            t0 = time.perf_counter()
            loss, P = call(P, X, Y)
            info["first_call_ms"] = (time.perf_counter() - t0) * 1e3 + info["trace_ms"] + \
                info["compile_ms"]

            def run() -> Any:
                nonlocal P
                loss, P = call(P, X, Y)
                return loss
        check_loss, check_w = float(loss.numpy()), float(P[0][0].numpy().sum())
    info["check"] = [check_loss, check_w]
    for _ in range(10):
        run()
    info["alloc_bytes"] = steady_alloc(run)
    return run, info


def setup_numpy(kind: str) -> tuple[Any, dict]:
    import numpy as np

    params, x, y = make_data()
    (W1, b1), (W2, b2), (W3, b3) = [(w.copy(), b.copy()) for w, b in params]
    B = BATCH
    h1 = np.empty((B, 512), np.float32)
    h2 = np.empty_like(h1)
    z = np.empty((B, 10), np.float32)
    e = np.empty_like(z)
    d3 = np.empty_like(z)
    m = np.empty((B, 1), np.float32)
    s = np.empty_like(m)
    d2 = np.empty_like(h1)
    d1 = np.empty_like(h1)
    mask = np.empty((B, 512), bool)
    gW1, gW2, gW3 = np.empty_like(W1), np.empty_like(W2), np.empty_like(W3)
    gb1, gb2, gb3 = np.empty_like(b1), np.empty_like(b2), np.empty_like(b3)
    rows = np.arange(B)
    lr = np.float32(LR)
    inv_b = np.float32(1.0 / B)
    pairs = ((W1, gW1), (b1, gb1), (W2, gW2), (b2, gb2), (W3, gW3), (b3, gb3))

    def numpy_step() -> Any:
        np.matmul(x, W1, out=h1)
        np.add(h1, b1, out=h1)
        np.maximum(h1, 0, out=h1)
        np.matmul(h1, W2, out=h2)
        np.add(h2, b2, out=h2)
        np.maximum(h2, 0, out=h2)
        np.matmul(h2, W3, out=z)
        np.add(z, b3, out=z)
        # softmax cross-entropy: loss = mean(log(sum(exp(z - m))) + m - z[y])
        np.max(z, axis=1, keepdims=True, out=m)
        np.subtract(z, m, out=e)
        np.exp(e, out=e)
        np.sum(e, axis=1, keepdims=True, out=s)
        loss = (np.log(s).sum() + m.sum() - z[rows, y].sum()) * inv_b
        # d loss / d z = (softmax - onehot) / B
        np.divide(e, s, out=d3)
        np.subtract.at(d3, (rows, y), 1)
        np.multiply(d3, inv_b, out=d3)
        np.matmul(h2.T, d3, out=gW3)
        np.sum(d3, axis=0, out=gb3)
        np.matmul(d3, W3.T, out=d2)
        np.greater(h2, 0, out=mask)
        np.multiply(d2, mask, out=d2)
        np.matmul(h1.T, d2, out=gW2)
        np.sum(d2, axis=0, out=gb2)
        np.matmul(d2, W2.T, out=d1)
        np.greater(h1, 0, out=mask)
        np.multiply(d1, mask, out=d1)
        np.matmul(x.T, d1, out=gW1)
        np.sum(d1, axis=0, out=gb1)
        for w, g in pairs:
            np.multiply(g, lr, out=g)
            np.subtract(w, g, out=w)
        return loss

    def gemm_step() -> Any:
        np.matmul(x, W1, out=h1)
        np.matmul(h1, W2, out=h2)
        np.matmul(h2, W3, out=z)
        np.matmul(h2.T, d3, out=gW3)
        np.matmul(d3, W3.T, out=d2)
        np.matmul(h1.T, d2, out=gW2)
        np.matmul(d2, W2.T, out=d1)
        np.matmul(x.T, d1, out=gW1)

    info: dict[str, Any] = {}
    if kind == "numpy":
        loss = numpy_step()
        info["check"] = [float(loss), float(W1.sum())]
        run = numpy_step
    else:
        d3.fill(0.01)
        run = gemm_step
    for _ in range(10):
        run()
    info["alloc_bytes"] = steady_alloc(run)
    return run, info


def setup_torch(kind: str) -> tuple[Any, dict]:
    import torch

    params, x, y = make_data()
    layers: list[Any] = []
    for i, (w, b) in enumerate(params):
        lin = torch.nn.Linear(w.shape[0], w.shape[1])
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w.T.copy()))
            lin.bias.copy_(torch.from_numpy(b))
        layers.append(lin)
        if i < len(params) - 1:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    crit = torch.nn.CrossEntropyLoss()
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype("int64"))

    def run() -> Any:
        opt.zero_grad(set_to_none=True)
        loss = crit(model(xt), yt)
        loss.backward()
        opt.step()
        return loss

    loss = run()
    info = {"check": [float(loss.item()), float(layers[0].weight.detach().sum())],
            "version": torch.__version__, "threads": torch.get_num_threads()}
    for _ in range(10):
        run()
    return run, info


# ---- worker process ---------------------------------------------------------------------------
def setup_paired() -> tuple[Any, dict]:
    """tw (donated) and hand-written NumPy in one process, alternating step by step: both
    see the same machine state, so their ratio is steadier than across processes."""
    run_tw, info = setup_tw("tw_donated")
    run_np, _ = setup_numpy("numpy")
    pc = time.perf_counter
    last: dict[str, list] = {"tw": [], "np": []}

    def run() -> None:
        t0 = pc()
        run_tw()
        t1 = pc()
        run_np()
        t2 = pc()
        last["tw"].append(t1 - t0)
        last["np"].append(t2 - t1)
    info = {"last": last}
    return run, info


def worker(kind: str) -> int:
    try:
        if kind == "paired":
            run, info = setup_paired()
        elif kind.startswith("tw"):
            run, info = setup_tw(kind)
        elif kind == "torch":
            run, info = setup_torch(kind)
        else:
            run, info = setup_numpy(kind)
    except ImportError as exc:
        print(json.dumps({"unavailable": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 0
    import numpy as np

    info["numpy"] = np.__version__
    last = info.pop("last", None)
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        before = probe()
        times = []
        if last is not None:
            last["tw"].clear()
            last["np"].clear()
        with LoadMeter() as meter:
            for _ in range(cmd["steps"]):
                t0 = time.perf_counter()
                run()
                times.append(time.perf_counter() - t0)
        after = probe()
        res = {"ms": statistics.median(times) * 1e3, "probe": [before, after],
               "foreign": meter.foreign}
        if last is not None:  # paired: tw and numpy medians of this round
            res["ms"] = statistics.median(last["tw"]) * 1e3
            res["ms_numpy"] = statistics.median(last["np"]) * 1e3
        print(json.dumps(res), flush=True)
    return 0


class Worker:
    def __init__(self, kind: str, python: str, env: dict) -> None:
        self.kind = kind
        self.proc = subprocess.Popen(
            [python, str(Path(__file__).resolve()), "--worker", kind], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env)
        msg = json.loads(self.proc.stdout.readline() or '{"unavailable": "worker died"}')
        self.info = msg.get("ready")
        self.unavailable = msg.get("unavailable")

    def round(self, steps: int) -> dict:
        self.proc.stdin.write(json.dumps({"cmd": "round", "steps": steps}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
            except OSError:
                pass
            self.proc.wait(timeout=30)


def wait_for_quiet(max_wait_s: float) -> float | None:
    """Wait (up to ``max_wait_s``) until other processes use <= the load limit."""
    deadline = time.perf_counter() + max_wait_s
    while True:
        with LoadMeter() as meter:
            time.sleep(0.25)
        if meter.foreign is None or meter.foreign <= FOREIGN_LOAD_LIMIT or \
                time.perf_counter() > deadline:
            return meter.foreign


# ---- driver -----------------------------------------------------------------------------------
def run(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    if args.threads:
        for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[k] = str(args.threads)
    workers: dict[str, Worker] = {}
    skipped: dict[str, str] = {}
    try:
        for kind in VARIANTS:
            python = args.torch_python if kind == "torch" and args.torch_python else \
                sys.executable
            w = Worker(kind, python, env)
            if w.unavailable:
                skipped[kind] = w.unavailable
                w.close()
            else:
                workers[kind] = w
        names = list(workers)
        rounds = []
        for r in range(args.rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            entry: dict[str, Any] = {}
            for kind in order:
                wait_for_quiet(args.max_wait)
                entry[kind] = workers[kind].round(args.steps)
            rounds.append(entry)
        infos = {k: w.info for k, w in workers.items()}
    finally:
        for w in workers.values():
            w.close()
    return {"rounds": rounds, "names": names, "skipped": skipped, "infos": infos,
            "threads": args.threads or "default"}


def _clean(m: dict) -> bool:
    load_ok = m["foreign"] is None or m["foreign"] <= FOREIGN_LOAD_LIMIT
    return load_ok and max(m["probe"]) <= SLOW_PENALTY


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    """Medians over the rounds where a variant's measurement was clean; each ratio over the
    rounds where both of its measurements were (all rounds, flagged, when none was)."""
    rounds, names = result["rounds"], result["names"]
    refs = [k for k in ("numpy", "torch", "gemm") if k in names]
    flagged: list[str] = []

    def pick(keys: tuple) -> list[dict]:
        good = [r for r in rounds if all(_clean(r[k]) for k in keys)]
        if not good:
            flagged.append(" / ".join(keys))
        return good or rounds

    clean_all = [r for r in rounds if all(_clean(r[k]) for k in names)]
    out: dict[str, Any] = {"rounds_total": len(rounds), "rounds_all_clean": len(clean_all),
                           "clean_per_variant": {k: sum(_clean(r[k]) for r in rounds)
                                                 for k in names},
                           "variants": {}, "no_clean_round": flagged}
    if "paired" in names:
        used = pick(("paired",))
        out["paired_ratio"] = median([r["paired"]["ms"] / r["paired"]["ms_numpy"]
                                      for r in used])
        out["paired_ms"] = [median([r["paired"]["ms"] for r in used]),
                            median([r["paired"]["ms_numpy"] for r in used])]
    for k in names:
        if k == "paired":
            continue
        used = pick((k,))
        e = {"median_ms": median([r[k]["ms"] for r in used]),
             "best_round_ms": min(r[k]["ms"] for r in used), "rounds": len(used)}
        for ref in refs:
            both = pick((k, ref)) if ref != k else used
            e[f"x_{ref}"] = median([r[k]["ms"] / r[ref]["ms"] for r in both])
            e[f"rounds_x_{ref}"] = len(both)
        out["variants"][k] = e
    # correctness: the first step from the same start agrees across variants
    checks = {k: i["check"] for k, i in result["infos"].items() if "check" in i}
    base = checks.get("numpy")
    if base:
        out["check"] = {k: all(abs(a - b) <= 1e-3 * max(1.0, abs(b)) for a, b in zip(v, base))
                        for k, v in checks.items()}
    return out


def report(result: dict[str, Any], summary: dict[str, Any], machine: dict) -> list[str]:
    infos = result["infos"]
    print("bench_mlp_step: MLP 784-512-512-10 ReLU, softmax cross-entropy, SGD lr 0.01, "
          "batch 128, float32; ms per training step")
    versions = "  ".join(f"{k} {v}" for k, v in (
        ("numpy", next(iter(infos.values()), {}).get("numpy")),
        ("torch", infos.get("torch", {}).get("version"))) if v)
    print(f"  {machine['date']}  python {machine['python']}  {machine.get('cpu', '?')}  "
          f"{machine['cpus']} CPUs  threads {result['threads']}  {versions}")
    for k, why in result["skipped"].items():
        print(f"  skipped {VARIANTS[k]}: {why}")
    probes = [max(max(r[k]["probe"]) for k in result["names"]) for r in result["rounds"]]
    loads = [max((r[k]["foreign"] or 0.0) for k in result["names"]) for r in result["rounds"]]
    print(f"  {summary['rounds_total']} rounds; per round: worst probe penalty "
          f"{', '.join(f'{p:.1f}' for p in probes)} (limit {SLOW_PENALTY}); worst foreign "
          f"load {', '.join(f'{v:.0%}' for v in loads)} (limit {FOREIGN_LOAD_LIMIT:.0%})")
    per = summary["clean_per_variant"]
    print("  clean measurements per variant: " + ", ".join(f"{k} {n}" for k, n in per.items())
          + " (medians use a variant's clean rounds, ratios the rounds where both were clean)")
    for keys in summary["no_clean_round"]:
        print(f"  WARNING: NO CLEAN RUN for {keys}: all rounds used, less dependable")
    print()
    refs = [k for k in ("numpy", "torch", "gemm") if k in result["names"]]
    headers = ["variant", "median ms", "best round ms"] + [f"x {r} (rounds)" for r in refs]
    if "paired_ratio" in summary:
        tw_ms, np_ms = summary["paired_ms"]
        print(f"{VARIANTS['paired']}: tw {tw_ms:.3f} ms, numpy {np_ms:.3f} ms, "
              f"ratio {summary['paired_ratio']:.3f}")
        print()
    rows = []
    for k, e in summary["variants"].items():
        rows.append([VARIANTS[k], f"{e['median_ms']:.3f}", f"{e['best_round_ms']:.3f}"] +
                    [f"{e['x_' + r]:.3f} ({e['rounds_x_' + r]})" for r in refs])
    print_table(headers, rows)
    print()
    lines = []
    tw = infos.get("tw_donated") or {}
    jit = infos.get("tw_jit") or {}
    if tw:
        print(f"tw donated step: {tw.get('donation_via')}; plan: {tw['plan_steps']} steps, "
              f"{tw['plan_buffers']} buffers ({tw['plan_buffer_bytes'] / 1024:.0f} KiB)")
        print(f"trace {tw['trace_ms']:.1f} ms + compile {tw['compile_ms']:.1f} ms = "
              f"{tw['trace_ms'] + tw['compile_ms']:.1f} ms (first in a fresh process); first "
              f"tw.jit call in a fresh process (trace, compile, first run) "
              f"{jit.get('first_call_ms', float('nan')):.1f} ms")
        print("allocated per steady-state step (tracemalloc peak above baseline): "
              + ", ".join(f"{VARIANTS[k]} {infos[k]['alloc_bytes'] / 1024:.1f} KiB"
                          for k in ("tw_donated", "tw_jit", "numpy") if k in infos))
    if summary.get("check"):
        bad = [k for k, ok in summary["check"].items() if not ok]
        print("first-step loss and updated weights agree across variants"
              if not bad else f"WARNING: first step disagrees with numpy for {bad}")
    print()
    v = summary["variants"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    if "tw_donated" in v:
        r = v["tw_donated"]["x_numpy"]
        lines.append(f"tw donated <= {TARGETS['vs_numpy']}x numpy hand-written: "
                     f"{verdict(r <= TARGETS['vs_numpy'])} ({r:.3f}x)")
        if "torch" in v:
            r = v["tw_donated"]["x_torch"]
            lines.append(f"tw donated <= {TARGETS['vs_torch']}x torch eager: "
                         f"{verdict(r <= TARGETS['vs_torch'])} ({r:.3f}x)")
        c = tw["trace_ms"] + tw["compile_ms"]
        lines.append(f"trace + compile < {TARGETS['compile_ms']:.0f} ms: "
                     f"{verdict(c < TARGETS['compile_ms'])} ({c:.1f} ms)")
        a = tw["alloc_bytes"]
        lines.append(f"allocated per step < {TARGETS['alloc_bytes'] // 1024} KiB: "
                     f"{verdict(a < TARGETS['alloc_bytes'])} ({a / 1024:.1f} KiB)")
    for line in lines:
        print("target: " + line)
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--steps", type=int, default=40, help="timed steps per variant per round")
    p.add_argument("--quick", action="store_true", help="3 rounds of 15 steps")
    p.add_argument("--threads", type=int, default=0, help="BLAS / OpenMP threads (0: default)")
    p.add_argument("--torch-python", metavar="PYTHON",
                   help="interpreter for the torch worker (default: this one)")
    p.add_argument("--max-wait", type=float, default=10.0,
                   help="seconds to wait for a quiet machine before each measurement")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker)
    if args.quick:
        args.rounds, args.steps, args.max_wait = 3, 15, 2.0
    machine = machine_summary()
    result = run(args)
    summary = summarize(result)
    lines = report(result, summary, machine)
    write_json(args.json, {"machine": machine, "raw": result, "summary": summary,
                           "targets": lines})
    return 1 if args.check and any("MISSED" in line for line in lines) else 0


if __name__ == "__main__":
    sys.exit(main())
