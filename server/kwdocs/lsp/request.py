"""What hover and definition both start from: the document, the word at the position, the
folder and record that give it context, and the engine's resolution of it: ``kwdocs.binding``
in Python buffers, ``kwdocs.native`` in C, C++, CUDA, YAML, CMake and shell ones; in a stub of a
compiled extension, the C++ definitions of the same name are added, labelled a match by name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from kwdocs.binding import Answer, Role
from kwdocs.cursor import Word, in_string, word_at
from kwdocs.lsp.positions import to_points
from kwdocs.lsp.workspace_state import Document, Folder, FolderState
from kwdocs.model import FileRecord
from kwdocs.native import NATIVE_LANGUAGES, NativeAnswer, NativeResolver, stub_only

if TYPE_CHECKING:
    from kwdocs.lsp.server import KwdocsServer


@dataclass
class CursorRequest:
    """A position in a document, read once for hover and definition alike."""

    doc: Document
    position: types.Position
    text: str
    """The position's line."""
    word: Word
    home: Folder | None
    """The workspace folder the document belongs to (for a generated page: its source's)."""
    context: FileRecord | None
    """The record giving the word its meaning: the buffer's, or the page's source file's."""
    is_page: bool
    """A page kwdocs generated: its words resolve by name through its source file."""
    native: NativeAnswer | None = None
    """The engine's answer in a C, C++, CUDA, YAML, CMake or shell buffer (read with the word:
    the word is what that answer says the cursor is on)."""

    @property
    def line(self) -> int:
        """1-based line of the position."""
        return self.position.line + 1

    @property
    def python(self) -> bool:
        return not self.is_page and self.doc.language == "python" and self.context is not None


def read_request(server: KwdocsServer, uri: object, position: object) -> CursorRequest | None:
    """The request's document, word and context; None for a bad position or no word there."""
    doc = server.document(uri)
    if doc is None:
        return None
    line_no = getattr(position, "line", None)
    character = getattr(position, "character", None)
    if not isinstance(line_no, int) or not isinstance(character, int):
        return None
    if line_no < 0 or character < 0:
        return None
    text = doc.line(line_no)
    if text is None:
        return None
    col = to_points(text, character, server.encoding)
    if doc.language in NATIVE_LANGUAGES and not doc.generated:
        folder, record = doc.folder, doc.record
        if folder is not None and record is not None and record.language == doc.language:
            native = NATIVE.resolve(folder, record, doc.text, line_no + 1, col)
            if native is None:
                return None
            return CursorRequest(doc, position, text, native.word, folder, record, False, native)  # type: ignore[arg-type]
    word = word_at(text, col)
    if word is None or (doc.language == "python" and in_string(text, word.start)):
        return None
    if doc.generated:
        home = doc.folder
        context = home.index.get(doc.source_rel) if home is not None and doc.source_rel else None
        is_page = True
    else:
        home, context, is_page = doc.folder, doc.record, False
    request = CursorRequest(doc, position, text, word, home, context, is_page)  # type: ignore[arg-type]
    preload_imports(server, request)
    return request


# The server's resolver of native buffers (one server per process): it keeps the parse trees of
# the last buffers asked about and the include graph of each index generation.
NATIVE = NativeResolver()


def resolve(server: KwdocsServer, request: CursorRequest) -> Answer | NativeAnswer | None:
    """The engine's answer for a Python or native buffer (None for other documents)."""
    if request.native is not None:
        return request.native
    if not request.python or request.home is None or request.context is None:
        return None
    lines = request.doc.lines()
    answer = server.cursor.resolve(request.home, request.context, lines, request.line, request.word)
    return _across(request, answer)


def _across(request: CursorRequest, answer: Answer) -> Answer:
    """In a stub of a compiled extension (a ``.pyi`` with no Python source beside it), the C++
    definitions matching the stub's declaration by name, after the Python answer."""
    home, rel = request.home, request.doc.rel
    if home is None or rel is None or not answer.targets or not stub_only(home.records, rel):
        return answer
    first = answer.targets[0]
    if first.role != Role.DEFINITION or first.external or not stub_only(home.records, first.path):
        return answer
    across = NATIVE.cpp_counterparts(home, first.path, first.keyword)
    if not across:
        return answer
    return answer._replace(targets=[*answer.targets, *across])


def preload_imports(server: KwdocsServer, request: CursorRequest) -> None:
    """While a folder is still being indexed, extract the module a name is imported from
    right away (it is small and the user is looking at it) so the answer is precise."""
    home, context, word = request.home, request.context, request.word
    if home is None or context is None or home.state is FolderState.READY:
        return
    from kwdocs.resolve import bindings

    target = bindings(context).get(word.segments[0])
    if not target:
        return
    index = home.index
    parts = target.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if index.modules.file_of(module, context.path) is not None:
            return  # extracted already
        rel = home.modules_namer().locate(module, context.path)
        if rel is None or rel in home.buffers or not os.path.isfile(home.full_path(rel)):
            continue
        from kwdocs.extract import read_and_extract

        outcome = read_and_extract(
            str(home.root), rel, home.settings.max_file_size, home.module_of(rel)
        )
        if isinstance(outcome, FileRecord):
            index.update(outcome)
        return
