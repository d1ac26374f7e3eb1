"""Hostile file and folder names and hostile page content: every page lands inside the output
folder under its mirrored name, every link of every page resolves, and nothing from a source
(names, docstrings, identifiers) turns into HTML, a link or broken Markdown on a page."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hostile_support import triples
from kwdocs.config import load_settings
from kwdocs.discover import discover
from kwdocs.export import export_workspace
from kwdocs.extract import GENERATED_MARKER
from kwdocs.pages import docs_page, kw_page
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from linkcheck import check_tree

SOURCE = "def here():\n    pass\n"
NAMES = [
    "with space.py",
    "ünïcödé.py",
    "日本語.py",
    "hash#tag.py",
    "100%.py",
    "%41%2F.py",
    "[brackets].py",
    "back`tick`.py",
    "star*.py",
    "new\nline.py",
    "-leading-dash.py",
    "--help.py",
    "tab\there.py",
    "less<than>&amp.py",
    "quote\"'.py",
    "(paren)!.py",
    "back\\slash.py",
    "pipe|semi;.py",
    "\u202eyp.exe.py",
    ".hidden.py",
    "..double.py",
    "index.py",
    "doc.md",
    "index.md",
    "x.py_docs.md",
    "dir with space/mod.py",
    "#dir/[d]/-x/mod.py",
    "%2e%2e/mod.py",
    "new\nfolder/mod.py",
    "`/mod.py",
    "ünï/日本/mod.py",
]
INVALID_UTF8 = b"bad\xff\xfename.py"


@pytest.fixture(scope="module")
def named_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("names") / "ws"
    root.mkdir()
    for name in NAMES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SOURCE if name.endswith(".py") else "# Heading\n\nText `here`.\n")
    os.close(os.open(os.fsencode(root) + b"/" + INVALID_UTF8, os.O_CREAT | os.O_WRONLY))
    out = root.parent / "out"
    settings = load_settings(root, {"outputDir": str(out)})
    summary = export_workspace(settings)
    return root, out, summary


def test_discovery_keeps_every_valid_name_and_explains_the_invalid_one(
    named_export: tuple[Path, Path, object],
) -> None:
    root, _, _ = named_export
    found = discover(load_settings(root, {"outputDir": str(root.parent / "out")}))
    assert sorted(f.path for f in found.files) == sorted(NAMES)
    assert [(s.path, s.reason) for s in found.skipped] == [
        ("bad??name.py", "file name is not valid UTF-8")
    ]


def test_every_page_lands_inside_out_under_its_mirrored_name(
    named_export: tuple[Path, Path, object],
) -> None:
    _, out, summary = named_export
    real_out = os.path.realpath(out)
    for name in NAMES:
        for page in (docs_page(name), kw_page(name)):
            target = out / page
            assert target.is_file(), page
            assert os.path.realpath(target).startswith(real_out + os.sep)
            assert target.read_text(encoding="utf-8").startswith(GENERATED_MARKER)
    for folder, _, files in os.walk(out):
        for name in files:
            assert os.path.realpath(os.path.join(folder, name)).startswith(real_out + os.sep)
    assert summary.conflicts == []


def test_every_link_resolves(named_export: tuple[Path, Path, object]) -> None:
    _, out, _ = named_export
    assert check_tree(out) == []


def test_names_stay_plain_text_on_pages(named_export: tuple[Path, Path, object]) -> None:
    _, out, _ = named_export
    for name in NAMES:
        if not name.endswith(".py"):
            continue
        text = (out / kw_page(name)).read_text(encoding="utf-8")
        html = unexpected_html(text)
        assert html == [], (name, html)
        # The title is one heading line holding the whole path.
        first_heading = next(line for line in text.splitlines() if line.startswith("# "))
        assert first_heading.startswith("# Keyword Index:")
        tokens = MarkdownIt("commonmark").parse(text)
        h1 = [
            tokens[i + 1].content
            for i, t in enumerate(tokens)
            if t.type == "heading_open" and t.tag == "h1"
        ]
        assert len(h1) == 1, (name, h1)


CONTENT = '''\
"""Module <script>alert(1)</script> with <b>HTML</b> and [a link](javascript:alert(1)).

![image](http://evil.example/x.png) <img src=x onerror=alert(1)> &amp; &lt;
```
unbalanced fence
"""

import os as `


class __init__Like:
    """Docstring ``` with `` unbalanced ` backticks and </details> and <!-- comment."""

    def _private_(self, *args, **kwargs):
        """*emphasis* __strong__ [ref]: http://evil.example <http://evil.example>"""


def __dunder__():
    """# Not a heading
    - not a list
    | not | a table |"""


_x_ = "<iframe>"
__all__ = ["<b>", "__dunder__"]
'''


# The <details> block folding a docs page's source is kwdocs's own HTML (its text escaped).
_OWN_HTML = re.compile(r"<details>\n<summary>[^<>]*</summary>\n|</details>\n")


def unexpected_html(text: str) -> list[str]:
    """HTML a page contains beyond kwdocs's own: the generated-page marker comment and the
    block folding the source."""
    found = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "html_block" and not (
            token.content.startswith(GENERATED_MARKER) or _OWN_HTML.fullmatch(token.content)
        ):
            found.append(token.content)
        for child in token.children or []:
            if child.type == "html_inline":
                found.append(child.content)
    return found


def images_of(text: str) -> list[str]:
    return [
        str(child.attrGet("src"))
        for token in MarkdownIt("commonmark").parse(text)
        for child in token.children or []
        if child.type == "image"
    ]


def links_of(text: str) -> list[str]:
    hrefs = []
    for token in MarkdownIt("commonmark").parse(text):
        for child in token.children or []:
            if child.type in ("link_open", "image"):
                hrefs.append(str(child.attrGet("href") or child.attrGet("src")))
    return hrefs


@pytest.fixture(scope="module")
def content_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("content") / "ws"
    root.mkdir()
    (root / "evil.py").write_text(CONTENT.replace("import os as `\n", ""))
    (root / "broken.py").write_text(CONTENT)  # the stray backtick: a syntax error
    (root / "notes.md").write_text(
        "# <script>x</script> `__init__`\n\n<div onclick=x>raw</div>\n\n"
        "## [link](javascript:x) *star*\n\n````\nunclosed fence\n"
    )
    out = root.parent / "out"
    export_workspace(load_settings(root, {"outputDir": str(out)}))
    return out


@pytest.mark.parametrize("source", ["evil.py", "broken.py", "notes.md"])
def test_hostile_content_renders_as_text(content_export: Path, source: str) -> None:
    for page in (docs_page(source), kw_page(source)):
        text = (content_export / page).read_text(encoding="utf-8")
        assert unexpected_html(text) == [], page
        for href in links_of(text):
            # Relative links between pages and to the sources; and the http(s) links a
            # docstring writes, rendered as links (never images, never another scheme).
            assert urlsplit(href).scheme in ("", "http", "https"), (page, href)
        assert not images_of(text), page
    assert check_tree(content_export) == []


def test_markdown_looking_identifiers_are_keywords_verbatim() -> None:
    from kwdocs.extract import extract_bytes

    record = extract_bytes("evil.py", CONTENT.replace("import os as `\n", "").encode())
    names = {name for name, _, _, _ in triples(record)}
    assert names == {"__init__Like", "_private_", "__dunder__", "_x_", "__all__"}
