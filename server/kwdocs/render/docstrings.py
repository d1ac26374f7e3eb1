"""Docstrings as structured, inert Markdown for pages and hovers.

``parse_docstring`` reads a cleaned docstring (as ``ast.get_docstring`` gives it) written in any
of the usual styles — Google sections (``Args:``, ``Returns:``...), NumPy sections (a title over
a dashed underline), reST field lists (``:param x:``), or plain reST/Markdown prose — into a
``Docstring``: a one-sentence summary, the body as blocks (paragraphs, lists, code, notes), and
the parameters, return values, exceptions and examples apart. ``docstring_markdown`` writes it.

Everything taken from the docstring stays inert: prose goes through ``escape``, code through
``code`` and ``fence`` (``render/markdown.py``); only the Markdown this module writes itself (code
spans for reST literals and roles, emphasis, lists, quotes, tables, http(s) links) is live, and no
HTML is ever written. Pages never get headings from a docstring (bold labels instead), so the
anchors of a page stay the ones ``pages.py`` computes.

docstring-to-markdown (kwdocs's hover converter before this module) returns one Markdown string
that lets HTML and Markdown from the docstring through, and its Google reader takes any line
containing ``Args:`` for a section: it is not used."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from enum import Enum

import msgspec

from kwdocs.extract.signature_types import SignatureParam
from kwdocs.render.docstring_types import (
    Block,
    CodeBlock,
    Docstring,
    ListBlock,
    Note,
    NoteKind,
    Paragraph,
    Param,
    ParamGroup,
    Raised,
    Returned,
)
from kwdocs.render.markdown import code, escape, escape_line, fence, table_cell

# ---------------------------------------------------------------------------------------------
# Inline markup

# Alternatives in priority order; text between matches is escaped. Every alternative opens
# with a plain character (``:``, ``*``, a backtick, ``h``), a lookbehind on what precedes it
# only after it: ``re`` then scans for those characters in C and tries the alternatives only
# there (most of a docstring is plain words). ``bare_url`` lacks its ``h``: the URL is the
# whole match.
_INLINE = re.compile(
    r"""
    ``(?P<literal>[^`]+)``
  | :(?<![\w`]:)(?P<role>[A-Za-z][\w+.-]*(?::[A-Za-z][\w+.-]*)*):`(?P<role_text>[^`]+)`
  | `(?P<link_text>[^`<]*?)\s*<(?P<url>[^`<>\s]+)>`__?
  | `(?P<interpreted>[^`\s](?:[^`]*[^`\s])?)`(?P<reference>__?)?
  | \*(?<![\w*\\]\*)\*(?P<strong>[^\s*](?:.*?[^\s\\])?)\*\*(?![\w*])
  | \*(?<![\w*\\]\*)(?P<emphasis>[^\s*](?:[^*]*?[^\s*\\])?)\*(?![\w*])
  | h(?<=\bh)(?P<bare_url>ttps?://[^\s<>`"'\\]*[^\s<>`"'\\.,;:!?)\]}])
    """,
    re.VERBOSE,
)
_TITLED_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.DOTALL)
# Roles whose text reads as prose rather than as a name.
_PROSE_ROLES = frozenset(
    {"ref", "doc", "term", "abbr", "sup", "sub", "superscript", "subscript", "title-reference"}
    | {"emphasis", "strong", "numref", "download", "menuselection", "guilabel", "dfn"}
)
_SAFE_URL = re.compile(r"^https?://[^\s<>()\\`\"']+$")


def _text(piece: str, first: bool) -> str:
    """Escaped text keeping one blank at either edge (``escape`` strips them). Only the first
    piece of a line needs a leading list or heading marker escaped: a ``!`` in front (no
    Markdown meaning, not a word character) keeps ``escape`` from doing it mid-line."""
    if not piece:
        return ""
    # Pieces of a line ``inline_markdown`` has made one already: only their edges to trim.
    core = escape_line(piece.strip()) if first else escape_line("!" + piece.rstrip())[1:]
    if not core.strip():
        return " "
    trail = " " if piece[-1].isspace() else ""
    if first:
        return (" " if piece[0].isspace() else "") + core + trail
    return core + trail


def _role(name: str, text: str) -> str:
    role = name.rsplit(":", 1)[-1].lower()
    titled = _TITLED_TARGET.match(text)
    title, target = (titled.group(1), titled.group(2)) if titled else ("", text)
    if role in ("pep", "rfc"):
        return escape(f"{role.upper()} {title or target}")
    if role in _PROSE_ROLES:
        return escape(title or target)
    if title:
        return code(title)
    target = target.lstrip("!")
    if target.startswith("~"):
        target = target[1:].rsplit(".", 1)[-1]  # Sphinx shows the last part only
    return code(target)


def inline_markdown(text: str) -> str:
    """reST/Markdown inline text as inert inline Markdown on one line: literals and roles
    become code spans, ``*emphasis*`` and ``**strong**`` stay, http(s) links become links,
    everything else is escaped."""
    # Most text has single blanks between words and none at either end already (a paragraph's
    # lines joined by blanks): three scans in C say so, as the blank is the only printable
    # whitespace character. Any other text is split into words and joined again (what
    # ``\s+`` → one blank, then strip, gives; faster).
    if not text.isprintable() or "  " in text or text[:1] == " " or text[-1:] == " ":
        text = " ".join(text.split())
    if "`" not in text and "*" not in text and "://" not in text:
        if "\\" in text:
            text = _ESCAPED.sub(r"\1", text)
        return escape_line(text)  # nothing ``_INLINE`` could match: plain text, escaped
    plain: list[str] = []  # the text before each piece of markup, and after the last
    markup: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        plain.append(_joined(text[position : match.start()], position > 0, True))
        position = match.end()
        # The alternative that matched is the one its last group closes (cheaper than a dict
        # of every group).
        kind = match.lastgroup
        if kind == "literal":
            markup.append(code(match["literal"]))
        elif kind == "role_text":
            markup.append(_role(match["role"], match["role_text"]))
        elif kind == "interpreted":
            markup.append(code(match["interpreted"]))
        elif kind == "reference":
            markup.append(escape(match["interpreted"]))
        elif kind == "url":
            markup.append(_link(match["link_text"], match["url"]))
        elif kind == "strong":
            markup.append(f"**{inline_markdown(match['strong'])}**")
        elif kind == "emphasis":
            markup.append(f"*{inline_markdown(match['emphasis'])}*")
        else:
            markup.append(_link("", match[0]))
    plain.append(_joined(text[position:], position > 0, False))
    out: list[str] = []
    previous = ""  # the last piece of ``out`` that is not empty
    for escaped, piece in zip(_escaped_pieces(plain), [*markup, ""], strict=True):
        if escaped:
            out.append(escaped)
            previous = escaped
        if not piece:
            continue
        if previous.endswith("`") and piece.startswith("`") and not _escaped_end(previous):
            out.append(" ")  # two code spans side by side would merge into one
        elif previous.endswith("!") and piece.startswith("["):
            out[-1] = previous[:-1] + "\\!"  # a link, not an image
        out.append(piece)
        previous = piece
    return "".join(out).strip()


def _escaped_pieces(pieces: Sequence[str]) -> list[str]:
    """``escape_line`` of each piece of a line (its blanks kept) in one call. The pieces are
    joined by line ends: the line has none, and to ``escape_line`` they are no word characters,
    as the markup between the pieces is not. Only the first piece may open with a list or
    heading marker to escape; when it is empty, a ``!`` holds its place so that the next piece
    is not taken for the start of the line."""
    joined = "\n".join(pieces)
    escaped = escape_line(joined) if pieces[0] else escape_line("!" + joined)[1:]
    return escaped.split("\n")


# reST's backslash escapes the character after it. Only ``*`` and ``_`` are unescaped in the
# middle of text (``\\*args``): elsewhere a backslash is more likely a Windows path's in a
# docstring that is no reST; right after markup, any escape is (``x``\\s).
_ESCAPED = re.compile(r"\\([*_])")


def _escaped_end(markdown: str) -> bool:
    """The last character is escaped (an odd run of backslashes before it): a backtick that
    opens no code span, so none is needed between it and one after it."""
    body = markdown[:-1]
    return (len(body) - len(body.rstrip("\\"))) % 2 == 1


def _joined(plain: str, after_markup: bool, before_markup: bool) -> str:
    """Text between inline markup without reST's escapes: an escaped blank at its edges is
    removed, joining a word to the markup beside it (``:class:`Tensor`\\ s`` reads
    "`Tensor`s"), as is the backslash of an escaped character right after markup
    (``param_group["lr"]``\\s) or of an escaped ``*`` or ``_``."""
    if "\\" not in plain:
        return plain
    if after_markup and plain.startswith("\\") and len(plain) > 1:
        plain = plain[2:] if plain[1] == " " else plain[1:]
        if plain.startswith("\\"):  # an escaped backslash: kept as it is
            return plain[:1] + _joined(plain[1:], False, before_markup)
    if before_markup and plain.endswith("\\ "):
        plain = plain[:-2]
    return _ESCAPED.sub(r"\1", plain)


def _link(label: str, url: str) -> str:
    label = label.strip()
    if not _SAFE_URL.match(url):
        return escape(f"{label} ({url})" if label else url)
    return f"[{escape(label)}]({url})" if escape(label) else f"<{url}>"  # an autolink


# ---------------------------------------------------------------------------------------------
# Lines
#
# Every line this module handles comes from ``_lines_of`` (no trailing blanks), or is a part of
# one cut at its start, or a stripped string: a blank line is an empty one, and ``not line`` says
# so without ``strip``. A line is indented when it starts with a blank.


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(lines: Sequence[str]) -> list[str]:
    """Lines without their common indentation and without blank lines at either end."""
    if lines and lines[0] and lines[0][0] != " " and lines[-1]:
        return list(lines)  # most often: nothing to take off
    start, stop = 0, len(lines)
    while start < stop and not lines[start]:
        start += 1
    while stop > start and not lines[stop - 1]:
        stop -= 1
    if stop - start < 2:  # nothing, or one line: its own indentation is the common one
        return [lines[start].lstrip(" ")] if stop > start else []
    kept = list(lines[start:stop])
    # The common indentation is that of the lowest or the highest line in string order (the
    # lines indented least differ from the others at that column, by a character sorting
    # either before or after the blank): two comparisons in C, not a loop over the lines.
    margin = min(_indent(min(filter(None, kept))), _indent(max(kept)))
    return [line[margin:] for line in kept] if margin else kept


def _indented_end(lines: Sequence[str], start: int) -> int:
    """End of the block from ``start`` whose lines are blank or indented (trailing blank lines
    excluded)."""
    end = start
    index = start
    while index < len(lines):
        line = lines[index]
        if line:
            if line[0] != " ":
                break
            end = index + 1
        index += 1
    return end


def _next_content(lines: Sequence[str], start: int) -> int:
    while start < len(lines) and not lines[start]:
        start += 1
    return start


# ---------------------------------------------------------------------------------------------
# Sections


class _Section(str, Enum):
    PARAMS = "params"
    RETURNS = "returns"
    YIELDS = "yields"
    RAISES = "raises"
    WARNS = "warns"
    EXAMPLES = "examples"
    NOTE = "note"


_SECTION_NAMES: dict[str, tuple[_Section, ParamGroup | NoteKind | None]] = {
    **dict.fromkeys(
        ("args", "arguments", "parameters", "params", "parameter"),
        (_Section.PARAMS, ParamGroup.PARAMETERS),
    ),
    **dict.fromkeys(
        ("keyword args", "keyword arguments", "keyword parameters", "kwargs"),
        (_Section.PARAMS, ParamGroup.KEYWORD),
    ),
    **dict.fromkeys(
        ("other parameters", "other params", "other args", "other arguments"),
        (_Section.PARAMS, ParamGroup.OTHER),
    ),
    "attributes": (_Section.PARAMS, ParamGroup.ATTRIBUTES),
    **dict.fromkeys(("returns", "return"), (_Section.RETURNS, None)),
    **dict.fromkeys(("yields", "yield"), (_Section.YIELDS, None)),
    **dict.fromkeys(("raises", "raise", "except", "exceptions"), (_Section.RAISES, None)),
    "warns": (_Section.WARNS, None),
    **dict.fromkeys(("example", "examples"), (_Section.EXAMPLES, None)),
    **dict.fromkeys(("note", "notes"), (_Section.NOTE, NoteKind.NOTE)),
    **dict.fromkeys(("warning", "warnings", "attention"), (_Section.NOTE, NoteKind.WARNING)),
    **dict.fromkeys(("tip", "hint"), (_Section.NOTE, NoteKind.TIP)),
    "important": (_Section.NOTE, NoteKind.IMPORTANT),
    "caution": (_Section.NOTE, NoteKind.CAUTION),
    "danger": (_Section.NOTE, NoteKind.DANGER),
    **dict.fromkeys(("see also", "seealso"), (_Section.NOTE, NoteKind.SEE_ALSO)),
    **dict.fromkeys(("todo", "to do"), (_Section.NOTE, NoteKind.TODO)),
    "references": (_Section.NOTE, NoteKind.REFERENCES),
}
_GOOGLE_HEADER = re.compile(r"^([A-Za-z][A-Za-z ]{0,30}?)\s*(::?)\s*$")
_NUMPY_UNDERLINE = re.compile(r"^\s*(-{3,}|={3,})\s*$")
_FIELD = re.compile(
    r"^:(param|parameter|arg|argument|key|keyword|kwarg|kwparam|type|kwtype|raises|raise|except"
    r"|exception|returns|return|rtype|yields|yield|ytype|ivar|var|cvar|vartype)"
    r"(?:\s+([^:]*?))?\s*:(?:\s+(.*)|$)"
)


def _google_header(lines: Sequence[str], index: int) -> tuple[str, bool] | None:
    """(section name, literal) when line ``index`` opens a Google section: a known name and a
    colon (``::`` for a literal block) on a line of its own, with indented lines after it."""
    match = _GOOGLE_HEADER.match(lines[index])
    if match is None or match.group(1).lower() not in _SECTION_NAMES:
        return None
    following = _next_content(lines, index + 1)
    if following >= len(lines) or lines[following][0] != " ":
        return None
    return match.group(1).lower(), match.group(2) == "::"


def _numpy_header(lines: Sequence[str], index: int) -> str | None:
    line = lines[index].strip()
    if (
        index + 1 < len(lines)
        and line.lower() in _SECTION_NAMES
        and _indent(lines[index]) == 0
        and _NUMPY_UNDERLINE.match(lines[index + 1])
    ):
        return line.lower()
    return None


# ---------------------------------------------------------------------------------------------
# Blocks

# A bullet; a line of nothing but the bullet's character and blanks (``* * *``) is none.
_BULLET = re.compile(r"^([-*+•])( +)(?=\S)(?!(?:\1 *)+$)")
_ENUMERATED = re.compile(r"^(?:(\d{1,9})[.)]|#[.)]|\((\d{1,9})\))( +)(?=\S)")
# ``.. name::``; ``.. name ::`` (a blank before the colons) is written too and read the same.
_DIRECTIVE = re.compile(r"^\.\.\s+([A-Za-z][\w:+-]*?) ?::(?:\s+(.*))?$")
_EXPLICIT = re.compile(r"^\.\.(?:\s|$)")
_FOOTNOTE = re.compile(r"^\.\.\s+\[([^\]]+)\]\s*(.*)$")
_UNDERLINE = re.compile(r"^([-=~^\"'#*+])\1{2,}\s*$")  # no backticks: a fence is no underline
_TABLE_BORDER = re.compile(r"^(?:\+[-=]+)+\+\s*$|^=+(?: +=+)+\s*$")
# A directive's option is ``:name:`` then a blank or nothing: ``:ref:`x``` opens a line of text.
_OPTION = re.compile(r"^:[\w-]+:(?:\s|$)")
_MARKDOWN_FENCE = re.compile(r"^(`{3,}|~{3,})\s*(\S*)")

_CODE_DIRECTIVES = frozenset({"code", "code-block", "sourcecode", "testcode", "doctest"})
_NOTE_DIRECTIVES = {
    "note": NoteKind.NOTE,
    "warning": NoteKind.WARNING,
    "attention": NoteKind.WARNING,
    "tip": NoteKind.TIP,
    "hint": NoteKind.TIP,
    "important": NoteKind.IMPORTANT,
    "caution": NoteKind.CAUTION,
    "danger": NoteKind.DANGER,
    "error": NoteKind.DANGER,
    "seealso": NoteKind.SEE_ALSO,
    "todo": NoteKind.TODO,
}
_VERSION_DIRECTIVES = {
    "deprecated": NoteKind.DEPRECATED,
    "versionadded": NoteKind.VERSION_ADDED,
    "versionchanged": NoteKind.VERSION_CHANGED,
}
# Sphinx's directives describing an object (``.. function:: signature``; ``py:`` and other
# domains' prefixes are dropped before the lookup).
_OBJECT_DIRECTIVES = frozenset(
    {"function", "method", "class", "attribute", "data", "exception", "decorator", "module"}
    | {"classmethod", "staticmethod", "property", "type", "autofunction", "automethod"}
    | {"autoclass", "autoattribute", "autodata", "autoexception", "automodule", "currentmodule"}
)
# First characters of a title's over- or underline (``_UNDERLINE``), and of every line that
# ``_BlockReader.one`` reads as something other than a paragraph: a fence, a doctest, explicit
# markup (``..``), a bullet, an enumerator, a table border, an overline.
_UNDERLINE_FIRST = frozenset("-=~^\"'#*+")
_NOT_PROSE_FIRST = frozenset("`~>.-*+•(#0123456789=") | _UNDERLINE_FIRST
# Nesting past this many indented levels is shown as text rather than parsed further.
_MAX_DEPTH = 12


# The first characters of a line that may start a block other than a paragraph (the
# patterns below): any other line starts one only as a section header.
_BLOCK_FIRST = frozenset(">`~.:-*+•=#(0123456789")


def _may_be_header(lines: Sequence[str], index: int) -> bool:
    """A cheap test every section header passes: a Google header ends with a colon, a NumPy
    one has its underline (``---``, ``===``) on the next line."""
    if lines[index].endswith(":"):
        return True
    following = lines[index + 1].lstrip()[:1] if index + 1 < len(lines) else ""
    return following == "-" or following == "="


def _starts_block(lines: Sequence[str], index: int, previous: str) -> bool:
    """Line ``index`` (not indented) starts something other than paragraph text."""
    line = lines[index]
    if line[:1] not in _BLOCK_FIRST and not _may_be_header(lines, index):
        return False
    if line.startswith((">>>", "```", "~~~")) or _EXPLICIT.match(line) or _FIELD.match(line):
        return True
    if _BULLET.match(line) or _TABLE_BORDER.match(line):
        return True
    enumerated = _ENUMERATED.match(line)
    if enumerated and (enumerated.group(1) in ("1", None) or previous.rstrip().endswith(":")):
        return True
    return _google_header(lines, index) is not None or _numpy_header(lines, index) is not None


_LANGUAGE_NAME = re.compile(r"[\w+#.-]{1,40}")


def _language(code_lines: Sequence[str], named: str = "") -> str:
    """A fence's language: the one the docstring names when it is a plain name (anything else
    could end the fence line early), else Python, or its console for a doctest."""
    if named and _LANGUAGE_NAME.fullmatch(named):
        return named
    return "pycon" if code_lines and code_lines[0].lstrip().startswith(">>>") else "python"


class _BlockReader:
    """Blocks of prose lines (indentation relative to the prose; tabs expanded)."""

    def __init__(self, depth: int = 0) -> None:
        self.depth = depth

    def read(self, lines: Sequence[str]) -> list[Block]:
        if self.depth > _MAX_DEPTH:
            text = "\n".join(_dedent(lines))
            return [CodeBlock(text, "text")] if text.strip() else []
        out: list[Block] = []
        index = 0
        definitions: list[tuple[Block, ...]] | None = None
        while index < len(lines):
            line = lines[index]
            if not line:
                index += 1
                continue
            if line[0] == " ":
                end = _indented_end(lines, index)
                out += self.nested(lines[index:end])
                index = end
                definitions = None
                continue
            start = index
            index, blocks, definition = self.one(lines, index)
            if definition is not None:
                if definitions is None:
                    definitions = []
                    out.append(ListBlock(()))
                definitions.append(definition)
                out[-1] = ListBlock(tuple(definitions))  # consecutive items make one list
                continue
            definitions = None
            out += blocks
            if index == start:  # pragma: no cover - every branch consumes a line
                index += 1
        return out

    def nested(self, lines: Sequence[str]) -> list[Block]:
        return _BlockReader(self.depth + 1).read(_dedent(lines))

    def one(
        self, lines: Sequence[str], index: int
    ) -> tuple[int, list[Block], tuple[Block, ...] | None]:
        """The block starting at unindented line ``index``: (next index, blocks, or a
        definition list item)."""
        line = lines[index]
        if line[0] not in _NOT_PROSE_FIRST and (
            index + 1 == len(lines) or lines[index + 1][:1] not in _UNDERLINE_FIRST
        ):
            return self.paragraph(lines, index)  # most lines: none of the patterns below fit
        markdown_fence = _MARKDOWN_FENCE.match(line)
        if markdown_fence:
            ticks = markdown_fence.group(1)
            end = index + 1
            while end < len(lines) and not (
                lines[end].lstrip().startswith(ticks) and not lines[end].strip().strip(ticks[0])
            ):
                end += 1
            body = lines[index + 1 : end]
            language = _language(body, markdown_fence.group(2)) if markdown_fence.group(2) else ""
            return end + 1, [CodeBlock("\n".join(body), language)], None
        if line.startswith(">>>"):
            end = index
            while end < len(lines) and lines[end]:
                end += 1
            return end, [CodeBlock("\n".join(lines[index:end]), "pycon")], None
        footnote = _FOOTNOTE.match(line)
        directive = _DIRECTIVE.match(line)
        if directive or footnote or _EXPLICIT.match(line):
            end = _indented_end(lines, index + 1)
            content = [*lines[index + 1 : end]]
            if footnote:
                text = " ".join([f"[{footnote.group(1)}]", footnote.group(2), *content])
                return end, [Paragraph(inline_markdown(text))], None
            if directive is None:
                return end, [], None  # a comment or a link target
            name, argument = directive.group(1).lower(), (directive.group(2) or "").strip()
            return end, self.directive(name, argument, content), None
        if _BULLET.match(line) or _ENUMERATED.match(line):
            return self.listing(lines, index)
        if _TABLE_BORDER.match(line):
            end = index
            while end < len(lines) and lines[end]:
                end += 1
            return end, [CodeBlock("\n".join(lines[index:end]), "text")], None
        if index + 1 < len(lines) and _UNDERLINE.match(lines[index + 1]):
            if _UNDERLINE.match(line):  # an overline: the title is the next line
                if index + 2 < len(lines) and _UNDERLINE.match(lines[index + 2]):
                    return index + 3, [], None
                return index + 1, [], None
            title = inline_markdown(line)
            return index + 2, [Paragraph(f"**{title}**")] if title else [], None
        if _UNDERLINE.match(line):
            return index + 1, [], None  # a transition
        return self.paragraph(lines, index)

    def paragraph(
        self, lines: Sequence[str], index: int
    ) -> tuple[int, list[Block], tuple[Block, ...] | None]:
        end = _paragraph_end(lines, index)
        text = " ".join(map(str.strip, lines[index:end]))
        following = end < len(lines) and lines[end][:1] == " "
        if text.endswith("::"):
            text = text[:-2].rstrip() if text == "::" or text.endswith(" ::") else text[:-1]
            block_start = _next_content(lines, end)
            if block_start < len(lines) and lines[block_start][0] == " ":
                block_end = _indented_end(lines, block_start)
                code_lines = _dedent(lines[block_start:block_end])
                blocks: list[Block] = [Paragraph(inline_markdown(text))] if text else []
                blocks.append(CodeBlock("\n".join(code_lines), _language(code_lines)))
                return block_end, blocks, None
        if following:
            block_end = _indented_end(lines, end)
            block = lines[end:block_end]
            if end == index + 1 and (
                text[-1] in "([{" or (_code_like(lines[index:end], False) and _code_like(block))
            ):
                # ``x = f(`` or ``def fn(x):`` over indented lines: code, with the code lines
                # that follow it.
                code_end = _code_end(lines, block_end)
                code_lines = _dedent(lines[index:code_end])
                return code_end, [CodeBlock("\n".join(code_lines), "python")], None
            if _code_like(block):
                # Prose over indented code (``For example:``): the code keeps its lines.
                code_lines = _dedent(block)
                paragraph = Paragraph(inline_markdown(text))
                return block_end, [paragraph, CodeBlock("\n".join(code_lines), "python")], None
            if end == index + 1 and text.endswith(":"):
                # ``Shape:`` over an indented block: a label and what it labels.
                return block_end, [Paragraph(inline_markdown(text)), *self.nested(block)], None
            if end == index + 1 and _term_like(text, block[0]):
                # A short term over an indented block: a definition list item, shown as
                # "term: definition".
                term = inline_markdown(text)
                definition = self.nested(block)
                if definition and isinstance(definition[0], Paragraph):
                    first = Paragraph(f"{term}: {definition[0].text}")
                    return block_end, [], (first, *definition[1:])
                return block_end, [], (Paragraph(term), *definition)
            # A sentence going on in a hanging indent, or wrapped prose with a stray
            # indentation: still the same paragraph, up to a line that starts a block (a
            # list under the line: read apart, as nested blocks).
            while (
                end < len(lines)
                and lines[end][:1] == " "
                and not _starts_block([lines[end].strip()], 0, lines[end - 1])
            ):
                end += 1
            text = " ".join(map(str.strip, lines[index:end]))
        return end, [Paragraph(inline_markdown(text))] if text else [], None

    def listing(
        self, lines: Sequence[str], index: int
    ) -> tuple[int, list[Block], tuple[Block, ...] | None]:
        bullet = _BULLET.match(lines[index])
        pattern = _BULLET if bullet else _ENUMERATED
        first = pattern.match(lines[index])
        assert first is not None
        ordered = bullet is None
        start = int(first.group(1) or first.group(2) or 1) if ordered else 1
        items: list[tuple[Block, ...]] = []
        match: re.Match[str] | None = first
        while match is not None:
            end = self.item_end(lines, index)
            width = match.end()
            # The item's first paragraph takes the lines right under it, however indented (a
            # hanging indent, or none), until a blank line or a nested block.
            text = [lines[index][width:]]
            after = index + 1
            while (
                after < end
                and lines[after]
                and not _starts_block([lines[after].strip()], 0, text[-1])
            ):
                text.append(lines[after].strip())
                after += 1
            rest = lines[after:end]
            # Later blocks are indented under the item's text (or less).
            shift = min((_indent(x) for x in rest if x[:1] == " "), default=0)
            shift = min(shift, width)
            item = [" ".join(text), *(x[min(_indent(x), shift) :] for x in rest)]
            items.append(tuple(_BlockReader(self.depth + 1).read(item)))
            following = _next_content(lines, end)
            match = pattern.match(lines[following]) if following < len(lines) else None
            if match is not None and not ordered and match.group(1) != first.group(1):
                match = None  # another bullet character starts another list
            if match is None:
                return end, [ListBlock(tuple(items), ordered, start)], None
            index = following
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def item_end(lines: Sequence[str], index: int) -> int:
        end = index + 1
        while end < len(lines):
            line = lines[end]
            if not line:
                following = _next_content(lines, end)
                if following < len(lines) and lines[following][0] == " ":
                    end = following
                    continue
                break
            if line[0] == " ":
                end += 1
                continue
            if _BULLET.match(line) or _ENUMERATED.match(line):
                break  # the next item
            if _starts_block(lines, end, lines[end - 1]):
                break
            end += 1  # a lazy continuation of the item's text
        return end

    def directive(self, name: str, argument: str, content: list[str]) -> list[Block]:
        body = _dedent(content)
        while body and _OPTION.match(body[0]):
            body.pop(0)
        body = _dedent(body)
        if name in _CODE_DIRECTIVES:
            return [CodeBlock("\n".join(body), _language(body, (argument.split() or [""])[0]))]
        if name == "math":
            text = "\n".join([argument, *body] if argument else body)
            return [CodeBlock(text, "math")] if text.strip() else []
        if name in _NOTE_DIRECTIVES:
            blocks = self.nested([argument, *body] if argument else body)
            return [Note(_NOTE_DIRECTIVES[name], "", tuple(blocks))]
        if name in _VERSION_DIRECTIVES:
            version, _, rest = argument.partition(" ")
            blocks = self.nested([rest, *body] if rest else body)
            return [Note(_VERSION_DIRECTIVES[name], _text(version, False), tuple(blocks))]
        if name == "admonition":
            return [Note(NoteKind.OTHER, inline_markdown(argument), tuple(self.nested(body)))]
        if name in ("image", "figure"):
            # The image is not shown (a path relative to built docs): a line names it; a
            # figure's caption and legend follow.
            image = [Paragraph(f"Image: {code(argument)}")] if argument else []
            return image + self.nested(body)
        if name.rsplit(":", 1)[-1] in _OBJECT_DIRECTIVES and argument:
            # ``.. function:: to(dtype, non_blocking=False)``: the signature, then its text.
            return [Paragraph(code(argument)), *self.nested(body)]
        title = escape(name) + (": " + inline_markdown(argument) if argument else "")
        return [Note(NoteKind.OTHER, title, tuple(self.nested(body)))]


# A line of Python (its trailing comment apart): a compound statement's header, a simple
# statement, an assignment, a call, a decorator, a comment, closing brackets. ``strong`` lines
# are the ones prose hardly ever looks like.
_CODE_LINE = re.compile(
    r"""
    (?P<strong>
      (?:async\s+)?(?:def|class)\s+\w+.*:
    | for\s+[\w, ()\[\]]+\s+in\s+.+: | (?:while|if|elif|with|except)\s+.+:
    | (?:else|try|finally|except)\s*:
    | (?:return|yield|raise|assert|del)(?:\s.*)? | import\s+[\w., ]+ | from\s+[\w.]+\s+import\s.+
    | [\w.]+(?:\[[^\]]*\])?(?:\s*,\s*[\w.]+)*\s*,?\s*(?:[-+*/%@|&^]|//|\*\*)?=(?!=)\s*\S.*
    | [\w.]+\(.*\)[\w.()\[\]]*
    | @[\w.]+.*
    )
    | \#.* | pass | break | continue | \.\.\. | [)\]}]+[,;]?
    """,
    re.VERBOSE,
)
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


def _code_like(lines: Sequence[str], strong: bool = True) -> bool:
    """Every line is a line of Python (at least one of them a ``strong`` one, when asked)."""
    seen = not strong
    for line in lines:
        line = line.strip()
        if not line:
            continue
        match = _CODE_LINE.fullmatch(_TRAILING_COMMENT.sub("", line) or line)
        if match is None:
            return False
        seen = seen or match.group("strong") is not None
    return seen


def _code_end(lines: Sequence[str], start: int) -> int:
    """End of the code going on from ``start``: the lines right after it that are code, and
    the paragraphs of code after blank lines."""
    end = start
    while True:
        first = _next_content(lines, end)
        stop = first
        while stop < len(lines) and lines[stop]:
            stop += 1
        if first >= len(lines) or not _code_like(lines[first:stop], strong=first > end):
            return end
        end = stop


# The last words of a line that is a sentence going on, not a term (a definition list's).
_FUNCTION_WORDS = frozenset(
    {"a", "an", "the", "and", "or", "nor", "but", "of", "to", "in", "into", "on", "at", "by"}
    | {"for", "from", "with", "as", "is", "are", "was", "were", "be", "been", "that", "which"}
    | {"this", "these", "its", "their", "it", "if", "when", "than", "then", "not", "can", "will"}
    | {"has", "have", "had", "do", "does", "should", "would", "could", "may", "must", "so"}
)
# Sentence punctuation, a run of blanks (a drawing or aligned text), or a last character a
# term does not end with.
_NOT_TERM = re.compile(r"[.,;!?](?:\s|$)|\s\s|[:(\[{=\\+*/|&<>-]$")


def _term_like(text: str, definition: str) -> bool:
    """A definition list's term over the first line of its ``definition``: a few words, no
    sentence punctuation, not a sentence going on in the definition. Otherwise the lines are
    a sentence with a hanging indent (or a drawing)."""
    if len(text) > 80 or _NOT_TERM.search(text) or " = " in text:
        return False
    words = text.split()
    if len(words) > 6 or words[-1].lower() in _FUNCTION_WORDS:
        return False
    following = definition.split(None, 1)
    if not following or following[0] in _FUNCTION_WORDS:
        return False  # "... or `torch.nn.Module`" over "that will be invoked."
    return any(char.isalnum() for char in definition)  # not "|" under a node of a drawing


def _blocks(lines: Sequence[str]) -> tuple[Block, ...]:
    lines = _dedent(lines)
    if len(lines) == 1 and lines[0][0] not in _NOT_PROSE_FIRST and lines[0][-1] != ":":
        # One line of prose (half the calls: a parameter's description, a one-line
        # docstring): the paragraph ``_BlockReader`` would read, without reading it.
        return (Paragraph(inline_markdown(lines[0])),)
    return tuple(_BlockReader().read(lines))


# ---------------------------------------------------------------------------------------------
# Summary

_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")
_PROTECTED = re.compile(r"``.+?``|:[\w:+.-]+:`[^`]*`|`[^`]*`")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "cf", "approx", "resp", "incl", "al", "viz", "no", "fig"}
    | {"eq", "sec", "ch", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vol", "ca", "et"}
)


def _first_sentence(text: str) -> str:
    protected = [m.span() for m in _PROTECTED.finditer(text)] if "`" in text else []
    for match in _SENTENCE_END.finditer(text):
        position = match.start()
        if protected and any(start <= position < end for start, end in protected):
            continue
        words = text[:position].rsplit(None, 1)
        word = words[-1] if words else ""
        if word.lower().lstrip("(") in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
            continue
        rest = text[match.end() :].lstrip()
        if rest and rest[0].islower():
            continue  # "see Sec. 3", "v. foo": not a sentence's end
        return text[: match.end()]
    return text


def _paragraph_end(lines: Sequence[str], start: int) -> int:
    """End of the paragraph from unindented line ``start``: the next blank, indented or
    block-starting line — unless an inline literal or role is still open (an odd number of
    backticks so far), as in ``:math:`a\n+ b``` where ``+ b`` is no list item."""
    end = start + 1
    ticks = lines[start].count("`")
    while end < len(lines) and lines[end] and lines[end][0] != " ":
        if ticks % 2 == 0 and _starts_block(lines, end, lines[end - 1]):
            break
        ticks += lines[end].count("`")
        end += 1
    return end


def _first_paragraph(lines: Sequence[str]) -> str:
    """The docstring's opening prose paragraph on one line; empty when it opens otherwise."""
    start = _next_content(lines, 0)
    if start >= len(lines) or lines[start][0] == " ":
        return ""
    line = lines[start]
    if _starts_block(lines, start, "") or _ENUMERATED.match(line):
        return ""
    if (start + 1 < len(lines) and _UNDERLINE.match(lines[start + 1])) or _UNDERLINE.match(line):
        return ""  # a title
    end = _paragraph_end(lines, start)
    if end < len(lines) and lines[end][:1] == " ":
        # Text hanging under the first line: the summary reads on through it.
        while end < len(lines) and lines[end]:
            end += 1
    text = " ".join(map(str.strip, lines[start:end]))
    if text.endswith("::"):
        text = text[:-2].rstrip() if text == "::" or text.endswith(" ::") else text[:-1]
    return text


def _lines_of(docstring: str, limit: int | None = None) -> list[str]:
    """Lines (only the first ``limit`` when given) with tabs expanded and no trailing blanks."""
    if "\r" in docstring:
        docstring = docstring.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in docstring:
        docstring = docstring.expandtabs()  # its columns start again on every line
    lines = docstring.split("\n", limit)[:limit] if limit else docstring.split("\n")
    return list(map(str.rstrip, lines))


_SUMMARY_LINES = 40


def summary_source(docstring: str, name: str = "") -> str:
    """The first sentence of a docstring's opening paragraph, as written (reST kept), on one
    line: never cut inside a word, never a section (a docstring opening with ``Args:``, a list or
    code has no summary). Cheap enough to run for every definition at index time; render it
    with ``inline_markdown``. With the ``name`` of the definition the docstring belongs to, an
    opening paragraph that only restates its signature (``name(a, b=1) -> T``, Sphinx's
    signature override, as in ``torch.save``) is skipped: the summary is the next one's (the
    signature's when nothing follows it)."""
    # An opening paragraph longer than this is not worth reading whole at index time.
    return _summary_of(_lines_of(docstring, _SUMMARY_LINES), name)


def _summary_of(lines: Sequence[str], name: str = "") -> str:
    """``summary_source`` of a docstring's first ``_SUMMARY_LINES`` lines."""
    first = _first_paragraph(lines)
    if name and _restates_signature(first, name):
        start = _next_content(lines, 0)
        first = _first_paragraph(lines[_paragraph_end(lines, start) :]) or first
    return _first_sentence(first)


def _restates_signature(paragraph: str, name: str) -> bool:
    """A paragraph that is ``name(...)``, optionally ``-> annotation``, and nothing else."""
    if not paragraph.startswith(name + "("):
        return False
    close = _matching(paragraph, len(name))
    if close < 0:
        return False
    rest = paragraph[close + 1 :].strip()
    return not rest or (rest.startswith("->") and bool(rest[2:].strip()))


# ---------------------------------------------------------------------------------------------
# Sections' contents

_ENTRY_NAME = re.compile(r"\*{0,2}[A-Za-z_][\w.]*(?:\s*,\s*\*{0,2}[A-Za-z_][\w.]*)*")
_CLOSING = {"(": ")", "[": "]", "{": "}"}
_OPTIONAL = re.compile(r",?\s*\boptional\b\s*$", re.IGNORECASE)
_TYPE_DEFAULT = re.compile(
    r"(?:,\s*|\s+|^)(?:default|defaults to)\s*(?:[:=]|is)?\s*(?P<value>.+?)\s*$", re.IGNORECASE
)
_DESCRIPTION_DEFAULT = re.compile(
    r"\(?\b(?:default|defaults to)\b(?:\s+is)?\s*[:=]?\s*"
    r"(?:``(?P<literal>.+?)``|`(?P<code>[^`]+)`)",
    re.IGNORECASE,
)
_TYPE_LIKE = re.compile(r"^[\w.]+(?:\s*\|\s*[\w.]+)*$")
_RAISES_ENTRY = re.compile(r"^(~?[\w.]+(?:\s*,\s*~?[\w.]+)*)\s*:(?:\s+(.*)|$)")


def _matching(text: str, start: int) -> int:
    """Index of the bracket closing the one at ``start`` (-1 when unbalanced)."""
    stack: list[str] = []
    for index in range(start, len(text)):
        char = text[index]
        if char in _CLOSING:
            stack.append(_CLOSING[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index
    return -1


def _google_entry(line: str) -> tuple[list[str], str, str] | None:
    """``name (type): description`` → (names, type, description)."""
    match = _ENTRY_NAME.match(line)
    if match is None:
        return None
    position = match.end()
    while position < len(line) and line[position] == " ":
        position += 1
    kind = ""
    if position < len(line) and line[position] == "(":
        close = _matching(line, position)
        if close < 0:
            return None
        kind = line[position + 1 : close].strip()
        position = close + 1
        while position < len(line) and line[position] == " ":
            position += 1
    if position >= len(line) or line[position] != ":":
        return None
    names = [name.strip() for name in match.group(0).split(",")]
    return names, kind, line[position + 1 :].strip()


def _type_like(text: str) -> bool:
    """``Tuple[int, str]``, ``torch.Tensor | None``: brackets apart, dotted names and ``|``."""
    depth = 0
    outside = []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return False
        elif depth == 0:
            outside.append(char)
    return depth == 0 and bool(_TYPE_LIKE.match("".join(outside).strip() or "_"))


def _split_type(kind: str) -> tuple[str, str]:
    """A docstring's type field → (type, default): ``int, optional``, ``bool, default True``."""
    default = ""
    match = _TYPE_DEFAULT.search(kind)
    if match:
        default = match.group("value").strip("`")
        kind = kind[: match.start()]
    return _OPTIONAL.sub("", kind).strip().rstrip(","), default


_TYPE_MARKUP = re.compile(
    r"``(?P<literal>.+?)``|(?<![\w`]):(?P<role>[A-Za-z][\w+.:-]*):`(?P<role_text>[^`]+)`"
    r"|`(?P<interpreted>[^`]+)`"
)


def _type_text(kind: str) -> str:
    """A type written in a docstring as the code it names: reST roles and literals unwrapped
    as inline text unwraps them (``:class:`~torch.Tensor``` → ``Tensor``), so the page's code
    span shows no markup."""
    kind = " ".join(kind.split())
    if "`" not in kind:
        return kind
    return _TYPE_MARKUP.sub(_type_piece, kind).replace("\\ ", "")


def _type_piece(match: re.Match[str]) -> str:
    if match.group("literal") is not None:
        return match.group("literal")
    if match.group("interpreted") is not None:
        return match.group("interpreted")
    titled = _TITLED_TARGET.match(match.group("role_text"))
    if titled:
        return titled.group(1)
    target = match.group("role_text").lstrip("!")
    return target[1:].rsplit(".", 1)[-1] if target.startswith("~") else target


def _default_in(description: str) -> str:
    """``(Default: ``None``)`` in a description → ``None``."""
    if "default" not in description.lower():
        return ""  # a test in C: the search tries the pattern at every character
    match = _DESCRIPTION_DEFAULT.search(description)
    if match is None:
        return ""
    return match.group("literal") or match.group("code") or ""


class _Entry:
    """One entry of a section being read: its head and the lines of its description."""

    __slots__ = ("first", "kind", "names", "rest")

    def __init__(self, names: list[str], kind: str, first: str) -> None:
        self.names = names
        self.kind = kind
        self.first = first
        self.rest: list[str] = []

    def lines(self) -> list[str]:
        """The description: the text after the head, then the lines under it, dedented."""
        rest = _dedent(self.rest)
        return [self.first, *rest] if self.first else rest


def _entries(
    lines: Sequence[str], numpy: bool, raises: bool = False
) -> tuple[list[_Entry], list[str]]:
    """Entries of a section's dedented lines (an entry starts on an unindented line); lines
    before the first entry come back apart."""
    entries: list[_Entry] = []
    preamble: list[str] = []
    for line in lines:
        if line and line[0] != " ":
            head = _entry_head(line, numpy, raises)
            if head is not None:
                entries.append(_Entry(*head))
                continue
        if entries:
            entries[-1].rest.append(line)
        else:
            preamble.append(line)
    return entries, preamble


def _entry_head(line: str, numpy: bool, raises: bool) -> tuple[list[str], str, str] | None:
    """(names, type, description on the same line) of an entry's first line, or None."""
    if raises:
        if numpy:
            return [line.strip()], "", ""
        match = _RAISES_ENTRY.match(line)
        if match is None:
            return None
        return [name.strip() for name in match.group(1).split(",")], "", match.group(2) or ""
    if numpy:
        name, colon, kind = line.partition(":")
        if not _ENTRY_NAME.fullmatch(name.strip()):
            return None
        return [n.strip() for n in name.split(",")], kind.strip() if colon else "", ""
    return _google_entry(line)


class _Builder:
    """Collects a docstring's parts while its sections are read."""

    def __init__(
        self, signature: Sequence[SignatureParam], attributes: Mapping[str, str] | None = None
    ) -> None:
        self.signature: Sequence[SignatureParam] = signature
        self.attributes = attributes or {}
        """Annotations of the class's annotated attributes, by name: an Attributes entry's."""
        self.body: list[Block] = []
        self.params: list[Param] = []
        self.returns: list[Returned] = []
        self.yields: list[Returned] = []
        self.raises: list[Raised] = []
        self.warns: list[Raised] = []
        self.examples: list[Block] = []
        self.fields: dict[str, dict[str, str]] = {}

    @functools.cached_property
    def signature_names(self) -> dict[str, SignatureParam]:
        """The signature's parameters by name: made for the first documented parameter, as
        most docstrings document none."""
        return {p.name: p for p in self.signature}

    def param(self, name: str, kind: str, description: list[str], group: ParamGroup) -> None:
        kind, default = _split_type(_type_text(kind))
        raw = " ".join(description)
        if not default:
            default = _default_in(raw)
        if group is ParamGroup.ATTRIBUTES:
            # An attribute is not the parameter of that name: only a class-level annotation
            # of the attribute itself says its type.
            kind = self.attributes.get(name, "") or kind
        else:
            known = self.signature_names.get(name.lstrip("*"))
            if known is not None:
                kind = known.annotation or kind
                default = known.default or default
        self.params.append(Param(name, kind, default, _blocks(description), group))

    def prose(self, lines: list[str]) -> None:
        """Lines of the description between sections and fields."""
        if any(lines):
            self.body += _blocks(lines)

    def section(self, name: str, literal: bool, content: list[str], numpy: bool) -> None:
        section, detail = _SECTION_NAMES[name]
        if section is _Section.PARAMS:
            assert isinstance(detail, ParamGroup)
            entries, preamble = _entries(content, numpy)
            if any(preamble):
                self.body += _blocks(preamble)
            for entry in entries:
                for entry_name in entry.names:
                    self.param(entry_name, entry.kind, entry.lines(), detail)
        elif section in (_Section.RETURNS, _Section.YIELDS):
            values = self.returned(content, numpy)
            (self.returns if section is _Section.RETURNS else self.yields).extend(values)
        elif section in (_Section.RAISES, _Section.WARNS):
            entries, preamble = _entries(content, numpy, raises=True)
            raised = [Raised("", _blocks(preamble))] if any(preamble) else []
            for entry in entries:
                description = _blocks(entry.lines())
                raised += (Raised(name, description) for name in entry.names)
            (self.raises if section is _Section.RAISES else self.warns).extend(raised)
        elif section is _Section.EXAMPLES:
            if literal:
                code_lines = _dedent(content)
                self.examples.append(CodeBlock("\n".join(code_lines), _language(code_lines)))
            else:
                self.examples += _blocks(content)
        else:
            assert isinstance(detail, NoteKind)
            self.body.append(Note(detail, "", _blocks(content)))

    def returned(self, content: list[str], numpy: bool) -> list[Returned]:
        if numpy:
            entries, preamble = _entries(content, numpy=True)
            values = [Returned("", "", _blocks(preamble))] if any(preamble) else []
            for entry in entries:
                # NumPy: ``name : type`` or just ``type``.
                name, kind = (entry.names[0], entry.kind) if entry.kind else ("", entry.names[0])
                values.append(Returned(name, kind, _blocks(entry.lines())))
            return values
        first = _next_content(content, 0)
        if first >= len(content):
            return []
        heads = [line for line in content if line and line[0] != " "]
        parsed = [_google_entry(line) for line in heads]
        if len(heads) > 1 and all(p is not None and p[1] for p in parsed):
            entries, _ = _entries(content, numpy=False)
            return [Returned(", ".join(e.names), e.kind, _blocks(e.lines())) for e in entries]
        kind, colon, rest = content[first].partition(":")
        if colon and kind.strip() and _type_like(kind.strip()) and (not rest or rest[0] == " "):
            entry = _Entry([], kind.strip(), rest.strip())
            entry.rest = list(content[first + 1 :])
            return [Returned("", entry.kind, _blocks(entry.lines()))]
        return [Returned("", "", _blocks(content))]

    def field(self, name: str, argument: str, content: list[str]) -> None:
        """A reST field (``:param x:``, ``:rtype:``...)."""
        words = argument.split()
        if name in ("param", "parameter", "arg", "argument", "key", "keyword", "kwarg"):
            if not words:
                self.body += _blocks([f":{name}:", *content])
                return
            group = (
                ParamGroup.PARAMETERS if name.startswith(("param", "arg")) else (ParamGroup.KEYWORD)
            )
            kind = " ".join(words[:-1])
            self.param(words[-1], kind, content, group)
        elif name in ("ivar", "var", "cvar") and words:
            self.param(words[-1], " ".join(words[:-1]), content, ParamGroup.ATTRIBUTES)
        elif name in ("type", "kwtype", "vartype") and words:
            self.fields.setdefault("type", {})[words[-1]] = _type_text(" ".join(content))
        elif name in ("returns", "return"):
            self.returns.append(Returned("", "", _blocks(content)))
        elif name in ("yields", "yield"):
            self.yields.append(Returned("", "", _blocks(content)))
        elif name in ("rtype", "ytype"):
            self.fields.setdefault(name, {})[""] = _type_text(" ".join(content))
        elif name in ("raises", "raise", "except", "exception"):
            names = [n.strip() for n in argument.split(",") if n.strip()] or [""]
            self.raises += (Raised(n, _blocks(content)) for n in names)
        else:
            self.body += _blocks([f":{name}: {argument}".rstrip(), *content])

    def finish(self, summary: str) -> Docstring:
        params, returns, yields = self.params, self.returns, self.yields
        if self.fields:  # reST's ``:type:`` and ``:rtype:``, read apart from what they type
            types = self.fields.get("type", {})
            params = [
                msgspec.structs.replace(p, annotation=types[p.name.lstrip("*")])
                if not p.annotation and p.name.lstrip("*") in types
                else p
                for p in params
            ]
            for key, values in (("rtype", returns), ("ytype", yields)):
                kind = self.fields.get(key, {}).get("")
                if kind:
                    if values:
                        values[0] = msgspec.structs.replace(values[0], annotation=kind)
                    else:
                        values.append(Returned("", kind))
        return Docstring(
            summary,
            tuple(self.body),
            tuple(params),
            tuple(returns),
            tuple(yields),
            tuple(self.raises),
            tuple(self.warns),
            tuple(self.examples),
        )


def parse_docstring(
    docstring: str,
    signature: Sequence[SignatureParam] = (),
    *,
    summary: bool = True,
    attributes: Mapping[str, str] | None = None,
) -> Docstring:
    """A cleaned docstring (``ast.get_docstring``) read into a ``Docstring``. ``signature`` is
    the function's parameters (``extract.signatures.signature_parameters``; for a class, its
    ``__init__``'s): annotations and defaults of its parameter tables are taken from it where
    it has them. ``attributes``: a class's annotated attributes (name → annotation), the only
    source of an Attributes entry's type besides the docstring (never the parameter of that
    name). Without ``summary`` the summary is left empty (a page shows the whole body, which
    holds it)."""
    lines = _lines_of(docstring)
    # The lines read already: ``summary_source`` would split the docstring again.
    first = inline_markdown(_summary_of(lines[:_SUMMARY_LINES])) if summary else ""
    if len(lines) == 1 and lines[0][:1] != ":":
        # One line (a third of all docstrings) holds no section, nor a field unless it opens
        # with a colon: only blocks.
        return Docstring(first, _blocks(lines))
    builder = _Builder(signature, attributes)
    prose = 0  # where the prose since the last section or field starts: it is read as a whole
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line or line[0] == " " or (line[0] != ":" and not _may_be_header(lines, index)):
            index += 1  # neither a field nor a section header
            continue
        google = _google_header(lines, index)
        if google is not None:
            builder.prose(lines[prose:index])
            end = _indented_end(lines, index + 1)
            builder.section(google[0], google[1], _dedent(lines[index + 1 : end]), numpy=False)
            index = prose = end
            continue
        numpy = _numpy_header(lines, index)
        if numpy is not None:
            builder.prose(lines[prose:index])
            end = index + 2
            while end < len(lines) and _numpy_header(lines, end) is None:
                if _google_header(lines, end) is not None or _FIELD.match(lines[end]):
                    break
                end += 1
            builder.section(numpy, False, _dedent(lines[index + 2 : end]), numpy=True)
            index = prose = end
            continue
        field = _FIELD.match(line)
        if field is not None:
            builder.prose(lines[prose:index])
            end = _indented_end(lines, index + 1)
            content = [field.group(3) or "", *_dedent(lines[index + 1 : end])]
            builder.field(field.group(1), (field.group(2) or "").strip(), content)
            index = prose = end
            continue
        index += 1
    builder.prose(lines[prose:])
    return builder.finish(first)


# ---------------------------------------------------------------------------------------------
# Markdown


def _block_lines(block: Block) -> list[str]:
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, CodeBlock):
        return fence(block.code, block.language).split("\n")
    if isinstance(block, ListBlock):
        loose = any(
            len(item) > 1 or (item and not isinstance(item[0], Paragraph)) for item in block.items
        )
        lines: list[str] = []
        for number, item in enumerate(block.items):
            marker = f"{block.start + number}. " if block.ordered else "- "
            inner = blocks_markdown(item).split("\n") if item else [""]
            lines.append((marker + inner[0]).rstrip())
            lines += (" " * len(marker) + line if line else "" for line in inner[1:])
            if loose and number < len(block.items) - 1:
                lines.append("")
        return lines
    label = f"**{block.kind.value}**" if block.kind.value else ""
    head = " ".join(part for part in (label, block.title) if part) or "**Note**"
    inner = blocks_markdown(block.blocks).split("\n") if block.blocks else []
    return [f"> {head}", *([">"] if inner else []), *(f"> {x}" if x else ">" for x in inner)]


def blocks_markdown(blocks: Sequence[Block]) -> str:
    """Blocks as Markdown, a blank line between them."""
    return "\n\n".join(
        block.text if isinstance(block, Paragraph) else "\n".join(_block_lines(block))
        for block in blocks
    )


def _flat(blocks: Sequence[Block]) -> str:
    """Paragraphs and lists on one line, for a table cell."""
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            parts.append(block.text)
        elif isinstance(block, ListBlock):
            for number, item in enumerate(block.items):
                marker = f"{block.start + number}." if block.ordered else "•"
                parts.append(f"{marker} {_flat(item)}")
    return " ".join(part for part in parts if part)


def _inline_prefix(blocks: Sequence[Block]) -> int:
    """How many leading blocks fit in a table cell (paragraphs and lists of paragraphs)."""
    for number, block in enumerate(blocks):
        if isinstance(block, Paragraph):
            continue
        if isinstance(block, ListBlock) and all(
            all(isinstance(b, Paragraph) for b in item) for item in block.items
        ):
            continue
        return number
    return len(blocks)


def params_markdown(params: Sequence[Param]) -> str:
    """A table of parameters (Name, Type, Default, Description; empty columns left out).
    Descriptions holding code or notes continue below the table, labelled with the name."""
    if not params:
        return ""
    with_type = any(p.annotation for p in params)
    with_default = any(p.default for p in params)
    header = ["Name", *(["Type"] if with_type else []), *(["Default"] if with_default else [])]
    header.append("Description")
    rows = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    below: list[str] = []
    for param in params:
        cut = _inline_prefix(param.description)
        description = _flat(param.description[:cut])
        if cut < len(param.description):
            description = (description + " " if description else "") + "(more below)"
            continued = blocks_markdown(param.description[cut:])
            below += [f"More on {code(param.name)}:", continued]
        cells = [code(param.name)]
        if with_type:
            cells.append(code(param.annotation) if param.annotation else "")
        if with_default:
            cells.append(code(param.default) if param.default else "")
        cells.append(description)
        rows.append("| " + " | ".join(table_cell(cell) for cell in cells) + " |")
    return "\n\n".join(["\n".join(rows), *below])


def _values_markdown(values: Sequence[Returned | Raised]) -> str:
    if len(values) == 1:
        value = values[0]
        name = value.exception if isinstance(value, Raised) else value.name
        if not name and not (isinstance(value, Returned) and value.annotation):
            return blocks_markdown(value.description)
    items: list[tuple[Block, ...]] = []
    for value in values:
        if isinstance(value, Raised):
            head = code(value.exception) if value.exception else ""
        else:
            head = code(value.name) if value.name else ""
            if value.annotation:
                kind = code(value.annotation)
                head = f"{head} ({kind})" if head else kind
        blocks = list(value.description)
        if blocks and isinstance(blocks[0], Paragraph) and head:
            blocks[0] = Paragraph(f"{head}: {blocks[0].text}")
        elif head:
            blocks.insert(0, Paragraph(head))
        if blocks:
            items.append(tuple(blocks))
    return blocks_markdown([ListBlock(tuple(items))]) if items else ""


# The tables' order; iterating the enum itself costs more than the tables of most docstrings.
_PARAM_GROUPS = tuple(ParamGroup)


def docstring_markdown(doc: Docstring) -> str:
    """The whole docstring as Markdown: the body, then a table per parameter group, Returns,
    Yields, Raises, Warns and Examples, each under a bold label (never a heading)."""
    parts: list[str] = []
    if doc.body:
        parts.append(blocks_markdown(doc.body))
    for group in _PARAM_GROUPS if doc.params else ():
        params = [p for p in doc.params if p.group is group]
        if params:
            parts += [f"**{group.value}**", params_markdown(params)]
    for label, values in (
        ("Returns", doc.returns),
        ("Yields", doc.yields),
        ("Raises", doc.raises),
        ("Warns", doc.warns),
    ):
        text = _values_markdown(values) if values else ""
        if text:
            parts += [f"**{label}**", text]
    if doc.examples:
        parts += ["**Examples**", blocks_markdown(doc.examples)]
    return "\n\n".join(parts)
