"""kwdocs never runs workspace code: modules that leave a marker when imported (ordinary
modules, conftest.py, setup.py, sitecustomize, .pth files, and modules named like the standard
library modules kwdocs and its worker processes import) stay unexecuted through indexing,
lookup and export, started both as the ``kwdocs`` script and as ``python -m kwdocs`` from
inside the workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Standard-library names imported by kwdocs, multiprocessing's helper processes (forkserver,
# resource tracker) and the worker processes: a workspace file of the same name must not
# shadow them.
SHADOWED = [
    "argparse",
    "json",
    "pathlib",
    "typing",
    "signal",
    "socket",
    "pickle",
    "selectors",
    "struct",
    "threading",
    "tempfile",
    "inspect",
    "tokenize",
    "logging",
    "hashlib",
    "msgspec",
    "parso",
    "jedi",
    "select",
    "pathspec",
]
OWN = ["evil", "conftest", "setup", "sitecustomize", "usercustomize", "noxfile", "pkg/__init__"]
MARKER_CODE = "import pathlib as _p; _p.Path({path!r}).write_text('ran')\n"


def build_workspace(root: Path, markers: Path) -> Path:
    """A workspace whose every module writes ``markers/<name>`` when executed."""
    for name in SHADOWED + OWN:
        path = root / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        marker = markers / name.replace("/", "_")
        # Write the marker with os only: the module may itself be shadowing pathlib.
        code = f"import os\nos.close(os.open({str(marker)!r}, os.O_CREAT | os.O_WRONLY))\n"
        path.write_text(code + "def defined_here():\n    pass\n")
    (root / "evil.pth").write_text(f"import os; os.mkdir({str(markers / 'pth')!r})\n")
    # Enough files to start the worker pool (the parallel threshold is 48).
    for i in range(80):
        (root / "many" / f"m{i}.py").parent.mkdir(exist_ok=True)
        (root / "many" / f"m{i}.py").write_text(f"import evil\n\ndef f{i}():\n    pass\n")
    return root


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    markers = tmp_path / "markers"
    markers.mkdir()
    root = build_workspace(tmp_path / "ws", markers)
    return root, markers


def kwdocs_script() -> Path:
    script = Path(sys.executable).parent / "kwdocs"
    if not script.exists():
        found = shutil.which("kwdocs")
        if found is None:
            pytest.fail("the kwdocs console script is not installed")
        script = Path(found)
    return script


def run(command: list[str], cwd: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KWDOCS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONSAFEPATH", None)  # the guard must come from kwdocs, not from the caller
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


COMMANDS = {
    "index": ["index", "."],
    "lookup": ["lookup", "defined_here", "--root", "."],
    "export": ["export", ".", "--out", "../out", "-q"],
}


@pytest.mark.parametrize("launcher", ["script", "module"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_workspace_code_runs(
    hostile: tuple[Path, Path], tmp_path: Path, launcher: str, command: str
) -> None:
    root, markers = hostile
    prefix = [str(kwdocs_script())] if launcher == "script" else [sys.executable, "-m", "kwdocs"]
    result = run(prefix + COMMANDS[command], cwd=root, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(os.listdir(markers)) == [], result.stderr[-2000:]
    if command == "index":
        assert "indexed 108 files" in result.stdout
    if command == "lookup":
        assert result.stdout.count("defined_here") >= len(SHADOWED + OWN)
    if command == "export":
        assert (tmp_path / "out" / "evil.py_docs.md").is_file()


def test_hover_definition_and_export_in_the_server_run_nothing(
    hostile: tuple[Path, Path], tmp_path: Path
) -> None:
    import json
    import time

    from rpc_support import RawServer, hover_params

    root, markers = hostile
    # Editors start the server inside the workspace, as ``python -m kwdocs serve``.
    server = RawServer(root, env={"KWDOCS_CACHE_DIR": str(tmp_path / "cache")})
    try:
        server.initialize(root, options={"definitionInference": "jedi"})
        uri = (root / "many" / "m0.py").as_uri()
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": uri,
                    "languageId": "python",
                    "version": 1,
                    "text": (root / "many" / "m0.py").read_text(),
                }
            },
        )
        deadline = time.monotonic() + 60
        while True:  # ``import evil``: hover on ``evil`` once indexing has seen evil.py
            reply = server.request("textDocument/hover", hover_params(uri, 0, 8))
            if "evil.py" in json.dumps(reply.get("result")):
                break
            assert time.monotonic() < deadline, reply
            time.sleep(0.2)
        reply = server.request("textDocument/definition", hover_params(uri, 0, 8))
        assert "evil.py" in json.dumps(reply["result"]), reply
        reply = server.request("textDocument/hover", hover_params(uri, 2, 5))
        assert "f0" in json.dumps(reply["result"]), reply
        # A method two classes define, on a call result: only inference (jedi's process,
        # started inside this workspace) tells which one.
        probe = root / "probe.py"  # an unsaved buffer
        text = (
            "import evil\n\n\nclass A:\n    def method(self):\n        pass\n\n\n"
            "class B:\n    def method(self):\n        pass\n\n\n"
            "def make():\n    return B()\n\n\nmake().method()\n"
        )
        server.notify(
            "textDocument/didOpen",
            {
                "textDocument": {
                    "uri": probe.as_uri(),
                    "languageId": "python",
                    "version": 1,
                    "text": text,
                }
            },
        )
        reply = server.request("textDocument/definition", hover_params(probe.as_uri(), 17, 9))
        places = [(x["uri"], x["range"]["start"]["line"]) for x in reply["result"]]
        assert places == [(probe.as_uri(), 9)], reply
        reply = server.request(
            "workspace/executeCommand", {"command": "kwdocs.server.debugInfo", "arguments": []}
        )
        assert reply["result"]["inference"]["requests"] >= 1, reply
        reply = server.request(
            "workspace/executeCommand",
            {"command": "kwdocs.server.exportAll", "arguments": []},
            timeout=180,
        )
        assert "error" not in reply, reply
        assert (root / "docs" / "kwdocs" / "evil.py_docs.md").is_file()
        assert sorted(os.listdir(markers)) == [], server.stderr_tail()
    finally:
        server.close()
    assert sorted(os.listdir(markers)) == []
