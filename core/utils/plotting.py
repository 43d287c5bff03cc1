"""Pictures of training: ``plot_history`` (loss and metric curves) and ``plot_model``.

* :func:`plot_history` draws one panel per metric (``loss`` first), the training curve
  and, when logged, the validation curve (``val_*``), and writes a PNG (or SVG/PDF, from
  the file name). It needs matplotlib — the optional extra ``pip install
  tensorweave[plot]`` — and uses its Agg renderer directly, without ``pyplot``: no window,
  no display, and the global matplotlib backend of a notebook is left alone.
* :func:`model_to_dot` writes the layer graph as Graphviz DOT text itself (no
  dependency): one record node per layer with its class and, with ``show_shapes``, its
  input and output shapes; one edge per connection.
* :func:`plot_model` renders that text with Graphviz's ``dot`` program when it is on
  ``PATH`` (``apt-get install graphviz``, ``brew install graphviz`` …). Without it, it
  writes the DOT text next to the requested file (``model.dot``) and warns, so a diagram
  is never silently missing (user-needs D18).

Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError, TensorweaveError

__all__ = ["plot_history", "plot_model", "model_to_dot", "OptionalDependencyError",
           "GraphvizNotFoundWarning"]


class OptionalDependencyError(TensorweaveError, ImportError):
    """A feature needs an optional package that is not installed; the message names the
    ``pip install tensorweave[extra]`` that brings it."""


class GraphvizNotFoundWarning(UserWarning):
    """``plot_model`` could not find Graphviz's ``dot`` and wrote DOT text instead."""


def _write(path: Path, data: bytes) -> None:
    from ..saving.atomic import write_atomic

    try:
        write_atomic(path, data)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot write {path}: {exc.strerror or exc}") from exc


# ---- plot_history --------------------------------------------------------------------------
def _history_dict(history: Any) -> tuple[dict[str, list], list[int] | None]:
    epochs = None
    if hasattr(history, "history") and isinstance(history.history, dict):
        epochs = list(getattr(history, "epoch", []) or []) or None
        history = history.history
    if not isinstance(history, dict):
        raise InvalidArgumentError(
            "plot_history: argument 'history': expected the History that fit() returns (or "
            f"its .history dict of lists), got {type(history).__name__}")
    out = {}
    for k, v in dict(history).items():
        if isinstance(v, (list, tuple)):
            out[str(k)] = [_num(x) for x in v]
    return out, epochs


def _num(x: Any) -> float:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return math.nan
    return f


def _label(key: str) -> str:
    return key.replace("_", " ")


def plot_history(history: Any, path: Any = None, metrics: Any = None, title: str | None = None,
                 figsize: tuple[float, float] | None = None, dpi: int = 100,
                 log_scale_loss: bool = False) -> Any:
    """Plot training curves from ``fit``'s History: one panel per metric, training and
    validation together.

    Args:
        history: the ``History`` that ``model.fit`` returns, or its ``.history`` dict.
        path: where to write the picture (``.png``, ``.svg``, ``.pdf`` …); ``None``
            writes nothing (the figure is still returned, e.g. to show in a notebook).
        metrics: the metric names to draw (``["loss", "accuracy"]``); default: every
            logged one, ``loss`` first. ``val_`` curves join their training curve.
        title: a title over the panels.
        figsize: inches; default 4.5 wide per panel, 3.6 high.
        dpi: resolution of raster output.
        log_scale_loss: a logarithmic y axis for loss panels.

    Returns:
        the ``matplotlib.figure.Figure``.
    """
    data, epochs = _history_dict(history)
    if not data or not any(data.values()):
        raise InvalidArgumentError("plot_history: the history is empty (no epoch was "
                                   "recorded); train first with model.fit(...)")
    bases = [k for k in data if not k.startswith("val_")]
    bases += [k[4:] for k in data if k.startswith("val_") and k[4:] not in data]
    if metrics is not None:
        wanted = [metrics] if isinstance(metrics, str) else list(metrics)
        unknown = [m for m in wanted if m not in bases and f"val_{m}" not in data]
        if unknown:
            raise InvalidArgumentError(f"plot_history: argument 'metrics': {unknown} not in "
                                       f"the history; logged keys: {sorted(data)}")
        bases = [m[4:] if m.startswith("val_") else m for m in wanted]
        bases = list(dict.fromkeys(bases))
    else:
        bases.sort(key=lambda k: (k != "loss", k in ("learning_rate", "lr"), k))
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise OptionalDependencyError(
            "plot_history needs matplotlib, which is not installed: pip install "
            "'tensorweave[plot]' (or pip install matplotlib)") from None

    n = len(bases)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=figsize or (4.5 * cols, 3.6 * rows), dpi=dpi, layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, key in enumerate(bases):
        ax = axes[i // cols][i % cols]
        for name, style, colour in ((key, "-", "tab:blue"), (f"val_{key}", "--", "tab:orange")):
            ys = data.get(name)
            if not ys:
                continue
            xs = [e + 1 for e in epochs] if epochs and len(epochs) == len(ys) else \
                list(range(1, len(ys) + 1))
            ax.plot(xs, ys, style, color=colour, marker="o" if len(ys) <= 30 else None,
                    markersize=3.5, label="validation" if name.startswith("val_") else "training")
        ax.set_title(_label(key))
        ax.set_xlabel("epoch")
        ax.set_ylabel(_label(key))
        ax.grid(True, alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if log_scale_loss and "loss" in key and all(y > 0 for y in data.get(key, [1])
                                                    if not math.isnan(y)):
            ax.set_yscale("log")
        ax.legend()
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    if title:
        fig.suptitle(title)
    if path is not None:
        import io

        target = Path(os.fspath(path))
        fmt = target.suffix[1:].lower() or "png"
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format=fmt)
        except ValueError as exc:
            raise InvalidArgumentError(f"plot_history: argument 'path': cannot write format "
                                       f"{fmt!r} ({exc})") from None
        _write(target, buf.getvalue())
    return fig


class InputLayer:
    """Stands for a Sequential model's input in the drawing (no real layer is created)."""

    trainable = False

    def __init__(self, name: str) -> None:
        self.name = name


# ---- model_to_dot --------------------------------------------------------------------------
_RECORD_SPECIAL = str.maketrans({c: "\\" + c for c in '{}|<>"'})


def _esc(text: Any) -> str:
    return str(text).replace("\\", "\\\\").translate(_RECORD_SPECIAL).replace("\n", "\\n")


def _shape_str(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_str(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_shape_str(v)}" for k, v in shape.items()) + "}"
    dims = ["None" if d is None else str(d) for d in shape]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def _shapes_of(tensors: list) -> Any:
    shapes = [tuple(t.shape) for t in tensors]
    return shapes[0] if len(shapes) == 1 else shapes


def _graph(model: Any) -> tuple[list, list, dict, dict, dict]:
    """(layers, edges, input shapes, output shapes, dtypes) of the layer graph."""
    from tensorweave.graph.tracing import placeholder, tree_flatten

    in_shapes: dict[int, Any] = {}
    out_shapes: dict[int, Any] = {}
    dtypes: dict[int, Any] = {}
    edges: list[tuple[int, int]] = []
    if hasattr(model, "_nodes"):  # functional
        layers = list(model.layers)
        for t in model.inputs:
            layer = t._keras_history[0]
            out_shapes[id(layer)] = tuple(t.shape)
            dtypes[id(layer)] = getattr(t.dtype, "name", str(t.dtype))
        for node in model._nodes:
            ins = node.input_tensors
            outs, _ = tree_flatten(node.outputs)
            outs = [o for o in outs if hasattr(o, "shape")]
            in_shapes[id(node.layer)] = _shapes_of(ins) if ins else None
            out_shapes[id(node.layer)] = _shapes_of(outs) if outs else None
            if outs:
                dtypes[id(node.layer)] = getattr(outs[0].dtype, "name", str(outs[0].dtype))
            for t in ins:
                src = getattr(t, "_keras_history", None)
                if src is not None:
                    e = (id(src[0]), id(node.layer))
                    if e not in edges:
                        edges.append(e)
        return layers, edges, in_shapes, out_shapes, dtypes
    layers = list(model.layers)
    inputs = getattr(model, "inputs", None) or []
    if type(model).__name__ == "Sequential" or hasattr(model, "add"):
        prev: Any = None
        x = None
        if inputs:
            x = placeholder(tuple(inputs[0].shape), inputs[0].dtype)
            entry = InputLayer(f"{model.name}_input")
            layers = [entry] + layers
            out_shapes[id(entry)] = tuple(x.shape)
            dtypes[id(entry)] = getattr(x.dtype, "name", str(x.dtype))
            prev = entry
        for layer in layers[1 if prev is not None else 0:]:
            if x is not None:
                in_shapes[id(layer)] = tuple(x.shape)
                try:
                    y = layer(x)
                    leaves, _ = tree_flatten(y)
                    x = leaves[0]
                    out_shapes[id(layer)] = tuple(x.shape)
                    dtypes[id(layer)] = getattr(x.dtype, "name", str(x.dtype))
                except TensorweaveError:
                    x = None
            if prev is not None:
                edges.append((id(prev), id(layer)))
            prev = layer
        return layers, edges, in_shapes, out_shapes, dtypes
    return layers, edges, in_shapes, out_shapes, dtypes  # subclassed: no layer graph


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB",
                 expand_nested: bool = False, dpi: int = 200, subgraph: bool = False,
                 show_layer_activations: bool = False, show_trainable: bool = False,
                 splines: str = "ortho", **kwargs: Any) -> str:
    """The model's layer graph as Graphviz DOT text (Keras's ``model_to_dot`` arguments).

    Sequential and functional models show every layer and connection; a subclassed model
    has no recorded graph, so its layers are listed without edges.
    """
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise InvalidArgumentError(f"model_to_dot: argument 'rankdir': expected 'TB', 'LR', "
                                   f"'BT' or 'RL', got {rankdir!r}")
    if expand_nested:
        raise InvalidArgumentError("model_to_dot: expand_nested=True is not supported yet; "
                                   "a nested model is drawn as one node")
    if kwargs:
        raise InvalidArgumentError(f"model_to_dot: unexpected arguments {sorted(kwargs)}")
    if not hasattr(model, "layers"):
        raise InvalidArgumentError(f"model_to_dot: expected a model, got "
                                   f"{type(model).__name__}")
    layers, edges, in_shapes, out_shapes, dtypes = _graph(model)
    ids = {id(layer): f"layer_{i}" for i, layer in enumerate(layers)}
    lines = [f'digraph "{_esc(model.name)}" {{' if not subgraph else
             f'subgraph "cluster_{_esc(model.name)}" {{',
             f'  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true, '
             f'splines={_esc(str(splines))}, '
             f'label="{_esc(model.name)}", labelloc=t];',
             '  node [shape=record, fontname="Helvetica", fontsize=11, style=filled, '
             'fillcolor="#f4f6fb", color="#4a5a7a"];',
             '  edge [color="#4a5a7a", arrowsize=0.7];']
    if not edges and len(layers) > 1:
        lines.append("  // a subclassed model records no layer graph: layers in order")
    for layer in layers:
        cls = type(layer).__name__
        head = f"{layer.name}: {cls}" if show_layer_names else cls
        extra = []
        if show_layer_activations:
            act = getattr(layer, "activation", None)
            if act is not None:
                extra.append(f"activation: {getattr(act, '__name__', act)}")
        if show_dtype and id(layer) in dtypes:
            extra.append(f"dtype: {dtypes[id(layer)]}")
        if show_trainable:
            extra.append(f"trainable: {'Y' if layer.trainable else 'N'}")
        first = "\\n".join(_esc(s) for s in [head, *extra])
        if show_shapes:
            ins = in_shapes.get(id(layer))
            outs = out_shapes.get(id(layer))
            label = (f"{first}|{{input:|output:}}|"
                     f"{{{{{_esc(_shape_str(ins) if ins is not None else '-')}}}|"
                     f"{{{_esc(_shape_str(outs))}}}}}")
        else:
            label = first
        lines.append(f'  {ids[id(layer)]} [label="{label}"];')
    for a, b in edges:
        if a in ids and b in ids:
            lines.append(f"  {ids[a]} -> {ids[b]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ---- plot_model ----------------------------------------------------------------------------
def plot_model(model: Any, to_file: Any = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = False, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False,
               splines: str = "ortho", **kwargs: Any) -> Path:
    """Draw the model's layer graph to ``to_file`` (Keras's ``plot_model``).

    ``.dot`` / ``.gv`` files get the DOT text. Any other suffix (``.png``, ``.svg``,
    ``.pdf`` …) is rendered by Graphviz's ``dot`` when it is installed; when it is not,
    the DOT text goes to the same name with a ``.dot`` suffix, with a
    :class:`GraphvizNotFoundWarning` saying how to render it.

    Returns the path written.
    """
    text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                        show_layer_names=show_layer_names, rankdir=rankdir,
                        expand_nested=expand_nested, dpi=dpi,
                        show_layer_activations=show_layer_activations,
                        show_trainable=show_trainable, splines=splines, **kwargs)
    target = Path(os.fspath(to_file))
    fmt = target.suffix[1:].lower()
    if fmt in ("dot", "gv"):
        _write(target, text.encode("utf-8"))
        return target
    if not fmt:
        raise InvalidArgumentError(f"plot_model: argument 'to_file': give a suffix that "
                                   f"names the format ('.png', '.svg', '.dot' ...), got "
                                   f"{str(to_file)!r}")
    dot = shutil.which("dot")
    if dot is None:
        fallback = target.with_suffix(".dot")
        _write(fallback, text.encode("utf-8"))
        warnings.warn(
            f"plot_model: Graphviz's 'dot' program is not installed, so {target.name} was not "
            f"drawn; the graph's DOT text is in {fallback}. Install Graphviz (apt-get install "
            f"graphviz, brew install graphviz, or graphviz.org) and run: dot -T{fmt} "
            f"{fallback} -o {target}", GraphvizNotFoundWarning, stacklevel=2)
        return fallback
    try:
        proc = subprocess.run([dot, f"-T{fmt}"], input=text.encode("utf-8"),
                              capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TensorweaveError(f"plot_model: running Graphviz's dot failed: {exc}") from exc
    if proc.returncode != 0 or not proc.stdout:
        err = proc.stderr.decode("utf-8", "replace").strip()
        raise InvalidArgumentError(f"plot_model: Graphviz's dot could not draw format "
                                   f"{fmt!r}: {err or 'no output'}")
    _write(target, proc.stdout)
    return target
