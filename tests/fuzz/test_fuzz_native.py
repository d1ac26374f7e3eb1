"""Fuzzing the engine's resolution and the hover of native buffers: C++-shaped token soup and
arbitrary text, asked at any position, in a small workspace of real-shaped headers. No
exception escapes; an answer's word lies on the line asked; its targets are keywords of the
workspace (or the buffer's own parameters and locals) and the hover names the first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fuzz_support import count, examples
from hypothesis import given
from hypothesis import strategies as st
from kwdocs.binding import Role
from kwdocs.extract import extract_bytes
from kwdocs.index import KeywordIndex, build_index
from kwdocs.lsp.hover import Anchors, render_native
from kwdocs.model import FileRecord
from kwdocs.native import NativeResolver
from kwdocs.textlines import content_lines

SHAPES_H = b"""\
#pragma once
#include "base.h"
#define SHAPE_API
namespace geo {
/// A shape.
struct SHAPE_API Shape : Base { virtual double area() const; int sides; };
enum class Kind { Square, Disc };
double total(const Shape& s, Shape* p);
}
"""
BASE_H = b"namespace geo { class Base { public: void reset(); }; }\n"
TOKENS = st.sampled_from(
    [
        "geo", "::", "Shape", "Base", "area", "reset", "total", "Kind", "Square", "s", "p",
        ".", "->", "this", "(", ")", "{", "}", ";", ",", "=", "auto", "const", "&", "*",
        "double", "int", "void", "namespace", "struct", "class", "template", "<", ">",
        "#include \"shapes.h\"\n", "#include <vector>\n", "#define M(x) x\n", "// c\n",
        "/* d */", '"str"', "\n", " ", "é", "日", "\U0001f600", "\x00",
    ]
)  # fmt: skip


@dataclass
class _Folder:
    root: Path
    index: KeywordIndex

    @property
    def records(self) -> dict[str, FileRecord]:
        return self.index.records

    @property
    def modules(self) -> object:
        return self.index.modules

    def full_path(self, path: str) -> str:
        return str(self.root / path)


_WORKSPACE = [extract_bytes("shapes.h", SHAPES_H), extract_bytes("base.h", BASE_H)]
_RESOLVER = NativeResolver()


def _ask(text: str, suffix: str, line: int, col: int, markdown: bool) -> None:
    record = extract_bytes(f"buffer{suffix}", text.encode("utf-8", "surrogatepass"))
    folder = _Folder(Path("/ws"), build_index([*_WORKSPACE, record]))
    answer = _RESOLVER.resolve(folder, record, text, line, col)
    if answer is None:
        return
    lines = content_lines(text)
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    assert 0 <= answer.word.start <= answer.word.end <= max(len(shown), answer.word.end)
    for target in answer.targets:
        if target.role in (Role.PARAMETER, Role.LOCAL):
            assert target.path == record.path
        else:
            assert target.path in folder.records
    text_shown = render_native(answer, Anchors(), markdown)
    if answer.proven:
        assert text_shown is not None
        best = answer.proven[0].keyword
        assert best.qualname in text_shown or best.name in text_shown or target_path(answer)


def target_path(answer) -> bool:
    return answer.proven[0].path in (render_native(answer, Anchors(), True) or "")


@examples(300)
@given(
    st.lists(TOKENS, max_size=80),
    st.sampled_from([".h", ".cpp", ".c", ".cuh"]),
    st.integers(-1, 12),
    st.integers(-2, 60),
    st.booleans(),
)
def test_resolution_anywhere_in_token_soup(
    tokens: list[str], suffix: str, line: int, col: int, markdown: bool
) -> None:
    count("native: resolution in C++ token soup")
    _ask(" ".join(tokens), suffix, line, col, markdown)


@examples(200)
@given(st.text(max_size=300), st.integers(-1, 8), st.integers(-2, 40))
def test_resolution_anywhere_in_arbitrary_text(text: str, line: int, col: int) -> None:
    count("native: resolution in arbitrary text")
    _ask(text, ".hpp", line, col, True)


def test_real_shapes_every_position() -> None:
    """Every position of the header itself: its names resolve to its own keywords."""
    text = SHAPES_H.decode()
    folder = _Folder(Path("/ws"), build_index(_WORKSPACE))
    record = _WORKSPACE[0]
    found = set()
    for number, line in enumerate(content_lines(text), 1):
        for col in range(len(line) + 1):
            answer = _RESOLVER.resolve(folder, record, text, number, col)
            if answer is not None and answer.proven:
                found.add(answer.proven[0].keyword.qualname)
    assert {"geo::Shape", "geo::Shape::area", "geo::Kind::Square", "geo::total"} <= found
    assert {"geo::Base", "SHAPE_API", "base.h"} <= found
