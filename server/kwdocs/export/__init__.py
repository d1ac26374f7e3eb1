"""``kwdocs export``: index the workspace (the one pipeline, keeping each parse's page facts),
plan every page, render only those whose inputs changed (in worker processes for large trees),
write each atomically inside OUT, remove pages of deleted sources, and keep a manifest of what
kwdocs wrote.

The package's modules: ``output`` (checks, lock, manifest, atomic writes), ``plan`` (pages and
their fingerprints), ``render`` (render workers), ``summary`` (what an export did).

Two exports into one OUT at once: the second fails at once with a one-line message (a user who
ran the command twice wants to know, not to wait); ``export_file``, which the language server
calls, waits up to 30 s instead.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kwdocs import __version__
from kwdocs.analyse import Analysis
from kwdocs.cache import RecordCache
from kwdocs.config import Settings
from kwdocs.discover import SourceFile
from kwdocs.export.analysis import export_analysis
from kwdocs.export.edge_store import workspace_key
from kwdocs.export.known_calls import KNOWN_CALLS, RecordsKey, records_key
from kwdocs.export.output import (
    LOCK_NAME,
    TEMP_PREFIX,
    Manifest,
    PageEntry,
    WriteResult,
    WriteStatus,
    begin_writes,
    check_output,
    clean_temp_files,
    export_lock,
    load_manifest,
    remove_page,
    save_manifest,
    write_page,
)
from kwdocs.export.plan import RenderJob, file_pages, folder_pages, plan_export, root_from_out
from kwdocs.export.render import Inherited, Limits, render_all, render_folder_job, render_job
from kwdocs.export.site import check_site_config, render_landing, write_site_config
from kwdocs.export.summary import (
    ExportError,
    ExportSummary,
    FileExportSummary,
    Phase,
    format_summary,
)
from kwdocs.extract.includes import root_names
from kwdocs.model import FileRecord, Skip, decode_record
from kwdocs.pages import FOLDER_DOC, FOLDER_INDEX, LANDING_PAGE, docs_page, kw_page, page_uri
from kwdocs.pipeline import RecordCollector, extract_files, run_pipeline
from kwdocs.render.folder_pages import folder_tree
from kwdocs.workers import Workers, collector_paused, worker_count

__all__ = [
    "LOCK_NAME",
    "TEMP_PREFIX",
    "ExportError",
    "ExportSummary",
    "FileExportSummary",
    "PhaseProgress",
    "export_file",
    "export_lock",
    "export_workspace",
    "format_summary",
]

PhaseProgress = Callable[[str, int, int], None]
"""Called with (phase, done, total): phases ``index`` and ``pages``."""


def export_workspace(
    settings: Settings,
    *,
    progress: PhaseProgress | None = None,
    records: Mapping[str, FileRecord] | None = None,
    skipped: list[Skip] | None = None,
    site: Path | None = None,
    exiting: bool = False,
) -> ExportSummary:
    """Write (or refresh) every page of the workspace into OUT, and its landing page. Without
    ``records`` the workspace is indexed first (the cache reused and refreshed). ``site``: also
    write an MkDocs configuration there, with a navigation over the pages. ``exiting``: the
    process ends right after this call (``os._exit``, the command line's way): what the export
    made (records, facts, analysis) is left for the end of the process to discard at once
    rather than freed object by object (~0.1 s of a torch export)."""
    started = time.perf_counter()
    if site is not None:
        check_site_config(site, Path(settings.out))  # before anything is written
    root, out = check_output(settings)
    summary = ExportSummary(root=Path(settings.root), out=Path(settings.out))
    workers = Workers(worker_count(settings.jobs))
    made: list[object] = []
    with (
        export_lock(out),
        collector_paused(),  # records, links and pages hold no cycles
        workers,
    ):
        new_pages = _export_all(
            settings, summary, root, out, workers, progress, records, skipped, made
        )
        if site is not None:
            write_site_config(Path(root), Path(out), site, new_pages)
            summary.site = site
        if exiting:
            _LEFT_TO_EXIT.extend(made)
            gc.freeze()  # nor traversed by the collector once it is back on
        # Freed here, the workers gone (no page they shared is copied to change a count) and
        # the collector still off, whose first collection would otherwise traverse it all.
        made.clear()
    left_alone = {conflict["path"] for conflict in summary.conflicts}
    summary.start = next(
        (page for page in START_PAGES if page in new_pages and page not in left_alone), None
    )
    summary.skipped.sort(key=lambda s: s.path)
    summary.conflicts.sort(key=lambda c: c["path"])
    summary.seconds = time.perf_counter() - started
    return summary


def _export_all(
    settings: Settings,
    summary: ExportSummary,
    root: str,
    out: str,
    workers: Workers,
    progress: PhaseProgress | None,
    records: Mapping[str, FileRecord] | None,
    skipped: list[Skip] | None,
    made: list[object],
) -> dict[str, PageEntry]:
    """``export_workspace``'s work inside its lock: every page rendered and written, the
    manifest saved; the manifest's entries returned, and what it made put in ``made`` (for
    the caller to free when it suits)."""
    facts: dict[str, bytes] = {}

    # Writing the record cache waits until workers are running (the edge workers, else the
    # render workers): it then takes a core they leave idle rather than a gap between phases.
    save_later: list[Callable[[], None]] = []
    if records is None:
        summary.begin(Phase.INDEX)  # loading the record cache included
        cache = RecordCache(settings.root, settings.cache_dir) if settings.use_cache else None
        collector = RecordCollector(cache, save_later=True)

        def report(done: int, total: int) -> None:
            if progress is not None:
                progress("index", done, total)

        indexed = run_pipeline(settings, collector, workers=workers, facts=True, progress=report)
        records, facts = collector.records, collector.facts
        made.append(collector)
        summary.skipped = indexed.skipped
        if collector.pending_save is not None:
            save_later.append(collector.pending_save)
    else:
        summary.skipped = list(skipped or [])
        summary.begin(Phase.INDEX)
        records, facts = _with_calls(settings, records, workers, summary.skipped)
        KNOWN_CALLS.remember(str(settings.root), records)
    summary.files = len(records)
    clean_temp_files(out)
    begin_writes(out)
    manifest = load_manifest(out)
    if manifest.version != __version__:
        manifest.pages = dict.fromkeys(manifest.pages, PageEntry())
    from_out = root_from_out(root, out)
    summary.begin(Phase.ANALYSIS)
    analysis = export_analysis(settings, records, save_later, workers)
    summary.begin(Phase.PLAN)
    plan = plan_export(records, analysis, manifest, out, from_out, settings.source_limit)
    made += (records, facts, analysis, plan)
    plan.wanted.add(LANDING_PAGE)
    summary.unchanged += len(plan.unchanged)
    new_pages: dict[str, PageEntry] = {p: manifest.pages[p] for p in plan.unchanged}
    summary.begin(Phase.RENDER)
    try:
        jobs = plan.jobs + plan.folder_jobs
        outcomes = render_all(
            root,
            out,
            from_out,
            Limits(settings.source_limit, settings.max_file_size),
            jobs,
            workers,
            Inherited(records, facts, analysis, plan.folders),
            meanwhile=save_later,
        )
        for done, outcome in enumerate(outcomes, start=1):
            if isinstance(outcome, Skip):
                summary.skipped.append(outcome)
            else:
                for result in outcome:
                    _tally(summary, new_pages, result)
            if progress is not None:
                progress("pages", done, len(jobs))
        workers.close()  # their work is done: gone before this process frees what they share
        summary.begin(Phase.FINISH)
        landing = render_landing(Path(root).name, len(records))
        _tally(summary, new_pages, write_page(out, LANDING_PAGE, landing, ""))
    finally:
        # Pages of sources that are gone: only those the manifest says kwdocs wrote.
        for page in sorted(set(manifest.pages) - plan.wanted):
            if remove_page(out, page):
                summary.removed += 1
        # Pages still wanted but not reached (an error midway) keep their old entries.
        for page in plan.wanted:
            if page not in new_pages and page in manifest.pages:
                new_pages[page] = PageEntry()
        save_manifest(out, Manifest(pages=new_pages, root=from_out))
        for save in save_later:  # not run yet when rendering stopped early
            save()
        summary.end()
    return new_pages


# What exports made, for processes that end right after them (``export_workspace``'s
# ``exiting``): held here, it is never freed object by object.
_LEFT_TO_EXIT: list[object] = []

# The page "Start at" names: the first of these that kwdocs wrote (the user's own file of that
# name, left alone, is no start into kwdocs's pages).
START_PAGES = (FOLDER_INDEX, LANDING_PAGE, FOLDER_DOC)


def _with_calls(
    settings: Settings, records: Mapping[str, FileRecord], workers: Workers, skipped: list[Skip]
) -> tuple[Mapping[str, FileRecord], dict[str, bytes]]:
    """Records indexed without their calls (the language server's) read again with their page
    facts, which read the calls: callers on every page need every file's calls. The facts
    are kept, so rendering does not parse those files a second time."""
    missing = [
        SourceFile(path, record.size, record.mtime_ns, record.module)
        for path, record in records.items()
        if not record.calls_known
    ]
    if not missing:
        return records, {}
    completed = dict(records)
    facts: dict[str, bytes] = {}
    for outcomes in extract_files(
        str(settings.root), missing, settings.max_file_size, workers, facts=True
    ):
        for outcome in outcomes:
            if outcome.skip:
                completed.pop(outcome.path, None)
                skipped.append(Skip(outcome.path, outcome.skip))
                continue
            completed[outcome.path] = decode_record(outcome.record)
            if outcome.facts:
                facts[outcome.path] = outcome.facts
    return {p: completed[p] for p in sorted(completed)}, facts


def _tally(summary: ExportSummary, pages: dict[str, PageEntry], result: WriteResult) -> None:
    if result.status is WriteStatus.CONFLICT:
        summary.conflicts.append({"path": result.page, "reason": result.reason})
        return
    if result.status is WriteStatus.WRITTEN:
        summary.written += 1
    else:
        summary.unchanged += 1
    assert result.entry is not None
    pages[result.page] = result.entry


# The last Analysis export_file made, by the (path, digest, calls known) of the records it was
# made from and the root's folder names, and the workspace key of those records: the language
# server asks for one file's pages at a time, mostly from an unchanged workspace, else one
# where a file or two changed (the last analysis's edges are then kept where they still hold).
_last_analysis: tuple[tuple[RecordsKey, tuple[str, ...]], str, Analysis] | None = None


def _analysis_for(records: Mapping[str, FileRecord], above: Sequence[str]) -> Analysis:
    global _last_analysis
    key = (records_key(records), tuple(above))
    if _last_analysis is not None and _last_analysis[0] == key:
        return _last_analysis[2]
    workspace = workspace_key(records)
    known = (
        _last_analysis[2].edges
        if _last_analysis is not None and _last_analysis[1] == workspace
        else None
    )
    analysis = Analysis(records, known, above=above)
    _last_analysis = (key, workspace, analysis)
    return analysis


def export_file(
    settings: Settings, path: str, records: Mapping[str, FileRecord]
) -> FileExportSummary:
    """Write the docs and keyword pages of one source file (and its folders' pages), with the
    fingerprints a whole export gives them: the next export leaves them as they are."""
    started = time.perf_counter()
    root, out = check_output(settings)
    records = KNOWN_CALLS.complete(str(settings.root), records)
    record = records.get(path)
    if record is None:
        raise ExportError(f"not an indexed file of this workspace: {path}")
    summary = FileExportSummary(root=Path(settings.root), out=Path(settings.out))
    with export_lock(out, wait=30.0):
        begin_writes(out)
        manifest = load_manifest(out)
        from_out = root_from_out(root, out)
        analysis = _analysis_for(records, root_names(root))
        job = RenderJob(path, file_pages(path, record, analysis, from_out, settings.source_limit))
        shared = Inherited(records, {}, analysis, {})
        limits = Limits(settings.source_limit, settings.max_file_size)
        outcome = _with_inherited(shared, lambda: render_job(root, out, from_out, limits, job))
        if isinstance(outcome, Skip):
            raise ExportError(f"{path}: {outcome.reason}")
        results = list(outcome)
        # The folder pages its links lead to, from the root down to its folder.
        tree = folder_tree(list(records))
        folder = os.path.dirname(path).replace(os.sep, "/")
        while True:
            folder_job = RenderJob(folder, folder_pages(tree[folder], records, from_out, analysis))
            results += render_folder_job(out, folder_job, tree, records, analysis)
            if not folder:
                break
            folder = os.path.dirname(folder)
        for result in results:
            if result.status is WriteStatus.CONFLICT:
                continue
            summary.written += result.status is WriteStatus.WRITTEN
            summary.unchanged += result.status is WriteStatus.UNCHANGED
            assert result.entry is not None
            manifest.pages[result.page] = result.entry
        manifest.root = from_out
        save_manifest(out, manifest)
    summary.pages = [page_uri(Path(out), docs_page(path)), page_uri(Path(out), kw_page(path))]
    summary.seconds = time.perf_counter() - started
    return summary


def _with_inherited(shared: Inherited, work: Callable[[], Any]) -> Any:
    """Run ``work`` with ``shared`` as the render module's inputs (no encoding round trip)."""
    from kwdocs.export import render

    render._inherited = shared
    try:
        return work()
    finally:
        render._inherited = None
