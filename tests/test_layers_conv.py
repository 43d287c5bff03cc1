"""Convolution and pooling layers against NumPy oracles written here from the definitions.

The oracles are deliberately different algorithms from the library's: convolution is an
explicit loop over output positions with TensorFlow's "same" padding rule; the transposed
convolution follows Keras's own recipe (stride-dilate the input, pad by Keras's JAX
padding arguments, correlate with the flipped kernel), while the layer scatters windows
(col2im) and crops; pooling loops over windows and counts only real cells for averages.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_layers import (  # noqa: F401  (float64_layers is an autouse fixture)
    as_np,
    assert_names_layer,
    check_grads,
    check_roundtrip,
    check_shape,
    float64_layers,
    on_python_backend,
    rand,
)

import tensorweave as tw
from tensorweave import layers as L
from tensorweave.errors import InvalidArgumentError, ShapeError


# ---- oracles -----------------------------------------------------------------------------------
def same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    eff = d * (k - 1) + 1
    out = -(-n // s)
    total = max((out - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def np_conv(x: np.ndarray, w: np.ndarray, strides=1, padding="valid", dilation=1):  # noqa: ANN001, ANN201
    """Channels-last N-d cross-correlation; kernel (*k, C, F)."""
    n = w.ndim - 2
    ks = w.shape[:n]
    st = (strides,) * n if isinstance(strides, int) else tuple(strides)
    dl = (dilation,) * n if isinstance(dilation, int) else tuple(dilation)
    if padding == "same":
        pads = [same_pads(x.shape[1 + i], ks[i], st[i], dl[i]) for i in range(n)]
    elif padding == "causal":
        pads = [(dl[i] * (ks[i] - 1), 0) for i in range(n)]
    else:
        pads = [(0, 0)] * n
    xp = np.pad(x, [(0, 0), *pads, (0, 0)])
    eff = [dl[i] * (ks[i] - 1) + 1 for i in range(n)]
    out_sp = [(xp.shape[1 + i] - eff[i]) // st[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *out_sp, w.shape[-1]))
    for pos in np.ndindex(*out_sp):
        win = xp[(slice(None),) + tuple(slice(p * st[i], p * st[i] + eff[i], dl[i])
                                         for i, p in enumerate(pos))]
        y[(slice(None), *pos)] = np.tensordot(win, w, axes=(list(range(1, n + 2)),
                                                           list(range(n + 1))))
    return y


def np_conv_transpose(x, w, strides, padding, output_padding, dilation):  # noqa: ANN001, ANN201
    """Keras 3's JAX recipe (keras/src/backend/common/backend_utils.py): dilate by the stride,
    pad by the JAX padding arguments, correlate with the spatially flipped kernel."""
    n = w.ndim - 2
    ks = w.shape[:n]
    for i in range(n):
        s = strides[i]
        if s > 1:
            idx = np.arange(x.shape[1 + i]) * s
            shape = list(x.shape)
            shape[1 + i] = (x.shape[1 + i] - 1) * s + 1
            z = np.zeros(shape)
            sl = [slice(None)] * x.ndim
            sl[1 + i] = idx
            z[tuple(sl)] = x
            x = z
    pads = []
    for i in range(n):
        eff = (ks[i] - 1) * dilation[i] + 1
        op = None if output_padding is None else output_padding[i]
        if padding == "valid":
            op = max(eff, strides[i]) - eff if op is None else op
            left, right = eff - 1, eff - 1 + op
        else:
            pad_len = strides[i] + eff - 2 if op is None else eff + eff % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, eff - 1)
            right = pad_len - left
        pads.append((left, right))
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    wf = np.flip(w, axis=tuple(range(n))).swapaxes(-1, -2)  # (*k, in, out)
    return np_conv(x, wf, 1, "valid", dilation)


def keras_deconv_len(n, k, s, padding, op, d):  # noqa: ANN001, ANN201
    """keras.src.backend.common.backend_utils._get_output_shape_given_tf_padding."""
    k = (k - 1) * d + 1
    if padding == "valid":
        return (n - 1) * s + k + (max(k, s) - k if op is None else op)
    return n * s if op is None else (n - 1) * s + k % 2 + op


def np_depthwise(x, w, strides, padding, dilation):  # noqa: ANN001, ANN201
    c, m = w.shape[-2:]
    outs = []
    for ci in range(c):
        for mi in range(m):
            outs.append(np_conv(x[..., ci:ci + 1], w[..., ci:ci + 1, mi:mi + 1], strides,
                                padding, dilation))
    return np.concatenate(outs, axis=-1)  # channel order c * m + mi


def np_pool(x, size, strides, padding, mode):  # noqa: ANN001, ANN201
    n = x.ndim - 2
    if padding == "same":
        pads = [same_pads(x.shape[1 + i], size[i], strides[i], 1) for i in range(n)]
    else:
        pads = [(0, 0)] * n
    xp = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    out_sp = [(xp.shape[1 + i] - size[i]) // strides[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *out_sp, x.shape[-1]))
    for pos in np.ndindex(*out_sp):
        win = xp[(slice(None),) + tuple(slice(p * strides[i], p * strides[i] + size[i])
                                         for i, p in enumerate(pos))]
        win = win.reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *pos)] = np.nanmax(win, 1) if mode == "max" else np.nanmean(win, 1)
    return y


def to_first(x: np.ndarray) -> np.ndarray:
    return np.moveaxis(x, -1, 1)


# ---- Conv ---------------------------------------------------------------------------------------
CONV_CASES = [
    # (rank, filters, kernel, strides, padding, dilation, input spatial)
    (2, 3, 3, 1, "valid", 1, (5, 6)),
    (2, 2, (2, 3), (2, 1), "same", 1, (5, 6)),
    (2, 2, 3, 1, "same", 2, (6, 5)),
    (2, 2, 2, 3, "same", 1, (7, 7)),
    (1, 3, 3, 2, "valid", 1, (9,)),
    (1, 2, 3, 1, "causal", 2, (8,)),
    (1, 2, 4, 1, "same", 1, (7,)),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=[str(i) for i in range(len(CONV_CASES))])
def test_conv_matches_oracle(case):
    rank, f, k, s, p, d, sp = case
    cls = L.Conv1D if rank == 1 else L.Conv2D
    x = rand(2, *sp, 3)
    layer = cls(f, k, strides=s, padding=p, dilation_rate=d, activation="relu")
    y = check_shape(layer, x)
    w, b = layer.get_weights()
    np.testing.assert_allclose(y, np.maximum(np_conv(x, w, s, p, d) + b, 0), rtol=1e-10,
                               atol=1e-12)
    if p != "causal":
        first = cls(f, k, strides=s, padding=p, dilation_rate=d, activation="relu",
                    data_format="channels_first")
        check_shape(first, to_first(x))
        first.set_weights([w, b])
        np.testing.assert_allclose(as_np(first(to_first(x))), to_first(y), rtol=1e-10,
                                   atol=1e-12)


def test_conv_grouped_matches_oracle():
    x = rand(2, 5, 5, 4)
    layer = L.Conv2D(6, 3, groups=2, padding="same")
    y = check_shape(layer, x)
    w, b = layer.get_weights()
    assert w.shape == (3, 3, 2, 6)
    want = np.concatenate([np_conv(x[..., :2], w[..., :3], 1, "same"),
                           np_conv(x[..., 2:], w[..., 3:], 1, "same")], axis=-1) + b
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    check_grads(L.Conv1D(4, 2, groups=2), rand(1, 3, 2))
    with pytest.raises(InvalidArgumentError, match="groups"):
        L.Conv2D(5, 3, groups=2)
    bad = L.Conv2D(4, 3, groups=2)
    with pytest.raises(ShapeError) as e:
        bad(rand(1, 4, 4, 3))
    assert_names_layer(e.value, bad)


def test_conv_param_counts_match_keras():
    cases = [(L.Conv2D(32, 3), (None, 28, 28, 1), 320),
             (L.Conv2D(64, 3), (None, 13, 13, 32), 18496),
             (L.Conv2D(8, 3, use_bias=False), (None, 5, 5, 2), 144),
             (L.Conv1D(16, 5), (None, 20, 8), 656),
             (L.Conv2D(8, 3, groups=4), (None, 5, 5, 4), 80),
             (L.Conv2DTranspose(16, 3), (None, 5, 5, 8), 1168),
             (L.Conv1DTranspose(4, 3), (None, 5, 2), 28),
             (L.DepthwiseConv2D(3), (None, 5, 5, 8), 80),
             (L.DepthwiseConv2D(3, depth_multiplier=2), (None, 5, 5, 8), 160),
             (L.SeparableConv2D(16, 3), (None, 5, 5, 8), 216),
             (L.SeparableConv1D(4, 3, depth_multiplier=2), (None, 5, 3), 18 + 24 + 4)]
    for layer, shape, n in cases:
        layer.build(shape)
        assert layer.count_params() == n, (layer.name, layer.count_params(), n)
    c = L.Conv2D(4, 3)
    c.build((None, 5, 5, 2))
    assert [v.name for v in c.weights] == ["kernel", "bias"]
    s = L.SeparableConv2D(4, 3)
    s.build((None, 5, 5, 2))
    assert [v.name for v in s.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]


def test_conv_grads_and_roundtrip():
    check_grads(L.Conv2D(2, 2, padding="same", strides=2), rand(1, 3, 3, 2))
    check_grads(L.Conv1D(2, 2, dilation_rate=2, padding="causal"), rand(1, 4, 1))
    check_grads(L.Conv2D(2, 2, data_format="channels_first"), rand(1, 1, 3, 3))
    x = rand(2, 5, 5, 2)
    reg = L.Conv2D(3, (3, 2), strides=(1, 2), padding="same", activation="relu",
                   kernel_initializer="he_normal", kernel_regularizer=tw.regularizers.L2(0.01),
                   bias_constraint="non_neg")
    check_roundtrip(reg, x)
    (penalty,) = reg.losses
    np.testing.assert_allclose(float(penalty), 0.01 * np.sum(reg.get_weights()[0] ** 2),
                               rtol=1e-6)
    assert reg.bias.constraint is not None
    check_roundtrip(L.Conv2D(3, 3, data_format="channels_first"), to_first(x))


def test_conv_errors_name_the_layer():
    conv = L.Conv2D(4, 3)
    with pytest.raises(ShapeError) as e:
        conv(rand(2, 5, 3))
    assert_names_layer(e.value, conv)
    assert "4-d" in str(e.value) and "(2, 5, 3)" in str(e.value)
    conv(rand(1, 5, 5, 3))
    with pytest.raises(ShapeError) as e:
        conv(rand(1, 5, 5, 2))
    assert_names_layer(e.value, conv)
    assert "3 input channels" in str(e.value)
    with pytest.raises(InvalidArgumentError) as e:
        L.Conv2D(4, 3, strides=2, dilation_rate=2)
    assert "dilation_rate" in str(e.value)
    with pytest.raises(InvalidArgumentError, match="padding"):
        L.Conv2D(4, 3, padding="causal")
    with pytest.raises(InvalidArgumentError, match="data_format"):
        L.Conv2D(4, 3, data_format="NHWC")
    with pytest.raises(InvalidArgumentError, match="kernel_size"):
        L.Conv2D(4, (3, 3, 3))


# ---- transposed ---------------------------------------------------------------------------------
TRANSPOSE_CASES = [
    # (rank, kernel, strides, padding, output_padding, dilation, spatial)
    (2, 3, 2, "same", None, 1, (3, 4)),
    (2, 3, 2, "valid", None, 1, (3, 2)),
    (2, (2, 3), (3, 1), "valid", None, 1, (2, 3)),  # kernel < stride: zero tail
    (2, 4, 2, "same", None, 1, (3, 3)),
    (2, 3, 2, "same", 1, 1, (3, 3)),
    (2, 4, 2, "same", (1, 0), 1, (2, 3)),
    (2, 3, 1, "same", None, 2, (4, 3)),
    (1, 3, 2, "valid", 1, 1, (4,)),
    (1, 5, 3, "same", 2, 1, (3,)),
    (1, 2, 1, "valid", None, 3, (3,)),
    (1, 2, 3, "same", None, 1, (3,)),  # 'same' longer than the full result: zero tail
    (1, 2, 3, "same", 2, 1, (3,)),
    (1, 4, 1, "same", 0, 1, (5,)),
]


@pytest.mark.parametrize("case", TRANSPOSE_CASES,
                         ids=[str(i) for i in range(len(TRANSPOSE_CASES))])
def test_conv_transpose_matches_keras_recipe(case):
    rank, k, s, p, op, d, sp = case
    cls = L.Conv1DTranspose if rank == 1 else L.Conv2DTranspose
    x = rand(2, *sp, 3)
    layer = cls(2, k, strides=s, padding=p, output_padding=op, dilation_rate=d)
    y = check_shape(layer, x)
    w, b = layer.get_weights()
    assert w.shape[-2:] == (2, 3)
    nt = lambda v: (v,) * rank if isinstance(v, int) or v is None else tuple(v)  # noqa: E731
    ks, ss, ops_, ds = nt(k), nt(s), (None if op is None else nt(op)), nt(d)
    want = np_conv_transpose(x, w, ss, p, ops_, ds) + b
    expect_len = tuple(keras_deconv_len(sp[i], ks[i], ss[i], p,
                                        None if ops_ is None else ops_[i], ds[i])
                       for i in range(rank))
    assert y.shape[1:-1] == expect_len == want.shape[1:-1]
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)


def test_conv_transpose_grads_channels_first_and_errors():
    check_grads(L.Conv2DTranspose(2, 2, strides=2, padding="same"), rand(1, 2, 2, 1))
    check_grads(L.Conv1DTranspose(1, 3, strides=2, output_padding=1), rand(1, 2, 2))
    x = rand(1, 3, 3, 2)
    last = L.Conv2DTranspose(2, 3, strides=2, padding="same")
    y = last(x)
    first = L.Conv2DTranspose(2, 3, strides=2, padding="same", data_format="channels_first")
    first(to_first(x))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(as_np(first(to_first(x))), to_first(as_np(y)), rtol=1e-10)
    check_roundtrip(L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1), x)
    with pytest.raises(InvalidArgumentError, match="output_padding"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    bad = L.Conv2DTranspose(2, 3)
    with pytest.raises(ShapeError) as e:
        bad(rand(1, 3, 3))
    assert_names_layer(e.value, bad)
    inp = tw.Input((4, 4, 3))
    assert tuple(L.Conv2DTranspose(5, 3, strides=2, padding="same")(inp).shape) == \
        (None, 8, 8, 5)


# ---- depthwise / separable -------------------------------------------------------------------
@pytest.mark.parametrize("strides,padding,dilation,mult", [(1, "valid", 1, 1),
                                                            (2, "same", 1, 2),
                                                            (1, "same", 2, 3)])
def test_depthwise_matches_oracle(strides, padding, dilation, mult):
    x = rand(2, 5, 6, 3)
    layer = L.DepthwiseConv2D(3, strides=strides, padding=padding, dilation_rate=dilation,
                              depth_multiplier=mult)
    y = check_shape(layer, x)
    w, b = layer.get_weights()
    assert w.shape == (3, 3, 3, mult)
    np.testing.assert_allclose(y, np_depthwise(x, w, strides, padding, dilation) + b,
                               rtol=1e-10, atol=1e-12)


def test_separable_matches_oracle_and_grads():
    x = rand(2, 5, 5, 3)
    layer = L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2, activation="tanh")
    y = check_shape(layer, x)
    dw, pw, b = layer.get_weights()
    assert pw.shape == (1, 1, 6, 4)
    want = np.tanh(np_conv(np_depthwise(x, dw, 1, "same", 1), pw) + b)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    check_grads(L.SeparableConv2D(2, 2, depth_multiplier=2), rand(1, 3, 3, 2))
    check_grads(L.DepthwiseConv2D(2, padding="same", strides=2), rand(1, 3, 3, 2))
    check_roundtrip(L.SeparableConv2D(4, 3, padding="same", depth_multiplier=2), x)
    check_roundtrip(L.DepthwiseConv2D(3, data_format="channels_first"), to_first(x))
    dw1 = L.SeparableConv1D(3, 2)
    s = rand(2, 5, 2)
    y1 = check_shape(dw1, s)
    d1, p1, b1 = dw1.get_weights()
    np.testing.assert_allclose(y1, np_conv(np_depthwise(s, d1, 1, "valid", 1), p1) + b1,
                               rtol=1e-10)
    bad = L.DepthwiseConv2D(3)
    with pytest.raises(ShapeError) as e:
        bad(rand(1, 5, 5))
    assert_names_layer(e.value, bad)


# ---- pooling ------------------------------------------------------------------------------------
POOL_CASES = [
    # (rank, pool_size, strides, padding, spatial)
    (2, 2, None, "valid", (4, 5)),
    (2, 3, 2, "same", (5, 4)),
    (2, (2, 3), (1, 2), "valid", (4, 6)),
    (1, 2, None, "valid", (7,)),
    (1, 3, 2, "same", (6,)),
]


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("case", POOL_CASES, ids=[str(i) for i in range(len(POOL_CASES))])
def test_pooling_matches_oracle(case, mode):
    rank, size, strides, padding, sp = case
    cls = {("max", 1): L.MaxPooling1D, ("max", 2): L.MaxPooling2D,
           ("avg", 1): L.AveragePooling1D, ("avg", 2): L.AveragePooling2D}[(mode, rank)]
    x = rand(2, *sp, 3)
    y = check_shape(cls(size, strides, padding), x)
    nt = lambda v: (v,) * rank if isinstance(v, int) else tuple(v)  # noqa: E731
    want = np_pool(x, nt(size), nt(size if strides is None else strides), padding, mode)
    np.testing.assert_allclose(y, want, rtol=1e-12)
    if rank == 2:
        yf = as_np(cls(size, strides, padding, data_format="channels_first")(to_first(x)))
        np.testing.assert_allclose(yf, to_first(want), rtol=1e-12)


def test_pooling_defaults_grads_and_errors():
    assert L.MaxPooling2D().get_config()["pool_size"] == [2, 2]  # Keras: defaults included
    assert L.MaxPooling2D().pool_size == (2, 2) and L.MaxPooling2D().strides == (2, 2)
    assert L.AveragePooling1D().pool_size == (2,)
    check_grads(L.MaxPooling2D(), rand(1, 4, 4, 1))
    check_grads(L.AveragePooling2D(3, 2, "same"), rand(1, 4, 3, 1))
    check_grads(L.MaxPooling1D(2, 1, "same"), rand(1, 3, 2))
    check_roundtrip(L.AveragePooling2D((2, 1), padding="same"), rand(2, 3, 3, 2))
    mp = L.MaxPooling2D()
    with pytest.raises(ShapeError) as e:
        mp(rand(2, 4, 3))
    assert_names_layer(e.value, mp)
    with pytest.raises(InvalidArgumentError, match="pool_size"):
        L.MaxPooling1D((2, 2))


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_global_pooling(mode):
    red = np.max if mode == "max" else np.mean
    x2, x1 = rand(2, 3, 4, 5), rand(2, 6, 3)
    c2 = L.GlobalMaxPooling2D if mode == "max" else L.GlobalAveragePooling2D
    c1 = L.GlobalMaxPooling1D if mode == "max" else L.GlobalAveragePooling1D
    np.testing.assert_allclose(check_shape(c2(), x2), red(x2, axis=(1, 2)), rtol=1e-12)
    np.testing.assert_allclose(check_shape(c2(keepdims=True), x2),
                               red(x2, axis=(1, 2), keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(check_shape(c2(data_format="channels_first"), x2),
                               red(x2, axis=(2, 3)), rtol=1e-12)
    np.testing.assert_allclose(check_shape(c1(), x1), red(x1, axis=1), rtol=1e-12)
    np.testing.assert_allclose(check_shape(c1(data_format="channels_first"), x1),
                               red(x1, axis=2), rtol=1e-12)
    check_grads(c2(), rand(2, 2, 3, 2))
    check_roundtrip(c1(keepdims=True), x1)
    g = c2()
    with pytest.raises(ShapeError) as e:
        g(x1)
    assert_names_layer(e.value, g)


# ---- the python backend ------------------------------------------------------------------------
def test_conv_and_pooling_on_python_backend():
    x = rand(1, 4, 4, 2, dtype="float32")
    for make in (lambda: L.Conv2D(2, 3, padding="same", strides=2),
                 lambda: L.Conv2D(2, 2, groups=2),
                 lambda: L.Conv2DTranspose(1, 3, strides=2, padding="same"),
                 lambda: L.DepthwiseConv2D(2, depth_multiplier=2),
                 lambda: L.SeparableConv2D(2, 2),
                 lambda: L.MaxPooling2D(), lambda: L.AveragePooling2D(3, 2, "same"),
                 lambda: L.GlobalAveragePooling2D()):
        on_python_backend(make, x)
    on_python_backend(lambda: L.Conv1D(2, 2, padding="causal"),
                      rand(1, 4, 2, dtype="float32"))


def test_param_count_formula_spot_check():
    # 3x3 conv over 3 channels with 8 filters: 3*3*3*8 + 8
    c = L.Conv2D(8, 3)
    c.build((None, 7, 7, 3))
    assert c.count_params() == math.prod((3, 3, 3, 8)) + 8


# ---- unknown spatial sizes (tw.Input((None, None, 3))) -----------------------------------------
def test_convs_on_unknown_spatial_sizes():
    img = tw.Input((None, None, 3))
    for layer, channels in ((L.Conv2D(4, 3, padding="same"), 4),
                            (L.Conv2D(4, 3, strides=2), 4),
                            (L.Conv2D(6, 3, padding="same", groups=3), 6),
                            (L.DepthwiseConv2D(3, padding="same", depth_multiplier=2), 6),
                            (L.SeparableConv2D(5, 3, dilation_rate=2, padding="same"), 5)):
        assert tuple(layer(img).shape) == (None, None, None, channels), layer.name
    seq = tw.Input((None, 3))
    assert tuple(L.Conv1D(2, 3, padding="causal")(seq).shape) == (None, None, 2)
    assert tuple(L.Conv1D(2, 3, padding="same")(seq).shape) == (None, None, 2)
    assert tuple(L.MaxPooling1D()(seq).shape) == (None, None, 3)
    assert tuple(L.GlobalAveragePooling1D()(seq).shape) == (None, 3)
    strided = L.Conv2D(4, 3, strides=2, padding="same")
    with pytest.raises(ShapeError) as e:
        strided(img)
    assert_names_layer(e.value, strided)
    # the block-diagonal kernel used for unknown sizes computes the same values
    x = rand(2, 5, 5, 6)
    grouped = L.Conv2D(4, 3, groups=2, padding="same")
    want = as_np(grouped(x))
    xp, pad = grouped._prepare(x)
    got = as_np(grouped._finish(grouped._block_conv(xp, grouped.kernel, 2, pad)))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    dw = L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    want = as_np(dw(x))
    k = dw.kernel
    flat = tw.ops.reshape(k, (3, 3, 1, 12))
    got = as_np(dw._finish(dw._block_conv(dw._prepare(x)[0], flat, 6, "same")))
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_3d_and_1d_variants():
    x = rand(1, 4, 3, 4, 2)
    c3 = L.Conv3D(2, 2, padding="same")
    y = check_shape(c3, x)
    w, b = c3.get_weights()
    np.testing.assert_allclose(y, np_conv(x, w, 1, "same") + b, rtol=1e-10, atol=1e-12)
    t3 = L.Conv3DTranspose(1, 2, strides=2)
    y = check_shape(t3, x)
    w, b = t3.get_weights()
    np.testing.assert_allclose(y, np_conv_transpose(x, w, (2,) * 3, "valid", None, (1,) * 3)
                               + b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(check_shape(L.MaxPooling3D(), x),
                               np_pool(x, (2,) * 3, (2,) * 3, "valid", "max"), rtol=1e-12)
    np.testing.assert_allclose(check_shape(L.AveragePooling3D(2, 1, "same"), x),
                               np_pool(x, (2,) * 3, (1,) * 3, "same", "avg"), rtol=1e-12)
    np.testing.assert_allclose(check_shape(L.GlobalMaxPooling3D(), x), x.max(axis=(1, 2, 3)))
    np.testing.assert_allclose(check_shape(L.GlobalAveragePooling3D(), x),
                               x.mean(axis=(1, 2, 3)), rtol=1e-12)
    up = check_shape(L.UpSampling3D((1, 2, 1)), x)
    np.testing.assert_array_equal(up, np.repeat(x, 2, axis=2))
    np.testing.assert_array_equal(check_shape(L.ZeroPadding3D(1), x),
                                  np.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0))))
    np.testing.assert_array_equal(check_shape(L.Cropping3D(((1, 0), (0, 1), (1, 1))), x),
                                  x[:, 1:, :2, 1:3])
    s = rand(2, 6, 3)
    d1 = L.DepthwiseConv1D(3, strides=2, depth_multiplier=2)
    y = check_shape(d1, s)
    w, b = d1.get_weights()
    np.testing.assert_allclose(y, np_depthwise(s, w, 2, "valid", 1) + b, rtol=1e-10)
