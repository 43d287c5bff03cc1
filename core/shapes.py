"""Shape arithmetic shared by every op's shape rule and by autodiff.

A dimension is an ``int`` or ``None`` (unknown until run time, e.g. the batch). Functions
take the op name so that their errors can name it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .errors import InvalidArgumentError, ShapeError

Shape = tuple  # tuple[int | None, ...]

__all__ = ["broadcast_shapes", "normalize_axis", "normalize_axes", "unbroadcast_axes",
           "size_of", "reduced_shape", "check_shape"]


def size_of(shape: Sequence[int | None]) -> int | None:
    n = 1
    for d in shape:
        if d is None:
            return None
        n *= d
    return n


def broadcast_shapes(op: str, *shapes: Sequence[int | None]) -> Shape:
    """NumPy broadcasting, with ``None`` as an unknown dimension."""
    ndim = max((len(s) for s in shapes), default=0)
    out: list[int | None] = []
    for i in range(ndim):
        dim: int | None = 1
        for s in shapes:
            j = i - (ndim - len(s))
            if j < 0:
                continue
            d = s[j]
            if d == 1:
                continue
            if dim == 1:
                dim = d
            elif d is None or dim is None:
                dim = dim if d is None else d
            elif d != dim:
                shown = " and ".join(str(tuple(x)) for x in shapes)
                raise ShapeError(f"{op}: shapes {shown} cannot be broadcast together "
                                 f"(axis {i - ndim}: {dim} vs {d})")
        out.append(dim)
    return tuple(out)


def normalize_axis(op: str, axis: int, ndim: int, arg: str = "axis") -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise InvalidArgumentError(f"{op}: argument '{arg}': expected an int, got {axis!r}")
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise InvalidArgumentError(
            f"{op}: argument '{arg}': expected an axis in [{-ndim}, {ndim - 1}] for a "
            f"{ndim}-d input, got {axis}")
    return axis % ndim if ndim else 0


def normalize_axes(op: str, axis: int | Iterable[int] | None, ndim: int) -> tuple[int, ...]:
    """Axes as a sorted tuple of non-negative ints; ``None`` means all axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int) and not isinstance(axis, bool):
        return (normalize_axis(op, axis, ndim),)
    try:
        axes = tuple(axis)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidArgumentError(
            f"{op}: argument 'axis': expected an int, a tuple of ints or None, got {axis!r}"
        ) from None
    out = tuple(sorted(normalize_axis(op, a, ndim) for a in axes))
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"{op}: argument 'axis': repeated axis in {axis!r}")
    return out


def reduced_shape(shape: Shape, axes: tuple[int, ...], keepdims: bool) -> Shape:
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def unbroadcast_axes(in_shape: Shape, out_shape: Shape) -> tuple[tuple[int, ...], int]:
    """Axes of ``out_shape`` to sum so a gradient gets back to ``in_shape``.

    Returns ``(axes, lead)``: sum over ``axes`` with keepdims, then drop the first ``lead``
    axes (those that broadcasting added in front).
    """
    lead = len(out_shape) - len(in_shape)
    axes = list(range(lead))
    for i, d in enumerate(in_shape):
        if d == 1 and out_shape[lead + i] != 1:
            axes.append(lead + i)
    return tuple(axes), lead


def check_shape(where: str, shape: object, arg: str = "shape") -> Shape:
    """Validate a user-given shape: ints >= 0 (or -1 handled by callers)."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)  # type: ignore[arg-type]
    except TypeError:
        raise InvalidArgumentError(
            f"{where}: argument '{arg}': expected a tuple of ints, got {shape!r}") from None
    out = []
    for d in dims:
        if d is None:
            out.append(None)
            continue
        if hasattr(d, "__index__") and not isinstance(d, bool):
            d = d.__index__()
        if not isinstance(d, int) or isinstance(d, bool) or d < 0:
            raise InvalidArgumentError(
                f"{where}: argument '{arg}': expected non-negative ints, got {shape!r}")
        out.append(d)
    return tuple(out)
