"""Go-to-definition over stdio: cross-file, jedi for attributes, from generated pages, and the
three ``definitionTarget`` settings; nothing of the workspace is ever executed."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, hover_text, page_cache, session
from lsprotocol import types

pytestmark = pytest.mark.asyncio


def _where(location) -> tuple[Path, int, int]:
    from urllib.parse import unquote, urlparse

    return (
        Path(unquote(urlparse(location.uri).path)),
        location.range.start.line,
        location.range.start.character,
    )


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM])
async def test_definition_across_files(sample: Path, profile: str):
    square = sample / "pkg/square.py"
    async with session(sample, profile) as s:
        await s.ready()
        s.open(square)
        # "    return make_shape('square')" → base.py "def make_shape(" at line 12, col 4.
        found = await s.definition(square, 17, 14)
        assert [_where(x) for x in found] == [(sample / "pkg/base.py", 11, 4)]
        # "class Square(Shape):" → the imported Shape, not other/shape.py's.
        found = await s.definition(square, 5, 15)
        assert [_where(x) for x in found] == [(sample / "pkg/base.py", 3, 6)]
        # A name with no keyword: null.
        assert await s.definition(square, 1, 0) is None


async def test_definition_of_an_attribute_uses_static_inference(sample: Path):
    use = sample / "pkg/use.py"
    use.write_text(
        "from pkg.square import Square\n\nsq = Square()\nvalue = sq.area()\n", encoding="utf-8"
    )
    async with session(sample) as s:
        await s.ready()
        s.open(use)
        # Two methods are named area (Shape.area, Square.area): jedi knows sq is a Square.
        found = await s.definition(use, 3, 12)
        assert [_where(x) for x in found] == [(sample / "pkg/square.py", 8, 8)]
        # A module-level name that is no keyword of the index... jedi still finds it.
        found = await s.definition(use, 3, 9)
        assert [_where(x) for x in found] == [(use, 2, 0)]
        # Locals too: the parameter of a function.
        use.write_text("def twice(number):\n    return number * 2\n", encoding="utf-8")
        s.client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=use.as_uri())
            )
        )
        s.open(use)
        found = await s.definition(use, 1, 12)
        assert [_where(x) for x in found] == [(use, 0, 10)]


async def test_definition_from_a_generated_page(sample: Path):
    async with session(sample) as s:
        await s.ready()
        result = await s.command("kwdocs.server.exportFile", (sample / "pkg/square.py").as_uri())
        page = sample / "docs/kwdocs/pkg/square.py_kw.md"
        assert page.as_uri() in result["pages"]
        lines = page.read_text(encoding="utf-8").splitlines()
        number, line = next((i, t) for i, t in enumerate(lines) if "double" in t)
        s.open(page)
        found = await s.definition(page, number, line.index("double") + 2)
        assert [_where(x) for x in found] == [(sample / "pkg/square.py", 12, 8)]


@pytest.mark.parametrize("inference", ["jedi", "none"])
async def test_definition_inference_setting(sample: Path, inference: str):
    use = sample / "pkg/use.py"
    use.write_text(
        "from pkg.base import Shape\nfrom pkg.square import Square\n\n\n"
        "def make():\n    return Square()\n\n\nvalue = make().area()\n",
        encoding="utf-8",
    )
    async with session(sample, init_options={"definitionInference": inference}) as s:
        await s.ready()
        s.open(use)
        # ``make().area``: only inference knows make() returns a Square.
        found = await s.definition(use, 8, 16)
        places = sorted(_where(x) for x in found or [])
        if inference == "jedi":
            assert places == [(sample / "pkg/square.py", 8, 8)]
        else:  # no inference: kwdocs does not guess which ``area`` it is
            assert places == []


@pytest.mark.parametrize("target", ["source", "docs", "both"])
async def test_definition_target_setting(sample: Path, target: str):
    square = sample / "pkg/square.py"
    async with session(sample, init_options={"definitionTarget": target}) as s:
        await s.ready()
        s.open(square)
        found = await s.definition(square, 17, 14)
        places = [_where(x) for x in found]
        source = (sample / "pkg/base.py", 11, 4)
        page = page_cache(sample) / "pkg/base.py_docs.md"  # no export in the workspace
        if target == "source":
            assert places == [source]
            return
        assert (source in places) == (target == "both")
        docs = [p for p in places if p[0] == page]
        assert len(docs) == 1
        # The location is the heading of make_shape's section in the page written on demand.
        heading = page.read_text(encoding="utf-8").splitlines()[docs[0][1]]
        assert heading.startswith("#") and "make_shape" in heading


async def test_workspace_code_is_never_executed(make_tree, tmp_path: Path):
    marker = tmp_path / "marker"
    root = make_tree(
        {
            "evil.py": (
                "import pathlib\n"
                f"pathlib.Path({str(marker)!r}).write_text('ran')\n"
                "def trap():\n    return 1\n"
            ),
            "use.py": "import evil\nfrom evil import trap\n\nresult = evil.trap() + trap()\n",
        }
    )
    use = root / "use.py"
    async with session(root) as s:
        await s.ready()
        s.open(use)
        assert "trap" in hover_text(await s.hover(use, 3, 15))
        assert await s.definition(use, 3, 15)
        assert await s.definition(use, 0, 8)
        await s.command("kwdocs.server.exportAll")
    assert not marker.exists()


SCOPED = {
    "shapes/__init__.py": "",
    "shapes/base.py": (
        "class Shape:\n"
        "    kind: str = 'shape'\n"
        "\n"
        "    def __init__(self, side):\n"
        "        self.side = side\n"
        "\n"
        "    def area(self):\n"
        "        return 0.0\n"
        "\n"
        "    def describe(self):\n"
        "        return self.kind\n"
        "\n"
        "\n"
        "def make(kind='square'):\n"
        "    return Shape(1)\n"
    ),
    "shapes/square.py": (
        "import os\n"
        "from typing import Any\n"
        "\n"
        "from shapes.base import Shape, make\n"
        "\n"
        "value = 1\n"
        "\n"
        "\n"
        "class Square(Shape):\n"
        "    def area(self):\n"
        "        return self.side * self.describe()\n"
        "\n"
        "\n"
        "def measure(shape: Shape, items: Any) -> int:\n"
        "    value = len(items)\n"
        "    total = [value * n for n in range(value)]\n"
        "    square = Square(2)\n"
        "    make(kind='x')\n"
        "    return shape.area() + square.area() + sum(total) + len(os.path.join('a'))\n"
        "\n"
        "\n"
        "value = value + 1\n"
        "print(value)\n"
    ),
}


def _col(path: Path, line: int, needle: str, occurrence: int = 1) -> int:
    """Column of the ``occurrence``-th ``needle`` on a 0-based line of a file."""
    text = path.read_text(encoding="utf-8").splitlines()[line]
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return at


async def test_definition_follows_scopes_and_evident_receivers(make_tree):
    root = make_tree(SCOPED)
    square, base = root / "shapes/square.py", root / "shapes/base.py"
    async with session(root) as s:
        await s.ready()
        s.open(square)

        async def where(line: int, needle: str, occurrence: int = 1):
            found = await s.definition(square, line, _col(square, line, needle, occurrence) + 1)
            return [_where(x) for x in found] if found else None

        # A local shadows the module's ``value``; a comprehension variable; a parameter.
        assert await where(15, "value", 2) == [(square, 14, 4)]
        assert await where(15, "n", 1) == [(square, 15, 27)]
        assert await where(18, "shape") == [(square, 13, 12)]
        # Receivers whose class is evident: an annotation, a constructor call, self (the
        # attribute inherited from the base class of another file).
        assert await where(18, "area") == [(base, 6, 8)]
        assert await where(18, "area", 2) == [(square, 9, 8)]
        assert await where(10, "describe") == [(base, 9, 8)]
        # An attribute set in __init__ and a field of the class body.
        assert await where(10, "side") == [(base, 4, 13)]
        # Builtins and names of the standard library: their stubs, as type checkers answer.
        [(stub, _line, _column)] = await where(14, "len")
        assert stub.name == "builtins.pyi"
        assert {p.name for p, _l, _c in await where(18, "join")} <= {"posixpath.pyi", "ntpath.pyi"}
        [(typing, _line, _column)] = await where(13, "Any")
        assert typing.name == "typing.pyi"
        # A module-level name reassigned: the last assignment before the use.
        assert await where(22, "value") == [(square, 21, 0)]
        # A keyword argument: the callee's parameter (static inference).
        assert await where(17, "kind") == [(base, 13, 9)]


async def test_columns_of_definitions_in_files_on_disk_follow_their_text(make_tree):
    """A definition in a file that is not open: its column in UTF-16 units counts the astral
    characters before it, and follows the file when it changes on disk."""
    root = make_tree(
        {
            "shapes.py": 'LABEL = "𝔘𝔘"; Ratio = 2\n',
            "use.py": "from shapes import Ratio\n\nvalue = Ratio\n",
        }
    )
    use, shapes = root / "use.py", root / "shapes.py"
    async with session(root) as s:
        await s.ready()
        s.open(use)
        found = await s.definition(use, 2, 10)
        line = 'LABEL = "𝔘𝔘"; Ratio = 2'
        assert [_where(x) for x in found] == [(shapes, 0, line.index("Ratio") + 2)]
        # Same length in bytes, one astral character fewer before the name.
        shapes.write_text('LABEL = "é𝔘é"; Ratio = 2\n', encoding="utf-8")
        await s.command("kwdocs.server.reindex")
        found = await s.definition(use, 2, 10)
        line = 'LABEL = "é𝔘é"; Ratio = 2'
        assert [_where(x) for x in found] == [(shapes, 0, line.index("Ratio") + 1)]
