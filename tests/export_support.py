"""Helpers shared by the export tests: settings for a root, the page tree of an output folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from kwdocs.config import load_settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export import LOCK_NAME, ExportSummary, export_workspace

FIXTURE = Path(__file__).parent / "fixtures" / "workspace"
GOLDEN = Path(__file__).parent / "golden" / "workspace"
# Not pages: the manifest records stat times and the lock file is empty.
BOOKKEEPING = {MANIFEST_NAME, LOCK_NAME}


def copy_fixture(target: Path) -> Path:
    """A private copy of the fixture workspace (exports write into it)."""
    shutil.copytree(FIXTURE, target)
    return target


def export(root: Path, out: Path | None = None, **overrides: Any) -> ExportSummary:
    """Export ROOT (into OUT, default ROOT/docs/kwdocs) with the library API."""
    if out is not None:
        overrides["outputDir"] = str(out)
    return export_workspace(load_settings(root, overrides))


def page_tree(out: Path) -> dict[str, bytes]:
    """Every page under OUT by relative path (bookkeeping files left out)."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in BOOKKEEPING
    }


def stamps(out: Path) -> dict[str, int]:
    """mtime_ns of every page: which pages a run rewrote."""
    return {
        p.relative_to(out).as_posix(): p.stat().st_mtime_ns
        for p in out.rglob("*")
        if p.is_file() and p.name not in BOOKKEEPING
    }
