"""Where to hover: real identifiers picked from the index (keyword names at their definitions
and uses of indexed names), and workspace/symbol queries drawn from real definition names."""

from __future__ import annotations

import io
import keyword as pykeyword
import random
import time
import tokenize
from dataclasses import dataclass
from pathlib import Path

from kwdocs.config import load_settings
from kwdocs.index import KeywordIndex
from kwdocs.pipeline import index_root

from benchmarks.stats import distribution


@dataclass(frozen=True)
class Position:
    """An LSP position (0-based line, UTF-16 character) on an identifier of a file."""

    path: str
    line: int
    character: int
    name: str
    is_definition: bool


def load_index(root: Path, cache_dir: Path) -> KeywordIndex:
    """The index of ``root``, built the way the server builds it (cached in ``cache_dir``)."""
    index, _ = index_root(load_settings(root, {"cacheDir": str(cache_dir)}))
    return index


def _utf16(text: str, col: int) -> int:
    return len(text[:col].encode("utf-16-le")) // 2


def identifiers(
    index: KeywordIndex, root: Path, path: str, known: dict[str, bool] | None = None
) -> list[Position]:
    """Every NAME token of a Python file that the index knows (definitions and uses)."""
    known = {} if known is None else known
    record = index.get(path)
    if record is None:
        return []
    text = (root / path).read_text(encoding=record.encoding, errors="replace")
    lines = text.splitlines()
    definitions = {(k.line, k.col) for k in record.keywords}
    found: list[Position] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.NAME or pykeyword.iskeyword(token.string):
                continue
            (line, col) = token.start
            indexed = known.get(token.string)
            if indexed is None:  # lookups sort their answers: ask once per name
                indexed = known[token.string] = bool(index.lookup(token.string))
            if not indexed:
                continue
            middle = col + len(token.string) // 2  # inside the name, not on its edge
            source = lines[line - 1] if line <= len(lines) else ""
            found.append(
                Position(
                    path,
                    line - 1,
                    _utf16(source, middle),
                    token.string,
                    (line, col) in definitions,
                )
            )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def pick_positions(
    index: KeywordIndex, root: Path, count: int, files: int, seed: int = 5
) -> list[Position]:
    """``count`` identifier positions over ``files`` Python files: half definitions, half
    uses where a file has both, in a shuffled order."""
    rng = random.Random(seed)
    candidates = sorted(
        p for p, r in index.records.items() if r.language == "python" and r.lines >= 80
    )
    chosen_files = rng.sample(candidates, min(files, len(candidates)))
    per_file = max(1, -(-count // max(1, len(chosen_files))))
    picked: list[Position] = []
    known: dict[str, bool] = {}
    for path in chosen_files:
        found = identifiers(index, root, path, known)
        defs = [p for p in found if p.is_definition]
        uses = [p for p in found if not p.is_definition]
        half = per_file // 2
        take_defs = rng.sample(defs, min(len(defs), half))
        take_uses = rng.sample(uses, min(len(uses), per_file - len(take_defs)))
        picked.extend(take_defs + take_uses)
    rng.shuffle(picked)
    return picked


def symbol_queries(index: KeywordIndex, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind of query, query): exact names, short prefixes, lower-case, and one-typo fuzzy."""
    rng = random.Random(seed)
    names = sorted({d.keyword.name for d in index.definitions() if len(d.keyword.name) >= 4})
    if not names:
        return []
    queries: list[tuple[str, str]] = []
    for name in rng.sample(names, min(len(names), max(1, count // 4))):
        queries.append(("exact", name))
        queries.append(("prefix", name[: rng.randint(1, 3)]))
        queries.append(("lower", name.lower()[: max(4, len(name) - 2)]))
        cut = rng.randrange(len(name))
        queries.append(("fuzzy", name[:cut] + name[cut + 1 :]))
    return queries[:count]


def edit_target(index: KeywordIndex, lines: int = 2800) -> str | None:
    """The Python file whose length is closest to ``lines`` (the largest among equals)."""
    python = [r for r in index.records.values() if r.language == "python"]
    if not python:
        return None
    return min(python, key=lambda r: (abs(r.lines - lines), -r.lines, r.path)).path


def engine_latencies(
    index: KeywordIndex, positions: list[Position], queries: list[tuple[str, str]]
) -> dict[str, dict[str, float | int | None]]:
    """The engine's share of hover and symbol search, without the server: index.lookup of
    every hovered name, index.search of every query (in this process)."""
    index.search("warm up")
    lookups = []
    for p in positions:
        started = time.perf_counter()
        index.lookup(p.name)
        lookups.append(time.perf_counter() - started)
    searches = []
    for _, query in queries:
        started = time.perf_counter()
        index.search(query)
        searches.append(time.perf_counter() - started)
    return {"index.lookup": distribution(lookups), "index.search": distribution(searches)}
