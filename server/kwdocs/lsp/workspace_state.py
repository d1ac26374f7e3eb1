"""What the server holds per workspace folder (settings, keyword index, indexing state) and per
open document. Changed only on the event loop; background work gets snapshots."""

from __future__ import annotations

import asyncio
import enum
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kwdocs.config import Settings
from kwdocs.extract.incremental import IncrementalExtractor
from kwdocs.index import KeywordIndex
from kwdocs.lsp.positions import to_points
from kwdocs.model import FileRecord, Skip
from kwdocs.modules import ModuleNamer, ModuleTable
from kwdocs.textlines import line_starts, next_line_end, split_lines
from kwdocs.workers import Workers


class FolderState(str, enum.Enum):
    IDLE = "idle"
    """Not indexed yet."""
    INDEXING = "indexing"
    READY = "ready"
    ERROR = "error"

    __str__ = str.__str__
    __format__ = str.__format__


@dataclass
class Folder:
    """One workspace folder: its settings, its index and the state of its indexing."""

    uri: str
    root: Path
    name: str
    settings: Settings
    index: KeywordIndex = field(default_factory=KeywordIndex)
    skipped: list[Skip] = field(default_factory=list)
    state: FolderState = FolderState.IDLE
    message: str = ""
    done: int = 0
    total: int = 0
    run_id: int = 0
    cancel: threading.Event | None = None
    workers: Workers | None = None
    """The worker processes of the indexing run under way (closed when it ends)."""
    namer: ModuleNamer | None = None
    """Module names of the folder's files (kept from its last discovery)."""
    buffers: set[str] = field(default_factory=set)
    """Relative paths whose record comes from an editor buffer: indexing leaves them alone."""

    def rel_path(self, path: str) -> str | None:
        """``path`` relative to the root with forward slashes, or None when outside it."""
        root = str(self.root)
        if path == root:
            return None
        prefix = root.rstrip(os.sep) + os.sep
        if not path.startswith(prefix):
            return None
        return path[len(prefix) :].replace(os.sep, "/")

    @property
    def records(self) -> dict[str, FileRecord]:
        """The folder's records by path (its index's): a folder is a source resolution reads."""
        return self.index.records

    @property
    def modules(self) -> ModuleTable:
        return self.index.modules

    def module_of(self, rel: str) -> str:
        """The dotted module name of a Python file of the folder (from its packages)."""
        return self.modules_namer().module_of(rel)

    def modules_namer(self) -> ModuleNamer:
        if self.namer is None:
            self.namer = ModuleNamer(self.root)
        return self.namer

    def full_path(self, rel: str) -> str:
        return os.path.join(str(self.root), *rel.split("/"))

    def out_rel(self, path: str) -> str | None:
        """``path`` relative to the folder of pages made on demand or to the configured output
        folder (they differ while pages go to the page cache), or None when outside both."""
        for out in (self.settings.out, self.settings.configured_out):
            if out is None:
                continue
            prefix = str(out).rstrip(os.sep) + os.sep
            if path.startswith(prefix):
                return path[len(prefix) :].replace(os.sep, "/")
        return None


@dataclass
class Document:
    """An open editor buffer and what was extracted from it."""

    uri: str
    path: str | None
    folder: Folder | None
    rel: str | None
    language: str
    generated: bool = False
    """A page kwdocs wrote (``_kw.md``/``_docs.md``): hovers resolve through its source file."""
    source_rel: str | None = None
    """For generated pages: the relative path of the source file the page describes."""
    record: FileRecord | None = None
    version: int = 0
    """Bumped on every change the server sees (caches key on it)."""
    dirty: bool = False
    timer: asyncio.TimerHandle | None = None
    text: str = ""
    extractor: IncrementalExtractor | None = None
    """Extracts the buffer's successive versions (Python: re-parsing only what an edit touched)."""
    _lines_of: str | None = None
    _lines: list[str] = field(default_factory=list)
    _starts_of: str | None = None
    _starts: list[int] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The buffer's lines without line ends, cached per text."""
        if self._lines_of is not self.text:
            # LSP counts only \n, \r\n and \r as line ends (str.splitlines knows more).
            self._lines = split_lines(self.text)
            self._lines_of = self.text
        return self._lines

    def apply(self, change: Any, encoding: str) -> None:
        """Apply one LSP content change (a ranged edit or the whole text); positions past the
        end clamp to it, as clients expect."""
        change_range = getattr(change, "range", None)
        if change_range is None:
            self.text = change.text
            return
        if "\r" in change.text or "\r" in self.text:
            start = self.offset(change_range.start.line, change_range.start.character, encoding)
            end = self.offset(change_range.end.line, change_range.end.character, encoding)
            if end < start:
                start, end = end, start
            self.text = self.text[:start] + change.text + self.text[end:]
            return
        # Only \n line ends: the cached lines are edited in place of splitting the new text.
        lines = self.lines()
        first = self._point(lines, change_range.start.line, change_range.start.character, encoding)
        last = self._point(lines, change_range.end.line, change_range.end.character, encoding)
        if last < first:
            first, last = last, first
        start = sum(map(len, lines[: first[0]])) + first[0] + first[1]
        end = sum(map(len, lines[: last[0]])) + last[0] + last[1]
        self.text = self.text[:start] + change.text + self.text[end:]
        middle = lines[first[0]][: first[1]] + change.text + lines[last[0]][last[1] :]
        self._lines = lines[: first[0]] + middle.split("\n") + lines[last[0] + 1 :]
        self._lines_of = self.text

    @staticmethod
    def _point(lines: list[str], line: int, character: int, encoding: str) -> tuple[int, int]:
        """(line, code point column) of an LSP position, clamped to the text."""
        if line < 0:
            return 0, 0
        if line >= len(lines):
            return len(lines) - 1, len(lines[-1])
        return line, to_points(lines[line], character, encoding)

    def offset(self, line: int, character: int, encoding: str) -> int:
        """Code point offset in the text of an LSP position."""
        if self._starts_of is not self.text:
            self._starts = line_starts(self.text)
            self._starts_of = self.text
        starts = self._starts
        if line < 0:
            return 0
        if line >= len(starts):
            return len(self.text)
        begin = starts[line]
        stop = next_line_end(self.text, begin)
        return begin + to_points(self.text[begin:stop], character, encoding)

    def line(self, number: int) -> str | None:
        """0-based line of the buffer, or None past the end."""
        lines = self.lines()
        return lines[number] if 0 <= number < len(lines) else None


class State:
    """Every folder and open document of the session."""

    def __init__(self) -> None:
        self.folders: list[Folder] = []
        self.documents: dict[str, Document] = {}

    def folder_of(self, path: str | None) -> Folder | None:
        """The innermost folder holding ``path``."""
        if path is None:
            return None
        best: Folder | None = None
        for folder in self.folders:
            if folder.rel_path(path) is not None and (
                best is None or len(str(folder.root)) > len(str(best.root))
            ):
                best = folder
        return best

    def folder_of_output(self, path: str | None) -> tuple[Folder, str] | None:
        """The folder whose output folder holds ``path``, with the page's path in it."""
        if path is None:
            return None
        for folder in self.folders:
            rel = folder.out_rel(path)
            if rel is not None:
                return folder, rel
        return None
