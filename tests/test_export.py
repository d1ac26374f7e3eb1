"""``export_workspace`` and ``export_file`` on real trees: links, determinism, incremental runs,
the manifest, the user's own files, the lock and generated pages lying in the tree."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from export_support import copy_fixture, export, page_tree, stamps
from kwdocs.cache import RecordCache
from kwdocs.config import load_settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export import (
    ExportError,
    export_file,
    export_lock,
    export_workspace,
    format_summary,
)
from kwdocs.export.output import LOCK_NAME, load_manifest
from kwdocs.extract import GENERATED_MARKER, digest_of
from kwdocs.index import build_tables
from kwdocs.pages import LANDING_PAGE
from kwdocs.pipeline import index_root
from linkcheck import check_tree


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path / "ws")


def out_of(root: Path) -> Path:
    return root / "docs" / "kwdocs"


def test_every_link_and_anchor_resolves(workspace: Path) -> None:
    summary = export(workspace)
    out = out_of(workspace)
    assert summary.files == 8
    assert summary.written == len(page_tree(out)) == 8 * 2 + 3 * 2 + 1  # and the landing README.md
    assert check_tree(out) == []
    first_lines = {data.split(b"\n", 1)[0] for data in page_tree(out).values()}
    assert all(line.startswith(GENERATED_MARKER.encode()) for line in first_lines)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert sorted(manifest["pages"]) == sorted(page_tree(out))


def test_link_checker_catches_broken_links(workspace: Path) -> None:
    export(workspace)
    out = out_of(workspace)
    page = out / "pkg" / "util.py_kw.md"
    page.write_text(
        page.read_text() + "\n[gone](./nope.md) [bad anchor](./util.py_docs.md#no-such-heading)\n"
    )
    problems = check_tree(out)
    assert len(problems) == 2
    assert "no such file" in problems[0] and "no heading" in problems[1]


def test_two_exports_are_byte_identical(workspace: Path, tmp_path: Path) -> None:
    export(workspace, tmp_path / "out_a")
    export(workspace, tmp_path / "out_b")
    first, second = page_tree(tmp_path / "out_a"), page_tree(tmp_path / "out_b")
    assert first and first == second


def test_second_run_writes_nothing(workspace: Path) -> None:
    first = export(workspace)
    out = out_of(workspace)
    before = stamps(out)
    second = export(workspace)
    assert (second.written, second.removed) == (0, 0)
    assert second.unchanged == first.written
    assert stamps(out) == before
    # A new mtime without a content change is no change either.
    for path in workspace.rglob("*.py"):
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    third = export(workspace)
    assert third.written == 0
    assert stamps(out) == before


def test_changed_file_rewrites_its_pages_and_pages_that_mention_it(workspace: Path) -> None:
    export(workspace)
    out = out_of(workspace)
    before = stamps(out)
    test_file = workspace / "tests" / "test_shapes.py"
    test_file.write_text(test_file.read_text() + "\nfrom pkg.util import helper\n")
    summary = export(workspace)
    after = stamps(out)
    rewritten = {page for page in after if after[page] != before[page]}
    assert {
        "tests/test_shapes.py_docs.md",
        "tests/test_shapes.py_kw.md",
        # util's docs page lists its importers and the tests that import it.
        "pkg/util.py_docs.md",
        # keyword counts in the folder pages changed.
        "tests/index.md",
    } <= rewritten
    assert "pkg/hostile.py_docs.md" not in rewritten
    assert "pkg/util.py_kw.md" not in rewritten
    assert summary.written == len(rewritten)
    util_page = (out / "pkg" / "util.py_docs.md").read_text()
    imported_by = util_page.split("### Imported by", 1)[1].split("##", 1)[0]
    assert "test_shapes.py" in imported_by
    assert check_tree(out) == []


def test_deleted_source_loses_its_pages(workspace: Path) -> None:
    export(workspace)
    out = out_of(workspace)
    shutil.rmtree(workspace / "tests")
    summary = export(workspace)
    assert summary.removed == 4  # two file pages and the folder's two pages
    assert not (out / "tests").exists()
    assert "test_shapes" not in (out / "pkg" / "shapes.py_docs.md").read_text()
    assert check_tree(out) == []


def test_user_files_in_out_are_never_touched(workspace: Path) -> None:
    out = out_of(workspace)
    (out / "pkg").mkdir(parents=True)
    mine = out / "pkg" / "shapes.py_docs.md"
    mine.write_text("my own notes\n")
    notes = out / "notes.md"
    notes.write_text("# Notes\n")
    summary = export(workspace)
    assert summary.conflicts == [
        {"path": "pkg/shapes.py_docs.md", "reason": "a file kwdocs did not write"}
    ]
    assert "kwdocs did not write" in format_summary(summary)
    assert mine.read_text() == "my own notes\n"
    assert notes.read_text() == "# Notes\n"
    # A page kwdocs wrote that the user replaced is kept when its source goes away.
    replaced = out / "pkg" / "util.py_kw.md"
    replaced.write_text("mine now\n")
    (workspace / "pkg" / "util.py").unlink()
    again = export(workspace)
    assert replaced.read_text() == "mine now\n"
    assert mine.read_text() == "my own notes\n"
    assert notes.exists()
    assert not (out / "pkg" / "util.py_docs.md").exists()
    assert again.removed == 1


def test_page_deleted_by_hand_is_written_again(workspace: Path) -> None:
    export(workspace)
    page = out_of(workspace) / "pkg" / "shapes.py_docs.md"
    text = page.read_text()
    page.unlink()
    summary = export(workspace)
    assert summary.written == 1
    assert page.read_text() == text


def test_a_manifest_of_an_earlier_version_still_names_its_pages(workspace: Path) -> None:
    # Earlier manifests also held each page's content hash (``sha``), which nothing read:
    # such a manifest must still say which pages are kwdocs's, and which are unchanged.
    export(workspace)
    out = out_of(workspace)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    for entry in manifest["pages"].values():
        entry["sha"] = "0" * 32
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    (workspace / "pkg" / "util.py").unlink()
    summary = export(workspace)
    assert summary.removed == 2 and summary.conflicts == []
    # Unchanged by their fingerprints (rendered again, a page is counted as written or as
    # unchanged by its content: the folder pages and the landing page show the removal).
    assert summary.unchanged >= 10 and summary.written <= 10
    assert summary.written + summary.unchanged == len(manifest["pages"]) - 2
    pages = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    assert "pkg/util.py_docs.md" not in pages and not any("sha" in e for e in pages.values())


def test_pages_without_manifest_are_adopted_when_identical(workspace: Path) -> None:
    export(workspace)
    out = out_of(workspace)
    before = stamps(out)
    (out / MANIFEST_NAME).unlink()
    summary = export(workspace)
    assert summary.written == 0 and summary.conflicts == []
    assert stamps(out) == before
    assert json.loads((out / MANIFEST_NAME).read_text())["pages"]


def test_generated_pages_elsewhere_in_the_tree_are_not_documented(workspace: Path) -> None:
    export(workspace)
    export(workspace)
    out = out_of(workspace)
    copy = workspace / "copied"
    copy.mkdir()
    shutil.copy(out / "pkg" / "shapes.py_docs.md", copy / "shapes.py_docs.md")
    summary = export(workspace)
    assert not (out / "copied").exists()
    assert not list(out.rglob("*_docs.md_docs.md")) and not list(out.rglob("*_kw.md_kw.md"))
    reasons = {s.path: s.reason for s in summary.skipped}
    assert reasons["copied/shapes.py_docs.md"] == "page generated by kwdocs"


def test_second_export_at_once_fails_cleanly(workspace: Path) -> None:
    out = out_of(workspace)
    out.mkdir(parents=True)
    with export_lock(str(out)), pytest.raises(ExportError, match="another kwdocs export"):
        export(workspace)
    export(workspace)  # the lock is free again


def _hold_fork_and_die(out: str, forked: Connection) -> None:
    """An export killed midway: it holds the lock, has forked a worker, and dies without
    letting go (the worker lives on a moment, as after ``kill -9``)."""
    with export_lock(out):
        worker = multiprocessing.get_context("fork").Process(target=_worker, args=(forked,))
        worker.start()
        os._exit(0)


def _worker(forked: Connection) -> None:
    forked.send(os.getpid())  # running: whatever happens at a fork has happened
    time.sleep(60)


def test_a_killed_exports_worker_does_not_hold_the_lock(tmp_path: Path) -> None:
    fork = multiprocessing.get_context("fork")
    reader, forked = fork.Pipe(duplex=False)
    holder = fork.Process(target=_hold_fork_and_die, args=(str(tmp_path), forked))
    holder.start()
    assert reader.poll(60), "the holder's worker did not start"
    worker = reader.recv()
    holder.join()
    try:
        assert (tmp_path / LOCK_NAME).exists()  # left behind: the holder never let go
        with export_lock(str(tmp_path)):
            pass
    finally:
        os.kill(worker, signal.SIGKILL)


@pytest.mark.parametrize("case", ["file", "root", "parent"])
def test_bad_output_folders(workspace: Path, case: str) -> None:
    out = {"file": workspace / "README.md", "root": workspace, "parent": workspace.parent}[case]
    with pytest.raises(ExportError) as caught:
        export(workspace, out)
    assert "\n" not in str(caught.value)


def test_export_with_records_from_an_index(workspace: Path) -> None:
    settings = load_settings(workspace)
    index, report = index_root(settings)
    calls: list[tuple[str, int, int]] = []
    summary = export_workspace(
        settings,
        records=index.records,
        skipped=report.skipped,
        progress=lambda phase, done, total: calls.append((phase, done, total)),
    )
    assert summary.written == 23  # 22 pages and the landing README.md
    assert calls and calls[-1][0] == "pages" and calls[-1][1] == calls[-1][2]
    data = summary.to_json()
    assert data["index"] == (out_of(workspace) / "index.md").resolve().as_uri()
    assert set(data) == {
        "root", "out", "index", "files", "written", "unchanged", "removed", "skipped",
        "conflicts", "seconds", "site", "phases",
    }  # fmt: skip
    assert set(data["phases"]) == {"index", "analysis", "plan", "render", "finish"}


def test_export_file_writes_two_pages_and_keeps_the_manifest(workspace: Path) -> None:
    settings = load_settings(workspace)
    out = out_of(workspace)
    # An export leaves records with their calls in the cache; the index the server builds
    # from it has them too (what a fresh server index lacks: see the next test).
    export_workspace(settings)
    shutil.rmtree(out)
    index, _report = index_root(settings)
    assert all(r.calls_known for r in index.records.values())
    result = export_file(settings, "pkg/shapes.py", index.records)
    assert result.pages == [
        (out / "pkg" / "shapes.py_docs.md").resolve().as_uri(),
        (out / "pkg" / "shapes.py_kw.md").resolve().as_uri(),
    ]
    assert result.written == 2 + 4  # and the folder pages on the way from the root
    manifest = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    assert {"pkg/shapes.py_docs.md", "pkg/shapes.py_kw.md", "index.md"} <= set(manifest)
    full = export_workspace(settings)
    assert full.unchanged >= 2
    # One fingerprint for both: the export found the pages current without rendering them.
    after = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    for page in ("pkg/shapes.py_docs.md", "pkg/shapes.py_kw.md", "index.md", "pkg/index.md"):
        assert after[page] == manifest[page], page
    again = export_file(settings, "pkg/shapes.py", index.records)
    assert again.written == 0
    with pytest.raises(ExportError):
        export_file(settings, "pkg/nope.py", index.records)


def test_pages_from_records_without_calls(workspace: Path) -> None:
    settings = load_settings(workspace)
    out = out_of(workspace)
    index, _report = index_root(settings)  # the language server's indexing reads no calls
    assert not any(r.calls_known for r in index.records.values())
    export_file(settings, "pkg/shapes.py", index.records)
    docs = (out / "pkg" / "shapes.py_docs.md").read_text()
    assert "the callers listed below may be incomplete" in docs
    before = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    full = export_workspace(settings)
    after = json.loads((out / MANIFEST_NAME).read_text())["pages"]
    # The export reads every file's calls: the docs page is written again, complete; the
    # keyword page shows no calls and stays as it was.
    assert after["pkg/shapes.py_docs.md"]["fp"] != before["pkg/shapes.py_docs.md"]["fp"]
    assert after["pkg/shapes.py_kw.md"] == before["pkg/shapes.py_kw.md"]
    assert "may be incomplete" not in (out / "pkg" / "shapes.py_docs.md").read_text()
    assert full.written >= 1
    # Records handed to an export (the server's "export all") are completed with their calls.
    shutil.rmtree(out)
    export_workspace(settings, records=index.records)
    assert "may be incomplete" not in (out / "pkg" / "shapes.py_docs.md").read_text()
    # A file's pages written after it, from the same records without calls (the server's
    # export-file command), see the calls that export read: nothing is written again.
    again = export_file(settings, "pkg/shapes.py", index.records)
    assert (again.written, again.unchanged) == (0, again.unchanged) and again.unchanged >= 2
    assert "may be incomplete" not in (out / "pkg" / "shapes.py_docs.md").read_text()


def test_symlink_in_out_leading_outside_is_not_followed(workspace: Path, tmp_path: Path) -> None:
    out = out_of(workspace)
    out.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "pkg").symlink_to(elsewhere, target_is_directory=True)
    summary = export(workspace)
    assert list(elsewhere.iterdir()) == []
    conflicts = {c["path"] for c in summary.conflicts}
    assert "pkg/shapes.py_docs.md" in conflicts and "pkg/index.md" in conflicts
    assert all("outside the output folder" in c["reason"] for c in summary.conflicts)


def test_verbose_summary_lists_skipped_files(workspace: Path) -> None:
    (workspace / "blob.bin").write_bytes(b"\x00\x01binary" * 100)
    summary = export(workspace)
    short = format_summary(summary)
    assert "Skipped 1 file: 1 binary file." in short and "blob.bin" not in short
    assert "  blob.bin: binary file" in format_summary(summary, verbose=True)


def test_progress_bar_option_runs_quietly_off_a_terminal(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kwdocs.cli import _progress_bar

    with _progress_bar(True) as report:
        summary = export_workspace(load_settings(workspace), progress=report)
    assert summary.written == 23
    captured = capsys.readouterr()
    assert captured.out == ""


def _large_workspace(root: Path, files: int = 60) -> Path:
    """Enough files for worker processes, across folders, with imports and inheritance."""
    for i in range(files):
        folder = root / "pkg" / f"sub{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text(f'"""Package {i % 3}."""\n')
        base = f"from pkg.sub{(i + 1) % 3}.mod{(i + 1) % files} import Thing{(i + 1) % files}\n"
        (folder / f"mod{i}.py").write_text(
            f'"""Module {i}."""\n{base}\n\nclass Thing{i}(Thing{(i + 1) % files}):\n'
            f"    def run(self, x: int) -> int:\n        return x if x > {i} else -x\n"
        )
    return root


def test_forked_pickled_and_in_process_rendering_agree(tmp_path: Path) -> None:
    # Forked workers read what they render from inherited memory; with another thread running
    # they cannot be forked and jobs carry it pickled; one job means no workers at all.
    import threading

    root = _large_workspace(tmp_path / "ws")
    forked = export(root, tmp_path / "forked", jobs=2, cacheDir=str(tmp_path / "c1"))
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        pickled = export(root, tmp_path / "pickled", jobs=2, cacheDir=str(tmp_path / "c2"))
    finally:
        stop.set()
        thread.join()
    alone = export(root, tmp_path / "alone", jobs=1, cacheDir=str(tmp_path / "c3"))
    assert not forked.skipped and not forked.conflicts
    assert forked.written == pickled.written == alone.written > 120
    pages = page_tree(tmp_path / "forked")
    assert pages == page_tree(tmp_path / "pickled") == page_tree(tmp_path / "alone")
    assert check_tree(tmp_path / "forked") == []
    # A cold export leaves the fingerprints to the renderers: each way of rendering must give
    # the plan's own, or the next export would render every page again.
    fingerprints = {
        name: {page: entry.fp for page, entry in load_manifest(str(tmp_path / name)).pages.items()}
        for name in ("forked", "pickled", "alone")
    }
    assert fingerprints["forked"] == fingerprints["pickled"] == fingerprints["alone"]
    assert all(fp for page, fp in fingerprints["forked"].items() if page != LANDING_PAGE)
    again = export(root, tmp_path / "forked", jobs=2, cacheDir=str(tmp_path / "c1"))
    assert (again.written, again.unchanged) == (0, forked.written)
    planned = load_manifest(str(tmp_path / "forked")).pages
    assert {page: entry.fp for page, entry in planned.items()} == fingerprints["forked"]


def test_rendering_forks_after_the_extraction_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The extraction's pool leaves threads behind: they must end before the render workers
    # are forked, or every job would travel encoded to child interpreters.
    from kwdocs.workers import Workers

    forks: list[object] = []
    original = Workers.fork

    def fork(self: Workers):
        executor = original(self)
        forks.append(executor)
        return executor

    monkeypatch.setattr(Workers, "fork", fork)
    root = _large_workspace(tmp_path / "ws")
    for module in root.rglob("mod*.py"):
        # Enough source for several units of extraction: the extraction runs in a pool.
        module.write_text(module.read_text() + "# padding\n" * 1000)
    export(root, tmp_path / "out", jobs=2, cacheDir=str(tmp_path / "cache"))
    assert forks and all(executor is not None for executor in forks)


def test_pages_in_a_new_folder_never_replace_a_users_file(tmp_path: Path) -> None:
    # Folders the export creates skip the per-page checks; folders that were there keep them.
    root = _large_workspace(tmp_path / "ws", files=6)
    out = tmp_path / "out"
    (out / "pkg" / "sub0").mkdir(parents=True)
    mine = out / "pkg" / "sub0" / "mod0.py_docs.md"
    mine.write_text("my own notes\n")
    summary = export(root, out)
    assert mine.read_text() == "my own notes\n"
    assert [c["path"] for c in summary.conflicts] == ["pkg/sub0/mod0.py_docs.md"]
    assert (out / "pkg" / "sub1" / "mod1.py_docs.md").is_file()


def test_record_cache_after_re_exports_holds_the_tables_of_its_records(workspace: Path) -> None:
    settings = load_settings(workspace)
    cache = RecordCache(settings.root, settings.cache_dir)
    export(workspace)

    def check() -> dict[str, list[int]]:
        tables = cache.load_tables()
        assert tables is not None
        fresh = build_tables(tables.records)
        assert tables.names == fresh.names and tables.symbols == fresh.symbols
        return tables.names

    names = check()
    util = workspace / "pkg" / "util.py"
    # Keywords unchanged (a comment): the stored name tables are written back as they were.
    util.write_text(util.read_text() + "\n# a comment\n")
    assert export(workspace).written >= 2
    assert check() == names
    stored = cache.load_stored()
    assert stored is not None
    assert {r.path: r.digest for r in stored.records}["pkg/util.py"] == digest_of(util.read_bytes())
    assert "# a comment" in (out_of(workspace) / "pkg" / "util.py_docs.md").read_text()
    # A renamed function: the tables are built again and name the new function only.
    util.write_text(util.read_text().replace("def evens(", "def even_numbers("))
    export(workspace)
    names = check()
    assert "even_numbers" in names and "evens" not in names
    # A new file moves every later record's id: the tables are built again too.
    (workspace / "pkg" / "aaa.py").write_text("def first():\n    pass\n")
    export(workspace)
    assert "first" in check()
