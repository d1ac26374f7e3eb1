"""What the two Python extractors share (the ``ast`` walker in ``python.py`` and parso's error
recovery in ``python_recovery.py``): the result they both fill, and the rules both apply to
names and docstrings. Both import this module; neither imports the other."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from kwdocs.model import Keyword, Problem

# Decorators that make a method a property.
PROPERTY_DECORATORS = frozenset(
    {"property", "cached_property", "functools.cached_property", "abc.abstractproperty"}
)
PROPERTY_ACCESSORS = (".setter", ".getter", ".deleter")


@dataclass
class PythonResult:
    """What one Python file yields: keywords and file-level facts, plus the tree for page facts."""

    keywords: list[Keyword] = field(default_factory=list)
    docstring: str = ""
    all_names: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    parser: str = "ast"
    tree: ast.Module | None = None


def is_property(decorators: tuple[str, ...]) -> bool:
    """True when a method's decorators make it a property (or one of its accessors)."""
    return any(d in PROPERTY_DECORATORS or d.endswith(PROPERTY_ACCESSORS) for d in decorators)


def summarise(doc: str | None) -> str:
    """First paragraph of a cleaned docstring on one line."""
    if not doc:
        return ""
    paragraph = doc.strip().split("\n\n", 1)[0]
    summary = " ".join(paragraph.split())
    return summary[:497] + "..." if len(summary) > 500 else summary


def is_constant_name(name: str) -> bool:
    """UPPER_CASE names are constants by convention; other module-level names are variables."""
    stripped = name.strip("_")
    return bool(stripped) and stripped.upper() == stripped and any(c.isalpha() for c in stripped)
