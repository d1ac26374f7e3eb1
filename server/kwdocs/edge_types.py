"""The types of one file's edges to other files (``edges.py`` works them out): inheritance,
annotated attributes, imports and placed calls. Kept apart from the code, which is compiled
(mypyc drops the options of a class statement, such as msgspec's ``frozen=True``:
``kwdocs/compiled.py``)."""

from __future__ import annotations

import msgspec

from kwdocs.call_types import FunctionCalls


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


class BaseEdge(msgspec.Struct, frozen=True, array_like=True):
    """A class of the file and the workspace class one of its bases names."""

    line: int
    """The line of the file's class."""
    base: ClassLink


class UseLink(msgspec.Struct, frozen=True, array_like=True):
    """A class attribute annotated with a workspace class: ``owner.attribute: ... Other ...``."""

    owner: str
    """The class of this file."""
    attribute: str
    qualname: str
    """The workspace class named in the annotation."""
    path: str
    line: int
    anchor: str = ""


class FileEdges(msgspec.Struct, frozen=True, array_like=True):
    """One file's edges to other files, and what working them out read."""

    digest: str
    """The file's digest when they were worked out."""
    calls_known: bool
    reads: tuple[tuple[str, str], ...]
    """(path, digest) of every other record read."""
    imports: tuple[str, ...]
    """Workspace files it imports (Python files) or includes (C, C++, CUDA), sorted."""
    import_files: tuple[tuple[str, str], ...]
    """Target of each import → the workspace file it is taken from, in file order (Python
    files): what its pages link each import to."""
    bases: tuple[BaseEdge, ...]
    """In the order of its classes and of their written bases (Python files)."""
    uses: tuple[UseLink, ...]
    calls: tuple[FunctionCalls, ...]
    """Placed calls of its functions, in file order (Python files indexed with calls)."""
