"""``tw.utils``: data helpers (``to_categorical`` ...), seeding and session helpers."""

from __future__ import annotations

from typing import Any

from . import np_utils  # noqa: F401  (Keras-2 spelling: tw.utils.np_utils.to_categorical)
from .arrays import normalize, to_categorical
from .data_utils import get_file, hash_file, validate_file
from .plotting import model_to_dot, plot_history, plot_model
from .sequence import pad_sequences
from .split import train_test_split
from .training import (
    Config,
    disable_interactive_logging,
    enable_interactive_logging,
    get_source_inputs,
    is_interactive_logging_enabled,
    is_keras_tensor,
    pack_x_y_sample_weight,
    standardize_dtype,
    unpack_x_y_sample_weight,
)

__all__ = ["to_categorical", "normalize", "set_random_seed", "clear_session", "np_utils",
           "PyDataset", "Sequence", "get_file", "hash_file", "validate_file",
           "pad_sequences", "train_test_split", "plot_history", "plot_model", "model_to_dot",
           "load_img", "img_to_array", "array_to_img", "save_img",
           "image_dataset_from_directory", "Config", "disable_interactive_logging",
           "enable_interactive_logging", "get_source_inputs", "is_interactive_logging_enabled",
           "is_keras_tensor", "pack_x_y_sample_weight", "standardize_dtype",
           "unpack_x_y_sample_weight", "custom_object_scope", "CustomObjectScope",
           "get_custom_objects", "get_registered_name", "get_registered_object",
           "register_keras_serializable", "timeseries_dataset_from_array", "split_dataset",
           "Progbar", "serialize_keras_object", "deserialize_keras_object",
           "text_dataset_from_directory", "audio_dataset_from_directory"]

# Keras's serialization names, also in keras.utils; they live in tensorweave.saving
_SAVING_NAMES = ("custom_object_scope", "CustomObjectScope", "get_custom_objects",
                 "get_registered_name", "get_registered_object", "register_keras_serializable",
                 "serialize_keras_object", "deserialize_keras_object")
_DATA_NAMES = {"timeseries_dataset_from_array": "timeseries", "split_dataset": "timeseries",
               "Progbar": "progbar", "text_dataset_from_directory": "text_dataset",
               "audio_dataset_from_directory": "audio_dataset"}

# Keras puts its image helpers in keras.utils too; they load on first use (NumPy + Pillow).
_IMAGE_NAMES = {"load_img": "image_utils", "img_to_array": "image_utils",
                "array_to_img": "image_utils", "save_img": "image_utils",
                "image_dataset_from_directory": "image_dataset"}


def set_random_seed(seed: int) -> None:
    """Seed everything tensorweave draws from: ``tw.random``'s global generator, the
    shuffling in ``fit``, and Python's and NumPy's global generators (as Keras does)."""
    import random

    from .. import random as tw_random

    random.seed(seed)
    try:
        import numpy as np

        np.random.seed(seed % (2**32))
    except ImportError:  # pragma: no cover - numpy is a dependency
        pass
    tw_random.set_seed(seed)


def clear_session(free_memory: bool = True) -> None:
    """Reset automatic layer names, as ``keras.backend.clear_session``; with
    ``free_memory`` also run Python's garbage collector (Keras's meaning)."""
    from tensorweave.plugins.layers.base import clear_session as _clear

    _clear()
    if free_memory:
        import gc

        gc.collect()


def __getattr__(name: str) -> Any:
    if name in _SAVING_NAMES:
        from .. import saving

        value = getattr(saving, name)
        globals()[name] = value
        return value
    if name in _DATA_NAMES:
        import importlib

        mod = importlib.import_module(f"tensorweave.utils.{_DATA_NAMES[name]}")
        value = getattr(mod, name)
        globals()[name] = value
        return value
    if name in _IMAGE_NAMES:
        import importlib

        mod = importlib.import_module(f"tensorweave.preprocessing.{_IMAGE_NAMES[name]}")
        value = getattr(mod, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tensorweave.utils' has no attribute {name!r}")


class PyDataset:
    """Keras's ``PyDataset`` / ``Sequence``: a batch source with ``__len__`` (batches per
    epoch) and ``__getitem__(i)`` returning ``(x, y)`` or ``(x, y, sample_weight)``.
    ``on_epoch_end`` runs after each epoch; set ``shuffle = True`` to visit batches in a new
    order every epoch."""

    shuffle = False

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        self.workers = workers

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        pass


Sequence = PyDataset
