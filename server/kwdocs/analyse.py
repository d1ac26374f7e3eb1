"""Cross-file facts from the records of a whole workspace: which files import which, workspace
inheritance, the tests that import a module, and how each import is classified."""

from __future__ import annotations

import hashlib
import posixpath
import sys
from collections import defaultdict
from collections.abc import Mapping

import msgspec

from kwdocs.model import FileRecord, Keyword
from kwdocs.pages import keyword_anchors

STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"__future__"}


class ImportFact(msgspec.Struct, frozen=True, array_like=True):
    """One imported module of a file, how it is classified, and the names taken from it."""

    module: str
    group: str
    """``standard library``, ``third-party``, ``workspace`` or ``unresolved``."""
    path: str
    """The workspace file of the module (group ``workspace``), else ""."""
    names: tuple[str, ...]
    line: int


class ClassLink(msgspec.Struct, frozen=True, array_like=True):
    """A workspace-internal inheritance edge seen from one class of the page's file."""

    qualname: str
    """The class of this file."""
    other: str
    """The qualname of the base (or subclass) in the other file."""
    path: str
    line: int
    """Line of the other class: with its file, it names the heading the link points at."""
    anchor: str = ""


class FileLinks(msgspec.Struct, array_like=True):
    """Everything a file's docs page shows about other files: part of the page fingerprint."""

    imports: list[ImportFact] = []
    imported_by: list[str] = []
    tests: list[str] = []
    bases: list[ClassLink] = []
    subclasses: list[ClassLink] = []
    siblings: list[str] = []


def is_test_file(path: str) -> bool:
    """Files under a ``tests``/``test`` folder, ``test_*.py`` and ``*_test.py``."""
    folder, _, name = path.rpartition("/")
    if not name.endswith(".py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in ("tests", "test") for part in folder.split("/"))


class ModuleMap:
    """Dotted module name → workspace file, resolved as KeywordIndex.module_path does."""

    def __init__(self, records: Mapping[str, FileRecord]) -> None:
        self.exact: dict[str, str] = {}
        suffixes: dict[str, set[str]] = defaultdict(set)
        for path in sorted(records):
            module = records[path].module
            if not module:
                continue
            self.exact.setdefault(module, path)
            parts = module.split(".")
            for start in range(1, len(parts)):
                suffixes[".".join(parts[start:])].add(path)
        self.suffixes = suffixes
        self._memo: dict[str, str | None] = {}

    def path(self, module: str) -> str | None:
        if module in self._memo:
            return self._memo[module]
        found = self._memo[module] = self._path(module)
        return found

    def _path(self, module: str) -> str | None:
        # An exact name first, else a unique match of the trailing parts.
        found = self.exact.get(module)
        if found is not None:
            return found
        if module.partition(".")[0] in STDLIB:
            return None  # `typing` is the standard library even if some `x/typing.py` exists
        paths = self.suffixes.get(module)
        if paths and len(paths) == 1:
            return next(iter(paths))
        return None

    def resolve(self, dotted: str) -> tuple[str, str] | None:
        """(file, rest): the longest module prefix of ``dotted`` in the workspace."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.path(".".join(parts[:cut]))
            if path is not None:
                return path, ".".join(parts[cut:])
        return None


def _imports(record: FileRecord, modules: ModuleMap) -> list[ImportFact]:
    relative_lines = {k.line for k in record.keywords if k.kind == "module" and k.name[:1] == "."}
    names: dict[tuple[str, int], list[str]] = defaultdict(list)
    statements: dict[str, int] = {}
    for keyword in record.keywords:
        if keyword.kind == "module":
            statements.setdefault(keyword.target, keyword.line)
        elif keyword.kind == "import":
            module = keyword.target.rpartition(".")[0]
            shown = f"{keyword.name} as {keyword.alias}" if keyword.alias else keyword.name
            names[(module, keyword.line)].append(shown)
    # The names taken from each module, in the order of ``names`` (one pass, not one per
    # statement: a file with many imports made that quadratic).
    by_module: dict[str, list[str]] = defaultdict(list)
    for (name_module, _line), shown in names.items():
        by_module[name_module].extend(shown)
    facts = []
    for module, line in statements.items():
        taken = by_module.get(module, [])
        path = modules.path(module) or ""
        if not path:
            # `from . import x` binds submodules: the module itself may be a package file.
            for name in taken:
                path = modules.path(f"{module}.{name.split(' as ')[0]}") or ""
                if path:
                    break
        if path == record.path:
            path = ""
        if path:
            group = "workspace"
        elif module.partition(".")[0] in STDLIB and line not in relative_lines:
            group = "standard library"
        elif line in relative_lines or not module:
            group = "unresolved"
        else:
            group = "third-party"
        facts.append(ImportFact(module, group, path, tuple(sorted(set(taken))), line))
    facts.sort(key=lambda f: (f.group, f.module))
    return facts


def _imported_paths(record: FileRecord, modules: ModuleMap) -> set[str]:
    """Workspace files this file imports: modules, and submodules imported by name."""
    found: set[str] = set()
    memo = modules._memo
    resolve = modules.path
    own = record.path
    for keyword in record.keywords:
        kind = keyword.kind
        if kind != "module" and kind != "import":
            continue
        target = keyword.target
        if not target:
            continue
        # The memo looked up inline: this loop sees every import of every file.
        path = memo[target] if target in memo else resolve(target)
        if path is None and kind == "import":
            parent = target.rpartition(".")[0]
            path = memo[parent] if parent in memo else resolve(parent)
        if path is not None and path != own:
            found.add(path)
    return found


class Analysis:
    """Cross-file facts of a workspace, computed once and then asked per file."""

    def __init__(self, records: Mapping[str, FileRecord]) -> None:
        self.records = records
        self.modules = ModuleMap(records)
        self.imports_of: dict[str, set[str]] = {}
        imported_by: dict[str, set[str]] = defaultdict(set)
        for path, record in records.items():
            if record.language != "python":
                continue
            targets = _imported_paths(record, self.modules)
            self.imports_of[path] = targets
            for target in targets:
                imported_by[target].add(path)
        self.imported_by = imported_by
        self.folders: dict[str, list[str]] = defaultdict(list)
        for path in sorted(records):
            self.folders[posixpath.dirname(path)].append(path)
        self._folder_keys: dict[str, str] = {}
        self._imports: dict[str, dict[str, tuple[int, Keyword]]] = {}
        self._anchors: dict[str, dict[tuple[str, str, int], str]] = {}
        self._classes: dict[str, dict[str, int]] = {}
        self._bases, self._subclasses = self._inheritance()

    def anchor(self, path: str, kind: str, qualname: str, line: int) -> str:
        anchors = self._anchors.get(path)
        if anchors is None:
            anchors = self._anchors[path] = keyword_anchors(self.records[path])
        return anchors.get((kind, qualname, line), "detailed-analysis")

    def _find_class(self, path: str, qualname: str) -> tuple[str, str, int] | None:
        classes = self._classes.get(path)
        if classes is None:
            classes = self._classes[path] = {}
            for keyword in self.records[path].keywords:
                if keyword.kind == "class":
                    classes.setdefault(keyword.qualname, keyword.line)
        line = classes.get(qualname)
        return None if line is None else (path, qualname, line)

    def resolve_base(self, record: FileRecord, base: str) -> tuple[str, str, int] | None:
        """The workspace class a base expression names: (file, qualname, line), or None."""
        base = base.split("[", 1)[0].strip()
        if not base or not base.replace(".", "").replace("_", "").isalnum():
            return None
        head, _, rest = base.partition(".")
        local = self._find_class(record.path, base)
        if local is not None:
            return local
        # The first import (in file order) that binds the head of the base, or a dotted prefix
        # of it (`import a.b` then `a.b.Cls`).
        imports = self._imports_by_name(record)
        candidates = [head] + [base[:i] for i, char in enumerate(base) if char == "."]
        matches = [imports[name] for name in candidates if name in imports]
        if not matches:
            return None
        _order, keyword = min(matches, key=lambda match: match[0])
        if keyword.qualname == head:
            dotted = f"{keyword.target}.{rest}" if rest else keyword.target
        else:
            dotted = keyword.target + base[len(keyword.qualname) :]
        found = self.modules.resolve(dotted)
        if found is not None and found[1]:
            return self._find_class(found[0], found[1])
        return None

    def _imports_by_name(self, record: FileRecord) -> dict[str, tuple[int, Keyword]]:
        """The name each import binds → (its position in the file, the first such import)."""
        imports = self._imports.get(record.path)
        if imports is None:
            imports = self._imports[record.path] = {}
            for order, keyword in enumerate(record.keywords):
                if keyword.kind in ("import", "module") and keyword.target:
                    imports.setdefault(keyword.qualname, (order, keyword))
        return imports

    def _inheritance(
        self,
    ) -> tuple[dict[str, list[ClassLink]], dict[str, list[ClassLink]]]:
        bases: dict[str, list[ClassLink]] = defaultdict(list)
        subclasses: dict[str, list[ClassLink]] = defaultdict(list)
        for path in sorted(self.records):
            record = self.records[path]
            if record.language != "python":
                continue
            for keyword in record.keywords:
                if keyword.kind != "class" or not keyword.bases:
                    continue
                for base in keyword.bases:
                    found = self.resolve_base(record, base)
                    if found is None:
                        continue
                    base_path, base_qualname, base_line = found
                    bases[path].append(
                        ClassLink(
                            keyword.qualname,
                            base_qualname,
                            base_path,
                            base_line,
                        )
                    )
                    subclasses[base_path].append(
                        ClassLink(
                            base_qualname,
                            keyword.qualname,
                            path,
                            keyword.line,
                        )
                    )
        return bases, subclasses

    def links(self, path: str) -> FileLinks:
        """The cross-file facts one file's docs page shows, anchors of other pages included."""
        record = self.records[path]
        importers = sorted(self.imported_by.get(path, ()))
        return FileLinks(
            imports=_imports(record, self.modules) if record.language == "python" else [],
            imported_by=importers,
            tests=[p for p in importers if is_test_file(p)],
            bases=[self._anchored(link) for link in self._bases.get(path, [])],
            subclasses=[self._anchored(link) for link in self._subclasses.get(path, [])],
            siblings=self.siblings(path),
        )

    def siblings(self, path: str) -> list[str]:
        return [p for p in self.folders.get(posixpath.dirname(path), []) if p != path]

    def _anchored(self, link: ClassLink) -> ClassLink:
        anchor = self.anchor(link.path, "class", link.other, link.line)
        return ClassLink(link.qualname, link.other, link.path, link.line, anchor)

    def links_key(self, path: str) -> tuple:
        """What ``links(path)`` is a function of, cheaply: for page fingerprints."""
        # Imports are a function of the file's own record and of where its imports resolve;
        # anchors of other pages a function of those pages' records.
        edges = [
            (link.qualname, link.other, link.path, link.line, self.records[link.path].digest)
            for link in (*self._bases.get(path, ()), *self._subclasses.get(path, ()))
        ]
        return (
            sorted(self.imports_of.get(path, ())),
            sorted(self.imported_by.get(path, ())),
            edges,
            self._folder_key(posixpath.dirname(path)),
        )

    def _folder_key(self, folder: str) -> str:
        """A digest of the files of a folder: with the file's own path (in every page
        fingerprint) it determines the siblings, without a list per file (O(n²) in a folder
        of n files)."""
        key = self._folder_keys.get(folder)
        if key is None:
            files = "\0".join(self.folders.get(folder, ())).encode("utf-8", "surrogateescape")
            key = self._folder_keys[folder] = hashlib.blake2b(files, digest_size=16).hexdigest()
        return key


def _link_key(link: ClassLink) -> tuple[str, str, str]:
    return link.qualname, link.path, link.other
