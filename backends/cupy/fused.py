"""One CUDA kernel per elementwise fusion group (``cupy.ElementwiseKernel``).

The jit's fusion pass groups chains of elementwise nodes whose intermediate values are
used only inside the chain; here each group becomes C code — one statement per member —
compiled once per expression and dtypes (CuPy also caches the binary on disk).
Intermediate values never touch global memory, so a bias-add + ReLU, or an Adam update,
costs one kernel launch and one pass over memory instead of several.

Floating-point contraction is disabled (``--fmad=false``): each ``a * b + c`` is rounded
twice, exactly as the unfused ops do, so fused and unfused results are bit-identical
(the seeded random ops depend on it). A group with an op this generator does not know is
left unfused (``None``) and runs op by op.
"""

from __future__ import annotations

import hashlib
from typing import Any

_CTYPE = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int",
          "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
          "uint32": "unsigned int", "uint64": "unsigned long long", "float16": "float",
          "bfloat16": "float", "float32": "float", "float64": "double"}

# ``{0}``/``{1}``: the operands; ``{h}``: 0.5 typed as the node's C type (a bare ``0.5`` is
# a double: ``tanh(x * 0.5)`` on a float would run in double precision and round
# differently from the unfused float kernel)
_UNARY = {
    "neg": "(-{0})", "abs": "fabs({0})", "exp": "exp({0})", "log": "log({0})",
    "log1p": "log1p({0})", "expm1": "expm1({0})", "sqrt": "sqrt({0})", "sin": "sin({0})",
    "cos": "cos({0})", "tanh": "tanh({0})", "floor": "floor({0})",
    "ceil": "ceil({0})", "round": "rint({0})", "logical_not": "(!{0})",
    "isnan": "({0} != {0})", "isfinite": "isfinite((double){0})", "copy": "({0})",
    "square": "({0} * {0})", "relu": "({0} > 0 ? {0} : ({0} != {0} ? {0} : 0))",
    # the zero branch is ``x - x``: +0.0 for either zero (as the unfused sign), NaN for NaN
    "sign": "({0} > 0 ? 1 : ({0} < 0 ? -1 : {0} - {0}))",
    "sigmoid": "(tanh({0} * {h}) * {h} + {h})", "rsqrt": "(1 / sqrt({0}))",
    "stop_gradient": "({0})",
}
# integer abs: fabs would go through double
_INT_UNARY = {"abs": "({0} < 0 ? -{0} : {0})"}
# float16 nodes round to half after every op, as the unfused kernels do; these templates
# hold more than one rounding step, so a float16 node of them is left unfused
_MULTI_STEP = {"sigmoid", "rsqrt"}
_BINARY = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "power": "pow({0}, {1})",
    # NaN first; fmax/fmin order -0.0 below +0.0, as CuPy's maximum/minimum (CUDA max/min)
    "maximum": "({0} != {0} ? {0} : ({1} != {1} ? {1} : fmax({0}, {1})))",
    "minimum": "({0} != {0} ? {0} : ({1} != {1} ? {1} : fmin({0}, {1})))",
    "equal": "({0} == {1})", "not_equal": "({0} != {1})", "less": "({0} < {1})",
    "less_equal": "({0} <= {1})", "greater": "({0} > {1})", "greater_equal": "({0} >= {1})",
    "logical_and": "({0} && {1})", "logical_or": "({0} || {1})",
    "logical_xor": "((bool){0} != (bool){1})", "bitwise_and": "({0} & {1})",
    "bitwise_or": "({0} | {1})", "bitwise_xor": "({0} ^ {1})",
}
_INT_BINARY = {
    "maximum": "({0} > {1} ? {0} : {1})", "minimum": "({0} < {1} ? {0} : {1})",
}
_HALF = {"float": "0.5f", "double": "0.5"}


def kernel_source(group: Any) -> tuple[str, str, str] | None:
    """``(in_params, out_params, operation)`` for ``cupy.ElementwiseKernel``, or ``None``
    when the group holds an op (or dtype) this generator cannot express.

    * bfloat16 (stored as float32, rounded after every op by the backend) is left unfused.
    * float16 values are read as ``float`` (CuPy's ``float16`` class converts only to
      float: ``h * 0.5`` or ``h < 0`` would be ambiguous C++) and every float16 node is
      rounded to half precision, as each unfused op is: ``(float)(float16)(expr)``.
    * ``erf``, ``floor_divide`` and ``mod`` stay unfused: their unfused kernels are not a
      single C expression (erf is a float64 series; floor division and remainder are
      NumPy's exact ``divmod``, see ``backends/numpy/elementwise.py``).
    * integer ``power`` stays unfused: ``pow(int, int)`` is an ambiguous overload in CUDA
      C++, and a floating pow is not CuPy's exact integral power.
    """
    dtypes = [t.dtype.name for t in group.inputs] + [group.output.dtype.name] + \
        [n.outputs[0].dtype.name for n in group.nodes]
    if "bfloat16" in dtypes:
        return None
    names = [f"in{k}" for k in range(len(group.inputs))]
    in_params = ", ".join(f"{t.dtype.name} {n}" for t, n in zip(group.inputs, names))
    reads = [f"((float){n})" if t.dtype.name == "float16" else n
             for t, n in zip(group.inputs, names)]
    out_dtype = group.output.dtype.name
    lines = []
    values: list[str] = []
    for j, (op, _attrs, args) in enumerate(group.expression()):
        refs = [reads[i] if kind == "in" else values[i] for kind, i in args]
        node = group.nodes[j]
        dt = node.outputs[0].dtype
        ctype = _CTYPE.get(dt.name)
        if ctype is None:
            return None
        half = dt.name == "float16"
        if half and op in _MULTI_STEP:
            return None
        is_float = dt.is_floating
        in_float = any(t.dtype.is_floating for t in (node.inputs if hasattr(node, "inputs")
                                                         else ()))
        if op in _UNARY and len(refs) == 1:
            template = _UNARY[op] if (is_float or in_float or op not in _INT_UNARY) \
                else _INT_UNARY[op]
            expr = template.format(*refs, h=_HALF.get(ctype, "0.5"))
        elif op in _BINARY and len(refs) == 2:
            if op == "power" and not is_float:
                # pow(int, int) is an ambiguous overload in CUDA C++, and a double pow
                # would not be CuPy's integral power (negative exponents, overflow): the
                # node runs unfused
                return None
            float_args = is_float or in_float
            template = _BINARY[op] if float_args or op not in _INT_BINARY else _INT_BINARY[op]
            expr = template.format(*refs)
        elif op == "where" and len(refs) == 3:
            expr = f"({refs[0]} ? {refs[1]} : {refs[2]})"
        elif op == "cast":
            expr = f"(({ctype}){refs[0]})"
        else:
            return None
        values.append(f"t{j}")
        if half:
            lines.append(f"float t{j} = (float)(float16)({expr});")
        else:
            lines.append(f"{ctype} t{j} = ({ctype}){expr};")
    lines.append(f"out = t{len(values) - 1};")
    return in_params, f"{out_dtype} out", "\n".join(lines)


def kernel_name(src: tuple[str, str, str]) -> str:
    """A name that depends only on the kernel's source: the same in every process (unlike
    ``hash()``, salted per process by PYTHONHASHSEED), so CuPy's on-disk kernel cache,
    keyed by the generated code, hits across runs."""
    digest = hashlib.sha256("\x00".join(src).encode()).hexdigest()
    return f"tw_fused_{digest[:16]}"


def build_fused_kernel(backend: Any, group: Any) -> Any:
    """A callable over the group's input arrays, or ``None`` to leave the group unfused."""
    cache = backend.__dict__.setdefault("_fused_cache", {})
    key = group.key
    if key in cache:
        return cache[key]
    src = kernel_source(group)
    if src is None:
        cache[key] = None
        return None
    cp = backend.xp
    in_params, out_params, body = src
    kern = cp.ElementwiseKernel(in_params, out_params, body, name=kernel_name(src),
                                options=("--fmad=false",))
    shape = tuple(group.output.shape)
    dtype = group.output.dtype.name

    def run(*arrays: Any) -> Any:
        out = cp.empty(shape, dtype=dtype)
        return kern(*arrays, out)

    cache[key] = run
    return run
