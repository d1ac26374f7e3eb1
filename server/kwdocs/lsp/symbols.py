"""``textDocument/documentSymbol`` (hierarchical where the client supports it) and
``workspace/symbol`` (ranked search over every folder's index, capped)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.lsp.positions import to_units, units_len
from kwdocs.model import DEFINITION_KINDS, Keyword
from kwdocs.uris import file_uri

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

WORKSPACE_LIMIT = 200
SYMBOL_KINDS = {
    "class": types.SymbolKind.Class,
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "property": types.SymbolKind.Property,
    "constant": types.SymbolKind.Constant,
    "variable": types.SymbolKind.Variable,
    "heading": types.SymbolKind.String,
    "module": types.SymbolKind.Module,
    "import": types.SymbolKind.Module,
}
_OUTLINE_KINDS = DEFINITION_KINDS | {"heading"}


def _hierarchical(capabilities: types.ClientCapabilities) -> bool:
    document = capabilities.text_document
    symbol = document.document_symbol if document else None
    return bool(symbol and symbol.hierarchical_document_symbol_support)


def _heading_level(keyword: Keyword) -> int:
    marks = len(keyword.signature) - len(keyword.signature.lstrip("#"))
    return marks or 1


def document_symbols(server: KwdocsServer, params: types.DocumentSymbolParams) -> Any:
    doc = server.document(params.text_document.uri)
    if doc is None or doc.record is None:
        return None
    lines = doc.lines()
    encoding = server.encoding

    def line_text(number: int) -> str:
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def ranges(keyword: Keyword) -> tuple[types.Range, types.Range]:
        last = max(keyword.end_line, keyword.line)
        last_text = line_text(last)
        start_text = line_text(keyword.line)
        full = types.Range(
            start=types.Position(line=keyword.line - 1, character=0),
            end=types.Position(line=last - 1, character=units_len(last_text, encoding)),
        )
        name = types.Range(
            start=types.Position(
                line=keyword.line - 1, character=to_units(start_text, keyword.col, encoding)
            ),
            end=types.Position(
                line=keyword.line - 1, character=to_units(start_text, keyword.end_col, encoding)
            ),
        )
        return full, name

    keywords = [k for k in doc.record.keywords if k.kind in _OUTLINE_KINDS]
    if not _hierarchical(server.client_capabilities):
        flat = []
        for keyword in keywords:
            full, _ = ranges(keyword)
            container = keyword.qualname.rpartition(".")[0] if keyword.kind != "heading" else ""
            flat.append(
                types.SymbolInformation(
                    name=keyword.name,
                    kind=SYMBOL_KINDS.get(keyword.kind, types.SymbolKind.Variable),
                    location=types.Location(uri=doc.uri, range=full),
                    container_name=container or None,
                )
            )
        return flat
    roots: list[types.DocumentSymbol] = []
    by_qualname: dict[str, types.DocumentSymbol] = {}
    headings: list[tuple[int, types.DocumentSymbol]] = []
    for keyword in keywords:
        full, name = ranges(keyword)
        symbol = types.DocumentSymbol(
            name=keyword.name or "?",
            kind=SYMBOL_KINDS.get(keyword.kind, types.SymbolKind.Variable),
            range=full,
            selection_range=name,
            detail=keyword.signature or None,
            children=[],
        )
        parent: types.DocumentSymbol | None = None
        if keyword.kind == "heading":
            level = _heading_level(keyword)
            while headings and headings[-1][0] >= level:
                headings.pop()
            parent = headings[-1][1] if headings else None
            headings.append((level, symbol))
        else:
            parent = by_qualname.get(keyword.qualname.rpartition(".")[0])
            by_qualname.setdefault(keyword.qualname, symbol)
        if parent is not None and _contains(parent.range, full):
            parent.children.append(symbol)  # type: ignore[union-attr]
        else:
            roots.append(symbol)
    return roots


def _contains(outer: types.Range, inner: types.Range) -> bool:
    return (outer.start.line, outer.start.character) <= (
        inner.start.line,
        inner.start.character,
    ) and (inner.end.line, inner.end.character) <= (outer.end.line, outer.end.character)


def _search(folder: Any, query: str) -> list[Any]:
    """Ranked definitions of a folder; ``mod.Name`` or ``Class.meth`` narrows by the dotted
    prefix (falling back to the last part alone)."""
    query = query.strip()
    if "." not in query.strip("."):
        return folder.index.search(query.strip("."), WORKSPACE_LIMIT)
    head, _, last = query.rpartition(".")
    found = folder.index.search(last, WORKSPACE_LIMIT * 4)
    head = head.lower()
    narrowed = []
    for definition in found:
        record = folder.index.get(definition.path)
        module = record.module if record is not None else ""
        full = f"{module}.{definition.keyword.qualname}".lower()
        if head in full.rpartition(".")[0]:
            narrowed.append(definition)
    return (narrowed or found)[:WORKSPACE_LIMIT]


def workspace_symbols(server: KwdocsServer, params: types.WorkspaceSymbolParams) -> Any:
    server.flush_edits()
    query = params.query if isinstance(params.query, str) else ""
    encoding = server.encoding
    per_folder = [(folder, _search(folder, query)) for folder in server.state.folders]
    # Interleave the folders' ranked lists so the best of each comes first.
    merged = []
    for position in range(WORKSPACE_LIMIT):
        for folder, found in per_folder:
            if position < len(found):
                merged.append((folder, found[position]))
        if len(merged) >= WORKSPACE_LIMIT:
            break
    results = []
    for folder, definition in merged[:WORKSPACE_LIMIT]:
        keyword = definition.keyword
        record = folder.index.get(definition.path)
        # Columns without reading the file: what precedes a definition's name on its line
        # (indentation, ``def``, ``class``) is ASCII, so code points and units agree there.
        start = keyword.col
        end = start + units_len(keyword.name, encoding)
        line = keyword.line - 1
        location = types.Location(
            uri=file_uri(folder.root, definition.path),
            range=types.Range(
                start=types.Position(line=line, character=start),
                end=types.Position(line=line, character=end),
            ),
        )
        parent = keyword.qualname.rpartition(".")[0]
        module = record.module if record is not None and record.module else definition.path
        results.append(
            types.SymbolInformation(
                name=keyword.name,
                kind=SYMBOL_KINDS.get(keyword.kind, types.SymbolKind.Variable),
                location=location,
                container_name=f"{module}.{parent}" if parent else module,
            )
        )
    return results
