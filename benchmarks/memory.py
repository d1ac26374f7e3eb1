"""Resident memory of a process and of its child processes, from /proc (or psutil): at a
moment, or sampled over a whole session for its peak. ``python -m benchmarks.memory`` runs the
memory session of the issue on a corpus: a server from spawn to ready, 1,000 hovers and 500
definitions on real positions, and the process tree's memory at each step, its peak and its
end (with what each process holds)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Where a process of the tree comes from, by its command line.
_ROLES = (
    ("kwdocs.workers", "extraction workers"),
    ("kwdocs.inference", "inference"),
    ("jedi/inference/compiled/subprocess", "jedi helper"),
)
SAMPLE_SECONDS = 0.05


def rss_mib(pid: int) -> float | None:
    """VmRSS of one process in MiB; None when it is gone or /proc is not there."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (the server's worker pool, say)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: the ppid follows the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def descendants(pid: int) -> list[int]:
    """Children, grandchildren... of ``pid``."""
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children(stack.pop()):
            found.append(child)
            stack.append(child)
    return found


def tree_rss_mib(pid: int) -> float:
    """RSS of a process plus its children and grandchildren (shared pages counted twice)."""
    return sum(rss_mib(p) or 0.0 for p in [pid, *descendants(pid)])


def _role(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            line = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return "gone"
    for marker, role in _ROLES:
        if marker in line:
            return role
    return "other"


@dataclass
class TreeMemory:
    """The process tree at one moment: MiB by role (the server itself under "server")."""

    total_mib: float
    by_role: dict[str, float]
    processes: int


def tree_memory(pid: int) -> TreeMemory:
    """RSS of the process ``pid`` and of every descendant, summed by what they are."""
    by_role: dict[str, float] = {"server": rss_mib(pid) or 0.0}
    others = descendants(pid)
    for child in others:
        role = _role(child)
        by_role[role] = by_role.get(role, 0.0) + (rss_mib(child) or 0.0)
    return TreeMemory(round(sum(by_role.values()), 1), by_role, 1 + len(others))


@dataclass
class TreeSampler:
    """Samples a process tree's memory on a thread of its own until ``stop``: its peak (and
    what held it) and the most processes seen at once."""

    pid: int
    peak: TreeMemory | None = None
    most_processes: int = 0
    samples: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            now = tree_memory(self.pid)
            self.samples += 1
            self.most_processes = max(self.most_processes, now.processes)
            if self.peak is None or now.total_mib > self.peak.total_mib:
                self.peak = now
            self._stop.wait(SAMPLE_SECONDS)

    def stop(self) -> TreeMemory | None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak


# ---- the memory session ---------------------------------------------------------------------


async def session_memory(
    root: Path,
    work: Path,
    hovers: int = 1000,
    definitions: int = 500,
    cold: bool = True,
    quiet_seconds: float = 0.0,
    jedi: bool = False,
) -> dict[str, Any]:
    """One server session on ``root``: spawn → ready (from an empty cache when ``cold``),
    ``hovers`` hovers and ``definitions`` definitions on real positions, one at a time; the
    process tree's memory at ready, after the hovers, after the definitions and (after
    ``quiet_seconds`` without requests) at the end, and its peak over the whole session.
    ``jedi``: definitions the index cannot place go to jedi's inference process (the
    ``definitionInference`` setting; off by default)."""
    from benchmarks import positions as P
    from benchmarks.server import Session
    from benchmarks.stats import distribution

    cache = work / "cache"
    if cold:
        shutil.rmtree(cache, ignore_errors=True)
    picked = P.pick_positions(
        P.load_index(root, work / "positions-cache"), root, hovers, files=max(1, hovers // 24)
    )
    session = Session(root, cache, work / "server.log")
    if jedi:  # the options are the client's settings too (its configuration answers)
        session.options["definitionInference"] = "jedi"
    out: dict[str, Any] = {
        "root": str(root),
        "cold": cold,
        "jedi": jedi,
        "positions": len(picked),
    }
    sampler: TreeSampler | None = None
    try:
        await session.start()
        sampler = TreeSampler(session.client.pid).start()
        out["ready_s"] = round(await session.wait_ready(), 2)
        out["at_ready"] = asdict(tree_memory(session.client.pid))
        # Indexing's peak (with its workers, on a cold cache).
        out["peak_until_ready"] = asdict(sampler.peak) if sampler.peak is not None else None
        for path in sorted({p.path for p in picked}):
            await session.open(path)
        for name, ask, count in (
            ("hover", session.hover, hovers),
            ("definition", session.definition, definitions),
        ):
            samples: list[float] = []
            empty = 0
            for p in picked[:count]:
                seconds, result = await ask(p.path, p.line, p.character)
                samples.append(seconds)
                empty += not result
            out[name] = {**distribution(samples), "empty": empty}
            out[f"after_{name}s"] = asdict(tree_memory(session.client.pid))
        if quiet_seconds:
            await asyncio.sleep(quiet_seconds)
        out["end"] = asdict(tree_memory(session.client.pid))
        info = await session.client.request(
            "workspace/executeCommand", {"command": "kwdocs.server.debugInfo", "arguments": []}
        )
        out["inference"] = info.get("inference")
    finally:
        if sampler is not None:
            peak = sampler.stop()
            out["peak"] = asdict(peak) if peak is not None else None
            out["most_processes"] = sampler.most_processes
            out["samples"] = sampler.samples
        await session.stop()
    return out


def _line(name: str, figure: dict[str, Any] | None) -> str:
    if not figure:
        return f"{name:>18}: –"
    parts = ", ".join(f"{role} {mib:.0f}" for role, mib in sorted(figure["by_role"].items()))
    return f"{name:>18}: {figure['total_mib']:6.0f} MiB  ({parts}; {figure['processes']} proc.)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="the workspace (default: the torch package)")
    parser.add_argument("--hovers", type=int, default=1000)
    parser.add_argument("--definitions", type=int, default=500)
    parser.add_argument("--warm", action="store_true", help="start from a filled cache")
    parser.add_argument("--quiet", type=float, default=0.0, help="seconds idle before the end")
    parser.add_argument(
        "--jedi", action="store_true", help="definitionInference: jedi (default: the server's)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument("--work", type=Path, help="scratch folder kept afterwards (server.log)")
    args = parser.parse_args(argv)
    root = args.corpus
    if root is None:
        from benchmarks import corpora

        root = corpora.torch_tree()
    with tempfile.TemporaryDirectory(prefix="kwdocs-memory-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        if args.warm:  # a first session fills the cache
            asyncio.run(session_memory(root, work, 0, 0, cold=True))
        figures = asyncio.run(
            session_memory(
                root, work, args.hovers, args.definitions, not args.warm, args.quiet, args.jedi
            )
        )
    state = ("cold" if figures["cold"] else "warm") + (
        " cache, jedi" if figures["jedi"] else " cache"
    )
    print(f"{figures['root']} ({state}, ready in {figures['ready_s']} s), MiB of RSS:")
    for name in (
        "peak_until_ready",
        "at_ready",
        "after_hovers",
        "after_definitions",
        "end",
        "peak",
    ):
        print(_line(name.replace("_", " "), figures.get(name)))
    print(f"{'most processes':>18}: {figures['most_processes']}")
    for request in ("hover", "definition"):
        figure = figures.get(request) or {}
        if figure.get("count"):
            print(
                f"{request:>18}: p50 {figure['p50'] * 1000:.1f} ms, p99 {figure['p99'] * 1000:.1f}"
                f" ms, max {figure['max'] * 1000:.0f} ms, {figure['empty']} empty"
            )
    print(f"{'inference':>18}: {figures.get('inference')}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
