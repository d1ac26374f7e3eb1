"""Hover over stdio: text, links into generated pages, ranking, markup kinds, encodings."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from kwdocs.pages import github_slug
from lsp_session import (
    NEOVIM,
    PROFILES,
    VSCODE,
    capabilities_for,
    hover_text,
    page_cache,
    session,
)
from lsprotocol import types
from overload_support import IMPL

pytestmark = pytest.mark.asyncio
LINK = re.compile(r"\]\((file://[^)]+)\)")


def _file_of(uri: str) -> tuple[Path, str]:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)), parsed.fragment


def _anchors_in(page: Path) -> set[str]:
    """Slugs of every heading of a Markdown page (as GitHub numbers repeated ones)."""
    seen: dict[str, int] = {}
    slugs = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            continue
        base = github_slug(line.lstrip("#").strip().replace("`", ""))
        slug = base
        while slug in seen:
            seen[base] += 1
            slug = f"{base}-{seen[base]}"
        seen[slug] = 0
        slugs.add(slug)
    return slugs


@pytest.mark.parametrize("profile", PROFILES)
async def test_hover_shows_kind_signature_summary_location_and_links(sample: Path, profile):
    square = sample / "pkg/square.py"
    async with session(sample, profile) as s:
        s.open(square)
        # Line 17 (0-based 16): "def build() -> Shape:", the return annotation.
        text = hover_text(await s.hover(square, 16, 17))
        assert text.startswith("**class** `pkg.base.Shape`")
        assert "```python\nclass Shape\n```" in text
        assert "A geometric shape with an *area*." in text
        assert "Defined in `pkg/base.py:4`" in text
        links = LINK.findall(text)
        assert len(links) == 2
        docs, fragment = _file_of(links[0])
        kw, _ = _file_of(links[1])
        # No export in the workspace: the pages go to its page cache, outside it.
        assert docs == page_cache(sample) / "pkg/base.py_docs.md"
        assert kw == page_cache(sample) / "pkg/base.py_kw.md"
        assert fragment == "class-shape"
        # The pages did not exist: the hover had them written, anchor included.
        await s.until(lambda: docs.exists() and kw.exists())
        assert fragment in _anchors_in(docs)


async def test_hover_resolves_imports_and_lists_other_definitions(sample: Path):
    square = sample / "pkg/square.py"
    other = sample / "other/user.py"
    other.write_text("def f(x):\n    return x.area()\n", encoding="utf-8")
    async with session(sample) as s:
        await s.ready()
        s.open(square)
        # "from pkg.base import Shape, make_shape": the import resolves to one definition.
        text = hover_text(await s.hover(square, 2, 30))
        assert text.startswith("**function** `pkg.base.make_shape`")
        assert "def make_shape(kind: str = 'square') -> Shape" in text
        assert "Other definitions" not in text
        # An attribute of an object whose type the code does not state: said so, and the
        # methods of that name listed as candidates by name, never described as the answer.
        s.open(other)
        text = hover_text(await s.hover(other, 1, 15))
        assert text.startswith("**attribute** `area`") and "cannot tell" in text
        assert "Defined in" not in text
        assert "by name only" in text
        assert "`pkg.square.Square.area`" in text and "`pkg.base.Shape.area`" in text


async def test_hover_on_self_attribute_picks_the_enclosing_class(sample: Path):
    square = sample / "pkg/square.py"
    async with session(sample) as s:
        s.open(square)
        # "        return self.area() * 2": self.area is Square.area, not Shape.area.
        text = hover_text(await s.hover(square, 13, 21))
        assert text.startswith("**method** `pkg.square.Square.area`")
        assert "Side times side." in text


async def test_no_keyword_is_null_not_an_error(sample: Path):
    square = sample / "pkg/square.py"
    async with session(sample) as s:
        s.open(square)
        assert await s.hover(square, 1, 0) is None  # an empty line
        assert await s.hover(square, 10, 26) is None  # "*" between words
        assert await s.hover(square, 17, 23) is None  # inside the string 'square'? a literal
        assert await s.hover(square, 999, 0) is None  # past the end


async def test_plaintext_client_gets_plain_text(sample: Path):
    caps = capabilities_for(VSCODE)
    caps.text_document.hover.content_format = [types.MarkupKind.PlainText]
    square = sample / "pkg/square.py"
    async with session(sample, capabilities=caps) as s:
        s.open(square)
        result = await s.hover(square, 16, 17)
        assert result is not None
        assert result.contents.kind == types.MarkupKind.PlainText
        text = result.contents.value
        assert text.startswith("class pkg.base.Shape\n\nclass Shape")
        assert "**" not in text and "```" not in text
        assert "Documentation: file://" in text


async def test_hover_in_markdown_and_on_generated_pages(sample: Path):
    readme = sample / "README.md"
    async with session(sample, NEOVIM) as s:
        await s.ready()
        s.open(readme)
        # "Use `Shape.area` and ...": the dotted name resolves to the method.
        text = hover_text(await s.hover(readme, 2, 12))
        assert "Shape.area" in text
        result = await s.command("kwdocs.server.exportAll")
        assert result["folders"][0]["written"] > 0
        page = sample / "docs/kwdocs/pkg/square.py_kw.md"
        lines = page.read_text(encoding="utf-8").splitlines()
        number, line = next((i, t) for i, t in enumerate(lines) if "double" in t)
        s.open(page)
        text = hover_text(await s.hover(page, number, line.index("double") + 1))
        assert "`pkg.square.Square.double`" in text
        assert "Defined in `pkg/square.py:13`" in text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8", "utf-32"])
async def test_columns_follow_the_negotiated_encoding(make_tree, encoding: str):
    source = 'label = "𝔘é"; shape = Shape()\n\n\nclass Shape:\n    """Non-ASCII line test."""\n'
    root = make_tree({"mod.py": source})
    path = root / "mod.py"
    line = source.splitlines()[0]
    start = line.index("Shape()")
    prefix = line[:start]
    width = {
        "utf-16": len(prefix.encode("utf-16-le")) // 2,
        "utf-8": len(prefix.encode("utf-8")),
        "utf-32": len(prefix),
    }[encoding]
    caps = capabilities_for(VSCODE, position_encodings=[encoding])
    async with session(root, capabilities=caps) as s:
        s.open(path)
        result = await s.hover(path, 0, width + 2)
        assert "Non-ASCII line test." in hover_text(result)
        assert result.range.start.character == width
        assert result.range.end.character == width + 5
        # Past the end of a line with non-ASCII text: null, not an error.
        assert await s.hover(path, 0, width + 500) is None


async def test_attributes_of_modules_outside_the_workspace_are_null(make_tree):
    root = make_tree(
        {
            "app.py": "import nosuchlib as np\nimport json\n\nvalue = np.array(json.dumps(1))\n",
            "mine.py": "def array():\n    pass\n\n\ndef dumps():\n    pass\n",
        }
    )
    app = root / "app.py"
    async with session(root) as s:
        await s.ready()
        s.open(app)
        # json.dumps is the standard library's, described from its stub, never mine.dumps;
        # np.array is a library's that is installed nowhere: nothing, and not mine.array.
        text = hover_text(await s.hover(app, 3, 24))
        assert text.startswith("**function** `json.dumps`") and "mine" not in text
        assert "json/__init__.pyi:" in text
        assert await s.hover(app, 3, 12) is None
        # The import itself is what kwdocs knows about np.
        text = hover_text(await s.hover(app, 3, 9))
        assert text.startswith("**import** `nosuchlib`") and "cannot read it" in text


async def test_hover_on_an_overloaded_call_carries_the_implementations_summary(make_tree):
    # The first @overload is the definition shown (as definition answers), but the docstring
    # is the implementation's: the hover takes the summary from there.
    root = make_tree({"impl.py": IMPL, "use.py": "from impl import pick\n\npick(1)\n"})
    path = root / "use.py"
    async with session(root) as s:
        s.open(path)
        text = hover_text(await s.hover(path, 2, 1))
        assert text.startswith("**function** `impl.pick`")
        assert "def pick(x: int) -> int" in text
        assert "Return `x` unchanged." in text and "Longer text" not in text


async def test_docstring_summaries_are_the_pages_inert_markdown(make_tree):
    # The summary is the docstring's first sentence as written: its reST literal and role
    # become code spans, and HTML or a Markdown image from the docstring stays text.
    source = (
        "def scale(x):\n"
        '    """Multiply ``x`` by :attr:`factor` <img src=x onerror=alert(1)> ![i](http://e/i.png).\n'
        "\n"
        "    More text.\n"
        '    """\n'
        "\n"
        "\n"
        "scale(2)\n"
    )
    root = make_tree({"mod.py": source})
    path = root / "mod.py"
    async with session(root) as s:
        s.open(path)
        text = hover_text(await s.hover(path, 7, 1))
        assert text.startswith("**function** `mod.scale`")
        assert "Multiply `x` by `factor`" in text
        assert "<img" not in text and "![i]" not in text
        assert "\\<img" in text or "&lt;img" in text
        assert "More text" not in text


async def test_hover_on_an_alias_describes_what_it_stands_for(make_tree):
    # ``collate = _impl.collate`` said only "variable": the hover now also shows the function
    # it stands for (the engine's ``alias_of``, as the folder pages' API follows it).
    root = make_tree(
        {
            "pkg/__init__.py": "",
            "pkg/_impl.py": (
                "def collate(batch, *, pad=0):\n"
                '    """Merge samples into a batch."""\n'
                "    return batch\n"
            ),
            "pkg/api.py": (
                "import os\nfrom pkg import _impl\n\ncollate = _impl.collate\nsep = os.sep\n"
            ),
            "use.py": "from pkg.api import collate\n\ncollate([1])\n",
        }
    )
    async with session(root) as s:
        await s.ready()
        s.open(root / "use.py")
        text = hover_text(await s.hover(root / "use.py", 2, 1))
        assert text.startswith("**variable** `pkg.api.collate`")
        assert "Stands for **function** `pkg._impl.collate`, defined in `pkg/_impl.py:1`" in text
        assert "def collate(batch, *, pad=0)" in text and "Merge samples into a batch." in text
        assert "Defined in `pkg/api.py:4`" in text
        # Outside the workspace: nothing is claimed.
        s.open(root / "pkg/api.py")
        text = hover_text(await s.hover(root / "pkg/api.py", 4, 1))
        assert text.startswith("**variable** `pkg.api.sep`") and "Stands for" not in text
