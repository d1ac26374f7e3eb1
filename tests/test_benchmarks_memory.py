"""``python -m benchmarks.memory`` runs a whole memory session on a tiny corpus and reports
every figure: the process tree at each step and at its peak, by process role. Correctness
only: no figure is asserted here beyond being measured."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STEPS = ("peak_until_ready", "at_ready", "after_hovers", "after_definitions", "end", "peak")

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc")


def test_memory_session_reports_every_step(tmp_path: Path, stdlib_root: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("abc.py", "bisect.py", "colorsys.py", "fnmatch.py", "keyword.py", "shlex.py"):
        shutil.copy2(stdlib_root / name, corpus / name)
    figures = tmp_path / "memory.json"
    command = [sys.executable, "-m", "benchmarks.memory", "--corpus", str(corpus)]
    command += ["--hovers", "30", "--definitions", "10", "--jedi", "--json", str(figures)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(figures.read_text())
    for step in STEPS:
        assert result[step]["total_mib"] > 10, step
        assert result[step]["by_role"]["server"] > 10, step
        assert step.replace("_", " ") in done.stdout
    assert result["peak"]["total_mib"] >= result["at_ready"]["total_mib"]
    assert result["hover"]["count"] == 30 and result["definition"]["count"] == 10
    # Nothing but the server until a definition is asked; then (jedi on) the inference process.
    assert set(result["at_ready"]["by_role"]) == {"server"}
    assert set(result["after_definitions"]["by_role"]) == {"server", "inference"}
    assert result["inference"]["pid"] is not None
