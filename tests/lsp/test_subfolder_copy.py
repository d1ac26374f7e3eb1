"""A workspace holding only a copy of PyTorch's ``torch/distributed/fsdp`` folder: imports
written with the full package name (``torch.distributed.fsdp._flat_param``) still lead to the
copied files, in hover and in go to definition alike."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lsp_session import NEOVIM, VSCODE, hover_text, session

pytestmark = pytest.mark.asyncio

FSDP = "torch/distributed/fsdp"


@pytest.fixture
def fsdp_copy(torch_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(torch_root / FSDP, root / "fsdp")
    return root


def _line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines()) if line == text)


@pytest.mark.parametrize("profile", [VSCODE, NEOVIM])
async def test_hover_and_definition_reach_the_copied_class(fsdp_copy: Path, profile: str) -> None:
    runtime = fsdp_copy / "fsdp" / "_runtime_utils.py"
    flat_param = fsdp_copy / "fsdp" / "_flat_param.py"
    line = _line_of(runtime, "    handle: FlatParamHandle,")
    class_line = _line_of(flat_param, "class FlatParamHandle:")
    async with session(fsdp_copy, profile) as s:
        await s.ready()
        s.open(runtime)
        text = hover_text(await s.hover(runtime, line, 14))
        assert text.startswith("**class** `fsdp._flat_param.FlatParamHandle`"), text
        assert f"Defined in `fsdp/_flat_param.py:{class_line + 1}`" in text
        assert "A handle that manages a flat parameter" in text
        assert "_flat_param.py_docs.md#class-flatparamhandle" in text
        found = await s.definition(runtime, line, 14)
        assert [(x.uri.rsplit("/", 2)[-2:], x.range.start.line) for x in found] == [
            (["fsdp", "_flat_param.py"], class_line)
        ]


# (name, file of a use, the use's line as written, column of the name on it)
RUNTIME, FSDP_MODULE = "_runtime_utils.py", "fully_sharded_data_parallel.py"
USES = [
    ("FlatParamHandle", RUNTIME, "    handle: FlatParamHandle,", 12),
    ("HandleShardingStrategy", RUNTIME, "        HandleShardingStrategy.HYBRID_SHARD,", 8),
    (
        "_FSDPState",
        FSDP_MODULE,
        "class FullyShardedDataParallel(nn.Module, _FSDPState):",
        43,
    ),
    (
        "ShardingStrategy",
        FSDP_MODULE,
        "        sharding_strategy: ShardingStrategy | None = None,",
        27,
    ),
]


async def test_cli_hover_definition_and_page_give_one_answer(fsdp_copy: Path) -> None:
    import json
    import subprocess
    import sys
    from urllib.parse import unquote, urlsplit

    from linkcheck import parse_page

    root = fsdp_copy
    export = subprocess.run(
        [sys.executable, "-m", "kwdocs", "export", str(root), "-q"], capture_output=True, text=True
    )
    assert export.returncode == 0, export.stderr
    async with session(root, VSCODE) as s:
        await s.ready()
        for name, file, text, col in USES:
            lookup = subprocess.run(
                [sys.executable, "-m", "kwdocs", "lookup", name, "--root", str(root), "--json"],
                capture_output=True,
                text=True,
            )
            rows = [r for r in json.loads(lookup.stdout) if r["kind"] == "class"]
            assert len(rows) == 1, (name, lookup.stdout)
            cli = (rows[0]["path"], rows[0]["line"])
            source = root / "fsdp" / file
            line = _line_of(source, text)
            s.open(source)
            hovered = hover_text(await s.hover(source, line, col + 1))
            assert f"Defined in `{cli[0]}:{cli[1]}`" in hovered, (name, hovered)
            found = await s.definition(source, line, col + 1)
            assert len(found) == 1, (name, found)
            where = Path(unquote(urlsplit(found[0].uri).path)).relative_to(root).as_posix()
            assert (where, found[0].range.start.line + 1) == cli, name
            # The page section the CLI and the hover link to is a heading of that page.
            page, _, anchor = unquote(
                urlsplit(rows[0]["docs_page"]).path + "#" + urlsplit(rows[0]["docs_page"]).fragment
            ).partition("#")
            assert Path(page).name == f"{Path(cli[0]).name}_docs.md"
            assert anchor in parse_page(Path(page).read_text())[1], (name, anchor)
            assert f"#{anchor})" in hovered, (name, anchor)
