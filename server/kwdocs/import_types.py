"""The types of a file's imports as its pages show them (``resolve.import_facts`` reads them):
each imported module, its group and the statements importing it. Kept apart from the code,
which is compiled (mypyc drops the options of a class statement, such as msgspec's
``frozen=True``: ``kwdocs/compiled.py``)."""

from __future__ import annotations

import msgspec

from kwdocs.modules import ImportGroup


class ImportLine(msgspec.Struct, frozen=True, array_like=True):
    """One import statement of a module: its line and what it binds, as written."""

    line: int
    names: tuple[str, ...] = ()
    """``name`` or ``name as alias`` for each name a ``from`` statement imports (sorted), ``*``
    for a star import, ``as alias`` for ``import a.b as alias``; none for ``import a.b``."""


class ImportFact(msgspec.Struct, frozen=True, array_like=True):
    """One imported module of a file, how it is classified, and each statement importing it."""

    module: str
    """Absolute (relative imports resolved); as written when a relative import leads nowhere."""
    group: ImportGroup
    path: str
    """The workspace file of the module, when it is one; else ""."""
    statements: tuple[ImportLine, ...]
    """In line order."""
