"""``pad_sequences``: lists of sequences to one padded 2-D array (Keras semantics)."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["pad_sequences"]


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> Any:
    """Pad (or truncate) each sequence to ``maxlen`` and stack them, as
    ``keras.utils.pad_sequences``.

    ``maxlen`` defaults to the longest sequence. ``padding`` / ``truncating`` are ``"pre"``
    (at the start, the default) or ``"post"`` (at the end); padding positions hold
    ``value``. Elements may themselves be arrays: every non-empty sequence must then have
    the shape of the first non-empty one, which gives the trailing dimensions of the result
    ``(len(sequences), maxlen) + element_shape``. Empty sequences become all ``value``.
    """
    import numpy as np

    if padding not in ("pre", "post"):
        raise InvalidArgumentError(f'pad_sequences: padding type "{padding}" not understood; '
                                   f'use "pre" or "post"')
    if truncating not in ("pre", "post"):
        raise InvalidArgumentError(f'pad_sequences: truncating type "{truncating}" not '
                                   f'understood; use "pre" or "post"')
    if not hasattr(sequences, "__len__"):
        raise InvalidArgumentError("pad_sequences: `sequences` must be a list (or array) of "
                                   f"sequences, got {type(sequences).__name__}")
    num_samples = len(sequences)
    lengths: list[int] = []
    sample_shape: tuple = ()
    found = False
    for i, x in enumerate(sequences):
        try:
            lengths.append(len(x))
        except TypeError:
            raise InvalidArgumentError(
                f"pad_sequences: `sequences` must be a list of iterables; the element at "
                f"position {i} is {x!r}") from None
        if not found and len(x):
            sample_shape = np.asarray(x).shape[1:]
            found = True
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    maxlen = int(maxlen)
    if maxlen < 0:
        raise InvalidArgumentError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    is_str = np.issubdtype(np.dtype(dtype), np.str_) if dtype is not object else False
    if isinstance(value, str) and dtype is not object and not is_str:
        raise InvalidArgumentError(
            f"pad_sequences: dtype {dtype} is not compatible with the string value "
            f"{value!r}; set dtype=object for variable-length strings")
    out = np.full((num_samples, maxlen) + tuple(sample_shape), value, dtype=dtype)
    if maxlen == 0:
        return out
    for idx, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != tuple(sample_shape):
            raise InvalidArgumentError(
                f"pad_sequences: the elements of the sequence at position {idx} have shape "
                f"{trunc.shape[1:]}, expected {tuple(sample_shape)} (the shape in the first "
                f"non-empty sequence)")
        if padding == "post":
            out[idx, :len(trunc)] = trunc
        else:
            out[idx, -len(trunc):] = trunc
    return out
