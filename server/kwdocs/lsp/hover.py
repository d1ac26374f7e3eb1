"""``textDocument/hover``: the keyword under the cursor as Markdown (or plain text): kind and
qualified name, signature, docstring summary, where it is defined, links to its pages."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.model import FileRecord, Keyword
from kwdocs.pages import docs_page, keyword_anchors, kw_page, page_uri
from kwdocs.render.markdown import code, fence
from kwdocs.resolve import Candidate

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

# How many other definitions a hover lists before "and N more".
OTHERS_SHOWN = 5


@functools.lru_cache(maxsize=4096)
def summary_markdown(summary: str) -> str:
    """A docstring summary as Markdown (reST/Google/NumPy converted); plain text as is."""
    if not summary:
        return ""
    try:
        import docstring_to_markdown

        return docstring_to_markdown.convert(summary).strip()
    except Exception:  # UnknownFormatError for plain prose, or a converter bug
        return summary


class Anchors:
    """keyword_anchors per record, recomputed only when the record object changes."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[FileRecord, dict[tuple[str, str, int], str]]] = {}

    def of(self, root: str, record: FileRecord, keyword: Keyword) -> str:
        key = (root, record.path)
        cached = self._cache.get(key)
        if cached is None or cached[0] is not record:
            if len(self._cache) > 2048:
                self._cache.clear()
            cached = (record, keyword_anchors(record))
            self._cache[key] = cached
        return cached[1].get((keyword.kind, keyword.qualname, keyword.line), "")


def links(anchors: Anchors, candidate: Candidate) -> tuple[str, str] | None:
    """URIs of the docs page section and the keyword page of a candidate."""
    folder = candidate.folder
    record = folder.index.get(candidate.path)
    if record is None:
        return None
    out = folder.settings.out
    keyword = candidate.keyword
    anchor = ""
    if not (keyword.kind == "module" and keyword.end_col == 0):  # not a whole-module stand-in
        anchor = anchors.of(str(folder.root), record, keyword) or "detailed-analysis"
    return page_uri(out, docs_page(record.path), anchor), page_uri(out, kw_page(record.path))


def _title(candidate: Candidate) -> tuple[str, str]:
    keyword = candidate.keyword
    if keyword.kind in ("import", "module") and keyword.target:
        return keyword.kind, keyword.target
    record = candidate.folder.index.get(candidate.path)
    module = record.module if record is not None else ""
    if keyword.kind == "heading" or not module or keyword.qualname == module:
        return keyword.kind, keyword.qualname
    return keyword.kind, f"{module}.{keyword.qualname}"


def render(candidates: list[Candidate], anchors: Anchors, markdown: bool) -> str:
    """The hover text for ranked candidates (the best first)."""
    best = candidates[0]
    keyword = best.keyword
    kind, name = _title(best)
    record = best.folder.index.get(best.path)
    language = record.language if record is not None else "python"
    where = f"{best.path}:{keyword.line}"
    page = links(anchors, best)
    parts: list[str] = []
    if markdown:
        parts.append(f"**{kind}** {code(name)}")
        if keyword.signature and language == "python":
            parts.append(fence(keyword.signature, "python"))
        elif keyword.signature:
            parts.append(code(keyword.signature))
        summary = summary_markdown(keyword.summary) if language == "python" else keyword.summary
        if summary:
            parts.append(summary)
        parts.append(f"Defined in {code(where)}")
        if page is not None:
            parts.append(f"[Documentation]({_link(page[0])}) · [Keywords]({_link(page[1])})")
    else:
        parts.append(f"{kind} {name}")
        if keyword.signature:
            parts.append(keyword.signature)
        if keyword.summary:
            parts.append(keyword.summary)
        parts.append(f"Defined in {where}")
        if page is not None:
            parts.append(f"Documentation: {page[0]}\nKeywords: {page[1]}")
    others = candidates[1:]
    if others:
        lines = []
        for other in others[:OTHERS_SHOWN]:
            o_kind, o_name = _title(other)
            o_where = f"{other.path}:{other.keyword.line}"
            if markdown:
                lines.append(f"- {o_kind} {code(o_name)} in {code(o_where)}")
            else:
                lines.append(f"- {o_kind} {o_name} in {o_where}")
        if len(others) > OTHERS_SHOWN:
            lines.append(f"- and {len(others) - OTHERS_SHOWN} more")
        heading = "Other definitions:"
        parts.append(("---\n" if markdown else "") + heading + "\n" + "\n".join(lines))
    return "\n\n".join(parts)


def _link(uri: str) -> str:
    # Markdown link destinations cannot hold spaces or parentheses unescaped; file URIs are
    # percent-encoded already except for these.
    return uri.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def markup_kind(capabilities: types.ClientCapabilities) -> types.MarkupKind:
    """The client's preferred hover format (plain text when it says nothing)."""
    document = capabilities.text_document
    hover = document.hover if document else None
    formats = hover.content_format if hover else None
    for kind in formats or ():
        if kind in (types.MarkupKind.Markdown, types.MarkupKind.PlainText):
            return types.MarkupKind(kind)
    return types.MarkupKind.PlainText


def make_hover(
    candidates: list[Candidate], anchors: Anchors, kind: types.MarkupKind, hover_range: Any
) -> types.Hover:
    text = render(candidates, anchors, kind == types.MarkupKind.Markdown)
    return types.Hover(contents=types.MarkupContent(kind=kind, value=text), range=hover_range)


def handle(server: KwdocsServer, params: types.HoverParams) -> types.Hover | None:
    """Answer a hover request (None when there is no keyword at the position)."""
    from kwdocs.lsp.positions import to_units
    from kwdocs.lsp.sync import check_moved

    doc = server.document(params.text_document.uri)
    if doc is None:
        return None
    found = server.word_at(doc, params.position)
    if found is None:
        return None
    text, word = found
    line_no = params.position.line
    generations = tuple(f.index.generation for f in server.state.folders)
    key = (doc.uri, doc.version, line_no, word.start, word.end, word.segments, generations)
    cached = server.hover_cache.get(key)
    if cached is not None:
        result, folder, path = cached
        if not check_moved(server, folder, path):  # a stat: clients without watchers
            return result
        server.hover_cache.pop(key, None)
        generations = tuple(f.index.generation for f in server.state.folders)
        key = (*key[:-1], generations)
    home, context, is_page = server.context_of(doc)
    server.preload_imports(home, context, word)
    candidates = server.resolver.resolve(
        server.state.folders, home, context, word, None if is_page else line_no + 1
    )
    if not candidates:
        return None
    best = candidates[0]
    if check_moved(server, best.folder, best.path):  # changed on disk since indexed
        candidates = server.resolver.resolve(
            server.state.folders, home, context, word, None if is_page else line_no + 1
        )
        if not candidates:
            return None
        best = candidates[0]
    server.pages.ensure(best.folder, best.path)
    start = types.Position(line=line_no, character=to_units(text, word.start, server.encoding))
    end = types.Position(line=line_no, character=to_units(text, word.end, server.encoding))
    result = make_hover(
        candidates,
        server.anchors,
        markup_kind(server.client_capabilities),
        types.Range(start=start, end=end),
    )
    if len(server.hover_cache) > 1024:
        server.hover_cache.clear()
    server.hover_cache[key] = (result, best.folder, best.path)
    return result
