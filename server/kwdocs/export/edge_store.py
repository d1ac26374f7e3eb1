"""The files' edges of the last export (``kwdocs.edges``: imports, bases, annotations, placed
calls), kept on disk beside the record cache: the next export works out again only those of
the files that changed or read a record that changed (a re-export with one file edited, a few
dozen files rather than the whole workspace).

Edges hold while the workspace has the same files with the same modules (what module look-ups
and ``path in records`` answer) and the file and every record they read keep their digests
(``FileEdges``). A stale, corrupt or foreign file is ignored.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Mapping
from pathlib import Path

import msgspec

from kwdocs.build_key import build_key
from kwdocs.cache import RecordCache, replace_file
from kwdocs.edge_types import FileEdges
from kwdocs.model import RECORD_FORMAT, FileRecord

log = logging.getLogger(__name__)

# Bumped when FileEdges changes (the build key covers changes of the code).
EDGES_FORMAT = 2


@functools.cache
def _magic() -> bytes:
    """The store's header: edges worked out by another build of kwdocs (other rules) are
    worked out again."""
    return f"kwdocs-edges {EDGES_FORMAT}.{RECORD_FORMAT} {build_key()}\n".encode()


class _Stored(msgspec.Struct, array_like=True):
    workspace: str
    """``workspace_key`` of the records the edges were worked out over."""
    files: dict[str, FileEdges]


_decoder = msgspec.msgpack.Decoder(_Stored)
_encoder = msgspec.msgpack.Encoder()


def workspace_key(records: Mapping[str, FileRecord]) -> str:
    """A digest of the workspace's files, their modules and languages: what every file's
    edges depend on besides the records they read."""
    text = "\0".join(f"{p}\1{records[p].module}\1{records[p].language}" for p in sorted(records))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


class EdgeStore:
    """The stored edges of one workspace root (one file beside its record cache)."""

    def __init__(self, root: Path, cache_dir: Path | None = None) -> None:
        self.path = RecordCache(root, cache_dir).path.with_suffix(".kwedges")

    def load(self, workspace: str) -> dict[str, FileEdges] | None:
        """The stored edges when they were worked out over the same files and modules."""
        try:
            data = self.path.read_bytes()
        except OSError:
            return None
        if not data.startswith(_magic()):
            return None
        try:
            stored = _decoder.decode(memoryview(data)[len(_magic()) :])
        except (msgspec.DecodeError, ValueError) as error:
            log.warning("ignoring unreadable edge store %s: %s", self.path, error)
            return None
        return stored.files if stored.workspace == workspace else None

    def save(self, workspace: str, placed: Mapping[str, FileEdges | msgspec.Raw]) -> None:
        """Store ``placed`` (each file's edges, or their msgpack encoding as it is)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            replace_file(self.path, _magic(), _encoder.encode(_Stored(workspace, dict(placed))))
        except OSError as error:
            log.warning("could not write the edge store %s: %s", self.path, error)
