"""Attention layers (Keras 3): MultiHeadAttention, Attention (Luong), AdditiveAttention
(Bahdanau).

Weights have Keras's shapes and names (``query/kernel`` of shape
``(features, num_heads, key_dim)`` ...), so parameter counts match Keras and weights can
be moved between the two by name. The projections are written as reshapes and matmuls,
which every backend runs as GEMMs.
"""

from __future__ import annotations

import math
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

from .activation_layers import mask_logits
from .base import Layer
from .core import Dropout
from .noise import _rate
from .reshaping import layer_label

__all__ = ["MultiHeadAttention", "GroupedQueryAttention", "Attention", "AdditiveAttention"]


def _positive_int(layer: Layer, arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgumentError(f"{layer_label(layer)}: argument {arg!r}: expected a "
                                   f"positive int, got {value!r}")
    return value


def _masked_softmax(scores: Any, keep: Any) -> Any:
    """Softmax over the last axis, positions where ``keep`` is False left out."""
    return ops.softmax(scores if keep is None else mask_logits(scores, keep), axis=-1)


def _causal(tq: int, tk: int) -> Any:
    """``(tq, tk)`` booleans: query step i may attend to key steps j <= i."""
    rows = ops.expand_dims(ops.arange(tq, dtype="int32"), 1)
    cols = ops.expand_dims(ops.arange(tk, dtype="int32"), 0)
    return ops.greater_equal(rows, cols)


def _mask_of(x: Any) -> Any:
    return getattr(x, "_keras_mask", None)


class MultiHeadAttention(Layer):
    """Scaled dot-product attention over ``num_heads`` learned projections (Vaswani et
    al., 2017), with Keras 3's arguments and weights.

    ``layer(query, value, key=None, attention_mask=None, return_attention_scores=False,
    use_causal_mask=False)`` on ``(batch, steps, features)`` tensors. Masks carried by
    ``query`` / ``value`` / ``key`` (from ``Embedding(mask_zero=True)``) are combined with
    ``attention_mask`` (``(batch, query_steps, key_steps)``, True = may attend) and the
    causal mask, as Keras does.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: int | None = None,
                 dropout: float = 0.0, use_bias: bool = True, output_shape: Any = None,
                 attention_axes: Any = None, sliding_window: int | None = None,
                 flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None,
                 use_gate: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if sliding_window is not None and (not isinstance(sliding_window, int) or isinstance(
                sliding_window, bool) or sliding_window <= 0):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'sliding_window': "
                                       f"expected None or a positive int, got "
                                       f"{sliding_window!r}")
        #: query step i attends to key steps j with |i - j| < sliding_window
        self.sliding_window = sliding_window
        # a kernel choice in Keras (same math): accepted, the result does not depend on it
        self.flash_attention = flash_attention
        #: a sigmoid gate projected from the query multiplies each head's output
        self.use_gate = bool(use_gate)
        self.num_heads = _positive_int(self, "num_heads", num_heads)
        self.key_dim = _positive_int(self, "key_dim", key_dim)
        self.value_dim = _positive_int(self, "value_dim", value_dim) \
            if value_dim is not None else self.key_dim
        self.dropout = _rate(self, "dropout", dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None and not isinstance(output_shape, int):
            shape = tuple(output_shape)
            if len(shape) != 1:
                raise InvalidArgumentError(f"{layer_label(self)}: argument 'output_shape': "
                                           f"expected an int or a 1-tuple, got {output_shape!r}")
            output_shape = shape[0]
        self.output_shape_arg = output_shape
        if attention_axes is not None and tuple(
                [attention_axes] if isinstance(attention_axes, int) else attention_axes
        ) not in ((1,), (-2,)):
            raise InvalidArgumentError(
                f"{layer_label(self)}: argument 'attention_axes': only attention over the "
                f"steps axis of (batch, steps, features) inputs is implemented, got "
                f"{attention_axes!r}")
        self.attention_axes = attention_axes
        self.kernel_initializer = kernel_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer = kernel_regularizer
        self.bias_regularizer = bias_regularizer
        self.kernel_constraint = kernel_constraint
        self.bias_constraint = bias_constraint
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed)
        self.supports_masking = True

    def _dense(self, name: str, kernel_shape: tuple, bias_shape: tuple) -> tuple:
        kernel = self.add_weight(kernel_shape, self.kernel_initializer,
                                 regularizer=self.kernel_regularizer,
                                 constraint=self.kernel_constraint, name=f"{name}/kernel")
        bias = self.add_weight(bias_shape, self.bias_initializer,
                               regularizer=self.bias_regularizer,
                               constraint=self.bias_constraint,
                               name=f"{name}/bias") if self.use_bias else None
        return kernel, bias

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for arg, shape in (("query", query_shape), ("value", value_shape),
                           ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"{layer_label(self)}: argument {arg!r}: expected shape "
                                 f"(batch, steps, features) with known features, got "
                                 f"{tuple(shape)}")
        h, k, v = self.num_heads, self.key_dim, self.value_dim
        self.query_kernel, self.query_bias = self._dense(
            "query", (query_shape[-1], h, k), (h, k))
        self.key_kernel, self.key_bias = self._dense("key", (key_shape[-1], h, k), (h, k))
        if self.use_gate:  # Keras builds it between key and value
            self.gate_kernel, self.gate_bias = self._dense(
                "gate", (query_shape[-1], h, v), (h, v))
        self.value_kernel, self.value_bias = self._dense(
            "value", (value_shape[-1], h, v), (h, v))
        out_dim = self.output_shape_arg or query_shape[-1]
        self.output_kernel, self.output_bias = self._dense(
            "attention_output", (h, v, out_dim), (out_dim,))
        self.built = True

    def _maybe_build(self, inputs: Any) -> None:
        pass  # built in call, where value and key shapes are known too

    def _expand_key_value(self, k: Any, v: Any) -> tuple[Any, Any]:
        """Key and value heads to match the query heads (the same here; grouped-query
        attention repeats each key/value head)."""
        return k, v

    @staticmethod
    def _project(x: Any, kernel: Any, bias: Any) -> Any:
        """``(b, t, f) @ (f, h, d) -> (b, h, t, d)``."""
        f, h, d = kernel.shape
        y = ops.matmul(x, ops.reshape(kernel, (f, h * d)))
        if bias is not None:
            y = ops.add(y, ops.reshape(bias, (h * d,)))
        y = ops.reshape(y, (-1 if x.shape[0] is None else x.shape[0], x.shape[1], h, d))
        return ops.transpose(y, (0, 2, 1, 3))

    def call(self, query: Any, value: Any, key: Any = None, query_mask: Any = None,
             value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
             return_attention_scores: bool = False, training: Any = None,
             use_causal_mask: bool = False) -> Any:
        value = value if ops.is_tensor(value) or ops.is_symbolic(value) else \
            ops.convert_to_tensor(value, dtype=query.dtype)
        key = value if key is None else key
        if not self.built:
            self._build_shape = tuple(query.shape)
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        query_mask = _mask_of(query) if query_mask is None else query_mask
        value_mask = _mask_of(value) if value_mask is None else value_mask
        key_mask = _mask_of(key) if key_mask is None else key_mask
        if key_mask is None:
            key_mask = value_mask
        elif value_mask is not None:  # a step must be valid in both
            key_mask = ops.logical_and(ops.cast(key_mask, "bool"),
                                       ops.cast(value_mask, "bool"))
        if value.dtype != query.dtype:
            value = ops.cast(value, query.dtype)
        if key.dtype != query.dtype:
            key = ops.cast(key, query.dtype)
        q = self._project(query, self.query_kernel, self.query_bias)
        k = self._project(key, self.key_kernel, self.key_bias)
        v = self._project(value, self.value_kernel, self.value_bias)
        k, v = self._expand_key_value(k, v)
        q = ops.multiply(q, 1.0 / math.sqrt(float(self.key_dim)))
        scores = ops.matmul(q, ops.swapaxes(k, -1, -2))  # (b, h, tq, tk)
        keep = self._attention_mask(query, key, query_mask, key_mask, attention_mask,
                                    use_causal_mask)
        if keep is not None:
            keep = ops.expand_dims(keep, 1)  # the same mask for every head
        weights = _masked_softmax(scores, keep)
        dropped = self._dropout_layer(weights, training=training)
        ctx = ops.matmul(dropped, v)  # (b, h, tq, dv)
        ctx = ops.transpose(ctx, (0, 2, 1, 3))  # (b, tq, h, dv)
        if self.use_gate:
            gate = ops.einsum("btd,dhv->bthv", query, self.gate_kernel)
            if self.gate_bias is not None:
                gate = ops.add(gate, self.gate_bias)
            ctx = ops.multiply(ctx, ops.sigmoid(gate))
        h, dv, out_dim = self.output_kernel.shape
        b = -1 if ctx.shape[0] is None else ctx.shape[0]
        out = ops.matmul(ops.reshape(ctx, (b, ctx.shape[1], h * dv)),
                         ops.reshape(self.output_kernel, (h * dv, out_dim)))
        if self.output_bias is not None:
            out = ops.add(out, self.output_bias)
        if return_attention_scores:
            return out, weights
        return out

    def _attention_mask(self, query: Any, key: Any, query_mask: Any, key_mask: Any,
                        attention_mask: Any, use_causal_mask: bool) -> Any:
        """``(b, tq, tk)`` booleans (or ``None``): True where a query step may attend."""
        mask = None
        if query_mask is not None:
            mask = ops.expand_dims(ops.cast(query_mask, "bool"), -1)  # (b, tq, 1)
        if key_mask is not None:
            km = ops.expand_dims(ops.cast(key_mask, "bool"), -2)  # (b, 1, tk)
            mask = km if mask is None else ops.logical_and(mask, km)
        if use_causal_mask:
            causal = _causal(query.shape[1], key.shape[1])
            mask = causal if mask is None else ops.logical_and(mask, causal)
        if self.sliding_window is not None:
            rows = ops.expand_dims(ops.arange(query.shape[1], dtype="int32"), 1)
            cols = ops.expand_dims(ops.arange(key.shape[1], dtype="int32"), 0)
            band = ops.less(ops.abs(ops.subtract(rows, cols)), self.sliding_window)
            mask = band if mask is None else ops.logical_and(mask, band)
        if attention_mask is not None:
            am = ops.cast(attention_mask, "bool")
            mask = am if mask is None else ops.logical_and(mask, am)
        if mask is not None and mask.ndim == 2:
            mask = ops.expand_dims(mask, 0)
        return mask

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None,
                             key_shape: Any = None) -> tuple:
        out_dim = self.output_shape_arg or query_shape[-1]
        return (*tuple(query_shape)[:-1], out_dim)

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("output_shape_arg", None)
        config.pop("flash_attention", None)  # Keras leaves it out (a kernel choice)
        if self.built and config.get("attention_axes") is None:
            config["attention_axes"] = [1]  # Keras: the axes it attends over, once built
        return config


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention (Ainslie et al., 2023), Keras 3's
    ``keras.layers.GroupQueryAttention``: ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads (each serves ``num_query_heads //
    num_key_value_heads`` consecutive query heads), all of size ``head_dim``; the output
    has the query's feature size. Masks, ``use_causal_mask``, ``sliding_window`` and
    ``use_gate`` as in :class:`MultiHeadAttention`."""

    def __init__(self, head_dim: int, num_query_heads: int, num_key_value_heads: int,
                 dropout: float = 0.0, use_bias: bool = True,
                 sliding_window: int | None = None, flash_attention: bool | None = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, use_gate: bool = False, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(num_query_heads, head_dim, dropout=dropout, use_bias=use_bias,
                         sliding_window=sliding_window, flash_attention=flash_attention,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         use_gate=use_gate, seed=seed, **kwargs)
        kv = _positive_int(self, "num_key_value_heads", num_key_value_heads)
        if num_query_heads % kv:
            raise InvalidArgumentError(
                f"{layer_label(self)}: argument 'num_query_heads': expected a multiple of "
                f"num_key_value_heads={kv}, got {num_query_heads}")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = kv
        self.num_repeats = num_query_heads // kv

    def build(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> None:
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for arg, shape in (("query", query_shape), ("value", value_shape),
                           ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"{layer_label(self)}: argument {arg!r}: expected shape "
                                 f"(batch, steps, features) with known features, got "
                                 f"{tuple(shape)}")
        h, kv, d = self.num_query_heads, self.num_key_value_heads, self.head_dim
        self.query_kernel, self.query_bias = self._dense("query", (query_shape[-1], h, d),
                                                         (h, d))
        self.key_kernel, self.key_bias = self._dense("key", (key_shape[-1], kv, d), (kv, d))
        if self.use_gate:
            self.gate_kernel, self.gate_bias = self._dense(
                "gate", (query_shape[-1], h, d), (h, d))
        self.value_kernel, self.value_bias = self._dense(
            "value", (value_shape[-1], kv, d), (kv, d))
        self.output_kernel, self.output_bias = self._dense(
            "attention_output", (h, d, query_shape[-1]), (query_shape[-1],))
        self.built = True

    def _expand_key_value(self, k: Any, v: Any) -> tuple[Any, Any]:
        if self.num_repeats == 1:
            return k, v
        return (ops.repeat(k, self.num_repeats, axis=1),
                ops.repeat(v, self.num_repeats, axis=1))

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("attention_axes", None)
        return config


class _BaseDenseAttention(Layer):
    """Shared call of Attention and AdditiveAttention (Keras 3 semantics)."""

    def __init__(self, use_scale: bool = False, dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.use_scale = bool(use_scale)
        self.dropout = _rate(self, "dropout", dropout)
        self.seed = seed
        self._dropout_layer = Dropout(self.dropout, seed=seed)
        self.supports_masking = True

    def _split(self, inputs: Any) -> tuple:
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'inputs': expected a "
                                       f"list [query, value] or [query, value, key], got "
                                       f"{type(inputs).__name__}")
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        for arg, x in (("query", q), ("value", v), ("key", k)):
            if x.ndim != 3:
                raise ShapeError(f"{layer_label(self)}: argument {arg!r}: expected shape "
                                 f"(batch, steps, features), got {tuple(x.shape)}")
        return q, v, k

    def call(self, inputs: Any, mask: Any = None, training: Any = None,
             return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        q, v, k = self._split(inputs)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask, None]
        q_mask = masks[0] if masks else None
        v_mask = masks[1] if len(masks) > 1 else None
        scores = self._scores(q, k)  # (b, tq, tk)
        keep = None
        if v_mask is not None:
            keep = ops.expand_dims(ops.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            causal = ops.expand_dims(_causal(q.shape[1], k.shape[1]), 0)
            keep = causal if keep is None else ops.logical_and(keep, causal)
        weights = _masked_softmax(scores, keep)
        dropped = self._dropout_layer(weights, training=training)
        result = ops.matmul(dropped, v)
        if q_mask is not None:
            result = ops.multiply(result, ops.expand_dims(ops.cast(q_mask, result.dtype), -1))
        if return_attention_scores:
            return result, weights
        return result

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            return mask[0]
        return None


class Attention(_BaseDenseAttention):
    """Dot-product (Luong) attention: ``softmax(query @ key^T) @ value``; with
    ``use_scale`` a learned scalar multiplies the scores; ``score_mode="concat"`` scores
    ``sum(tanh(query + key))`` instead."""

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'score_mode': "
                                       f"expected 'dot' or 'concat', got {score_mode!r}")
        self.score_mode = score_mode

    def build(self, input_shape: Any) -> None:
        self.scale = self.add_weight((), "ones", name="scale") if self.use_scale else None
        self.concat_score_weight = self.add_weight(
            (), "ones", name="concat_score_weight") if self.score_mode == "concat" else None
        self.built = True

    def _scores(self, q: Any, k: Any) -> Any:
        if self.score_mode == "dot":
            scores = ops.matmul(q, ops.swapaxes(k, -1, -2))
            if self.scale is not None:
                scores = ops.multiply(scores, self.scale)
            return scores
        q4 = ops.expand_dims(q, -2)  # (b, tq, 1, d)
        k4 = ops.expand_dims(k, -3)  # (b, 1, tk, d)
        summed = ops.add(q4, k4)
        if self.scale is not None:
            summed = ops.multiply(summed, self.scale)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))


class AdditiveAttention(_BaseDenseAttention):
    """Additive (Bahdanau) attention: scores ``sum(scale * tanh(query + key), -1)`` with
    a learned per-feature ``scale`` when ``use_scale`` (the default)."""

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape: Any) -> None:
        dim = input_shape[0][-1] if isinstance(input_shape, (list, tuple)) and \
            isinstance(input_shape[0], (list, tuple)) else input_shape[-1]
        self.scale = self.add_weight((dim,), "glorot_uniform", name="scale") \
            if self.use_scale else None
        self.built = True

    def _scores(self, q: Any, k: Any) -> Any:
        summed = ops.tanh(ops.add(ops.expand_dims(q, -2), ops.expand_dims(k, -3)))
        if self.scale is not None:
            summed = ops.multiply(summed, self.scale)
        return ops.sum(summed, axis=-1)
