"""Turning what users pass to ``fit``/``evaluate``/``predict`` into batches.

Accepted: NumPy arrays, tensors, nested lists/tuples/dicts of them, Python generators
yielding ``(x, y)`` or ``(x, y, sample_weight)``, Keras-style ``Sequence``/``PyDataset``
objects (``__len__`` + ``__getitem__``) and ``tw.data.Dataset``. Data stays on the host as
NumPy until a batch is handed to the compiled step.

``validation_split`` takes the *last* fraction of the arrays, before any shuffling (as
Keras documents it); shuffling then permutes the training part each epoch.
"""

from __future__ import annotations

import math
import types
from collections.abc import Iterator
from typing import Any

import numpy as np

from tensorweave.errors import InvalidArgumentError, ShapeError
from tensorweave.graph.tracing import tree_flatten, tree_unflatten
from tensorweave.utils.host import to_host


def to_numpy_tree(data: Any) -> Any:
    """Arrays (and tensors) as NumPy; floats become float32 unless already float16/32."""
    if data is None:
        return None
    leaves, tree = tree_flatten(data)
    out = []
    for x in leaves:
        a = x if type(x) is np.ndarray else to_host(x)
        if type(a) is not np.ndarray and isinstance(a, np.ndarray):
            a = a.view(np.ndarray)  # e.g. a tw.data element: plain arrays take the fast path
        if a.dtype == np.float64:
            a = a.astype(np.float32)
        out.append(a)
    if not leaves and isinstance(data, (list, tuple)) and data and \
            isinstance(data[0], (int, float)):
        return np.asarray(data, dtype=np.float32)
    return tree_unflatten(tree, out)


def num_samples(tree: Any) -> int:
    leaves, _ = tree_flatten(tree)
    if not leaves:
        raise InvalidArgumentError("fit: no input arrays were given")
    n = int(leaves[0].shape[0]) if leaves[0].ndim else 1
    for a in leaves[1:]:
        if a.ndim == 0 or int(a.shape[0]) != n:
            raise ShapeError(f"fit: all arrays must have the same number of samples; got "
                             f"{n} and {a.shape[0] if a.ndim else 'a scalar'}")
    return n


def take(tree: Any, idx: Any) -> Any:
    if tree is None:
        return None
    leaves, t = tree_flatten(tree)
    return tree_unflatten(t, [a[idx] for a in leaves])


def _take(tree: Any, idx: Any) -> Any:
    """:func:`take` without the tree walk for a plain array (the usual case)."""
    if type(tree) is np.ndarray:
        return tree[idx]
    return take(tree, idx)


def is_iterable_source(x: Any) -> bool:
    """Generators, Sequences and Datasets (anything that is not array data)."""
    if x is None or isinstance(x, (np.ndarray, list, tuple, dict)):
        return False
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return False
    return hasattr(x, "__iter__") or hasattr(x, "__getitem__") and hasattr(x, "__len__")


def split_batch(batch: Any) -> tuple[Any, Any, Any]:
    if isinstance(batch, tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch
    return batch, None, None


class ArrayData:
    """In-memory arrays, batched with an optional per-epoch shuffle."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None,
                 batch_size: int | None = 32, shuffle: bool | str = True,
                 class_weight: dict | None = None) -> None:
        self.x = to_numpy_tree(x)
        self.y = to_numpy_tree(y)
        self.n = num_samples(self.x)
        if self.y is not None and num_samples(self.y) != self.n:
            raise ShapeError(f"fit: x has {self.n} samples but y has {num_samples(self.y)}")
        sw = _sample_weights(sample_weight, self.y)
        if class_weight is not None:
            if sw is not None:
                raise InvalidArgumentError("fit: `class_weight` and `sample_weight` cannot "
                                           "be given at the same time (as in Keras)")
            sw = _class_weights(self.y, class_weight, None)
        self.sample_weight = sw
        self.batch_size = batch_size or 32
        self.shuffle = shuffle

    @property
    def steps(self) -> int:
        return max(1, math.ceil(self.n / self.batch_size))

    def batches(self, rng: np.random.Generator | None = None) -> Iterator[tuple]:
        """``(x, y, sample_weight)`` per batch. Unshuffled batches are views (slices) of
        the arrays. Shuffled ones are gathered a chunk of batches at a time (one fancy
        index per chunk of ~4 MiB instead of one per batch) and handed out as views of
        the chunk; the values and the random draws are the same as a per-batch gather."""
        n, bs = self.n, self.batch_size
        x, y, sw = self.x, self.y, self.sample_weight
        if not (self.shuffle and rng is not None):
            for start in range(0, n, bs):
                sl = slice(start, start + bs)
                yield _take(x, sl), _take(y, sl), _take(sw, sl)
            return
        if self.shuffle == "batch":
            order = np.arange(n)
            blocks = [order[i:i + bs] for i in range(0, n, bs)]
            rng.shuffle(blocks)  # type: ignore[arg-type]
            order = np.concatenate(blocks) if blocks else order
        else:
            order = rng.permutation(n)
        chunk = self._chunk_rows()
        for c0 in range(0, n, chunk):
            idx = order[c0:c0 + chunk]
            cx, cy = _take(x, idx), _take(y, idx)
            csw = _take(sw, idx)
            for start in range(0, len(idx), bs):
                sl = slice(start, start + bs)
                yield _take(cx, sl), _take(cy, sl), _take(csw, sl)

    def _chunk_rows(self) -> int:
        """Rows gathered at once when shuffling: a multiple of the batch size, ~4 MiB."""
        row = 0
        for tree in (self.x, self.y, self.sample_weight):
            if tree is not None:
                for a in tree_flatten(tree)[0]:
                    row += a.itemsize * (a.size // max(1, self.n))
        per = max(1, (4 << 20) // max(1, row))
        return max(1, per // self.batch_size) * self.batch_size

    def split(self, fraction: float) -> tuple[ArrayData, ArrayData]:
        if not 0 < fraction < 1:
            raise InvalidArgumentError(f"fit: argument 'validation_split': expected a value "
                                       f"in (0, 1), got {fraction}")
        cut = int(self.n * (1 - fraction))
        if cut == 0 or cut == self.n:
            raise InvalidArgumentError(f"fit: validation_split={fraction} leaves no data on "
                                       f"one side ({self.n} samples)")
        head, tail = slice(0, cut), slice(cut, None)
        sw = self.sample_weight
        train = ArrayData.__new__(ArrayData)
        val = ArrayData.__new__(ArrayData)
        for part, sl in ((train, head), (val, tail)):
            part.x, part.y = take(self.x, sl), take(self.y, sl)
            part.sample_weight = take(sw, sl)
            part.n = num_samples(part.x)
            part.batch_size = self.batch_size
            part.shuffle = self.shuffle
        val.shuffle = False
        return train, val


def _sample_weights(sample_weight: Any, y: Any) -> Any:
    """Sample weights as float32 NumPy, keeping a list/dict of per-output weights (matched
    with the targets' structure, as Keras checks)."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, (list, tuple, dict)) and not (
            isinstance(sample_weight, (list, tuple)) and sample_weight
            and isinstance(sample_weight[0], (int, float))):
        if isinstance(y, dict) != isinstance(sample_weight, dict) or \
                len(tree_flatten(y)[0]) != len(tree_flatten(sample_weight)[0]) or \
                isinstance(y, dict) and set(y) != set(sample_weight):
            raise InvalidArgumentError(
                "fit: argument 'sample_weight': expected one array per output with the "
                f"structure of `y` ({_describe(y)}), got {_describe(sample_weight)}")
        leaves, t = tree_flatten(sample_weight)
        return tree_unflatten(t, [np.asarray(to_host(a), dtype=np.float32) for a in leaves])
    return np.asarray(to_host(sample_weight), dtype=np.float32)


def _describe(tree: Any) -> str:
    if isinstance(tree, dict):
        return f"a dict with keys {sorted(tree)}"
    if isinstance(tree, (list, tuple)):
        return f"a {type(tree).__name__} of {len(tree)}"
    return "a single array" if tree is not None else "None"


def _class_weights(y: Any, class_weight: dict, sw: Any) -> Any:
    """Keras's class_weight_to_sample_weights: one weight per sample from its class (the
    argmax of one-hot targets, else the rounded label); classes not listed weigh 1."""
    leaves, _ = tree_flatten(y)
    if len(leaves) != 1 or isinstance(y, (list, tuple, dict)):
        raise InvalidArgumentError("fit: `class_weight` is only supported for models with a "
                                   "single output (as in Keras); use sample_weight")
    yy = np.asarray(leaves[0])
    labels = np.argmax(yy, axis=-1) if yy.ndim > 1 and yy.shape[-1] > 1 else \
        np.rint(yy.reshape(yy.shape[0], -1)[:, 0]).astype(np.int64)
    uniq, inverse = np.unique(labels.reshape(-1), return_inverse=True)
    table = np.array([class_weight.get(int(c), 1.0) for c in uniq], dtype=np.float32)
    weights = table[inverse.reshape(-1)].reshape(labels.shape)
    return weights if sw is None else sw * weights


class IterableData:
    """Generators, Sequences/PyDatasets and Datasets: batches come ready-made."""

    def __init__(self, source: Any, steps: int | None = None,
                 class_weight: dict | None = None) -> None:
        self.source = source
        self._steps = steps
        self._iter: Iterator | None = None
        self.class_weight = class_weight

    @property
    def steps(self) -> int | None:
        if self._steps is not None:
            return self._steps
        try:
            return len(self.source)
        except TypeError:  # generators, or datasets of unknown length
            return None

    def batches(self, rng: Any = None) -> Iterator[tuple]:
        src = self.source
        steps = self._steps
        if hasattr(src, "__getitem__") and hasattr(src, "__len__") and \
                not hasattr(src, "__next__") and not hasattr(src, "batch"):
            order = list(range(len(src)))
            if getattr(src, "shuffle", False) and rng is not None:
                rng.shuffle(order)
            it: Iterator = (src[i] for i in order)
            if hasattr(src, "on_epoch_end"):
                it = _then(it, src.on_epoch_end)
        elif hasattr(src, "__next__"):
            it = src  # a generator continues across epochs, as in Keras
            if steps is None and hasattr(src, "__len__"):
                steps = len(src)  # an endless iterator with a length (Keras's image iterators)
        elif self._steps is not None:
            # with steps_per_epoch, one iterator runs on across epochs (Keras); a new one
            # starts only when the source is exhausted
            if self._iter is None:
                self._iter = _iter_source(src)
            it = self._iter
        else:
            it = _iter_source(src)
        count = 0
        exhausted = True
        cw = self.class_weight
        for batch in it:
            x, y, sw = split_batch(batch)
            y = to_numpy_tree(y)
            sw = _sample_weights(sw, y)
            if cw is not None and y is not None:
                # Keras's PyDataset/tf.data adapters: class weights become the batch's
                # sample weights
                if sw is not None:
                    raise InvalidArgumentError(
                        "fit: `class_weight` and `sample_weight` cannot be given at the same "
                        "time (the data yields (x, y, sample_weight) batches)")
                sw = _class_weights(y, cw, None)
            yield to_numpy_tree(x), y, sw
            count += 1
            if steps is not None and count >= steps:
                exhausted = False
                break
        if exhausted and it is self._iter:
            self._iter = None


def _iter_source(src: Any) -> Iterator:
    """A fresh iterator; a ``tw.data.Dataset`` gives its raw NumPy elements (not the
    user-facing ones with ``.numpy()``)."""
    raw = getattr(src, "_raw_iter", None)
    return raw() if raw is not None else iter(src)


def _then(it: Iterator, fn: Any) -> Iterator:
    yield from it
    fn()


def adapt(x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
          shuffle: bool | str = True, class_weight: dict | None = None,
          steps: int | None = None) -> ArrayData | IterableData:
    if is_iterable_source(x):
        if y is not None:
            raise InvalidArgumentError("fit: `y` must not be given when `x` is a generator, "
                                       "Sequence or Dataset (it yields (x, y) batches)")
        if sample_weight is not None:
            raise InvalidArgumentError("fit: `sample_weight` must not be given when `x` is a "
                                       "generator, Sequence or Dataset (it yields (x, y, "
                                       "sample_weight) batches)")
        if class_weight is not None and isinstance(x, types.GeneratorType):
            raise InvalidArgumentError("fit: argument 'class_weight' is not supported for "
                                       "Python generator inputs (as in Keras); yield (x, y, "
                                       "sample_weight) batches instead")
        return IterableData(x, steps, class_weight)
    return ArrayData(x, y, sample_weight, batch_size, shuffle, class_weight)
