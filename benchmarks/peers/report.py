"""The peers' figures as Markdown tables (side by side, scores, per category) and the list of
positions where kwdocs disagrees with the consensus, for inspection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.peers.locations import Target
from benchmarks.peers.scoring import Agreement, Consensus, HoverCheck, Score
from benchmarks.positions import Category, Position


def _ms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    ms = seconds * 1000
    if ms >= 1000:
        return f"{ms:,.0f}"
    return f"{ms:.1f}" if ms >= 1 else f"{ms:.2f}"


def _s(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds:.2f} s"


def _mib(value: float | None) -> str:
    return "–" if not value else f"{value:,.0f} MiB"


def _pair(d: dict[str, Any]) -> str:
    if not d or d.get("p50") is None:
        return "–"
    return f"{_ms(d['p50'])} / {_ms(d['p99'])} ms"


def _edit(d: dict[str, Any]) -> str:
    if not d:
        return "–"
    if d.get("p50") is None:
        return f"> {d.get('limit_s', 30):.0f} s" if d.get("timeouts") else "–"
    text = f"{_ms(d['p50'])} / {_ms(d['p99'])} ms"
    if d.get("timeouts"):
        text += f" (then > 30 s: {d['count']} of {d['count'] + d['timeouts']} shown)"
    return text


def side_by_side(runs: list[dict[str, Any]]) -> str:
    """The issue's table, one row per server, plus end memory and processes left behind."""
    lines = [
        "| server | first hover from spawn | hover p50 / p99 | definition p50 / p99 "
        "| workspace/symbol p99 | edit → hover p50 / p99 | peak memory (process tree) "
        "| memory at the end | children alive 3 s after exit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        symbol = run.get("symbol") or {}
        left = run.get("children_left")
        lines.append(
            f"| {run['label']} | {_s(run.get('first_hover_s'))} | {_pair(run.get('hover', {}))} "
            f"| {_pair(run.get('definition', {}))} | "
            f"{_ms(symbol.get('p99')) + ' ms' if symbol.get('p99') is not None else '–'} "
            f"| {_edit(run.get('edit', {}))} | {_mib(run.get('peak_mib'))} "
            f"| {_mib(run.get('end_mib'))} | {len(left) if left is not None else '–'} |"
            + (f" failed: {run['error']}" if run.get("error") else "")
        )
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}% ({part}/{whole})" if whole else "–"


def scores_table(score: Score, labels: dict[str, str]) -> str:
    """Definition agreement and hover check of every server on the agreed positions."""
    agreed = score.count(Consensus.AGREED)
    lines = [
        "| server | definition = consensus | definition empty | definition other "
        "| hover describes the symbol | hover empty | split positions: same as another checker |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, tally in score.overall.items():
        d, h = tally.definition, tally.hover
        lines.append(
            f"| {labels.get(name, name)} | {_share(d.get(Agreement.SAME.value, 0), agreed)} "
            f"| {d.get(Agreement.EMPTY.value, 0)} | {d.get(Agreement.DIFFERENT.value, 0)} "
            f"| {_share(h.get(HoverCheck.RIGHT.value, 0), agreed)} "
            f"| {h.get(HoverCheck.EMPTY.value, 0)} | {_share(tally.split_like_one, tally.split)} |"
        )
    return "\n".join(lines)


def category_table(score: Score, categories: list[str], labels: dict[str, str]) -> str:
    """Definition agreement (and hover, for each server) per kind of position."""
    names = list(score.overall)
    head = "| kind of position | agreed / all | " + " | ".join(
        labels.get(n, n).split(" ")[0] for n in names
    )
    lines = [head + " |", "|---|---|" + "---|" * len(names)]
    totals: dict[str, int] = {}
    for category in categories:
        totals[category] = totals.get(category, 0) + 1
    for category in [c.value for c in Category]:
        if category not in totals:
            continue
        tallies = score.by_category.get(category, {})
        agreed = next(iter(tallies.values())).positions if tallies else 0
        cells = []
        for name in names:
            tally = tallies.get(name)
            if tally is None or not tally.positions:
                cells.append("–")
                continue
            same = tally.definition.get(Agreement.SAME.value, 0)
            right = tally.hover.get(HoverCheck.RIGHT.value, 0)
            cells.append(
                f"{100 * same / tally.positions:.0f}% / {100 * right / tally.positions:.0f}%"
            )
        lines.append(f"| {category} | {agreed} / {totals[category]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _source(root: Path, position: Position) -> str:
    try:
        text = (root / position.path).read_text(encoding="utf-8").split("\n")[position.line]
    except (OSError, IndexError):
        return ""
    column = len(text.encode("utf-16-le")[: position.character * 2].decode("utf-16-le"))
    return (text[:column] + "‸" + text[column:]).strip()


def _where(position: Position) -> str:
    return f"{position.path}:{position.line + 1}:{position.character + 1}"


def disagreements(
    root: Path,
    positions: list[Position],
    score: Score,
    targets: dict[str, list[list[Target]]],
    hovers: dict[str, list[str]],
    subject: str = "kwdocs",
) -> str:
    """Every agreed position where ``subject``'s definition or hover is not the consensus:
    where, the source line, the consensus and ``subject``'s answers."""
    from benchmarks.peers.scoring import defined_in

    out: list[str] = []
    for i, (position, scored) in enumerate(zip(positions, score.positions, strict=True)):
        verdict = scored.definition.get(subject)
        check = scored.hover.get(subject)
        if verdict is None or (verdict is Agreement.SAME and check is HoverCheck.RIGHT):
            continue
        mine = ", ".join(map(str, targets[subject][i])) or "nothing"
        where = defined_in(root, hovers[subject][i])
        hover = (
            "no hover"
            if check is HoverCheck.EMPTY
            else f"Defined in → {where}"
            if where
            else "no Defined in line"
        )
        out += [
            f"{_where(position)}  [{position.category}]  {_source(root, position)}",
            f"    consensus:  {', '.join(map(str, scored.reference.targets))}",
            f"    definition: {mine}  [{verdict.value}]",
            f"    hover:      {hover}  [{check.value if check else '–'}]",
            "",
        ]
    return "\n".join(out)


def split_positions(
    root: Path,
    positions: list[Position],
    score: Score,
    targets: dict[str, list[list[Target]]],
) -> str:
    """Positions without an agreed consensus, with every checker's answer."""
    out: list[str] = []
    for i, (position, scored) in enumerate(zip(positions, score.positions, strict=True)):
        if scored.reference.kind is Consensus.AGREED:
            continue
        out.append(
            f"{_where(position)}  [{position.category}] [{scored.reference.kind.value}]  "
            f"{_source(root, position)}"
        )
        for name in [*score.checkers, *(n for n in targets if n not in score.checkers)]:
            answer = ", ".join(map(str, targets[name][i])) or "nothing"
            out.append(f"    {name:<22} {answer}")
        out.append("")
    return "\n".join(out)
