"""Real Keras 3 as the oracle: fixtures shared by the tests in this folder.

Every test here compares tensorweave with Keras itself, not with our reading of it. Keras
runs on its JAX backend on the CPU (``KERAS_BACKEND=jax`` unless the environment already
chose one); it is imported once per session (about 3 s) and the whole folder skips, with
the reason, when Keras 3 is not installed (``pip install -e '.[oracle]'``).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

# Keras's side compiles every op once per shape with XLA; these flags keep that compile
# cheap (about a third less time for the oracle files) without changing float results.
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0 "
                                   "--xla_llvm_disable_expensive_passes=true")


def _import_keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except Exception as exc:  # noqa: BLE001  (any failed import means: no oracle here)
        pytest.skip(f"real Keras 3 is not importable ({type(exc).__name__}: {exc}); "
                    "install the oracle extra: pip install -e '.[oracle]'")
    if not keras.__version__.startswith("3."):
        pytest.skip(f"the oracle needs Keras 3, found Keras {keras.__version__}")
    return keras


@pytest.fixture(scope="session")
def keras() -> Any:
    """The real ``keras`` module (Keras 3, JAX backend, CPU)."""
    return _import_keras()


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded NumPy generator: the shared inputs both libraries see."""
    return np.random.default_rng(0)


def to_numpy(x: Any) -> np.ndarray:
    """A NumPy array from a tensorweave tensor, a Keras/JAX array or anything array-like."""
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        try:
            return np.asarray(x.numpy())
        except Exception:  # noqa: BLE001  (JAX arrays have no .numpy(); fall through)
            pass
    return np.asarray(x)


def assert_close(ours: Any, theirs: Any, *, rtol: float = 1e-5, atol: float = 1e-6,
                 what: str = "", check_dtype: bool = True) -> None:
    """Equal values, shapes and dtypes (within float32 tolerance) of tensorweave and Keras."""
    a, b = to_numpy(ours), to_numpy(theirs)
    assert a.shape == b.shape, f"{what}: shape {a.shape} (tensorweave) vs {b.shape} (Keras)"
    assert a.dtype == b.dtype or not check_dtype, (
        f"{what}: dtype {a.dtype} (tensorweave) vs {b.dtype} (Keras)")
    if a.dtype.kind in "fc":
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what, equal_nan=True)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.fixture
def close() -> Any:
    """``assert_close(ours, theirs, rtol=, atol=, what=)`` as a fixture (no cross-imports)."""
    return assert_close


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the Keras parity table when the API-surface oracle ran."""
    import sys

    module = sys.modules.get("test_api_surface")
    if module is None or not getattr(module, "PARITY", None):
        return
    terminalreporter.write_sep("-", "Keras 3 API parity (tests/oracle/test_api_surface.py)")
    terminalreporter.write_line(module.parity_table())
