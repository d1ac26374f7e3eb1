"""The indexing pipeline: discover → reuse cached records → extract the rest (across all cores
for large trees) → save the cache when anything changed. One pipeline for every front end; what
differs is where its records go (a ``RecordSink``): a KeywordIndex (``kwdocs index``,
``kwdocs lookup``, ``index_root``), the records and page facts of an export, or the language
server's event loop."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import msgspec

from kwdocs.cache import RecordCache, StoredTables
from kwdocs.config import Settings
from kwdocs.discover import Discovery, SourceFile, discover
from kwdocs.extract import check_content, digest_of, extract_source, read_bounded
from kwdocs.index import KeywordIndex
from kwdocs.model import FileRecord, Skip, decode_record, encode_record
from kwdocs.workers import PARALLEL_THRESHOLD, Workers, collector_paused, worker_count

# Files per unit of work without sizes; with sizes, a unit holds about _CHUNK_BYTES of source
# (~50 ms of work): big enough that a round trip to a worker is noise, small enough that the
# last unit ends with the rest.
_CHUNK = 24
_CHUNK_BYTES = 192 * 1024

Progress = Callable[[int, int], None]
"""Called with (files done, files in all) as indexing advances."""


@dataclass
class IndexReport:
    """What one run of the pipeline did."""

    files: int = 0
    keywords: int = 0
    from_cache: int = 0
    extracted: int = 0
    skipped: list[Skip] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False


# ---- units of extraction (run here, in forked workers or in child interpreters) -------------


class ExtractUnit(msgspec.Struct, array_like=True):
    """Files to extract in one go: (path, module name) pairs under ``root``."""

    root: str
    files: list[tuple[str, str]]
    max_size: int
    facts: bool = False
    """Also the page facts, from the same parse (an export needs them)."""


class Extracted(msgspec.Struct, array_like=True, omit_defaults=True):
    """One file's outcome: its record (msgpack), its page facts when asked, or why it is
    left out."""

    path: str
    record: bytes = b""
    facts: bytes = b""
    skip: str = ""


_unit_decoder = msgspec.msgpack.Decoder(ExtractUnit)
_outcomes_decoder = msgspec.msgpack.Decoder(list[Extracted])
_encoder = msgspec.msgpack.Encoder()
EXTRACT_TARGET = "kwdocs.pipeline:extract_unit"


def extract_unit(payload: bytes) -> bytes:
    """Worker side: read and extract a unit's files (``ExtractUnit`` in, ``list[Extracted]``
    out, both msgpack)."""
    unit = _unit_decoder.decode(payload)
    with collector_paused():
        out = [_extract_one(unit, path, module) for path, module in unit.files]
    return _encoder.encode(out)


def _extract_one(unit: ExtractUnit, path: str, module: str) -> Extracted:
    try:
        outcome = read_bounded(os.path.join(unit.root, path), unit.max_size)
        if isinstance(outcome, str):
            return Extracted(path, skip=outcome)
        skip = check_content(path, outcome[0])
        if skip is not None:
            return Extracted(path, skip=skip.reason)
        extraction = extract_source(path, outcome[0], outcome[1], module or None)
        record = extraction.record
        facts = b""
        if unit.facts:
            from kwdocs.facts import page_facts, with_calls

            # The facts' walk also reads the calls of every function: they go into the record.
            found = page_facts(extraction.tree, extraction.text, extraction.lines)
            record = with_calls(record, found)
            facts = _encoder.encode(found)
        return Extracted(path, encode_record(record), facts)
    except Exception as error:  # a bug in an extractor must not lose the other files
        return Extracted(path, skip=f"internal error while extracting: {type(error).__name__}")


def chunked(files: list[str], sizes: Mapping[str, int] | None = None) -> list[list[str]]:
    """Split ``files`` (in order) into units of work: ``_CHUNK`` files each, or, with sizes,
    about ``_CHUNK_BYTES`` of source each (a large file alone)."""
    if sizes is None:
        return [files[start : start + _CHUNK] for start in range(0, len(files), _CHUNK)]
    chunks: list[list[str]] = []
    current: list[str] = []
    weight = 0
    for path in files:
        current.append(path)
        weight += sizes.get(path, 0)
        if weight >= _CHUNK_BYTES or len(current) >= 4 * _CHUNK:
            chunks.append(current)
            current, weight = [], 0
    if current:
        chunks.append(current)
    return chunks


def extract_files(
    root: str,
    files: list[SourceFile],
    max_size: int,
    workers: Workers,
    *,
    facts: bool = False,
    first: Iterable[str] = (),
) -> Iterator[list[Extracted]]:
    """Extract ``files`` and yield their outcomes unit by unit as they finish. The files a
    user is looking at (``first``) come first, each in a unit of its own; then the largest,
    so no big file is left to finish alone at the end."""
    first_set = set(first)
    sizes = {source.path: source.size for source in files}
    modules = {source.path: source.module for source in files}
    ordered = sorted(sizes, key=lambda p: (p not in first_set, -sizes[p]))
    for path in first_set.intersection(sizes):
        sizes[path] = _CHUNK_BYTES
    payloads = [
        _encoder.encode(ExtractUnit(root, [(p, modules[p]) for p in chunk], max_size, facts))
        for chunk in chunked(ordered, sizes)
    ]
    if len(files) < PARALLEL_THRESHOLD:
        # Too little to spread: here, unit by unit (no worker is started).
        for payload in payloads:
            yield _outcomes_decoder.decode(extract_unit(payload))
        return
    for result in workers.map(EXTRACT_TARGET, payloads):
        yield _outcomes_decoder.decode(result)


def reusable(
    source: SourceFile, cached: FileRecord | None, root: str, max_size: int
) -> FileRecord | None:
    """The cached record if the file is unchanged and its module name still holds: size and
    mtime first, the content hash when only the mtime moved."""
    if cached is None or cached.size != source.size or cached.module != source.module:
        return None
    if cached.mtime_ns == source.mtime_ns:
        return cached
    outcome = read_bounded(os.path.join(root, source.path), max_size)
    if isinstance(outcome, str) or digest_of(outcome[0]) != cached.digest:
        return None
    cached.mtime_ns = outcome[1]
    return cached


# ---- where records go -------------------------------------------------------------------------


@dataclass
class UnitOutcome:
    """What one unit of extraction gave."""

    records: list[FileRecord] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    """The files left out, and why."""
    facts: dict[str, bytes] = field(default_factory=dict)
    """Page facts by path, when asked for."""
    encoded: dict[str, bytes] = field(default_factory=dict)
    """Each record as its worker encoded it (``encode_record``), by path: what the record
    cache writes, not encoded again."""


class RecordSink(Protocol):
    """Where the pipeline's records go; called on the pipeline's thread, in this order:
    ``discovered``, ``previous``/``reused`` per file, ``reuse_finished``, ``extracted`` per
    unit, ``finished``."""

    def discovered(self, found: Discovery) -> None: ...

    def previous(self, path: str) -> FileRecord | None:
        """The record this sink or its cache knows for ``path`` (None: extract it)."""
        ...

    def reused(self, record: FileRecord) -> None: ...

    def reuse_finished(self, reused: int) -> None: ...

    def extracted(self, unit: UnitOutcome) -> None:
        """One unit of extraction's outcome."""
        ...

    def finished(self, changed: bool) -> None:
        """The run is over; ``changed``: the records differ from what the cache held."""
        ...


class IndexBuilder:
    """A sink building or refreshing a KeywordIndex; the cache saved from its tables."""

    def __init__(self, cache: RecordCache | None, index: KeywordIndex | None = None) -> None:
        self.cache = cache
        self.stored: dict[str, FileRecord] = {}
        if index is None:
            # A first build: start from the cached index whole (no per-keyword work), then fix
            # it up file by file.
            self.index = (cache.load_index() if cache is not None else None) or KeywordIndex()
            self.held = len(self.index)
        else:
            self.index = index
            self.stored = cache.load() if cache is not None else {}
            self.held = len(self.stored)

    def discovered(self, found: Discovery) -> None:
        wanted = {source.path for source in found.files}
        for stale in [p for p in self.index.records if p not in wanted]:
            self.index.remove(stale)

    def previous(self, path: str) -> FileRecord | None:
        return self.index.get(path) or self.stored.get(path)

    def reused(self, record: FileRecord) -> None:
        if self.index.get(record.path) is not record:
            self.index.update(record)

    def reuse_finished(self, reused: int) -> None:
        pass

    def extracted(self, unit: UnitOutcome) -> None:
        for record in unit.records:
            self.index.update(record)
        for skip in unit.skips:
            self.index.remove(skip.path)

    def finished(self, changed: bool) -> None:
        if self.cache is not None and (changed or self.held != len(self.index)):
            self.cache.save_index(self.index)


class RecordCollector:
    """A sink keeping records and page facts by path (an export); the cache's name tables are
    written back undecoded when no keyword's name changed."""

    def __init__(self, cache: RecordCache | None, *, save_later: bool = False) -> None:
        self.cache = cache
        self.stored: StoredTables | None = cache.load_stored() if cache is not None else None
        self.cached = {r.path: r for r in self.stored.records} if self.stored is not None else {}
        self.records: dict[str, FileRecord] = {}
        self.facts: dict[str, bytes] = {}
        self.encoded: dict[str, bytes] = {}
        """The records extracted by this run as their workers encoded them: the cache
        writes them as they are."""
        self.skipped: list[Skip] = []
        self.save_later = save_later
        self.pending_save: Callable[[], None] | None = None
        """With ``save_later``: the cache write, for the caller to run when it suits."""

    def discovered(self, found: Discovery) -> None:
        pass

    def previous(self, path: str) -> FileRecord | None:
        record = self.cached.get(path)
        # A page shows calls: a record indexed without them (by the language server) is read
        # again.
        return record if record is not None and record.calls_known else None

    def reused(self, record: FileRecord) -> None:
        self.records[record.path] = record

    def reuse_finished(self, reused: int) -> None:
        pass

    def extracted(self, unit: UnitOutcome) -> None:
        for record in unit.records:
            self.records[record.path] = record
        self.facts.update(unit.facts)
        self.encoded.update(unit.encoded)

    def finished(self, changed: bool) -> None:
        self.records = {p: self.records[p] for p in sorted(self.records)}
        if self.cache is None or not (changed or len(self.cached) != len(self.records)):
            return
        cache, ordered, stored = self.cache, list(self.records.values()), self.stored
        encoded = self.encoded

        def save() -> None:
            cache.save_records(ordered, stored, encoded)

        if self.save_later:
            self.pending_save = save
        else:
            save()


# ---- the pipeline -----------------------------------------------------------------------------


def run_pipeline(
    settings: Settings,
    sink: RecordSink,
    *,
    workers: Workers | None = None,
    first: Iterable[str] = (),
    facts: bool = False,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    discovery: Discovery | None = None,
) -> IndexReport:
    """Discover the root's files, hand the sink every reusable record, extract the others
    (with their page facts when ``facts``) and tell the sink when it is over. Workers passed
    in stay open (the caller's to close); else they are started and closed here."""
    started = time.perf_counter()
    report = IndexReport()
    found = discovery or discover(settings)
    report.skipped.extend(found.skipped)
    sink.discovered(found)
    root = str(settings.root)
    total = len(found.files)
    todo: list[SourceFile] = []
    refreshed = 0
    for source in found.files:
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            return report
        previous = sink.previous(source.path)
        before = previous.mtime_ns if previous is not None else None
        record = reusable(source, previous, root, settings.max_file_size)
        if record is None:
            todo.append(source)
            continue
        refreshed += before != record.mtime_ns
        sink.reused(record)
        report.from_cache += 1
    sink.reuse_finished(report.from_cache)
    done = report.from_cache
    if progress is not None:
        progress(done, total)
    own = workers is None
    pool = workers if workers is not None else Workers(worker_count(settings.jobs))
    try:
        for outcomes in extract_files(
            root, todo, settings.max_file_size, pool, facts=facts, first=first
        ):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return report
            unit = UnitOutcome()
            for outcome in outcomes:
                if outcome.skip:
                    unit.skips.append(Skip(outcome.path, outcome.skip))
                    continue
                unit.records.append(decode_record(outcome.record))
                unit.encoded[outcome.path] = outcome.record
                if outcome.facts:
                    unit.facts[outcome.path] = outcome.facts
            sink.extracted(unit)
            report.extracted += len(unit.records)
            report.skipped.extend(unit.skips)
            done += len(outcomes)
            if progress is not None:
                progress(done, total)
    finally:
        if own:
            pool.close()
    sink.finished(bool(report.extracted or refreshed))
    report.files = total - (len(report.skipped) - len(found.skipped))
    report.skipped.sort(key=lambda s: s.path)
    report.seconds = time.perf_counter() - started
    return report


def index_root(
    settings: Settings,
    *,
    progress: Progress | None = None,
    first: Iterable[str] = (),
    discovery: Discovery | None = None,
    index: KeywordIndex | None = None,
) -> tuple[KeywordIndex, IndexReport]:
    """Build (or refresh) the index of one root; the cache is read and written when enabled."""
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    with collector_paused():  # bulk building: nothing to collect, much to traverse
        builder = IndexBuilder(cache, index)
        report = run_pipeline(
            settings, builder, first=first, progress=progress, discovery=discovery
        )
    report.files = len(builder.index)
    report.keywords = builder.index.keyword_count()
    return builder.index, report
