"""Eager dispatch cost: one add of two 16-element float32 arrays.

Compares, in one process and interleaved round by round:

* ``tw.ops.add(a, b)`` and ``a + b`` on tensorweave tensors (numpy backend),
* raw NumPy ``a + b`` (the floor: what the kernel itself costs),
* PyTorch eager ``a + b`` when torch is importable (the anchor users compare with),
* informational: the same add on tensorweave's pure-Python backend and a plain Python
  list comprehension.

At this size the arithmetic is nothing; what is measured is the per-call overhead of the
library. Target: ``tw.ops.add`` <= 1.5 us per call on the numpy backend.

    python benchmarks/bench_eager.py            # 9 rounds, ~10 s
    python benchmarks/bench_eager.py --quick    # 3 rounds, ~3 s
    python benchmarks/bench_eager.py --json out.json
"""

from __future__ import annotations

import argparse
import sys
import timeit
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

TARGET_US = 1.5
SIZE = 16


def build_variants(with_python: bool) -> tuple[dict[str, timeit.Timer], dict[str, str]]:
    """Timers for every variant, plus the version of each library."""
    import numpy as np

    import tensorweave as tw

    versions = {"numpy": np.__version__, "tensorweave": tw.__version__}
    a = np.arange(SIZE, dtype=np.float32)
    b = np.arange(SIZE, dtype=np.float32)[::-1].copy()
    with tw.backend_scope("numpy"):
        ta, tb = tw.ops.convert_to_tensor(a), tw.ops.convert_to_tensor(b)
    ns: dict[str, Any] = {"a": a, "b": b, "ta": ta, "tb": tb, "add": tw.ops.add}
    stmts = {
        "numpy a + b": "a + b",
        "tw.ops.add(a, b) [numpy backend]": "add(ta, tb)",
        "tw a + b [numpy backend]": "ta + tb",
    }
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        versions["torch"] = torch.__version__
        ns["xa"], ns["xb"] = torch.from_numpy(a.copy()), torch.from_numpy(b.copy())
        stmts["torch a + b"] = "xa + xb"
    if with_python and any(i.name == "python" and i.available for i in tw.list_backends()):
        with tw.backend_scope("python"):
            ns["pa"], ns["pb"] = tw.ops.convert_to_tensor(a), tw.ops.convert_to_tensor(b)
        ns["la"], ns["lb"] = a.tolist(), b.tolist()
        stmts["tw.ops.add(a, b) [python backend]"] = "add(pa, pb)"
        stmts["python lists [u + v for ...]"] = "[u + v for u, v in zip(la, lb)]"
    timers = {name: timeit.Timer(stmt, globals=ns) for name, stmt in stmts.items()}
    # Sanity: every variant computes the same sum.
    expected = (a + b).tolist()
    for name, stmt in stmts.items():
        out = eval(stmt, ns)  # noqa: S307 - our own fixed statements
        values = out if isinstance(out, list) else out.tolist()
        assert values == expected, f"{name} computed {values}"
    return timers, versions


def calibrate(timer: timeit.Timer, target_s: float) -> int:
    n = 1
    while True:
        t = timer.timeit(n)
        if t >= target_s / 4 or n >= 10_000_000:
            return max(1, int(n * target_s / max(t, 1e-9)))
        n *= 4


def run(rounds: int, repeats: int, repeat_s: float, with_python: bool) -> dict[str, Any]:
    timers, versions = build_variants(with_python)
    names = list(timers)
    for t in timers.values():  # warm up: fills tensorweave's per-signature cache
        t.timeit(2000)
    numbers = {n: calibrate(t, repeat_s) for n, t in timers.items()}
    per_round: list[dict[str, Any]] = []
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate the order
        us: dict[str, float] = {}
        with LoadMeter() as meter:
            for name in order:
                t, n = timers[name], numbers[name]
                us[name] = median([t.timeit(n) / n * 1e6 for _ in range(repeats)])
        per_round.append({"us": us, "foreign_cpu_frac": meter.foreign})
    return {"versions": versions, "numbers": numbers, "rounds": per_round, "names": names}


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    rounds = result["rounds"]
    clean = [r for r in rounds
             if r["foreign_cpu_frac"] is None or r["foreign_cpu_frac"] <= FOREIGN_LOAD_LIMIT]
    used = clean or rounds
    names = result["names"]
    refs = [n for n in ("numpy a + b", "torch a + b") if n in names]
    summary: dict[str, Any] = {"rounds_total": len(rounds), "rounds_used": len(used),
                               "all_rounds_contended": not clean, "variants": {}}
    for name in names:
        entry = {"median_us": median([r["us"][name] for r in used]),
                 "min_round_us": min(r["us"][name] for r in used)}
        for ref in refs:
            entry[f"ratio_vs_{ref.split()[0]}"] = median(
                [r["us"][name] / r["us"][ref] for r in used])
        summary["variants"][name] = entry
    tw_us = summary["variants"]["tw.ops.add(a, b) [numpy backend]"]["median_us"]
    summary["target_us"] = TARGET_US
    summary["target_met"] = tw_us <= TARGET_US
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=9)
    p.add_argument("--repeats", type=int, default=5, help="timed repeats per round")
    p.add_argument("--repeat-ms", type=float, default=20.0, help="length of one repeat")
    p.add_argument("--quick", action="store_true", help="3 rounds of 3 short repeats")
    p.add_argument("--no-python", action="store_true", help="skip the pure-Python rows")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--check", action="store_true",
                   help="exit 1 when tw.ops.add misses the target")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.repeats, args.repeat_ms = 3, 3, 10.0

    machine = machine_summary()
    result = run(args.rounds, args.repeats, args.repeat_ms / 1000, not args.no_python)
    summary = summarize(result)
    print(f"bench_eager: add of two {SIZE}-element float32 arrays, us per call")
    print(f"  {machine['date']}  python {machine['python']}  {machine.get('cpu', '?')}  "
          f"{machine['cpus']} CPUs  " +
          "  ".join(f"{k} {v}" for k, v in result["versions"].items()))
    loads = [r["foreign_cpu_frac"] for r in result["rounds"]]
    shown = ", ".join("n/a" if v is None else f"{v:.0%}" for v in loads)
    print(f"  rounds used {summary['rounds_used']}/{summary['rounds_total']} "
          f"(foreign CPU load per round: {shown}; limit {FOREIGN_LOAD_LIMIT:.0%})")
    if summary["all_rounds_contended"]:
        print("  WARNING: every round ran under foreign load; numbers are not clean")
    print()
    refs = [k for k in next(iter(summary["variants"].values())) if k.startswith("ratio_vs_")]
    headers = ["variant", "median us", "best round us"] + [
        "x " + k.removeprefix("ratio_vs_") for k in refs]
    rows = []
    for name, e in summary["variants"].items():
        rows.append([name, f"{e['median_us']:.3f}", f"{e['min_round_us']:.3f}"] +
                    [f"{e[k]:.2f}" for k in refs])
    print_table(headers, rows)
    print()
    tw_us = summary["variants"]["tw.ops.add(a, b) [numpy backend]"]["median_us"]
    verdict = "met" if summary["target_met"] else "MISSED"
    print(f"target: tw.ops.add <= {TARGET_US} us per call: {verdict} ({tw_us:.3f} us)")
    write_json(args.json, {"machine": machine, "raw": result, "summary": summary})
    return 1 if args.check and not summary["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
