"""``audio_dataset_from_directory``: Keras's WAV-folder loader on ``tw.data.Dataset``,
decoding with the standard library's ``wave`` module (no TensorFlow)."""

from __future__ import annotations

import os
from typing import Any

from ..errors import InvalidArgumentError
from .text_dataset import check_split, index_directory, split_and_encode

__all__ = ["audio_dataset_from_directory", "read_wav"]

_WHERE = "audio_dataset_from_directory"


def read_wav(path: str, desired_samples: int = -1, sampling_rate: int | None = None) -> Any:
    """A PCM WAV file as float32 ``(samples, channels)`` in [-1, 1), as
    ``tf.audio.decode_wav``: 16-bit samples / 32768 (8-bit: (x - 128) / 128, 24/32-bit by
    their full scale); ``desired_samples`` >= 0 truncates or zero-pads to that length."""
    import wave

    import numpy as np

    try:
        with wave.open(path, "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        raise InvalidArgumentError(f"{_WHERE}: {path}: not a PCM WAV file ({exc})") from None
    if sampling_rate is not None and rate != sampling_rate:
        raise InvalidArgumentError(f"{_WHERE}: {path} is sampled at {rate} Hz, not "
                                   f"sampling_rate={sampling_rate}; resampling is not "
                                   "supported (Keras needs tensorflow-io for it)")
    if width == 1:
        audio = (np.frombuffer(frames, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        audio = np.frombuffer(frames, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        raw = np.frombuffer(frames, np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        audio = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        audio = (np.frombuffer(frames, "<i4").astype(np.float64) / float(1 << 31)) \
            .astype(np.float32)
    else:
        raise InvalidArgumentError(f"{_WHERE}: {path}: {8 * width}-bit samples are not "
                                   "supported")
    audio = audio.reshape(-1, channels)
    if desired_samples >= 0:
        if len(audio) >= desired_samples:
            audio = audio[:desired_samples]
        else:
            pad = np.zeros((desired_samples - len(audio), channels), np.float32)
            audio = np.concatenate([audio, pad])
    return audio


def audio_dataset_from_directory(directory: Any, labels: Any = "inferred",
                                 label_mode: str | None = "int", class_names: Any = None,
                                 batch_size: int | None = 32, sampling_rate: int | None = None,
                                 output_sequence_length: int | None = None,
                                 ragged: bool = False, shuffle: bool = True,
                                 seed: int | None = None, validation_split: float | None = None,
                                 subset: str | None = None, follow_links: bool = False,
                                 verbose: bool = True) -> Any:
    """A ``tw.data.Dataset`` of ``(audio, labels)`` batches from ``.wav`` files in one
    sub-folder per class, as Keras's loader: audio float32 ``(batch, samples,
    channels)``, each file cut or zero-padded to ``output_sequence_length``, or (None) a
    batch zero-padded to its longest file (``padded_batch``). Labels, shuffling and the
    validation split as :func:`~tensorweave.utils.text_dataset_from_directory`.
    ``sampling_rate`` must be None or the files' rate (no resampling); ``ragged=True``
    is refused (tensorweave has no ragged tensors)."""

    from ..data import Dataset

    if label_mode not in ("int", "categorical", "binary", None):
        raise InvalidArgumentError(f"{_WHERE}: argument 'label_mode': expected 'int', "
                                   f"'categorical', 'binary' or None, got {label_mode!r}")
    if ragged and output_sequence_length is not None:
        raise InvalidArgumentError(f"{_WHERE}: cannot set both ragged and "
                                   "output_sequence_length")
    if ragged:
        raise InvalidArgumentError(f"{_WHERE}: argument 'ragged': ragged tensors are "
                                   "TensorFlow's; leave ragged=False (batches are zero-padded)")
    if sampling_rate is not None and (not isinstance(sampling_rate, int) or sampling_rate <= 0):
        raise InvalidArgumentError(f"{_WHERE}: argument 'sampling_rate': expected a positive "
                                   f"integer, got {sampling_rate!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    seed = check_split(_WHERE, directory, validation_split, subset, shuffle, seed)
    paths, labs, names = index_directory(os.fspath(directory), labels, (".wav",), class_names,
                                         shuffle, seed, follow_links, where=_WHERE)
    if verbose:
        print(f"Found {len(paths)} files" + ("." if names is None or labs is None else
                                              f" belonging to {len(names)} classes."))
    if label_mode == "binary" and len(names or []) != 2:
        raise InvalidArgumentError(f"{_WHERE}: label_mode='binary' needs exactly 2 classes, "
                                   f"got class_names={names}")
    num_classes = len(names) if names else 0
    desired = -1 if output_sequence_length is None else int(output_sequence_length)

    def build(which: str | None, shuffle_it: bool) -> Any:
        p, y = split_and_encode(_WHERE, "audio", ".wav", directory, paths, labs, which,
                                validation_split, label_mode, num_classes, verbose)

        def gen() -> Any:
            for i in range(len(p)):
                audio = read_wav(p[i], desired, sampling_rate)
                yield audio if y is None else (audio, y[i])

        ds = Dataset(gen, len(p))
        if shuffle_it:
            ds = ds.shuffle(batch_size * 8 if batch_size is not None else 1024, seed=seed)
        if batch_size is not None:
            ds = _padded_batch(ds, batch_size) if desired < 0 else ds.batch(batch_size)
        ds.class_names = names
        ds.file_paths = list(p)
        return ds

    if subset == "both":
        return build("training", shuffle), build("validation", False)
    return build(subset if validation_split else None, shuffle)


def _padded_batch(ds: Any, batch_size: int) -> Any:
    """Batches whose audio is zero-padded to the longest in the batch (``padded_batch``)."""
    import numpy as np

    from ..data import Dataset

    def pad(items: list) -> Any:
        audios = [it[0] if isinstance(it, tuple) else it for it in items]
        longest = max(len(a) for a in audios)
        out = np.zeros((len(audios), longest, audios[0].shape[1]), np.float32)
        for i, a in enumerate(audios):
            out[i, :len(a)] = a
        if isinstance(items[0], tuple):
            return out, np.stack([it[1] for it in items])
        return out

    def gen() -> Any:
        buf: list = []
        for item in ds._raw_iter():
            buf.append(item)
            if len(buf) == batch_size:
                yield pad(buf)
                buf = []
        if buf:
            yield pad(buf)

    n = None if ds._length is None else -(-ds._length // batch_size)
    return Dataset(gen, n)
