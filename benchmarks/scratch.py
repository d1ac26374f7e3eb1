"""Scratch folders of a benchmark run. A folder a run is done with is moved aside, not
deleted, until the run ends: on ext4 without a journal (these machines' disks) a file created
within ~30 s of a mass deletion costs up to ten times more (the kernel's inode allocator skips
every recently freed inode, one by one), so deleting the last cold export's 5,000 pages just
before the next one measured the deletion, not the export (~1 s of its ~8 s)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

_DISCARDED = ".discarded"


def fresh(path: Path) -> Path:
    """``path`` as an empty folder, whatever was there moved aside (``discard_all`` deletes it)."""
    if path.exists():
        aside = path.parent / _DISCARDED
        aside.mkdir(exist_ok=True)
        path.rename(aside / f"{path.name}-{uuid.uuid4().hex[:8]}")
    path.mkdir(parents=True)
    return path


def discard_all(work: Path) -> None:
    """Delete what ``fresh`` moved aside under ``work`` (at the end of a run)."""
    for aside in work.rglob(_DISCARDED):
        shutil.rmtree(aside, ignore_errors=True)
