"""Go to definition without type inference: Python's scopes over the block holding the cursor,
import paths, and receivers whose class is evident (``self``, ``x: Cls``, ``x = Cls()``). What
this cannot place is left to inference (kwdocs.inference). Reads workspace files that are not
open through kwdocs.textlines."""

from __future__ import annotations

import ast
import builtins
import os
import re

from kwdocs import scopes
from kwdocs.cursor import Word, chain_start, word_at
from kwdocs.model import FileRecord, Keyword
from kwdocs.resolve import (
    _ANSWER_KINDS,
    PRECISE,
    Candidate,
    Resolver,
    Workspace,
    _in_workspace,
    import_module_at,
    resolve_dotted,
)
from kwdocs.textlines import FileLines

_MAX_BASES = 24
_BUILTIN_NAMES = frozenset(dir(builtins))
# Bases that define nothing a workspace attribute could be (typing's markers, object).
_PLAIN_BASES = frozenset({"object", "Generic", "Protocol", "ABC", "NamedTuple", "TypedDict"})


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


def _stand_in(folder: Workspace, path: str, name: str, place: tuple[int, int]) -> list[Candidate]:
    line, col = place
    keyword = Keyword(name, name, "variable", line, col, col + len(name), line)
    return [Candidate(folder, path, keyword, PRECISE)]


_files = FileLines()


def _file_lines(folder: Workspace, path: str) -> list[str] | None:
    """The lines of a workspace file on disk (the last few read are kept)."""
    return _files.lines(os.path.join(str(folder.root), *path.split("/")))


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
    folders: list[Workspace],
    home: Workspace | None,
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
        outside = keyword.target and not _in_workspace(
            precise[0].folder.index, keyword.target, precise[0].path
        )
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
        self, folder: Workspace, record: FileRecord, lines: list[str], word: Word, line: int
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
        start = chain_start(word)
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
        folder: Workspace,
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
        self, folder: Workspace, record: FileRecord, lines: list[str], name: str, line: int
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
        self, folder: Workspace, record: FileRecord, keyword: Keyword
    ) -> list[Candidate] | None:
        """What ``from m import name`` imports: its workspace definition (or module), else
        the import itself when the module is not the workspace's; None when unsure."""
        found = resolve_dotted(folder.index, keyword.target.split("."), record.path)
        if found:
            return [Candidate(folder, path, k, PRECISE) for path, k in found]
        if not _in_workspace(folder.index, keyword.target, record.path):
            return [Candidate(folder, record.path, keyword, PRECISE)]
        return None

    def _imported(
        self, folder: Workspace, record: FileRecord, word: Word, line: int
    ) -> list[Candidate] | None:
        """A name bound by an import: its workspace definition, else the import itself."""
        found = self.resolver._resolve_in(folder, record, word, line)
        precise = [c for c in found if c.rank == PRECISE]
        if len(precise) == 1 and precise[0].keyword.kind not in ("import", "module"):
            return precise
        if len(precise) == 1 and precise[0].keyword.end_col == 0:
            return precise  # a module of the workspace
        target = self.resolver.bindings_of(record).get(word.segments[0])
        if target and not _in_workspace(folder.index, target, record.path):
            # Bound to something outside the workspace: the import line is all we know of a
            # name; nothing of the workspace for an attribute of it.
            if len(word.segments) == 1:
                return [c for c in precise if c.keyword.kind in ("import", "module")][:1] or None
            return []
        return None

    def _at(self, folder: Workspace, record: FileRecord, binding: scopes.Binding) -> Candidate:
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
        self, folder: Workspace, record: FileRecord, parsed: scopes.Parsed, binding: scopes.Binding
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
        folder: Workspace,
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
        if target and not _in_workspace(folder.index, target, record.path):
            return OUTSIDE  # logging.getLogger(), np.ndarray: a library's
        found = self.resolver._resolve_in(folder, record, Word(tuple(chain), 0, 0), None)
        classes = [c for c in found if c.rank == PRECISE and c.keyword.kind == "class"]
        if len(classes) == 1:
            return classes[0].path, classes[0].keyword
        return None

    def members(
        self,
        folder: Workspace,
        path: str,
        owner: Keyword,
        name: str,
        lines: list[str] | None = None,
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

    def _base(self, folder: Workspace, record: FileRecord, base: str) -> tuple[str, Keyword] | None:
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
