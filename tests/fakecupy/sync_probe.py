"""Host synchronisations of fit/evaluate/predict reading logs on the fake CuPy (run by
tests/test_cupy_fake.py): prints one JSON object of sync counts for 8 batches of 16."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import types

import cupy
import numpy as np

import tensorweave as tw
from tensorweave import layers


def main() -> None:
    rs = np.random.RandomState(0)
    x = rs.randn(128, 6).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    seen: list = []
    cb = tw.callbacks.LambdaCallback(on_batch_end=lambda b, logs: seen.append(logs["loss"]))
    counts = {}
    quiet = contextlib.redirect_stdout(io.StringIO())
    with tw.backend_scope("cupy"), quiet:
        tw.utils.set_random_seed(0)
        m = tw.Sequential([tw.Input((6,)), layers.Dense(8, activation="relu"),
                           layers.Dense(2, activation="softmax")])
        m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        m.fit(x, y, batch_size=16, epochs=1, verbose=0)  # compiles the steps
        m.evaluate(x, y, batch_size=16, verbose=0)
        m.predict(x, batch_size=16, verbose=0)

        def count(name, fn):
            cupy._fake_reset_counts()
            fn()
            counts[name] = cupy._fake_sync_count()

        count("fit_quiet", lambda: m.fit(x, y, batch_size=16, epochs=2, verbose=0))
        count("fit_batch_end_callback", lambda: m.fit(x, y, batch_size=16, epochs=2,
                                                      verbose=0, callbacks=[cb]))
        sys.modules["ipykernel"] = types.ModuleType("ipykernel")  # a live (notebook) bar
        try:
            count("fit_live_bar", lambda: m.fit(x, y, batch_size=16, epochs=2, verbose=1))
            count("evaluate_live_bar", lambda: m.evaluate(x, y, batch_size=16, verbose=1))
        finally:
            del sys.modules["ipykernel"]
        count("predict", lambda: m.predict(x, batch_size=16, verbose=0))
        count("train_on_batch", lambda: m.train_on_batch(x[:16], y[:16]))
        count("test_on_batch", lambda: m.test_on_batch(x[:16], y[:16]))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
