"""Conformance cases: ``tensorweave.random``. Random functions are compositions of exact
ops (a Philox counter generator and float64 arithmetic), so every backend must produce the
same bits as the reference: all of these compare exactly (rows ``random.<name>``)."""

from __future__ import annotations

from typing import Any

from .cases import FLOATS, A, CaseList


def _rnd() -> Any:
    from .. import random

    return random


def _fn(name: str, **kw: Any) -> Any:
    """A case function calling ``tensorweave.random.<name>`` with fixed arguments."""
    def call(*tensors: Any) -> Any:
        return getattr(_rnd(), name)(*tensors, **kw)
    call.__name__ = f"random_{name}"
    return call


def build(cl: CaseList) -> None:
    for dt in FLOATS:
        cl.add("random.uniform", dt, fn=_fn("uniform", shape=(3, 5), dtype=dt, seed=7))
        cl.add("random.normal", dt, fn=_fn("normal", shape=(3, 5), dtype=dt, seed=11))
        cl.add("random.truncated_normal", dt,
               fn=_fn("truncated_normal", shape=(2, 6), dtype=dt, seed=5))
    cl.add("random.uniform", "float32/range", fn=_fn("uniform", shape=(7,), minval=-2.0,
                                                      maxval=3.0, seed=123456789))
    cl.add("random.uniform", "float32/negative_seed", fn=_fn("uniform", shape=(4,),
                                                              seed=-1))
    cl.add("random.uniform", "float32/empty", fn=_fn("uniform", shape=(0, 3), seed=1))
    cl.add("random.normal", "float64/mean_std", fn=_fn("normal", shape=(9,), mean=2.0,
                                                        stddev=0.5, dtype="float64",
                                                        seed=2**40 + 3))
    for dt in ("int32", "int64", "uint8", "int8"):
        cl.add("random.randint", dt, fn=_fn("randint", shape=(4, 4), minval=0, maxval=100,
                                            dtype=dt, seed=3))
    cl.add("random.randint", "int32/negative_range",
           fn=_fn("randint", shape=(10,), minval=-50, maxval=-3, seed=9))
    cl.add("random.dropout", "float32", A((4, 5)), fn=_fn("dropout", rate=0.4, seed=13))
    cl.add("random.dropout", "float16/noise_shape", A((3, 4), "float16"),
           fn=_fn("dropout", rate=0.5, noise_shape=(1, 4), seed=2))
    cl.add("random.shuffle", "int32", A((6, 2), "int32", "arange"),
           fn=_fn("shuffle", seed=4))
    cl.add("random.shuffle", "float32/axis1", A((2, 7)), fn=_fn("shuffle", axis=1, seed=8))
    cl.add("random.categorical", "int32", A((2, 4)), fn=_fn("categorical", num_samples=6,
                                                            seed=21))
