"""The ``kwdocs`` MkDocs plugin (``plugins: [search, kwdocs]``; the ``site`` extra installs
MkDocs): kwdocs pages built by MkDocs keep the links they have on GitHub.

- Headings of kwdocs pages get GitHub's anchors (kwdocs.pages.Slugger, the one source of
  anchors), where MkDocs's own would differ (``#architecture--design``, ``-1`` suffixes).
- A link from a page to a source file outside MkDocs's ``docs_dir`` (the site holds no copy of
  it) leads to the "Original Source" section of that file's docs page instead.

Pages of the user's own are left as MkDocs makes them. Imported only by MkDocs, through the
entry point: kwdocs itself never needs MkDocs.
"""

from __future__ import annotations

import html
import os
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import msgspec
from markdown import Markdown
from markdown.extensions import Extension
from markdown.extensions.toc import render_inner_html, strip_tags
from markdown.treeprocessors import Treeprocessor
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from kwdocs.discover import MANIFEST_NAME
from kwdocs.extract import GENERATED_MARKER
from kwdocs.pages import ORIGINAL_SOURCE, Slugger, docs_page, link_target

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


class _ExportRoot(msgspec.Struct):
    root: str = ""
    """The workspace root relative to the export folder (the manifest's ``root``)."""


@dataclass(frozen=True)
class _Export:
    """An export folder inside ``docs_dir`` and the workspace its pages describe."""

    folder: Path
    root: Path | None


@dataclass(frozen=True)
class _CurrentPage:
    path: Path
    """The page's file."""
    export: _Export


class KwdocsPlugin(BasePlugin):  # type: ignore[type-arg]
    """Keeps kwdocs pages' anchors and source links working in an MkDocs site."""

    def __init__(self) -> None:
        self.docs_dir = Path()
        self.files: Files | None = None
        self.current: _CurrentPage | None = None
        self._exports: dict[Path, _Export | None] = {}

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        # Real paths throughout: the manifest's root is relative between real paths.
        self.docs_dir = Path(os.path.realpath(config.docs_dir))
        self._exports.clear()
        config.markdown_extensions.append(_KwdocsExtension(self))  # type: ignore[arg-type]
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        self.files = files
        return files

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        # MkDocs renders one page at a time, right after this event: the tree processor
        # below works on this page.
        self.current = None
        if markdown.lstrip("\ufeff").startswith(GENERATED_MARKER) and page.file.abs_src_path:
            path = Path(os.path.realpath(page.file.abs_src_path))
            export = self._export_of(path.parent)
            if export is not None:
                self.current = _CurrentPage(path, export)
        return markdown

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        self.current = None
        return html

    def _export_of(self, folder: Path) -> _Export | None:
        """The export folder holding ``folder`` (the nearest with a kwdocs manifest)."""
        if folder in self._exports:
            return self._exports[folder]
        found: _Export | None = None
        manifest = folder / MANIFEST_NAME
        if manifest.is_file():
            try:
                relative = msgspec.json.decode(manifest.read_bytes(), type=_ExportRoot).root
            except (OSError, msgspec.DecodeError, msgspec.ValidationError):
                relative = ""
            root = Path(os.path.normpath(folder / relative)) if relative else None
            found = _Export(folder, root)
        elif folder != self.docs_dir and self.docs_dir in folder.parents:
            found = self._export_of(folder.parent)
        self._exports[folder] = found
        return found

    def source_link(self, href: str) -> str | None:
        """The link that replaces ``href`` of the current page, or None to keep it."""
        page = self.current
        if page is None or page.export.root is None or self.files is None:
            return None
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
            return None
        target = Path(os.path.normpath(page.path.parent / unquote(parts.path)))
        if target == self.docs_dir or self.docs_dir in target.parents:
            return None  # inside the site: MkDocs resolves it
        root = page.export.root
        if root not in target.parents:
            return None
        source = target.relative_to(root).as_posix()
        docs = page.export.folder / docs_page(source)
        uri = docs.relative_to(self.docs_dir).as_posix() if self.docs_dir in docs.parents else None
        if uri is None or self.files.get_file_from_path(uri) is None:
            return None
        from_page = page.path.relative_to(page.export.folder).as_posix()
        return link_target(from_page, docs_page(source), ORIGINAL_SOURCE)


class _KwdocsExtension(Extension):
    def __init__(self, plugin: KwdocsPlugin) -> None:
        super().__init__()
        self.plugin = plugin

    def extendMarkdown(self, md: Markdown) -> None:
        # After the inline patterns (20) made links and code spans, before attribute lists'
        # ids are read by toc and MkDocs's anchor and link checks (5, 0).
        md.treeprocessors.register(_PageTreeprocessor(md, self.plugin), "kwdocs", 6)


class _PageTreeprocessor(Treeprocessor):
    def __init__(self, md: Markdown, plugin: KwdocsPlugin) -> None:
        super().__init__(md)
        self.plugin = plugin

    def run(self, root: etree.Element) -> None:
        if self.plugin.current is None:
            return
        slugger = Slugger()
        for element in root.iter():
            if element.tag in _HEADINGS:
                # The heading's text as toc reads it; the slug as GitHub makes it.
                text = html.unescape(strip_tags(render_inner_html(element, self.md)))
                slug = slugger.slug(text)
                element.attrib.setdefault("id", slug)
            elif element.tag == "a":
                href = element.get("href")
                replaced = self.plugin.source_link(href) if href else None
                if replaced is not None:
                    element.set("href", replaced)
