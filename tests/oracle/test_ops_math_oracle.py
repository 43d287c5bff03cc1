"""tw.ops math, statistics and creation ops against real ``keras.ops`` on shared inputs.

Each case calls the same op with the same NumPy inputs in Keras (JAX) and in tensorweave,
on the numpy and the python (pure-Python reference) backends, and compares values, shapes
and dtypes. Keras's results are computed once per case and shared by both backends.
Gradients are checked against float64 central finite differences and against JAX's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tensorweave as tw

BACKENDS = ("numpy", "python")

_R = np.random.default_rng(1234)
F = _R.normal(size=(3, 4)).astype("float32")
U = _R.uniform(-0.95, 0.95, size=(3, 4)).astype("float32")
P = _R.uniform(0.1, 4.0, size=(3, 4)).astype("float32")
G = (_R.normal(size=(3, 4)) * 3).astype("float32")
I32 = _R.integers(-20, 20, size=(3, 4)).astype("int32")
J32 = _R.integers(1, 7, size=(3, 4)).astype("int32")
I8 = _R.integers(-5, 6, size=(2, 3)).astype("int8")
B = F > 0
SPECIAL = np.array([0.0, -0.0, 1e-30, -2.5, 3.0, 1e10, -1e10, np.inf, -np.inf, np.nan],
                   "float32")
SPECIAL_R = SPECIAL[::-1].copy()
X3 = _R.normal(size=(3, 4, 5)).astype("float32")
XN = X3.copy()
XN[0, 1, 2] = np.nan
XN[1, :, 3] = np.nan
XN[2, 2, :] = np.nan
V1 = _R.normal(size=7).astype("float32")
W1 = _R.normal(size=3).astype("float32")

#: (id, op, args, kwargs, options): options may set rtol, atol, check_dtype
CASES: list[tuple[str, str, tuple, dict, dict]] = []


def case(cid: str, op: str, *args: Any, opts: dict | None = None, **kwargs: Any) -> None:
    CASES.append((cid, op, args, kwargs, opts or {}))


# ---- elementwise ---------------------------------------------------------------------
# ordinary values and the special ones (+-0, tiny, huge, +-inf, NaN) in one input per op
GS = np.concatenate([G.ravel(), SPECIAL])
GS_R = np.concatenate([F.ravel(), SPECIAL_R])
US = np.concatenate([U.ravel(), SPECIAL])
for _op in ("arcsin", "arccos", "arctanh"):
    case(f"{_op}/f32", _op, US)
case("arcsin/int", "arcsin", np.array([-1, 0, 1], "int32"))
for _op in ("arcsinh", "cbrt", "sinc", "trunc", "exp2", "erfc", "i0", "signbit", "isneginf",
            "isposinf", "isreal", "angle", "deg2rad", "rad2deg", "fabs", "real", "imag",
            "conj", "conjugate"):
    case(f"{_op}/f32", _op, GS, opts={"rtol": 2e-6})
for _op in ("arcsinh", "exp2", "trunc", "signbit", "fabs", "real", "imag", "angle",
            "isreal"):
    case(f"{_op}/int32", _op, I32)
for _op in ("trunc", "signbit", "real", "fabs"):
    case(f"{_op}/int8", _op, I8)
    case(f"{_op}/bool", _op, B)
case("arccosh/f32", "arccosh", P + 1.0)
case("arccosh/special", "arccosh", SPECIAL)
case("erfc/wide", "erfc", np.linspace(-6, 9, 31).astype("float32"), opts={"rtol": 5e-6})
case("erfinv/f32", "erfinv", U)
case("erfinv/edges", "erfinv", np.array([-1.0, 1.0, 0.0, 0.999999, -0.5, 2.0], "float32"),
     opts={"rtol": 2e-5})
case("i0/wide", "i0", np.linspace(-40, 40, 81).astype("float32"), opts={"rtol": 2e-6})
case("f16/arcsin", "arcsin", U.astype("float16"), opts={"rtol": 2e-3, "atol": 1e-3})
for _op in ("erfinv", "erfc", "arctanh", "i0", "cbrt"):
    case(f"f16/{_op}", _op, U.astype("float16"), opts={"rtol": 5e-3, "atol": 1e-3})
case("f16/cumsum", "cumsum", X3.astype("float16"), axis=1, opts={"rtol": 5e-3, "atol": 5e-3})
case("f16/hypot", "hypot", F.astype("float16"), G.astype("float16"),
     opts={"rtol": 2e-3, "atol": 1e-3})
for _op in ("arctan2", "hypot", "fmax", "fmin", "fmod", "heaviside", "logaddexp2",
            "nextafter", "divide_no_nan", "isclose", "allclose"):
    case(f"{_op}/f32", _op, GS, GS_R)
for _op in ("arctan2", "hypot", "isclose"):
    case(f"{_op}/bcast", _op, F, G[:1])
for _op in ("fmax", "fmin", "fmod", "arctan2", "heaviside", "divide_no_nan"):
    case(f"{_op}/int32", _op, I32, J32)
case("fmod/neg", "fmod", I32, -J32)
case("divide_no_nan/zeros", "divide_no_nan", F, np.where(B, 0.0, G).astype("float32"))
case("isclose/tol", "isclose", F, F + 1e-3, rtol=0.0, atol=2e-3)
case("isclose/equal_nan", "isclose", SPECIAL, SPECIAL, equal_nan=True)
case("allclose/equal_nan", "allclose", SPECIAL, SPECIAL, equal_nan=True)
case("allclose/true", "allclose", F, F * (1 + 1e-7))
case("gcd/int32", "gcd", np.array([12, -18, 0, 7, 0, 2 ** 30, 1071], "int32"),
     np.array([8, 27, 5, 0, 0, 3 * 2 ** 20, 462], "int32"))
case("lcm/int32", "lcm", np.array([12, -18, 0, 7, 4, 21], "int32"),
     np.array([8, 27, 5, 0, 6, 6], "int32"))
case("gcd/int8", "gcd", I8, np.full((2, 3), 6, "int8"))
case("ldexp/f32", "ldexp", F, I32 % 8)
case("ldexp/int", "ldexp", J32, I32 % 5)
for _op in ("bitwise_invert", "bitwise_not"):
    case(f"{_op}/int32", _op, I32)
    case(f"{_op}/uint8", _op, np.array([0, 1, 200, 255], "uint8"))
    case(f"{_op}/bool", _op, B)
case("bitwise_left_shift", "bitwise_left_shift", J32, J32 % 4)
case("bitwise_right_shift", "bitwise_right_shift", I32, J32 % 4)
case("isin", "isin", I32, np.array([1, 4, -7, 19], "int32"))
case("isin/invert", "isin", I32, np.array([1, 4, -7, 19], "int32"), invert=True)
case("isin/float", "isin", np.round(G), np.array([0.0, 1.0, -3.0], "float32"))

# ---- reductions and statistics ---------------------------------------------------------
for _ax in (None, 1):
    for _op in ("median", "ptp"):
        case(f"{_op}/axis={_ax}", _op, X3, axis=_ax)
    for _op in ("nanmedian", "nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin",
                "nanprod"):
        case(f"{_op}/axis={_ax}", _op, XN, axis=_ax)
    for _op in ("cumsum", "cumprod"):
        case(f"{_op}/axis={_ax}", _op, X3, axis=_ax)
    for _op in ("nancumsum", "nancumprod"):
        case(f"{_op}/axis={_ax}", _op, XN, axis=_ax)
for _ax in (None, -1, (0, 2)):
    case(f"quantile/axis={_ax}/keep", "quantile", X3, np.array([0.1, 0.5, 0.9], "float32"),
         axis=_ax, keepdims=True)
    case(f"nanquantile/axis={_ax}", "nanquantile", XN, 0.3, axis=_ax)
case("median/axes", "median", X3, axis=(0, 2))
case("nanvar/axes", "nanvar", XN, axis=(0, 2))
for _op in ("cumsum", "cumprod"):
    case(f"{_op}/int8", _op, I8, axis=1)
    case(f"{_op}/bool", _op, B)
    case(f"{_op}/dtype", _op, I8, dtype="float32")
case("nancumsum/int8", "nancumsum", I8, axis=0)
case("cumsum/long", "cumsum", np.ones(37, "float32"))
for _m in ("linear", "lower", "higher", "midpoint", "nearest"):
    case(f"percentile/{_m}", "percentile", X3, [10.0, 37.5, 50.0, 99.0], axis=1, method=_m)
    case(f"nanpercentile/{_m}", "nanpercentile", XN, 50.0, axis=2, method=_m)
    case(f"quantile/{_m}/scalar_q", "quantile", V1, 0.4, method=_m)
for _op in ("median", "nansum", "nanmax", "nanprod", "ptp", "nanmean"):
    case(f"{_op}/int8", _op, I8)
case("nanmin/int32/axis", "nanmin", I32, axis=0)
case("median/keepdims", "median", X3, axis=1, keepdims=True)
for _op in ("nanargmax", "nanargmin"):
    case(f"{_op}/all", _op, XN)
    case(f"{_op}/axis", _op, XN, axis=2)
case("nanargmax/keep", "nanargmax", XN, axis=1, keepdims=True)
case("nanargmin/int", "nanargmin", I32, axis=0)
case("average/plain", "average", X3)
case("average/axis", "average", X3, axis=1)
case("average/weights1d", "average", X3, axis=1, weights=np.arange(4.0).astype("float32"))
case("average/weights_full", "average", X3, weights=np.abs(X3))
case("average/int", "average", I32, axis=0, weights=np.array([1.0, 2.0, 0.5], "float32"))
case("corrcoef/2d", "corrcoef", F)
case("corrcoef/1d", "corrcoef", V1)
case("corrcoef/int", "corrcoef", I32)
for _m in ("valid", "same", "full"):
    case(f"correlate/{_m}/long_short", "correlate", V1, W1, mode=_m)
    case(f"correlate/{_m}/short_long", "correlate", W1[:2], V1[:5], mode=_m)
    case(f"correlate/{_m}/even", "correlate", V1[:4], V1[1:7], mode=_m)
case("correlate/int", "correlate", np.arange(5, dtype="int32"), np.array([1, 2], "int32"))
case("histogram/default", "histogram", X3.ravel())
case("histogram/range", "histogram", X3.ravel(), bins=4, range=(-1.0, 1.5))
case("histogram/constant", "histogram", np.ones(4, "float32"))
case("bincount/plain", "bincount", np.array([1, 1, 3, 0, 5], "int32"))
case("bincount/weights", "bincount", np.array([1, 1, 3, 0], "int32"),
     weights=np.arange(4.0).astype("float32"), minlength=7)
case("bincount/2d", "bincount", np.array([[1, 1, 3, 0], [2, 2, 3, 2]], "int32"))
case("digitize/increasing", "digitize", F, np.array([-1.0, 0.0, 0.5, 2.0], "float32"))
case("digitize/decreasing", "digitize", F, np.array([2.0, 0.5, 0.0, -1.0], "float32"))
case("digitize/int", "digitize", I32, np.array([-5, 0, 5], "int32"))
for _side in ("left", "right"):
    case(f"searchsorted/{_side}", "searchsorted", np.array([-1.0, 0, 0, 0.5, 2], "float32"),
         np.array([0.0, 0.2, 3, -5, 0.5], "float32"), side=_side)
    case(f"searchsorted/{_side}/2d", "searchsorted", np.arange(10, dtype="int32"),
         I32, side=_side)
case("trapezoid/plain", "trapezoid", X3)
case("trapezoid/dx", "trapezoid", X3, dx=0.5, axis=0)
case("trapezoid/x1d", "trapezoid", F, x=np.array([0.0, 1, 3, 4], "float32"))
case("trapezoid/xnd", "trapezoid", X3, x=X3, axis=1)
case("trapezoid/int", "trapezoid", I32)

# ---- creation --------------------------------------------------------------------------
for _m in (1, 8):
    for _op in ("bartlett", "blackman", "hamming", "hanning"):
        case(f"{_op}/{_m}", _op, _m, opts={"atol": 2e-7})
    case(f"kaiser/{_m}", "kaiser", _m, 3.5)
case("hanning/0", "hanning", 0)
case("kaiser/0", "kaiser", 0, 1.0)
case("kaiser/beta14", "kaiser", 9, 14.0)
case("geomspace/scalars", "geomspace", 1, 1000, 4)
case("geomspace/negative", "geomspace", -1, -1000, 5, endpoint=False)
case("geomspace/tensors", "geomspace", np.array([1.0, -2], "float32"),
     np.array([100.0, -8], "float32"), 3, axis=1)
case("geomspace/signs_differ", "geomspace", np.array([1.0, 2], "float32"),
     np.array([100.0, -8], "float32"), 3)
case("logspace/scalars", "logspace", 0, 3, 4)
case("logspace/base2", "logspace", 0, 3, 4, base=2, endpoint=False)
case("logspace/tensors", "logspace", np.array([0.0, 1], "float32"), 2.0, 3, axis=-1)
case("meshgrid/xy", "meshgrid", np.arange(3, dtype="int32"), np.arange(4.0, dtype="float32"),
     np.arange(2, dtype="int32"))
case("meshgrid/ij", "meshgrid", np.arange(3, dtype="int32"), np.arange(4.0, dtype="float32"),
     indexing="ij")
case("vander/int", "vander", np.array([1, 2, 3, 5], "int32"))
case("vander/N_increasing", "vander", np.array([1.0, 2, -3], "float32"), N=5, increasing=True)
case("array/nested", "array", [[1, 2], [3, 4]])
case("array/dtype", "array", [1.5, 2], dtype="float16")
case("empty_like/int", "empty_like", np.zeros((2, 3), "int32"))
case("empty_like/dtype", "empty_like", np.zeros((2, 3), "int32"), dtype="float32")
# signature fixes of existing ops
case("round/decimals", "round", G, 2)
case("round/neg_decimals", "round", G * 100, -1)
case("round/int", "round", I32)
case("round/int_neg_decimals", "round", I32 * 7, -1)
case("linspace/retstep", "linspace", 0.0, 1.0, 5, True, True)
case("linspace/tensors_axis", "linspace", np.array([0.0, 1.0], "float32"),
     np.array([1.0, 3.0], "float32"), 4, axis=-1)
case("linspace/no_endpoint", "linspace", 2, 3, 5, False)
case("arange/default_step", "arange", 2, 9)
case("arange/float", "arange", 0.5, 3.0, 0.5)
case("max/initial", "max", F, axis=0, initial=0.5)
case("min/initial", "min", F, axis=1, keepdims=True, initial=-0.5)
case("max/initial_empty", "max", np.zeros((0, 3), "float32"), axis=0, initial=1.0)
case("prod/dtype", "prod", I8, axis=1, dtype="float32")
case("where/x1x2", "where", B, F, G)
for _op in ("zeros", "ones", "empty"):
    case(f"{_op}/floatx", _op, (2, 3))
case("eye/floatx", "eye", 3, 4, 1)
case("identity/floatx", "identity", 3)
case("tri/floatx", "tri", 3, 4, -1)


def _ids() -> list[str]:
    return [c[0] for c in CASES]


_KERAS_CACHE: dict[str, Any] = {}


def _keras_result(keras: Any, cid: str, op: str, args: tuple, kwargs: dict) -> Any:
    if cid not in _KERAS_CACHE:
        _KERAS_CACHE[cid] = getattr(keras.ops, op)(*args, **kwargs)
    return _KERAS_CACHE[cid]


def _ours(op: str, args: tuple, kwargs: dict) -> Any:
    targs = [tw.ops.convert_to_tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    tkw = {k: tw.ops.convert_to_tensor(v) if isinstance(v, np.ndarray) else v
           for k, v in kwargs.items()}
    return getattr(tw.ops, op)(*targs, **tkw)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid,op,args,kwargs,opts", CASES, ids=_ids())
def test_op_matches_keras(keras: Any, close: Any, backend: str, cid: str, op: str,
                          args: tuple, kwargs: dict, opts: dict) -> None:
    theirs = _keras_result(keras, cid, op, args, kwargs)
    with tw.backend_scope(backend):
        ours = _ours(op, args, kwargs)
    tol = {"rtol": opts.get("rtol", 1e-5), "atol": opts.get("atol", 1e-6)}
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), cid
        for i, (a, b) in enumerate(zip(ours, theirs)):
            close(a, b, what=f"{cid}[{i}] on {backend}", **tol)
    else:
        close(ours, theirs, what=f"{cid} on {backend}", **tol)


def test_keras_signature_examples(keras: Any, close: Any) -> None:
    """Binary ops answer to Keras's parameter names ``x1``/``x2`` (keywords, not just
    positions)."""
    for op in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power",
               "equal", "less", "greater_equal", "logical_and", "mod", "floor_divide",
               "arctan2", "hypot", "fmax", "divide_no_nan", "logaddexp"):
        a, b = (B, B) if op == "logical_and" else (P, P[::-1].copy())
        close(getattr(tw.ops, op)(x1=tw.ops.convert_to_tensor(a), x2=b),
              getattr(keras.ops, op)(x1=a, x2=b), what=op)
    close(tw.ops.where(B, x1=F, x2=G), keras.ops.where(B, x1=F, x2=G), what="where")
    close(tw.ops.stop_gradient(variable=tw.ops.convert_to_tensor(F)),
          keras.ops.stop_gradient(variable=F), what="stop_gradient")


def test_bad_arguments_raise_tensorweave_errors() -> None:
    err = tw.errors.TensorweaveError
    bad = [
        lambda: tw.ops.gcd(F, F),
        lambda: tw.ops.ldexp(F, F),
        lambda: tw.ops.quantile(F, 0.5, method="cubic"),
        lambda: tw.ops.histogram(X3),
        lambda: tw.ops.histogram(V1, bins=0),
        lambda: tw.ops.bincount(F),
        lambda: tw.ops.bincount(np.array([1, 2], "int32"), sparse=True),
        lambda: tw.ops.searchsorted(F, V1),
        lambda: tw.ops.correlate(F, V1),
        lambda: tw.ops.correlate(V1, W1, mode="middle"),
        lambda: tw.ops.where(B, F),
        lambda: tw.ops.average(X3, axis=1, weights=np.ones(3, "float32")),
        lambda: tw.ops.vander(F),
        lambda: tw.ops.meshgrid(V1, indexing="yx"),
        lambda: tw.ops.bitwise_invert(F),
    ]
    for i, fn in enumerate(bad):
        with pytest.raises(err) as info:
            fn()
        assert str(info.value), i


# ---- gradients -------------------------------------------------------------------------
def _fd(f: Any, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (float(f(xp)) - float(f(xm))) / (2 * h)
    return g


_X64 = np.random.default_rng(7).uniform(-0.9, 0.9, size=(3, 4))
_Y64 = np.random.default_rng(8).uniform(0.2, 2.0, size=(3, 4))
_X64N = _X64.copy()
_X64N[1, 2] = np.nan

#: (id, function of one float64 tensor -> tensor, input)
GRADS: list[tuple[str, Any, np.ndarray]] = [
    ("cumsum", lambda o, x: o.cumsum(x, axis=1), _X64),
    ("cumprod", lambda o, x: o.cumprod(x, axis=0), _X64),
    ("cumprod_flat", lambda o, x: o.cumprod(x), _X64[:2]),
    ("arcsin", lambda o, x: o.arcsin(x), _X64),
    ("arccos", lambda o, x: o.arccos(x), _X64),
    ("arctanh", lambda o, x: o.arctanh(x), _X64),
    ("arcsinh", lambda o, x: o.arcsinh(x * 5), _X64),
    ("arccosh", lambda o, x: o.arccosh(x + 2.0), _X64),
    ("arctan2", lambda o, x: o.arctan2(x, x[::-1] - 0.3), _X64),
    ("hypot", lambda o, x: o.hypot(x, 0.7 - x), _X64),
    ("erfc", lambda o, x: o.erfc(x * 3), _X64),
    ("erfinv", lambda o, x: o.erfinv(x), _X64),
    ("i0", lambda o, x: o.i0(x * 20), _X64),
    ("cbrt", lambda o, x: o.cbrt(x + 1.5), _X64),
    ("sinc", lambda o, x: o.sinc(x * 2), _X64),
    ("median", lambda o, x: o.median(x, axis=1), _X64),
    ("quantile", lambda o, x: o.quantile(x, 0.3, axis=0), _X64),
    ("percentile", lambda o, x: o.percentile(x, [20.0, 75.0]), _X64),
    ("nansum", lambda o, x: o.nansum(x, axis=1), _X64N),
    ("nanmean", lambda o, x: o.nanmean(x, axis=0), _X64N),
    ("nanvar", lambda o, x: o.nanvar(x), _X64N),
    ("nanmax", lambda o, x: o.nanmax(x, axis=1), _X64N),
    ("nanmedian", lambda o, x: o.nanmedian(x, axis=1), _X64N),
    ("nanprod", lambda o, x: o.nanprod(x + 2.0, axis=1), _X64N),
    ("average", lambda o, x: o.average(x, axis=1, weights=_Y64[0]), _X64),
    ("divide_no_nan", lambda o, x: o.divide_no_nan(x, x[::-1]), _X64),
    ("logaddexp2", lambda o, x: o.logaddexp2(x, x * x), _X64),
    ("corrcoef", lambda o, x: o.corrcoef(x), _X64),
    ("trapezoid", lambda o, x: o.trapezoid(x * x, axis=0), _X64),
]


def _weights(shape: tuple) -> np.ndarray:
    return np.random.default_rng(3).normal(size=shape)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("gid,fn,x", GRADS, ids=[g[0] for g in GRADS])
def test_gradient_matches_finite_differences(backend: str, gid: str, fn: Any,
                                             x: np.ndarray) -> None:
    """tw's gradient (float64) of sum(w * f(x)) equals central finite differences."""
    out_shape = np.shape(np.asarray(fn(tw.ops, tw.ops.convert_to_tensor(x))))
    w = _weights(out_shape)
    finite = ~np.isnan(x)

    def scalar(t: Any) -> Any:
        return tw.ops.sum(tw.ops.nan_to_num(tw.ops.multiply(fn(tw.ops, t), w)))

    with tw.backend_scope(backend):
        g = np.asarray(tw.ops.convert_to_numpy(tw.grad(scalar)(tw.ops.convert_to_tensor(x))))

    def num(v: np.ndarray) -> float:
        return float(tw.ops.convert_to_numpy(scalar(tw.ops.convert_to_tensor(v))))

    fd = _fd(num, np.where(finite, x, np.nan))
    np.testing.assert_allclose(g[finite], fd[finite], rtol=1e-5, atol=1e-6, err_msg=gid)
    assert np.all(g[~finite] == 0), f"{gid}: NaN inputs must get a zero gradient"


@pytest.mark.parametrize("gid,fn,x", GRADS[:18], ids=[g[0] for g in GRADS[:18]])
def test_gradient_matches_jax(keras: Any, close: Any, gid: str, fn: Any,
                              x: np.ndarray) -> None:
    """The same gradients as JAX differentiating the Keras op (float32)."""
    import jax

    x32 = x.astype("float32")
    w = _weights(np.shape(np.asarray(fn(tw.ops, tw.ops.convert_to_tensor(x32))))).astype(
        "float32")
    theirs = jax.grad(lambda t: keras.ops.sum(fn(keras.ops, t) * w))(x32)
    ours = tw.grad(lambda t: tw.ops.sum(tw.ops.multiply(fn(tw.ops, t), w)))(
        tw.ops.convert_to_tensor(x32))
    close(ours, theirs, rtol=2e-4, atol=2e-5, what=gid)


@pytest.mark.parametrize("backend", ["numpy", "python"])
def test_in_top_k(keras: Any, backend: str) -> None:
    """Ties count in the target's favour and a NaN at the target ranks last, as Keras."""
    rng = np.random.default_rng(0)
    p = rng.random((6, 5)).astype("float32")
    p[1, :] = 0.5
    p[2, 3] = np.nan
    t = np.array([0, 2, 3, 4, 1, 0], "int32")
    for k in (1, 2, 3, 5):
        with tw.backend_scope(backend):
            ours = tw.ops.convert_to_numpy(tw.ops.in_top_k(t, p, k))
        np.testing.assert_array_equal(ours, np.asarray(keras.ops.in_top_k(t, p, k)))
