"""``tw.data``: a small input pipeline (``Dataset``) that ``fit``/``evaluate``/``predict``
accept, in the manner of ``tf.data``.

Elements are host-side NumPy arrays (or nested tuples/dicts of them); the pipeline is
lazy and re-iterable, so each epoch of ``fit`` starts it again. ``prefetch`` fills a
bounded queue from a background thread while the model trains on the previous batch.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import InvalidArgumentError, ShapeError

__all__ = ["Dataset", "AUTOTUNE"]

AUTOTUNE = -1


def _np() -> Any:
    import numpy as np

    return np


def _as_numpy(x: Any) -> Any:
    from ..utils.host import to_host

    np = _np()
    a = to_host(x)
    return a.astype(np.float32) if a.dtype == np.float64 else a


def _map_structure(fn: Callable, tree: Any) -> Any:
    if isinstance(tree, tuple):
        return tuple(_map_structure(fn, t) for t in tree)
    if isinstance(tree, list):
        return [_map_structure(fn, t) for t in tree]
    if isinstance(tree, dict):
        return {k: _map_structure(fn, v) for k, v in tree.items()}
    return fn(tree)


def _leaves(tree: Any) -> list:
    if isinstance(tree, (tuple, list)):
        return [x for t in tree for x in _leaves(t)]
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _leaves(tree[k])]
    return [tree]


def _stack(items: list) -> Any:
    np = _np()
    first = items[0]
    if isinstance(first, tuple):
        return tuple(_stack([it[i] for it in items]) for i in range(len(first)))
    if isinstance(first, list):
        return [_stack([it[i] for it in items]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _stack([it[k] for it in items]) for k in first}
    return np.stack([np.asarray(i) for i in items])


class Dataset:
    """A lazy, re-iterable sequence of elements."""

    def __init__(self, make_iter: Callable[[], Iterator], length: int | None = None) -> None:
        self._make_iter = make_iter
        self._length = length

    # ---- sources -----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(data: Any) -> Dataset:
        """One element per row of the (nested) arrays, as ``tf.data``."""
        arrays = _map_structure(_as_numpy, data)
        leaves = _leaves(arrays)
        if not leaves:
            raise InvalidArgumentError("Dataset.from_tensor_slices: no arrays given")
        n = leaves[0].shape[0] if leaves[0].ndim else None
        if n is None:
            raise ShapeError("Dataset.from_tensor_slices: arrays need a first dimension")
        for a in leaves:
            if a.ndim == 0 or a.shape[0] != n:
                raise ShapeError(f"Dataset.from_tensor_slices: all arrays need {n} rows, got "
                                 f"shape {a.shape}")

        def gen() -> Iterator:
            for i in range(n):
                yield _map_structure(lambda a, i=i: a[i], arrays)

        return Dataset(gen, n)

    @staticmethod
    def from_generator(generator: Callable[[], Iterator], length: int | None = None) -> Dataset:
        return Dataset(lambda: iter(generator()), length)

    @staticmethod
    def range(*args: int) -> Dataset:
        r = range(*args)
        np = _np()
        return Dataset(lambda: (np.asarray(i) for i in r), len(r))

    # ---- transformations ----------------------------------------------------------------------
    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        if batch_size <= 0:
            raise InvalidArgumentError(f"Dataset.batch: batch_size must be positive, got "
                                       f"{batch_size}")
        src = self

        def gen() -> Iterator:
            buf: list = []
            for item in src._make_iter():
                buf.append(item)
                if len(buf) == batch_size:
                    yield _stack(buf)
                    buf = []
            if buf and not drop_remainder:
                yield _stack(buf)

        length = None
        if self._length is not None:
            length = self._length // batch_size if drop_remainder else \
                -(-self._length // batch_size)
        return Dataset(gen, length)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Dataset:
        """Shuffle through a buffer of ``buffer_size`` elements (``tf.data`` semantics)."""
        np = _np()
        src = self
        state = {"epoch": 0}

        # unseeded: draw from NumPy's global generator (tw.utils.set_random_seed seeds it)
        base = seed if seed is not None else int(np.random.randint(0, 2**31 - 1))

        def gen() -> Iterator:
            rng = np.random.default_rng([int(base) % (2**63),
                                         state["epoch"] if reshuffle_each_iteration else 0])
            state["epoch"] += 1
            buf: list = []
            for item in src._make_iter():
                if len(buf) < buffer_size:
                    buf.append(item)
                    continue
                j = int(rng.integers(len(buf)))
                yield buf[j]
                buf[j] = item
            while buf:
                j = int(rng.integers(len(buf)))
                yield buf.pop(j)

        return Dataset(gen, self._length)

    def map(self, fn: Callable, num_parallel_calls: int | None = None) -> Dataset:
        src = self

        def gen() -> Iterator:
            for item in src._make_iter():
                yield fn(*item) if isinstance(item, tuple) else fn(item)

        return Dataset(gen, self._length)

    def filter(self, predicate: Callable) -> Dataset:
        src = self

        def gen() -> Iterator:
            for item in src._make_iter():
                if bool(predicate(*item) if isinstance(item, tuple) else predicate(item)):
                    yield item

        return Dataset(gen, None)

    def repeat(self, count: int | None = None) -> Dataset:
        src = self

        def gen() -> Iterator:
            k = 0
            while count is None or k < count:
                yield from src._make_iter()
                k += 1

        length = None if count is None or self._length is None else self._length * count
        return Dataset(gen, length)

    def take(self, count: int) -> Dataset:
        src = self

        def gen() -> Iterator:
            if count <= 0:
                return
            for i, item in enumerate(src._make_iter()):
                yield item
                if i + 1 >= count:
                    return

        length = count if self._length is None else min(count, self._length)
        return Dataset(gen, length)

    def skip(self, count: int) -> Dataset:
        src = self

        def gen() -> Iterator:
            for i, item in enumerate(src._make_iter()):
                if i >= count:
                    yield item

        return Dataset(gen, None if self._length is None else max(0, self._length - count))

    def prefetch(self, buffer_size: int = 1) -> Dataset:
        """Produce up to ``buffer_size`` elements ahead in a background thread."""
        size = 2 if buffer_size in (None, AUTOTUNE) or buffer_size < 1 else buffer_size
        src = self

        def gen() -> Iterator:
            q: queue.Queue = queue.Queue(maxsize=size)
            done = object()
            stop = threading.Event()

            def put(obj: Any) -> bool:
                """Hand one item over unless the consumer has gone (never blocks forever)."""
                while not stop.is_set():
                    try:
                        q.put(obj, timeout=0.1)
                        return True
                    except queue.Full:
                        continue
                return False

            def worker() -> None:
                try:
                    for item in src._make_iter():
                        if not put(item):
                            return
                    put(done)
                except BaseException as exc:  # surface errors in the consumer
                    put(_Failure(exc))

            t = threading.Thread(target=worker, daemon=True, name="tw-prefetch")
            t.start()
            try:
                while True:
                    item = q.get()
                    if item is done:
                        return
                    if isinstance(item, _Failure):
                        raise item.exc
                    yield item
            finally:
                stop.set()

        return Dataset(gen, self._length)

    def cache(self) -> Dataset:
        src = self
        store: list = []
        state = {"full": False}

        def gen() -> Iterator:
            if state["full"]:
                yield from store
                return
            store.clear()
            for item in src._make_iter():
                store.append(item)
                yield item
            state["full"] = True

        return Dataset(gen, self._length)

    # ---- iteration -------------------------------------------------------------------------
    def __iter__(self) -> Iterator:
        """Elements as arrays with ``.numpy()`` (what ``tf.data`` tutorials call on them:
        ``for x, y in ds.take(1): x.numpy()``)."""
        for item in self._make_iter():
            yield _map_structure(_element, item)

    def _raw_iter(self) -> Iterator:
        """The plain NumPy elements (what ``fit`` and the transformations consume)."""
        return self._make_iter()

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("the length of this Dataset is unknown")
        return self._length

    def cardinality(self) -> int:
        return -2 if self._length is None else self._length

    def as_numpy_iterator(self) -> Iterator:
        return self._make_iter()


_ELEMENT_CLASS: Any = None


def _element(a: Any) -> Any:
    """A view of ``a`` whose type adds ``numpy()`` (a ``tf.Tensor``'s host copy)."""
    global _ELEMENT_CLASS
    if _ELEMENT_CLASS is None:
        np = _np()

        class EagerArray(np.ndarray):
            """A dataset element: a NumPy array that also answers ``.numpy()``."""

            def numpy(self) -> Any:
                return np.asarray(self).view(np.ndarray)

        _ELEMENT_CLASS = EagerArray
    return _np().asarray(a).view(_ELEMENT_CLASS)


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
