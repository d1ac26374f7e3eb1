"""From a position in a buffer to ranked keyword candidates: the word (dotted names too) under
the cursor, resolved through the file's imports, module paths and the index. Shared by hover
and definition; pure look-ups on the index, cheap enough for every keystroke. Definition adds
Python's scopes and evident receiver classes (``Definer``) so that inference is rarely needed."""

from __future__ import annotations

import ast
import builtins
import posixpath
import re
from dataclasses import dataclass
from typing import NamedTuple

from kwdocs import scopes
from kwdocs.index import KIND_RANK, KeywordIndex
from kwdocs.lsp.workspace_state import Folder
from kwdocs.model import DEFINITION_KINDS, FileRecord, Keyword
from kwdocs.textlines import FileLines

# Ranks of candidates: resolved precisely, defined in an imported module, in the same package,
# anywhere else.
PRECISE, IMPORTED, SAME_PACKAGE, ELSEWHERE = 0, 1, 2, 3
_ANSWER_KINDS = DEFINITION_KINDS | {"heading"}
# Far from the cursor's file, a variable of the same name is noise, not an answer.
_FAR_KINDS = _ANSWER_KINDS - {"variable"}
_MAX_HOPS = 4
_BLOCK_KINDS = frozenset({"function", "method", "property", "class"})
_MAX_BASES = 24
_BUILTIN_NAMES = frozenset(dir(builtins))
# Bases that define nothing a workspace attribute could be (typing's markers, object).
_PLAIN_BASES = frozenset({"object", "Generic", "Protocol", "ABC", "NamedTuple", "TypedDict"})


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


class Candidate(NamedTuple):
    """One answer: a keyword of a folder's file, and how sure the resolution is (a tuple, not
    a frozen dataclass: common names make thousands of them per request)."""

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
        self._blocks: dict[str, tuple[FileRecord, list[Keyword]]] = {}

    def blocks_of(self, record: FileRecord) -> list[Keyword]:
        """The file's defs and classes, by line (outer before inner)."""
        cached = self._blocks.get(record.path)
        if cached is not None and cached[0] is record:
            return cached[1]
        if len(self._blocks) > 64:
            self._blocks.clear()
        found = sorted(
            (k for k in record.keywords if k.kind in _BLOCK_KINDS and k.line <= k.end_line),
            key=lambda k: (k.line, -k.end_line),
        )
        self._blocks[record.path] = (record, found)
        return found

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
                path = module_file(index, module) if module else None
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
        seen: set[tuple[int, str, int, str, str]] = set()
        unique: list[Candidate] = []
        for candidate in sorted(found, key=Candidate.sort_key):
            k = candidate.keyword
            key = (id(candidate.folder), candidate.path, k.line, k.qualname, k.kind)
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
        # Ranked inline, not by _rank: a name like ``__init__`` has thousands of definitions.
        here = record.path if record is not None else None
        here_dir = here.rpartition("/")[0] if here is not None else None
        imported = self.imported_paths(index, record) if record is not None else frozenset()
        for definition in index.lookup(word.name):
            keyword = definition.keyword
            if keyword.name != word.name or keyword.kind not in _ANSWER_KINDS:
                continue
            path = definition.path
            if here is None:
                rank = ELSEWHERE
            elif path == here:
                rank = PRECISE
            elif path in imported:
                rank = IMPORTED
            elif path.rpartition("/")[0] == here_dir:
                rank = SAME_PACKAGE
            else:
                rank = ELSEWHERE
            if hint and rank > IMPORTED:
                module = index.records[path].module
                if module == hint or module.startswith(hint + "."):
                    rank = IMPORTED
            if rank >= SAME_PACKAGE and keyword.kind not in _FAR_KINDS:
                continue
            result.append(make(rank, path, keyword))
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


def module_file(index: KeywordIndex, module: str) -> str | None:
    """The file of a dotted module name, as ``index.module_path`` finds it, except a match of
    trailing parts inside a package of the workspace: ``os`` is not ``pkg/polyfills/os.py``
    (``pkg.polyfills`` is a package), though ``pkg.mod`` may be ``src/pkg/mod.py``."""
    path = index.module_path(module)
    if path is None:
        return None
    record = index.records.get(path)
    found = record.module if record is not None else module
    if found == module or not found.endswith("." + module):
        return path
    prefix = found[: -len(module) - 1]
    holder = index.module_path(prefix)
    holder_record = index.records.get(holder) if holder is not None else None
    if holder_record is not None and holder_record.module == prefix:
        return None  # a submodule of a workspace package, not a top-level module
    return path


def _in_workspace(index: KeywordIndex, dotted: str) -> bool:
    """True when an imported dotted name is a module of the index or a name of one
    (``pkg.mod``, ``pkg.mod.Name``); ``pkg._C.Name`` of a compiled ``pkg._C`` is not."""
    parent = dotted.rpartition(".")[0]
    return bool(module_file(index, dotted) or (parent and module_file(index, parent)))


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
        path = module_file(index, module)
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


# ---- definition without inference: scopes, import paths, cheap receiver types --------------


def import_module_at(
    index: KeywordIndex, record: FileRecord, word: Word, line: int
) -> list[tuple[str, Keyword]] | None:
    """On the module path of an import statement (``from a.b import c``, ``import a.b``): the
    module the cursor's part names ([] when outside the workspace); None elsewhere."""
    for keyword in record.keywords:
        if keyword.kind != "module" or keyword.line != line or not keyword.end_col:
            continue
        if not keyword.col <= word.start < keyword.end_col or not keyword.target:
            continue
        written = keyword.name.lstrip(".")
        offset = word.start - (keyword.col + len(keyword.name) - len(written))
        if offset < 0:  # on the dots of a relative import: the package itself
            parts = keyword.target.split(".")[
                : len(keyword.target.split(".")) - len(written.split("."))
            ]
        else:
            kept = written[: offset + len(word.name)].count(".") + 1
            dropped = written.count(".") + 1 - kept
            target = keyword.target.split(".")
            parts = target[: len(target) - dropped]
        module = ".".join(parts)
        path = module_file(index, module) if module else None
        if path is None or path not in index.records:
            return []
        return [(path, module_keyword(index.records[path], module))]
    return None


def _keyword_argument(lines: list[str], line: int, start: int, end: int) -> bool:
    """True when the name at (line, start..end) is followed by ``=`` and preceded by ``(`` or
    ``,``: a keyword argument of a call (or a parameter's default, which scopes tell apart)."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    after = text[end:].lstrip()
    if not after.startswith("=") or after.startswith("=="):
        return False
    before = text[:start].rstrip()
    number = line
    while not before and number > 1:  # the first name of a continuation line
        number -= 1
        before = lines[number - 1].split("#", 1)[0].rstrip()
    return before.endswith(("(", ","))


def _callee(lines: list[str], line: int, start: int) -> tuple[Word, int] | None:
    """The dotted name called by the parenthesis a keyword argument at (line, start) is in
    (``pkg.f(`` → pkg, f) with its position, or None (a subscript, a call of a call, too far
    up)."""
    depth = 0
    number = line
    while number >= max(1, line - 30):
        text = lines[number - 1] if number == line else lines[number - 1].split("#", 1)[0]
        for index in range((start if number == line else len(text)) - 1, -1, -1):
            char = text[index]
            if char in ")]}":
                depth += 1
            elif char in "[{":
                if depth == 0:
                    return None
                depth -= 1
            elif char == "(":
                if depth:
                    depth -= 1
                    continue
                end = index
                while end > 0 and text[end - 1] == " ":
                    end -= 1
                word = word_at(text, end - 1) if end else None
                return (word, number) if word is not None and not word.attribute else None
        number -= 1
    return None


def _signature_parameter(lines: list[str], keyword: Keyword, name: str) -> tuple[int, int] | None:
    """(line, column) of parameter ``name`` in the signature of a def starting at
    ``keyword``'s line."""
    pattern = re.compile(rf"(?<![\w.])\**({re.escape(name)})\s*(?:[:=,)]|$)")
    last = min(keyword.end_line, keyword.line + 40, len(lines))
    for number in range(keyword.line, last + 1):
        text = lines[number - 1]
        start = keyword.end_col if number == keyword.line else 0
        match = pattern.search(text, start)
        if match:
            return number, match.start(1)
        if re.search(r"\)\s*(?:->.*)?:\s*(?:#.*)?$", text):
            return None  # the end of the signature
    return None


def _stand_in(folder: Folder, path: str, name: str, place: tuple[int, int]) -> list[Candidate]:
    line, col = place
    keyword = Keyword(name, name, "variable", line, col, col + len(name), line)
    return [Candidate(folder, path, keyword, PRECISE)]


_files = FileLines()


def _file_lines(folder: Folder, path: str) -> list[str] | None:
    """The lines of a workspace file on disk (the last few read are kept)."""
    return _files.lines(folder.full_path(path))


def _chain_start(word: Word) -> int:
    """Code point column where the first segment of a dotted word starts."""
    return word.start - sum(len(s) + 1 for s in word.segments[:-1])


def _dotted(node: ast.AST | None) -> list[str] | None:
    """``a.b.C`` of a Name/Attribute expression (a subscript's value: ``list[X]`` → None)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *parts]
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
        return [node.value, *parts]  # a string annotation of a plain name
    return None


def _strip_optional(node: ast.AST | None) -> ast.AST | None:
    """``X | None`` and ``Optional[X]`` → X; other annotations unchanged."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            if isinstance(other, ast.Constant) and other.value is None:
                return side
    if isinstance(node, ast.Subscript) and _dotted(node.value) in (
        ["Optional"],
        ["typing", "Optional"],
    ):
        return node.slice
    return node


_CALLABLE_KINDS = frozenset({"class", "function", "method", "property"})
OUTSIDE = "outside"
# Values whose type is a builtin's, whatever the workspace holds.
_LITERALS = (
    ast.List,
    ast.Dict,
    ast.Set,
    ast.Tuple,
    ast.Constant,
    ast.JoinedStr,
    ast.ListComp,
    ast.DictComp,
    ast.SetComp,
)


def definition_candidates(
    resolver: Resolver,
    folders: list[Folder],
    home: Folder | None,
    context: FileRecord | None,
    lines: list[str] | None,
    word: Word,
    line: int | None,
) -> tuple[list[Candidate], bool]:
    """(candidates, whether type inference should decide) for go-to-definition of ``word`` at
    1-based ``line`` of a Python buffer's ``lines`` (None for other documents)."""
    if home is not None and context is not None and lines is not None and line is not None:
        decided, infer = Definer(resolver).answer(home, context, lines, word, line)
        if decided is not None:
            return decided, False
        if infer:  # the index's candidates stay the fallback
            return resolver.resolve(folders, home, context, word, line), True
    candidates = resolver.resolve(folders, home, context, word, line)
    precise = [c for c in candidates if c.rank == PRECISE]
    if len(precise) == 1:
        keyword = precise[0].keyword
        if keyword.kind not in ("import", "module") or not keyword.end_col:
            return candidates, False
        # An import: sure when it binds something outside the workspace.
        outside = keyword.target and not _in_workspace(precise[0].folder.index, keyword.target)
        return candidates, not outside
    if len(precise) > 1 and len({(c.path, c.keyword.qualname) for c in precise}) == 1:
        return candidates, False  # overloads, a property's setter: one name, every place
    if len(candidates) == 1 and (len(word.segments) > 1 or word.attribute):
        # The only definition of an attribute's name in the whole workspace.
        return candidates, candidates[0].keyword.kind not in _CALLABLE_KINDS
    return candidates, True


def block_source(
    blocks: list[Keyword], lines: list[str], line: int
) -> tuple[str, int, Keyword] | None:
    """Source, line offset and block to parse for the scopes seen at 1-based ``line``: the
    outermost def or class holding it (``blocks``: the file's defs and classes by line), with
    the bodies of nested defs and classes that do not hold the line stubbed out (their names
    stay; what they bind is not visible here). None at module level."""
    outer = next((k for k in blocks if k.line <= line <= k.end_line), None)
    if outer is None or outer.end_line > len(lines):
        return None
    part = lines[outer.line - 1 : outer.end_line]
    stubbed_until = outer.line
    for keyword in blocks[blocks.index(outer) + 1 :]:
        if keyword.line > outer.end_line:
            break
        if keyword.line <= stubbed_until or keyword.line <= line <= keyword.end_line:
            continue  # inside a stub already, or the cursor's own block: kept whole
        text = part[keyword.line - outer.line]
        indent = text[: len(text) - len(text.lstrip())]
        stub = "class {}: pass" if keyword.kind == "class" else "def {}(): pass"
        part[keyword.line - outer.line] = indent + stub.format(keyword.name)
        for number in range(keyword.line + 1, keyword.end_line + 1):
            part[number - outer.line] = ""
        stubbed_until = keyword.end_line
    return (*scopes.part_source(part, outer.line), outer)


def may_bind(source: str, name: str) -> bool:
    """Cheap text test: could ``name`` be bound in ``source`` (assigned, a parameter, a loop
    or ``as`` target, imported, declared global)? False means surely not."""
    escaped = re.escape(name)
    pattern = (
        rf"(?<![\w.]){escaped}\s*(?:=(?!=)|:|,|\)|\]|\}}|\bin\b|$)"
        rf"|\bas\s+{escaped}\b|\b(?:import|global|nonlocal)\b[^\n]*(?<![\w.]){escaped}\b"
    )
    return re.search(pattern, source, re.MULTILINE) is not None


def _module_binds(record: FileRecord, name: str, lines: list[str]) -> bool:
    """True when the file may bind ``name`` at module level (a keyword, or a star import)."""
    if any(k.qualname == name or (k.alias or k.name) == name for k in record.keywords):
        return True
    return any("import *" in text for text in lines if "import" in text)


class Definer:
    """Go-to-definition answers that need no type inference: Python's scopes over the block
    holding the cursor, import paths, and receivers whose class is evident (``self``,
    ``x: Cls``, ``x = Cls()``)."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver

    def answer(
        self, folder: Folder, record: FileRecord, lines: list[str], word: Word, line: int
    ) -> tuple[list[Candidate] | None, bool]:
        """(the definitions of ``word`` at 1-based ``line`` of ``lines``, the buffer of
        ``record``, or None when undecided here; whether only type inference can tell).
        [] means surely defined outside the workspace."""
        index = folder.index
        found = import_module_at(index, record, word, line)
        if found is not None:
            return [Candidate(folder, path, k, PRECISE) for path, k in found], False
        if word.attribute:
            # ``"sep".join``: a method of a str literal is not the workspace's.
            text = lines[line - 1] if 0 < line <= len(lines) else ""
            dot = text[: word.start].rstrip()
            return ([], False) if dot.endswith(('".', "'.")) else (None, False)
        head = word.segments[0]
        start = _chain_start(word)
        if len(word.segments) == 1 and _keyword_argument(lines, line, start, word.end):
            # ``f(name=...)``: the callee's parameter, which only inference finds.
            source = block_source(self.resolver.blocks_of(record), lines, line)
            parsed = scopes.parse(source[0], source[1]) if source is not None else None
            binding = scopes.lookup(parsed, head, line, start) if parsed is not None else None
            if binding is not None and (binding.line, binding.col) == (line, start):
                return [self._at(folder, record, binding)], False  # ``def f(name=...)``
            callee = _callee(lines, line, start)
            found = None
            if callee is not None:
                found = self._parameter(folder, record, lines, *callee, head)
            return (found, False) if found is not None else (None, True)
        if len(word.segments) == 1:
            # On the name an import binds: what it imports (the import itself for a library).
            imported = [
                k
                for k in record.keywords
                if k.kind == "import" and (k.line, k.col, k.name) == (line, start, head)
            ]
            if imported:
                return self._import_target(folder, record, imported[0]), False
        if len(word.segments) == 1:
            # On the name of a definition the index knows: that definition itself.
            own = [
                k
                for k in record.keywords
                if (k.line, k.col, k.name) == (line, start, head) and k.kind in _ANSWER_KINDS
            ]
            if own:
                return [Candidate(folder, record.path, own[0], PRECISE)], False
        parsed = None
        binding = None
        source = block_source(self.resolver.blocks_of(record), lines, line)
        if source is not None and may_bind(source[0], head):
            parsed = scopes.parse(source[0], source[1])
        if parsed is not None:
            binding = scopes.lookup(parsed, head, line, start)
            if binding is not None and binding.scope == "module":
                # The block's own name: answered here only at its definition (a method's name
                # is not visible in its body; the module's names are the index's business).
                at = (binding.line, binding.col) == (line, start)
                binding = binding if at and len(word.segments) == 1 else None
        if binding is None and head in self.resolver.bindings_of(record):
            # Not local, and an import of the file binds it (module level, as a rule).
            return self._imported(folder, record, word, line), False
        if binding is None:
            builtin = len(word.segments) == 1 and head in _BUILTIN_NAMES
            if builtin and not _module_binds(record, head, lines):
                return [], False  # len, str, ValueError...: outside every workspace folder
            if source is None and len(word.segments) == 1:
                # Module level: the last top-level assignment at or before the cursor.
                return self._module_assignment(folder, record, lines, head, line), False
            if len(word.segments) != 2:
                return None, False
            # A module-level variable as the receiver: the statement that assigns it.
            variable = next(
                (
                    k
                    for k in record.keywords
                    if k.qualname == head and k.kind in ("variable", "constant")
                ),
                None,
            )
            if variable is None or variable.end_line > len(lines):
                return None, False
            parsed = scopes.parse(*scopes.fragment(lines, variable.line, variable.end_line))
            if parsed is None:
                return None, False
            binding = scopes.lookup(parsed, head, variable.line, variable.col)
            if binding is None:
                return None, False
        if binding.kind == scopes.IMPORT:
            return self._imported(folder, record, word, line), False
        if len(word.segments) == 1:
            return [self._at(folder, record, binding)], False
        if len(word.segments) != 2 or parsed is None:
            return None, False
        owner = self._receiver_class(folder, record, parsed, binding)
        if owner is OUTSIDE:
            return [], False  # a str, a list, an object of a library: not the workspace's
        if not isinstance(owner, tuple):
            return None, False
        # Attributes assigned in methods are searched in the text: only for the buffer's own
        # classes. Not found (set dynamically, or in a base outside): inference may know.
        own_lines = lines if owner[0] == record.path else None
        found_members = self.members(folder, owner[0], owner[1], word.segments[1], own_lines)
        return (found_members, False) if found_members else (None, True)

    def _parameter(
        self,
        folder: Folder,
        record: FileRecord,
        lines: list[str],
        callee: Word,
        line: int,
        name: str,
    ) -> list[Candidate] | None:
        """The parameter ``name`` of the function (or class) a call names: [] when the callee
        is a builtin's or a library's, None when it takes inference."""
        found, _ = self.answer(folder, record, lines, callee, line)
        if found is None:
            return None
        if not found:
            return []
        precise = [c for c in found if c.rank == PRECISE]
        if len(precise) != 1 or precise[0].keyword.kind not in _CALLABLE_KINDS:
            return None
        path, keyword = precise[0].path, precise[0].keyword
        text = lines if path == record.path else _file_lines(folder, path)
        if text is None:
            return None
        if keyword.kind == "class":
            init = f"{keyword.qualname}.__init__"
            target_record = folder.index.records.get(path)
            method = (
                next(
                    (k for k in target_record.keywords if k.qualname == init),
                    None,
                )
                if target_record is not None
                else None
            )
            if method is None:  # a dataclass, a NamedTuple: its fields
                place = _instance_attribute(text, keyword, name)
                return _stand_in(folder, path, name, place) if place else None
            keyword = method
        place = _signature_parameter(text, keyword, name)
        return _stand_in(folder, path, name, place) if place else None

    def _module_assignment(
        self, folder: Folder, record: FileRecord, lines: list[str], name: str, line: int
    ) -> list[Candidate] | None:
        """A module-level variable of this file: its last top-level assignment at or before
        ``line`` (the index keeps the first one only)."""
        keyword = next(
            (
                k
                for k in record.keywords
                if k.qualname == name and k.kind in ("variable", "constant")
            ),
            None,
        )
        if keyword is None or keyword.line > line:
            return None
        pattern = re.compile(rf"{re.escape(name)}\s*(?::[^=]*)?=(?!=)")
        for number in range(min(line, len(lines)), keyword.line, -1):
            if lines[number - 1].startswith(name) and pattern.match(lines[number - 1]):
                end = len(name)
                stand_in = Keyword(name, name, keyword.kind, number, 0, end, number)
                return [Candidate(folder, record.path, stand_in, PRECISE)]
        return [Candidate(folder, record.path, keyword, PRECISE)]

    def _import_target(
        self, folder: Folder, record: FileRecord, keyword: Keyword
    ) -> list[Candidate] | None:
        """What ``from m import name`` imports: its workspace definition (or module), else
        the import itself when the module is not the workspace's; None when unsure."""
        found = by_module(folder.index, keyword.target.split("."))
        if found:
            return [Candidate(folder, path, k, PRECISE) for path, k in found]
        if not _in_workspace(folder.index, keyword.target):
            return [Candidate(folder, record.path, keyword, PRECISE)]
        return None

    def _imported(
        self, folder: Folder, record: FileRecord, word: Word, line: int
    ) -> list[Candidate] | None:
        """A name bound by an import: its workspace definition, else the import itself."""
        found = self.resolver._resolve_in(folder, record, word, line)
        precise = [c for c in found if c.rank == PRECISE]
        if len(precise) == 1 and precise[0].keyword.kind not in ("import", "module"):
            return precise
        if len(precise) == 1 and precise[0].keyword.end_col == 0:
            return precise  # a module of the workspace
        target = self.resolver.bindings_of(record).get(word.segments[0])
        if target and not _in_workspace(folder.index, target):
            # Bound to something outside the workspace: the import line is all we know of a
            # name; nothing of the workspace for an attribute of it.
            if len(word.segments) == 1:
                return [c for c in precise if c.keyword.kind in ("import", "module")][:1] or None
            return []
        return None

    def _at(self, folder: Folder, record: FileRecord, binding: scopes.Binding) -> Candidate:
        """The index's keyword at a binding, else a stand-in for a local name."""
        for keyword in record.keywords:
            if (keyword.line, keyword.col, keyword.name) == (
                binding.line,
                binding.col,
                binding.name,
            ) and keyword.kind in _ANSWER_KINDS:
                return Candidate(folder, record.path, keyword, PRECISE)
        name, line, col = binding.name, binding.line, binding.col
        keyword = Keyword(name, name, "variable", line, col, col + len(name), line)
        return Candidate(folder, record.path, keyword, PRECISE)

    # ---- receivers ------------------------------------------------------------------------

    def _receiver_class(
        self, folder: Folder, record: FileRecord, parsed: scopes.Parsed, binding: scopes.Binding
    ) -> tuple[str, Keyword] | str | None:
        """(path, class keyword) of the value a binding evidently holds, OUTSIDE when that is
        evidently not a class of the workspace (a literal, a builtin, a library's object), or
        None when it takes inference."""
        node = binding.node
        if binding.kind == scopes.PARAM and isinstance(node, ast.arg):
            owner = binding.owner
            arguments = getattr(owner, "args", None)
            if isinstance(arguments, ast.arguments) and node in (arguments.vararg, arguments.kwarg):
                return OUTSIDE  # ``*args`` is a tuple and ``**kwargs`` a dict, annotated or not
            if node.annotation is not None:
                return self._class_named(folder, record, parsed, node.annotation, binding)
            if not isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return None
            if node.arg not in ("self", "cls") or (owner.args.posonlyargs + owner.args.args)[
                :1
            ] != [node]:
                return None
            # The first parameter of a method: the class whose body holds the def.
            def_line = owner.lineno + parsed.offset
            method = next(
                (
                    k
                    for k in record.keywords
                    if k.line == def_line
                    and k.name == owner.name
                    and k.kind in ("method", "property")
                ),
                None,
            )
            if method is None or "." not in method.qualname:
                return None
            qualname = method.qualname.rpartition(".")[0]
            owner_class = next(
                (k for k in record.keywords if k.kind == "class" and k.qualname == qualname), None
            )
            return (record.path, owner_class) if owner_class is not None else None
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call):
            # ``with open(p) as f``: f is what ``__enter__`` returns, surely not the
            # workspace's when the called name is a builtin's or a library's.
            found = self._class_named(folder, record, parsed, node.context_expr.func, binding)
            return OUTSIDE if found is OUTSIDE else None
        if isinstance(node, ast.AnnAssign):
            return self._class_named(folder, record, parsed, node.annotation, binding)
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if not isinstance(node.targets[0], ast.Name):
                return None
            if isinstance(node.value, _LITERALS):
                return OUTSIDE
            if isinstance(node.value, ast.Call):
                return self._class_named(folder, record, parsed, node.value.func, binding)
        return None

    def _class_named(
        self,
        folder: Folder,
        record: FileRecord,
        parsed: scopes.Parsed,
        expression: ast.AST | None,
        near: scopes.Binding,
    ) -> tuple[str, Keyword] | str | None:
        """The class an expression (an annotation, a called name) names, seen from the scope
        of the binding ``near``; OUTSIDE for a builtin or a library's name."""
        expression = _strip_optional(expression)
        if isinstance(expression, ast.Subscript):  # list[int], dict[str, X]: the container
            expression = expression.value
        chain = _dotted(expression)
        if chain is None:
            return None
        binding = scopes.lookup(parsed, chain[0], near.line, near.col)
        if binding is not None and binding.scope != "module":
            return None  # a local class or a local variable: not worth guessing
        names = self.resolver.bindings_of(record)
        if binding is None and chain[0] not in names:
            own = any(k.qualname == chain[0] for k in record.keywords)
            if len(chain) == 1 and chain[0] in _BUILTIN_NAMES and not own:
                return OUTSIDE  # str, list, dict...
        target = names.get(chain[0])
        if target and not _in_workspace(folder.index, target):
            return OUTSIDE  # logging.getLogger(), np.ndarray: a library's
        found = self.resolver._resolve_in(folder, record, Word(tuple(chain), 0, 0), None)
        classes = [c for c in found if c.rank == PRECISE and c.keyword.kind == "class"]
        if len(classes) == 1:
            return classes[0].path, classes[0].keyword
        return None

    def members(
        self, folder: Folder, path: str, owner: Keyword, name: str, lines: list[str] | None = None
    ) -> list[Candidate]:
        """Where ``name`` is defined on class ``owner`` (of file ``path``) or, in method
        resolution order, on its workspace base classes; [] when unsure."""
        index = folder.index
        owner_path = path
        queue = [(path, owner)]
        seen: set[tuple[str, str]] = set()
        while queue and len(seen) < _MAX_BASES:
            path, cls = queue.pop(0)
            if (path, cls.qualname) in seen:
                continue
            seen.add((path, cls.qualname))
            record = index.records.get(path)
            if record is None:
                return []
            wanted = cls.qualname + "." + name
            hits = [k for k in record.keywords if k.qualname == wanted and k.kind in _ANSWER_KINDS]
            if hits:
                return [Candidate(folder, path, k, PRECISE) for k in hits]
            for base in cls.bases:
                if base.split("[", 1)[0].rsplit(".", 1)[-1] in _PLAIN_BASES:
                    continue
                found = self._base(folder, record, base)
                if found is None:
                    return []  # a base outside the workspace (or unknown) may define it
                queue.append(found)
        # Not a class attribute: an instance attribute set in a method of the first class.
        if lines is not None:
            place = _instance_attribute(lines, owner, name)
            if place is not None:
                line, col = place
                qualname = owner.qualname + "." + name
                keyword = Keyword(name, qualname, "variable", line, col, col + len(name), line)
                return [Candidate(folder, owner_path, keyword, PRECISE)]
        return []

    def _base(self, folder: Folder, record: FileRecord, base: str) -> tuple[str, Keyword] | None:
        """The workspace class a base-class expression of ``record`` names, or None."""
        chain = base.split("[", 1)[0].split(".")
        own = [k for k in record.keywords if k.kind == "class" and k.qualname == ".".join(chain)]
        if len(own) == 1:
            return record.path, own[0]
        found = self.resolver._resolve_in(folder, record, Word(tuple(chain), 0, 0), None)
        classes = [c for c in found if c.rank == PRECISE and c.keyword.kind == "class"]
        if len(classes) == 1:
            return classes[0].path, classes[0].keyword
        return None


def _instance_attribute(lines: list[str], cls: Keyword, name: str) -> tuple[int, int] | None:
    """(1-based line, column) where a class of the buffer gives ``name`` a value: a name
    assigned or annotated in its body (``name: int``, dataclass fields), else the first
    ``self.name = ...`` of its methods."""
    last = min(cls.end_line, len(lines))
    header = lines[cls.line - 1] if 0 < cls.line <= len(lines) else ""
    indent = len(header) - len(header.lstrip())
    body = indent + 4  # the usual indentation; the first method's when there is one
    for number in range(cls.line + 1, last + 1):
        text = lines[number - 1]
        stripped = text.lstrip()
        if stripped.startswith(("def ", "async def ")):
            body = len(text) - len(stripped)
            break
    own = re.compile(rf"{re.escape(name)}\s*(?::|=(?!=))")
    assigned = re.compile(rf"\bself\.({re.escape(name)})\s*(?::[^=]*)?=(?!=)")
    first: tuple[int, int] | None = None
    for number in range(cls.line + 1, last + 1):
        text = lines[number - 1]
        if name not in text:
            continue
        if len(text) - len(text.lstrip()) == body and own.match(text, body):
            return number, body
        if first is None:
            match = assigned.search(text)
            if match:
                first = (number, match.start(1))
    return first
