"""What made a stored result: this kwdocs (its version and a digest of its own source files)
and the optional grammars installed. Every store keyed by it — the record cache, the edge store,
the records of external modules, the pages' fingerprints — makes its results again when it
changes: a checkout or an install between two releases changes the code without changing
``__version__``, and a grammar installed later changes the records of its language, so
neither may leave results of the old code in place."""

from __future__ import annotations

import functools
import hashlib
import os

from kwdocs import __version__
from kwdocs.extract.languages import grammars_key


@functools.cache
def code_digest() -> str:
    """A digest of every Python file of the kwdocs package (names and contents): ~100 files,
    read once per process in a few milliseconds."""
    package = os.path.dirname(os.path.abspath(__file__))
    digest = hashlib.blake2b(digest_size=8)
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(folder, name)
            digest.update(os.path.relpath(path, package).encode("utf-8", "surrogateescape"))
            digest.update(b"\0")
            try:
                with open(path, "rb") as file:
                    digest.update(file.read())
            except OSError:  # unreadable: its name alone still tells this build from others
                pass
            digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def build_key() -> str:
    """The version, the code digest and the grammars installed, as one line of text."""
    return f"{__version__} {code_digest()} [{grammars_key()}]"
