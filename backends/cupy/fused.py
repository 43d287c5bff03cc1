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

from typing import Any

_CTYPE = {"bool": "bool", "int8": "signed char", "int16": "short", "int32": "int",
          "int64": "long long", "uint8": "unsigned char", "uint16": "unsigned short",
          "uint32": "unsigned int", "uint64": "unsigned long long", "float16": "float",
          "bfloat16": "float", "float32": "float", "float64": "double"}

_UNARY = {
    "neg": "(-{0})", "abs": "({0} < 0 ? -{0} : {0})", "exp": "exp({0})", "log": "log({0})",
    "log1p": "log1p({0})", "expm1": "expm1({0})", "sqrt": "sqrt({0})", "sin": "sin({0})",
    "cos": "cos({0})", "tanh": "tanh({0})", "erf": "erf({0})", "floor": "floor({0})",
    "ceil": "ceil({0})", "round": "rint({0})", "logical_not": "(!{0})",
    "isnan": "({0} != {0})", "isfinite": "isfinite((double){0})", "copy": "({0})",
    "square": "({0} * {0})", "relu": "({0} > 0 ? {0} : ({0} != {0} ? {0} : 0))",
    "sign": "({0} > 0 ? 1 : ({0} < 0 ? -1 : {0}))",
    "sigmoid": "(tanh({0} * 0.5) * 0.5 + 0.5)", "rsqrt": "(1 / sqrt({0}))",
    "stop_gradient": "({0})",
}
_BINARY = {
    "add": "({0} + {1})", "subtract": "({0} - {1})", "multiply": "({0} * {1})",
    "divide": "({0} / {1})", "power": "pow({0}, {1})",
    "maximum": "({0} != {0} ? {0} : ({1} != {1} ? {1} : ({0} > {1} ? {0} : {1})))",
    "minimum": "({0} != {0} ? {0} : ({1} != {1} ? {1} : ({0} < {1} ? {0} : {1})))",
    "equal": "({0} == {1})", "not_equal": "({0} != {1})", "less": "({0} < {1})",
    "less_equal": "({0} <= {1})", "greater": "({0} > {1})", "greater_equal": "({0} >= {1})",
    "logical_and": "({0} && {1})", "logical_or": "({0} || {1})",
    "logical_xor": "((bool){0} != (bool){1})", "bitwise_and": "({0} & {1})",
    "bitwise_or": "({0} | {1})", "bitwise_xor": "({0} ^ {1})",
}


def kernel_source(group: Any) -> tuple[str, str, str] | None:
    """``(in_params, out_params, operation)`` for ``cupy.ElementwiseKernel``, or ``None``
    when the group holds an op (or dtype) this generator cannot express."""
    names = [f"in{k}" for k in range(len(group.inputs))]
    in_params = ", ".join(f"{t.dtype.name if t.dtype.name != 'bfloat16' else 'float32'} {n}"
                          for t, n in zip(group.inputs, names))
    out_dtype = group.output.dtype.name
    if out_dtype == "bfloat16":
        return None  # rounding to bfloat16 happens outside the kernel; leave it unfused
    lines = []
    values: list[str] = []
    for j, (op, _attrs, args) in enumerate(group.expression()):
        refs = [names[i] if kind == "in" else values[i] for kind, i in args]
        node = group.nodes[j]
        ctype = _CTYPE.get(node.outputs[0].dtype.name)
        if ctype is None:
            return None
        if op in _UNARY and len(refs) == 1:
            expr = _UNARY[op].format(*refs)
        elif op in _BINARY and len(refs) == 2:
            expr = _BINARY[op].format(*refs)
        elif op == "where" and len(refs) == 3:
            expr = f"({refs[0]} ? {refs[1]} : {refs[2]})"
        elif op == "cast":
            expr = f"(({ctype}){refs[0]})"
        elif op in ("floor_divide", "mod") and len(refs) == 2:
            if node.outputs[0].dtype.is_floating:
                q = f"floor({refs[0]} / {refs[1]})"
                expr = q if op == "floor_divide" else f"({refs[0]} - {refs[1]} * {q})"
            else:
                return None
        else:
            return None
        values.append(f"t{j}")
        lines.append(f"{ctype} t{j} = ({ctype}){expr};")
    lines.append(f"out = t{len(values) - 1};")
    return in_params, f"{out_dtype} out", "\n".join(lines)


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
    kern = cp.ElementwiseKernel(in_params, out_params, body,
                                name=f"tw_fused_{abs(hash(key)) % (1 << 32):08x}",
                                options=("--fmad=false",))
    shape = tuple(group.output.shape)
    dtype = group.output.dtype.name

    def run(*arrays: Any) -> Any:
        out = cp.empty(shape, dtype=dtype)
        return kern(*arrays, out)

    cache[key] = run
    return run
