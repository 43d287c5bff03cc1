"""Test configuration of the project's own tests.

The ``--tw-backend`` option and the ``tw_backend`` / ``tw_reference`` fixtures come from
tensorweave's pytest plugin (:mod:`tensorweave.testing.pytest_plugin`), which pytest
loads through the ``pytest11`` entry point wherever tensorweave is installed, so nothing
needs importing here. This file sets what is specific to this suite: a hypothesis profile
that is derandomized (the same examples on every run: nothing flaky) and small (the
``python`` backend is slow), and the list of known conformance failures.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "tensorweave", max_examples=25, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile(
    "thorough", max_examples=500, derandomize=False, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile(os.environ.get("TENSORWEAVE_HYPOTHESIS_PROFILE", "tensorweave"))


@dataclass(frozen=True)
class KnownFailure:
    """A conformance failure that is understood, reported, and not yet fixed.

    It matches a failed case when the backend, the case name (a glob) and a piece of the
    failure message all match. Each entry names the file and the fix; delete it when the
    fix lands (the conformance test then fails on purpose until the entry is gone).
    """

    backend: str
    case: str
    message: str
    reason: str

    def matches(self, backend: str, case: str, message: str) -> bool:
        return (fnmatch.fnmatchcase(backend, self.backend)
                and fnmatch.fnmatchcase(case, self.case) and self.message in message)


KNOWN_FAILURES: tuple[KnownFailure, ...] = ()


@pytest.fixture
def known_failures() -> tuple[KnownFailure, ...]:
    """The known conformance failures (see :class:`KnownFailure`)."""
    return KNOWN_FAILURES
