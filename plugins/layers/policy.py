"""The global dtype policy (``"float32"``, ``"mixed_float16"``, ``"mixed_bfloat16"`` ...)
and ``DTypePolicy``, the object a layer's ``dtype_policy`` answers (as in Keras 3)."""

from __future__ import annotations

from typing import Any

_policy: str = "float32"


def set_global_policy(policy: Any) -> None:
    global _policy
    _policy = policy_name(policy)


def global_policy() -> str:
    return _policy


def policy_name(policy: Any) -> str:
    """The name of a policy given as a name, a dtype, a ``DTypePolicy`` or its Keras
    config dict (``{"class_name": "DTypePolicy", "config": {"name": "float32"}}``)."""
    if isinstance(policy, dict):
        cfg = policy.get("config", policy)
        return str(cfg.get("name", "float32"))
    return str(getattr(policy, "name", policy))


class DTypePolicy:
    """A layer's dtypes: ``compute_dtype`` (what ``call`` computes in) and
    ``variable_dtype`` (what its weights are stored in); a mixed policy keeps float32
    variables and computes in float16/bfloat16."""

    def __init__(self, name: str | None = None) -> None:
        from tensorweave import dtypes as _dt

        name = policy_name(name if name is not None else global_policy())
        self.name = name
        if name in ("mixed_float16", "mixed_bfloat16"):
            self.compute_dtype = _dt.float16 if name == "mixed_float16" else _dt.bfloat16
            self.variable_dtype = _dt.float32
        else:
            self.compute_dtype = self.variable_dtype = _dt.canonicalize(name)
            self.name = self.variable_dtype.name

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, DTypePolicy):
            return other.name == self.name
        return isinstance(other, str) and other == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self.name}">'
