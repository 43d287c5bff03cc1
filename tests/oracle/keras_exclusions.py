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
COMPLEX = "needs a complex dtype, which tensorweave does not have"

OPS: dict[str, str] = {
    "associative_scan": CONTROL_FLOW,
    "cond": CONTROL_FLOW,
    "fori_loop": CONTROL_FLOW,
    "map": CONTROL_FLOW,
    "scan": CONTROL_FLOW,
    "switch": CONTROL_FLOW,
    "while_loop": CONTROL_FLOW,
    "eig": COMPLEX + ": the eigenvalues and eigenvectors of a general real matrix are complex "
           "(Keras returns complex tensors, not (real, imag) tuples); eigh covers symmetric ones",
    "polar": COMPLEX + ": Keras returns one complex tensor (abs * exp(i * angle))",
    "view_as_complex": COMPLEX + ": its result is a complex tensor",
    "view_as_real": COMPLEX + ": its input is a complex tensor",
}

#: keras.ops.nn / keras.ops.linalg names (their own sections: compared separately).
OPS_NN: dict[str, str] = {"polar": OPS["polar"]}
OPS_LINALG: dict[str, str] = {"eig": OPS["eig"]}

LAYERS: dict[str, str] = {
    "IntegerLookup": TF_ONLY + ": Keras 3 runs it through tf.lookup (ImportError without "
                     "TensorFlow, on every backend)",
    "Hashing": TF_ONLY + ": Keras 3 runs it through tf.strings FarmHash fingerprints "
               "(ImportError without TensorFlow)",
    "HashedCrossing": TF_ONLY + ": Keras 3 wraps tf.keras.layers.HashedCrossing "
                      "(ImportError without TensorFlow)",
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
UTILS: dict[str, str] = {
    "FeatureSpace": "other: composes StringLookup, IntegerLookup, Hashing, HashedCrossing, "
                    "Discretization and CategoryEncoding, none of which tensorweave has "
                    "(tw.layers offers only Normalization of these); it can follow them",
}
SAVING: dict[str, str] = {}
MODELS: dict[str, str] = {}
RANDOM: dict[str, str] = {}
DATASETS: dict[str, str] = {}
MODEL_API: dict[str, str] = {
    "export": "other: every Keras export format (tf_saved_model, onnx, openvino, litert) "
              "needs TensorFlow, ONNX or OpenVINO tooling; ONNX export is a later issue",
    "jax_state_sync": BACKEND_SPECIFIC + " (copies JAX trainer state back into variables; "
                      "tensorweave's steps store variables themselves)",
    "quantize": "other: int8/float8/int4 weight quantization needs quantized kernels and "
                "layer support (quantized_build/quantized_call) tensorweave does not have",
    "get_quantization_layer_structure": "other: part of Keras's quantization (see quantize)",
    "quantization_mode": "other: part of Keras's quantization (see quantize)",
    "quantized_build": "other: part of Keras's quantization (see quantize)",
    "quantized_call": "other: part of Keras's quantization (see quantize)",
}
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
SIGNATURES: dict[str, str] = {
    "Model.train_step": "Keras's JAX trainer takes (state, data) for stateless JAX code; "
                        "ours is Keras's TF/torch form train_step(data): the step is traced "
                        "with every variable substituted, so stateful code works",
    "Model.test_step": "as Model.train_step: Keras's TF/torch form test_step(data)",
    "Model.predict_step": "as Model.train_step: Keras's TF/torch form predict_step(data)",
}

NAMES: dict[str, dict[str, str]] = {
    "ops": OPS, "ops.nn": OPS_NN, "ops.linalg": OPS_LINALG, "layers": LAYERS,
    "losses": LOSSES, "metrics": METRICS,
    "optimizers": OPTIMIZERS, "optimizers.schedules": SCHEDULES, "callbacks": CALLBACKS,
    "activations": ACTIVATIONS, "initializers": INITIALIZERS, "regularizers": REGULARIZERS,
    "constraints": CONSTRAINTS, "utils": UTILS, "saving": SAVING, "models": MODELS,
    "random": RANDOM, "datasets": DATASETS, "Model": MODEL_API, "Layer": LAYER_API,
}
