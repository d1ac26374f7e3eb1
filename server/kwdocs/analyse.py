"""Cross-file facts from the records of a whole workspace: which files import which, workspace
inheritance, the tests that import a module, and how each import is classified."""

from __future__ import annotations

import hashlib
import posixpath
from collections import defaultdict
from collections.abc import Mapping

import msgspec

from kwdocs.model import IMPORT_KINDS, FileRecord
from kwdocs.modules import ModuleTable
from kwdocs.pages import keyword_anchors
from kwdocs.resolve import ImportFact, base_class, import_facts, import_file, imported_paths


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
    import_files: dict[str, str] = {}
    """Target of each import of the file → the workspace file it is taken from."""


def is_test_file(path: str) -> bool:
    """Files under a ``tests``/``test`` folder, ``test_*.py`` and ``*_test.py``."""
    folder, _, name = path.rpartition("/")
    if not name.endswith(".py"):
        return False
    if name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in ("tests", "test") for part in folder.split("/"))


class Analysis:
    """Cross-file facts of a workspace, computed once and then asked per file."""

    def __init__(self, records: Mapping[str, FileRecord]) -> None:
        self.records = records
        self.modules = ModuleTable()
        for path in sorted(records):
            self.modules.add(records[path].module, path)
        self.imports_of: dict[str, set[str]] = {}
        imported_by: dict[str, set[str]] = defaultdict(set)
        for path, record in records.items():
            if record.language != "python":
                continue
            targets = imported_paths(self, record)
            self.imports_of[path] = targets
            for target in targets:
                imported_by[target].add(path)
        self.imported_by = imported_by
        self.folders: dict[str, list[str]] = defaultdict(list)
        for path in sorted(records):
            self.folders[posixpath.dirname(path)].append(path)
        self._folder_keys: dict[str, str] = {}
        self._anchors: dict[str, dict[tuple[str, str, int], str]] = {}
        # What the classification of every import depends on besides the files it resolves
        # to: which top-level packages are the project's.
        tops = "\0".join(sorted({m.partition(".")[0] for m in self.modules.modules()}))
        self._tops_key = hashlib.blake2b(tops.encode(), digest_size=8).hexdigest()
        self._bases, self._subclasses = self._inheritance()

    def anchor(self, path: str, kind: str, qualname: str, line: int) -> str:
        anchors = self._anchors.get(path)
        if anchors is None:
            anchors = self._anchors[path] = keyword_anchors(self.records[path])
        return anchors.get((kind, qualname, line), "detailed-analysis")

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
                    found = base_class(self, record, base)
                    if found is None:
                        continue
                    base_path, base_keyword = found
                    base_qualname, base_line = base_keyword.qualname, base_keyword.line
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
            imports=import_facts(self, record) if record.language == "python" else [],
            imported_by=importers,
            tests=[p for p in importers if is_test_file(p)],
            bases=[self._anchored(link) for link in self._bases.get(path, [])],
            subclasses=[self._anchored(link) for link in self._subclasses.get(path, [])],
            siblings=self.siblings(path),
            import_files=self.import_files(path),
        )

    def import_files(self, path: str) -> dict[str, str]:
        """Target of each import of a file → the workspace file it is taken from."""
        record = self.records[path]
        found: dict[str, str] = {}
        for keyword in record.keywords:
            if keyword.kind in IMPORT_KINDS and keyword.target not in found:
                where = import_file(self, record, keyword)
                if where is not None:
                    found[keyword.target] = where
        return found

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
            self._tops_key,
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
