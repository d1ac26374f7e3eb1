"""A workspace root every server takes as its project root.

A server that looks for its project upwards from the files it opens stops at the first project
file it meets: the torch corpus lies under benchmarks/.corpora/ of this repository, whose
pyproject.toml would make pyrefly take the repository as the project, and ``import torch``
then resolves nowhere. The servers are therefore run on a mirror of the corpus (hard links)
in a folder that no project encloses."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

# Files that make a folder a project root for one of the servers.
PROJECT_FILES = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pyrefly.toml",
    "ty.toml",
    "pyrightconfig.json",
    "mypy.ini",
    ".git",
)
MIRRORS = Path(
    os.environ.get("KWDOCS_BENCH_MIRRORS", Path.home() / ".cache" / "kwdocs-bench" / "peers")
)


def enclosing_project(root: Path) -> Path | None:
    """The nearest folder above ``root`` holding a project file, if any."""
    for folder in root.resolve().parents:
        if any((folder / name).exists() for name in PROJECT_FILES):
            return folder
    return None


def _fingerprint(root: Path) -> str:
    digest = hashlib.blake2b(digest_size=12)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(root)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def neutral_root(root: Path) -> Path:
    """``root`` itself when no project encloses it, else its mirror under MIRRORS (built or
    rebuilt when the files changed), with the same folder name."""
    root = root.resolve()
    if enclosing_project(root) is None:
        return root
    digest = hashlib.blake2b(str(root).encode(), digest_size=6).hexdigest()
    mirror = MIRRORS / digest / root.name
    stamp = mirror.with_name(mirror.name + ".stamp")
    fingerprint = _fingerprint(root)
    if stamp.exists() and stamp.read_text() == fingerprint and mirror.exists():
        return mirror
    if enclosing_project(mirror) is not None:
        raise RuntimeError(f"{mirror} lies inside a project too: set KWDOCS_BENCH_MIRRORS")
    shutil.rmtree(mirror, ignore_errors=True)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        target = mirror / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    stamp.write_text(fingerprint)
    return mirror
