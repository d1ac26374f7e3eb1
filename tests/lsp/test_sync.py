"""Document sync and outside changes over stdio: unsaved edits change answers at once, an edit
storm leaves the last edit, closing falls back to the disk, watched files and settings apply."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, capabilities_for, hover_text, session
from lsprotocol import types

pytestmark = pytest.mark.asyncio


async def _symbols(s, query: str) -> list[str]:
    found = await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=query))
    return [f"{x.name}@{x.location.uri.rsplit('/', 1)[-1]}" for x in found or []]


async def test_unsaved_edits_change_hover_before_save(sample: Path):
    square = sample / "pkg/square.py"
    async with session(sample) as s:
        await s.ready()
        s.open(square)
        assert "A square." in hover_text(await s.hover(square, 5, 8))
        # '    """A square."""' → '    """A perfect square."""', then hover at once.
        s.edit(square, 2, (6, 9), (6, 9), "perfect ")
        assert "A perfect square." in hover_text(await s.hover(square, 5, 8))
        # The new text also reaches other files' answers and symbol search.
        s.edit(square, 3, (16, 4), (16, 9), "assemble")
        assert "assemble@square.py" in await _symbols(s, "assemble")
        assert "build@square.py" not in await _symbols(s, "build")
        # Closing the unsaved buffer falls back to the file on disk.
        s.client.text_document_did_close(
            types.DidCloseTextDocumentParams(
                text_document=types.TextDocumentIdentifier(uri=square.as_uri())
            )
        )
        await _poll(s, "build", "build@square.py")
        await _poll(s, "assemble", None)


async def test_edit_storm_last_edit_wins(make_tree):
    root = make_tree({"storm.py": "def name_0():\n    pass\n"})
    path = root / "storm.py"
    async with session(root) as s:
        await s.ready()
        s.open(path)
        for i in range(1, 1001):
            old = f"name_{i - 1}"
            s.edit(path, i + 1, (0, 4), (0, 4 + len(old)), f"name_{i}")
        text = hover_text(await s.hover(path, 0, 6))
        assert "name_1000" in text
        # Only the last name is indexed: no trace of the 1,000 intermediate versions.
        assert await _symbols(s, "name_") == ["name_1000@storm.py"]
        info = await s.command("kwdocs.server.debugInfo")
        assert info["openDocuments"][0]["version"] == 1000


async def test_watched_file_changes(sample: Path):
    async with session(sample, VSCODE) as s:
        await s.ready()
        await s.until(lambda: s.registrations)
        extra = sample / "pkg/extra.py"
        extra.write_text("class Extra:\n    pass\n", encoding="utf-8")
        s.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Created)]
            )
        )
        await _poll(s, "Extra", "Extra@extra.py")
        extra.write_text("class Renamed:\n    pass\n", encoding="utf-8")
        s.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Changed)]
            )
        )
        await _poll(s, "Renamed", "Renamed@extra.py")
        assert "Extra@extra.py" not in await _symbols(s, "Extra")
        extra.unlink()
        s.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[types.FileEvent(uri=extra.as_uri(), type=types.FileChangeType.Deleted)]
            )
        )
        await _poll(s, "Renamed", None)


async def _poll(s, query: str, wanted: str | None, present: bool = True) -> None:
    """Wait until symbol search for ``query`` has ``wanted`` (or lacks it; None: any
    name starting with the query)."""
    import asyncio

    found: list[str] = []
    for _ in range(300):
        found = await _symbols(s, query)
        if wanted is None:
            if not any(x.startswith(query) for x in found):
                return
        elif (wanted in found) == present:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{query}: {found}")


async def test_client_without_watchers_notices_changed_files_when_used(sample: Path):
    square = sample / "pkg/square.py"
    base = sample / "pkg/base.py"
    async with session(sample, NEOVIM) as s:
        await s.ready()
        assert s.registrations == []
        s.open(square)
        assert "A geometric shape" in hover_text(await s.hover(square, 5, 15))
        text = base.read_text(encoding="utf-8").replace("A geometric shape", "A changed shape")
        base.write_text(text, encoding="utf-8")
        stat = base.stat()
        os.utime(base, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
        # No watcher told the server: the look-up itself sees the file moved.
        assert "A changed shape" in hover_text(await s.hover(square, 5, 15))


async def test_settings_changes_apply(sample: Path):
    square = sample / "pkg/square.py"
    # Pages on demand into the output folder, so that hover links show which one is in force.
    async with session(sample, configuration={"outputDir": "site", "onDemandPages": "output"}) as s:
        await s.ready()
        s.open(square)
        assert "/ws/site/pkg/base.py_docs.md" in hover_text(await s.hover(square, 5, 15))
        assert "Shape@shape.py" in await _symbols(s, "Shape")
        # Pulled again on didChangeConfiguration: a new output folder and an exclude.
        s.client.set_configuration(
            {"outputDir": "pages", "exclude": ["other/**"], "onDemandPages": "output"},
            section="kwdocs",
        )
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )
        await _poll(s, "Shape", "Shape@base.py")
        await _poll(s, "Shape", "Shape@shape.py", present=False)
        assert "/ws/pages/pkg/base.py_docs.md" in hover_text(await s.hover(square, 5, 15))


async def test_pushed_settings_for_clients_without_configuration(sample: Path):
    caps = capabilities_for(VSCODE)
    caps.workspace.configuration = False
    square = sample / "pkg/square.py"
    # Editors send unset settings as null or "": the defaults, and no complaint.
    options = {
        "outputDir": "first",
        "definitionTarget": "",
        "maxFileSize": None,
        "onDemandPages": "output",  # hover links show which output folder is in force
    }
    async with session(sample, capabilities=caps, init_options=options) as s:
        await s.ready()
        s.open(square)
        assert "/ws/first/pkg/base.py_docs.md" in hover_text(await s.hover(square, 5, 15))
        assert s.client.messages == []
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"kwdocs": {"outputDir": "second", "onDemandPages": "output"}}
            )
        )
        import asyncio

        for _ in range(200):
            text = hover_text(await s.hover(square, 5, 15))
            if "/ws/second/" in text:
                break
            await asyncio.sleep(0.05)
        assert "/ws/second/pkg/base.py_docs.md" in text
        # A wrong value is reported, and the defaults are used, never a crash.
        s.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"kwdocs": {"maxFileSize": "big"}})
        )
        await s.until(lambda: any("max_file_size" in m.message for m in s.client.messages))
        assert hover_text(await s.hover(square, 5, 15))


async def test_incremental_edits_count_lines_as_lsp_does(make_tree):
    # A form feed and U+2028 are not line ends for LSP (str.splitlines thinks they are).
    source = (
        "# a \x0c form feed and a \u2028 separator inside one line\n"
        "label = '𝔘'; x = Thing()\n"
        "\n"
        "\n"
        "class Thing:\n"
        "    '''Old text.'''\n"
    )
    root = make_tree({"mod.py": source})
    path = root / "mod.py"
    async with session(root) as s:
        s.open(path)
        s.edit(path, 2, (5, 7), (5, 10), "New")
        line = "label = '𝔘'; x = Thing()"
        column = len(line[: line.index("Thing")].encode("utf-16-le")) // 2
        assert "New text." in hover_text(await s.hover(path, 1, column + 1))
        # An edit whose range runs past the end is clamped, not refused.
        s.edit(path, 3, (5, 7), (99, 0), "Last.'''\n")
        assert "Last." in hover_text(await s.hover(path, 1, column + 1))


def _def_line(found) -> int:
    location = found[0] if isinstance(found, list) else found
    target = getattr(location, "target_selection_range", None) or location.range
    return target.start.line


async def test_edits_of_every_kind_reach_hover_symbols_and_definition(make_tree):
    source = (
        '"""Module."""\n'
        "\n"
        "import os\n"
        "\n"
        "\n"
        "def helper():\n"
        '    """Helps."""\n'
        "    return os.sep\n"
        "\n"
        "\n"
        "class Holder:\n"
        "    def method(self):\n"
        '        """Old method text."""\n'
        "        return helper()\n"
    )
    root = make_tree({"mod.py": source})
    path = root / "mod.py"
    async with session(root) as s:
        await s.ready()
        s.open(path)
        assert _def_line(await s.definition(path, 13, 16)) == 5
        # Appended at the end (what typing a new function does).
        s.edit(path, 2, (14, 0), (14, 0), 'def appended():\n    """Appended text."""\n')
        assert "Appended text." in hover_text(await s.hover(path, 14, 6))
        # Lines inserted above: the definitions below move with them.
        s.edit(path, 3, (4, 0), (4, 0), "LIMIT = 1\n\n\n")
        assert _def_line(await s.definition(path, 16, 16)) == 8
        assert "LIMIT@mod.py" in await _symbols(s, "LIMIT")
        # Inside a method of a class, then a rename.
        s.edit(path, 4, (15, 11), (15, 14), "New")
        assert "New method text." in hover_text(await s.hover(path, 14, 9))
        s.edit(path, 5, (8, 4), (8, 10), "aide")
        assert "aide@mod.py" in await _symbols(s, "aide")
        assert "helper@mod.py" not in await _symbols(s, "helper")
        # Broken code keeps what can be recovered; fixing it brings the rest back.
        s.edit(path, 6, (0, 0), (0, 0), "def broken(:\n")
        assert "Appended text." in hover_text(await s.hover(path, 18, 6))
        s.edit(path, 7, (0, 0), (1, 0), "")
        assert "Appended text." in hover_text(await s.hover(path, 17, 6))
        # A deleted definition is gone from symbols.
        s.edit(path, 8, (4, 0), (5, 0), "")
        assert "LIMIT@mod.py" not in await _symbols(s, "LIMIT")
        assert "Appended text." in hover_text(await s.hover(path, 16, 6))
