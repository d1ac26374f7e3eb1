"""Discovery: which files of a workspace are indexed, and why the others are not."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from typing import NamedTuple

import pathspec

from kwdocs.config import Settings
from kwdocs.model import Skip
from kwdocs.modules import ModuleNamer

# Folders never worth indexing: version control, caches, dependencies, build output.
BUILTIN_EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".hypothesis",
        ".eggs",
        "build",
        "dist",
        "site",  # MkDocs's (and others') built site
        "site-packages",
    }
)
# Files generated for browsers, not written by people: minified bundles and source maps.
BUILTIN_EXCLUDED_SUFFIXES = (".min.js", ".min.css", ".map")
# A folder holding this file is a kwdocs output folder, wherever it is and whatever its name.
MANIFEST_NAME = ".kwdocs-manifest.json"


class SourceFile(NamedTuple):
    """A file discovery accepted: its workspace-relative path, what stat said, and its dotted
    module name for a Python file (from the package structure: kwdocs.modules)."""

    path: str
    size: int
    mtime_ns: int
    module: str = ""


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    namer: ModuleNamer | None = None
    """Module names of this root's files (also for files found later: an opened buffer)."""


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _spec(patterns: list[str]) -> pathspec.GitIgnoreSpec | None:
    # Globs follow .gitignore syntax (``**``, trailing ``/``, ``!`` negation).
    return pathspec.GitIgnoreSpec.from_lines(patterns) if patterns else None


class PathFilter:
    """Include/exclude globs and built-in excludes; answers for one relative path at a time."""

    def __init__(self, settings: Settings) -> None:
        self.include = _spec(settings.include)
        self.exclude = _spec(settings.exclude)
        self.root = os.path.realpath(settings.root)
        self.out = os.path.realpath(settings.out)
        # The output folder is recognised by identity, not by realpath(): resolving every
        # folder's path costs its depth in lstat calls, quadratic on very deep trees.
        self.out_key = _identity(self.out)

    def excluded_dir(self, rel: str, name: str, full: str) -> bool:
        if name in BUILTIN_EXCLUDED_DIRS or name.endswith(".egg-info"):
            return True
        if self.out_key is not None and _identity(full) == self.out_key:
            return True
        if os.path.exists(os.path.join(full, MANIFEST_NAME)):
            return True
        if os.path.exists(os.path.join(full, "pyvenv.cfg")):  # a virtualenv of any name
            return True
        return bool(self.exclude and self.exclude.match_file(rel + "/"))

    def accepts_file(self, rel: str) -> bool:
        if rel.endswith(BUILTIN_EXCLUDED_SUFFIXES):
            return False
        if self.exclude and self.exclude.match_file(rel):
            return False
        return not (self.include and not self.include.match_file(rel))

    def in_root(self, full: str) -> bool:
        real = os.path.realpath(full)
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)


class _Gitignores:
    """The .gitignore files on the way from the root to a folder; deeper files win."""

    def __init__(self) -> None:
        self.stack: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    @staticmethod
    def load(full_dir: str) -> pathspec.GitIgnoreSpec | None:
        try:
            with open(
                os.path.join(full_dir, ".gitignore"), encoding="utf-8", errors="replace"
            ) as f:
                return pathspec.GitIgnoreSpec.from_lines(f.read().splitlines())
        except OSError:
            return None

    @staticmethod
    def ignored(specs: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str, is_dir: bool) -> bool:
        verdict = False
        for base, spec in specs:
            sub = rel[len(base) + 1 :] if base else rel
            result = spec.check_file(sub + "/" if is_dir else sub)
            if result.include is not None:
                verdict = result.include
        return verdict


def _valid_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8, kept by os as surrogates
        return False
    return True


def discover(settings: Settings) -> Discovery:
    """Walk the root (iteratively: very deep trees are fine) and sort files from skips."""
    root = str(settings.root)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"not a folder: {root}")
    namer = ModuleNamer(root)
    found = Discovery(namer=namer)
    path_filter = PathFilter(settings)
    seen_dirs: set[tuple[int, int]] = set()
    root_stat = os.stat(root)
    seen_dirs.add((root_stat.st_dev, root_stat.st_ino))
    root_spec = _Gitignores.load(root)
    # (relative folder, its full path, the .gitignore specs that apply inside it)
    pending: list[tuple[str, str, list[tuple[str, pathspec.GitIgnoreSpec]]]] = [
        ("", root, [("", root_spec)] if root_spec else [])
    ]
    while pending:
        rel_dir, full_dir, specs = pending.pop()
        try:
            with os.scandir(full_dir) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as error:
            found.skipped.append(Skip(rel_dir or ".", f"unreadable folder: {error.strerror}"))
            continue
        subdirs = []
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if not _valid_name(name):
                found.skipped.append(
                    Skip(rel.encode("utf-8", "replace").decode(), "file name is not valid UTF-8")
                )
                continue
            try:
                is_link = entry.is_symlink()
                st = os.stat(entry.path) if is_link else entry.stat(follow_symlinks=False)
            except OSError as error:
                reason = "symlink loop" if error.errno == 40 else "broken symlink"
                if not is_link:
                    reason = f"unreadable: {error.strerror}"
                found.skipped.append(Skip(rel, reason))
                continue
            if is_link and not path_filter.in_root(entry.path):
                found.skipped.append(Skip(rel, "symlink pointing outside the root"))
                continue
            if stat.S_ISDIR(st.st_mode):
                if path_filter.excluded_dir(rel, name, entry.path):
                    continue
                if specs and _Gitignores.ignored(specs, rel, True):
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    found.skipped.append(Skip(rel, "symlink loop (folder already visited)"))
                    continue
                seen_dirs.add(key)
                subdirs.append((rel, entry.path))
                continue
            if name == MANIFEST_NAME:
                continue
            if specs and _Gitignores.ignored(specs, rel, False):
                continue
            if not path_filter.accepts_file(rel):
                continue
            if not stat.S_ISREG(st.st_mode):
                found.skipped.append(Skip(rel, "not a regular file"))
                continue
            if st.st_size > settings.max_file_size:
                found.skipped.append(
                    Skip(
                        rel,
                        f"larger than the size limit ({st.st_size:,} > "
                        f"{settings.max_file_size:,} bytes)",
                    )
                )
                continue
            found.files.append(SourceFile(rel, st.st_size, st.st_mtime_ns, namer.module_of(rel)))
        # Reverse so the stack pops folders in name order: output is sorted either way.
        for rel, full in reversed(subdirs):
            spec = _Gitignores.load(full)
            pending.append((rel, full, [*specs, (rel, spec)] if spec else specs))
    found.files.sort()
    found.skipped.sort(key=lambda s: s.path)
    return found


def is_excluded(settings: Settings, rel: str) -> bool:
    """Whether one workspace-relative file path would be left out by discovery's rules."""
    path_filter = PathFilter(settings)
    parts = rel.split("/")
    full = str(settings.root)
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    spec = _Gitignores.load(full)
    if spec:
        specs.append(("", spec))
    for i, name in enumerate(parts[:-1]):
        sub = "/".join(parts[: i + 1])
        full = os.path.join(full, name)
        if path_filter.excluded_dir(sub, name, full) or (
            specs and _Gitignores.ignored(specs, sub, True)
        ):
            return True
        spec = _Gitignores.load(full)
        if spec:
            specs.append((sub, spec))
    if parts[-1] == MANIFEST_NAME:
        return True
    if specs and _Gitignores.ignored(specs, rel, False):
        return True
    return not path_filter.accepts_file(rel)
