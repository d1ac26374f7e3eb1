"""Rendering and writing pages, here or in worker processes. Forked workers read the records,
facts and cross-file analysis from the memory they share with the export (nothing encoded,
nothing decoded again); elsewhere (the language server, which must not fork) units of jobs
carry their inputs to child interpreters."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping

import msgspec

from kwdocs.analyse import Analysis
from kwdocs.export.output import WriteResult, begin_writes, run_pending, write_page
from kwdocs.export.plan import PageKind, PlannedPage, RenderJob, with_fingerprints
from kwdocs.extract import digest_of, extract_source, read_bounded
from kwdocs.extract.decode import decode, normalise_newlines
from kwdocs.fact_types import PageFacts
from kwdocs.facts import page_facts, with_calls
from kwdocs.link_types import FileLinks
from kwdocs.model import FileRecord, Skip, decode_record, encode_record
from kwdocs.pages import keyword_anchors
from kwdocs.render.docs_page import render_docs_page
from kwdocs.render.folder_pages import Folder, render_folder_doc, render_folder_index
from kwdocs.render.kw_page import render_kw_page
from kwdocs.workers import PARALLEL_THRESHOLD, Workers, collector_paused

_CHUNK = 16
RENDER_TARGET = "kwdocs.export.render:render_unit"


class Inherited(msgspec.Struct):
    """What forked render workers read from the parent's memory instead of from each job."""

    records: Mapping[str, FileRecord]
    facts: Mapping[str, bytes]
    analysis: Analysis
    folders: dict[str, Folder]


class Limits(msgspec.Struct, frozen=True, array_like=True):
    source_limit: int
    max_size: int


class RenderUnit(msgspec.Struct, array_like=True):
    """Jobs rendered in one go by a worker, with where they go."""

    root: str
    out: str
    root_from_out: str
    limits: Limits
    jobs: list[RenderJob]
    export: int = 0
    """Tells one export's units from the next (a worker keeps the folders it made over one
    export's units)."""


Outcome = list[WriteResult] | Skip

# Set just before the render workers are forked; None in every other process.
_inherited: Inherited | None = None
_encoder = msgspec.msgpack.Encoder()
_facts_decoder = msgspec.msgpack.Decoder(PageFacts)
_unit_decoder = msgspec.msgpack.Decoder(RenderUnit)
_outcomes_decoder = msgspec.msgpack.Decoder(list[Outcome])


def render_job(root: str, out: str, root_from_out: str, limits: Limits, job: RenderJob) -> Outcome:
    """Render and write one source file's pages."""
    outcome = read_bounded(os.path.join(root, job.path), limits.max_size)
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
        extraction = extract_source(job.path, data, mtime_ns, record.module or None)
        text = extraction.text
        facts = page_facts(extraction.tree, text, extraction.lines)
        if extraction.record.digest != record.digest:
            record = with_calls(extraction.record, facts)
    results = []
    # Both pages need them; the analysis has them already when other pages link here.
    if shared is not None and record is shared.records[job.path]:
        anchors = shared.analysis.anchors(job.path)
    else:
        anchors = keyword_anchors(record)
    links = (
        shared.analysis.links(job.path)
        if shared is not None
        else msgspec.msgpack.decode(job.links, type=FileLinks)
    )
    for planned in job.pages:
        if planned.kind is PageKind.KEYWORDS:
            content = render_kw_page(record, root_from_out, anchors, links.import_files)
        else:
            content = render_docs_page(
                record, text, facts, links, root_from_out, limits.source_limit, anchors
            )
        results.append(write_page(out, planned.page, content, planned.fingerprint))
    return results


def render_folder_job(
    out: str,
    job: RenderJob,
    folders: Mapping[str, Folder],
    records: Mapping[str, FileRecord],
    analysis: Analysis,
) -> list[WriteResult]:
    folder = folders[job.path]
    results = []
    for planned in job.pages:
        if planned.kind is PageKind.INDEX:
            content = render_folder_index(folder, records)
        else:
            links = analysis.folder_page_links(folder.path, folder.files, folder.subfolders)
            content = render_folder_doc(folder, records, links)
        results.append(write_page(out, planned.page, content, planned.fingerprint))
    return results


def _render_safe(
    root: str, out: str, root_from_out: str, limits: Limits, job: RenderJob
) -> Outcome:
    try:
        if _inherited is not None:
            job.pages = _fingerprinted(job, _inherited, root_from_out, limits)
        if job.is_folder:
            assert _inherited is not None  # folder jobs are only rendered where it is set
            return render_folder_job(
                out, job, _inherited.folders, _inherited.records, _inherited.analysis
            )
        return render_job(root, out, root_from_out, limits, job)
    except Exception as error:  # one bad file must not lose the others' pages
        return Skip(job.path, f"internal error while rendering: {type(error).__name__}")


def _fingerprinted(
    job: RenderJob, shared: Inherited, root_from_out: str, limits: Limits
) -> list[PlannedPage]:
    return with_fingerprints(
        job, shared.records, shared.analysis, shared.folders, root_from_out, limits.source_limit
    )


def render_unit(payload: bytes) -> bytes:
    """Worker side: render and write a unit's jobs (``RenderUnit`` in, outcomes out)."""
    unit = _unit_decoder.decode(payload)
    begin_writes(unit.out, unit.export)
    with collector_paused():  # pages are built of strings and lists: no cycles to collect
        outcomes = [
            _render_safe(unit.root, unit.out, unit.root_from_out, unit.limits, job)
            for job in unit.jobs
        ]
    return _encoder.encode(outcomes)


def render_all(
    root: str,
    out: str,
    root_from_out: str,
    limits: Limits,
    jobs: list[RenderJob],
    workers: Workers,
    shared: Inherited,
    meanwhile: list[Callable[[], None]] | None = None,
) -> Iterator[Outcome]:
    """Render and write every job's pages, across all cores for a large tree; ``meanwhile``
    runs (and is emptied) once the workers have their jobs."""
    global _inherited
    if not workers.parallel or len(jobs) < PARALLEL_THRESHOLD:
        run_pending(meanwhile)
        _inherited = shared
        try:
            for job in jobs:
                yield _render_safe(root, out, root_from_out, limits, job)
        finally:
            _inherited = None
        return
    # Forked workers read records, facts and cross-file links from the memory they inherit:
    # nothing is encoded and decoded again, and the links are worked out in parallel.
    # ``workers.fork()`` forks every worker at once: ``_inherited`` must be set before it.
    _inherited = shared
    export = time.monotonic_ns()
    try:
        executor = workers.fork()
        if executor is None:
            # Folder pages need every record: without forked workers, render them here.
            for job in [job for job in jobs if job.is_folder]:
                yield _render_safe(root, out, root_from_out, limits, job)
            jobs = [job for job in jobs if not job.is_folder]
            for job in jobs:
                job.pages = _fingerprinted(job, shared, root_from_out, limits)
                job.record = encode_record(shared.records[job.path])
                job.links = _encoder.encode(shared.analysis.links(job.path))
                job.facts = shared.facts.get(job.path, b"")
        ordered = _balanced(jobs, shared.records)
        payloads = [
            _encoder.encode(
                RenderUnit(root, out, root_from_out, limits, ordered[i : i + _CHUNK], export)
            )
            for i in range(0, len(ordered), _CHUNK)
        ]
        if executor is not None:
            futures = [executor.submit(render_unit, payload) for payload in payloads]
    finally:
        _inherited = None
    run_pending(meanwhile)
    if executor is None:
        for result in workers.map(RENDER_TARGET, payloads):
            yield from _outcomes_decoder.decode(result)
        return
    from concurrent.futures import as_completed

    try:
        for future in as_completed(futures):
            yield from _outcomes_decoder.decode(future.result())
    finally:
        for future in futures:
            future.cancel()


def _balanced(jobs: list[RenderJob], records: Mapping[str, FileRecord]) -> list[RenderJob]:
    """Largest sources first, so no worker is left with a big file at the end (folder pages,
    small, last)."""
    return sorted(jobs, key=lambda job: 0 if job.is_folder else -records[job.path].size)
