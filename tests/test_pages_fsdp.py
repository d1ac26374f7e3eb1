"""Pages worth reading, checked on the real FSDP tree (PyTorch 2.13.0) against facts found
independently with ``ast`` or by hand: docstrings rendered (no reST left in prose, every
documented argument in its table), every field and enum member listed, the design notes in
File Purpose, calls and callers of three functions as read from the source, diagrams the real
Mermaid renderer accepts, and every link of the whole torch export resolving."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from export_support import copy_fixture, export
from linkcheck import check_tree
from markdown_it import MarkdownIt

FSDP = "torch/distributed/fsdp"
_md = MarkdownIt("commonmark").enable("table")
# A reST role left as written (``:class:`Foo```), whatever follows it.
_ROLE = re.compile(r":[a-z][\w.+-]*(?::[a-z][\w.+-]*)*:`")
_FIELD_BASES = {"NamedTuple", "TypedDict", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}
_FIELD_DECORATORS = {"dataclass", "dataclasses.dataclass", "define", "attr.s", "attrs.define"}
MMDC = Path(os.environ.get("KWDOCS_TOOLS", Path.home() / ".cache" / "kwdocs-tools")) / (
    "mermaid-cli-11.12.0/node_modules/.bin/mmdc"
)


@pytest.fixture(scope="module")
def fsdp_out(torch_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fsdp-pages") / "out"
    summary = export(torch_root, out, include=[f"{FSDP}/**"])
    assert summary.files > 20 and summary.conflicts == []
    return out


def docs_pages(out: Path) -> list[Path]:
    return sorted((out / FSDP).rglob("*.py_docs.md"))


def source_of(page: Path, out: Path, torch_root: Path) -> Path:
    return torch_root / page.relative_to(out).as_posix().removesuffix("_docs.md")


def section(text: str, heading: str) -> str:
    """A page's text from a heading line to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    stops = [rest.find("\n" + "#" * n + " ") for n in range(2, len(level) + 1)]
    stops = [s for s in stops if s >= 0]
    return rest[: min(stops)] if stops else rest


def definition_section(text: str, qualname: str, line: int) -> str:
    """The section of the definition of ``qualname`` on ``line`` (overloads share a name)."""
    pieces = text.split("\n#### ")
    for piece in pieces[1:]:
        title, _, body = piece.partition("\n")
        if title.endswith(f" `{qualname}`") and f"- **Lines**: {line}" in body:
            return body.split("\n## ", 1)[0]
    raise AssertionError(f"no section for {qualname} at line {line}")


def prose(text: str) -> list[str]:
    """The page's prose as rendered: text of paragraphs, list items, table cells and headings,
    inline code shown in backticks (so a role before a code span shows); code blocks,
    fences and HTML left out."""
    found = []
    for token in _md.parse(text):
        if token.type != "inline":
            continue
        parts = []
        for child in token.children or []:
            if child.type == "text":
                parts.append(child.content)
            elif child.type == "code_inline":
                parts.append("\x00")  # code: its backticks are no prose
        found.append("".join(parts))
    return found


def test_no_rest_markup_is_left_in_prose(fsdp_out: Path) -> None:
    checked = 0
    for page in sorted((fsdp_out / FSDP).rglob("*.md")):
        for text in prose(page.read_text(encoding="utf-8")):
            assert "``" not in text, (page.name, text[:200])
            assert not _ROLE.search(text.replace("\x00", "`")), (page.name, text[:200])
            checked += 1
    assert checked > 5000


def _args_names(docstring: str) -> list[str]:
    """Parameter names of a Google ``Args:`` section, read line by line (independently of
    kwdocs's reader): entries are the lines at the section's first indentation."""
    lines = docstring.split("\n")
    names: list[str] = []
    for number, line in enumerate(lines):
        if line.strip() not in ("Args:", "Arguments:"):
            continue
        indent = len(line) - len(line.lstrip())
        entry_indent = None
        for entry in lines[number + 1 :]:
            if not entry.strip():
                continue
            width = len(entry) - len(entry.lstrip())
            if width <= indent:
                break
            if entry_indent is None:
                entry_indent = width
            if width == entry_indent:
                match = re.match(r"\s*(\*{0,2}[A-Za-z_]\w*)\s*(\([^)]*\))?\s*:", entry)
                if match:
                    names.append(match.group(1))
    return names


def test_every_documented_argument_is_in_its_parameter_table(
    fsdp_out: Path, torch_root: Path
) -> None:
    checked = 0
    for page in docs_pages(fsdp_out):
        source = source_of(page, fsdp_out, torch_root).read_text(encoding="utf-8")
        text = page.read_text(encoding="utf-8")
        tree = ast.parse(source)
        scopes: list[tuple[list[str], ast.AST]] = [([], tree)]
        while scopes:
            prefix, node = scopes.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    qualname = ".".join([*prefix, child.name])
                    scopes.append(([*prefix, child.name], child))
                    names = _args_names(ast.get_docstring(child) or "")
                    if not names:
                        continue
                    body = definition_section(text, qualname, child.lineno)
                    for name in names:
                        assert f"| `{name}` |" in body, (page.name, qualname, name)
                        checked += 1
                elif isinstance(child, ast.stmt):
                    scopes.append((prefix, child))
    assert checked > 200


def _fields(tree: ast.Module) -> list[tuple[str, str]]:
    """(class qualname, member) of every dataclass, NamedTuple, TypedDict or attrs field and
    every enum member of a module, found with ``ast`` alone."""
    found = []
    classes: list[tuple[str, ast.ClassDef]] = [
        (n.name, n) for n in tree.body if isinstance(n, ast.ClassDef)
    ]
    while classes:
        qualname, node = classes.pop()
        bases = {ast.unparse(b).rpartition(".")[2] for b in node.bases}
        decorators = {ast.unparse(d).split("(", 1)[0] for d in node.decorator_list}
        fielded = bases & _FIELD_BASES or decorators & _FIELD_DECORATORS
        for statement in node.body:
            if isinstance(statement, ast.ClassDef):
                classes.append((f"{qualname}.{statement.name}", statement))
            if not fielded:
                continue
            targets = (
                [statement.target]
                if isinstance(statement, ast.AnnAssign)
                else statement.targets
                if isinstance(statement, ast.Assign)
                else []
            )
            for target in targets:
                if isinstance(target, ast.Name) and not target.id.startswith("__"):
                    found.append((qualname, target.id))
    return found


def test_every_field_and_enum_member_is_on_its_page(fsdp_out: Path, torch_root: Path) -> None:
    checked = 0
    for page in docs_pages(fsdp_out):
        source = source_of(page, fsdp_out, torch_root).read_text(encoding="utf-8")
        text = page.read_text(encoding="utf-8")
        for owner, name in _fields(ast.parse(source)):
            assert f"#### attribute `{owner}.{name}`" in text, (page.name, owner, name)
            table = section(text, f"#### class `{owner}`")
            assert f"[`{name}`](" in table, (page.name, owner, name)
            checked += 1
    assert checked > 60
    shards = (fsdp_out / FSDP / "_fully_shard" / "_fsdp_param.py_docs.md").read_text()
    fields = section(shards, "#### class `ParamModuleInfo`")
    assert re.search(r"\| \[`module`\]\([^)]+\) \| `nn\.Module` \|", fields)
    flat = (fsdp_out / FSDP / "_flat_param.py_docs.md").read_text()
    assert "Line 125: `param_name: str` — unprefixed" in flat


def test_the_notes_are_the_purpose_of_files_without_a_docstring(fsdp_out: Path) -> None:
    expected = {
        "_fully_shard/_fsdp_param.py": ("FSDP tensors", "FSDP and autograd"),
        "_flat_param.py": ("Fully Sharded Module",),
    }
    for path, titles in expected.items():
        text = (fsdp_out / FSDP / f"{path}_docs.md").read_text()
        purpose = section(text, "## File Purpose")
        assert "has no docstring" in purpose
        for title in titles:
            assert f"> **Note: {title}**" in purpose, (path, title)
    fsdp_param = section(
        (fsdp_out / FSDP / "_fully_shard/_fsdp_param.py_docs.md").read_text(), "## File Purpose"
    )
    assert "> - Sharded parameter: sharding the original parameter on dim-0" in fsdp_param


# Calls and callers read from the source by hand (torch 2.13.0), for an export of the FSDP
# folder alone (``torch`` itself is then outside the workspace).
HAND_CHECKED = {
    ("_fully_shard/_fsdp_init.py", "function", "_get_managed_states"): {
        # set() x3 (a builtin); module.named_parameters, params.append, visited_params.add,
        # module.buffers, buffers.append, visited_buffers.add: on locals, for inference.
        "calls": ["[`_verify_managed_param`]"],
        "outside": 1,
        "unresolved": 6,
        "callers": ["[`_get_modules_and_states`]"],
    },
    ("_fully_shard/_fsdp_init.py", "function", "_get_device_from_mesh"): {
        # torch.device and _get_device_handle: torch is not in this workspace;
        # device_handle.current_device: a local.
        "calls": [],
        "outside": 2,
        "unresolved": 1,
        "callers": ["[`fully_shard`]", "(`_fully_shard.py`)"],
    },
    ("_flat_param.py", "method", "FlatParamHandle.needs_unshard"): {
        # unsharded_flat_param.numel(): a local. handle.needs_unshard() in
        # _unshard_param_utils.py is on a parameter: not a caller anyone can name statically.
        "calls": [
            "[`FlatParamHandle._get_padded_unsharded_flat_param`]",
            "[`_same_storage_size`]",
        ],
        "outside": 0,
        "unresolved": 1,
        "callers": ["[`FlatParamHandle.pre_unshard`]", "[`FlatParamHandle.unshard`]"],
    },
}


def _bullet(body: str, label: str) -> str:
    return next((line for line in body.splitlines() if line.startswith(f"- **{label}**")), "")


def test_the_public_api_links_fully_shard_to_its_implementation(fsdp_out: Path) -> None:
    # fully_shard is two @overload declarations and the implementation holding the docstring.
    doc = (fsdp_out / FSDP / "doc.md").read_text(encoding="utf-8")
    entry = next(line for line in doc.splitlines() if "[`fully_shard`]" in line)
    assert "(./_fully_shard/_fully_shard.py_docs.md#function-fully_shard-2)" in entry
    assert ": Apply fully sharded data parallelism (FSDP) to `module`" in entry


def test_calls_and_callers_match_the_hand_checked_lists(fsdp_out: Path) -> None:
    for (path, kind, qualname), expected in HAND_CHECKED.items():
        text = (fsdp_out / FSDP / f"{path}_docs.md").read_text()
        body = section(text, f"#### {kind} `{qualname}`")
        calls = _bullet(body, "Calls")
        links = re.findall(r"\[`[^`]+`\]", calls)
        assert links == expected["calls"], (qualname, calls)
        outside = re.search(r"(\d+) builtin or library functions?", calls)
        assert (int(outside.group(1)) if outside else 0) == expected["outside"], calls
        unresolved = re.search(r"(\d+) calls? not resolved statically", calls)
        assert (int(unresolved.group(1)) if unresolved else 0) == expected["unresolved"], calls
        callers = _bullet(body, "Called by")
        found = re.findall(r"\[`[^`]+`\]|\(`[^`]+\.py`\)", callers)
        assert found == expected["callers"], (qualname, callers)


def mermaid_blocks(out: Path) -> list[str]:
    blocks = []
    for page in sorted(out.rglob("*.md")):
        for token in _md.parse(page.read_text(encoding="utf-8")):
            if token.type == "fence" and token.info.strip() == "mermaid":
                blocks.append(token.content)
    return blocks


def test_every_diagram_renders_with_mermaid(fsdp_out: Path, tmp_path: Path) -> None:
    fixture = copy_fixture(tmp_path / "ws")
    export(fixture)
    blocks = mermaid_blocks(fsdp_out) + mermaid_blocks(fixture / "docs" / "kwdocs")
    assert len(blocks) > 20
    for block in blocks:
        nodes = re.findall(r"^\s+(?:class )?[cf]\d+\[", block, re.M)
        assert len(nodes) <= 40
    if not MMDC.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{MMDC} is missing: run scripts/setup-mermaid.sh")
        pytest.skip("the Mermaid renderer is not installed (scripts/setup-mermaid.sh)")
    # One Markdown file holding every diagram: mmdc renders them all in one browser and fails
    # at the first it cannot parse.
    page = tmp_path / "diagrams.md"
    page.write_text("".join(f"```mermaid\n{b}```\n\n" for b in blocks), encoding="utf-8")
    config = MMDC.parents[2] / "puppeteer.json"
    result = subprocess.run(
        [str(MMDC), "-q", "-p", str(config), "-i", str(page), "-o", str(tmp_path / "out.md")],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(list(tmp_path.glob("out-*.svg"))) == len(blocks)


@pytest.mark.slow
def test_every_link_of_the_whole_torch_export_resolves(
    torch_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("torch-pages") / "out"
    summary = export(torch_root, out)
    assert summary.files > 2000 and summary.conflicts == []
    try:
        assert check_tree(out) == []
    finally:
        shutil.rmtree(out, ignore_errors=True)
