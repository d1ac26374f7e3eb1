"""Where pages live and how their sections are addressed: page paths under the output folder,
heading slugs, and the anchor of every keyword. Shared by the renderers, the exporter, the
command line and the language server, so a link built anywhere points where a page has it."""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path
from urllib.parse import quote

from kwdocs.model import FileRecord, Keyword
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


def github_slug(text: str) -> str:
    """The anchor GitHub (and VS Code's preview) gives a heading with this plain text."""
    if not text.isascii():  # NFC leaves ASCII text as it is
        text = unicodedata.normalize("NFC", text)
    text = text.strip().lower()
    text = _PUNCTUATION.sub("", text)
    return text.replace(" ", "-")


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
    anchors: dict[tuple[str, str, int], str] = {}
    for keyword in record.keywords:
        key = (keyword.kind, keyword.qualname, keyword.line)
        if has_own_heading(keyword):
            anchors[key] = slugger.slug(section_heading(keyword))
        else:
            anchors[key] = _SHARED_SECTION[keyword.kind]
    return anchors


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
