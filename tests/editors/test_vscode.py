"""The VS Code extension in real VS Code: code-server serves the workbench, Debian's chromium
shows it headless and playwright-core types into it (tests/editors/vscode/driver.mjs).

The freshly built .vsix is installed into code-server; the driver opens a small workspace,
hovers a class, goes to its definition and runs "kwdocs: Export documentation pages" from
the command palette. Screenshots of every step, the server log and the driver's result land
in tests/editors/artifacts/vscode/.

Everything comes from scripts/setup-vscode-test.sh: in CI a missing piece fails the test,
elsewhere it skips it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest

pytestmark = [pytest.mark.editor, pytest.mark.slow]

HERE = Path(__file__).parent
REPO = HERE.parent.parent
DRIVER = HERE / "vscode" / "driver.mjs"
CLIENT = REPO / "vscode-client"
ARTIFACTS = HERE / "artifacts" / "vscode"
CODE_SERVER_VERSION = "4.100.3"
SETUP = "run scripts/setup-vscode-test.sh"
# The driver stops itself after this long; the subprocess timeout is a last resort.
DRIVER_SECONDS = 300


class Missing(Exception):
    """A prerequisite of the test is not installed."""


def _missing(reason: str) -> NoReturn:
    raise Missing(reason)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false")


def _code_server() -> Path:
    tools = Path(os.environ.get("KWDOCS_TOOLS", Path.home() / ".cache" / "kwdocs-tools"))
    default = tools / f"code-server-{CODE_SERVER_VERSION}" / "node_modules" / ".bin" / "code-server"
    path = Path(os.environ.get("KWDOCS_CODE_SERVER", default))
    if not os.access(path, os.X_OK):
        _missing(f"code-server {CODE_SERVER_VERSION} is not installed at {path}")
    return path


def _build_vsix() -> Path:
    """Packages the extension from the current sources (a few seconds), so that the test
    never installs a stale .vsix."""
    npm = shutil.which("npm")
    if npm is None or not (CLIENT / "node_modules").is_dir():
        _missing("the extension's npm dependencies are not installed (vscode-client/node_modules)")
    version = json.loads((CLIENT / "package.json").read_text(encoding="utf-8"))["version"]
    vsix = CLIENT / f"kwdocs-{version}.vsix"
    vsix.unlink(missing_ok=True)
    build = subprocess.run(
        [npm, "run", "--silent", "package"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert build.returncode == 0 and vsix.is_file(), (
        f"npm run package failed ({build.returncode}):\n{build.stdout}\n{build.stderr}"
    )
    return vsix


def _prerequisites() -> dict[str, str]:
    """The driver's environment, or a skip/failure naming what is missing."""
    node = shutil.which("node")
    if node is None:
        _missing("node is not installed")
    if not Path("/usr/bin/chromium").exists() and "KWDOCS_CHROMIUM" not in os.environ:
        _missing("Debian's chromium is not installed")
    if not (DRIVER.parent / "node_modules" / "playwright-core").is_dir():
        _missing("playwright-core is not installed in tests/editors/vscode")
    code_server = _code_server()
    # The server runs from this interpreter: it must have kwdocs installed.
    probe = subprocess.run(
        [sys.executable, "-m", "kwdocs", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert probe.returncode == 0, (
        f"{sys.executable} -m kwdocs serve --help failed:\n{probe.stdout}\n{probe.stderr}"
    )
    return {
        **os.environ,
        "KWDOCS_CODE_SERVER": str(code_server),
        "KWDOCS_VSIX": str(_build_vsix()),
        "KWDOCS_PYTHON": sys.executable,
        "KWDOCS_ARTIFACTS": str(ARTIFACTS),
        "KWDOCS_DRIVER_TIMEOUT": str(DRIVER_SECONDS),
    }


@pytest.fixture(scope="module")
def vscode_run() -> dict[str, Any]:
    """One run of the driver; the tests below read its result. A missing prerequisite
    fails every test in CI, where the setup script must have run, and skips them elsewhere."""
    try:
        env = _prerequisites()
    except Missing as error:
        if _in_ci():
            return {"missing": f"{error}: {SETUP} first (CI is set, so this is a failure)"}
        pytest.skip(f"{error}: {SETUP} to run this test")
    node = shutil.which("node")
    assert node is not None
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        run = subprocess.run(
            [node, str(DRIVER)],
            cwd=DRIVER.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=DRIVER_SECONDS + 60,
            stdin=subprocess.DEVNULL,
        )
        output = f"{run.stdout}\n{run.stderr}"
        code: int | None = run.returncode
    except subprocess.TimeoutExpired as error:
        output, code = f"{error.stdout}\n{error.stderr}", None
    (ARTIFACTS / "driver.log").write_text(output, encoding="utf-8")
    result_file = ARTIFACTS / "result.json"
    assert result_file.is_file(), f"the driver wrote no result (exit {code}):\n{output[-4000:]}"
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    result["exit_code"] = code
    result["log"] = output
    return result


def _check(result: dict[str, Any], name: str) -> None:
    """Asserts that the driver ran the named check and that it passed."""
    if "missing" in result:
        pytest.fail(result["missing"])
    checks = {check["name"]: check for check in result["checks"]}
    found = checks.get(name)
    context = (
        f"driver error: {result.get('error')}\nfailed checks: "
        + json.dumps([c for c in result["checks"] if not c["ok"]], indent=1)
        + "\nserver log errors:\n"
        + "\n".join(result.get("serverErrors") or ["(none)"])
        + f"\nartifacts: {ARTIFACTS}"
    )
    assert found is not None, f"the driver did not get to {name!r}\n{context}"
    assert found["ok"], f"{name}: {found['detail']}\n{context}"


def test_extension_installs(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "install the .vsix")


def test_server_starts(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "the kwdocs server starts")


def test_hover_shows_docstring_and_page_link(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "hover names the class")
    _check(vscode_run, "hover shows the docstring summary")
    _check(vscode_run, "hover links to the page of shapes.py")


def test_status_bar_shows_keyword_count(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "status bar shows the keyword count")


def test_go_to_definition(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "go to definition opens shapes.py")
    _check(vscode_run, "go to definition lands on line 4")


def test_export_from_command_palette(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "export notification shows the summary")
    _check(vscode_run, 'export notification offers "Open index"')
    _check(vscode_run, "export wrote the pages")
    _check(vscode_run, "the page of shapes.py documents Shape")
    _check(vscode_run, '"Open index" opens index.md')


def test_other_palette_commands(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "export of this file reports its pages")
    _check(vscode_run, "re-index reports files and keywords")
    _check(vscode_run, "debug information opens as JSON")


def test_start_failure_explains_the_fix(vscode_run: dict[str, Any]) -> None:
    _check(vscode_run, "a Python without kwdocs gets a message with the fix")


def test_driver_passed_with_screenshots(vscode_run: dict[str, Any]) -> None:
    """Every check passed, the driver exited 0 and left a screenshot of each step."""
    if "missing" in vscode_run:
        pytest.fail(vscode_run["missing"])
    assert vscode_run["exit_code"] == 0 and vscode_run["ok"], vscode_run["log"][-4000:]
    shots = vscode_run["screenshots"]
    steps = ("workbench", "hover", "definition", "export-notification", "open-index")
    for step in (*steps, "server-cannot-start"):
        assert any(step in shot for shot in shots), f"no screenshot of {step}: {shots}"
        assert all((ARTIFACTS / shot).is_file() for shot in shots)
