"""``kwdocs.inference``: jedi in a child process, asked through ``InferenceWorker`` with real
buffers of a real project; no workspace code runs."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
from kwdocs.inference import InferenceWorker

FILES = {
    "shapes/__init__.py": "",
    "shapes/base.py": (
        "class Shape:\n"
        "    def area(self):\n"
        "        return 0.0\n"
        "\n"
        "\n"
        "class Square(Shape):\n"
        "    def area(self):\n"
        "        return 1.0\n"
        "\n"
        "\n"
        "def make():\n"
        "    return Square()\n"
    ),
}
BUFFER = "from shapes.base import make\n\nvalue = make().area()\n"


def _run(coroutine):
    return asyncio.run(coroutine)


def test_the_child_answers_for_the_buffer_it_is_given(make_tree, tmp_path: Path):
    marker = tmp_path / "ran"
    root = make_tree(
        {
            **FILES,
            # Imported by the buffer: jedi must read it, never run it.
            "shapes/trap.py": f"import pathlib\npathlib.Path({str(marker)!r}).write_text('ran')\n",
        }
    )
    base = str(root / "shapes/base.py")
    path = str(root / "use.py")  # never written: the unsaved buffer is all there is

    async def scenario() -> list:
        worker = InferenceWorker(timeout=60)
        try:
            first = await worker.goto(str(root), path, "import shapes.trap\n" + BUFFER, 4, 15)
            again = await worker.goto(str(root), path, "import shapes.trap\n" + BUFFER, 4, 15)
            # An edited buffer: the name is now a local class of the buffer itself.
            edited = "class Local:\n    def area(self):\n        pass\n\n\nvalue = Local().area()\n"
            moved = await worker.goto(str(root), path, edited, 6, 16)
            # A buffer with nothing to find: an empty answer, not a failure.
            nothing = await worker.goto(str(root), path, edited, 4, 0)
            return [first, again, moved, nothing, worker.describe()]
        finally:
            await worker.aclose()

    first, again, moved, nothing, info = _run(scenario())
    assert first == [(base, 7, 8, "area")]
    assert again == first
    assert moved == [(path, 2, 8, "area")]
    assert nothing == []
    assert info["requests"] == 4 and info["restarts"] == 0 and info["timeouts"] == 0
    assert not marker.exists()


def test_close_kills_the_child_and_no_new_one_starts(make_tree):
    root = make_tree(FILES)
    path = str(root / "use.py")

    async def scenario() -> tuple[int, list | None]:
        worker = InferenceWorker(timeout=60)
        assert await worker.goto(str(root), path, BUFFER, 3, 15)
        pid = worker.describe()["pid"]
        await worker.aclose()
        return pid, await worker.goto(str(root), path, BUFFER, 3, 15)

    pid, after = _run(scenario())
    assert after is None
    deadline = time.monotonic() + 30
    while _running(pid):
        assert time.monotonic() < deadline, f"the inference process {pid} outlived close()"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (killed, not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


@pytest.mark.skipif(sys.platform != "linux", reason="jedi's cache folder follows XDG_CACHE_HOME")
def test_a_truncated_parse_cache_is_parsed_again(make_tree, tmp_path: Path, monkeypatch):
    # What a child killed while parso wrote its pickles leaves behind.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    root = make_tree(FILES)
    path = str(root / "use.py")

    async def ask_a_new_child() -> list | None:
        worker = InferenceWorker(timeout=60)
        try:
            return await worker.goto(str(root), path, BUFFER, 3, 15)
        finally:
            await worker.aclose()

    first = _run(ask_a_new_child())
    assert first == [(str(root / "shapes/base.py"), 7, 8, "area")]
    pickles = list((tmp_path / "xdg" / "jedi").rglob("*.pkl"))
    assert pickles, "jedi wrote no parse cache"
    for pickle in pickles:
        data = pickle.read_bytes()
        pickle.write_bytes(data[: len(data) // 2])
    assert _run(ask_a_new_child()) == first
