"""The placed calls of the last export, kept on disk beside the record cache: the next export
places again only the files that changed or read a record that changed (a re-export with one
file edited places a few dozen files, not the whole workspace).

A placement holds while the workspace has the same files with the same modules (what module
look-ups and ``path in records`` answer) and the file and every record it read keep their
digests (``kwdocs.calls.PlacedFile``). A stale, corrupt or foreign file is ignored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

import msgspec

from kwdocs import __version__
from kwdocs.cache import RecordCache, replace_file
from kwdocs.calls import PlacedFile
from kwdocs.model import RECORD_FORMAT, FileRecord

log = logging.getLogger(__name__)

# Bumped when PlacedFile or the placement rules change (the version covers releases).
CALLS_FORMAT = 1
_MAGIC = f"kwdocs-calls {CALLS_FORMAT}.{RECORD_FORMAT} {__version__}\n".encode()


class _Stored(msgspec.Struct, array_like=True):
    workspace: str
    """``workspace_key`` of the records the calls were placed over."""
    files: dict[str, PlacedFile]


_decoder = msgspec.msgpack.Decoder(_Stored)
_encoder = msgspec.msgpack.Encoder()


def workspace_key(records: Mapping[str, FileRecord]) -> str:
    """A digest of the workspace's files, their modules and languages: what every placement
    depends on besides the records it read."""
    text = "\0".join(f"{p}\1{records[p].module}\1{records[p].language}" for p in sorted(records))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


class CallStore:
    """The stored placed calls of one workspace root (one file beside its record cache)."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.path = RecordCache(root, cache_dir).path.with_suffix(".kwcalls")

    def load(self, workspace: str) -> dict[str, PlacedFile] | None:
        """The stored placements when they were made over the same files and modules."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_MAGIC):
            return None
        try:
            stored = _decoder.decode(memoryview(data)[len(_MAGIC) :])
        except (msgspec.DecodeError, ValueError) as error:
            log.warning("ignoring unreadable call store %s: %s", self.path, error)
            return None
        return stored.files if stored.workspace == workspace else None

    def save(self, workspace: str, placed: Mapping[str, PlacedFile]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(self.path, _MAGIC, _encoder.encode(_Stored(workspace, dict(placed))))
        except OSError as error:
            log.warning("could not write the call store %s: %s", self.path, error)
