"""Keras's small ``keras.utils`` helpers around training data and models: packing
``(x, y, sample_weight)`` batches, ``Config``, interactive-logging switches, symbolic
tensor helpers and ``standardize_dtype``. Pure Python: importing it costs nothing."""

from __future__ import annotations

from typing import Any

from ..errors import InvalidArgumentError

__all__ = ["pack_x_y_sample_weight", "unpack_x_y_sample_weight", "Config",
           "enable_interactive_logging", "disable_interactive_logging",
           "is_interactive_logging_enabled", "is_keras_tensor", "get_source_inputs",
           "standardize_dtype"]


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``: the form ``fit`` and the
    steps use (a lone ``x`` is wrapped only when it is itself a tuple or list)."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x, y, sample_weight)`` from a batch (missing parts None); what an overridden
    ``train_step`` calls on its ``data``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise InvalidArgumentError("unpack_x_y_sample_weight: argument 'data': expected x, (x,), "
                               f"(x, y) or (x, y, sample_weight), got a tuple of {len(data)}")


class Config:
    """A dict with attribute access that can be frozen (Keras's ``keras.utils.Config``)."""

    __attrs__ = None

    def __init__(self, **kwargs: Any) -> None:
        object.__setattr__(self, "_config", kwargs)
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self) -> None:
        object.__setattr__(self, "_frozen", False)

    def _check(self) -> None:
        if self._frozen:
            raise InvalidArgumentError("Config: cannot change a frozen config; call "
                                       "unfreeze() first")

    def __setattr__(self, name: str, value: Any) -> None:
        self._check()
        self._config[name] = value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._config[name]
        except KeyError:
            raise AttributeError(f"Config: unknown attribute {name!r}") from None

    def __delattr__(self, name: str) -> None:
        self._check()
        del self._config[name]

    def __getitem__(self, key: str) -> Any:
        return self._config[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._check()
        self._config[key] = value

    def __delitem__(self, key: str) -> None:
        self._check()
        del self._config[key]

    def __contains__(self, key: object) -> bool:
        return key in self._config

    def __len__(self) -> int:
        return len(self._config)

    def __iter__(self) -> Any:
        return iter(self._config)

    def keys(self) -> Any:
        return self._config.keys()

    def values(self) -> Any:
        return self._config.values()

    def items(self) -> Any:
        return self._config.items()

    def get(self, key: str, default: Any = None) -> Any:
        return self._config.get(key, default)

    def pop(self, *args: Any) -> Any:
        self._check()
        return self._config.pop(*args)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._check()
        self._config.update(*args, **kwargs)

    def as_dict(self) -> dict:
        return dict(self._config)

    def to_json(self) -> str:
        import json

        return json.dumps(self._config)

    def __repr__(self) -> str:
        return f"<Config {self._config}>"


_INTERACTIVE = {"enabled": True}


def enable_interactive_logging() -> None:
    """Progress output goes to stdout (the default)."""
    _INTERACTIVE["enabled"] = True


def disable_interactive_logging() -> None:
    """Progress output goes to Python's ``logging`` (logger ``tensorweave``) instead of
    stdout, as Keras sends it to absl logging."""
    _INTERACTIVE["enabled"] = False


def is_interactive_logging_enabled() -> bool:
    return _INTERACTIVE["enabled"]


def print_msg(message: str, line_break: bool = True) -> None:
    """Print (interactive logging on) or log at INFO level (off)."""
    if _INTERACTIVE["enabled"]:
        import sys

        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        import logging

        logging.getLogger("tensorweave").info(message)


def is_keras_tensor(x: Any) -> bool:
    """Whether ``x`` is a symbolic tensor (what ``tw.Input`` and layer calls on it give)."""
    from .. import ops

    return bool(ops.is_tensor(x) and ops.is_symbolic(x))


def get_source_inputs(tensor: Any) -> list:
    """The ``tw.Input`` tensors a symbolic tensor was computed from (in discovery order)."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return [tensor]
    out: list = []
    seen: set[int] = set()
    stack = [tensor]
    while stack:
        t = stack.pop()
        hist = getattr(t, "_keras_history", None)
        node = hist[1] if hist is not None else None
        if node is None or not getattr(node, "input_tensors", None):
            if id(t) not in seen:
                seen.add(id(t))
                out.append(t)
            continue
        stack.extend(reversed(list(node.input_tensors)))
    return out


def standardize_dtype(dtype: Any) -> str:
    """A dtype's canonical name (``"float32"``), from a string, a NumPy dtype or type, a
    Python type or a tensorweave dtype; ``None`` gives the default float type."""
    from .. import dtypes

    if dtype is None:
        return "float32"
    if dtype is int:
        return "int32"  # Keras's choice for Python ints (outside TensorFlow)
    if dtype is float:
        return "float32"
    if dtype is bool:
        return "bool"
    return dtypes.canonicalize(dtype).name
