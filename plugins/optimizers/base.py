"""The optimizer base class: state in Variables, updates written with ``tw.ops`` + ``assign``.

Why it is built this way:

* **One code path, eager and compiled.** ``apply`` only reads variables and writes them
  with ``Variable.assign``. Eagerly that updates the variables at once; inside a traced
  training step under a :class:`~tensorweave.variables.StatelessScope` the same calls read
  the traced inputs and *record* the new values, which the trainer returns from the
  compiled step. So the update has no Python branch on tensor values and never calls
  ``.numpy()``: every branch below depends only on hyperparameters fixed at construction.
* **The learning rate lives in a Variable** (when it is a number). ``ReduceLROnPlateau``
  or a user writing ``optimizer.learning_rate = 0.01`` changes the Variable's value, which
  the compiled step reads as an input, so nothing is retraced and no stale constant is
  baked into the graph.
* **State is a flat, ordered list** (``variables``: iterations, learning rate, then the
  slots in creation order), saved under the keys ``"0"``, ``"1"`` ... as Keras 3 does, so
  resuming training continues the same trajectory.

Formulas follow Keras 3 (``keras/src/optimizers``), including the order of clipping,
decoupled weight decay and the update.

Choices that differ from Keras 3, on purpose:

* ``lr=`` (Keras 2) is accepted as an alias of ``learning_rate`` with a
  ``DeprecationWarning``.
* ``decay=`` (Keras 2's time decay) is *honoured*, not ignored: Keras 3 drops it with a
  warning, which silently changes the training of the 2017-era tutorials this library's
  users start from. The effective rate is ``learning_rate / (1 + decay * iterations)``,
  exactly Keras 2's rule, applied inside the update so ``learning_rate`` stays settable.
  A ``DeprecationWarning`` points to ``schedules.InverseTimeDecay``.
* ``learning_rate`` (the property) returns a Python ``float`` when the rate is a number
  (Keras returns the Variable; a float prints and compares as users expect); with a
  schedule it returns the schedule's current value as a tensor.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from tensorweave import ops
from tensorweave.errors import (
    InvalidArgumentError,
    SerializationError,
    ShapeError,
    describe,
)
from tensorweave.variables import StatelessScope, Variable

from .schedules import LearningRateSchedule

__all__ = ["Optimizer", "LearningRateNotSettableError", "clip_by_global_norm", "global_norm"]


class LearningRateNotSettableError(InvalidArgumentError, TypeError):
    """Assigning a number to the learning rate of an optimizer built with a schedule.

    Derives from ``TypeError`` too, as Keras raises a ``TypeError`` here."""


def _concrete(x: Any) -> Any:
    """The concrete tensor behind ``x``: a Variable's stored value even while a trace or a
    StatelessScope substitutes it (used only to place and shape new state, never to
    compute an update)."""
    if isinstance(x, Variable):
        return x._value
    return x if ops.is_tensor(x) else ops.convert_to_tensor(x)


def _index_of(items: list[Any], item: Any) -> int:
    """Position by identity: ``list.index`` would call ``==``, which on tensors is the
    elementwise ``equal`` op (and could match two Variables holding equal values)."""
    for i, x in enumerate(items):
        if x is item:
            return i
    raise ValueError("not in list")


def as_value(x: Any) -> Any:
    """The current value of a Variable (the substituted one inside a StatelessScope or a
    trace) as a tensor; anything else unchanged."""
    get = getattr(x, "_tw_tensor", None)
    return get() if get is not None else x


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _check_number(owner: str, arg: str, value: Any, lo: float | None = None,
                  hi: float | None = None, lo_open: bool = False, hi_open: bool = False,
                  allow_none: bool = False) -> Any:
    """Validate a hyperparameter at construction, naming the optimizer and argument."""
    if value is None and allow_none:
        return None
    lo_s = "(" if lo_open else "["
    hi_s = ")" if hi_open else "]"
    rng = f" in {lo_s}{'-inf' if lo is None else lo}, {'inf' if hi is None else hi}{hi_s}"
    if not _is_number(value) or math.isnan(value):
        raise InvalidArgumentError(describe(owner, arg, "a number" + rng, value))
    bad = ((lo is not None and (value < lo or (lo_open and value == lo)))
           or (hi is not None and (value > hi or (hi_open and value == hi))))
    if bad:
        raise InvalidArgumentError(describe(owner, arg, "a number" + rng, value))
    return value


def global_norm(values: Sequence[Any]) -> Any:
    """``sqrt(sum of squares)`` over every tensor of ``values`` (``None`` entries skipped)."""
    total = None
    for v in values:
        if v is None:
            continue
        s = ops.sum(ops.square(v))
        total = s if total is None else ops.add(total, s)
    return ops.sqrt(total)


def clip_by_global_norm(values: Sequence[Any], clip_norm: float) -> list[Any]:
    """Scale all tensors by ``clip_norm / max(global_norm, clip_norm)`` (Keras 3's rule).

    ``norm - norm`` is added to the scale so that an infinite or NaN norm gives NaN
    gradients (as Keras), instead of silently zeroing them."""
    norm = global_norm(values)
    scale = ops.add(ops.divide(clip_norm, ops.maximum(norm, clip_norm)),
                    ops.subtract(norm, norm))
    return [None if v is None else ops.multiply(v, ops.cast(scale, v.dtype)) for v in values]


def _clip_by_norm(g: Any, clipnorm: float) -> Any:
    """Keras 3's per-tensor ``_clip_by_norm``: ``g * c / max(||g||, c)`` with the
    two-``where`` guard so a zero gradient gives no NaN."""
    l2sum = ops.sum(ops.square(g), keepdims=True)
    pred = ops.greater(l2sum, 0)
    l2sum_safe = ops.where(pred, l2sum, ops.ones_like(l2sum))
    l2norm = ops.where(pred, ops.sqrt(l2sum_safe), l2sum)
    return ops.divide(ops.multiply(g, clipnorm), ops.maximum(l2norm, clipnorm))


def _restoring_state(build: Any) -> Any:
    """Wrap an optimizer's ``build``: the outermost call (not the ``super().build`` calls
    inside it) is skipped when the optimizer is already built, and applies a pending
    loaded state once every slot exists."""
    @functools.wraps(build)
    def wrapper(self: Any, variables: Any) -> None:
        outermost = not self.__dict__.get("_building", False)
        if not outermost:
            build(self, variables)
            return
        if self.built:
            return
        self._building = True
        try:
            build(self, variables)
        finally:
            self._building = False
        self._finish_build()

    wrapper._tw_restores_state = True  # type: ignore[attr-defined]
    return wrapper


class Optimizer:
    """Base class of every optimizer; subclasses implement :meth:`build` and
    :meth:`update_step` (and list their hyperparameters in :meth:`get_config`).

    Args:
        learning_rate: a float, a :class:`LearningRateSchedule` (called with the
            iteration count) or a no-argument callable.
        weight_decay: decoupled weight decay: ``var -= lr * weight_decay * var`` before
            the update (Keras 3 / AdamW style), for every variable not excluded with
            :meth:`exclude_from_weight_decay`.
        clipnorm: clip each gradient to this L2 norm (per variable).
        clipvalue: clip each gradient element into ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
            At most one of the three clipping arguments may be set.
        use_ema: keep an exponential moving average of the trained variables
            (``average = ema_momentum * average + (1 - ema_momentum) * var``, the
            first step copies the variable), written back every
            ``ema_overwrite_frequency`` steps when that is set and by
            :meth:`finalize_variable_values` (the end of ``fit``).
        ema_momentum: the average's momentum, in ``[0, 1]``.
        ema_overwrite_frequency: ``None`` or an int >= 1.
        loss_scale_factor: multiply the loss by this in :meth:`scale_loss` and divide
            the gradients by it in :meth:`apply`.
        gradient_accumulation_steps: ``None`` or an int >= 2: gradients are summed over
            that many calls and the mean applied on the last one; ``iterations`` then
            counts the applied updates.
        name: a name for the optimizer's variables.
        lr: Keras 2 alias of ``learning_rate`` (deprecated).
        decay: Keras 2 time decay (deprecated, honoured): the rate used at step ``t`` is
            ``learning_rate / (1 + decay * t)``.
    """

    #: default name when ``name=None``; subclasses set Keras's
    default_name: str = "optimizer"

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        cls = type(self).__name__
        if "lr" in kwargs:
            learning_rate = kwargs.pop("lr")
            warnings.warn(f"{cls}: `lr` is deprecated; use `learning_rate`",
                          DeprecationWarning, stacklevel=3)
        decay = kwargs.pop("decay", None)
        if decay is not None and decay != 0:
            _check_number(cls, "decay", decay, lo=0.0)
            warnings.warn(
                f"{cls}: `decay` is a Keras 2 argument; it is honoured (the rate at step t "
                f"is learning_rate / (1 + decay * t)), but prefer "
                f"learning_rate=tw.optimizers.schedules.InverseTimeDecay(lr, 1, decay)",
                DeprecationWarning, stacklevel=3)
        self.decay = float(decay) if decay else 0.0
        self.loss_scale_factor = _check_number(
            cls, "loss_scale_factor", loss_scale_factor, lo=0.0, lo_open=True,
            allow_none=True)
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if self.use_ema:
            self.ema_momentum = _check_number(cls, "ema_momentum", ema_momentum, lo=0.0, hi=1.0)
            if ema_overwrite_frequency is not None and (
                    isinstance(ema_overwrite_frequency, bool)
                    or not isinstance(ema_overwrite_frequency, int)
                    or ema_overwrite_frequency < 1):
                raise InvalidArgumentError(describe(cls, "ema_overwrite_frequency",
                                                    "None or an int >= 1",
                                                    repr(ema_overwrite_frequency)))
        if gradient_accumulation_steps is not None and (
                isinstance(gradient_accumulation_steps, bool)
                or not isinstance(gradient_accumulation_steps, int)
                or gradient_accumulation_steps < 2):
            raise InvalidArgumentError(describe(cls, "gradient_accumulation_steps",
                                                "None or an int >= 2",
                                                repr(gradient_accumulation_steps)))
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._model_variables_moving_average: list[Any] = []
        self._accumulated_gradients: list[Any] = []
        if kwargs:
            raise InvalidArgumentError(
                f"{cls}: unknown argument(s) {sorted(kwargs)}; accepted: learning_rate, "
                f"{', '.join(self._hyper_names())}, weight_decay, clipnorm, clipvalue, "
                f"global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, "
                f"loss_scale_factor, gradient_accumulation_steps, name (and Keras 2's lr, "
                f"decay)")

        self.name = name or self.default_name
        self.weight_decay = _check_number(cls, "weight_decay", weight_decay, lo=0.0,
                                          allow_none=True)
        self.clipnorm = _check_number(cls, "clipnorm", clipnorm, lo=0.0, allow_none=True)
        self.clipvalue = _check_number(cls, "clipvalue", clipvalue, lo=0.0, allow_none=True)
        self.global_clipnorm = _check_number(cls, "global_clipnorm", global_clipnorm, lo=0.0,
                                             allow_none=True)
        set_clips = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                        ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(set_clips) > 1:
            raise InvalidArgumentError(describe(
                cls, "clipnorm/clipvalue/global_clipnorm", "at most one of them set",
                ", ".join(f"{k}={v}" for k, v in set_clips.items())))

        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Any] = []
        self._index: dict[int, int] = {}
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern[str] | None = None
        self._pending_store: dict[str, Any] | None = None

        self._iterations = Variable(0, dtype="int64", trainable=False,
                                    name=f"{self.name}/iteration")
        self._variables.append(self._iterations)
        self._learning_rate: Any = None
        self._lr_python: float | None = None
        self._set_initial_learning_rate(learning_rate)

    # ---- hyperparameters ------------------------------------------------------------
    def _hyper_names(self) -> list[str]:
        """The subclass's own hyperparameter names, from its signature (error messages)."""
        import inspect

        params = inspect.signature(type(self).__init__).parameters
        return [n for n, p in params.items()
                if n != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
                and n not in _BASE_CONFIG_KEYS]

    def _set_initial_learning_rate(self, learning_rate: Any) -> None:
        cls = type(self).__name__
        if isinstance(learning_rate, LearningRateSchedule) or (
                callable(learning_rate) and not _is_number(learning_rate)):
            self._learning_rate = learning_rate
            return
        _check_number(cls, "learning_rate", learning_rate, lo=0.0)
        self._lr_python = float(learning_rate)
        self._learning_rate = Variable(float(learning_rate), dtype="float32", trainable=False,
                                       name=f"{self.name}/learning_rate")
        self._variables.append(self._learning_rate)

    @property
    def iterations(self) -> Any:
        """The number of updates applied so far (an int64 Variable); with
        ``gradient_accumulation_steps`` the number of calls divided by it (a tensor)."""
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    @property
    def learning_rate(self) -> Any:
        """The current learning rate: a Python float when it is a number, the schedule's
        value at the current iteration (a tensor) when it is a schedule."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            value = float(lr)
            cached = self._lr_python
            if cached is not None and float(_f32(cached)) == value:
                return cached
            return value
        if isinstance(lr, LearningRateSchedule):
            return lr(self.iterations)
        return lr()

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        cls = type(self).__name__
        if isinstance(value, LearningRateSchedule) or (callable(value) and not _is_number(value)):
            if isinstance(self._learning_rate, Variable):
                self._variables.pop(_index_of(self._variables, self._learning_rate))
            self._learning_rate = value
            self._lr_python = None
            return
        if not isinstance(self._learning_rate, Variable):
            raise LearningRateNotSettableError(
                f"{cls}: the learning rate is a {type(self._learning_rate).__name__}, so it "
                f"cannot be set to the number {value!r}; create the optimizer with a float "
                "learning_rate to make it settable (e.g. for ReduceLROnPlateau)")
        if ops.is_tensor(value) and not isinstance(value, Variable):
            value = float(value)  # a concrete 0-d tensor (symbolic ones raise here)
        elif hasattr(value, "item") and not _is_number(value):
            value = value.item()  # a NumPy scalar
        _check_number(cls, "learning_rate", value, lo=0.0)
        self._learning_rate.assign(float(value))
        self._lr_python = float(value)

    @property
    def lr(self) -> Any:
        """Keras 2 spelling of :attr:`learning_rate`. A numeric rate comes back as a float
        that remembers this optimizer, so Keras 2's ``K.set_value(model.optimizer.lr, v)``
        (``tw.backend.set_value``) sets the rate."""
        value = self.learning_rate
        return _LearningRateValue(value, self) if isinstance(value, float) else value

    @lr.setter
    def lr(self, value: Any) -> None:
        self.learning_rate = value

    def _current_learning_rate(self) -> Any:
        """The rate the update uses: the Variable itself (read as a traced input when
        compiled), or the schedule evaluated on the iteration counter."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return lr(self.iterations)
        return lr()

    # ---- variables ------------------------------------------------------------------
    @property
    def variables(self) -> list[Variable]:
        """Every optimizer Variable: iterations, the learning rate (when a number), then
        the slot variables in creation order. Stable, and the order of the saved state."""
        return list(self._variables)

    def add_variable(self, shape: Sequence[int], initializer: Any = 0.0,
                     dtype: Any = "float32", name: str | None = None,
                     like: Any = None) -> Variable:
        """A new optimizer Variable filled with ``initializer`` (a number), on the backend
        of ``like`` (a model variable) when given, else on the current backend."""
        from tensorweave.backend_registry import backend_scope

        if like is not None:
            with backend_scope(_concrete(like)._backend.name):
                value = ops.full(tuple(shape), initializer, dtype=dtype)
        else:
            value = ops.full(tuple(shape), initializer, dtype=dtype)
        var = Variable(value, trainable=False, name=f"{self.name}/{name or 'var'}")
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable: Any, name: str | None = None,
                                    initializer: Any = 0.0) -> Variable:
        """A slot with the shape, dtype and backend of ``reference_variable``."""
        ref = _concrete(reference_variable)
        ref_name = str(getattr(reference_variable, "name", "var")).replace("/", "_")
        return self.add_variable(ref.shape, initializer, ref.dtype,
                                 f"{ref_name}_{name or 'var'}", like=reference_variable)

    def add_optimizer_variables(self, trainable_variables: Sequence[Any],
                                name: str | Sequence[str], initializer: Any = 0.0
                                ) -> Any:
        """One slot per trainable variable. With a list of names, one list per name,
        created interleaved per variable (Keras's order, so saved states line up)."""
        if isinstance(name, str):
            return [self.add_variable_from_reference(v, name, initializer)
                    for v in trainable_variables]
        names = list(name)
        inits = (list(initializer) if isinstance(initializer, (list, tuple))
                 else [initializer] * len(names))
        out: tuple[list[Variable], ...] = tuple([] for _ in names)
        for v in trainable_variables:
            for lst, n, init in zip(out, names, inits):
                lst.append(self.add_variable_from_reference(v, n, init))
        return out

    def _move_state_to(self, backend: Any) -> None:
        """Put iterations and the learning-rate Variable on the model's backend when the
        optimizer was created under another one (data moves explicitly, never implicitly)."""
        for attr in ("_iterations", "_learning_rate"):
            old = getattr(self, attr)
            if not isinstance(old, Variable) or old._value._backend is backend:
                continue
            new = Variable(ops.to_backend(old._value, backend), trainable=False, name=old.name)
            self._variables[_index_of(self._variables, old)] = new
            setattr(self, attr, new)

    def build(self, variables: Sequence[Any]) -> None:
        """Create the slot variables for ``variables`` (the trainable variables, in the
        order gradients will come). Call it before tracing a training step, so the slots
        exist as concrete Variables the trainer can map to graph inputs."""
        variables = list(variables)
        if variables:
            self._move_state_to(_concrete(variables[0])._backend)
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator")
        self.built = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass's ``build`` only creates its slots; restoring a state loaded before
        # the slots existed, and ignoring a second ``build``, happen around it here, so
        # a third-party optimizer needs no private call at the end of its ``build``.
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_tw_restores_state", False):
            cls.build = _restoring_state(build)  # type: ignore[method-assign]

    def _finish_build(self) -> None:
        """Apply a state loaded before the slots existed (see :meth:`load_own_variables`)."""
        if self._pending_store is not None:
            store, self._pending_store = self._pending_store, None
            self.load_own_variables(store)

    def variable_index(self, variable: Any) -> int:
        """The position of a trainable ``variable`` in the list :meth:`build` received:
        the index into the slot lists a subclass made with
        :meth:`add_optimizer_variables` (``self.momentums[self.variable_index(v)]``)."""
        try:
            return self._index[id(variable)]
        except KeyError:
            raise InvalidArgumentError(describe(
                f"{type(self).__name__}.variable_index", "variable",
                "one of the variables the optimizer was built with",
                repr(getattr(variable, "name", variable)))) from None

    # ---- the update -----------------------------------------------------------------
    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        """Update one variable (and its slots) with ``assign``; subclasses implement it."""
        raise _AbstractMethodError(
            f"{type(self).__name__}: an optimizer must implement update_step(gradient, "
            "variable, learning_rate)")

    def _backend_update_step(self, grads: Sequence[Any], variables: Sequence[Any],
                             learning_rate: Any) -> None:
        for g, v in zip(grads, variables):
            self.update_step(g, v, learning_rate)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> Variable:
        """Keras / tf.keras spelling: ``apply_gradients(zip(grads, vars))``."""
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, variables = zip(*pairs)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None
              ) -> None:
        """Apply one update: clip, decoupled weight decay, the algorithm's step, then
        ``iterations += 1`` and the variables' constraints (Keras 3's order).

        Works eagerly and inside a traced step under a StatelessScope: only ``assign``
        writes state, and nothing branches on tensor values."""
        cls = type(self).__name__
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise InvalidArgumentError(
                    f"{cls}.apply: without trainable_variables the optimizer must be built "
                    "first; call optimizer.build(trainable_variables)")
            variables = list(self._trainable_variables)
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
            for v in variables:
                if id(v) not in self._index:
                    raise InvalidArgumentError(describe(
                        f"{cls}.apply", "trainable_variables",
                        "only the variables the optimizer was built with (make a new "
                        "optimizer for a new set of variables)",
                        f"unknown variable {getattr(v, 'name', v)!r}"))
        if len(grads) != len(variables):
            raise InvalidArgumentError(describe(
                f"{cls}.apply", "grads", f"one gradient per variable ({len(variables)})",
                f"{len(grads)} gradients"))

        pairs = [(g, v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise InvalidArgumentError(describe(f"{cls}.apply", "grads",
                                                "at least one gradient", "only None"))
        if len(pairs) < len(variables):
            missing = [getattr(v, "name", "?") for g, v in zip(grads, variables) if g is None]
            warnings.warn(f"{cls}: no gradient for variables {missing}; they are not "
                          "updated", stacklevel=2)
        grads = [self._as_grad(g, v) for g, v in pairs]
        variables = [v for _, v in pairs]
        for g, v in zip(grads, variables):
            if tuple(g.shape) != tuple(v.shape):
                raise ShapeError(describe(f"{cls}.apply", "grads",
                                          f"shape {tuple(v.shape)} for variable {v.name!r}",
                                          tuple(g.shape)))
        if self.loss_scale_factor is not None:
            grads = [ops.divide(g, ops.cast(self.loss_scale_factor, g.dtype)) for g in grads]

        if self.gradient_accumulation_steps:
            self._accumulate_and_update(grads, variables)
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_moving_averages()
        for v in variables:
            constraint = getattr(v, "constraint", None)
            if constraint is not None:
                v.assign(constraint(v))
        self._iterations.assign(ops.add(self._iterations, 1))

    def _update(self, grads: list[Any], variables: list[Any]) -> None:
        """Clip, decoupled weight decay, then the algorithm's step (Keras's order)."""
        lr = self._current_learning_rate()
        if self.decay:
            lr = ops.divide(lr, ops.add(1.0, ops.multiply(
                self.decay, ops.cast(self.iterations, "float32"))))
        grads = self._clip_gradients(grads)
        self._apply_weight_decay(variables, lr)
        self._backend_update_step(grads, variables, lr)

    def _accumulate_and_update(self, grads: list[Any], variables: list[Any]) -> None:
        """Sum the gradients into the accumulators; every ``gradient_accumulation_steps``
        calls apply their mean and zero them. Both branches are computed and the right
        one selected with ``where`` per variable, so no Python branch depends on the
        (possibly traced) iteration count."""
        steps = self.gradient_accumulation_steps
        is_update = ops.equal(ops.mod(ops.add(self._iterations, 1), steps), 0)
        accs = [self._accumulated_gradients[self.variable_index(v)] for v in variables]
        touched = list(variables) + [v for v in self._variables if v is not self._iterations]
        before = [ops.copy(as_value(v)) for v in touched]
        self._update([ops.divide(ops.add(g, a), ops.cast(steps, g.dtype))
                      for g, a in zip(grads, accs)], variables)
        after = [ops.copy(as_value(v)) for v in touched]
        summed = {id(a): ops.add(g, a_old) for g, a, a_old in
                  zip(grads, accs, [before[_index_of(touched, a)] for a in accs])}
        for v, old, new in zip(touched, before, after):
            if id(v) in summed:  # an accumulator: zero on update, else the running sum
                v.assign(ops.where(is_update, ops.zeros_like(new), summed[id(v)]))
            else:
                v.assign(ops.where(is_update, new, old))

    def _update_moving_averages(self) -> None:
        """Keras's EMA step (after the update, before ``iterations`` moves), and the
        periodic overwrite of the model variables when ``ema_overwrite_frequency`` is set."""
        first = ops.equal(self.iterations, 0)
        for var, avg in zip(self._trainable_variables, self._model_variables_moving_average):
            mom = ops.where(first, ops.zeros((), var.dtype),
                            ops.cast(self.ema_momentum, var.dtype))
            avg.assign(ops.add(ops.multiply(mom, avg),
                               ops.multiply(ops.subtract(1.0, mom), var)))
        if self.ema_overwrite_frequency:
            now = ops.equal(ops.mod(ops.add(self.iterations, 1),
                                    self.ema_overwrite_frequency), 0)
            for var, avg in zip(self._trainable_variables,
                                self._model_variables_moving_average):
                var.assign(ops.where(now, as_value(avg), as_value(var)))

    def _as_grad(self, g: Any, variable: Any) -> Any:
        if not ops.is_tensor(g):
            g = ops.convert_to_tensor(g, backend=_concrete(variable)._backend)
        return ops.cast(g, variable.dtype)

    def _clip_gradients(self, grads: list[Any]) -> list[Any]:
        if self.clipnorm and self.clipnorm > 0:
            return [_clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            c = self.clipvalue
            return [ops.clip(g, -c, c) for g in grads]
        return grads

    def exclude_from_weight_decay(self, var_list: Sequence[Any] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Exclude variables from weight decay: those in ``var_list``, and those whose name
        contains any of ``var_names`` (e.g. ``["bias"]``). Call before :meth:`build`."""
        if self.built:
            raise InvalidArgumentError(
                f"{type(self).__name__}.exclude_from_weight_decay: must be called before the "
                "optimizer is built (before the first update)")
        self._exclude_ids = {id(v) for v in (var_list or ())}
        names = [re.escape(str(n)) for n in (var_names or ())]
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _use_weight_decay(self, variable: Any) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return not (pattern is not None
                    and pattern.search(str(getattr(variable, "name", ""))) is not None)

    def _apply_weight_decay(self, variables: Sequence[Any], lr: Any) -> None:
        if self.weight_decay is None:
            return
        for v in variables:
            if self._use_weight_decay(v):
                lr_v = ops.cast(lr, v.dtype)
                wd = ops.cast(self.weight_decay, v.dtype)
                v.assign(ops.subtract(v, ops.multiply(ops.multiply(v, wd), lr_v)))

    # ---- helpers for trainers ---------------------------------------------------------
    def scale_loss(self, loss: Any) -> Any:
        """Multiply the loss by ``loss_scale_factor`` (identity when unset)."""
        if self.loss_scale_factor is None:
            return loss
        return ops.multiply(loss, self.loss_scale_factor)

    def stateless_apply(self, optimizer_variables: Sequence[Any], grads: Sequence[Any],
                        trainable_variables: Sequence[Any]) -> tuple[list[Any], list[Any]]:
        """Keras 3's functional form: given values for the optimizer's and the model's
        variables, return their new values without touching any Variable."""
        cls = type(self).__name__
        if not self.built:
            raise InvalidArgumentError(f"{cls}.stateless_apply: build the optimizer first")
        opt_vars = self.variables
        if len(optimizer_variables) != len(opt_vars):
            raise InvalidArgumentError(describe(
                f"{cls}.stateless_apply", "optimizer_variables",
                f"{len(opt_vars)} values (one per optimizer variable)",
                len(optimizer_variables)))
        if len(trainable_variables) != len(self._trainable_variables):
            raise InvalidArgumentError(describe(
                f"{cls}.stateless_apply", "trainable_variables",
                f"{len(self._trainable_variables)} values", len(trainable_variables)))
        mapping = dict(zip(self._trainable_variables, trainable_variables))
        mapping.update(zip(opt_vars, optimizer_variables))
        with StatelessScope(mapping) as scope:
            self.apply(list(grads))
        return ([scope.value_of(v) for v in self._trainable_variables],
                [scope.value_of(v) for v in opt_vars])

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """Called by ``fit`` at the end of training: with ``use_ema`` the variables take
        their moving averages (a no-op otherwise)."""
        if not self.use_ema:
            return
        var_list = list(var_list)
        if len(var_list) != len(self._model_variables_moving_average):
            raise InvalidArgumentError(describe(
                f"{type(self).__name__}.finalize_variable_values", "var_list",
                f"{len(self._model_variables_moving_average)} variables (those the optimizer "
                "was built with)", len(var_list)))
        for var, avg in zip(var_list, self._model_variables_moving_average):
            var.assign(as_value(avg))

    # ---- state ------------------------------------------------------------------------
    def get_weights(self) -> list[Any]:
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights: Sequence[Any]) -> None:
        store = {str(i): w for i, w in enumerate(weights)}
        self.load_own_variables(store)

    def save_own_variables(self, store: dict) -> None:
        """Write the state into ``store`` as NumPy arrays under ``"0"``, ``"1"`` ..."""
        for i, v in enumerate(self._variables):
            store[str(i)] = v.numpy()

    def load_own_variables(self, store: dict) -> None:
        """Restore a state written by :meth:`save_own_variables`.

        Before :meth:`build`, only the counters exist: they are restored now and the
        slot values are kept and applied when the optimizer is built (so a model loaded
        from a file resumes with its optimizer state, whatever the order of calls)."""
        cls = type(self).__name__
        n = len(store)
        if not self.built and n > len(self._variables):
            self._pending_store = dict(store)
            head = {str(i): store[str(i)] for i in range(len(self._variables))}
            self._assign_from(head)
            return
        if n != len(self._variables):
            raise SerializationError(describe(
                f"optimizer {self.name!r} ({cls})", "store",
                f"{len(self._variables)} saved variables", f"{n}"))
        self._assign_from(store)

    def _assign_from(self, store: dict) -> None:
        cls = type(self).__name__
        for i, v in enumerate(self._variables):
            key = str(i)
            if key not in store:
                raise SerializationError(describe(
                    f"optimizer {self.name!r} ({cls})", "store", f"a key {key!r}",
                    f"keys {sorted(store)}"))
            value = store[key]
            if tuple(getattr(value, "shape", ())) != tuple(v.shape):
                raise SerializationError(describe(
                    f"optimizer {self.name!r} ({cls})", f"store[{key!r}] ({v.name})",
                    f"shape {tuple(v.shape)}", tuple(getattr(value, "shape", ()))))
            v.assign(value)
        if isinstance(self._learning_rate, Variable):
            self._lr_python = None

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (data only: numbers, strings, a schedule's config)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            lr_cfg: Any = self.learning_rate
        elif isinstance(lr, LearningRateSchedule):
            lr_cfg = {"class_name": type(lr).__name__, "config": lr.get_config()}
        else:
            raise SerializationError(describe(
                f"optimizer {self.name!r} ({type(self).__name__})", "learning_rate",
                "a float or a LearningRateSchedule to save the optimizer (a plain "
                "callable cannot be stored safely; wrap it in a registered "
                "LearningRateSchedule subclass)", lr))
        config: dict[str, Any] = {
            "name": self.name,
            "learning_rate": lr_cfg,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Optimizer:
        """Rebuild from :meth:`get_config` (a schedule config is resolved through the
        ``schedules`` registry, so third-party schedules load too)."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            from tensorweave.registries import registry

            config["learning_rate"] = registry("schedules").get(lr, instantiate=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # a saved Keras-2 decay
            return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate!r}>"


Optimizer.build = _restoring_state(Optimizer.build)  # type: ignore[method-assign]

_BASE_CONFIG_KEYS = frozenset({"name", "learning_rate", "weight_decay", "clipnorm",
                               "global_clipnorm", "clipvalue", "use_ema", "ema_momentum",
                               "ema_overwrite_frequency", "loss_scale_factor",
                               "gradient_accumulation_steps", "decay"})


class _AbstractMethodError(InvalidArgumentError, NotImplementedError):
    """A subclass forgot to implement a required method."""


class _LearningRateValue(float):
    """A learning rate read through ``optimizer.lr``: a float that knows its optimizer."""

    _tw_optimizer: Any

    def __new__(cls, value: float, optimizer: Any) -> _LearningRateValue:
        obj = super().__new__(cls, value)
        obj._tw_optimizer = optimizer
        return obj


def _f32(x: float) -> float:
    """``x`` rounded to float32 (to compare a Python float with a float32 Variable)."""
    import struct

    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.inf
