"""``textDocument/hover``: what the symbol under the cursor is, as Markdown (or plain text): what
kind of thing it is and its full name, its signature (a class's constructor's), its summary,
what a module-level alias stands for, where it is defined, and links to its page section. In
Python buffers the symbol is the engine's resolution of the cursor (kwdocs.binding, the one
definition also uses); in C, C++, CUDA, YAML, CMake and shell buffers it is kwdocs.native's (the
declaration, the comment above it, where it is declared and defined); in Markdown and in
generated pages, words are looked up by name. Matches by name across the Python / C++ boundary
are listed apart, and said to be so."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.binding import Role, Target
from kwdocs.external import ExternalModules, builtin_doc
from kwdocs.lsp.request import read_request, resolve
from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.native import NativeAnswer
from kwdocs.pages import docs_page, keyword_anchors, kw_page, page_uri
from kwdocs.render.docstrings import inline_markdown
from kwdocs.render.markdown import code, fence
from kwdocs.resolve import alias_of, base_class, implementation, is_overload, keywords_named

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

# How many other definitions a hover lists before "and N more".
OTHERS_SHOWN = 5


@functools.lru_cache(maxsize=4096)
def summary_markdown(summary: str) -> str:
    """A docstring's first sentence as inert Markdown, as the pages write it (reST literals
    and roles as code spans, everything else escaped: no HTML or link from a docstring)."""
    return inline_markdown(summary) if summary else ""


class Anchors:
    """keyword_anchors per record, recomputed only when the record object changes."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[FileRecord, dict[tuple[str, str, int], str]]] = {}

    def of(self, root: str, record: FileRecord, keyword: Keyword) -> str:
        key = (root, record.path)
        cached = self._cache.get(key)
        if cached is None or cached[0] is not record:
            if len(self._cache) > 128:
                self._cache.clear()
            cached = (record, keyword_anchors(record))
            self._cache[key] = cached
        return cached[1].get((keyword.kind, keyword.qualname, keyword.line), "")


def links(anchors: Anchors, target: Target) -> tuple[str, str] | None:
    """URIs of the docs page section and the keyword page of a workspace target; None for
    symbols that have no section (parameters, locals, what lies outside the workspace)."""
    folder = target.source
    if isinstance(folder, ExternalModules) or target.role in (Role.PARAMETER, Role.LOCAL):
        return None
    if target.role == Role.ATTRIBUTE:
        return None
    record = folder.records.get(target.path)
    settings = getattr(folder, "settings", None)
    if record is None or settings is None:
        return None
    keyword = target.keyword
    anchor = ""
    if not (keyword.kind == Kind.MODULE and keyword.end_col == 0):  # not a whole-module stand-in
        anchor = anchors.of(str(folder.root), record, keyword)  # type: ignore[attr-defined]
        if not anchor:
            return None
    out = settings.out
    return page_uri(out, docs_page(record.path), anchor), page_uri(out, kw_page(record.path))


def where(target: Target) -> str:
    """``path:line`` of a target: workspace-relative, or absolute outside the workspace."""
    return f"{target.path}:{target.keyword.line}"


def _module_of(target: Target) -> str:
    record = target.source.records.get(target.path)
    return record.module if record is not None else ""


def title(target: Target) -> tuple[str, str]:
    """(what it is, its full name) for the hover's first line."""
    keyword = target.keyword
    role = target.role
    if role == Role.PARAMETER:
        return "parameter", keyword.name
    if role == Role.LOCAL:
        return "variable", keyword.name
    if role == Role.ATTRIBUTE:
        return "attribute", _dotted(_module_of(target), keyword.qualname)
    if role == Role.IMPORT or (keyword.kind in (Kind.IMPORT, Kind.MODULE) and keyword.end_col):
        return "import", keyword.target or keyword.name
    if keyword.kind == Kind.MODULE:
        return "module", keyword.qualname
    if keyword.kind == Kind.HEADING:
        return "heading", keyword.qualname
    return str(keyword.kind), _dotted(_module_of(target), keyword.qualname)


def _dotted(module: str, qualname: str) -> str:
    if not module or qualname == module:
        return qualname
    return f"{module}.{qualname}"


def signature(target: Target) -> str:
    """What the hover shows in a code block: the signature as written (a class's constructor's
    parameters), a parameter's annotation, a local's assignment."""
    keyword = target.keyword
    if keyword.kind != Kind.CLASS:
        return keyword.signature
    init = _constructor(target)
    if init is None:
        return keyword.signature
    params = init.signature.partition("(")[2].rpartition(")")[0]
    parts = [p.strip() for p in _split_top(params)]
    if parts and parts[0] in ("self", "cls"):
        parts = parts[1:]
    return f"class {keyword.name}({', '.join(parts)})"


def _constructor(target: Target) -> Keyword | None:
    """``__init__`` of a class, its own or its bases' (within the class's source)."""
    source = target.source
    path, cls = target.path, target.keyword
    for _ in range(8):
        record = source.records.get(path)
        if record is None:
            return None
        found = keywords_named(record, f"{cls.qualname}.__init__")
        if found:
            return found[0]
        bases = [b for b in cls.bases if b.split("[", 1)[0].rsplit(".", 1)[-1] != "object"]
        if not bases:
            return None
        base = base_class(source, record, bases[0])  # type: ignore[arg-type]
        if base is None:
            return None
        path, cls = base
    return None


def _split_top(text: str) -> list[str]:
    """Parameters of a parameter list, split at top-level commas."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def summary(target: Target) -> str:
    """The docstring summary: the keyword's (an overload's from its implementation, which
    holds the docstring); outside the workspace, the interpreter's source of a stub's module,
    or a builtin's own docstring."""
    keyword = target.keyword
    if not keyword.summary and keyword.decorators:
        record = target.source.records.get(target.path)
        if record is not None and is_overload(record, keyword):
            keyword = implementation(record, keyword)
    if keyword.summary or not isinstance(target.source, ExternalModules):
        return keyword.summary
    external = target.source
    module = external.module_of(target.path)
    if module == "builtins":
        name = keyword.qualname.partition(".")[0]
        doc = builtin_doc(name) if "." not in keyword.qualname else ""
        return " ".join(doc.split("\n\n", 1)[0].split())[:500]
    source = external.source_of(target.path)
    record = external.record(source) if source is not None else None
    if record is None:
        return ""
    found = keywords_named(record, keyword.qualname)
    return found[0].summary if found else ""


def aliased(target: Target) -> Target | None:
    """The one definition a module-level alias stands for (``collate = _impl.collate``: the
    function), as the engine follows it for the pages' folder API too; None when the target is
    no alias or the workspace cannot tell one definition."""
    keyword = target.keyword
    if (
        target.external
        or target.role != Role.DEFINITION
        or not keyword.target
        or keyword.kind not in (Kind.VARIABLE, Kind.CONSTANT)
    ):
        return None
    found = alias_of(target.source, target.path, keyword)
    if len(found) != 1:
        return None
    path, definition = found[0]
    return Target(target.source, path, definition)


def _alias_parts(alias: Target, anchors: Anchors, markdown: bool) -> list[str]:
    kind, name = title(alias)
    page = links(anchors, alias)
    text_signature = signature(alias)
    text_summary = summary(alias)
    if not markdown:
        lines = [f"Stands for {kind} {name}, defined in {where(alias)}"]
        return lines + [part for part in (text_signature, text_summary) if part]
    head = f"Stands for **{kind}** {code(name)}, defined in {code(where(alias))}"
    if page is not None:
        head += f" ([documentation]({_link(page[0])}))"
    parts = [head]
    if text_signature:
        parts.append(fence(text_signature, "python"))
    rendered = summary_markdown(text_summary)
    if rendered:
        parts.append(rendered)
    return parts


def render(targets: list[Target], anchors: Anchors, markdown: bool, note: str = "") -> str:
    """The hover text for the targets of the name under the cursor (the first is the one
    shown; the others are listed)."""
    best = targets[0]
    kind, name = title(best)
    context = best.context
    text_signature = signature(best)
    text_summary = summary(best)
    page = links(anchors, best)
    parts: list[str] = []
    of = ""
    alias = aliased(best)
    alias_parts = _alias_parts(alias, anchors, markdown) if alias is not None else []
    if best.role == Role.PARAMETER and context:
        of = f" of {code(context) if markdown else context}"
    elif best.role == Role.LOCAL and context:
        of = f" (local to {code(context) if markdown else context})"
    if markdown:
        parts.append(f"**{kind}** {code(name)}{of}")
        if text_signature:
            parts.append(fence(text_signature, "python"))
        rendered = summary_markdown(text_summary)
        if rendered:
            parts.append(rendered)
        if best.role == Role.IMPORT:
            parts.append("The module is outside the workspace, and kwdocs cannot read it.")
        parts.extend(alias_parts)
        if note:
            parts.append(note)
        parts.append(f"Defined in {code(where(best))}")
        if page is not None:
            parts.append(f"[Documentation]({_link(page[0])}) · [Keywords]({_link(page[1])})")
    else:
        parts.append(f"{kind} {name}{of}")
        if text_signature:
            parts.append(text_signature)
        if text_summary:
            parts.append(text_summary)
        parts.extend(alias_parts)
        if note:
            parts.append(note)
        parts.append(f"Defined in {where(best)}")
        if page is not None:
            parts.append(f"Documentation: {page[0]}\nKeywords: {page[1]}")
    across = [t for t in targets[1:] if t.role == Role.BY_NAME]
    others = [t for t in targets[1:] if t.role != Role.BY_NAME]
    if others:
        same = all(o.role == best.role and o.keyword.name == best.keyword.name for o in others)
        heading = "Also assigned at:" if best.role == Role.LOCAL and same else "Other definitions:"
        lines = _listed(others, markdown)
        parts.append(("---\n" if markdown else "") + heading + "\n" + "\n".join(lines))
    if across:
        parts.append(by_name_section(across, markdown))
    return "\n\n".join(parts)


# What a fence says a native language is (CUDA reads as C++ in every highlighter).
NATIVE_FENCES = {
    "c": "c",
    "cpp": "cpp",
    "cuda": "cpp",
    "yaml": "yaml",
    "cmake": "cmake",
    "shell": "bash",
}
_LANGUAGE_NAMES = {"python": "Python", "c": "C", "cpp": "C++", "cuda": "CUDA"}


def _listed(targets: list[Target], markdown: bool) -> list[str]:
    lines = []
    for other in targets[:OTHERS_SHOWN]:
        o_kind, o_name = title(other)
        label = f"{o_kind} {code(o_name) if markdown else o_name}"
        lines.append(f"- {label} in {code(where(other)) if markdown else where(other)}")
    if len(targets) > OTHERS_SHOWN:
        lines.append(f"- and {len(targets) - OTHERS_SHOWN} more")
    return lines


def by_name_section(targets: list[Target], markdown: bool) -> str:
    """The matches by name across the Python / C++ boundary, said to be no proven binding."""
    languages = sorted({_language(t) for t in targets} - {""})
    where_from = (
        " and ".join(_LANGUAGE_NAMES.get(lang, lang) for lang in languages) or "the workspace"
    )
    heading = f"Same name in {where_from} (a match by name, not a proven binding):"
    return ("---\n" if markdown else "") + heading + "\n" + "\n".join(_listed(targets, markdown))


def _language(target: Target) -> str:
    record = target.source.records.get(target.path)
    return record.language if record is not None else ""


def native_title(target: Target) -> tuple[str, str]:
    """(what it is, its full name) of a native target."""
    keyword = target.keyword
    if target.role == Role.PARAMETER:
        return "parameter", keyword.name
    if target.role == Role.LOCAL:
        return "variable", keyword.name
    if target.role == Role.MODULE:
        return "header" if _language(target) in ("c", "cpp", "cuda") else "file", target.path
    return str(keyword.kind), keyword.qualname


def render_native(answer: NativeAnswer, anchors: Anchors, markdown: bool) -> str | None:
    """The hover of a name in a C, C++, CUDA, YAML, CMake or shell buffer: what it is, its
    declaration, the comment above it, where it is declared and defined, page links; the other
    declarations and definitions; the matches by name, apart."""
    proven, by_name = answer.proven, answer.by_name
    parts: list[str] = []
    if not proven:
        if not answer.note and not by_name:
            return None
        written = "::".join(answer.word.segments)
        parts.append(f"**name** {code(written)}" if markdown else f"name {written}")
        if answer.note:
            parts.append(answer.note if markdown else answer.note.replace("`", ""))
        if by_name:
            heading = "Definitions of that name in the workspace, by name only:"
            parts.append(heading + "\n" + "\n".join(_listed(by_name, markdown)))
        return "\n\n".join(parts)
    best = proven[0]
    keyword = best.keyword
    kind, name = native_title(best)
    same = [
        t for t in proven if t.role == Role.DEFINITION and t.keyword.qualname == keyword.qualname
    ]
    of = ""
    if best.role in (Role.PARAMETER, Role.LOCAL) and best.context:
        of = f" of {code(best.context) if markdown else best.context}"
    parts.append(f"**{kind}** {code(name)}{of}" if markdown else f"{kind} {name}{of}")
    if keyword.signature:
        language = NATIVE_FENCES.get(_language(best), "")
        parts.append(fence(keyword.signature, language) if markdown else keyword.signature)
    summary_text = keyword.summary or next(
        (t.keyword.summary for t in same if t.keyword.summary), ""
    )
    if summary_text:
        parts.append(summary_text)
    if answer.note:
        parts.append(answer.note if markdown else answer.note.replace("`", ""))
    definitions = [t for t in same if not t.keyword.declaration]
    declarations = [t for t in same if t.keyword.declaration]
    places = []
    if best.role == Role.MODULE:
        places.append(("File", best))
    elif best.role != Role.DEFINITION:
        places.append(("Declared in", best))
    else:
        if declarations:
            places.append(("Declared in", declarations[0]))
        if definitions:
            places.append(("Defined in", definitions[0]))
    for label, target in places:
        parts.append(f"{label} {code(where(target)) if markdown else where(target)}")
    if best.role == Role.DEFINITION and not definitions:
        parts.append("No definition of it in the workspace.")
    page = links(anchors, best)
    if page is not None:
        if markdown:
            parts.append(f"[Documentation]({_link(page[0])}) · [Keywords]({_link(page[1])})")
        else:
            parts.append(f"Documentation: {page[0]}\nKeywords: {page[1]}")
    shown = {id(t) for _, t in places} | {id(best)}
    others = [t for t in proven if id(t) not in shown]
    if others:
        heading = "Other declarations and definitions:"
        parts.append(
            ("---\n" if markdown else "") + heading + "\n" + "\n".join(_listed(others, markdown))
        )
    if by_name:
        parts.append(by_name_section(by_name, markdown))
    return "\n\n".join(parts)


def render_unknown(name: str, markdown: bool, by_name: list[Target]) -> str:
    """The hover of an attribute whose receiver's type the code does not state: said so, with
    the workspace's definitions of that name listed as what they are — candidates by name."""
    shown = code(name) if markdown else name
    parts = [
        f"{'**attribute**' if markdown else 'attribute'} {shown}",
        "The type of what comes before the dot is not stated in the code, so kwdocs cannot "
        f"tell which {shown} this is (go to definition asks type inference).",
    ]
    if by_name:
        lines = []
        for other in by_name[:OTHERS_SHOWN]:
            o_kind, o_name = title(other)
            label = f"{o_kind} {code(o_name) if markdown else o_name}"
            lines.append(f"- {label} in {code(where(other)) if markdown else where(other)}")
        if len(by_name) > OTHERS_SHOWN:
            lines.append(f"- and {len(by_name) - OTHERS_SHOWN} more")
        parts.append(f"Definitions of {shown} in the workspace, by name only:\n" + "\n".join(lines))
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


def handle(server: KwdocsServer, params: types.HoverParams) -> types.Hover | None:
    """Answer a hover request (None when there is nothing at the position)."""
    from kwdocs.lsp.positions import to_units
    from kwdocs.lsp.sync import check_moved

    request = read_request(server, params.text_document.uri, params.position)
    if request is None:
        return None
    doc, word, line_no = request.doc, request.word, params.position.line
    generations = tuple(f.index.generation for f in server.state.folders)
    key = (doc.uri, doc.version, line_no, word.start, word.end, word.segments, generations)
    cached = server.hover_cache.get(key)
    if cached is not None:
        result, source, path = cached
        if source is None or not check_moved(server, source, path):  # a stat: no watchers
            return result
        server.hover_cache.pop(key, None)
        request = read_request(server, params.text_document.uri, params.position)
        if request is None:
            return None
        generations = tuple(f.index.generation for f in server.state.folders)
        key = (*key[:-1], generations)
    text = _hover_text(server, request)
    if text is None:
        return None
    value, best = text
    start = types.Position(
        line=line_no, character=to_units(request.text, word.start, server.encoding)
    )
    end = types.Position(line=line_no, character=to_units(request.text, word.end, server.encoding))
    kind = markup_kind(server.client_capabilities)
    result = types.Hover(
        contents=types.MarkupContent(kind=kind, value=value),
        range=types.Range(start=start, end=end),
    )
    if len(server.hover_cache) > 1024:
        server.hover_cache.clear()
    folder = best.source if best is not None and not best.external else None
    server.hover_cache[key] = (result, folder, best.path if best is not None else "")
    return result


def _by_name(server: KwdocsServer, request: Any) -> list[Target]:
    """Members of the workspace's classes named like the attribute under the cursor."""
    home = request.home
    if home is None:
        return []
    members = (Kind.METHOD, Kind.PROPERTY, Kind.ATTRIBUTE)
    return [
        Target(home, d.path, d.keyword)
        for d in home.index.lookup(request.word.name)
        if d.keyword.kind in members and d.keyword.name == request.word.name
    ]


def _hover_text(server: KwdocsServer, request: Any) -> tuple[str, Target | None] | None:
    from kwdocs.lsp.sync import check_moved

    markdown = markup_kind(server.client_capabilities) == types.MarkupKind.Markdown
    answer = resolve(server, request)
    if isinstance(answer, NativeAnswer):
        return _native_hover(server, request, answer, markdown)
    if answer is not None:
        targets = answer.targets
        if (
            targets
            and not targets[0].external
            and check_moved(server, targets[0].source, targets[0].path)
        ):  # type: ignore[arg-type]
            answer = resolve(server, request)
            targets = answer.targets if answer is not None else []
        if not targets:
            if answer is not None and answer.infer:
                by_name = _by_name(server, request)
                return render_unknown(request.word.name, markdown, by_name), None
            return None
    else:
        # Markdown and generated pages: words looked up by name (through the page's source).
        candidates = server.resolver.resolve(
            server.state.folders,
            request.home,
            request.context,
            request.word,
            None if request.is_page else request.line,
        )
        if not candidates:
            return None
        if check_moved(server, candidates[0].folder, candidates[0].path):
            candidates = server.resolver.resolve(
                server.state.folders, request.home, request.context, request.word, None
            )
            if not candidates:
                return None
        targets = [Target(c.folder, c.path, c.keyword) for c in candidates]  # type: ignore[arg-type]
    best = targets[0]
    if not best.external and best.role in (Role.DEFINITION, Role.MODULE):
        server.pages.ensure(best.source, best.path)  # type: ignore[arg-type]
    return render(targets, server.anchors, markdown), best


def _native_hover(
    server: KwdocsServer, request: Any, answer: NativeAnswer, markdown: bool
) -> tuple[str, Target | None] | None:
    from kwdocs.lsp.sync import check_moved

    proven = answer.proven
    if proven and check_moved(server, proven[0].source, proven[0].path):  # type: ignore[arg-type]
        again = read_request(server, request.doc.uri, request.position)
        if again is None or again.native is None:
            return None
        answer = again.native
        proven = answer.proven
    text = render_native(answer, server.anchors, markdown)
    if text is None:
        return None
    best = proven[0] if proven else None
    if best is not None and best.role in (Role.DEFINITION, Role.MODULE):
        server.pages.ensure(best.source, best.path)  # type: ignore[arg-type]
    return text, best
