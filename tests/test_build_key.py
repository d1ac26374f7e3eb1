"""Results kept from one build of kwdocs are not taken for another's: a checkout (or an install)
between two releases changes the code under the same ``__version__``, and pages, records and
edges must then be made again. Run end to end on a copy of the kwdocs package, changed the way
a new build changes it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import kwdocs
from export_support import copy_fixture


def _copy_of_kwdocs(where: Path) -> Path:
    """A copy of the kwdocs package in ``where`` (the folder to put on the path)."""
    package = Path(kwdocs.__file__).parent
    shutil.copytree(package, where / "kwdocs", ignore=shutil.ignore_patterns("__pycache__"))
    return where


def _run(build: Path, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "kwdocs", *args, "--json"],
        capture_output=True,
        text=True,
        cwd=build,  # `-m` puts the current folder first: the copy is the kwdocs that runs
        env={**os.environ, "PYTHONPATH": str(build)},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_new_build_renders_every_page_and_reads_every_file_again(tmp_path: Path) -> None:
    build = _copy_of_kwdocs(tmp_path / "build")
    root = copy_fixture(tmp_path / "ws")
    out, cache = tmp_path / "out", tmp_path / "cache"
    export = ("export", str(root), "--out", str(out), "--cache-dir", str(cache))
    index = ("index", str(root), "--cache-dir", str(cache))

    first = _run(build, *export)
    assert first["written"] > 0 and first["unchanged"] == 0
    again = _run(build, *export)
    assert (again["written"], again["unchanged"]) == (0, first["written"])
    files = _run(build, *index)["files"]
    assert _run(build, *index)["from_cache"] == files

    # The new build writes the keyword page's title otherwise, as a release would.
    kw_page = build / "kwdocs" / "render" / "kw_page.py"
    text = kw_page.read_text(encoding="utf-8")
    assert '"# Keyword Index: ' in text
    kw_page.write_text(text.replace('"# Keyword Index: ', '"# Keywords of '), encoding="utf-8")

    # Records kept by the old build are not read as this one's: every file is read again.
    reindexed = _run(build, *index)
    assert (reindexed["from_cache"], reindexed["extracted"]) == (0, files)
    assert _run(build, *index)["from_cache"] == files

    rebuilt = _run(build, *export)
    kw_pages = sorted(out.rglob("*_kw.md"))
    assert kw_pages
    for page in kw_pages:
        assert "\n# Keywords of " in page.read_text(encoding="utf-8"), page
    assert rebuilt["written"] == len(kw_pages)  # the other pages came out the same
    assert rebuilt["unchanged"] == first["written"] - len(kw_pages)
