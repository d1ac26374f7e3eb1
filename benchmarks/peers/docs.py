"""The peers block of docs/benchmarks.md: the side-by-side table, the scores, and kwdocs
against the targets of issue 13."""

from __future__ import annotations

from typing import Any

from benchmarks.peers.servers import KWDOCS


def _verdict(value: float | None, limit: float, higher_is_better: bool = False) -> str:
    if value is None:
        return "not measured"
    met = value >= limit if higher_is_better else value <= limit
    return "met" if met else "MISSED"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value * 1000:.1f} ms"


def targets_table(data: dict[str, Any]) -> str:
    """kwdocs's figures of this run against the targets of issue 13."""
    run = data.get("runs", {}).get(KWDOCS.name) or data.get("kwdocs") or {}
    agreement = data.get("agreement", {}).get(KWDOCS.name, {})
    hover = run.get("hover", {}).get("p99")
    definition = run.get("definition", {}).get("p99")
    edit = run.get("edit", {}).get("p99")
    first = run.get("first_hover_s")
    peak = run.get("peak_mib")
    end = run.get("end_mib")
    left = run.get("children_left")
    rows = [
        (
            "definition agreeing with the type checkers' consensus",
            "≥ 99% of positions",
            _pct(agreement.get("definition")),
            _verdict(agreement.get("definition"), 0.99, higher_is_better=True),
        ),
        (
            "hover describing the symbol at the cursor",
            "≥ 99%",
            _pct(agreement.get("hover")),
            _verdict(agreement.get("hover"), 0.99, higher_is_better=True),
        ),
        (
            "hover and definition p99",
            "≤ 5 ms each",
            f"hover {_ms(hover)}, definition {_ms(definition)}",
            _verdict(max(hover, definition), 0.005) if hover and definition else "not measured",
        ),
        ("edit → updated hover p99", "≤ 30 ms", _ms(edit), _verdict(edit, 0.030)),
        (
            "first hover from process spawn, warm cache",
            "≤ 0.5 s",
            "–" if first is None else f"{first:.2f} s",
            _verdict(first, 0.5),
        ),
        (
            "process tree memory: peak / at the end",
            "≤ 300 MiB / ≤ 200 MiB",
            "–" if peak is None or end is None else f"{peak:,.0f} / {end:,.0f} MiB",
            "not measured"
            if peak is None or end is None
            else f"peak {_verdict(peak, 300)}; end {_verdict(end, 200)}",
        ),
        (
            "child processes alive 3 s after the server ends (shutdown + exit)",
            "0",
            "–" if left is None else str(len(left)),
            "not measured" if left is None else _verdict(len(left), 0),
        ),
    ]
    lines = ["| figure | target | kwdocs | verdict |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def render_peers(data: dict[str, Any]) -> str:
    corpus = data.get("corpus", {})
    consensus = data["consensus"]
    categories = ", ".join(f"{n} {c}" for c, n in data.get("categories", {}).items() if n)
    runs = data.get("runs", {})
    loads = ", ".join(f"{r['label']} {r['load']:.1f}" for r in runs.values() if "load" in r)
    out = [
        f"Run of {data.get('started', '?')} (UTC) on {corpus.get('name', '?')} "
        f"({corpus.get('files', 0):,} Python files, {corpus.get('lines', 0):,} lines), "
        "one server at a time.",
        "",
        f"- Positions: {data['positions']} in {data['files']} files ({categories}); "
        f"{data['queries']} workspace/symbol queries; {data['edits']} edits of "
        f"`{data['edit_path']}`.",
        f"- 1-minute load average when each server started ({data.get('cores', '?')} cores): "
        f"{loads}.",
        f"- The checkers ({', '.join(data['checkers'])}) agree at {consensus['agreed']} "
        f"positions, all answer nothing at {consensus['all-empty']}, differ at "
        f"{consensus['split']}; the scores count the {consensus['agreed']} agreed positions.",
    ]
    if data.get("missing"):
        out.append(f"- Not run: {'; '.join(data['missing'])}.")
    failed = [f"{r['label']}: {r['error']}" for r in runs.values() if r.get("error")]
    if failed:
        out.append(f"- Failed: {'; '.join(failed)}.")
    out += [
        "",
        data["side_by_side"],
        "",
        "Definition and hover against the type checkers' consensus:",
        "",
        data["scores"],
        "",
        "By kind of position (definition = consensus / hover describes the symbol):",
        "",
        data["by_category"],
        "",
        "kwdocs against the targets of issue 13:",
        "",
        targets_table(data),
    ]
    return "\n".join(out).rstrip() + "\n"
