"""Design notes a Python file carries outside its docstrings.

Three kinds, in line order: titled notes in comment blocks (PyTorch's ``# [Note: Title]`` and
``# Note [Title]``, with the comment lines after the title), the leading comment block of the file
(licence headers and tool directives such as ``# mypy: ...`` left out), and bare string literals
at module level other than the docstring (split at the same titles, as in PyTorch's FSDP files;
an untitled one right under an assignment is marked as that name's attribute docstring).

Comments are not in the ``ast``: comment lines are found by a scan of the text, and the tree is
only asked whether a titled comment line lies inside a string literal — a walk of the one
statement holding it, so the cost stays that of the line scan."""

from __future__ import annotations

import ast
import bisect
import inspect
import re
import textwrap
import warnings

import msgspec

from kwdocs.extract.directives import is_tool_directive
from kwdocs.extract.note_types import ModuleNote, NoteOrigin

# ``[Note: Title]`` alone on its line, or ``Note [Title]`` (PyTorch's older spelling) with the
# note's first words possibly after it.
_TITLES = (
    re.compile(r"^\[\s*note\s*:\s*(?P<title>[^\]]+?)\s*\]\s*:?\s*(?P<rest>.*)$", re.IGNORECASE),
    re.compile(r"^note\s*\[(?P<title>[^\]]+?)\]\s*:?\s*(?P<rest>.*)$", re.IGNORECASE),
)
_LICENCE = re.compile(
    r"\b(copyright|licen[cs]ed?|spdx-license-identifier|all rights reserved)\b", re.IGNORECASE
)


def _title(text: str) -> tuple[str, str] | None:
    for pattern in _TITLES:
        match = pattern.match(text.strip())
        if match:
            return match.group("title"), match.group("rest")
    return None


def _uncommented(lines: list[str]) -> list[str]:
    """Comment lines without their ``#`` and their common indentation."""
    bare = [line.lstrip()[1:] for line in lines]
    return textwrap.dedent("\n".join(bare)).split("\n")


def _join(lines: list[str]) -> str:
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def _titled(
    lines: list[str], first_line: int, origin: NoteOrigin
) -> tuple[list[ModuleNote], list[str]]:
    """Titled notes among ``lines`` (the first at ``first_line``): each runs to the next title;
    a title with nothing under it is a citation, not a note. Also the lines before the first
    title."""
    notes: list[ModuleNote] = []
    starts = [(n, found) for n, line in enumerate(lines) if (found := _title(line))]
    for position, (n, (title, rest)) in enumerate(starts):
        stop = starts[position + 1][0] if position + 1 < len(starts) else len(lines)
        body = [rest, *lines[n + 1 : stop]] if rest else lines[n + 1 : stop]
        text = _join(textwrap.dedent("\n".join(body)).split("\n"))
        if not text.strip():
            continue
        last = stop
        while last > n + 1 and not lines[last - 1].strip():
            last -= 1
        notes.append(ModuleNote(title, first_line + n, first_line + last - 1, text, origin))
    before = lines[: starts[0][0]] if starts else lines
    return notes, before


class _StringLines:
    """Whether a line lies inside a string literal, asked of the statement holding it."""

    def __init__(self, tree: ast.Module | None) -> None:
        self.tree = tree

    def __contains__(self, line: int) -> bool:
        if self.tree is None:
            return False
        body: list[ast.stmt] = self.tree.body
        while True:
            starts = [node.lineno for node in body]
            index = bisect.bisect_right(starts, line) - 1
            if index < 0:
                return False
            statement = body[index]
            if line > (statement.end_lineno or statement.lineno):
                return False
            inner = self._inner_body(statement, line)
            if inner is None:
                return any(
                    isinstance(node, (ast.Constant, ast.JoinedStr))
                    and node.lineno < line <= (node.end_lineno or node.lineno)
                    and (isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes)))
                    for node in ast.walk(statement)
                )
            body = inner

    @staticmethod
    def _inner_body(statement: ast.stmt, line: int) -> list[ast.stmt] | None:
        """The nested block of ``statement`` that holds ``line``, if any."""
        blocks: list[list[ast.stmt]] = []
        for name in ("body", "orelse", "finalbody"):
            block = getattr(statement, name, None)
            if block:
                blocks.append(block)
        for handler in getattr(statement, "handlers", None) or ():
            blocks.append(handler.body)
        for case in getattr(statement, "cases", None) or ():
            blocks.append(case.body)
        for block in blocks:
            if block[0].lineno <= line <= (block[-1].end_lineno or block[-1].lineno):
                return block
        return None


def _comment_blocks(text: str) -> list[tuple[int, list[str]]]:
    """Runs of whole-line comments at one indentation: (first line, lines)."""
    # Found from the ``#`` characters (``str.find`` runs in C): most lines hold none.
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = indent = previous = -1
    number, counted = 1, 0
    find, rfind, count = text.find, text.rfind, text.count
    size = len(text)
    at = find("#")
    while at >= 0:
        line_start = rfind("\n", 0, at) + 1
        line_end = find("\n", at)
        if line_end < 0:
            line_end = size
        margin = text[line_start:at]
        if not margin or margin.isspace():
            number += count("\n", counted, line_start)
            counted = line_start
            if current and number == previous + 1 and len(margin) == indent:
                current.append(text[line_start:line_end])
            else:
                if current:
                    blocks.append((start, current))
                current, start, indent = [text[line_start:line_end]], number, len(margin)
            previous = number
        at = find("#", line_end)
    if current:
        blocks.append((start, current))
    return blocks


def _first_statement_line(tree: ast.Module | None, text: str) -> int:
    if tree is not None:
        if not tree.body:
            return text.count("\n") + 2
        first = tree.body[0]
        decorators = getattr(first, "decorator_list", None) or ()
        return min([first.lineno, *(d.lineno for d in decorators)])
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if line.strip() and not line.lstrip().startswith("#"):
            return number
    return len(lines) + 1


def _leading(blocks: list[tuple[int, list[str]]], before: int) -> list[ModuleNote]:
    """The comment blocks above the first statement, without licences and the tool
    directives that open a file (``#!``, ``# mypy: ...``, ``# -*- coding ...``)."""
    notes: list[ModuleNote] = []
    for start, block in blocks:
        if start >= before:
            break
        skip = 0
        while skip < len(block) and is_tool_directive(block[skip]):
            skip += 1
        kept, first = block[skip:], start + skip
        if not kept or _LICENCE.search("\n".join(kept)):
            continue
        titled, rest = _titled(_uncommented(kept), first, NoteOrigin.COMMENT)
        notes += titled
        while rest and not rest[-1].strip():
            rest.pop()
        text = _join(textwrap.dedent("\n".join(rest)).split("\n"))
        if text.strip():
            notes.append(
                ModuleNote(None, first, first + len(rest) - 1, text, NoteOrigin.LEADING_COMMENT)
            )
    return notes


def _string_notes(tree: ast.Module) -> list[ModuleNote]:
    notes: list[ModuleNote] = []
    for number, statement in enumerate(tree.body):
        if not (
            isinstance(statement, ast.Expr)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            continue
        if number == 0:
            continue  # the docstring
        raw = statement.value.value.split("\n")
        end_line = statement.end_lineno or statement.lineno
        titled, before = _titled(raw, statement.lineno, NoteOrigin.STRING)
        # Line numbers hold for a plain triple-quoted string; keep them inside the statement.
        notes += (
            msgspec.structs.replace(
                note, line=min(note.line, end_line), end_line=min(note.end_line, end_line)
            )
            for note in titled
        )
        text = inspect.cleandoc("\n".join(before))
        if text.strip():
            last = min(statement.lineno + len(before) - 1, end_line)
            previous = tree.body[number - 1]
            origin = (
                NoteOrigin.ATTRIBUTE_DOCSTRING
                if isinstance(previous, (ast.Assign, ast.AnnAssign))
                and previous.end_lineno == statement.lineno - 1
                else NoteOrigin.STRING
            )
            notes.append(ModuleNote(None, statement.lineno, last, text, origin))
    return notes


def module_notes(text: str, tree: ast.Module | None = None) -> list[ModuleNote]:
    """The notes of a Python file's text (newlines normalised), in line order. ``tree`` is its
    parsed module when the caller has it; without it the text is parsed (a file that does not
    parse still yields its comment notes)."""
    if tree is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
    blocks = _comment_blocks(text)
    first_statement = _first_statement_line(tree, text)
    notes = _leading(blocks, first_statement)
    strings = _StringLines(tree)
    for start, block in blocks:
        if start < first_statement:
            continue
        # Every title spells "note": most blocks are ruled out by one search in C.
        if "note" not in "".join(block).lower() or not any(
            _title(line.lstrip()[1:]) for line in block
        ):
            continue
        if start in strings:
            continue  # ``#`` lines of a string literal, not comments
        titled, _ = _titled(_uncommented(block), start, NoteOrigin.COMMENT)
        notes += titled
    if tree is not None:
        notes += _string_notes(tree)
    return sorted(notes, key=lambda note: (note.line, note.end_line))
