"""A link checker for exported page trees: every relative link of every page resolves to an
existing file, and every ``#anchor`` to a heading slug of the target page (GitHub's slugs, with
its numbering of repeated headings)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from kwdocs.pages import Slugger
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark")


def _inline_text(token) -> str:
    # GitHub slugs the rendered text: text and code spans, markup dropped.
    return "".join(
        child.content for child in token.children or [] if child.type in ("text", "code_inline")
    )


def parse_page(text: str) -> tuple[list[str], set[str]]:
    """The link targets and heading slugs of one page."""
    tokens = _md.parse(text)
    links: list[str] = []
    slugs: set[str] = set()
    slugger = Slugger()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            slugs.add(slugger.slug(_inline_text(tokens[index + 1])))
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    links.append(str(child.attrGet("href")))
    return links, slugs


@lru_cache(maxsize=4096)
def _slugs_of(path: str) -> frozenset[str]:
    return frozenset(parse_page(Path(path).read_text(encoding="utf-8"))[1])


def check_tree(out: Path) -> list[str]:
    """Every broken link under ``out``, as ``page: link (why)``; empty when all resolve."""
    _slugs_of.cache_clear()
    problems: list[str] = []
    pages = sorted(p for p in Path(out).rglob("*.md") if p.is_file())
    if not pages:
        return [f"{out}: no pages"]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        links, slugs = parse_page(text)
        for href in links:
            problem = check_link(page, href, slugs)
            if problem:
                problems.append(f"{page.relative_to(out)}: {href} ({problem})")
    return problems


def check_link(page: Path, href: str, own_slugs: set[str]) -> str:
    """Why one link of ``page`` does not resolve, or ""."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return ""  # external links are not ours to check
    anchor = unquote(parts.fragment)
    if not parts.path:
        return "" if anchor in own_slugs else f"no heading #{anchor} in this page"
    if parts.path.startswith("/"):
        return "absolute path"
    target = os.path.normpath(os.path.join(page.parent, unquote(parts.path)))
    if not os.path.isfile(target):
        return "no such file"
    if anchor:
        if not target.endswith(".md"):
            return "anchor into a file that is not a page"
        if anchor not in _slugs_of(target):
            return f"no heading #{anchor} in the target"
    return ""
