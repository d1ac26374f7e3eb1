"""Python's scoping rules over a parsed buffer: which binding (parameter, assignment, loop or
``with`` target, import, nested def...) a name at a position refers to. Pure functions over
``ast`` (the code is parsed, never run); a parse is cached per text."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field, replace

# Kinds of bindings: how the name got its value.
PARAM, ASSIGN, IMPORT, DEF, CLASS = "param", "assign", "import", "def", "class"
_SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# A reader hovers around one function at a time; each parse kept holds its whole AST.
_MAX_CACHED = 8


@dataclass(frozen=True)
class Binding:
    """Where a name is bound: 1-based line, code point column of the name, and how."""

    name: str
    line: int
    col: int
    kind: str
    scope: str
    """``module``, ``class``, ``function``, ``lambda`` or ``comprehension``."""
    node: ast.AST | None = field(default=None, compare=False, repr=False)
    """The binding statement or parameter (for cheap typing: ``x = Cls()``, ``x: Cls``)."""
    owner: ast.AST | None = field(default=None, compare=False, repr=False)
    """The def, class or lambda whose scope holds the binding (None at module level)."""
    after: str | None = field(default=None, compare=False, repr=False)
    """Not None while (line, col) is the start of the statement, not the name: the name is
    the first whole word ``name`` there, after this keyword when not empty."""
    statement: ast.AST | None = field(default=None, compare=False, repr=False)
    """The innermost statement (or ``except``/``case`` clause) whose execution binds it."""


@dataclass
class Scope:
    """One namespace of the file and the spans of source that belong to it."""

    kind: str
    node: ast.AST | None
    parent: Scope | None
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    """(start, end) of the regions of code evaluated in this scope, as (line, byte column)."""
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    children: list[Scope] = field(default_factory=list)

    def contains(self, point: tuple[int, int]) -> bool:
        return any(start <= point < end for start, end in self.spans)


@dataclass
class Parsed:
    """The module scope of parsed source, its lines, whether a star import may bind any name,
    and how many lines of the file come before the source's first line."""

    module: Scope
    lines: list[str]
    star_import: bool
    offset: int = 0
    tree: ast.Module | None = field(default=None, repr=False)


_cache: dict[tuple[str, int], Parsed | None] = {}


def parse(text: str, offset: int = 0) -> Parsed | None:
    """The scopes of Python source (a whole buffer, or a part of one starting after ``offset``
    lines: bindings and look-ups use the file's line numbers); None when it does not parse.
    The last few parses are cached."""
    key = (text, offset)
    if key in _cache:
        return _cache[key]
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        result = None
    else:
        lines = text.split("\n")
        builder = _Builder(lines, offset)
        try:
            builder.build(tree)
        except RecursionError:
            result = None
        else:
            result = Parsed(builder.module, lines, builder.star_import, offset, tree)
    if len(_cache) >= _MAX_CACHED:
        _cache.pop(next(iter(_cache)))
    _cache[key] = result
    return result


def fragment(lines: list[str], first: int, last: int) -> tuple[str, int]:
    """Source and offset to parse lines ``first``..``last`` (1-based) of a file on their own."""
    return part_source(lines[first - 1 : last], first)


def part_source(part: list[str], first: int) -> tuple[str, int]:
    """Source and offset to parse ``part``, the lines of a file from 1-based ``first`` on: an
    indented block (a method) is wrapped so that it parses at its own columns."""
    head = part[0] if part else ""
    if head[:1] in (" ", "\t"):
        return "if 1:\n" + "\n".join(part), first - 2
    return "\n".join(part), first - 1


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    end_line = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
    end_col = getattr(node, "end_col_offset", None)
    if end_col is None:
        end_col = node.col_offset  # type: ignore[attr-defined]
    return (node.lineno, node.col_offset), (end_line, end_col)  # type: ignore[attr-defined]


class _Builder:
    """Walks a module once, building the scope tree and every binding of each scope."""

    def __init__(self, lines: list[str], offset: int) -> None:
        self.lines = lines
        self.offset = offset
        self.module = Scope("module", None, None, [((0, 0), (len(lines) + 2, 0))])
        self.star_import = False
        self.statement: ast.AST | None = None

    def build(self, tree: ast.Module) -> None:
        for statement in tree.body:
            self.visit(statement, self.module)

    # ---- positions ------------------------------------------------------------------------

    def _col(self, line: int, byte_col: int) -> int:
        """Code point column of a UTF-8 byte column on a 1-based line."""
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    def bind(
        self,
        scope: Scope,
        name: str,
        line: int,
        col: int,
        kind: str,
        node: ast.AST | None,
        after: str | None = None,
    ) -> None:
        if name in scope.nonlocals:
            return  # bound in an enclosing function: that binding is the one to find
        if name in scope.globals:
            scope = self.module
        binding = Binding(
            name, line + self.offset, col, kind, scope.kind, node, scope.node, after, self.statement
        )
        scope.bindings.setdefault(name, []).append(binding)

    def bind_node(self, scope: Scope, node: ast.AST, name: str, kind: str, statement: ast.AST):
        """A binding whose name starts at ``node``'s own position (Name, arg)."""
        line = node.lineno  # type: ignore[attr-defined]
        self.bind(scope, name, line, self._col(line, node.col_offset), kind, statement)  # type: ignore[attr-defined]

    def bind_found(
        self, scope: Scope, name: str, node: ast.AST, kind: str, statement: ast.AST, after: str = ""
    ) -> None:
        """A binding whose name's position the AST does not give (def, class, except, as): the
        node's start for now, the name itself found in the text once it is the answer."""
        line = node.lineno  # type: ignore[attr-defined]
        self.bind(scope, name, line, self._col(line, node.col_offset), kind, statement, after)  # type: ignore[attr-defined]

    # ---- walking --------------------------------------------------------------------------

    def targets(self, target: ast.AST, scope: Scope, statement: ast.AST) -> None:
        """Bind the names of an assignment target; visit the expressions inside it."""
        if isinstance(target, ast.Name):
            self.bind_node(scope, target, target.id, ASSIGN, statement)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self.targets(element, scope, statement)
        elif isinstance(target, ast.Starred):
            self.targets(target.value, scope, statement)
        else:  # attribute or subscript: uses, not bindings
            self.visit(target, scope)

    def visit(self, node: ast.AST, scope: Scope) -> None:
        kind = type(node)
        if kind in _LEAVES:
            return
        if kind in _READ_ONLY and not self._may_hold_scope(node):
            return  # an expression that binds nothing and opens no scope: nothing to learn
        if kind in _STATEMENT_LIKE:
            outer, self.statement = self.statement, node
            try:
                self._dispatch(kind, node, scope)
            finally:
                self.statement = outer
            return
        self._dispatch(kind, node, scope)

    def _dispatch(self, kind: type, node: ast.AST, scope: Scope) -> None:
        method = _VISITORS.get(kind)
        if method is not None:
            method(self, node, scope)
        else:
            self.generic(node, scope)

    def _may_hold_scope(self, node: ast.AST) -> bool:
        """Whether an expression may hold a walrus, a lambda or a comprehension (the only
        expressions that bind or open a scope), by its text: most hold none, and skipping
        them saves walking most of the tree."""
        ctx = getattr(node, "ctx", None)
        if ctx is not None and type(ctx) is not ast.Load:
            return True  # an assignment target: its names are bound
        lines = self.lines
        first = node.lineno  # type: ignore[attr-defined]
        last = node.end_lineno or first  # type: ignore[attr-defined]
        for number in range(first - 1, min(last, len(lines))):
            text = lines[number]
            if ":=" in text or "lambda" in text or "for" in text:
                return True
        return False

    def generic(self, node: ast.AST, scope: Scope) -> None:
        # ast.iter_child_nodes, inlined: this loop runs for every node of the source.
        visit = self.visit
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        visit(item, scope)
            elif isinstance(value, ast.AST):
                visit(value, scope)

    def visit_Name(self, node: ast.Name, scope: Scope) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.bind_node(scope, node, node.id, ASSIGN, node)

    def visit_Assign(self, node: ast.Assign, scope: Scope) -> None:
        self.visit(node.value, scope)
        for target in node.targets:
            self.targets(target, scope, node)

    def visit_AnnAssign(self, node: ast.AnnAssign, scope: Scope) -> None:
        self.visit(node.annotation, scope)
        if node.value is not None:
            self.visit(node.value, scope)
        self.targets(node.target, scope, node)

    def visit_AugAssign(self, node: ast.AugAssign, scope: Scope) -> None:
        # ``x += 1`` rebinds x, but the binding a reader wants is the one that gave it a value.
        self.visit(node.value, scope)
        if not isinstance(node.target, ast.Name):
            self.visit(node.target, scope)

    def visit_NamedExpr(self, node: ast.NamedExpr, scope: Scope) -> None:
        self.visit(node.value, scope)
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent  # a walrus in a comprehension binds in the enclosing scope
        self.bind_node(target, node.target, node.target.id, ASSIGN, node)

    def _loop(self, node: ast.For | ast.AsyncFor, scope: Scope) -> None:
        self.visit(node.iter, scope)
        self.targets(node.target, scope, node)
        for statement in node.body + node.orelse:
            self.visit(statement, scope)

    visit_For = visit_AsyncFor = _loop

    def _with(self, node: ast.With | ast.AsyncWith, scope: Scope) -> None:
        for item in node.items:
            self.visit(item.context_expr, scope)
            if item.optional_vars is not None:
                self.targets(item.optional_vars, scope, item)
        for statement in node.body:
            self.visit(statement, scope)

    visit_With = visit_AsyncWith = _with

    def visit_ExceptHandler(self, node: ast.ExceptHandler, scope: Scope) -> None:
        if node.type is not None:
            self.visit(node.type, scope)
        if node.name:
            self.bind_found(scope, node.name, node, ASSIGN, node, after="as")
        for statement in node.body:
            self.visit(statement, scope)

    def _import(self, node: ast.Import | ast.ImportFrom, scope: Scope) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star_import = True
                continue
            name = alias.asname or alias.name.split(".", 1)[0]
            if alias.asname:
                self.bind_found(scope, name, alias, IMPORT, node, after="as")
            else:
                self.bind_found(scope, name, alias, IMPORT, node)

    visit_Import = visit_ImportFrom = _import

    def visit_Global(self, node: ast.Global, scope: Scope) -> None:
        scope.globals.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal, scope: Scope) -> None:
        scope.nonlocals.update(node.names)

    def visit_MatchAs(self, node: ast.MatchAs, scope: Scope) -> None:
        if node.pattern is not None:
            self.visit(node.pattern, scope)
        if node.name:
            self.bind_found(scope, node.name, node, ASSIGN, node)

    def visit_MatchStar(self, node: ast.MatchStar, scope: Scope) -> None:
        if node.name:
            self.bind_found(scope, node.name, node, ASSIGN, node)

    def visit_MatchMapping(self, node: ast.MatchMapping, scope: Scope) -> None:
        self.generic(node, scope)
        if node.rest:  # ``**rest`` comes after every key pattern
            start = node.patterns[-1] if node.patterns else node
            self.bind_found(scope, node.rest, start, ASSIGN, node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator, scope)
        self._defaults_and_annotations(node.args, scope)
        if node.returns is not None:
            self.visit(node.returns, scope)
        self.bind_found(scope, node.name, node, DEF, node, after="def")
        inner = self._child("function", node, scope)
        inner.spans.append(_body_span(node))
        self._parameters(node.args, inner, node)
        for statement in node.body:
            self.visit(statement, inner)

    visit_FunctionDef = visit_AsyncFunctionDef = _function

    def visit_Lambda(self, node: ast.Lambda, scope: Scope) -> None:
        self._defaults_and_annotations(node.args, scope)
        inner = self._child("lambda", node, scope)
        inner.spans.append(_span(node.body))
        self._parameters(node.args, inner, node)
        self.visit(node.body, inner)

    def visit_ClassDef(self, node: ast.ClassDef, scope: Scope) -> None:
        for expression in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(expression, scope)
        self.bind_found(scope, node.name, node, CLASS, node, after="class")
        inner = self._child("class", node, scope)
        inner.spans.append(_body_span(node))
        for statement in node.body:
            self.visit(statement, inner)

    def _comprehension(self, node: ast.AST, scope: Scope) -> None:
        generators: list[ast.comprehension] = node.generators  # type: ignore[attr-defined]
        # The first iterable is evaluated in the enclosing scope, the rest inside.
        self.visit(generators[0].iter, scope)
        inner = self._child("comprehension", node, scope)
        start, end = _span(node)
        hole = _span(generators[0].iter)  # positions there belong to the enclosing scope
        inner.spans += [(start, hole[0]), (hole[1], end)]
        for number, generator in enumerate(generators):
            self.targets(generator.target, inner, generator)
            if number:
                self.visit(generator.iter, inner)
            for condition in generator.ifs:
                self.visit(condition, inner)
        if isinstance(node, ast.DictComp):
            self.visit(node.key, inner)
            self.visit(node.value, inner)
        else:
            self.visit(node.elt, inner)  # type: ignore[attr-defined]

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def _child(self, kind: str, node: ast.AST, scope: Scope) -> Scope:
        child = Scope(kind, node, scope)
        scope.children.append(child)
        return child

    def _defaults_and_annotations(self, args: ast.arguments, scope: Scope) -> None:
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.visit(default, scope)
        for arg in _all_args(args):
            if arg.annotation is not None:
                self.visit(arg.annotation, scope)

    def _parameters(self, args: ast.arguments, inner: Scope, owner: ast.AST) -> None:
        for arg in _all_args(args):
            self.bind_node(inner, arg, arg.arg, PARAM, arg)
            # The parameter's own name belongs to the function's scope (not its annotation).
            start = (arg.lineno, arg.col_offset)
            inner.spans.append((start, (arg.lineno, arg.col_offset + len(arg.arg.encode()))))


# Nodes that hold no binding and nothing that could (names read, literals, operators).
_LEAVES = frozenset(
    {ast.Constant, ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue}
    | {type(op) for op in (ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), ast.Eq(), ast.NotEq())}
)
# Expressions that bind nothing themselves: skipped whole when their text shows no walrus,
# lambda or comprehension inside.
_READ_ONLY = frozenset(
    {
        ast.Call,
        ast.Attribute,
        ast.BinOp,
        ast.BoolOp,
        ast.Compare,
        ast.UnaryOp,
        ast.Subscript,
        ast.JoinedStr,
        ast.FormattedValue,
        ast.Dict,
        ast.Set,
        ast.List,
        ast.Tuple,
        ast.IfExp,
        ast.Await,
        ast.Yield,
        ast.YieldFrom,
        ast.Starred,
        ast.Slice,
    }
)
# Nodes whose execution binds what is bound inside them (beside their nested statements).
_STATEMENT_LIKE = frozenset(
    {cls for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.stmt)}
    | {ast.ExceptHandler, ast.match_case}
)
_VISITORS = {
    getattr(ast, name[len("visit_") :]): function
    for name, function in vars(_Builder).items()
    if name.startswith("visit_") and name != "visit"
}


def _exact(parsed: Parsed, binding: Binding) -> Binding:
    """A binding at its name when the AST gave only its statement's start: the first whole
    word ``name`` there (after its keyword, when one is given), a few lines on."""
    if binding.after is None:
        return binding
    prefix = rf"\b{binding.after}\s+" if binding.after else ""
    pattern = re.compile(prefix + rf"\b({re.escape(binding.name)})\b")
    first = binding.line - parsed.offset
    for number in range(first, min(first + 8, len(parsed.lines)) + 1):
        text = parsed.lines[number - 1]
        match = pattern.search(text, binding.col if number == first else 0)
        if match:
            return replace(binding, line=number + parsed.offset, col=match.start(1), after=None)
    return replace(binding, after=None)


def _all_args(args: ast.arguments) -> list[ast.arg]:
    found = args.posonlyargs + args.args + args.kwonlyargs
    found += [a for a in (args.vararg, args.kwarg) if a is not None]
    return found


def _body_span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    body = node.body  # type: ignore[attr-defined]
    return _span(body[0])[0], _span(node)[1]


def scope_at(parsed: Parsed, line: int, byte_col: int) -> Scope:
    """The innermost scope whose code holds (1-based line of the parsed source, UTF-8 byte
    column)."""
    point = (line, byte_col)
    scope = parsed.module
    descended = True
    while descended:
        descended = False
        for child in scope.children:
            if child.contains(point):
                scope, descended = child, True
                break
    return scope


def _evaluated_first(node: ast.AST | None) -> ast.AST | None:
    """The part of a binding statement evaluated before its target is bound (``x = <value>``,
    ``for x in <iter>``): a use there sees the previous binding."""
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
        return node.value
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        return node.iter
    if isinstance(node, ast.withitem):
        return node.context_expr
    return None


def _pick(parsed: Parsed, bindings: list[Binding], line: int, col: int, byte_col: int) -> Binding:
    """The binding a use at (file line, code point column) most likely sees: the last one
    before it (the use itself when it is a binding), else the first (a loop or a later
    definition)."""
    point = (line - parsed.offset, byte_col)
    before = []
    for binding in bindings:
        if (binding.line, binding.col) > (line, col):
            continue
        value = _evaluated_first(binding.node)
        if value is not None and value is not binding.node:
            start, end = _span(value)
            if start <= point < end:
                continue  # ``n = n + 1``: the right side reads the previous n
        before.append(binding)
    return before[-1] if before else bindings[0]


def lookup(parsed: Parsed, name: str, line: int, col: int) -> Binding | None:
    """The binding ``name`` at (1-based line, code point column) refers to, by Python's rules
    (class bodies are not seen from their methods); None when nothing in the file binds it."""
    local = line - parsed.offset
    text = parsed.lines[local - 1] if 0 < local <= len(parsed.lines) else ""
    byte_col = col if text.isascii() else len(text[:col].encode("utf-8"))
    scope: Scope | None = scope_at(parsed, local, byte_col)
    first = scope
    while scope is not None:
        if name in scope.globals:
            scope = parsed.module
        elif name in scope.nonlocals:
            scope = scope.parent
            while scope is not None and scope.kind == "class":
                scope = scope.parent
            first = None
            continue
        found = scope.bindings.get(name)
        if found:
            return _exact(parsed, _pick(parsed, found, line, col, byte_col))
        scope = scope.parent
        # Names of a class body are seen only by code directly in it.
        while scope is not None and scope.kind == "class" and scope is not first:
            scope = scope.parent
    return None


# ---- which bindings reach a use ---------------------------------------------------------------

State = frozenset[int] | None
"""The bindings (by id of their node) a point of a scope's code may see; None: unreachable."""


def _union(*states: State) -> State:
    live = [s for s in states if s is not None]
    if not live:
        return None
    return frozenset().union(*live)


def _contains(node: ast.AST, point: tuple[int, int]) -> bool:
    start, end = _span(node)
    return start <= point < end


class _Flow:
    """The bindings of one name that reach one point of a scope's statements, following the
    order Python runs them: both branches of an ``if``, loops taken again, ``try`` handlers
    entered from anywhere in their body, ``return``/``break``/``raise`` ending a path, ``del``
    killing. Nested functions and classes are other scopes: only their own name binds here."""

    def __init__(self, bindings: list[Binding], point: tuple[int, int]) -> None:
        self.point = point
        self.by_statement: dict[int, list[Binding]] = {}
        for binding in bindings:
            if binding.statement is not None:
                self.by_statement.setdefault(id(binding.statement), []).append(binding)
        self.found: State = None
        self.reached = False
        self.loops: list[tuple[list[State], list[State]]] = []  # (breaks, continues)

    def capture(self, state: State) -> None:
        self.reached = True
        self.found = _union(self.found, state) if state is not None else self.found

    def bind(self, node: ast.AST, state: State) -> State:
        """The state after ``node``'s own bindings of the name (the last one wins)."""
        own = self.by_statement.get(id(node))
        if not own:
            return state
        return None if state is None else frozenset({id(own[-1])})

    def block(self, statements: list[ast.stmt], state: State) -> State:
        for statement in statements:
            state = self.statement(statement, state)
        return state

    def statement(self, node: ast.stmt, state: State) -> State:
        point = self.point
        inside = _contains(node, point)
        kind = type(node)
        if kind is ast.If:
            if inside and _contains(node.test, point):  # type: ignore[attr-defined]
                self.capture(state)
            state = self.bind(node, state)  # a walrus in the test
            return _union(self.block(node.body, state), self.block(node.orelse, state))  # type: ignore[attr-defined]
        if kind in (ast.For, ast.AsyncFor, ast.While):
            return self.loop(node, state, inside)
        if kind in (ast.Try, getattr(ast, "TryStar", ast.Try)):
            return self.try_(node, state)  # type: ignore[arg-type]
        if kind in (ast.With, ast.AsyncWith):
            items = node.items  # type: ignore[attr-defined]
            if inside and any(_contains(item.context_expr, point) for item in items):
                self.capture(state)
            return self.block(node.body, self.bind(node, state))  # type: ignore[attr-defined]
        if kind is ast.Match:
            if inside and _contains(node.subject, point):  # type: ignore[attr-defined]
                self.capture(state)
            ends: list[State] = []
            for case in node.cases:  # type: ignore[attr-defined]
                entered = self.bind(case, state)
                if _contains(case.pattern, point) or (
                    case.guard is not None and _contains(case.guard, point)
                ):
                    self.capture(entered)
                ends.append(self.block(case.body, entered))
            return _union(state, *ends)
        if kind in (ast.Return, ast.Raise):
            if inside:
                self.capture(state)
            return None
        if kind in (ast.Break, ast.Continue):
            if self.loops:
                self.loops[-1][0 if kind is ast.Break else 1].append(state)
            return None
        if kind is ast.Delete:
            if inside:
                self.capture(state)
            own = self.by_statement.get(id(node))
            return frozenset() if own is not None and state is not None else state
        if kind in (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            # Decorators, defaults and bases run here; the body is another scope.
            if inside and not _contains_body(node, point):
                self.capture(state)
            return self.bind(node, state)
        if inside:
            self.capture(state)
        return self.bind(node, state)

    def loop(self, node: ast.stmt, state: State, inside: bool) -> State:
        point = self.point
        header = node.iter if isinstance(node, (ast.For, ast.AsyncFor)) else node.test  # type: ignore[attr-defined]
        head: State = state
        end: State = None
        breaks: list[State] = []
        for _pass in range(2):  # the second pass sees what the body binds for the next turn
            self.loops.append(([], []))
            if inside and _contains(header, point):
                self.capture(head)
            entered = self.bind(node, head)
            end = self.block(node.body, entered)  # type: ignore[attr-defined]
            breaks, continues = self.loops.pop()
            head = _union(state, end, *continues)
        else_state = self.block(node.orelse, head)  # type: ignore[attr-defined]
        return _union(else_state, *breaks)

    def try_(self, node: ast.Try, state: State) -> State:
        seen: list[State] = [state]
        current = state
        for statement in node.body:
            current = self.statement(statement, current)
            seen.append(current)
        anywhere = _union(*seen)
        ends = [self.block(node.orelse, current)]
        for handler in node.handlers:
            entered = self.bind(handler, anywhere)
            if handler.type is not None and _contains(handler.type, self.point):
                self.capture(anywhere)
            ends.append(self.block(handler.body, entered))
        after = _union(*ends)
        if node.finalbody:
            # ``finally`` runs on every way out, the exceptional ones too.
            entered = _union(after, anywhere)
            finished = self.block(node.finalbody, entered)
            return None if after is None else finished
        return after


def _contains_body(node: ast.AST, point: tuple[int, int]) -> bool:
    body = getattr(node, "body", None)
    return bool(body) and _body_span(node)[0] <= point < _span(node)[1]


def exact_binding(parsed: Parsed, binding: Binding) -> Binding:
    """A binding at its name's own position (the AST gives a statement's start for some)."""
    return _exact(parsed, binding)


def reaching(parsed: Parsed, name: str, line: int, col: int) -> list[Binding]:
    """Every binding of ``name`` that can reach the use at (1-based file line, code point
    column): in the use's own scope, those the flow of its statements lets through (both
    branches of an ``if``, the previous turn of a loop...); in an enclosing scope, all of them
    (a nested function may run at any time). At a binding itself, that binding. [] when
    nothing in the parsed source binds the name."""
    first = lookup(parsed, name, line, col)
    if first is None:
        return []
    local = line - parsed.offset
    text = parsed.lines[local - 1] if 0 < local <= len(parsed.lines) else ""
    byte_col = col if text.isascii() else len(text[:col].encode("utf-8"))
    scope = scope_at(parsed, local, byte_col)
    owner = _owner_scope(parsed, scope, name)
    if owner is None:
        return [first]
    bindings = owner.bindings.get(name, [])
    if (first.line, first.col) == (line, col) or len(bindings) <= 1:
        return [first]
    if owner is not scope:
        return [_exact(parsed, b) for b in bindings]
    body = _scope_body(parsed, owner)
    if body is None:
        return [first]
    flow = _Flow(bindings, (local, byte_col))
    # Parameters are bound before the body runs.
    flow.block(body, frozenset(id(b) for b in bindings if b.kind == PARAM))
    if not flow.reached or not flow.found:
        return [first]
    ids = flow.found
    return [_exact(parsed, b) for b in bindings if id(b) in ids] or [first]


def _owner_scope(parsed: Parsed, scope: Scope, name: str) -> Scope | None:
    """The scope whose binding of ``name`` a use in ``scope`` sees (Python's rules, as
    ``lookup`` follows them)."""
    first: Scope | None = scope
    current: Scope | None = scope
    while current is not None:
        if name in current.globals:
            current = parsed.module
        elif name in current.nonlocals:
            current = current.parent
            while current is not None and current.kind == "class":
                current = current.parent
            first = None
            continue
        if current.bindings.get(name):
            return current
        current = current.parent
        while current is not None and current.kind == "class" and current is not first:
            current = current.parent
    return None


def _scope_body(parsed: Parsed, scope: Scope) -> list[ast.stmt] | None:
    if scope.kind == "module":
        return parsed.tree.body if parsed.tree is not None else None
    if scope.kind in ("function", "class"):
        return getattr(scope.node, "body", None)
    return None  # lambdas and comprehensions hold expressions only
