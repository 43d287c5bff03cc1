"""Keras-2 path kept for old tutorials: ``tw.utils.np_utils.to_categorical``."""

from .arrays import normalize, to_categorical

__all__ = ["to_categorical", "normalize"]
