"""keras.layers semantics against real Keras 3: the same layer built in both libraries,
Keras's weights copied into ours (so ``get_weights()`` count, order and shapes must
match), the same inputs, the same outputs; and ``get_config()`` holding every key Keras
gives with the same value, and round-tripping through our ``from_config``.

Table-driven: one row per (layer, configuration). Layers that act only while training
(Dropout, GaussianNoise ...) are compared at inference (both are the identity there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

F = "float32"

# (id, class name, args, kwargs, input shape(s) -- a tuple, a list of tuples for several
# inputs, or ("int", shape, high) for integer ids --, call kwargs)
CASES: list[tuple] = [
    ("dense", "Dense", (3,), {}, (2, 5), {}),
    ("dense_relu_nobias", "Dense", (4,), {"activation": "relu", "use_bias": False}, (2, 3, 5),
     {}),
    ("dense_reg", "Dense", (2,), {"kernel_regularizer": "l2", "bias_constraint": "non_neg",
                                  "kernel_initializer": "he_normal"}, (2, 5), {}),
    ("activation", "Activation", ("tanh",), {}, (2, 5), {}),
    ("dropout", "Dropout", (0.5,), {}, (2, 5), {}),
    ("dropout_ns", "Dropout", (0.3,), {"noise_shape": (None, 1), "seed": 3}, (2, 5), {}),
    ("flatten", "Flatten", (), {}, (2, 3, 4), {}),
    ("masking", "Masking", (), {"mask_value": 0.5}, (2, 3, 4), {}),
    ("embedding", "Embedding", (10, 3), {}, ("int", (2, 4), 10), {}),
    ("embedding_mask", "Embedding", (10, 3), {"mask_zero": True}, ("int", (2, 4), 10), {}),
    ("relu", "ReLU", (), {}, (2, 5), {}),
    ("relu_cfg", "ReLU", (), {"max_value": 0.5, "negative_slope": 0.1, "threshold": 0.1},
     (2, 5), {}),
    ("leaky_relu", "LeakyReLU", (), {}, (2, 5), {}),
    ("elu", "ELU", (), {"alpha": 0.5}, (2, 5), {}),
    ("softmax", "Softmax", (), {}, (2, 5), {}),
    ("softmax_axis", "Softmax", (), {"axis": 1}, (2, 3, 4), {}),
    ("prelu", "PReLU", (), {}, (2, 5), {}),
    ("prelu_shared", "PReLU", (), {"shared_axes": [1]}, (2, 3, 4), {}),
    ("add", "Add", (), {}, [(2, 4), (2, 4)], {}),
    ("subtract", "Subtract", (), {}, [(2, 4), (2, 4)], {}),
    ("multiply", "Multiply", (), {}, [(2, 4), (2, 4)], {}),
    ("average", "Average", (), {}, [(2, 4), (2, 4)], {}),
    ("maximum", "Maximum", (), {}, [(2, 4), (2, 4)], {}),
    ("minimum", "Minimum", (), {}, [(2, 4), (2, 4)], {}),
    ("concatenate", "Concatenate", (), {}, [(2, 3), (2, 4)], {}),
    ("concatenate_ax1", "Concatenate", (), {"axis": 1}, [(2, 3, 2), (2, 1, 2)], {}),
    ("dot", "Dot", (1,), {}, [(2, 4), (2, 4)], {}),
    ("dot_norm", "Dot", ((2, 2),), {"normalize": True}, [(2, 3, 4), (2, 5, 4)], {}),
    ("conv1d", "Conv1D", (4, 3), {}, (2, 8, 3), {}),
    ("conv1d_causal", "Conv1D", (4, 3), {"padding": "causal", "dilation_rate": 2}, (2, 8, 3),
     {}),
    ("conv2d", "Conv2D", (4, 3), {}, (2, 6, 6, 3), {}),
    ("conv2d_same", "Conv2D", (4, (3, 2)), {"strides": 2, "padding": "same",
                                            "activation": "relu"}, (2, 7, 6, 3), {}),
    ("conv2d_groups", "Conv2D", (4, 3), {"groups": 2}, (2, 6, 6, 4), {}),
    ("conv3d", "Conv3D", (2, 2), {}, (1, 4, 4, 4, 2), {}),
    ("conv1dt", "Conv1DTranspose", (3, 3), {"strides": 2}, (2, 5, 2), {}),
    ("conv2dt", "Conv2DTranspose", (3, 3), {}, (2, 4, 4, 2), {}),
    ("conv2dt_same", "Conv2DTranspose", (3, 3), {"strides": 2, "padding": "same"},
     (2, 4, 4, 2), {}),
    ("conv3dt", "Conv3DTranspose", (2, 2), {"strides": 2}, (1, 3, 3, 3, 2), {}),
    ("dwconv1d", "DepthwiseConv1D", (3,), {"depth_multiplier": 2}, (2, 8, 3), {}),
    ("dwconv2d", "DepthwiseConv2D", (3,), {}, (2, 6, 6, 3), {}),
    ("sepconv1d", "SeparableConv1D", (4, 3), {}, (2, 8, 3), {}),
    ("sepconv2d", "SeparableConv2D", (4, 3), {"depth_multiplier": 2}, (2, 6, 6, 3), {}),
    ("maxpool1d", "MaxPooling1D", (), {}, (2, 8, 3), {}),
    ("maxpool2d", "MaxPooling2D", (), {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 7, 3), {}),
    ("maxpool3d", "MaxPooling3D", (), {}, (1, 4, 4, 4, 2), {}),
    ("avgpool1d", "AveragePooling1D", (2,), {"padding": "same"}, (2, 7, 3), {}),
    ("avgpool2d", "AveragePooling2D", ((2, 2),), {}, (2, 6, 6, 3), {}),
    ("avgpool3d", "AveragePooling3D", (2,), {}, (1, 4, 4, 4, 2), {}),
    ("gap1d", "GlobalAveragePooling1D", (), {}, (2, 5, 3), {}),
    ("gap2d", "GlobalAveragePooling2D", (), {"keepdims": True}, (2, 4, 4, 3), {}),
    ("gap3d", "GlobalAveragePooling3D", (), {}, (1, 3, 3, 3, 2), {}),
    ("gmp1d", "GlobalMaxPooling1D", (), {}, (2, 5, 3), {}),
    ("gmp2d", "GlobalMaxPooling2D", (), {}, (2, 4, 4, 3), {}),
    ("gmp3d", "GlobalMaxPooling3D", (), {"keepdims": True}, (1, 3, 3, 3, 2), {}),
    ("bn", "BatchNormalization", (), {}, (4, 5), {}),
    ("bn_train", "BatchNormalization", (), {"momentum": 0.5}, (4, 5), {"training": True}),
    ("bn_cfg", "BatchNormalization", (), {"axis": 1, "momentum": 0.9, "epsilon": 1e-5,
                                          "center": False}, (4, 3, 2), {}),
    ("ln", "LayerNormalization", (), {}, (2, 3, 5), {}),
    ("ln_cfg", "LayerNormalization", (), {"axis": [1, 2], "scale": False}, (2, 3, 5), {}),
    ("ln_rms", "LayerNormalization", (), {"rms_scaling": True}, (2, 3, 5), {}),
    ("gn", "GroupNormalization", (), {"groups": 2}, (2, 3, 4), {}),
    ("un", "UnitNormalization", (), {}, (2, 5), {}),
    ("un_axis", "UnitNormalization", (), {"axis": [1, 2]}, (2, 3, 4), {}),
    ("identity", "Identity", (), {}, (2, 5), {}),
    ("rescaling", "Rescaling", (0.5,), {"offset": 1.0}, (2, 5), {}),
    ("normalization", "Normalization", (), {"mean": 1.0, "variance": 4.0}, (2, 5), {}),
    ("normalization_inv", "Normalization", (), {"mean": [1.0, 2.0], "variance": [4.0, 1.0],
                                                "invert": True}, (3, 2), {}),
    ("cropping1d", "Cropping1D", ((1, 2),), {}, (2, 6, 3), {}),
    ("cropping2d", "Cropping2D", (), {"cropping": ((1, 0), (0, 2))}, (2, 5, 5, 3), {}),
    ("cropping3d", "Cropping3D", (), {}, (1, 4, 4, 4, 2), {}),
    ("permute", "Permute", ((2, 1),), {}, (2, 3, 4), {}),
    ("repeat", "RepeatVector", (3,), {}, (2, 4), {}),
    ("reshape", "Reshape", ((2, -1),), {}, (2, 3, 4), {}),
    ("upsampling1d", "UpSampling1D", (), {"size": 3}, (2, 3, 2), {}),
    ("upsampling2d", "UpSampling2D", (), {}, (2, 3, 3, 2), {}),
    ("upsampling2d_bil", "UpSampling2D", (), {"interpolation": "bilinear"}, (2, 3, 3, 2), {}),
    ("upsampling3d", "UpSampling3D", (), {}, (1, 2, 2, 2, 2), {}),
    ("zeropad1d", "ZeroPadding1D", (), {}, (2, 3, 2), {}),
    ("zeropad2d", "ZeroPadding2D", (((1, 2), (0, 1)),), {}, (2, 3, 3, 2), {}),
    ("zeropad3d", "ZeroPadding3D", (), {}, (1, 2, 2, 2, 2), {}),
    ("gauss_noise", "GaussianNoise", (0.5,), {}, (2, 5), {}),
    ("gauss_dropout", "GaussianDropout", (0.5,), {}, (2, 5), {}),
    ("alpha_dropout", "AlphaDropout", (0.5,), {}, (2, 5), {}),
    ("sdrop1d", "SpatialDropout1D", (0.5,), {}, (2, 4, 3), {}),
    ("sdrop2d", "SpatialDropout2D", (0.5,), {}, (2, 4, 4, 3), {}),
    ("sdrop3d", "SpatialDropout3D", (0.5,), {}, (1, 2, 2, 2, 3), {}),
    ("act_reg", "ActivityRegularization", (), {"l1": 0.1}, (2, 5), {}),
    ("simple_rnn", "SimpleRNN", (4,), {}, (2, 5, 3), {}),
    ("simple_rnn_seq", "SimpleRNN", (4,), {"return_sequences": True, "go_backwards": True},
     (2, 5, 3), {}),
    ("lstm", "LSTM", (4,), {}, (2, 5, 3), {}),
    ("lstm_seq_state", "LSTM", (4,), {"return_sequences": True, "return_state": True,
                                      "unit_forget_bias": False}, (2, 5, 3), {}),
    ("gru", "GRU", (4,), {}, (2, 5, 3), {}),
    ("gru_v1", "GRU", (4,), {"reset_after": False, "return_sequences": True}, (2, 5, 3), {}),
    ("attention", "Attention", (), {}, [(2, 3, 4), (2, 5, 4)], {}),
    ("attention_scale", "Attention", (), {"use_scale": True, "score_mode": "concat"},
     [(2, 3, 4), (2, 5, 4)], {}),
    ("additive_attention", "AdditiveAttention", (), {}, [(2, 3, 4), (2, 5, 4)], {}),
    ("mha", "MultiHeadAttention", (2, 3), {}, [(2, 3, 4), (2, 5, 4)], {"*": True}),
    ("mha_cfg", "MultiHeadAttention", (2, 3), {"use_bias": False,
                                               "output_shape": (6,)}, [(2, 3, 4), (2, 5, 4)],
     {"*": True}),
    ("mha_gate_window", "MultiHeadAttention", (2, 3), {"use_gate": True, "sliding_window": 2},
     [(2, 4, 4), (2, 4, 4)], {"*": True}),
    # layers added for parity
    ("rmsnorm", "RMSNormalization", (), {}, (2, 3, 5), {}),
    ("rmsnorm_axes", "RMSNormalization", (), {"axis": [1, 2], "epsilon": 1e-3}, (2, 3, 5), {}),
    ("einsum_dense", "EinsumDense", ("ab,bc->ac", 4), {"bias_axes": "c"}, (2, 3), {}),
    ("einsum_dense_heads", "EinsumDense", ("abc,cde->abde", (None, 2, 4)),
     {"bias_axes": "de", "activation": "relu"}, (2, 5, 3), {}),
    ("einsum_dense_ellipsis", "EinsumDense", ("...b,bc->...c", 4), {}, (2, 3, 5), {}),
    ("category_multi_hot", "CategoryEncoding", (5,), {}, ("int", (3, 2), 5), {}),
    ("category_one_hot", "CategoryEncoding", (5,), {"output_mode": "one_hot"},
     ("int", (4,), 5), {}),
    ("category_count", "CategoryEncoding", (), {"num_tokens": 4, "output_mode": "count"},
     ("int", (3, 5), 4), {}),
    ("discretization", "Discretization", ([-0.5, 0.0, 1.0],), {}, (2, 5), {}),
    ("discretization_one_hot", "Discretization", (), {"bin_boundaries": [0.0, 1.0],
                                                      "output_mode": "one_hot"}, (4,), {}),
    ("discretization_count", "Discretization", (), {"bin_boundaries": [0.0],
                                                    "output_mode": "count"}, (3, 4), {}),
    ("rev_embedding", "ReversibleEmbedding", (10, 3), {}, ("int", (2, 4), 10), {}),
    ("rev_embedding_reverse", "ReversibleEmbedding", (10, 3), {"tie_weights": False,
                                                              "logit_soft_cap": 2.0},
     (2, 3), {"reverse": True}),
    ("pipeline", "Pipeline", lambda lib: ([lib.layers.Rescaling(0.5), lib.layers.Dense(3),
                                           lib.layers.ReLU()],), {}, (2, 4), {}),
    ("gqa", "GroupQueryAttention", (3, 4, 2), {}, [(2, 3, 5), (2, 4, 5)], {"*": True}),
    ("gqa_gate", "GroupQueryAttention", (2, 2, 1), {"use_gate": True, "use_bias": False,
                                                    "sliding_window": 2},
     [(2, 4, 3), (2, 4, 3)], {"*": True, "use_causal_mask": True}),
    ("spectral_norm", "SpectralNormalization", lambda lib: (lib.layers.Dense(4),), {},
     (2, 3), {}),
    ("spectral_norm_train", "SpectralNormalization",
     lambda lib: (lib.layers.Conv2D(3, 2),), {"power_iterations": 2}, (1, 4, 4, 2),
     {"training": True}),
    ("convlstm1d", "ConvLSTM1D", (2, 3), {}, (2, 3, 6, 2), {}),
    ("convlstm2d", "ConvLSTM2D", (2, 2), {"padding": "same", "return_sequences": True,
                                          "return_state": True}, (1, 3, 4, 4, 2), {}),
    ("convlstm2d_strides", "ConvLSTM2D", (3, (2, 3)), {"strides": 2, "go_backwards": True,
                                                       "unit_forget_bias": False},
     (2, 2, 5, 6, 1), {}),
    ("convlstm3d", "ConvLSTM3D", (2, 2), {}, (1, 2, 3, 3, 3, 1), {}),
    ("time_distributed", "TimeDistributed", lambda lib: (lib.layers.Dense(3),), {},
     (2, 4, 5), {}),
    ("bidirectional", "Bidirectional", lambda lib: (lib.layers.LSTM(3, return_sequences=True),),
     {}, (2, 4, 2), {}),
    ("bidirectional_sum", "Bidirectional", lambda lib: (lib.layers.GRU(2),),
     {"merge_mode": "sum"}, (2, 4, 2), {}),
    ("rnn_lstm_cell", "RNN", lambda lib: (lib.layers.LSTMCell(3),), {"return_sequences": True},
     (2, 4, 2), {}),
    ("rnn_stacked", "RNN", lambda lib: ([lib.layers.SimpleRNNCell(3), lib.layers.GRUCell(2)],),
     {}, (2, 4, 2), {}),
    ("mha_causal", "MultiHeadAttention", (1, 2), {}, [(2, 4, 3), (2, 4, 3)],
     {"*": True, "use_causal_mask": True}),
]

# keys of Keras's config that tensorweave does not have, with why
SKIP_KEYS = {
    # int8/float8/int4 quantization (QuantizationConfig objects) is not implemented
    "quantization_config",
}
# per case: config keys compared otherwise (the nested layers of a Pipeline are
# serialized by tw.saving's serialize_layer, whose envelope -- module / registered_name /
# build_config -- is the saving module's business; the outputs and weights are compared)
CASE_SKIP_KEYS = {"pipeline": {"layers"}, "spectral_norm": {"layer"},
                  "spectral_norm_train": {"layer"}, "time_distributed": {"layer"},
                  "bidirectional": {"layer", "backward_layer"},
                  "bidirectional_sum": {"layer", "backward_layer"},
                  "rnn_lstm_cell": {"cell"}, "rnn_stacked": {"cell"}}


def _make_inputs(spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, list):
        return [_make_inputs(s, rng) for s in spec]
    if spec and spec[0] == "int":
        return rng.integers(0, spec[2], size=spec[1]).astype("int32")
    return rng.standard_normal(spec).astype(F)


def _norm(v: Any) -> Any:
    """Cosmetic differences only: tuples vs lists (JSON has only lists), and a dtype
    policy given by name (some Keras layers, e.g. SpatialDropout1D, put
    ``dtype_policy.name`` in their config) vs its ``DTypePolicy`` config (what the other
    Keras layers put there; both deserialize to the same policy)."""
    if isinstance(v, dict) and v.get("class_name") == "DTypePolicy":
        return v["config"]["name"]
    if isinstance(v, tuple):
        v = list(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def config_diffs(theirs: dict, ours: dict, where: str = "") -> list[str]:
    """Keras's keys missing from ours, or with other values."""
    out = []
    for k, tv in theirs.items():
        if k in SKIP_KEYS or (not where and k == "name"):
            continue
        if k not in ours:
            out.append(f"{where}{k}: missing (Keras {tv!r})")
            continue
        ov = ours[k]
        if (isinstance(tv, dict) and isinstance(ov, dict)):
            inner_theirs = dict(tv)
            # initializer configs of Keras 3.15 carry input_axes/output_axes (variance
            # scaling over chosen axes), owned by tw.initializers: compare what we have
            if ov.get("module") == "keras.initializers" and isinstance(ov.get("config"), dict):
                inner_theirs["config"] = {a: b for a, b in tv.get("config", {}).items()
                                          if a not in ("input_axes", "output_axes")}
            out += config_diffs(inner_theirs, ov, f"{where}{k}.")
        elif _norm(tv) != _norm(ov):
            out.append(f"{where}{k}: Keras {tv!r}, ours {ov!r}")
    return out


def _run(layer: Any, x: Any, kw: dict) -> Any:
    """Call ``layer`` on ``x``; ``{"*": True}`` spreads a list of inputs as arguments
    (MultiHeadAttention(query, value))."""
    kw = dict(kw)
    if kw.pop("*", False):
        return layer(*x, **kw)
    return layer(x, **kw)


def _flat(y: Any) -> list:
    if isinstance(y, (list, tuple)):
        return [z for item in y for z in _flat(item)]
    return [y]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_keras(keras: Any, rng: np.random.Generator, close: Any,
                             case: tuple) -> None:
    cid, cls, args, kwargs, spec, call_kw = case
    x = _make_inputs(spec, rng)
    k_args = args(keras) if callable(args) else args
    t_args = args(tw) if callable(args) else args
    k_layer = getattr(keras.layers, cls)(*k_args, **kwargs)
    build_kw = {k: v for k, v in call_kw.items() if k != "training"}
    _run(k_layer, x, build_kw)  # build (at inference: a training call may update weights)
    t_layer = getattr(tw.layers, cls)(*t_args, **kwargs)
    _run(t_layer, x, build_kw)
    k_weights = k_layer.get_weights()
    t_shapes = [tuple(w.shape) for w in t_layer.get_weights()]
    k_shapes = [tuple(w.shape) for w in k_weights]
    assert t_shapes == k_shapes, f"{cid}: weight shapes {t_shapes} vs Keras {k_shapes}"
    t_layer.set_weights(k_weights)
    k_out = _run(k_layer, x, call_kw)
    t_out = _run(t_layer, x, call_kw)
    k_flat, t_flat = _flat(k_out), _flat(t_out)
    assert len(k_flat) == len(t_flat), f"{cid}: {len(t_flat)} outputs vs Keras {len(k_flat)}"
    for i, (a, b) in enumerate(zip(t_flat, k_flat)):
        close(a, np.asarray(b), rtol=1e-4, atol=1e-5, what=f"{cid} output {i}")
    # weights a training call updates (moving statistics, normalised kernels) agree too
    for i, (a, b) in enumerate(zip(t_layer.get_weights(), k_layer.get_weights())):
        close(a, b, rtol=1e-4, atol=1e-5, what=f"{cid} weight {i} after the call")
    # config: every Keras key with Keras's value; and ours round-trips
    k_cfg, t_cfg = k_layer.get_config(), t_layer.get_config()
    skip = CASE_SKIP_KEYS.get(cid, set())
    diffs = config_diffs({k: v for k, v in k_cfg.items() if k not in skip}, t_cfg)
    assert not diffs, f"{cid} get_config differs from Keras's:\n  " + "\n  ".join(diffs)
    clone = type(t_layer).from_config(t_cfg)
    again = clone.get_config()
    t_cmp = {k: v for k, v in t_cfg.items() if k not in ("name", "build_input_shape")}
    again = {k: v for k, v in again.items() if k not in ("name", "build_input_shape")}
    assert _norm(again) == _norm(t_cmp), f"{cid}: config does not round-trip"
    # Keras reads our config too
    if not skip:
        k_clone = type(k_layer).from_config(
            {k: v for k, v in t_cfg.items() if k in k_cfg or k == "name"})
        assert not config_diffs(k_cfg, k_clone.get_config())


def test_discretization_adapt_matches_keras(keras: Any, rng: np.random.Generator,
                                            close: Any) -> None:
    """adapt() learns Keras's boundaries (its quantile summary), also over batches. (Keras's
    adapt() itself imports TensorFlow to test for tf.data; its update_state /
    finalize_state, which adapt() runs per batch, are plain NumPy.)"""
    data = rng.standard_normal((200, 3)).astype(F)
    for num_bins, epsilon, batches in ((4, 0.01, [data]), (5, 0.1, [data[:70], data[70:]])):
        k_layer = keras.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        k_layer.reset_state()
        for batch in batches:
            k_layer.update_state(batch)
        k_layer.finalize_state()
        t_layer = tw.layers.Discretization(num_bins=num_bins, epsilon=epsilon)
        t_layer.adapt(batches[0] if len(batches) == 1 else batches)
        close(np.asarray(t_layer.bin_boundaries, F), np.asarray(k_layer.bin_boundaries, F),
              what=f"boundaries num_bins={num_bins}")
        x = rng.standard_normal((4, 3)).astype(F)
        close(t_layer(x), np.asarray(k_layer(x)), what="bucket ids")


def test_layer_api_matches_keras(keras: Any, rng: np.random.Generator, close: Any) -> None:
    """stateless_call, build config, own variables, input/output and input_spec behave as
    Keras's Layer API does."""
    x = rng.standard_normal((4, 3)).astype(F)
    k_bn, t_bn = keras.layers.BatchNormalization(momentum=0.5), \
        tw.layers.BatchNormalization(momentum=0.5)
    k_bn(x)
    t_bn(x)
    t_bn.set_weights(k_bn.get_weights())
    tv = [np.asarray(v) for v in k_bn.trainable_variables]
    ntv = [np.asarray(v) for v in k_bn.non_trainable_variables]
    k_out, k_ntv = k_bn.stateless_call(tv, ntv, x, training=True)
    t_out, t_ntv = t_bn.stateless_call(tv, ntv, x, training=True)
    close(t_out, np.asarray(k_out), rtol=1e-5, what="stateless_call outputs")
    for a, b in zip(t_ntv, k_ntv):
        close(a, np.asarray(b), rtol=1e-5, what="stateless_call new moving statistics")
    close(t_bn.get_weights()[2], k_bn.get_weights()[2], what="variables left unchanged")
    assert t_bn.get_build_config() == {"input_shape": list(k_bn.get_build_config()
                                                           ["input_shape"])}
    fresh = tw.layers.BatchNormalization()
    fresh.build_from_config(t_bn.get_build_config())
    assert fresh.built and len(fresh.weights) == 4
    store: dict = {}
    t_bn.save_own_variables(store)
    k_store: dict = {}
    k_bn.save_own_variables(k_store)
    assert sorted(store) == sorted(k_store)
    fresh.load_own_variables(store)
    for a, b in zip(fresh.get_weights(), t_bn.get_weights()):
        close(a, b, what="load_own_variables")
    inp = tw.Input((3,))
    dense = tw.layers.Dense(2)
    out = dense(inp)
    assert dense.input is inp and dense.output is out
    dense.input_spec = tw.layers.InputSpec(ndim=2, axes={-1: 3})
    with pytest.raises(tw.errors.TensorweaveError, match="axis -1"):
        dense(np.ones((2, 4), F))
    with pytest.raises(tw.errors.TensorweaveError, match="add_metric"):
        dense.add_metric(1.0)
