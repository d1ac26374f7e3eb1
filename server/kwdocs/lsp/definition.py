"""``textDocument/definition``: where the keyword under the cursor is defined. Most answers
need no inference: the index (imports resolved), Python's scopes over the cursor's block, and
receivers whose class is evident (lookup.definition_candidates). The rest goes to jedi's static
inference in its own process (``kwdocs.inference``: never executing workspace code, bounded in
time and memory), and the index's ranked candidates stay the fallback. ``definitionTarget``
chooses the source, the docs-page section, or both."""

from __future__ import annotations

import builtins
import keyword as pykeyword
import os
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from kwdocs.definer import definition_candidates
from kwdocs.lsp.positions import to_units
from kwdocs.lsp.workspace_state import Folder
from kwdocs.model import Keyword
from kwdocs.pages import Slugger, docs_page, page_uri
from kwdocs.resolve import PRECISE, Candidate, module_keyword
from kwdocs.textlines import FileLines
from kwdocs.uris import path_to_uri

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer

# Seconds of inference a definition waits for (the environment variable is for tests and
# slow machines); past them the inference process is restarted and the index answers.
INFERENCE_TIMEOUT = float(os.environ.get("KWDOCS_INFERENCE_TIMEOUT", "3"))
PAGE_TIMEOUT = 10.0
MAX_LOCATIONS = 20
_BUILTINS = frozenset(dir(builtins)) | {"self", "cls"}


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


def source_location(
    server: KwdocsServer, reader: LineReader, candidate: Candidate
) -> types.Location:
    keyword = candidate.keyword
    full = candidate.folder.full_path(candidate.path)
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


async def docs_location(server: KwdocsServer, candidate: Candidate) -> types.Location | None:
    folder: Folder = candidate.folder
    record = folder.index.get(candidate.path)
    if record is None:
        return None
    if not await server.pages.ensure_ready(folder, candidate.path, PAGE_TIMEOUT):
        return None
    keyword = candidate.keyword
    anchor = ""
    if not (keyword.kind == "module" and keyword.end_col == 0):
        anchor = server.anchors.of(str(folder.root), record, keyword)
    page = os.path.join(str(folder.settings.out), *docs_page(record.path).split("/"))
    line = heading_line(page, anchor)
    position = types.Position(line=line, character=0)
    return types.Location(
        uri=page_uri(folder.settings.out, docs_page(record.path)),
        range=types.Range(start=position, end=position),
    )


async def _jedi_candidates(
    server: KwdocsServer, doc: Any, home: Folder, position: types.Position, text: str
) -> list[Candidate] | None:
    """Index candidates matching jedi's answer (from the inference process), or None when jedi
    finds nothing inside the workspace (or fails, or takes too long)."""
    from kwdocs.lsp.positions import to_points

    column = to_points(text, position.character, server.encoding)
    hits = await server.inference.goto(
        str(home.root), doc.path, doc.text, position.line + 1, column
    )
    if not hits:
        return None
    found: list[Candidate] = []
    for path, line, column, name in hits:
        folder = server.state.folder_of(os.path.normpath(path))
        rel = folder.rel_path(os.path.normpath(path)) if folder is not None else None
        if folder is None or rel is None:
            continue
        record = folder.index.get(rel)
        if record is None:
            continue
        keyword = next((k for k in record.keywords if k.line == line and k.name == name), None)
        if keyword is None and line:
            # A local name, a parameter, an attribute: no keyword, but jedi knows the spot.
            keyword = Keyword(name, name, "variable", line, column, column + len(name), line)
        elif keyword is None:
            keyword = module_keyword(record, record.module or rel)
        found.append(Candidate(folder, rel, keyword, PRECISE))
    return found or None


async def handle(
    server: KwdocsServer, params: types.DefinitionParams
) -> list[types.Location] | None:
    from kwdocs.lsp.sync import check_moved

    doc = server.document(params.text_document.uri)
    if doc is None:
        return None
    found = server.word_at(doc, params.position)
    if found is None:
        return None
    text, word = found
    home, context, is_page = server.context_of(doc)
    server.preload_imports(home, context, word)
    generations = tuple(f.index.generation for f in server.state.folders)
    position = (params.position.line, params.position.character)
    key = (doc.uri, doc.version, position, generations, server.encoding)
    cached = server.definition_cache.get(key)
    if cached is not None and not any(
        check_moved(server, folder, rel) for folder, rel in cached[1]
    ):
        return cached[0]
    result, used = await _answer(server, doc, params, text, word, home, context, is_page)
    if len(server.definition_cache) > 1024:
        server.definition_cache.clear()
    server.definition_cache[key] = (result, used)
    return result


async def _answer(
    server: KwdocsServer,
    doc: Any,
    params: types.DefinitionParams,
    text: str,
    word: Any,
    home: Folder | None,
    context: Any,
    is_page: bool,
) -> tuple[list[types.Location] | None, list[tuple[Folder, str]]]:
    """The locations, and the files they came from (a cached answer is checked against them)."""
    from kwdocs.lsp.sync import check_moved

    line = None if is_page else params.position.line + 1
    if len(word.segments) == 1 and not word.attribute and pykeyword.iskeyword(word.name):
        return None, []  # def, return, None...: nothing to go to
    python = not is_page and doc.language == "python" and doc.path is not None
    folders = server.state.folders
    buffer = doc.lines() if python else None
    candidates, infer = definition_candidates(
        server.resolver, folders, home, context, buffer, word, line
    )
    if candidates and check_moved(server, candidates[0].folder, candidates[0].path):
        candidates, infer = definition_candidates(
            server.resolver, folders, home, context, buffer, word, line
        )
    if not candidates and len(word.segments) == 1 and word.name in _BUILTINS:
        return None, []  # len, int, self...: defined outside every workspace folder
    if infer and python and home is not None and home.settings.definition_inference == "jedi":
        inferred = await _jedi_candidates(server, doc, home, params.position, text)
        if inferred:
            candidates = inferred
    if not candidates:
        return None, []
    best_rank = candidates[0].rank
    chosen = [c for c in candidates if c.rank == best_rank][:MAX_LOCATIONS]
    settings = (home or chosen[0].folder).settings
    target = settings.definition_target
    locations: list[types.Location] = []
    if target in ("source", "both"):
        reader = LineReader(server)
        locations += [source_location(server, reader, c) for c in chosen]
    if target in ("docs", "both"):
        for candidate in chosen[:5]:
            location = await docs_location(server, candidate)
            if location is not None:
                locations.append(location)
        if not locations:  # pages could not be written: the source is better than nothing
            reader = LineReader(server)
            locations += [source_location(server, reader, c) for c in chosen]
    return locations or None, [(c.folder, c.path) for c in chosen]
