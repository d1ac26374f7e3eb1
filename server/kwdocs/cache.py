"""The on-disk cache of FileRecords: one msgpack file per workspace root, in the user cache
folder (platformdirs) or a configured one, holding the records and the index's name tables (so a
warm start builds nothing per keyword). A stale, corrupt or foreign file is discarded."""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import msgspec

from kwdocs.build_key import build_key
from kwdocs.index import CODE_SHIFT, IndexTables, KeywordIndex, build_tables
from kwdocs.model import RECORD_FORMAT, FileRecord

log = logging.getLogger(__name__)

# The layout of the file itself (records plus name tables); bumped when IndexTables changes.
CACHE_FORMAT = 2


@functools.cache
def _magic() -> bytes:
    """The header the file starts with; anything else (another build of kwdocs, or one with
    other grammars installed, another program, a torn write) is not read."""
    return f"kwdocs-cache {CACHE_FORMAT}.{RECORD_FORMAT} {build_key()}\n".encode()


_decoder = msgspec.msgpack.Decoder(IndexTables)


class _RecordsOnly(msgspec.Struct, array_like=True):
    """The first field of IndexTables: decoding skips the name tables (no objects made)."""

    records: list[FileRecord]


_records_decoder = msgspec.msgpack.Decoder(_RecordsOnly)


class StoredTables(msgspec.Struct, array_like=True):
    """The cache as stored: the records, and the name tables left as the bytes they are
    (no objects made), to be written back as they are while no record's names change."""

    records: list[FileRecord]
    names: msgspec.Raw
    symbols: msgspec.Raw


_stored_decoder = msgspec.msgpack.Decoder(StoredTables)
_encoder = msgspec.msgpack.Encoder()


def default_cache_dir() -> Path:
    """The user's cache folder for kwdocs (``$KWDOCS_CACHE_DIR`` overrides it)."""
    override = os.environ.get("KWDOCS_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("kwdocs", appauthor=False))


class RecordCache:
    """Load and save the records of one workspace root."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.root = Path(root).absolute()
        folder = cache_dir if cache_dir is not None else default_cache_dir()
        key = hashlib.blake2b(str(self.root).encode("utf-8", "surrogateescape"), digest_size=12)
        self.path = folder / f"{self.root.name[:40] or 'root'}-{key.hexdigest()}.kwcache"

    def load(self) -> dict[str, FileRecord]:
        """The cached records by path; {} when there is no usable cache."""
        tables = self._decode(_records_decoder)
        return {r.path: r for r in tables.records} if tables is not None else {}

    def load_stored(self) -> StoredTables | None:
        """The cached records with their name tables undecoded; None when there is no usable
        cache."""
        stored = self._decode(_stored_decoder)
        if stored is not None and len({r.path for r in stored.records}) != len(stored.records):
            return None
        return stored

    def load_index(self) -> KeywordIndex | None:
        """An index of every cached record, built from the stored tables; None when there is
        no usable cache."""
        tables = self.load_tables()
        return KeywordIndex.from_tables(tables) if tables is not None else None

    def load_tables(self) -> IndexTables | None:
        """The cached records and name tables; None when there is no usable cache."""
        tables = self._decode(_decoder)
        if tables is not None and not _consistent(tables):
            log.warning("cache %s has inconsistent tables; ignoring it", self.path)
            return None
        return tables

    def _decode(self, decoder: Any) -> Any:
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_magic()):
            log.info("cache %s has another format; ignoring it", self.path)
            return None
        # Decoding makes a list per record that the cyclic collector would keep traversing
        # while the rest are made (a third of the load time); nothing here can form a cycle.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return decoder.decode(memoryview(data)[len(_magic()) :])
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            log.warning("cache %s is corrupt (%s); ignoring it", self.path, error)
            return None
        finally:
            if was_enabled:
                gc.enable()

    def save(self, records: Iterable[FileRecord]) -> None:
        """Replace the cache with ``records`` atomically; failures are logged, never raised."""
        tables = build_tables(list(records))
        self._write(tables.records, tables.names, tables.symbols)

    def save_records(
        self,
        records: list[FileRecord],
        stored: StoredTables | None,
        encoded: Mapping[str, bytes] | None = None,
    ) -> None:
        """Replace the cache with ``records`` (in path order); the stored name tables are
        written back unchanged when they still hold: the same paths, and every replaced
        record with the same keyword names, qualnames and kinds at the same positions (a
        keyword is a record id and a position in the tables). ``encoded``: records as
        ``encode_record`` made them (by path), written as they are rather than encoded again."""
        if stored is not None and _same_tables(stored.records, records):
            names, symbols = stored.names, stored.symbols
        else:
            tables = build_tables(records)
            names, symbols = tables.names, tables.symbols
        # A record's encoding is the same alone and in the list: msgpack writes a list as its
        # length, then each item's encoding.
        written: list[Any] = records
        if encoded:
            written = [msgspec.Raw(encoded[r.path]) if r.path in encoded else r for r in records]
        self._write(written, names, symbols)

    def save_index(self, index: KeywordIndex) -> None:
        """Replace the cache with every record of ``index`` (its own tables when it can)."""
        tables = index.tables()
        if tables is None:
            tables = build_tables(list(index.records.values()))
        self._write(tables.records, tables.names, tables.symbols)

    def _write(self, records: list[Any], names: Any, symbols: Any) -> None:
        """Write the three parts of ``IndexTables`` (each as a value, or as ``msgspec.Raw``
        holding its encoding)."""
        try:
            replace_file(self.path, _magic(), _encoder.encode([records, names, symbols]))
        except OSError as error:
            log.warning("could not write the cache %s: %s", self.path, error)


def replace_file(path: Path, *parts: bytes) -> None:
    """Write ``parts`` to ``path`` atomically (a temporary file renamed over it), readable by
    the owner only; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
    except BaseException:
        with_suppress_unlink(tmp)
        raise


def _same_tables(old: list[FileRecord], new: list[FileRecord]) -> bool:
    """Whether the name tables of ``old`` are those of ``new`` too."""
    if len(old) != len(new):
        return False
    for before, after in zip(old, new, strict=True):
        if before is after:
            continue
        if before.path != after.path or len(before.keywords) != len(after.keywords):
            return False
        for a, b in zip(before.keywords, after.keywords, strict=True):
            if a.name != b.name or a.qualname != b.qualname or a.kind != b.kind:
                return False
    return True


def _consistent(tables: IndexTables) -> bool:
    """Every code of the name tables points at an existing record (checked at C speed), and
    paths are unique."""
    records = tables.records
    if len({r.path for r in records}) != len(records):
        return False
    if not tables.names:
        return True
    try:
        lowest = min(map(min, tables.names.values()))
        highest = max(map(max, tables.names.values()))
    except ValueError:  # an empty list: never written by kwdocs
        return False
    return lowest >= 0 and highest >> CODE_SHIFT < len(records)


def with_suppress_unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
