"""Neovim's own LSP client against ``python -m kwdocs serve``: hover, definition, the export
command and the ``:KwdocsExport`` command of docs/neovim.md, in a headless Neovim.

Neovim comes from Debian (scripts/setup-neovim.sh); 0.7.2 there, so the driver uses the 0.7 API.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from kwdocs import __version__
from kwdocs.extract import extract_bytes
from kwdocs.pages import page_links

pytestmark = [pytest.mark.editor, pytest.mark.slow]

HERE = Path(__file__).parent
DRIVER = HERE / "nvim" / "drive.lua"
NEOVIM_DOC = HERE.parent.parent / "docs" / "neovim.md"
COMMANDS = (
    "kwdocs.server.exportAll",
    "kwdocs.server.exportFile",
    "kwdocs.server.reindex",
    "kwdocs.server.debugInfo",
)
OUT = "docs/api"

GEOMETRY = '''\
"""Plane geometry for the Neovim test."""

import math


class Circle:
    """A circle with a radius, measured in metres."""

    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        """The area enclosed by the circle."""
        return math.pi * self.radius**2
'''
# Characters outside the BMP before the name: Neovim sends UTF-16 offsets, here 8 units more
# than code points (and more again in bytes), so a server that confuses them misses the name.
USE = '''\
"""Uses the geometry module."""

from shapes.geometry import Circle

LABEL, DISC = "𝜋𝜋𝜋𝜋𝜋𝜋𝜋𝜋 r²", Circle(2.0)
'''
TYPED = [
    "",
    "",
    "def brand_new():",
    '    """Typed in Neovim, never saved."""',
    "",
    "",
    "brand_new()",
]
README = """\
# Shapes

Draw a `Circle` from `shapes.geometry`.
"""


def _nvim() -> str:
    """Path of nvim: a failure in CI (the setup script installs it), a skip elsewhere."""
    found = shutil.which("nvim")
    if found is None:
        reason = "nvim is not installed: run scripts/setup-neovim.sh"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _user_commands() -> str:
    """The Lua blocks of docs/neovim.md marked for testing, in one chunk as in an init.lua."""
    text = NEOVIM_DOC.read_text(encoding="utf-8")
    blocks = []
    for mark in ("KwdocsExport", "more commands"):
        match = re.search(rf"<!-- test: {mark} -->\s*```lua\n(.*?)\n```", text, re.DOTALL)
        assert match, f"docs/neovim.md lost the block marked {mark!r}"
        blocks.append(match.group(1))
    return "\n".join(blocks)


def _lua_blocks() -> list[str]:
    return re.findall(r"```lua\n(.*?)\n```", NEOVIM_DOC.read_text(encoding="utf-8"), re.DOTALL)


def _run_nvim(nvim: str, spec: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    home = tmp_path / "home"
    env = dict(os.environ)
    # A private Neovim state: no user config, the LSP log in a known place.
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env["KWDOCS_NVIM_SPEC"] = str(spec_file)
    command = [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n"]
    command += ["-c", "luafile " + str(DRIVER).replace(" ", "\\ ")]
    try:
        finished = subprocess.run(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=spec["watchdog_ms"] / 1000 + 60,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"nvim hung past its own watchdog: {error}\n{_logs(tmp_path)}")
    result_file = Path(spec["result"])
    results = json.loads(result_file.read_text()) if result_file.exists() else {}
    if finished.returncode != 0 or results.get("error"):
        pytest.fail(
            f"nvim exited with status {finished.returncode}: {results.get('error')}\n"
            f"steps reached: {list(results.get('steps', {}))}\n"
            f"stderr: {finished.stderr[-2000:]}\n{_logs(tmp_path)}"
        )
    return results


def _logs(tmp_path: Path) -> str:
    """The tails of the server's log and Neovim's LSP log, for a failure message."""
    parts = []
    for log in (tmp_path / "server.log", *sorted((tmp_path / "home").rglob("lsp.log"))):
        if log.exists():
            parts.append(f"--- {log.name}:\n{log.read_text(errors='replace')[-4000:]}")
    return "\n".join(parts)


def _locations(result: Any) -> list[tuple[str, int]]:
    """(uri, start line) of a definition result: Location, Location[] or LocationLink[]."""
    items = result if isinstance(result, list) else [result]
    found = []
    for item in items:
        if "targetUri" in item:
            found.append((item["targetUri"], item["targetSelectionRange"]["start"]["line"]))
        else:
            found.append((item["uri"], item["range"]["start"]["line"]))
    return found


def _hover_text(result: Any) -> str:
    contents = result["contents"]
    if isinstance(contents, dict):
        return contents["value"]
    items = contents if isinstance(contents, list) else [contents]
    return "\n".join(item if isinstance(item, str) else item["value"] for item in items)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "shapes").mkdir(parents=True)
    (root / "shapes" / "__init__.py").write_text('"""Shapes."""\n', encoding="utf-8")
    (root / "shapes" / "geometry.py").write_text(GEOMETRY, encoding="utf-8")
    (root / "shapes" / "use.py").write_text(USE, encoding="utf-8")
    (root / "README.md").write_text(README, encoding="utf-8")
    return root


def test_neovim_lsp_client_hover_definition_export(workspace: Path, tmp_path: Path) -> None:
    nvim = _nvim()
    snippet = tmp_path / "kwdocs_export.lua"
    snippet.write_text(_user_commands(), encoding="utf-8")
    geometry, use, readme = (
        workspace / "shapes" / "geometry.py",
        workspace / "shapes" / "use.py",
        workspace / "README.md",
    )
    kw_page = workspace / OUT / "shapes" / "geometry.py_kw.md"
    # The cursor on the last letter of the name, as a user leaves it after typing it.
    position = {"line": 5, "needle": "Circle(2.0)", "offset": 5}
    spec = {
        "cmd": [
            sys.executable,
            "-m",
            "kwdocs",
            "serve",
            "--log-level",
            "DEBUG",
            "--log-file",
            str(tmp_path / "server.log"),
        ],
        "root": str(workspace),
        # The settings as docs/neovim.md passes them. Neovim 0.7 answers workspace/configuration
        # but does not announce it, so there init_options is what the server reads.
        "init_options": {"outputDir": OUT},
        "settings": {"kwdocs": {"outputDir": OUT}},
        "open": [
            {"path": str(use), "filetype": "python"},
            {"path": str(readme), "filetype": "markdown"},
        ],
        "requests": [
            {"name": "hover", "method": "textDocument/hover", "path": str(use), "at": position},
            {
                "name": "definition",
                "method": "textDocument/definition",
                "path": str(use),
                "at": position,
            },
            {
                "name": "markdown_hover",
                "method": "textDocument/hover",
                "path": str(readme),
                "at": {"line": 3, "needle": "Circle"},
            },
            {
                "name": "export",
                "method": "workspace/executeCommand",
                "path": str(use),
                "params": {"command": "kwdocs.server.exportAll"},
            },
            # :KwdocsExport of docs/neovim.md: a second export, over an unchanged tree.
            {"name": "user_command", "user_command": "KwdocsExport"},
            {
                "name": "export_file_command",
                "user_command": "KwdocsExportFile",
                "path": str(geometry),
                "filetype": "python",
            },
            {
                "name": "debug_info",
                "method": "workspace/executeCommand",
                "path": str(use),
                "params": {"command": "kwdocs.server.debugInfo"},
            },
            {
                "name": "workspace_symbol",
                "method": "workspace/symbol",
                "path": str(use),
                "params": {"query": "Circ"},
            },
            {
                "name": "document_symbol",
                "method": "textDocument/documentSymbol",
                "path": str(geometry),
                "filetype": "python",
                "params": {"textDocument": {"uri": geometry.as_uri()}},
            },
            # From a generated page back to the source.
            {
                "name": "page_hover",
                "method": "textDocument/hover",
                "path": str(kw_page),
                "filetype": "markdown",
                "at": {"needle": "**`Circle`**", "offset": 3},
            },
            {
                "name": "page_definition",
                "method": "textDocument/definition",
                "path": str(kw_page),
                "at": {"needle": "**`Circle`**", "offset": 3},
            },
            # Typed and not saved: hover answers from the buffer.
            {"name": "edit", "path": str(use), "before": 6, "insert": TYPED},
            {
                "name": "edited_hover",
                "method": "textDocument/hover",
                "path": str(use),
                "at": {"line": 12, "needle": "brand_new()"},
            },
        ],
        "user_command_file": str(snippet),
        "result": str(tmp_path / "result.json"),
        "lsp_log_level": "debug",
        "watchdog_ms": 120_000,
        "index_timeout_ms": 60_000,
        "request_timeout_ms": 30_000,
    }
    results = _run_nvim(nvim, spec, tmp_path)
    steps = results["steps"]
    assert results["nvim"]["major"] == 0 and results["nvim"]["minor"] >= 7

    capabilities = steps["initialize"]["server_capabilities"]
    assert capabilities["hoverProvider"]
    assert capabilities["definitionProvider"]
    assert set(COMMANDS) <= set(capabilities["executeCommandProvider"]["commands"])
    kinds = [event["kind"] for event in results["progress"]]
    assert "begin" in kinds and kinds[-1] == "end", results["progress"]

    # Hover: kind and name, the docstring summary, links to the docs page section.
    record = extract_bytes("shapes/geometry.py", geometry.read_bytes())
    circle = next(k for k in record.keywords if k.qualname == "Circle")
    docs_link, kw_link = page_links(workspace / OUT, record, circle)
    hover = steps["hover"]
    assert hover.get("error") is None, hover
    assert hover["result"], (
        f"hover is null at {hover['params']['position']} (UTF-16 columns, after 8 characters "
        "outside the BMP): does the server read the column in another encoding?"
    )
    text = _hover_text(hover["result"])
    assert "Circle" in text
    assert "A circle with a radius, measured in metres." in text
    assert "_docs.md#" in text
    assert docs_link in text, f"{docs_link} not in hover:\n{text}"
    assert kw_link in text

    # Definition: the class statement in geometry.py (0-based line 5).
    definition = steps["definition"]
    assert definition.get("error") is None and definition["result"], definition
    assert _locations(definition["result"])[0] == (geometry.as_uri(), circle.line - 1)

    markdown_hover = steps["markdown_hover"]
    assert markdown_hover.get("error") is None and markdown_hover["result"], markdown_hover
    assert "Circle" in _hover_text(markdown_hover["result"])

    # The export command: pages on disk under the configured output folder, and a summary
    # that accounts for every one of them.
    export = steps["export"]
    assert export.get("error") is None, export
    folders = export["result"]["folders"]
    assert len(folders) == 1
    summary = folders[0]
    out = workspace / OUT
    assert Path(summary["root"]) == workspace
    assert Path(summary["out"]) == out
    for page in ("shapes/geometry.py_docs.md", "shapes/geometry.py_kw.md", "index.md"):
        assert (out / page).is_file(), page
    assert "class Circle" in (out / "shapes/geometry.py_docs.md").read_text(encoding="utf-8")
    pages = [p for p in out.rglob("*.md")]
    assert summary["files"] >= 4
    assert summary["written"] > 0
    assert summary["written"] + summary["unchanged"] == len(pages)
    assert summary["removed"] == 0
    assert summary["skipped"] == []
    assert not (workspace / "docs" / "kwdocs").exists(), "the outputDir setting was ignored"

    # :KwdocsExport from docs/neovim.md: a second export over an unchanged tree writes nothing.
    messages = [n["message"] for n in steps["user_command"]["notifications"]]
    report = messages[-1]
    assert f"{summary['files']} files, 0 pages written, {len(pages)} unchanged" in report, messages

    # :KwdocsExportFile on geometry.py: its pages (and its folders' pages), already up to date.
    messages = [n["message"] for n in steps["export_file_command"]["notifications"]]
    assert messages[-1].startswith("kwdocs: 0 pages written, "), messages
    for page in ("shapes/geometry.py_docs.md", "shapes/geometry.py_kw.md"):
        assert (out / page).as_uri() in messages[-1]

    # The debug report shows what the server made of Neovim 0.7's capabilities.
    debug = steps["debug_info"]
    assert debug.get("error") is None, debug
    report = debug["result"]
    assert report["version"] == __version__
    assert [Path(f["root"]) for f in report["folders"]] == [workspace]
    assert report["folders"][0]["state"] == "ready"
    assert Path(next(iter(report["settings"].values()))["out"]) == out
    assert use.as_uri() in {d["uri"] for d in report["openDocuments"]}
    assert report["positionEncoding"] == "utf-16"
    capabilities = report["clientCapabilities"]
    assert capabilities["workDoneProgress"]
    assert capabilities["hierarchicalDocumentSymbols"]
    assert not capabilities["watchedFilesDynamicRegistration"]

    symbols = steps["workspace_symbol"]
    assert symbols.get("error") is None, symbols
    circles = [s for s in symbols["result"] if s["name"] == "Circle"]
    assert circles, symbols["result"]
    assert circles[0]["location"]["uri"] == geometry.as_uri()

    outline = steps["document_symbol"]
    assert outline.get("error") is None, outline
    tops = {s["name"]: s for s in outline["result"]}
    assert "Circle" in tops, outline["result"]
    # Neovim advertises hierarchical document symbols: methods sit inside their class.
    assert {c["name"] for c in tops["Circle"].get("children", [])} >= {"__init__", "area"}

    page_hover = steps["page_hover"]
    assert page_hover.get("error") is None and page_hover["result"], page_hover
    assert "A circle with a radius, measured in metres." in _hover_text(page_hover["result"])
    page_definition = steps["page_definition"]
    assert page_definition.get("error") is None and page_definition["result"], page_definition
    assert (geometry.as_uri(), circle.line - 1) in _locations(page_definition["result"])

    assert steps["edit"]["modified"] is True
    edited = steps["edited_hover"]
    assert edited.get("error") is None and edited["result"], edited
    assert "Typed in Neovim, never saved." in _hover_text(edited["result"])
    assert "brand_new" not in use.read_text(encoding="utf-8")

    assert steps["exit"]["code"] == 0, steps["exit"]


def test_neovim_doc_lua_blocks_compile(tmp_path: Path) -> None:
    """Every Lua block of docs/neovim.md is valid Lua (LuaJIT, as Neovim runs it)."""
    nvim = _nvim()
    blocks = _lua_blocks()
    assert len(blocks) >= 4
    files = []
    for number, block in enumerate(blocks):
        path = tmp_path / f"block{number}.lua"
        path.write_text(block, encoding="utf-8")
        files.append(str(path))
    check = tmp_path / "check.lua"
    check.write_text(
        "local failures = {}\n"
        f"for _, path in ipairs(vim.json.decode({json.dumps(json.dumps(files))})) do\n"
        "  local chunk, err = loadfile(path)\n"
        "  if not chunk then table.insert(failures, err) end\n"
        "end\n"
        "if #failures > 0 then\n"
        "  io.stderr:write(table.concat(failures, '\\n') .. '\\n')\n"
        "  vim.cmd('cquit 1')\n"
        "end\n"
        "vim.cmd('qall!')\n",
        encoding="utf-8",
    )
    finished = subprocess.run(
        [nvim, "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {check}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
