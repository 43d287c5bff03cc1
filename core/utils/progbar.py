"""``tw.utils.Progbar``: Keras's progress bar for custom loops (``update``/``add``)."""

from __future__ import annotations

import sys
import time
from typing import Any

from ..errors import InvalidArgumentError
from .training import print_msg

__all__ = ["Progbar"]


class Progbar:
    """A progress bar: ``update(current, values=[("loss", v), ...])`` per step.

    Keras's rules: a *stateless* value is averaged over the steps each update covers until
    the final update, which shows the value given then; a *stateful* one (a running
    metric) is shown as given. By default every value is stateless except the names in
    ``stateful_metrics``; with ``stateless_metrics`` every value is stateful except those.
    ``verbose=1``: a bar redrawn at most every ``interval`` seconds; ``verbose=2``: one line
    when the target is reached; ``verbose=0``: silent. ``target=None``: unknown length."""

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Any = None,
                 stateless_metrics: Any = None, unit_name: str = "step") -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise InvalidArgumentError("Progbar: give only one of 'stateful_metrics' and "
                                       "'stateless_metrics'")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else \
            set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic = hasattr(sys.stdout, "isatty") and sys.stdout.isatty()
        self._values: dict[str, list] = {}
        self._order: list[str] = []
        self._seen = 0
        self._start = time.time()
        self._last = 0.0
        self._width_drawn = 0

    def _stateless(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or ())

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Move to step ``current`` with ``values`` (a list of ``(name, value)``)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            if name not in self._order:
                self._order.append(name)
            value = float(value)
            if self._stateless(name) and not finalize:
                steps = max(current - self._seen, 1)
                entry = self._values.setdefault(name, [0.0, 0])
                entry[0] += value * steps
                entry[1] += steps
            else:
                self._values[name] = [value, 1]
        self._seen = current
        now = time.time()
        per_unit = (now - self._start) / current if current else 0.0
        if self.verbose == 1:
            if not finalize and now - self._last < self.interval:
                return
            self._last = now
            if self.target:
                digits = len(str(self.target))
                done = int(self.width * min(current, self.target) / self.target)
                bar = f"{current:{digits}d}/{self.target} [{'=' * done}{'.' * (self.width - done)}]"
            else:
                bar = f"{current:7d}/Unknown"
            if self.target and not finalize:
                info = f" {per_unit * (self.target - current):.0f}s"
            else:
                info = f" {now - self._start:.0f}s"
            line = bar + info + _format_time(per_unit, self.unit_name) + self._averages()
            if self._dynamic:
                pad = " " * max(self._width_drawn - len(line), 0)
                self._width_drawn = len(line)
                sys.stdout.write("\r" + line + pad + ("\n" if finalize else ""))
                sys.stdout.flush()
            elif finalize:
                print_msg(line)
        elif self.verbose == 2 and finalize and self.target:
            digits = len(str(self.target))
            print_msg(f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
                      f"{_format_time(per_unit, self.unit_name)}{self._averages()}")

    def add(self, n: int, values: Any = None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen + n, values)

    def _averages(self) -> str:
        parts = []
        for name in self._order:
            total, count = self._values[name]
            avg = total / max(count, 1)
            parts.append(f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else
                         f" - {name}: {avg:.4e}")
        return "".join(parts)


def _format_time(per_unit: float, unit: str) -> str:
    if per_unit >= 1 or per_unit == 0:
        return f" {per_unit:.0f}s/{unit}"
    if per_unit >= 1e-3:
        return f" {per_unit * 1000:.0f}ms/{unit}"
    return f" {per_unit * 1e6:.0f}us/{unit}"
