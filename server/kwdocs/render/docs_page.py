"""The documentation page of one file (``<file>_docs.md``): thirteen sections of facts about it,
each a plain statement when there is nothing to say."""

from __future__ import annotations

import posixpath
from collections import defaultdict

from kwdocs.analyse import ClassLink, FileLinks, is_test_file
from kwdocs.facts import IDIOMS, PageFacts, iter_longest, iter_most_complex
from kwdocs.model import FileRecord, Keyword
from kwdocs.modules import ImportGroup
from kwdocs.pages import (
    FOLDER_DOC,
    FOLDER_INDEX,
    docs_page,
    folder_page,
    has_own_heading,
    keyword_anchors,
    kw_page,
    link_target,
)
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
)

TYPES = {"python": "Python source", "markdown": "Markdown document", "text": "Text file"}
FENCE_LANGUAGES = {"python": "python", "markdown": "markdown", "text": "text"}
# How many entries a long list shows before it says how many more there are.
LIST_LIMIT = 100
TOP = 5


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


def _lines(lines: list[int]) -> str:
    return f"{'line' if len(lines) == 1 else 'lines'} {lines_list(lines)}"


def _rank(complexity: int) -> str:
    """radon's letter rank of a cyclomatic complexity."""
    for limit, letter in ((5, "A"), (10, "B"), (20, "C"), (30, "D"), (40, "E")):
        if complexity <= limit:
            return letter
    return "F"


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

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def section(self, title: str) -> None:
        self.add(f"## {title}", "")

    def docs_link(self, path: str, anchor: str = "") -> str:
        return link(code(path), link_target(self.page, docs_page(path), anchor))

    def of_kind(self, *kinds: str) -> list[Keyword]:
        return [k for k in self.record.keywords if k.kind in kinds]

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
            f"- **Type**: {TYPES.get(record.language, record.language)}",
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
            self.add("The module docstring:", "", fence(record.docstring, "text"), "")
        elif record.language == "python":
            self.add("The module has no docstring.", "")
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
        else:
            self.add("Text files carry no docstring; the source follows.", "")

    def source(self) -> None:
        self.section("Original Source")
        text = self.text
        limit = self.source_limit
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
        if not text:
            self.add("The file is empty.", "")
            return
        self.add(fence(text, FENCE_LANGUAGES.get(self.record.language, "")), "")

    def overview(self) -> None:
        self.section("High-Level Overview")
        record = self.record
        if record.language == "python":
            parts = [
                plural(len(self.of_kind("class")), "class", "classes"),
                plural(len(self.of_kind("function")), "function"),
                plural(len(self.of_kind("method", "property")), "method"),
                plural(len(self.of_kind("constant", "variable")), "module-level name"),
            ]
            modules = len(self.of_kind("module"))
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
                summary = f": {escape(keyword.summary)}" if keyword.summary else ""
                self.add(f"- {keyword.kind} {self.keyword_link(keyword)}{summary}")
        elif record.language == "markdown":
            self.add(
                f"A Markdown document with {plural(len(self.of_kind('heading')), 'heading')} "
                f"and {plural(len(self.of_kind('identifier')), 'inline code identifier')}."
            )
        else:
            self.add(
                f"A text file of {plural(record.lines, 'line')}; kwdocs extracts no "
                "keywords from text files."
            )
        self.add("")

    def keyword_link(self, keyword: Keyword) -> str:
        anchor = self.anchors.get((keyword.kind, keyword.qualname, keyword.line), "")
        return link(
            code(keyword.qualname), f"{self.self_link}#{anchor}" if anchor else self.self_link
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
        facts = {f.qualname: f for f in self.facts.functions}
        methods: dict[str, list[Keyword]] = defaultdict(list)
        for keyword in self.of_kind("method", "property"):
            methods[keyword.qualname.rpartition(".")[0]].append(keyword)
        own = [k for k in record.keywords if has_own_heading(k)]
        if not own and record.language != "markdown":
            self.add("The file defines no classes or functions.", "")
        for keyword in own:
            self.add(
                f"#### {keyword.kind} {code(keyword.qualname)}"
                if keyword.qualname.strip()
                else f"#### {keyword.kind}",
                "",
            )
            end = f"–{keyword.end_line}" if keyword.end_line > keyword.line else ""
            self.add(f"- **Lines**: {keyword.line}{end}")
            if keyword.signature and keyword.kind != "heading":
                self.add(f"- **Signature**: {code(keyword.signature)}")
            if keyword.bases:
                self.add(f"- **Bases**: {', '.join(code(b) for b in keyword.bases)}")
            if keyword.decorators:
                self.add(
                    f"- **Decorators**: {', '.join(code('@' + d) for d in keyword.decorators)}"
                )
            measured = facts.get(keyword.qualname)
            if measured is not None and keyword.kind != "class":
                self.add(
                    f"- **Size**: {plural(measured.length, 'line')}, cyclomatic complexity "
                    f"{measured.complexity} ({_rank(measured.complexity)})"
                )
            if keyword.kind == "class":
                members = methods.get(keyword.qualname, [])
                names = ", ".join(self.keyword_link(m) for m in members[:LIST_LIMIT])
                self.add(f"- **Methods**: {names}" if names else "- **Methods**: none")
            if keyword.summary:
                self.add(f"- **Summary**: {escape(keyword.summary)}")
            self.add("")
        if record.language == "python":
            self.add("### Module-level names", "")
            names = self.of_kind("constant", "variable")
            if not names:
                self.add("The module assigns no module-level names.", "")
            for keyword in names:
                signature = f" — {code(keyword.signature)}" if keyword.signature else ""
                self.add(f"- {keyword.kind} {code(keyword.name)} (line {keyword.line}){signature}")
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
        decorated = [k for k in self.record.keywords if k.decorators]
        if decorated:
            counts: dict[str, int] = defaultdict(int)
            for keyword in decorated:
                for decorator in keyword.decorators:
                    counts[decorator] += 1
            used = ", ".join(f"{code('@' + d)} × {n}" for d, n in sorted(counts.items()))
            lines.append(f"- Decorators used: {used}")
        if not lines:
            what = "workspace-internal inheritance, decorators, dataclasses, enums or ABCs"
            lines.append(f"No {what} in this file.")
        self.add(*lines, "")

    def dependencies(self) -> None:
        self.section("Dependencies")
        if self.record.language != "python":
            self.add(f"A {TYPES.get(self.record.language, 'text').lower()} imports nothing.", "")
        elif not self.links.imports:
            self.add("The module imports nothing.", "")
        groups: dict[ImportGroup, list] = defaultdict(list)
        for fact in self.links.imports:
            groups[fact.group].append(fact)
        for group in IMPORT_GROUP_ORDER:
            facts = groups.get(group)
            if not facts:
                continue
            self.add(f"### {IMPORT_GROUP_TITLES[group]}", "")
            for fact in facts:
                shown = self.docs_link(fact.path) if fact.path else code(fact.module or ".")
                label = f" ({code(fact.module)})" if fact.path else ""
                if group is ImportGroup.FIRST_PARTY and not fact.path:
                    label = " (not a file of this workspace)"
                names = f": {', '.join(code(n) for n in fact.names)}" if fact.names else ""
                self.add(f"- {shown}{label} (line {fact.line}){names}")
            self.add("")
        self.add("### Imported by", "")
        if not self.links.imported_by:
            self.add("No workspace file imports this one.", "")
        else:
            for path in self.links.imported_by[:LIST_LIMIT]:
                self.add(f"- {self.docs_link(path)}")
            self.more(len(self.links.imported_by))
            self.add("")

    def class_link(self, qualname: str, edge: ClassLink) -> str:
        if edge.path == self.record.path:
            return link(code(qualname), link_target(self.page, self.page, edge.anchor))
        return f"{code(qualname)} in {self.docs_link(edge.path, edge.anchor)}"

    def more(self, count: int) -> None:
        if count > LIST_LIMIT:
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
                "No risky calls found (checked: eval, exec, pickle, marshal, yaml.load, "
                "subprocess with shell=True, os.system, tempfile.mktemp, MD5/SHA-1, assert).",
                "",
            )
            return
        self.add("Risky calls, named after bandit's checks:", "")
        for (check, message), lines in sorted(found.items()):
            self.add(f"- **{check}** {message}: {_lines(lines)}")
        self.add("")

    def testing(self) -> None:
        self.section("Testing & Usage")
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
        siblings = self.links.siblings
        folder = posixpath.dirname(self.record.path) or "."
        if not siblings:
            self.add(f"No other file in {code(folder)}.", "")
            return
        self.add(f"Other files in {code(folder)}:", "")
        for path in siblings[:LIST_LIMIT]:
            self.add(f"- {self.docs_link(path)}")
        self.more(len(siblings))
        self.add("")

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

    def render(self) -> str:
        self.add(header("documentation page", self.record.path))
        self.add(f"# Documentation: {code(self.record.path)}", "")
        self.metadata()
        self.purpose()
        self.source()
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
