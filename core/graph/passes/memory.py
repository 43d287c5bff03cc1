"""Static memory planning of a compiled plan: liveness, buffer reuse, in-place updates,
donation.

The planner sees the plan as a list of steps (:class:`StepInfo`) over numbered value slots
and decides, for each step whose kernel can write into a given buffer (an *out-kernel*,
see :meth:`tensorweave.backend_api.Backend.prepare_out`), where its result lives:

* **storages** are pieces of memory: a graph input's array (read-only, or writable when the
  caller *donates* it), a constant's or a variable's array (read-only, always), a
  plan-owned *buffer* (allocated once, reused across runs and across values), a *fresh*
  array allocated at every run (for results that leave the plan as outputs), or whatever a
  plain kernel returned;
* a value's **effective last use** is its last reader, extended to the last use of every
  value that may alias it: a plain kernel (no out-kernel; ``reshape``, ``transpose``,
  ``broadcast_to``, ``slice`` ... return views in NumPy) is assumed to return a view of
  any of its inputs, so its inputs' memory stays alive as long as its result does. Graph
  outputs live forever (``INF``);
* a storage is **dead** after the effective last use of the value it holds; a dead buffer
  (or dead donated input) of the same shape and dtype is reused for the next result that
  needs one;
* **in place**: an elementwise step may write into one of its inputs (listed by the
  kernel's ``inplace`` positions) when that input is the whole storage (not a view), has
  the result's shape and dtype, dies at this step, and no other input of the step reads
  the same memory;
* results that reach a graph output (directly or through views) never live in a plan
  buffer — a later run would overwrite them — so they get a fresh array per run, or are
  written in place into a dying *donated* input (how a training step updates its
  parameters without allocating).

Graph inputs that are not donated, constants and variables are never written.
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["StepInfo", "MemoryPlan", "plan_memory", "INPUT", "DONATED", "READONLY",
           "BUFFER", "FRESH", "KERNEL"]

INPUT, DONATED, READONLY, BUFFER, FRESH, KERNEL = (
    "input", "donated", "readonly", "buffer", "fresh", "kernel")


class StepInfo(NamedTuple):
    """One step: the slots it reads and writes; ``out`` is true when its kernel writes its
    (single) result into a given buffer; ``inplace`` lists the input positions that buffer
    may be."""

    ins: tuple
    outs: tuple
    out: bool = False
    inplace: tuple = ()


class MemoryPlan:
    """Where every value lives. ``step_storage[i]`` is the storage step ``i`` writes its
    result into (``None`` for plain kernels); ``kinds[s]`` / ``specs[s]`` describe storage
    ``s``; ``buffers`` lists the plan-owned buffers; ``donated_written`` the donated input
    slots whose memory gets written; ``last_read[slot]`` the last step reading a value
    (``INF`` for outputs); ``in_place[i]`` whether step ``i`` overwrote one of its inputs."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.specs: list[Any] = []
        self.owner: list[int | None] = []  # input slot of INPUT/DONATED storages
        self.step_storage: list[int | None] = []
        self.in_place: list[bool] = []
        self.value_storage: dict[int, int] = {}
        self.buffers: list[int] = []
        self.donated_written: set[int] = set()
        self.last_read: dict[int, int] = {}
        self.inf = 0

    def new(self, kind: str, spec: Any, owner: int | None = None) -> int:
        self.kinds.append(kind)
        self.specs.append(spec)
        self.owner.append(owner)
        if kind == BUFFER:
            self.buffers.append(len(self.kinds) - 1)
        return len(self.kinds) - 1


def plan_memory(steps: list[StepInfo], specs: dict[int, Any], inputs: list[int],
                donated: set[int], readonly: set[int], outputs: list[int]) -> MemoryPlan:
    """Assign storages to the results of ``steps`` (see the module docstring).

    ``specs`` maps each slot to a hashable ``(shape, dtype)``; ``inputs`` are the graph's
    input slots, ``donated`` those the plan may overwrite; ``readonly`` are constant and
    variable slots; ``outputs`` the graph's output slots.
    """
    mp = MemoryPlan()
    n = len(steps)
    INF = n
    mp.inf = INF
    last: dict[int, int] = {}
    for i, st in enumerate(steps):
        for s in st.ins:
            last[s] = i
    for s in outputs:
        last[s] = INF
    mp.last_read = last
    # effective last use: extend each input of a (possibly) aliasing step to its results'
    eff = dict(last)
    for i in range(n - 1, -1, -1):
        st = steps[i]
        if st.out:
            continue
        m = max((eff.get(o, -1) for o in st.outs), default=-1)
        for s in st.ins:
            if eff.get(s, -1) < m:
                eff[s] = m

    roots: dict[int, frozenset] = {}
    death: dict[int, int] = {}
    by_death: dict[int, list[int]] = {}

    def set_death(s: int, d: int) -> None:
        death[s] = d
        by_death.setdefault(d, []).append(s)

    for slot in inputs:
        kind = DONATED if slot in donated else INPUT
        s = mp.new(kind, specs[slot], owner=slot)
        roots[slot] = frozenset((s,))
        mp.value_storage[slot] = s
        set_death(s, eff.get(slot, -1))
    for slot in readonly:
        s = mp.new(READONLY, specs[slot])
        roots[slot] = frozenset((s,))

    pool: dict[Any, list[int]] = {}
    released = -2

    for i, st in enumerate(steps):
        # storages whose last use came before this step become reusable
        for d in range(released + 1, i):
            for s in by_death.pop(d, ()):
                if death.get(s) == d and mp.kinds[s] in (BUFFER, DONATED):
                    pool.setdefault(mp.specs[s], []).append(s)
        released = i - 1
        if not st.out:
            mp.step_storage.append(None)
            mp.in_place.append(False)
            shared = frozenset().union(*(roots.get(u, frozenset()) for u in st.ins))
            for v in st.outs:
                s = mp.new(KERNEL, specs.get(v))
                roots[v] = shared | {s}
            continue
        v = st.outs[0]
        spec = specs[v]
        escaping = eff.get(v, -1) >= INF
        chosen = None
        for pos in st.inplace:
            u = st.ins[pos]
            s = mp.value_storage.get(u)
            if s is None:
                continue
            kind = mp.kinds[s]
            if kind not in (BUFFER, DONATED) or (escaping and kind != DONATED):
                continue
            if death.get(s) != i or mp.specs[s] != spec:
                continue
            if any(w != u and s in roots.get(w, ()) for w in st.ins):
                continue
            chosen = s
            break
        if chosen is not None:
            s = chosen
            mp.in_place.append(True)
        else:
            mp.in_place.append(False)
            if escaping:
                s = mp.new(FRESH, spec)
            else:
                free = pool.get(spec)
                s = free.pop() if free else mp.new(BUFFER, spec)
        if mp.kinds[s] == DONATED:
            mp.donated_written.add(mp.owner[s])
        mp.step_storage.append(s)
        mp.value_storage[v] = s
        roots[v] = frozenset((s,))
        set_death(s, max(eff.get(v, -1), i))
    return mp
