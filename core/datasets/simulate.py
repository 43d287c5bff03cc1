"""Seeded synthetic data sets: ``tw.datasets.simulate.make_*``.

Every generator returns NumPy arrays ``(x, y)`` with ``float32`` features; class labels are
``int32`` (ready for ``sparse_categorical_crossentropy``), regression targets ``float32``.
The same ``seed`` gives the same arrays on every machine (NumPy's ``default_rng``, PCG64);
``seed=None`` draws fresh data each call. Nothing is downloaded.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["make_regression", "make_classification", "make_blobs", "make_spirals",
           "make_sine_sequences", "make_moons", "make_circles"]


def _rng(seed: Any) -> Any:
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise InvalidArgumentError(f"seed must be an int or None, got {seed!r}")
    return np.random.default_rng(seed)


def _positive(where: str, **values: Any) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise InvalidArgumentError(f"{where}: {name} must be a positive int, got {v!r}")


def _nonneg(where: str, **values: Any) -> None:
    for name, v in values.items():
        if not isinstance(v, (int, float)) or v < 0 or v != v:
            raise InvalidArgumentError(f"{where}: {name} must be a number >= 0, got {v!r}")


def make_regression(n_samples: int = 100, n_features: int = 1, noise: float = 0.0,
                    seed: Any = None, *, n_informative: int | None = None,
                    bias: float = 0.0, coef: bool = False) -> Any:
    """A linear target with Gaussian noise: ``y = x @ w + bias + noise * N(0, 1)``.

    ``x`` is ``(n_samples, n_features)`` standard normal; the first ``n_informative``
    features (default: all) get weights drawn uniformly from [1, 10) with a random sign,
    the rest weight 0. Returns ``(x, y)`` with ``y`` of shape ``(n_samples,)``, plus the
    weight vector when ``coef=True``.
    """
    import numpy as np

    _positive("make_regression", n_samples=n_samples, n_features=n_features)
    _nonneg("make_regression", noise=noise)
    k = n_features if n_informative is None else n_informative
    if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k <= n_features:
        raise InvalidArgumentError(f"make_regression: n_informative must be in [0, "
                                   f"{n_features}], got {n_informative!r}")
    rng = _rng(seed)
    x = rng.standard_normal((n_samples, n_features))
    w = np.zeros(n_features)
    w[:k] = rng.uniform(1.0, 10.0, k) * rng.choice([-1.0, 1.0], k)
    y = x @ w + bias
    if noise:
        y = y + noise * rng.standard_normal(n_samples)
    out = (x.astype(np.float32), y.astype(np.float32))
    return out + (w.astype(np.float32),) if coef else out


def make_blobs(n_samples: int = 100, centers: Any = 3, n_features: int = 2,
               cluster_std: Any = 1.0, seed: Any = None, *,
               center_box: tuple[float, float] = (-10.0, 10.0), shuffle: bool = True) -> Any:
    """Isotropic Gaussian blobs, one class per center.

    ``centers`` is a count (centers drawn uniformly in ``center_box``) or an array of
    shape ``(k, n_features)``; ``cluster_std`` one std or one per center. Samples are split
    as evenly as possible over the centers (the first ones get one more). Returns ``x``
    ``(n_samples, n_features)`` and labels ``y`` ``(n_samples,)`` in ``0..k-1``.
    """
    import numpy as np

    _positive("make_blobs", n_samples=n_samples, n_features=n_features)
    rng = _rng(seed)
    if isinstance(centers, int) and not isinstance(centers, bool):
        _positive("make_blobs", centers=centers)
        lo, hi = center_box
        c = rng.uniform(lo, hi, (centers, n_features))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2 or c.shape[1] != n_features:
            raise InvalidArgumentError(f"make_blobs: centers must be an int or an array of "
                                       f"shape (k, {n_features}), got shape {c.shape}")
    k = c.shape[0]
    std = np.asarray(cluster_std, dtype=np.float64)
    if std.ndim == 0:
        std = np.full(k, float(std))
    elif std.shape != (k,):
        raise InvalidArgumentError(f"make_blobs: cluster_std must be one number or {k} "
                                   f"numbers, got {cluster_std!r}")
    if np.any(std < 0):
        raise InvalidArgumentError("make_blobs: cluster_std must be >= 0")
    counts = [n_samples // k + (1 if i < n_samples % k else 0) for i in range(k)]
    x = np.concatenate([c[i] + std[i] * rng.standard_normal((counts[i], n_features))
                        for i in range(k)])
    y = np.repeat(np.arange(k), counts)
    if shuffle:
        order = rng.permutation(n_samples)
        x, y = x[order], y[order]
    return x.astype(np.float32), y.astype(np.int32)


def make_classification(n_samples: int = 100, n_features: int = 20, n_informative: int = 2,
                        n_classes: int = 2, class_sep: float = 1.0, flip_y: float = 0.0,
                        seed: Any = None) -> Any:
    """A classification problem of Gaussian clusters, one per class, on the vertices of a
    hypercube of side ``2 * class_sep`` in the first ``n_informative`` features; the
    other features are pure noise. Classes are balanced; ``flip_y`` is the fraction of
    labels replaced by random ones. Rows are shuffled. Returns ``(x, y)``.
    """
    import numpy as np

    _positive("make_classification", n_samples=n_samples, n_features=n_features,
              n_informative=n_informative, n_classes=n_classes)
    if n_informative > n_features:
        raise InvalidArgumentError(f"make_classification: n_informative ({n_informative}) "
                                   f"must be <= n_features ({n_features})")
    if n_classes > 2 ** n_informative:
        raise InvalidArgumentError(f"make_classification: {n_classes} classes need "
                                   f"n_informative >= {math.ceil(math.log2(n_classes))}")
    if not 0 <= flip_y <= 1:
        raise InvalidArgumentError(f"make_classification: flip_y must be in [0, 1], got "
                                   f"{flip_y!r}")
    rng = _rng(seed)
    vertices = rng.choice(2 ** n_informative, n_classes, replace=False)
    bits = ((vertices[:, None] >> np.arange(n_informative)) & 1).astype(np.float64)
    centroids = (2 * bits - 1) * class_sep
    counts = [n_samples // n_classes + (1 if i < n_samples % n_classes else 0)
              for i in range(n_classes)]
    y = np.repeat(np.arange(n_classes), counts)
    x = rng.standard_normal((n_samples, n_features))
    x[:, :n_informative] += centroids[y]
    if flip_y:
        flip = rng.random(n_samples) < flip_y
        y[flip] = rng.integers(0, n_classes, int(flip.sum()))
    order = rng.permutation(n_samples)
    return x[order].astype(np.float32), y[order].astype(np.int32)


def make_spirals(n_samples: int = 300, n_classes: int = 2, noise: float = 0.2,
                 seed: Any = None, *, turns: float = 1.0) -> Any:
    """Interleaved 2-D spiral arms, one per class (the CS231n toy problem).

    Points of class ``k`` lie at radius ``r`` in (0, 1] and angle
    ``2*pi*(turns*r + k/n_classes)`` plus ``noise * N(0, 1)`` radians, so classes are not
    linearly separable. Returns ``x`` ``(n_samples, 2)`` and ``y`` ``(n_samples,)``.
    """
    import numpy as np

    _positive("make_spirals", n_samples=n_samples, n_classes=n_classes)
    _nonneg("make_spirals", noise=noise)
    rng = _rng(seed)
    counts = [n_samples // n_classes + (1 if i < n_samples % n_classes else 0)
              for i in range(n_classes)]
    xs, ys = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m + 1)[1:]
        theta = 2 * np.pi * (turns * r + k / n_classes) + noise * rng.standard_normal(m)
        xs.append(np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1))
        ys.append(np.full(m, k))
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    order = rng.permutation(n_samples)
    return x[order].astype(np.float32), y[order].astype(np.int32)


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: Any = None) -> Any:
    """Two interleaving half circles (labels 0 and 1) with Gaussian ``noise``."""
    import numpy as np

    _positive("make_moons", n_samples=n_samples)
    _nonneg("make_moons", noise=noise)
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(n_samples)
    return x[order].astype(np.float32), y[order].astype(np.int32)


def make_circles(n_samples: int = 100, noise: float = 0.0, factor: float = 0.8,
                 seed: Any = None) -> Any:
    """A large circle (label 0) around a smaller one (label 1, radius ``factor``)."""
    import numpy as np

    _positive("make_circles", n_samples=n_samples)
    _nonneg("make_circles", noise=noise)
    if not 0 <= factor < 1:
        raise InvalidArgumentError(f"make_circles: factor must be in [0, 1), got {factor!r}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    x = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    order = rng.permutation(n_samples)
    return x[order].astype(np.float32), y[order].astype(np.int32)


def make_sine_sequences(n_samples: int = 1000, length: int = 20, seed: Any = None, *,
                        noise: float = 0.0, horizon: int = 1,
                        frequency: tuple[float, float] = (0.02, 0.1)) -> Any:
    """Windows of sine waves for next-value prediction.

    Sample ``i`` is ``sin(2*pi*f*t + phase)`` at ``t = 0 .. length-1`` (with
    ``noise * N(0, 1)`` added to the inputs only), ``f`` uniform in ``frequency`` (cycles
    per step) and the phase uniform in [0, 2*pi). The target is the clean value
    ``horizon`` steps after the window. Returns ``x`` ``(n_samples, length, 1)`` and ``y``
    ``(n_samples, 1)``, the layout an ``LSTM``/``GRU``/``Conv1D`` model expects.
    """
    import numpy as np

    _positive("make_sine_sequences", n_samples=n_samples, length=length, horizon=horizon)
    _nonneg("make_sine_sequences", noise=noise)
    lo, hi = frequency
    if not 0 < lo <= hi:
        raise InvalidArgumentError(f"make_sine_sequences: frequency must be (low, high) with "
                                   f"0 < low <= high, got {frequency!r}")
    rng = _rng(seed)
    f = rng.uniform(lo, hi, (n_samples, 1))
    phase = rng.uniform(0, 2 * np.pi, (n_samples, 1))
    t = np.arange(length + horizon)[None, :]
    wave = np.sin(2 * np.pi * f * t + phase)
    x = wave[:, :length]
    if noise:
        x = x + noise * rng.standard_normal(x.shape)
    y = wave[:, length + horizon - 1:length + horizon]
    return x[..., None].astype(np.float32), y.astype(np.float32)
