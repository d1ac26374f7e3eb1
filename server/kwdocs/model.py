"""Plain, serialisable records: what extraction produces and the cache, workers and index carry."""

from __future__ import annotations

import msgspec

# Record format version: bump whenever a field below changes meaning, so caches of an older
# format are discarded instead of misread.
RECORD_FORMAT = 3

# Keyword kinds, and the page group each belongs to (in page order).
KIND_GROUPS: dict[str, str] = {
    "class": "Classes",
    "function": "Functions",
    "method": "Methods",
    "property": "Methods",
    "constant": "Constants",
    "variable": "Variables",
    "module": "Imports",
    "import": "Imports",
    "heading": "Headings",
    "identifier": "Identifiers",
}
GROUP_ORDER = (
    "Classes",
    "Functions",
    "Methods",
    "Constants",
    "Variables",
    "Imports",
    "Headings",
    "Identifiers",
)
# Kinds that define something (symbol search lists these; imports only point elsewhere).
DEFINITION_KINDS = frozenset({"class", "function", "method", "property", "constant", "variable"})


class Keyword(msgspec.Struct, frozen=True, gc=False, array_like=True, omit_defaults=True):
    """One definition, import or heading of a file."""

    name: str
    """The name as written at its definition (for a dotted module import, the dotted name)."""
    qualname: str
    """Qualified name in the file: ``Class.method``, ``outer.inner``; the name at top level."""
    kind: str
    """One of the keys of KIND_GROUPS."""
    line: int
    """1-based line of the name."""
    col: int
    """0-based column of the name, in code points."""
    end_col: int
    """0-based column just past the name, in code points (on ``line``)."""
    end_line: int
    """1-based last line of the whole definition (its body included)."""
    signature: str = ""
    summary: str = ""
    """First paragraph of the docstring, whitespace-normalised."""
    target: str = ""
    """Imports: the absolute dotted name imported (``os.path.join``); relative imports resolved."""
    alias: str = ""
    """Imports: the local name bound by ``as``."""
    bases: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()


class Finding(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """A fact about a line: a risky call, a detected idiom."""

    code: str
    line: int
    message: str


class Problem(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """Something wrong with the input that the page states (syntax error, undecodable bytes)."""

    message: str
    line: int = 0
    col: int = 0


class FileRecord(msgspec.Struct, gc=False, omit_defaults=True):
    """Everything extraction learns from one file; a pure function of its bytes and path."""

    path: str
    """Path relative to the workspace root, with forward slashes."""
    language: str
    """``python``, ``markdown`` or ``text``."""
    size: int
    mtime_ns: int = 0
    digest: str = ""
    """blake2b of the bytes, hex: confirms a cache hit when mtime moved."""
    lines: int = 0
    encoding: str = "utf-8"
    module: str = ""
    """Dotted module name derived from the path (Python files)."""
    docstring: str = ""
    keywords: list[Keyword] = []
    all_names: list[str] | None = None
    """The module's ``__all__``, when it is a literal list or tuple of strings."""
    problems: list[Problem] = []
    parser: str = ""
    """Which parser produced the keywords: ``ast``, ``parso`` (error recovery), ``markdown-it``."""

    def definitions(self) -> list[Keyword]:
        """Keywords that define something (no imports, headings or identifiers)."""
        return [k for k in self.keywords if k.kind in DEFINITION_KINDS]


class Skip(msgspec.Struct, frozen=True):
    """A file discovery or extraction left out, and why."""

    path: str
    reason: str


_encoder = msgspec.msgpack.Encoder()
_record_decoder = msgspec.msgpack.Decoder(FileRecord)


def encode_record(record: FileRecord) -> bytes:
    """Serialise a record (msgpack): how workers and the cache carry it."""
    return _encoder.encode(record)


def decode_record(data: bytes) -> FileRecord:
    """Inverse of encode_record."""
    return _record_decoder.decode(data)
