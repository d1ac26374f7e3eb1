"""What the two Python extractors share (the ``ast`` walker in ``python.py`` and parso's error
recovery in ``python_recovery.py``): the result they both fill, and the rules both apply to
names and docstrings. Both import this module; neither imports the other."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field

from kwdocs.extract.directives import is_tool_directive
from kwdocs.model import Keyword, Kind, Problem
from kwdocs.render.docstrings import summary_source

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


def docstring_of(node: ast.AST) -> str | None:
    """``ast.get_docstring(node)``, cleaned once per node: the extraction and the page facts
    of an export walk the same tree, and both read every definition's docstring."""
    try:
        return node._kwdocs_docstring  # type: ignore[attr-defined]
    except AttributeError:
        text = ast.get_docstring(node)  # type: ignore[arg-type]
        node._kwdocs_docstring = text  # type: ignore[attr-defined]
        return text


def is_property(decorators: tuple[str, ...]) -> bool:
    """True when a method's decorators make it a property (or one of its accessors)."""
    return any(d in PROPERTY_DECORATORS or d.endswith(PROPERTY_ACCESSORS) for d in decorators)


def summarise(doc: str | None) -> str:
    """A keyword's summary: the first sentence of a cleaned docstring's opening paragraph, as
    written (``render.docstrings.summary_source``: never cut inside a word, never a section)."""
    return summary_source(doc) if doc else ""


def _comment_text(comment: str) -> str:
    """A comment's words (``#`` markers off), or "" for a tool directive."""
    return "" if is_tool_directive(comment) else comment.lstrip("#").strip()


def attribute_comment(line_text: Callable[[int], str], first: int, last: int, end: int) -> str:
    """The comment of a class attribute assigned on lines ``first``–``last`` (1-based) whose
    statement ends at code-point column ``end`` of ``last``: its trailing comment, else the
    comment lines right above it at its indentation (their last paragraph), on one line."""
    tail = line_text(last)[end:].strip()
    if tail.startswith("#"):
        trailing = _comment_text(tail)
        if trailing:
            return _comment_summary(trailing)
    head = line_text(first)
    indent = len(head) - len(head.lstrip())
    above: list[str] = []
    number = first - 1
    while number > 0:
        text = line_text(number)
        stripped = text.lstrip()
        if not stripped.startswith("#") or len(text) - len(stripped) != indent:
            break
        above.append(_comment_text(stripped))
        number -= 1
    above.reverse()
    # Directives and a paragraph break end the comment that belongs to the attribute.
    while above and not above[-1]:
        above.pop()
    if "" in above:
        above = above[len(above) - above[::-1].index("") :]
    return _comment_summary("\n".join(above)) if above else ""


# A comment longer than this is summed up by its first sentence.
_LONG_COMMENT = 300


def attribute_keyword(
    scope: str, name: str, line: int, col: int, last: int, kind_of: str, written: str, comment: str
) -> Keyword:
    """A class attribute (``name: kind_of = written``) as both parsers (ast, parso) record it."""
    signature = f"{name}: {kind_of}" if kind_of else name
    if written:
        signature += f" = {written}"
    return Keyword(
        name=name,
        qualname=f"{scope}.{name}",
        kind=Kind.ATTRIBUTE,
        line=line,
        col=col,
        end_col=col + len(name),
        end_line=last,
        signature=signature,
        summary=comment,
    )


def _comment_summary(text: str) -> str:
    """A comment on one line: whole when short, else its first sentence."""
    whole = " ".join(text.split())
    return whole if len(whole) <= _LONG_COMMENT else summary_source(text)


def is_constant_name(name: str) -> bool:
    """UPPER_CASE names are constants by convention; other module-level names are variables."""
    stripped = name.strip("_")
    return bool(stripped) and stripped.upper() == stripped and any(c.isalpha() for c in stripped)
