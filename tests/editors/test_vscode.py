"""The VS Code extension in real VS Code: code-server serves the workbench, Debian's chromium
shows it headless and playwright-core types into it (tests/editors/vscode/driver.mjs).

The .vsix is built from the current sources, with kwdocs and its Python dependencies bundled
(vscode-client/build/package.mjs), and installed into code-server, which runs with a PATH
and environment in which no Python can import kwdocs; its extension host takes PATH from a
login shell, and the driver checks the same of every Python on that PATH. Two runs of the
driver:

- bundled: no kwdocs setting at all. The driver opens a small workspace, hovers a class,
  goes to its definition (the engine's resolution of the cursor), reads the language
  status, hovers a class of a C++ header of the wheel, goes to the header an include names
  and to a method through Go to Symbol in Editor, runs the palette commands and "kwdocs:
  Export documentation pages", and checks that the process serving is a Python running the
  extension's bundled/tool/launch.py;
- server-path: kwdocs.server.path names this checkout's kwdocs executable, which serves the
  hover and definition, with kwdocs.definitionInference set to jedi (a definition only
  inference can tell); a missing kwdocs.server.path then gets a message with the fix.

Screenshots of every step, the server log and the driver's result land in
tests/editors/artifacts/vscode/<run>/. Everything comes from scripts/setup-vscode-test.sh: in
CI a missing piece fails the test, elsewhere it skips it. The bundle itself is also run
directly on every CPython of this machine it supports.
"""

from __future__ import annotations

import enum
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NoReturn

import pytest
from native_support import native_root  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.editor, pytest.mark.slow]

HERE = Path(__file__).parent
REPO = HERE.parent.parent
DRIVER = HERE / "vscode" / "driver.mjs"
CLIENT = REPO / "vscode-client"
LAUNCHER = CLIENT / "bundled" / "tool" / "launch.py"
ARTIFACTS = HERE / "artifacts" / "vscode"
CODE_SERVER_VERSION = "4.100.3"
SETUP = "run scripts/setup-vscode-test.sh"
# The driver stops itself after this long; the subprocess timeout is a last resort.
DRIVER_SECONDS = 420
# What code-server's PATH holds besides node's folder: the system's, never a virtual
# environment, pyenv's shims or ~/.local/bin.
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
# Variables that would hand a Python a kwdocs (or another interpreter) from outside.
PYTHON_VARIABLES = (
    "VIRTUAL_ENV",
    "CONDA_PREFIX",
    "PYENV_VERSION",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONSTARTUP",
)
PYTHON_NAMES = ("python3", "python", *(f"python3.{minor}" for minor in range(6, 16)))
# C++ headers of the wheel the bundled run opens (the first) and resolves into (the others).
C10D = "torch/include/torch/csrc/distributed/c10d"
CPP_FILES = [
    f"{C10D}/{name}" for name in ("ProcessGroup.hpp", "Backend.hpp", "Work.hpp", "Types.hpp")
]


class Run(str, enum.Enum):
    """One run of the driver (its KWDOCS_SCENARIO)."""

    BUNDLED = "bundled"
    SERVER_PATH = "server-path"


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
    """Packages the extension from the current sources, so that the test never installs a
    stale .vsix: the esbuild bundle, the Python bundle (kept when kwdocs's sources did not
    change, about a minute otherwise) and vsce."""
    npm = shutil.which("npm")
    if npm is None or not (CLIENT / "node_modules").is_dir():
        _missing("the extension's npm dependencies are not installed (vscode-client/node_modules)")
    build = subprocess.run(
        [npm, "run", "--silent", "package"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "KWDOCS_BUNDLE_PYTHON": sys.executable},
    )
    lines = build.stdout.strip().splitlines()
    vsix = Path(lines[-1]) if lines else CLIENT / "missing.vsix"
    assert build.returncode == 0 and vsix.suffix == ".vsix" and vsix.is_file(), (
        f"npm run package failed ({build.returncode}):\n{build.stdout}\n{build.stderr}"
    )
    return vsix


def _clean_environment(node: str) -> dict[str, str]:
    """code-server's environment: the system PATH plus node's folder, no Python variables."""
    env = {key: value for key, value in os.environ.items() if key not in PYTHON_VARIABLES}
    folders = [str(Path(node).parent), *SYSTEM_PATH]
    env["PATH"] = os.pathsep.join(dict.fromkeys(folders))
    return env


def _pythons_on(search_path: str) -> list[Path]:
    found: dict[Path, Path] = {}
    for folder in search_path.split(os.pathsep):
        for name in PYTHON_NAMES:
            candidate = Path(folder) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found.setdefault(candidate.resolve(), candidate)
    return list(found.values())


def _kwdocs_free(env: dict[str, str]) -> list[str]:
    """Asserts that no Python on ``env``'s PATH imports kwdocs and no kwdocs executable is on
    it; returns the Pythons that were asked, with their versions."""
    assert shutil.which("kwdocs", path=env["PATH"]) is None, "a kwdocs executable is on the PATH"
    pythons = _pythons_on(env["PATH"])
    assert pythons, f"no Python on {env['PATH']}: the bundled kwdocs needs one"
    asked = []
    for python in pythons:
        run = subprocess.run(
            [str(python), "-c", "import sys; print(sys.version.split()[0]); import kwdocs"],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=Path.home(),
            stdin=subprocess.DEVNULL,
        )
        assert run.returncode != 0 and "No module named" in run.stderr, (
            f"{python} imports kwdocs: the test needs an environment without it"
        )
        asked.append(f"{python} {run.stdout.strip()}")
    return asked


@pytest.fixture(scope="module")
def prerequisites(torch_root: Path, native_root: Path) -> dict[str, str]:  # noqa: F811
    """The driver's environment, or a skip/failure naming what is missing. A missing
    prerequisite fails every test in CI, where the setup script must have run, and skips them
    elsewhere."""
    try:
        node = shutil.which("node")
        if node is None:
            _missing("node is not installed")
        if not Path("/usr/bin/chromium").exists() and "KWDOCS_CHROMIUM" not in os.environ:
            _missing("Debian's chromium is not installed")
        if not (DRIVER.parent / "node_modules" / "playwright-core").is_dir():
            _missing("playwright-core is not installed in tests/editors/vscode")
        code_server = _code_server()
        vsix = _build_vsix()
    except Missing as error:
        if _in_ci():
            pytest.fail(f"{error}: {SETUP} first (CI is set, so this is a failure)")
        pytest.skip(f"{error}: {SETUP} to run this test")
    env = _clean_environment(node)
    return {
        **env,
        "KWDOCS_CODE_SERVER": str(code_server),
        "KWDOCS_VSIX": str(vsix),
        "KWDOCS_DRIVER_TIMEOUT": str(DRIVER_SECONDS),
        "KWDOCS_PYTHONS_ASKED": json.dumps(_kwdocs_free(env)),
        # A copy of PyTorch's FSDP folder goes into the workspace as ``fsdp/``.
        "KWDOCS_FSDP_DIR": str(torch_root / "torch" / "distributed" / "fsdp"),
        "KWDOCS_CPP_FILES": json.dumps(
            [{"source": str(native_root / rel), "rel": rel} for rel in CPP_FILES]
        ),
    }


def _drive(env: dict[str, str], run: Run, **extra: str) -> dict[str, Any]:
    """One run of the driver; the tests below read its result."""
    artifacts = ARTIFACTS / run.value
    artifacts.mkdir(parents=True, exist_ok=True)
    node = shutil.which("node", path=env["PATH"])
    assert node is not None
    try:
        done = subprocess.run(
            [node, str(DRIVER)],
            cwd=DRIVER.parent,
            env={**env, **extra, "KWDOCS_SCENARIO": run.value, "KWDOCS_ARTIFACTS": str(artifacts)},
            capture_output=True,
            text=True,
            timeout=DRIVER_SECONDS + 60,
            stdin=subprocess.DEVNULL,
        )
        output = f"{done.stdout}\n{done.stderr}"
        code: int | None = done.returncode
    except subprocess.TimeoutExpired as error:
        output, code = f"{error.stdout}\n{error.stderr}", None
    (artifacts / "driver.log").write_text(output, encoding="utf-8")
    result_file = artifacts / "result.json"
    assert result_file.is_file(), f"the driver wrote no result (exit {code}):\n{output[-4000:]}"
    result: dict[str, Any] = json.loads(result_file.read_text(encoding="utf-8"))
    result["exit_code"] = code
    result["log"] = output
    result["artifacts"] = str(artifacts)
    return result


@pytest.fixture(scope="module")
def bundled_run(prerequisites: dict[str, str]) -> dict[str, Any]:
    return _drive(prerequisites, Run.BUNDLED)


@pytest.fixture(scope="module")
def server_path_run(prerequisites: dict[str, str]) -> dict[str, Any]:
    # The checkout's own kwdocs, installed in the test's environment (not on code-server's PATH).
    kwdocs = Path(sys.executable).parent / "kwdocs"
    assert kwdocs.is_file(), f"{kwdocs} is missing: install the checkout with pip install -e ."
    return _drive(prerequisites, Run.SERVER_PATH, KWDOCS_SERVER_PATH=str(kwdocs))


def _check(result: dict[str, Any], name: str) -> None:
    """Asserts that the driver ran the named check and that it passed."""
    checks = {check["name"]: check for check in result["checks"]}
    found = checks.get(name)
    context = (
        f"driver error: {result.get('error')}\nfailed checks: "
        + json.dumps([c for c in result["checks"] if not c["ok"]], indent=1)
        + "\nserver log errors:\n"
        + "\n".join(result.get("serverErrors") or ["(none)"])
        + f"\nartifacts: {result['artifacts']}"
    )
    assert found is not None, f"the driver did not get to {name!r}\n{context}"
    assert found["ok"], f"{name}: {found['detail']}\n{context}"


def test_no_python_of_the_editor_has_kwdocs(prerequisites: dict[str, str]) -> None:
    """The premise of the bundled run: code-server's PATH has Pythons, none with kwdocs. (Its
    extension host takes PATH from a login shell: the driver checks the Pythons of that PATH
    too, "no Python on the extension host's PATH has kwdocs".)"""
    asked = json.loads(prerequisites["KWDOCS_PYTHONS_ASKED"])
    assert asked and all(" 3." in line for line in asked), asked


def test_extension_installs(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "install the .vsix")


def test_bundled_server_starts_with_no_kwdocs_installed(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "the kwdocs server starts")
    _check(bundled_run, "the bundled kwdocs serves")
    _check(bundled_run, "the server's Python cannot import kwdocs by itself")
    _check(bundled_run, "no Python on the extension host's PATH has kwdocs")


def test_hover_shows_docstring_and_page_link(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "hover names the class")
    _check(bundled_run, "hover shows the docstring summary")
    _check(bundled_run, "hover links to the page of shapes.py")


def test_language_status_shows_keywords_and_server(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "language status shows the keyword count")
    _check(bundled_run, "language status names the server")


def test_go_to_definition(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "go to definition opens shapes.py")
    _check(bundled_run, "go to definition lands on line 4")


def test_a_copy_of_a_subpackage_resolves_its_full_import_names(bundled_run: dict[str, Any]) -> None:
    # fsdp/ holds no torch/ above it: torch.distributed.fsdp._flat_param is fsdp/_flat_param.py.
    _check(bundled_run, "hover on FlatParamHandle in _runtime_utils.py shows the class")
    _check(bundled_run, "hover on FlatParamHandle links to its page section")
    _check(bundled_run, "definition of FlatParamHandle lands on its class line")


def test_inferred_definition_with_jedi_turned_on(server_path_run: dict[str, Any]) -> None:
    # jedi runs in the server's child process, when the setting asks for it.
    _check(server_path_run, "inferred definition lands on Square.area (line 25)")


def test_cpp_header_hover_definition_and_symbols(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "C++ hover names c10d::ProcessGroup")
    _check(bundled_run, "C++ hover shows the comment above the class")
    _check(bundled_run, "C++ hover links to the page of ProcessGroup.hpp")
    _check(bundled_run, "C++ go to definition of an include opens Backend.hpp")
    _check(bundled_run, "C++ go to definition lands on line 1")
    _check(bundled_run, "Go to Symbol in Editor lists allreduce in ProcessGroup.hpp")
    _check(bundled_run, "the symbol leads to allreduce (line 241)")


def test_export_from_command_palette(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "export notification shows the summary")
    _check(bundled_run, 'export notification offers "Open index"')
    _check(bundled_run, '"Open index" opens index.md')
    _check(bundled_run, "export wrote the pages")
    _check(bundled_run, "the page of shapes.py documents Shape")


def test_other_palette_commands(bundled_run: dict[str, Any]) -> None:
    _check(bundled_run, "export of this file reports its pages")
    _check(bundled_run, "re-index reports files and keywords")
    _check(bundled_run, "debug information opens as JSON, naming the server")


def test_bundled_run_passed_with_screenshots(bundled_run: dict[str, Any]) -> None:
    """Every check passed, the driver exited 0 and left a screenshot of each step."""
    _passed_with_screenshots(
        bundled_run,
        (
            "workbench",
            "hover",
            "language-status",
            "definition",
            "cpp-hover",
            "cpp-definition",
            "cpp-symbols",
            "export-notification",
            "open-index",
        ),
    )


def test_server_path_serves(server_path_run: dict[str, Any]) -> None:
    _check(server_path_run, "install the .vsix")
    _check(server_path_run, "the kwdocs server starts")
    _check(server_path_run, "kwdocs.server.path serves")
    _check(server_path_run, "hover shows the docstring summary")
    _check(server_path_run, "language status names the server")
    _check(server_path_run, "go to definition lands on line 4")


def test_enable_setting_stops_and_starts_the_server(server_path_run: dict[str, Any]) -> None:
    _check(server_path_run, "kwdocs.enable off stops the server and the status says so")
    _check(server_path_run, "a command while disabled says kwdocs is turned off")
    _check(server_path_run, "kwdocs.enable on starts it again")


def test_missing_server_path_explains_the_fix(server_path_run: dict[str, Any]) -> None:
    _check(server_path_run, "a missing kwdocs.server.path gets a message with the fix")


def test_server_path_run_passed_with_screenshots(server_path_run: dict[str, Any]) -> None:
    _passed_with_screenshots(server_path_run, ("hover", "language-status", "server-cannot-start"))


def _passed_with_screenshots(result: dict[str, Any], steps: tuple[str, ...]) -> None:
    assert result["exit_code"] == 0 and result["ok"], result["log"][-4000:]
    shots = result["screenshots"]
    for step in steps:
        assert any(step in shot for shot in shots), f"no screenshot of {step}: {shots}"
    assert all((Path(result["artifacts"]) / shot).is_file() for shot in shots)


def _cpythons_here() -> dict[str, str]:
    """One interpreter per CPython version ("3.12") on PATH or installed by pyenv: those that
    run (a pyenv shim of a version that is not selected exits 127)."""
    candidates = [shutil.which(f"python3.{minor}") for minor in range(6, 16)]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += [str(p) for p in sorted(pyenv.glob("*/bin/python3"))]
    found: dict[str, str] = {}
    for python in filter(None, candidates):
        run = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        if run.returncode == 0:
            found.setdefault(run.stdout.strip(), python)
    return found


def test_bundle_runs_on_each_cpython_here(prerequisites: dict[str, str], tmp_path: Path) -> None:
    """The bundled kwdocs indexes a workspace on every supported CPython found on PATH (the
    compiled msgspec and rapidfuzz of each version load), and an older Python gets a message
    naming the versions it supports."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "shapes.py").write_text('class Shape:\n    """A shape."""\n')
    manifest = json.loads((LAUNCHER.parent.parent / "libs" / "bundle.json").read_text("utf-8"))
    here = _cpythons_here()
    supported = {
        version: python for version, python in here.items() if version in manifest["pythons"]
    }
    assert supported, f"no CPython {manifest['pythons']} here: {here}"
    for version, python in supported.items():
        run = subprocess.run(
            [python, "-I", "-S", str(LAUNCHER), "index", str(tmp_path), "--json", "--no-cache"],
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert run.returncode == 0, f"{python} ({version}): {run.stderr}"
        assert json.loads(run.stdout)["keywords"] >= 1, run.stdout
    old = here.get("3.9")
    if old is not None:
        run = subprocess.run(
            [old, "-I", "-S", str(LAUNCHER), "serve"],
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert run.returncode == 3 and "serves CPython 3.10" in run.stderr, run.stderr


def test_server_choice_with_real_interpreters(prerequisites: dict[str, str]) -> None:
    """The order of choice (vscode-client/src/choice.ts) with real interpreters: this
    environment's Python (which has kwdocs), a Python of code-server's PATH (which has not)
    and, where there is one, a Python 3.9 (tests/editors/vscode/choice.test.mjs)."""
    without = _pythons_on(prerequisites["PATH"])[0]
    run = subprocess.run(
        ["node", "--test", "choice.test.mjs"],
        cwd=DRIVER.parent,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={
            **os.environ,
            "KWDOCS_CLIENT": str(CLIENT),
            "KWDOCS_PYTHON_WITH": sys.executable,
            "KWDOCS_PYTHON_WITHOUT": str(without),
            "KWDOCS_PYTHON_OLD": _cpythons_here().get("3.9", ""),
        },
    )
    assert run.returncode == 0, f"{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
    # Eleven tests; the one about Python 3.9 is skipped where there is none.
    passed = re.search(r"^# pass (\d+)$", run.stdout, re.MULTILINE)
    assert "# fail 0" in run.stdout and passed and int(passed[1]) >= 10, run.stdout[-2000:]
