"""Fuzzing and hostile input for the tree-sitter extractors (C, C++, CUDA, YAML, CMake, shell):
arbitrary text, C-like token soup, NUL and control bytes, text decoded from invalid UTF-8, deep
nesting, a 5 MB header. No exception escapes; every keyword lies on a line of the file, with
columns inside it, and (C family identifiers) its name is the text at its position."""

from __future__ import annotations

import time

from fuzz_support import count
from hypothesis import given
from hypothesis import strategies as st
from kwdocs.extract import extract_bytes
from kwdocs.extract.cfamily import extract_c, extract_cpp, extract_cuda
from kwdocs.extract.cmake import extract_cmake
from kwdocs.extract.result import LanguageResult
from kwdocs.extract.shell import extract_shell
from kwdocs.extract.yaml import extract_yaml
from kwdocs.model import Kind
from kwdocs.textlines import content_lines as split_lines

EXTRACTORS = (extract_c, extract_cpp, extract_cuda, extract_yaml, extract_cmake, extract_shell)
C_FAMILY = (extract_c, extract_cpp, extract_cuda)

C_TOKENS = st.sampled_from(
    [
        "namespace", "class", "struct", "union", "enum", "template", "<", ">", "typename",
        "TORCH_API", "C10_API", "__global__", "void", "int", "f", "g", "A", "B", "::", "~",
        "(", ")", "{", "}", ";", ",", "=", "0", "*", "&", "operator", "==", "#define X 1\n",
        "#include <a.h>\n", '#include "b.h"\n', "#if X\n", "#else\n", "#endif\n", "// c\n",
        "/* d */", "/// doc\n", "typedef", "using", "extern", '"C"', "virtual", "const",
        "static", "public:", "C10_DEPRECATED_MESSAGE(\"x\")", "\n", " ", "é", "☃", "\x00",
    ]
)  # fmt: skip


def check(result: LanguageResult, text: str, *, c_family: bool) -> None:
    lines = split_lines(text)
    for keyword in result.keywords:
        assert 1 <= keyword.line <= max(len(lines), 1), keyword
        assert keyword.line <= keyword.end_line, keyword
        assert 0 <= keyword.col <= keyword.end_col, keyword
        line = lines[keyword.line - 1] if lines else ""
        assert keyword.end_col <= len(line), keyword
        simple = keyword.name.replace("_", "a").isalnum()
        if c_family and simple and keyword.kind != Kind.INCLUDE:
            assert line[keyword.col : keyword.end_col] == keyword.name, keyword


@given(st.text(max_size=400), st.sampled_from(EXTRACTORS))
def test_arbitrary_text(text: str, extract) -> None:
    count("tree-sitter arbitrary text")
    check(extract("f", text, split_lines(text)), text, c_family=extract in C_FAMILY)


@given(st.lists(C_TOKENS, max_size=120), st.sampled_from(C_FAMILY))
def test_c_token_soup(tokens: list[str], extract) -> None:
    count("tree-sitter C token soup")
    text = " ".join(tokens)
    check(extract("f.h", text, split_lines(text)), text, c_family=True)


@given(st.binary(max_size=600), st.sampled_from([".h", ".cuh", ".c", ".yaml", ".cmake", ".sh"]))
def test_bytes_through_the_pipeline(data: bytes, suffix: str) -> None:
    """Any bytes, decoded as kwdocs decodes them (invalid UTF-8 shown as U+FFFD): the
    extractors get the decoded text and its lines."""
    count("tree-sitter bytes")
    from kwdocs.extract import begin_record
    from kwdocs.extract.languages import extractor, native_language

    record, text, lines = begin_record(f"f{suffix}", data)
    language = native_language(f"f{suffix}")
    assert language is not None
    result = extractor(language)(f"f{suffix}", text, lines)
    check(result, text, c_family=suffix in (".h", ".cuh", ".c"))
    assert record.path == f"f{suffix}"
    extract_bytes(f"f{suffix}", data)  # the whole pipeline as it stands never raises either


def test_nul_and_invalid_utf8_keep_columns() -> None:
    text = "int \x00a; \ufffd\ufffd void f\ufffd(); struct S { int g(); };\n\ud800 void h();\n"
    lines = split_lines(text)
    result = extract_cpp("f.h", text, lines)
    for keyword in result.keywords:
        assert lines[keyword.line - 1][keyword.col : keyword.end_col] == keyword.name
    assert "S::g" in [k.qualname for k in result.keywords]
    assert "h" in [k.name for k in result.keywords]


def test_deep_nesting() -> None:
    depth = 20_000
    nested = "namespace n { " * depth + "void f();" + " }" * depth
    braces = "void g() " + "{" * depth + "}" * depth
    for text in (nested, braces, "(" * depth, "template <" * depth, "- " * depth + "a: 1"):
        for extract in EXTRACTORS:
            check(extract("deep", text, split_lines(text)), text, c_family=extract in C_FAMILY)
    # The walk stops descending at a bounded depth rather than exhausting anything.
    result = extract_cpp("deep.h", nested, [nested])
    assert 100 <= len(result.keywords) <= 200
    assert {k.kind for k in result.keywords} == {Kind.NAMESPACE}
    # tree-sitter-yaml would crash the process past ~250 levels: the extractor declines.
    indented = "".join(" " * i + f"k{i}:\n" for i in range(300))
    declined = extract_yaml("deep.yaml", indented, split_lines(indented))
    assert not declined.keywords
    assert declined.problems[0].line == 202


def test_huge_header_is_linear() -> None:
    unit = (
        "/// Adds.\nTORCH_API at::Tensor add_{i}(const at::Tensor& a, int64_t b = 0);\n"
        "struct TORCH_API Box{i} : Base {{ int get() const {{ return {i}; }} }};\n"
    )
    text = "namespace at {\n" + "".join(unit.format(i=i) for i in range(40_000)) + "}\n"
    assert len(text) > 5_000_000
    started = time.perf_counter()
    result = extract_cpp("huge.h", text, split_lines(text))
    elapsed = time.perf_counter() - started
    assert len([k for k in result.keywords if k.kind == Kind.STRUCT]) == 40_000
    assert len([k for k in result.keywords if k.kind == Kind.METHOD]) == 40_000
    assert result.keywords[1].summary == "Adds."
    assert elapsed < 60, elapsed  # seconds; about 5 on one free core


def test_binary_named_header() -> None:
    data = bytes(range(256)) * 200
    text = data.decode("utf-8", "replace")
    for extract in C_FAMILY:
        check(extract("blob.h", text, split_lines(text)), text, c_family=True)
