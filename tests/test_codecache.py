"""The bytecode cache for attrs-generated code: filled on the first start, used on the next,
and a damaged or foreign file is ignored (never loaded, never fatal)."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

from kwdocs.lsp.codecache import cache_file

# A fresh interpreter imports lsprotocol through the cache and prints how many attrs methods it
# still had to compile.
_PROBE = """
import sys
from pathlib import Path
import attr._make
calls = []
real = compile
from kwdocs.lsp import codecache
import builtins
def counting(*args, **kwargs):
    calls.append(args[1])
    return real(*args, **kwargs)
builtins.compile = counting
codecache.import_protocol(Path(sys.argv[1]))
during = [name for name in calls if str(name).startswith("<attrs generated")]
from lsprotocol import types
position = types.Position(line=1, character=2)
assert position == types.Position(line=1, character=2) and repr(position)
print(len(during))
"""


def _start(folder: Path) -> int:
    """attrs compiles done by a fresh interpreter importing lsprotocol through the cache."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(done.stdout.strip())


def test_second_start_compiles_nothing(tmp_path: Path) -> None:
    first = _start(tmp_path)
    assert first > 100  # lsprotocol's classes were compiled and stored
    path = cache_file(tmp_path)
    assert path.is_file()
    assert os.stat(path).st_mode & 0o077 == 0
    with open(path, "rb") as f:
        assert len(marshal.load(f)) >= first
    # Only code whose source differs per process is compiled again (attrs puts a salted
    # string hash into a frozen class's __hash__).
    assert _start(tmp_path) <= 2


def test_corrupt_cache_is_ignored_and_rewritten(tmp_path: Path) -> None:
    path = cache_file(tmp_path)
    path.write_bytes(b"\x00not marshal data")
    path.chmod(0o600)
    assert _start(tmp_path) > 100
    assert _start(tmp_path) <= 2


def test_writable_by_others_is_never_loaded(tmp_path: Path) -> None:
    _start(tmp_path)
    path = cache_file(tmp_path)
    path.chmod(0o666)  # anyone could have put code there
    assert _start(tmp_path) > 100
