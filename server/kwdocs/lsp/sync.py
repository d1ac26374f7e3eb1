"""Document sync: open buffers are extracted in-process (open files first, so hover works at
once), edits are debounced and flushed on demand, closing falls back to the file on disk, and
changes made outside the editor arrive through watched files, saves, or a moved mtime."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.extract import GENERATED_MARKER, extract_source, language_of
from kwdocs.extract.incremental import IncrementalExtractor
from kwdocs.lsp.background import run_daemon
from kwdocs.lsp.workspace_state import Document, Folder
from kwdocs.modules import INIT_FILES
from kwdocs.pages import DOCS_SUFFIX, KW_SUFFIX
from kwdocs.uris import uri_to_path

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

log = logging.getLogger(__name__)

# Quiet time after the last edit before the buffer is re-extracted in the background; a request
# on a changed buffer extracts it at once instead of waiting.
DEBOUNCE = 0.15
# Buffers larger than this are not extracted on every flush (the disk record stays).
MAX_BUFFER = 4_000_000
# A file found changed on disk during a look-up is re-read at once up to this size.
SYNC_REFRESH_LIMIT = 262_144


def _source_of_page(server: KwdocsServer, path: str) -> tuple[Folder, str] | None:
    """For a generated ``X_docs.md``/``X_kw.md`` page: its folder and source file ``X``."""
    found = server.state.folder_of_output(path)
    if found is None:
        return None
    folder, rel = found
    for suffix in (DOCS_SUFFIX, KW_SUFFIX):
        if rel.endswith(suffix):
            return folder, rel[: -len(suffix)]
    return folder, ""


def make_document(server: KwdocsServer, uri: str, text: str) -> Document:
    """A Document for a buffer's text: which folder it belongs to, generated page or not."""
    path = uri_to_path(uri)
    folder = server.state.folder_of(path)
    rel = folder.rel_path(path) if folder is not None and path is not None else None
    language = language_of(path or uri)
    doc = Document(uri=uri, path=path, folder=folder, rel=rel, language=language, text=text)
    if language == "markdown" and text.lstrip("\ufeff").startswith(GENERATED_MARKER):
        doc.generated = True
        source = _source_of_page(server, path) if path else None
        if source is not None:
            doc.folder, doc.source_rel = source[0], source[1] or None
        doc.rel = None  # pages are never indexed
    return doc


def extract_buffer(doc: Document, into_index: bool = True) -> None:
    """Re-extract the buffer and put its record in the folder's index (on the loop); a file
    read for one request only (``into_index=False``) keeps its record to itself."""
    doc.dirty = False
    if doc.timer is not None:
        doc.timer.cancel()
        doc.timer = None
    if len(doc.text) > MAX_BUFFER:
        return
    name = doc.rel or os.path.basename(doc.path or "") or "untitled"
    module = doc.folder.module_of(doc.rel) if doc.folder is not None and doc.rel else None
    data = doc.text.encode("utf-8", "surrogatepass")
    try:
        if into_index:
            # An open buffer: the next edit re-parses only the statements it touches.
            if doc.extractor is None or (doc.extractor.path, doc.extractor.module) != (
                name,
                module,
            ):
                doc.extractor = IncrementalExtractor(name, module)
            record = doc.extractor.extract(data)
        else:
            record = extract_source(name, data, module=module).record
    except Exception:  # extraction is meant never to raise; a bug must not lose the server
        log.exception("extracting the buffer of %s failed", doc.uri)
        doc.extractor = None  # start afresh next time
        return
    doc.record = record
    if into_index and doc.folder is not None and doc.rel is not None:
        doc.folder.buffers.add(doc.rel)
        doc.folder.index.update(record)


def open_document(server: KwdocsServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    old = server.state.documents.pop(item.uri, None)
    if old is not None and old.timer is not None:
        old.timer.cancel()
    doc = make_document(server, item.uri, item.text)
    server.state.documents[item.uri] = doc
    extract_buffer(doc)


def change_document(server: KwdocsServer, params: types.DidChangeTextDocumentParams) -> None:
    doc = server.state.documents.get(params.text_document.uri)
    if doc is None:
        return
    for change in params.content_changes:
        doc.apply(change, server.encoding)
    doc.version += 1
    doc.dirty = True
    if doc.timer is not None:
        doc.timer.cancel()
    loop = asyncio.get_running_loop()
    doc.timer = loop.call_later(DEBOUNCE, _flush_later, server, doc)


def _flush_later(server: KwdocsServer, doc: Document) -> None:
    doc.timer = None
    if server.state.documents.get(doc.uri) is doc and doc.dirty:
        extract_buffer(doc)


def flush(doc: Document) -> None:
    """Bring a changed buffer's record up to date now (a request needs it)."""
    if doc.dirty:
        extract_buffer(doc)


def save_document(server: KwdocsServer, params: types.DidSaveTextDocumentParams) -> None:
    doc = server.state.documents.get(params.text_document.uri)
    if doc is None:
        return
    if params.text is not None:
        doc.text = params.text
        doc.version += 1
    extract_buffer(doc)
    if doc.folder is not None and doc.rel is not None:
        server.pages_changed(doc.folder, doc.rel)


def close_document(server: KwdocsServer, params: types.DidCloseTextDocumentParams) -> None:
    doc = server.state.documents.pop(params.text_document.uri, None)
    if doc is None:
        return
    if doc.timer is not None:
        doc.timer.cancel()
    if doc.folder is not None and doc.rel is not None:
        doc.folder.buffers.discard(doc.rel)
        refresh_paths(server, doc.folder, [doc.rel])


def refresh_paths(
    server: KwdocsServer, folder: Folder, rels: list[str]
) -> asyncio.Future[Any] | None:
    """Re-read files from disk in a thread and apply the outcome on the loop: updated records,
    or removals for files that are gone or no longer indexed."""
    rels = [r for r in rels if r not in folder.buffers]
    if not rels:
        return None
    settings = folder.settings
    run_id = folder.run_id

    def work() -> list[tuple[str, Any]]:
        from kwdocs.discover import PathFilter
        from kwdocs.extract import read_and_extract

        path_filter = PathFilter(settings)
        out: list[tuple[str, Any]] = []
        for rel in rels:
            full = folder.full_path(rel)
            if not os.path.isfile(full) or not path_filter.accepts_file(rel):
                out.append((rel, None))
                continue
            if language_of(rel) == "text" and not settings.include:
                out.append((rel, None))
                continue
            module = folder.module_of(rel)
            out.append(
                (rel, read_and_extract(str(settings.root), rel, settings.max_file_size, module))
            )
        return out

    future = run_daemon(work, name="kwdocs-refresh")

    def apply(done: asyncio.Future[Any]) -> None:
        if done.cancelled() or done.exception() is not None:
            if not done.cancelled():
                log.warning("re-reading %s failed: %s", rels, done.exception())
            return
        from kwdocs.model import FileRecord

        changed = False
        for rel, outcome in done.result():
            if rel in folder.buffers or folder.settings is not settings:
                continue
            if isinstance(outcome, FileRecord):
                folder.index.update(outcome)
            else:
                folder.index.remove(rel)
            changed = True
            server.pages_changed(folder, rel)
        if changed and run_id == folder.run_id:
            server.send_status()

    future.add_done_callback(apply)
    return future


def _wanted_by_default(rel: str) -> bool:
    """Files the server watches (``WATCH_GLOBS``): every language with an extractor."""
    return language_of(rel) != "text"


def watched_files_changed(server: KwdocsServer, params: types.DidChangeWatchedFilesParams) -> None:
    by_folder: dict[int, tuple[Folder, list[str]]] = {}
    settings_changed: set[int] = set()
    for change in params.changes:
        path = uri_to_path(change.uri)
        folder = server.state.folder_of(path)
        if folder is None or path is None:
            continue
        rel = folder.rel_path(path)
        if rel is None or folder.out_rel(path) is not None:
            continue  # pages kwdocs writes are never indexed: an export's events are noise
        name = rel.rsplit("/", 1)[-1]
        if name in INIT_FILES and change.type != types.FileChangeType.Changed:
            # A package marker came or went: the module names of every file under it change.
            if folder.namer is not None:
                folder.namer.forget()
            settings_changed.add(id(folder))
            by_folder.setdefault(id(folder), (folder, []))
            continue
        if (name in ("pyproject.toml", ".gitignore") and "/" not in rel) or name == ".gitignore":
            settings_changed.add(id(folder))
            by_folder.setdefault(id(folder), (folder, []))
            continue
        if change.type == types.FileChangeType.Deleted:
            # A deleted folder takes every file under it.
            prefix = rel + "/"
            gone = [p for p in folder.index.records if p == rel or p.startswith(prefix)]
            for gone_rel in gone:
                if gone_rel not in folder.buffers:
                    folder.index.remove(gone_rel)
                    server.pages_changed(folder, gone_rel)
            continue
        if os.path.isdir(path):
            settings_changed.add(id(folder))  # a new folder: walk it again (cache keeps it cheap)
            by_folder.setdefault(id(folder), (folder, []))
            continue
        if _wanted_by_default(rel) or folder.settings.include:
            by_folder.setdefault(id(folder), (folder, []))[1].append(rel)
    for key, (folder, rels) in by_folder.items():
        if key in settings_changed:
            server.schedule_reload(folder)
        elif rels:
            refresh_paths(server, folder, rels)
    server.send_status()


def check_moved(server: KwdocsServer, folder: Folder, rel: str) -> bool:
    """For clients that cannot watch files: True (and a refresh started) when a file a look-up
    returned changed on disk since it was indexed."""
    if rel in folder.buffers:
        return False
    record = folder.index.get(rel)
    if record is None:
        return False
    try:
        st = os.stat(folder.full_path(rel))
    except OSError:
        refresh_paths(server, folder, [rel])
        return True
    if st.st_size == record.size and (record.mtime_ns == 0 or st.st_mtime_ns == record.mtime_ns):
        return False
    if st.st_size > SYNC_REFRESH_LIMIT:
        refresh_paths(server, folder, [rel])
        return True
    # Small file: re-read it now, so this very answer is current.
    from kwdocs.discover import PathFilter
    from kwdocs.extract import read_and_extract
    from kwdocs.model import FileRecord

    outcome = None
    if PathFilter(folder.settings).accepts_file(rel):
        outcome = read_and_extract(
            str(folder.root), rel, folder.settings.max_file_size, folder.module_of(rel)
        )
    if isinstance(outcome, FileRecord):
        folder.index.update(outcome)
    else:
        folder.index.remove(rel)
    server.pages_changed(folder, rel)
    return True
