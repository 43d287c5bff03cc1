"""Shape, indexing and core-function ops of ``tw.ops`` against real ``keras.ops`` (JAX).

Every case runs the same function once with ``keras.ops`` and once with ``tw.ops`` on the
same inputs and compares values, shapes and dtypes, on each tensorweave backend of the
run (numpy and the pure-Python reference). Gradients are compared with ``jax.grad`` of
the Keras expression. Cases are batched per test so Keras/JAX compiles stay few.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tensorweave as tw
from tensorweave.errors import TensorweaveError

o = tw.ops


_KERAS_RESULTS: dict[str, Any] = {}  # Keras is run once per case, not once per backend


def _keras(key: str, f: Callable) -> Any:
    if key not in _KERAS_RESULTS:
        _KERAS_RESULTS[key] = f()
    return _KERAS_RESULTS[key]


def _check(close: Any, keras: Any, cases: list, *, rtol: float = 1e-5,
           atol: float = 1e-6, batch: bool = True) -> None:
    """Run each ``(name, f)`` as ``f(keras.ops)`` and ``f(tw.ops)``; compare the results.

    With ``batch``, Keras computes every case inside one ``jax.jit`` (one compile instead
    of one per op), falling back to eager calls when a case cannot be traced.
    """
    names = [name for name, _ in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    key = "batch:" + "|".join(names)
    if batch and key not in _KERAS_RESULTS:
        import jax

        try:
            _KERAS_RESULTS[key] = jax.jit(lambda: [f(keras.ops) for _, f in cases])()
        except Exception:  # noqa: BLE001  (a case needs concrete values: go eager)
            _KERAS_RESULTS[key] = None
    batched = _KERAS_RESULTS.get(key)
    for k, (name, f) in enumerate(cases):
        theirs = batched[k] if batched is not None else _keras(name, lambda f=f: f(keras.ops))
        _compare(close, f(o), theirs, name, rtol, atol)


def _compare(close: Any, ours: Any, theirs: Any, what: str, rtol: float, atol: float) -> None:
    if isinstance(theirs, (list, tuple)):
        assert isinstance(ours, (list, tuple)), f"{what}: Keras gives a sequence, we don't"
        assert len(ours) == len(theirs), f"{what}: {len(ours)} results vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _compare(close, a, b, f"{what}[{i}]", rtol, atol)
        return
    close(ours, theirs, rtol=rtol, atol=atol, what=what)


@pytest.fixture
def data() -> dict:
    rng = np.random.default_rng(0)
    return {
        "x": rng.normal(size=(4, 5, 3)).astype("float32"),
        "m": rng.normal(size=(4, 6)).astype("float32"),
        "v": rng.normal(size=(5,)).astype("float32"),
        "i": rng.integers(-3, 3, size=(3, 4)).astype("int32"),
        "b": rng.random((3, 4)) > 0.5,
    }


# ---- the Keras meaning of slice / slice_update --------------------------------------------------
def test_slice_and_slice_update_follow_keras(tw_backend: str, keras: Any, close: Any,
                                             data: dict) -> None:
    x, m = data["x"], data["m"]
    u = -np.ones((2, 2, 2), "float32")
    cases: list[tuple[str, Callable]] = []
    for st, sh in [((0, 1, 0), (2, 3, 3)), ((3, 4, 2), (2, 2, 2)), ((-1, -2, 0), (1, 2, 3)),
                   ((1, 0, 0), (-1, 5, 2)), ((-3, 9, 1), (1, 1, 1)), ((0, 0, 0), (0, 2, 3))]:
        cases.append((f"slice{st}{sh}", lambda M, st=st, sh=sh: M.slice(x, st, sh)))
    for st in [(0, 0, 0), (3, 4, 2), (-1, -1, -1), (1, 2, 0), (2, -9, 1)]:
        cases.append((f"slice_update{st}", lambda M, st=st: M.slice_update(x, st, u)))
    cases.append(("slice int", lambda M: M.slice(data["i"], (1, 1), (2, 2))))
    cases.append(("slice_update cast", lambda M: M.slice_update(
        m, (1, 2), np.full((2, 2), 7.0, "float32"))))
    cases.append(("slice tensor starts", lambda M: M.slice(
        m, M.convert_to_tensor(np.array([2, 1], "int32")), (2, 4))))
    _check(close, keras, cases)

    # starts traced as tensors (symbolic under jit): gathered, clamped the same way
    def sliced(x: Any, st: Any) -> Any:
        return o.slice(x, st, (2, 3))

    def updated(x: Any, st: Any) -> Any:
        return o.slice_update(x, st, np.ones((2, 3), "float32"))

    for st in ([1, 2], [3, 5], [-1, 0]):
        starts = np.array(st, "int32")
        close(tw.jit(sliced)(m, starts), keras.ops.slice(m, starts, (2, 3)),
              what=f"jit slice {st}")
        close(tw.jit(updated)(m, starts),
              keras.ops.slice_update(m, starts, np.ones((2, 3), "float32")),
              what=f"jit slice_update {st}")


def test_strided_slice_keeps_the_old_meaning(tw_backend: str, data: dict) -> None:
    x = data["x"]
    np.testing.assert_array_equal(o.strided_slice(x, (0, 1, 0), (2, 4, 3)).numpy(),
                                  x[0:2, 1:4])
    np.testing.assert_array_equal(o.strided_slice(x, (slice(None, None, -2),)).numpy(),
                                  x[::-2])
    got = o.strided_slice_update(x, -np.ones((2, 5, 3), "float32"), (slice(1, 3),))
    want = x.copy()
    want[1:3] = -1
    np.testing.assert_array_equal(got.numpy(), want)


# ---- the signatures fixed to Keras's -------------------------------------------------------------
def test_fixed_signatures_follow_keras(tw_backend: str, keras: Any, close: Any,
                                       data: dict) -> None:
    x, m, i = data["x"], data["m"], data["i"]
    cases: list[tuple[str, Callable]] = [
        ("stack x=", lambda M: M.stack(x=[m, m], axis=1)),
        ("one_hot default dtype", lambda M: M.one_hot(x=i, num_classes=4)),
        ("one_hot axis0 int8", lambda M: M.one_hot(i, 3, 0, "int8")),
        ("one_hot axis-2", lambda M: M.one_hot(i[0], 3, axis=-2)),
        ("take_along_axis None", lambda M: M.take_along_axis(
            m, np.array([0, 5, 23, 7], "int32"), axis=None)),
        ("take_along_axis 1", lambda M: M.take_along_axis(m[:3], np.abs(i[:, :2]) % 6, 1)),
        ("convert_to_tensor", lambda M: M.convert_to_tensor(x=[[1, 2]], dtype="float16",
                                                            sparse=False, ragged=False)),
    ]
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum",
                 "mean", "median", "linear_ramp", "empty"):
        for pw in (((1, 2), (3, 0), (0, 1)), 2, ((5, 4), (0, 0), (2, 7)), [(1,)]):
            cases.append((f"pad {mode} {pw}",
                          lambda M, mode=mode, pw=pw: M.pad(x, pw, mode)))
    cases.append(("pad constant_values", lambda M: M.pad(i, ((1, 0), (2, 2)),
                                                         constant_values=9)))
    for mode in ("reflect", "mean", "median", "linear_ramp"):
        cases.append((f"pad int {mode}", lambda M, mode=mode: M.pad(i, ((1, 2), (3, 1)), mode)))
    _check(close, keras, cases)


# ---- array manipulation ------------------------------------------------------------------------
def test_array_ops_follow_keras(tw_backend: str, keras: Any, close: Any, data: dict) -> None:
    x, m, v, i, b = data["x"], data["m"], data["v"], data["i"], data["b"]
    cases: list[tuple[str, Callable]] = [
        ("append", lambda M: M.append(x, m)),
        ("append axis0", lambda M: M.append(m, m, axis=0)),
        ("array_split", lambda M: M.array_split(x, 3, axis=1)),
        ("array_split uneven", lambda M: M.array_split(v, 4)),
        ("diag int k1", lambda M: M.diag(i[0], 1)),
        ("diag bool", lambda M: M.diag(b[0])),
        ("diagflat", lambda M: M.diagflat(m[:2], -1)),
        ("diff n2", lambda M: M.diff(x, 2, axis=1)),
        ("diff bool", lambda M: M.diff(b)),
        ("diff int axis0", lambda M: M.diff(i, 1, 0)),
        ("dsplit", lambda M: M.dsplit(x, 3)),
        ("hsplit idx", lambda M: M.hsplit(m, [2, 3])),
        ("hsplit 1d", lambda M: M.hsplit(v, 5)),
        ("vsplit", lambda M: M.vsplit(m, 2)),
        ("hstack", lambda M: M.hstack([m, m[:, :2]])),
        ("hstack 1d", lambda M: M.hstack([v, v])),
        ("vstack 1d", lambda M: M.vstack([v, v])),
        ("vstack 2d", lambda M: M.vstack([m, m])),
        ("dstack 1d", lambda M: M.dstack([v, v])),
        ("dstack 2d", lambda M: M.dstack([m, m])),
        ("dstack 3d", lambda M: M.dstack([x, x])),
        ("fliplr", lambda M: M.fliplr(m)),
        ("flipud", lambda M: M.flipud(x)),
        ("roll flat", lambda M: M.roll(x, 7)),
        ("roll axis", lambda M: M.roll(x, -2, 1)),
        ("roll axes", lambda M: M.roll(x, (1, 2), (0, 2))),
        ("kron", lambda M: M.kron(m[:2, :3], v[:2])),
        ("kron int", lambda M: M.kron(i, i[:2, :2])),
        ("cross 3", lambda M: M.cross(x, x[::-1])),
        ("cross 2", lambda M: M.cross(m[:, :2], m[:, 2:4])),
        ("cross 2x3", lambda M: M.cross(m[:, :2], m[:, 2:5])),
        ("cross axis", lambda M: M.cross(x[:3], x[1:], axis=0)),
        ("unstack", lambda M: M.unstack(x, axis=1)),
        ("unstack num", lambda M: M.unstack(m, 4)),
    ]
    for k in (-2, 0, 1, 3):
        cases.append((f"diag 2d k{k}", lambda M, k=k: M.diag(m, k)))
        cases.append((f"diag 1d k{k}", lambda M, k=k: M.diag(v, k)))
    for off in (-2, 0, 2):
        cases.append((f"diagonal {off}", lambda M, off=off: M.diagonal(x, off, 2, 0)))
    for k in range(-1, 5):
        cases.append((f"rot90 {k}", lambda M, k=k: M.rot90(x, k, (1, 2))))
    _check(close, keras, cases)
    # Keras's rearrange computes shapes with ops, so it cannot run inside jax.jit
    _check(close, keras, [
        ("rearrange merge", lambda M: M.rearrange(x, "a b c -> c (a b)")),
        ("rearrange split", lambda M: M.rearrange(m, "(a b) c -> b c a", a=2)),
        ("rearrange both", lambda M: M.rearrange(m, "a (c d) -> (d a) c", d=3)),
    ], batch=False)


def test_saturate_cast_and_view_follow_keras(tw_backend: str, keras: Any, close: Any,
                                             data: dict) -> None:
    big = data["x"] * 1e3
    cases: list[tuple[str, Callable]] = [
        (f"saturate_cast {dt}", lambda M, dt=dt: M.saturate_cast(big, dt))
        for dt in ("int8", "uint8", "int32", "uint32", "float16", "bool")]
    cases.append(("saturate_cast int->uint8",
                  lambda M: M.saturate_cast(data["i"] * 100, "uint8")))
    cases.append(("saturate_cast at int32 bounds", lambda M: M.saturate_cast(
        np.array([3e9, -3e9, 1.5, 2147483520.0], "float32"), "int32")))
    f = np.array([[1.5, -2.0, 3.25, 0.0], [7.0, 1e-3, -0.0, 65504.0]], "float32")
    for src, dt in [(f, "int32"), (f, "uint8"), (f, "int16"), (f, "float16"),
                    (f.astype("float16"), "int8"),
                    (np.array([[1, 2, 3, 4]], "int32"), "float32"),
                    (np.array([1, 0, 2, 255], "uint8"), "bool"),
                    (np.array([True, False, True, True]), "int8"),
                    (np.array([[1, 2, 3, 4]], "int8"), "int16"), (f, None)]:
        cases.append((f"view {src.dtype}->{dt}", lambda M, src=src, dt=dt: M.view(src, dt)))
    _check(close, keras, cases)
    # bfloat16 comes back from tensorweave as float32 values (NumPy has no bfloat16)
    close(o.view(f, "bfloat16").numpy(), np.asarray(keras.ops.view(f, "bfloat16"), "float32"),
          what="view float32->bfloat16")
    # 64-bit views: JAX without x64 truncates them, so NumPy is the reference there
    np.testing.assert_array_equal(o.view(f, "int64").numpy(), f.view("int64"))
    np.testing.assert_array_equal(o.view(f, "float64").numpy(), f.view("float64"))


# ---- indexing, sets, sorting --------------------------------------------------------------------
def test_indexing_and_set_ops_follow_keras(tw_backend: str, keras: Any, close: Any,
                                           data: dict) -> None:
    x, m, i = data["x"], data["m"], data["i"]
    rows = np.array([[3, 1, 2], [1, 3, 3], [3, 1, 2]], "int32")
    idx = np.array([[0, 1], [2, 3], [0, 1], [3, 0]], "int32")
    u = np.array([1.0, 2.0, 3.0, -9.0], "float32")
    # shapes that depend on the values: Keras runs these eagerly
    _check(close, keras, [
        ("nonzero", lambda M: M.nonzero(i)),
        ("unique all", lambda M: M.unique(i, return_index=True, return_inverse=True,
                                          return_counts=True)),
        ("unique axis0", lambda M: M.unique(rows, axis=0, return_index=True,
                                            return_inverse=True, return_counts=True)),
        ("unique axis1", lambda M: M.unique(rows.T[:2], axis=1, return_inverse=True)),
        ("unique nan", lambda M: M.unique(np.array([2.0, np.nan, 1.0, np.nan, 2.0],
                                                   "float32"), return_counts=True)),
        ("unique size pad", lambda M: M.unique(i, size=9, return_index=True,
                                               return_inverse=True, return_counts=True)),
        ("unique size fill", lambda M: M.unique(i, size=9, fill_value=-7)),
        ("unique size truncate", lambda M: M.unique(i, size=2, return_counts=True)),
        ("unique bool", lambda M: M.unique(i > 0)),
    ], batch=False)
    cases: list[tuple[str, Callable]] = [
        ("unravel_index", lambda M: M.unravel_index(np.array([5, -1, 7, 0, -9], "int32"),
                                                    (2, 3))),
        ("argpartition", lambda M: M.argpartition(np.array([5.0, 1, 4, 2, 3, 0, 1]), 2)),
        ("argpartition axis0 neg", lambda M: M.argpartition(m, -2, axis=0)),
        ("argpartition None", lambda M: M.argpartition(m, 3, axis=None)),
        ("select int", lambda M: M.select([i > 2, i > 0], [i, -i], 7)),
        ("select float", lambda M: M.select([m > 0.5, m < -0.5], [m, m * 2])),
        ("get_item", lambda M: M.get_item(x, (slice(1, 3), 2))),
        ("scatter", lambda M: M.scatter(np.array([[0, 1], [2, 3], [0, 1]], "int32"),
                                        np.array([1.0, 2.0, 3.0], "float32"), (3, 4))),
        ("scatter rows", lambda M: M.scatter(np.array([[0], [2]], "int32"), m[:2, :3],
                                             (4, 3))),
        ("scatter_update rows", lambda M: M.scatter_update(
            m, np.array([[1], [3]], "int32"), np.ones((2, 6), "float32"))),
        ("scatter_update int max", lambda M: M.scatter_update(
            i, np.array([[1, 1]], "int32"), np.array([99], "int32"), "max")),
    ]
    for red in (None, "add", "max", "min", "mul"):
        cases.append((f"scatter_update {red}",
                      lambda M, red=red: M.scatter_update(m, idx, u, red)))
    _check(close, keras, cases)


def test_traced_unique_with_size_follows_keras(tw_backend: str, keras: Any, close: Any,
                                              data: dict) -> None:
    arrays = [data["i"], np.array([2.0, np.nan, 1.0, np.nan, 2.0, -0.0, 0.0], "float32"),
              data["b"]]
    for n, arr in enumerate(arrays):
        for size, fill in ((2, None), (9, None), (9, 7)):
            kw = {"size": size, "fill_value": fill, "return_index": True,
                  "return_inverse": True, "return_counts": True}
            theirs = _keras(f"unique traced {n} {size} {fill}",
                            lambda arr=arr, kw=kw: keras.ops.unique(arr, **kw))
            ours = tw.jit(lambda a, kw=kw: o.unique(a, **kw))(arr)
            _compare(close, ours, theirs, f"jit unique {arr.dtype} size={size} fill={fill}",
                     1e-6, 0.0)


def test_dtype_follows_keras(tw_backend: str, keras: Any) -> None:
    for value in (np.zeros(3, "int16"), np.zeros(2, "float16"), np.array([True]),
                  np.zeros((), "uint8")):
        assert o.dtype(value) == keras.ops.dtype(value)
        assert o.dtype(o.convert_to_tensor(value)) == keras.ops.dtype(
            keras.ops.convert_to_tensor(value))


# ---- gradients ------------------------------------------------------------------------------
def test_gradients_follow_jax(tw_backend: str, keras: Any, close: Any, data: dict) -> None:
    import jax

    m, v = data["m"], data["v"]
    w = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(4, 6)
    idx = np.array([[0, 1], [2, 3], [0, 1]], "int32")
    upd = np.array([1.0, -2.0, 3.0], "float32")
    exprs: list[tuple[str, Callable]] = [
        ("slice", lambda M, a: M.slice(a, (1, 2), (2, 3))),
        ("slice_update", lambda M, a: M.slice_update(a, (3, 1), a[:2, :2] * 3.0)),
        ("roll", lambda M, a: M.roll(a, 3, axis=1)),
        ("diag", lambda M, a: M.diag(a, 1)),
        ("diagonal", lambda M, a: M.diagonal(a, -1)),
        ("kron", lambda M, a: M.kron(a[:2, :2], a[2:, 4:])),
        ("cross", lambda M, a: M.cross(a[:, :3], a[:, 3:])),
        ("rearrange", lambda M, a: M.rearrange(a, "(p q) r -> q (r p)", p=2)),
        ("hstack", lambda M, a: M.hstack([a, a * a])),
        ("rot90", lambda M, a: M.rot90(a, 3)),
        ("diff", lambda M, a: M.diff(a, 2)),
        ("select", lambda M, a: M.select([a > 0.5, a < -0.5], [a * a, a * 3.0], 1.0)),
        ("scatter_update set", lambda M, a: M.scatter_update(a, idx, a[0, :3])),
        ("scatter_update max", lambda M, a: M.scatter_update(a, idx, a[1, :3] * 5, "max")),
        ("scatter_update min", lambda M, a: M.scatter_update(a, idx, a[2, :3], "min")),
        ("scatter", lambda M, a: M.scatter(idx, a[0, :3] + upd, (3, 4))),
        ("pad reflect", lambda M, a: M.pad(a, ((1, 2), (3, 0)), "reflect")),
        ("take_along_axis", lambda M, a: M.take_along_axis(
            a, np.array([0, 5, 23, 7], "int32"), None)),
    ]
    for name, f in exprs:
        def ours(a: Any, f: Callable = f) -> Any:
            return o.sum(o.sin(f(o, a)) * f(o, a))

        def theirs(a: Any, f: Callable = f) -> Any:
            return keras.ops.sum(keras.ops.sin(f(keras.ops, a)) * f(keras.ops, a))

        expected = _keras(f"grad {name}", lambda theirs=theirs: _jax_grad(jax, theirs,
                                                                          w + m * 0.1))
        close(tw.grad(ours)(w + m * 0.1), expected, rtol=1e-4, atol=1e-5, what=f"grad {name}")
    assert len(exprs) == 18
    del v


def _jax_grad(jax: Any, f: Callable, x: Any) -> Any:
    """``jax.grad(f)(x)``, compiled whole where Keras allows (fewer compiles than eager)."""
    try:
        return jax.jit(jax.grad(f))(x)
    except TypeError:  # Keras's rearrange computes shapes with traced ops under jit
        return jax.grad(f)(x)


def _log1pexp(M: Any) -> Callable:
    @M.custom_gradient
    def f(x: Any) -> Any:
        e = M.exp(x)

        def grad(*args: Any, upstream: Any = None) -> Any:
            if upstream is None:
                (upstream,) = args
            return M.multiply(upstream, 1.0 - 1.0 / M.add(1.0, e))

        return M.log(1.0 + e), grad

    return f


def _scaled_mul(M: Any) -> Callable:
    @M.custom_gradient
    def f(a: Any, b: Any) -> Any:
        return a * b, lambda up: (up * b * 10.0, up * a * 100.0)

    return f


def test_custom_gradient_follows_keras(tw_backend: str, keras: Any, close: Any) -> None:
    import jax

    x = np.array([0.0, 1.0, 100.0, -3.0], "float32")
    a, b = np.array([1.0, 2.0], "float32"), np.array([3.0, 4.0], "float32")
    ours, theirs = _log1pexp(o), _log1pexp(keras.ops)
    close(ours(x), theirs(x), what="custom_gradient forward")
    close(tw.jit(lambda t: ours(t) * 2.0)(x), theirs(x) * 2.0, what="custom_gradient jit")
    # the user's rule, not the forward's derivative (inf at 100 there)
    close(tw.grad(lambda t: o.sum(ours(t)))(x),
          jax.grad(lambda t: keras.ops.sum(theirs(t)))(x), what="custom_gradient grad")
    value, g = tw.value_and_grad(lambda t: o.sum(ours(t) * t))(x[:2])
    kv, kg = jax.value_and_grad(lambda t: keras.ops.sum(theirs(t) * t))(x[:2])
    close(value, kv, what="custom_gradient value")
    close(g, kg, what="custom_gradient value_and_grad")
    gs = tw.grad(lambda p, q: o.sum(_scaled_mul(o)(p, q)), argnums=(0, 1))(a, b)
    ks = jax.grad(lambda p, q: keras.ops.sum(_scaled_mul(keras.ops)(p, q)),
                  argnums=(0, 1))(a, b)
    for k in range(2):
        close(gs[k], ks[k], what=f"custom_gradient two inputs [{k}]")


def test_jvp_follows_keras(tw_backend: str, keras: Any, close: Any) -> None:
    a, b = np.array([1.0, 2.0], "float32"), np.array([3.0, 4.0], "float32")
    ta, tb = np.ones(2, "float32"), np.array([0.5, 2.0], "float32")

    def fun(M: Any) -> Callable:
        return lambda x, y: (M.sin(x) * y, M.sum(x * y))

    (out, tan), (kout, ktan) = (o.jvp(fun(o), (a, b), (ta, tb)),
                                keras.ops.jvp(fun(keras.ops), (a, b), (ta, tb)))
    _compare(close, list(out), list(kout), "jvp out", 1e-5, 1e-6)
    _compare(close, list(tan), list(ktan), "jvp tangent", 1e-5, 1e-6)
    out, tan, aux = o.jvp(lambda x: (o.tanh(x), x * 2.0), (a,), (b,), has_aux=True)
    kout, ktan, kaux = keras.ops.jvp(lambda x: (keras.ops.tanh(x), x * 2.0), (a,), (b,),
                                     has_aux=True)
    for ours_, theirs_, what in ((out, kout, "out"), (tan, ktan, "tangent"),
                                 (aux, kaux, "aux")):
        close(ours_, theirs_, what=f"jvp has_aux {what}")


def test_vectorize_and_vectorized_map_follow_keras(tw_backend: str, keras: Any,
                                                   close: Any) -> None:
    A = np.arange(24, dtype="float32").reshape(2, 3, 4)
    B = np.arange(4, dtype="float32")
    cases: list[tuple[str, Callable]] = [
        ("vectorize signature", lambda M: M.vectorize(
            lambda p, q: M.sum(p * q), signature="(n),(n)->()")(A, B)),
        ("vectorize scalar", lambda M: M.vectorize(lambda p, q: p * 2 + q)(A[0], B)),
        ("vectorize matvec", lambda M: M.vectorize(
            lambda mat, vec: M.matmul(mat, vec), signature="(m,n),(n)->(m)")(A, B)),
        ("vectorized_map", lambda M: M.vectorized_map(lambda e: M.sum(e, axis=0), A)),
        ("vectorized_map tuple", lambda M: M.vectorized_map(
            lambda e: e[0] * M.sum(e[1]), (A, A))),
    ]
    _check(close, keras, cases)


# ---- bad input ------------------------------------------------------------------------------
def test_bad_input_raises_clear_errors(tw_backend: str, data: dict) -> None:
    x, m, i = data["x"], data["m"], data["i"]
    bad: list[tuple[str, Callable]] = [
        ("slice", lambda: o.slice(x, (0, 0), (1, 1, 1))),
        ("slice", lambda: o.slice(x, (0, 0, 0), (5, 1, 1))),
        ("slice_update", lambda: o.slice_update(m, (0, 0), np.ones((5, 1), "float32"))),
        ("pad", lambda: o.pad(m, 1, "reflect", constant_values=0)),
        ("pad", lambda: o.pad(m, 1, "bogus")),
        ("one_hot", lambda: o.one_hot(i, 3, sparse=True)),
        ("convert_to_tensor", lambda: o.convert_to_tensor([1], ragged=True)),
        ("array_split", lambda: o.array_split(m, [1, 2])),
        ("vsplit", lambda: o.vsplit(data["v"], 2)),
        ("rearrange", lambda: o.rearrange(m, "a b -> a c")),
        ("rearrange", lambda: o.rearrange(m, "(a b) c -> a b c")),
        ("cross", lambda: o.cross(m, m)),
        ("view", lambda: o.view(np.zeros((2, 3), "int8"), "int16")),
        ("scatter_update", lambda: o.scatter_update(m, np.array([[0, 0]], "int32"),
                                                    np.ones(1, "float32"), "avg")),
        ("argpartition", lambda: o.argpartition(m, 9)),
        ("select", lambda: o.select([m > 0], [m, m])),
        ("unstack", lambda: o.unstack(m, num=3)),
    ]
    for name, f in bad:
        with pytest.raises(TensorweaveError, match=name):
            f()
    sym = tw.placeholder((None, 3))
    for name, f in (("nonzero", lambda: o.nonzero(sym)), ("unique", lambda: o.unique(sym))):
        with pytest.raises(TensorweaveError, match=name):
            f()
