"""The library's error hierarchy.

Every error tensorweave raises on purpose derives from :class:`TensorweaveError`, so
``except tw.errors.TensorweaveError`` catches all of them. Each subclass also derives from
the matching built-in (``ValueError``, ``TypeError`` ...) so code written for NumPy or Keras
that catches those keeps working.

Messages follow one pattern, built by :func:`describe`: the op or layer, the argument,
what was expected and what came, so a user can tell at once whose fault it is.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "TensorweaveError",
    "ShapeError",
    "DTypeError",
    "InvalidArgumentError",
    "BackendUnavailableError",
    "BackendMismatchError",
    "UnknownOpError",
    "NotImplementedKernelError",
    "NotDifferentiableError",
    "TracingError",
    "PluginLoadError",
    "MissingDependencyError",
    "DuplicateNameError",
    "SerializationError",
    "describe",
]


class TensorweaveError(Exception):
    """Base of every error raised by tensorweave."""


class ShapeError(TensorweaveError, ValueError):
    """An op or layer got a tensor whose shape it cannot accept."""


class DTypeError(TensorweaveError, TypeError):
    """An op or layer got a dtype it cannot accept, or data that is not numeric."""


class InvalidArgumentError(TensorweaveError, ValueError):
    """An argument that is not a tensor (an axis, a padding mode ...) is out of range."""


class BackendUnavailableError(TensorweaveError, RuntimeError):
    """The requested backend is unknown or cannot run on this machine."""


class BackendMismatchError(TensorweaveError, ValueError):
    """Tensors living on two different backends met in one op (data never moves implicitly)."""


class UnknownOpError(TensorweaveError, KeyError):
    """No op of that name is registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NotImplementedKernelError(TensorweaveError, NotImplementedError):
    """A backend has no kernel for a primitive op (composites fall back to decompositions)."""


class NotDifferentiableError(TensorweaveError, TypeError):
    """A gradient was requested through an op or input that has none."""


class TracingError(TensorweaveError, TypeError):
    """A Python construct cannot be captured in a graph (e.g. ``if`` on a symbolic value)."""


class PluginLoadError(TensorweaveError, ImportError):
    """A plugin failed to load (raised only in strict mode; otherwise it is a warning)."""


class MissingDependencyError(TensorweaveError, ImportError):
    """An optional package a feature needs (Pillow for images ...) is not installed; the
    message names the extra to install."""


class DuplicateNameError(TensorweaveError, ValueError):
    """Two plugins or registrations claim one name."""


class SerializationError(TensorweaveError, ValueError):
    """A model or graph file is corrupt, truncated, unsafe or does not fit the model."""


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    return repr(value)


def describe(where: str, arg: str | None, expected: Any, got: Any) -> str:
    """Format the one-line message every tensorweave error uses.

    >>> describe("add", "y", "a shape broadcastable with (3, 4)", (5,))
    "add: argument 'y': expected a shape broadcastable with (3, 4), got (5,)"
    """
    head = f"{where}: argument '{arg}': " if arg else f"{where}: "
    return f"{head}expected {_fmt(expected)}, got {_fmt(got)}"
