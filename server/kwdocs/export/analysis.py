"""The workspace analysis of an export: the files' edges the last export worked out are kept
where they still hold (``edge_store``), so a re-export works out only those of the files that
changed or read a record that changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from kwdocs.analyse import Analysis
from kwdocs.config import Settings
from kwdocs.export.edge_store import EdgeStore, workspace_key
from kwdocs.model import FileRecord


def export_analysis(
    settings: Settings, records: Mapping[str, FileRecord], save_later: list[Callable[[], None]]
) -> Analysis:
    """The workspace's analysis, with the edges of the last export kept where they still
    hold; the edges are stored again (later, while the pages render) when any changed."""
    if not settings.use_cache:
        return Analysis(records)
    store = EdgeStore(Path(settings.root), settings.cache_dir)
    workspace = workspace_key(records)
    analysis = Analysis(records, store.load(workspace))
    if analysis.edges_now:
        save_later.append(lambda: store.save(workspace, analysis.edges))
    return analysis
