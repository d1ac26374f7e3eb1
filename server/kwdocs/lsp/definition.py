"""``textDocument/definition``: where the symbol under the cursor is defined — the engine's
resolution of the cursor (kwdocs.binding, the one hover shows): scopes, imports followed into
the workspace, the standard library and builtins, receivers whose class the code states. What
only inference can tell goes to jedi in its own process (``kwdocs.inference``: never executing
workspace code, bounded in time and memory). In C, C++, CUDA, YAML, CMake and shell buffers the
answer is kwdocs.native's: from a declaration to its definition, an include to its header. In
a stub of a compiled extension, the declaration's own name leads to the C++ definitions of the
same name (a match by name). ``definitionTarget`` chooses the source, the docs-page section, or
both."""

from __future__ import annotations

import keyword as pykeyword
import os
from typing import TYPE_CHECKING

from lsprotocol import types

from kwdocs.binding import Role, Target
from kwdocs.lsp.positions import to_units
from kwdocs.lsp.request import CursorRequest, read_request, resolve
from kwdocs.lsp.workspace_state import Folder
from kwdocs.model import Keyword, Kind
from kwdocs.native import NativeAnswer, definition_targets
from kwdocs.pages import Slugger, docs_page, page_uri
from kwdocs.resolve import module_keyword
from kwdocs.textlines import FileLines
from kwdocs.uris import path_to_uri

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

# Seconds of inference a definition waits for (the environment variable is for tests and
# slow machines); past them the inference process is restarted and the index answers.
INFERENCE_TIMEOUT = float(os.environ.get("KWDOCS_INFERENCE_TIMEOUT", "3"))
PAGE_TIMEOUT = 10.0
MAX_LOCATIONS = 20


class LineReader:
    """Line texts for column conversion: open buffers first, then the files on disk."""

    def __init__(self, server: KwdocsServer) -> None:
        self.server = server

    def line(self, path: str, number: int) -> str:
        """The text of 1-based line ``number``, or "" when its columns need no conversion
        (an ASCII line of a file on disk) or it cannot be read."""
        doc = self.server.state.documents.get(path_to_uri(path))
        if doc is not None:
            return doc.line(number - 1) or ""
        return DISK_LINES.non_ascii(path).get(number, "")


# Files on disk an answer points into (their non-ASCII lines only: see FileLines.non_ascii).
DISK_LINES = FileLines()


def source_location(server: KwdocsServer, reader: LineReader, target: Target) -> types.Location:
    keyword = target.keyword
    full = target.source.full_path(target.path)
    text = reader.line(full, keyword.line)
    encoding = server.encoding
    start = keyword.col if not text else to_units(text, keyword.col, encoding)
    end = keyword.end_col if not text else to_units(text, keyword.end_col, encoding)
    line = keyword.line - 1
    return types.Location(
        uri=path_to_uri(full),
        range=types.Range(
            start=types.Position(line=line, character=start),
            end=types.Position(line=line, character=end),
        ),
    )


def heading_line(page: str, anchor: str) -> int:
    """0-based line of the heading whose slug is ``anchor`` in a Markdown page (0 if none)."""
    if not anchor:
        return 0
    lines = DISK_LINES.lines(page)
    if lines is None:
        return 0
    slugger = Slugger()
    fence = ""
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            mark = stripped[:3]
            if not fence:
                fence = mark
            elif mark == fence:
                fence = ""
            continue
        if fence or not stripped.startswith("#"):
            continue
        level = len(stripped) - len(stripped.lstrip("#"))
        if level > 6 or (len(stripped) > level and stripped[level] not in " \t"):
            continue
        title = stripped[level:].strip().rstrip("#").strip()
        if slugger.slug(_plain(title)) == anchor:
            return number
    return 0


def _plain(title: str) -> str:
    """Heading text as GitHub slugs it: inline code and emphasis marks dropped."""
    return title.replace("`", "").replace("*", "").replace("\\", "")


async def docs_location(server: KwdocsServer, target: Target) -> types.Location | None:
    folder = target.source
    if not isinstance(folder, Folder):
        return None  # outside the workspace: no page
    record = folder.index.get(target.path)
    if record is None:
        return None
    if not await server.pages.ensure_ready(folder, target.path, PAGE_TIMEOUT):
        return None
    keyword = target.keyword
    anchor = ""
    if not (keyword.kind == Kind.MODULE and keyword.end_col == 0):
        anchor = server.anchors.of(str(folder.root), record, keyword)
    page = os.path.join(str(folder.settings.out), *docs_page(record.path).split("/"))
    line = heading_line(page, anchor)
    position = types.Position(line=line, character=0)
    return types.Location(
        uri=page_uri(folder.settings.out, docs_page(record.path)),
        range=types.Range(start=position, end=position),
    )


async def _jedi_targets(
    server: KwdocsServer, request: CursorRequest, home: Folder
) -> list[Target] | None:
    """Targets of jedi's answer (from the inference process), or None when jedi finds nothing
    (or fails, or takes too long)."""
    from kwdocs.lsp.positions import to_points

    doc = request.doc
    column = to_points(request.text, request.position.character, server.encoding)
    hits = await server.inference.goto(
        str(home.root), doc.path, doc.text, request.position.line + 1, column
    )
    if not hits:
        return None
    found: list[Target] = []
    for path, line, column, name in hits:
        full = os.path.normpath(path)
        folder = server.state.folder_of(full)
        rel = folder.rel_path(full) if folder is not None else None
        if folder is not None and rel is not None:
            record = folder.index.get(rel)
            if record is None:
                continue
            keyword = next((k for k in record.keywords if k.line == line and k.name == name), None)
            if keyword is None and line:
                # A local name, a parameter, an attribute: no keyword, but jedi knows the spot.
                keyword = Keyword(name, name, Kind.VARIABLE, line, column, column + len(name), line)
            elif keyword is None:
                keyword = module_keyword(record, record.module or rel)
            found.append(Target(folder, rel, keyword))
        elif line:
            keyword = Keyword(name, name, Kind.VARIABLE, line, column, column + len(name), line)
            found.append(Target(server.cursor.external, full, keyword))
    return found or None


def _across_the_boundary(request: CursorRequest, targets: list[Target]) -> list[Target]:
    """In an extension's stub: on the name a declaration declares, its C++ matches by name
    (going to the declaration itself would not move); elsewhere they follow the Python answer."""
    across = [t for t in targets if t.role == Role.BY_NAME]
    if not across:
        return targets
    proven = [t for t in targets if t.role != Role.BY_NAME]
    own = proven[0] if proven else None
    word = request.word
    if (
        own is not None
        and own.path == request.doc.rel
        and own.keyword.line == request.line
        and own.keyword.col <= word.start < max(own.keyword.end_col, own.keyword.col + 1)
    ):
        return across
    return proven + across


async def handle(
    server: KwdocsServer, params: types.DefinitionParams
) -> list[types.Location] | None:
    from kwdocs.lsp.sync import check_moved

    request = read_request(server, params.text_document.uri, params.position)
    if request is None:
        return None
    doc = request.doc
    generations = tuple(f.index.generation for f in server.state.folders)
    position = (params.position.line, params.position.character)
    key = (doc.uri, doc.version, position, generations, server.encoding)
    cached = server.definition_cache.get(key)
    if cached is not None and not any(
        check_moved(server, folder, rel) for folder, rel in cached[1]
    ):
        return cached[0]
    result, used = await _answer(server, request)
    if len(server.definition_cache) > 1024:
        server.definition_cache.clear()
    server.definition_cache[key] = (result, used)
    return result


async def _answer(
    server: KwdocsServer, request: CursorRequest
) -> tuple[list[types.Location] | None, list[tuple[Folder, str]]]:
    """The locations, and the workspace files they came from (a cached answer is checked
    against them)."""
    from kwdocs.lsp.sync import check_moved

    word = request.word
    python_keyword = len(word.segments) == 1 and pykeyword.iskeyword(word.name)
    if request.native is None and python_keyword and not word.attribute:
        return None, []  # def, return, None...: nothing to go to
    home = request.home
    answer = resolve(server, request)
    if isinstance(answer, NativeAnswer):
        first = answer.proven[0] if answer.proven else None
        if first is not None and check_moved(server, first.source, first.path):  # type: ignore[arg-type]
            again = read_request(server, request.doc.uri, request.position)
            answer = again.native if again is not None else None
        targets = definition_targets(answer) if answer is not None else []
    elif answer is not None:
        targets = answer.targets
        first = targets[0] if targets else None
        moved = first is not None and isinstance(first.source, Folder)
        if moved and check_moved(server, first.source, first.path):  # type: ignore[union-attr]
            answer = resolve(server, request)
            targets = answer.targets if answer is not None else []
        infer = answer is not None and answer.infer
        if infer and home is not None and home.settings.definition_inference == "jedi":
            targets = await _jedi_targets(server, request, home) or targets
        targets = _across_the_boundary(request, targets)
    else:
        candidates = server.resolver.resolve(
            server.state.folders,
            home,
            request.context,
            word,
            None if request.is_page else request.line,
        )
        best = [c for c in candidates if c.rank == candidates[0].rank] if candidates else []
        targets = [Target(c.folder, c.path, c.keyword) for c in best]  # type: ignore[arg-type]
    if not targets:
        return None, []
    chosen = targets[:MAX_LOCATIONS]
    settings = home or next((t.source for t in chosen if isinstance(t.source, Folder)), None)
    target_setting = (
        settings.settings.definition_target if isinstance(settings, Folder) else "source"
    )
    locations: list[types.Location] = []
    reader = LineReader(server)
    if target_setting in ("source", "both"):
        locations += [source_location(server, reader, t) for t in chosen]
    if target_setting in ("docs", "both"):
        for target in chosen[:5]:
            location = await docs_location(server, target)
            if location is not None:
                locations.append(location)
        if not locations:  # pages could not be written: the source is better than nothing
            locations += [source_location(server, reader, t) for t in chosen]
    used = [(t.source, t.path) for t in chosen if isinstance(t.source, Folder)]
    return locations or None, used  # type: ignore[return-value]
