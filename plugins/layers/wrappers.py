"""Layer wrappers: TimeDistributed and Bidirectional (Keras semantics and weight order)."""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer, in_shape_inference
from .reshaping import layer_label

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional", "SpectralNormalization"]


def _check_layer(where: str, layer: Any) -> None:
    if not isinstance(layer, Layer):
        raise InvalidArgumentError(f"{where}: argument 'layer': expected a Layer instance, "
                                   f"got {type(layer).__name__} {layer!r}")


def _clone(layer: Layer, **overrides: Any) -> Layer:
    """A new, unbuilt layer from ``layer``'s config with ``overrides`` applied."""
    from tensorweave.saving import deserialize_layer, serialize_layer

    config = serialize_layer(layer)
    config["config"] = {k: v for k, v in config["config"].items()
                        if k != "build_input_shape"}
    config["config"].update(overrides)
    return deserialize_layer(config)


class Wrapper(Layer):
    """Base class of layers that wrap another layer (``self.layer``), as Keras's
    ``keras.layers.Wrapper``: the wrapped layer's weights are the wrapper's, and the config
    holds the wrapped layer's serialized config under ``"layer"``. Subclasses implement
    ``call`` (and ``build`` when they add weights of their own)."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_layer(f"{type(self).__name__} {self.name!r}", layer)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built and input_shape is not None:
            self.layer._maybe_build_from_shape(_listify_shape(input_shape))
        self.built = True

    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> Layer:
        from tensorweave.saving import deserialize_layer

        config = dict(config)
        build_shape = config.pop("build_input_shape", None)
        layer = cls(deserialize_layer(config.pop("layer"), custom_objects), **config)
        if build_shape is not None:
            layer._maybe_build_from_shape(build_shape)
        return layer


def _listify_shape(shape: Any) -> Any:
    return list(shape) if isinstance(shape, tuple) else shape


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every timestep of a ``(batch, timesteps, ...)`` input with the
    same weights (e.g. one Dense per step of a sequence, one Conv2D per video frame).

    The time axis is folded into the batch (one call of the inner layer over
    ``batch * timesteps`` samples), which is what the unrolled per-step loop computes."""

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected at least 3 "
                             f"dimensions (batch, timesteps, ...), got shape {shape}")
        self.built = True

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        shape = tuple(inputs.shape)
        if len(shape) < 3:
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': expected at least 3 "
                             f"dimensions (batch, timesteps, ...), got shape {shape}")
        batch, steps = shape[0], shape[1]
        if steps is None and in_shape_inference(inputs) and \
                all(d is not None for d in shape[2:]):
            # sequences of unknown length: shapes only (the layer runs per step on data)
            y0 = self.layer(ops.take(inputs, 0, axis=1))
            return ops.add(ops.expand_dims(y0, 1),
                           ops.zeros_like(inputs[(slice(None), slice(None)) +
                                                 (0,) * (len(shape) - 3) + (slice(0, 1),)]))
        if steps is None or any(d is None for d in shape[2:]):
            raise ShapeError(f"{layer_label(self)}: argument 'inputs': the timesteps and "
                             f"feature dimensions must be known, got shape {shape}")
        folded = ops.reshape(inputs, (-1 if batch is None else batch * steps, *shape[2:]))
        y = self.layer(folded)
        leaves_ok = ops.is_tensor(y) or ops.is_symbolic(y)
        if not leaves_ok:
            raise InvalidArgumentError(f"{layer_label(self)}: the wrapped layer must return "
                                       f"one tensor, got {type(y).__name__}")
        out_rest = tuple(y.shape[1:])
        return ops.reshape(y, (-1 if batch is None else batch, steps, *out_rest))


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and
    merges the two outputs (``merge_mode``: ``"concat"`` (default), ``"sum"``, ``"mul"``,
    ``"ave"`` or ``None`` for the pair).

    As Keras: the forward and backward layers are new layers built from ``layer``'s config
    (named ``forward_<name>`` / ``backward_<name>``, the backward one with
    ``go_backwards`` flipped), the forward weights come first, the backward outputs of
    ``return_sequences`` are reversed in time so step ``t`` of both refers to input ``t``,
    and with ``return_state`` the states follow the output, forward ones first."""

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: Keras's ``weights=``: the forward layer's arrays then the backward layer's,
        #: set when the layer is built
        self._initial_weights = None if weights is None else list(weights)
        where = f"Bidirectional {self.name!r}"
        _check_layer(where, layer)
        if merge_mode not in _MERGE_MODES:
            raise InvalidArgumentError(f"{where}: argument 'merge_mode': expected one of "
                                       f"{list(_MERGE_MODES)}, got {merge_mode!r}")
        for attr in ("return_sequences", "go_backwards", "return_state"):
            if not hasattr(layer, attr):
                raise InvalidArgumentError(f"{where}: argument 'layer': expected a recurrent "
                                           f"layer (with {attr}), got {type(layer).__name__}")
        base = layer.name.removeprefix("forward_")
        self.forward_layer = _clone(layer, name=f"forward_{base}")
        if backward_layer is None:
            self.backward_layer = _clone(layer, name=f"backward_{base}",
                                         go_backwards=not layer.go_backwards)
        else:
            _check_layer(where, backward_layer)
            for attr in ("return_sequences", "return_state"):
                if getattr(backward_layer, attr, None) != getattr(layer, attr):
                    raise InvalidArgumentError(
                        f"{where}: argument 'backward_layer': expected {attr}="
                        f"{getattr(layer, attr)} like the forward layer, got "
                        f"{getattr(backward_layer, attr, None)}")
            if backward_layer.go_backwards == layer.go_backwards:
                raise InvalidArgumentError(
                    f"{where}: argument 'backward_layer': expected go_backwards="
                    f"{not layer.go_backwards} (the opposite of the forward layer), got "
                    f"{backward_layer.go_backwards}")
            self.backward_layer = backward_layer
        self._custom_backward = backward_layer is not None
        # with sequences out, a padded step gives zeros in both directions, so the merged
        # step does not mix a real output with a repeated one (Keras forces this too)
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = bool(sub.return_sequences)
        self.supports_masking = True
        self.merge_mode = merge_mode
        self.return_sequences = bool(layer.return_sequences)
        self.return_state = bool(layer.return_state)
        self.stateful = bool(getattr(layer, "stateful", False))

    def build(self, input_shape: Any) -> None:
        if self._initial_weights is not None:
            shape = _listify_shape(input_shape)
            for sub in (self.forward_layer, self.backward_layer):
                if not sub.built:
                    sub._maybe_build_from_shape(shape)
            weights, self._initial_weights = self._initial_weights, None
            n = len(self.forward_layer.weights)
            if len(weights) != n + len(self.backward_layer.weights):
                raise InvalidArgumentError(
                    f"{layer_label(self)}: argument 'weights': expected "
                    f"{n + len(self.backward_layer.weights)} arrays (forward then backward), "
                    f"got {len(weights)}")
            self.forward_layer.set_weights(weights[:n])
            self.backward_layer.set_weights(weights[n:])
        self.built = True

    def call(self, inputs: Any, initial_state: Any = None, mask: Any = None,
             training: Any = None) -> Any:
        fwd_kw: dict = {}
        bwd_kw: dict = {}
        if mask is not None:
            fwd_kw["mask"] = bwd_kw["mask"] = mask
        if initial_state is not None:
            states = list(initial_state)
            if len(states) % 2:
                raise InvalidArgumentError(
                    f"{layer_label(self)}: argument 'initial_state': expected the forward "
                    f"states followed by the backward states (an even number), got "
                    f"{len(states)} tensors")
            half = len(states) // 2
            fwd_kw["initial_state"] = states[:half]
            bwd_kw["initial_state"] = states[half:]
        y_f = self.forward_layer(inputs, **fwd_kw)
        y_b = self.backward_layer(inputs, **bwd_kw)
        states: list = []
        if self.return_state:
            states = [*y_f[1:], *y_b[1:]]
            y_f, y_b = y_f[0], y_b[0]
        if self.return_sequences and not (y_b.shape[1] is None and in_shape_inference(y_b)):
            y_b = ops.flip(y_b, axis=1)  # (shapes only: nothing to reverse)
        if self.merge_mode == "concat":
            out: Any = ops.concatenate([y_f, y_b], axis=-1)
        elif self.merge_mode == "sum":
            out = ops.add(y_f, y_b)
        elif self.merge_mode == "ave":
            out = ops.multiply(ops.add(y_f, y_b), 0.5)
        elif self.merge_mode == "mul":
            out = ops.multiply(y_f, y_b)
        else:
            out = [y_f, y_b]
        if self.return_state:
            return [*out, *states] if self.merge_mode is None else [out, *states]
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        out = [out_mask, out_mask] if self.merge_mode is None else [out_mask]
        if self.return_state:
            n_states = 2 * len(getattr(self.forward_layer, "_state_names", ("h",)))
            return out + [None] * n_states
        return out if self.merge_mode is None else out_mask

    def reset_states(self) -> None:
        for layer in (self.forward_layer, self.backward_layer):
            layer.reset_states()

    def get_config(self) -> dict:
        from tensorweave.saving import serialize_layer

        config = super().get_config()
        config["layer"] = serialize_layer(self.forward_layer)
        config["merge_mode"] = self.merge_mode
        config.pop("weights", None)  # the arrays travel with the weights, not the config
        # Keras always writes the backward layer (made from `layer` or given)
        config["backward_layer"] = serialize_layer(self.backward_layer)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Any = None) -> Bidirectional:
        from tensorweave.saving import deserialize_layer

        config = dict(config)
        build_shape = config.pop("build_input_shape", None)
        layer = deserialize_layer(config.pop("layer"), custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            backward = deserialize_layer(backward, custom_objects)
        obj = cls(layer, backward_layer=backward, **config)
        if build_shape is not None:
            obj._maybe_build_from_shape(build_shape)
        return obj


class SpectralNormalization(Wrapper):
    """Divides the wrapped layer's kernel (``kernel`` or ``embeddings``) by its largest
    singular value, estimated by ``power_iterations`` steps of power iteration per
    training call (Miyato et al., 2018; Keras 3's ``keras.layers.SpectralNormalization``).

    While training, each call updates the estimate ``vector_u`` (a non-trainable weight)
    and writes the normalised kernel back into the wrapped layer; at inference the wrapped
    layer runs with the kernel as it is."""

    def __init__(self, layer: Layer, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(layer, **kwargs)
        if not isinstance(power_iterations, int) or power_iterations <= 0:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'power_iterations': "
                                       f"expected a positive int, got {power_iterations!r}")
        self.power_iterations = power_iterations

    def build(self, input_shape: Any) -> None:
        import tensorweave.initializers as _initializers

        super().build(input_shape)
        kernel = getattr(self.layer, "kernel", None)
        if kernel is None:
            kernel = getattr(self.layer, "embeddings", None)
        if kernel is None:
            raise InvalidArgumentError(
                f"{layer_label(self)}: the wrapped {type(self.layer).__name__} has neither "
                "a 'kernel' nor an 'embeddings' weight to normalise")
        object.__setattr__(self, "_kernel_var", kernel)
        # as Keras, the wrapper tracks the kernel itself: weights are [kernel, vector_u,
        # the wrapped layer's others]
        self._tracked_weights.append(kernel)
        self.kernel_shape = tuple(kernel.shape)
        self.vector_u = self.add_weight(
            (1, self.kernel_shape[-1]), _initializers.TruncatedNormal(stddev=0.02),
            dtype=kernel.dtype, trainable=False, name="vector_u")
        self.built = True

    @property
    def kernel(self) -> Any:
        return self.__dict__.get("_kernel_var")

    def normalized_weights(self) -> tuple[Any, Any]:
        """``(new vector_u, kernel / sigma)``: the power-iteration estimate and the
        spectrally normalised kernel."""
        kernel = self._kernel_var.value
        w = ops.reshape(kernel, (-1, self.kernel_shape[-1]))
        u = self.vector_u.value
        v = u
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w)))
            u = _l2_normalize(ops.matmul(v, w))
        u, v = ops.stop_gradient(u), ops.stop_gradient(v)
        sigma = ops.matmul(ops.matmul(v, w), ops.transpose(u))
        return u, ops.reshape(ops.divide(kernel, sigma), self.kernel_shape)

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training:
            kernel = self._kernel_var.value
            if not ops.is_symbolic(kernel) and not bool(ops.any(ops.not_equal(kernel, 0))):
                pass  # an all-zero kernel has no direction to normalise (Keras keeps it)
            else:
                new_u, new_kernel = self.normalized_weights()
                self.vector_u.assign(new_u)
                self._kernel_var.assign(new_kernel)
        out = self.layer(inputs)
        return out if out.dtype == inputs.dtype else ops.cast(out, inputs.dtype)


def _l2_normalize(x: Any) -> Any:
    """``x / max(||x||, 1e-7)`` over all of ``x`` (Keras's ``ops.normalize(x, axis=None)``)."""
    norm = ops.sqrt(ops.sum(ops.square(x)))
    return ops.divide(x, ops.maximum(norm, 1e-7))
