"""What a backend is: the small contract every backend (built-in or third-party) fulfils.

A backend is an object with

* ``name`` and :meth:`availability` (``(True, "")`` or ``(False, reason)``; cheap, never
  raises) and :meth:`device_description`;
* ``kernels``: a plain ``dict`` from op name to a function. A kernel receives the backend's
  own arrays positionally and the op's attributes (already validated and normalised by the
  op's shape rule) as keywords, and returns one array (a tuple for multi-output ops).
  Inputs of elementwise ops arrive already promoted to one dtype. Only *primitive* ops
  must have kernels (see ``tensorweave.ops.primitives()``); a composite op without a
  kernel runs through its decomposition;
* conversion: :meth:`from_flat` (row-major Python values), :meth:`from_numpy`,
  :meth:`to_numpy`, :meth:`to_list`, and optionally ``from_dlpack``;
* :meth:`prepare`, which binds one kernel to one call signature. The default binds the
  attributes; a backend overrides it to add per-dtype work (the pure-Python backend
  rounds results to float32 there, the NumPy backend emulates bfloat16 there).

Third parties subclass :class:`Backend` and declare the class in the entry-point group
``tensorweave.backends``; ``tensorweave conformance --backend NAME`` then checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .dtypes import DType

Kernel = Callable[..., Any]
Spec = tuple  # (shape, dtype)

__all__ = ["Backend", "Kernel"]


class Backend:
    """Base class of backends. Subclasses set ``name`` and fill ``kernels``."""

    name: str = "base"
    #: True when ``to_numpy`` returns a view of the backend's memory (CPU backends).
    shares_host_memory: bool = False

    def __init__(self) -> None:
        self.kernels: dict[str, Kernel] = {}
        # Filled by tensorweave's dispatcher: one prepared callable per op signature.
        self.eager_cache: dict[Any, Any] = {}

    # ---- availability -------------------------------------------------------------
    def availability(self) -> tuple[bool, str]:
        """``(True, "")`` if the backend can run here, else ``(False, reason)``."""
        return True, ""

    def device_description(self) -> str:
        return "cpu"

    # ---- kernels --------------------------------------------------------------------
    def has_kernel(self, op_name: str) -> bool:
        return op_name in self.kernels

    def prepare(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Spec],
                out_specs: Sequence[Spec]) -> Callable[..., Any] | None:
        """Return ``f(*arrays) -> array | tuple`` for this signature, or ``None`` when the
        backend has no kernel for the op (the dispatcher then uses the decomposition)."""
        kernel = self.kernels.get(op_name)
        if kernel is None:
            return None
        if not attrs:
            return kernel
        bound = dict(attrs)
        return lambda *arrays: kernel(*arrays, **bound)

    # ---- data movement ------------------------------------------------------------
    def from_flat(self, values: list, shape: tuple[int, ...], dtype: DType) -> Any:
        """Build an array from row-major Python values (already checked to fit ``dtype``)."""
        raise NotImplementedError

    def from_numpy(self, array: Any, dtype: DType) -> Any:
        raise NotImplementedError

    def to_numpy(self, array: Any, dtype: DType) -> Any:
        raise NotImplementedError

    def to_list(self, array: Any, dtype: DType) -> list:
        """Row-major Python values (``bool``, ``int`` or ``float``)."""
        return self.to_numpy(array, dtype).ravel().tolist()

    def is_native(self, obj: Any) -> bool:
        """True if ``obj`` is this backend's own array type (wrapped without conversion)."""
        return False

    def from_native(self, obj: Any) -> tuple[Any, DType]:
        """``(array, dtype)`` for one of this backend's own arrays."""
        raise NotImplementedError

    def shape_of(self, array: Any) -> tuple[int, ...]:
        return tuple(int(d) for d in array.shape)

    def import_from(self, other: Backend, array: Any, dtype: DType) -> Any:
        """Take an array of another backend (e.g. via DLPack); ``None`` to fall back on NumPy."""
        return None

    def scalar(self, value: bool | int | float, dtype: DType) -> Any:
        """A 0-d array; backends override this with something faster than ``from_flat``."""
        return self.from_flat([value], (), dtype)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
