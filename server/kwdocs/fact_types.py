"""The types of a file's page facts (``facts.py`` finds them in one walk of its tree): what its
docs page states beyond its keywords. Kept apart from the walk, which is compiled (mypyc drops
the options of a class statement, such as msgspec's ``frozen=True``: ``kwdocs/compiled.py``)."""

from __future__ import annotations

import msgspec

from kwdocs.extract.note_types import ModuleNote
from kwdocs.extract.signature_types import SignatureParam
from kwdocs.model import Finding


class FunctionFacts(msgspec.Struct, frozen=True, array_like=True):
    """Size and cyclomatic complexity of one function or method."""

    qualname: str
    line: int
    end_line: int
    complexity: int

    @property
    def length(self) -> int:
        return self.end_line - self.line + 1


class WrittenCalls(msgspec.Struct, frozen=True, array_like=True):
    """The calls of one function's body, as ``Keyword.calls`` writes them."""

    qualname: str
    line: int
    calls: str
    unresolved: int


class DocFact(msgspec.Struct, frozen=True, array_like=True):
    """The cleaned docstring of one class or function (``ast.get_docstring``), and for a
    function the parameters its table needs, as the source writes them."""

    qualname: str
    line: int
    text: str
    params: tuple[SignatureParam, ...] = ()


class PageFacts(msgspec.Struct, array_like=True):
    """What the docs page states about a file beyond its keywords."""

    parsed: bool = False
    """False when there was no tree (syntax error, not Python): the lists below are empty."""
    functions: list[FunctionFacts] = []
    risks: list[Finding] = []
    idioms: list[Finding] = []
    calls: list[WrittenCalls] = []
    docstrings: list[DocFact] = []
    notes: list[ModuleNote] = []
    """The module's notes (``extract/notes.py``), read only when it has no docstring: its
    purpose then comes from them."""
