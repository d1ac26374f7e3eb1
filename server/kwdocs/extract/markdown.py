"""Markdown keywords: headings and inline code identifiers, from markdown-it-py's token stream."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.token import Token

from kwdocs.model import Keyword

# An inline code span counts as an identifier when it is a (dotted) name, optionally called.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\(\))?")
_parser: MarkdownIt | None = None


def _markdown() -> MarkdownIt:
    global _parser
    if _parser is None:
        _parser = MarkdownIt("commonmark")
    return _parser


def _plain(inline: Token) -> str:
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def _column(lines: list[str], line: int, needle: str) -> int:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    pos = text.find(needle)
    return max(pos, 0)


def extract_markdown(text: str, lines: list[str]) -> tuple[list[Keyword], str]:
    """Headings (with the paragraph under them as summary) and code identifiers; the title."""
    tokens = _markdown().parse(text)
    keywords: list[Keyword] = []
    seen_identifiers: set[str] = set()
    title = ""
    pending_heading: int | None = None  # index in keywords awaiting its summary paragraph
    block_line = 1
    for i, token in enumerate(tokens):
        if token.map:
            block_line = token.map[0] + 1
        if token.type == "heading_open" and i + 1 < len(tokens):
            inline = tokens[i + 1]
            name = _plain(inline)
            if not name:
                continue
            line = block_line
            col = _column(lines, line, inline.content[:40]) if inline.content else 0
            end_line = (token.map[1] if token.map else line) or line
            keywords.append(
                Keyword(
                    name=name,
                    qualname=name,
                    kind="heading",
                    line=line,
                    col=col,
                    end_col=col + len(inline.content),
                    end_line=end_line,
                    signature="#" * int(token.tag[1:]) + " " + name,
                )
            )
            if not title and token.tag == "h1":
                title = name
            pending_heading = len(keywords) - 1
        elif token.type == "paragraph_open" and pending_heading is not None:
            inline = tokens[i + 1] if i + 1 < len(tokens) else None
            if inline is not None and inline.type == "inline":
                summary = _plain(inline)
                head = keywords[pending_heading]
                keywords[pending_heading] = Keyword(
                    name=head.name,
                    qualname=head.qualname,
                    kind=head.kind,
                    line=head.line,
                    col=head.col,
                    end_col=head.end_col,
                    end_line=head.end_line,
                    signature=head.signature,
                    summary=summary[:497] + "..." if len(summary) > 500 else summary,
                )
            pending_heading = None
        elif token.type == "inline":
            for child in token.children or []:
                if child.type != "code_inline":
                    continue
                content = child.content.strip()
                if not _IDENTIFIER.fullmatch(content):
                    continue
                name = content.removesuffix("()")
                if name in seen_identifiers:
                    continue
                seen_identifiers.add(name)
                line, col = _locate_code_span(lines, block_line, token, child.content)
                keywords.append(
                    Keyword(
                        name=name,
                        qualname=name,
                        kind="identifier",
                        line=line,
                        col=col,
                        end_col=col + len(name),
                        end_line=line,
                    )
                )
    return keywords, title


def _locate_code_span(lines: list[str], start: int, token: Token, content: str) -> tuple[int, int]:
    """Line and column of a code span's content inside its block (first occurrence)."""
    end = token.map[1] if token.map else start
    for line in range(start, max(end, start) + 1):
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        pos = text.find(f"`{content}`")
        if pos < 0:
            # A span broken over lines (its newline became a space): find the name itself.
            pos = text.find(content.strip())
            if pos >= 0:
                return line, pos
            continue
        # The name starts after any whitespace inside the span (`` `\tname` ``).
        return line, pos + 1 + len(content) - len(content.lstrip())
    return start, 0
