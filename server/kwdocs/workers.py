"""Worker processes: the work of a command or a session spread over all cores, and nothing left
behind. One module for every pool kwdocs runs (extraction while indexing, rendering while
exporting).

Work travels as a call by name: a target (``module:function``) taking bytes and returning bytes
(msgpack, encoded by the caller), so the same units run in this process, in forked workers or in
child interpreters. Where this process runs a single thread (the command line) workers are
forked: they start at once with everything imported. Where other threads run (the language
server) forking could copy a lock another thread holds, so workers are child interpreters
(``python -m kwdocs.workers``) fed over pipes: no fork server, no resource tracker, no
temporary folder. Either way a worker dies with the process that started it (Linux:
``PR_SET_PDEATHSIG``), however that one ends, and the pool is closed once its work is done."""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import os
import queue
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, as_completed
from typing import Any

log = logging.getLogger(__name__)

# Below this many units of work in all, starting workers costs more than it saves.
PARALLEL_THRESHOLD = 48
_HEADER = struct.Struct("<Q")
_WORKER_MODULE = "kwdocs.workers"


def worker_count(jobs: int | None) -> int:
    """Workers for a setting of ``jobs`` (0 or None: one per core)."""
    return jobs or os.cpu_count() or 1


def call(target: str, payload: bytes) -> bytes:
    """Run one unit of work here: ``target`` is ``module:function``."""
    module, _, name = target.partition(":")
    function: Callable[[bytes], bytes] = getattr(importlib.import_module(module), name)
    return function(payload)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a bulk of acyclic objects is made: parsing
    allocates hundreds of thousands of nodes that die by reference counting, and every 700 of
    them would start a collection (~15% of extraction). Only where this is the only thread:
    other threads (the server's) may need it. Nestable; restores the previous state."""
    if not gc.isenabled() or threading.active_count() != 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def die_with_parent() -> None:
    """Make this process end when the one that started it does (Linux), even by ``kill -9``:
    a worker must never outlive its server or export (it holds the export's lock, and would
    go on writing pages)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent or parent == 1:  # the parent died before the line above
        os._exit(1)


def _start_forked() -> None:
    # A fork inherits a collector the parent paused for bulk work; units pause it themselves.
    gc.enable()
    die_with_parent()


def _start_forked_frozen() -> None:
    """For workers that read the parent's objects (render workers): keep the collector from
    traversing, and so copying, every page of the memory they share with the parent."""
    _start_forked()
    gc.freeze()


class Workers:
    """The worker processes of one piece of work, started at the first unit that needs them
    and closed (every process gone) by ``close``."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._executor: Executor | None = None
        self._children: _Children | None = None

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def parallel(self) -> bool:
        return self.jobs > 1

    def map(self, target: str, payloads: list[bytes]) -> Iterator[bytes]:
        """Run every payload through ``target``, in this process when there are few or one
        worker, else across the workers; results come in the order they finish."""
        if not payloads:
            return
        if not self.parallel or len(payloads) < 2:
            for payload in payloads:
                yield call(target, payload)
            return
        if _can_fork():
            executor = self._forked_pool(_start_forked)
            futures = [executor.submit(call, target, payload) for payload in payloads]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:
                for future in futures:
                    future.cancel()
            return
        if self._children is None:
            self._children = _Children(self.jobs)
        yield from self._children.map(target, payloads)

    def fork(self) -> Executor | None:
        """Workers forked from this process as it is now, reading its memory (what the caller
        set up before the first submit), or None where forking is unsafe: then units must
        carry their inputs and go through ``map``."""
        if not self.parallel:
            return None
        # Forked from the state of now, not of an earlier phase; closing the earlier pool
        # also ends its threads, which would otherwise make forking look unsafe.
        self._close_executor()
        if not _can_fork():
            return None
        return self._forked_pool(_start_forked_frozen)

    def _forked_pool(self, initializer: Callable[[], None]) -> Executor:
        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # Imported once here, for every forked worker: they start with it.
            import kwdocs.extract.python  # noqa: F401

            self._executor = ProcessPoolExecutor(
                self.jobs, mp_context=multiprocessing.get_context("fork"), initializer=initializer
            )
        return self._executor

    def _close_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """End every worker process (waiting for them to exit)."""
        self._close_executor()
        if self._children is not None:
            self._children.close()
            self._children = None


def _can_fork() -> bool:
    # Forking a threaded program can copy a lock another thread holds; and only Linux has
    # the parent-death signal that keeps forked workers from outliving us.
    return sys.platform.startswith("linux") and threading.active_count() == 1


class _Child:
    """One child interpreter running ``worker_main``."""

    def __init__(self) -> None:
        import kwdocs

        self.process = subprocess.Popen(
            [sys.executable, "-m", _WORKER_MODULE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # ``-m`` puts the current folder first on sys.path: the folder kwdocs itself comes
            # from, never the workspace (whose files must not be imported).
            cwd=os.path.dirname(os.path.dirname(os.path.abspath(kwdocs.__file__))),
            close_fds=True,
        )

    def ask(self, target: str, payload: bytes) -> bytes:
        assert self.process.stdin is not None and self.process.stdout is not None
        message = target.encode() + b"\0" + payload
        self.process.stdin.write(_HEADER.pack(len(message)) + message)
        self.process.stdin.flush()
        header = self.process.stdout.read(_HEADER.size)
        if len(header) != _HEADER.size:
            raise RuntimeError(f"worker {self.process.pid} ended (exit code {self.process.poll()})")
        size = _HEADER.unpack(header)[0]
        body = self.process.stdout.read(size)
        if len(body) != size:
            raise RuntimeError(f"worker {self.process.pid} ended mid-answer")
        status, answer = body[:1], body[1:]
        if status != b"+":
            raise RuntimeError(answer.decode("utf-8", "replace"))
        return answer

    def close(self, wait: float = 2.0) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdin is not None:
                self.process.stdin.close()  # the child ends at the end of its input
        try:
            self.process.wait(wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(OSError, ValueError):
            if self.process.stdout is not None:
                self.process.stdout.close()


class _Children:
    """Child interpreters fed by one thread each, for programs that must not fork."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.children: list[_Child] = []
        self.lock = threading.Lock()
        self.closed = False

    def map(self, target: str, payloads: list[bytes]) -> Iterator[bytes]:
        todo: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        for payload in payloads:
            todo.put(payload)
        done: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        with self.lock:
            if self.closed:
                raise RuntimeError("the workers are closed")
            self.children = [c for c in self.children if c.process.poll() is None]
            # Started here, on the caller's thread: the parent-death signal fires when the
            # thread that started a child ends, and the feeding threads end with this call.
            while len(self.children) < min(self.jobs, len(payloads)):
                self.children.append(_Child())
            children = list(self.children)

        def feed(child: _Child) -> None:
            try:
                while not self.closed:
                    try:
                        payload = todo.get_nowait()
                    except queue.Empty:
                        return
                    done.put((True, child.ask(target, payload)))
            except BaseException as error:  # reported on the caller's thread
                done.put((False, error))

        threads = [
            threading.Thread(target=feed, args=(child,), name="kwdocs-worker", daemon=True)
            for child in children
        ]
        for thread in threads:
            thread.start()
        try:
            for _ in payloads:
                ok, value = done.get()
                if not ok:
                    raise value
                yield value
        finally:
            # Stop handing out work (a caller that stops early, or a failure): the feeders end
            # after their current unit.
            while True:
                try:
                    todo.get_nowait()
                except queue.Empty:
                    break
            for thread in threads:
                thread.join()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            children, self.children = self.children, []
        for child in children:
            child.close()


def worker_main() -> int:
    """A child interpreter's loop: calls on stdin, answers on stdout (length-prefixed frames:
    ``target NUL payload`` in, ``+answer`` or ``-error`` out); it ends when stdin does."""
    die_with_parent()
    stdin = sys.stdin.buffer
    stdout = sys.stdout.buffer
    # Nothing but frames may reach stdout: stray prints go to stderr.
    sys.stdout = sys.stderr
    while True:
        header = stdin.read(_HEADER.size)
        if len(header) != _HEADER.size:
            return 0
        message = stdin.read(_HEADER.unpack(header)[0])
        target, _, payload = message.partition(b"\0")
        try:
            answer = b"+" + call(target.decode(), payload)
        except Exception as error:  # the caller decides; this worker stays usable
            log.exception("worker unit %s failed", target)
            answer = b"-" + f"{type(error).__name__}: {error}".encode("utf-8", "replace")
        stdout.write(_HEADER.pack(len(answer)) + answer)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(worker_main())
