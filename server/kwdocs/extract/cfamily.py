"""C, C++ and CUDA keywords from tree-sitter's grammars: namespaces, classes, structs, unions,
enums and their enumerators, functions and methods (declarations and definitions), templates,
typedefs and ``using`` aliases, namespace-scope variables, macros, CUDA kernels and includes.

The walk visits declaration-level nodes only (translation unit, namespace and class bodies,
preprocessor groups, templates, linkage specifications), never function bodies or expressions,
with an explicit stack rather than recursion.

Export and attribute macros (``class TORCH_API ProcessGroup : public …``) are what tree-sitter
cannot know: without a preprocessor ``TORCH_API`` reads as the class name and the class body as
a function body. The first walk notes those macros where the tree shows them (a class head
whose "name" is a macro-shaped identifier followed by another identifier, or a declaration whose
"type" is one followed by an error); when a class head was misread the file is parsed again,
incrementally, with those macros blanked out — as a preprocessor defining them empty would —
at the same byte offsets, so every position and all source text still come from the original.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

import tree_sitter

from kwdocs.extract.result import LanguageResult
from kwdocs.extract.treesitter import (
    Grammar,
    Source,
    comments_above,
    encode,
    end_line,
    is_licence,
    one_line,
    parser,
    summarise_comments,
    syntax_problems,
)
from kwdocs.model import Keyword, Kind

_CLASS_KINDS = {
    "class_specifier": Kind.CLASS,
    "struct_specifier": Kind.STRUCT,
    "union_specifier": Kind.UNION,
    "enum_specifier": Kind.ENUM,
}
_RECORD_TYPES = frozenset({"class_specifier", "struct_specifier", "union_specifier"})
# Nodes whose named children are declarations of the same scope.
_GROUPS = frozenset(
    {
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
        "ERROR",
        "declaration_list",
    }
)
# Declarators that wrap the declared name: the name is their ``declarator`` (or only) child.
_WRAPPERS = frozenset(
    {
        "pointer_declarator",
        "reference_declarator",
        "array_declarator",
        "parenthesized_declarator",
        "attributed_declarator",
        "init_declarator",
    }
)
_NAMES = frozenset(
    {
        "identifier",
        "field_identifier",
        "type_identifier",
        "qualified_identifier",
        "destructor_name",
        "operator_name",
        "operator_cast",
        "template_function",
        "template_method",
    }
)
_BODIES = frozenset(
    {
        "compound_statement",
        "field_declaration_list",
        "enumerator_list",
        "declaration_list",
        "field_initializer_list",
        "try_statement",
    }
)
_MAX_DEPTH = 200
_MAX_PASSES = 3
_MAX_MACRO_ARGUMENTS = 4096


class Scope(enum.Enum):
    """Where a declaration sits: it decides method or function, and whether variables count."""

    NAMESPACE = "namespace"
    CLASS = "class"


@dataclass(frozen=True)
class _Context:
    qualname: str
    """The enclosing scope, ``::``-joined; empty at file scope."""
    scope: Scope


@dataclass
class _Name:
    """A declarator's name: the node to place, its text and the scope written before it."""

    node: tree_sitter.Node
    name: str
    written_scope: tuple[str, ...]
    is_function: bool
    is_destructor_or_constructor: bool = False


def _is_macro_name(text: bytes) -> bool:
    """``TORCH_API``, ``C10_HOST_DEVICE``: upper case, digits and underscores, two or more
    characters, one of them a letter."""
    if len(text) < 2 or not text.isupper():
        return False
    return text.replace(b"_", b"").isalnum() and not text[:1].isdigit()


def _identifier_follows(data: bytes, offset: int) -> bool:
    """Whether the next non-blank byte at ``offset`` starts an identifier."""
    size = len(data)
    while offset < size and data[offset] in b" \t\r\n\\":
        offset += 1
    if offset >= size:
        return False
    byte = data[offset]
    return byte == 0x5F or 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A or byte >= 0x80


class _Walker:
    """One walk over one tree; collects keywords and the attribute macros it meets."""

    def __init__(self, source: Source, grammar: Grammar) -> None:
        self.source = source
        self.grammar = grammar
        self.keywords: list[Keyword] = []
        self.classes: set[str] = set()
        self.attribute_macros: set[bytes] = set()
        """Macro-shaped names the tree shows where attributes go (``TORCH_API``)."""
        self.function_macros: set[bytes] = set()
        """Function-like ones (``C10_DEPRECATED_MESSAGE("…")``): blanked with their arguments."""
        self.misread: set[bytes] = set()
        """Those that broke a class apart: worth parsing the file again without them."""
        self.docstring = ""

    # -- the walk -------------------------------------------------------------------------

    def walk(self, root: tree_sitter.Node) -> None:
        top = _Context("", Scope.NAMESPACE)
        stack: list[tuple[Iterable[tree_sitter.Node], _Context]] = [
            (iter(root.named_children), top)
        ]
        while stack:
            children, context = stack[-1]
            node = next(children, None)
            if node is None:
                stack.pop()
                continue
            for body, inner in self._declaration(node, context, node):
                if len(stack) < _MAX_DEPTH:
                    stack.append((iter(body.named_children), inner))
        self.keywords.sort(key=lambda k: (k.line, k.col))
        self.docstring = self._file_docstring(root)

    def _declaration(
        self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        """Keywords of one declaration-level node; the bodies to walk next, with their scope.
        ``outer`` is the node the declaration starts at (its template head, if any)."""
        kind = node.type
        if kind in _GROUPS:
            if kind == "ERROR":
                self._note_function_macros(node)
            return [(node, context)]
        if kind == "expression_statement":
            self._note_macro_statement(node)
            return []
        if kind == "namespace_definition":
            return self._namespace(node, context)
        if kind == "template_declaration":
            inner = _template_inner(node)
            return [] if inner is None else self._declaration(inner, context, outer)
        if kind == "linkage_specification":
            body = node.child_by_field_name("body")
            if body is None:
                return []
            if body.type == "declaration_list":
                return [(body, context)]
            return self._declaration(body, context, outer)
        if kind in _CLASS_KINDS:
            return self._record(node, context, outer)
        if kind == "function_definition":
            return self._function_definition(node, context, outer)
        if kind in ("declaration", "field_declaration"):
            return self._plain_declaration(node, context, outer)
        if kind == "type_definition":
            return self._typedef(node, context, outer)
        if kind == "alias_declaration":
            self._alias(node, context, outer)
        elif kind == "preproc_def" or kind == "preproc_function_def":
            self._macro(node, context)
        elif kind == "preproc_include":
            self._include(node)
        elif kind == "field_declaration_list":
            return [(node, context)]
        return []

    # -- declarations ---------------------------------------------------------------------

    def _namespace(
        self, node: tree_sitter.Node, context: _Context
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        body = node.child_by_field_name("body")
        name_node = node.child_by_field_name("name")
        qualname = context.qualname
        if name_node is not None:
            parts = _namespace_parts(name_node)
            for part in parts:
                name = self.source.text(part)
                qualname = f"{qualname}::{name}" if qualname else name
                head_end = body.start_byte if body is not None else node.end_byte
                self._add(
                    part,
                    name,
                    qualname,
                    Kind.NAMESPACE,
                    node,
                    signature=self.source.between(node.start_byte, head_end),
                )
        if body is None:
            return []
        return [(body, _Context(qualname, Scope.NAMESPACE))]

    def _record(
        self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        """A class, struct, union or enum specifier: a keyword only when it has a body (a
        forward declaration says nothing about the type)."""
        body = node.child_by_field_name("body")
        name_node = node.child_by_field_name("name")
        if body is None:
            if (
                name_node is not None
                and node.type in _RECORD_TYPES
                and name_node.type == "type_identifier"
                and _is_macro_name(self.source.data[name_node.start_byte : name_node.end_byte])
                and _identifier_follows(self.source.data, node.end_byte)
            ):
                macro = self.source.data[name_node.start_byte : name_node.end_byte]
                self.attribute_macros.add(macro)
                self.misread.add(macro)
            return []
        qualname = context.qualname
        if name_node is not None:
            target, name, written = _type_name(name_node, self.source)
            qualname = "::".join(filter(None, (context.qualname, *written, name)))
            bases: tuple[str, ...] = ()
            for child in node.named_children:
                if child.type == "base_class_clause":
                    bases = tuple(
                        one_line(self.source.text(base), 200)
                        for base in child.named_children
                        if base.type not in ("access_specifier", "virtual", "comment")
                    )
            self._add(
                target,
                name,
                qualname,
                _CLASS_KINDS[node.type],
                outer,
                signature=self.source.between(outer.start_byte, body.start_byte),
                bases=bases,
            )
            if node.type != "enum_specifier":
                self.classes.add(qualname)
        if node.type == "enum_specifier":
            self._enumerators(body, qualname)
            return []
        return [(body, _Context(qualname, Scope.CLASS))]

    def _enumerators(self, body: tree_sitter.Node, scope: str) -> None:
        for child in body.named_children:
            if child.type != "enumerator":
                continue
            name_node = child.child_by_field_name("name")
            if name_node is None:
                continue
            name = self.source.text(name_node)
            self._add(
                name_node,
                name,
                f"{scope}::{name}" if scope else name,
                Kind.ENUMERATOR,
                child,
                signature=self.source.text(child),
            )

    def _function_definition(
        self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        walk: list[tuple[tree_sitter.Node, _Context]] = []
        type_node = node.child_by_field_name("type")
        if type_node is not None and type_node.type in _CLASS_KINDS:
            # ``struct C10_API Foo { … }`` reads as a function definition named Foo: a
            # misread class head (the record notes the macro); nothing here is a function.
            walk = self._record(type_node, context, type_node)
            if type_node.child_by_field_name("body") is None:
                return walk
        declarator = node.child_by_field_name("declarator")
        if declarator is None:
            return walk
        self._note_prefix_macro(node, type_node)
        found = _declarator_name(declarator, self.source)
        if found is None or not found.is_function:
            return walk
        if type_node is None and not _may_be_typeless(found, context):
            return walk
        self._function(found, node, context, outer, declaration=False)
        return walk

    def _plain_declaration(
        self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        walk: list[tuple[tree_sitter.Node, _Context]] = []
        type_node = node.child_by_field_name("type")
        if type_node is not None and type_node.type in _CLASS_KINDS:
            walk = self._record(type_node, context, outer)
        self._note_prefix_macro(node, type_node)
        declarators = node.children_by_field_name("declarator")
        for declarator in declarators:
            found = _declarator_name(declarator, self.source)
            if found is None:
                continue
            if found.is_function:
                if type_node is None and not _may_be_typeless(found, context):
                    continue  # ``TORCH_ARG(int64_t, foo);``: a macro invocation, not a function
                if self._note_trailing_macro(declarator, found):
                    continue
                self._function(found, node, context, outer, declaration=_is_prototype(node))
            elif context.scope is Scope.NAMESPACE and node.type == "declaration":
                self._variable(found, node, declarator, context, outer)
        return walk

    def _function(
        self,
        found: _Name,
        node: tree_sitter.Node,
        context: _Context,
        outer: tree_sitter.Node,
        *,
        declaration: bool,
    ) -> None:
        written = found.written_scope
        qualname = "::".join(filter(None, (context.qualname, *written, found.name)))
        owner = "::".join(filter(None, (context.qualname, *written)))
        in_class = context.scope is Scope.CLASS and not written
        of_class = bool(written) and (owner in self.classes or found.is_destructor_or_constructor)
        kind = Kind.METHOD if in_class or of_class else Kind.FUNCTION
        if self.grammar is Grammar.CUDA and any(
            child.type == "__global__" for child in node.children
        ):
            kind = Kind.KERNEL
        self._add(
            found.node,
            found.name,
            qualname,
            kind,
            outer,
            signature=self.source.between(outer.start_byte, _head_end(node)),
            declaration=declaration,
        )

    def _variable(
        self,
        found: _Name,
        node: tree_sitter.Node,
        declarator: tree_sitter.Node,
        context: _Context,
        outer: tree_sitter.Node,
    ) -> None:
        if found.written_scope:  # ``int A::count = 0;`` defines a member declared elsewhere
            return
        constant = any(
            child.type == "type_qualifier" and self.source.text(child) in ("const", "constexpr")
            for child in node.children
        )
        extern = declarator.type != "init_declarator" and any(
            child.type == "storage_class_specifier" and self.source.text(child) == "extern"
            for child in node.children
        )
        self._add(
            found.node,
            found.name,
            "::".join(filter(None, (context.qualname, found.name))),
            Kind.CONSTANT if constant else Kind.VARIABLE,
            outer,
            signature=self.source.between(outer.start_byte, node.end_byte).removesuffix(";"),
            declaration=extern,
        )

    def _typedef(
        self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node
    ) -> list[tuple[tree_sitter.Node, _Context]]:
        walk: list[tuple[tree_sitter.Node, _Context]] = []
        type_node = node.child_by_field_name("type")
        signature = self.source.text(node)
        if type_node is not None and type_node.type in _CLASS_KINDS:
            body = type_node.child_by_field_name("body")
            if body is not None:
                walk = self._record(type_node, context, type_node)
                signature = (
                    self.source.between(outer.start_byte, body.start_byte)
                    + "{ … }"
                    + self.source.between(body.end_byte, node.end_byte)
                )
        for declarator in node.children_by_field_name("declarator"):
            found = _declarator_name(declarator, self.source)
            if found is None:
                continue
            self._add(
                found.node,
                found.name,
                "::".join(filter(None, (context.qualname, found.name))),
                Kind.TYPEDEF,
                outer,
                signature=signature.removesuffix(";"),
            )
        return walk

    def _alias(self, node: tree_sitter.Node, context: _Context, outer: tree_sitter.Node) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.source.text(name_node)
        self._add(
            name_node,
            name,
            "::".join(filter(None, (context.qualname, name))),
            Kind.TYPEDEF,
            outer,
            signature=self.source.between(outer.start_byte, node.end_byte).removesuffix(";"),
        )

    def _macro(self, node: tree_sitter.Node, context: _Context) -> None:
        name_node = node.child_by_field_name("name")
        if name_node is None:
            return
        name = self.source.text(name_node)
        params = node.child_by_field_name("parameters")
        head_end = (params or name_node).end_byte
        self._add(
            name_node,
            name,
            name,
            Kind.MACRO,
            node,
            signature=self.source.between(node.start_byte, head_end),
        )

    def _include(self, node: tree_sitter.Node) -> None:
        path = node.child_by_field_name("path")
        if path is None or path.type not in ("system_lib_string", "string_literal"):
            return  # ``#include MACRO``: the path is known only after expansion
        written = self.source.text(path)
        target = written[1:-1] if len(written) >= 2 else written
        if not target:
            return
        line, col, end_col = self.source.span(path)
        self.keywords.append(
            Keyword(
                name=target,
                qualname=target,
                kind=Kind.INCLUDE,
                line=line,
                col=col + 1,
                end_col=max(col + 1, end_col - 1),
                end_line=end_line(node),
                signature=one_line(self.source.text(node)),
                target=target,
            )
        )

    # -- helpers --------------------------------------------------------------------------

    def _note_prefix_macro(
        self, node: tree_sitter.Node, type_node: tree_sitter.Node | None
    ) -> None:
        """``TORCH_API void f();`` reads as type ``TORCH_API`` and an error: remember the macro
        (blanked too should the file be parsed again)."""
        if type_node is None or type_node.type != "type_identifier" or not node.has_error:
            return
        following = type_node.next_sibling
        if following is not None and following.type == "ERROR":
            text = self.source.data[type_node.start_byte : type_node.end_byte]
            if _is_macro_name(text):
                self.attribute_macros.add(text)
                if self.source.data[following.start_byte : following.end_byte] == b"~":
                    # ``C10_ALWAYS_INLINE ~Foo()``: the destructor lost its name to the error.
                    self.misread.add(text)
        elif _invented_scope(node.child_by_field_name("declarator")):
            # ``C10_API const caffe2::TypeMeta get_default_dtype();``: the macro read as the
            # type, the return type as the name's scope (joined by a ``::`` the parser made
            # up): ``c10::caffe2::TypeMeta::get_default_dtype``. Parsed again without it.
            text = self.source.data[type_node.start_byte : type_node.end_byte]
            if _is_macro_name(text):
                self.attribute_macros.add(text)
                self.misread.add(text)

    def _note_function_macros(self, error: tree_sitter.Node) -> None:
        """In an error, ``MACRO(…)`` followed by more declaration (``C10_DEPRECATED_MESSAGE("…")
        virtual void f();``): a function-like attribute macro that broke the scope apart."""
        children = error.children
        data = self.source.data
        for i, child in enumerate(children[:-1]):
            if child.type not in ("identifier", "type_identifier") or children[i + 1].type != "(":
                continue
            name = data[child.start_byte : child.end_byte]
            if not _is_macro_name(name):
                continue
            depth = 0
            for after in children[i + 1 :]:
                if after.type == "(":
                    depth += 1
                elif after.type == ")":
                    depth -= 1
                    if depth == 0:
                        if _identifier_follows(data, after.end_byte):
                            self.function_macros.add(name)
                            self.misread.add(name)
                        break

    def _note_trailing_macro(self, declarator: tree_sitter.Node, found: _Name) -> bool:
        """``static const T entries[] PROTOBUF_SECTION_VARIABLE(cold);``, or a member-making
        macro after a member (``DEFINE_MEMBER_OP(operator==, int32_t, vec_cmpeq)``): a
        declarator the parser cannot place (an error just before) and a macro invocation after
        it, read as a function named after the macro. Not a function: the macro is noted, to
        be blanked for the second reading."""
        error = declarator.prev_sibling
        # Not ``typedef NS_ENUM(NSInteger, Mode) {…}``: an initialised declarator.
        if declarator.type != "function_declarator" or found.written_scope:
            return False
        if error is None or error.type != "ERROR":
            return False
        data = self.source.data
        name = data[found.node.start_byte : found.node.end_byte]
        last = error.named_children[-1] if error.named_child_count else None
        if not _is_macro_name(name) or last is None or last.type not in _TRAILED_DECLARATORS:
            return False
        self.function_macros.add(name)
        self.misread.add(name)
        return True

    def _note_macro_statement(self, node: tree_sitter.Node) -> None:
        """``C10_DEPRECATED_MESSAGE("…")`` without ``;`` before a declaration reads as a
        statement: harmless, but blanked too should the file be parsed again."""
        if not node.has_error or node.named_child_count != 1:
            return
        call = node.named_children[0]
        if call.type != "call_expression":
            return
        function = call.child_by_field_name("function")
        if function is None or function.type != "identifier":
            return
        name = self.source.data[function.start_byte : function.end_byte]
        if _is_macro_name(name) and _identifier_follows(self.source.data, call.end_byte):
            self.function_macros.add(name)

    def _add(
        self,
        name_node: tree_sitter.Node,
        name: str,
        qualname: str,
        kind: Kind,
        outer: tree_sitter.Node,
        *,
        signature: str,
        bases: tuple[str, ...] = (),
        declaration: bool = False,
    ) -> None:
        line, col, end_col = self.source.span(name_node)
        self.keywords.append(
            Keyword(
                name=name,
                qualname=qualname,
                kind=kind,
                line=line,
                col=col,
                end_col=end_col,
                end_line=max(line, end_line(outer)),
                signature=one_line(signature.replace("\\\n", " ")).removesuffix(";").rstrip(),
                summary=self._summary(outer),
                bases=bases,
                declaration=declaration,
            )
        )

    def _summary(self, node: tree_sitter.Node) -> str:
        block = comments_above(node)
        if not block:
            return ""
        return summarise_comments([self.source.text(comment) for comment in block])

    def _file_docstring(self, root: tree_sitter.Node) -> str:
        """The first comment block on top of the file that is not a licence and does not
        document the declaration right under it (unless it says ``@file``)."""
        blocks: list[list[tree_sitter.Node]] = []
        first_code: tree_sitter.Node | None = None
        for child in root.named_children:
            if child.type != "comment":
                first_code = child
                break
            if blocks and child.start_point[0] <= blocks[-1][-1].end_point[0] + 1:
                blocks[-1].append(child)
            else:
                blocks.append([child])
        for i, block in enumerate(blocks):
            texts = self._texts(block)
            attached = (
                i == len(blocks) - 1
                and first_code is not None
                and first_code.start_point[0] <= block[-1].end_point[0] + 1
            )
            if attached and not any("@file" in t or "\\file" in t for t in texts):
                continue
            prose = self._prose(block)
            if prose:
                return prose
        return ""

    def _texts(self, nodes: list[tree_sitter.Node]) -> list[str]:
        return [self.source.text(node) for node in nodes]

    def _prose(self, nodes: list[tree_sitter.Node]) -> str:
        summary = summarise_comments(self._texts(nodes))
        return "" if is_licence(summary) else summary


def _namespace_parts(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """``a::b::c`` (nested specifiers nest to the right) as its identifiers, left to right."""
    parts: list[tree_sitter.Node] = []
    current: tree_sitter.Node | None = node
    for _ in range(_MAX_DEPTH):
        if current is None:
            break
        if current.type != "nested_namespace_specifier":
            parts.append(current)
            break
        nested = None
        for child in current.named_children:
            if child.type == "nested_namespace_specifier":
                nested = child
            elif child.type == "namespace_identifier":
                parts.append(child)
        current = nested
    return parts


def _template_inner(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The entity a template declares (nested ``template <…> template <…>`` heads too)."""
    while node.type == "template_declaration":
        inner = None
        for child in node.named_children:
            if child.type not in ("template_parameter_list", "comment", "requires_clause"):
                inner = child
        if inner is None:
            return None
        node = inner
    return node


def _may_be_typeless(found: _Name, context: _Context) -> bool:
    """Only constructors, destructors and conversion operators are declared without a type;
    anything else that reads so is a macro invocation (``C10_DISABLE_COPY_AND_ASSIGN(A);``)."""
    name = found.name
    if found.written_scope or name.startswith(("~", "operator")):
        return True
    return context.scope is Scope.CLASS and name == context.qualname.rpartition("::")[2]


def _head_end(node: tree_sitter.Node) -> int:
    """Where a declaration's signature stops: before its body, initializer list or ``;``."""
    for child in node.children:
        if child.type in _BODIES:
            return child.start_byte
    end = node.end_byte
    last = node.child(node.child_count - 1) if node.child_count else None
    if last is not None and last.type == ";":
        end = last.start_byte
    return end


def _is_prototype(node: tree_sitter.Node) -> bool:
    """A function declaration with no body (pure virtual ones included); ``= default`` and
    ``= delete`` are definitions."""
    for child in node.children:
        if child.type in ("default_method_clause", "delete_method_clause"):
            return False
    return True


def _type_name(
    node: tree_sitter.Node, source: Source
) -> tuple[tree_sitter.Node, str, tuple[str, ...]]:
    """A class name as written: ``Foo``, ``A::B`` (defined out of its scope), ``hash<X>`` (a
    specialization: named ``hash``, qualified ``hash<X>``)."""
    written: list[str] = []
    while node.type == "qualified_identifier":
        scope = node.child_by_field_name("scope")
        if scope is not None:
            written.append(_scope_text(scope, source))
        inner = node.child_by_field_name("name")
        if inner is None:
            break
        node = inner
    if node.type == "template_type":
        base = node.child_by_field_name("name")
        if base is not None:
            return base, source.text(base), tuple(written)
    return node, source.text(node), tuple(written)


def _scope_text(scope: tree_sitter.Node, source: Source) -> str:
    if scope.type == "template_type":
        base = scope.child_by_field_name("name")
        if base is not None:
            return source.text(base)
    return "".join(source.text(scope).split())


def _operator_text(node: tree_sitter.Node, source: Source) -> str:
    """``operator==``, ``operator()``, ``operator new``, ``operator bool``."""
    if node.type == "operator_cast":
        type_node = node.child_by_field_name("type")
        return "operator " + (" ".join(source.text(type_node).split()) if type_node else "")
    rest = " ".join(source.text(node)[len("operator") :].split())
    if rest[:1].isalpha() or rest[:1] == "_" or rest.startswith('""'):
        return f"operator {rest}"
    return "operator" + rest.replace(" ", "")


def _declarator_name(declarator: tree_sitter.Node, source: Source) -> _Name | None:
    """The name a declarator declares, and whether it declares a function: the name's
    innermost wrapper is a function declarator (``int (*fp)(int)`` is a pointer)."""
    node: tree_sitter.Node | None = declarator
    is_function = False
    for _ in range(_MAX_DEPTH):
        if node is None:
            return None
        kind = node.type
        if kind == "function_declarator":
            is_function = True
            node = node.child_by_field_name("declarator")
        elif kind in _WRAPPERS:
            is_function = False
            inner = node.child_by_field_name("declarator")
            if inner is None:
                named = [c for c in node.named_children if c.type not in ("type_qualifier",)]
                inner = named[-1] if named else None
            node = inner
        elif kind in _NAMES:
            break
        else:
            return None
    else:
        return None
    assert node is not None
    if node.type == "operator_cast":
        is_function = True
    written: list[str] = []
    while node.type == "qualified_identifier":
        scope = node.child_by_field_name("scope")
        if scope is not None:
            written.append(_scope_text(scope, source))
        inner = node.child_by_field_name("name")
        if inner is None:
            return None
        node = inner
        if node.type == "operator_cast":
            is_function = True
    if node.type in ("template_function", "template_method"):
        base = node.child_by_field_name("name")
        if base is None:
            return None
        node = base
    if node.type in ("operator_name", "operator_cast"):
        name = _operator_text(node, source)
    elif node.type == "destructor_name":
        name = "~" + "".join(source.text(node)[1:].split())
    else:
        name = source.text(node)
    if not name or node.type not in _NAMES:
        return None
    special = bool(written) and name.lstrip("~") == written[-1]
    return _Name(node, name, tuple(written), is_function, special)


def _attribute_macro_ranges(
    data: bytes, names: set[bytes], function_like: set[bytes]
) -> list[tuple[int, int]]:
    """Where the attribute macros occur as whole identifiers (with their arguments, for the
    function-like ones), outside preprocessor lines (``#define TORCH_API …`` keeps its name)."""
    found: list[tuple[int, int]] = []
    for name in names:
        start = data.find(name)
        while start >= 0:
            end = start + len(name)
            before = data[start - 1] if start else 0x20
            after = data[end] if end < len(data) else 0x20
            if not _word_byte(before) and not _word_byte(after):
                line_start = data.rfind(b"\n", 0, start) + 1
                if not data[line_start:start].lstrip().startswith(b"#"):
                    if name in function_like:
                        end = _arguments_end(data, end)
                    found.append((start, end))
            start = data.find(name, end)
    found.sort()
    return found


def _arguments_end(data: bytes, offset: int) -> int:
    """Past the ``( … )`` of a macro invocation at ``offset`` (after blanks), as the
    preprocessor collects arguments: balanced parentheses, string and character literals
    skipped; ``offset`` itself when there are none or they do not close soon."""
    size = len(data)
    i = offset
    while i < size and data[i] in b" \t\r\n\\":
        i += 1
    if i >= size or data[i] != 0x28:
        return offset
    depth = 0
    limit = min(size, i + _MAX_MACRO_ARGUMENTS)
    while i < limit:
        byte = data[i]
        if byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        elif byte in (0x22, 0x27):  # a string or character literal
            i += 1
            while i < limit and data[i] != byte:
                i += 2 if data[i] == 0x5C else 1
        elif byte in (0x3B, 0x7B, 0x7D):  # ; { }: not an attribute's arguments
            return offset
        i += 1
    return offset


def _word_byte(byte: int) -> bool:
    return (
        byte == 0x5F
        or 0x30 <= byte <= 0x39
        or 0x41 <= byte <= 0x5A
        or 0x61 <= byte <= 0x7A
        or byte >= 0x80
    )


# What stands before a trailing attribute macro (``int x MACRO(…);``): the real declarator.
_TRAILED_DECLARATORS = frozenset(
    (
        "identifier",
        "field_identifier",
        "array_declarator",
        "function_declarator",
        "pointer_declarator",
        "reference_declarator",
        "qualified_identifier",
    )
)


def _invented_scope(declarator: tree_sitter.Node | None) -> bool:
    """A declarator whose qualified name holds a ``::`` the parser made up (a missing node):
    two names side by side, read as one qualified name."""
    stack = [declarator] if declarator is not None else []
    while stack:
        node = stack.pop()
        if node.type == "::" and node.is_missing:
            return True
        if node.type in (
            "qualified_identifier",
            "function_declarator",
            "reference_declarator",
            "pointer_declarator",
        ):
            stack.extend(node.children)
    return False


_CLASS_HEADS = (b"class ", b"struct ", b"union ")


def _class_head_macros(data: bytes) -> set[bytes]:
    """Macro-shaped names standing between ``class``/``struct``/``union`` and the name of a
    record whose head opens a line (``struct TORCH_API MergeOptions : …``): what the first walk
    would find misread, found before the first parse so the file is parsed once, not twice."""
    found: set[bytes] = set()
    for head in _CLASS_HEADS:
        at = data.find(head)
        while at >= 0:
            line_start = data.rfind(b"\n", 0, at) + 1
            after = at + len(head)
            if not data[line_start:at].strip(b" \t"):
                end = after
                while end < len(data) and _word_byte(data[end]):
                    end += 1
                name = data[after:end]
                if _is_macro_name(name) and _identifier_follows(data, end):
                    found.add(name)
            at = data.find(head, after)
    return found


def _blank(data: bytes, tree: tree_sitter.Tree | None, ranges: list[tuple[int, int]]) -> bytes:
    """``data`` with each range turned to blanks (its newlines kept, so no line moves), and
    ``tree`` told of each edit, so the next parse reuses what the edits leave alone."""
    masked = bytearray(data)
    row = 0
    searched = 0
    for start, end in ranges:
        row += data.count(b"\n", searched, start)
        searched = start
        start_col = start - (data.rfind(b"\n", 0, start) + 1)
        inside = data[start:end]
        masked[start:end] = bytes(0x0A if byte == 0x0A else 0x20 for byte in inside)
        if tree is None:
            continue
        newlines = inside.count(b"\n")
        if newlines:
            end_point = (row + newlines, end - (data.rfind(b"\n", start, end) + 1))
        else:
            end_point = (row, start_col + end - start)
        tree.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=end,
            start_point=(row, start_col),
            old_end_point=end_point,
            new_end_point=end_point,
        )
    return bytes(masked)


def extract_cfamily(grammar: Grammar, text: str, lines: list[str]) -> LanguageResult:
    """Keywords of a C, C++ or CUDA file; never raises on bad input."""
    data = encode(text)
    source = Source(data, lines)
    ts_parser = parser(grammar)
    parsed = data
    blanked: set[bytes] = set()
    if grammar is not Grammar.C:
        # Export macros in class heads, blanked before the first parse (a C file has none).
        blanked = _class_head_macros(data)
        if blanked:
            parsed = _blank(data, None, _attribute_macro_ranges(data, blanked, set()))
    tree = ts_parser.parse(parsed)
    walker = _Walker(source, grammar)
    walker.walk(tree.root_node)
    prescanned = bool(blanked)
    for _ in range(_MAX_PASSES - 1):
        noted = walker.attribute_macros | walker.function_macros
        # Macros blanked before the first parse stand for a misread class head: the other
        # macros the walk noted are blanked with them, as a second reading would have.
        if not walker.misread - blanked and not (prescanned and noted - blanked):
            break
        prescanned = False
        function_like = walker.function_macros
        names = (walker.attribute_macros | function_like) - blanked
        edited = tree.copy()
        ranges = _attribute_macro_ranges(data, names, function_like)
        candidate = _blank(parsed, edited, ranges)
        # The shapes that named these macros are ones only an unexpanded macro makes: the
        # second reading is kept even where it shows new errors (the macro invocations it
        # now sees in class bodies, say, that the misread body had swallowed).
        retry = ts_parser.parse(candidate, edited)
        blanked |= names
        parsed, tree = candidate, retry
        walker = _Walker(source, grammar)
        walker.walk(tree.root_node)
    return LanguageResult(
        keywords=walker.keywords,
        docstring=walker.docstring,
        problems=syntax_problems(tree, grammar.parser_name),
        parser=grammar.parser_name,
    )


def extract_c(path: str, text: str, lines: list[str]) -> LanguageResult:
    """A C source file (``.c``)."""
    return extract_cfamily(Grammar.C, text, lines)


def extract_cpp(path: str, text: str, lines: list[str]) -> LanguageResult:
    """A C++ file or a header (``.h`` too: see ``languages.py``)."""
    return extract_cfamily(Grammar.CPP, text, lines)


def extract_cuda(path: str, text: str, lines: list[str]) -> LanguageResult:
    """A CUDA file (``.cu``, ``.cuh``): C++ with ``__global__`` kernels."""
    return extract_cfamily(Grammar.CUDA, text, lines)
