"""What an export writes beside the pages so other tools can show them: the landing
``README.md`` of the output folder (GitHub's folder view shows it) and, on request, an MkDocs
configuration with a navigation over every page (``kwdocs export --site``)."""

from __future__ import annotations

import enum
import json
import os
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kwdocs.export.output import atomic_write
from kwdocs.export.summary import ExportError
from kwdocs.pages import (
    DOCS_SUFFIX,
    FOLDER_DOC,
    FOLDER_INDEX,
    KW_SUFFIX,
    LANDING_PAGE,
    folder_page,
    link_target,
)
from kwdocs.render.markdown import FOOTER, code, header, link, plural

SITE_CONFIG = "mkdocs.yml"
SITE_MARKER = "# kwdocs:generated"
"""First line of an MkDocs configuration kwdocs wrote: only such a file is ever overwritten."""
PLUGIN = "kwdocs"
"""The MkDocs plugin's name (entry point ``mkdocs.plugins``, kwdocs.export.mkdocs_plugin)."""


def render_landing(root_name: str, files: int) -> str:
    """``OUT/README.md``: where the pages start, for GitHub's folder view and a site's home."""
    index = link_target(LANDING_PAGE, folder_page("", FOLDER_INDEX))
    doc = link_target(LANDING_PAGE, folder_page("", FOLDER_DOC))
    return "\n".join(
        [
            header("landing page", "."),
            f"# kwdocs pages: {code(root_name)}",
            "",
            f"Generated documentation of {plural(files, 'file')} of {code(root_name)}: for "
            "each file a documentation page (`<file>_docs.md`) and a keyword page "
            "(`<file>_kw.md`), for each folder an index and an overview.",
            "",
            f"- {link('Index of the workspace', index)}: every folder and file, with counts.",
            f"- {link('Overview of the workspace', doc)}: its main classes and functions.",
            "",
            FOOTER,
            "",
        ]
    )


class PageRole(str, enum.Enum):
    """What a page of the export is, by its path."""

    DOCS = "docs"
    KEYWORDS = "kw"
    INDEX = "index"
    DOC = "doc"
    LANDING = "landing"


def role_of(page: str) -> tuple[PageRole, str] | None:
    """A page's role and what it describes (a source file or folder); None for other files."""
    if page == LANDING_PAGE:
        return PageRole.LANDING, ""
    if page.endswith(DOCS_SUFFIX):
        return PageRole.DOCS, page[: -len(DOCS_SUFFIX)]
    if page.endswith(KW_SUFFIX):
        return PageRole.KEYWORDS, page[: -len(KW_SUFFIX)]
    folder, name = posixpath.split(page)
    if name == FOLDER_INDEX:
        return PageRole.INDEX, folder
    if name == FOLDER_DOC:
        return PageRole.DOC, folder
    return None


@dataclass
class _NavFolder:
    pages: dict[PageRole, str] = field(default_factory=dict)
    files: dict[str, dict[PageRole, str]] = field(default_factory=dict)
    subfolders: dict[str, _NavFolder] = field(default_factory=dict)


def _nav_tree(pages: Iterable[str]) -> _NavFolder:
    top = _NavFolder()

    def folder_of(path: str) -> _NavFolder:
        node = top
        for part in path.split("/") if path else []:
            node = node.subfolders.setdefault(part, _NavFolder())
        return node

    for page in sorted(pages):
        found = role_of(page)
        if found is None:
            continue
        role, subject = found
        if role in (PageRole.DOCS, PageRole.KEYWORDS):
            parent, name = posixpath.split(subject)
            folder_of(parent).files.setdefault(name, {})[role] = page
        else:
            folder_of(subject).pages[role] = page
    return top


_FOLDER_TITLES = ((PageRole.INDEX, "Index"), (PageRole.DOC, "Overview"))
_FILE_TITLES = ((PageRole.DOCS, "Documentation"), (PageRole.KEYWORDS, "Keywords"))


def _yaml(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: names with any character stay inert.
    return json.dumps(text)


def _nav_lines(node: _NavFolder, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [
        f"{pad}- {title}: {_yaml(node.pages[role])}"
        for role, title in _FOLDER_TITLES
        if role in node.pages
    ]
    for name, roles in sorted(node.files.items()):
        lines.append(f"{pad}- {_yaml(name)}:")
        lines += [
            f"{pad}  - {title}: {_yaml(roles[role])}"
            for role, title in _FILE_TITLES
            if role in roles
        ]
    for name, sub in sorted(node.subfolders.items()):
        lines.append(f"{pad}- {_yaml(name + '/')}:")
        lines += _nav_lines(sub, depth + 1)
    return lines


def render_site_config(root: Path, out: Path, config: Path, pages: Iterable[str]) -> str:
    """An MkDocs configuration at ``config`` for the pages in ``out``: their navigation, the
    kwdocs plugin (GitHub's anchors; source links to each page's source section), and link
    and anchor checks that ``mkdocs build --strict`` turns into errors."""
    here = config.parent
    docs_dir = os.path.relpath(out, here).replace(os.sep, "/")
    site_dir = "site"
    if Path(os.path.realpath(here / site_dir)).is_relative_to(os.path.realpath(out)):
        site_dir = os.path.relpath(out.parent / f"{out.name}-site", here).replace(os.sep, "/")
    lines = [
        f"{SITE_MARKER} MkDocs configuration (kwdocs export --site writes it again)",
        f"# Build: mkdocs build --strict -f {config.name}   Browse: mkdocs serve -f {config.name}",
        f"site_name: {_yaml(f'{root.name} (kwdocs)')}",
        f"docs_dir: {_yaml(docs_dir)}",
        f"site_dir: {_yaml(site_dir)}",
        # Page URLs keep their file names: the built site also works opened from disk.
        "use_directory_urls: false",
        # MkDocs takes a folder's README.md for its index.md: the landing page is GitHub's.
        "exclude_docs: |",
        f"  /{LANDING_PAGE}",
        "validation:",
        "  nav:",
        "    omitted_files: warn",
        "    not_found: warn",
        "  links:",
        "    not_found: warn",
        "    anchors: warn",
        "    absolute_links: warn",
        "    unrecognized_links: warn",
        "plugins:",
        "  - search",
        f"  - {PLUGIN}",
        "markdown_extensions:",
        "  - toc:",
        "      permalink: true",
        "nav:",
        *_nav_lines(_nav_tree(pages), 1),
        "",
    ]
    return "\n".join(lines)


def check_site_config(config: Path, out: Path) -> None:
    """ExportError when ``config`` cannot hold the MkDocs configuration of ``out``."""
    here = Path(os.path.realpath(config.parent))
    if here == Path(os.path.realpath(out)):
        raise ExportError(
            f"the MkDocs configuration cannot be inside the output folder itself ({config}): "
            "MkDocs wants its pages in a folder beside its configuration"
        )
    if config.is_dir():
        raise ExportError(f"the MkDocs configuration is a folder: {config}")
    try:
        with open(config, "rb") as f:
            first = f.readline()
    except FileNotFoundError:
        return
    except OSError as error:
        raise ExportError(f"cannot read {config}: {error.strerror}") from None
    if not first.startswith(SITE_MARKER.encode()):
        raise ExportError(
            f"{config} is not a configuration kwdocs wrote: left alone (name another path with "
            f"--site PATH, or add the {PLUGIN!r} plugin to it: docs/cli.md)"
        )


def write_site_config(root: Path, out: Path, config: Path, pages: Iterable[str]) -> None:
    """Write (or rewrite) the MkDocs configuration of an export."""
    check_site_config(config, out)
    text = render_site_config(root, out, config, pages)
    try:
        config.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(str(config), text.encode("utf-8"))
    except OSError as error:
        raise ExportError(f"cannot write {config}: {error.strerror}") from None
