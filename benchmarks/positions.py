"""Where to hover: real identifiers picked from the index (keyword names at their definitions
and uses of indexed names), and workspace/symbol queries drawn from real definition names."""

from __future__ import annotations

import ast
import builtins
import enum
import io
import keyword as pykeyword
import random
import re
import symtable
import sys
import time
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kwdocs.config import load_settings
from kwdocs.index import KeywordIndex
from kwdocs.pipeline import index_root

from benchmarks.stats import distribution


@dataclass(frozen=True)
class Position:
    """An LSP position (0-based line, UTF-16 character) on an identifier of a file."""

    path: str
    line: int
    character: int
    name: str
    is_definition: bool
    category: str = ""
    """A ``Category`` value for positions from ``pick_categorised``."""


def load_index(root: Path, cache_dir: Path) -> KeywordIndex:
    """The index of ``root``, built the way the server builds it (cached in ``cache_dir``)."""
    index, _ = index_root(load_settings(root, {"cacheDir": str(cache_dir)}))
    return index


def _utf16(text: str, col: int) -> int:
    return len(text[:col].encode("utf-16-le")) // 2


def identifiers(
    index: KeywordIndex, root: Path, path: str, known: dict[str, bool] | None = None
) -> list[Position]:
    """Every NAME token of a Python file that the index knows (definitions and uses)."""
    known = {} if known is None else known
    record = index.get(path)
    if record is None:
        return []
    text = (root / path).read_text(encoding=record.encoding, errors="replace")
    lines = text.splitlines()
    definitions = {(k.line, k.col) for k in record.keywords}
    found: list[Position] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.NAME or pykeyword.iskeyword(token.string):
                continue
            (line, col) = token.start
            indexed = known.get(token.string)
            if indexed is None:  # lookups sort their answers: ask once per name
                indexed = known[token.string] = bool(index.lookup(token.string))
            if not indexed:
                continue
            middle = col + len(token.string) // 2  # inside the name, not on its edge
            source = lines[line - 1] if line <= len(lines) else ""
            found.append(
                Position(
                    path,
                    line - 1,
                    _utf16(source, middle),
                    token.string,
                    (line, col) in definitions,
                )
            )
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return found


def pick_positions(
    index: KeywordIndex, root: Path, count: int, files: int, seed: int = 5
) -> list[Position]:
    """``count`` identifier positions over ``files`` Python files: half definitions, half
    uses where a file has both, in a shuffled order."""
    rng = random.Random(seed)
    candidates = sorted(
        p for p, r in index.records.items() if r.language == "python" and r.lines >= 80
    )
    chosen_files = rng.sample(candidates, min(files, len(candidates)))
    per_file = max(1, -(-count // max(1, len(chosen_files))))
    picked: list[Position] = []
    known: dict[str, bool] = {}
    for path in chosen_files:
        found = identifiers(index, root, path, known)
        defs = [p for p in found if p.is_definition]
        uses = [p for p in found if not p.is_definition]
        half = per_file // 2
        take_defs = rng.sample(defs, min(len(defs), half))
        take_uses = rng.sample(uses, min(len(uses), per_file - len(take_defs)))
        picked.extend(take_defs + take_uses)
    rng.shuffle(picked)
    return picked


def symbol_queries(index: KeywordIndex, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """(kind of query, query): exact names, short prefixes, lower-case, and one-typo fuzzy."""
    return symbol_queries_from((d.keyword.name for d in index.definitions()), count, seed)


def symbol_queries_from(names: Iterable[str], count: int, seed: int = 7) -> list[tuple[str, str]]:
    """``symbol_queries`` drawn from the definition names given."""
    rng = random.Random(seed)
    pool = sorted({name for name in names if len(name) >= 4})
    if not pool:
        return []
    queries: list[tuple[str, str]] = []
    for name in rng.sample(pool, min(len(pool), max(1, count // 4))):
        queries.append(("exact", name))
        queries.append(("prefix", name[: rng.randint(1, 3)]))
        queries.append(("lower", name.lower()[: max(4, len(name) - 2)]))
        cut = rng.randrange(len(name))
        queries.append(("fuzzy", name[:cut] + name[cut + 1 :]))
    return queries[:count]


def edit_target(index: KeywordIndex, lines: int = 2800) -> str | None:
    """The Python file whose length is closest to ``lines`` (the largest among equals)."""
    python = [r for r in index.records.values() if r.language == "python"]
    if not python:
        return None
    return min(python, key=lambda r: (abs(r.lines - lines), -r.lines, r.path)).path


def engine_latencies(
    index: KeywordIndex, positions: list[Position], queries: list[tuple[str, str]]
) -> dict[str, dict[str, float | int | None]]:
    """The engine's share of hover and symbol search, without the server: index.lookup of
    every hovered name, index.search of every query (in this process)."""
    index.search("warm up")
    lookups = []
    for p in positions:
        started = time.perf_counter()
        index.lookup(p.name)
        lookups.append(time.perf_counter() - started)
    searches = []
    for _, query in queries:
        started = time.perf_counter()
        index.search(query)
        searches.append(time.perf_counter() - started)
    return {"index.lookup": distribution(lookups), "index.search": distribution(searches)}


# ---- positions by kind of binding (the peers benchmark) ------------------------------------------


class Category(str, enum.Enum):
    """What the identifier at a position is, by Python's scoping rules."""

    DEFINITION = "definition name"  # def/class name, module- or class-level assignment target
    PARAMETER = "parameter"  # a use of a parameter of the enclosing function
    LOCAL = "local"  # a use of a name bound in the enclosing function, class body or closure
    BUILTIN = "builtin"  # a use of a builtin no scope rebinds
    STDLIB = "standard-library import"  # a use of a name imported from the standard library
    GLOBAL = "module name"  # a use of a module-level name: its own definitions, other imports
    ATTRIBUTE = "attribute"  # the attribute of ``x.attr``
    FSTRING = "name in an f-string"  # any name inside an f-string's replacement field


_SCOPE_NAMES = {
    ast.ListComp: "listcomp",
    ast.SetComp: "setcomp",
    ast.DictComp: "dictcomp",
    ast.GeneratorExp: "genexpr",
    ast.Lambda: "lambda",
}
_DEF_NAME = re.compile(r"(?:async\s+)?(?:def|class)\s+(\w+)")
_BUILTINS = frozenset(dir(builtins))


class _Classifier(ast.NodeVisitor):
    """Walks one module with its symbol table: every identifier with its Category."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.found: list[Position] = []
        self.imports: dict[str, str] = {}  # bound name -> module it comes from
        top = symtable.symtable(text, path, "exec")
        self.module_table = top
        self.tables: list[symtable.SymbolTable] = [top]
        self.in_fstring = 0

    # -- positions

    def _column(self, line: int, byte_col: int) -> int:
        """ast's UTF-8 byte column as a UTF-16 column of the line."""
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        chars = text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace")
        return len(chars.encode("utf-16-le")) // 2

    def _add(self, line: int, byte_col: int, name: str, category: Category) -> None:
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        start = len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="replace"))
        if text[start : start + len(name)] != name:  # ast positions inside some f-strings
            return
        middle = self._column(line, byte_col) + len(name) // 2
        self.found.append(
            Position(
                self.path,
                line - 1,
                middle,
                name,
                category is Category.DEFINITION,
                (Category.FSTRING if self.in_fstring else category).value,
            )
        )

    # -- scopes

    def _child_table(self, name: str, line: int) -> symtable.SymbolTable | None:
        for child in self.tables[-1].get_children():
            if child.get_name() == name and child.get_lineno() == line:
                return child
        return None

    def _scoped(self, node: ast.AST, name: str) -> None:
        table = self._child_table(name, node.lineno)  # type: ignore[attr-defined]
        if table is None:  # not matched (two lambdas on a line): its names stay unclassified
            return
        self.tables.append(table)
        try:
            self.generic_visit(node)
        finally:
            self.tables.pop()

    def _definition(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        line = self.lines[node.lineno - 1] if node.lineno <= len(self.lines) else ""
        prefix = line.encode("utf-8")[: node.col_offset].decode("utf-8", errors="replace")
        match = _DEF_NAME.match(line, len(prefix))
        if match is not None:
            byte_col = len(line[: match.start(1)].encode("utf-8"))
            self._add(node.lineno, byte_col, node.name, Category.DEFINITION)
        if isinstance(node, ast.ClassDef):
            for base in [*node.bases, *node.keywords]:
                self.visit(base)
        else:
            self.visit(node.args)
            if node.returns is not None:
                self.visit(node.returns)
        table = self._child_table(node.name, node.lineno)
        if table is None:
            return
        self.tables.append(table)
        try:
            for statement in node.body:
                self.visit(statement)
        finally:
            self.tables.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._definition(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._definition(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._definition(node)

    def visit_arguments(self, node: ast.arguments) -> None:
        # Defaults and annotations belong to the enclosing scope; parameter names are not uses.
        for default in [*node.defaults, *node.kw_defaults]:
            if default is not None:
                self.visit(default)
        for arg in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]:
            if arg is not None and arg.annotation is not None:
                self.visit(arg.annotation)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, "lambda")

    def _comprehension(
        self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
    ) -> None:
        first, *others = node.generators
        self.visit(first.iter)  # the outermost iterable is evaluated in the enclosing scope
        table = self._child_table(_SCOPE_NAMES[type(node)], node.lineno)
        if table is None:
            return
        self.tables.append(table)
        try:
            self.visit(first.target)
            for condition in first.ifs:
                self.visit(condition)
            for generator in others:
                self.visit(generator)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self.visit(part)
        finally:
            self.tables.pop()

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.in_fstring += 1
        try:
            self.generic_visit(node)
        finally:
            self.in_fstring -= 1

    # -- imports and names

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            self.imports[bound] = alias.name if alias.asname else bound

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            self.imports[alias.asname or alias.name] = module

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)
        if isinstance(node.ctx, ast.Load) and node.end_lineno == node.lineno:
            assert node.end_col_offset is not None
            byte_col = node.end_col_offset - len(node.attr.encode("utf-8"))
            self._add(node.lineno, byte_col, node.attr, Category.ATTRIBUTE)

    def visit_Name(self, node: ast.Name) -> None:
        table = self.tables[-1]
        if isinstance(node.ctx, ast.Store):
            if table.get_type() in ("module", "class"):
                self._add(node.lineno, node.col_offset, node.id, Category.DEFINITION)
            return
        if not isinstance(node.ctx, ast.Load) or pykeyword.iskeyword(node.id):
            return
        category = self._category(node.id)
        if category is not None:
            self._add(node.lineno, node.col_offset, node.id, category)

    def _category(self, name: str) -> Category | None:
        table = self.tables[-1]
        try:
            symbol = table.lookup(name)
        except KeyError:
            return None
        if table.get_type() != "module":
            if symbol.is_parameter():
                return Category.PARAMETER
            if symbol.is_imported():
                return self._imported(name)
            if symbol.is_local() or symbol.is_free():
                return Category.LOCAL
        try:
            at_module = self.module_table.lookup(name)
        except KeyError:
            at_module = None
        if at_module is not None and at_module.is_imported():
            return self._imported(name)
        if at_module is not None and at_module.is_assigned():
            return Category.GLOBAL
        if name in _BUILTINS:
            return Category.BUILTIN
        return None  # undefined, or from a star import

    def _imported(self, name: str) -> Category:
        module = self.imports.get(name, "")
        top = module.split(".")[0]
        return Category.STDLIB if top in sys.stdlib_module_names else Category.GLOBAL


def categorised_identifiers(root: Path, path: str) -> list[Position]:
    """Every identifier of a Python file with its Category (empty when it does not parse)."""
    text = (root / path).read_text(encoding="utf-8", errors="replace")
    try:
        tree = ast.parse(text, path)
        classifier = _Classifier(path, text)
    except (SyntaxError, ValueError, RecursionError):
        return []
    classifier.visit(tree)
    unique = {(p.line, p.character): p for p in classifier.found}
    return [unique[key] for key in sorted(unique)]


def pick_categorised(
    root: Path, count: int, files: int, seed: int = 13, min_lines: int = 80
) -> list[Position]:
    """``count`` positions over ``files`` Python files of ``root`` (sorted paths, sampled with
    ``seed``): half definition names, half uses drawn as they occur, with at least 1/20 of the
    uses from each other Category when the files have that many; shuffled."""
    rng = random.Random(seed)
    candidates = []
    for file in sorted(root.rglob("*.py")):
        if file.is_file() and file.read_bytes().count(b"\n") >= min_lines:
            candidates.append(file.relative_to(root).as_posix())
    chosen = rng.sample(candidates, min(files, len(candidates)))
    found = [p for path in sorted(chosen) for p in categorised_identifiers(root, path)]
    definitions = [p for p in found if p.category == Category.DEFINITION.value]
    uses = [p for p in found if p.category != Category.DEFINITION.value]
    picked = rng.sample(definitions, min(len(definitions), count // 2))
    wanted = count - len(picked)
    floor = wanted // 20
    taken: set[Position] = set()
    for category in Category:
        if category is Category.DEFINITION:
            continue
        pool = [p for p in uses if p.category == category.value]
        taken.update(rng.sample(pool, min(floor, len(pool))))
    rest = [p for p in uses if p not in taken]
    taken.update(rng.sample(rest, min(len(rest), max(0, wanted - len(taken)))))
    picked.extend(sorted(taken, key=lambda p: (p.path, p.line, p.character)))
    rng.shuffle(picked)
    return picked
