"""The types of ``notes.py``'s answers: one design note of a file and where it was written. Kept
apart from the code that finds them, which is compiled (``kwdocs/compiled.py``)."""

from __future__ import annotations

from enum import Enum

import msgspec


class NoteOrigin(str, Enum):
    """Where a note was written."""

    COMMENT = "comment"
    LEADING_COMMENT = "leading comment"
    STRING = "string"
    ATTRIBUTE_DOCSTRING = "attribute docstring"
    """An untitled string on the line right after an assignment: by convention (PEP 224,
    Sphinx) it documents that name rather than the module."""


class ModuleNote(msgspec.Struct, frozen=True):
    """One note: its title (None for an untitled one), its first and last line (1-based; the
    title's line when titled) and its text, comment markers and common indentation removed,
    the title line left out."""

    title: str | None
    line: int
    end_line: int
    text: str
    origin: NoteOrigin
