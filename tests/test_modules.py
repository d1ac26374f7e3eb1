"""Module identity (names from the package structure on disk) and module resolution (a dotted
name to a workspace file, and how an import is classified): kwdocs.modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from kwdocs.modules import (
    ImportGroup,
    ModuleNamer,
    ModuleTable,
    dotted_path_module,
    import_root,
    resolve_relative,
)


def test_relative_imports_resolve_from_the_module_or_package() -> None:
    assert resolve_relative("a.b.c", False, 1, "d") == "a.b.d"
    assert resolve_relative("a.b", True, 1, "d") == "a.b.d"
    assert resolve_relative("a.b.c", False, 2, None) == "a"
    assert resolve_relative("a.b.c", False, 1, None) == "a.b"
    assert resolve_relative("a.b.c", False, 0, "x.y") == "x.y"
    # Past the top-level package Python refuses the import: nothing is made up.
    assert resolve_relative("m", False, 3, "x") == ""
    assert resolve_relative("a.b", False, 2, None) == ""
    assert resolve_relative("a.b", False, 3, "x") == ""


def test_dotted_path_module_takes_every_folder_for_a_package() -> None:
    assert dotted_path_module("a/b/__init__.py") == "a.b"
    assert dotted_path_module("a/b/c.py") == "a.b.c"
    assert dotted_path_module("c.pyi") == "c"


def _tree(root: Path, files: list[str]) -> Path:
    for rel in files:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return root


def test_module_names_come_from_the_packages_on_disk(tmp_path: Path) -> None:
    root = _tree(
        tmp_path / "repo",
        [
            "src/pkg/__init__.py",
            "src/pkg/sub/__init__.py",
            "src/pkg/sub/mod.py",
            "src/pkg/loose/thing.py",  # a folder without __init__.py: a namespace, not ours
            "tests/test_mod.py",
            "setup.py",
            "my-tool/__init__.py",
            "my-tool/run.py",
            "stubs/pkg2/__init__.pyi",
            "stubs/pkg2/api.pyi",
        ],
    )
    namer = ModuleNamer(root)
    assert namer.module_of("src/pkg/__init__.py") == "pkg"
    assert namer.module_of("src/pkg/sub/mod.py") == "pkg.sub.mod"
    assert namer.module_of("src/pkg/loose/thing.py") == "thing"
    assert namer.module_of("tests/test_mod.py") == "test_mod"
    assert namer.module_of("setup.py") == "setup"
    # A folder whose name is no identifier cannot be imported as a package.
    assert namer.module_of("my-tool/run.py") == "run"
    assert namer.module_of("stubs/pkg2/api.pyi") == "pkg2.api"
    assert namer.module_of("README.md") == ""


@pytest.mark.parametrize(
    "root",
    ["", "torch", "torch/distributed", "torch/distributed/fsdp"],
)
def test_module_names_do_not_depend_on_where_the_root_is(tmp_path: Path, root: str) -> None:
    # The folders above the root are packages too: their names are part of the module's.
    _tree(
        tmp_path,
        [
            "torch/__init__.py",
            "torch/distributed/__init__.py",
            "torch/distributed/fsdp/__init__.py",
            "torch/distributed/fsdp/_flat_param.py",
        ],
    )
    base = tmp_path / root
    rel = str((tmp_path / "torch/distributed/fsdp/_flat_param.py").relative_to(base))
    assert ModuleNamer(base).module_of(rel) == "torch.distributed.fsdp._flat_param"
    init = str((tmp_path / "torch/distributed/fsdp/__init__.py").relative_to(base))
    assert ModuleNamer(base).module_of(init) == "torch.distributed.fsdp"


def test_import_root_is_the_folder_of_the_top_level_package() -> None:
    assert import_root("src/pkg/sub/mod.py", "pkg.sub.mod") == "src"
    assert import_root("src/pkg/__init__.py", "pkg") == "src"
    assert import_root("tests/test_mod.py", "test_mod") == "tests"
    assert import_root("setup.py", "setup") == ""
    # Above the root (a root inside the package).
    assert import_root("_flat_param.py", "torch.distributed.fsdp._flat_param") is None


def _table(entries: dict[str, str]) -> ModuleTable:
    table = ModuleTable()
    for path, module in entries.items():
        table.add(module, path)
    return table


def test_exact_names_resolve_and_a_stub_gives_way_to_its_source() -> None:
    table = _table(
        {
            "src/pkg/__init__.py": "pkg",
            "src/pkg/mod.py": "pkg.mod",
            "src/pkg/mod.pyi": "pkg.mod",
            "src/pkg/only.pyi": "pkg.only",
        }
    )
    assert table.file_of("pkg") == "src/pkg/__init__.py"
    assert table.file_of("pkg.mod") == "src/pkg/mod.py"
    assert table.file_of("pkg.only") == "src/pkg/only.pyi"
    assert table.stub_of("src/pkg/mod.py", "pkg.mod") == "src/pkg/mod.pyi"
    assert table.file_of("pkg.missing") is None


def test_a_name_several_files_claim_resolves_from_the_importers_own_root() -> None:
    table = _table(
        {
            "tests/helpers.py": "helpers",
            "tests/test_a.py": "test_a",
            "scripts/helpers.py": "helpers",
            "scripts/run.py": "run",
        }
    )
    assert table.file_of("helpers", importer="tests/test_a.py") == "tests/helpers.py"
    assert table.file_of("helpers", importer="scripts/run.py") == "scripts/helpers.py"
    assert table.file_of("helpers") is None  # ambiguous: never guessed


def test_a_copy_of_a_subpackage_resolves_the_full_names_by_their_longest_unique_suffix() -> None:
    table = _table(
        {
            "fsdp/__init__.py": "fsdp",
            "fsdp/_flat_param.py": "fsdp._flat_param",
            "fsdp/_fully_shard/__init__.py": "fsdp._fully_shard",
            "fsdp/_fully_shard/_fsdp_param.py": "fsdp._fully_shard._fsdp_param",
            "functional.py": "functional",
        }
    )
    assert table.file_of("torch.distributed.fsdp._flat_param") == "fsdp/_flat_param.py"
    assert table.file_of("torch.distributed.fsdp") == "fsdp/__init__.py"
    assert table.file_of("torch.distributed.fsdp._fully_shard._fsdp_param") == (
        "fsdp/_fully_shard/_fsdp_param.py"
    )
    # A one-part suffix only when it is a package: torch.nn.functional is not functional.py.
    assert table.file_of("torch.nn.functional") is None
    # The standard library is never a workspace module by suffix.
    assert table.file_of("xml.fsdp") is None
    assert table.classify("torch.distributed.fsdp._flat_param", None, False) is (
        ImportGroup.FIRST_PARTY
    )
    assert table.classify("torch.nn", None, False) is ImportGroup.THIRD_PARTY


def test_names_under_the_projects_own_package_are_first_party_even_outside_the_root() -> None:
    # Exporting torch/distributed/fsdp alone: torch.nn is torch's, not a third party's.
    table = _table(
        {
            "__init__.py": "torch.distributed.fsdp",
            "_flat_param.py": "torch.distributed.fsdp._flat_param",
        }
    )
    assert table.file_of("torch.distributed.fsdp._flat_param") == "_flat_param.py"
    assert table.file_of("torch.nn") is None
    assert table.classify("torch.nn", "_flat_param.py", False) is ImportGroup.FIRST_PARTY
    assert table.classify("os.path", "_flat_param.py", False) is ImportGroup.STDLIB
    assert table.classify("numpy", "_flat_param.py", False) is ImportGroup.THIRD_PARTY
    assert table.classify("", "_flat_param.py", True) is ImportGroup.UNRESOLVED
    assert table.classify("elsewhere.mod", "_flat_param.py", True) is ImportGroup.UNRESOLVED


def test_the_table_follows_files_as_they_come_and_go() -> None:
    table = _table({"pkg/__init__.py": "pkg", "pkg/a.py": "pkg.a"})
    assert table.file_of("pkg.a") == "pkg/a.py"
    table.remove("pkg.a", "pkg/a.py")
    assert table.file_of("pkg.a") is None and "pkg.a" not in table
    table.remove("pkg", "pkg/__init__.py")
    assert not table.is_first_party("pkg.a")
    table.add("pkg.a", "pkg/a.py")
    assert table.file_of("pkg.a") == "pkg/a.py" and table.is_first_party("pkg")
