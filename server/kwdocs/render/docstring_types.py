"""The types of a docstring read into parts (``docstrings.py`` reads them): paragraphs, code,
lists and notes, parameters, returns and raises. Kept apart from the reader, which is compiled
(mypyc drops the options of a class statement, such as msgspec's ``frozen=True`` and ``tag``:
``kwdocs/compiled.py``)."""

from __future__ import annotations

from enum import Enum

import msgspec


class NoteKind(str, Enum):
    """Kinds of notes (reST admonitions, Google ``Note:``-like sections); the value is the
    label a page shows."""

    NOTE = "Note"
    WARNING = "Warning"
    TIP = "Tip"
    IMPORTANT = "Important"
    CAUTION = "Caution"
    DANGER = "Danger"
    SEE_ALSO = "See also"
    TODO = "To do"
    REFERENCES = "References"
    DEPRECATED = "Deprecated since version"
    VERSION_ADDED = "Added in version"
    VERSION_CHANGED = "Changed in version"
    OTHER = ""
    """A directive kwdocs does not know: its title says which."""


class Paragraph(msgspec.Struct, frozen=True, tag="paragraph"):
    """One paragraph as inline Markdown on one line."""

    text: str


class CodeBlock(msgspec.Struct, frozen=True, tag="code"):
    """A literal block, doctest or code directive, verbatim."""

    code: str
    language: str = ""


class ListBlock(msgspec.Struct, frozen=True, tag="list"):
    """A bullet or numbered list; each item is a sequence of blocks."""

    items: tuple[tuple[Block, ...], ...]
    ordered: bool = False
    start: int = 1


class Note(msgspec.Struct, frozen=True, tag="note"):
    """An admonition (``.. note::``, ``Warning:``...), shown as a quote."""

    kind: NoteKind
    title: str = ""
    """Inline Markdown after the label: a version, an admonition's own title."""
    blocks: tuple[Block, ...] = ()


Block = Paragraph | CodeBlock | ListBlock | Note


class ParamGroup(str, Enum):
    """The tables parameters are shown in; the value is the table's label."""

    PARAMETERS = "Parameters"
    KEYWORD = "Keyword arguments"
    OTHER = "Other parameters"
    ATTRIBUTES = "Attributes"


class Param(msgspec.Struct, frozen=True):
    """A documented parameter (or attribute). Annotation and default come from the signature
    when it has them, else from the docstring; both are code, as written."""

    name: str
    annotation: str = ""
    default: str = ""
    description: tuple[Block, ...] = ()
    group: ParamGroup = ParamGroup.PARAMETERS


class Returned(msgspec.Struct, frozen=True):
    """A documented return (or yield) value."""

    name: str = ""
    annotation: str = ""
    description: tuple[Block, ...] = ()


class Raised(msgspec.Struct, frozen=True):
    """A documented exception (or warning)."""

    exception: str = ""
    description: tuple[Block, ...] = ()


class Docstring(msgspec.Struct, frozen=True):
    """A docstring read into parts. ``summary`` is inline Markdown (its first sentence, empty
    when the docstring opens with something other than prose); ``body`` holds the whole
    description, first paragraph included, with notes where they stand."""

    summary: str = ""
    body: tuple[Block, ...] = ()
    params: tuple[Param, ...] = ()
    returns: tuple[Returned, ...] = ()
    yields: tuple[Returned, ...] = ()
    raises: tuple[Raised, ...] = ()
    warns: tuple[Raised, ...] = ()
    examples: tuple[Block, ...] = ()
