"""The functional API's graph of layers: from ``tw.Input`` tensors to outputs.

``Model(inputs, outputs)`` walks back from the outputs through the nodes that layer calls
recorded on symbolic tensors, keeps them in creation order (inputs exist before the layers
that use them, so this is a topological order) and replays them on real data in ``call``.
"""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError
from tensorweave.graph.tracing import tree_flatten, tree_unflatten

from ..layers.base import InputLayer, KerasNode, Layer


def collect_nodes(inputs: list, outputs: list) -> tuple[list[KerasNode], list[Layer]]:
    """The layer nodes between ``inputs`` and ``outputs`` and the layers in order."""
    input_ids = {id(t) for t in inputs}
    seen: dict[int, KerasNode] = {}
    stack = list(outputs)
    while stack:
        t = stack.pop()
        if id(t) in input_ids:
            continue
        hist = getattr(t, "_keras_history", None)
        if hist is None:
            raise InvalidArgumentError(
                f"Model: output {t!r} is not connected to the model inputs through layer "
                "calls (use tw.Input and call layers on it)")
        layer, node, _ = hist
        if node is None:  # an InputLayer tensor that is not among the inputs
            raise InvalidArgumentError(f"Model: the outputs depend on input {layer.name!r}, "
                                       "which is not in `inputs`")
        if id(node) in seen:
            continue
        seen[id(node)] = node
        stack.extend(node.input_tensors)
    nodes = sorted(seen.values(), key=lambda n: n.id)
    layers: list[Layer] = []
    for t in inputs:
        hist = getattr(t, "_keras_history", None)
        if hist is not None and isinstance(hist[0], InputLayer):
            layers.append(hist[0])
    for n in nodes:
        if not any(n.layer is l for l in layers):
            layers.append(n.layer)
    return nodes, layers


def run_nodes(nodes: list[KerasNode], inputs: list, values: list, outputs: Any) -> Any:
    """Replay the recorded layer calls on ``values`` (concrete or symbolic)."""
    env: dict[int, Any] = {id(t): v for t, v in zip(inputs, values)}

    def resolve(x: Any) -> Any:
        if ops.is_symbolic(x):
            try:
                return env[id(x)]
            except KeyError:
                raise InvalidArgumentError(f"Model: tensor {x!r} was never computed") from None
        return x

    for node in nodes:
        leaves, tree = tree_flatten([node.args, node.kwargs])
        args, kwargs = tree_unflatten(tree, [resolve(v) for v in leaves])
        out = node.layer(*args, **kwargs)
        sym_leaves, _ = tree_flatten(node.outputs)
        out_leaves, _ = tree_flatten(out)
        for s, o in zip(sym_leaves, out_leaves):
            env[id(s)] = o
    leaves, tree = tree_flatten(outputs)
    return tree_unflatten(tree, [resolve(t) for t in leaves])
