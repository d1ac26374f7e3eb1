"""What an export did, and the paragraph ``kwdocs export`` prints about it."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kwdocs.model import Skip
from kwdocs.pages import page_uri
from kwdocs.render.markdown import plural


class ExportError(Exception):
    """A bad output folder or a second export at once; the message is one line."""


class Phase(str, enum.Enum):
    """The parts of an export, in the order they run (``--json`` gives each one's seconds)."""

    INDEX = "index"
    """Discovery, the record cache, extraction with page facts."""
    ANALYSIS = "analysis"
    """Cross-file facts: imports, inheritance, calls placed."""
    PLAN = "plan"
    """Which pages to write, by fingerprint."""
    RENDER = "render"
    """Rendering and writing pages (in workers for large trees), the cache saved meanwhile."""
    FINISH = "finish"
    """The landing page, removed pages, the manifest."""

    __str__ = str.__str__


@dataclass
class ExportSummary:
    """What one export did."""

    root: Path
    out: Path
    files: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    start: str | None = None
    """The page to start reading at (output-relative): one kwdocs wrote, or None."""
    site: Path | None = None
    """The MkDocs configuration written, when one was asked for."""
    phases: dict[Phase, float] = field(default_factory=dict)
    """Wall seconds of each phase of the export."""

    _running: tuple[Phase, float] | None = field(default=None, init=False, repr=False)

    def begin(self, phase: Phase) -> None:
        """Start timing ``phase``, ending the phase that was running."""
        self.end()
        self._running = (phase, time.perf_counter())

    def end(self) -> None:
        """End the phase that is running, if any (its seconds add to what it had)."""
        if self._running is not None:
            phase, started = self._running
            self.phases[phase] = self.phases.get(phase, 0.0) + time.perf_counter() - started
            self._running = None

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "out": str(self.out),
            "index": page_uri(self.out, self.start) if self.start else None,
            "site": str(self.site) if self.site else None,
            "files": self.files,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "conflicts": list(self.conflicts),
            "seconds": round(self.seconds, 3),
            "phases": {str(phase): round(seconds, 3) for phase, seconds in self.phases.items()},
        }


@dataclass
class FileExportSummary:
    """What exporting one source file's pages did."""

    root: Path
    out: Path
    written: int = 0
    unchanged: int = 0
    pages: list[str] = field(default_factory=list)
    """file URIs of the docs page and the keyword page."""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "out": str(self.out),
            "written": self.written,
            "unchanged": self.unchanged,
            "pages": list(self.pages),
            "seconds": round(self.seconds, 3),
        }


def format_summary(summary: ExportSummary, verbose: bool = False) -> str:
    """The paragraph ``kwdocs export`` prints at the end."""
    lines = [
        f"Documented {summary.files:,} files from {summary.root} into {summary.out}: "
        f"{summary.written:,} pages written, {summary.unchanged:,} unchanged, "
        f"{summary.removed:,} removed in {summary.seconds:.2f} s."
    ]
    if summary.skipped:
        counts: dict[str, int] = {}
        for skip in summary.skipped:
            reason = skip.reason.split(" (", 1)[0]
            counts[reason] = counts.get(reason, 0) + 1
        detail = "; ".join(f"{n:,} {reason}" for reason, n in sorted(counts.items()))
        lines.append(f"Skipped {plural(len(summary.skipped), 'file')}: {detail}.")
        if verbose:
            lines += [f"  {skip.path}: {skip.reason}" for skip in summary.skipped]
        else:
            lines.append("(--verbose lists them.)")
    if summary.conflicts:
        lines.append(
            f"Left {plural(len(summary.conflicts), 'file')} in the output folder alone "
            "(kwdocs did not write them, or they lead outside it):"
        )
        lines += [f"  {c['path']}: {c['reason']}" for c in summary.conflicts]
    if summary.site is not None:
        lines.append(
            f"MkDocs configuration: {summary.site} "
            f"(mkdocs build --strict -f {summary.site}; needs the site extra: kwdocs[site])"
        )
    if summary.start is not None:
        lines.append(f"Start at {summary.out / summary.start}")
    return "\n".join(lines)
