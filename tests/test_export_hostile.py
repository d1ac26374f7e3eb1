"""Hostile names and content: pages land inside OUT, links resolve, nothing from a source file
becomes HTML or Markdown structure."""

from __future__ import annotations

import os
import re
from pathlib import Path

from export_support import export, page_tree
from kwdocs.extract import GENERATED_MARKER
from linkcheck import check_tree
from markdown_it import MarkdownIt

HOSTILE_NAMES = [
    "with space.py",
    "ünïcødé_名前.py",
    "hash#tag.py",
    "per%20cent.py",
    "[brackets].py",
    "back`tick`.py",
    "star*.py",
    "new\nline.py",
    "-leading-dash.py",
    "..dots.py",
    "paren(s).md",
    "amp&lt;.md",
]
HOSTILE_FOLDERS = ["sp ace", "#hash", "[b]", "-dash", "new\nline", "ü", "`tick"]


def test_hostile_file_and_folder_names(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    for folder in ["", *HOSTILE_FOLDERS]:
        for name in HOSTILE_NAMES:
            path = root / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            body = "# Title `x`\n" if name.endswith(".md") else "class C:\n    pass\n"
            path.write_text(body, encoding="utf-8")
    out = tmp_path / "out"
    summary = export(root, out)
    files = len(HOSTILE_NAMES) * (len(HOSTILE_FOLDERS) + 1)
    assert summary.files == files and summary.conflicts == []
    pages = page_tree(out)
    assert len(pages) == files * 2 + (len(HOSTILE_FOLDERS) + 1) * 2 + 1  # and README.md
    real_out = os.path.realpath(out)
    for rel in pages:
        assert os.path.commonpath([real_out, os.path.realpath(out / rel)]) == real_out
    # Nothing was written next to OUT or into the sources.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ws"]
    assert not [p for p in root.rglob("*") if p.name.endswith(("_docs.md", "_kw.md"))]
    assert check_tree(out) == []


HOSTILE_DOC = '''"""Docstring <script>alert(1)</script> <img src=x onerror=alert(2)> &amp; &lt;

[click](javascript:alert(3)) <!-- comment --> `unbalanced
```
fence inside
```
"""


class `Odd` if False else None:  # a syntax error carrying backticks
    pass
'''

HOSTILE_SOURCE = '''"""<b>bold</b> and <script>alert(1)</script>

```
a fence in a docstring
````
"""


def f_<"x">():
    pass


def looks_like_markdown():
    """# Heading? | table | *star* [link](http://x) <div>html</div> ``` `x"""


class Base:
    """<iframe src=x></iframe>"""
'''


def test_hostile_content_renders_as_text(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (root / "bad.py").write_text(HOSTILE_DOC)
    (root / "ok.py").write_text(
        HOSTILE_SOURCE.replace('def f_<"x">():\n    pass\n', "def f_x():\n    pass\n")
    )
    (root / "doc.md").write_text(
        "# <script>alert(1)</script> `code`\n\n## [link](javascript:x) *em*\n\n"
        "Text with `a<b>` and ``` `` ``` and `<img src=x>`.\n"
    )
    out = tmp_path / "out"
    export(root, out)
    md = MarkdownIt("commonmark")
    for rel, data in page_tree(out).items():
        text = data.decode()
        tokens = md.parse(text)
        html = [t.content for t in tokens if t.type == "html_block"]
        # The HTML of a page is kwdocs's own: its first line, the marker comment, and on a
        # docs page the <details> block folding the source (the file name in it escaped).
        assert html[0].startswith(GENERATED_MARKER), rel
        if rel.endswith("_docs.md") and len(html) > 1:
            opening, closing = html[1:]
            assert re.fullmatch(r"<details>\n<summary>[^<>]*</summary>\n", opening), rel
            assert closing == "</details>\n", rel
        else:
            assert len(html) == 1, rel
        for token in tokens:
            for child in token.children or []:
                assert child.type != "html_inline", (rel, child.content)
                if child.type == "link_open":
                    assert not str(child.attrGet("href")).startswith("javascript"), rel
        rendered = md.render(text)
        for tag in ("<script", "<img", "<iframe", "<b>", "<div"):
            assert tag not in rendered, (rel, tag)
    assert check_tree(out) == []
    docs = (out / "ok.py_docs.md").read_text()
    # The docstring summary is shown as text, escaped.
    assert "&lt;iframe src=x&gt;&lt;/iframe&gt;" in docs
    # The docstring is read as reST: *star* stays emphasis, the rest is escaped text.
    assert "\\# Heading? \\| table \\| *star* \\[link\\](<http://x>)" in docs
