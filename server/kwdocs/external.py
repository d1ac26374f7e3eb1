"""Modules outside the workspace: the builtins and the standard library, and the packages of the
interpreter kwdocs runs in. Type checkers answer with typeshed's stubs for these; kwdocs reads the
same stubs (the copy jedi ships), then the interpreter's own sources, then its site-packages —
all with kwdocs's own extractor, never by importing anything. Files are read when first asked
for and kept in a small cache."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import logging
import os
import sysconfig
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

import msgspec

from kwdocs.build_key import build_key
from kwdocs.extract import read_bounded
from kwdocs.model import RECORD_FORMAT, FileRecord, decode_record, encode_record
from kwdocs.modules import STDLIB

log = logging.getLogger(__name__)


@functools.cache
def _record_magic() -> bytes:
    """The line a kept record starts with: another build of kwdocs (or record format) reads
    none of them."""
    return f"kwdocs-external {RECORD_FORMAT} {build_key()}\n".encode()


# Records of external files kept at once (typeshed's builtins.pyi is one of them).
_KEPT = 64
_MAX_SIZE = 4_000_000
_STUB_SUFFIXES = ("/__init__.pyi", ".pyi")
_SOURCE_SUFFIXES = ("/__init__.py", ".py")


class SearchRoot(NamedTuple):
    folder: str
    suffixes: tuple[str, ...]
    """The file endings tried there, in order."""
    stdlib: bool
    """Only standard-library modules are looked for here."""


@functools.lru_cache(maxsize=1)
def search_roots() -> tuple[SearchRoot, ...]:
    """Where modules are looked for, in order: typeshed's standard-library stubs, the standard
    library's sources, then site-packages (a stub beside a source first)."""
    roots: list[SearchRoot] = []
    # jedi's folder only: importing it would cost the server ~40 ms and its modules' memory.
    spec = importlib.util.find_spec("jedi")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        typeshed = Path(folder) / "third_party" / "typeshed" / "stdlib"
        if typeshed.is_dir():
            roots.append(SearchRoot(str(typeshed), _STUB_SUFFIXES, True))
            break
    paths = sysconfig.get_paths()
    stdlib = paths.get("stdlib")
    if stdlib and os.path.isdir(stdlib):
        roots.append(SearchRoot(stdlib, _SOURCE_SUFFIXES, True))
    seen = {stdlib}
    for key in ("purelib", "platlib"):
        folder = paths.get(key)
        if folder and folder not in seen and os.path.isdir(folder):
            seen.add(folder)
            roots.append(SearchRoot(folder, _STUB_SUFFIXES + _SOURCE_SUFFIXES, False))
    return tuple(roots)


class _Modules:
    """``file_of`` for external modules, as ModuleTable answers it for the workspace's."""

    def __init__(self, owner: ExternalModules) -> None:
        self.owner = owner

    def file_of(self, module: str, importer: str | None = None) -> str | None:
        return self.owner.file_of(module)

    def is_first_party(self, module: str) -> bool:
        return False


class ExternalModules:
    """The modules kwdocs can read outside the workspace: ``file_of`` finds a module's file,
    ``records`` extracts it (paths are absolute). Thread-safe; one per process is enough."""

    def __init__(
        self, roots: tuple[SearchRoot, ...] | None = None, cache_dir: Path | None = None
    ) -> None:
        self.roots = search_roots() if roots is None else roots
        self.cache_dir = cache_dir
        """Where extracted records are kept across sessions (None: not kept)."""
        self._files: dict[str, str | None] = {}
        self._records: OrderedDict[str, FileRecord] = OrderedDict()
        self._lock = threading.Lock()
        self.modules = _Modules(self)
        self.records: Mapping[str, FileRecord] = _LazyRecords(self)

    def file_of(self, module: str) -> str | None:
        """The file defining a dotted module outside the workspace, or None."""
        if not module or module.startswith("."):
            return None
        found = self._files.get(module, ...)
        if found is not ...:
            return found  # type: ignore[return-value]
        found = self._find(module)
        if len(self._files) > 8192:
            self._files.clear()
        self._files[module] = found
        return found

    def _find(self, module: str) -> str | None:
        stem = module.replace(".", "/")
        stdlib = module.partition(".")[0] in STDLIB
        for root in self.roots:
            if root.stdlib and not stdlib:
                continue
            for suffix in root.suffixes:
                candidate = os.path.join(root.folder, stem + suffix)
                if os.path.isfile(candidate):
                    return candidate
        return None

    def module_of(self, path: str) -> str:
        """The dotted module name of an external file (from where it lies under its root)."""
        for root in self.roots:
            prefix = root.folder.rstrip(os.sep) + os.sep
            if path.startswith(prefix):
                rel = path[len(prefix) :].replace(os.sep, "/")
                for suffix in ("/__init__.pyi", "/__init__.py", ".pyi", ".py"):
                    if rel.endswith(suffix):
                        return rel[: -len(suffix)].replace("/", ".")
        return ""

    def record(self, path: str) -> FileRecord | None:
        """The record of an external file: extracted on first use and kept in the cache
        folder, so a later session reads it back instead of parsing it again (the standard
        library's large modules take tens of milliseconds to parse)."""
        with self._lock:
            found = self._records.get(path)
            if found is not None:
                self._records.move_to_end(path)
                return found
        record = self._stored(path)
        if record is None:
            outcome = read_bounded(path, _MAX_SIZE)
            if isinstance(outcome, str):
                return None
            from kwdocs.extract import extract_bytes

            record = extract_bytes(path, outcome[0], outcome[1], self.module_of(path))
            self._store(record)
        with self._lock:
            self._records[path] = record
            while len(self._records) > _KEPT:
                self._records.popitem(last=False)
        return record

    def _cache_file(self, path: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.blake2b(path.encode("utf-8", "surrogateescape"), digest_size=12)
        return self.cache_dir / "external" / f"{key.hexdigest()}.kwrecord"

    def _stored(self, path: str) -> FileRecord | None:
        """The record kept for ``path``, when the file is unchanged since (size and mtime)."""
        cache_file = self._cache_file(path)
        if cache_file is None:
            return None
        try:
            info = os.stat(path)
            data = cache_file.read_bytes()
        except OSError:
            return None
        if not data.startswith(_record_magic()):
            return None
        try:
            record = decode_record(data[len(_record_magic()) :])
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
        if record.path != path or (record.size, record.mtime_ns) != (
            info.st_size,
            info.st_mtime_ns,
        ):
            return None
        return record

    def _store(self, record: FileRecord) -> None:
        cache_file = self._cache_file(record.path)
        if cache_file is None:
            return
        from kwdocs.cache import replace_file

        try:
            replace_file(cache_file, _record_magic(), encode_record(record))
        except OSError as error:  # a cache that cannot be written costs time, nothing else
            log.debug("could not keep %s: %s", record.path, error)

    def is_stub(self, path: str) -> bool:
        return path.endswith(".pyi")

    def source_of(self, path: str) -> str | None:
        """For a stub of the standard library, the interpreter's source of the same module
        (docstrings live there), when it has one."""
        module = self.module_of(path)
        if not path.endswith(".pyi") or not module:
            return None
        for root in self.roots:
            if root.suffixes is not _SOURCE_SUFFIXES:
                continue
            for suffix in root.suffixes:
                candidate = os.path.join(root.folder, module.replace(".", "/") + suffix)
                if os.path.isfile(candidate):
                    return candidate
        return None

    def full_path(self, path: str) -> str:
        return path

    @property
    def root(self) -> Path:
        return Path(os.sep)


class _LazyRecords(Mapping[str, FileRecord]):
    """``records`` of ExternalModules: each file extracted when first looked up."""

    def __init__(self, owner: ExternalModules) -> None:
        self.owner = owner

    def __getitem__(self, path: str) -> FileRecord:
        record = self.owner.record(path)
        if record is None:
            raise KeyError(path)
        return record

    def get(self, path: str, default: FileRecord | None = None) -> FileRecord | None:  # type: ignore[override]
        return self.owner.record(path) or default

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and os.path.isabs(path) and os.path.isfile(path)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@functools.lru_cache(maxsize=1)
def external_modules() -> ExternalModules:
    """The process's one ExternalModules, keeping records in the user's cache folder."""
    from kwdocs.cache import default_cache_dir

    return ExternalModules(cache_dir=default_cache_dir())


def builtin_doc(name: str) -> str:
    """The docstring of a builtin of the running interpreter (``len``, ``list``), read from the
    object itself: builtins are part of the interpreter, not of any workspace."""
    import builtins
    import inspect

    value = getattr(builtins, name, None)
    return (inspect.getdoc(value) or "") if value is not None else ""
