"""One language server (kwdocs or a peer) on one workspace, spoken to over stdio with the
benchmark's own client: start, wait until it is ready, hover / definition / workspace/symbol
/ edits, memory of its whole process tree, and what is left of that tree after it ends."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from benchmarks.engine import kwdocs_env
from benchmarks.lsp_client import LspClient, Message, hover_text, initialize_params, uri_of
from benchmarks.peers.servers import KWDOCS, ServerSpec

MIB = 1024 * 1024
# A peer is ready when its work-done progress has been quiet this long after the first hover.
QUIET_S = 2.0
READY_TIMEOUT_S = 900.0


class _PeerClient(LspClient):
    """The benchmark client, answering configuration requests of any section: kwdocs gets its
    settings, every other section the server's defaults (null), as an editor without settings
    for that server would answer."""

    def _answer(self, message: Message) -> Any:
        if message["method"] == "workspace/configuration":
            items = message.get("params", {}).get("items", [])
            return [self.settings if item.get("section") == "kwdocs" else None for item in items]
        return super()._answer(message)

    def _dispatch(self, message: Message) -> None:
        if "method" in message and "id" not in message:
            self.on_notification(message)
        super()._dispatch(message)

    def on_notification(self, message: Message) -> None:
        """Called with every notification (the session tracks work-done progress with it)."""


@dataclass
class Progress:
    """Work-done progress the server reports: tokens begun and not yet ended."""

    active: set[str] = field(default_factory=set)
    last_change: float = field(default_factory=time.perf_counter)

    def see(self, message: Message) -> None:
        if message.get("method") != "$/progress":
            return
        params = message.get("params", {})
        token = str(params.get("token"))
        kind = params.get("value", {}).get("kind")
        if kind == "begin":
            self.active.add(token)
        elif kind == "end":
            self.active.discard(token)
        self.last_change = message["_received"]


@dataclass
class Leftovers:
    """Descendants of the server alive a while after it ended (any way)."""

    before: int
    alive: list[str]


class ServerSession:
    """One server process on ``root``, initialized; requests one at a time."""

    def __init__(
        self, spec: ServerSpec, root: Path, scratch: Path, kwdocs_cache: Path | None = None
    ) -> None:
        self.spec = spec
        self.kwdocs_cache = kwdocs_cache or scratch / "kwdocs-cache"
        self.root = root.resolve()
        self.scratch = scratch
        scratch.mkdir(parents=True, exist_ok=True)
        # Pages kwdocs writes on demand go to the scratch folder, never into the corpus.
        self.options: dict[str, Any] = (
            {"outputDir": str(scratch / "kwdocs-pages")} if spec is KWDOCS else {}
        )
        self.client = _PeerClient(settings=self.options)
        self.progress = Progress()
        self.versions: dict[str, int] = {}
        self.texts: dict[str, str] = {}
        self.initialize_result: dict[str, Any] = {}
        self._kwdocs_ready: asyncio.Future[Message] | None = None
        self._sampler: asyncio.Task[None] | None = None
        self.peak_mib = 0.0

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        command = self.spec.command()
        if command is None:
            raise RuntimeError(f"{self.spec.name} is not installed")
        env = kwdocs_env(self.kwdocs_cache)
        await self.client.start(command, env, self.scratch / f"{self.spec.name}.stderr.log")
        if self.spec is KWDOCS:
            self._kwdocs_ready = self.client.wait_for(_kwdocs_ready)
        self.client.on_notification = self.progress.see  # type: ignore[method-assign]
        self._sampler = asyncio.create_task(self._sample_memory())
        params = initialize_params(self.root, self.options)
        self.initialize_result = await self.client.request("initialize", params, timeout=120)
        await self.client.notify("initialized", {})

    async def wait_ready(self, quiet: bool = True) -> float:
        """Seconds from spawn until the server is ready: kwdocs's ``ready`` status, and with
        ``quiet`` no work-done progress for QUIET_S (a peer indexing the workspace in the
        background says so with progress)."""
        deadline = time.perf_counter() + READY_TIMEOUT_S
        if self._kwdocs_ready is not None:
            message = await asyncio.wait_for(self._kwdocs_ready, READY_TIMEOUT_S)
            state = message.get("params", {}).get("state")
            if state != "ready":
                raise RuntimeError(f"kwdocs reported {message.get('params')}")
        while quiet and time.perf_counter() < deadline:
            quiet = time.perf_counter() - self.progress.last_change
            if not self.progress.active and quiet >= QUIET_S:
                break
            await asyncio.sleep(0.1)
        return time.perf_counter() - self.client.started

    async def first_hover(self, path: str, line: int, character: int, deadline: float) -> float:
        """Hover at the position until the answer is not empty; seconds from spawn."""
        while True:
            try:
                _, result = await self.hover(path, line, character)
            except Exception:  # some servers refuse requests until they have loaded
                result = None
            if hover_text(result).strip():
                return time.perf_counter() - self.client.started
            if time.perf_counter() > deadline:
                raise RuntimeError(f"{self.spec.name}: no hover at {path}:{line + 1}")
            await asyncio.sleep(0.01)

    async def stop(self, linger_s: float = 3.0) -> Leftovers:
        """shutdown + exit (killed when it does not leave); the descendants still alive
        ``linger_s`` seconds later."""
        tree = self.descendants()
        if self._sampler is not None:
            self._sampler.cancel()
        await self.client.stop()
        await asyncio.sleep(linger_s)
        alive = []
        for proc in tree:
            with contextlib.suppress(psutil.Error):
                if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                    alive.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
        return Leftovers(len(tree), alive)

    def kill_leftovers(self, leftovers: Leftovers) -> None:
        """Kill what the server left behind, so the benchmark leaves nothing either."""
        for entry in leftovers.alive:
            with contextlib.suppress(psutil.Error):
                psutil.Process(int(entry.split()[0])).kill()

    # ---- memory ------------------------------------------------------------------------------

    def descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.client.pid).children(recursive=True)
        except psutil.Error:
            return []

    def tree_mib(self) -> float:
        """RSS of the server and all its descendants (shared pages counted in each)."""
        total = 0
        try:
            main = psutil.Process(self.client.pid)
            processes = [main, *main.children(recursive=True)]
        except psutil.Error:
            return 0.0
        for proc in processes:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        return total / MIB

    async def _sample_memory(self) -> None:
        while True:
            self.peak_mib = max(self.peak_mib, self.tree_mib())
            await asyncio.sleep(0.25)

    # ---- documents and requests ----------------------------------------------------------------

    async def open(self, path: str, text: str | None = None) -> str:
        if text is None:
            text = (self.root / path).read_text(encoding="utf-8", errors="replace")
        self.versions[path] = 1
        self.texts[path] = text
        await self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri_of(self.root, path),
                    "languageId": "python",
                    "version": 1,
                    "text": text,
                }
            },
        )
        return text

    async def insert(self, path: str, line: int, text: str) -> None:
        """An incremental didChange inserting ``text`` at the start of ``line``."""
        self.versions[path] += 1
        await self.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri_of(self.root, path), "version": self.versions[path]},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": line, "character": 0},
                            "end": {"line": line, "character": 0},
                        },
                        "text": text,
                    }
                ],
            },
        )

    def _at(self, path: str, line: int, character: int) -> dict[str, Any]:
        return {
            "textDocument": {"uri": uri_of(self.root, path)},
            "position": {"line": line, "character": character},
        }

    async def hover(self, path: str, line: int, character: int) -> tuple[float, Any]:
        return await self.client.timed_request(
            "textDocument/hover", self._at(path, line, character), timeout=300
        )

    async def definition(self, path: str, line: int, character: int) -> tuple[float, Any]:
        return await self.client.timed_request(
            "textDocument/definition", self._at(path, line, character), timeout=300
        )

    async def symbol(self, query: str) -> tuple[float, Any]:
        return await self.client.timed_request("workspace/symbol", {"query": query}, timeout=300)


def _kwdocs_ready(message: Message) -> bool:
    return message.get("method") == "kwdocs/status" and message.get("params", {}).get("state") in (
        "ready",
        "error",
    )
