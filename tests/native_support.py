"""PyTorch 2.13.0's non-Python files (C/C++/CUDA headers, CMake, YAML) from the local wheel,
extracted once per machine next to the ``.py`` files conftest.py extracts."""

from __future__ import annotations

import fcntl
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from corpus_support import _TOOLS, TORCH_VERSION, _torch_wheel

NATIVE_SUFFIXES = (".h", ".hpp", ".cuh", ".cu", ".cpp", ".cmake", ".yaml", ".yml", ".txt")


def torch_native_sources() -> Path | None:
    """A folder holding the wheel's C family, CMake and YAML files, extracted once."""
    target = _TOOLS / f"torch-{TORCH_VERSION}-native"
    stamp = target / ".complete"
    if stamp.exists():
        return target
    _TOOLS.mkdir(parents=True, exist_ok=True)
    # pytest-xdist workers may all ask at once: one extracts, the others wait for it.
    with open(_TOOLS / ".torch-native.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists():
            return target
        wheel = _torch_wheel()
        if wheel is None:
            return None
        tmp = target.with_name(target.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        with zipfile.ZipFile(wheel) as archive:
            members = [
                n
                for n in archive.namelist()
                if n.startswith(("torch/", "torchgen/")) and n.endswith(NATIVE_SUFFIXES)
            ]
            archive.extractall(tmp, members=members)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)
        stamp.write_text(TORCH_VERSION)
        return target


@pytest.fixture(scope="session")
def native_root() -> Path:
    """Root folder containing ``torch/include``, ``torch/share/cmake`` and ``torchgen/``."""
    root = torch_native_sources()
    if root is None:
        reason = f"the PyTorch {TORCH_VERSION} wheel cannot be had here (pip download failed)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return root


# The wheel tree the issue names: Python sources and stubs beside the C family, CMake and YAML.
WHEEL_SUFFIXES = (".py", ".pyi", *NATIVE_SUFFIXES)


def wheel_member(name: str) -> bytes:
    """One file of the wheel (a ``.pyi`` stub, say), read from the archive."""
    wheel = _torch_wheel()
    if wheel is None:
        pytest.skip(f"the PyTorch {TORCH_VERSION} wheel cannot be had here")
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(name)


def native_workspace(
    native_root: Path, dest: Path, rels: list[str], stubs: tuple[str, ...] = ()
) -> Path:
    """A workspace at ``dest`` holding ``rels`` (paths under the native root) and ``stubs``
    (members of the wheel), at the paths they have in the wheel."""
    for rel in rels:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(native_root / rel, target)
    for name in stubs:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(wheel_member(name))
    return dest
