"""Progress the user sees: LSP work-done progress (when the client supports it) and the
``kwdocs/status`` notification the VS Code status bar shows."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.lsp.settings import REQUEST_TIMEOUT

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

log = logging.getLogger(__name__)

STATUS = "kwdocs/status"
# Reports closer together than this are dropped (the last one of a run always goes out).
THROTTLE = 0.2


def supports_progress(capabilities: types.ClientCapabilities) -> bool:
    window = capabilities.window
    return bool(window and window.work_done_progress)


class WorkProgress:
    """One work-done progress: create → begin → report (throttled) → end, ending exactly once."""

    def __init__(
        self, server: KwdocsServer, title: str, token: types.ProgressToken | None = None
    ) -> None:
        self.server = server
        self.title = title
        self.token = token
        self.active = False
        self.ended = False
        self._last = 0.0

    async def begin(self, message: str = "", cancellable: bool = False) -> None:
        if self.token is None:
            if not supports_progress(self.server.client_capabilities):
                return
            token = f"kwdocs-{uuid.uuid4().hex[:12]}"
            try:
                await asyncio.wait_for(
                    self.server.window_work_done_progress_create_async(
                        types.WorkDoneProgressCreateParams(token=token)
                    ),
                    REQUEST_TIMEOUT,
                )
            except Exception as error:  # timed out or refused: work on without progress
                log.warning("window/workDoneProgress/create failed: %r", error)
                return
            self.token = token
        self._send(
            types.WorkDoneProgressBegin(
                title=self.title, message=message or None, percentage=0, cancellable=cancellable
            )
        )
        self.active = True

    def report(self, done: int, total: int, message: str = "", force: bool = False) -> None:
        if not self.active or self.ended:
            return
        now = time.monotonic()
        if not force and now - self._last < THROTTLE:
            return
        self._last = now
        percentage = int(100 * done / total) if total else 100
        self._send(
            types.WorkDoneProgressReport(
                message=message or f"{done}/{total} files", percentage=min(100, percentage)
            )
        )

    def end(self, message: str = "") -> None:
        if not self.active or self.ended:
            return
        self.ended = True
        self._send(types.WorkDoneProgressEnd(message=message or None))

    def _send(self, value: Any) -> None:
        if getattr(self.server, "exiting", False):
            return
        try:
            self.server.progress(types.ProgressParams(token=self.token, value=value))
        except Exception:  # the client is gone; nothing to tell
            log.debug("progress notification failed", exc_info=True)


class StatusNotifier:
    """Sends ``kwdocs/status``; throttles ``indexing`` states, never ``ready``/``error``."""

    def __init__(self, server: KwdocsServer) -> None:
        self.server = server
        self._last = 0.0

    def send(
        self, state: str, files: int, total: int, keywords: int, message: str | None = None
    ) -> None:
        if getattr(self.server, "exiting", False):
            return
        now = time.monotonic()
        if state == "indexing" and now - self._last < THROTTLE and files not in (0, total):
            return
        self._last = now
        params: dict[str, Any] = {
            "state": state,
            "files": files,
            "total": total,
            "keywords": keywords,
        }
        if message:
            params["message"] = message
        try:
            self.server.protocol.notify(STATUS, params)
        except Exception:
            log.debug("status notification failed", exc_info=True)
