"""Shell (bash, sh) keywords from tree-sitter's bash grammar: function definitions, wherever
they are (inside ``if`` blocks too), with the comment above as their summary."""

from __future__ import annotations

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

# Nodes that cannot hold a function definition: no need to walk into them.
_LEAVES = frozenset(
    {"comment", "string", "raw_string", "heredoc_body", "word", "command", "variable_assignment"}
)


def extract_shell(path: str, text: str, lines: list[str]) -> LanguageResult:
    """Functions of a shell script; never raises on bad input."""
    data = encode(text)
    source = Source(data, lines)
    tree = parser(Grammar.BASH).parse(data)
    keywords: list[Keyword] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            name_node = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            if name_node is not None:
                name = source.text(name_node)
                line, col, end_col = source.span(name_node)
                head_end = body.start_byte if body is not None else node.end_byte
                # A shebang (``#!/bin/sh`` on the first line) is not prose about a function.
                block = [
                    c
                    for c in comments_above(node)
                    if c.start_point[0] != 0 or not source.text(c).startswith("#!")
                ]
                keywords.append(
                    Keyword(
                        name=name,
                        qualname=name,
                        kind=Kind.FUNCTION,
                        line=line,
                        col=col,
                        end_col=end_col,
                        end_line=max(line, end_line(node)),
                        signature=one_line(source.between(node.start_byte, head_end)),
                        summary=summarise_comments([source.text(c) for c in block]),
                    )
                )
        if node.type not in _LEAVES:
            stack.extend(reversed(node.named_children))
    keywords.sort(key=lambda k: (k.line, k.col))
    return LanguageResult(
        docstring=hash_comment_docstring(lines),
        keywords=keywords,
        problems=syntax_problems(tree, Grammar.BASH.parser_name),
        parser=Grammar.BASH.parser_name,
    )
