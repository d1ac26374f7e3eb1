"""Start-up, indexing progress, capabilities, file watchers, shutdown, and the client going
away; real server processes over stdio."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, session
from lsprotocol import types

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM])
async def test_initialize_indexes_in_the_background_with_progress(sample: Path, profile: str):
    async with session(sample, profile) as s:
        result = s.initialized.capabilities
        assert s.initialized.server_info.name == "kwdocs"
        assert result.hover_provider and result.definition_provider
        assert result.workspace_symbol_provider and result.document_symbol_provider
        assert result.text_document_sync.change == types.TextDocumentSyncKind.Incremental
        assert set(result.execute_command_provider.commands) == {
            "kwdocs.server.exportAll",
            "kwdocs.server.exportFile",
            "kwdocs.server.reindex",
            "kwdocs.server.debugInfo",
        }
        status = await s.ready()
        assert status == {"state": "ready", "files": 5, "total": 5, "keywords": status["keywords"]}
        assert status["keywords"] > 10
        assert s.statuses[0]["state"] == "indexing"
        # Work-done progress: created by the server, begun, ended.
        reports = list(s.client.progress_reports.values())
        await s.until(lambda: any(r and r[-1].kind == "end" for r in reports))
        indexing = next(r for r in reports if r and r[0].kind == "begin")
        assert "indexing" in indexing[0].title
        assert indexing[-1].kind == "end"
        # File watchers: registered where the client allows dynamic registration only.
        if profile == VSCODE:
            await s.until(lambda: s.registrations)
            [registration] = s.registrations[0].registrations
            assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        else:
            assert s.registrations == []
    assert s.client._server.returncode == 0


async def test_multi_root_workspace(make_tree, tmp_path: Path):
    first = make_tree({"a/alpha.py": "def alpha():\n    pass\n"}, root=tmp_path / "one")
    second = make_tree({"b/beta.py": "def beta():\n    pass\n"}, root=tmp_path / "two")
    async with session([first, second]) as s:
        await s.ready()
        await s.until(lambda: s.statuses[-1]["files"] == 2)
        for name, root in (("alpha", first), ("beta", second)):
            found = await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=name))
            assert [x.location.uri for x in found][:1] == [(root / f"{name[0]}/{name}.py").as_uri()]


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


async def test_server_exits_when_the_client_process_disappears(sample: Path):
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    server = subprocess.Popen(
        [sys.executable, "-m", "kwdocs", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        initialize = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": editor.pid,
                "rootUri": sample.as_uri(),
                "capabilities": {},
            },
        }
        server.stdin.write(_frame(initialize))
        server.stdin.flush()
        header = server.stdout.readline()
        assert header.startswith(b"Content-Length")
        editor.kill()
        editor.wait()
        # stdin stays open: only the process watch can notice the editor is gone.
        deadline = time.monotonic() + 20
        while server.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert server.poll() is not None, "the server outlived its client"
    finally:
        editor.kill()
        server.kill()
        server.wait()


async def test_stdout_carries_only_protocol(sample: Path):
    server = subprocess.Popen(
        [sys.executable, "-m", "kwdocs", "serve", "--log-level", "DEBUG"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": sample.as_uri(), "capabilities": {}},
        },
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None},
        {"jsonrpc": "2.0", "method": "exit", "params": None},
    ]
    out, err = await asyncio.to_thread(
        server.communicate, b"".join(_frame(m) for m in messages), 60
    )
    assert server.returncode == 0
    assert err  # logs went to stderr
    rest = out
    while rest:
        head, _, rest = rest.partition(b"\r\n\r\n")
        assert head.startswith(b"Content-Length: "), head[:80]
        length = int(head.split(b"\r\n")[0].split(b": ")[1])
        json.loads(rest[:length])
        rest = rest[length:]


async def test_indexing_failure_ends_progress_and_reports_error(make_tree, tmp_path: Path):
    import shutil

    root = make_tree({"a.py": "def a():\n    pass\n"}, root=tmp_path / "doomed")
    async with session(root) as s:
        await s.ready()
        shutil.rmtree(root)
        await s.command("kwdocs.server.reindex")
        status = await s.until(
            lambda: s.statuses[-1] if s.statuses[-1]["state"] == "error" else None
        )
        assert "doomed" in status["message"] or "Error" in status["message"]
        # Every progress the server began, it ended.
        for token, reports in s.client.progress_reports.items():
            if reports:
                assert reports[0].kind == "begin" and reports[-1].kind == "end", token


async def test_workspace_folders_added_and_removed(make_tree, tmp_path: Path):
    first = make_tree({"a/alpha.py": "def alpha():\n    pass\n"}, root=tmp_path / "one")
    second = make_tree({"b/beta.py": "def beta():\n    pass\n"}, root=tmp_path / "two")

    async def names(s, query: str) -> list[str]:
        found = await s.request(types.WORKSPACE_SYMBOL, types.WorkspaceSymbolParams(query=query))
        return [x.name for x in found]

    async with session(first) as s:
        await s.ready()
        assert await names(s, "beta") == []
        s.client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(
                    added=[types.WorkspaceFolder(uri=second.as_uri(), name="two")],
                    removed=[types.WorkspaceFolder(uri=first.as_uri(), name="one")],
                )
            )
        )
        for _ in range(200):
            if await names(s, "beta") == ["beta"]:
                break
            await asyncio.sleep(0.05)
        assert await names(s, "beta") == ["beta"]
        assert await names(s, "alpha") == []


async def test_tcp_transport(sample: Path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kwdocs",
            "serve",
            "--tcp",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the server never listened")

        async def call(message: dict) -> dict:
            writer.write(_frame(message))
            await writer.drain()
            length = 0
            while (line := await reader.readline()) != b"\r\n":
                if line.startswith(b"Content-Length"):
                    length = int(line.split(b":")[1])
            return json.loads(await reader.readexactly(length))

        params = {"processId": None, "rootUri": sample.as_uri(), "capabilities": {}}
        reply = await asyncio.wait_for(
            call({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params}), 30
        )
        assert reply["result"]["serverInfo"]["name"] == "kwdocs"
        reply = await call({"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
        assert reply == {"id": 2, "jsonrpc": "2.0", "result": None}
        writer.write(_frame({"jsonrpc": "2.0", "method": "exit", "params": None}))
        await writer.drain()
        assert await asyncio.to_thread(server.wait, 30) == 0
        assert server.stdout.read() == b""  # over TCP, stdout stays silent
    finally:
        server.kill()
        server.wait()
