"""Fuzzing the language server's pure request-handling functions with random positions, lines,
URIs and words: no exception escapes, columns stay on the line, and Markdown built from
arbitrary text keeps that text verbatim inside its code span or fence."""

from __future__ import annotations

from pathlib import Path

from fuzz_support import count, examples
from hypothesis import given
from hypothesis import strategies as st
from kwdocs.binding import CursorResolver
from kwdocs.config import load_settings
from kwdocs.cursor import word_at
from kwdocs.extract import extract_bytes
from kwdocs.index import build_index
from kwdocs.lsp.hover import Anchors, code, fence, render
from kwdocs.lsp.positions import UTF8, UTF16, UTF32, to_points, to_units, units_len
from kwdocs.lsp.workspace_state import Folder
from kwdocs.textlines import split_lines as split_lsp_lines
from kwdocs.uris import uri_to_path
from markdown_it import MarkdownIt

ENCODINGS = st.sampled_from([UTF8, UTF16, UTF32])
# Lines mixing ASCII, accents, CJK, astral characters (two UTF-16 units) and dots.
LINES = st.text(
    alphabet=st.sampled_from(list("ab_.( )9ñ日\U0001d518\U0001f600\t\"'`#")), max_size=40
)
_md = MarkdownIt("commonmark")


@examples(1_000)
@given(LINES, st.integers(-5, 200), ENCODINGS)
def test_client_columns_map_onto_the_line(line: str, units: int, encoding: str) -> None:
    count("server: position conversion")
    points = to_points(line, units, encoding)
    assert 0 <= points <= len(line)
    back = to_units(line, points, encoding)
    assert 0 <= back <= units_len(line, encoding)
    assert back <= max(units, 0) or points == 0
    # Every character start round-trips exactly.
    for index in range(len(line) + 1):
        assert to_points(line, to_units(line, index, encoding), encoding) == index


@examples(1_000)
@given(LINES, st.integers(-5, 60))
def test_word_under_the_cursor(line: str, col: int) -> None:
    count("server: word at a position")
    word = word_at(line, col)
    if word is None:
        return
    assert 0 <= word.start < word.end <= len(line)
    assert line[word.start : word.end] == word.name
    assert word.start <= max(col, 0) <= word.end
    for segment in word.segments:
        assert segment and segment in line


# Carriage returns excluded: every text reaching hover comes from newline-normalised source.
@examples(1_000)
@given(st.text(max_size=60).map(lambda t: t.replace("\r", "")))
def test_code_spans_and_fences_hold_any_text(text: str) -> None:
    count("server: Markdown code spans and fences")
    tokens = _md.parse(code(text))
    spans = [c for t in tokens for c in (t.children or []) if c.type == "code_inline"]
    if text.strip() and "\n" not in text and "\x00" not in text:
        # code() pads a text with a space at both ends (CommonMark drops one from each end of
        # such a span), so the span shows the text verbatim.
        assert [s.content for s in spans] == [text]
    [block] = [t for t in _md.parse(fence(text, "python")) if t.type == "fence"]
    # The fence ends the text's last line (an empty text makes an empty block).
    shown = text if not text or text.endswith("\n") else text + "\n"
    assert block.content == shown.replace("\x00", "\ufffd")


@examples(500)
@given(st.text(max_size=80))
def test_uris_and_line_splitting(text: str) -> None:
    count("server: URIs and lines")
    path = uri_to_path(text)
    assert path is None or (path.startswith("/") and "\x00" not in path)
    lines = split_lsp_lines(text)
    assert "\n".join(lines).count("\n") == len(lines) - 1


_SOURCE = b'''"""Module."""
import os.path as osp
from .sibling import helper as h


class Shape:
    """A shape."""

    def area(self) -> float:
        return 0.0


def make(kind: str = "x") -> Shape:
    return Shape()


LIMIT = 10
'''
_RECORD = extract_bytes("pkg/mod.py", _SOURCE)
_FOLDER = Folder(
    uri=Path("/ws").as_uri(),
    root=Path("/ws"),
    name="ws",
    settings=load_settings(Path("/ws"), {"outputDir": "/ws/docs"}),
    index=build_index([_RECORD, extract_bytes("pkg/sibling.py", b"def helper():\n    pass\n")]),
)
_SOURCE_LINES = _SOURCE.decode().splitlines()
_CURSOR = CursorResolver()


@examples(500)
@given(st.integers(-2, 25), st.integers(-2, 40), st.booleans())
def test_hover_anywhere_in_a_file(line: int, col: int, markdown: bool) -> None:
    count("server: hover resolution and rendering")
    word = _CURSOR.word_at(_SOURCE_LINES, line + 1, col)
    if word is None:
        return
    answer = _CURSOR.resolve(_FOLDER, _RECORD, _SOURCE_LINES, line + 1, word)
    if not answer.targets:
        return
    text = render(answer.targets, Anchors(), markdown)
    best = answer.targets[0].keyword
    assert best.name in text or best.qualname in text
