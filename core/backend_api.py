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

Optional, for compiled plans (``tw.jit``; see :mod:`tensorweave.graph.executor`). A
backend that leaves them alone still runs every plan, only without buffer reuse or fusion:

* :meth:`prepare_out` returns an *out-kernel* ``f(*arrays, out=buffer)`` that writes the
  result into a preallocated ``buffer`` (from :meth:`empty`, of the output's shape and
  dtype) and returns it. The plan then preallocates buffers once and reuses a buffer
  whose value is dead (by liveness), so a training step allocates almost nothing.
  ``f.inplace`` (optional, default ``()``) lists input positions whose array may *be*
  ``buffer`` (an elementwise kernel reading each element before writing it). Out-kernels
  always produce new values in ``buffer``, never views of their inputs.
* :meth:`empty` allocates an uninitialised array (required when :meth:`prepare_out`
  returns kernels).
* :meth:`can_overwrite` says whether an array handed to a plan as a *donated* input may
  be written in place (it owns its memory, is writable and contiguous).
* :meth:`fused_kernel` may implement one elementwise fusion group (see
  :class:`tensorweave.graph.passes.fuse.FusionGroup`) as a single kernel.

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

    # ---- optional: compiled plans --------------------------------------------------
    def prepare_out(self, op_name: str, attrs: dict[str, Any], in_specs: Sequence[Spec],
                    out_specs: Sequence[Spec]) -> Callable[..., Any] | None:
        """An out-kernel for this signature (single-output ops only), or ``None``.

        The returned ``f(*arrays, out=buffer)`` writes the op's result into ``buffer``
        (an array from :meth:`empty` with the output spec's shape and dtype, C-contiguous)
        and returns ``buffer``; it must give the same values as the kernel from
        :meth:`prepare`. ``f.inplace`` (optional) is a tuple of input positions whose
        array may be ``buffer`` itself; the plan only passes such an input when it has the
        output's shape and dtype and is dead after this op. The same array may then also
        appear at other positions (``add(x, x)`` in place into ``x``), which a kernel
        making several passes must allow for; no other input overlaps ``buffer``. The
        default has no out-kernels: every op allocates its result.
        """
        return None

    def empty(self, shape: tuple[int, ...], dtype: DType) -> Any:
        """An uninitialised, C-contiguous array (buffers for :meth:`prepare_out` kernels)."""
        raise NotImplementedError(f"backend {self.name!r} does not allocate plan buffers")

    def can_overwrite(self, array: Any) -> bool:
        """True when ``array`` (a donated plan input) may be written in place: it owns its
        memory, is writable and C-contiguous. The plan copies a donated input for which
        this is false before writing into it."""
        return False

    def fused_kernel(self, group: Any) -> Callable[..., Any] | None:
        """One kernel for an elementwise fusion group, or ``None`` to run its members.

        ``group`` is a :class:`tensorweave.graph.passes.fuse.FusionGroup`: ``group.nodes``
        (members in topological order, the root last), ``group.inputs`` (the symbolic
        tensors it reads from outside, in order), ``group.output`` (the root's value),
        ``group.expression()`` / ``group.key`` (a hashable description, for memoising
        compiled kernels) and ``group.subgraph()`` (the members as a small
        :class:`~tensorweave.graph.Graph`). The callable takes one array per
        ``group.inputs`` entry and returns a new array with ``group.output``'s shape and
        dtype.
        """
        return None

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
