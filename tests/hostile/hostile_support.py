"""Helpers shared by the hostile-input tests: editor-view checks of keyword positions, and
running a function in a forked child (as another user, or with a time limit)."""

from __future__ import annotations

import os
import pickle
import re
import select
import signal
import time
from collections.abc import Callable
from typing import Any

from kwdocs.model import FileRecord

# The line ends an editor (and the LSP specification) counts: \r\n, lone \r and \n — not the
# extra breaks of str.splitlines (form feed, U+2028, NEL ...).
_EDITOR_LINE_END = re.compile(r"\r\n|\r|\n")
NOBODY = 65534


def editor_lines(text: str) -> list[str]:
    """The lines of ``text`` as an editor shows them."""
    return _EDITOR_LINE_END.split(text)


def triples(record: FileRecord) -> set[tuple[str, str, int, int]]:
    """(name, kind, line, column) of every keyword of a record."""
    return {(k.name, k.kind, k.line, k.col) for k in record.keywords}


def assert_positions(record: FileRecord, text: str) -> None:
    """Every keyword's name stands at its line and column in the editor's view of ``text``."""
    lines = editor_lines(text)
    for keyword in record.keywords:
        assert 1 <= keyword.line <= len(lines), keyword
        line = lines[keyword.line - 1]
        shown = line[keyword.col : keyword.end_col]
        if keyword.kind in ("module", "import"):
            # ``import a . b`` is keyword ``a.b``: compare without the spaces.
            shown = line[keyword.col :].replace(" ", "")[: len(keyword.name)]
            assert shown == keyword.name, (keyword, line)
        else:
            assert shown == keyword.name, (keyword, line)


class ChildTimeout(AssertionError):
    """The child did not finish in time (the code under test hung)."""


def run_in_child(
    function: Callable[..., Any], *args: Any, timeout: float = 60.0, uid: int | None = None
) -> Any:
    """Run ``function(*args)`` in a forked child and return its (pickled) result.

    With ``uid``, the child drops to that user first: root ignores file permissions, so an
    unreadable file can only be tested as someone else. The modules the function needs must
    already be imported (the child may not be allowed to read them).
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child side
        os.close(read_fd)
        status = 0
        try:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            payload = pickle.dumps(("ok", function(*args)))
        except BaseException as error:
            payload = pickle.dumps(("error", f"{type(error).__name__}: {error}"))
            status = 1
        with os.fdopen(write_fd, "wb") as pipe:
            pipe.write(payload)
        os._exit(status)
    os.close(write_fd)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select([read_fd], [], [], max(remaining, 0))
            if not ready:
                os.kill(pid, signal.SIGKILL)
                raise ChildTimeout(f"{function.__name__} did not finish in {timeout} s")
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        os.waitpid(pid, 0)
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "error":
        raise AssertionError(f"child raised {value}")
    return value
