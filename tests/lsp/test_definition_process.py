"""jedi's inference runs in a child process of the server (``kwdocs.inference``): it answers what
the index cannot place, is restarted after it dies, answers too late or outgrows its memory
budget, and never outlives the server. Real server processes over stdio."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from lsp_session import session

# These tests are about jedi's process: inference is off by default.
JEDI = {"definitionInference": "jedi"}
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads processes from /proc"),
]

USE = (
    "from pkg.base import Shape\n"
    "from pkg.square import Square\n"
    "\n"
    "\n"
    "def make():\n"
    "    return Square()\n"
    "\n"
    "\n"
    "value = make().area()\n"
    "again = make().area()\n"
    "third = make().area()\n"
)
# ``make().area`` on lines 8, 9, 10: only inference knows make() returns a Square.
AREA_COLUMN = 16


def _state(pid: int) -> str | None:
    """The process state letter from /proc, None when there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z", "X")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid and _alive(int(entry)):
                found.append(int(entry))
    return found


def _places(found) -> list[tuple[str, int, int]]:
    from urllib.parse import unquote, urlparse

    return sorted(
        (unquote(urlparse(x.uri).path), x.range.start.line, x.range.start.character)
        for x in found or []
    )


def _write_use(sample: Path) -> Path:
    use = sample / "pkg/use.py"
    use.write_text(USE, encoding="utf-8")
    return use


async def _inference(s) -> dict:
    return (await s.command("kwdocs.server.debugInfo"))["inference"]


async def _eventually(check, timeout: float = 30.0) -> None:
    """Await ``check()`` until it is true (bounded: a broken server fails the test)."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {check}"
        await asyncio.sleep(0.05)


async def _has_pid(s, running: bool = True) -> bool:
    return ((await _inference(s))["pid"] is not None) == running


async def test_inference_runs_in_a_child_process(sample: Path):
    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        found = await s.definition(use, 8, AREA_COLUMN)
        assert _places(found) == [(str(sample / "pkg/square.py"), 8, 8)]
        info = await _inference(s)
        server = s.client._server.pid
        assert info["pid"] in _children(server)
        assert info["pid"] != server
        assert info["rssMiB"] > 0
        assert info["requests"] >= 1 and info["timeouts"] == 0


async def test_a_killed_inference_process_is_replaced(sample: Path):
    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        assert _places(await s.definition(use, 8, AREA_COLUMN))
        first = (await _inference(s))["pid"]
        os.kill(first, signal.SIGKILL)
        # The next question is asked again of a new process: still jedi's precise answer.
        found = await s.definition(use, 9, AREA_COLUMN)
        assert _places(found) == [(str(sample / "pkg/square.py"), 8, 8)]
        info = await _inference(s)
        assert info["pid"] not in (None, first)
        assert info["restarts"] >= 1
        await s.until(lambda: not _alive(first))


async def test_a_late_inference_gives_no_answer_and_a_fresh_process(
    sample: Path, monkeypatch: pytest.MonkeyPatch
):
    # No inference can answer in 0.1 ms: every one is late.
    monkeypatch.setenv("KWDOCS_INFERENCE_TIMEOUT", "0.0001")
    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        # Only inference can tell which ``area`` this is, and it is late: no answer, at once
        # (kwdocs does not guess between the two classes that define one).
        assert await s.definition(use, 8, AREA_COLUMN) is None
        info = await _inference(s)
        assert info["timeouts"] >= 1 and info["restarts"] >= 1
        # The late process was killed; a fresh one starts in the background, and the next
        # request is answered too (nothing again: it is late as well).
        assert await s.definition(use, 9, AREA_COLUMN) is None
        await _eventually(lambda: _has_pid(s))


async def test_a_process_over_its_memory_budget_is_replaced(
    sample: Path, monkeypatch: pytest.MonkeyPatch
):
    # A budget no process fits in: after each answer the child drops its caches, still does
    # not fit, and exits; the server starts another.
    monkeypatch.setenv("KWDOCS_INFERENCE_MEMORY_MIB", "1")
    use = _write_use(sample)
    square = str(sample / "pkg/square.py")
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        assert _places(await s.definition(use, 8, AREA_COLUMN)) == [(square, 8, 8)]
        assert _places(await s.definition(use, 9, AREA_COLUMN)) == [(square, 8, 8)]
        assert _places(await s.definition(use, 10, AREA_COLUMN)) == [(square, 8, 8)]
        assert (await _inference(s))["restarts"] >= 2


async def test_exit_leaves_no_inference_process(sample: Path):
    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        assert await s.definition(use, 8, AREA_COLUMN)
        worker = (await _inference(s))["pid"]
        helpers = _children(worker)  # jedi's own helper process, when it started one
        assert _alive(worker)
    assert s.client._server.returncode == 0
    for pid in [worker, *helpers]:
        await s.until(lambda pid=pid: not _alive(pid))


async def test_a_killed_server_leaves_no_inference_process(sample: Path):
    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        assert await s.definition(use, 8, AREA_COLUMN)
        worker = (await _inference(s))["pid"]
        helpers = _children(worker)
        # No shutdown, no exit: the server is gone at once, and its child sees its stdin end.
        s.client._server.kill()
        for pid in [worker, *helpers]:
            await s.until(lambda pid=pid: not _alive(pid))


async def test_a_cancelled_definition_leaves_the_process_usable(sample: Path):
    from lsprotocol import types
    from pygls.exceptions import JsonRpcException

    use = _write_use(sample)
    async with session(sample, init_options=JEDI) as s:
        await s.ready()
        s.open(use)
        params = types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=use.as_uri()),
            position=types.Position(line=8, character=AREA_COLUMN),
        )
        pending = s.client.protocol.send_request_async(
            types.TEXT_DOCUMENT_DEFINITION, params, msg_id="cancelled-definition"
        )
        s.client.protocol.notify(
            types.CANCEL_REQUEST, types.CancelParams(id="cancelled-definition")
        )
        # One reply all the same: the answer, or the error saying it was cancelled.
        with contextlib.suppress(JsonRpcException):
            await asyncio.wait_for(pending, 30)
        found = await s.definition(use, 9, AREA_COLUMN)
        assert _places(found) == [(str(sample / "pkg/square.py"), 8, 8)]


async def test_switching_inference_off_stops_the_process(sample: Path):
    from lsprotocol import types

    use = _write_use(sample)
    square = str(sample / "pkg/square.py")
    async with session(
        sample, init_options=JEDI, configuration={"definitionInference": "jedi"}
    ) as s:
        await s.ready()
        s.open(use)
        assert _places(await s.definition(use, 8, AREA_COLUMN)) == [(square, 8, 8)]
        worker = (await _inference(s))["pid"]

        async def switch(value: str) -> None:
            s.client.set_configuration({"definitionInference": value}, section="kwdocs")
            s.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings=None)
            )

        await switch("none")
        await _eventually(lambda: _has_pid(s, False))
        await s.until(lambda: not _alive(worker))
        # No inference now: kwdocs does not guess which class's area it is.
        assert await s.definition(use, 9, AREA_COLUMN) is None
        await switch("jedi")

        async def inferred() -> bool:  # once the new settings are pulled
            return _places(await s.definition(use, 10, AREA_COLUMN)) == [(square, 8, 8)]

        await _eventually(inferred)
        assert (await _inference(s))["pid"] not in (None, worker)
