"""``kwdocs export``: plan every page, render only those whose inputs changed (in worker
processes for large trees), write each atomically inside OUT, remove pages of deleted sources,
and keep a manifest of what kwdocs wrote.

Two exports into one OUT at once: the second fails at once with a one-line message (a user who
ran the command twice wants to know, not to wait); ``export_file``, which the language server
calls, waits up to 30 s instead.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import gc
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from kwdocs import __version__
from kwdocs.analyse import Analysis, FileLinks
from kwdocs.config import Settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.extract import (
    check_content,
    digest_of,
    extract_source,
    is_generated_page,
    read_bounded,
)
from kwdocs.extract.decode import decode, normalise_newlines
from kwdocs.facts import PageFacts, page_facts
from kwdocs.model import RECORD_FORMAT, FileRecord, Skip, decode_record, encode_record
from kwdocs.pages import (
    FOLDER_DOC,
    FOLDER_INDEX,
    docs_page,
    folder_page,
    keyword_anchors,
    kw_page,
    page_uri,
)
from kwdocs.render.docs_page import render_docs_page
from kwdocs.render.folder_pages import Folder, folder_tree, render_folder_doc, render_folder_index
from kwdocs.render.kw_page import render_kw_page
from kwdocs.render.markdown import plural

if TYPE_CHECKING:
    from concurrent.futures import Executor

LOCK_NAME = ".kwdocs.lock"
MANIFEST_FORMAT = 1
TEMP_PREFIX = ".kwdocs-tmp-"
# Below this many files to render, worker processes cost more than they save.
PARALLEL_THRESHOLD = 48
_CHUNK = 16

PhaseProgress = Callable[[str, int, int], None]
"""Called with (phase, done, total): phases ``index`` and ``pages``."""


class ExportError(Exception):
    """A bad output folder or a second export at once; the message is one line."""


@dataclass
class ExportSummary:
    """What one export did."""

    root: Path
    out: Path
    files: int = 0
    written: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[Skip] = field(default_factory=list)
    conflicts: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "out": str(self.out),
            "index": page_uri(self.out, folder_page("", FOLDER_INDEX)),
            "files": self.files,
            "written": self.written,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped": [{"path": s.path, "reason": s.reason} for s in self.skipped],
            "conflicts": list(self.conflicts),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class FileExportSummary:
    """What exporting one source file's pages did."""

    root: Path
    out: Path
    written: int = 0
    unchanged: int = 0
    pages: list[str] = field(default_factory=list)
    """file URIs of the docs page and the keyword page."""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "root": str(self.root),
            "out": str(self.out),
            "written": self.written,
            "unchanged": self.unchanged,
            "pages": list(self.pages),
            "seconds": round(self.seconds, 3),
        }


def format_summary(summary: ExportSummary, verbose: bool = False) -> str:
    """The paragraph ``kwdocs export`` prints at the end."""
    lines = [
        f"Documented {summary.files:,} files from {summary.root} into {summary.out}: "
        f"{summary.written:,} pages written, {summary.unchanged:,} unchanged, "
        f"{summary.removed:,} removed in {summary.seconds:.2f} s."
    ]
    if summary.skipped:
        counts: dict[str, int] = {}
        for skip in summary.skipped:
            reason = skip.reason.split(" (", 1)[0]
            counts[reason] = counts.get(reason, 0) + 1
        detail = "; ".join(f"{n:,} {reason}" for reason, n in sorted(counts.items()))
        lines.append(f"Skipped {plural(len(summary.skipped), 'file')}: {detail}.")
        if verbose:
            lines += [f"  {skip.path}: {skip.reason}" for skip in summary.skipped]
        else:
            lines.append("(--verbose lists them.)")
    if summary.conflicts:
        lines.append(
            f"Left {plural(len(summary.conflicts), 'file')} in the output folder alone "
            "(kwdocs did not write them, or they lead outside it):"
        )
        lines += [f"  {c['path']}: {c['reason']}" for c in summary.conflicts]
    lines.append(f"Start at {summary.out / FOLDER_INDEX}")
    return "\n".join(lines)


# -- the output folder ---------------------------------------------------------------------


def check_output(settings: Settings) -> tuple[str, str]:
    """Real paths of ROOT and OUT, OUT created; ExportError when OUT cannot be used."""
    root = os.path.realpath(settings.root)
    if not os.path.isdir(root):
        raise ExportError(f"ROOT is not a folder: {settings.root}")
    out_given = Path(settings.out)
    if out_given.exists() and not out_given.is_dir():
        raise ExportError(f"the output folder is a file, not a folder: {out_given}")
    out = os.path.realpath(out_given)
    if out == root:
        raise ExportError(
            f"the output folder is the workspace root itself ({out_given}); "
            "use a subfolder such as docs/kwdocs"
        )
    if os.path.commonpath([out, root]) == out:
        raise ExportError(f"the output folder {out_given} contains the workspace root {root}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as error:
        raise ExportError(
            f"cannot create the output folder {out_given}: {error.strerror}"
        ) from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise ExportError(f"the output folder is not writable: {out_given}")
    return root, out


@contextlib.contextmanager
def export_lock(out: str, wait: float = 0.0) -> Iterator[None]:
    """Hold OUT's lock; a second export fails at once (or after ``wait`` seconds)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock on this platform: no lock
        yield
        return
    path = os.path.join(out, LOCK_NAME)
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - held open for the lock's lifetime
    except OSError as error:
        raise ExportError(f"cannot create the lock file {path}: {error.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                if time.monotonic() >= deadline:
                    raise ExportError(
                        f"another kwdocs export is writing to {out} (lock {LOCK_NAME}); "
                        "run again when it has finished"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        handle.close()  # closing releases the lock


# -- the manifest --------------------------------------------------------------------------


class PageEntry(msgspec.Struct, frozen=True):
    """A page kwdocs wrote: its content hash, fingerprint and what stat said after writing."""

    sha: str
    fp: str = ""
    size: int = 0
    mtime_ns: int = 0


class Manifest(msgspec.Struct):
    """``OUT/.kwdocs-manifest.json``: every page kwdocs wrote (only these may be removed)."""

    format: int = MANIFEST_FORMAT
    version: str = __version__
    pages: dict[str, PageEntry] = {}


def load_manifest(out: str) -> Manifest:
    """The manifest of OUT; an empty one when missing or unreadable."""
    # Without a manifest nothing is removed, and a page is overwritten only if it carries the
    # marker (write_page checks).
    try:
        with open(os.path.join(out, MANIFEST_NAME), "rb") as f:
            manifest = msgspec.json.decode(f.read(), type=Manifest)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return Manifest(pages={})
    if manifest.format != MANIFEST_FORMAT:
        return Manifest(pages={})
    return manifest


def save_manifest(out: str, manifest: Manifest) -> None:
    manifest.pages = dict(sorted(manifest.pages.items()))
    manifest.version = __version__
    data = msgspec.json.format(msgspec.json.encode(manifest), indent=1) + b"\n"
    _atomic_write(os.path.join(out, MANIFEST_NAME), data)


# -- writing -------------------------------------------------------------------------------


def _atomic_write(target: str, data: bytes) -> os.stat_result:
    """Write via a temporary file in the same folder and a rename; what stat says of it."""
    # Readers, and an export killed midway, see the old file or the new one, never half of one.
    # Unbuffered descriptor calls: pages are written whole in one go, and this runs for every
    # page. One temporary name per process and thread is enough: each write renames it away
    # before the next one starts.
    temp = os.path.join(
        os.path.dirname(target), f"{TEMP_PREFIX}{os.getpid()}-{threading.get_ident():x}"
    )
    try:
        fd = os.open(temp, _WRITE_FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            st = os.fstat(fd)  # size and mtime are final: the rename keeps them
        finally:
            os.close(fd)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return st


_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _inside(out: str, path: str) -> bool:
    real = os.path.realpath(path)
    return real == out or os.path.commonpath([out, real]) == out


def sha_of(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class WriteResult(msgspec.Struct, frozen=True, array_like=True):
    """The outcome for one page: ``written``, ``unchanged`` or ``conflict`` (with a reason)."""

    page: str
    status: str
    entry: PageEntry | None = None
    reason: str = ""


# Folders of OUT already created and checked to lie inside it, during one batch of writes.
_checked_folders: set[str] = set()


# Folders this process created during one batch of writes: nothing else is in them, so a page
# there needs no check for a file or a link in its way.
_fresh_folders: set[str] = set()
# The export (OUT and a token it picked) the two sets above belong to: a worker keeps them
# over every chunk of one export, so a folder it made stays known as fresh.
_writes_of: tuple[str, int] | None = None


def _begin_writes(out: str, export: int = 0) -> None:
    """Start a batch of writes into OUT (``export`` tells one export from the next)."""
    global _writes_of
    if _writes_of != (out, export) or not export:
        _checked_folders.clear()
        _fresh_folders.clear()
    _writes_of = (out, export)


def write_page(out: str, page: str, text: str, fp: str) -> WriteResult:
    """Write one page inside OUT unless it is unchanged or belongs to the user."""
    data = text.encode("utf-8")
    sha = sha_of(data)
    target = os.path.join(out, page)
    folder = os.path.dirname(target)
    if folder not in _checked_folders:
        if not _inside(out, folder):
            return WriteResult(
                page, "conflict", reason="its folder leads outside the output folder"
            )
        try:
            if not os.path.isdir(folder):
                os.makedirs(folder)
                _fresh_folders.add(folder)
        except FileExistsError:
            pass  # made meanwhile (another worker): not fresh
        except OSError as error:
            reason = f"cannot create its folder: {error.strerror}"
            return WriteResult(page, "conflict", reason=reason)
        if not os.path.isdir(folder) or not _inside(out, folder):
            return WriteResult(
                page, "conflict", reason="its folder leads outside the output folder"
            )
        _checked_folders.add(folder)
    if folder not in _fresh_folders:
        if os.path.islink(target):
            return WriteResult(page, "conflict", reason="a symlink kwdocs did not create")
        try:
            with open(target, "rb") as f:
                existing: bytes | None = f.read()
        except FileNotFoundError:
            existing = None
        except IsADirectoryError:
            return WriteResult(page, "conflict", reason="a folder is in the way")
        except OSError as error:
            return WriteResult(page, "conflict", reason=f"unreadable: {error.strerror}")
        if existing is not None:
            if not is_generated_page(existing):
                return WriteResult(page, "conflict", reason="a file kwdocs did not write")
            if existing == data:
                return WriteResult(page, "unchanged", _entry(target, sha, fp))
    try:
        st = _atomic_write(target, data)
    except OSError as error:
        return WriteResult(page, "conflict", reason=f"cannot write: {error.strerror}")
    return WriteResult(page, "written", PageEntry(sha, fp, st.st_size, st.st_mtime_ns))


def _entry(target: str, sha: str, fp: str) -> PageEntry:
    st = os.stat(target)
    return PageEntry(sha, fp, st.st_size, st.st_mtime_ns)


def _still_there(out: str, page: str, entry: PageEntry) -> bool:
    """The page on disk is the one the manifest recorded (stat only: cheap)."""
    try:
        st = os.stat(os.path.join(out, page))
    except OSError:
        return False
    return st.st_size == entry.size and st.st_mtime_ns == entry.mtime_ns


# -- rendering (also run in worker processes) ----------------------------------------------


class RenderJob(msgspec.Struct, array_like=True):
    """One source file whose pages need rendering."""

    path: str
    pages: list[tuple[str, str, str]]
    """(page, ``docs``/``kw``, fingerprint)."""
    record: bytes = b""
    links: bytes = b""
    facts: bytes = b""
    """PageFacts from the parse that made the record, when this run made it: no second parse.
    All three empty: a forked worker takes them from ``_inherited`` instead."""


class _Inherited(msgspec.Struct):
    """What forked render workers read from the parent's memory instead of from each job."""

    records: Mapping[str, FileRecord]
    facts: Mapping[str, bytes]
    analysis: Analysis
    folders: dict[str, Folder]


# Set just before the render workers are forked; None in every other process.
_inherited: _Inherited | None = None


def _render_job(
    root: str, out: str, root_from_out: str, settings: tuple[int, int], job: RenderJob
) -> list[WriteResult] | Skip:
    source_limit, max_size = settings
    outcome = read_bounded(os.path.join(root, job.path), max_size)
    if isinstance(outcome, str):
        return Skip(job.path, f"changed during export: {outcome}")
    data, mtime_ns = outcome
    shared = _inherited if not job.record else None
    if shared is not None:
        record = shared.records[job.path]
        raw_facts = shared.facts.get(job.path, b"")
    else:
        record = decode_record(job.record)
        raw_facts = job.facts
    if raw_facts and digest_of(data) == record.digest:
        # This run parsed the file already: decoding the text is all that is left to do.
        text = normalise_newlines(decode(data, python=record.language == "python")[0])
        facts = _facts_decoder.decode(raw_facts)
    else:
        # One parse gives the record (re-extracted in case the file changed since it was
        # indexed), the text and the tree the facts come from.
        extraction = extract_source(job.path, data, mtime_ns)
        if extraction.record.digest != record.digest:
            record = extraction.record
        text = extraction.text
        facts = page_facts(extraction.tree)
    results = []
    anchors = keyword_anchors(record)  # both pages need them
    for page, kind, fp in job.pages:
        if kind == "kw":
            content = render_kw_page(record, root_from_out, anchors)
        else:
            links = (
                shared.analysis.links(job.path)
                if shared is not None
                else msgspec.msgpack.decode(job.links, type=FileLinks)
            )
            content = render_docs_page(
                record, text, facts, links, root_from_out, source_limit, anchors
            )
        results.append(write_page(out, page, content, fp))
    return results


def _is_folder_job(job: RenderJob) -> bool:
    return job.pages[0][1] in ("index", "doc")


def _render_folder_job(out: str, job: RenderJob, shared: _Inherited) -> list[WriteResult]:
    folder = shared.folders[job.path]
    results = []
    for page, kind, fp in job.pages:
        render = render_folder_index if kind == "index" else render_folder_doc
        results.append(write_page(out, page, render(folder, shared.records), fp))
    return results


def _render_safe(
    root: str, out: str, root_from_out: str, settings: tuple[int, int], job: RenderJob
) -> list[WriteResult] | Skip:
    try:
        if _is_folder_job(job):
            assert _inherited is not None  # folder jobs are only rendered where it is set
            return _render_folder_job(out, job, _inherited)
        return _render_job(root, out, root_from_out, settings, job)
    except Exception as error:  # one bad file must not lose the others' pages
        return Skip(job.path, f"internal error while rendering: {type(error).__name__}")


def _render_chunk(
    root: str,
    out: str,
    root_from_out: str,
    settings: tuple[int, int],
    jobs: list[bytes],
    export: int = 0,
) -> list[bytes]:
    """Worker side: render and write a chunk of jobs; results travel back msgpack-encoded."""
    _begin_writes(out, export)
    with _collector_paused():  # pages are built of strings and lists: no cycles to collect
        return [
            _encoder.encode(
                _render_safe(root, out, root_from_out, settings, _job_decoder.decode(raw))
            )
            for raw in jobs
        ]


_encoder = msgspec.msgpack.Encoder()
_facts_decoder = msgspec.msgpack.Decoder(PageFacts)
_outcome_decoder = msgspec.msgpack.Decoder(list[WriteResult] | Skip)
_job_decoder = msgspec.msgpack.Decoder(RenderJob)


class _Pool:
    """One worker pool for both phases of an export, started only if a phase needs it."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor: Executor | None = None

    def get(self) -> Executor:
        if self.executor is None:
            from kwdocs.indexer import make_pool

            self.executor = make_pool(self.workers)
        return self.executor

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
            self.executor = None

    def fork(self) -> Executor | None:
        """A fresh pool forked from this process as it is now, or None where forking is
        unsafe (another thread running, not Linux): then jobs must carry their inputs."""
        self.close()  # its management thread would make forking unsafe
        if not sys.platform.startswith("linux") or threading.active_count() != 1:
            return None
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        import kwdocs.extract.python  # noqa: F401 - imported once, for every worker

        context = multiprocessing.get_context("fork")
        self.executor = ProcessPoolExecutor(
            self.workers, mp_context=context, initializer=_start_render_worker
        )
        return self.executor


def _start_render_worker() -> None:
    """As every kwdocs worker starts (ends with its parent: a ``kill -9`` of the export must
    not leave workers writing pages), and with the inherited objects out of the collector's
    reach: its passes would touch, and so copy, every page of the parent's memory."""
    from kwdocs.indexer import _start_worker

    _start_worker()
    gc.freeze()


# -- indexing with facts (one parse per file) -----------------------------------------------


def _extract_with_facts(root: str, paths: list[str], max_size: int) -> list[tuple[str, Any]]:
    """Worker side: read, extract and take the page facts from the same tree."""
    out: list[tuple[str, Any]] = []
    with _collector_paused():
        for path in paths:
            out.append(_extract_one(root, path, max_size))
        # Cycles (parso's trees of a file that does not parse) are freed here, once a chunk.
        gc.collect(0)
    return out


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic collector off: parsing and decoding make millions of objects, none in a
    cycle, and the collector's passes over them cost ~15% of extraction."""
    # Only where this is the only thread: in the language server other threads may need it.
    if not gc.isenabled() or threading.active_count() != 1:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _extract_one(root: str, path: str, max_size: int) -> tuple[str, Any]:
    """(path, (record, facts) msgpack-encoded), or (path, why it was skipped)."""
    try:
        outcome = read_bounded(os.path.join(root, path), max_size)
        if isinstance(outcome, str):
            return path, outcome
        skip = check_content(path, outcome[0])
        if skip is not None:
            return path, skip.reason
        extraction = extract_source(path, outcome[0], outcome[1])
        facts = page_facts(extraction.tree)
        return path, (encode_record(extraction.record), _encoder.encode(facts))
    except Exception as error:  # one bad file must not lose the others
        return path, f"internal error while extracting: {type(error).__name__}"


def index_with_facts(
    settings: Settings,
    report: PhaseProgress | None = None,
    pool: _Pool | None = None,
    *,
    save_later: list[Callable[[], None]] | None = None,
) -> tuple[dict[str, FileRecord], dict[str, bytes], list[Skip]]:
    """Records of the workspace (cache reused and refreshed), and facts of the files parsed.

    With ``save_later`` the cache is not written here: the writing is appended to it, for the
    caller to run when it suits (the export runs it while its render workers start)."""
    # kwdocs.indexer.index_root parses too but keeps no page facts: exporting after it would
    # parse every new file twice. Same discovery, cache and reuse rules, one parse per file.
    from kwdocs.cache import RecordCache
    from kwdocs.discover import discover
    from kwdocs.indexer import PARALLEL_THRESHOLD as INDEX_THRESHOLD
    from kwdocs.indexer import chunked, reusable, worker_count

    found = discover(settings)
    skipped = list(found.skipped)
    cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
    # The name tables stay undecoded: written back as they are when no keyword changed.
    stored = cache.load_stored() if cache else None
    cached = {record.path: record for record in stored.records} if stored is not None else {}
    root = str(settings.root)
    records: dict[str, FileRecord] = {}
    facts: dict[str, bytes] = {}
    todo: list[str] = []
    for source in found.files:
        record = reusable(source, cached.get(source.path), root, settings.max_file_size)
        if record is not None:
            records[source.path] = record
        else:
            todo.append(source.path)
    total = len(found.files)
    done = len(records)
    if report:
        report("index", done, total)
    # Largest files first, in chunks of about equal bytes: no worker is left alone at the end
    # with a big file while the other idles.
    sizes = {source.path: source.size for source in found.files}
    todo.sort(key=lambda path: -sizes[path])
    chunks = chunked(todo, sizes)
    workers = worker_count(settings)
    own_pool = pool is None
    pool = pool or _Pool(workers)
    if workers <= 1 or len(todo) < INDEX_THRESHOLD:
        results: Iterator[list[tuple[str, Any]]] = (
            _extract_with_facts(root, chunk, settings.max_file_size) for chunk in chunks
        )
    else:
        executor = pool.get()
        futures = [
            executor.submit(_extract_with_facts, root, chunk, settings.max_file_size)
            for chunk in chunks
        ]
        results = (future.result() for future in as_completed(futures))
    try:
        for batch in results:
            for path, payload in batch:
                if isinstance(payload, str):
                    skipped.append(Skip(path, payload))
                else:
                    records[path] = decode_record(payload[0])
                    facts[path] = payload[1]
            done += len(batch)
            if report:
                report("index", done, total)
    finally:
        if own_pool:
            pool.close()
    ordered = {p: records[p] for p in sorted(records)}
    if cache is not None and (todo or len(cached) != len(records)):
        save = functools.partial(cache.save_records, list(ordered.values()), stored)
        if save_later is None:
            save()
        else:
            save_later.append(save)
    return ordered, facts, skipped


# -- planning ------------------------------------------------------------------------------


def _fingerprint(*parts: Any) -> str:
    return sha_of(_encoder.encode([__version__, RECORD_FORMAT, *parts]))


def _folder_fingerprint(
    folder: Folder, name: str, records: Mapping[str, FileRecord], root_from_out: str
) -> str:
    # A folder page shows its files' records and its subfolders: those are its inputs.
    files = [(p, records[p].digest) for p in folder.files]
    return _fingerprint(
        name, folder.path, root_from_out, files, folder.subfolders, folder.total_files
    )


def _root_from_out(root: str, out: str) -> str:
    return os.path.relpath(root, out).replace(os.sep, "/")


@dataclass
class _Plan:
    jobs: list[RenderJob] = field(default_factory=list)
    folder_jobs: list[RenderJob] = field(default_factory=list)
    """One per folder page: path is the folder, the page's kind ``index`` or ``doc``."""
    folders: dict[str, Folder] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    unchanged: list[str] = field(default_factory=list)


def _plan(
    records: Mapping[str, FileRecord],
    analysis: Analysis,
    manifest: Manifest,
    out: str,
    root_from_out: str,
    source_limit: int,
) -> _Plan:
    plan = _Plan()
    owners: dict[str, str] = {}
    for path in sorted(records):
        record = records[path]
        key = _encoder.encode(analysis.links_key(path))
        pages = []
        for page, kind, inputs in ((kw_page(path), "kw", b""), (docs_page(path), "docs", key)):
            if page in owners:
                continue  # two sources cannot share a page path; the first keeps it
            owners[page] = path
            plan.wanted.add(page)
            fp = _fingerprint(kind, path, record.digest, root_from_out, source_limit, inputs)
            entry = manifest.pages.get(page)
            if entry is not None and entry.fp == fp and _still_there(out, page, entry):
                plan.unchanged.append(page)
            else:
                pages.append((page, kind, fp))
        if pages:
            # Record, links and facts are filled in only if the job has to travel by pickle.
            plan.jobs.append(RenderJob(path, pages))
    plan.folders = folder_tree(list(records))
    for folder in plan.folders.values():
        for name, kind in ((FOLDER_INDEX, "index"), (FOLDER_DOC, "doc")):
            page = folder_page(folder.path, name)
            if page in owners:
                continue
            owners[page] = folder.path
            plan.wanted.add(page)
            fp = _folder_fingerprint(folder, name, records, root_from_out)
            entry = manifest.pages.get(page)
            if entry is not None and entry.fp == fp and _still_there(out, page, entry):
                plan.unchanged.append(page)
            else:
                plan.folder_jobs.append(RenderJob(folder.path, [(page, kind, fp)]))
    return plan


# -- the exports ---------------------------------------------------------------------------


def _progress_callback(progress: bool | PhaseProgress) -> tuple[PhaseProgress | None, Any]:
    if callable(progress):
        return progress, None
    if not progress:
        return None, None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description:>8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        # No refresh thread: the export stays single-threaded, so its workers can be forked.
        auto_refresh=False,
    )
    task = bar.add_task("index", total=None)

    def update(phase: str, done: int, total: int) -> None:
        bar.update(task, description=phase, completed=done, total=total, refresh=True)

    return update, bar


def _clean_temp_files(out: str) -> None:
    """Remove temporary files an interrupted export left behind."""
    for folder, _dirs, files in os.walk(out):
        for name in files:
            if name.startswith(TEMP_PREFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(folder, name))


def _remove_page(out: str, page: str) -> bool:
    """Delete a page kwdocs wrote (still carrying the marker) and folders it leaves empty."""
    target = os.path.join(out, page)
    if not _inside(out, os.path.dirname(target)) or os.path.islink(target):
        return False
    try:
        with open(target, "rb") as f:
            if not is_generated_page(f.read(256)):
                return False  # the user replaced it with their own file: keep it
        os.unlink(target)
    except OSError:
        return False
    folder = os.path.dirname(target)
    while folder != out and _inside(out, folder):
        try:
            os.rmdir(folder)
        except OSError:
            break
        folder = os.path.dirname(folder)
    return True


def export_workspace(
    settings: Settings,
    *,
    progress: bool | PhaseProgress = False,
    records: Mapping[str, FileRecord] | None = None,
    skipped: list[Skip] | None = None,
) -> ExportSummary:
    """Write (or refresh) every page of the workspace into OUT."""
    started = time.perf_counter()
    root, out = check_output(settings)
    summary = ExportSummary(root=Path(settings.root), out=Path(settings.out))
    report, bar = _progress_callback(progress)
    from kwdocs.indexer import worker_count

    pool = _Pool(worker_count(settings))
    with (
        export_lock(out),
        bar if bar is not None else contextlib.nullcontext(),
        _collector_paused(),  # records, links and pages hold no cycles
        contextlib.closing(pool),
    ):
        facts: dict[str, bytes] = {}
        # Writing the record cache waits until the render workers are running: it then takes
        # the main process's idle time rather than a gap between the two phases.
        save_later: list[Callable[[], None]] = []
        if records is None:
            records, facts, summary.skipped = index_with_facts(
                settings, report, pool, save_later=save_later
            )
        else:
            summary.skipped = list(skipped or [])
        summary.files = len(records)
        _clean_temp_files(out)
        _begin_writes(out)
        manifest = load_manifest(out)
        if manifest.version != __version__:
            manifest.pages = {p: PageEntry(e.sha) for p, e in manifest.pages.items()}
        root_from_out = _root_from_out(root, out)
        analysis = Analysis(records)
        plan = _plan(records, analysis, manifest, out, root_from_out, settings.source_limit)
        summary.unchanged += len(plan.unchanged)
        new_pages: dict[str, PageEntry] = {p: manifest.pages[p] for p in plan.unchanged}
        try:
            total = len(plan.jobs) + len(plan.folder_jobs)
            shared = _Inherited(records, facts, analysis, plan.folders)
            outcomes = _render_all(
                settings,
                root,
                out,
                root_from_out,
                plan.jobs + plan.folder_jobs,
                pool,
                shared,
                meanwhile=save_later,
            )
            for done, outcome in enumerate(outcomes, start=1):
                if isinstance(outcome, Skip):
                    summary.skipped.append(outcome)
                else:
                    for result in outcome:
                        _tally(summary, new_pages, result)
                if report:
                    report("pages", done, total)
        finally:
            # Pages of sources that are gone: only those the manifest says kwdocs wrote.
            for page in sorted(set(manifest.pages) - plan.wanted):
                if _remove_page(out, page):
                    summary.removed += 1
            # Pages still wanted but not reached (an error midway) keep their old entries.
            for page in plan.wanted:
                if page not in new_pages and page in manifest.pages:
                    new_pages[page] = PageEntry(manifest.pages[page].sha)
            save_manifest(out, Manifest(pages=new_pages))
            for save in save_later:  # not run yet when rendering stopped early
                save()
    summary.skipped.sort(key=lambda s: s.path)
    summary.conflicts.sort(key=lambda c: c["path"])
    summary.seconds = time.perf_counter() - started
    return summary


def _tally(summary: ExportSummary, pages: dict[str, PageEntry], result: WriteResult) -> None:
    if result.status == "conflict":
        summary.conflicts.append({"path": result.page, "reason": result.reason})
        return
    if result.status == "written":
        summary.written += 1
    else:
        summary.unchanged += 1
    assert result.entry is not None
    pages[result.page] = result.entry


def _render_all(
    settings: Settings,
    root: str,
    out: str,
    root_from_out: str,
    jobs: list[RenderJob],
    pool: _Pool,
    shared: _Inherited,
    meanwhile: list[Callable[[], None]] | None = None,
) -> Iterator[list[WriteResult] | Skip]:
    """Render and write every job's pages, across all cores for a large tree; ``meanwhile``
    runs (and is emptied) once the workers have their jobs."""
    global _inherited
    limits = (settings.source_limit, settings.max_file_size)
    if pool.workers <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        _run_all(meanwhile)
        _inherited = shared
        try:
            for job in jobs:
                yield _render_safe(root, out, root_from_out, limits, job)
        finally:
            _inherited = None
        return
    # Forked workers read records, facts and cross-file links from the memory they inherit:
    # nothing is encoded, pickled and decoded again, and the links are worked out in parallel.
    # The pool forks its workers at the first submit: ``_inherited`` stays set until then.
    _inherited = shared
    try:
        executor = pool.fork()
        if executor is None:
            executor = pool.get()
            # Folder pages need every record: without forked workers, render them here.
            for job in [job for job in jobs if _is_folder_job(job)]:
                yield _render_safe(root, out, root_from_out, limits, job)
            jobs = [job for job in jobs if not _is_folder_job(job)]
            for job in jobs:
                job.record = encode_record(shared.records[job.path])
                job.links = _encoder.encode(shared.analysis.links(job.path))
                job.facts = shared.facts.get(job.path, b"")
        encoded = [_encoder.encode(job) for job in _balanced(jobs, shared.records)]
        export = time.monotonic_ns()  # tells the workers' chunks of this export from others
        futures = [
            executor.submit(
                _render_chunk, root, out, root_from_out, limits, encoded[i : i + _CHUNK], export
            )
            for i in range(0, len(encoded), _CHUNK)
        ]
    finally:
        _inherited = None
    _run_all(meanwhile)
    try:
        for future in as_completed(futures):
            for item in future.result():
                yield _outcome_decoder.decode(item)
    finally:
        for future in futures:
            future.cancel()


def _run_all(calls: list[Callable[[], None]] | None) -> None:
    """Run and remove each call of ``calls``."""
    while calls:
        calls.pop(0)()


def _balanced(jobs: list[RenderJob], records: Mapping[str, FileRecord]) -> list[RenderJob]:
    """Largest sources first, so no worker is left with a big file at the end (folder pages,
    small, last)."""
    return sorted(jobs, key=lambda job: 0 if _is_folder_job(job) else -records[job.path].size)


# The last Analysis export_file made, by the (path, digest) pairs it was made from: the language
# server asks for one file's pages at a time, mostly from an unchanged workspace.
_last_analysis: tuple[tuple[tuple[str, str], ...], Analysis] | None = None


def _analysis_for(records: Mapping[str, FileRecord]) -> Analysis:
    global _last_analysis
    key = tuple(sorted((p, r.digest) for p, r in records.items()))
    if _last_analysis is not None and _last_analysis[0] == key:
        return _last_analysis[1]
    analysis = Analysis(records)
    _last_analysis = (key, analysis)
    return analysis


def export_file(
    settings: Settings, path: str, records: Mapping[str, FileRecord]
) -> FileExportSummary:
    """Write the docs and keyword pages of one source file (and its folders' pages)."""
    started = time.perf_counter()
    root, out = check_output(settings)
    record = records.get(path)
    if record is None:
        raise ExportError(f"not an indexed file of this workspace: {path}")
    summary = FileExportSummary(root=Path(settings.root), out=Path(settings.out))
    with export_lock(out, wait=30.0):
        _begin_writes(out)
        manifest = load_manifest(out)
        root_from_out = _root_from_out(root, out)
        analysis = _analysis_for(records)
        links = _encoder.encode(analysis.links(path))
        pages = [
            (
                page,
                kind,
                _fingerprint(
                    kind, path, record.digest, root_from_out, settings.source_limit, inputs
                ),
            )
            for page, kind, inputs in ((kw_page(path), "kw", b""), (docs_page(path), "docs", links))
        ]
        job = RenderJob(path, pages, encode_record(record), links)
        limits = (settings.source_limit, settings.max_file_size)
        outcome = _render_job(root, out, root_from_out, limits, job)
        if isinstance(outcome, Skip):
            raise ExportError(f"{path}: {outcome.reason}")
        results = list(outcome)
        # The folder pages its links lead to, from the root down to its folder.
        tree = folder_tree(list(records))
        folder = os.path.dirname(path).replace(os.sep, "/")
        while True:
            for name, render in (
                (FOLDER_INDEX, render_folder_index),
                (FOLDER_DOC, render_folder_doc),
            ):
                text = render(tree[folder], records)
                fp = _folder_fingerprint(tree[folder], name, records, root_from_out)
                results.append(write_page(out, folder_page(folder, name), text, fp))
            if not folder:
                break
            folder = os.path.dirname(folder)
        for result in results:
            if result.status == "conflict":
                continue
            summary.written += result.status == "written"
            summary.unchanged += result.status == "unchanged"
            assert result.entry is not None
            manifest.pages[result.page] = result.entry
        save_manifest(out, manifest)
    summary.pages = [page_uri(Path(out), docs_page(path)), page_uri(Path(out), kw_page(path))]
    summary.seconds = time.perf_counter() - started
    return summary


def summary_json(summary: ExportSummary) -> str:
    """The summary as indented JSON text."""
    return json.dumps(summary.to_json(), indent=2)
