"""Worker processes (``kwdocs.workers``): forked where the program runs one thread, child
interpreters where it does not; either way they die with the process that started them, even
when they are busy and it is killed with ``kill -9`` (their input's end would not reach them);
``terminate`` kills them mid-unit; closed workers take no more work. Real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from kwdocs.workers import Workers, WorkersClosed
from process_support import Role, descendants, wait_for, wait_for_no_survivors

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="processes read from /proc; PR_SET_PDEATHSIG"
)

# A unit of work that says where it runs, then sleeps far longer than any test.
SLOW_UNIT = """
import os
import time


def sleep(folder: bytes) -> bytes:
    with open(os.path.join(folder.decode(), str(os.getpid())), "w"):
        pass
    time.sleep(600)
    return b""
"""

PARENT = """
import sys
import threading
import time

from kwdocs.workers import Workers

folder = sys.argv[2].encode()
if sys.argv[1] == "threaded":
    # Another thread running: workers are child interpreters, not forks.
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
for _ in Workers(2).map("slow_unit:sleep", [folder] * 4):
    pass
"""


@pytest.fixture
def unit_path(tmp_path: Path) -> Path:
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "slow_unit.py").write_text(SLOW_UNIT)
    return helpers


def _busy_pids(folder: Path, count: int) -> list[int]:
    return wait_for(lambda: len(os.listdir(folder)) >= count and os.listdir(folder), 60)


@pytest.mark.parametrize("mode", ["single", "threaded"])
def test_busy_workers_die_when_their_parent_is_killed(tmp_path: Path, unit_path: Path, mode: str):
    running = tmp_path / "running"
    running.mkdir()
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PARENT), mode, str(running)],
        env={**os.environ, "PYTHONPATH": str(unit_path), "TMPDIR": str(tmp_path)},
        start_new_session=True,
    )
    started = []
    try:
        _busy_pids(running, 2)
        started = descendants(parent.pid)
        roles = {p.role for p in started}
        assert roles == ({Role.FORKED} if mode == "single" else {Role.EXTRACT_WORKER}), started
        parent.kill()
        parent.wait()
        left = wait_for_no_survivors(started, {parent.pid}, 3.0)
        assert not left, [p.describe() for p in left]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for proc in wait_for_no_survivors(started, {parent.pid}, 0):
            os.kill(proc.pid, signal.SIGKILL)


def test_terminate_kills_busy_child_interpreters(
    tmp_path: Path, unit_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("PYTHONPATH", str(unit_path))
    running = tmp_path / "running"
    running.mkdir()
    workers = Workers(2)
    outcome: list[BaseException | None] = []

    def run() -> None:
        # On a thread of its own, so this process runs two: child interpreters, not forks.
        try:
            list(workers.map("slow_unit:sleep", [str(running).encode()] * 4))
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        _busy_pids(running, 2)
        started = [p for p in descendants(os.getpid()) if p.role is Role.EXTRACT_WORKER]
        assert len(started) == 2
        workers.terminate()
        thread.join(10)
        assert not thread.is_alive(), "map still waits for killed workers"
        assert len(outcome) == 1 and isinstance(outcome[0], WorkersClosed), outcome
        assert not wait_for_no_survivors(started, (), 0, by_group=False)  # reaped already
        with pytest.raises(WorkersClosed):
            list(workers.map("slow_unit:sleep", [b"x"] * 4))
    finally:
        workers.terminate()


FORK_AFTER_MAP = """
import msgspec

from kwdocs.pipeline import EXTRACT_TARGET, ExtractUnit
from kwdocs.workers import Workers

nothing = msgspec.msgpack.encode(ExtractUnit("/", [], 1000))
with Workers(2) as workers:
    assert len(list(workers.map(EXTRACT_TARGET, [nothing] * 3))) == 3
    print("forked" if workers.fork() is not None else "not forked")
"""


def test_rendering_forks_after_indexing_used_the_pool(tmp_path: Path):
    # The extraction pool's manager thread made the process look threaded: the render
    # workers were child interpreters instead of forks reading the export's memory.
    result = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_MAP],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        check=False,
    )
    assert result.stdout.strip() == "forked", result.stderr
