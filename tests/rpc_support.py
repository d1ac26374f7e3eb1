"""A bare JSON-RPC client for the real ``kwdocs serve`` process over stdio: sends any bytes
(malformed framing included), answers the server's own requests, and collects replies. The
hostile-input tests use it as it is; the tests of how the server ends build on it
(``tests/lsp/server_process.py``)."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

TIMEOUT = 30.0


class RawServer:
    """One server process; frames are read on a thread into a queue."""

    timeout = TIMEOUT
    """How long a request waits for its reply by default."""

    def __init__(
        self,
        cwd: Path | None,
        env: dict[str, str] | None = None,
        *,
        stderr_path: Path | None = None,
        new_session: bool = False,
    ) -> None:
        """``cwd`` None: this process's; ``new_session``: the server leads a session of its own
        (whatever it starts can be found by session and process group even after it is gone).
        Its stderr goes to ``stderr_path``, by default a file beside ``cwd``."""
        if stderr_path is None:
            assert cwd is not None, "a server without a folder needs a stderr_path"
            stderr_path = cwd.parent / f"server-stderr-{os.getpid()}-{id(self)}.log"
        self.stderr_path = stderr_path
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in close()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kwdocs", "serve"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, **(env or {})},
            start_new_session=new_session,
        )
        self.messages: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # ---- wire ------------------------------------------------------------------------------

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            headers = {}
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            self.messages.put(json.loads(body))

    def send_bytes(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_bytes(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any = None) -> None:
        self.send({"method": method, "params": params})

    def request_async(self, method: str, params: Any = None) -> int:
        self._next_id += 1
        self.send({"id": self._next_id, "method": method, "params": params})
        return self._next_id

    def request(self, method: str, params: Any = None, timeout: float | None = None) -> dict:
        """The whole response (``result`` or ``error``) to one request."""
        return self.wait_for(self.request_async(method, params), timeout)

    def wait_for(self, request_id: int | str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            message = self.next_message(deadline, f"no reply to request {request_id}")
            if "method" not in message and message.get("id") == request_id:
                return message

    def next_message(self, deadline: float, waiting_for: str = "nothing said") -> dict[str, Any]:
        """The next message from the server (its own requests answered, its notifications
        kept) before ``deadline``."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{waiting_for} in time: {self.stderr_tail()}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if message is None:
                raise AssertionError(f"the server closed its output: {self.stderr_tail()}")
            if "method" in message:
                self._server_message(message)
            return message

    def _server_message(self, message: dict[str, Any]) -> None:
        if "id" not in message:
            self.notifications.append(message)
            return
        # The server's own requests: configuration gets empty sections, the rest null.
        result: Any = None
        if message["method"] == "workspace/configuration":
            result = [None for _ in message["params"]["items"]]
        self.send({"id": message["id"], "result": result})

    def drain(self, seconds: float) -> None:
        """Handle whatever the server sends for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.005))
            except queue.Empty:
                continue
            if message is None:
                return
            if "method" in message:
                self._server_message(message)

    # ---- session ---------------------------------------------------------------------------

    def initialize(
        self, root: Path, process_id: int | None = None, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        reply = self.request(
            "initialize",
            {
                "processId": process_id,
                "initializationOptions": options or {},
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {
                    "general": {"positionEncodings": ["utf-16"]},
                    "textDocument": {"hover": {"contentFormat": ["markdown", "plaintext"]}},
                    "window": {"workDoneProgress": True},
                },
            },
        )
        assert "result" in reply, reply
        self.notify("initialized", {})
        return reply["result"]

    def wait_ready(self, name: str, uri: str, timeout: float = 60.0) -> None:
        """Poll hover until the index knows ``name`` (defined at line 0 of ``uri``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.request("textDocument/hover", hover_params(uri, 0, 5))
            if reply.get("result") and name in json.dumps(reply["result"]):
                return
            time.sleep(0.1)
        raise AssertionError(f"the index never learned {name}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def stderr_tail(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")[-4000:]

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.request("shutdown", None, timeout=10)
                self.notify("exit")
                self.process.wait(timeout=10)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        self._stderr.close()


def hover_params(uri: str, line: Any, character: Any) -> dict[str, Any]:
    return {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}
