"""``workspace/executeCommand``: export every page, export one file's pages, re-index, and a
debug report. Exports run in a background thread on a snapshot of the index."""

from __future__ import annotations

import asyncio
import gc
import time
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInvalidParams

from kwdocs import __version__
from kwdocs.lsp.background import run_daemon
from kwdocs.lsp.progress import WorkProgress
from kwdocs.lsp.settings import export_settings, follow_export
from kwdocs.lsp.workspace_state import Folder, FolderState
from kwdocs.uris import uri_to_path

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer


async def _settled(folder: Folder) -> None:
    """Wait for the folder's indexing to finish: exports want every record."""
    while folder.state in (FolderState.IDLE, FolderState.INDEXING):
        await asyncio.sleep(0.05)


def _folders_for(server: KwdocsServer, args: list[Any]) -> list[Folder]:
    if not args or args[0] is None:
        return list(server.state.folders)
    wanted = args[0]
    if not isinstance(wanted, dict) or not isinstance(wanted.get("folderUri"), str):
        raise JsonRpcInvalidParams('expected no argument or [{"folderUri": "file:///..."}]')
    path = uri_to_path(wanted["folderUri"])
    chosen = [f for f in server.state.folders if path is not None and str(f.root) == path]
    if not chosen:
        raise JsonRpcInvalidParams(f"not a workspace folder: {wanted['folderUri']}")
    return chosen


async def export_all(server: KwdocsServer, args: list[Any]) -> dict[str, Any]:
    folders = _folders_for(server, args)
    started = time.perf_counter()
    progress = WorkProgress(server, "kwdocs: exporting pages")
    await progress.begin("waiting for the index")
    loop = asyncio.get_running_loop()
    results = []
    try:
        for folder in folders:
            await _settled(folder)

            def report(stage: str, done: int, total: int, name: str = folder.name) -> None:
                loop.call_soon_threadsafe(
                    progress.report, done, total, f"{name}: {stage} {done}/{total}"
                )

            async with server.pages.paused():
                summary = await run_daemon(
                    _export_workspace,
                    export_settings(folder.settings),  # the user asked: the output folder
                    report,
                    dict(folder.index.records),
                    list(folder.skipped),
                    name="kwdocs-export",
                )
            results.append(summary.to_json())
            follow_export(folder.settings)  # hovers now link into the export
    finally:
        progress.end("done" if len(results) == len(folders) else "failed")
    server.clear_caches()
    return {"folders": results, "seconds": round(time.perf_counter() - started, 3)}


def _export_workspace(settings: Any, report: Any, records: Any, skipped: Any) -> Any:
    from kwdocs.export import export_workspace

    return export_workspace(settings, progress=report, records=records, skipped=skipped)


def _export_file(settings: Any, rel: str, records: Any) -> Any:
    from kwdocs.export import export_file

    return export_file(settings, rel, records)


async def export_file(server: KwdocsServer, args: list[Any]) -> dict[str, Any]:
    uri = args[0] if args else None
    if isinstance(uri, dict):
        uri = uri.get("uri")
    path = uri_to_path(uri) if isinstance(uri, str) else None
    folder = server.state.folder_of(path)
    rel = folder.rel_path(path) if folder is not None and path is not None else None
    if folder is None or rel is None:
        raise JsonRpcInvalidParams(f"not a file of a workspace folder: {uri!r}")
    doc = server.state.documents.get(uri)
    if doc is not None:
        from kwdocs.lsp.sync import flush

        flush(doc)
    if folder.index.get(rel) is None:
        await _settled(folder)
    if folder.index.get(rel) is None:
        raise JsonRpcInvalidParams(f"not an indexed file: {rel}")
    summary = await run_daemon(
        _export_file,
        export_settings(folder.settings),
        rel,
        dict(folder.index.records),
        name="kwdocs-export",
    )
    follow_export(folder.settings)
    server.clear_caches()
    return summary.to_json()


async def reindex(server: KwdocsServer, args: list[Any]) -> dict[str, Any]:
    started = time.perf_counter()
    for folder in list(server.state.folders):
        await server.load_folder_settings(folder)
        await server.index(folder)
    folders = server.state.folders
    return {
        "files": sum(len(f.index) for f in folders),
        "keywords": sum(f.index.keyword_count() for f in folders),
        "seconds": round(time.perf_counter() - started, 3),
    }


def debug_info(server: KwdocsServer) -> dict[str, Any]:
    capabilities = server.client_capabilities
    text = capabilities.text_document
    workspace = capabilities.workspace
    window = capabilities.window
    folders = server.state.folders
    return {
        "version": __version__,
        "settings": {f.uri: f.settings.describe() for f in folders},
        "folders": [
            {
                "uri": f.uri,
                "root": str(f.root),
                "state": f.state,
                "files": len(f.index),
                "keywords": f.index.keyword_count(),
                "skipped": len(f.skipped),
                "message": f.message,
            }
            for f in folders
        ],
        "index": {
            "files": sum(len(f.index) for f in folders),
            "keywords": sum(f.index.keyword_count() for f in folders),
        },
        "openDocuments": [
            {"uri": d.uri, "version": d.version, "language": d.language, "generated": d.generated}
            for d in server.state.documents.values()
        ],
        "positionEncoding": server.encoding,
        "inference": server.describe_inference(),
        "garbageCollector": {
            "frozen": gc.get_freeze_count(),
            "fullCollections": gc.get_stats()[2]["collections"],
        },
        "clientCapabilities": {
            "hoverFormats": [getattr(k, "value", k) for k in (text.hover.content_format or [])]
            if text and text.hover
            else [],
            "hierarchicalDocumentSymbols": bool(
                text
                and text.document_symbol
                and text.document_symbol.hierarchical_document_symbol_support
            ),
            "workDoneProgress": bool(window and window.work_done_progress),
            "configuration": bool(workspace and workspace.configuration),
            "watchedFilesDynamicRegistration": bool(
                workspace
                and workspace.did_change_watched_files
                and workspace.did_change_watched_files.dynamic_registration
            ),
            "positionEncodings": [
                getattr(e, "value", e) for e in (capabilities.general.position_encodings or [])
            ]
            if capabilities.general
            else [],
        },
    }
