"""The main job: train an MLP on the bundled 8x8 digits and report test accuracy.

The seven steps of every Keras tutorial: make a data set, build a model, compile, fit,
watch the history, evaluate, predict. Runs on the default backend (numpy); set
TENSORWEAVE_BACKEND=python (slow) or cupy to run the same script elsewhere.

    python examples/quickstart.py            # 30 epochs (~ seconds on 2 cores)
    python examples/quickstart.py --epochs 3 # quicker
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import tensorweave as tw
from tensorweave import layers


def main(epochs: int = 30, verbose: int = 1) -> float:
    tw.utils.set_random_seed(0)

    # 1. data: load, scale to [0, 1], flatten 8x8 -> 64
    (x_train, y_train), (x_test, y_test) = tw.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16.0
    x_test = x_test.reshape(-1, 64).astype("float32") / 16.0

    # 2. model
    model = tw.Sequential([
        tw.Input((64,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    model.summary()

    # 3. compile
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    # 4. fit (5. the history holds loss/accuracy per epoch, train and validation)
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32,
                        validation_split=0.1, verbose=verbose)
    last = {k: round(v[-1], 4) for k, v in history.history.items()}
    print(f"last epoch: {last}")

    # 6. evaluate
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}  test accuracy {acc:.4f}  (backend: {tw.backend()})")

    # 7. predict, and the saved model predicts the same
    probs = model.predict(x_test[:5])
    print("predicted:", probs.argmax(axis=1), "true:", y_test[:5])
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "digits.tw")
        model.save(path)
        again = tw.models.load_model(path)
        assert np.allclose(again.predict(x_test[:5]), probs, atol=1e-6)
        print(f"saved to and reloaded from a {os.path.getsize(path):,}-byte file: same predictions")
    return acc


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args()
    main(args.epochs, args.verbose)
