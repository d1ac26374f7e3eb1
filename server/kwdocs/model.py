"""Plain, serialisable records: what extraction produces and the cache, workers and index carry."""

from __future__ import annotations

import enum

import msgspec

# Record format version: bump whenever a field below changes meaning, so caches of an older
# format are discarded instead of misread.
RECORD_FORMAT = 10


class Kind(str, enum.Enum):
    """What a keyword is. A ``str`` enum: records carry the plain value, so caches, pages and
    JSON output read the same as before, and a kind compares equal to its value."""

    # Python
    CLASS = "class"
    FUNCTION = "function"
    METHOD = "method"
    PROPERTY = "property"
    ATTRIBUTE = "attribute"
    """A name given a value or an annotation in a class body (fields, enum members)."""
    CONSTANT = "constant"
    VARIABLE = "variable"
    MODULE = "module"
    """An ``import m`` or the module part of ``from m import x``."""
    IMPORT = "import"
    """A name taken by ``from m import x``."""
    # Markdown
    HEADING = "heading"
    IDENTIFIER = "identifier"
    """An inline-code identifier of a Markdown file: a mention, not a definition."""
    # C, C++, CUDA
    NAMESPACE = "namespace"
    STRUCT = "struct"
    UNION = "union"
    ENUM = "enum"
    ENUMERATOR = "enumerator"
    TYPEDEF = "typedef"
    MACRO = "macro"
    KERNEL = "kernel"
    """A CUDA ``__global__`` function."""
    INCLUDE = "include"
    """An ``#include``: the import of the C family."""
    # YAML, CMake
    KEY = "key"
    TARGET = "target"

    __str__ = str.__str__
    __format__ = str.__format__


# The page group of each kind (in page order).
KIND_GROUPS: dict[str, str] = {
    Kind.NAMESPACE: "Namespaces",
    Kind.CLASS: "Classes",
    Kind.STRUCT: "Classes",
    Kind.UNION: "Classes",
    Kind.ENUM: "Classes",
    Kind.FUNCTION: "Functions",
    Kind.KERNEL: "Functions",
    Kind.METHOD: "Methods",
    Kind.PROPERTY: "Methods",
    Kind.ATTRIBUTE: "Attributes",
    Kind.ENUMERATOR: "Attributes",
    Kind.CONSTANT: "Constants",
    Kind.MACRO: "Constants",
    Kind.TYPEDEF: "Types",
    Kind.VARIABLE: "Variables",
    Kind.KEY: "Keys",
    Kind.TARGET: "Targets",
    Kind.MODULE: "Imports",
    Kind.IMPORT: "Imports",
    Kind.INCLUDE: "Imports",
    Kind.HEADING: "Headings",
    Kind.IDENTIFIER: "Identifiers",
}
GROUP_ORDER = (
    "Namespaces",
    "Classes",
    "Functions",
    "Methods",
    "Attributes",
    "Constants",
    "Types",
    "Variables",
    "Keys",
    "Targets",
    "Imports",
    "Headings",
    "Identifiers",
)
# Kinds that define something (symbol search lists these; imports only point elsewhere).
DEFINITION_KINDS = frozenset(
    {
        Kind.CLASS,
        Kind.FUNCTION,
        Kind.METHOD,
        Kind.PROPERTY,
        Kind.ATTRIBUTE,
        Kind.CONSTANT,
        Kind.VARIABLE,
        Kind.NAMESPACE,
        Kind.STRUCT,
        Kind.UNION,
        Kind.ENUM,
        Kind.ENUMERATOR,
        Kind.TYPEDEF,
        Kind.MACRO,
        Kind.KERNEL,
        Kind.KEY,
        Kind.TARGET,
    }
)
# Kinds that point at another file or module rather than define something.
IMPORT_KINDS = frozenset({Kind.MODULE, Kind.IMPORT, Kind.INCLUDE})


class Keyword(msgspec.Struct, frozen=True, gc=False, array_like=True, omit_defaults=True):
    """One definition, import or heading of a file."""

    name: str
    """The name as written at its definition (for a dotted module import, the dotted name)."""
    qualname: str
    """Qualified name in the file: ``Class.method``, ``outer.inner``; the name at top level."""
    kind: Kind
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
    """The first sentence of the docstring's opening paragraph as written (reST kept: render it
    with ``render.docstrings.inline_markdown``); for a class attribute, its comment's."""
    target: str = ""
    """Imports: the absolute dotted name imported (``os.path.join``); relative imports resolved.
    Python module-level variables and constants assigned a plain dotted name (an alias,
    ``f = _utils.collate.f``; at the name's first assignment): that name as written
    (``resolve.alias_of`` follows it)."""
    alias: str = ""
    """Imports: the local name bound by ``as``; ``*`` (STAR) on the module of a star import."""
    bases: tuple[str, ...] = ()
    decorators: tuple[str, ...] = ()
    declaration: bool = False
    """C family: a declaration that is not also the definition (a prototype, an ``extern``
    variable, a pure virtual method); go to definition looks for the keyword of the same
    qualname without it."""
    calls: str = ""
    """Python functions and methods: the distinct callees of the body as written, in order,
    space-separated (``kwdocs.facts`` writes them, ``kwdocs.calls`` resolves them): ``name``
    or ``name.attr`` (looked up from the function's scope outwards), ``self.m`` (a method of
    the enclosing class, whatever the receiver is called), ``super().m``, ``:pkg.mod.f``
    (through an import inside the function, absolute). Only read with the page facts:
    ``FileRecord.calls_known`` says whether they were."""
    unresolved_calls: int = 0
    """Calls of the body whose callee only inference could tell: on a local variable or
    parameter, on a call's result or a subscript, on an attribute of ``self``'s attribute."""


# The alias of the module keyword of ``from m import *``: every public name of m is bound.
STAR = "*"


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
    """``python``, ``markdown``, ``c``, ``cpp``, ``cuda``, ``yaml``, ``cmake``, ``shell`` or
    ``text`` (also a file of those languages whose grammar is not installed)."""
    size: int
    mtime_ns: int = 0
    digest: str = ""
    """blake2b of the bytes, hex: confirms a cache hit when mtime moved."""
    lines: int = 0
    encoding: str = "utf-8"
    module: str = ""
    """Dotted module name derived from the path (Python files)."""
    docstring: str = ""
    """The module docstring (Python); the leading comment block (C family)."""
    keywords: list[Keyword] = []
    all_names: list[str] | None = None
    """The module's ``__all__``, when it is a literal list or tuple of strings."""
    problems: list[Problem] = []
    parser: str = ""
    """Which parser produced the keywords: ``ast``, ``parso`` (error recovery), ``markdown-it``,
    ``tree-sitter-<grammar>``."""
    import_lines: list[int] = []
    """Python: the first line of each import statement whose module keyword the keywords leave
    out (the same module, as written, is imported before) though they keep names it imports
    (``import torch`` then ``from torch import Tensor``): with the module keywords' lines, the
    line of the statement of every imported name (kwdocs.resolve.import_facts)."""
    calls_known: bool = False
    """True when the calls of its functions were read into the keywords (``Keyword.calls``):
    an export reads them in the same walk as its page facts; the language server's indexing
    does not (it has no use for them), so its records leave them out."""

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
