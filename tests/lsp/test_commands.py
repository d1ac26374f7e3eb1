"""workspace/executeCommand over stdio: export all, export one file, re-index, debug info."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from lsp_session import VSCODE, session
from pygls.exceptions import JsonRpcException

pytestmark = pytest.mark.asyncio


async def test_export_all_writes_every_page_with_progress(sample: Path):
    async with session(sample, VSCODE) as s:
        await s.ready()
        before = set(s.client.progress_reports)
        result = await s.command("kwdocs.server.exportAll")
        assert isinstance(result["seconds"], float)
        [folder] = result["folders"]
        assert folder["files"] == 5
        assert folder["written"] >= 10
        out = sample / "docs/kwdocs"
        for rel in ("pkg/base.py", "pkg/square.py", "other/shape.py", "README.md"):
            assert (out / f"{rel}_docs.md").is_file()
            assert (out / f"{rel}_kw.md").is_file()
        # The export reported work-done progress that began and ended.
        new = [t for t in s.client.progress_reports if t not in before]
        kinds = [[v.kind for v in s.client.progress_reports[t]] for t in new]
        assert any(k[0] == "begin" and k[-1] == "end" for k in kinds), kinds
        # A second export finds nothing to rewrite.
        again = await s.command("kwdocs.server.exportAll", {"folderUri": sample.as_uri()})
        assert again["folders"][0]["written"] == 0
        assert again["folders"][0]["unchanged"] >= folder["written"]
        with pytest.raises(JsonRpcException):
            await s.command("kwdocs.server.exportAll", {"folderUri": "file:///nowhere"})


async def test_export_file_and_reindex_and_debug_info(sample: Path):
    base = sample / "pkg/base.py"
    async with session(sample) as s:
        await s.ready()
        result = await s.command("kwdocs.server.exportFile", base.as_uri())
        pages = [Path(unquote(urlparse(p).path)) for p in result["pages"]]
        assert pages and all(p.is_file() for p in pages)
        assert sample / "docs/kwdocs/pkg/base.py_docs.md" in pages
        assert not (sample / "docs/kwdocs/pkg/square.py_docs.md").exists()
        with pytest.raises(JsonRpcException):
            await s.command("kwdocs.server.exportFile", "file:///not/in/the/workspace.py")

        (sample / "pkg/more.py").write_text("def more():\n    pass\n", encoding="utf-8")
        counts = await s.command("kwdocs.server.reindex")
        assert counts["files"] == 6
        assert counts["keywords"] > 10
        assert isinstance(counts["seconds"], float)

        s.open(base)
        info = await s.command("kwdocs.server.debugInfo")
        assert info["version"]
        assert info["index"]["files"] == 6
        assert info["folders"][0]["state"] == "ready"
        assert info["positionEncoding"] == "utf-16"
        assert info["openDocuments"][0]["uri"] == base.as_uri()
        assert info["settings"][sample.as_uri()]["definition_target"] == "source"
        assert info["clientCapabilities"]["workDoneProgress"] is True


async def test_garbage_is_collected_between_requests_not_during_them(sample: Path):
    async with session(sample) as s:
        await s.ready()
        info = await s.command("kwdocs.server.debugInfo")
        # The index is frozen out of the collector's way once built...
        assert info["garbageCollector"]["frozen"] > 0
        before = info["garbageCollector"]["fullCollections"]
        s.open(sample / "pkg/base.py")  # work that allocates
        # ... and a full collection runs once the client has been quiet for a moment.
        await asyncio.sleep(2.5)
        info = await s.command("kwdocs.server.debugInfo")
        assert info["garbageCollector"]["fullCollections"] > before
        assert info["garbageCollector"]["frozen"] > 0

        # A burst of work with no pause: ~100,000 allocations (far past the point where the
        # automatic collector would have walked everything) and no full collection.
        big = sample / "pkg/big.py"
        body = "".join(
            f"def f{i}(a, b=[1, 2], *c, **d):\n    x = {{'k': [a, b, (c, d)]}}\n    return x\n"
            for i in range(3000)
        )
        before = info["garbageCollector"]["fullCollections"]
        s.open(big, body)
        for line in (0, 3999, 8997):  # ``def fN``: hovers that answer once the buffer is read
            for _ in range(500):
                if await s.hover(big, line, 5) is not None:
                    break
                await asyncio.sleep(0.02)
            else:
                raise AssertionError(f"no hover on line {line}")
        info = await s.command("kwdocs.server.debugInfo")
        assert info["garbageCollector"]["fullCollections"] == before
