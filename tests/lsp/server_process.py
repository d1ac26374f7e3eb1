"""A real ``kwdocs serve`` process in a session of its own, driven with raw JSON-RPC frames, for
the tests of how the server ends: every way an editor (or a user) can end it, and what it
leaves behind."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from enum import Enum
from pathlib import Path
from typing import Any

TIMEOUT = 60.0


class Ending(str, Enum):
    """The ways a server ends."""

    STDIN_CLOSED = "the client closes stdin"
    SHUTDOWN_EXIT = "shutdown then exit"
    SIGTERM = "SIGTERM"
    SIGKILL = "SIGKILL"
    SIGINT = "SIGINT to the server"
    SIGINT_GROUP = "SIGINT to its process group (Ctrl-C in a terminal)"
    SIGHUP = "SIGHUP (its terminal closed)"
    EDITOR_DIED = "the editor process dies (processId watch)"


# The exit status each ending gives (negative: killed by that signal).
EXIT_STATUS = {
    Ending.STDIN_CLOSED: 1,
    Ending.SHUTDOWN_EXIT: 0,
    Ending.SIGTERM: -signal.SIGTERM,
    Ending.SIGKILL: -signal.SIGKILL,
    Ending.SIGINT: -signal.SIGINT,
    Ending.SIGINT_GROUP: -signal.SIGINT,
    Ending.SIGHUP: -signal.SIGHUP,
    Ending.EDITOR_DIED: 1,
}


class ServerProcess:
    """``python -m kwdocs serve`` as its own session leader (so that whatever it starts can be
    found by session and process group even after it is gone), with ``TMPDIR`` pointing at a
    folder of the test's own."""

    def __init__(self, work: Path, env: dict[str, str] | None = None) -> None:
        self.tmpdir = work / "tmp"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        self.stderr_path = work / "server-stderr.log"
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in close()
        # The editor whose process id the server watches.
        self.editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kwdocs", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "TMPDIR": str(self.tmpdir), **(env or {})},
            start_new_session=True,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.statuses: list[dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    # ---- wire -------------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if not line.strip():
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any = None, timeout: float = TIMEOUT) -> dict:
        self._next_id += 1
        wanted = self._next_id
        self.send({"id": wanted, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(deadline)
            if message.get("id") == wanted and "method" not in message:
                return message

    def _next(self, deadline: float) -> dict[str, Any]:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"the server said nothing in time: {self.stderr_tail()}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if message is None:
                raise AssertionError(f"the server closed its output: {self.stderr_tail()}")
            if "method" in message:
                self._from_server(message)
            return message

    def _from_server(self, message: dict[str, Any]) -> None:
        if message["method"] == "kwdocs/status":
            self.statuses.append(message["params"])
        if "id" not in message:
            return
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self.send({"id": message["id"], "result": result})

    def pump(self, seconds: float) -> None:
        """Handle what the server sends for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.005))
            except queue.Empty:
                continue
            if message is None:
                return
            if "method" in message:
                self._from_server(message)

    # ---- session ----------------------------------------------------------------------------

    def initialize(self, root: Path, options: dict[str, Any] | None = None) -> None:
        reply = self.request(
            "initialize",
            {
                "processId": self.editor.pid,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "initializationOptions": options or {},
                "capabilities": {"window": {"workDoneProgress": True}},
            },
        )
        assert "result" in reply, reply
        self.notify("initialized", {})

    def wait_ready(self, timeout: float = 300.0, after: int = 0) -> dict[str, Any]:
        """The first ``ready`` status from the ``after``-th one on."""
        deadline = time.monotonic() + timeout
        while True:
            for status in self.statuses[after:]:
                if status.get("state") in ("ready", "error"):
                    assert status["state"] == "ready", status
                    return status
            self._next(deadline)

    def open(self, path: Path) -> None:
        self.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": path.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": path.read_text(encoding="utf-8"),
                }
            },
        )

    def definition(self, path: Path, line: int, character: int) -> Any:
        reply = self.request(
            "textDocument/definition",
            {
                "textDocument": {"uri": path.as_uri()},
                "position": {"line": line, "character": character},
            },
        )
        return reply.get("result")

    # ---- ending -----------------------------------------------------------------------------

    def end(self, how: Ending) -> None:
        """End the server ``how``; returns at once (the caller waits for it to be gone)."""
        if how is Ending.STDIN_CLOSED:
            assert self.process.stdin is not None
            self.process.stdin.close()
        elif how is Ending.SHUTDOWN_EXIT:
            reply = self.request("shutdown")
            assert "result" in reply, reply
            self.notify("exit")
        elif how is Ending.SIGTERM:
            os.kill(self.pid, signal.SIGTERM)
        elif how is Ending.SIGKILL:
            os.kill(self.pid, signal.SIGKILL)
        elif how is Ending.SIGINT:
            os.kill(self.pid, signal.SIGINT)
        elif how is Ending.SIGINT_GROUP:
            os.killpg(self.pid, signal.SIGINT)
        elif how is Ending.SIGHUP:
            os.kill(self.pid, signal.SIGHUP)
        elif how is Ending.EDITOR_DIED:
            # stdin stays open: only the processId watch can tell the editor is gone.
            self.editor.kill()
            self.editor.wait()

    def wait_ended(self, timeout: float) -> int | None:
        """The exit status once the process is gone, or None if it is still running."""
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.pump(0.05)  # keep its output flowing: a full pipe must not hold it up
        return self.process.poll()

    def stderr_tail(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        """The server and the editor stand-in are gone after this, whatever happened (the
        test's own cleanup; what the server started is the test's to check and clean)."""
        for process in (self.process, self.editor):
            if process.poll() is None:
                process.kill()
            process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):
                    stream.close()
        self._stderr.close()
