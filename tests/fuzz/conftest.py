"""Hypothesis profiles for the fuzz tests, and a count of the generated cases.

``kwdocs-ci`` (the default) runs over 10,000 cases in about a minute; ``kwdocs-large`` runs ten
times as many. Choose with ``KWDOCS_FUZZ=large`` or ``--hypothesis-profile=kwdocs-large``.
"""

from __future__ import annotations

import os
import time

import pytest
from fuzz_support import COUNTS
from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,  # CPU is shared with other jobs: timing says nothing about correctness
    # hypothesmith discards many drafts internally, and its cases are large and slow to make.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
    print_blob=True,
)
settings.register_profile("kwdocs-ci", max_examples=100, **_COMMON)
settings.register_profile("kwdocs-large", max_examples=1_000, **_COMMON)
settings.load_profile("kwdocs-large" if os.environ.get("KWDOCS_FUZZ") == "large" else "kwdocs-ci")

_started = time.perf_counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    total = sum(COUNTS.values())
    if not total:
        return
    seconds = time.perf_counter() - _started
    terminalreporter.write_sep("-", "kwdocs fuzzing")
    for name, count in sorted(COUNTS.items()):
        terminalreporter.write_line(f"{count:>8,}  {name}")
    profile = settings._current_profile
    terminalreporter.write_line(
        f"{total:>8,}  generated cases, profile {profile} (pytest session: {seconds:.1f} s)"
    )
