"""Records that note which files an answer read: what an answer depends on besides the module
table, so it can be kept from one export to the next until one of those files changes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from kwdocs.model import FileRecord
from kwdocs.modules import ModuleTable


class _NotedRecords(Mapping[str, FileRecord]):
    """Records by path; reading one (``[]`` or ``get``) notes its path in the log's set."""

    __slots__ = ("_log", "_records")

    def __init__(self, records: Mapping[str, FileRecord], log: ReadLog) -> None:
        self._records = records
        self._log = log

    def __getitem__(self, path: str) -> FileRecord:
        record = self._records[path]
        self._log.read.add(path)
        return record

    def get(self, path: str, default: object = None) -> FileRecord | None:  # type: ignore[override]
        record = self._records.get(path)
        if record is None:
            return default  # type: ignore[return-value]
        self._log.read.add(path)
        return record

    def __contains__(self, path: object) -> bool:
        # Which paths exist is part of what every kept answer is checked against (the
        # workspace's files and modules), not a read of one record.
        return path in self._records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


class ReadLog:
    """A ``Records`` (``kwdocs.resolve``) over records and their module table whose record
    reads are noted in ``read``."""

    def __init__(self, records: Mapping[str, FileRecord], modules: ModuleTable) -> None:
        self.records: Mapping[str, FileRecord] = _NotedRecords(records, self)
        self.modules = modules
        self.read: set[str] = set()
        """Paths of the records read since this set was put in place."""

    @contextmanager
    def reading(self) -> Iterator[set[str]]:
        """The paths read inside the block, in a set of their own (they are still noted in
        the enclosing set too): what one remembered answer depends on."""
        outer = self.read
        inner: set[str] = set()
        self.read = inner
        try:
            yield inner
        finally:
            self.read = outer
            outer |= inner
