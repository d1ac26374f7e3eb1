"""Page facts of one Python file from a single walk over its ast tree: per-function cyclomatic
complexity (radon's rules) and length, risky calls (named after bandit's check ids), the idioms
the file uses, each with its line, the calls each function makes (as written: the engine,
``kwdocs.calls``, resolves them across files), the docstrings pages render, and the module's
notes when it has no docstring."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from operator import attrgetter
from typing import Any

import msgspec

from kwdocs.extract.note_types import NoteOrigin
from kwdocs.extract.notes import module_notes
from kwdocs.extract.pynodes import docstring_of, module_doc_updates
from kwdocs.extract.signature_types import LineList, SignatureParam
from kwdocs.extract.signatures import signature_parameters
from kwdocs.fact_types import DocFact, FunctionFacts, PageFacts, WrittenCalls
from kwdocs.model import FileRecord, Finding, Kind

# Risky calls by resolved dotted name: (bandit check id, what the page says).
RISKY_CALLS: dict[str, tuple[str, str]] = {
    "eval": ("B307", "`eval` runs arbitrary code"),
    "exec": ("B102", "`exec` runs arbitrary code"),
    "pickle.load": ("B301", "unpickling can run arbitrary code"),
    "pickle.loads": ("B301", "unpickling can run arbitrary code"),
    "pickle.Unpickler": ("B301", "unpickling can run arbitrary code"),
    "dill.load": ("B301", "unpickling can run arbitrary code"),
    "dill.loads": ("B301", "unpickling can run arbitrary code"),
    "shelve.open": ("B301", "shelve unpickles its values"),
    "marshal.load": ("B302", "unmarshalling untrusted data is unsafe"),
    "marshal.loads": ("B302", "unmarshalling untrusted data is unsafe"),
    "tempfile.mktemp": ("B306", "`tempfile.mktemp` is open to a race: use `mkstemp`"),
    "os.system": ("B605", "starts a process with a shell"),
    "os.popen": ("B605", "starts a process with a shell"),
    "hashlib.md5": ("B324", "MD5 is a weak hash for security purposes"),
    "hashlib.sha1": ("B324", "SHA-1 is a weak hash for security purposes"),
}
# yaml.load is only safe with a safe loader.
_YAML_SAFE_LOADERS = ("SafeLoader", "CSafeLoader", "BaseLoader")
_SUBPROCESS = frozenset(
    {
        "subprocess.Popen",
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
    }
)
# The last part of every name check_call looks for.
_RISKY_LAST_NAMES = frozenset(
    name.rpartition(".")[2] for name in (*RISKY_CALLS, *_SUBPROCESS, "yaml.load")
)
# ``<x>.load(...)`` where x's name contains "pickle": a pickle module by another name.
_UNPICKLING = frozenset({"load", "loads", "Unpickler"})


def _names_pickle(node: ast.expr) -> bool:
    """A name or attribute whose own name contains "pickle" (``pickle_module``,
    ``self._pickle``, ``cloudpickle``)."""
    kind = type(node)
    last = node.id if kind is ast.Name else node.attr if kind is ast.Attribute else ""  # type: ignore[attr-defined]
    return "pickle" in last.lower()


_ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
_TYPING_BASES = {"NamedTuple": "named tuple", "TypedDict": "typed dict", "Protocol": "protocol"}
# Idiom codes, in the order the page lists them, with their plain-text names.
IDIOMS: dict[str, str] = {
    "dataclass": "dataclasses",
    "enum": "enumerations",
    "abc": "abstract base classes",
    "abstractmethod": "abstract methods",
    "protocol": "protocols, named tuples and typed dicts",
    "metaclass": "metaclasses",
    "slots": "`__slots__`",
    "property": "properties",
    "classmethod": "class and static methods",
    "context-manager": "context managers (defined)",
    "with": "`with` statements",
    "generator": "generators",
    "async": "async functions",
    "decorator": "other decorators",
    "cache": "memoisation (`functools.cache`/`lru_cache`)",
    "overload": "`typing.overload`",
    "type-checking": "`TYPE_CHECKING` blocks",
    "all": "`__all__`",
    "main": '`if __name__ == "__main__"` entry point',
    "global": "`global`/`nonlocal` statements",
    "walrus": "assignment expressions (`:=`)",
    "match": "`match` statements",
}


# Words of the docstring sections that name parameters: only then are they read.
PARAMETER_WORDS = ("Args", "Arguments", "Parameters", "param", "Keyword", "Attributes", "var")


# The forms of ``Keyword.calls`` entries besides a plain (dotted) name; ``kwdocs.calls`` reads
# them.
CALL_SELF = "self."
"""``self.m``: a method of the enclosing class, whatever the receiver is called."""
CALL_SUPER = "super()."
"""``super().m``: the method of a base of the enclosing class."""
CALL_IMPORTED = ":"
"""``:pkg.mod.f``, ``:..mod.f``: through an import made inside the function, the dotted name
it imports (relative ones with their dots: the engine knows the module they are relative to)."""


class _CallScope:
    """What one function's body binds, and the callees it calls, as written."""

    __slots__ = ("callees", "defs", "globals", "imports", "receiver", "stores", "unplaced")

    def __init__(self, receiver: str) -> None:
        self.receiver = receiver
        """A method's first parameter (``self``, ``cls``); "" for functions."""
        self.stores: set[str] = set()
        """Parameters and names the body assigns: only inference can tell what they hold."""
        self.defs: set[str] = set()
        """Functions and classes defined in the body (``outer.inner``)."""
        self.imports: dict[str, str] = {}
        """Names the body imports → what they import (``CALL_IMPORTED`` form)."""
        self.globals: set[str] = set()
        """``global`` and ``nonlocal`` names: bound outside the body."""
        self.callees: dict[str, int] = {}
        """The body's callees as written (``f``, ``a.b.m``, ``super().m``), in the order the
        walk meets them, with how many calls name each: how their first names are bound is
        known only at the body's end, and is asked once per callee, not per call."""
        self.unplaced = 0
        """Calls of what no name holds (a call's result, a subscript, a lambda...)."""

    def lookup(self, head: str) -> tuple[str, str] | None:
        """How a callee's first name is bound in this body: (form, target), or None when the
        body does not bind it. Forms: ``self``, ``import``, ``def``, ``local``, ``outer``."""
        if head in self.globals:
            return "outer", head
        if head in self.imports:
            bound_otherwise = head in self.stores or head in self.defs
            return ("local", head) if bound_otherwise else ("import", self.imports[head])
        if head in self.stores:
            return ("self", head) if head == self.receiver else ("local", head)
        if head in self.defs:
            return "def", head
        return None


def _bound(head: str, scope: _CallScope, enclosing: list[_CallScope | None]) -> tuple[str, str]:
    """How a callee's first name is bound: in the body, else in the functions around it
    (innermost first; None for a class body, whose names it does not see), else outside them
    all."""
    bound = scope.lookup(head)
    if bound is None:
        for outer in reversed(enclosing):
            if outer is not None:
                bound = outer.lookup(head)
                if bound is not None:
                    return bound
        return "outer", head
    return bound


# The first part of a ``super().m`` callee: no name, ``_written_calls`` writes it as it is.
_SUPER_HEAD = CALL_SUPER[:-1]


def _written_calls(scope: _CallScope, enclosing: list[_CallScope | None]) -> tuple[str, int]:
    """The distinct callees of a body, as ``Keyword.calls`` writes them, in the order the walk
    meets them (the source's, but for a few expressions such as ``a if test else b``),
    space-separated; and how many calls only inference could place."""
    found: dict[str, None] = {}
    unresolved = scope.unplaced
    heads: dict[str, tuple[str, str]] = {}
    for callee, count in scope.callees.items():
        head, _, rest = callee.partition(".")
        if head == _SUPER_HEAD:
            found[callee] = None
            continue
        bound = heads.get(head)
        if bound is None:
            bound = heads[head] = _bound(head, scope, enclosing)
        form, target = bound
        if form == "outer" or form == "def":
            written = callee
        elif form == "self":
            # ``self.a.b()`` is a method of whatever ``self.a`` holds: inference's question.
            if not rest or "." in rest:
                unresolved += count
                continue
            written = CALL_SELF + rest
        elif form == "import" and target:
            written = CALL_IMPORTED + target + ("." + rest if rest else "")
        else:
            unresolved += count
            continue
        found[written] = None
    return " ".join(found), unresolved


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a chain of attributes on a name, else ""."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # decorators such as @lru_cache(maxsize=None)
        return dotted(node.func)
    return ""


# The expressions ``dotted`` can name.
_DOTTED = frozenset({ast.Name, ast.Attribute, ast.Call})


def _is_type_checking(test: ast.expr) -> bool:
    """``dotted(test)`` is ``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``; the usual tests
    (``x``, ``a.b``, ``isinstance(...)``) told without building their names."""
    while type(test) is ast.Call:
        test = test.func  # ``dotted`` names a call by its callee
    kind = type(test)
    if kind is ast.Name:
        return test.id == "TYPE_CHECKING"  # type: ignore[attr-defined]
    if kind is ast.Attribute and type(test.value) is ast.Name:  # type: ignore[attr-defined]
        return test.attr == "TYPE_CHECKING" and test.value.id == "typing"  # type: ignore[attr-defined]
    return dotted(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")


# The assignment targets that bind names (``bind``): ``x.a = ...``, ``x[i] = ...`` do not.
_BINDING_TARGETS = frozenset({ast.Name, ast.Tuple, ast.List, ast.Starred})


def _leaf_types() -> frozenset[type]:
    """Node types with nothing inside that any fact looks at."""
    leaves: set[type] = {ast.Name, ast.Constant, ast.alias, ast.Pass, ast.Break, ast.Continue}
    for base in (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop):
        leaves.update(base.__subclasses__())
    return frozenset(leaves)


_LEAVES = _leaf_types()
# Values of fields that are never nodes (names, numbers, flags, absent children).
_NOT_NODES = _LEAVES | {type(None), str, int, bool, float, complex, bytes}
# Fields that hold names, numbers or flags, never nodes, in any node type.
_SCALAR_FIELDS = frozenset(
    {
        "id",
        "attr",
        "arg",
        "asname",
        "module",
        "level",
        "kind",
        "conversion",
        "is_async",
        "simple",
        "tag",
        "kwd_attrs",
    }
)
_SKIPPED_FIELDS = frozenset({"ctx", "op", "ops", "type_comment"}) | _SCALAR_FIELDS
_FIELD_CACHE: dict[type, tuple[str, ...]] = {}


def _fields(cls: type) -> tuple[str, ...]:
    fields = _FIELD_CACHE.get(cls)
    if fields is None:
        fields = _FIELD_CACHE[cls] = tuple(
            f
            for f in cls._fields  # type: ignore[attr-defined]
            if f not in _SKIPPED_FIELDS
        )
    return fields


# Node types whose children (those ``generic`` visits, in its order) one C getter returns
# (``visit_children``; some of them have handlers of their own that end with it).
_CHILDREN: dict[type, Callable[[Any], Any]] = {
    ast.BinOp: attrgetter("left", "right"),
    ast.Subscript: attrgetter("value", "slice"),
    ast.Tuple: attrgetter("elts"),
    ast.List: attrgetter("elts"),
    ast.Set: attrgetter("elts"),
    ast.JoinedStr: attrgetter("values"),
    ast.BoolOp: attrgetter("values"),
    ast.IfExp: attrgetter("test", "body", "orelse"),
    ast.FormattedValue: attrgetter("value", "format_spec"),
    ast.Raise: attrgetter("exc", "cause"),
    ast.Slice: attrgetter("lower", "upper", "step"),
    ast.withitem: attrgetter("context_expr", "optional_vars"),
}


class _Frame:
    """A function whose complexity is being summed."""

    __slots__ = ("complexity", "yields")

    def __init__(self) -> None:
        self.complexity = 1
        self.yields = False


class _Walker:
    """One recursive walk that feeds every fact at once."""

    def __init__(self) -> None:
        self.facts = PageFacts(
            parsed=True, functions=[], risks=[], idioms=[], calls=[], docstrings=[], notes=[]
        )
        self.aliases: dict[str, str] = {}
        self.frame: _Frame | None = None
        """The function whose complexity is being summed; None where nothing is (the module,
        a class body, a definition's decorators, defaults and annotations)."""
        self.scope: list[str] = []
        self.in_assert = 0
        self.call_scopes: list[_CallScope | None] = []
        """The bodies being walked, innermost last: a function's scope, None for a class body
        (its names are not seen from its methods; calls there belong to no function)."""
        self.calls_here: _CallScope | None = None
        """The innermost function body, where calls and bindings go; None outside any."""
        self.lines: LineList | None = None
        """The source's lines, when known: parameters are read from them as written."""
        self.assigned: dict[str, list[tuple[int, str]]] = {}
        """Readable docstrings the module assigns after a definition (``Cls.__doc__ = ...``),
        by qualname: (line, text), in order."""

    def bind(self, target: ast.expr | None) -> None:
        """Names an assignment target binds in the current function body."""
        scope = self.calls_here
        if scope is None or target is None:
            return
        kind = type(target)
        if kind is ast.Name:
            name = target.id  # type: ignore[attr-defined]
            scope.stores.add(name)
            if name == scope.receiver:
                scope.receiver = ""  # ``self = other``: a plain local from here on
        elif kind is ast.Tuple or kind is ast.List:
            for element in target.elts:  # type: ignore[attr-defined]
                self.bind(element)
        elif kind is ast.Starred:
            self.bind(target.value)  # type: ignore[attr-defined]

    def idiom(self, code: str, line: int, message: str) -> None:
        self.facts.idioms.append(Finding(code, line, message))

    def risk(self, code: str, line: int, message: str) -> None:
        self.facts.risks.append(Finding(code, line, message))

    def resolve(self, node: ast.expr) -> str:
        name = dotted(node)
        if not name:
            return ""
        head, _, rest = name.partition(".")
        full = self.aliases.get(head, head)
        return f"{full}.{rest}" if rest else full

    def add(self, amount: int) -> None:
        frame = self.frame
        if frame is not None and not self.in_assert:
            frame.complexity += amount

    def visit(self, node: ast.AST) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node)
        else:
            self.generic(node)

    def visit_all(self, nodes: Sequence[ast.AST]) -> None:
        """Visit each node of a block (``visit``'s dispatch in one loop, not a call each)."""
        handlers = _HANDLERS
        for node in nodes:
            kind = type(node)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, node)
                elif isinstance(node, ast.AST):
                    self.generic(node)

    def generic(self, node: ast.AST) -> None:
        # ast.iter_child_nodes, minus the leaves no fact looks at (names, constants,
        # contexts, operators): they are most of a tree. Dispatch is inlined (the same as
        # ``visit``): this loop runs for every node of every file.
        handlers = _HANDLERS
        for name in _FIELD_CACHE.get(type(node)) or _fields(type(node)):
            value = getattr(node, name, None)
            if type(value) is list:
                for item in value:
                    kind = type(item)
                    if kind in _NOT_NODES:
                        continue
                    handler = handlers.get(kind)
                    if handler is not None:
                        handler(self, item)
                    elif isinstance(item, ast.AST):
                        self.generic(item)
            else:
                kind = type(value)
                if kind in _NOT_NODES:
                    continue
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)

    # The handlers below visit the children ``generic`` would, in the same order, with its
    # dispatch written out in place: no frame between a node and its children, so nesting
    # reaches the recursion limit no sooner than through ``generic``.

    def visit_Attribute(self, node: ast.Attribute) -> None:
        # ``a.b.c.d``: down the chain of attributes at once, to what they are taken from.
        value = node.value
        while type(value) is ast.Attribute:
            value = value.value
        handlers = _HANDLERS
        kind = type(value)
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, value)
            elif isinstance(value, ast.AST):
                self.generic(value)

    def visit_value(self, node: ast.Expr | ast.Return | ast.keyword | ast.Starred) -> None:
        value = node.value
        handlers = _HANDLERS
        kind = type(value)
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, value)
            elif isinstance(value, ast.AST):
                self.generic(value)

    def visit_arguments(self, node: ast.arguments) -> list[str]:
        """Visit the annotations and defaults of a definition's parameters (in ``generic``'s
        order); their names, which the body binds."""
        names: list[str] = []
        handlers = _HANDLERS
        for arg in (*node.posonlyargs, *node.args, node.vararg, *node.kwonlyargs):
            if arg is not None:
                names.append(arg.arg)
                value = arg.annotation
                kind = type(value)
                if kind not in _NOT_NODES:
                    handler = handlers.get(kind)
                    if handler is not None:
                        handler(self, value)
                    elif isinstance(value, ast.AST):
                        self.generic(value)
        for value in node.kw_defaults:
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)
        if node.kwarg is not None:
            names.append(node.kwarg.arg)
            value = node.kwarg.annotation
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)
        for value in node.defaults:
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)
        return names

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        value = node.operand
        handlers = _HANDLERS
        kind = type(value)
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, value)
            elif isinstance(value, ast.AST):
                self.generic(value)

    def visit_children(self, node: ast.AST) -> None:
        """Nodes whose children one C getter lists (see ``_CHILDREN``)."""
        handlers = _HANDLERS
        for value in _CHILDREN[type(node)](node):
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)

    def visit_Compare(self, node: ast.Compare) -> None:
        handlers = _HANDLERS
        value = node.left
        kind = type(value)
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, value)
            elif isinstance(value, ast.AST):
                self.generic(value)
        for value in node.comparators:
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)

    # radon's increments (radon.visitors.ComplexityVisitor.generic_visit).

    def visit_Try(self, node: ast.Try) -> None:
        self.add(len(node.handlers) + bool(node.orelse))
        self.generic(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.add(len(node.values) - 1)
        self.visit_children(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.add(1)
        self.visit_children(node)

    def visit_loop(self, node: ast.For | ast.While | ast.AsyncFor) -> None:
        self.add(bool(node.orelse) + 1)
        if type(node) is not ast.While:
            self.bind(node.target)  # type: ignore[union-attr]
        self.generic(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self.add(len(node.ifs) + 1)
        # A comprehension's names are its own; counted as the function's they can only make
        # a call unresolved, never place it wrongly.
        self.bind(node.target)
        self.generic(node)

    def visit_scope_statement(self, node: ast.Global | ast.Nonlocal) -> None:
        self.idiom("global", node.lineno, f"`{type(node).__name__.lower()}` statement")
        if self.calls_here is not None:
            self.calls_here.globals.update(node.names)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.idiom("walrus", node.lineno, "assignment expression")
        self.bind(node.target)
        self.generic(node)

    def visit_target_statement(self, node: ast.AnnAssign | ast.AugAssign) -> None:
        self.bind(node.target)
        self.generic(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name and self.calls_here is not None:
            self.calls_here.stores.add(node.name)
        self.generic(node)

    def visit_capture(self, node: ast.AST) -> None:
        """``case [*rest]``, ``case {**rest}``, ``case x``, ``case P() as x``: captures."""
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name and self.calls_here is not None:
            self.calls_here.stores.add(name)
        self.generic(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        parameters = self.visit_arguments(node.args)
        if self.calls_here is not None:
            self.calls_here.stores.update(parameters)
        self.visit(node.body)

    def visit_yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        if self.frame is not None:
            self.frame.yields = True
        self.generic(node)

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        self.idiom("with", node.lineno, "`with` statement")
        for item in node.items:
            self.bind(item.optional_vars)
        self.generic(node)

    def visit_If(self, node: ast.If) -> None:
        self.add(1)
        test = node.test
        kind = type(test)
        if kind is ast.Compare:
            if not self.scope and dotted(test.left) == "__name__":  # type: ignore[attr-defined]
                self.idiom("main", node.lineno, "script entry point")
        elif kind in _DOTTED and _is_type_checking(test):
            self.idiom("type-checking", node.lineno, "`if TYPE_CHECKING:` block")
        handlers = _HANDLERS
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, test)
            elif isinstance(test, ast.AST):
                self.generic(test)
        for statement in (*node.body, *node.orelse):
            statement_kind = type(statement)
            if statement_kind not in _NOT_NODES:
                handler = handlers.get(statement_kind)
                if handler is not None:
                    handler(self, statement)
                elif isinstance(statement, ast.AST):
                    self.generic(statement)

    def visit_Match(self, node: ast.AST) -> None:
        cases = node.cases  # type: ignore[attr-defined]
        wildcard = any(getattr(case.pattern, "pattern", False) is None for case in cases)
        self.add(max(0, len(cases) - wildcard))
        self.idiom("match", node.lineno, "`match` statement")  # type: ignore[attr-defined]
        self.generic(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        # radon counts an assert once and does not look inside it.
        self.add(1)
        self.risk("B101", node.lineno, "`assert` is removed under `python -O`")
        self.in_assert += 1
        self.generic(node)
        self.in_assert -= 1

    def visit_Import(self, node: ast.Import) -> None:
        scope = self.calls_here
        for alias in node.names:
            if alias.asname:
                self.aliases[alias.asname] = alias.name
                if scope is not None:
                    scope.imports[alias.asname] = alias.name
            else:
                head = alias.name.partition(".")[0]
                self.aliases[head] = head
                if scope is not None:
                    scope.imports[head] = head

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        scope = self.calls_here
        if scope is not None:
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name != "*":
                    joined = f"{written}.{alias.name}" if node.module else written + alias.name
                    scope.imports[alias.asname or alias.name] = joined
        if node.level or not node.module:
            return
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def visit_Assign(self, node: ast.Assign) -> None:
        binds = self.calls_here is not None
        handlers = _HANDLERS
        for value in node.targets:
            kind = type(value)
            if binds and kind in _BINDING_TARGETS:
                self.bind(value)
            if kind is ast.Name:
                name = value.id  # type: ignore[attr-defined]
                if name == "__slots__" and self.scope:
                    self.idiom("slots", node.lineno, f"`__slots__` in `{'.'.join(self.scope)}`")
                elif name == "__all__" and not self.scope:
                    self.idiom("all", node.lineno, "`__all__` declares the public names")
            elif kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)
        value = node.value
        kind = type(value)
        if kind not in _NOT_NODES:
            handler = handlers.get(kind)
            if handler is not None:
                handler(self, value)
            elif isinstance(value, ast.AST):
                self.generic(value)

    def visit_Call(self, node: ast.Call) -> None:
        # The callee's chain of attributes is walked once, for the risks, the calls and the
        # visit of what it is taken from; ``check_call`` sees only calls whose last name may
        # be risky.
        scope = self.calls_here
        handlers = _HANDLERS
        func = node.func
        kind = type(func)
        if kind is ast.Name:
            name = func.id  # type: ignore[attr-defined]
            if name in _RISKY_LAST_NAMES or name in self.aliases:
                self.check_call(node)
            if scope is not None and name != "super":  # ``super()`` of ``super().m()``
                callees = scope.callees
                callees[name] = callees.get(name, 0) + 1
        elif kind is ast.Attribute:
            # The attributes' part of the callee's name (``b.m`` of ``a.b.m``), built as the
            # chain is walked: most chains are one attribute long.
            attributes = func.attr  # type: ignore[attr-defined]
            value = func.value  # type: ignore[attr-defined]
            while type(value) is ast.Attribute:
                attributes = f"{value.attr}.{attributes}"  # type: ignore[attr-defined]
                value = value.value  # type: ignore[attr-defined]
            if type(value) is ast.Name:
                if func.attr in _RISKY_LAST_NAMES:  # type: ignore[attr-defined]
                    self.check_call(node)
                if scope is not None:
                    callee = f"{value.id}.{attributes}"  # type: ignore[attr-defined]
                    callees = scope.callees
                    callees[callee] = callees.get(callee, 0) + 1
            else:
                if type(value) is ast.Call:  # else ``dotted`` names no callee: no risk
                    self.check_call(node)
                if scope is not None:
                    inner = getattr(value, "func", None)
                    if (
                        type(value) is ast.Call
                        and func.value is value  # type: ignore[attr-defined]
                        and type(inner) is ast.Name
                        and inner.id == "super"  # type: ignore[union-attr]
                    ):
                        callee = CALL_SUPER + attributes
                        callees = scope.callees
                        callees[callee] = callees.get(callee, 0) + 1
                    else:
                        scope.unplaced += 1
                kind = type(value)
                if kind not in _NOT_NODES:
                    handler = handlers.get(kind)
                    if handler is not None:
                        handler(self, value)
                    elif isinstance(value, ast.AST):
                        self.generic(value)
        else:
            if kind is ast.Call:  # ``f()()``, named after ``f``; other callees have no name
                self.check_call(node)
            if scope is not None:
                scope.unplaced += 1  # a call on a call's result, a subscript, a lambda...
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, func)
                elif isinstance(func, ast.AST):
                    self.generic(func)
        for value in node.args:
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)
        for keyword in node.keywords:
            value = keyword.value
            kind = type(value)
            if kind not in _NOT_NODES:
                handler = handlers.get(kind)
                if handler is not None:
                    handler(self, value)
                elif isinstance(value, ast.AST):
                    self.generic(value)

    def check_call(self, node: ast.Call) -> None:
        func = node.func
        # Most calls are not risky: reject them by their last name before resolving it.
        base = func
        while type(base) is ast.Attribute:
            base = base.value
        if type(base) is ast.Name:
            last = func.attr if type(func) is ast.Attribute else self.aliases.get(base.id, base.id)
            if last.rpartition(".")[2] not in _RISKY_LAST_NAMES:
                return
        name = self.resolve(func)
        # A callee taken from a call's result (``f().g()``) is named after that call's callee
        # (``dotted``): rejected here by its last name, which every risky name below ends in
        # (``_UNPICKLING`` too).
        if name.rpartition(".")[2] not in _RISKY_LAST_NAMES:
            return
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if name in RISKY_CALLS:
            code, message = RISKY_CALLS[name]
            if code == "B324" and _is_false(keywords.get("usedforsecurity")):
                return
            self.risk(code, node.lineno, f"`{name}`: {message}")
        elif name == "yaml.load":
            loader = keywords.get("Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or not dotted(loader).endswith(_YAML_SAFE_LOADERS):
                self.risk("B506", node.lineno, "`yaml.load` without a safe loader")
        elif name in _SUBPROCESS:
            shell = keywords.get("shell")
            if shell is not None and not _is_false(shell):
                self.risk("B602", node.lineno, f"`{name}` with `shell=True`")
        elif (
            type(func) is ast.Attribute
            and func.attr in _UNPICKLING
            and type(base) is ast.Name
            and base.id not in self.aliases
            and _names_pickle(func.value)
        ):
            # ``pickle_module.load(f)``, ``unpickler.load()``: no import says what the receiver
            # is (an imported one is known by its name above), its name does.
            self.risk(
                "B301",
                node.lineno,
                f"`{name}`: `{func.attr}` of a name containing “pickle”, likely unpickling "
                "(matched by name), which can run arbitrary code",
            )

    def decorators(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, where: str
    ) -> list[str]:
        """Record the idioms of a definition's decorators (``where``: its qualname); their
        names, resolved."""
        names = []
        for decorator in node.decorator_list:
            name = self.resolve(decorator)
            names.append(name)
            short = name.rpartition(".")[2]
            line = decorator.lineno
            if short in ("dataclass", "define", "frozen") or name in ("attr.s", "attrs.define"):
                self.idiom("dataclass", line, f"`{where}` is a dataclass")
            elif short in ("property", "cached_property") or short in ("setter", "getter"):
                self.idiom("property", line, f"`{where}` is a property")
            elif short in ("classmethod", "staticmethod"):
                self.idiom("classmethod", line, f"`{where}` is a {short}")
            elif short == "abstractmethod":
                self.idiom("abstractmethod", line, f"`{where}` is abstract")
            elif short in ("contextmanager", "asynccontextmanager"):
                self.idiom("context-manager", line, f"`{where}` is a context manager")
            elif short in ("cache", "lru_cache"):
                self.idiom("cache", line, f"`{where}` is memoised")
            elif short == "overload":
                self.idiom("overload", line, f"`{where}` is an overload")
            elif name:
                self.idiom("decorator", line, f"`@{name}` on `{where}`")
        return names

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # Decorators, defaults and annotations belong to no function's complexity in radon.
        outer_frame = self.frame
        self.frame = None
        self.visit_all(node.decorator_list)
        parameters = self.visit_arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        qualname = ".".join([*self.scope, node.name])
        decorators = self.decorators(node, qualname) if node.decorator_list else []
        self.docstring(node, qualname)
        if type(node) is ast.AsyncFunctionDef:
            self.idiom("async", node.lineno, f"`{qualname}` is async")
        calls = self.enter_function(node, decorators, parameters)
        frame = self.frame = _Frame()
        self.scope.append(node.name)
        self.visit_all(node.body)
        self.scope.pop()
        self.frame = outer_frame
        self.leave_body()
        written, unresolved = _written_calls(calls, self.call_scopes)
        self.facts.calls.append(WrittenCalls(qualname, node.lineno, written, unresolved))
        if frame.yields:
            self.idiom("generator", node.lineno, f"`{qualname}` is a generator")
        end = node.end_lineno or node.lineno
        self.facts.functions.append(FunctionFacts(qualname, node.lineno, end, frame.complexity))

    def enter_function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        decorators: list[str],
        parameters: list[str],
    ) -> _CallScope:
        """Open a function body's scope: its name bound where it is defined, its parameters
        bound in it, its receiver named when it is a method."""
        enclosing = self.calls_here
        if enclosing is not None:
            enclosing.defs.add(node.name)
        args = node.args
        receiver = ""
        call_scopes = self.call_scopes
        if call_scopes and call_scopes[-1] is None and "staticmethod" not in decorators:
            positional = args.posonlyargs or args.args
            receiver = positional[0].arg if positional else ""
        scope = _CallScope(receiver)
        scope.stores.update(parameters)
        call_scopes.append(scope)
        self.calls_here = scope
        return scope

    def leave_body(self) -> None:
        self.call_scopes.pop()
        self.calls_here = self.call_scopes[-1] if self.call_scopes else None

    def docstring(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, qualname: str):
        text = docstring_of(node)
        if self.assigned:
            end = node.end_lineno or node.lineno
            for line, assigned in self.assigned.get(qualname, ()):
                if line > end:
                    text = assigned
        params: tuple[SignatureParam, ...] = ()
        # The parameters a docstring's table shows annotations and defaults of: its own
        # when it names parameters, an ``__init__``'s for its class's docstring.
        if (
            not isinstance(node, ast.ClassDef)
            and self.lines is not None
            and (node.name == "__init__" or (text and any(w in text for w in PARAMETER_WORDS)))
        ):
            params = tuple(signature_parameters(node.args, self.lines))
        if text or params:
            self.facts.docstrings.append(DocFact(qualname, node.lineno, text or "", params))

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        outer_frame = self.frame
        self.frame = None
        self.visit_all((*node.decorator_list, *node.bases, *node.keywords))
        qualname = ".".join([*self.scope, node.name])
        self.decorators(node, qualname)
        self.docstring(node, qualname)
        self.class_idioms(node, qualname)
        if self.calls_here is not None:
            self.calls_here.defs.add(node.name)
        # A class body: its names are not its methods' to see, its calls no function's.
        self.call_scopes.append(None)
        self.calls_here = None
        self.scope.append(node.name)
        self.visit_all(node.body)
        self.scope.pop()
        self.leave_body()
        self.frame = outer_frame

    def class_idioms(self, node: ast.ClassDef, qualname: str) -> None:
        bases = [self.resolve(base).rpartition(".")[2] for base in node.bases]
        line = node.lineno
        if any(base in _ENUM_BASES for base in bases):
            self.idiom("enum", line, f"`{qualname}` is an enumeration")
        if "ABC" in bases:
            self.idiom("abc", line, f"`{qualname}` is an abstract base class")
        for base in bases:
            if base in _TYPING_BASES:
                self.idiom("protocol", line, f"`{qualname}` is a {_TYPING_BASES[base]}")
        for keyword in node.keywords:
            if keyword.arg == "metaclass":
                meta = self.resolve(keyword.value)
                if meta.rpartition(".")[2] == "ABCMeta":
                    self.idiom("abc", line, f"`{qualname}` is an abstract base class")
                else:
                    self.idiom("metaclass", line, f"`{qualname}` uses metaclass `{meta}`")
        methods = {
            child.name
            for child in node.body
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
        }
        if {"__enter__", "__exit__"} <= methods or {"__aenter__", "__aexit__"} <= methods:
            self.idiom("context-manager", line, f"`{qualname}` is a context manager")


def _handler_table() -> dict[type, Callable[[_Walker, Any], None]]:
    """Each node type's handler; a type not here is walked by ``generic``."""
    handlers: dict[type, Callable[[_Walker, Any], None]] = {
        ast.Try: _Walker.visit_Try,
        ast.BoolOp: _Walker.visit_BoolOp,
        ast.IfExp: _Walker.visit_IfExp,
        ast.For: _Walker.visit_loop,
        ast.AsyncFor: _Walker.visit_loop,
        ast.While: _Walker.visit_loop,
        ast.comprehension: _Walker.visit_comprehension,
        ast.Global: _Walker.visit_scope_statement,
        ast.Nonlocal: _Walker.visit_scope_statement,
        ast.NamedExpr: _Walker.visit_NamedExpr,
        ast.Yield: _Walker.visit_yield,
        ast.YieldFrom: _Walker.visit_yield,
        ast.With: _Walker.visit_with,
        ast.AsyncWith: _Walker.visit_with,
        ast.AnnAssign: _Walker.visit_target_statement,
        ast.AugAssign: _Walker.visit_target_statement,
        ast.ExceptHandler: _Walker.visit_ExceptHandler,
        ast.Lambda: _Walker.visit_Lambda,
        ast.If: _Walker.visit_If,
        ast.Assert: _Walker.visit_Assert,
        ast.Import: _Walker.visit_Import,
        ast.ImportFrom: _Walker.visit_ImportFrom,
        ast.Assign: _Walker.visit_Assign,
        ast.Call: _Walker.visit_Call,
        ast.FunctionDef: _Walker.visit_FunctionDef,
        ast.AsyncFunctionDef: _Walker.visit_FunctionDef,
        ast.ClassDef: _Walker.visit_ClassDef,
        # The commonest nodes, with their children named rather than found by ``generic``
        # (the same children, in the same order).
        ast.Attribute: _Walker.visit_Attribute,
        ast.Expr: _Walker.visit_value,
        ast.Return: _Walker.visit_value,
        ast.keyword: _Walker.visit_value,
        ast.Starred: _Walker.visit_value,
        ast.Await: _Walker.visit_value,
        ast.UnaryOp: _Walker.visit_UnaryOp,
        ast.Compare: _Walker.visit_Compare,
    }
    for node_type in _CHILDREN:
        handlers.setdefault(node_type, _Walker.visit_children)
    match_node = getattr(ast, "Match", None)
    if match_node is not None:
        handlers[match_node] = _Walker.visit_Match
        for capture in ("MatchAs", "MatchStar", "MatchMapping"):
            handlers[getattr(ast, capture)] = _Walker.visit_capture
    return handlers


_HANDLERS = _handler_table()


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, None, 0)


def page_facts(
    tree: ast.Module | None, text: str = "", lines: list[str] | None = None
) -> PageFacts:
    """Facts of one parsed file (``text``: its decoded source, where its notes are read;
    ``lines``: its lines, when the caller split them already); an empty, unparsed PageFacts
    when there is no tree."""
    if tree is None:
        return PageFacts()
    walker = _Walker()
    if text:
        walker.lines = LineList(lines if lines is not None else text.split("\n"))
    for qualname, line, assigned in module_doc_updates(tree.body):
        if assigned is not None:
            walker.assigned.setdefault(qualname, []).append((line, assigned))
    try:
        walker.visit_all(tree.body)
    except RecursionError:
        # Pathologically deep nesting: keep what was learnt, the page says it is partial.
        walker.facts.parsed = False
    facts = walker.facts
    if text and not docstring_of(tree):
        # Without a docstring, what the file is for is read from its notes.
        facts.notes = [
            note
            for note in module_notes(text, tree)
            if note.origin is not NoteOrigin.ATTRIBUTE_DOCSTRING
        ]
    facts.functions.sort(key=lambda f: (f.line, f.qualname))
    facts.risks.sort(key=lambda f: (f.line, f.code, f.message))
    facts.idioms.sort(key=lambda f: (f.line, f.code, f.message))
    return facts


def iter_longest(facts: PageFacts, count: int) -> Iterator[FunctionFacts]:
    """The ``count`` longest functions, longest first (ties by line)."""
    yield from sorted(facts.functions, key=lambda f: (-f.length, f.line))[:count]


def iter_most_complex(facts: PageFacts, count: int) -> Iterator[FunctionFacts]:
    """The ``count`` most complex functions, most complex first (ties by line)."""
    yield from sorted(facts.functions, key=lambda f: (-f.complexity, f.line))[:count]


_FUNCTION_KINDS = frozenset({Kind.FUNCTION, Kind.METHOD, Kind.PROPERTY})


def with_calls(record: FileRecord, facts: PageFacts) -> FileRecord:
    """The record with the calls its page facts read put into its functions' keywords, and
    ``calls_known`` set (whatever the facts found: a file that does not parse has none)."""
    found = {(c.qualname, c.line): c for c in facts.calls}
    if found:
        replace = msgspec.structs.replace
        keywords = []
        for keyword in record.keywords:
            if keyword.kind in _FUNCTION_KINDS:
                calls = found.get((keyword.qualname, keyword.line))
                if calls is not None and (calls.calls or calls.unresolved):
                    keyword = replace(keyword, calls=calls.calls, unresolved_calls=calls.unresolved)
            keywords.append(keyword)
        record.keywords = keywords
    record.calls_known = True
    return record
