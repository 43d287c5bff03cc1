"""The global dtype policy (``"float32"``, ``"mixed_float16"``, ``"mixed_bfloat16"`` ...)."""

from __future__ import annotations

from typing import Any

_policy: str = "float32"


def set_global_policy(policy: Any) -> None:
    global _policy
    _policy = getattr(policy, "name", policy)


def global_policy() -> str:
    return _policy
