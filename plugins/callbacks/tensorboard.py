"""``TensorBoard``: training logs that TensorBoard reads, without TensorFlow.

The event files are written by **tensorboardX** (the optional extra
``pip install 'tensorweave[tensorboard]'``; it needs only numpy and protobuf). View them
with ``tensorboard --logdir LOG_DIR`` (the ``tensorboard`` package, no TensorFlow needed).

Layout (as Keras 3's callback, so dashboards and scripts carry over):

* ``LOG_DIR/train``: ``epoch_<key>`` for every training log key (``epoch_loss``,
  ``epoch_accuracy``, ``epoch_learning_rate`` …) at step ``epoch`` (0-based), and, with
  ``update_freq="batch"`` or an integer N, ``batch_<key>`` every (N) batch(es) at the
  global batch count (the optimizer's ``iterations``, so resumed runs continue it);
* ``LOG_DIR/validation``: ``epoch_<key>`` for every ``val_<key>`` log (the ``val_``
  prefix dropped, so TensorBoard overlays the two runs on one chart);
* the model, with ``write_graph``: TensorBoard's graph tab needs a TensorFlow or PyTorch
  graph, which a tensorweave model is not, so the layer graph is written as **text**
  summaries under the TEXT tab: ``model/summary`` (``model.summary()``) and
  ``model/graph_dot`` (Graphviz DOT of the layers, as ``tw.utils.model_to_dot``; paste it
  into any DOT viewer);
* weight histograms, every ``histogram_freq`` epochs: one per model variable, tagged by
  its path (``dense/kernel``), at step ``epoch``.

Not supported (an error if asked for, never silently ignored): ``write_images``,
``profile_batch`` and the embeddings projector (they need TensorFlow).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

from tensorweave.errors import InvalidArgumentError, describe

from .base import Callback, to_float

__all__ = ["TensorBoard"]

# tensorboardX names event files by the second: two writers opened in the same second
# (two short fits into one log_dir) would overwrite each other without a unique suffix
_file_counter = itertools.count()


def _summary_writer() -> Any:
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        from tensorweave.utils.plotting import OptionalDependencyError

        raise OptionalDependencyError(
            "the TensorBoard callback needs tensorboardX, which is not installed: pip install "
            "'tensorweave[tensorboard]' (or pip install tensorboardX)") from None
    return SummaryWriter


class TensorBoard(Callback):
    """Write TensorBoard event files during ``fit`` (Keras 3 API).

    Args:
        log_dir: the folder of the run (``train/`` and ``validation/`` go inside).
        histogram_freq: write weight histograms every that many epochs (0: never).
        write_graph: write the model summary and layer graph as text summaries.
        update_freq: ``"epoch"``; ``"batch"`` or an integer N also writes training logs
            every (N) batch(es).
    """

    def __init__(self, log_dir: Any = "logs", histogram_freq: int = 0,
                 write_graph: bool = True, write_images: bool = False,
                 write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: Any = 0, embeddings_freq: int = 0,
                 embeddings_metadata: Any = None) -> None:
        super().__init__()
        try:
            self.log_dir = os.fsdecode(os.fspath(log_dir))
        except TypeError:
            raise InvalidArgumentError(describe("TensorBoard", "log_dir", "a folder path",
                                                log_dir)) from None
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or \
                histogram_freq < 0:
            raise InvalidArgumentError(describe("TensorBoard", "histogram_freq",
                                                "an integer >= 0 (epochs)", histogram_freq))
        if update_freq not in ("epoch", "batch") and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int)
                or update_freq < 1):
            raise InvalidArgumentError(describe("TensorBoard", "update_freq",
                                                "'epoch', 'batch' or a positive integer",
                                                update_freq))
        for name, value in (("write_images", write_images), ("profile_batch", profile_batch),
                            ("embeddings_freq", embeddings_freq),
                            ("embeddings_metadata", embeddings_metadata)):
            if value not in (0, False, None, (0, 0), [0, 0]):
                raise InvalidArgumentError(describe(
                    "TensorBoard", name, "its off value: images, the profiler and the "
                    "embeddings projector need TensorFlow and are not supported", value))
        self.histogram_freq = histogram_freq
        self.write_graph = bool(write_graph)
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self._writer_cls = _summary_writer()  # fail now, not at the end of epoch 1
        self._train: Any = None
        self._val: Any = None
        self._global_batch = 0
        self._epoch_start: float | None = None
        self._batches_in_epoch = 0

    # ---- writers -----------------------------------------------------------------------
    def _open(self) -> None:
        suffix = f".{os.getpid()}.{next(_file_counter):05d}.v2"
        if self._train is None:
            self._train = self._writer_cls(logdir=os.path.join(self.log_dir, "train"),
                                           filename_suffix=suffix)
        if self._val is None:
            self._val = self._writer_cls(logdir=os.path.join(self.log_dir, "validation"),
                                         filename_suffix=suffix)

    def _close(self) -> None:
        for w in (self._train, self._val):
            if w is not None:
                w.flush()
                w.close()
        self._train = self._val = None

    # ---- hooks -------------------------------------------------------------------------
    def on_train_begin(self, logs: dict | None = None) -> None:
        self._open()
        # batch steps continue from the optimizer's update count, so a resumed run (or a
        # second fit) does not write steps that go backwards
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        try:
            self._global_batch = int(iterations.numpy()) if iterations is not None else 0
        except (AttributeError, TypeError, ValueError):
            self._global_batch = 0
        if self.write_graph and self.model is not None:
            self._write_model_text()

    def _write_model_text(self) -> None:
        lines: list[str] = []
        try:
            self.model.summary(print_fn=lines.append)
            summary = "\n".join(lines)
        except Exception as exc:  # noqa: BLE001 - a summary is best effort, never fatal
            summary = f"(no summary: {type(exc).__name__}: {exc})"
        try:
            from tensorweave.utils.plotting import model_to_dot

            dot = model_to_dot(self.model, show_shapes=True)
        except Exception as exc:  # noqa: BLE001
            dot = f"(no layer graph: {type(exc).__name__}: {exc})"
        self._train.add_text("model/summary", _code_block(summary), 0)
        self._train.add_text("model/graph_dot", _code_block(dot), 0)
        self._train.flush()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        import time

        self._epoch_start = time.perf_counter()
        self._batches_in_epoch = 0

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._global_batch += 1
        self._batches_in_epoch += 1
        if self.update_freq == "epoch" or self._train is None:
            return
        if self._global_batch % self.update_freq == 0:
            for key, value in (logs or {}).items():
                f = to_float(value)
                if f is not None:
                    self._train.add_scalar(f"batch_{key}", f, self._global_batch)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        import time

        if self._train is None:  # used outside fit's on_train_begin
            self._open()
        logs = logs or {}
        for key, value in logs.items():
            f = to_float(value)
            if f is None:
                continue
            if key.startswith("val_"):
                self._val.add_scalar(f"epoch_{key[4:]}", f, epoch)
            else:
                self._train.add_scalar(f"epoch_{key}", f, epoch)
        if "learning_rate" not in logs and "lr" not in logs:
            lr = to_float(getattr(getattr(self.model, "optimizer", None), "learning_rate",
                                  None))
            if lr is not None:
                self._train.add_scalar("epoch_learning_rate", lr, epoch)
        if self.write_steps_per_second and self._epoch_start is not None:
            elapsed = time.perf_counter() - self._epoch_start
            if elapsed > 0:
                self._train.add_scalar("epoch_steps_per_second",
                                       self._batches_in_epoch / elapsed, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        self._train.flush()
        self._val.flush()

    def _write_histograms(self, epoch: int) -> None:
        import numpy as np

        seen: set[str] = set()
        for w in getattr(self.model, "weights", []):
            tag = str(getattr(w, "path", None) or w.name).replace(":", "_")
            base, n = tag, 1
            while tag in seen:  # two variables of one path: keep both
                n += 1
                tag = f"{base}_{n}"
            seen.add(tag)
            values = np.asarray(w.numpy(), dtype=np.float64)
            if values.size:
                self._train.add_histogram(tag, values, epoch)

    def on_train_end(self, logs: dict | None = None) -> None:
        self._close()


def _code_block(text: str) -> str:
    """Markdown that TensorBoard's text tab shows verbatim (4-space indented)."""
    return "\n".join("    " + line for line in text.splitlines())
