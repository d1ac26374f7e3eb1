"""A timed-out inference is interrupted instead of running on in the jedi thread."""

from __future__ import annotations

import threading
import time

from kwdocs.lsp.definition import Aborted, abort, run_abortable


def test_abort_interrupts_the_running_work_only():
    token = object()
    outcome: list[str] = []
    started = threading.Event()

    def busy() -> None:
        started.set()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            pass
        outcome.append("finished")

    def run() -> None:
        try:
            run_abortable(token, busy)
        except Aborted:
            outcome.append("aborted")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert started.wait(10)
    assert not abort(object())  # another job's token: nothing happens
    assert abort(token)
    thread.join(10)
    assert outcome == ["aborted"]
    assert not abort(token)  # done: nothing left to stop
