"""The calls a whole export read, kept by file digest for the one-file exports after it.

The language server indexes without calls (it has no use for them but the pages); its export
of the whole workspace reads them again with the page facts. A file's pages written after
that (``export_file``: the export-file command, on-demand pages) must see the same calls, or
they would say "callers may be incomplete" and rewrite the pages the export had just written.
Only the calls are kept (a few MiB for PyTorch), not the records.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import NamedTuple

import msgspec

from kwdocs.model import FileRecord


class KeywordCalls(NamedTuple):
    index: int
    """Position of the keyword in its record's ``keywords``."""
    calls: str
    unresolved: int


class FileCalls(NamedTuple):
    digest: str
    """The file's digest when its calls were read: a changed file's calls are not reused."""
    keywords: tuple[KeywordCalls, ...]


RecordsKey = tuple[tuple[str, str, bool], ...]


def records_key(records: Mapping[str, FileRecord]) -> RecordsKey:
    """What a set of records is, for the caches of the one-file exports."""
    return tuple(sorted((p, r.digest, r.calls_known) for p, r in records.items()))


class KnownCalls:
    """Per workspace root, the calls of each file as the last whole export read them."""

    def __init__(self) -> None:
        self._by_root: dict[str, dict[str, FileCalls]] = {}
        self._last: tuple[str, RecordsKey, Mapping[str, FileRecord]] | None = None
        self._lock = threading.Lock()  # exports run in background threads

    def remember(self, root: str, records: Mapping[str, FileRecord]) -> None:
        table = {
            path: FileCalls(
                record.digest,
                tuple(
                    KeywordCalls(i, k.calls, k.unresolved_calls)
                    for i, k in enumerate(record.keywords)
                    if k.calls or k.unresolved_calls
                ),
            )
            for path, record in records.items()
            if record.calls_known
        }
        with self._lock:
            self._by_root[root] = table
            self._last = None

    def complete(self, root: str, records: Mapping[str, FileRecord]) -> Mapping[str, FileRecord]:
        """``records`` with the remembered calls put into those indexed without them, where
        the file is unchanged since; the others as they are."""
        with self._lock:
            table = self._by_root.get(root)
            if not table or all(r.calls_known for r in records.values()):
                return records
            key = records_key(records)
            if self._last is not None and self._last[:2] == (root, key):
                return self._last[2]
            completed = {
                path: _completed(record, table.get(path)) for path, record in records.items()
            }
            self._last = (root, key, completed)
            return completed


def _completed(record: FileRecord, known: FileCalls | None) -> FileRecord:
    if record.calls_known or known is None or known.digest != record.digest:
        return record
    keywords = list(record.keywords)
    replace = msgspec.structs.replace
    for entry in known.keywords:
        if entry.index < len(keywords):
            keywords[entry.index] = replace(
                keywords[entry.index], calls=entry.calls, unresolved_calls=entry.unresolved
            )
    return replace(record, keywords=keywords, calls_known=True)


KNOWN_CALLS = KnownCalls()
