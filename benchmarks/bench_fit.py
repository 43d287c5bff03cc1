"""``fit`` time per epoch on the digits: tensorweave against Keras 3 (torch) and PyTorch.

Two models on the bundled digits split (1438 training images, batch 32, so 45 steps per
epoch, shuffled every epoch), both trained with Adam (lr 1e-3) on sparse categorical
cross-entropy while tracking loss and accuracy:

* ``mlp``: 64 -> Dense(128, relu) -> Dense(10, softmax), the project's accuracy recipe;
* ``cnn``: (8, 8, 1) -> Conv2D(32, 3, same, relu) -> MaxPool 2 -> Conv2D(64, 3, same,
  relu) -> MaxPool 2 -> Flatten -> Dense(10, softmax), as ``examples/cnn_digits.py``.

Frameworks, each in its own worker process (so one library's threads never disturb
another's), all at their default thread counts:

* ``tensorweave``: ``model.fit`` on the numpy backend;
* ``keras-torch``: Keras 3 ``model.fit`` with ``KERAS_BACKEND=torch`` (the same layers);
* ``torch-loop``: a hand-written PyTorch loop, what a PyTorch user writes: ``randperm``
  shuffle, ``nn.Sequential`` (NCHW convolutions for the CNN), ``CrossEntropyLoss`` on
  logits, ``optim.Adam``, and a running loss and accuracy (``.item()`` per batch) so it
  does the same bookkeeping as the ``fit`` loops.

The comparators run when ``keras`` and ``torch`` are importable by this interpreter; they
are skipped, with the reason, otherwise. Install them in a venv of their own (see
benchmarks/README.md), never in the project's environment.

Each round gives every framework a fresh model (seed 0) trained for one warm-up epoch
(tracing, compiling, allocator warm-up) plus ``--epochs`` timed epochs; the round's figure
is the median of the timed epochs (time from ``on_epoch_begin`` to ``on_epoch_end``, or
around the loop's epoch). Rounds run the frameworks in a rotating order, waiting for the
machine to be quiet before each. Reported: the median over rounds and the median of the
same-round ratios. Following the project's performance notes, a round is left out of the
summary when a worker saw more than 10% foreign CPU load or the machine was in its slow
regime (probe penalty above the limit, see below), unless no round is clean.

Machine-regime probes, in every worker before and after its run: ``penalty`` is the cost
of ``W -= dW`` (1.6 MB) read right after a 2-thread GEMM wrote ``dW``, over the same op on
a copy written by the worker's own core (about 1-2.5 normally, ~10 or more in the slow
regime); ``gemm us`` is one (128, 288) @ (288, 64) float32 matmul, the size of the CNN's
second convolution: ~30 us normally, several hundred when small multi-threaded GEMMs hit
the slow regime or compete with other processes (the CNN then slows down several-fold in
every framework); a round whose probe reads over 4x the run's best counts as slow too.

    python benchmarks/bench_fit.py                  # 7 rounds, ~1-2 min
    python benchmarks/bench_fit.py --quick          # 3 rounds of 3 timed epochs
    python benchmarks/bench_fit.py --models mlp --json out.json --check

Targets: tensorweave faster than Keras 3 (torch) on both models (ratio < 1), and within
1.2x of the PyTorch loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
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

BATCH = 32
LR = 1e-3
SLOW_PENALTY = 4.0
SLOW_GEMM_FACTOR = 4.0
TARGETS = {"vs_keras": 1.0, "vs_torch": 1.2}
FRAMEWORKS = {
    "tensorweave": "tensorweave fit (numpy backend)",
    "keras-torch": "Keras 3 fit (torch backend)",
    "torch-loop": "PyTorch hand-written loop",
}
MODELS = ("mlp", "cnn")


# ---- probes ----------------------------------------------------------------------------------
def probe() -> tuple[float, float]:
    """(penalty, small-GEMM microseconds); see the module docstring."""
    import numpy as np

    rng = np.random.default_rng(1)
    a = rng.standard_normal((128, 784)).astype(np.float32)
    b = rng.standard_normal((128, 512)).astype(np.float32)
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
    penalty = statistics.median(after) / max(statistics.median(mine), 1e-9)
    p = rng.standard_normal((128, 288)).astype(np.float32)
    k = rng.standard_normal((288, 64)).astype(np.float32)
    out = np.empty((128, 64), np.float32)
    for _ in range(20):
        np.matmul(p, k, out=out)
    reps = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(40):
            np.matmul(p, k, out=out)
        reps.append((time.perf_counter() - t0) / 40)
    return penalty, statistics.median(reps) * 1e6


# ---- the frameworks (run inside a worker) ----------------------------------------------------
def load_data(path: str, model: str) -> tuple:
    import numpy as np

    d = np.load(path)
    shape = (-1, 64) if model == "mlp" else (-1, 8, 8, 1)
    xtr = (d["x_train"].reshape(shape).astype(np.float32) / np.float32(16.0))
    xte = (d["x_test"].reshape(shape).astype(np.float32) / np.float32(16.0))
    return xtr, d["y_train"].astype(np.int32), xte, d["y_test"].astype(np.int32)


def setup_tensorweave() -> tuple[Any, dict]:
    import tensorweave as tw
    from tensorweave import layers

    tw.set_backend("numpy")

    class EpochTimer(tw.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter() - self.t0)

    def build(model: str) -> Any:
        if model == "mlp":
            return tw.Sequential([tw.Input((64,)), layers.Dense(128, activation="relu"),
                                  layers.Dense(10, activation="softmax")])
        return tw.Sequential([
            tw.Input((8, 8, 1)), layers.Conv2D(32, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(), layers.Conv2D(64, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(), layers.Flatten(), layers.Dense(10, activation="softmax")])

    def train(model: str, data: tuple, epochs: int, seed: int) -> tuple[list, float]:
        xtr, ytr, xte, yte = data
        tw.utils.set_random_seed(seed)
        m = build(model)
        m.compile(optimizer=tw.optimizers.Adam(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        timer = EpochTimer()
        m.fit(xtr, ytr, batch_size=BATCH, epochs=epochs, verbose=0, callbacks=[timer])
        return timer.times, float(m.evaluate(xte, yte, verbose=0)[1])

    return train, {"tensorweave": tw.__version__, "backend": "numpy"}


def setup_keras() -> tuple[Any, dict]:
    os.environ["KERAS_BACKEND"] = "torch"
    import keras
    import torch

    if keras.backend.backend() != "torch":
        raise ImportError(f"Keras runs on {keras.backend.backend()!r}, not torch")

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.times: list[float] = []

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.times.append(time.perf_counter() - self.t0)

    L = keras.layers

    def build(model: str) -> Any:
        if model == "mlp":
            return keras.Sequential([keras.Input((64,)), L.Dense(128, activation="relu"),
                                     L.Dense(10, activation="softmax")])
        return keras.Sequential([
            keras.Input((8, 8, 1)), L.Conv2D(32, 3, activation="relu", padding="same"),
            L.MaxPooling2D(), L.Conv2D(64, 3, activation="relu", padding="same"),
            L.MaxPooling2D(), L.Flatten(), L.Dense(10, activation="softmax")])

    def train(model: str, data: tuple, epochs: int, seed: int) -> tuple[list, float]:
        xtr, ytr, xte, yte = data
        keras.utils.set_random_seed(seed)
        m = build(model)
        m.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        timer = EpochTimer()
        m.fit(xtr, ytr, batch_size=BATCH, epochs=epochs, verbose=0, shuffle=True,
              callbacks=[timer])
        return timer.times, float(m.evaluate(xte, yte, verbose=0)[1])

    return train, {"keras": keras.__version__, "torch": torch.__version__,
                   "threads": torch.get_num_threads()}


def setup_torch_loop() -> tuple[Any, dict]:
    import torch
    from torch import nn

    def build(model: str) -> Any:
        if model == "mlp":
            return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(256, 10))

    def train(model: str, data: tuple, epochs: int, seed: int) -> tuple[list, float]:
        xtr, ytr, xte, yte = data
        if model == "cnn":  # NHWC -> NCHW, once, as a PyTorch user stores images
            xtr, xte = xtr.transpose(0, 3, 1, 2).copy(), xte.transpose(0, 3, 1, 2).copy()
        torch.manual_seed(seed)
        x, y = torch.from_numpy(xtr), torch.from_numpy(ytr.astype("int64"))
        net = build(model)
        opt = torch.optim.Adam(net.parameters(), lr=LR)
        loss_fn = nn.CrossEntropyLoss()
        n = x.shape[0]
        times = []
        for _ in range(epochs):
            t0 = time.perf_counter()
            net.train()
            perm = torch.randperm(n)
            total, correct = 0.0, 0
            for i in range(0, n, BATCH):
                idx = perm[i:i + BATCH]
                xb, yb = x[idx], y[idx]
                logits = net(xb)
                loss = loss_fn(logits, yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
                correct += int((logits.argmax(1) == yb).sum().item())
            times.append(time.perf_counter() - t0)
        net.eval()
        with torch.no_grad():
            pred = net(torch.from_numpy(xte)).argmax(1).numpy()
        return times, float((pred == yte).mean())

    return train, {"torch": torch.__version__, "threads": torch.get_num_threads()}


SETUPS = {"tensorweave": setup_tensorweave, "keras-torch": setup_keras,
          "torch-loop": setup_torch_loop}


# ---- worker process --------------------------------------------------------------------------
def worker(framework: str, data_path: str) -> int:
    try:
        train, info = SETUPS[framework]()
    except ImportError as exc:
        print(json.dumps({"unavailable": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 0
    import numpy as np

    info["numpy"] = np.__version__
    data = {m: load_data(data_path, m) for m in MODELS}
    print(json.dumps({"ready": info}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        before = probe()
        with LoadMeter() as meter:
            times, acc = train(cmd["model"], data[cmd["model"]], cmd["epochs"] + 1, cmd["seed"])
        after = probe()
        print(json.dumps({"epoch_s": statistics.median(times[1:]), "warmup_s": times[0],
                          "epochs": times, "acc": acc, "probe": [before[0], after[0]],
                          "gemm_us": [before[1], after[1]], "foreign": meter.foreign}),
              flush=True)
    return 0


class Worker:
    def __init__(self, framework: str, data_path: str, env: dict) -> None:
        self.framework = framework
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", framework,
             "--data", data_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=env)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        msg = json.loads(line or '{"unavailable": "the worker exited before it was ready"}')
        self.info = msg.get("ready")
        self.unavailable = msg.get("unavailable")

    def round(self, model: str, epochs: int, seed: int) -> dict:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({"cmd": "round", "model": model, "epochs": epochs,
                                          "seed": seed}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.framework} worker died (see its stderr above)")
        return json.loads(line)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.flush()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def wait_for_quiet(max_wait_s: float) -> float | None:
    """Wait (up to ``max_wait_s``) until other processes use <= the load limit."""
    deadline = time.perf_counter() + max_wait_s
    while True:
        with LoadMeter() as meter:
            time.sleep(0.25)
        if meter.foreign is None or meter.foreign <= FOREIGN_LOAD_LIMIT or \
                time.perf_counter() > deadline:
            return meter.foreign


# ---- driver ----------------------------------------------------------------------------------
def write_data(path: str) -> None:
    import numpy as np

    import tensorweave as tw

    (xtr, ytr), (xte, yte) = tw.datasets.digits.load_data()
    np.savez(path, x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)


def run(args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    env["KERAS_BACKEND"] = "torch"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    workers: dict[str, Worker] = {}
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_path = str(Path(tmp) / "digits.npz")
        write_data(data_path)
        try:
            for fw in args.frameworks:
                w = Worker(fw, data_path, env)
                if w.unavailable:
                    skipped[fw] = w.unavailable
                    w.close()
                else:
                    workers[fw] = w
            if "tensorweave" not in workers:
                raise SystemExit(f"bench_fit: tensorweave worker unavailable: {skipped}")
            names = list(workers)
            rounds: list[dict] = []
            for r in range(args.rounds):
                entry: dict[str, Any] = {}
                for model in args.models:
                    order = names[r % len(names):] + names[:r % len(names)]
                    entry[model] = {}
                    for fw in order:
                        wait_for_quiet(args.max_wait)
                        entry[model][fw] = workers[fw].round(model, args.epochs, args.seed)
                rounds.append(entry)
                if args.verbose:
                    print(f"  round {r + 1}/{args.rounds}: " + "; ".join(
                        f"{m} " + " ".join(f"{fw} {entry[m][fw]['epoch_s'] * 1e3:.0f}ms"
                                           for fw in names) for m in args.models),
                          flush=True)
            infos = {k: w.info for k, w in workers.items()}
        finally:
            for w in workers.values():
                w.close()
    return {"rounds": rounds, "names": names, "models": list(args.models), "skipped": skipped,
            "infos": infos, "epochs": args.epochs, "seed": args.seed}


def _clean(m: dict, gemm_floor: float) -> bool:
    load_ok = m["foreign"] is None or m["foreign"] <= FOREIGN_LOAD_LIMIT
    return load_ok and max(m["probe"]) <= SLOW_PENALTY and \
        max(m["gemm_us"]) <= SLOW_GEMM_FACTOR * gemm_floor


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    names = result["names"]
    out: dict[str, Any] = {}
    floor = min(min(r[m][fw]["gemm_us"]) for r in result["rounds"] for m in result["models"]
                for fw in names)
    for model in result["models"]:
        rounds = [r[model] for r in result["rounds"]]
        clean = [r for r in rounds if all(_clean(r[fw], floor) for fw in names)]
        used = clean or rounds
        s: dict[str, Any] = {"rounds_total": len(rounds), "rounds_used": len(used),
                             "no_clean_round": not clean, "frameworks": {}}
        for fw in names:
            e = {"epoch_s": median([r[fw]["epoch_s"] for r in used]),
                 "best_round_s": min(r[fw]["epoch_s"] for r in used),
                 "warmup_s": median([r[fw]["warmup_s"] for r in used]),
                 "acc": median([r[fw]["acc"] for r in used])}
            for ref in ("keras-torch", "torch-loop"):
                if ref in names:
                    e[f"x_{ref}"] = median([r[fw]["epoch_s"] / r[ref]["epoch_s"] for r in used])
            s["frameworks"][fw] = e
        tw = s["frameworks"]["tensorweave"]
        checks = {}
        if "x_keras-torch" in tw:
            checks["faster than Keras 3 (torch)"] = tw["x_keras-torch"] < TARGETS["vs_keras"]
        if "x_torch-loop" in tw:
            checks[f"within {TARGETS['vs_torch']}x of the PyTorch loop"] = \
                tw["x_torch-loop"] <= TARGETS["vs_torch"]
        s["checks"] = checks
        out[model] = s
    out["gemm_floor_us"] = floor
    return out


def report(result: dict[str, Any], summary: dict[str, Any], machine: dict) -> bool:
    names = result["names"]
    print(f"bench_fit: fit time per epoch on the digits (1438 images, batch {BATCH}, "
          f"{-(-1438 // BATCH)} steps), Adam, 1 warm-up + {result['epochs']} timed epochs")
    print(f"  {machine['date']}  python {machine['python']}  {machine.get('cpu', '?')}  "
          f"{machine['cpus']} CPUs")
    for fw, info in result["infos"].items():
        print(f"  {fw}: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    for fw, why in result["skipped"].items():
        print(f"  {fw}: SKIPPED ({why})")
    all_ok = True
    for model in result["models"]:
        s = summary[model]
        rounds = [r[model] for r in result["rounds"]]
        loads = [max((r[fw]["foreign"] or 0.0) for fw in names) for r in rounds]
        pens = [max(max(r[fw]["probe"]) for fw in names) for r in rounds]
        gemm = [max(max(r[fw]["gemm_us"]) for fw in names) for r in rounds]
        print()
        print(f"[{model}] rounds used {s['rounds_used']}/{s['rounds_total']}; per round: "
              f"worst foreign load {', '.join(f'{v:.0%}' for v in loads)} "
              f"(limit {FOREIGN_LOAD_LIMIT:.0%}); worst probe penalty "
              f"{', '.join(f'{p:.1f}' for p in pens)} (limit {SLOW_PENALTY}); worst small-GEMM "
              f"probe {', '.join(f'{g:.0f}' for g in gemm)} us (limit {SLOW_GEMM_FACTOR:.0f}x "
              f"the best, {summary['gemm_floor_us']:.0f} us)")
        if s["no_clean_round"]:
            print("  WARNING (NO CLEAN RUN): every round had foreign load or the slow regime; "
                  "all rounds are used and the figures are not clean")
        refs = [k for k in next(iter(s["frameworks"].values())) if k.startswith("x_")]
        headers = ["framework", "ms/epoch", "best round", "ms/step", "warm-up ms",
                   "test acc"] + [k.replace("_", " ") for k in refs]
        rows = []
        for fw, e in s["frameworks"].items():
            rows.append([FRAMEWORKS[fw], f"{e['epoch_s'] * 1e3:.1f}",
                         f"{e['best_round_s'] * 1e3:.1f}",
                         f"{e['epoch_s'] * 1e3 / -(-1438 // BATCH):.3f}",
                         f"{e['warmup_s'] * 1e3:.0f}", f"{e['acc']:.4f}"] +
                        [f"{e[k]:.2f}" for k in refs])
        print_table(headers, rows)
        for what, ok in s["checks"].items():
            all_ok &= ok
            print(f"  target {what}: {'met' if ok else 'MISSED'}")
    return all_ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--epochs", type=int, default=5, help="timed epochs after the warm-up")
    p.add_argument("--models", default="mlp,cnn", help="comma list of: mlp, cnn")
    p.add_argument("--frameworks", default=",".join(FRAMEWORKS),
                   help="comma list of: " + ", ".join(FRAMEWORKS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-wait", type=float, default=20.0,
                   help="seconds to wait for a quiet machine before each worker run")
    p.add_argument("--quick", action="store_true", help="3 rounds of 3 timed epochs")
    p.add_argument("--verbose", action="store_true", help="print each round as it ends")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data)
    if args.quick:
        args.rounds, args.epochs = 3, 3
    args.models = [m for m in args.models.split(",") if m]
    args.frameworks = [f for f in args.frameworks.split(",") if f]
    for m in args.models:
        if m not in MODELS:
            p.error(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    for f in args.frameworks:
        if f not in FRAMEWORKS:
            p.error(f"unknown framework {f!r}; choose from {', '.join(FRAMEWORKS)}")
    if "tensorweave" not in args.frameworks:
        args.frameworks.insert(0, "tensorweave")
    machine = machine_summary()
    result = run(args)
    summary = summarize(result)
    ok = report(result, summary, machine)
    write_json(args.json, {"machine": machine, "raw": result, "summary": summary})
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
