"""The command line, run as a user runs it: a subprocess of ``python -m kwdocs``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SHAPES = '''"""Shapes."""


class Shape:
    """A shape with sides."""

    def area(self) -> float:
        """Its area."""
        return 0.0
'''


def kwdocs(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kwdocs", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_version_and_help() -> None:
    result = kwdocs("--version")
    assert result.returncode == 0 and result.stdout.startswith("kwdocs ")
    result = kwdocs("--help")
    assert result.returncode == 0
    for command in ("export", "index", "lookup", "serve"):
        assert command in result.stdout


def test_index_prints_counts_and_json(make_tree) -> None:
    root = make_tree({"pkg/shapes.py": SHAPES, "README.md": "# Title\n"})
    result = kwdocs("index", str(root), "--stats")
    assert result.returncode == 0, result.stderr
    assert "indexed 2 files, 3 keywords (0 from cache, 2 extracted, 0 skipped)" in result.stdout
    assert "peak memory:" in result.stdout and "  class       1" in result.stdout
    data = json.loads(kwdocs("index", str(root), "--json").stdout)
    assert data["files"] == 2 and data["from_cache"] == 2 and data["extracted"] == 0
    data = json.loads(kwdocs("index", str(root), "--json", "--no-cache").stdout)
    assert data["extracted"] == 2


def test_lookup_prints_definitions_with_page_links(make_tree) -> None:
    root = make_tree({"pkg/shapes.py": SHAPES})
    result = kwdocs("lookup", "area", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "pkg/shapes.py:7:9: method Shape.area" in result.stdout
    assert "def area(self) -> float" in result.stdout and "Its area." in result.stdout
    # No links before the pages exist: they would lead nowhere.
    assert "docs:" not in result.stdout and "pages not exported yet" in result.stdout
    rows = json.loads(kwdocs("lookup", "Shape", "--root", str(root), "--json").stdout)
    assert rows[0]["kind"] == "class" and rows[0]["line"] == 4
    assert rows[0]["docs_page"] is None
    assert kwdocs("export", str(root), "-q").returncode == 0
    rows = json.loads(kwdocs("lookup", "Shape", "--root", str(root), "--json").stdout)
    expected = (root / "docs/kwdocs/pkg/shapes.py_docs.md").as_uri() + "#class-shape"
    assert rows[0]["docs_page"] == expected
    missing = kwdocs("lookup", "Nope", "--root", str(root))
    assert missing.returncode == 1 and "no keyword named 'Nope'" in missing.stderr


def test_lookup_ignores_case_suggests_names_and_follows_dotted_paths(make_tree) -> None:
    root = make_tree(
        {
            "pkg/__init__.py": "from pkg.shapes import Shape\n",
            "pkg/shapes.py": SHAPES,
        }
    )
    result = kwdocs("lookup", "shape", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "but for case" in result.stdout and "pkg/shapes.py:4:7: class Shape" in result.stdout
    # An import says where it leads.
    assert "pkg/__init__.py:1:24: import Shape\n    defined at pkg/shapes.py:4" in result.stdout
    typo = kwdocs("lookup", "Shap", "--root", str(root))
    assert typo.returncode == 1 and "did you mean Shape?" in typo.stderr
    # A dotted path through the package's re-export.
    rows = json.loads(kwdocs("lookup", "pkg.Shape.area", "--root", str(root), "--json").stdout)
    assert [(r["path"], r["qualname"]) for r in rows] == [("pkg/shapes.py", "Shape.area")]


def test_bad_root_is_one_line_and_status_2(tmp_path: Path) -> None:
    for command in ("index", "export"):
        result = kwdocs(command, str(tmp_path / "missing"))
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"kwdocs: error: ROOT does not exist: {tmp_path / 'missing'}"
        ]
    file = tmp_path / "file.txt"
    file.write_text("x")
    result = kwdocs("index", str(file))
    assert result.returncode == 2 and "ROOT is not a folder" in result.stderr


def test_bad_setting_is_one_line_and_status_2(make_tree) -> None:
    root = make_tree({"pyproject.toml": "[tool.kwdocs]\ndefinition-target = 'nowhere'\n"})
    result = kwdocs("index", str(root))
    assert result.returncode == 2
    assert result.stderr.startswith("kwdocs: error: definitionTarget: expected one of")


def test_paths_on_the_command_line_are_relative_to_the_working_folder(make_tree) -> None:
    root = make_tree({"src/pkg/shapes.py": SHAPES})
    result = kwdocs("export", "src", "--out", "build/pages", cwd=root)
    assert result.returncode == 0, result.stderr
    assert (root / "build/pages/pkg/shapes.py_docs.md").is_file()
    assert not (root / "src/build").exists()


def test_a_closed_pipe_is_not_an_error(make_tree) -> None:
    root = make_tree({f"pkg/m{i}.py": SHAPES for i in range(30)})
    shell = f"{sys.executable} -m kwdocs lookup area --root {root} | head -c 10 >/dev/null"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_every_argument_has_help_and_every_help_shows_examples() -> None:
    import argparse

    from kwdocs.cli import build_parser

    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in [("kwdocs", parser), *commands.choices.items()]:
        for action in sub._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue
            assert action.help, f"{name}: {action.dest} has no help text"
        shown = kwdocs(*([] if name == "kwdocs" else [name]), "--help")
        assert shown.returncode == 0 and "\nexamples:\n" in shown.stdout, name


def test_unknown_pyproject_keys_warn_naming_the_closest_setting(make_tree) -> None:
    root = make_tree({"pkg/shapes.py": SHAPES, "pyproject.toml": '[tool.kwdocs]\nexlude = ["x"]\n'})
    result = kwdocs("index", str(root))
    assert result.returncode == 0
    assert "kwdocs: warning: " in result.stderr
    assert "'exlude' is not a kwdocs setting (ignored); did you mean 'exclude'?" in result.stderr


def test_an_export_matching_no_file_warns(make_tree, tmp_path: Path) -> None:
    root = make_tree({"pkg/shapes.py": SHAPES})
    result = kwdocs("export", str(root), "--out", str(tmp_path / "out"), "--include", "nothing/**")
    assert result.returncode == 0
    assert "Documented 0 files" in result.stdout
    assert "kwdocs: warning: no file under" in result.stderr and "matched" in result.stderr
    result = kwdocs("export", str(root), "--out", str(tmp_path / "out2"))
    assert "warning" not in result.stderr


def test_start_at_names_a_page_kwdocs_wrote_and_no_lock_file_stays(
    make_tree, tmp_path: Path
) -> None:
    root = make_tree({"pkg/shapes.py": SHAPES})
    out = tmp_path / "out"
    result = kwdocs("export", str(root), "--out", str(out))
    assert result.stdout.rstrip().endswith(f"Start at {out / 'index.md'}")
    assert not (out / ".kwdocs.lock").exists()
    # The user's own index.md is left alone, and "Start at" no longer names it.
    (out / "index.md").write_text("# My own index\n", encoding="utf-8")
    result = kwdocs("export", str(root), "--out", str(out))
    assert "Left 1 file in the output folder alone" in result.stdout
    assert result.stdout.rstrip().endswith(f"Start at {out / 'README.md'}")
    assert (out / "index.md").read_text(encoding="utf-8") == "# My own index\n"
    assert (out / "README.md").read_text(encoding="utf-8").startswith("<!-- kwdocs:generated")
    summary = json.loads(kwdocs("export", str(root), "--out", str(out), "--json").stdout)
    assert summary["index"] == (out / "README.md").as_uri()
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [
        ".kwdocs-manifest.json"
    ]
