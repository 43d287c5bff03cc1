"""``tw.ops.conv_transpose`` and the ``Conv*DTranspose`` layers against Keras: every
combination of padding, stride below/equal/above the kernel, dilation and
``output_padding`` (the length and window rule they share, ``ops.nn.convT_pads``)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

import tensorweave as tw


def _combos() -> list[tuple[int, int, int, str, Any]]:
    out = []
    for k, s, d, pad, op in itertools.product((1, 2, 3, 4), (1, 2, 3), (1, 2),
                                              ("valid", "same"), (None, 0, 1, 2)):
        if (op is not None and op >= s) or (d > 1 and s > 1):
            continue  # Keras refuses these (output_padding < stride; dilation with stride)
        out.append((k, s, d, pad, op))
    return out


def test_op_matches_keras_on_every_combination(keras: Any, rng: Any) -> None:
    failures = []
    count = 0
    for nd in (1, 2):
        for k, s, d, pad, op in _combos():
            shape = (2, 5, 3) if nd == 1 else (1, 4, 3, 2)
            x = rng.random(shape).astype("float32")
            w = rng.random((k,) * nd + (2, shape[-1])).astype("float32")
            kw = dict(strides=s, padding=pad, output_padding=op, dilation_rate=d)
            theirs = np.asarray(keras.ops.conv_transpose(x, w, **kw))
            ours = tw.ops.convert_to_numpy(tw.ops.conv_transpose(x, w, **kw))
            count += 1
            if ours.shape != theirs.shape or not np.allclose(ours, theirs, atol=1e-5):
                failures.append(f"{nd}d k={k} s={s} d={d} {pad} op={op}: ours {ours.shape}, "
                                f"Keras {theirs.shape}")
    assert count >= 170  # 88 combinations, in 1-D and 2-D
    assert not failures, "\n".join(failures)


def test_layers_and_op_agree_with_keras_layers(keras: Any, rng: Any, close: Any) -> None:
    x = rng.random((2, 5, 3)).astype("float32")
    for k, s, d, pad, op in _combos()[::5]:
        kw = dict(kernel_size=k, strides=s, padding=pad, output_padding=op, dilation_rate=d)
        theirs = keras.layers.Conv1DTranspose(2, **kw)
        ours = tw.layers.Conv1DTranspose(2, **kw)
        y_t = np.asarray(theirs(x))
        ours.build(x.shape)
        ours.set_weights(theirs.get_weights())
        close(ours(x), y_t, atol=1e-5, what=f"Conv1DTranspose {kw}")
        close(tw.ops.conv_transpose(x, theirs.get_weights()[0], strides=s, padding=pad,
                                    output_padding=op, dilation_rate=d) +
              theirs.get_weights()[1], y_t, atol=1e-5, what=f"op {kw}")
