"""Indexing a workspace root: discover, reuse cached records, extract the rest across all
cores, and stream the records into a KeywordIndex."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kwdocs.cache import RecordCache
from kwdocs.config import Settings
from kwdocs.discover import Discovery, SourceFile, discover
from kwdocs.extract import digest_of, read_and_extract, read_bounded
from kwdocs.index import KeywordIndex
from kwdocs.model import FileRecord, Skip, decode_record, encode_record

if TYPE_CHECKING:
    from concurrent.futures import Executor

log = logging.getLogger(__name__)

# Below this many files to extract, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 48
_CHUNK = 24
# With sizes known, a chunk holds about this many bytes of source (~50 ms of work): big enough
# that a round trip to a worker is noise, small enough that the last chunk ends with the rest.
_CHUNK_BYTES = 192 * 1024

Progress = Callable[[int, int], None]
"""Called with (files done, files in all) as indexing advances."""


@dataclass
class IndexReport:
    """What one indexing run did."""

    files: int = 0
    keywords: int = 0
    from_cache: int = 0
    extracted: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds: float = 0.0


def _extract_chunk(root: str, paths: list[str], max_size: int) -> list[tuple[str, bytes | str]]:
    """Worker side: extract files, encode records (msgpack crosses processes cheaply)."""
    with _gc_paused():
        return _extract_files(root, paths, max_size)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: parsing allocates hundreds of thousands of AST
    nodes that die by reference counting, and every 700 of them would start a collection
    (~15 % of extraction time). Nestable; restores the previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _extract_files(root: str, paths: list[str], max_size: int) -> list[tuple[str, bytes | str]]:
    out: list[tuple[str, bytes | str]] = []
    for path in paths:
        try:
            result = read_and_extract(root, path, max_size)
        except Exception as error:  # a bug in an extractor must not lose the other files
            log.exception("extracting %s failed", path)
            result = Skip(path, f"internal error while extracting: {type(error).__name__}")
        if isinstance(result, Skip):
            out.append((path, result.reason))
        else:
            out.append((path, encode_record(result)))
    return out


def make_pool(jobs: int) -> Executor:
    """A process pool of ``jobs`` workers, safe to start from a threaded program (the server)."""
    # Imported here: a command with nothing to extract in parallel starts without them.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # multiprocessing starts its helper processes with ``python -c`` in the current folder,
    # which puts that folder first on their sys.path: inside a workspace holding ``signal.py``
    # or ``pickle.py`` they would import and run it. Safe-path mode (3.11+) leaves it out.
    os.environ.setdefault("PYTHONSAFEPATH", "1")
    if not sys.platform.startswith("linux"):
        method = "spawn"
    elif threading.active_count() == 1:
        # A single-threaded program (the command line) can fork: workers start at once with
        # everything imported (the Python extractor too, imported here once for all of them),
        # and no interpreter is started at all.
        import kwdocs.extract.python  # noqa: F401

        method = "fork"
    else:
        # Forking a threaded program (the server) can copy a lock another thread holds.
        method = "forkserver"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        # The fork server imports what a worker runs (this module pulls in the extractors and
        # the record codec) once; each worker forked from it starts with nothing to import.
        context.set_forkserver_preload(["kwdocs.indexer", "kwdocs.extract.python"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker)


def _start_worker() -> None:
    """Worker start-up: collector on, and end with the process that started the worker."""
    # A fork inherits a collector paused by index_root; workers pause it per unit themselves.
    gc.enable()
    if sys.platform.startswith("linux"):
        # Forked workers hold copies of every descriptor, the export lock's too: after a
        # ``kill -9`` of the export they would live on, keep the lock and write pages.
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before the line above
            os._exit(1)


def worker_count(settings: Settings) -> int:
    return settings.jobs or os.cpu_count() or 1


def chunked(paths: list[str], sizes: Mapping[str, int] | None = None) -> list[list[str]]:
    """Split ``paths`` (in order) into work units: ``_CHUNK`` files each, or, with sizes,
    about ``_CHUNK_BYTES`` of source each (a large file alone)."""
    if sizes is None:
        return [paths[start : start + _CHUNK] for start in range(0, len(paths), _CHUNK)]
    chunks: list[list[str]] = []
    current: list[str] = []
    weight = 0
    for path in paths:
        current.append(path)
        weight += sizes.get(path, 0)
        if weight >= _CHUNK_BYTES or len(current) >= 4 * _CHUNK:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def extract_paths(
    root: str,
    paths: list[str],
    max_size: int,
    jobs: int,
    pool: Executor | None = None,
    *,
    sizes: Mapping[str, int] | None = None,
) -> Iterator[list[FileRecord | Skip]]:
    """Extract ``paths`` and yield batches as they finish; parallel for large lists.

    Work is handed out in the order of ``paths``; with ``sizes`` (path → bytes) the units are
    balanced by bytes rather than by file count."""
    if not paths:
        return
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for chunk in chunked(paths, sizes):
            yield _decode(_extract_chunk(root, chunk, max_size))
        return
    own_pool = pool is None
    executor = pool or make_pool(jobs)
    try:
        futures = [
            executor.submit(_extract_chunk, root, chunk, max_size)
            for chunk in chunked(paths, sizes)
        ]
        for future in as_completed(futures):
            yield _decode(future.result())
    finally:
        if own_pool:
            executor.shutdown(wait=True, cancel_futures=True)


def _decode(chunk: list[tuple[str, bytes | str]]) -> list[FileRecord | Skip]:
    return [
        Skip(path, payload) if isinstance(payload, str) else decode_record(payload)
        for path, payload in chunk
    ]


def reusable(
    source: SourceFile, cached: FileRecord | None, root: str, max_size: int
) -> FileRecord | None:
    """The cached record if the file is unchanged: size+mtime first, the content hash when
    only the mtime moved."""
    if cached is None or cached.size != source.size:
        return None
    if cached.mtime_ns == source.mtime_ns:
        return cached
    outcome = read_bounded(os.path.join(root, source.path), max_size)
    if isinstance(outcome, str) or digest_of(outcome[0]) != cached.digest:
        return None
    cached.mtime_ns = outcome[1]
    return cached


def index_root(
    settings: Settings,
    *,
    progress: Progress | None = None,
    first: Iterable[str] = (),
    discovery: Discovery | None = None,
    index: KeywordIndex | None = None,
) -> tuple[KeywordIndex, IndexReport]:
    """Build (or refresh) the index of one root; the cache is read and written when enabled."""
    with _gc_paused():  # bulk building: nothing to collect, much to traverse
        return _index_root(settings, progress, first, discovery, index)


def _index_root(
    settings: Settings,
    progress: Progress | None,
    first: Iterable[str],
    discovery: Discovery | None,
    index: KeywordIndex | None,
) -> tuple[KeywordIndex, IndexReport]:
    started = time.perf_counter()
    report = IndexReport()
    found = discovery or discover(settings)
    report.skipped.extend(found.skipped)
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    cached: dict[str, FileRecord] = {}
    if index is None:
        # A first build: start from the cached index whole (no per-keyword work), then fix it
        # up file by file below.
        index = (cache.load_index() if cache else None) or KeywordIndex()
    elif cache:
        cached = cache.load()
    loaded = len(index)
    root = str(settings.root)
    total = len(found.files)
    todo: list[str] = []
    wanted = {s.path for s in found.files}
    for stale in [p for p in index.records if p not in wanted]:
        index.remove(stale)
    first_set = set(first)
    sizes = {source.path: source.size for source in found.files}
    refreshed = 0
    for source in found.files:
        current = index.get(source.path)
        previous = current or cached.get(source.path)
        before = previous.mtime_ns if previous is not None else None
        record = reusable(source, previous, root, settings.max_file_size)
        if record is not None:
            if current is not record:
                index.update(record)
            refreshed += before is not None and before != record.mtime_ns
            report.from_cache += 1
        else:
            if current is not None:
                index.remove(source.path)
            todo.append(source.path)
    # The files a user is looking at come first, each in a work unit of its own (a full unit's
    # weight); then the largest files, so no big file is left to finish alone at the end.
    todo.sort(key=lambda p: (p not in first_set, -sizes[p]))
    for path in first_set.intersection(todo):
        sizes[path] = _CHUNK_BYTES
    done = report.from_cache
    if progress:
        progress(done, total)
    jobs = worker_count(settings)
    for batch in extract_paths(root, todo, settings.max_file_size, jobs, sizes=sizes):
        for item in batch:
            if isinstance(item, Skip):
                report.skipped.append(item)
                index.remove(item.path)
            else:
                index.update(item)
                report.extracted += 1
        done += len(batch)
        if progress:
            progress(done, total)
    if cache is not None and (
        report.extracted or refreshed or max(loaded, len(cached)) != len(index)
    ):
        cache.save_index(index)
    report.files = len(index)
    report.keywords = index.keyword_count()
    report.skipped.sort(key=lambda s: s.path)
    report.seconds = time.perf_counter() - started
    return index, report
