"""A small convolutional network on the bundled 8x8 digits: >= 98% test accuracy.

Conv2D(32, 3x3, same) -> max-pool -> Conv2D(64, 3x3, same) -> max-pool -> Flatten ->
Dense(10, softmax), trained with Adam under a cosine learning-rate decay (batch 32), on
images scaled to [0, 1]. The decay lets the last epochs settle, so the final accuracy does
not jitter with the seed: 0.986-0.994 on seeds 0-5 with the default 20 epochs, against
0.972-0.981 for the MLP of ``quickstart.py``. Runs on the default backend (numpy).

    python examples/cnn_digits.py             # 20 epochs (a few seconds on 2 cores)
    python examples/cnn_digits.py --epochs 5  # quicker (and less accurate)
"""

from __future__ import annotations

import argparse
import math

import tensorweave as tw
from tensorweave import layers


def build_model() -> tw.Sequential:
    return tw.Sequential([
        tw.Input((8, 8, 1)),
        layers.Conv2D(32, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),                                     # 8x8 -> 4x4
        layers.Conv2D(64, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(),                                     # 4x4 -> 2x2
        layers.Flatten(),                                          # 2*2*64 = 256
        layers.Dense(10, activation="softmax"),
    ])


def load_digits() -> tuple:
    """The bundled split (1438 train, 359 test) as (N, 8, 8, 1) float32 in [0, 1]."""
    (x_train, y_train), (x_test, y_test) = tw.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 8, 8, 1).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 8, 8, 1).astype("float32") / 16.0
    return (x_train, y_train), (x_test, y_test)


def main(epochs: int = 20, verbose: int = 1, seed: int = 0, batch_size: int = 32) -> float:
    tw.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = build_model()
    if verbose:
        model.summary()
    steps = math.ceil(len(x_train) / batch_size) * max(1, epochs)
    schedule = tw.optimizers.schedules.CosineDecay(3e-3, decay_steps=steps)
    model.compile(optimizer=tw.optimizers.Adam(learning_rate=schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}  test accuracy {acc:.4f}  ({epochs} epochs, seed {seed}, "
          f"backend: {tw.backend()})")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(args.epochs, args.verbose, args.seed)
