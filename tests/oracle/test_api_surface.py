"""API surface against real Keras 3: every public name, its parameter names and defaults.

For each Keras module (``keras.ops`` and its submodules, ``keras.layers``, ...), every
public name must exist in the matching tensorweave namespace or stand in
``keras_exclusions.py`` with its reason. For a name present on both sides, Keras's
parameters must be accepted by ours: the same names at the same positions, and the same
defaults (a Keras user passes them positionally and relies on the defaults). The same
holds for the public methods and properties of ``Model`` and ``Layer``. The parity table
(present / excluded / missing per module) is printed at the end of the run.
"""

from __future__ import annotations

import inspect
import math
import types
from typing import Any

import keras_exclusions as excl  # noqa: E402  (this folder is on sys.path: rootdir-less tests)
import pytest

import tensorweave as tw

#: The Keras modules compared, as dotted paths below ``keras`` / ``tensorweave``.
MODULES = ["ops", "ops.image", "ops.linalg", "ops.nn", "ops.numpy", "layers", "losses",
           "metrics", "optimizers", "optimizers.schedules", "callbacks", "activations",
           "initializers", "regularizers", "constraints", "utils", "saving", "models",
           "random", "datasets"]

#: Filled by the tests, printed by conftest's terminal summary.
PARITY: dict[str, dict[str, Any]] = {}


def _resolve(root: Any, dotted: str) -> Any:
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _public(module: Any) -> list[str]:
    return sorted(n for n in dir(module) if not n.startswith("_"))


def _exclusions(dotted: str) -> dict[str, str]:
    return excl.NAMES.get(dotted, {})


def _names_report(keras: Any, dotted: str) -> dict[str, Any]:
    km, tm = _resolve(keras, dotted), _resolve(tw, dotted)
    names = [n for n in _public(km) if not isinstance(getattr(km, n), types.ModuleType)
             or dotted == "datasets"]
    excluded = _exclusions(dotted)
    present = [n for n in names if tm is not None and hasattr(tm, n)]
    missing = [n for n in names if n not in present and n not in excluded]
    stale = [n for n in excluded if n in present]
    unknown = [n for n in excluded if n not in names]
    report = {"keras": len(names), "present": len(present),
              "excluded": len([n for n in names if n in excluded and n not in present]),
              "missing": missing, "stale": stale, "unknown": unknown, "present_names": present}
    PARITY[dotted] = report
    return report


@pytest.mark.parametrize("dotted", MODULES)
def test_public_names(keras: Any, dotted: str) -> None:
    report = _names_report(keras, dotted)
    problems = []
    if report["missing"]:
        problems.append(f"missing in tensorweave.{dotted} (add them, or list them in "
                        f"keras_exclusions.py with the reason): {report['missing']}")
    if report["stale"]:
        problems.append(f"listed as excluded but present now (remove from the list): "
                        f"{report['stale']}")
    if report["unknown"]:
        problems.append(f"excluded names Keras does not have: {report['unknown']}")
    assert not problems, "\n".join(problems)


# ---- signatures ---------------------------------------------------------------------
_PLAIN = (type(None), bool, int, float, str, tuple, list, dict)


def _same_default(theirs: Any, ours: Any) -> bool:
    if not isinstance(theirs, _PLAIN):
        return True  # a sentinel object or a callable: nothing a user passes by value
    if isinstance(theirs, bool) or isinstance(ours, bool):
        return type(theirs) is type(ours) and theirs == ours
    if isinstance(theirs, float) and isinstance(ours, (int, float)):
        return (math.isclose(theirs, ours, rel_tol=1e-12)
                or (math.isnan(theirs) and math.isnan(ours)))
    if isinstance(theirs, (tuple, list)) and isinstance(ours, (tuple, list)):
        return len(theirs) == len(ours) and all(map(_same_default, theirs, ours))
    try:
        return bool(theirs == ours)
    except Exception:  # noqa: BLE001
        return False


def _callable_target(obj: Any) -> Any:
    if inspect.isclass(obj):
        return obj.__init__
    return obj


def _signature(obj: Any) -> inspect.Signature | None:
    try:
        return inspect.signature(_callable_target(obj))
    except (TypeError, ValueError):
        return None


def signature_problems(theirs_obj: Any, ours_obj: Any) -> list[str]:
    """Why a Keras call would not bind to ours the same way (empty when compatible)."""
    theirs, ours = _signature(theirs_obj), _signature(ours_obj)
    if theirs is None or ours is None:
        return []
    t_params = [p for p in theirs.parameters.values() if p.name not in ("self", "cls")]
    o_params = [p for p in ours.parameters.values() if p.name not in ("self", "cls")]
    o_by_name = {p.name: p for p in o_params}
    o_positional = [p for p in o_params if p.kind in (p.POSITIONAL_ONLY,
                                                       p.POSITIONAL_OR_KEYWORD)]
    o_varargs = any(p.kind == p.VAR_POSITIONAL for p in o_params)
    problems = []
    for i, p in enumerate(t for t in t_params if t.kind in (t.POSITIONAL_ONLY,
                                                             t.POSITIONAL_OR_KEYWORD)):
        if i < len(o_positional):
            q = o_positional[i]
            if p.kind != p.POSITIONAL_ONLY and q.name != p.name:
                problems.append(f"position {i}: Keras {p.name!r}, ours {q.name!r}")
                continue
        elif not o_varargs:
            problems.append(f"position {i} ({p.name!r}): ours takes only "
                            f"{len(o_positional)} positional arguments")
            continue
        else:
            q = o_by_name.get(p.name)
        if q is not None and p.default is not p.empty:
            if q.default is q.empty:
                problems.append(f"{p.name!r}: Keras default {p.default!r}, ours required")
            elif not _same_default(p.default, q.default):
                problems.append(f"{p.name!r}: Keras default {p.default!r}, ours {q.default!r}")
    for p in t_params:
        if p.kind != p.KEYWORD_ONLY:
            continue
        q = o_by_name.get(p.name)
        if q is None or q.kind in (q.POSITIONAL_ONLY, q.VAR_POSITIONAL, q.VAR_KEYWORD):
            problems.append(f"keyword {p.name!r} missing")
        elif p.default is not p.empty:
            if q.default is q.empty:
                problems.append(f"{p.name!r}: Keras default {p.default!r}, ours required")
            elif not _same_default(p.default, q.default):
                problems.append(f"{p.name!r}: Keras default {p.default!r}, ours {q.default!r}")
    return problems


def _signature_mismatches(pairs: list[tuple[str, Any, Any]]) -> dict[str, list[str]]:
    out = {}
    for key, theirs, ours in pairs:
        if key in excl.SIGNATURES:
            continue
        problems = signature_problems(theirs, ours)
        if problems:
            out[key] = problems
    return out


@pytest.mark.parametrize("dotted", MODULES)
def test_signatures(keras: Any, dotted: str) -> None:
    km, tm = _resolve(keras, dotted), _resolve(tw, dotted)
    if tm is None:
        pytest.skip(f"tensorweave.{dotted} does not exist (reported by test_public_names)")
    pairs = [(f"{dotted}.{n}", getattr(km, n), getattr(tm, n)) for n in _public(km)
             if hasattr(tm, n) and callable(getattr(km, n))
             and not isinstance(getattr(km, n), types.ModuleType)]
    bad = _signature_mismatches(pairs)
    PARITY.setdefault(dotted, {})["signature_mismatches"] = len(bad)
    assert not bad, "parameters that differ from Keras's:\n" + "\n".join(
        f"  {k}: {'; '.join(v)}" for k, v in sorted(bad.items()))


def _class_api(keras: Any, name: str) -> tuple[Any, Any]:
    return {"Model": (keras.Model, tw.Model), "Layer": (keras.Layer, tw.layers.Layer)}[name]


@pytest.mark.parametrize("cls", ["Model", "Layer"])
def test_class_api(keras: Any, cls: str) -> None:
    theirs, ours = _class_api(keras, cls)
    names = _public(theirs)
    excluded = _exclusions(cls)
    present = [n for n in names if hasattr(ours, n)]
    missing = [n for n in names if n not in present and n not in excluded]
    PARITY[cls] = {"keras": len(names), "present": len(present),
                   "excluded": len([n for n in names if n in excluded and n not in present]),
                   "missing": missing, "present_names": present}
    pairs = []
    for n in present:
        t_attr = inspect.getattr_static(theirs, n)
        o_attr = inspect.getattr_static(ours, n)
        if isinstance(t_attr, (property, staticmethod, classmethod)) or not callable(t_attr):
            continue
        if callable(o_attr) and not isinstance(o_attr, property):
            pairs.append((f"{cls}.{n}", getattr(theirs, n), getattr(ours, n)))
    bad = _signature_mismatches(pairs)
    PARITY[cls]["signature_mismatches"] = len(bad)
    problems = []
    if missing:
        problems.append(f"missing on tensorweave's {cls}: {missing}")
    stale = [n for n in excluded if n in present]
    if stale:
        problems.append(f"listed as excluded but present now: {stale}")
    if bad:
        problems.append("parameters that differ from Keras's:\n" + "\n".join(
            f"  {k}: {'; '.join(v)}" for k, v in sorted(bad.items())))
    assert not problems, "\n".join(problems)


def parity_table() -> str:
    """The parity table of this run, one row per module."""
    rows = [f"{'module':<22}{'keras':>6}{'present':>9}{'excluded':>10}{'missing':>9}"
            f"{'sig. diff':>10}"]
    for dotted, r in PARITY.items():
        if "keras" not in r:
            continue
        rows.append(f"{dotted:<22}{r['keras']:>6}{r['present']:>9}{r['excluded']:>10}"
                    f"{len(r['missing']):>9}{r.get('signature_mismatches', '-'):>10}")
    return "\n".join(rows)
