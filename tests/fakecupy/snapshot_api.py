"""Snapshot the public API of a real CuPy install into ``cupy_api.json``.

Run once, against real CuPy (no GPU needed: only names, signatures and ufunc loop tables
are read), whenever the fake should track a new CuPy release::

    /path/to/venv-with-cupy/bin/python tests/fakecupy/snapshot_api.py

The committed ``cupy_api.json`` was produced with CuPy 14.2.0 (NumPy 2.4). The fake CuPy
(``tests/fakecupy/cupy``) exposes exactly the names recorded here, and checks every call
against the recorded Python-level signature.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
from pathlib import Path

MODULES = ["cupy", "cupy.linalg", "cupy.lib.stride_tricks", "cupy.random", "cupy.fft",
           "cupy.cuda", "cupy.cuda.runtime", "cupyx", "cupyx.scipy.special"]


def _doc_signature(obj) -> str | None:
    """Cython functions embed ``name(args) -> ret`` as the first docstring line."""
    doc = (getattr(obj, "__doc__", None) or "").strip().splitlines()
    if not doc:
        return None
    m = re.match(r"^[\w.]+\((.*)\)(\s*->.*)?$", doc[0].strip())
    if not m:
        return None
    params = []
    for p in _split(m.group(1)):
        p = p.strip().replace("\\*", "*")
        if not p:
            continue
        if p in ("*", "/") or p.startswith("*"):
            params.append(p)
            continue
        # Cython typed parameters: "tuple max_version=None" -> "max_version=None"
        name, eq, default = p.partition("=")
        name = name.split()[-1]
        params.append(name + (eq + default.strip() if eq else ""))
    sig = "(" + ", ".join(params) + ")"
    try:
        ns: dict = {}
        exec(f"def _f{sig}: pass", {}, ns)  # validates the text as a signature
    except Exception:
        return None
    return sig


def _split(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    out.append(cur)
    return out


def _signature(obj) -> str | None:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return _doc_signature(obj)
    sig = sig.replace(parameters=[p.replace(annotation=inspect.Parameter.empty)
                                  for p in sig.parameters.values()],
                      return_annotation=inspect.Signature.empty)
    text = str(sig)
    try:
        exec(f"def _f{text}: pass", {}, {})
    except Exception:  # defaults whose repr is not valid Python (<object ...>)
        text = re.sub(r"=<[^>]*>", "=None", text)
    return text


def describe(name: str, obj) -> dict:
    import cupy
    import numpy

    if inspect.ismodule(obj):
        return {"kind": "module", "module": obj.__name__}
    if isinstance(obj, cupy.ufunc):
        return {"kind": "ufunc", "nin": obj.nin, "nout": obj.nout, "types": list(obj.types),
                "scatter_op": getattr(obj, "_scatter_op", None)}
    if isinstance(obj, type):
        if issubclass(obj, numpy.generic):
            return {"kind": "scalar_type", "numpy": obj.__name__}
        return {"kind": "class"}
    if isinstance(obj, (bool, int, float, str)) or obj is None:
        return {"kind": "constant", "value": obj}
    if callable(obj):
        return {"kind": "function", "sig": _signature(obj), "type": type(obj).__name__}
    return {"kind": "other", "type": type(obj).__name__}


def main() -> None:
    import cupy
    import numpy

    api: dict = {"cupy_version": cupy.__version__, "numpy_version": numpy.__version__,
                 "modules": {}, "ndarray": {}, "ufunc_methods": {}}
    for modname in MODULES:
        mod = importlib.import_module(modname)
        names = {}
        for name in sorted(dir(mod)):
            if name.startswith("_") and name not in ("__version__",):
                continue
            try:
                obj = getattr(mod, name)
            except Exception:
                continue
            names[name] = describe(name, obj)
        api["modules"][modname] = names
    for name in sorted(dir(cupy.ndarray)):
        if name.startswith("__") and name not in ("__dlpack__", "__dlpack_device__",
                                                  "__array__", "__cuda_array_interface__"):
            continue
        if name.startswith("_") and not name.startswith("__"):
            continue
        obj = getattr(cupy.ndarray, name)
        if callable(obj):
            api["ndarray"][name] = {"kind": "method", "sig": _signature(obj)}
        else:
            api["ndarray"][name] = {"kind": "attribute"}
    for meth in ("at", "reduce", "accumulate", "outer", "reduceat"):
        api["ufunc_methods"][meth] = _signature(getattr(cupy.add, meth))
    out = Path(__file__).with_name("cupy_api.json")
    out.write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")
    print(f"wrote {out} ({sum(len(v) for v in api['modules'].values())} names)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
