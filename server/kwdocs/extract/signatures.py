"""Parameter lists, annotations and defaults as the source writes them.

``int(1e8)`` stays ``int(1e8)`` (``ast.unparse`` would write ``int(100000000.0)``), and quotes
and spacing stay the author's: each parameter (name, annotation, default) is sliced out of the
file's lines at the tree's positions, and only its whitespace is normalised so the text fits on
one line (comments dropped, line breaks and runs of blanks made one space, none just inside
brackets). Slicing costs less than formatting, so this is also the fast path. A parameter whose
text cannot be put on one line faithfully (a string literal spanning lines) falls back to
``ast.unparse`` for that expression."""

from __future__ import annotations

import ast
import io
import re
import tokenize

from kwdocs.extract.signature_types import ParamKind, SignatureParam, SourceLines

_OPENERS = frozenset("([{")
_CLOSERS = frozenset(")]}")
_SKIPPED_TOKENS = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
)
# Python 3.12 tokenizes f-strings into parts whose positions are not always exact: unparse them.
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)


def _segment(start: ast.AST, end: ast.AST, lines: SourceLines) -> str | None:
    """The source from ``start``'s first character to ``end``'s last, exactly as written (line
    ends kept), or None without positions."""
    first, last = start.lineno, end.end_lineno  # type: ignore[attr-defined]
    begin, stop = start.col_offset, end.end_col_offset  # type: ignore[attr-defined]
    if last is None or stop is None:
        return None
    if first == last:
        line = lines.text(first)
        if line.isascii():  # ast's columns count UTF-8 bytes: the same as characters here
            return line[begin:stop]
        return line.encode("utf-8")[begin:stop].decode("utf-8", errors="replace")
    parts = [lines.text(first).encode("utf-8")[begin:]]
    parts += (lines.text(n).encode("utf-8") for n in range(first + 1, last))
    parts.append(lines.text(last).encode("utf-8")[:stop])
    return b"\n".join(parts).decode("utf-8", errors="replace")


# Source the tokenizer is not needed for: code without backslashes, its only blanks those
# Python skips between tokens; strings on one line, without prefixes, escapes or a quote next
# to them (a triple-quoted string is not read as three); comments. Each piece ends where
# nothing more of its kind follows, so there is one way to match, or none: no backtracking.
_STRING = r"""(?<![\w"])"[^"\\\n]*"(?!")|(?<![\w'])'[^'\\\n]*'(?!')"""
_PLAIN = re.compile(
    rf"""(?:{_STRING}|[ \t\f\n]+(?![ \t\f\n])|#[^\n]*(?![^\n])|[^"'#\\\s]+(?![^"'#\\\s]))*"""
)
# In plain source: a string (kept as it is) or a gap between tokens (blanks and comments).
_STRING_OR_GAP = re.compile(rf"({_STRING})|(?:[ \t\f\n]|#[^\n]*)+")
_STRING_OR_COMMENT = re.compile(rf"{_STRING}|#[^\n]*")


def _one_line(segment: str) -> str | None:
    """``segment`` (an expression's source) on one line: comments dropped, line breaks and runs
    of blanks between tokens made one space (none just inside brackets), strings untouched.
    None when a token itself spans lines (a triple-quoted string)."""
    # Parentheses make every line break inside an implicit continuation, as it was in the def.
    source = "(" + segment + ")"
    if _PLAIN.fullmatch(source) and _balanced(_STRING_OR_COMMENT.sub("", source)):
        # The tokenizer's answer by regex, ~10x as fast: a default or an annotation written on
        # several lines is common.
        return _STRING_OR_GAP.sub(_string_or_gap, source)[1:-1]
    return _tokenized_one_line(source)


def _balanced(code: str) -> bool:
    """As many brackets close in ``code`` as open (a parameter's text from its name to the end
    of a parenthesised default leaves one open: the tokenizer gives up on it)."""
    opened = code.count("(") + code.count("[") + code.count("{")
    return opened == code.count(")") + code.count("]") + code.count("}")


def _tokenized_one_line(source: str) -> str | None:
    """``_one_line`` of any (parenthesised) source, token by token."""
    out: list[str] = []
    previous: tokenize.TokenInfo | None = None
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _SKIPPED_TOKENS or token.type == tokenize.ENDMARKER:
                continue
            if token.start[0] != token.end[0] or token.type == _FSTRING_START:
                return None
            if previous is not None and previous.end != token.start:
                broken = previous.end[0] != token.start[0]
                if not broken or (previous.string not in _OPENERS and token.string not in _CLOSERS):
                    out.append(" ")
            out.append(token.string)
            previous = token
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    text = "".join(out)
    return text[1:-1] if text.startswith("(") and text.endswith(")") else None


def _string_or_gap(found: re.Match[str]) -> str:
    """A string of plain source as it is; a gap between its tokens as ``_one_line`` makes it:
    none where it breaks a line just inside brackets, else one space."""
    string = found.group(1)
    if string:
        return string
    source, start, end = found.string, found.start(), found.end()
    if "\n" in found.group() and (source[start - 1] in _OPENERS or source[end] in _CLOSERS):
        return ""
    return " "


def _normalised(segment: str | None) -> str | None:
    if not segment:
        return None
    # The common case, checked in C: one line, no double blanks, no tabs, no comment.
    if "\n" not in segment and "  " not in segment and "\t" not in segment:
        return segment
    return _one_line(segment)


def source_text(node: ast.expr, lines: SourceLines) -> str:
    """An expression as its source writes it, on one line (``ast.unparse`` when it cannot be)."""
    return _normalised(_segment(node, node, lines)) or ast.unparse(node)


def signature_parameters(args: ast.arguments, lines: SourceLines) -> list[SignatureParam]:
    """The parameters of a ``def`` in order, annotations and defaults as the source writes them
    (the ``/`` and ``*`` markers are not parameters; ``parameters`` writes them)."""
    params: list[SignatureParam] = []
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    for number, arg in enumerate(positional):
        kind = (
            ParamKind.POSITIONAL_ONLY
            if number < len(args.posonlyargs)
            else ParamKind.POSITIONAL_OR_KEYWORD
        )
        default = args.defaults[number - first_default] if number >= first_default else None
        params.append(_param(arg, kind, default, lines))
    if args.vararg is not None:
        params.append(_param(args.vararg, ParamKind.VAR_POSITIONAL, None, lines))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(_param(arg, ParamKind.KEYWORD_ONLY, default, lines))
    if args.kwarg is not None:
        params.append(_param(args.kwarg, ParamKind.VAR_KEYWORD, None, lines))
    return params


def _param(
    arg: ast.arg, kind: ParamKind, default: ast.expr | None, lines: SourceLines
) -> SignatureParam:
    return SignatureParam(
        arg.arg,
        kind,
        "" if arg.annotation is None else source_text(arg.annotation, lines),
        "" if default is None else source_text(default, lines),
    )


def _written(arg: ast.arg, default: ast.expr | None, lines: SourceLines, star: str = "") -> str:
    """One parameter as written, from its name to the end of its default: the author's spacing
    around ``:`` and ``=`` is kept too."""
    text = _normalised(_segment(arg, arg if default is None else default, lines))
    if text is not None:
        return star + text
    # Without usable positions: ast.unparse's layout around texts read one by one.
    text = star + arg.arg
    if arg.annotation is not None:
        text += ": " + source_text(arg.annotation, lines)
    if default is not None:
        text += ("=" if arg.annotation is None else " = ") + source_text(default, lines)
    return text


def parameters(args: ast.arguments, lines: SourceLines) -> str:
    """A ``def``'s parameter list as the source writes it, on one line, in ``ast.unparse``'s
    layout (``a, b: int = 1, /, *args, c=2, **kw``)."""
    # Strings straight from the nodes (no SignatureParam): this runs for every def at index time.
    parts: list[str] = []
    positional = args.posonlyargs + args.args
    first_default = len(positional) - len(args.defaults)
    for number, arg in enumerate(positional):
        default = args.defaults[number - first_default] if number >= first_default else None
        parts.append(_written(arg, default, lines))
        if number + 1 == len(args.posonlyargs):
            parts.append("/")
    if args.vararg is not None:
        parts.append(_written(args.vararg, None, lines, "*"))
    elif args.kwonlyargs:
        parts.append("*")
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        parts.append(_written(arg, default, lines))
    if args.kwarg is not None:
        parts.append(_written(args.kwarg, None, lines, "**"))
    return ", ".join(parts)


def annotation(node: ast.expr, lines: SourceLines) -> str:
    """A return annotation (or any expression) as the source writes it, on one line."""
    return source_text(node, lines)
