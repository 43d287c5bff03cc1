"""Check a backend against the pure-Python reference, op by op (what
``tensorweave conformance --backend NAME`` runs), and print the summary.

    python examples/conformance_run.py [numpy|python|cupy|<third-party>] [--ops add,matmul]
"""

from __future__ import annotations

import argparse

from tensorweave.testing.runner import run_conformance


def main(backend: str = "numpy", ops: str | None = None) -> bool:
    report = run_conformance(backend, ops=ops.split(",") if ops else None)
    failed = [r for r in report.rows if not r.ok]
    total = sum(r.cases for r in report.rows)
    print(f"backend {backend}: {len(report.rows)} ops, {total} cases, "
          f"{len(failed)} ops failing, {report.seconds:.2f} s")
    for r in failed[:20]:
        print("  FAIL", r.op)
    return report.ok


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("backend", nargs="?", default="numpy")
    p.add_argument("--ops", default=None)
    a = p.parse_args()
    raise SystemExit(0 if main(a.backend, a.ops) else 1)
