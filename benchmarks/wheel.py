"""The figures of issue 16 on the whole wheel tree (torch/ and torchgen/ of the wheel: .py, .pyi,
headers, .cuh, .cpp, .cmake, YAML): the parsers floor (every file parsed with kwdocs's own
parsers in a pool of all cores), kwdocs's cold index against it, the warm start from the cache
(``kwdocs index`` and the real server), and the cold export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from benchmarks import engine
from benchmarks.report import Row, verdict
from benchmarks.scratch import fresh
from benchmarks.stats import median

FIGURES = (
    "wheel tree: cold index (Python and C/C++/CUDA together)",
    "wheel tree: warm start (cache present, nothing changed)",
    "wheel tree: export of every page, cold",
)
INDEX_LIMIT = 1.5
"""Issue 16: the cold index within 1.5 × the parsers floor."""
WARM_LIMIT = 0.5
"""As fast as today's warm start: the speed issue's 0.5 s after the server started."""
EXPORT_LIMIT = 1.5
"""The speed issue's export target (1.5 × the floor), held against the parsers floor."""


def wheel_figures(
    root: Path, work: Path, runs: int, *, export: bool, server: bool, say: Any = print
) -> dict[str, Any]:
    """Floor and cold index alternated (so load drift hits both), then warm starts, then cold
    exports."""
    out: dict[str, Any] = {
        "root": str(root),
        "floor": [],
        "cold_index": [],
        "warm_index": [],
        "warm_start": [],
        "export": [],
    }
    for i in range(runs):
        say(f"wheel tree: parsers floor and cold index {i + 1}/{runs}")
        out["floor"].append(engine.parsers_floor(root))
        out["cold_index"].append(engine.kwdocs_index(root, work / "wheel-unused", no_cache=True))
    warm = fresh(work / "wheel-cache-warm")
    engine.kwdocs_index(root, warm, no_cache=False)  # fills the cache
    for i in range(runs):
        say(f"wheel tree: warm index {i + 1}/{runs}")
        out["warm_index"].append(engine.kwdocs_index(root, warm, no_cache=False))
    if server:
        from benchmarks import server as S

        why = S.server_available()
        if why is None:
            for i in range(runs):
                say(f"wheel tree: server warm start {i + 1}/{runs}")
                out["warm_start"].append(
                    asyncio.run(S.warm_start(root, warm, work / "wheel-server.log"))
                )
        else:
            out["warm_start_missing"] = why
    if export:
        for i in range(runs):
            say(f"wheel tree: cold export {i + 1}/{runs}")
            out["export"].append(
                engine.kwdocs_export(
                    root, fresh(work / "wheel-export-out"), fresh(work / "wheel-export-cache")
                )
            )
    return out


def wheel_rows(figures: dict[str, Any]) -> list[Row]:
    """One row per figure of issue 16 the run measured (or why not)."""
    floor = median([r["seconds"] for r in figures.get("floor", [])])
    cold = median([r["seconds"] for r in figures.get("cold_index", [])])
    rows: list[Row] = []
    target = f"≤ {INDEX_LIMIT} × parsers floor"
    if floor and cold:
        ratio = cold / floor
        files = figures["cold_index"][0].get("files", 0)
        languages = figures["floor"][0].get("by_language", {})
        parsed = ", ".join(f"{n:,} {lang}" for lang, n in sorted(languages.items()))
        rows.append(
            Row(
                FIGURES[0],
                target,
                f"{cold:.2f} s = {ratio:.2f} × floor {floor:.2f} s ({files:,} files: {parsed})",
                verdict(ratio, INDEX_LIMIT, "×"),
            )
        )
    else:
        rows.append(Row(FIGURES[0], target, "–", "not measured"))
    warm_index = median([r["seconds"] for r in figures.get("warm_index", [])])
    warm_server = median(
        [
            r["ready_after_initialized_s"]
            for r in figures.get("warm_start", [])
            if r.get("ready_after_initialized_s") is not None
        ]
    )
    target = f"≤ {WARM_LIMIT} s"
    if warm_server is not None:
        detail = f"{warm_server:.2f} s after the server started"
        if warm_index is not None:
            detail += f"; `kwdocs index` in-process {warm_index:.2f} s"
        rows.append(Row(FIGURES[1], target, detail, verdict(warm_server, WARM_LIMIT)))
    elif warm_index is not None:
        why = figures.get("warm_start_missing", "skipped")
        rows.append(
            Row(
                FIGURES[1],
                target,
                f"`kwdocs index` in-process {warm_index:.2f} s (no server: {why})",
                verdict(warm_index, WARM_LIMIT),
            )
        )
    else:
        rows.append(Row(FIGURES[1], target, "–", "not measured"))
    exports = figures.get("export", [])
    cold_export = median([r["summary"].get("seconds", r["wall"]) for r in exports])
    target = f"≤ {EXPORT_LIMIT} × parsers floor"
    if cold_export is not None and floor:
        ratio = cold_export / floor
        pages = exports[0]["summary"].get("written")
        wall = median([r["wall"] for r in exports])
        rows.append(
            Row(
                FIGURES[2],
                target,
                f"{cold_export:.2f} s = {ratio:.2f} × floor ({wall:.2f} s wall, {pages} pages)",
                verdict(ratio, EXPORT_LIMIT, "×"),
            )
        )
    else:
        rows.append(Row(FIGURES[2], target, "–", "not measured"))
    return rows
