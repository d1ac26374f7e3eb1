"""Golden pages of the fixture workspace: a byte-for-byte comparison.

Regenerate with ``KWDOCS_UPDATE_GOLDEN=1 pytest tests/test_export_golden.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from export_support import GOLDEN, copy_fixture, export, page_tree
from linkcheck import check_tree


def test_fixture_pages_match_golden(tmp_path: Path) -> None:
    root = copy_fixture(tmp_path / "ws")
    summary = export(root)
    out = root / "docs" / "kwdocs"
    pages = page_tree(out)
    assert summary.written == len(pages)
    if os.environ.get("KWDOCS_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, data in pages.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_bytes(data)
    expected = page_tree(GOLDEN)
    assert sorted(pages) == sorted(expected)
    for rel, data in pages.items():
        assert data.decode() == expected[rel].decode(), rel
    assert check_tree(out) == []
