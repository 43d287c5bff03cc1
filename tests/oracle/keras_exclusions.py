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

OPS_LINALG: dict[str, str] = {"eig": OPS["eig"]}

LAYERS: dict[str, str] = {
    "FlaxLayer": BACKEND_SPECIFIC + " (Flax modules)",
    "JaxLayer": BACKEND_SPECIFIC + " (JAX functions with JAX pytrees of parameters)",
    "TorchModuleWrapper": BACKEND_SPECIFIC + " (torch.nn.Module)",
    "TFSMLayer": TF_ONLY + ": loads a TensorFlow SavedModel",
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
LAYER_API: dict[str, str] = {}

#: "module.name" (or "Model.method") -> why its parameters differ from Keras's on purpose.
SIGNATURES: dict[str, str] = {}

NAMES: dict[str, dict[str, str]] = {
    "ops": OPS, "ops.linalg": OPS_LINALG, "layers": LAYERS, "losses": LOSSES, "metrics": METRICS,
    "optimizers": OPTIMIZERS, "optimizers.schedules": SCHEDULES, "callbacks": CALLBACKS,
    "activations": ACTIVATIONS, "initializers": INITIALIZERS, "regularizers": REGULARIZERS,
    "constraints": CONSTRAINTS, "utils": UTILS, "saving": SAVING, "models": MODELS,
    "random": RANDOM, "datasets": DATASETS, "Model": MODEL_API, "Layer": LAYER_API,
}
