"""Shared by the fuzz tests: example counts scaled by the active profile, and case counting."""

from __future__ import annotations

from collections import Counter

from hypothesis import settings

COUNTS: Counter[str] = Counter()
_BASE = 100  # max_examples of the kwdocs-ci profile


def examples(n: int) -> settings:
    """Settings running ``n`` examples under kwdocs-ci, scaled alike under other profiles."""
    scale = settings.default.max_examples / _BASE
    return settings(max_examples=max(1, round(n * scale)))


def count(name: str) -> None:
    """Record one generated case of property ``name``."""
    COUNTS[name] += 1
