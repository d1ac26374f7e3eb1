"""jedi's static inference in a child process: ``InferenceWorker`` starts ``python -m
kwdocs.inference`` when a first question needs it, asks it where the name at a position of a
buffer is defined, and awaits the answer without holding the caller's interpreter. jedi's
caches live (and die) in the child, which is restarted when it dies, outgrows its memory budget
or answers too late, and stopped once no question came for a while (the next one starts it
again). Nothing of the workspace is ever executed: jedi only parses it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
import struct
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import msgspec

from kwdocs.memory import release_free_memory, rss_bytes

# Named, not __name__: in the child this module runs as __main__.
log = logging.getLogger("kwdocs.inference")

Hit = tuple[str, int, int, str]
"""(file, 1-based line, 0-based column, name) of one definition jedi found."""

# Past this resident size (after an answer) the child exits, and the server starts a fresh
# one. jedi loaded with the builtins' stubs is ~45 MiB; the rest is what questions into a large
# package make it parse and infer (parso's trees are ~10 times their source).
MEMORY_BUDGET_MIB = 100
# The child is stopped once no question came for this long: its caches are worth less than
# their memory to a user who is not asking (a new child is ready in ~0.4 s).
IDLE_STOP_SECONDS = 30.0
# Importing jedi and loading the builtins' stubs, on a loaded machine. A request waits for a
# starting child this long, then for its inference ``timeout``: a restarted child is never
# killed for being slow to start.
START_TIMEOUT = 20.0
# A child that failed to start is not tried again before this many seconds.
START_BACKOFF = 30.0
# The child collects its garbage once no request came for this long.
IDLE_SECONDS = 1.0
# Buffers whose text the child holds (a request for one of them sends no text).
_MAX_TEXTS = 8
# Each jedi Script keeps its own inference state (every module it looked into): a few at most.
_MAX_SCRIPTS = 2
_HEADER = struct.Struct(">I")
# The child's exit status when it leaves to be restarted without its caches' memory.
_OVER_BUDGET = 3
# The child's log lines start with their level name: logged again at that level.
_LEVELS = {
    name: getattr(logging, name) for name in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
}


class Goto(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A request to the child: the definitions of the name at (line, column) of ``path``.
    ``text`` is sent only when the child may not hold the buffer ``text_id`` names."""

    id: int
    root: str
    path: str
    text_id: int
    text: str | None = None
    line: int
    column: int


class Answer(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The child's reply to a ``Goto`` (``id`` 0: the child is ready)."""

    id: int
    hits: list[Hit] = msgspec.field(default_factory=list)
    need_text: bool = False
    error: str = ""
    rss: int = 0


class WorkerGone(Exception):
    """The child exited (or was killed) before it answered."""


def _frame(message: msgspec.Struct) -> bytes:
    body = msgspec.msgpack.encode(message)
    return _HEADER.pack(len(body)) + body


# ---- the child ----------------------------------------------------------------------------------


class _Jedi:
    """jedi's projects, Scripts and buffers of one child process."""

    def __init__(self, budget: int) -> None:
        from jedi.api.environment import InterpreterEnvironment

        self.budget = budget
        self.projects: dict[str, Any] = {}
        self.scripts: OrderedDict[str, tuple[int, Any, Any]] = OrderedDict()
        self.texts: OrderedDict[str, tuple[int, str]] = OrderedDict()
        # Compiled modules (``math``, ``_socket``) are looked into in this process, not in a
        # helper interpreter jedi would start for it (~30 MiB more, and one more process to
        # end): this process is already the one jedi may break. Which compiled modules jedi
        # may load is the project's rule either way (none from the workspace).
        self.environment = InterpreterEnvironment()

    def warm_up(self) -> None:
        """Load jedi and the builtins' stubs before the first request needs them."""
        import jedi

        jedi.Script("import os\nlen\nos.path\n", environment=self.environment).infer(2, 1)

    def answer(self, request: Goto) -> Answer:
        if request.text is not None:
            self.texts[request.path] = (request.text_id, request.text)
            self.texts.move_to_end(request.path)
            while len(self.texts) > _MAX_TEXTS:
                self.texts.popitem(last=False)
        held = self.texts.get(request.path)
        if held is None or held[0] != request.text_id:
            return Answer(id=request.id, need_text=True)
        try:
            hits = self.goto(request.root, request.path, request.text_id, held[1], request)
        except Exception as error:  # jedi's own failures on odd code: no answer, no crash
            log.info("jedi failed on %s: %r", request.path, error)
            self.scripts.pop(request.path, None)
            return Answer(id=request.id, error=repr(error))
        return Answer(id=request.id, hits=hits)

    def goto(self, root: str, path: str, text_id: int, text: str, where: Goto) -> list[Hit]:
        import jedi

        project = self.projects.get(root)
        if project is None:
            # smart_sys_path=False: only the root is added, not folders above it; extensions in
            # the workspace are never loaded.
            project = jedi.Project(
                root, added_sys_path=(root,), smart_sys_path=False, load_unsafe_extensions=False
            )
            self.projects[root] = project
        cached = self.scripts.get(path)
        if cached is not None and cached[0] == text_id and cached[1] is project:
            script = cached[2]  # jedi keeps its inferences for an unchanged buffer
        else:
            script = jedi.Script(text, path=path, project=project, environment=self.environment)
            self.scripts[path] = (text_id, project, script)
        self.scripts.move_to_end(path)
        while len(self.scripts) > _MAX_SCRIPTS:
            self.scripts.popitem(last=False)
        names = script.goto(where.line, where.column, follow_imports=True)
        if not names or all(n.type == "module" and n.line is None for n in names):
            names = script.infer(where.line, where.column) or names
        return [
            (str(n.module_path), n.line or 0, n.column or 0, n.name or "")
            for n in names
            if n.module_path is not None
        ]

    def collect(self) -> None:
        """A full collection while idle; what survives is frozen out of the automatic
        collections, which would otherwise traverse jedi's caches inside requests."""
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        release_free_memory()

    def within_budget(self) -> bool:
        """False once the child is over its budget: it then exits, to be started afresh.
        Dropping jedi's and parso's caches in place gives back little (what they freed stays
        scattered among what is left), so the child would stay near its budget and drop them
        again at nearly every request; a new child is ready in ~0.4 s at ~45 MiB."""
        return rss_bytes() <= self.budget


def _harden_parse_cache() -> None:
    """parso pickles the modules jedi parses into a folder every jedi user shares; a child
    killed while writing one (as late answers are cut off) would leave a truncated pickle that
    fails that module from then on. Pickles are written to a temporary file renamed into
    place, and one that cannot be read counts as none (the module is parsed again)."""
    import pickle

    import parso.cache as cache

    load = getattr(cache, "_load_from_file_system", None)
    hashed_path = getattr(cache, "_get_hashed_path", None)
    if load is None or hashed_path is None or not hasattr(cache, "_save_to_file_system"):
        return  # another parso: its own behaviour

    def save_atomically(grammar: Any, path: Any, item: Any, cache_path: Any = None) -> None:
        target = str(hashed_path(grammar, path, cache_path=cache_path))
        temporary = f"{target}.{os.getpid()}.tmp"
        try:
            with open(temporary, "wb") as f:
                pickle.dump(item, f, pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def load_or_none(*args: Any, **kwargs: Any) -> Any:
        try:
            return load(*args, **kwargs)
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
            return None

    cache._save_to_file_system = save_atomically
    cache._load_from_file_system = load_or_none


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        data = os.read(fd, min(size, 1 << 20))
        if not data:
            return None
        chunks.append(data)
        size -= len(data)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def main() -> int:
    """The child's loop: requests on stdin, answers on stdout (framed msgpack), logs on stderr;
    it ends when stdin does (the server is gone)."""
    from kwdocs.memory import tune_allocator
    from kwdocs.workers import die_with_parent

    # Killed with the server however it ends (its stdin's end would come too late while jedi
    # is busy).
    die_with_parent()
    tune_allocator()
    # Answers go to a private copy of stdout: a stray print() anywhere lands in stderr.
    out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(message)s")
    budget = int(os.environ.get("KWDOCS_INFERENCE_MEMORY_MIB", MEMORY_BUDGET_MIB)) << 20
    _harden_parse_cache()
    engine = _Jedi(budget)
    engine.warm_up()
    engine.collect()
    _write_all(out, _frame(Answer(id=0, rss=rss_bytes())))
    decoder = msgspec.msgpack.Decoder(Goto)
    idle = True
    while True:
        if not idle and os.name == "posix":
            import select

            if not select.select([0], [], [], IDLE_SECONDS)[0]:
                engine.collect()
                idle = True
                continue
        header = _read_exactly(0, _HEADER.size)
        body = _read_exactly(0, _HEADER.unpack(header)[0]) if header else None
        if body is None:
            return 0
        answer = engine.answer(decoder.decode(body))
        answer.rss = rss_bytes()
        _write_all(out, _frame(answer))
        # What the answer left is frozen out of the automatic collections (which would
        # traverse jedi's caches inside the next requests); the idle collection frees it.
        gc.freeze()
        idle = False
        if not engine.within_budget():
            log.info("over its memory budget (%d MiB): exiting to be restarted", rss_bytes() >> 20)
            return _OVER_BUDGET


# ---- the server's side --------------------------------------------------------------------------


class _Child:
    """One child process and what the server knows of it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.process: asyncio.subprocess.Process | None = None
        self.ready: asyncio.Future[None] = loop.create_future()
        # Nobody may be waiting when a background start fails: its error is retrieved here.
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.pending: dict[int, asyncio.Future[Answer]] = {}
        # path → (text id, text) of the buffers this child holds.
        self.texts: OrderedDict[str, tuple[int, str]] = OrderedDict()
        self.killed = False
        self.tasks: list[asyncio.Task[Any]] = []
        self.rss = 0


class InferenceWorker:
    """The server's handle on the inference child: one request at a time, each answered
    within ``timeout`` seconds of inference or given up (the child is then killed and
    restarted in the background). The child is started by the first request and stopped
    after ``idle_stop`` seconds without one (0: never). Must be used from one event loop."""

    def __init__(self, timeout: float, idle_stop: float | None = None) -> None:
        self.timeout = timeout
        if idle_stop is None:
            try:
                idle_stop = float(os.environ.get("KWDOCS_INFERENCE_IDLE_SECONDS", ""))
            except ValueError:  # unset or not a number
                idle_stop = IDLE_STOP_SECONDS
        self.idle_stop = idle_stop
        self.restarts = 0
        self.timeouts = 0
        self.requests = 0
        self.idle_stops = 0
        self._child: _Child | None = None
        self._lock: asyncio.Lock | None = None
        self._next_id = 0
        self._next_text_id = 0
        self._retry_after = 0.0
        self._closed = False
        self._last_request = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None

    # ---- asking -----------------------------------------------------------------------------

    async def goto(
        self, root: str, path: str, text: str, line: int, column: int
    ) -> list[Hit] | None:
        """The definitions jedi finds for (1-based line, code-point column) of the buffer
        ``text`` of file ``path`` in project ``root``; None when it failed or was too late."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        self.requests += 1
        try:
            async with self._lock:
                return await self._goto(root, path, text, line, column)
        finally:
            self._last_request = time.monotonic()
            self._arm_idle_stop()

    async def _goto(
        self, root: str, path: str, text: str, line: int, column: int
    ) -> list[Hit] | None:
        """``goto`` with the lock held."""
        # A child that died under an earlier request (or was killed from outside) is
        # replaced, and the question asked once more.
        for _ in range(2):
            child = await self._running_child()
            if child is None:
                return None
            try:
                return await asyncio.wait_for(
                    self._ask(child, root, path, text, line, column), self.timeout
                )
            except WorkerGone:
                if not child.killed:  # noticed here before its end of output was read
                    self._kill(child)
                    self.restarts += 1
                continue
            except asyncio.TimeoutError:
                self.timeouts += 1
                log.info("inference took longer than %ss: restarting its process", self.timeout)
                self._replace(child)
                return None
            except Exception as error:  # e.g. a buffer msgpack cannot carry: no answer
                log.info("inference failed (%r)", error)
                return None
        return None

    async def _ask(
        self, child: _Child, root: str, path: str, text: str, line: int, column: int
    ) -> list[Hit] | None:
        held = child.texts.get(path)
        if held is not None and (held[1] is text or held[1] == text):
            text_id, send = held[0], None
        else:
            self._next_text_id += 1
            text_id, send = self._next_text_id, text
        answer = await self._roundtrip(
            child,
            Goto(id=0, root=root, path=path, text_id=text_id, text=send, line=line, column=column),
        )
        if answer.need_text:  # the child let the buffer go: send it again
            answer = await self._roundtrip(
                child,
                Goto(
                    id=0, root=root, path=path, text_id=text_id, text=text, line=line, column=column
                ),
            )
        child.texts[path] = (text_id, text)
        child.texts.move_to_end(path)
        while len(child.texts) > _MAX_TEXTS:
            child.texts.popitem(last=False)
        if answer.error or answer.need_text:
            return None
        return [tuple(hit) for hit in answer.hits]  # type: ignore[misc]

    async def _roundtrip(self, child: _Child, request: Goto) -> Answer:
        process = child.process
        if process is None or process.stdin is None or child.killed:
            raise WorkerGone
        self._next_id += 1
        request.id = self._next_id
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        child.pending[request.id] = future
        try:
            process.stdin.write(_frame(request))
            await process.stdin.drain()
            return await future
        except (BrokenPipeError, ConnectionResetError) as error:
            raise WorkerGone from error
        finally:
            child.pending.pop(request.id, None)

    # ---- the child's life ---------------------------------------------------------------------

    def _arm_idle_stop(self) -> None:
        if self._idle_timer is None and self.idle_stop > 0 and not self._closed:
            loop = asyncio.get_running_loop()
            self._idle_timer = loop.call_later(self.idle_stop, self._stop_if_idle)

    def _stop_if_idle(self) -> None:
        """Stop the child once ``idle_stop`` seconds passed without a request (one timer for
        many requests: it looks at the time of the last one and waits for the rest)."""
        self._idle_timer = None
        if self._child is None or self._closed:
            return
        quiet = time.monotonic() - self._last_request
        busy = self._lock is not None and self._lock.locked()
        if busy or quiet < self.idle_stop:
            wait = self.idle_stop if busy else self.idle_stop - quiet
            self._idle_timer = asyncio.get_running_loop().call_later(wait, self._stop_if_idle)
            return
        log.info("no inference asked for %.0f s: its process stops until the next", quiet)
        self.idle_stops += 1
        self.stop()

    def start_soon(self) -> None:
        """Start the child in the background (if it is not running), so that a request soon
        to come does not wait for jedi to load. Unasked, it stops after ``idle_stop``."""
        if self._child is None and not self._closed and time.monotonic() >= self._retry_after:
            self._last_request = time.monotonic()
            self._spawn()
            self._arm_idle_stop()

    async def _running_child(self) -> _Child | None:
        # Twice: a child whose death is noticed while this waits is replaced meanwhile, and
        # the question goes to its successor (not unanswered).
        for _ in range(2):
            child = self._child
            if child is None:
                if self._closed or time.monotonic() < self._retry_after:
                    return None
                child = self._spawn()
            try:
                await asyncio.wait_for(asyncio.shield(child.ready), START_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning(
                    "the inference process did not start (%r): answering from the index", error
                )
                self._retry_after = time.monotonic() + START_BACKOFF
                self._kill(child)
                return None
            if child is self._child:
                return child
        return None

    def _spawn(self) -> _Child:
        loop = asyncio.get_running_loop()
        child = _Child(loop)
        self._child = child
        child.tasks.append(loop.create_task(self._start(child)))
        return child

    async def _start(self, child: _Child) -> None:
        import kwdocs
        from kwdocs.workers import child_environment

        posix = os.name == "posix"
        try:
            child.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "kwdocs.inference",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                # ``-m`` puts the current folder first on sys.path: the folder kwdocs itself
                # comes from, never the workspace (whose files must not be imported).
                cwd=str(Path(kwdocs.__file__).resolve().parent.parent),
                # Its own process group, killed as one: whatever it may start dies with it.
                start_new_session=posix,
                env=child_environment(),
            )
        except Exception as error:
            if not child.ready.done():
                child.ready.set_exception(error)
            return
        if child.killed:  # closed while it started
            self._signal(child.process)
            return
        loop = asyncio.get_running_loop()
        child.tasks.append(loop.create_task(self._read(child)))
        child.tasks.append(loop.create_task(self._log_stderr(child)))

    async def _read(self, child: _Child) -> None:
        """Answers from the child's stdout to the requests waiting for them."""
        process = child.process
        assert process is not None and process.stdout is not None
        decoder = msgspec.msgpack.Decoder(Answer)
        try:
            while True:
                header = await process.stdout.readexactly(_HEADER.size)
                body = await process.stdout.readexactly(_HEADER.unpack(header)[0])
                answer = decoder.decode(body)
                child.rss = answer.rss
                if answer.id == 0:
                    if not child.ready.done():
                        child.ready.set_result(None)
                    continue
                future = child.pending.get(answer.id)
                if future is not None and not future.done():
                    future.set_result(answer)
        except (asyncio.IncompleteReadError, ConnectionError, msgspec.DecodeError):
            pass
        code = await process.wait()
        if child.killed:
            return
        if code == _OVER_BUDGET:
            log.info("the inference process outgrew its memory budget: restarting it")
        else:
            log.warning("the inference process exited (status %s): restarting it", code)
        was_ready = child.ready.done() and not child.ready.exception()
        self._kill(child)
        if was_ready and not self._closed:
            self.restarts += 1
            self._spawn()

    async def _log_stderr(self, child: _Child) -> None:
        """The child's stderr goes to the server's log (never to the protocol's stdout)."""
        process = child.process
        assert process is not None and process.stderr is not None
        rest = b""
        while chunk := await process.stderr.read(65536):
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                text = line.decode("utf-8", "replace").rstrip()
                name, _, message = text.partition(" ")
                level = _LEVELS.get(name)
                if level is None:  # not one of its log records: a traceback, a warning
                    level, message = logging.WARNING, text
                if text:
                    log.log(level, "inference process: %s", message)

    def _replace(self, child: _Child) -> None:
        """Kill a child that answers too late and start a fresh one in the background."""
        self._kill(child)
        if not self._closed:
            self.restarts += 1
            self._spawn()

    def _kill(self, child: _Child) -> None:
        if self._child is child:
            self._child = None
        child.killed = True
        if child.process is not None:
            self._signal(child.process)
        if not child.ready.done():
            child.ready.set_exception(WorkerGone())
        for future in child.pending.values():
            if not future.done():
                future.set_exception(WorkerGone())

    @staticmethod
    def _signal(process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()

    def stop(self) -> None:
        """Kill the child (and its process group), e.g. when no folder wants inference any more
        or none was asked for a while; the next request starts another."""
        if self._child is not None:
            self._kill(self._child)

    def close(self) -> None:
        """Kill the child (and its process group); no new one is started after this."""
        self._closed = True
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        self.stop()

    async def aclose(self) -> None:
        """``close()``, then wait until the child is gone and its pipes are closed."""
        child = self._child
        self.close()
        if child is not None:
            await asyncio.gather(*child.tasks, return_exceptions=True)
            if child.process is not None:
                await child.process.wait()

    def describe(self) -> dict[str, Any]:
        """For debugInfo: the child's pid and resident memory, restarts and late answers."""
        child = self._child
        process = child.process if child is not None else None
        running = process is not None and process.returncode is None
        pid = process.pid if running and process is not None else None
        rss = (rss_bytes(pid) or (child.rss if child else 0)) if pid is not None else 0
        return {
            "pid": pid,
            "rssMiB": round(rss / (1 << 20), 1) if pid is not None else None,
            "restarts": self.restarts,
            "timeouts": self.timeouts,
            "requests": self.requests,
            "idleStops": self.idle_stops,
            "timeoutSeconds": self.timeout,
            "idleStopSeconds": self.idle_stop,
        }


if __name__ == "__main__":
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # see __main__.py: the current folder is never searched for modules
    raise SystemExit(main())
