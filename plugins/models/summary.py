"""``model.summary()``: layers, output shapes and parameter counts as a table."""

from __future__ import annotations

from typing import Any


def _shape_str(shape: Any) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape_str(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _output_shapes(model: Any) -> dict[int, Any]:
    """Output shape of each layer, from one symbolic pass through the model."""
    from tensorweave.graph.tracing import placeholder, tree_flatten

    shapes: dict[int, Any] = {}
    inputs = getattr(model, "inputs", None) or []
    if not inputs:
        return shapes
    if hasattr(model, "_nodes"):
        for node in model._nodes:
            leaves, _ = tree_flatten(node.outputs)
            shapes[id(node.layer)] = [tuple(t.shape) for t in leaves] if len(leaves) > 1 \
                else tuple(leaves[0].shape)
        return shapes
    x = placeholder(tuple(inputs[0].shape), inputs[0].dtype)
    for layer in model.layers:
        x = layer(x)
        leaves, _ = tree_flatten(x)
        shapes[id(layer)] = tuple(leaves[0].shape)
    return shapes


def summary_text(model: Any, width: int = 80) -> str:
    shapes = _output_shapes(model)
    cols = (int(width * 0.45), int(width * 0.3), width - int(width * 0.45) - int(width * 0.3))
    lines = [f'Model: "{model.name}"', "=" * width]
    lines.append("Layer (type)".ljust(cols[0]) + "Output Shape".ljust(cols[1]) +
                 "Param #".rjust(cols[2]))
    lines.append("=" * width)
    for layer in model.layers:
        label = f"{layer.name} ({type(layer).__name__})"
        shape = shapes.get(id(layer))
        shape_s = _shape_str(shape) if shape is not None else "?"
        params = layer.count_params() if layer.built else 0
        lines.append(label[:cols[0] - 1].ljust(cols[0]) + shape_s.ljust(cols[1]) +
                     f"{params:,}".rjust(cols[2]))
    lines.append("=" * width)
    total = model.count_params()
    trainable = sum(_size(w) for w in model.trainable_weights)
    lines.append(f"Total params: {total:,}")
    lines.append(f"Trainable params: {trainable:,}")
    lines.append(f"Non-trainable params: {total - trainable:,}")
    lines.append("=" * width)
    return "\n".join(lines)


def _size(w: Any) -> int:
    n = 1
    for d in w.shape:
        n *= d
    return n
