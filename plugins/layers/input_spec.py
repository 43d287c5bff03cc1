"""``InputSpec``: what a layer accepts (rank, dtype, sizes of some axes), checked before
``call`` so a wrong input fails with the layer's name and the expectation, not deep inside
an op (Keras 3's ``keras.layers.InputSpec``)."""

from __future__ import annotations

from typing import Any

from tensorweave.errors import InvalidArgumentError, ShapeError

__all__ = ["InputSpec", "assert_input_compatibility"]


class InputSpec:
    """The rank (``ndim`` / ``min_ndim`` / ``max_ndim``), ``dtype``, full ``shape``
    (``None`` for any size) and ``axes`` (``{axis: size}``) an input must have.
    ``allow_last_axis_squeeze`` lets a trailing axis of size 1 be absent or extra;
    ``optional`` lets the input be ``None``."""

    def __init__(self, dtype: Any = None, shape: Any = None, ndim: int | None = None,
                 max_ndim: int | None = None, min_ndim: int | None = None,
                 axes: dict | None = None, allow_last_axis_squeeze: bool = False,
                 name: str | None = None, optional: bool = False) -> None:
        from tensorweave import dtypes as _dt

        self.dtype = _dt.canonicalize(dtype).name if dtype is not None else None
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError) as exc:
            raise InvalidArgumentError(f"InputSpec: argument 'axes': expected a dict of int "
                                       f"axes to sizes, got {axes!r}") from exc
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            top = (self.ndim if self.ndim is not None else self.max_ndim) - 1
            if max(self.axes) > top:
                raise InvalidArgumentError(f"InputSpec: argument 'axes': axis {max(self.axes)} "
                                           f"is out of range for ndim {top + 1}")

    def __repr__(self) -> str:
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                         ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                         ("min_ndim", self.min_ndim), ("axes", self.axes))
                 if v]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self) -> dict:
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config: dict) -> InputSpec:
        return cls(**config)


def assert_input_compatibility(input_spec: Any, inputs: Any, layer_name: str) -> None:
    """Raise ``ShapeError`` / ``InvalidArgumentError`` naming the layer when ``inputs``
    do not satisfy ``input_spec`` (one spec, or one per input)."""
    if not input_spec:
        return
    specs = list(input_spec) if isinstance(input_spec, (list, tuple)) else [input_spec]
    flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if len(specs) != len(flat):
        raise InvalidArgumentError(f"{layer_name}: expected {len(specs)} input(s) (its "
                                   f"input_spec), got {len(flat)}")
    for i, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None:
            continue
        if x is None:
            if spec.optional:
                continue
            raise InvalidArgumentError(f"{layer_name}: input {i} is None but not optional")
        shape = tuple(getattr(x, "shape", ()))
        ndim = len(shape)
        where = f"{layer_name}: input {i}"
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ShapeError(f"{where}: expected ndim={spec.ndim}, got ndim={ndim} "
                             f"(shape {shape})")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ShapeError(f"{where}: expected max_ndim={spec.max_ndim}, got ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ShapeError(f"{where}: expected min_ndim={spec.min_ndim}, got ndim={ndim}")
        if spec.dtype is not None:
            got = getattr(getattr(x, "dtype", None), "name", None)
            if got is not None and got != spec.dtype:
                raise InvalidArgumentError(f"{where}: expected dtype={spec.dtype}, got {got}")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            d = shape[axis] if -ndim <= axis < ndim else None
            if d is not None and d not in (size if isinstance(size, (list, tuple))
                                           else (size,)):
                raise ShapeError(f"{where}: expected axis {axis} of size {size}, got "
                                 f"shape {shape}")
        if spec.shape is not None:
            want = spec.shape
            got_shape = shape
            if spec.allow_last_axis_squeeze:
                if got_shape and got_shape[-1] == 1:
                    got_shape = got_shape[:-1]
                if want and want[-1] == 1:
                    want = want[:-1]
            if len(want) != len(got_shape) or any(
                    w is not None and g is not None and w != g
                    for w, g in zip(want, got_shape)):
                raise ShapeError(f"{where}: expected shape {spec.shape}, got {shape}")
