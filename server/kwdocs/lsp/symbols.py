"""``textDocument/documentSymbol`` (hierarchical where the client supports it) and
``workspace/symbol`` (ranked search over every folder's index, capped), in every language
with keywords: C++ symbols nest by their ``::`` qualified names, Python's by dotted ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.lsp.positions import to_units, units_len
from kwdocs.model import DEFINITION_KINDS, Keyword, Kind
from kwdocs.native import C_FAMILY
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
    Kind.NAMESPACE: types.SymbolKind.Namespace,
    Kind.STRUCT: types.SymbolKind.Struct,
    Kind.UNION: types.SymbolKind.Struct,
    Kind.ENUM: types.SymbolKind.Enum,
    Kind.ENUMERATOR: types.SymbolKind.EnumMember,
    # LSP has no alias kind; clangd shows ``typedef`` and ``using`` aliases as classes too.
    Kind.TYPEDEF: types.SymbolKind.Class,
    Kind.MACRO: types.SymbolKind.Constant,
    Kind.KERNEL: types.SymbolKind.Function,
    Kind.KEY: types.SymbolKind.Key,
    Kind.TARGET: types.SymbolKind.Package,
    Kind.INCLUDE: types.SymbolKind.File,
}
_OUTLINE_KINDS = DEFINITION_KINDS | {"heading"}


def _hierarchical(capabilities: types.ClientCapabilities) -> bool:
    document = capabilities.text_document
    symbol = document.document_symbol if document else None
    return bool(symbol and symbol.hierarchical_document_symbol_support)


def _heading_level(keyword: Keyword) -> int:
    marks = len(keyword.signature) - len(keyword.signature.lstrip("#"))
    return marks or 1


def separator(language: str) -> str:
    """What joins the parts of a qualified name in a language."""
    return "::" if language in C_FAMILY else "."


def parent_of(keyword: Keyword, language: str) -> str:
    """The qualified name of the keyword's container ("" at top level)."""
    return keyword.qualname.rpartition(separator(language))[0]


def document_symbols(server: KwdocsServer, params: types.DocumentSymbolParams) -> Any:
    doc = server.document(params.text_document.uri)
    if doc is None or doc.record is None:
        return None
    language = doc.record.language
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
            container = parent_of(keyword, language) if keyword.kind != "heading" else ""
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
    # C++ reopens namespaces and defines members out of their class: every symbol of a
    # qualified name is kept, and a member nests in the innermost one around it.
    scopes: dict[str, list[types.DocumentSymbol]] = {}
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
        elif language in C_FAMILY:
            parent = _container(scopes, keyword.qualname, full)
            scopes.setdefault(keyword.qualname, []).append(symbol)
        else:
            parent = by_qualname.get(parent_of(keyword, language))
            by_qualname.setdefault(keyword.qualname, symbol)
        if parent is not None and _contains(parent.range, full):
            parent.children.append(symbol)  # type: ignore[union-attr]
        else:
            roots.append(symbol)
    return roots


def _container(
    scopes: dict[str, list[types.DocumentSymbol]], qualname: str, full: types.Range
) -> types.DocumentSymbol | None:
    """The innermost symbol of an enclosing qualified name whose range holds ``full``."""
    owner = qualname.rpartition("::")[0]
    while owner:
        for symbol in reversed(scopes.get(owner, ())):
            if _contains(symbol.range, full):
                return symbol
        owner = owner.rpartition("::")[0]
    return None


def _contains(outer: types.Range, inner: types.Range) -> bool:
    return (outer.start.line, outer.start.character) <= (
        inner.start.line,
        inner.start.character,
    ) and (inner.end.line, inner.end.character) <= (outer.end.line, outer.end.character)


def _search(folder: Any, query: str) -> list[Any]:
    """Ranked definitions of a folder; ``mod.Name``, ``Class.meth`` or ``ns::Class::meth``
    narrows by the qualified prefix (falling back to the last part alone)."""
    written = query.strip()
    query = written.replace("::", ".")
    if "." not in query.strip("."):
        return folder.index.search(query.strip("."), WORKSPACE_LIMIT)
    head, _, last = query.rpartition(".")
    found = folder.index.search(last, WORKSPACE_LIMIT * 4)
    head = head.lower()
    narrowed = []
    for definition in found:
        record = folder.index.get(definition.path)
        module = record.module if record is not None else ""
        qualname = definition.keyword.qualname.replace("::", ".")
        full = f"{module}.{qualname}".lower()
        if head in full.rpartition(".")[0]:
            narrowed.append(definition)
    if "::" in written:
        # A C++ qualified name: the keywords whose qualified name ends with it first.
        tail = written.lower().lstrip(":")
        narrowed.sort(key=lambda d: not _ends_with_scope(d.keyword.qualname.lower(), tail))
    return (narrowed or found)[:WORKSPACE_LIMIT]


def _ends_with_scope(qualname: str, tail: str) -> bool:
    return qualname == tail or qualname.endswith("::" + tail)


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
        language = record.language if record is not None else ""
        parent = parent_of(keyword, language)
        module = record.module if record is not None and record.module else definition.path
        if language in C_FAMILY:
            container = f"{parent} ({definition.path})" if parent else definition.path
        else:
            container = f"{module}.{parent}" if parent else module
        results.append(
            types.SymbolInformation(
                name=keyword.name,
                kind=SYMBOL_KINDS.get(keyword.kind, types.SymbolKind.Variable),
                location=location,
                container_name=container,
            )
        )
    return results
