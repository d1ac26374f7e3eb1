"""One engine, one answer, on the real FSDP tree of PyTorch 2.13.0: indexing the whole torch
package and indexing ``torch/distributed/fsdp`` alone give the folder's files the same module
names, classify every import the same way, find the same inheritance and the same importers
(within the folder); and the pages of the folder exported alone say so."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_support import export
from kwdocs.analyse import Analysis
from kwdocs.config import load_settings
from kwdocs.modules import ImportGroup
from kwdocs.pipeline import index_root

FSDP = "torch/distributed/fsdp"
pytestmark = pytest.mark.slow


def _analysis(root: Path, tmp_path: Path, name: str) -> Analysis:
    settings = load_settings(root, {"cacheDir": str(tmp_path / name)})
    index, _ = index_root(settings)
    return Analysis(index.records)


@pytest.fixture(scope="module")
def both(torch_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Analysis, Analysis]:
    tmp = tmp_path_factory.mktemp("identity")
    whole = _analysis(torch_root / "torch", tmp, "whole")
    alone = _analysis(torch_root / FSDP, tmp, "alone")
    return whole, alone


def test_the_folders_files_have_the_same_module_names(both: tuple[Analysis, Analysis]) -> None:
    whole, alone = both
    assert len(alone.records) > 20
    for rel, record in alone.records.items():
        assert record.module == whole.records[f"distributed/fsdp/{rel}"].module, rel
        assert record.module.startswith("torch.distributed.fsdp"), rel
    assert alone.records["_flat_param.py"].module == "torch.distributed.fsdp._flat_param"


def test_every_import_is_classified_the_same(both: tuple[Analysis, Analysis]) -> None:
    whole, alone = both
    checked = 0
    for rel in alone.records:
        mine = alone.links(rel).imports
        theirs = whole.links(f"distributed/fsdp/{rel}").imports
        assert [(f.module, f.group, f.statements) for f in mine] == [
            (f.module, f.group, f.statements) for f in theirs
        ], rel
        for fact in mine:
            # torch's own modules are never a third party's, whatever the root.
            if fact.module.partition(".")[0] == "torch":
                assert fact.group is ImportGroup.FIRST_PARTY, (rel, fact)
            # Files inside the folder link to the same file either way.
            if fact.path:
                other = next(f for f in theirs if f.module == fact.module)
                assert other.path == f"distributed/fsdp/{fact.path}", (rel, fact)
            checked += 1
    assert checked > 300


def test_inheritance_and_importers_are_the_same(both: tuple[Analysis, Analysis]) -> None:
    whole, alone = both
    prefix = "distributed/fsdp/"
    for rel in alone.records:
        mine, theirs = alone.links(rel), whole.links(prefix + rel)
        inside = [b for b in theirs.bases if b.path.startswith(prefix)]
        assert [(b.qualname, b.other, prefix + b.path) for b in mine.bases] == [
            (b.qualname, b.other, b.path) for b in inside
        ], rel
        inside_by = [p for p in theirs.imported_by if p.startswith(prefix)]
        assert [prefix + p for p in mine.imported_by] == inside_by, rel
    fsdp = alone.links("fully_sharded_data_parallel.py")
    assert ("FullyShardedDataParallel", "_FSDPState") in {(b.qualname, b.other) for b in fsdp.bases}
    # _flat_param.py is imported by nine files of the folder (counted by hand with grep).
    assert len(alone.links("_flat_param.py").imported_by) == 9


def test_pages_of_the_folder_exported_alone(torch_root: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = export(torch_root / FSDP, out)
    assert summary.files > 20 and not summary.conflicts
    page = (out / "_flat_param.py_docs.md").read_text()
    assert "- **Module**: `torch.distributed.fsdp._flat_param`" in page
    dependencies = page.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    third_party = dependencies.split("### Third-party", 1)[1] if "### Third-party" in page else ""
    assert "torch" not in third_party.split("### ", 1)[0]
    first_party = dependencies.split("### First-party", 1)[1].split("### ", 1)[0]
    assert "[`_common_utils.py`](./_common_utils.py_docs.md)" in first_party
    assert "`torch.nn` (not a file of this workspace)" in first_party
    imported_by = dependencies.split("### Imported by", 1)[1]
    assert imported_by.count("_docs.md)") == 9
