"""Discovery: .gitignore (nested), built-in and configured excludes, skip reasons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from kwdocs.config import SettingsError, load_settings
from kwdocs.discover import MANIFEST_NAME, discover, is_excluded


def _paths(root: Path, **overrides) -> list[str]:
    return [f.path for f in discover(load_settings(root, overrides)).files]


def test_gitignore_nested_and_negated(make_tree) -> None:
    root = make_tree(
        {
            ".gitignore": "*.log\nsecret/\n",
            "a.py": "",
            "debug.log": "",
            "secret/x.py": "",
            "pkg/.gitignore": "generated_*.py\n!keep.log\n",
            "pkg/generated_1.py": "",
            "pkg/keep.log": "",
            "pkg/mod.py": "",
            "other/generated_2.py": "",
        }
    )
    assert _paths(root) == [
        ".gitignore",
        "a.py",
        "other/generated_2.py",
        "pkg/.gitignore",
        "pkg/keep.log",
        "pkg/mod.py",
    ]


def test_builtin_excludes_and_virtualenvs(make_tree) -> None:
    root = make_tree(
        {
            "src/app.py": "",
            ".git/config": "",
            "node_modules/x/index.js": "",
            "__pycache__/a.cpython-311.pyc": "",
            "build/lib/app.py": "",
            "dist/app.py": "",
            "pkg.egg-info/PKG-INFO": "",
            "myenv/pyvenv.cfg": "",
            "myenv/lib/site.py": "",
        }
    )
    assert _paths(root) == ["src/app.py"]


def test_built_sites_minified_bundles_and_source_maps_are_skipped(make_tree) -> None:
    root = make_tree(
        {
            "src/app.js": "export const a = 1;\n",
            "src/style.css": "body {}\n",
            "site/index.html": "<html></html>\n",
            "site/search/main.js": "",
            "docs/site/extra.py": "",
            "static/app.min.js": "",
            "static/theme.min.css": "",
            "static/app.js.map": "{}",
            "static/theme.css.map": "{}",
        }
    )
    assert _paths(root) == ["src/app.js", "src/style.css"]
    assert is_excluded(load_settings(root), "static/app.min.js")
    assert is_excluded(load_settings(root), "site/search/main.js")
    assert not is_excluded(load_settings(root), "src/app.js")


def test_unknown_pyproject_keys_warn_with_the_closest_setting(make_tree) -> None:
    root = make_tree(
        {
            "pyproject.toml": (
                "[tool.kwdocs]\n"
                'exlude = ["x/**"]\n'
                "max-filesize = 10\n"
                "outputDir = 'pages'\n"  # the editor's spelling is accepted here too
                "colour = 'blue'\n"
            )
        }
    )
    warnings: list[str] = []
    settings = load_settings(root, {"serverPath": "/usr/bin/kwdocs"}, warnings)
    assert settings.out == root / "pages"
    assert len(warnings) == 3, warnings
    assert "'exlude' is not a kwdocs setting (ignored); did you mean 'exclude'?" in warnings[0]
    assert "did you mean 'max-file-size'?" in warnings[1]
    assert "'colour' is not a kwdocs setting (ignored)" in warnings[2]
    assert "did you mean" not in warnings[2]
    # An editor's own settings (overrides) are not the project's typos: no warning.
    assert not any("serverPath" in w for w in warnings)


def test_output_folder_and_any_kwdocs_output_are_excluded(make_tree) -> None:
    root = make_tree(
        {
            "a.py": "",
            "docs/kwdocs/a.py_docs.md": "x",
            "elsewhere/out/" + MANIFEST_NAME: "{}",
            "elsewhere/out/b.py_docs.md": "x",
            "custom/page.md": "x",
        }
    )
    assert _paths(root) == ["a.py", "custom/page.md"]
    # Without a manifest or the generated-page marker, docs/kwdocs holds the user's own files.
    assert _paths(root, outputDir="custom") == ["a.py", "docs/kwdocs/a.py_docs.md"]


def test_include_and_exclude_globs_from_pyproject_and_overrides(make_tree) -> None:
    root = make_tree(
        {
            "pyproject.toml": '[tool.kwdocs]\nexclude = ["tests/**"]\ninclude = ["**/*.py"]\n',
            "pkg/a.py": "",
            "pkg/readme.md": "",
            "tests/test_a.py": "",
        }
    )
    assert _paths(root) == ["pkg/a.py"]
    settings = load_settings(root)
    assert is_excluded(settings, "tests/test_a.py")
    assert is_excluded(settings, "pkg/readme.md")
    assert not is_excluded(settings, "pkg/a.py")
    # Editors and flags add globs to the project's; empty lists change nothing.
    assert _paths(root, include=[], exclude=[]) == ["pkg/a.py"]
    assert _paths(root, include=["**/*.md"]) == ["pkg/a.py", "pkg/readme.md"]
    assert _paths(root, exclude=["pkg/a.py"]) == []
    assert load_settings(root, {"exclude": ["tests/**", "x/**"]}).exclude == ["tests/**", "x/**"]


def test_size_limit_special_files_and_symlinks(make_tree, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.py").write_text("x = 1\n")
    root = make_tree({"small.py": "x = 1\n", "big.py": "x" * 5000, "sub/m.py": ""})
    os.mkfifo(root / "pipe.py")
    (root / "out_link.py").symlink_to(outside / "o.py")
    (root / "out_dir").symlink_to(outside)
    (root / "in_link.py").symlink_to(root / "small.py")
    (root / "sub" / "loop").symlink_to(root / "sub")
    (root / "dangling.py").symlink_to(root / "missing.py")
    (root / "self_loop").symlink_to(root / "self_loop")
    found = discover(load_settings(root, {"maxFileSize": 1000}))
    assert [f.path for f in found.files] == ["in_link.py", "small.py", "sub/m.py"]
    reasons = {s.path: s.reason for s in found.skipped}
    assert reasons["big.py"].startswith("larger than the size limit (5,000 > 1,000 bytes)")
    assert reasons["pipe.py"] == "not a regular file"
    assert reasons["out_link.py"] == "symlink pointing outside the root"
    assert reasons["out_dir"] == "symlink pointing outside the root"
    assert reasons["sub/loop"].startswith("symlink loop")
    assert reasons["dangling.py"] == "broken symlink"
    assert reasons["self_loop"] == "symlink loop"


def test_bad_settings_are_clear_errors(make_tree) -> None:
    root = make_tree({"pyproject.toml": "[tool.kwdocs]\nmax-file-size = 'big'\n"})
    with pytest.raises(SettingsError, match="max_file_size: expected a non-negative integer"):
        load_settings(root)
    root2 = make_tree({"pyproject.toml": "[tool.kwdocs\n"}, root=root.parent / "ws2")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(root2)
    with pytest.raises(SettingsError, match="definitionTarget"):
        load_settings(root.parent, {"definitionTarget": "elsewhere"})


def test_settings_precedence(make_tree) -> None:
    root = make_tree({"pyproject.toml": '[tool.kwdocs]\noutput-dir = "site/pages"\n'})
    assert load_settings(root).out == root / "site" / "pages"
    assert load_settings(root, {"outputDir": "/abs/out"}).out == Path("/abs/out")
    assert load_settings(root, {"outputDir": None}).out == root / "site" / "pages"
