"""Pages on demand: hover links and docs-page definitions point into ``settings.out`` — the
output folder when an export is there, the workspace's page cache otherwise (lsp/settings.py,
``onDemandPages``) — so the page of a file is written (by kwdocs.export, in a background
thread) when it is missing or older than its source. Jobs run one at a time; hovers only queue
a few, newest first, after a pause of the hovers, so sweeping across a file never starts a
storm of exports."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from collections import OrderedDict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from kwdocs.lsp.background import run_daemon
from kwdocs.lsp.settings import follow_export
from kwdocs.lsp.workspace_state import Folder
from kwdocs.pages import docs_page

log = logging.getLogger(__name__)

# A hovered file's pages are written once hovers have paused this long (a debounce: sweeping
# across a file, or a benchmark's thousand hovers, writes nothing until it stops).
HOVER_DELAY = 0.5
# At most this many files wait for their pages; older wishes are dropped.
MAX_PENDING = 8


def _export_one(settings: Any, rel: str, records: dict[str, Any]) -> Any:
    from kwdocs.export import export_file

    return export_file(settings, rel, records)


class PageGenerator:
    """Knows which pages are fresh; runs one generation at a time."""

    def __init__(self) -> None:
        self._fresh: dict[tuple[str, str], object] = {}
        self._pending: OrderedDict[tuple[str, str], tuple[Folder, str]] = OrderedDict()
        self._running: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._paused = 0

    @staticmethod
    def _key(folder: Folder, rel: str) -> tuple[str, str]:
        return (str(folder.settings.out), rel)

    def page_path(self, folder: Folder, rel: str, out: str | None = None) -> str:
        return os.path.join(out or str(folder.settings.out), *docs_page(rel).split("/"))

    def needed(self, folder: Folder, rel: str, out: str | None = None) -> bool:
        """True when the docs page of ``rel`` (in ``out``, by default the folder's page
        folder now) is missing or older than the source file."""
        key = (out, rel) if out is not None else self._key(folder, rel)
        record = folder.index.get(rel)
        if record is not None and self._fresh.get(key) is record:
            return False
        try:
            page = os.stat(self.page_path(folder, rel, out)).st_mtime_ns
        except OSError:
            return True
        try:
            source = os.stat(folder.full_path(rel)).st_mtime_ns
        except OSError:
            return False  # no source file (deleted): nothing to generate from
        if page >= source:
            self._fresh[key] = record
            return False
        return True

    def ensure(self, folder: Folder, rel: str) -> None:
        """Queue the pages of ``rel`` for writing soon, when they are missing or stale."""
        follow_export(folder.settings)
        key = self._key(folder, rel)
        if key in self._running or not self.needed(folder, rel):
            return
        self._pending[key] = (folder, rel)
        self._pending.move_to_end(key)
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._arm()

    def defer(self) -> None:
        """A request or edit arrived: waiting page jobs start only once the client pauses (a
        job holds the interpreter in long stretches while it parses and renders)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._arm()

    def _arm(self) -> None:
        if self._timer is None and not self._running and self._pending and not self._paused:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(HOVER_DELAY, self._next)

    def _next(self) -> None:
        self._timer = None
        if self._running or not self._pending or self._paused:
            return
        key, (folder, rel) = self._pending.popitem(last=True)
        # Into the folder a hover's link pointed at, even if the page folder has moved since
        # (an export made the output folder the one to use): that link must lead somewhere.
        if self.needed(folder, rel, key[0]):
            self._start(key, folder, rel)
        else:
            self._arm()

    def _start(self, key: tuple[str, str], folder: Folder, rel: str) -> asyncio.Future[Any]:
        snapshot = dict(folder.index.records)
        settings = folder.settings
        if str(settings.out) != key[0]:
            settings = dataclasses.replace(settings, out=Path(key[0]))
        future = run_daemon(_export_one, settings, rel, snapshot, name="kwdocs-pages")
        self._running[key] = future

        def finished(done: asyncio.Future[Any]) -> None:
            self._running.pop(key, None)
            if not done.cancelled():
                error = done.exception()
                if error is not None:
                    log.warning("could not write the pages of %s: %s", rel, error)
                else:
                    self._fresh[key] = snapshot.get(rel)
            self._arm()

        future.add_done_callback(finished)
        return future

    async def ensure_ready(self, folder: Folder, rel: str, timeout: float) -> bool:
        """Write the pages of ``rel`` now if needed and wait (bounded); True when they exist."""
        follow_export(folder.settings)
        key = self._key(folder, rel)
        future = self._running.get(key)
        if future is None and self.needed(folder, rel):
            self._pending.pop(key, None)
            future = self._start(key, folder, rel)
        if future is not None:
            try:
                await asyncio.wait_for(asyncio.shield(future), timeout)
            except asyncio.TimeoutError:
                log.warning("the pages of %s took longer than %ss", rel, timeout)
            except Exception:  # logged by the done callback
                pass
        return os.path.exists(self.page_path(folder, rel))

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No page job runs inside this block (a whole export holds the output folder)."""
        self._paused += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            for future in list(self._running.values()):
                with contextlib.suppress(Exception):
                    await asyncio.shield(future)
            yield
        finally:
            self._paused -= 1
            # Pages the export wrote are current now; those a hover promised elsewhere (the
            # page cache, before the export) are still written (``needed`` tells them apart).
            self._arm()
