"""Where the server writes the pages a hover links to: never into the workspace unless the user
asked (an export there already, or ``onDemandPages: output``)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from lsp_session import VSCODE, hover_text, page_cache, session

pytestmark = pytest.mark.asyncio
LINK = re.compile(r"\]\((file://[^)]+)\)")


def _pages_linked(text: str) -> list[Path]:
    return [Path(unquote(urlparse(uri).path)) for uri in LINK.findall(text)]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def _fresh_repository(root: Path) -> None:
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(
        root,
        "-c",
        "user.name=kwdocs tests",
        "-c",
        "user.email=tests@kwdocs.invalid",
        "commit",
        "-qm",
        "the workspace",
    )
    assert _git(root, "status", "--porcelain", "--ignored") == ""


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
async def test_a_hover_in_a_fresh_repository_leaves_git_status_clean(sample: Path):
    _fresh_repository(sample)
    square = sample / "pkg/square.py"
    async with session(sample, VSCODE, init_options={"definitionTarget": "both"}) as s:
        await s.ready()
        s.open(square)
        # "def build() -> Shape:": the hover links to the pages of pkg/base.py ...
        docs, kw = _pages_linked(hover_text(await s.hover(square, 16, 17)))
        cache = page_cache(sample)
        assert docs == cache / "pkg/base.py_docs.md" and kw == cache / "pkg/base.py_kw.md"
        # ... which the server writes soon after, outside the workspace.
        # (The manifest is saved last, once the folder pages are written too.)
        manifest = cache / ".kwdocs-manifest.json"
        await s.until(lambda: docs.is_file() and kw.is_file() and manifest.is_file())
        # A definition that leads into the docs page of pkg/square.py has it written: outside.
        found = await s.definition(square, 17, 11)  # "return make_shape('square')"
        assert found
        await s.until((cache / "pkg/base.py_docs.md").is_file)
    assert _git(sample, "status", "--porcelain", "--ignored") == ""
    assert not (sample / "docs").exists()


async def test_an_export_the_user_asks_for_goes_to_the_output_folder_and_hovers_follow(
    sample: Path,
):
    square = sample / "pkg/square.py"
    out = sample / "docs/kwdocs"
    async with session(sample, VSCODE) as s:
        await s.ready()
        s.open(square)
        before = _pages_linked(hover_text(await s.hover(square, 16, 17)))
        assert before[0].is_relative_to(page_cache(sample))
        assert not out.exists()
        await s.command("kwdocs.server.exportAll")
        assert (out / "pkg/base.py_docs.md").is_file() and (out / "README.md").is_file()
        # From now on hovers link into the user's export.
        after = _pages_linked(hover_text(await s.hover(square, 16, 17)))
        assert after == [out / "pkg/base.py_docs.md", out / "pkg/base.py_kw.md"]


async def test_an_existing_export_is_used_at_once(sample: Path, tmp_path: Path):
    from kwdocs.config import load_settings
    from kwdocs.export import export_workspace

    out = sample / "docs/kwdocs"
    export_workspace(load_settings(sample))
    base = out / "pkg/base.py_docs.md"
    base.unlink()  # a page the server must write again, into the export
    square = sample / "pkg/square.py"
    async with session(sample, VSCODE) as s:
        await s.ready()
        s.open(square)
        docs, _ = _pages_linked(hover_text(await s.hover(square, 16, 17)))
        assert docs == base
        await s.until(base.is_file)
    assert not page_cache(sample).exists()


@pytest.mark.parametrize("place", ["output", "cache"])
async def test_the_setting_chooses(sample: Path, place: str):
    out = sample / "docs/kwdocs"
    if place == "cache":
        from kwdocs.config import load_settings
        from kwdocs.export import export_workspace

        export_workspace(load_settings(sample))  # even with an export there
    square = sample / "pkg/square.py"
    async with session(sample, VSCODE, init_options={"onDemandPages": place}) as s:
        await s.ready()
        s.open(square)
        docs, _ = _pages_linked(hover_text(await s.hover(square, 16, 17)))
        folder = out if place == "output" else page_cache(sample)
        assert docs == folder / "pkg/base.py_docs.md"
        await s.until(docs.is_file)
