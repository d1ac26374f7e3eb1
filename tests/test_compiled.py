"""kwdocs's compiled modules (``kwdocs/compiled.py``): the suite runs them, as a wheel installs
them; they write the same bytes as the pure Python on real trees; and a build of other sources
than the ones on disk is never loaded."""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kwdocs import compiled

REPO = Path(__file__).resolve().parent.parent
SUFFIXES = tuple(importlib.machinery.EXTENSION_SUFFIXES)


def need_build() -> None:
    if compiled.current_build() is None:
        reason = "no compiled build of these sources (scripts/test.sh runs `kwdocs compile`)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_the_suite_runs_the_compiled_modules() -> None:
    need_build()
    assert compiled.active()
    for module in compiled.MODULES:
        loaded = importlib.import_module(module)
        assert loaded.__file__ is not None and loaded.__file__.endswith(SUFFIXES), module


def test_the_compiled_modules_hold_no_class_statement_with_keywords() -> None:
    assert compiled.check_sources() == []
    source = b"class A(msgspec.Struct, frozen=True):\n    x: int\n\nclass B:\n    pass\n"
    (problem,) = compiled.class_keywords(source, "kwdocs.example")
    assert problem.startswith("kwdocs.example:1: class A has keywords")


def _export(root: Path, out: Path, cache: Path, *, pure: bool) -> dict:
    env = {key: value for key, value in os.environ.items() if key != compiled.PURE_ENV}
    env["KWDOCS_CACHE_DIR"] = str(cache)
    if pure:
        env[compiled.PURE_ENV] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "kwdocs", "export", str(root), "--out", str(out), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _files(folder: Path) -> dict[str, bytes]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


@pytest.mark.slow
@pytest.mark.parametrize("corpus", ["torch", "stdlib"])
def test_compiled_and_pure_python_write_the_same_bytes(
    corpus: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Every page, the record cache and the edge store of a whole tree (PyTorch's package, the
    standard library): the same bytes; the manifests differ only in the pages' times."""
    need_build()
    root: Path = request.getfixturevalue(f"{corpus}_root")
    written = {}
    for mode in ("pure", "compiled"):
        summary = _export(root, tmp_path / mode, tmp_path / f"cache-{mode}", pure=mode == "pure")
        assert summary["skipped"] == [] or corpus == "stdlib"
        written[mode] = summary
    assert written["pure"]["written"] == written["compiled"]["written"] > 1000
    assert written["pure"]["skipped"] == written["compiled"]["skipped"]
    pure, native = _files(tmp_path / "pure"), _files(tmp_path / "compiled")
    manifest = ".kwdocs-manifest.json"
    assert pure.keys() == native.keys()
    different = [name for name in pure if name != manifest and pure[name] != native[name]]
    assert different == []

    def entries(data: bytes) -> dict:
        loaded = json.loads(data)
        for entry in loaded["pages"].values():
            entry.pop("mtime_ns", None)
        return loaded

    assert entries(pure[manifest]) == entries(native[manifest])
    assert _files(tmp_path / "cache-pure") == _files(tmp_path / "cache-compiled")


def _loaded_from(server: Path) -> tuple[bool, str]:
    """Whether a kwdocs imported from ``server`` runs compiled, and where its facts module is."""
    code = (
        "import kwdocs.compiled as c, kwdocs.facts as f, kwdocs.render.docs_page as d; "
        "print(c.active(), f.__file__, d.__file__)"
    )
    env = {key: value for key, value in os.environ.items() if key != compiled.PURE_ENV}
    env["PYTHONPATH"] = str(server)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    active, facts, page = done.stdout.split()
    # All compiled or none: a compiled page module would call the compiled facts' code.
    assert facts.endswith(SUFFIXES) == page.endswith(SUFFIXES) == (active == "True")
    return active == "True", facts


def test_a_build_of_other_sources_is_never_loaded(tmp_path: Path) -> None:
    """An edit of any compiled module's source leaves its build unused, for every module: the
    pure Python runs until the next ``kwdocs compile``."""
    need_build()
    server = tmp_path / "server"
    shutil.copytree(
        REPO / "server" / "kwdocs", server / "kwdocs", ignore=shutil.ignore_patterns("__pycache__")
    )
    active, facts = _loaded_from(server)
    assert active and facts.endswith(SUFFIXES) and "_compiled" in facts
    # An edit of another compiled module than the one asked about.
    edited = server / "kwdocs" / "render" / "markdown.py"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    active, facts = _loaded_from(server)
    assert not active and facts == str(server / "kwdocs" / "facts.py")


def test_pure_python_runs_when_asked(tmp_path: Path) -> None:
    need_build()
    code = "import kwdocs.compiled as c, kwdocs.facts as f; print(c.active(), f.__file__)"
    env = {**os.environ, compiled.PURE_ENV: "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.split() == ["False", str(REPO / "server" / "kwdocs" / "facts.py")]
