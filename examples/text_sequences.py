"""Text-style sequences: padding with masks, a bidirectional LSTM, and a self-attention
block, on simulated reviews (no download).

Each "review" is 5-30 word ids; ids 3-12 are positive words, 13-22 negative ones, the
rest neutral; the label says whether positive words outnumber negative ones. Reviews are
pre-padded with 0 to one length (``pad_sequences``), and ``Embedding(mask_zero=True)``
marks the padding so the LSTM skips it, pooling averages real words only and attention
never looks at padding.

    python examples/text_sequences.py [--epochs N]
"""

from __future__ import annotations

import argparse

import numpy as np

import tensorweave as tw
from tensorweave import layers

VOCAB, MAXLEN = 50, 32


def make_reviews(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reviews, labels = [], []
    for _ in range(n):
        words = rng.integers(3, VOCAB, rng.integers(5, 31)).tolist()
        pos = sum(3 <= w <= 12 for w in words)
        neg = sum(13 <= w <= 22 for w in words)
        if pos == neg:  # no ties: add one more word of a random side
            words.append(int(rng.integers(3, 13) if rng.random() < 0.5 else
                             rng.integers(13, 23)))
            pos, neg = pos + (words[-1] <= 12), neg + (words[-1] > 12)
        reviews.append(words)
        labels.append(int(pos > neg))
    return tw.utils.pad_sequences(reviews, maxlen=MAXLEN), np.array(labels)


def lstm_model() -> tw.Model:
    return tw.Sequential([
        tw.Input((MAXLEN,), dtype="int32"),
        layers.Embedding(VOCAB, 16, mask_zero=True),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(1, activation="sigmoid"),
    ])


def attention_model() -> tw.Model:
    inp = tw.Input((MAXLEN,), dtype="int32")
    h = layers.Embedding(VOCAB, 32, mask_zero=True)(inp)
    att = layers.MultiHeadAttention(num_heads=2, key_dim=16)(h, h)
    h = layers.LayerNormalization()(layers.Add()([h, att]))
    h = layers.GlobalAveragePooling1D()(h)  # the mean over real words only
    return tw.Model(inp, layers.Dense(1, activation="sigmoid")(h))


def main(epochs: int = 12, verbose: int = 0) -> dict[str, float]:
    tw.utils.set_random_seed(0)
    x_train, y_train = make_reviews(1200, seed=0)
    x_test, y_test = make_reviews(300, seed=1)
    results = {}
    for name, build in (("bidirectional LSTM", lstm_model),
                        ("self-attention", attention_model)):
        model = build()
        model.compile(optimizer=tw.optimizers.Adam(0.01), loss="binary_crossentropy",
                      metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=verbose)
        _, acc = model.evaluate(x_test, y_test, verbose=0)
        print(f"{name:>20}: test accuracy {acc:.3f} ({model.count_params()} parameters)")
        results[name] = acc
    return results


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--verbose", type=int, default=2)
    a = p.parse_args()
    main(a.epochs, a.verbose)
