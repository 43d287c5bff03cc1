"""``train_test_split`` with scikit-learn's semantics (and its exact draws for a seed)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any

from ..errors import InvalidArgumentError, ShapeError
from .host import to_host

__all__ = ["train_test_split"]


def _as_indexable(a: Any) -> Any:
    import numpy as np

    if a is None:
        return None
    if isinstance(a, list):
        return a
    if hasattr(a, "__cuda_array_interface__") or \
            hasattr(a, "numpy") and not isinstance(a, np.ndarray):
        a = to_host(a)
    if not hasattr(a, "shape"):
        a = np.asarray(a)
    return a


def _length(a: Any) -> int:
    if hasattr(a, "shape"):
        if len(a.shape) == 0:
            raise ShapeError("train_test_split: got a 0-d array; every input needs a first "
                             "(sample) dimension")
        return int(a.shape[0])
    return len(a)


def _take(a: Any, idx: Any) -> Any:
    if isinstance(a, list):
        return [a[int(i)] for i in idx]
    return a[idx]


def _sizes(n: int, test_size: Any, train_size: Any) -> tuple[int, int]:
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, v in (("test_size", test_size), ("train_size", train_size)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (Integral, Real)):
            raise InvalidArgumentError(f"train_test_split: {name} must be a float in (0, 1), "
                                       f"an int or None, got {v!r}")
        if isinstance(v, Integral):
            if v <= 0 or v >= n:
                raise InvalidArgumentError(
                    f"train_test_split: {name}={v} should be a positive int smaller than "
                    f"the number of samples {n}, or a float in (0, 1)")
        elif not 0 < float(v) < 1:
            raise InvalidArgumentError(f"train_test_split: {name}={v} should be a float in "
                                       f"(0, 1), or an int")
    if isinstance(test_size, Real) and not isinstance(test_size, Integral) and \
            isinstance(train_size, Real) and not isinstance(train_size, Integral) and \
            test_size + train_size > 1:
        raise InvalidArgumentError(f"train_test_split: test_size + train_size = "
                                   f"{test_size + train_size} should be <= 1")
    if isinstance(test_size, Integral):
        n_test: float = float(test_size)
    elif test_size is not None:
        n_test = math.ceil(float(test_size) * n)
    if isinstance(train_size, Integral):
        n_train: float = float(train_size)
    elif train_size is not None:
        n_train = math.floor(float(train_size) * n)
    if train_size is None:
        n_train = n - n_test
    elif test_size is None:
        n_test = n - n_train
    if n_train + n_test > n:
        raise InvalidArgumentError(f"train_test_split: train_size ({int(n_train)}) + "
                                   f"test_size ({int(n_test)}) is more than the {n} samples")
    n_train, n_test = int(n_train), int(n_test)
    if n_train == 0:
        raise InvalidArgumentError(f"train_test_split: with {n} samples, test_size="
                                   f"{test_size} and train_size={train_size} the training set "
                                   f"is empty; adjust the sizes")
    return n_train, n_test


def _rng(random_state: Any) -> Any:
    import numpy as np

    if random_state is None or random_state is np.random:
        return np.random.mtrand._rand
    if isinstance(random_state, Integral):
        return np.random.RandomState(int(random_state))
    if isinstance(random_state, np.random.RandomState):
        return random_state
    raise InvalidArgumentError(f"train_test_split: random_state must be None, an int or a "
                               f"numpy.random.RandomState, got {random_state!r}")


def _approximate_mode(class_counts: Any, n_draws: int, rng: Any) -> Any:
    """Per-class counts closest to the class proportions that add up to ``n_draws``
    (ties broken at random), as scikit-learn's ``_approximate_mode``."""
    import numpy as np

    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        values = np.sort(np.unique(remainder))[::-1]
        for value in values:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def _stratified(y: Any, n_train: int, n_test: int, rng: Any) -> tuple[Any, Any]:
    import numpy as np

    y = to_host(y)
    if y.ndim == 2:  # one-hot or multilabel rows: each distinct row is one stratum
        y = np.array([" ".join(row.astype("str")) for row in y])
    classes, y_indices = np.unique(y, return_inverse=True)
    y_indices = y_indices.reshape(-1)
    n_classes = classes.shape[0]
    class_counts = np.bincount(y_indices)
    if np.min(class_counts) < 2:
        raise InvalidArgumentError(
            "train_test_split: the least populated class in `stratify` has only 1 member, "
            "which is too few to put in both sets; remove that class or pass stratify=None")
    if n_train < n_classes:
        raise InvalidArgumentError(f"train_test_split: the training set ({n_train} samples) "
                                   f"must hold at least one of each of the {n_classes} "
                                   f"classes; use a larger train_size")
    if n_test < n_classes:
        raise InvalidArgumentError(f"train_test_split: the test set ({n_test} samples) must "
                                   f"hold at least one of each of the {n_classes} classes; "
                                   f"use a larger test_size")
    class_indices = np.split(np.argsort(y_indices, kind="mergesort"),
                             np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train: list = []
    test: list = []
    for i in range(n_classes):
        permutation = rng.permutation(class_counts[i])
        perm = class_indices[i].take(permutation, mode="clip")
        train.extend(perm[:n_i[i]])
        test.extend(perm[n_i[i]:n_i[i] + t_i[i]])
    return rng.permutation(train), rng.permutation(test)


def train_test_split(*arrays: Any, test_size: float | int | None = None,
                     train_size: float | int | None = None, random_state: Any = None,
                     shuffle: bool = True, stratify: Any = None) -> list:
    """Split arrays into random train and test subsets, as scikit-learn's function.

    Returns ``[a_train, a_test, b_train, b_test, ...]``. ``test_size`` / ``train_size`` are
    fractions in (0, 1) or sample counts; with neither given the test set is 25 % (a
    fractional test size rounds up, a fractional train size down, and an unset one is the
    complement). ``random_state`` (an int) makes the split reproducible, and for the same
    int the split equals scikit-learn's. ``stratify=y`` keeps the class proportions of
    ``y`` in both parts (each class needs at least 2 samples). ``shuffle=False`` takes the
    first samples for training and the next ones for testing. Lists stay lists; tensors
    come back as NumPy arrays.
    """
    import numpy as np

    if not arrays:
        raise InvalidArgumentError("train_test_split: at least one array is required")
    items = [_as_indexable(a) for a in arrays]
    n = _length(items[0])
    for k, a in enumerate(items[1:], start=1):
        if _length(a) != n:
            raise ShapeError(f"train_test_split: all inputs need the same number of samples; "
                             f"input 0 has {n}, input {k} has {_length(a)}")
    if stratify is not None and _length(_as_indexable(stratify)) != n:
        raise ShapeError(f"train_test_split: stratify has {_length(_as_indexable(stratify))} "
                         f"labels for {n} samples")
    n_train, n_test = _sizes(n, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise InvalidArgumentError("train_test_split: stratified splitting needs "
                                       "shuffle=True (or pass stratify=None)")
        train = np.arange(n_train)
        test = np.arange(n_train, n_train + n_test)
    else:
        rng = _rng(random_state)
        if stratify is not None:
            train, test = _stratified(_as_indexable(stratify), n_train, n_test, rng)
        else:
            permutation = rng.permutation(n)
            test = permutation[:n_test]
            train = permutation[n_test:n_test + n_train]
    out: list = []
    for a in items:
        out.extend([_take(a, train), _take(a, test)])
    return out
