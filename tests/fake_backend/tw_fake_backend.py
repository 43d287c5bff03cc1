"""A third-party tensorweave backend in a dozen lines: the NumPy backend under the name
``fake``. It is declared in this package's ``pyproject.toml``::

    [project.entry-points."tensorweave.backends"]
    fake = "tw_fake_backend:FakeBackend"

so that, once installed, ``tw.list_backends()`` lists it and ``TENSORWEAVE_BACKEND=fake``
selects it. The tests only rely on the name and the NumPy kernels.
"""

from __future__ import annotations

from tensorweave.backends.numpy import NumpyBackend

__all__ = ["FakeBackend"]


class FakeBackend(NumpyBackend):
    name = "fake"

    def device_description(self) -> str:
        return "cpu (tw_fake_backend, the NumPy kernels under another name)"
