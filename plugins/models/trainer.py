"""``compile`` / ``fit`` / ``evaluate`` / ``predict``: the training loop.

The whole train step — forward pass, loss, gradients, optimizer update, metric updates —
is one traced graph, compiled once per batch signature and replayed for every batch. It is
traced under a :class:`~tensorweave.variables.StatelessScope`: every variable the step
touches (weights, optimizer slots, metric totals, seeds) is an input of the graph, the
``assign`` calls inside record new values, and the step returns them; the loop then stores
them back into the variables. Nothing in the step runs Python per element or per layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import tensorweave.callbacks as _callbacks
import tensorweave.optimizers as _optimizers
from tensorweave import ops
from tensorweave.backend_registry import current
from tensorweave.errors import InvalidArgumentError, TensorweaveError
from tensorweave.graph.executor import compile_graph
from tensorweave.graph.tracing import leaf_spec, trace, tree_flatten, tree_unflatten
from tensorweave.graph.transforms import value_and_grad
from tensorweave.ops._dispatch import wrap
from tensorweave.utils.training import pack_x_y_sample_weight, unpack_x_y_sample_weight
from tensorweave.variables import StatelessScope

from ..layers.base import training_scope
from . import data as _data
from .compile_utils import LossEntry, per_output, resolve_metric

__all__ = ["Trainer"]


class _Mark:
    """Stands for output position ``i`` while the step's output tree is laid out."""

    __slots__ = ("i",)

    def __init__(self, i: int) -> None:
        self.i = i


class _Step:
    """A compiled step: a plan over (variable values..., batch leaves...).

    Everything a run needs besides the arrays is worked out here, once: which outputs
    are new variable values (and their specs, to wrap them), and, for a step returning a
    flat dict of scalars (the train and test steps' logs), the output position of each
    log key, so a batch costs no tree walk and no tensor wrapping of the logs.
    """

    def __init__(self, plan: Any, n_vars: int, out_tree: Any, n_state_out: int,
                 state: list, out_vars: list | None = None) -> None:
        self.plan = plan
        self.n_vars = n_vars
        self.out_tree = out_tree
        self.n_state_out = n_state_out
        self.state = state
        self.backend = plan.backend
        specs = self.specs = list(plan.output_specs)
        marks = [_Mark(i) for i in range(len(specs))]
        res_tree, state_marks = tree_unflatten(out_tree, marks)
        self.state_out = [(v, m.i, specs[m.i][0], specs[m.i][1])
                          for v, m in zip(state if out_vars is None else out_vars,
                                          state_marks)]
        self.log_index: list | None = None
        if isinstance(res_tree, dict) and all(isinstance(m, _Mark) and specs[m.i][0] == ()
                                              for m in res_tree.values()):
            self.log_index = [(k, m.i) for k, m in res_tree.items()]

    def run(self, batch: list) -> list:
        """Run on the batch's backend arrays; stores the new variable values."""
        arrays = [v._value._data for v in self.state]
        arrays += batch
        outs = self.plan.run(arrays)
        if self.state_out:
            be = self.backend
            for v, i, shape, dtype in self.state_out:
                v._value = wrap(outs[i], shape, dtype, be)
        return outs

    def result(self, outs: list) -> Any:
        """The step's result (logs or predictions) as a tree of tensors."""
        be = self.backend
        tensors = [wrap(o, s, d, be) for o, (s, d) in zip(outs, self.specs)]
        return tree_unflatten(self.out_tree, tensors)[0]

    def logs(self, outs: list) -> dict:
        """The result as ``{key: float}`` (what callbacks and ``History`` receive)."""
        if self.log_index is None:
            return _floats(self.result(outs))
        index = self.log_index
        if len(index) > 1:
            first = outs[index[0][1]]
            if not (type(first) is np.ndarray or isinstance(first, np.generic)):
                return self._device_logs(outs)
        logs = {}
        for k, i in index:
            o = outs[i]
            if type(o) is np.ndarray and o.ndim == 0 or isinstance(o, np.generic):
                logs[k] = float(o)
            else:
                s, d = self.specs[i]
                logs[k] = float(wrap(o, s, d, self.backend))
        return logs

    def _device_logs(self, outs: list) -> dict:
        """Logs of device arrays: the scalars stacked on the device and copied to the
        host at once, one synchronisation per batch instead of one per key."""
        be = self.backend
        ts = [wrap(outs[i], *self.specs[i], be) for _, i in self.log_index]
        if len({t.dtype for t in ts}) > 1:
            ts = [ops.cast(t, "float64") for t in ts]
        values = ops.convert_to_numpy(ops.stack(ts)).tolist()
        return {k: float(v) for (k, _), v in zip(self.log_index, values)}


class Trainer:
    """Mixin giving a :class:`Model` the Keras training API."""

    # ---- compile ------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        self.optimizer = _optimizers.get(optimizer)
        self._loss_arg = loss
        self._loss_weights_arg = loss_weights
        self._metrics_arg = metrics
        self._weighted_metrics_arg = weighted_metrics
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile
        self.compiled = True
        self._compile_config = {"optimizer": _config_of(optimizer), "loss": _config_of(loss),
                                "loss_weights": loss_weights, "metrics": _config_of(metrics)}
        self._reset_compiled_state()

    def _reset_compiled_state(self) -> None:
        self._losses_per_output: list | None = None
        self._metric_objs: list | None = None
        self._steps: dict[Any, _Step] = {}
        self._state_vars: list | None = None
        self.stop_training = False
        self.train_function = self.test_function = self.predict_function = None

    def _require_compiled(self, what: str) -> None:
        if not getattr(self, "compiled", False):
            raise TensorweaveError(f"{what}: the model must be compiled first; call "
                                   "model.compile(optimizer=..., loss=...)")

    def _output_names_for(self, y_pred: Any) -> list[str]:
        if isinstance(y_pred, dict) and all(not isinstance(v, (dict, list, tuple))
                                            for v in y_pred.values()):
            # dict outputs: named by their keys, in the flattened (sorted) order, as
            # Keras matches losses, metrics and targets with a dict of outputs
            return [str(k) for k in sorted(y_pred, key=repr)]
        leaves, _ = tree_flatten(y_pred)
        names = getattr(self, "output_names", None)
        if names and len(names) == len(leaves):
            return list(names)
        if len(leaves) == 1:
            return ["output"]
        return [f"output_{i}" for i in range(len(leaves))]

    def _align_to_outputs(self, tree: Any, what: str = "y") -> Any:
        """Targets or sample weights given as a dict keyed by output name, as a list in
        the order of the model's outputs (Keras matches them by name; a flattened dict
        would follow the sorted keys instead)."""
        if not isinstance(tree, dict):
            return tree
        names = getattr(self, "output_names", None)
        if not names or isinstance(getattr(self, "_outputs_struct", None), dict):
            return tree  # dict outputs: matched with the dict's keys structurally
        if set(tree) != set(names):
            raise InvalidArgumentError(
                f"{self.name}: argument '{what}': expected a dict keyed by the output names "
                f"{list(names)}, got keys {sorted(tree, key=str)}")
        return [tree[n] for n in names]

    def _setup_losses_and_metrics(self, y_true: Any, y_pred: Any) -> None:
        """Resolve per-output losses and metrics once shapes are known."""
        if self._losses_per_output is not None:
            return
        y_true = self._align_to_outputs(y_true)
        names = self._output_names_for(y_pred)
        self._out_names = names
        loss_arg = self._loss_arg
        if loss_arg is None:
            self._losses_per_output = [None] * len(names)
        else:
            self._losses_per_output = [None if l is None else LossEntry(l)
                                       for l in per_output(loss_arg, names, "loss")]
        lw = self._loss_weights_arg
        self._loss_weights = [1.0 if w is None else float(w) for w in
                              per_output(lw, names, "loss_weights")] if lw is not None \
            else [1.0] * len(names)
        true_leaves, _ = tree_flatten(y_true)
        pred_leaves, _ = tree_flatten(y_pred)
        metric_objs: list = []
        loss_tracker = _metric_class("Mean")(name="loss")
        metric_objs.append(("loss", None, loss_tracker, False))
        if len(names) > 1:
            order = list(range(len(names)))
            if isinstance(loss_arg, dict) and isinstance(y_pred, dict):
                # dict outputs: Keras lists them in the loss dict's order (list outputs:
                # in the outputs' order)
                order.sort(key=lambda i: list(loss_arg).index(names[i])
                           if names[i] in loss_arg else len(names))
            for i in order:
                n = names[i]
                if self._losses_per_output[i] is not None:
                    metric_objs.append((f"{n}_loss", i, _metric_class("Mean")(name=f"{n}_loss"),
                                        "loss"))
        for weighted, arg in ((False, self._metrics_arg), (True, self._weighted_metrics_arg)):
            if not arg:
                continue
            spread = _spread_metrics(arg, names)
            for i, ids in enumerate(spread):
                for ident in ids or []:
                    yt = true_leaves[i] if i < len(true_leaves) else None
                    m = resolve_metric(ident, self._losses_per_output[i],
                                       tuple(yt.shape) if yt is not None else (),
                                       tuple(pred_leaves[i].shape))
                    base = m.name
                    key = base if len(names) == 1 else f"{names[i]}_{base}"
                    if weighted and not len(names) > 1:
                        key = f"weighted_{base}" if any(k == base for k, *_ in metric_objs) \
                            else base
                    metric_objs.append((key, i, m, weighted))
        self._metric_objs = metric_objs

    @property
    def metrics_names(self) -> list[str]:
        """Keras 3's names of ``model.metrics``: ``"loss"``, ``"compile_metrics"`` (the
        metrics given to ``compile``, as one group) and the per-output losses once the
        model has trained or evaluated. The individual log keys are in the logs and in
        ``evaluate``'s list, ordered as :meth:`_log_order` says."""
        if not getattr(self, "compiled", False):
            return []
        names = ["loss"]
        if self._metrics_arg or self._weighted_metrics_arg:
            names.append("compile_metrics")
        names += [k for k, _, _, kind in self._metric_objs or [] if kind == "loss"]
        return names

    def _log_order(self) -> list[str]:
        """Keras's order of ``evaluate``'s list (its ``_flatten_metrics_in_order``): the
        loss, the compiled metrics logged under their own names, the per-output losses,
        then every other key sorted (e.g. ``alpha_accuracy`` of a multi-output model)."""
        objs = self._metric_objs or []
        head = (["loss"] + [k for k, _, m, kind in objs
                            if k != "loss" and kind != "loss" and k == getattr(m, "name", k)]
                + [k for k, _, _, kind in objs if kind == "loss"])
        return head + sorted(k for k, *_ in objs if k not in head)

    @property
    def metrics(self) -> list:
        return [m for _, _, m, _ in (self._metric_objs or [])]

    # ---- the step functions ---------------------------------------------------------------
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Any:
        """Sum of the per-output losses (times ``loss_weights``) and the layers' losses."""
        y = self._align_to_outputs(y)
        sample_weight = self._align_to_outputs(sample_weight, "sample_weight")
        true_leaves, _ = tree_flatten(y) if y is not None else ([], None)
        pred_leaves, _ = tree_flatten(y_pred)
        total = None
        per = []
        for i, entry in enumerate(self._losses_per_output or []):
            if entry is None:
                per.append(None)
                continue
            if i >= len(true_leaves):
                raise InvalidArgumentError(f"fit: the model has {len(pred_leaves)} outputs "
                                           f"but {len(true_leaves)} targets were given")
            sw = _pick_sw(sample_weight, i)
            value = entry(true_leaves[i], pred_leaves[i], sw)
            value = ops.cast(value, "float32") if value.dtype != "float32" else value
            per.append(value)
            w = self._loss_weights[i]
            term = value if w == 1.0 else ops.multiply(value, w)
            total = term if total is None else ops.add(total, term)
        for extra in self.losses:
            total = extra if total is None else ops.add(total, extra)
        if total is None:
            total = ops.zeros((), "float32")
        self._last_per_output_losses = per
        return total

    def _update_metrics(self, y: Any, y_pred: Any, sample_weight: Any, loss: Any,
                        batch_size: Any) -> dict:
        y = self._align_to_outputs(y)
        sample_weight = self._align_to_outputs(sample_weight, "sample_weight")
        true_leaves, _ = tree_flatten(y) if y is not None else ([], None)
        pred_leaves, _ = tree_flatten(y_pred)
        logs = {}
        for key, i, m, kind in self._metric_objs or []:
            if key == "loss":
                m.update_state(loss, sample_weight=batch_size)
            elif kind == "loss":
                value = self._last_per_output_losses[i]
                m.update_state(value, sample_weight=batch_size)
            elif i is not None and i < len(true_leaves):
                sw = _pick_sw(sample_weight, i) if kind else None
                m.update_state(true_leaves[i], pred_leaves[i], sample_weight=sw)
            logs[key] = m.result()
        return logs

    # ---- the overridable steps (Keras's "customizing what happens in fit") -------------
    def train_step(self, data: Any) -> dict:
        """One training step on a batch ``data`` (``(x,)``, ``(x, y)`` or ``(x, y,
        sample_weight)``); returns the logs (``{name: scalar}``).

        Override it to customise ``fit``. It runs while the whole step is traced into one
        graph with every variable substituted (a :class:`~tensorweave.variables.StatelessScope`),
        so stateful-looking code is fine: call the model, take gradients with
        ``tw.value_and_grad`` over the trainable values, ``self.optimizer.apply(grads,
        self.trainable_variables)``, update metrics, return logs::

            def train_step(self, data):
                x, y, sw = tw.utils.unpack_x_y_sample_weight(data)
                params = self.trainable_variables
                def loss_fn(values):            # values: the variables' current values
                    y_pred = self(x, training=True)
                    loss = self.compute_loss(x, y, y_pred, sw)
                    # apply() divides the gradients by the optimizer's loss scale
                    return self.optimizer.scale_loss(loss), (loss, y_pred)
                (_, (loss, y_pred)), grads = tw.value_and_grad(loss_fn, has_aux=True)(
                    [v.value for v in params])
                self.optimizer.apply(grads, params)
                for m in self.metrics:
                    if m.name == "loss":
                        m.update_state(loss)
                    else:
                        m.update_state(y, y_pred, sw)
                return {m.name: m.result() for m in self.metrics}

        No ``GradientTape``: gradients come from differentiating the traced function.
        Python control flow runs once, at trace time (as under ``jax.jit``).
        """
        x, y, sw = unpack_x_y_sample_weight(data)
        trainable = self.trainable_weights

        def loss_fn(_params: Any) -> Any:
            with training_scope(True):
                y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sw, training=True)
            # differentiate the scaled loss (loss_scale_factor / LossScaleOptimizer's
            # dynamic scale), as Keras's trainers do: ``optimizer.apply`` divides the
            # gradients by that scale again; the logs report the unscaled loss
            return self._scale_loss(loss), (loss, y_pred)

        params = [v.value for v in trainable]
        (_, (loss, y_pred)), grads = value_and_grad(loss_fn, has_aux=True)(params)
        self.optimizer.apply(grads, trainable)
        return self._update_metrics(y, y_pred, sw, loss, _batch_size(x))

    def test_step(self, data: Any) -> dict:
        """One evaluation step on a batch; returns the logs. Override to customise
        ``evaluate`` (traced like :meth:`train_step`)."""
        x, y, sw = unpack_x_y_sample_weight(data)
        with training_scope(False):
            y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sw, training=False)
        return self._update_metrics(y, y_pred, sw, loss, _batch_size(x))

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for one batch. Override to customise ``predict``."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with training_scope(False):
            return self(x, training=False)

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics (not the loss trackers) with a batch and return
        :meth:`get_metrics_result` (Keras's ``Model.compute_metrics``)."""
        del x
        y = self._align_to_outputs(y)
        sample_weight = self._align_to_outputs(sample_weight, "sample_weight")
        true_leaves, _ = tree_flatten(y) if y is not None else ([], None)
        pred_leaves, _ = tree_flatten(y_pred)
        for key, i, m, kind in self._metric_objs or []:
            if key == "loss" or kind == "loss" or i is None or i >= len(true_leaves):
                continue
            sw = _pick_sw(sample_weight, i) if kind else None
            m.update_state(true_leaves[i], pred_leaves[i], sample_weight=sw)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        """``{log key: current result}`` of every metric (what the steps return)."""
        return {key: m.result() for key, _, m, _ in self._metric_objs or []}

    # ---- Keras's trainer attributes ----------------------------------------------------
    @property
    def run_eagerly(self) -> bool:
        """Recorded as Keras does. Every step is still a traced, compiled graph here (there
        is no separate eager path), so a custom step's Python runs once per signature."""
        return getattr(self, "_run_eagerly", False)

    @run_eagerly.setter
    def run_eagerly(self, value: bool) -> None:
        self._run_eagerly = bool(value)

    @property
    def jit_compile(self) -> bool:
        """Whether steps are compiled: ``"auto"`` resolves to True (tensorweave always
        compiles a step into one graph plan; False is recorded for Keras's API only)."""
        value = getattr(self, "_jit_compile", "auto")
        return True if value == "auto" else bool(value)

    @jit_compile.setter
    def jit_compile(self, value: Any) -> None:
        self._jit_compile = value

    @property
    def metrics_variables(self) -> list:
        """Every variable of the model's metrics (loss trackers included)."""
        return [v for m in self.metrics for v in m.variables]

    def make_train_function(self, force: bool = False) -> Any:
        """``self.train_function``: runs :meth:`train_step` (compiled once per batch
        signature) on a batch ``(x, y[, sample_weight])`` or on each batch of an iterator,
        and returns the last batch's logs as floats."""
        if getattr(self, "train_function", None) is not None and not force:
            return self.train_function
        self.train_function = self._step_function("train")
        return self.train_function

    def make_test_function(self, force: bool = False) -> Any:
        """``self.test_function``: :meth:`test_step` on a batch or an iterator of them."""
        if getattr(self, "test_function", None) is not None and not force:
            return self.test_function
        self.test_function = self._step_function("test")
        return self.test_function

    def make_predict_function(self, force: bool = False) -> Any:
        """``self.predict_function``: :meth:`predict_step` on a batch ``x`` (or ``(x,)``);
        returns NumPy outputs."""
        if getattr(self, "predict_function", None) is not None and not force:
            return self.predict_function
        model = self

        def predict_function(data: Any) -> Any:
            x, _, _ = unpack_x_y_sample_weight(data)
            result = model._run_step("predict", _data.to_numpy_tree(x), None, None)
            leaves, tree = tree_flatten(result)
            return tree_unflatten(tree, [ops.convert_to_numpy(t) for t in leaves])

        self.predict_function = predict_function
        return predict_function

    def _step_function(self, kind: str) -> Any:
        model = self

        def run(data: Any) -> dict:
            batches = [data] if isinstance(data, (tuple, list)) else data
            logs: dict = {}
            for batch in batches:
                x, y, sw = unpack_x_y_sample_weight(batch)
                y = _data.to_numpy_tree(y)
                logs = _floats(model._run_step(kind, _data.to_numpy_tree(x), y,
                                               _data._sample_weights(sw, y)))
            return logs

        run.__name__ = f"{kind}_function"
        return run

    def compile_from_config(self, config: dict) -> None:
        """Compile from :meth:`get_compile_config`'s dict (what ``load_model`` does)."""
        from tensorweave.saving import _compile_from_config

        _compile_from_config(self, config, None)

    def stateless_compute_loss(self, trainable_variables: list, non_trainable_variables: list,
                               metrics_variables: list, x: Any = None, y: Any = None,
                               y_pred: Any = None, sample_weight: Any = None,
                               training: bool = True) -> tuple:
        """:meth:`compute_loss` with the variables' values given (Keras's stateless form):
        returns ``(loss, (trainable, non_trainable, metrics variable values))``."""
        variables = (list(self.trainable_variables), list(self.non_trainable_variables),
                     list(self.metrics_variables))
        values = (trainable_variables, non_trainable_variables, metrics_variables)
        mapping = _mapping(variables, values)
        with StatelessScope(mapping) as scope:
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
            new = tuple([scope.value_of(v) for v in group] for group in variables)
        return loss, new

    def compute_loss_and_updates(self, trainable_variables: list,
                                 non_trainable_variables: list, metrics_variables: list,
                                 x: Any, y: Any, sample_weight: Any, training: bool = False,
                                 optimizer_variables: Any = None) -> tuple:
        """The forward pass and loss with the variables' values given (Keras's stateless
        form, differentiable with ``tw.value_and_grad(..., has_aux=True)`` over the first
        argument): returns ``(loss, (unscaled_loss, y_pred, non_trainable values, metrics
        values))``; in training the loss is ``optimizer.scale_loss(loss)`` (Keras's form)."""
        variables = (list(self.trainable_variables), list(self.non_trainable_variables),
                     list(self.metrics_variables))
        values = (trainable_variables, non_trainable_variables, metrics_variables)
        mapping = _mapping(variables, values)
        with StatelessScope(mapping) as scope:
            with training_scope(training):
                y_pred = self(x, training=training)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=training)
            non_trainable = [scope.value_of(v) for v in variables[1]]
            metrics = [scope.value_of(v) for v in variables[2]]
        unscaled_loss = loss
        if training and getattr(self, "optimizer", None) is not None:
            # the optimizer's scale variable (LossScaleOptimizer) read from the values
            # given, when given, as Keras does
            if optimizer_variables is None:
                loss = self._scale_loss(loss)
            else:
                opt_vars = list(getattr(self.optimizer, "variables", []) or [])
                with StatelessScope(_mapping((opt_vars,), (list(optimizer_variables),))):
                    loss = self._scale_loss(loss)
        return loss, (unscaled_loss, y_pred, non_trainable, metrics)

    def _scale_loss(self, loss: Any) -> Any:
        """``optimizer.scale_loss(loss)`` when the optimizer has one (else the loss)."""
        scale = getattr(getattr(self, "optimizer", None), "scale_loss", None)
        return loss if scale is None else scale(loss)

    def get_state_tree(self, value_format: str = "backend_tensor") -> dict:
        """The model's variables as nested dicts by variable path, in four groups
        (``trainable_variables``, ``non_trainable_variables``, ``optimizer_variables``,
        ``metrics_variables``); ``value_format`` "backend_tensor" or "numpy_array"."""
        if value_format not in ("backend_tensor", "numpy_array"):
            raise InvalidArgumentError("get_state_tree: argument 'value_format': expected "
                                       f"'backend_tensor' or 'numpy_array', got {value_format!r}")
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": list(getattr(self.optimizer, "variables", []) or []),
                  "metrics_variables": self.metrics_variables}
        out: dict = {}
        for key, variables in groups.items():
            tree: dict = {}
            for v in variables:
                value = v.value if value_format == "backend_tensor" else \
                    ops.convert_to_numpy(v.value)
                _nest(tree, _var_path(v), value)
            if tree:
                out[key] = tree
        return out

    def set_state_tree(self, state_tree: dict) -> None:
        """Assign values from :meth:`get_state_tree`'s structure (matched by path)."""
        groups = {"trainable_variables": self.trainable_variables,
                  "non_trainable_variables": self.non_trainable_variables,
                  "optimizer_variables": list(getattr(self.optimizer, "variables", []) or []),
                  "metrics_variables": self.metrics_variables}
        for key, tree in state_tree.items():
            if key not in groups:
                raise InvalidArgumentError(f"set_state_tree: unknown group {key!r}; expected "
                                           f"one of {sorted(groups)}")
            for v in groups[key]:
                node: Any = tree
                for part in _var_path(v).split("/"):
                    if not isinstance(node, dict) or part not in node:
                        raise InvalidArgumentError(f"set_state_tree: no value for variable "
                                                   f"{_var_path(v)!r} in {key!r}")
                    node = node[part]
                v.assign(node)

    def _all_state_vars(self) -> list:
        if self._state_vars is None:
            if not getattr(self, "compiled", False):
                return list(self.variables) + list(_seed_variables(self))
            seen: set[int] = set()
            out = []
            groups = [self.trainable_weights, self.non_trainable_variables,
                      getattr(self.optimizer, "variables", []),
                      [v for m in self.metrics for v in m.variables],
                      list(_seed_variables(self))]
            for group in groups:
                for v in group:
                    if id(v) not in seen:
                        seen.add(id(v))
                        out.append(v)
            self._state_vars = out
        return self._state_vars

    def _build_for(self, x: Any, y: Any) -> None:
        """Create every variable (layers, optimizer slots, metrics) before tracing."""
        if not self.built:
            self._build_from_batch(x)
        if not getattr(self, "compiled", False):
            return  # predict on an uncompiled model needs only the layers
        if getattr(self.optimizer, "_tw_built", False) is False and hasattr(self.optimizer,
                                                                              "build"):
            self.optimizer.build(self.trainable_weights)
            self.optimizer._tw_built = True
        if self._metric_objs is None:
            y_pred = self.compute_output_spec_for(x)
            self._setup_losses_and_metrics(y, y_pred)

    def _make_step(self, kind: str, x: Any, y: Any, sw: Any) -> _Step:
        state = self._all_state_vars()
        n_vars = len(state)
        model = self
        out_vars: list = []

        def step(state_vals: list, x: Any, y: Any, sw: Any) -> Any:
            mapping = dict(zip(state, state_vals))
            with StatelessScope(mapping) as scope:
                data = pack_x_y_sample_weight(x, y, sw)
                if kind == "train":
                    out: Any = model.train_step(data)
                elif kind == "test":
                    out = model.test_step(data)
                else:
                    out = model.predict_step(data)
                # predict returns only what it changed (e.g. stateful RNN states)
                out_vars[:] = state if kind != "predict" else \
                    [v for v in state if id(v) in scope.assigned]
                new_state = [scope.value_of(v) for v in out_vars]
            return out, new_state

        state_vals = [v._value for v in state]
        try:
            graph = trace(step, state_vals, x, y, sw, name=f"{kind}_step")
        finally:
            # the trace's add_loss terms are symbolic: they live on in the graph only
            self._clear_call_losses()
        backend = state_vals[0]._backend if state_vals else current()
        plan = compile_graph(graph, backend)
        return _Step(plan, n_vars, graph.out_tree, len(out_vars), state, list(out_vars))

    def _execute(self, kind: str, x: Any, y: Any, sw: Any, backend: Any = None) -> tuple:
        """Run the ``kind`` step on one batch; returns ``(step, output arrays)``.

        The fast path: a batch of plain NumPy arrays (x, y, sample weights, or None) whose
        signature was seen before goes straight to the plan, with no tensor conversion,
        no tree walk and no backend look-up (``backend`` is the one the caller resolved
        once per ``fit``/``evaluate``/``predict``). Anything else, and the first batch of
        each signature, takes the general path, which compiles the step if needed and
        registers the fast key once it has checked that conversion passes the arrays
        through unchanged.
        """
        be = current() if backend is None else backend
        fkey = _fast_key(kind, be, x, y, sw)
        if fkey is not None:
            step = self._steps.get(fkey)
            if step is not None:
                return step, step.run([a for a in (x, y, sw) if a is not None])
        x_t, y_t, sw_t = _to_tensors(x, be), _to_tensors(y, be), _to_tensors(sw, be)
        leaves, tree = tree_flatten([x_t, y_t, sw_t])
        key = (kind, tree, tuple(leaf_spec(v) for v in leaves))
        step = self._steps.get(key)
        if step is None:
            self._build_for(x_t, y_t)
            step = self._make_step(kind, x_t, y_t, sw_t)
            self._steps[key] = step
        batch = [v._data for v in leaves]
        if fkey is not None and all(b is a for b, a in zip(batch, [a for a in (x, y, sw)
                                                                   if a is not None])):
            self._steps[fkey] = step
        return step, step.run(batch)

    def _run_step(self, kind: str, x: Any, y: Any, sw: Any) -> Any:
        step, outs = self._execute(kind, x, y, sw)
        return step.result(outs)

    # ---- fit -------------------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None,
            epochs: int = 1, verbose: Any = "auto", callbacks: Any = None,
            validation_split: float = 0.0, validation_data: Any = None,
            shuffle: bool | str = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1,
            **kwargs: Any) -> Any:
        self._require_compiled("fit")
        if kwargs:
            raise InvalidArgumentError(f"fit: unexpected keyword argument(s) {sorted(kwargs)}")
        if x is None:
            raise InvalidArgumentError("fit: argument 'x' is required")
        train = _data.adapt(x, y, sample_weight, batch_size, shuffle, class_weight,
                            steps_per_epoch)
        val = None
        if validation_split and validation_data is None:
            if not isinstance(train, _data.ArrayData):
                raise InvalidArgumentError("fit: validation_split needs array data; pass "
                                           "validation_data for generators and datasets")
            train, val = train.split(validation_split)
        elif validation_data is not None:
            if isinstance(validation_data, tuple) and len(validation_data) in (2, 3):
                vx, vy = validation_data[0], validation_data[1]
                vsw = validation_data[2] if len(validation_data) == 3 else None
                val = _data.adapt(vx, vy, vsw, validation_batch_size or batch_size, False)
            else:
                val = _data.adapt(validation_data, None, None, validation_batch_size, False,
                                  steps=validation_steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        steps = steps_per_epoch or train.steps
        cbs = _callbacks.CallbackList(callbacks, add_history=True,
                                      add_progbar=verbose != 0, model=self)
        history = cbs.history
        first_x, first_y, first_sw = _first_batch(train)
        self._build_for(_to_tensors(first_x), _to_tensors(first_y))
        names = self._log_order()
        log_keys = list(names) + ([f"val_{n}" for n in names] if val is not None else [])
        cbs.set_model(self)
        cbs.set_params({"epochs": epochs, "steps": steps, "verbose": verbose,
                        "metrics": log_keys, "batch_size": batch_size})
        self.stop_training = False
        self.history = history
        rng = _shuffle_rng()
        be = current()
        cbs.on_train_begin()
        # a BackupAndRestore callback leaves the epoch to resume from in _initial_epoch
        initial_epoch = getattr(self, "_initial_epoch", None) or initial_epoch
        epoch_logs: dict = {}
        finished = False
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                # per-batch hooks only for callbacks that listen; logs (floats read from the
                # step's outputs) only for listeners that use them; History and the epoch
                # line need just the epoch's last values, read once below
                begin, end, need_logs = _batch_listeners(cbs, "on_train_batch")
                step = outs = None
                step_i = 0
                for bx, by, bsw in train.batches(rng):
                    if begin:
                        cbs.on_train_batch_begin(step_i)
                    step, outs = self._execute("train", bx, by, bsw, be)
                    if end:
                        cbs.on_train_batch_end(step_i, step.logs(outs) if need_logs else {})
                    step_i += 1
                    if self.stop_training or (steps_per_epoch and step_i >= steps_per_epoch):
                        break
                epoch_logs = step.logs(outs) if step is not None else {}
                if val is not None and (epoch + 1) % validation_freq == 0 and \
                        not self.stop_training:
                    val_logs = self._evaluate_data(val, callbacks=None)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
            finished = True
        finally:
            # as Keras: the EMA weights (use_ema) go into the model at the end of
            # training, even when it was interrupted
            if isinstance(self.optimizer, _optimizers.Optimizer) and epochs > 0:
                self.optimizer.finalize_variable_values(self.trainable_weights)
        if finished:
            cbs.on_train_end(epoch_logs)
        return history

    def fit_generator(self, generator: Any, steps_per_epoch: int | None = None,
                      epochs: int = 1, **kwargs: Any) -> Any:
        """Keras-2 spelling of ``fit`` on a generator (kept for old tutorials)."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, **kwargs)

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    # ---- evaluate ---------------------------------------------------------------------------
    def _evaluate_data(self, adapter: Any, callbacks: Any = None) -> dict:
        self.reset_metrics()
        be = current()
        begin = end = need_logs = False
        if callbacks is not None:
            begin, end, need_logs = _batch_listeners(callbacks, "on_test_batch")
        step = outs = None
        for i, (bx, by, bsw) in enumerate(adapter.batches(None)):
            if begin:
                callbacks.on_test_batch_begin(i)
            step, outs = self._execute("test", bx, by, bsw, be)
            if end:
                callbacks.on_test_batch_end(i, step.logs(outs) if need_logs else {})
        return step.logs(outs) if step is not None else {}

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any) -> Any:
        self._require_compiled("evaluate")
        adapter = _data.adapt(x, y, sample_weight, batch_size, False, steps=steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        cbs = _callbacks.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                      epochs=1, steps=adapter.steps, verbose=verbose,
                                      metrics=self._log_order())
        cbs.on_test_begin()
        logs = self._evaluate_data(adapter, cbs)
        cbs.on_test_end(logs)
        if return_dict:
            return logs
        return _logs_out(self, logs, False)

    def evaluate_generator(self, generator: Any, steps: int | None = None, **kwargs: Any) -> Any:
        return self.evaluate(generator, steps=steps, **kwargs)

    # ---- predict -------------------------------------------------------------------------------
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Any = None) -> Any:
        adapter = _data.adapt(x, None, None, batch_size, False, steps=steps)
        be = current()
        outs: list = []
        # off the host (a GPU), batch results stay on the device and are copied out a
        # few MiB at a time (one concatenation and one transfer per output and chunk)
        host = be.shares_host_memory
        pending: list = []
        pending_bytes = 0
        for bx, _, _ in adapter.batches(None):
            step, arrays = self._execute("predict", bx, None, None, be)
            leaves, tree = tree_flatten(step.result(arrays))
            if host:
                outs.append(([ops.convert_to_numpy(t) for t in leaves], tree))
                continue
            pending.append(leaves)
            pending_bytes += sum(int(np.prod(t.shape)) * t.dtype.itemsize for t in leaves)
            if pending_bytes >= _PREDICT_CHUNK_BYTES:
                outs.append((_to_host_concat(pending), tree))
                pending, pending_bytes = [], 0
        if pending:
            outs.append((_to_host_concat(pending), tree))
        if not outs:
            raise InvalidArgumentError("predict: no data")
        tree = outs[0][1]
        cols = list(zip(*[o[0] for o in outs]))
        return tree_unflatten(tree, [np.concatenate(c, axis=0) for c in cols])

    def predict_generator(self, generator: Any, steps: int | None = None, **kwargs: Any) -> Any:
        return self.predict(generator, steps=steps, **kwargs)

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """Keras-2 helper: class indices (argmax, or > 0.5 for one sigmoid unit)."""
        proba = self.predict(x, batch_size=batch_size)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        return self.predict(x, batch_size=batch_size)

    # ---- single batches --------------------------------------------------------------------------
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        self._require_compiled("train_on_batch")
        adapter = _data.ArrayData(x, y, sample_weight, None, False, class_weight)
        adapter.batch_size = adapter.n
        bx, by, bsw = next(adapter.batches(None))
        self.reset_metrics()
        logs = _floats(self._run_step("train", bx, by, bsw))
        return _logs_out(self, logs, return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        self._require_compiled("test_on_batch")
        adapter = _data.ArrayData(x, y, sample_weight, None, False)
        adapter.batch_size = adapter.n
        bx, by, bsw = next(adapter.batches(None))
        self.reset_metrics()
        logs = _floats(self._run_step("test", bx, by, bsw))
        return _logs_out(self, logs, return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        result = self._run_step("predict", _data.to_numpy_tree(x), None, None)
        leaves, tree = tree_flatten(result)
        return tree_unflatten(tree, [ops.convert_to_numpy(t) for t in leaves])


# ---- helpers -------------------------------------------------------------------------------------
def _mapping(variables: tuple, values: tuple) -> dict:
    mapping = {}
    for group, vals in zip(variables, values):
        if vals is None:
            continue
        if len(group) != len(vals):
            raise InvalidArgumentError(f"expected {len(group)} variable values, got "
                                       f"{len(vals)}")
        for v, val in zip(group, vals):
            mapping[v] = val if ops.is_tensor(val) else ops.convert_to_tensor(val)
    return mapping


def _var_path(v: Any) -> str:
    return str(getattr(v, "path", None) or v.name)


def _nest(tree: dict, path: str, value: Any) -> None:
    parts = path.split("/")
    node = tree
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _metric_class(name: str) -> Any:
    import tensorweave.metrics as _metrics

    return _metrics.get(name)


def _spread_metrics(arg: Any, names: list[str]) -> list:
    if isinstance(arg, dict):
        return [_as_list(arg.get(n)) for n in names]
    if isinstance(arg, (list, tuple)) and len(names) > 1 and arg and all(
            isinstance(a, (list, tuple)) or a is None for a in arg):
        return [_as_list(a) for a in arg]
    return [_as_list(arg)] * len(names)


def _as_list(v: Any) -> list:
    if v is None:
        return []
    return list(v) if isinstance(v, (list, tuple)) else [v]


def _pick_sw(sample_weight: Any, i: int) -> Any:
    if sample_weight is None:
        return None
    if isinstance(sample_weight, (list, tuple)):
        return sample_weight[i]
    if isinstance(sample_weight, dict):
        leaves, _ = tree_flatten(sample_weight)  # dict outputs: the sorted keys' order
        return leaves[i]
    return sample_weight


def _batch_size(x: Any) -> Any:
    leaves, _ = tree_flatten(x)
    n = leaves[0].shape[0] if leaves and leaves[0].shape else 1
    return ops.convert_to_tensor(float(n), "float32")


def _to_tensors(tree: Any, backend: Any = None) -> Any:
    if tree is None:
        return None
    leaves, t = tree_flatten(tree)
    return tree_unflatten(t, [ops.convert_to_tensor(a, backend=backend) for a in leaves])


_SLOW = object()


def _leaf_key(a: Any) -> Any:
    if a is None:
        return None
    if type(a) is np.ndarray:
        return a.shape, a.dtype
    return _SLOW


def _fast_key(kind: str, backend: Any, x: Any, y: Any, sw: Any) -> Any:
    """Cache key of a batch of plain NumPy arrays (None when the batch is anything else).
    It lives in ``self._steps`` next to the general keys, so whatever resets the
    compiled steps (compile, adding or popping layers) resets it too."""
    kx, ky, ks = _leaf_key(x), _leaf_key(y), _leaf_key(sw)
    if kx is _SLOW or kx is None or ky is _SLOW or ks is _SLOW:
        return None
    return ("fast", kind, backend, kx, ky, ks)


def _batch_listeners(cbs: Any, prefix: str) -> tuple[bool, bool, bool]:
    """(anyone listens to ``<prefix>_begin``, to ``<prefix>_end``, someone needs the
    logs). The built-in progress bar reads batch logs only when it redraws a live bar
    (``verbose=1`` on a terminal or in a notebook); otherwise it only counts steps."""
    listeners = getattr(cbs, "_listeners", None)
    if listeners is None:
        return True, True, True
    begin = bool(listeners(prefix + "_begin"))
    end_cbs = listeners(prefix + "_end")
    need = False
    for cb in end_cbs:
        if type(cb) is _callbacks.ProgbarLogger and not (
                getattr(cb, "verbose", 1) == 1 and getattr(cb, "_dynamic", True)):
            continue
        need = True
        break
    return begin, bool(end_cbs), need


_PREDICT_CHUNK_BYTES = 16 << 20


def _to_host_concat(batches: list) -> list:
    """Per output: the batches' device tensors concatenated on the device, then one
    NumPy copy."""
    if len(batches) == 1:
        return [ops.convert_to_numpy(t) for t in batches[0]]
    return [ops.convert_to_numpy(ops.concatenate(list(col), axis=0))
            for col in zip(*batches)]


def _floats(logs: dict) -> dict:
    """``{key: float}``; scalars on a device backend are stacked and copied to the host in
    one synchronisation instead of one per key."""
    values = list(logs.values())
    if len(values) > 1 and all(ops.is_tensor(v) for v in values):
        backend = values[0]._backend
        if not backend.shares_host_memory and all(v._backend is backend and v.ndim == 0
                                                  for v in values):
            stacked = ops.stack([ops.cast(v, "float64") for v in values])
            return dict(zip(logs, (float(v) for v in ops.convert_to_numpy(stacked))))
    return {k: float(v) for k, v in logs.items()}


def _logs_out(model: Any, logs: dict, return_dict: bool) -> Any:
    if return_dict:
        return logs
    order = model._log_order()
    values = [logs[k] for k in order if k in logs]
    values += [logs[k] for k in sorted(logs) if k not in order]
    return values[0] if len(values) == 1 else values


def _first_batch(adapter: Any) -> tuple:
    if isinstance(adapter, _data.ArrayData):
        n = min(adapter.batch_size, adapter.n)
        sl = slice(0, n)
        return _data.take(adapter.x, sl), _data.take(adapter.y, sl), None
    if isinstance(adapter, _data.IterableData) and hasattr(adapter.source, "__getitem__") \
            and hasattr(adapter.source, "__len__"):
        x, y, sw = _data.split_batch(adapter.source[0])
        return _data.to_numpy_tree(x), _data.to_numpy_tree(y), sw
    it = adapter.batches(None)
    first = next(iter(it))
    # put the batch back in front for sources that cannot restart
    src = adapter.source

    def chain() -> Any:
        yield (first[0], first[1]) if first[2] is None else first
        yield from _raw(src)

    if hasattr(src, "__next__"):
        adapter.source = chain()
    return first


def _raw(src: Any) -> Any:
    yield from src


def _shuffle_rng() -> np.random.Generator:
    """Shuffling order drawn from NumPy's global generator, which
    ``tw.utils.set_random_seed`` seeds: seeded runs repeat exactly."""
    return np.random.default_rng(int(np.random.randint(0, 2**31 - 1)))


def _seed_variables(model: Any) -> list:
    out = []
    for layer in model._flatten_layers():
        for value in layer.__dict__.values():
            state = getattr(value, "state", None)
            if type(value).__name__ == "SeedGenerator" and state is not None:
                out.append(state)
    return out


def _config_of(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_config_of(o) for o in obj]
    if isinstance(obj, dict):
        return {k: _config_of(v) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    return getattr(obj, "__name__", repr(obj))

