"""Writing a layer of your own, training it, and saving it.

A layer subclasses ``tw.layers.Layer``: ``build`` creates weights with ``add_weight`` from
the input shape, ``call`` computes with ``tw.ops`` (so it runs on every backend and inside
the compiled training step). No registration is needed to train; to load a saved model
that uses it, register it with ``@tw.saving.register_keras_serializable``.

    python examples/custom_layer.py [--epochs N]
"""

from __future__ import annotations

import argparse
import os
import tempfile

import numpy as np

import tensorweave as tw
from tensorweave import layers, ops


@tw.saving.register_keras_serializable(package="examples", name="GatedDense")
class GatedDense(layers.Layer):
    """units outputs, each a linear value times a learned sigmoid gate."""

    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        d = input_shape[-1]
        self.w = self.add_weight((d, self.units), "glorot_uniform", name="w")
        self.g = self.add_weight((d, self.units), "glorot_uniform", name="g")
        self.b = self.add_weight((self.units,), "zeros", name="b")

    def call(self, x):
        return ops.multiply(ops.matmul(x, self.w) + self.b, ops.sigmoid(ops.matmul(x, self.g)))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def main(epochs: int = 15, verbose: int = 0) -> float:
    tw.utils.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = tw.datasets.digits.load_data()
    x_train = x_train.reshape(-1, 64).astype("float32") / 16
    x_test = x_test.reshape(-1, 64).astype("float32") / 16

    model = tw.Sequential([tw.Input((64,)), GatedDense(64), layers.Activation("relu"),
                           layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=verbose)
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    print(f"GatedDense model: test accuracy {acc:.4f}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "gated.tw")
        model.save(path)
        again = tw.models.load_model(path)   # finds GatedDense through its registration
        same = np.allclose(again.predict(x_test[:8], verbose=0),
                           model.predict(x_test[:8], verbose=0), atol=1e-6)
        print("reloaded:", type(again.layers[0]).__name__, "same predictions:", same)
    return acc


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--verbose", type=int, default=2)
    a = p.parse_args()
    main(a.epochs, a.verbose)
