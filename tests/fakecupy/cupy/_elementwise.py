"""``cupy.ElementwiseKernel`` of the fake: an interpreter for a small subset of CUDA C++.

It accepts what tensorweave's fusion code generator (``backends/cupy/fused.py``) emits --

    T tK = (T)expr;          declarations with an initialiser
    out = tK;                assignment to an output parameter

with expressions made of identifiers (parameters, earlier declarations), integer and
floating literals (``1``, ``0.5``, ``0.5f``, ``1e-3``), casts ``(T)e``, the ternary
``c ? a : b``, unary ``- ! ~``, binary ``* / + - < <= > >= == != & ^ | && ||`` and calls of
``exp log log1p expm1 sqrt sin cos tanh erf floor ceil rint fabs pow fmax fmin
isfinite``.
Anything else is rejected with a ``CompileException`` (as NVRTC would reject bad code).

Values are NumPy arrays held at their C type: ``float`` is float32, ``double`` float64,
``int`` int32, ``long long`` int64, ... C's integer promotions and usual arithmetic
conversions apply (``short + short`` is ``int``; ``float * 0.5`` is ``double``; an
``unsigned int`` against an ``int`` is ``unsigned int``). A ``float16`` parameter has
CuPy's ``float16`` class type (cupy/_core/include/cupy/float16.cuh): it has no arithmetic
operators of its own, only a conversion to ``float``, so ``h + h`` and ``h * f`` are float
arithmetic, while ``h * 0.5`` (double) or ``h * 2`` (int) and a ternary mixing ``float16``
with another type are ambiguous in C++ and rejected. Math functions follow the C++
overloads (``exp(float)`` is float, ``exp(double)`` double, an integer argument is double).
Inputs are broadcast to the output's shape, as CuPy does.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from . import _core
from ._core import ndarray

_CTYPES = {
    "bool": "bool", "signed char": "i8", "char": "i8", "unsigned char": "u8",
    "short": "i16", "unsigned short": "u16", "int": "i32", "unsigned int": "u32",
    "unsigned": "u32", "long long": "i64", "long": "i64", "unsigned long long": "u64",
    "unsigned long": "u64", "float": "f32", "double": "f64", "float16": "f16",
}
_NP = {"bool": np.bool_, "i8": np.int8, "u8": np.uint8, "i16": np.int16, "u16": np.uint16,
       "i32": np.int32, "u32": np.uint32, "i64": np.int64, "u64": np.uint64,
       "f16": np.float16, "f32": np.float32, "f64": np.float64}
_DTYPE_TO_T = {"bool": "bool", "int8": "i8", "uint8": "u8", "int16": "i16", "uint16": "u16",
               "int32": "i32", "uint32": "u32", "int64": "i64", "uint64": "u64",
               "float16": "f16", "float32": "f32", "float64": "f64"}
_RANK = {"i32": 1, "u32": 1, "i64": 2, "u64": 2}
_FUNCS = {"exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1,
          "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "floor": np.floor,
          "ceil": np.ceil, "rint": np.rint, "fabs": np.fabs}


class CompileException(Exception):
    """What NVRTC would report for code outside the supported subset."""


# ---- types ---------------------------------------------------------------------------------
def _is_int(t: str) -> bool:
    return t in ("bool", "i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64")


def _promote_int(t: str) -> str:
    return "i32" if t in ("bool", "i8", "u8", "i16", "u16") else t


def _usual(a: str, b: str, op: str) -> str:
    if "f16" in (a, b):
        other = b if a == "f16" else a
        if other in ("f16", "f32"):
            return "f32"
        raise CompileException(f"more than one operator \"{op}\" matches these operands "
                               f"(float16 and {_cname(other)}): cupy's float16 converts only "
                               "to float; cast it first")
    if "f64" in (a, b):
        return "f64"
    if "f32" in (a, b):
        return "f32"
    a, b = _promote_int(a), _promote_int(b)
    if a == b:
        return a
    sa, sb = a.startswith("i"), b.startswith("i")
    if sa == sb:
        return a if _RANK[a] >= _RANK[b] else b
    s, u = (a, b) if sa else (b, a)
    if _RANK[u] >= _RANK[s]:
        return u
    return s  # long long holds every unsigned int


def _cname(t: str) -> str:
    return {v: k for k, v in reversed(list(_CTYPES.items()))}[t]


class V:
    """A value: a NumPy array (or scalar) held at C type ``t``."""

    __slots__ = ("a", "t")

    def __init__(self, a: Any, t: str) -> None:
        self.a = a
        self.t = t


def _cast(v: V, t: str) -> V:
    if v.t == t:
        return v
    a = np.asarray(v.a)
    if t == "bool":
        return V(a != 0, "bool")
    if _is_int(t) and a.dtype.kind == "f":
        return V(_core._astype(a, np.dtype(_NP[t])), t)  # CUDA cvt.rzi saturates
    with np.errstate(all="ignore"):
        return V(a.astype(_NP[t]), t)


def _arith_operand(v: V) -> V:
    return _cast(v, "f32") if v.t == "f16" else v


# ---- tokenizer / parser ----------------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?[fFuUlL]*)|"
                    r"(?P<id>[A-Za-z_]\w*)|(?P<op>&&|\|\||<=|>=|==|!=|<<|>>|[-+*/%<>!?:(),;=&|^~]))")
_TYPE_WORDS = ("unsigned", "signed", "char", "short", "int", "long", "float", "double",
               "bool", "float16")


def _tokens(src: str) -> list:
    out, pos = [], 0
    src = src.strip()
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            raise CompileException(f"unexpected character in kernel source: {src[pos:pos+20]!r}")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        while pos < len(src) and src[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Parses one expression into a closure ``env -> V``."""

    def __init__(self, toks: list, types: dict) -> None:
        self.toks = toks
        self.i = 0
        self.types = types  # name -> C type of declared names

    def peek(self, k: int = 0) -> Any:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self, val: str | None = None) -> Any:
        tok = self.peek()
        if val is not None and tok[1] != val:
            raise CompileException(f"expected {val!r}, got {tok[1]!r}")
        self.i += 1
        return tok

    def type_name(self) -> str | None:
        """A C type at the cursor (for casts/declarations), or None."""
        j, words = self.i, []
        while j < len(self.toks) and self.toks[j][0] == "id" and self.toks[j][1] in _TYPE_WORDS:
            words.append(self.toks[j][1])
            j += 1
        if not words:
            return None
        name = " ".join(words)
        if name not in _CTYPES:
            raise CompileException(f"unknown type {name!r}")
        self.i = j
        return _CTYPES[name]

    def expr(self) -> Any:
        cond = self.binary(0)
        if self.peek()[1] == "?":
            self.take("?")
            a = self.expr()
            self.take(":")
            b = self.expr()
            return _ternary(cond, a, b)
        return cond

    _LEVELS = [("||",), ("&&",), ("|",), ("^",), ("&",), ("==", "!="), ("<", "<=", ">", ">="),
               ("+", "-"), ("*", "/")]

    def binary(self, level: int) -> Any:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while self.peek()[0] == "op" and self.peek()[1] in self._LEVELS[level]:
            op = self.take()[1]
            right = self.binary(level + 1)
            left = _binop(op, left, right)
        return left

    def unary(self) -> Any:
        tok = self.peek()
        if tok[1] in ("-", "!", "~", "+"):
            self.take()
            return _unop(tok[1], self.unary())
        if tok[1] == "(":
            save = self.i
            self.take("(")
            t = self.type_name()
            if t is not None:
                self.take(")")
                inner = self.unary()
                return _castnode(t, inner)
            self.i = save
            self.take("(")
            e = self.expr()
            self.take(")")
            return e
        return self.primary()

    def primary(self) -> Any:
        kind, val = self.take()
        if kind == "num":
            return _literal(val)
        if kind == "id":
            if self.peek()[1] == "(":
                self.take("(")
                args = [self.expr()]
                while self.peek()[1] == ",":
                    self.take(",")
                    args.append(self.expr())
                self.take(")")
                return _call(val, args)
            if val in ("true", "false"):
                b = val == "true"
                return lambda env: V(np.bool_(b), "bool")
            if val not in self.types:
                raise CompileException(f"identifier \"{val}\" is undefined")
            return lambda env, _n=val: env[_n]
        raise CompileException(f"unexpected token {val!r}")


def _literal(text: str) -> Any:
    s = text.lower()
    if any(c in s for c in ".e") or (s.endswith("f") and not s.startswith("0x")):
        is_float = s.endswith("f")
        v = float(s.rstrip("f"))
        t = "f32" if is_float else "f64"
        c = V(_NP[t](v), t)
    else:
        if any(c in s for c in "ul"):
            raise CompileException(f"integer literal suffixes are not in the subset: {text}")
        v = int(s)
        t = "i32" if v < 2**31 else "i64"
        c = V(_NP[t](v), t)
    return lambda env: c


def _castnode(t: str, inner: Any) -> Any:
    def cast(env: dict) -> V:
        return _cast(inner(env), t)
    return cast


def _unop(op: str, inner: Any) -> Any:
    def run(env: dict) -> V:
        v = _arith_operand(inner(env))
        if op == "!":
            return V(np.logical_not(_cast(v, "bool").a), "bool")
        t = _promote_int(v.t) if _is_int(v.t) else v.t
        v = _cast(v, t)
        with np.errstate(all="ignore"):
            if op == "-":
                return V(np.negative(v.a), t)
            if op == "+":
                return v
            if not _is_int(t):
                raise CompileException("~ on a floating type")
            return V(np.invert(v.a), t)
    return run


_CMP = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
        "==": np.equal, "!=": np.not_equal}
_ARITH = {"+": np.add, "-": np.subtract, "*": np.multiply}
_BIT = {"&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor}


def _binop(op: str, left: Any, right: Any) -> Any:
    def run(env: dict) -> V:
        a, b = left(env), right(env)
        if op in ("&&", "||"):
            # C++ evaluates both sides here without side effects, so no short-circuit needed
            if "f16" in (a.t, b.t):
                a, b = _arith_operand(a), _arith_operand(b)
            x, y = _cast(a, "bool").a, _cast(b, "bool").a
            return V(np.logical_and(x, y) if op == "&&" else np.logical_or(x, y), "bool")
        t = _usual(a.t, b.t, op)
        x, y = _cast(a, t).a, _cast(b, t).a
        with np.errstate(all="ignore"):
            if op in _CMP:
                return V(_CMP[op](x, y), "bool")
            if op in _ARITH:
                return V(_ARITH[op](x, y).astype(_NP[t], copy=False), t)
            if op == "/":
                if _is_int(t):
                    if np.any(np.asarray(y) == 0):
                        raise ZeroDivisionError("integer division by zero in a CUDA kernel "
                                                "(undefined behaviour)")
                    q = np.trunc(np.true_divide(x, y))  # C truncates toward zero
                    return V(q.astype(_NP[t]), t)
                return V(np.true_divide(x, y).astype(_NP[t], copy=False), t)
            if op in _BIT:
                if not _is_int(t):
                    raise CompileException(f"operator {op} on a floating type")
                return V(_BIT[op](x, y), t)
        raise CompileException(f"operator {op!r} is not in the supported subset")
    return run


def _ternary(cond: Any, a: Any, b: Any) -> Any:
    def run(env: dict) -> V:
        c = _cast(_arith_operand(cond(env)) if cond(env).t == "f16" else cond(env), "bool").a
        x, y = a(env), b(env)
        if x.t == y.t:
            t = x.t
        elif "f16" in (x.t, y.t):
            raise CompileException("operand types are incompatible (\"float16\" and "
                                   f"\"{_cname(y.t if x.t == 'f16' else x.t)}\") in ?:")
        else:
            t = _usual(x.t, y.t, "?:")
        return V(np.where(c, _cast(x, t).a, _cast(y, t).a).astype(_NP[t], copy=False), t)
    return run


def _ptx_max_min(is_max: bool, x: Any, y: Any) -> Any:
    """CUDA fmax/fmin (PTX max/min.f32/f64): NaN yields the other operand and -0.0 orders
    below +0.0 (NumPy's loops return either zero)."""
    r = np.fmax(x, y) if is_max else np.fmin(x, y)
    zeros = (np.asarray(x) == 0) & (np.asarray(y) == 0)
    if np.any(zeros):
        z = (x + y) if is_max else -((-x) + (-y))
        r = np.where(zeros, z, r)
    return r


def _erf(x: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64))


def _call(name: str, args: list) -> Any:
    if name in _FUNCS or name == "erf":
        if len(args) != 1:
            raise CompileException(f"{name} takes one argument")
    elif name in ("pow", "fmax", "fmin"):
        if len(args) != 2:
            raise CompileException(f"{name} takes two arguments")
    elif name == "isfinite":
        if len(args) != 1:
            raise CompileException("isfinite takes one argument")
    else:
        raise CompileException(f"function \"{name}\" is not in the supported subset")

    def run(env: dict) -> V:
        vs = [a(env) for a in args]
        if name == "isfinite":
            v = vs[0]
            if v.t not in ("f16", "f32", "f64"):
                v = _cast(v, "f64")
            return V(np.isfinite(v.a), "bool")
        vs = [_arith_operand(v) for v in vs]
        # C++ <cmath> overloads: float -> float, anything else -> double
        t = "f32" if all(v.t == "f32" for v in vs) else "f64"
        xs = [_cast(v, t).a for v in vs]
        with np.errstate(all="ignore"):
            if name == "pow":
                r = np.power(*xs)
            elif name in ("fmax", "fmin"):
                r = _ptx_max_min(name == "fmax", *xs)
            elif name == "erf":
                r = _erf(np.asarray(xs[0])).astype(_NP[t])
            else:
                r = _FUNCS[name](xs[0])
        return V(np.asarray(r).astype(_NP[t], copy=False), t)
    return run


# ---- the kernel --------------------------------------------------------------------------
def _params(text: str) -> list:
    out = []
    for p in text.split(","):
        words = p.split()
        if len(words) < 2:
            raise CompileException(f"bad parameter {p!r}")
        *tw, name = words
        if tw[0] == "raw":
            raise CompileException("raw parameters are not in the supported subset")
        tname = " ".join(tw)
        if tname not in _DTYPE_TO_T:
            raise CompileException(f"parameter type {tname!r} is not a concrete dtype name "
                                   "(type placeholders are not in the supported subset)")
        out.append((tname, name))
    return out


class ElementwiseKernel:
    def __init__(self, in_params: str, out_params: str, operation: str, name: str = "kernel",
                 reduce_dims: bool = True, preamble: str = "", no_return: bool = False,
                 return_tuple: bool = False, **kwargs: Any) -> None:
        unknown = set(kwargs) - {"options", "loop_prep", "after_loop"}
        if unknown:
            raise TypeError(f"Wrong arguments {sorted(unknown)}")
        if preamble or kwargs.get("loop_prep") or kwargs.get("after_loop"):
            raise CompileException("preamble/loop_prep/after_loop are not in the subset")
        self.in_params = _params(in_params)
        self.out_params = _params(out_params)
        self.name = name
        self.options = tuple(kwargs.get("options", ()))
        self.no_return, self.return_tuple = no_return, return_tuple
        types = {n: _DTYPE_TO_T[t] for t, n in self.in_params + self.out_params}
        self._steps = []
        written = set()
        for stmt in [s.strip() for s in operation.split(";")]:
            if not stmt:
                continue
            toks = _tokens(stmt)
            p = _Parser(toks, types)
            t = p.type_name()
            if t is not None:
                kind, var = p.take()
                if kind != "id" or var in types:
                    raise CompileException(f"bad or duplicate declaration of {var!r}")
                p.take("=")
                e = p.expr()
                types[var] = t
                self._steps.append(("decl", var, t, e))
            else:
                kind, var = p.take()
                if kind != "id" or var not in {n for _, n in self.out_params}:
                    raise CompileException(f"assignment to {var!r}: only output parameters "
                                           "may be assigned")
                p.take("=")
                e = p.expr()
                written.add(var)
                self._steps.append(("assign", var, types[var], e))
            if p.i != len(toks):
                raise CompileException(f"unexpected {toks[p.i][1]!r} in {stmt!r}")
        missing = {n for _, n in self.out_params} - written
        if missing:
            raise CompileException(f"outputs never assigned: {sorted(missing)}")

    def __call__(self, *args: Any, size: Any = None, block_size: Any = None,
                 stream: Any = None) -> Any:
        n_in, n_out = len(self.in_params), len(self.out_params)
        if len(args) not in (n_in, n_in + n_out):
            raise TypeError(f"Wrong number of arguments for {self.name!r}: "
                            f"{len(args)} (expected {n_in} or {n_in + n_out})")
        ins, outs = args[:n_in], args[n_in:]
        arrays = []
        for (tname, pname), a in zip(self.in_params, ins):
            if isinstance(a, np.ndarray):
                raise TypeError(f"Unsupported type {type(a)}")
            if isinstance(a, ndarray):
                if a.dtype != np.dtype(tname):
                    raise TypeError(f"Type is mismatched. {pname} {a.dtype} {tname}")
                arrays.append(a._a)
            else:
                arrays.append(np.asarray(a, dtype=tname))
        shape = np.broadcast_shapes(*[x.shape for x in arrays])
        if outs:
            for (tname, pname), o in zip(self.out_params, outs):
                if not isinstance(o, ndarray):
                    raise TypeError("Output arguments must be cupy.ndarray")
                if o.dtype != np.dtype(tname):
                    raise TypeError(f"Type is mismatched. {pname} {o.dtype} {tname}")
            shape = np.broadcast_shapes(shape, *[o.shape for o in outs])
            if any(o.shape != shape for o in outs):
                raise ValueError(f"Out shape is mismatched: {[o.shape for o in outs]} vs "
                                 f"broadcast {shape}")
        else:
            outs = tuple(ndarray(_array=np.empty(shape, dtype=t)) for t, _ in self.out_params)
        env = {n: V(np.broadcast_to(x, shape), _DTYPE_TO_T[t])
               for (t, n), x in zip(self.in_params, arrays)}
        out_by_name = {n: o for (_, n), o in zip(self.out_params, outs)}
        _core._counts["kernels"] += 1
        for kind, var, t, e in self._steps:
            v = e(env)
            if kind == "decl":
                if t == "f16" and v.t not in ("f16", "f32"):
                    # float16(double) and float16(int) are explicit constructors: a
                    # C-style cast allows them; copy-initialisation does not
                    pass
                env[var] = _cast(v, t)
            else:
                res = _cast(v, t)
                np.copyto(out_by_name[var]._a, np.broadcast_to(res.a, shape))
                env[var] = res
        if self.no_return:
            return None
        if len(outs) == 1 and not self.return_tuple:
            return outs[0]
        return tuple(outs)
