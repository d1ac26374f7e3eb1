"""The types of ``signatures.py``'s answers: parameters as the source writes them, and the lines
they are sliced from. Kept apart from the code that makes them, which is compiled (mypyc drops
the options of a class statement, such as msgspec's ``frozen=True``: ``kwdocs/compiled.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Protocol

import msgspec


class SourceLines(Protocol):
    """The lines a tree was parsed from, by 1-based line number (``""`` past the end)."""

    def text(self, line: int) -> str: ...


class LineList:
    """``SourceLines`` over a plain list of lines (as ``split_lines`` gives them)."""

    __slots__ = ("lines",)

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines

    def text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


class ParamKind(str, Enum):
    """How a parameter is passed (the names of ``inspect.Parameter``'s kinds)."""

    POSITIONAL_ONLY = "positional-only"
    POSITIONAL_OR_KEYWORD = "positional or keyword"
    VAR_POSITIONAL = "variadic positional"
    KEYWORD_ONLY = "keyword-only"
    VAR_KEYWORD = "variadic keyword"


class SignatureParam(msgspec.Struct, frozen=True):
    """One parameter of a ``def``: its name, kind, and annotation and default as written."""

    name: str
    kind: ParamKind
    annotation: str = ""
    default: str = ""

    @property
    def display_name(self) -> str:
        """The name with its star, as a docstring names it: ``*args``, ``**kwargs``."""
        if self.kind is ParamKind.VAR_POSITIONAL:
            return "*" + self.name
        if self.kind is ParamKind.VAR_KEYWORD:
            return "**" + self.name
        return self.name
