"""The peers benchmark: the plan (positions, queries, edits) on a corpus, every server run on
it one after the other, the peers' answers cached, and the scores.

``run`` measures kwdocs and every installed peer and caches the peers' answers under
``benchmarks/results/peers/``, keyed by corpus, positions and peer versions; ``score`` runs
kwdocs alone and scores it against that cache (the loop of whoever works on the resolver)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import corpora
from benchmarks.engine import kwdocs_index
from benchmarks.peers import report
from benchmarks.peers.locations import Target
from benchmarks.peers.measure import Plan, ServerRun, measure
from benchmarks.peers.scoring import Consensus, Score, score
from benchmarks.peers.servers import CHECKERS, KWDOCS, PEERS, ServerSpec, installed
from benchmarks.peers.workspace import neutral_root
from benchmarks.positions import Category, Position, pick_categorised, symbol_queries_from
from benchmarks.stats import load_average

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
FIRST_HOVER_FILE = "torch/nn/modules/module.py"
FIRST_HOVER_CLASS = "Module"


@dataclass(frozen=True)
class Settings:
    """How many positions, files, queries and edits; the seed of the draw."""

    positions: int = 1000
    files: int = 50
    queries: int = 100
    edits: int = 10
    seed: int = 13
    min_lines: int = 80  # files shorter than this give no positions


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_average():.2f}] {message}", file=sys.stderr)


# ---- the plan ---------------------------------------------------------------------------------


def _first_hover(root: Path, positions: list[Position]) -> Position:
    """The class name of torch.nn.Module when the corpus has it, else the first definition."""
    path = root / FIRST_HOVER_FILE
    if path.exists():
        for number, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            if line.startswith(f"class {FIRST_HOVER_CLASS}"):
                return Position(
                    FIRST_HOVER_FILE,
                    number,
                    6 + len(FIRST_HOVER_CLASS) // 2,
                    FIRST_HOVER_CLASS,
                    True,
                    Category.DEFINITION.value,
                )
    return next(p for p in positions if p.is_definition)


def _edit_target(root: Path, lines: int = 2800) -> str | None:
    """The Python file whose length is closest to ``lines`` (the largest among equals)."""
    best: tuple[int, int, str] | None = None
    for path in corpora.python_files(root):
        count = path.read_bytes().count(b"\n")
        key = (abs(count - lines), -count, path.relative_to(root).as_posix())
        best = key if best is None or key < best else best
    return best[2] if best else None


def make_plan(root: Path, settings: Settings) -> Plan:
    positions = pick_categorised(
        root, settings.positions, settings.files, settings.seed, settings.min_lines
    )
    if not positions:
        raise RuntimeError(f"no identifier positions in {root}")
    names = [p.name for p in positions if p.is_definition]
    return Plan(
        positions=positions,
        queries=symbol_queries_from(names, settings.queries, settings.seed),
        first_hover=_first_hover(root, positions),
        edit_path=_edit_target(root),
        edits=settings.edits,
    )


# ---- the cache of the peers' answers -------------------------------------------------------------


def _corpus(root: Path) -> dict[str, Any]:
    info = corpora.describe(root.name, root)
    return {"name": root.name, "files": info.files, "lines": info.lines, "bytes": info.megabytes}


def cache_path(root: Path, plan: Plan, peers: list[ServerSpec]) -> Path:
    """Where the peers' answers for this corpus, these positions and these versions live."""
    parts = {
        "corpus": _corpus(root),
        "positions": [dataclasses.astuple(p) for p in plan.positions],
        "versions": {spec.name: spec.version() for spec in peers},
    }
    digest = hashlib.blake2b(json.dumps(parts, sort_keys=True).encode(), digest_size=10)
    return RESULTS / f"answers-{root.name}-{digest.hexdigest()}.json"


def load_cache(path: Path) -> dict[str, ServerRun]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return {name: ServerRun.from_json(run) for name, run in data["runs"].items()}


def save_cache(path: Path, root: Path, plan: Plan, runs: dict[str, ServerRun]) -> None:
    """Merge ``runs`` (peers only) into the cache file: peers can be run one at a time."""
    kept = load_cache(path)
    kept.update({name: run for name, run in runs.items() if name != KWDOCS.name})
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "corpus": _corpus(root),
        "root": str(root),
        "positions": [dataclasses.asdict(p) for p in plan.positions],
        "runs": {name: run.as_json() for name, run in kept.items()},
    }
    path.write_text(json.dumps(data))


# ---- scoring ------------------------------------------------------------------------------------


@dataclass
class Scored:
    score: Score
    targets: dict[str, list[list[Target]]]
    hovers: dict[str, list[str]]


def score_runs(root: Path, plan: Plan, runs: dict[str, ServerRun]) -> Scored:
    usable = {
        n: r for n, r in runs.items() if not r.error and len(r.answers) == len(plan.positions)
    }
    targets = {
        name: [[Target.from_json(t) for t in a.targets] for a in run.answers]
        for name, run in usable.items()
    }
    hovers = {name: [a.hover for a in run.answers] for name, run in usable.items()}
    categories = [p.category for p in plan.positions]
    return Scored(score(root, categories, targets, hovers, list(CHECKERS)), targets, hovers)


def write_inspection(root: Path, plan: Plan, scored: Scored) -> list[Path]:
    """kwdocs's disagreements and the positions without consensus, as text files."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    written = []
    if KWDOCS.name in scored.targets:
        path = RESULTS / "kwdocs-disagreements.txt"
        path.write_text(
            report.disagreements(root, plan.positions, scored.score, scored.targets, scored.hovers)
        )
        written.append(path)
    path = RESULTS / "split-positions.txt"
    path.write_text(report.split_positions(root, plan.positions, scored.score, scored.targets))
    written.append(path)
    return written


def summary(root: Path, plan: Plan, runs: dict[str, ServerRun], scored: Scored) -> dict[str, Any]:
    """The tables and counts that the console and docs/benchmarks.md show."""
    labels = {name: run.label for name, run in runs.items()}
    s = scored.score
    return {
        "positions": len(plan.positions),
        "files": len({p.path for p in plan.positions}),
        "categories": {
            c.value: sum(p.category == c.value for p in plan.positions) for c in Category
        },
        "queries": len(plan.queries),
        "edit_path": plan.edit_path,
        "edits": plan.edits,
        "checkers": s.checkers,
        "consensus": {kind.value: s.count(kind) for kind in Consensus},
        "side_by_side": report.side_by_side([r.as_json() for r in runs.values()]),
        "scores": report.scores_table(s, labels),
        "by_category": report.category_table(s, [p.category for p in plan.positions], labels),
        "agreement": {
            name: {"definition": t.share(t.definition, "same"), "hover": t.share(t.hover, "right")}
            for name, t in s.overall.items()
        },
    }


def print_summary(data: dict[str, Any], with_speed: bool = True) -> None:
    consensus = data["consensus"]
    print(
        f"{data['positions']} positions in {data['files']} files; the checkers "
        f"({', '.join(data['checkers'])}) agree at {consensus['agreed']}, all answer nothing at "
        f"{consensus['all-empty']}, differ at {consensus['split']}"
    )
    if with_speed:
        print()
        print(data["side_by_side"])
    print()
    print(data["scores"])
    print()
    print(data["by_category"])


# ---- commands -----------------------------------------------------------------------------------


def _prepare_kwdocs_cache(root: Path, cache: Path) -> None:
    """Fill kwdocs's record cache, so that its first hover is the warm-cache figure."""
    cache.mkdir(parents=True, exist_ok=True)
    kwdocs_index(root, cache, no_cache=False)


def run_all(
    root: Path,
    work: Path,
    settings: Settings,
    names: list[str] | None = None,
) -> dict[str, Any]:
    """Measure kwdocs and the installed peers (or ``names``), one at a time; cache the peers'
    answers; score; write the inspection files. Returns the results (JSON-ready)."""
    root = neutral_root(root)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    say(f"peers: positions on {root}")
    plan = make_plan(root, settings)
    wanted = [KWDOCS, *PEERS] if names is None else [s for s in (KWDOCS, *PEERS) if s.name in names]
    specs, missing = installed(wanted)
    for note in missing:
        say(note)
    kwdocs_cache = work / "peers-kwdocs-cache"
    runs: dict[str, ServerRun] = {}
    for spec in specs:
        if spec is KWDOCS:
            _prepare_kwdocs_cache(root, kwdocs_cache)
        runs[spec.name] = asyncio.run(measure(spec, root, work / "peers", plan, say, kwdocs_cache))
    cache = cache_path(root, plan, list(PEERS))
    save_cache(cache, root, plan, runs)
    every = {**{n: r for n, r in load_cache(cache).items() if n not in runs}, **runs}
    ordered = {s.name: every[s.name] for s in (KWDOCS, *PEERS) if s.name in every}
    scored = score_runs(root, plan, ordered)
    data = summary(root, plan, ordered, scored)
    data.update(
        {
            "started": started,
            "cores": os.cpu_count(),
            "corpus": _corpus(root),
            "root": str(root),
            "missing": missing,
            "cache": str(cache),
            "runs": {n: {**r.as_json(), "answers": None} for n, r in ordered.items()},
            "inspection": [str(p) for p in write_inspection(root, plan, scored)],
        }
    )
    return data


def score_kwdocs(root: Path, work: Path, settings: Settings, full: bool) -> dict[str, Any]:
    """kwdocs alone against the cached peers' answers (``run`` must have made them)."""
    root = neutral_root(root)
    say(f"peers score: positions on {root}")
    plan = make_plan(root, settings)
    cache = cache_path(root, plan, list(PEERS))
    cached = load_cache(cache)
    if not any(name in cached for name in CHECKERS):
        others = sorted(p.name for p in RESULTS.glob(f"answers-{root.name}-*.json"))
        raise SystemExit(
            f"no cached peers' answers for these positions and versions ({cache.name}); "
            f"run `python -m benchmarks.peers run` with the same options first"
            + (f" (cached: {', '.join(others)})" if others else "")
        )
    kwdocs_cache = work / "peers-kwdocs-cache"
    if not kwdocs_cache.exists():
        _prepare_kwdocs_cache(root, kwdocs_cache)
    run = asyncio.run(
        measure(KWDOCS, root, work / "peers", plan, say, kwdocs_cache, with_extras=full)
    )
    ordered = {KWDOCS.name: run, **{s.name: cached[s.name] for s in PEERS if s.name in cached}}
    scored = score_runs(root, plan, ordered)
    data = summary(root, plan, ordered, scored)
    data["inspection"] = [str(p) for p in write_inspection(root, plan, scored)]
    data["kwdocs"] = {**run.as_json(), "answers": None}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "kwdocs-latest.json").write_text(json.dumps(data, indent=1))
    return data
