"""A persistent cache of the bytecode attrs generates while lsprotocol is imported.

lsprotocol defines ~570 attrs classes; attrs writes their ``__init__``/``__eq__``/... as
source and compiles it on every import, which is ~40% of the server's start-up time. The
compiled code is a pure function of (source, file name, Python version), so it is kept on disk
like a ``.pyc``, keyed by a hash of both, and loaded with marshal on the next start."""

from __future__ import annotations

import builtins
import contextlib
import hashlib
import importlib.util
import logging
import marshal
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import CodeType
from typing import Any

log = logging.getLogger(__name__)

# Past this many entries (several lsprotocol/attrs upgrades) the cache starts over.
_MAX_ENTRIES = 5000


def cache_file(folder: Path) -> Path:
    """The cache file for this Python's bytecode format."""
    return folder / f"attrs-code-{importlib.util.MAGIC_NUMBER.hex()}.marshal"


def _trusted(path: Path) -> bool:
    """Only a file of ours that nobody else may write is loaded: marshal data is code."""
    try:
        info = path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


def _load(path: Path) -> dict[bytes, CodeType]:
    if not _trusted(path):
        return {}
    try:
        with open(path, "rb") as f:
            codes = marshal.load(f)
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(codes, dict):
        return {}
    return {k: v for k, v in codes.items() if isinstance(k, bytes) and isinstance(v, CodeType)}


def _save(path: Path, codes: dict[bytes, CodeType]) -> None:
    from kwdocs.cache import replace_file

    try:
        replace_file(path, marshal.dumps(codes))
    except OSError as error:
        log.debug("could not write %s: %s", path, error)


@contextlib.contextmanager
def cached_attrs_code(folder: Path) -> Iterator[None]:
    """Within the block, attrs' ``compile`` calls are served from (and added to) the cache."""
    try:
        import attr._make as attrs_make
    except ImportError:
        yield
        return
    path = cache_file(folder)
    codes = _load(path)
    if len(codes) > _MAX_ENTRIES:
        codes = {}
    added = 0
    real_compile = builtins.compile

    def compile_cached(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
        nonlocal added
        if args or kwargs or mode != "exec" or not isinstance(source, str):
            return real_compile(source, filename, mode, *args, **kwargs)
        key = hashlib.blake2b(
            f"{filename}\0{source}".encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        code = codes.get(key)
        if code is None:
            code = codes[key] = real_compile(source, filename, mode)
            added += 1
        return code

    # A module global shadows the builtin for attrs' own calls only.
    attrs_make.compile = compile_cached  # type: ignore[attr-defined]
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError):
            del attrs_make.compile  # type: ignore[attr-defined]
        # A frozen class's __hash__ embeds a per-process salted hash: one or two misses on
        # every start are expected and not worth rewriting the file for.
        if added > 2 or (added and len(codes) == added):
            _save(path, codes)


def import_protocol(folder: Path | None) -> None:
    """Import lsprotocol's types (and pygls) with attrs' bytecode cached in ``folder``."""
    if folder is None:
        import lsprotocol.types
        import pygls.lsp.server

        return
    with cached_attrs_code(folder):
        import lsprotocol.types  # noqa: F401
        import pygls.lsp.server  # noqa: F401
