"""A real ``kwdocs serve`` process in a session of its own, driven with raw JSON-RPC frames, for
the tests of how the server ends: every way an editor (or a user) can end it, and what it
leaves behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from enum import Enum
from pathlib import Path
from typing import Any

from rpc_support import RawServer


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


class ServerProcess(RawServer):
    """``python -m kwdocs serve`` as its own session leader (so that whatever it starts can be
    found by session and process group even after it is gone), with ``TMPDIR`` pointing at a
    folder of the test's own."""

    timeout = 60.0

    def __init__(self, work: Path, env: dict[str, str] | None = None) -> None:
        self.tmpdir = work / "tmp"
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        # The editor whose process id the server watches.
        self.editor = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        super().__init__(
            None,
            {"TMPDIR": str(self.tmpdir), **(env or {})},
            stderr_path=work / "server-stderr.log",
            new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def statuses(self) -> list[dict[str, Any]]:
        """The ``kwdocs/status`` notifications so far, oldest first."""
        return [n["params"] for n in self.notifications if n["method"] == "kwdocs/status"]

    # ---- session ----------------------------------------------------------------------------

    def initialize(  # type: ignore[override]
        self, root: Path, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Initialize with the editor stand-in's process id, which the server watches."""
        return super().initialize(root, self.editor.pid, options)

    def wait_ready(self, timeout: float = 300.0, after: int = 0) -> dict[str, Any]:
        """The first ``ready`` status from the ``after``-th one on."""
        deadline = time.monotonic() + timeout
        while True:
            for status in self.statuses[after:]:
                if status.get("state") in ("ready", "error"):
                    assert status["state"] == "ready", status
                    return status
            self.next_message(deadline, "no ready status")

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
            self.drain(0.05)  # keep its output flowing: a full pipe must not hold it up
        return self.process.poll()

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
