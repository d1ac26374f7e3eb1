"""Python keywords from ``ast``: the statement walker (``walk_python``) and the parse that feeds
it. Files ``ast`` rejects go to ``extract/python_recovery.py``: the loader
(``kwdocs.extract.extract_python``) chooses."""

from __future__ import annotations

import ast
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from kwdocs.extract.pynodes import (
    DocUpdate,
    ImportDeduper,
    PythonResult,
    apply_attribute_docstrings,
    apply_doc_updates,
    assigned_docstring,
    attribute_comment,
    attribute_docstrings,
    attribute_keyword,
    doc_target,
    docstring_of,
    dotted_name,
    is_constant_name,
    is_property,
    no_alias,
    summarise,
)
from kwdocs.extract.signatures import annotation, parameters, source_text
from kwdocs.model import STAR, Keyword, Kind, Problem
from kwdocs.modules import is_package_file, resolve_relative

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_MAX_SIGNATURE = 400
# Longest annotation or value an attribute's signature shows.
_MAX_VALUE = 120


def dotted(node: ast.expr, lines: _Lines | None = None) -> str:
    """Text of a decorator or base: fast for names and attributes, else as the source writes
    it on one line (with ``lines``; ``ast.unparse``'s text without them or positions)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value, lines)
        return f"{inner}.{node.attr}"
    try:
        text = ast.unparse(node) if lines is None else source_text(node, lines)
    except (ValueError, RecursionError):  # pragma: no cover - unparse of exotic trees
        return "…"
    return text if len(text) <= 120 else text[:117] + "..."


class _Lines:
    """Source lines and conversion of ast's UTF-8 byte columns to code points. ``offset``: the
    lines of a region parsed on its own (``extract/incremental.py``), whose line 1 is line
    ``offset + 1`` of ``lines``."""

    def __init__(self, lines: list[str], offset: int = 0) -> None:
        self.lines = lines
        self.offset = offset

    def text(self, line: int) -> str:
        index = line - 1 + self.offset
        return self.lines[index] if 0 <= index < len(self.lines) else ""

    def col(self, line: int, byte_col: int) -> int:
        text = self.text(line)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def find(self, line: int, name: str, start: int) -> int:
        """Column of ``name`` on ``line`` at or after ``start`` (``start`` if not found)."""
        text = self.text(line)
        pos = text.find(name, start)
        while pos >= 0:
            before = text[pos - 1] if pos else " "
            after = text[pos + len(name)] if pos + len(name) < len(text) else " "
            if not (before.isidentifier() or before.isdigit()) and not (
                after.isidentifier() or after.isdigit()
            ):
                return pos
            pos = text.find(name, pos + 1)
        if not text.isascii():
            # Python binds identifiers NFKC-normalised (``Aª`` defines ``Aa``): find the word
            # as written.
            # Words as Python reads identifiers: ``\\w`` would split ``A·Ĳ`` at the middle dot.
            import unicodedata

            run_start = -1
            for i in range(start, len(text) + 1):
                if i < len(text) and ("_" + text[i]).isidentifier():
                    if run_start < 0:
                        run_start = i
                elif run_start >= 0:
                    if unicodedata.normalize("NFKC", text[run_start:i]) == name:
                        return run_start
                    run_start = -1
        return start


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, lines: _Lines) -> str:
    try:
        if isinstance(node, ast.ClassDef):
            parts = [dotted(b, lines) for b in node.bases]
            parts += [
                f"{k.arg}={dotted(k.value, lines)}" if k.arg else f"**{dotted(k.value, lines)}"
                for k in node.keywords
            ]
            text = f"class {node.name}({', '.join(parts)})" if parts else f"class {node.name}"
        else:
            prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
            text = f"{prefix} {node.name}({parameters(node.args, lines)})"
            if node.returns is not None:
                text += f" -> {annotation(node.returns, lines)}"
    except (ValueError, RecursionError):  # pragma: no cover - defensive
        text = node.name
    return text if len(text) <= _MAX_SIGNATURE else text[: _MAX_SIGNATURE - 3] + "..."


def _target_names(target: ast.expr) -> Iterator[ast.Name]:
    if isinstance(target, ast.Name):
        yield target
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _target_names(element)
    elif isinstance(target, ast.Starred):
        yield from _target_names(target.value)


def _literal_strings(node: ast.expr | None) -> list[str] | None:
    if isinstance(node, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts
    ):
        return [e.value for e in node.elts]  # type: ignore[attr-defined]
    return None


class _AstWalker:
    """Walks statements only (never expressions): definitions are statements, and this keeps
    extraction a small fraction of the parse time."""

    def __init__(self, lines: _Lines, module: str, is_package: bool, dedupe: bool = True) -> None:
        self.lines = lines
        self.module = module
        self.is_package = is_package
        self.dedupe = dedupe
        """False: keep repeated imports and module names (incremental extraction dedupes the
        statements' keywords itself, once they are put together)."""
        self.keywords: list[Keyword] = []
        self.all_names: list[str] | None = None
        self.all_updates: list[tuple[bool, list[str]]] = []
        """Every literal ``__all__`` assignment in order: (augmented, strings)."""
        self.imports = ImportDeduper()
        self.doc_updates: list[DocUpdate] = []
        """Docstrings assigned after a definition (``Cls.__doc__ = ...`` at module level,
        ``__doc__ = ...`` in a class body), in order: ``apply_doc_updates`` puts them in."""
        self._seen_names: set[tuple[str, str]] = set()
        self._variables: dict[str, int] = {}
        """Module-level variable → the position of its keyword."""

    def walk(self, body: Iterable[ast.stmt], scope: str, scope_kind: str) -> None:
        """Visit the statements of a body in ``scope`` (a qualified name, "" at module level),
        a ``module``, ``class`` or ``function`` body."""
        visitors = _VISITORS[scope_kind]
        for node in body:
            visit = visitors.get(type(node))
            if visit is not None:
                visit(self, node, scope, scope_kind)

    def _blocks(self, node: ast.stmt, scope: str, scope_kind: str) -> None:
        """if/for/while/try/with: their bodies are in the same scope."""
        for name in _BLOCKS[type(node)]:
            block = getattr(node, name)
            if block:
                self.walk(block, scope, scope_kind)

    def _match(self, node: ast.Match, scope: str, scope_kind: str) -> None:
        for case in node.cases:
            self.walk(case.body, scope, scope_kind)

    def _name_position(self, node: ast.stmt, name: str) -> tuple[int, int]:
        line = node.lineno
        start = self.lines.col(line, node.col_offset)
        col = self.lines.find(line, name, start)
        return line, col

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: str, scope_kind: str
    ) -> None:
        decorators = tuple(dotted(d, self.lines) for d in node.decorator_list)
        if scope_kind == "class":
            kind = Kind.PROPERTY if is_property(decorators) else Kind.METHOD
        else:
            kind = Kind.FUNCTION
        qualname = f"{scope}.{node.name}" if scope else node.name
        line, col = self._name_position(node, node.name)
        self.keywords.append(
            Keyword(
                name=node.name,
                qualname=qualname,
                kind=kind,
                line=line,
                col=col,
                end_col=col + len(node.name),
                end_line=node.end_lineno or line,
                signature=_signature(node, self.lines),
                summary=summarise(docstring_of(node), node.name),
                decorators=decorators,
            )
        )
        self.walk(node.body, qualname, "function")

    def _class(self, node: ast.ClassDef, scope: str, _scope_kind: str) -> None:
        qualname = f"{scope}.{node.name}" if scope else node.name
        line, col = self._name_position(node, node.name)
        self.keywords.append(
            Keyword(
                name=node.name,
                qualname=qualname,
                kind=Kind.CLASS,
                line=line,
                col=col,
                end_col=col + len(node.name),
                end_line=node.end_lineno or line,
                signature=_signature(node, self.lines),
                summary=summarise(docstring_of(node), node.name),
                bases=tuple(dotted(b, self.lines) for b in node.bases),
                decorators=tuple(dotted(d, self.lines) for d in node.decorator_list),
            )
        )
        start = len(self.keywords)
        self.walk(node.body, qualname, "class")
        documented = attribute_docstrings(node.body)
        if documented:
            apply_attribute_docstrings(self.keywords, start, qualname, documented)

    def _attribute(self, node: ast.Assign | ast.AnnAssign, scope: str, _scope_kind: str) -> None:
        """Names a class body assigns or annotates: fields, enum members, class attributes
        (``__dunder__`` settings such as ``__slots__`` are not members)."""
        if isinstance(node, ast.AnnAssign):
            targets: list[ast.expr] = [node.target]
        else:
            targets = node.targets
        names = [n for target in targets for n in _target_names(target)]
        if not names:
            return
        if type(node) is ast.Assign and len(targets) == 1 and names[0].id == "__doc__":
            if type(targets[0]) is ast.Name:
                self.doc_updates.append((scope, node.lineno, assigned_docstring(node.value)))
            return
        lines = self.lines
        value = node.value
        written = ""
        if value is not None:
            # Long literals (tables, docstring-like strings) are summed up, not copied.
            if value.end_lineno == value.lineno:
                written = source_text(value, lines)
                if len(written) > _MAX_VALUE:
                    written = written[: _MAX_VALUE - 3] + "..."
            else:
                written = "…"
        kind_of = ""
        if isinstance(node, ast.AnnAssign):
            kind_of = source_text(node.annotation, lines)
            if len(kind_of) > _MAX_VALUE:
                kind_of = kind_of[: _MAX_VALUE - 3] + "..."
        last = node.end_lineno or node.lineno
        end = lines.col(last, node.end_col_offset or 0)
        comment = attribute_comment(lines.text, node.lineno, last, end)
        for name_node in names:
            name = name_node.id
            if name.startswith("__") and name.endswith("__"):
                continue
            line = name_node.lineno
            col = lines.col(line, name_node.col_offset)
            self.keywords.append(
                attribute_keyword(scope, name, line, col, last, kind_of, written, comment)
            )

    def _add_imports(self, statement: list[Keyword]) -> None:
        self.keywords += statement if not self.dedupe else self.imports.keep(statement)

    def _import(self, node: ast.Import, _scope: str, _scope_kind: str) -> None:
        for alias in node.names:
            line = alias.lineno
            start = self.lines.col(line, alias.col_offset)
            module = Keyword(
                name=alias.name,
                qualname=alias.asname or alias.name,
                kind=Kind.MODULE,
                line=line,
                col=start,
                end_col=start + len(alias.name),
                end_line=node.end_lineno or line,
                target=alias.name,
                alias=alias.asname or "",
            )
            self._add_imports([module])

    def _import_from(self, node: ast.ImportFrom, _scope: str, _scope_kind: str) -> None:
        written = "." * node.level + (node.module or "")
        resolved = resolve_relative(self.module, self.is_package, node.level, node.module)
        line = node.lineno
        start = self.lines.col(line, node.col_offset)
        col = self.lines.find(line, written, start + 4) if written else start
        statement: list[Keyword] = []
        if node.module or node.level:
            statement.append(
                Keyword(
                    name=written,
                    qualname=written,
                    kind=Kind.MODULE,
                    line=line,
                    col=col,
                    end_col=col + len(written),
                    end_line=node.end_lineno or line,
                    target=resolved,
                    alias=STAR if any(a.name == "*" for a in node.names) else "",
                )
            )
        for alias in node.names:
            if alias.name == "*":
                continue
            # A relative import past the top-level package leads nowhere.
            unresolved = "" if node.level else alias.name
            a_line = alias.lineno
            a_col = self.lines.col(a_line, alias.col_offset)
            statement.append(
                Keyword(
                    name=alias.name,
                    qualname=alias.asname or alias.name,
                    kind=Kind.IMPORT,
                    line=a_line,
                    col=a_col,
                    end_col=a_col + len(alias.name),
                    end_line=a_line,
                    target=f"{resolved}.{alias.name}" if resolved else unresolved,
                    alias=alias.asname or "",
                )
            )
        if statement:
            self._add_imports(statement)

    def _assigned_again(self, name: str) -> None:
        """A module-level name assigned again is no alias (``no_alias``)."""
        at = self._variables[name]
        if self.keywords[at].target:
            self.keywords[at] = no_alias(self.keywords[at])

    def _assignment(
        self, node: ast.Assign | ast.AnnAssign | ast.AugAssign, _scope: str, _scope_kind: str
    ) -> None:
        if isinstance(node, ast.Assign):
            targets: list[ast.expr] = list(node.targets)
            value: ast.expr | None = node.value
            for target in targets:
                if type(target) is ast.Attribute:
                    documented = doc_target(target)
                    if documented:
                        text = assigned_docstring(node.value)
                        self.doc_updates.append((documented, node.lineno, text))
        else:
            targets = [node.target]
            value = node.value
        for target in targets:
            for name_node in _target_names(target):
                name = name_node.id
                if name == "__all__":
                    strings = _literal_strings(value)
                    if strings is not None:
                        augmented = isinstance(node, ast.AugAssign)
                        self.all_updates.append((augmented, strings))
                        if augmented:
                            self.all_names = (self.all_names or []) + strings
                        else:
                            self.all_names = strings
                if isinstance(node, ast.AugAssign):
                    continue
                if self.dedupe and (name, "v") in self._seen_names:
                    self._assigned_again(name)
                    continue
                self._seen_names.add((name, "v"))
                self._variables.setdefault(name, len(self.keywords))
                line = name_node.lineno
                col = self.lines.col(line, name_node.col_offset)
                signature = ""
                if isinstance(node, ast.AnnAssign):
                    signature = f"{name}: {dotted(node.annotation, self.lines)}"
                self.keywords.append(
                    Keyword(
                        name=name,
                        qualname=name,
                        kind=Kind.CONSTANT if is_constant_name(name) else Kind.VARIABLE,
                        line=line,
                        col=col,
                        end_col=col + len(name),
                        end_line=node.end_lineno or line,
                        signature=signature,
                        target=dotted_name(value) if target is name_node else "",
                    )
                )


# Compound statements whose bodies still belong to the enclosing scope: their blocks, in the
# order their keywords are listed.
_BLOCKS: dict[type[ast.AST], tuple[str, ...]] = {
    ast.If: ("body", "orelse"),
    ast.For: ("body", "orelse"),
    ast.AsyncFor: ("body", "orelse"),
    ast.While: ("body", "orelse"),
    ast.With: ("body",),
    ast.AsyncWith: ("body",),
    ast.Try: ("body", "orelse", "finalbody", "handlers"),
    ast.ExceptHandler: ("body",),
}
if sys.version_info >= (3, 11):
    _BLOCKS[ast.TryStar] = _BLOCKS[ast.Try]

_Visitor = Callable[[_AstWalker, Any, str, str], None]
# What the walker does with a statement, by the kind of scope it stands in and the statement's
# exact type (the parser makes no subclasses); every visitor takes the same arguments. A type
# not listed holds no definition: one look-up passes over most statements of function bodies,
# which the walk visits all.
_ANY_SCOPE: dict[type[ast.AST], _Visitor] = {
    ast.FunctionDef: _AstWalker._function,
    ast.AsyncFunctionDef: _AstWalker._function,
    ast.ClassDef: _AstWalker._class,
    ast.Import: _AstWalker._import,
    ast.ImportFrom: _AstWalker._import_from,
    ast.Match: _AstWalker._match,
    **dict.fromkeys(_BLOCKS, _AstWalker._blocks),
}
_VISITORS: dict[str, dict[type[ast.AST], _Visitor]] = {
    "module": {
        **_ANY_SCOPE,
        **dict.fromkeys((ast.Assign, ast.AnnAssign, ast.AugAssign), _AstWalker._assignment),
    },
    "class": {**_ANY_SCOPE, **dict.fromkeys((ast.Assign, ast.AnnAssign), _AstWalker._attribute)},
    "function": _ANY_SCOPE,
}


def parse_python(path: str, text: str, lines: list[str]) -> ast.Module | Problem:
    """The module's tree, or the problem that stopped ``ast``; never raises on bad input."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences etc. are not our business
            return ast.parse(text, filename=path)
    except SyntaxError as error:
        return syntax_problem(error, lines)
    except (ValueError, RecursionError, MemoryError) as error:
        return Problem(f"the parser gave up: {type(error).__name__}: {error}", 1)


def walk_python(path: str, tree: ast.Module, lines: list[str], module: str) -> PythonResult:
    """Keywords of a parsed module whose dotted name is ``module``."""
    result = PythonResult()
    walker = _AstWalker(_Lines(lines), module, is_package_file(path))
    try:
        walker.walk(tree.body, "", "module")
    except RecursionError:  # statements nested past the interpreter's limit
        result.problems.append(Problem("statements nested too deeply to analyse fully", 1))
    result.keywords = apply_doc_updates(walker.keywords, walker.doc_updates)
    result.all_names = walker.all_names
    result.import_lines = walker.imports.lines
    result.docstring = docstring_of(tree) or ""
    result.tree = tree
    return result


def syntax_problem(error: SyntaxError, lines: list[str]) -> Problem:
    line = error.lineno or 1
    col = max((error.offset or 1) - 1, 0)
    message = f"SyntaxError: {error.msg}"
    if error.msg.startswith("source code") and "null bytes" in error.msg:
        message = "SyntaxError: source code contains NUL bytes"
        # Python reports no line for this one: name the first line holding a NUL.
        line = next((i for i, text in enumerate(lines, 1) if "\0" in text), line)
        col = 0
    return Problem(message, line, col)
