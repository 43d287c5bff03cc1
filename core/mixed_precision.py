"""``tw.mixed_precision``: the global dtype policy of new layers (Keras's API).

``set_global_policy("mixed_float16")`` makes layers compute in float16 while keeping
float32 variables (``"mixed_bfloat16"`` likewise); ``"float32"`` restores the default.
A layer's own ``dtype=`` argument overrides the global policy.
"""

from __future__ import annotations

from typing import Any

__all__ = ["set_global_policy", "global_policy"]


def set_global_policy(policy: Any) -> None:
    from tensorweave.plugins.layers.policy import set_global_policy as _set

    _set(policy)


def global_policy() -> str:
    from tensorweave.plugins.layers.policy import global_policy as _get

    return _get()
