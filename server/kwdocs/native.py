"""What the name under the cursor is in C, C++ and CUDA (and, by name, in YAML, CMake and shell):
the one resolution hover and definition both ask for those files, and the include facts pages
need.

C family. The buffer is parsed with its tree-sitter grammar (kept while the text is the same)
to read what the records do not hold: the qualification written before a name (``a::b::c``),
the receiver of a member (``this->x``, ``obj.x``) and the parameters and locals of the function
around the cursor. Then, as a compiler would but without a preprocessor or templates:

- ``#include`` → the workspace header the include path leads to (``extract/includes.py``'s
  candidates, the first the index holds); ``IncludeGraph`` also answers included-by;
- a parameter or local → its declaration (and, for a member of it, the class its declared type
  names, when it is a plain class name: no ``auto``, no template);
- a name → C++'s scope lookup over the records: the innermost namespace, class or function
  scope holding the cursor first, then each enclosing one out to the global namespace, classes
  through their bases; macros by name (they ignore scopes). Declarations and definitions of the
  entity found are all answers, definitions first; definition goes from a declaration in a
  header to its definition where both are in the workspace;
- ``this->x`` through the enclosing class; ``obj.x``/``p->x`` through the class ``obj``/``p``
  is declared with; anything else before ``.``/``->`` is said not evident, with the members of
  that name listed as matches by name only (``Role.BY_NAME``), never as the answer;
- a name no scope makes visible (a using-directive, argument-dependent lookup, a template
  parameter's member) is answered by name only, and said so.

Across the boundary: a stub (``.pyi``) with no Python source beside it declares a compiled
extension (``torch/_C/_distributed_c10d.pyi``); its classes, functions, methods and attributes
are matched with C++ definitions of the same name and owners (``ProcessGroup`` ↔
``c10d::ProcessGroup``, ``ProcessGroup.allreduce`` ↔ ``c10d::ProcessGroup::allreduce``) —
labelled a match by name (``Role.BY_NAME``), since nothing in the sources proves the binding.

YAML, CMake and shell have no scopes kwdocs reads: a name is the keyword of that name in files of
the same language (the file itself first)."""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import tree_sitter

from kwdocs.binding import Role, Target
from kwdocs.cursor import Word
from kwdocs.extract.includes import include_target, is_system_include, root_names
from kwdocs.extract.languages import C_FAMILY, GRAMMAR_MODULES, NativeLanguage, grammar_installed
from kwdocs.index import Definition, KeywordIndex
from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.textlines import content_lines

NATIVE_LANGUAGES = frozenset(language.value for language in NativeLanguage)
_NAME_KINDS = frozenset(
    {
        Kind.NAMESPACE,
        Kind.CLASS,
        Kind.STRUCT,
        Kind.UNION,
        Kind.ENUM,
        Kind.ENUMERATOR,
        Kind.TYPEDEF,
        Kind.MACRO,
        Kind.FUNCTION,
        Kind.METHOD,
        Kind.KERNEL,
        Kind.CONSTANT,
        Kind.VARIABLE,
    }
)
_CLASS_KINDS = frozenset({Kind.CLASS, Kind.STRUCT, Kind.UNION})
_TYPE_KINDS = _CLASS_KINDS | {Kind.ENUM, Kind.TYPEDEF}
_SCOPE_KINDS = frozenset(
    {Kind.NAMESPACE, Kind.CLASS, Kind.STRUCT, Kind.UNION, Kind.FUNCTION, Kind.METHOD, Kind.KERNEL}
)
_FUNCTION_KINDS = frozenset({Kind.FUNCTION, Kind.METHOD, Kind.KERNEL})
# Python stub kinds ↔ the C++ kinds a definition of the same name may have.
_ACROSS: dict[str, frozenset[str]] = {
    Kind.CLASS: frozenset({Kind.CLASS, Kind.STRUCT, Kind.UNION, Kind.ENUM}),
    Kind.FUNCTION: frozenset({Kind.FUNCTION, Kind.KERNEL}),
    Kind.METHOD: frozenset({Kind.METHOD}),
    Kind.PROPERTY: frozenset({Kind.METHOD}),
    Kind.ATTRIBUTE: frozenset({Kind.ENUMERATOR, Kind.CONSTANT}),
}
_STUB_KINDS: dict[str, frozenset[str]] = {}
for _py, _cpp in _ACROSS.items():
    for _kind in _cpp:
        _STUB_KINDS[_kind] = _STUB_KINDS.get(_kind, frozenset()) | {_py}
# Nodes whose text is data, not names: no answer inside them.
_INERT = frozenset(
    {
        "comment",
        "string_literal",
        "raw_string_literal",
        "char_literal",
        "concatenated_string",
        "number_literal",
    }
)
_QUALIFIED = frozenset({"qualified_identifier", "qualified_type_identifier"})
_NAME_NODES = frozenset(
    {
        "identifier",
        "type_identifier",
        "field_identifier",
        "namespace_identifier",
        "statement_identifier",
    }
)
# Statements whose direct children may declare a name visible further down in them.
_BLOCKS = frozenset(
    {
        "compound_statement",
        "for_statement",
        "for_range_loop",
        "if_statement",
        "while_statement",
        "switch_statement",
        "condition_clause",
        "catch_clause",
    }
)
_MAX_TARGETS = 60
_MAX_ACROSS = 12
_MAX_BASES_DEPTH = 8
_TREES_KEPT = 8


class Workspace(Protocol):
    """A workspace folder as native resolution reads it (the server's folders are ones)."""

    @property
    def records(self) -> Mapping[str, FileRecord]: ...

    @property
    def modules(self) -> object: ...

    @property
    def index(self) -> KeywordIndex: ...

    def full_path(self, path: str) -> str: ...


class NativeAnswer(NamedTuple):
    """What the name under the cursor is, for hover and definition alike.

    ``targets`` are proven answers first (definitions before declarations; an include's header;
    a parameter or local), then ``Role.BY_NAME`` ones: matches by name only."""

    word: Word
    targets: list[Target]
    here: bool = False
    """The cursor is on the name a declaration or definition declares (or on an include)."""
    note: str = ""
    """What kwdocs cannot tell, in a sentence (empty when the answer is precise)."""

    @property
    def proven(self) -> list[Target]:
        return [t for t in self.targets if t.role != Role.BY_NAME]

    @property
    def by_name(self) -> list[Target]:
        return [t for t in self.targets if t.role == Role.BY_NAME]


def definition_targets(answer: NativeAnswer) -> list[Target]:
    """Where go to definition leads: from a declaration to its definitions (the declarations
    when no definition is in the workspace); from a definition's own name across the boundary
    (its stub declarations), else to itself; from a name that is only matched by name, to those
    matches."""
    proven = answer.proven
    if answer.here and proven:
        own = proven[0]
        if own.role == Role.MODULE:
            return [own]
        definitions = [t for t in proven if not t.keyword.declaration]
        if own.keyword.declaration and definitions:
            return definitions
        return answer.by_name or [own]
    if proven:
        definitions = [t for t in proven if not t.keyword.declaration]
        return definitions or proven
    return answer.by_name


# ---- includes ---------------------------------------------------------------------------------


class Include(NamedTuple):
    """One ``#include`` of a file: its keyword, the workspace file it leads to (None: outside
    the workspace, a system header), and whether it is written ``<…>``."""

    keyword: Keyword
    path: str | None
    system: bool


class IncludeGraph:
    """Includes and included-by over a workspace's records (a KeywordIndex's, or an export's):
    built on first use, each file's includes resolved once."""

    def __init__(self, records: Mapping[str, FileRecord], above: Sequence[str] = ()) -> None:
        self._records = records
        self._above = above
        """The root's folder names (``root_names``): includes naming the root lead below it."""
        self._includes: dict[str, list[Include]] = {}
        self._by: dict[str, list[str]] | None = None

    def target(self, including: str, keyword: Keyword) -> str | None:
        """The workspace file an ``#include`` keyword of ``including`` leads to, or None."""
        return include_target(self._records, including, keyword, self._above)

    def includes(self, path: str) -> list[Include]:
        """The includes of a file in the order written."""
        found = self._includes.get(path)
        if found is None:
            record = self._records.get(path)
            found = []
            if record is not None and record.language in C_FAMILY:
                for keyword in record.keywords:
                    if keyword.kind == Kind.INCLUDE:
                        target = self.target(path, keyword)
                        found.append(Include(keyword, target, is_system_include(keyword)))
            self._includes[path] = found
        return found

    def included_by(self, path: str) -> list[str]:
        """The workspace files that include ``path``, sorted."""
        if self._by is None:
            by: dict[str, set[str]] = {}
            for other, record in self._records.items():
                if record.language not in C_FAMILY:
                    continue
                for include in self.includes(other):
                    if include.path is not None:
                        by.setdefault(include.path, set()).add(other)
            self._by = {p: sorted(files) for p, files in by.items()}
        return self._by.get(path, [])


# ---- the buffer's tree ------------------------------------------------------------------------


@dataclass
class _Tree:
    data: bytes
    lines: list[str]
    root: tree_sitter.Node

    def text(self, node: tree_sitter.Node) -> str:
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def point(self, line: int, col: int) -> tuple[int, int]:
        """The tree-sitter point (0-based row, byte column) of a 1-based line and code-point
        column."""
        row = line - 1
        text = self.lines[row] if 0 <= row < len(self.lines) else ""
        return row, len(text[:col].encode("utf-8", "replace"))

    def col(self, node: tree_sitter.Node) -> tuple[int, int, int]:
        """1-based line and code-point start and end columns of a name node."""
        row, start = node.start_point
        _, end = node.end_point
        line = self.lines[row] if row < len(self.lines) else ""
        encoded = line.encode("utf-8", "replace")
        first = len(encoded[:start].decode("utf-8", "ignore"))
        last = (
            len(encoded[:end].decode("utf-8", "ignore")) if node.end_point[0] == row else len(line)
        )
        return row + 1, first, last


class _Use(NamedTuple):
    """The name at the cursor as the code writes it."""

    segments: tuple[str, ...]
    """``a::b::c`` → a, b, c (up to the cursor's segment)."""
    start: int
    end: int
    rooted: bool = False
    """Written with a leading ``::``: the global namespace."""
    receiver: tree_sitter.Node | None = None
    """The expression before ``.``/``->`` of a member."""
    arrow: bool = False
    member: bool = False


# ---- the resolver ---------------------------------------------------------------------------


class NativeResolver:
    """Resolves the name under a cursor in the C family, YAML, CMake and shell; keeps the parse
    trees of the last few buffers and the include graph of each index generation."""

    def __init__(self) -> None:
        self._trees: OrderedDict[tuple[str, str], _Tree] = OrderedDict()
        self._graphs: dict[int, tuple[int, IncludeGraph]] = {}

    def include_graph(self, source: Workspace) -> IncludeGraph:
        """The include graph of a workspace's current records."""
        index = source.index
        cached = self._graphs.get(id(index))
        if cached is None or cached[0] != index.generation:
            if len(self._graphs) > 16:
                self._graphs.clear()
            graph = IncludeGraph(index.records, root_names(source.full_path("")))
            cached = (index.generation, graph)
            self._graphs[id(index)] = cached
        return cached[1]

    def resolve(
        self, source: Workspace, record: FileRecord, text: str, line: int, col: int
    ) -> NativeAnswer | None:
        """What is at 1-based ``line``, code-point ``col`` of ``text`` (the buffer of
        ``record``); None where there is no name (a comment, a string, blanks)."""
        if line < 1 or col < 0:
            return None
        if record.language in C_FAMILY:
            return _CFamily(self, source, record, text, line, col).resolve()
        if record.language in NATIVE_LANGUAGES:
            return self._by_language(source, record, text, line, col)
        return None

    def tree(self, path: str, language: str, text: str) -> _Tree | None:
        """The buffer's parse tree (the last few kept while their text is the same)."""
        key = (path, language)
        cached = self._trees.get(key)
        if cached is not None and cached.data == text.encode("utf-8", "replace"):
            self._trees.move_to_end(key)
            return cached
        native = NativeLanguage(language)
        if not grammar_installed(native):
            return None
        from kwdocs.extract.treesitter import Grammar, encode, parser

        data = encode(text)
        tree = parser(Grammar(GRAMMAR_MODULES[native])).parse(data)
        made = _Tree(data, content_lines(text), tree.root_node)
        self._trees[key] = made
        if len(self._trees) > _TREES_KEPT:
            self._trees.popitem(last=False)
        return made

    # ---- YAML, CMake, shell ------------------------------------------------------------------

    def _by_language(
        self, source: Workspace, record: FileRecord, text: str, line: int, col: int
    ) -> NativeAnswer | None:
        lines = content_lines(text)
        own = _keyword_at(record, line, col)
        if own is not None:
            word = Word((own.name,), own.col, own.end_col)
            return NativeAnswer(word, [Target(source, record.path, own)], here=True)
        span = _word_span(lines[line - 1] if 0 < line <= len(lines) else "", col)
        if span is None or record.language == NativeLanguage.YAML.value:
            return None
        start, end, name = span
        found = [
            d
            for d in source.index.lookup(name)
            if d.keyword.name == name
            and d.keyword.kind in (Kind.FUNCTION, Kind.MACRO, Kind.TARGET, Kind.VARIABLE)
            and _language(source, d.path) == record.language
        ]
        found.sort(key=lambda d: (d.path != record.path, d.path, d.keyword.line))
        targets = [Target(source, d.path, d.keyword) for d in found[:_MAX_TARGETS]]
        return NativeAnswer(Word((name,), start, end), targets)

    # ---- across the boundary -----------------------------------------------------------------

    def cpp_counterparts(self, source: Workspace, path: str, keyword: Keyword) -> list[Target]:
        """C++ definitions matching a declaration of an extension's stub by name and owners
        (``ProcessGroup.allreduce`` → ``c10d::ProcessGroup::allreduce``): matches by name,
        not proven bindings. Empty for any other Python file."""
        kinds = _ACROSS.get(keyword.kind)
        if kinds is None or not stub_only(source.records, path):
            return []
        owners = keyword.qualname.split(".")[:-1]
        found = [
            d
            for d in source.index.lookup(keyword.name)
            if d.keyword.kind in kinds
            and d.keyword.name == keyword.name
            and _language(source, d.path) in C_FAMILY
            and _owned_by(d.keyword.qualname.split("::")[:-1], owners)
        ]
        return _across_targets(source, found)

    def stub_counterparts(self, source: Workspace, keyword: Keyword) -> list[Target]:
        """Declarations of extensions' stubs matching a C++ definition by name and owners
        (``c10d::ProcessGroup`` → ``ProcessGroup`` of ``torch/_C/_distributed_c10d.pyi``)."""
        kinds = _STUB_KINDS.get(keyword.kind)
        if kinds is None:
            return []
        ancestors = keyword.qualname.split("::")[:-1]
        found = [
            d
            for d in source.index.lookup(keyword.name)
            if d.keyword.kind in kinds
            and d.keyword.name == keyword.name
            and d.path.endswith(".pyi")
            and stub_only(source.records, d.path)
            and _owned_by(ancestors, d.keyword.qualname.split(".")[:-1])
        ]
        return _across_targets(source, found)


def stub_only(records: Mapping[str, FileRecord], path: str) -> bool:
    """A ``.pyi`` stub with no Python source beside it: the declarations of a compiled
    extension module."""
    return path.endswith(".pyi") and path[:-1] not in records


def _owned_by(ancestors: list[str], owners: list[str]) -> bool:
    """Whether the Python owners (``Outer.Inner``) appear, in order and ending with the
    innermost, among the C++ ancestors (``c10d::Outer::Inner``): the namespaces C++ adds and
    Python leaves out are skipped."""
    if not owners:
        return True
    if not ancestors or ancestors[-1] != owners[-1]:
        return False
    position = 0
    for owner in owners:
        try:
            position = ancestors.index(owner, position) + 1
        except ValueError:
            return False
    return True


def _across_targets(source: Workspace, found: list[Definition]) -> list[Target]:
    defined = {d.keyword.qualname for d in found if not d.keyword.declaration}
    kept = [d for d in found if not d.keyword.declaration or d.keyword.qualname not in defined]
    kept.sort(key=lambda d: (d.keyword.declaration, d.path, d.keyword.line))
    return [Target(source, d.path, d.keyword, Role.BY_NAME) for d in kept[:_MAX_ACROSS]]


def _language(source: Workspace, path: str) -> str:
    record = source.records.get(path)
    return record.language if record is not None else ""


def _keyword_at(record: FileRecord, line: int, col: int) -> Keyword | None:
    """The keyword whose name spans the position (an include's path too)."""
    for keyword in record.keywords:
        if (
            keyword.line == line
            and keyword.col <= col <= keyword.end_col
            and (keyword.kind == Kind.INCLUDE or keyword.end_col > keyword.col)
        ):
            return keyword
    return None


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _word_span(text: str, col: int) -> tuple[int, int, str] | None:
    """(start, end, word) of the identifier at or just before ``col``."""
    size = len(text)
    if col < 0:
        return None
    if col < size and _is_word(text[col]):
        pos = col
    elif 0 < col <= size and _is_word(text[col - 1]):
        pos = col - 1
    else:
        return None
    start = pos
    while start > 0 and _is_word(text[start - 1]):
        start -= 1
    end = pos + 1
    while end < size and _is_word(text[end]):
        end += 1
    word = text[start:end]
    if word[0].isdigit():
        return None
    return start, end, word


def _text_use(text: str, col: int) -> _Use | None:
    """The qualified name at ``col`` read from the line's text (where the tree has no name
    node: a macro's body, a region the parser could not read)."""
    span = _word_span(text, col)
    if span is None:
        return None
    start, end, name = span
    segments = [name]
    i = start
    rooted = False
    while i >= 2 and text[i - 2 : i] == "::":
        k = i - 2
        while k > 0 and _is_word(text[k - 1]):
            k -= 1
        if k == i - 2:
            rooted = True
            break
        segments.insert(0, text[k : i - 2])
        i = k
    member = not rooted and (text[:i].endswith("->") or text[:i].rstrip().endswith("."))
    return _Use(tuple(segments), start, end, rooted, member=member)


class _CFamily:
    """One resolution in a C, C++ or CUDA buffer."""

    def __init__(
        self,
        resolver: NativeResolver,
        source: Workspace,
        record: FileRecord,
        text: str,
        line: int,
        col: int,
    ) -> None:
        self.resolver = resolver
        self.source = source
        self.record = record
        self.text = text
        self.line = line
        self.col = col
        self.index = source.index

    def resolve(self) -> NativeAnswer | None:
        record, line, col = self.record, self.line, self.col
        own = _keyword_at(record, line, col)
        if own is not None and own.kind == Kind.INCLUDE:
            return self._include(own)
        tree = self.resolver.tree(record.path, record.language, self.text)
        use: _Use | None = None
        node = None
        if tree is not None:
            node = _node_at(tree, line, col)
            if node is None or _inert(node):
                return None
            if node.type in _NAME_NODES:
                use = _tree_use(tree, node)
            elif not _unread(node):
                return None  # a keyword, a builtin type, punctuation: nothing to look up
        if use is None:
            lines = content_lines(self.text)
            use = _text_use(lines[line - 1] if 0 < line <= len(lines) else "", col)
            if use is None:
                return None
        word = Word(use.segments, use.start, use.end, attribute=use.member)
        if own is not None and own.name.lstrip("~").endswith(use.segments[-1]):
            targets = self._entity(own)
            return NativeAnswer(word, targets + self._across(targets), here=True)
        if use.member:
            return self._member(word, use, tree)
        if tree is not None and node is not None and len(use.segments) == 1 and not use.rooted:
            local = self._local(tree, node, use.segments[0])
            if local is not None:
                return NativeAnswer(word, [local])
        found = self._scoped(use.segments, self._scopes(), use.rooted)
        if not found and len(use.segments) == 1 and not use.rooted:
            found = self._defs(use.segments[0], {Kind.MACRO})
        if found:
            targets = self._targets(found)
            return NativeAnswer(word, targets + self._across(targets))
        by_name = self._by_name(use.segments)
        written = "::".join(use.segments)
        note = ""
        if by_name:
            note = (
                f"No declaration of `{written}` is visible from this scope as kwdocs reads it "
                "(without a preprocessor: a using-directive, argument-dependent lookup or a "
                "template may bring it in); the definitions below match by name only."
            )
        return NativeAnswer(word, by_name, note=note)

    # ---- includes --------------------------------------------------------------------------

    def _include(self, keyword: Keyword) -> NativeAnswer:
        word = Word((keyword.target,), keyword.col, keyword.end_col)
        path = self.resolver.include_graph(self.source).target(self.record.path, keyword)
        if path is None:
            where = "a system header" if is_system_include(keyword) else "a header"
            return NativeAnswer(
                word,
                [],
                here=True,
                note=f"`{keyword.target}` is {where} outside the workspace.",
            )
        return NativeAnswer(word, [header_target(self.source, path)], here=True)

    # ---- entities ----------------------------------------------------------------------------

    def _entity(self, keyword: Keyword) -> list[Target]:
        """Every declaration and definition of the entity a keyword of this file declares
        (the keyword first)."""
        own = Target(self.source, self.record.path, keyword)
        if keyword.kind == Kind.MACRO:
            return [own]
        same = [
            d
            for d in self._defs(keyword.qualname)
            if d.keyword.qualname == keyword.qualname
            and _compatible(d.keyword.kind, keyword.kind)
            and (d.path, d.keyword.line, d.keyword.col)
            != (self.record.path, keyword.line, keyword.col)
        ]
        return [own, *self._targets(same)]

    def _targets(self, found: Iterable[Definition]) -> list[Target]:
        """Targets of definitions, definitions before declarations, this file and the files it
        includes first."""
        included = {
            i.path for i in self.resolver.include_graph(self.source).includes(self.record.path)
        }
        here = self.record.path

        def order(d: Definition) -> tuple[bool, int, str, int]:
            nearness = 0 if d.path == here else 1 if d.path in included else 2
            return (d.keyword.declaration, nearness, d.path, d.keyword.line)

        ordered = sorted(found, key=order)
        return [Target(self.source, d.path, d.keyword) for d in ordered[:_MAX_TARGETS]]

    def _across(self, targets: list[Target]) -> list[Target]:
        """The extension stubs' declarations matching the entity found, by name."""
        for target in targets:
            if target.role == Role.DEFINITION and target.keyword.kind in _STUB_KINDS:
                return self.resolver.stub_counterparts(self.source, target.keyword)
        return []

    def _defs(self, qualname: str, kinds: Iterable[str] = _NAME_KINDS) -> list[Definition]:
        """C-family keywords whose qualified name is ``qualname``."""
        wanted = frozenset(kinds)
        records = self.source.records
        out = []
        for d in self.index.lookup(qualname):
            if d.keyword.qualname != qualname or d.keyword.kind not in wanted:
                continue
            record = records.get(d.path)
            if record is not None and record.language in C_FAMILY:
                out.append(d)
        return out

    # ---- scopes ------------------------------------------------------------------------------

    def _scopes(self) -> list[str]:
        """The scopes a name at the cursor is looked up in, innermost first: the namespace,
        class or function around it (a method's class), each enclosing one, the global one."""
        innermost: Keyword | None = None
        for keyword in self.record.keywords:
            if keyword.kind not in _SCOPE_KINDS or keyword.declaration:
                continue
            if keyword.line <= self.line <= keyword.end_line and (
                innermost is None or (keyword.line, keyword.col) >= (innermost.line, innermost.col)
            ):
                innermost = keyword
        if innermost is None:
            return [""]
        qualname = innermost.qualname
        if innermost.kind in _FUNCTION_KINDS:
            qualname = qualname.rpartition("::")[0]
        parts = qualname.split("::") if qualname else []
        return ["::".join(parts[:i]) for i in range(len(parts), -1, -1)]

    def _scoped(
        self,
        segments: tuple[str, ...],
        scopes: list[str],
        rooted: bool,
        kinds: Iterable[str] = _NAME_KINDS,
    ) -> list[Definition]:
        """C++ lookup of a written name from the scopes, innermost first: the first scope that
        declares it (a class scope through its bases) wins."""
        written = "::".join(segments)
        for scope in [""] if rooted else scopes:
            found = self._defs(f"{scope}::{written}" if scope else written, kinds)
            if found:
                return found
            if scope and self._is_class(scope):
                found = self._in_bases(scope, segments, kinds, 0, set())
                if found:
                    return found
        return []

    def _is_class(self, qualname: str) -> bool:
        return bool(self._defs(qualname, _CLASS_KINDS))

    def _in_bases(
        self,
        cls: str,
        segments: tuple[str, ...],
        kinds: Iterable[str],
        depth: int,
        seen: set[str],
    ) -> list[Definition]:
        """``segments`` declared in a base of class ``cls`` (depth first, in base order)."""
        if depth > _MAX_BASES_DEPTH or cls in seen:
            return []
        seen.add(cls)
        outer = cls.rpartition("::")[0]
        scopes = _chain(outer)
        for definition in self._defs(cls, _CLASS_KINDS):
            for base in definition.keyword.bases:
                base_name = _base_name(base)
                if base_name is None:
                    continue
                base_segments, rooted = base_name
                resolved = self._scoped(base_segments, scopes, rooted, _CLASS_KINDS)
                for base_class in {d.keyword.qualname for d in resolved}:
                    found = self._defs(f"{base_class}::{'::'.join(segments)}", kinds)
                    if found:
                        return found
                    found = self._in_bases(base_class, segments, kinds, depth + 1, seen)
                    if found:
                        return found
        return []

    def _members(self, cls: str, name: str) -> list[Definition]:
        """``name`` on class ``cls`` or along its bases."""
        found = self._defs(f"{cls}::{name}")
        return found or self._in_bases(cls, (name,), _NAME_KINDS, 0, set())

    def _by_name(self, segments: tuple[str, ...]) -> list[Target]:
        """C-family definitions whose qualified name ends with the written name: what a name
        no scope makes visible may be, by name only."""
        written = "::".join(segments)
        suffix = "::" + written
        records = self.source.records
        found = []
        for d in self.index.lookup(segments[-1]):
            keyword = d.keyword
            if keyword.kind not in _NAME_KINDS:
                continue
            if keyword.qualname != written and not keyword.qualname.endswith(suffix):
                continue
            record = records.get(d.path)
            if record is not None and record.language in C_FAMILY:
                found.append(d)
        return [Target(t.source, t.path, t.keyword, Role.BY_NAME) for t in self._targets(found)]

    # ---- members -----------------------------------------------------------------------------

    def _member(self, word: Word, use: _Use, tree: _Tree | None) -> NativeAnswer:
        name = use.segments[-1]
        receiver = use.receiver
        cls = None
        if receiver is not None and receiver.type == "this":
            cls = self._enclosing_class()
        elif receiver is not None and receiver.type == "identifier" and tree is not None:
            cls = self._class_of_local(tree, receiver, use.arrow)
        if cls is not None:
            found = self._members(cls, name)
            if found:
                targets = self._targets(found)
                return NativeAnswer(word, targets + self._across(targets))
        operator = "->" if use.arrow else "."
        by_name = [
            Target(t.source, t.path, t.keyword, Role.BY_NAME)
            for t in self._targets(d for d in self._member_named(name))
        ]
        if cls is not None:
            note = f"`{cls}` has no member `{name}` kwdocs can find (in its bases neither)."
        else:
            note = (
                f"The type of what comes before `{operator}` is not stated in the code as a "
                f"class name (auto, a template, an expression), so kwdocs cannot tell which "
                f"`{name}` this is."
            )
        return NativeAnswer(word, by_name, note=note)

    def _member_named(self, name: str) -> list[Definition]:
        records = self.source.records
        out = []
        for d in self.index.lookup(name):
            if d.keyword.name != name or d.keyword.kind not in (Kind.METHOD, Kind.ENUMERATOR):
                continue
            record = records.get(d.path)
            if record is not None and record.language in C_FAMILY:
                out.append(d)
        return out

    def _enclosing_class(self) -> str | None:
        """The class of the member function (or class body) around the cursor."""
        for scope in self._scopes():
            if scope and self._is_class(scope):
                return scope
        return None

    def _class_of_local(self, tree: _Tree, receiver: tree_sitter.Node, arrow: bool) -> str | None:
        """The class a parameter or local is declared with, when its type is a plain class
        name (``Foo x``, ``const ns::Foo& x``, ``Foo* p`` with ``->``)."""
        declared = _declaration_of(tree, receiver, tree.text(receiver))
        if declared is None:
            return None
        _, type_node, pointer = declared
        if type_node is None or pointer != arrow:
            return None
        written = _type_segments(tree, type_node)
        if written is None:
            return None
        segments, rooted = written
        found = self._scoped(segments, self._scopes(), rooted, _CLASS_KINDS)
        return found[0].keyword.qualname if found else None

    # ---- locals ----------------------------------------------------------------------------

    def _local(self, tree: _Tree, node: tree_sitter.Node, name: str) -> Target | None:
        """A parameter or local of the function around the cursor, as a target."""
        declared = _declaration_of(tree, node, name)
        if declared is None:
            return None
        (name_node, role, declaration), _, _ = declared
        line, col, end_col = tree.col(name_node)
        owner = ""
        for keyword in self.record.keywords:
            if (
                keyword.kind in _FUNCTION_KINDS
                and not keyword.declaration
                and keyword.line <= line <= keyword.end_line
            ):
                owner = keyword.qualname
        from kwdocs.extract.treesitter import one_line

        keyword = Keyword(
            name=name,
            qualname=name,
            kind=Kind.VARIABLE,
            line=line,
            col=col,
            end_col=end_col,
            end_line=line,
            signature=one_line(tree.text(declaration)).removesuffix(";").rstrip(),
        )
        return Target(self.source, self.record.path, keyword, role, owner)


def header_target(source: Workspace, path: str) -> Target:
    """A whole header as a target: its first line, its leading comment as the summary."""
    record = source.records[path]
    summary = " ".join(record.docstring.split("\n\n", 1)[0].split())[:300]
    keyword = Keyword(
        name=posixpath.basename(path),
        qualname=path,
        kind=Kind.MODULE,
        line=1,
        col=0,
        end_col=0,
        end_line=max(1, record.lines),
        summary=summary,
    )
    return Target(source, path, keyword, Role.MODULE)


def _compatible(kind: str, other: str) -> bool:
    """Two keywords of one qualname are one entity: the same kind, or a class declared as
    struct and defined as class."""
    if kind == other:
        return True
    return (kind in _FUNCTION_KINDS and other in _FUNCTION_KINDS) or (
        kind in _CLASS_KINDS and other in _CLASS_KINDS
    )


def _chain(qualname: str) -> list[str]:
    parts = qualname.split("::") if qualname else []
    return ["::".join(parts[:i]) for i in range(len(parts), -1, -1)]


def _base_name(base: str) -> tuple[tuple[str, ...], bool] | None:
    """The class a base specifier names (``public torch::CustomClassHolder`` → torch,
    CustomClassHolder); None for a template's or a dependent base."""
    words = base.split()
    while words and words[0] in ("public", "protected", "private", "virtual"):
        words = words[1:]
    text = " ".join(words).split("<", 1)[0].strip()
    rooted = text.startswith("::")
    text = text.removeprefix("::")
    segments = tuple(part.strip() for part in text.split("::"))
    if not segments or not all(part.replace("_", "a").isalnum() for part in segments):
        return None
    return segments, rooted


def _node_at(tree: _Tree, line: int, col: int) -> tree_sitter.Node | None:
    """The leaf at the cursor (a name just before the cursor when it stands right after one)."""
    row, byte = tree.point(line, col)
    node = tree.root.descendant_for_point_range((row, byte), (row, byte))
    if (node is None or node.type not in _NAME_NODES) and byte > 0:
        before = tree.root.descendant_for_point_range((row, byte - 1), (row, byte - 1))
        if before is not None and before.type in _NAME_NODES:
            return before
    return node


def _unread(node: tree_sitter.Node) -> bool:
    """Text the grammar did not read as code: a macro's body, a region it could not parse."""
    current: tree_sitter.Node | None = node
    for _ in range(3):
        if current is None:
            return False
        if current.type in ("preproc_arg", "ERROR") or current.is_missing:
            return True
        current = current.parent
    return False


def _inert(node: tree_sitter.Node) -> bool:
    """Inside a comment or a literal (an include's path is not asked here)."""
    current: tree_sitter.Node | None = node
    for _ in range(6):
        if current is None:
            return False
        if current.type in _INERT:
            return True
        current = current.parent
    return False


def _scope_name(tree: _Tree, scope: tree_sitter.Node) -> str:
    if scope.type == "template_type":
        name = scope.child_by_field_name("name")
        if name is not None:
            return tree.text(name)
    return "".join(tree.text(scope).split())


def _tree_use(tree: _Tree, node: tree_sitter.Node) -> _Use:
    """The name node at the cursor with the qualification written before it, or the receiver
    of the member it names."""
    _, start, end = tree.col(node)
    name = tree.text(node)
    parent = node.parent
    if (
        node.type == "field_identifier"
        and parent is not None
        and parent.type == "field_expression"
        and parent.child_by_field_name("field") == node
    ):
        receiver = parent.child_by_field_name("argument")
        operator = parent.child_by_field_name("operator")
        arrow = operator is not None and tree.text(operator) == "->"
        return _Use((name,), start, end, receiver=receiver, arrow=arrow, member=True)
    segments = [name]
    rooted = False
    current = node
    for _ in range(64):
        parent = current.parent
        if parent is None or parent.type not in _QUALIFIED:
            break
        scope = parent.child_by_field_name("scope")
        if scope is not None and scope == current:
            current = parent  # the left part: what qualifies it lies further up
            continue
        if scope is None:
            rooted = True
        else:
            segments.insert(0, _scope_name(tree, scope))
        current = parent
    return _Use(tuple(segments), start, end, rooted)


def _declarator_name(
    declarator: tree_sitter.Node, tree: _Tree
) -> tuple[tree_sitter.Node, bool] | None:
    """The name node a declarator declares and whether it is declared a pointer."""
    node: tree_sitter.Node | None = declarator
    pointer = False
    for _ in range(32):
        if node is None:
            return None
        kind = node.type
        if kind in ("identifier", "field_identifier"):
            return node, pointer
        if kind == "pointer_declarator":
            pointer = True
        elif kind not in (
            "reference_declarator",
            "init_declarator",
            "array_declarator",
            "parenthesized_declarator",
            "attributed_declarator",
        ):
            return None
        inner = node.child_by_field_name("declarator")
        if inner is None:
            named = [
                c for c in node.named_children if c.type in _NAME_NODES or "declarator" in c.type
            ]
            inner = named[0] if named else None
        node = inner
    return None


_Declared = tuple[tuple[tree_sitter.Node, Role, tree_sitter.Node], tree_sitter.Node | None, bool]


def _declares(node: tree_sitter.Node, name: str, tree: _Tree, role: Role) -> _Declared | None:
    """The declaration of ``name`` that ``node`` (a declaration, a parameter, a range loop,
    a condition) makes: (name node, role, declaration), its type node, whether a pointer."""
    if node.type in ("declaration", "parameter_declaration", "optional_parameter_declaration"):
        declarators = node.children_by_field_name("declarator")
    elif node.type == "for_range_loop":
        declarators = [d for d in [node.child_by_field_name("declarator")] if d is not None]
    else:
        return None
    for declarator in declarators:
        found = _declarator_name(declarator, tree)
        if found is not None and tree.text(found[0]) == name:
            return (found[0], role, node), node.child_by_field_name("type"), found[1]
    return None


def _declaration_of(tree: _Tree, node: tree_sitter.Node, name: str) -> _Declared | None:
    """The innermost parameter or local named ``name`` visible at ``node``: declared before it
    (or by it) in a block around it, or a parameter of the function (or lambda) around it."""
    at = node.start_byte
    scope: tree_sitter.Node | None = node.parent
    for _ in range(400):
        if scope is None:
            return None
        kind = scope.type
        if kind == "for_range_loop":
            found = _declares(scope, name, tree, Role.LOCAL)
            if found is not None and found[0][0].start_byte <= at:
                return found
        if kind in _BLOCKS:
            for child in scope.named_children:
                if child.start_byte > at:
                    break
                for candidate in _declaring(child):
                    found = _declares(candidate, name, tree, Role.LOCAL)
                    if found is not None:
                        return found
        if kind in ("function_definition", "lambda_expression"):
            parameters = _parameters(scope.child_by_field_name("declarator"))
            if parameters is not None:
                for parameter in parameters.named_children:
                    found = _declares(parameter, name, tree, Role.PARAMETER)
                    if found is not None:
                        return found
            if kind == "function_definition":
                return None
        if kind in ("translation_unit", "declaration_list", "field_declaration_list"):
            return None
        scope = scope.parent
    return None


def _declaring(child: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The nodes of a block's statement that may declare a name for the rest of the block: a
    declaration, the declaration of an ``if``/``while`` condition, a ``catch`` parameter."""
    if child.type == "declaration":
        return [child]
    if child.type in ("condition_clause", "parameter_list"):
        return list(child.named_children)
    return []


def _parameters(declarator: tree_sitter.Node | None) -> tree_sitter.Node | None:
    """The parameter list of a function's declarator (under pointer or reference wrappers)."""
    node = declarator
    for _ in range(16):
        if node is None:
            return None
        if node.type in ("function_declarator", "abstract_function_declarator"):
            return node.child_by_field_name("parameters")
        node = node.child_by_field_name("declarator")
    return None


def _type_segments(tree: _Tree, node: tree_sitter.Node) -> tuple[tuple[str, ...], bool] | None:
    """The class name a declared type writes (``Foo``, ``ns::Foo``, ``struct foo``), or None
    (``auto``, a template, a builtin type)."""
    if node.type in ("struct_specifier", "class_specifier", "union_specifier"):
        name = node.child_by_field_name("name")
        if name is None or node.child_by_field_name("body") is not None:
            return None
        node = name
    if node.type == "type_identifier":
        return (tree.text(node),), False
    if node.type not in _QUALIFIED:
        return None
    segments: list[str] = []
    rooted = False
    current: tree_sitter.Node | None = node
    for _ in range(32):
        if current is None:
            return None
        if current.type in _QUALIFIED:
            scope = current.child_by_field_name("scope")
            if scope is None:
                rooted = not segments
            elif scope.type in ("namespace_identifier", "type_identifier"):
                segments.append(tree.text(scope))
            else:
                return None  # a template's member: dependent
            current = current.child_by_field_name("name")
            continue
        if current.type != "type_identifier":
            return None
        segments.append(tree.text(current))
        return tuple(segments), rooted
    return None
