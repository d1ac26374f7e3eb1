"""Folder pages: ``index.md`` (files and subfolders with counts) and ``doc.md`` (the package
docstring, main classes and functions, totals) for every folder holding indexed files."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from kwdocs.model import FileRecord
from kwdocs.pages import (
    FOLDER_DOC,
    FOLDER_INDEX,
    docs_page,
    folder_page,
    keyword_anchors,
    kw_page,
    link_target,
)
from kwdocs.render.markdown import FOOTER, code, escape, fence, header, link, plural

MAIN_LIMIT = 200


@dataclass
class Folder:
    """One output folder: the files directly in it and its subfolders."""

    path: str
    files: list[str] = field(default_factory=list)
    subfolders: list[str] = field(default_factory=list)
    total_files: int = 0


def folder_tree(paths: list[str]) -> dict[str, Folder]:
    """Every folder on the way to an indexed file, the root ("") included."""
    folders: dict[str, Folder] = {"": Folder("")}
    for path in sorted(paths):
        parent = posixpath.dirname(path)
        chain = []
        cursor = parent
        while cursor not in folders:
            chain.append(cursor)
            cursor = posixpath.dirname(cursor)
        for created in reversed(chain):
            folders[created] = Folder(created)
            folders[posixpath.dirname(created)].subfolders.append(created)
        folders[parent].files.append(path)
        cursor = parent
        while True:
            folders[cursor].total_files += 1
            if not cursor:
                break
            cursor = posixpath.dirname(cursor)
    for folder in folders.values():
        folder.subfolders.sort()
    return folders


def _title(folder: str) -> str:
    return code(folder + "/") if folder else "the workspace root"


def _counts(record: FileRecord) -> str:
    if record.language == "python":
        classes = sum(1 for k in record.keywords if k.kind == "class")
        functions = sum(1 for k in record.keywords if k.kind in ("function", "method", "property"))
        return f"{plural(classes, 'class', 'classes')}, {plural(functions, 'function')}"
    if record.language == "markdown":
        return plural(sum(1 for k in record.keywords if k.kind == "heading"), "heading")
    return "text"


def render_folder_index(folder: Folder, records: Mapping[str, FileRecord]) -> str:
    """``<folder>/index.md``: the folder's files and subfolders, with links and counts."""
    page = folder_page(folder.path, FOLDER_INDEX)
    out = [header("folder index", folder.path or "."), f"# Index: {_title(folder.path)}", ""]
    doc = link("folder documentation", link_target(page, folder_page(folder.path, FOLDER_DOC)))
    out.append(
        f"{plural(len(folder.files), 'file')} here and {plural(folder.total_files, 'file')} "
        f"in all; {plural(len(folder.subfolders), 'subfolder')}. See also the {doc}."
    )
    out.append("")
    if folder.path:
        parent = posixpath.dirname(folder.path)
        out += [
            f"Up: {link(_title(parent), link_target(page, folder_page(parent, FOLDER_INDEX)))}",
            "",
        ]
    out += ["## Subfolders", ""]
    if not folder.subfolders:
        out += ["No subfolders.", ""]
    for sub in folder.subfolders:
        name = posixpath.basename(sub)
        out.append(f"- {link(code(name + '/'), link_target(page, folder_page(sub, FOLDER_INDEX)))}")
    if folder.subfolders:
        out.append("")
    out += ["## Files", ""]
    if not folder.files:
        out += ["No files directly in this folder.", ""]
    for path in folder.files:
        record = records[path]
        name = posixpath.basename(path)
        docs = link(code(name), link_target(page, docs_page(path)))
        keywords = link("keywords", link_target(page, kw_page(path)))
        out.append(
            f"- {docs} ({keywords}): {plural(record.lines, 'line')}, {_counts(record)}, "
            f"{plural(len(record.keywords), 'keyword')}"
        )
    if folder.files:
        out.append("")
    out += ["---", "", FOOTER, ""]
    return "\n".join(out)


def render_folder_doc(folder: Folder, records: Mapping[str, FileRecord]) -> str:
    """``<folder>/doc.md``: package docstring, main classes and functions, totals."""
    page = folder_page(folder.path, FOLDER_DOC)
    out = [
        header("folder documentation", folder.path or "."),
        f"# Folder Documentation: {_title(folder.path)}",
        "",
    ]
    index = link(FOLDER_INDEX, link_target(page, folder_page(folder.path, FOLDER_INDEX)))
    out.append(f"Index of this folder: {index}.")
    out += ["", "## Package Docstring", ""]
    init = next(
        (p for p in folder.files if posixpath.basename(p) in ("__init__.py", "__init__.pyi")), None
    )
    if init is None:
        out += ["The folder has no `__init__.py`: it is not a regular Python package.", ""]
    elif records[init].docstring:
        out += [fence(records[init].docstring, "text"), ""]
    else:
        out += ["Its `__init__.py` has no docstring.", ""]
    out += ["## Main Classes and Functions", ""]
    totals: dict[str, int] = defaultdict(int)
    shown = 0
    for path in folder.files:
        record = records[path]
        totals["lines"] += record.lines
        for keyword in record.keywords:
            totals[keyword.kind] += 1
        main = [
            k
            for k in record.keywords
            if k.kind in ("class", "function")
            and "." not in k.qualname
            and not k.name.startswith("_")
        ]
        if not main or shown >= MAIN_LIMIT:
            continue
        anchors = keyword_anchors(record)
        out.append(f"- {link(code(posixpath.basename(path)), link_target(page, docs_page(path)))}:")
        for keyword in main[: MAIN_LIMIT - shown]:
            anchor = anchors.get((keyword.kind, keyword.qualname, keyword.line), "")
            summary = f": {escape(keyword.summary)}" if keyword.summary else ""
            target = link_target(page, docs_page(path), anchor)
            out.append(f"  - {keyword.kind} {link(code(keyword.qualname), target)}{summary}")
            shown += 1
    if shown == 0:
        out.append("No public top-level classes or functions in the files of this folder.")
    elif shown >= MAIN_LIMIT:
        out.append(f"- … the first {MAIN_LIMIT} are listed; see each file's page for the rest.")
    out += ["", "## Totals", ""]
    out += [
        f"- **Files here**: {len(folder.files):,} ({folder.total_files:,} with subfolders)",
        f"- **Lines**: {totals['lines']:,}",
        f"- **Classes**: {totals['class']:,}",
        f"- **Functions**: {totals['function']:,}",
        f"- **Methods**: {totals['method'] + totals['property']:,}",
        f"- **Imports**: {totals['module'] + totals['import']:,}",
        "",
        "---",
        "",
        FOOTER,
        "",
    ]
    return "\n".join(out)
