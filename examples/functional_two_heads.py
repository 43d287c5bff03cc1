"""A functional model with two inputs and two outputs.

Digit images go through a small dense tower; a second input carries a "hint" feature.
One head classifies the digit (softmax), the other regresses the mean ink of the image.
Losses, weights and metrics are given per output name.

    python examples/functional_two_heads.py [--epochs N]
"""

from __future__ import annotations

import argparse

import numpy as np

import tensorweave as tw
from tensorweave import layers


def main(epochs: int = 10, verbose: int = 0) -> dict:
    tw.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = tw.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16
    x_test = x_test.reshape(-1, 64).astype("float32") / 16
    hint_train = (y_train % 2).astype("float32")[:, None]   # parity of the digit
    hint_test = (y_test % 2).astype("float32")[:, None]
    ink_train = x_train.mean(axis=1, keepdims=True)
    ink_test = x_test.mean(axis=1, keepdims=True)

    image = tw.Input((64,), name="image")
    hint = tw.Input((1,), name="hint")
    h = layers.Dense(64, activation="relu")(image)
    h = layers.Concatenate()([h, hint])
    digit = layers.Dense(10, activation="softmax", name="digit")(h)
    ink = layers.Dense(1, name="ink")(h)
    model = tw.Model(inputs=[image, hint], outputs=[digit, ink])
    model.summary()

    model.compile(optimizer="adam",
                  loss={"digit": "sparse_categorical_crossentropy", "ink": "mse"},
                  loss_weights={"digit": 1.0, "ink": 10.0},
                  metrics={"digit": ["accuracy"], "ink": ["mae"]})
    history = model.fit({"image": x_train, "hint": hint_train},
                        {"digit": y_train, "ink": ink_train},
                        epochs=epochs, batch_size=32, validation_split=0.1, verbose=verbose)
    print("history keys:", sorted(history.history))
    results = model.evaluate([x_test, hint_test], [y_test, ink_test], verbose=0,
                             return_dict=True)
    print("test:", {k: round(v, 4) for k, v in results.items()})
    probs, ink_pred = model.predict([x_test[:3], hint_test[:3]], verbose=0)
    print("digits:", probs.argmax(axis=1), "true:", y_test[:3],
          "ink:", np.round(ink_pred[:, 0], 3), "true:", np.round(ink_test[:3, 0], 3))
    return results


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--verbose", type=int, default=2)
    a = p.parse_args()
    main(a.epochs, a.verbose)
