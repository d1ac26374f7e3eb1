"""Background indexing of one folder: discovery, cache and extraction run in a worker thread
(and the extraction pool); their batches are applied to the index on the event loop, so
requests keep being answered and the index is only ever changed by the loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from kwdocs.config import Settings
from kwdocs.index import KeywordIndex
from kwdocs.lsp.progress import WorkProgress
from kwdocs.lsp.workspace_state import Folder
from kwdocs.model import FileRecord, Skip

log = logging.getLogger(__name__)

# Records applied per event-loop turn: small enough that a hover never waits long.
_APPLY_CHUNK = 64
_REUSE_CHUNK = 256


class Pools:
    """The extraction process pool, started on first need and shared by every folder."""

    def __init__(self) -> None:
        self._pool: Any = None
        self._jobs = 0
        self._lock = threading.Lock()

    def get(self, jobs: int) -> Any:
        with self._lock:
            if self._pool is None or self._jobs != jobs:
                if self._pool is not None:
                    self._pool.shutdown(wait=False, cancel_futures=True)
                from kwdocs.indexer import make_pool

                self._pool = make_pool(jobs)
                self._jobs = jobs
            return self._pool

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None


def _work(
    settings: Settings,
    known: dict[str, FileRecord],
    first: set[str],
    cancel: threading.Event,
    emit: Callable[[tuple[Any, ...]], None],
    pools: Pools,
) -> None:
    """Worker thread: discover, reuse cached or known records, extract the rest; emits
    ("start", total, wanted, skipped), ("batch", records, skips, done) and ("done", report)."""
    from kwdocs.cache import RecordCache
    from kwdocs.discover import discover
    from kwdocs.indexer import PARALLEL_THRESHOLD, extract_paths, reusable, worker_count

    started = time.perf_counter()
    found = discover(settings)
    total = len(found.files)
    wanted = {f.path for f in found.files}
    emit(("start", total, wanted, list(found.skipped)))
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    root = str(settings.root)
    disk: dict[str, FileRecord] = {}
    todo: list[str] = []
    chunk: list[FileRecord] = []
    done = 0
    refreshed = 0
    loaded = 0
    cached: dict[str, FileRecord] = {}
    if not known:
        # First indexing of the folder (a warm start): take the cached index whole, built from
        # its stored tables, fix it up here privately, and let the loop swap it in at once.
        fresh = (cache.load_index() if cache is not None else None) or KeywordIndex()
        loaded = len(fresh)
        for stale in [p for p in fresh.records if p not in wanted]:
            fresh.remove(stale)
        for source in found.files:
            if cancel.is_set():
                return
            previous = fresh.get(source.path)
            before = previous.mtime_ns if previous is not None else None
            record = reusable(source, previous, root, settings.max_file_size)
            if record is None:
                if previous is not None:
                    fresh.remove(source.path)
                todo.append(source.path)
                continue
            refreshed += before != record.mtime_ns
            disk[source.path] = record
        emit(("swap", fresh, len(disk)))
        done = len(disk)
    else:
        cached = cache.load() if cache is not None else {}
        for source in found.files:
            if cancel.is_set():
                return
            previous = known.get(source.path) or cached.get(source.path)
            record = reusable(source, previous, root, settings.max_file_size)
            if record is None and previous is not known.get(source.path):
                record = reusable(source, known.get(source.path), root, settings.max_file_size)
            if record is None:
                todo.append(source.path)
                continue
            disk[source.path] = record
            chunk.append(record)
            if len(chunk) >= _REUSE_CHUNK:
                done += len(chunk)
                emit(("batch", chunk, [], done))
                chunk = []
        done += len(chunk)
        emit(("batch", chunk, [], done))
    reused = len(disk)
    todo.sort(key=lambda p: p not in first)
    jobs = worker_count(settings)
    pool = pools.get(jobs) if jobs > 1 and len(todo) >= PARALLEL_THRESHOLD else None
    skips: list[Skip] = []
    for batch in extract_paths(root, todo, settings.max_file_size, jobs, pool):
        if cancel.is_set():
            return
        records = [item for item in batch if not isinstance(item, Skip)]
        batch_skips = [item for item in batch if isinstance(item, Skip)]
        skips.extend(batch_skips)
        for record in records:
            disk[record.path] = record
        done += len(batch)
        emit(("batch", records, batch_skips, done))
    changed = len(disk) > reused or refreshed or max(loaded, len(cached)) != len(disk)
    if cache is not None and changed:
        try:
            cache.save(disk.values())
        except Exception:  # a cache that cannot be written only costs time next start
            log.warning("could not save the record cache", exc_info=True)
    emit(("done", reused, len(disk) - reused, time.perf_counter() - started))


async def index_folder(
    server: Any,
    folder: Folder,
    on_change: Callable[[bool], None],
    pools: Pools,
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
    folder.state = "indexing"
    folder.message = ""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def emit(item: tuple[Any, ...]) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    # Records from disk the index has (buffers' records say nothing about the files).
    known = {p: r for p, r in folder.index.records.items() if p not in folder.buffers}

    def run() -> None:
        try:
            _work(folder.settings, known, first or set(), cancel, emit, pools)
        except BaseException as error:  # reported on the loop; the thread must not die silently
            log.exception("indexing %s failed", folder.root)
            emit(("error", f"{type(error).__name__}: {error}"))
        finally:
            emit(("exit",))

    started = time.perf_counter()
    progress = WorkProgress(server, f"kwdocs: indexing {folder.name}")
    # The work starts before the client has acknowledged the progress token.
    threading.Thread(target=run, name=f"kwdocs-index-{folder.name}", daemon=True).start()
    on_change(True)
    await progress.begin("discovering files")
    index = folder.index
    skipped: list[Skip] = []
    wanted: set[str] | None = None
    outcome = "cancelled"
    try:
        while True:
            item = await queue.get()
            kind = item[0]
            if run_id != folder.run_id:
                continue  # a newer run owns the folder; drain this one quietly
            if kind == "start":
                folder.total = item[1]
                wanted = item[2]
                skipped.extend(item[3])
                folder.done = 0
                for stale in [p for p in index.records if p not in wanted]:
                    if stale not in folder.buffers:
                        index.remove(stale)
            elif kind == "swap":
                # Records of open buffers (and anything changed meanwhile) win over the cache.
                fresh = item[1]
                for rel in folder.buffers:
                    record = index.get(rel)
                    if record is not None:
                        fresh.update(record)
                folder.index = index = fresh
                # The index lives as long as the folder: keep the cyclic collector from
                # traversing its ~100k containers on every full collection (latency spikes).
                gc.freeze()
                folder.done = item[2]
                progress.report(folder.done, folder.total)
                on_change(False)
            elif kind == "batch":
                records, skips = item[1], item[2]
                for start in range(0, len(records), _APPLY_CHUNK):
                    for record in records[start : start + _APPLY_CHUNK]:
                        if record.path not in folder.buffers and run_id == folder.run_id:
                            index.update(record)
                    await asyncio.sleep(0)  # let requests in between chunks
                for skip in skips:
                    skipped.append(skip)
                    if skip.path not in folder.buffers:
                        index.remove(skip.path)
                folder.done = item[3]
                progress.report(folder.done, folder.total)
                on_change(False)
            elif kind == "done":
                outcome = "ready"
                log.info(
                    "indexed %s: %d files (%d reused, %d extracted), %d skipped, in %.2f s",
                    folder.root,
                    len(index),
                    item[1],
                    item[2],
                    len(skipped),
                    item[3],
                )
            elif kind == "error":
                outcome = "error"
                folder.message = item[1]
            elif kind == "exit":
                break
    finally:
        if run_id == folder.run_id:
            if outcome == "cancelled" and not cancel.is_set():
                outcome = "error"
                folder.message = folder.message or "indexing stopped"
            folder.state = outcome if outcome != "cancelled" else folder.state
            if outcome == "ready":
                folder.skipped = sorted(skipped, key=lambda s: s.path)
                folder.done = folder.total
            on_change(True)
            if outcome == "error":
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
