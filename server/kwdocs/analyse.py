"""Cross-file facts from the records of a whole workspace: which files import which, workspace
inheritance, the tests that import a module, how each import is classified, who calls whom
(``kwdocs.calls``), the workspace classes class attributes are annotated with, and which files
relate to a file most; and a file's main definition (``main_definition``)."""

from __future__ import annotations

import hashlib
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter
from typing import NamedTuple

import msgspec

from kwdocs.call_types import CallEnd
from kwdocs.calls import CallGraph
from kwdocs.edge_types import ClassLink, FileEdges, UseLink
from kwdocs.edges import file_edges
from kwdocs.extract.includes import include_target, is_system_include
from kwdocs.extract.languages import C_FAMILY
from kwdocs.extract.pynodes import is_unread_docstring
from kwdocs.link_types import (
    ApiEntry,
    CallLink,
    FileLinks,
    FolderLinks,
    FunctionLinks,
    IncludeLink,
    RelatedFile,
    Relation,
)
from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.modules import ModuleTable
from kwdocs.pages import keyword_anchors
from kwdocs.resolve import (
    alias_of,
    implementation,
    import_facts,
    name_in_module,
)

_INIT_NAMES = ("__init__.py", "__init__.pyi")
# What a folder's public API lists, and how many names at most.
_API_KINDS = frozenset({Kind.CLASS, Kind.FUNCTION, Kind.CONSTANT, Kind.VARIABLE})
API_LIMIT = 200
_encode = msgspec.msgpack.Encoder().encode


# Relations in the order a page lists them; a file's relations to another as a bit mask
# (bit i: _RELATIONS[i]), with what each mask weighs and lists made once (``related`` masks
# thousands of files per page of a much-imported file).
_RELATIONS = tuple(Relation)
_BIT = {relation: 1 << i for i, relation in enumerate(_RELATIONS)}
_WEIGHT = {
    Relation.INHERITS: 6,
    Relation.CALLS: 4,
    Relation.CALLED: 4,
    Relation.TESTS: 3,
    Relation.IMPORTS: 2,
    Relation.IMPORTED_BY: 2,
}
_MASK_WEIGHT = [
    sum(_WEIGHT.get(r, 0) for r in _RELATIONS if mask & _BIT[r])
    for mask in range(1 << len(_RELATIONS))
]
_MASK_RELATIONS = [
    tuple(r for r in _RELATIONS if mask & _BIT[r]) for mask in range(1 << len(_RELATIONS))
]


def _node(parts: list[str], depth: int) -> str:
    """What a file is in the import graph of the folder made of its first ``depth`` parts:
    itself when it lies in that folder, else the subfolder holding it (``sub/``)."""
    if depth == len(parts) - 1:
        return "/".join(parts)
    return "/".join(parts[: depth + 1]) + "/"


class MainDefinition(NamedTuple):
    """A file's main public class or function: what its purpose names when the module has no
    docstring (its docs page's File Purpose, its line in the folder's index)."""

    keyword: Keyword
    documented: bool
    """It has a docstring (a summary); False when none of the candidates has one."""
    exported: bool
    """It was chosen among the names the module's ``__all__`` lists."""

    def label(self) -> str:
        """How the choice is worded: ``largest documented public class`` and the like."""
        which = "documented " if self.documented else ""
        return f"largest {which}public {self.keyword.kind}"


def main_definition(record: FileRecord) -> MainDefinition | None:
    """The one choice of a file's main definition, for every page that names it: among its
    top-level classes and functions — those its ``__all__`` lists, when it lists any, else
    the public ones (no leading ``_``) — the largest (in lines; the first of equals) that has
    a docstring, so the purpose it gives says something; without any, the largest. None when
    there is no candidate."""
    top = [k for k in record.keywords if k.kind in _MAIN_KINDS and "." not in k.qualname]
    exported = set(record.all_names or ())
    listed = [k for k in top if k.name in exported]
    candidates = listed or [k for k in top if not k.name.startswith("_")]
    if not candidates:
        return None
    # A docstring kwdocs could not read ("Its docstring is set at line N by an expression…")
    # says nothing of what the definition is for.
    documented = [k for k in candidates if k.summary and not is_unread_docstring(k.summary)]
    main = max(documented or candidates, key=lambda k: (k.end_line - k.line, -k.line))
    return MainDefinition(main, bool(documented), bool(listed))


_MAIN_KINDS = frozenset({Kind.CLASS, Kind.FUNCTION})
_PATH_LINE = attrgetter("path", "line")


class KeywordPlaces(NamedTuple):
    """How a file's keywords lie (``Analysis.line_ranks`` and ``Analysis.anchors_key``)."""

    ranks: dict[int, int]
    """Each line of its keywords → its rank among them."""
    key: str
    """A digest of its keywords' kinds and qualified names in order, and their lines' ranks."""


def keyword_places(record: FileRecord) -> KeywordPlaces:
    """How a file's keywords lie: what links into its docs page are fingerprinted on."""
    keywords = record.keywords
    ranks = {line: i for i, line in enumerate(sorted({k.line for k in keywords}))}
    payload = _encode([(k.kind, k.qualname, ranks[k.line]) for k in keywords])
    return KeywordPlaces(ranks, hashlib.blake2b(payload, digest_size=16).hexdigest())


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

    def __init__(
        self,
        records: Mapping[str, FileRecord],
        known_edges: Mapping[str, FileEdges] | None = None,
        fresh_edges: Mapping[str, FileEdges] | None = None,
        anchors: dict[str, dict[tuple[str, str, int], str]] | None = None,
        places: dict[str, KeywordPlaces] | None = None,
        above: Sequence[str] = (),
    ) -> None:
        """``known_edges``: files' edges worked out by an earlier analysis over the same files
        and modules (``edges``), kept where still true; ``fresh_edges``: edges of these very
        records worked out elsewhere just now (``kwdocs.export.analysis``'s workers); ``anchors``
        and ``places``: ``keyword_anchors`` and ``keyword_places`` of some of the records,
        worked out already; ``above``: the workspace root's folder names (``root_names``),
        which C-family includes may name."""
        self.records = records
        self.above = above
        self.modules = ModuleTable.of((r.module, path) for path, r in records.items())
        self.edges, self.edges_now = file_edges(
            records, self.modules, known_edges, fresh_edges, above
        )
        """Every file's edges, and how many of them this analysis worked out."""
        self.imports_of: dict[str, set[str]] = {}
        imported_by: dict[str, set[str]] = defaultdict(set)
        self._bases: dict[str, list[ClassLink]] = defaultdict(list)
        self._subclasses: dict[str, list[ClassLink]] = defaultdict(list)
        for path, edges in self.edges.items():
            language = records[path].language
            if language != "python" and language not in C_FAMILY:
                continue
            self.imports_of[path] = set(edges.imports)
            for target in edges.imports:
                imported_by[target].add(path)
            for edge in edges.bases:
                link = edge.base
                self._bases[path].append(link)
                self._subclasses[link.path].append(
                    ClassLink(link.other, link.qualname, path, edge.line)
                )
        self.imported_by = imported_by
        self.folders: dict[str, list[str]] = defaultdict(list)
        for path in sorted(records):
            self.folders[posixpath.dirname(path)].append(path)
        self._tests = frozenset(path for path in records if is_test_file(path))
        self._folder_keys: dict[str, str] = {}
        self._anchors: dict[str, dict[tuple[str, str, int], str]] = (
            anchors if anchors is not None else {}
        )
        # What the classification of every import depends on besides the files it resolves
        # to: which top-level packages are the project's.
        tops = "\0".join(sorted({m.partition(".")[0] for m in self.modules.modules()}))
        self._tops_key = hashlib.blake2b(tops.encode(), digest_size=8).hexdigest()
        self.calls = CallGraph(
            {path: list(edges.calls) for path, edges in self.edges.items()},
            complete=all(r.calls_known for r in records.values() if r.language == "python"),
        )
        self._places: dict[str, KeywordPlaces] = places if places is not None else {}
        self._folder_links: dict[str, FolderLinks] = {}
        self._imports_by_folder: dict[str, set[tuple[str, str]]] | None = None

    def anchors(self, path: str) -> dict[tuple[str, str, int], str]:
        """``keyword_anchors`` of a file's record, worked out once."""
        anchors = self._anchors.get(path)
        if anchors is None:
            anchors = self._anchors[path] = keyword_anchors(self.records[path])
        return anchors

    def anchor(self, path: str, kind: str, qualname: str, line: int) -> str:
        return self.anchors(path).get((kind, qualname, line), "detailed-analysis")

    def anchors_key(self, path: str) -> str:
        """A digest of what the anchors of a file's docs page, and the order and identity of
        its keywords' lines, are a function of: its keywords' kinds and qualified names in
        order, and how their lines compare (not the lines themselves). Pages linking into the
        file change with it, not with an edit that only moves its lines."""
        return self._keyword_places(path).key

    def line_ranks(self, path: str) -> dict[int, int]:
        """Each line of a file's keywords → its rank among them: with ``anchors_key``, what a
        link into the file is fingerprinted on instead of the line it names (the kind and
        qualified name beside it pick the keyword, as ``keyword_anchors`` does)."""
        return self._keyword_places(path).ranks

    def _keyword_places(self, path: str) -> KeywordPlaces:
        known = self._places.get(path)
        if known is None:
            known = self._places[path] = keyword_places(self.records[path])
        return known

    def links(self, path: str) -> FileLinks:
        """The cross-file facts one file's docs page shows, anchors of other pages included."""
        record = self.records[path]
        importers = sorted(self.imported_by.get(path, ()))
        tests = self._tests
        return FileLinks(
            imports=import_facts(self, record) if record.language == "python" else [],
            imported_by=importers,
            tests=[p for p in importers if p in tests],
            bases=[self._anchored(link) for link in self._bases.get(path, [])],
            subclasses=[self._anchored(link) for link in self._subclasses.get(path, [])],
            import_files=self.import_files(path),
            functions=self.function_links(path),
            calls_complete=self.calls.complete,
            uses=[
                msgspec.structs.replace(
                    use, anchor=self.anchor(use.path, "class", use.qualname, use.line)
                )
                for use in self.uses(path)
            ],
            related=self.related(path),
            includes=self.includes(record) if record.language in C_FAMILY else [],
        )

    def includes(self, record: FileRecord) -> list[IncludeLink]:
        return [
            IncludeLink(
                keyword.target,
                keyword.line,
                include_target(self.records, record.path, keyword, self.above) or "",
                is_system_include(keyword),
            )
            for keyword in record.keywords
            if keyword.kind == Kind.INCLUDE
        ]

    def _call_links(self, ends: Iterable[CallEnd]) -> list[CallLink]:
        """Each end with the anchor of its section: ``anchor`` spelt out, in one loop (a
        page of many calls asks it for each of them: 120,000 ends over torch's pages)."""
        known = self._anchors
        links: list[CallLink] = []
        for end in ends:
            path = end.path
            anchors = known.get(path)
            if anchors is None:
                anchors = self.anchors(path)
            qualname, line, kind = end.qualname, end.line, end.kind
            anchor = anchors.get((kind, qualname, line), "detailed-analysis")
            links.append(CallLink(qualname, path, line, kind, anchor))
        return links

    def function_links(self, path: str) -> list[FunctionLinks]:
        """Calls and callers of each function and class of a file, anchored."""
        calls = {(f.qualname, f.line): f for f in self.calls.calls_of(path)}
        callers = self.calls.callers_of(path)
        if not calls and not callers:
            return []
        links = self._call_links
        found: list[FunctionLinks] = []
        for keyword in self.records[path].keywords:
            key = (keyword.qualname, keyword.line)
            placed = calls.get(key)
            calling = callers.get(key)
            if placed is None and not calling:
                continue
            found.append(
                FunctionLinks(
                    keyword.qualname,
                    keyword.line,
                    links(placed.callees) if placed else [],
                    links(sorted(calling, key=_PATH_LINE)) if calling else [],
                    placed.outside if placed else 0,
                    placed.unresolved if placed else 0,
                )
            )
        return found

    def uses(self, path: str) -> list[UseLink]:
        """Class attributes of a file annotated with workspace classes (each class named)."""
        return list(self.edges[path].uses)

    def related(self, path: str, limit: int = 20) -> list[RelatedFile]:
        """Other files ranked by how they relate to this one: imports either way, calls
        either way (more calls rank higher), a shared class hierarchy, tests importing it;
        the folder's other files only after those."""
        relations: dict[str, int] = {}
        get = relations.get
        imports, tests, imported_by = (
            _BIT[Relation.IMPORTS],
            _BIT[Relation.TESTS],
            _BIT[Relation.IMPORTED_BY],
        )
        for other in self.imports_of.get(path, ()):
            relations[other] = get(other, 0) | imports
        test_files = self._tests
        for other in self.imported_by.get(path, ()):
            relations[other] = get(other, 0) | (tests if other in test_files else imported_by)
        calls: dict[str, int] = {}
        count = calls.get
        for function in self.calls.calls_of(path):
            for callee in function.callees:
                calls[callee.path] = count(callee.path, 0) + 1
        called = _BIT[Relation.CALLED]
        for other in calls:
            relations[other] = get(other, 0) | called
        calling = _BIT[Relation.CALLS]
        for found in self.calls.callers_of(path).values():
            for caller in found:
                other = caller.path
                calls[other] = count(other, 0) + 1
                relations[other] = get(other, 0) | calling
        inherits = _BIT[Relation.INHERITS]
        for link in (*self._bases.get(path, ()), *self._subclasses.get(path, ())):
            relations[link.path] = get(link.path, 0) | inherits
        relations.pop(path, None)
        # Calls count up to 20 against the kinds of relation; past that, they still order
        # files related the same way (49 calls never rank above 56).
        ranked = sorted(
            relations,
            key=lambda other: (
                -_MASK_WEIGHT[relations[other]] - min(count(other, 0), 20),
                -count(other, 0),
                other,
            ),
        )[:limit]
        files = [
            RelatedFile(other, _MASK_RELATIONS[relations[other]], count(other, 0))
            for other in ranked
        ]
        if len(files) < limit:
            shown = {r.path for r in files}
            for sibling in self.siblings(path):
                if sibling not in shown and len(files) < limit:
                    files.append(RelatedFile(sibling, (Relation.SIBLING,)))
        return files

    def import_files(self, path: str) -> dict[str, str]:
        """Target of each import of a file → the workspace file it is taken from."""
        return dict(self.edges[path].import_files)

    def siblings(self, path: str) -> list[str]:
        return [p for p in self.folders.get(posixpath.dirname(path), []) if p != path]

    def _anchored(self, link: ClassLink) -> ClassLink:
        anchor = self.anchor(link.path, "class", link.other, link.line)
        return ClassLink(link.qualname, link.other, link.path, link.line, anchor)

    def links_key(self, path: str) -> tuple:
        """What ``links(path)`` is a function of, cheaply: for page fingerprints."""
        # Imports are a function of the file's own record and of where its imports resolve.
        # A page shows another file's keywords by name and anchor, orders them by line and
        # tells them apart by line: the ranks of their lines and the other file's anchors_key
        # say all of that, and do not change when an edit only moves lines.
        ranks = self.line_ranks
        edges = [
            (
                link.qualname,
                link.other,
                link.path,
                ranks(link.path).get(link.line, -1 - link.line),
                self.anchors_key(link.path),
            )
            for link in (*self._bases.get(path, ()), *self._subclasses.get(path, ()))
        ]
        uses = [
            (
                use.owner,
                use.attribute,
                use.path,
                ranks(use.path).get(use.line, -1 - use.line),
                self.anchors_key(use.path),
            )
            for use in self.uses(path)
        ]
        return (
            sorted(self.imports_of.get(path, ())),
            sorted(self.imported_by.get(path, ())),
            edges,
            self._folder_key(posixpath.dirname(path)),
            self._tops_key,
            self.calls.key(path, self.anchors_key, ranks),
            uses,
        )

    def folder_links(self, folder: str, files: list[str], subfolders: list[str]) -> FolderLinks:
        """A folder's public API (each name placed where it is defined, anchors left out:
        ``folder_page_links`` adds them) and the imports among its files and subfolders."""
        cached = self._folder_links.get(folder)
        if cached is not None:
            return cached
        api, source = self._folder_api(files)
        imports = sorted(self._folder_imports().get(folder, ()))
        found = FolderLinks(api, source, imports)
        self._folder_links[folder] = found
        return found

    def folder_page_links(
        self, folder: str, files: list[str], subfolders: list[str]
    ) -> FolderLinks:
        """``folder_links`` with the anchor of each API name's section (what the page links)."""
        links = self.folder_links(folder, files, subfolders)
        api = [
            msgspec.structs.replace(
                entry, anchor=self.anchor(entry.path, entry.kind, entry.qualname, entry.line)
            )
            if entry.path and entry.kind != "module"
            else entry
            for entry in links.api
        ]
        return FolderLinks(api, links.api_source, links.imports)

    def _folder_imports(self) -> dict[str, set[tuple[str, str]]]:
        """For every folder, the imports between its files and subfolders (a subfolder's key
        ends with ``/``): each import between two files seen from every folder above both."""
        found = self._imports_by_folder
        if found is not None:
            return found
        found = self._imports_by_folder = defaultdict(set)
        parts: dict[str, list[str]] = {}
        for source, targets in self.imports_of.items():
            source_parts = source.split("/")
            for target in targets:
                target_parts = parts.get(target)
                if target_parts is None:
                    target_parts = parts[target] = target.split("/")
                # The innermost folder holding both files: their common leading folder parts.
                # In every folder above it both lie in one subfolder, the same node.
                common = 0
                limit = min(len(source_parts), len(target_parts)) - 1
                while common < limit and source_parts[common] == target_parts[common]:
                    common += 1
                a = _node(source_parts, common)
                b = _node(target_parts, common)
                if a != b:
                    found["/".join(source_parts[:common])].add((a, b))
        return found

    def _folder_api(self, files: list[str]) -> tuple[list[ApiEntry], str]:
        init = next((p for p in files if posixpath.basename(p) in _INIT_NAMES), "")
        record = self.records.get(init) if init else None
        if record is not None and record.all_names is not None:
            return [self._api_entry(init, name) for name in record.all_names[:API_LIMIT]], "__all__"
        if record is not None:
            names = [
                k.alias or k.name
                for k in record.keywords
                if (k.kind == Kind.IMPORT or (k.kind in _API_KINDS and "." not in k.qualname))
                and not (k.alias or k.name).startswith("_")
            ]
            if names:
                unique = list(dict.fromkeys(names))[:API_LIMIT]
                return [self._api_entry(init, name) for name in unique], "imports"
        # A name once per file, though defined more than once (overloads, if/else branches);
        # an overloaded function as its implementation, where its docstring is.
        entries: dict[tuple[str, str], ApiEntry] = {}
        for path in files:
            if posixpath.basename(path).startswith("_"):
                continue
            record = self.records[path]
            for keyword in record.keywords:
                if (
                    keyword.kind in _API_KINDS
                    and "." not in keyword.qualname
                    and not keyword.name.startswith("_")
                    and (path, keyword.name) not in entries
                ):
                    entries[path, keyword.name] = self._defined(keyword.name, path, keyword)
                    if len(entries) >= API_LIMIT:
                        return list(entries.values()), "modules"
        return list(entries.values()), "modules"

    def _api_entry(self, init: str, name: str) -> ApiEntry:
        for path, keyword in name_in_module(self, init, name):
            if keyword.kind in _API_KINDS or keyword.kind == Kind.MODULE:
                return self._defined(name, path, keyword)
        return ApiEntry(name)

    def _defined(self, name: str, path: str, keyword: Keyword) -> ApiEntry:
        """The entry of a name of the API defined by ``keyword`` of ``path``: an alias
        (``f = mod.g``) as the definition it stands for; an overloaded function as the
        definition that runs, where its docstring is."""
        for where, aliased in alias_of(self, path, keyword):
            if aliased.kind in _API_KINDS or aliased.kind == Kind.MODULE:
                path, keyword = where, aliased
                break
        return self._entry(name, path, implementation(self.records[path], keyword))

    @staticmethod
    def _entry(name: str, path: str, keyword: Keyword) -> ApiEntry:
        kind = str(keyword.kind)
        if kind == Kind.MODULE:
            return ApiEntry(name, path, keyword.qualname, "module", 0, keyword.summary)
        return ApiEntry(name, path, keyword.qualname, kind, keyword.line, keyword.summary)

    def folder_key(self, folder: str, files: list[str], subfolders: list[str]) -> tuple:
        """What ``folder_links`` and the folder's pages depend on beyond its own files'
        records: where its API's names are defined (those files' records), its subfolders'
        packages (their purpose) and the imports among its files and subfolders."""
        links = self.folder_links(folder, files, subfolders)
        targets = sorted({e.path for e in links.api if e.path})
        inits = [
            (sub, self.records[p].digest)
            for sub in subfolders
            for p in self.folders.get(sub, ())
            if posixpath.basename(p) in _INIT_NAMES
        ]
        return (
            [(e.name, e.path, e.qualname, e.line) for e in links.api],
            [(p, self.records[p].digest) for p in targets],
            inits,
            links.imports,
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
