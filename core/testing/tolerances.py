"""How close a backend's result must be to the reference's: the one tolerance table.

The reference backend (``python``) computes every result in float64 (or exact integers)
and rounds *once* to the output dtype; its sums are exact (``math.fsum``). A fast backend
may legitimately differ from it, but only by the error its arithmetic can make, so the
allowed difference depends on three things:

**The dtype.** Everything is measured in units of ``eps(dtype)``, the distance from 1.0
to the next float (``2**-10`` for float16, ``2**-7`` for bfloat16, ``2**-23`` for float32,
``2**-52`` for float64). Integer and boolean results are always compared exactly: their
semantics (wrap-around, floor division, shifts) are fully specified in
``docs/kernels.md``, so any difference is a bug.

**What the op computes** (its *family*, :data:`OP_FAMILY`):

``exact``
    Data movement and selection (reshape, transpose, slice, take, pad, concatenate,
    where, max/min, comparisons, floor/ceil/round, abs, neg, cast, ...): the result is one
    of the input values or a correctly rounded conversion, so there is exactly one right
    answer. Tolerance 0.
``rounded``
    IEEE basic operations (``+ - * /``, sqrt, floor_divide, mod): correctly rounded in
    every precision, but a backend that computes float16/bfloat16 through float32 rounds
    twice, which can flip the last bit of a subnormal result: ``rtol = 1 eps`` and
    ``atol`` = one ulp of the smallest subnormal.
``transcendental``
    exp, log, sin, tanh, erf, power, ...: libm functions are accurate to about one ulp,
    not correctly rounded, and half-precision results are float32 values rounded again.
    ``rtol = atol = 4 eps`` (8 eps in float16/bfloat16, where the double rounding and the
    coarse grid make a 2-ulp difference common). The absolute term covers results near
    zero (``sin`` near pi, ``log`` near 1), where relative error is meaningless.
``reduction``
    Sums and everything made of sums (sum, prod, mean, matmul, einsum, conv,
    scatter_add, ...). A backend may add in any order and may accumulate a
    float16/bfloat16 sum in float32; the rounding error of a sum of ``n`` terms grows
    like ``sqrt(n)`` on average (``n`` in the worst case) and is proportional to the size
    of the *terms*, not of the result (cancellation). So
    ``rtol = 4 eps sqrt(n)`` and ``atol = 4 eps sqrt(n) * scale``, where ``n`` is the
    reduction length of the case and ``scale`` the magnitude of one term (by default the
    product of the largest absolute values of the float inputs: ``|a|max * |b|max`` for a
    matmul).
``composite``
    Chains of several rounded ops (softmax, gelu, var, logsumexp, sigmoid, softplus, tan,
    sinh ...). Each step rounds on both sides, and a one-ulp difference in an early step
    can be amplified by cancellation later (``1 - tanh``, ``exp(x) - exp(-x)``): like
    ``reduction`` with 8 eps, and ``scale`` at least 1 (intermediates of size about 1).

**The case.** A case can give its own reduction length ``n``, ``scale`` and a factor
``tol_factor`` (for a documented reason next to the case), and :data:`OVERRIDES` holds
the few (op, dtype) pairs that need their own numbers, each with its reason.

Beyond the numbers: NaN must appear in exactly the same positions, infinities must match
exactly (sign included), and a value is accepted when
``|actual - expected| <= atol + rtol * |expected|`` (as ``numpy.isclose``). Signed zeros
compare equal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["EPS", "TINY", "Tolerance", "OP_FAMILY", "FAMILY_FACTORS", "OVERRIDES",
           "family_of", "tolerance"]

#: distance from 1.0 to the next representable value, per float dtype
EPS: dict[str, float] = {
    "float16": 2.0 ** -10,
    "bfloat16": 2.0 ** -7,
    "float32": 2.0 ** -23,
    "float64": 2.0 ** -52,
}

#: the smallest positive (subnormal) value, per float dtype: one ulp at the bottom
TINY: dict[str, float] = {
    "float16": 2.0 ** -24,
    "bfloat16": 2.0 ** -133,
    "float32": 2.0 ** -149,
    "float64": 5e-324,
}

_HALF = ("float16", "bfloat16")


@dataclass(frozen=True)
class Tolerance:
    """Accept ``actual`` when ``|actual - expected| <= atol + rtol * |expected|``."""

    rtol: float = 0.0
    atol: float = 0.0

    @property
    def exact(self) -> bool:
        return self.rtol == 0.0 and self.atol == 0.0

    def allows(self, actual: float, expected: float) -> bool:
        return abs(actual - expected) <= self.atol + self.rtol * abs(expected)

    def __str__(self) -> str:
        return "exact" if self.exact else f"rtol={self.rtol:.3g}, atol={self.atol:.3g}"


#: multiples of eps: (rtol factor, atol factor) per family; None atol means TINY
FAMILY_FACTORS: dict[str, tuple[float, float | None]] = {
    "exact": (0.0, 0.0),
    "rounded": (1.0, None),
    "transcendental": (4.0, 4.0),
    "reduction": (4.0, 4.0),
    "composite": (8.0, 8.0),
}

#: every op and public function with cases, and the family its tolerance comes from;
#: anything not listed is ``exact``
OP_FAMILY: dict[str, str] = {
    # correctly rounded basic operations
    **dict.fromkeys(["add", "subtract", "multiply", "divide", "sqrt", "floor_divide",
                     "mod", "square", "reciprocal"], "rounded"),
    # libm functions
    **dict.fromkeys(["exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "erf",
                     "power", "rsqrt", "log2", "log10"], "transcendental"),
    # sums
    **dict.fromkeys(["sum", "prod", "mean", "matmul", "einsum", "dot", "outer", "inner",
                     "vdot", "tensordot", "trace", "scatter_add", "patches_transpose",
                     "conv", "conv1d", "conv2d", "conv_transpose", "depthwise_conv",
                     "separable_conv2d", "avg_pool", "linspace", "count_nonzero"],
                    "reduction"),
    # chains of rounded ops
    **dict.fromkeys(["var", "std", "logsumexp", "softmax", "log_softmax", "sigmoid",
                     "tan", "sinh", "cosh", "arctan", "softplus", "logaddexp",
                     "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "softsign",
                     "hard_sigmoid", "hard_silu", "log_sigmoid"], "composite"),
}

#: (op, dtype) -> (rtol, atol), with the reason
OVERRIDES: dict[tuple[str, str], tuple[float, float]] = {
    # The NumPy backend evaluates erf from a series in float64 (no SciPy); the series
    # loses a few hundred ulps to cancellation near |x| = 2.5, still ~1e-14.
    ("erf", "float64"): (1e-13, 1e-13),
    # arctan is a 12-term polynomial after two half-angle steps (bit-identical by
    # construction on every backend whose primitives agree); float64 rounding in the
    # steps adds a few ulps.
    ("arctan", "float64"): (64 * EPS["float64"], 64 * EPS["float64"]),
}


def family_of(op: str) -> str:
    """The tolerance family of an op or public function (``exact`` if unlisted)."""
    return OP_FAMILY.get(op, "exact")


def tolerance(op: str, dtype: str, n: int = 1, scale: float = 1.0,
              family: str | None = None, factor: float = 1.0) -> Tolerance:
    """The tolerance for one result of ``op`` in ``dtype``.

    ``n`` is the reduction length (terms per output element), ``scale`` the magnitude of
    one term, ``family`` overrides :data:`OP_FAMILY` and ``factor`` widens a case's
    tolerance. Integer and boolean dtypes are always exact.
    """
    dtype = str(dtype)
    if dtype not in EPS:
        return Tolerance(0.0, 0.0)
    override = OVERRIDES.get((op, dtype))
    if override is not None:
        return Tolerance(override[0] * factor, override[1] * factor)
    fam = family or family_of(op)
    if fam not in FAMILY_FACTORS:
        raise KeyError(f"unknown tolerance family {fam!r}; expected one of "
                       f"{', '.join(FAMILY_FACTORS)}")
    c_r, c_a = FAMILY_FACTORS[fam]
    eps = EPS[dtype]
    if fam == "exact":
        return Tolerance(0.0, 0.0)
    if fam == "rounded":
        return Tolerance(c_r * eps * factor, TINY[dtype] * factor)
    half = 2.0 if dtype in _HALF else 1.0
    if fam == "transcendental":
        return Tolerance(c_r * half * eps * factor, (c_a or 0.0) * half * eps * factor)
    grow = math.sqrt(max(int(n), 1))
    scale = abs(scale) if math.isfinite(scale) else 1.0
    if fam == "composite":
        scale = max(scale, 1.0)
    return Tolerance(c_r * eps * grow * factor,
                     max((c_a or 0.0) * eps * grow * scale * factor, TINY[dtype]))
