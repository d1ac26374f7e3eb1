"""``kwdocs export`` interrupted (Ctrl-C, SIGTERM, ``kill -9``) midway through indexing and
midway through rendering the torch tree, with its worker processes running: nothing it started
is alive 3 s later, no temporary folder is left, the lock is released, and the next export
finishes the job with no temporary file left in OUT. Real processes, read from /proc."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
from enum import Enum
from pathlib import Path

import pytest
from kwdocs.discover import MANIFEST_NAME
from kwdocs.export import LOCK_NAME, TEMP_PREFIX
from process_support import Proc, Role, descendants, survivors, wait_for, wait_for_no_survivors

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="processes read from /proc; PR_SET_PDEATHSIG"
)

END_TIMEOUT = 20.0
LEFTOVER_SECONDS = 3.0


class Phase(str, Enum):
    INDEXING = "indexing"
    RENDERING = "rendering"


class Interruption(str, Enum):
    CTRL_C = "SIGINT to the process group, as a terminal's Ctrl-C"
    SIGTERM = "SIGTERM"
    SIGKILL = "SIGKILL"


# How each interruption ends the command: its exit status (negative: killed by that signal).
EXIT_STATUS = {
    Interruption.CTRL_C: 130,
    Interruption.SIGTERM: -signal.SIGTERM,
    Interruption.SIGKILL: -signal.SIGKILL,
}


def _docs_pages(out: Path) -> int:
    return sum(1 for _ in out.rglob("*_docs.md")) if out.is_dir() else 0


def _workers(pid: int) -> list[Proc]:
    return [p for p in descendants(pid) if p.role is Role.FORKED]


def _command(root: Path, out: Path, cache: Path) -> list[str]:
    return [
        *(sys.executable, "-m", "kwdocs", "export", str(root)),
        *("--out", str(out), "--cache-dir", str(cache), "-q"),
    ]


def _export(root: Path, out: Path, cache: Path, tmpdir: Path, log: Path) -> subprocess.Popen:
    with open(log, "wb") as stderr:
        return subprocess.Popen(
            _command(root, out, cache),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "TMPDIR": str(tmpdir)},
            # A session of its own: what it starts can be found by session after it is gone.
            start_new_session=True,
        )


def _lock_is_free(out: Path) -> bool:
    """Nobody holds OUT's lock (its file, when one is there, can be locked at once)."""
    try:
        handle = open(out / LOCK_NAME, "rb")  # noqa: SIM115 - never creates the file
    except FileNotFoundError:
        return True
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


@pytest.mark.parametrize("phase", list(Phase), ids=[p.value for p in Phase])
@pytest.mark.parametrize("how", list(Interruption), ids=[i.name.lower() for i in Interruption])
def test_an_interrupted_export_leaves_nothing_behind(
    torch_root: Path, tmp_path: Path, phase: Phase, how: Interruption
):
    out, cache, tmpdir = tmp_path / "out", tmp_path / "cache", tmp_path / "tmp"
    tmpdir.mkdir()
    log = tmp_path / "export-stderr.log"
    process = _export(torch_root, out, cache, tmpdir, log)
    started: list[Proc] = []
    try:
        if phase is Phase.INDEXING:
            # Extraction in forked workers, no page written yet.
            wait_for(lambda: len(_workers(process.pid)) >= 2 or process.poll() is not None, 60)
            assert _docs_pages(out) == 0, "rendering had begun: the tree is too small"
        else:
            wait_for(lambda: _docs_pages(out) >= 200 or process.poll() is not None, 120)
        started = descendants(process.pid)
        assert process.poll() is None, "the export ended before it could be interrupted"
        # The command line forks its workers: no fork server, no resource tracker, no child
        # interpreter (rendering too forks, once indexing's pool is closed).
        assert len(started) >= 2, [p.describe() for p in started]
        assert {p.role for p in started} == {Role.FORKED}, [p.describe() for p in started]
        pages_then = _docs_pages(out)
        if how is Interruption.CTRL_C:
            os.killpg(process.pid, signal.SIGINT)
        elif how is Interruption.SIGTERM:
            process.send_signal(signal.SIGTERM)
        else:
            process.send_signal(signal.SIGKILL)
        status = process.wait(END_TIMEOUT)
        stderr = log.read_text(errors="replace")
        assert status == EXIT_STATUS[how], stderr
        if how is Interruption.CTRL_C:
            assert "kwdocs: interrupted" in stderr
            assert "Traceback" not in stderr, stderr
            # An orderly stop: no temporary file, and the manifest holds what was written.
            assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]
            if phase is Phase.RENDERING:
                manifest = json.loads((out / MANIFEST_NAME).read_text())
                assert len(manifest["pages"]) >= pages_then
        left = wait_for_no_survivors(started, {process.pid}, LEFTOVER_SECONDS)
        assert not left, "alive after the export ended:\n" + "\n".join(p.describe() for p in left)
        assert sorted(os.listdir(tmpdir)) == [], "temporary files left behind"
        assert _lock_is_free(out), "the lock is still held"
        if phase is Phase.RENDERING:
            assert pages_then < sum(1 for _ in torch_root.rglob("*.py")), "it was not midway"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for proc in survivors(started, {process.pid}):  # cleanup, after the assertions
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
    # The next export finishes the job: every page, no temporary file, exit 0.
    again = subprocess.run(
        [*_command(torch_root, out, cache), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TMPDIR": str(tmpdir)},
        check=False,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert not summary["conflicts"], summary["conflicts"]
    assert _docs_pages(out) == summary["files"] >= len(list(torch_root.rglob("*.py")))
    assert not [p for p in out.rglob(f"{TEMP_PREFIX}*")]
    assert sorted(os.listdir(tmpdir)) == []
    assert not (out / LOCK_NAME).exists()  # a finished export removes its lock file
