"""Small statistics over samples: medians, percentiles, load average."""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    """The median, or None when nothing was measured."""
    return statistics.median(values) if values else None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), nearest-rank: a value that was actually observed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def distribution(values: Sequence[float]) -> dict[str, float | int | None]:
    """Count, p50, p90, p99 and max of a latency sample."""
    return {
        "count": len(values),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values) if values else None,
    }


def load_average() -> float:
    """The 1-minute load average: this machine is shared, so every figure records it."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return -1.0
