"""What the two Python extractors share (the ``ast`` walker in ``python.py`` and parso's error
recovery in ``python_recovery.py``): the result they both fill, and the rules both apply to
names and docstrings. Both import this module; neither imports the other."""

from __future__ import annotations

import ast
import inspect
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import msgspec

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
    import_lines: list[int] = field(default_factory=list)
    """``FileRecord.import_lines``."""


class ImportDeduper:
    """Which keywords of a file's import statements its record keeps: a module keyword once
    per module as written (and alias), a name once per name, alias and target (the same name
    taken from another module, in another function, is another import). ``lines`` keeps the
    first line of each statement whose module keyword is left out (written before) while
    names of it are kept: with the module keywords' lines, where every kept name's statement
    begins (kwdocs.resolve.import_facts)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()
        self.lines: list[int] = []

    def keep(self, statement: list[Keyword]) -> list[Keyword]:
        """The keywords kept of one statement: a module keyword alone (one name of ``import
        a, b``; ``from m import *``), or ``from m import ...``'s module keyword and names."""
        kept = [k for k in statement if self._new(k)]
        head = statement[0]
        if kept and head.kind == Kind.MODULE and kept[0] is not head:
            self.lines.append(head.line)
        return kept

    def _new(self, keyword: Keyword) -> bool:
        if keyword.kind == Kind.MODULE:
            key: tuple[str, ...] = (keyword.name, keyword.alias, "module")
        else:
            key = (keyword.name, keyword.alias, "import", keyword.target)
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def docstring_of(node: ast.AST) -> str | None:
    """``ast.get_docstring(node)``, cleaned once per node: the extraction and the page facts
    of an export walk the same tree, and both read every definition's docstring. A class
    body's ``__doc__ = "..."`` (``assigned_docstring``) is its docstring: the last readable
    one, as at run time."""
    try:
        return node._kwdocs_docstring  # type: ignore[attr-defined]
    except AttributeError:
        text = ast.get_docstring(node)  # type: ignore[arg-type]
        if type(node) is ast.ClassDef:
            for statement in node.body:
                if type(statement) is ast.Assign and _is_doc_name(statement.targets):
                    assigned = assigned_docstring(statement.value)
                    if assigned is not None:
                        text = assigned
        node._kwdocs_docstring = text  # type: ignore[attr-defined]
        return text


def _is_doc_name(targets: list[ast.expr]) -> bool:
    """``__doc__ = ...`` (in a class body)."""
    return len(targets) == 1 and type(targets[0]) is ast.Name and targets[0].id == "__doc__"


def assigned_docstring(value: ast.expr) -> str | None:
    """The docstring a ``__doc__ = value`` assignment gives, cleaned as ``ast.get_docstring``
    cleans: a string literal, or the plain literal parts of a ``+`` concatenation up to the
    first part that is not one (an f-string, a name, a call); None when the first part is not
    a plain literal (the text is not known without running the code)."""
    parts: list[ast.expr] = []
    node = value
    while type(node) is ast.BinOp and type(node.op) is ast.Add:
        parts.append(node.right)
        node = node.left
    parts.append(node)
    texts: list[str] = []
    for part in reversed(parts):
        if type(part) is not ast.Constant or not isinstance(part.value, str):
            break
        texts.append(part.value)
    return inspect.cleandoc("".join(texts)) if texts else None


def doc_target(target: ast.expr) -> str:
    """``name`` of a module-level ``name.__doc__ = ...`` target (``Cls.method`` too), or ""."""
    if type(target) is not ast.Attribute or target.attr != "__doc__":
        return ""
    return dotted_name(target.value)


def dotted_name(node: ast.expr | None) -> str:
    """``a.b.c`` when the expression is a plain dotted name (``f = mod.g``: an alias), else
    ""."""
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is not ast.Name:
        return ""
    parts.append(node.id)
    return ".".join(reversed(parts))


# A docstring assignment: (the qualname of the class or function, its line, its text or None).
DocUpdate = tuple[str, int, "str | None"]
_DOCUMENTED = frozenset({Kind.CLASS, Kind.FUNCTION, Kind.METHOD, Kind.PROPERTY})


_UNREAD = "Its docstring is set at line "


def unread_docstring(line: int) -> str:
    """A summary's words for a docstring kwdocs cannot read: never "no docstring"."""
    return f"{_UNREAD}{line} by an expression kwdocs does not evaluate."


def is_unread_docstring(summary: str) -> bool:
    """True for ``unread_docstring``'s words: where a docstring is set, not what it says."""
    return summary.startswith(_UNREAD)


def apply_doc_updates(keywords: list[Keyword], updates: list[DocUpdate]) -> list[Keyword]:
    """The keywords with the docstrings assigned after their definitions as their summaries:
    each assignment to the last class or function of that qualname defined before it. A
    readable text replaces the summary; an unreadable one only fills an empty summary with
    where it is set."""
    if not updates:
        return keywords
    keywords = list(keywords)
    for qualname, line, text in updates:
        at = next(
            (
                i
                for i in range(len(keywords) - 1, -1, -1)
                if keywords[i].qualname == qualname
                and keywords[i].line < line
                and keywords[i].kind in _DOCUMENTED
            ),
            -1,
        )
        if at < 0:
            continue
        keyword = keywords[at]
        summary = summarise(text, keyword.name) if text is not None else keyword.summary
        summary = summary or ("" if text is not None else unread_docstring(line))
        if summary != keyword.summary:
            keywords[at] = msgspec.structs.replace(keyword, summary=summary)
    return keywords


# Compound statements whose bodies are still the module's (``if``, ``try``...).
_MODULE_BLOCKS = ("body", "orelse", "finalbody", "handlers")


def module_doc_updates(body: list[ast.stmt]) -> Iterator[DocUpdate]:
    """Every module-level ``name.__doc__ = ...`` (inside ``if`` and ``try`` too), in order."""
    for statement in body:
        kind = type(statement)
        if kind is ast.Assign:
            for target in statement.targets:  # type: ignore[attr-defined]
                name = doc_target(target)
                if name:
                    value = statement.value  # type: ignore[attr-defined]
                    yield name, statement.lineno, assigned_docstring(value)
        elif kind not in _NOT_BLOCKS:
            for field_name in _MODULE_BLOCKS:
                block = getattr(statement, field_name, None)
                if block:
                    yield from module_doc_updates(block)
            for case in getattr(statement, "cases", None) or ():
                yield from module_doc_updates(case.body)


_NOT_BLOCKS = frozenset(
    {ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Expr, ast.Import, ast.ImportFrom}
)


def is_property(decorators: tuple[str, ...]) -> bool:
    """True when a method's decorators make it a property (or one of its accessors)."""
    return any(d in PROPERTY_DECORATORS or d.endswith(PROPERTY_ACCESSORS) for d in decorators)


def property_role(keyword: Keyword) -> str:
    """How a property keyword takes part in its property: ``property``, or ``property setter``
    (``getter``, ``deleter``) for a ``@name.setter`` accessor, which shares the name."""
    for decorator in keyword.decorators:
        for accessor in PROPERTY_ACCESSORS:
            if decorator.endswith(accessor):
                return f"property {accessor[1:]}"
    return "property"


def no_alias(keyword: Keyword) -> Keyword:
    """A module-level variable's keyword without its alias target: the name is assigned more
    than once, so which value it holds depends on the path taken (every extractor keeps the
    first assignment's keyword and clears its target when it sees another)."""
    return msgspec.structs.replace(keyword, target="")


def summarise(doc: str | None, name: str = "") -> str:
    """A keyword's summary: the first sentence of a cleaned docstring's opening paragraph, as
    written (``render.docstrings.summary_source``: never cut inside a word, never a section;
    a paragraph restating the signature of ``name``, the definition's own name, skipped)."""
    return summary_source(doc, name) if doc else ""


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


def attribute_docstrings(body: list[ast.stmt]) -> list[tuple[int, int, str]]:
    """The attribute docstrings of a class body: a bare string literal on the line right
    after an assignment (no blank line between: a string further down may be about anything)
    documents the names it assigns — (first line, last line of the assignment, the string's
    first paragraph on one line)."""
    found: list[tuple[int, int, str]] = []
    for previous, statement in itertools.pairwise(body):
        if type(statement) is not ast.Expr or type(previous) not in _ASSIGNS:
            continue
        if statement.lineno != (previous.end_lineno or previous.lineno) + 1:
            continue
        value = statement.value  # type: ignore[attr-defined]
        if type(value) is not ast.Constant or not isinstance(value.value, str):
            continue
        paragraph = inspect.cleandoc(value.value).strip().split("\n\n", 1)[0]
        if paragraph.strip():
            last = previous.end_lineno or previous.lineno
            found.append((previous.lineno, last, _comment_summary(paragraph)))
    return found


_ASSIGNS = frozenset({ast.Assign, ast.AnnAssign})


def apply_attribute_docstrings(
    keywords: list[Keyword], start: int, scope: str, found: list[tuple[int, int, str]]
) -> None:
    """Give the attributes of ``scope`` among ``keywords[start:]`` that have no comment the
    docstring written after them (``attribute_docstrings``)."""
    for first, last, text in found:
        for at in range(start, len(keywords)):
            keyword = keywords[at]
            if (
                first <= keyword.line <= last
                and keyword.kind == Kind.ATTRIBUTE
                and not keyword.summary
                and keyword.qualname == f"{scope}.{keyword.name}"
            ):
                keywords[at] = msgspec.structs.replace(keyword, summary=text)


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
