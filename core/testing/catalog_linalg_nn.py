"""Conformance cases: matrix products (matmul, einsum and the functions built on them) and
neural-network ops (patches, convolutions, pooling, softmax, activations).

Tensors stay tiny (the reference backend is pure Python); ``n`` is the number of terms
each output sums, which the reduction tolerance grows with.
"""

from __future__ import annotations

import math
from typing import Any

from .cases import FLOATS, A, CaseList
from .catalog_elementwise import SPECIAL


def _matmul_cases(cl: CaseList) -> None:
    for dt in FLOATS + ("int8", "int32", "int64", "uint8", "uint32"):
        cl.add("matmul", dt, A((3, 5), dt), A((5, 4), dt), n=5)
    cl.add("matmul", "int8/wrap", A((3, 5), "int8", "full_range"),
           A((5, 2), "int8", "full_range"))
    cl.add("matmul", "float32/batched", A((2, 3, 4)), A((2, 4, 2)), n=4)
    cl.add("matmul", "float32/broadcast_batch", A((2, 1, 3, 4)), A((3, 4, 2)), n=4)
    cl.add("matmul", "float32/broadcast_lhs", A((3, 4)), A((2, 4, 3)), n=4)
    cl.add("matmul", "float32/vec_mat", A((4,)), A((4, 3)), n=4)
    cl.add("matmul", "float32/mat_vec", A((3, 4)), A((4,)), n=4)
    cl.add("matmul", "float32/vec_vec", A((6,)), A((6,)), n=6)
    cl.add("matmul", "float32/zero_k", A((3, 0)), A((0, 2)))
    cl.add("matmul", "float32/zero_rows", A((0, 3)), A((3, 2)), n=3)
    cl.add("matmul", "float32/transposed", A((3, 5), layout="transposed"),
           A((5, 4), layout="strided"), n=5)
    cl.add("matmul", "float32/offset_bcast", A((3, 5), layout="offset"),
           A((5, 4), layout="broadcast"), n=5)
    for dt in ("float16", "bfloat16", "float32", "float64"):
        cl.add("matmul", f"{dt}/long_k", A((2, 64), dt), A((64, 3), dt), n=64)
    cl.add("matmul", "float32/special", A((2, 5), values=SPECIAL), A((5, 2), "float32"),
           n=5)
    cl.add("matmul", "int8@float16", A((3, 4), "int8"), A((4, 2), "float16"), n=4)


_EINSUM = (
    ("matmul", "ij,jk->ik", ((3, 4), (4, 2)), 4),
    ("batched", "bij,bjk->bik", ((2, 3, 4), (2, 4, 2)), 4),
    ("diagonal", "ii->i", ((4, 4),), 1),
    ("trace", "ii->", ((4, 4),), 4),
    ("transpose", "ij->ji", ((3, 4),), 1),
    ("sum_all", "ij->", ((3, 4),), 12),
    ("outer", "i,j->ij", ((3,), (4,)), 1),
    ("rowdot", "ij,ij->i", ((3, 4), (3, 4)), 4),
    ("three_operands", "ijk,ikl,il->j", ((2, 3, 2), (2, 2, 3), (2, 3)), 12),
    ("ellipsis", "...ij,...jk->...ik", ((2, 3, 4), (2, 4, 2)), 4),
    ("implicit", "ij,jk", ((3, 4), (4, 2)), 4),
    ("broadcast_one", "ij,j->ij", ((3, 4), (4,)), 1),
    ("diag_times", "iij,jk->ik", ((3, 3, 2), (2, 2)), 2),
)


def _einsum_cases(cl: CaseList) -> None:
    for variant, subscripts, shapes, n in _EINSUM:
        cl.add("einsum", f"float32/{variant}", *[A(s) for s in shapes], lead=(subscripts,),
               n=n)
    for dt in ("float16", "bfloat16", "float64", "int32", "int8"):
        cl.add("einsum", f"{dt}/batched", A((2, 3, 4), dt), A((2, 4, 2), dt),
               lead=("bij,bjk->bik",), n=4)
    cl.add("einsum", "float32/transposed", A((3, 4), layout="transposed"),
           A((4, 2), layout="strided"), lead=("ij,jk->ik",), n=4)
    cl.add("einsum", "float32/empty", A((3, 0)), A((0, 2)), lead=("ij,jk->ik",))
    cl.add("dot", "float32/2d", A((3, 4)), A((4, 2)), n=4)
    cl.add("dot", "float32/3d", A((2, 3, 4)), A((2, 4, 3)), n=4)
    cl.add("dot", "float32/scalar", A(()), A((3,)))
    cl.add("outer", "float32", A((3,)), A((2, 2)))
    cl.add("inner", "float32/1d", A((5,)), A((5,)), n=5)
    cl.add("inner", "float32/2d", A((2, 3)), A((4, 3)), n=3)
    cl.add("vdot", "float32", A((2, 3)), A((3, 2)), n=6)
    cl.add("tensordot", "float32/axes2", A((2, 3, 4)), A((3, 4, 2)), n=12)
    cl.add("tensordot", "float32/axes_pairs", A((2, 3, 4)), A((4, 2)),
           kwargs={"axes": ([0, 2], [1, 0])}, n=8)
    cl.add("trace", "float32", A((4, 4)), n=4)
    cl.add("trace", "int32/rect", A((3, 5), "int32"))


# ---- windows -------------------------------------------------------------------------------------
def _patches_cases(cl: CaseList) -> None:
    for dt in ("float32", "int32", "bool", "float16"):
        cl.add("extract_patches", f"2d/{dt}", A((2, 5, 5, 2), dt),
               kwargs={"sizes": (2, 3), "strides": (1, 2)})
    cl.add("extract_patches", "1d/strides_dilation", A((2, 9, 3)),
           kwargs={"sizes": 3, "strides": 2, "dilation": 2})
    cl.add("extract_patches", "2d/dilation", A((1, 6, 5, 1)),
           kwargs={"sizes": (2, 2), "strides": 1, "dilation": (2, 1)})
    cl.add("extract_patches", "3d", A((1, 3, 4, 3, 2)), kwargs={"sizes": 2})
    cl.add("extract_patches", "2d/transposed", A((2, 4, 4, 2), layout="transposed"),
           kwargs={"sizes": 2, "strides": 2})
    cl.add("extract_patches", "2d/strided", A((1, 5, 4, 2), layout="strided"),
           kwargs={"sizes": (3, 2)})
    # patches_transpose: p (N, *out, prod(sizes)*C) summed back into (N, *image_shape)
    for dt in ("float32", "float64", "float16", "int32"):
        cl.add("patches_transpose", f"2d/{dt}", A((2, 4, 2, 12), dt),
               kwargs={"sizes": (2, 3), "strides": (1, 2), "dilation": 1,
                       "image_shape": (5, 5, 2)}, n=6)
    cl.add("patches_transpose", "1d/strides_dilation", A((2, 3, 9)),
           kwargs={"sizes": 3, "strides": 2, "dilation": 2, "image_shape": (9, 3)}, n=3)
    cl.add("patches_transpose", "2d/overlap", A((1, 4, 4, 4)),
           kwargs={"sizes": 2, "strides": 1, "dilation": 1, "image_shape": (5, 5, 1)}, n=4)
    cl.add("patches_transpose", "2d/gaps", A((1, 2, 2, 4)),
           kwargs={"sizes": 2, "strides": 3, "dilation": 1, "image_shape": (6, 6, 1)},
           note="stride > window: some image cells get nothing (zeros)")
    cl.add("patches_transpose", "3d", A((1, 2, 3, 2, 16)),
           kwargs={"sizes": 2, "strides": 1, "dilation": 1, "image_shape": (3, 4, 3, 2)},
           n=8)
    cl.add("patches_transpose", "2d/transposed", A((1, 3, 3, 4), layout="transposed"),
           kwargs={"sizes": 2, "strides": 1, "dilation": 1, "image_shape": (4, 4, 1)}, n=4)


def _conv_cases(cl: CaseList) -> None:
    conv: tuple[tuple[str, str, tuple, tuple, dict[str, Any]], ...] = (
        # variant, fn, x shape, kernel shape, kwargs
        ("1d/valid", "conv1d", (2, 7, 3), (3, 3, 2), {}),
        ("1d/same_stride2", "conv1d", (2, 7, 2), (3, 2, 3), {"strides": 2,
                                                               "padding": "same"}),
        ("1d/causal_dilation2", "conv1d", (1, 8, 2), (3, 2, 2),
         {"padding": "causal", "dilation_rate": 2}),
        ("2d/valid", "conv2d", (2, 5, 5, 2), (3, 3, 2, 3), {}),
        ("2d/same", "conv2d", (1, 5, 4, 2), (3, 3, 2, 2), {"padding": "same"}),
        ("2d/same_stride2", "conv2d", (1, 6, 5, 2), (3, 3, 2, 2),
         {"strides": 2, "padding": "same"}),
        ("2d/valid_strides21", "conv2d", (1, 6, 6, 1), (2, 3, 1, 2), {"strides": (2, 1)}),
        ("2d/same_even_kernel", "conv2d", (1, 5, 5, 2), (2, 2, 2, 2), {"padding": "same"}),
        ("2d/dilation2", "conv2d", (1, 7, 6, 2), (2, 2, 2, 3), {"dilation_rate": 2}),
        ("2d/same_dilation", "conv2d", (1, 5, 5, 1), (3, 3, 1, 2),
         {"padding": "same", "dilation_rate": (2, 1)}),
        ("3d/valid", "conv", (1, 3, 4, 3, 2), (2, 2, 2, 2, 2), {}),
        ("2d/channels_first", "conv", (1, 2, 5, 4), (3, 3, 2, 2),
         {"data_format": "channels_first"}),
    )
    for variant, fn, xs, ws, kw in conv:
        n = math.prod(ws[:-1])
        cl.add("conv", variant, A(xs), A(ws), fn=fn, kwargs=kw, n=n)
    for dt in ("float64", "float16", "bfloat16", "int32"):
        cl.add("conv", f"2d/{dt}", A((1, 5, 5, 2), dt), A((3, 3, 2, 2), dt), fn="conv2d",
               kwargs={"padding": "same"}, n=18)
    cl.add("conv", "2d/transposed_input", A((1, 4, 4, 2), layout="transposed"),
           A((2, 2, 2, 3), layout="strided"), fn="conv2d", n=8)
    conv_t: tuple[tuple[str, str, tuple, tuple, dict[str, Any]], ...] = (
        ("1d/valid", "conv1d_transpose", (2, 4, 3), (3, 2, 3), {}),
        ("1d/valid_stride2", "conv1d_transpose", (1, 4, 2), (3, 2, 2), {"strides": 2}),
        ("1d/same_stride2", "conv1d_transpose", (1, 4, 2), (3, 3, 2),
         {"strides": 2, "padding": "same"}),
        ("2d/valid", "conv2d_transpose", (1, 3, 3, 2), (3, 3, 2, 2), {}),
        ("2d/same_stride2", "conv2d_transpose", (1, 3, 2, 2), (3, 3, 3, 2),
         {"strides": 2, "padding": "same"}),
        ("2d/output_padding", "conv2d_transpose", (1, 3, 3, 1), (3, 3, 2, 1),
         {"strides": 2, "output_padding": 1}),
        ("2d/dilation2", "conv2d_transpose", (1, 3, 3, 2), (2, 2, 1, 2),
         {"dilation_rate": 2}),
        ("2d/same_even_kernel", "conv2d_transpose", (1, 3, 3, 1), (2, 2, 2, 1),
         {"strides": 2, "padding": "same"}),
        # the length/offset rule at its corners (Keras's): kernel smaller than the stride,
        # output_padding with "same", dilated kernels, a window shifted by one
        ("1d/valid_kernel_lt_stride", "conv1d_transpose", (1, 4, 2), (1, 2, 2),
         {"strides": 2}),
        ("1d/valid_k2_stride3_op2", "conv1d_transpose", (1, 3, 2), (2, 2, 2),
         {"strides": 3, "output_padding": 2}),
        ("1d/same_op1", "conv1d_transpose", (1, 4, 3), (3, 2, 3),
         {"strides": 2, "padding": "same", "output_padding": 1}),
        ("1d/same_k4_s3_op2", "conv1d_transpose", (1, 4, 2), (4, 2, 2),
         {"strides": 3, "padding": "same", "output_padding": 2}),
        ("1d/same_dilated", "conv1d_transpose", (1, 5, 2), (3, 2, 2),
         {"padding": "same", "dilation_rate": 2}),
        ("2d/same_op0_even", "conv2d_transpose", (1, 3, 4, 1), (4, 2, 2, 1),
         {"strides": 3, "padding": "same", "output_padding": 0}),
    )
    for variant, fn, xs, ws, kw in conv_t:
        n = math.prod(ws[:-2]) * ws[-1]
        cl.add("conv_transpose", variant, A(xs), A(ws), fn=fn, kwargs=kw, n=n)
    for dt in ("float64", "float16"):
        cl.add("conv_transpose", f"2d/{dt}", A((1, 3, 3, 2), dt), A((3, 3, 2, 2), dt),
               fn="conv2d_transpose", kwargs={"strides": 2}, n=18)
    dw: tuple[tuple[str, tuple, tuple, dict[str, Any]], ...] = (
        ("2d/valid", (1, 5, 5, 2), (3, 3, 2, 1), {}),
        ("2d/same_stride2_mult2", (2, 5, 4, 2), (3, 3, 2, 2), {"strides": 2,
                                                                 "padding": "same"}),
        ("1d/dilation", (1, 8, 3), (3, 3, 2), {"dilation_rate": 2}),
    )
    for variant, xs, ws, kw in dw:
        cl.add("depthwise_conv", variant, A(xs), A(ws), kwargs=kw, n=math.prod(ws[:-2]))
    cl.add("depthwise_conv", "2d/float64", A((1, 4, 4, 2), "float64"),
           A((2, 2, 2, 1), "float64"), n=4)
    cl.add("separable_conv2d", "same", A((1, 5, 5, 2)), A((3, 3, 2, 2)), A((1, 1, 4, 3)),
           kwargs={"padding": "same"}, n=36,
           note="two sums in a row: 9 depthwise terms, then 4 pointwise ones")


def _pool_cases(cl: CaseList) -> None:
    pools: tuple[tuple[str, str, tuple, dict[str, Any]], ...] = (
        ("1d/valid", "1d", (2, 7, 3), {"pool_size": 2}),
        ("1d/same_stride1", "1d", (1, 5, 2), {"pool_size": 3, "strides": 1,
                                              "padding": "same"}),
        ("2d/valid", "2d", (2, 4, 4, 2), {"pool_size": 2}),
        ("2d/same", "2d", (1, 5, 5, 2), {"pool_size": 2, "padding": "same"}),
        ("2d/same_stride1", "2d", (1, 4, 5, 1), {"pool_size": 3, "strides": 1,
                                                 "padding": "same"}),
        ("2d/overlap", "2d", (1, 6, 5, 2), {"pool_size": (3, 2), "strides": (2, 1)}),
    )
    for op in ("max_pool", "avg_pool"):
        for variant, nd, xs, kw in pools:
            size = kw["pool_size"]
            n = size ** int(nd[0]) if isinstance(size, int) else math.prod(size)
            cl.add(op, variant, A(xs), fn=f"{op}{nd}", kwargs=kw, n=n)
        for dt in ("float16", "float64", "bfloat16", "int32"):
            cl.add(op, f"2d/{dt}", A((1, 4, 4, 2), dt), fn=f"{op}2d",
                   kwargs={"pool_size": 2, "padding": "same"}, n=4)
        cl.add(op, "2d/transposed", A((1, 4, 4, 2), layout="transposed"), fn=op,
               kwargs={"pool_size": 2}, n=4)
        cl.add(op, "1d/special", A((1, 10, 1), values=SPECIAL), fn=f"{op}1d",
               kwargs={"pool_size": 2}, n=2)
    cl.add("max_pool", "2d/int8_same", A((1, 3, 3, 1), "int8", "full_range"),
           fn="max_pool2d", kwargs={"pool_size": 2, "padding": "same"},
           note="padding uses the dtype's minimum, so it never wins")


def _softmax_cases(cl: CaseList) -> None:
    for op in ("softmax", "log_softmax"):
        for dt in FLOATS:
            cl.add(op, dt, A((3, 5), dt), n=5)
        cl.add(op, "float32/axis0", A((4, 3)), kwargs={"axis": 0}, n=4)
        cl.add(op, "float32/axes", A((2, 3, 4)), kwargs={"axis": (0, 2)}, n=8)
        cl.add(op, "float32/large", A((2, 3), values=(1000.0, 999.0, -1000.0, 5.0, 5.0,
                                                      5.0)), n=3)
        cl.add(op, "float32/special", A((2, 5), values=SPECIAL), n=5)
        cl.add(op, "float32/transposed", A((5, 3), layout="transposed"), n=5)
        cl.add(op, "int32_input", A((2, 4), "int32"), n=4)


_ACTIVATIONS: tuple[tuple[str, dict[str, Any], float, float], ...] = (
    ("relu6", {}, -8.0, 8.0),
    ("leaky_relu", {}, -3.0, 3.0),
    ("leaky_relu", {"negative_slope": 0.01}, -3.0, 3.0),
    ("elu", {}, -4.0, 3.0),
    ("elu", {"alpha": 0.5}, -4.0, 3.0),
    ("selu", {}, -4.0, 3.0),
    ("gelu", {}, -4.0, 4.0),
    ("gelu", {"approximate": False}, -4.0, 4.0),
    ("silu", {}, -6.0, 6.0),
    ("softsign", {}, -5.0, 5.0),
    ("hard_sigmoid", {}, -5.0, 5.0),
    ("hard_silu", {}, -5.0, 5.0),
    ("log_sigmoid", {}, -8.0, 8.0),
)


def _activation_cases(cl: CaseList) -> None:
    for op, kw, lo, hi in _ACTIVATIONS:
        tag = "/" + ",".join(f"{k}={v}" for k, v in kw.items()) if kw else ""
        for dt in FLOATS:
            cl.add(op, f"{dt}{tag}", A((3, 4), dt, "uniform", lo, hi), kwargs=kw,
                   scale=abs(lo))
        if not kw:
            cl.add(op, "float32/special", A((10,), values=SPECIAL), scale=abs(lo))
            cl.add(op, "int32_input", A((2, 3), "int32", "uniform", -3, 3), scale=3.0)


def _spd(x: Any) -> Any:
    """A symmetric positive-definite matrix from any square one: x x^T + n I."""
    from .. import ops

    n = x.shape[-1]
    return ops.add(ops.matmul(x, ops.swapaxes(x, -1, -2)), ops.eye(n, dtype=x.dtype) * n)


def _cholesky_spd(x: Any) -> Any:
    from .. import ops

    return ops.cholesky(_spd(x))


def _eigh_spd(x: Any) -> Any:
    from .. import ops

    w, v = ops.eigh(_spd(x))
    return w, ops.abs(v)  # eigenvectors are defined up to sign


def _svd_abs(full_matrices: bool) -> Any:
    def run(x: Any) -> Any:
        from .. import ops

        u, s, vh = ops.svd(x, full_matrices=full_matrices)
        return ops.abs(u), s, ops.abs(vh)  # singular vectors are defined up to sign
    return run


def _factorization_cases(cl: CaseList) -> None:
    # LAPACK (numpy) and the reference's float64 kernels round differently inside the
    # factorization: its error grows with the condition number, hence the wider factor
    why = "a factorization: rounding inside LAPACK grows with the condition number"
    for dt, f in (("float64", 64.0), ("float32", 64.0)):
        kw = {"family": "composite", "tol_factor": f, "note": why}
        cl.add("cholesky", f"{dt}/spd", A((3, 3), dt), fn=_cholesky_spd, **kw)
        cl.add("cholesky", f"{dt}/batched_spd", A((2, 4, 4), dt), fn=_cholesky_spd, **kw)
        cl.add("solve", f"{dt}/matrix", A((3, 3), dt), A((3, 2), dt), **kw)
        cl.add("solve", f"{dt}/batched_broadcast", A((2, 3, 3), dt), A((3, 1), dt), **kw)
        cl.add("solve", f"{dt}/vector", A((4, 4), dt), A((4,), dt), **kw)
        cl.add("slogdet", f"{dt}/square", A((3, 3), dt), **kw)
        cl.add("slogdet", f"{dt}/batched", A((2, 4, 4), dt), **kw)
        cl.add("lu_factor", f"{dt}/square", A((4, 4), dt), **kw)
        cl.add("lu_factor", f"{dt}/batched_rect", A((2, 3, 4), dt), **kw)
        cl.add("eigh", f"{dt}/spd", A((3, 3), dt), fn=_eigh_spd, **kw)
        cl.add("eigh", f"{dt}/batched_spd", A((2, 4, 4), dt), fn=_eigh_spd, **kw)
        for shape in ((4, 3), (3, 4), (2, 3, 3)):
            for full in (True, False):
                name = "x".join(map(str, shape))
                cl.add("svd", f"{dt}/{name}/{'full' if full else 'reduced'}", A(shape, dt),
                       fn=_svd_abs(full), **kw)
            for mode in ("reduced", "complete"):
                name = "x".join(map(str, shape))
                cl.add("qr", f"{dt}/{name}/{mode}", A(shape, dt), kwargs={"mode": mode},
                       **kw)
    # composites over matmul / patches: the backends' kernels must agree through them
    sums = {"family": "reduction"}
    cl.add("fft", "float32/pair", A((2, 8)), A((2, 8)), pack=True, n=16, **sums)
    cl.add("rfft", "float32/crop_pad", A((3, 8)), kwargs={"fft_length": 6}, n=6, **sums)
    cl.add("rfft", "float64/odd", A((2, 7), "float64"), n=7, **sums)
    cl.add("stft", "float32/hann_center", A((2, 20)), extra=(8, 4, 8), n=8, **sums)
    cl.add("extract_sequences", "float32/overlap", A((2, 11)), extra=(4, 3))
    cl.add("segment_sum", "float32/unsorted", A((5, 3)), A((5,), "int32", values=(1, 0, 1, 3, 0)),
           extra=(4,), n=2, **sums)
    cl.add("segment_max", "float32/empty_segment", A((5, 3)),
           A((5,), "int32", values=(1, 0, 1, 3, 0)), extra=(4,))
    cl.add("unfold", "float32/stride_pad", A((1, 2, 5, 4)), extra=(2,),
           kwargs={"padding": 1, "stride": 2})
    cl.add("trace", "float32/offset_axes", A((3, 4, 2)), kwargs={"offset": 1, "axis1": 0,
                                                                  "axis2": 1}, n=3)


def build(cl: CaseList) -> None:
    _matmul_cases(cl)
    _einsum_cases(cl)
    _factorization_cases(cl)
    _patches_cases(cl)
    _conv_cases(cl)
    _pool_cases(cl)
    _softmax_cases(cl)
    _activation_cases(cl)
