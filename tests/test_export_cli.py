"""``kwdocs export`` end to end in a subprocess: the summary, exit statuses and one-line
reasons, the lock seen from the command line, and ``kill -9`` in the middle of an export."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from export_support import copy_fixture, export, page_tree
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export import TEMP_PREFIX, export_lock
from kwdocs.render.markdown import FOOTER


def kwdocs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kwdocs", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_export_prints_a_summary(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "ws")
    result = kwdocs("export", str(root))
    assert result.returncode == 0, result.stderr
    assert "Documented 8 files" in result.stdout
    assert "23 pages written, 0 unchanged, 0 removed" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    again = kwdocs("export", str(root), "--json")
    data = json.loads(again.stdout)
    assert (data["written"], data["unchanged"]) == (0, 23)
    assert data["index"] == (root / "docs" / "kwdocs" / "index.md").resolve().as_uri()


def test_default_root_is_the_current_folder(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "ws")
    result = kwdocs("export", "--out", "site", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "site" / "pkg" / "shapes.py_docs.md").is_file()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing root", "ROOT does not exist"),
        ("out is a file", "is a file"),
        ("out is root", "workspace root itself"),
    ],
)
def test_bad_root_or_out_exits_2_with_one_line(tmp_path: Path, case: str, message: str) -> None:
    root = copy_fixture(tmp_path / "ws")
    args = {
        "missing root": ["export", str(tmp_path / "nope")],
        "out is a file": ["export", str(root), "--out", str(root / "notes.txt")],
        "out is root": ["export", str(root), "--out", str(root)],
    }[case]
    result = kwdocs(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (root / "docs").exists()


def test_locked_output_folder_exits_2(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "ws")
    out = root / "docs" / "kwdocs"
    out.mkdir(parents=True)
    with export_lock(str(out)):
        result = kwdocs("export", str(root))
    assert result.returncode == 2
    assert "another kwdocs export" in result.stderr
    assert kwdocs("export", str(root)).returncode == 0


def _large_tree(root: Path, files: int) -> None:
    body = "\n".join(
        f"def function_{i}(x):\n    '''Function {i}.'''\n    return x + {i}\n" for i in range(40)
    )
    for n in range(files):
        folder = root / f"pkg{n % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"module_{n}.py").write_text(f'"""Module {n}."""\n\nimport os\n\n{body}')


def test_kill_9_midway_then_rerun_repairs(tmp_path: Path) -> None:
    root = tmp_path / "big"
    _large_tree(root, 400)
    out = root / "docs" / "kwdocs"
    process = subprocess.Popen(
        [sys.executable, "-m", "kwdocs", "export", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the kill reaches the worker processes too
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if out.is_dir() and sum(1 for _ in out.rglob("*_docs.md")) >= 10:
            break
        time.sleep(0.02)
    assert process.poll() is None, "the export finished before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    # Whatever was written is whole: every page ends with its footer.
    pages = page_tree(out)
    assert pages and not (out / MANIFEST_NAME).exists()
    for rel, data in pages.items():
        if rel.rpartition("/")[2].startswith(TEMP_PREFIX):
            continue  # a page being written when the kill came: not a page yet
        assert data.endswith((FOOTER + "\n").encode()), rel
    result = kwdocs("export", str(root))
    assert result.returncode == 0, result.stderr
    assert not list(out.rglob(TEMP_PREFIX + "*"))
    # The repaired tree is the tree a clean export writes (same depth below ROOT, so even the
    # links to the sources are the same).
    fresh = root / "docs" / "fresh"
    assert kwdocs("export", str(root), "--out", str(fresh)).returncode == 0
    repaired = page_tree(out)
    assert len(repaired) == 400 * 2 + 11 * 2 + 1  # and the landing README.md
    assert repaired == page_tree(fresh)


def test_an_export_ending_its_process_at_once_loses_nothing(tmp_path: Path) -> None:
    # The command line ends an export's process without the interpreter's teardown: its
    # output, every page, the manifest and the record cache (saved while the edge workers
    # work) must all be there, as an export through the library writes them.
    root = tmp_path / "big"
    _large_tree(root, 300)  # enough for forked edge and render workers
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    out = tmp_path / "cli"
    result = subprocess.run(
        [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        env=buffered,  # stdout a buffered pipe: the summary is flushed before the end
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    library = export(root, tmp_path / "library")
    cli_pages = page_tree(out)
    assert cli_pages == page_tree(tmp_path / "library")
    assert summary["written"] == library.written == len(cli_pages)
    manifest = json.loads((out / MANIFEST_NAME).read_bytes())
    assert sorted(manifest["pages"]) == sorted(cli_pages)
    # The record cache the export saved: the next index reads every file from it.
    index = kwdocs("index", str(root), "--json")
    assert json.loads(index.stdout)["from_cache"] == 300
    assert gc.get_freeze_count() == 0  # the library export left nothing frozen in this process
