"""Gradient cases (every differentiable op and the public functions built from them) and
the composite functions of the ``jit`` / graph-JSON checks.

All inputs are float64 (finite differences need the precision) and tiny: the same
catalog runs on the pure-Python reference backend. Inputs avoid points where a function
is not differentiable or not defined (``log`` of negatives, a zero divisor); points that
land on a kink anyway (``relu`` at 0, ties of ``max``, jumps of ``floor``) are detected by
the checker, which draws new inputs. Ops whose gradient is zero almost everywhere
(``sign``, ``floor``, ``round``, ``floor_divide``) are checked to give exactly that.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from .cases import A
from .gradcheck import GradCase, TransformCase
from .inputs import Arg

__all__ = ["gradient_cases", "transform_cases"]


def F(shape: Any = (2, 3), gen: str = "uniform", low: float | None = None,
      high: float | None = None, values: Any = None) -> Arg:
    """A float64 input."""
    return A(shape, "float64", gen, low, high, values)


def I(values: Any, shape: Any = None, dtype: str = "int32") -> Arg:  # noqa: E743
    """An integer input with explicit values."""
    vals = tuple(values)
    return A(shape if shape is not None else (len(vals),), dtype, values=vals)


def B(shape: Any = (2, 3)) -> Arg:
    return A(shape, "bool")


class _Cases:
    def __init__(self) -> None:
        self.items: list[GradCase] = []
        self._names: set[str] = set()

    def add(self, op: str, variant: str, *args: Arg, **kw: Any) -> None:
        name = f"grad/{op}/{variant}"
        if name in self._names:
            raise ValueError(f"duplicate gradient case {name!r}")
        self._names.add(name)
        self.items.append(GradCase(name, op, tuple(args), **kw))


# ---- elementwise ---------------------------------------------------------------------------------
_UNARY = (
    # op, input, note
    ("neg", F()),
    ("abs", F()),
    ("sign", F()),
    ("exp", F()),
    ("log", F(gen="positive")),
    ("log1p", F(low=-0.5, high=3.0)),
    ("expm1", F()),
    ("sqrt", F(gen="positive")),
    ("sin", F()),
    ("cos", F()),
    ("tanh", F()),
    ("erf", F()),
    ("floor", F()),
    ("ceil", F()),
    ("round", F()),
    ("rsqrt", F(gen="positive")),
    ("square", F()),
    ("sigmoid", F(low=-6.0, high=6.0)),
    ("relu", F()),
    ("stop_gradient", F()),
    ("copy", F()),
    ("reciprocal", F(values=(0.5, -0.7, 1.3, -2.2, 2.9, 0.9))),
    ("tan", F(low=-1.2, high=1.2)),
    ("sinh", F()),
    ("cosh", F()),
    ("arctan", F(low=-4.0, high=4.0)),
    ("log2", F(gen="positive")),
    ("log10", F(gen="positive")),
    ("softplus", F(low=-5.0, high=5.0)),
    ("nan_to_num", F()),
    ("relu6", F(low=-2.0, high=8.0)),
    ("leaky_relu", F()),
    ("elu", F()),
    ("selu", F()),
    ("gelu", F()),
    ("silu", F()),
    ("softsign", F()),
    ("hard_sigmoid", F(low=-5.0, high=5.0)),
    ("hard_silu", F(low=-5.0, high=5.0)),
    ("log_sigmoid", F(low=-6.0, high=6.0)),
)


def _elementwise(c: _Cases) -> None:
    for op, arg in _UNARY:
        c.add(op, "float64", arg, zero_grad=op == "stop_gradient")
    c.add("neg", "0d", F(()))
    c.add("square", "4d", F((2, 1, 2, 2)))
    c.add("gelu", "exact", F(), kwargs={"approximate": False})
    c.add("leaky_relu", "slope", F(), kwargs={"negative_slope": 0.5})
    c.add("elu", "alpha", F(), kwargs={"alpha": 2.0})
    c.add("cast", "float64_to_float32", F(), extra=("float32",), step=1e-2, rtol=1e-3,
          note="float32 rounding of x +- h needs a large step; cast is linear")
    c.add("cast", "float64_to_float64", F(), extra=("float64",), note="no-op cast")
    # binary, with broadcasting
    shapes = (
        ("same", (2, 3), (2, 3)),
        ("row", (2, 3), (3,)),
        ("col", (2, 1), (1, 3)),
        ("scalar", (2, 3), ()),
        ("lead", (3,), (2, 2, 3)),
    )
    for op in ("add", "subtract", "multiply", "maximum", "minimum", "logaddexp"):
        for variant, sa, sb in shapes:
            c.add(op, variant, F(sa), F(sb))
    for variant, sa, sb in shapes:
        c.add("divide", variant, F(sa), F(sb, values=None, low=0.5, high=3.0))
        c.add("power", variant, F(sa, gen="positive"), F(sb, low=-2.0, high=2.0))
    c.add("divide", "negative_divisor", F(), F((3,), low=-3.0, high=-0.5))
    c.add("power", "int_exponent", F(), I((2, 3, -1)), note="only the base is float")
    c.add("power", "zero_exponent_at_zero", F((3,), values=(0.0, 1.5, 0.0)),
          F((3,), values=(0.0, 0.0, 2.0)), wrt=(0,),
          note="d x**0 / dx = 0 at x = 0 (not 0 * inf); d/dy jumps there, so only x")
    c.add("power", "python_scalar", F(gen="positive"), extra=(3,), fn="power")
    c.add("mod", "float64", F(low=-5.0, high=5.0), F((3,), low=0.7, high=2.0))
    c.add("mod", "negative_divisor", F(low=-5.0, high=5.0), F((2, 1), low=-2.0, high=-0.7))
    c.add("floor_divide", "float64", F(low=-5.0, high=5.0), F((3,), low=0.7, high=2.0))
    c.add("where", "bcast", B(), F(), F((3,)))
    c.add("where", "scalar_branch", B((2, 3)), F((2, 1)), F(()))
    c.add("clip", "scalars", F(), extra=(-1.0, 1.0))
    c.add("clip", "tensor_bounds", F(), F((3,), low=-3.0, high=-1.0),
          F((2, 1), low=1.0, high=3.0))


# ---- reductions ----------------------------------------------------------------------------------
def _reductions(c: _Cases) -> None:
    x3 = F((2, 3, 2))
    axes = (("all", None, False), ("axis1", 1, False), ("multi_keep", (0, 2), True),
            ("neg_axis", -1, True))
    for op in ("sum", "mean", "var", "std", "logsumexp"):
        for variant, axis, keep in axes:
            c.add(op, variant, x3, kwargs={"axis": axis, "keepdims": keep})
    for variant, axis, keep in axes:
        c.add("prod", variant, F((2, 3, 2), low=0.5, high=2.0),
              kwargs={"axis": axis, "keepdims": keep})
        # distinct values: no ties (ties share the gradient, see tests/test_autodiff.py)
        c.add("max", variant, F((2, 3, 2), gen="distinct"), kwargs={"axis": axis,
                                                                     "keepdims": keep})
        c.add("min", variant, F((2, 3, 2), gen="distinct"), kwargs={"axis": axis,
                                                                     "keepdims": keep})
    c.add("prod", "negatives", F((2, 3), values=(-1.5, 0.5, 2.0, -0.75, 1.25, -2.0)),
          kwargs={"axis": 1})
    c.add("prod", "one_zero", F((2, 3), values=(0.0, 1.5, -2.0, 0.5, 0.0, 3.0)),
          kwargs={"axis": 1}, note="the zero gets the product of the others, not NaN")
    c.add("prod", "two_zeros", F((4,), values=(0.0, 1.5, 0.0, 2.0)))
    c.add("sum", "0d", F(()))
    c.add("softmax", "last", F((2, 4)))
    c.add("softmax", "axis0", F((3, 2)), kwargs={"axis": 0})
    c.add("softmax", "multi_axis", F((2, 2, 3)), kwargs={"axis": (1, 2)})
    c.add("log_softmax", "last", F((2, 4)))
    c.add("log_softmax", "axis0", F((3, 2)), kwargs={"axis": 0})
    c.add("log_softmax", "multi_axis", F((2, 2, 3)), kwargs={"axis": (0, 2)})
    c.add("logsumexp", "large", F((2, 3), low=50.0, high=60.0), kwargs={"axis": 1},
          note="shifted by the max: no overflow, gradient = softmax")


# ---- shape ops -----------------------------------------------------------------------------------
def _shape_ops(c: _Cases) -> None:
    x = F((2, 3, 2))
    c.add("reshape", "merge", x, extra=((6, 2),))
    c.add("reshape", "minus_one", x, extra=((-1,),))
    c.add("transpose", "default", x)
    c.add("transpose", "perm", x, kwargs={"axes": (1, 2, 0)})
    c.add("broadcast_to", "lead_and_ones", F((3, 1)), extra=((2, 3, 4),))
    c.add("expand_dims", "middle", x, extra=(1,))
    c.add("expand_dims", "multi", F((3,)), extra=((0, 2),))
    c.add("squeeze", "one", F((2, 1, 3)), kwargs={"axis": 1})
    c.add("squeeze", "all", F((1, 3, 1)))
    c.add("concatenate", "axis0", F((2, 3)), F((1, 3)), F((3, 3)), pack=True)
    c.add("concatenate", "axis1", F((2, 1)), F((2, 3)), pack=True, kwargs={"axis": 1})
    c.add("stack", "axis1", F((2, 3)), F((2, 3)), pack=True, kwargs={"axis": 1})
    c.add("split", "sections", F((4, 3)), extra=(2,))
    c.add("split", "indices_axis1", F((2, 5)), extra=([1, 3],), kwargs={"axis": 1})
    c.add("slice", "strided", F((4, 5)), fn="strided_slice",
          extra=((slice(1, None, 2), slice(None, None, -2)),))
    c.add("slice", "begin_end", F((4, 5)), fn="strided_slice", extra=((1, 0), (3, 4)))
    c.add("slice_update", "region", F((4, 3)), F((2, 3)), fn="strided_slice_update",
          extra=((1, 0), (3, 3)))
    c.add("slice_update", "strided", F((4, 5)), F((2, 3)), fn="strided_slice_update",
          extra=((0, 0), (4, 5), (2, 2)))
    c.add("slice_update", "broadcast_update", F((3, 4)), F((4,)), fn="strided_slice_update",
          extra=((1, 0), (3, 4)))
    c.add("pad", "pairs", F((2, 3)), extra=(((1, 0), (2, 1)),))
    c.add("pad", "constant_value", F((2, 3)), extra=(1,), kwargs={"constant_values": 2.5})
    c.add("tile", "reps", F((2, 3)), extra=((2, 1),))
    c.add("tile", "more_dims", F((3,)), extra=((2, 2),))
    c.add("flip", "axis", x, kwargs={"axis": 1})
    c.add("flip", "all", x)
    c.add("repeat", "axis0", F((2, 3)), extra=(2,), kwargs={"axis": 0})
    c.add("repeat", "flat", F((2, 3)), extra=(3,))
    c.add("moveaxis", "0_to_2", x, extra=(0, 2))
    c.add("swapaxes", "0_2", x, extra=(0, 2))
    c.add("ravel", "3d", x)
    c.add("getitem", "basic", F((3, 4)), fn=lambda x: x[1:, ::-2])
    c.add("getitem", "int_newaxis_ellipsis", F((2, 3, 4)), fn=lambda x: x[..., None, 1])
    c.add("getitem", "int_array_dups", F((4, 3)), fn=lambda x: x[[0, 2, 2, -1]])
    c.add("getitem", "scalar", F((3, 4)), fn=lambda x: x[1, 2])


# ---- indexing ------------------------------------------------------------------------------------
def _indexing(c: _Cases) -> None:
    c.add("take", "axis0_dups_neg", F((4, 3)), I((0, 2, 2, -1)), kwargs={"axis": 0})
    c.add("take", "axis1_2d_idx", F((2, 4)), I((3, 0, 1, 3), (2, 2)), kwargs={"axis": 1})
    c.add("take", "flat", F((2, 3)), I((5, 0, 5)))
    c.add("take", "3d_middle_axis", F((2, 3, 2)), I((2, -3, 1, 1), (2, 2)), kwargs={"axis": 1})
    c.add("take", "scalar_index", F((2, 3)), I((2,), ()), kwargs={"axis": 1})
    c.add("take_along_axis", "axis1", F((2, 4)), I((3, 0, 0, 1, 2, 3), (2, 3)),
          kwargs={"axis": 1})
    c.add("take_along_axis", "axis0_bcast", F((3, 2)), I((2, 0, -1, 1), (4, 1)),
          kwargs={"axis": 0})
    c.add("scatter_add", "dups", F((4, 3)), I((0, 2, 0), (3, 1)), F((3, 3)))
    c.add("scatter_add", "point", F((3, 3)), I((0, 1, 2, 2, 0, 1), (3, 2)), F((3,)))
    c.add("scatter_add", "negative", F((3, 2)), I((-1, 0, -1), (3, 1)), F((3, 2)))
    c.add("gather_nd", "pairs", F((3, 4)), I((0, 1, 2, 3, 2, 3), (3, 2)))
    c.add("gather_nd", "rows", F((3, 2)), I((2, 0, 2), (3, 1)))
    c.add("sort", "last", F((2, 4), gen="distinct"))
    c.add("sort", "axis0_desc", F((3, 2), gen="distinct"), kwargs={"axis": 0,
                                                                     "descending": True})
    c.add("top_k", "k2", F((2, 4), gen="distinct"), extra=(2,))
    c.add("tril", "k0", F((3, 3)))
    c.add("triu", "k1", F((3, 4)), kwargs={"k": 1})


# ---- linear algebra ------------------------------------------------------------------------------
def _linalg(c: _Cases) -> None:
    mm = (
        ("2d", (2, 3), (3, 2)),
        ("batched", (2, 2, 3), (2, 3, 2)),
        ("broadcast_batch", (2, 1, 2, 3), (3, 3, 2)),
        ("broadcast_lhs", (2, 3), (2, 3, 2)),
        ("vec_mat", (3,), (3, 2)),
        ("mat_vec", (2, 3), (3,)),
        ("vec_vec", (4,), (4,)),
    )
    for variant, sa, sb in mm:
        c.add("matmul", variant, F(sa), F(sb))
    es = (
        ("matmul", "ij,jk->ik", ((2, 3), (3, 2))),
        ("batched", "bij,bjk->bik", ((2, 2, 3), (2, 3, 2))),
        ("reduce", "ij->j", ((2, 3),)),
        ("sum_all", "ij->", ((2, 3),)),
        ("transpose", "ij->ji", ((2, 3),)),
        ("outer", "i,j->ij", ((2,), (3,))),
        ("rowdot", "ij,ij->i", ((2, 3), (2, 3))),
        ("three", "ijk,ikl,il->j", ((2, 3, 2), (2, 2, 3), (2, 3))),
        ("ellipsis", "...ij,jk->...ik", ((2, 2, 3), (3, 2))),
        ("implicit", "ij,jk", ((2, 3), (3, 2))),
        ("index_only_in_one", "ij,k->ik", ((2, 3), (2,))),
        # size-1 indices broadcast against longer ones (as numpy.einsum allows)
        ("bcast_contracted", "ij,jk->ik", ((2, 1), (3, 2))),
        ("bcast_free", "ij,j->ij", ((2, 3), (1,))),
        ("bcast_batch", "bij,bjk->bik", ((1, 2, 3), (2, 3, 2))),
        ("bcast_ellipsis", "...ij,...jk->...ik", ((2, 1, 2, 3), (3, 3, 2))),
    )
    for variant, sub, shapes in es:
        c.add("einsum", variant, *[F(s) for s in shapes], lead=(sub,))
    c.add("dot", "2d", F((2, 3)), F((3, 2)))
    c.add("dot", "3d", F((2, 2, 3)), F((2, 3, 2)))
    c.add("outer", "vecs", F((2,)), F((3,)))
    c.add("inner", "2d", F((2, 3)), F((2, 3)))
    c.add("vdot", "2d", F((2, 3)), F((3, 2)))
    c.add("tensordot", "axes2", F((2, 3, 2)), F((3, 2, 2)))
    c.add("tensordot", "pairs", F((2, 3, 2)), F((2, 2)), kwargs={"axes": ([0, 2], [1, 0])})
    c.add("trace", "square", F((3, 3)))
    c.add("trace", "offset_axes", F((3, 2, 4)), kwargs={"offset": 1, "axis1": 2, "axis2": 0})
    _factorizations(c)


def _spd(x: Any) -> Any:
    from .. import ops

    n = x.shape[-1]
    return ops.add(ops.matmul(x, ops.swapaxes(x, -1, -2)), ops.eye(n, dtype=x.dtype) * n)


def _sq(fn: Callable[..., Any], *picks: int) -> Callable[..., Any]:
    """``fn``'s results with the sign-ambiguous ones (vectors) squared elementwise."""
    def run(*xs: Any) -> Any:
        from .. import ops

        out = fn(*xs)
        return tuple(ops.square(o) if i in picks else o for i, o in enumerate(out))
    return run


def _factorizations(c: _Cases) -> None:
    from .. import ops

    c.add("cholesky", "spd", F((3, 3)), fn=lambda x: ops.cholesky(_spd(x)))
    c.add("cholesky", "batched_upper", F((2, 3, 3)),
          fn=lambda x: ops.cholesky(_spd(x), upper=True))
    c.add("solve", "matrix", F((3, 3)), F((3, 2)),
          fn=lambda a, b: ops.solve(ops.add(a, ops.eye(3, dtype="float64") * 3), b))
    c.add("solve", "batched_vector", F((2, 3, 3)), F((3,)),
          fn=lambda a, b: ops.solve(ops.add(a, ops.eye(3, dtype="float64") * 3), b))
    c.add("slogdet", "square", F((3, 3)),
          fn=lambda a: ops.slogdet(ops.add(a, ops.eye(3, dtype="float64") * 3)))
    c.add("eigh", "spd", F((3, 3)), fn=_sq(lambda x: ops.eigh(_spd(x)), 1))
    c.add("eigh", "nonsymmetric_input", F((2, 3, 3)), fn=_sq(ops.eigh, 1))
    for shape in ((4, 3), (3, 4), (3, 3)):
        name = "x".join(map(str, shape))
        c.add("svd", f"{name}_reduced", F(shape),
              fn=_sq(lambda x: ops.svd(x, full_matrices=False), 0, 2))
        c.add("qr", f"{name}_reduced", F(shape[::-1] if shape[0] < shape[1] else shape),
              fn=lambda x: ops.qr(x))
    c.add("svd", "3x3_full", F((3, 3)), fn=_sq(ops.svd, 0, 2))
    c.add("svd", "values_only", F((2, 4, 3)), fn=lambda x: ops.svd(x, compute_uv=False))
    c.add("qr", "3x3_complete", F((3, 3)), kwargs={"mode": "complete"})
    c.add("inv", "square", F((3, 3)),
          fn=lambda a: ops.inv(ops.add(a, ops.eye(3, dtype="float64") * 3)))
    c.add("det", "square", F((3, 3)))
    for o in (None, "fro", "nuc", 2, 1, float("inf")):
        c.add("norm", f"matrix_{o}", F((3, 4)), kwargs={"ord": o, "axis": (0, 1)})
    c.add("norm", "vector_3", F((2, 4)), kwargs={"ord": 3, "axis": -1})
    c.add("pinv", "tall", F((4, 3)))
    c.add("rfft", "crop", F((2, 6)), kwargs={"fft_length": 5})
    c.add("rfft", "zero_pad", F((7,)), kwargs={"fft_length": 8})
    c.add("cholesky_inverse", "lower", F((3, 3)),
          fn=lambda x: ops.cholesky_inverse(ops.cholesky(_spd(x))))


# ---- neural-network ops --------------------------------------------------------------------------
def _nn(c: _Cases) -> None:
    c.add("extract_patches", "1d", F((1, 5, 2)), extra=(2,))
    c.add("extract_patches", "2d_stride_dilation", F((1, 5, 4, 1)), extra=((2, 2), (2, 1),
                                                                            (1, 2)))
    c.add("patches_transpose", "2d_overlap", F((1, 3, 2, 4)),
          extra=((2, 2), (1, 1), (1, 1), (4, 3, 1)))
    convs = (
        ("1d_valid", (1, 5, 2), (3, 2, 2), {}),
        ("1d_causal_dilated", (1, 5, 1), (2, 1, 2), {"padding": "causal",
                                                     "dilation_rate": 2}),
        ("2d_valid", (1, 4, 4, 2), (2, 2, 2, 2), {}),
        ("2d_same_stride2", (1, 5, 5, 1), (3, 3, 1, 2), {"padding": "same", "strides": 2}),
        ("2d_dilated", (1, 5, 5, 1), (2, 2, 1, 1), {"dilation_rate": 2}),
        ("2d_batch2", (2, 3, 3, 1), (2, 2, 1, 2), {"strides": (1, 2)}),
        ("2d_channels_first", (1, 2, 4, 4), (3, 3, 2, 1), {"data_format": "channels_first"}),
    )
    for variant, sx, sw, kw in convs:
        c.add("conv", variant, F(sx), F(sw), kwargs=kw)
    convts = (
        ("1d_valid", (1, 3, 2), (3, 1, 2), {}),
        ("2d_valid_stride2", (1, 2, 2, 2), (3, 3, 1, 2), {"strides": 2}),
        ("2d_same_stride2", (1, 2, 3, 1), (3, 3, 2, 1), {"strides": 2, "padding": "same"}),
        ("2d_dilated", (1, 3, 3, 1), (2, 2, 1, 1), {"dilation_rate": 2}),
    )
    for variant, sx, sw, kw in convts:
        c.add("conv_transpose", variant, F(sx), F(sw), kwargs=kw)
    c.add("depthwise_conv", "2d_valid", F((1, 4, 4, 2)), F((2, 2, 2, 2)))
    c.add("depthwise_conv", "2d_same_stride2", F((1, 5, 5, 2)), F((3, 3, 2, 1)),
          kwargs={"padding": "same", "strides": 2})
    c.add("separable_conv2d", "same", F((1, 4, 4, 2)), F((3, 3, 2, 1)), F((1, 1, 2, 3)),
          kwargs={"padding": "same"})
    pools = (
        ("1d", (1, 6, 2), {"pool_size": 2}),
        ("2d_valid", (1, 4, 4, 2), {"pool_size": 2}),
        ("2d_same_stride1", (1, 3, 3, 1), {"pool_size": 2, "strides": 1, "padding": "same"}),
        ("2d_overlap", (2, 5, 5, 1), {"pool_size": 3, "strides": 2}),
    )
    for variant, sx, kw in pools:
        c.add("max_pool", variant, F(sx, gen="distinct"), kwargs=kw)
        c.add("avg_pool", variant, F(sx), kwargs=kw)


# ---- math, statistics (core/ops/elementwise_math.py, statistics.py) ------------------------------
def _math(c: _Cases) -> None:
    c.add("arctan2", "same", F(), F(low=-2.0, high=2.0))
    c.add("arctan2", "row", F(), F((3,), low=0.5, high=2.0))
    c.add("hypot", "same", F(), F())
    c.add("hypot", "col", F((2, 1)), F((1, 3)))
    c.add("erfinv", "float64", F(low=-0.9, high=0.9))
    for op, arg in (("arcsin", F(low=-0.9, high=0.9)), ("arccos", F(low=-0.9, high=0.9)),
                    ("arctanh", F(low=-0.9, high=0.9)), ("arcsinh", F(low=-3.0, high=3.0)),
                    ("arccosh", F(low=1.2, high=4.0)), ("erfc", F(low=-3.0, high=3.0)),
                    ("i0", F(low=-5.0, high=5.0)), ("sinc", F(low=-2.0, high=2.0))):
        c.add(op, "float64", arg)
    c.add("cumsum", "axis1", F(), kwargs={"axis": 1})
    c.add("cumprod", "flat", F(low=0.5, high=2.0))
    c.add("median", "axis1", F((2, 5), gen="distinct"), kwargs={"axis": 1})
    c.add("quantile", "q", F((2, 5), gen="distinct"), extra=(0.3,))
    c.add("nanmean", "axis0", F(), kwargs={"axis": 0})
    c.add("nanvar", "all", F())
    c.add("divide_no_nan", "same", F(), F(low=0.5, high=2.0))


# ---- Keras's array, indexing and core-function composites ------------------------------------
def _softplus_custom(x: Any) -> Any:
    """softplus with its gradient (sigmoid) given by custom_gradient."""
    o = _ops()

    @o.custom_gradient
    def f(t: Any) -> Any:
        e = o.exp(t)

        def grad_fn(*args: Any, upstream: Any = None) -> Any:
            up = args[0] if upstream is None else upstream
            return up * (1.0 - 1.0 / (1.0 + e))

        return o.log(1.0 + e), grad_fn

    return f(x)


def _mul_custom(a: Any, b: Any) -> Any:
    """a * b with both cotangents from a custom_gradient rule."""
    o = _ops()

    @o.custom_gradient
    def f(x: Any, y: Any) -> Any:
        return o.multiply(x, y), lambda up: (up * y, up * x)

    return f(a, b)


def _keras_composites(c: _Cases) -> None:
    c.add("custom_gradient", "softplus", F(), fn=_softplus_custom)
    c.add("custom_gradient", "two_inputs", F(), F(), fn=_mul_custom)
    c.add("slice", "keras_start_shape", F((4, 5)), extra=((1, 2), (2, 3)))
    c.add("slice_update", "keras_start", F((4, 3)), F((2, 2)), extra=((3, 1),),
          fn=lambda x, u, st: _ops().slice_update(x, st, u), note="clamped start")
    c.add("roll", "axis1", F((3, 4)), extra=(3,), kwargs={"axis": 1})
    c.add("diag", "build_k1", F((3,)), kwargs={"k": 1})
    c.add("diagonal", "offset_neg", F((3, 4, 2)), kwargs={"offset": -1, "axis1": 1,
                                                           "axis2": 0})
    c.add("kron", "mixed_rank", F((2, 3)), F((2,)))
    c.add("cross", "vec3", F((2, 3)), F((2, 3)))
    c.add("rearrange", "split_merge", F((4, 3)), extra=("(a b) c -> b (c a)",),
          kwargs={"a": 2})
    c.add("hstack", "pair", F((2, 3)), F((2, 1)), pack=True)
    c.add("rot90", "k1", F((2, 3)))
    c.add("diff", "n2", F((2, 5)), kwargs={"n": 2})
    c.add("select", "two_conditions", F((2, 3)), F((2, 3)),
          fn=lambda a, b: _ops().select([a > 0.5, b > 0.5], [a, b * 2.0], 1.5))
    c.add("scatter_update", "set_dups", F((4, 3)), I((0, 2, 0), (3, 1)), F((3, 3)))
    c.add("scatter_update", "max", F((3, 3)), I((0, 1, 2, 2, 0, 1), (3, 2)), F((3,)),
          kwargs={"reduction": "max"})
    c.add("scatter", "pairs", I((0, 1, 2, 2), (2, 2)), F((2,)), extra=((3, 3),))
    c.add("vectorized_map", "rows", F((3, 2)),
          fn=lambda x: _ops().vectorized_map(lambda r: _ops().sum(r * r), x))


@lru_cache(maxsize=1)
def gradient_cases() -> tuple[GradCase, ...]:
    """Every gradient case, in a stable order."""
    c = _Cases()
    for build in (_elementwise, _reductions, _shape_ops, _indexing, _linalg, _nn, _math,
                  _keras_composites):
        build(c)
    return tuple(c.items)


# ---- composite functions for jit and the graph JSON round trip -----------------------------------
def _ops() -> Any:
    from .. import ops

    return ops


def _mlp(x: Any, w1: Any, b1: Any, w2: Any) -> Any:
    o = _ops()
    return o.softmax(o.matmul(o.relu(o.add(o.matmul(x, w1), b1)), w2))


def _conv_block(x: Any, k: Any) -> Any:
    o = _ops()
    y = o.relu(o.conv(x, k, padding="same"))
    y = o.max_pool(y, 2, padding="same")
    return o.mean(y, axis=(1, 2))


def _layer_norm(x: Any, gamma: Any, beta: Any) -> Any:
    o = _ops()
    m = o.mean(x, axis=-1, keepdims=True)
    v = o.var(x, axis=-1, keepdims=True)
    return (x - m) / o.sqrt(v + 1e-5) * gamma + beta


def _attention(q: Any, k: Any, v: Any) -> Any:
    o = _ops()
    s = o.softmax(o.einsum("bqd,bkd->bqk", q, k) / 2.0, axis=-1)
    return {"out": o.matmul(s, v), "weights": s}


def _cross_entropy(logits: Any, labels: Any) -> Any:
    o = _ops()
    lp = o.log_softmax(logits)
    picked = o.take_along_axis(lp, o.expand_dims(labels, -1), axis=-1)
    return -o.mean(picked), o.argmax(logits, axis=-1)


def _train_step(w: Any, b: Any, x: Any, y: Any) -> Any:
    from ..graph import value_and_grad

    o = _ops()

    def loss(p: dict) -> Any:
        pred = o.add(o.matmul(x, p["w"]), p["b"])
        return o.mean(o.square(o.subtract(pred, y)))

    val, g = value_and_grad(loss)({"w": w, "b": b})
    return val, {"w": w - 0.1 * g["w"], "b": b - 0.1 * g["b"]}


def _data_movement(x: Any, idx: Any) -> Any:
    o = _ops()
    a = o.take(x, idx, axis=0)
    b = o.pad(o.transpose(a), ((1, 0), (0, 2)))
    c = o.concatenate([b, o.flip(b, axis=0)], axis=1)
    d = o.scatter_add(o.zeros_like(x), o.expand_dims(idx, -1), a)
    return [c[1:, ::2], o.where(d > 0, d, o.tanh(d)), o.sum(x, axis=0)]


def _grad_inside(x: Any) -> Any:
    from ..graph import grad

    o = _ops()
    return grad(lambda z: o.sum(o.sin(z) * z))(x)


@lru_cache(maxsize=1)
def transform_cases() -> tuple[TransformCase, ...]:
    """Composite functions checked as ``jit(f) == f`` and through a JSON round trip."""
    f32 = "float32"
    items: list[tuple[str, Callable[..., Any], tuple[Arg, ...], int]] = [
        ("mlp", _mlp, (A((4, 3)), A((3, 5)), A((5,)), A((5, 2))), 5),
        ("conv_block", _conv_block, (A((1, 5, 5, 2)), A((3, 3, 2, 3))), 18),
        ("layer_norm", _layer_norm, (A((3, 4)), A((4,)), A((4,))), 4),
        ("attention", _attention, (A((2, 3, 4)), A((2, 3, 4)), A((2, 3, 4))), 4),
        ("cross_entropy", _cross_entropy, (A((4, 5)), A((4,), "int32", "indices", 0, 4)), 5),
        ("train_step", _train_step, (A((3, 1)), A((1,)), A((4, 3)), A((4, 1))), 4),
        ("data_movement", _data_movement, (A((4, 3)), A((3,), "int32", "indices", 0, 3)), 4),
        ("grad_inside", _grad_inside, (A((2, 3), f32),), 1),
    ]
    return tuple(TransformCase(n, fn, args, nn) for n, fn, args, nn in items)
