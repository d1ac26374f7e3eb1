"""``kwdocs export --site``: an MkDocs configuration whose ``mkdocs build --strict`` builds the
pages into a browsable site, every link and anchor resolving under MkDocs's rules (the kwdocs
plugin) and under GitHub's (tests/linkcheck.py) alike."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from linkcheck import check_tree

pytest.importorskip("mkdocs", reason="the site extra (mkdocs) is not installed")

FSDP = "torch/distributed/fsdp"


def kwdocs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kwdocs", *args], capture_output=True, text=True, timeout=600
    )


def mkdocs_build(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _ids(html: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', html))


@pytest.mark.slow
def test_torch_fsdp_site_builds_strict_and_links_resolve_on_github_too(
    torch_root: Path, tmp_path: Path
) -> None:
    out, config = tmp_path / "pages", tmp_path / "mkdocs.yml"
    result = kwdocs(
        "export",
        str(torch_root),
        "--include",
        f"{FSDP}/**",
        "--out",
        str(out),
        "--site-config",
        str(config),
    )
    assert result.returncode == 0, result.stderr
    assert f"MkDocs configuration: {config}" in result.stdout
    text = config.read_text(encoding="utf-8")
    assert text.startswith("# kwdocs:generated") and "  - kwdocs\n" in text
    assert f'- Documentation: "{FSDP}/_flat_param.py_docs.md"' in text
    built = mkdocs_build(config)
    assert built.returncode == 0, built.stderr[-4000:]
    assert "WARNING" not in built.stderr
    site = tmp_path / "site"
    page = (site / FSDP / "_flat_param.py_docs.html").read_text(encoding="utf-8")
    # GitHub's anchors, duplicates and all: the ones every page links to.
    assert {"architecture--design", "class-flatparamhandle", "original-source"} <= _ids(page)
    # The source file is not in the site: its link leads to the page's source section.
    assert 'href="#original-source"' in page or "_flat_param.py_docs.html#original-source" in page
    # The same pages (landing page included) resolve under GitHub's rules.
    assert (out / "README.md").is_file()
    assert check_tree(out) == []


def test_anchors_repeated_headings_and_source_links_in_a_small_site(
    make_tree, tmp_path: Path
) -> None:
    root = make_tree(
        {
            "pkg/shapes.py": "class Shape:\n    def area(self):\n        return 1\n",
            "notes.md": "# Notes\n\n## A & B\n\n## A & B\n\n## Ünïcode — Title\n",
        }
    )
    out, config = tmp_path / "pages", tmp_path / "site" / "mkdocs.yml"
    result = kwdocs("export", str(root), "--out", str(out), "--site-config", str(config))
    assert result.returncode == 0, result.stderr
    built = mkdocs_build(config)
    assert built.returncode == 0, built.stderr[-4000:]
    html = (tmp_path / "site" / "site" / "notes.md_docs.html").read_text(encoding="utf-8")
    ids = _ids(html)
    # MkDocs alone would say heading-a-b, heading-a-b_1 and heading-unicode-title.
    assert {"heading-a--b", "heading-a--b-1", "heading-ünïcode--title"} <= ids
    assert "heading-a-b_1" not in ids
    shapes = (tmp_path / "site" / "site" / "pkg" / "shapes.py_docs.html").read_text("utf-8")
    assert "../../" not in re.sub(r'href="\.\./(css|js|img|search|index|doc)', "", shapes)
    assert check_tree(out) == []


def test_site_config_is_never_the_users_and_never_inside_the_output_folder(
    make_tree, tmp_path: Path
) -> None:
    root = make_tree({"pkg/shapes.py": "class Shape:\n    pass\n"})
    own = root / "mkdocs.yml"
    own.write_text("site_name: Mine\n", encoding="utf-8")
    # The default place is ROOT/mkdocs.yml (the output folder lies inside ROOT): theirs.
    result = kwdocs("export", str(root), "--site")
    assert result.returncode == 2
    assert "is not a configuration kwdocs wrote" in result.stderr
    assert own.read_text(encoding="utf-8") == "site_name: Mine\n"
    assert not (root / "docs").exists()  # refused before any page was written
    result = kwdocs("export", str(root), "--site-config", str(root / "docs/kwdocs/mkdocs.yml"))
    assert result.returncode == 2 and "inside the output folder itself" in result.stderr
    own.unlink()
    result = kwdocs("export", str(root), "--site")
    assert result.returncode == 0, result.stderr
    assert 'docs_dir: "docs/kwdocs"' in own.read_text(encoding="utf-8")
    assert mkdocs_build(own).returncode == 0
    assert (root / "site" / "index.html").is_file()
    # The built site is not documented by the next export (mkdocs.yml is: the project's now).
    result = kwdocs("export", str(root), "--json")
    assert '"files": 2' in result.stdout
    assert not list((root / "docs/kwdocs").glob("site*"))
