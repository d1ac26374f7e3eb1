"""Fuzzing the extractors: valid Python (hypothesmith), broken Python, arbitrary bytes and
Markdown. No exception escapes; every keyword is an identifier (or dotted module name) of the
source, on a line of the file, at the column an editor shows it."""

from __future__ import annotations

import re
import unicodedata

import hypothesmith
from fuzz_support import count, examples
from hypothesis import assume, example, given
from hypothesis import strategies as st
from kwdocs.extract import extract_bytes
from kwdocs.model import FileRecord

_LINE_END = re.compile(r"\r\n|\r|\n")
_MODULE_NAME = re.compile(r"\.*(?:\w+(?:\.\w+)*)?")


def source_words(text: str) -> set[str]:
    """Every word of the text, as written and as Python normalises identifiers (NFKC). A word
    is a run of characters that may continue an identifier: letters and digits, and also the
    combining marks (``A\u17b4``) that ``\\w`` leaves out."""
    words: set[str] = set()
    run: list[str] = []
    for char in text + " ":
        if ("_" + char).isidentifier():
            run.append(char)
        elif run:
            words.add("".join(run))
            run = []
    return words | {unicodedata.normalize("NFKC", w) for w in words}


def check_record(record: FileRecord, text: str) -> None:
    """The properties every record has, whatever the input."""
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    assert record.lines == len(lines)
    words = source_words(text)
    for keyword in record.keywords:
        assert 1 <= keyword.line <= max(len(lines), 1), keyword
        assert keyword.line <= keyword.end_line, keyword
        assert 0 <= keyword.col <= keyword.end_col, keyword
        if record.language != "python":
            continue
        if keyword.kind == "module":
            assert _MODULE_NAME.fullmatch(keyword.name) and keyword.name, keyword
            parts = [p for p in keyword.name.split(".") if p]
        else:
            assert keyword.name.isidentifier(), keyword
            parts = [keyword.name]
        for part in parts:
            assert part in words, (keyword, "not a word of the source")
        line = lines[keyword.line - 1]
        shown = line[keyword.col :]
        if keyword.kind == "module":
            # A dotted name may go on past a line continuation (``import a.\`` + ``b``).
            following = "\n".join(lines[keyword.line - 1 : keyword.line + 3])
            shown = re.sub(r"\s|\\", "", following[keyword.col :])
        written = unicodedata.normalize("NFKC", shown[: len(keyword.name) + 8])
        assert written.startswith(unicodedata.normalize("NFKC", keyword.name)), (keyword, line)


def encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: no file holds them
        assume(False)
        raise


@examples(60)  # hypothesmith generates slowly (~0.3 s a case): volume comes from the others
@given(hypothesmith.from_grammar())
def test_valid_python_from_the_grammar(source: str) -> None:
    count("extract: valid Python (from_grammar)")
    data = encode(source)
    record = extract_bytes("fuzz.py", data)
    check_record(record, source)


@examples(30)
@given(hypothesmith.from_node())
def test_valid_python_from_libcst_nodes(source: str) -> None:
    count("extract: valid Python (from_node)")
    record = extract_bytes("fuzz.py", encode(source))
    assert record.parser == "ast"
    check_record(record, source)


@examples(60)
@given(hypothesmith.from_grammar(), st.data())
def test_broken_python_is_recovered(source: str, data: st.DataObject) -> None:
    count("extract: broken Python (grammar + cuts)")
    size = len(source)
    start = data.draw(st.integers(0, size), label="start")
    end = data.draw(st.integers(start, size), label="end")
    junk = data.draw(
        st.sampled_from(["", "(", ")", "def ", "class ", ":", "\t", "'''", "\\", "\x00", "\r"]),
        label="junk",
    )
    broken = source[:start] + junk + source[end:]
    record = extract_bytes("fuzz.py", encode(broken))
    check_record(record, broken)


@examples(2_000)
@given(st.binary(max_size=2_000), st.sampled_from(["f.py", "f.md", "f.txt", "f.pyi"]))
def test_arbitrary_bytes(data: bytes, path: str) -> None:
    count("extract: arbitrary bytes")
    record = extract_bytes(path, data)
    assert record.size == len(data)
    for keyword in record.keywords:
        assert 1 <= keyword.line <= max(record.lines, 1)


PY_PIECES = st.sampled_from(
    [
        "def ",
        "class ",
        "async def ",
        "import ",
        "from ",
        " import ",
        " as ",
        "lambda",
        "x",
        "_y",
        "Ünï",
        "ﬁ",
        "(",
        ")",
        "[",
        "]",
        ":",
        ",",
        ".",
        "=",
        " ",
        "    ",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\\\n",
        "#",
        "'",
        '"""',
        "@",
        "*",
        "->",
        "\x0c",
        "\u2028",
        "𝔘",
        "pass",
        "return",
        "__all__",
    ]
)


@examples(3_000)
@given(st.lists(PY_PIECES, max_size=60).map("".join))
@example("import __all__.\\\n__all__")  # found by the kwdocs-large profile
def test_python_shaped_text(source: str) -> None:
    count("extract: Python-shaped text")
    record = extract_bytes("fuzz.py", source.encode("utf-8"))
    check_record(record, source)


MD_PIECES = st.sampled_from(
    [
        "# ",
        "## ",
        "###### ",
        "#",
        "`",
        "``",
        "```",
        "~~~",
        "    ",
        "- ",
        "> ",
        "1. ",
        "*",
        "_",
        "[",
        "](",
        ")",
        "<",
        ">",
        "<script>",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "name",
        "pkg.mod",
        "f()",
        "Ünï",
        " ",
        "---",
        "===",
        "\\",
        "&amp;",
        "|",
    ]
)


@examples(2_000)
@given(st.lists(MD_PIECES, max_size=80).map("".join))
def test_markdown_shaped_text(text: str) -> None:
    count("extract: Markdown-shaped text")
    record = extract_bytes("fuzz.md", text.encode("utf-8"))
    check_record(record, text)
    lines = _LINE_END.split(text)
    for keyword in record.keywords:
        if keyword.kind == "identifier":
            line = lines[keyword.line - 1]
            assert line[keyword.col : keyword.end_col] == keyword.name, (keyword, line)
