"""Graphs as JSON: plain data only, so loading a graph never runs code from the file.

``graph_to_json(graph)`` writes, and ``graph_from_json(text)`` reads back::

    {"format": "tensorweave.graph", "version": 1, "name": "f",
     "nodes": [
       {"kind": "input", "name": "x", "shape": [null, 3], "dtype": "float32"},
       {"kind": "const", "shape": [], "dtype": "float32", "value": 2.0},
       {"kind": "op", "op": "multiply", "inputs": [[0, 0], [1, 0]], "attrs": {},
        "outputs": [{"shape": [null, 3], "dtype": "float32"}]},
       ...],
     "inputs": [0], "outputs": [[2, 0]],
     "in_tree": ..., "out_tree": ...}

* Nodes are listed in topological order; a reference ``[k, i]`` is output ``i`` of node
  ``k`` of the list, and must point at an *earlier* node (so there are no cycles and no
  dangling edges). ``inputs`` lists the positions of the graph's input nodes, in order.
* ``op`` is the name of a registered op (:func:`tensorweave.ops.get_op`); an unknown name
  is a :class:`~tensorweave.errors.SerializationError`. Loading re-runs each op's shape
  rule and checks the result against the ``outputs`` stored in the file.
* Attributes are JSON scalars (ints, finite floats, bools, strings, ``null``), lists
  (read back as tuples, since attributes are hashable tuples in the IR),
  ``{"dtype": "float32"}`` for a dtype and ``{"float": "inf" | "-inf" | "nan"}`` for a
  non-finite float. Anything else is refused when writing.
* Constants hold their values as nested lists (``value``) with ``dtype`` and ``shape``;
  non-finite floats inside are the strings ``"inf"``, ``"-inf"``, ``"nan"`` (the output
  is strict JSON). A tensor with a zero-size dimension stores ``[]``.
* **Variables** (a variable read while tracing) carry state, not structure: the file
  keeps their ``name``, ``shape`` and ``dtype`` but never their values. Reading a graph
  that has variable nodes needs a decision, given as ``variables=``:

  - a mapping ``{path or name: Variable}`` (or a list of Variables) binds each variable
    node to a live variable again, matched by its ``path`` (``dense/kernel``, written
    when it differs from the name) and then its ``name``; shape and dtype must match;
  - ``"inputs"`` turns each variable node into an extra graph input, appended after the
    graph's own inputs in file order and named after the variable's path
    (``graph.variable_inputs`` lists those names);
  - otherwise (the default) loading raises :class:`SerializationError` naming the
    variables. Two different variables with one path cannot be written.

* ``in_tree`` / ``out_tree`` (the nesting :func:`tensorweave.trace` and ``jit`` keep) are
  written when they consist of lists, tuples, dicts and static leaves that are attribute
  values; anything else (e.g. a namedtuple class) is dropped (``null``).

Malformed JSON, wrong types, unknown ops, dangling references and specs that disagree
with the shape rules all raise :class:`SerializationError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from .. import dtypes as _dt
from ..errors import SerializationError
from .ir import Graph, Node, SymbolicTensor

__all__ = ["graph_to_json", "graph_from_json", "FORMAT", "VERSION"]

FORMAT = "tensorweave.graph"
VERSION = 1

_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


# ---- writing --------------------------------------------------------------------------------
def _float_name(v: float) -> str:
    if math.isnan(v):
        return "nan"
    return "inf" if v > 0 else "-inf"


def _encode_attr(v: Any, where: str) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return v if math.isfinite(v) else {"float": _float_name(v)}
    if isinstance(v, _dt.DType):
        return {"dtype": v.name}
    if isinstance(v, (tuple, list)):
        return [_encode_attr(x, where) for x in v]
    raise SerializationError(f"{where}: cannot write an attribute of type "
                             f"{type(v).__name__} ({v!r}) as JSON")


def _encode_values(v: Any) -> Any:
    if isinstance(v, list):
        return [_encode_values(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return _float_name(v)
    return v


def _spec(t: SymbolicTensor) -> dict:
    return {"shape": [None if d is None else int(d) for d in t.shape], "dtype": t.dtype.name}


def _encode_tree(s: Any) -> Any:
    """The JSON form of a tree structure, or raise ``ValueError`` when it is not simple."""
    from .tracing import LEAF

    if s is LEAF:
        return {"t": "leaf"}
    if not isinstance(s, tuple) or not s:
        raise ValueError("not a tree")
    tag = s[0]
    if tag in ("list", "tuple"):
        return {"t": tag, "items": [_encode_tree(x) for x in s[1]]}
    if tag == "dict":
        keys = [_encode_attr(k, "tree") for k in s[1]]
        return {"t": "dict", "keys": keys, "items": [_encode_tree(x) for x in s[2]]}
    if tag == "static":
        try:
            return {"t": "static", "value": _encode_attr(s[1], "tree")}
        except SerializationError:
            raise ValueError("static leaf") from None
    raise ValueError(f"tree node {tag!r}")


def _tree_or_none(s: Any) -> Any:
    if s is None:
        return None
    try:
        return _encode_tree(s)
    except (ValueError, TypeError, IndexError):
        return None


def graph_to_json(graph: Graph, indent: int | None = None) -> str:
    """The graph as JSON text (see the module docstring for the format)."""
    pos: dict[int, int] = {}
    out_index: dict[int, tuple[int, int]] = {}
    nodes: list[dict] = []
    var_names: dict[str, Any] = {}
    for k, n in enumerate(graph.nodes):
        pos[id(n)] = k
        for i, t in enumerate(n.outputs):
            out_index[id(t)] = (k, i)
        where = f"graph {graph.name!r}, node {k} ({n.op_name})"
        if n.kind == "input":
            entry: dict[str, Any] = {"kind": "input", "name": n.name, **_spec(n.outputs[0])}
        elif n.kind == "const":
            t = n.value
            values = t.tolist() if 0 not in tuple(t.shape) else []
            entry = {"kind": "const", "name": n.name, "shape": [int(d) for d in t.shape],
                     "dtype": t.dtype.name, "value": _encode_values(values)}
        elif n.kind == "variable":
            var = n.value
            name = getattr(var, "name", None) or n.name
            path = getattr(var, "path", None) or name
            if not isinstance(name, str) or not isinstance(path, str):
                raise SerializationError(f"{where}: a variable without a name cannot be "
                                         "written")
            prev = var_names.get(path)
            if prev is not None and prev is not var:
                raise SerializationError(
                    f"{where}: two different variables are both named {path!r}; rename one "
                    "(variables are matched by path, then name, when the graph is read "
                    "back)")
            var_names[path] = var
            entry = {"kind": "variable", "name": name, **_spec(n.outputs[0])}
            if path != name:
                entry["path"] = path
        elif n.kind == "op":
            refs = []
            for t in n.inputs:
                ref = out_index.get(id(t))
                if ref is None:
                    raise SerializationError(f"{where}: an input is not part of the graph")
                refs.append(list(ref))
            attrs = {str(a): _encode_attr(v, f"{where}, attribute {a!r}")
                     for a, v in n.attrs.items()}
            entry = {"kind": "op", "op": n.op.name, "name": n.name, "inputs": refs,
                     "attrs": attrs, "outputs": [_spec(t) for t in n.outputs]}
        else:
            raise SerializationError(f"{where}: unknown node kind {n.kind!r}")
        if entry.get("name") is None:
            entry.pop("name", None)
        nodes.append(entry)
    doc = {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "nodes": nodes,
        "inputs": [pos[id(t.node)] for t in graph.inputs],
        "outputs": [list(out_index[id(t)]) for t in graph.outputs],
        "in_tree": _tree_or_none(graph.in_tree),
        "out_tree": _tree_or_none(graph.out_tree),
    }
    try:
        return json.dumps(doc, allow_nan=False, indent=indent)
    except ValueError as exc:  # a NaN slipped through somewhere
        raise SerializationError(f"graph {graph.name!r}: cannot write as strict JSON: "
                                 f"{exc}") from None


# ---- reading --------------------------------------------------------------------------------
def _fail(where: str, msg: str) -> SerializationError:
    return SerializationError(f"graph JSON: {where}: {msg}")


def _type_name(v: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(v), "number")


def _get(d: dict, key: str, types: Any, where: str, required: bool = True,
         default: Any = None) -> Any:
    if key not in d:
        if required:
            raise _fail(where, f"missing key {key!r}")
        return default
    v = d[key]
    ok = isinstance(v, types) and not (isinstance(v, bool) and bool not in _as_tuple(types))
    if not ok:
        raise _fail(where, f"{key!r} must be {_names(types)}, got {_type_name(v)} {v!r:.60}")
    return v


def _as_tuple(types: Any) -> tuple:
    return types if isinstance(types, tuple) else (types,)


def _names(types: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", int: "an integer",
             float: "a number", bool: "a boolean", type(None): "null"}
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def _dtype(name: Any, where: str) -> Any:
    if not isinstance(name, str):
        raise _fail(where, f"dtype must be a string, got {_type_name(name)}")
    try:
        return _dt.canonicalize(name)
    except Exception:
        raise _fail(where, f"unknown dtype {name!r}") from None


def _shape(v: Any, where: str, allow_none: bool = True) -> tuple:
    if not isinstance(v, list):
        raise _fail(where, f"shape must be an array, got {_type_name(v)}")
    out = []
    for d in v:
        if d is None and allow_none:
            out.append(None)
        elif isinstance(d, int) and not isinstance(d, bool) and d >= 0:
            out.append(d)
        else:
            raise _fail(where, f"shape entries must be non-negative integers"
                               f"{' or null' if allow_none else ''}, got {d!r}")
    return tuple(out)


def _decode_attr(v: Any, where: str) -> Any:
    if v is None or isinstance(v, (bool, str, int)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, list):
        return tuple(_decode_attr(x, where) for x in v)
    if isinstance(v, dict):
        if set(v) == {"dtype"}:
            return _dtype(v["dtype"], where)
        if set(v) == {"float"} and v["float"] in _NONFINITE:
            return _NONFINITE[v["float"]]
        raise _fail(where, f"an attribute object must be {{'dtype': name}} or "
                           f"{{'float': 'inf'|'-inf'|'nan'}}, got {v!r:.80}")
    raise _fail(where, f"unsupported attribute value {v!r:.80}")


def _flatten_values(v: Any, shape: tuple, where: str) -> list:
    """Row-major values of a nested list that must have exactly ``shape``."""
    if not shape:
        if isinstance(v, list):
            raise _fail(where, "a 0-d constant must hold a single value, not an array")
        return [v]
    if 0 in shape:
        if v != []:
            raise _fail(where, f"a constant of shape {shape} (no elements) must store []")
        return []
    flat: list = []
    level = [v]
    for depth, n in enumerate(shape):
        nxt = []
        for item in level:
            if not isinstance(item, list) or len(item) != n:
                raise _fail(where, f"value does not have shape {shape} (at depth {depth})")
            nxt.extend(item)
        level = nxt
    for x in level:
        if isinstance(x, list):
            raise _fail(where, f"value has more dimensions than its shape {shape}")
        flat.append(x)
    return flat


def _scalar_for(x: Any, dtype: Any, where: str) -> Any:
    if dtype.kind == "f":
        if isinstance(x, str) and x in _NONFINITE:
            return _NONFINITE[x]
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            return float(x)
    elif dtype.kind == "b":
        if isinstance(x, bool):
            return x
    elif isinstance(x, int) and not isinstance(x, bool):
        if not dtype.min <= x <= dtype.max:
            raise _fail(where, f"value {x} is out of range for {dtype}")
        return x
    raise _fail(where, f"value {x!r:.40} is not a valid {dtype} element")


def _make_constant(entry: dict, where: str) -> SymbolicTensor:
    from ..backend_registry import current
    from ..ops._dispatch import wrap
    from .tracing import constant

    dtype = _dtype(_get(entry, "dtype", str, where), where)
    shape = _shape(_get(entry, "shape", list, where), where, allow_none=False)
    if "value" not in entry:
        raise _fail(where, "missing key 'value'")
    flat = [_scalar_for(x, dtype, where) for x in _flatten_values(entry["value"], shape, where)]
    be = current()
    try:
        data = be.from_flat(flat, shape, dtype)
    except Exception as exc:  # noqa: BLE001 - the file's fault, reported as such
        raise _fail(where, f"cannot build the constant: {type(exc).__name__}: {exc}") from None
    st = constant(wrap(data, shape, dtype, be))
    name = entry.get("name")
    if isinstance(name, str):
        st.node.name = name
    return st


def _resolve_variables(variables: Any) -> Any:
    if variables is None or (isinstance(variables, str) and variables == "inputs"):
        return variables
    if isinstance(variables, str):
        raise SerializationError(f"graph_from_json: variables= must be a mapping, a list of "
                                 f"Variables or 'inputs', got {variables!r}")
    if isinstance(variables, Mapping):
        return dict(variables)
    if isinstance(variables, Iterable):
        out: dict[str, Any] = {}
        items = list(variables)
        for v in items:
            name = getattr(v, "name", None)
            if not isinstance(name, str):
                raise SerializationError(f"graph_from_json: variables= holds {v!r}, which "
                                         "has no name")
            out.setdefault(name, v)
        for v in items:  # a path (layer/kernel) beats a bare name (kernel)
            path = getattr(v, "path", None)
            if isinstance(path, str):
                out[path] = v
        return out
    raise SerializationError(f"graph_from_json: variables= must be a mapping, a list of "
                             f"Variables or 'inputs', got {type(variables).__name__}")


def _decode_tree(v: Any, where: str) -> Any:
    from .tracing import LEAF

    if not isinstance(v, dict) or not isinstance(v.get("t"), str):
        raise _fail(where, f"a tree node must be an object with a 't' tag, got {v!r:.60}")
    tag = v["t"]
    if tag == "leaf":
        return LEAF
    if tag in ("list", "tuple"):
        items = _get(v, "items", list, where)
        return (tag, tuple(_decode_tree(x, where) for x in items))
    if tag == "dict":
        keys = _get(v, "keys", list, where)
        items = _get(v, "items", list, where)
        if len(keys) != len(items):
            raise _fail(where, "a dict tree has different numbers of keys and items")
        dkeys = tuple(_decode_attr(k, where) for k in keys)
        try:
            hash(dkeys)
        except TypeError:
            raise _fail(where, "dict tree keys must be hashable") from None
        return ("dict", dkeys, tuple(_decode_tree(x, where) for x in items))
    if tag == "static":
        if "value" not in v:
            raise _fail(where, "a static tree leaf needs a 'value'")
        return ("static", _decode_attr(v["value"], where))
    raise _fail(where, f"unknown tree tag {tag!r}")


def _count_leaves(s: Any) -> int:
    from .tracing import LEAF

    if s is LEAF:
        return 1
    tag = s[0]
    if tag in ("list", "tuple"):
        return sum(_count_leaves(x) for x in s[1])
    if tag == "dict":
        return sum(_count_leaves(x) for x in s[2])
    return 0


def graph_from_json(text: str | bytes, variables: Any = None) -> Graph:
    """Rebuild a graph written by :func:`graph_to_json`. Constants are created on the
    current backend. ``variables``: see the module docstring. Never runs code from the
    file; anything wrong with it raises :class:`SerializationError`."""
    try:
        return _graph_from_json(text, variables)
    except RecursionError:
        raise SerializationError("graph JSON: nested too deeply") from None


def _graph_from_json(text: str | bytes, variables: Any) -> Graph:
    from ..ops._dispatch import get_op
    from .tracing import placeholder, symbolic_apply

    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SerializationError(f"graph JSON: not UTF-8 text: {exc}") from None
    if not isinstance(text, str):
        raise SerializationError(f"graph JSON: expected text, got {type(text).__name__}")

    def _reject_constant(name: str) -> Any:
        raise SerializationError(f"graph JSON: {name} is not valid JSON (use strict JSON)")

    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except SerializationError:
        raise
    except ValueError as exc:  # JSONDecodeError, or an integer too long to read
        raise SerializationError(f"graph JSON: malformed JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise _fail("top level", f"expected an object, got {_type_name(doc)}")
    fmt = doc.get("format")
    if fmt != FORMAT:
        raise _fail("top level", f"'format' must be {FORMAT!r}, got {fmt!r:.60}")
    version = _get(doc, "version", int, "top level")
    if version > VERSION or version < 1:
        raise _fail("top level", f"version {version} is not supported (this tensorweave "
                                 f"reads version {VERSION})")
    gname = _get(doc, "name", str, "top level", required=False, default="graph")
    entries = _get(doc, "nodes", list, "top level")
    bound = _resolve_variables(variables)

    made: list[Node] = []
    var_inputs: list[SymbolicTensor] = []
    unbound: list[str] = []

    def ref(r: Any, where: str) -> SymbolicTensor:
        if not (isinstance(r, list) and len(r) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in r)):
            raise _fail(where, f"a reference must be [node, output], got {r!r:.60}")
        k, i = r
        if not 0 <= k < len(made):
            raise _fail(where, f"reference to node {k}, which is not an earlier node "
                               f"(dangling or cyclic edge)")
        outs = made[k].outputs
        if not 0 <= i < len(outs):
            raise _fail(where, f"reference to output {i} of node {k}, which has "
                               f"{len(outs)} output(s)")
        return outs[i]

    for k, entry in enumerate(entries):
        where = f"node {k}"
        if not isinstance(entry, dict):
            raise _fail(where, f"expected an object, got {_type_name(entry)}")
        kind = _get(entry, "kind", str, where)
        name = _get(entry, "name", (str, type(None)), where, required=False)
        if kind == "input":
            shape = _shape(_get(entry, "shape", list, where), where)
            dtype = _dtype(_get(entry, "dtype", str, where), where)
            st = placeholder(shape, dtype, name=name)
        elif kind == "const":
            st = _make_constant(entry, where)
        elif kind == "variable":
            if name is None:
                raise _fail(where, "a variable node needs a 'name'")
            path = _get(entry, "path", str, where, required=False, default=name)
            shape = _shape(_get(entry, "shape", list, where), where, allow_none=False)
            dtype = _dtype(_get(entry, "dtype", str, where), where)
            if bound == "inputs":
                st = placeholder(shape, dtype, name=path)
                var_inputs.append(st)
            elif bound is None:
                unbound.append(path)
                st = placeholder(shape, dtype, name=path)  # reported after the loop
            else:
                var = bound.get(path, bound.get(name))
                if var is None:
                    raise _fail(where, f"variable {path!r} is not among the variables given "
                                       f"({', '.join(sorted(bound)) or 'none'})")
                vshape = tuple(getattr(var, "shape", ()))
                vdtype = getattr(var, "dtype", None)
                if vshape != shape or vdtype is not dtype:
                    raise _fail(where, f"variable {name!r} has shape {vshape} and dtype "
                                       f"{vdtype}, the graph expects {shape} {dtype}")
                node = Node("variable", value=var, name=getattr(var, "name", name))
                st = SymbolicTensor(node, 0, shape, dtype)
                node.outputs = [st]
        elif kind == "op":
            op_name = _get(entry, "op", str, where)
            where = f"node {k} ({op_name})"
            try:
                op = get_op(op_name)
            except KeyError:
                raise _fail(where, f"unknown op {op_name!r} (not registered; an op from a "
                                   "plugin needs that plugin loaded)") from None
            refs = _get(entry, "inputs", list, where)
            args = tuple(ref(r, where) for r in refs)
            raw_attrs = _get(entry, "attrs", dict, where, required=False, default={})
            attrs = {a: _decode_attr(v, f"{where}, attribute {a!r}")
                     for a, v in raw_attrs.items()}
            try:
                res = symbolic_apply(op, args, attrs)
            except SerializationError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bad file, reported as such
                raise _fail(where, f"the op rejects its inputs or attributes: "
                                   f"{type(exc).__name__}: {exc}") from None
            outs = list(res) if op.multi_output else [res]
            st = outs[0]
            if name is not None:
                st.node.name = name
            specs = _get(entry, "outputs", list, where, required=False)
            if specs is not None:
                if len(specs) != len(outs):
                    raise _fail(where, f"the file lists {len(specs)} outputs, the op has "
                                       f"{len(outs)}")
                for i, (s, t) in enumerate(zip(specs, outs)):
                    if not isinstance(s, dict):
                        raise _fail(where, f"output {i} spec must be an object")
                    want = (_shape(_get(s, "shape", list, where), where),
                            _dtype(_get(s, "dtype", str, where), where))
                    if want != (tuple(t.shape), t.dtype):
                        raise _fail(where, f"output {i}: the file says shape {want[0]} "
                                           f"dtype {want[1]}, the op's shape rule gives "
                                           f"{tuple(t.shape)} {t.dtype}")
        else:
            raise _fail(where, f"unknown node kind {kind!r} (expected input, const, "
                               "variable or op)")
        made.append(st.node)

    if unbound:
        raise SerializationError(
            f"graph JSON: the graph reads variable(s) {', '.join(map(repr, unbound))}, whose "
            "values are not stored in the file; pass variables={name: Variable} to bind them, "
            "or variables='inputs' to read them as extra graph inputs")

    in_pos = _get(doc, "inputs", list, "top level")
    inputs: list[SymbolicTensor] = []
    for p in in_pos:
        if not (isinstance(p, int) and not isinstance(p, bool) and 0 <= p < len(made)):
            raise _fail("inputs", f"{p!r} is not a node position")
        if made[p].kind != "input" or any(made[p] is t.node for t in var_inputs):
            raise _fail("inputs", f"node {p} is a {made[p].kind} node, not an input")
        t = made[p].outputs[0]
        if any(t is s for s in inputs):
            raise _fail("inputs", f"node {p} is listed twice")
        inputs.append(t)
    outputs = [ref(r, "outputs") for r in _get(doc, "outputs", list, "top level")]
    try:
        graph = Graph(inputs + var_inputs, outputs, name=gname)
    except Exception as exc:  # noqa: BLE001 - e.g. an input node not listed in 'inputs'
        raise _fail("top level", f"{type(exc).__name__}: {exc}") from None
    for key in ("in_tree", "out_tree"):
        raw = doc.get(key)
        tree = None if raw is None else _decode_tree(raw, key)
        setattr(graph, key, tree)
    if graph.in_tree is not None:
        n = _count_leaves(graph.in_tree)
        if n != len(inputs):
            raise _fail("in_tree", f"has {n} array leaves but the graph has {len(inputs)} "
                                   "inputs")
    if graph.out_tree is not None:
        n = _count_leaves(graph.out_tree)
        if n != len(outputs):
            raise _fail("out_tree", f"has {n} array leaves but the graph has {len(outputs)} "
                                    "outputs")
    graph.variable_inputs = [t.node.name for t in var_inputs]  # type: ignore[attr-defined]
    return graph
