"""The benchmark command runs end to end on a tiny corpus and prints every figure of the speed
issue's table. Correctness only: no timing is asserted here (timings live in benchmarks/)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# The rows of issue 5's table, word for word: the command must print each of them.
FIGURES = (
    "cold full index (no cache)",
    "warm start (cache present, nothing changed)",
    "server process start → initialize answered",
    "first hover on the open file after initialize, cold workspace (no cache)",
    "hover and definition p99, warm",
    "workspace/symbol p99",
    "edit → updated hover, on a 2,800-line file",
    "resident memory of the server with the whole index",
    "export of every page, cold",
    "re-export after one file changed",
)


def test_quick_benchmark_prints_every_figure(tmp_path: Path, stdlib_root: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in ("abc.py", "bisect.py", "colorsys.py", "fnmatch.py", "keyword.py", "shlex.py"):
        shutil.copy2(stdlib_root / name, corpus / name)
    results = tmp_path / "results"
    command = [sys.executable, "-m", "benchmarks", "--quick", "--corpus", str(corpus)]
    command += ["--positions", "24", "--queries", "8", "--edits", "1"]
    command += ["--work", str(tmp_path / "work"), "--results", str(results)]
    # The benchmarks package lives at the repository root, not in the installed distribution.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        command,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    for figure in FIGURES:
        rows = [line for line in table if line.startswith(f"| {figure} |")]
        assert len(rows) == 1, f"{figure!r} missing from:\n{done.stdout}"
        # Every figure was measured: a number in the measured column, no "not measured".
        measured = rows[0].split(" | ")[2]
        assert any(ch.isdigit() for ch in measured), rows[0]
        assert "not measured" not in rows[0], rows[0]
    saved = json.loads((results / "latest.json").read_text())
    assert [row["figure"] for row in saved["table"]] == list(FIGURES)
    assert saved["corpus"]["files"] == 6
    assert saved["main"]["cold_index"][0]["files"] == 6
    assert saved["main"]["server"]["warm_start"][0]["status"]["files"] == 6
    # Each cold export's ratio is to an ast floor of the same files measured just before it.
    export = saved["main"]["export"][0]
    assert export["floor"]["files"] == 6 and export["cold"]["summary"]["files"] == 6
    floor = export["floor"]["seconds"]
    row = next(line for line in table if line.startswith("| export of every page, cold |"))
    assert f"× floor {floor:.2f} s" in row, row
