"""``tw.saving``: safe model files.

``model.save(path)`` writes one file, whatever its name (``.tw``, and ``.keras`` / ``.h5``
from existing code too, with a one-time warning): a ZIP (stored, not compressed) holding

* ``metadata.json`` — format name and version, tensorweave version, backend, date;
* ``config.json`` — the architecture (registered class names and constructor
  arguments, as plain JSON), a ``build_config`` for subclassed models and the
  ``compile_config`` (optimizer, loss, metrics and loss weights, by registered name);
* ``model.weights.safetensors`` — every model variable, in ``model.weights`` order;
* ``optimizer.safetensors`` — the optimizer state (iterations, learning rate, slots such
  as Adam's moments), so ``fit(..., initial_epoch=k)`` continues the same trajectory.

Safety (user-needs C3): loading reads only JSON and raw tensor bytes. Nothing is
unpickled, evaluated or imported; classes are found only in the plugin registries, the
registered custom objects (:func:`register_keras_serializable`) or ``custom_objects``; a
name that looks like a module path is refused. A ``Lambda`` layer is refused unless the
caller passes ``safe_mode=False`` *and* the function itself in ``custom_objects`` — the
file can only name it. Nothing in the file can turn safe mode off.

Integrity: writes are atomic (a temporary file, fsync, rename: an interrupted save leaves
the previous file). Every member is CRC-checked by the ZIP reader and every tensor file
carries a SHA-256, so a damaged file raises :class:`~tensorweave.errors.SerializationError`
and never loads different numbers. A failed load leaves the model passed to
:func:`load_weights` exactly as it was.

Compatibility: ``format_version`` is 1. A reader accepts files of its own version or
older; a newer file is refused with a message naming the version.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError, SerializationError, TensorweaveError
from . import safetensors
from .atomic import write_atomic
from .config import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    deserialize_layer,
    deserialize_model,
    functional_config,
    functional_from_config,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
    registered_name,
    safe_mode_scope,
    serialize_keras_object,
    serialize_layer,
    serialize_model,
)
from .file_editor import KerasFileEditor

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_json",
           "register_keras_serializable", "register_serializable", "serialize_layer",
           "deserialize_layer", "serialize_model", "deserialize_model", "functional_config",
           "functional_from_config", "get_registered_object", "registered_name",
           "custom_object_scope", "CustomObjectScope", "FORMAT_VERSION", "get_custom_objects",
           "get_registered_name", "serialize_keras_object", "deserialize_keras_object",
           "KerasFileEditor"]

FORMAT_VERSION = 1
_MAGIC = "tensorweave-model"
_WEIGHTS = "model.weights.safetensors"
_OPTIMIZER = "optimizer.safetensors"
_MAX_JSON = 64 * 1024 * 1024
_LEGACY_SUFFIXES: dict[str, str] = {}
_KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
_warned: set[str] = set()


def _user_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside tensorweave."""
    import sys

    roots = [str(Path(__file__).resolve().parents[1])]  # the tensorweave package (core/)
    plugins = sys.modules.get("tensorweave.plugins")
    if plugins is not None and getattr(plugins, "__file__", None):
        roots.append(str(Path(plugins.__file__).resolve().parent))
    prefixes = tuple(r + os.sep for r in roots)
    frame = sys._getframe(1)
    level = 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(prefixes):
        frame = frame.f_back
        level += 1
    return level


def _warn_once(key: str, message: str) -> None:
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, UserWarning, stacklevel=_user_stacklevel())


def _fspath(filepath: Any, where: str) -> Path:
    try:
        return Path(os.fspath(filepath))
    except TypeError:
        raise InvalidArgumentError(f"{where}: expected a file path (str or os.PathLike), got "
                                   f"{type(filepath).__name__}") from None


def _legacy_suffix_warning(path: Path, what: str) -> None:
    kind = _LEGACY_SUFFIXES.get(path.suffix.lower())
    if kind is not None:
        _warn_once(f"{what}{path.suffix.lower()}",
                   f"{what}({path.name!r}): tensorweave writes its own safe format ("
                   f"{'a ZIP of JSON and safetensors' if what == 'save' else 'safetensors'}), "
                   f"not {kind}, whatever the file name; tensorweave loads it back by "
                   f"content. Name it {'.tw' if what == 'save' else '.safetensors'} to "
                   "silence this warning.")


# ---- tensors ---------------------------------------------------------------------------------
def _tensor_bytes(variables: list, prefix: str) -> bytes:
    import numpy as np

    tensors: dict[str, Any] = {}
    paths = []
    for i, v in enumerate(variables):
        arr = np.asarray(v.numpy())
        if getattr(v.dtype, "name", str(v.dtype)) == "bfloat16":
            tensors[f"{prefix}/{i:05d}"] = ((arr.astype(np.float32).view(np.uint32) >> 16)
                                            .astype(np.uint16), "bfloat16")
        else:
            tensors[f"{prefix}/{i:05d}"] = arr
        paths.append(str(getattr(v, "path", None) or v.name))
    return safetensors.dumps(tensors, {"paths": json.dumps(paths), "format": _MAGIC,
                                       "count": str(len(variables))})


def _read_tensors(data: bytes, prefix: str, where: str) -> list:
    """The arrays ``prefix/00000``, ``prefix/00001`` ... in order; any other layout (a
    missing, extra or renamed entry) is an error."""
    arrays, _meta = safetensors.loads(data)
    keys = sorted(arrays)
    want = [f"{prefix}/{i:05d}" for i in range(len(keys))]
    if keys != want:
        odd = sorted(set(keys) ^ set(want))[:3]
        raise SerializationError(f"{where}: the tensor file's entries are not "
                                 f"{prefix}/00000 ... (unexpected: {odd}); is it a tensorweave "
                                 "weights file?")
    return [arrays[k] for k in keys]


def _tensor_paths(data: bytes) -> list[str] | None:
    """The variable paths a tensor file records (``None`` when absent or malformed)."""
    try:
        _arrays, meta = safetensors.loads(data)
        paths = json.loads(meta.get("paths", "null"))
    except (TensorweaveError, ValueError, TypeError):
        return None
    return paths if isinstance(paths, list) and all(isinstance(p, str) for p in paths) \
        else None


def _legacy_layout(model: Any) -> list[tuple[Any, bool]]:
    """``model``'s variables in the order of files written while stateful RNN states were
    weights: every layer's weights in ``model.weights`` order, each stateful layer's
    state variables right after the weights of its own sub-layers (they were held by a
    sub-layer tracked after the cell). ``(variable, is_state)`` pairs."""
    out: list[tuple[Any, bool]] = []
    seen_layers: set[int] = set()
    seen_vars: set[int] = set()

    def walk(layer: Any) -> None:
        seen_layers.add(id(layer))
        for w in getattr(layer, "_tracked_weights", ()):
            if id(w) not in seen_vars:
                seen_vars.add(id(w))
                out.append((w, False))
        for child in getattr(layer, "_layers", ()):
            if id(child) not in seen_layers:
                walk(child)
        for v in getattr(layer, "__dict__", {}).get("_state_variables_list", ()):
            if id(v) not in seen_vars:
                seen_vars.add(id(v))
                out.append((v, True))

    walk(model)
    return out


def _split_legacy_states(model: Any, variables: list, arrays: list, paths: list[str] | None,
                         where: str) -> tuple[list, list]:
    """Files written before stateful RNN states stopped being weights hold, after each
    stateful layer's weights, its states (``lstm/state_h``, ``lstm/state_c`` ...). Split
    such a file's arrays into the weights (returned first, for :func:`_validate`) and
    ``(state_variable, array)`` pairs to restore; any other file is returned unchanged.

    A saved state is restored when its shape matches the layer's state variable (the
    model is the one that was saved: it continues where it stopped, as it did when the
    file was written) and ignored with a warning otherwise (a copy built for another
    batch size starts from zero states, as after ``reset_states()``)."""
    if len(arrays) <= len(variables) or not paths or len(paths) != len(arrays):
        return arrays, []
    layout = _legacy_layout(model)
    if [id(v) for v, is_state in layout if not is_state] != [id(v) for v in variables] or \
            len(layout) != len(arrays):
        return arrays, []
    for (v, is_state), path in zip(layout, paths):
        if is_state and path.rsplit("/", 1)[-1] != str(v.name).rsplit("/", 1)[-1]:
            return arrays, []  # not the old layout: let _validate report the mismatch
    weights, states, skipped = [], [], []
    for (v, is_state), a in zip(layout, arrays):
        if not is_state:
            weights.append(a)
        elif tuple(a.shape) == tuple(v.shape) and a.dtype.kind in "biuf":
            states.append((v, a))
        else:
            skipped.append(str(getattr(v, "path", v.name)))
    if skipped:
        warnings.warn(f"{where}: the file (written before stateful RNN states stopped "
                      f"being weights) holds states of another shape for {skipped}; they "
                      "are ignored (the layer starts from zero states)", UserWarning,
                      stacklevel=_user_stacklevel())
    return weights, states


def _validate(variables: list, arrays: list, where: str) -> None:
    if len(arrays) != len(variables):
        raise SerializationError(f"{where}: the file holds {len(arrays)} weights, the model "
                                 f"has {len(variables)} (a different architecture?)")
    for v, a in zip(variables, arrays):
        if tuple(a.shape) != tuple(v.shape):
            raise SerializationError(f"{where}: weight {getattr(v, 'path', v.name)} has shape "
                                     f"{tuple(v.shape)}, the file has {tuple(a.shape)} (a "
                                     "different architecture?)")
        if a.dtype.kind not in "biuf":
            raise SerializationError(f"{where}: weight {getattr(v, 'path', v.name)} has "
                                     f"dtype {a.dtype} in the file")


def _assign_all(pairs: list, where: str) -> None:
    """Assign every (variable, array); on any failure put every variable back."""
    saved = [(v, v._value) for v, _ in pairs]
    try:
        for v, a in pairs:
            v.assign(a)
    except Exception as exc:
        for v, old in saved:
            v._value = old
        raise SerializationError(f"{where}: assigning the loaded weights failed "
                                 f"({type(exc).__name__}: {exc}); the model is unchanged") \
            from exc


# ---- compile settings ---------------------------------------------------------------------
def _serialize_obj(obj: Any, where: str) -> Any:
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialize_obj(o, where) for o in obj]
    if isinstance(obj, dict):
        return {str(k): _serialize_obj(v, where) for k, v in obj.items()}
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        return {"class_name": registered_name(obj), "config": obj.get_config()}
    name = registered_name(obj)
    if name == "<lambda>" or not name.isidentifier() and ">" not in name:
        _warn_once(f"compile:{id(obj)}",
                   f"model.save: the compile setting {where}={obj!r} is not a named, "
                   "registered function; the file is saved, but load_model will need "
                   "compile=False (then compile again)")
    return name


def _compile_config(model: Any) -> dict | None:
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        return None
    base = dict(model.get_compile_config() or {}) if hasattr(model, "get_compile_config") \
        else {}
    cfg = {"optimizer": _serialize_obj(model.optimizer, "optimizer")}
    for key, attr in (("loss", "_loss_arg"), ("loss_weights", "_loss_weights_arg"),
                      ("metrics", "_metrics_arg"), ("weighted_metrics", "_weighted_metrics_arg")):
        value = getattr(model, attr) if hasattr(model, attr) else base.get(key)
        cfg[key] = _serialize_obj(value, key)
    return cfg


def _lookup(kind: str, name: Any, custom_objects: dict | None) -> Any:
    try:
        return get_registered_object(name, custom_objects, kinds=(kind,))
    except SerializationError as exc:
        raise SerializationError(str(exc).replace("in the saved config",
                                                  f"in the saved compile settings ({kind})")) \
            from None


def _resolve(kind: str, value: Any, custom_objects: dict | None) -> Any:
    from ..registries import custom_objects as registered
    from .config import _SCOPED_OBJECTS, _check_name

    if isinstance(value, str):
        _check_name(value)
        for table in (custom_objects or {}, _SCOPED_OBJECTS.get(), registered):
            if value in table:
                return table[value]
        if kind == "losses":  # compile resolves names lazily: check now, not at fit time
            from ..registries import registry

            try:
                registry("losses").lookup(value)
            except TensorweaveError as exc:
                raise SerializationError(str(exc)) from None
        return value  # a built-in name: compile resolves it
    if isinstance(value, list):
        return [_resolve(kind, v, custom_objects) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        cls = _lookup(kind, value["class_name"], custom_objects)
        cfg = value.get("config") or {}
        if not isinstance(cfg, dict):
            raise SerializationError(f"the saved {kind} config of {value['class_name']!r} is "
                                     "not a JSON object")
        if hasattr(cls, "from_config"):
            return cls.from_config(dict(cfg))
        return cls(**cfg) if isinstance(cls, type) else cls
    if isinstance(value, dict):
        return {k: _resolve(kind, v, custom_objects) for k, v in value.items()}
    return value


def _compile_from_config(model: Any, cfg: Any, custom_objects: dict | None) -> None:
    if not isinstance(cfg, dict):
        raise SerializationError("load: the saved compile settings are not a JSON object")
    try:
        args: dict[str, Any] = {}
        if cfg.get("optimizer") is not None:
            args["optimizer"] = _resolve("optimizers", cfg["optimizer"], custom_objects)
        for key, kind in (("loss", "losses"), ("metrics", "metrics"),
                          ("weighted_metrics", "metrics")):
            if cfg.get(key) is not None:
                args[key] = _resolve(kind, cfg[key], custom_objects)
        if cfg.get("loss_weights") is not None:
            args["loss_weights"] = cfg["loss_weights"]
        model.compile(**args)
    except SerializationError as exc:
        raise SerializationError(f"load: cannot re-compile the model: {exc}. Pass "
                                 "custom_objects={...}, or compile=False and compile it "
                                 "yourself") from None
    except Exception as exc:
        raise SerializationError(f"load: cannot re-compile the model ({type(exc).__name__}: "
                                 f"{exc}); pass custom_objects={{...}}, or compile=False and "
                                 "compile it yourself") from exc


def _reorder_by_path(variables: list, arrays: list, paths: list[str] | None) -> list:
    """Files written before the optimizers took Keras's slot order held the slots grouped
    by kind (every momentum, then every velocity); now they are interleaved per variable.
    When the file's recorded paths are a rearrangement of the variables' paths, take for
    each variable the next unused entry of its path (entries of one path, such as two
    layers' ``adam/kernel_momentum``, keep their relative order: both layouts list the
    trainable variables in the same order). A file in the current order maps to itself;
    anything else is returned unchanged for :func:`_validate` to judge."""
    want = [str(getattr(v, "path", None) or v.name) for v in variables]
    if not paths or len(paths) != len(arrays) or sorted(paths) != sorted(want) or \
            paths == want:
        return arrays
    queues: dict[str, list[int]] = {}
    for i, p in enumerate(paths):
        queues.setdefault(p, []).append(i)
    return [arrays[queues[p].pop(0)] for p in want]


def _restore_optimizer(model: Any, data: bytes) -> None:
    opt = model.optimizer
    arrays = _read_tensors(data, "optimizer", "load optimizer state")
    if len(arrays) > len(opt.variables) and hasattr(opt, "build"):
        opt.build(model.trainable_weights)  # create the slots (Adam's moments ...)
        opt._tw_built = True
    variables = list(opt.variables)
    arrays = _reorder_by_path(variables, arrays, _tensor_paths(data))
    _validate(variables, arrays, "load optimizer state")
    if hasattr(opt, "load_own_variables"):
        try:
            opt.load_own_variables({str(i): a for i, a in enumerate(arrays)})
        except TensorweaveError as exc:
            raise SerializationError(f"load optimizer state: {exc}") from exc
    else:
        _assign_all(list(zip(variables, arrays)), "load optimizer state")


# ---- save ------------------------------------------------------------------------------------
def _json_bytes(obj: Any, what: str) -> bytes:
    def default(o: Any) -> Any:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray) and o.size <= 1024:
            return o.tolist()
        if hasattr(o, "name") and type(o).__name__ in ("DType", "DTypePolicy"):
            return o.name
        raise SerializationError(f"model.save: the {what} holds {o!r} "
                                 f"({type(o).__name__}), which is not plain data; a custom "
                                 "get_config() must return numbers, strings, lists and dicts")

    try:
        return json.dumps(obj, indent=1, default=default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"model.save: the {what} is not JSON data: {exc}") from None


def save_model(model: Any, filepath: Any, overwrite: bool = True, zipped: bool | None = None,
               **kwargs: Any) -> None:
    """Write ``model`` (architecture, weights, compile settings, optimizer state) to one
    file, atomically. Raises :class:`SerializationError` before writing anything when
    part of the model is code rather than data (a ``Lambda`` layer ...).

    ``.keras`` and ``.h5`` names get Keras's formats (see ``docs/saving.md``); every other
    name tensorweave's own. ``zipped=False`` (Keras's unzipped folder) is not supported;
    ``include_optimizer=False`` leaves the optimizer state out of a ``.tw`` file."""
    include_optimizer = bool(kwargs.pop("include_optimizer", True))
    if zipped is False:
        raise InvalidArgumentError("save: zipped=False (an unzipped Keras folder) is not "
                                   "supported; tensorweave writes one file")
    path = _fspath(filepath, "save")
    save_format = kwargs.pop("save_format", None)
    if save_format not in (None, "tw", "keras"):
        _warn_once(f"save_format={save_format}",
                   f"save: save_format={save_format!r} is ignored; tensorweave writes its own "
                   "safe format")
    if path.is_dir():
        raise SerializationError(f"save: {path} is a folder; give a file name such as "
                                 f"{path / 'model.tw'}")
    if path.exists() and not overwrite:
        raise SerializationError(f"save: {path} exists and overwrite=False")
    if path.suffix.lower() in _KERAS_SUFFIXES:  # Keras's own formats, loadable by Keras
        from . import keras_format

        where = f"save {path.name}"
        data = keras_format.write_keras_archive(model, where) \
            if path.suffix.lower() == ".keras" else keras_format.write_legacy_h5(model, where)
        _write(path, data, "save")
        return
    config = serialize_model(model)
    if config["class_name"] not in ("Sequential", "Functional") and model.weights and \
            "build_config" not in config:
        _warn_once(f"unbuildable:{type(model).__name__}",
                   f"save: the input shape of subclassed model {model.name!r} is not known "
                   "(it was built by a direct call or build(), not by fit/predict), so "
                   "load_model will not be able to rebuild it. The weights are saved: "
                   "build a new instance and call model.load_weights(path), or run "
                   "predict/fit on the model once before saving")
    config["compile_config"] = _compile_config(model)
    from .. import __version__
    from ..backend_registry import backend

    config_bytes = _json_bytes(config, "model config")
    weights = _tensor_bytes(model.weights, "weights")
    opt = getattr(model, "optimizer", None) if include_optimizer else None
    opt_bytes = _tensor_bytes(list(opt.variables), "optimizer") \
        if opt is not None and getattr(opt, "variables", None) else None
    # The member list is recorded so that a reader can tell a member that is missing (or
    # whose name was damaged) from one that was never written (include_optimizer=False).
    members = ["metadata.json", "config.json", _WEIGHTS] + \
        ([_OPTIMIZER] if opt_bytes is not None else [])
    meta = {"format": _MAGIC, "format_version": FORMAT_VERSION,
            "tensorweave_version": __version__, "backend": backend(),
            "date_saved": datetime.datetime.now().isoformat(timespec="seconds"),
            "members": members}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", _json_bytes(meta, "metadata"))
        zf.writestr("config.json", config_bytes)
        zf.writestr(_WEIGHTS, weights)
        if opt_bytes is not None:
            zf.writestr(_OPTIMIZER, opt_bytes)
    try:
        write_atomic(path, buf.getvalue())
    except OSError as exc:
        raise SerializationError(f"save: cannot write {path}: {exc.strerror or exc}") from exc


def _write(path: Path, data: bytes, where: str) -> None:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise SerializationError(f"{where}: cannot write {path}: {exc.strerror or exc}") \
            from exc


# ---- load ------------------------------------------------------------------------------------
def _keras_kind(data: bytes) -> str | None:
    """``"keras"`` for a Keras 3 archive, ``"h5"`` for an HDF5 file, else ``None``."""
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return "h5"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except Exception:  # noqa: BLE001 - damaged: the native reader reports it
            return None
        if "model.weights.h5" in names and _WEIGHTS not in names:
            return "keras"
    return None


def _read_file(filepath: Any, where: str) -> tuple[Path, bytes]:
    path = _fspath(filepath, where)
    if path.is_dir():
        raise SerializationError(f"{where}: {path} is a folder, not a model file (a "
                                 "TensorFlow SavedModel folder cannot be loaded)")
    try:
        return path, path.read_bytes()
    except FileNotFoundError:
        raise SerializationError(f"{where}: no file at {path}") from None
    except OSError as exc:
        raise SerializationError(f"{where}: cannot read {path}: "
                                 f"{exc.strerror or exc}") from None


def _describe_foreign(data: bytes) -> str:
    if data[:8] == b"\x89HDF\r\n\x1a\n":
        return ("an HDF5 file (Keras 2 .h5); tensorweave reads only its own safe format. "
                "Re-save the model with tensorweave")
    if data[:1] == b"\x80" or data[:2] in (b"}q", b"(d", b"(l", b"cc"):
        return "what looks like a pickle; tensorweave never unpickles files"
    if len(data) >= 9 and data[8:9] == b"{":
        return "a safetensors weights file, not a whole model; use model.load_weights(path)"
    if not data:
        return "an empty file"
    return "not a tensorweave model file"


def _open_zip(path: Path, data: bytes) -> tuple[dict, dict, bytes, bytes | None]:
    if data[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise SerializationError(f"load: {path} is {_describe_foreign(data)}")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infolist = zf.infolist()
            infos = {i.filename: i for i in infolist}
            if "metadata.json" not in infos and "model.weights.h5" in infos:
                raise SerializationError(f"load: {path} is a Keras 3 .keras file (HDF5 "
                                         "weights); tensorweave reads only its own format")
            for required in ("metadata.json", "config.json", _WEIGHTS):
                if required not in infos:
                    raise SerializationError(f"load: {path} is not a tensorweave model file "
                                             f"(no {required} inside)")
            _check_members(path, [i.filename for i in infolist])
            for info in infos.values():
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise SerializationError(f"load: {path}: member {info.filename!r} uses "
                                             f"compression method {info.compress_type}")
            for name in ("metadata.json", "config.json"):
                if infos[name].file_size > _MAX_JSON:
                    raise SerializationError(f"load: {path}: {name} is implausibly large")
            meta = json.loads(zf.read("metadata.json").decode("utf-8"))
            config = json.loads(zf.read("config.json").decode("utf-8"))
            weights = zf.read(_WEIGHTS)
            opt = zf.read(_OPTIMIZER) if _OPTIMIZER in infos else None
    except SerializationError:
        raise
    except MemoryError:
        raise SerializationError(f"load: {path} is corrupt (a member claims an impossible "
                                 "size)") from None
    except Exception as exc:  # zipfile, zlib, json and unicode errors of a damaged file
        raise SerializationError(f"load: {path} is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != _MAGIC:
        raise SerializationError(f"load: {path} is not a tensorweave model file (its "
                                 "metadata.json does not say so)")
    version = meta.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SerializationError(f"load: {path} has a malformed format_version {version!r}")
    if version > FORMAT_VERSION:
        raise SerializationError(f"load: {path} uses file format version {version}, written "
                                 f"by tensorweave {meta.get('tensorweave_version', '?')}; "
                                 f"this tensorweave reads versions up to {FORMAT_VERSION}. "
                                 "Upgrade tensorweave")
    if not isinstance(config, dict):
        raise SerializationError(f"load: {path} has a malformed config.json")
    recorded = meta.get("members")
    if recorded is not None:  # written since the member list is recorded: it must match
        if not isinstance(recorded, list) or not all(isinstance(m, str) for m in recorded):
            raise SerializationError(f"load: {path}: metadata.json has a malformed member "
                                     "list")
        if sorted(recorded) != sorted(infos):
            missing = sorted(set(recorded) - set(infos))
            extra = sorted(set(infos) - set(recorded))
            raise SerializationError(f"load: {path} is corrupt: the archive's members do not "
                                     f"match the ones it was written with (missing: {missing},"
                                     f" unexpected: {extra})")
    return meta, config, weights, opt


_MEMBERS = ("metadata.json", "config.json", _WEIGHTS, _OPTIMIZER)


def _check_members(path: Path, names: list[str]) -> None:
    """The archive holds exactly what :func:`save_model` writes: no unknown member (a
    damaged name would otherwise make a member silently vanish) and no name twice (which
    copy would be read is up to the ZIP reader)."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise SerializationError(f"load: {path} is corrupt: the member {name!r} appears "
                                     "more than once")
        seen.add(name)
        if name not in _MEMBERS:
            raise SerializationError(f"load: {path} is corrupt or not a tensorweave model "
                                     f"file: unexpected member {name!r} (a tensorweave model "
                                     f"file holds only {', '.join(_MEMBERS)})")


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    """Rebuild a model saved by :func:`save_model`: architecture, weights and, when
    ``compile`` (and the model was compiled), the compile settings and optimizer state.

    ``safe_mode`` refuses ``Lambda`` layers; only the literal ``False`` turns it off.
    Every failure is a :class:`SerializationError` saying what is wrong with the file.
    """
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise InvalidArgumentError("load_model: custom_objects must be a dict of name -> "
                                   f"class or function, got {type(custom_objects).__name__}")
    path, data = _read_file(filepath, "load")
    foreign = _keras_kind(data)
    if foreign is not None:
        from . import keras_format

        reader = keras_format.load_keras_archive if foreign == "keras" else \
            keras_format.load_legacy_h5
        return reader(data, custom_objects, compile, safe_mode, f"load {path}")
    _meta, config, weights, opt_bytes = _open_zip(path, data)
    compile_config = config.pop("compile_config", None)
    with safe_mode_scope(safe_mode), custom_object_scope(custom_objects or {}):
        try:
            model = deserialize_model(config, custom_objects)
        except SerializationError as exc:
            raise SerializationError(f"load: {path}: {exc}") from exc.__cause__
        except RecursionError:
            raise SerializationError(f"load: {path}: the config is nested too deeply") \
                from None
        except Exception as exc:
            raise SerializationError(f"load: cannot rebuild the model from {path}: "
                                     f"{type(exc).__name__}: {exc}") from exc
        arrays = _read_tensors(weights, "weights", f"load {path}")
        if not getattr(model, "built", False) and arrays:
            raise SerializationError(f"load: {path}: the rebuilt model {model.name!r} has no "
                                     "weights yet: the file does not record the input shape "
                                     "of this subclassed model. Build an instance yourself "
                                     "(call it on data) and use model.load_weights(path)")
        arrays, states = _split_legacy_states(model, list(model.weights), arrays,
                                              _tensor_paths(weights), f"load {path}")
        _validate(model.weights, arrays, f"load {path}")
        _assign_all(list(zip(model.weights, arrays)) + states, f"load {path}")
        if compile and compile_config:
            _compile_from_config(model, compile_config, custom_objects)
            if opt_bytes is not None:
                _restore_optimizer(model, opt_bytes)
    return model


def save_weights(model: Any, filepath: Any, overwrite: bool = True,
                 max_shard_size: Any = None, **kwargs: Any) -> None:
    """Write ``model.weights`` to a safetensors file (readable by the ``safetensors``
    package), or to Keras's ``.weights.h5`` / legacy ``.h5``, atomically. Sharding
    (``max_shard_size``) is not supported: the weights go to one file."""
    if max_shard_size is not None:
        raise InvalidArgumentError("save_weights: max_shard_size (sharded weights) is not "
                                   f"supported, got {max_shard_size!r}; use max_shard_size="
                                   "None")
    if kwargs:
        raise InvalidArgumentError(f"save_weights: unexpected keyword argument(s) "
                                   f"{sorted(kwargs)}")
    path = _fspath(filepath, "save_weights")
    if path.exists() and not overwrite:
        raise SerializationError(f"save_weights: {path} exists and overwrite=False")
    if path.is_dir():
        raise SerializationError(f"save_weights: {path} is a folder")
    if path.suffix.lower() in (".h5", ".hdf5"):  # Keras's weights files
        from . import keras_format

        where = f"save_weights {path.name}"
        data = keras_format.write_keras3_weights(model, where) \
            if path.name.lower().endswith(".weights.h5") else \
            keras_format.write_legacy_h5(model, where, include_model=False)
        _write(path, data, "save_weights")
        return
    _legacy_suffix_warning(path, "save_weights")
    try:
        write_atomic(path, _tensor_bytes(model.weights, "weights"))
    except OSError as exc:
        raise SerializationError(f"save_weights: cannot write {path}: "
                                 f"{exc.strerror or exc}") from exc


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    """Load weights written by :func:`save_weights` (or the weights of a whole-model file)
    into ``model``. Everything is checked before anything is assigned: on any error the
    model keeps its weights."""
    path, data = _read_file(filepath, "load_weights")
    kind = _keras_kind(data)
    if kind is not None:  # Keras's .weights.h5 / legacy .h5, or the weights of a .keras
        from . import keras_format

        if not getattr(model, "built", True) or not model.weights:
            raise SerializationError(f"load_weights: the model {getattr(model, 'name', '?')!r}"
                                     " has no weights yet; build it first")
        if kind == "keras":
            data = keras_format._zip_members(data, f"load_weights {path}")["model.weights.h5"]
        keras_format.load_h5_weights(model, data, f"load_weights {path}", skip_mismatch)
        return
    if data[:2] == b"PK":  # a whole-model file
        _m, _c, data, _o = _open_zip(path, data)
    elif data[:8] == b"\x89HDF\r\n\x1a\n" or data[:1] == b"\x80":
        raise SerializationError(f"load_weights: {path} is {_describe_foreign(data)}")
    arrays = _read_tensors(data, "weights", f"load_weights {path}")
    variables = list(model.weights)
    if not getattr(model, "built", True) or (arrays and not variables):
        raise SerializationError(f"load_weights: the model {getattr(model, 'name', '?')!r} "
                                 "has no weights yet; build it first (call it on data, or "
                                 "give it an Input)")
    arrays, states = _split_legacy_states(model, variables, arrays, _tensor_paths(data),
                                          f"load_weights {path}")
    if skip_mismatch:
        pairs = [(v, a) for v, a in zip(variables, arrays) if tuple(a.shape) == tuple(v.shape)]
        skipped = len(variables) - len(pairs)
        if skipped:
            warnings.warn(f"load_weights: skipped {skipped} weights whose shape (or presence) "
                          "differs from the file (skip_mismatch=True)", UserWarning,
                          stacklevel=3)
        _assign_all(pairs + states, f"load_weights {path}")
        return
    _validate(variables, arrays, f"load_weights {path}")
    _assign_all(list(zip(variables, arrays)) + states, f"load_weights {path}")


def model_from_json(json_string: str, custom_objects: dict | None = None,
                    safe_mode: bool = True) -> Any:
    """A new (uncompiled, freshly initialized) model from ``model.to_json()``, under the
    same safety rules as :func:`load_model`."""
    if isinstance(json_string, (bytes, bytearray)):
        json_string = json_string.decode("utf-8", "replace")
    try:
        config = json.loads(json_string)
    except (ValueError, RecursionError) as exc:
        raise SerializationError(f"model_from_json: invalid JSON: {exc}") from None
    with safe_mode_scope(safe_mode), custom_object_scope(custom_objects or {}):
        return deserialize_model(config, custom_objects)
