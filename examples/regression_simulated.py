"""Regression on simulated data: make a data set, split it, fit, evaluate, predict.

The data is y = x @ w + noise from ``tw.datasets.simulate.make_regression`` (seeded), split
with ``tw.utils.train_test_split``; the model is a small MLP trained with mean squared
error, and the script compares it with the best possible error (the noise level).

    python examples/regression_simulated.py [--epochs N]
"""

from __future__ import annotations

import argparse

import numpy as np

import tensorweave as tw
from tensorweave import layers


def main(epochs: int = 40, verbose: int = 0) -> float:
    tw.utils.set_random_seed(0)
    x, y = tw.datasets.simulate.make_regression(n_samples=1000, n_features=8, noise=0.1,
                                                seed=0)
    y = y.reshape(-1, 1)
    scale = float(np.std(y))
    y = y / scale
    x_train, x_test, y_train, y_test = tw.utils.train_test_split(x, y, test_size=0.2,
                                                                 random_state=0)
    model = tw.Sequential([tw.Input((8,)), layers.Dense(32, activation="relu"),
                           layers.Dense(1)])
    model.compile(optimizer=tw.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.1,
                        verbose=verbose)
    mse, mae = model.evaluate(x_test, y_test, verbose=0)
    noise_floor = (0.1 / scale) ** 2
    print(f"train loss {history.history['loss'][0]:.4f} -> {history.history['loss'][-1]:.4f}")
    print(f"test mse {mse:.5f} (noise floor {noise_floor:.5f}), test mae {mae:.4f}")
    pred = model.predict(x_test[:3], verbose=0)[:, 0]
    print("predicted:", np.round(pred * scale, 2), "true:", np.round(y_test[:3, 0] * scale, 2))
    return mse


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--verbose", type=int, default=2)
    a = p.parse_args()
    main(a.epochs, a.verbose)
