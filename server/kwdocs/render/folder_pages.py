"""Folder pages: ``index.md`` (files with a line of purpose and counts, subfolders) and
``doc.md`` (the package docstring, the folder's public API, its subfolders with their purpose,
an import diagram of its files, totals) for every folder holding indexed files."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from kwdocs.analyse import main_definition
from kwdocs.link_types import ApiEntry, FolderLinks
from kwdocs.model import FileRecord
from kwdocs.pages import (
    FOLDER_DOC,
    FOLDER_INDEX,
    docs_page,
    folder_page,
    kw_page,
    link_target,
)
from kwdocs.render.diagrams import MAX_NODES, import_graph
from kwdocs.render.docstrings import (
    docstring_markdown,
    inline_markdown,
    parse_docstring,
    summary_source,
)
from kwdocs.render.markdown import FOOTER, code, escape, header, link, plural

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
        functions = sum(1 for k in record.keywords if k.kind == "function")
        methods = sum(1 for k in record.keywords if k.kind in ("method", "property"))
        return (
            f"{plural(classes, 'class', 'classes')}, {plural(functions, 'function')}, "
            f"{plural(methods, 'method')}"
        )
    if record.language == "markdown":
        return plural(sum(1 for k in record.keywords if k.kind == "heading"), "heading")
    return "text"


def purpose(record: FileRecord) -> str:
    """One line of what a file is for, as inline Markdown: its docstring's first sentence,
    else the summary of its main definition (``analyse.main_definition``, the docs page's
    choice too), labelled; "" without (no public definition has a docstring)."""
    if record.docstring:
        first = summary_source(record.docstring)
        if first:
            return inline_markdown(first)
    main = main_definition(record)
    if main is None or not main.documented:
        return ""
    keyword = main.keyword
    return f"its {main.label()} {code(keyword.name)}: {inline_markdown(keyword.summary)}"


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
        what = purpose(record)
        out.append(
            f"- {docs} ({keywords}): {plural(record.lines, 'line')}, {_counts(record)}, "
            f"{plural(len(record.keywords), 'keyword')}" + (f" — {what}" if what else "")
        )
    if folder.files:
        out.append("")
    out += ["---", "", FOOTER, ""]
    return "\n".join(out)


def render_folder_doc(
    folder: Folder, records: Mapping[str, FileRecord], links: FolderLinks | None = None
) -> str:
    """``<folder>/doc.md``: package docstring, public API, subfolders, imports, totals."""
    links = links if links is not None else FolderLinks()
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
        docstring = records[init].docstring
        out += [
            docstring_markdown(parse_docstring(docstring, summary=False)) or escape(docstring),
            "",
        ]
    else:
        out += ["Its `__init__.py` has no docstring.", ""]
    out += ["## Main Classes and Functions", ""]
    out += _api(page, links)
    out += _subfolders(page, folder, records)
    out += _imports(folder, links)
    totals: dict[str, int] = defaultdict(int)
    for path in folder.files:
        record = records[path]
        totals["lines"] += record.lines
        for keyword in record.keywords:
            totals[keyword.kind] += 1
    out += ["## Totals", ""]
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


_API_SOURCES = {
    "__all__": "The folder's public API: the names its `__init__.py` exports in `__all__`, "
    "each linked to where it is defined.",
    "imports": "The folder's public API: the public names its `__init__.py` imports or "
    "defines (it has no `__all__`), each linked to where it is defined.",
    "modules": "The public classes and functions of the folder's public modules (file names "
    "not starting with `_`).",
}


def _api(page: str, links: FolderLinks) -> list[str]:
    if not links.api:
        return [
            "No public API: no `__all__`, no public names in `__init__.py`, and no public "
            "classes or functions in public modules.",
            "",
        ]
    out = [_API_SOURCES.get(links.api_source, ""), ""]
    for entry in links.api:
        out.append(f"- {_api_line(page, entry)}")
    if len(links.api) >= MAIN_LIMIT:
        out.append(f"- … the first {MAIN_LIMIT} are listed.")
    out.append("")
    return out


def _api_line(page: str, entry: ApiEntry) -> str:
    if not entry.path:
        return f"{code(entry.name)}: not defined in a file of this workspace"
    target = link_target(page, docs_page(entry.path), entry.anchor)
    where = code(posixpath.basename(entry.path))
    shown = entry.name if entry.kind == "module" else entry.qualname
    line = f"{entry.kind} {link(code(shown), target)} in {where}"
    if entry.name != shown.rpartition(".")[2]:
        line = f"{code(entry.name)}: {line}"
    if entry.summary:
        line += f": {inline_markdown(entry.summary)}"
    return line


def _subfolders(page: str, folder: Folder, records: Mapping[str, FileRecord]) -> list[str]:
    if not folder.subfolders:
        return []
    out = ["**Subfolders**:", ""]
    for sub in folder.subfolders:
        name = posixpath.basename(sub)
        target = link_target(page, folder_page(sub, FOLDER_DOC))
        init = next(
            (records[p] for p in (f"{sub}/__init__.py", f"{sub}/__init__.pyi") if p in records),
            None,
        )
        what = purpose(init) if init is not None else ""
        out.append(f"- {link(code(name + '/'), target)}" + (f": {what}" if what else ""))
    out.append("")
    return out


def _imports(folder: Folder, links: FolderLinks) -> list[str]:
    nodes = [(p, posixpath.basename(p)) for p in folder.files]
    nodes += [(sub + "/", posixpath.basename(sub) + "/") for sub in folder.subfolders]
    diagram = import_graph(nodes, links.imports)
    if diagram is None:
        return []
    out = [
        "**Imports between its files and subfolders** (an arrow points at what is imported; "
        "imports from elsewhere are on each file's page):",
        "",
        diagram.mermaid(),
        "",
    ]
    if diagram.left_out:
        out += [
            f"{plural(diagram.left_out, 'more file')} not drawn (at most {MAX_NODES} per diagram).",
            "",
        ]
    return out
