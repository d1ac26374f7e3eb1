"""Document symbols (hierarchical and flat) and workspace symbol search, up to the whole
PyTorch tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, capabilities_for, session
from lsprotocol import types

pytestmark = pytest.mark.asyncio


async def _document_symbols(s, path: Path):
    return await s.request(
        types.TEXT_DOCUMENT_DOCUMENT_SYMBOL,
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=path.as_uri())),
    )


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM])
async def test_document_symbols_are_hierarchical(sample: Path, profile: str):
    square = sample / "pkg/square.py"
    async with session(sample, profile) as s:
        s.open(square)
        found = await _document_symbols(s, square)
        assert [(x.name, x.kind) for x in found] == [
            ("Square", types.SymbolKind.Class),
            ("build", types.SymbolKind.Function),
        ]
        cls = found[0]
        assert [(c.name, c.kind) for c in cls.children] == [
            ("area", types.SymbolKind.Method),
            ("double", types.SymbolKind.Method),
        ]
        assert cls.range.start.line == 5 and cls.range.end.line == 13
        assert cls.selection_range.start.character == 6
        assert cls.selection_range.end.character == 12
        assert cls.detail == "class Square(Shape)"


async def test_document_symbols_flat_for_clients_without_hierarchy(sample: Path):
    caps = capabilities_for(VSCODE)
    caps.text_document.document_symbol.hierarchical_document_symbol_support = False
    square = sample / "pkg/square.py"
    readme = sample / "README.md"
    async with session(sample, capabilities=caps) as s:
        s.open(square)
        found = await _document_symbols(s, square)
        assert [(x.name, x.container_name) for x in found] == [
            ("Square", None),
            ("area", "Square"),
            ("double", "Square"),
            ("build", None),
        ]
        assert all(x.location.uri == square.as_uri() for x in found)
        # Markdown headings, from a file that is not even open.
        found = await _document_symbols(s, readme)
        assert [x.name for x in found] == ["Notes"]


async def test_workspace_symbol_ranks_exact_prefix_and_camel_case(sample: Path):
    (sample / "pkg/handles.py").write_text(
        "class FlatParamHandle:\n    pass\n\n\ndef flat_param_handles():\n    pass\n\n\n"
        "def le():\n    pass\n",
        encoding="utf-8",
    )
    async with session(sample) as s:
        await s.ready()

        async def names(query: str) -> list[str]:
            found = await s.request(
                types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=query)
            )
            return [x.name for x in found]

        exact = await names("FlatParamHandle")
        assert exact[0] == "FlatParamHandle"
        assert "le" not in exact  # no fuzzy junk next to an exact answer
        assert (await names("fph"))[:2] == ["FlatParamHandle", "flat_param_handles"]
        assert (await names("FlaParHan"))[:2] == ["FlatParamHandle", "flat_param_handles"]
        assert (await names("Shape"))[:2] == ["Shape", "Shape"]
        assert (await names("make"))[0] == "make_shape"
        assert await names("xqzvw") == []  # no junk for a query nothing resembles
        assert (await names("shaep"))[:1] == ["Shape"]  # a transposition: fuzzy
        assert (await names("Sqare"))[:1] == ["Square"]  # a typo: fuzzy, last resort
        found = await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query="area"))
        assert {x.container_name for x in found} == {"pkg.base.Shape", "pkg.square.Square"}


def _late_symbol(root: Path) -> tuple[str, Path]:
    """A top-level class defined only once, in a file past the 2,000th in sorted order."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert len(files) > 2000
    counts: dict[str, int] = {}
    for rel in files:
        try:
            tree = ast.parse((root / rel).read_bytes())
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                counts[node.name] = counts.get(node.name, 0) + 1
    for rel in files[2000:]:
        tree = ast.parse((root / rel).read_bytes())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and counts[node.name] == 1:
                return node.name, root / rel
    raise AssertionError("no unique class past the 2,000th file")


@pytest.mark.slow
async def test_workspace_symbol_covers_the_whole_torch_tree(torch_root: Path):
    name, path = _late_symbol(torch_root)
    async with session(torch_root) as s:
        status = await s.ready(timeout=600)
        assert status["files"] > 2000
        found = await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=name))
        assert found[0].name == name
        assert found[0].location.uri == path.as_uri()
        assert (
            len(
                await s.request(
                    types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query="forward")
                )
            )
            == 200
        )
