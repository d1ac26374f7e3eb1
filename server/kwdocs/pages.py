"""Where pages live and how their sections are addressed: page paths under the output folder,
heading slugs, and the anchor of every keyword. Shared by the renderers, the exporter, the
command line and the language server, so a link built anywhere points where a page has it."""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from pathlib import Path
from urllib.parse import quote

from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.uris import file_uri

DOCS_SUFFIX = "_docs.md"
KW_SUFFIX = "_kw.md"
FOLDER_INDEX = "index.md"
FOLDER_DOC = "doc.md"
LANDING_PAGE = "README.md"
"""The export's landing page, at the top of the output folder: what GitHub's folder view shows."""

# Sections of the docs page, in order; their slugs are stable anchors.
DOCS_SECTIONS = (
    "File Metadata",
    "File Purpose",
    "High-Level Overview",
    "Detailed Analysis",
    "Architecture & Design",
    "Dependencies",
    "Code Patterns & Idioms",
    "Performance Considerations",
    "Security & Safety",
    "Testing & Usage",
    "Related Files",
    "Cross-References",
    "Original Source",
)
ORIGINAL_SOURCE = "original-source"
"""The anchor of the docs page's "Original Source" section (checked against DOCS_SECTIONS by
the tests): a site that holds no copy of a source file links here instead."""

# Kinds described by one shared subsection rather than a heading of their own.
_SHARED_SECTION = {
    "module": "dependencies",
    "import": "dependencies",
    "constant": "module-level-names",
    "variable": "module-level-names",
    "identifier": "identifiers",
}

_PUNCTUATION = re.compile(r"[^\w\- ]", re.UNICODE)
# ASCII text is slugged in one ``bytes.translate``, a fifth of the time of the steps below (an
# export slugs every class and function heading): lower case, " " as "-", and the characters
# ``_PUNCTUATION`` matches dropped.
_ASCII_SLUG = bytes.maketrans(
    string.ascii_uppercase.encode() + b" ", string.ascii_lowercase.encode() + b"-"
)
_ASCII_PUNCTUATION = bytes(c for c in range(128) if _PUNCTUATION.match(chr(c)))


def github_slug(text: str) -> str:
    """The anchor GitHub (and VS Code's preview) gives a heading with this plain text."""
    if text.isascii():  # NFC leaves ASCII text as it is
        ascii_text = text.strip().encode("ascii")
        return ascii_text.translate(_ASCII_SLUG, _ASCII_PUNCTUATION).decode("ascii")
    text = unicodedata.normalize("NFC", text).strip().lower()
    return _PUNCTUATION.sub("", text).replace(" ", "-")


class Slugger:
    """Unique slugs in page order: a repeated heading gets ``-1``, ``-2`` as GitHub does."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}

    def slug(self, text: str) -> str:
        # The algorithm of github-slugger, which GitHub and VS Code's preview both follow.
        base = slug = github_slug(text)
        while slug in self.used:
            self.used[base] += 1
            slug = f"{base}-{self.used[base]}"
        self.used[slug] = 0
        return slug


def section_heading(keyword: Keyword) -> str:
    """Plain text of the docs-page heading that describes a keyword with its own heading."""
    return f"{keyword.kind} {keyword.qualname}"


def has_own_heading(keyword: Keyword) -> bool:
    """Classes, functions, methods, properties and headings each get a heading."""
    return keyword.kind not in _SHARED_SECTION


@functools.cache
def _reserved_slugs() -> dict[str, int]:
    """The slugs of the fixed sections, taken before any keyword's (the same every page)."""
    slugger = Slugger()
    for title in DOCS_SECTIONS:
        slugger.slug(title)
    for fixed in ("module-level names", "identifiers", "outline"):
        slugger.slug(fixed)
    return slugger.used


def keyword_anchors(record: FileRecord) -> dict[tuple[str, str, int], str]:
    """Anchor in the docs page of every keyword, keyed by (kind, qualname, line).

    Headings of keywords come in the page in record order, after the fixed sections that
    precede them (their slugs are reserved first so they never collide).
    """
    slugger = Slugger()
    slugger.used = dict(_reserved_slugs())
    slug = slugger.slug
    shared = _SHARED_SECTION.get
    anchors: dict[tuple[str, str, int], str] = {}
    # ``has_own_heading`` and ``section_heading`` spelt out: an export asks this of every
    # record, and most keywords of a file are its functions' and classes'.
    for keyword in record.keywords:
        kind, qualname = keyword.kind, keyword.qualname
        anchor = shared(kind)
        if anchor is None:
            prefix = _HEADING_PREFIX.get(kind) or f"{kind} "
            anchor = slug(prefix + qualname)
        anchors[kind, qualname, keyword.line] = anchor
    return anchors


# The start of ``section_heading`` for each kind: formatting a ``Kind`` member (a ``str``
# subclass) is three times slower than adding plain strings.
_HEADING_PREFIX = {kind: f"{kind} " for kind in Kind}


def anchor_of(record: FileRecord, keyword: Keyword) -> str:
    """The docs-page anchor of one keyword of ``record``."""
    return keyword_anchors(record).get(
        (keyword.kind, keyword.qualname, keyword.line), "detailed-analysis"
    )


def docs_page(path: str) -> str:
    """Output-relative path of a file's documentation page."""
    return path + DOCS_SUFFIX


def kw_page(path: str) -> str:
    """Output-relative path of a file's keyword page."""
    return path + KW_SUFFIX


def folder_page(folder: str, name: str) -> str:
    """Output-relative path of a folder's ``index.md`` or ``doc.md`` (folder "" is the root)."""
    return f"{folder}/{name}" if folder else name


@functools.lru_cache(maxsize=1 << 16)
def quote_part(part: str) -> str:
    """One part of a path, percent-encoded for a link target."""
    # Pages link to the same folders and files again and again: quote each name once.
    return quote(part, safe="")


def link_target(from_page: str, to_page: str, anchor: str = "") -> str:
    """A relative Markdown link from one output page to another, percent-encoded."""
    text = _relative_link(from_page.rpartition("/")[0], to_page)
    return f"{text}#{anchor}" if anchor else text


@functools.lru_cache(maxsize=1 << 14)
def _relative_link(from_folder: str, to_page: str) -> str:
    # The pages of a folder link to the same few pages again and again (their keyword pages,
    # the files their calls land in): each pair is worked out once for the whole folder.
    from_parts = from_folder.split("/") if from_folder else []
    to_parts = to_page.split("/")
    common = 0
    while (
        common < len(from_parts)
        and common < len(to_parts) - 1
        and from_parts[common] == to_parts[common]
    ):
        common += 1
    rel = [".."] * (len(from_parts) - common) + to_parts[common:]
    text = "/".join(map(quote_part, rel))
    if not text.startswith("."):
        text = "./" + text
    return text


def page_uri(out: Path, page: str, anchor: str = "") -> str:
    """file:// URI of an output page, with its anchor: what editors open from a hover."""
    uri = file_uri(out, page)
    return f"{uri}#{anchor}" if anchor else uri


def page_links(out: Path, record: FileRecord, keyword: Keyword | None = None) -> tuple[str, str]:
    """URIs of a file's docs page (at the keyword's section) and keyword page."""
    anchor = anchor_of(record, keyword) if keyword is not None else ""
    return page_uri(out, docs_page(record.path), anchor), page_uri(out, kw_page(record.path))
