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


# ---- Keras-parity ops added later (checked against Keras in tests/oracle; here against
# PyTorch too). Helpers build well-conditioned / symmetric / triangular inputs identically on
# both sides, so the cases differentiate through the construction as well.
def _eye(x: Any, n: int, lib: Any = None) -> Any:
    if lib is None:
        return ops.eye(n, dtype=x.dtype)
    return lib.eye(n, dtype=x.dtype)


def _wc(x: Any, lib: Any = None) -> Any:
    """A well-conditioned square matrix: x + 4 I."""
    n = x.shape[-1]
    return x + 4.0 * _eye(x, n, lib) if lib is not None else ops.add(
        x, ops.multiply(_eye(x, n), 4.0))


def _spd(x: Any, lib: Any = None) -> Any:
    """A symmetric positive definite matrix: x x^T + 3 I."""
    n = x.shape[-1]
    if lib is not None:
        return x @ x.transpose(-1, -2) + 3.0 * _eye(x, n, lib)
    return ops.add(ops.matmul(x, ops.swapaxes(x, -1, -2)), ops.multiply(_eye(x, n), 3.0))


def _sym(x: Any, lib: Any = None) -> Any:
    if lib is not None:
        return (x + x.transpose(-1, -2)) / 2
    return ops.divide(ops.add(x, ops.swapaxes(x, -1, -2)), 2.0)


def _lower(x: Any, lib: Any = None) -> Any:
    n = x.shape[-1]
    if lib is not None:
        return lib.tril(x) + 3.0 * _eye(x, n, lib)
    return ops.add(ops.tril(x), ops.multiply(_eye(x, n), 3.0))


def _sign_rows(m: Any, lib: Any = None) -> Any:
    """Fix the sign of each column of ``m`` so that its first row is positive."""
    if lib is not None:
        return m * lib.sign(m[..., :1, :]).detach()
    return ops.multiply(m, ops.stop_gradient(ops.sign(m[..., :1, :])))


def _qr_pos(x: Any, part: int, lib: Any = None) -> Any:
    """Q or R of the reduced QR with R's diagonal made positive (the unique factorisation)."""
    if lib is not None:
        q, r = lib.linalg.qr(x, mode="reduced")
        s = lib.sign(lib.diagonal(r, 0, -2, -1)).detach()
        return q * s[..., None, :] if part == 0 else r * s[..., :, None]
    q, r = ops.qr(x, mode="reduced")
    s = ops.stop_gradient(ops.sign(ops.diagonal(r, 0, -2, -1)))
    return ops.multiply(q, ops.expand_dims(s, -2)) if part == 0 else ops.multiply(
        r, ops.expand_dims(s, -1))


def _cplx(t: Any, re: Any, im: Any) -> Any:
    return t.complex(re, im)


def _ri(t: Any, z: Any) -> Any:
    return t.stack([z.real, z.imag])


def _floats(shape: tuple, low: float = 0.0, high: float = 1.0
            ) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.uniform(low, high, shape)


def _probs(shape: tuple) -> Callable[[np.random.Generator], np.ndarray]:
    def make(rng: np.random.Generator) -> np.ndarray:
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum(-1, keepdims=True)
    return make


def _mask(shape: tuple) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: rng.uniform(0, 1, shape) < 0.3


def _const(a: Any) -> Callable[[np.random.Generator], np.ndarray]:
    return lambda rng: np.asarray(a)


_F = "nn.functional"


def _fn(t: Any) -> Any:
    return t.nn.functional


def _bn_torch(t: Any, x: Any, m: Any, v: Any, o: Any, s: Any) -> Any:
    return _nhwc(t.nn.functional.batch_norm(_nchw(x), m, v, weight=s, bias=o,
                                            training=False, eps=1e-3))


def _d2s_torch(t: Any, x: Any, b: int) -> Any:
    n, h, w, c = x.shape
    x = x.reshape(n, h, w, b, b, c // (b * b)).permute(0, 1, 2, 5, 3, 4).reshape(n, h, w, c)
    return _nhwc(t.nn.functional.pixel_shuffle(_nchw(x), b))


def _s2d_torch(t: Any, x: Any, b: int) -> Any:
    y = _nhwc(t.nn.functional.pixel_unshuffle(_nchw(x), b))
    n, h, w, c = y.shape
    return y.reshape(n, h, w, c // (b * b), b, b).permute(0, 1, 2, 4, 5, 3).reshape(n, h, w, c)


def _attn_torch(t: Any, q: Any, k: Any, v: Any, **kw: Any) -> Any:
    def p(z: Any) -> Any:
        return z.transpose(1, 2)
    return p(t.nn.functional.scaled_dot_product_attention(p(q), p(k), p(v), **kw))


def _ctc_torch(t: Any, out: Any, tgt: Any, tl: Any, ol: Any) -> Any:
    lp = t.log_softmax(out, -1).transpose(0, 1)
    return t.nn.functional.ctc_loss(lp, tgt, ol, tl, blank=0, reduction="none")


_NAN = float("nan")

CASES += [
    # ---- elementwise
    _u("arcsin", ops.arcsin, lambda t, x: t.arcsin(x), -0.9, 0.9),
    _u("arccos", ops.arccos, lambda t, x: t.arccos(x), -0.9, 0.9),
    _u("arcsinh", ops.arcsinh, lambda t, x: t.arcsinh(x)),
    _u("arccosh", ops.arccosh, lambda t, x: t.arccosh(x), 1.1, 3.0),
    _u("arctanh", ops.arctanh, lambda t, x: t.arctanh(x), -0.9, 0.9),
    _b("arctan2", ops.arctan2, lambda t, x, y: t.arctan2(x, y)),
    _b("hypot", ops.hypot, lambda t, x, y: t.hypot(x, y)),
    _u("cbrt", ops.cbrt, lambda t, x: t.sign(x) * t.abs(x) ** (1 / 3)),
    _u("exp2", ops.exp2, lambda t, x: t.exp2(x)),
    _u("erfc", ops.erfc, lambda t, x: t.erfc(x)),
    _u("erfinv", ops.erfinv, lambda t, x: t.erfinv(x), -0.9, 0.9),
    _b("logaddexp2", ops.logaddexp2, lambda t, x, y: t.logaddexp2(x, y)),
    _u("trunc", ops.trunc, lambda t, x: t.trunc(x), -4.0, 4.0, grad=False),
    _b("fmod", ops.fmod, lambda t, x, y: t.fmod(x, y), [(3, 4), (4,)], -3.0, 3.0),
    _u("sinc", ops.sinc, lambda t, x: t.sinc(x)),
    _u("i0", ops.i0, lambda t, x: t.i0(x)),
    _u("deg2rad", ops.deg2rad, lambda t, x: t.deg2rad(x), -180.0, 180.0),
    _b("heaviside", ops.heaviside, lambda t, x, y: t.heaviside(x, y), grad=False),
    _u("signbit", ops.signbit, lambda t, x: t.signbit(x), grad=False),
    Case("ldexp", ops.ldexp, lambda t, x, e: t.ldexp(x, e), [(3, 4), (3, 4)],
         fixed={1: _ints(4, (3, 4))}, grad=False),
    _b("nextafter", ops.nextafter, lambda t, x, y: t.nextafter(x, y), grad=False),
    # ---- activations
    _u("celu", lambda x: ops.celu(x, alpha=0.7), lambda t, x: _fn(t).celu(x, 0.7),
       torch_grad64_is_f32=True),  # PyTorch's float64 backward: ~2e-8 off exp(x/alpha)
    _u("glu", ops.glu, lambda t, x: _fn(t).glu(x, -1), shape=(3, 6)),
    _u("hard_tanh", ops.hard_tanh, lambda t, x: _fn(t).hardtanh(x)),
    _u("soft_shrink", ops.soft_shrink, lambda t, x: _fn(t).softshrink(x, 0.5)),
    _u("hard_shrink", ops.hard_shrink, lambda t, x: _fn(t).hardshrink(x, 0.5)),
    _u("tanh_shrink", ops.tanh_shrink, lambda t, x: _fn(t).tanhshrink(x)),
    _u("threshold", lambda x: ops.threshold(x, 0.3, -1.0),
       lambda t, x: _fn(t).threshold(x, 0.3, -1.0)),
    # ---- cumulative, nan-aware and order statistics
    _u("cumsum", lambda x: ops.cumsum(x, axis=1), lambda t, x: t.cumsum(x, 1)),
    _u("cumsum_flat", ops.cumsum, lambda t, x: t.cumsum(x.flatten(), 0)),
    _u("cumprod", lambda x: ops.cumprod(x, axis=1), lambda t, x: t.cumprod(x, 1), 0.5, 1.5),
    Case("nansum", lambda x, m: ops.nansum(ops.where(m, _NAN, x), axis=1),
         lambda t, x, m: t.nansum(t.where(m, _NAN, x), 1), [(3, 5), (3, 5)],
         fixed={1: _mask((3, 5))}),
    Case("nanmean", lambda x, m: ops.nanmean(ops.where(m, _NAN, x), axis=0),
         lambda t, x, m: t.nanmean(t.where(m, _NAN, x), 0), [(4, 3), (4, 3)],
         fixed={1: lambda rng: np.array([[1, 0, 0], [0, 0, 1], [0, 0, 0], [1, 0, 0]], bool)}),
    _u("median_odd", lambda x: ops.median(x, axis=1), lambda t, x: t.median(x, 1).values,
       shape=(3, 5)),
    _u("quantile", lambda x: ops.quantile(x, 0.3, axis=1),
       lambda t, x: t.quantile(x, 0.3, dim=1), shape=(3, 6)),
    _u("quantile_vector_q", lambda x: ops.quantile(x, np.array([0.1, 0.5, 0.75]), axis=0),
       lambda t, x: t.quantile(x, t.tensor([0.1, 0.5, 0.75], dtype=x.dtype), dim=0),
       shape=(6, 2)),
    _u("quantile_nearest", lambda x: ops.quantile(x, 0.4, axis=1, method="nearest"),
       lambda t, x: t.quantile(x, 0.4, dim=1, interpolation="nearest"), shape=(3, 6)),
    # ---- shapes and rearrangements
    _u("diff", lambda x: ops.diff(x, 2, axis=1), lambda t, x: t.diff(x, n=2, dim=1),
       shape=(3, 6)),
    _u("roll", lambda x: ops.roll(x, 2, axis=1), lambda t, x: t.roll(x, 2, 1)),
    _u("roll_flat", lambda x: ops.roll(x, -3), lambda t, x: t.roll(x, -3)),
    _u("rot90", ops.rot90, lambda t, x: t.rot90(x, 1, (0, 1))),
    _u("rot90_k3", lambda x: ops.rot90(x, 3, axes=(1, 2)), lambda t, x: t.rot90(x, 3, (1, 2)),
       shape=(2, 3, 4)),
    _b("kron", ops.kron, lambda t, x, y: t.kron(x, y), [(2, 3), (3, 2)]),
    _b("cross", ops.cross, lambda t, x, y: t.linalg.cross(x, y, dim=-1), [(4, 3), (4, 3)]),
    _u("diag_of_vector", lambda x: ops.diag(x, 1), lambda t, x: t.diag(x, 1), shape=(3,)),
    _u("diag_of_matrix", lambda x: ops.diag(x, -1), lambda t, x: t.diag(x, -1), shape=(4, 4)),
    _u("diagonal", lambda x: ops.diagonal(x, 1, 0, 2), lambda t, x: t.diagonal(x, 1, 0, 2),
       shape=(3, 4, 5)),
    _u("flip_all", ops.flip, lambda t, x: t.flip(x, (0, 1))),
    _u("fliplr", ops.fliplr, lambda t, x: t.fliplr(x)),
    _u("flipud", ops.flipud, lambda t, x: t.flipud(x)),
    # torch.vander's backward fails (an in-place cumprod), so PyTorch builds the powers
    _u("vander", lambda x: ops.vander(x, 4),
       lambda t, x: x[:, None] ** t.arange(3, -1, -1, dtype=x.dtype), shape=(3,)),
    _u("trapezoid", lambda x: ops.trapezoid(x, dx=0.5), lambda t, x: t.trapezoid(x, dx=0.5)),
    # ---- indexing, searching, segments (values only where the output is integer)
    Case("unique", ops.unique, lambda t, i: t.unique(i), [(10,)], grad=False,
         fixed={0: _ints(5, (10,))}),
    Case("nonzero", lambda i: ops.stack(ops.nonzero(i), 0), lambda t, i: t.nonzero(i).T,
         [(3, 4)], grad=False, fixed={0: _ints(2, (3, 4))}),
    _b("searchsorted", lambda s, v: ops.searchsorted(ops.sort(s), v),
       lambda t, s, v: t.searchsorted(t.sort(s).values, v), [(6,), (5,)], grad=False),
    _b("searchsorted_right", lambda s, v: ops.searchsorted(s, v, side="right"),
       lambda t, s, v: t.searchsorted(s, v, right=True), [(5,), (4, 3)], grad=False,
       fixed={0: _const([-1.0, -0.5, 0.0, 0.5, 1.0]), 1: _const(
           [[-1.0, -0.7, 0.0], [0.5, 0.6, 2.0], [-3.0, 1.0, 0.2], [0.3, -0.5, 1.5]])}),
    Case("digitize", ops.digitize, lambda t, x, b: t.bucketize(x, b, right=True), [(3, 4), (5,)],
         grad=False, fixed={1: _const([-1.0, -0.5, 0.0, 0.5, 1.0]), 0: _const(
             [[-1.0, -0.7, 0.0, 3.0], [0.5, 0.6, 2.0, -2.0], [-3.0, 1.0, 0.2, -0.5]])}),
    Case("bincount_weighted", lambda i, w: ops.bincount(i, weights=w, minlength=6),
         lambda t, i, w: t.bincount(i, w, minlength=6), [(8,), (8,)], grad=False,
         fixed={0: _ints(5, (8,))}),
    Case("histogram", lambda x: ops.histogram(x, bins=5, range=(-2.0, 2.0))[0],
         lambda t, x: t.histogram(x, bins=5, range=(-2.0, 2.0)).hist, [(20,)], grad=False),
    Case("segment_sum", lambda x, i: ops.segment_sum(x, i, num_segments=4),
         lambda t, x, i: t.zeros(4, 3, dtype=x.dtype).index_add(0, i, x), [(6, 3), (6,)],
         fixed={1: _const(np.array([0, 2, 1, 2, 0, 3], "int32"))}),
    Case("segment_max", lambda x, i: ops.segment_max(x, i, num_segments=4),
         lambda t, x, i: t.full((4, 3), -float("inf"), dtype=x.dtype).scatter_reduce(
             0, i[:, None].expand(-1, 3), x, "amax", include_self=False),
         [(6, 3), (6,)], fixed={1: _const(np.array([0, 2, 1, 2, 0, 3], "int32"))}),
    # ---- norms and distances
    _b("cdist", ops.cdist, lambda t, x, y: t.cdist(x, y), [(3, 4), (5, 4)]),
    _u("norm_vector_l2", lambda x: ops.norm(x, axis=1),
       lambda t, x: t.linalg.vector_norm(x, dim=1)),
    _u("norm_vector_l1", lambda x: ops.norm(x, ord=1, axis=0),
       lambda t, x: t.linalg.vector_norm(x, 1, dim=0)),
    _u("norm_vector_inf", lambda x: ops.norm(x, ord=np.inf, axis=1),
       lambda t, x: t.linalg.vector_norm(x, float("inf"), dim=1)),
    _u("norm_vector_3", lambda x: ops.norm(x, ord=3, axis=1, keepdims=True),
       lambda t, x: t.linalg.vector_norm(x, 3, dim=1, keepdim=True)),
    _u("norm_fro_default", ops.norm, lambda t, x: t.linalg.norm(x)),
    _u("norm_matrix_1", lambda x: ops.norm(x, ord=1, axis=(0, 1)),
       lambda t, x: t.linalg.matrix_norm(x, 1)),
    _u("norm_matrix_inf", lambda x: ops.norm(x, ord=np.inf, axis=(0, 1)),
       lambda t, x: t.linalg.matrix_norm(x, float("inf"))),
    _u("norm_matrix_nuc", lambda x: ops.norm(x, ord="nuc", axis=(0, 1)),
       lambda t, x: t.linalg.matrix_norm(x, "nuc")),
    _u("norm_matrix_2", lambda x: ops.norm(x, ord=2, axis=(0, 1)),
       lambda t, x: t.linalg.matrix_norm(x, 2)),
    _u("norm_matrix_-2", lambda x: ops.norm(x, ord=-2, axis=(0, 1)),
       lambda t, x: t.linalg.matrix_norm(x, -2)),
    _u("normalize", ops.normalize, lambda t, x: _fn(t).normalize(x, dim=-1)),
    # ---- linear algebra
    _b("solve", lambda a, b: ops.solve(_wc(a), b), lambda t, a, b: t.linalg.solve(_wc(a, t), b),
       [(3, 3), (3, 2)]),
    _u("inv", lambda a: ops.inv(_wc(a)), lambda t, a: t.linalg.inv(_wc(a, t)), shape=(3, 3)),
    _u("det", lambda a: ops.det(_wc(a)), lambda t, a: t.linalg.det(_wc(a, t)), shape=(3, 3)),
    _u("det_batched", ops.det, lambda t, a: t.linalg.det(a), shape=(2, 3, 3)),
    _u("slogdet_logabs", lambda a: ops.slogdet(a)[1],
       lambda t, a: t.linalg.slogdet(a).logabsdet, shape=(2, 3, 3)),
    _u("slogdet_sign", lambda a: ops.slogdet(a)[0], lambda t, a: t.linalg.slogdet(a).sign,
       shape=(4, 3, 3), grad=False),
    _u("logdet", lambda a: ops.logdet(_spd(a)), lambda t, a: t.logdet(_spd(a, t)),
       shape=(3, 3)),
    _u("cholesky", lambda a: ops.cholesky(_spd(a)),
       lambda t, a: t.linalg.cholesky(_spd(a, t)), shape=(3, 3)),
    _u("cholesky_upper", lambda a: ops.cholesky(_spd(a), upper=True),
       lambda t, a: t.linalg.cholesky(_spd(a, t), upper=True), shape=(3, 3)),
    _u("cholesky_inverse", lambda a: ops.cholesky_inverse(_lower(a)),
       lambda t, a: t.cholesky_inverse(_lower(a, t)), shape=(3, 3)),
    _u("qr_q", lambda a: _qr_pos(a, 0), lambda t, a: _qr_pos(a, 0, t), shape=(4, 3)),
    _u("qr_r", lambda a: _qr_pos(a, 1), lambda t, a: _qr_pos(a, 1, t), shape=(4, 3)),
    _u("svd_values", lambda a: ops.svd(a, compute_uv=False),
       lambda t, a: t.linalg.svdvals(a), shape=(4, 3)),
    _u("svd_u", lambda a: _sign_rows(ops.svd(a, full_matrices=False)[0]),
       lambda t, a: _sign_rows(t.linalg.svd(a, full_matrices=False).U, t), shape=(4, 3)),
    _u("eigh_values", lambda a: ops.eigh(_sym(a))[0],
       lambda t, a: t.linalg.eigvalsh(_sym(a, t)), shape=(4, 4)),
    _u("eigh_vectors", lambda a: _sign_rows(ops.eigh(_sym(a))[1]),
       lambda t, a: _sign_rows(t.linalg.eigh(_sym(a, t)).eigenvectors, t), shape=(4, 4)),
    _u("pinv", ops.pinv, lambda t, a: t.linalg.pinv(a), shape=(4, 3)),
    _b("lstsq", ops.lstsq, lambda t, a, b: t.linalg.lstsq(a, b).solution, [(5, 3), (5, 2)]),
    _b("matrix_rank", lambda a, b: ops.matrix_rank(ops.matmul(a, b)),
       lambda t, a, b: t.linalg.matrix_rank(a @ b), [(4, 2), (2, 4)], grad=False),
    _b("solve_triangular", lambda a, b: ops.solve_triangular(_lower(a), b, lower=True),
       lambda t, a, b: t.linalg.solve_triangular(_lower(a, t), b, upper=False),
       [(3, 3), (3, 2)]),
    _b("solve_triangular_upper",
       lambda a, b: ops.solve_triangular(ops.swapaxes(_lower(a), 0, 1), b),
       lambda t, a, b: t.linalg.solve_triangular(_lower(a, t).T, b, upper=True),
       [(3, 3), (3, 2)]),
    # values only: tw's lu_factor is not differentiable (PyTorch's and JAX's are)
    _u("lu_factor", lambda a: ops.lu_factor(a)[0], lambda t, a: t.linalg.lu_factor(a).LU,
       shape=(4, 4), grad=False),
    _u("lu_factor_pivots", lambda a: ops.lu_factor(a)[1],
       lambda t, a: t.linalg.lu_factor(a).pivots - 1, shape=(2, 4, 4), grad=False),
    # ---- FFTs on (real, imag) pairs
    _b("fft", lambda r, i: ops.stack(ops.fft((r, i)), 0),
       lambda t, r, i: _ri(t, t.fft.fft(_cplx(t, r, i))), [(2, 8), (2, 8)]),
    _u("rfft", lambda x: ops.stack(ops.rfft(x), 0), lambda t, x: _ri(t, t.fft.rfft(x)),
       shape=(2, 8)),
    _u("rfft_padded", lambda x: ops.stack(ops.rfft(x, fft_length=10), 0),
       lambda t, x: _ri(t, t.fft.rfft(x, n=10)), shape=(2, 7)),
    _b("irfft", lambda r, i: ops.irfft((r, i)),
       lambda t, r, i: t.fft.irfft(_cplx(t, r, i)), [(2, 5), (2, 5)]),
    _b("irfft_odd_length", lambda r, i: ops.irfft((r, i), fft_length=9),
       lambda t, r, i: t.fft.irfft(_cplx(t, r, i), n=9), [(2, 5), (2, 5)]),
    _b("fft2", lambda r, i: ops.stack(ops.fft2((r, i)), 0),
       lambda t, r, i: _ri(t, t.fft.fft2(_cplx(t, r, i))), [(2, 4, 3), (2, 4, 3)]),
    _b("ifft2", lambda r, i: ops.stack(ops.ifft2((r, i)), 0),
       lambda t, r, i: _ri(t, t.fft.ifft2(_cplx(t, r, i))), [(2, 4, 3), (2, 4, 3)]),
    # ---- normalisation and losses
    Case("layer_normalization",
         lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-5),
         lambda t, x, g, b: _fn(t).layer_norm(x, (5,), g, b, eps=1e-5), [(3, 5), (5,), (5,)]),
    Case("rms_normalization", lambda x, s: ops.rms_normalization(x, s, epsilon=1e-6),
         lambda t, x, s: _fn(t).rms_norm(x, (5,), s, eps=1e-6), [(3, 5), (5,)]),
    # moving statistics are fixed (PyTorch does not differentiate running_mean/var)
    Case("batch_normalization",
         lambda x, m, v, o, s: ops.batch_normalization(x, m, v, axis=-1, offset=o, scale=s),
         _bn_torch, [(2, 3, 4), (4,), (4,), (4,), (4,)],
         fixed={1: _floats((4,), -1.0, 1.0), 2: _floats((4,), 0.5, 1.5)}),
    Case("binary_crossentropy", ops.binary_crossentropy,
         lambda t, y, p: _fn(t).binary_cross_entropy(p, y, reduction="none"),
         [(3, 4), (3, 4)], 0.05, 0.95, fixed={0: _floats((3, 4))}),
    Case("binary_crossentropy_logits",
         lambda y, z: ops.binary_crossentropy(y, z, from_logits=True),
         lambda t, y, z: _fn(t).binary_cross_entropy_with_logits(z, y, reduction="none"),
         [(3, 4), (3, 4)], -4.0, 4.0, fixed={0: _floats((3, 4))}),
    Case("categorical_crossentropy", ops.categorical_crossentropy,
         lambda t, y, p: _fn(t).cross_entropy(t.log(p), y, reduction="none"),
         [(3, 5), (3, 5)], 0.1, 1.0, fixed={0: _probs((3, 5))}),
    Case("categorical_crossentropy_logits",
         lambda y, z: ops.categorical_crossentropy(y, z, from_logits=True),
         lambda t, y, z: _fn(t).cross_entropy(z, y, reduction="none"),
         [(3, 5), (3, 5)], -3.0, 3.0, fixed={0: _probs((3, 5))}),
    Case("sparse_categorical_crossentropy", ops.sparse_categorical_crossentropy,
         lambda t, y, p: _fn(t).cross_entropy(t.log(p), y, reduction="none"),
         [(4,), (4, 5)], 0.1, 1.0, fixed={0: _ints(5, (4,))}),
    Case("sparse_categorical_crossentropy_logits",
         lambda y, z: ops.sparse_categorical_crossentropy(y, z, from_logits=True),
         lambda t, y, z: _fn(t).cross_entropy(z, y, reduction="none"),
         [(4,), (4, 5)], -3.0, 3.0, fixed={0: _ints(5, (4,))}),
    Case("ctc_loss", lambda o, y, yl, ol: ops.ctc_loss(y, o, yl, ol), _ctc_torch,
         [(2, 6, 4), (2, 3), (2,), (2,)],
         fixed={1: lambda rng: rng.integers(1, 4, (2, 3)).astype("int32"),
                2: _const(np.array([3, 2], "int32")), 3: _const(np.array([6, 5], "int32"))}),
    # ---- attention and spatial rearrangements (Keras layouts; PyTorch permuted)
    Case("dot_product_attention", ops.dot_product_attention, _attn_torch,
         [(2, 3, 2, 4), (2, 5, 2, 4), (2, 5, 2, 4)]),
    Case("dot_product_attention_causal_scaled",
         lambda q, k, v: ops.dot_product_attention(q, k, v, scale=0.3, is_causal=True),
         lambda t, q, k, v: _attn_torch(t, q, k, v, scale=0.3, is_causal=True),
         [(2, 4, 2, 3), (2, 4, 2, 3), (2, 4, 2, 3)]),
    _u("depth_to_space", lambda x: ops.depth_to_space(x, 2), lambda t, x: _d2s_torch(t, x, 2),
       shape=(2, 2, 3, 8)),
    _u("depth_to_space_channels_first",
       lambda x: ops.depth_to_space(x, 2, data_format="channels_first"),
       lambda t, x: _fn(t).pixel_shuffle(x, 2), shape=(2, 8, 2, 3)),
    _u("space_to_depth", lambda x: ops.space_to_depth(x, 2), lambda t, x: _s2d_torch(t, x, 2),
       shape=(2, 4, 6, 2)),
    _u("space_to_depth_channels_first",
       lambda x: ops.space_to_depth(x, 2, data_format="channels_first"),
       lambda t, x: _fn(t).pixel_unshuffle(x, 2), shape=(2, 2, 4, 6)),
    _u("unfold", lambda x: ops.unfold(x, 2, dilation=1, padding=1, stride=2),
       lambda t, x: _fn(t).unfold(x, 2, dilation=1, padding=1, stride=2), shape=(2, 3, 5, 4)),
    _u("fold", lambda x: ops.fold(x, (4, 5), 2, padding=1, stride=1),
       lambda t, x: _fn(t).fold(x, (4, 5), 2, padding=1, stride=1), shape=(2, 12, 30)),
    _u("adaptive_average_pool", lambda x: ops.adaptive_average_pool(x, (2, 3)),
       lambda t, x: _nhwc(_fn(t).adaptive_avg_pool2d(_nchw(x), (2, 3))), shape=(2, 5, 7, 2)),
    _u("adaptive_max_pool", lambda x: ops.adaptive_max_pool(x, (2, 3)),
       lambda t, x: _nhwc(_fn(t).adaptive_max_pool2d(_nchw(x), (2, 3))), shape=(2, 5, 7, 2)),
    _u("adaptive_average_pool1d", lambda x: ops.adaptive_average_pool(x, 3),
       lambda t, x: _nhwc(_fn(t).adaptive_avg_pool1d(_nchw(x), 3)), shape=(2, 7, 2)),
]


def _patches_torch(t: Any, x: Any, k: int, s: int) -> Any:
    """Keras's extract_patches layout (N, oh, ow, kh*kw*C) from PyTorch's unfold (C, kh, kw)."""
    n, h, w, c = x.shape
    cols = t.nn.functional.unfold(_nchw(x), k, stride=s)
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    cols = cols.reshape(n, c, k, k, oh, ow).permute(0, 4, 5, 2, 3, 1)
    return cols.reshape(n, oh, ow, k * k * c)


def _correlate_torch(t: Any, a: Any, v: Any, mode: str) -> Any:
    pad = {"valid": 0, "full": v.shape[0] - 1}[mode]
    return t.nn.functional.conv1d(a[None, None], v[None, None], padding=pad)[0, 0]


def _stft_torch(t: Any, x: Any, length: int, stride: int, fft: int) -> Any:
    z = t.stft(x, fft, hop_length=stride, win_length=length,
               window=t.hann_window(length, periodic=True, dtype=x.dtype), center=True,
               pad_mode="reflect", return_complex=True).transpose(-1, -2)
    return _ri(t, z)


_SEG = np.array([0, 2, 1, 2, 0, 3], "int32")

CASES += [
    _b("fmax", ops.fmax, lambda t, x, y: t.fmax(x, y)),
    _b("fmin", ops.fmin, lambda t, x, y: t.fmin(x, y)),
    _u("rad2deg", ops.rad2deg, lambda t, x: t.rad2deg(x)),
    _b("dot", ops.dot, lambda t, x, y: t.matmul(x, y), [(3, 4), (4, 2)]),
    _u("diagflat", lambda x: ops.diagflat(x, 1), lambda t, x: t.diagflat(x, 1), shape=(2, 2)),
    _u("corrcoef", ops.corrcoef, lambda t, x: t.corrcoef(x), shape=(3, 6)),
    _b("hstack", lambda x, y: ops.hstack([x, y]), lambda t, x, y: t.hstack([x, y]),
       [(3, 2), (3, 4)]),
    _b("vstack", lambda x, y: ops.vstack([x, y]), lambda t, x, y: t.vstack([x, y]),
       [(2, 4), (4,)]),
    _b("dstack", lambda x, y: ops.dstack([x, y]), lambda t, x, y: t.dstack([x, y]),
       [(3, 4), (3, 4)]),
    _u("ptp", lambda x: ops.ptp(x, axis=1), lambda t, x: x.amax(1) - x.amin(1)),
    Case("average_weighted", lambda x, w: ops.average(x, axis=1, weights=w),
         lambda t, x, w: (x * w).sum(1) / w.sum(), [(3, 4), (4,)], 0.2, 2.0),
    _u("moments_mean", lambda x: ops.moments(x, axes=(0, 2))[0],
       lambda t, x: t.var_mean(x, (0, 2), correction=0)[1], shape=(2, 3, 4)),
    _u("moments_variance", lambda x: ops.moments(x, axes=(0, 2), keepdims=True)[1],
       lambda t, x: t.var_mean(x, (0, 2), correction=0, keepdim=True)[0], shape=(2, 3, 4)),
    _u("percentile", lambda x: ops.percentile(x, 35.0, axis=0),
       lambda t, x: t.quantile(x, 0.35, dim=0), shape=(7, 2)),
    Case("nanquantile", lambda x, m: ops.nanquantile(ops.where(m, _NAN, x), 0.4, axis=1),
         lambda t, x, m: t.nanquantile(t.where(m, _NAN, x), 0.4, dim=1), [(3, 6), (3, 6)],
         fixed={1: lambda rng: np.array([[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 1, 0],
                                         [0, 0, 0, 0, 0, 0]], bool)}),
    Case("nanmedian_odd", lambda x, m: ops.nanmedian(ops.where(m, _NAN, x), axis=1),
         lambda t, x, m: t.nanmedian(t.where(m, _NAN, x), 1).values, [(3, 6), (3, 6)],
         fixed={1: lambda rng: np.array([[1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 1, 1],
                                         [0, 0, 0, 1, 0, 0]], bool)}),  # odd counts
    _u("count_nonzero", lambda x: ops.count_nonzero(ops.round(x), axis=0),
       lambda t, x: t.count_nonzero(t.round(x), 0), grad=False),
    _b("isin", lambda x, y: ops.isin(ops.round(x), ops.round(y)),
       lambda t, x, y: t.isin(t.round(x), t.round(y)), [(3, 4), (3,)], grad=False),
    Case("gcd", ops.gcd, lambda t, x, y: t.gcd(x, y), [(6,), (6,)], grad=False,
         fixed={0: _ints(30, (6,)), 1: _ints(30, (6,))}),
    Case("lcm", ops.lcm, lambda t, x, y: t.lcm(x, y), [(6,), (6,)], grad=False,
         fixed={0: _ints(30, (6,)), 1: _ints(30, (6,))}),
    Case("unravel_index", lambda i: ops.stack(ops.unravel_index(i, (3, 4, 5)), 0),
         lambda t, i: t.stack(t.unravel_index(i, (3, 4, 5)), 0), [(7,)], grad=False,
         fixed={0: _ints(60, (7,))}),
    Case("scatter_add", lambda x, i, u: ops.scatter_add(x, i, u),
         lambda t, x, i, u: x.index_put((i[:, 0], i[:, 1]), u, accumulate=True),
         [(3, 4), (5, 2), (5,)], fixed={1: _const(np.array(
             [[0, 1], [2, 3], [0, 1], [1, 0], [2, 2]], "int32"))}),
    Case("scatter_update", lambda x, i, u: ops.scatter_update(x, i, u),
         lambda t, x, i, u: x.index_put((i[:, 0], i[:, 1]), u),
         [(3, 4), (3, 2), (3,)], fixed={1: _const(np.array([[0, 1], [2, 3], [1, 0]],
                                                            "int32"))}),
    Case("scatter", lambda i, v: ops.scatter(i, v, (3, 4)),
         lambda t, i, v: t.zeros(3, 4, dtype=v.dtype).index_put((i[:, 0], i[:, 1]), v,
                                                                accumulate=True),
         [(4, 2), (4,)], fixed={0: _const(np.array([[0, 1], [2, 3], [0, 1], [1, 0]],
                                                   "int32"))}),
    Case("gather_nd", ops.gather_nd, lambda t, x, i: x[i[:, 0], i[:, 1]], [(3, 4, 2), (5, 2)],
         fixed={1: _const(np.array([[0, 1], [2, 3], [0, 1], [1, 0], [2, 2]], "int32"))}),
    Case("segment_min", lambda x, i: ops.segment_min(x, i, num_segments=4),
         lambda t, x, i: t.full((4, 3), float("inf"), dtype=x.dtype).scatter_reduce(
             0, i[:, None].expand(-1, 3), x, "amin", include_self=False),
         [(6, 3), (6,)], fixed={1: _const(_SEG)}),
    Case("segment_prod", lambda x, i: ops.segment_prod(x, i, num_segments=4),
         lambda t, x, i: t.ones(4, 3, dtype=x.dtype).scatter_reduce(
             0, i[:, None].expand(-1, 3), x, "prod"),
         [(6, 3), (6,)], fixed={1: _const(_SEG)}),
    Case("separable_conv",
         lambda x, d, p: ops.separable_conv(x, d, p, padding="same"),
         lambda t, x, d, p: _torch_conv(t, _torch_conv(t, x, d.reshape(3, 3, 1, 4), 1, "same",
                                                       1, groups=2), p, 1, "valid", 1),
         [(1, 5, 6, 2), (3, 3, 2, 2), (1, 1, 4, 3)]),
    _u("extract_patches", lambda x: ops.extract_patches(x, 2, strides=2),
       lambda t, x: _patches_torch(t, x, 2, 2), shape=(2, 4, 6, 3)),
    _u("extract_patches_overlap", lambda x: ops.extract_patches(x, 3, strides=1),
       lambda t, x: _patches_torch(t, x, 3, 1), shape=(1, 5, 4, 2)),
    _u("extract_sequences", lambda x: ops.extract_sequences(x, 4, 2),
       lambda t, x: x.unfold(-1, 4, 2), shape=(2, 9)),
    _b("correlate_valid", ops.correlate, lambda t, a, v: _correlate_torch(t, a, v, "valid"),
       [(7,), (3,)]),
    _b("correlate_full", lambda a, v: ops.correlate(a, v, mode="full"),
       lambda t, a, v: _correlate_torch(t, a, v, "full"), [(6,), (3,)]),
    _u("stft", lambda x: ops.stack(ops.stft(x, 8, 4, 8), 0),
       lambda t, x: _stft_torch(t, x, 8, 4, 8), shape=(2, 20)),
    _u("stft_short_window", lambda x: ops.stack(ops.stft(x, 6, 3, 8), 0),
       lambda t, x: _stft_torch(t, x, 6, 3, 8), shape=(2, 17)),
    _b("psnr", lambda x, y: ops.psnr(x, y, 1.0),
       lambda t, x, y: 10 * t.log10(1.0 / ((x - y) ** 2).mean()), [(2, 4, 4, 1), (2, 4, 4, 1)],
       0.0, 1.0),
]


def _istft_torch(t: Any, r: Any, i: Any, length: int, stride: int, fft: int) -> Any:
    z = _cplx(t, r, i).transpose(-1, -2)
    return t.istft(z, fft, hop_length=stride, win_length=length,
                   window=t.hann_window(length, periodic=True, dtype=r.dtype), center=True)


_BITS = {0: _ints(64, (2, 5)), 1: _ints(64, (2, 5))}
_SHIFTS = {0: _ints(64, (2, 5)), 1: _ints(4, (2, 5))}

CASES += [
    _b("istft", lambda r, i: ops.istft((r, i), 8, 4, 8),
       lambda t, r, i: _istft_torch(t, r, i, 8, 4, 8), [(2, 5, 5), (2, 5, 5)]),
    Case("multi_hot", lambda i: ops.multi_hot(i, 5), lambda t, i: _fn(t).one_hot(
        i, 5).amax(1), [(3, 2)], grad=False, fixed={0: _ints(5, (3, 2))}),
    Case("in_top_k", lambda y, p: ops.in_top_k(y, p, 2),
         lambda t, y, p: (p.topk(2).indices == y[:, None]).any(1), [(4,), (4, 5)],
         grad=False, fixed={0: _ints(5, (4,))}),
    Case("tri", lambda: ops.tri(3, 4, k=1), lambda t: t.ones(3, 4).tril(1), [], grad=False),
    Case("bitwise_and", ops.bitwise_and, lambda t, x, y: x & y, [(2, 5)] * 2, grad=False,
         fixed=_BITS),
    Case("bitwise_or", ops.bitwise_or, lambda t, x, y: x | y, [(2, 5)] * 2, grad=False,
         fixed=_BITS),
    Case("bitwise_xor", ops.bitwise_xor, lambda t, x, y: x ^ y, [(2, 5)] * 2, grad=False,
         fixed=_BITS),
    Case("bitwise_invert", ops.bitwise_invert, lambda t, x: ~x, [(2, 5)], grad=False,
         fixed={0: _ints(64, (2, 5))}),
    Case("bitwise_left_shift", ops.bitwise_left_shift, lambda t, x, y: x << y, [(2, 5)] * 2,
         grad=False, fixed=_SHIFTS),
    Case("bitwise_right_shift", ops.bitwise_right_shift, lambda t, x, y: x >> y,
         [(2, 5)] * 2, grad=False, fixed=_SHIFTS),
    _b("isclose", lambda x, y: ops.isclose(x, ops.add(x, ops.multiply(y, 1e-5))),
       lambda t, x, y: t.isclose(x, x + y * 1e-5), grad=False),
]


def _ctc_torch_blank(t: Any, out: Any, tgt: Any, tl: Any, ol: Any) -> Any:
    lp = t.log_softmax(out, -1).transpose(0, 1)
    return t.nn.functional.ctc_loss(lp, tgt, ol, tl, blank=3, reduction="none")


def _attn_mask(rng: np.random.Generator) -> np.ndarray:
    m = rng.uniform(0, 1, (2, 1, 3, 5)) < 0.6
    m[..., 0] = True  # no fully masked row
    return m


CASES += [
    Case("dot_product_attention_bias",
         lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b),
         lambda t, q, k, v, b: _attn_torch(t, q, k, v, attn_mask=b),
         [(2, 3, 2, 4), (2, 5, 2, 4), (2, 5, 2, 4), (1, 2, 3, 5)]),
    Case("dot_product_attention_mask",
         lambda q, k, v, m: ops.dot_product_attention(q, k, v, mask=m),
         lambda t, q, k, v, m: _attn_torch(t, q, k, v, attn_mask=m),
         [(2, 3, 2, 4), (2, 5, 2, 4), (2, 5, 2, 4), (2, 1, 3, 5)], fixed={3: _attn_mask}),
    Case("ctc_loss_blank_last", lambda o, y, yl, ol: ops.ctc_loss(y, o, yl, ol, mask_index=3),
         _ctc_torch_blank, [(2, 7, 4), (2, 3), (2,), (2,)],
         fixed={1: lambda rng: rng.integers(0, 3, (2, 3)).astype("int32"),
                2: _const(np.array([3, 1], "int32")), 3: _const(np.array([7, 4], "int32"))}),
]


def _inputs(case: Case, rng: np.random.Generator, dtype: str) -> list[np.ndarray]:
    out = []
    for i, shape in enumerate(case.shapes):
        if i in case.fixed:
            v = np.asarray(case.fixed[i](rng))
            out.append(v.astype(dtype) if v.dtype.kind == "f" else v)
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


def test_convention_median_of_an_even_count_averages_the_middle_pair(torch: Any,
                                                                     tw_backend: str) -> None:
    m = np.array([[1.0, 3.0, 2.0, 0.0]])
    ours = np.asarray(ops.convert_to_numpy(ops.median(m, axis=1)))
    np.testing.assert_array_equal(ours, np.median(m, axis=1))       # 1.5: NumPy, Keras/JAX
    assert torch.median(torch.tensor(m), 1).values.item() == 1.0     # PyTorch: the lower one
    # torch.quantile(0.5) is the NumPy definition: values and gradients (halves) agree
    (g,) = _grads(lambda a: ops.sum(ops.median(a, axis=1)), m)
    tm = torch.tensor(m, requires_grad=True)
    torch.quantile(tm, 0.5, dim=1).sum().backward()
    np.testing.assert_array_equal(g, tm.grad.numpy())
    np.testing.assert_array_equal(g, [[0.5, 0.0, 0.5, 0.0]])


def test_convention_norms_and_distances_at_zero_have_nan_gradients(torch: Any,
                                                                   tw_backend: str) -> None:
    z = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    # sqrt(sum x^2) at 0 is 0/0, as JAX (so Keras on JAX); PyTorch picks the subgradient 0
    # for norm/cdist and 1/eps for F.normalize (x / max(||x||, eps))
    for ours, theirs in ((lambda a: ops.norm(a, axis=1),
                          lambda t: torch.linalg.vector_norm(t, dim=1)),
                         (ops.normalize, torch.nn.functional.normalize),
                         (lambda a: ops.cdist(a, z[:1]), lambda t: torch.cdist(t, t[:1]))):
        (g,) = _grads(lambda a, f=ours: ops.sum(f(a)), z)
        tz = torch.tensor(z, requires_grad=True)
        theirs(tz).sum().backward()
        assert np.isnan(g[0]).all() and np.isfinite(tz.grad.numpy()[0]).all()
        np.testing.assert_allclose(g[1], tz.grad.numpy()[1], rtol=1e-12)
    # hypot at (0, 0): every point of the unit disc is a subgradient; we take 0 (PyTorch
    # NaN, JAX 0.5 each)
    gx, gy = _grads(lambda a, b: ops.sum(ops.hypot(a, b)), np.zeros(1), np.zeros(1))
    np.testing.assert_array_equal([gx[0], gy[0]], [0.0, 0.0])
    tx = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    torch.hypot(tx, tx).sum().backward()
    assert np.isnan(tx.grad.numpy()).all()


def test_convention_hard_tanh_passes_the_gradient_at_its_bounds(torch: Any,
                                                                tw_backend: str) -> None:
    b = np.array([1.0, -1.0])
    (g,) = _grads(lambda a: ops.sum(ops.hard_tanh(a)), b)
    np.testing.assert_array_equal(g, [1.0, 1.0])  # jax.nn.hard_tanh (Keras on JAX) too
    tb = torch.tensor(b, requires_grad=True)
    torch.nn.functional.hardtanh(tb).sum().backward()
    np.testing.assert_array_equal(tb.grad.numpy(), [0.0, 0.0])  # PyTorch: 0 at the bounds


def test_convention_adaptive_max_pool_ties_share_the_gradient(torch: Any,
                                                              tw_backend: str) -> None:
    q = np.array([[[[1.0], [1.0]], [[0.0], [0.5]]]])  # one (1, 1) output over a tied pair
    (g,) = _grads(lambda a: ops.sum(ops.adaptive_max_pool(a, (1, 1))), q)
    np.testing.assert_array_equal(g.ravel(), [0.5, 0.5, 0.0, 0.0])  # as max_pool and max
    tq = torch.tensor(q, requires_grad=True)
    torch.nn.functional.adaptive_max_pool2d(tq.movedim(-1, 1), (1, 1)).sum().backward()
    np.testing.assert_array_equal(tq.grad.numpy().ravel(), [1.0, 0.0, 0.0, 0.0])  # first


@pytest.mark.parametrize("name", ["hamming", "hanning", "blackman", "bartlett", "kaiser"])
def test_window_functions_match_pytorch(torch: Any, tw_backend: str, name: str) -> None:
    """NumPy's symmetric windows are PyTorch's ``periodic=False`` ones (float32 both)."""
    for m in (1, 2, 7):
        if name == "kaiser":
            ours, theirs = ops.kaiser(m, 3.5), torch.kaiser_window(m, False, 3.5)
        else:
            ours = getattr(ops, name)(m)
            theirs = getattr(torch, {"hanning": "hann"}.get(name, name) + "_window")(m, False)
        _close(np.asarray(ops.convert_to_numpy(ours)), theirs.numpy(), "float32",
               f"{name}({m}) ({tw_backend})", 1.0)


def test_convention_tied_order_statistics_follow_the_stable_sort(torch: Any,
                                                                 tw_backend: str) -> None:
    """median/quantile/sort/top_k at ties: the gradient goes to the tied elements in stable-sort
    order (the first occurrence first), as PyTorch's ``quantile``/``median``/stable ``sort``."""
    m = np.array([[2.0, 1.0, 2.0, 3.0, 0.0]])
    cases = [(lambda a: ops.median(a, axis=1), lambda t: torch.median(t, 1).values),
             (lambda a: ops.quantile(a, 0.6, axis=1), lambda t: torch.quantile(t, 0.6, dim=1)),
             (lambda a: ops.multiply(ops.sort(a), np.arange(5.0)),
              lambda t: torch.sort(t, stable=True).values * torch.arange(5.0,
                                                                        dtype=t.dtype)),
             (lambda a: ops.multiply(ops.top_k(a, 2)[0], np.array([1.0, 2.0])),
              lambda t: torch.sort(t, descending=True, stable=True).values[:, :2]
              * torch.tensor([1.0, 2.0], dtype=t.dtype))]
    for ours, theirs in cases:
        (g,) = _grads(lambda a, f=ours: ops.sum(f(a)), m)
        tm = torch.tensor(m, requires_grad=True)
        theirs(tm).sum().backward()
        np.testing.assert_array_equal(g, tm.grad.numpy())
    np.testing.assert_array_equal(g, [[2.0, 0.0, 0.0, 1.0, 0.0]])  # top_k: 3, then the first 2
    # (as jax.lax.top_k); torch.topk promises no order among ties (on this input it takes
    # the last 2), so its top_k side above is the stable descending sort
