"""Figures measured through the real language server over stdio: start, warm start, first
hover on a cold workspace, hover/definition/symbol latencies, edit → hover, memory."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.engine import kwdocs_env
from benchmarks.lsp_client import LspClient, hover_text, initialize_params, uri_of
from benchmarks.memory import children, rss_mib, tree_rss_mib
from benchmarks.positions import Position
from benchmarks.stats import distribution, load_average

SERVER = [sys.executable, "-m", "kwdocs", "serve"]
READY_TIMEOUT = 600.0


def server_available() -> str | None:
    """None when the language server can be imported, else why not."""
    try:
        import kwdocs.lsp.server  # noqa: F401
    except Exception as error:  # any import failure means: no server figures this run
        return f"{type(error).__name__}: {error}"
    return None


def _is_ready(message: dict[str, Any]) -> bool:
    """The index of the workspace is complete: kwdocs/status ready (or error, to stop waiting)."""
    return message.get("method") == "kwdocs/status" and message.get("params", {}).get("state") in (
        "ready",
        "error",
    )


class Session:
    """One server process on one workspace root, started and initialized."""

    def __init__(self, root: Path, cache_dir: Path, logs: Path) -> None:
        self.root = root
        self.cache_dir = cache_dir
        self.logs = logs
        # Pages the server writes on demand go to the scratch folder, never into the corpus.
        self.options = {"outputDir": str(cache_dir.parent / "server-pages")}
        self.client = LspClient(settings=self.options)
        self.initialize_answered = 0.0
        self.initialized_sent = 0.0
        self.ready_at: float | None = None
        self.ready_status: dict[str, Any] = {}
        self._ready: asyncio.Future[dict[str, Any]] | None = None

    async def start(self) -> None:
        await self.client.start(SERVER, kwdocs_env(self.cache_dir), self.logs)
        self._ready = self.client.wait_for(_is_ready)
        params = initialize_params(self.root, self.options)
        await self.client.request("initialize", params, timeout=60)
        self.initialize_answered = time.perf_counter()
        await self.client.notify("initialized", {})
        self.initialized_sent = time.perf_counter()

    async def wait_ready(self) -> float:
        """Seconds from process start to the ``ready`` status."""
        if self.ready_at is None:
            assert self._ready is not None
            message = await asyncio.wait_for(self._ready, READY_TIMEOUT)
            self.ready_at = message["_received"]
            self.ready_status = message.get("params", {})
            if self.ready_status.get("state") != "ready":
                raise RuntimeError(f"the server reported {self.ready_status}")
        return self.ready_at - self.client.started

    async def open(self, path: str) -> str:
        """didOpen a file of the workspace; returns its text."""
        text = (self.root / path).read_text(encoding="utf-8", errors="replace")
        await self.client.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri_of(self.root, path),
                    "languageId": "python" if path.endswith(".py") else "markdown",
                    "version": 1,
                    "text": text,
                }
            },
        )
        return text

    async def hover(self, path: str, line: int, character: int) -> tuple[float, Any]:
        params = {
            "textDocument": {"uri": uri_of(self.root, path)},
            "position": {"line": line, "character": character},
        }
        return await self.client.timed_request("textDocument/hover", params)

    async def definition(self, path: str, line: int, character: int) -> tuple[float, Any]:
        params = {
            "textDocument": {"uri": uri_of(self.root, path)},
            "position": {"line": line, "character": character},
        }
        return await self.client.timed_request("textDocument/definition", params)

    async def configure(self, changes: dict[str, Any]) -> None:
        """Settings pushed (and answered to the server's pull) as the options plus ``changes``."""
        self.client.settings = {**self.options, **changes}
        await self.client.notify(
            "workspace/didChangeConfiguration", {"settings": {"kwdocs": self.client.settings}}
        )
        await asyncio.sleep(0.5)  # the server pulls the settings back and drops its caches

    def rss(self) -> dict[str, float | None]:
        pid = self.client.pid
        workers = children(pid)
        return {
            "server_mib": rss_mib(pid),
            "with_children_mib": tree_rss_mib(pid),
            "children": len(workers),
        }

    async def stop(self) -> None:
        await self.client.stop()


async def warm_start(root: Path, cache_dir: Path, logs: Path) -> dict[str, Any]:
    """With the cache filled: process start → initialize answered, and → index ready."""
    load = load_average()
    session = Session(root, cache_dir, logs)
    try:
        await session.start()
        ready = await session.wait_ready()
        return {
            "initialize_s": session.initialize_answered - session.client.started,
            "ready_s": ready,
            "ready_after_initialized_s": session.ready_at - session.initialized_sent,
            "status": session.ready_status,
            "rss": session.rss(),
            "load": load,
        }
    finally:
        await session.stop()


async def cold_first_hover(
    root: Path, cache_dir: Path, logs: Path, target: Position
) -> dict[str, Any]:
    """No cache: initialize answered → first non-empty hover on the file just opened; then
    the time to the full index, and the memory with it."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    cache_dir.mkdir(parents=True)
    load = load_average()
    session = Session(root, cache_dir, logs)
    try:
        await session.start()
        await session.open(target.path)
        tries = 0
        while True:
            tries += 1
            _, result = await session.hover(target.path, target.line, target.character)
            if result:
                answered = time.perf_counter()
                break
            if time.perf_counter() - session.initialize_answered > READY_TIMEOUT:
                raise RuntimeError("no hover on the open file before the timeout")
            await asyncio.sleep(0.002)
        first_hover = answered - session.initialize_answered
        ready = await session.wait_ready()
        return {
            "first_hover_s": first_hover,
            "tries": tries,
            "cold_ready_s": ready,
            "rss": session.rss(),
            "load": load,
        }
    finally:
        await session.stop()


async def latencies(
    root: Path,
    cache_dir: Path,
    logs: Path,
    positions: list[Position],
    queries: list[tuple[str, str]],
    expected: dict[str, int],
    edit_path: str | None,
    edits: int,
) -> dict[str, Any]:
    """A warm session: hover and definition over every position, workspace/symbol over every
    query, then edit → updated hover on ``edit_path``; memory with the whole index."""
    load = load_average()
    session = Session(root, cache_dir, logs)
    out: dict[str, Any] = {"load": load}
    try:
        await session.start()
        await session.wait_ready()
        out["rss_ready"] = session.rss()
        for path in sorted({p.path for p in positions}):
            await session.open(path)
        await asyncio.sleep(1.0)  # let the didOpen re-extractions settle
        # Warm-up: the first requests pay for lazy imports (jedi) and first-use caches.
        for p in positions[:20]:
            await session.hover(p.path, p.line, p.character)
            await session.definition(p.path, p.line, p.character)
        out["rss_after_ready"] = session.rss()

        await _pass(out, "hover", session.hover, positions)
        await _pass(out, "definition", session.definition, positions)
        # The same positions with ``definitionInference: none``: the index alone, no jedi.
        await session.configure({"definitionInference": "none"})
        await _pass(out, "definition_index_only", session.definition, positions)
        await session.configure({})

        symbol_s: list[float] = []
        complete = checked = 0
        for kind, query in queries:
            seconds, result = await session.client.timed_request(
                "workspace/symbol", {"query": query}
            )
            symbol_s.append(seconds)
            if kind == "exact" and query in expected:
                checked += 1
                found = sum(1 for item in result or [] if item.get("name") == query)
                complete += found >= expected[query]
        out["symbol"] = {
            **distribution(symbol_s),
            "exact_queries": checked,
            "exact_complete": complete,
        }
        out["symbol_samples"] = symbol_s
        out["rss"] = session.rss()

        if edit_path is not None and edits:
            out["edit"] = await _edit_hover(session, edit_path, edits)
        return out
    finally:
        await session.stop()


async def _pass(out: dict[str, Any], name: str, request: Any, positions: list[Position]) -> None:
    """One request per position, one at a time: their latencies and how many came back empty."""
    samples: list[float] = []
    empty = 0
    for p in positions:
        seconds, result = await request(p.path, p.line, p.character)
        samples.append(seconds)
        empty += not result
    out[name] = {**distribution(samples), "empty": empty}
    out[f"{name}_samples"] = samples


async def _edit_hover(session: Session, path: str, edits: int) -> dict[str, Any]:
    """Append a new function to the open file (unsaved) and time until hover shows it."""
    text = await session.open(path)
    await asyncio.sleep(1.0)
    lines = text.split("\n")
    uri = uri_of(session.root, path)
    samples: list[float] = []
    tries: list[int] = []
    version = 1
    for i in range(edits):
        insert_at = len(lines) - 1  # the empty string after the final newline
        name = f"kwbench_probe_{i}"
        new = f'def {name}():\n    """Probe {i} summary."""\n'
        version += 1
        sent = time.perf_counter()
        await session.client.notify(
            "textDocument/didChange",
            {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [
                    {
                        "range": {
                            "start": {"line": insert_at, "character": 0},
                            "end": {"line": insert_at, "character": 0},
                        },
                        "text": new,
                    }
                ],
            },
        )
        lines[insert_at:insert_at] = new.split("\n")[:-1]
        attempt = 0
        while True:
            attempt += 1
            _, result = await session.hover(path, insert_at, 6)
            if f"Probe {i}" in hover_text(result):
                samples.append(time.perf_counter() - sent)
                tries.append(attempt)
                break
            if time.perf_counter() - sent > 30:
                raise RuntimeError(f"hover never showed the edit {i} of {path}")
        await asyncio.sleep(0.3)
    return {
        **distribution(samples),
        "median_tries": sorted(tries)[len(tries) // 2],
        "file": path,
        "lines": len(text.split("\n")),
        "samples": samples,
    }
