"""tree-sitter plumbing shared by the C family, YAML, CMake and shell extractors: grammars and
parsers made once per process (parsers once per thread: a parser is not safe to share), byte
columns turned into code-point columns, node text, the comment block above a declaration and
its summary."""

from __future__ import annotations

import enum
import functools
import importlib
import threading
from collections.abc import Iterator

import tree_sitter

from kwdocs.model import Problem

_MAX_SIGNATURE = 400
_MAX_SUMMARY = 300


class Grammar(str, enum.Enum):
    """A packaged tree-sitter grammar; the value is the ``tree_sitter_<value>`` module."""

    C = "c"
    CPP = "cpp"
    CUDA = "cuda"
    YAML = "yaml"
    CMAKE = "cmake"
    BASH = "bash"

    @property
    def parser_name(self) -> str:
        """What ``FileRecord.parser`` says about keywords from this grammar."""
        return f"tree-sitter-{self.value}"


@functools.cache
def language(grammar: Grammar) -> tree_sitter.Language:
    """The grammar's Language, loaded once per process."""
    module = importlib.import_module(f"tree_sitter_{grammar.value}")
    return tree_sitter.Language(module.language())


_local = threading.local()


def parser(grammar: Grammar) -> tree_sitter.Parser:
    """This thread's parser for the grammar (the server extracts on more than one thread)."""
    parsers: dict[Grammar, tree_sitter.Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    found = parsers.get(grammar)
    if found is None:
        found = parsers[grammar] = tree_sitter.Parser(language(grammar))
    return found


def encode(text: str) -> bytes:
    """The UTF-8 bytes tree-sitter parses. A lone surrogate (never in text kwdocs decoded, but a
    caller may pass any str) becomes ``?``: one byte for one code point, so columns stay right."""
    return text.encode("utf-8", "replace")


class Source:
    """A file's bytes as tree-sitter saw them, with its lines for code-point columns."""

    __slots__ = ("_encoded", "data", "lines")

    def __init__(self, data: bytes, lines: list[str]) -> None:
        self.data = data
        self.lines = lines
        self._encoded: dict[int, bytes] = {}

    def text(self, node: tree_sitter.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def between(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", "replace")

    def col(self, row: int, byte_col: int) -> int:
        """The code-point column of a byte column on a 0-based row."""
        if row >= len(self.lines):
            return byte_col
        line = self.lines[row]
        if line.isascii():
            return byte_col
        encoded = self._encoded.get(row)
        if encoded is None:
            encoded = self._encoded[row] = encode(line)
        return len(encoded[:byte_col].decode("utf-8", "ignore"))

    def span(self, node: tree_sitter.Node) -> tuple[int, int, int]:
        """1-based line, and 0-based code-point start and end columns of a name node; a name
        that runs onto another line ends at the end of its first line."""
        row, start = node.start_point
        end_row, end = node.end_point
        col = self.col(row, start)
        if end_row != row:
            line = self.lines[row] if row < len(self.lines) else ""
            return row + 1, col, max(col, len(line))
        return row + 1, col, self.col(row, end)


def end_line(node: tree_sitter.Node) -> int:
    """1-based last line of a node: one that ends at the start of a line (a preprocessor
    directive takes its newline) ends on the line before."""
    start_row = node.start_point[0]
    row, col = node.end_point
    if col == 0 and row > start_row:
        row -= 1
    return row + 1


def one_line(text: str, limit: int = _MAX_SIGNATURE) -> str:
    """Whitespace-normalised text on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


_COMMENT_TYPES = frozenset({"comment"})


def comments_above(
    node: tree_sitter.Node, comment_types: frozenset[str] = _COMMENT_TYPES
) -> list[tree_sitter.Node]:
    """The comment nodes right above ``node`` (no blank line between), top first. A comment
    that ends the line of the code before it belongs to that code, not to ``node``; one on
    ``node``'s own first line (``/* implicit */ Device(...)``) annotates the code and
    describes nothing."""
    block: list[tree_sitter.Node] = []
    first_row = row = node.start_point[0]
    previous = node.prev_named_sibling
    while previous is not None and previous.type in comment_types:
        if previous.end_point[0] < row - 1:
            break
        before = previous.prev_named_sibling
        if (
            before is not None
            and before.type not in comment_types
            and before.end_point[0] == previous.start_point[0]
        ):
            break
        if previous.start_point[0] != first_row:
            block.append(previous)
        row = previous.start_point[0]
        previous = before
    block.reverse()
    return block


# Doxygen's comment openers; ``///<`` and ``//!<`` document the member before them.
_TRAILING_DOC = ("///<", "//!<", "/**<", "/*!<")
_DIRECTIVE_PREFIXES = ("NOLINT", "clang-format", "@lint", "IWYU pragma", "codespell:")


def comment_lines(text: str) -> list[str]:
    """The lines of one comment without its markers (``//``, ``///``, ``//!``, ``/* */``,
    leading ``*``, ``#``)."""
    if text.startswith(_TRAILING_DOC):
        return []
    if text.startswith("/*"):
        body = text[2:]
        body = body.removesuffix("*/")
        if body[:1] in ("*", "!"):
            body = body[1:]
        lines = []
        for raw in body.split("\n"):
            line = raw.strip()
            if line.startswith("*"):
                line = line.lstrip("*").strip()
            lines.append(line)
        return lines
    if text.startswith("//"):
        body = text[2:]
        if body[:1] in ("/", "!"):
            body = body[1:]
        return [body.strip()]
    if text.startswith("#"):
        body = text.lstrip("#")
        if body.startswith("[") and "[" in body[1:3]:  # CMake's #[[ bracket ]] comment
            body = body.lstrip("[=").rstrip().removesuffix("]").rstrip("=]")
            return [line.strip() for line in body.split("\n")]
        return [body.strip()]
    return [text.strip()]


def summarise_comments(texts: list[str]) -> str:
    """The summary of a comment block: its first paragraph on one line, without Doxygen's
    ``@brief``, cut at a sentence boundary when it is long. Rulers (``// ----``) and tool
    directives (``NOLINT``, ``clang-format off``) are not prose."""
    paragraph: list[str] = []
    for text in texts:
        for line in comment_lines(text):
            if line.startswith(_DIRECTIVE_PREFIXES):
                continue
            if not any(ch.isalnum() for ch in line):
                if paragraph:
                    return _cut(" ".join(paragraph))
                continue
            if line.startswith(("@brief", "\\brief")):
                line = line[6:].strip()
            elif line.startswith(("@file", "\\file")):
                # ``@file name`` names the file; the prose follows it.
                parts = line.split(None, 2)
                line = parts[2] if len(parts) > 2 else ""
                if not line:
                    continue
            paragraph.append(line)
    return _cut(" ".join(paragraph))


def is_licence(summary: str) -> bool:
    """A comment that states a copyright or licence: not what the file is for."""
    lowered = summary.lower()
    return "copyright" in lowered or "license" in lowered or "licence" in lowered


def hash_comment_docstring(lines: list[str]) -> str:
    """What a YAML, CMake or shell file says it is for: the summary of the first block of
    ``#`` lines on top of it (a shebang aside) that is no licence and is not the comment of
    the code right under it (no blank line between: that documents the code), as
    ``_file_docstring`` reads a C file's."""
    blocks: list[list[str]] = []
    block: list[str] = []
    attached = False
    for number, line in enumerate(lines):
        text = line.strip()
        if number == 0 and text.startswith("#!"):
            continue
        if text.startswith("#"):
            block.append(text)
            continue
        if block:
            blocks.append(block)
            block = []
            attached = bool(text)
        if text:
            break
    else:
        if block:
            blocks.append(block)
    for index, found in enumerate(blocks):
        if attached and index == len(blocks) - 1:
            break
        summary = summarise_comments(found)
        if summary and not is_licence(summary):
            return summary
    return ""


def _cut(summary: str) -> str:
    summary = " ".join(summary.split())
    if len(summary) <= _MAX_SUMMARY:
        return summary
    head = summary[:_MAX_SUMMARY]
    stop = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    if stop > _MAX_SUMMARY // 3:
        return head[: stop + 1]
    return head[: _MAX_SUMMARY - 3].rstrip() + "..."


def error_nodes(tree: tree_sitter.Tree) -> Iterator[tree_sitter.Node]:
    """The outermost ERROR and MISSING nodes, descending only into subtrees that hold one."""
    root = tree.root_node
    if not root.has_error:
        return
    if root.type == "ERROR":
        yield root
        return
    stack = [root]
    while stack:
        node = stack.pop()
        for child in reversed(node.children):
            if child.type == "ERROR" or child.is_missing:
                yield child
            elif child.has_error:
                stack.append(child)


def syntax_problems(tree: tree_sitter.Tree, what: str) -> list[Problem]:
    """One problem naming how many regions tree-sitter could not parse, at the first."""
    first: tree_sitter.Node | None = None
    count = 0
    for node in error_nodes(tree):
        if first is None or node.start_byte < first.start_byte:
            first = node
        count += 1
    if first is None:
        return []
    regions = "region" if count == 1 else "regions"
    return [
        Problem(
            f"{count} {regions} {what} could not parse (recovered around them)",
            first.start_point[0] + 1,
        )
    ]
