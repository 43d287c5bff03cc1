"""Import time: ``python -c "import tensorweave"`` in fresh interpreters.

Each variant is a new ``python -c ...`` subprocess; wall time is measured around it. The
variants run interleaved, one of each per round, after one discarded warm-up run each (so
the page cache is warm: this is the start-up a user sees from the second run on). Reported:
medians, the same minus bare ``python -c pass``, and ratios to ``import numpy`` measured in
the same rounds. The ``import tensorweave`` child also reports whether NumPy got loaded
(it must not: NumPy loads with the numpy backend, on first use).

Target: ``import tensorweave`` < 0.15 s wall, without NumPy loaded.

    python benchmarks/bench_import.py            # 15 rounds, ~10 s
    python benchmarks/bench_import.py --quick    # 5 rounds
"""

from __future__ import annotations

import argparse
import os
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

TARGET_S = 0.15

VARIANTS = {
    "python -c pass": "pass",
    "import numpy": "import numpy",
    "import tensorweave": "import tensorweave",
    "import tensorweave.ops": "import tensorweave.ops",
    "import tensorweave + first op (numpy backend)":
        "import tensorweave as tw; tw.ops.ones((1,))",
}
TW = "import tensorweave"


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("TENSORWEAVE_BACKEND", None)
    env["TENSORWEAVE_HOME"] = home  # no user config file
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def time_once(code: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def loaded_modules(env: dict[str, str]) -> dict[str, bool]:
    code = ("import sys, tensorweave; "
            "print(int('numpy' in sys.modules), int('pluggy' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return {"numpy": out[0] == "1", "pluggy": out[1] == "1"}


def run(rounds: int) -> dict[str, Any]:
    names = list(VARIANTS)
    with tempfile.TemporaryDirectory() as home:
        env = _env(home)
        for name in names:  # warm-up, discarded
            time_once(VARIANTS[name], env)
        per_round = []
        for r in range(rounds):
            order = names[r % len(names):] + names[:r % len(names)]
            with LoadMeter() as meter:
                s = {name: time_once(VARIANTS[name], env) for name in order}
            per_round.append({"s": s, "foreign_cpu_frac": meter.foreign})
        loaded = loaded_modules(env)
    return {"rounds": per_round, "names": names, "loaded_by_import_tensorweave": loaded}


def summarize(result: dict[str, Any]) -> dict[str, Any]:
    rounds = result["rounds"]
    clean = [r for r in rounds
             if r["foreign_cpu_frac"] is None or r["foreign_cpu_frac"] <= FOREIGN_LOAD_LIMIT]
    used = clean or rounds
    out: dict[str, Any] = {"rounds_total": len(rounds), "rounds_used": len(used),
                           "all_rounds_contended": not clean, "variants": {}}
    for name in result["names"]:
        out["variants"][name] = {
            "median_s": median([r["s"][name] for r in used]),
            "minus_bare_s": median([r["s"][name] - r["s"]["python -c pass"] for r in used]),
            "ratio_vs_numpy": median([r["s"][name] / r["s"]["import numpy"] for r in used]),
        }
    tw_s = out["variants"][TW]["median_s"]
    no_numpy = not result["loaded_by_import_tensorweave"]["numpy"]
    out["target_s"] = TARGET_S
    out["target_met"] = tw_s < TARGET_S and no_numpy
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--quick", action="store_true", help="5 rounds")
    p.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds = 5

    machine = machine_summary()
    result = run(args.rounds)
    summary = summarize(result)
    print("bench_import: wall time of a fresh `python -c CODE`, seconds")
    print(f"  {machine['date']}  python {machine['python']}  {machine.get('cpu', '?')}  "
          f"{machine['cpus']} CPUs")
    loads = ", ".join("n/a" if r["foreign_cpu_frac"] is None else f"{r['foreign_cpu_frac']:.0%}"
                      for r in result["rounds"])
    print(f"  rounds used {summary['rounds_used']}/{summary['rounds_total']} "
          f"(foreign CPU load per round: {loads}; limit {FOREIGN_LOAD_LIMIT:.0%})")
    if summary["all_rounds_contended"]:
        print("  WARNING: every round ran under foreign load; numbers are not clean")
    print()
    rows = [[name, f"{e['median_s'] * 1000:.1f} ms", f"{e['minus_bare_s'] * 1000:.1f} ms",
             f"{e['ratio_vs_numpy']:.2f}"] for name, e in summary["variants"].items()]
    print_table(["code", "median", "minus bare python", "x import numpy"], rows)
    print()
    loaded = result["loaded_by_import_tensorweave"]
    print(f"`import tensorweave` loaded numpy: {loaded['numpy']}, pluggy: {loaded['pluggy']}")
    tw_s = summary["variants"][TW]["median_s"]
    verdict = "met" if summary["target_met"] else "MISSED"
    print(f"target: import tensorweave < {TARGET_S} s without NumPy: {verdict} "
          f"({tw_s * 1000:.1f} ms)")
    write_json(args.json, {"machine": machine, "raw": result, "summary": summary})
    return 1 if args.check and not summary["target_met"] else 0


if __name__ == "__main__":
    sys.exit(main())
