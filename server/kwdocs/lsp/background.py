"""Work off the event loop in daemon threads: a stuck export or inference never keeps the
process alive after ``exit``, and results come back to the loop as futures."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # cancelled while the thread worked: nobody wants the answer
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def run_daemon(fn: Callable[..., T], *args: Any, name: str = "kwdocs-worker") -> asyncio.Future[T]:
    """Run ``fn(*args)`` in a new daemon thread; its outcome settles the returned future."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def target() -> None:
        try:
            result = fn(*args)
        except BaseException as error:
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)

    threading.Thread(target=target, name=name, daemon=True).start()
    return future


class SerialWorker:
    """One daemon thread running jobs in order (for libraries that are not thread-safe, like
    jedi); a job whose future was cancelled before its turn is never run."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()
        self._jobs.put((loop, future, fn, args))
        return future

    def _run(self) -> None:
        while True:
            loop, future, fn, args = self._jobs.get()
            if future.done():  # cancelled (request cancelled or timed out): skip the work
                continue
            try:
                result = fn(*args)
            except BaseException as error:
                log.debug("%s job failed", self.name, exc_info=True)
                loop.call_soon_threadsafe(_settle, future, None, error)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)
