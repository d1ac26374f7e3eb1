"""CMake keywords from tree-sitter's grammar: ``function()`` and ``macro()`` definitions,
targets (``add_library``, ``add_executable``, ``add_custom_target``) and cache variables
(``set(NAME … CACHE …)``)."""

from __future__ import annotations

import tree_sitter

from kwdocs.extract.result import LanguageResult
from kwdocs.extract.treesitter import (
    Grammar,
    Source,
    comments_above,
    encode,
    end_line,
    hash_comment_docstring,
    one_line,
    parser,
    summarise_comments,
    syntax_problems,
)
from kwdocs.model import Keyword, Kind

_TARGET_COMMANDS = frozenset({"add_library", "add_executable", "add_custom_target"})
_COMMENTS = frozenset({"line_comment", "bracket_comment"})
# Arguments and bodies hold no definitions worth a walk.
_LEAVES = frozenset({"argument_list", "line_comment", "bracket_comment"})


def _arguments(command: tree_sitter.Node) -> list[tree_sitter.Node]:
    for child in command.named_children:
        if child.type == "argument_list":
            return [a for a in child.named_children if a.type == "argument"]
    return []


class _CMake:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.keywords: list[Keyword] = []

    def walk(self, root: tree_sitter.Node) -> None:
        stack = [root]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind == "function_def" or kind == "macro_def":
                self._definition(node)
            elif kind == "normal_command":
                self._command(node)
            if kind not in _LEAVES:
                stack.extend(reversed(node.named_children))
        self.keywords.sort(key=lambda k: (k.line, k.col))

    def _definition(self, node: tree_sitter.Node) -> None:
        head = node.named_children[0] if node.named_children else None
        if head is None:
            return
        arguments = _arguments(head)
        if not arguments:
            return
        kind = Kind.FUNCTION if node.type == "function_def" else Kind.MACRO
        self._add(arguments[0], kind, node, signature=self.source.text(head))

    def _command(self, node: tree_sitter.Node) -> None:
        name_node = node.named_children[0] if node.named_children else None
        if name_node is None or name_node.type != "identifier":
            return
        command = self.source.text(name_node).lower()
        arguments = _arguments(node)
        if not arguments:
            return
        if command in _TARGET_COMMANDS:
            self._add(arguments[0], Kind.TARGET, node, signature=self.source.text(node))
        elif command == "set" and any(self.source.text(a) == "CACHE" for a in arguments[1:]):
            self._add(arguments[0], Kind.VARIABLE, node, signature=self.source.text(node))

    def _add(
        self, argument: tree_sitter.Node, kind: Kind, outer: tree_sitter.Node, *, signature: str
    ) -> None:
        name = self.source.text(argument)
        line, col, end_col = self.source.span(argument)
        if name[:1] == '"' and name[-1:] == '"' and len(name) >= 2:
            name = name[1:-1]
            col += 1
            end_col = max(col, end_col - 1)
        if not name:
            return
        block = comments_above(outer, _COMMENTS)
        self.keywords.append(
            Keyword(
                name=name,
                qualname=name,
                kind=kind,
                line=line,
                col=col,
                end_col=end_col,
                end_line=max(line, end_line(outer)),
                signature=one_line(signature),
                summary=summarise_comments([self.source.text(c) for c in block]),
            )
        )


def extract_cmake(path: str, text: str, lines: list[str]) -> LanguageResult:
    """Keywords of a CMake file (``CMakeLists.txt``, ``*.cmake``); never raises on bad input."""
    data = encode(text)
    tree = parser(Grammar.CMAKE).parse(data)
    walker = _CMake(Source(data, lines))
    walker.walk(tree.root_node)
    return LanguageResult(
        docstring=hash_comment_docstring(lines),
        keywords=walker.keywords,
        problems=syntax_problems(tree, Grammar.CMAKE.parser_name),
        parser=Grammar.CMAKE.parser_name,
    )
