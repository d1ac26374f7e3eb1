"""Files' edges (imports, bases, annotations, placed calls) kept from one export to the next: a
file's are worked out again when it or a record they read changed, and the pages of a
re-export are those a cold export writes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import kwdocs.export as export_module
import msgspec
from export_support import export, page_tree, stamps
from kwdocs.analyse import Analysis
from kwdocs.config import load_settings
from kwdocs.edges import file_edges
from kwdocs.export import export_file, export_workspace
from kwdocs.export.edge_store import EdgeStore, workspace_key
from kwdocs.model import FileRecord
from kwdocs.modules import ModuleTable
from kwdocs.pipeline import RecordCollector, run_pipeline
from test_pages_calls import WORKSPACE, build


def cold_export(root: Path, out: Path) -> None:
    """An export that neither reads nor writes any cache."""
    settings = load_settings(root, {"outputDir": str(out)})
    export_workspace(dataclasses.replace(settings, use_cache=False))


def records_of(root: Path) -> dict[str, FileRecord]:
    collector = RecordCollector(None)
    run_pipeline(load_settings(root), collector, facts=True)
    return dict(collector.records)


def modules_of(records: dict[str, FileRecord]) -> ModuleTable:
    return ModuleTable.of((record.module, path) for path, record in records.items())


def test_edges_are_kept_until_a_record_they_read_changes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    records = records_of(root)
    first, worked_out = file_edges(records, modules_of(records))
    assert worked_out == len(first) == 5
    # use.py's calls go through the package's re-exports into base.py and shapes.py.
    assert {"pkg/__init__.py", "pkg/base.py", "pkg/shapes.py"} <= {
        path for path, _ in first["pkg/use.py"].reads
    }
    assert not any(path == "pkg/other.py" for path, _ in first["pkg/use.py"].reads)

    (root / "pkg" / "base.py").write_text(
        WORKSPACE["pkg/base.py"].replace("def helper(", "def renamed("), encoding="utf-8"
    )
    changed = records_of(root)
    again, worked_out = file_edges(changed, modules_of(changed), first)
    fresh, _ = file_edges(changed, modules_of(changed))
    assert again == fresh
    assert again["pkg/other.py"] is first["pkg/other.py"]  # read nothing that changed
    assert again["pkg/use.py"] is not first["pkg/use.py"]
    # use.py's pkg.helper() no longer lands anywhere.
    main = next(f for f in again["pkg/use.py"].calls if f.qualname == "main")
    assert "helper" not in {end.qualname for end in main.callees}
    assert worked_out == 3  # base.py itself, and shapes.py and use.py, which read it
    assert again["pkg/__init__.py"] is first["pkg/__init__.py"]  # calls nothing


def test_analysis_from_kept_edges_is_the_analysis_from_none(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    records = records_of(root)
    cold = Analysis(records)
    warm = Analysis(records, cold.edges)
    assert warm.edges_now == 0
    encode = msgspec.msgpack.encode
    for path in records:
        assert encode(warm.links(path)) == encode(cold.links(path))
        assert warm.links_key(path) == cold.links_key(path)


_TWO_CALLERS = (
    "import pkg\n\n\ndef first():\n    return pkg.helper(1)\n",
    "def second():\n    return pkg.helper(2)\n",
)


def test_re_exports_write_the_pages_a_cold_export_writes(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    out = tmp_path / "out"
    export(root, out)
    settings = load_settings(root, {"outputDir": str(out)})
    store = EdgeStore(root, settings.cache_dir)
    assert store.path.is_file()
    edits = [
        # base.py's helper renamed: use.py and shapes.py call it through re-exports.
        ("pkg/base.py", WORKSPACE["pkg/base.py"].replace("helper", "renamed")),
        # ... and back, with a line more above it.
        ("pkg/base.py", "# moved\n" + WORKSPACE["pkg/base.py"]),
        # other.py starts calling into base.py.
        ("pkg/other.py", "from pkg.base import helper\n\n\ndef alone():\n    return helper(2)\n"),
        # Two callers of helper in use.py, then the same two in the other order (base.py's
        # page lists its callers by line), then moved down a line (it shows no line of theirs).
        ("pkg/use.py", f"{_TWO_CALLERS[0]}\n\n{_TWO_CALLERS[1]}"),
        ("pkg/use.py", f"{_TWO_CALLERS[1]}\n\n{_TWO_CALLERS[0]}"),
        ("pkg/use.py", f"# down\n{_TWO_CALLERS[1]}\n\n{_TWO_CALLERS[0]}"),
    ]
    for i, (path, text) in enumerate(edits):
        (root / path).write_text(text, encoding="utf-8")
        export(root, out)
        cold = tmp_path / f"cold{i}"
        cold_export(root, cold)
        assert page_tree(out) == page_tree(cold), path
    base = (out / "pkg" / "base.py_docs.md").read_text()
    second, first = "use.py_docs.md#function-second", "use.py_docs.md#function-first"
    assert base.index(second) < base.index(first)  # callers in the order of their lines
    records = records_of(root)
    assert store.load(workspace_key(records)) is not None
    # A new file changes what module look-ups answer: nothing stored is used.
    assert store.load(workspace_key({**records, "pkg/new.py": records["pkg/other.py"]})) is None


def test_a_comment_added_to_a_file_rewrites_no_page_of_its_callers(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    out = tmp_path / "out"
    export(root, out)
    before = stamps(out)
    with open(root / "pkg" / "base.py", "a", encoding="utf-8") as f:
        f.write("# a comment at the end: no anchor or line of base.py moves\n")
    summary = export(root, out)
    after = stamps(out)
    assert after["pkg/base.py_docs.md"] != before["pkg/base.py_docs.md"]
    assert after["pkg/use.py_docs.md"] == before["pkg/use.py_docs.md"]
    assert after["pkg/shapes.py_docs.md"] == before["pkg/shapes.py_docs.md"]
    assert summary.written <= 4  # base.py's two pages and its folder's two at most
    cold = tmp_path / "cold"
    cold_export(root, cold)
    assert page_tree(out) == page_tree(cold)


def test_one_file_pages_after_an_edit_keep_the_other_files_edges(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    build(root, WORKSPACE)
    out = tmp_path / "out"
    settings = load_settings(root, {"outputDir": str(out)})
    export_file(settings, "pkg/use.py", records_of(root))
    (root / "pkg" / "base.py").write_text(
        WORKSPACE["pkg/base.py"].replace("helper", "renamed"), encoding="utf-8"
    )
    for path in ("pkg/use.py", "pkg/base.py", "pkg/shapes.py"):
        export_file(settings, path, records_of(root))
    analysis = export_module._last_analysis[2]
    assert analysis.edges_now == 3  # base.py, and shapes.py and use.py, which read it
    cold = tmp_path / "cold"
    cold_export(root, cold)
    pages, expected = page_tree(out), page_tree(cold)
    for path in ("pkg/use.py", "pkg/base.py", "pkg/shapes.py"):
        for page in (f"{path}_docs.md", f"{path}_kw.md"):
            assert pages[page] == expected[page], page


def test_edges_worked_out_by_forked_workers_are_those_worked_out_here(
    torch_root: Path, tmp_path: Path
) -> None:
    # A cold export works its files' edges out across forked workers, each over its own share
    # of the files: every file's edges, the records they read included, must be the same.
    import threading

    from kwdocs.export.analysis import forked_edges
    from kwdocs.workers import Workers

    records = records_of(torch_root / "torch" / "distributed")
    assert len(records) > 300
    here, worked_out = file_edges(records, modules_of(records))
    assert worked_out == len(records)
    assert sum(len(edges.calls) for edges in here.values()) > 3000
    encoded: dict[str, msgspec.Raw] = {}
    with Workers(2) as workers:
        forked = forked_edges(records, sorted(records), workers, encoded=encoded)
    assert forked is not None
    assert forked == here
    # The store writes the workers' encodings as they are: the file is the one the edges
    # themselves give.
    workspace = workspace_key(records)
    from_edges = EdgeStore(tmp_path / "ws", tmp_path / "edges")
    from_edges.save(workspace, forked)
    as_encoded = EdgeStore(tmp_path / "ws", tmp_path / "encoded")
    as_encoded.save(workspace, {path: encoded[path] for path in forked})
    assert as_encoded.path.read_bytes() == from_edges.path.read_bytes()
    assert as_encoded.load(workspace) == here
    analysis = Analysis(records, None, forked)
    assert analysis.edges == here and analysis.edges_now == len(records)
    # Where forking is unsafe (another thread runs: the language server) nothing is forked.
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with Workers(2) as workers:
            assert forked_edges(records, sorted(records), workers) is None
    finally:
        stop.set()
        thread.join()
