"""Go-to-definition over stdio: cross-file, jedi for attributes, from generated pages, and the
three ``definitionTarget`` settings; nothing of the workspace is ever executed."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, hover_text, session
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


@pytest.mark.parametrize("target", ["source", "docs", "both"])
async def test_definition_target_setting(sample: Path, target: str):
    square = sample / "pkg/square.py"
    async with session(sample, init_options={"definitionTarget": target}) as s:
        await s.ready()
        s.open(square)
        found = await s.definition(square, 17, 14)
        places = [_where(x) for x in found]
        source = (sample / "pkg/base.py", 11, 4)
        page = sample / "docs/kwdocs/pkg/base.py_docs.md"
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
