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
# The kinds shown by their name as written, not their qualified name.
_NAMED = frozenset({Kind.MODULE, Kind.IMPORT, Kind.CONSTANT, Kind.VARIABLE, Kind.IDENTIFIER})
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
    kind = keyword.kind
    if kind not in _NAMED:  # most keywords, settled by one set lookup
        return keyword.qualname
    if kind in _IMPORTS and keyword.alias:
        alias = keyword.alias
        return f"{keyword.name}.*" if alias == STAR else f"{keyword.name} as {alias}"
    return keyword.name


def keyword_groups(record: FileRecord) -> dict[str, list[Keyword]]:
    """The record's keywords by group (``KIND_GROUPS``), in record order."""
    groups: dict[str, list[Keyword]] = {}
    for keyword in record.keywords:
        group = KIND_GROUPS.get(keyword.kind, "Variables")
        members = groups.get(group)
        if members is None:  # (``setdefault`` would make a list for every keyword)
            groups[group] = [keyword]
        else:
            members.append(keyword)
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
    in_files: dict[str, str] = {}
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
            note = ""  # what follows the link
            target = keyword.target
            if target and kind in _IMPORTS:
                where = import_files.get(target)
                if where is not None:
                    in_file = in_files.get(where)
                    if in_file is None:  # a file imported from many times: worked out once
                        target_page = link_target(page, docs_page(where))
                        in_file = in_files[where] = f" in {link(code(where), target_page)}"
                    note = f" → {code(target)}{in_file}"
                elif target != name:
                    note = f" → {code(target)}"
            if kind == "property":
                note += f" ({property_role(keyword)})"
            elif keyword.decorators and is_overload(record, keyword):
                note += f" (`@overload`, line {keyword.line})"  # beside its namesakes
            # ``code(name)``'s common case inlined (its test, unchanged): one string and one
            # call fewer per row, a twentieth of the page's time.
            if (
                name
                and "`" not in name
                and "\n" not in name
                and "\r" not in name
                and name[0] != " " != name[-1]
            ):
                line = f"- **`{name}`**: {to_docs}{anchor}){note}"
            else:
                line = f"- **{code(name)}**: {to_docs}{anchor}){note}"
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
