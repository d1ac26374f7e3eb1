"""Parameter lists, annotations and defaults are written as the source writes them, on one line,
and always mean what the source means (checked by parsing them back over real code)."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest
from kwdocs.extract.signature_types import LineList, ParamKind, SignatureParam
from kwdocs.extract.signatures import (
    _one_line,
    _tokenized_one_line,
    annotation,
    parameters,
    signature_parameters,
    source_text,
)
from kwdocs.textlines import content_lines as split_lines


def _def(source: str) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, LineList]:
    tree = ast.parse(source)
    node = next(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
    return node, LineList(split_lines(source))


def _params(source: str) -> str:
    node, lines = _def(source)
    return parameters(node.args, lines)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # The case: unparse writes int(100000000.0).
        ("def f(min_num_params: int = int(1e8)): ...", "min_num_params: int = int(1e8)"),
        (
            "def f(a, b=0x10, /, c='s', *, d: \"Fwd\" = -1.5): ...",
            "a, b=0x10, /, c='s', *, d: \"Fwd\" = -1.5",
        ),
        ("def f(a, /): ...", "a, /"),
        ("def f(a, /, *, b): ...", "a, /, *, b"),
        (
            "def f(*args: str, b=(1,), **kw: dict[str,int]): ...",
            "*args: str, b=(1,), **kw: dict[str,int]",
        ),
        (
            "def f(a=u'x', b=1_000, c=1e400, d=3 .real, e=b'\\x00'): ...",
            "a=u'x', b=1_000, c=1e400, d=3 .real, e=b'\\x00'",
        ),
        ("def f(a: Optional[ int ] = None): ...", "a: Optional[ int ] = None"),
        ("def f(a=lambda x:  x, b='two  spaces'): ...", "a=lambda x: x, b='two  spaces'"),
        # The author's spacing around ':' and '=' is kept.
        ("def f(a:int=1, b : str = 'x', c = 2): ...", "a:int=1, b : str = 'x', c = 2"),
        ("def f(a='tab\there'): ...", "a='tab\there'"),
        ("async def f(a: 'é' = 'ü', b: int = 2): ...", "a: 'é' = 'ü', b: int = 2"),
        ("def f(): ...", ""),
    ],
)
def test_parameters_are_written_as_in_the_source(source: str, expected: str) -> None:
    assert _params(source) == expected


def test_multi_line_defaults_become_one_line_without_comments() -> None:
    source = (
        "def f(\n"
        "    a: Callable[\n"
        "        [int],  # the input\n"
        "        str,\n"
        "    ] = print,\n"
        "    b=(1,\n"
        "       2),\n"
        "    c=x \\\n"
        "        + y,\n"
        "    d=  # a comment between the name and the default\n"
        "        3,\n"
        "):\n"
        "    pass\n"
    )
    assert _params(source) == "a: Callable[[int], str,] = print, b=(1, 2), c=x + y, d= 3"


def test_a_string_spanning_lines_falls_back_to_unparse() -> None:
    source = 'def f(a: "A"="""one\ntwo""", b=1): ...'
    node, lines = _def(source)
    assert parameters(node.args, lines) == "a: \"A\" = 'one\\ntwo', b=1"


@pytest.mark.parametrize(
    "segment",
    [
        "Callable[\n    [int],  # the input\n    str,\n]",
        "(\n  1,\n  2\n)",
        "{  'a  b': 1,\n\t\"#\": [\n  ]  }",
        "x  if  y\n  else  z",
        "f(  # first\n  a)  # last\n  .b",
        "'a' \"b\"\n'c'",
        "'''a''' +  b",  # triple-quoted: not three strings
        '"""a"  b "c"""',
        "f'{a}  b'",  # a prefix
        "'a\\'  b'",  # an escape
        "x \\\n  + y",  # a continuation line
        "ñ  +\n  é",
        "a\v+  b",
        "[\f1,\n\f2]",
        "b: int = (\n    default",  # a parenthesised default: its text leaves a bracket open
        "a)  (b",
    ],
)
def test_one_line_without_the_tokenizer_is_the_tokenizer_s(segment: str) -> None:
    """Plain segments skip the tokenizer; whatever the segment, the text is the tokenizer's."""
    assert _one_line(segment) == _tokenized_one_line("(" + segment + ")")


def test_non_ascii_lines_are_sliced_by_utf8_columns() -> None:
    source = "def f(ß: 'Ä' = 'ö', /, *, ñ: dict[str, 'ü'] = {'é': 1}) -> 'Ω': ..."
    node, lines = _def(source)
    assert parameters(node.args, lines) == "ß: 'Ä' = 'ö', /, *, ñ: dict[str, 'ü'] = {'é': 1}"
    assert node.returns is not None
    assert annotation(node.returns, lines) == "'Ω'"


def test_signature_parameters_name_kinds_annotations_and_defaults() -> None:
    node, lines = _def("def f(a, b: int = int(1e8), /, c=2, *rest: str, d, e: 'E' = 5, **kw): ...")
    assert signature_parameters(node.args, lines) == [
        SignatureParam("a", ParamKind.POSITIONAL_ONLY),
        SignatureParam("b", ParamKind.POSITIONAL_ONLY, "int", "int(1e8)"),
        SignatureParam("c", ParamKind.POSITIONAL_OR_KEYWORD, "", "2"),
        SignatureParam("rest", ParamKind.VAR_POSITIONAL, "str"),
        SignatureParam("d", ParamKind.KEYWORD_ONLY),
        SignatureParam("e", ParamKind.KEYWORD_ONLY, "'E'", "5"),
        SignatureParam("kw", ParamKind.VAR_KEYWORD),
    ]
    assert [p.display_name for p in signature_parameters(node.args, lines)][-4:] == [
        "*rest",
        "d",
        "e",
        "**kw",
    ]


def test_source_text_of_lines_parsed_from_a_region() -> None:
    """Positions are the tree's own: a region parsed alone is read through its own lines."""

    class Shifted:
        def __init__(self, lines: list[str], offset: int) -> None:
            self.lines, self.offset = lines, offset

        def text(self, line: int) -> str:
            return self.lines[line - 1 + self.offset]

    file_lines = ["# header", "x = 1", "def g(a=int(1e8)): ..."]
    region = ast.parse(file_lines[2]).body[0]
    assert isinstance(region, ast.FunctionDef)
    assert parameters(region.args, Shifted(file_lines, 2)) == "a=int(1e8)"
    default = region.args.defaults[0]
    assert source_text(default, Shifted(file_lines, 2)) == "int(1e8)"


def _same_meaning(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: LineList) -> None:
    text = parameters(node.args, lines)
    assert "\n" not in text
    again = ast.parse(f"def f({text}): pass").body[0]
    assert isinstance(again, ast.FunctionDef)
    assert ast.dump(again.args) == ast.dump(node.args), text
    position = 0
    for param in signature_parameters(node.args, lines):
        for part in (param.display_name, param.annotation, param.default):
            position = text.index(part, position) + len(part)
    if node.returns is not None:
        returned = annotation(node.returns, lines)
        assert ast.dump(ast.parse(returned, mode="eval").body) == ast.dump(node.returns)


def _functions_of(files: list[Path]):
    for path in files:
        try:
            text = path.read_text("utf-8")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        lines = LineList(split_lines(text.replace("\r\n", "\n").replace("\r", "\n")))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield path, node, lines


def test_every_function_of_the_standard_library_keeps_its_meaning(stdlib_root: Path) -> None:
    """Parsed back, the written parameter list is the source's (a third of the stdlib)."""
    files = sorted(
        p
        for p in stdlib_root.rglob("*.py")
        if "site-packages" not in p.relative_to(stdlib_root).parts
    )[::3]
    checked = 0
    for path, node, lines in _functions_of(files):
        try:
            _same_meaning(node, lines)
        except AssertionError as error:
            raise AssertionError(f"{path}:{node.lineno}: {error}") from None
        checked += 1
    assert checked > 10_000


def test_fsdp_functions_keep_meaning_and_spelling(torch_root: Path) -> None:
    fsdp = torch_root / "torch" / "distributed" / "fsdp"
    checked = 0
    for _path, node, lines in _functions_of(sorted(fsdp.rglob("*.py"))):
        _same_meaning(node, lines)
        checked += 1
    assert checked > 500
    # The example: a default written int(1e8) in wrap.py.
    wrap = (fsdp / "wrap.py").read_text()
    found = [
        parameters(n.args, LineList(split_lines(wrap)))
        for n in ast.walk(ast.parse(wrap))
        if isinstance(n, ast.FunctionDef) and n.name == "size_based_auto_wrap_policy"
    ]
    assert found and "min_num_params: int = int(1e8)" in found[0]
