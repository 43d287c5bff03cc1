"""tensorweave: Keras-style deep learning over a dataflow graph, on any backend.

``import tensorweave`` is light on purpose: it loads neither NumPy nor pluggy nor any
backend. Every public name below is resolved on first use (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

from . import dtypes, errors
from .dtypes import (
    bfloat16,
    bool_,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)

__version__ = "0.1.0"

_LAZY_MODULES = {
    "ops": "tensorweave.ops",
    "random": "tensorweave.random",
    "testing": "tensorweave.testing",
    "config": "tensorweave.config",
    "graph": "tensorweave.graph",
    "layers": "tensorweave.layers",
    "losses": "tensorweave.losses",
    "optimizers": "tensorweave.optimizers",
    "metrics": "tensorweave.metrics",
    "activations": "tensorweave.activations",
    "initializers": "tensorweave.initializers",
    "regularizers": "tensorweave.regularizers",
    "constraints": "tensorweave.constraints",
    "callbacks": "tensorweave.callbacks",
    "models": "tensorweave.models",
    "saving": "tensorweave.saving",
    "utils": "tensorweave.utils",
    "datasets": "tensorweave.datasets",
    "data": "tensorweave.data",
    "preprocessing": "tensorweave.preprocessing",
    "variables": "tensorweave.variables",
    "mixed_precision": "tensorweave.mixed_precision",
    "backend": "tensorweave.backend",
}
_LAZY_ATTRS = {
    "Tensor": ("tensorweave.tensor", "Tensor"),
    "set_backend": ("tensorweave.backend_registry", "set_backend"),
    "backend_scope": ("tensorweave.backend_registry", "backend_scope"),
    "list_backends": ("tensorweave.backend_registry", "list_backends"),
    "get_backend": ("tensorweave.backend_registry", "get_backend"),
    "convert_to_tensor": ("tensorweave.ops", "convert_to_tensor"),
    "convert_to_numpy": ("tensorweave.ops", "convert_to_numpy"),
    "to_backend": ("tensorweave.ops", "to_backend"),
    "stop_gradient": ("tensorweave.ops", "stop_gradient"),
    "Variable": ("tensorweave.variables", "Variable"),
    "Graph": ("tensorweave.graph", "Graph"),
    "SymbolicTensor": ("tensorweave.graph", "SymbolicTensor"),
    "placeholder": ("tensorweave.graph", "placeholder"),
    "trace": ("tensorweave.graph", "trace"),
    "grad": ("tensorweave.graph", "grad"),
    "value_and_grad": ("tensorweave.graph", "value_and_grad"),
    "vjp": ("tensorweave.graph", "vjp"),
    "jit": ("tensorweave.graph", "jit"),
    "Sequential": ("tensorweave.models", "Sequential"),
    "Model": ("tensorweave.models", "Model"),
    "Input": ("tensorweave.layers", "Input"),
    "plugins_info": ("tensorweave.plugin_manager", "plugins_info"),
}

__all__ = ["dtypes", "errors", "__version__", *sorted(_LAZY_MODULES), *sorted(_LAZY_ATTRS),
           "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "bfloat16", "float32", "float64"]


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        mod = importlib.import_module(_LAZY_MODULES[name])
        globals()[name] = mod
        return mod
    if name in _LAZY_ATTRS:
        mod_name, attr = _LAZY_ATTRS[name]
        value = getattr(importlib.import_module(mod_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tensorweave' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
