"""The same script on every backend: pick one with one environment variable.

    TENSORWEAVE_BACKEND=numpy  python examples/switch_backends.py
    TENSORWEAVE_BACKEND=python python examples/switch_backends.py   # pure Python, slower
    TENSORWEAVE_BACKEND=cupy   python examples/switch_backends.py   # GPU, when present

Without the variable it also runs the model once per CPU backend in one process with
``tw.backend_scope`` and shows that seeded weights and predictions agree.
"""

from __future__ import annotations

import os

import numpy as np

import tensorweave as tw
from tensorweave import layers


def train_small(steps: int = 5) -> tuple[list, np.ndarray]:
    tw.utils.set_random_seed(0)
    tw.utils.clear_session()
    (x, y), _ = tw.datasets.digits.load_data()
    x = x[:64].reshape(-1, 64).astype("float32") / 16
    y = y[:64]
    model = tw.Sequential([
        tw.Input((64,)),
        layers.Dense(16, activation="relu",
                     kernel_initializer=tw.initializers.GlorotUniform(seed=1)),
        layers.Dense(10, activation="softmax",
                     kernel_initializer=tw.initializers.GlorotUniform(seed=2)),
    ])
    initial = model.get_weights()
    model.compile(tw.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    for _ in range(steps):
        model.train_on_batch(x, y)
    return initial, model.predict(x[:4], verbose=0)


def main() -> dict:
    if os.environ.get("TENSORWEAVE_BACKEND"):
        init, pred = train_small()
        print(f"backend {tw.backend()}: first weight sum {float(init[0].sum()):.6f}, "
              f"predictions {pred.argmax(axis=1)}")
        return {tw.backend(): pred}
    out = {}
    for name in ("numpy", "python"):
        with tw.backend_scope(name):
            init, pred = train_small()
            out[name] = (init, pred)
            print(f"{name:7s} first weight sum {float(init[0].sum()):.6f}  "
                  f"predicted classes {pred.argmax(axis=1)}")
    same_init = all(np.array_equal(a, b) for a, b in zip(out["numpy"][0], out["python"][0]))
    gap = float(np.abs(out["numpy"][1] - out["python"][1]).max())
    print(f"identical initial weights: {same_init}; largest prediction gap after 5 steps: "
          f"{gap:.2e}")
    return out


if __name__ == "__main__":
    main()
