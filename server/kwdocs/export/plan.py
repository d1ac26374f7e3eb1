"""Which pages an export writes, and the fingerprint of each page's inputs: a page whose
fingerprint the manifest already holds (and that is still on disk as written) is not rendered
again. One fingerprint for every writer: the whole export and a single file's pages written on
demand by the language server agree, so neither renders what the other just wrote."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import msgspec

from kwdocs.analyse import Analysis
from kwdocs.build_key import build_key
from kwdocs.export.output import Manifest, sha_of, still_there
from kwdocs.model import RECORD_FORMAT, FileRecord
from kwdocs.pages import FOLDER_DOC, FOLDER_INDEX, docs_page, folder_page, kw_page
from kwdocs.render.folder_pages import Folder, folder_tree

_encoder = msgspec.msgpack.Encoder()


class PageKind(str, enum.Enum):
    DOCS = "docs"
    """``<file>_docs.md``"""
    KEYWORDS = "kw"
    """``<file>_kw.md``"""
    INDEX = "index"
    """A folder's ``index.md``."""
    DOC = "doc"
    """A folder's ``doc.md``."""

    __str__ = str.__str__


class PlannedPage(msgspec.Struct, frozen=True, array_like=True):
    page: str
    """Path in the output folder."""
    kind: PageKind
    fingerprint: str
    """Empty when the plan left it to the renderer (``with_fingerprints``)."""


def root_from_out(root: str, out: str) -> str:
    """The workspace root relative to the output folder (pages link to sources through it)."""
    return os.path.relpath(root, out).replace(os.sep, "/")


def _fingerprint(*parts: Any) -> str:
    # The build key: pages rendered by another build of kwdocs are rendered again.
    return sha_of(_encoder.encode([build_key(), RECORD_FORMAT, *parts]))


def file_pages(
    path: str,
    record: FileRecord,
    analysis: Analysis,
    root_from_out: str,
    source_limit: int,
) -> list[PlannedPage]:
    """The keyword page and the docs page of one source file, with their fingerprints."""
    # The keyword page shows the record and the files its imports come from; the docs page
    # also what other files say of this one (analysis.links_key covers it).
    links = _encoder.encode(analysis.links_key(path))
    imported = _encoder.encode(sorted(analysis.imports_of.get(path, ())))
    return [
        PlannedPage(
            page,
            kind,
            _fingerprint(kind, path, record.digest, root_from_out, source_limit, inputs),
        )
        for (page, kind), inputs in zip(_file_page_names(path), (imported, links), strict=True)
    ]


def _file_page_names(path: str) -> tuple[tuple[str, PageKind], ...]:
    return ((kw_page(path), PageKind.KEYWORDS), (docs_page(path), PageKind.DOCS))


def folder_pages(
    folder: Folder, records: Mapping[str, FileRecord], root_from_out: str, analysis: Analysis
) -> list[PlannedPage]:
    """A folder's ``index.md`` and ``doc.md``, with their fingerprints."""
    # A folder page shows its files' records and its subfolders: those are its inputs; the
    # doc page also its public API's definitions, its subfolders' purposes and the imports
    # between its files (analysis.folder_key).
    files = [(p, records[p].digest) for p in folder.files]
    shown = _encoder.encode(analysis.folder_key(folder.path, folder.files, folder.subfolders))
    return [
        PlannedPage(
            folder_page(folder.path, name),
            kind,
            _fingerprint(
                name,
                folder.path,
                root_from_out,
                files,
                folder.subfolders,
                folder.total_files,
                *([shown] if kind is PageKind.DOC else []),
            ),
        )
        for name, kind in _FOLDER_PAGE_NAMES
    ]


_FOLDER_PAGE_NAMES = ((FOLDER_INDEX, PageKind.INDEX), (FOLDER_DOC, PageKind.DOC))


class RenderJob(msgspec.Struct, array_like=True):
    """One source file (or folder) whose pages need rendering."""

    path: str
    pages: list[PlannedPage]
    record: bytes = b""
    links: bytes = b""
    facts: bytes = b""
    """PageFacts from the parse that made the record, when this run made it: no second parse.
    All three empty: a forked worker takes them from the parent's memory instead."""

    @property
    def is_folder(self) -> bool:
        return self.pages[0].kind in (PageKind.INDEX, PageKind.DOC)


@dataclass
class Plan:
    jobs: list[RenderJob] = field(default_factory=list)
    folder_jobs: list[RenderJob] = field(default_factory=list)
    folders: dict[str, Folder] = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)
    unchanged: list[str] = field(default_factory=list)


def plan_export(
    records: Mapping[str, FileRecord],
    analysis: Analysis,
    manifest: Manifest,
    out: str,
    root_from_out: str,
    source_limit: int,
) -> Plan:
    """Every page of the workspace: those whose inputs changed become render jobs. A page
    the manifest does not hold is rendered whatever its fingerprint: the plan leaves that
    fingerprint to the renderer (``with_fingerprints``), so a cold export works them out
    across the render workers rather than here, one after the other."""
    plan = Plan()
    owners: dict[str, str] = {}

    def keep(
        owner: str, names: Iterable[tuple[str, PageKind]], planned: Callable[[], list[PlannedPage]]
    ) -> list[PlannedPage]:
        todo = []
        fingerprints: dict[str, str] | None = None
        for page, kind in names:
            if page in owners:
                continue  # two sources cannot share a page path; the first keeps it
            owners[page] = owner
            plan.wanted.add(page)
            entry = manifest.pages.get(page)
            if entry is None:
                todo.append(PlannedPage(page, kind, ""))
                continue
            if fingerprints is None:
                fingerprints = {p.page: p.fingerprint for p in planned()}
            if entry.fp == fingerprints[page] and still_there(out, page, entry):
                plan.unchanged.append(page)
            else:
                todo.append(PlannedPage(page, kind, fingerprints[page]))
        return todo

    for path in sorted(records):
        todo = keep(
            path,
            _file_page_names(path),
            partial(file_pages, path, records[path], analysis, root_from_out, source_limit),
        )
        if todo:
            # Record, links and facts are filled in only if the job has to travel encoded.
            plan.jobs.append(RenderJob(path, todo))
    plan.folders = folder_tree(list(records))
    for folder in plan.folders.values():
        names = [(folder_page(folder.path, name), kind) for name, kind in _FOLDER_PAGE_NAMES]
        for page in keep(
            folder.path,
            names,
            partial(folder_pages, folder, records, root_from_out, analysis),
        ):
            plan.folder_jobs.append(RenderJob(folder.path, [page]))
    return plan


def with_fingerprints(
    job: RenderJob,
    records: Mapping[str, FileRecord],
    analysis: Analysis,
    folders: Mapping[str, Folder],
    root_from_out: str,
    source_limit: int,
) -> list[PlannedPage]:
    """The job's pages, each with its fingerprint: those the plan left empty worked out."""
    if all(planned.fingerprint for planned in job.pages):
        return job.pages
    if job.is_folder:
        full = folder_pages(folders[job.path], records, root_from_out, analysis)
    else:
        full = file_pages(job.path, records[job.path], analysis, root_from_out, source_limit)
    worked_out = {planned.page: planned.fingerprint for planned in full}
    return [
        planned
        if planned.fingerprint
        else PlannedPage(planned.page, planned.kind, worked_out[planned.page])
        for planned in job.pages
    ]
