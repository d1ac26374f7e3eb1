"""Write a run's figures into docs/benchmarks.md (between its results markers) and its plots
into docs/img/: ``python -m benchmarks.docs [RESULTS.json]`` or ``python -m benchmarks --docs``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchmarks.report import Row, format_scaling, format_table
from benchmarks.stats import median

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "benchmarks.md"
IMAGES = REPO / "docs" / "img"
START = "<!-- results:start (written by python -m benchmarks --docs) -->"
END = "<!-- results:end -->"
PEERS_START = "<!-- peers:start (written by python -m benchmarks.peers run --docs) -->"
PEERS_END = "<!-- peers:end -->"


def _loads(results: dict[str, Any]) -> list[float]:
    found = [results.get("load", {}).get("start"), results.get("load", {}).get("end")]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                if key == "load" and isinstance(inner, (int, float)):
                    found.append(inner)
                else:
                    walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk(results.get("main", {}))
    walk(results.get("scaling", []))
    return [v for v in found if isinstance(v, (int, float)) and v >= 0]


def render(results: dict[str, Any]) -> str:
    """The Markdown block: run, machine, table, scaling, context, plots."""
    machine = results["machine"]
    corpus = results["corpus"]
    loads = _loads(results)
    rows = [Row(**row) for row in results["table"]]
    out = [
        f"Run of {results['started']} (UTC), `{results['command'].strip()}`, "
        f"{results['runs']} run(s) of each figure, {results.get('seconds', 0) / 60:.0f} minutes.",
        "",
        f"- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB; "
        f"Python {machine['python']}; {machine['platform']}; kwdocs {machine['kwdocs']}"
        f"{' (compiled modules)' if machine.get('compiled') else ' (pure Python)'}.",
        f"- Corpus: {corpus['name']}, {corpus['files']:,} Python files, {corpus['lines']:,} lines, "
        f"{corpus['megabytes']} MB.",
    ]
    if loads:
        # The samples are taken while the benchmark's own processes run, so they count its
        # own load; only the load before it started says whether other work shared the CPU.
        start = results.get("load", {}).get("start")
        out.append(
            f"- 1-minute load average during the run: {min(loads):.1f} to {max(loads):.1f} "
            f"(median {median(loads):.1f}) on {machine['cores']} cores, the benchmark's own "
            "processes included."
            + (
                f" **The load was already {start:.1f} when it started (other work on the machine): "
                "the times below may include CPU contention.**"
                if start is not None and start > machine["cores"] * 0.4
                else ""
            )
        )
    out += ["", format_table(rows), ""]
    wheel_rows = [Row(**row) for row in results.get("wheel_table", [])]
    if wheel_rows:
        corpus = results["wheel"]["corpus"]
        out += [
            f"Issue 16, the wheel tree ({corpus['files']:,} files, {corpus['lines']:,} lines, "
            f"{corpus['megabytes']:.1f} MB: .py, .pyi, headers, .cuh, .cpp, .cmake, YAML; the "
            "parsers floor parses each with kwdocs's own parser, `ast` or its tree-sitter "
            "grammar, in a pool of all cores):",
            "",
            format_table(wheel_rows),
            "",
        ]
    if results.get("scaling"):
        out += [
            "Time against corpus size (medians; in-process seconds):",
            "",
            format_scaling(results["scaling"]),
            "",
        ]
    server = results.get("main", {}).get("server", {})
    engine_side = server.get("engine_latencies")
    lat = server.get("latencies", [])
    if lat:
        out += [
            "Latency distributions (client round trip over stdio, ms):",
            "",
            "| request | count | p50 | p90 | p99 | max | empty answers |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in ("hover", "definition", "symbol"):
            d = lat[-1].get(name)
            if d:
                out.append(
                    f"| {name} | {d['count']} | {d['p50'] * 1000:.1f} | {d['p90'] * 1000:.1f} "
                    f"| {d['p99'] * 1000:.1f} | {d['max'] * 1000:.1f} | {d.get('empty', '–')} |"
                )
        edit = lat[-1].get("edit")
        if edit:
            out.append(
                f"| edit → hover | {edit['count']} | {edit['p50'] * 1000:.1f} "
                f"| {edit['p90'] * 1000:.1f} | {edit['p99'] * 1000:.1f} "
                f"| {edit['max'] * 1000:.1f} | – |"
            )
        out.append("")
    if engine_side:
        out += ["The engine alone, in the benchmark process (no server, no JSON-RPC):", ""]
        for name, d in engine_side.items():
            out.append(
                f"- `{name}`: p50 {d['p50'] * 1000:.2f} ms, p90 {d['p90'] * 1000:.2f} ms, "
                f"p99 {d['p99'] * 1000:.2f} ms, max {d['max'] * 1000:.1f} ms "
                f"({d['count']} calls)"
            )
        out.append("")
    main = results.get("main", {})
    ctags = median([r["seconds"] for r in main.get("ctags", [])])
    peak = median([r["peak_memory_mib"] for r in main.get("cold_index", [])])
    cold_wall = median([r["wall"] for r in main.get("cold_index", [])])
    warm_wall = median([r["wall"] for r in main.get("warm_index", [])])
    extra = []
    if ctags is not None:
        extra.append(f"- universal-ctags over the same files: {ctags:.2f} s.")
    if peak is not None:
        extra.append(
            f"- `kwdocs index --no-cache`: peak RSS {peak:.0f} MiB (main process), "
            f"{cold_wall:.2f} s from process start to exit."
        )
    if warm_wall is not None:
        extra.append(
            f"- `kwdocs index` with the cache: {warm_wall:.2f} s from process start "
            "to exit (interpreter start and imports included)."
        )
    if extra:
        out += [*extra, ""]
    for name, caption in (
        ("latency.png", "Latency distributions"),
        ("scaling.png", "Time against corpus size"),
    ):
        if (IMAGES / name).exists():
            out.append(f"![{caption}](img/{name})")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _replace_block(doc: Path, start: str, end: str, body: str) -> None:
    """Put ``body`` between the ``start`` and ``end`` markers of ``doc`` (appended when the
    markers are missing)."""
    block = f"{start}\n\n{body}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n\n"
    if start in text and end in text:
        before = text.split(start, 1)[0]
        after = text.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    doc.write_text(text, encoding="utf-8")


def update(results: dict[str, Any], doc: Path = DOC) -> Path:
    """Replace the results block of ``doc`` (and the peers block when the run has peers)."""
    from benchmarks.plots import write_plots

    write_plots(results, IMAGES)
    _replace_block(doc, START, END, render(results))
    if results.get("peers", {}).get("side_by_side"):
        update_peers(results["peers"], doc)
    return doc


def update_peers(peers: dict[str, Any], doc: Path = DOC) -> Path:
    """Replace the peers block of ``doc`` with the tables of a peers run."""
    from benchmarks.peers.docs import render_peers

    _replace_block(doc, PEERS_START, PEERS_END, render_peers(peers))
    return doc


def main() -> None:
    path = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "benchmarks" / "results" / "latest.json"
    )
    print(update(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
