"""Promotion helpers for ops with several tensor inputs."""

from __future__ import annotations

from typing import Any

from .. import dtypes as _dt


def promote_pair(where: str, a: Any, b: Any) -> tuple[Any, Any]:
    if a.dtype is b.dtype:
        return a, b
    from .elementwise import cast

    t = _dt.result_type(a.dtype, b.dtype)
    return cast(a, t), cast(b, t)


def promote_all(where: str, xs: list) -> list:
    if all(x.dtype is xs[0].dtype for x in xs):
        return xs
    from .elementwise import cast

    t = _dt.result_type(*[x.dtype for x in xs])
    return [cast(x, t) for x in xs]
