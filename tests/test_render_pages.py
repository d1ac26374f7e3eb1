"""Keyword and docs pages rendered from real extraction records: every keyword link lands on a
heading, all thirteen sections are there in order, long sources are truncated with a note."""

from __future__ import annotations

from urllib.parse import unquote

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kwdocs.analyse import Analysis
from kwdocs.extract import extract_source
from kwdocs.facts import page_facts
from kwdocs.pages import DOCS_SECTIONS, docs_page, keyword_anchors
from kwdocs.render.docs_page import render_docs_page
from kwdocs.render.kw_page import render_kw_page
from linkcheck import parse_page
from markdown_it import MarkdownIt


def pages_of(path: str, source: str, source_limit: int = 200_000) -> tuple[str, str]:
    extraction = extract_source(path, source.encode("utf-8"))
    record = extraction.record
    links = Analysis({path: record}).links(path)
    docs = render_docs_page(
        record, extraction.text, page_facts(extraction.tree), links, "..", source_limit
    )
    return render_kw_page(record, ".."), docs


def kw_anchors_resolve(path: str, kw: str, docs: str) -> None:
    links, _ = parse_page(kw)
    _, slugs = parse_page(docs)
    name = docs_page(path).rpartition("/")[2]
    # markdown-it percent-encodes non-ASCII in hrefs, as browsers do.
    anchors = [unquote(h.split("#", 1)[1]) for h in links if h.startswith(f"./{name}#")]
    assert anchors
    missing = [a for a in anchors if a not in slugs]
    assert not missing


_heading = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"),
    min_size=1,
    max_size=30,
).filter(lambda s: s.strip() and not s.strip().startswith("#"))


@settings(max_examples=150, deadline=None)
@given(st.lists(_heading, min_size=1, max_size=4))
def test_markdown_heading_anchors_resolve(headings: list[str]) -> None:
    source = "".join(f"## {h}\n\ntext `ident`\n\n" for h in headings)
    kw, docs = pages_of("notes.md", source)
    kw_anchors_resolve("notes.md", kw, docs)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(["p", "q", "_r", "Ä", "名"]), min_size=1, max_size=6),
    st.booleans(),
)
def test_python_keyword_anchors_resolve_with_repeated_names(names: list[str], prop: bool) -> None:
    members = "".join(
        f"    @property\n    def {n}(self): ...\n" if prop else f"    def {n}(self): ...\n"
        for n in names
    )
    source = f"class A:\n{members}\n" + "".join(f"def {n}(): ...\n" for n in names)
    kw, docs = pages_of("m.py", source)
    kw_anchors_resolve("m.py", kw, docs)


def test_docs_page_has_the_thirteen_sections_in_order() -> None:
    for path, source in (
        ("a.py", "import os\n\nX = 1\n\ndef f():\n    return os.sep\n"),
        ("b.md", "# Title\n"),
        ("c.txt", "plain\n"),
        ("d.py", "def broken(:\n"),
        ("e.py", ""),
    ):
        _, docs = pages_of(path, source)
        tokens = MarkdownIt("commonmark").parse(docs)
        h2 = [
            tokens[i + 1].content
            for i, t in enumerate(tokens)
            if t.type == "heading_open" and t.tag == "h2"
        ]
        assert h2 == list(DOCS_SECTIONS), path
        for filler in ("requires profiling", "may be located", "Manual security review"):
            assert filler not in docs


def test_syntax_error_is_stated_with_its_line() -> None:
    _, docs = pages_of("d.py", "x = 1\n\ndef broken(:\n    pass\n")
    assert "- **Problem** (line 3): SyntaxError" in docs
    assert "does not parse at line 3" in docs
    assert "Not measured: the file does not parse" in docs


def test_long_source_is_truncated_with_a_note() -> None:
    source = "".join(f"VALUE_{i} = {i}\n" for i in range(1000))
    _, docs = pages_of("long.py", source, source_limit=500)
    assert "*Truncated: the first " in docs
    fence = next(t for t in MarkdownIt("commonmark").parse(docs) if t.type == "fence")
    assert source.startswith(fence.content) and len(fence.content) <= 500
    assert fence.content.endswith("\n")


def test_keyword_page_lists_every_keyword_once_with_its_anchor() -> None:
    source = (
        "import os.path as osp\nfrom . import sib\n\nLIMIT = 3\n\n"
        "class A:\n    def m(self): ...\n\ndef f(): ...\n"
    )
    kw, _ = pages_of("pkg/mod.py", source)
    extraction = extract_source("pkg/mod.py", source.encode())
    anchors = keyword_anchors(extraction.record)
    assert "- **`os.path as osp`**: [mod.py_docs.md](./mod.py_docs.md#dependencies)" in kw
    assert "- **`A.m`**: [mod.py_docs.md](./mod.py_docs.md#method-am)" in kw
    assert "- **`LIMIT`**: [mod.py_docs.md](./mod.py_docs.md#module-level-names)" in kw
    assert kw.count("\n- **`") == len(anchors)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_generated_python_renders_with_resolving_anchors(source: str) -> None:
    kw, docs = pages_of("gen.py", source)
    _, slugs = parse_page(docs)
    for href in parse_page(kw)[0]:
        if href.startswith("./gen.py_docs.md#"):
            assert unquote(href.split("#", 1)[1]) in slugs
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    tokens = MarkdownIt("commonmark").parse(docs)
    # The source is the last section, folded.
    start = max(i for i, t in enumerate(tokens) if t.content == "Original Source")
    fences = [t for t in tokens[start:] if t.type == "fence"]
    if text:
        assert fences[0].content.rstrip("\n") == text.rstrip("\n")
    else:
        assert not fences and "The file is empty." in docs
