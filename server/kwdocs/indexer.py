"""Indexing a workspace root: discover, reuse cached records, extract the rest across all
cores, and stream the records into a KeywordIndex."""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from kwdocs.cache import RecordCache
from kwdocs.config import Settings
from kwdocs.discover import Discovery, SourceFile, discover
from kwdocs.extract import digest_of, read_and_extract, read_bounded
from kwdocs.index import KeywordIndex
from kwdocs.model import FileRecord, Skip, decode_record, encode_record

log = logging.getLogger(__name__)

# Below this many files to extract, a process pool costs more than it saves.
PARALLEL_THRESHOLD = 48
_CHUNK = 24

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
    """A process pool that is safe to start from a threaded program (the server)."""
    method = "forkserver" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(["kwdocs.extract", "kwdocs.extract.python"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context)


def worker_count(settings: Settings) -> int:
    return settings.jobs or os.cpu_count() or 1


def extract_paths(
    root: str, paths: list[str], max_size: int, jobs: int, pool: Executor | None = None
) -> Iterator[list[FileRecord | Skip]]:
    """Extract ``paths`` and yield batches as they finish; parallel for large lists."""
    if not paths:
        return
    if jobs <= 1 or len(paths) < PARALLEL_THRESHOLD:
        for start in range(0, len(paths), _CHUNK):
            yield _decode(_extract_chunk(root, paths[start : start + _CHUNK], max_size))
        return
    own_pool = pool is None
    executor = pool or make_pool(jobs)
    try:
        futures = [
            executor.submit(_extract_chunk, root, paths[start : start + _CHUNK], max_size)
            for start in range(0, len(paths), _CHUNK)
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
    started = time.perf_counter()
    report = IndexReport()
    found = discovery or discover(settings)
    report.skipped.extend(found.skipped)
    index = index if index is not None else KeywordIndex()
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    cached = cache.load() if cache else {}
    root = str(settings.root)
    total = len(found.files)
    todo: list[str] = []
    wanted = {s.path for s in found.files}
    for stale in [p for p in index.records if p not in wanted]:
        index.remove(stale)
    first_set = set(first)
    for source in found.files:
        previous = index.get(source.path) or cached.get(source.path)
        record = reusable(source, previous, root, settings.max_file_size)
        if record is not None:
            if index.get(source.path) is not record:
                index.update(record)
            report.from_cache += 1
        else:
            todo.append(source.path)
    # The files a user is looking at come first.
    todo.sort(key=lambda p: p not in first_set)
    done = report.from_cache
    if progress:
        progress(done, total)
    for batch in extract_paths(root, todo, settings.max_file_size, worker_count(settings)):
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
    if cache is not None and (report.extracted or len(cached) != len(index)):
        cache.save(index.records.values())
    report.files = len(index)
    report.keywords = index.keyword_count()
    report.skipped.sort(key=lambda s: s.path)
    report.seconds = time.perf_counter() - started
    return index, report
