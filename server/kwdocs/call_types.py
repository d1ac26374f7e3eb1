"""The types of the call graph (``calls.py`` builds it): the ends of a call and what one
function calls. Kept apart from the code, which is compiled (mypyc drops the options of a class
statement, such as msgspec's ``frozen=True``: ``kwdocs/compiled.py``)."""

from __future__ import annotations

import enum

import msgspec


class Outcome(enum.Enum):
    """What became of one written callee."""

    RESOLVED = "resolved"
    OUTSIDE = "outside"
    """A builtin, or a module that is not a file of the workspace."""
    UNRESOLVED = "unresolved"
    """Only inference could tell."""


class CallEnd(msgspec.Struct, frozen=True, array_like=True):
    """One end of a call: a function, method or class of a workspace file."""

    path: str
    qualname: str
    line: int
    kind: str


class FunctionCalls(msgspec.Struct, frozen=True, array_like=True):
    """What one function calls: the workspace callees, and how many calls went elsewhere."""

    qualname: str
    line: int
    kind: str
    callees: tuple[CallEnd, ...]
    outside: int
    """Callees outside the workspace (builtins, other libraries)."""
    unresolved: int
    """Calls only inference could place."""
