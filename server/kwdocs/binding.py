"""What the name under the cursor is: the one resolution hover and definition both ask.

The binding Python's scoping rules give at that exact position (``scopes.reaching``: every
assignment that can reach the use, parameters, nested functions and classes, comprehension
variables, ``global``/``nonlocal``, class-body rules), then imports followed to the definition
(the workspace first, then the standard library and the interpreter's packages:
``external.py``), builtins to their typeshed stubs, and attributes through the class a receiver
evidently has — an annotation, ``self``, ``x = Cls()``, a function's return annotation, a
literal — along the class's bases. What only type inference could tell is said so, never
guessed. Reads the workspace's files that are not open through ``textlines.FileLines``."""

from __future__ import annotations

import ast
import builtins
import enum
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from kwdocs import scopes
from kwdocs.cursor import Word, chain_start, in_string, word_at
from kwdocs.external import ExternalModules
from kwdocs.model import DEFINITION_KINDS, IMPORT_KINDS, FileRecord, Keyword, Kind
from kwdocs.resolve import (
    base_class,
    bindings,
    keywords_named,
    name_in_module,
    resolve_dotted,
)
from kwdocs.textlines import FileLines

_BUILTIN_NAMES = frozenset(dir(builtins))
_ANSWER_KINDS = DEFINITION_KINDS | {Kind.HEADING}
_BLOCK_KINDS = frozenset({Kind.FUNCTION, Kind.METHOD, Kind.PROPERTY, Kind.CLASS})
_CALLABLE_KINDS = frozenset({Kind.CLASS, Kind.FUNCTION, Kind.METHOD, Kind.PROPERTY})
_VALUE_KINDS = frozenset({Kind.VARIABLE, Kind.CONSTANT, Kind.ATTRIBUTE, Kind.PROPERTY})
# Bases that define nothing an attribute could be, and that stubs do not make classes of.
_PLAIN_BASES = frozenset({"object", "Generic", "Protocol", "ABC", "NamedTuple", "TypedDict"})
_MAX_BASES = 24
_MAX_DEPTH = 6
_MAX_SKELETON = 256 * 1024
# The builtin class a literal's value has.
_LITERAL_CLASSES: dict[type, str] = {
    ast.List: "list",
    ast.ListComp: "list",
    ast.Dict: "dict",
    ast.DictComp: "dict",
    ast.Set: "set",
    ast.SetComp: "set",
    ast.Tuple: "tuple",
    ast.JoinedStr: "str",
    ast.GeneratorExp: "generator",
}
_CONSTANT_CLASSES: dict[type, str] = {
    str: "str",
    bytes: "bytes",
    int: "int",
    float: "float",
    complex: "complex",
    bool: "bool",
}


class Role(str, enum.Enum):
    """What the symbol at the cursor is."""

    DEFINITION = "definition"
    """A class, function, method, module-level name or class attribute the records hold."""
    PARAMETER = "parameter"
    LOCAL = "local"
    """A name bound inside a function (or a class body, a comprehension)."""
    ATTRIBUTE = "attribute"
    """An instance attribute given a value in a method (``self.x = ...``)."""
    MODULE = "module"
    IMPORT = "import"
    """Only the import statement is known: the module lies outside what kwdocs can read."""
    BY_NAME = "by name"
    """A definition matched by its name only, not a proven binding: across the Python / C++
    boundary (a stub's class and the C++ class of that name), or a C++ name no scope kwdocs
    reads makes visible (``kwdocs.native``)."""

    __str__ = str.__str__


class Source(Protocol):
    """Records kwdocs can resolve in: a workspace folder, or the modules outside it."""

    @property
    def records(self) -> Mapping[str, FileRecord]: ...

    @property
    def modules(self) -> object: ...

    def full_path(self, path: str) -> str: ...


class Target(NamedTuple):
    """One answer: a keyword of a file of a source (stand-ins for parameters, locals and
    instance attributes), what it is, and the function or class a parameter or local belongs
    to."""

    source: Source
    path: str
    keyword: Keyword
    role: Role = Role.DEFINITION
    context: str = ""
    """Qualified name of the function (or class) owning a parameter or local."""

    @property
    def external(self) -> bool:
        return isinstance(self.source, ExternalModules)


class Answer(NamedTuple):
    """The targets of the name under the cursor (several when several assignments can reach
    it, or for overloads); ``infer`` when only type inference could place it."""

    word: Word
    targets: list[Target]
    infer: bool = False


@dataclass
class _Value:
    """A target with what is known of the value it holds (for attributes of it)."""

    target: Target
    binding: scopes.Binding | None = None
    parsed: scopes.Parsed | None = None


@dataclass
class _Context:
    source: Source
    record: FileRecord
    lines: list[str]
    line: int
    external: ExternalModules
    parsed: scopes.Parsed | None = None
    depth: int = 0


class CursorResolver:
    """Resolves the name under a cursor; keeps small caches of per-file facts."""

    def __init__(self, external: ExternalModules | None = None) -> None:
        from kwdocs.external import external_modules

        self.external = external if external is not None else external_modules()
        self._blocks: dict[str, tuple[FileRecord, list[Keyword]]] = {}
        self._skeletons: dict[str, tuple[FileRecord, scopes.Parsed | None]] = {}
        self._files = FileLines(keep=16)

    # ---- the entry point -------------------------------------------------------------------------

    def word_at(self, lines: list[str], line: int, col: int) -> Word | None:
        """The word at a 1-based line and code point column of a Python buffer, or None in a
        string literal, a comment or between words."""
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        word = word_at(text, col)
        if word is None or in_string(text, word.start):
            return None
        return word

    def resolve(
        self, source: Source, record: FileRecord, lines: list[str], line: int, word: Word
    ) -> Answer:
        """What ``word`` at 1-based ``line`` of ``lines`` (the text of ``record``) is."""
        context = _Context(source, record, lines, line, self.external)
        try:
            targets, infer = self._resolve(context, word)
        except RecursionError:  # pathological chains of re-exports or assignments
            return Answer(word, [], False)
        unique: list[Target] = []
        seen: set[tuple[int, str, int, int, str]] = set()
        for target in targets:
            key = (
                id(target.source),
                target.path,
                target.keyword.line,
                target.keyword.col,
                target.keyword.qualname,
            )
            if key not in seen:
                seen.add(key)
                unique.append(target)
        return Answer(word, unique, infer and not unique)

    # ---- the name --------------------------------------------------------------------------------

    def _resolve(self, ctx: _Context, word: Word) -> tuple[list[Target], bool]:
        record, lines, line = ctx.record, ctx.lines, ctx.line
        head = word.segments[0]
        start = chain_start(word)
        on_module = self._import_module_at(ctx, word)
        if on_module is not None:
            return on_module, False
        if word.attribute:
            return self._attribute_of_expression(ctx, word)
        if len(word.segments) == 1:
            if _keyword_argument(lines, line, start, word.end):
                found = self._keyword_argument(ctx, word, start)
                if found is not None:
                    return found
            imported = [
                k
                for k in record.keywords
                if k.kind == Kind.IMPORT and (k.line, k.col, k.name) == (line, start, head)
            ]
            if imported:
                return self._follow_import(ctx, imported[0]), False
            own = [
                k
                for k in record.keywords
                if (k.line, k.col, k.name) == (line, start, head) and k.kind in _ANSWER_KINDS
            ]
            if own:
                return [Target(ctx.source, record.path, own[0])], False
        values = self._name(ctx, head, line, start)
        if len(word.segments) == 1:
            return [value.target for value in values], False
        return self._members_of_values(ctx, values, list(word.segments[1:]))

    def _name(self, ctx: _Context, name: str, line: int, col: int) -> list[_Value]:
        """The bindings a plain name at a position refers to."""
        parsed = self._parse_block(ctx, line, name)
        if parsed is not None:
            found = scopes.reaching(parsed, name, line, col)
            local = [b for b in found if b.scope != "module"]
            if local:
                values: list[_Value] = []
                for binding in local:
                    values += self._binding_values(ctx, parsed, binding)
                return values
        at_module_level = block_source(self._blocks_of(ctx.record), ctx.lines, line) is None
        # At module level the flow of the module's statements says which assignments reach
        # the use; from inside a function any of them may (it can run at any time), and the
        # record's keywords say what the module defines without parsing it.
        skeleton = self._skeleton(ctx.record, ctx.lines, name) if at_module_level else None
        if skeleton is not None:
            values = []
            for binding in scopes.reaching(skeleton, name, line, col):
                values += self._module_binding_values(ctx, skeleton, binding)
            if values:
                return values
        return self._module_name(ctx, ctx.source, ctx.record, name)

    def _skeleton(self, record: FileRecord, lines: list[str], name: str) -> scopes.Parsed | None:
        """The scopes of the module's own statements, the bodies of its functions and classes
        left out (their names stay): module-level bindings in order, cheaply; None when
        ``name`` is surely not bound there."""
        cached = self._skeletons.get(record.path)
        if cached is not None and cached[0] is record:
            return cached[1]
        text = module_skeleton(self._blocks_of(record), lines)
        if text is not None and not may_bind(text, name):
            return None
        # A module of data (generated tables) has a skeleton as large as itself: its names
        # are then looked up in its keywords instead of parsing it for every first question.
        parsed = scopes.parse(text) if text is not None and len(text) < _MAX_SKELETON else None
        if len(self._skeletons) > 32:
            self._skeletons.clear()
        self._skeletons[record.path] = (record, parsed)
        return parsed

    def _module_binding_values(
        self, ctx: _Context, skeleton: scopes.Parsed, binding: scopes.Binding
    ) -> list[_Value]:
        """A module-level binding of the cursor's file as targets."""
        record = ctx.record
        exact = scopes.exact_binding(skeleton, binding)
        if binding.kind == scopes.IMPORT:
            node = binding.node
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = self._local_import(ctx, node, binding.name)
                if targets:
                    return [_Value(t) for t in targets]
            return [
                _Value(Target(ctx.source, record.path, k, Role.IMPORT))
                for k in record.keywords
                if k.kind in IMPORT_KINDS
                and k.line == exact.line
                and (k.alias or k.name.partition(".")[0]) == binding.name
            ][:1]
        own = [
            k
            for k in record.keywords
            if k.line == exact.line
            and k.name == binding.name
            and "." not in k.qualname
            and k.kind in _ANSWER_KINDS
        ]
        if own:
            return [_Value(Target(ctx.source, record.path, k)) for k in own]
        if binding.kind in (scopes.DEF, scopes.CLASS):
            return []
        kind = Kind.CONSTANT if _constant(binding.name) else Kind.VARIABLE
        keyword = Keyword(
            binding.name,
            binding.name,
            kind,
            exact.line,
            exact.col,
            exact.col + len(binding.name),
            exact.line,
            signature=_binding_signature(skeleton, binding),
        )
        return [_Value(Target(ctx.source, record.path, keyword), binding, skeleton)]

    def _module_name(
        self, ctx: _Context, source: Source, record: FileRecord, name: str
    ) -> list[_Value]:
        """What a name means at module level of ``record``: its own definitions, what its
        imports (star imports too) stand for, else a builtin."""
        values = [
            _Value(Target(source, record.path, k))
            for k in keywords_named(record, name)
            if "." not in k.qualname
        ]
        target = bindings(record).get(name)
        if target:
            values += [_Value(t) for t in self._dotted(ctx, source, target.split("."), record)]
            if not values:
                values += [
                    _Value(Target(source, record.path, k, Role.IMPORT))
                    for k in record.keywords
                    if k.kind in IMPORT_KINDS and (k.alias or k.name.partition(".")[0]) == name
                ][:1]
        if not values:
            values += [
                _Value(Target(source, path, k))
                for path, k in name_in_module(source, record.path, name)
                if k.kind in _ANSWER_KINDS or k.end_col == 0
            ]
        if not values and name in _BUILTIN_NAMES:
            values += self._builtin(name)
        return values

    def _builtin(self, name: str) -> list[_Value]:
        path = self.external.file_of("builtins")
        record = self.external.record(path) if path is not None else None
        if record is None:
            return []
        return [
            _Value(Target(self.external, path, k))  # type: ignore[arg-type]
            for k in keywords_named(record, name)
        ][:1]

    def _dotted(
        self, ctx: _Context, source: Source, chain: list[str], record: FileRecord
    ) -> list[Target]:
        """A dotted name imported by ``record``: the workspace's definition, else one outside
        it (the standard library, the interpreter's packages)."""
        found = resolve_dotted(source, chain, record.path)  # type: ignore[arg-type]
        if found:
            return [
                Target(source, p, k, Role.MODULE if k.end_col == 0 else Role.DEFINITION)
                for p, k in found
            ]
        if source is self.external or source.modules.is_first_party(".".join(chain)):  # type: ignore[attr-defined]
            return []
        outside = resolve_dotted(self.external, chain)  # type: ignore[arg-type]
        return [
            Target(self.external, p, k, Role.MODULE if k.end_col == 0 else Role.DEFINITION)  # type: ignore[arg-type]
            for p, k in outside
        ]

    def _follow_import(self, ctx: _Context, keyword: Keyword) -> list[Target]:
        """What ``from m import name`` takes: its definition, else the import itself."""
        if keyword.target:
            found = self._dotted(ctx, ctx.source, keyword.target.split("."), ctx.record)
            if found:
                return found
        return [Target(ctx.source, ctx.record.path, keyword, Role.IMPORT)]

    def _import_module_at(self, ctx: _Context, word: Word) -> list[Target] | None:
        """On the module path of an import statement (``from a.b import c``, ``import a.b``):
        the module the cursor's part names; None elsewhere."""
        for keyword in ctx.record.keywords:
            if keyword.kind != Kind.MODULE or keyword.line != ctx.line or not keyword.end_col:
                continue
            if not keyword.col <= word.start < keyword.end_col or not keyword.target:
                continue
            written = keyword.name.lstrip(".")
            offset = word.start - (keyword.col + len(keyword.name) - len(written))
            target = keyword.target.split(".")
            if offset < 0:  # on the dots of a relative import: the package itself
                parts = target[: len(target) - len(written.split("."))] if written else target
            else:
                kept = written[: offset + len(word.name)].count(".") + 1
                dropped = written.count(".") + 1 - kept
                parts = target[: len(target) - dropped]
            found = self._dotted(ctx, ctx.source, parts, ctx.record) if parts else []
            return [t._replace(role=Role.MODULE) for t in found if t.keyword.end_col == 0]
        return None

    # ---- bindings in functions and classes -------------------------------------------------------

    def _blocks_of(self, record: FileRecord) -> list[Keyword]:
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

    def _parse_block(
        self, ctx: _Context, line: int, name: str | None = None
    ) -> scopes.Parsed | None:
        """The scopes of the block holding ``line`` (None at module level, or when ``name``
        is surely not bound in it: most names a function uses are not its own)."""
        source = block_source(self._blocks_of(ctx.record), ctx.lines, line)
        if source is None:
            return None
        if name is not None and not may_bind(source[0], name):
            return None
        return scopes.parse(source[0], source[1])

    def _binding_values(
        self, ctx: _Context, parsed: scopes.Parsed, binding: scopes.Binding
    ) -> list[_Value]:
        record = ctx.record
        owner = _owner_qualname(record, binding)
        if binding.kind == scopes.IMPORT:
            node = binding.node
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = self._local_import(ctx, node, binding.name)
                if targets:
                    return [_Value(t) for t in targets]
        if binding.kind in (scopes.DEF, scopes.CLASS):
            kinds = {Kind.CLASS} if binding.kind == scopes.CLASS else _BLOCK_KINDS
            own = [
                k
                for k in record.keywords
                if k.line == binding.line and k.name == binding.name and k.kind in kinds
            ]
            if own:
                return [_Value(Target(ctx.source, record.path, own[0]), binding, parsed)]
        if binding.scope == "class":
            own = [
                k
                for k in record.keywords
                if k.line == binding.line and k.name == binding.name and k.kind in _ANSWER_KINDS
            ]
            if own:
                return [_Value(Target(ctx.source, record.path, own[0]), binding, parsed)]
        if binding.kind == scopes.PARAM:
            role = Role.PARAMETER
        elif binding.scope == "class":
            role = Role.ATTRIBUTE  # a class attribute the index holds no keyword for
        else:
            role = Role.LOCAL
        keyword = Keyword(
            binding.name,
            f"{owner}.{binding.name}" if owner else binding.name,
            Kind.VARIABLE,
            binding.line,
            binding.col,
            binding.col + len(binding.name),
            binding.line,
            signature=_binding_signature(parsed, binding),
        )
        return [_Value(Target(ctx.source, record.path, keyword, role, owner), binding, parsed)]

    def _local_import(
        self, ctx: _Context, node: ast.Import | ast.ImportFrom, name: str
    ) -> list[Target]:
        from kwdocs.modules import is_package_file, resolve_relative

        for alias in node.names:
            bound = alias.asname or alias.name.partition(".")[0]
            if bound != name:
                continue
            if isinstance(node, ast.Import):
                dotted = alias.name if alias.asname else bound
            else:
                module = resolve_relative(
                    ctx.record.module, is_package_file(ctx.record.path), node.level, node.module
                )
                if not module:
                    return []
                dotted = f"{module}.{alias.name}"
            return self._dotted(ctx, ctx.source, dotted.split("."), ctx.record)
        return []

    # ---- attributes ------------------------------------------------------------------------------

    def _attribute_of_expression(self, ctx: _Context, word: Word) -> tuple[list[Target], bool]:
        """``"sep".join``: attributes of a literal are its builtin class's; ``super().f``: the
        first of the enclosing class's bases that defines ``f``."""
        text = ctx.lines[ctx.line - 1] if 0 < ctx.line <= len(ctx.lines) else ""
        before = text[: chain_start(word)].rstrip()
        if re.search(r"(?<![\w.])super\(\s*\)\s*\.$", before):
            return self._super_member(ctx, list(word.segments))
        if before.endswith(")."):
            cls = self._class_of_call_text(ctx, before[:-1])
            if cls is not None:
                return self._members_of_class(ctx, [cls], list(word.segments))
        if before.endswith("."):
            before = before[:-1].rstrip()
            if before.endswith(("'", '"')):
                cls = self._builtin_class("bytes" if _bytes_literal(before) else "str")
                if cls is not None:
                    return self._members_of_class(ctx, [cls], list(word.segments))
        return [], True

    def _class_of_call_text(self, ctx: _Context, text: str) -> tuple[Source, str, Keyword] | None:
        """The class of what the call ending ``text`` (on the cursor's line) returns, when the
        callee is a name: ``Square()``, ``make(1)``."""
        depth = 0
        for index in range(len(text) - 1, -1, -1):
            char = text[index]
            if char == ")":
                depth += 1
            elif char == "(":
                depth -= 1
                if depth == 0:
                    callee = word_at(text, index - 1) if index else None
                    if callee is None or callee.attribute or text[:index].rstrip() != text[:index]:
                        return None
                    found, _infer = self._resolve(ctx, callee)
                    return self._class_returned(ctx, found)
        return None

    def _class_returned(
        self, ctx: _Context, called: list[Target]
    ) -> tuple[Source, str, Keyword] | None:
        """The class of what calling ``called`` gives: an instance of a class, or the class a
        function's return annotation names (the same from every overload)."""
        if len(called) == 1 and called[0].keyword.kind == Kind.CLASS:
            return called[0].source, called[0].path, called[0].keyword
        functions = [t for t in called if t.keyword.kind in (Kind.FUNCTION, Kind.METHOD)]
        if not functions or len(functions) != len(called):
            return None
        if len({(id(t.source), t.path, t.keyword.qualname) for t in functions}) != 1:
            return None
        found: set[tuple[int, str, str]] = set()
        result: tuple[Source, str, Keyword] | None = None
        for target in functions:
            returned = _returns(target.keyword.signature)
            owner = target.source.records.get(target.path)
            if not returned or owner is None:
                return None
            cls = self._class_of_annotation(ctx, target.source, owner, returned)
            if cls is None:
                return None
            found.add((id(cls[0]), cls[1], cls[2].qualname))
            result = cls
        return result if len(found) == 1 else None

    def _super_member(self, ctx: _Context, rest: list[str]) -> tuple[list[Target], bool]:
        owner = _innermost_class(ctx.record, ctx.line)
        if owner is None:
            return [], True
        bases: list[tuple[Source, str, Keyword]] = []
        for base in owner.bases:
            if base.split("[", 1)[0].rsplit(".", 1)[-1] in _PLAIN_BASES:
                continue
            resolved = self._base(ctx, ctx.source, ctx.record, base)
            if resolved is None:
                return [], True
            bases.append(resolved)
        for base in bases:  # the method resolution order, first base first
            found, unsure = self._members_of_class(ctx, [base], rest)
            if found or unsure:
                return found, unsure and not found
        return [], False

    def _builtin_class(self, name: str) -> tuple[Source, str, Keyword] | None:
        found = [v for v in self._builtin(name) if v.target.keyword.kind == Kind.CLASS]
        if not found:
            return None
        target = found[0].target
        return target.source, target.path, target.keyword

    def _members_of_values(
        self, ctx: _Context, values: list[_Value], rest: list[str]
    ) -> tuple[list[Target], bool]:
        current = values
        for number, name in enumerate(rest):
            found: list[_Value] = []
            infer = False
            for value in current:
                target = value.target
                keyword = target.keyword
                if target.role == Role.IMPORT:
                    continue  # a module kwdocs cannot read: nothing to say of its attributes
                if keyword.kind == Kind.MODULE and keyword.end_col == 0:
                    found += [
                        _Value(
                            Target(
                                target.source,
                                p,
                                k,
                                Role.MODULE if k.end_col == 0 else Role.DEFINITION,
                            )
                        )
                        for p, k in name_in_module(target.source, target.path, name)  # type: ignore[arg-type]
                    ]
                    if not found and target.source is not self.external:
                        module = target.source.records[target.path].module  # type: ignore[union-attr]
                        found += [
                            _Value(t)
                            for t in self._dotted(
                                ctx, target.source, [*module.split("."), name], ctx.record
                            )
                        ]
                    continue
                if (
                    keyword.kind in (Kind.VARIABLE, Kind.CONSTANT)
                    and target.role == Role.DEFINITION
                ):
                    aliased = self._aliased(ctx, value)
                    if aliased:
                        targets, _unsure = self._members_of_values(ctx, aliased, [name])
                        found += [_Value(t) for t in targets]
                        continue
                if keyword.kind == Kind.CLASS:
                    classes: list[tuple[Source, str, Keyword]] = [
                        (target.source, target.path, keyword)
                    ]
                else:
                    evident = self._class_of_value(ctx, value)
                    if evident is None:
                        infer = True
                        continue
                    classes = [evident]
                targets, unsure = self._members_of_class(ctx, classes, [name])
                infer = infer or unsure
                found += [_Value(t) for t in targets]
            if not found:
                return [], infer
            if number == len(rest) - 1:
                return [value.target for value in found], False
            current = found
        return [], False

    def _aliased(self, ctx: _Context, value: _Value) -> list[_Value]:
        """A module-level variable that names a module or a class (``path = _path``,
        ``Alias = Thing``): what it names."""
        target = value.target
        record = target.source.records.get(target.path)
        lines = self._lines_of(ctx, target.source, target.path)
        if record is None or lines is None or ctx.depth > _MAX_DEPTH:
            return []
        node = _assignment_at(lines, target.keyword.line, target.keyword.name)
        if not isinstance(node, (ast.Name, ast.Attribute)):
            return []
        ctx.depth += 1
        try:
            values = self._values_of_expression(ctx, target.source, record, node, None, None)
        finally:
            ctx.depth -= 1
        named = [
            v
            for v in values
            if v.target.keyword.kind == Kind.CLASS
            or (v.target.keyword.kind == Kind.MODULE and v.target.keyword.end_col == 0)
        ]
        return named if len(named) == len(values) else []

    def _members_of_class(
        self, ctx: _Context, classes: list[tuple[Source, str, Keyword]], rest: list[str]
    ) -> tuple[list[Target], bool]:
        """``rest[0]`` looked up on each class along its bases (then the rest of the chain on
        what that holds)."""
        name = rest[0]
        found: list[Target] = []
        unsure = False
        for source, path, cls in classes:
            targets, unknown_base = self._member(ctx, source, path, cls, name)
            found += targets
            unsure = unsure or (unknown_base and not targets)
        if not found or len(rest) == 1:
            return found, unsure
        return self._members_of_values(ctx, [_Value(t) for t in found], rest[1:])

    def _member(
        self, ctx: _Context, source: Source, path: str, owner: Keyword, name: str
    ) -> tuple[list[Target], bool]:
        """Where ``name`` is defined on class ``owner`` or, in method resolution order, on
        its bases; (targets, whether a base kwdocs cannot read may define it)."""
        queue: list[tuple[Source, str, Keyword]] = [(source, path, owner)]
        seen: set[tuple[int, str, str]] = set()
        unknown = False
        while queue and len(seen) < _MAX_BASES:
            where, file, cls = queue.pop(0)
            key = (id(where), file, cls.qualname)
            if key in seen:
                continue
            seen.add(key)
            record = where.records.get(file)
            if record is None:
                unknown = True
                continue
            hits = keywords_named(record, f"{cls.qualname}.{name}")
            if hits:
                return [Target(where, file, k) for k in hits], False
            for base in cls.bases:
                if base.split("[", 1)[0].rsplit(".", 1)[-1] in _PLAIN_BASES:
                    continue
                resolved = self._base(ctx, where, record, base)
                if resolved is None:
                    unknown = True
                else:
                    queue.append(resolved)
        # Not a class attribute: an instance attribute a method of a workspace class of the
        # chain assigns (``self.x = ...``), the class's own first.
        for where, file, cls in [(source, path, owner), *self._workspace_bases(ctx, seen)]:
            if where is self.external:
                continue
            lines = self._lines_of(ctx, where, file)
            place = _instance_attribute(lines, cls, name) if lines is not None else None
            if place is not None:
                line, col = place
                qualname = f"{cls.qualname}.{name}"
                keyword = Keyword(name, qualname, Kind.VARIABLE, line, col, col + len(name), line)
                return [Target(where, file, keyword, Role.ATTRIBUTE, cls.qualname)], False
        return [], unknown

    def _workspace_bases(
        self, ctx: _Context, seen: set[tuple[int, str, str]]
    ) -> list[tuple[Source, str, Keyword]]:
        """The classes a member look-up went through, as (source, path, class)."""
        found = []
        for source_id, path, qualname in seen:
            source = ctx.source if id(ctx.source) == source_id else None
            if source is None:
                continue
            record = source.records.get(path)
            if record is None:
                continue
            classes = [k for k in keywords_named(record, qualname) if k.kind == Kind.CLASS]
            found += [(source, path, cls) for cls in classes]
        return found

    def _base(
        self, ctx: _Context, source: Source, record: FileRecord, base: str
    ) -> tuple[Source, str, Keyword] | None:
        found = base_class(source, record, base)  # type: ignore[arg-type]
        if found is not None:
            return source, found[0], found[1]
        chain = base.split("[", 1)[0].strip().split(".")
        if not all(part.isidentifier() for part in chain):
            return None
        values = self._module_name(ctx, source, record, chain[0])
        targets = [v.target for v in values]
        for name in chain[1:]:
            targets = (
                [
                    t
                    for current in targets
                    for t in self._members_of_class(
                        ctx, [(current.source, current.path, current.keyword)], [name]
                    )[0]
                ]
                if targets and targets[0].keyword.kind == Kind.CLASS
                else [
                    Target(current.source, p, k)
                    for current in targets
                    for p, k in name_in_module(current.source, current.path, name)  # type: ignore[arg-type]
                ]
            )
        classes = [t for t in targets if t.keyword.kind == Kind.CLASS]
        if len(classes) != 1:
            return None
        return classes[0].source, classes[0].path, classes[0].keyword

    # ---- the class a value evidently has ---------------------------------------------------------

    def _class_of_value(self, ctx: _Context, value: _Value) -> tuple[Source, str, Keyword] | None:
        """The class of what a target holds, when the code states it; None otherwise."""
        if ctx.depth > _MAX_DEPTH:
            return None
        ctx.depth += 1
        try:
            return self._class_of(ctx, value)
        finally:
            ctx.depth -= 1

    def _class_of(self, ctx: _Context, value: _Value) -> tuple[Source, str, Keyword] | None:
        target, binding, parsed = value.target, value.binding, value.parsed
        keyword = target.keyword
        source = target.source
        record = source.records.get(target.path)
        if record is None:
            return None
        if binding is not None and parsed is not None:
            return self._class_of_binding(ctx, source, record, parsed, binding)
        if keyword.kind in (Kind.FUNCTION, Kind.METHOD):
            return None  # a function object: its attributes are not the workspace's business
        if keyword.kind == Kind.PROPERTY:
            return self._class_of_annotation(ctx, source, record, _returns(keyword.signature))
        annotation = _annotation_of(keyword.signature)
        if annotation:
            return self._class_of_annotation(ctx, source, record, annotation)
        if keyword.kind in _VALUE_KINDS or target.role == Role.ATTRIBUTE:
            lines = self._lines_of(ctx, source, target.path)
            node = _assignment_at(lines, keyword.line, keyword.name) if lines else None
            if node is not None:
                return self._class_of_expression(ctx, source, record, node, None, None)
        return None

    def _class_of_binding(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        parsed: scopes.Parsed,
        binding: scopes.Binding,
    ) -> tuple[Source, str, Keyword] | None:
        node = binding.node
        if binding.kind == scopes.PARAM and isinstance(node, ast.arg):
            owner = binding.owner
            arguments = getattr(owner, "args", None)
            if isinstance(arguments, ast.arguments) and node in (arguments.vararg, arguments.kwarg):
                name = "tuple" if node is arguments.vararg else "dict"
                return self._builtin_class(name)
            if node.annotation is not None:
                return self._class_of_node_annotation(
                    ctx, source, record, parsed, node.annotation, binding
                )
            if isinstance(owner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = owner.args.posonlyargs + owner.args.args
                if positional[:1] == [node] and node.arg in ("self", "cls"):
                    cls = self._enclosing_class(record, owner.lineno + parsed.offset, owner.name)
                    if cls is not None:
                        return source, record.path, cls
            return None
        if isinstance(node, ast.AnnAssign):
            return self._class_of_node_annotation(
                ctx, source, record, parsed, node.annotation, binding
            )
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                return self._class_of_expression(ctx, source, record, node.value, parsed, binding)
            return None
        if isinstance(node, ast.NamedExpr):
            return self._class_of_expression(ctx, source, record, node.value, parsed, binding)
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(
            node.target, ast.Name
        ):
            # ``for x in items`` where the code declares ``items: list[X]``: an X.
            return self._element_class(ctx, source, record, node.iter, parsed, binding)
        if isinstance(node, ast.withitem) and isinstance(node.context_expr, ast.Call):
            # What ``__enter__`` returns is the class's business; ``open()``'s is a file.
            return None
        return None

    def _enclosing_class(self, record: FileRecord, def_line: int, name: str) -> Keyword | None:
        method = next(
            (
                k
                for k in record.keywords
                if k.line == def_line and k.name == name and k.kind in (Kind.METHOD, Kind.PROPERTY)
            ),
            None,
        )
        if method is None or "." not in method.qualname:
            return None
        qualname = method.qualname.rpartition(".")[0]
        return next(
            (k for k in record.keywords if k.kind == Kind.CLASS and k.qualname == qualname), None
        )

    def _class_of_expression(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        node: ast.AST,
        parsed: scopes.Parsed | None,
        near: scopes.Binding | None,
    ) -> tuple[Source, str, Keyword] | None:
        kind = type(node)
        if kind in _LITERAL_CLASSES:
            return self._builtin_class(_LITERAL_CLASSES[kind])
        if kind is ast.Constant:
            name = _CONSTANT_CLASSES.get(type(node.value))  # type: ignore[attr-defined]
            return self._builtin_class(name) if name is not None else None
        if kind is ast.Call:
            return self._class_of_call(ctx, source, record, node, parsed, near)  # type: ignore[arg-type]
        if kind in (ast.Name, ast.Attribute):
            values = self._values_of_expression(ctx, source, record, node, parsed, near)
            if len(values) == 1:
                return self._class_of_value(ctx, values[0])
        return None

    def _class_of_call(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        node: ast.Call,
        parsed: scopes.Parsed | None,
        near: scopes.Binding | None,
    ) -> tuple[Source, str, Keyword] | None:
        """The class of what a call returns: an instance of a called class (``cls()`` in a
        class method too), or the return annotation of a called function (the same class from
        every overload)."""
        values = self._values_of_expression(ctx, source, record, node.func, parsed, near)
        called = [v.target for v in values]
        if len(called) == 1 and called[0].keyword.kind == Kind.CLASS:
            return called[0].source, called[0].path, called[0].keyword
        if (
            len(values) == 1
            and called[0].role == Role.PARAMETER
            and values[0].binding is not None
            and values[0].binding.name == "cls"
        ):
            return self._class_of_value(ctx, values[0])  # ``cls(...)``: an instance of it
        return self._class_returned(ctx, called)

    def _element_class(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        iterable: ast.AST,
        parsed: scopes.Parsed | None,
        near: scopes.Binding | None,
    ) -> tuple[Source, str, Keyword] | None:
        """The class of the items of an iterable whose declared type says it."""
        values = self._values_of_expression(ctx, source, record, iterable, parsed, near)
        if len(values) != 1:
            return None
        declared = self._declared(ctx, values[0])
        if declared is None:
            return None
        annotation, where, owner, owner_parsed, owner_near = declared
        item = _item_annotation(annotation)
        if item is None:
            return None
        node = _strip_annotation(item)
        if node is None:
            return None
        names = self._names_of_expression(ctx, where, owner, node, owner_parsed, owner_near)
        classes = [t for t in names if t.keyword.kind == Kind.CLASS]
        if len(classes) != 1:
            return None
        return classes[0].source, classes[0].path, classes[0].keyword

    def _declared(
        self, ctx: _Context, value: _Value
    ) -> tuple[ast.AST, Source, FileRecord, scopes.Parsed | None, scopes.Binding | None] | None:
        """The annotation a value is declared with, and where it is written (to resolve the
        names in it): a parameter's, an annotated assignment's, a class attribute's or
        property's."""
        target, binding = value.target, value.binding
        record = target.source.records.get(target.path)
        if record is None:
            return None
        node = binding.node if binding is not None else None
        if isinstance(node, ast.arg) and node.annotation is not None:
            return node.annotation, target.source, record, value.parsed, binding
        if isinstance(node, ast.AnnAssign):
            return node.annotation, target.source, record, value.parsed, binding
        keyword = target.keyword
        text = (
            _returns(keyword.signature)
            if keyword.kind == Kind.PROPERTY
            else _annotation_of(keyword.signature)
        )
        if not text and (target.role == Role.ATTRIBUTE or keyword.kind in _VALUE_KINDS):
            lines = self._lines_of(ctx, target.source, target.path)
            found = _annotation_at(lines, keyword.line) if lines is not None else None
            if found is not None:
                return found, target.source, record, None, None
        if not text:
            return None
        try:
            parsed_text = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        return parsed_text, target.source, record, None, None

    def _names_of_expression(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        node: ast.AST,
        parsed: scopes.Parsed | None,
        near: scopes.Binding | None,
    ) -> list[Target]:
        return [
            v.target for v in self._values_of_expression(ctx, source, record, node, parsed, near)
        ]

    def _values_of_expression(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        node: ast.AST,
        parsed: scopes.Parsed | None,
        near: scopes.Binding | None,
    ) -> list[_Value]:
        """What a Name or dotted Attribute expression names, seen where it is written."""
        chain = _dotted(node)
        if chain is None:
            return []
        values: list[_Value] = []
        if parsed is not None and near is not None and record is ctx.record:
            start = _span_start(parsed, node)
            local = (
                [b for b in scopes.reaching(parsed, chain[0], *start) if b.scope != "module"]
                if start is not None
                else []
            )
            for binding in local:
                values += self._binding_values(ctx, parsed, binding)
        if not values:
            values = self._module_name(ctx, source, record, chain[0])
        if len(chain) == 1:
            return values
        targets, _infer = self._members_of_values(ctx, values, chain[1:])
        return [_Value(t) for t in targets]

    def _class_of_node_annotation(
        self,
        ctx: _Context,
        source: Source,
        record: FileRecord,
        parsed: scopes.Parsed,
        annotation: ast.AST,
        near: scopes.Binding,
    ) -> tuple[Source, str, Keyword] | None:
        node = _strip_annotation(annotation)
        if node is None:
            return None
        names = self._names_of_expression(ctx, source, record, node, parsed, near)
        classes = [t for t in names if t.keyword.kind == Kind.CLASS]
        if len(classes) == 1:
            return classes[0].source, classes[0].path, classes[0].keyword
        return None

    def _class_of_annotation(
        self, ctx: _Context, source: Source, record: FileRecord, text: str
    ) -> tuple[Source, str, Keyword] | None:
        """The class an annotation written at module level of ``record`` names."""
        try:
            expression = ast.parse(text.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
        node = _strip_annotation(expression)
        if node is None:
            return None
        values = self._values_of_expression(ctx, source, record, node, None, None)
        classes = [v.target for v in values if v.target.keyword.kind == Kind.CLASS]
        if len(classes) == 1:
            return classes[0].source, classes[0].path, classes[0].keyword
        return None

    # ---- keyword arguments -----------------------------------------------------------------------

    def _keyword_argument(
        self, ctx: _Context, word: Word, start: int
    ) -> tuple[list[Target], bool] | None:
        """``f(name=...)``: the parameter of the callee (``def f(name=...)`` itself when the
        cursor is in a signature); None when this is no keyword argument."""
        name = word.segments[0]
        parsed = self._parse_block(ctx, ctx.line)
        if parsed is not None:
            binding = scopes.lookup(parsed, name, ctx.line, start)
            if binding is not None and (binding.line, binding.col) == (ctx.line, start):
                return [v.target for v in self._binding_values(ctx, parsed, binding)], False
        callee = _callee(ctx.lines, ctx.line, start)
        if callee is None:
            return [], True
        callee_word, callee_line = callee
        inner = _Context(ctx.source, ctx.record, ctx.lines, callee_line, ctx.external)
        found, _infer = self._resolve(inner, callee_word)
        callables = [t for t in found if t.keyword.kind in _CALLABLE_KINDS]
        if len(callables) != 1:
            return [], True
        target = callables[0]
        keyword = target.keyword
        lines = self._lines_of(ctx, target.source, target.path)
        record = target.source.records.get(target.path)
        if lines is None or record is None:
            return [], False
        if keyword.kind == Kind.CLASS:
            init = keywords_named(record, f"{keyword.qualname}.__init__")
            if not init:  # a dataclass, a NamedTuple: its fields
                place = _instance_attribute(lines, keyword, name)
                return (_parameter_at(target, name, place, keyword.qualname), False)
            keyword = init[0]
        place = _signature_parameter(lines, keyword, name)
        return _parameter_at(target, name, place, keyword.qualname), False

    # ---- files -----------------------------------------------------------------------------------

    def _lines_of(self, ctx: _Context, source: Source, path: str) -> list[str] | None:
        if source is ctx.source and path == ctx.record.path:
            return ctx.lines
        return self._files.lines(source.full_path(path))


def _innermost_class(record: FileRecord, line: int) -> Keyword | None:
    """The innermost class whose body holds 1-based ``line``."""
    best: Keyword | None = None
    for keyword in record.keywords:
        inside = keyword.kind == Kind.CLASS and keyword.line < line <= keyword.end_line
        if inside and (best is None or keyword.line >= best.line):
            best = keyword
    return best


def _parameter_at(
    target: Target, name: str, place: tuple[int, int] | None, owner: str
) -> list[Target]:
    if place is None:
        return []
    line, col = place
    keyword = Keyword(name, f"{owner}.{name}", Kind.VARIABLE, line, col, col + len(name), line)
    return [Target(target.source, target.path, keyword, Role.PARAMETER, owner)]


def _owner_qualname(record: FileRecord, binding: scopes.Binding) -> str:
    """Qualified name of the def or class whose scope holds a binding ("" at module level)."""
    owner = binding.owner
    if owner is None or not hasattr(owner, "name"):
        return ""
    name = owner.name  # type: ignore[attr-defined]
    best = ""
    for keyword in record.keywords:
        inside = keyword.line <= binding.line <= keyword.end_line
        if keyword.name == name and keyword.kind in _BLOCK_KINDS and inside:
            best = keyword.qualname
    return best or name


def _binding_signature(parsed: scopes.Parsed, binding: scopes.Binding) -> str:
    """How a parameter or local is written: ``dtype: str``, the assignment's first line."""
    node = binding.node
    if isinstance(node, ast.arg):
        written = binding.name
        if node.annotation is not None:
            annotation = _segment(parsed.lines, node.annotation)
            if annotation:
                written += f": {' '.join(annotation.split())}"
        return written
    statement = binding.statement
    if isinstance(statement, ast.stmt):
        line = statement.lineno
        first = parsed.lines[line - 1].strip() if 0 < line <= len(parsed.lines) else ""
        return first[:200]
    return ""


def _segment(lines: list[str], node: ast.AST) -> str:
    """The source text of a node (ast's byte columns), from the parsed lines."""
    start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
    if end is None or not 0 < start <= end <= len(lines) or end - start > 20:
        return ""
    part = [line.encode("utf-8") for line in lines[start - 1 : end]]
    first_col, last_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    if len(part) == 1:
        return part[0][first_col:last_col].decode("utf-8", "replace")
    part[0] = part[0][first_col:]
    part[-1] = part[-1][:last_col]
    return b"\n".join(part).decode("utf-8", "replace")


def _span_start(parsed: scopes.Parsed, node: ast.AST) -> tuple[int, int] | None:
    line = getattr(node, "lineno", None)
    col = getattr(node, "col_offset", None)
    if line is None or col is None:
        return None
    text = parsed.lines[line - 1] if 0 < line <= len(parsed.lines) else ""
    if not text.isascii():
        col = len(text.encode("utf-8")[:col].decode("utf-8", "replace"))
    return line + parsed.offset, col


def _annotation_of(signature: str) -> str:
    """``x: int`` (a variable's or attribute's signature) → ``int``."""
    if not signature or signature.startswith(("def ", "async def ", "class ")):
        return ""
    name, colon, rest = signature.partition(":")
    if not colon or not name.strip().isidentifier():
        return ""
    return rest.split("=", 1)[0].strip()


def _returns(signature: str) -> str:
    """The return annotation of a ``def`` signature, or ""."""
    head, arrow, returned = signature.rpartition(" -> ")
    return returned.strip() if arrow and head.rstrip().endswith(")") else ""


def _strip_annotation(node: ast.AST | None) -> ast.AST | None:
    """The class an annotation is about: ``X | None``, ``Optional[X]`` and ``"X"`` are X;
    ``list[X]`` is list; other forms say nothing."""
    for _ in range(4):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value.strip(), mode="eval").body
            except (SyntaxError, ValueError, RecursionError):
                return None
            continue
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            sides = [s for s in (node.left, node.right) if not _is_none(s)]
            node = sides[0] if len(sides) == 1 else None
            continue
        if isinstance(node, ast.Subscript):
            chain = _dotted(node.value)
            if chain is not None and chain[-1] == "Optional":
                node = node.slice
                continue
            if chain is not None and chain[-1] == "Union":
                parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
                sides = [s for s in parts if not _is_none(s)]
                node = sides[0] if len(sides) == 1 else None
                continue
            if chain is not None and chain[-1] in ("Annotated", "Final", "ClassVar"):
                node = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
                continue
            node = node.value
            continue
        break
    return node if isinstance(node, (ast.Name, ast.Attribute)) else None


# Containers whose iteration gives their first type argument.
_ITERABLES = frozenset(
    {
        "list",
        "List",
        "set",
        "Set",
        "frozenset",
        "FrozenSet",
        "Sequence",
        "MutableSequence",
        "Iterable",
        "Iterator",
        "Collection",
        "AbstractSet",
        "MutableSet",
        "deque",
        "Deque",
        "Generator",
        "dict",
        "Dict",
        "Mapping",
        "MutableMapping",
        "OrderedDict",
        "defaultdict",
        "tuple",
        "Tuple",
    }
)


def _item_annotation(annotation: ast.AST) -> ast.AST | None:
    """The annotation of the items iterating a value of this declared type gives
    (``list[X]``, ``Sequence[X]``, ``tuple[X, ...]``, a dict's keys), or None."""
    node = annotation
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value.strip(), mode="eval").body
        except (SyntaxError, ValueError, RecursionError):
            return None
    node = _strip_optional(node)
    if not isinstance(node, ast.Subscript):
        return None
    chain = _dotted(node.value)
    if chain is None or chain[-1] not in _ITERABLES:
        return None
    items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    if chain[-1] in ("tuple", "Tuple"):
        ellipsis = len(items) == 2 and isinstance(items[1], ast.Constant)
        if not (ellipsis and items[1].value is Ellipsis):  # type: ignore[attr-defined]
            return None
    return items[0] if items else None


def _strip_optional(node: ast.AST) -> ast.AST:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        sides = [s for s in (node.left, node.right) if not _is_none(s)]
        return sides[0] if len(sides) == 1 else node
    if isinstance(node, ast.Subscript):
        chain = _dotted(node.value)
        if chain is not None and chain[-1] == "Optional":
            return node.slice
    return node


def _annotation_at(lines: list[str], line: int) -> ast.AST | None:
    """The annotation of an annotated assignment on 1-based ``line`` (``self.x: T = ...``)."""
    statement = _statement_at(lines, line)
    return statement.annotation if isinstance(statement, ast.AnnAssign) else None


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _dotted(node: ast.AST | None) -> list[str] | None:
    """``a.b.C`` of a Name/Attribute expression, or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *parts]
    return None


def _bytes_literal(before: str) -> bool:
    quote = before[-1]
    opening = before.rfind(quote, 0, len(before) - 1)
    prefix = before[max(0, opening - 2) : opening].lower() if opening > 0 else ""
    return "b" in prefix


def _assignment_at(lines: list[str], line: int, name: str) -> ast.AST | None:
    """The value assigned to ``name`` by the statement on 1-based ``line`` (a module-level
    variable, a class attribute or an instance attribute)."""
    statement = _statement_at(lines, line)
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return statement.value
    return None


def _statement_at(lines: list[str], line: int) -> ast.stmt | None:
    """The statement starting on 1-based ``line``, parsed on its own (indented or not)."""
    if not 0 < line <= len(lines):
        return None
    part: list[str] = []
    for number in range(line, min(line + 40, len(lines)) + 1):
        part.append(lines[number - 1])
        source, _offset = scopes.part_source(part, line)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # not the whole statement yet
        except (ValueError, RecursionError):
            return None
        body = tree.body
        if body and isinstance(body[0], ast.If) and source.startswith("if 1:"):
            body = body[0].body
        return body[0] if body else None
    return None


def module_skeleton(blocks: list[Keyword], lines: list[str]) -> str | None:
    """The module's text with the bodies of its top-level functions and classes stubbed out
    (``def name(): pass`` on the def line, blank lines after): line numbers are kept."""
    part = list(lines)
    stubbed_until = 0
    for keyword in blocks:
        if keyword.line <= stubbed_until or keyword.end_line > len(part):
            continue
        text = part[keyword.line - 1]
        indent = text[: len(text) - len(text.lstrip())]
        if indent:
            continue  # only top-level definitions (nested ones lie inside a stub)
        stub = "class {}: pass" if keyword.kind == Kind.CLASS else "def {}(): pass"
        part[keyword.line - 1] = stub.format(keyword.name)
        for number in range(keyword.line + 1, keyword.end_line + 1):
            part[number - 1] = ""
        stubbed_until = keyword.end_line
    return "\n".join(part)


def _constant(name: str) -> bool:
    from kwdocs.extract.pynodes import is_constant_name

    return is_constant_name(name)


def block_source(
    blocks: list[Keyword], lines: list[str], line: int
) -> tuple[str, int, Keyword] | None:
    """Source, line offset and block to parse for the scopes seen at 1-based ``line``, or None
    at module level. The block is the outermost function holding the line (a class body's
    names are not visible from its methods, so the classes around a method need no parsing),
    else the outermost class holding it; the bodies of nested functions and classes that do
    not hold the line are stubbed out (their names stay; what they bind is not visible)."""
    chain = [k for k in blocks if k.line <= line <= k.end_line]
    if not chain:
        return None
    outer = next((k for k in chain if k.kind != Kind.CLASS), chain[0])
    if outer.end_line > len(lines):
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
        stub = "class {}: pass" if keyword.kind == Kind.CLASS else "def {}(): pass"
        part[keyword.line - outer.line] = indent + stub.format(keyword.name)
        for number in range(keyword.line + 1, keyword.end_line + 1):
            part[number - outer.line] = ""
        stubbed_until = keyword.end_line
    return (*scopes.part_source(part, outer.line), outer)


def may_bind(source: str, name: str) -> bool:
    """Cheap text test: could ``name`` be bound in ``source`` (assigned, a parameter, a loop
    or ``as`` target, imported, declared global, a nested def or class)? False means surely
    not, and the block need not be parsed for it."""
    for match in _word_pattern(name).finditer(source):
        start, end = match.span()
        line_start = source.rfind("\n", 0, start) + 1
        line_end = source.find("\n", end)
        after = source[end : line_end if line_end >= 0 else len(source)].lstrip()
        if not after or after[0] in ":,)]}" or (after[0] == "=" and after[1:2] != "="):
            return True
        if after.startswith("in ") or after.startswith("in\t"):
            return True
        before = source[line_start:start].rstrip()
        if before.endswith((" as", "def", "class")) or before in ("as", "def", "class"):
            return True
        line = source[line_start : line_end if line_end >= 0 else len(source)]
        if "import" in line or "global" in line or "nonlocal" in line:
            return True
    return False


@functools.lru_cache(maxsize=1024)
def _word_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w.]){re.escape(name)}(?!\w)")


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
    (``pkg.f(`` → pkg, f) with its 1-based line, or None (a subscript, a call of a call, too
    far up)."""
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


def _instance_attribute(lines: list[str], cls: Keyword, name: str) -> tuple[int, int] | None:
    """(1-based line, column) where a class gives ``name`` a value: a name assigned or
    annotated in its body (``name: int``, dataclass fields), else the first ``self.name = ...``
    of its methods."""
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


__all__ = [
    "Answer",
    "CursorResolver",
    "Role",
    "Target",
    "block_source",
]
