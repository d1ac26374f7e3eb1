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
import functools
import gc
import importlib
import logging
import os
import queue
import signal
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
# The pid of the process that started a child interpreter, for the child's ``die_with_parent``.
PARENT_ENV = "KWDOCS_PARENT_PID"
# How long a killed worker may take to be reaped.
_REAP_SECONDS = 2.0


class WorkersClosed(RuntimeError):
    """Work asked of workers that were closed (the run or the program is ending)."""


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


def die_with_parent(parent: int | None = None) -> None:
    """Make this process end when the one that started it does (Linux), even by ``kill -9``:
    a worker must never outlive its server or export (it holds the export's lock, and would
    go on writing pages). ``parent`` is the pid of that process; by default the one a child
    interpreter is told of in its environment (``child_environment``), else the current
    parent. The signal comes when the *thread* that started this process ends: start
    children on a thread that lives as long as they should."""
    if parent is None:
        told = os.environ.pop(PARENT_ENV, "")
        parent = int(told) if told.isdigit() else os.getppid()
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
    # The parent died before the line above (this process was re-parented): follow it now.
    if os.getppid() != parent:
        os._exit(1)


def child_environment() -> dict[str, str]:
    """The environment of a child interpreter that calls ``die_with_parent``: this one's,
    naming this process as its parent."""
    return {**os.environ, PARENT_ENV: str(os.getpid())}


def ignore_interrupts() -> None:
    """Leave Ctrl-C to the parent: a terminal sends SIGINT to the whole process group, and
    a worker dying of it mid-unit would only turn the parent's orderly stop into errors. The
    parent stops its workers itself (and they die with it in any case). A worker starts with
    SIGINT blocked (``_interrupts_held``), so none can reach it before this."""
    with contextlib.suppress(ValueError, OSError, AttributeError):  # no such signal or call
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """SIGINT blocked on this thread while it starts workers: they inherit the mask (across
    ``exec`` too), so a Ctrl-C cannot kill one before it ignores SIGINT; one that comes
    meanwhile reaches this process when the mask is restored."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _nothing() -> None:
    """A first unit: submitting it makes the pool fork all its workers at once."""


def _start_forked(parent: int) -> None:
    """A forked worker's start. It inherits a collector the parent paused for bulk work (units
    pause it themselves) and, with it, every object the parent made meanwhile: frozen first,
    or the first collection after enabling would traverse them all (0.1-0.15 s per worker of a
    torch export's edge workers), and copy every page of the memory shared with the parent."""
    gc.freeze()
    gc.enable()
    ignore_interrupts()
    die_with_parent(parent)


class Workers:
    """The worker processes of one piece of work, started at the first unit that needs them
    and closed (every process gone) by ``close``, or killed at once by ``terminate``. Closed
    workers take no more work (``WorkersClosed``)."""

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._executor: Executor | None = None
        self._children: _Children | None = None
        self._closed = False

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
        if self._closed:
            raise WorkersClosed("the workers are closed")
        if _can_fork():
            executor = self._forked_pool()
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
        set up before this call), or None where forking is unsafe: then units must carry
        their inputs and go through ``map``."""
        if not self.parallel or self._closed:
            return None
        # Forked from the state of now, not of an earlier phase; and an earlier pool's
        # manager thread would make this process look threaded to ``_can_fork``.
        self._close_executor()
        if not _can_fork():
            return None
        return self._forked_pool()

    def _forked_pool(self) -> Executor:
        if self._executor is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # Imported once here, for every forked worker: they start with it.
            import kwdocs.extract.python  # noqa: F401

            executor = ProcessPoolExecutor(
                self.jobs,
                mp_context=multiprocessing.get_context("fork"),
                # This process's pid, taken before forking: a worker forked just as this
                # process dies must not mistake its new parent for this one.
                initializer=functools.partial(_start_forked, os.getpid()),
            )
            # Forked here and now (a pool forks every worker at its first submit), from the
            # memory as it is now, with Ctrl-C held off until they ignore it.
            with _interrupts_held():
                executor.submit(_nothing)
            self._executor = executor
        return self._executor

    def _close_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """End every worker process (waiting for them to finish their unit and exit)."""
        self._closed = True
        self._close_executor()
        if self._children is not None:
            self._children.close()
            self._children = None

    def terminate(self) -> None:
        """Kill every worker process now, mid-unit or not (the program is going away); they
        are reaped before this returns. Safe from another thread than the one using them."""
        self._closed = True
        executor, self._executor = self._executor, None
        if executor is not None:
            # No public way to reach a pool's processes: without it they would still die
            # with this process (``die_with_parent``), only later.
            processes = getattr(executor, "_processes", None) or {}
            for process in list(processes.values()):
                with contextlib.suppress(OSError, ValueError, AttributeError):
                    process.kill()
            executor.shutdown(wait=False, cancel_futures=True)
        children, self._children = self._children, None
        if children is not None:
            children.terminate()


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
            env=child_environment(),
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

    def kill(self) -> None:
        """SIGKILL, then reap. The pipes stay open: a thread feeding this child may still be
        reading, and sees their end."""
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(_REAP_SECONDS)


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
        # Each feeder's answers (ok, value), then None once it stops.
        done: queue.SimpleQueue[tuple[bool, Any] | None] = queue.SimpleQueue()
        with self.lock:
            if self.closed:
                raise WorkersClosed("the workers are closed")
            self.children = [c for c in self.children if c.process.poll() is None]
            # Started here, on the caller's thread: the parent-death signal fires when the
            # thread that started a child ends, and the feeding threads end with this call.
            with _interrupts_held():
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
            finally:
                done.put(None)

        threads = [
            threading.Thread(target=feed, args=(child,), name="kwdocs-worker", daemon=True)
            for child in children
        ]
        for thread in threads:
            thread.start()
        try:
            answered = 0
            feeding = len(threads)
            while answered < len(payloads):
                item = done.get()
                if item is None:
                    # A feeder stopped; once all have, every answer they gave was read.
                    feeding -= 1
                    if not feeding:
                        raise WorkersClosed("the workers were closed before the work was done")
                    continue
                ok, value = item
                if not ok:
                    if self.closed:  # its child was killed under it: no fault of the unit
                        raise WorkersClosed("the workers were closed") from value
                    raise value
                answered += 1
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

    def terminate(self) -> None:
        with self.lock:  # a child being started is in the list once this is taken
            self.closed = True
            children, self.children = self.children, []
        for child in children:
            child.kill()


def worker_main() -> int:
    """A child interpreter's loop: calls on stdin, answers on stdout (length-prefixed frames:
    ``target NUL payload`` in, ``+answer`` or ``-error`` out); it ends when stdin does."""
    die_with_parent()
    ignore_interrupts()
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
