"""The real FSDP pages: the seed pages' defects are gone, links resolve, fences hold the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from export_support import export
from linkcheck import check_tree
from markdown_it import MarkdownIt

FSDP = "torch/distributed/fsdp"
BOILERPLATE = (
    "requires profiling",
    "may be located in",
    "Manual security review",
    "PyTorch Repository Documentation System",
    "Dependency analysis not applicable",
)
_KEYWORD_LINE = re.compile(r"^- \*\*(`+) ?(.*?) ?\1\*\*: ")


@pytest.fixture(scope="module")
def fsdp_out(torch_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fsdp") / "out"
    summary = export(torch_root, out, include=[f"{FSDP}/**"])
    assert summary.files > 20 and summary.conflicts == []
    return out


def keywords_by_group(page: str) -> dict[str, list[str]]:
    """The keyword list of a ``_kw.md`` page: group heading → names shown."""
    groups: dict[str, list[str]] = {}
    current = None
    body = page.split("## Keywords Extracted", 1)[1].split("## Keyword → Section Map", 1)[0]
    for line in body.splitlines():
        if line.startswith("### "):
            current = groups.setdefault(line[4:], [])
        match = _KEYWORD_LINE.match(line)
        if match and current is not None:
            current.append(match.group(2))
    return groups


def test_every_link_resolves(fsdp_out: Path) -> None:
    assert check_tree(fsdp_out) == []


def test_no_invented_keywords_and_no_missing_classes(fsdp_out: Path) -> None:
    pages = sorted((fsdp_out / FSDP).rglob("*_kw.md"))
    assert len(pages) > 20
    for page in pages:
        text = page.read_text()
        assert "### Classs" not in text
        groups = keywords_by_group(text)
        for group, names in groups.items():
            if group in ("Imports",):
                continue
            assert not {"for", "super", "if", "class", "docstring"} & set(names), (page, group)
    fsdp_param = keywords_by_group(
        (fsdp_out / FSDP / "_fully_shard" / "_fsdp_param.py_kw.md").read_text()
    )
    assert {"ParamModuleInfo", "ExtensionsData", "FSDPParam", "ShardedState"} <= set(
        fsdp_param["Classes"]
    )
    flat_param = keywords_by_group((fsdp_out / FSDP / "_flat_param.py_kw.md").read_text())
    assert "FlatParamHandle.unshard" in flat_param["Methods"]


def test_no_boilerplate_and_no_pages_of_pages(fsdp_out: Path) -> None:
    for page in fsdp_out.rglob("*.md"):
        text = page.read_text()
        for phrase in BOILERPLATE:
            assert phrase not in text, (page, phrase)
    assert not list(fsdp_out.rglob("*_kw.md_*")) and not list(fsdp_out.rglob("*_docs.md_*"))


def test_original_source_fences_hold_the_source(fsdp_out: Path, torch_root: Path) -> None:
    md = MarkdownIt("commonmark")
    checked = 0
    for page in sorted((fsdp_out / FSDP).rglob("*.py_docs.md")):
        source_path = torch_root / page.relative_to(fsdp_out).as_posix().removesuffix("_docs.md")
        tokens = md.parse(page.read_text())
        headings = [
            i for i, t in enumerate(tokens) if t.type == "inline" and t.content == "Original Source"
        ]
        assert len(headings) == 1
        fence = next(t for t in tokens[headings[0] :] if t.type == "fence")
        assert fence.info == "python"
        assert fence.content == source_path.read_text(encoding="utf-8"), page
        checked += 1
    assert checked > 20


def test_sections_state_facts(fsdp_out: Path) -> None:
    text = (fsdp_out / FSDP / "_flat_param.py_docs.md").read_text()
    assert "### Imported by" in text
    imported_by = text.split("### Imported by", 1)[1].split("\n## ", 1)[0]
    assert "_runtime_utils.py" in imported_by
    assert "cyclomatic complexity" in text
    patterns = text.split("## Code Patterns & Idioms", 1)[1].split("\n## ", 1)[0]
    assert "**enumerations** (1): line 104" in patterns  # HandleShardingStrategy
    security = text.split("## Security & Safety", 1)[1].split("\n## ", 1)[0]
    assert security.strip().startswith("No risky calls found")  # FSDP has no eval, pickle…
