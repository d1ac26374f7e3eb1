"""Pages on demand: hover links and docs-page definitions point into the output folder, so the
page of a file is written (by kwdocs.export, in a background thread) when it is missing or
older than its source."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from kwdocs.lsp.background import run_daemon
from kwdocs.lsp.workspace_state import Folder
from kwdocs.pages import docs_page

log = logging.getLogger(__name__)


def _export_one(settings: Any, rel: str, records: dict[str, Any]) -> Any:
    from kwdocs.export import export_file

    return export_file(settings, rel, records)


class PageGenerator:
    """Knows which pages are fresh and runs at most one generation per file at a time."""

    def __init__(self) -> None:
        self._fresh: dict[tuple[str, str], object] = {}
        self._running: dict[tuple[str, str], asyncio.Future[Any]] = {}

    def page_path(self, folder: Folder, rel: str) -> str:
        return os.path.join(str(folder.settings.out), *docs_page(rel).split("/"))

    def needed(self, folder: Folder, rel: str) -> bool:
        """True when the docs page of ``rel`` is missing or older than the source file."""
        key = (str(folder.settings.out), rel)
        record = folder.index.get(rel)
        if record is not None and self._fresh.get(key) is record:
            return False
        try:
            page = os.stat(self.page_path(folder, rel)).st_mtime_ns
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

    def ensure(self, folder: Folder, rel: str) -> asyncio.Future[Any] | None:
        """Start generating the pages of ``rel`` when needed; the running job, or None."""
        key = (str(folder.settings.out), rel)
        running = self._running.get(key)
        if running is not None:
            return running
        if not self.needed(folder, rel):
            return None
        snapshot = dict(folder.index.records)
        future = run_daemon(_export_one, folder.settings, rel, snapshot, name="kwdocs-pages")
        self._running[key] = future

        def finished(done: asyncio.Future[Any]) -> None:
            self._running.pop(key, None)
            if done.cancelled():
                return
            error = done.exception()
            if error is not None:
                log.warning("could not write the pages of %s: %s", rel, error)
            else:
                self._fresh[key] = snapshot.get(rel)

        future.add_done_callback(finished)
        return future

    async def ensure_ready(self, folder: Folder, rel: str, timeout: float) -> bool:
        """Generate the pages of ``rel`` if needed and wait (bounded); True when they exist."""
        future = self.ensure(folder, rel)
        if future is not None:
            try:
                await asyncio.wait_for(asyncio.shield(future), timeout)
            except asyncio.TimeoutError:
                log.warning("the pages of %s took longer than %ss", rel, timeout)
            except Exception:  # logged by the done callback
                pass
        return os.path.exists(self.page_path(folder, rel))
