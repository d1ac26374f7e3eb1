"""What one file says of other files — the files it imports, the workspace classes its classes
inherit from, the workspace classes its class attributes are annotated with, where its calls
land — with the records working that out read: an export keeps a file's edges until the file
or one of those records changes (``kwdocs.analyse.Analysis`` builds the reverse edges)."""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence

from kwdocs.calls import CallPlacer
from kwdocs.edge_types import BaseEdge, ClassLink, FileEdges, UseLink
from kwdocs.extract.includes import included_paths
from kwdocs.extract.languages import C_FAMILY
from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.modules import ModuleTable
from kwdocs.readlog import ReadLog
from kwdocs.resolve import base_class, import_files

# Names an annotation uses that are never workspace classes (builtins, typing's).
_NOT_CLASSES = frozenset(dir(builtins)) | frozenset(
    {
        "Any",
        "Optional",
        "Union",
        "Callable",
        "Literal",
        "ClassVar",
        "Final",
        "Sequence",
        "Iterable",
        "Iterator",
        "Mapping",
        "Generator",
        "Type",
        "List",
        "Dict",
        "Tuple",
        "Set",
        "typing",
        "t",
    }
)
# Names in an annotation (``dict[str, FlatParameter] | None``): each may be a workspace class.
_NAMES = re.compile(r"[A-Za-z_][\w.]*")
# ``Callable[`` as an annotation writes it (``typing.Callable``, ``collections.abc.Callable``):
# the types inside are a function's parameters and result, not objects the attribute holds.
_CALLABLE = re.compile(r"(?<![\w.])(?:[A-Za-z_][\w]*\.)*Callable\s*\[")


def held_annotation(annotation: str) -> str:
    """An attribute's annotation without what its ``Callable[...]`` subscripts name (the
    parameter and return types of a function it holds, not held objects)."""
    if "Callable" not in annotation:
        return annotation
    kept: list[str] = []
    at = 0
    while True:
        match = _CALLABLE.search(annotation, at)
        if match is None:
            break
        kept.append(annotation[at : match.start()])
        depth, end = 1, match.end()
        while end < len(annotation) and depth:
            depth += {"[": 1, "]": -1}.get(annotation[end], 0)
            end += 1
        at = end
    kept.append(annotation[at:])
    return "".join(kept)


def file_edges(
    records: Mapping[str, FileRecord],
    modules: ModuleTable,
    known: Mapping[str, FileEdges] | None = None,
    fresh: Mapping[str, FileEdges] | None = None,
    above: Sequence[str] = (),
) -> tuple[dict[str, FileEdges], int]:
    """Every file's edges by path, and how many were worked out now: those of ``known``
    (worked out over the same files and modules) are kept while the file and every record
    they read keep their digests; ``fresh`` holds edges just worked out elsewhere (by forked
    workers, ``EdgeReader`` over the same records) for files whose known ones do not hold."""
    reader: EdgeReader | None = None
    edges: dict[str, FileEdges] = {}
    now = 0
    for path in sorted(records):
        record = records[path]
        kept = known.get(path) if known is not None else None
        if kept is not None and still_true(kept, record, records):
            edges[path] = kept
            continue
        found = fresh.get(path) if fresh is not None else None
        if found is None or found.digest != record.digest:
            if reader is None:
                reader = EdgeReader(records, modules, above)
            found = reader.edges(path)
        edges[path] = found
        now += 1
    return edges, now


def stale_paths(
    records: Mapping[str, FileRecord], known: Mapping[str, FileEdges] | None
) -> list[str]:
    """The files whose edges ``file_edges`` would have to work out now."""
    if known is None:
        return sorted(records)
    return [
        path
        for path in sorted(records)
        if (kept := known.get(path)) is None or not still_true(kept, records[path], records)
    ]


class EdgeReader:
    """Works out files' edges one at a time over one workspace's records; answers shared by
    several files (a module's names, a class's members) are worked out once."""

    def __init__(
        self, records: Mapping[str, FileRecord], modules: ModuleTable, above: Sequence[str] = ()
    ) -> None:
        self.records = records
        self.above = above
        """The workspace root's folder names (``root_names``), which includes may name."""
        self.space = ReadLog(records, modules)
        self.placer = CallPlacer(self.space)

    def edges(self, path: str) -> FileEdges:
        records, space = self.records, self.space
        record = records[path]
        space.read = set()
        python = record.language == "python"
        taken_from: tuple[tuple[str, str], ...] = ()
        if python:
            found = import_files(space, record)
            taken_from = tuple(found.items())
            imports = tuple(sorted(set(found.values())))
        elif record.language in C_FAMILY:
            # What its ``#include``s lead to: a function of the file and of the workspace's
            # file set, as Python's imports are.
            imports = tuple(sorted(included_paths(records, record, self.above)))
        else:
            imports = ()
        bases = tuple(_bases(space, record)) if python else ()
        uses = tuple(_uses(space, record))
        calls = tuple(self.placer.place(record)) if python and record.calls_known else ()
        space.read.discard(path)
        reads = tuple((p, records[p].digest) for p in sorted(space.read))
        return FileEdges(
            record.digest, record.calls_known, reads, imports, taken_from, bases, uses, calls
        )


def still_true(kept: FileEdges, record: FileRecord, records: Mapping[str, FileRecord]) -> bool:
    if kept.digest != record.digest or kept.calls_known != record.calls_known:
        return False
    for path, digest in kept.reads:
        other = records.get(path)
        if other is None or other.digest != digest:
            return False
    return True


def _bases(space: ReadLog, record: FileRecord) -> list[BaseEdge]:
    found = []
    for keyword in record.keywords:
        if keyword.kind != "class" or not keyword.bases:
            continue
        for base in keyword.bases:
            placed = base_class(space, record, base)
            if placed is not None:
                base_path, base_keyword = placed
                link = ClassLink(
                    keyword.qualname, base_keyword.qualname, base_path, base_keyword.line
                )
                found.append(BaseEdge(keyword.line, link))
    return found


def _uses(space: ReadLog, record: FileRecord) -> list[UseLink]:
    """Class attributes annotated with workspace classes (each class named)."""
    found = []
    classes: dict[str, tuple[str, Keyword] | None] = {}
    attribute = Kind.ATTRIBUTE  # read once: the enum's class attributes are slow to read
    for keyword in record.keywords:
        if keyword.kind != attribute or ": " not in keyword.signature:
            continue
        annotation = keyword.signature.partition(": ")[2].partition(" = ")[0]
        owner = keyword.qualname.rpartition(".")[0]
        seen: set[tuple[str, int]] = set()
        for name in _NAMES.findall(held_annotation(annotation)):
            if name in _NOT_CLASSES:
                continue
            if name in classes:
                placed = classes[name]
            else:
                placed = classes[name] = base_class(space, record, name)
            if placed is None or (placed[0], placed[1].line) in seen:
                continue
            seen.add((placed[0], placed[1].line))
            found.append(
                UseLink(owner, keyword.name, placed[1].qualname, placed[0], placed[1].line)
            )
    return found
