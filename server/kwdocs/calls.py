"""Calls between the workspace's functions, resolved statically through the engine's resolver.

Each function keyword carries its callees as written (``Keyword.calls``, read with the page
facts: ``kwdocs/facts.py``). This module places them, over any ``Records``, with the answers
``resolve.py`` gives every other question — the file's import bindings, names through modules,
re-exports and star imports, base classes:

- ``name`` / ``name.attr``: a function or class nested in an enclosing function, else the
  module's own definition, else what its import binds (``resolve_dotted``), else a star import
  or submodule (``name_in_module``); a builtin the module does not rebind calls outside;
- ``self.m``: the method of the enclosing class, else of its workspace bases in order;
- ``super().m``: the method of a base of the enclosing class;
- ``:pkg.mod.f`` (an import inside the function): that dotted name.

A callee is a workspace function, method or class (a class is instantiated). A call is
*outside* when it goes to a builtin or to a module that is not a file of the workspace; it is
*unresolved* when only inference could tell (the extractor counted those already, and the
names the engine cannot place here join them): never guessed.
"""

from __future__ import annotations

import builtins
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping

import msgspec

from kwdocs.call_types import CallEnd, FunctionCalls, Outcome
from kwdocs.facts import CALL_IMPORTED, CALL_SELF, CALL_SUPER
from kwdocs.model import FileRecord, Keyword, Kind
from kwdocs.modules import import_root, is_package_file, resolve_relative
from kwdocs.readlog import ReadLog
from kwdocs.resolve import (
    base_class,
    bindings,
    definitions,
    implementation,
    is_overload,
    keywords_named,
    module_file,
    name_in_module,
    resolve_dotted,
    star_imports,
)

_BUILTINS = frozenset(dir(builtins))
_FUNCTION_KINDS = frozenset({Kind.FUNCTION, Kind.METHOD, Kind.PROPERTY})
# What a call can land on: a function, a method, a class (instantiated).
_CALLABLE_KINDS = frozenset({Kind.FUNCTION, Kind.METHOD, Kind.CLASS})
# A class's own members a ``self.m`` may name (a property or attribute is not a method).
_MEMBER_KINDS = frozenset({Kind.METHOD, Kind.PROPERTY, Kind.ATTRIBUTE, Kind.CLASS})
_MAX_BASES = 32
"""Classes visited in one method look-up (an inheritance loop in broken code ends there)."""


_UNRESOLVED: tuple[Outcome, list] = (Outcome.UNRESOLVED, [])


# What a name can be defined inside: functions and classes.
_SCOPE_KINDS = _FUNCTION_KINDS | {Kind.CLASS}


def _end(path: str, keyword: Keyword) -> CallEnd:
    return CallEnd(path, keyword.qualname, keyword.line, str(keyword.kind))


class _Where:
    """Where a function stands in its file: the class it is a method of (or is nested in a
    method of) and the functions and classes defined in it and in the functions enclosing it,
    innermost first."""

    __slots__ = ("nested", "owner")

    def __init__(self, owner: Keyword | None, nested: list[dict[str, list[Keyword]]]) -> None:
        self.owner = owner
        self.nested = nested


def _places(record: FileRecord) -> tuple[list[tuple[Keyword, _Where]], dict[str, list[Keyword]]]:
    """Every function of a file that calls something, with where it stands; and the file's
    definitions by qualified name: ``definitions(record)`` (every definition of a Python file
    can answer a look-up), made once for this and for the look-ups in the file after."""
    kinds: dict[str, str] = {}
    classes: dict[str, Keyword] = {}
    inner: dict[str, dict[str, list[Keyword]]] = {}
    calling: list[Keyword] = []
    class_kind, property_kind = Kind.CLASS, Kind.PROPERTY  # the enum's attributes read once
    for keyword in record.keywords:
        kind = keyword.kind
        if kind not in _SCOPE_KINDS:  # imports (a third of a file's keywords), attributes...
            continue
        qualname = keyword.qualname
        scope, _, name = qualname.rpartition(".")
        kinds.setdefault(qualname, kind)
        if kind == class_kind:
            classes.setdefault(qualname, keyword)
        elif keyword.calls or keyword.unresolved_calls:
            calling.append(keyword)
        if scope and kinds.get(scope) in _FUNCTION_KINDS and kind != property_kind:
            # Defined inside a function: seen from it and the functions nested in it.
            inner.setdefault(scope, {}).setdefault(name, []).append(keyword)
    found = []
    for keyword in calling:
        owner = None
        nested = []
        # The function itself, then each scope enclosing it, innermost first. ``inner`` holds
        # functions only: a class body's names are not seen from inside its methods.
        scope = keyword.qualname
        while True:
            names = inner.get(scope)
            if names is not None:
                nested.append(names)
            scope = scope.rpartition(".")[0]
            if not scope:
                break
            if owner is None:
                owner = classes.get(scope)
        found.append((keyword, _Where(owner, nested)))
    return found, definitions(record)


class _Resolver:
    """Placing written callees over one ``ReadLog``, with the answers shared by the functions
    of a file remembered (and, for answers shared across files, the records they read)."""

    def __init__(self, space: ReadLog) -> None:
        self.space = space
        self._members: dict[tuple, tuple[Outcome, list[tuple[str, Keyword]]]] = {}
        self._bindings: dict[str, dict[str, str]] = {}
        self._dotted: dict[
            tuple[str, str | None], tuple[list[tuple[str, Keyword]], frozenset[str]]
        ] = {}
        self._inside: dict[tuple[str, str | None], bool] = {}
        self._roots: dict[str, str | None] = {}
        self.own: dict[str, list[Keyword]] = {}
        """The definitions of the file being placed, by qualified name."""

    def bindings(self, record: FileRecord) -> dict[str, str]:
        found = self._bindings.get(record.path)
        if found is None:
            found = self._bindings[record.path] = bindings(record)
        return found

    # ---- one callee -------------------------------------------------------------------------

    def place(
        self, record: FileRecord, written: str, where: _Where, plain: dict
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """Where one written callee of a function of ``record`` lands (``plain``: the
        file's answers for names seen from its module scope, filled as they are found)."""
        first = written[0]
        if first == "s" and written.startswith((CALL_SELF, CALL_SUPER)):
            owner = where.owner
            if owner is None:
                return _UNRESOLVED
            own = written.startswith(CALL_SELF)
            name = written[len(CALL_SELF) :] if own else written[len(CALL_SUPER) :]
            key = (record.path, owner.qualname, owner.line, name, own)
            found = self._members.get(key)
            if found is None:
                found = self._members[key] = self.lookup(record.path, owner, name, own)
            return found
        if where.nested:
            head, _, rest = written.partition(".")
            for scope in where.nested:
                defined = scope.get(head)
                if defined:
                    placed = [(record.path, k) for k in defined]
                    return self.members_of(placed, rest) if rest else self.callable_only(placed)
        found = plain.get(written)
        if found is None:
            if first == ":":
                found = self.imported(record, written[len(CALL_IMPORTED) :])
            else:
                found = self.plain(record, written)
            plain[written] = found
        return found

    def callable_only(
        self, found: list[tuple[str, Keyword]]
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """Definitions a call can land on; a variable, property or attribute holds something
        only inference can tell. A call of an overloaded function lands on the definition
        that runs (one callee, not one per signature declared for type checkers)."""
        kept: list[tuple[str, Keyword]] = []
        for path, keyword in found:
            if keyword.kind not in _CALLABLE_KINDS:
                continue
            if keyword.decorators and is_overload(self.space.records[path], keyword):
                keyword = self.runs(path, keyword)
            if (path, keyword) not in kept:
                kept.append((path, keyword))
        return (Outcome.RESOLVED, kept) if kept else (Outcome.UNRESOLVED, [])

    def runs(self, path: str, overload: Keyword) -> Keyword:
        """What a call of an ``@overload`` declaration runs: its implementation, else (a
        stub's overloads, which have none) the first declaration of the name."""
        record = self.space.records[path]
        found = implementation(record, overload)
        if found is not overload:
            return found
        for keyword in keywords_named(record, overload.qualname):
            if keyword.kind == overload.kind and is_overload(record, keyword):
                return keyword
        return overload

    def plain(self, record: FileRecord, written: str) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """A dotted name seen from the module's scope."""
        own = self.own.get(written)
        if own:
            return self.callable_only([(record.path, k) for k in own])
        head, _, rest = written.partition(".")
        target = self.bindings(record).get(head)
        if target is not None:
            if not self.in_workspace(target, record):
                return Outcome.OUTSIDE, []
            found = self.dotted(f"{target}.{rest}" if rest else target, record)
            if found:
                return self.callable_only(found)
            if rest:
                # ``Imported.method`` defined in a base of the imported class.
                found = self.dotted(target, record)
                if found:
                    return self.members_of(found, rest)
            return Outcome.UNRESOLVED, []
        if head in _BUILTINS and not self.rebinds(record, head):
            return Outcome.OUTSIDE, []
        found = name_in_module(self.space, record.path, head)
        if found:
            return self.members_of(found, rest) if rest else self.callable_only(found)
        return (Outcome.OUTSIDE if head in _BUILTINS else Outcome.UNRESOLVED), []

    def rebinds(self, record: FileRecord, name: str) -> bool:
        """True when the module may bind a builtin's name otherwise (a definition, a star
        import, a submodule of that name)."""
        if keywords_named(record, name) or star_imports(record):
            return True
        return bool(record.module) and (
            module_file(self.space, f"{record.module}.{name}", record.path) is not None
        )

    def root_of(self, record: FileRecord) -> str | None:
        """The file's import root: all ``module_file`` answers depend on of the importer."""
        path = record.path
        if path in self._roots:
            return self._roots[path]
        root = self._roots[path] = import_root(path, record.module)
        return root

    def dotted(self, dotted: str, record: FileRecord) -> list[tuple[str, Keyword]]:
        """``resolve_dotted`` seen from ``record``, remembered for every file of its import
        root (the importer only matters through its root)."""
        key = (dotted, self.root_of(record))
        known = self._dotted.get(key)
        if known is None:
            # Shared by the files of a root: the records it read count as read by each.
            with self.space.reading() as read:
                found = resolve_dotted(self.space, dotted.split("."), record.path)
            self._dotted[key] = (found, frozenset(read))
            return found
        self.space.read |= known[1]
        return known[0]

    def members_of(
        self, found: list[tuple[str, Keyword]], rest: str
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """``X.rest`` for each definition X a name stands for: a class's member (its bases'
        too), a module's name."""
        results: list[tuple[str, Keyword]] = []
        outside = False
        for path, keyword in found:
            if keyword.kind == Kind.CLASS and "." not in rest:
                outcome, placed = self.member(path, keyword, rest)
                results += placed
                outside = outside or outcome is Outcome.OUTSIDE
            elif keyword.kind == Kind.MODULE and keyword.end_col == 0:
                module = self.space.records[path].module
                results += resolve_dotted(self.space, [*module.split("."), *rest.split(".")])
        if results:
            return self.callable_only(results)
        return (Outcome.OUTSIDE if outside else Outcome.UNRESOLVED), []

    def member(
        self, path: str, owner: Keyword, name: str
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """A class's method ``name``: its own, else the first of its workspace bases' (in
        order, depth first) that defines it."""
        return self.lookup(path, owner, name, include_own=True)

    def lookup(
        self, path: str, owner: Keyword, name: str, include_own: bool
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        outside = False
        seen: set[tuple[str, int]] = set()
        pending = [(path, owner, include_own)]
        while pending and len(seen) < _MAX_BASES:
            where, cls, own = pending.pop(0)
            if (where, cls.line) in seen:
                continue
            seen.add((where, cls.line))
            record = self.space.records.get(where)
            if record is None:
                continue
            if own:
                members = [
                    k
                    for k in keywords_named(record, f"{cls.qualname}.{name}")
                    if k.kind in _MEMBER_KINDS
                ]
                if members:
                    return self.callable_only([(where, k) for k in members])
            bases: list[tuple[str, Keyword, bool]] = []
            for base in cls.bases:
                placed = base_class(self.space, record, base)
                if placed is not None:
                    bases.append((placed[0], placed[1], True))
                elif self.base_outside(record, base):
                    outside = True
            # Depth first, in the order the bases are written: close to Python's MRO for the
            # hierarchies where it matters (single inheritance, mixins first).
            pending[:0] = bases
        return (Outcome.OUTSIDE if outside else Outcome.UNRESOLVED), []

    def imported(
        self, record: FileRecord, written: str
    ) -> tuple[Outcome, list[tuple[str, Keyword]]]:
        """A name imported inside the function (relative ones with their dots)."""
        dotted = written.lstrip(".")
        level = len(written) - len(dotted)
        if level:
            dotted = resolve_relative(record.module, is_package_file(record.path), level, dotted)
            if not dotted:
                return Outcome.UNRESOLVED, []
        if not self.in_workspace(dotted, record):
            return Outcome.OUTSIDE, []
        found = self.dotted(dotted, record)
        return self.callable_only(found) if found else (Outcome.UNRESOLVED, [])

    def in_workspace(self, dotted: str, record: FileRecord) -> bool:
        """True when some leading part of a dotted name is a module of the workspace."""
        key = (dotted, self.root_of(record))
        known = self._inside.get(key)
        if known is None:
            parts = dotted.split(".")
            known = self._inside[key] = any(
                module_file(self.space, ".".join(parts[:size]), record.path) is not None
                for size in range(len(parts), 0, -1)
            )
        return known

    def base_outside(self, record: FileRecord, base: str) -> bool:
        """True when a base class expression comes from a module outside the workspace."""
        head = base.split("[", 1)[0].strip().split(".", 1)[0]
        target = self.bindings(record).get(head)
        if target is None:
            return head in _BUILTINS  # ``object``, ``Exception``...
        return not self.in_workspace(target, record)


class CallPlacer:
    """Places the written calls of a workspace's files one file at a time, over a ``ReadLog``
    (answers shared by several files note their reads for each of them)."""

    def __init__(self, space: ReadLog) -> None:
        self._resolver = _Resolver(space)

    def place(self, record: FileRecord) -> list[FunctionCalls]:
        """The placed calls of every function of ``record`` that calls anything, in file
        order (the record must have its calls: ``calls_known``)."""
        return list(_place_file(self._resolver, record))


def _place_file(resolver: _Resolver, record: FileRecord) -> Iterator[FunctionCalls]:
    functions, resolver.own = _places(record)
    plain: dict[str, tuple[Outcome, list[tuple[str, Keyword]]]] = {}
    ends: dict[tuple[str, int], CallEnd] = {}
    resolved = Outcome.RESOLVED
    for keyword, where in functions:
        callees: dict[CallEnd, None] = {}
        outside = 0
        unresolved = keyword.unresolved_calls
        for written in keyword.calls.split():
            outcome, found = resolver.place(record, written, where, plain)
            if outcome is resolved:
                for path, target in found:
                    end = ends.get((path, target.line))
                    if end is None or end.qualname != target.qualname:
                        end = ends[(path, target.line)] = _end(path, target)
                    callees[end] = None
            elif outcome is Outcome.OUTSIDE:
                outside += 1
            else:
                unresolved += 1
        yield FunctionCalls(
            keyword.qualname,
            keyword.line,
            str(keyword.kind),
            tuple(callees),
            outside,
            unresolved,
        )


class CallGraph:
    """Every function's calls placed, and who calls each function, for a whole workspace."""

    def __init__(self, placed: Mapping[str, list[FunctionCalls]], complete: bool) -> None:
        self.complete = complete
        """False when some Python file was indexed without its calls (the language server's
        records): callers are then partly unknown."""
        self._calls = {path: placed[path] for path in sorted(placed) if placed[path]}
        self._callers: dict[str, dict[tuple[str, int], list[CallEnd]]] = defaultdict(dict)
        self._keys: dict[str, str] = {}
        for path, functions in self._calls.items():
            for function in functions:
                caller = CallEnd(path, function.qualname, function.line, function.kind)
                for callee in function.callees:
                    per_file = self._callers[callee.path]
                    per_file.setdefault((callee.qualname, callee.line), []).append(caller)

    def calls_of(self, path: str) -> list[FunctionCalls]:
        """The placed calls of every function of a file that calls anything, in file order."""
        return self._calls.get(path, [])

    def callers_of(self, path: str) -> dict[tuple[str, int], list[CallEnd]]:
        """(qualname, line) of each function or class of a file → the workspace functions
        calling it."""
        return self._callers.get(path, {})

    def key(
        self,
        path: str,
        end_key: Callable[[str], str],
        line_ranks: Callable[[str], dict[int, int]],
    ) -> str:
        """A digest of every call fact a file's page shows, and of what the anchors of the
        files at the other end depend on (``end_key`` of each): part of the page's
        fingerprint. Each end's line is given as its rank among its file's keyword lines
        (``line_ranks``; ``end_key`` says how those lines compare): an edit that only moves
        lines leaves it as it is."""
        key = self._keys.get(path)
        if key is None:
            callees = self._calls.get(path, [])
            callers = self._callers.get(path, {})
            tables: dict[str, dict[int, int]] = {}

            def placed(found: tuple[CallEnd, ...] | list[CallEnd]) -> list[tuple]:
                shown = []
                for end in found:
                    where = end.path
                    ranks = tables.get(where)
                    if ranks is None:
                        ranks = tables[where] = line_ranks(where)
                    line = end.line
                    shown.append((where, end.qualname, end.kind, ranks.get(line, -1 - line)))
                return shown

            calls = [
                (f.qualname, f.line, f.kind, placed(f.callees), f.outside, f.unresolved)
                for f in callees
            ]
            called = [(where, placed(found)) for where, found in sorted(callers.items())]
            anchors = [(p, end_key(p)) for p in sorted(tables) if p != path]
            payload = _encode([self.complete, calls, called, anchors])
            key = self._keys[path] = hashlib.blake2b(payload, digest_size=16).hexdigest()
        return key


_encode = msgspec.msgpack.Encoder().encode
