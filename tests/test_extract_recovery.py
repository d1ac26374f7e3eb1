"""Files that ``ast`` rejects still yield their keywords (parso's error recovery) and say why."""

from __future__ import annotations

import sys
from pathlib import Path

from kwdocs.extract import extract_bytes


def _names(source: str) -> dict[str, str]:
    record = extract_bytes("broken.py", source.encode())
    return {k.qualname: k.kind for k in record.keywords}


def test_syntax_error_keeps_definitions_around_it() -> None:
    source = (
        "import os\n"
        "from typing import Any as A\n"
        "X = 1\n"
        "class Good:\n"
        '    """Fine."""\n'
        "    def method(self):\n"
        "        return 1\n"
        "def broken(:\n"
        "    pass\n"
        "def after(a, b) -> int:\n"
        "    return a\n"
    )
    record = extract_bytes("broken.py", source.encode())
    assert record.parser == "parso"
    assert record.problems and record.problems[0].line == 8
    assert record.problems[0].message.startswith("SyntaxError")
    kinds = {k.qualname: k.kind for k in record.keywords}
    assert kinds["Good"] == "class"
    assert kinds["Good.method"] == "method"
    assert kinds["after"] == "function"
    assert kinds["broken"] == "function"
    assert kinds["os"] == "module"
    assert kinds["A"] == "import"
    assert kinds["X"] == "constant"
    good = next(k for k in record.keywords if k.name == "Good")
    assert good.summary == "Fine."
    lines = source.splitlines()
    for keyword in record.keywords:
        assert lines[keyword.line - 1][keyword.col : keyword.end_col] == keyword.name


def test_newer_syntax_than_the_running_python() -> None:
    source = (
        "type Alias = int\n"
        "def first[T](x: T) -> T:\n"
        "    return x\n"
        "class Box[T]:\n"
        "    def get(self) -> T: ...\n"
    )
    record = extract_bytes("new.py", source.encode())
    kinds = {k.qualname: k.kind for k in record.keywords}
    assert kinds["first"] == "function"
    assert kinds["Box"] == "class"
    assert kinds["Box.get"] == "method"
    if sys.version_info < (3, 12):
        assert record.parser == "parso" and record.problems


def test_torch_files_with_newer_syntax_get_keywords(torch_root: Path) -> None:
    """PyTorch ships a few files with 3.12 syntax; on 3.11 they go through recovery."""
    recovered = 0
    for file in sorted((torch_root / "torch").rglob("*.py")):
        data = file.read_bytes()
        try:
            compile(data, str(file), "exec", flags=0x400, dont_inherit=True)  # PyCF_ONLY_AST
        except SyntaxError:
            record = extract_bytes(file.relative_to(torch_root).as_posix(), data)
            assert record.problems
            assert record.keywords, file
            recovered += 1
    if sys.version_info < (3, 12):
        assert recovered >= 1


def test_nul_bytes_and_deep_nesting_do_not_raise() -> None:
    record = extract_bytes("nul.py", b"def ok(): pass\nx = 1\x00\n")
    assert record.problems
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000 + "\ndef still_here(): pass\n"
    record = extract_bytes("deep.py", deep.encode())
    assert record.problems
