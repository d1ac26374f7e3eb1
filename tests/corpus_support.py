"""The reference corpora of the tests, shared by conftest.py and the support modules: PyTorch
2.13.0's CPU wheel (copied by pip from the machine's local wheel store, no network) and its
Python files, extracted once per machine."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

TORCH_VERSION = "2.13.0"
_TOOLS = Path(os.environ.get("KWDOCS_TEST_CACHE", Path.home() / ".cache" / "kwdocs-tests"))


def _torch_wheel() -> Path | None:
    """The PyTorch CPU wheel, copied by pip from the machine's local wheel store (no network)."""
    folder = _TOOLS / "wheels"
    found = sorted(folder.glob(f"torch-{TORCH_VERSION}*.whl"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            f"torch=={TORCH_VERSION}",
            "--no-deps",
            "-d",
            str(folder),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    found = sorted(folder.glob(f"torch-{TORCH_VERSION}*.whl"))
    if result.returncode != 0 or not found:
        return None
    return found[0]


def torch_sources() -> Path | None:
    """A folder holding ``torch/**.py`` from the wheel, extracted once per machine."""
    target = _TOOLS / f"torch-{TORCH_VERSION}-py"
    stamp = target / ".complete"
    if stamp.exists():
        return target
    _TOOLS.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers may all ask at once: one extracts, the others wait for it.
    with open(_TOOLS / ".torch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return target
        return _extract_torch(target, stamp)


def _extract_torch(target: Path, stamp: Path) -> Path | None:
    wheel = _torch_wheel()
    if wheel is None:
        return None
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.startswith("torch/") and n.endswith(".py")]
        archive.extractall(tmp, members=members)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    stamp.write_text(TORCH_VERSION)
    return target
