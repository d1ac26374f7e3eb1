"""Figures measured from outside the server: the ast floor, ctags, ``kwdocs index`` and
``kwdocs export`` run as subprocesses (so each run's memory and imports are its own)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.stats import load_average


def kwdocs_env(cache_dir: Path) -> dict[str, str]:
    """The environment of a kwdocs subprocess whose record cache lives in ``cache_dir``."""
    env = dict(os.environ)
    env["KWDOCS_CACHE_DIR"] = str(cache_dir)
    return env


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[str, float, float]:
    """Run ``cmd``; its stdout, wall seconds and the peak RSS (MiB) of its main process.

    ``os.wait4`` gives the rusage of that one child (RUSAGE_CHILDREN would mix all of them)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {tail}")
    return stdout, wall, usage.ru_maxrss / 1024


def _run_json(cmd: list[str], env: dict[str, str] | None = None) -> tuple[dict[str, Any], float]:
    stdout, wall, _ = run_measured(cmd, env)
    return json.loads(stdout), wall


def ast_floor(root: Path, jobs: int | None = None) -> dict[str, Any]:
    """``ast.parse`` of every file in a pool of all cores (or ``jobs`` processes)."""
    cmd = [sys.executable, "-m", "benchmarks.floor", str(root)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    load = load_average()
    result, wall = _run_json(cmd)
    return {"seconds": result["seconds"], "wall": wall, "files": result["files"], "load": load}


def parsers_floor(root: Path, jobs: int | None = None) -> dict[str, Any]:
    """Every file kwdocs parses, parsed with the same parsers (``ast``, the tree-sitter
    grammars) in a pool of all cores (or ``jobs`` processes)."""
    cmd = [sys.executable, "-m", "benchmarks.parsers_floor", str(root)]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    load = load_average()
    result, wall = _run_json(cmd)
    return {**result, "wall": wall, "load": load}


def ctags(root: Path) -> dict[str, Any] | None:
    """universal-ctags over the Python files, when it is installed."""
    exe = shutil.which("ctags")
    if exe is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        load = load_average()
        started = time.perf_counter()
        subprocess.run(
            [exe, "-R", "--languages=Python", "-f", os.path.join(tmp, "tags"), str(root)],
            check=True,
            capture_output=True,
            timeout=600,
        )
        seconds = time.perf_counter() - started
        with open(os.path.join(tmp, "tags"), "rb") as f:
            tags = sum(1 for line in f if not line.startswith(b"!"))
    return {"seconds": seconds, "tags": tags, "load": load}


def kwdocs_index(root: Path, cache_dir: Path, *, no_cache: bool) -> dict[str, Any]:
    """``kwdocs index ROOT --json``: in-process seconds, wall time, peak memory, counts."""
    cmd = [sys.executable, "-m", "kwdocs", "index", str(root), "--json"]
    if no_cache:
        cmd.append("--no-cache")
    load = load_average()
    result, wall = _run_json(cmd, kwdocs_env(cache_dir))
    result["wall"] = wall
    result["load"] = load
    return result


def kwdocs_export(root: Path, out: Path, cache_dir: Path) -> dict[str, Any]:
    """``kwdocs export ROOT --out DIR --json``: the summary plus wall time and peak memory."""
    cmd = [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(out), "--json"]
    load = load_average()
    stdout, wall, peak = run_measured(cmd, kwdocs_env(cache_dir))
    return {"wall": wall, "summary": json.loads(stdout), "peak_mib": peak, "load": load}
