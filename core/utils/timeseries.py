"""``timeseries_dataset_from_array`` and ``split_dataset``: Keras's dataset helpers, built
on ``tw.data.Dataset`` (NumPy on the host; no TensorFlow)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["timeseries_dataset_from_array", "split_dataset"]


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int,
                                  sequence_stride: int = 1, sampling_rate: int = 1,
                                  batch_size: int | None = 128, shuffle: bool = False,
                                  seed: int | None = None, start_index: int | None = None,
                                  end_index: int | None = None, format: str = "tf") -> Any:  # noqa: A002
    """Sliding windows over ``data`` as a ``tw.data.Dataset`` of ``(batch of windows,
    batch of targets)`` (or windows only when ``targets`` is None), with Keras's
    semantics: window ``i`` starts at ``start_index + p_i`` with ``p_i`` stepping by
    ``sequence_stride``, takes every ``sampling_rate``-th step for ``sequence_length``
    steps, and its target is ``targets[start_index + p_i]``. ``shuffle`` permutes the
    windows with ``np.random.RandomState(seed)``. ``format`` ("tf" or "grain") picks
    Keras's backing library; here both give a ``tw.data.Dataset``."""
    import numpy as np

    from ..data import Dataset

    what = "timeseries_dataset_from_array"
    if format not in ("tf", "grain"):
        raise InvalidArgumentError(f"{what}: argument 'format': expected 'tf' or 'grain', "
                                   f"got {format!r}")
    n = len(data)
    if start_index:
        if start_index < 0 or start_index >= n:
            raise InvalidArgumentError(f"{what}: argument 'start_index': expected a value in "
                                       f"[0, {n}), got {start_index}")
    if end_index:
        if start_index and end_index <= start_index:
            raise InvalidArgumentError(f"{what}: argument 'end_index': expected a value above "
                                       f"start_index={start_index}, got {end_index}")
        if end_index >= n or end_index <= 0:
            raise InvalidArgumentError(f"{what}: argument 'end_index': expected a value in "
                                       f"(0, {n}), got {end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0 or value >= n:
            raise InvalidArgumentError(f"{what}: argument '{name}': expected a value in "
                                       f"(0, {n}), got {value}")
    start = start_index or 0
    end = end_index if end_index is not None else n
    num_seqs = end - start - (sequence_length - 1) * sampling_rate
    if targets is not None:
        num_seqs = min(num_seqs, len(targets))
    positions = np.arange(0, max(num_seqs, 0), sequence_stride)
    if shuffle:
        rng = np.random.RandomState(np.random.randint(1e6) if seed is None else seed)
        rng.shuffle(positions)
    window = np.arange(0, sequence_length * sampling_rate, sampling_rate)
    values = np.asarray(data)[start:end]
    target_values = None if targets is None else np.asarray(targets)[start:]

    def gen() -> Any:
        for p in positions:
            seq = values[p + window]
            yield seq if target_values is None else (seq, target_values[p])

    ds = Dataset(gen, len(positions))
    return ds.batch(batch_size) if batch_size is not None else ds


def split_dataset(dataset: Any, left_size: Any = None, right_size: Any = None,
                  shuffle: bool = False, seed: int | None = None,
                  preferred_backend: str | None = None) -> tuple:
    """Split samples (an array, a tuple/dict of arrays, or an unbatched ``tw.data.Dataset``)
    into two ``tw.data.Dataset``: sizes as counts (int) or fractions (float, rounded as
    Keras does), one side given or both. ``shuffle`` permutes the samples first with
    Python's ``random`` seeded by ``seed`` (Keras's order)."""
    import random

    from ..data import Dataset, _map_structure

    what = "split_dataset"
    if left_size is None and right_size is None:
        raise InvalidArgumentError(f"{what}: at least one of 'left_size' or 'right_size' must "
                                   "be given")
    if isinstance(dataset, Dataset):
        samples = list(dataset._raw_iter())
    else:
        import numpy as np

        arrays = _map_structure(np.asarray, dataset)
        leaves = _flat(arrays)
        if not leaves:
            raise InvalidArgumentError(f"{what}: argument 'dataset': no arrays given")
        n = len(leaves[0])
        samples = [_map_structure(lambda a, i=i: a[i], arrays) for i in range(n)]
    if shuffle:
        rng = random.Random(random.randint(0, int(1e6)) if seed is None else seed)
        rng.shuffle(samples)
    total = len(samples)
    left, right = _split_sizes(left_size, right_size, total)
    return _from_samples(samples[:left]), _from_samples(samples[left:left + right])


def _flat(tree: Any) -> list:
    if isinstance(tree, (list, tuple)):
        return [x for t in tree for x in _flat(t)]
    if isinstance(tree, dict):
        return [x for k in sorted(tree) for x in _flat(tree[k])]
    return [tree]


def _split_sizes(left: Any, right: Any, total: int) -> tuple[int, int]:
    what = "split_dataset"
    for name, v in (("left_size", left), ("right_size", right)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise InvalidArgumentError(f"{what}: argument '{name}': expected an int or a float, "
                                       f"got {type(v).__name__}")
        if isinstance(v, float) and not 0 < v < 1:
            raise InvalidArgumentError(f"{what}: argument '{name}': a fraction must be in "
                                       f"(0, 1), got {v}")
        if isinstance(v, int) and not 0 < v <= total:
            raise InvalidArgumentError(f"{what}: argument '{name}': expected a count in "
                                       f"(0, {total}], got {v}")
    if isinstance(left, float) and isinstance(right, float) and left + right > 1:
        raise InvalidArgumentError(f"{what}: left_size + right_size is greater than 1")
    lv = round(left * total) if isinstance(left, float) else left
    rv = round(right * total) if isinstance(right, float) else right
    if lv is None:
        lv = total - rv
    elif rv is None:
        rv = total - lv
    if lv + rv > total:
        raise InvalidArgumentError(f"{what}: left_size + right_size = {lv + rv} exceeds the "
                                   f"{total} samples")
    if lv == 0 or rv == 0:
        raise InvalidArgumentError(f"{what}: one side would be empty (left {lv}, right {rv})")
    return int(lv), int(rv)


def _from_samples(samples: list) -> Any:
    from ..data import Dataset

    return Dataset(lambda: iter(samples), len(samples))
