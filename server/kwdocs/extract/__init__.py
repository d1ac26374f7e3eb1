"""Extraction: one file's bytes in, one FileRecord out. Pure: no global state, no LSP, no I/O
beyond reading the one file in ``read_and_extract``."""

from __future__ import annotations

import ast
import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kwdocs.extract.decode import decode, is_binary, normalise_newlines
from kwdocs.extract.languages import (
    DISPLAY_NAMES,
    EXTRAS,
    GRAMMAR_MODULES,
    NativeLanguage,
    extractor,
    grammar_installed,
    native_language,
)
from kwdocs.model import FileRecord, Problem, Skip
from kwdocs.modules import PYTHON_SUFFIXES, dotted_path_module, is_package_file
from kwdocs.textlines import content_lines

if TYPE_CHECKING:
    from kwdocs.extract.pynodes import PythonResult


MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
# Every page kwdocs writes starts with this line: it is how generated pages are recognised
# wherever they lie, so they are never indexed or documented again.
GENERATED_MARKER = "<!-- kwdocs:generated"
_MARKER_BYTES = GENERATED_MARKER.encode()


def language_of(path: str) -> str:
    """``python``, ``markdown``, a tree-sitter language (``c``, ``cpp``, ``cuda``, ``yaml``,
    ``cmake``, ``shell``: ``NativeLanguage``) or ``text``, by file name."""
    lower = path.lower()
    if lower.endswith(PYTHON_SUFFIXES):
        return "python"
    if lower.endswith(MARKDOWN_SUFFIXES):
        return "markdown"
    native = native_language(lower)
    return native.value if native is not None else "text"


def is_generated_page(data: bytes) -> bool:
    """True for a page kwdocs wrote (its first line carries the marker)."""
    return data[:200].lstrip(b"\xef\xbb\xbf").startswith(_MARKER_BYTES)


def digest_of(data: bytes) -> str:
    """Content hash used to confirm cache hits and page freshness."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class Extraction:
    """A record plus what page rendering needs from the same parse."""

    record: FileRecord
    text: str
    tree: ast.Module | None = None
    lines: list[str] = field(default_factory=list)
    """The text's lines (``content_lines``): the page facts read them too."""


def extract_source(
    path: str, data: bytes, mtime_ns: int = 0, module: str | None = None
) -> Extraction:
    """Extract one file's keywords and facts from its bytes; never raises on bad input.

    ``module`` is a Python file's dotted module name (kwdocs.modules.ModuleNamer knows it from
    the folders on disk); None takes every folder of ``path`` for a package."""
    record, text, lines = begin_record(path, data, mtime_ns)
    tree = None
    if record.language == "python":
        if module is None:
            module = dotted_path_module(path)
        result = extract_python(path, text, lines, module)
        fill_python(record, result, module)
        tree = result.tree
    elif record.language == "markdown":
        from kwdocs.extract.markdown import extract_markdown

        try:
            keywords, _title = extract_markdown(text, lines)
        except RecursionError:  # pathological nesting of lists/quotes
            keywords = []
            record.problems = [
                *record.problems,
                Problem("Markdown nested too deeply to analyse", 1),
            ]
        record.keywords = keywords
        record.parser = "markdown-it"
    elif record.language != "text":
        extract_native(record, NativeLanguage(record.language), text, lines)
    return Extraction(record, text, tree, lines)


def extract_native(
    record: FileRecord, language: NativeLanguage, text: str, lines: list[str]
) -> None:
    """Fill a record begun by ``begin_record`` with its tree-sitter language's keywords; a
    file whose grammar is not installed is read as text, with a problem saying why."""
    if not grammar_installed(language):
        module = GRAMMAR_MODULES[language]
        extra = EXTRAS.get(language)
        hint = f" (pip install 'kwdocs[{extra}]')" if extra else ""
        record.language = "text"
        record.problems = [
            *record.problems,
            Problem(
                f"{DISPLAY_NAMES[language]}'s grammar (tree-sitter-{module}) is not installed: "
                f"read as text{hint}"
            ),
        ]
        return
    result = extractor(language)(record.path, text, lines)
    record.keywords = result.keywords
    record.docstring = result.docstring
    record.problems = record.problems + result.problems
    record.parser = result.parser


def begin_record(path: str, data: bytes, mtime_ns: int = 0) -> tuple[FileRecord, str, list[str]]:
    """The record of a file's bytes before its language's extraction (its problems are the
    decoding's), with the decoded, newline-normalised text and its lines."""
    language = language_of(path)
    text, encoding, problems = decode(data, python=language == "python")
    text = normalise_newlines(text)
    lines = content_lines(text)
    record = FileRecord(
        path=path,
        language=language,
        size=len(data),
        mtime_ns=mtime_ns,
        digest=digest_of(data),
        lines=len(lines),
        encoding=encoding,
        problems=problems,
    )
    return record, text, lines


def extract_python(path: str, text: str, lines: list[str], module: str) -> PythonResult:
    """Keywords of one Python file; never raises on bad input. The loader's choice of parser:
    ``ast`` (exact, fast), and parso's error recovery for what ``ast`` rejects."""
    from kwdocs.extract.python import parse_python, walk_python

    parsed = parse_python(path, text, lines)
    if isinstance(parsed, Problem):
        from kwdocs.extract.python_recovery import recover_python

        return recover_python(text, module, is_package_file(path), parsed)
    return walk_python(path, parsed, lines, module)


def fill_python(record: FileRecord, result: PythonResult, module: str) -> None:
    """Put what Python extraction found into a record begun by ``begin_record``."""
    record.module = module
    record.keywords = result.keywords
    record.docstring = result.docstring
    record.all_names = result.all_names
    record.import_lines = result.import_lines
    record.problems = record.problems + result.problems
    record.parser = result.parser


def extract_bytes(
    path: str, data: bytes, mtime_ns: int = 0, module: str | None = None
) -> FileRecord:
    """The FileRecord of one file's bytes."""
    return extract_source(path, data, mtime_ns, module).record


def check_content(path: str, data: bytes) -> Skip | None:
    """A reason to leave these bytes out (binary, generated page), or None."""
    if is_binary(data):
        return Skip(path, "binary file")
    if language_of(path) == "markdown" and is_generated_page(data):
        return Skip(path, "page generated by kwdocs")
    return None


def read_bounded(full_path: str, max_size: int) -> tuple[bytes, int] | str:
    """The bytes and mtime of a regular file no larger than max_size, or why not."""
    try:
        # O_NONBLOCK: opening a FIFO must not hang waiting for a writer.
        fd = os.open(full_path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        return f"unreadable: {error.strerror or error}"
    try:
        st = os.fstat(fd)
        import stat

        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        if st.st_size > max_size:
            return f"larger than the size limit ({st.st_size:,} > {max_size:,} bytes)"
        chunks = []
        remaining = max_size + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_size:  # grew while we read it
            return f"larger than the size limit (> {max_size:,} bytes)"
        return data, st.st_mtime_ns
    except OSError as error:
        return f"unreadable: {error.strerror or error}"
    finally:
        os.close(fd)


def read_and_extract(
    root: str, path: str, max_size: int, module: str | None = None
) -> FileRecord | Skip:
    """Read ``root/path`` and extract it, or say why it is skipped."""
    outcome = read_bounded(os.path.join(root, path), max_size)
    if isinstance(outcome, str):
        return Skip(path, outcome)
    data, mtime_ns = outcome
    skip = check_content(path, data)
    if skip is not None:
        return skip
    return extract_bytes(path, data, mtime_ns, module)
