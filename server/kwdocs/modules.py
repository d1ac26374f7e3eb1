"""Module identity and module resolution: what a Python file's dotted module name is, which
workspace file a dotted name imports, and how an import is classified. Written once here and
asked by every front end (pages, hover, definition, symbols, ``kwdocs lookup``).

A file's module name comes from the package structure, as Python's import system sees it: walk
up from the file's folder through folders that hold an ``__init__.py`` (above the workspace root
too), so ``torch/distributed/fsdp/_flat_param.py`` is ``torch.distributed.fsdp._flat_param``
whether the root is the repository, ``torch/`` or ``torch/distributed/fsdp/``, and a ``src/``
layout needs no setting (``src/`` holds no ``__init__.py``)."""

from __future__ import annotations

import enum
import os
import sys
from collections.abc import Iterable, Iterator

# Every spelling of a package marker; a folder holding one is a package.
INIT_FILES = ("__init__.py", "__init__.pyi")
PYTHON_SUFFIXES = (".py", ".pyi", ".pyw")
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__", "builtins"}


class ImportGroup(str, enum.Enum):
    """How an import is classified, in the order pages list them (isort's sections)."""

    STDLIB = "standard library"
    FIRST_PARTY = "first-party"
    """The project's own modules: the workspace's files, and modules of the same top-level
    package that lie outside the root (``torch.nn`` while only ``torch/distributed/fsdp`` is
    exported)."""
    THIRD_PARTY = "third-party"
    UNRESOLVED = "unresolved"
    """A relative import that leads to no file, or past the top-level package."""

    __str__ = str.__str__
    __format__ = str.__format__


def module_stem(name: str) -> str | None:
    """The module part of a Python file's name (``mod.py`` → ``mod``), or None."""
    for suffix in PYTHON_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def is_package_file(path: str) -> bool:
    """True for a package's ``__init__`` file (relative imports resolve from the package)."""
    return path.rpartition("/")[2] in INIT_FILES


def dotted_path_module(path: str) -> str:
    """The module name of a ``/``-separated path relative to an import root, every folder
    taken as a package (``a/b/__init__.py`` → ``a.b``): for text with no folders on disk
    (a buffer outside every workspace, a test's snippet)."""
    folder, _, name = path.rpartition("/")
    stem = module_stem(name)
    if stem is None:
        stem = name.rpartition(".")[0] or name
    parts = [p for p in folder.split("/") if p]
    if stem != "__init__":
        parts.append(stem)
    return ".".join(parts)


def resolve_relative(module: str, is_package: bool, level: int, name: str | None) -> str:
    """Absolute module of ``from <level dots><name> import …`` written in ``module``; "" when
    the dots lead past the top-level package (Python refuses such an import)."""
    if level == 0:
        return name or ""
    parts = module.split(".") if module else []
    if not is_package and parts:
        parts.pop()
    drop = level - 1
    if drop > len(parts) or (drop == len(parts) and not name):
        return ""
    if drop:
        parts = parts[:-drop]
    if not parts and not name:
        return ""
    if name:
        parts.append(name)
    return ".".join(parts)


class ModuleNamer:
    """Module names of the Python files under one root, from the package structure on disk
    (one ``stat`` per folder, remembered)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.abspath(root)
        self._packages: dict[str, tuple[str, ...]] = {}

    def package_of(self, folder: str) -> tuple[str, ...]:
        """The dotted parts of an absolute folder when it is a package (it holds an
        ``__init__.py`` and its name is an identifier), with the packages above it; ()
        when it is not a package."""
        found = self._packages.get(folder)
        if found is not None:
            return found
        # Up to the first folder known or not a package, then down again (a loop, not
        # recursion: package trees may be deeper than the interpreter's recursion limit).
        chain: list[str] = []
        above: tuple[str, ...] = ()
        current = folder
        while True:
            known = self._packages.get(current)
            if known is not None:
                above = known
                break
            name = os.path.basename(current)
            if not (name.isidentifier() and _holds_init(current)):
                self._packages[current] = ()
                break
            chain.append(current)
            parent = os.path.dirname(current)
            if parent == current:
                break
            current = parent
        for path in reversed(chain):
            above = (*above, os.path.basename(path))
            self._packages[path] = above
        return self._packages[folder]

    def module_of(self, rel: str) -> str:
        """The dotted module name of a root-relative (``/``-separated) Python file; "" for
        files of other languages."""
        folder, _, name = rel.rpartition("/")
        stem = module_stem(name)
        if stem is None:
            return ""
        absolute = os.path.join(self.root, *folder.split("/")) if folder else self.root
        parts = self.package_of(absolute)
        if stem == "__init__":
            return ".".join(parts) or stem
        return ".".join((*parts, stem))

    def locate(self, module: str, importer: str) -> str | None:
        """The root-relative file that would be ``module`` for an import written in the file
        ``importer``, found on disk next to the importer's top-level package (its sys.path
        entry) as Python's finder would: for the files of a root not yet indexed."""
        base = import_root(importer, self.module_of(importer))
        if base is None or not module:
            return None
        stem = "/".join(module.split("."))
        prefix = f"{base}/" if base else ""
        for suffix in ("/__init__.py", ".py", "/__init__.pyi", ".pyi"):
            rel = prefix + stem + suffix
            if os.path.isfile(os.path.join(self.root, *rel.split("/"))):
                return rel if self.module_of(rel) == module else None
        return None

    def forget(self) -> None:
        """Drop what is known of the folders (a package marker was added or removed)."""
        self._packages.clear()


def _holds_init(folder: str) -> bool:
    return any(os.path.isfile(os.path.join(folder, init)) for init in INIT_FILES)


def import_root(path: str, module: str) -> str | None:
    """The folder a file's top-level module or package lies in (its entry on sys.path),
    relative to the root, or None when it lies above the root."""
    depth = module.count(".") + 1 + (1 if is_package_file(path) else 0)
    parts = path.split("/")[:-1]
    if depth - 1 > len(parts):
        return None
    return "/".join(parts[: len(parts) - (depth - 1)])


def _suffixes(module: str) -> Iterator[str]:
    """The proper dotted suffixes of a name, longest first (``a.b.c`` → ``b.c``, ``c``)."""
    parts = module.split(".")
    for start in range(1, len(parts)):
        yield ".".join(parts[start:])


class ModuleTable:
    """Dotted module name → workspace file, kept up to date one file at a time.

    A name resolves to the file of exactly that module; when several files claim it (two
    top-level ``conftest`` modules of different test folders, a ``.py`` and its ``.pyi``), the
    importer's own import root decides and a stub gives way to its source; else it stays
    unresolved. A name that names no workspace module, and whose top-level package is neither
    the project's nor the standard library, resolves through its longest dotted suffix that
    names exactly one workspace module (a workspace holding a copy of a package's subfolder
    still links ``torch.distributed.fsdp._flat_param`` to ``fsdp/_flat_param.py``); a
    one-part suffix only when it is a package. Nothing is guessed."""

    def __init__(self) -> None:
        self._paths: dict[str, list[str]] = {}
        self._roots: dict[str, str | None] = {}  # path → its import root
        self._packages: set[str] = set()
        self._tops: dict[str, int] = {}  # top-level name → how many modules under it
        self._memo: dict[tuple[str, str | None], str | None] = {}

    @classmethod
    def of(cls, modules: Iterable[tuple[str, str]]) -> ModuleTable:
        """The table of (module, path) pairs, added in path order (what decides between
        several files claiming one module must not depend on the order they come in)."""
        table = cls()
        for module, path in sorted(modules, key=lambda pair: pair[1]):
            table.add(module, path)
        return table

    # ---- changes -------------------------------------------------------------------------

    def add(self, module: str, path: str) -> None:
        if not module:
            return
        paths = self._paths.setdefault(module, [])
        if path in paths:
            return
        paths.append(path)
        paths.sort(key=_source_first)
        self._roots[path] = import_root(path, module)
        if is_package_file(path):
            self._packages.add(module)
        top = module.partition(".")[0]
        self._tops[top] = self._tops.get(top, 0) + 1
        self._memo.clear()

    def remove(self, module: str, path: str) -> None:
        paths = self._paths.get(module)
        if not paths or path not in paths:
            return
        paths.remove(path)
        if not paths:
            del self._paths[module]
            self._packages.discard(module)
        self._roots.pop(path, None)
        top = module.partition(".")[0]
        count = self._tops.get(top, 0) - 1
        if count > 0:
            self._tops[top] = count
        else:
            self._tops.pop(top, None)
        self._memo.clear()

    # ---- questions -----------------------------------------------------------------------

    def __contains__(self, module: str) -> bool:
        return module in self._paths

    def modules(self) -> dict[str, str]:
        """Module name → its file (a source before its stub) of every Python file."""
        return {module: paths[0] for module, paths in self._paths.items()}

    def is_package(self, module: str) -> bool:
        return module in self._packages

    def is_first_party(self, module: str) -> bool:
        """True when the top-level package of ``module`` is one of the workspace's."""
        return module.partition(".")[0] in self._tops

    def file_of(self, module: str, importer: str | None = None) -> str | None:
        """The workspace file of a dotted module name, seen from the file ``importer``
        (a root-relative path) when given; None when no file, or no single file, is it."""
        key = (module, self._roots.get(importer) if importer is not None else None)
        found = self._memo.get(key, _UNKNOWN)
        if found != _UNKNOWN:
            return found
        found = self._file_of(module, key[1], importer is not None)
        if len(self._memo) > 65536:
            self._memo.clear()
        self._memo[key] = found
        return found

    def _file_of(self, module: str, root: str | None, has_importer: bool) -> str | None:
        found = self._exact(module, root, has_importer)
        if found is not None or not module:
            return found
        top = module.partition(".")[0]
        if top in self._tops or top in STDLIB:
            return None  # the project's own (compiled, or outside the root) or the stdlib's
        for suffix in _suffixes(module):
            if "." not in suffix and suffix not in self._packages:
                continue
            found = self._exact(suffix, root, has_importer)
            if found is not None:
                return found
        return None

    def _exact(self, module: str, root: str | None, has_importer: bool) -> str | None:
        paths = self._paths.get(module)
        if not paths:
            return None
        if len(paths) == 1:
            return paths[0]
        # Several files: a stub beside its source is one module; else the importer's root.
        sources = [p for p in paths if not p.endswith(".pyi")]
        if len(sources) == 1:
            return sources[0]
        if has_importer:
            same = [p for p in paths if self._roots.get(p) == root]
            same_sources = [p for p in same if not p.endswith(".pyi")] or same
            if len(same_sources) == 1:
                return same_sources[0]
        return None

    def stub_of(self, path: str, module: str) -> str | None:
        """The ``.pyi`` stub beside a source file of the same module, if the workspace has it."""
        for other in self._paths.get(module, ()):
            if other != path and other.endswith(".pyi") and other[:-1] == path:
                return other
        return None

    def classify(self, module: str, importer: str | None, relative: bool) -> ImportGroup:
        """The group of an import of ``module`` (absolute, relative ones resolved) written in
        ``importer``; ``relative`` when it was written with leading dots."""
        if not module:
            return ImportGroup.UNRESOLVED
        if self.file_of(module, importer) is not None:
            return ImportGroup.FIRST_PARTY
        if relative:
            # A relative import names the importer's own package: the project's own if its
            # top-level package is, else it leads to no file.
            first_party = self.is_first_party(module)
            return ImportGroup.FIRST_PARTY if first_party else ImportGroup.UNRESOLVED
        if self.is_first_party(module):
            return ImportGroup.FIRST_PARTY
        if module.partition(".")[0] in STDLIB:
            return ImportGroup.STDLIB
        return ImportGroup.THIRD_PARTY


# What the memo of ``file_of`` gives for a question not asked yet (None is an answer; no
# path holds a NUL).
_UNKNOWN = "\0"


def _source_first(path: str) -> tuple[bool, str]:
    return (path.endswith(".pyi"), path)
