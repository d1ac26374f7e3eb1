"""Definition answers made comparable across servers.

Inside the workspace a target is (relative path, line). Outside it the servers read different
copies of typeshed or of the standard library (bundled with each, at other line numbers), so a
target there is (module, identifier at the target): ``builtins.len`` whether it came from
basedpyright's ``typeshed-fallback/stdlib/builtins.pyi`` or jedi's copy."""

from __future__ import annotations

import io
import re
import sysconfig
import tokenize
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

# Path parts after which a module path starts: typeshed's stdlib folder, installed packages,
# an interpreter's library folder (lib/python3.11), pyrefly's unpacked typeshed.
_ROOT_MARKERS = re.compile(
    r"stdlib|site-packages|dist-packages|python\d+\.\d+"
    r"|pyrefly_bundled_typeshed_\w+|pyrefly_bundled_third_party_\w+"
)
_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
# Words a declaration starts with: the name that follows is the target's identifier.
MODULE = "<module>"
_DECLARATION_WORDS = frozenset({"def", "class", "async", "import", "from"})


@dataclass(frozen=True, order=True)
class Target:
    """Where a definition answer points, normalised (see the module docstring)."""

    inside: bool
    where: str  # workspace-relative path (inside) or module name (outside)
    line: int  # 1-based; kept outside for display, not compared
    name: str  # the identifier at the target ("" when there is none)

    @property
    def key(self) -> tuple[str, str]:
        """What two answers must share to agree."""
        return (self.where, str(self.line)) if self.inside else (self.where, self.name)

    def __str__(self) -> str:
        if self.inside:
            return f"{self.where}:{self.line}" + (f" ({self.name})" if self.name else "")
        return f"<{self.where}> {self.name}"

    def as_json(self) -> list[Any]:
        return [self.inside, self.where, self.line, self.name]

    @classmethod
    def from_json(cls, data: list[Any]) -> Target:
        return cls(bool(data[0]), str(data[1]), int(data[2]), str(data[3]))


def keys(targets: list[Target]) -> frozenset[tuple[str, str]]:
    return frozenset(t.key for t in targets)


def path_of(uri: str) -> Path:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path))


def module_of(path: Path) -> str:
    """A dotted module name for a file outside the workspace, from its path's tail."""
    parts = list(path.parts)
    start = None
    for i, part in enumerate(parts[:-1]):
        if _ROOT_MARKERS.fullmatch(part):
            start = i + 1  # the last marker wins (a venv's site-packages inside a stdlib copy)
        elif part == "stubs" and i + 2 < len(parts):
            start = i + 2  # typeshed's third-party stubs: stubs/<distribution>/<module>
    if start is None:
        resolved = path.resolve()
        if resolved.is_relative_to(_STDLIB):
            tail = list(resolved.relative_to(_STDLIB).parts)
        else:
            tail = parts[-2:]
    else:
        tail = parts[start:]
    # jedi's older typeshed layout: stdlib/3/, stdlib/2and3/, stdlib/3.7/
    while len(tail) > 1 and tail[0][:1].isdigit():
        tail = tail[1:]
    if not tail:
        return path.stem
    last = tail[-1]
    for suffix in (".pyi", ".py"):
        if last.endswith(suffix):
            last = last[: -len(suffix)]
    tail = [*tail[:-1], last]
    if tail[-1] == "__init__" and len(tail) > 1:
        tail = tail[:-1]
    tail[0] = tail[0].removesuffix("-stubs")
    return ".".join(tail)


@lru_cache(maxsize=4096)
def _lines(path: Path) -> tuple[str, ...]:
    try:
        return tuple(path.read_text(encoding="utf-8", errors="replace").splitlines())
    except OSError:
        return ()


def _code_points(text: str, utf16: int) -> int:
    """A UTF-16 column of ``text`` as a code-point index."""
    units = 0
    for i, ch in enumerate(text):
        if units >= utf16:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def identifier_at(line_text: str, column: int) -> str:
    """The identifier the target points at: the NAME token covering ``column``, or the first
    one from there; past a declaration word (``def``, ``class``, ``import`` ...) the name it
    declares."""
    names: list[tuple[int, int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(line_text.lstrip() + "\n").readline):
            if token.type == tokenize.NAME:
                offset = len(line_text) - len(line_text.lstrip())
                names.append((token.start[1] + offset, token.end[1] + offset, token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    for _start, end, name in names:
        if end > column and name not in _DECLARATION_WORDS:
            return name
    return ""


def normalise(root: Path, uri: str, line: int, character: int) -> Target:
    """One location (0-based line, UTF-16 character) as a Target."""
    path = path_of(uri)
    lines = _lines(path)
    text = lines[line] if 0 <= line < len(lines) else ""
    # The start of a file is the module itself, not the first name written in it.
    name = (
        MODULE
        if line == 0 and character == 0
        else identifier_at(text, _code_points(text, character))
    )
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return Target(False, module_of(path), line + 1, name)
    return Target(True, relative.as_posix(), line + 1, name)


def from_definition(root: Path, result: Any) -> list[Target]:
    """Every target of a textDocument/definition result (Location, Location[], LocationLink[]
    or null), sorted, without duplicates."""
    if not result:
        return []
    items = result if isinstance(result, list) else [result]
    found: set[Target] = set()
    for item in items:
        if "targetUri" in item:
            uri = item["targetUri"]
            where = item.get("targetSelectionRange") or item["targetRange"]
        else:
            uri = item["uri"]
            where = item["range"]
        start = where["start"]
        found.add(normalise(root, uri, start["line"], start["character"]))
    return sorted(found)


def from_path_line(root: Path, path: str, line: int) -> Target:
    """A target given as ``path:line`` (kwdocs's hover), workspace-relative or absolute."""
    absolute = Path(path) if Path(path).is_absolute() else root / path
    lines = _lines(absolute)
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return normalise(root, absolute.as_uri(), line - 1, len(text) - len(text.lstrip()))
