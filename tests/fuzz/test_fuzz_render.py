"""Fuzzing the page renderers with hostile sources and file names: no exception escapes, no
HTML from the source reaches a page, and every link of every page resolves (the whole export
runs per case, checked by the suite's link checker)."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from fuzz_support import count, examples
from hypothesis import given
from hypothesis import strategies as st
from kwdocs.config import load_settings
from kwdocs.export import export_workspace
from kwdocs.extract import GENERATED_MARKER, extract_source
from kwdocs.facts import page_facts
from kwdocs.link_types import FileLinks
from kwdocs.render.docs_page import render_docs_page
from kwdocs.render.kw_page import render_kw_page
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from linkcheck import check_tree, parse_page

_md = MarkdownIt("commonmark")
HOSTILE_TEXT = st.lists(
    st.sampled_from(
        [
            "<script>alert(1)</script>",
            "<b>",
            "</details>",
            "<!--",
            "[x](javascript:alert(1))",
            "![i](http://evil.example/i.png)",
            "<http://evil.example>",
            "`",
            "``",
            "```",
            "~~~",
            "*",
            "__",
            "# ",
            "\n",
            "|",
            "&amp;",
            "\\",
            "Ünï",
            "word",
            " ",
        ]
    ),
    max_size=12,
).map("".join)
IDENTIFIERS = st.sampled_from(["__init__", "_x_", "a__b__c", "Ünï", "ﬁx", "data", "__all__"])


@st.composite
def python_sources(draw: st.DrawFn) -> str:
    doc = draw(HOSTILE_TEXT).replace('"""', "").replace("\\", "")
    name = draw(IDENTIFIERS)
    method = draw(IDENTIFIERS)
    tail = draw(st.sampled_from(["", "x = (\n", "import os as `\n", "def broken(:\n"]))
    return (
        f'"""{doc}"""\n\nimport os\nfrom . import {name}\n\n\n'
        f'class {name}Cls({name}):\n    """{doc}"""\n\n    def {method}(self):\n'
        f'        """{doc}"""\n\n\n{name}_CONST = "{doc.splitlines()[0] if doc else ""}"\n{tail}'
    )


FILE_NAMES = st.sampled_from(
    ["m.py", "with space.py", "[x]#%.py", "-dash.py", "`tick`.py", "new\nline.py", "ü/日.py"]
)


# kwdocs's own HTML besides the marker: the <details> block folding a docs page's source.
_OWN_HTML = re.compile(r"<details>\n<summary>[^<>\n]*</summary>\n|</details>\n")


def html_and_foreign_links(text: str) -> list[str]:
    """HTML that is not kwdocs's own, images, and links other than relative ones and the
    http(s) links a docstring writes."""
    found = []
    for token in _md.parse(text):
        if token.type == "html_block" and not (
            token.content.startswith(GENERATED_MARKER) or _OWN_HTML.fullmatch(token.content)
        ):
            found.append(token.content)
        for child in token.children or []:
            if child.type in ("html_inline", "image"):
                found.append(child.content or str(child.attrGet("src")))
            if child.type == "link_open":
                href = str(child.attrGet("href"))
                if urlsplit(href).scheme not in ("", "http", "https"):
                    found.append(href)
    return found


@examples(1_000)
@given(st.one_of(python_sources(), HOSTILE_TEXT), st.sampled_from(["m.py", "d/n.md", "t.txt"]))
def test_rendered_pages_are_text_and_their_anchors_resolve(source: str, path: str) -> None:
    count("render: pages of hostile sources")
    extraction = extract_source(path, source.encode("utf-8"))
    record = extraction.record
    kw = render_kw_page(record, "..")
    docs = render_docs_page(
        record, extraction.text, page_facts(extraction.tree), FileLinks(), "..", 10_000
    )
    assert html_and_foreign_links(kw) == []
    assert html_and_foreign_links(docs) == []
    docs_links, docs_slugs = parse_page(docs)
    kw_links, _ = parse_page(kw)
    docs_name = path.rsplit("/", 1)[-1] + "_docs.md"
    for href in kw_links:
        target, _, anchor = href.partition("#")
        anchor = unquote(anchor)
        if target.endswith(docs_name) and anchor:
            assert anchor in docs_slugs, (href, sorted(docs_slugs))
    for href in docs_links:
        if href.startswith("#"):
            assert unquote(href[1:]) in docs_slugs, href


@examples(120)
@given(python_sources(), FILE_NAMES, HOSTILE_TEXT)
def test_whole_exports_of_hostile_workspaces_resolve(source: str, name: str, notes: str) -> None:
    count("render: whole exports")
    with tempfile.TemporaryDirectory(prefix="kwdocs-fuzz-") as tmp:
        root = Path(tmp) / "ws"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(source, encoding="utf-8")
        (root / "notes.md").write_text(notes, encoding="utf-8")
        out = Path(tmp) / "out"
        settings = load_settings(root, {"outputDir": str(out), "jobs": 1})
        settings.use_cache = False
        export_workspace(settings)
        assert check_tree(out) == []
        for page in out.rglob("*.md"):
            assert html_and_foreign_links(page.read_text(encoding="utf-8")) == [], page
