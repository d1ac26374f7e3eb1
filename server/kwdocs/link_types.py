"""The types of what a page shows of other files (``analyse.py`` works it out): calls and callers
anchored, related files and how they relate, includes, a folder's public API. Kept apart from
the code, which is compiled (mypyc drops the options of a class statement, such as msgspec's
``frozen=True``: ``kwdocs/compiled.py``)."""

from __future__ import annotations

import enum

import msgspec

from kwdocs.edge_types import ClassLink, UseLink
from kwdocs.import_types import ImportFact


class CallLink(msgspec.Struct, frozen=True, array_like=True):
    """The other end of a call, with the anchor of its section."""

    qualname: str
    path: str
    line: int
    kind: str
    anchor: str = ""


class FunctionLinks(msgspec.Struct, frozen=True, array_like=True):
    """What one function or class of the file calls, and what calls it."""

    qualname: str
    line: int
    callees: list[CallLink] = []
    callers: list[CallLink] = []
    outside: int = 0
    """Calls of builtins and of modules outside the workspace."""
    unresolved: int = 0
    """Calls only inference could place."""


class Relation(str, enum.Enum):
    """How another file relates to this one (the value is what the page says)."""

    IMPORTS = "imported here"
    IMPORTED_BY = "imports this file"
    CALLS = "calls into this file"
    CALLED = "called from this file"
    INHERITS = "shares a class hierarchy"
    TESTS = "tests this file"
    SIBLING = "same folder"

    __str__ = str.__str__


class IncludeLink(msgspec.Struct, frozen=True, array_like=True):
    """One ``#include`` of a C, C++ or CUDA file, as written, and the workspace file it leads
    to ("" when none: a system or library header)."""

    written: str
    line: int
    path: str
    system: bool


class RelatedFile(msgspec.Struct, frozen=True, array_like=True):
    path: str
    relations: tuple[Relation, ...]
    calls: int = 0
    """Calls between the two files, either way."""


class ApiEntry(msgspec.Struct, frozen=True, array_like=True):
    """One name of a folder's public API, and the definition it stands for (path "" when the
    workspace cannot tell)."""

    name: str
    path: str = ""
    qualname: str = ""
    kind: str = ""
    line: int = 0
    summary: str = ""
    anchor: str = ""


class FolderLinks(msgspec.Struct, array_like=True):
    """What a folder's ``doc.md`` shows beyond its files' records."""

    api: list[ApiEntry] = []
    api_source: str = ""
    """Where the API was read: ``__all__``, ``imports`` (the package's public imports and
    definitions) or ``modules`` (the public definitions of its public modules)."""
    imports: list[tuple[str, str]] = []
    """(importer, imported) among the folder's files and subfolders (a subfolder's key ends
    with ``/``)."""


class FileLinks(msgspec.Struct, array_like=True):
    """Everything a file's docs page shows about other files: part of the page fingerprint."""

    imports: list[ImportFact] = []
    imported_by: list[str] = []
    tests: list[str] = []
    bases: list[ClassLink] = []
    subclasses: list[ClassLink] = []
    import_files: dict[str, str] = {}
    """Target of each import of the file → the workspace file it is taken from."""
    functions: list[FunctionLinks] = []
    """Calls and callers of its functions and classes (those that have any), in file order."""
    calls_complete: bool = True
    """False when some file was indexed without its calls: callers may be missing."""
    uses: list[UseLink] = []
    related: list[RelatedFile] = []
    """Other files ranked by how they relate to this one, most related first."""
    includes: list[IncludeLink] = []
    """C, C++ and CUDA files: their ``#include``s in the order written."""
