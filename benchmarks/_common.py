"""Shared helpers of the benchmarks: medians, a foreign-load meter, table printing.

The rules come from the project's performance notes: on a small shared VM absolute times
drift within minutes, so every benchmark measures its comparators in the same run,
interleaves the variants round by round, reports medians and same-round ratios, and says
how busy the rest of the machine was while it ran.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["median", "LoadMeter", "machine_summary", "print_table", "write_json",
           "FOREIGN_LOAD_LIMIT"]

#: Rounds during which other processes used more than this share of all CPUs are
#: left out of the summary (when at least one clean round remains).
FOREIGN_LOAD_LIMIT = 0.10


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _proc_stat() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
    except OSError:
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    # user nice system idle iowait irq softirq steal guest guest_nice
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    steal = ticks[7] if len(ticks) > 7 else 0
    total = sum(ticks[:8])
    hz = os.sysconf("SC_CLK_TCK")
    return (total - idle - steal) / hz, total / hz


def _own_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadMeter:
    """Measures the CPU share used by *other* processes while a block runs.

    ``foreign`` is (machine busy CPU seconds - this process's and its children's CPU
    seconds) / (wall seconds * CPUs), clipped at 0; ``None`` where /proc/stat is missing.
    """

    def __init__(self) -> None:
        self.foreign: float | None = None
        self.wall = 0.0

    def __enter__(self) -> LoadMeter:
        self._stat = _proc_stat()
        self._own = _own_cpu()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self._t0
        end = _proc_stat()
        if self._stat is None or end is None or self.wall <= 0:
            return
        busy = end[0] - self._stat[0]
        own = _own_cpu() - self._own
        ncpu = os.cpu_count() or 1
        self.foreign = max(0.0, (busy - own) / (self.wall * ncpu))


def machine_summary() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "executable": sys.executable,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return info


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def write_json(path: str | None, data: dict[str, Any]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {path}")
