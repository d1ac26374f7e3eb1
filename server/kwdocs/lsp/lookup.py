"""From a position in a buffer to ranked keyword candidates: the word (dotted names too) under
the cursor, resolved through the file's imports, module paths and the index. Shared by hover
and definition; pure look-ups on the index, cheap enough for every keystroke."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from kwdocs.index import KIND_RANK, KeywordIndex
from kwdocs.lsp.workspace_state import Folder
from kwdocs.model import DEFINITION_KINDS, FileRecord, Keyword

# Ranks of candidates: resolved precisely, defined in an imported module, in the same package,
# anywhere else.
PRECISE, IMPORTED, SAME_PACKAGE, ELSEWHERE = 0, 1, 2, 3
_ANSWER_KINDS = DEFINITION_KINDS | {"heading"}
# Far from the cursor's file, a variable of the same name is noise, not an answer.
_FAR_KINDS = _ANSWER_KINDS - {"variable"}
_MAX_HOPS = 4


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


@dataclass(frozen=True)
class Word:
    """The name under the cursor and the dotted names before it (``a.b.c`` → a, b, c)."""

    segments: tuple[str, ...]
    start: int
    """Code point column where the last segment starts."""
    end: int
    attribute: bool = False
    """The chain follows something that is not a name (``f().x``, ``"s".join``)."""

    @property
    def name(self) -> str:
        return self.segments[-1]


def word_at(line: str, col: int) -> Word | None:
    """The word at (or just before) code point ``col`` of ``line``, or None."""
    size = len(line)
    if col < 0 or col > size:
        return None
    if col < size and _is_word(line[col]):
        pos = col
    elif col > 0 and _is_word(line[col - 1]):
        pos = col - 1
    else:
        return None
    start = pos
    while start > 0 and _is_word(line[start - 1]):
        start -= 1
    end = pos + 1
    while end < size and _is_word(line[end]):
        end += 1
    word = line[start:end]
    if word[0].isdigit():
        return None
    segments = [word]
    i = start
    attribute = False
    while i > 0 and line[i - 1] == ".":
        j = i - 1
        k = j
        while k > 0 and _is_word(line[k - 1]):
            k -= 1
        part = line[k:j]
        if not part or part[0].isdigit():
            attribute = True
            break
        segments.insert(0, part)
        i = k
    return Word(tuple(segments), start, end, attribute)


def in_string(line: str, col: int) -> bool:
    """True when code point ``col`` of a Python line lies inside a string literal that opens
    on that line (words in strings are data, not names)."""
    quote = ""
    i = 0
    size = len(line)
    while i < size and i <= col:
        char = line[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                if i + len(quote) > col:
                    return True
                i += len(quote)
                quote = ""
                continue
        elif char == "#":
            return False
        elif char in "'\"":
            quote = line[i : i + 3] if line.startswith(char * 3, i) else char
            i += len(quote)
            continue
        i += 1
    return bool(quote)


@dataclass(frozen=True)
class Candidate:
    """One answer: a keyword of a folder's file, and how sure the resolution is."""

    folder: Folder
    path: str
    keyword: Keyword
    rank: int

    def sort_key(self) -> tuple[int, int, str, int]:
        return (self.rank, KIND_RANK.get(self.keyword.kind, 9), self.path, self.keyword.line)


def module_keyword(record: FileRecord, name: str) -> Keyword:
    """A stand-in keyword for a whole module file (its first line, its docstring summary)."""
    summary = " ".join(record.docstring.split("\n\n", 1)[0].split())[:300]
    return Keyword(
        name=name.rsplit(".", 1)[-1],
        qualname=record.module or name,
        kind="module",
        line=1,
        col=0,
        end_col=0,
        end_line=max(1, record.lines),
        summary=summary,
    )


def bindings(record: FileRecord) -> dict[str, str]:
    """Names the file's imports bind → the absolute dotted name they stand for."""
    found: dict[str, str] = {}
    for keyword in record.keywords:
        if keyword.kind == "import" and keyword.target:
            found[keyword.alias or keyword.name] = keyword.target
        elif keyword.kind == "module" and keyword.target:
            if keyword.alias:
                found[keyword.alias] = keyword.target
            else:  # ``import a.b`` binds ``a``
                head = keyword.target.split(".", 1)[0]
                found.setdefault(head, head)
    return found


class Resolver:
    """Resolution with small per-file caches (bindings and imported modules of a record)."""

    def __init__(self) -> None:
        self._bindings: dict[str, tuple[FileRecord, dict[str, str]]] = {}
        self._imported: dict[str, tuple[FileRecord, int, frozenset[str]]] = {}

    def bindings_of(self, record: FileRecord) -> dict[str, str]:
        cached = self._bindings.get(record.path)
        if cached is not None and cached[0] is record:
            return cached[1]
        if len(self._bindings) > 512:
            self._bindings.clear()
        found = bindings(record)
        self._bindings[record.path] = (record, found)
        return found

    def imported_paths(self, index: KeywordIndex, record: FileRecord) -> frozenset[str]:
        """Files of the workspace modules ``record`` imports."""
        cached = self._imported.get(record.path)
        if cached is not None and cached[0] is record and cached[1] == index.generation:
            return cached[2]
        paths: set[str] = set()
        for keyword in record.keywords:
            if keyword.kind not in ("import", "module") or not keyword.target:
                continue
            target = keyword.target
            for module in (target, target.rpartition(".")[0]):
                path = index.module_path(module) if module else None
                if path is not None:
                    paths.add(path)
                    break
        if len(self._imported) > 512:
            self._imported.clear()
        result = frozenset(paths)
        self._imported[record.path] = (record, index.generation, result)
        return result

    # ---- resolution ----------------------------------------------------------------------

    def resolve(
        self,
        folders: list[Folder],
        home: Folder | None,
        context: FileRecord | None,
        word: Word,
        line: int | None = None,
    ) -> list[Candidate]:
        """Candidates for ``word`` seen in ``context`` (a record of ``home``; line 1-based),
        best first."""
        ordered = [home] if home is not None else []
        ordered += [f for f in folders if f is not home]
        found: list[Candidate] = []
        for folder in ordered:
            record = context if folder is home else None
            found.extend(self._resolve_in(folder, record, word, line))
            if found and found[0].rank == PRECISE and folder is home:
                break
        seen: set[tuple[str, str, int, str, str]] = set()
        unique: list[Candidate] = []
        for candidate in sorted(found, key=Candidate.sort_key):
            k = candidate.keyword
            key = (str(candidate.folder.root), candidate.path, k.line, k.qualname, k.kind)
            if key not in seen:
                seen.add(key)
                unique.append(candidate)
        return unique

    def _resolve_in(
        self, folder: Folder, record: FileRecord | None, word: Word, line: int | None
    ) -> list[Candidate]:
        index = folder.index
        segments = list(word.segments)

        def make(rank: int, path: str, keyword: Keyword) -> Candidate:
            return Candidate(folder, path, keyword, rank)

        names = self.bindings_of(record) if record is not None else {}
        precise: list[Candidate] = []
        if not word.attribute:
            # self.x / cls.x: the enclosing class of the cursor's line.
            if record is not None and line is not None and segments[0] in ("self", "cls"):
                owner = enclosing_class(record, line)
                if owner is not None and len(segments) > 1:
                    wanted = owner.qualname + "." + ".".join(segments[1:])
                    precise += [
                        make(PRECISE, record.path, k)
                        for k in record.keywords
                        if k.qualname == wanted and k.kind in _ANSWER_KINDS
                    ]
            chains = []
            if segments[0] in names:
                chains.append(names[segments[0]].split(".") + segments[1:])
            if len(segments) > 1 and (record is None or segments[0] not in names):
                # A dotted name not bound by an import: maybe fully qualified (pkg.mod.Name).
                chains.append(segments)
            for chain in chains:
                for path, keyword in by_module(index, chain):
                    precise.append(make(PRECISE, path, keyword))
                if precise:
                    break
            if record is not None and len(segments) == 1 and not precise:
                own = [k for k in record.keywords if k.name == word.name]
                precise += [make(PRECISE, record.path, k) for k in own if k.kind in _ANSWER_KINDS]
            if precise:
                return precise
            if record is not None and len(segments) == 1 and word.name in names:
                # Imported from outside the workspace: the import itself is what we know.
                return [
                    make(PRECISE, record.path, k)
                    for k in record.keywords
                    if k.kind in ("import", "module") and (k.alias or k.name) == word.name
                ][:1]
            if len(segments) > 1:
                qualified = ".".join(segments)
                found = [
                    make(self._rank(index, record, d.path), d.path, d.keyword)
                    for d in index.lookup_qualname(qualified)
                    if d.keyword.kind in _ANSWER_KINDS
                ]
                if found:
                    return found
                target = names.get(segments[0])
                if target and not _in_workspace(index, target):
                    # np.array with np bound to numpy: nothing of the workspace.
                    return []
        # A plain name: every definition of it, ranked by how close it is to the context.
        hint = _module_hint(names, segments)
        result = []
        for definition in index.lookup(word.name):
            keyword = definition.keyword
            if keyword.name != word.name or keyword.kind not in _ANSWER_KINDS:
                continue
            rank = self._rank(index, record, definition.path)
            if hint and rank > IMPORTED:
                module = index.records[definition.path].module
                if module == hint or module.startswith(hint + "."):
                    rank = IMPORTED
            if rank >= SAME_PACKAGE and keyword.kind not in _FAR_KINDS:
                continue
            result.append(make(rank, definition.path, keyword))
        return result

    def _rank(self, index: KeywordIndex, record: FileRecord | None, path: str) -> int:
        if record is None:
            return ELSEWHERE
        if path == record.path:
            return PRECISE
        if path in self.imported_paths(index, record):
            return IMPORTED
        if posixpath.dirname(path) == posixpath.dirname(record.path):
            return SAME_PACKAGE
        return ELSEWHERE


def _in_workspace(index: KeywordIndex, dotted: str) -> bool:
    """True when some leading part of a dotted name is a module of the index."""
    parts = dotted.split(".")
    return any(index.module_path(".".join(parts[:cut])) for cut in range(len(parts), 0, -1))


def _module_hint(names: dict[str, str], segments: list[str]) -> str:
    """For ``mod.sub.Name``, the module part (through the file's imports): definitions inside
    it rank high even when a star import hides the exact file."""
    if len(segments) < 2:
        return ""
    head = segments[:-1]
    if head[0] in names:
        head = names[head[0]].split(".") + head[1:]
    return ".".join(head)


def by_module(index: KeywordIndex, chain: list[str], hops: int = 0) -> list[tuple[str, Keyword]]:
    """Definitions a dotted chain names through module paths (``pkg.mod.Class.method``),
    following re-exports by import a few hops; the module itself when the chain ends there."""
    for cut in range(len(chain), 0, -1):
        module = ".".join(chain[:cut])
        path = index.module_path(module)
        if path is None:
            continue
        record = index.records.get(path)
        if record is None:
            continue
        rest = chain[cut:]
        if not rest:
            return [(path, module_keyword(record, module))]
        qualname = ".".join(rest)
        hits = [k for k in record.keywords if k.qualname == qualname and k.kind in _ANSWER_KINDS]
        if hits:
            return [(path, k) for k in hits]
        if hops < _MAX_HOPS:
            target = bindings(record).get(rest[0])
            if target and target.split(".") != chain[: len(target.split("."))]:
                found = by_module(index, target.split(".") + rest[1:], hops + 1)
                if found:
                    return found
        return []
    return []


def enclosing_class(record: FileRecord, line: int) -> Keyword | None:
    """The innermost class whose body holds ``line`` (1-based)."""
    best: Keyword | None = None
    for keyword in record.keywords:
        inside = keyword.kind == "class" and keyword.line <= line <= keyword.end_line
        if inside and (best is None or keyword.line >= best.line):
            best = keyword
    return best
