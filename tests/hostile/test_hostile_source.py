"""Hostile source files: every case yields a record (never an exception), its keywords are
exactly the file's definitions and imports at the positions an editor shows, and problems
name the line they are on."""

from __future__ import annotations

import ast
import codecs
import random
import sys
import zlib
from pathlib import Path

import pytest
from hostile_support import assert_positions, editor_lines, triples
from kwdocs.config import load_settings
from kwdocs.discover import discover
from kwdocs.extract import extract_bytes, read_and_extract
from kwdocs.model import FileRecord, Skip
from kwdocs.pipeline import index_root


def extract(data: bytes, path: str = "m.py") -> FileRecord:
    return extract_bytes(path, data)


# (id, source bytes, expected (name, kind, line, col), line of the first problem or None)
SYNTAX_ERRORS = [
    (
        "unclosed-paren",
        b"def ok():\n    pass\n\nx = (1,\n\ndef after():\n    pass\n",
        {("ok", "function", 1, 4), ("after", "function", 6, 4)},
        4,
    ),
    (
        "broken-def-header",
        b"def ok():\n    pass\ndef broken(:\n    pass\nclass After:\n    pass\n",
        {("ok", "function", 1, 4), ("broken", "function", 3, 4), ("After", "class", 5, 6)},
        3,
    ),
    (
        "unterminated-string",
        b'import os\nclass A:\n    def m(self):\n        return "abc\n',
        {("os", "module", 1, 7), ("A", "class", 2, 6), ("m", "method", 3, 8)},
        4,
    ),
    (
        "unterminated-triple-quote",
        b'def a():\n    pass\n"""never closed\ndef b():\n    pass\n',
        {("a", "function", 1, 4)},
        3,
    ),
    (
        "bad-indent",
        b"def a():\n    x = 1\n      y = 2\ndef b():\n    pass\n",
        {("a", "function", 1, 4), ("b", "function", 4, 4)},
        3,
    ),
    (
        "stray-dedent",
        b"class A:\n    def m(self):\n        pass\n  def n(self):\n        pass\n",
        {("A", "class", 1, 6), ("m", "method", 2, 8), ("n", "method", 4, 6)},
        4,
    ),
    (
        "python2-print",
        b"import sys\nprint 'hello'\ndef f():\n    pass\n",
        {("sys", "module", 1, 7), ("f", "function", 3, 4)},
        2,
    ),
    (
        "keyword-as-name",
        b"def class():\n    pass\ndef ok():\n    pass\n",
        {("ok", "function", 3, 4)},
        1,
    ),
    (
        "half-import",
        b"from os import\nfrom sys import path\ndef f():\n    pass\n",
        # ``from os import`` has no name to bind: not an import of anything.
        {
            ("sys", "module", 2, 5),
            ("path", "import", 2, 16),
            ("f", "function", 3, 4),
        },
        1,
    ),
    (
        "garbage-in-class",
        b"class A:\n    def m(self):\n        pass\n    ]]]\n    def n(self):\n        pass\n",
        {("A", "class", 1, 6), ("m", "method", 2, 8), ("n", "method", 5, 8)},
        4,
    ),
    (
        "tabs-mixed-with-spaces",
        b"def a():\n\tif x:\n        pass\ndef b():\n    pass\n",
        {("a", "function", 1, 4), ("b", "function", 4, 4)},
        3,
    ),
]


@pytest.mark.parametrize(
    ("source", "expected", "problem_line"),
    [pytest.param(s, e, p, id=i) for i, s, e, p in SYNTAX_ERRORS],
)
def test_syntax_errors_recover_every_well_formed_definition(
    source: bytes, expected: set, problem_line: int
) -> None:
    record = extract(source)
    assert record.parser == "parso"
    assert triples(record) == expected
    assert_positions(record, source.decode())
    syntax = [p for p in record.problems if p.message.startswith("SyntaxError")]
    assert syntax, record.problems
    assert syntax[0].line == problem_line, syntax


NEWER_SYNTAX = b"""\
def first[T](x: T) -> T:
    return x


type Alias = list[int]


class Box[T]:
    def get(self) -> T:
        return self.item


def after():
    pass
"""


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="PEP 695 parses natively from 3.12 on")
def test_syntax_newer_than_the_running_python_is_recovered() -> None:
    record = extract(NEWER_SYNTAX)
    assert record.parser == "parso"
    assert triples(record) == {
        ("first", "function", 1, 4),
        ("Alias", "variable", 5, 5),
        ("Box", "class", 8, 6),
        ("get", "method", 9, 8),
        ("after", "function", 13, 4),
    }
    assert_positions(record, NEWER_SYNTAX.decode())
    assert record.problems and record.problems[0].line == 1


def test_match_statement_and_walrus_are_native() -> None:
    source = b"match x:\n    case 1:\n        def inside(): pass\nif (n := 3):\n    N = n\n"
    record = extract(source)
    assert record.parser == "ast"
    assert triples(record) == {("inside", "function", 3, 12), ("N", "constant", 5, 4)}


@pytest.mark.parametrize("depth", [100, 1_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_deeply_nested_expressions_end_with_a_problem_not_a_crash(depth: int) -> None:
    source = b"x = " + b"(" * depth + b"1" + b")" * depth + b"\n\ndef after():\n    pass\n"
    record = extract(source)
    assert ("after", "function", 3, 4) in triples(record)
    assert_positions(record, source.decode())
    if depth > 200:  # the parser's nesting limit
        assert record.problems


@pytest.mark.slow
def test_long_chain_hitting_the_recursion_limit() -> None:
    # A flat expression whose tree is deep: ast's C parser raises RecursionError on it.
    source = b"x = 1" + b" + 1" * 50_000 + b"\n\ndef after():\n    pass\n"
    record = extract(source)
    assert ("after", "function", 3, 4) in triples(record)
    assert record.problems


def test_statements_nested_past_the_indentation_limit() -> None:
    nested = b"".join(b" " * i + b"if x:\n" for i in range(120)) + b" " * 120 + b"pass\n"
    source = nested + b"def after():\n    pass\n"
    record = extract(source)
    assert ("after", "function", 122, 4) in triples(record)
    assert record.problems[0].message.startswith("SyntaxError")


def test_ten_thousand_classes() -> None:
    source = "".join(
        f"class C{i}(Base):\n    '''Doc {i}.'''\n\n    def m{i}(self):\n        return {i}\n\n"
        for i in range(10_000)
    ).encode()
    record = extract(source)
    assert record.parser == "ast"
    classes = [k for k in record.keywords if k.kind == "class"]
    methods = [k for k in record.keywords if k.kind == "method"]
    assert len(classes) == len(methods) == 10_000 == len(record.keywords) // 2
    assert classes[-1].name == "C9999" and classes[-1].line == 6 * 9999 + 1
    assert methods[-1].qualname == "C9999.m9999" and methods[-1].line == 6 * 9999 + 4
    assert classes[1234].summary == "Doc 1234."


def _fifty_megabytes() -> bytes:
    """About 50 MB of Python: 1,000 functions separated by long comment blocks."""
    filler = b"# " + b"x" * 97 + b"\n"
    block = filler * 500  # 50 KB
    return b"".join(b"def f%d():\n    return %d\n" % (i, i) + block for i in range(1_000))


@pytest.fixture(scope="module")
def big_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    (root / "big.py").write_bytes(_fifty_megabytes())
    (root / "small.py").write_text("def small():\n    pass\n")
    return root


def test_fifty_megabyte_file_is_skipped_by_size_with_the_reason(big_tree: Path) -> None:
    settings = load_settings(big_tree, {"cacheDir": str(big_tree / ".cache")})
    found = discover(settings)
    assert [f.path for f in found.files] == ["small.py"]
    [skip] = found.skipped
    assert skip.path == "big.py"
    assert skip.reason.startswith("larger than the size limit (50,")
    assert "2,000,000 bytes" in skip.reason
    # The reader applies the same limit (the file could have grown after discovery).
    outcome = read_and_extract(str(big_tree), "big.py", 2_000_000)
    assert isinstance(outcome, Skip) and outcome.reason.startswith("larger than the size limit")


@pytest.mark.slow
def test_fifty_megabyte_file_is_indexed_with_a_raised_limit(big_tree: Path) -> None:
    settings = load_settings(big_tree, {"maxFileSize": 60_000_000, "useCache": False})
    settings.use_cache = False
    index, report = index_root(settings)
    assert report.skipped == []
    record = index.get("big.py")
    assert record is not None and record.size > 50_000_000
    functions = [k for k in record.keywords if k.kind == "function"]
    assert len(functions) == len(record.keywords) == 1_000
    assert functions[999].name == "f999" and functions[999].line == 999 * 502 + 1


def test_nul_bytes_are_reported_on_their_line() -> None:
    source = b"def a():\n    pass\nx = 1\x00\ndef b():\n    pass\n"
    record = extract(source)
    assert {("a", "function", 1, 4), ("b", "function", 4, 4)} <= triples(record)
    [problem] = [p for p in record.problems if "NUL" in p.message]
    assert problem.line == 3


def test_invalid_utf8_is_reported_and_the_rest_extracted() -> None:
    source = b"def a():\n    pass\ns = '\xff\xfe'\ndef b():\n    pass\n"
    record = extract(source)
    assert triples(record) == {
        ("a", "function", 1, 4),
        ("s", "variable", 3, 0),
        ("b", "function", 4, 4),
    }
    assert record.problems[0].line == 3 and "undecodable" in record.problems[0].message


def test_latin1_with_a_coding_cookie() -> None:
    text = "# -*- coding: latin-1 -*-\ndef café():\n    pass\nclass Été:\n    s = 'ü'\n"
    record = extract(text.encode("latin-1"))
    assert record.encoding == "iso-8859-1"
    assert record.problems == []
    assert triples(record) == {
        ("café", "function", 2, 4),
        ("Été", "class", 4, 6),
        ("s", "attribute", 5, 4),  # a class attribute is a keyword too
    }
    assert_positions(record, text)


def test_cookie_naming_an_unknown_codec() -> None:
    source = b"# coding: no-such-codec\ndef a():\n    pass\n"
    record = extract(source)
    assert ("a", "function", 2, 4) in triples(record)
    assert record.problems and "encoding declaration" in record.problems[0].message


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32", "utf-8-sig"])
def test_byte_order_marks(codec: str) -> None:
    text = "def a():\n    pass\nclass Ünï:\n    pass\n"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    record = extract(data)
    assert record.problems == []
    assert triples(record) == {("a", "function", 1, 4), ("Ünï", "class", 3, 6)}


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"])
def test_line_ends_count_as_an_editor_counts_them(newline: str) -> None:
    lines = ["import os", "def a():", "    pass", "class B:", "    def m(self):", "        pass"]
    if newline == "mixed":
        text = "\r\n".join(lines[:2]) + "\r" + "\n".join(lines[2:]) + "\r\n"
    else:
        text = newline.join(lines) + newline
    record = extract(text.encode())
    assert record.parser == "ast"
    assert triples(record) == {
        ("os", "module", 1, 7),
        ("a", "function", 2, 4),
        ("B", "class", 4, 6),
        ("m", "method", 5, 8),
    }
    assert record.lines == 6 == len(editor_lines(text)) - 1
    assert_positions(record, text)


def test_characters_python_splits_lines_on_but_editors_do_not() -> None:
    # Form feed, vertical tab, NEL, U+2028: str.splitlines breaks on them, LSP does not.
    text = (
        "def a():\n    pass\n\x0cdef b():\n    s = '\u2028\x85\x0b'\n"
        "# \x1c\x1d\x1e\ndef c():\n    pass\n"
    )
    record = extract(text.encode())
    assert triples(record) == {
        ("a", "function", 1, 4),
        ("b", "function", 3, 5),
        ("c", "function", 6, 4),
    }
    assert record.lines == 7
    assert_positions(record, text)


def test_non_ascii_columns_are_code_points() -> None:
    text = "ñ = 1; α = 2\nclass Ω: pass\ns = '日本'; def_ = 1\n"
    record = extract(text.encode())
    assert ("α", "variable", 1, 7) in triples(record)
    assert ("Ω", "class", 2, 6) in triples(record)
    assert ("def_", "variable", 3, 10) in triples(record)
    assert_positions(record, text)


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"", 0), (b"\n\n\n", 3), (b"   ", 1), (b"# only a comment", 1), (b"\xef\xbb\xbf", 0)],
)
def test_empty_and_blank_files(content: bytes, lines: int) -> None:
    record = extract(content)
    assert record.keywords == []
    assert record.problems == []
    assert record.lines == lines


@pytest.mark.parametrize(
    "blob",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64, id="png"),
        # git-crypt: a short header, then uniform noise (9.8 % control bytes).
        pytest.param(b"\x00GITCRYPT\x00" + random.Random(6).randbytes(20_000), id="encrypted"),
        pytest.param(zlib.compress(Path(ast.__file__).read_bytes()), id="zlib"),
    ],
)
def test_a_py_file_that_is_really_binary_is_skipped(tmp_path: Path, blob: bytes) -> None:
    (tmp_path / "image.py").write_bytes(blob)
    outcome = read_and_extract(str(tmp_path), "image.py", 2_000_000)
    assert outcome == Skip("image.py", "binary file")
    # Straight to the extractor (the language server's unsaved buffers take that way).
    record = extract(blob, "image.py")
    assert record.problems
    assert_positions(record, blob.decode("utf-8", "replace"))


def test_every_case_in_one_tree_indexes_with_skips_explained(tmp_path: Path) -> None:
    files = {f"syntax_{i}.py": s for i, s, _, _ in SYNTAX_ERRORS}
    files.update(
        {
            "newer.py": NEWER_SYNTAX,
            "nul.py": b"def nul():\n    pass\n" * 50 + b"x = 1\x00\n",
            "binary.py": bytes(range(256)) * 64,
            "utf16.py": "def u(): pass\n".encode("utf-16"),
            "empty.py": b"",
        }
    )
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    settings = load_settings(tmp_path)
    index, report = index_root(settings)
    assert report.skipped == [Skip("binary.py", "binary file")]
    assert len(index) == len(files) - 1
    assert [d.path for d in index.lookup("after")] == sorted(
        ["newer.py", "syntax_unclosed-paren.py"]
    )


def test_identifiers_python_normalises_are_found_where_written() -> None:
    # NFKC: ``Aª`` defines ``Aa`` and ``ﬁnd`` defines ``find`` (found by the fuzzer).
    text = "class Aª:\n    pass\n\n\ndef ﬁnd():\n    pass\n"
    record = extract(text.encode())
    assert triples(record) == {("Aa", "class", 1, 6), ("find", "function", 5, 4)}
