"""Shared fixtures: real corpora (PyTorch's Python sources from the local wheel, the standard
library) and small workspaces built in temporary folders."""

from __future__ import annotations

import os
import sysconfig
from pathlib import Path

import pytest
from corpus_support import TORCH_VERSION, torch_sources


@pytest.fixture(scope="session")
def torch_root() -> Path:
    """Root folder containing ``torch/`` (PyTorch 2.13.0's Python files)."""
    root = torch_sources()
    if root is None:
        reason = f"the PyTorch {TORCH_VERSION} wheel cannot be had here (pip download failed)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return root


@pytest.fixture(scope="session")
def stdlib_root() -> Path:
    """The running interpreter's standard library folder."""
    return Path(sysconfig.get_paths()["stdlib"])


@pytest.fixture
def make_tree(tmp_path: Path):
    """Build a workspace from {relative path: text or bytes}; returns its root."""

    def build(files: dict[str, str | bytes], root: Path | None = None) -> Path:
        base = root or tmp_path / "ws"
        base.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = base / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return base

    return build


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Every test gets its own record cache folder: tests never share or pollute one."""
    monkeypatch.setenv("KWDOCS_CACHE_DIR", str(tmp_path_factory.mktemp("kwcache")))
