"""Processes as Linux shows them in /proc: a process's descendants, the members of a session or
process group, and whether any of them is still alive after the process that started them
ended. The tests of how kwdocs ends (server and export) use these to prove that nothing it
started outlives it."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

# Stopped and dead states: a zombie holds nothing but its exit status.
_DEAD_STATES = frozenset("ZXx")


class Role(str, Enum):
    """What a process kwdocs starts is for, from its command line."""

    EXTRACT_WORKER = "kwdocs.workers"
    INFERENCE = "kwdocs.inference"
    JEDI_HELPER = "jedi/inference/compiled/subprocess"
    FORKED = "forked"
    """A forked copy of kwdocs (the command line's worker pool): its parent's command line."""
    OTHER = "other"


@dataclass(frozen=True)
class Proc:
    """One process; ``start`` (clock ticks after boot) tells it from a later one reusing the pid."""

    pid: int
    ppid: int
    pgid: int
    sid: int
    state: str
    start: int
    cmdline: tuple[str, ...]

    @property
    def alive(self) -> bool:
        return self.state not in _DEAD_STATES

    @property
    def role(self) -> Role:
        if self.cmdline[-2:] == ("-m", Role.EXTRACT_WORKER.value):
            return Role.EXTRACT_WORKER
        if self.cmdline[-2:] == ("-m", Role.INFERENCE.value):
            return Role.INFERENCE
        line = " ".join(self.cmdline)
        if Role.JEDI_HELPER.value in line:
            return Role.JEDI_HELPER
        if "kwdocs" in line:
            return Role.FORKED
        return Role.OTHER

    def describe(self) -> str:
        return (
            f"{self.pid} ({self.state}, parent {self.ppid}, {self.role.value}): "
            + " ".join(self.cmdline)[:160]
        )


def read_proc(pid: int) -> Proc | None:
    """The process ``pid`` now, or None when there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("utf-8", "replace")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = tuple(
                part.decode("utf-8", "replace") for part in f.read().split(b"\0") if part
            )
    except OSError:
        return None
    # The command name may hold spaces and parentheses: the fields follow the last ")".
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return Proc(
            pid=pid,
            ppid=int(fields[1]),
            pgid=int(fields[2]),
            sid=int(fields[3]),
            state=fields[0],
            start=int(fields[19]),
            cmdline=cmdline,
        )
    except (IndexError, ValueError):
        return None


def processes() -> list[Proc]:
    """Every process of the machine (that this user can see)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            proc = read_proc(int(entry))
            if proc is not None:
                found.append(proc)
    return found


def descendants(pid: int) -> list[Proc]:
    """Living children, grandchildren... of ``pid``."""
    everything = processes()
    by_parent: dict[int, list[Proc]] = {}
    for proc in everything:
        by_parent.setdefault(proc.ppid, []).append(proc)
    found: list[Proc] = []
    stack = [pid]
    while stack:
        for child in by_parent.get(stack.pop(), []):
            if child.alive:
                found.append(child)
                stack.append(child.pid)
    return found


def survivors(
    known: Iterable[Proc], sessions: Iterable[int] = (), by_group: bool = True
) -> list[Proc]:
    """Which of ``known`` are still alive (the same process, not a reused pid), and any living
    process in one of ``sessions`` or (``by_group``) in the process group of one of ``known``:
    a process whose parent died is re-parented (to pid 1), so only these still find it. Only
    for processes started in a session of their own: the caller's group would count too."""
    known = list(known)
    same = {(p.pid, p.start) for p in known}
    sessions = set(sessions)
    groups = {p.pgid for p in known} if by_group else set()
    return [
        proc
        for proc in processes()
        if proc.alive
        and ((proc.pid, proc.start) in same or proc.sid in sessions or proc.pgid in groups)
    ]


def wait_for_no_survivors(
    known: Iterable[Proc], sessions: Iterable[int] = (), timeout: float = 3.0, by_group: bool = True
) -> list[Proc]:
    """Poll until none of ``known`` (nor of ``sessions``...: see ``survivors``) is alive, at
    most ``timeout`` seconds; what is still alive then."""
    known = list(known)
    sessions = list(sessions)
    deadline = time.monotonic() + timeout
    while True:
        left = survivors(known, sessions, by_group)
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.05)


def wait_for(check, timeout: float, step: float = 0.02):
    """Poll ``check()`` until it returns something truthy (that value), or fail after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {check}")
        time.sleep(step)
