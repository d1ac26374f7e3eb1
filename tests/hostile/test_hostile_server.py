"""The language server under hostile traffic, driven as a real process over stdio with raw
bytes: malformed framing and JSON, unknown methods, wrong parameter types, impossible
positions, strange URIs, an edit storm and a client that vanishes. It keeps answering, its
memory stays bounded, the last edit wins, and it exits when its client is gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rpc_support import RawServer, hover_params


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("server") / "ws"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "mod.py").write_text(
        'def target():\n    """The target."""\n\n\nclass Thing:\n    pass\n\n\nx = target()\n'
    )
    (root / "notes.md").write_text("# Notes\n\nCall `target`.\n")
    return root


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[RawServer]:
    """One server for the tests that must not kill it: each ends by checking it still works."""
    raw = RawServer(workspace)
    try:
        raw.initialize(workspace)
        raw.wait_ready("target", (workspace / "pkg" / "mod.py").as_uri())
        yield raw
    finally:
        raw.close()


def still_answers(server: RawServer, workspace: Path) -> None:
    reply = server.request("textDocument/hover", hover_params(mod_uri(workspace), 0, 5))
    assert "target" in json.dumps(reply["result"]), reply
    assert server.alive()


def mod_uri(workspace: Path) -> str:
    return (workspace / "pkg" / "mod.py").as_uri()


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


MALFORMED_BODIES = {
    "invalid-json": b"{not json",
    "truncated-json": b'{"jsonrpc": "2.0", "id": 99, "method": "textDocument/hov',
    "json-array": b"[1, 2, 3]",
    "json-number": b"42",
    "json-null": b"null",
    "no-method": b'{"jsonrpc": "2.0", "id": 98}',
    "method-not-a-string": b'{"jsonrpc": "2.0", "id": 97, "method": 5}',
    "invalid-utf8": b'{"jsonrpc": "2.0", "method": "\xff\xfe"}',
    "deep-nesting": b'{"jsonrpc": "2.0", "method": "x", "params": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}",
}


@pytest.mark.parametrize("body", list(MALFORMED_BODIES.values()), ids=list(MALFORMED_BODIES))
def test_malformed_json_bodies(server: RawServer, workspace: Path, body: bytes) -> None:
    server.send_bytes(frame(body))
    still_answers(server, workspace)


def test_malformed_headers_then_recovery(server: RawServer, workspace: Path) -> None:
    # Headers without a usable length; each is followed by a well-formed message.
    for junk in (
        b"Content-Length: abc\r\n\r\n",
        b"Content-Length: -5\r\n\r\n",
        b"X-Nonsense: 1\r\n\r\n",
        b"\r\n\r\n",
        b"garbage without any header at all\r\n\r\n",
    ):
        server.send_bytes(junk)
        still_answers(server, workspace)


def test_unknown_methods(server: RawServer, workspace: Path) -> None:
    reply = server.request("kwdocs/noSuchMethod", {"a": 1})
    assert reply["error"]["code"] == -32601
    server.notify("kwdocs/noSuchNotification", {"a": 1})
    server.notify("$/noSuchThing", None)
    still_answers(server, workspace)


WRONG_PARAMS = [
    None,
    [],
    "text",
    {"textDocument": "not an object", "position": {"line": 0, "character": 0}},
    {"textDocument": {"uri": 5}, "position": {"line": 0, "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": "zero", "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": -1, "character": -1}},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 2**40, "character": 0}},
    {"textDocument": {"uri": "file:///x.py"}, "position": None},
]


@pytest.mark.parametrize(
    "method", ["textDocument/hover", "textDocument/definition", "textDocument/documentSymbol"]
)
def test_wrong_parameter_types_get_an_error_or_null(
    server: RawServer, workspace: Path, method: str
) -> None:
    for params in WRONG_PARAMS:
        reply = server.request(method, params)
        assert "error" in reply or reply.get("result") in (None, []), (params, reply)
    reply = server.request("workspace/symbol", {"query": 5})
    assert "error" in reply or reply.get("result") in (None, []), reply
    reply = server.request("workspace/executeCommand", {"command": "kwdocs.noSuch", "arguments": 1})
    assert "error" in reply or reply.get("result") is None, reply
    still_answers(server, workspace)


def test_positions_beyond_the_end(server: RawServer, workspace: Path) -> None:
    uri = mod_uri(workspace)
    for line, character in [(0, 10_000), (10_000, 0), (8, 999), (9, 0), (2**31 - 1, 2**31 - 1)]:
        for method in ("textDocument/hover", "textDocument/definition"):
            reply = server.request(method, hover_params(uri, line, character))
            assert "error" in reply or reply["result"] in (None, []), (line, character, reply)
    still_answers(server, workspace)


def test_uris_of_missing_foreign_and_junk_files(server: RawServer, workspace: Path) -> None:
    uris = [
        (workspace / "pkg" / "missing.py").as_uri(),
        "file:///etc/passwd",
        "file:///dev/zero",
        (workspace.parent / "outside.py").as_uri(),
        "untitled:Untitled-1",
        "https://example.com/x.py",
        "file:///%00.py",
        ":::::",
        "",
        "file://" + "a" * 10_000,
    ]
    if not (workspace / "pipe.py").exists():
        os.mkfifo(workspace / "pipe.py")
    uris.append((workspace / "pipe.py").as_uri())
    for uri in uris:
        for method in ("textDocument/hover", "textDocument/definition"):
            reply = server.request(method, hover_params(uri, 0, 1))
            assert "error" in reply or reply["result"] in (None, []), (uri, reply)
        reply = server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
        assert "error" in reply or reply["result"] in (None, []), (uri, reply)
    # Opening such documents (the editor may open anything) is fine too.
    for uri in uris:
        server.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}},
        )
    still_answers(server, workspace)


def test_a_storm_of_edits_last_edit_wins_memory_bounded(server: RawServer, workspace: Path) -> None:
    uri = (workspace / "pkg" / "storm.py").as_uri()
    server.notify(
        "textDocument/didOpen",
        {"textDocument": {"uri": uri, "languageId": "python", "version": 0, "text": ""}},
    )
    server.request("textDocument/hover", hover_params(uri, 0, 0))  # processed in order
    before = server.rss_kib()
    started = time.monotonic()
    edits = 3_000
    for version in range(1, edits + 1):
        big = "x" * 20_000  # every edit a 20 KB document: a leak would show
        text = f"def edit_{version}():\n    '''{big}'''\n"
        server.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": text}],
            },
        )
        if version % 1_000 == 0:  # pace: about 1,000 edits per second
            elapsed = time.monotonic() - started
            time.sleep(max(0.0, version / 1_000 - elapsed))
    # The last edit wins: its function is what hover finds, and no earlier one.
    deadline = time.monotonic() + 30
    while True:
        reply = server.request("textDocument/hover", hover_params(uri, 0, 5))
        text = json.dumps(reply.get("result"))
        if f"edit_{edits}" in text:
            break
        assert time.monotonic() < deadline, reply
        time.sleep(0.1)
    reply = server.request("workspace/symbol", {"query": "edit_"})
    names = {s["name"] for s in reply["result"]}
    assert names == {f"edit_{edits}"}, sorted(names)[:5]
    grown = server.rss_kib() - before
    assert grown < 150_000, f"memory grew by {grown} KiB over {edits} edits"
    still_answers(server, workspace)


def test_server_exits_when_stdin_closes(workspace: Path) -> None:
    raw = RawServer(workspace)
    try:
        raw.initialize(workspace)
        assert raw.process.stdin is not None
        raw.process.stdin.close()
        raw.process.wait(timeout=20)
    finally:
        if raw.process.poll() is None:
            raw.process.kill()
            raw.process.wait()
        raw._stderr.close()


def test_server_exits_when_the_client_process_dies(workspace: Path) -> None:
    editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    raw = RawServer(workspace)
    try:
        raw.initialize(workspace, process_id=editor.pid)
        raw.drain(1.0)
        assert raw.alive()
        editor.send_signal(signal.SIGKILL)
        editor.wait()
        # The stdin pipe stays open (held by this test): only the process watch can notice.
        raw.process.wait(timeout=60)
        assert raw.process.returncode != 0
    finally:
        if editor.poll() is None:
            editor.kill()
            editor.wait()
        if raw.process.poll() is None:
            raw.process.kill()
            raw.process.wait()
        raw._stderr.close()


def test_a_storm_of_incremental_edits_with_impossible_ranges(
    server: RawServer, workspace: Path
) -> None:
    uri = (workspace / "pkg" / "ranges.py").as_uri()
    server.notify(
        "textDocument/didOpen",
        {
            "textDocument": {
                "uri": uri,
                "languageId": "python",
                "version": 0,
                "text": "def start():\n    pass\n",
            }
        },
    )

    def change(version: int, change: dict) -> None:
        server.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )

    def span(a: tuple[int, int], b: tuple[int, int]) -> dict:
        return {
            "start": {"line": a[0], "character": a[1]},
            "end": {"line": b[0], "character": b[1]},
        }

    # Ranges past the end, reversed, negative, astronomically far: none may stop the server.
    impossible = [
        span((10**6, 0), (10**6, 5)),
        span((0, 50), (0, 2)),
        span((1, 0), (0, 0)),
        span((0, 10**9), (5, 10**9)),
        span((-1, -1), (0, 0)),
    ]
    version = 0
    for bad in impossible:
        version += 1
        change(version, {"range": bad, "text": "zz"})
    version += 1
    change(version, {"text": "def start():\n    pass\n"})  # a full text resets the buffer
    for step in range(1, 1_001):
        version += 1
        # Replace line 1 (0-based 0) each time: ``def start():`` becomes ``def edit_N():``.
        change(version, {"range": span((0, 0), (1, 0)), "text": f"def edit_{step}():\n"})
    deadline = time.monotonic() + 30
    while True:
        reply = server.request("textDocument/hover", hover_params(uri, 0, 5))
        if "edit_1000" in json.dumps(reply.get("result")):
            break
        assert time.monotonic() < deadline, reply
        time.sleep(0.1)
    reply = server.request("textDocument/documentSymbol", {"textDocument": {"uri": uri}})
    assert [s["name"] for s in reply["result"]] == ["edit_1000"], reply
    still_answers(server, workspace)
