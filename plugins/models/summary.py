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


def summary_text(model: Any, width: int = 80, positions: Any = None,
                 expand_nested: bool = False, show_trainable: bool = False,
                 layer_range: Any = None) -> str:
    """The table: one row per layer (nested models' layers indented below theirs with
    ``expand_nested``; a Trainable column with ``show_trainable``; only the rows from
    ``layer_range[0]`` to ``layer_range[1]`` inclusive). ``positions``: the right edge
    of each column, as fractions of ``width`` (all <= 1) or as character positions."""
    shapes = _output_shapes(model)
    n_cols = 4 if show_trainable else 3
    if positions is None:
        positions = [0.45, 0.75, 1.0] if n_cols == 3 else [0.4, 0.65, 0.85, 1.0]
    positions = list(positions)
    if len(positions) != n_cols:
        from tensorweave.errors import InvalidArgumentError

        raise InvalidArgumentError(f"summary: argument 'positions': expected {n_cols} column "
                                   f"positions, got {positions!r}")
    if positions[-1] <= 1:
        positions = [int(width * p) for p in positions]
    cols = [positions[0]] + [positions[i] - positions[i - 1] for i in range(1, n_cols)]
    width = positions[-1]
    lines = [f'Model: "{model.name}"', "=" * width]
    header = "Layer (type)".ljust(cols[0]) + "Output Shape".ljust(cols[1]) + \
        "Param #".rjust(cols[2])
    if show_trainable:
        header += "Trainable".rjust(cols[3])
    lines.append(header)
    lines.append("=" * width)
    rows = _rows(model, shapes, expand_nested, 0)
    if layer_range is not None:
        names = [r[0].name for r in rows]
        start, stop = names.index(layer_range[0]), names.index(layer_range[1])
        rows = rows[start:stop + 1]
    for layer, shape, depth in rows:
        label = "  " * depth + ("└ " if depth else "") + f"{layer.name} ({type(layer).__name__})"
        shape_s = _shape_str(shape) if shape is not None else "?"
        params = layer.count_params() if layer.built else 0
        line = label[:cols[0] - 1].ljust(cols[0]) + shape_s.ljust(cols[1]) + \
            f"{params:,}".rjust(cols[2])
        if show_trainable:
            line += ("Y" if layer.trainable else "N").rjust(cols[3])
        lines.append(line)
    lines.append("=" * width)
    total = model.count_params()
    trainable = sum(_size(w) for w in model.trainable_weights)
    lines.append(f"Total params: {total:,}")
    lines.append(f"Trainable params: {trainable:,}")
    lines.append(f"Non-trainable params: {total - trainable:,}")
    lines.append("=" * width)
    return "\n".join(lines)


def _rows(model: Any, shapes: dict, expand: bool, depth: int) -> list:
    rows = []
    for layer in model.layers:
        rows.append((layer, shapes.get(id(layer)), depth))
        if expand and hasattr(layer, "layers") and layer.layers:
            try:
                inner = _output_shapes(layer)
            except Exception:  # noqa: BLE001  (a subclassed model may have no input yet)
                inner = {}
            rows.extend(_rows(layer, inner, expand, depth + 1))
    return rows


def _size(w: Any) -> int:
    n = 1
    for d in w.shape:
        n *= d
    return n
