"""Hostile workspace trees: loops, links leaving the root, special files, files that change or
vanish while indexing, unreadable entries, huge and very deep trees. Indexing always finishes
(every run that could hang runs in a child with a time limit) and explains each skip."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import kwdocs.extract.python
import kwdocs.extract.python_recovery  # noqa: F401 - the child running as nobody needs it loaded
import pytest
from hostile_support import NOBODY, run_in_child
from kwdocs.config import Settings, load_settings
from kwdocs.discover import discover
from kwdocs.extract import read_and_extract
from kwdocs.model import Skip
from kwdocs.pipeline import index_root


def settings_for(root: Path, **overrides: object) -> Settings:
    settings = load_settings(root, {"jobs": 1, **overrides})
    settings.use_cache = False
    return settings


def index_summary(settings: Settings) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """Keyword names per indexed file, and the (path, reason) of every skip."""
    index, report = index_root(settings)
    names = {path: [k.name for k in r.keywords] for path, r in sorted(index.records.items())}
    return names, [(s.path, s.reason) for s in report.skipped]


def test_symlink_loops_end_with_a_reason(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("def f():\n    pass\n")
    os.symlink("..", tmp_path / "pkg" / "up")  # a folder loop through the parent
    os.symlink(".", tmp_path / "here")  # the root itself
    os.symlink("self.py", tmp_path / "self.py")  # a link to itself
    os.symlink("b", tmp_path / "a")  # two links pointing at each other
    os.symlink("a", tmp_path / "b")
    names, skips = run_in_child(index_summary, settings_for(tmp_path), timeout=60)
    assert names == {"pkg/mod.py": ["f"]}
    assert skips == [
        ("a", "symlink loop"),
        ("b", "symlink loop"),
        ("here", "symlink loop (folder already visited)"),
        ("pkg/up", "symlink loop (folder already visited)"),
        ("self.py", "symlink loop"),
    ]


def test_symlinks_leaving_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text("def secret():\n    pass\n")
    root = tmp_path / "ws"
    root.mkdir()
    (root / "inside.py").write_text("def inside():\n    pass\n")
    os.symlink(outside, root / "linked_dir")
    os.symlink(outside / "secret.py", root / "linked.py")
    os.symlink("../outside/secret.py", root / "relative.py")
    os.symlink("/etc/passwd", root / "passwd.py")
    os.symlink("inside.py", root / "alias.py")  # stays inside: indexed like any file
    names, skips = index_summary(settings_for(root))
    assert names == {"alias.py": ["inside"], "inside.py": ["inside"]}
    assert skips == [
        (name, "symlink pointing outside the root")
        for name in ("linked.py", "linked_dir", "passwd.py", "relative.py")
    ]


def test_broken_symlink_is_explained(tmp_path: Path) -> None:
    os.symlink("missing.py", tmp_path / "dangling.py")
    names, skips = index_summary(settings_for(tmp_path))
    assert names == {}
    assert skips == [("dangling.py", "broken symlink")]


@pytest.fixture
def special_files(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "ok.py").write_text("def ok():\n    pass\n")
    os.mkfifo(tmp_path / "fifo.py")
    os.symlink("fifo.py", tmp_path / "to_fifo.py")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "socket.py"))
    # A character device (root may make one; skip the case where the sandbox forbids it).
    try:
        os.mknod(tmp_path / "zero.py", stat.S_IFCHR | 0o666, os.makedev(1, 5))
    except OSError:
        (tmp_path / "zero.py").symlink_to("fifo.py")
    try:
        yield tmp_path
    finally:
        listener.close()


def test_fifos_sockets_and_devices_never_hang(special_files: Path) -> None:
    names, skips = run_in_child(index_summary, settings_for(special_files), timeout=60)
    assert names == {"ok.py": ["ok"]}
    assert skips == [
        (name, "not a regular file") for name in ("fifo.py", "socket.py", "to_fifo.py", "zero.py")
    ]


def test_a_file_replaced_by_a_fifo_after_discovery_does_not_hang(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def a():\n    pass\n")
    (tmp_path / "b.py").write_text("def b():\n    pass\n")
    settings = settings_for(tmp_path)
    found = discover(settings)
    (tmp_path / "b.py").unlink()
    os.mkfifo(tmp_path / "b.py")

    def index_after() -> tuple[list[str], list[Skip]]:
        index, report = index_root(settings, discovery=found)
        return sorted(index.records), report.skipped

    paths, skips = run_in_child(index_after, timeout=60)
    assert paths == ["a.py"]
    assert skips == [Skip("b.py", "not a regular file")]
    # The reader on its own (what the language server calls for one file) says the same.
    outcome = run_in_child(read_and_extract, str(tmp_path), "b.py", 10_000, timeout=30)
    assert outcome == Skip("b.py", "not a regular file")


def test_files_deleted_or_changed_after_discovery(tmp_path: Path) -> None:
    for name in ("kept", "deleted", "changed", "grown", "emptied"):
        (tmp_path / f"{name}.py").write_text(f"def {name}():\n    pass\n")
    settings = settings_for(tmp_path, maxFileSize=1_000)
    found = discover(settings)
    (tmp_path / "deleted.py").unlink()
    (tmp_path / "changed.py").write_text("class Changed:\n    def new(self):\n        pass\n")
    (tmp_path / "grown.py").write_text("x = 1\n" * 1_000)
    (tmp_path / "emptied.py").write_text("")
    index, report = index_root(settings, discovery=found)
    assert {p: [k.name for k in r.keywords] for p, r in index.records.items()} == {
        "changed.py": ["Changed", "new"],
        "emptied.py": [],
        "kept.py": ["kept"],
    }
    assert [(s.path, s.reason.split(" (")[0]) for s in report.skipped] == [
        ("deleted.py", "unreadable: No such file or directory"),
        ("grown.py", "larger than the size limit"),
    ]
    # The record describes what was read, not what discovery saw.
    assert index.get("changed.py").size == (tmp_path / "changed.py").stat().st_size


def test_files_rewritten_while_indexing_give_old_or_new_keywords(tmp_path: Path) -> None:
    versions = [
        "def old_{0}():\n    pass\n",
        "class New_{0}:\n    def method(self):\n        pass\n",
    ]
    count = 120  # above the parallel threshold: the worker pool reads them
    for i in range(count):
        (tmp_path / f"m{i}.py").write_text(versions[0].format(i))
    stop = threading.Event()

    def rewrite() -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            i = turn % count
            path = tmp_path / f"m{i}.py"
            # Rewrite in place (truncate, then write): readers may see a short file.
            path.write_text(versions[turn % 2].format(i))

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        index, report = index_root(settings_for(tmp_path, jobs=2))
    finally:
        stop.set()
        writer.join()
    allowed = [[], ["old_{0}"], ["New_{0}", "method"]]
    for path, record in index.records.items():
        i = int(path[1:-3])
        names = [k.name for k in record.keywords]
        assert names in [[n.format(i) for n in option] for option in allowed], (path, names)
    assert len(index) + len(report.skipped) == count


@pytest.fixture
def nobody_tree() -> Iterator[Path]:
    """A tree owned by ``nobody`` outside pytest's private temp folder (which nobody cannot
    enter): the only way to meet permission errors when the tests run as root."""
    base = Path(tempfile.mkdtemp(prefix="kwdocs-perm-"))
    try:
        yield base
    finally:
        for folder, dirs, _ in os.walk(base):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o700)
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def _chown_tree(root: Path, uid: int) -> None:
    for folder, dirs, files in os.walk(root):
        os.chown(folder, uid, uid)
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, uid)


@pytest.mark.skipif(not hasattr(os, "setuid"), reason="needs POSIX users")
def test_unreadable_files_and_folders(nobody_tree: Path) -> None:
    root = nobody_tree / "ws"
    (root / "open").mkdir(parents=True)
    (root / "closed").mkdir()
    (root / "open" / "fine.py").write_text("def fine():\n    pass\n")
    (root / "closed" / "hidden.py").write_text("def hidden():\n    pass\n")
    (root / "secret.py").write_text("def secret():\n    pass\n")
    (root / "notes.md").write_text("# Notes\n")
    as_root = os.geteuid() == 0
    if as_root:
        _chown_tree(nobody_tree, NOBODY)
    os.chmod(root / "secret.py", 0)
    os.chmod(root / "notes.md", 0)
    os.chmod(root / "closed", 0)
    settings = settings_for(root)
    names, skips = run_in_child(
        index_summary, settings, timeout=60, uid=NOBODY if as_root else None
    )
    assert names == {"open/fine.py": ["fine"]}
    assert skips == [
        ("closed", "unreadable folder: Permission denied"),
        ("notes.md", "unreadable: Permission denied"),
        ("secret.py", "unreadable: Permission denied"),
    ]


@pytest.mark.slow
def test_twenty_thousand_tiny_files(tmp_path: Path) -> None:
    for d in range(100):
        folder = tmp_path / f"d{d:02}"
        folder.mkdir()
        for f in range(200):
            (folder / f"m{f}.py").write_bytes(b"def f%d():\n    pass\n" % f)
    started = time.perf_counter()
    settings = load_settings(tmp_path, {"jobs": 2})
    settings.use_cache = False
    index, report = index_root(settings)
    seconds = time.perf_counter() - started
    assert len(index) == 20_000 and report.skipped == []
    assert len(index.lookup("f199")) == 100
    assert report.keywords == 20_000
    print(f"20,000 tiny files indexed in {seconds:.1f} s")


def _make_deep(base: Path, names: list[str], packages: bool = False) -> None:
    """Create base/names[0]/names[1]/... with directory descriptors: the full path may be
    longer than the system allows in one call (PATH_MAX); ``packages``: each folder holds an
    ``__init__.py``."""
    fd = os.open(base, os.O_RDONLY)
    try:
        for name in names:
            os.mkdir(name, dir_fd=fd)
            child = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
            if packages:
                os.close(os.open("__init__.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
        leaf = os.open("leaf.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"def leaf():\n    pass\n")
        os.close(leaf)
    finally:
        os.close(fd)


@pytest.fixture
def deep_root(tmp_path: Path) -> Iterator[Path]:
    """A folder for trees too deep for shutil.rmtree (pytest's own clean-up included)."""
    root = tmp_path / "deep"
    root.mkdir()
    try:
        yield root
    finally:
        subprocess.run(["rm", "-rf", str(root)], check=False)


def test_folders_deeper_than_the_recursion_limit(deep_root: Path) -> None:
    tmp_path = deep_root
    parts = ["d"] * (sys.getrecursionlimit() + 200)
    _make_deep(tmp_path, parts, packages=True)
    (tmp_path / "top.py").write_text("from .d import leaf\n")
    index, report = index_root(settings_for(tmp_path))
    rel = "/".join([*parts, "leaf.py"])
    inits = ["/".join([*parts[:n], "__init__.py"]) for n in range(1, len(parts) + 1)]
    assert sorted(index.records) == sorted([rel, "top.py", *inits])
    assert report.skipped == []
    [definition] = index.lookup("leaf", kinds=["function"])
    assert definition.path == rel
    assert index.get(rel).module == ".".join(parts) + ".leaf"


def test_paths_longer_than_the_system_allows_are_skipped_with_a_reason(deep_root: Path) -> None:
    tmp_path = deep_root
    parts = ["folder-with-a-long-name"] * 200  # about 4,800 characters: past PATH_MAX
    _make_deep(tmp_path, parts)
    (tmp_path / "top.py").write_text("def top():\n    pass\n")
    names, skips = index_summary(settings_for(tmp_path))
    assert names == {"top.py": ["top"]}
    [(path, reason)] = skips
    assert path.startswith("folder-with-a-long-name/") and path.count("/") < 200
    assert reason == "unreadable: File name too long"


def test_the_export_summary_explains_every_skip(tmp_path: Path) -> None:
    import subprocess

    root = tmp_path / "ws"
    root.mkdir()
    (root / "ok.py").write_text("def ok():\n    pass\n")
    (root / "blob.py").write_bytes(b"\x00\x01\x02\x03" * 1000)
    os.mkfifo(root / "fifo.py")
    os.symlink("/etc/passwd", root / "passwd.py")
    os.close(os.open(os.fsencode(root) + b"/bad\xffname.py", os.O_CREAT | os.O_WRONLY))
    result = subprocess.run(
        [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Skipped 4 files: 1 binary file; 1 file name is not valid UTF-8; "
        "1 not a regular file; 1 symlink pointing outside the root." in result.stdout
    ), result.stdout
    verbose = subprocess.run(
        [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(tmp_path / "out"), "-v"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for line in (
        "  blob.py: binary file",
        "  fifo.py: not a regular file",
        "  passwd.py: symlink pointing outside the root",
        "  bad?name.py: file name is not valid UTF-8",
    ):
        assert line in verbose.stdout.splitlines(), verbose.stdout
