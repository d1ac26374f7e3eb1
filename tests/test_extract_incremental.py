"""Incremental extraction of edited Python buffers: whatever the edit, the record equals a full
extraction of the same bytes (the oracle), and the edits it cannot handle alone fall back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kwdocs.extract import extract_source
from kwdocs.extract.incremental import IncrementalExtractor, changed_lines
from kwdocs.textlines import content_lines

FIXTURES = Path(__file__).parent / "fixtures/workspace"
TORCH_FILES = ("torch/_inductor/cudagraph_trees.py", "torch/__init__.py", "torch/_ops.py")
# Pieces of code an edit inserts or replaces lines with: definitions, imports that repeat
# others, __all__, broken code, unicode, line continuations, future imports.
SNIPPETS = (
    'def kw_probe():\n    """Probe summary."""\n',
    "class Probe(Base):\n    value: int = 1\n\n    def method(self):\n        pass\n",
    "    indented = 1\n",
    "    # the comment above a field\n",
    "    field: int = 0  # its trailing comment\n",
    "class Fields:\n    # why a is here\n    a: int = 1\n    b = 2  # b's comment\n",
    "    def calls(self, x):\n        self.other(x.y(), helper())\n",
    "import os\n",
    "import os.path as osp\n",
    "from . import sibling as alias\n",
    "from typing import Any\n",
    "__all__ = ['a', 'b']\n",
    "__all__ += ['c']\n",
    "LIMIT = 10; other = 2\n",
    "LIMIT = 11\n",
    "@decorator\n",
    "@decorator\ndef decorated():\n    pass\n",
    "else:\n    pass\n",
    "x = (\n",
    '"""\n',
    '"""A new module docstring."""\n',
    "value = 1 \\\n",
    "\\\n",
    "\n",
    "# a comment\n",
    "    # an indented comment\n",
    "é_name = 'ünïcode ✓'\n",
    "def ünï(a: 'é') -> None:\n    '''Dökstring.'''\n",
    "from __future__ import annotations\n",
    "if True:\n    inner_name = 1\n",
    "try:\n    import fast\nexcept ImportError:\n    fast = None\n",
    "async def coro():\n    await thing()\n",
    "match x:\n    case 1:\n        y = 2\n",
    "x = 1\r\ny = 2\r\n",
    "\x0c\n",
    # Docstrings assigned after a definition (in its class body, or at module level).
    '    __doc__ = "Body doc." + f"{x}"\n',
    "    __doc__ = helper.__doc__\n",
    'Probe.__doc__ = r"""Assigned doc."""\n',
    "kw_probe.__doc__ = other.__doc__\n",
    '    """An attribute docstring.\n\n    Second paragraph."""\n',
)


def _fixture_texts() -> list[tuple[str, str]]:
    return [
        (p.relative_to(FIXTURES).as_posix(), p.read_text(encoding="utf-8"))
        for p in sorted(FIXTURES.rglob("*.py"))
    ]


def _edits(most: int) -> st.SearchStrategy[list[tuple[str, float, int, str, str]]]:
    return st.lists(
        st.tuples(
            st.sampled_from(("insert", "delete", "replace", "type", "join")),
            st.floats(0, 1),
            st.integers(0, 4),
            st.sampled_from(SNIPPETS),
            st.text(max_size=3),
        ),
        min_size=1,
        max_size=most,
    )


def _apply(text: str, edit: tuple[str, float, int, str, str]) -> str:
    """One edit of whole lines (or characters, for ``type``) at a relative position."""
    op, where, size, snippet, typed = edit
    lines = text.split("\n")
    at = min(int(where * len(lines)), len(lines) - 1)
    if op == "insert":
        lines[at:at] = snippet.split("\n")[:-1]
    elif op == "delete":
        del lines[at : at + size]
    elif op == "replace":
        lines[at : at + size] = snippet.split("\n")[:-1]
    elif op == "type":
        line = lines[at]
        col = min(size * 3, len(line))
        lines[at] = line[:col] + typed + line[col:]
    else:  # join two lines
        lines[at : at + 2] = ["".join(lines[at : at + 2])]
    return "\n".join(lines)


def _check_sequence(path: str, text: str, steps: list[tuple[str, float, int, str, str]]) -> None:
    extractor = IncrementalExtractor(path)
    assert extractor.extract(text.encode()) == extract_source(path, text.encode()).record
    for edit in steps:
        new = _apply(text, edit)
        data = new.encode("utf-8", "surrogatepass")
        got = extractor.extract(data)
        assert got == extract_source(path, data).record, (extractor.last, edit)
        # Like an editor that keeps typing from broken code, or is undone back to good code.
        if edit[2] % 2 == 0 or got.parser == "ast":
            text = new


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_fixture_texts()), _edits(10))
def test_incremental_equals_full_on_fixtures(
    file: tuple[str, str], steps: list[tuple[str, float, int, str, str]]
) -> None:
    _check_sequence(file[0], file[1], steps)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(TORCH_FILES), _edits(5))
def test_incremental_equals_full_on_torch(
    torch_root: Path, rel: str, steps: list[tuple[str, float, int, str, str]]
) -> None:
    text = (torch_root / rel).read_text(encoding="utf-8")
    _check_sequence(rel, text, steps)


@given(st.text(alphabet="ab\n", max_size=12), st.text(alphabet="ab\n", max_size=12))
def test_changed_lines_bound_the_difference(old: str, new: str) -> None:
    old_lines, new_lines = content_lines(old), content_lines(new)
    k, m = changed_lines(old, new, len(old_lines), len(new_lines))
    assert old_lines[:k] == new_lines[:k]
    assert old_lines[len(old_lines) - m :] == new_lines[len(new_lines) - m :]
    assert k + m <= min(len(old_lines), len(new_lines))


BASE = (
    '"""Module docstring."""\n'
    "\n"
    "import os\n"
    "from pkg import thing\n"
    "\n"
    "__all__ = ['first']\n"
    "\n"
    "\n"
    "def first():\n"
    '    """First summary."""\n'
    "    return os.sep\n"
    "\n"
    "\n"
    "class Second:\n"
    "    def method(self):\n"
    "        import os\n"
    "        return thing\n"
)


def _run(before: str, after: str, path: str = "pkg/mod.py") -> IncrementalExtractor:
    extractor = IncrementalExtractor(path)
    extractor.extract(before.encode("utf-8", "surrogatepass"))
    data = after.encode("utf-8", "surrogatepass")
    assert extractor.extract(data) == extract_source(path, data).record
    return extractor


@pytest.mark.parametrize(
    "after",
    [
        BASE + 'def kw_probe():\n    """Probe summary."""\n',  # appended (the usual typing)
        BASE.replace("First summary", "Changed summary"),
        BASE.replace("def first():\n", "def renamed():\n"),
        BASE.replace("\n\ndef first", "\n\nLIMIT = 1\n\n\ndef first"),  # lines shift below
        BASE.replace('"""Module docstring."""', '"""Another docstring."""'),
        BASE.replace("__all__ = ['first']", "__all__ = ['first', 'Second']"),
        BASE.replace("import os\n", ""),  # the import inside the method now counts
        BASE.replace("\ndef first", "\nimport os\ndef first"),  # a repeated import
        BASE + "x = 1; y = 2\n",
    ],
)
def test_edits_outside_syntax_errors_are_incremental(after: str) -> None:
    assert _run(BASE, after).last in ("incremental", "class body")


@pytest.mark.parametrize(
    ("after", "how"),
    [
        (BASE.replace("return thing\n", "return other\n"), "class body"),
        (BASE + "\n    def added(self):\n        '''Added.'''\n", "class body"),
        (BASE.replace("class Second:\n", "class Second:\n    '''Documented.'''\n"), "class body"),
        (BASE.replace("    def method", "    @property\n    def method"), "class body"),
        (BASE + "def after():\n    pass\n", "incremental"),  # after the class, not in it
        (BASE.replace("    def method(self):", "  def method(self):"), "incremental"),
        (BASE.replace("    def method(self):", "\tdef method(self):"), "syntax error"),
    ],
)
def test_edits_inside_a_class_parse_its_body_statements_only(after: str, how: str) -> None:
    # (Re-indenting the only method changes the whole body: the class is parsed again.)
    assert _run(BASE, after).last == how


DOCS = (
    "class Probe:\n"
    "    __doc__ = helper.__doc__\n"
    "\n"
    "    def method(self):\n"
    "        class Inner:\n"
    "            __doc__ = 'Inner doc.'\n"
    "\n"
    "\n"
    "def kw_probe():\n"
    "    pass\n"
    "\n"
    "\n"
    "kw_probe.__doc__ = other.__doc__\n"
)


@pytest.mark.parametrize(
    "after",
    [
        "\n\n" + DOCS,  # every assignment's line shifts
        DOCS.replace("    def method(self):\n", "    x = 1\n\n    def method(self):\n"),
        DOCS.replace("helper.__doc__", "'Now a literal.'"),
        DOCS.replace("'Inner doc.'", "inner.__doc__"),
        DOCS.replace("other.__doc__", "'Now read.' + f'{x}'"),
        DOCS.replace("kw_probe.__doc__", "gone.__doc__"),
    ],
)
def test_assigned_docstrings_follow_edits(after: str) -> None:
    _run(DOCS, after)


@pytest.mark.parametrize(
    ("after", "reason"),
    [
        (BASE + "def broken(:\n", "syntax error"),
        (
            BASE.replace("    return os.sep\n", "    return os.sep\n  bad_indent = 1\n"),
            "syntax error",
        ),
        (
            BASE.replace("import os\n", "from __future__ import annotations\nimport os\n"),
            "future import",
        ),
        ("from __future__ import annotations\n" + BASE, "future import"),
        (BASE + "from __future__ import barry_as_FLUFL\n", "future import"),
    ],
)
def test_unsafe_edits_fall_back_to_full_extraction(after: str, reason: str) -> None:
    assert _run(BASE, after).last == reason


def test_a_backslash_before_the_edit_falls_back() -> None:
    # ``x = 1 \`` continues into the blank line after it: what is typed there joins it.
    before = "x = 1 \\\n\ny = 2\n"
    extractor = _run(before, "x = 1 \\\nz = 3\ny = 2\n")
    assert extractor.last == "line continuation"


def test_broken_then_fixed_buffer_recovers() -> None:
    extractor = IncrementalExtractor("mod.py")
    for text in (BASE, BASE + "def half(", BASE + "def half():\n    pass\n", BASE + "z = 2\n"):
        data = text.encode()
        assert extractor.extract(data) == extract_source("mod.py", data).record
    assert extractor.last == "incremental"


def test_line_ends_and_bom_match_full_extraction() -> None:
    crlf = BASE.replace("\n", "\r\n")
    _run(crlf, crlf + "def kw_probe():\r\n    pass\r\n")
    _run("\ufeff" + BASE, "\ufeff" + BASE + "late = 1\n")
    _run(BASE, BASE + "bad = '\udcff'\n")  # a lone surrogate: undecodable bytes


def test_other_languages_extract_in_full() -> None:
    extractor = IncrementalExtractor("notes.md")
    data = b"# Title\n\nText.\n"
    assert extractor.extract(data) == extract_source("notes.md", data).record
    assert extractor.last == "full"


ATTRIBUTE_DOCS = (
    "class Probe:\n"
    "    a: int = 1\n"
    '    """A\'s docstring."""\n'
    "\n"
    "    b = 2\n"
    '    """B\'s docstring."""\n'
)


@pytest.mark.parametrize(
    "after",
    [
        ATTRIBUTE_DOCS.replace("B's docstring", "B's new docstring"),
        ATTRIBUTE_DOCS.replace("A's docstring", "A's new docstring"),
        ATTRIBUTE_DOCS.replace("    b = 2\n", "    b = 2  # now a comment\n"),
        ATTRIBUTE_DOCS.replace('    """B\'s docstring."""\n', ""),
        ATTRIBUTE_DOCS.replace("    b = 2\n", "    b = 2\n    c = 3\n"),
    ],
)
def test_attribute_docstrings_follow_edits(after: str) -> None:
    _run(ATTRIBUTE_DOCS, after)
