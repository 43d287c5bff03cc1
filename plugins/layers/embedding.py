"""Embedding: integer ids to dense vectors (a trainable lookup table)."""

from __future__ import annotations

from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError

from .base import Layer, _serialize_object
from .reshaping import layer_label

__all__ = ["Embedding", "ReversibleEmbedding"]


class Embedding(Layer):
    """``(batch, ...)`` integer ids -> ``(batch, ..., output_dim)`` rows of ``embeddings``.

    The lookup is ``ops.take`` on axis 0, whose gradient scatters into the table, so
    the layer trains on every backend. Float ids (a default ``tw.Input``) are cast to
    int32 first; the layer does not autocast its inputs, because rounding ids to
    float16 under a mixed policy would corrupt ids above 2048.

    With ``mask_zero=True`` id 0 means padding: the output carries a mask (``ids != 0``)
    that later layers propagate and the recurrent layers, pooling over time and the
    loss honour (Keras's masking). Id 0 still has a row, so ``input_dim`` counts it.
    ``input_length`` (Keras 2) is accepted by the ``Layer`` base class.
    """

    def __init__(self, input_dim: int, output_dim: int,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: int | None = None,
                 lora_alpha: float | None = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        where = layer_label(self)
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise InvalidArgumentError(f"{where}: argument {arg!r}: expected a positive "
                                           f"int, got {v!r}")
        for arg, v in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                       ("quantization_config", quantization_config)):
            if v is not None:
                raise InvalidArgumentError(
                    f"{where}: argument {arg!r}: LoRA and quantization are not supported, "
                    f"got {v!r} (expected None)")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.embeddings_constraint = embeddings_constraint
        self.mask_zero = bool(mask_zero)
        self._initial_weights = weights

    def build(self, input_shape: Any = None) -> None:
        self.embeddings = self.add_weight((self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint,
                                          name="embeddings")
        self.built = True
        if self._initial_weights is not None:
            w = self._initial_weights
            self.set_weights(list(w) if isinstance(w, (list, tuple)) else [w])
            self._initial_weights = None

    def call(self, inputs: Any) -> Any:
        if inputs.dtype.is_floating or inputs.dtype.is_bool:
            inputs = ops.cast(inputs, "int32")
        elif inputs.dtype.name not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        out = ops.take(self.embeddings, inputs, axis=0)
        if out.dtype is not self.compute_dtype:
            out = ops.cast(out, self.compute_dtype)
        return out

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Keras's mask (``inputs != 0``) when ``mask_zero``: padded steps (index 0) are
        skipped by the recurrent layers and pooling over time, and left out of the loss."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def get_config(self) -> dict:
        cfg = super().get_config()
        cfg.pop("weights", None)  # the values travel with the weights file, not the config
        for k in ("lora_rank", "lora_alpha", "quantization_config"):  # Keras: only when set
            cfg.pop(k, None)
        cfg["activity_regularizer"] = _serialize_object(
            "regularizers", self.activity_regularizer, "Embedding.activity_regularizer")
        return cfg



class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that also maps vectors back to logits over the vocabulary:
    ``layer(ids)`` embeds, ``layer(x, reverse=True)`` is ``x @ embeddings.T`` (tied, the
    default) or ``x @ reverse_embeddings`` (``tie_weights=False``, an own
    ``(output_dim, input_dim)`` weight), optionally soft-capped as
    ``tanh(logits / cap) * cap`` (Keras 3's ``keras.layers.ReversibleEmbedding``, the
    input and output embeddings of a language model)."""

    def __init__(self, input_dim: int, output_dim: int, tie_weights: bool = True,
                 embeddings_initializer: Any = "uniform", embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, mask_zero: bool = False,
                 reverse_dtype: Any = None, logit_soft_cap: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        self.logit_soft_cap = logit_soft_cap

    def build(self, input_shape: Any = None) -> None:
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                (self.output_dim, self.input_dim), self.embeddings_initializer,
                name="reverse_embeddings")

    def call(self, inputs: Any, reverse: bool = False) -> Any:
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights else \
            self.reverse_embeddings.value
        x = inputs
        if self.reverse_dtype is not None:
            x, kernel = ops.cast(x, self.reverse_dtype), ops.cast(kernel, self.reverse_dtype)
        elif kernel.dtype is not x.dtype:
            kernel = ops.cast(kernel, x.dtype)
        logits = ops.matmul(x, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not inputs.dtype.is_integer:  # the reverse call: vectors in, no mask
            return None
        return super().compute_mask(inputs, mask)
