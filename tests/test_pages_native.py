"""Pages of the wheel's C, C++, CUDA, CMake and YAML files: the thirteen sections filled with
what holds for the language, and every link of the export resolving (issue 16), on a few
folders of real files and, in the slow suite, on the whole wheel tree."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from corpus_support import _torch_wheel
from export_support import export
from kwdocs.pages import DOCS_SECTIONS
from linkcheck import check_tree
from native_support import native_root  # noqa: F401  (a fixture)

# Folders of the wheel covering every language the tree-sitter extractors read.
FOLDERS = (
    "torch/include/c10/core",  # C++ headers: namespaces, classes, enums, macros
    "torch/include/ATen/cuda",  # .cuh and CUDA-flavoured headers
    "torch/share/cmake",  # CMake
    "torchgen/packaged/ATen/native",  # YAML (native_functions.yaml)
)
FILES = (
    "torch/include/ATen/Config.h",  # nothing but macros
    "torch/_inductor/codegen/aoti_runtime/interface.cpp",
)


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


@pytest.fixture(scope="module")
def native_out(native_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:  # noqa: F811
    root = tmp_path_factory.mktemp("native-pages")
    for folder in FOLDERS:
        shutil.copytree(native_root / folder, root / folder, copy_function=_link_or_copy)
    for rel in FILES:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        _link_or_copy(str(native_root / rel), str(root / rel))
    out = root / "out"
    summary = export(root, out)
    assert summary.conflicts == [] and summary.files > 150
    return out


def test_every_link_resolves(native_out: Path) -> None:
    assert check_tree(native_out) == []


def test_docs_pages_have_every_section(native_out: Path) -> None:
    for page in (
        "torch/include/c10/core/Device.h_docs.md",
        "torch/share/cmake/Caffe2/Caffe2Config.cmake_docs.md",
    ):
        text = (native_out / page).read_text(encoding="utf-8")
        headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
        assert headings == list(DOCS_SECTIONS), page


def _section(text: str, title: str) -> str:
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0].strip()


def test_purpose_and_overview_say_what_the_file_holds(native_out: Path) -> None:
    """No page of a file read with a grammar calls it a text file; its Overview counts its
    keywords as its keyword page does; File Purpose quotes the opening comment, else the first
    documented declaration, labelled as such."""
    pages = sorted(native_out.rglob("*_docs.md"))
    languages = set()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        overview = _section(text, "High-Level Overview")
        keywords = page.with_name(page.name.replace("_docs.md", "_kw.md")).read_text("utf-8")
        (line,) = [ln for ln in keywords.splitlines() if ln.startswith("This file has ")]
        assert "text file" not in overview.lower(), page
        assert overview.endswith(f" with {line[len('This file has ') :]}"), page
        assert "Text files carry no docstring" not in _section(text, "File Purpose"), page
        languages.add(overview.split(" file of ", 1)[0])
    assert {"A C++", "A CUDA", "A CMake", "A YAML"} <= languages
    device = (native_out / "torch/include/c10/core/Device.h_docs.md").read_text("utf-8")
    # Bases as written (kwdocs places Python's only); no claim that there are none.
    symnode = native_out / "torch/include/c10/core/ConstantSymNodeImpl.h_docs.md"
    assert _section(symnode.read_text("utf-8"), "Architecture & Design").startswith(
        "- `c10::ConstantSymNodeImpl` inherits from `SymNodeImpl` (as written)"
    )
    assert "- **Type**: C++\n" in device
    assert _section(device, "Testing & Usage") == (
        "Not applicable: kwdocs recognises test files among Python files only."
    )
    device = (native_out / "torch/include/c10/core/Device.h_docs.md").read_text("utf-8")
    assert _section(device, "File Purpose").startswith(
        "The file has no opening comment of its own (a comment right above a declaration "
        "belongs to that declaration); the first declaration with a comment, typedef "
        "[`c10::DeviceIndex`](./Device.h_docs.md#typedef-c10deviceindex) (line 20), says: "
        "An index representing a specific device"
    )
    tags = (native_out / "torchgen/packaged/ATen/native/tags.yaml_docs.md").read_text("utf-8")
    assert _section(tags, "File Purpose") == (
        "From the file's opening comment:\n\nThis yaml file contains all the possible tags "
        "that can be defined in `tags` in `native_functions.yaml`"
    )
    caffe2 = native_out / "torch/share/cmake/Caffe2/Caffe2Config.cmake_docs.md"
    assert _section(caffe2.read_text("utf-8"), "File Purpose").startswith(
        "From the file's opening comment:\n\n- Config file for the Caffe2 package"
    )
    assert _section(device, "High-Level Overview") == (
        "A C++ file of 221 lines with 43 keywords: 2 namespaces, 2 classes, 1 function, "
        "28 methods, 2 types, 8 imports."
    )


def test_includes_lead_to_workspace_headers_both_ways(native_out: Path) -> None:
    """Dependencies lists a C++ file's #includes, linked where the engine's include resolution
    (go-to-definition's) finds the header; the header's page lists who includes it."""
    device = (native_out / "torch/include/c10/core/Device.h_docs.md").read_text("utf-8")
    dependencies = _section(device, "Dependencies")
    assert dependencies.startswith(
        "### Includes\n\n"
        "- `<c10/core/DeviceType.h>` (line 4): "
        "[`torch/include/c10/core/DeviceType.h`](./DeviceType.h_docs.md)\n"
        # c10/macros is not among the folders this workspace holds.
        "- `<c10/macros/Export.h>` (line 5): not a file of this workspace\n"
    )
    assert "- `<cstddef>` (line 8): not a file of this workspace\n" in dependencies
    included_by = dependencies.split("### Imported by\n\n", 1)[1]
    assert "- [`torch/include/c10/core/DeviceGuard.h`](./DeviceGuard.h_docs.md)" in included_by
    guard = (native_out.parent / "torch/include/c10/core/DeviceGuard.h").read_text("utf-8")
    assert "#include <c10/core/Device.h>" in guard
    related = _section(device, "Related Files")
    assert (
        "- [`torch/include/c10/core/DeviceGuard.h`](./DeviceGuard.h_docs.md): includes this file"
        in related
    )
    # A YAML file has neither imports nor includes.
    tags = (native_out / "torchgen/packaged/ATen/native/tags.yaml_docs.md").read_text("utf-8")
    assert _section(tags, "Dependencies").startswith("Not applicable: kwdocs reads the imports")


def test_includes_resolve_in_a_workspace_rooted_inside_the_include_root(
    native_root: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A workspace of ``c10`` alone (the wheel's torch/include/c10): ``<c10/core/Device.h>``
    names its core/Device.h, as a build with ``-I torch/include`` reads it."""
    root = tmp_path / "c10"
    for folder in ("core", "macros"):
        source = native_root / "torch/include/c10" / folder
        shutil.copytree(source, root / folder, copy_function=_link_or_copy)
    out = tmp_path / "out"
    summary = export(root, out)
    assert summary.conflicts == [] and summary.skipped == []
    device = (out / "core/Device.h_docs.md").read_text("utf-8")
    dependencies = _section(device, "Dependencies")
    assert dependencies.startswith(
        "### Includes\n\n"
        "- `<c10/core/DeviceType.h>` (line 4): [`core/DeviceType.h`](./DeviceType.h_docs.md)\n"
        "- `<c10/macros/Export.h>` (line 5): [`macros/Export.h`](../macros/Export.h_docs.md)\n"
    )
    assert "- `<cstddef>` (line 8): not a file of this workspace\n" in dependencies
    device_type = (out / "core/DeviceType.h_docs.md").read_text("utf-8")
    included_by = _section(device_type, "Dependencies").split("### Imported by\n\n", 1)[1]
    assert "- [`core/Device.h`](./Device.h_docs.md)" in included_by
    assert check_tree(out) == []


def test_macros_link_to_their_own_headings(native_out: Path) -> None:
    # Config.h defines macros only: the keyword page sends them to the Detailed Analysis, where
    # each has its heading; no "Module-level names" section is promised that the page lacks.
    kw = (native_out / "torch/include/ATen/Config.h_kw.md").read_text(encoding="utf-8")
    docs = (native_out / "torch/include/ATen/Config.h_docs.md").read_text(encoding="utf-8")
    assert "#### macro `AT_MKLDNN_ENABLED`" in docs
    assert "Config.h_docs.md#macro-at_mkldnn_enabled" in kw
    section_map = kw.split("## Keyword → Section Map", 1)[1]
    assert "Config.h_docs.md#detailed-analysis" in section_map
    assert "#module-level-names" not in section_map
    assert "### Module-level names" not in docs


def test_file_scope_constants_are_listed(tmp_path: Path) -> None:
    (tmp_path / "limits.h").write_text(
        "#pragma once\n#define KW_LIMIT 8\nnamespace ns {\nconstexpr int kMax = 4;\n"
        "int counter = 0;\n}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    export(tmp_path, out)
    docs = (out / "limits.h_docs.md").read_text(encoding="utf-8")
    names = docs.split("### Module-level names", 1)[1].split("\n## ", 1)[0]
    assert "constant `ns::kMax` (line 4)" in names or "constant `kMax` (line 4)" in names, names
    assert "variable" in names and "counter" in names, names
    kw = (out / "limits.h_kw.md").read_text(encoding="utf-8")
    section_map = kw.split("## Keyword → Section Map", 1)[1]
    # Constants hold the macro (own heading) and kMax (listed): both sections are named.
    assert "#module-level-names" in section_map and "#detailed-analysis" in section_map
    assert check_tree(out) == []


@pytest.mark.slow
def test_every_link_of_the_whole_wheel_tree_resolves(
    torch_root: Path,
    native_root: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # The wheel tree the issue names: Python sources and stubs beside the C family, CMake and
    # YAML files, at the paths they have in the wheel.
    root = tmp_path_factory.mktemp("wheel-tree")
    shutil.copytree(torch_root, root, dirs_exist_ok=True, copy_function=_link_or_copy)
    shutil.copytree(native_root, root, dirs_exist_ok=True, copy_function=_link_or_copy)
    wheel = _torch_wheel()
    assert wheel is not None
    with zipfile.ZipFile(wheel) as archive:
        stubs = [n for n in archive.namelist() if n.endswith(".pyi")]
        archive.extractall(root, members=stubs)
    out = tmp_path_factory.mktemp("wheel-pages") / "out"
    try:
        summary = export(root, out)
        assert summary.files > 11_000 and summary.conflicts == []
        assert check_tree(out) == []
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
