"""``python -m benchmarks`` reports issue 16's figures on a tree of Python and C++ files (the
wheel tree by default; a small tree of real files here): the parsers floor, the cold index
against it, the warm start and the cold export. Correctness only: no timing is asserted."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from native_support import native_root  # noqa: F401  (a fixture)

REPO = Path(__file__).resolve().parents[1]
C10D = "torch/include/torch/csrc/distributed/c10d"
WHEEL_FIGURES = (
    "wheel tree: cold index (Python and C/C++/CUDA together)",
    "wheel tree: warm start (cache present, nothing changed)",
    "wheel tree: export of every page, cold",
)


def test_parsers_floor_reads_each_language_with_its_parser(
    native_root: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    for rel in (f"{C10D}/ProcessGroup.hpp", "torchgen/packaged/ATen/native/tags.yaml"):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_root / rel, tree / rel)
    (tree / "a.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (tree / "notes.txt").write_text("not parsed\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.parsers_floor", str(tree), "--jobs", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = json.loads(done.stdout)
    assert figures["files"] == 3
    assert figures["by_language"] == {"cpp": 1, "python": 1, "yaml": 1}


def test_quick_benchmark_reports_the_wheel_tree(
    native_root: Path,  # noqa: F811
    tmp_path: Path,
    stdlib_root: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(stdlib_root / "colorsys.py", corpus / "colorsys.py")
    wheel = tmp_path / "wheel"
    for rel in (f"{C10D}/ProcessGroup.hpp", f"{C10D}/Backend.hpp"):
        (wheel / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_root / rel, wheel / rel)
    shutil.copy2(stdlib_root / "shlex.py", wheel / "shlex.py")
    results = tmp_path / "results"
    command = [sys.executable, "-m", "benchmarks", "--quick", "--corpus", str(corpus)]
    command += ["--wheel-corpus", str(wheel), "--no-server"]
    command += ["--work", str(tmp_path / "work"), "--results", str(results)]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("| wheel tree: ")]
    assert [line.split(" | ")[0].removeprefix("| ") for line in table] == list(WHEEL_FIGURES)
    for row in table:
        measured = row.split(" | ")[2]
        assert any(ch.isdigit() for ch in measured), row
        assert "not measured" not in row, row
    assert "3 files: 2 cpp, 1 python" in table[0], table[0]
    saved = json.loads((results / "latest.json").read_text())
    assert saved["wheel"]["corpus"]["files"] == 3
    assert saved["wheel"]["cold_index"][0]["files"] == 3
    assert saved["wheel"]["export"][0]["summary"]["files"] == 3
    assert [row["figure"] for row in saved["wheel_table"]] == list(WHEEL_FIGURES)
