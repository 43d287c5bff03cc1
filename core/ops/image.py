"""``tw.ops.image``: Keras 3's image ops, written with ``tw.ops`` so they run on every backend.

Images are ``(batch, height, width, channels)`` or one ``(height, width, channels)`` image
(``data_format="channels_first"`` puts the channels before the rows; ``None`` means the
configured ``image_data_format``). The semantics follow ``keras.ops.image`` on its JAX
backend, which the oracle tests compare with:

* :func:`map_coordinates` is JAX's ``scipy.ndimage.map_coordinates`` (order 0 or 1; modes
  ``constant``, ``nearest``, ``wrap``, ``mirror``, ``reflect``; nearest rounds half away
  from zero; in ``constant`` mode each interpolation corner outside the input reads
  ``fill_value``).
* :func:`affine_transform` maps each output pixel ``(x, y)`` to the input point
  ``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``, for each
  image's ``[a0, a1, a2, b0, b1, b2, c0, c1]``. For affine transforms (``c0 = c1 = 0``)
  this is Keras's result on every backend. Keras's JAX backend ignores ``k`` (and mixes
  ``c0``/``c1`` with the channel index); TensorFlow divides by ``k`` as we do.
* :func:`resize` and :func:`scale_and_translate` resample each spatial axis with a weight
  matrix built from the interpolation kernel (JAX's ``jax.image`` algorithm: triangle,
  Keys cubic with ``a = -0.5``, Lanczos 3/5; with ``antialias`` the kernel is widened
  when downsampling), so every method is one matrix product per axis.

Coordinates and resampling weights are computed in float32 for float32 images (float64
for float64), as Keras does.
"""

from __future__ import annotations

import math
from typing import Any

from .. import dtypes as _dt
from ..errors import InvalidArgumentError, ShapeError

__all__ = ["affine_transform", "crop_images", "elastic_transform", "extract_patches",
           "extract_patches_3d", "gaussian_blur", "hsv_to_rgb", "map_coordinates",
           "pad_images", "perspective_transform", "resize", "rgb_to_grayscale",
           "rgb_to_hsv", "scale_and_translate", "sobel_edges", "ssim"]

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")
AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
SCALE_AND_TRANSLATE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic",
                               "tricubic", "lanczos3", "lanczos5")


# ==== shared argument handling ===========================================================
def _ops() -> Any:
    from .. import ops

    return ops


def _data_format(where: str, value: str | None) -> str:
    if value is None:
        from ..backend import image_data_format

        value = image_data_format()
    v = str(value).lower()
    if v not in ("channels_last", "channels_first"):
        raise InvalidArgumentError(f"{where}: argument 'data_format': expected "
                                   f"'channels_last' or 'channels_first', got {value!r}")
    return v


def _choice(where: str, arg: str, value: Any, allowed: Any) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise InvalidArgumentError(f"{where}: argument {arg!r}: expected one of "
                                   f"{', '.join(repr(a) for a in allowed)}, got {value!r}")
    return value.lower()


def _as_tensor(x: Any) -> Any:
    """A tensor (concrete or symbolic) is kept; anything else is converted."""
    ops = _ops()
    if ops.is_tensor(x) or ops.is_symbolic(x):
        return x
    return ops.convert_to_tensor(x)


def _images(where: str, images: Any, ranks: tuple[int, ...] = (3, 4)) -> Any:
    x = _as_tensor(images)
    if x.ndim not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ShapeError(f"{where}: argument 'images': expected rank {want} (one image or "
                         f"a batch), got shape {tuple(x.shape)}")
    return x


_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
        "float64": 2.0 ** -52}


def _eps(dtype: Any) -> float:
    return _EPS.get(str(dtype), _EPS["float32"])


def _float_dtype(x: Any) -> Any:
    return x.dtype if x.dtype.kind == "f" else _dt.float32


class _Layout:
    """Batched channels-last view of ``images`` and the way back to the caller's layout."""

    def __init__(self, where: str, images: Any, data_format: str | None,
                 ranks: tuple[int, ...] = (3, 4)) -> None:
        ops = _ops()
        self.fmt = _data_format(where, data_format)
        x = _images(where, images, ranks)
        self.unbatched = x.ndim == min(ranks)
        if self.unbatched:
            x = ops.expand_dims(x, 0)
        if self.fmt == "channels_first":
            x = ops.moveaxis(x, 1, -1)
        self.x = x

    def back(self, y: Any) -> Any:
        ops = _ops()
        if self.fmt == "channels_first":
            y = ops.moveaxis(y, -1, 1)
        if self.unbatched:
            y = ops.squeeze(y, 0)
        return y


def _const(values: Any, dtype: Any, like: Any) -> Any:
    """A constant on the backend of ``like`` (any concrete tensor; symbolic: the default)."""
    from ..tensor import Tensor

    backend = like._backend if isinstance(like, Tensor) else None
    return _ops().convert_to_tensor(values, dtype, backend=backend)


# ==== colour spaces ======================================================================
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> Any:
    """Luma ``0.2989 R + 0.5870 G + 0.1140 B`` (one channel kept); a 1-channel image is
    returned as is. Integer images are converted in float and cast back (truncating)."""
    ops = _ops()
    where = "rgb_to_grayscale"
    fmt = _data_format(where, data_format)
    x = _images(where, images)
    axis = -1 if fmt == "channels_last" else -3
    if x.shape[axis] not in (1, 3):
        raise ShapeError(f"{where}: argument 'images': expected 3 (RGB) or 1 (grayscale) "
                         f"channels, got shape {tuple(x.shape)}")
    if x.shape[axis] == 1:
        return x
    dtype = x.dtype
    f = ops.cast(x, _float_dtype(x))
    w = _const([0.2989, 0.5870, 0.1140], f.dtype, f)
    y = ops.expand_dims(ops.tensordot(f, w, axes=([x.ndim + axis], [0])), axis)
    return ops.cast(y, dtype)


def _split3(where: str, x: Any, fmt: str) -> tuple[Any, Any, Any, int]:
    ops = _ops()
    axis = x.ndim - 1 if fmt == "channels_last" else x.ndim - 3
    if x.dtype.kind != "f":
        raise InvalidArgumentError(f"{where}: argument 'images': expected a float dtype, "
                                   f"got {x.dtype}")
    if x.shape[axis] != 3:
        raise ShapeError(f"{where}: argument 'images': expected 3 channels, got shape "
                         f"{tuple(x.shape)}")
    a, b, c = (ops.squeeze(p, axis) for p in ops.split(x, 3, axis=axis))
    return a, b, c, axis


def rgb_to_hsv(images: Any, data_format: str | None = None) -> Any:
    """RGB in ``[0, 1]`` to HSV in ``[0, 1]`` (hue as a fraction of the circle)."""
    ops = _ops()
    where = "rgb_to_hsv"
    fmt = _data_format(where, data_format)
    x = _images(where, images)
    eps = _eps(x.dtype) if x.dtype.kind == "f" else 0.0
    if x.dtype.kind == "f":
        x = ops.where(ops.less(ops.abs(x), eps), 0.0, x)
    r, g, b, axis = _split3(where, x, fmt)
    value = ops.maximum(ops.maximum(r, g), b)
    rng = ops.subtract(value, ops.minimum(ops.minimum(r, g), b))
    safe_value = ops.where(ops.greater(value, 0.0), value, 1.0)
    safe_range = ops.where(ops.greater(rng, 0.0), rng, 1.0)
    saturation = ops.where(ops.greater(value, 0.0), ops.divide(rng, safe_value), 0.0)
    norm = ops.divide(1.0, ops.multiply(6.0, safe_range))
    hue = ops.where(ops.equal(value, g),
                    ops.add(ops.multiply(norm, ops.subtract(b, r)), 2.0 / 6.0),
                    ops.add(ops.multiply(norm, ops.subtract(r, g)), 4.0 / 6.0))
    hue = ops.where(ops.equal(value, r), ops.multiply(norm, ops.subtract(g, b)), hue)
    hue = ops.add(ops.where(ops.greater(rng, 0.0), hue, 0.0),
                  ops.cast(ops.less(hue, 0.0), hue.dtype))
    return ops.stack([hue, saturation, value], axis=axis)


def hsv_to_rgb(images: Any, data_format: str | None = None) -> Any:
    """HSV in ``[0, 1]`` back to RGB (the inverse of :func:`rgb_to_hsv`)."""
    ops = _ops()
    where = "hsv_to_rgb"
    fmt = _data_format(where, data_format)
    x = _images(where, images)
    h, s, v, axis = _split3(where, x, fmt)
    dh = ops.multiply(ops.mod(h, 1.0), 6.0)
    dr = ops.clip(ops.subtract(ops.abs(ops.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(dh, 2.0))), 0.0, 1.0)
    db = ops.clip(ops.subtract(2.0, ops.abs(ops.subtract(dh, 4.0))), 0.0, 1.0)
    one_minus_s = ops.subtract(1.0, s)
    planes = [ops.multiply(v, ops.add(one_minus_s, ops.multiply(s, d))) for d in (dr, dg, db)]
    return ops.stack(planes, axis=axis)


# ==== sampling ===========================================================================
def _round_half_away(x: Any) -> Any:
    ops = _ops()
    return ops.multiply(ops.sign(x), ops.floor(ops.add(ops.abs(x), 0.5)))


def _fix_index(i: Any, n: int, mode: str) -> Any:
    """Integral float indices mapped into ``[0, n)`` by the fill mode (JAX's index fixers;
    ``constant`` clamps, its callers mask the corners that were outside)."""
    ops = _ops()
    if mode == "wrap":
        return ops.mod(i, float(n))
    if mode == "mirror":
        if n == 1:
            return ops.multiply(i, 0.0)
        s = float(n - 1)
        return ops.abs(ops.subtract(ops.mod(ops.add(i, s), 2.0 * s), s))
    if mode == "reflect":
        j = ops.mod(i, float(2 * n))
        return ops.where(ops.greater_equal(j, float(n)), ops.subtract(float(2 * n - 1), j), j)
    return ops.clip(i, 0.0, float(n - 1))


def _interpolate(values: Any, coords: list, sizes: list, order: int, mode: str,
                 fill_value: float, dtype: Any) -> Any:
    """Read ``values`` (flattened over ``sizes`` and then ``(..., extra)``) at float
    coordinates, one per sampled axis, with JAX's ``map_coordinates`` rules.

    ``values``: ``(n_points_total, extra)``; ``coords``: float tensors of one shape ``P``
    (already offset-free); ``sizes``: the axis sizes; the flat index is row-major over
    ``sizes``. Returns ``P + (extra,)``.
    """
    ops = _ops()
    strides = [math.prod(sizes[i + 1:]) for i in range(len(sizes))]
    if order == 0:
        nodes = [[(_round_half_away(c), None)] for c in coords]
    else:
        nodes = []
        for c in coords:
            lo = ops.floor(c)
            frac = ops.subtract(c, lo)
            nodes.append([(lo, ops.subtract(1.0, frac)), (ops.add(lo, 1.0), frac)])
    out = None
    for combo in _product(nodes):
        flat = None
        valid = None
        weight = None
        for (idx, w), n, stride in zip(combo, sizes, strides):
            if mode == "constant":
                ok = ops.logical_and(ops.greater_equal(idx, 0.0),
                                     ops.less_equal(idx, float(n - 1)))
                valid = ok if valid is None else ops.logical_and(valid, ok)
            fixed = _fix_index(idx, n, mode)
            term = ops.multiply(fixed, float(stride))
            flat = term if flat is None else ops.add(flat, term)
            if w is not None:
                weight = w if weight is None else ops.multiply(weight, w)
        v = ops.take(values, ops.cast(flat, _dt.int32), axis=0)
        if valid is not None:
            v = ops.where(ops.expand_dims(valid, -1), v, ops.cast(fill_value, v.dtype))
        if weight is not None:
            v = ops.multiply(v, ops.expand_dims(ops.cast(weight, v.dtype), -1))
        out = v if out is None else ops.add(out, v)
    return out


def _product(lists: list) -> list:
    combos: list = [[]]
    for items in lists:
        combos = [c + [it] for c in combos for it in items]
    return combos


def map_coordinates(inputs: Any, coordinates: Any, order: int, fill_mode: str = "constant",
                    fill_value: float = 0) -> Any:
    """Interpolate ``inputs`` (any rank ``N``) at ``coordinates`` (``(N, *points)``), as
    JAX's ``scipy.ndimage.map_coordinates``; integer inputs round half away from zero."""
    ops = _ops()
    where = "map_coordinates"
    x = _as_tensor(inputs)
    c = _as_tensor(coordinates) if not isinstance(coordinates, (list, tuple)) \
        else ops.stack([_as_tensor(v) for v in coordinates])
    if c.ndim < 2:
        raise ShapeError(f"{where}: argument 'coordinates': expected rank >= 2 "
                         f"(rank(inputs), *points), got shape {tuple(c.shape)}")
    if c.shape[0] != x.ndim:
        raise ShapeError(f"{where}: argument 'coordinates': the first dimension must be the "
                         f"rank of 'inputs' ({x.ndim}), got shape {tuple(c.shape)}")
    mode = _choice(where, "fill_mode", fill_mode, FILL_MODES)
    if order not in (0, 1):
        raise InvalidArgumentError(f"{where}: argument 'order': expected 0 or 1, got {order!r}")
    fdt = _float_dtype(x) if c.dtype.kind != "f" else c.dtype
    coords = [ops.cast(c[i], fdt) for i in range(x.ndim)]
    sizes = [int(d) for d in x.shape]
    values = ops.reshape(x, (-1, 1))
    compute = values if x.dtype.kind == "f" else ops.cast(values, fdt)
    out = ops.squeeze(_interpolate(compute, coords, sizes, order, mode, fill_value, fdt), -1)
    if x.dtype.kind != "f":
        out = _round_half_away(out)
    return ops.cast(out, x.dtype)


def _sample_hw(images: Any, rows: Any, cols: Any, order: int, mode: str,
               fill_value: float) -> Any:
    """Sample batched channels-last ``images`` at per-image float ``rows``/``cols``
    ``(batch, P)``; returns ``(batch, P, channels)``."""
    ops = _ops()
    b, h, w, c = (int(d) for d in images.shape)
    flat = ops.reshape(images, (b * h * w, c))
    fdt = rows.dtype
    base = ops.multiply(ops.cast(ops.arange(b), fdt), float(h * w))
    base = ops.expand_dims(base, -1)
    nodes_r = [(_round_half_away(rows), None)] if order == 0 else None
    nodes_c = [(_round_half_away(cols), None)] if order == 0 else None
    if order == 1:
        r0, c0 = ops.floor(rows), ops.floor(cols)
        fr, fc = ops.subtract(rows, r0), ops.subtract(cols, c0)
        nodes_r = [(r0, ops.subtract(1.0, fr)), (ops.add(r0, 1.0), fr)]
        nodes_c = [(c0, ops.subtract(1.0, fc)), (ops.add(c0, 1.0), fc)]
    out = None
    dtype = images.dtype
    for ri, wr in nodes_r:
        for ci, wc in nodes_c:
            valid = None
            if mode == "constant":
                valid = ops.logical_and(
                    ops.logical_and(ops.greater_equal(ri, 0.0), ops.less_equal(ri, float(h - 1))),
                    ops.logical_and(ops.greater_equal(ci, 0.0), ops.less_equal(ci, float(w - 1))))
            idx = ops.add(ops.add(ops.multiply(_fix_index(ri, h, mode), float(w)),
                                  _fix_index(ci, w, mode)), base)
            v = ops.take(flat, ops.cast(idx, _dt.int32), axis=0)
            if valid is not None:
                v = ops.where(ops.expand_dims(valid, -1), v, ops.cast(fill_value, dtype))
            if wr is not None:
                v = ops.multiply(v, ops.expand_dims(ops.cast(ops.multiply(wr, wc), dtype), -1))
            out = v if out is None else ops.add(out, v)
    return out


def _pixel_grid(h: int, w: int, fdt: Any, like: Any) -> tuple[Any, Any]:
    """Column and row indices of every pixel, row-major, as ``(1, h*w)`` constants."""
    cols = [float(j) for _ in range(h) for j in range(w)]
    rows = [float(i) for i in range(h) for _ in range(w)]
    return _const([cols], fdt, like), _const([rows], fdt, like)


def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear",
                     fill_mode: str = "constant", fill_value: float = 0,
                     data_format: str | None = None) -> Any:
    """Apply one projective transform per image (see the module docstring)."""
    ops = _ops()
    where = "affine_transform"
    order = AFFINE_INTERPOLATIONS[_choice(where, "interpolation", interpolation,
                                          AFFINE_INTERPOLATIONS)]
    mode = _choice(where, "fill_mode", fill_mode, FILL_MODES)
    lay = _Layout(where, images, data_format)
    x = lay.x
    b, h, w, _ = (int(d) for d in x.shape)
    t = _as_tensor(transform)
    if t.ndim not in (1, 2):
        raise ShapeError(f"{where}: argument 'transform': expected rank 1 or 2, got shape "
                         f"{tuple(t.shape)}")
    if t.ndim == 1:
        t = ops.expand_dims(t, 0)
    if tuple(t.shape) not in ((b, 8), (1, 8)):
        raise ShapeError(f"{where}: argument 'transform': expected shape ({b}, 8) or (8,), "
                         f"got {tuple(t.shape)}")
    fdt = _float_dtype(x)
    t = ops.cast(t, fdt)
    xs, ys = _pixel_grid(h, w, fdt, x)
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, i:i + 1] for i in range(8))
    k = ops.add(ops.add(ops.multiply(c0, xs), ops.multiply(c1, ys)), 1.0)
    x_in = ops.divide(ops.add(ops.add(ops.multiply(a0, xs), ops.multiply(a1, ys)), a2), k)
    y_in = ops.divide(ops.add(ops.add(ops.multiply(b0, xs), ops.multiply(b1, ys)), b2), k)
    limit = float(2 ** 24)  # far-away points only need to stay far away (and int32-safe)
    x_in = ops.clip(x_in, -limit, limit)
    y_in = ops.clip(y_in, -limit, limit)
    if x_in.shape[0] != b:
        x_in = ops.broadcast_to(x_in, (b, h * w))
        y_in = ops.broadcast_to(y_in, (b, h * w))
    out = _sample_hw(x if x.dtype.kind == "f" else ops.cast(x, fdt), y_in, x_in, order, mode,
                     fill_value)
    out = ops.reshape(out, (b, h, w, int(x.shape[-1])))
    if x.dtype.kind != "f":
        out = _round_half_away(out)
    return lay.back(ops.cast(out, x.dtype))


def _homography(start: Any, end: Any) -> Any:
    """The 8 projective parameters mapping ``end`` corners onto ``start`` corners (batched
    ``(b, 4, 2)``), by Gauss-Jordan elimination with partial pivoting on the 8x8 system."""
    ops = _ops()
    sx, sy = start[..., 0], start[..., 1]
    ex, ey = end[..., 0], end[..., 1]
    zeros, ones = ops.zeros_like(ex), ops.ones_like(ex)
    x_rows = ops.stack([ex, ey, ones, zeros, zeros, zeros, ops.negative(ops.multiply(sx, ex)),
                        ops.negative(ops.multiply(sx, ey))], axis=-1)
    y_rows = ops.stack([zeros, zeros, zeros, ex, ey, ones, ops.negative(ops.multiply(sy, ex)),
                        ops.negative(ops.multiply(sy, ey))], axis=-1)
    a = ops.concatenate([x_rows, y_rows], axis=1)                 # (b, 8, 8)
    rhs = ops.expand_dims(ops.concatenate([sx, sy], axis=-1), -1)  # (b, 8, 1)
    m = ops.concatenate([a, rhs], axis=-1)                        # (b, 8, 9)
    n = 8
    rows_idx = _const(list(range(n)), _dt.int32, m)
    for col in range(n):
        column = ops.abs(m[:, :, col])                            # (b, 8)
        masked = ops.where(ops.less(rows_idx, col), -1.0, column)
        piv = ops.argmax(masked, axis=-1)                         # (b,)
        # swap row `col` with row `piv`
        perm = ops.where(ops.equal(rows_idx, col), ops.expand_dims(piv, -1),
                         ops.where(ops.equal(rows_idx, ops.expand_dims(piv, -1)), col,
                                   rows_idx))
        m = ops.take_along_axis(m, ops.expand_dims(perm, -1), axis=1)
        pivot_row = ops.divide(m[:, col:col + 1, :], m[:, col:col + 1, col:col + 1])
        factors = m[:, :, col:col + 1]
        is_pivot = ops.reshape(ops.equal(rows_idx, col), (1, n, 1))
        m = ops.where(is_pivot, pivot_row, ops.subtract(m, ops.multiply(factors, pivot_row)))
    return m[:, :, n]


def perspective_transform(images: Any, start_points: Any, end_points: Any,
                          interpolation: str = "bilinear", fill_value: float = 0,
                          data_format: str | None = None) -> Any:
    """Warp each image so its ``start_points`` corners land on ``end_points``."""
    ops = _ops()
    where = "perspective_transform"
    _choice(where, "interpolation", interpolation, AFFINE_INTERPOLATIONS)
    lay = _Layout(where, images, data_format)
    sp = _as_tensor(start_points)
    ep = _as_tensor(end_points)
    for arg, p in (("start_points", sp), ("end_points", ep)):
        if tuple(p.shape[-2:]) != (4, 2) or p.ndim not in (2, 3):
            raise ShapeError(f"{where}: argument {arg!r}: expected shape (4, 2) or (N, 4, 2), "
                             f"got {tuple(p.shape)}")
    if tuple(sp.shape) != tuple(ep.shape):
        raise ShapeError(f"{where}: 'start_points' and 'end_points' must have one shape, got "
                         f"{tuple(sp.shape)} and {tuple(ep.shape)}")
    if sp.ndim == 2:
        sp, ep = ops.expand_dims(sp, 0), ops.expand_dims(ep, 0)
    params = _homography(ops.cast(sp, _dt.float32), ops.cast(ep, _dt.float32))
    x = lay.x
    if params.shape[0] != x.shape[0]:
        params = ops.broadcast_to(params, (int(x.shape[0]), 8))
    out = affine_transform(x, params, interpolation=interpolation, fill_mode="constant",
                           fill_value=fill_value, data_format="channels_last")
    return lay.back(out)


# ==== resampling =========================================================================
def _kernel(method: str) -> tuple[Any, float]:
    """The interpolation kernel ``k(|x|)`` (written with tw.ops) and its radius."""
    ops = _ops()

    def triangle(x: Any) -> Any:
        return ops.maximum(ops.subtract(1.0, x), 0.0)

    def cubic(x: Any) -> Any:  # Keys, a = -0.5
        x2 = ops.multiply(x, x)
        x3 = ops.multiply(x2, x)
        near = ops.add(ops.subtract(ops.multiply(1.5, x3), ops.multiply(2.5, x2)), 1.0)
        far = ops.add(ops.subtract(ops.add(ops.multiply(-0.5, x3), ops.multiply(2.5, x2)),
                                   ops.multiply(4.0, x)), 2.0)
        return ops.where(ops.less(x, 1.0), near, ops.where(ops.less(x, 2.0), far, 0.0))

    def lanczos(radius: float) -> Any:
        def k(x: Any) -> Any:
            def sinc(v: Any) -> Any:
                pv = ops.multiply(v, math.pi)
                safe = ops.where(ops.equal(v, 0.0), 1.0, pv)
                return ops.where(ops.equal(v, 0.0), 1.0, ops.divide(ops.sin(safe), safe))
            val = ops.multiply(sinc(x), sinc(ops.divide(x, radius)))
            return ops.where(ops.less(x, radius), val, 0.0)
        return k

    if method in ("linear", "bilinear", "trilinear"):
        return triangle, 1.0
    if method in ("cubic", "bicubic", "tricubic"):
        return cubic, 2.0
    if method == "lanczos3":
        return lanczos(3.0), 3.0
    return lanczos(5.0), 5.0


def _weight_matrix(in_size: int, out_size: int, scale: Any, translation: Any, method: str,
                   antialias: bool, fdt: Any, like: Any) -> Any:
    """``(in_size, out_size)`` resampling weights (JAX's ``compute_weight_mat``)."""
    ops = _ops()
    kernel, _ = _kernel(method)
    # a Python number goes straight to fdt (a cast would pass it through float32 first)
    scale = _const(scale, fdt, like) if isinstance(scale, (int, float)) else ops.cast(scale, fdt)
    translation = (_const(translation, fdt, like) if isinstance(translation, (int, float))
                   else ops.cast(translation, fdt))
    inv_scale = ops.divide(1.0, scale)
    kernel_scale = ops.maximum(inv_scale, 1.0) if antialias else 1.0
    out_idx = _const([[j + 0.5 for j in range(out_size)]], fdt, like)   # (1, out)
    sample = ops.subtract(ops.subtract(ops.multiply(out_idx, inv_scale),
                                       ops.multiply(translation, inv_scale)), 0.5)
    in_idx = _const([[float(i)] for i in range(in_size)], fdt, like)    # (in, 1)
    dist = ops.divide(ops.abs(ops.subtract(sample, in_idx)), kernel_scale)
    weights = kernel(dist)
    total = ops.sum(weights, axis=0, keepdims=True)
    eps = _eps(fdt)
    safe_total = ops.where(ops.equal(total, 0.0), 1.0, total)
    weights = ops.where(ops.greater(ops.abs(total), 1000.0 * eps),
                        ops.divide(weights, safe_total), 0.0)
    inside = ops.logical_and(ops.greater_equal(sample, -0.5),
                             ops.less_equal(sample, in_size - 0.5))
    return ops.where(inside, weights, 0.0)


def _apply_axis(x: Any, axis: int, weights: Any) -> Any:
    """Contract axis ``axis`` of ``x`` with ``weights`` ``(in, out)``, keeping its place."""
    ops = _ops()
    y = ops.tensordot(x, ops.cast(weights, x.dtype), axes=([axis], [0]))
    return ops.moveaxis(y, -1, axis)


def _nearest_axis(x: Any, axis: int, out_size: int) -> Any:
    """Nearest-neighbour resampling with half-pixel centres (``jax.image.resize``)."""
    ops = _ops()
    n = int(x.shape[axis])
    if n == out_size:
        return x
    idx = [min(int(math.floor((j + 0.5) * n / out_size)), n - 1) for j in range(out_size)]
    return ops.take(x, _const(idx, _dt.int32, x), axis=axis)


def _area_axis(x: Any, axis: int, out_size: int) -> Any:
    """Area (box-average) resampling: each output cell averages the input it covers."""
    n = int(x.shape[axis])
    w = [[0.0] * out_size for _ in range(n)]
    for j in range(out_size):
        lo, hi = j * n / out_size, (j + 1) * n / out_size
        for i in range(int(math.floor(lo)), min(int(math.ceil(hi)), n)):
            overlap = min(hi, i + 1) - max(lo, i)
            if overlap > 0:
                w[i][j] = overlap * out_size / n
    return _apply_axis(x, axis, _const(w, x.dtype, x))


def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
           fill_mode: str = "constant", fill_value: float = 0.0,
           data_format: str | None = None) -> Any:
    """Resize images to ``size = (height, width)`` (Keras 3's ``ops.image.resize``)."""
    ops = _ops()
    where = "resize"
    method = _choice(where, "interpolation", interpolation, RESIZE_INTERPOLATIONS)
    if fill_mode != "constant":
        raise InvalidArgumentError(f"{where}: argument 'fill_mode': only 'constant' is "
                                   f"supported, got {fill_mode!r}")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise InvalidArgumentError(f"{where}: only one of 'crop_to_aspect_ratio' and "
                                   "'pad_to_aspect_ratio' can be True")
    try:
        th, tw_ = (int(s) for s in size)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{where}: argument 'size': expected (height, width), got "
                                   f"{size!r}") from None
    if th < 1 or tw_ < 1:
        raise InvalidArgumentError(f"{where}: argument 'size': expected positive sizes, got "
                                   f"{size!r}")
    lay = _Layout(where, images, data_format)
    x = lay.x
    h, w = int(x.shape[1]), int(x.shape[2])
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw_)), 1)
        cw = max(min(w, int(float(h * tw_) / th)), 1)
        top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = x[:, top:top + ch, left:left + cw, :]
    elif pad_to_aspect_ratio:
        ph = max(h, int(float(w * th) / tw_))
        pw = max(w, int(float(h * tw_) / th))
        top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
        if top > 0:
            x = ops.pad(x, ((0, 0), (top, top), (0, 0), (0, 0)), constant_values=fill_value)
        elif left > 0:
            x = ops.pad(x, ((0, 0), (0, 0), (left, left), (0, 0)), constant_values=fill_value)
    dtype = x.dtype
    if method == "nearest":
        y = _nearest_axis(_nearest_axis(x, 1, th), 2, tw_)
        return lay.back(y)
    f = x if dtype.kind == "f" else ops.cast(x, _dt.float32)
    for axis, out in ((1, th), (2, tw_)):
        n = int(f.shape[axis])
        if n == out and method != "area":
            continue
        if method == "area":
            f = _area_axis(f, axis, out)
            continue
        wts = _weight_matrix(n, out, out / n, 0.0, method, antialias, f.dtype, f)
        f = _apply_axis(f, axis, wts)
    if dtype.kind != "f":
        f = ops.cast(ops.clip(_round_half_away(f), *_int_range(dtype)), dtype)
    return lay.back(f)


def _int_range(dtype: Any) -> tuple[float, float]:
    bits = 8 * dtype.itemsize
    if dtype.kind == "u":
        return 0.0, float(2 ** bits - 1)
    if dtype.kind == "i":
        return float(-(2 ** (bits - 1))), float(2 ** (bits - 1) - 1)
    return 0.0, 1.0


def scale_and_translate(images: Any, output_shape: Any, scale: Any, translation: Any,
                        spatial_dims: Any, method: str, antialias: bool = True) -> Any:
    """JAX's ``jax.image.scale_and_translate`` on any backend: each axis in
    ``spatial_dims`` is resampled to ``output_shape`` with output pixel ``j`` reading the
    input at ``(j + 0.5 - translation) / scale - 0.5``."""
    ops = _ops()
    where = "scale_and_translate"
    method = _choice(where, "method", method, SCALE_AND_TRANSLATE_METHODS)
    x = _as_tensor(images)
    out_shape = tuple(int(d) for d in output_shape)
    if len(out_shape) != x.ndim:
        raise ShapeError(f"{where}: argument 'output_shape': expected {x.ndim} sizes, got "
                         f"{out_shape}")
    dims = [int(d) % x.ndim for d in spatial_dims]
    scale = _as_tensor(scale)
    translation = _as_tensor(translation)
    if scale.shape != (len(dims),) or translation.shape != (len(dims),):
        raise ShapeError(f"{where}: 'scale' and 'translation' need one entry per spatial "
                         f"dimension ({len(dims)}), got {tuple(scale.shape)} and "
                         f"{tuple(translation.shape)}")
    f = x if x.dtype.kind == "f" else ops.cast(x, _dt.float32)
    for i, d in enumerate(dims):
        wts = _weight_matrix(int(f.shape[d]), out_shape[d], scale[i], translation[i], method,
                             antialias, f.dtype, f)
        f = _apply_axis(f, d, wts)
    return f


# ==== cropping and padding ===============================================================
def _crop_pad_sizes(where: str, verb: str, h: int, w: int, top: Any, left: Any,
                    bottom: Any, right: Any, target_h: Any, target_w: Any
                    ) -> tuple[int, int, int, int]:
    """Resolve Keras's two ways of giving the box: two of (top, bottom, target_height)
    and two of (left, right, target_width)."""
    def resolve(axis: str, before: Any, after: Any, target: Any, size: int,
                names: tuple[str, str, str]) -> tuple[int, int]:
        given = [v is not None for v in (before, after, target)]
        if sum(given) != 2:
            raise InvalidArgumentError(
                f"{where}: give exactly two of {names[0]!r}, {names[1]!r} and {names[2]!r}, "
                f"got {names[0]}={before!r}, {names[1]}={after!r}, {names[2]}={target!r}")
        if before is None:
            before = (target - size - after) if verb == "pad" else (size - target - after)
        if after is None:
            after = (target - size - before) if verb == "pad" else (size - target - before)
        if target is None:
            target = size + before + after if verb == "pad" else size - before - after
        for name, v in zip(names, (before, after, target)):
            if int(v) < 0:
                raise InvalidArgumentError(f"{where}: argument {name!r}: must be >= 0 for an "
                                           f"{axis} of {size}, got {int(v)}")
        if verb == "crop" and int(target) == 0:
            raise InvalidArgumentError(f"{where}: the crop leaves nothing of the {axis}")
        return int(before), int(target)

    t, th = resolve("height", top, bottom, target_h, h,
                    (f"top_{verb}ding" if verb == "pad" else "top_cropping",
                     f"bottom_{verb}ding" if verb == "pad" else "bottom_cropping",
                     "target_height"))
    lft, tw_ = resolve("width", left, right, target_w, w,
                       (f"left_{verb}ding" if verb == "pad" else "left_cropping",
                        f"right_{verb}ding" if verb == "pad" else "right_cropping",
                        "target_width"))
    return t, lft, th, tw_


def crop_images(images: Any, top_cropping: int | None = None,
                left_cropping: int | None = None, bottom_cropping: int | None = None,
                right_cropping: int | None = None, target_height: int | None = None,
                target_width: int | None = None, data_format: str | None = None) -> Any:
    """Crop a box out of each image (Keras's ``crop_images``)."""
    where = "crop_images"
    lay = _Layout(where, images, data_format)
    x = lay.x
    h, w = int(x.shape[1]), int(x.shape[2])
    top, left, th, tw_ = _crop_pad_sizes(where, "crop", h, w, top_cropping, left_cropping,
                                         bottom_cropping, right_cropping, target_height,
                                         target_width)
    return lay.back(x[:, top:top + th, left:left + tw_, :])


def pad_images(images: Any, top_padding: int | None = None, left_padding: int | None = None,
               bottom_padding: int | None = None, right_padding: int | None = None,
               target_height: int | None = None, target_width: int | None = None,
               data_format: str | None = None) -> Any:
    """Pad each image with zeros to a box (Keras's ``pad_images``)."""
    ops = _ops()
    where = "pad_images"
    lay = _Layout(where, images, data_format)
    x = lay.x
    h, w = int(x.shape[1]), int(x.shape[2])
    top, left, th, tw_ = _crop_pad_sizes(where, "pad", h, w, top_padding, left_padding,
                                         bottom_padding, right_padding, target_height,
                                         target_width)
    pads = ((0, 0), (top, th - h - top), (left, tw_ - w - left), (0, 0))
    return lay.back(ops.pad(x, pads))


# ==== patches and filters ================================================================
def _extract(where: str, images: Any, size: Any, strides: Any, dilation_rate: Any,
             padding: str, data_format: str | None, n: int) -> Any:
    from .nn import _pad_spatial, _tuple, compute_padding
    from .nn import extract_patches as _im2col

    lay = _Layout(where, images, data_format, ranks=(n + 1, n + 2))
    x = lay.x
    sizes = _tuple(where, "size", size, n)
    st = _tuple(where, "strides", sizes if strides is None else strides, n)
    dil = _tuple(where, "dilation_rate", dilation_rate, n)
    if any(d > 1 for d in dil) and any(s > 1 for s in st):
        raise InvalidArgumentError(f"{where}: 'dilation_rate' > 1 needs 'strides' of 1, got "
                                   f"strides={st}, dilation_rate={dil}")
    pads = compute_padding(where, padding, tuple(int(d) for d in x.shape[1:-1]), sizes, st,
                           dil)
    return lay.back(_im2col(_pad_spatial(x, pads), sizes, st, dil))


def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                    padding: str = "valid", data_format: str | None = None) -> Any:
    """Patches of ``size`` as channels: ``(batch, out_h, out_w, size_h * size_w * C)``
    (within a patch: rows, then columns, then channels)."""
    return _extract("extract_patches", images, size, strides, dilation_rate, padding,
                    data_format, 2)


def extract_patches_3d(volumes: Any, size: Any, strides: Any = None, dilation_rate: Any = 1,
                       padding: str = "valid", data_format: str | None = None) -> Any:
    """3-D patches: ``(batch, out_d, out_h, out_w, size_d * size_h * size_w * C)``."""
    return _extract("extract_patches_3d", volumes, size, strides, dilation_rate, padding,
                    data_format, 3)


def _depthwise_same(x: Any, kernel2d: Any, dtype: Any) -> Any:
    """Convolve every channel of batched channels-last ``x`` with one 2-D kernel (a nested
    list or a ``(kh, kw)`` tensor; ``"same"`` padding, zeros outside)."""
    ops = _ops()
    from .nn import depthwise_conv

    c = int(x.shape[-1])
    k = _const(kernel2d, dtype, x) if isinstance(kernel2d, list) else ops.cast(kernel2d, dtype)
    kh, kw = (int(d) for d in k.shape)
    k = ops.tile(ops.reshape(k, (kh, kw, 1, 1)), (1, 1, c, 1))
    return depthwise_conv(x, k, strides=1, padding="same")


def _gaussian_1d(size: int, sigma: float) -> list[float]:
    vals = [math.exp(-0.5 * ((i - (size - 1) / 2) / sigma) ** 2) for i in range(size)]
    total = sum(vals)
    return [v / total for v in vals]


def _gaussian_1d_tensor(size: int, sigma: Any, dtype: Any, like: Any) -> Any:
    """The normalised Gaussian window for a ``sigma`` that may be a (traced) tensor."""
    ops = _ops()
    if isinstance(sigma, (int, float)):
        return _const(_gaussian_1d(size, float(sigma)), dtype, like)
    x = _const([i - (size - 1) / 2 for i in range(size)], dtype, like)
    k = ops.exp(ops.multiply(-0.5, ops.square(ops.divide(x, ops.cast(sigma, dtype)))))
    return ops.divide(k, ops.sum(k))


def _gaussian_kernel(size: tuple[int, int], sigma: tuple[Any, Any], dtype: Any,
                     like: Any) -> Any:
    """``outer(ky, kx)`` for ``size = (kx, ky)``, ``sigma = (sx, sy)`` (Keras's order)."""
    ops = _ops()
    kx = _gaussian_1d_tensor(int(size[0]), sigma[0], dtype, like)
    ky = _gaussian_1d_tensor(int(size[1]), sigma[1], dtype, like)
    return ops.multiply(ops.expand_dims(ky, 1), ops.expand_dims(kx, 0))


def gaussian_blur(images: Any, kernel_size: Any = (3, 3), sigma: Any = (1.0, 1.0),
                  data_format: str | None = None) -> Any:
    """Blur each channel with a normalised Gaussian (``kernel_size = (kx, ky)``,
    ``sigma = (sx, sy)``, numbers or tensors; ``"same"`` size, zeros outside)."""
    ops = _ops()
    where = "gaussian_blur"
    lay = _Layout(where, images, data_format)
    x = lay.x
    if x.dtype.kind != "f":
        raise InvalidArgumentError(f"{where}: argument 'images': expected a float dtype, "
                                   f"got {x.dtype}")
    ks = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    if ops.is_tensor(sigma) or ops.is_symbolic(sigma):
        sg = (sigma[0], sigma[1]) if sigma.ndim == 1 else (sigma, sigma)
    else:
        sg = (sigma, sigma) if isinstance(sigma, (int, float)) else tuple(sigma)
    if len(ks) != 2 or len(sg) != 2 or min(int(k) for k in ks) < 1 or any(
            isinstance(v, (int, float)) and v <= 0 for v in sg):
        raise InvalidArgumentError(f"{where}: expected two positive kernel sizes and sigmas, "
                                   f"got kernel_size={kernel_size!r}, sigma={sigma!r}")
    kernel = _gaussian_kernel((int(ks[0]), int(ks[1])), sg, x.dtype, x)
    return lay.back(_depthwise_same(x, kernel, x.dtype))


def sobel_edges(images: Any, data_format: str | None = None) -> Any:
    """Sobel gradients of each channel, stacked last as ``[d/dy, d/dx]``:
    ``(batch, height, width, channels, 2)`` (channels first: ``(batch, channels, height,
    width, 2)``)."""
    ops = _ops()
    where = "sobel_edges"
    fmt = _data_format(where, data_format)
    x = _images(where, images, ranks=(4,))
    if fmt == "channels_first":
        x = ops.moveaxis(x, 1, -1)
    f = x if x.dtype.kind == "f" else ops.cast(x, _dt.float32)
    gx = _depthwise_same(f, [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], f.dtype)
    gy = _depthwise_same(f, [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], f.dtype)
    if fmt == "channels_first":
        gx, gy = ops.moveaxis(gx, -1, 1), ops.moveaxis(gy, -1, 1)
    return ops.stack([gy, gx], axis=-1)


def ssim(image1: Any, image2: Any, max_val: float = 1.0, filter_size: int = 11,
         filter_sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         data_format: str | None = None) -> Any:
    """Structural similarity per image (Wang et al. 2004, Gaussian window, "valid"
    filtering, averaged over pixels and channels): shape ``(batch,)`` or ``()``."""
    ops = _ops()
    where = "ssim"
    a = _Layout(where, image1, data_format)
    b = _Layout(where, image2, data_format)
    x, y = a.x, b.x
    if tuple(x.shape) != tuple(y.shape):
        raise ShapeError(f"{where}: 'image1' and 'image2' must have one shape, got "
                         f"{tuple(image1.shape)} and {tuple(image2.shape)}")
    fdt = _float_dtype(x)
    x, y = ops.cast(x, fdt), ops.cast(y, fdt)
    g = _gaussian_1d(int(filter_size), float(filter_sigma))
    kernel = [[p * q for q in g] for p in g]

    def blur(v: Any) -> Any:
        from .nn import depthwise_conv

        c = int(v.shape[-1])
        k = _const(kernel, fdt, v)
        k = ops.tile(ops.reshape(k, (filter_size, filter_size, 1, 1)), (1, 1, c, 1))
        return depthwise_conv(v, k, strides=1, padding="valid")

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mu_x, mu_y = blur(x), blur(y)
    mu_xx, mu_yy, mu_xy = (ops.multiply(mu_x, mu_x), ops.multiply(mu_y, mu_y),
                           ops.multiply(mu_x, mu_y))
    s_xx = ops.subtract(blur(ops.multiply(x, x)), mu_xx)
    s_yy = ops.subtract(blur(ops.multiply(y, y)), mu_yy)
    s_xy = ops.subtract(blur(ops.multiply(x, y)), mu_xy)
    num = ops.multiply(ops.add(ops.multiply(2.0, mu_xy), c1),
                       ops.add(ops.multiply(2.0, s_xy), c2))
    den = ops.multiply(ops.add(ops.add(mu_xx, mu_yy), c1), ops.add(ops.add(s_xx, s_yy), c2))
    val = ops.mean(ops.divide(num, den), axis=(1, 2, 3))
    return ops.squeeze(val, 0) if a.unbatched else val


def elastic_transform(images: Any, alpha: float = 20.0, sigma: float = 5.0,
                      interpolation: str = "bilinear", fill_mode: str = "reflect",
                      fill_value: float = 0.0, seed: Any = None,
                      data_format: str | None = None) -> Any:
    """Displace each pixel by a Gaussian-smoothed random field scaled by ``alpha``
    (Simard et al. 2003), drawn from ``tw.random`` with ``seed``. The draws are
    tensorweave's (the same bits on every backend), not JAX's."""
    return _elastic(images, alpha, sigma, None, interpolation, fill_mode, fill_value, seed,
                    data_format)


def _elastic(images: Any, alpha: Any, sigma: Any, ksize: int | None, interpolation: str,
             fill_mode: str, fill_value: float, seed: Any, data_format: str | None) -> Any:
    """:func:`elastic_transform` with ``alpha``/``sigma`` as numbers or tensors; the
    kernel size is ``int(6 sigma) | 1`` unless given (a tensor ``sigma`` needs it)."""
    ops = _ops()
    from .. import random as _random

    where = "elastic_transform"
    order = AFFINE_INTERPOLATIONS[_choice(where, "interpolation", interpolation,
                                          AFFINE_INTERPOLATIONS)]
    mode = _choice(where, "fill_mode", fill_mode, FILL_MODES)
    lay = _Layout(where, images, data_format)
    x = lay.x
    b, h, w, c = (int(d) for d in x.shape)
    fdt = _float_dtype(x)
    if ksize is None:
        ksize = int(6 * float(sigma)) | 1
    noise = _random.normal((2, b, h, w, 1), dtype=fdt, seed=seed)
    noise = ops.multiply(noise, sigma if isinstance(sigma, (int, float))
                         else ops.cast(sigma, fdt))
    kernel = _gaussian_kernel((ksize, ksize), (sigma, sigma), fdt, x)
    dx = ops.squeeze(_depthwise_same(noise[0], kernel, fdt), -1)
    dy = ops.squeeze(_depthwise_same(noise[1], kernel, fdt), -1)
    a = alpha if isinstance(alpha, (int, float)) else ops.cast(alpha, fdt)
    cols, rows = _pixel_grid(h, w, fdt, x)
    cols = ops.add(cols, ops.multiply(a, ops.reshape(dx, (b, h * w))))
    rows = ops.add(rows, ops.multiply(a, ops.reshape(dy, (b, h * w))))
    f = x if x.dtype.kind == "f" else ops.cast(x, fdt)
    out = ops.reshape(_sample_hw(f, rows, cols, order, mode, fill_value), (b, h, w, c))
    return lay.back(ops.cast(out, x.dtype))
