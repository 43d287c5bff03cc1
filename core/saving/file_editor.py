"""``tw.saving.KerasFileEditor``: inspect and edit the weights of a Keras 3 file.

Keras 3's ``keras.saving.KerasFileEditor``: open a ``.keras`` archive or a ``.weights.h5``
file (written by Keras or by tensorweave), look at its weight tree, compare it with a
model, rename / delete / add objects and weights, and write the result as a
``.weights.h5`` that ``model.load_weights`` (Keras's or tensorweave's) reads. This is how
an old weights file is adapted after an architecture change without writing HDF5 code.

The weight tree is a nested dict of the file's groups with Keras's ``vars`` level
folded away: ``{"layers": {"dense": {"0": kernel, "1": bias}}}`` for the HDF5 datasets
``layers/dense/vars/0`` and ``layers/dense/vars/1``. Reading follows only hard links,
refuses external and virtual datasets and bounds each dataset (rank <= 64, <= 4 GiB), as
Keras does; nothing is unpickled or evaluated. Unlike Keras 3.15, a group that holds both
its own ``vars`` and sub-objects keeps both (Keras drops the sub-objects of such a group).
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from typing import Any

from ..errors import InvalidArgumentError, SerializationError
from . import h5

__all__ = ["KerasFileEditor"]

_MAX_BYTES = 1 << 32
_MAX_RANK = 64
_MAX_DEPTH = 64


class KerasFileEditor:
    """Inspect, edit and resave the weights of a Keras ``.keras`` / ``.weights.h5`` file.

    ``filepath``: the file to open. Its weights are read into :attr:`weights_dict` (a
    nested dict of NumPy arrays); a ``.keras`` archive's ``config.json`` and
    ``metadata.json`` are kept in :attr:`config` and :attr:`metadata`. Edits change only
    this in-memory tree; :meth:`save` writes it as a ``.weights.h5`` file.
    """

    def __init__(self, filepath: Any) -> None:
        self.filepath = filepath
        self.metadata: dict | None = None
        self.config: dict | None = None
        self.model = None
        path = os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else None
        if path is None:
            raise InvalidArgumentError("KerasFileEditor: filepath must be a str or "
                                       f"os.PathLike, got {type(filepath).__name__}")
        where = f"KerasFileEditor({os.path.basename(path)!r})"
        if path.endswith(".keras"):
            data = _read(path, where)
            members = _archive_members(data, where)
            self.config = _json(members["config.json"], "config.json", where)
            if "metadata.json" in members:
                self.metadata = _json(members["metadata.json"], "metadata.json", where)
            weights = members["model.weights.h5"]
        elif path.endswith(".weights.h5"):
            weights = _read(path, where)
        else:
            raise InvalidArgumentError(f"{where}: invalid filename: expected a `.keras` or "
                                       f"`.weights.h5` extension, got filepath={path!r}")
        f = h5.open_h5(weights, where)
        try:
            self.object_metadata: dict[str, dict] = {}
            self.weights_dict = self._extract(f, "", where, 0)
        finally:
            f.close()
        print(self._generate_filepath_info())
        if self.metadata is not None:
            print(self._generate_metadata_info())

    # ---- reading -----------------------------------------------------------------------
    def _extract(self, group: Any, inner_path: str, where: str, depth: int) -> dict:
        """The dict of ``group``: its ``vars`` datasets and its non-empty sub-groups."""
        h5py = h5.require_h5py(where)
        if depth > _MAX_DEPTH:
            raise SerializationError(f"{where}: the HDF5 groups are nested too deeply")
        try:
            attrs = {k: v for k, v in group.attrs.items()}
        except Exception as exc:
            raise SerializationError(f"{where}: cannot read the attributes of "
                                     f"{inner_path or '/'}: {type(exc).__name__}: {exc}") \
                from None
        if attrs:
            self.object_metadata[inner_path] = attrs
        result: dict[str, Any] = {}
        for key in h5.keys(group, where):
            current = f"{inner_path}/{key}"
            try:
                link = group.get(key, getlink=True)
                if link is not None and not isinstance(link, h5py.HardLink):
                    raise SerializationError(f"{where}: not allowed: {current} is a "
                                             f"{type(link).__name__}")
                value = group[key]
            except SerializationError:
                raise
            except Exception as exc:
                raise SerializationError(f"{where}: cannot read {current}: "
                                         f"{type(exc).__name__}: {exc}") from None
            if isinstance(value, h5py.Group):
                if len(value) == 0:
                    continue
                if key == "vars":  # the object's own variables: folded into this level
                    own = self._extract(value, inner_path, where, depth + 1)
                    for name, arr in own.items():
                        result[name] = arr
                    continue
                sub = self._extract(value, current, where, depth + 1)
                if sub:
                    result[key] = sub
            elif isinstance(value, h5py.Dataset):
                result[key] = _read_dataset(value, current, where)
        # the own variables first, then the sub-objects (Keras's file order)
        own_first = {k: v for k, v in result.items() if not isinstance(v, dict)}
        own_first.update({k: v for k, v in result.items() if isinstance(v, dict)})
        return own_first

    # ---- display -----------------------------------------------------------------------
    def _generate_filepath_info(self, rich_style: bool = False) -> str:
        return f"Keras model file '{self.filepath}'"

    def _generate_config_info(self, rich_style: bool = False) -> str:
        import pprint

        return pprint.pformat(self.config)

    def _generate_metadata_info(self, rich_style: bool = False) -> str:
        meta = self.metadata or {}
        return (f"Saved with Keras {meta.get('keras_version', '?')} - date: "
                f"{meta.get('date_saved', '?')}")

    def _structure_lines(self, tree: dict, prefix: str, inner_path: str,
                         first: list | None = None) -> list[str]:
        first = [True] if first is None else first
        lines = []
        items = list(tree.items())
        for idx, (key, value) in enumerate(items):
            last = idx == len(items) - 1
            connector = "> " if first[0] else "└─ " if last else "├─ "
            first[0] = False
            path = f"{inner_path}/{key}"
            if isinstance(value, dict):
                label = f"{prefix}{connector}{key}"
                name = self.object_metadata.get(path, {}).get("name")
                if isinstance(name, bytes):
                    name = name.decode("utf-8", "replace")
                if name:
                    label += f" ('{name}')"
                lines.append(label)
                lines += self._structure_lines(value, prefix + ("    " if last else "│   "),
                                               path, first)
            else:
                lines.append(f"{prefix}{connector}{key}: shape={value.shape}, "
                             f"dtype={value.dtype}")
        return lines

    def summary(self) -> None:
        """Print the weight structure of the opened file (as edited so far)."""
        print("Weights structure")
        for line in self._structure_lines(self.weights_dict, "  ", ""):
            print(line)

    # ---- comparison --------------------------------------------------------------------
    def compare(self, reference_model: Any) -> dict:
        """List every mismatch between the file and ``reference_model``: objects or
        weights present on one side only, and weights of different shapes.

        Returns ``{"status": "success" | "error", "error_count": n, "match_count": m}``.
        The status is Keras's; the counts are the number of mismatches and of matching
        weights (Keras 3.15 adds a nested object's running count to itself, so its counts
        grow with the nesting depth).
        """
        print("Running comparison")
        ref = _weight_spec(reference_model)
        checked: set[str] = set()

        def walk(target: dict, spec: dict, inner: str, target_name: str,
                 ref_name: str) -> tuple[int, int]:
            errors = matches = 0
            for key, val in spec.items():
                path = f"{inner}/{key}"
                if path in checked:
                    continue
                if key not in target:
                    errors += 1
                    checked.add(path)
                    if isinstance(val, dict):
                        print(f"...Object {path} present in {ref_name}, missing from "
                              f"{target_name}")
                        print(f"    In {ref_name}, {path} contains the following keys: "
                              f"{list(val.keys())}")
                    else:
                        print(f"...Weight {path} present in {ref_name}, missing from "
                              f"{target_name}")
                elif isinstance(val, dict):
                    if not isinstance(target[key], dict):
                        errors += 1
                        checked.add(path)
                        print(f"...{path} is an object in {ref_name} and a weight in "
                              f"{target_name}")
                        continue
                    e, m = walk(target[key], val, path, target_name, ref_name)
                    errors += e
                    matches += m
                else:
                    other = target[key]
                    if isinstance(other, dict) or tuple(other.shape) != tuple(val.shape):
                        errors += 1
                        checked.add(path)
                        shape = "an object" if isinstance(other, dict) else \
                            f"shape={tuple(other.shape)}"
                        print(f"...Weight shape mismatch for {path}\n"
                              f"    In {ref_name}: shape={tuple(val.shape)}\n"
                              f"    In {target_name}: {shape}")
                    else:
                        matches += 1
            return errors, matches

        errors, matches = walk(self.weights_dict, ref, "", "saved file", "reference model")
        back, _ = walk(ref, self.weights_dict, "", "reference model", "saved file")
        errors += back
        print("─────────────────────")
        if errors == 0:
            print("Comparison successful: saved file is compatible with the reference model")
            print(f"    Found {matches} matching weight{'' if matches == 1 else 's'}")
        else:
            print(f"Found {errors} error{'' if errors == 1 else 's'}: saved file is not "
                  "compatible with the reference model")
        return {"status": "success" if errors == 0 else "error", "error_count": errors,
                "match_count": matches}

    # ---- edits -------------------------------------------------------------------------
    def _edit_object(self, edit_fn: Any, source_name: str, target_name: str | None = None
                     ) -> None:
        if target_name is not None and "/" in target_name:
            raise InvalidArgumentError("KerasFileEditor: argument `target_name` should be a "
                                       "leaf name, not a full path name. Received: "
                                       f"target_name={target_name!r}")
        if "/" in source_name:
            elements = source_name.split("/")
            node = self.weights_dict
            for e in elements[:-1]:
                if not isinstance(node, dict) or e not in node:
                    raise InvalidArgumentError(f"KerasFileEditor: path {source_name!r} not "
                                               "found in the file")
                node = node[e]
            if not isinstance(node, dict) or elements[-1] not in node:
                raise InvalidArgumentError(f"KerasFileEditor: path {source_name!r} not found "
                                           "in the file")
            edit_fn(node, source_name=elements[-1], target_name=target_name)
            return
        holders: list[dict] = []

        def find(d: dict) -> None:
            for v in d.values():
                if isinstance(v, dict):
                    find(v)
            if source_name in d:
                holders.append(d)

        find(self.weights_dict)
        if len(holders) > 1:
            raise InvalidArgumentError(f"KerasFileEditor: name {source_name!r} occurs more "
                                       "than once in the file; pass a complete path")
        if not holders:
            raise InvalidArgumentError(f"KerasFileEditor: source name {source_name!r} does "
                                       "not appear in the file. Use `editor.summary()` to "
                                       "list all objects")
        edit_fn(holders[0], source_name=source_name, target_name=target_name)

    def rename_object(self, object_name: str, new_name: str) -> None:
        """Rename an object (a layer ...): ``object_name`` is a name (``"dense_2"``) that
        occurs once in the file or a path (``"layers/dense_2"``); ``new_name`` a leaf
        name."""
        def rename(d: dict, source_name: str, target_name: str) -> None:
            if target_name in d and target_name != source_name:
                raise InvalidArgumentError(f"KerasFileEditor.rename_object: {target_name!r} "
                                           "already exists next to "
                                           f"{source_name!r}")
            # keep the position: a layer's place in the file order stays the same
            items = [(target_name if k == source_name else k, v) for k, v in d.items()]
            d.clear()
            d.update(items)

        self._edit_object(rename, object_name, new_name)

    def delete_object(self, object_name: str) -> None:
        """Remove an object (a layer ...) and its weights, by name or path."""
        def delete(d: dict, source_name: str, target_name: Any = None) -> None:
            d.pop(source_name)

        self._edit_object(delete, object_name)

    def add_object(self, object_path: str, weights: dict) -> None:
        """Add an object at ``object_path`` (``"layers/dense_2"``) with ``weights``, a
        dict of weight names (``"0"``, ``"1"`` ...) to arrays."""
        weights = _check_weights(weights, "add_object")
        if "/" in object_path:
            elements = object_path.split("/")
            node = self.weights_dict
            for e in elements[:-1]:
                if not isinstance(node, dict) or e not in node:
                    raise InvalidArgumentError(f"KerasFileEditor.add_object: path "
                                               f"{'/'.join(elements[:-1])!r} not found in "
                                               "the file")
                node = node[e]
            node[elements[-1]] = weights
        else:
            self.weights_dict[object_path] = weights

    def delete_weight(self, object_name: str, weight_name: str) -> None:
        """Remove the weight ``weight_name`` (``"0"`` ...) of an object."""
        def delete(d: dict, source_name: str, target_name: Any = None) -> None:
            obj = d[source_name]
            if not isinstance(obj, dict) or weight_name not in obj:
                found = list(obj.keys()) if isinstance(obj, dict) else []
                raise InvalidArgumentError(f"KerasFileEditor.delete_weight: weight "
                                           f"{weight_name} not found in object "
                                           f"{object_name}. Weights found: {found}")
            obj.pop(weight_name)

        self._edit_object(delete, object_name)

    def add_weights(self, object_name: str, weights: dict) -> None:
        """Add (or replace) weights of an existing object: ``weights`` maps weight names
        (``"0"``, ``"1"`` ...) to arrays."""
        weights = _check_weights(weights, "add_weights")

        def add(d: dict, source_name: str, target_name: Any = None) -> None:
            if not isinstance(d[source_name], dict):
                raise InvalidArgumentError(f"KerasFileEditor.add_weights: {object_name!r} "
                                           "is a weight, not an object")
            d[source_name].update(weights)

        self._edit_object(add, object_name)

    # ---- writing -----------------------------------------------------------------------
    def save(self, filepath: Any) -> None:
        """Write the edited weights to ``filepath``, a ``.weights.h5`` file (atomically)."""
        import numpy as np

        path = os.fspath(filepath)
        where = f"KerasFileEditor.save({os.path.basename(str(path))!r})"
        if not str(path).endswith(".weights.h5"):
            raise InvalidArgumentError(f"{where}: invalid `filepath` argument: expected a "
                                       f"`.weights.h5` extension. Received: filepath={path}")
        h5py = h5.require_h5py(where)
        buf = io.BytesIO()
        with h5py.File(buf, "w") as f:
            def write(tree: dict, inner: str) -> None:
                own = {k: v for k, v in tree.items() if not isinstance(v, dict)}
                for k, v in tree.items():
                    if isinstance(v, dict) and v:
                        write(v, f"{inner}/{k}" if inner else k)
                if own:
                    group = f.create_group(f"{inner}/vars" if inner else "vars")
                    for k, v in own.items():
                        arr = np.asarray(v)
                        if arr.dtype.name == "bfloat16":  # as Keras: 16-bit values + a tag
                            ds = group.create_dataset(k, data=arr.view(np.uint16).view("V2"))
                            ds.attrs["dtype"] = "bfloat16"
                        else:
                            group.create_dataset(k, data=arr)

            write(self.weights_dict, "")
        from . import _write

        _write(_fspath(path), buf.getvalue(), where)

    def resave_weights(self, filepath: Any) -> None:
        """Same as :meth:`save`."""
        self.save(filepath)


# ---- helpers -------------------------------------------------------------------------------
def _fspath(path: Any) -> Any:
    from pathlib import Path

    return Path(path)


def _read(path: str, where: str) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise SerializationError(f"{where}: no file at {path}") from None
    except OSError as exc:
        raise SerializationError(f"{where}: cannot read {path}: {exc.strerror or exc}") \
            from None


def _archive_members(data: bytes, where: str) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            for name in ("config.json", "model.weights.h5"):
                if name not in names:
                    raise SerializationError(f"{where}: not a Keras .keras archive (no "
                                             f"{name}; sharded weights are not supported)")
            return {n: zf.read(n) for n in ("config.json", "metadata.json",
                                            "model.weights.h5") if n in names}
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"{where}: the archive is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None


def _json(data: bytes, what: str, where: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SerializationError(f"{where}: {what} is not valid JSON: {exc}") from None


def _read_dataset(ds: Any, path: str, where: str) -> Any:
    """A dataset's array, after Keras's checks (no external or virtual storage, a sane
    rank and at most 4 GiB) made on the header, before any byte is read."""
    import numpy as np

    try:
        if ds.external:
            raise SerializationError(f"{where}: not allowed: a dataset with external "
                                     f"storage at {path}")
        if ds.is_virtual:
            raise SerializationError(f"{where}: not allowed: a virtual dataset at {path}")
        shape = tuple(int(d) for d in (ds.shape or ()))
        dtype = ds.dtype
    except SerializationError:
        raise
    except Exception as exc:
        raise SerializationError(f"{where}: unreadable dataset header at {path}: "
                                 f"{type(exc).__name__}: {exc}") from None
    if len(shape) > _MAX_RANK or any(d < 0 for d in shape):
        raise SerializationError(f"{where}: malformed dataset shape {shape} at {path}")
    if math.prod(shape) * dtype.itemsize > _MAX_BYTES:
        raise SerializationError(f"{where}: the dataset at {path} is too large to load "
                                 f"safely ({math.prod(shape) * dtype.itemsize} bytes)")
    try:
        arr = np.asarray(ds[()])
        tag = ds.attrs.get("dtype")
    except Exception as exc:
        raise SerializationError(f"{where}: the data at {path} is truncated or corrupt: "
                                 f"{type(exc).__name__}: {exc}") from None
    if isinstance(tag, bytes):
        tag = tag.decode("ascii", "replace")
    if tag == "bfloat16" and arr.dtype.itemsize == 2:  # Keras's bfloat16: 16-bit + a tag
        try:
            import ml_dtypes

            return arr.view(ml_dtypes.bfloat16)
        except ImportError:  # no bfloat16 NumPy type here: the exact values as float32
            return (arr.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    return arr


def _check_weights(weights: Any, what: str) -> dict:
    import numpy as np

    if not isinstance(weights, dict):
        raise InvalidArgumentError(f"KerasFileEditor.{what}: argument `weights` should be a "
                                   "dict where keys are weight names (usually '0', '1', "
                                   "etc.) and values are NumPy arrays. Received: "
                                   f"type(weights)={type(weights)}")
    out = {}
    for k, v in weights.items():
        if "/" in str(k):
            raise InvalidArgumentError(f"KerasFileEditor.{what}: weight name {k!r} contains "
                                       "'/'")
        out[str(k)] = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
    return out


def _weight_spec(model: Any) -> dict:
    """The file tree Keras would write for ``model``: ``{path parts: {"0": spec}}``."""
    from .keras_format import keras_weight_paths

    spec: dict[str, Any] = {}

    def place(path: str, values: dict) -> None:
        node = spec
        for part in [p for p in path.split("/") if p]:
            node = node.setdefault(part, {})
        node.update(values)

    for path, _obj, own in keras_weight_paths(model):
        if own:
            place(path, {str(i): _Spec(v.shape) for i, v in enumerate(own)})
    opt = getattr(model, "optimizer", None)
    variables = list(getattr(opt, "variables", None) or []) if opt is not None else []
    if variables and getattr(model, "compiled", True):
        place("optimizer", {str(i): _Spec(v.shape) for i, v in enumerate(variables)})
    return spec


class _Spec:
    """A weight's shape, without its values (Keras uses a KerasTensor)."""

    def __init__(self, shape: Any) -> None:
        self.shape = tuple(int(d) for d in shape)
