"""The keyword page of one file (``<file>_kw.md``): every keyword, linked to the section of the
docs page that describes it."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping

from kwdocs.extract.pynodes import property_role
from kwdocs.model import GROUP_ORDER, KIND_GROUPS, STAR, FileRecord, Keyword, Kind
from kwdocs.pages import (
    FOLDER_INDEX,
    docs_page,
    folder_page,
    github_slug,
    keyword_anchors,
    kw_page,
    link_target,
)
from kwdocs.render.markdown import FOOTER, code, escape, header, link, plural, source_link
from kwdocs.resolve import is_overload

# Which docs-page sections describe each group, for the Keyword → Section Map.
GROUP_SECTIONS: dict[str, tuple[str, ...]] = {
    "Namespaces": ("Detailed Analysis",),
    "Classes": ("Detailed Analysis", "Architecture & Design"),
    "Functions": ("Detailed Analysis", "Performance Considerations"),
    "Methods": ("Detailed Analysis", "Performance Considerations"),
    "Attributes": ("Detailed Analysis",),
    "Constants": ("Module-level names",),
    "Types": ("Detailed Analysis",),
    "Variables": ("Module-level names",),
    "Keys": ("Detailed Analysis",),
    "Targets": ("Detailed Analysis",),
    "Imports": ("Dependencies",),
    "Headings": ("Detailed Analysis",),
    "Identifiers": ("Identifiers",),
}


# The docs page lists constants and variables under "Module-level names"; C's macros, grouped
# with the constants, have headings of their own in the Detailed Analysis.
_NAMES_SECTION = "Module-level names"
_LISTED_NAMES = frozenset({Kind.CONSTANT, Kind.VARIABLE})
_IMPORTS = (Kind.MODULE, Kind.IMPORT)
# The Section Map's link labels and anchors, the same on every page.
_SECTION_LABELS = {t: escape(t) for titles in GROUP_SECTIONS.values() for t in titles}
_SECTION_SLUGS = {t: github_slug(t) for t in _SECTION_LABELS}


def _sections_of(group: str, members: list[Keyword]) -> tuple[str, ...]:
    sections = GROUP_SECTIONS[group]
    if _NAMES_SECTION not in sections:
        return sections
    listed = any(k.kind in _LISTED_NAMES for k in members)
    headed = any(k.kind not in _LISTED_NAMES for k in members)
    return (_NAMES_SECTION,) * listed + ("Detailed Analysis",) * headed


def display_name(keyword: Keyword) -> str:
    """What the keyword list shows: qualnames for members, ``name as alias`` for imports."""
    if keyword.kind in ("module", "import"):
        if keyword.alias == STAR:
            return f"{keyword.name}.*"
        return f"{keyword.name} as {keyword.alias}" if keyword.alias else keyword.name
    if keyword.kind in ("constant", "variable", "identifier"):
        return keyword.name
    return keyword.qualname


def keyword_groups(record: FileRecord) -> dict[str, list[Keyword]]:
    """The record's keywords by group (``KIND_GROUPS``), in record order."""
    groups: dict[str, list[Keyword]] = {}
    for keyword in record.keywords:
        groups.setdefault(KIND_GROUPS.get(keyword.kind, "Variables"), []).append(keyword)
    return groups


def keyword_counts(record: FileRecord, groups: dict[str, list[Keyword]] | None = None) -> str:
    """ "43 keywords: 2 namespaces, 2 classes, …" (or why there are none): the one count of a
    file's keywords, on its keyword page and on the docs page of a file in another language
    than Python. ``groups``: ``keyword_groups(record)`` when the caller has it already."""
    if not record.keywords:
        reason = {
            "text": "kwdocs extracts no keywords from text files",
            "markdown": "the document has no headings and no inline code identifiers",
        }.get(record.language, "the file defines and imports nothing")
        return f"no keywords: {reason}"
    if groups is None:
        groups = keyword_groups(record)
    counts = ", ".join(
        plural(len(groups[g]), g.lower()[:-1], g.lower())
        if g != "Classes"
        else plural(len(groups[g]), "class", "classes")
        for g in GROUP_ORDER
        if g in groups
    )
    return f"{plural(len(record.keywords), 'keyword')}: {counts}"


def render_kw_page(
    record: FileRecord,
    root_from_out: str,
    anchors: dict[tuple[str, str, int], str] | None = None,
    import_files: Mapping[str, str] | None = None,
) -> str:
    """The keyword page of ``record``; ``root_from_out`` is ROOT relative to OUT;
    ``import_files``: target of each import → the workspace file it comes from (the engine's
    resolution, kwdocs.resolve.import_files)."""
    # ``anchors`` is keyword_anchors(record) when the caller has computed it already.
    page = kw_page(record.path)
    docs = docs_page(record.path)
    docs_name = posixpath.basename(docs)
    folder = posixpath.dirname(record.path)
    if anchors is None:
        anchors = keyword_anchors(record)
    if import_files is None:
        import_files = {}
    docs_link = link_target(page, docs)
    out = [header("keyword page", record.path), f"# Keyword Index: {code(record.path)}", ""]
    source = source_link(page, record.path, root_from_out)
    folder_index = link_target(page, folder_page(folder, FOLDER_INDEX))
    out += [
        "## File Information",
        "",
        f"- **Original File**: {link(escape(record.path), source)}",
        f"- **Documentation**: {link(code(docs_name), docs_link)}",
        f"- **Folder**: {link(code(folder or '.'), folder_index)}",
        f"- **Language**: {record.language}",
        f"- **Keywords**: {len(record.keywords):,}",
        "",
        "## Keywords Extracted",
        "",
    ]
    groups = keyword_groups(record)
    out += [f"This file has {keyword_counts(record, groups)}.", ""]
    # Every row links to the docs page: all but the anchor is the same for the whole page
    # (``link`` spelt out, as in every row of every page).
    to_docs = f"[{escape(docs_name)}]({docs_link}#"
    targets: dict[str, str] = {}
    for group in GROUP_ORDER:
        members = groups.get(group)
        if not members:
            continue
        out += [f"### {group}", ""]
        rows: list[tuple[str, str, int, str]] = []
        for keyword in members:
            kind = keyword.kind
            name = display_name(keyword)
            anchor = anchors.get((kind, keyword.qualname, keyword.line), "detailed-analysis")
            line = f"- **{code(name)}**: {to_docs}{anchor})"
            if keyword.target and kind in _IMPORTS:
                where = import_files.get(keyword.target)
                if where is not None:
                    target_page = targets.get(where)
                    if target_page is None:  # a file imported from many times: worked out once
                        target_page = targets[where] = link_target(page, docs_page(where))
                    line += f" → {code(keyword.target)} in {link(code(where), target_page)}"
                elif keyword.target != name:
                    line += f" → {code(keyword.target)}"
            if kind == "property":
                line += f" ({property_role(keyword)})"
            elif keyword.decorators and is_overload(record, keyword):
                line += f" (`@overload`, line {keyword.line})"  # beside its namesakes
            # Flat, the tuples sort as (key, row) would, with fewer nested comparisons.
            rows.append((name.lower(), name, keyword.line, line))
        rows.sort()
        out += [row[3] for row in rows]
        out.append("")
    out += ["## Keyword → Section Map", ""]
    if not groups:
        out += ["No keywords, so no section describes one.", ""]
    for group in GROUP_ORDER:
        if group not in groups:
            continue
        sections = ", ".join(
            f"[{_SECTION_LABELS[title]}]({docs_link}#{_SECTION_SLUGS[title]})"
            for title in _sections_of(group, groups[group])
        )
        out.append(f"- **{group}** ({len(groups[group]):,}): {sections}")
    out += ["", "---", "", FOOTER, ""]
    return "\n".join(out)
