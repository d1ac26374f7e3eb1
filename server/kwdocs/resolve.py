"""Resolution over the workspace's records: which file a module name is, what the names a file
imports stand for (following re-exports), and ranked definitions of a name seen from a file.
Asked by hover, definition, symbols, pages and ``kwdocs lookup``; knows nothing of LSP."""

from __future__ import annotations

import bisect
import enum
import posixpath
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple, Protocol

from kwdocs.cursor import Word
from kwdocs.import_types import ImportFact, ImportLine
from kwdocs.index import KIND_RANK, KeywordIndex
from kwdocs.model import DEFINITION_KINDS, STAR, FileRecord, Keyword, Kind
from kwdocs.modules import ImportGroup, ModuleTable


class Rank(enum.IntEnum):
    """How sure a candidate is, best first."""

    PRECISE = 0
    """Resolved: the binding the code gives the name."""
    IMPORTED = 1
    """Defined in a module the file imports."""
    SAME_PACKAGE = 2
    ELSEWHERE = 3


PRECISE, IMPORTED, SAME_PACKAGE, ELSEWHERE = Rank
_ANSWER_KINDS = DEFINITION_KINDS | {"heading"}
# Far from the cursor's file, a variable of the same name is noise, not an answer.
_FAR_KINDS = _ANSWER_KINDS - {"variable"}
_MAX_HOPS = 4
# The kinds loops over every keyword of a file compare with: ``Kind.MODULE`` goes through the
# enum metaclass's ``__getattr__`` hook, five times the cost of reading a global.
_MODULE, _IMPORT = Kind.MODULE, Kind.IMPORT
_IMPORT_KINDS = frozenset({Kind.MODULE, Kind.IMPORT})


class Records(Protocol):
    """Records by path and their module table: what resolution reads (a KeywordIndex is
    one; so is an export's Analysis)."""

    @property
    def records(self) -> Mapping[str, FileRecord]: ...

    @property
    def modules(self) -> ModuleTable: ...


class Workspace(Protocol):
    """A root and its index: what the engine needs of a workspace folder (the language
    server's folders are ones)."""

    root: Path
    index: KeywordIndex


class Candidate(NamedTuple):
    """One answer: a keyword of a folder's file, and how sure the resolution is (a tuple, not
    a frozen dataclass: common names make thousands of them per request)."""

    folder: Workspace
    path: str
    keyword: Keyword
    rank: Rank

    def sort_key(self) -> tuple[int, int, str, int]:
        return (self.rank, KIND_RANK.get(self.keyword.kind, 9), self.path, self.keyword.line)


def module_keyword(record: FileRecord, name: str) -> Keyword:
    """A stand-in keyword for a whole module file (its first line, its docstring summary)."""
    summary = " ".join(record.docstring.split("\n\n", 1)[0].split())[:300]
    return Keyword(
        name=name.rsplit(".", 1)[-1],
        qualname=record.module or name,
        kind=Kind.MODULE,
        line=1,
        col=0,
        end_col=0,
        end_line=max(1, record.lines),
        summary=summary,
    )


def bindings(record: FileRecord) -> dict[str, str]:
    """Names the file's imports bind → the absolute dotted name they stand for (remembered
    per record: resolution through re-exports asks it of the same few files again and again;
    the dict is shared, never to be changed)."""
    cached = _BINDINGS.get(record.path)
    if cached is not None and cached[0] is record:
        return cached[1]
    found = _bindings(record)
    if len(_BINDINGS) >= _REMEMBERED:
        _BINDINGS.pop(next(iter(_BINDINGS)))
    _BINDINGS[record.path] = (record, found)
    return found


_REMEMBERED = 4096
_BINDINGS: dict[str, tuple[FileRecord, dict[str, str]]] = {}


def _bindings(record: FileRecord) -> dict[str, str]:
    found: dict[str, str] = {}
    # One binding per name and alias: the first import of it (the same name imported from
    # another module elsewhere — in another function — does not replace it).
    taken: set[tuple[str, str]] = set()
    for keyword in record.keywords:
        kind = keyword.kind
        if kind == _IMPORT and keyword.target:
            if (keyword.name, keyword.alias) not in taken:
                taken.add((keyword.name, keyword.alias))
                found[keyword.alias or keyword.name] = keyword.target
        elif kind == _MODULE and keyword.target and keyword.alias != STAR:
            if keyword.alias:
                found[keyword.alias] = keyword.target
            elif not keyword.name.startswith("."):  # ``import a.b`` binds ``a``
                head = keyword.target.split(".", 1)[0]
                found.setdefault(head, head)
    return found


def star_imports(record: FileRecord) -> list[str]:
    """The modules a file takes every public name of (``from m import *``), in file order
    (remembered per record, as ``bindings``)."""
    cached = _STARS.get(record.path)
    if cached is not None and cached[0] is record:
        return cached[1]
    found = [
        k.target for k in record.keywords if k.kind == _MODULE and k.alias == STAR and k.target
    ]
    if len(_STARS) >= _REMEMBERED:
        _STARS.pop(next(iter(_STARS)))
    _STARS[record.path] = (record, found)
    return found


_STARS: dict[str, tuple[FileRecord, list[str]]] = {}


def imported_paths(space: Records, record: FileRecord) -> set[str]:
    """Workspace files this file imports: modules, and submodules imported by name
    (``from pkg import mod``)."""
    return set(import_files(space, record).values())


def import_files(space: Records, record: FileRecord) -> dict[str, str]:
    """Target of each import of a file → the workspace file it takes something from: the
    module (``import a.b``, ``from a import b`` where ``a.b`` is a module) or the module a name
    comes from (``from a import name``); none outside the workspace or in the file itself."""
    file_of = space.modules.file_of
    here = record.path
    found: dict[str, str] = {}
    for keyword in record.keywords:
        kind = keyword.kind
        target = keyword.target
        if not target or target in found:
            continue
        if kind == _MODULE:
            path = file_of(target, here)
        elif kind == _IMPORT:
            path = file_of(target, here) or file_of(target.rpartition(".")[0], here)
        else:
            continue
        if path is not None and path != here:
            found[target] = path
    return found


def import_facts(space: Records, record: FileRecord) -> list[ImportFact]:
    """Every module a file imports, once however many statements import it (``.utils`` and
    ``pkg.utils`` are one module), classified (kwdocs.modules.ImportGroup), by group and name,
    with each statement's line and the names it imports: the file's Dependencies, and how
    many modules it imports from. A name's statement begins on the last line, up to the
    name's, where a statement begins: a module keyword's, or one of ``record.import_lines``
    (statements whose module keyword the record leaves out)."""
    keywords = [k for k in record.keywords if k.kind in _IMPORT_KINDS]
    starts = sorted({k.line for k in keywords if k.kind == _MODULE}.union(record.import_lines))
    statements: dict[str, dict[int, list[str]]] = {}
    resolved: dict[str, str] = {}
    relative: dict[str, bool] = {}
    taken: dict[str, list[str]] = {}
    unresolved: dict[int, str] = {}
    """Line → the written module of a relative import leading nowhere."""
    for keyword in keywords:
        if keyword.kind == _MODULE:
            key = keyword.target or keyword.name
            if not keyword.target:
                unresolved[keyword.line] = key
            alias = keyword.alias
            names = statements.setdefault(key, {}).setdefault(keyword.line, [])
            names += ["*"] if alias == STAR else [f"as {alias}"] if alias else []
            resolved[key] = keyword.target
            relative[key] = relative.get(key, False) or keyword.name.startswith(".")
        else:
            at = bisect.bisect_right(starts, keyword.line) - 1
            line = starts[at] if at >= 0 else keyword.line
            module = keyword.target.rpartition(".")[0]
            key = module or unresolved.get(line, "")
            resolved.setdefault(key, module)
            relative.setdefault(key, not module)
            shown = f"{keyword.name} as {keyword.alias}" if keyword.alias else keyword.name
            statements.setdefault(key, {}).setdefault(line, []).append(shown)
            taken.setdefault(key, []).append(keyword.name)
    modules = space.modules
    facts = []
    for key, lines in statements.items():
        module = resolved[key]
        path = modules.file_of(module, record.path) or "" if module else ""
        if not path and module:
            # ``from . import x`` binds submodules: the module itself may be a package file.
            for name in taken.get(key, ()):
                path = modules.file_of(f"{module}.{name}", record.path) or ""
                if path:
                    break
        if path == record.path:
            path = ""
        group = (
            ImportGroup.FIRST_PARTY
            if path
            else modules.classify(module, record.path, relative[key])
        )
        written = tuple(
            ImportLine(line, tuple(sorted(set(names)) if len(names) > 1 else names))
            for line, names in sorted(lines.items())
        )
        facts.append(ImportFact(key, group, path, written))
    facts.sort(key=lambda f: (_GROUP_ORDER[f.group], f.module))
    return facts


_GROUP_ORDER = {group: n for n, group in enumerate(ImportGroup)}


def module_file(space: Records, module: str, importer: str | None = None) -> str | None:
    """The workspace file of a dotted module name (kwdocs.modules.ModuleTable's rules)."""
    return space.modules.file_of(module, importer) if module else None


def _in_workspace(space: Records, dotted: str, importer: str | None = None) -> bool:
    """True when an imported dotted name is a module of the workspace or a name of one
    (``pkg.mod``, ``pkg.mod.Name``); ``pkg._C.Name`` of a compiled ``pkg._C`` is not."""
    parent = dotted.rpartition(".")[0]
    return bool(
        module_file(space, dotted, importer) or (parent and module_file(space, parent, importer))
    )


def keywords_named(record: FileRecord, qualname: str) -> list[Keyword]:
    """The keywords of a file with this qualified name that can answer a look-up."""
    table = _QUALNAMES.get(record.path)
    found = table[1] if table is not None and table[0] is record else definitions(record)
    return found.get(qualname, [])


def definitions(record: FileRecord) -> dict[str, list[Keyword]]:
    """The keywords of a file that can answer a look-up, by qualified name (one dict per file,
    remembered for the last files asked: large stubs hold 10,000 keywords; the dict is shared,
    never to be changed)."""
    table = _QUALNAMES.get(record.path)
    if table is not None and table[0] is record:
        return table[1]
    found: dict[str, list[Keyword]] = {}
    for keyword in record.keywords:
        if keyword.kind in _ANSWER_KINDS:
            qualname = keyword.qualname
            same = found.get(qualname)
            if same is None:
                found[qualname] = [keyword]
            else:
                same.append(keyword)
    if len(_QUALNAMES) >= 256:
        _QUALNAMES.pop(next(iter(_QUALNAMES)))
    _QUALNAMES[record.path] = (record, found)
    return found


_QUALNAMES: dict[str, tuple[FileRecord, dict[str, list[Keyword]]]] = {}


def is_overload(record: FileRecord, keyword: Keyword) -> bool:
    """An ``@overload`` declaration of ``record``: a signature for type checkers, not the code
    that runs. The decorator as written (``overload``, ``typing.overload``) or through the
    name an import binds it to (``from typing import overload as _overload``, torch's way)."""
    for decorator in keyword.decorators:
        if decorator.rpartition(".")[2] == "overload":
            return True
        head, _, rest = decorator.partition(".")
        target = bindings(record).get(head) if head.isidentifier() else None
        if target is not None and (f"{target}.{rest}" if rest else target) in _OVERLOADS:
            return True
    return False


_OVERLOADS = frozenset({"typing.overload", "typing_extensions.overload"})


def implementation(record: FileRecord, keyword: Keyword) -> Keyword:
    """The definition that runs for an ``@overload`` declaration of ``record`` (the one of the
    same name and kind defined without ``@overload``, which holds the docstring), else
    ``keyword`` itself: any other definition, or an overload with no implementation (a
    stub's)."""
    if not is_overload(record, keyword):
        return keyword
    for other in reversed(keywords_named(record, keyword.qualname)):
        if other.kind == keyword.kind and not is_overload(record, other):
            return other
    return keyword


def name_in_module(
    space: Records, path: str, name: str, hops: int = 0
) -> list[tuple[str, Keyword]]:
    """What a module-level name of a workspace file is: its own definition, else what the
    import binding it stands for, else a submodule of that name (a package's), else the same
    name in a module it star-imports; [] when the workspace cannot tell."""
    record = space.records.get(path)
    if record is None:
        return []
    own = keywords_named(record, name)
    if own:
        return [(path, k) for k in own]
    if hops >= _MAX_HOPS:
        return []
    target = bindings(record).get(name)
    if target:
        return resolve_dotted(space, target.split("."), path, hops + 1)
    if record.module:
        submodule = module_file(space, f"{record.module}.{name}", path)
        if submodule is not None and submodule in space.records:
            return [
                (submodule, module_keyword(space.records[submodule], f"{record.module}.{name}"))
            ]
    for star in star_imports(record):
        starred = module_file(space, star, path)
        if starred is not None and starred != path:
            found = name_in_module(space, starred, name, hops + 1)
            if found:
                return found
    return []


def resolve_dotted(
    space: Records, chain: list[str], importer: str | None = None, hops: int = 0
) -> list[tuple[str, Keyword]]:
    """Definitions a dotted chain names through module paths (``pkg.mod.Class.method``),
    following re-exports a few hops; the module itself when the chain ends there."""
    for cut in range(len(chain), 0, -1):
        module = ".".join(chain[:cut])
        path = module_file(space, module, importer)
        if path is None:
            continue
        record = space.records.get(path)
        if record is None:
            continue
        rest = chain[cut:]
        if not rest:
            return [(path, module_keyword(record, module))]
        qualified = keywords_named(record, ".".join(rest))
        if qualified:
            return [(path, k) for k in qualified]
        head = name_in_module(space, path, rest[0], hops)
        if not head or len(rest) == 1:
            return head
        # ``mod.Class.method`` where ``mod`` re-exports ``Class``: the member in its file.
        members: list[tuple[str, Keyword]] = []
        for where, keyword in head:
            if keyword.kind == Kind.CLASS:
                members += [
                    (where, k)
                    for k in keywords_named(
                        space.records[where], ".".join([keyword.qualname, *rest[1:]])
                    )
                ]
            elif keyword.kind == Kind.MODULE and keyword.end_col == 0:
                sub = space.records[where].module
                members += resolve_dotted(space, [*sub.split("."), *rest[1:]], importer, hops + 1)
        return members
    return []


def alias_of(space: Records, path: str, keyword: Keyword) -> list[tuple[str, Keyword]]:
    """What a module-level variable of ``path`` assigned a plain dotted name stands for
    (``default_collate = _utils.collate.default_collate``: the function in ``collate.py``),
    read as the module reads that name — its imports, its own definitions, re-exports and star
    imports — and followed through further aliases a few hops; [] when ``keyword`` is no such
    alias or the workspace cannot tell."""
    if not _is_alias(space, path, keyword):
        return []
    seen = {(path, keyword.line)}
    for _ in range(_MAX_HOPS):
        found = _dotted_in_module(space, path, keyword.target.split("."))
        if len(found) != 1 or not _is_alias(space, *found[0]):
            return found
        path, keyword = found[0]
        if (path, keyword.line) in seen:
            return []
        seen.add((path, keyword.line))
    return []


def _is_alias(space: Records, path: str, keyword: Keyword) -> bool:
    """A module-level variable bound once, to a plain dotted name: no other assignment (the
    extractor clears the target then), no import and no definition of the same name (as in
    ``try: from m import f`` / ``except ImportError: f = _missing``)."""
    if keyword.kind not in _ALIAS_KINDS or not keyword.target or "." in keyword.qualname:
        return False
    record = space.records.get(path)
    return (
        record is not None
        and keyword.name not in bindings(record)
        and len(keywords_named(record, keyword.name)) == 1
    )


_ALIAS_KINDS = frozenset({Kind.VARIABLE, Kind.CONSTANT})


def _dotted_in_module(space: Records, path: str, chain: list[str]) -> list[tuple[str, Keyword]]:
    """What ``a.b.c`` written at module level in ``path`` names."""
    record = space.records.get(path)
    if record is None:
        return []
    target = bindings(record).get(chain[0])
    if target is not None:
        return resolve_dotted(space, [*target.split("."), *chain[1:]], path)
    if len(chain) > 1:
        qualified = keywords_named(record, ".".join(chain))  # ``f = Class.method``
        if qualified:
            return [(path, k) for k in qualified]
    head = name_in_module(space, path, chain[0])
    if len(chain) == 1:
        return head
    if len(head) == 1 and head[0][1].kind == Kind.MODULE and head[0][1].end_col == 0:
        module = space.records[head[0][0]].module
        return resolve_dotted(space, [*module.split("."), *chain[1:]], path)
    return []


def base_class(space: Records, record: FileRecord, base: str) -> tuple[str, Keyword] | None:
    """The workspace class a base-class expression of ``record`` names (through its imports
    and re-exports), or None."""
    base = base.split("[", 1)[0].strip()
    if not base or not base.replace(".", "").replace("_", "").isalnum():
        return None
    own = [k for k in keywords_named(record, base) if k.kind == Kind.CLASS]
    if own:
        return record.path, own[0]
    chain = base.split(".")
    names = bindings(record)
    found: list[tuple[str, Keyword]] = []
    if chain[0] in names:
        found = resolve_dotted(space, names[chain[0]].split(".") + chain[1:], record.path)
    elif len(chain) > 1:
        found = resolve_dotted(space, chain, record.path)
    else:
        found = name_in_module(space, record.path, base)
    classes = [(p, k) for p, k in found if k.kind == Kind.CLASS]
    return classes[0] if len(classes) == 1 else None


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
        paths = imported_paths(index, record)
        if len(self._imported) > 512:
            self._imported.clear()
        result = frozenset(paths)
        self._imported[record.path] = (record, index.generation, result)
        return result

    # ---- resolution ----------------------------------------------------------------------

    def resolve(
        self,
        folders: list[Workspace],
        home: Workspace | None,
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
        self, folder: Workspace, record: FileRecord | None, word: Word, line: int | None
    ) -> list[Candidate]:
        index = folder.index
        segments = list(word.segments)

        def make(rank: Rank, path: str, keyword: Keyword) -> Candidate:
            return Candidate(folder, path, keyword, rank)

        names = self.bindings_of(record) if record is not None else {}
        importer = record.path if record is not None else None
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
                for path, keyword in resolve_dotted(index, chain, importer):
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
                if target and not _in_workspace(index, target, importer):
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

    def _rank(self, index: KeywordIndex, record: FileRecord | None, path: str) -> Rank:
        if record is None:
            return ELSEWHERE
        if path == record.path:
            return PRECISE
        if path in self.imported_paths(index, record):
            return IMPORTED
        if posixpath.dirname(path) == posixpath.dirname(record.path):
            return SAME_PACKAGE
        return ELSEWHERE


def _module_hint(names: dict[str, str], segments: list[str]) -> str:
    """For ``mod.sub.Name``, the module part (through the file's imports): definitions inside
    it rank high even when a star import hides the exact file."""
    if len(segments) < 2:
        return ""
    head = segments[:-1]
    if head[0] in names:
        head = names[head[0]].split(".") + head[1:]
    return ".".join(head)


def enclosing_class(record: FileRecord, line: int) -> Keyword | None:
    """The innermost class whose body holds ``line`` (1-based)."""
    best: Keyword | None = None
    for keyword in record.keywords:
        inside = keyword.kind == "class" and keyword.line <= line <= keyword.end_line
        if inside and (best is None or keyword.line >= best.line):
            best = keyword
    return best
