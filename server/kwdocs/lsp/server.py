"""The kwdocs language server: the LanguageServer subclass holding the session state, thin
handlers that delegate to one module per feature, and ``serve()`` for ``kwdocs serve``.

Imports are kept to pygls, lsprotocol and kwdocs' light modules: ``initialize`` must be
answered fast; the indexer's pool, the exporter and rapidfuzz load when first needed, and jedi
only ever in the inference process (``kwdocs.inference``)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import inspect
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from kwdocs import __version__
from kwdocs.binding import CursorResolver
from kwdocs.extract.languages import SUFFIXES as NATIVE_SUFFIXES
from kwdocs.lsp import settings as settings_mod
from kwdocs.lsp.indexing import index_folder
from kwdocs.lsp.pagegen import PageGenerator
from kwdocs.lsp.positions import UTF16
from kwdocs.lsp.progress import StatusNotifier
from kwdocs.lsp.workspace_state import Document, Folder, FolderState, State
from kwdocs.resolve import Resolver
from kwdocs.uris import path_to_uri, uri_to_path

log = logging.getLogger("kwdocs.lsp")
F = TypeVar("F", bound=Callable[..., Any])

# Commands run through workspace/executeCommand. They differ from the VS Code extension's own
# command ids, because vscode-languageclient registers every server command as a VS Code one.
CMD_EXPORT_ALL = "kwdocs.server.exportAll"
CMD_EXPORT_FILE = "kwdocs.server.exportFile"
CMD_REINDEX = "kwdocs.server.reindex"
CMD_DEBUG_INFO = "kwdocs.server.debugInfo"
COMMANDS = [CMD_EXPORT_ALL, CMD_EXPORT_FILE, CMD_REINDEX, CMD_DEBUG_INFO]
# Files worth hearing about from the client's file watcher.
WATCH_GLOBS = [
    "**/*.{py,pyi,pyw,md,markdown,mdown}",
    # The languages read with tree-sitter (C family, YAML, CMake, shell), by suffix and name.
    "**/*.{" + ",".join(sorted(suffix[1:] for suffix in NATIVE_SUFFIXES)) + "}",
    "**/CMakeLists.txt",  # FILE_NAMES, as CMake spells it (globs match case)
    "**/pyproject.toml",
    "**/.gitignore",
]
PARENT_CHECK_SECONDS = 2.0
# A full garbage collection runs once the client has been quiet this long (checked this often),
# or after this long without a pause; never inside a request.
GC_IDLE_SECONDS = 1.0
GC_CHECK_SECONDS = 0.5
GC_BUSY_SECONDS = 30.0
_NEVER = 1 << 30  # a collection threshold never reached
# Imported in the background after ``initialized``.
WARM_MODULES = (
    "kwdocs.lsp.sync",
    "kwdocs.lsp.hover",
    "kwdocs.lsp.definition",
    "kwdocs.lsp.symbols",
    "kwdocs.extract.python",
    "kwdocs.binding",
    "kwdocs.discover",
    "kwdocs.cache",
    "kwdocs.pipeline",
    "kwdocs.render.docstrings",
    "kwdocs.lsp.commands",
)
# A hover on a file that is not open reads it from disk up to this size.
MAX_UNOPENED = 4_000_000


class _Malformed:
    """A request whose parameters could not be read: answered with InvalidParams."""

    jsonrpc = "2.0"

    def __init__(self, msg_id: Any, method: str, error: Exception) -> None:
        self.id = msg_id
        self.method = method
        self.error = error


class KwdocsProtocol(LanguageServerProtocol):
    """pygls' protocol, but a request with malformed parameters still gets its one answer
    (pygls would log the failure and never reply)."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except Exception as error:
            if isinstance(data, dict) and "id" in data and "method" in data:
                msg_id = data["id"]
                if isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool):
                    return _Malformed(msg_id, str(data.get("method")), error)
            raise

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        """Edits go to kwdocs' own copy of the buffer only: pygls' copy splits lines the way
        str.splitlines does (form feeds, U+2028...), not as LSP counts them, and a bad range
        there would stop the edit from reaching kwdocs at all."""
        handler = self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)
        if handler is not None:
            yield handler, (params,), None

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args: Any) -> Any:
        """pygls's, cancelling the requests still running from a snapshot of them: pygls
        iterates over the live table of requests, which changes under it, so a ``shutdown``
        arriving while a command ran (an export, say) failed with "dictionary changed size
        during iteration" and left the server un-shut (openlawlibrary/pygls#606)."""
        handler = self.fm.features.get(types.SHUTDOWN)
        if handler is not None:
            yield handler, args, None
        current = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current and not future.done():
                future.cancel()
        self._shutdown = True

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _Malformed):
            log.warning("malformed parameters for %s (request %r)", message.method, message.id)
            error = JsonRpcInvalidParams(f"invalid parameters for {message.method}")
            self._send_response(message.id, error=error.to_response_error())
            return
        method = getattr(message, "method", None)
        if self._shutdown and method not in (None, types.EXIT) and hasattr(message, "id"):
            # After shutdown every request still gets its one answer: an error.
            refused = JsonRpcInvalidRequest(f"{method}: the server is shutting down")
            self._send_response(message.id, error=refused.to_response_error())
            return
        super().handle_message(message)


class KwdocsServer(LanguageServer):
    """Session state: folders with their indexes, open documents, caches and workers."""

    def __init__(self) -> None:
        super().__init__(
            "kwdocs",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=KwdocsProtocol,
        )
        self.state = State()
        self.resolver = Resolver()
        """Name look-ups for Markdown and generated pages."""
        self.cursor = CursorResolver()
        """The engine's resolution of a cursor in a Python buffer (hover and definition)."""
        self.pages = PageGenerator()
        self.status = StatusNotifier(self)
        self.init_options: Any = None
        self.pushed_settings: dict[str, Any] | None = None
        self.encoding = UTF16
        self.tasks: set[asyncio.Task[Any]] = set()
        self.started = False
        self.hover_cache: dict[tuple[Any, ...], Any] = {}
        self.definition_cache: dict[tuple[Any, ...], Any] = {}
        self._inference: Any = None
        self._anchors: Any = None
        self.exiting = False
        self.last_message = time.monotonic()
        self.collect_requested = False
        """A full collection (and the heap's free pages returned) is due at the next pause."""

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log only: pygls would show every internal error to the user (and recurse when the
        connection is gone)."""
        log.debug("server error (%s): %s", getattr(source, "__name__", source), error)

    # ---- helpers used by the feature modules -----------------------------------------------

    @property
    def anchors(self) -> Any:
        if self._anchors is None:
            from kwdocs.lsp.hover import Anchors

            self._anchors = Anchors()
        return self._anchors

    @property
    def inference(self) -> Any:
        """The jedi process (``kwdocs.inference.InferenceWorker``), started when first needed."""
        if self._inference is None:
            from kwdocs.inference import InferenceWorker
            from kwdocs.lsp.definition import INFERENCE_TIMEOUT

            self._inference = InferenceWorker(INFERENCE_TIMEOUT)
        return self._inference

    def expect_inference(self) -> None:
        """A definition was asked: the few the index cannot place go to jedi, so its process
        starts now in the background (if inference is on), not at the first of those. Nothing
        starts it before (it costs ~45 MiB), and it stops once unused for a while."""
        if not self.exiting and any(
            f.settings.definition_inference == "jedi" for f in self.state.folders
        ):
            self.inference.start_soon()

    def describe_inference(self) -> dict[str, Any] | None:
        """The inference process for debugInfo (None before any was needed)."""
        return self._inference.describe() if self._inference is not None else None

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        """Run a coroutine in the background, keeping a reference and logging its failure."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task failed", exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def document(self, uri: Any) -> Document | None:
        """The open document of ``uri`` (its record brought up to date), else the file read
        from disk when it is a regular file; None for anything else."""
        if not isinstance(uri, str):
            return None
        from kwdocs.lsp import sync

        self.flush_edits()
        doc = self.state.documents.get(uri)
        if doc is not None:
            return doc
        path = uri_to_path(uri)
        if path is None:
            return None
        from kwdocs.extract import read_bounded

        # Regular files only, opened without blocking: a FIFO must not hang the server.
        outcome = read_bounded(path, MAX_UNOPENED)
        if isinstance(outcome, str):
            return None
        data = outcome[0]
        from kwdocs.extract.decode import decode

        text = decode(data, python=path.endswith(".py"))[0]
        doc = sync.make_document(self, uri, text)
        if doc.folder is not None and doc.rel is not None:
            sync.check_moved(self, doc.folder, doc.rel)
            doc.record = doc.folder.index.get(doc.rel)
        if doc.record is None:
            sync.extract_buffer(doc, into_index=False)
        return doc

    def flush_edits(self) -> None:
        """Re-extract every buffer with pending edits: answers never lag behind typing."""
        from kwdocs.lsp import sync

        for doc in self.state.documents.values():
            if doc.dirty:
                sync.flush(doc)

    def send_status(self) -> None:
        """``kwdocs/status`` summing every folder."""
        folders = self.state.folders
        if not folders:
            self.status.send(FolderState.READY, 0, 0, 0)
            return
        states = {f.state for f in folders}
        state = (
            FolderState.ERROR
            if FolderState.ERROR in states
            else FolderState.INDEXING
            if FolderState.INDEXING in states
            else FolderState.READY
        )
        done = sum(f.done if f.state is FolderState.INDEXING else len(f.index) for f in folders)
        total = sum(max(f.total, len(f.index)) for f in folders)
        keywords = sum(f.index.keyword_count() for f in folders)
        message = "; ".join(f.message for f in folders if f.message) or None
        self.status.send(state, done, total, keywords, message)

    def clear_caches(self) -> None:
        """Forget cached answers (settings, folders or files changed)."""
        self.hover_cache.clear()
        self.definition_cache.clear()

    def pages_changed(self, folder: Folder, rel: str) -> None:
        self.clear_caches()

    # ---- lifecycle -------------------------------------------------------------------------

    def on_initialize(self, params: types.InitializeParams) -> None:
        self.init_options = params.initialization_options
        chosen = self.workspace.position_encoding or UTF16
        self.encoding = str(getattr(chosen, "value", chosen))  # an enum member or a string
        folders = list(params.workspace_folders or [])
        if not folders:
            root_uri = params.root_uri
            if root_uri is None and params.root_path:
                root_uri = path_to_uri(params.root_path)
            if root_uri:
                folders = [types.WorkspaceFolder(uri=root_uri, name=Path(root_uri).name)]
        for wf in folders:
            self.add_folder(wf.uri, wf.name)
        if params.process_id:
            self.spawn(_watch_parent(self, params.process_id))

    def add_folder(self, uri: str, name: str) -> Folder | None:
        path = uri_to_path(uri)
        if path is None or not os.path.isdir(path):
            log.warning("ignoring workspace folder %s: not a local folder", uri)
            return None
        root = Path(path)
        built, problem = settings_mod.build(root, [self.init_options])
        if problem:
            log.warning("%s", problem)
        folder = Folder(uri=uri, root=root, name=name or root.name, settings=built)
        self.state.folders.append(folder)
        return folder

    async def startup(self) -> None:
        """After ``initialized``: settings, watchers, then indexing every folder."""
        for folder in self.state.folders:
            await self.load_folder_settings(folder)
        self.started = True
        self.spawn(_collect_when_idle(self))
        self.spawn(self.register_watchers())
        for folder in list(self.state.folders):
            await self.index(folder)

    async def load_folder_settings(self, folder: Folder) -> bool:
        """Read the folder's settings again; True when the indexed files may have changed."""
        pulled = await settings_mod.pull(self, folder.uri)
        built, problem = settings_mod.build(
            folder.root, [self.init_options, self.pushed_settings, pulled]
        )
        if problem:
            log.warning("%s", problem)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Warning, message=problem)
            )
        old = folder.settings
        folder.settings = built
        self.clear_caches()
        return settings_mod.reindex_needed(old, built)

    async def register_watchers(self) -> None:
        capabilities = self.client_capabilities.workspace
        watched = capabilities.did_change_watched_files if capabilities else None
        if not (watched and watched.dynamic_registration):
            log.info("the client cannot register file watchers: checking files as they are used")
            return
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCH_GLOBS]
        )
        params = types.RegistrationParams(
            registrations=[
                types.Registration(
                    id="kwdocs-watch",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=options,
                )
            ]
        )
        try:
            await asyncio.wait_for(
                self.client_register_capability_async(params), settings_mod.REQUEST_TIMEOUT
            )
        except Exception as error:
            log.warning("registering file watchers failed: %r", error)

    async def index(self, folder: Folder) -> dict[str, Any]:
        first = {d.rel for d in self.state.documents.values() if d.folder is folder and d.rel}
        result = await index_folder(self, folder, lambda final: self.send_status(), first)
        self.clear_caches()
        # What indexing freed goes back to the system at the next pause (see
        # _collect_when_idle). The inference process is not started here but by the first
        # definition request (see expect_inference).
        self.collect_requested = True
        if folder.state is FolderState.READY:
            self.spawn(self._warm_search(folder))
        return result

    async def _warm_search(self, folder: Folder) -> None:
        """Build the symbol search tables off the loop, then swap them in."""
        from kwdocs.index import build_search_tables
        from kwdocs.lsp.background import run_daemon

        index = folder.index
        names = index.begin_search_build()
        ordered, tables = await run_daemon(build_search_tables, names, name="kwdocs-warm")
        index.install_search(ordered, tables)

    def schedule_reload(self, folder: Folder) -> None:
        async def reload() -> None:
            await self.load_folder_settings(folder)
            await self.index(folder)

        self.spawn(reload())

    async def settings_changed(self, pushed: Any) -> None:
        if settings_mod.options_from(pushed):
            self.pushed_settings = settings_mod.options_from(pushed)
        for folder in list(self.state.folders):
            if await self.load_folder_settings(folder) and self.started:
                self.spawn(self.index(folder))
        if self._inference is not None and all(
            f.settings.definition_inference != "jedi" for f in self.state.folders
        ):
            self._inference.stop()  # its memory back while nothing asks for inference

    def close(self) -> None:
        """End every process this session started, at once: indexing runs are cancelled and
        their workers killed (a unit of extraction is not worth waiting for at the end), the
        inference process is killed with its process group (jedi's helper too). Called on
        shutdown, exit, the end of the input, a termination signal, the editor's end."""
        for folder in self.state.folders:
            if folder.cancel is not None:
                folder.cancel.set()
            if folder.workers is not None:
                folder.workers.terminate()
        if self._inference is not None:
            self._inference.close()


def _warm_imports(modules: tuple[str, ...]) -> None:
    """Import what the first requests will need while the client is still getting ready
    (``initialize`` itself never waits for these)."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # a missing optional module shows up when it is really used
            log.debug("warming %s failed", name, exc_info=True)
    try:
        # The builtins' stub, which nearly every file's names reach (read once, then kept),
        # and the docstring reader's patterns (compiled on their first use).
        from kwdocs.external import external_modules
        from kwdocs.lsp.hover import summary_markdown

        external = external_modules()
        builtins_stub = external.file_of("builtins")
        if builtins_stub is not None:
            external.record(builtins_stub)
        summary_markdown("Warm the ``patterns`` and :class:`roles`.")
    except Exception:  # only time is lost when this fails
        log.debug("warming the builtins failed", exc_info=True)


async def _collect_when_idle(server: KwdocsServer) -> None:
    """Full garbage collections happen here, once the client pauses (or after GC_BUSY_SECONDS
    without a pause), instead of inside a request: the automatic collector only does the young
    generations (see ``serve``), and the index is frozen out of its way as it is built; what
    was frozen is unfrozen and collected only while nothing is asked. Each collection ends by
    handing the allocator's free pages back (requests and indexing leave them behind)."""
    from kwdocs.memory import release_free_memory

    collected_at = server.last_message
    last_full = time.monotonic()
    while True:
        await asyncio.sleep(GC_CHECK_SECONDS)
        now = time.monotonic()
        quiet = now - server.last_message >= GC_IDLE_SECONDS
        due = server.last_message != collected_at or server.collect_requested
        if (quiet and due) or now - last_full >= GC_BUSY_SECONDS:
            collected_at = server.last_message
            server.collect_requested = False
            gc.unfreeze()
            gc.collect()
            gc.freeze()
            release_free_memory()
            last_full = time.monotonic()


async def _watch_parent(server: KwdocsServer, pid: int) -> None:
    """Exit when the editor process is gone (it may die without closing our stdin)."""
    while True:
        await asyncio.sleep(PARENT_CHECK_SECONDS)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            log.warning("the client process %s is gone; exiting", pid)
            server.exiting = True
            server.close()
            _hard_exit(1)
        except PermissionError:  # alive, owned by someone else
            pass


def _flush_output() -> None:
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    with contextlib.suppress(Exception):
        sys.stdout.flush()


def _hard_exit(code: int) -> None:
    _flush_output()
    os._exit(code)


# Signals that end the server: each closes the session (its processes) and then ends the server
# by that very signal, so whoever started it sees how it ended.
_ENDING_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP")


def _end_on_signals(server: KwdocsServer) -> None:
    """Without this, SIGINT raises KeyboardInterrupt inside the event loop and pygls then waits
    for its stdin reader thread forever; SIGTERM and SIGHUP kill the server without a word."""

    def end(signum: int, frame: Any) -> None:
        log.info("%s received: exiting", signal.Signals(signum).name)
        server.exiting = True
        with contextlib.suppress(Exception):  # ending matters more than tidiness now
            server.close()
        _flush_output()
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)
        os._exit(128 + signum)  # only if the signal is blocked somehow

    for name in _ENDING_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(number, end)


# ---- handlers: thin, every one answers exactly once ------------------------------------------


def safe(default: Any = None) -> Callable[[F], F]:
    """A failing handler logs the cause and answers ``default`` instead of raising."""

    def wrap(fn: F) -> F:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any) -> Any:
                _defer_pages(args)
                try:
                    return await fn(*args)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("%s failed", fn.__name__)
                    return default

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any) -> Any:
            _defer_pages(args)
            try:
                return fn(*args)
            except Exception:
                log.exception("%s failed", fn.__name__)
                return default

        return run  # type: ignore[return-value]

    return wrap


def _defer_pages(args: tuple[Any, ...]) -> None:
    """Every message the client sends pushes back on-demand page jobs (see PageGenerator) and
    the idle-time garbage collection."""
    if args and isinstance(args[0], KwdocsServer):
        args[0].pages.defer()
        args[0].last_message = time.monotonic()


def create_server() -> KwdocsServer:
    """A server with every feature registered."""
    server = KwdocsServer()

    @server.feature(types.INITIALIZE)
    @safe()
    def initialize(ls: KwdocsServer, params: types.InitializeParams) -> None:
        ls.on_initialize(params)

    @server.feature(types.INITIALIZED)
    @safe()
    def initialized(ls: KwdocsServer, params: types.InitializedParams) -> None:
        threading.Thread(target=_warm_imports, args=(WARM_MODULES,), daemon=True).start()
        ls.spawn(ls.startup())

    @server.feature(types.SHUTDOWN)
    @safe()
    def shutdown(ls: KwdocsServer, params: Any) -> None:
        ls.close()

    @server.feature(types.EXIT)
    def exit_(ls: KwdocsServer, params: Any) -> None:
        # Leave at once, before pygls closes the stream and raises SystemExit inside the loop
        # (noisy over TCP); daemon threads (exports) must not keep the process alive, and
        # close() has killed the inference process.
        ls.exiting = True
        ls.close()
        _hard_exit(0 if ls.protocol._shutdown else 1)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @safe()
    def did_open(ls: KwdocsServer, params: types.DidOpenTextDocumentParams) -> None:
        from kwdocs.lsp import sync

        sync.open_document(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @safe()
    def did_change(ls: KwdocsServer, params: types.DidChangeTextDocumentParams) -> None:
        from kwdocs.lsp import sync

        sync.change_document(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @safe()
    def did_save(ls: KwdocsServer, params: types.DidSaveTextDocumentParams) -> None:
        from kwdocs.lsp import sync

        sync.save_document(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @safe()
    def did_close(ls: KwdocsServer, params: types.DidCloseTextDocumentParams) -> None:
        from kwdocs.lsp import sync

        sync.close_document(ls, params)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @safe()
    def watched(ls: KwdocsServer, params: types.DidChangeWatchedFilesParams) -> None:
        from kwdocs.lsp import sync

        sync.watched_files_changed(ls, params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @safe()
    def configuration(ls: KwdocsServer, params: types.DidChangeConfigurationParams) -> None:
        ls.spawn(ls.settings_changed(params.settings))

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    @safe()
    def folders_changed(ls: KwdocsServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        for removed in params.event.removed or []:
            for folder in [f for f in ls.state.folders if f.uri == removed.uri]:
                if folder.cancel is not None:
                    folder.cancel.set()
                folder.run_id += 1
                ls.state.folders.remove(folder)
        for added in params.event.added or []:
            folder = ls.add_folder(added.uri, added.name)
            if folder is not None and ls.started:
                ls.schedule_reload(folder)
        ls.clear_caches()

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @safe()
    def hover(ls: KwdocsServer, params: types.HoverParams) -> types.Hover | None:
        from kwdocs.lsp.hover import handle

        return handle(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @safe()
    async def definition(ls: KwdocsServer, params: types.DefinitionParams) -> Any:
        from kwdocs.lsp.definition import handle

        ls.expect_inference()
        return await handle(ls, params)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @safe()
    def document_symbol(ls: KwdocsServer, params: types.DocumentSymbolParams) -> Any:
        from kwdocs.lsp.symbols import document_symbols

        return document_symbols(ls, params)

    @server.feature(types.WORKSPACE_SYMBOL)
    @safe()
    def workspace_symbol(ls: KwdocsServer, params: types.WorkspaceSymbolParams) -> Any:
        from kwdocs.lsp.symbols import workspace_symbols

        return workspace_symbols(ls, params)

    @server.command(CMD_EXPORT_ALL)
    async def export_all(ls: KwdocsServer, *args: Any) -> Any:
        from kwdocs.lsp.commands import export_all

        return await export_all(ls, list(args))

    @server.command(CMD_EXPORT_FILE)
    async def export_file(ls: KwdocsServer, *args: Any) -> Any:
        from kwdocs.lsp.commands import export_file

        return await export_file(ls, list(args))

    @server.command(CMD_REINDEX)
    async def reindex(ls: KwdocsServer, *args: Any) -> Any:
        from kwdocs.lsp.commands import reindex

        return await reindex(ls, list(args))

    @server.command(CMD_DEBUG_INFO)
    def debug_info(ls: KwdocsServer, *args: Any) -> Any:
        from kwdocs.lsp.commands import debug_info

        return debug_info(ls)

    return server


# ---- logging and entry point -------------------------------------------------------------------


class ClientLogHandler(logging.Handler):
    """Forwards kwdocs' own log records to the client as ``window/logMessage``."""

    _TYPES: ClassVar[dict[int, types.MessageType]] = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
        logging.DEBUG: types.MessageType.Log,
    }

    def __init__(self, server: KwdocsServer) -> None:
        super().__init__()
        self.server = server
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.loop is None or self.server.protocol.writer is None or self.server.exiting:
            return
        try:
            level = max((lvl for lvl in self._TYPES if lvl <= record.levelno), default=10)
            params = types.LogMessageParams(type=self._TYPES[level], message=self.format(record))
            if threading.get_ident() == self.loop_thread:
                self.server.window_log_message(params)
            elif not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self.server.window_log_message, params)
        except Exception:  # logging must never break the server
            pass


def _setup_logging(args: Any, server: KwdocsServer) -> ClientLogHandler:
    level = getattr(logging, str(getattr(args, "log_level", "INFO")).upper(), logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.INFO)
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setFormatter(formatter)
    stderr.setLevel(level)
    root.addHandler(stderr)
    log_file = getattr(args, "log_file", None)
    if log_file:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(formatter)
        file_handler.setLevel(level)
        root.addHandler(file_handler)
    # pygls logs every message it sends at INFO: keep it quiet unless debugging.
    quiet = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    logging.getLogger("pygls").setLevel(quiet)
    client = ClientLogHandler(server)
    client.setLevel(max(level, logging.INFO))
    client.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("kwdocs").addHandler(client)
    return client


def serve(args: Any) -> int:
    """Run the server until the client says ``exit`` (or disappears); the exit status."""
    from kwdocs.memory import tune_allocator

    tune_allocator()
    server = create_server()
    client_log = _setup_logging(args, server)
    # Background threads (cache loading, index building, exports) hold the GIL in turns of
    # this length; shorter turns keep the request loop's waits for it short.
    sys.setswitchinterval(0.001)
    # No automatic full collections: one walks every object the caches of the last requests
    # hold (~0.1 s after a few large scope parses), inside whichever request triggered it.
    # _collect_when_idle does them between requests instead.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    _end_on_signals(server)

    original_start = server.protocol.handle_message

    def handle_first(message: Any) -> None:
        # Learn the loop (for log forwarding from worker threads) on the first message.
        if client_log.loop is None:
            try:
                client_log.loop = asyncio.get_running_loop()
                client_log.loop_thread = threading.get_ident()
            except RuntimeError:
                pass
        original_start(message)

    server.protocol.handle_message = handle_first  # type: ignore[method-assign]
    try:
        if getattr(args, "tcp", False):
            server.start_tcp(args.host, args.port)
        else:
            # Protocol only on the real stdout: a stray print() anywhere goes to stderr.
            protocol_out = sys.stdout.buffer
            sys.stdout = sys.stderr
            server.start_io(sys.stdin.buffer, protocol_out)
    finally:
        server.close()
    code = 0 if server.protocol._shutdown else 1
    # Daemon threads (exports) must not keep the process alive: leave at once.
    _hard_exit(code)
    return code
