"""``tw.saving``: safe model files.

``model.save(path)`` writes one file, whatever its name (``.tw``, and ``.keras`` / ``.h5``
from existing code too): a ZIP holding ``metadata.json``, ``config.json`` (architecture
and compile settings, as plain JSON), ``model.weights.safetensors`` and
``optimizer.safetensors``. Loading reads only JSON and raw tensor bytes — it never
unpickles or evaluates anything — and finds classes only in the plugin registries or in
``custom_objects``. Writes are atomic; a failed load leaves the model as it was.
"""

from __future__ import annotations

import datetime
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from ..errors import SerializationError, ShapeError
from . import safetensors
from .atomic import write_atomic
from .config import (
    deserialize_layer,
    deserialize_model,
    functional_config,
    functional_from_config,
    get_registered_object,
    register_keras_serializable,
    register_serializable,
    registered_name,
    serialize_layer,
    serialize_model,
)

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_json",
           "register_keras_serializable", "register_serializable", "serialize_layer",
           "deserialize_layer", "serialize_model", "deserialize_model", "functional_config",
           "functional_from_config", "get_registered_object", "registered_name",
           "FORMAT_VERSION"]

FORMAT_VERSION = 1
_MAGIC = "tensorweave-model"


def _tensor_bytes(variables: list, prefix: str) -> bytes:
    import numpy as np

    tensors: dict[str, Any] = {}
    paths = []
    for i, v in enumerate(variables):
        arr = np.asarray(v.numpy())
        if v.dtype.name == "bfloat16":
            tensors[f"{prefix}/{i:05d}"] = ((arr.astype(np.float32).view(np.uint32) >> 16)
                                            .astype(np.uint16), "bfloat16")
        else:
            tensors[f"{prefix}/{i:05d}"] = arr
        paths.append(getattr(v, "path", v.name))
    return safetensors.dumps(tensors, {"paths": json.dumps(paths), "format": _MAGIC})


def _read_tensors(data: bytes, prefix: str) -> list:
    arrays, _meta = safetensors.loads(data)
    keys = sorted(k for k in arrays if k.startswith(prefix + "/"))
    return [arrays[k] for k in keys]


def save_model(model: Any, filepath: Any, overwrite: bool = True, **_: Any) -> None:
    path = Path(filepath)
    if path.exists() and not overwrite:
        raise SerializationError(f"save: {path} exists and overwrite=False")
    config = serialize_model(model)
    compile_config = model.get_compile_config() if hasattr(model, "get_compile_config") \
        else None
    from .. import __version__
    from ..backend_registry import backend

    meta = {"format": _MAGIC, "format_version": FORMAT_VERSION,
            "tensorweave_version": __version__, "backend": backend(),
            "date_saved": datetime.datetime.now().isoformat(timespec="seconds")}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("metadata.json", json.dumps(meta, indent=1))
        zf.writestr("config.json", json.dumps({**config, "compile_config": compile_config},
                                              indent=1))
        zf.writestr("model.weights.safetensors", _tensor_bytes(model.weights, "weights"))
        opt = getattr(model, "optimizer", None)
        if opt is not None and getattr(opt, "variables", None):
            zf.writestr("optimizer.safetensors", _tensor_bytes(list(opt.variables),
                                                               "optimizer"))
    write_atomic(path, buf.getvalue())


def _open_zip(filepath: Any) -> tuple[dict, dict, bytes, bytes | None]:
    path = Path(filepath)
    if not path.exists():
        raise SerializationError(f"load: no file at {path}")
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            for required in ("metadata.json", "config.json", "model.weights.safetensors"):
                if required not in names:
                    raise SerializationError(f"load: {path} is not a tensorweave model file "
                                             f"(missing {required})")
            meta = json.loads(zf.read("metadata.json").decode("utf-8"))
            config = json.loads(zf.read("config.json").decode("utf-8"))
            weights = zf.read("model.weights.safetensors")
            opt = zf.read("optimizer.safetensors") if "optimizer.safetensors" in names \
                else None
    except SerializationError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            UnicodeDecodeError, KeyError, RuntimeError) as exc:
        raise SerializationError(f"load: {path} is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None
    if not isinstance(meta, dict) or meta.get("format") != _MAGIC:
        raise SerializationError(f"load: {path} is not a tensorweave model file")
    if not isinstance(config, dict):
        raise SerializationError(f"load: {path} has a malformed config")
    return meta, config, weights, opt


def _check_and_assign(variables: list, arrays: list, where: str) -> None:
    """Validate every array first; assign only when all fit (a failed load changes nothing)."""
    if len(arrays) != len(variables):
        raise SerializationError(f"{where}: the file holds {len(arrays)} weights, the model "
                                 f"has {len(variables)} (different architecture?)")
    for v, a in zip(variables, arrays):
        if tuple(a.shape) != tuple(v.shape):
            raise SerializationError(f"{where}: weight {getattr(v, 'path', v.name)} has shape "
                                     f"{tuple(v.shape)}, the file has {tuple(a.shape)}")
    for v, a in zip(variables, arrays):
        v.assign(a)


def load_model(filepath: Any, custom_objects: dict | None = None, compile: bool = True,  # noqa: A002
               safe_mode: bool = True) -> Any:
    _meta, config, weights, opt_bytes = _open_zip(filepath)
    compile_config = config.pop("compile_config", None)
    try:
        model = deserialize_model(config, custom_objects, safe_mode)
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"load: cannot rebuild the model from {filepath}: "
                                 f"{type(exc).__name__}: {exc}") from exc
    arrays = _read_tensors(weights, "weights")
    if not model.built or len(model.weights) != len(arrays):
        raise SerializationError(f"load: the rebuilt model has {len(model.weights)} weights "
                                 f"but the file holds {len(arrays)}")
    _check_and_assign(model.weights, arrays, "load")
    if compile and compile_config:
        try:
            model.compile(**_compile_args(compile_config, custom_objects))
        except Exception as exc:
            raise SerializationError(f"load: cannot re-compile the model: {exc}") from exc
        if opt_bytes is not None and hasattr(model.optimizer, "build"):
            model.optimizer.build(model.trainable_weights)
            model.optimizer._tw_built = True
            opt_arrays = _read_tensors(opt_bytes, "optimizer")
            if hasattr(model.optimizer, "load_own_variables"):
                model.optimizer.load_own_variables({str(i): a for i, a in enumerate(opt_arrays)})
            else:
                _check_and_assign(list(model.optimizer.variables), opt_arrays, "load optimizer")
    return model


def _compile_args(cfg: dict, custom_objects: dict | None) -> dict:
    out = {}
    for key in ("optimizer", "loss", "loss_weights", "metrics"):
        value = cfg.get(key)
        if value is None:
            continue
        if custom_objects and isinstance(value, str) and value in custom_objects:
            value = custom_objects[value]
        out[key] = value
    return out


def save_weights(model: Any, filepath: Any, overwrite: bool = True) -> None:
    path = Path(filepath)
    if path.exists() and not overwrite:
        raise SerializationError(f"save_weights: {path} exists and overwrite=False")
    write_atomic(path, _tensor_bytes(model.weights, "weights"))


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False) -> None:
    path = Path(filepath)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SerializationError(f"load_weights: cannot read {path}: {exc}") from None
    if data[:2] == b"PK":  # a whole-model file
        _m, _c, data, _o = _open_zip(path)
    arrays = _read_tensors(data, "weights")
    if skip_mismatch:
        pairs = [(v, a) for v, a in zip(model.weights, arrays)
                 if tuple(a.shape) == tuple(v.shape)]
        for v, a in pairs:
            v.assign(a)
        return
    _check_and_assign(model.weights, arrays, "load_weights")


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    try:
        config = json.loads(json_string)
    except ValueError as exc:
        raise SerializationError(f"model_from_json: invalid JSON: {exc}") from None
    return deserialize_model(config, custom_objects)


_ = ShapeError
