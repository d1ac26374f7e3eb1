"""Keywords of Python files that ``ast`` rejects, from parso's error-recovering parser.

Used for syntax errors and for syntax newer than the running interpreter: parso parses with its
newest grammar and keeps every well-formed definition around the broken part.
"""

from __future__ import annotations

import parso
from parso.python import tree as pt

from kwdocs.extract.pynodes import (
    ImportDeduper,
    PythonResult,
    attribute_comment,
    attribute_keyword,
    is_constant_name,
    is_property,
    no_alias,
    summarise,
)
from kwdocs.model import STAR, Keyword, Kind, Problem
from kwdocs.modules import resolve_relative

_GRAMMAR_VERSION = "3.13"
_grammar = None


def _load_grammar() -> parso.Grammar:
    global _grammar
    if _grammar is None:
        try:
            _grammar = parso.load_grammar(version=_GRAMMAR_VERSION)
        except (NotImplementedError, FileNotFoundError):  # an older parso
            _grammar = parso.load_grammar()
    return _grammar


def _code(node: pt.NodeOrLeaf) -> str:
    return " ".join(node.get_code(include_prefix=False).split())


def _docstring(node: pt.NodeOrLeaf) -> str:
    doc_node = node.get_doc_node() if hasattr(node, "get_doc_node") else None
    if doc_node is None:
        return ""
    try:
        from ast import literal_eval

        value = literal_eval(doc_node.get_code(include_prefix=False))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return ""
    if not isinstance(value, str):
        return ""
    import inspect

    return inspect.cleandoc(value)


def _decorators(node: pt.ClassOrFunc) -> tuple[str, ...]:
    return tuple(_code(d).lstrip("@").strip() for d in node.get_decorators())


def _last_line(node: pt.NodeOrLeaf) -> int:
    line, col = node.end_pos
    return line - 1 if col == 0 and line > node.start_pos[0] else line


_MAX_VALUE = 120


class _ParsoWalker:
    def __init__(self, module: str, is_package: bool, lines: list[str]) -> None:
        self.module = module
        self.is_package = is_package
        self.lines = lines
        self.keywords: list[Keyword] = []
        self.all_names: list[str] | None = None
        self._seen: set[tuple[str, str, str]] = set()
        self.imports = ImportDeduper()
        self._variables: dict[str, int] = {}
        """Module-level variable → the position of its keyword."""

    def walk(self, node: pt.NodeOrLeaf, scope: str, scope_kind: str) -> None:
        # A one-line body (``class A: pass``) may be a single leaf: nothing defined in it.
        for child in getattr(node, "children", ()):
            kind = child.type
            if kind == "classdef":
                self._class(child, scope)
            elif kind == "funcdef":
                self._function(child, scope, scope_kind)
            elif kind in ("import_name", "import_from"):
                self._import(child)
            elif kind == "expr_stmt":
                if scope_kind == "module":
                    self._assignment(child)
                elif scope_kind == "class":
                    self._attribute(child, scope)
            elif kind == "error_node":
                self._broken_definition(child, scope, scope_kind)
                self.walk(child, scope, scope_kind)
            elif isinstance(child, pt.BaseNode):
                self.walk(child, scope, scope_kind)

    def _function(self, node: pt.Function, scope: str, scope_kind: str) -> None:
        name = node.name.value
        decorators = _decorators(node)
        if scope_kind == "class":
            kind = Kind.PROPERTY if is_property(decorators) else Kind.METHOD
        else:
            kind = Kind.FUNCTION
        qualname = f"{scope}.{name}" if scope else name
        is_async = node.parent is not None and node.parent.type in ("async_stmt", "async_funcdef")
        params = node.children[2] if len(node.children) > 2 else None
        if params is not None and params.type == "type_params":
            params = node.children[3]
        signature = (
            f"{'async def' if is_async else 'def'} {name}{_code(params) if params else '()'}"
        )
        annotation = node.annotation
        if annotation is not None:
            signature += f" -> {_code(annotation)}"
        line, col = node.name.start_pos
        self.keywords.append(
            Keyword(
                name=name,
                qualname=qualname,
                kind=kind,
                line=line,
                col=col,
                end_col=col + len(name),
                end_line=_last_line(node),
                signature=signature[:400],
                summary=summarise(_docstring(node), name),
                decorators=decorators,
            )
        )
        self.walk(node.children[-1], qualname, "function")

    def _class(self, node: pt.Class, scope: str) -> None:
        name = node.name.value
        qualname = f"{scope}.{name}" if scope else name
        arglist = node.get_super_arglist()
        bases: tuple[str, ...] = ()
        if arglist is not None:
            items = arglist.children if arglist.type == "arglist" else [arglist]
            bases = tuple(
                _code(item) for item in items if item.type not in ("operator", "argument")
            )
        signature = f"class {name}({_code(arglist)})" if arglist is not None else f"class {name}"
        line, col = node.name.start_pos
        self.keywords.append(
            Keyword(
                name=name,
                qualname=qualname,
                kind="class",
                line=line,
                col=col,
                end_col=col + len(name),
                end_line=_last_line(node),
                signature=signature[:400],
                summary=summarise(_docstring(node), name),
                bases=bases,
                decorators=_decorators(node),
            )
        )
        self.walk(node.children[-1], qualname, "class")

    def _broken_definition(self, node: pt.BaseNode, scope: str, scope_kind: str) -> None:
        """``def name(`` or ``class Name`` cut short by the error: still a definition."""
        children = node.children
        if len(children) < 2 or children[0].type != "keyword" or children[1].type != "name":
            return
        keyword, name_leaf = children[0].value, children[1]
        if keyword not in ("def", "class"):
            return
        name = name_leaf.value
        kind = "class" if keyword == "class" else "method" if scope_kind == "class" else "function"
        line, col = name_leaf.start_pos
        self.keywords.append(
            Keyword(
                name=name,
                qualname=f"{scope}.{name}" if scope else name,
                kind=kind,
                line=line,
                col=col,
                end_col=col + len(name),
                end_line=_last_line(node),
                signature=f"{keyword} {name}",
            )
        )

    def _keep(self, module: Keyword) -> None:
        self.keywords += self.imports.keep([module])

    def _import(self, node: pt.Import) -> None:
        if node.type == "import_name":
            for path, alias in node._dotted_as_names():  # parso has no public pair accessor
                written = ".".join(leaf.value for leaf in path)
                line, col = path[0].start_pos
                self._keep(
                    Keyword(
                        name=written,
                        qualname=alias.value if alias else written,
                        kind="module",
                        line=line,
                        col=col,
                        end_col=col + len(written),
                        end_line=line,
                        target=written,
                        alias=alias.value if alias else "",
                    )
                )
            return
        statement: list[Keyword] = []
        from_names = node.get_from_names()
        module = ".".join(leaf.value for leaf in from_names)
        level = node.level
        written = "." * level + module
        resolved = resolve_relative(self.module, self.is_package, level, module or None)
        if written:
            # The written module starts at the first leaf after ``from`` (its dots, or its
            # name): dots and name may stand apart (``from . x import y``).
            line, col = node.children[1].start_pos
            statement.append(
                Keyword(
                    name=written,
                    qualname=written,
                    kind="module",
                    line=line,
                    col=col,
                    end_col=col + len(written),
                    end_line=line,
                    target=resolved,
                    alias=STAR if node.is_star_import() else "",
                )
            )
        for name_leaf, alias in () if node.is_star_import() else node._as_name_tuples():
            name = name_leaf.value
            line, col = name_leaf.start_pos
            statement.append(
                Keyword(
                    name=name,
                    qualname=alias.value if alias else name,
                    kind="import",
                    line=line,
                    col=col,
                    end_col=col + len(name),
                    end_line=line,
                    target=f"{resolved}.{name}" if resolved else ("" if level else name),
                    alias=alias.value if alias else "",
                )
            )
        if statement:
            self.keywords += self.imports.keep(statement)

    def _line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def _attribute(self, node: pt.ExprStmt, scope: str) -> None:
        """Names a class body assigns or annotates, as the ``ast`` walker reads them."""
        children = node.children
        annotated = len(children) >= 2 and children[1].type == "annassign"
        if annotated:
            targets = [children[0]]
            parts = children[1].children  # ``:``, annotation, then ``=`` and value
            kind_of = _value_text(parts[1]) if len(parts) > 1 else ""
            value = parts[3] if len(parts) > 3 else None
        else:
            targets = [
                child
                for i, child in enumerate(children[:-1])
                if children[i + 1].type == "operator" and children[i + 1].value == "="
            ]
            kind_of = ""
            value = children[-1] if targets else None
        written = _value_text(value) if value is not None else ""
        first, last = node.start_pos[0], node.end_pos[0]
        comment = attribute_comment(self._line, first, last, node.end_pos[1])
        for target in targets:
            for leaf in _target_names(target):
                name = leaf.value
                if name.startswith("__") and name.endswith("__"):
                    continue
                line, col = leaf.start_pos
                self.keywords.append(
                    attribute_keyword(scope, name, line, col, last, kind_of, written, comment)
                )

    def _assignment(self, node: pt.ExprStmt) -> None:
        children = node.children
        targets = []
        if len(children) >= 2 and children[1].type == "annassign":
            targets.append(children[0])
        else:
            for i, child in enumerate(children[:-1]):
                if children[i + 1].type == "operator" and children[i + 1].value == "=":
                    targets.append(child)
        annassign = children[1] if targets and children[1].type == "annassign" else None
        if annassign is not None:
            value = annassign.children[-1] if len(annassign.children) >= 4 else None
        else:
            value = children[-1] if targets else None
        alias = _dotted_name(value)
        for target in targets:
            for leaf in _target_names(target):
                name = leaf.value
                if name == "__all__":
                    value = children[-1]
                    if value.type == "atom":
                        self.all_names = _string_items(value)
                key = (name, "", "variable")
                if key in self._seen:
                    at = self._variables[name]
                    if self.keywords[at].target:  # assigned again: no alias
                        self.keywords[at] = no_alias(self.keywords[at])
                    continue
                self._seen.add(key)
                self._variables[name] = len(self.keywords)
                line, col = leaf.start_pos
                self.keywords.append(
                    Keyword(
                        name=name,
                        qualname=name,
                        kind="constant" if is_constant_name(name) else "variable",
                        line=line,
                        col=col,
                        end_col=col + len(name),
                        end_line=_last_line(node),
                        target=alias if target is leaf else "",
                    )
                )


def _dotted_name(node: pt.NodeOrLeaf | None) -> str:
    """``a.b.c`` when the value is a plain dotted name (an alias: ``f = mod.g``), else ""."""
    if node is None:
        return ""
    if node.type == "name":
        return node.value  # type: ignore[union-attr]
    if node.type not in ("power", "atom_expr"):
        return ""
    children = node.children  # type: ignore[union-attr]
    if children[0].type != "name":
        return ""
    parts = [children[0].value]
    for trailer in children[1:]:
        pieces = trailer.children if trailer.type == "trailer" else ()
        if len(pieces) != 2 or pieces[0].value != "." or pieces[1].type != "name":
            return ""
        parts.append(pieces[1].value)
    return ".".join(parts)


def _value_text(node: pt.NodeOrLeaf) -> str:
    if node.start_pos[0] != node.end_pos[0]:
        return "…"
    text = _code(node)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _string_items(atom: pt.BaseNode) -> list[str] | None:
    from ast import literal_eval

    try:
        value = literal_eval(atom.get_code(include_prefix=False))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def recover_python(text: str, module: str, is_package: bool, problem: Problem) -> PythonResult:
    """Best-effort keywords of source ``ast`` rejected (``problem`` says why), from parso's
    error-recovering parser."""
    result = PythonResult(problems=[problem], parser="parso")
    try:
        tree = _load_grammar().parse(text, error_recovery=True)
        walker = _ParsoWalker(module, is_package, text.split("\n"))
        walker.walk(tree, "", "module")
    except (RecursionError, MemoryError) as error:
        result.problems.append(Problem(f"error recovery gave up: {type(error).__name__}", 1))
        return result
    result.keywords = walker.keywords
    result.docstring = _docstring(tree)
    result.all_names = walker.all_names
    result.import_lines = walker.imports.lines
    return result


def _target_names(target: pt.PythonBaseNode | pt.PythonLeaf) -> list[pt.Name]:
    """The names an assignment target binds directly (``a``, ``a, b``, ``(a, b)``)."""
    if target.type == "name":
        return [target]  # type: ignore[list-item]
    if target.type in ("testlist_star_expr", "exprlist", "atom"):
        return [c for c in target.children if c.type == "name"]  # type: ignore[misc]
    return []
