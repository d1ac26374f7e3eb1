"""Incremental extraction of an edited Python buffer: only the top-level statements an edit
touches are parsed again; the keywords of the others are kept (their lines shifted) and the
record is put together again. The result is always what ``extract_source`` gives for the same
bytes: whenever that is not clearly so, the whole buffer is extracted again."""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field

from msgspec.structs import replace

from kwdocs.extract import begin_record, extract_source, fill_python, language_of
from kwdocs.extract.pynodes import (
    DocUpdate,
    ImportDeduper,
    PythonResult,
    apply_attribute_docstrings,
    apply_doc_updates,
    attribute_docstrings,
    no_alias,
    summarise,
)
from kwdocs.extract.python import _AstWalker, _Lines, parse_python, walk_python
from kwdocs.extract.python_recovery import recover_python
from kwdocs.model import FileRecord, Keyword
from kwdocs.modules import dotted_path_module, is_package_file

_IMPORT_KINDS = ("module", "import")
_NAME_KINDS = ("constant", "variable")


@dataclass
class Segment:
    """Top-level statements sharing no line with others (``a = 1; b = 2`` is one segment) and
    what the walker found in them, imports and module names not yet deduplicated."""

    start: int
    """1-based first line (a decorator's, for decorated definitions)."""
    end: int
    """1-based last line."""
    keywords: list[Keyword]
    all_updates: list[tuple[bool, list[str]]]
    docstring: str | None
    """The cleaned docstring when the first statement is a string literal (the module's
    docstring when this segment comes first)."""
    head: Keyword | None = None
    """A class alone in its segment: its keyword (``keywords`` is it, then its members')."""
    members: list[Segment] | None = None
    """A class alone in its segment: the segments of its body, so that an edit inside one
    method re-parses that method only."""
    indent: str = ""
    """The whitespace before the class's body statements."""
    doc_updates: list[DocUpdate] = field(default_factory=list)
    """The docstrings its statements assign (``_AstWalker.doc_updates``)."""

    def shifted(self, delta: int) -> Segment:
        """The same statements ``delta`` lines further down."""
        if not delta:
            return self
        if self.head is not None and self.members is not None:
            head = replace(
                self.head, line=self.head.line + delta, end_line=self.head.end_line + delta
            )
            return _class_segment(
                self.start + delta,
                self.end + delta,
                head,
                [m.shifted(delta) for m in self.members],
                self.indent,
            )
        keywords = [
            replace(k, line=k.line + delta, end_line=k.end_line + delta) for k in self.keywords
        ]
        return Segment(
            self.start + delta,
            self.end + delta,
            keywords,
            self.all_updates,
            self.docstring,
            doc_updates=_shifted_updates(self.doc_updates, delta),
        )


def _shifted_updates(updates: list[DocUpdate], delta: int) -> list[DocUpdate]:
    return [(name, line + delta, text) for name, line, text in updates] if delta else updates


def _class_segment(
    start: int, end: int, head: Keyword, members: list[Segment], indent: str
) -> Segment:
    keywords = [head]
    updates: list[DocUpdate] = []
    for member in members:
        keywords += member.keywords
        updates += member.doc_updates
    return Segment(start, end, keywords, [], None, head, members, indent, updates)


def _span(node: ast.stmt) -> tuple[int, int]:
    start = node.lineno
    decorators = getattr(node, "decorator_list", None)
    if decorators:
        start = min(start, *(d.lineno for d in decorators))
    return start, node.end_lineno or node.lineno


def _docstring(node: ast.stmt) -> str | None:
    value = node.value if isinstance(node, ast.Expr) else None
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return ast.get_docstring(ast.Module(body=[node], type_ignores=[]))
    return None


def segments_of(
    body: list[ast.stmt], walker: _AstWalker, scope: str = "", kind: str = "module"
) -> list[Segment]:
    """The segments of a body's statements (lines as the tree gives them)."""
    segments: list[Segment] = []
    for node in body:
        start, end = _span(node)
        first_keyword = len(walker.keywords)
        first_update = len(walker.all_updates)
        first_doc = len(walker.doc_updates)
        walker.walk([node], scope, kind)
        keywords = walker.keywords[first_keyword:]
        updates = walker.all_updates[first_update:]
        docs = walker.doc_updates[first_doc:]
        if segments and start <= segments[-1].end:
            last = segments[-1]
            last.end = max(last.end, end)
            last.keywords = last.keywords + keywords
            last.all_updates = last.all_updates + updates
            last.doc_updates = last.doc_updates + docs
            last.head = last.members = None
            continue
        segment = Segment(start, end, keywords, updates, _docstring(node), doc_updates=docs)
        if kind == "module" and isinstance(node, ast.ClassDef) and node.body[0].lineno > start:
            text = walker.lines.text(node.body[0].lineno)
            segment.head = keywords[0]
            segment.members = _members(node.body, keywords[1:], docs)
            segment.indent = text[: len(text) - len(text.lstrip())]
        segments.append(segment)
    if kind == "class":
        # An attribute's summary may be the string after it (as ``_AstWalker._class`` reads).
        documented = attribute_docstrings(body)
        if documented:
            for segment in segments:
                apply_attribute_docstrings(segment.keywords, 0, scope, documented)
    return segments


def _members(body: list[ast.stmt], keywords: list[Keyword], docs: list[DocUpdate]) -> list[Segment]:
    """The segments of a class body, its keywords and docstring assignments shared out by
    line (walk order is line order)."""
    members: list[Segment] = []
    for node in body:
        start, end = _span(node)
        if members and start <= members[-1].end:
            members[-1].end = max(members[-1].end, end)
            continue
        members.append(Segment(start, end, [], [], _docstring(node)))
    at = 0
    for member in members:
        begin = at
        while at < len(keywords) and keywords[at].line <= member.end:
            at += 1
        member.keywords = keywords[begin:at]
        member.doc_updates = [d for d in docs if member.start <= d[1] <= member.end]
    return members


def assemble(segments: list[Segment]) -> PythonResult:
    """The file's result from its segments: repeated imports and module names dropped as the
    walker drops them, ``__all__`` as its assignments leave it."""
    keywords: list[Keyword] = []
    imports = ImportDeduper()
    seen_names: dict[str, int] = {}
    all_names: list[str] | None = None
    docs: list[DocUpdate] = []
    for segment in segments:
        docs += segment.doc_updates
        found = segment.keywords
        at, count = 0, len(found)
        while at < count:
            keyword = found[at]
            kind = keyword.kind
            if kind in _IMPORT_KINDS:
                # One statement: a module keyword, then the names its ``from`` imports (the
                # walker keeps them in this order).
                end = at + 1
                while end < count and found[end].kind == "import":
                    end += 1
                keywords += imports.keep(found[at:end])
                at = end
                continue
            at += 1
            if kind in _NAME_KINDS:
                first = seen_names.get(keyword.name)
                if first is not None:
                    if keywords[first].target:  # assigned again: no alias
                        keywords[first] = no_alias(keywords[first])
                    continue
                seen_names[keyword.name] = len(keywords)
            keywords.append(keyword)
        for augmented, strings in segment.all_updates:
            all_names = (all_names or []) + strings if augmented else list(strings)
    docstring = (segments[0].docstring or "") if segments else ""
    keywords = apply_doc_updates(keywords, docs)
    return PythonResult(
        keywords=keywords, docstring=docstring, all_names=all_names, import_lines=imports.lines
    )


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix (a binary search of C-speed slice compares)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[low:mid] == b[low:mid]:
            low = mid
        else:
            high = mid - 1
    return low


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    low, high = 0, min(limit, len(a), len(b))
    size_a, size_b = len(a), len(b)
    while low < high:
        mid = (low + high + 1) // 2
        if a[size_a - mid : size_a - low] == b[size_b - mid : size_b - low]:
            low = mid
        else:
            high = mid - 1
    return low


def changed_lines(old: str, new: str, old_count: int, new_count: int) -> tuple[int, int]:
    """(k, m): the first k lines and the last m lines of two texts are the same (lines as
    ``textlines.content_lines`` gives them; ``*_count`` their numbers)."""
    prefix = _common_prefix(old, new)
    k = old.count("\n", 0, prefix)  # lines whose end lies in the common prefix
    suffix = _common_suffix(old, new, min(len(old), len(new)) - prefix)
    # A line is the same in both when its whole text and the line end before it lie in the
    # common suffix: the line ends in the suffix, but not the one ending the text.
    m = old.count("\n", len(old) - suffix) if suffix else 0
    if m and old.endswith("\n"):
        m -= 1
    m = max(0, min(m, old_count - k, new_count - k))
    return k, m


def _unsafe_start(text: str, lines: list[str], start_line: int) -> str:
    """Why a region starting at ``start_line`` (1-based) cannot be parsed on its own, or ""."""
    if start_line > 1 and lines[start_line - 2].endswith("\\"):
        # The line before may continue into the region (a backslash before a blank line).
        return "line continuation"
    future = text.rfind("__future__")
    if future >= 0 and text.count("\n", 0, future) >= start_line - 1:
        # Future imports must come first: whether they do depends on what precedes them.
        return "future import"
    return ""


def _end_of(segment: Segment) -> int:
    return segment.end


class IncrementalExtractor:
    """Extracts successive versions of one buffer; for Python, the previous version's
    segments let an edit re-parse only the statements it touched."""

    def __init__(self, path: str, module: str | None = None) -> None:
        self.path = path
        self.module = dotted_path_module(path) if module is None else module
        self.python = language_of(path) == "python"
        self._text: str | None = None
        self._lines: list[str] = []
        self._segments: list[Segment] | None = None
        self.last = ""
        """How the last extraction went: ``full``, ``incremental`` or why not incremental."""

    def extract(self, data: bytes, mtime_ns: int = 0) -> FileRecord:
        """The record of the buffer's bytes, equal to ``extract_source(path, data).record``."""
        if not self.python:
            self.last = "full"
            return extract_source(self.path, data, mtime_ns, self.module).record
        record, text, lines = begin_record(self.path, data, mtime_ns)
        result = None
        self.last = "full"
        if self._segments is not None and self._text is not None:
            result = self._incremental(text, lines)
        if result is None:
            result = self._full(text, lines)
        elif self.last == "full":
            self.last = "incremental"
        fill_python(record, result, self.module)
        return record

    def _full(self, text: str, lines: list[str]) -> PythonResult:
        self._text, self._lines, self._segments = text, lines, None
        parsed = parse_python(self.path, text, lines)
        if isinstance(parsed, ast.Module):
            walker = self._walker(_Lines(lines))
            try:
                self._segments = segments_of(parsed.body, walker)
            except RecursionError:  # the plain walker says what it could not analyse
                return walk_python(self.path, parsed, lines, self.module)
            return assemble(self._segments)
        return recover_python(text, self.module, is_package_file(self.path), parsed)

    def _walker(self, lines: _Lines) -> _AstWalker:
        """A statement walker for this buffer that keeps repeats (``assemble`` drops them)."""
        return _AstWalker(lines, self.module, is_package_file(self.path), dedupe=False)

    def _incremental(self, text: str, lines: list[str]) -> PythonResult | None:
        """The result from the changed statements alone, or None (``last`` says why) when a
        full extraction is needed."""
        old, old_lines, segments = self._text, self._lines, self._segments
        assert old is not None and segments is not None
        if "barry_as_FLUFL" in text:  # a __future__ import that changes how all is parsed
            self.last = "future import"
            return None
        k, m = changed_lines(old, text, len(old_lines), len(lines))
        delta = len(lines) - len(old_lines)
        last_changed = len(old_lines) - m  # 1-based last changed old line (k when none)
        # The statements the changed lines [k + 1, last_changed] touch, or that span the
        # boundary between lines k and k + 1 (a pure insertion there).
        first = bisect.bisect_left(segments, k + 1, key=_end_of)
        stop = first
        while stop < len(segments) and segments[stop].start <= max(last_changed, k):
            stop += 1
        # Inside a class's body, or in the lines after it (a method added at its end).
        at = first if stop == first + 1 else first - 1 if stop == first and first else -1
        if at >= 0 and segments[at].members:
            inside = self._in_class(segments[at], text, lines, k, last_changed, delta)
            if inside is not None:
                self.last = "class body"
                updated = [*segments[:at], inside, *(s.shifted(delta) for s in segments[at + 1 :])]
                self._text, self._lines, self._segments = text, lines, updated
                return assemble(updated)
        start_line = min(k + 1, segments[first].start) if stop > first else k + 1
        end_line = max(last_changed, segments[stop - 1].end) if stop > first else last_changed
        new_end = end_line + delta
        unsafe = _unsafe_start(text, lines, start_line)
        if unsafe:
            self.last = unsafe
            return None
        region = lines[start_line - 1 : new_end]
        source = "\n".join(region) + "\n" if region else ""
        parsed = parse_python(self.path, source, region)
        if not isinstance(parsed, ast.Module):
            self.last = "syntax error"
            return None
        offset = start_line - 1
        walker = self._walker(_Lines(lines, offset))
        try:
            fresh = [s.shifted(offset) for s in segments_of(parsed.body, walker)]
        except RecursionError:
            self.last = "nested too deeply"
            return None
        updated = segments[:first] + fresh + [s.shifted(delta) for s in segments[stop:]]
        self._text, self._lines, self._segments = text, lines, updated
        return assemble(updated)

    def _in_class(
        self, segment: Segment, text: str, lines: list[str], k: int, last_changed: int, delta: int
    ) -> Segment | None:
        """The class segment after an edit inside its body, re-parsing only the body
        statements the edit touches (under a stand-in ``class`` line); None when the edit is
        not clearly inside the body."""
        members, head = segment.members, segment.head
        if not members or head is None:
            return None
        if k + 1 < members[0].start:
            return None
        first = bisect.bisect_left(members, k + 1, key=_end_of)
        stop = first
        while stop < len(members) and members[stop].start <= max(last_changed, k):
            stop += 1
        if stop < len(members):
            # The member after the edit too: an attribute's summary is the comment above it,
            # and the edit may have touched that comment.
            stop += 1
        if stop < len(members) and members[stop].docstring is not None:
            stop += 1  # the string literal that documents it
        if first:
            # And the member before: its summary may be the string literal after it.
            first -= 1
        start_line = min(k + 1, members[first].start) if stop > first else k + 1
        end_line = max(last_changed, members[stop - 1].end) if stop > first else last_changed
        if _unsafe_start(text, lines, start_line):
            return None
        region = lines[start_line - 1 : end_line + delta]
        parsed = parse_python(self.path, "class _:\n" + "\n".join(region) + "\n", region)
        if not isinstance(parsed, ast.Module) or len(parsed.body) != 1:
            return None
        body = parsed.body[0].body  # type: ignore[attr-defined]
        offset = start_line - 2  # the stand-in class line comes first
        first_line = lines[body[0].lineno + offset - 1]
        if first_line[: len(first_line) - len(first_line.lstrip())] != segment.indent:
            return None  # indented otherwise than the other members: not the same block
        walker = self._walker(_Lines(lines, offset))
        try:
            fresh = segments_of(body, walker, head.qualname, "class")
        except RecursionError:
            return None
        updated = [
            *members[:first],
            *(m.shifted(offset) for m in fresh),
            *(m.shifted(delta) for m in members[stop:]),
        ]
        if not updated:
            return None
        end = updated[-1].end  # a class ends with its last statement
        head = replace(head, end_line=end, summary=summarise(updated[0].docstring, head.name))
        return _class_segment(segment.start, end, head, updated, segment.indent)
