"""``python -m benchmarks.peers probe``: what every server answers for definition and hover at
one position of a file, or at each ``<|>`` marker of a snippet read from stdin. The quickest
way to see how the type checkers treat a construct."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.lsp_client import hover_text
from benchmarks.peers.locations import Target, from_definition
from benchmarks.peers.scoring import Consensus, consensus, defined_in
from benchmarks.peers.servers import CHECKERS, ServerSpec
from benchmarks.peers.session import ServerSession
from benchmarks.peers.workspace import neutral_root

MARKER = "<|>"
PROBE_CACHE = Path(__file__).resolve().parents[1] / ".corpora" / "work" / "probe-kwdocs-cache"
# In a snippet, a line "# %% file: pkg/mod.py" starts another file of the workspace.
FILE_LINE = "# %% file:"


@dataclass(frozen=True)
class Cursor:
    """A position to probe: workspace-relative path, 0-based line, UTF-16 character."""

    path: str
    line: int
    character: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line + 1}:{self.character + 1}"


@dataclass
class Answer:
    """One server's answers at one cursor."""

    server: str
    definition: list[Target]
    hover: str
    error: str = ""


def split_snippet(text: str, default_name: str = "snippet.py") -> dict[str, str]:
    """The files of a snippet: ``# %% file: NAME`` lines start a new file."""
    files: dict[str, list[str]] = {}
    current = default_name
    for line in text.splitlines():
        if line.startswith(FILE_LINE):
            current = line[len(FILE_LINE) :].strip()
            files.setdefault(current, [])
            continue
        files.setdefault(current, []).append(line)
    return {name: "\n".join(lines) + "\n" for name, lines in files.items() if any(lines)}


def take_markers(files: dict[str, str]) -> tuple[dict[str, str], list[Cursor]]:
    """The files without their ``<|>`` markers, and a cursor where each marker was."""
    clean: dict[str, str] = {}
    cursors: list[Cursor] = []
    for name, text in files.items():
        lines = text.split("\n")
        for number, line in enumerate(lines):
            while MARKER in line:
                at = line.index(MARKER)
                line = line[:at] + line[at + len(MARKER) :]
                cursors.append(Cursor(name, number, len(line[:at].encode("utf-16-le")) // 2))
            lines[number] = line
        clean[name] = "\n".join(lines)
    return clean, cursors


def write_workspace(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


async def ask(
    spec: ServerSpec, root: Path, scratch: Path, cursors: list[Cursor], kwdocs_cache: Path
) -> list[Answer]:
    """Start one server, open the probed files, answer every cursor, stop it."""
    session = ServerSession(spec, root, scratch / spec.name, kwdocs_cache)
    answers: list[Answer] = []
    try:
        await session.start()
        for path in sorted({c.path for c in cursors}):
            await session.open(path)
        first = cursors[0]
        # Requests wait behind didOpen in every server: no need to wait for background work.
        await session.wait_ready(quiet=False)
        await session.definition(first.path, first.line, first.character)
        for cursor in cursors:
            try:
                _, found = await session.definition(cursor.path, cursor.line, cursor.character)
                _, hovered = await session.hover(cursor.path, cursor.line, cursor.character)
                answers.append(Answer(spec.name, from_definition(root, found), hover_text(hovered)))
            except Exception as error:  # one failing request: say so, probe the rest
                answers.append(Answer(spec.name, [], "", f"{type(error).__name__}: {error}"))
    except Exception as error:
        failed = f"{type(error).__name__}: {error}"
        answers += [Answer(spec.name, [], "", failed) for _ in cursors[len(answers) :]]
    finally:
        leftovers = await session.stop(linger_s=0.5)
        session.kill_leftovers(leftovers)
    return answers


async def probe(
    specs: list[ServerSpec],
    root: Path,
    cursors: list[Cursor],
    scratch: Path,
    kwdocs_cache: Path | None = None,
) -> dict[str, list[Answer]]:
    """Every server at every cursor; the servers run side by side."""
    cache = kwdocs_cache or scratch / "kwdocs-cache"
    results = await asyncio.gather(*(ask(spec, root, scratch, cursors, cache) for spec in specs))
    return {spec.name: answers for spec, answers in zip(specs, results, strict=True)}


def short_hover(text: str, width: int = 150) -> str:
    """A hover on one line: no code fences, lines joined by " ⏎ "."""
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("```") and line.strip() != "---"
    ]
    joined = " ⏎ ".join(lines)
    return joined if len(joined) <= width else joined[: width - 1] + "…"


def report(
    root: Path,
    cursors: list[Cursor],
    answers: dict[str, list[Answer]],
    full: bool = False,
) -> str:
    out: list[str] = []
    width = max(len(name) for name in [*answers, "consensus"])
    for i, cursor in enumerate(cursors):
        source = (root / cursor.path).read_text(encoding="utf-8").split("\n")[cursor.line]
        column = len(source.encode("utf-16-le")[: cursor.character * 2].decode("utf-16-le"))
        out.append(f"{cursor}  │ {source[:column]}‸{source[column:]}".rstrip())
        checkers = {
            name: found[i].definition
            for name, found in answers.items()
            if name in CHECKERS and not found[i].error
        }
        reference = consensus(checkers)
        agreed = ", ".join(map(str, reference.targets)) if reference.targets else ""
        label = {Consensus.AGREED: agreed, Consensus.ALL_EMPTY: "(all answer nothing)"}
        out.append(f"  {'consensus':<{width}}  {label.get(reference.kind, '(split)')}")
        for name, found in answers.items():
            answer = found[i]
            if answer.error:
                out.append(f"  {name:<{width}}  error: {answer.error}")
                continue
            targets = ", ".join(map(str, answer.definition)) or "–"
            out.append(f"  {name:<{width}}  def: {targets}")
            hover = answer.hover if full else short_hover(answer.hover)
            if name == "kwdocs":
                where = defined_in(root, answer.hover)
                hover += f"   [Defined in → {where}]" if where else ""
            indent = " " * (width + 4)
            out.append(f"{indent}hover: " + hover.replace("\n", "\n" + indent + "       "))
        out.append("")
    return "\n".join(out)


def as_json(cursors: list[Cursor], answers: dict[str, list[Answer]]) -> list[dict[str, Any]]:
    return [
        {
            "cursor": str(cursor),
            "answers": {
                name: {
                    "definition": [str(t) for t in found[i].definition],
                    "hover": found[i].hover,
                    "error": found[i].error,
                }
                for name, found in answers.items()
            },
        }
        for i, cursor in enumerate(cursors)
    ]


def parse_location(text: str) -> tuple[Path, int, int]:
    """``FILE:LINE:COL`` (1-based line and column, in code points)."""
    file, line, column = text.rsplit(":", 2)
    return Path(file), int(line), int(column)


def main(
    specs: list[ServerSpec],
    locations: list[tuple[Path, int, int]],
    root: Path | None,
    full: bool,
    json_out: bool,
) -> int:
    with tempfile.TemporaryDirectory(prefix="kwdocs-probe-") as tmp:
        scratch = Path(tmp) / "scratch"
        kwdocs_cache = None
        if not locations:
            files, cursors = take_markers(split_snippet(sys.stdin.read()))
            if not cursors:
                print(f"no {MARKER} marker in the snippet", file=sys.stderr)
                return 2
            root = Path(tmp) / "workspace"
            write_workspace(root, files)
        else:
            files_given = [file.resolve() for file, _, _ in locations]
            given_root = (root or _default_root(files_given[0])).resolve()
            relative = [file.relative_to(given_root) for file in files_given]
            # The servers run where no enclosing project misleads them (see workspace.py).
            root = neutral_root(given_root)
            files_given = [root / path for path in relative]
            # A real workspace is indexed once by kwdocs, then read from this cache.
            kwdocs_cache = (
                PROBE_CACHE / hashlib.blake2b(str(root).encode(), digest_size=8).hexdigest()
            )
            cursors = []
            for file, (_, line, column) in zip(files_given, locations, strict=True):
                text = file.read_text(encoding="utf-8").split("\n")[line - 1]
                character = len(text[: column - 1].encode("utf-16-le")) // 2
                cursors.append(Cursor(file.relative_to(root).as_posix(), line - 1, character))
        answers = asyncio.run(probe(specs, root, cursors, scratch, kwdocs_cache))
        if json_out:
            print(json.dumps(as_json(cursors, answers), indent=1))
        else:
            print(report(root, cursors, answers, full))
    return 0


def _default_root(file: Path) -> Path:
    """The current folder when it holds the file, else the file's folder."""
    here = Path.cwd().resolve()
    return here if file.is_relative_to(here) else file.parent
