"""Background indexing of one folder: the indexing pipeline runs in a thread of its own (and
its worker processes, gone when it ends); what it finds reaches the event loop as events, so
requests keep being answered and the index is only ever changed by the loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from kwdocs.cache import RecordCache
from kwdocs.config import Settings
from kwdocs.discover import Discovery
from kwdocs.lsp.progress import WorkProgress
from kwdocs.lsp.workspace_state import Folder, FolderState
from kwdocs.model import FileRecord, Skip
from kwdocs.modules import ModuleNamer
from kwdocs.pipeline import IndexBuilder, IndexReport, UnitOutcome, run_pipeline
from kwdocs.workers import Workers, WorkersClosed, worker_count

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

log = logging.getLogger(__name__)

# Records applied per event-loop turn: small enough that a hover never waits long.
_APPLY_CHUNK = 64
_REUSE_CHUNK = 256


class Discovered(msgspec.Struct, frozen=True):
    """The files of the folder are known: how many, and which paths stay in the index."""

    total: int
    wanted: frozenset[str]
    skipped: list[Skip]
    namer: ModuleNamer | None


class Swapped(msgspec.Struct, frozen=True):
    """A first indexing: the cached index, fixed up, is ready to take the folder's place."""

    index: Any
    """The KeywordIndex (built on the indexing thread, owned by the loop from here on)."""
    done: int


class Batch(msgspec.Struct, frozen=True):
    """Records to put into the index (reused or extracted) and files to leave out."""

    records: list[FileRecord]
    skips: list[Skip]
    done: int


class Finished(msgspec.Struct, frozen=True):
    report: IndexReport | None
    """None when the run failed (``error`` says why) or was cancelled."""
    error: str = ""


IndexEvent = Discovered | Swapped | Batch | Finished


class LoopSink:
    """The pipeline's sink for the server: the index belongs to the event loop, so records
    travel to it as events. A first indexing (no records known yet) builds the cached index
    privately on the indexing thread and hands it over whole (a warm start does no work per
    keyword); a later one sends what it reuses and extracts in batches."""

    def __init__(
        self,
        cache: RecordCache | None,
        known: dict[str, FileRecord],
        emit: Callable[[IndexEvent], None],
    ) -> None:
        self.emit = emit
        self.known = known
        self.builder: IndexBuilder | None = IndexBuilder(cache) if not known else None
        self.cached = cache.load() if cache is not None and known else {}
        self.pending: list[FileRecord] = []
        self.done = 0
        self.kept: dict[str, FileRecord] = {}
        self.cache = cache

    def discovered(self, found: Discovery) -> None:
        wanted = frozenset(source.path for source in found.files)
        self.emit(Discovered(len(found.files), wanted, list(found.skipped), found.namer))
        if self.builder is not None:
            self.builder.discovered(found)

    def previous(self, path: str) -> FileRecord | None:
        if self.builder is not None:
            return self.builder.previous(path)
        return self.known.get(path) or self.cached.get(path)

    def reused(self, record: FileRecord) -> None:
        self.kept[record.path] = record
        if self.builder is not None:
            self.builder.reused(record)
            return
        self.pending.append(record)
        if len(self.pending) >= _REUSE_CHUNK:
            self._flush()

    def _flush(self) -> None:
        self.done += len(self.pending)
        self.emit(Batch(self.pending, [], self.done))
        self.pending = []

    def reuse_finished(self, reused: int) -> None:
        if self.builder is not None:
            # Files that need extracting are not in the handed-over index yet.
            for path in [p for p in self.builder.index.records if p not in self.kept]:
                self.builder.index.remove(path)
            self.done = reused
            self.emit(Swapped(self.builder.index, reused))
        else:
            self._flush()

    def extracted(self, unit: UnitOutcome) -> None:
        for record in unit.records:
            self.kept[record.path] = record
        self.done += len(unit.records) + len(unit.skips)
        self.emit(Batch(unit.records, unit.skips, self.done))

    def finished(self, changed: bool) -> None:
        before = self.builder.held if self.builder is not None else len(self.cached)
        if self.cache is not None and (changed or before != len(self.kept)):
            try:
                self.cache.save(self.kept.values())
            except Exception:  # a cache that cannot be written only costs time next start
                log.warning("could not save the record cache", exc_info=True)


def _work(
    settings: Settings,
    known: dict[str, FileRecord],
    first: set[str],
    cancel: threading.Event,
    emit: Callable[[IndexEvent], None],
    register: Callable[[Workers | None], None],
) -> None:
    """The indexing thread: the pipeline with a LoopSink; its workers are this run's own,
    started when needed and gone when the run ends."""
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    sink = LoopSink(cache, known, emit)
    workers = Workers(worker_count(settings.jobs))
    register(workers)
    try:
        report = run_pipeline(settings, sink, workers=workers, first=first, cancel=cancel)
    finally:
        workers.close()
        register(None)
    emit(Finished(None if report.cancelled else report))


async def index_folder(
    server: KwdocsServer,
    folder: Folder,
    on_change: Callable[[bool], None],
    first: set[str] | None = None,
) -> dict[str, Any]:
    """Index (or refresh) one folder; returns {"files", "keywords", "seconds", "state"}.

    ``on_change(final)`` is called as the folder's state and counts move (the server sends
    ``kwdocs/status`` from it)."""
    if folder.cancel is not None:
        folder.cancel.set()
    folder.run_id += 1
    run_id = folder.run_id
    cancel = threading.Event()
    folder.cancel = cancel
    folder.state = FolderState.INDEXING
    folder.message = ""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[IndexEvent] = asyncio.Queue()

    def emit(event: IndexEvent) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, event)

    def register(workers: Workers | None) -> None:
        folder.workers = workers

    # Records from disk the index has (buffers' records say nothing about the files).
    known = {p: r for p, r in folder.index.records.items() if p not in folder.buffers}

    def run() -> None:
        try:
            _work(folder.settings, known, first or set(), cancel, emit, register)
        except WorkersClosed:  # the server is ending (close() killed them): not a failure
            emit(Finished(None))
        except BaseException as error:  # reported on the loop; the thread must not die silently
            log.exception("indexing %s failed", folder.root)
            emit(Finished(None, f"{type(error).__name__}: {error}"))

    started = time.perf_counter()
    progress = WorkProgress(server, f"kwdocs: indexing {folder.name}")
    # The work starts before the client has acknowledged the progress token.
    threading.Thread(target=run, name=f"kwdocs-index-{folder.name}", daemon=True).start()
    on_change(True)
    await progress.begin("discovering files")
    index = folder.index
    skipped: list[Skip] = []
    outcome = FolderState.INDEXING  # until the run says how it ended
    try:
        while True:
            event = await queue.get()
            if run_id != folder.run_id:
                if isinstance(event, Finished):
                    break
                continue  # a newer run owns the folder; drain this one quietly
            if isinstance(event, Discovered):
                folder.total = event.total
                folder.namer = event.namer
                skipped.extend(event.skipped)
                folder.done = 0
                for stale in [p for p in index.records if p not in event.wanted]:
                    if stale not in folder.buffers:
                        index.remove(stale)
            elif isinstance(event, Swapped):
                # Records of open buffers (and anything changed meanwhile) win over the cache.
                fresh = event.index
                for rel in folder.buffers:
                    record = index.get(rel)
                    if record is not None:
                        fresh.update(record)
                folder.index = index = fresh
                # The index lives as long as the folder: keep the cyclic collector from
                # traversing its ~100k containers on every full collection (latency spikes).
                gc.freeze()
                folder.done = event.done
                progress.report(folder.done, folder.total)
                on_change(False)
            elif isinstance(event, Batch):
                records = event.records
                for start in range(0, len(records), _APPLY_CHUNK):
                    for record in records[start : start + _APPLY_CHUNK]:
                        if record.path not in folder.buffers and run_id == folder.run_id:
                            index.update(record)
                    await asyncio.sleep(0)  # let requests in between chunks
                for skip in event.skips:
                    skipped.append(skip)
                    if skip.path not in folder.buffers:
                        index.remove(skip.path)
                folder.done = event.done
                progress.report(folder.done, folder.total)
                on_change(False)
            elif isinstance(event, Finished):
                if event.error:
                    outcome = FolderState.ERROR
                    folder.message = event.error
                elif event.report is not None:
                    outcome = FolderState.READY
                    report = event.report
                    log.info(
                        "indexed %s: %d files (%d reused, %d extracted), %d skipped, in %.2f s",
                        folder.root,
                        len(index),
                        report.from_cache,
                        report.extracted,
                        len(skipped),
                        report.seconds,
                    )
                break
    finally:
        if run_id == folder.run_id:
            if outcome is FolderState.INDEXING and not cancel.is_set():
                outcome = FolderState.ERROR
                folder.message = folder.message or "indexing stopped"
            if outcome is not FolderState.INDEXING:
                folder.state = outcome
            if outcome is FolderState.READY:
                folder.skipped = sorted(skipped, key=lambda s: s.path)
                folder.done = folder.total
            on_change(True)
            if outcome is FolderState.ERROR:
                progress.end(f"failed: {folder.message}")
            else:
                progress.end(f"{len(index)} files, {index.keyword_count()} keywords")
        else:
            progress.end("superseded")
    return {
        "files": len(index),
        "keywords": index.keyword_count(),
        "seconds": round(time.perf_counter() - started, 3),
        "state": folder.state,
    }
