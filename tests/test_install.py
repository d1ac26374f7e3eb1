"""Installing as the README says: its first command, read from README.md, run in a fresh copy
of the checkout with pipx installing into a fresh location (nothing of this environment's own
kwdocs on the PATH)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(?:bash|sh)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def first_command() -> str:
    """The README's first command: the first shell block of README.md."""
    match = FENCE.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md has no ```bash block"
    return match.group(1).strip()


def _pipx() -> Path | None:
    # The test environment's pipx (the test extra), else the system's.
    beside = Path(sys.executable).with_name("pipx")
    if beside.is_file():
        return beside
    found = shutil.which("pipx")
    return Path(found) if found else None


def _checkout_copy(target: Path) -> Path:
    """The files git tracks (and new ones not ignored): what a fresh clone holds."""
    listed = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            (target / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / os.fsdecode(name))
    return target


@pytest.mark.slow
def test_the_readme_first_command_installs_with_pipx_and_runs(tmp_path: Path) -> None:
    pipx = _pipx()
    if pipx is None:
        if os.environ.get("CI"):
            pytest.fail("pipx is not installed (the test extra brings it)")
        pytest.skip("pipx is not installed")
    if shutil.which("git") is None:
        pytest.skip("needs git to list the checkout's files")
    command = first_command()
    assert command.startswith("pipx install ."), command
    checkout = _checkout_copy(tmp_path / "checkout")
    home, shims, apps = tmp_path / "home", tmp_path / "shims", tmp_path / "apps"
    for folder in (home, shims):
        folder.mkdir()
    (shims / "pipx").symlink_to(pipx)
    env = {
        **os.environ,
        "HOME": str(home),
        "PIPX_HOME": str(tmp_path / "pipx"),
        "PIPX_BIN_DIR": str(apps),
        "PIPX_MAN_DIR": str(tmp_path / "man"),
        # pipx and the apps it installs; system tools; nothing of this test environment.
        "PATH": os.pathsep.join([str(shims), str(apps), "/usr/bin", "/bin"]),
    }
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "KWDOCS_CACHE_DIR"):
        env.pop(name, None)
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", command],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The kwdocs that ran is the one pipx installed in the fresh location.
    assert (apps / "kwdocs").exists()
    which = subprocess.run(
        ["bash", "-c", "command -v kwdocs"], env=env, capture_output=True, text=True, timeout=30
    )
    assert which.stdout.strip() == str(apps / "kwdocs")
    out = checkout / "build" / "kwdocs-sample"
    assert "Documented " in result.stdout and f"Start at {out / 'index.md'}" in result.stdout
    for page in ("README.md", "index.md", "kwdocs/cli.py_docs.md", "kwdocs/cli.py_kw.md"):
        assert (out / page).is_file(), page
    version = subprocess.run(
        [str(apps / "kwdocs"), "--version"], env=env, capture_output=True, text=True, timeout=60
    )
    from kwdocs import __version__

    assert version.stdout.strip() == f"kwdocs {__version__}"
    # The wheel carries the compiled modules, and they run (hatch_build.py, kwdocs/compiled.py).
    status = subprocess.run(
        [str(apps / "kwdocs"), "compile", "--status"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0 and status.stdout.rstrip().endswith(", running"), status.stdout
    # The wheel pipx built carries the licence it declares.
    dist = next((tmp_path / "pipx" / "venvs" / "kwdocs").rglob("kwdocs-*.dist-info"))
    assert (dist / "licenses" / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
