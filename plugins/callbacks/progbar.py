"""``ProgbarLogger``: the progress display of ``fit`` / ``evaluate`` / ``predict``.

Behaviour (user-needs D1), chosen by ``params["verbose"]`` and by where stdout goes:

* ``verbose=1`` on a terminal or in a notebook: a bar redrawn in place (``\\r``) at most
  every ``interval`` seconds, with ETA and the running metrics the trainer reports::

      Epoch 3/20
       12/32 [==========>...................] - ETA: 0s - loss: 0.2412 - accuracy: 0.9062

  then, at the end of the epoch, the final line with the validation metrics.
* ``verbose=2``, or ``verbose=1`` when stdout is not interactive (a log file, SLURM, CI):
  exactly one line per epoch and no control characters::

      Epoch 3/20 - 0s - loss: 0.1234 - accuracy: 0.9600 - val_loss: 0.2000 - val_accuracy: 0.9400

* ``verbose=0``: silent.

It writes to ``sys.stdout`` as it is *at call time* (tests and notebooks redirect it).
Metrics appear in the order of the logs; values above 1e-3 in magnitude print as
``%.4f``, smaller ones as ``%.4e`` (so a learning rate of 1e-5 does not print as 0.0000),
as Keras does. The logs are shown as given: the trainer reports running epoch averages.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

from .base import Callback, to_float

__all__ = ["ProgbarLogger", "format_logs"]

_BAR_WIDTH = 30


def _fmt_value(v: Any) -> str:
    f = to_float(v)
    if f is None:
        return str(v)
    if math.isnan(f) or math.isinf(f):
        return str(f)
    return f"{f:.4f}" if abs(f) > 1e-3 else f"{f:.4e}"


def format_logs(logs: dict | None) -> str:
    """`` - loss: 0.1234 - accuracy: 0.9600`` for the scalar entries of ``logs``."""
    parts = []
    for k, v in (logs or {}).items():
        if to_float(v) is None and not isinstance(v, str):
            continue
        parts.append(f" - {k}: {_fmt_value(v)}")
    return "".join(parts)


def _fmt_eta(seconds: float) -> str:
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600}:{(s % 3600) // 60:02d}:{s % 60:02d}"
    if s >= 60:
        return f"{s // 60}:{s % 60:02d}"
    return f"{s}s"


def _fmt_per_step(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


def _interactive() -> bool:
    out = sys.stdout
    try:
        if out.isatty():
            return True
    except (AttributeError, ValueError):
        pass
    return "ipykernel" in sys.modules  # notebooks render \r but report isatty() False


class ProgbarLogger(Callback):
    """Prints progress and metrics to stdout (see the module docstring for the formats).

    Args:
        interval: minimum seconds between two redraws of the live bar (the last step
            of an epoch is always drawn), so fast epochs never flood a notebook.
        count_mode, stateful_metrics: Keras 2 arguments, accepted for old code; steps are
            always counted and the trainer's logs are already running averages.
    """

    def __init__(self, interval: float = 0.05, count_mode: str = "steps",
                 stateful_metrics: Any = None) -> None:
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise InvalidArgumentError(describe("ProgbarLogger", "count_mode",
                                                "'steps' or 'samples'", count_mode))
        self.interval = float(interval)
        self.verbose: int = 1
        self.epochs: int = 1
        self.target: int | None = None
        self._called_in_fit = False
        self._epoch = 0
        self._seen = 0
        self._start = 0.0
        self._last_draw = 0.0
        self._last_len = 0
        self._dynamic = False
        self._mode = "train"

    def set_params(self, params: dict[str, Any]) -> None:
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.epochs = int(params.get("epochs") or 1)
        steps = params.get("steps")
        self.target = None if steps is None else int(steps)

    # ---- hooks --------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._called_in_fit = True  # validation inside fit stays quiet

    def on_train_end(self, logs: dict | None = None) -> None:
        self._called_in_fit = False

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._epoch = epoch
        self._reset("train")
        if self.verbose == 1 and self._dynamic:
            self._write_line(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update(batch + 1, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self._start
        if self._dynamic and self.verbose == 1:
            self._draw_final(logs, elapsed)
        else:
            self._write_line(f"Epoch {epoch + 1}/{self.epochs} - {elapsed:.0f}s"
                             f"{format_logs(logs)}")

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._reset("test")

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._update(batch + 1, logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._finish(logs)

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._reset("predict")

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update(batch + 1, None)  # never print predictions

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._finish(None)

    # ---- drawing ------------------------------------------------------------------------
    def _reset(self, mode: str) -> None:
        self._mode = mode
        self._seen = 0
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._last_len = 0
        self._dynamic = _interactive()

    def _update(self, current: int, logs: dict | None) -> None:
        self._seen = current
        if self.verbose != 1 or not self._dynamic:
            return
        now = time.perf_counter()
        final = self.target is not None and current >= self.target
        if final or now - self._last_draw >= self.interval:
            self._last_draw = now
            self._draw(current, logs, now - self._start)

    def _finish(self, logs: dict | None) -> None:
        if self.verbose == 0:
            return
        elapsed = time.perf_counter() - self._start
        if self._dynamic and self.verbose == 1:
            self._draw_final(logs, elapsed)
        else:
            target = self.target if self.target is not None else self._seen
            self._write_line(f"{target}/{target} - {elapsed:.0f}s{format_logs(logs)}")

    def _bar(self, current: int) -> str:
        if self.target is None:
            return f"{current}/Unknown"
        width = len(str(self.target))
        frac = min(current / self.target, 1.0) if self.target else 1.0
        filled = int(_BAR_WIDTH * frac)
        if filled >= _BAR_WIDTH:
            body = "=" * _BAR_WIDTH
        else:
            body = "=" * filled + ">" + "." * (_BAR_WIDTH - filled - 1)
        return f"{current:>{width}}/{self.target} [{body}]"

    def _draw(self, current: int, logs: dict | None, elapsed: float) -> None:
        info = ""
        if self.target is not None and current < self.target and current > 0:
            eta = elapsed / current * (self.target - current)
            info = f" - ETA: {_fmt_eta(eta)}"
        elif current > 0:
            info = f" - {elapsed:.0f}s {_fmt_per_step(elapsed / current)}"
        self._write_inplace(self._bar(current) + info + format_logs(logs))

    def _draw_final(self, logs: dict | None, elapsed: float) -> None:
        if self.target is None:
            self.target = self._seen
        current = self.target or self._seen
        per_step = f" {_fmt_per_step(elapsed / current)}" if current else ""
        self._write_inplace(f"{self._bar(current)} - {elapsed:.0f}s{per_step}"
                            f"{format_logs(logs)}")
        out = sys.stdout
        out.write("\n")
        out.flush()
        self._last_len = 0

    def _write_inplace(self, line: str) -> None:
        out = sys.stdout
        pad = max(self._last_len - len(line), 0)
        out.write("\r" + line + " " * pad)
        out.flush()
        self._last_len = len(line)

    def _write_line(self, line: str) -> None:
        out = sys.stdout
        out.write(line + "\n")
        out.flush()
