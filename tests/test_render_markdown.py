"""Markdown building blocks, checked by parsing what they produce with markdown-it-py: text stays
text, code spans and fences hold their content verbatim, whatever it contains."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from kwdocs.render.markdown import code, escape, fence, header, source_link
from markdown_it import MarkdownIt

md = MarkdownIt("commonmark")


def inline_tokens(text: str):
    tokens = md.parse(text)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], text
    return tokens[1].children


# Printable text without the characters Markdown normalises anyway (line ends, NUL, tabs).
_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip())


@settings(max_examples=300, deadline=None)
@given(_text)
def test_escaped_text_renders_as_the_same_text(text: str) -> None:
    children = inline_tokens("x " + escape(text))
    assert all(c.type == "text" for c in children), (text, [c.type for c in children])
    rendered = "".join(c.content for c in children)
    assert rendered == "x " + " ".join(text.split())


@settings(max_examples=300, deadline=None)
@given(_text)
def test_code_span_holds_its_content(text: str) -> None:
    children = inline_tokens("x " + code(text))
    spans = [c for c in children if c.type == "code_inline"]
    assert len(spans) == 1
    assert spans[0].content == text


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from("`~ \nab<>#*"), max_size=60))
def test_fence_holds_any_text(text: str) -> None:
    text = text.strip("\n") + "\n" if text.strip("\n") else "a\n"
    tokens = md.parse("before\n\n" + fence(text, "python") + "\n\nafter\n")
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content == text and fences[0].info == "python"
    assert tokens[-2].content == "after"


def test_fence_outruns_backtick_runs() -> None:
    assert fence("````\n", "text").startswith("`````text\n")
    assert fence("plain", "").startswith("```\n")


def test_header_is_one_comment_line() -> None:
    line = header("keyword page", "evil-->\n<script>.py")
    assert "\n" not in line and line.count("-->") == 1 and line.endswith("-->")


def test_source_link_encodes_every_part() -> None:
    assert source_link("a b/c#.py_kw.md", "a b/c#.py", "../../my root") == (
        "../../../my%20root/a%20b/c%23.py"
    )
    assert source_link("x.py_kw.md", "x.py", "..") == "../x.py"
