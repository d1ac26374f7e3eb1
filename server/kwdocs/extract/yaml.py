"""YAML keywords from tree-sitter's grammar: the top-level keys of each document, and, in a
``native_functions.yaml``-shaped file (a top-level list of mappings with a ``func:`` key), each
entry's operator name (``add.Tensor``) with its whole schema as the signature."""

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
from kwdocs.model import Keyword, Kind, Problem

_MAPPINGS = frozenset({"block_mapping", "flow_mapping"})
_PAIRS = frozenset({"block_mapping_pair", "flow_pair"})
_QUOTED = frozenset({"double_quote_scalar", "single_quote_scalar"})
_SCHEMA_KEY = "func"
# tree-sitter-yaml's scanner overflows its state buffer (a segmentation fault, not an error)
# past about 250 nested block levels; a level needs at least one column of indentation or
# indicator, so a line whose lead is shorter than this cannot nest deeper.
_MAX_LEAD = 200
_LEAD = frozenset(" \t-?:")


def _content(node: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The mapping, sequence or scalar inside ``block_node``/``flow_node`` wrappers."""
    for _ in range(8):
        if node is None or node.type not in ("block_node", "flow_node", "document"):
            return node
        named = [c for c in node.named_children if c.type not in ("comment", "tag", "anchor")]
        node = named[-1] if named else None
    return node


def _scalar(node: tree_sitter.Node | None, source: Source) -> tuple[str, tree_sitter.Node] | None:
    """A scalar's text (quotes dropped) and its node, or None for anything else."""
    node = _content(node)
    if node is None:
        return None
    if node.type == "plain_scalar":
        return source.text(node), node
    if node.type in _QUOTED:
        return source.text(node)[1:-1], node
    return None


class _Yaml:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.keywords: list[Keyword] = []

    def document(self, document: tree_sitter.Node) -> None:
        top = _content(document)
        if top is None:
            return
        if top.type in _MAPPINGS:
            for pair in top.named_children:
                if pair.type in _PAIRS:
                    self._key(pair)
        elif top.type in ("block_sequence", "flow_sequence"):
            for item in top.named_children:
                self._schema_entry(item)

    def _key(self, pair: tree_sitter.Node) -> None:
        found = _scalar(pair.child_by_field_name("key"), self.source)
        if found is None:
            return
        name, node = found
        self._add(node, name, Kind.KEY, pair, signature=f"{name}:", quoted=node.type in _QUOTED)

    def _schema_entry(self, item: tree_sitter.Node) -> None:
        mapping = _content(item.named_children[-1] if item.named_children else None)
        if mapping is None or mapping.type not in _MAPPINGS:
            return
        for pair in mapping.named_children:
            if pair.type not in _PAIRS:
                continue
            key = _scalar(pair.child_by_field_name("key"), self.source)
            if key is None or key[0] != _SCHEMA_KEY:
                continue
            value = _scalar(pair.child_by_field_name("value"), self.source)
            if value is None:
                return
            schema, node = value
            name = schema.split("(", 1)[0].strip()
            if name:
                self._add(
                    node, name, Kind.FUNCTION, item, signature=schema, quoted=node.type in _QUOTED
                )
            return

    def _add(
        self,
        node: tree_sitter.Node,
        name: str,
        kind: Kind,
        outer: tree_sitter.Node,
        *,
        signature: str,
        quoted: bool,
    ) -> None:
        line, col, end_col = self.source.span(node)
        if quoted:
            col += 1
        end_col = max(col, min(end_col, col + len(name)))
        block = comments_above(outer)
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


def _too_deep(lines: list[str]) -> int:
    """The first 1-based line whose indentation and indicators exceed ``_MAX_LEAD``, or 0."""
    for number, line in enumerate(lines, 1):
        if len(line) > _MAX_LEAD and all(char in _LEAD for char in line[: _MAX_LEAD + 1]):
            return number
    return 0


def extract_yaml(path: str, text: str, lines: list[str]) -> LanguageResult:
    """Keywords of a YAML file; never raises (nor crashes the process) on bad input."""
    deep = _too_deep(lines)
    if deep:
        message = f"YAML nested deeper than {_MAX_LEAD} levels: not read"
        return LanguageResult(problems=[Problem(message, deep)], parser=Grammar.YAML.parser_name)
    data = encode(text)
    source = Source(data, lines)
    tree = parser(Grammar.YAML).parse(data)
    walker = _Yaml(source)
    for child in tree.root_node.named_children:
        if child.type == "document":
            walker.document(child)
    return LanguageResult(
        docstring=hash_comment_docstring(lines),
        keywords=walker.keywords,
        problems=syntax_problems(tree, Grammar.YAML.parser_name),
        parser=Grammar.YAML.parser_name,
    )
