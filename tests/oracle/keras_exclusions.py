"""The one written list of Keras 3 public names tensorweave does not offer, with why.

The API-surface oracle (``test_api_surface.py``) fails on a Keras name that tensorweave
neither has nor lists here, and on a listed name that tensorweave now has (so the list
never goes stale). ``SIGNATURES`` lists the names that exist on both sides but whose
parameters differ on purpose. Reasons fall in a few kinds:

* backend-specific: wraps another framework's objects (JAX/Flax, PyTorch, TensorFlow);
* TensorFlow-only: needs ``tf.data``/TF string tensors or a TF SavedModel;
* control flow: belongs to the control-flow issue (``scan``, ``while_loop``, ...);
* other: any further reason, spelled out.

Each module's section is its own dict, so work on one module never touches another's.
"""

from __future__ import annotations

BACKEND_SPECIFIC = "backend-specific: wraps another framework's objects"
CONTROL_FLOW = "control flow: graph primitives with sub-graphs (the control-flow issue)"
TF_ONLY = "TensorFlow-only"

OPS: dict[str, str] = {
    "associative_scan": CONTROL_FLOW,
    "cond": CONTROL_FLOW,
    "fori_loop": CONTROL_FLOW,
    "map": CONTROL_FLOW,
    "scan": CONTROL_FLOW,
    "switch": CONTROL_FLOW,
    "while_loop": CONTROL_FLOW,
}

LAYERS: dict[str, str] = {
    "FlaxLayer": BACKEND_SPECIFIC + " (Flax modules)",
    "JaxLayer": BACKEND_SPECIFIC + " (JAX functions with JAX pytrees of parameters)",
    "TorchModuleWrapper": BACKEND_SPECIFIC + " (torch.nn.Module)",
    "TFSMLayer": TF_ONLY + ": loads a TensorFlow SavedModel",
    "StringLookup": TF_ONLY + ": Keras 3 builds it on tf.lookup tables over tf.string tensors "
                    "(it raises without TensorFlow); tensorweave has no string dtype",
    "TextVectorization": TF_ONLY + ": Keras 3 splits, normalizes and looks up tf.string "
                         "tensors (it raises without TensorFlow); tensorweave has no string "
                         "dtype",
}

LOSSES: dict[str, str] = {}
METRICS: dict[str, str] = {}
OPTIMIZERS: dict[str, str] = {}
SCHEDULES: dict[str, str] = {}
CALLBACKS: dict[str, str] = {
    "OrbaxCheckpoint": BACKEND_SPECIFIC + " (Orbax, JAX's checkpoint library)",
}
ACTIVATIONS: dict[str, str] = {}
INITIALIZERS: dict[str, str] = {}
REGULARIZERS: dict[str, str] = {}
CONSTRAINTS: dict[str, str] = {}
UTILS: dict[str, str] = {}
SAVING: dict[str, str] = {}
MODELS: dict[str, str] = {}
RANDOM: dict[str, str] = {}
DATASETS: dict[str, str] = {}
MODEL_API: dict[str, str] = {}
_QUANTIZATION = ("other: Keras's int8/float8/int4/GPTQ weight quantization (quantized kernels, "
                 "scales and quantized matmuls per layer) is not implemented in tensorweave; "
                 "Dense/Embedding reject quantization_config")
LAYER_API: dict[str, str] = {
    "quantize": _QUANTIZATION,
    "quantized_build": _QUANTIZATION,
    "quantized_call": _QUANTIZATION,
    "quantization_mode": _QUANTIZATION,
}

#: "module.name" (or "Model.method") -> why its parameters differ from Keras's on purpose.
SIGNATURES: dict[str, str] = {}

NAMES: dict[str, dict[str, str]] = {
    "ops": OPS, "layers": LAYERS, "losses": LOSSES, "metrics": METRICS,
    "optimizers": OPTIMIZERS, "optimizers.schedules": SCHEDULES, "callbacks": CALLBACKS,
    "activations": ACTIVATIONS, "initializers": INITIALIZERS, "regularizers": REGULARIZERS,
    "constraints": CONSTRAINTS, "utils": UTILS, "saving": SAVING, "models": MODELS,
    "random": RANDOM, "datasets": DATASETS, "Model": MODEL_API, "Layer": LAYER_API,
}
