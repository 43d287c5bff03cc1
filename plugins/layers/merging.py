"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

Each takes a list of tensors (``build`` receives the list of their shapes), as in Keras.
Elementwise merges broadcast like NumPy; inputs of lower rank are first given size-1 axes
at position 1 (Keras's rule), so ``(batch, 8)`` merges with ``(batch, 4, 8)``.
The functional spellings ``add([a, b])``, ``concatenate([a, b], axis=1)`` ... are here too.
"""

from __future__ import annotations

import string
from typing import Any

from tensorweave import ops
from tensorweave.errors import InvalidArgumentError, ShapeError

from .base import Layer
from .reshaping import layer_label

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]


def _is_shape_list(shapes: Any) -> bool:
    return isinstance(shapes, (list, tuple)) and len(shapes) > 0 and all(
        isinstance(s, (list, tuple)) for s in shapes)


class _Merge(Layer):
    """Validation shared by the merging layers: a list of ``min_inputs``..``max_inputs``."""

    min_inputs = 1
    max_inputs: int | None = None

    def _check_list(self, shapes: Any) -> list[tuple]:
        n_desc = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                  else f"at least {self.min_inputs}")
        if not _is_shape_list(shapes):
            got = f"a single tensor of shape {tuple(shapes)}" if isinstance(
                shapes, (list, tuple)) else repr(shapes)
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'inputs': expected a "
                                       f"list of {n_desc} tensors, got {got}")
        n = len(shapes)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'inputs': expected a "
                                       f"list of {n_desc} tensors, got {n}")
        return [tuple(s) for s in shapes]

    def build(self, input_shape: Any) -> None:
        shapes = self._check_list(input_shape)
        self._check_shapes(shapes)
        self.built = True

    def _check_shapes(self, shapes: list[tuple]) -> None:
        """Elementwise merges: the non-batch dims must broadcast together."""
        rank = max(len(s) for s in shapes)
        padded = [s[:1] + (1,) * (rank - len(s)) + s[1:] if len(s) < rank else s
                  for s in shapes]
        for axis in range(1, rank):
            sizes = {s[axis] for s in padded if s[axis] not in (None, 1)}
            if len(sizes) > 1:
                raise ShapeError(f"{layer_label(self)}: inputs with shapes "
                                 f"{', '.join(str(s) for s in shapes)} cannot be merged: "
                                 f"sizes {sorted(sizes)} differ on axis {axis}")

    def _inputs(self, inputs: Any) -> list:
        shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) \
            else inputs.shape
        self._check_list(shapes)
        xs = list(inputs)
        rank = max(x.ndim for x in xs)
        out = []
        for x in xs:
            while x.ndim < rank:
                x = ops.expand_dims(x, 1)
            out.append(x)
        self._check_shapes([tuple(x.shape) for x in out])
        return out

    def call(self, inputs: Any) -> Any:
        xs = self._inputs(inputs)
        out = xs[0]
        for x in xs[1:]:
            out = self._merge(out, x)
        return self._final(out, len(xs))

    def _merge(self, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """A step is valid when it is valid in every masked input (Keras's rule)."""
        masks = [m for m in (mask if isinstance(mask, (list, tuple)) else [mask])
                 if m is not None]
        if not masks:
            return None
        out = masks[0]
        for m in masks[1:]:
            out = ops.logical_and(out, m)
        return out

    def _final(self, out: Any, n: int) -> Any:
        return out


class Add(_Merge):
    """Elementwise sum of the inputs (residual connections)."""

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.add(a, b)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]``: exactly two inputs."""

    min_inputs = 2
    max_inputs = 2

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.subtract(a, b)


class Multiply(_Merge):
    """Elementwise product of the inputs (gating)."""

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.multiply(a, b)


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.add(a, b)

    def _final(self, out: Any, n: int) -> Any:
        return ops.divide(out, float(n)) if n > 1 else out


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.maximum(a, b)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""

    def _merge(self, a: Any, b: Any) -> Any:
        return ops.minimum(a, b)


class Concatenate(_Merge):
    """Join the inputs along ``axis``; every other dimension must match."""

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'axis': expected an "
                                       f"int, got {axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes: list[tuple]) -> None:
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ShapeError(f"{layer_label(self)}: inputs must have the same rank, got "
                             f"shapes {', '.join(str(s) for s in shapes)}")
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ShapeError(f"{layer_label(self)}: argument 'axis': {self.axis} is out of "
                             f"range for inputs of rank {rank}")
        ax = self.axis % rank
        for i in range(rank):
            if i == ax:
                continue
            sizes = {s[i] for s in shapes if s[i] is not None}
            if len(sizes) > 1:
                raise ShapeError(f"{layer_label(self)}: inputs must match except on the "
                                 f"concatenation axis {self.axis}, got shapes "
                                 f"{', '.join(str(s) for s in shapes)}")

    def call(self, inputs: Any) -> Any:
        shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) \
            else inputs.shape
        shapes = self._check_list(shapes)
        self._check_shapes(shapes)
        xs = list(inputs)
        if len(xs) == 1:
            return xs[0]
        return ops.concatenate(xs, axis=self.axis % xs[0].ndim)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """Joining features keeps each step's mask (valid in every masked input); joining
        along the masked (time) axis joins the masks, unmasked inputs counting as valid."""
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
        if all(m is None for m in masks):
            return None
        xs = list(inputs)
        rank = xs[0].ndim
        ax = self.axis % rank
        mask_rank = next(m for m in masks if m is not None).ndim
        if ax < mask_rank:  # along an axis the mask has: concatenate the masks
            full = [m if m is not None else ops.ones_like(
                x[(slice(None),) * mask_rank + (0,) * (rank - mask_rank)], dtype="bool")
                for m, x in zip(masks, xs)]
            return ops.concatenate(full, axis=ax)
        return super().compute_mask(inputs, masks)


def _l2_normalize(x: Any, axis: int) -> Any:
    """Keras's ``l2_normalize``: ``x / sqrt(max(sum(x**2), 1e-7))``."""
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, 1e-7)))


class Dot(_Merge):
    """Batched dot product of two samples along ``axes`` (Keras's ``batch_dot``).

    ``axes`` is one int (the same axis of both inputs) or a pair. The output keeps the
    batch axis, then the remaining axes of the first input, then those of the second;
    a result with no axis left but the batch gets a trailing axis of size 1. With
    ``normalize=True`` both inputs are L2-normalised along their axis first, giving the
    cosine similarity.
    """

    min_inputs = 2
    max_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, int) and not isinstance(axes, bool):
            pass
        elif isinstance(axes, (list, tuple)) and len(axes) == 2 and all(
                isinstance(a, int) and not isinstance(a, bool) for a in axes):
            axes = list(axes)
        else:
            raise InvalidArgumentError(f"{layer_label(self)}: argument 'axes': expected an "
                                       f"int or a pair of ints, got {axes!r}")
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolve_axes(self, shapes: list[tuple]) -> tuple[int, int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        out = []
        for a, s in zip(pair, shapes):
            if not -len(s) <= a < len(s):
                raise ShapeError(f"{layer_label(self)}: argument 'axes': {a} is out of range "
                                 f"for an input of shape {s}")
            a %= len(s)
            if a == 0:
                raise ShapeError(f"{layer_label(self)}: argument 'axes': cannot contract the "
                                 f"batch axis 0 (input shape {s})")
            out.append(a)
        return out[0], out[1]

    def _check_shapes(self, shapes: list[tuple]) -> None:
        for s in shapes:
            if len(s) < 2:
                raise ShapeError(f"{layer_label(self)}: inputs need a batch axis and at least "
                                 f"one more, got shape {s}")
        a1, a2 = self._resolve_axes(shapes)
        d1, d2 = shapes[0][a1], shapes[1][a2]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ShapeError(f"{layer_label(self)}: the dot axes must have equal sizes, got "
                             f"{d1} (axis {a1} of {shapes[0]}) and {d2} (axis {a2} of "
                             f"{shapes[1]})")

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None  # the product has no steps left to mask (Keras)

    def call(self, inputs: Any) -> Any:
        shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) \
            else inputs.shape
        shapes = self._check_list(shapes)
        self._check_shapes(shapes)
        x1, x2 = inputs
        a1, a2 = self._resolve_axes(shapes)
        if self.normalize:
            x1 = _l2_normalize(x1, a1)
            x2 = _l2_normalize(x2, a2)
        letters = iter(string.ascii_lowercase[1:])
        s1 = ["a"] + [next(letters) for _ in range(x1.ndim - 1)]
        s2 = ["a"] + [next(letters) for _ in range(x2.ndim - 1)]
        s2[a2] = s1[a1]
        out = ["a"] + [c for i, c in enumerate(s1) if i not in (0, a1)] + \
            [c for i, c in enumerate(s2) if i not in (0, a2)]
        y = ops.einsum(f"{''.join(s1)},{''.join(s2)}->{''.join(out)}", x1, x2)
        if y.ndim == 1:
            y = ops.expand_dims(y, 1)
        return y


# ---- functional spellings (keras.layers.add(...) ...) --------------------------------------
def add(inputs: list, **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any = -1, normalize: bool = False, **kwargs: Any) -> Any:
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
