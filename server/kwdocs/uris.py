"""``file:`` URIs and file system paths: the one place either is turned into the other."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from urllib.parse import unquote, urlparse


def uri_to_path(uri: object) -> str | None:
    """Absolute, normalised file system path of a ``file:`` URI; None for other schemes,
    non-strings and junk (a NUL byte, an unparsable URI)."""
    if not isinstance(uri, str):
        return None
    try:
        parsed = urlparse(uri)
    except ValueError:
        return None
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if parsed.netloc and parsed.netloc != "localhost":
        path = f"//{parsed.netloc}{path}"  # a UNC share
    if not path or "\x00" in path:
        return None
    return os.path.normpath(path)


@functools.lru_cache(maxsize=1 << 16)
def path_to_uri(path: str | Path) -> str:
    """The ``file:`` URI of a path (made absolute), percent-encoded. Remembered: symbol search
    and definition build the same few thousand URIs again and again, and pathlib costs ~10 µs
    a call."""
    return Path(path).absolute().as_uri()


def file_uri(root: str | Path, rel: str) -> str:
    """The URI of a workspace file given by its root and its ``/``-separated relative path."""
    return path_to_uri(os.path.join(str(root), *rel.split("/")))
