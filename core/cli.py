"""The ``tensorweave`` command (also ``python -m tensorweave``).

``tensorweave info``
    Version, Python, every backend found (available or not, and why), its device, how many
    primitive kernels it lacks, the current backend and where that choice came from, and
    the loaded plugins. It never fails because one backend or plugin is broken: that is
    exactly what it is there to show.
``tensorweave conformance --backend NAME [--reference python] [--ops a,b] [--json] [--grad]``
    Runs the conformance kit (:mod:`tensorweave.testing`) and prints one line per op
    (pass/fail, cases, kernel or decomposition, largest errors), the failing cases and a
    summary; ``--json`` prints a machine-readable report instead. ``--grad`` adds a second
    table: gradients against finite differences, ``jit`` against eager, graph JSON round
    trips (in JSON: the key ``"gradients"``). Exit status 0 when everything passes, 1 when
    anything fails, 2 when the run could not start (unknown or unavailable backend,
    unknown op).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["main", "build_parser"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tensorweave",
        description="tensorweave: backends, plugins and the conformance kit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("info", help="versions, backends (and why one cannot run), plugins")
    conf = sub.add_parser(
        "conformance", help="check a backend op by op against the reference backend",
        description="Run the conformance cases of tensorweave.testing on one backend and "
                    "compare every result with the reference backend.")
    conf.add_argument("--backend", required=True, metavar="NAME",
                      help="the backend to check (an entry point of tensorweave.backends)")
    conf.add_argument("--reference", default="python", metavar="NAME",
                      help="the backend to compare with (default: python)")
    conf.add_argument("--ops", default=None, metavar="OP[,OP...]",
                      help="only the cases of these ops/functions (comma separated)")
    conf.add_argument("--json", action="store_true",
                      help="print a machine-readable JSON report instead of the table")
    conf.add_argument("--quiet", action="store_true",
                      help="print only failing ops and the summary line")
    conf.add_argument("--grad", action="store_true",
                      help="also check gradients against finite differences (float64), "
                           "jit against eager and graph JSON round trips (a second table; "
                           "--ops filters it too, rows 'jit' and 'graph_json' included)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tensorweave`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "info":
        return _info(sys.stdout)
    if args.command == "conformance":
        return _conformance(args, sys.stdout)
    parser.print_help(sys.stdout)
    return EXIT_USAGE


# ---- info ------------------------------------------------------------------------------------
def _safe(fn: Any, *args: Any) -> tuple[Any, str | None]:
    try:
        return fn(*args), None
    except Exception as exc:  # noqa: BLE001 - info reports problems, it does not stop
        return None, f"{type(exc).__name__}: {exc}"


def _info(out: TextIO) -> int:
    import tensorweave
    from tensorweave import backend_registry as reg
    from tensorweave.ops import primitives

    w = out.write
    w(f"tensorweave {tensorweave.__version__}\n")
    w(f"Python {platform.python_version()} ({platform.python_implementation()}) on "
      f"{platform.system() or sys.platform} {platform.machine()}\n")
    prims = primitives()
    w("\nbackends:\n")
    infos, err = _safe(reg.list_backends)
    for info in infos or []:
        if not info.available:
            w(f"  {info.name:<10} unavailable: {info.reason}\n")
            continue
        be, err_be = _safe(reg.get_backend, info.name)
        if be is None:
            w(f"  {info.name:<10} unavailable: {err_be}\n")
            continue
        device, err_dev = _safe(be.device_description)
        missing = [p for p in prims if not _has_kernel(be, p)]
        w(f"  {info.name:<10} available    device: {device or err_dev}\n")
        if missing:
            shown = ", ".join(missing[:12]) + (" ..." if len(missing) > 12 else "")
            w(f"  {'':<10} missing primitive kernels: {len(missing)} of {len(prims)} "
              f"({shown})\n")
        else:
            w(f"  {'':<10} missing primitive kernels: 0 of {len(prims)}\n")
    if err:
        w(f"  (listing backends failed: {err})\n")
    name, err_cur = _safe(reg.backend)
    source, _ = _safe(reg.selection_source)
    if name is None:
        w(f"\ncurrent backend: none ({err_cur})\n")
    else:
        w(f"\ncurrent backend: {name} (chosen by: {source})\n")
    _plugins(out)
    return EXIT_OK


def _has_kernel(be: Any, op: str) -> bool:
    try:
        return bool(be.has_kernel(op))
    except Exception:  # noqa: BLE001
        return False


def _plugins(out: TextIO) -> None:
    import tensorweave

    w = out.write
    plugins_info = getattr(tensorweave, "plugins_info", None)
    if plugins_info is None:
        w("\nplugins: none loaded\n")
        return
    infos, err = _safe(plugins_info)
    if err is not None:
        w(f"\nplugins: could not be listed ({err})\n")
        return
    infos = list(infos or [])
    if not infos:
        w("\nplugins: none loaded\n")
    else:
        w(f"\nplugins ({len(infos)}):\n")
        for p in infos:
            w(f"  {_plugin_line(p)}\n")
            for problem in getattr(p, "warnings", None) or ():
                w(f"    warning: {problem}\n")
    failures = _plugin_failures()
    for name, why in failures.items():
        w(f"  FAILED {name}: {why}\n")


#: a plugin contributing at most this many names of a kind has them listed by name
_LIST_NAMES_UP_TO = 8


def _plugin_line(p: Any) -> str:
    """``name (built-in|third-party, version): what it contributes``; third-party plugins
    list their names (that is what a user looks for), built-ins give counts."""
    name = getattr(p, "name", None)
    if name is None:
        return str(p)
    builtin = getattr(p, "builtin", False)
    tags = ["built-in" if builtin else "third-party"]
    version = getattr(p, "version", "")
    if version:
        tags.append(version)
    contrib = getattr(p, "contributions", None) or {}
    parts = []
    for kind, names in contrib.items():
        if not names:
            continue
        if builtin or len(names) > _LIST_NAMES_UP_TO:
            parts.append(f"{len(names)} {kind}")
        else:
            parts.append(f"{kind} {', '.join(names)}")
    what = "; ".join(parts) if not builtin else ", ".join(parts)
    return f"{name} ({', '.join(tags)})" + (f": {what}" if what else ": nothing registered")


def _plugin_failures() -> dict[str, str]:
    mod = sys.modules.get("tensorweave.plugin_manager")
    fn = getattr(mod, "failures", None) if mod is not None else None
    if fn is None:
        return {}
    got, _ = _safe(fn)
    return dict(got or {})


# ---- conformance -----------------------------------------------------------------------------
def _conformance(args: argparse.Namespace, out: TextIO) -> int:
    from tensorweave.errors import TensorweaveError
    from tensorweave.testing.runner import run_conformance

    ops = None
    if args.ops:
        ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    grad_report = None
    run_values = True
    value_ops = ops
    try:
        if getattr(args, "grad", False):
            value_ops, run_values = _split_grad_ops(ops)
        report = run_conformance(args.backend, reference=args.reference, ops=value_ops) \
            if run_values else None
        if getattr(args, "grad", False):
            from tensorweave.testing.runner import run_gradient_conformance

            grad_report = run_gradient_conformance(args.backend, ops=ops)
    except TensorweaveError as exc:
        if args.json:
            out.write(json.dumps({"ok": False, "backend": args.backend,
                                  "reference": args.reference, "error": str(exc)},
                                 indent=2) + "\n")
        else:
            sys.stderr.write(f"tensorweave conformance: {exc}\n")
        return EXIT_USAGE
    reports = [r for r in (report, grad_report) if r is not None]
    if args.json:
        doc = report.to_dict() if report is not None else {
            "backend": grad_report.backend, "reference": args.reference}
        if grad_report is not None:
            doc["gradients"] = grad_report.to_dict()
            doc["ok"] = all(r.ok for r in reports)
        out.write(json.dumps(doc, indent=2) + "\n")
    elif args.quiet:
        for rep in reports:
            for row in rep.rows:
                if not row.ok:
                    out.write(f"{row.op}: {row.status}\n")
                    for f in row.failures:
                        out.write(f"  {f.case}: {f.message}\n")
            out.write(rep.summary() + "\n")
    else:
        if report is not None:
            out.write(f"conformance of backend {report.backend!r} against reference "
                      f"{report.reference!r}\n\n")
            out.write(report.format_table() + "\n")
        if grad_report is not None:
            out.write(("\n" if report is not None else "") +
                      f"gradients of backend {grad_report.backend!r} against "
                      f"{grad_report.reference}, jit and graph JSON\n\n")
            out.write(grad_report.format_table() + "\n")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_FAILED


def _split_grad_ops(ops: list[str] | None) -> tuple[list[str] | None, bool]:
    """With ``--grad``: the ``--ops`` names that have value cases (the rest may name only
    gradient rows, e.g. ``jit``), and whether a value run is left at all. A name known to
    neither catalog is an error."""
    if ops is None:
        return None, True
    from tensorweave.errors import InvalidArgumentError
    from tensorweave.testing.cases import all_cases
    from tensorweave.testing.gradcheck import grad_cases

    value_known = {c.op for c in all_cases()}
    grad_known = {c.op for c in grad_cases()} | {"jit", "graph_json"}
    unknown = [o for o in ops if o not in value_known and o not in grad_known]
    if unknown:
        raise InvalidArgumentError(
            f"no conformance or gradient cases for {', '.join(unknown)}")
    value_ops = [o for o in ops if o in value_known]
    return value_ops, bool(value_ops)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
