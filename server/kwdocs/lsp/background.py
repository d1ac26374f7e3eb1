"""Work off the event loop in daemon threads: a stuck export never keeps the process alive
after ``exit``, and results come back to the loop as futures."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

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
