"""The documentation page of one file (``<file>_docs.md``): thirteen sections of facts about it,
each a plain statement when there is nothing to say. A table of contents under the title, the
analysis first, the source last and folded; docstrings rendered as Markdown (parameter tables,
returns, raises, examples), class members and methods in tables, calls and callers linked, a
class diagram where classes relate."""

from __future__ import annotations

import ast
import html
import posixpath
import warnings
from collections import defaultdict
from functools import lru_cache

from kwdocs.analyse import is_test_file, main_definition
from kwdocs.edge_types import ClassLink, UseLink
from kwdocs.extract.languages import C_FAMILY, DISPLAY_NAMES
from kwdocs.extract.note_types import ModuleNote, NoteOrigin
from kwdocs.extract.pynodes import property_role
from kwdocs.extract.signature_types import LineList, SignatureParam
from kwdocs.extract.signatures import signature_parameters
from kwdocs.fact_types import FunctionFacts, PageFacts
from kwdocs.facts import IDIOMS, iter_longest, iter_most_complex
from kwdocs.link_types import CallLink, FileLinks, FunctionLinks, Relation
from kwdocs.model import IMPORT_KINDS, FileRecord, Keyword
from kwdocs.modules import ImportGroup
from kwdocs.pages import (
    DOCS_SECTIONS,
    FOLDER_DOC,
    FOLDER_INDEX,
    docs_page,
    folder_page,
    github_slug,
    has_own_heading,
    keyword_anchors,
    kw_page,
    link_target,
)
from kwdocs.render.diagrams import MAX_NODES, ClassEdge, ClassNode, class_diagram
from kwdocs.render.docstrings import (
    blocks_markdown,
    docstring_markdown,
    inline_markdown,
    parse_docstring,
)
from kwdocs.render.kw_page import keyword_counts
from kwdocs.render.markdown import (
    FOOTER,
    code,
    escape,
    fence,
    header,
    lines_list,
    link,
    plural,
    source_link,
    table_cell,
)
from kwdocs.resolve import implementation

TYPES = {"python": "Python source", "markdown": "Markdown document", "text": "Text file"}
FENCE_LANGUAGES = {"python": "python", "markdown": "markdown", "text": "text"}
# How many entries a long list shows before it says how many more there are.
LIST_LIMIT = 100
TOP = 5
# Calls and callers listed per function, and notes (and characters of each) File Purpose quotes.
CALL_LIMIT = 30
# Attribute names one class diagram arrow is labelled with before it says how many more.
HELD_LABEL_LIMIT = 3
NOTE_LIMIT = 6
NOTE_CHARACTERS = 4000
_NOTE_ORIGINS = {
    NoteOrigin.COMMENT: "comment",
    NoteOrigin.LEADING_COMMENT: "comment at the top of the file",
    NoteOrigin.STRING: "string at module level",
    NoteOrigin.ATTRIBUTE_DOCSTRING: "string at module level",
}


# How import groups are listed in the Dependencies section.
IMPORT_GROUP_ORDER = (
    ImportGroup.STDLIB,
    ImportGroup.THIRD_PARTY,
    ImportGroup.FIRST_PARTY,
    ImportGroup.UNRESOLVED,
)
IMPORT_GROUP_TITLES = {
    ImportGroup.STDLIB: "Standard library",
    ImportGroup.THIRD_PARTY: "Third-party",
    ImportGroup.FIRST_PARTY: "First-party",
    ImportGroup.UNRESOLVED: "Unresolved relative imports",
}


_INCLUDE_WORDS = {Relation.IMPORTS: "included here", Relation.IMPORTED_BY: "includes this file"}
# What the pages call each language read with tree-sitter.
_LANGUAGE_NAMES = {language.value: name for language, name in DISPLAY_NAMES.items()}
_UNCHECKED = (
    "Calls through other names (a method, an object or a module passed in under a name that "
    "does not say what it is) are not recognised."
)


def _language_name(language: str) -> str:
    return _LANGUAGE_NAMES.get(language, language)


def _lines(lines: list[int]) -> str:
    return f"{'line' if len(lines) == 1 else 'lines'} {lines_list(lines)}"


@lru_cache(maxsize=1024)
def signature_params(signature: str) -> tuple[SignatureParam, ...]:
    """The parameters of a ``def`` signature as the record writes it (one line, as in the
    source); () when it does not parse (cut short, or not a ``def``)."""
    if not signature.startswith(("def ", "async def ")):
        return ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(signature + ": ...")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ()
    return tuple(signature_parameters(node.args, LineList([signature + ": ..."])))


def _attribute_parts(signature: str) -> tuple[str, str]:
    """(annotation, value) of an attribute's ``name: annotation = value``."""
    declared, _, value = signature.partition(" = ")
    return declared.partition(": ")[2], value


# Every page's table of contents starts with the same line.
_CONTENTS = "**Contents**: " + " · ".join(
    link(escape(title), f"#{github_slug(title)}") for title in DOCS_SECTIONS
)


@lru_cache(maxsize=256)
def namedtuple_fields(base: str) -> tuple[tuple[str, str], ...]:
    """The fields a ``namedtuple("Name", fields)`` base (as the source writes it) gives
    literally — a list or tuple of strings, or one string of names apart by blanks or commas —
    each with its default as written (``defaults=`` a literal list or tuple); () otherwise."""
    if "namedtuple" not in base:
        return ()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call = ast.parse(base, mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    if not isinstance(call, ast.Call):
        return ()
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
    if name != "namedtuple":
        return ()
    given = {k.arg: k.value for k in call.keywords if k.arg}
    written = call.args[1] if len(call.args) > 1 else given.get("field_names")
    if isinstance(written, ast.Constant) and isinstance(written.value, str):
        names = written.value.replace(",", " ").split()
    elif isinstance(written, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in written.elts
    ):
        names = [e.value for e in written.elts]  # type: ignore[attr-defined]
    else:
        return ()
    if not all(n.isidentifier() for n in names):
        return ()
    defaults: list[str] = []
    values = given.get("defaults")
    if isinstance(values, (ast.List, ast.Tuple)) and len(values.elts) <= len(names):
        defaults = [ast.get_source_segment(base, e) or "" for e in values.elts]
    elif values is not None:
        return tuple((n, "") for n in names)
    padded = [""] * (len(names) - len(defaults)) + defaults
    return tuple(zip(names, padded, strict=True))


def _row(cells: tuple[str, ...]) -> str:
    """A table row of these cells (inline Markdown)."""
    if "|" in "".join(cells):  # seldom: one scan of the row spares a call for each cell
        cells = tuple(map(table_cell, cells))
    return f"| {' | '.join(cells)} |"


def _rank(complexity: int) -> str:
    """radon's letter rank of a cyclomatic complexity."""
    # Tested in turn rather than looked up in a table: most functions are an A.
    if complexity <= 5:
        return "A"
    if complexity <= 10:
        return "B"
    if complexity <= 20:
        return "C"
    if complexity <= 30:
        return "D"
    return "E" if complexity <= 40 else "F"


class _Page:
    """Builds one docs page: its path is what every relative link starts from."""

    def __init__(
        self,
        record: FileRecord,
        text: str,
        facts: PageFacts,
        links: FileLinks,
        root_from_out: str,
        source_limit: int,
        anchors: dict[tuple[str, str, int], str] | None = None,
    ) -> None:
        self.record = record
        self.text = text
        self.facts = facts
        self.links = links
        self.root_from_out = root_from_out
        self.source_limit = source_limit
        self.page = docs_page(record.path)
        self.anchors = anchors if anchors is not None else keyword_anchors(record)
        self.self_link = link_target(self.page, self.page)
        self.out: list[str] = []
        self.docstrings = {(d.qualname, d.line): d for d in facts.docstrings}
        self.calls = {(f.qualname, f.line): f for f in links.functions}
        self.measured: dict[tuple[str, int], FunctionFacts] = {
            (f.qualname, f.line): f for f in facts.functions
        }
        # Each class's edges, for its section.
        self.bases: dict[str, list[ClassLink]] = defaultdict(list)
        for edge in links.bases:
            self.bases[edge.qualname].append(edge)
        self.subclasses: dict[str, list[ClassLink]] = defaultdict(list)
        for edge in links.subclasses:
            self.subclasses[edge.qualname].append(edge)
        # Every section asks for keywords of some kinds: one pass sorts them all.
        self.kinds: dict[str, list[Keyword]] = defaultdict(list)
        for keyword in record.keywords:
            self.kinds[keyword.kind].append(keyword)
        # A page names the same files and callees again and again (a helper is called from
        # many functions): each link worked out once.
        self.targets: dict[str, str] = {}
        self.file_links: dict[str, str] = {}
        self.call_ends: dict[CallLink, str] = {}

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def section(self, title: str) -> None:
        self.add(f"## {title}", "")

    def docs_target(self, path: str, anchor: str = "") -> str:
        """``link_target`` from this page to ``path``'s docs page."""
        target = self.targets.get(path)
        if target is None:
            target = self.targets[path] = link_target(self.page, docs_page(path))
        return f"{target}#{anchor}" if anchor else target

    def docs_link(self, path: str, anchor: str = "") -> str:
        if anchor:
            return link(code(path), self.docs_target(path, anchor))
        found = self.file_links.get(path)
        if found is None:
            found = self.file_links[path] = link(code(path), self.docs_target(path))
        return found

    def of_kind(self, kind: str) -> list[Keyword]:
        """The keywords of this kind, in record order (the list is shared: do not change it)."""
        return self.kinds.get(kind, [])

    def count(self, *kinds: str) -> int:
        """How many keywords are of these kinds."""
        return sum(len(self.of_kind(kind)) for kind in kinds)

    # -- sections -------------------------------------------------------------------------

    def metadata(self) -> None:
        record = self.record
        name = posixpath.basename(record.path)
        extension = posixpath.splitext(name)[1]
        self.section("File Metadata")
        self.add(
            f"- **Path**: {code(record.path)}",
            f"- **Size**: {record.size:,} bytes ({record.size / 1024:.2f} KB)",
            f"- **Lines**: {record.lines:,}",
            f"- **Type**: {TYPES.get(record.language) or _language_name(record.language)}",
            f"- **Extension**: {code(extension) if extension else 'none'}",
            f"- **Encoding**: {code(record.encoding)}",
        )
        if record.module:
            self.add(f"- **Module**: {code(record.module)}")
        if record.parser:
            self.add(f"- **Parsed with**: {record.parser}")
        for problem in record.problems:
            where = f"line {problem.line}" if problem.line else "the file"
            self.add(f"- **Problem** ({where}): {escape(problem.message)}")
        self.add("")

    def purpose(self) -> None:
        self.section("File Purpose")
        record = self.record
        if record.docstring:
            body = docstring_markdown(parse_docstring(record.docstring, summary=False))
            where = "module docstring" if record.language == "python" else "file's opening comment"
            self.add(f"From the {where}:", "", body or escape(record.docstring), "")
        elif record.language == "python":
            if self.facts.notes:
                self.notes(self.facts.notes)
            else:
                self.main_definition()
        elif record.language == "markdown":
            headings = self.of_kind("heading")
            if headings:
                first = headings[0]
                self.add(f"The document's first heading is {code(first.qualname)}.")
                if first.summary:
                    self.add("", f"It opens with: {escape(first.summary)}")
                self.add("")
            else:
                self.add("The document has no headings.", "")
        elif record.language == "text":
            self.add("Text files carry no docstring; the source follows.", "")
        else:
            self.first_documented()

    def first_documented(self) -> None:
        """A file of another language without an opening comment: its first declaration that
        has a comment of its own, labelled as such (it may not speak for the whole file)."""
        documented = next(
            (k for k in self.record.keywords if k.summary and k.kind not in IMPORT_KINDS), None
        )
        if documented is None:
            self.add(
                "The file has no opening comment of its own, and kwdocs found no comment on "
                "any of its declarations.",
                "",
            )
            return
        self.add(
            "The file has no opening comment of its own (a comment right above a declaration "
            "belongs to that declaration); the first declaration with a comment, "
            f"{documented.kind} {self.keyword_link(documented)} (line {documented.line}), "
            f"says: {inline_markdown(documented.summary)}",
            "",
        )

    def notes(self, notes: list[ModuleNote]) -> None:
        """The module's notes, quoted and labelled: what it is for, in its authors' words."""
        self.add(
            "The module has no docstring; "
            + (
                "its note (a design note written in the code) says"
                if len(notes) == 1
                else f"its {len(notes):,} notes (design notes written in the code) say"
            )
            + " what it is about:",
            "",
        )
        for note in notes[:NOTE_LIMIT]:
            where = f"{_NOTE_ORIGINS[note.origin]}, " + (
                f"lines {note.line}–{note.end_line}"
                if note.end_line > note.line
                else f"line {note.line}"
            )
            title = f"**Note: {escape(note.title)}**" if note.title else "**Note**"
            text = note.text
            cut = len(text) > NOTE_CHARACTERS
            if cut:
                text = text[: text.rfind("\n\n", 0, NOTE_CHARACTERS) + 1 or NOTE_CHARACTERS]
            body = blocks_markdown(parse_docstring(text, summary=False).body) or escape(text)
            quoted = [f"> {line}" if line else ">" for line in body.split("\n")]
            self.add(f"> {title} ({where})", ">", *quoted)
            if cut:
                self.add(">", "> *… continued in the source.*")
            self.add("")
        if len(notes) > NOTE_LIMIT:
            self.add(f"… and {plural(len(notes) - NOTE_LIMIT, 'more note')} in the source.", "")

    def main_definition(self) -> None:
        """Without docstring or notes: the summary of the file's main public definition."""
        main = main_definition(self.record)
        if main is None:
            self.add("The module has no docstring, no notes and no public class or function.", "")
            return
        if not main.documented:
            which = (
                "the classes and functions its `__all__` lists"
                if main.exported
                else "its public classes and functions"
            )
            self.add(
                f"The module has no docstring and no notes, and none of {which} has a "
                f"docstring kwdocs can read. Its {main.label()} is "
                f"{self.keyword_link(main.keyword)}.",
                "",
            )
            return
        listed = " (of the names its `__all__` lists)" if main.exported else ""
        self.add(
            f"The module has no docstring and no notes. Its {main.label()}{listed} is "
            f"{self.keyword_link(main.keyword)}: {inline_markdown(main.keyword.summary)}",
            "",
        )

    def source(self) -> None:
        self.section("Original Source")
        text = self.text
        limit = self.source_limit
        if not text:
            self.add("The file is empty.", "")
            return
        name = html.escape(" ".join(posixpath.basename(self.record.path).split()))
        self.add(
            "<details>",
            f"<summary>The source of {name}: {plural(self.record.lines, 'line')}</summary>",
            "",
        )
        if limit and len(text) > limit:
            cut = text.rfind("\n", 0, limit) + 1 or limit
            shown_lines = text.count("\n", 0, cut)
            self.add(
                f"*Truncated: the first {shown_lines:,} of {self.record.lines:,} lines "
                f"({cut:,} of {len(text):,} characters) are shown; the source limit is "
                f"{limit:,} characters (setting `sourceLimit`).*",
                "",
            )
            text = text[:cut]
        self.add(fence(text, FENCE_LANGUAGES.get(self.record.language, "")), "", "</details>", "")

    def overview(self) -> None:
        self.section("High-Level Overview")
        record = self.record
        if record.language == "python":
            parts = [
                plural(self.count("class"), "class", "classes"),
                plural(self.count("function"), "function"),
                plural(self.count("method", "property"), "method"),
                plural(self.count("attribute"), "class attribute"),
                plural(self.count("constant", "variable"), "module-level name"),
            ]
            # The modules its Dependencies list (one computation: kwdocs.resolve.import_facts).
            modules = len(self.links.imports)
            self.add(
                f"{code(record.module or record.path)} defines {', '.join(parts)}, "
                f"and imports from {plural(modules, 'module')}.",
            )
            if record.all_names is not None:
                names = ", ".join(code(n) for n in record.all_names[:LIST_LIMIT])
                self.add(
                    "",
                    f"Its `__all__` exports {plural(len(record.all_names), 'name')}"
                    + (f": {names}." if names else "."),
                )
            classes = [k for k in self.of_kind("class") if "." not in k.qualname]
            functions = [k for k in self.of_kind("function") if "." not in k.qualname]
            if classes or functions:
                self.add("")
            for keyword in classes + functions:
                summary = f": {inline_markdown(keyword.summary)}" if keyword.summary else ""
                self.add(f"- {keyword.kind} {self.keyword_link(keyword)}{summary}")
        elif record.language == "markdown":
            self.add(
                f"A Markdown document with {plural(self.count('heading'), 'heading')} "
                f"and {plural(self.count('identifier'), 'inline code identifier')}."
            )
        elif record.language == "text":
            self.add(
                f"A text file of {plural(record.lines, 'line')}; kwdocs extracts no "
                "keywords from text files."
            )
        else:
            language = _language_name(record.language)
            self.add(
                f"A {language} file of {plural(record.lines, 'line')} with "
                f"{keyword_counts(record)}."
            )
        self.add("")

    def keyword_link(self, keyword: Keyword, label: str = "") -> str:
        anchor = self.anchors.get((keyword.kind, keyword.qualname, keyword.line), "")
        return link(
            code(label or keyword.qualname),
            f"{self.self_link}#{anchor}" if anchor else self.self_link,
        )

    def detailed(self) -> None:
        self.section("Detailed Analysis")
        record = self.record
        syntax = [p for p in record.problems if p.line]
        if record.parser == "parso" or (record.language == "python" and syntax):
            where = f" at line {syntax[0].line}" if syntax else ""
            self.add(
                f"The file does not parse{where}; the keywords below were recovered by an "
                "error-tolerant parser and may be incomplete.",
                "",
            )
        elif record.language == "python" and not self.links.calls_complete:
            self.add(
                "Some files of the workspace were indexed without reading their calls (the "
                "language server's index does not read them): the callers listed below may be "
                "incomplete. `kwdocs export` reads them all.",
                "",
            )
        members: dict[str, list[Keyword]] = defaultdict(list)
        own: list[Keyword] = []
        names: list[Keyword] = []  # constants and variables
        for keyword in record.keywords:
            kind = keyword.kind
            if kind in ("method", "property", "attribute"):
                members[keyword.qualname.rpartition(".")[0]].append(keyword)
            elif kind in ("constant", "variable"):
                names.append(keyword)
            if has_own_heading(keyword):
                own.append(keyword)
        if not own and record.language != "markdown":
            self.add("The file defines no classes or functions.", "")
        out = self.out
        for keyword in own:
            out += (
                f"#### {keyword.kind} {code(keyword.qualname)}"
                if keyword.qualname.strip()
                else f"#### {keyword.kind}",
                "",
            )
            if keyword.kind == "attribute":
                self.attribute(keyword)
            elif keyword.kind == "class":
                self.class_section(keyword, members.get(keyword.qualname, []))
            elif keyword.kind in ("function", "method", "property"):
                self.function_section(keyword)
            else:
                out += self.lines_and_signature(keyword)
                if keyword.summary:
                    self.add(f"- **Summary**: {escape(keyword.summary)}")
                self.add("")
        # Other languages' constants and variables (C's file-scope ones, say) are listed here
        # too: the keyword page links every constant and variable to this heading.
        if record.language == "python" or names:
            self.add("### Module-level names", "")
            if not names:
                self.add("The module assigns no module-level names.", "")
            out += [
                f"- {k.kind} {code(k.name)} (line {k.line})"
                + (f" — {code(k.signature)}" if k.signature else "")
                for k in names
            ]
            if names:
                self.add("")
        if record.language == "markdown":
            self.add("### Identifiers", "")
            identifiers: dict[str, list[int]] = defaultdict(list)
            for keyword in self.of_kind("identifier"):
                identifiers[keyword.name].append(keyword.line)
            if not identifiers:
                self.add("The document has no inline code identifiers.", "")
            for name in sorted(identifiers):
                self.add(f"- {code(name)}: {_lines(identifiers[name])}")
            if identifiers:
                self.add("")

    @staticmethod
    def lines_and_signature(keyword: Keyword) -> list[str]:
        """The first lines of a keyword's section (a new list: the section goes on with it)."""
        end = f"–{keyword.end_line}" if keyword.end_line > keyword.line else ""
        if keyword.signature and keyword.kind != "heading":
            return [
                f"- **Lines**: {keyword.line}{end}",
                f"- **Signature**: {code(keyword.signature)}",
            ]
        return [f"- **Lines**: {keyword.line}{end}"]

    def attribute(self, keyword: Keyword) -> None:
        """One line: a class attribute is its declaration and its comment."""
        comment = f" — {inline_markdown(keyword.summary)}" if keyword.summary else ""
        self.add(f"Line {keyword.line}: {code(keyword.signature or keyword.name)}{comment}", "")

    def docstring(
        self,
        keyword: Keyword,
        params: tuple[SignatureParam, ...] | None = None,
        attributes: dict[str, str] | None = None,
    ) -> None:
        """The keyword's whole docstring as Markdown, or its summary when the page facts do
        not hold it (a file that does not parse). ``params``: a class's ``__init__``'s;
        ``attributes``: its annotated attributes (name → annotation)."""
        found = self.docstrings.get((keyword.qualname, keyword.line))
        if found is None or not found.text:
            if keyword.summary:
                self.add(inline_markdown(keyword.summary), "")
            return
        if params is None:
            params = found.params
        rendered = docstring_markdown(
            parse_docstring(found.text, params, summary=False, attributes=attributes)
        )
        if rendered:
            self.add(rendered, "")

    def init_params(self, init: Keyword | None) -> tuple[SignatureParam, ...]:
        """A class's ``__init__`` parameters as the source writes them: from the page facts
        (read from the tree), else from its one-line signature."""
        if init is None:
            return ()
        found = self.docstrings.get((init.qualname, init.line))
        if found is not None and found.params:
            return found.params
        return signature_params(init.signature)

    def class_section(self, keyword: Keyword, members: list[Keyword]) -> None:
        self.out += self.lines_and_signature(keyword)
        if keyword.bases:
            placed = self.bases.get(keyword.qualname, [])
            bases = []
            for base in keyword.bases:
                last = base.split("[", 1)[0].rpartition(".")[2].strip()
                edge = next((e for e in placed if e.other.rpartition(".")[2] == last), None)
                bases.append(self.class_link(edge.other, edge) if edge else code(base))
            self.add(f"- **Bases**: {', '.join(bases)}")
        subclasses = self.subclasses.get(keyword.qualname, [])
        if subclasses:
            shown = ", ".join(self.class_link(e.other, e) for e in subclasses[:CALL_LIMIT])
            more = len(subclasses) - CALL_LIMIT
            self.add(f"- **Subclasses**: {shown}" + (f" and {more:,} more" if more > 0 else ""))
        if keyword.decorators:
            self.add(f"- **Decorators**: {', '.join(code('@' + d) for d in keyword.decorators)}")
        init = next((m for m in members if m.name == "__init__"), None)
        created = self.calls.get((keyword.qualname, keyword.line))
        if created is not None and created.callers:
            self.add(f"- **Created by**: {self.call_list(created.callers)}")
        self.add("")
        fields = [m for m in members if m.kind == "attribute"]
        annotated = {}
        for field in fields:
            annotation = _attribute_parts(field.signature)[0]
            if annotation:
                annotated[field.name] = annotation
        self.docstring(keyword, self.init_params(init), annotated)
        tuple_fields = [f for base in keyword.bases for f in namedtuple_fields(base)]
        out = self.out
        if fields or tuple_fields:
            count = len(fields) + len(tuple_fields)
            out += (
                f"**Fields** ({count:,}):",
                "",
                "| Name | Type | Default | Comment |",
                "| --- | --- | --- | --- |",
            )
            for name, default in tuple_fields:
                cells = (code(name), "", code(default) if default else "", "namedtuple field")
                out.append(_row(cells))
            for field in fields[:LIST_LIMIT]:
                annotation, value = _attribute_parts(field.signature)
                cells = (
                    self.keyword_link(field, field.name),
                    code(annotation) if annotation else "",
                    code(value) if value else "",
                    inline_markdown(field.summary) if field.summary else "",
                )
                out.append(_row(cells))
            self.more(len(fields), table=True)
            out.append("")
        methods = [m for m in members if m.kind != "attribute"]
        if methods:
            out += (
                f"**Methods** ({len(methods):,}):",
                "",
                "| Method | Lines | Complexity | Summary |",
                "| --- | --- | --- | --- |",
            )
            measured = self.measured
            for method in methods[:LIST_LIMIT]:
                facts = measured.get((method.qualname, method.line))
                complexity = f"{facts.complexity} ({_rank(facts.complexity)})" if facts else ""
                name = self.keyword_link(method, method.name)
                if method.kind == "property":
                    name += f" ({property_role(method)})"
                end = f"–{method.end_line}" if method.end_line > method.line else ""
                summary = inline_markdown(method.summary) if method.summary else ""
                out.append(_row((name, f"{method.line}{end}", complexity, summary)))
            self.more(len(methods), table=True)
            out.append("")

    def function_section(self, keyword: Keyword) -> None:
        # The section's lines are gathered and added at once: a page has hundreds of them.
        lines = self.lines_and_signature(keyword)
        if keyword.decorators:
            lines.append(
                f"- **Decorators**: {', '.join(code('@' + d) for d in keyword.decorators)}"
            )
            runs = implementation(self.record, keyword)
            if runs is not keyword:
                # Two or more sections share the heading: say which one holds the code.
                lines.append(
                    "- **Overload**: a signature for type checkers; the code that runs, and its "
                    f"docstring, is {self.keyword_link(runs, runs.name)} at lines "
                    f"{runs.line}–{runs.end_line}"
                )
        key = (keyword.qualname, keyword.line)
        measured = self.measured.get(key)
        if measured is not None:
            lines.append(
                f"- **Size**: {plural(measured.length, 'line')}, cyclomatic complexity "
                f"{measured.complexity} ({_rank(measured.complexity)})"
            )
        calls = self.calls.get(key)
        if calls is not None:
            self.calls_lines(calls, lines)
        elif keyword.unresolved_calls:
            lines.append(
                f"- **Calls**: {plural(keyword.unresolved_calls, 'call')} not resolved "
                "statically (only inference could tell the callee)"
            )
        lines.append("")
        self.out += lines
        self.docstring(keyword)

    def calls_lines(self, calls: FunctionLinks, lines: list[str]) -> None:
        """The function's callees (then what went elsewhere) and its callers, added to
        ``lines``."""
        parts = []
        if calls.callees:
            parts.append(self.call_list(calls.callees))
        if calls.outside:
            parts.append(plural(calls.outside, "builtin or library function"))
        if calls.unresolved:
            parts.append(
                f"{plural(calls.unresolved, 'call')} not resolved statically (only inference "
                "could tell the callee)"
            )
        if parts:
            lines.append(f"- **Calls**: {'; '.join(parts)}")
        if calls.callers:
            lines.append(f"- **Called by**: {self.call_list(calls.callers)}")

    def call_list(self, ends: list[CallLink]) -> str:
        rendered = self.call_ends
        # Rendered strings are never empty: ``or`` falls back only on a miss.
        shown = ", ".join([rendered.get(end) or self.call_end(end) for end in ends[:CALL_LIMIT]])
        more = len(ends) - CALL_LIMIT
        return f"{shown} and {more:,} more" if more > 0 else shown

    def call_end(self, end: CallLink) -> str:
        """One end of a call, linked; remembered for the page (``call_list``)."""
        if end.path == self.record.path:
            item = link(code(end.qualname), f"{self.self_link}#{end.anchor}")
        else:
            target = self.docs_target(end.path, end.anchor)
            name = end.path.rpartition("/")[2]  # posixpath.basename, without its checks
            item = f"{link(code(end.qualname), target)} ({code(name)})"
        self.call_ends[end] = item
        return item

    def architecture(self) -> None:
        self.section("Architecture & Design")
        lines: list[str] = []
        for edge in self.links.bases:
            lines.append(
                f"- {code(edge.qualname)} inherits from {self.class_link(edge.other, edge)}"
            )
        for edge in self.links.subclasses:
            lines.append(
                f"- {code(edge.qualname)} is subclassed by {self.class_link(edge.other, edge)}"
            )
        design = ("dataclass", "enum", "abc", "abstractmethod", "protocol", "metaclass")
        for finding in self.facts.idioms:
            if finding.code in design:
                lines.append(f"- {finding.message} (line {finding.line})")
        for use in self.links.uses:
            target = (
                link(code(use.qualname), f"{self.self_link}#{use.anchor}")
                if use.path == self.record.path
                else f"{code(use.qualname)} in {self.docs_link(use.path, use.anchor)}"
            )
            lines.append(f"- {code(use.owner + '.' + use.attribute)} holds {target}")
        decorated = [k for k in self.record.keywords if k.decorators]
        if decorated:
            counts: dict[str, int] = defaultdict(int)
            for keyword in decorated:
                for decorator in keyword.decorators:
                    counts[decorator] += 1
            used = ", ".join(f"{code('@' + d)} × {n}" for d, n in sorted(counts.items()))
            lines.append(f"- Decorators used: {used}")
        if self.record.language in ("markdown", "text"):
            lines.append("Not applicable: a document declares no classes.")
        elif self.record.language != "python":
            # Bases of other languages are listed as written: kwdocs places Python's only.
            for keyword in self.of_kind("class"):
                if keyword.bases:
                    bases = ", ".join(code(base) for base in keyword.bases)
                    lines.append(f"- {code(keyword.qualname)} inherits from {bases} (as written)")
            if not lines:
                lines.append("No class of this file inherits from another.")
        elif not lines:
            what = "workspace-internal inheritance, decorators, dataclasses, enums or ABCs"
            lines.append(f"No {what} in this file.")
        self.add(*lines, "")
        self.class_diagram()

    def class_diagram(self) -> None:
        """The file's classes with their bases, the workspace classes their attributes hold
        and the classes their methods create."""
        classes = {k.qualname: k for k in self.of_kind("class")}
        if not classes:
            return
        path = self.record.path

        # One node per class of the file, however many arrows start or end at it.
        own = {name: ClassNode(f"{path}:{k.line}", name) for name, k in classes.items()}

        def other(where: str, qualname: str, line: int) -> ClassNode:
            if where == path:
                return ClassNode(f"{path}:{line}", qualname)
            return ClassNode(f"{where}:{line}", qualname, where)

        edges: list[ClassEdge] = []
        # (class, last part of a base) the workspace placed: those bases have arrows already.
        placed = {(e.qualname, e.other.rpartition(".")[2]) for e in self.links.bases}
        for edge in self.links.bases:
            if edge.qualname in classes:
                edges.append(
                    ClassEdge(
                        own[edge.qualname], other(edge.path, edge.other, edge.line), "inherits"
                    )
                )
        for keyword in classes.values():
            for base in keyword.bases:
                last = base.split("[", 1)[0].rpartition(".")[2].strip()
                if not last or (keyword.qualname, last) in placed:
                    continue
                if base.split("[", 1)[0].strip() in ("object", "Generic", "Protocol"):
                    continue
                edges.append(ClassEdge(own[keyword.qualname], ClassNode(base, base), "inherits"))
        for edge in self.links.subclasses:
            if edge.qualname in classes:
                edges.append(
                    ClassEdge(
                        other(edge.path, edge.other, edge.line), own[edge.qualname], "inherits"
                    )
                )
        # One arrow per (class, held class), labelled with every attribute holding it.
        held: dict[tuple[str, str, int], list[UseLink]] = {}
        for use in self.links.uses:
            if use.owner in classes:
                held.setdefault((use.owner, use.path, use.line), []).append(use)
        for (owner, where, line), uses in held.items():
            names = [u.attribute for u in uses[:HELD_LABEL_LIMIT]]
            more = len(uses) - HELD_LABEL_LIMIT
            text = ", ".join(names) + (f" and {more} more" if more > 0 else "")
            edges.append(ClassEdge(own[owner], other(where, uses[0].qualname, line), text))
        for function in self.links.functions:
            owner = function.qualname.rpartition(".")[0]
            while owner and owner not in classes:
                owner = owner.rpartition(".")[0]
            if not owner:
                continue
            for callee in function.callees:
                if callee.kind == "class" and callee.qualname != owner:
                    edges.append(
                        ClassEdge(
                            own[owner], other(callee.path, callee.qualname, callee.line), "creates"
                        )
                    )
        diagram = class_diagram(list(own.values()), edges)
        if diagram is None:
            return
        self.add(
            "**Class diagram**: this file's classes, what they inherit from (`<|--`), hold "
            "(`-->`, labelled with the attribute) and create (`..>`).",
            "",
            diagram.mermaid(),
            "",
        )
        if diagram.left_out:
            self.add(
                f"{plural(diagram.left_out, 'more class', 'more classes')} not drawn (at most "
                f"{MAX_NODES} per diagram); the lists above name them all.",
                "",
            )

    def dependencies(self) -> None:
        self.section("Dependencies")
        language = self.record.language
        including = language in C_FAMILY
        if including:
            self.includes()
        elif language != "python":
            self.add(
                "Not applicable: kwdocs reads the imports of Python files and the includes of "
                "C, C++ and CUDA files only.",
                "",
            )
        elif not self.links.imports:
            self.add("The module imports nothing.", "")
        groups: dict[ImportGroup, list] = defaultdict(list)
        for fact in self.links.imports:
            groups[fact.group].append(fact)
        out = self.out
        for group in IMPORT_GROUP_ORDER:
            facts = groups.get(group)
            if not facts:
                continue
            out += (f"### {IMPORT_GROUP_TITLES[group]}", "")
            for fact in facts:
                if fact.path:
                    shown = f"{self.docs_link(fact.path)} ({code(fact.module)})"
                elif group is ImportGroup.FIRST_PARTY:
                    shown = f"{code(fact.module or '.')} (not a file of this workspace)"
                else:
                    shown = code(fact.module or ".")
                statements = "; ".join(
                    [
                        f"(line {statement.line}): {', '.join(map(_imported, statement.names))}"
                        if statement.names
                        else f"(line {statement.line})"
                        for statement in fact.statements
                    ]
                )
                out.append(f"- {shown} {statements}")
            out.append("")
        self.add("### Imported by", "")
        if not self.links.imported_by:
            self.add(f"No workspace file {'includes' if including else 'imports'} this one.", "")
        else:
            docs_link = self.docs_link
            out += [f"- {docs_link(path)}" for path in self.links.imported_by[:LIST_LIMIT]]
            self.more(len(self.links.imported_by))
            self.add("")

    def includes(self) -> None:
        """A C, C++ or CUDA file's ``#include``s, each linked to the workspace file it leads
        to (the engine's include resolution, as go-to-definition's)."""
        includes = self.links.includes
        if not includes:
            self.add("The file includes nothing.", "")
            return
        self.add("### Includes", "")
        for include in includes[:LIST_LIMIT]:
            written = f"<{include.written}>" if include.system else f'"{include.written}"'
            if include.path:
                self.add(f"- {code(written)} (line {include.line}): {self.docs_link(include.path)}")
            else:
                self.add(f"- {code(written)} (line {include.line}): not a file of this workspace")
        self.more(len(includes))
        self.add("")

    def class_link(self, qualname: str, edge: ClassLink) -> str:
        if edge.path == self.record.path:
            return link(code(qualname), link_target(self.page, self.page, edge.anchor))
        return f"{code(qualname)} in {self.docs_link(edge.path, edge.anchor)}"

    def more(self, count: int, table: bool = False) -> None:
        if count > LIST_LIMIT:
            if table:
                self.add("", f"… and {count - LIST_LIMIT:,} more.")
            else:
                self.add(f"- … and {count - LIST_LIMIT:,} more")

    def patterns(self) -> None:
        self.section("Code Patterns & Idioms")
        if not self.facts.parsed:
            self.add(self.unparsed("idioms"), "")
            return
        found: dict[str, list] = defaultdict(list)
        for finding in self.facts.idioms:
            found[finding.code].append(finding)
        if not found:
            self.add(
                "No idioms detected (kwdocs looks for: " + ", ".join(IDIOMS.values()) + ").", ""
            )
            return
        for idiom, title in IDIOMS.items():
            findings = found.get(idiom)
            if not findings:
                continue
            lines = sorted({f.line for f in findings})
            self.add(f"- **{title}** ({len(findings):,}): {_lines(lines)}")
        self.add("")

    def unparsed(self, what: str) -> str:
        if self.record.language != "python":
            return f"Not applicable: kwdocs measures {what} in Python files only."
        return f"Not measured: the file does not parse, so its {what} cannot be analysed."

    def performance(self) -> None:
        self.section("Performance Considerations")
        functions = self.facts.functions
        if not self.facts.parsed:
            self.add(self.unparsed("functions"), "")
            return
        if not functions:
            self.add("The file defines no functions to measure.", "")
            return
        total = sum(f.complexity for f in functions)
        self.add(
            f"{plural(len(functions), 'function')} and methods; average cyclomatic complexity "
            f"{total / len(functions):.1f}, maximum {max(f.complexity for f in functions)} "
            "(radon's rules; ranks A ≤ 5 < B ≤ 10 < C ≤ 20 < D ≤ 30 < E ≤ 40 < F).",
            "",
            "Longest:",
            "",
        )
        for item in iter_longest(self.facts, TOP):
            self.add(f"- {code(item.qualname)}: {plural(item.length, 'line')} (line {item.line})")
        self.add("", "Most complex:", "")
        for item in iter_most_complex(self.facts, TOP):
            self.add(
                f"- {code(item.qualname)}: complexity {item.complexity} "
                f"({_rank(item.complexity)}, line {item.line})"
            )
        self.add("")

    def security(self) -> None:
        self.section("Security & Safety")
        if not self.facts.parsed:
            self.add(self.unparsed("calls"), "")
            return
        found: dict[tuple[str, str], list[int]] = defaultdict(list)
        for finding in self.facts.risks:
            found[(finding.code, finding.message)].append(finding.line)
        if not found:
            self.add(
                "No risky calls found. Checked: calls named after bandit's checks, recognised "
                "by the name they are called by (through the file's imports) — eval, exec, "
                "pickle and marshal loads (and `load`/`loads` of any name containing "
                "“pickle”), yaml.load, subprocess with shell=True, os.system, "
                "tempfile.mktemp, MD5/SHA-1 — and assert. " + _UNCHECKED,
                "",
            )
            return
        self.add(
            "Risky calls, named after bandit's checks and recognised by the name they are "
            f"called by (through the file's imports). {_UNCHECKED}",
            "",
        )
        for (check, message), lines in sorted(found.items()):
            self.add(f"- **{check}** {message}: {_lines(lines)}")
        self.add("")

    def testing(self) -> None:
        self.section("Testing & Usage")
        if self.record.language != "python":
            self.add("Not applicable: kwdocs recognises test files among Python files only.", "")
            return
        if is_test_file(self.record.path):
            self.add("This is a test file.", "")
        if self.links.tests:
            self.add("Workspace test files that import this module:", "")
            for path in self.links.tests[:LIST_LIMIT]:
                self.add(f"- {self.docs_link(path)}")
            self.more(len(self.links.tests))
        else:
            self.add("No workspace test file imports this module.")
        importers = len(self.links.imported_by)
        if importers:
            self.add(
                "",
                f"It is imported by {plural(importers, 'workspace file')} "
                "(see [Dependencies](#dependencies)).",
            )
        self.add("")

    def related(self) -> None:
        self.section("Related Files")
        related = self.links.related
        folder = posixpath.dirname(self.record.path) or "."
        if not related:
            self.add(f"No other file in {code(folder)}, and none that relates to this one.", "")
            return
        self.add(
            "Files by how closely they relate to this one (imports, calls, class "
            "hierarchies, tests), then the rest of its folder:",
            "",
        )
        # A Relation is a str: the words the page says. Files of the C family include one
        # another: the same relation, in their words.
        words = _INCLUDE_WORDS if self.record.language in C_FAMILY else {}

        def said(relations: tuple[Relation, ...]) -> str:
            return ", ".join(words.get(r, r) for r in relations)

        docs_link = self.docs_link
        self.out += [
            f"- {docs_link(other.path)}: {said(other.relations)}"
            + (f" ({plural(other.calls, 'call')})" if other.calls else "")
            for other in related
        ]
        index = folder_page(posixpath.dirname(self.record.path), FOLDER_INDEX)
        self.add(
            "",
            f"Every file of {code(folder)}: {self.page_link(FOLDER_INDEX, index)}.",
            "",
        )

    def cross_references(self) -> None:
        self.section("Cross-References")
        folder = posixpath.dirname(self.record.path)
        page = self.page
        source = source_link(page, self.record.path, self.root_from_out)
        keywords = kw_page(self.record.path)
        self.add(
            f"- **Source**: {link(code(self.record.path), source)}",
            f"- **Keyword Index**: {self.page_link(posixpath.basename(keywords), keywords)}",
        )
        for title, name in (("Folder Index", FOLDER_INDEX), ("Folder Documentation", FOLDER_DOC)):
            target = folder_page(folder, name)
            self.add(f"- **{title}**: {self.page_link(target, target)}")
        self.add("")

    def page_link(self, label: str, target: str) -> str:
        return link(code(label), link_target(self.page, target))

    def contents(self) -> None:
        """The table of contents under the title: every section, then the top-level classes."""
        self.add(_CONTENTS, "")
        classes = [k for k in self.of_kind("class") if "." not in k.qualname]
        if classes:
            shown = " · ".join(self.keyword_link(k) for k in classes[:CALL_LIMIT])
            more = len(classes) - CALL_LIMIT
            self.add(f"**Classes**: {shown}" + (f" and {more:,} more" if more > 0 else ""), "")

    def render(self) -> str:
        self.add(header("documentation page", self.record.path))
        self.add(f"# Documentation: {code(self.record.path)}", "")
        self.contents()
        self.metadata()
        self.purpose()
        self.overview()
        self.detailed()
        self.architecture()
        self.dependencies()
        self.patterns()
        self.performance()
        self.security()
        self.testing()
        self.related()
        self.cross_references()
        self.source()
        self.add("---", "", FOOTER, "")
        return "\n".join(self.out)


def render_docs_page(
    record: FileRecord,
    text: str,
    facts: PageFacts,
    links: FileLinks,
    root_from_out: str,
    source_limit: int,
    anchors: dict[tuple[str, str, int], str] | None = None,
) -> str:
    """The documentation page of ``record``; ``text`` is its decoded source."""
    # ``anchors`` is keyword_anchors(record) when the caller has computed it already.
    return _Page(record, text, facts, links, root_from_out, source_limit, anchors).render()


def _imported(name: str) -> str:
    """A name an import statement binds, as the Dependencies show it (``as alias`` for the
    alias of ``import a.b as alias``)."""
    return f"as {code(name[3:])}" if name.startswith("as ") else code(name)
