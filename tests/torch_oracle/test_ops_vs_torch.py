"""``tw.ops`` against PyTorch: values and gradients of every op PyTorch can express.

Each case builds the same inputs for both libraries (Keras layouts on our side; PyTorch's
side permutes to NCHW and back where its convention differs), compares the outputs in
float32 and float64 on every selected backend (the ``tw_backend`` fixture: numpy and
python by default), then compares the gradients of ``sum(out * cotangent)`` with a
random cotangent, from ``tw.grad`` and from ``torch.autograd``.

Inputs avoid the points where frameworks legitimately differ (ties of ``maximum``,
``max_pool`` windows with tied cells, ``std`` of a constant slice, ``abs``/``relu`` at
0); those conventions are pinned by the tests at the end, which document the choice.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tensorweave as tw
from tensorweave import ops

DTYPES = ["float32", "float64"]
TOL = {"float32": (2e-5, 2e-6), "float64": (1e-10, 1e-12)}


@dataclass
class Case:
    """One op call: ``ours(*xs)`` against ``theirs(torch, *ts)`` on inputs from ``make``."""

    name: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    shapes: list[tuple[int, ...]]
    low: float = -2.0
    high: float = 2.0
    grad: bool = True
    #: inputs that are not differentiated (indices, masks): index -> array maker
    fixed: dict[int, Callable[[np.random.Generator], np.ndarray]] = field(default_factory=dict)
    tol_scale: float = 1.0
    #: PyTorch's float64 backward uses a float32 constant (hardsigmoid's 1/6): its float64
    #: gradients are only float32-accurate, so they are compared at float32 tolerance
    torch_grad64_is_f32: bool = False


def _u(name: str, ours: Callable, theirs: Callable, low: float = -2.0, high: float = 2.0,
       shape: tuple = (3, 4), **kw: Any) -> Case:
    return Case(name, ours, theirs, [shape], low, high, **kw)


def _b(name: str, ours: Callable, theirs: Callable, shapes: list | None = None,
       low: float = -2.0, high: float = 2.0, **kw: Any) -> Case:
    return Case(name, ours, theirs, shapes or [(3, 4), (4,)], low, high, **kw)


def _nchw(t: Any) -> Any:
    return t.movedim(-1, 1)


def _nhwc(t: Any) -> Any:
    return t.movedim(1, -1)


def _torch_conv(torch: Any, x: Any, w: Any, stride: int, padding: str, dilation: int,
                groups: int = 1) -> Any:
    """PyTorch's convNd on Keras layouts: x (N, *sp, C), w (*k, Cin/groups, Cout)."""
    n = x.ndim - 2
    fn = {1: torch.nn.functional.conv1d, 2: torch.nn.functional.conv2d,
          3: torch.nn.functional.conv3d}[n]
    wt = w.permute(n + 1, n, *range(n))  # (Cout, Cin, *k)
    xt = _nchw(x)
    if padding == "same":
        pads = []
        for size, k in zip(xt.shape[2:], wt.shape[2:]):
            out = -(-size // stride)
            total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
            pads.append((total // 2, total - total // 2))
        flat = [p for pair in reversed(pads) for p in pair]
        xt = torch.nn.functional.pad(xt, flat)
    return _nhwc(fn(xt, wt, stride=stride, dilation=dilation, groups=groups))


def _torch_pool(torch: Any, x: Any, kind: str, size: int, stride: int) -> Any:
    n = x.ndim - 2
    fn = {("max", 1): torch.nn.functional.max_pool1d, ("max", 2): torch.nn.functional.max_pool2d,
          ("avg", 1): torch.nn.functional.avg_pool1d,
          ("avg", 2): torch.nn.functional.avg_pool2d}[(kind, n)]
    return _nhwc(fn(_nchw(x), size, stride))


def _torch_conv_transpose(torch: Any, x: Any, w: Any, stride: int, dilation: int) -> Any:
    """PyTorch's conv_transposeNd ("valid", no output padding) on Keras layouts: x (N, *sp,
    Cin), w (*k, Cout, Cin)."""
    n = x.ndim - 2
    fn = {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
          3: torch.nn.functional.conv_transpose3d}[n]
    wt = w.permute(n + 1, n, *range(n))  # (Cin, Cout, *k)
    return _nhwc(fn(_nchw(x), wt, stride=stride, dilation=dilation))


def _ints(high: int, shape: tuple) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.integers(0, high, shape).astype("int32")


CASES: list[Case] = [
    # ---- elementwise, one input
    _u("abs", ops.abs, lambda t, x: t.abs(x)),
    _u("negative", ops.negative, lambda t, x: -x),
    _u("exp", ops.exp, lambda t, x: t.exp(x)),
    _u("expm1", ops.expm1, lambda t, x: t.expm1(x)),
    _u("log", ops.log, lambda t, x: t.log(x), 0.1, 3.0),
    _u("log1p", ops.log1p, lambda t, x: t.log1p(x), -0.9, 3.0),
    _u("log2", ops.log2, lambda t, x: t.log2(x), 0.1, 3.0),
    _u("log10", ops.log10, lambda t, x: t.log10(x), 0.1, 3.0),
    _u("sqrt", ops.sqrt, lambda t, x: t.sqrt(x), 0.1, 3.0),
    _u("rsqrt", ops.rsqrt, lambda t, x: t.rsqrt(x), 0.1, 3.0),
    _u("square", ops.square, lambda t, x: x * x),
    _u("reciprocal", ops.reciprocal, lambda t, x: t.reciprocal(x), 0.5, 3.0),
    _u("sin", ops.sin, lambda t, x: t.sin(x)),
    _u("cos", ops.cos, lambda t, x: t.cos(x)),
    _u("tan", ops.tan, lambda t, x: t.tan(x), -1.2, 1.2),
    _u("tanh", ops.tanh, lambda t, x: t.tanh(x)),
    _u("sinh", ops.sinh, lambda t, x: t.sinh(x)),
    _u("cosh", ops.cosh, lambda t, x: t.cosh(x)),
    _u("arctan", ops.arctan, lambda t, x: t.arctan(x)),
    _u("erf", ops.erf, lambda t, x: t.erf(x)),
    _u("sign", ops.sign, lambda t, x: t.sign(x), grad=False),
    _u("floor", ops.floor, lambda t, x: t.floor(x), grad=False),
    _u("ceil", ops.ceil, lambda t, x: t.ceil(x), grad=False),
    _u("round", ops.round, lambda t, x: t.round(x), -4.0, 4.0, grad=False),
    _u("sigmoid", ops.sigmoid, lambda t, x: t.sigmoid(x), -4.0, 4.0),
    _u("relu", ops.relu, lambda t, x: t.relu(x)),
    _u("relu6", ops.relu6, lambda t, x: t.nn.functional.relu6(x), -3.0, 8.0),
    _u("softplus", ops.softplus, lambda t, x: t.nn.functional.softplus(x), -4.0, 4.0),
    _u("softsign", ops.softsign, lambda t, x: t.nn.functional.softsign(x)),
    _u("silu", ops.silu, lambda t, x: t.nn.functional.silu(x), -4.0, 4.0),
    _u("gelu_tanh", ops.gelu, lambda t, x: t.nn.functional.gelu(x, approximate="tanh"),
       -4.0, 4.0),
    _u("gelu_exact", lambda x: ops.gelu(x, approximate=False),
       lambda t, x: t.nn.functional.gelu(x), -4.0, 4.0),
    _u("elu", ops.elu, lambda t, x: t.nn.functional.elu(x)),
    _u("selu", ops.selu, lambda t, x: t.nn.functional.selu(x)),
    _u("leaky_relu", ops.leaky_relu, lambda t, x: t.nn.functional.leaky_relu(x, 0.2)),
    _u("hard_sigmoid", ops.hard_sigmoid, lambda t, x: t.nn.functional.hardsigmoid(x),
       -5.0, 5.0, torch_grad64_is_f32=True),
    _u("hard_silu", ops.hard_silu, lambda t, x: t.nn.functional.hardswish(x), -5.0, 5.0),
    _u("log_sigmoid", ops.log_sigmoid, lambda t, x: t.nn.functional.logsigmoid(x), -5.0, 5.0),
    _u("clip", lambda x: ops.clip(x, -0.5, 0.7), lambda t, x: t.clamp(x, -0.5, 0.7)),
    _u("nan_to_num", ops.nan_to_num, lambda t, x: t.nan_to_num(x)),
    # ---- elementwise, two inputs (broadcasting)
    _b("add", ops.add, lambda t, x, y: x + y),
    _b("subtract", ops.subtract, lambda t, x, y: x - y),
    _b("multiply", ops.multiply, lambda t, x, y: x * y),
    _b("divide", ops.divide, lambda t, x, y: x / y, [(3, 4), (4,)], 0.5, 3.0),
    _b("power", ops.power, lambda t, x, y: t.pow(x, y), [(3, 4), (3, 1)], 0.5, 2.0),
    _b("maximum", ops.maximum, lambda t, x, y: t.maximum(x, y)),
    _b("minimum", ops.minimum, lambda t, x, y: t.minimum(x, y)),
    _b("mod", ops.mod, lambda t, x, y: t.remainder(x, y), [(3, 4), (4,)], 0.5, 3.0,
       grad=False),
    _b("floor_divide", ops.floor_divide, lambda t, x, y: t.floor_divide(x, y),
       [(3, 4), (4,)], 0.5, 3.0, grad=False),
    _b("logaddexp", ops.logaddexp, lambda t, x, y: t.logaddexp(x, y)),
    _b("where", lambda c, x, y: ops.where(ops.greater(c, 0.0), x, y),
       lambda t, c, x, y: t.where(c > 0, x, y), [(3, 4), (3, 4), (4,)]),
    # ---- reductions
    _u("sum", lambda x: ops.sum(x, axis=1), lambda t, x: x.sum(1), shape=(3, 4, 5)),
    _u("sum_all", ops.sum, lambda t, x: x.sum(), shape=(3, 4, 5)),
    _u("mean", lambda x: ops.mean(x, axis=(0, 2), keepdims=True),
       lambda t, x: x.mean((0, 2), keepdim=True), shape=(3, 4, 5)),
    _u("max", lambda x: ops.max(x, axis=-1), lambda t, x: x.amax(-1), shape=(3, 4, 5)),
    _u("min", lambda x: ops.min(x, axis=0), lambda t, x: x.amin(0), shape=(3, 4, 5)),
    _u("prod", lambda x: ops.prod(x, axis=1), lambda t, x: x.prod(1), 0.5, 1.5),
    _u("var", lambda x: ops.var(x, axis=1), lambda t, x: x.var(1, correction=0),
       shape=(3, 6)),
    _u("std", lambda x: ops.std(x, axis=0), lambda t, x: x.std(0, correction=0),
       shape=(5, 3)),
    _u("logsumexp", lambda x: ops.logsumexp(x, axis=-1), lambda t, x: t.logsumexp(x, -1),
       -4.0, 4.0, shape=(3, 5)),
    _u("softmax", lambda x: ops.softmax(x, axis=-1), lambda t, x: t.softmax(x, -1),
       -4.0, 4.0, shape=(3, 5)),
    _u("softmax_axis0", lambda x: ops.softmax(x, axis=0), lambda t, x: t.softmax(x, 0),
       -4.0, 4.0, shape=(3, 5)),
    _u("log_softmax", lambda x: ops.log_softmax(x, axis=-1),
       lambda t, x: t.log_softmax(x, -1), -4.0, 4.0, shape=(3, 5)),
    _u("argmax", lambda x: ops.argmax(x, axis=1), lambda t, x: x.argmax(1).int(),
       grad=False, shape=(4, 6)),
    _u("argmin", lambda x: ops.argmin(x, axis=0), lambda t, x: x.argmin(0).int(),
       grad=False, shape=(4, 6)),
    # ---- linear algebra
    _b("matmul", ops.matmul, lambda t, x, y: t.matmul(x, y), [(3, 4), (4, 5)]),
    _b("matmul_batched", ops.matmul, lambda t, x, y: t.matmul(x, y), [(2, 3, 4), (4, 2)]),
    _b("einsum", lambda x, y: ops.einsum("bij,bjk->bik", x, y),
       lambda t, x, y: t.einsum("bij,bjk->bik", x, y), [(2, 3, 4), (2, 4, 5)]),
    _u("einsum_diagonal", lambda x: ops.einsum("ii->i", x),
       lambda t, x: t.einsum("ii->i", x), shape=(4, 4)),
    _u("einsum_trace3", lambda x: ops.einsum("iij->j", x),
       lambda t, x: t.einsum("iij->j", x), shape=(3, 3, 2)),
    _b("einsum_repeated_in_one", lambda x, y: ops.einsum("ij,jj->i", x, y),
       lambda t, x, y: t.einsum("ij,jj->i", x, y), [(2, 3), (3, 3)]),
    _b("tensordot", lambda x, y: ops.tensordot(x, y, axes=([1, 2], [0, 1])),
       lambda t, x, y: t.tensordot(x, y, dims=([1, 2], [0, 1])), [(2, 3, 4), (3, 4, 5)]),
    _b("outer", ops.outer, lambda t, x, y: t.outer(x, y), [(3,), (4,)]),
    _b("inner", ops.inner, lambda t, x, y: t.inner(x, y), [(3, 4), (2, 4)]),
    _b("vdot", ops.vdot, lambda t, x, y: t.vdot(x, y), [(6,), (6,)]),
    _u("trace", ops.trace, lambda t, x: t.trace(x), shape=(4, 4)),
    # ---- shapes
    _u("transpose", lambda x: ops.transpose(x, (2, 0, 1)), lambda t, x: x.permute(2, 0, 1),
       shape=(2, 3, 4)),
    _u("reshape", lambda x: ops.reshape(x, (4, -1)), lambda t, x: x.reshape(4, -1),
       shape=(2, 3, 4)),
    _b("concatenate", lambda x, y: ops.concatenate([x, y], axis=1),
       lambda t, x, y: t.cat([x, y], 1), [(2, 3), (2, 5)]),
    _b("stack", lambda x, y: ops.stack([x, y], axis=1), lambda t, x, y: t.stack([x, y], 1),
       [(2, 3), (2, 3)]),
    _u("split", lambda x: ops.split(x, 3, axis=1)[1], lambda t, x: t.chunk(x, 3, 1)[1],
       shape=(2, 6)),
    _u("squeeze", lambda x: ops.squeeze(x, 1), lambda t, x: x.squeeze(1), shape=(3, 1, 4)),
    _u("expand_dims", lambda x: ops.expand_dims(x, 1), lambda t, x: x.unsqueeze(1)),
    _u("tile", lambda x: ops.tile(x, (2, 3)), lambda t, x: x.tile(2, 3)),
    _u("repeat", lambda x: ops.repeat(x, 2, axis=1),
       lambda t, x: t.repeat_interleave(x, 2, 1)),
    _u("flip", lambda x: ops.flip(x, axis=1), lambda t, x: t.flip(x, (1,))),
    _u("pad", lambda x: ops.pad(x, ((1, 2), (0, 3))),
       lambda t, x: t.nn.functional.pad(x, (0, 3, 1, 2))),
    _u("tril", lambda x: ops.tril(x, -1), lambda t, x: t.tril(x, -1), shape=(4, 4)),
    _u("triu", lambda x: ops.triu(x, 1), lambda t, x: t.triu(x, 1), shape=(4, 5)),
    _u("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda t, x: x.movedim(0, -1),
       shape=(2, 3, 4)),
    _u("swapaxes", lambda x: ops.swapaxes(x, 0, 2), lambda t, x: x.transpose(0, 2),
       shape=(2, 3, 4)),
    _u("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)),
       lambda t, x: x.broadcast_to(2, 3, 4)),
    # ---- indexing and sorting
    Case("take", lambda x, i: ops.take(x, i, axis=1), lambda t, x, i: x.index_select(1, i),
         [(3, 5), (4,)], fixed={1: _ints(5, (4,))}),
    Case("take_along_axis", lambda x, i: ops.take_along_axis(x, i, axis=1),
         lambda t, x, i: t.gather(x, 1, i), [(3, 5), (3, 2)], fixed={1: _ints(5, (3, 2))}),
    Case("one_hot", lambda i: ops.one_hot(i, 5), lambda t, i: t.nn.functional.one_hot(i, 5),
         [(4,)], grad=False, fixed={0: _ints(5, (4,))}),
    _u("sort", lambda x: ops.sort(x, axis=-1), lambda t, x: t.sort(x, -1).values),
    _u("argsort", lambda x: ops.argsort(x, axis=-1),
       lambda t, x: t.argsort(x, dim=-1, stable=True).int(), grad=False),
    _u("top_k_values", lambda x: ops.top_k(x, 2)[0], lambda t, x: t.topk(x, 2).values),
    _u("top_k_indices", lambda x: ops.top_k(x, 2)[1], lambda t, x: t.topk(x, 2).indices.int(),
       grad=False),
    # ---- convolutions and pooling (Keras layouts; PyTorch permuted)
    Case("conv1d", lambda x, w: ops.conv(x, w), lambda t, x, w: _torch_conv(t, x, w, 1,
                                                                              "valid", 1),
         [(2, 9, 3), (3, 3, 4)]),
    Case("conv1d_strided_same", lambda x, w: ops.conv(x, w, strides=2, padding="same"),
         lambda t, x, w: _torch_conv(t, x, w, 2, "same", 1), [(2, 9, 3), (4, 3, 2)]),
    Case("conv2d_dilated", lambda x, w: ops.conv(x, w, dilation_rate=2),
         lambda t, x, w: _torch_conv(t, x, w, 1, "valid", 2), [(2, 7, 8, 2), (3, 2, 2, 3)]),
    Case("conv2d_same", lambda x, w: ops.conv(x, w, strides=2, padding="same"),
         lambda t, x, w: _torch_conv(t, x, w, 2, "same", 1), [(1, 7, 6, 3), (3, 3, 3, 4)]),
    Case("conv3d", lambda x, w: ops.conv(x, w), lambda t, x, w: _torch_conv(t, x, w, 1,
                                                                              "valid", 1),
         [(1, 4, 5, 4, 2), (2, 3, 2, 2, 3)]),
    Case("depthwise_conv", lambda x, w: ops.depthwise_conv(x, w),
         lambda t, x, w: _torch_conv(t, x, w.reshape(3, 3, 1, 6), 1, "valid", 1, groups=3),
         [(2, 6, 7, 3), (3, 3, 3, 2)]),
    Case("conv1d_transpose", lambda x, w: ops.conv_transpose(x, w, strides=2),
         lambda t, x, w: _torch_conv_transpose(t, x, w, 2, 1), [(2, 5, 3), (3, 4, 3)]),
    Case("conv2d_transpose", lambda x, w: ops.conv_transpose(x, w, strides=1),
         lambda t, x, w: _torch_conv_transpose(t, x, w, 1, 1), [(1, 4, 5, 2), (3, 2, 3, 2)]),
    Case("conv2d_transpose_strided_dilated",
         lambda x, w: ops.conv_transpose(x, w, strides=2, dilation_rate=1),
         lambda t, x, w: _torch_conv_transpose(t, x, w, 2, 1), [(2, 3, 4, 2), (4, 3, 2, 2)]),
    Case("conv1d_transpose_dilated", lambda x, w: ops.conv_transpose(x, w, dilation_rate=2),
         lambda t, x, w: _torch_conv_transpose(t, x, w, 1, 2), [(2, 5, 2), (3, 3, 2)]),
    _u("max_pool", lambda x: ops.max_pool(x, 2), lambda t, x: _torch_pool(t, x, "max", 2, 2),
       shape=(2, 6, 8, 3)),
    _u("max_pool1d_overlap", lambda x: ops.max_pool(x, 3, strides=2),
       lambda t, x: _torch_pool(t, x, "max", 3, 2), shape=(2, 9, 2)),
    _u("avg_pool", lambda x: ops.avg_pool(x, 2), lambda t, x: _torch_pool(t, x, "avg", 2, 2),
       shape=(2, 6, 8, 3)),
    _u("avg_pool1d", lambda x: ops.avg_pool(x, 3, strides=1),
       lambda t, x: _torch_pool(t, x, "avg", 3, 1), shape=(2, 7, 2)),
]


def _inputs(case: Case, rng: np.random.Generator, dtype: str) -> list[np.ndarray]:
    out = []
    for i, shape in enumerate(case.shapes):
        if i in case.fixed:
            out.append(case.fixed[i](rng))
        else:
            out.append(rng.uniform(case.low, case.high, shape).astype(dtype))
    return out


def _torch_run(torch: Any, case: Case, xs: list[np.ndarray], ct: np.ndarray | None
               ) -> tuple[np.ndarray, list[np.ndarray | None]]:
    ts = []
    for i, x in enumerate(xs):
        t = torch.tensor(x if x.dtype != np.int32 or case.name in ("one_hot",)
                         else x.astype("int64"))
        if case.name == "one_hot":
            t = t.long()
        if i not in case.fixed and x.dtype.kind == "f":
            t.requires_grad_(True)
        ts.append(t)
    out = case.theirs(torch, *ts)
    grads: list[np.ndarray | None] = [None] * len(ts)
    if ct is not None:
        (out * torch.tensor(ct)).sum().backward()
        grads = [t.grad.numpy() if t.grad is not None else None for t in ts]
    return out.detach().numpy(), grads


def _close(ours: np.ndarray, theirs: np.ndarray, dtype: str, what: str, scale: float) -> None:
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs torch {theirs.shape}"
    if theirs.dtype.kind in "iub":
        np.testing.assert_array_equal(ours, theirs, err_msg=what)
        return
    rtol, atol = TOL[dtype]
    np.testing.assert_allclose(ours, theirs, rtol=rtol * scale, atol=atol * scale,
                               err_msg=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_values_and_gradients_match_pytorch(torch: Any, tw_backend: str, case: Case,
                                            dtype: str) -> None:
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    xs = _inputs(case, rng, dtype)
    ours = np.asarray(ops.convert_to_numpy(case.ours(*xs)))
    theirs, _ = _torch_run(torch, case, xs, None)
    if theirs.dtype == np.int64:
        theirs = theirs.astype("int32")
    _close(ours, theirs, dtype, f"{case.name} value ({tw_backend}, {dtype})", case.tol_scale)
    if not case.grad:
        return
    ct = rng.uniform(-1.0, 1.0, theirs.shape).astype(dtype)
    diff = [i for i, x in enumerate(xs) if i not in case.fixed]

    def loss(*args: Any) -> Any:
        full = list(xs)
        for i, a in zip(diff, args):
            full[i] = a
        return ops.sum(ops.multiply(case.ours(*full), ct))

    grads = tw.grad(loss, argnums=tuple(range(len(diff))))(*[xs[i] for i in diff])
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    _, torch_grads = _torch_run(torch, case, xs, ct)
    grad_dtype = "float32" if case.torch_grad64_is_f32 else dtype
    for k, i in enumerate(diff):
        ours_g = np.asarray(ops.convert_to_numpy(grads[k]))
        theirs_g = torch_grads[i]
        if theirs_g is None:  # PyTorch does not differentiate it (a where condition)
            theirs_g = np.zeros_like(xs[i])
        _close(ours_g, theirs_g, grad_dtype,
               f"{case.name} gradient of input {i} ({tw_backend}, {dtype})",
               10 * case.tol_scale)


# ---- where frameworks differ: the conventions tensorweave picked (docs/kernels.md) -------
def _grads(fn: Callable, *xs: np.ndarray) -> list[np.ndarray]:
    g = tw.grad(fn, argnums=tuple(range(len(xs))))(*xs)
    g = g if isinstance(g, (tuple, list)) else (g,)
    return [np.asarray(ops.convert_to_numpy(v)) for v in g]


def test_convention_maximum_minimum_ties_go_to_the_first_argument(torch: Any,
                                                                   tw_backend: str) -> None:
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])
    gx, gy = _grads(lambda a, b: ops.sum(ops.maximum(a, b)), x, y)
    np.testing.assert_array_equal(gx, [1.0, 1.0, 1.0])   # TensorFlow's rule: x >= y -> x
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0])
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.tensor(y, requires_grad=True)
    torch.maximum(tx, ty).sum().backward()
    np.testing.assert_array_equal(tx.grad.numpy(), [0.5, 1.0, 0.5])  # PyTorch splits ties
    gx, gy = _grads(lambda a, b: ops.sum(ops.minimum(a, b)), x, y)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 1.0])
    # so clip (and relu6) pass the whole gradient at their bounds, as torch.clamp does
    (gc,) = _grads(lambda a: ops.sum(ops.clip(a, 1.0, 3.0)), x)
    tc = torch.tensor(x, requires_grad=True)
    torch.clamp(tc, 1.0, 3.0).sum().backward()
    np.testing.assert_array_equal(gc, tc.grad.numpy())


def test_convention_tied_maxima_share_the_gradient(torch: Any, tw_backend: str) -> None:
    m = np.array([[1.0, 3.0, 3.0]])
    (g,) = _grads(lambda a: ops.sum(ops.max(a, axis=1)), m)
    tm = torch.tensor(m, requires_grad=True)
    tm.amax(1).sum().backward()
    np.testing.assert_array_equal(g, tm.grad.numpy())  # [0, .5, .5] in both (amax)
    z = np.array([[[[1.0], [1.0]], [[0.0], [1.0]]]])    # one 2x2 window, three maxima
    (g,) = _grads(lambda a: ops.sum(ops.max_pool(a, 2)), z)
    np.testing.assert_allclose(g.ravel(), [1 / 3, 1 / 3, 0.0, 1 / 3])  # as the reduction
    tz = torch.tensor(z, requires_grad=True)
    torch.nn.functional.max_pool2d(tz.movedim(-1, 1), 2).sum().backward()
    np.testing.assert_array_equal(tz.grad.numpy().ravel(), [1.0, 0.0, 0.0, 0.0])  # first max


def test_convention_std_of_a_constant_slice(torch: Any, tw_backend: str) -> None:
    c = np.ones((2, 3))
    (g,) = _grads(lambda a: ops.sum(ops.std(a, axis=1)), c)
    assert np.isnan(g).all()  # 0/0, as JAX and TensorFlow (and Keras on them)
    tc = torch.tensor(c, requires_grad=True)
    tc.std(1, correction=0).sum().backward()
    np.testing.assert_array_equal(tc.grad.numpy(), np.zeros((2, 3)))  # PyTorch: 0


def test_convention_kinks_agree(torch: Any, tw_backend: str) -> None:
    a0 = np.array([0.0, -1.0, 1.0])
    for ours, theirs in ((ops.abs, torch.abs), (ops.relu, torch.relu)):
        (g,) = _grads(lambda a, f=ours: ops.sum(f(a)), a0)
        t = torch.tensor(a0, requires_grad=True)
        theirs(t).sum().backward()
        np.testing.assert_array_equal(g, t.grad.numpy())
