"""Export safety: bad output folders are refused with one line and status 2, a second export
waits for no one (the lock refuses it), ``kill -9`` midway leaves only whole pages (old or new)
and the next run repairs, and files kwdocs did not write are never deleted or overwritten."""

from __future__ import annotations

import difflib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kwdocs.config import load_settings
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export import LOCK_NAME, TEMP_PREFIX, export_lock, export_workspace

BOOKKEEPING = {MANIFEST_NAME, LOCK_NAME}


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kwdocs", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def small_workspace(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text('"""The package."""\n')
    (root / "pkg" / "a.py").write_text("class A:\n    def m(self):\n        pass\n")
    (root / "README.md").write_text("# Readme\n\nSee `pkg.a.A`.\n")
    return root


def pages(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in BOOKKEEPING
    }


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_out_inside_the_sources_is_never_documented(tmp_path: Path) -> None:
    root = small_workspace(tmp_path / "ws")
    for _ in range(3):  # later runs see the pages of the earlier ones inside ROOT
        result = cli("export", str(root), "--out", str(root / "pkg" / "pages"), "--json")
        assert result.returncode == 0, result.stderr
    written = pages(root / "pkg" / "pages")
    assert "pkg/a.py_docs.md" in written
    assert not [p for p in written if p.count("_docs.md") + p.count("_kw.md") > 1]
    assert not [p for p in written if p.startswith("pkg/pages")]


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (".", "the output folder is the workspace root itself"),
        ("..", "contains the workspace root"),
        ("README.md", "the output folder is a file, not a folder"),
    ],
)
def test_bad_output_folders_are_refused(tmp_path: Path, out: str, message: str) -> None:
    root = small_workspace(tmp_path / "ws")
    before = snapshot(tmp_path)
    result = cli("export", str(root), "--out", str(root / out))
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("kwdocs: error: ") and message in line, line
    assert snapshot(tmp_path) == before


def test_missing_root_is_refused(tmp_path: Path) -> None:
    result = cli("export", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"kwdocs: error: ROOT does not exist: {tmp_path / 'nowhere'}"


def test_a_second_export_at_the_same_time_is_refused_by_the_lock(tmp_path: Path) -> None:
    root = small_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    out.mkdir()
    with export_lock(os.path.realpath(out)):
        result = cli("export", str(root), "--out", str(out))
        assert result.returncode == 2
        assert "another kwdocs export is writing to" in result.stderr
        assert pages(out) == {}
    result = cli("export", str(root), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "pkg/a.py_docs.md" in pages(out)


def test_two_exports_started_together_never_mix(tmp_path: Path) -> None:
    root = big_workspace(tmp_path / "ws", 300, "one")
    out = tmp_path / "out"
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(out), "-q"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=600), run.stderr.read()) for run in runs]
    for run in runs:
        run.stdout.close()
        run.stderr.close()
    statuses = sorted(status for status, _ in outcomes)
    # Either the second started after the first finished (both succeed), or the lock refused it.
    assert statuses in ([0, 0], [0, 2]), outcomes
    for status, stderr in outcomes:
        if status == 2:
            assert "another kwdocs export is writing to" in stderr
    reference = tmp_path / "reference"
    export_workspace(load_settings(root, {"outputDir": str(reference)}))
    assert pages(out) == pages(reference)


def big_workspace(root: Path, files: int, version: str) -> Path:
    """``files`` modules in 10 packages; ``version`` changes every file's text."""
    for i in range(files):
        path = root / f"pkg{i % 10}" / f"mod_{i}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "".join(
            f"def {version}_{i}_{j}(x):\n    '''Function {j} of {version}.'''\n"
            f"    return x + {j}\n\n"
            for j in range(30)
        )
        path.write_text(f'"""Module {i}, {version}."""\n\nimport os\n\n{body}')
    return root


def export_into(root: Path, out: Path) -> None:
    export_workspace(load_settings(root, {"outputDir": str(out)}))


@pytest.mark.slow
def test_kill_9_midway_leaves_whole_pages_and_the_next_run_repairs(tmp_path: Path) -> None:
    count = 500
    # Reference pages of both versions, rendered from twin roots at the same depth (pages
    # hold relative links only, so twins render byte-identical pages).
    references = {}
    for version in ("old", "new"):
        twin = big_workspace(tmp_path / f"twin-{version}" / "ws", count, version)
        export_into(twin, twin / "docs")
        references[version] = pages(twin / "docs")
    root = big_workspace(tmp_path / "real" / "ws", count, "old")
    out = root / "docs"
    export_into(root, out)
    assert pages(out) == references["old"]
    shutil.rmtree(root / "pkg0")
    shutil.rmtree(root / "pkg1")
    big_workspace(root, count, "new")
    started = time.time()
    process = subprocess.Popen(
        [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(out), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Kill once a good number of pages have been rewritten, long before the end.
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        rewritten = sum(1 for p in out.rglob("*_docs.md") if p.stat().st_mtime > started)
        if rewritten >= 40:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the export ended before it could be killed: grow the tree"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    now = pages(out)
    mixed = {"old": 0, "new": 0}
    for page, data in now.items():
        if page.startswith(TEMP_PREFIX) or os.path.basename(page).startswith(TEMP_PREFIX):
            continue  # a temporary file: never read as a page, removed by the next run
        matches = [v for v in ("old", "new") if references[v].get(page) == data]
        assert matches, f"{page} is neither the old nor the new page:\n" + "".join(
            difflib.unified_diff(
                references["new"].get(page, b"").decode().splitlines(True),
                data.decode().splitlines(True),
                "new",
                "on disk",
                n=1,
            )
        )
        mixed[matches[-1]] += 1
    assert mixed["old"] and mixed["new"], mixed
    # The next run repairs everything: the new pages only, the old ones of deleted sources gone.
    result = cli("export", str(root), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert pages(out) == references["new"]
    assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]


def test_the_users_own_files_in_out_are_never_touched(tmp_path: Path) -> None:
    root = small_workspace(tmp_path / "ws")
    (root / "pkg" / "b.py").write_text("def b():\n    pass\n")
    out = tmp_path / "out"
    (out / "pkg").mkdir(parents=True)
    mine = {
        "notes.txt": b"my notes\n",
        "mine.md": b"# Mine\n",
        # A file of the user's exactly where kwdocs would put a page: kept, and reported.
        "pkg/a.py_docs.md": b"# I wrote this page myself\n",
        "pkg/old.py_docs.md": b"# Looks like a page of a deleted source, but it is mine\n",
    }
    for rel, data in mine.items():
        (out / rel).write_bytes(data)
    summary = export_workspace(load_settings(root, {"outputDir": str(out)}))
    assert [c["path"] for c in summary.conflicts] == ["pkg/a.py_docs.md"]
    for rel, data in mine.items():
        assert (out / rel).read_bytes() == data
    assert (out / "pkg" / "b.py_docs.md").is_file()
    # Sources deleted: only pages kwdocs wrote go; the user's files stay.
    (root / "pkg" / "b.py").unlink()
    (root / "pkg" / "a.py").unlink()
    export_workspace(load_settings(root, {"outputDir": str(out)}))
    assert not (out / "pkg" / "b.py_docs.md").exists()
    for rel, data in mine.items():
        assert (out / rel).read_bytes() == data


def test_a_symlink_in_out_leading_outside_is_not_written_through(tmp_path: Path) -> None:
    root = small_workspace(tmp_path / "ws")
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "pkg")
    summary = export_workspace(load_settings(root, {"outputDir": str(out)}))
    assert list(elsewhere.iterdir()) == []
    assert {c["path"] for c in summary.conflicts} >= {"pkg/a.py_docs.md", "pkg/a.py_kw.md"}
