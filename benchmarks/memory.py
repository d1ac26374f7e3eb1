"""Resident memory of a process (and of its child processes) from /proc."""

from __future__ import annotations

import os


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


def tree_rss_mib(pid: int) -> float:
    """RSS of a process plus its children and grandchildren (shared pages counted twice)."""
    total = 0.0
    stack = [pid]
    while stack:
        current = stack.pop()
        total += rss_mib(current) or 0.0
        stack.extend(children(current))
    return total
