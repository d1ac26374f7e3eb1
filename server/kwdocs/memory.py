"""A process's own memory: how much of it is resident, and giving back what the allocator
holds without using it."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import sys


def rss_bytes(pid: int | str = "self") -> int:
    """Resident memory of a process from /proc (0 where there is no /proc)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


# mallopt parameters (glibc's malloc.h).
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
# Blocks from this size up get pages of their own, returned to the system when freed.
MMAP_THRESHOLD = 256 * 1024


@functools.lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError):
        libc = ctypes.CDLL("libc.so.6")
        # glibc only (musl has neither call).
        if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt"):
            return libc
    return None


def tune_allocator() -> None:
    """For a long-lived process that reads large files now and then: one malloc arena (every
    Python allocation happens under the GIL, so threads gain nothing from arenas of their
    own, whose freed memory glibc keeps apart), and large blocks (file texts, caches read
    whole) in pages of their own at any size. glibc would otherwise raise that threshold to
    the largest block freed so far (up to 32 MiB), after which such blocks are carved out of
    the heap and fragment it. Call it before other threads start."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, 1)
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)


def release_free_memory() -> None:
    """Hand the pages glibc's allocator holds free back to the system. Freed objects leave
    whole free pages inside the heap that glibc keeps for later (a cold index, a burst of
    requests): after them the resident size would stay at its peak. Costs a walk over the
    free chunks (milliseconds): call it when idle."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
