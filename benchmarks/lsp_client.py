"""A small asyncio JSON-RPC client that drives a real language server over stdio.

Kept minimal on purpose: the timings should be the server's, not a client framework's. It
answers the requests a server sends (configuration, progress tokens, registrations) the way
an editor would, and timestamps every message when it is read."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class ServerError(Exception):
    """The server answered a request with an error."""


class LspClient:
    """One server process, spoken to over its stdin/stdout."""

    def __init__(self, settings: dict[str, Any] | None = None) -> None:
        self.settings = settings or {}
        self.proc: asyncio.subprocess.Process | None = None
        self.started = 0.0
        """perf_counter() just before the process was spawned."""
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Message]] = {}
        self._watchers: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []
        self.notifications: list[tuple[float, Message]] = []
        self._reader: asyncio.Task[None] | None = None

    async def start(self, cmd: list[str], env: dict[str, str], stderr: Path) -> None:
        """Spawn the server; its stderr (logs) goes to a file."""
        self._stderr = open(stderr, "ab")  # noqa: SIM115 - closed in stop()
        self.started = time.perf_counter()
        self.proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            limit=1 << 26,
        )
        self._reader = asyncio.create_task(self._read_loop())

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    # ---- sending ---------------------------------------------------------------------------

    def _write(self, message: Message) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        body = json.dumps(message, separators=(",", ":")).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any, timeout: float = 120) -> Any:
        """Send a request and wait for its result (raises ServerError on an error reply)."""
        _, result = await self.timed_request(method, params, timeout)
        return result

    async def timed_request(
        self, method: str, params: Any, timeout: float = 120
    ) -> tuple[float, Any]:
        """(seconds from sending to reading the reply, result)."""
        ident = next(self._ids)
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        sent = time.perf_counter()
        self._write({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        assert self.proc is not None and self.proc.stdin is not None
        await self.proc.stdin.drain()
        reply = await asyncio.wait_for(future, timeout)
        elapsed = reply["_received"] - sent
        if "error" in reply:
            raise ServerError(f"{method}: {reply['error']}")
        return elapsed, reply.get("result")

    async def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})
        assert self.proc is not None and self.proc.stdin is not None
        await self.proc.stdin.drain()

    # ---- receiving -------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[Message], bool]) -> asyncio.Future[Message]:
        """A future resolved by the first later notification for which predicate is true."""
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._watchers.append((predicate, future))
        return future

    async def _read_loop(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        stream = self.proc.stdout
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    self._fail_all(ConnectionError("the server closed its stdout"))
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            body = await stream.readexactly(length)
            received = time.perf_counter()
            message = json.loads(body)
            message["_received"] = received
            self._dispatch(message)

    def _dispatch(self, message: Message) -> None:
        if "method" not in message:
            future = self._pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                future.set_result(message)
            return
        if "id" in message:  # a request from the server: answer like an editor would
            self._write({"jsonrpc": "2.0", "id": message["id"], "result": self._answer(message)})
            return
        self.notifications.append((message["_received"], message))
        for watcher in list(self._watchers):
            predicate, future = watcher
            if not future.done() and predicate(message):
                future.set_result(message)
                self._watchers.remove(watcher)

    def _answer(self, message: Message) -> Any:
        method = message["method"]
        if method == "workspace/configuration":
            items = message.get("params", {}).get("items", [])
            return [
                self.settings if item.get("section") in (None, "kwdocs") else None for item in items
            ]
        if method == "workspace/applyEdit":
            return {"applied": False}
        return None  # progress tokens, registrations, showMessageRequest

    def _fail_all(self, error: Exception) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        for _, future in self._watchers:
            if not future.done():
                future.set_exception(error)

    # ---- lifecycle -------------------------------------------------------------------------

    async def stop(self) -> None:
        """shutdown + exit; killed if it does not leave within a few seconds."""
        if self.proc is None:
            return
        try:
            if self.proc.returncode is None:
                await self.request("shutdown", None, timeout=10)
                await self.notify("exit", None)
                await asyncio.wait_for(self.proc.wait(), 10)
        except (asyncio.TimeoutError, ConnectionError, ServerError, BrokenPipeError):
            if self.proc.returncode is None:
                self.proc.kill()
                await self.proc.wait()
        finally:
            if self._reader is not None:
                self._reader.cancel()
            self._stderr.close()


def client_capabilities() -> dict[str, Any]:
    """What VS Code announces, reduced to what the kwdocs server looks at."""
    return {
        "general": {"positionEncodings": ["utf-16"]},
        "window": {"workDoneProgress": True},
        "workspace": {
            "configuration": True,
            "workspaceFolders": True,
            "didChangeConfiguration": {"dynamicRegistration": True},
            "didChangeWatchedFiles": {"dynamicRegistration": True, "relativePatternSupport": True},
            "symbol": {"dynamicRegistration": True},
            "executeCommand": {"dynamicRegistration": True},
        },
        "textDocument": {
            "synchronization": {"dynamicRegistration": True, "didSave": True},
            "hover": {"dynamicRegistration": True, "contentFormat": ["markdown", "plaintext"]},
            "definition": {"dynamicRegistration": True, "linkSupport": True},
            "documentSymbol": {"hierarchicalDocumentSymbolSupport": True},
        },
    }


def initialize_params(root: Path, options: dict[str, Any] | None = None) -> dict[str, Any]:
    uri = root.resolve().as_uri()
    return {
        "processId": os.getpid(),
        "clientInfo": {"name": "kwdocs-benchmarks"},
        "rootUri": uri,
        "workspaceFolders": [{"uri": uri, "name": root.name}],
        "capabilities": client_capabilities(),
        "initializationOptions": options or {},
    }


def uri_of(root: Path, path: str) -> str:
    return (root / path).resolve().as_uri()


def hover_text(result: Any) -> str:
    """The text of a hover result, whatever shape its contents have."""
    if not result:
        return ""
    contents = result.get("contents")
    if isinstance(contents, dict):
        return str(contents.get("value", ""))
    if isinstance(contents, list):
        return "\n".join(c if isinstance(c, str) else str(c.get("value", "")) for c in contents)
    return str(contents or "")
