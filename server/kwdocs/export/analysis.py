"""The workspace analysis of an export: the files' edges the last export worked out are kept
where they still hold (``edge_store``), so a re-export works out only those of the files that
changed or read a record that changed; a cold export works them out across forked workers."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import as_completed
from pathlib import Path
from typing import NamedTuple

import msgspec

from kwdocs.analyse import Analysis, KeywordPlaces, keyword_places
from kwdocs.config import Settings
from kwdocs.edge_types import FileEdges
from kwdocs.edges import EdgeReader, stale_paths
from kwdocs.export.edge_store import EdgeStore, workspace_key
from kwdocs.export.output import run_pending
from kwdocs.extract.includes import root_names
from kwdocs.model import FileRecord
from kwdocs.modules import ModuleTable
from kwdocs.pages import keyword_anchors
from kwdocs.workers import Workers, collector_paused

# Below this many files to work out, forking workers costs more than it saves.
_FORK_AT = 256
# Units per worker: enough for the pool to even out files of unequal work.
_UNITS_PER_WORKER = 4

_encoder = msgspec.msgpack.Encoder()
_unit_decoder = msgspec.msgpack.Decoder(dict[str, msgspec.Raw])
_edges_decoder = msgspec.msgpack.Decoder(FileEdges)


class _EdgeInputs(NamedTuple):
    records: Mapping[str, FileRecord]
    above: Sequence[str]
    """The workspace root's folder names (``root_names``)."""


# Set just before the edge workers are forked (what they read from the memory they share with
# the export); the reader a worker keeps over its units.
_inherited: _EdgeInputs | None = None
_reader: EdgeReader | None = None


def export_analysis(
    settings: Settings,
    records: Mapping[str, FileRecord],
    save_later: list[Callable[[], None]],
    workers: Workers | None = None,
) -> Analysis:
    """The workspace's analysis, with the edges of the last export kept where they still
    hold; the edges are stored again (later, while the pages render) when any changed.
    ``save_later``: saves put off until a core is free; run while the workers work out the
    edges, when they do."""
    store = EdgeStore(Path(settings.root), settings.cache_dir) if settings.use_cache else None
    workspace = workspace_key(records) if store is not None else ""
    known = store.load(workspace) if store is not None else None
    anchors: dict[str, dict[tuple[str, str, int], str]] = {}
    places: dict[str, KeywordPlaces] = {}

    def per_file() -> None:
        # Every page links into most files: their anchors are worked out here, while the
        # workers work out the edges, rather than once in each render worker; and how their
        # keywords lie, which the page fingerprints read, rather than in the plan after.
        for path, record in records.items():
            anchors[path] = keyword_anchors(record)
            places[path] = keyword_places(record)
        # The saves waiting (the record cache): the edge workers leave a core idle towards
        # the end of this phase, the render workers none (~0.1 s of a torch export).
        run_pending(save_later)

    above = root_names(str(settings.root))
    encoded: dict[str, msgspec.Raw] = {}
    fresh = forked_edges(
        records, stale_paths(records, known), workers, per_file, above, encoded=encoded
    )
    analysis = Analysis(records, known, fresh, anchors, places, above)
    if store is not None and analysis.edges_now:

        def save() -> None:
            # Edges the analysis took from the workers are written as the workers encoded them.
            taken = fresh or {}
            written = {
                path: encoded[path] if taken.get(path) is edges else edges
                for path, edges in analysis.edges.items()
            }
            store.save(workspace, written)

        save_later.append(save)
    return analysis


def forked_edges(
    records: Mapping[str, FileRecord],
    paths: list[str],
    workers: Workers | None,
    meanwhile: Callable[[], None] | None = None,
    above: Sequence[str] = (),
    encoded: dict[str, msgspec.Raw] | None = None,
) -> dict[str, FileEdges] | None:
    """The edges of ``paths`` worked out by workers forked from this process (they read the
    records from the memory they share with it), or None where that does not pay or forking
    is unsafe (the language server): ``Analysis`` then works them out itself. ``meanwhile``
    runs here while the workers work (only when they do); ``encoded`` gets each file's edges
    as the workers encoded them (for the edge store to write as they are)."""
    global _inherited
    if workers is None or not workers.parallel or len(paths) < _FORK_AT:
        return None
    _inherited = _EdgeInputs(records, above)
    try:
        executor = workers.fork()
    finally:
        _inherited = None
    if executor is None:
        return None
    units = _neighbourhoods(paths, records, workers.jobs * _UNITS_PER_WORKER)
    futures = [executor.submit(edges_unit, unit) for unit in units]
    fresh: dict[str, FileEdges] = {}
    try:
        if meanwhile is not None:
            meanwhile()
        for future in as_completed(futures):
            for path, raw in _unit_decoder.decode(future.result()).items():
                fresh[path] = _edges_decoder.decode(raw)
                if encoded is not None:
                    encoded[path] = raw
    finally:
        for future in futures:
            future.cancel()
    return fresh


def _neighbourhoods(
    paths: list[str], records: Mapping[str, FileRecord], count: int
) -> list[list[str]]:
    """``paths`` cut into ``count`` runs of neighbouring files (in path order) of about equal
    source size. Files of one folder import the same modules: a worker resolving them reuses
    its reader's answers more than it would for files dealt round the whole tree (~10% less
    work on torch's 2,285 files)."""
    ordered = sorted(paths)
    share = sum(records[p].size for p in ordered) / count
    units: list[list[str]] = []
    unit: list[str] = []
    size = 0
    for path in ordered:
        unit.append(path)
        size += records[path].size
        if size >= share and len(units) < count - 1:
            units.append(unit)
            unit, size = [], 0
    if unit:
        units.append(unit)
    return units


def edges_unit(paths: list[str]) -> bytes:
    """Worker side: the edges of ``paths`` (msgpack), over the records inherited at the fork."""
    global _reader
    if _reader is None:
        assert _inherited is not None, "edge workers are forked with the records set"
        records = _inherited.records
        modules = ModuleTable.of((r.module, path) for path, r in records.items())
        _reader = EdgeReader(records, modules, _inherited.above)
    with collector_paused():
        return _encoder.encode({path: _reader.edges(path) for path in paths})
